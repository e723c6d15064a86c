//! Dashboards (docs/design/supervision.md, stage 5): the charts a body's year is drawn in, built
//! from counted rows. A [`Chart`] holds the numbers once; the SVG (`gongkai_reports::svg::chart`)
//! and the table beside it (`Chart::rows`) are both drawn from it, so they cannot disagree.

use chrono::NaiveDate;

use crate::calendar::Calendar;
use crate::letters::Rating;

/// The charts a dashboard can show, in the order it shows them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChartKey {
    Publications,
    OnTime,
    Outcomes,
    ResponseTimes,
    Satisfaction,
}

impl ChartKey {
    pub const ALL: [ChartKey; 5] = [
        ChartKey::Publications,
        ChartKey::OnTime,
        ChartKey::Outcomes,
        ChartKey::ResponseTimes,
        ChartKey::Satisfaction,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ChartKey::Publications => "publications",
            ChartKey::OnTime => "on_time",
            ChartKey::Outcomes => "outcomes",
            ChartKey::ResponseTimes => "response_times",
            ChartKey::Satisfaction => "satisfaction",
        }
    }

    pub fn parse(s: &str) -> Option<ChartKey> {
        ChartKey::ALL.into_iter().find(|k| k.key() == s)
    }

    pub fn title(self) -> &'static str {
        match self {
            ChartKey::Publications => "各月主动公开信息数（按栏目）",
            ChartKey::OnTime => "各月按时答复率",
            ChartKey::Outcomes => "依申请公开办理结果",
            ChartKey::ResponseTimes => "信箱来信答复用时",
            ChartKey::Satisfaction => "信箱来信满意度评价",
        }
    }

    /// What is counted, in words, under the chart.
    pub fn about(self) -> &'static str {
        match self {
            ChartKey::Publications => {
                "按首次发布日期统计公开的信息（不含对内公开），条数最多的五个栏目分列，其余合为“其他”。"
            }
            ChartKey::OnTime => {
                "当月答复的政府信息公开申请和信箱来信中，在法定或承诺期限内答复的比例；当月没有答复的不计比例。举报不在统计之列。"
            }
            ChartKey::Outcomes => {
                "按答复日期统计当年办结的政府信息公开申请，分类与年度报告表三一致。"
            }
            ChartKey::ResponseTimes => {
                "当年答复的信箱来信（不含举报），从收到到答复经过的工作日数，按工作日历计算。"
            }
            ChartKey::Satisfaction => "来信人对当年答复所作的评价，按答复月份统计；未评价的不计。",
        }
    }
}

/// How a chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChartKind {
    /// Bars, one per label, the series stacked in each.
    Stacked,
    /// Bars, one group per label, a bar per series side by side.
    Bars,
    /// A line per series over the labels; gaps where a value is missing.
    Line,
}

/// One series: its name and a value per label (None: nothing to show, e.g. a rate of nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

/// A chart's numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub key: ChartKey,
    pub kind: ChartKind,
    /// The unit of every value: 条, 件, %.
    pub unit: &'static str,
    /// What the labels are (the table's first column heading).
    pub label_head: &'static str,
    pub labels: Vec<String>,
    pub series: Vec<Series>,
}

/// A value as the table and the chart's tooltips write it: counts whole, rates with one
/// decimal, "—" for nothing.
pub fn show(v: Option<f64>, unit: &str) -> String {
    // An empty sum is -0.0; it is written as 0.
    match v.map(|x| x + 0.0) {
        None => "—".into(),
        Some(x) if unit == "%" => format!("{x:.1}"),
        Some(x) => format!("{x:.0}"),
    }
}

