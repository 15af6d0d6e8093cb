//! Reads a JSON request body into an invoice draft, with errors that name the field in Chinese.
//! serde's own messages are English and stop at the first problem, so the fields are read by hand.

use serde_json::{Map, Value};

use crate::domain::invoice::{DRAFT_FIELDS, Finding, InvoiceDraft, field_label};
use crate::domain::rejection::Rejection;

/// Fields the system computes or takes from the dealer's registration; a client never sends them.
const COMPUTED_FIELDS: &[&str] = &[
    "invoice_code",
    "invoice_number",
    "issue_date",
    "total_amount_uppercase",
    "vat_rate",
    "vat_amount",
    "price_excluding_vat",
    "seller_name",
    "seller_tax_id",
    "issuer",
    "machine_number",
    "status",
    "kind",
];

/// Parses the body of `POST /invoices`.
pub fn parse_draft(body: &[u8]) -> Result<InvoiceDraft, Rejection> {
    let object = parse_object(body)?;
    let mut errors = Vec::new();

    for key in object.keys() {
        if DRAFT_FIELDS.contains(&key.as_str()) {
            continue;
        }
        let message = if COMPUTED_FIELDS.contains(&key.as_str()) {
            format!("字段 {key} 由系统计算或取自销货单位登记信息，请求中不能提供，请删除")
        } else {
            format!("未知字段 {key}，请删除；可用字段：{}", DRAFT_FIELDS.join(", "))
        };
        errors.push(Finding::error(key, "unknown_field", message));
    }

    let mut text = |field: &str| -> String {
        match object.get(field) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(value)) => value.clone(),
            Some(_) => {
                let hint = if field == "total_amount" { "，例如 \"147800.00\"" } else { "" };
                errors.push(Finding::error(field, "field_type_invalid", format!("{}应为字符串{hint}", field_label(field))));
                String::new()
            }
        }
    };

    let mut draft = InvoiceDraft {
        buyer_name: text("buyer_name"),
        buyer_id: text("buyer_id"),
        vehicle_type: text("vehicle_type"),
        brand_model: text("brand_model"),
        origin: text("origin"),
        certificate_number: text("certificate_number"),
        import_certificate_number: text("import_certificate_number"),
        inspection_number: text("inspection_number"),
        engine_number: text("engine_number"),
        vin: text("vin"),
        total_amount: text("total_amount"),
        tonnage: text("tonnage"),
        seating_capacity: None,
        tax_payment_voucher_number: text("tax_payment_voucher_number"),
        remarks: text("remarks"),
    };

    match object.get("seating_capacity") {
        None | Some(Value::Null) => {}
        Some(Value::Number(number)) if number.as_i64().is_some() => draft.seating_capacity = number.as_i64(),
        Some(Value::String(value)) if value.trim().is_empty() => {}
        Some(Value::String(value)) if value.trim().parse::<i64>().is_ok() => draft.seating_capacity = value.trim().parse().ok(),
        Some(_) => errors.push(Finding::error("seating_capacity", "field_type_invalid", "限乘人数应为整数，例如 5")),
    }

    if errors.is_empty() { Ok(draft) } else { Err(Rejection::from_findings(errors)) }
}

/// Parses a body that must be one JSON object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, Rejection> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(object)) => Ok(object),
        Ok(_) => Err(Rejection::new(400, "body_not_object", None, "请求体应为 JSON 对象，例如 {\"vin\": \"...\"}")),
        Err(err) => Err(Rejection::new(400, "body_invalid_json", None, format!("请求体不是有效的 JSON（第 {} 行第 {} 列），请检查格式", err.line(), err.column()))),
    }
}

/// Parses a JSON body into `T` (admin requests); serde's message is kept for the details.
pub fn parse_typed<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, Rejection> {
    parse_object(body)?;
    serde_json::from_slice::<T>(body).map_err(|err| {
        let detail = err.to_string();
        let field = detail.split('`').nth(1).map(str::to_string);
        Rejection {
            status: 422,
            code: "body_invalid".to_string(),
            message: format!("请求内容有误：{detail}。请按接口文档 /api/v1/openapi.json 填写字段"),
            field,
            details: Vec::new(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draft_rejects_computed_and_unknown_fields() {
        let rejection = parse_draft(br#"{"vin": "LFV2A1151H3201804", "vat_amount": "1.00", "colour": "red"}"#).unwrap_err();
        assert_eq!(rejection.code, "unknown_field");
        assert_eq!(rejection.details.len(), 2);
        assert_eq!(rejection.details[0].field.as_deref(), Some("colour"));
        assert!(rejection.details[1].message.contains("系统计算"), "{}", rejection.details[1].message);
    }

    #[test]
    fn draft_rejects_numeric_amount() {
        let rejection = parse_draft(br#"{"total_amount": 147800.0}"#).unwrap_err();
        assert_eq!(rejection.code, "field_type_invalid");
        assert_eq!(rejection.field.as_deref(), Some("total_amount"));
    }

    #[test]
    fn draft_accepts_seats_as_number_or_text() {
        assert_eq!(parse_draft(br#"{"seating_capacity": 5}"#).unwrap().seating_capacity, Some(5));
        assert_eq!(parse_draft(br#"{"seating_capacity": "7"}"#).unwrap().seating_capacity, Some(7));
        assert_eq!(parse_draft(br#"{"seating_capacity": 5.5}"#).unwrap_err().field.as_deref(), Some("seating_capacity"));
    }

    #[test]
    fn draft_reports_invalid_json_position() {
        let rejection = parse_draft(b"{\"vin\": ").unwrap_err();
        assert_eq!(rejection.code, "body_invalid_json");
        assert_eq!(rejection.status, 400);
    }
}
