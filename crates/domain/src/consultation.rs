//! 征求意见 (预先公开): a published draft open for comment in a window, moderated comments on the
//! whole draft or on one paragraph, and after the window the 意见采纳情况 — comments grouped by
//! theme, each group 采纳, 部分采纳 or 未采纳 with its reason — before the final version
//! (docs/design/participation.md, stage 3). The window is counted as a 公示's
//! ([`crate::notice_period::period_end`]). Pure rules, Chinese messages.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::body::FieldErrors;
use crate::calendar::Calendar;
use crate::notice_period::{self as np, DayUnit, Phase};

labelled!(
    /// How a body moderates comments (`BodySettings.comment_moderation`).
    Moderation {
        Pre => "pre", "先审后发（审核通过后公开显示）",
        Post => "post", "先发后审（提交后即公开显示，可事后隐藏）",
    }
);

labelled!(
    CommentStatus {
        Held => "held", "待审核",
        Visible => "visible", "已公开",
        Hidden => "hidden", "未予展示",
    }
);

labelled!(
    /// What the body did with a group of comments.
    Disposition {
        Adopted => "adopted", "采纳",
        Partly => "partly", "部分采纳",
        Rejected => "rejected", "未采纳",
    }
);

/// 重大行政决策程序暂行条例第十四条: a public consultation runs, as a rule, at least 30 days.
pub const DEFAULT_DAYS: u32 = 30;
pub const MIN_DAYS: u32 = 7;
pub const MAX_DAYS: u32 = 90;
pub const MAX_COMMENT_CHARS: usize = 2000;
pub const MAX_EXPLANATION_CHARS: usize = 20_000;
/// More links than this and a comment waits for a moderator, whatever the body's setting.
pub const MAX_LINKS: usize = 3;

/// The draft's paragraphs: its Markdown blocks, split at blank lines (trimmed, none empty).
/// Comments cite them by number from 1; 0 is the whole draft.
pub fn paragraphs(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Vec<&str> = Vec::new();
    for line in md.lines() {
        if line.trim().is_empty() {
            if !cur.is_empty() {
                out.push(cur.join("\n"));
                cur.clear();
            }
        } else {
            cur.push(line.trim_end());
        }
    }
    if !cur.is_empty() {
        out.push(cur.join("\n"));
    }
    out
}

/// How a comment cites the draft, in Chinese.
pub fn paragraph_label(paragraph: u32) -> String {
    if paragraph == 0 {
        "对全文".into()
    } else {
        format!("对第{paragraph}段")
    }
}

/// A checked comment window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidWindow {
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub days: u32,
    pub unit: DayUnit,
    pub explanation: String,
}

/// Check the window form: start (empty: `earliest`, not before it), length (empty: 30;
/// 7–90) and unit (empty: calendar days), and the 起草说明 (required). The end is counted by the
/// calendar; a window into a year whose calendar is not loaded is refused.
pub fn check_window(
    cal: &Calendar,
    start: &str,
    days: &str,
    unit: &str,
    explanation: &str,
    earliest: NaiveDate,
) -> Result<ValidWindow, FieldErrors> {
    let mut e: FieldErrors = Vec::new();
    let start = np::parse_start(start, earliest, "征求意见稿发布之日")
        .map_err(|m| e.push(("start", m)))
        .ok();
    let days = if days.trim().is_empty() {
        Some(DEFAULT_DAYS)
    } else {
        days.trim()
            .parse::<u32>()
            .ok()
            .filter(|d| (MIN_DAYS..=MAX_DAYS).contains(d))
    };
    if days.is_none() {
        e.push((
            "days",
            format!("征求意见期限应为{MIN_DAYS}至{MAX_DAYS}天（一般不少于30日）"),
        ));
    }
    let unit = if unit.trim().is_empty() {
        Some(DayUnit::Calendar)
    } else {
        DayUnit::parse(unit)
    };
    if unit.is_none() {
        e.push(("unit", "请选择按自然日或工作日计算".into()));
    }
    let explanation = explanation.trim();
    if explanation.is_empty() {
        e.push(("explanation", "请填写起草说明".into()));
    } else if explanation.chars().count() > MAX_EXPLANATION_CHARS {
        e.push((
            "explanation",
            format!("起草说明不超过{MAX_EXPLANATION_CHARS}字"),
        ));
    }
    let (Some(start), Some(days), Some(unit)) = (start, days, unit) else {
        return Err(e);
    };
    let end = match np::period_end(cal, start, days, unit) {
        Ok(end) => end,
        Err(err) => {
            e.push(("days", err.to_string()));
            return Err(e);
        }
    };
    if !e.is_empty() {
        return Err(e);
    }
    Ok(ValidWindow {
        start,
        end,
        days,
        unit,
        explanation: explanation.into(),
    })
}

