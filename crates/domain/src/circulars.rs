//! 会议纪要 and 内部通知 (对内公开): internal documents a body sends to chosen offices and people,
//! with one read receipt per recipient and reminders (催阅) for those who have not read them.
//! The rules here are pure: what a circular must hold, and on which working days an unread
//! receipt is reminded. See docs/design/participation.md, stage 4.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};

labelled!(
    /// What is sent.
    CircularKind {
        Minutes => "minutes", "会议纪要",
        Notice => "notice", "内部通知",
    }
);

/// The longest title.
pub const MAX_TITLE_CHARS: usize = 100;
/// The longest text.
pub const MAX_TEXT_CHARS: usize = 20_000;
/// Automatic reminders at most.
pub const MAX_AUTO_REMINDERS: i64 = 3;
/// Working days between the sending and the first reminder, and between reminders.
pub const REMIND_EVERY_WORKING_DAYS: u32 = 2;

/// A circular as typed; recipients are ids (bodies and accounts) as chosen in the form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CircularInput {
    pub kind: String,
    pub title: String,
    pub text: String,
    pub meeting_on: String,
    pub bodies: Vec<i64>,
    pub users: Vec<i64>,
}

/// A checked circular.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCircular {
    pub kind: CircularKind,
    pub title: String,
    pub text: String,
    pub meeting_on: Option<NaiveDate>,
    pub bodies: Vec<i64>,
    pub users: Vec<i64>,
}

