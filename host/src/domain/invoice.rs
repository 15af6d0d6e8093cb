//! The invoice record, the draft a clerk submits, and the checks that turn a draft into an issuable one.
//!
//! Checks here are national rules (field formats, GB 16735 VIN, identifier checksums, amount arithmetic).
//! Policy that depends on date or place (which VAT rate applies) is passed in by the caller.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::UserFacing;
use super::identifiers::check_buyer_id;
use super::money::Fen;
use super::uppercase::amount_in_words;
use super::vat::{VatRate, split_total};
use super::vin::Vin;

/// Maximum length of a free-text field, in characters. The printed boxes fit far less.
pub const MAX_TEXT_CHARS: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceKind {
    Normal,
    Credit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    Issued,
    Voided,
    Credited,
}

impl InvoiceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceKind::Normal => "normal",
            InvoiceKind::Credit => "credit",
        }
    }

    pub fn parse(text: &str) -> Option<InvoiceKind> {
        match text {
            "normal" => Some(InvoiceKind::Normal),
            "credit" => Some(InvoiceKind::Credit),
            _ => None,
        }
    }
}

impl InvoiceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Issued => "issued",
            InvoiceStatus::Voided => "voided",
            InvoiceStatus::Credited => "credited",
        }
    }

    pub fn parse(text: &str) -> Option<InvoiceStatus> {
        match text {
            "issued" => Some(InvoiceStatus::Issued),
            "voided" => Some(InvoiceStatus::Voided),
            "credited" => Some(InvoiceStatus::Credited),
            _ => None,
        }
    }
}

/// How much a finding matters: errors block issuing, warnings are shown, flags are kept for officers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingLevel {
    Error,
    Warning,
    Flag,
}

/// One result of checking a draft, in the shape of the API's error body.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub level: FindingLevel,
    pub code: String,
    pub field: Option<String>,
    pub message: String,
}

impl Finding {
    pub fn error(field: &str, code: &str, message: impl Into<String>) -> Finding {
        Finding { level: FindingLevel::Error, code: code.to_string(), field: Some(field.to_string()), message: message.into() }
    }

    pub fn warning(field: &str, code: &str, message: impl Into<String>) -> Finding {
        Finding { level: FindingLevel::Warning, code: code.to_string(), field: Some(field.to_string()), message: message.into() }
    }

    fn from_problem(level: FindingLevel, field: &str, problem: &dyn UserFacing) -> Finding {
        Finding { level, code: problem.code().to_string(), field: Some(field.to_string()), message: problem.message_zh() }
    }
}

/// A clerk's draft of a normal invoice as received, with text not yet checked.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceDraft {
    pub buyer_name: String,
    pub buyer_id: String,
    pub vehicle_type: String,
    pub brand_model: String,
    pub origin: String,
    pub certificate_number: String,
    pub import_certificate_number: String,
    pub inspection_number: String,
    pub engine_number: String,
    pub vin: String,
    pub total_amount: String,
    pub tonnage: String,
    pub seating_capacity: Option<i64>,
    pub tax_payment_voucher_number: String,
    pub remarks: String,
}

/// The fields a draft may carry, in the order the form prints them.
pub const DRAFT_FIELDS: &[&str] = &[
    "buyer_name",
    "buyer_id",
    "vehicle_type",
    "brand_model",
    "origin",
    "certificate_number",
    "import_certificate_number",
    "inspection_number",
    "engine_number",
    "vin",
    "total_amount",
    "tonnage",
    "seating_capacity",
    "tax_payment_voucher_number",
    "remarks",
];

/// Returns the Chinese label of a canonical field name, for messages.
pub fn field_label(field: &str) -> &'static str {
    match field {
        "invoice_code" => "发票代码",
        "invoice_number" => "发票号码",
        "issue_date" => "开票日期",
        "buyer_name" => "购买方名称",
        "buyer_id" => "购买方纳税人识别号/统一社会信用代码/身份证明号码",
        "vehicle_type" => "车辆类型",
        "brand_model" => "厂牌型号",
        "origin" => "产地",
        "certificate_number" => "合格证号",
        "import_certificate_number" => "进口证明书号",
        "inspection_number" => "商检单号",
        "engine_number" => "发动机号码",
        "vin" => "车辆识别代号/车架号码",
        "total_amount" => "价税合计",
        "tonnage" => "吨位",
        "seating_capacity" => "限乘人数",
        "tax_payment_voucher_number" => "完税凭证号码",
        "remarks" => "备注",
        "vat_rate" => "增值税税率或征收率",
        _ => "字段",
    }
}

