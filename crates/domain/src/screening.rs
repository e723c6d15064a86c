//! Assistance for the 保密审查 (confidentiality review) that precedes every publication:
//! [`scan`] finds personal data (身份证号, 手机号码, 固定电话, 银行卡号), secret markings
//! (密级标识 such as `机密★1年`, `内部资料`) and configured sensitive words in a text, and
//! [`apply_mask`] / [`mask_all`] replace the maskable findings by partly hidden values.
//!
//! The scanner is an aid, not a verdict: a reviewer still reads the document. Secret markings
//! are deliberately never masked, because a marked document must be resolved by a reviewer's
//! decision (declassification or withholding), not silently hidden.
//!
//! Offsets in a [`Finding`] are byte offsets into the scanned text and always fall on
//! character boundaries. Full-width digits (`０`–`９`) are recognised as digits, and the
//! offsets still refer to the original (unnormalised) text.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::codes::resident_id_is_valid;

/// How many characters of context are shown on either side of a finding.
const CONTEXT_CHARS: usize = 15;
/// The character that replaces every character of a sensitive word.
pub const SENSITIVE_WORD_MASK_CHAR: char = '×';
/// The mask character used when the configured one would look like data (a letter or digit)
/// or like nothing (whitespace, control characters).
const FALLBACK_MASK_CHAR: char = '*';
/// [`mask_all`] rescans after masking (masking a sensitive word can expose a number that was
/// glued to it); this bounds the number of rounds.
const MAX_MASK_ROUNDS: usize = 8;
/// Length of a mainland mobile number without the country code.
const MOBILE_DIGITS: usize = 11;

/// The states of a finding: open (blocks publication), masked, accepted with a reason.
pub const FINDING_STATUSES: &[(&str, &str)] = &[
    ("open", "待处理"),
    ("masked", "已遮盖"),
    ("accepted", "经确认可以公开"),
];

/// What a [`Finding`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// 居民身份证号码 (GB 11643, check digit and birth date verified).
    ResidentId,
    /// 手机号码 (11 digits starting with 13–19, optional +86).
    Mobile,
    /// 固定电话 (area code + local number, optional extension).
    Landline,
    /// 银行卡号 (16–19 digits passing the Luhn check).
    BankCard,
    /// 密级标识 (绝密/机密/秘密 markings, 内部资料, 注意保密).
    SecretMarking,
    /// A configured 敏感词.
    SensitiveWord,
}

impl FindingKind {
    /// Every kind, in declaration order.
    pub const ALL: [FindingKind; 6] = [
        FindingKind::ResidentId,
        FindingKind::Mobile,
        FindingKind::Landline,
        FindingKind::BankCard,
        FindingKind::SecretMarking,
        FindingKind::SensitiveWord,
    ];

    /// The Chinese name shown to reviewers.
    pub fn label(self) -> &'static str {
        match self {
            FindingKind::ResidentId => "身份证号",
            FindingKind::Mobile => "手机号码",
            FindingKind::Landline => "固定电话",
            FindingKind::BankCard => "银行卡号",
            FindingKind::SecretMarking => "密级标识",
            FindingKind::SensitiveWord => "敏感词",
        }
    }

    /// The stable machine name (the serde name), e.g. `"resident_id"`.
    pub fn as_str(self) -> &'static str {
        match self {
            FindingKind::ResidentId => "resident_id",
            FindingKind::Mobile => "mobile",
            FindingKind::Landline => "landline",
            FindingKind::BankCard => "bank_card",
            FindingKind::SecretMarking => "secret_marking",
            FindingKind::SensitiveWord => "sensitive_word",
        }
    }

    /// The inverse of [`FindingKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the finding may be masked. Secret markings may not: a marked document needs a
    /// reviewer's decision, and hiding the marking would hide the problem.
    pub fn maskable(self) -> bool {
        !matches!(self, FindingKind::SecretMarking)
    }

    /// Rank used to resolve overlapping candidates: lower wins (the more specific kind).
    fn priority(self) -> u8 {
        match self {
            FindingKind::ResidentId => 0,
            FindingKind::BankCard => 1,
            FindingKind::Mobile => 2,
            FindingKind::Landline => 3,
            FindingKind::SecretMarking => 4,
            FindingKind::SensitiveWord => 5,
        }
    }
}

impl fmt::Display for FindingKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// One match in a scanned text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// Byte offset of the first byte of the match in the scanned text.
    pub start: usize,
    /// Byte offset just past the match (exclusive).
    pub end: usize,
    /// The exact matched text, `text[start..end]`.
    pub matched: String,
    /// 1-based line number of the start of the match.
    pub line: usize,
    /// Up to 15 characters either side of the match, from the same line, match included.
    pub context: String,
}

/// How much of a value stays visible when masked, counted in characters of the value proper
/// (digits, or the ID's check letter); separators are never counted and never masked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskRule {
    pub keep_start: usize,
    pub keep_end: usize,
}

impl MaskRule {
    pub const fn new(keep_start: usize, keep_end: usize) -> Self {
        MaskRule {
            keep_start,
            keep_end,
        }
    }
}

/// What the scanner looks for and how findings are masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ScreeningConfig {
    /// Words reported as 敏感词 wherever they occur (ASCII case-insensitive). Surrounding
    /// whitespace is ignored; empty words are skipped.
    pub sensitive_words: Vec<String>,
    /// Default: keep the first 6 (region code) and the last 4.
    pub resident_id_mask: MaskRule,
    /// Mobiles: keep the first 3 and the last 4 of the 11-digit number (a +86 prefix is kept).
    /// Landlines: the area code is always kept; `keep_end` digits of the local number are kept.
    pub phone_mask: MaskRule,
    /// Default: keep the first 6 (issuer) and the last 4.
    pub bank_card_mask: MaskRule,
    /// Default `'*'`. A letter, digit, whitespace or control character is replaced by `'*'`
    /// when masking, since it would make the masked value look like (or re-match as) data.
    pub mask_char: char,
}

