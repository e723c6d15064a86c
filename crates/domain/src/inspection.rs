//! 监督检查 scored by 考核细则 (docs/design/supervision.md, stages 2 and 3): a set of criteria with
//! points and deduction rules, reused between years by copying; an inspection of chosen bodies
//! under one set; per body and criterion the points deducted (never more than the criterion's),
//! filled from the compliance monitor for criteria tied to one of its rules; findings that become
//! rectifications with an owner and a deadline, accepted or returned by the inspector.
//!
//! Points are kept in tenths (`25` is 2.5 points) so sums are exact.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::monitor::RuleKey;

/// At most this many criteria in a set.
pub const MAX_CRITERIA: usize = 200;

/// Tenths of a point.
pub type Tenths = i64;

/// "2.5" → 25; at most one decimal, not negative.
pub fn parse_points(s: &str) -> Option<Tenths> {
    let s = s.trim();
    if s.is_empty() || s.starts_with('-') {
        return None;
    }
    let (whole, frac) = match s.split_once('.') {
        Some((_, "")) => return None,
        Some((w, f)) => (w, f),
        None => (s, ""),
    };
    if frac.len() > 1 || !whole.chars().all(|c| c.is_ascii_digit()) || whole.is_empty() {
        return None;
    }
    if !frac.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let w: i64 = whole.parse().ok()?;
    let f: i64 = if frac.is_empty() {
        0
    } else {
        frac.parse().ok()?
    };
    w.checked_mul(10)?.checked_add(f)
}

/// 25 → "2.5", 30 → "3".
pub fn show_points(t: Tenths) -> String {
    if t % 10 == 0 {
        format!("{}", t / 10)
    } else {
        format!(
            "{}{}.{}",
            if t < 0 { "-" } else { "" },
            (t / 10).abs(),
            (t % 10).abs()
        )
    }
}

labelled!(
    /// How an inspection is carried out.
    InspectionKind {
        Online => "online", "网上检查",
        OnSite => "on_site", "实地检查",
    }
);

labelled!(
    /// The six kinds of supervision the source reports name.
    SupervisionKind {
        SelfCheck => "self", "自查",
        Congress => "congress", "人大监督",
        Discipline => "discipline", "纪检监督",
        Audit => "audit", "审计监督",
        Democratic => "democratic", "民主监督",
        Organisation => "organisation", "组织监督",
    }
);

labelled!(
    /// An inspection's state: scores are recorded while it runs and frozen once it is closed.
    InspectionStatus {
        Running => "running", "检查中",
        Closed => "closed", "已结束",
    }
);

labelled!(
    /// A rectification's state.
    RectificationStatus {
        Open => "open", "整改中",
        Submitted => "submitted", "待验收",
        Returned => "returned", "退回重改",
        Accepted => "accepted", "已验收",
    }
);

/// A criterion as entered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionInput {
    /// 考核项目 (e.g. 主动公开).
    pub area: String,
    /// 考核内容.
    pub text: String,
    /// Full points, e.g. "10" or "2.5".
    pub points: String,
    /// 扣分规则, in words (e.g. 每发现一条超期公开扣0.5分).
    pub deduction: String,
    /// A monitor rule key that fills this criterion, or empty.
    pub monitor_rule: String,
}

/// A checked criterion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub area: String,
    pub text: String,
    pub points: Tenths,
    pub deduction: String,
    pub monitor_rule: Option<RuleKey>,
}

impl CriterionInput {
    /// The criterion, or each field's problem in words.
    pub fn validate(&self) -> Result<Criterion, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let area = self.area.trim();
        let text = self.text.trim();
        if area.is_empty() || area.chars().count() > 50 {
            errors.push(("area", "请填写考核项目（不超过50个字）".to_string()));
        }
        if text.is_empty() || text.chars().count() > 500 {
            errors.push(("text", "请填写考核内容（不超过500个字）".to_string()));
        }
        let points = parse_points(&self.points).filter(|p| (5..=1000).contains(p));
        if points.is_none() {
            errors.push((
                "points",
                "分值应为0.5至100之间的数，最多一位小数".to_string(),
            ));
        }
        if self.deduction.trim().chars().count() > 500 {
            errors.push(("deduction", "扣分规则不超过500个字".to_string()));
        }
        let monitor_rule = if self.monitor_rule.trim().is_empty() {
            None
        } else {
            let r = RuleKey::parse(&self.monitor_rule);
            if r.is_none() {
                errors.push(("monitor_rule", "没有这项监测规则".to_string()));
            }
            r
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Criterion {
            area: area.to_string(),
            text: text.to_string(),
            points: points.unwrap_or(0),
            deduction: self.deduction.trim().to_string(),
            monitor_rule,
        })
    }
}

