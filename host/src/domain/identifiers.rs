//! Buyer and seller identifiers: 统一社会信用代码 (GB 32100-2015), 组织机构代码 (GB 11714),
//! 居民身份证号码 (GB 11643-1999) and the 15- and 20-character 纳税人识别号.
//!
//! Each check validates shape, check character and, where the number embeds one, the date or region.
//! `check_buyer_id` distinguishes the kinds by length and characters, so a value is not tried against
//! every kind until one happens to pass.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::UserFacing;

/// Maximum number of characters of a rejected input that an error repeats.
const MAX_INPUT_ECHO_CHARS: usize = 32;

/// The 31 characters of a 统一社会信用代码 in the order of their values 0..30. GB 32100-2015 leaves out
/// I, O, S, V and Z.
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const USCC_LENGTH: usize = 18;

/// Weights of USCC positions 1 to 17: 3^(i−1) mod 31.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Weights of the eight body characters of a GB 11714 organisation code.
const ORGANIZATION_CODE_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

const ORGANIZATION_CODE_LENGTH: usize = 9;

/// Weights of resident ID positions 1 to 17 for the ISO 7064 MOD 11-2 check.
const RESIDENT_ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// Check characters of a resident ID indexed by the weighted sum mod 11.
const RESIDENT_ID_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

const RESIDENT_ID_LENGTH: usize = 18;

/// Earliest birth date a resident ID may carry.
const EARLIEST_BIRTH_YEAR: i32 = 1900;

/// The kind of identifier a value was recognised as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BuyerIdKind {
    /// 统一社会信用代码, 18 characters.
    Uscc,
    /// 居民身份证号码, 18 characters.
    ResidentId,
    /// 组织机构代码, 9 characters or "XXXXXXXX-X".
    OrganizationCode,
    /// 纳税人识别号 of 15 characters issued before the USCC: division code and organisation code.
    TaxpayerId15,
    /// 纳税人识别号 of 20 characters for individuals: resident ID and two more characters.
    TaxpayerId20,
}

impl BuyerIdKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            BuyerIdKind::Uscc => "统一社会信用代码",
            BuyerIdKind::ResidentId => "居民身份证号码",
            BuyerIdKind::OrganizationCode => "组织机构代码",
            BuyerIdKind::TaxpayerId15 => "15位纳税人识别号",
            BuyerIdKind::TaxpayerId20 => "20位纳税人识别号",
        }
    }
}

/// An accepted identifier: its kind and the doubts that should be shown to the clerk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdentifierCheck {
    pub kind: BuyerIdKind,
    pub warnings: Vec<IdentifierWarning>,
}

impl IdentifierCheck {
    fn clean(kind: BuyerIdKind) -> IdentifierCheck {
        IdentifierCheck {
            kind,
            warnings: Vec::new(),
        }
    }
}

/// A doubt about an accepted identifier.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierWarning {
    /// The USCC check character does not match. Codes issued in pilot areas before GB 32100-2015 such as
    /// 91350211M00013FA1N are real but fail the check, so this alone does not reject the code.
    #[error("USCC check character should be {expected}, found {actual}")]
    UsccCheckCharMismatch { expected: char, actual: char },
}

impl UserFacing for IdentifierWarning {
    fn code(&self) -> &'static str {
        match self {
            IdentifierWarning::UsccCheckCharMismatch { .. } => "uscc_check_char_mismatch",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            IdentifierWarning::UsccCheckCharMismatch { expected, actual } => format!(
                "统一社会信用代码校验位不符，第18位按 GB 32100 应为 {expected}，实际为 {actual}，\
                 可能为试点期旧代码，请核对营业执照"
            ),
        }
    }
}

/// Reasons for rejecting the birth date in a resident ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BirthDateProblem {
    NotACalendarDate,
    Before1900,
    AfterToday,
}

/// Reasons for rejecting an identifier. Positions are 1-based.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IdentifierError {
    #[error("buyer id {input:?} matches none of the accepted forms")]
    BuyerIdFormatInvalid { input: String },
    #[error(
        "seller tax id {input:?} is neither an 18-character USCC nor a 15-character taxpayer id"
    )]
    SellerTaxIdFormatInvalid { input: String },

    #[error("USCC has {actual} characters, expected 18")]
    UsccLengthInvalid { actual: usize },
    #[error("USCC character {character:?} at position {position} is not allowed")]
    UsccCharacterInvalid { position: usize, character: char },
    #[error(
        "organisation code {organization_code} inside the USCC should end in {expected}, found {actual}"
    )]
    UsccOrganizationCodeInvalid {
        organization_code: String,
        expected: char,
        actual: char,
    },

    #[error("organisation code has {actual} characters, expected 9 or the form XXXXXXXX-X")]
    OrganizationCodeLengthInvalid { actual: usize },
    #[error("organisation code character {character:?} at position {position} is not allowed")]
    OrganizationCodeCharacterInvalid { position: usize, character: char },
    #[error("organisation code check character should be {expected}, found {actual}")]
    OrganizationCodeCheckDigitInvalid { expected: char, actual: char },

    #[error("resident ID has {actual} characters, expected 18")]
    ResidentIdLengthInvalid { actual: usize },
    #[error("resident ID character {character:?} at position {position} is not allowed")]
    ResidentIdCharacterInvalid { position: usize, character: char },
    #[error("resident ID starts with {prefix}, which is no province-level division code")]
    ResidentIdRegionInvalid { prefix: String },
    #[error("resident ID birth date {birth_date} is invalid: {problem:?}")]
    ResidentIdBirthDateInvalid {
        birth_date: String,
        problem: BirthDateProblem,
    },
    #[error("resident ID check character should be {expected}, found {actual}")]
    ResidentIdCheckDigitInvalid { expected: char, actual: char },

    #[error("taxpayer id has {actual} characters, expected {expected}")]
    TaxpayerIdLengthInvalid { expected: usize, actual: usize },
    #[error("taxpayer id starts with {code:?}, which is no division code of a province")]
    TaxpayerIdDivisionCodeInvalid { code: String },
    #[error("taxpayer id of {length} characters has an invalid part: {part}")]
    TaxpayerIdPartInvalid {
        length: usize,
        part: Box<IdentifierError>,
    },
    #[error("taxpayer id ends in {suffix:?}, expected two digits or capital letters")]
    TaxpayerIdSuffixInvalid { suffix: String },
}

