//! Amounts in fen, formatted the way the invoice prints them.

/// Formats fen as yuan with exactly two decimals: `9900000` becomes `"99000.00"`, `-1250`
/// becomes `"-12.50"`.
pub fn format_fen(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let magnitude = fen.unsigned_abs();
    format!("{sign}{}.{:02}", magnitude / 100, magnitude % 100)
}

/// Formats fen with the full-width yuan sign that the form's 小写 boxes carry: `"￥99000.00"`.
/// The full-width sign is used because the half-width `¥` has no two-byte GB18030 code, and
/// dot-matrix printers print its four-byte code as garbage.
pub fn format_fen_with_sign(fen: i64) -> String {
    format!("￥{}", format_fen(fen))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_fen_keeps_two_decimals() {
        assert_eq!(format_fen(9_900_000), "99000.00");
        assert_eq!(format_fen(5), "0.05");
        assert_eq!(format_fen(-1250), "-12.50");
        assert_eq!(format_fen(i64::MIN), "-92233720368547758.08");
    }
}
