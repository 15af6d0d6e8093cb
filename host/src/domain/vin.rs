//! Vehicle identification numbers (车辆识别代号, VIN) per GB 16735 and ISO 3779: syntax, check digit and
//! model year.
//!
//! A VIN has 17 characters from the digits and the capital letters without I, O and Q, which look like 1
//! and 0. Position 9 is a check digit, and position 10 codes the model year in a 30-year cycle.

use std::fmt;

use chrono::{Datelike, NaiveDate};

use super::UserFacing;

/// Number of characters in every VIN.
pub const VIN_LENGTH: usize = 17;

/// 1-based position of the check digit.
const CHECK_DIGIT_POSITION: usize = 9;

/// 1-based position of the model-year code.
const MODEL_YEAR_POSITION: usize = 10;

/// Weights of positions 1 to 17 in the check-digit sum. Position 9, the check digit itself, weighs 0.
const WEIGHTS: [u32; VIN_LENGTH] = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2];

/// Model-year codes in cycle order. The code at index i stands for 1980 + i and 2010 + i.
const MODEL_YEAR_CODES: &str = "ABCDEFGHJKLMNPRSTVWXY123456789";

/// Length of the model-year cycle.
const MODEL_YEAR_CYCLE: i32 = 30;

/// First year of the first cycle, which code 'A' stands for.
const FIRST_MODEL_YEAR: i32 = 1980;

/// Maximum age in years of the model year at the sale of a new vehicle before `model_year_plausible`
/// reports false.
///
/// NOTE: an estimate, not a rule from a standard or from the tax bureau. A vehicle sold long after its
/// model year is unusual for a new-vehicle invoice but not impossible, so callers should flag it for
/// review rather than reject it.
pub const MAX_MODEL_YEAR_AGE: i32 = 2;

/// A syntactically valid VIN. Built only by `Vin::parse` or `Vin::parse_ignoring_check_digit`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Vin(String);

/// Reasons for rejecting a VIN. Positions are 1-based, as printed on the certificate of conformity.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VinError {
    #[error("VIN has {actual} characters, expected 17")]
    LengthInvalid { actual: usize },
    #[error("VIN character {character:?} at position {position} is not allowed")]
    CharacterInvalid { position: usize, character: char },
    #[error("VIN check digit at position 9 should be {expected}, found {actual}")]
    CheckDigitInvalid { expected: char, actual: char },
    #[error("VIN model-year code {code:?} at position 10 is not a model-year code")]
    ModelYearInvalid { code: char },
}

impl UserFacing for VinError {
    fn code(&self) -> &'static str {
        match self {
            VinError::LengthInvalid { .. } => "vin_length_invalid",
            VinError::CharacterInvalid { .. } => "vin_character_invalid",
            VinError::CheckDigitInvalid { .. } => "vin_check_digit_invalid",
            VinError::ModelYearInvalid { .. } => "vin_model_year_invalid",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            VinError::LengthInvalid { actual } => {
                format!("车辆识别代号应为17位，实际为{actual}位，请核对车辆合格证")
            }
            VinError::CharacterInvalid {
                position,
                character,
            } if character.is_ascii_lowercase() => format!(
                "车辆识别代号第{position}位为小写字母“{character}”，请使用大写字母“{}”",
                character.to_ascii_uppercase()
            ),
            VinError::CharacterInvalid {
                position,
                character: character @ ('I' | 'O' | 'Q'),
            } => format!(
                "车辆识别代号第{position}位为字母“{character}”，车辆识别代号不使用字母 I、O、Q，\
                 请核对车辆合格证，该位可能是数字 1 或 0"
            ),
            VinError::CharacterInvalid {
                position,
                character,
            } => format!(
                "车辆识别代号第{position}位字符“{character}”无效，只能使用数字 0-9 和除 I、O、Q 以外的大写字母，\
                 请核对车辆合格证"
            ),
            VinError::CheckDigitInvalid { expected, actual } => {
                format!("车辆识别代号第9位校验位应为 {expected}，实际为 {actual}，请核对车辆合格证")
            }
            VinError::ModelYearInvalid { code } => format!(
                "车辆识别代号第10位年份代码“{code}”无效，年份代码不使用 U、Z 和数字 0，请核对车辆合格证"
            ),
        }
    }
}

