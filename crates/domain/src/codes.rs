//! Validation of Chinese identifiers: the 组织机构代码 (GB 11714), the 统一社会信用代码
//! (GB 32100, including its embedded organisation code) and the 18-character
//! 居民身份证号码 (GB 11643), with their check-character algorithms.

use std::fmt;
use std::str::FromStr;

use chrono::{Local, NaiveDate};

/// GB 32100 character set: digits and capital letters except I, O, Z, S, V (31 characters).
const USCC_CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// GB 32100: letters that look like digits and are never used.
const USCC_FORBIDDEN: &str = "IOZSV";
/// GB 32100 weights: 3^(i) mod 31 for positions 1–17.
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// GB 11714 weights for the 8 body characters.
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643 weights: 2^(17-i) mod 11 for positions 1–17.
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// GB 11643 check characters indexed by (weighted sum mod 11).
const ID_CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Why an identifier was refused. Positions are 1-based character positions.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("号码不能为空")]
    Empty,
    #[error("含有不允许的字符“{ch}”（第{position}位）")]
    InvalidChar { ch: char, position: usize },
    #[error("连字符“-”只能出现在组织机构代码的校验码之前（如12345678-9）")]
    MisplacedHyphen,
    #[error("组织机构代码应为9位（8位本体代码加1位校验码），统一社会信用代码应为18位，实际为{0}位")]
    WrongLength(usize),
    #[error("组织机构代码校验位错误，应为{expected}")]
    OrgCodeCheck { expected: char },
    #[error("含有不允许的字符“{ch}”（第{position}位）：统一社会信用代码不使用字母I、O、Z、S、V")]
    UsccForbiddenLetter { ch: char, position: usize },
    #[error("统一社会信用代码第3至8位应为6位数字的登记管理机关行政区划码")]
    UsccRegionCode,
    #[error("统一社会信用代码校验位错误，应为{expected}")]
    UsccCheck { expected: char },
    #[error("统一社会信用代码第9至17位所含的组织机构代码校验位错误，应为{expected}")]
    UsccEmbeddedOrgCode { expected: char },
    #[error("居民身份证号码应为18位，实际为{0}位")]
    ResidentIdLength(usize),
    #[error("身份证号码校验位错误")]
    ResidentIdCheck,
    #[error("身份证号码中的出生日期无效")]
    BirthDate,
}

/// Which kind of organisation identifier an [`OrgCode`] is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgCodeKind {
    /// 组织机构代码, 9 characters (GB 11714).
    OrganizationCode,
    /// 统一社会信用代码, 18 characters (GB 32100).
    UnifiedSocialCreditCode,
}

impl OrgCodeKind {
    /// The Chinese name of the kind.
    pub fn label(&self) -> &'static str {
        match self {
            OrgCodeKind::OrganizationCode => "组织机构代码",
            OrgCodeKind::UnifiedSocialCreditCode => "统一社会信用代码",
        }
    }
}

/// A validated organisation identifier in canonical form (upper case, no hyphen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgCode {
    pub kind: OrgCodeKind,
    pub value: String,
}

/// GB 11714 value of a body character: 0–9, A–Z = 10–35.
fn org_char_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' | 'A'..='Z' => c.to_digit(36),
        _ => None,
    }
}

