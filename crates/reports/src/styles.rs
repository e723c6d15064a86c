//! The shared look of Gongkai's printed documents: A4, 25 mm margins, body text in the serif face
//! at 小四 (12 pt) with the first line indented two characters, headings and tables in the sans
//! face, a footer with the site and the page numbers; label/value tables, text blocks made from
//! Markdown, the verification box with its QR code, and a service item's guide.

use std::sync::Arc;

use crate::layout::{
    Align, Block, Cell, Col, Doc, Frame, MM, Para, QrModules, Span, Style, Table, VAlign, span,
};
use crate::services::ServiceGuide;
use crate::text::Block as TextBlock;
use crate::{Renderer, ReportError};

/// Body text.
pub(crate) fn body() -> Style {
    Style::serif(12.0)
}

/// A body paragraph: justified, first line indented two characters.
pub(crate) fn para(text: impl Into<String>) -> Block {
    Block::Para(body_para(text, body()))
}

pub(crate) fn body_para(text: impl Into<String>, style: Style) -> Para {
    Para::text(text, style)
        .justify()
        .indent(2.0 * style.size)
        .space(0.9 * style.size, 0.9 * style.size)
}

/// A paragraph of the given spans with no indent.
pub(crate) fn plain(spans: Vec<Span>) -> Para {
    let size = spans.first().map_or(12.0, |s| s.style.size);
    Para::new(spans).space(0.9 * size, 0.9 * size)
}

/// A centred line (titles).
pub(crate) fn centred(text: impl Into<String>, style: Style) -> Block {
    Block::Para(
        Para::text(text, style)
            .align(Align::Center)
            .leading(0.6)
            .space(10.8, 10.8),
    )
}

pub(crate) fn space(mm: f32) -> Block {
    Block::Space(mm * MM)
}

/// A heading kept with what follows it.
pub(crate) fn heading(text: impl Into<String>, style: Style, above: f32, below: f32) -> Para {
    Para::text(text, style)
        .space(above * style.size, below * style.size)
        .sticky()
}

/// A band across the top: the site (or body) on the left, the document's kind on the right,
/// a thin rule below.
pub(crate) fn band(left: &str, right: &str) -> Vec<Block> {
    let st = Style::sans(10.0).grey(60);
    let t = Table {
        stroke: None,
        inset: (0.0, 0.0),
        gutter: 8.0,
        space: (0.0, 2.0 * MM),
        ..Table::new(
            vec![Col::Fr(1.0), Col::Auto],
            vec![
                Cell::para(Para::text(left, st)),
                Cell::para(Para::text(right, st.tracking(0.15))),
            ],
        )
    };
    vec![
        Block::Table(t),
        Block::Space(2.0 * MM),
        Block::Rule(0.6, (110, 110, 110)),
    ]
}

/// A table of label / value pairs, two pairs per row.
pub(crate) fn meta_table(pairs: &[(&str, &str)]) -> Block {
    let mut cells = Vec::new();
    for (k, v) in pairs {
        cells.push(Cell::para(Para::text(*k, Style::sans(10.0))).fill(238));
        cells.push(Cell::para(Para::text(*v, Style::serif(10.0))));
    }
    Block::Table(Table {
        space: (12.0, 12.0),
        ..Table::new(
            vec![Col::Auto, Col::Fr(1.0), Col::Auto, Col::Fr(1.0)],
            cells,
        )
    })
}

/// Blocks of an item's (or a briefing's) text made from Markdown.
pub(crate) fn text_blocks(blocks: &[TextBlock]) -> Vec<Block> {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            TextBlock::Heading { level, text } => {
                let size = match level {
                    0 | 1 => 14.0,
                    2 => 13.0,
                    _ => 12.0,
                };
                let st = if *level <= 2 {
                    Style::sans(size)
                } else {
                    Style::serif(size)
                };
                out.push(Block::Para(heading(text.clone(), st.bold(), 1.1, 0.8)));
            }
            TextBlock::Paragraph { text } => out.push(para(text.clone())),
            TextBlock::Item {
                marker,
                depth,
                text,
            } => {
                let st = body();
                let marker_w = marker.chars().count() as f32 * 0.6 * st.size;
                let left =
                    2.0 * st.size + f32::from(*depth) * 1.5 * st.size + marker_w + 0.4 * st.size;
                out.push(Block::Para(
                    Para::text(text.clone(), st)
                        .justify()
                        .left(left)
                        .marker(span(marker.clone(), st))
                        .space(0.9 * st.size, 0.9 * st.size),
                ));
            }
            TextBlock::Table { header, rows } => {
                let n = rows.first().map_or(0, Vec::len);
                if n == 0 {
                    continue;
                }
                if n <= 8 {
                    let mut cells = Vec::new();
                    for (i, r) in rows.iter().enumerate() {
                        for c in r {
                            let st = if *header && i == 0 {
                                Style::serif(10.0).bold()
                            } else {
                                Style::serif(10.0)
                            };
                            cells.push(Cell::para(Para::text(c.clone(), st)));
                        }
                    }
                    out.push(Block::Table(Table {
                        header_rows: usize::from(*header),
                        ..Table::new(vec![Col::Fr(1.0); n], cells)
                    }));
                } else {
                    // Too wide for a page: one line per row, cells separated by spaces.
                    for r in rows {
                        out.push(para(r.join("　")));
                    }
                }
            }
            TextBlock::Code { text } => out.push(Block::Para(
                Para::text(text.clone(), Style::mono(9.5)).space(12.0, 12.0),
            )),
        }
    }
    out
}