impl UserFacing for IdentifierError {
    fn code(&self) -> &'static str {
        use IdentifierError::*;
        match self {
            BuyerIdFormatInvalid { .. } => "buyer_id_format_invalid",
            SellerTaxIdFormatInvalid { .. } => "seller_tax_id_format_invalid",
            UsccLengthInvalid { .. } | UsccCharacterInvalid { .. } => "uscc_invalid",
            UsccOrganizationCodeInvalid { .. } => "uscc_organization_code_invalid",
            OrganizationCodeLengthInvalid { .. } | OrganizationCodeCharacterInvalid { .. } => {
                "organization_code_invalid"
            }
            OrganizationCodeCheckDigitInvalid { .. } => "organization_code_check_digit_invalid",
            ResidentIdLengthInvalid { .. } | ResidentIdCharacterInvalid { .. } => {
                "resident_id_format_invalid"
            }
            ResidentIdRegionInvalid { .. } => "resident_id_region_invalid",
            ResidentIdBirthDateInvalid { .. } => "resident_id_birth_date_invalid",
            ResidentIdCheckDigitInvalid { .. } => "resident_id_check_digit_invalid",
            TaxpayerIdLengthInvalid { .. }
            | TaxpayerIdDivisionCodeInvalid { .. }
            | TaxpayerIdPartInvalid { .. }
            | TaxpayerIdSuffixInvalid { .. } => "taxpayer_id_invalid",
        }
    }

    fn message_zh(&self) -> String {
        use IdentifierError::*;
        match self {
            BuyerIdFormatInvalid { input } => format!(
                "购买方纳税人识别号/统一社会信用代码/身份证明号码“{input}”格式无效，应为18位统一社会信用代码、\
                 18位居民身份证号码、15位或20位纳税人识别号，或9位组织机构代码（也可写作 XXXXXXXX-X）"
            ),
            SellerTaxIdFormatInvalid { input } => format!(
                "销货单位纳税人识别号“{input}”格式无效，应为18位统一社会信用代码或15位纳税人识别号，请核对税务登记信息"
            ),

            UsccLengthInvalid { actual } => {
                format!("统一社会信用代码应为18位，实际为{actual}位，请核对营业执照")
            }
            UsccCharacterInvalid {
                position,
                character,
            } => {
                let rule = if (3..=8).contains(position) {
                    "第3-8位为登记管理机关行政区划码，只能是数字".to_string()
                } else if character.is_ascii_lowercase() {
                    format!("请使用大写字母“{}”", character.to_ascii_uppercase())
                } else {
                    "只能使用数字和除 I、O、S、V、Z 以外的大写字母".to_string()
                };
                format!(
                    "统一社会信用代码第{position}位字符“{character}”无效，{rule}，请核对营业执照"
                )
            }
            UsccOrganizationCodeInvalid {
                organization_code,
                expected,
                actual,
            } => format!(
                "统一社会信用代码第9-17位的组织机构代码“{organization_code}”校验码应为 {expected}，实际为 {actual}，\
                 该代码不是有效的统一社会信用代码，请核对营业执照"
            ),

            OrganizationCodeLengthInvalid { actual } => format!(
                "组织机构代码应为9位（也可写作 XXXXXXXX-X），实际为{actual}位，请核对组织机构代码证"
            ),
            OrganizationCodeCharacterInvalid {
                position,
                character,
            } => {
                let rule = if character.is_ascii_lowercase() {
                    format!("请使用大写字母“{}”", character.to_ascii_uppercase())
                } else {
                    "只能使用数字和大写字母".to_string()
                };
                format!(
                    "组织机构代码第{position}位字符“{character}”无效，{rule}，请核对组织机构代码证"
                )
            }
            OrganizationCodeCheckDigitInvalid { expected, actual } => format!(
                "组织机构代码第9位校验码应为 {expected}，实际为 {actual}，请核对组织机构代码证"
            ),

            ResidentIdLengthInvalid { actual } => {
                format!("居民身份证号码应为18位，实际为{actual}位，请核对身份证")
            }
            ResidentIdCharacterInvalid {
                position,
                character,
            } => {
                let rule = if *character == 'x' {
                    "请使用大写字母“X”".to_string()
                } else {
                    "前17位只能是数字，第18位只能是数字或大写字母 X".to_string()
                };
                format!("居民身份证号码第{position}位字符“{character}”无效，{rule}，请核对身份证")
            }
            ResidentIdRegionInvalid { prefix } => {
                format!("居民身份证号码前两位“{prefix}”不是省级行政区划代码，请核对身份证")
            }
            ResidentIdBirthDateInvalid {
                birth_date,
                problem,
            } => {
                let reason = match problem {
                    BirthDateProblem::NotACalendarDate => "不是有效日期",
                    BirthDateProblem::Before1900 => "早于1900年",
                    BirthDateProblem::AfterToday => "晚于今天",
                };
                format!("居民身份证号码第7-14位的出生日期“{birth_date}”{reason}，请核对身份证")
            }
            ResidentIdCheckDigitInvalid { expected, actual } => {
                format!("居民身份证号码第18位校验码应为 {expected}，实际为 {actual}，请核对身份证")
            }

            TaxpayerIdLengthInvalid { expected, actual } => {
                format!("纳税人识别号应为{expected}位，实际为{actual}位，请核对税务登记证")
            }
            TaxpayerIdDivisionCodeInvalid { code } => {
                format!("15位纳税人识别号前6位“{code}”不是有效的行政区划代码，请核对税务登记证")
            }
            TaxpayerIdPartInvalid { length, part } => {
                let part_name = if *length == 15 {
                    "第7-15位的组织机构代码"
                } else {
                    "前18位的居民身份证号码"
                };
                format!(
                    "{length}位纳税人识别号{part_name}有误：{}",
                    part.message_zh()
                )
            }
            TaxpayerIdSuffixInvalid { suffix } => format!(
                "20位纳税人识别号最后两位“{suffix}”无效，只能是数字或大写字母，请核对税务登记证"
            ),
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

/// Tells whether two digits start a province-level division code of GB/T 2260: 11–15, 21–23, 31–37,
/// 41–46, 50–54, 61–65, 71 (Taiwan), 81 (Hong Kong) and 82 (Macao).
fn is_province_code(code: u32) -> bool {
    matches!(code, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82)
}

/// Returns the province code in the first two characters when both are ASCII digits.
fn leading_province_digits(s: &str) -> Option<u32> {
    let prefix = s.get(..2)?;
    if !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    prefix.parse().ok()
}

fn uscc_value(c: char) -> Option<u32> {
    USCC_CHARSET.find(c).map(|index| index as u32)
}

/// Checks a 统一社会信用代码 (GB 32100-2015).
///
/// Shape: two characters of the USCC charset, six digits of the registering authority's division code,
/// then ten charset characters. Positions 9–17 are the holder's GB 11714 organisation code. A code whose
/// embedded organisation code fails its check is rejected, even when the USCC check passes. A one-character
/// typo anywhere breaks the USCC check, so a code that passes it with a bad organisation code is made up,
/// not mistyped.
///
/// A code that fails only the USCC check character is accepted with `UsccCheckCharMismatch`, because
/// real codes from the pilot period before the standard fail it too.
pub fn check_uscc(s: &str) -> Result<IdentifierCheck, IdentifierError> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != USCC_LENGTH {
        return Err(IdentifierError::UsccLengthInvalid {
            actual: chars.len(),
        });
    }

    for (index, &character) in chars.iter().enumerate() {
        let position = index + 1;
        let allowed = if (3..=8).contains(&position) {
            character.is_ascii_digit()
        } else {
            uscc_value(character).is_some()
        };
        if !allowed {
            return Err(IdentifierError::UsccCharacterInvalid {
                position,
                character,
            });
        }
    }

    let organization_code: String = chars[8..17].iter().collect();
    let expected_organization_check = organization_code_check_char(&chars[8..16]);
    if chars[16] != expected_organization_check {
        return Err(IdentifierError::UsccOrganizationCodeInvalid {
            organization_code,
            expected: expected_organization_check,
            actual: chars[16],
        });
    }

    let sum: u32 = chars[..17]
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(&c, weight)| uscc_value(c).expect("USCC characters were validated") * weight)
        .sum();
    let check_value = (31 - sum % 31) % 31;
    let expected = USCC_CHARSET.as_bytes()[check_value as usize] as char;
    let actual = chars[17];

    let mut check = IdentifierCheck::clean(BuyerIdKind::Uscc);
    if actual != expected {
        check
            .warnings
            .push(IdentifierWarning::UsccCheckCharMismatch { expected, actual });
    }
    Ok(check)
}

