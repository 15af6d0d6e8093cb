//! Helpers for report-format plugins: the renderer interface's records and cell text.

pub use crate::report_format::exports::mvis::plugin::report_renderer::*;

use crate::money::format_fen;

/// Returns a cell as plain text: amounts in yuan with two decimals ("1234.50"), integers in
/// decimal, rates and dates as the host sent them, and an empty cell as "".
pub fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) | Cell::Date(text) | Cell::Rate(text) => text.clone(),
        Cell::Integer(number) => number.to_string(),
        Cell::Amount(fen) => format_fen(*fen),
    }
}

/// Returns a file name for the report from its id and period, e.g.
/// `monthly-prefecture_2026-01-01_2026-03-31.csv`. Ids and dates are ASCII, so the name is too.
pub fn file_name(table: &ReportTable, extension: &str) -> String {
    let plain = |text: &str| -> String { text.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect() };
    format!("{}_{}_{}.{extension}", plain(&table.report_id), plain(&table.period_from), plain(&table.period_to))
}