/// Returns the transliterated value of a VIN character, or None for a character a VIN cannot contain.
fn character_value(c: char) -> Option<u32> {
    let value = match c {
        '0'..='9' => c as u32 - '0' as u32,
        'A' | 'J' => 1,
        'B' | 'K' | 'S' => 2,
        'C' | 'L' | 'T' => 3,
        'D' | 'M' | 'U' => 4,
        'E' | 'N' | 'V' => 5,
        'F' | 'W' => 6,
        'G' | 'P' | 'X' => 7,
        'H' | 'Y' => 8,
        'R' | 'Z' => 9,
        _ => return None,
    };
    Some(value)
}

/// Computes the check digit of 17 valid VIN characters: the weighted sum mod 11, with 10 written 'X'.
fn compute_check_digit(chars: &[char]) -> char {
    let sum: u32 = chars
        .iter()
        .zip(WEIGHTS)
        .map(|(&c, weight)| character_value(c).expect("VIN characters were validated") * weight)
        .sum();
    match sum % 11 {
        10 => 'X',
        remainder => char::from_digit(remainder, 10).expect("remainder below 10"),
    }
}

impl Vin {
    /// Parses a VIN and checks length, characters, model-year code and check digit, in that order.
    ///
    /// Lower-case letters are rejected, not upper-cased, so that what is stored is what the clerk saw.
    pub fn parse(s: &str) -> Result<Vin, VinError> {
        let vin = Vin::parse_ignoring_check_digit(s)?;
        match vin.check_digit_error() {
            Some(error) => Err(error),
            None => Ok(vin),
        }
    }

    /// Parses a VIN like `parse` but accepts a wrong check digit.
    ///
    /// For imported vehicles: European VINs often carry no valid check digit, so there a wrong one is a
    /// warning, which the caller reads from `check_digit_error`.
    pub fn parse_ignoring_check_digit(s: &str) -> Result<Vin, VinError> {
        let chars: Vec<char> = s.chars().collect();
        if chars.len() != VIN_LENGTH {
            return Err(VinError::LengthInvalid {
                actual: chars.len(),
            });
        }

        for (index, &character) in chars.iter().enumerate() {
            if character_value(character).is_none() || matches!(character, 'I' | 'O' | 'Q') {
                return Err(VinError::CharacterInvalid {
                    position: index + 1,
                    character,
                });
            }
        }

        let code = chars[MODEL_YEAR_POSITION - 1];
        if !MODEL_YEAR_CODES.contains(code) {
            return Err(VinError::ModelYearInvalid { code });
        }

        Ok(Vin(chars.into_iter().collect()))
    }