impl Default for ScreeningConfig {
    fn default() -> Self {
        ScreeningConfig {
            sensitive_words: Vec::new(),
            resident_id_mask: MaskRule::new(6, 4),
            phone_mask: MaskRule::new(3, 4),
            bank_card_mask: MaskRule::new(6, 4),
            mask_char: FALLBACK_MASK_CHAR,
        }
    }
}

impl ScreeningConfig {
    /// The mask character actually used (see [`ScreeningConfig::mask_char`]).
    pub fn effective_mask_char(&self) -> char {
        let c = self.mask_char;
        if is_word_char(c) || c.is_alphanumeric() || c.is_whitespace() || c.is_control() {
            FALLBACK_MASK_CHAR
        } else {
            c
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Patterns
// ---------------------------------------------------------------------------------------------

/// A digit, half- or full-width.
const D: &str = "[0-9０-９]";
/// The end of a number: anything but an ASCII (or full-width) letter or digit, or the end.
/// It is consumed by the number patterns (which are run on a slice starting at the candidate),
/// so that the engine backtracks to a shorter alternative when a longer one runs into a digit.
const B: &str = "(?:[^0-9A-Za-z０-９Ａ-Ｚａ-ｚ]|\\z)";

/// Compiles a pattern once; `None` (treated as "never matches") if it does not compile, which
/// the tests rule out.
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(pattern).ok()
}

/// 18 characters: 17 digits and a digit or X.
static RESIDENT_ID_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(&format!(r"\A({D}{{17}}[0-9０-９XxＸｘ]){B}")));

/// 16–19 digits, plain or grouped in fours by spaces or hyphens (4-4-4-4, then 1–3 more
/// digits as a fifth group or appended to the fourth).
static BANK_CARD_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"\A({D}{{16,19}}|{D}{{4}}(?:[ -]{D}{{4}}){{3}}(?:[ -]{D}{{1,3}}|{D}{{0,3}})){B}"
    ))
});

/// Optional `+86` (optionally followed by a space or hyphen) or a bare `86` written directly
/// before the number, then 1[3-9] and 9 more digits, optionally spelled 3-4-4 with spaces or
/// hyphens. A bare `86` followed by a space is not taken as a prefix (it is more often a count).
static MOBILE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"\A((?:[+＋][8８][6６][ -]?|[8８][6６])?[1１][3-9３-９]{D}[ -]?{D}{{4}}[ -]?{D}{{4}}){B}"
    ))
});

/// Area code (010, 02x or 0 + three digits from 3–9xx), then `-`, a space or nothing, 7–8
/// digits, an optional `-` extension of 1–4 digits; or the area code in (half- or full-width)
/// parentheses. Groups: 1 the whole number, 2/3 the area code, 4 the local number, 5 the
/// extension.
static LANDLINE_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let area = format!("[0０](?:[1１][0０]|[2２]{D}|[3-9３-９]{D}{{2}})");
    compile(&format!(
        r"\A((?:[(（]({area})[)）] ?|({area})[- ]?)({D}{{7,8}})(?:-({D}{{1,4}}))?){B}"
    ))
});

/// A classification level followed by ★ (with an optional 保密期限 such as `1年` or `长期`).
static STAR_MARKING_RE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    compile(&format!(
        r"(?:绝密|机密|秘密)[ \t　]*★(?:[ \t　]*(?:{D}+[ \t　]*(?:个月|年|月|天|日)|长期))?"
    ))
});

/// A classification level at the start of a line (after optional indentation), followed by a
/// space, a colon or the end of the line: a heading marking. Group 1 is the level.
static HEADING_MARKING_RE: LazyLock<Option<Regex>> =
    LazyLock::new(|| compile(r"(?m)^[ \t　]*(绝密|机密|秘密)(?:[ \t　:：\r]|$)"));

/// Markings reported wherever they occur.
static PLAIN_MARKING_RE: LazyLock<Option<Regex>> = LazyLock::new(|| compile(r"内部资料|注意保密"));

/// Every compiled pattern, for the test that they all compile.
#[cfg(test)]
fn all_patterns() -> [&'static Option<Regex>; 7] {
    [
        &RESIDENT_ID_RE,
        &BANK_CARD_RE,
        &MOBILE_RE,
        &LANDLINE_RE,
        &STAR_MARKING_RE,
        &HEADING_MARKING_RE,
        &PLAIN_MARKING_RE,
    ]
}

// ---------------------------------------------------------------------------------------------
// Character helpers
// ---------------------------------------------------------------------------------------------

fn is_fullwidth_digit(c: char) -> bool {
    ('０'..='９').contains(&c)
}

/// A half- or full-width decimal digit (not other Unicode digits).
fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || is_fullwidth_digit(c)
}

/// Characters a number may not touch: ASCII letters and digits and their full-width forms.
fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || is_fullwidth_digit(c)
        || ('Ａ'..='Ｚ').contains(&c)
        || ('ａ'..='ｚ').contains(&c)
}

/// The characters of a resident ID that count for masking: digits and the check letter.
fn is_id_char(c: char) -> bool {
    is_digit(c) || matches!(c, 'X' | 'x' | 'Ｘ' | 'ｘ')
}

/// Full-width digits and X to their ASCII forms; everything else unchanged.
fn to_ascii_form(c: char) -> char {
    if is_fullwidth_digit(c) || matches!(c, 'Ｘ' | 'ｘ') {
        char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c)
    } else {
        c
    }
}

/// The ASCII digits (and ID check letter) of a value, separators dropped.
fn ascii_value(s: &str) -> String {
    s.chars()
        .map(to_ascii_form)
        .filter(|c| c.is_ascii_digit() || *c == 'X' || *c == 'x')
        .collect()
}

