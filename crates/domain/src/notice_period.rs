//! 公示: a published item with a notice period (in working or calendar days) and objections.
//! When the period ends the notice is 公示期满 — 无异议, 异议已处理 or still 异议处理中 — and the
//! decision it announced takes effect (docs/design/participation.md). Pure rules, Chinese
//! explanations; the store keeps the dates and the objections.

use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};

labelled!(
    /// What is being announced; each kind has its customary period.
    NoticeKind {
        Award => "award", "评优评先结果公示",
        Appointment => "appointment", "干部任前公示",
        Village => "village", "村务公开公示",
        Recruitment => "recruitment", "招录聘用公示",
        Other => "other", "其他公示",
    }
);

labelled!(
    /// How a period is counted.
    DayUnit {
        Working => "working", "个工作日",
        Calendar => "calendar", "天",
    }
);

labelled!(
    /// Whether objections hold back the decision until they are handled.
    ObjectionPolicy {
        Block => "block", "异议处理完毕前决定不生效",
        Record => "record", "异议仅记录，不影响决定生效",
    }
);

labelled!(
    /// The outcome of a notice whose period has ended.
    NoticeResult {
        NoObjection => "no_objection", "公示期满，无异议",
        Handled => "handled", "公示期满，异议已处理",
        Pending => "pending", "公示期满，异议处理中",
    }
);

/// The longest period a notice may have.
pub const MAX_DAYS: u32 = 60;
/// An objection's text, and how many links it may hold.
pub const MAX_OBJECTION_CHARS: usize = 2000;
pub const MAX_LINKS: usize = 3;

impl NoticeKind {
    /// The customary period of the kind.
    pub fn default_period(self) -> (u32, DayUnit) {
        match self {
            NoticeKind::Village | NoticeKind::Recruitment => (7, DayUnit::Calendar),
            _ => (5, DayUnit::Working),
        }
    }
}

/// The last day of a period of `days` starting on `start` (the start day counts).
pub fn period_end(
    cal: &Calendar,
    start: NaiveDate,
    days: u32,
    unit: DayUnit,
) -> Result<NaiveDate, CalendarError> {
    let days = days.max(1);
    match unit {
        DayUnit::Working => {
            // The N-th working day on or after the start day.
            let first = if cal.is_working_day(start)? {
                start
            } else {
                cal.add_working_days(start, 1)?
            };
            if days == 1 {
                Ok(first)
            } else {
                cal.add_working_days(first, days - 1)
            }
        }
        DayUnit::Calendar => {
            let mut end = start + Duration::days(i64::from(days) - 1);
            while !cal.is_working_day(end)? {
                end += Duration::days(1);
            }
            Ok(end)
        }
    }
}

/// Where a notice stands on `today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    NotStarted,
    Open,
    Ended,
}

pub fn phase(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Phase {
    if today < start {
        Phase::NotStarted
    } else if today <= end {
        Phase::Open
    } else {
        Phase::Ended
    }
}

/// The result once the period has ended, from the objections received in it: how many, how many
/// are not handled yet, and the day the last one was handled.
pub fn result_of(objections: usize, unhandled: usize) -> NoticeResult {
    if objections == 0 {
        NoticeResult::NoObjection
    } else if unhandled > 0 {
        NoticeResult::Pending
    } else {
        NoticeResult::Handled
    }
}

/// The day the announced decision takes effect, if it does: the day after the period, or (when
/// objections hold it back) the day the last one was handled if that is later.
pub fn effective_on(
    end: NaiveDate,
    result: NoticeResult,
    policy: ObjectionPolicy,
    last_handled: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let after = end + Duration::days(1);
    match (policy, result) {
        (ObjectionPolicy::Record, _) | (_, NoticeResult::NoObjection) => Some(after),
        (ObjectionPolicy::Block, NoticeResult::Handled) => {
            Some(last_handled.map_or(after, |d| d.max(after)))
        }
        (ObjectionPolicy::Block, NoticeResult::Pending) => None,
    }
}

/// "公示期：2026年6月3日至2026年6月9日（5个工作日）".
pub fn explain(start: NaiveDate, end: NaiveDate, days: u32, unit: DayUnit) -> String {
    format!(
        "公示期：{}至{}（{}{}）",
        start.format("%Y年%-m月%-d日"),
        end.format("%Y年%-m月%-d日"),
        days,
        unit.label()
    )
}

/// A notice period as set by staff, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPeriod {
    pub kind: NoticeKind,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub days: u32,
    pub unit: DayUnit,
    pub policy: ObjectionPolicy,
}