/// A deduction as entered for one body and criterion.
pub fn check_deduction(input: &str, points: Tenths) -> Result<Tenths, String> {
    let d = parse_points(input).ok_or_else(|| "扣分应为不小于0的数，最多一位小数".to_string())?;
    if d > points {
        return Err(format!("扣分不能超过该项分值{}分", show_points(points)));
    }
    Ok(d)
}

/// A criterion filled from the monitor: its points scaled by the monitor's score for the body
/// (100 keeps them all), rounded to the nearest half point; the deduction is what is left.
pub fn monitor_deduction(points: Tenths, monitor_score: u32) -> Tenths {
    // points × score / 100 in tenths, rounded to the nearest 5 tenths (half point), halves up.
    let kept = (points * i64::from(monitor_score.min(100)) + 250) / 500 * 5;
    (points - kept.min(points)).max(0)
}

/// A body's inspection score: each criterion's points less what was deducted.
pub fn body_score(criteria: &[(Tenths, Tenths)]) -> Tenths {
    criteria
        .iter()
        .map(|(points, deducted)| points - (*deducted).clamp(0, *points))
        .sum()
}

/// Why an inspection cannot be opened.
pub fn check_inspection(
    title: &str,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    bodies: usize,
    criteria: usize,
) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    let t = title.trim();
    if t.is_empty() || t.chars().count() > 100 {
        errors.push(("title", "请填写检查名称（不超过100个字）".to_string()));
    }
    match (from, to) {
        (Some(f), Some(t)) if f <= t => {}
        (Some(_), Some(_)) => errors.push(("to_on", "结束日期不能早于开始日期".to_string())),
        _ => errors.push(("from_on", "请按“年-月-日”填写检查期间".to_string())),
    }
    if bodies == 0 {
        errors.push(("bodies", "请至少选择一个被检查单位".to_string()));
    }
    if criteria == 0 {
        errors.push(("rules_id", "所选考核细则还没有考核内容".to_string()));
    }
    errors
}

/// A rectification's next state under an action, or why not.
pub fn rectify(
    status: RectificationStatus,
    action: RectifyAction,
) -> Result<RectificationStatus, &'static str> {
    use RectificationStatus::*;
    match (status, action) {
        (Open | Returned, RectifyAction::Submit) => Ok(Submitted),
        (Submitted, RectifyAction::Accept) => Ok(Accepted),
        (Submitted, RectifyAction::Return) => Ok(Returned),
        (Accepted, _) => Err("已验收的整改不能再改动"),
        (Submitted, RectifyAction::Submit) => Err("整改情况已提交，等待验收"),
        (Open | Returned, _) => Err("整改情况尚未提交，不能验收或退回"),
    }
}

/// What is done to a rectification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectifyAction {
    /// The owner submits evidence of completion.
    Submit,
    /// The inspector accepts it.
    Accept,
    /// The inspector returns it with a reason.
    Return,
}

