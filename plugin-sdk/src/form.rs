//! Geometry of the printed 机动车销售统一发票 form, and the text each box carries.
//!
//! Positions are millimetres from the top left corner of the form, before a printer profile's
//! offsets. Every printer driver that uses this module puts a field at the same place, so one
//! profile's offsets fit all of them.
//!
//! NOTE: the boxes follow the form's row and column structure, but their sizes are not measured
//! from a printed form. Check them against real stock before relying on overlay prints; a
//! profile's offsets shift the whole page, not single boxes.

use crate::money::format_fen_with_sign;
use crate::{Invoice, InvoiceKind};

pub const PAGE_WIDTH_MM: f64 = 241.0;
pub const PAGE_HEIGHT_MM: f64 = 177.0;

/// Form title, printed only in preview mode.
pub const TITLE: &str = "机动车销售统一发票";

/// A rectangle on the form.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Area {
    pub x_mm: f64,
    pub y_mm: f64,
    pub width_mm: f64,
    pub height_mm: f64,
}

impl Area {
    /// Baseline for one line of text of `size_pt`, centred vertically in the area.
    pub fn baseline_mm(&self, size_pt: f64) -> f64 {
        let text_height_mm = size_pt * MM_PER_POINT;
        self.y_mm + (self.height_mm + text_height_mm * 0.7) / 2.0
    }
}

/// Millimetres per typographic point (1 pt = 1/72 inch).
pub const MM_PER_POINT: f64 = 25.4 / 72.0;

/// One box of the form's table: a printed label and the box its value goes in.
#[derive(Clone, Copy, Debug)]
pub struct Cell {
    /// Canonical field name, or a name of this module for combined values (`tax_authority`).
    pub field: &'static str,
    pub label: &'static str,
    pub label_area: Area,
    pub value_area: Area,
}

/// A field above the table: no box, a label and a value on one baseline.
#[derive(Clone, Copy, Debug)]
pub struct HeaderField {
    pub field: &'static str,
    pub label: &'static str,
    pub label_x_mm: f64,
    pub value_x_mm: f64,
    pub baseline_mm: f64,
}

pub const HEADER: &[HeaderField] = &[
    HeaderField { field: "issue_date", label: "开票日期", label_x_mm: 14.0, value_x_mm: 32.0, baseline_mm: 30.0 },
    HeaderField { field: "invoice_code", label: "发票代码", label_x_mm: 160.0, value_x_mm: 178.0, baseline_mm: 14.0 },
    HeaderField { field: "invoice_number", label: "发票号码", label_x_mm: 160.0, value_x_mm: 178.0, baseline_mm: 20.0 },
    HeaderField { field: "machine_number", label: "机器编号", label_x_mm: 160.0, value_x_mm: 178.0, baseline_mm: 30.0 },
];

/// Left and right edges of the table.
pub const TABLE_LEFT_MM: f64 = 12.0;
pub const TABLE_RIGHT_MM: f64 = 229.0;

const fn cell(field: &'static str, label: &'static str, top: f64, height: f64, label_x: f64, value_x: f64, value_end: f64) -> Cell {
    Cell {
        field,
        label,
        label_area: Area { x_mm: label_x, y_mm: top, width_mm: value_x - label_x, height_mm: height },
        value_area: Area { x_mm: value_x, y_mm: top, width_mm: value_end - value_x, height_mm: height },
    }
}

/// The table, row by row from the top; each row spans the table's full width.
pub const CELLS: &[Cell] = &[
    cell("buyer_name", "购买方名称", 36.0, 10.0, 12.0, 38.0, 120.0),
    cell("buyer_id", "纳税人识别号/统一社会信用代码/身份证明号码", 36.0, 10.0, 120.0, 166.0, 229.0),
    cell("vehicle_type", "车辆类型", 46.0, 10.0, 12.0, 30.0, 75.0),
    cell("brand_model", "厂牌型号", 46.0, 10.0, 75.0, 93.0, 170.0),
    cell("origin", "产地", 46.0, 10.0, 170.0, 182.0, 229.0),
    cell("certificate_number", "合格证号", 56.0, 10.0, 12.0, 30.0, 75.0),
    cell("import_certificate_number", "进口证明书号", 56.0, 10.0, 75.0, 97.0, 160.0),
    cell("inspection_number", "商检单号", 56.0, 10.0, 160.0, 178.0, 229.0),
    cell("engine_number", "发动机号码", 66.0, 10.0, 12.0, 32.0, 90.0),
    cell("vin", "车辆识别代号/车架号码", 66.0, 10.0, 90.0, 128.0, 229.0),
    cell("total_amount_uppercase", "价税合计", 76.0, 12.0, 12.0, 32.0, 160.0),
    cell("total_amount", "小写", 76.0, 12.0, 160.0, 172.0, 229.0),
    cell("seller_name", "销货单位名称", 88.0, 10.0, 12.0, 38.0, 150.0),
    cell("seller_phone", "电话", 88.0, 10.0, 150.0, 164.0, 229.0),
    cell("seller_tax_id", "纳税人识别号", 98.0, 10.0, 12.0, 38.0, 150.0),
    cell("seller_account", "账号", 98.0, 10.0, 150.0, 164.0, 229.0),
    cell("seller_address", "地址", 108.0, 10.0, 12.0, 38.0, 150.0),
    cell("seller_bank", "开户银行", 108.0, 10.0, 150.0, 168.0, 229.0),
    cell("vat_rate", "增值税税率或征收率", 118.0, 10.0, 12.0, 46.0, 66.0),
    cell("vat_amount", "增值税税额", 118.0, 10.0, 66.0, 86.0, 120.0),
    cell("tax_authority", "主管税务机关及代码", 118.0, 10.0, 120.0, 154.0, 229.0),
    cell("price_excluding_vat", "不含税价", 128.0, 10.0, 12.0, 30.0, 75.0),
    cell("tax_payment_voucher_number", "完税凭证号码", 128.0, 10.0, 75.0, 99.0, 150.0),
    cell("tonnage", "吨位", 128.0, 10.0, 150.0, 162.0, 185.0),
    cell("seating_capacity", "限乘人数", 128.0, 10.0, 185.0, 203.0, 229.0),
    cell("remarks", "备注", 138.0, 12.0, 12.0, 30.0, 229.0),
];