/// The Luhn (mod 10) check used by payment cards. `digits` must be ASCII digits only;
/// anything else, or fewer than two digits, is not valid.
pub fn luhn_valid(digits: &str) -> bool {
    if digits.len() < 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            if i % 2 == 1 {
                let d2 = d * 2;
                if d2 > 9 { d2 - 9 } else { d2 }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

// ---------------------------------------------------------------------------------------------
// Scanning
// ---------------------------------------------------------------------------------------------

/// A candidate match before overlap resolution.
#[derive(Debug, Clone, Copy)]
struct Span {
    kind: FindingKind,
    start: usize,
    end: usize,
}

/// The value matched by an anchored number pattern at the start of `rest` (group 1).
fn anchored_value<'t>(re: &LazyLock<Option<Regex>>, rest: &'t str) -> Option<&'t str> {
    let re = re.as_ref()?;
    re.captures(rest)?.get(1).map(|m| m.as_str())
}

/// Scans `text` and returns every finding, sorted by start. Findings never overlap: when
/// candidates overlap, the more specific kind wins (身份证号 > 银行卡号 > 手机号码 > 固定电话 >
/// 密级标识 > 敏感词), then the earlier, then the longer one.
pub fn scan(text: &str, cfg: &ScreeningConfig) -> Vec<Finding> {
    let mut candidates = Vec::new();
    scan_numbers(text, &mut candidates);
    scan_markings(text, &mut candidates);
    scan_words(text, &cfg.sensitive_words, &mut candidates);
    let spans = resolve(candidates);
    let lines = LineIndex::new(text);
    spans
        .into_iter()
        .filter_map(|s| {
            let matched = text.get(s.start..s.end)?.to_string();
            Some(Finding {
                kind: s.kind,
                start: s.start,
                end: s.end,
                matched,
                line: lines.line_of(s.start),
                context: context(text, s.start, s.end),
            })
        })
        .collect()
}

/// Tries the number patterns at every candidate start: a digit not preceded by a letter or
/// digit, or a `+` / opening parenthesis (which already separate the number from its left).
fn scan_numbers(text: &str, out: &mut Vec<Span>) {
    let mut prev: Option<char> = None;
    for (i, c) in text.char_indices() {
        let starts_with_digit = is_digit(c);
        let candidate = if starts_with_digit {
            !prev.is_some_and(is_word_char)
        } else {
            matches!(c, '+' | '＋' | '(' | '（')
        };
        prev = Some(c);
        if !candidate {
            continue;
        }
        let Some(rest) = text.get(i..) else {
            continue;
        };
        let mut push = |kind, value: &str| {
            out.push(Span {
                kind,
                start: i,
                end: i + value.len(),
            });
        };
        if starts_with_digit {
            if let Some(v) = anchored_value(&RESIDENT_ID_RE, rest)
                && resident_id_is_valid(&ascii_value(v))
            {
                push(FindingKind::ResidentId, v);
            }
            if let Some(v) = anchored_value(&BANK_CARD_RE, rest)
                && luhn_valid(&ascii_value(v))
            {
                push(FindingKind::BankCard, v);
            }
        }
        if let Some(v) = anchored_value(&MOBILE_RE, rest) {
            push(FindingKind::Mobile, v);
        }
        if let Some(v) = anchored_value(&LANDLINE_RE, rest) {
            push(FindingKind::Landline, v);
        }
    }
}

fn scan_markings(text: &str, out: &mut Vec<Span>) {
    let mut push = |start: usize, end: usize| {
        out.push(Span {
            kind: FindingKind::SecretMarking,
            start,
            end,
        });
    };
    if let Some(re) = STAR_MARKING_RE.as_ref() {
        for m in re.find_iter(text) {
            push(m.start(), m.end());
        }
    }
    if let Some(re) = HEADING_MARKING_RE.as_ref() {
        for caps in re.captures_iter(text) {
            if let Some(m) = caps.get(1) {
                push(m.start(), m.end());
            }
        }
    }
    if let Some(re) = PLAIN_MARKING_RE.as_ref() {
        for m in re.find_iter(text) {
            push(m.start(), m.end());
        }
    }
}

/// Every occurrence of every configured word, ASCII case-insensitive. Lower-casing only ASCII
/// keeps every byte offset and character boundary of the original text.
fn scan_words(text: &str, words: &[String], out: &mut Vec<Span>) {
    if words.is_empty() {
        return;
    }
    let lower = text.to_ascii_lowercase();
    for word in words {
        let word = word.trim();
        if word.is_empty() {
            continue;
        }
        let word = word.to_ascii_lowercase();
        for (start, m) in lower.match_indices(word.as_str()) {
            out.push(Span {
                kind: FindingKind::SensitiveWord,
                start,
                end: start + m.len(),
            });
        }
    }
}

/// Keeps a non-overlapping subset: by priority, then start, then length (longest first).
fn resolve(mut candidates: Vec<Span>) -> Vec<Span> {
    candidates.sort_by_key(|s| {
        (
            s.kind.priority(),
            s.start,
            std::cmp::Reverse(s.end - s.start),
        )
    });
    // Accepted spans by start; they never overlap, so only the last one starting before a
    // candidate's end can overlap it.
    let mut accepted: BTreeMap<usize, Span> = BTreeMap::new();
    for c in candidates {
        if c.end <= c.start {
            continue;
        }
        let overlaps = accepted
            .range(..c.end)
            .next_back()
            .is_some_and(|(_, a)| a.end > c.start);
        if !overlaps {
            accepted.insert(c.start, c);
        }
    }
    accepted.into_values().collect()
}

/// Byte offsets of line starts, for 1-based line numbers.
struct LineIndex {
    newlines: Vec<usize>,
}

impl LineIndex {
    fn new(text: &str) -> Self {
        LineIndex {
            newlines: text.match_indices('\n').map(|(i, _)| i).collect(),
        }
    }

    fn line_of(&self, offset: usize) -> usize {
        self.newlines.partition_point(|&n| n < offset) + 1
    }
}

