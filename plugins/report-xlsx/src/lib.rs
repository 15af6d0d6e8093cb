//! Report format `report-xlsx`: the report table as an Office Open XML workbook (ECMA-376) with one
//! sheet. Row 1 is the title, row 2 the period and prefecture, row 3 the column labels, then one
//! row per table row and the totals last, in bold.
//!
//! Amounts are numbers in yuan, written as exact decimal text from fen ("1234.50") and shown with
//! thousands separators and two decimals. Rates are numbers shown as percentages. Strings are
//! inline (`t="inlineStr"`), so the workbook needs no shared-string table.

use std::io::{Cursor, Write};

use mvis_plugin_sdk::money::format_fen;
use mvis_plugin_sdk::report::{Cell, Document, Guest, ReportTable, file_name};
use mvis_plugin_sdk::{Failure, failure};
use zip::write::SimpleFileOptions;

struct XlsxReport;

const MEDIA_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Indexes into `cellXfs` of [`STYLES`].
const STYLE_BOLD: u32 = 1;
const STYLE_AMOUNT: u32 = 2;
const STYLE_RATE: u32 = 3;
const STYLE_INTEGER: u32 = 4;
const STYLE_AMOUNT_BOLD: u32 = 5;
const STYLE_INTEGER_BOLD: u32 = 6;

impl Guest for XlsxReport {
    fn render(table: ReportTable, _settings: String) -> Result<Document, Failure> {
        let parts = [
            ("[Content_Types].xml", CONTENT_TYPES.to_string()),
            ("_rels/.rels", ROOT_RELATIONSHIPS.to_string()),
            ("xl/workbook.xml", WORKBOOK.to_string()),
            ("xl/_rels/workbook.xml.rels", WORKBOOK_RELATIONSHIPS.to_string()),
            ("xl/styles.xml", STYLES.to_string()),
            ("xl/worksheets/sheet1.xml", sheet_xml(&table)),
        ];
        let content = zip_parts(&parts).map_err(|err| failure("xlsx_write_failed", None, format!("生成 Excel 文件失败：{err}")))?;
        Ok(Document { file_name: file_name(&table, "xlsx"), media_type: MEDIA_TYPE.to_string(), content })
    }
}

fn zip_parts(parts: &[(&str, String)]) -> zip::result::ZipResult<Vec<u8>> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    // A fixed timestamp: the guest has no clock, and the same table gives the same bytes.
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).last_modified_time(zip::DateTime::default());
    for (name, text) in parts {
        writer.start_file(*name, options)?;
        writer.write_all(text.as_bytes())?;
    }
    Ok(writer.finish()?.into_inner())
}

/// Returns the column letters of a 0-based index: 0 is A, 25 is Z, 26 is AA.
fn column_letters(index: usize) -> String {
    let mut letters = Vec::new();
    let mut rest = index + 1;
    while rest > 0 {
        let remainder = (rest - 1) % 26;
        letters.push(b'A' + remainder as u8);
        rest = (rest - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).expect("ASCII letters")
}

fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            // XML 1.0 forbids most control characters; tabs and line breaks stay.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => escaped.push(c),
        }
    }
    escaped
}

fn text_cell(reference: &str, text: &str, style: u32) -> String {
    format!("<c r=\"{reference}\" t=\"inlineStr\" s=\"{style}\"><is><t xml:space=\"preserve\">{}</t></is></c>", escape(text))
}

fn number_cell(reference: &str, value: &str, style: u32) -> String {
    format!("<c r=\"{reference}\" s=\"{style}\"><v>{value}</v></c>")
}

/// Writes one cell; `bold` is for the header and totals rows.
fn cell_xml(reference: &str, cell: &Cell, bold: bool) -> String {
    let text_style = if bold { STYLE_BOLD } else { 0 };
    match cell {
        Cell::Empty => String::new(),
        Cell::Text(text) | Cell::Date(text) => text_cell(reference, text, text_style),
        Cell::Integer(number) => number_cell(reference, &number.to_string(), if bold { STYLE_INTEGER_BOLD } else { STYLE_INTEGER }),
        Cell::Amount(fen) => number_cell(reference, &format_fen(*fen), if bold { STYLE_AMOUNT_BOLD } else { STYLE_AMOUNT }),
        // The host sends rates as decimal strings; anything else is kept as text rather than lost.
        Cell::Rate(rate) if rate.parse::<f64>().is_ok() => number_cell(reference, rate, STYLE_RATE),
        Cell::Rate(rate) => text_cell(reference, rate, text_style),
    }
}