/// Facts the caller decides before checking a draft: the legal date, the rate in force, the cap.
#[derive(Clone, Copy, Debug)]
pub struct DraftContext {
    pub issue_date: NaiveDate,
    pub vat_rate: VatRate,
    pub max_total_amount: Fen,
}

/// A draft that passed every blocking check, with the amounts computed from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatedDraft {
    pub draft: InvoiceDraft,
    pub vin: Vin,
    pub total_amount: Fen,
    pub total_amount_uppercase: String,
    pub vat_rate: VatRate,
    pub vat_amount: Fen,
    pub price_excluding_vat: Fen,
    pub issue_date: NaiveDate,
    /// Warnings and flags; errors never reach a validated draft.
    pub findings: Vec<Finding>,
}

impl InvoiceDraft {
    /// Returns true for an imported vehicle, which is one with an import certificate number.
    pub fn is_imported(&self) -> bool {
        !self.import_certificate_number.trim().is_empty()
    }
}

/// Checks a draft. Returns every blocking finding at once, so a clerk can fix the whole form in one pass.
pub fn validate_draft(draft: InvoiceDraft, context: &DraftContext) -> Result<ValidatedDraft, Vec<Finding>> {
    let mut errors = Vec::new();
    let mut notes = Vec::new();

    check_text_fields(&draft, &mut errors);

    let vin = check_vin(&draft, context.issue_date, &mut errors, &mut notes);

    match check_buyer_id(draft.buyer_id.trim(), context.issue_date) {
        Ok(check) => {
            for warning in &check.warnings {
                notes.push(Finding::from_problem(FindingLevel::Warning, "buyer_id", warning));
            }
        }
        Err(problem) if !draft.buyer_id.trim().is_empty() => {
            errors.push(Finding::from_problem(FindingLevel::Error, "buyer_id", &problem));
        }
        Err(_) => {}
    }

    let total_amount = check_total_amount(&draft.total_amount, context.max_total_amount, &mut errors);
    check_tonnage(&draft.tonnage, &mut errors);
    check_seating_capacity(draft.seating_capacity, &mut errors);

    let (Some(vin), Some(total_amount), true) = (vin, total_amount, errors.is_empty()) else {
        return Err(errors);
    };

    let split = split_total(total_amount, context.vat_rate);
    Ok(ValidatedDraft {
        vin,
        total_amount,
        total_amount_uppercase: amount_in_words(total_amount),
        vat_rate: context.vat_rate,
        vat_amount: split.vat_amount,
        price_excluding_vat: split.price_excluding_vat,
        issue_date: context.issue_date,
        findings: notes,
        draft: trimmed(draft),
    })
}

const REQUIRED_TEXT: &[&str] = &[
    "buyer_name",
    "buyer_id",
    "vehicle_type",
    "brand_model",
    "origin",
    "certificate_number",
    "engine_number",
    "vin",
    "total_amount",
];

fn text_of<'a>(draft: &'a InvoiceDraft, field: &str) -> &'a str {
    match field {
        "buyer_name" => &draft.buyer_name,
        "buyer_id" => &draft.buyer_id,
        "vehicle_type" => &draft.vehicle_type,
        "brand_model" => &draft.brand_model,
        "origin" => &draft.origin,
        "certificate_number" => &draft.certificate_number,
        "import_certificate_number" => &draft.import_certificate_number,
        "inspection_number" => &draft.inspection_number,
        "engine_number" => &draft.engine_number,
        "vin" => &draft.vin,
        "total_amount" => &draft.total_amount,
        "tonnage" => &draft.tonnage,
        "tax_payment_voucher_number" => &draft.tax_payment_voucher_number,
        "remarks" => &draft.remarks,
        _ => "",
    }
}

fn check_text_fields(draft: &InvoiceDraft, errors: &mut Vec<Finding>) {
    for field in DRAFT_FIELDS {
        let value = text_of(draft, field);
        if REQUIRED_TEXT.contains(field) && value.trim().is_empty() {
            errors.push(Finding::error(
                field,
                "field_required",
                format!("{}不能为空，请填写后再开具", field_label(field)),
            ));
            continue;
        }
        let length = value.chars().count();
        if length > MAX_TEXT_CHARS {
            errors.push(Finding::error(
                field,
                "field_too_long",
                format!("{}过长（{length} 个字符），最多 {MAX_TEXT_CHARS} 个字符，请删减", field_label(field)),
            ));
        }
        if value.chars().any(char::is_control) {
            errors.push(Finding::error(
                field,
                "field_control_character",
                format!("{}含有换行或控制字符，请删除后再提交", field_label(field)),
            ));
        }
    }
}