/// The window in words.
pub fn explain_window(start: NaiveDate, end: NaiveDate) -> String {
    format!(
        "征求意见时间：{}至{}",
        start.format("%Y年%-m月%-d日"),
        end.format("%Y年%-m月%-d日")
    )
}

/// Why a comment is refused at this moment (outside the window), if it is.
pub fn window_refusal(start: NaiveDate, end: NaiveDate, today: NaiveDate) -> Option<String> {
    match np::phase(start, end, today) {
        Phase::NotStarted => Some(format!(
            "征求意见尚未开始（{}开始），暂不接收意见",
            start.format("%Y年%-m月%-d日")
        )),
        Phase::Ended => Some(format!(
            "征求意见已于{}截止，不再接收意见",
            end.format("%Y年%-m月%-d日")
        )),
        Phase::Open => None,
    }
}

/// A comment as typed by the public.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentInput {
    pub name: String,
    pub contact: String,
    pub text: String,
    /// `0` or empty: the whole draft; `N`: paragraph N.
    pub paragraph: String,
    /// Ticked ("on", "1" or "true"): the name may be shown with the comment.
    pub show_name: String,
}

/// A checked comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidComment {
    pub name: String,
    pub contact: String,
    pub text: String,
    pub paragraph: u32,
    pub show_name: bool,
    pub links: usize,
}

/// Links in a text, as a moderator would count them.
pub fn count_links(text: &str) -> usize {
    let lower = text.to_lowercase();
    // Each scheme counts once; a bare "www." counts unless it follows a scheme's "//".
    let schemes = lower.matches("://").count();
    let bare = lower
        .match_indices("www.")
        .filter(|(i, _)| !lower[..*i].ends_with("//"))
        .count();
    schemes + bare
}

impl CommentInput {
    /// Name and contact required (kept from the public), text 1–2,000 characters, the paragraph
    /// one of the draft's (`paragraphs` of them). Messages per field, in Chinese.
    pub fn validate(&self, paragraphs: usize) -> Result<ValidComment, FieldErrors> {
        let mut e: FieldErrors = Vec::new();
        let name = self.name.trim();
        let contact = self.contact.trim();
        let text = self.text.trim();
        if name.is_empty() || name.chars().count() > 50 {
            e.push(("name", "请填写姓名（不超过50个字）".into()));
        }
        if contact.chars().count() < 5 || contact.chars().count() > 100 {
            e.push(("contact", "请填写联系电话或电子邮箱".into()));
        }
        let n = text.chars().count();
        if n == 0 {
            e.push(("text", "请填写意见内容".into()));
        } else if n > MAX_COMMENT_CHARS {
            e.push((
                "text",
                format!("意见内容不超过{MAX_COMMENT_CHARS}字（现{n}字）"),
            ));
        }
        let p = self.paragraph.trim();
        let paragraph = if p.is_empty() {
            Some(0)
        } else {
            p.parse::<u32>()
                .ok()
                .filter(|p| (*p as usize) <= paragraphs)
        };
        if paragraph.is_none() {
            e.push(("paragraph", "请选择针对全文或征求意见稿中的某一段".into()));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ValidComment {
            name: name.into(),
            contact: contact.into(),
            text: text.into(),
            paragraph: paragraph.unwrap_or(0),
            show_name: matches!(self.show_name.trim(), "on" | "1" | "true"),
            links: count_links(text),
        })
    }
}

