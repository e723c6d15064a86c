//! 信箱、投诉、举报: mailboxes, the reply clock of a letter, its states, the reopen window, the
//! public statistics and the whistle-blower envelope. Pure rules; the store and the web layer call
//! them so every page, the API and the escalation pass apply the same ones.
//!
//! Counting (民法典第二百零一条): the day a letter is received is not counted. A mailbox counts in
//! working days (default 15, a local rule) or, for 信访-type matters, in calendar days whose last
//! day moves to the next working day when it is a holiday (民法典第二百零三条).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};
use crate::seal::{SealError, SealKey};

/// Default reply limit of a mailbox: 15 working days (local rules; configurable per mailbox).
pub const DEFAULT_WORKING_DAYS: u32 = 15;
/// 《信访工作条例》第二十四条: written notice of acceptance within 15 days.
pub const XINFANG_ACK_DAYS: u32 = 15;
/// 《信访工作条例》第三十五条: handled within 60 days of acceptance.
pub const XINFANG_HANDLE_DAYS: u32 = 60;
/// 《信访工作条例》第三十五条: extendable once by at most 30 days, with the reasons told.
pub const XINFANG_EXTEND_DAYS: u32 = 30;
/// The writer may ask to reopen within 15 days of the reply, once.
pub const REOPEN_DAYS: i64 = 15;
/// Statistics are shown only where at least this many letters exist in the period.
pub const MIN_STATS: usize = 10;
/// Website inspections penalise a mailbox with no reply in two months.
pub const SILENT_MONTHS: u32 = 2;
/// Near-duplicates are looked for among the same writer's letters of the last 30 days.
pub const DUPLICATE_WINDOW_DAYS: i64 = 30;
pub const MAX_SUBJECT: usize = 100;
pub const MAX_CONTENT: usize = 5000;
pub const MAX_REPLY: usize = 10000;

labelled!(
    /// What a mailbox receives.
    MailboxKind {
        Consult => "consult", "咨询",
        Suggest => "suggest", "建议",
        Complaint => "complaint", "投诉",
        Report => "report", "举报",
        Help => "help", "求助",
    }
);

labelled!(
    /// The state of a letter.
    LetterStatus {
        Received => "received", "待受理",
        Handling => "handling", "办理中",
        Approving => "approving", "答复待审核",
        Replied => "replied", "已答复",
        Dismissed => "dismissed", "不予受理",
        Converted => "converted", "已转为政府信息公开申请",
    }
);

labelled!(
    /// The writer's rating of a reply.
    Rating {
        Satisfied => "satisfied", "满意",
        Fair => "fair", "基本满意",
        Unsatisfied => "unsatisfied", "不满意",
    }
);

labelled!(
    /// How a mailbox counts its limit.
    LimitMode {
        Working => "working", "工作日",
        Calendar => "calendar", "自然日（信访类事项）",
    }
);

impl LetterStatus {
    /// Open letters run against their limit.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            LetterStatus::Received | LetterStatus::Handling | LetterStatus::Approving
        )
    }
}

/// A mailbox's limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LimitRule {
    pub mode: LimitMode,
    /// Days to reply (or, for 信访, to finish handling).
    pub days: u32,
    /// Days to give written notice of acceptance (0: none required).
    pub ack_days: u32,
    /// The one extension allowed, in the same unit (0: none).
    pub extend_days: u32,
}

impl Default for LimitRule {
    fn default() -> Self {
        LimitRule {
            mode: LimitMode::Working,
            days: DEFAULT_WORKING_DAYS,
            ack_days: 0,
            extend_days: 0,
        }
    }
}

impl LimitRule {
    /// The 《信访工作条例》(2022) periods: acceptance within 15 days, handling within 60 days,
    /// one extension of at most 30 days — all calendar days.
    pub fn xinfang() -> LimitRule {
        LimitRule {
            mode: LimitMode::Calendar,
            days: XINFANG_HANDLE_DAYS,
            ack_days: XINFANG_ACK_DAYS,
            extend_days: XINFANG_EXTEND_DAYS,
        }
    }

    /// "15个工作日", "60日".
    pub fn describe(&self) -> String {
        match self.mode {
            LimitMode::Working => format!("{}个工作日", self.days),
            LimitMode::Calendar => format!("{}日", self.days),
        }
    }

