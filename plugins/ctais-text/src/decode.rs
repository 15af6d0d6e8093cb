//! Decoding a file: the header and trailer, then each record line into its record or a rejected line.

use mvis_plugin_sdk::ctais_adapter::exports::mvis::plugin::ctais_exchange::{DecodedFile, ExchangeFile, RecordKind};
use mvis_plugin_sdk::ctais_adapter::mvis::plugin::ctais_records::{
    ConformityCertificate, ExportedInvoice, RecordBatch, RegistrationStatus, RejectedLine, SellerKind, StockDistribution, TaxpayerRegistration,
};
use mvis_plugin_sdk::{Failure, InvoiceKind, InvoiceStatus, failure};

use crate::layout::{self, CERTIFICATE_FIELDS, Field, INVOICE_EXPORT_FIELDS, MAGIC, STOCK_FIELDS, TAXPAYER_FIELDS, TRAILER, VERSION};
use crate::text::{Line, check_line, parse_amount, rejected, split_fields, split_lines};

/// Returns a record kind's header code, its Chinese name and its field layout.
fn kind_layout(kind: RecordKind) -> (&'static str, &'static str, &'static [Field]) {
    match kind {
        RecordKind::TaxpayerRegistrations => (layout::TAXPAYERS_KIND, "纳税人登记信息", TAXPAYER_FIELDS),
        RecordKind::StockDistributions => (layout::STOCK_KIND, "发票发售信息", STOCK_FIELDS),
        RecordKind::ConformityCertificates => (layout::CERTIFICATES_KIND, "合格证信息", CERTIFICATE_FIELDS),
        RecordKind::InvoiceExports => (layout::INVOICE_EXPORT_KIND, "车购税发票导出", INVOICE_EXPORT_FIELDS),
    }
}

pub fn decode(kind: RecordKind, file: &ExchangeFile) -> Result<DecodedFile, Failure> {
    let (kind_code, kind_label, fields) = kind_layout(kind);
    if file.content.starts_with(&[0xEF, 0xBB, 0xBF]) {
        return Err(failure("encoding_invalid", None, format!("文件 {} 以 UTF-8 BOM 开头，不是 GBK 编码；请按 GBK 编码重新导出", file.file_name)));
    }
    let mut lines = split_lines(&file.content);
    if lines.is_empty() {
        return Err(failure("file_empty", None, format!("文件 {} 是空文件", file.file_name)));
    }

    let header = lines.remove(0);
    let prefecture_code = check_header(header, kind_code, kind_label)?;
    let trailer = lines.pop();
    let declared = check_trailer(trailer)?;
    if declared != lines.len() {
        return Err(failure(
            "record_count_mismatch",
            None,
            format!("结束行记录数为 {declared}，文件实际有 {} 行记录，文件可能不完整；请重新获取文件", lines.len()),
        ));
    }

    let mut rejected_lines = Vec::new();
    let mut good = Vec::new();
    for entry in lines {
        match entry {
            Err(undecodable) => rejected_lines.push(rejected(
                undecodable.number,
                None,
                "encoding_invalid",
                format!("第 {} 行含有不能按 GBK 解码的字节，请检查该行的文字", undecodable.number),
            )),
            Ok((number, text)) => {
                let line = Line { number, fields: split_fields(&text) };
                match check_line(&line, fields) {
                    Ok(()) => good.push(line),
                    Err(problem) => rejected_lines.push(problem),
                }
            }
        }
    }

    let records = match kind {
        RecordKind::TaxpayerRegistrations => RecordBatch::TaxpayerRegistrations(good.iter().map(taxpayer).collect()),
        RecordKind::StockDistributions => {
            let mut records = Vec::new();
            for line in &good {
                match stock(line) {
                    Ok(record) => records.push(record),
                    Err(problem) => rejected_lines.push(problem),
                }
            }
            RecordBatch::StockDistributions(records)
        }
        RecordKind::ConformityCertificates => {
            let mut records = Vec::new();
            for line in &good {
                match certificate(line) {
                    Ok(record) => records.push(record),
                    Err(problem) => rejected_lines.push(problem),
                }
            }
            RecordBatch::ConformityCertificates(records)
        }
        RecordKind::InvoiceExports => RecordBatch::InvoiceExports(good.iter().map(exported_invoice).collect()),
    };
    rejected_lines.sort_by_key(|problem| problem.line);
    Ok(DecodedFile { prefecture_code, records, rejected_lines })
}

/// Checks `CTAIS-TEXT|1|<kind>|<prefecture>|<from>|<to>` and returns the prefecture code.
fn check_header(header: Result<(u32, String), crate::text::UndecodableLine>, kind_code: &str, kind_label: &str) -> Result<String, Failure> {
    let header_invalid = || failure("header_invalid", None, format!("第 1 行应为文件头 {MAGIC}|{VERSION}|{kind_code}|地市代码|起始日期|终止日期，请确认这是 CTAIS 文本交换文件"));
    let (number, text) = header.map_err(|_| header_invalid())?;
    let fields = split_fields(&text);
    if number != 1 || fields.len() != 6 || fields[0] != MAGIC {
        return Err(header_invalid());
    }
    if fields[1] != VERSION {
        return Err(failure("format_version_unsupported", None, format!("文件格式版本为 {}，本插件只能读取版本 {VERSION}", fields[1])));
    }
    if fields[2] != kind_code {
        return Err(failure(
            "record_kind_mismatch",
            None,
            format!("文件头的数据类别为 {}，不能作为{kind_label}（{kind_code}）导入；请选择与文件相符的导入类别", fields[2]),
        ));
    }
    let prefecture_code = &fields[3];
    if prefecture_code.len() != 6 || !prefecture_code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(failure("header_invalid", Some("prefecture_code"), format!("文件头的地市代码“{prefecture_code}”应为 6 位数字")));
    }
    Ok(prefecture_code.clone())
}