impl Chart {
    pub fn title(&self) -> &'static str {
        self.key.title()
    }

    /// Nothing to draw: every value missing, or (for counts) zero. A rate of 0% is something.
    pub fn is_empty(&self) -> bool {
        let rate = self.unit == "%";
        self.series
            .iter()
            .flat_map(|s| &s.values)
            .all(|v| v.is_none_or(|x| x == 0.0 && !rate))
    }

    /// The table: one row per label, one cell per series, as [`show`] writes them; a stacked
    /// chart adds a 合计 column.
    pub fn rows(&self) -> Vec<(String, Vec<String>)> {
        self.labels
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let mut cells: Vec<String> = self
                    .series
                    .iter()
                    .map(|s| show(s.values.get(i).copied().flatten(), self.unit))
                    .collect();
                if self.kind == ChartKind::Stacked {
                    cells.push(show(Some(self.stack_total(i)), self.unit));
                }
                (l.clone(), cells)
            })
            .collect()
    }

    /// The table's column headings after the label column.
    pub fn heads(&self) -> Vec<String> {
        let mut h: Vec<String> = self
            .series
            .iter()
            .map(|s| format!("{}（{}）", s.name, self.unit))
            .collect();
        if self.kind == ChartKind::Stacked {
            h.push(format!("合计（{}）", self.unit));
        }
        h
    }

    /// The sum of label `i`'s values over the series.
    pub fn stack_total(&self, i: usize) -> f64 {
        self.series
            .iter()
            .filter_map(|s| s.values.get(i).copied().flatten())
            .sum()
    }

    /// The table as CSV (UTF-8 with a byte-order mark, so spreadsheet programs read the Chinese).
    pub fn csv(&self) -> String {
        let field = |s: &str| {
            if s.contains([',', '"', '\n']) {
                format!("\"{}\"", s.replace('"', "\"\""))
            } else {
                s.to_string()
            }
        };
        let mut out = String::from("\u{feff}");
        let mut head = vec![field(self.label_head)];
        head.extend(self.heads().iter().map(|h| field(h)));
        out.push_str(&head.join(","));
        out.push_str("\r\n");
        for (label, cells) in self.rows() {
            let mut line = vec![field(&label)];
            line.extend(cells.iter().map(|c| field(c)));
            out.push_str(&line.join(","));
            out.push_str("\r\n");
        }
        out
    }
}

/// "1月" … "12月".
pub fn month_labels() -> Vec<String> {
    (1..=12).map(|m| format!("{m}月")).collect()
}

/// Publications per month by category: `rows` are (month 1–12, category, count). The `top`
/// categories with most items are their own series, in that order; the rest is 其他.
pub fn publications(rows: &[(u32, String, i64)], top: usize) -> Chart {
    let mut totals: Vec<(String, i64)> = Vec::new();
    for (_, cat, n) in rows {
        match totals.iter_mut().find(|(c, _)| c == cat) {
            Some(t) => t.1 += n,
            None => totals.push((cat.clone(), *n)),
        }
    }
    totals.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let named: Vec<String> = totals.iter().take(top).map(|(c, _)| c.clone()).collect();
    let rest = totals.len() > top;
    let mut series: Vec<Series> = named
        .iter()
        .map(|c| Series {
            name: c.clone(),
            values: vec![Some(0.0); 12],
        })
        .collect();
    if rest {
        series.push(Series {
            name: "其他".into(),
            values: vec![Some(0.0); 12],
        });
    }
    for (m, cat, n) in rows {
        let Some(i) = (*m as usize).checked_sub(1).filter(|i| *i < 12) else {
            continue;
        };
        let s = named.iter().position(|c| c == cat).unwrap_or(named.len());
        if let Some(Some(v)) = series.get_mut(s).and_then(|s| s.values.get_mut(i)) {
            *v += *n as f64;
        }
    }
    Chart {
        key: ChartKey::Publications,
        kind: ChartKind::Stacked,
        unit: "条",
        label_head: "月份",
        labels: month_labels(),
        series,
    }
}

/// A rate in percent, or None of nothing.
fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// On-time rates per month: each of `apps` and `letters` is (month, answered, on time).
pub fn on_time(apps: &[(u32, i64, i64)], letters: &[(u32, i64, i64)]) -> Chart {
    let line = |name: &str, rows: &[(u32, i64, i64)]| Series {
        name: name.into(),
        values: (1..=12u32)
            .map(|m| {
                let (a, o) = rows
                    .iter()
                    .filter(|r| r.0 == m)
                    .fold((0, 0), |(a, o), r| (a + r.1, o + r.2));
                rate(o, a)
            })
            .collect(),
    };
    Chart {
        key: ChartKey::OnTime,
        kind: ChartKind::Line,
        unit: "%",
        label_head: "月份",
        labels: month_labels(),
        series: vec![line("政府信息公开申请", apps), line("信箱来信", letters)],
    }
}

