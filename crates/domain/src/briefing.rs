//! 季度简报 (docs/design/supervision.md, stage 5): for a body and a quarter, the figures of its
//! subtree — what was published by category, applications and letters answered with their on-time
//! rates, the inspections, the rectifications opened and closed, the problems the compliance
//! monitor found — and a draft text built from them, which staff edit before it is published
//! (as an item of the body's 工作动态 column) or kept internal.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::monitor::{Counts, RULES};

/// The first and last day of quarter `q` (1–4) of `year`.
pub fn quarter_range(year: i32, q: u32) -> Option<(NaiveDate, NaiveDate)> {
    if !(1..=4).contains(&q) {
        return None;
    }
    let from = NaiveDate::from_ymd_opt(year, 3 * q - 2, 1)?;
    let next = if q == 4 {
        NaiveDate::from_ymd_opt(year + 1, 1, 1)?
    } else {
        NaiveDate::from_ymd_opt(year, 3 * q + 1, 1)?
    };
    Some((from, next.pred_opt()?))
}

/// 第一季度 … 第四季度.
pub fn quarter_name(q: u32) -> &'static str {
    match q {
        1 => "第一季度",
        2 => "第二季度",
        3 => "第三季度",
        _ => "第四季度",
    }
}

/// One inspection of the quarter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InspectionFigure {
    pub title: String,
    pub bodies: i64,
    pub findings: i64,
}

/// The numbers a briefing is drafted from (kept with it, as they were when drafted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figures {
    /// Items first published in the quarter, by category name, most first.
    pub published: Vec<(String, i64)>,
    pub applications_answered: i64,
    pub applications_on_time: i64,
    pub letters_answered: i64,
    pub letters_on_time: i64,
    pub inspections: Vec<InspectionFigure>,
    pub rectifications_opened: i64,
    pub rectifications_closed: i64,
    /// The compliance monitor's totals over the quarter (every rule, in the order of
    /// [`RULES`]).
    pub problems: Counts,
}

impl Figures {
    pub fn published_total(&self) -> i64 {
        self.published.iter().map(|(_, n)| n).sum()
    }
}

/// "95.0%", or None when nothing was due.
pub fn rate(part: i64, whole: i64) -> Option<String> {
    (whole > 0).then(|| format!("{:.1}%", part as f64 * 100.0 / whole as f64))
}

/// The draft text (Markdown: `##` headings and paragraphs) of a briefing.
pub fn draft(body_name: &str, f: &Figures) -> String {
    let mut out = String::new();
    out.push_str("## 一、信息发布情况\n\n");
    if f.published.is_empty() {
        out.push_str("本季度没有新公开的政府信息。\n\n");
    } else {
        let parts: Vec<String> = f
            .published
            .iter()
            .map(|(c, n)| format!("{c}{n}条"))
            .collect();
        out.push_str(&format!(
            "本季度{body_name}及所属单位共主动公开政府信息{}条，其中{}。\n\n",
            f.published_total(),
            parts.join("、")
        ));
    }
    out.push_str("## 二、依申请公开和信箱办理情况\n\n");
    match rate(f.applications_on_time, f.applications_answered) {
        Some(r) => out.push_str(&format!(
            "本季度答复政府信息公开申请{}件，其中按时答复{}件，按时答复率{r}。",
            f.applications_answered, f.applications_on_time
        )),
        None => out.push_str("本季度没有答复的政府信息公开申请。"),
    }
    match rate(f.letters_on_time, f.letters_answered) {
        Some(r) => out.push_str(&format!(
            "答复信箱来信{}件，其中按时答复{}件，按时答复率{r}。\n\n",
            f.letters_answered, f.letters_on_time
        )),
        None => out.push_str("本季度没有答复的信箱来信。\n\n"),
    }
    out.push_str("## 三、监督检查情况\n\n");
    if f.inspections.is_empty() {
        out.push_str("本季度未开展监督检查。\n\n");
    } else {
        let parts: Vec<String> = f
            .inspections
            .iter()
            .map(|i| {
                format!(
                    "{}（检查{}个单位，发现问题{}个）",
                    i.title, i.bodies, i.findings
                )
            })
            .collect();
        out.push_str(&format!(
            "本季度开展监督检查{}次：{}。\n\n",
            f.inspections.len(),
            parts.join("；")
        ));
    }
    out.push_str("## 四、整改情况\n\n");
    out.push_str(&format!(
        "本季度交办整改{}项，验收通过{}项。\n\n",
        f.rectifications_opened, f.rectifications_closed
    ));
    out.push_str("## 五、存在的问题\n\n");
    let found: Vec<String> = RULES
        .iter()
        .filter_map(|r| {
            let n = f.problems.get(r.key);
            (n > 0).then(|| format!("{}{n}项", r.key.label()))
        })
        .collect();
    if found.is_empty() {
        out.push_str("合规监测未发现问题。\n\n");
    } else {
        out.push_str(&format!("合规监测发现：{}。\n\n", found.join("，")));
    }
    out.push_str("## 六、下一步工作\n\n（请填写下一季度的工作安排。）\n");
    out
}

/// A briefing's title.
pub fn title(body_name: &str, year: i32, q: u32) -> String {
    format!("{body_name}{year}年{}政务公开工作简报", quarter_name(q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::RuleKey;

    #[test]
    fn quarters() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default();
        assert_eq!(
            quarter_range(2026, 1),
            Some((d("2026-01-01"), d("2026-03-31")))
        );
        assert_eq!(
            quarter_range(2026, 3),
            Some((d("2026-07-01"), d("2026-09-30")))
        );
        assert_eq!(
            quarter_range(2026, 4),
            Some((d("2026-10-01"), d("2026-12-31")))
        );
        assert_eq!(quarter_range(2026, 5), None);
        assert_eq!(quarter_range(2026, 0), None);
    }

    #[test]
    fn worked_draft() {
        let mut problems = Counts::zero();
        problems.add(RuleKey::LateApplications, 2);
        problems.add(RuleKey::StaleCategories, 1);
        let f = Figures {
            published: vec![("通知公告".into(), 12), ("工作动态".into(), 8)],
            applications_answered: 40,
            applications_on_time: 38,
            letters_answered: 0,
            letters_on_time: 0,
            inspections: vec![InspectionFigure {
                title: "季度专项检查".into(),
                bodies: 5,
                findings: 3,
            }],
            rectifications_opened: 3,
            rectifications_closed: 1,
            problems,
        };
        let t = draft("示例县人民政府", &f);
        assert!(t.contains("共主动公开政府信息20条，其中通知公告12条、工作动态8条"));
        assert!(t.contains("答复政府信息公开申请40件，其中按时答复38件，按时答复率95.0%"));
        assert!(t.contains("本季度没有答复的信箱来信"));
        assert!(t.contains("季度专项检查（检查5个单位，发现问题3个）"));
        assert!(t.contains("交办整改3项，验收通过1项"));
        assert!(t.contains("合规监测发现：栏目长期未更新1项，依申请公开超期答复2项。"));
        assert_eq!(t.matches("\n## ").count() + 1, 6, "six headings");
        assert_eq!(
            title("示例县人民政府", 2026, 3),
            "示例县人民政府2026年第三季度政务公开工作简报"
        );
    }

    #[test]
    fn rates() {
        assert_eq!(rate(1, 3), Some("33.3%".into()));
        assert_eq!(rate(0, 0), None);
    }
}