fn row_xml(number: usize, cells: impl Iterator<Item = String>) -> String {
    let mut xml = format!("<row r=\"{number}\">");
    for cell in cells {
        xml.push_str(&cell);
    }
    xml.push_str("</row>");
    xml
}

fn sheet_xml(table: &ReportTable) -> String {
    let mut rows = Vec::with_capacity(table.rows.len() + 4);
    rows.push(row_xml(1, std::iter::once(text_cell("A1", &table.title, STYLE_BOLD))));
    let scope = format!("开票日期 {} 至 {}，地市代码 {}，生成于 {}", table.period_from, table.period_to, table.prefecture_code, table.generated_at);
    rows.push(row_xml(2, std::iter::once(text_cell("A2", &scope, 0))));
    rows.push(row_xml(3, table.columns.iter().enumerate().map(|(index, column)| text_cell(&format!("{}3", column_letters(index)), &column.label, STYLE_BOLD))));

    let body = table.rows.iter().map(|row| (row, false)).chain(table.totals.iter().map(|row| (row, true)));
    for (offset, (row, bold)) in body.enumerate() {
        let number = offset + 4;
        rows.push(row_xml(number, row.iter().enumerate().map(|(index, cell)| cell_xml(&format!("{}{number}", column_letters(index)), cell, bold))));
    }

    let widths: String = table
        .columns
        .iter()
        .enumerate()
        .map(|(index, column)| {
            let width = (column.label.chars().count() * 2 + 4).max(12);
            format!("<col min=\"{0}\" max=\"{0}\" width=\"{width}\" customWidth=\"1\"/>", index + 1)
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
         <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
         <sheetViews><sheetView workbookViewId=\"0\"><pane ySplit=\"3\" topLeftCell=\"A4\" activePane=\"bottomLeft\" state=\"frozen\"/></sheetView></sheetViews>\
         <cols>{widths}</cols><sheetData>{}</sheetData></worksheet>",
        rows.concat()
    )
}

const CONTENT_TYPES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
<Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
<Default Extension=\"xml\" ContentType=\"application/xml\"/>\
<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
<Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
<Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>\
</Types>";

const ROOT_RELATIONSHIPS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/>\
</Relationships>";

const WORKBOOK: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<workbook xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
<sheets><sheet name=\"统计报表\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>";

const WORKBOOK_RELATIONSHIPS: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\">\
<Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/>\
<Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/>\
</Relationships>";

/// Cell formats, indexed by the `STYLE_*` constants: 0 plain, 1 bold, 2 amount, 3 percentage,
/// 4 integer, 5 bold amount, 6 bold integer.
const STYLES: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">\
<numFmts count=\"1\"><numFmt numFmtId=\"164\" formatCode=\"#,##0.00\"/></numFmts>\
<fonts count=\"2\"><font><sz val=\"11\"/><name val=\"宋体\"/></font><font><b/><sz val=\"11\"/><name val=\"宋体\"/></font></fonts>\
<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill><fill><patternFill patternType=\"gray125\"/></fill></fills>\
<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
<cellXfs count=\"7\">\
<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>\
<xf numFmtId=\"164\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"10\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"3\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\"/>\
<xf numFmtId=\"164\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\"/>\
<xf numFmtId=\"3\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyNumberFormat=\"1\" applyFont=\"1\"/>\
</cellXfs>\
<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
</styleSheet>";

mvis_plugin_sdk::export_report_format!(XlsxReport);

#[cfg(test)]
mod tests {
    use super::column_letters;

    #[test]
    fn column_letters_roll_over() {
        assert_eq!(column_letters(0), "A");
        assert_eq!(column_letters(25), "Z");
        assert_eq!(column_letters(26), "AA");
        assert_eq!(column_letters(701), "ZZ");
        assert_eq!(column_letters(702), "AAA");
    }
}
