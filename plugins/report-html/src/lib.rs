//! Report format `report-html`: one HTML page that needs nothing else, with the table, a bar chart
//! of 价税合计 per month and a line chart of 净销量 per month, both as inline SVG. The style sheet is
//! inline and the page loads no script, font or image.
//!
//! Charts sum the rows of each month over the dimension's values. They are drawn when the table
//! has a `month` column; the line chart also needs a `net_count` column.

use mvis_plugin_sdk::money::format_fen;
use mvis_plugin_sdk::report::{Cell, ColumnKind, Document, Guest, ReportTable, cell_text, file_name};
use mvis_plugin_sdk::Failure;

struct HtmlReport;

impl Guest for HtmlReport {
    fn render(table: ReportTable, _settings: String) -> Result<Document, Failure> {
        let html = page(&table);
        Ok(Document { file_name: file_name(&table, "html"), media_type: "text/html; charset=utf-8".to_string(), content: html.into_bytes() })
    }
}

const STYLE: &str = "body{font-family:\"Noto Sans CJK SC\",\"Microsoft YaHei\",\"SimSun\",sans-serif;margin:1.5rem;color:#222}\
h1{font-size:1.3rem}p.meta{color:#555}table{border-collapse:collapse;margin-top:1rem}\
th,td{border:1px solid #bbb;padding:0.25rem 0.5rem}th{background:#eef1f5;font-weight:normal}\
td.number{text-align:right;font-variant-numeric:tabular-nums}tfoot th{font-weight:bold}\
figure{margin:1rem 0}figcaption{color:#555;font-size:0.9rem}";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn page(table: &ReportTable) -> String {
    let title = escape(&table.title);
    let mut html = format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>{title}</h1>\n\
         <p class=\"meta\">开票日期 {} 至 {}；地市代码 {}；生成时间 {}</p>\n",
        escape(&table.period_from),
        escape(&table.period_to),
        escape(&table.prefecture_code),
        escape(&table.generated_at)
    );
    let months = monthly_sums(table);
    if !months.is_empty() {
        html.push_str(&bar_chart(&months));
        if months.iter().any(|month| month.net_count.is_some()) {
            html.push_str(&line_chart(&months));
        }
    }
    html.push_str(&table_html(table));
    html.push_str("</body>\n</html>\n");
    html
}

fn table_html(table: &ReportTable) -> String {
    let mut html = String::from("<table id=\"report-table\">\n<thead><tr>");
    for column in &table.columns {
        html.push_str(&format!("<th data-name=\"{}\">{}</th>", escape(&column.name), escape(&column.label)));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in &table.rows {
        html.push_str(&row_html(table, row, "td"));
    }
    html.push_str("</tbody>\n");
    if let Some(totals) = &table.totals {
        html.push_str("<tfoot>\n");
        html.push_str(&row_html(table, totals, "th"));
        html.push_str("</tfoot>\n");
    }
    html.push_str("</table>\n");
    html
}

fn row_html(table: &ReportTable, row: &[Cell], tag: &str) -> String {
    let mut html = String::from("<tr>");
    for (column, cell) in table.columns.iter().zip(row) {
        let numeric = matches!(column.kind, ColumnKind::Integer | ColumnKind::Amount | ColumnKind::Rate);
        let class = if numeric { " class=\"number\"" } else { "" };
        html.push_str(&format!("<{tag}{class} data-name=\"{}\">{}</{tag}>", escape(&column.name), escape(&cell_text(cell))));
    }
    html.push_str("</tr>\n");
    html
}

/// Sums of one month over the dimension's values.
struct MonthSums {
    month: String,
    total_amount: i64,
    net_count: Option<i64>,
}

fn monthly_sums(table: &ReportTable) -> Vec<MonthSums> {
    let index = |name: &str| table.columns.iter().position(|column| column.name == name);
    let (Some(month_index), Some(amount_index)) = (index("month"), index("total_amount")) else { return Vec::new() };
    let count_index = index("net_count");
    let mut months: Vec<MonthSums> = Vec::new();
    for row in &table.rows {
        let (Some(Cell::Text(month)), Some(Cell::Amount(amount))) = (row.get(month_index), row.get(amount_index)) else { continue };
        let count = count_index.and_then(|index| match row.get(index) {
            Some(Cell::Integer(count)) => Some(*count),
            _ => None,
        });
        match months.iter_mut().find(|sums| sums.month == *month) {
            Some(sums) => {
                sums.total_amount += amount;
                sums.net_count = match (sums.net_count, count) {
                    (Some(sum), Some(count)) => Some(sum + count),
                    (sum, count) => sum.or(count),
                };
            }
            None => months.push(MonthSums { month: month.clone(), total_amount: *amount, net_count: count }),
        }
    }
    months.sort_by(|a, b| a.month.cmp(&b.month));
    months
}

const WIDTH: i64 = 760;
const HEIGHT: i64 = 260;
const LEFT: i64 = 100;
const TOP: i64 = 20;
const BOTTOM: i64 = 40;

/// Maps a value in [min, max] (min <= 0 <= max) to a y coordinate of the plot.
fn y_of(value: i64, min: i64, max: i64) -> i64 {
    let span = i128::from((max - min).max(1));
    let plot = i128::from(HEIGHT - TOP - BOTTOM);
    TOP + ((i128::from(max) - i128::from(value)) * plot / span) as i64
}

fn ten_thousand_yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    // 1 万元 is 1,000,000 fen, so a hundredth of it is 10,000 fen.
    let hundredths = (fen.unsigned_abs() + 5_000) / 10_000;
    format!("{sign}{}.{:02}", hundredths / 100, hundredths % 100)
}

