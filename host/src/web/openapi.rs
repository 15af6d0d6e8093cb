//! The OpenAPI 3.1 document served at `/api/v1/openapi.json`.
//!
//! Written by hand: the request bodies are read field by field (to give Chinese, field-level
//! errors), so there are no serde types for a generator to derive schemas from. A test checks that
//! every route of the router appears here.

use axum::Json;
use serde_json::{Value, json};

fn amount(description: &str) -> Value {
    json!({ "type": "string", "pattern": "^-?[0-9]+(\\.[0-9]{1,2})?$", "description": description })
}

fn text(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn error_responses() -> Value {
    let error = json!({ "description": "错误", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } });
    json!({ "401": error, "403": error, "404": error, "409": error, "422": error })
}

fn body(schema: &str) -> Value {
    json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } })
}

fn ok(status: &str, schema: &str, description: &str) -> Value {
    let mut responses = error_responses();
    responses[status] = json!({ "description": description, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{schema}") } } } });
    responses
}

fn idempotency_key() -> Value {
    json!({ "name": "Idempotency-Key", "in": "header", "required": false, "schema": { "type": "string", "maxLength": 200 },
            "description": "重试时携带相同的键将返回首次的响应；同一键用于不同请求返回 409" })
}

fn invoice_path_parameters() -> Value {
    json!([
        { "name": "code", "in": "path", "required": true, "schema": { "type": "string" }, "description": "发票代码" },
        { "name": "number", "in": "path", "required": true, "schema": { "type": "string" }, "description": "发票号码" }
    ])
}

fn print_parameters() -> Value {
    let mut parameters = invoice_path_parameters();
    let array = parameters.as_array_mut().expect("array");
    array.push(json!({ "name": "format", "in": "query", "schema": { "enum": ["pdf", "escp"], "default": "pdf" }, "description": "pdf：服务端生成 PDF；escp：24 针针式打印机指令，中文为 GB18030" }));
    array.push(json!({ "name": "mode", "in": "query", "schema": { "enum": ["overlay", "preview"], "default": "overlay" }, "description": "overlay：套打在预印发票上，只打内容；preview：连同表格线和栏目名称" }));
    array.push(json!({ "name": "profile", "in": "query", "schema": { "type": "string" }, "description": "打印机配置名称，缺省为地市配置中的第一个" }));
    parameters
}

/// Responses of the export route: the file as the prefecture's CTAIS adapter wrote it, or the error body.
fn exported_file() -> Value {
    let mut responses = error_responses();
    responses["200"] = json!({ "description": "导出文件（ctais-text 为 GBK 文本）", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } });
    responses
}

fn monthly_report_parameters() -> Value {
    json!([
        { "name": "dimension", "in": "query", "schema": { "enum": ["prefecture", "dealer", "brand", "vehicle_type"], "default": "prefecture" }, "description": "统计维度：地市、销货单位、品牌（厂牌型号中“牌”字之前的部分）或车辆类型" },
        { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "起始日期（含），YYYY-MM-DD；缺省为截止日期所在月往前 11 个月的 1 日" },
        { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "截止日期（含），YYYY-MM-DD；缺省为今天" },
        { "name": "prefecture", "in": "query", "schema": { "type": "string", "pattern": "^[0-9]{6}$" }, "description": "只统计一个地市；地市税务人员只能填本地市，缺省为查询范围内的全部地市" },
        { "name": "format", "in": "query", "schema": { "enum": ["json", "csv", "xlsx", "html"], "default": "json" }, "description": "json 直接返回表格；其他格式由地市配置 report_formats 选用的报表插件生成" }
    ])
}

/// Responses of the report routes: the table as JSON, a document from a plugin, or the error body.
fn report_responses() -> Value {
    let mut responses = error_responses();
    let error = responses["404"].clone();
    responses["400"] = error.clone();
    responses["413"] = error.clone();
    responses["503"] = error;
    responses["200"] = json!({ "description": "报表。json：columns 与 rows（以列名为键，金额为两位小数的元）及 totals；其他格式为附件，响应头 x-mvis-plugin 给出插件及版本", "content": {
        "application/json": { "schema": { "$ref": "#/components/schemas/Object" } },
        "text/csv": { "schema": { "type": "string", "format": "binary" } },
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": { "schema": { "type": "string", "format": "binary" } },
        "text/html": { "schema": { "type": "string" } } } });
    responses
}

/// Responses of the print routes: the printed bytes, or the error body.
fn printed(description: &str) -> Value {
    let mut responses = error_responses();
    responses["200"] = json!({ "description": description, "content": {
        "application/pdf": { "schema": { "type": "string", "format": "binary" } },
        "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } });
    let error = responses["404"].clone();
    responses["503"] = error.clone();
    responses["500"] = error;
    responses
}

fn schemas() -> Value {
    json!({
        "Error": { "type": "object", "required": ["error"], "properties": { "error": {
            "type": "object", "required": ["code", "message"],
            "properties": {
                "code": text("稳定的英文错误码，例如 vin_check_digit_invalid"),
                "field": { "type": ["string", "null"], "description": "出错字段的规范名" },
                "message": text("中文说明，指出字段和改正方法"),
                "details": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } }
            } } } },
        "Finding": { "type": "object", "properties": {
            "level": { "enum": ["error", "warning", "flag"] }, "code": text("代码"),
            "field": { "type": ["string", "null"] }, "message": text("中文说明") } },
        "InvoiceDraft": { "type": "object", "additionalProperties": false,
            "required": ["buyer_name", "buyer_id", "vehicle_type", "brand_model", "origin", "certificate_number", "engine_number", "vin", "total_amount"],
            "properties": {
                "buyer_name": text("购买方名称"), "buyer_id": text("纳税人识别号/统一社会信用代码/身份证明号码"),
                "vehicle_type": text("车辆类型"), "brand_model": text("厂牌型号"), "origin": text("产地"),
                "certificate_number": text("合格证号"), "import_certificate_number": text("进口证明书号（进口车）"),
                "inspection_number": text("商检单号（进口车）"), "engine_number": text("发动机号码"),
                "vin": text("车辆识别代号/车架号码，17 位"), "total_amount": amount("价税合计，两位小数字符串"),
                "tonnage": text("吨位"), "seating_capacity": { "type": "integer", "description": "限乘人数" },
                "tax_payment_voucher_number": text("完税凭证号码"), "remarks": text("备注") } },
        "Invoice": { "type": "object", "description": "发票，字段名见规范字段表；金额为两位小数字符串",
            "properties": {
                "invoice_code": text("发票代码"), "invoice_number": text("发票号码"),
                "kind": { "enum": ["normal", "credit"] }, "status": { "enum": ["issued", "voided", "credited"] },
                "issue_date": { "type": "string", "format": "date" }, "issued_at": { "type": "string", "format": "date-time" },
                "total_amount": amount("价税合计"), "total_amount_uppercase": text("价税合计（大写）"),
                "vat_rate": text("增值税税率或征收率，例如 0.13"), "vat_amount": amount("增值税税额"),
                "price_excluding_vat": amount("不含税价"), "vin": text("车辆识别代号"),
                "brand": text("品牌：厂牌型号中“牌”字之前的部分，无“牌”字时取第一个空格之前的部分"),
                "purchase_tax": amount("开具时按地市规则脚本计算的车辆购置税应纳税额；红字发票为负数"),
                "findings": { "type": "array", "items": { "$ref": "#/components/schemas/Finding" } },
                "links": { "type": "object" } } },
        "InvoicePage": { "type": "object", "properties": {
            "page": { "type": "integer" }, "page_size": { "type": "integer" }, "total": { "type": "integer" },
            "invoices": { "type": "array", "items": { "$ref": "#/components/schemas/Invoice" } } } },
        "DeclareRequest": { "type": "object", "additionalProperties": false, "required": ["declaration_number"],
            "properties": { "declaration_number": text("车辆购置税申报编号：1 至 40 位字母、数字或连字符") } },
        "RevokeDeclarationRequest": { "type": "object", "additionalProperties": false, "required": ["reason"],
            "properties": { "reason": text("撤销原因") } },
        "Declaration": { "type": "object", "properties": {
            "invoice_code": text("发票代码"), "invoice_number": text("发票号码"), "declaration_number": text("申报编号"),
            "state": { "enum": ["declared", "revoked"] }, "prefecture_code": text("地市代码"),
            "taxable_price": { "type": "integer", "description": "计税价格（分），登记时按规则脚本计算" },
            "purchase_tax": { "type": "integer", "description": "应纳税额（分），登记时按规则脚本计算" },
            "declared_at": text("登记时间"), "declared_by": text("登记人"),
            "revoked_at": text("撤销时间"), "revoked_by": text("撤销人"), "revoke_reason": text("撤销原因") } },
        "CreditRequest": { "type": "object", "additionalProperties": false, "properties": { "reason": text("冲红原因") } },
        "NewDealer": { "type": "object", "additionalProperties": false,
            "required": ["dealer_id", "prefecture_code", "taxpayer_id", "name", "seller_kind"],
            "properties": { "dealer_id": text("销货单位编号"), "prefecture_code": text("地市代码，如 420100"),
                "taxpayer_id": text("纳税人识别号"), "name": text("名称"), "seller_kind": { "enum": ["general", "small_scale"] },
                "phone": text("电话"), "address": text("地址"), "bank": text("开户银行"), "account": text("账号"),
                "tax_authority_name": text("主管税务机关"), "tax_authority_code": text("主管税务机关代码") } },
        "NewStockRange": { "type": "object", "additionalProperties": false,
            "required": ["dealer_id", "invoice_code", "start_number", "end_number"],
            "properties": { "dealer_id": text("持有单位"), "invoice_code": text("发票代码，12 位"),
                "start_number": text("起始号码，8 位"), "end_number": text("终止号码，8 位") } },
        "StockRange": { "type": "object" },
        "NewUser": { "type": "object", "additionalProperties": false, "required": ["username", "display_name", "role"],
            "properties": { "username": text("用户名"), "display_name": text("姓名"),
                "role": { "enum": ["dealer_clerk", "officer", "admin"] },
                "dealer_id": text("开票员所属销货单位"), "prefecture_code": text("税务人员所属地市，全省为 420000") } },
        "Object": { "type": "object" }
    })
}

/// Builds the document.
pub fn build() -> Value {
    let invoice_parameters = invoice_path_parameters();
    let mut void_parameters = invoice_parameters.clone();
    void_parameters.as_array_mut().expect("array").push(idempotency_key());

    json!({
        "openapi": "3.1.0",
        "info": { "title": "MVIS 机动车销售统一发票 API", "version": env!("CARGO_PKG_VERSION") },
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer" } },
            "schemas": schemas()
        },
        "security": [{ "bearer": [] }],
        "paths": {
            "/api/v1/openapi.json": { "get": { "summary": "本文档", "security": [], "responses": { "200": { "description": "OpenAPI 文档" } } } },
            "/api/v1/invoices": {
                "post": { "summary": "开具发票（开票员）", "parameters": [idempotency_key()], "requestBody": body("InvoiceDraft"), "responses": ok("201", "Invoice", "已开具") },
                "get": { "summary": "查询发票（按车辆识别代号、销货单位、地市、日期）", "parameters": [
                    { "name": "vin", "in": "query", "schema": { "type": "string" } },
                    { "name": "dealer_id", "in": "query", "schema": { "type": "string" } },
                    { "name": "prefecture_code", "in": "query", "schema": { "type": "string" } },
                    { "name": "from", "in": "query", "schema": { "type": "string", "format": "date" } },
                    { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" } },
                    { "name": "page", "in": "query", "schema": { "type": "integer", "minimum": 1 } },
                    { "name": "page_size", "in": "query", "schema": { "type": "integer", "minimum": 1, "maximum": 200 } }
                ], "responses": ok("200", "InvoicePage", "一页发票") }
            },
            "/api/v1/invoices/{code}/{number}": { "get": { "summary": "按代码和号码查看发票", "parameters": invoice_parameters, "responses": ok("200", "Invoice", "发票") } },
            "/api/v1/invoices/{code}/{number}/purchase-tax": { "get": { "summary": "按规则脚本计算的车辆购置税（计税价格、税率、减免、应纳税额）", "parameters": invoice_parameters, "responses": ok("200", "Object", "车辆购置税") } },
            "/api/v1/invoices/{code}/{number}/history": { "get": { "summary": "发票的台账记录", "parameters": invoice_parameters, "responses": ok("200", "Object", "台账记录") } },
            "/api/v1/invoices/{code}/{number}/void": { "post": { "summary": "作废（仅开具当月）", "parameters": void_parameters, "responses": ok("200", "Invoice", "已作废") } },
            "/api/v1/invoices/{code}/{number}/print": { "get": { "summary": "打印发票：PDF（套打或预览）或 ESC/P 针式打印机指令", "parameters": print_parameters(),
                "responses": printed("application/pdf 或 application/octet-stream（ESC/P）；响应头 x-mvis-plugin 给出插件及版本") } },
            "/api/v1/printer-profiles/{profile}/calibration": { "get": { "summary": "打印机配置的校准页：按该配置偏移量打印的毫米网格", "parameters": [
                { "name": "profile", "in": "path", "required": true, "schema": { "type": "string" }, "description": "打印机配置名称（地市配置 printer_profiles 中的 name）" },
                { "name": "format", "in": "query", "schema": { "enum": ["pdf", "escp"], "default": "pdf" } },
                { "name": "prefecture_code", "in": "query", "schema": { "type": "string" }, "description": "地市代码；管理员和省级税务人员必填，开票员取本单位所在地市" }
            ], "responses": printed("校准页") } },
            "/api/v1/admin/runtime": { "get": { "summary": "各地市已加载的规则脚本（文件、哈希、加载时间、加载错误）、已加载的插件（版本、接口版本、SHA-256、加载时间、加载错误）及各地市选用的插件（管理员）",
                "responses": ok("200", "Object", "运行时状态") } },
            "/api/v1/invoices/{code}/{number}/declaration": {
                "get": { "summary": "发票的车辆购置税申报登记（含已撤销的）", "parameters": invoice_parameters, "responses": ok("200", "Declaration", "申报登记") },
                "post": { "summary": "登记车辆购置税申报（税务人员）；已申报的发票不能作废，冲红会标记复核", "parameters": void_parameters,
                    "requestBody": body("DeclareRequest"), "responses": ok("201", "Declaration", "已登记") }
            },
            "/api/v1/invoices/{code}/{number}/declaration/revoke": { "post": { "summary": "撤销车辆购置税申报登记（税务人员）", "parameters": void_parameters,
                "requestBody": body("RevokeDeclarationRequest"), "responses": ok("200", "Declaration", "已撤销") } },
            "/api/v1/invoices/{code}/{number}/credit": { "post": { "summary": "开具红字发票", "parameters": void_parameters, "requestBody": body("CreditRequest"), "responses": ok("201", "Invoice", "红字发票") } },
            "/api/v1/reports/monthly": { "get": { "summary": "月度统计：按地市、销货单位、品牌或车辆类型汇总开具张数、红字张数、净销量、价税合计、增值税、不含税价、车辆购置税及价税合计环比（税务人员和管理员；销货单位用户只看本单位）",
                "parameters": monthly_report_parameters(), "responses": report_responses() } },
            "/api/v1/stock": { "get": { "summary": "本单位发票库存（开票员）", "responses": ok("200", "Object", "号码段与剩余份数") } },
            "/api/v1/prefectures": { "get": { "summary": "地市列表", "responses": ok("200", "Object", "地市") } },
            "/api/v1/admin/dealers": {
                "post": { "summary": "登记销货单位", "parameters": [idempotency_key()], "requestBody": body("NewDealer"), "responses": ok("201", "Object", "已登记") },
                "get": { "summary": "销货单位列表", "responses": ok("200", "Object", "销货单位") }
            },
            "/api/v1/admin/stock-ranges": {
                "post": { "summary": "分配发票号码段", "parameters": [idempotency_key()], "requestBody": body("NewStockRange"), "responses": ok("201", "StockRange", "已分配") },
                "get": { "summary": "号码段列表", "responses": ok("200", "Object", "号码段") }
            },
            "/api/v1/admin/stock-ranges/{range_id}/return": { "post": { "summary": "缴销号码段的剩余号码", "parameters": [
                { "name": "range_id", "in": "path", "required": true, "schema": { "type": "integer" } }, idempotency_key()
            ], "responses": ok("200", "StockRange", "已缴销") } },
            "/api/v1/admin/users": {
                "post": { "summary": "创建用户", "parameters": [idempotency_key()], "requestBody": body("NewUser"), "responses": ok("201", "Object", "已创建") },
                "get": { "summary": "用户列表", "responses": ok("200", "Object", "用户") }
            },
            "/api/v1/admin/imports/{kind}": { "post": { "summary": "导入 CTAIS 交换文件（地市或省级管理员）：先逐行检查，有行被拒绝时不写入，除非 load_valid_only=true；一次导入在一个事务中完成。格式由地市选用的 CTAIS 交换插件决定，ctais-text 格式见 docs/zh-CN/ctais-format.md",
                "parameters": [
                    { "name": "kind", "in": "path", "required": true, "schema": { "enum": ["taxpayers", "stock", "certificates"] }, "description": "taxpayers：纳税人登记；stock：发票发售；certificates：合格证" },
                    { "name": "prefecture_code", "in": "query", "required": true, "schema": { "type": "string" }, "description": "地市代码，须与文件头相同" },
                    { "name": "dry_run", "in": "query", "schema": { "type": "boolean", "default": false }, "description": "只检查，不写入" },
                    { "name": "load_valid_only", "in": "query", "schema": { "type": "boolean", "default": false }, "description": "有行被拒绝时仍导入通过检查的行" }
                ],
                "requestBody": { "required": true, "description": "文件内容；服务端插件的输入上限为 256 KiB，更大的文件请用命令行 mvis import", "content": { "application/octet-stream": { "schema": { "type": "string", "format": "binary" } } } },
                "responses": ok("200", "Object", "导入报告：lines、valid、loaded、applied、dry_run 及被拒绝的行 rejected（line、field、code、message）") } },
            "/api/v1/exports/invoices": { "get": { "summary": "车辆购置税发票导出：地市在期间内开具的全部发票，按地市选用的 CTAIS 交换插件的格式（税务人员或管理员）",
                "parameters": [
                    { "name": "prefecture_code", "in": "query", "required": true, "schema": { "type": "string" } },
                    { "name": "from", "in": "query", "required": true, "schema": { "type": "string", "format": "date" }, "description": "起始开票日期" },
                    { "name": "to", "in": "query", "schema": { "type": "string", "format": "date" }, "description": "终止开票日期（含），缺省同 from" }
                ],
                "responses": exported_file() } },
            "/api/v1/admin/users/{username}/tokens": { "post": { "summary": "为用户生成访问令牌（令牌只返回一次）", "parameters": [
                { "name": "username", "in": "path", "required": true, "schema": { "type": "string" } }
            ], "responses": ok("201", "Object", "新令牌") } }
        }
    })
}

pub async fn document() -> Json<Value> {
    Json(build())
}

#[cfg(test)]
mod tests {
    #[test]
    fn openapi_lists_every_route() {
        let source = include_str!("api/mod.rs");
        let document = super::build();
        let paths = document["paths"].as_object().unwrap();
        let mut checked = 0;
        for line in source.lines().filter(|line| line.trim_start().starts_with(".route(\"")) {
            let route = line.split('"').nth(1).unwrap();
            assert!(paths.contains_key(&format!("/api/v1{route}")), "route {route} missing from openapi.json");
            checked += 1;
        }
        assert!(checked >= 10, "expected to find the routes in api/mod.rs, found {checked}");
    }
}
