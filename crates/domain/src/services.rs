//! 政务服务事项 and 收费目录: the kinds of items, their changes, the reform summary ("本年取消
//! 56 项，取消率 20.1%") and the fee figure of the annual report in 万元 (see
//! `docs/design/services.md`). Pure.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

labelled!(
    /// The kind of a service or power item (权责清单 类别).
    ServiceKind {
        License => "license", "行政许可",
        Penalty => "penalty", "行政处罚",
        Coercion => "coercion", "行政强制",
        Levy => "levy", "行政征收",
        Benefit => "benefit", "行政给付",
        Inspection => "inspection", "行政检查",
        Confirmation => "confirmation", "行政确认",
        Reward => "reward", "行政奖励",
        Ruling => "ruling", "行政裁决",
        Other => "other", "其他",
    }
);

labelled!(
    /// A change to an item, each decided by a document on a date.
    ChangeKind {
        Establish => "establish", "设立",
        Adjust => "adjust", "调整",
        Cancel => "cancel", "取消",
    }
);

labelled!(
    /// How an item was cancelled: only 取消 counts in the cancellation rate.
    CancelMode {
        Cancel => "cancel", "取消",
        Devolve => "devolve", "下放",
        Merge => "merge", "合并",
        Other => "other", "其他",
    }
);

/// One published change of one item, as the reform summary needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeFact {
    pub item_id: i64,
    pub change: ChangeKind,
    /// For a cancellation.
    pub mode: Option<CancelMode>,
    pub effective_on: NaiveDate,
}

/// The figures of one year's reform.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReformSummary {
    pub year: i32,
    /// 年初在册: items set up before 1 January and not cancelled before it.
    pub at_start: u32,
    /// 本年新设.
    pub established: u32,
    /// 本年调整 (items with at least one adjustment in the year).
    pub adjusted: u32,
    /// 本年取消 (mode 取消), of which `cancelled_of_start` were in force at the start.
    pub cancelled: u32,
    pub cancelled_of_start: u32,
    /// 下放, 合并 and other cancellations, listed apart.
    pub devolved: u32,
    pub merged: u32,
    pub other_removed: u32,
    /// 年末在册.
    pub at_end: u32,
}

impl ReformSummary {
    /// The cancellation rate in tenths of a percent, rounded half up (56 of 279 → 201), or
    /// `None` when nothing was in force at the start of the year.
    pub fn rate_tenths(&self) -> Option<u32> {
        rate_tenths(self.cancelled_of_start, self.at_start)
    }

    /// The sentence of a report: "本年取消 56 项，取消率 20.1%".
    pub fn sentence(&self) -> String {
        match self.rate_tenths() {
            Some(r) => format!(
                "本年取消 {} 项，取消率 {}.{}%",
                self.cancelled,
                r / 10,
                r % 10
            ),
            None => format!(
                "本年取消 {} 项（年初无在册事项，不计算取消率）",
                self.cancelled
            ),
        }
    }
}

/// `part / whole` in tenths of a percent, rounded half up in integers.
pub fn rate_tenths(part: u32, whole: u32) -> Option<u32> {
    if whole == 0 {
        return None;
    }
    let (p, w) = (u64::from(part), u64::from(whole));
    u32::try_from((2000 * p + w) / (2 * w)).ok()
}

/// The reform summary of `year` over the published changes of a set of items.
pub fn reform_summary(facts: &[ChangeFact], year: i32) -> ReformSummary {
    use std::collections::{BTreeMap, BTreeSet};
    let in_year = |d: NaiveDate| d.year() == year;
    let before = |d: NaiveDate| d.year() < year;
    let mut by_item: BTreeMap<i64, Vec<&ChangeFact>> = BTreeMap::new();
    for f in facts {
        by_item.entry(f.item_id).or_default().push(f);
    }
    let mut s = ReformSummary {
        year,
        at_start: 0,
        established: 0,
        adjusted: 0,
        cancelled: 0,
        cancelled_of_start: 0,
        devolved: 0,
        merged: 0,
        other_removed: 0,
        at_end: 0,
    };
    let mut adjusted = BTreeSet::new();
    for (id, changes) in &by_item {
        let set_up = changes
            .iter()
            .filter(|c| c.change == ChangeKind::Establish)
            .map(|c| c.effective_on)
            .min();
        let gone = changes
            .iter()
            .filter(|c| c.change == ChangeKind::Cancel)
            .map(|c| (c.effective_on, c.mode.unwrap_or(CancelMode::Cancel)))
            .min_by_key(|(d, _)| *d);
        let Some(set_up) = set_up else { continue };
        let at_start = before(set_up) && gone.is_none_or(|(d, _)| !before(d));
        if at_start {
            s.at_start += 1;
        }
        if in_year(set_up) {
            s.established += 1;
        }
        if changes
            .iter()
            .any(|c| c.change == ChangeKind::Adjust && in_year(c.effective_on))
        {
            adjusted.insert(*id);
        }
        match gone {
            Some((d, mode)) if in_year(d) => match mode {
                CancelMode::Cancel => {
                    s.cancelled += 1;
                    if at_start {
                        s.cancelled_of_start += 1;
                    }
                }
                CancelMode::Devolve => s.devolved += 1,
                CancelMode::Merge => s.merged += 1,
                CancelMode::Other => s.other_removed += 1,
            },
            _ => {}
        }
        let end = NaiveDate::from_ymd_opt(year, 12, 31);
        if end.is_some_and(|end| set_up <= end && gone.is_none_or(|(d, _)| d > end)) {
            s.at_end += 1;
        }
    }
    s.adjusted = u32::try_from(adjusted.len()).unwrap_or(u32::MAX);
    s
}