fn organization_code_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        _ => None,
    }
}

/// Computes the GB 11714 check character of eight valid body characters: 11 − (Σ mod 11), with 10
/// written 'X' and 11 written '0'.
fn organization_code_check_char(body: &[char]) -> char {
    let sum: u32 = body
        .iter()
        .zip(ORGANIZATION_CODE_WEIGHTS)
        .map(|(&c, weight)| {
            organization_code_value(c).expect("body characters were validated") * weight
        })
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        value => char::from_digit(value, 10).expect("value below 10"),
    }
}

/// Checks a 组织机构代码 (GB 11714): eight digits or capital letters and a check character, written either
/// as nine characters or as "XXXXXXXX-X".
pub fn check_organization_code(s: &str) -> Result<IdentifierCheck, IdentifierError> {
    let mut chars: Vec<char> = s.chars().collect();
    if chars.len() == ORGANIZATION_CODE_LENGTH + 1 && chars[8] == '-' {
        chars.remove(8);
    }
    if chars.len() != ORGANIZATION_CODE_LENGTH {
        return Err(IdentifierError::OrganizationCodeLengthInvalid {
            actual: s.chars().count(),
        });
    }

    for (index, &character) in chars.iter().enumerate() {
        if organization_code_value(character).is_none() {
            return Err(IdentifierError::OrganizationCodeCharacterInvalid {
                position: index + 1,
                character,
            });
        }
    }

    let expected = organization_code_check_char(&chars[..8]);
    let actual = chars[8];
    if actual != expected {
        return Err(IdentifierError::OrganizationCodeCheckDigitInvalid { expected, actual });
    }
    Ok(IdentifierCheck::clean(BuyerIdKind::OrganizationCode))
}