    /// `n` days of this rule's unit after `from` (the day itself not counted).
    pub fn add(&self, cal: &Calendar, from: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        match self.mode {
            LimitMode::Working => cal.add_working_days(from, n),
            LimitMode::Calendar => cal.add_calendar_days_period(from, n),
        }
    }

    pub fn validate(&self) -> Result<(), &'static str> {
        let max = match self.mode {
            LimitMode::Working => 60,
            LimitMode::Calendar => 90,
        };
        if self.days == 0 || self.days > max {
            return Err("答复期限须为1至60个工作日（自然日不超过90日）");
        }
        if self.extend_days > self.days {
            return Err("延期天数不能超过答复期限");
        }
        if self.ack_days > self.days {
            return Err("受理告知期限不能超过答复期限");
        }
        Ok(())
    }
}

/// The reply clock of a letter, with its explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterClock {
    pub due_on: NaiveDate,
    /// The written acceptance is due by this day (信访 rule), if the rule asks for one.
    pub ack_by: Option<NaiveDate>,
    pub explanation: Vec<String>,
}

/// Due date of a letter received on `received_on`, with `extended` days added once.
pub fn clock(
    cal: &Calendar,
    rule: &LimitRule,
    received_on: NaiveDate,
    extended: u32,
) -> Result<LetterClock, CalendarError> {
    let base = rule.add(cal, received_on, rule.days)?;
    let mut lines = vec![format!(
        "{received_on} 收到来信（当日不计入，自次日起计算，民法典第二百零一条）"
    )];
    lines.push(match rule.mode {
        LimitMode::Working => format!("答复期限{}，至 {base}", rule.describe()),
        LimitMode::Calendar => format!(
            "办理期限{}（《信访工作条例》），期限届满日为法定节假日的顺延至节假日后第一个工作日（民法典第二百零三条），至 {base}",
            rule.describe()
        ),
    });
    let due = if extended > 0 {
        let d = rule.add(cal, base, extended)?;
        lines.push(format!(
            "经批准延期{}，至 {d}",
            match rule.mode {
                LimitMode::Working => format!("{extended}个工作日"),
                LimitMode::Calendar => format!("{extended}日"),
            }
        ));
        d
    } else {
        base
    };
    let ack_by = if rule.ack_days > 0 {
        let d = rule.add(cal, received_on, rule.ack_days)?;
        lines.push(format!(
            "应于 {d} 前书面告知是否受理（《信访工作条例》第二十四条）"
        ));
        Some(d)
    } else {
        None
    };
    Ok(LetterClock {
        due_on: due,
        ack_by,
        explanation: lines,
    })
}

/// Whether an extension of `days` may be granted now.
pub fn check_extension(rule: &LimitRule, already: bool, days: u32) -> Result<(), String> {
    if rule.extend_days == 0 {
        return Err("本信箱的答复期限不能延长".into());
    }
    if already {
        return Err("延期只能一次".into());
    }
    if days == 0 || days > rule.extend_days {
        return Err(format!(
            "延期须为1至{}{}",
            rule.extend_days,
            match rule.mode {
                LimitMode::Working => "个工作日",
                LimitMode::Calendar => "日",
            }
        ));
    }
    Ok(())
}

/// What someone does to a letter, as far as the state machine is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// 首问负责: the first handler who opens a received letter owns it.
    Take,
    /// 交办: a leader assigns it to a handler.
    Assign,
    /// 转办: the owner hands it to another handler or body, with a reason.
    Transfer,
    Extend,
    SaveDraft,
    /// Send the reply (to approval when the mailbox requires it).
    Reply,
    Approve,
    Return,
    Dismiss,
    Convert,
    /// The writer's steps.
    Rate,
    Reopen,
}

/// Who is acting, relative to the letter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    /// The actor owns the letter (首问负责 or assigned).
    pub owner: bool,
    /// The letter has an owner at all.
    pub owned: bool,
}