/// A period's start day as typed: empty means `earliest`; not before it (`earliest_is` names
/// that day in the message).
pub(crate) fn parse_start(
    start: &str,
    earliest: NaiveDate,
    earliest_is: &str,
) -> Result<NaiveDate, String> {
    if start.trim().is_empty() {
        return Ok(earliest);
    }
    match NaiveDate::parse_from_str(start.trim(), "%Y-%m-%d") {
        Err(_) => Err("开始日期格式应为 YYYY-MM-DD".into()),
        Ok(s) if s < earliest => Err(format!("开始日期不能早于{earliest}（{earliest_is}）")),
        Ok(s) => Ok(s),
    }
}

/// The period form: kind, start (`YYYY-MM-DD`, empty = `default_start`), days (empty = the kind's),
/// unit (empty = the kind's), policy. The start may not be before `default_start` (the day of
/// publication, or today for a draft).
pub fn check_period(
    cal: &Calendar,
    kind: &str,
    start: &str,
    days: &str,
    unit: &str,
    policy: &str,
    default_start: NaiveDate,
) -> Result<ValidPeriod, crate::body::FieldErrors> {
    let mut e: crate::body::FieldErrors = Vec::new();
    let kind = NoticeKind::parse(kind);
    if kind.is_none() {
        e.push(("kind", "请选择公示类别".into()));
    }
    let kind = kind.unwrap_or(NoticeKind::Other);
    let (dd, du) = kind.default_period();
    let start = parse_start(start, default_start, "信息发布之日")
        .map_err(|m| e.push(("start", m)))
        .ok();
    let days = if days.trim().is_empty() {
        Some(dd)
    } else {
        days.trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_DAYS).contains(d))
    };
    if days.is_none() {
        e.push(("days", format!("公示天数应为1至{MAX_DAYS}之间的整数")));
    }
    let unit = if unit.trim().is_empty() {
        Some(du)
    } else {
        DayUnit::parse(unit)
    };
    if unit.is_none() {
        e.push(("unit", "请选择按工作日或自然日计算".into()));
    }
    let policy = if policy.trim().is_empty() {
        Some(ObjectionPolicy::Block)
    } else {
        ObjectionPolicy::parse(policy)
    };
    if policy.is_none() {
        e.push(("policy", "请选择异议处理方式".into()));
    }
    let (Some(start), Some(days), Some(unit), Some(policy)) = (start, days, unit, policy) else {
        return Err(e);
    };
    let end = match period_end(cal, start, days, unit) {
        Ok(end) => end,
        Err(err) => {
            e.push(("days", err.to_string()));
            return Err(e);
        }
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(ValidPeriod {
        kind,
        start,
        end,
        days,
        unit,
        policy,
    })
}

/// An objection as typed by the public.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ObjectionInput {
    pub name: String,
    pub contact: String,
    pub text: String,
}