/// Checks a 居民身份证号码 (GB 11643-1999): 6-digit address code, birth date YYYYMMDD, 3-digit sequence
/// and an ISO 7064 MOD 11-2 check character (0–9 or X).
///
/// The checks run in the order format, check character, region, birth date. A check-character failure
/// shows that some digit is wrong, and then a complaint about the date or region would mislead. The birth date must be a real calendar date from 1900-01-01 up to `today`, and the first two
/// digits must be a province-level code.
pub fn check_resident_id(s: &str, today: NaiveDate) -> Result<IdentifierCheck, IdentifierError> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != RESIDENT_ID_LENGTH {
        return Err(IdentifierError::ResidentIdLengthInvalid {
            actual: chars.len(),
        });
    }
    for (index, &character) in chars.iter().enumerate() {
        let allowed = character.is_ascii_digit() || (index == 17 && character == 'X');
        if !allowed {
            return Err(IdentifierError::ResidentIdCharacterInvalid {
                position: index + 1,
                character,
            });
        }
    }

    let digits: Vec<u32> = chars[..17]
        .iter()
        .map(|c| c.to_digit(10).expect("digits were validated"))
        .collect();
    let sum: u32 = digits
        .iter()
        .zip(RESIDENT_ID_WEIGHTS)
        .map(|(digit, weight)| digit * weight)
        .sum();
    let expected = RESIDENT_ID_CHECK_CHARS[(sum % 11) as usize];
    if chars[17] != expected {
        return Err(IdentifierError::ResidentIdCheckDigitInvalid {
            expected,
            actual: chars[17],
        });
    }

    let province = digits[0] * 10 + digits[1];
    if !is_province_code(province) {
        return Err(IdentifierError::ResidentIdRegionInvalid {
            prefix: format!("{province:02}"),
        });
    }

    check_birth_date(&s[6..14], today)?;
    Ok(IdentifierCheck::clean(BuyerIdKind::ResidentId))
}

fn check_birth_date(yyyymmdd: &str, today: NaiveDate) -> Result<(), IdentifierError> {
    let invalid = |problem| IdentifierError::ResidentIdBirthDateInvalid {
        birth_date: yyyymmdd.to_string(),
        problem,
    };

    let year: i32 = yyyymmdd[..4].parse().expect("digits were validated");
    let month: u32 = yyyymmdd[4..6].parse().expect("digits were validated");
    let day: u32 = yyyymmdd[6..].parse().expect("digits were validated");
    let birth_date = NaiveDate::from_ymd_opt(year, month, day)
        .ok_or(invalid(BirthDateProblem::NotACalendarDate))?;

    if birth_date.year() < EARLIEST_BIRTH_YEAR {
        return Err(invalid(BirthDateProblem::Before1900));
    }
    if birth_date > today {
        return Err(invalid(BirthDateProblem::AfterToday));
    }
    Ok(())
}

/// Checks a 15-character 纳税人识别号 issued before the USCC: a 6-digit administrative division code
/// (GB/T 2260) that starts with a province-level code, followed by the holder's 9-character GB 11714
/// organisation code.
///
/// NOTE: the structure is the one commonly described for these numbers; no official text of it was at
/// hand. Only the province prefix of the division code is checked, not the full code list.
pub fn check_taxpayer_id_15(s: &str) -> Result<IdentifierCheck, IdentifierError> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 15 {
        return Err(IdentifierError::TaxpayerIdLengthInvalid {
            expected: 15,
            actual: chars.len(),
        });
    }

    let division_code: String = chars[..6].iter().collect();
    let division_digits = division_code.bytes().all(|b| b.is_ascii_digit());
    if !division_digits || !leading_province_digits(&division_code).is_some_and(is_province_code) {
        return Err(IdentifierError::TaxpayerIdDivisionCodeInvalid {
            code: division_code,
        });
    }

    let organization_code: String = chars[6..].iter().collect();
    check_organization_code(&organization_code).map_err(|part| {
        IdentifierError::TaxpayerIdPartInvalid {
            length: 15,
            part: Box::new(part),
        }
    })?;
    Ok(IdentifierCheck::clean(BuyerIdKind::TaxpayerId15))
}

/// Checks a 20-character 纳税人识别号 of an individual: an 18-character resident ID followed by two digits
/// or capital letters.
///
/// NOTE: the meaning of the last two characters was not confirmed, so they are checked for their
/// characters only.
pub fn check_taxpayer_id_20(s: &str, today: NaiveDate) -> Result<IdentifierCheck, IdentifierError> {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 20 {
        return Err(IdentifierError::TaxpayerIdLengthInvalid {
            expected: 20,
            actual: chars.len(),
        });
    }

    let resident_id: String = chars[..18].iter().collect();
    check_resident_id(&resident_id, today).map_err(|part| {
        IdentifierError::TaxpayerIdPartInvalid {
            length: 20,
            part: Box::new(part),
        }
    })?;

    let suffix: String = chars[18..].iter().collect();
    if !suffix
        .chars()
        .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase())
    {
        return Err(IdentifierError::TaxpayerIdSuffixInvalid { suffix });
    }
    Ok(IdentifierCheck::clean(BuyerIdKind::TaxpayerId20))
}

/// Tells whether an 18-character value has the shape of a resident ID: 17 digits, then a digit or X, with
/// a province-level code in front. A lower-case x also counts, so that the resident ID check can ask the
/// clerk for a capital.
fn looks_like_resident_id(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.len() == RESIDENT_ID_LENGTH
        && bytes[..17].iter().all(u8::is_ascii_digit)
        && (bytes[17].is_ascii_digit() || bytes[17] == b'X' || bytes[17] == b'x')
        && leading_province_digits(s).is_some_and(is_province_code)
}