/// An amount in fen as 万元 to two decimals, rounded half up (123,456.78 元 → "12.35").
pub fn wan_yuan(fen: i64) -> String {
    let hundredths = (fen.max(0) + 5_000) / 10_000;
    format!("{}.{:02}", hundredths / 100, hundredths % 100)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn fact(item_id: i64, change: ChangeKind, mode: Option<CancelMode>, on: &str) -> ChangeFact {
        ChangeFact {
            item_id,
            change,
            mode,
            effective_on: d(on),
        }
    }

    #[test]
    fn the_reports_example_56_of_279() {
        assert_eq!(rate_tenths(56, 279), Some(201));
        let mut facts: Vec<ChangeFact> = (0..279)
            .map(|i| fact(i, ChangeKind::Establish, None, "2019-06-01"))
            .collect();
        for i in 0..56 {
            facts.push(fact(
                i,
                ChangeKind::Cancel,
                Some(CancelMode::Cancel),
                "2026-03-01",
            ));
        }
        let s = reform_summary(&facts, 2026);
        assert_eq!((s.at_start, s.cancelled, s.at_end), (279, 56, 223));
        assert_eq!(s.sentence(), "本年取消 56 项，取消率 20.1%");
    }

    #[test]
    fn what_counts_in_the_rate() {
        let facts = vec![
            // In force on 1 January, cancelled on 1 January: in the base and in the year.
            fact(1, ChangeKind::Establish, None, "2020-01-01"),
            fact(
                1,
                ChangeKind::Cancel,
                Some(CancelMode::Cancel),
                "2026-01-01",
            ),
            // Cancelled last year: not in the base.
            fact(2, ChangeKind::Establish, None, "2020-01-01"),
            fact(
                2,
                ChangeKind::Cancel,
                Some(CancelMode::Cancel),
                "2025-12-31",
            ),
            // Set up and cancelled within the year: counted as cancelled, not in the rate.
            fact(3, ChangeKind::Establish, None, "2026-02-01"),
            fact(
                3,
                ChangeKind::Cancel,
                Some(CancelMode::Cancel),
                "2026-09-01",
            ),
            // Devolved: listed apart, not a cancellation.
            fact(4, ChangeKind::Establish, None, "2021-05-01"),
            fact(
                4,
                ChangeKind::Cancel,
                Some(CancelMode::Devolve),
                "2026-05-01",
            ),
            // Adjusted twice: one adjusted item.
            fact(5, ChangeKind::Establish, None, "2021-05-01"),
            fact(5, ChangeKind::Adjust, None, "2026-04-01"),
            fact(5, ChangeKind::Adjust, None, "2026-08-01"),
        ];
        let s = reform_summary(&facts, 2026);
        assert_eq!(s.at_start, 3, "items 1, 4, 5");
        assert_eq!((s.cancelled, s.cancelled_of_start), (2, 1));
        assert_eq!((s.devolved, s.adjusted, s.established), (1, 1, 1));
        assert_eq!(s.rate_tenths(), Some(333));
        assert_eq!(s.at_end, 1, "item 5 alone");
        let none = reform_summary(&[], 2026);
        assert!(none.sentence().contains("不计算取消率"));
    }

    #[test]
    fn fees_in_wan_yuan() {
        assert_eq!(wan_yuan(12_345_678), "12.35");
        assert_eq!(wan_yuan(12_344_999), "12.34");
        assert_eq!(wan_yuan(0), "0.00");
        assert_eq!(wan_yuan(5_000), "0.01");
        assert_eq!(wan_yuan(4_999), "0.00");
    }

    proptest! {
        /// Rounding half up in integers agrees with the exact ratio to within half a tenth.
        #[test]
        fn rate_rounds_half_up(whole in 1u32..100_000, frac in 0.0f64..=1.0) {
            let part = (f64::from(whole) * frac).floor() as u32;
            let r = rate_tenths(part, whole).unwrap();
            let exact = 1000.0 * f64::from(part) / f64::from(whole);
            prop_assert!((f64::from(r) - exact).abs() <= 0.5 + 1e-9);
            prop_assert!(f64::from(r) >= exact - 0.5 - 1e-9);
        }

        /// 年末在册 = 年初在册 + 本年新设 − every removal of the year's base and new items.
        #[test]
        fn items_balance_over_the_year(n in 1usize..60, seed in 0u64..1000) {
            let mut facts = Vec::new();
            let days = ["2024-03-01", "2025-12-31", "2026-01-01", "2026-06-30", "2026-12-31", "2027-01-01"];
            let modes = [CancelMode::Cancel, CancelMode::Devolve, CancelMode::Merge, CancelMode::Other];
            for i in 0..n {
                let k = (seed as usize).wrapping_mul(31).wrapping_add(i * 17);
                let set = k % 5;
                facts.push(fact(i as i64, ChangeKind::Establish, None, days[set]));
                if !k.is_multiple_of(3) {
                    let gone = set + 1 + (k / 7) % (days.len() - set - 1).max(1);
                    if gone < days.len() {
                        facts.push(fact(i as i64, ChangeKind::Cancel, Some(modes[k % 4]), days[gone]));
                    }
                }
            }
            let s = reform_summary(&facts, 2026);
            let removed = s.cancelled + s.devolved + s.merged + s.other_removed;
            prop_assert_eq!(s.at_end + removed, s.at_start + s.established);
        }
    }
}
