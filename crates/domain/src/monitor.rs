//! The compliance monitor (合规监测, docs/design/supervision.md, stage 1): the rules a supervision
//! group checks a body against, computed from the records the other slices keep. Each rule is a
//! key, the wording shown beside every number, the law or local rule behind it, and how much one
//! offence takes from the score. The store counts offences per body with one query per rule; the
//! rules here fix the window each rule looks at, the score, the light and the ranking.

use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::access::{CASE_READERS, ITEM_READERS, LETTER_READERS, Permission};
use crate::calendar::{Calendar, CalendarError};

/// The longest range the monitor computes at once.
pub const MAX_RANGE_DAYS: i64 = 366 * 5;

/// A category whose latest publication is older than this many months is 长期未更新.
pub const STALE_MONTHS: u32 = 6;

/// A mailbox with letters but no reply in this many months is 长期未回应.
pub const SILENT_MONTHS: u32 = 2;

/// A circular's recipient still unread this many working days after it was sent is overdue
/// (the reminders run every 2 working days, three times: after that only people can help).
pub const UNREAD_WORKING_DAYS: u32 = 6;

labelled!(
    /// A monitor rule.
    RuleKey {
        LateItems => "late_items", "主动公开超期",
        IdleRows => "idle_rows", "标准目录事项未按周期更新",
        StaleCategories => "stale_categories", "栏目长期未更新",
        LateApplications => "late_applications", "依申请公开超期答复",
        LateLetters => "late_letters", "信箱来信超期办理",
        SilentMailboxes => "silent_mailboxes", "信箱长期未回应",
        OpenNotices => "open_notices", "公示期满未记录结果",
        UnreadCirculars => "unread_circulars", "会议纪要、内部通知超期未阅",
        OverdueSteps => "overdue_steps", "重点工作环节超期",
        OverdueRectifications => "overdue_rectifications", "整改超期",
    }
);

/// A rule: what it counts, why, and what one offence costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub key: RuleKey,
    /// What one counted record is, in words, with the law or rule behind it.
    pub basis: &'static str,
    /// What the window means for this rule.
    pub window: &'static str,
    /// Points taken per offence.
    pub weight: u32,
    /// At most this many offences are counted against the score (the count itself is not cut).
    pub cap: u32,
    /// Who may open the list of the offending records (the count is shown to every monitor
    /// reader): the readers of those records elsewhere in the back office.
    pub readers: &'static [Permission],
}

impl Rule {
    pub fn max_deduction(&self) -> u32 {
        self.weight * self.cap
    }
}

/// Every rule, in the order the monitor shows them.
pub const RULES: &[Rule] = &[
    Rule {
        key: RuleKey::LateItems,
        basis: "《政府信息公开条例》第二十六条：属于主动公开范围的政府信息，应当自该信息形成或者变更之日起20个工作日内及时公开（标准目录另有时限的从其规定）。计：超过期限才首次公开的信息，以及已过期限仍未公开的信息。",
        window: "首次公开日或公开期限在所选期间内",
        weight: 1,
        cap: 10,
        readers: ITEM_READERS,
    },
    Rule {
        key: RuleKey::IdleRows,
        basis: "标准目录规定按月、季度、半年或年度更新的事项，对应栏目在一个周期内没有新公开的信息。",
        window: "截至所选期间最后一天",
        weight: 2,
        cap: 5,
        readers: ITEM_READERS,
    },
    Rule {
        key: RuleKey::StaleCategories,
        basis: "政府网站考核要求：已有内容的公开栏目超过6个月未更新。",
        window: "截至所选期间最后一天",
        weight: 2,
        cap: 5,
        readers: ITEM_READERS,
    },
    Rule {
        key: RuleKey::LateApplications,
        basis: "《政府信息公开条例》第三十三条：自收到申请之日起20个工作日内答复，延长不超过20个工作日（补正、征求意见、缴费期间不计算在内）。计：超过答复期限才答复的申请，以及已过期限仍在办理的申请。",
        window: "答复期限在所选期间内",
        weight: 3,
        cap: 5,
        readers: CASE_READERS,
    },
    Rule {
        key: RuleKey::LateLetters,
        basis: "信箱办理时限（各信箱设定，默认15个工作日；信访类按《信访工作条例》自然日计算）。计：超过时限才答复的来信，以及已过时限仍在办理的来信（举报件由纪检监督另行督办，不在此计）。",
        window: "办理期限在所选期间内",
        weight: 2,
        cap: 5,
        readers: LETTER_READERS,
    },
    Rule {
        key: RuleKey::SilentMailboxes,
        basis: "政府网站考核要求：互动信箱在最近2个月内有来信或有未办结来信，却没有任何答复。",
        window: "所选期间最后一天之前的2个月",
        weight: 5,
        cap: 2,
        readers: LETTER_READERS,
    },
    Rule {
        key: RuleKey::OpenNotices,
        basis: "公示期满后应当记录公示结果（无异议、异议成立或不成立）并据此生效或调整。计：公示期已结束而未记录结果的公示。",
        window: "公示期结束日在所选期间内",
        weight: 2,
        cap: 5,
        readers: ITEM_READERS,
    },
    Rule {
        key: RuleKey::UnreadCirculars,
        basis: "会议纪要、内部通知发送后每2个工作日提醒一次，共提醒3次。计：发送6个工作日后仍未阅读的接收人（按接收人所在单位计）。",
        window: "发送日在所选期间内",
        weight: 1,
        cap: 5,
        readers: &[Permission::Supervise],
    },
    Rule {
        key: RuleKey::OverdueSteps,
        basis: "重点工作、承诺事项的各环节应在期限内完成。计：已过期限仍未完成的环节（按环节责任单位计）。",
        window: "环节期限在所选期间内",
        weight: 2,
        cap: 5,
        readers: ITEM_READERS,
    },
    Rule {
        key: RuleKey::OverdueRectifications,
        basis: "监督检查发现的问题应在限期内整改到位。计：已过整改期限仍未提交整改情况（或被退回后未重新提交）的整改事项（按被检查单位计）。",
        window: "整改期限在所选期间内",
        weight: 2,
        cap: 5,
        readers: ITEM_READERS,
    },
];