    /// Builds a VIN from 17 characters, replacing position 9 with the computed check digit. Used to
    /// make synthetic VINs for demo and load data.
    pub fn with_computed_check_digit(s: &str) -> Result<Vin, VinError> {
        let vin = Vin::parse_ignoring_check_digit(s)?;
        let mut chars: Vec<char> = vin.0.chars().collect();
        chars[CHECK_DIGIT_POSITION - 1] = compute_check_digit(&chars);
        Ok(Vin(chars.into_iter().collect()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Returns the check-digit error when position 9 does not match the computed check digit.
    pub fn check_digit_error(&self) -> Option<VinError> {
        let chars: Vec<char> = self.0.chars().collect();
        let expected = compute_check_digit(&chars);
        let actual = chars[CHECK_DIGIT_POSITION - 1];
        (expected != actual).then_some(VinError::CheckDigitInvalid { expected, actual })
    }

    /// Returns the two years the model-year code stands for in the 30-year cycle of 1980–2039, earlier
    /// first: [1987, 2017] for 'H'.
    pub fn model_years(&self) -> [i32; 2] {
        let first = FIRST_MODEL_YEAR + self.model_year_index();
        [first, first + MODEL_YEAR_CYCLE]
    }

    /// Returns the model year that fits a sale on `issue_date`: the latest year of the code's cycle that is
    /// not after the year following the issue year, because a model year may run one year ahead of the sale.
    pub fn model_year_at(&self, issue_date: NaiveDate) -> i32 {
        let latest_allowed = issue_date.year() + 1;
        let first = FIRST_MODEL_YEAR + self.model_year_index();
        latest_allowed - (latest_allowed - first).rem_euclid(MODEL_YEAR_CYCLE)
    }

    /// Tells whether the model year fits a new vehicle sold on `issue_date`: `model_year_at` lies from
    /// `MAX_MODEL_YEAR_AGE` years before the issue year up to one year after it.
    ///
    /// Every code has a year in any 30-year window, so without the age limit this check would always pass.
    pub fn model_year_plausible(&self, issue_date: NaiveDate) -> bool {
        self.model_year_at(issue_date) >= issue_date.year() - MAX_MODEL_YEAR_AGE
    }

    fn model_year_index(&self) -> i32 {
        let code = self.0.as_bytes()[MODEL_YEAR_POSITION - 1] as char;
        let index = MODEL_YEAR_CODES
            .find(code)
            .expect("model-year code was validated");
        i32::try_from(index).expect("index below 30")
    }
}

impl fmt::Display for Vin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn vin_accepts_published_vectors() {
        let cases = [
            "LFV2A1151H3201804",
            "1M8GDM9AXKP042788",
            "JN1DA31D63T505967",
            "HE9XR1C48PS083871",
            "1HGCM82633A004352",
        ];
        for text in cases {
            let vin = Vin::parse(text).unwrap_or_else(|error| panic!("{text}: {error}"));
            assert_eq!(vin.as_str(), text);
            assert_eq!(vin.to_string(), text);
            assert_eq!(vin.check_digit_error(), None);
        }
    }

    #[test]
    fn vin_rejects_wrong_check_digit() {
        let cases = [
            ("1XPTD40X0JD456115", '6', '0'),
            ("W0L000051T2123456", '5', '1'),
        ];
        for (text, expected, actual) in cases {
            assert_eq!(
                Vin::parse(text),
                Err(VinError::CheckDigitInvalid { expected, actual }),
                "{text}"
            );
        }
    }

    #[test]
    fn vin_check_digit_message_names_both_digits() {
        let error = VinError::CheckDigitInvalid {
            expected: 'X',
            actual: '1',
        };
        assert_eq!(error.code(), "vin_check_digit_invalid");
        assert_eq!(
            error.message_zh(),
            "车辆识别代号第9位校验位应为 X，实际为 1，请核对车辆合格证"
        );
    }

    #[test]
    fn vin_accepts_check_digit_x() {
        let vin = Vin::parse("1M8GDM9AXKP042788").unwrap();
        assert_eq!(vin.as_str().as_bytes()[8], b'X');
        let wrong = "1M8GDM9A1KP042788";
        assert_eq!(
            Vin::parse(wrong),
            Err(VinError::CheckDigitInvalid {
                expected: 'X',
                actual: '1'
            })
        );
    }

    #[test]
    fn vin_position_9_has_weight_zero() {
        // Whatever character is at position 9, the check digit computed from the other 16 stays the same.
        let base: Vec<char> = "LFV2A1151H3201804".chars().collect();
        for replacement in "0123456789XABCDEFGHJKLMNPRSTUVWYZ".chars() {
            let mut chars = base.clone();
            chars[8] = replacement;
            assert_eq!(
                compute_check_digit(&chars),
                '1',
                "position 9 = {replacement}"
            );
        }
    }

    #[test]
    fn vin_ignoring_check_digit_reports_it() {
        let vin = Vin::parse_ignoring_check_digit("W0L000051T2123456").unwrap();
        assert_eq!(
            vin.check_digit_error(),
            Some(VinError::CheckDigitInvalid {
                expected: '5',
                actual: '1'
            })
        );
        // Everything but the check digit is still checked.
        assert_eq!(
            Vin::parse_ignoring_check_digit("W0L000051T212345"),
            Err(VinError::LengthInvalid { actual: 16 })
        );
        assert_eq!(
            Vin::parse_ignoring_check_digit("W0L000051U2123456"),
            Err(VinError::ModelYearInvalid { code: 'U' })
        );
    }

    #[test]
    fn vin_rejects_wrong_length() {
        let cases = [
            ("JTMM21JN0149987", 15),
            ("LFV2A1151H320180", 16),
            ("LFV2A1151H32018045", 18),
            ("", 0),
            ("车辆识别代号", 6),
        ];
        for (text, actual) in cases {
            let error = Vin::parse(text).unwrap_err();
            assert_eq!(error, VinError::LengthInvalid { actual }, "{text:?}");
            assert_eq!(error.code(), "vin_length_invalid");
        }
    }

    #[test]
    fn vin_rejects_letter_o() {
        let error = Vin::parse("LFV2A1151H32O1804").unwrap_err();
        assert_eq!(
            error,
            VinError::CharacterInvalid {
                position: 13,
                character: 'O'
            }
        );
        assert_eq!(error.code(), "vin_character_invalid");
        assert!(
            error.message_zh().contains("不使用字母 I、O、Q"),
            "{}",
            error.message_zh()
        );
    }

    #[test]
    fn vin_rejects_letters_i_and_q() {
        let cases = [
            ("IFV2A1151H3201804", 1, 'I'),
            ("LFV2A1151H320180Q", 17, 'Q'),
        ];
        for (text, position, character) in cases {
            assert_eq!(
                Vin::parse(text),
                Err(VinError::CharacterInvalid {
                    position,
                    character
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn vin_rejects_lower_case() {
        let error = Vin::parse("lfv2a1151h3201804").unwrap_err();
        assert_eq!(
            error,
            VinError::CharacterInvalid {
                position: 1,
                character: 'l'
            }
        );
        assert!(
            error.message_zh().contains("请使用大写字母“L”"),
            "{}",
            error.message_zh()
        );
    }

    #[test]
    fn vin_rejects_other_characters() {
        let cases = [
            ("LFV2A1151H320180-", 17, '-'),
            ("LFV2A1151H3 01804", 12, ' '),
            ("LFV2A1151H32０1804", 13, '０'),
        ];
        for (text, position, character) in cases {
            let error = Vin::parse(text).unwrap_err();
            assert_eq!(
                error,
                VinError::CharacterInvalid {
                    position,
                    character
                },
                "{text}"
            );
            assert!(error.message_zh().contains("只能使用数字"));
        }
    }

    #[test]
    fn vin_rejects_invalid_model_year_codes() {
        // Position 10 replaced. U and Z are valid VIN characters but not model-year codes, and neither is 0.
        for code in ['U', 'Z', '0'] {
            let mut text: Vec<char> = "LFV2A1151H3201804".chars().collect();
            text[9] = code;
            let text: String = text.into_iter().collect();
            let error = Vin::parse(&text).unwrap_err();
            assert_eq!(error, VinError::ModelYearInvalid { code }, "{text}");
            assert_eq!(error.code(), "vin_model_year_invalid");
        }
    }

    #[test]
    fn vin_model_years_follow_cycle() {
        let cases = [
            ("LFV2A1151H3201804", [1987, 2017]),
            ("1M8GDM9AXKP042788", [1989, 2019]),
            ("JN1DA31D63T505967", [2003, 2033]),
            ("HE9XR1C48PS083871", [1993, 2023]),
        ];
        for (text, years) in cases {
            assert_eq!(Vin::parse(text).unwrap().model_years(), years, "{text}");
        }
        assert_eq!(MODEL_YEAR_CODES.len(), 30);
    }

    #[test]
    fn vin_model_year_at_follows_issue_date() {
        let vin = Vin::parse("LFV2A1151H3201804").unwrap();
        let cases = [
            ("2017-12-28", 2017),
            ("2016-06-01", 2017),
            ("2015-06-01", 1987),
            ("2040-06-01", 2017),
            ("2046-06-01", 2047),
        ];
        for (day, year) in cases {
            assert_eq!(vin.model_year_at(date(day)), year, "issued {day}");
        }
    }

    #[test]
    fn vin_model_year_plausible_window() {
        let vin = Vin::parse("LFV2A1151H3201804").unwrap();
        let cases = [
            ("2015-12-31", false),
            ("2016-01-01", true),
            ("2017-12-28", true),
            ("2019-12-31", true),
            ("2020-01-01", false),
        ];
        for (day, plausible) in cases {
            assert_eq!(
                vin.model_year_plausible(date(day)),
                plausible,
                "issued {day}"
            );
        }
    }
}
