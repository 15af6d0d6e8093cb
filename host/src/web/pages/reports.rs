//! The 统计报表 page for officers and administrators: the monthly report as a table with a bar
//! chart of 价税合计 drawn on the server as inline SVG, and downloads through the report plugins.

use axum::extract::{Query, State};
use axum::response::Response;

use super::chrome::Chrome;
use super::session::SignedIn;
use super::{PageError, percent_encode, render, with_status};
use crate::issuing::{InvoiceScope, invoice_scope};
use crate::reports::{Cell, Dimension, ReportTable};
use crate::store::prefectures;
use crate::store::users::Role;
use crate::web::AppState;
use crate::web::api::reports::{MonthlyQuery, monthly_response, monthly_table};

/// Formats offered as downloads, with their labels.
const DOWNLOADS: [(&str, &str); 3] = [("csv", "CSV"), ("xlsx", "Excel（XLSX）"), ("html", "HTML 图表")];

/// Chart size in SVG user units.
const CHART_WIDTH: i64 = 760;
const CHART_HEIGHT: i64 = 260;
const CHART_LEFT: i64 = 90;
const CHART_TOP: i64 = 20;
const CHART_BOTTOM: i64 = 40;

pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub struct Download {
    pub href: String,
    pub label: &'static str,
}

/// One bar of the chart, in SVG user units.
pub struct Bar {
    pub x: i64,
    pub y: i64,
    pub width: i64,
    pub height: i64,
    pub label_x: i64,
    pub month: String,
    pub value: String,
}

#[derive(askama::Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    chrome: Chrome,
    from: String,
    to: String,
    dimensions: Vec<Choice>,
    prefectures: Vec<Choice>,
    prefecture_fixed: String,
    error: String,
    headers: Vec<String>,
    /// Cells as display text, and whether each is right-aligned (numbers).
    rows: Vec<Vec<(String, bool)>>,
    totals: Vec<(String, bool)>,
    downloads: Vec<Download>,
    bars: Vec<Bar>,
    chart_width: i64,
    chart_height: i64,
    axis_y: i64,
    axis_label_max: String,
    axis_label_min: String,
}

fn cell_text(cell: &Cell) -> (String, bool) {
    match cell {
        Cell::Empty => (String::new(), false),
        Cell::Text(text) | Cell::Date(text) => (text.clone(), false),
        Cell::Integer(number) => (number.to_string(), true),
        Cell::Amount(fen) => (fen.to_string(), true),
        Cell::Rate(rate) => (percent_text(rate), true),
    }
}

/// Shows a decimal ratio such as "0.2500" as "+25.00%".
fn percent_text(rate: &str) -> String {
    let negative = rate.starts_with('-');
    let digits: String = rate.trim_start_matches('-').chars().filter(char::is_ascii_digit).collect();
    let Ok(basis_points) = digits.parse::<i64>() else { return rate.to_string() };
    let sign = if negative { "-" } else { "+" };
    format!("{sign}{}.{:02}%", basis_points / 100, basis_points % 100)
}

/// Formats fen as 万元 with two decimals, for the chart's labels.
fn ten_thousand_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    // 1 万元 is 1,000,000 fen, so a hundredth of it is 10,000 fen.
    let hundredths = (fen.unsigned_abs() + 5_000) / 10_000;
    format!("{sign}{}.{:02} 万元", hundredths / 100, hundredths % 100)
}

/// Sums 价税合计 per month over the dimension's values and lays the months out as bars.
fn chart(table: &ReportTable) -> (Vec<Bar>, i64, i64, i64) {
    let amount_index = table.columns.iter().position(|column| column.name == "total_amount");
    let mut months: Vec<(String, i64)> = Vec::new();
    for row in &table.rows {
        let (Some(Cell::Text(month)), Some(Cell::Amount(fen))) = (row.first(), amount_index.and_then(|index| row.get(index))) else { continue };
        match months.last_mut() {
            Some((last, sum)) if last == month => *sum += fen.0,
            _ => months.push((month.clone(), fen.0)),
        }
    }
    let max = months.iter().map(|(_, sum)| *sum).max().unwrap_or(0).max(0);
    let min = months.iter().map(|(_, sum)| *sum).min().unwrap_or(0).min(0);
    let span = (max - min).max(1);
    let plot_height = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM;
    let axis_y = CHART_TOP + (i128::from(max) * i128::from(plot_height) / i128::from(span)) as i64;
    let slot = (CHART_WIDTH - CHART_LEFT - 10) / (months.len() as i64).max(1);
    let bars = months
        .iter()
        .enumerate()
        .map(|(index, (month, sum))| {
            let height = (i128::from(sum.abs()) * i128::from(plot_height) / i128::from(span)) as i64;
            let x = CHART_LEFT + index as i64 * slot + slot / 6;
            Bar {
                x,
                y: if *sum >= 0 { axis_y - height } else { axis_y },
                width: (slot * 2 / 3).max(1),
                height,
                label_x: x + slot / 3,
                month: month.clone(),
                value: ten_thousand_yuan(*sum),
            }
        })
        .collect();
    (bars, axis_y, max, min)
}