/// GB 32100 value of a character: its index in the 31-character set.
fn uscc_char_value(c: char) -> Option<u32> {
    USCC_CHARSET
        .chars()
        .position(|x| x == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// GB 11714 check character for an 8-character body of `[0-9A-Z]` (upper case only):
/// C9 = 11 − (Σ value·weight mod 11), with 10 → 'X' and 11 → '0'.
/// `None` if the body is not 8 such characters.
pub fn organization_code_check_char(body8: &str) -> Option<char> {
    if body8.chars().count() != ORG_WEIGHTS.len() {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body8.chars().zip(ORG_WEIGHTS) {
        sum += org_char_value(c)? * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        n => char::from_digit(n, 10),
    }
}

/// GB 32100 check character for a 17-character body over the 31-character set
/// `0123456789ABCDEFGHJKLMNPQRTUWXY`: C18 = 31 − (Σ value·weight mod 31), 31 → '0'.
/// `None` if the body is not 17 such characters.
pub fn uscc_check_char(body17: &str) -> Option<char> {
    if body17.chars().count() != USCC_WEIGHTS.len() {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body17.chars().zip(USCC_WEIGHTS) {
        sum += uscc_char_value(c)? * w;
    }
    let value = (31 - sum % 31) % 31;
    USCC_CHARSET.chars().nth(usize::try_from(value).ok()?)
}

/// GB 11643 check character ('0'–'9' or 'X') for the first 17 digits of a resident ID.
/// `None` if the body is not 17 ASCII digits.
pub fn resident_id_check_char(body17: &str) -> Option<char> {
    if body17.chars().count() != ID_WEIGHTS.len() {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body17.chars().zip(ID_WEIGHTS) {
        if !c.is_ascii_digit() {
            return None;
        }
        sum += c.to_digit(10)? * w;
    }
    ID_CHECK.get(usize::try_from(sum % 11).ok()?).copied()
}

impl OrgCode {
    /// Accepts a 9-character 组织机构代码 (GB 11714: 8 body chars [0-9A-Z] + check char; an optional hyphen before the check char like "12345678-9" is accepted and removed) or an 18-character 统一社会信用代码 (GB 32100). Trims whitespace, upper-cases.
    ///
    /// A 统一社会信用代码 must also have digits in positions 3–8 (行政区划码) and a valid
    /// GB 11714 organisation code in positions 9–17.
    pub fn parse(s: &str) -> Result<OrgCode, CodeError> {
        let s = s.trim().to_ascii_uppercase();
        if s.is_empty() {
            return Err(CodeError::Empty);
        }
        if let Some((i, ch)) = s
            .chars()
            .enumerate()
            .find(|(_, c)| !(c.is_ascii_alphanumeric() || *c == '-'))
        {
            return Err(CodeError::InvalidChar {
                ch,
                position: i + 1,
            });
        }
        // GB 11714 codes are often written "XXXXXXXX-X": one hyphen, right before the check char.
        let code = if s.contains('-') {
            let hyphens = s.matches('-').count();
            if hyphens != 1 || s.len() != 10 || s.find('-') != Some(8) {
                return Err(CodeError::MisplacedHyphen);
            }
            s.replace('-', "")
        } else {
            s
        };
        // All characters are ASCII from here on, so byte length equals character count.
        match code.len() {
            9 => Self::parse_organization_code(code),
            18 => Self::parse_uscc(code),
            n => Err(CodeError::WrongLength(n)),
        }
    }

    fn parse_organization_code(code: String) -> Result<OrgCode, CodeError> {
        let (body, check) = code
            .split_at_checked(8)
            .ok_or(CodeError::WrongLength(code.len()))?;
        // GB 11714: C9 = 11 − (Σ Ci·Wi mod 11).
        let expected =
            organization_code_check_char(body).ok_or(CodeError::WrongLength(code.len()))?;
        if check.chars().ne(std::iter::once(expected)) {
            return Err(CodeError::OrgCodeCheck { expected });
        }
        Ok(OrgCode {
            kind: OrgCodeKind::OrganizationCode,
            value: code,
        })
    }

    fn parse_uscc(code: String) -> Result<OrgCode, CodeError> {
        for (i, ch) in code.chars().enumerate() {
            // GB 32100: I, O, Z, S, V are not part of the character set.
            if USCC_FORBIDDEN.contains(ch) {
                return Err(CodeError::UsccForbiddenLetter {
                    ch,
                    position: i + 1,
                });
            }
            if uscc_char_value(ch).is_none() {
                return Err(CodeError::InvalidChar {
                    ch,
                    position: i + 1,
                });
            }
        }
        // GB 32100: positions 3–8 are the registering authority's 6-digit administrative division code.
        let region = code.get(2..8).ok_or(CodeError::WrongLength(code.len()))?;
        if !region.chars().all(|c| c.is_ascii_digit()) {
            return Err(CodeError::UsccRegionCode);
        }
        let (body, check) = code
            .split_at_checked(17)
            .ok_or(CodeError::WrongLength(code.len()))?;
        // GB 32100: C18 = 31 − (Σ Ci·Wi mod 31).
        let expected = uscc_check_char(body).ok_or(CodeError::WrongLength(code.len()))?;
        if check.chars().ne(std::iter::once(expected)) {
            return Err(CodeError::UsccCheck { expected });
        }
        // GB 32100: positions 9–17 are a GB 11714 organisation code with its own check char.
        let org_body = code.get(8..16).ok_or(CodeError::WrongLength(code.len()))?;
        let org_check = code.get(16..17).ok_or(CodeError::WrongLength(code.len()))?;
        let expected =
            organization_code_check_char(org_body).ok_or(CodeError::WrongLength(code.len()))?;
        if org_check.chars().ne(std::iter::once(expected)) {
            return Err(CodeError::UsccEmbeddedOrgCode { expected });
        }
        Ok(OrgCode {
            kind: OrgCodeKind::UnifiedSocialCreditCode,
            value: code,
        })
    }

    /// The 9-character organisation code: itself, or characters 9–17 of a USCC.
    pub fn organization_code(&self) -> &str {
        match self.kind {
            OrgCodeKind::OrganizationCode => &self.value,
            OrgCodeKind::UnifiedSocialCreditCode => self.value.get(8..17).unwrap_or(&self.value),
        }
    }
}

impl fmt::Display for OrgCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.value)
    }
}

impl FromStr for OrgCode {
    type Err = CodeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        OrgCode::parse(s)
    }
}

/// Validates a resident ID and returns its canonical form (surrounding whitespace
/// trimmed, a lower-case check 'x' upper-cased), judging birth dates against `today`.
pub fn normalize_resident_id_on(s: &str, today: NaiveDate) -> Result<String, CodeError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(CodeError::Empty);
    }
    let chars: Vec<char> = s.chars().collect();
    if chars.len() != 18 {
        return Err(CodeError::ResidentIdLength(chars.len()));
    }
    for (i, &ch) in chars.iter().enumerate() {
        // GB 11643: 17 digits, then a check digit or X.
        let ok = ch.is_ascii_digit() || (i == 17 && (ch == 'X' || ch == 'x'));
        if !ok {
            return Err(CodeError::InvalidChar {
                ch,
                position: i + 1,
            });
        }
    }
    let id = s.to_ascii_uppercase();
    let (body, check) = id
        .split_at_checked(17)
        .ok_or(CodeError::ResidentIdLength(chars.len()))?;
    // GB 11643: check = "10X98765432"[Σ Ai·Wi mod 11].
    let expected = resident_id_check_char(body).ok_or(CodeError::ResidentIdCheck)?;
    if check.chars().ne(std::iter::once(expected)) {
        return Err(CodeError::ResidentIdCheck);
    }
    // GB 11643: positions 7–14 are the birth date YYYYMMDD.
    let field = |range: std::ops::Range<usize>| id.get(range).and_then(|t| t.parse::<u32>().ok());
    let birth = match (field(6..10), field(10..12), field(12..14)) {
        (Some(y), Some(m), Some(d)) => i32::try_from(y)
            .ok()
            .and_then(|y| NaiveDate::from_ymd_opt(y, m, d)),
        _ => None,
    }
    .ok_or(CodeError::BirthDate)?;
    let earliest = NaiveDate::from_ymd_opt(1900, 1, 1).ok_or(CodeError::BirthDate)?;
    if birth < earliest || birth > today {
        return Err(CodeError::BirthDate);
    }
    Ok(id)
}