/// The state after `step`, or why it is refused. Permissions (who may handle, assign or approve
/// at this body) are the caller's; this is the order of things and the 首问负责 rule.
pub fn transition(
    status: LetterStatus,
    step: Step,
    who: Standing,
    approval_required: bool,
    rated: bool,
) -> Result<LetterStatus, &'static str> {
    use LetterStatus::*;
    let owner_only = |next: LetterStatus| {
        if who.owner {
            Ok(next)
        } else if who.owned {
            Err("该来信已由他人负责办理（首问负责），只有负责人或经交办、转办后才能办理")
        } else {
            Err("请先受理该来信（首问负责）")
        }
    };
    match (status, step) {
        (Received, Step::Take) if !who.owned => Ok(Handling),
        (Received | Handling, Step::Take) => Err("该来信已由他人负责办理（首问负责）"),
        (Received | Handling, Step::Assign) => Ok(Handling),
        (Handling, Step::Transfer) => owner_only(Received),
        (Handling, Step::Extend | Step::SaveDraft) => owner_only(Handling),
        (Handling, Step::Reply) => owner_only(if approval_required {
            Approving
        } else {
            Replied
        }),
        (Approving, Step::Approve) => Ok(Replied),
        (Approving, Step::Return) => Ok(Handling),
        (Received, Step::Dismiss) => Ok(Dismissed),
        (Received, Step::Convert) => Ok(Converted),
        (Handling, Step::Dismiss) => owner_only(Dismissed),
        (Handling, Step::Convert) => owner_only(Converted),
        (Replied, Step::Rate) if !rated => Ok(Replied),
        (Replied, Step::Rate) => Err("已评价过该答复"),
        (Replied, Step::Reopen) => Ok(Handling),
        (Approving, _) => Err("答复正在审核中"),
        (Replied, _) => Err("该来信已答复"),
        (Dismissed, _) => Err("该来信已不予受理"),
        (Converted, _) => Err("该来信已转为政府信息公开申请"),
        (_, Step::Rate | Step::Reopen) => Err("来信尚未答复"),
        (_, Step::Approve | Step::Return) => Err("没有待审核的答复"),
        (Received, _) => Err("请先受理该来信（首问负责）"),
    }
}

/// Is an open letter overdue today? (The due day itself is still in time.)
pub fn is_overdue(status: LetterStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status.is_open() && today > due_on
}

/// The last day the writer may ask to reopen a reply given on `replied_on`.
pub fn reopen_until(replied_on: NaiveDate) -> NaiveDate {
    replied_on + chrono::Duration::days(REOPEN_DAYS)
}

/// Why the writer may not reopen now, or Ok.
pub fn check_reopen(
    status: LetterStatus,
    replied_on: Option<NaiveDate>,
    reopened_before: bool,
    today: NaiveDate,
) -> Result<(), &'static str> {
    let Some(r) = replied_on.filter(|_| status == LetterStatus::Replied) else {
        return Err("来信尚未答复，不能申请重新办理");
    };
    if reopened_before {
        return Err("每封来信只能申请重新办理一次");
    }
    if today > reopen_until(r) {
        return Err("已超过答复之日起15日，不能再申请重新办理");
    }
    Ok(())
}

/// One letter as the statistics see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterFacts {
    pub received_on: NaiveDate,
    /// None while the due date waits for next year's holiday notice.
    pub due_on: Option<NaiveDate>,
    pub replied_on: Option<NaiveDate>,
    pub rating: Option<Rating>,
}

/// Public statistics of a mailbox or body for a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    pub received: usize,
    pub replied: usize,
    pub on_time: usize,
    /// Average working days from receipt to reply (None when nothing was replied).
    pub avg_working_days: Option<f64>,
    pub rated: usize,
    pub satisfied: usize,
    pub fair: usize,
    pub unsatisfied: usize,
}

impl Stats {
    /// On-time share of replied letters, in percent.
    pub fn on_time_pct(&self) -> Option<f64> {
        (self.replied > 0).then(|| self.on_time as f64 * 100.0 / self.replied as f64)
    }
    /// Satisfied or fairly satisfied share of rated replies, in percent.
    pub fn satisfaction_pct(&self) -> Option<f64> {
        (self.rated > 0).then(|| (self.satisfied + self.fair) as f64 * 100.0 / self.rated as f64)
    }
}