/// The rule of `key`.
pub fn rule(key: RuleKey) -> &'static Rule {
    RULES.iter().find(|r| r.key == key).unwrap_or(&RULES[0])
}

/// Who may see the monitor's figures for a body: the supervision roles, its leaders, and those
/// who write its items.
pub const MONITOR_READERS: &[Permission] = &[
    Permission::Supervise,
    Permission::ApproveItems,
    Permission::ApproveCases,
    Permission::EditItems,
];

/// Offences of one body, one count per rule in the order of [`RULES`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts(pub Vec<u64>);

impl Counts {
    pub fn zero() -> Counts {
        Counts(vec![0; RULES.len()])
    }

    /// The count of the `i`-th rule of [`RULES`].
    /// (By reference: templates pass their loop index so.)
    pub fn at(&self, i: &usize) -> u64 {
        self.0.get(*i).copied().unwrap_or(0)
    }

    pub fn get(&self, key: RuleKey) -> u64 {
        RULES
            .iter()
            .position(|r| r.key == key)
            .and_then(|i| self.0.get(i).copied())
            .unwrap_or(0)
    }

    pub fn add(&mut self, key: RuleKey, n: u64) {
        if self.0.len() < RULES.len() {
            self.0.resize(RULES.len(), 0);
        }
        if let Some(i) = RULES.iter().position(|r| r.key == key) {
            self.0[i] += n;
        }
    }

    pub fn add_all(&mut self, other: &Counts) {
        for (i, r) in RULES.iter().enumerate() {
            self.add(r.key, other.0.get(i).copied().unwrap_or(0));
        }
    }

    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }
}

/// The points one rule takes for `count` offences.
pub fn deduction(rule: &Rule, count: u64) -> u32 {
    rule.weight * count.min(u64::from(rule.cap)) as u32
}

/// One rule's own score out of 100: the share of its largest deduction that `count` leaves (a
/// criterion of a 考核细则 tied to the rule keeps its points in this share).
pub fn rule_score(rule: &Rule, count: u64) -> u32 {
    let max = rule.max_deduction().max(1);
    100 - 100 * deduction(rule, count).min(max) / max
}

/// 100 minus every rule's deduction, never below 0.
pub fn score(counts: &Counts) -> u32 {
    let taken: u32 = RULES.iter().map(|r| deduction(r, counts.get(r.key))).sum();
    100u32.saturating_sub(taken)
}

labelled!(
    /// The traffic light of a score, always shown with its words.
    Light {
        Green => "green", "绿灯（良好）",
        Yellow => "yellow", "黄灯（需关注）",
        Red => "red", "红灯（需整改）",
    }
);