/// The match with up to [`CONTEXT_CHARS`] characters either side, not crossing line breaks;
/// line breaks and tabs inside the match become spaces so the context is one line.
fn context(text: &str, start: usize, end: usize) -> String {
    let (Some(head), Some(body), Some(tail)) =
        (text.get(..start), text.get(start..end), text.get(end..))
    else {
        return String::new();
    };
    // Walk at most CONTEXT_CHARS characters each way (never to the line ends: a long line
    // with many findings would make that quadratic), stopping at a line break.
    let is_break = |c: char| matches!(c, '\n' | '\r');
    let before_start = head
        .char_indices()
        .rev()
        .take(CONTEXT_CHARS)
        .take_while(|&(_, c)| !is_break(c))
        .last()
        .map_or(head.len(), |(i, _)| i);
    let before = head.get(before_start..).unwrap_or("");
    let after_len = tail
        .char_indices()
        .take(CONTEXT_CHARS)
        .take_while(|&(_, c)| !is_break(c))
        .last()
        .map_or(0, |(i, c)| i + c.len_utf8());
    let after = tail.get(..after_len).unwrap_or("");
    format!("{before}{body}{after}")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Masking
// ---------------------------------------------------------------------------------------------

/// Masks the characters of `value` selected by `is_target`, skipping the first `skip` of them
/// (a prefix that stays visible) and then keeping `rule.keep_start` and `rule.keep_end`.
/// If the rule would keep everything, everything (after the skip) is masked instead: a mask
/// that hides nothing is not a mask. Non-target characters (separators) stay in place.
fn mask_chars(
    value: &str,
    is_target: impl Fn(char) -> bool,
    skip: usize,
    rule: MaskRule,
    mask: char,
) -> String {
    let total = value.chars().filter(|&c| is_target(c)).count();
    let n = total.saturating_sub(skip);
    let (lo, hi) = if rule.keep_start.saturating_add(rule.keep_end) >= n {
        (0, n)
    } else {
        (rule.keep_start, n - rule.keep_end)
    };
    let mut index: usize = 0;
    value
        .chars()
        .map(|c| {
            if !is_target(c) {
                return c;
            }
            let j = index;
            index += 1;
            match j.checked_sub(skip) {
                Some(k) if (lo..hi).contains(&k) => mask,
                _ => c,
            }
        })
        .collect()
}

/// The masked form of a matched value:
/// - 身份证号 / 银行卡号: keep the configured leading and trailing characters, e.g.
///   `110105194912310021` → `110105********0021`;
/// - 手机号码: keep the first 3 and last 4 of the 11-digit number, any `+86` stays;
/// - 固定电话: keep the area code, the last `phone_mask.keep_end` digits of the local number
///   and the extension, e.g. `0991-1234567` → `0991-***4567`;
/// - 敏感词: every character becomes `×`;
/// - 密级标识: not maskable, returned unchanged.
///
/// Separators (spaces, hyphens, parentheses) keep their places.
pub fn mask_value(kind: FindingKind, matched: &str, cfg: &ScreeningConfig) -> String {
    let mask = cfg.effective_mask_char();
    match kind {
        FindingKind::ResidentId => mask_chars(matched, is_id_char, 0, cfg.resident_id_mask, mask),
        FindingKind::BankCard => mask_chars(matched, is_digit, 0, cfg.bank_card_mask, mask),
        FindingKind::Mobile => {
            let digits = matched.chars().filter(|&c| is_digit(c)).count();
            let prefix = digits.saturating_sub(MOBILE_DIGITS);
            mask_chars(matched, is_digit, prefix, cfg.phone_mask, mask)
        }
        FindingKind::Landline => mask_landline(matched, cfg.phone_mask, mask),
        FindingKind::SensitiveWord => matched.chars().map(|_| SENSITIVE_WORD_MASK_CHAR).collect(),
        FindingKind::SecretMarking => matched.to_string(),
    }
}

fn mask_landline(matched: &str, rule: MaskRule, mask: char) -> String {
    let local_rule = MaskRule::new(0, rule.keep_end);
    let local = LANDLINE_RE
        .as_ref()
        .and_then(|re| re.captures(matched))
        .and_then(|caps| caps.get(4))
        .map(|m| m.range());
    match local {
        Some(range) => match (
            matched.get(..range.start),
            matched.get(range.clone()),
            matched.get(range.end..),
        ) {
            (Some(head), Some(number), Some(tail)) => {
                format!(
                    "{head}{}{tail}",
                    mask_chars(number, is_digit, 0, local_rule, mask)
                )
            }
            _ => mask_chars(matched, is_digit, 0, rule, mask),
        },
        // Not a landline as recognised by the scanner: mask its digits by the phone rule.
        None => mask_chars(matched, is_digit, 0, rule, mask),
    }
}

/// Replace the finding in `text` by its mask. Refuses (returns None) if text[start..end] no
/// longer equals `matched` (the text changed since the scan) or the kind is not maskable.
pub fn apply_mask(text: &str, f: &Finding, cfg: &ScreeningConfig) -> Option<String> {
    if !f.kind.maskable() || text.get(f.start..f.end)? != f.matched {
        return None;
    }
    let head = text.get(..f.start)?;
    let tail = text.get(f.end..)?;
    Some(format!(
        "{head}{}{tail}",
        mask_value(f.kind, &f.matched, cfg)
    ))
}

/// Mask every maskable finding, returning the new text and how many were masked.
///
/// The text is rescanned after masking, because hiding a sensitive word glued to a number can
/// expose that number; findings whose mask equals the original are not counted.
pub fn mask_all(text: &str, cfg: &ScreeningConfig) -> (String, usize) {
    let mut current = text.to_string();
    let mut count = 0;
    for _ in 0..MAX_MASK_ROUNDS {
        let mut out = String::with_capacity(current.len());
        let mut pos = 0;
        let mut masked_this_round = 0;
        for f in scan(&current, cfg).iter().filter(|f| f.kind.maskable()) {
            let masked = mask_value(f.kind, &f.matched, cfg);
            if masked == f.matched {
                continue;
            }
            let Some(between) = current.get(pos..f.start) else {
                continue;
            };
            out.push_str(between);
            out.push_str(&masked);
            pos = f.end;
            masked_this_round += 1;
        }
        if masked_this_round == 0 {
            break;
        }
        out.push_str(current.get(pos..).unwrap_or(""));
        current = out;
        count += masked_this_round;
    }
    (current, count)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::codes::resident_id_check_char;
    use proptest::prelude::*;

    const ID: &str = "11010519491231002X";

    fn cfg() -> ScreeningConfig {
        ScreeningConfig::default()
    }

    fn make_id(body17: &str) -> String {
        format!("{body17}{}", resident_id_check_char(body17).unwrap())
    }

    /// Appends the Luhn check digit.
    fn luhn_complete(body: &str) -> String {
        (0..=9)
            .map(|d| format!("{body}{d}"))
            .find(|s| luhn_valid(s))
            .unwrap()
    }

    fn kinds(text: &str, cfg: &ScreeningConfig) -> Vec<(FindingKind, String)> {
        scan(text, cfg)
            .into_iter()
            .map(|f| (f.kind, f.matched))
            .collect()
    }

    fn only(text: &str, kind: FindingKind, matched: &str) {
        assert_eq!(
            kinds(text, &cfg()),
            vec![(kind, matched.to_string())],
            "in {text:?}"
        );
    }

    fn none(text: &str) {
        assert_eq!(kinds(text, &cfg()), vec![], "in {text:?}");
    }

    /// The structural guarantees of a scan result.
    fn check_invariants(text: &str, findings: &[Finding]) {
        let mut last_end = 0;
        for f in findings {
            assert!(
                f.start >= last_end,
                "sorted and non-overlapping: {findings:?}"
            );
            assert!(f.start < f.end);
            assert!(text.is_char_boundary(f.start) && text.is_char_boundary(f.end));
            assert_eq!(&text[f.start..f.end], f.matched);
            assert_eq!(f.line, text[..f.start].matches('\n').count() + 1);
            assert!(
                f.context
                    .contains(f.matched.replace(['\n', '\r', '\t'], " ").as_str())
            );
            assert!(!f.context.contains(['\n', '\r']));
            assert!(f.context.chars().count() <= f.matched.chars().count() + 2 * CONTEXT_CHARS);
            last_end = f.end;
        }
    }

    #[test]
    fn all_patterns_compile() {
        for re in all_patterns() {
            assert!(re.is_some());
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for k in FindingKind::ALL {
            assert_eq!(FindingKind::parse(k.as_str()), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
            assert!(!k.label().is_empty());
        }
        assert_eq!(FindingKind::parse("ResidentId"), None);
        assert_eq!(FindingKind::ResidentId.label(), "身份证号");
        assert_eq!(FindingKind::SecretMarking.to_string(), "密级标识");
        assert!(!FindingKind::SecretMarking.maskable());
        assert!(FindingKind::SensitiveWord.maskable());
        assert!(FindingKind::ResidentId.maskable());
    }

    #[test]
    fn config_defaults_and_partial_deserialisation() {
        let c = cfg();
        assert_eq!(c.resident_id_mask, MaskRule::new(6, 4));
        assert_eq!(c.phone_mask, MaskRule::new(3, 4));
        assert_eq!(c.bank_card_mask, MaskRule::new(6, 4));
        assert_eq!(c.mask_char, '*');
        let c: ScreeningConfig =
            serde_json::from_str(r##"{"sensitive_words":["张三"],"mask_char":"#"}"##).unwrap();
        assert_eq!(c.sensitive_words, vec!["张三".to_string()]);
        assert_eq!(c.mask_char, '#');
        assert_eq!(c.bank_card_mask, MaskRule::new(6, 4));
    }

    #[test]
    fn luhn() {
        assert!(luhn_valid("4111111111111111"));
        assert!(luhn_valid("79927398713"));
        assert!(!luhn_valid("79927398710"));
        assert!(!luhn_valid("4111 1111 1111 1111"));
        assert!(!luhn_valid("0"));
        assert!(!luhn_valid(""));
    }

    // --- 身份证号 -------------------------------------------------------------------------

    #[test]
    fn resident_ids() {
        assert_eq!(make_id("11010519491231002"), ID);
        only(ID, FindingKind::ResidentId, ID);
        only(
            "11010519491231002x",
            FindingKind::ResidentId,
            "11010519491231002x",
        );
        let id = make_id("44030519850615123");
        only(&format!("证件 {id} 号"), FindingKind::ResidentId, &id);
        // Full-width digits are recognised; the match is the original text.
        let wide: String = id
            .chars()
            .map(|c| char::from_u32(u32::from(c) + 0xFEE0).unwrap())
            .collect();
        only(&format!("号码{wide}。"), FindingKind::ResidentId, &wide);
    }

    #[test]
    fn resident_id_in_chinese_text_has_byte_offsets() {
        let text = "身份证号：11010519491231002X。";
        let found = scan(text, &cfg());
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.kind, FindingKind::ResidentId);
        assert_eq!(f.start, "身份证号：".len());
        assert_eq!(f.start, 15);
        assert_eq!(f.end, f.start + 18);
        assert_eq!(&text[f.start..f.end], ID);
        assert_eq!(f.line, 1);
        assert_eq!(f.context, text);
        check_invariants(text, &found);
    }

    #[test]
    fn wrong_check_digit_is_not_an_id() {
        let body = "11010519491231002";
        for d in '0'..='9' {
            let s = format!("{body}{d}");
            let found = kinds(&s, &cfg());
            // Never an ID; a bank card exactly when the 18 digits pass Luhn.
            if luhn_valid(&s) {
                assert_eq!(found, vec![(FindingKind::BankCard, s.clone())]);
            } else {
                assert_eq!(found, vec![], "{s}");
            }
        }
        // An impossible birth date with a correct check digit is not an ID either.
        let bad_date = make_id("11010519490231002");
        assert!(
            !kinds(&bad_date, &cfg())
                .iter()
                .any(|(k, _)| *k == FindingKind::ResidentId)
        );
    }

    #[test]
    fn id_inside_a_longer_run_is_not_found() {
        none(&format!("1{ID}"));
        none(&format!("{ID}7"));
        none(&format!("12{ID}3"));
        none(&format!("A{ID}"));
        none(&format!("{ID}b"));
        // Full-width digits count as adjacent digits too.
        none(&format!("１{ID}"));
    }

    // --- 手机号码 -------------------------------------------------------------------------

    #[test]
    fn mobiles_in_several_spellings() {
        only("联系电话13812345678。", FindingKind::Mobile, "13812345678");
        only(
            "联系电话：138 1234 5678",
            FindingKind::Mobile,
            "138 1234 5678",
        );
        only(
            "联系电话：138-1234-5678。",
            FindingKind::Mobile,
            "138-1234-5678",
        );
        only("手机+8613812345678", FindingKind::Mobile, "+8613812345678");
        only(
            "手机 +86 138 1234 5678",
            FindingKind::Mobile,
            "+86 138 1234 5678",
        );
        only("手机8619912345678", FindingKind::Mobile, "8619912345678");
        only("共86 13812345678", FindingKind::Mobile, "13812345678");
        only(
            "手机１３８１２３４５６７８",
            FindingKind::Mobile,
            "１３８１２３４５６７８",
        );
    }

    #[test]
    fn not_mobiles() {
        none("12812345678"); // 12x is not a mobile prefix
        none("1381234567"); // 10 digits
        none("138123456789"); // 12 digits
        none("a13812345678");
        none("13812345678z");
        none("编号 138 1234 56789");
    }

    // --- 固定电话 -------------------------------------------------------------------------

    #[test]
    fn landlines() {
        only("电话：0991-1234567", FindingKind::Landline, "0991-1234567");
        only(
            "电话：010-12345678-123，",
            FindingKind::Landline,
            "010-12345678-123",
        );
        only("电话 021 87654321。", FindingKind::Landline, "021 87654321");
        only("电话09911234567", FindingKind::Landline, "09911234567");
        only("(0991)1234567", FindingKind::Landline, "(0991)1234567");
        only(
            "电话（0991）1234567",
            FindingKind::Landline,
            "（0991）1234567",
        );
        // A five-digit "extension" is not an extension: only the number itself is found.
        only("0991-1234567-12345", FindingKind::Landline, "0991-1234567");
    }

    #[test]
    fn not_landlines() {
        none("0991-123456"); // local number too short
        none("010-123456789"); // too long
        none("0001-1234567"); // not an area code
        none("x0991-1234567");
        none("2024-01-01");
    }

    // --- 银行卡号 -------------------------------------------------------------------------

    #[test]
    fn bank_cards() {
        let card = luhn_complete("622202123456789012");
        assert_eq!(card.len(), 19);
        only(&format!("卡号：{card}。"), FindingKind::BankCard, &card);
        // One digit changed: Luhn fails, nothing is found.
        let last = card.chars().last().unwrap().to_digit(10).unwrap();
        let broken = format!("{}{}", &card[..18], (last + 1) % 10);
        none(&format!("卡号：{broken}。"));

        let card16 = luhn_complete("411111111111111");
        assert_eq!(card16, "4111111111111111");
        only(
            "卡号 4111 1111 1111 1111 。",
            FindingKind::BankCard,
            "4111 1111 1111 1111",
        );
        only(
            "4111-1111-1111-1111",
            FindingKind::BankCard,
            "4111-1111-1111-1111",
        );
        none("4111 1111 1111 1112");
        // Grouped 19-digit card.
        let grouped = format!(
            "{} {} {} {} {}",
            &card[0..4],
            &card[4..8],
            &card[8..12],
            &card[12..16],
            &card[16..19]
        );
        only(&format!("卡号{grouped}"), FindingKind::BankCard, &grouped);
        // 20 digits are not a card.
        none(&format!("{card}0"));
    }

    #[test]
    fn id_wins_over_card_when_both_fit() {
        // Find a valid ID that also passes Luhn; it must be reported as an ID only.
        let id = (0..1000)
            .map(|n| make_id(&format!("44030519850615{n:03}")))
            .find(|id| luhn_valid(id))
            .unwrap();
        only(&id, FindingKind::ResidentId, &id);
    }

    // --- 密级标识 -------------------------------------------------------------------------

    #[test]
    fn secret_markings_found() {
        only(
            "机密★1年\n关于某事项的通知",
            FindingKind::SecretMarking,
            "机密★1年",
        );
        only("标题\n秘密 ★\n正文", FindingKind::SecretMarking, "秘密 ★");
        only("绝密★长期", FindingKind::SecretMarking, "绝密★长期");
        only("秘密\n关于某事项的通知", FindingKind::SecretMarking, "秘密");
        only("通知\r\n  秘密\r\n正文", FindingKind::SecretMarking, "秘密");
        only("机密：本文件不得外传", FindingKind::SecretMarking, "机密");
        only("第一行\n绝密", FindingKind::SecretMarking, "绝密");
        only(
            "本文件为内部资料，请勿外传",
            FindingKind::SecretMarking,
            "内部资料",
        );
        let found = kinds("内部资料 注意保密", &cfg());
        assert_eq!(
            found,
            vec![
                (FindingKind::SecretMarking, "内部资料".to_string()),
                (FindingKind::SecretMarking, "注意保密".to_string())
            ]
        );
        let text = "正文\n机密★1年\n";
        let f = &scan(text, &cfg())[0];
        assert_eq!(f.line, 2);
        assert_eq!(f.context, "机密★1年");
    }

    #[test]
    fn secret_words_in_sentences_not_found() {
        none("各单位要保守国家秘密。");
        none("加强信息的机密性保护。");
        none("机密性是信息安全的基本属性。");
        none("秘密文件的管理办法");
        none("这是一个秘密");
    }

    #[test]
    fn secret_markings_are_not_maskable() {
        let text = "机密★1年";
        let f = &scan(text, &cfg())[0];
        assert_eq!(apply_mask(text, f, &cfg()), None);
        assert_eq!(mask_value(f.kind, &f.matched, &cfg()), f.matched);
        assert_eq!(mask_all(text, &cfg()), (text.to_string(), 0));
    }

    // --- 敏感词 ---------------------------------------------------------------------------

    #[test]
    fn sensitive_words() {
        let c = ScreeningConfig {
            sensitive_words: vec!["张三".into(), "Project X".into(), "".into(), "  ".into()],
            ..cfg()
        };
        let text = "张三参与了project x与PROJECT X项目，张三签字";
        let found = scan(text, &c);
        check_invariants(text, &found);
        let got: Vec<_> = found.iter().map(|f| f.matched.as_str()).collect();
        assert_eq!(got, vec!["张三", "project x", "PROJECT X", "张三"]);
        assert!(found.iter().all(|f| f.kind == FindingKind::SensitiveWord));
        assert_eq!(mask_value(FindingKind::SensitiveWord, "张三", &c), "××");
        assert_eq!(
            mask_all(text, &c),
            ("××参与了×××××××××与×××××××××项目，××签字".to_string(), 4)
        );
        // Empty configuration finds nothing.
        none(text);
    }

    // --- Masking ---------------------------------------------------------------------------

    #[test]
    fn mask_values() {
        let c = cfg();
        assert_eq!(
            mask_value(FindingKind::ResidentId, "110105194912310021", &c),
            "110105********0021"
        );
        assert_eq!(
            mask_value(FindingKind::ResidentId, ID, &c),
            "110105********002X"
        );
        assert_eq!(
            mask_value(FindingKind::Mobile, "13812345678", &c),
            "138****5678"
        );
        assert_eq!(
            mask_value(FindingKind::Mobile, "138-1234-5678", &c),
            "138-****-5678"
        );
        assert_eq!(
            mask_value(FindingKind::Mobile, "+86 138 1234 5678", &c),
            "+86 138 **** 5678"
        );
        assert_eq!(
            mask_value(FindingKind::Landline, "0991-1234567", &c),
            "0991-***4567"
        );
        assert_eq!(
            mask_value(FindingKind::Landline, "010-12345678-123", &c),
            "010-****5678-123"
        );
        assert_eq!(
            mask_value(FindingKind::Landline, "（0991）1234567", &c),
            "（0991）***4567"
        );
        assert_eq!(
            mask_value(FindingKind::BankCard, "6222021234567890123", &c),
            "622202*********0123"
        );
        assert_eq!(
            mask_value(FindingKind::BankCard, "4111 1111 1111 1111", &c),
            "4111 11** **** 1111"
        );
        // A custom mask character, and a letter refused as mask character.
        let hash = ScreeningConfig {
            mask_char: '#',
            ..cfg()
        };
        assert_eq!(
            mask_value(FindingKind::Mobile, "13812345678", &hash),
            "138####5678"
        );
        let digit = ScreeningConfig {
            mask_char: '0',
            ..cfg()
        };
        assert_eq!(
            mask_value(FindingKind::Mobile, "13812345678", &digit),
            "138****5678"
        );
        // A rule keeping everything masks everything instead.
        let greedy = ScreeningConfig {
            phone_mask: MaskRule::new(8, 8),
            ..cfg()
        };
        assert_eq!(
            mask_value(FindingKind::Mobile, "13812345678", &greedy),
            "***********"
        );
    }

    #[test]
    fn apply_mask_replaces_and_refuses_stale_findings() {
        let c = cfg();
        let text = "请联系13812345678，身份证号：11010519491231002X。";
        let found = scan(text, &c);
        check_invariants(text, &found);
        assert_eq!(found.len(), 2);
        let masked = apply_mask(text, &found[1], &c).unwrap();
        assert_eq!(masked, "请联系13812345678，身份证号：110105********002X。");
        // The ID finding still applies to `masked` (the mobile comes first and is unchanged).
        let again = apply_mask(&masked, &found[0], &c).unwrap();
        assert_eq!(again, "请联系138****5678，身份证号：110105********002X。");
        // Stale: the text has changed at that place.
        assert_eq!(apply_mask(&masked, &found[1], &c), None);
        // Stale: shifted by an edit before the finding.
        let edited = format!("前言{text}");
        assert_eq!(apply_mask(&edited, &found[1], &c), None);
        // Out of range or not on a char boundary: refused, no panic.
        let mut bogus = found[0].clone();
        bogus.start = 1;
        assert_eq!(apply_mask(text, &bogus, &c), None);
        bogus.start = 0;
        bogus.end = text.len() + 10;
        assert_eq!(apply_mask(text, &bogus, &c), None);
    }

    #[test]
    fn mask_all_masks_everything_maskable() {
        let c = ScreeningConfig {
            sensitive_words: vec!["张三".into()],
            ..cfg()
        };
        let card = luhn_complete("622202123456789012");
        let text = format!(
            "机密★1年\n张三，身份证号：{ID}，手机138 1234 5678，\n电话0991-1234567，卡号{card}。"
        );
        let (masked, n) = mask_all(&text, &c);
        assert_eq!(n, 5);
        let expected = format!(
            "机密★1年\n××，身份证号：110105********002X，手机138 **** 5678，\n\
             电话0991-***4567，卡号622202*********{}。",
            &card[15..]
        );
        assert_eq!(masked, expected);
        let left = scan(&masked, &c);
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].kind, FindingKind::SecretMarking);
    }

    #[test]
    fn mask_all_rescans_numbers_exposed_by_a_masked_word() {
        let c = ScreeningConfig {
            sensitive_words: vec!["ab".into()],
            ..cfg()
        };
        // "ab" glued to the mobile hides it from the first scan.
        let text = "ab13812345678";
        assert_eq!(
            kinds(text, &c),
            vec![(FindingKind::SensitiveWord, "ab".into())]
        );
        let (masked, n) = mask_all(text, &c);
        assert_eq!(masked, "××138****5678");
        assert_eq!(n, 2);
    }

    #[test]
    fn offsets_and_context_with_chinese_around() {
        let text = "第一行没有号码\n第二行：这是一段比较长的中文说明文字，联系人手机号码为13812345678，请勿外传，谢谢合作与支持！欢迎来电\n第三行";
        let found = scan(text, &cfg());
        check_invariants(text, &found);
        assert_eq!(found.len(), 1);
        let f = &found[0];
        assert_eq!(f.line, 2);
        assert_eq!(
            f.context,
            "中文说明文字，联系人手机号码为13812345678，请勿外传，谢谢合作与支持！欢"
        );
        assert_eq!(f.context.chars().count(), 15 + 11 + 15);
    }

    // --- Properties ------------------------------------------------------------------------

    fn valid_id() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["110105", "310104", "440305", "650102", "510107"]),
            1930u32..2010,
            1u32..=12,
            1u32..=28,
            0u32..1000,
            any::<bool>(),
        )
            .prop_map(|(region, y, m, d, seq, lower)| {
                let id = make_id(&format!("{region}{y:04}{m:02}{d:02}{seq:03}"));
                if lower { id.to_lowercase() } else { id }
            })
    }

    fn mobile() -> impl Strategy<Value = String> {
        (
            3u32..=9,
            0u64..1_000_000_000,
            0usize..3,
            prop::sample::select(vec!["", "+86", "86", "+86 "]),
        )
            .prop_map(|(second, rest, spelling, prefix)| {
                let n = format!("1{second}{rest:09}");
                let body = match spelling {
                    0 => n,
                    1 => format!("{} {} {}", &n[..3], &n[3..7], &n[7..]),
                    _ => format!("{}-{}-{}", &n[..3], &n[3..7], &n[7..]),
                };
                format!("{prefix}{body}")
            })
    }

    fn card() -> impl Strategy<Value = String> {
        (
            15usize..=18,
            prop::collection::vec(0u8..10, 18),
            any::<bool>(),
        )
            .prop_map(|(len, digits, grouped)| {
                let body: String = std::iter::once('6')
                    .chain(digits.iter().take(len - 1).map(|d| char::from(b'0' + d)))
                    .collect();
                let card = luhn_complete(&body);
                if grouped {
                    let chunks: Vec<String> = card
                        .as_bytes()
                        .chunks(4)
                        .map(|c| String::from_utf8_lossy(c).into_owned())
                        .collect();
                    chunks.join(" ")
                } else {
                    card
                }
            })
    }

    fn landline() -> impl Strategy<Value = String> {
        (
            prop::sample::select(vec!["010", "021", "0991", "0371"]),
            1_000_000u32..100_000_000,
            prop::sample::select(vec!["-", " ", ""]),
        )
            .prop_map(|(area, local, sep)| format!("{area}{sep}{local}"))
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            valid_id(),
            mobile(),
            card(),
            landline(),
            prop::sample::select(vec![
                "，",
                "。",
                "：",
                " ",
                "\n",
                "-",
                "（",
                "）",
                "+",
                "张三",
                "abc",
                "机密★1年",
                "保守国家秘密",
                "身份证号",
                "联系电话",
                "内部资料",
                "X",
                "x",
                "０",
                "×",
            ])
            .prop_map(String::from),
            "[0-9a-zA-Z]{0,4}",
            "[\u{4e00}-\u{4e20}]{0,4}",
        ]
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(fragment(), 0..14).prop_map(|v| v.concat())
    }

    fn word_cfg() -> ScreeningConfig {
        ScreeningConfig {
            sensitive_words: vec!["张三".into(), "ABC".into()],
            ..cfg()
        }
    }

    proptest! {
        #[test]
        fn scan_invariants_hold(text in text()) {
            let found = scan(&text, &word_cfg());
            check_invariants(&text, &found);
        }

        #[test]
        fn scan_never_panics_on_arbitrary_text(text in "\\PC{0,60}") {
            let found = scan(&text, &word_cfg());
            check_invariants(&text, &found);
            let _ = mask_all(&text, &word_cfg());
        }

        #[test]
        fn mask_all_leaves_no_maskable_findings(text in text()) {
            let c = word_cfg();
            let (masked, n) = mask_all(&text, &c);
            let before = scan(&text, &c).iter().filter(|f| f.kind.maskable()).count();
            prop_assert!(n >= before);
            let left: Vec<_> = scan(&masked, &c)
                .into_iter()
                .filter(|f| f.kind.maskable())
                .collect();
            prop_assert!(left.is_empty(), "left {:?} in {:?}", left, masked);
            // Markings survive masking.
            let marks = |t: &str| scan(t, &c).into_iter()
                .filter(|f| f.kind == FindingKind::SecretMarking)
                .map(|f| f.matched)
                .collect::<Vec<_>>();
            prop_assert_eq!(marks(&text), marks(&masked));
            // Masking never changes the number of characters.
            prop_assert_eq!(text.chars().count(), masked.chars().count());
        }

        #[test]
        fn ids_and_mobiles_between_chinese_are_found(
            id in valid_id(),
            phone in mobile(),
            pre in "[\u{4e00}-\u{9fa5}]{0,5}",
            mid in "[\u{4e00}-\u{9fa5}]{1,5}",
        ) {
            let text = format!("{pre}{id}{mid}{phone}。");
            let found = kinds(&text, &cfg());
            prop_assert_eq!(
                found,
                vec![(FindingKind::ResidentId, id), (FindingKind::Mobile, phone)]
            );
        }
    }
}
