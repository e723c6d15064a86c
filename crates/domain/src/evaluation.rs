//! 年度评比表彰 (docs/design/supervision.md, stage 5): a body's year-end score combines the
//! compliance monitor's score for the year with its inspections' results (the share of the full
//! points it kept, averaged over the year's inspections), half and half; without an inspection the
//! monitor's score stands alone. Scores are in tenths of a point; equal scores share a rank.

use crate::inspection::Tenths;

/// The year-end score in tenths (0–1000).
pub fn combined(monitor_score: u32, inspections: &[(Tenths, Tenths)]) -> Tenths {
    let monitor = i64::from(monitor_score.min(100)) * 10;
    let kept: Vec<Tenths> = inspections
        .iter()
        .filter(|(_, total)| *total > 0)
        .map(|(score, total)| (*score).clamp(0, *total) * 1000 / total)
        .collect();
    if kept.is_empty() {
        return monitor;
    }
    let avg = kept.iter().sum::<i64>() / kept.len() as i64;
    (monitor + avg + 1) / 2
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn worked() {
        // Monitor 88; one inspection 23 of 25 points (92%): (880 + 920) / 2 = 900 → 90.0.
        assert_eq!(combined(88, &[(230, 250)]), 900);
        // No inspection: the monitor alone.
        assert_eq!(combined(75, &[]), 750);
        // Two inspections, 80% and 100%: 90% average; monitor 100 → 95.0.
        assert_eq!(combined(100, &[(80, 100), (250, 250)]), 950);
    }

    proptest! {
        #[test]
        fn bounded(m in 0u32..=100, rows in proptest::collection::vec((0i64..300, 1i64..300), 0..5)) {
            let c = combined(m, &rows);
            prop_assert!((0..=1000).contains(&c));
        }
    }
}
