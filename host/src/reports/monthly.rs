//! The monthly report: one row per calendar month and value of one dimension, with the change of
//! 价税合计 against the previous month. Whole months come from `invoice_monthly_totals`, the days of
//! a partial first or last month from `invoice_daily_totals`.
//!
//! Counting: a normal invoice counts in `invoice_count` in the month of its issue date, also after
//! it is credited. A credit (红字) invoice counts in `credit_count` in its own month, with its
//! negative amounts. A voided invoice counts nowhere. `net_count` is the difference.

use std::collections::{BTreeMap, HashMap};

use chrono::{Datelike, Months, NaiveDate};
use sqlx::{AnyPool, Row};

use super::ReportError;
use super::table::{Cell, Column, ColumnKind, ReportTable};
use crate::domain::money::Fen;
use crate::domain::rejection::Rejection;
use crate::issuing::{Actor, InvoiceScope, invoice_scope};
use crate::store::prefectures::PROVINCE_CODE;

/// Grouping of a monthly report's rows, besides the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dimension {
    Prefecture,
    Dealer,
    Brand,
    VehicleType,
}

impl Dimension {
    pub const ALL: [Dimension; 4] = [Dimension::Prefecture, Dimension::Dealer, Dimension::Brand, Dimension::VehicleType];

    pub fn parse(text: &str) -> Option<Dimension> {
        Dimension::ALL.into_iter().find(|dimension| dimension.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Dimension::Prefecture => "prefecture",
            Dimension::Dealer => "dealer",
            Dimension::Brand => "brand",
            Dimension::VehicleType => "vehicle_type",
        }
    }

    /// Chinese name, for titles and the page's selector.
    pub fn label(self) -> &'static str {
        match self {
            Dimension::Prefecture => "地市",
            Dimension::Dealer => "销货单位",
            Dimension::Brand => "品牌",
            Dimension::VehicleType => "车辆类型",
        }
    }

    /// Returns the column of the totals tables that contains the dimension's value.
    fn key_column(self) -> &'static str {
        match self {
            Dimension::Prefecture => "prefecture_code",
            Dimension::Dealer => "dealer_id",
            Dimension::Brand => "brand",
            Dimension::VehicleType => "vehicle_type",
        }
    }

    /// Returns the report's key column, and the name column for dimensions whose key is a code.
    fn columns(self) -> Vec<Column> {
        let text = |name, label| Column { name, label, kind: ColumnKind::Text };
        match self {
            Dimension::Prefecture => vec![text("prefecture_code", "地市代码"), text("prefecture_name", "地市")],
            Dimension::Dealer => vec![text("dealer_id", "销货单位编号"), text("dealer_name", "销货单位名称")],
            Dimension::Brand => vec![text("brand", "品牌")],
            Dimension::VehicleType => vec![text("vehicle_type", "车辆类型")],
        }
    }
}

/// The invoices a report may cover, from the caller's role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReportScope {
    /// Every prefecture, or the one named.
    Province { prefecture_code: Option<String> },
    Prefecture(String),
    Dealer(String),
}

impl ReportScope {
    /// Returns the prefecture code of the report's header: 420000 for the whole province.
    fn prefecture_code(&self) -> String {
        match self {
            ReportScope::Province { prefecture_code: Some(code) } | ReportScope::Prefecture(code) => code.clone(),
            ReportScope::Province { prefecture_code: None } | ReportScope::Dealer(_) => PROVINCE_CODE.to_string(),
        }
    }
}

/// Resolves the scope of a report for `actor`, who requested `prefecture` (or every prefecture in
/// the scope). A prefecture outside the actor's own is a 403, not an empty report.
pub fn report_scope(actor: &Actor, prefecture: Option<&str>) -> Result<ReportScope, Rejection> {
    let prefecture = prefecture.filter(|code| *code != PROVINCE_CODE);
    let outside = |code: &str| {
        Rejection::new(403, "outside_scope", Some("prefecture"), format!("地市 {code} 不在您的查询范围内，只能统计本人所属地市的发票"))
    };
    match invoice_scope(actor) {
        InvoiceScope::All => Ok(ReportScope::Province { prefecture_code: prefecture.map(str::to_string) }),
        InvoiceScope::Prefecture(own) => match prefecture {
            Some(code) if code != own => Err(outside(code)),
            _ => Ok(ReportScope::Prefecture(own)),
        },
        InvoiceScope::Dealer(dealer_id) => match prefecture {
            Some(code) => Err(outside(code)),
            None => Ok(ReportScope::Dealer(dealer_id)),
        },
        InvoiceScope::Nothing => Err(Rejection::new(403, "role_not_allowed", None, "当前账号没有所属地市或销货单位，不能查看统计报表；请联系管理员")),
    }
}