/// Validates a resident ID and returns its canonical form, judging birth dates against
/// today's local date.
pub fn normalize_resident_id(s: &str) -> Result<String, CodeError> {
    normalize_resident_id_on(s, Local::now().date_naive())
}

/// [`validate_resident_id`] with an explicit "today" for the birth-date upper bound.
pub fn validate_resident_id_on(s: &str, today: NaiveDate) -> Result<(), CodeError> {
    normalize_resident_id_on(s, today).map(|_| ())
}

/// GB 11643 18-character 居民身份证号码: 17 digits + check (0–9 or X; lower-case x and
/// surrounding whitespace are accepted), the weighted check digit, and a real birth date
/// (characters 7–14) between 1900-01-01 and today. 15-digit legacy numbers are refused.
pub fn validate_resident_id(s: &str) -> Result<(), CodeError> {
    normalize_resident_id(s).map(|_| ())
}

pub fn resident_id_is_valid(s: &str) -> bool {
    validate_resident_id(s).is_ok()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Appends the GB 11714 check char.
    fn make_org(body8: &str) -> String {
        format!("{body8}{}", organization_code_check_char(body8).unwrap())
    }

    /// Builds a valid USCC from a 2-char prefix, a 6-digit region code and an 8-char org body.
    fn make_uscc(prefix: &str, region: &str, org_body: &str) -> String {
        let body17 = format!("{prefix}{region}{}", make_org(org_body));
        format!("{body17}{}", uscc_check_char(&body17).unwrap())
    }

    fn make_id(body17: &str) -> String {
        format!("{body17}{}", resident_id_check_char(body17).unwrap())
    }

    /// Every check character other than `good` from `alphabet`.
    fn others(alphabet: &str, good: char) -> Vec<char> {
        alphabet.chars().filter(|c| *c != good).collect()
    }

    #[test]
    fn weights_follow_the_standards() {
        // GB 32100 weights are 3^(i-1) mod 31; GB 11643 weights are 2^(18-i) mod 11.
        for (i, w) in USCC_WEIGHTS.iter().enumerate() {
            assert_eq!(*w, (0..i).fold(1, |acc, _| acc * 3 % 31));
        }
        for (i, w) in ID_WEIGHTS.iter().enumerate() {
            assert_eq!(*w, (0..17 - i).fold(1, |acc, _| acc * 2 % 11));
        }
        assert_eq!(USCC_CHARSET.len(), 31);
    }

    #[test]
    fn organization_code_check_chars_by_hand() {
        // D2143569: D=13. 13·3 + 2·7 + 1·9 + 4·10 + 3·5 + 5·8 + 6·4 + 9·2
        //         = 39+14+9+40+15+40+24+18 = 199; 199 mod 11 = 1; 11−1 = 10 → 'X'.
        assert_eq!(organization_code_check_char("D2143569"), Some('X'));
        // 12345678: 3+14+27+40+25+48+28+16 = 201; 201 mod 11 = 3; 11−3 = 8.
        assert_eq!(organization_code_check_char("12345678"), Some('8'));
        // 00000000: sum 0; 11−0 = 11 → '0'.
        assert_eq!(organization_code_check_char("00000000"), Some('0'));
        // M000100Y: M=22, Y=34. 22·3 + 1·5 + 34·2 = 66+5+68 = 139; 139 mod 11 = 7; 11−7 = 4.
        assert_eq!(organization_code_check_char("M000100Y"), Some('4'));
        assert_eq!(organization_code_check_char("1234567"), None);
        assert_eq!(organization_code_check_char("1234567#"), None);
        assert_eq!(organization_code_check_char("d2143569"), None);
    }

    #[test]
    fn uscc_check_chars_by_hand() {
        // 91350100M000100Y4 (M=21, Y=30 in the GB 32100 set):
        // 9·1 + 1·3 + 3·9 + 5·27 + 0 + 1·26 + 0 + 0 + 21·20 + 0 + 0 + 0 + 1·8 + 0 + 0
        // + 30·30 + 4·28 = 9+3+27+135+26+420+8+900+112 = 1640; 1640 mod 31 = 28; 31−28 = 3.
        assert_eq!(uscc_check_char("91350100M000100Y4"), Some('3'));
        // 91110108D2143569X (D=13, X=29):
        // 9+3+9+27+0+26+0+136+260+58+25+52+24+120+60+270+812 = 1891 = 61·31; 31−0 = 31 → '0'.
        assert_eq!(uscc_check_char("91110108D2143569X"), Some('0'));
        // 12100000123456788: 1+6+9+0+0+0+0+0+20+58+75+52+40+144+70+240+224 = 939;
        // 939 mod 31 = 9; 31−9 = 22 → 'N'.
        assert_eq!(uscc_check_char("12100000123456788"), Some('N'));
        assert_eq!(uscc_check_char("91350100I000100Y4"), None);
        assert_eq!(uscc_check_char("9135010"), None);
    }

    #[test]
    fn literal_valid_codes() {
        let c = OrgCode::parse("D2143569X").unwrap();
        assert_eq!(c.kind, OrgCodeKind::OrganizationCode);
        assert_eq!(c.organization_code(), "D2143569X");
        let c = OrgCode::parse(" d2143569-x ").unwrap();
        assert_eq!(c.value, "D2143569X");
        assert_eq!(OrgCode::parse("12345678-8").unwrap().value, "123456788");
        assert!(OrgCode::parse("000000000").is_ok());

        let c = OrgCode::parse("91350100M000100Y43").unwrap();
        assert_eq!(c.kind, OrgCodeKind::UnifiedSocialCreditCode);
        assert_eq!(c.organization_code(), "M000100Y4");
        assert_eq!(c.to_string(), "91350100M000100Y43");
        let c: OrgCode = "91110108d2143569x0".parse().unwrap();
        assert_eq!(c.value, "91110108D2143569X0");
        assert_eq!(c.organization_code(), "D2143569X");
        assert_eq!(
            OrgCode::parse("12100000123456788N")
                .unwrap()
                .organization_code(),
            "123456788"
        );
        // GB 11714 organisation codes may use any capital letter, including I, O, Z, S, V.
        assert!(OrgCode::parse(&make_org("ISOZV123")).is_ok());
        // The helper agrees with the hand-computed literals.
        assert_eq!(make_uscc("91", "350100", "M000100Y"), "91350100M000100Y43");
        assert_eq!(make_uscc("91", "110108", "D2143569"), "91110108D2143569X0");
    }

    #[test]
    fn wrong_check_chars_refused() {
        assert_eq!(
            OrgCode::parse("D21435691"),
            Err(CodeError::OrgCodeCheck { expected: 'X' })
        );
        assert_eq!(
            OrgCode::parse("12345678-9"),
            Err(CodeError::OrgCodeCheck { expected: '8' })
        );
        assert_eq!(
            OrgCode::parse("91350100M000100Y44"),
            Err(CodeError::UsccCheck { expected: '3' })
        );
        assert_eq!(
            CodeError::UsccCheck { expected: '3' }.to_string(),
            "统一社会信用代码校验位错误，应为3"
        );
        // A body typo is caught by the USCC check char.
        assert!(matches!(
            OrgCode::parse("91350100M000101Y43"),
            Err(CodeError::UsccCheck { .. })
        ));
        // A USCC whose own check char is right but whose embedded org code is wrong:
        // M000100Y5 instead of M000100Y4, USCC check recomputed.
        let body17 = "91350100M000100Y5";
        let bad = format!("{body17}{}", uscc_check_char(body17).unwrap());
        assert_eq!(
            OrgCode::parse(&bad),
            Err(CodeError::UsccEmbeddedOrgCode { expected: '4' })
        );
    }

    #[test]
    fn wrong_lengths_and_characters_refused() {
        assert_eq!(OrgCode::parse("   "), Err(CodeError::Empty));
        assert_eq!(OrgCode::parse("D214356"), Err(CodeError::WrongLength(7)));
        assert_eq!(
            OrgCode::parse("D2143569XX"),
            Err(CodeError::WrongLength(10))
        );
        assert_eq!(
            OrgCode::parse("91350100M000100Y4"),
            Err(CodeError::WrongLength(17))
        );
        assert_eq!(
            OrgCode::parse("91350100M000100Y433"),
            Err(CodeError::WrongLength(19))
        );
        assert!(
            CodeError::WrongLength(7)
                .to_string()
                .starts_with("组织机构代码应为9位（8位本体代码加1位校验码）")
        );
        assert_eq!(
            OrgCode::parse("D214 3569X"),
            Err(CodeError::InvalidChar {
                ch: ' ',
                position: 5
            })
        );
        assert_eq!(
            OrgCode::parse("D21435６9X"),
            Err(CodeError::InvalidChar {
                ch: '６',
                position: 7
            })
        );
        assert_eq!(
            OrgCode::parse("D214-3569X"),
            Err(CodeError::MisplacedHyphen)
        );
        assert_eq!(
            OrgCode::parse("D2143569--X"),
            Err(CodeError::MisplacedHyphen)
        );
        assert_eq!(
            OrgCode::parse("91350100-M000100Y43"),
            Err(CodeError::MisplacedHyphen)
        );
        // Region code must be digits.
        assert_eq!(
            OrgCode::parse(&make_uscc("91", "35A100", "M000100Y")),
            Err(CodeError::UsccRegionCode)
        );
    }

    #[test]
    fn forbidden_uscc_letters_refused() {
        for ch in ['I', 'O', 'Z', 'S', 'V'] {
            // Replace the 'M' at position 9 of a valid USCC.
            let code = format!("91350100{ch}000100Y43");
            assert_eq!(
                OrgCode::parse(&code),
                Err(CodeError::UsccForbiddenLetter { ch, position: 9 })
            );
            let lower = code.to_ascii_lowercase();
            assert_eq!(
                OrgCode::parse(&lower),
                Err(CodeError::UsccForbiddenLetter { ch, position: 9 })
            );
        }
        assert!(
            CodeError::UsccForbiddenLetter {
                ch: 'O',
                position: 1
            }
            .to_string()
            .starts_with("含有不允许的字符")
        );
    }

    #[test]
    fn resident_ids() {
        // 1·7+1·9+0+1·5+0+5·4+1·2+9·1+4·6+9·3+1·7+2·9+3·10+1·5+0+0+2·2 = 167;
        // 167 mod 11 = 2 → "10X98765432"[2] = 'X'.
        assert_eq!(resident_id_check_char("11010519491231002"), Some('X'));
        assert_eq!(validate_resident_id("11010519491231002X"), Ok(()));
        assert!(resident_id_is_valid("11010519491231002x"));
        assert!(resident_id_is_valid(" 11010519491231002X\n"));
        assert_eq!(
            normalize_resident_id("11010519491231002x").unwrap(),
            "11010519491231002X"
        );
        // Same body, 17th digit 1 instead of 2: 167 − 4 + 2 = 165 ≡ 0 → '1'.
        assert!(resident_id_is_valid("110105194912310011"));
        for wrong in others("0123456789", '1') {
            let id = format!("11010519491231001{wrong}");
            assert_eq!(validate_resident_id(&id), Err(CodeError::ResidentIdCheck));
        }
        for wrong in others("0123456789", 'X') {
            assert_eq!(
                validate_resident_id(&format!("11010519491231002{wrong}")),
                Err(CodeError::ResidentIdCheck)
            );
        }
        // An arbitrary 18-digit number: check should be '7' (sum 368, 368 mod 11 = 5).
        assert!(!resident_id_is_valid("123456789012345678"));
        assert_eq!(resident_id_check_char("12345678901234567"), Some('7'));
        assert_eq!(
            validate_resident_id("110105194912310021"),
            Err(CodeError::ResidentIdCheck)
        );
        assert_eq!(
            CodeError::ResidentIdCheck.to_string(),
            "身份证号码校验位错误"
        );
    }

    #[test]
    fn resident_id_format_errors() {
        assert_eq!(
            validate_resident_id("110105491231002"),
            Err(CodeError::ResidentIdLength(15))
        );
        assert_eq!(validate_resident_id(""), Err(CodeError::Empty));
        assert_eq!(
            validate_resident_id("1101051949123100X2"),
            Err(CodeError::InvalidChar {
                ch: 'X',
                position: 17
            })
        );
        assert_eq!(
            validate_resident_id("11010519491231002Y"),
            Err(CodeError::InvalidChar {
                ch: 'Y',
                position: 18
            })
        );
    }

    #[test]
    fn impossible_birth_dates_refused() {
        let today = NaiveDate::from_ymd_opt(2025, 11, 26).unwrap();
        for body in [
            "11010519491331002", // month 13
            "11010519490230002", // 30 February
            "11010519490229002", // 1949 is not a leap year
            "11010519490001002", // month 0
            "11010519490100002", // day 0
            "11010518991231002", // before 1900
            "11010520251127002", // after "today"
            "11010530000101002", // far future
        ] {
            let id = make_id(body);
            assert_eq!(
                validate_resident_id_on(&id, today),
                Err(CodeError::BirthDate),
                "{id}"
            );
        }
        for body in [
            "11010519000101002", // 1900-01-01, the earliest
            "11010520000229002", // 2000 is a leap year
            "11010520251126002", // born "today"
        ] {
            assert_eq!(validate_resident_id_on(&make_id(body), today), Ok(()));
        }
        assert!(CodeError::BirthDate.to_string().contains("出生日期无效"));
    }

    fn resident_body() -> impl Strategy<Value = String> {
        let first = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap();
        let span = (NaiveDate::from_ymd_opt(2024, 12, 31).unwrap() - first).num_days();
        ("[1-9][0-9]{5}", 0..=span, "[0-9]{3}").prop_map(move |(region, off, seq)| {
            let birth = first + chrono::Duration::days(off);
            format!("{region}{}{seq}", birth.format("%Y%m%d"))
        })
    }

    proptest! {
        #[test]
        fn resident_id_check_digit_property(body in resident_body()) {
            let good = resident_id_check_char(&body).unwrap();
            let id = format!("{body}{good}");
            prop_assert_eq!(validate_resident_id(&id), Ok(()));
            for wrong in others("0123456789X", good) {
                prop_assert_eq!(
                    validate_resident_id(&format!("{body}{wrong}")),
                    Err(CodeError::ResidentIdCheck)
                );
            }
        }

        #[test]
        fn any_17_digit_body_check_char_property(body in "[0-9]{17}") {
            // The checksum alone: exactly one of the 11 check characters matches.
            let good = resident_id_check_char(&body).unwrap();
            let today = NaiveDate::from_ymd_opt(2025, 11, 26).unwrap();
            let with_good = validate_resident_id_on(&format!("{body}{good}"), today);
            prop_assert_ne!(with_good, Err(CodeError::ResidentIdCheck));
            for wrong in others("0123456789X", good) {
                prop_assert_eq!(
                    validate_resident_id_on(&format!("{body}{wrong}"), today),
                    Err(CodeError::ResidentIdCheck)
                );
            }
        }

        #[test]
        fn organization_code_property(body in "[0-9A-Z]{8}") {
            let good = organization_code_check_char(&body).unwrap();
            let plain = format!("{body}{good}");
            let hyphenated = format!("{body}-{good}");
            prop_assert!(OrgCode::parse(&plain).is_ok());
            prop_assert!(OrgCode::parse(&hyphenated).is_ok());
            for wrong in others("0123456789X", good) {
                prop_assert_eq!(
                    OrgCode::parse(&format!("{body}{wrong}")),
                    Err(CodeError::OrgCodeCheck { expected: good })
                );
            }
        }

        #[test]
        fn uscc_property(
            prefix in "[0-9A-HJ-NP-RTUWXY]{2}",
            region in "[0-9]{6}",
            org in "[0-9A-HJ-NP-RTUWXY]{8}",
        ) {
            let code = make_uscc(&prefix, &region, &org);
            let parsed = OrgCode::parse(&code).unwrap();
            prop_assert_eq!(parsed.organization_code(), make_org(&org));
            let (body, check) = code.split_at(17);
            let good = check.chars().next().unwrap();
            for wrong in others(USCC_CHARSET, good) {
                prop_assert_eq!(
                    OrgCode::parse(&format!("{body}{wrong}")),
                    Err(CodeError::UsccCheck { expected: good })
                );
            }
        }
    }
}