/// Green at 90 and above, yellow at 75 and above, red below.
pub fn light(score: u32) -> Light {
    if score >= 90 {
        Light::Green
    } else if score >= 75 {
        Light::Yellow
    } else {
        Light::Red
    }
}

/// Ranks of `scores` (higher is better): equal scores share a rank, the next rank skips
/// (competition ranking: 100, 95, 95, 90 → 1, 2, 2, 4).
pub fn ranks(scores: &[u32]) -> Vec<usize> {
    scores
        .iter()
        .map(|s| 1 + scores.iter().filter(|o| *o > s).count())
        .collect()
}

/// Why a range is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowError {
    #[error("开始日期不能晚于结束日期")]
    Reversed,
    #[error("查询期间不能超过5年")]
    TooLong,
    #[error("开始日期不能晚于今天")]
    Future,
}

/// The range the monitor looks at and the day its state-based rules are judged on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The last day judged: `to`, or today when `to` lies in the future. A record still open is
    /// overdue when its deadline lies before this day.
    pub asof: NaiveDate,
}

impl Window {
    pub fn new(from: NaiveDate, to: NaiveDate, today: NaiveDate) -> Result<Window, WindowError> {
        if from > to {
            return Err(WindowError::Reversed);
        }
        if (to - from).num_days() > MAX_RANGE_DAYS {
            return Err(WindowError::TooLong);
        }
        if from > today {
            return Err(WindowError::Future);
        }
        Ok(Window {
            from,
            to,
            asof: to.min(today),
        })
    }

    /// This year up to today.
    pub fn year_to_date(today: NaiveDate) -> Window {
        let from = NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today);
        Window {
            from,
            to: today,
            asof: today,
        }
    }

    /// A category whose latest publication lies before this day is stale.
    pub fn stale_before(&self) -> NaiveDate {
        months_before(self.asof, STALE_MONTHS)
    }

    /// A mailbox is judged on the letters and replies after this day (exclusive) up to `asof`.
    pub fn silent_since(&self) -> NaiveDate {
        months_before(self.asof, SILENT_MONTHS)
    }

    /// The last sending day whose unread recipients are overdue on `asof`: the latest day `d`
    /// with `d` + 6 working days before `asof`.
    pub fn unread_sent_by(&self, cal: &Calendar) -> Result<NaiveDate, CalendarError> {
        let mut d = self.asof;
        loop {
            d = d.pred_opt().unwrap_or(NaiveDate::MIN);
            if cal.add_working_days(d, UNREAD_WORKING_DAYS)? < self.asof {
                return Ok(d);
            }
        }
    }
}

/// The same day `n` months earlier (the month's last day where it is shorter).
pub fn months_before(d: NaiveDate, n: u32) -> NaiveDate {
    d.checked_sub_months(Months::new(n))
        .unwrap_or(NaiveDate::MIN)
}

labelled!(
    /// How often a 标准目录 row expects new information.
    Cycle {
        Monthly => "monthly", "每月",
        Quarterly => "quarterly", "每季度",
        HalfYearly => "half_yearly", "每半年",
        Yearly => "yearly", "每年",
    }
);

impl Cycle {
    pub fn months(self) -> u32 {
        match self {
            Cycle::Monthly => 1,
            Cycle::Quarterly => 3,
            Cycle::HalfYearly => 6,
            Cycle::Yearly => 12,
        }
    }

    /// Read the cycle from a row's 公开时限 text: "每季度结束后15日内" is quarterly, "每年1月31日前"
    /// yearly, "每月10日前" monthly; a limit counted from an event ("信息形成之日起20个工作日内")
    /// has no cycle.
    pub fn from_time_limit(text: &str) -> Option<Cycle> {
        let has = |words: &[&str]| words.iter().any(|w| text.contains(w));
        if has(&["季度", "每季", "按季"]) {
            Some(Cycle::Quarterly)
        } else if has(&["半年"]) {
            Some(Cycle::HalfYearly)
        } else if has(&["每年", "年度", "按年", "全年"]) {
            Some(Cycle::Yearly)
        } else if has(&["每月", "月度", "按月"]) {
            Some(Cycle::Monthly)
        } else {
            None
        }
    }

    /// A row of this cycle is idle on `asof` when nothing was published after this day.
    pub fn idle_unless_after(self, asof: NaiveDate) -> NaiveDate {
        months_before(asof, self.months())
    }
}

/// One body's line in the monitor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyLine {
    pub body_id: i64,
    pub counts: Counts,
    pub score: u32,
    pub light: Light,
    pub rank: usize,
}