/// A request for a monthly report, with checked dates.
#[derive(Clone, Debug)]
pub struct MonthlyRequest {
    pub dimension: Dimension,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub scope: ReportScope,
}

/// Maximum rows of a report. A range of many years by dealer can exceed it, and the caller then
/// gets a 413 whose message names a shorter range or one prefecture as the fix.
pub const MAX_REPORT_ROWS: usize = 20_000;

/// Sums of one month and dimension value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Figures {
    invoice_count: i64,
    credit_count: i64,
    total_amount: i64,
    vat_amount: i64,
    price_excluding_vat: i64,
    purchase_tax: i64,
}

impl Figures {
    fn add(&mut self, other: &Figures) {
        self.invoice_count += other.invoice_count;
        self.credit_count += other.credit_count;
        self.total_amount += other.total_amount;
        self.vat_amount += other.vat_amount;
        self.price_excluding_vat += other.price_excluding_vat;
        self.purchase_tax += other.purchase_tax;
    }

    fn cells(&self) -> [Cell; 7] {
        [
            Cell::Integer(self.invoice_count),
            Cell::Integer(self.credit_count),
            Cell::Integer(self.invoice_count - self.credit_count),
            Cell::Amount(Fen(self.total_amount)),
            Cell::Amount(Fen(self.vat_amount)),
            Cell::Amount(Fen(self.price_excluding_vat)),
            Cell::Amount(Fen(self.purchase_tax)),
        ]
    }
}

/// Builds the monthly report. Each month's figures cover only the days of [from, to]; the change
/// of the first month is against the whole previous calendar month.
pub async fn monthly_report(pool: &AnyPool, request: &MonthlyRequest, generated_at: String) -> Result<ReportTable, ReportError> {
    let sums = read_sums(pool, request).await?;
    let first_month_key = month_key(request.from.with_day(1).expect("day 1 exists"));
    let row_count = sums.keys().filter(|(month, _)| *month >= first_month_key).count();
    if row_count > MAX_REPORT_ROWS {
        return Err(Rejection::new(
            413,
            "report_too_large",
            Some("from"),
            format!("报表共 {row_count} 行，超过上限 {MAX_REPORT_ROWS} 行；请缩短起止日期或选择一个地市"),
        )
        .into());
    }
    let names = read_names(pool, request.dimension).await?;

    let mut columns = vec![Column { name: "month", label: "月份", kind: ColumnKind::Text }];
    columns.extend(request.dimension.columns());
    columns.extend([
        Column { name: "invoice_count", label: "开具张数", kind: ColumnKind::Integer },
        Column { name: "credit_count", label: "红字张数", kind: ColumnKind::Integer },
        Column { name: "net_count", label: "净销量（辆）", kind: ColumnKind::Integer },
        Column { name: "total_amount", label: "价税合计", kind: ColumnKind::Amount },
        Column { name: "vat_amount", label: "增值税税额", kind: ColumnKind::Amount },
        Column { name: "price_excluding_vat", label: "不含税价", kind: ColumnKind::Amount },
        Column { name: "purchase_tax", label: "车辆购置税", kind: ColumnKind::Amount },
        Column { name: "total_amount_change", label: "价税合计环比", kind: ColumnKind::Rate },
    ]);

    let mut rows = Vec::with_capacity(row_count);
    let mut totals = Figures::default();
    for ((month, key), figures) in sums.range((first_month_key.clone(), String::new())..) {
        let previous = previous_month_key(month).and_then(|previous| sums.get(&(previous, key.clone())));
        let mut row = vec![Cell::Text(month.clone()), Cell::Text(key.clone())];
        if let Some(names) = &names {
            row.push(Cell::Text(names.get(key).cloned().unwrap_or_default()));
        }
        row.extend(figures.cells());
        row.push(previous.and_then(|previous| change_ratio(figures.total_amount, previous.total_amount)).map_or(Cell::Empty, Cell::Rate));
        totals.add(figures);
        rows.push(row);
    }

    let mut totals_row = vec![Cell::Text("合计".to_string()), Cell::Empty];
    if names.is_some() {
        totals_row.push(Cell::Empty);
    }
    totals_row.extend(totals.cells());
    totals_row.push(Cell::Empty);

    Ok(ReportTable {
        report_id: format!("monthly-{}", request.dimension.as_str()),
        title: format!("机动车销售统一发票月度统计（按{}）", request.dimension.label()),
        prefecture_code: request.scope.prefecture_code(),
        period_from: request.from.to_string(),
        period_to: request.to.to_string(),
        generated_at,
        columns,
        rows,
        totals: Some(totals_row),
    })
}

