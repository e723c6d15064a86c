//! Charts drawn on the server as SVG, so they print, need no script and carry their own text for
//! screen readers (`<title>`, `<desc>`); the page puts the table of the same data beside them.
//! All text is XML-escaped; nothing the user typed is ever markup.

use std::fmt::Write;

/// One step of a work as the flow chart shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartStep {
    pub stage: i64,
    pub title: String,
    pub owner: String,
    pub body: String,
    pub due_on: String,
    pub status: String,
    pub progress: i64,
    pub done: bool,
    pub overdue: bool,
}

const MARGIN: i64 = 16;
const COL_W: i64 = 236;
const BOX_W: i64 = 200;
const BOX_H: i64 = 112;
const GAP: i64 = 20;
const HEAD: i64 = 30;
const LINE: i64 = 18;

/// XML text escaping.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if (c as u32) < 0x20 && c != '\t' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// At most `n` characters, with an ellipsis when cut.
fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The text split into lines of `n` characters, at most `lines` of them.
fn wrap(s: &str, n: usize, lines: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    let mut out: Vec<String> = chars.chunks(n).map(|c| c.iter().collect()).collect();
    if out.len() > lines {
        out.truncate(lines);
        if let Some(last) = out.last_mut() {
            *last = cut(&format!("{last}…"), n);
        }
    }
    out
}

/// (fill, stroke) by status; an overdue step's stroke is red whatever its status.
fn colours(s: &ChartStep) -> (&'static str, &'static str) {
    let fill = if s.done {
        "#e8f5e9"
    } else if s.status.contains("受阻") {
        "#fff4e5"
    } else if s.progress > 0 {
        "#e8f1fb"
    } else {
        "#f4f4f5"
    };
    let stroke = if s.overdue {
        "#b91c1c"
    } else if s.done {
        "#2e7d32"
    } else {
        "#475569"
    };
    (fill, stroke)
}