impl ObjectionInput {
    /// Name and contact are required (kept from the public), the text has a length and a link
    /// limit. Messages per field, in Chinese.
    pub fn validate(&self) -> Result<ObjectionInput, crate::body::FieldErrors> {
        let mut e: crate::body::FieldErrors = Vec::new();
        let name = self.name.trim();
        let contact = self.contact.trim();
        let text = self.text.trim();
        if name.is_empty() || name.chars().count() > 50 {
            e.push(("name", "请填写真实姓名（不超过50个字）".into()));
        }
        if contact.chars().count() < 5 || contact.chars().count() > 100 {
            e.push((
                "contact",
                "请填写联系电话或电子邮箱，以便反馈处理结果".into(),
            ));
        }
        if text.is_empty() {
            e.push(("text", "请填写异议内容和理由".into()));
        } else if text.chars().count() > MAX_OBJECTION_CHARS {
            e.push((
                "text",
                format!(
                    "异议内容不超过{MAX_OBJECTION_CHARS}字（现{}字）",
                    text.chars().count()
                ),
            ));
        } else if text.matches("http").count() > MAX_LINKS {
            e.push(("text", format!("异议内容中的链接不超过{MAX_LINKS}个")));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ObjectionInput {
            name: name.into(),
            contact: contact.into(),
            text: text.into(),
        })
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

    #[test]
    fn periods_end_on_the_right_day_with_holidays_and_tiaoxiu() {
        let cal = Calendar::builtin();
        for (start, days, unit, end) in [
            // Tue 2025-06-03 + 5 working days: 3, 4, 5, 6, 9 (6/7–6/8 weekend).
            ("2025-06-03", 5, DayUnit::Working, "2025-06-09"),
            // Thu 2025-09-25: 25, 26, 28 (Sunday 调休上班), 29, 30; 10/1–10/8 off.
            ("2025-09-25", 5, DayUnit::Working, "2025-09-30"),
            // Tue 2025-09-30: 30, then 10/9, 10/10, 10/11 (Saturday 调休), 10/13.
            ("2025-09-30", 5, DayUnit::Working, "2025-10-13"),
            // A start on a holiday counts from the next working day: 10/9 … 10/13.
            ("2025-10-03", 3, DayUnit::Working, "2025-10-11"),
            // 7 days from 2025-09-26: 10/2 is a holiday, so it ends on 10/9.
            ("2025-09-26", 7, DayUnit::Calendar, "2025-10-09"),
            ("2025-06-03", 7, DayUnit::Calendar, "2025-06-09"),
            // 2026 Spring Festival: 2/12, 2/13 and 2/14 (Saturday 调休上班) are working days.
            ("2026-02-12", 3, DayUnit::Working, "2026-02-14"),
            // … and 2/15–2/23 are off: the fourth is 2/24.
            ("2026-02-12", 4, DayUnit::Working, "2026-02-24"),
        ] {
            assert_eq!(
                period_end(&cal, d(start), days, unit).unwrap(),
                d(end),
                "{start} {days} {unit:?}"
            );
        }
        // A period into a year with no calendar loaded is refused.
        assert!(period_end(&cal, d("2026-12-28"), 10, DayUnit::Working).is_err());
    }

    #[test]
    fn results_and_the_day_the_decision_takes_effect() {
        let end = d("2025-06-09");
        assert_eq!(result_of(0, 0), NoticeResult::NoObjection);
        assert_eq!(result_of(2, 1), NoticeResult::Pending);
        assert_eq!(result_of(2, 0), NoticeResult::Handled);
        let block = ObjectionPolicy::Block;
        assert_eq!(
            effective_on(end, NoticeResult::NoObjection, block, None),
            Some(d("2025-06-10"))
        );
        assert_eq!(effective_on(end, NoticeResult::Pending, block, None), None);
        assert_eq!(
            effective_on(end, NoticeResult::Handled, block, Some(d("2025-06-16"))),
            Some(d("2025-06-16"))
        );
        assert_eq!(
            effective_on(end, NoticeResult::Handled, block, Some(d("2025-06-05"))),
            Some(d("2025-06-10"))
        );
        assert_eq!(
            effective_on(end, NoticeResult::Pending, ObjectionPolicy::Record, None),
            Some(d("2025-06-10"))
        );
        assert_eq!(
            phase(d("2025-06-03"), end, d("2025-06-02")),
            Phase::NotStarted
        );
        assert_eq!(phase(d("2025-06-03"), end, end), Phase::Open);
        assert_eq!(phase(d("2025-06-03"), end, d("2025-06-10")), Phase::Ended);
        assert_eq!(
            explain(d("2025-06-03"), end, 5, DayUnit::Working),
            "公示期：2025年6月3日至2025年6月9日（5个工作日）"
        );
    }

    #[test]
    fn the_period_form_and_the_objection_form_explain_what_to_fix() {
        let cal = Calendar::builtin();
        let today = d("2025-06-03");
        let v = check_period(&cal, "award", "", "", "", "", today).unwrap();
        assert_eq!(
            (v.days, v.unit, v.end),
            (5, DayUnit::Working, d("2025-06-09"))
        );
        let v = check_period(&cal, "village", "2025-06-04", "", "", "record", today).unwrap();
        assert_eq!(
            (v.days, v.unit, v.policy),
            (7, DayUnit::Calendar, ObjectionPolicy::Record)
        );
        let e = check_period(&cal, "", "2025-06-01", "0", "weeks", "", today).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["kind", "start", "days", "unit"]);
        let ok = ObjectionInput {
            name: " 王五 ".into(),
            contact: "13900001111".into(),
            text: "该同志去年有违纪记录。".into(),
        };
        assert_eq!(ok.validate().unwrap().name, "王五");
        let e = ObjectionInput {
            text: "http://a http://b http://c http://d".into(),
            ..Default::default()
        }
        .validate()
        .unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["name", "contact", "text"]);
        assert!(e[2].1.contains("链接"));
    }

    proptest! {
        /// A working-day period ends on a working day and holds exactly N working days; a
        /// calendar-day one is at least N days long and ends on a working day.
        #[test]
        fn periods_hold_their_days(offset in 0i64..700, days in 1u32..30) {
            let cal = Calendar::builtin();
            let start = d("2025-01-01") + Duration::days(offset);
            if let Ok(end) = period_end(&cal, start, days, DayUnit::Working) {
                prop_assert!(cal.is_working_day(end).unwrap());
                let mut n = 0;
                let mut day = start;
                while day <= end {
                    if cal.is_working_day(day).unwrap() { n += 1; }
                    day += Duration::days(1);
                }
                prop_assert_eq!(n, days);
            }
            if let Ok(end) = period_end(&cal, start, days, DayUnit::Calendar) {
                prop_assert!(cal.is_working_day(end).unwrap());
                prop_assert!(end >= start + Duration::days(i64::from(days) - 1));
            }
        }
    }
}