/// Checks the buyer's 纳税人识别号/统一社会信用代码/身份证明号码 and returns its kind.
///
/// The kind follows from the shape:
/// - 18 characters shaped like a resident ID (see `looks_like_resident_id`): resident ID. An all-digit
///   USCC can have that shape too, so when the resident ID check fails but the value is a USCC that passes
///   every check without a warning, it is accepted as a USCC.
/// - other 18 characters: USCC;
/// - 20 characters: 20-character taxpayer id;
/// - 15 characters: 15-character taxpayer id;
/// - 9 characters, or 10 with '-' at position 9: organisation code.
///
/// NOTE: 15-digit first-generation resident IDs are treated as 15-character taxpayer ids and fail, and
/// identity documents other than the resident ID (passports, permits) are not accepted.
pub fn check_buyer_id(s: &str, today: NaiveDate) -> Result<IdentifierCheck, IdentifierError> {
    let length = s.chars().count();
    match length {
        18 if looks_like_resident_id(s) => match check_resident_id(s, today) {
            Ok(check) => Ok(check),
            Err(resident_error) => match check_uscc(s) {
                Ok(check) if check.warnings.is_empty() => Ok(check),
                _ => Err(resident_error),
            },
        },
        18 => check_uscc(s),
        20 => check_taxpayer_id_20(s, today),
        15 => check_taxpayer_id_15(s),
        9 => check_organization_code(s),
        10 if s.chars().nth(8) == Some('-') => check_organization_code(s),
        _ => Err(IdentifierError::BuyerIdFormatInvalid { input: echo(s) }),
    }
}

/// Checks the seller's 纳税人识别号: an 18-character USCC or a 15-character taxpayer id.
pub fn check_seller_tax_id(s: &str) -> Result<IdentifierCheck, IdentifierError> {
    match s.chars().count() {
        USCC_LENGTH => check_uscc(s),
        15 => check_taxpayer_id_15(s),
        _ => Err(IdentifierError::SellerTaxIdFormatInvalid { input: echo(s) }),
    }
}

/// Completes a USCC from its first 16 characters: computes the embedded organisation code's check
/// character (position 17) and the USCC check character (position 18). Returns `None` when a
/// character is outside the USCC charset. The synthetic data generator uses it.
pub fn uscc_with_check_chars(first16: &str) -> Option<String> {
    let mut chars: Vec<char> = first16.chars().collect();
    if chars.len() != 16 || chars.iter().any(|&c| uscc_value(c).is_none() || organization_code_value(c).is_none()) {
        return None;
    }
    chars.push(organization_code_check_char(&chars[8..16]));

    let sum: u32 = chars.iter().zip(USCC_WEIGHTS).map(|(&c, weight)| uscc_value(c).expect("checked above") * weight).sum();
    chars.push(USCC_CHARSET.as_bytes()[((31 - sum % 31) % 31) as usize] as char);
    Some(chars.into_iter().collect())
}

