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