fn month_key(date: NaiveDate) -> String {
    date.format("%Y-%m").to_string()
}

fn previous_month_key(month: &str) -> Option<String> {
    let first_day = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    Some(month_key(first_day - Months::new(1)))
}

/// Returns (current - previous) / |previous| as a decimal string with four places, rounded half away
/// from zero ("0.2500" is +25 %), or `None` when the previous month is zero.
pub fn change_ratio(current: i64, previous: i64) -> Option<String> {
    if previous == 0 {
        return None;
    }
    let scaled = (i128::from(current) - i128::from(previous)) * 10_000;
    let divisor = i128::from(previous).abs();
    let magnitude = (scaled.abs() + divisor / 2) / divisor;
    let sign = if scaled < 0 && magnitude != 0 { "-" } else { "" };
    Some(format!("{sign}{}.{:04}", magnitude / 10_000, magnitude % 10_000))
}

/// A part of the requested range and the table that covers it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Segment {
    /// Whole months, first to last (`YYYY-MM`), from `invoice_monthly_totals`.
    Months(String, String),
    /// Days of one partial month, from `invoice_daily_totals`.
    Days(NaiveDate, NaiveDate),
}

/// Splits [from, to] into whole months and the partial first and last months, so that at most
/// two months are read day by day. The whole month before `from`'s month comes first, as the
/// baseline of the first month's change.
fn segments(from: NaiveDate, to: NaiveDate) -> Vec<Segment> {
    let first_month = from.with_day(1).expect("day 1 exists");
    let baseline = month_key(first_month - Months::new(1));
    let mut segments = vec![Segment::Months(baseline.clone(), baseline)];

    let mut whole_months: Vec<String> = Vec::new();
    let mut month_start = first_month;
    while month_start <= to {
        let next_month = month_start + Months::new(1);
        let month_end = next_month.pred_opt().expect("a day before the next month exists");
        let (start, end) = (from.max(month_start), to.min(month_end));
        if start == month_start && end == month_end {
            whole_months.push(month_key(month_start));
        } else {
            segments.push(Segment::Days(start, end));
        }
        month_start = next_month;
    }
    if let (Some(first), Some(last)) = (whole_months.first(), whole_months.last()) {
        segments.push(Segment::Months(first.clone(), last.clone()));
    }
    segments
}

/// Reads the sums per (month, dimension value) of every segment of [from, to] and of the
/// baseline month.
async fn read_sums(pool: &AnyPool, request: &MonthlyRequest) -> Result<BTreeMap<(String, String), Figures>, ReportError> {
    let mut sums = BTreeMap::new();
    for segment in segments(request.from, request.to) {
        read_segment(pool, request, &segment, &mut sums).await?;
    }
    Ok(sums)
}