/// Applies GB 16735. An imported vehicle may carry a foreign VIN without a valid check digit, so there
/// the check digit is a warning rather than a rejection.
fn check_vin(draft: &InvoiceDraft, issue_date: NaiveDate, errors: &mut Vec<Finding>, notes: &mut Vec<Finding>) -> Option<Vin> {
    let text = draft.vin.trim();
    if text.is_empty() {
        return None;
    }

    let vin = match Vin::parse(text) {
        Ok(vin) => vin,
        Err(problem) if problem.code() == "vin_check_digit_invalid" && draft.is_imported() => {
            notes.push(Finding::from_problem(FindingLevel::Warning, "vin", &problem));
            match Vin::parse_ignoring_check_digit(text) {
                Ok(vin) => vin,
                Err(other) => {
                    errors.push(Finding::from_problem(FindingLevel::Error, "vin", &other));
                    return None;
                }
            }
        }
        Err(problem) => {
            errors.push(Finding::from_problem(FindingLevel::Error, "vin", &problem));
            return None;
        }
    };

    if !vin.model_year_plausible(issue_date) {
        let [first, second] = vin.model_years();
        notes.push(Finding::warning(
            "vin",
            "vin_model_year_implausible",
            format!(
                "车辆识别代号第10位年份代码表示 {first} 或 {second} 年款，与开票日期 {issue_date} 不符，请核对车辆合格证"
            ),
        ));
    }
    Some(vin)
}

fn check_total_amount(text: &str, cap: Fen, errors: &mut Vec<Finding>) -> Option<Fen> {
    if text.trim().is_empty() {
        return None;
    }
    let amount = match Fen::parse(text) {
        Ok(amount) => amount,
        Err(problem) => {
            errors.push(Finding::from_problem(FindingLevel::Error, "total_amount", &problem));
            return None;
        }
    };
    if amount <= Fen(0) {
        errors.push(Finding::error(
            "total_amount",
            "total_amount_not_positive",
            format!("价税合计必须大于 0，实际为 {amount}；退货或折让请对原发票开具红字发票"),
        ));
        return None;
    }
    if amount > cap {
        errors.push(Finding::error(
            "total_amount",
            "total_amount_above_cap",
            format!("价税合计 {amount} 超过单张发票限额 {cap}，请核对金额或联系主管税务机关"),
        ));
        return None;
    }
    Some(amount)
}

/// Checks 吨位: a positive decimal with up to three places (tonnes to the kilogram), or blank.
fn check_tonnage(text: &str, errors: &mut Vec<Finding>) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    let valid = !whole.is_empty()
        && whole.len() <= 4
        && digits_only(whole)
        && fraction.len() <= 3
        && digits_only(fraction)
        && !(text.contains('.') && fraction.is_empty())
        && text.chars().any(|c| c.is_ascii_digit() && c != '0');
    if !valid {
        errors.push(Finding::error(
            "tonnage",
            "tonnage_invalid",
            format!("吨位“{text}”格式不正确，应为大于 0 的数字，最多三位小数，例如 1.495；轿车可留空"),
        ));
    }
}

fn check_seating_capacity(value: Option<i64>, errors: &mut Vec<Finding>) {
    if let Some(seats) = value
        && !(1..=99).contains(&seats)
    {
        errors.push(Finding::error(
            "seating_capacity",
            "seating_capacity_invalid",
            format!("限乘人数 {seats} 不在 1 至 99 之间，请按车辆合格证填写"),
        ));
    }
}

fn trimmed(draft: InvoiceDraft) -> InvoiceDraft {
    InvoiceDraft {
        buyer_name: draft.buyer_name.trim().to_string(),
        buyer_id: draft.buyer_id.trim().to_string(),
        vehicle_type: draft.vehicle_type.trim().to_string(),
        brand_model: draft.brand_model.trim().to_string(),
        origin: draft.origin.trim().to_string(),
        certificate_number: draft.certificate_number.trim().to_string(),
        import_certificate_number: draft.import_certificate_number.trim().to_string(),
        inspection_number: draft.inspection_number.trim().to_string(),
        engine_number: draft.engine_number.trim().to_string(),
        vin: draft.vin.trim().to_string(),
        total_amount: draft.total_amount.trim().to_string(),
        tonnage: draft.tonnage.trim().to_string(),
        seating_capacity: draft.seating_capacity,
        tax_payment_voucher_number: draft.tax_payment_voucher_number.trim().to_string(),
        remarks: draft.remarks.trim().to_string(),
    }
}

