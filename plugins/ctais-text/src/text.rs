//! Reading and writing lines: GBK bytes to fields and back, and the checks of each field type.

use encoding_rs::GBK;
use mvis_plugin_sdk::ctais_adapter::mvis::plugin::ctais_records::RejectedLine;

use crate::layout::{Field, FieldType, SEPARATOR};

/// A record line split into fields, with its 1-based line number.
pub struct Line {
    pub number: u32,
    pub fields: Vec<String>,
}

/// A line of the file that could not be decoded as text.
pub struct UndecodableLine {
    pub number: u32,
}

/// Splits the file into lines (LF or CRLF) and decodes each from GBK, skipping blank lines.
/// Splitting on the byte 0x0A is safe in GBK, because its trail bytes are never below 0x40.
pub fn split_lines(content: &[u8]) -> Vec<Result<(u32, String), UndecodableLine>> {
    let mut lines = Vec::new();
    for (index, bytes) in content.split(|byte| *byte == b'\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
        if bytes.iter().all(|byte| byte.is_ascii_whitespace()) {
            continue;
        }
        match GBK.decode_without_bom_handling_and_without_replacement(bytes) {
            Some(text) => lines.push(Ok((number, text.into_owned()))),
            None => lines.push(Err(UndecodableLine { number })),
        }
    }
    lines
}

/// Splits a decoded line into fields, trimming the blanks around each.
pub fn split_fields(text: &str) -> Vec<String> {
    text.split(SEPARATOR).map(|field| field.trim().to_string()).collect()
}

pub fn rejected(line: u32, field: Option<&Field>, code: &str, message: String) -> RejectedLine {
    RejectedLine { line, field: field.map(|field| field.name.to_string()), code: code.to_string(), message }
}

/// Checks a line's fields against the kind's layout; returns the first problem found.
pub fn check_line(line: &Line, layout: &[Field]) -> Result<(), RejectedLine> {
    if line.fields.len() != layout.len() {
        return Err(rejected(
            line.number,
            None,
            "field_count_invalid",
            format!("第 {} 行应有 {} 个以“|”分隔的字段，实际为 {} 个，请按格式说明核对", line.number, layout.len(), line.fields.len()),
        ));
    }
    for (field, value) in layout.iter().zip(&line.fields) {
        check_field(line.number, field, value)?;
    }
    Ok(())
}

fn check_field(number: u32, field: &Field, value: &str) -> Result<(), RejectedLine> {
    let problem = |code: &str, expected: String| Err(rejected(number, Some(field), code, format!("第 {number} 行{}“{value}”无效：{expected}", field.label)));
    if value.is_empty() {
        if field.required {
            return Err(rejected(number, Some(field), "field_required", format!("第 {number} 行缺少{}，此项必填", field.label)));
        }
        return Ok(());
    }
    match field.field_type {
        FieldType::Text(max_chars) => {
            if value.chars().count() > max_chars || value.chars().any(char::is_control) {
                return problem("field_too_long", format!("最多 {max_chars} 个字符，且不能含控制字符"));
            }
        }
        FieldType::Digits(min, max) => {
            if !(min..=max).contains(&value.len()) || !value.bytes().all(|byte| byte.is_ascii_digit()) {
                let length = if min == max { format!("{min} 位") } else { format!("{min} 至 {max} 位") };
                return problem("digits_invalid", format!("应为 {length}数字"));
            }
        }
        FieldType::Alphanumeric(min, max) => {
            let allowed = value.bytes().all(|byte| byte.is_ascii_uppercase() || byte.is_ascii_digit());
            if !(min..=max).contains(&value.len()) || !allowed {
                let length = if min == max { format!("{min} 位") } else { format!("{min} 至 {max} 位") };
                return problem("code_invalid", format!("应为 {length}大写字母或数字"));
            }
        }
        FieldType::Date => {
            if !is_date(value) {
                return problem("date_invalid", "应为有效日期，格式 YYYY-MM-DD，例如 2026-03-01".to_string());
            }
        }
        FieldType::Count => {
            if value.parse::<u32>().is_err() || !value.bytes().all(|byte| byte.is_ascii_digit()) {
                return problem("count_invalid", "应为不带符号的整数".to_string());
            }
        }
        FieldType::Amount => {
            if parse_amount(value).is_none() {
                return problem("amount_invalid", "应为以元为单位、两位小数的金额，例如 99000.00 或 -99000.00".to_string());
            }
        }
        FieldType::Decimal => {
            if !is_decimal(value) {
                return problem("decimal_invalid", "应为不带符号的小数，最多 4 位小数，例如 1.5".to_string());
            }
        }
        FieldType::Code(codes) => {
            if !codes.iter().any(|(code, _)| *code == value) {
                let listed: Vec<String> = codes.iter().map(|(code, label)| format!("{code}（{label}）")).collect();
                return problem("code_unknown", format!("应为 {}", listed.join("、")));
            }
        }
    }
    Ok(())
}