/// The statistics of `letters`, or None when fewer than [`MIN_STATS`] letters exist (small
/// numbers would mislead). A reply on its due day is on time.
pub fn stats(cal: &Calendar, letters: &[LetterFacts]) -> Option<Stats> {
    if letters.len() < MIN_STATS {
        return None;
    }
    let mut s = Stats {
        received: letters.len(),
        replied: 0,
        on_time: 0,
        avg_working_days: None,
        rated: 0,
        satisfied: 0,
        fair: 0,
        unsatisfied: 0,
    };
    let mut days_total = 0u64;
    let mut days_counted = 0u64;
    for l in letters {
        if let Some(r) = l.replied_on {
            s.replied += 1;
            if l.due_on.is_none_or(|d| r <= d) {
                s.on_time += 1;
            }
            // A year outside the calendar leaves this letter out of the average, not the rest.
            if let Ok(n) = cal.working_days_between(l.received_on, r) {
                days_total += u64::from(n);
                days_counted += 1;
            }
        }
        match l.rating {
            Some(Rating::Satisfied) => s.satisfied += 1,
            Some(Rating::Fair) => s.fair += 1,
            Some(Rating::Unsatisfied) => s.unsatisfied += 1,
            None => {}
        }
    }
    s.rated = s.satisfied + s.fair + s.unsatisfied;
    s.avg_working_days = (days_counted > 0).then(|| days_total as f64 / days_counted as f64);
    Some(s)
}

/// A letter as typed on the public form or sent to the API.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LetterInput {
    pub subject: String,
    pub content: String,
    pub anonymous: bool,
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub consent_publish: bool,
}

/// The writer's identity and contacts: what is sealed (or enveloped for a 举报).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Writer {
    pub name: String,
    pub phone: String,
    pub email: String,
    pub address: String,
}

impl Writer {
    pub fn is_empty(&self) -> bool {
        self.name.is_empty()
            && self.phone.is_empty()
            && self.email.is_empty()
            && self.address.is_empty()
    }
    /// What identifies the writer for duplicate detection: the first contact given.
    pub fn contact_key(&self) -> Option<String> {
        [&self.phone, &self.email, &self.address]
            .into_iter()
            .find(|s| !s.is_empty())
            .map(|s| s.to_lowercase())
    }
}

/// A validated letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidLetter {
    pub subject: String,
    pub content: String,
    pub anonymous: bool,
    pub writer: Writer,
    pub consent_publish: bool,
}

fn valid_phone(s: &str) -> bool {
    let digits: String = s.chars().filter(|c| c.is_ascii_digit()).collect();
    (7..=15).contains(&digits.len())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')'))
}

fn valid_email(s: &str) -> bool {
    let Some((user, host)) = s.split_once('@') else {
        return false;
    };
    !user.is_empty() && host.contains('.') && !host.starts_with('.') && !s.contains(' ')
}

impl LetterInput {
    /// Check the form. `anonymous_allowed` is the mailbox's setting.
    pub fn validate(
        &self,
        anonymous_allowed: bool,
    ) -> Result<ValidLetter, crate::body::FieldErrors> {
        let mut e: crate::body::FieldErrors = Vec::new();
        let subject = self.subject.trim().to_string();
        if subject.is_empty() {
            e.push(("subject", "请填写标题".into()));
        } else if subject.chars().count() > MAX_SUBJECT {
            e.push(("subject", format!("标题不能超过{MAX_SUBJECT}个字")));
        }
        let content = self.content.trim().to_string();
        if content.chars().count() < 5 {
            e.push(("content", "请填写来信内容（至少5个字）".into()));
        } else if content.chars().count() > MAX_CONTENT {
            e.push(("content", format!("来信内容不能超过{MAX_CONTENT}个字")));
        }
        let anonymous = self.anonymous;
        if anonymous && !anonymous_allowed {
            e.push((
                "anonymous",
                "本信箱不受理匿名来信，请填写姓名和联系方式".into(),
            ));
        }
        let writer = Writer {
            name: self.name.trim().to_string(),
            phone: self.phone.trim().to_string(),
            email: self.email.trim().to_string(),
            address: self.address.trim().to_string(),
        };
        if !anonymous {
            if writer.name.is_empty() {
                e.push(("name", "请填写姓名".into()));
            } else if writer.name.chars().count() > 50 {
                e.push(("name", "姓名不能超过50个字".into()));
            }
            if writer.phone.is_empty() && writer.email.is_empty() {
                e.push(("phone", "请至少填写联系电话或电子邮箱，以便答复".into()));
            }
        }
        if !writer.phone.is_empty() && !valid_phone(&writer.phone) {
            e.push(("phone", "联系电话格式不正确".into()));
        }
        if !writer.email.is_empty() && !valid_email(&writer.email) {
            e.push(("email", "电子邮箱格式不正确".into()));
        }
        if writer.address.chars().count() > 200 {
            e.push(("address", "通信地址不能超过200个字".into()));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ValidLetter {
            subject,
            content,
            anonymous,
            // An anonymous letter keeps no identity, even if some was typed.
            writer: if anonymous { Writer::default() } else { writer },
            consent_publish: self.consent_publish,
        })
    }
}

