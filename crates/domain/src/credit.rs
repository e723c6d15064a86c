//! 双公示: the clocks and rules of publishing 行政许可 and 行政处罚 decisions (see
//! `docs/design/services.md`). Pure: dates in, dates and Chinese explanations out.
//!
//! - Publication is due 7 working days after the decision date (the decision day not counted,
//!   民法典第二百零一条).
//! - A published decision that is changed, revoked or confirmed void is withdrawn within 3 working
//!   days of the changing decision (行政处罚法第四十八条; 第八十五条: 三日 are working days).
//! - A record leaves the public list after its display period (calendar months from the decision
//!   date, a missing day clamped to the month's end), but stays in the records.
//! - A decision about a natural person under 18 on the decision date is never published.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::screening::{FindingKind, MaskRule, ScreeningConfig, mask_all, scan};

/// Working days after the decision date within which it must be public.
pub const PUBLISH_WORKING_DAYS: u32 = 7;
/// Working days after a changing decision within which the public record is withdrawn.
pub const WITHDRAW_WORKING_DAYS: u32 = 3;

labelled!(
    /// The kind of an administrative decision (行政强制 is counted for the annual report, never
    /// listed in the 双公示).
    DecisionKind {
        License => "license", "行政许可",
        Penalty => "penalty", "行政处罚",
        Coercion => "coercion", "行政强制",
    }
);

labelled!(
    /// Who a decision is about (国家信用数据标准: 行政相对人类别).
    PartyType {
        Legal => "legal", "法人及非法人组织",
        Business => "business", "个体工商户",
        Natural => "natural", "自然人",
    }
);

/// A due date, or why it cannot be known yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    On(NaiveDate),
    /// The period runs into a year whose holiday arrangement is not loaded: the date is filled
    /// in once it is; until then the record is never overdue.
    Open {
        year: i32,
    },
}

impl Due {
    pub fn date(self) -> Option<NaiveDate> {
        match self {
            Due::On(d) => Some(d),
            Due::Open { .. } => None,
        }
    }

    /// Whether a record still waiting on `today` is late.
    pub fn overdue_on(self, today: NaiveDate) -> bool {
        self.date().is_some_and(|d| today > d)
    }

    /// In words, for the back office.
    pub fn explain(self) -> String {
        match self {
            Due::On(d) => format!("应于{d}前公示"),
            Due::Open { year } => {
                format!("期限跨入{year}年，待该年度节假日安排导入后确定")
            }
        }
    }
}

fn working_days_due(cal: &Calendar, from: NaiveDate, n: u32) -> Result<Due, CalendarError> {
    match cal.add_working_days(from, n) {
        Ok(d) => Ok(Due::On(d)),
        Err(CalendarError::MissingYear(y)) => Ok(Due::Open { year: y }),
        Err(e) => Err(e),
    }
}

/// When a decision of `decided_on` must be public.
pub fn publish_due(cal: &Calendar, decided_on: NaiveDate) -> Result<Due, CalendarError> {
    working_days_due(cal, decided_on, PUBLISH_WORKING_DAYS)
}

/// When a published decision changed or revoked on `revoked_on` must be withdrawn.
pub fn withdraw_due(cal: &Calendar, revoked_on: NaiveDate) -> Result<Due, CalendarError> {
    working_days_due(cal, revoked_on, WITHDRAW_WORKING_DAYS)
}

/// The last day a record decided on `decided_on` stays on the public list, `months` later
/// (2025-08-31 + 6 months → 2026-02-28). `None` only past the calendar's range.
pub fn display_until(decided_on: NaiveDate, months: u32) -> Option<NaiveDate> {
    decided_on.checked_add_months(Months::new(months))
}

/// Whether a record shown until `until` is on the public list on `today` (through that day).
pub fn on_public_list(until: NaiveDate, today: NaiveDate) -> bool {
    today <= until
}

/// Why a decision date is refused, in Chinese; `None` when it is acceptable.
pub fn check_decided_on(decided_on: NaiveDate, today: NaiveDate) -> Option<String> {
    if decided_on > today {
        Some(format!("决定日期{decided_on}晚于今天（{today}），请核对"))
    } else if decided_on.year() < 2000 {
        Some(format!("决定日期{decided_on}早于2000年，请核对"))
    } else {
        None
    }
}

/// The birth date in an 18-character 居民身份证号码 (positions 7–14), if it is one.
pub fn birth_date_of(resident_id: &str) -> Option<NaiveDate> {
    let id = resident_id.trim();
    if id.chars().count() != 18 || !id.is_ascii() {
        return None;
    }
    let n = |r: std::ops::Range<usize>| id.get(r).and_then(|t| t.parse::<u32>().ok());
    NaiveDate::from_ymd_opt(i32::try_from(n(6..10)?).ok()?, n(10..12)?, n(12..14)?)
}

