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

/// Series colours, distinguishable in print and for the common colour-vision deficiencies
/// (the Okabe–Ito palette); the table beside the chart carries the numbers in any case.
const PALETTE: [&str; 7] = [
    "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#7a7a7a",
];

const CW: f64 = 720.0;
const CH: f64 = 320.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 20.0;
const BOTTOM: f64 = 44.0;

/// The top of the value axis: 100 for rates, else the first of 1, 2, 5 × 10ⁿ at or above `max`
/// (at least 5, so that a few items do not fill the height).
fn axis_top(max: f64, unit: &str) -> f64 {
    if unit == "%" {
        return 100.0;
    }
    let max = max.max(5.0);
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * step >= max {
                return m * step;
            }
        }
        step *= 10.0;
    }
}

fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// A chart of `c` (bars, stacked bars or lines). Every drawn value is an element of class
/// `datum` carrying `data-series`, `data-label` and `data-value` (as the table writes it) and a
/// `<title>` naming it, so the drawing can be checked against the table and read aloud. `id`
/// keeps the ids of several charts on one page apart.
pub fn chart(id: &str, c: &gongkai_domain::dashboard::Chart) -> String {
    use gongkai_domain::dashboard::{ChartKind, show};
    let n = c.labels.len().max(1) as f64;
    let plot_w = CW - LEFT - RIGHT;
    let plot_h = CH - TOP - BOTTOM;
    let slot = plot_w / n;
    let max = match c.kind {
        ChartKind::Stacked => (0..c.labels.len())
            .map(|i| c.stack_total(i))
            .fold(0.0, f64::max),
        _ => c
            .series
            .iter()
            .flat_map(|s| s.values.iter().flatten().copied())
            .fold(0.0, f64::max),
    };
    let top = axis_top(max, c.unit);
    let y = |v: f64| TOP + plot_h - v / top * plot_h;
    let legend_rows = c.series.len().div_ceil(4) as f64;
    let legend_h = 20.0 * legend_rows;
    let height = CH + legend_h;
    let mut o = String::new();
    let _ = write!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" aria-labelledby="{id}-t {id}-d" width="{CW}" height="{height}" viewBox="0 0 {CW} {height}" font-family="Noto Sans CJK SC, Source Han Sans SC, sans-serif" font-size="12">"#
    );
    let series_names: Vec<&str> = c.series.iter().map(|s| s.name.as_str()).collect();
    let _ = write!(
        o,
        r#"<title id="{id}-t">{}</title><desc id="{id}-d">{}：{}。数值见图旁的表格。</desc>"#,
        esc(c.title()),
        esc(c.label_head),
        esc(&series_names.join("、"))
    );
    o.push_str(r##"<rect x="0" y="0" width="100%" height="100%" fill="#ffffff"/>"##);
    // Grid and value axis: five steps.
    for k in 0..=5 {
        let v = top * f64::from(k) / 5.0;
        let gy = y(v);
        let _ = write!(
            o,
            r##"<line class="grid" x1="{LEFT}" x2="{}" y1="{gy:.1}" y2="{gy:.1}" stroke="{}" stroke-width="1"/><text x="{}" y="{:.1}" text-anchor="end" fill="#374151">{}{}</text>"##,
            CW - RIGHT,
            if k == 0 { "#374151" } else { "#e5e7eb" },
            LEFT - 6.0,
            gy + 4.0,
            num(v),
            if c.unit == "%" { "%" } else { "" }
        );
    }
    // Labels under the slots (every second one when they would crowd).
    let every = if n > 8.0 && slot < 40.0 { 2 } else { 1 };
    for (i, l) in c.labels.iter().enumerate() {
        if i % every != 0 {
            continue;
        }
        let _ = write!(
            o,
            r##"<text class="label" x="{:.1}" y="{:.1}" text-anchor="middle" fill="#374151">{}</text>"##,
            LEFT + slot * (i as f64 + 0.5),
            TOP + plot_h + 18.0,
            esc(&cut(l, (slot / 12.0).floor().max(2.0) as usize))
        );
    }
    let datum_title = |si: usize, i: usize, v: Option<f64>| {
        format!(
            "{} · {}：{}{}",
            c.labels.get(i).map_or("", String::as_str),
            c.series.get(si).map_or("", |s| s.name.as_str()),
            show(v, c.unit),
            if v.is_some() { c.unit } else { "" }
        )
    };
    let datum_attrs = |si: usize, i: usize, v: Option<f64>| {
        format!(
            r#"class="datum" data-series="{si}" data-label="{i}" data-value="{}""#,
            esc(&show(v, c.unit))
        )
    };
    match c.kind {
        ChartKind::Stacked => {
            let w = slot * 0.6;
            for i in 0..c.labels.len() {
                let mut base = 0.0;
                let x = LEFT + slot * i as f64 + (slot - w) / 2.0;
                for (si, s) in c.series.iter().enumerate() {
                    let v = s.values.get(i).copied().flatten();
                    let h = v.unwrap_or(0.0) / top * plot_h;
                    let _ = write!(
                        o,
                        r#"<rect {} x="{x:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="{}"><title>{}</title></rect>"#,
                        datum_attrs(si, i, v),
                        y(base) - h,
                        PALETTE[si % PALETTE.len()],
                        esc(&datum_title(si, i, v))
                    );
                    base += v.unwrap_or(0.0);
                }
            }
        }
        ChartKind::Bars => {
            let group = slot * 0.7;
            let w = group / c.series.len().max(1) as f64;
            for i in 0..c.labels.len() {
                for (si, s) in c.series.iter().enumerate() {
                    let v = s.values.get(i).copied().flatten();
                    let h = v.unwrap_or(0.0) / top * plot_h;
                    let x = LEFT + slot * i as f64 + (slot - group) / 2.0 + w * si as f64;
                    let _ = write!(
                        o,
                        r#"<rect {} x="{x:.1}" y="{:.1}" width="{w:.1}" height="{h:.1}" fill="{}"><title>{}</title></rect>"#,
                        datum_attrs(si, i, v),
                        y(0.0) - h,
                        PALETTE[si % PALETTE.len()],
                        esc(&datum_title(si, i, v))
                    );
                    if let Some(v) = v {
                        let _ = write!(
                            o,
                            r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#111827">{}</text>"##,
                            x + w / 2.0,
                            y(0.0) - h - 4.0,
                            esc(&show(Some(v), c.unit))
                        );
                    }
                }
            }
        }
        ChartKind::Line => {
            for (si, s) in c.series.iter().enumerate() {
                let colour = PALETTE[si % PALETTE.len()];
                // One path per run of values; a missing value breaks the line.
                let mut d = String::new();
                let mut pen = false;
                for (i, v) in s.values.iter().enumerate() {
                    match v {
                        Some(v) => {
                            let _ = write!(
                                d,
                                "{}{:.1} {:.1} ",
                                if pen { "L" } else { "M" },
                                LEFT + slot * (i as f64 + 0.5),
                                y(*v)
                            );
                            pen = true;
                        }
                        None => pen = false,
                    }
                }
                if !d.is_empty() {
                    let _ = write!(
                        o,
                        r#"<path class="line" d="{}" fill="none" stroke="{colour}" stroke-width="2.5"/>"#,
                        d.trim_end()
                    );
                }
                for (i, v) in s.values.iter().enumerate() {
                    if let Some(x) = v {
                        let _ = write!(
                            o,
                            r##"<circle {} cx="{:.1}" cy="{:.1}" r="4" fill="{colour}" stroke="#ffffff" stroke-width="1"><title>{}</title></circle>"##,
                            datum_attrs(si, i, *v),
                            LEFT + slot * (i as f64 + 0.5),
                            y(*x),
                            esc(&datum_title(si, i, *v))
                        );
                    }
                }
            }
        }
    }
    // Legend below the labels, four to a row.
    for (si, s) in c.series.iter().enumerate() {
        let lx = LEFT + (si % 4) as f64 * 165.0;
        let ly = CH - 8.0 + (si / 4) as f64 * 20.0;
        let _ = write!(
            o,
            r##"<g class="legend"><rect x="{lx:.1}" y="{:.1}" width="12" height="12" fill="{}"/><text x="{:.1}" y="{ly:.1}" fill="#111827">{}</text></g>"##,
            ly - 10.0,
            PALETTE[si % PALETTE.len()],
            lx + 17.0,
            esc(&cut(&s.name, 12))
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    use gongkai_domain::dashboard::{self, ChartKind};

    /// The drawn values of `svg`, per (series, label).
    fn drawn(svg: &str) -> Vec<(usize, usize, String, roxmltree::NodeId)> {
        let doc = roxmltree::Document::parse(svg).expect("well-formed XML");
        doc.descendants()
            .filter(|n| n.attribute("class") == Some("datum"))
            .map(|n| {
                (
                    n.attribute("data-series").unwrap().parse().unwrap(),
                    n.attribute("data-label").unwrap().parse().unwrap(),
                    n.attribute("data-value").unwrap().to_string(),
                    n.id(),
                )
            })
            .collect()
    }

    #[test]
    fn a_stacked_chart_draws_every_value_of_its_table_with_heights_in_proportion() {
        let c = dashboard::publications(
            &[
                (1, "通知公告".into(), 6),
                (1, "政策<文件>".into(), 3),
                (5, "通知公告".into(), 12),
            ],
            5,
        );
        let svg = chart("c1", &c);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let root = doc.root_element();
        assert_eq!(root.attribute("role"), Some("img"));
        assert_eq!(
            root.children()
                .find(|n| n.has_tag_name("title"))
                .unwrap()
                .text(),
            Some(c.title())
        );
        let data = drawn(&svg);
        assert_eq!(data.len(), 12 * 2);
        let rows = c.rows();
        for (si, li, v, _) in &data {
            assert_eq!(&rows[*li].1[*si], v, "series {si} label {li}");
        }
        // Heights: 12 items are twice 6; the stacked total of January is 9.
        let height = |s: usize, l: usize| -> f64 {
            let (_, _, _, id) = data.iter().find(|d| d.0 == s && d.1 == l).unwrap();
            doc.get_node(*id)
                .unwrap()
                .attribute("height")
                .unwrap()
                .parse()
                .unwrap()
        };
        assert!((height(0, 4) - 2.0 * height(0, 0)).abs() < 0.2);
        assert!((height(1, 0) - height(0, 0) / 2.0).abs() < 0.2);
        assert!(svg.contains("政策&lt;文件&gt;"));
        // The axis tops at 20 (the first of 1, 2, 5 × 10ⁿ above 12).
        let ticks: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text") && n.attribute("text-anchor") == Some("end"))
            .filter_map(|n| n.text())
            .collect();
        assert_eq!(ticks.last(), Some(&"20"));
    }

    #[test]
    fn a_line_chart_breaks_where_a_month_has_no_rate() {
        let c = dashboard::on_time(&[(1, 4, 3), (2, 2, 2), (4, 1, 0)], &[]);
        assert_eq!(c.kind, ChartKind::Line);
        let svg = chart("c2", &c);
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let data = drawn(&svg);
        // Three points of applications, none of letters (no letter answered).
        assert_eq!(data.len(), 3);
        assert_eq!(
            data.iter().map(|d| d.2.as_str()).collect::<Vec<_>>(),
            ["75.0", "100.0", "0.0"]
        );
        let paths: Vec<&str> = doc
            .descendants()
            .filter(|n| n.attribute("class") == Some("line"))
            .filter_map(|n| n.attribute("d"))
            .collect();
        assert_eq!(paths.len(), 1);
        // January to February drawn, a new stroke at April.
        assert_eq!(paths[0].matches('M').count(), 2);
        assert_eq!(paths[0].matches('L').count(), 1);
        // A rate's axis is 0–100%.
        assert!(svg.contains(">100%</text>"));
    }

    #[test]
    fn bars_carry_their_value_and_an_empty_chart_is_still_valid() {
        let c = dashboard::outcomes(&[("（一）予以公开".into(), 7)]);
        let svg = chart("c3", &c);
        let data = drawn(&svg);
        assert_eq!(data.len(), 6);
        assert_eq!(data[0].2, "7");
        let empty = chart("c4", &dashboard::outcomes(&[]));
        assert!(roxmltree::Document::parse(&empty).is_ok());
    }

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