/// A 举报's envelope: the letter key sealed by the report key, and the writer sealed by the
/// letter key. Neither opens without the report key, which is not in the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The letter key, sealed by the report key.
    pub wrapped_key: String,
    /// Which report key wrapped it ([`SealKey::key_id`]).
    pub key_id: String,
}

/// Make a fresh letter key and wrap it by `report_key`.
pub fn new_envelope(report_key: &SealKey) -> (SealKey, Envelope) {
    let letter_key = SealKey::generate();
    let env = Envelope {
        wrapped_key: report_key.seal(&letter_key.to_base64()),
        key_id: report_key.key_id(),
    };
    (letter_key, env)
}

/// Open the letter key of an envelope with whichever of `keys` wrapped it.
pub fn open_envelope(keys: &[SealKey], env: &Envelope) -> Result<SealKey, SealError> {
    let k = keys
        .iter()
        .find(|k| k.key_id() == env.key_id)
        .ok_or(SealError)?;
    SealKey::from_base64(&k.open(&env.wrapped_key)?).ok_or(SealError)
}

/// Re-wrap an envelope under `new_key` (key rotation); the letter key and what it sealed stay.
pub fn rewrap(old: &[SealKey], new_key: &SealKey, env: &Envelope) -> Result<Envelope, SealError> {
    let letter_key = open_envelope(old, env)?;
    Ok(Envelope {
        wrapped_key: new_key.seal(&letter_key.to_base64()),
        key_id: new_key.key_id(),
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

    #[test]
    fn fifteen_working_days_skip_the_national_day_holiday() {
        let cal = Calendar::builtin();
        // Received Tuesday 2025-09-30; 10/1–10/8 are off, 10/11 (Saturday) is a working day.
        let c = clock(&cal, &LimitRule::default(), d("2025-09-30"), 0).unwrap();
        // 10/9(1) 10/10(2) 10/11(3) 10/13–17(4–8) 10/20–24(9–13) 10/27(14) 10/28(15).
        assert_eq!(c.due_on, d("2025-10-28"));
        assert!(c.explanation[0].contains("2025-09-30"));
        assert!(c.ack_by.is_none());
    }

    #[test]
    fn xinfang_calendar_days_end_on_the_next_working_day() {
        let cal = Calendar::builtin();
        // 2025-08-02 + 60 days = 2025-10-01 (National Day): moves to 2025-10-09.
        let c = clock(&cal, &LimitRule::xinfang(), d("2025-08-02"), 0).unwrap();
        assert_eq!(c.due_on, d("2025-10-09"));
        // Acceptance: 2025-08-02 + 15 = 2025-08-17 (Sunday) → Monday 2025-08-18.
        assert_eq!(c.ack_by, Some(d("2025-08-18")));
        assert!(c.explanation.iter().any(|l| l.contains("第二百零三条")));
        // One extension of 30 days from 2025-10-09 → 2025-11-08 (Saturday) → 2025-11-10.
        let e = clock(&cal, &LimitRule::xinfang(), d("2025-08-02"), 30).unwrap();
        assert_eq!(e.due_on, d("2025-11-10"));
    }

    #[test]
    fn a_year_without_calendar_is_refused_not_guessed() {
        let cal = Calendar::builtin();
        assert!(clock(&cal, &LimitRule::default(), d("2031-03-02"), 0).is_err());
    }

    #[test]
    fn extensions_once_and_within_the_rule() {
        let r = LimitRule::xinfang();
        assert!(check_extension(&r, false, 30).is_ok());
        assert!(check_extension(&r, false, 31).is_err());
        assert!(check_extension(&r, true, 10).is_err());
        assert!(check_extension(&LimitRule::default(), false, 5).is_err());
    }

    #[test]
    fn overdue_only_after_the_due_day_and_only_while_open() {
        let due = d("2025-10-28");
        assert!(!is_overdue(LetterStatus::Handling, due, due));
        assert!(is_overdue(LetterStatus::Handling, due, d("2025-10-29")));
        assert!(is_overdue(LetterStatus::Received, due, d("2025-11-29")));
        assert!(!is_overdue(LetterStatus::Replied, due, d("2025-11-29")));
    }

    #[test]
    fn first_responder_owns_the_letter() {
        use LetterStatus::*;
        let nobody = Standing {
            owner: false,
            owned: false,
        };
        let me = Standing {
            owner: true,
            owned: true,
        };
        let other = Standing {
            owner: false,
            owned: true,
        };
        assert_eq!(
            transition(Received, Step::Take, nobody, false, false),
            Ok(Handling)
        );
        assert!(transition(Handling, Step::Take, other, false, false).is_err());
        // Only the owner replies, transfers, extends.
        for step in [Step::Reply, Step::Transfer, Step::Extend, Step::SaveDraft] {
            assert!(
                transition(Handling, step, other, false, false).is_err(),
                "{step:?}"
            );
            assert!(
                transition(Handling, step, me, false, false).is_ok(),
                "{step:?}"
            );
        }
        // A leader may assign whoever owns it.
        assert_eq!(
            transition(Handling, Step::Assign, other, false, false),
            Ok(Handling)
        );
        // A transfer hands it on: received again, to be taken by the next handler.
        assert_eq!(
            transition(Handling, Step::Transfer, me, false, false),
            Ok(Received)
        );
        // Approval when the mailbox requires it.
        assert_eq!(
            transition(Handling, Step::Reply, me, true, false),
            Ok(Approving)
        );
        assert_eq!(
            transition(Approving, Step::Approve, other, true, false),
            Ok(Replied)
        );
        assert_eq!(
            transition(Approving, Step::Return, other, true, false),
            Ok(Handling)
        );
        assert!(transition(Approving, Step::Reply, me, true, false).is_err());
        // Rating once; nothing else after the reply but reopening.
        assert_eq!(
            transition(Replied, Step::Rate, nobody, false, false),
            Ok(Replied)
        );
        assert!(transition(Replied, Step::Rate, nobody, false, true).is_err());
        assert_eq!(
            transition(Replied, Step::Reopen, nobody, false, true),
            Ok(Handling)
        );
        assert!(transition(Replied, Step::Reply, me, false, false).is_err());
        assert!(transition(Received, Step::Rate, nobody, false, false).is_err());
        assert!(transition(Dismissed, Step::Take, nobody, false, false).is_err());
    }

    #[test]
    fn reopen_within_fifteen_days_once() {
        let r = Some(d("2025-10-10"));
        assert!(check_reopen(LetterStatus::Replied, r, false, d("2025-10-25")).is_ok());
        assert!(check_reopen(LetterStatus::Replied, r, false, d("2025-10-26")).is_err());
        assert!(check_reopen(LetterStatus::Replied, r, true, d("2025-10-11")).is_err());
        assert!(check_reopen(LetterStatus::Handling, r, false, d("2025-10-11")).is_err());
    }

    fn facts(n: usize, replied_late: usize) -> Vec<LetterFacts> {
        (0..n)
            .map(|i| LetterFacts {
                received_on: d("2025-03-03"),
                due_on: Some(d("2025-03-24")),
                replied_on: Some(if i < replied_late {
                    d("2025-03-25")
                } else {
                    d("2025-03-10")
                }),
                rating: Some(if i % 2 == 0 {
                    Rating::Satisfied
                } else {
                    Rating::Unsatisfied
                }),
            })
            .collect()
    }

    #[test]
    fn statistics_need_ten_letters() {
        let cal = Calendar::builtin();
        assert_eq!(stats(&cal, &facts(9, 0)), None);
        let s = stats(&cal, &facts(10, 2)).unwrap();
        assert_eq!((s.received, s.replied, s.on_time), (10, 10, 8));
        assert_eq!((s.satisfied, s.unsatisfied, s.rated), (5, 5, 10));
        assert_eq!(s.on_time_pct(), Some(80.0));
        assert_eq!(s.satisfaction_pct(), Some(50.0));
        // 2025-03-03 → 03-10: 5 working days; → 03-25: 16 working days. (8×5 + 2×16) / 10 = 7.2.
        assert_eq!(s.avg_working_days, Some(7.2));
    }

    #[test]
    fn validation() {
        let ok = LetterInput {
            subject: "路灯不亮".into(),
            content: "某某路的路灯已经坏了两周。".into(),
            name: "张三".into(),
            phone: "13812345678".into(),
            ..Default::default()
        };
        assert!(ok.validate(false).is_ok());
        let anon = LetterInput {
            anonymous: true,
            name: "不应保存".into(),
            ..ok.clone()
        };
        assert!(anon.validate(false).is_err());
        let v = anon.validate(true).unwrap();
        assert!(v.writer.is_empty(), "an anonymous letter keeps no identity");
        let no_contact = LetterInput {
            phone: String::new(),
            ..ok.clone()
        };
        let errs = no_contact.validate(true).unwrap_err();
        assert!(errs.iter().any(|(k, _)| *k == "phone"));
        let bad = LetterInput {
            email: "not-an-email".into(),
            subject: "字".repeat(101),
            ..ok
        };
        let errs = bad.validate(true).unwrap_err();
        assert!(errs.iter().any(|(k, _)| *k == "email"));
        assert!(errs.iter().any(|(k, _)| *k == "subject"));
    }

    #[test]
    fn envelopes_open_only_with_the_report_key_and_survive_rotation() {
        let report = SealKey::generate();
        let (letter_key, env) = new_envelope(&report);
        let sealed = letter_key.seal("{\"name\":\"李四\"}");
        let k = open_envelope(std::slice::from_ref(&report), &env).unwrap();
        assert_eq!(k.open(&sealed).unwrap(), "{\"name\":\"李四\"}");
        // The application key (secrets.key) or any other key opens nothing.
        assert!(open_envelope(&[SealKey::generate()], &env).is_err());
        let next = SealKey::generate();
        let env2 = rewrap(std::slice::from_ref(&report), &next, &env).unwrap();
        assert_ne!(env2.key_id, env.key_id);
        let k2 = open_envelope(&[report.clone(), next.clone()], &env2).unwrap();
        assert_eq!(k2.open(&sealed).unwrap(), "{\"name\":\"李四\"}");
        assert!(open_envelope(std::slice::from_ref(&report), &env2).is_err());
    }

    proptest! {
        /// Working-day due dates are working days, later than receipt, and exactly `days`
        /// working days after it; calendar-day due dates are on or after received + days and
        /// on a working day.
        #[test]
        fn due_dates_are_working_days(offset in 0i64..2500, days in 1u32..40, calendar in any::<bool>()) {
            let cal = Calendar::builtin();
            let received = d("2019-01-01") + chrono::Duration::days(offset);
            let rule = LimitRule {
                mode: if calendar { LimitMode::Calendar } else { LimitMode::Working },
                days,
                ack_days: 0,
                extend_days: 0,
            };
            if let Ok(c) = clock(&cal, &rule, received, 0) {
                prop_assert!(cal.is_working_day(c.due_on).unwrap());
                if calendar {
                    prop_assert!(c.due_on >= received + chrono::Duration::days(i64::from(days)));
                    // Never further than the next working day after the last day.
                    let end = received + chrono::Duration::days(i64::from(days));
                    prop_assert_eq!(c.due_on, cal.next_working_day_on_or_after(end).unwrap());
                } else {
                    prop_assert_eq!(cal.working_days_between(received, c.due_on).unwrap(), days);
                }
            }
        }

        /// Statistics either are absent (fewer than ten letters) or add up.
        #[test]
        fn statistics_add_up(n in 0usize..40, late in 0usize..40) {
            let cal = Calendar::builtin();
            let f = facts(n, late.min(n));
            match stats(&cal, &f) {
                None => prop_assert!(n < MIN_STATS),
                Some(s) => {
                    prop_assert!(n >= MIN_STATS);
                    prop_assert_eq!(s.on_time + late.min(n), s.replied);
                    prop_assert_eq!(s.satisfied + s.fair + s.unsatisfied, s.rated);
                    prop_assert!(s.replied <= s.received);
                }
            }
        }
    }
}