/// Whether someone born on `birth` was under 18 on `on` (an 18th birthday on 29 February
/// falls on 1 March in common years).
pub fn minor_on(birth: NaiveDate, on: NaiveDate) -> bool {
    match birth.checked_add_months(Months::new(18 * 12)) {
        // checked_add_months clamps 02-29 to 02-28; the law counts the full 18 years.
        Some(adult) if birth.month() == 2 && birth.day() == 29 && adult.day() == 28 => {
            on < adult.succ_opt().unwrap_or(adult)
        }
        Some(adult) => on < adult,
        None => false,
    }
}

/// Why a decision must not be published (未成年人保护法第一百零三条), if it must not: a natural
/// person whose ID shows them under 18 on the decision date, or a decision marked as involving a
/// minor. A natural person without a resident ID must have been confirmed an adult.
pub fn withhold_reason(
    party: PartyType,
    resident_id: Option<&str>,
    adult_confirmed: bool,
    involves_minor: bool,
    decided_on: NaiveDate,
) -> Option<&'static str> {
    if involves_minor {
        return Some("涉及未成年人，依法不予公示");
    }
    if party != PartyType::Natural {
        return None;
    }
    match resident_id.and_then(birth_date_of) {
        Some(birth) if minor_on(birth, decided_on) => {
            Some("行政相对人作出决定时未满十八周岁，依法不予公示")
        }
        Some(_) => None,
        None if adult_confirmed => None,
        None => Some("自然人未登记居民身份证号码且未确认已成年，暂不公示"),
    }
}

/// The screening configuration for a public copy: the installation's words, and no digit of an
/// ID number, phone number or bank account left visible.
pub fn strict_screening(base: &ScreeningConfig) -> ScreeningConfig {
    ScreeningConfig {
        resident_id_mask: MaskRule::new(0, 0),
        phone_mask: MaskRule::new(0, 0),
        bank_card_mask: MaskRule::new(0, 0),
        ..base.clone()
    }
}

/// A value as compared for leaks: full-width letters and digits made ASCII, upper case, with
/// spaces, hyphens and dots dropped (so "1381234 5678" and "１３８-１２３４-５６７８" are one).
pub fn normalise(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let c = match c {
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                '\u{3000}' => ' ',
                c => c,
            };
            (!matches!(c, ' ' | '-' | '.' | '\t')).then(|| c.to_ascii_uppercase())
        })
        .collect()
}

/// Replace each occurrence of `value` in `text`, also spelled with separators or full-width
/// characters, by `with`. Returns the text and how many were replaced.
fn replace_spelled(text: &str, value: &str, with: &str) -> (String, usize) {
    let want: Vec<char> = normalise(value).chars().collect();
    if want.is_empty() {
        return (text.to_string(), 0);
    }
    // The normalised characters of `text`, each with the byte range it came from.
    let mut norm: Vec<(char, usize, usize)> = Vec::new();
    for (i, c) in text.char_indices() {
        for n in normalise(&c.to_string()).chars() {
            norm.push((n, i, i + c.len_utf8()));
        }
    }
    let mut out = String::with_capacity(text.len());
    let (mut pos, mut k, mut count) = (0usize, 0usize, 0usize);
    while k + want.len() <= norm.len() {
        if norm[k..k + want.len()]
            .iter()
            .map(|x| x.0)
            .eq(want.iter().copied())
        {
            let (start, end) = (norm[k].1, norm[k + want.len() - 1].2);
            out.push_str(text.get(pos..start).unwrap_or(""));
            out.push_str(with);
            pos = end;
            k += want.len();
            count += 1;
        } else {
            k += 1;
        }
    }
    out.push_str(text.get(pos..).unwrap_or(""));
    (out, count)
}

labelled!(
    /// How a natural person who is the party of a decision is named in public.
    NameStyle {
        Surname => "surname", "姓氏加“某”（张某）",
        Masked => "masked", "姓氏加星号（张**）",
    }
);

// `labelled!` makes the enum, so `#[default]` cannot be put on its variant.
#[allow(clippy::derivable_impls)]
impl Default for NameStyle {
    fn default() -> Self {
        NameStyle::Surname
    }
}

/// A body's rules for 双公示 publication (stored with the body's settings): how long each kind
/// stays on the public list and how a natural person is named. Zero months means the default.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CreditPolicy {
    pub license_months: u32,
    pub penalty_months: u32,
    pub person_name: NameStyle,
}

/// The longest display period a body may set, in months (5 years).
pub const MAX_DISPLAY_MONTHS: u32 = 60;

impl CreditPolicy {
    /// Months a decision of `kind` stays on the public list.
    pub fn display_months(&self, kind: DecisionKind) -> u32 {
        let set = match kind {
            DecisionKind::License => self.license_months,
            DecisionKind::Penalty => self.penalty_months,
            DecisionKind::Coercion => return 0,
        };
        if set == 0 {
            default_display_months(kind)
        } else {
            set.min(MAX_DISPLAY_MONTHS)
        }
    }