/// Checks `END|<count>` and returns the count.
fn check_trailer(trailer: Option<Result<(u32, String), crate::text::UndecodableLine>>) -> Result<usize, Failure> {
    let missing = || failure("trailer_missing", None, format!("文件缺少结束行 {TRAILER}|记录数，可能没有传输完整；请重新获取文件"));
    let Some(Ok((_, text))) = trailer else { return Err(missing()) };
    let fields = split_fields(&text);
    match fields.as_slice() {
        [marker, count] if marker == TRAILER => count.parse::<usize>().map_err(|_| missing()),
        _ => Err(missing()),
    }
}

fn code_index(value: &str, codes: &[(&str, &str)]) -> usize {
    codes.iter().position(|(code, _)| *code == value).expect("check_line accepted only listed codes")
}

fn optional_count(value: &str) -> Option<u32> {
    if value.is_empty() { None } else { value.parse().ok() }
}

fn taxpayer(line: &Line) -> TaxpayerRegistration {
    let f = &line.fields;
    TaxpayerRegistration {
        line: line.number,
        taxpayer_id: f[0].clone(),
        name: f[1].clone(),
        seller_kind: [SellerKind::General, SellerKind::SmallScale][code_index(&f[2], layout::SELLER_KINDS)],
        status: [RegistrationStatus::Active, RegistrationStatus::Abnormal, RegistrationStatus::Deregistered][code_index(&f[3], layout::REGISTRATION_STATUSES)],
        prefecture_code: f[4].clone(),
        address: f[5].clone(),
        phone: f[6].clone(),
        bank: f[7].clone(),
        account: f[8].clone(),
        tax_authority_name: f[9].clone(),
        tax_authority_code: f[10].clone(),
        registered_on: f[11].clone(),
    }
}

fn stock(line: &Line) -> Result<StockDistribution, RejectedLine> {
    let f = &line.fields;
    let start: u64 = f[1].parse().expect("check_line accepted eight digits");
    let end: u64 = f[2].parse().expect("check_line accepted eight digits");
    let count: u32 = f[3].parse().expect("checked count");
    if start == 0 || start > end {
        let field = &STOCK_FIELDS[2];
        return Err(rejected(line.number, Some(field), "stock_range_invalid", format!("第 {} 行起始号码必须大于 0 且不大于终止号码", line.number)));
    }
    if end - start + 1 != u64::from(count) {
        let field = &STOCK_FIELDS[3];
        return Err(rejected(
            line.number,
            Some(field),
            "count_mismatch",
            format!("第 {} 行份数为 {count}，但 {}–{} 共 {} 份，请核对号码段", line.number, f[1], f[2], end - start + 1),
        ));
    }
    Ok(StockDistribution {
        line: line.number,
        invoice_code: f[0].clone(),
        start_number: f[1].clone(),
        end_number: f[2].clone(),
        count,
        taxpayer_id: f[4].clone(),
        tax_authority_code: f[5].clone(),
        distributed_on: f[6].clone(),
        clerk: f[7].clone(),
    })
}

fn certificate(line: &Line) -> Result<ConformityCertificate, RejectedLine> {
    let f = &line.fields;
    // Dates are YYYY-MM-DD, so comparing the text compares the dates.
    if f[6] > f[7] {
        let field = &CERTIFICATE_FIELDS[7];
        return Err(rejected(line.number, Some(field), "date_order_invalid", format!("第 {} 行发证日期 {} 早于制造日期 {}，请核对", line.number, f[7], f[6])));
    }
    Ok(ConformityCertificate {
        line: line.number,
        certificate_number: f[0].clone(),
        vin: f[1].clone(),
        brand_model: f[2].clone(),
        vehicle_type: f[3].clone(),
        engine_number: f[4].clone(),
        manufacturer_name: f[5].clone(),
        production_date: f[6].clone(),
        issued_on: f[7].clone(),
        tonnage: f[8].clone(),
        seating_capacity: optional_count(&f[9]),
    })
}

fn exported_invoice(line: &Line) -> ExportedInvoice {
    let f = &line.fields;
    let amount = |index: usize| parse_amount(&f[index]).expect("check_line accepted the amount");
    ExportedInvoice {
        line: line.number,
        invoice_code: f[0].clone(),
        invoice_number: f[1].clone(),
        issue_date: f[2].clone(),
        kind: [InvoiceKind::Normal, InvoiceKind::Credit][code_index(&f[3], layout::INVOICE_KINDS)],
        status: [InvoiceStatus::Issued, InvoiceStatus::Voided, InvoiceStatus::Credited][code_index(&f[4], layout::INVOICE_STATUSES)],
        seller_tax_id: f[5].clone(),
        seller_name: f[6].clone(),
        buyer_name: f[7].clone(),
        buyer_id: f[8].clone(),
        vehicle_type: f[9].clone(),
        brand_model: f[10].clone(),
        origin: f[11].clone(),
        certificate_number: f[12].clone(),
        import_certificate_number: f[13].clone(),
        inspection_number: f[14].clone(),
        engine_number: f[15].clone(),
        vin: f[16].clone(),
        tonnage: f[17].clone(),
        seating_capacity: optional_count(&f[18]),
        total_amount: amount(19),
        vat_rate: f[20].clone(),
        vat_amount: amount(21),
        price_excluding_vat: amount(22),
        original_invoice_code: f[23].clone(),
        original_invoice_number: f[24].clone(),
        tax_authority_code: f[25].clone(),
    }
}
