//! Chinese uppercase amounts (大写金额) for 价税合计（大写）: printing the canonical form and checking written ones.
//!
//! The rules are the People's Bank of China's 《正确填写票据和结算凭证的基本规定》:
//! - digits 零壹贰叁肆伍陆柒捌玖, units 拾佰仟万亿, money units 元 or 圆, 角, 分, and 整 or 正;
//! - 整 follows 元 when the amount ends there, is optional after 角 and never follows 分;
//! - one 零 stands for a run of zeros inside the number (1409.50 → 壹仟肆佰零玖元伍角,
//!   6007.14 → 陆仟零柒元壹角肆分);
//! - when the 万 digit or the 元 digit is zero but the digit after it is not, 零 may be written once or left
//!   out (1680.32 → 壹仟陆佰捌拾元零叁角贰分 or 壹仟陆佰捌拾元叁角贰分);
//! - when 角 is zero and 分 is not, 零 after 元 is required (325.04 → 叁佰贰拾伍元零肆分);
//! - 一 二 两 十 廿 毛 另 and Arabic digits must not replace these characters, and 壹 before a leading 拾 must
//!   not be dropped (10.00 → 壹拾元整).
//!
//! The printer emits one canonical form: 圆 as invoice software prints it, 整, and every optional 零 left out.
//! The checker accepts every form the rules allow.

use super::money::Fen;

const DIGITS: [&str; 10] = ["零", "壹", "贰", "叁", "肆", "伍", "陆", "柒", "捌", "玖"];

/// Units of the four digits inside a group, from 仟 down to the ones digit.
const GROUP_UNITS: [&str; 4] = ["仟", "佰", "拾", ""];

const TEN_THOUSAND: u64 = 10_000;
const HUNDRED_MILLION: u64 = 100_000_000;

/// Prefix printed before the words of a negative amount (a credit invoice).
const NEGATIVE_PREFIX: &str = "负数：";

/// Pieces of a spelling. The optional pieces are left out of the canonical form and accepted by the checker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Piece {
    Text(&'static str),
    /// A 零 that the rules allow to be written once or omitted.
    OptionalZero,
    /// A 整 after 角, which the rules allow but do not require.
    OptionalWhole,
}

/// Writes an amount in Chinese uppercase words, e.g. 14780000 fen → 壹拾肆万柒仟捌佰圆整.
///
/// Negative amounts (credit invoices) get the prefix "负数：" followed by the words of the absolute value.
pub fn amount_in_words(amount: Fen) -> String {
    let mut words = String::new();
    if amount.is_negative() {
        words.push_str(NEGATIVE_PREFIX);
    }
    for piece in spell(amount.0.unsigned_abs()) {
        if let Piece::Text(text) = piece {
            words.push_str(text);
        }
    }
    words
}