pub async fn monthly(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<MonthlyQuery>) -> Result<Response, PageError> {
    let user = &signed_in.user;
    if !matches!(user.role, Role::Officer | Role::PrefectureAdmin | Role::Admin) {
        return Err(PageError::message(403, "统计报表供税务人员和管理员使用；销货单位可通过接口 /api/v1/reports/monthly 查看本单位的统计"));
    }
    let mut query = query;
    query.format = None;
    let checked = query.check(user, state.issuing.clock().today());

    let province_wide = invoice_scope(user) == InvoiceScope::All;
    let asked_prefecture = query.prefecture.clone().unwrap_or_default();
    let prefectures = if province_wide {
        let mut choices = vec![Choice { value: String::new(), label: "全省".to_string(), selected: asked_prefecture.is_empty() }];
        for prefecture in prefectures::list(state.issuing.store().pool()).await? {
            choices.push(Choice { selected: prefecture.code == asked_prefecture, label: format!("{} {}", prefecture.code, prefecture.name), value: prefecture.code });
        }
        choices
    } else {
        Vec::new()
    };
    let asked_dimension = query.dimension.clone().unwrap_or_else(|| "prefecture".to_string());
    let dimensions = Dimension::ALL
        .iter()
        .map(|dimension| Choice { value: dimension.as_str().to_string(), label: dimension.label().to_string(), selected: dimension.as_str() == asked_dimension })
        .collect();

    let mut page = ReportsPage {
        chrome: Chrome::new(&signed_in, "/reports"),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        dimensions,
        prefectures,
        prefecture_fixed: if province_wide { String::new() } else { user.prefecture_code.clone().unwrap_or_default() },
        error: String::new(),
        headers: Vec::new(),
        rows: Vec::new(),
        totals: Vec::new(),
        downloads: Vec::new(),
        bars: Vec::new(),
        chart_width: CHART_WIDTH,
        chart_height: CHART_HEIGHT,
        axis_y: CHART_HEIGHT - CHART_BOTTOM,
        axis_label_max: String::new(),
        axis_label_min: String::new(),
    };
    let checked = match checked {
        Ok(checked) => checked,
        Err(rejection) => {
            page.error = rejection.message;
            return Ok(with_status(rejection.status, render(&page)));
        }
    };

    let table = monthly_table(&state, &checked.request).await?;
    page.from = checked.request.from.to_string();
    page.to = checked.request.to.to_string();
    page.headers = table.columns.iter().map(|column| column.label.to_string()).collect();
    page.rows = table.rows.iter().map(|row| row.iter().map(cell_text).collect()).collect();
    page.totals = table.totals.iter().flatten().map(cell_text).collect();
    let (bars, axis_y, max, min) = chart(&table);
    page.bars = bars;
    page.axis_y = axis_y;
    page.axis_label_max = ten_thousand_yuan(max);
    page.axis_label_min = ten_thousand_yuan(min);

    let base = format!(
        "/reports/monthly/download?dimension={}&from={}&to={}&prefecture={}",
        checked.request.dimension.as_str(),
        checked.request.from,
        checked.request.to,
        percent_encode(&asked_prefecture)
    );
    page.downloads = DOWNLOADS.iter().map(|(format, label)| Download { href: format!("{base}&format={format}"), label }).collect();
    Ok(render(&page))
}

/// Serves a download of the page's report through the report plugin for `format`.
pub async fn download(State(state): State<AppState>, signed_in: SignedIn, Query(query): Query<MonthlyQuery>) -> Result<Response, PageError> {
    let user = &signed_in.user;
    if !matches!(user.role, Role::Officer | Role::PrefectureAdmin | Role::Admin) {
        return Err(PageError::message(403, "统计报表供税务人员和管理员使用"));
    }
    let checked = query.check(user, state.issuing.clock().today())?;
    monthly_response(&state, &checked).await.map_err(|err| PageError::from(err.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_thousand_yuan_rounds_to_hundredths() {
        assert_eq!(ten_thousand_yuan(38_700_150), "38.70 万元");
        assert_eq!(ten_thousand_yuan(1_000_000), "1.00 万元");
        assert_eq!(ten_thousand_yuan(4_999), "0.00 万元");
        assert_eq!(ten_thousand_yuan(5_000), "0.01 万元");
        assert_eq!(ten_thousand_yuan(-15_000_000), "-15.00 万元");
    }

    #[test]
    fn percent_text_shows_sign_and_two_decimals() {
        assert_eq!(percent_text("0.2500"), "+25.00%");
        assert_eq!(percent_text("-1.0000"), "-100.00%");
        assert_eq!(percent_text("0.0001"), "+0.01%");
    }
}