/// The flow chart of a work: one column per stage, left to right, the stage's steps stacked in
/// it, arrows from every step of a stage to every step of the next. Each box names the step,
/// its owner and body, its deadline, status and progress; an overdue box has a thick red border
/// and says 已超期. `title` names the chart for screen readers.
pub fn flowchart(title: &str, steps: &[ChartStep]) -> String {
    let mut stages: Vec<i64> = steps.iter().map(|s| s.stage).collect();
    stages.sort_unstable();
    stages.dedup();
    let column = |stage: i64| -> i64 {
        i64::try_from(stages.iter().position(|s| *s == stage).unwrap_or(0)).unwrap_or(0)
    };
    let rows = stages
        .iter()
        .map(|st| steps.iter().filter(|s| s.stage == *st).count())
        .max()
        .unwrap_or(0);
    let rows = i64::try_from(rows).unwrap_or(0).max(1);
    let cols = i64::try_from(stages.len()).unwrap_or(0).max(1);
    let width = MARGIN * 2 + cols * COL_W - (COL_W - BOX_W);
    let height = MARGIN * 2 + HEAD + rows * (BOX_H + GAP) - GAP;
    // Place each step: (x, y) of its box.
    let mut placed: Vec<(i64, i64, &ChartStep)> = Vec::new();
    for st in &stages {
        for (row, s) in steps.iter().filter(|s| s.stage == *st).enumerate() {
            let row = i64::try_from(row).unwrap_or(0);
            placed.push((
                MARGIN + column(*st) * COL_W,
                MARGIN + HEAD + row * (BOX_H + GAP),
                s,
            ));
        }
    }
    let overdue = steps.iter().filter(|s| s.overdue).count();
    let done = steps.iter().filter(|s| s.done).count();
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="flowchart" role="img" aria-labelledby="fc-title fc-desc" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="Noto Sans CJK SC, Source Han Sans SC, sans-serif" font-size="13">"#
    );
    let _ = write!(
        o,
        r#"<title id="fc-title">{}</title><desc id="fc-desc">共{}个环节，分{}步；已完成{}个，超期{}个。</desc>"#,
        esc(title),
        steps.len(),
        stages.len(),
        done,
        overdue
    );
    o.push_str(r##"<defs><marker id="fc-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>"##);
    o.push_str(r##"<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>"##);
    for (i, st) in stages.iter().enumerate() {
        let x = MARGIN + i64::try_from(i).unwrap_or(0) * COL_W;
        let _ = write!(
            o,
            r##"<text class="stage" x="{}" y="{}" text-anchor="middle" font-weight="bold" fill="#1f2937">第{}步</text>"##,
            x + BOX_W / 2,
            MARGIN + 18,
            st
        );
    }
    // Arrows first, under the boxes.
    for (x1, y1, a) in &placed {
        for (x2, y2, b) in &placed {
            if column(b.stage) == column(a.stage) + 1 {
                let _ = write!(
                    o,
                    r##"<path class="arrow" d="M{} {} C{} {} {} {} {} {}" fill="none" stroke="#475569" stroke-width="1.5" marker-end="url(#fc-arrow)"/>"##,
                    x1 + BOX_W,
                    y1 + BOX_H / 2,
                    x1 + BOX_W + (COL_W - BOX_W) / 2,
                    y1 + BOX_H / 2,
                    x2 - (COL_W - BOX_W) / 2,
                    y2 + BOX_H / 2,
                    x2 - 2,
                    y2 + BOX_H / 2
                );
            }
        }
    }
    for (x, y, s) in &placed {
        let (fill, stroke) = colours(s);
        let sw = if s.overdue { 3 } else { 1 };
        let _ = write!(
            o,
            r#"<g class="step{}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6" fill="{fill}" stroke="{stroke}" stroke-width="{sw}"/>"#,
            if s.overdue { " overdue" } else { "" }
        );
        let mut ty = y + LINE + 2;
        for line in wrap(&s.title, 14, 2) {
            let _ = write!(
                o,
                r##"<text x="{}" y="{ty}" font-weight="bold" fill="#111827">{}</text>"##,
                x + 10,
                esc(&line)
            );
            ty += LINE;
        }
        ty = y + LINE * 3 + 6;
        let _ = write!(
            o,
            r##"<text x="{}" y="{ty}" fill="#1f2937">{}</text>"##,
            x + 10,
            esc(&cut(&format!("{}（{}）", s.owner, s.body), 14))
        );
        ty += LINE;
        let _ = write!(
            o,
            r##"<text x="{}" y="{ty}" fill="#1f2937">期限 {}</text>"##,
            x + 10,
            esc(&s.due_on)
        );
        ty += LINE;
        let state = if s.overdue {
            format!("已超期 · {} {}%", s.status, s.progress)
        } else {
            format!("{} {}%", s.status, s.progress)
        };
        let _ = write!(
            o,
            r##"<text x="{}" y="{ty}" fill="{}"{}>{}</text></g>"##,
            x + 10,
            if s.overdue { "#b91c1c" } else { "#1f2937" },
            if s.overdue {
                r#" font-weight="bold""#
            } else {
                ""
            },
            esc(&state)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn step(stage: i64, title: &str, overdue: bool, done: bool) -> ChartStep {
        ChartStep {
            stage,
            title: title.into(),
            owner: "王强".into(),
            body: "城关街道".into(),
            due_on: "2026-12-20".into(),
            status: if done { "已完成" } else { "推进中" }.into(),
            progress: if done { 100 } else { 40 },
            done,
            overdue,
        }
    }

    #[test]
    fn the_chart_has_a_box_per_step_arrows_between_stages_and_says_what_is_overdue() {
        let steps = vec![
            step(1, "入户调查 <居民意愿>", false, true),
            step(2, "设计方案", true, false),
            step(2, "资金申请", false, false),
            step(
                3,
                "施工和验收，这个名称很长很长很长很长很长很长很长很长",
                false,
                false,
            ),
        ];
        let svg = flowchart("加装电梯 & 改造", &steps);
        let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        assert_eq!(root.attribute("role"), Some("img"));
        let title = root.children().find(|n| n.has_tag_name("title")).unwrap();
        assert_eq!(title.text(), Some("加装电梯 & 改造"));
        let desc = root.children().find(|n| n.has_tag_name("desc")).unwrap();
        assert_eq!(desc.text(), Some("共4个环节，分3步；已完成1个，超期1个。"));
        let groups: Vec<_> = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("g") && n.attribute("class").is_some_and(|c| c.starts_with("step"))
            })
            .collect();
        assert_eq!(groups.len(), 4);
        let overdue: Vec<_> = groups
            .iter()
            .filter(|g| g.attribute("class") == Some("step overdue"))
            .collect();
        assert_eq!(overdue.len(), 1);
        let text: String = overdue[0].descendants().filter_map(|n| n.text()).collect();
        assert!(
            text.contains("设计方案") && text.contains("已超期"),
            "{text}"
        );
        // 1→2 (two arrows), 2→3 (two arrows); none within a stage or skipping one.
        let arrows = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("arrow"))
            .count();
        assert_eq!(arrows, 4);
        // The user's text is escaped, not markup.
        assert!(svg.contains("&lt;居民意愿&gt;"));
        // Three columns: stage headers.
        let stages: Vec<_> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("stage"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(stages, vec!["第1步", "第2步", "第3步"]);
        // Every box lies inside the drawing.
        let w: i64 = root.attribute("width").unwrap().parse().unwrap();
        let h: i64 = root.attribute("height").unwrap().parse().unwrap();
        for r in doc
            .descendants()
            .filter(|n| n.has_tag_name("rect") && n.attribute("rx").is_some())
        {
            let x: i64 = r.attribute("x").unwrap().parse().unwrap();
            let y: i64 = r.attribute("y").unwrap().parse().unwrap();
            assert!(x >= 0 && y >= 0 && x + BOX_W <= w && y + BOX_H <= h);
        }
    }

    #[test]
    fn an_empty_work_still_draws_a_valid_chart() {
        let svg = flowchart("无环节", &[]);
        assert!(roxmltree::Document::parse(&svg).is_ok());
        assert!(svg.contains("共0个环节"));
    }
}