/// The six result groups of the annual report's table 三, as `reply_row` keys begin.
pub const OUTCOME_GROUPS: [(&str, &str); 6] = [
    ("（一）", "予以公开"),
    ("（二）", "部分公开"),
    ("（三）", "不予公开"),
    ("（四）", "无法提供"),
    ("（五）", "不予处理"),
    ("（六）", "其他处理"),
];

/// Application outcomes: `rows` are (reply_row key, count).
pub fn outcomes(rows: &[(String, i64)]) -> Chart {
    let values = OUTCOME_GROUPS
        .iter()
        .map(|(prefix, _)| {
            Some(
                rows.iter()
                    .filter(|(k, _)| k.starts_with(prefix))
                    .map(|(_, n)| *n as f64)
                    .sum(),
            )
        })
        .collect();
    Chart {
        key: ChartKey::Outcomes,
        kind: ChartKind::Bars,
        unit: "件",
        label_head: "办理结果",
        labels: OUTCOME_GROUPS
            .iter()
            .map(|(_, l)| (*l).to_string())
            .collect(),
        series: vec![Series {
            name: "办结".into(),
            values,
        }],
    }
}

/// The response-time bands, in working days (upper bounds; the last has none).
pub const RESPONSE_BANDS: [(u32, &str); 5] = [
    (5, "5个工作日以内"),
    (10, "6至10个工作日"),
    (15, "11至15个工作日"),
    (20, "16至20个工作日"),
    (u32::MAX, "20个工作日以上"),
];

/// Letters by working days from receipt to reply: `pairs` are (received, replied). A letter
/// whose days the calendar cannot count (a year without holiday data) is left out, not guessed.
pub fn response_times(cal: &Calendar, pairs: &[(NaiveDate, NaiveDate)]) -> Chart {
    let mut counts = [0i64; 5];
    for (received, replied) in pairs {
        let Ok(days) = cal.working_days_between(*received, *replied) else {
            continue;
        };
        let band = RESPONSE_BANDS
            .iter()
            .position(|(max, _)| days <= *max)
            .unwrap_or(RESPONSE_BANDS.len() - 1);
        counts[band] += 1;
    }
    Chart {
        key: ChartKey::ResponseTimes,
        kind: ChartKind::Bars,
        unit: "件",
        label_head: "答复用时",
        labels: RESPONSE_BANDS
            .iter()
            .map(|(_, l)| (*l).to_string())
            .collect(),
        series: vec![Series {
            name: "来信".into(),
            values: counts.iter().map(|n| Some(*n as f64)).collect(),
        }],
    }
}