/// Where a new comment goes: held for a moderator (with the reason) or shown at once.
pub fn initial_status(moderation: Moderation, links: usize) -> (CommentStatus, &'static str) {
    if links > MAX_LINKS {
        (CommentStatus::Held, "含较多链接，待审核后公开")
    } else if moderation == Moderation::Pre {
        (CommentStatus::Held, "先审后发")
    } else {
        (CommentStatus::Visible, "")
    }
}

/// A checked group of the 意见采纳情况.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidGroup {
    pub theme: String,
    pub disposition: Disposition,
    pub reason: String,
}

/// A theme (1–100 characters), a disposition and a reason (up to 2,000 characters; required
/// unless the comments were adopted: a body says why it did not take them).
pub fn check_group(
    theme: &str,
    disposition: &str,
    reason: &str,
) -> Result<ValidGroup, FieldErrors> {
    let mut e: FieldErrors = Vec::new();
    let theme = theme.trim();
    let reason = reason.trim();
    if theme.is_empty() || theme.chars().count() > 100 {
        e.push(("theme", "请填写意见归类的主题（不超过100字）".into()));
    }
    let disposition = Disposition::parse(disposition);
    match disposition {
        None => e.push(("disposition", "请选择采纳、部分采纳或未采纳".into())),
        Some(d) if d != Disposition::Adopted && reason.is_empty() => {
            e.push(("reason", format!("{}的意见须说明理由", d.label())))
        }
        _ => {}
    }
    if reason.chars().count() > 2000 {
        e.push(("reason", "理由不超过2000字".into()));
    }
    match (disposition, e.is_empty()) {
        (Some(disposition), true) => Ok(ValidGroup {
            theme: theme.into(),
            disposition,
            reason: reason.into(),
        }),
        _ => Err(e),
    }
}

