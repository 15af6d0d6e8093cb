//! Report format `report-csv`: the report table as CSV (RFC 4180, CRLF line ends), a header row of
//! Chinese column labels, one line per row and the totals last. Amounts are yuan with two decimals.
//!
//! The `encoding` setting picks UTF-8 with a byte order mark, which Excel needs to read UTF-8, or
//! GBK for older software. Text that GBK cannot encode is a failure naming the text, never a `?`.

use mvis_plugin_sdk::report::{Cell, Document, Guest, ReportTable, cell_text, file_name};
use mvis_plugin_sdk::settings::Settings;
use mvis_plugin_sdk::{Failure, failure};

struct CsvReport;

impl Guest for CsvReport {
    fn render(table: ReportTable, settings: String) -> Result<Document, Failure> {
        let settings = Settings::parse(&settings)?;
        let text = csv_text(&table);
        let name = file_name(&table, "csv");
        match settings.string("encoding", "utf-8-bom") {
            "utf-8-bom" => {
                let mut content = b"\xEF\xBB\xBF".to_vec();
                content.extend_from_slice(text.as_bytes());
                Ok(Document { file_name: name, media_type: "text/csv; charset=utf-8".to_string(), content })
            }
            "gbk" => Ok(Document { file_name: name, media_type: "text/csv; charset=GBK".to_string(), content: encode_gbk(&text)? }),
            other => Err(failure("settings_invalid", None, format!("CSV 报表插件的 encoding 设置“{other}”无效，应为 utf-8-bom 或 gbk，请修改地市配置"))),
        }
    }
}

fn csv_text(table: &ReportTable) -> String {
    let mut text = String::new();
    let labels: Vec<String> = table.columns.iter().map(|column| quote(&column.label)).collect();
    text.push_str(&labels.join(","));
    text.push_str("\r\n");
    for row in table.rows.iter().chain(table.totals.iter()) {
        let cells: Vec<String> = row.iter().map(field).collect();
        text.push_str(&cells.join(","));
        text.push_str("\r\n");
    }
    text
}

/// Formats one cell. Text that a spreadsheet would read as a formula gets a leading apostrophe.
fn field(cell: &Cell) -> String {
    let text = cell_text(cell);
    match cell {
        Cell::Text(_) if text.starts_with(['=', '+', '-', '@']) => quote(&format!("'{text}")),
        _ => quote(&text),
    }
}

/// Quotes a field when it contains a comma, quote or line break, doubling inner quotes.
fn quote(text: &str) -> String {
    if text.contains([',', '"', '\r', '\n']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_string() }
}

fn encode_gbk(text: &str) -> Result<Vec<u8>, Failure> {
    let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
    if !had_errors {
        return Ok(bytes.into_owned());
    }
    let unmappable: String = text.chars().filter(|c| encoding_rs::GBK.encode(&c.to_string()).2).take(5).collect();
    Err(failure("unmappable_character", Some("encoding"), format!("报表中的字符“{unmappable}”无法用 GBK 编码，请改用 utf-8-bom 编码导出")))
}

mvis_plugin_sdk::export_report_format!(CsvReport);