/// A stored invoice: every printed field plus the bookkeeping the system keeps. Its serialised form is
/// what the ledger hashes, so every stored column is a field here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub invoice_code: String,
    pub invoice_number: String,
    pub kind: InvoiceKind,
    pub status: InvoiceStatus,
    pub issue_date: NaiveDate,
    pub issued_at: String,
    pub machine_number: String,
    pub dealer_id: String,
    pub prefecture_code: String,
    pub range_id: i64,
    pub buyer_name: String,
    pub buyer_id: String,
    pub vehicle_type: String,
    pub brand_model: String,
    /// 品牌, derived from `brand_model` by [`brand_of`] at issue; reports group by it. Ledger
    /// entries written before it existed lack it, hence the default.
    #[serde(default)]
    pub brand: String,
    pub origin: String,
    pub certificate_number: String,
    pub import_certificate_number: String,
    pub inspection_number: String,
    pub engine_number: String,
    pub vin: String,
    pub total_amount: Fen,
    pub total_amount_uppercase: String,
    pub vat_rate: VatRate,
    pub vat_amount: Fen,
    pub price_excluding_vat: Fen,
    /// 车辆购置税应纳税额 that the prefecture's `purchase_tax` rule computed at issue; negative on
    /// credit invoices. Not printed on the invoice.
    #[serde(default)]
    pub purchase_tax: Fen,
    pub seller_name: String,
    pub seller_tax_id: String,
    pub seller_phone: String,
    pub seller_address: String,
    pub seller_bank: String,
    pub seller_account: String,
    pub tax_authority_name: String,
    pub tax_authority_code: String,
    pub tax_payment_voucher_number: String,
    pub tonnage: String,
    pub seating_capacity: Option<i64>,
    pub issuer: String,
    pub issuer_username: String,
    pub remarks: String,
    pub original_invoice_code: String,
    pub original_invoice_number: String,
    pub credit_invoice_code: String,
    pub credit_invoice_number: String,
    pub voided_at: String,
    pub findings: Vec<Finding>,
}

impl Invoice {
    /// Returns the ledger key of this invoice.
    pub fn entity_key(&self) -> String {
        invoice_entity_key(&self.invoice_code, &self.invoice_number)
    }
}

/// Returns the brand (品牌) of a 厂牌型号: the text before 牌 ("大众汽车牌SVW71617BM" gives
/// "大众汽车"), or without 牌 the text before the first space ("一汽-大众 FV7152BAMBG" gives
/// "一汽-大众"). Migration 0006 applies the same rule in SQL to rows stored before it.
pub fn brand_of(brand_model: &str) -> String {
    let trimmed = brand_model.trim_matches(' ');
    if let Some(end) = trimmed.find('牌') {
        return trimmed[..end].trim_matches(' ').to_string();
    }
    match trimmed.find(' ') {
        Some(end) => trimmed[..end].to_string(),
        None => trimmed.to_string(),
    }
}

pub fn invoice_entity_key(invoice_code: &str, invoice_number: &str) -> String {
    format!("invoice:{invoice_code}/{invoice_number}")
}