fn axis(min_label: &str, max_label: &str, zero_y: i64) -> String {
    format!(
        "<line x1=\"{LEFT}\" y1=\"{zero_y}\" x2=\"{}\" y2=\"{zero_y}\" stroke=\"#555\"/>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{max_label}</text>\
         <text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\" fill=\"#555\">{min_label}</text>",
        WIDTH - 10,
        LEFT - 6,
        TOP + 4,
        LEFT - 6,
        HEIGHT - BOTTOM,
    )
}

fn bar_chart(months: &[MonthSums]) -> String {
    let max = months.iter().map(|month| month.total_amount).max().unwrap_or(0).max(0);
    let min = months.iter().map(|month| month.total_amount).min().unwrap_or(0).min(0);
    let zero_y = y_of(0, min, max);
    let slot = (WIDTH - LEFT - 10) / months.len() as i64;
    let mut svg = format!(
        "<figure><svg id=\"amount-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\"><title>各月价税合计（万元）</title>{}",
        axis(&ten_thousand_yuan(min), &ten_thousand_yuan(max), zero_y)
    );
    for (index, month) in months.iter().enumerate() {
        let x = LEFT + index as i64 * slot + slot / 6;
        let y = y_of(month.total_amount, min, max);
        let (top, height) = if y <= zero_y { (y, zero_y - y) } else { (zero_y, y - zero_y) };
        svg.push_str(&format!(
            "<rect x=\"{x}\" y=\"{top}\" width=\"{}\" height=\"{height}\" fill=\"#2f6db5\"><title>{}：{} 元</title></rect>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            (slot * 2 / 3).max(1),
            escape(&month.month),
            format_fen(month.total_amount),
            x + slot / 3,
            HEIGHT - 22,
            escape(&month.month)
        ));
    }
    svg.push_str("</svg><figcaption>各月价税合计（万元）</figcaption></figure>\n");
    svg
}

fn line_chart(months: &[MonthSums]) -> String {
    let counts: Vec<i64> = months.iter().map(|month| month.net_count.unwrap_or(0)).collect();
    let max = counts.iter().copied().max().unwrap_or(0).max(0);
    let min = counts.iter().copied().min().unwrap_or(0).min(0);
    let zero_y = y_of(0, min, max);
    let slot = (WIDTH - LEFT - 10) / months.len() as i64;
    let points: Vec<(i64, i64)> = counts.iter().enumerate().map(|(index, count)| (LEFT + index as i64 * slot + slot / 2, y_of(*count, min, max))).collect();
    let path: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
    let mut svg = format!(
        "<figure><svg id=\"count-chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" role=\"img\"><title>各月净销量（辆）</title>{}\
         <polyline points=\"{}\" fill=\"none\" stroke=\"#c0392b\" stroke-width=\"2\"/>",
        axis(&min.to_string(), &max.to_string(), zero_y),
        path.join(" ")
    );
    for ((x, y), (month, count)) in points.iter().zip(months.iter().zip(&counts)) {
        svg.push_str(&format!(
            "<circle cx=\"{x}\" cy=\"{y}\" r=\"3\" fill=\"#c0392b\"><title>{}：{count} 辆</title></circle>\
             <text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\">{}</text>",
            escape(&month.month),
            HEIGHT - 22,
            escape(&month.month)
        ));
    }
    svg.push_str("</svg><figcaption>各月净销量（辆）：开具张数减红字张数</figcaption></figure>\n");
    svg
}

mvis_plugin_sdk::export_report_format!(HtmlReport);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_thousand_yuan_rounds_to_hundredths() {
        assert_eq!(ten_thousand_yuan(38_700_150), "38.70");
        assert_eq!(ten_thousand_yuan(-15_000_000), "-15.00");
    }

    #[test]
    fn y_of_puts_zero_on_the_axis() {
        assert_eq!(y_of(0, 0, 100), HEIGHT - BOTTOM);
        assert_eq!(y_of(100, 0, 100), TOP);
        assert_eq!(y_of(0, -100, 100), TOP + (HEIGHT - TOP - BOTTOM) / 2);
    }
}