/// Ratings per month of the reply: `rows` are (month, rating, count).
pub fn satisfaction(rows: &[(u32, Rating, i64)]) -> Chart {
    let series = [Rating::Satisfied, Rating::Fair, Rating::Unsatisfied]
        .into_iter()
        .map(|r| Series {
            name: r.label().into(),
            values: (1..=12u32)
                .map(|m| {
                    Some(
                        rows.iter()
                            .filter(|x| x.0 == m && x.1 == r)
                            .map(|x| x.2 as f64)
                            .sum(),
                    )
                })
                .collect(),
        })
        .collect();
    Chart {
        key: ChartKey::Satisfaction,
        kind: ChartKind::Stacked,
        unit: "件",
        label_head: "月份",
        labels: month_labels(),
        series,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn publications_keep_the_top_categories_and_sum_the_rest() {
        let rows = vec![
            (1, "通知公告".to_string(), 5),
            (1, "政策文件".to_string(), 2),
            (2, "通知公告".to_string(), 1),
            (3, "人事信息".to_string(), 1),
            (12, "财政预决算".to_string(), 4),
        ];
        let c = publications(&rows, 2);
        let names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["通知公告", "财政预决算", "其他"]);
        assert_eq!(c.series[0].values[0], Some(5.0));
        assert_eq!(c.series[0].values[1], Some(1.0));
        assert_eq!(c.series[2].values[0], Some(2.0));
        assert_eq!(c.series[2].values[2], Some(1.0));
        assert_eq!(c.series[1].values[11], Some(4.0));
        let rows = c.rows();
        assert_eq!(
            rows[0],
            (
                "1月".into(),
                vec!["5".into(), "0".into(), "2".into(), "7".into()]
            )
        );
        assert_eq!(c.heads().last().unwrap(), "合计（条）");
    }

    #[test]
    fn a_month_without_answers_has_no_rate() {
        let c = on_time(&[(1, 4, 3), (2, 0, 0)], &[(1, 2, 2)]);
        assert_eq!(c.series[0].values[0], Some(75.0));
        assert_eq!(c.series[0].values[1], None);
        assert_eq!(c.series[1].values[0], Some(100.0));
        assert_eq!(c.rows()[1].1, vec!["—".to_string(), "—".to_string()]);
        assert_eq!(c.rows()[0].1[0], "75.0");
        // Everything answered late is a rate of 0%, not "no data".
        assert!(!on_time(&[(1, 2, 0)], &[]).is_empty());
        assert!(on_time(&[], &[]).is_empty());
    }

    #[test]
    fn outcomes_follow_table_three_groups() {
        let c = outcomes(&[
            ("（一）予以公开".into(), 3),
            ("（三）不予公开 1.属于国家秘密".into(), 1),
            ("（三）不予公开 4.保护第三方合法权益".into(), 2),
            ("（六）其他处理 3.其他".into(), 1),
        ]);
        assert_eq!(
            c.series[0].values,
            vec![
                Some(3.0),
                Some(0.0),
                Some(3.0),
                Some(0.0),
                Some(0.0),
                Some(1.0)
            ]
        );
        assert_eq!(c.labels[2], "不予公开");
    }

    #[test]
    fn response_times_count_working_days_over_the_national_day_holiday() {
        let cal = Calendar::builtin();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Received Tuesday 29 September 2026; 1–7 October is the holiday, so a reply on
        // 9 October is 3 working days later (30 Sep, 8 and 9 Oct), not 10 calendar days. From
        // 1 to 30 September: 21 working days (中秋 on the 25th off, Sunday the 20th worked).
        let c = response_times(
            &cal,
            &[
                (d("2026-09-29"), d("2026-10-09")),
                (d("2026-09-01"), d("2026-09-30")),
            ],
        );
        assert_eq!(c.series[0].values[0], Some(1.0));
        assert_eq!(c.series[0].values[4], Some(1.0));
    }

    #[test]
    fn satisfaction_stacks_the_three_ratings() {
        let c = satisfaction(&[
            (3, Rating::Satisfied, 2),
            (3, Rating::Unsatisfied, 1),
            (4, Rating::Fair, 1),
        ]);
        assert_eq!(c.stack_total(2), 3.0);
        assert_eq!(c.series[2].values[2], Some(1.0));
        assert!(!c.is_empty());
        assert!(satisfaction(&[]).is_empty());
        // A month without ratings says 0, not "-0".
        assert_eq!(c.rows()[0].1, vec!["0", "0", "0", "0"]);
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let c = publications(&[(1, "机构,职能".to_string(), 1)], 5);
        let csv = c.csv();
        assert!(csv.starts_with("\u{feff}月份,\"机构,职能（条）\",合计（条）\r\n"));
        assert!(csv.contains("\r\n1月,1,1\r\n"));
    }

    proptest! {
        #[test]
        fn publications_lose_no_item(rows in proptest::collection::vec((1u32..=12, 0usize..8, 0i64..50), 0..40), top in 1usize..6) {
            let rows: Vec<(u32, String, i64)> = rows.into_iter().map(|(m, c, n)| (m, format!("栏目{c}"), n)).collect();
            let c = publications(&rows, top);
            let drawn: f64 = (0..12).map(|i| c.stack_total(i)).sum();
            let given: i64 = rows.iter().map(|r| r.2).sum();
            prop_assert_eq!(drawn, given as f64);
            prop_assert!(c.series.len() <= top + 1);
        }

        #[test]
        fn rates_lie_between_0_and_100(rows in proptest::collection::vec((1u32..=12, 0i64..20, 0i64..20), 0..30)) {
            let rows: Vec<(u32, i64, i64)> = rows.into_iter().map(|(m, a, o)| (m, a, o.min(a))).collect();
            let c = on_time(&rows, &[]);
            for v in c.series[0].values.iter().flatten() {
                prop_assert!((0.0..=100.0).contains(v));
            }
        }
    }
}