    /// A natural person party's name as published.
    pub fn person(&self, name: &str) -> String {
        match self.person_name {
            NameStyle::Surname => anonymised_name(name),
            NameStyle::Masked => {
                let mut chars = name.trim().chars();
                match chars.next() {
                    Some(first) => {
                        let rest = chars.count().max(1);
                        format!("{first}{}", "*".repeat(rest))
                    }
                    None => String::new(),
                }
            }
        }
    }
}

/// A person's name as shown of someone else named in a decision: the surname and 某 (李四 → 李某).
pub fn anonymised_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => format!("{first}某"),
        None => String::new(),
    }
}

/// What [`mask_public_text`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskedText {
    pub text: String,
    /// How many values were replaced.
    pub replaced: usize,
}

/// The public form of a free-text field of a decision: every sealed value (ID numbers, phone,
/// address, account …) wherever it occurs, also spelled with separators; other people's names
/// as 李某; what screening finds, with nothing kept; and any remaining run of 12 or more
/// digits (an ID with a wrong check digit, an account failing Luhn), which screening does not
/// recognise, unless it is part of a valid 统一社会信用代码.
pub fn mask_public_text(
    text: &str,
    sealed: &[String],
    other_names: &[String],
    cfg: &ScreeningConfig,
) -> MaskedText {
    let mask = cfg.effective_mask_char();
    let mut t = text.to_string();
    let mut replaced = 0;
    let mut values: Vec<&String> = sealed.iter().filter(|v| !normalise(v).is_empty()).collect();
    // Longer values first, so a value containing another is replaced whole.
    values.sort_by_key(|v| std::cmp::Reverse(normalise(v).chars().count()));
    for v in values {
        let with: String = std::iter::repeat_n(mask, normalise(v).chars().count().min(8)).collect();
        let (next, n) = replace_spelled(&t, v, &with);
        t = next;
        replaced += n;
    }
    for name in other_names.iter().filter(|n| n.trim().chars().count() >= 2) {
        let (next, n) = replace_spelled(&t, name, &anonymised_name(name));
        t = next;
        replaced += n;
    }
    let (next, n) = mask_all(&t, &strict_screening(cfg));
    t = next;
    replaced += n;
    let (next, n) = mask_long_digit_runs(&t, mask);
    MaskedText {
        text: next,
        replaced: replaced + n,
    }
}

/// Mask every run of 12 or more digits that is not within a valid 统一社会信用代码.
fn mask_long_digit_runs(text: &str, mask: char) -> (String, usize) {
    let mut out = String::with_capacity(text.len());
    let mut count = 0;
    // Tokens of letters and digits, half- or full-width.
    let mut token = String::new();
    let flush = |token: &mut String, out: &mut String, count: &mut usize| {
        let folded = normalise(token);
        let longest_run = folded
            .split(|c: char| !c.is_ascii_digit())
            .map(str::len)
            .max()
            .unwrap_or(0);
        if longest_run >= 12
            && !(folded.len() == 18 && crate::codes::OrgCode::parse(&folded).is_ok())
        {
            out.extend(
                token
                    .chars()
                    .map(|c| if c.is_alphanumeric() { mask } else { c }),
            );
            *count += 1;
        } else {
            out.push_str(token);
        }
        token.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '０'..='９' | 'Ａ'..='Ｚ' | 'ａ'..='ｚ') {
            token.push(c);
        } else {
            flush(&mut token, &mut out, &mut count);
            out.push(c);
        }
    }
    flush(&mut token, &mut out, &mut count);
    (out, count)
}

/// What would leak if `text` were published: sealed values (of 4 or more characters) found in
/// it however spelled, and ID numbers, mobile numbers and bank accounts screening finds. Empty
/// means it may be published; anything else blocks publication (a fault fails closed).
pub fn leaks(text: &str, sealed: &[String], cfg: &ScreeningConfig) -> Vec<String> {
    let folded = normalise(text);
    let mut out: Vec<String> = sealed
        .iter()
        .map(|v| normalise(v))
        .filter(|v| v.chars().count() >= 4 && folded.contains(v.as_str()))
        .map(|_| "含有应保密的个人信息".to_string())
        .collect();
    out.extend(
        scan(text, cfg)
            .into_iter()
            .filter(|f| {
                matches!(
                    f.kind,
                    FindingKind::ResidentId | FindingKind::Mobile | FindingKind::BankCard
                )
            })
            .map(|f| format!("含有{}", f.kind.label())),
    );
    out.dedup();
    out
}

/// How a decision's publication went, for the timeliness report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Timeliness {
    /// Published by its due date.
    OnTime,
    /// Published after its due date.
    Late,
    /// Not yet published, and the due date has passed.
    Overdue,
    /// Not yet published, still within its period (or the period is open).
    Pending,
}

/// Whether what was due on `due` (none: the period is still open) and done on `done` was late.
pub fn done_late(due: Option<NaiveDate>, done: NaiveDate) -> bool {
    due.is_some_and(|d| done > d)
}

