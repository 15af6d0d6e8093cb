//! Money as integer fen (分): parsing, printing and the JSON form of amounts.
//!
//! Amounts never pass through binary floating point. In JSON they travel as decimal strings with exactly
//! two places ("147800.00"), because tax platforms reject amounts that a float printer has mangled.

use std::fmt;
use std::ops::Neg;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::UserFacing;

/// Maximum number of characters of a rejected input that an error repeats, so that a huge request body
/// does not end up inside an error message.
const MAX_INPUT_ECHO_CHARS: usize = 32;

/// An amount of Chinese yuan as a whole number of fen (1 yuan = 100 fen). Negative for credit (红字) invoices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fen(pub i64);

/// Reasons for rejecting an amount string.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("amount is empty")]
    Empty,
    #[error("amount {input:?} is not a decimal number such as 147800.00")]
    InvalidFormat { input: String },
    #[error("amount {input:?} has more than two decimal places")]
    TooManyDecimals { input: String },
    #[error("amount {input:?} is out of range")]
    OutOfRange { input: String },
}

impl UserFacing for MoneyError {
    fn code(&self) -> &'static str {
        match self {
            MoneyError::Empty => "amount_empty",
            MoneyError::InvalidFormat { .. } => "amount_invalid_format",
            MoneyError::TooManyDecimals { .. } => "amount_too_many_decimals",
            MoneyError::OutOfRange { .. } => "amount_out_of_range",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            MoneyError::Empty => "金额不能为空，请填写金额，例如 147800.00".to_string(),
            MoneyError::InvalidFormat { input } => format!(
                "金额“{input}”格式无效，请只填写数字和小数点，例如 147800.00，不要加正号、空格或千位分隔符"
            ),
            MoneyError::TooManyDecimals { input } => {
                format!("金额“{input}”超过两位小数，金额只能精确到分，请保留两位小数")
            }
            MoneyError::OutOfRange { input } => format!("金额“{input}”超出允许范围，请核对金额"),
        }
    }
}

/// Keeps at most `MAX_INPUT_ECHO_CHARS` characters of a rejected input for the error message.
fn echo(input: &str) -> String {
    if input.chars().count() <= MAX_INPUT_ECHO_CHARS {
        return input.to_string();
    }
    let mut shortened: String = input.chars().take(MAX_INPUT_ECHO_CHARS).collect();
    shortened.push('…');
    shortened
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    /// Builds an amount of whole yuan.
    ///
    /// # Panics
    /// When `yuan × 100` overflows i64, which no real amount comes near.
    pub const fn yuan(yuan: i64) -> Fen {
        match yuan.checked_mul(100) {
            Some(fen) => Fen(fen),
            None => panic!("Fen::yuan overflows i64"),
        }
    }

    /// Parses a decimal amount in yuan such as "147800.00", "147800.5", "147800" or "-12.30".
    ///
    /// The accepted form is an optional '-', one or more ASCII digits, then optionally '.' and one or two
    /// digits. Whitespace, '+', thousands separators and exponents are rejected. The result is never
    /// `i64::MIN` fen, so `neg` and `abs` cannot overflow on a parsed amount.
    pub fn parse(s: &str) -> Result<Fen, MoneyError> {
        if s.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::InvalidFormat { input: echo(s) };

        let (negative, unsigned) = match s.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, s),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, Some(fraction)),
            None => (unsigned, None),
        };

        let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) {
            return Err(invalid());
        }
        let fraction_digits = match fraction {
            None => "",
            Some(fraction) if all_digits(fraction) => fraction,
            Some(_) => return Err(invalid()),
        };
        if fraction_digits.len() > 2 {
            return Err(MoneyError::TooManyDecimals { input: echo(s) });
        }

        // Accumulate in i128 with checked steps: a long digit string overflows even i128, and that is
        // reported as out of range, not as a panic.
        let out_of_range = || MoneyError::OutOfRange { input: echo(s) };
        let mut magnitude: i128 = 0;
        let padded_fraction = format!("{fraction_digits:0<2}");
        for digit in whole.bytes().chain(padded_fraction.bytes()) {
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(digit - b'0')))
                .ok_or_else(out_of_range)?;
        }
        let fen = i64::try_from(magnitude).map_err(|_| out_of_range())?;
        Ok(Fen(if negative { -fen } else { fen }))
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }

    pub fn checked_sub(self, other: Fen) -> Option<Fen> {
        self.0.checked_sub(other.0).map(Fen)
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// Returns the absolute amount.
    ///
    /// # Panics
    /// On `Fen(i64::MIN)`, which `parse` never returns.
    pub fn abs(self) -> Fen {
        Fen(self
            .0
            .checked_abs()
            .expect("Fen::abs overflows on i64::MIN fen"))
    }
}