fn dedup(v: &[i64]) -> Vec<i64> {
    let mut v: Vec<i64> = v.iter().copied().filter(|i| *i > 0).collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl CircularInput {
    /// Check against `today`; `has_file` says whether a file comes with it (the text may then
    /// be empty). Messages per field.
    pub fn validate(
        &self,
        today: NaiveDate,
        has_file: bool,
    ) -> Result<ValidCircular, crate::body::FieldErrors> {
        let mut e: crate::body::FieldErrors = Vec::new();
        let kind = CircularKind::parse(&self.kind);
        if kind.is_none() {
            e.push(("kind", "请选择文件类型（会议纪要或内部通知）".into()));
        }
        let title = self.title.trim();
        if title.is_empty() {
            e.push(("title", "请填写标题".into()));
        } else if title.chars().count() > MAX_TITLE_CHARS {
            e.push(("title", format!("标题不超过{MAX_TITLE_CHARS}字")));
        }
        let text = self.text.trim();
        if text.chars().count() > MAX_TEXT_CHARS {
            e.push((
                "text",
                format!("正文不超过{MAX_TEXT_CHARS}字，较长的文件请作为附件上传"),
            ));
        } else if text.is_empty() && !has_file {
            e.push(("text", "请填写正文或上传文件".into()));
        }
        let meeting_on = if self.meeting_on.trim().is_empty() {
            None
        } else {
            NaiveDate::parse_from_str(self.meeting_on.trim(), "%Y-%m-%d").ok()
        };
        match (kind, meeting_on, self.meeting_on.trim().is_empty()) {
            (_, None, false) => e.push(("meeting_on", "会议日期格式应为 YYYY-MM-DD".into())),
            (Some(CircularKind::Minutes), None, true) => {
                e.push(("meeting_on", "会议纪要须填写会议日期".into()));
            }
            (_, Some(d), _) if d > today => {
                e.push(("meeting_on", "会议日期不能晚于今天".into()));
            }
            _ => {}
        }
        let (bodies, users) = (dedup(&self.bodies), dedup(&self.users));
        if bodies.is_empty() && users.is_empty() {
            e.push(("recipients", "请至少选择一个接收科室或接收人".into()));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ValidCircular {
            kind: kind.unwrap_or(CircularKind::Notice),
            title: title.to_string(),
            text: text.to_string(),
            meeting_on: if kind == Some(CircularKind::Minutes) {
                meeting_on
            } else {
                None
            },
            bodies,
            users,
        })
    }
}

/// The day the next automatic reminder of an unread receipt is due: the
/// 2nd, 4th, 6th working day after the day of sending for the 1st, 2nd, 3rd reminder; none after
/// [`MAX_AUTO_REMINDERS`]. Reminders given by hand count too, so a receipt reminded by hand on
/// the day of sending gets its next on the 4th working day.
pub fn next_reminder(
    cal: &Calendar,
    sent_on: NaiveDate,
    reminders: i64,
) -> Result<Option<NaiveDate>, CalendarError> {
    if !(0..MAX_AUTO_REMINDERS).contains(&reminders) {
        return Ok(None);
    }
    let k = u32::try_from(reminders + 1).unwrap_or(1);
    cal.add_working_days(sent_on, REMIND_EVERY_WORKING_DAYS * k)
        .map(Some)
}

/// Whether an unread receipt is to be reminded today by the periodic pass: its next reminder
/// day has come, and it was not already reminded today.
pub fn reminder_due(
    cal: &Calendar,
    sent_on: NaiveDate,
    reminders: i64,
    reminded_on: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<bool, CalendarError> {
    if reminded_on == Some(today) {
        return Ok(false);
    }
    Ok(next_reminder(cal, sent_on, reminders)?.is_some_and(|d| d <= today))
}

/// Whether the sender may remind by hand today: once a day at most.
pub fn may_remind_by_hand(reminded_on: Option<NaiveDate>, today: NaiveDate) -> bool {
    reminded_on != Some(today)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> CircularInput {
        CircularInput {
            kind: "minutes".into(),
            title: "第12次主任办公会议纪要".into(),
            text: "一、研究了老旧小区改造事项。".into(),
            meeting_on: "2026-11-30".into(),
            bodies: vec![3, 3, 4],
            users: vec![],
        }
    }

    #[test]
    fn a_complete_minutes_is_accepted_with_recipients_once_each() {
        let v = input().validate(d("2026-12-01"), false).unwrap();
        assert_eq!(v.kind, CircularKind::Minutes);
        assert_eq!(v.meeting_on, Some(d("2026-11-30")));
        assert_eq!(v.bodies, vec![3, 4]);
    }

    #[test]
    fn what_is_missing_is_named() {
        let today = d("2026-12-01");
        let fields = |i: CircularInput, file: bool| -> Vec<&'static str> {
            i.validate(today, file)
                .err()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, _)| k)
                .collect()
        };
        let mut i = input();
        i.meeting_on.clear();
        assert_eq!(fields(i, false), vec!["meeting_on"]);
        let mut i = input();
        i.meeting_on = "2026-12-02".into();
        assert_eq!(fields(i, false), vec!["meeting_on"]);
        let mut i = input();
        i.text.clear();
        assert_eq!(fields(i.clone(), false), vec!["text"]);
        assert!(fields(i, true).is_empty(), "a file may stand for the text");
        let mut i = input();
        i.bodies.clear();
        assert_eq!(fields(i, false), vec!["recipients"]);
        let mut i = input();
        i.title = "纪".repeat(MAX_TITLE_CHARS + 1);
        i.kind = "x".into();
        assert_eq!(fields(i, false), vec!["kind", "title"]);
        // A notice needs no meeting date, and keeps none.
        let mut i = input();
        i.kind = "notice".into();
        i.meeting_on.clear();
        assert_eq!(i.validate(today, false).unwrap().meeting_on, None);
    }

    #[test]
    fn reminders_fall_on_working_days_across_the_national_day_holiday() {
        let cal = Calendar::builtin();
        // Sent Tuesday 2025-09-30; 10-01..08 are the holiday and Saturday 10-11 a 调休 working
        // day. Working days after: 10-09, 10-10 (2nd), 10-11, 10-13 (4th), 10-14, 10-15 (6th).
        let sent = d("2025-09-30");
        assert_eq!(next_reminder(&cal, sent, 0).unwrap(), Some(d("2025-10-10")));
        assert_eq!(next_reminder(&cal, sent, 1).unwrap(), Some(d("2025-10-13")));
        assert_eq!(next_reminder(&cal, sent, 2).unwrap(), Some(d("2025-10-15")));
        assert_eq!(next_reminder(&cal, sent, 3).unwrap(), None);
        assert!(!reminder_due(&cal, sent, 0, None, d("2025-10-09")).unwrap());
        assert!(reminder_due(&cal, sent, 0, None, d("2025-10-10")).unwrap());
        // Reminded today already (by hand): not again today.
        assert!(!reminder_due(&cal, sent, 0, Some(d("2025-10-10")), d("2025-10-10")).unwrap());
        assert!(!may_remind_by_hand(Some(d("2025-10-09")), d("2025-10-09")));
        assert!(may_remind_by_hand(Some(d("2025-10-09")), d("2025-10-10")));
    }

    #[test]
    fn a_year_not_loaded_is_an_error_not_a_guess() {
        let cal = Calendar::empty();
        assert!(next_reminder(&cal, d("2026-12-01"), 0).is_err());
    }

    proptest! {
        #[test]
        fn reminders_are_working_days_strictly_after_sending_and_increasing(
            day in 0u64..700, n in 0i64..3,
        ) {
            let cal = Calendar::builtin();
            let sent = d("2025-01-01") + chrono::Days::new(day);
            if let (Ok(Some(a)), Ok(Some(b))) =
                (next_reminder(&cal, sent, n), next_reminder(&cal, sent, n + 1))
            {
                prop_assert!(a > sent && b > a);
                prop_assert!(cal.is_working_day(a).unwrap());
                prop_assert_eq!(
                    cal.working_days_between(sent, a).unwrap(),
                    REMIND_EVERY_WORKING_DAYS * u32::try_from(n + 1).unwrap()
                );
            }
        }
    }
}