impl Timeliness {
    pub fn of(due: Due, published_on: Option<NaiveDate>, today: NaiveDate) -> Timeliness {
        match (published_on, due.date()) {
            (Some(p), d) if done_late(d, p) => Timeliness::Late,
            (Some(_), _) => Timeliness::OnTime,
            (None, _) if due.overdue_on(today) => Timeliness::Overdue,
            (None, _) => Timeliness::Pending,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Timeliness::OnTime => "按时公示",
            Timeliness::Late => "逾期公示",
            Timeliness::Overdue => "逾期未公示",
            Timeliness::Pending => "未到期",
        }
    }
}

labelled!(
    /// The kind of document identifying a natural person (证件类型).
    IdType {
        Resident => "resident", "居民身份证",
        Other => "other", "其他证件",
    }
);

/// The personal values of a decision: sealed at rest with `secrets.key`, never public, used
/// only to find and mask them in the public copy.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Personal {
    /// `resident` or `other` (natural persons only).
    pub id_type: String,
    /// 证件号码 of a natural person.
    pub id_no: String,
    /// 法定代表人（负责人）证件号码.
    pub rep_id_no: String,
    pub phone: String,
    pub address: String,
    /// 其他涉及人员: names of other people in the texts, shown as 李某.
    pub other_names: Vec<String>,
}

impl Personal {
    /// The values that must never appear in public, however spelled.
    pub fn values(&self) -> Vec<String> {
        [&self.id_no, &self.rep_id_no, &self.phone, &self.address]
            .into_iter()
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    /// The party's 居民身份证号码, if that is what was entered.
    pub fn resident_id(&self) -> Option<&str> {
        (self.id_type == IdType::Resident.as_str() && !self.id_no.trim().is_empty())
            .then(|| self.id_no.trim())
    }
}

/// Longest free text accepted in a decision's content.
pub const MAX_CONTENT: usize = 5000;

/// A decision as typed in the back-office form, an import row or the staff API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionInput {
    pub kind: String,
    pub party_type: String,
    pub party_name: String,
    pub uscc: String,
    pub legal_rep: String,
    pub id_type: String,
    pub id_no: String,
    pub rep_id_no: String,
    pub phone: String,
    pub address: String,
    /// Names separated by 、，, ; or spaces.
    pub other_names: String,
    pub involves_minor: bool,
    pub adult_confirmed: bool,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    /// 罚款金额 in 元 as typed ("5000", "5000.50").
    pub fine_yuan: String,
    pub decided_on: String,
    pub valid_until: String,
}

/// A checked decision, ready to be sealed and recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDecision {
    pub kind: DecisionKind,
    pub party_type: PartyType,
    pub party_name: String,
    pub uscc: String,
    pub legal_rep: String,
    pub personal: Personal,
    pub involves_minor: bool,
    pub adult_confirmed: bool,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    pub fine_fen: Option<i64>,
    pub decided_on: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// How long a decision of `kind` stays on the public list by default, in months (行政许可 3
/// years, 行政处罚 1 year; 行政强制 is never listed).
pub fn default_display_months(kind: DecisionKind) -> u32 {
    match kind {
        DecisionKind::License => 36,
        DecisionKind::Penalty => 12,
        DecisionKind::Coercion => 0,
    }
}