/// Why the 意见采纳情况 cannot be published yet (empty: it can): the window must have closed,
/// no comment may still wait for a moderator, and every visible comment must be in a group.
pub fn feedback_blockers(
    end: NaiveDate,
    today: NaiveDate,
    held: usize,
    ungrouped: usize,
    groups: usize,
    visible: usize,
) -> Vec<String> {
    let mut out = Vec::new();
    if today <= end {
        out.push(format!(
            "征求意见将于{}截止，截止后才能公布意见采纳情况",
            end.format("%Y年%-m月%-d日")
        ));
    }
    if held > 0 {
        out.push(format!("还有{held}条意见待审核"));
    }
    if ungrouped > 0 {
        out.push(format!("还有{ungrouped}条已公开的意见未归入任何主题"));
    }
    if visible > 0 && groups == 0 {
        out.push("请先按主题归类意见并说明采纳情况".into());
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn paragraphs_are_the_markdown_blocks() {
        let p =
            paragraphs("第一条 总则。\n\n第二条 适用范围\n（一）社区；\n\n\n  \n第三条 附则。\n");
        assert_eq!(
            p,
            vec![
                "第一条 总则。",
                "第二条 适用范围\n（一）社区；",
                "第三条 附则。"
            ]
        );
        assert!(paragraphs("").is_empty());
        assert_eq!(paragraph_label(0), "对全文");
        assert_eq!(paragraph_label(2), "对第2段");
    }

    #[test]
    fn the_window_runs_thirty_days_and_moves_off_rest_days() {
        let cal = Calendar::builtin();
        // 2025-09-05 + 30 days: ends 2025-10-04, in the National Day holiday: moved to 10/9.
        let w = check_window(&cal, "2025-09-05", "", "", "说明", d("2025-09-01")).unwrap();
        assert_eq!(
            (w.days, w.unit, w.end),
            (30, DayUnit::Calendar, d("2025-10-09"))
        );
        // 10 working days from Thu 2025-09-25: 25, 26, 28 (调休), 29, 30, 10/9, 10, 11 (调休), 13, 14.
        let w = check_window(&cal, "2025-09-25", "10", "working", "说明", d("2025-09-01")).unwrap();
        assert_eq!(w.end, d("2025-10-14"));
        // Too short, before publication, no explanation, a bad unit: each its message.
        let e = check_window(&cal, "2025-08-01", "3", "weeks", " ", d("2025-09-01")).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["start", "days", "unit", "explanation"]);
        // Into a year with no calendar: refused, not guessed.
        assert!(check_window(&cal, "2026-12-20", "30", "", "说明", d("2026-12-01")).is_err());
    }

    #[test]
    fn comments_outside_the_window_are_refused() {
        let (s, e) = (d("2025-06-03"), d("2025-07-02"));
        assert!(
            window_refusal(s, e, d("2025-06-02"))
                .unwrap()
                .contains("尚未开始")
        );
        assert_eq!(window_refusal(s, e, s), None);
        assert_eq!(window_refusal(s, e, e), None);
        assert!(
            window_refusal(s, e, d("2025-07-03"))
                .unwrap()
                .contains("已于2025年7月2日截止")
        );
    }

    #[test]
    fn comments_are_checked_and_links_hold_them() {
        let ok = CommentInput {
            name: " 李明 ".into(),
            contact: "13800000000".into(),
            text: "建议第二条增加老年人代办服务。".into(),
            paragraph: "2".into(),
            show_name: "on".into(),
        };
        let v = ok.validate(3).unwrap();
        assert_eq!(
            (v.name.as_str(), v.paragraph, v.show_name, v.links),
            ("李明", 2, true, 0)
        );
        // A paragraph the draft does not have, an empty name, too long a text.
        let bad = CommentInput {
            name: "".into(),
            text: "长".repeat(MAX_COMMENT_CHARS + 1),
            paragraph: "4".into(),
            ..ok.clone()
        };
        let e = bad.validate(3).unwrap_err();
        assert_eq!(
            e.iter().map(|(f, _)| *f).collect::<Vec<_>>(),
            vec!["name", "text", "paragraph"]
        );
        assert!(e[1].1.contains("2001字"));
        // Links: four of them hold the comment even under 先发后审.
        let spam = "见 http://a.cn https://b.cn www.c.cn HTTP://d.cn";
        assert_eq!(count_links(spam), 4);
        assert_eq!(count_links("https://www.a.cn 与 https://www.b.cn"), 2);
        assert_eq!(initial_status(Moderation::Post, 4).0, CommentStatus::Held);
        assert_eq!(
            initial_status(Moderation::Post, 3).0,
            CommentStatus::Visible
        );
        assert_eq!(initial_status(Moderation::Pre, 0).0, CommentStatus::Held);
    }

    #[test]
    fn groups_need_a_reason_unless_adopted() {
        assert!(check_group("老年人服务", "adopted", "").is_ok());
        let e = check_group("老年人服务", "rejected", " ").unwrap_err();
        assert_eq!(e[0].0, "reason");
        assert!(e[0].1.contains("未采纳"));
        assert_eq!(check_group("", "maybe", "").unwrap_err().len(), 2);
    }

    #[test]
    fn feedback_waits_for_the_close_moderation_and_grouping() {
        let end = d("2025-07-02");
        assert!(feedback_blockers(end, d("2025-07-03"), 0, 0, 2, 5).is_empty());
        // No comments at all: nothing to group, publishable after the close.
        assert!(feedback_blockers(end, d("2025-07-03"), 0, 0, 0, 0).is_empty());
        let b = feedback_blockers(end, end, 1, 2, 0, 3);
        assert_eq!(b.len(), 4, "{b:?}");
    }
}
