//! The `ctais-text` file layout: header, trailer and the ordered fields of each record kind.
//! docs/zh-CN/ctais-format.md describes the same tables for the people who write these files.

/// First field of the header line.
pub const MAGIC: &str = "CTAIS-TEXT";
/// Format version this adapter reads and writes.
pub const VERSION: &str = "1";
/// First field of the trailer line; the second is the number of record lines.
pub const TRAILER: &str = "END";
pub const SEPARATOR: char = '|';

/// Type of a field, which decides the checks on its text.
#[derive(Clone, Copy)]
pub enum FieldType {
    /// Free text of at most this many characters.
    Text(usize),
    /// ASCII digits, length within the bounds.
    Digits(usize, usize),
    /// Upper-case ASCII letters and digits, length within the bounds.
    Alphanumeric(usize, usize),
    /// YYYY-MM-DD, a real calendar date.
    Date,
    /// A non-negative whole number that fits in u32.
    Count,
    /// Yuan with exactly two decimals, e.g. `99000.00`; negative on credit invoices.
    Amount,
    /// A non-negative decimal with at most four decimals, e.g. `1.5` or `0.13`.
    Decimal,
    /// One of the listed codes.
    Code(&'static [(&'static str, &'static str)]),
}

/// One field of a record line, in file order.
pub struct Field {
    /// Canonical MVIS field name, reported with a rejected line.
    pub name: &'static str,
    /// Chinese label, used in messages.
    pub label: &'static str,
    pub required: bool,
    pub field_type: FieldType,
}

const fn field(name: &'static str, label: &'static str, required: bool, field_type: FieldType) -> Field {
    Field { name, label, required, field_type }
}

/// Record kind codes in the header, named after the CTAIS table families (DJ_ 登记, FP_ 发票).
pub const TAXPAYERS_KIND: &str = "DJ_NSR";
pub const STOCK_KIND: &str = "FP_FS";
pub const CERTIFICATES_KIND: &str = "HGZ";
pub const INVOICE_EXPORT_KIND: &str = "FP_CGS";

pub const SELLER_KINDS: &[(&str, &str)] = &[("1", "一般纳税人"), ("2", "小规模纳税人")];
pub const REGISTRATION_STATUSES: &[(&str, &str)] = &[("1", "正常"), ("2", "非正常户"), ("3", "注销")];
pub const INVOICE_KINDS: &[(&str, &str)] = &[("0", "蓝字发票"), ("1", "红字发票")];
/// Status codes follow the usual downstream convention 0 正常, 2 作废, 3 红字 (1 失控 is not
/// produced by MVIS).
pub const INVOICE_STATUSES: &[(&str, &str)] = &[("0", "正常"), ("2", "作废"), ("3", "已开红字发票")];

pub const TAXPAYER_FIELDS: &[Field] = &[
    field("taxpayer_id", "纳税人识别号", true, FieldType::Alphanumeric(15, 20)),
    field("name", "纳税人名称", true, FieldType::Text(100)),
    field("seller_kind", "纳税人类型", true, FieldType::Code(SELLER_KINDS)),
    field("status", "登记状态", true, FieldType::Code(REGISTRATION_STATUSES)),
    field("prefecture_code", "地市代码", true, FieldType::Digits(6, 6)),
    field("address", "地址", false, FieldType::Text(100)),
    field("phone", "电话", false, FieldType::Text(40)),
    field("bank", "开户银行", false, FieldType::Text(100)),
    field("account", "账号", false, FieldType::Text(40)),
    field("tax_authority_name", "主管税务机关名称", false, FieldType::Text(100)),
    field("tax_authority_code", "主管税务机关代码", false, FieldType::Digits(1, 11)),
    field("registered_on", "登记日期", true, FieldType::Date),
];

pub const STOCK_FIELDS: &[Field] = &[
    field("invoice_code", "发票代码", true, FieldType::Digits(12, 12)),
    field("start_number", "起始号码", true, FieldType::Digits(8, 8)),
    field("end_number", "终止号码", true, FieldType::Digits(8, 8)),
    field("count", "份数", true, FieldType::Count),
    field("taxpayer_id", "纳税人识别号", true, FieldType::Alphanumeric(15, 20)),
    field("tax_authority_code", "主管税务机关代码", false, FieldType::Digits(1, 11)),
    field("distributed_on", "发售日期", true, FieldType::Date),
    field("clerk", "发售人员", false, FieldType::Text(40)),
];

pub const CERTIFICATE_FIELDS: &[Field] = &[
    field("certificate_number", "合格证号", true, FieldType::Alphanumeric(1, 32)),
    field("vin", "车辆识别代号", true, FieldType::Alphanumeric(17, 17)),
    field("brand_model", "厂牌型号", true, FieldType::Text(100)),
    field("vehicle_type", "车辆类型", true, FieldType::Text(40)),
    field("engine_number", "发动机号码", true, FieldType::Text(40)),
    field("manufacturer_name", "车辆生产企业名称", true, FieldType::Text(100)),
    field("production_date", "制造日期", true, FieldType::Date),
    field("issued_on", "发证日期", true, FieldType::Date),
    field("tonnage", "吨位", false, FieldType::Decimal),
    field("seating_capacity", "限乘人数", false, FieldType::Count),
];

pub const INVOICE_EXPORT_FIELDS: &[Field] = &[
    field("invoice_code", "发票代码", true, FieldType::Digits(12, 12)),
    field("invoice_number", "发票号码", true, FieldType::Digits(8, 8)),
    field("issue_date", "开票日期", true, FieldType::Date),
    field("kind", "发票种类", true, FieldType::Code(INVOICE_KINDS)),
    field("status", "作废标志", true, FieldType::Code(INVOICE_STATUSES)),
    field("seller_tax_id", "销货单位纳税人识别号", true, FieldType::Alphanumeric(15, 20)),
    field("seller_name", "销货单位名称", true, FieldType::Text(100)),
    field("buyer_name", "购买方名称", true, FieldType::Text(100)),
    field("buyer_id", "购买方证件号码", true, FieldType::Text(40)),
    field("vehicle_type", "车辆类型", true, FieldType::Text(40)),
    field("brand_model", "厂牌型号", true, FieldType::Text(100)),
    field("origin", "产地", false, FieldType::Text(40)),
    field("certificate_number", "合格证号", false, FieldType::Text(40)),
    field("import_certificate_number", "进口证明书号", false, FieldType::Text(40)),
    field("inspection_number", "商检单号", false, FieldType::Text(40)),
    field("engine_number", "发动机号码", false, FieldType::Text(40)),
    field("vin", "车辆识别代号", true, FieldType::Alphanumeric(17, 17)),
    field("tonnage", "吨位", false, FieldType::Decimal),
    field("seating_capacity", "限乘人数", false, FieldType::Count),
    field("total_amount", "价税合计", true, FieldType::Amount),
    field("vat_rate", "增值税税率或征收率", true, FieldType::Decimal),
    field("vat_amount", "增值税税额", true, FieldType::Amount),
    field("price_excluding_vat", "不含税价", true, FieldType::Amount),
    field("original_invoice_code", "原发票代码", false, FieldType::Digits(12, 12)),
    field("original_invoice_number", "原发票号码", false, FieldType::Digits(8, 8)),
    field("tax_authority_code", "主管税务机关代码", false, FieldType::Digits(1, 11)),
];