impl DecisionInput {
    /// Check the decision as the form, an import row and the API all do; `today` is the China
    /// date. Errors name the field and say what to fix, in Chinese.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidDecision, crate::body::FieldErrors> {
        let mut e: crate::body::FieldErrors = Vec::new();
        let kind = DecisionKind::parse(&self.kind);
        if kind.is_none() {
            e.push((
                "kind",
                "请选择决定类别（行政许可、行政处罚或行政强制）".into(),
            ));
        }
        let party_type = PartyType::parse(&self.party_type);
        if party_type.is_none() {
            e.push(("party_type", "请选择行政相对人类别".into()));
        }
        let party_name = self.party_name.trim().to_string();
        if party_name.is_empty() || party_name.chars().count() > 100 {
            e.push(("party_name", "请填写行政相对人名称（不超过100个字）".into()));
        }
        let natural = party_type == Some(PartyType::Natural);
        let mut uscc = self.uscc.trim().to_ascii_uppercase();
        let legal_rep = self.legal_rep.trim().to_string();
        let mut personal = Personal {
            phone: self.phone.trim().to_string(),
            address: self.address.trim().to_string(),
            other_names: self
                .other_names
                .split(['、', '，', ',', ';', '；', ' ', '\u{3000}'])
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect(),
            ..Personal::default()
        };
        if natural {
            if !uscc.is_empty() {
                e.push(("uscc", "自然人不填写统一社会信用代码".into()));
            }
            let id_type = IdType::parse(&self.id_type).unwrap_or(IdType::Resident);
            personal.id_type = id_type.as_str().into();
            let id_no = self.id_no.trim().to_ascii_uppercase();
            match id_type {
                IdType::Resident => {
                    if let Err(err) = crate::codes::validate_resident_id_on(&id_no, today) {
                        e.push(("id_no", format!("证件号码：{err}")));
                    }
                }
                IdType::Other => {
                    if id_no.is_empty() {
                        e.push(("id_no", "请填写证件号码".into()));
                    }
                }
            }
            personal.id_no = id_no;
        } else if party_type.is_some() {
            if uscc.is_empty() {
                if party_type == Some(PartyType::Legal) {
                    e.push(("uscc", "法人及非法人组织须填写统一社会信用代码".into()));
                }
            } else {
                match crate::codes::OrgCode::parse(&uscc) {
                    Ok(c) if c.kind == crate::codes::OrgCodeKind::UnifiedSocialCreditCode => {
                        uscc = c.value;
                    }
                    Ok(_) => e.push(("uscc", "请填写18位统一社会信用代码".into())),
                    Err(err) => e.push(("uscc", err.to_string())),
                }
            }
            if legal_rep.is_empty() {
                e.push(("legal_rep", "请填写法定代表人（负责人、经营者）姓名".into()));
            }
            personal.rep_id_no = self.rep_id_no.trim().to_ascii_uppercase();
        }
        let doc_title = self.doc_title.trim().to_string();
        if doc_title.is_empty() {
            e.push(("doc_title", "请填写决定文书名称".into()));
        }
        let doc_no = self.doc_no.trim().to_string();
        if doc_no.is_empty() || doc_no.chars().count() > 100 {
            e.push(("doc_no", "请填写决定文书号（不超过100个字）".into()));
        }
        let content = self.content.trim().to_string();
        if content.is_empty() {
            e.push(("content", "请填写决定内容".into()));
        } else if content.chars().count() > MAX_CONTENT {
            e.push(("content", format!("决定内容不能超过{MAX_CONTENT}个字")));
        }
        let basis = self.basis.trim().to_string();
        if basis.is_empty() {
            e.push(("basis", "请填写决定依据".into()));
        }
        let fine_fen = if self.fine_yuan.trim().is_empty() {
            None
        } else {
            match crate::application::parse_yuan(&self.fine_yuan) {
                Some(f) if kind == Some(DecisionKind::Penalty) => Some(f),
                Some(_) => {
                    e.push(("fine_yuan", "只有行政处罚决定填写罚款金额".into()));
                    None
                }
                None => {
                    e.push((
                        "fine_yuan",
                        "罚款金额请填写元为单位的数字，如 5000 或 5000.50".into(),
                    ));
                    None
                }
            }
        };
        let decided_on = parse_day(&self.decided_on);
        match decided_on {
            None => e.push(("decided_on", "请填写决定日期（YYYY-MM-DD）".into())),
            Some(day) => {
                if let Some(m) = check_decided_on(day, today) {
                    e.push(("decided_on", m));
                }
            }
        }
        let valid_until = if self.valid_until.trim().is_empty() {
            None
        } else {
            match parse_day(&self.valid_until) {
                Some(v) if decided_on.is_some_and(|d| v < d) => {
                    e.push(("valid_until", "有效期至不能早于决定日期".into()));
                    None
                }
                Some(v) => Some(v),
                None => {
                    e.push(("valid_until", "有效期至请填写日期（YYYY-MM-DD）".into()));
                    None
                }
            }
        };
        match (kind, party_type, decided_on) {
            (Some(kind), Some(party_type), Some(decided_on)) if e.is_empty() => Ok(ValidDecision {
                kind,
                party_type,
                party_name,
                uscc: if natural { String::new() } else { uscc },
                legal_rep: if natural { String::new() } else { legal_rep },
                personal,
                involves_minor: self.involves_minor,
                adult_confirmed: self.adult_confirmed,
                doc_title,
                doc_no,
                content,
                basis,
                fine_fen,
                decided_on,
                valid_until,
            }),
            _ => Err(e),
        }
    }
}

/// What the public sees of a decision's named and free-text fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PublicFields {
    pub party_name: String,
    pub uscc: String,
    pub legal_rep: String,
    pub doc_title: String,
    pub content: String,
    pub basis: String,
    /// How many values were masked, for the publisher's preview.
    pub replaced: usize,
}

/// The fields of a decision before masking.
#[derive(Debug, Clone, Copy)]
pub struct PrivateFields<'a> {
    pub party_type: PartyType,
    pub party_name: &'a str,
    pub uscc: &'a str,
    pub legal_rep: &'a str,
    pub doc_title: &'a str,
    pub content: &'a str,
    pub basis: &'a str,
}