/// Reads an amount written in Chinese uppercase words and returns it, or None when the text is not a form
/// that the PBOC rules allow.
///
/// Accepted besides the canonical form: 元 for 圆, 正 for 整, the optional 零 at a zero 万 (or 亿) digit and at
/// a zero 元 digit, 整 after 角, and a leading 人民币. The "负数：" prefix of credit invoices is accepted in
/// front of all of them.
///
/// NOTE: forms such as 零圆伍角 for 0.50 are rejected because the rules give only 伍角 for amounts below one
/// yuan.
pub fn parse_amount_in_words(text: &str) -> Option<Fen> {
    let (negative, text) = match text.strip_prefix(NEGATIVE_PREFIX) {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let text = text.strip_prefix("人民币").unwrap_or(text);
    let normalized: String = text
        .chars()
        .map(|c| match c {
            '元' => '圆',
            '正' => '整',
            other => other,
        })
        .collect();

    // Read a candidate value leniently, then accept the text only if it is one of the allowed spellings of
    // that value. The second step carries all the rules, so the first may be forgiving.
    let magnitude = read_value_leniently(&normalized)?;
    if !matches_spelling(&normalized, &spell(magnitude)) {
        return None;
    }

    let magnitude = i128::from(magnitude);
    let signed = if negative {
        if magnitude == 0 {
            return None;
        }
        -magnitude
    } else {
        magnitude
    };
    i64::try_from(signed).ok().map(Fen)
}

/// Spells an amount of fen as pieces, canonical text plus the optional pieces.
fn spell(fen: u64) -> Vec<Piece> {
    let yuan = fen / 100;
    let jiao = ((fen / 10) % 10) as usize;
    let fen_digit = (fen % 10) as usize;
    let mut pieces = Vec::new();

    if yuan == 0 && jiao == 0 && fen_digit == 0 {
        pieces.extend([Piece::Text("零"), Piece::Text("圆"), Piece::Text("整")]);
        return pieces;
    }

    if yuan > 0 {
        spell_integer(yuan, &mut pieces);
        pieces.push(Piece::Text("圆"));
        if jiao == 0 && fen_digit == 0 {
            pieces.push(Piece::Text("整"));
            return pieces;
        }
        if jiao == 0 {
            // 角 zero and 分 non-zero: 零 is required.
            pieces.push(Piece::Text("零"));
        } else if yuan.is_multiple_of(10) {
            // 元 digit zero and 角 non-zero: 零 may be written once or omitted.
            pieces.push(Piece::OptionalZero);
        }
    }

    if jiao > 0 {
        pieces.extend([Piece::Text(DIGITS[jiao]), Piece::Text("角")]);
    }
    if fen_digit > 0 {
        pieces.extend([Piece::Text(DIGITS[fen_digit]), Piece::Text("分")]);
    } else {
        pieces.push(Piece::OptionalWhole);
    }
    pieces
}

/// Spells a positive whole number of yuan. The part of 亿 and above is itself a number, so amounts of
/// 10^16 yuan and more read as …亿亿.
fn spell_integer(yuan: u64, pieces: &mut Vec<Piece>) {
    let above_hundred_million = yuan / HUNDRED_MILLION;
    let below_hundred_million = yuan % HUNDRED_MILLION;

    if above_hundred_million == 0 {
        spell_below_hundred_million(below_hundred_million, false, pieces);
        return;
    }

    spell_integer(above_hundred_million, pieces);
    pieces.push(Piece::Text("亿"));
    if below_hundred_million == 0 {
        return;
    }
    if above_hundred_million.is_multiple_of(10) && below_hundred_million >= 10_000_000 {
        // A zero 亿 digit followed by a non-zero 仟万 digit: the optional 零 of the 万 digit rule, applied to
        // the next group boundary up in the same way.
        pieces.push(Piece::OptionalZero);
    }
    spell_below_hundred_million(below_hundred_million, true, pieces);
}

/// Spells 0..10^8 as the 万 group and the ones group. `after_higher` means that non-zero digits were already
/// written above, so a zero run in front of this part needs its 零.
fn spell_below_hundred_million(value: u64, after_higher: bool, pieces: &mut Vec<Piece>) {
    let ten_thousands = value / TEN_THOUSAND;
    let ones = value % TEN_THOUSAND;
    let mut written = after_higher;

    if ten_thousands > 0 {
        spell_group(ten_thousands, written, pieces);
        pieces.push(Piece::Text("万"));
        written = true;
        if ones == 0 {
            return;
        }
        if ten_thousands.is_multiple_of(10) && ones >= 1_000 {
            // A zero 万 digit followed by a non-zero 仟 digit: 零 may be written once or omitted.
            pieces.push(Piece::OptionalZero);
        }
    } else if written && ones > 0 {
        // A whole 万 group of zeros between non-zero digits is one zero run, written as one 零.
        pieces.push(Piece::Text("零"));
        spell_group_without_leading_zero(ones, pieces);
        return;
    }

    if ones > 0 {
        spell_group(ones, written, pieces);
    }
}

/// Spells a non-zero group of four digits. With `after_higher`, a group that starts with zeros gets one 零.
fn spell_group(group: u64, after_higher: bool, pieces: &mut Vec<Piece>) {
    if after_higher && group < 1_000 {
        pieces.push(Piece::Text("零"));
    }
    spell_group_without_leading_zero(group, pieces);
}

/// Spells the digits of a non-zero group: a zero run between non-zero digits becomes one 零, and trailing
/// zeros are silent.
fn spell_group_without_leading_zero(group: u64, pieces: &mut Vec<Piece>) {
    let digits = [
        group / 1_000,
        (group / 100) % 10,
        (group / 10) % 10,
        group % 10,
    ];
    let mut seen_non_zero = false;
    let mut zero_pending = false;

    for (index, &digit) in digits.iter().enumerate() {
        if digit == 0 {
            zero_pending = seen_non_zero;
            continue;
        }
        if zero_pending {
            pieces.push(Piece::Text("零"));
            zero_pending = false;
        }
        pieces.push(Piece::Text(DIGITS[digit as usize]));
        if !GROUP_UNITS[index].is_empty() {
            pieces.push(Piece::Text(GROUP_UNITS[index]));
        }
        seen_non_zero = true;
    }
}

/// Reads the value a text would have if it were a valid spelling, ignoring 零 and 整. Returns None when
/// the text contains anything but digits and units, or when two digits meet or a unit lacks its digit.
/// The caller still checks the exact spelling.
fn read_value_leniently(text: &str) -> Option<u64> {
    let (integer_text, decimal_text) = match text.split_once('圆') {
        Some((integer, decimals)) => (integer, decimals),
        None => ("", text),
    };
    if text.is_empty() {
        return None;
    }

    let yuan = read_integer_leniently(integer_text)?;
    let (jiao, fen) = read_decimals_leniently(decimal_text)?;
    let total = u128::from(yuan) * 100 + u128::from(jiao) * 10 + u128::from(fen);
    u64::try_from(total).ok()
}

fn digit_value(c: char) -> Option<u64> {
    DIGITS
        .iter()
        .position(|d| d.starts_with(c))
        .map(|index| index as u64)
}

fn read_integer_leniently(text: &str) -> Option<u64> {
    // `completed` is the value up to the last 亿, `ten_thousands_part` the value up to the last 万 after
    // it, `group` the digits with units after that, and `digit` a digit still waiting for its unit.
    let mut completed: u128 = 0;
    let mut ten_thousands_part: u128 = 0;
    let mut group: u128 = 0;
    let mut digit: Option<u128> = None;
    let limit = u128::from(u64::MAX);

    for c in text.chars() {
        match c {
            '零' => {}
            '拾' | '佰' | '仟' => {
                let unit = match c {
                    '拾' => 10,
                    '佰' => 100,
                    _ => 1_000,
                };
                group += digit.take()? * unit;
            }
            '万' => {
                ten_thousands_part +=
                    (group + digit.take().unwrap_or(0)) * u128::from(TEN_THOUSAND);
                group = 0;
            }
            '亿' => {
                let below = ten_thousands_part + group + digit.take().unwrap_or(0);
                completed = (completed + below) * u128::from(HUNDRED_MILLION);
                ten_thousands_part = 0;
                group = 0;
            }
            _ => {
                if digit.is_some() {
                    return None;
                }
                digit = Some(u128::from(digit_value(c)?));
            }
        }
        if completed > limit || ten_thousands_part > limit {
            return None;
        }
    }

    let total = completed + ten_thousands_part + group + digit.unwrap_or(0);
    u64::try_from(total).ok()
}

fn read_decimals_leniently(text: &str) -> Option<(u64, u64)> {
    let mut jiao = 0;
    let mut fen = 0;
    let mut digit: Option<u64> = None;

    for c in text.chars() {
        match c {
            '零' | '整' => {}
            '角' => jiao = digit.take()?,
            '分' => fen = digit.take()?,
            _ => {
                if digit.is_some() {
                    return None;
                }
                digit = Some(digit_value(c)?);
            }
        }
    }
    if digit.is_some() {
        return None;
    }
    Some((jiao, fen))
}

/// Tells whether the text is exactly the pieces, each optional piece present once or absent.
fn matches_spelling(text: &str, pieces: &[Piece]) -> bool {
    let mut rest = text;
    for piece in pieces {
        match piece {
            Piece::Text(expected) => match rest.strip_prefix(expected) {
                Some(after) => rest = after,
                None => return false,
            },
            Piece::OptionalZero => rest = rest.strip_prefix('零').unwrap_or(rest),
            Piece::OptionalWhole => rest = rest.strip_prefix('整').unwrap_or(rest),
        }
    }
    rest.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn amount(text: &str) -> Fen {
        Fen::parse(text).unwrap()
    }

    #[test]
    fn words_match_canonical_table() {
        let cases = [
            ("0.00", "零圆整"),
            ("0.50", "伍角"),
            ("10.00", "壹拾圆整"),
            ("1409.50", "壹仟肆佰零玖圆伍角"),
            ("6007.14", "陆仟零柒圆壹角肆分"),
            ("1680.32", "壹仟陆佰捌拾圆叁角贰分"),
            ("107000.53", "壹拾万柒仟圆伍角叁分"),
            ("147800.00", "壹拾肆万柒仟捌佰圆整"),
            ("550000.00", "伍拾伍万圆整"),
            ("10001000.00", "壹仟万壹仟圆整"),
            ("100000000.00", "壹亿圆整"),
            ("200000000.00", "贰亿圆整"),
            ("16409.02", "壹万陆仟肆佰零玖圆零贰分"),
            ("325.04", "叁佰贰拾伍圆零肆分"),
            ("1000000.00", "壹佰万圆整"),
            ("100010.00", "壹拾万零壹拾圆整"),
            ("0.05", "伍分"),
            ("1.00", "壹圆整"),
            ("99000.00", "玖万玖仟圆整"),
        ];
        for (figures, words) in cases {
            assert_eq!(amount_in_words(amount(figures)), words, "amount {figures}");
        }
    }

    #[test]
    fn words_handle_zero_runs_and_groups() {
        let cases = [
            ("0.55", "伍角伍分"),
            ("0.01", "壹分"),
            ("11.00", "壹拾壹圆整"),
            ("110.00", "壹佰壹拾圆整"),
            ("101.00", "壹佰零壹圆整"),
            ("1001.00", "壹仟零壹圆整"),
            ("1010.00", "壹仟零壹拾圆整"),
            ("10000.00", "壹万圆整"),
            ("10001.00", "壹万零壹圆整"),
            ("10100.00", "壹万零壹佰圆整"),
            ("11000.00", "壹万壹仟圆整"),
            ("100000001.00", "壹亿零壹圆整"),
            ("100010000.00", "壹亿零壹万圆整"),
            ("1000100000.00", "壹拾亿零壹拾万圆整"),
            ("1010000000.00", "壹拾亿壹仟万圆整"),
            ("1000001000.00", "壹拾亿零壹仟圆整"),
            (
                "123456789.12",
                "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖圆壹角贰分",
            ),
            ("1000000000000.00", "壹万亿圆整"),
            ("10.10", "壹拾圆壹角"),
            ("10.01", "壹拾圆零壹分"),
        ];
        for (figures, words) in cases {
            assert_eq!(amount_in_words(amount(figures)), words, "amount {figures}");
        }
    }

    #[test]
    fn words_prefix_negative_amounts() {
        assert_eq!(
            amount_in_words(amount("-147800.00")),
            "负数：壹拾肆万柒仟捌佰圆整"
        );
        assert_eq!(amount_in_words(amount("-0.05")), "负数：伍分");

        let max_words = "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌圆零柒分";
        assert_eq!(amount_in_words(Fen(i64::MAX)), max_words);
        let min_words =
            "负数：玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌圆零捌分";
        assert_eq!(amount_in_words(Fen(i64::MIN)), min_words);
    }

    #[test]
    fn parse_round_trips_small_amounts() {
        for fen in 0..=250_000 {
            let words = amount_in_words(Fen(fen));
            assert_eq!(
                parse_amount_in_words(&words),
                Some(Fen(fen)),
                "words {words}"
            );
        }
    }

    #[test]
    fn parse_round_trips_hard_amounts() {
        let mut amounts = vec![
            0,
            1,
            10,
            100,
            i64::MAX,
            -i64::MAX,
            i64::MIN,
            -1,
            -50,
            -14_780_000,
        ];
        // Every power of ten, and each with a one in the lowest and the 100-fen place, so every zero run
        // and group boundary appears.
        let mut power: i64 = 1;
        while let Some(next) = power.checked_mul(10) {
            amounts.extend([power, power + 1, power + 100, power + 1_000_000, next - 1]);
            power = next;
        }
        // A stride that is coprime with 10 walks through many digit patterns up to 10^16 fen.
        let mut value: i64 = 7;
        while value < 10_000_000_000_000_000 {
            amounts.push(value);
            value = value * 13 + 1_234_567;
        }
        for fen in amounts {
            let words = amount_in_words(Fen(fen));
            assert_eq!(
                parse_amount_in_words(&words),
                Some(Fen(fen)),
                "words {words}"
            );
        }
    }

    #[test]
    fn parse_accepts_allowed_variants() {
        let cases = [
            ("壹仟肆佰零玖元伍角", "1409.50"),
            ("壹仟肆佰零玖元伍角整", "1409.50"),
            ("壹仟肆佰零玖圆伍角正", "1409.50"),
            ("陆仟零柒元壹角肆分", "6007.14"),
            ("壹仟陆佰捌拾元零叁角贰分", "1680.32"),
            ("壹仟陆佰捌拾元叁角贰分", "1680.32"),
            ("壹拾万柒仟元零伍角叁分", "107000.53"),
            ("壹拾万零柒仟元伍角叁分", "107000.53"),
            ("壹拾万零柒仟元零伍角叁分", "107000.53"),
            ("壹拾万柒仟元伍角叁分", "107000.53"),
            ("壹万陆仟肆佰零玖元零贰分", "16409.02"),
            ("叁佰贰拾伍元零肆分", "325.04"),
            ("壹拾肆万柒仟捌佰元整", "147800.00"),
            ("壹拾肆万柒仟捌佰元正", "147800.00"),
            ("壹拾肆万柒仟捌佰圆正", "147800.00"),
            ("人民币壹拾肆万柒仟捌佰元整", "147800.00"),
            ("人民币伍角", "0.50"),
            ("伍角整", "0.50"),
            ("零元整", "0.00"),
            ("壹拾亿零壹仟万圆整", "1010000000.00"),
            ("壹仟万零壹仟元整", "10001000.00"),
            ("负数：人民币伍拾伍万元整", "-550000.00"),
        ];
        for (words, figures) in cases {
            assert_eq!(
                parse_amount_in_words(words),
                Some(amount(figures)),
                "words {words}"
            );
        }
    }

    #[test]
    fn parse_rejects_forbidden_forms() {
        let cases = [
            "",
            "人民币",
            "整",
            "圆整",
            "一百元整",
            "壹百元整",
            "壹佰两元整",
            "拾元整",
            "壹十元整",
            "壹佰零伍元伍毛",
            "壹佰另伍元整",
            "壹佰廿元整",
            "壹佰0伍元整",
            "壹佰元",
            "壹佰元伍分整",
            "壹仟零零玖元整",
            "壹仟玖元整",
            "壹万陆仟肆佰零玖元贰分",
            "壹仟陆佰捌拾壹元零叁角",
            "零元伍角",
            "零伍角",
            "伍分伍角",
            "壹佰元整整",
            "零壹佰元整",
            "壹拾万零壹拾元整零",
            "壹万零零壹元整",
            "壹佰万万元整",
            "壹贰元整",
            "负数：零元整",
            "负数:壹元整",
            "人民币 壹元整",
            "壹元整 ",
            "伍角壹",
        ];
        for words in cases {
            assert_eq!(parse_amount_in_words(words), None, "words {words:?}");
        }
    }

    #[test]
    fn parse_rejects_values_beyond_i64() {
        // i64::MAX + 1 fen: representable only as the magnitude of i64::MIN.
        let beyond_max = "玖亿贰仟贰佰叁拾叁万柒仟贰佰零叁亿陆仟捌佰伍拾肆万柒仟柒佰伍拾捌圆零捌分";
        assert_eq!(parse_amount_in_words(beyond_max), None);
        assert_eq!(
            parse_amount_in_words(&format!("负数：{beyond_max}")),
            Some(Fen(i64::MIN))
        );

        // 2^64 yuan overflows even the u64 magnitude.
        let two_to_the_64_yuan =
            "壹仟捌佰肆拾肆亿陆仟柒佰肆拾肆万零柒佰叁拾柒亿零玖佰伍拾伍万壹仟陆佰壹拾陆圆整";
        assert_eq!(parse_amount_in_words(two_to_the_64_yuan), None);
    }
}