/// The modules of a QR code of `data` (error correction level M), with its quiet zone.
pub(crate) fn qr(data: &str) -> Result<Arc<QrModules>, ReportError> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ReportError::Data(format!("无法生成二维码：{e}")))?;
    let n = code.width();
    let quiet = 4;
    let w = n + 2 * quiet;
    let colors = code.to_colors();
    let mut dark = vec![false; w * w];
    for y in 0..n {
        for x in 0..n {
            dark[(y + quiet) * w + x + quiet] = colors[y * n + x] == qrcode::Color::Dark;
        }
    }
    Ok(Arc::new(QrModules { width: w, dark }))
}

/// The verification box: a QR code of `url` beside its lines of text.
pub(crate) fn verify_box(url: &str, lines: Vec<Para>) -> Result<Block, ReportError> {
    let text: Vec<Block> = lines
        .into_iter()
        .map(|p| {
            Block::Para(Para {
                space: (0.7 * 9.5, 0.7 * 9.5),
                leading: 0.6,
                ..p
            })
        })
        .collect();
    let grid = Table {
        stroke: None,
        inset: (0.0, 0.0),
        gutter: 5.0 * MM,
        space: (0.0, 0.0),
        ..Table::new(
            vec![Col::Pt(33.0 * MM), Col::Fr(1.0)],
            vec![
                Cell::new(vec![Block::Qr(qr(url)?, 33.0 * MM)]),
                Cell {
                    valign: VAlign::Middle,
                    ..Cell::new(text)
                },
            ],
        )
    };
    Ok(Block::Frame(Frame {
        content: vec![Block::Table(grid)],
        stroke: Some((0.8, 0)),
        fill: None,
        inset: (4.0 * MM, 4.0 * MM),
        radius: 1.5 * MM,
        space: (0.0, 0.0),
    }))
}

/// The small text of the verification box.
pub(crate) fn small(spans: Vec<Span>) -> Para {
    Para::new(spans)
}

/// A service item's guide (办事指南) as blocks: its time limits and place as a table, then the
/// conditions, materials, procedure (step boxes with arrows, wrapping), fees and basis.
pub(crate) fn service_blocks(item: &ServiceGuide) -> Vec<Block> {
    let size = 10.5;
    let st = Style::serif(size);
    let section = |t: &str| Block::Para(heading(t, Style::sans(11.0).bold(), 0.9, 0.45));
    let line = |t: &str, st: Style| {
        Block::Para(
            Para::text(t, st)
                .justify()
                .space(0.9 * st.size, 0.9 * st.size),
        )
    };
    let facts: Vec<(&str, &str)> = item
        .facts
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut out = vec![meta_table(&facts)];
    if !item.conditions.is_empty() {
        out.push(section("申请条件"));
        out.extend(item.conditions.iter().map(|c| line(c, st)));
    }
    if !item.materials.is_empty() {
        out.push(section("申请材料"));
        for (i, m) in item.materials.iter().enumerate() {
            let marker = format!("{}.", i + 1);
            let left = (marker.chars().count() as f32 * 0.6 + 0.9) * size;
            out.push(Block::Para(
                Para::text(m.clone(), st)
                    .justify()
                    .left(left)
                    .marker(span(marker, st))
                    .space(0.6 * size, 0.6 * size),
            ));
        }
    }
    if !item.procedure.is_empty() {
        out.push(section("办理流程"));
        out.push(Block::Steps(item.procedure.clone(), st));
    }
    if !item.fees.is_empty() {
        out.push(section("收费标准"));
        out.extend(item.fees.iter().map(|f| line(f, st)));
    }
    if !item.basis.is_empty() {
        out.push(section("设定依据"));
        out.extend(item.basis.iter().map(|b| line(b, Style::serif(9.5))));
    }
    if !item.more.is_empty() {
        out.push(Block::Para(
            Para::text(item.more.clone(), Style::serif(9.5).grey(60)).space(0.8 * 9.5, 0.0),
        ));
    }
    out
}

/// A document with the standard page: the title (PDF metadata), the footer's left part (the
/// site, then a note) and the blocks.
pub(crate) fn doc(title: &str, site: &str, note: &str, blocks: Vec<Block>) -> Doc {
    Doc {
        title: title.to_string(),
        footer: if note.is_empty() {
            site.to_string()
        } else {
            format!("{site}　{note}")
        },
        blocks,
    }
}

impl Renderer {
    /// Set `doc` into pages and write the PDF.
    pub(crate) fn pdf(&self, doc: &Doc) -> Result<Vec<u8>, ReportError> {
        self.fonts.typeset(doc).pdf().map_err(ReportError::Pdf)
    }
}