/// Formats an 8-digit paper invoice number, keeping leading zeros.
pub fn format_invoice_number(number: i64) -> String {
    format!("{number:08}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brand_of_takes_text_before_pai() {
        let cases = [
            ("大众汽车牌SVW71617BM", "大众汽车"),
            ("东风日产牌 DFL7168VAL2", "东风日产"),
            (" 比亚迪牌BYD7005BEV", "比亚迪"),
            ("一汽-大众 FV7152BAMBG", "一汽-大众"),
            ("MCI coach", "MCI"),
            ("FV7152BAMBG", "FV7152BAMBG"),
            ("", ""),
        ];
        for (brand_model, brand) in cases {
            assert_eq!(brand_of(brand_model), brand, "{brand_model}");
        }
    }

    fn context() -> DraftContext {
        DraftContext {
            issue_date: NaiveDate::from_ymd_opt(2017, 7, 19).unwrap(),
            vat_rate: VatRate::from_basis_points(1700).unwrap(),
            max_total_amount: Fen::parse("10000000.00").unwrap(),
        }
    }

    fn sample_b() -> InvoiceDraft {
        InvoiceDraft {
            buyer_name: "张三".into(),
            buyer_id: "11010519491231002X".into(),
            vehicle_type: "轿车".into(),
            brand_model: "一汽-大众 FV7152BAMBG".into(),
            origin: "长春市".into(),
            certificate_number: "WAB011715201804".into(),
            engine_number: "144878".into(),
            vin: "LFV2A1151H3201804".into(),
            total_amount: "99000.00".into(),
            seating_capacity: Some(5),
            ..InvoiceDraft::default()
        }
    }

    fn codes(findings: &[Finding]) -> Vec<&str> {
        findings.iter().map(|finding| finding.code.as_str()).collect()
    }

    #[test]
    fn draft_sample_b_reproduces_printed_figures() {
        let validated = validate_draft(sample_b(), &context()).unwrap();
        assert_eq!(validated.price_excluding_vat.to_string(), "84615.38");
        assert_eq!(validated.vat_amount.to_string(), "14384.62");
        assert_eq!(validated.total_amount_uppercase, "玖万玖仟圆整");
        assert!(validated.findings.is_empty(), "{:?}", validated.findings);
    }

    #[test]
    fn draft_reports_every_error_at_once() {
        let draft = InvoiceDraft { buyer_name: " ".into(), vin: "LFV2A1151H3201805".into(), total_amount: "1.234".into(), ..sample_b() };
        let errors = validate_draft(draft, &context()).unwrap_err();
        assert_eq!(codes(&errors), ["field_required", "vin_check_digit_invalid", "amount_too_many_decimals"]);
        assert_eq!(errors[0].field.as_deref(), Some("buyer_name"));
        assert_eq!(errors[1].field.as_deref(), Some("vin"));
        assert_eq!(errors[2].field.as_deref(), Some("total_amount"));
    }

    #[test]
    fn draft_rejects_non_positive_and_capped_totals() {
        for (total, code) in [("0.00", "total_amount_not_positive"), ("-5.00", "total_amount_not_positive"), ("10000000.01", "total_amount_above_cap")] {
            let draft = InvoiceDraft { total_amount: total.into(), ..sample_b() };
            let errors = validate_draft(draft, &context()).unwrap_err();
            assert_eq!(codes(&errors), [code], "total {total}");
        }
    }

    #[test]
    fn draft_import_with_bad_check_digit_is_warning() {
        let draft = InvoiceDraft {
            vin: "W0L000051H2123456".into(),
            import_certificate_number: "IC2017000001".into(),
            inspection_number: "SJ2017000001".into(),
            ..sample_b()
        };
        let validated = validate_draft(draft.clone(), &context()).unwrap();
        assert_eq!(codes(&validated.findings), ["vin_check_digit_invalid"]);
        assert_eq!(validated.findings[0].level, FindingLevel::Warning);

        let domestic = InvoiceDraft { import_certificate_number: String::new(), ..draft };
        assert_eq!(codes(&validate_draft(domestic, &context()).unwrap_err()), ["vin_check_digit_invalid"]);
    }

    #[test]
    fn draft_rejects_bad_tonnage_and_seats() {
        for tonnage in ["abc", "0", "1.2345", "1.", "-1"] {
            let draft = InvoiceDraft { tonnage: tonnage.into(), ..sample_b() };
            assert_eq!(codes(&validate_draft(draft, &context()).unwrap_err()), ["tonnage_invalid"], "tonnage {tonnage}");
        }
        for tonnage in ["1.495", "30", "0.5"] {
            let draft = InvoiceDraft { tonnage: tonnage.into(), ..sample_b() };
            assert!(validate_draft(draft, &context()).is_ok(), "tonnage {tonnage}");
        }
        let draft = InvoiceDraft { seating_capacity: Some(0), ..sample_b() };
        assert_eq!(codes(&validate_draft(draft, &context()).unwrap_err()), ["seating_capacity_invalid"]);
    }

    #[test]
    fn draft_rejects_control_characters() {
        let draft = InvoiceDraft { remarks: "第一行\n第二行".into(), ..sample_b() };
        assert_eq!(codes(&validate_draft(draft, &context()).unwrap_err()), ["field_control_character"]);
    }

    #[test]
    fn draft_warns_on_implausible_model_year() {
        let late = DraftContext { issue_date: NaiveDate::from_ymd_opt(2009, 1, 5).unwrap(), ..context() };
        let validated = validate_draft(sample_b(), &late).unwrap();
        assert_eq!(codes(&validated.findings), ["vin_model_year_implausible"]);
    }
}