/// The 开票人 line below the table.
pub const ISSUER: HeaderField = HeaderField { field: "issuer", label: "开票人", label_x_mm: 150.0, value_x_mm: 166.0, baseline_mm: 160.0 };

/// The 销货单位盖章 label below the table, printed only in preview mode.
pub const SEAL_LABEL: (&str, f64, f64) = ("销货单位（盖章）", 14.0, 160.0);

/// Returns the text printed for `field`, or an empty string for a field the form does not carry.
pub fn value_of(invoice: &Invoice, field: &str) -> String {
    match field {
        "issue_date" => invoice.issue_date.clone(),
        "invoice_code" => invoice.invoice_code.clone(),
        "invoice_number" => invoice.invoice_number.clone(),
        "machine_number" => invoice.machine_number.clone(),
        "buyer_name" => invoice.buyer_name.clone(),
        "buyer_id" => invoice.buyer_id.clone(),
        "vehicle_type" => invoice.vehicle_type.clone(),
        "brand_model" => invoice.brand_model.clone(),
        "origin" => invoice.origin.clone(),
        "certificate_number" => invoice.certificate_number.clone(),
        "import_certificate_number" => invoice.import_certificate_number.clone(),
        "inspection_number" => invoice.inspection_number.clone(),
        "engine_number" => invoice.engine_number.clone(),
        "vin" => invoice.vin.clone(),
        "total_amount_uppercase" => invoice.total_amount_uppercase.clone(),
        "total_amount" => format_fen_with_sign(invoice.total_amount),
        "seller_name" => invoice.seller_name.clone(),
        "seller_phone" => invoice.seller_phone.clone(),
        "seller_tax_id" => invoice.seller_tax_id.clone(),
        "seller_account" => invoice.seller_account.clone(),
        "seller_address" => invoice.seller_address.clone(),
        "seller_bank" => invoice.seller_bank.clone(),
        "vat_rate" => rate_as_percent(&invoice.vat_rate),
        "vat_amount" => format_fen_with_sign(invoice.vat_amount),
        "tax_authority" => join_nonempty(&invoice.tax_authority_name, &invoice.tax_authority_code),
        "price_excluding_vat" => format_fen_with_sign(invoice.price_excluding_vat),
        "tax_payment_voucher_number" => invoice.tax_payment_voucher_number.clone(),
        "tonnage" => invoice.tonnage.clone(),
        "seating_capacity" => invoice.seating_capacity.map(|seats| seats.to_string()).unwrap_or_default(),
        "remarks" => remarks(invoice),
        "issuer" => invoice.issuer.clone(),
        _ => String::new(),
    }
}

/// A credit (红字) invoice must name the invoice it reverses in its remarks.
fn remarks(invoice: &Invoice) -> String {
    if invoice.kind != InvoiceKind::Credit || invoice.original_invoice_number.is_empty() {
        return invoice.remarks.clone();
    }
    let reference = format!("对应正数发票代码:{}号码:{}", invoice.original_invoice_code, invoice.original_invoice_number);
    join_nonempty(&reference, &invoice.remarks)
}

fn join_nonempty(first: &str, second: &str) -> String {
    match (first.is_empty(), second.is_empty()) {
        (false, false) => format!("{first} {second}"),
        (false, true) => first.to_string(),
        _ => second.to_string(),
    }
}

/// Turns a decimal rate such as `"0.13"` into `"13%"` without floating point. A string that is
/// not a decimal fraction is printed as it is.
pub fn rate_as_percent(rate: &str) -> String {
    let Some((whole, fraction)) = rate.split_once('.') else { return rate.to_string() };
    if whole.is_empty() || !whole.bytes().chain(fraction.bytes()).all(|byte| byte.is_ascii_digit()) {
        return rate.to_string();
    }
    let padded = format!("{fraction:0<2}");
    let (percent_fraction_head, rest) = padded.split_at(2);
    let percent: u64 = match (whole.parse::<u64>(), percent_fraction_head.parse::<u64>()) {
        (Ok(whole), Ok(head)) => whole * 100 + head,
        _ => return rate.to_string(),
    };
    let rest = rest.trim_end_matches('0');
    if rest.is_empty() { format!("{percent}%") } else { format!("{percent}.{rest}%") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_as_percent_examples() {
        assert_eq!(rate_as_percent("0.13"), "13%");
        assert_eq!(rate_as_percent("0.17"), "17%");
        assert_eq!(rate_as_percent("0.03"), "3%");
        assert_eq!(rate_as_percent("0.165"), "16.5%");
        assert_eq!(rate_as_percent("1"), "1");
    }

    #[test]
    fn cells_stay_inside_table() {
        for cell in CELLS {
            assert!(cell.label_area.x_mm >= TABLE_LEFT_MM, "{}", cell.field);
            assert!(cell.value_area.x_mm + cell.value_area.width_mm <= TABLE_RIGHT_MM + 1e-9, "{}", cell.field);
        }
    }
}