/// Completes an 18-character resident id from its first 17 digits with the GB 11643 check
/// character. Returns `None` unless given exactly 17 ASCII digits.
pub fn resident_id_with_check_char(first17: &str) -> Option<String> {
    if first17.len() != 17 || !first17.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = first17.bytes().zip(RESIDENT_ID_WEIGHTS).map(|(digit, weight)| u32::from(digit - b'0') * weight).sum();
    Some(format!("{first17}{}", RESIDENT_ID_CHECK_CHARS[(sum % 11) as usize]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn today() -> NaiveDate {
        date("2024-06-30")
    }

    fn mismatch(expected: char, actual: char) -> Vec<IdentifierWarning> {
        vec![IdentifierWarning::UsccCheckCharMismatch { expected, actual }]
    }

    #[test]
    fn uscc_weights_are_powers_of_three() {
        let mut power = 1;
        for weight in USCC_WEIGHTS {
            assert_eq!(weight, power);
            power = power * 3 % 31;
        }
        assert_eq!(USCC_CHARSET.len(), 31);
    }

    #[test]
    fn uscc_accepts_valid_code() {
        assert_eq!(
            check_uscc("91310110666007217T"),
            Ok(IdentifierCheck::clean(BuyerIdKind::Uscc))
        );
        // All-digit code built for this test: body 1242010000000000, organisation code check 0, USCC check 1.
        assert_eq!(
            check_uscc("124201000000000001"),
            Ok(IdentifierCheck::clean(BuyerIdKind::Uscc))
        );
    }

    #[test]
    fn uscc_warns_on_check_char_mismatch() {
        let cases = [
            // A typo in the last character: only the warning shows it, see check_uscc.
            ("91310110666007217U", 'T', 'U'),
            // A real code from the pilot period before GB 32100-2015.
            ("91350211M00013FA1N", '3', 'N'),
            // A masked vendor OCR sample whose organisation code still passes.
            ("91320594MA1N0MMY8F", 'P', 'F'),
        ];
        for (code, expected, actual) in cases {
            let check = check_uscc(code).unwrap();
            assert_eq!(check.kind, BuyerIdKind::Uscc, "{code}");
            assert_eq!(check.warnings, mismatch(expected, actual), "{code}");
        }
        let warning = IdentifierWarning::UsccCheckCharMismatch {
            expected: '3',
            actual: 'N',
        };
        assert_eq!(warning.code(), "uscc_check_char_mismatch");
        assert!(warning.message_zh().contains("可能为试点期旧代码"));
    }

    #[test]
    fn uscc_rejects_bad_embedded_organization_code() {
        // The USCC check passes, so this is no typo: the organisation code MA01ABCD1 should end in 5.
        let error = check_uscc("91110108MA01ABCD1E").unwrap_err();
        assert_eq!(
            error,
            IdentifierError::UsccOrganizationCodeInvalid {
                organization_code: "MA01ABCD1".to_string(),
                expected: '5',
                actual: '1'
            }
        );
        assert_eq!(error.code(), "uscc_organization_code_invalid");
        // A masked vendor OCR sample: both checks fail.
        let error = check_uscc("914105001924458113").unwrap_err();
        assert_eq!(error.code(), "uscc_organization_code_invalid");
    }

    #[test]
    fn uscc_rejects_bad_shape() {
        let cases = [
            (
                "9131011066600721T",
                IdentifierError::UsccLengthInvalid { actual: 17 },
            ),
            (
                "91310110666007217TT",
                IdentifierError::UsccLengthInvalid { actual: 19 },
            ),
            (
                "I1310110666007217T",
                IdentifierError::UsccCharacterInvalid {
                    position: 1,
                    character: 'I',
                },
            ),
            (
                "913101A0666007217T",
                IdentifierError::UsccCharacterInvalid {
                    position: 7,
                    character: 'A',
                },
            ),
            (
                "91310110666007217S",
                IdentifierError::UsccCharacterInvalid {
                    position: 18,
                    character: 'S',
                },
            ),
            (
                "91310110666007217t",
                IdentifierError::UsccCharacterInvalid {
                    position: 18,
                    character: 't',
                },
            ),
            (
                "91310110O66007217T",
                IdentifierError::UsccCharacterInvalid {
                    position: 9,
                    character: 'O',
                },
            ),
        ];
        for (code, expected) in cases {
            let error = check_uscc(code).unwrap_err();
            assert_eq!(error, expected, "{code}");
            assert_eq!(error.code(), "uscc_invalid", "{code}");
        }
        let lowercase = IdentifierError::UsccCharacterInvalid {
            position: 18,
            character: 't',
        };
        assert!(lowercase.message_zh().contains("请使用大写字母“T”"));
    }

    #[test]
    fn organization_code_accepts_valid_codes() {
        for code in [
            "666007217",
            "591693856",
            "71526726X",
            "MA1N0MMY8",
            "M00013FA1",
            "66600721-7",
            "MA1N0MMY-8",
        ] {
            assert_eq!(
                check_organization_code(code),
                Ok(IdentifierCheck::clean(BuyerIdKind::OrganizationCode)),
                "{code}"
            );
        }
    }

    #[test]
    fn organization_code_rejects_invalid_codes() {
        let cases = [
            (
                "MA01ABCD1",
                IdentifierError::OrganizationCodeCheckDigitInvalid {
                    expected: '5',
                    actual: '1',
                },
            ),
            (
                "666007218",
                IdentifierError::OrganizationCodeCheckDigitInvalid {
                    expected: '7',
                    actual: '8',
                },
            ),
            (
                "71526726x",
                IdentifierError::OrganizationCodeCharacterInvalid {
                    position: 9,
                    character: 'x',
                },
            ),
            (
                "ma1n0mmy8",
                IdentifierError::OrganizationCodeCharacterInvalid {
                    position: 1,
                    character: 'm',
                },
            ),
            (
                "66600721",
                IdentifierError::OrganizationCodeLengthInvalid { actual: 8 },
            ),
            (
                "6660072-17",
                IdentifierError::OrganizationCodeLengthInvalid { actual: 10 },
            ),
            (
                "666007217-",
                IdentifierError::OrganizationCodeLengthInvalid { actual: 10 },
            ),
            (
                "66600721_7",
                IdentifierError::OrganizationCodeLengthInvalid { actual: 10 },
            ),
        ];
        for (code, expected) in cases {
            assert_eq!(check_organization_code(code), Err(expected), "{code}");
        }
        assert_eq!(
            IdentifierError::OrganizationCodeCheckDigitInvalid {
                expected: '5',
                actual: '1'
            }
            .code(),
            "organization_code_check_digit_invalid"
        );
    }

    #[test]
    fn resident_id_accepts_valid_numbers() {
        let cases = [
            "11010519491231002X",
            // Built for this test with the MOD 11-2 check: a leap day, the earliest year, and today.
            "420105200002290016",
            "420105190001010012",
            "420105198506121232",
        ];
        for number in cases {
            assert_eq!(
                check_resident_id(number, today()),
                Ok(IdentifierCheck::clean(BuyerIdKind::ResidentId)),
                "{number}"
            );
        }
        assert!(check_resident_id("420105198506121232", date("1985-06-12")).is_ok());
    }

    #[test]
    fn resident_id_rejects_wrong_check_digit() {
        let cases = [
            ("365471100810307479", 'X', '9'),
            ("110105194912310021", 'X', '1'),
            ("420105198506121231", '2', '1'),
        ];
        for (number, expected, actual) in cases {
            let error = check_resident_id(number, today()).unwrap_err();
            assert_eq!(
                error,
                IdentifierError::ResidentIdCheckDigitInvalid { expected, actual },
                "{number}"
            );
            assert_eq!(error.code(), "resident_id_check_digit_invalid");
        }
    }

    #[test]
    fn resident_id_rejects_bad_birth_dates() {
        // Every number carries a correct check character, so only the date fails.
        let cases = [
            (
                "420105209912310013",
                "20991231",
                BirthDateProblem::AfterToday,
            ),
            (
                "420105189912310018",
                "18991231",
                BirthDateProblem::Before1900,
            ),
            (
                "420105199902300018",
                "19990230",
                BirthDateProblem::NotACalendarDate,
            ),
        ];
        for (number, birth_date, problem) in cases {
            let error = check_resident_id(number, today()).unwrap_err();
            let expected = IdentifierError::ResidentIdBirthDateInvalid {
                birth_date: birth_date.to_string(),
                problem,
            };
            assert_eq!(error, expected, "{number}");
            assert_eq!(error.code(), "resident_id_birth_date_invalid");
        }
        // Born the day after `today`.
        let error = check_resident_id("420105198506121232", date("1985-06-11")).unwrap_err();
        assert_eq!(error.code(), "resident_id_birth_date_invalid");
    }

    #[test]
    fn resident_id_rejects_unknown_province() {
        let error = check_resident_id("990105198506121233", today()).unwrap_err();
        assert_eq!(
            error,
            IdentifierError::ResidentIdRegionInvalid {
                prefix: "99".to_string()
            }
        );
        assert_eq!(error.code(), "resident_id_region_invalid");
    }

    #[test]
    fn resident_id_rejects_bad_format() {
        let cases = [
            (
                "41052319206046072",
                IdentifierError::ResidentIdLengthInvalid { actual: 17 },
            ),
            (
                "1101051949123100200",
                IdentifierError::ResidentIdLengthInvalid { actual: 19 },
            ),
            (
                "11010519491231002x",
                IdentifierError::ResidentIdCharacterInvalid {
                    position: 18,
                    character: 'x',
                },
            ),
            (
                "1101051949123100X2",
                IdentifierError::ResidentIdCharacterInvalid {
                    position: 17,
                    character: 'X',
                },
            ),
            (
                "11010519491231002Y",
                IdentifierError::ResidentIdCharacterInvalid {
                    position: 18,
                    character: 'Y',
                },
            ),
        ];
        for (number, expected) in cases {
            let error = check_resident_id(number, today()).unwrap_err();
            assert_eq!(error, expected, "{number}");
            assert_eq!(error.code(), "resident_id_format_invalid");
        }
        let lowercase = IdentifierError::ResidentIdCharacterInvalid {
            position: 18,
            character: 'x',
        };
        assert!(lowercase.message_zh().contains("请使用大写字母“X”"));
    }

    #[test]
    fn province_codes_match_gb_2260() {
        let valid = [
            11, 15, 21, 23, 31, 37, 41, 42, 46, 50, 54, 61, 65, 71, 81, 82,
        ];
        let invalid = [
            0, 10, 16, 20, 24, 30, 38, 40, 47, 49, 55, 60, 66, 70, 72, 80, 83, 91, 99,
        ];
        for code in valid {
            assert!(is_province_code(code), "{code}");
        }
        for code in invalid {
            assert!(!is_province_code(code), "{code}");
        }
    }

    #[test]
    fn taxpayer_id_15_checks_both_parts() {
        assert_eq!(
            check_taxpayer_id_15("310110666007217"),
            Ok(IdentifierCheck::clean(BuyerIdKind::TaxpayerId15))
        );
        assert_eq!(
            check_taxpayer_id_15("42010371526726X"),
            Ok(IdentifierCheck::clean(BuyerIdKind::TaxpayerId15))
        );

        let cases = [
            (
                "990110666007217",
                IdentifierError::TaxpayerIdDivisionCodeInvalid {
                    code: "990110".to_string(),
                },
            ),
            (
                "31011A666007217",
                IdentifierError::TaxpayerIdDivisionCodeInvalid {
                    code: "31011A".to_string(),
                },
            ),
            (
                "310110666007218",
                IdentifierError::TaxpayerIdPartInvalid {
                    length: 15,
                    part: Box::new(IdentifierError::OrganizationCodeCheckDigitInvalid {
                        expected: '7',
                        actual: '8',
                    }),
                },
            ),
            (
                "31011066600721",
                IdentifierError::TaxpayerIdLengthInvalid {
                    expected: 15,
                    actual: 14,
                },
            ),
        ];
        for (number, expected) in cases {
            let error = check_taxpayer_id_15(number).unwrap_err();
            assert_eq!(error, expected, "{number}");
            assert_eq!(error.code(), "taxpayer_id_invalid", "{number}");
        }
        let message = check_taxpayer_id_15("310110666007218")
            .unwrap_err()
            .message_zh();
        assert!(
            message.contains("组织机构代码第9位校验码应为 7，实际为 8"),
            "{message}"
        );
    }

    #[test]
    fn taxpayer_id_20_checks_resident_id_and_suffix() {
        let valid = ["11010519491231002X01", "420105198506121232AB"];
        for number in valid {
            let check = check_taxpayer_id_20(number, today()).unwrap();
            assert_eq!(check.kind, BuyerIdKind::TaxpayerId20, "{number}");
        }

        let cases = [
            (
                "11010519491231002101",
                IdentifierError::TaxpayerIdPartInvalid {
                    length: 20,
                    part: Box::new(IdentifierError::ResidentIdCheckDigitInvalid {
                        expected: 'X',
                        actual: '1',
                    }),
                },
            ),
            (
                "11010519491231002Xab",
                IdentifierError::TaxpayerIdSuffixInvalid {
                    suffix: "ab".to_string(),
                },
            ),
            (
                "11010519491231002X-1",
                IdentifierError::TaxpayerIdSuffixInvalid {
                    suffix: "-1".to_string(),
                },
            ),
            (
                "11010519491231002X1",
                IdentifierError::TaxpayerIdLengthInvalid {
                    expected: 20,
                    actual: 19,
                },
            ),
        ];
        for (number, expected) in cases {
            let error = check_taxpayer_id_20(number, today()).unwrap_err();
            assert_eq!(error, expected, "{number}");
            assert_eq!(error.code(), "taxpayer_id_invalid", "{number}");
        }
    }

    #[test]
    fn buyer_id_detects_kind_by_shape() {
        let cases = [
            ("91310110666007217T", BuyerIdKind::Uscc),
            ("11010519491231002X", BuyerIdKind::ResidentId),
            ("666007217", BuyerIdKind::OrganizationCode),
            ("66600721-7", BuyerIdKind::OrganizationCode),
            ("310110666007217", BuyerIdKind::TaxpayerId15),
            ("11010519491231002X01", BuyerIdKind::TaxpayerId20),
            // All digits with a province prefix, but a USCC: the resident ID check fails and the USCC passes.
            ("124201000000000001", BuyerIdKind::Uscc),
        ];
        for (value, kind) in cases {
            let check =
                check_buyer_id(value, today()).unwrap_or_else(|error| panic!("{value}: {error}"));
            assert_eq!(check.kind, kind, "{value}");
            assert!(check.warnings.is_empty(), "{value}");
        }
    }

    #[test]
    fn buyer_id_keeps_uscc_warning() {
        let check = check_buyer_id("91350211M00013FA1N", today()).unwrap();
        assert_eq!(check.kind, BuyerIdKind::Uscc);
        assert_eq!(check.warnings, mismatch('3', 'N'));
    }

    #[test]
    fn buyer_id_reports_error_of_detected_kind() {
        let cases = [
            ("110105194912310021", "resident_id_check_digit_invalid"),
            ("11010519491231002x", "resident_id_format_invalid"),
            ("91110108MA01ABCD1E", "uscc_organization_code_invalid"),
            ("91310110666007217t", "uscc_invalid"),
            ("MA01ABCD1", "organization_code_check_digit_invalid"),
            ("990110666007217", "taxpayer_id_invalid"),
            ("11010519491231002X0a", "taxpayer_id_invalid"),
        ];
        for (value, code) in cases {
            let error = check_buyer_id(value, today()).unwrap_err();
            assert_eq!(error.code(), code, "{value}");
        }
    }

    #[test]
    fn buyer_id_rejects_unknown_shapes() {
        for value in [
            "",
            "12345",
            "41052319206046072",
            "6660072171",
            " 91310110666007217T",
            "9131011066600721700000",
        ] {
            let error = check_buyer_id(value, today()).unwrap_err();
            assert_eq!(
                error,
                IdentifierError::BuyerIdFormatInvalid {
                    input: value.to_string()
                },
                "{value:?}"
            );
            assert_eq!(error.code(), "buyer_id_format_invalid");
        }
        let message = check_buyer_id("12345", today()).unwrap_err().message_zh();
        assert!(message.contains("18位统一社会信用代码"), "{message}");
        assert!(message.contains("9位组织机构代码"), "{message}");
    }

    #[test]
    fn seller_tax_id_accepts_uscc_and_15_chars() {
        assert_eq!(
            check_seller_tax_id("91310110666007217T").unwrap().kind,
            BuyerIdKind::Uscc
        );
        assert_eq!(
            check_seller_tax_id("310110666007217").unwrap().kind,
            BuyerIdKind::TaxpayerId15
        );
        assert_eq!(
            check_seller_tax_id("91350211M00013FA1N").unwrap().warnings,
            mismatch('3', 'N')
        );

        let error = check_seller_tax_id("666007217").unwrap_err();
        assert_eq!(
            error,
            IdentifierError::SellerTaxIdFormatInvalid {
                input: "666007217".to_string()
            }
        );
        assert_eq!(error.code(), "seller_tax_id_format_invalid");
        // An 18-digit resident ID is checked as a USCC and fails there.
        assert!(check_seller_tax_id("11010519491231002X").is_err());
    }

    #[test]
    fn messages_name_the_identifier() {
        let cases = [
            (
                IdentifierError::UsccLengthInvalid { actual: 17 },
                "统一社会信用代码",
            ),
            (
                IdentifierError::OrganizationCodeLengthInvalid { actual: 8 },
                "组织机构代码",
            ),
            (
                IdentifierError::ResidentIdLengthInvalid { actual: 17 },
                "居民身份证号码",
            ),
            (
                IdentifierError::TaxpayerIdLengthInvalid {
                    expected: 15,
                    actual: 14,
                },
                "纳税人识别号",
            ),
            (
                IdentifierError::BuyerIdFormatInvalid {
                    input: "x".to_string(),
                },
                "购买方纳税人识别号",
            ),
            (
                IdentifierError::SellerTaxIdFormatInvalid {
                    input: "x".to_string(),
                },
                "销货单位纳税人识别号",
            ),
        ];
        for (error, label) in cases {
            assert!(
                error.message_zh().starts_with(label),
                "{}",
                error.message_zh()
            );
        }
    }

    #[test]
    fn completed_identifiers_pass_their_checks() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        for first16 in ["9142010030000000", "91420600MA49C3F1", "9142900431776543"] {
            let uscc = uscc_with_check_chars(first16).unwrap();
            let check = check_uscc(&uscc).unwrap();
            assert!(check.warnings.is_empty(), "{uscc}: {:?}", check.warnings);
        }
        for first17 in ["42010119800101001", "42060219951231123"] {
            let id = resident_id_with_check_char(first17).unwrap();
            assert!(check_resident_id(&id, today).is_ok(), "{id}");
        }
        assert_eq!(uscc_with_check_chars("91420100I0000000"), None);
        assert_eq!(resident_id_with_check_char("4201011980010100"), None);
    }
}