impl Neg for Fen {
    type Output = Fen;

    /// Negates the amount, e.g. to build a credit invoice from the original.
    ///
    /// # Panics
    /// On `Fen(i64::MIN)`, which `Fen::parse` never returns.
    fn neg(self) -> Fen {
        Fen(self
            .0
            .checked_neg()
            .expect("Fen::neg overflows on i64::MIN fen"))
    }
}

impl fmt::Display for Fen {
    /// Prints yuan with exactly two decimals: "147800.00", "-0.50", "0.00".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.is_negative() { "-" } else { "" };
        let magnitude = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", magnitude / 100, magnitude % 100)
    }
}

impl FromStr for Fen {
    type Err = MoneyError;

    fn from_str(s: &str) -> Result<Fen, MoneyError> {
        Fen::parse(s)
    }
}

impl Serialize for Fen {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fen {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Fen, D::Error> {
        // `deserialize_any` lets the visitor see a JSON number and reject it with its own message.
        deserializer.deserialize_any(FenVisitor)
    }
}

/// Accepts only strings: a JSON number may already have lost precision in the client's float.
struct FenVisitor;

const NUMBER_REJECTED: &str = "amounts must be JSON strings such as \"147800.00\", not numbers";

impl Visitor<'_> for FenVisitor {
    type Value = Fen;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an amount as a decimal string with at most two places, such as \"147800.00\"")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Fen, E> {
        Fen::parse(value).map_err(E::custom)
    }

    fn visit_i64<E: de::Error>(self, _value: i64) -> Result<Fen, E> {
        Err(E::custom(NUMBER_REJECTED))
    }

    fn visit_u64<E: de::Error>(self, _value: u64) -> Result<Fen, E> {
        Err(E::custom(NUMBER_REJECTED))
    }

    fn visit_f64<E: de::Error>(self, _value: f64) -> Result<Fen, E> {
        Err(E::custom(NUMBER_REJECTED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_accepts_valid_forms() {
        let cases = [
            ("147800.00", 14_780_000),
            ("147800.5", 14_780_050),
            ("147800", 14_780_000),
            ("-12.30", -1_230),
            ("0", 0),
            ("0.00", 0),
            ("-0.00", 0),
            ("0.01", 1),
            ("-0.5", -50),
            ("007.10", 710),
            ("92233720368547758.07", i64::MAX),
            ("-92233720368547758.07", -i64::MAX),
        ];
        for (input, fen) in cases {
            assert_eq!(Fen::parse(input), Ok(Fen(fen)), "input {input:?}");
        }
    }

    #[test]
    fn parse_rejects_invalid_forms() {
        let invalid = |s: &str| MoneyError::InvalidFormat {
            input: s.to_string(),
        };
        let cases = [
            ("", MoneyError::Empty),
            (" 1.00", invalid(" 1.00")),
            ("1.00 ", invalid("1.00 ")),
            ("+1.00", invalid("+1.00")),
            ("1,000.00", invalid("1,000.00")),
            ("1e3", invalid("1e3")),
            ("1.", invalid("1.")),
            (".5", invalid(".5")),
            ("-", invalid("-")),
            ("--1", invalid("--1")),
            ("1.2.3", invalid("1.2.3")),
            ("1.-2", invalid("1.-2")),
            ("１２", invalid("１２")),
            ("abc", invalid("abc")),
            (
                "1.234",
                MoneyError::TooManyDecimals {
                    input: "1.234".to_string(),
                },
            ),
            (
                "1.230",
                MoneyError::TooManyDecimals {
                    input: "1.230".to_string(),
                },
            ),
            (
                "92233720368547758.08",
                MoneyError::OutOfRange {
                    input: "92233720368547758.08".to_string(),
                },
            ),
            (
                "-92233720368547758.08",
                MoneyError::OutOfRange {
                    input: "-92233720368547758.08".to_string(),
                },
            ),
        ];
        for (input, expected) in cases {
            assert_eq!(Fen::parse(input), Err(expected), "input {input:?}");
        }
    }

    #[test]
    fn parse_reports_overflow_of_long_input() {
        let long = "9".repeat(60);
        let error = Fen::parse(&long).unwrap_err();
        assert_eq!(error.code(), "amount_out_of_range");
        let MoneyError::OutOfRange { input } = error else {
            unreachable!()
        };
        assert_eq!(input.chars().count(), MAX_INPUT_ECHO_CHARS + 1);
        assert!(input.ends_with('…'));
    }

    #[test]
    fn error_codes_are_stable() {
        let cases = [
            ("", "amount_empty"),
            ("x", "amount_invalid_format"),
            ("1.001", "amount_too_many_decimals"),
            ("99999999999999999999", "amount_out_of_range"),
        ];
        for (input, code) in cases {
            let error = Fen::parse(input).unwrap_err();
            assert_eq!(error.code(), code, "input {input:?}");
            assert!(!error.message_zh().is_empty());
        }
    }

    #[test]
    fn display_prints_two_decimals() {
        let cases = [
            (Fen(14_780_000), "147800.00"),
            (Fen(-50), "-0.50"),
            (Fen(0), "0.00"),
            (Fen(1), "0.01"),
            (Fen(-1_230), "-12.30"),
            (Fen(i64::MAX), "92233720368547758.07"),
            (Fen(i64::MIN), "-92233720368547758.08"),
        ];
        for (amount, text) in cases {
            assert_eq!(amount.to_string(), text);
        }
    }

    #[test]
    fn display_round_trips_through_parse() {
        for fen in (-100_000..100_000).step_by(7) {
            assert_eq!(Fen::parse(&Fen(fen).to_string()), Ok(Fen(fen)));
        }
    }

    #[test]
    fn arithmetic_helpers() {
        assert_eq!(Fen::yuan(147_800), Fen(14_780_000));
        assert_eq!(Fen::yuan(-3), Fen(-300));
        assert_eq!(Fen(5).checked_add(Fen(7)), Some(Fen(12)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(5).checked_sub(Fen(7)), Some(Fen(-2)));
        assert_eq!(Fen(i64::MIN).checked_sub(Fen(1)), None);
        assert_eq!(-Fen(5), Fen(-5));
        assert_eq!(-Fen(-5), Fen(5));
        assert_eq!(Fen(-5).abs(), Fen(5));
        assert_eq!(Fen(5).abs(), Fen(5));
        assert!(Fen(-1).is_negative());
        assert!(!Fen(0).is_negative());
        assert!(!Fen(1).is_negative());
    }

    #[test]
    fn serde_uses_two_decimal_strings() {
        assert_eq!(
            serde_json::to_string(&Fen(14_780_000)).unwrap(),
            "\"147800.00\""
        );
        assert_eq!(serde_json::to_string(&Fen(-50)).unwrap(), "\"-0.50\"");
        assert_eq!(
            serde_json::from_str::<Fen>("\"147800.5\"").unwrap(),
            Fen(14_780_050)
        );
        assert_eq!(
            serde_json::from_str::<Fen>("\"-12.30\"").unwrap(),
            Fen(-1_230)
        );
    }

    #[test]
    fn serde_rejects_json_numbers() {
        for json in ["147800", "-5", "147800.00", "1e3"] {
            let error = serde_json::from_str::<Fen>(json).unwrap_err().to_string();
            assert!(
                error.contains("must be JSON strings"),
                "json {json}: {error}"
            );
        }
    }

    #[test]
    fn serde_rejects_invalid_strings() {
        let error = serde_json::from_str::<Fen>("\"1.234\"")
            .unwrap_err()
            .to_string();
        assert!(error.contains("more than two decimal places"), "{error}");
        let error = serde_json::from_str::<Fen>("null").unwrap_err().to_string();
        assert!(error.contains("decimal string"), "{error}");
    }
}