/// Is a rectification overdue on `today`? (Its day itself is still in time; an accepted one
/// never is, and a submitted one waits on the inspector, not the owner.)
pub fn rectification_overdue(
    status: RectificationStatus,
    due_on: NaiveDate,
    today: NaiveDate,
) -> bool {
    matches!(
        status,
        RectificationStatus::Open | RectificationStatus::Returned
    ) && today > due_on
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn points_parse_and_show() {
        assert_eq!(parse_points("10"), Some(100));
        assert_eq!(parse_points("2.5"), Some(25));
        assert_eq!(parse_points(" 0.5 "), Some(5));
        for bad in ["", "-1", "1.25", "abc", ".5", "1.", "1,5"] {
            assert_eq!(parse_points(bad), None, "{bad}");
        }
        assert_eq!(show_points(25), "2.5");
        assert_eq!(show_points(30), "3");
        assert_eq!(show_points(0), "0");
    }

    #[test]
    fn criteria_are_checked_field_by_field() {
        let ok = CriterionInput {
            area: "主动公开".into(),
            text: "按时公开法定主动公开内容".into(),
            points: "10".into(),
            deduction: "每发现一条超期公开扣0.5分".into(),
            monitor_rule: "late_items".into(),
        };
        let c = ok.validate().unwrap_or_else(|_| panic!("valid"));
        assert_eq!((c.points, c.monitor_rule), (100, Some(RuleKey::LateItems)));
        let bad = CriterionInput {
            points: "100.5".into(),
            monitor_rule: "nothing".into(),
            area: String::new(),
            ..ok
        };
        let fields: Vec<&str> = bad
            .validate()
            .err()
            .unwrap_or_default()
            .iter()
            .map(|e| e.0)
            .collect();
        assert_eq!(fields, vec!["area", "points", "monitor_rule"]);
    }

    #[test]
    fn deductions_never_exceed_the_points() {
        assert_eq!(check_deduction("2", 50), Ok(20));
        assert_eq!(check_deduction("5", 50), Ok(50));
        assert!(check_deduction("5.5", 50).is_err_and(|e| e.contains("不能超过该项分值5分")));
        assert!(check_deduction("-1", 50).is_err());
        // The score clamps a stored deduction too.
        // 8 + 0 (the 8 deducted of 5 clamp at 5) + 5.
        assert_eq!(body_score(&[(100, 20), (50, 80), (50, 0)]), 130);
    }

    #[test]
    fn monitor_criteria_keep_their_share_of_the_score() {
        // 10 points at a monitor score of 88: 8.8 kept → 9 (nearest half point), 1 deducted.
        assert_eq!(monitor_deduction(100, 88), 10);
        // 10 points at 100: nothing deducted; at 0: all.
        assert_eq!(monitor_deduction(100, 100), 0);
        assert_eq!(monitor_deduction(100, 0), 100);
        // 5 points at 75: 3.75 kept → 4 (3.75 is nearer 4 than 3.5), 1 deducted.
        assert_eq!(monitor_deduction(50, 75), 10);
        // 5 points at 73: 3.65 → 3.5, 1.5 deducted.
        assert_eq!(monitor_deduction(50, 73), 15);
    }

    #[test]
    fn rectification_flow() {
        use RectificationStatus::*;
        assert_eq!(rectify(Open, RectifyAction::Submit), Ok(Submitted));
        assert_eq!(rectify(Submitted, RectifyAction::Return), Ok(Returned));
        assert_eq!(rectify(Returned, RectifyAction::Submit), Ok(Submitted));
        assert_eq!(rectify(Submitted, RectifyAction::Accept), Ok(Accepted));
        assert!(rectify(Accepted, RectifyAction::Submit).is_err());
        assert!(rectify(Open, RectifyAction::Accept).is_err());
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert!(!rectification_overdue(
            Open,
            d("2026-10-09"),
            d("2026-10-09")
        ));
        assert!(rectification_overdue(
            Open,
            d("2026-10-09"),
            d("2026-10-10")
        ));
        assert!(rectification_overdue(
            Returned,
            d("2026-10-09"),
            d("2026-10-10")
        ));
        assert!(!rectification_overdue(
            Submitted,
            d("2026-10-09"),
            d("2026-10-10")
        ));
        assert!(!rectification_overdue(
            Accepted,
            d("2026-10-09"),
            d("2026-12-10")
        ));
    }

    proptest! {
        #[test]
        fn points_round_trip(t in 0i64..100_000) {
            prop_assert_eq!(parse_points(&show_points(t)), Some(t));
        }

        #[test]
        fn monitor_deduction_is_bounded_and_monotone(points in 5i64..1000, s in 0u32..=100) {
            let d = monitor_deduction(points, s);
            prop_assert!((0..=points).contains(&d));
            prop_assert!(monitor_deduction(points, s.saturating_add(1).min(100)) <= d);
        }

        #[test]
        fn a_score_lies_between_zero_and_the_total(rows in proptest::collection::vec((0i64..200, -50i64..300), 0..30)) {
            let total: i64 = rows.iter().map(|r| r.0).sum();
            let s = body_score(&rows);
            prop_assert!((0..=total).contains(&s));
        }
    }
}