async fn read_segment(pool: &AnyPool, request: &MonthlyRequest, segment: &Segment, sums: &mut BTreeMap<(String, String), Figures>) -> Result<(), ReportError> {
    let key = request.dimension.key_column();
    let (table, month_expression, date_column, bounds) = match segment {
        Segment::Months(first, last) => ("invoice_monthly_totals", "issue_month", "issue_month", [first.clone(), last.clone()]),
        Segment::Days(first, last) => ("invoice_daily_totals", "substr(issue_date, 1, 7)", "issue_date", [first.to_string(), last.to_string()]),
    };
    let mut values = bounds.to_vec();
    let scope_condition = match &request.scope {
        ReportScope::Province { prefecture_code: None } => String::new(),
        ReportScope::Province { prefecture_code: Some(code) } | ReportScope::Prefecture(code) => {
            values.push(code.clone());
            " AND prefecture_code = $3".to_string()
        }
        ReportScope::Dealer(dealer_id) => {
            values.push(dealer_id.clone());
            " AND dealer_id = $3".to_string()
        }
    };
    // SUM of BIGINT is NUMERIC on PostgreSQL, hence the casts.
    let sql = format!(
        "SELECT {month_expression} AS month, {key} AS dimension_value, \
         CAST(SUM(invoice_count) AS BIGINT) AS invoice_count, CAST(SUM(credit_count) AS BIGINT) AS credit_count, \
         CAST(SUM(total_amount) AS BIGINT) AS total_amount, CAST(SUM(vat_amount) AS BIGINT) AS vat_amount, \
         CAST(SUM(price_excluding_vat) AS BIGINT) AS price_excluding_vat, CAST(SUM(purchase_tax) AS BIGINT) AS purchase_tax \
         FROM {table} \
         WHERE {date_column} >= $1 AND {date_column} <= $2{scope_condition} \
         GROUP BY {month_expression}, {key} \
         HAVING SUM(invoice_count) + SUM(credit_count) > 0"
    );
    let mut query = sqlx::query(&sql);
    for value in values {
        query = query.bind(value);
    }
    for row in query.fetch_all(pool).await? {
        let figures = Figures {
            invoice_count: row.try_get("invoice_count")?,
            credit_count: row.try_get("credit_count")?,
            total_amount: row.try_get("total_amount")?,
            vat_amount: row.try_get("vat_amount")?,
            price_excluding_vat: row.try_get("price_excluding_vat")?,
            purchase_tax: row.try_get("purchase_tax")?,
        };
        let month_and_value = (row.try_get::<String, _>("month")?, row.try_get::<String, _>("dimension_value")?);
        sums.entry(month_and_value).or_insert_with(Figures::default).add(&figures);
    }
    Ok(())
}

/// Returns the names of prefectures or dealers by code, or `None` for dimensions without names.
async fn read_names(pool: &AnyPool, dimension: Dimension) -> Result<Option<HashMap<String, String>>, ReportError> {
    let sql = match dimension {
        Dimension::Prefecture => "SELECT code AS item_key, name FROM prefectures",
        Dimension::Dealer => "SELECT dealer_id AS item_key, name FROM dealers",
        Dimension::Brand | Dimension::VehicleType => return Ok(None),
    };
    let rows = sqlx::query(sql).fetch_all(pool).await?;
    let names = rows.iter().map(|row| Ok((row.try_get("item_key")?, row.try_get("name")?))).collect::<Result<HashMap<String, String>, sqlx::Error>>()?;
    Ok(Some(names))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_ratio_rounds_half_away_from_zero() {
        let cases = [
            (125, 100, Some("0.2500")),
            (75, 100, Some("-0.2500")),
            (0, 100, Some("-1.0000")),
            (1, 3, Some("-0.6667")),
            (2, 3, Some("-0.3333")),
            (-50, -100, Some("0.5000")),
            (300, 100, Some("2.0000")),
            (100, 0, None),
            (100_000_001, 100_000_000, Some("0.0000")),
        ];
        for (current, previous, expected) in cases {
            assert_eq!(change_ratio(current, previous).as_deref(), expected, "{current} vs {previous}");
        }
    }

    #[test]
    fn segments_read_partial_months_by_day() {
        let date = |text: &str| NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap();
        let months = |first: &str, last: &str| Segment::Months(first.to_string(), last.to_string());
        assert_eq!(segments(date("2026-01-01"), date("2026-03-31")), [months("2025-12", "2025-12"), months("2026-01", "2026-03")]);
        assert_eq!(
            segments(date("2026-01-10"), date("2026-03-15")),
            [months("2025-12", "2025-12"), Segment::Days(date("2026-01-10"), date("2026-01-31")), Segment::Days(date("2026-03-01"), date("2026-03-15")), months("2026-02", "2026-02")]
        );
        assert_eq!(segments(date("2026-02-03"), date("2026-02-20")), [months("2026-01", "2026-01"), Segment::Days(date("2026-02-03"), date("2026-02-20"))]);
        assert_eq!(segments(date("2024-02-01"), date("2024-02-29")), [months("2024-01", "2024-01"), months("2024-02", "2024-02")], "leap February is whole");
    }

    #[test]
    fn previous_month_crosses_the_year() {
        assert_eq!(previous_month_key("2026-01").as_deref(), Some("2025-12"));
        assert_eq!(previous_month_key("2026-03").as_deref(), Some("2026-02"));
    }
}