/// Checks YYYY-MM-DD with a real month and day (Gregorian leap years).
fn is_date(value: &str) -> bool {
    let bytes = value.as_bytes();
    let shape = bytes.len() == 10 && bytes[4] == b'-' && bytes[7] == b'-';
    let digits = [0, 1, 2, 3, 5, 6, 8, 9].iter().all(|index| bytes.get(*index).is_some_and(u8::is_ascii_digit));
    if !shape || !digits {
        return false;
    }
    let year: u32 = value[0..4].parse().unwrap_or(0);
    let month: u32 = value[5..7].parse().unwrap_or(0);
    let day: u32 = value[8..10].parse().unwrap_or(0);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    year >= 1900 && (1..=days_in_month).contains(&day)
}

fn is_decimal(value: &str) -> bool {
    let (whole, fraction) = value.split_once('.').unwrap_or((value, ""));
    let digits = |text: &str| text.bytes().all(|byte| byte.is_ascii_digit());
    !whole.is_empty() && whole.len() <= 9 && digits(whole) && fraction.len() <= 4 && digits(fraction) && !(value.contains('.') && fraction.is_empty())
}

/// Parses yuan with exactly two decimals into fen, without floating point.
pub fn parse_amount(value: &str) -> Option<i64> {
    let (negative, unsigned) = match value.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, value),
    };
    let (yuan, fen) = unsigned.split_once('.')?;
    let digits = |text: &str| !text.is_empty() && text.bytes().all(|byte| byte.is_ascii_digit());
    if !digits(yuan) || fen.len() != 2 || !digits(fen) || yuan.len() > 15 {
        return None;
    }
    let amount = yuan.parse::<i64>().ok()?.checked_mul(100)?.checked_add(fen.parse::<i64>().ok()?)?;
    Some(if negative { -amount } else { amount })
}

/// Formats fen as yuan with two decimals, e.g. -9900000 as `-99000.00`.
pub fn format_amount(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let magnitude = fen.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// Encodes one line's fields as GBK, naming the first field that cannot be written.
pub fn encode_line(fields: &[(&Field, String)]) -> Result<Vec<u8>, (&'static str, &'static str, String)> {
    let mut bytes = Vec::new();
    for (index, (field, value)) in fields.iter().enumerate() {
        if value.contains(SEPARATOR) || value.chars().any(char::is_control) {
            return Err((field.name, field.label, format!("含有分隔符“|”或换行等控制字符：{value}")));
        }
        let (encoded, _, unmappable) = GBK.encode(value);
        if unmappable {
            return Err((field.name, field.label, format!("含有 GBK 无法表示的字符：{value}")));
        }
        if index > 0 {
            bytes.push(SEPARATOR as u8);
        }
        bytes.extend_from_slice(&encoded);
    }
    bytes.extend_from_slice(b"\r\n");
    Ok(bytes)
}