/// Score, light and rank every body (given as (body, counts) in display order); the result is
/// ranked best first, ties in the order given.
pub fn rank_bodies(bodies: Vec<(i64, Counts)>) -> Vec<BodyLine> {
    let scores: Vec<u32> = bodies.iter().map(|(_, c)| score(c)).collect();
    let rk = ranks(&scores);
    let mut lines: Vec<BodyLine> = bodies
        .into_iter()
        .zip(scores.iter().zip(rk))
        .map(|((body_id, counts), (s, rank))| BodyLine {
            body_id,
            counts,
            score: *s,
            light: light(*s),
            rank,
        })
        .collect();
    lines.sort_by_key(|l| l.rank);
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
    }

    #[test]
    fn every_rule_has_a_basis_and_a_bounded_deduction() {
        assert_eq!(RULES.len(), RuleKey::ALL.len());
        for k in RuleKey::ALL {
            let r = rule(*k);
            assert_eq!(r.key, *k);
            assert!(!r.basis.is_empty() && !r.window.is_empty());
        }
        // Every rule at its cap together still leaves the score at 0 or above, and no single
        // rule can take more than a quarter of it.
        let max: u32 = RULES.iter().map(Rule::max_deduction).sum();
        assert!(max <= 100, "{max}");
        assert!(RULES.iter().all(|r| r.max_deduction() <= 25));
    }

    #[test]
    fn worked_score() {
        // 3 late items (−3), 1 late application (−3), 7 late letters (capped at 5: −10).
        let mut c = Counts::zero();
        c.add(RuleKey::LateItems, 3);
        c.add(RuleKey::LateApplications, 1);
        c.add(RuleKey::LateLetters, 7);
        assert_eq!(score(&c), 84);
        assert_eq!(light(84), Light::Yellow);
        assert_eq!(c.get(RuleKey::LateLetters), 7, "the count is not cut");
        assert_eq!(score(&Counts::zero()), 100);
        assert_eq!(light(100), Light::Green);
        assert_eq!(light(90), Light::Green);
        assert_eq!(light(89), Light::Yellow);
        assert_eq!(light(75), Light::Yellow);
        assert_eq!(light(74), Light::Red);
        // Two silent mailboxes take 10 points; a third takes nothing more.
        let mut m = Counts::zero();
        m.add(RuleKey::SilentMailboxes, 3);
        assert_eq!(score(&m), 90);
    }

    #[test]
    fn a_rule_scores_its_own_share() {
        let late = rule(RuleKey::LateItems);
        assert_eq!(rule_score(late, 0), 100);
        assert_eq!(rule_score(late, 3), 70);
        assert_eq!(rule_score(late, 10), 0);
        assert_eq!(rule_score(late, 50), 0);
        let apps = rule(RuleKey::LateApplications);
        assert_eq!(rule_score(apps, 2), 60);
    }

    #[test]
    fn ties_share_a_rank() {
        assert_eq!(ranks(&[100, 95, 95, 90]), vec![1, 2, 2, 4]);
        assert_eq!(ranks(&[70, 100, 70]), vec![2, 1, 2]);
        let mut a = Counts::zero();
        a.add(RuleKey::LateItems, 2);
        let lines = rank_bodies(vec![(1, a.clone()), (2, Counts::zero()), (3, a)]);
        let order: Vec<(i64, usize)> = lines.iter().map(|l| (l.body_id, l.rank)).collect();
        assert_eq!(order, vec![(2, 1), (1, 2), (3, 2)]);
    }

    #[test]
    fn windows() {
        let w = Window::new(d("2026-01-01"), d("2026-12-31"), d("2026-08-31"))
            .unwrap_or_else(|_| Window::year_to_date(d("2000-01-01")));
        assert_eq!(w.asof, d("2026-08-31"));
        assert_eq!(w.stale_before(), d("2026-02-28"));
        assert_eq!(w.silent_since(), d("2026-06-30"));
        assert_eq!(
            Window::new(d("2026-02-01"), d("2026-01-01"), d("2026-08-31")),
            Err(WindowError::Reversed)
        );
        assert_eq!(
            Window::new(d("2020-01-01"), d("2026-01-01"), d("2026-08-31")),
            Err(WindowError::TooLong)
        );
        assert_eq!(
            Window::new(d("2026-09-01"), d("2026-09-30"), d("2026-08-31")),
            Err(WindowError::Future)
        );
        let y = Window::year_to_date(d("2026-03-15"));
        assert_eq!(
            (y.from, y.to, y.asof),
            (d("2026-01-01"), d("2026-03-15"), d("2026-03-15"))
        );
    }

    #[test]
    fn unread_cutoff_counts_working_days_over_holidays() {
        let cal = Calendar::builtin();
        // Judged on Friday 2026-10-09. Off: 09-25..09-27 (中秋) and 10-01..10-07 (国庆); Saturday
        // 10-10 is a working day (调休). Sent Thursday 09-24: 09-28, 29, 30, 10-08, 09, 10 make 6,
        // due on 10-10, not yet overdue; sent Wednesday 09-23: due 10-09, still in time; sent
        // Tuesday 09-22: due 10-08, overdue.
        let w = Window {
            from: d("2026-09-01"),
            to: d("2026-10-09"),
            asof: d("2026-10-09"),
        };
        assert_eq!(
            cal.add_working_days(d("2026-09-24"), 6).ok(),
            Some(d("2026-10-10"))
        );
        assert_eq!(
            cal.add_working_days(d("2026-09-23"), 6).ok(),
            Some(d("2026-10-09"))
        );
        assert_eq!(
            cal.add_working_days(d("2026-09-22"), 6).ok(),
            Some(d("2026-10-08"))
        );
        assert_eq!(w.unread_sent_by(&cal).ok(), Some(d("2026-09-22")));
        // An ordinary week: judged on Friday 2026-11-20, a circular of Wednesday 11-11 is due by
        // Thursday 11-19 and overdue; one of Thursday 11-12 (due Friday 11-20) is not.
        let w = Window {
            from: d("2026-11-01"),
            to: d("2026-11-20"),
            asof: d("2026-11-20"),
        };
        assert_eq!(w.unread_sent_by(&cal).ok(), Some(d("2026-11-11")));
        // A year the calendar does not hold is refused, not guessed.
        let w = Window {
            from: d("2040-01-01"),
            to: d("2040-03-01"),
            asof: d("2040-03-01"),
        };
        assert!(w.unread_sent_by(&cal).is_err());
    }

    #[test]
    fn cycles_from_time_limits() {
        for (text, want) in [
            ("每季度结束后15日内", Some(Cycle::Quarterly)),
            ("按季度更新", Some(Cycle::Quarterly)),
            ("每半年公开一次", Some(Cycle::HalfYearly)),
            ("每年1月31日前", Some(Cycle::Yearly)),
            ("年度终了后3个月内", Some(Cycle::Yearly)),
            ("每月10日前", Some(Cycle::Monthly)),
            ("信息形成（或变更）之日起20个工作日内", None),
            ("", None),
        ] {
            assert_eq!(Cycle::from_time_limit(text), want, "{text}");
        }
        assert_eq!(
            Cycle::Quarterly.idle_unless_after(d("2026-05-31")),
            d("2026-02-28")
        );
    }

    proptest! {
        #[test]
        fn score_is_monotone_and_bounded(a in proptest::collection::vec(0u64..30, RULES.len()), i in 0usize..9, extra in 1u64..5) {
            let c = Counts(a.clone());
            let s = score(&c);
            prop_assert!(s <= 100);
            let mut more = Counts(a);
            more.add(RULES[i % RULES.len()].key, extra);
            prop_assert!(score(&more) <= s, "one more offence never raises the score");
        }

        #[test]
        fn ranks_follow_scores(scores in proptest::collection::vec(0u32..=100, 1..40)) {
            let r = ranks(&scores);
            for i in 0..scores.len() {
                for j in 0..scores.len() {
                    if scores[i] > scores[j] { prop_assert!(r[i] < r[j]); }
                    if scores[i] == scores[j] { prop_assert_eq!(r[i], r[j]); }
                }
            }
            prop_assert!(r.contains(&1));
        }

        #[test]
        fn unread_cutoff_is_the_latest_overdue_day(days in 0i64..330) {
            let cal = Calendar::builtin();
            let asof = d("2025-01-20") + chrono::Duration::days(days);
            let w = Window { from: asof, to: asof, asof };
            let by = w.unread_sent_by(&cal).unwrap_or(NaiveDate::MAX);
            prop_assert!(cal.add_working_days(by, UNREAD_WORKING_DAYS).unwrap_or(NaiveDate::MAX) < asof);
            let next = by.succ_opt().unwrap_or(NaiveDate::MAX);
            prop_assert!(cal.add_working_days(next, UNREAD_WORKING_DAYS).unwrap_or(NaiveDate::MIN) >= asof);
        }
    }
}