/// The public copy of a decision's fields: a natural person appears as 张某 without codes; a
/// legal person's name, code and representative are public; every free text is masked with the
/// sealed values, the other people's names and the strict screening; and the result is refused
/// (fail closed) if anything that must stay private is still found in it.
pub fn public_copy(
    f: PrivateFields<'_>,
    personal: &Personal,
    cfg: &ScreeningConfig,
    policy: &CreditPolicy,
) -> Result<PublicFields, String> {
    let sealed = personal.values();
    let natural = f.party_type == PartyType::Natural;
    let names = personal.other_names.clone();
    let party_shown = policy.person(f.party_name);
    let mut replaced = 0;
    let mut mask = |t: &str| {
        // A natural person party is named in the texts as in the party field.
        let t = if natural && f.party_name.trim().chars().count() >= 2 {
            let (t, n) = replace_spelled(t, f.party_name.trim(), &party_shown);
            replaced += n;
            t
        } else {
            t.to_string()
        };
        let m = mask_public_text(&t, &sealed, &names, cfg);
        replaced += m.replaced;
        m.text
    };
    let out_content = mask(f.content);
    let out_basis = mask(f.basis);
    let out_title = mask(f.doc_title);
    let (party_name, uscc, legal_rep) = if natural {
        (party_shown.clone(), String::new(), String::new())
    } else {
        (
            f.party_name.to_string(),
            f.uscc.to_string(),
            f.legal_rep.to_string(),
        )
    };
    for field in [
        &party_name,
        &legal_rep,
        &out_title,
        &out_content,
        &out_basis,
    ] {
        if let Some(why) = leaks(field, &sealed, cfg).into_iter().next() {
            return Err(format!("公示内容{why}，已阻止公示，请修改后再试"));
        }
    }
    Ok(PublicFields {
        party_name,
        uscc,
        legal_rep,
        doc_title: out_title,
        content: out_content,
        basis: out_basis,
        replaced,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The worked due dates of the design note, on the shipped calendars.
    #[test]
    fn due_dates_across_holidays() {
        let cal = Calendar::builtin();
        for (from, want) in [
            // 9/28 (Sunday, 调休上班), 9/29, 9/30, [10/1–10/8 off], 10/9, 10/10, 10/11 (Saturday,
            // 调休), 10/13.
            ("2025-09-26", "2025-10-13"),
            // 2/13, 2/14 (Saturday, 调休), [2/15–2/23 Spring Festival], 2/24 … 2/28 (Saturday, 调休).
            ("2026-02-12", "2026-02-28"),
            ("2026-12-22", "2026-12-31"),
        ] {
            assert_eq!(
                publish_due(&cal, d(from)).unwrap(),
                Due::On(d(want)),
                "{from}"
            );
        }
        // [5/1–5/5 off], 5/6, 5/7, 5/8.
        assert_eq!(
            withdraw_due(&cal, d("2025-04-30")).unwrap(),
            Due::On(d("2025-05-08"))
        );
    }

    #[test]
    fn a_period_into_an_unloaded_year_is_open_and_never_overdue() {
        let cal = Calendar::builtin();
        let last = *cal.years().last().unwrap();
        let due = publish_due(&cal, d(&format!("{last}-12-28"))).unwrap();
        assert_eq!(due, Due::Open { year: last + 1 });
        assert!(!due.overdue_on(d(&format!("{}-06-01", last + 1))));
        assert!(due.explain().contains(&format!("{}年", last + 1)));
    }

    #[test]
    fn display_period_clamps_to_the_month_end_and_includes_its_last_day() {
        assert_eq!(display_until(d("2025-08-31"), 6), Some(d("2026-02-28")));
        assert_eq!(display_until(d("2024-02-29"), 12), Some(d("2025-02-28")));
        assert_eq!(display_until(d("2025-03-15"), 36), Some(d("2028-03-15")));
        let until = d("2026-02-28");
        assert!(on_public_list(until, d("2026-02-28")));
        assert!(!on_public_list(until, d("2026-03-01")));
    }

    #[test]
    fn future_decision_dates_are_refused() {
        let today = d("2026-12-01");
        assert!(
            check_decided_on(d("2026-12-02"), today)
                .unwrap()
                .contains("晚于今天")
        );
        assert_eq!(check_decided_on(today, today), None);
    }

    #[test]
    fn minors_are_withheld() {
        // Born 2008-12-02: 17 on 2026-12-01, 18 on 2026-12-02.
        let id = "110101200812020017";
        let on = |s| withhold_reason(PartyType::Natural, Some(id), false, false, d(s));
        assert!(on("2026-12-01").unwrap().contains("未满十八周岁"));
        assert_eq!(on("2026-12-02"), None);
        // Born on 29 February: adult on 1 March in a common year.
        let leap = d("2008-02-29");
        assert!(minor_on(leap, d("2026-02-28")));
        assert!(!minor_on(leap, d("2026-03-01")));
        assert!(!minor_on(leap, d("2027-01-01")));
        // A company is never withheld for age; a marked decision always is.
        assert_eq!(
            withhold_reason(PartyType::Legal, None, false, false, d("2026-01-05")),
            None
        );
        assert!(withhold_reason(PartyType::Legal, None, false, true, d("2026-01-05")).is_some());
        // No ID and not confirmed an adult: held back until someone confirms.
        assert!(withhold_reason(PartyType::Natural, None, false, false, d("2026-01-05")).is_some());
        assert_eq!(
            withhold_reason(PartyType::Natural, None, true, false, d("2026-01-05")),
            None
        );
    }

    fn cfg() -> ScreeningConfig {
        ScreeningConfig::default()
    }

    /// Constructed personal data: each sealed value is gone from the public text however it
    /// is spelled, other people become 李某, and nothing screening recognises survives.
    #[test]
    fn public_text_keeps_no_personal_value() {
        let id = "110101199003070018";
        let sealed = vec![
            id.to_string(),
            "13812345678".to_string(),
            "6222020200112233445".to_string(),
            "幸福路18号3栋2单元501室".to_string(),
        ];
        let text = "当事人张三（身份证号１１０１０１ １９９００３０７ ００１８，电话138-1234-5678）\
                    住幸福路18号3栋2单元501室，经李四举报，账户6222 0202 0011 2233 445收款；\
                    另查证件号110101199003070019、卡号622202020011223344。";
        let m = mask_public_text(text, &sealed, &["李四".to_string()], &cfg());
        for v in &sealed {
            assert!(
                !normalise(&m.text).contains(&normalise(v)),
                "{v} leaked: {}",
                m.text
            );
        }
        assert!(m.text.contains("李某举报"), "{}", m.text);
        assert!(!m.text.contains("李四"));
        // A wrong check digit and an account failing Luhn are still masked (fail closed).
        assert!(!m.text.contains("110101199003070019"), "{}", m.text);
        assert!(!m.text.contains("622202020011223344"), "{}", m.text);
        assert!(leaks(&m.text, &sealed, &cfg()).is_empty(), "{}", m.text);
        assert!(m.replaced >= 6);
        // The original is what leaks would refuse.
        assert!(!leaks(text, &sealed, &cfg()).is_empty());
    }

    #[test]
    fn a_valid_credit_code_and_ordinary_numbers_stay() {
        let text =
            "统一社会信用代码91350100M000100Y43，罚款人民币5000元，文号示市监处罚〔2026〕12号。";
        let m = mask_public_text(text, &[], &[], &cfg());
        assert_eq!(m.text, text);
        assert_eq!(m.replaced, 0);
    }

    #[test]
    fn names_become_surname_and_mou() {
        assert_eq!(anonymised_name("李四"), "李某");
        let masked = CreditPolicy {
            person_name: NameStyle::Masked,
            ..Default::default()
        };
        assert_eq!(masked.person("张三"), "张*");
        assert_eq!(masked.person("欧阳娜娜"), "欧***");
        // Display periods: the body's, capped at five years, else the defaults.
        let p = CreditPolicy {
            license_months: 3,
            penalty_months: 120,
            ..Default::default()
        };
        assert_eq!(p.display_months(DecisionKind::License), 3);
        assert_eq!(p.display_months(DecisionKind::Penalty), MAX_DISPLAY_MONTHS);
        assert_eq!(
            CreditPolicy::default().display_months(DecisionKind::License),
            36
        );
        assert_eq!(
            CreditPolicy::default().display_months(DecisionKind::Penalty),
            12
        );
        assert_eq!(p.display_months(DecisionKind::Coercion), 0);
        assert_eq!(anonymised_name(" 欧阳娜娜 "), "欧某");
        assert_eq!(anonymised_name(""), "");
    }

    #[test]
    fn timeliness_of_each_case() {
        let due = Due::On(d("2026-03-10"));
        assert_eq!(
            Timeliness::of(due, Some(d("2026-03-10")), d("2026-04-01")),
            Timeliness::OnTime
        );
        assert_eq!(
            Timeliness::of(due, Some(d("2026-03-11")), d("2026-04-01")),
            Timeliness::Late
        );
        assert_eq!(
            Timeliness::of(due, None, d("2026-03-11")),
            Timeliness::Overdue
        );
        assert_eq!(
            Timeliness::of(due, None, d("2026-03-10")),
            Timeliness::Pending
        );
        let open = Due::Open { year: 2027 };
        assert_eq!(
            Timeliness::of(open, None, d("2027-06-01")),
            Timeliness::Pending
        );
    }

    fn input() -> DecisionInput {
        DecisionInput {
            kind: "penalty".into(),
            party_type: "natural".into(),
            party_name: "张三丰".into(),
            id_type: "resident".into(),
            id_no: "110101199003070011".into(),
            phone: "13812345678".into(),
            address: "幸福路18号".into(),
            other_names: "李四、王五".into(),
            doc_title: "行政处罚决定书".into(),
            doc_no: "示市监罚〔2026〕3号".into(),
            content: "当事人张三丰（电话13812345678）无照经营，李四举报。".into(),
            basis: "《无证无照经营查处办法》第十三条".into(),
            fine_yuan: "5000.50".into(),
            decided_on: "2026-11-30".into(),
            ..DecisionInput::default()
        }
    }

    #[test]
    fn a_complete_decision_is_accepted_and_its_personal_values_separated() {
        let v = input().validate(d("2026-12-01")).unwrap();
        assert_eq!(v.kind, DecisionKind::Penalty);
        assert_eq!(v.fine_fen, Some(500_050));
        assert_eq!(v.personal.other_names, vec!["李四", "王五"]);
        assert_eq!(v.personal.resident_id(), Some("110101199003070011"));
        assert_eq!(
            v.personal.values(),
            vec!["110101199003070011", "13812345678", "幸福路18号"]
        );
        assert_eq!(v.uscc, "", "a natural person has no code");
    }

    #[test]
    fn bad_decisions_name_each_field_in_chinese() {
        let today = d("2026-12-01");
        let errs =
            |i: DecisionInput| -> Vec<(&'static str, String)> { i.validate(today).unwrap_err() };
        let e = errs(DecisionInput {
            decided_on: "2026-12-02".into(),
            ..input()
        });
        assert!(
            e.iter()
                .any(|(f, m)| *f == "decided_on" && m.contains("晚于今天")),
            "{e:?}"
        );
        let e = errs(DecisionInput {
            id_no: "110101199003070019".into(),
            ..input()
        });
        assert!(
            e.iter().any(|(f, m)| *f == "id_no" && m.contains("校验位")),
            "{e:?}"
        );
        let e = errs(DecisionInput {
            party_type: "legal".into(),
            party_name: "示例商贸有限公司".into(),
            uscc: "91350100M000100Y44".into(),
            ..input()
        });
        assert!(e.iter().any(|(f, _)| *f == "uscc"), "{e:?}");
        assert!(e.iter().any(|(f, _)| *f == "legal_rep"), "{e:?}");
        let e = errs(DecisionInput {
            kind: "license".into(),
            ..input()
        });
        assert!(
            e.iter()
                .any(|(f, m)| *f == "fine_yuan" && m.contains("行政处罚")),
            "{e:?}"
        );
        let e = errs(DecisionInput {
            fine_yuan: "五千".into(),
            valid_until: "2026-01-01".into(),
            doc_no: " ".into(),
            ..input()
        });
        let fields: Vec<_> = e.iter().map(|x| x.0).collect();
        assert_eq!(fields, vec!["doc_no", "fine_yuan", "valid_until"]);
    }

    #[test]
    fn the_public_copy_of_a_natural_person_holds_no_personal_value() {
        let v = input().validate(d("2026-12-01")).unwrap();
        let out = public_copy(
            PrivateFields {
                party_type: v.party_type,
                party_name: &v.party_name,
                uscc: &v.uscc,
                legal_rep: &v.legal_rep,
                doc_title: &v.doc_title,
                content: &v.content,
                basis: &v.basis,
            },
            &v.personal,
            &ScreeningConfig::default(),
            &CreditPolicy::default(),
        )
        .unwrap();
        assert_eq!(out.party_name, "张某");
        assert!(
            out.content.contains("张某") && out.content.contains("李某举报"),
            "{}",
            out.content
        );
        assert!(!out.content.contains("1381234"), "{}", out.content);
        assert!(out.replaced >= 3);
        // A legal person keeps its name, code and representative.
        let firm = public_copy(
            PrivateFields {
                party_type: PartyType::Legal,
                party_name: "示例商贸有限公司",
                uscc: "91350100M000100Y43",
                legal_rep: "王五",
                doc_title: "行政许可决定书",
                content: "准予许可。",
                basis: "《食品安全法》第三十五条",
            },
            &Personal::default(),
            &ScreeningConfig::default(),
            &CreditPolicy::default(),
        )
        .unwrap();
        assert_eq!(
            (
                firm.party_name.as_str(),
                firm.uscc.as_str(),
                firm.legal_rep.as_str()
            ),
            ("示例商贸有限公司", "91350100M000100Y43", "王五")
        );
    }

    proptest! {
        /// The due date is a working day exactly 7 working days after the decision, and no
        /// earlier day is.
        #[test]
        fn publish_due_is_the_seventh_working_day(offset in 0u32..700) {
            let cal = Calendar::builtin();
            let from = d("2025-01-01") + chrono::Days::new(u64::from(offset));
            if let Due::On(due) = publish_due(&cal, from).unwrap() {
                prop_assert!(cal.is_working_day(due).unwrap());
                prop_assert_eq!(cal.working_days_between(from, due).unwrap(), PUBLISH_WORKING_DAYS);
                prop_assert_eq!(
                    cal.working_days_between(from, due.pred_opt().unwrap()).unwrap(),
                    PUBLISH_WORKING_DAYS - 1
                );
            }
        }

        /// A display period never ends before the decision, and a longer one never ends sooner.
        #[test]
        fn display_period_is_monotone(offset in 0u32..3000, m in 1u32..60) {
            let from = d("2020-01-01") + chrono::Days::new(u64::from(offset));
            let a = display_until(from, m).unwrap();
            let b = display_until(from, m + 1).unwrap();
            prop_assert!(a > from);
            prop_assert!(b > a);
        }
    }
}
