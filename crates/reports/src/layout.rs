//! The small typesetter behind every printed document: blocks of Chinese (and Latin) text,
//! tables, framed boxes, QR codes and rules, broken into lines and A4 pages, drawn into PDF with
//! `krilla` (which embeds subsets of the fonts, so the PDF's text can be copied and searched).
//!
//! The model is deliberately small — what 政务 documents need, not a general engine: lines break
//! between any two Chinese characters and at spaces, never before closing or after opening
//! punctuation (避头尾); justified lines share their extra space among their characters; a table
//! row never splits, and a table's header rows repeat on every page it runs onto; a framed box
//! never splits. Text is only ever set as text: nothing a user typed is interpreted.

use std::ops::Range;
use std::sync::Arc;

use crate::fonts::{Face, Family, Fonts};

/// Points per millimetre.
pub(crate) const MM: f32 = 72.0 / 25.4;
pub(crate) const PAGE_W: f32 = 210.0 * MM;
pub(crate) const PAGE_H: f32 = 297.0 * MM;
pub(crate) const MARGIN: f32 = 25.0 * MM;
/// The part of an em above the baseline that a line's box holds (about the cap height of the
/// CJK faces); the rest of the glyphs reach into the leading.
const ASCENT: f32 = 0.73;

/// How text is set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Style {
    pub family: Family,
    pub bold: bool,
    pub size: f32,
    /// Grey level of the ink (0 black … 255 white).
    pub grey: u8,
    /// Extra space after each character, in em.
    pub tracking: f32,
}

impl Style {
    pub(crate) fn serif(size: f32) -> Style {
        Style {
            family: Family::Serif,
            bold: false,
            size,
            grey: 0,
            tracking: 0.0,
        }
    }
    pub(crate) fn sans(size: f32) -> Style {
        Style {
            family: Family::Sans,
            ..Style::serif(size)
        }
    }
    pub(crate) fn mono(size: f32) -> Style {
        Style {
            family: Family::Mono,
            ..Style::serif(size)
        }
    }
    pub(crate) fn bold(self) -> Style {
        Style { bold: true, ..self }
    }
    pub(crate) fn grey(self, grey: u8) -> Style {
        Style { grey, ..self }
    }
    pub(crate) fn tracking(self, em: f32) -> Style {
        Style {
            tracking: em,
            ..self
        }
    }
}

/// A run of text in one style; `\n` is a line break.
#[derive(Debug, Clone)]
pub(crate) struct Span {
    pub text: String,
    pub style: Style,
}

pub(crate) fn span(text: impl Into<String>, style: Style) -> Span {
    Span {
        text: text.into(),
        style,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Align {
    Left,
    Center,
    Right,
}

/// A paragraph.
#[derive(Debug, Clone)]
pub(crate) struct Para {
    pub spans: Vec<Span>,
    pub align: Align,
    pub justify: bool,
    /// Indent of the first line, in points.
    pub indent: f32,
    /// Left padding of every line, in points.
    pub left: f32,
    /// A marker (a bullet, a number) set in the left padding of the first line.
    pub marker: Option<Span>,
    /// Space between lines, in em of the largest text on the line.
    pub leading: f32,
    /// Space above and below the paragraph, in points (the larger of two neighbours' wins).
    pub space: (f32, f32),
    /// Keep the last line on the same page as what follows (headings).
    pub sticky: bool,
    /// The paragraph's number among the document's anchors (contents entries find their page).
    pub anchor: Option<usize>,
}

impl Para {
    pub(crate) fn new(spans: Vec<Span>) -> Para {
        Para {
            spans,
            align: Align::Left,
            justify: false,
            indent: 0.0,
            left: 0.0,
            marker: None,
            leading: 0.8,
            space: (10.8, 10.8),
            sticky: false,
            anchor: None,
        }
    }
    pub(crate) fn text(text: impl Into<String>, style: Style) -> Para {
        Para::new(vec![span(text, style)])
    }
    pub(crate) fn align(mut self, a: Align) -> Para {
        self.align = a;
        self
    }
    pub(crate) fn justify(mut self) -> Para {
        self.justify = true;
        self
    }
    pub(crate) fn indent(mut self, pt: f32) -> Para {
        self.indent = pt;
        self
    }
    pub(crate) fn left(mut self, pt: f32) -> Para {
        self.left = pt;
        self
    }
    pub(crate) fn marker(mut self, m: Span) -> Para {
        self.marker = Some(m);
        self
    }
    pub(crate) fn leading(mut self, em: f32) -> Para {
        self.leading = em;
        self
    }
    pub(crate) fn space(mut self, above: f32, below: f32) -> Para {
        self.space = (above, below);
        self
    }
    pub(crate) fn sticky(mut self) -> Para {
        self.sticky = true;
        self
    }
    pub(crate) fn anchor(mut self, n: usize) -> Para {
        self.anchor = Some(n);
        self
    }
}

/// A table column's width.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Col {
    /// As wide as its widest cell (without wrapping), within the table's width.
    Auto,
    /// A share of what the fixed and automatic columns leave.
    Fr(f32),
    Pt(f32),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VAlign {
    Top,
    Middle,
}

#[derive(Debug, Clone)]
pub(crate) struct Cell {
    pub content: Vec<Block>,
    pub colspan: usize,
    pub rowspan: usize,
    pub valign: VAlign,
    /// Grey level of the cell's background.
    pub fill: Option<u8>,
}

impl Cell {
    pub(crate) fn new(content: Vec<Block>) -> Cell {
        Cell {
            content,
            colspan: 1,
            rowspan: 1,
            valign: VAlign::Middle,
            fill: None,
        }
    }
    pub(crate) fn para(p: Para) -> Cell {
        Cell::new(vec![Block::Para(p)])
    }
    pub(crate) fn span(mut self, cols: usize, rows: usize) -> Cell {
        self.colspan = cols.max(1);
        self.rowspan = rows.max(1);
        self
    }
    pub(crate) fn fill(mut self, grey: u8) -> Cell {
        self.fill = Some(grey);
        self
    }
    pub(crate) fn top(mut self) -> Cell {
        self.valign = VAlign::Top;
        self
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Table {
    pub columns: Vec<Col>,
    /// Cells in reading order; each takes the next free slot (rows fill left to right).
    pub cells: Vec<Cell>,
    /// Rows repeated at the top of every page the table runs onto.
    pub header_rows: usize,
    /// Width of the cells' borders (none when `None`).
    pub stroke: Option<f32>,
    /// Padding inside each cell (x, y), in points.
    pub inset: (f32, f32),
    /// Space between columns (for tables without borders).
    pub gutter: f32,
    /// How far the table reaches into the left and right margins.
    pub outdent: f32,
    pub space: (f32, f32),
}

impl Table {
    pub(crate) fn new(columns: Vec<Col>, cells: Vec<Cell>) -> Table {
        Table {
            columns,
            cells,
            header_rows: 0,
            stroke: Some(0.5),
            inset: (5.0, 5.0),
            gutter: 0.0,
            outdent: 0.0,
            space: (12.0, 12.0),
        }
    }
}

/// A box around blocks; it never splits across pages.
#[derive(Debug, Clone)]
pub(crate) struct Frame {
    pub content: Vec<Block>,
    /// Border width and grey level.
    pub stroke: Option<(f32, u8)>,
    pub fill: Option<u8>,
    pub inset: (f32, f32),
    pub radius: f32,
    pub space: (f32, f32),
}

#[derive(Debug, Clone)]
pub(crate) enum Block {
    Para(Para),
    /// Vertical space, in points.
    Space(f32),
    /// A horizontal line across the width: thickness and colour.
    Rule(f32, (u8, u8, u8)),
    Table(Table),
    Frame(Frame),
    /// The steps of a procedure: numbered boxes with arrows between them, wrapping.
    Steps(Vec<String>, Style),
    /// A QR code of `data`, `size` points square.
    Qr(Arc<QrModules>, f32),
    PageBreak,
    /// Blocks set at the foot of the page (the page's remaining space goes above them).
    Bottom(Vec<Block>),
}

/// The dark modules of a QR code, with its quiet zone.
#[derive(Debug)]
pub(crate) struct QrModules {
    pub width: usize,
    pub dark: Vec<bool>,
}

/// A document: its blocks and what every page's footer says on the left.
pub(crate) struct Doc {
    pub title: String,
    pub footer: String,
    pub blocks: Vec<Block>,
}

// ---------------------------------------------------------------------------------------------
// Drawing items
// ---------------------------------------------------------------------------------------------

#[derive(Clone)]
struct Glyph {
    id: u32,
    /// Advance in points, spacing included.
    adv: f32,
    /// Bytes of the run's text.
    range: Range<usize>,
}

#[derive(Clone)]
enum Item {
    Text {
        x: f32,
        /// Baseline.
        y: f32,
        face: Face,
        size: f32,
        grey: u8,
        text: String,
        glyphs: Vec<Glyph>,
    },
    Rect {
        x: f32,
        y: f32,
        w: f32,
        h: f32,
        fill: Option<(u8, u8, u8)>,
        stroke: Option<(f32, (u8, u8, u8))>,
        radius: f32,
    },
    Qr {
        x: f32,
        y: f32,
        size: f32,
        modules: Arc<QrModules>,
    },
}

impl Item {
    fn shift(&mut self, dx: f32, dy: f32) {
        match self {
            Item::Text { x, y, .. } | Item::Rect { x, y, .. } | Item::Qr { x, y, .. } => {
                *x += dx;
                *y += dy;
            }
        }
    }
}

fn shifted(items: &[Item], dx: f32, dy: f32) -> impl Iterator<Item = Item> + '_ {
    items.iter().cloned().map(move |mut i| {
        i.shift(dx, dy);
        i
    })
}

fn grey(l: u8) -> (u8, u8, u8) {
    (l, l, l)
}

// ---------------------------------------------------------------------------------------------
// Text: glyphs and lines
// ---------------------------------------------------------------------------------------------

/// One character set in a face.
#[derive(Clone)]
struct Set {
    ch: char,
    face: Option<Face>,
    gid: u32,
    /// Advance in points, tracking included.
    adv: f32,
    style: Style,
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

/// Characters that may not begin a line.
fn no_start(c: char) -> bool {
    "，。、；：？！）》」』】〕〉”’…—·,.;:?!)]}%％℃".contains(c)
}

/// Characters that may not end a line.
fn no_end(c: char) -> bool {
    "（《「『【〔〈“‘([{#￥$".contains(c)
}

struct Line {
    /// Indices into the paragraph's characters.
    range: Range<usize>,
    /// Natural width without trailing spaces.
    width: f32,
    /// Whether the line ends its paragraph or a hard break (not justified).
    last: bool,
}

/// A paragraph set into lines at a width: the items relative to the paragraph's top-left and
/// the lines' heights.
struct SetPara {
    /// Per line: the items, its top and its height.
    lines: Vec<(Vec<Item>, f32)>,
}

impl Fonts {
    /// Set each character in its style's face, falling back to the sans and serif faces for
    /// characters the face lacks (a Latin monospace face has no Chinese).
    fn set_chars(&self, spans: &[Span]) -> Vec<Set> {
        let mut out = Vec::new();
        for s in spans {
            let st = s.style;
            let chain = [
                self.face(st.family, st.bold),
                self.face(Family::Sans, st.bold),
                self.face(Family::Serif, st.bold),
            ];
            let mut chars: Vec<Option<(Face, u32, f32)>> = vec![None; s.text.chars().count()];
            for face in chain.into_iter().flatten() {
                let missing: Vec<usize> =
                    (0..chars.len()).filter(|i| chars[*i].is_none()).collect();
                if missing.is_empty() {
                    break;
                }
                let glyphs = face.glyphs(&s.text);
                for i in missing {
                    if let Some(Some((gid, adv))) = glyphs.get(i) {
                        chars[i] = Some((face.clone(), *gid, *adv));
                    }
                }
            }
            let first = chain.iter().flatten().next().copied().cloned();
            for (c, g) in s.text.chars().zip(chars) {
                let (face, gid, adv) = match g {
                    Some((f, gid, adv)) => (Some(f), gid, adv),
                    // No face has it: the first face's .notdef box shows where it was.
                    None if c != '\n' && c != ' ' => (first.clone(), 0, 1.0),
                    None => (None, 0, 0.5),
                };
                let adv = if c == '\n' { 0.0 } else { adv };
                out.push(Set {
                    ch: c,
                    face,
                    gid,
                    adv: (adv + st.tracking) * st.size,
                    style: st,
                });
            }
        }
        out
    }

    /// The width of the paragraph's longest line if nothing wrapped.
    fn natural_width(&self, p: &Para) -> f32 {
        let chars = self.set_chars(&p.spans);
        let mut best: f32 = 0.0;
        let mut cur = p.indent;
        for c in &chars {
            if c.ch == '\n' {
                best = best.max(cur);
                cur = 0.0;
            } else {
                cur += c.adv;
            }
        }
        best.max(cur) + p.left
    }

    fn break_lines(chars: &[Set], width: f32, indent: f32) -> Vec<Line> {
        let can_break_after = |i: usize| -> bool {
            let c = chars[i].ch;
            let Some(n) = chars.get(i + 1).map(|s| s.ch) else {
                return true;
            };
            if n == '\n' || no_start(n) || no_end(c) {
                return false;
            }
            c == ' ' || c == '\u{3000}' || is_cjk(c) || is_cjk(n) || c == '/' || c == '-'
        };
        let trimmed = |r: Range<usize>| -> f32 {
            let mut end = r.end;
            while end > r.start && chars[end - 1].ch == ' ' {
                end -= 1;
            }
            chars[r.start..end].iter().map(|c| c.adv).sum()
        };
        let mut lines = Vec::new();
        let mut start = 0;
        let mut w = 0.0;
        let mut last_break: Option<usize> = None;
        let mut i = 0;
        while i < chars.len() {
            let avail = if lines.is_empty() {
                width - indent
            } else {
                width
            };
            let c = &chars[i];
            if c.ch == '\n' {
                lines.push(Line {
                    range: start..i,
                    width: trimmed(start..i),
                    last: true,
                });
                i += 1;
                start = i;
                w = 0.0;
                last_break = None;
                continue;
            }
            if w + c.adv > avail + 0.01 && i > start && c.ch != ' ' {
                let end = match last_break {
                    Some(b) if b > start => b,
                    _ => i,
                };
                lines.push(Line {
                    range: start..end,
                    width: trimmed(start..end),
                    last: false,
                });
                start = end;
                while start < chars.len() && chars[start].ch == ' ' {
                    start += 1;
                }
                w = chars[start..i.max(start)].iter().map(|c| c.adv).sum();
                last_break = None;
                if start > i {
                    i = start;
                }
                continue;
            }
            w += c.adv;
            if can_break_after(i) {
                last_break = Some(i + 1);
            }
            i += 1;
        }
        if start < chars.len() || lines.is_empty() || chars.last().is_some_and(|c| c.ch == '\n') {
            lines.push(Line {
                range: start..chars.len(),
                width: trimmed(start..chars.len()),
                last: true,
            });
        }
        lines
    }

    fn set_para(&self, p: &Para, width: f32) -> SetPara {
        let chars = self.set_chars(&p.spans);
        let text_w = (width - p.left).max(1.0);
        let lines = Fonts::break_lines(&chars, text_w, p.indent);
        let base = p
            .spans
            .iter()
            .map(|s| s.style.size)
            .fold(0.0_f32, f32::max)
            .max(1.0);
        let mut out = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            let size = chars[line.range.clone()]
                .iter()
                .map(|c| c.style.size)
                .fold(0.0_f32, f32::max);
            let size = if size > 0.0 { size } else { base };
            let ascent = ASCENT * size;
            let indent = if n == 0 { p.indent } else { 0.0 };
            let avail = text_w - indent;
            let x = p.left
                + indent
                + match p.align {
                    Align::Left => 0.0,
                    Align::Center => ((avail - line.width) / 2.0).max(0.0),
                    Align::Right => (avail - line.width).max(0.0),
                };
            // Trailing spaces are not drawn.
            let mut end = line.range.end;
            while end > line.range.start && chars[end - 1].ch == ' ' {
                end -= 1;
            }
            let run = &chars[line.range.start..end];
            let extra = if p.justify && !line.last && run.len() > 1 {
                let e = (avail - line.width) / (run.len() - 1) as f32;
                if e > 0.0 && e < 0.6 * base { e } else { 0.0 }
            } else {
                0.0
            };
            let mut items = Vec::new();
            if n == 0
                && let Some(m) = &p.marker
            {
                let mc = self.set_chars(std::slice::from_ref(m));
                let mw: f32 = mc.iter().map(|c| c.adv).sum();
                let mx = (p.left - mw - 0.4 * m.style.size).max(0.0);
                runs(&mc, mx, ascent, 0.0, &mut items);
            }
            runs(run, x, ascent, extra, &mut items);
            out.push((items, ascent));
        }
        SetPara { lines: out }
    }
}

/// Draw characters from `x` on the baseline `y` as runs of one face, size and ink.
fn runs(chars: &[Set], mut x: f32, y: f32, extra: f32, out: &mut Vec<Item>) {
    let mut i = 0;
    while i < chars.len() {
        let c = &chars[i];
        let Some(face) = c.face.clone() else {
            x += c.adv + extra;
            i += 1;
            continue;
        };
        let mut text = String::new();
        let mut glyphs = Vec::new();
        let x0 = x;
        let mut j = i;
        while j < chars.len() {
            let d = &chars[j];
            let same = d.face.as_ref().is_some_and(|f| f.same(&face))
                && d.style.size == c.style.size
                && d.style.grey == c.style.grey;
            if !same {
                break;
            }
            let start = text.len();
            text.push(d.ch);
            let adv = d.adv + if j + 1 < chars.len() { extra } else { 0.0 };
            glyphs.push(Glyph {
                id: d.gid,
                adv,
                range: start..text.len(),
            });
            x += adv;
            j += 1;
        }
        out.push(Item::Text {
            x: x0,
            y,
            face,
            size: c.style.size,
            grey: c.style.grey,
            text,
            glyphs,
        });
        i = j;
    }
}

// ---------------------------------------------------------------------------------------------
// Chunks: the unbreakable vertical pieces a flow of blocks is made of
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Default)]
struct Chunk {
    /// Space before it (ignored at the top of a page).
    gap: f32,
    h: f32,
    items: Vec<Item>,
    sticky: bool,
    anchor: Option<usize>,
    page_break: bool,
    bottom: bool,
    /// Set on a table's rows after its header: the header to repeat on a new page.
    header: Option<Arc<Chunk>>,
}

/// What the flow's chunks are made from: the fonts, and how wide the flow is.
struct Flow<'a> {
    fonts: &'a Fonts,
}

impl Flow<'_> {
    fn block_space(b: &Block) -> (f32, f32) {
        match b {
            Block::Para(p) => p.space,
            Block::Table(t) => t.space,
            Block::Frame(f) => f.space,
            Block::Steps(..) => (6.0, 6.0),
            _ => (0.0, 0.0),
        }
    }

    fn chunks(&self, blocks: &[Block], width: f32) -> Vec<Chunk> {
        let mut out: Vec<Chunk> = Vec::new();
        let mut below: Option<f32> = None;
        let mut pending_space = 0.0;
        for b in blocks {
            let (above, b_below) = Flow::block_space(b);
            let gap = match below {
                Some(prev) => prev.max(above) + pending_space,
                None => pending_space,
            };
            let mut new = self.block_chunks(b, width);
            match b {
                Block::Space(s) => {
                    pending_space += s;
                    continue;
                }
                Block::PageBreak | Block::Bottom(_) => {
                    below = None;
                }
                _ => {
                    below = Some(b_below);
                }
            }
            if let Some(first) = new.first_mut() {
                first.gap += gap;
                pending_space = 0.0;
            }
            out.extend(new);
        }
        if pending_space > 0.0 {
            out.push(Chunk {
                gap: pending_space,
                ..Chunk::default()
            });
        }
        out
    }

    fn block_chunks(&self, b: &Block, width: f32) -> Vec<Chunk> {
        match b {
            Block::Para(p) => {
                let set = self.fonts.set_para(p, width);
                let n = set.lines.len();
                let mut out = Vec::new();
                let mut prev_size: f32 = 0.0;
                for (i, (items, ascent)) in set.lines.into_iter().enumerate() {
                    let size = ascent / ASCENT;
                    let gap = if i == 0 {
                        0.0
                    } else {
                        p.leading * prev_size.max(size)
                    };
                    prev_size = size;
                    out.push(Chunk {
                        gap,
                        h: ascent,
                        items,
                        sticky: p.sticky && i + 1 == n,
                        anchor: if i == 0 { p.anchor } else { None },
                        ..Chunk::default()
                    });
                }
                // A short paragraph (up to three lines) is not split; the first of two lines
                // is not left alone at a page's foot.
                if (2..=3).contains(&n) {
                    for c in out.iter_mut().take(n - 1) {
                        c.sticky = true;
                    }
                } else if n > 3 {
                    out[0].sticky = true;
                }
                out
            }
            Block::Space(_) => Vec::new(),
            Block::Rule(t, colour) => vec![Chunk {
                h: *t,
                items: vec![Item::Rect {
                    x: 0.0,
                    y: 0.0,
                    w: width,
                    h: *t,
                    fill: Some(*colour),
                    stroke: None,
                    radius: 0.0,
                }],
                ..Chunk::default()
            }],
            Block::Table(t) => self.table_chunks(t, width),
            Block::Frame(f) => {
                let (items, h) = self.stack(&f.content, width - 2.0 * f.inset.0);
                let h = h + 2.0 * f.inset.1;
                let mut all = vec![Item::Rect {
                    x: 0.0,
                    y: 0.0,
                    w: width,
                    h,
                    fill: f.fill.map(grey),
                    stroke: f.stroke.map(|(w, l)| (w, grey(l))),
                    radius: f.radius,
                }];
                all.extend(shifted(&items, f.inset.0, f.inset.1));
                if h > PAGE_H - 2.0 * MARGIN {
                    // Too tall for any page: the content flows without its frame.
                    return self.chunks(&f.content, width);
                }
                vec![Chunk {
                    h,
                    items: all,
                    ..Chunk::default()
                }]
            }
            Block::Steps(steps, style) => self.steps_chunks(steps, *style, width),
            Block::Qr(m, size) => vec![Chunk {
                h: *size,
                items: vec![Item::Qr {
                    x: 0.0,
                    y: 0.0,
                    size: *size,
                    modules: m.clone(),
                }],
                ..Chunk::default()
            }],
            Block::PageBreak => vec![Chunk {
                page_break: true,
                ..Chunk::default()
            }],
            Block::Bottom(content) => {
                let (items, h) = self.stack_from(self.chunks(content, width), true);
                if h > PAGE_H - 2.0 * MARGIN {
                    return self.chunks(content, width);
                }
                vec![Chunk {
                    h,
                    items,
                    bottom: true,
                    ..Chunk::default()
                }]
            }
        }
    }

    /// Blocks stacked without page breaks: the items and the height.
    fn stack(&self, blocks: &[Block], width: f32) -> (Vec<Item>, f32) {
        self.stack_from(self.chunks(blocks, width), false)
    }

    /// Chunks stacked; the first one's space above is kept only with `lead`.
    fn stack_from(&self, chunks: Vec<Chunk>, lead: bool) -> (Vec<Item>, f32) {
        let mut y = 0.0;
        let mut items = Vec::new();
        for (i, c) in chunks.into_iter().enumerate() {
            if i > 0 || lead {
                y += c.gap;
            }
            items.extend(shifted(&c.items, 0.0, y));
            y += c.h;
        }
        (items, y)
    }

    fn natural_width(&self, blocks: &[Block]) -> f32 {
        blocks
            .iter()
            .map(|b| match b {
                Block::Para(p) => self.fonts.natural_width(p),
                Block::Qr(_, s) => *s,
                Block::Table(t) => t
                    .columns
                    .iter()
                    .map(|c| match c {
                        Col::Pt(p) => *p,
                        _ => 0.0,
                    })
                    .sum(),
                _ => 0.0,
            })
            .fold(0.0, f32::max)
    }

    fn steps_chunks(&self, steps: &[String], style: Style, width: f32) -> Vec<Chunk> {
        let (ix, iy) = (4.0, 3.0);
        let arrow = self.fonts.set_chars(&[span("→", style)]);
        let arrow_w: f32 = arrow.iter().map(|c| c.adv).sum::<f32>() + 6.0;
        let mut rows: Vec<(Vec<Item>, f32)> = Vec::new();
        let mut row: Vec<Item> = Vec::new();
        let mut x = 0.0;
        let mut row_h: f32 = 0.0;
        for (i, s) in steps.iter().enumerate() {
            let p = Para::text(format!("{}. {}", i + 1, s), style).leading(0.4);
            let last = i + 1 == steps.len();
            let max_w = width - 2.0 * ix - if last { 0.0 } else { arrow_w };
            let natural = self.fonts.natural_width(&p).min(max_w.max(1.0));
            let (items, h) = self.stack(&[Block::Para(p.clone())], natural + 0.5);
            // The line box holds the cap height: room below for the glyphs' descent.
            let (bw, bh) = (natural + 2.0 * ix, h + 2.0 * iy + 0.3 * style.size);
            if bh > PAGE_H - 2.0 * MARGIN {
                // A step longer than a page is set as a paragraph between the rows.
                if !row.is_empty() {
                    rows.push((std::mem::take(&mut row), row_h));
                }
                x = 0.0;
                row_h = 0.0;
                let mut chunks: Vec<(Vec<Item>, f32)> = Vec::new();
                for c in self.chunks(&[Block::Para(p)], width) {
                    chunks.push((c.items, c.h));
                }
                rows.extend(chunks);
                continue;
            }
            let need = bw + if i + 1 < steps.len() { arrow_w } else { 0.0 };
            if x > 0.0 && x + need > width {
                rows.push((std::mem::take(&mut row), row_h));
                x = 0.0;
                row_h = 0.0;
            }
            row.push(Item::Rect {
                x,
                y: 0.0,
                w: bw,
                h: bh,
                fill: None,
                stroke: Some((0.6, grey(90))),
                radius: 1.5 * MM,
            });
            row.extend(shifted(&items, x + ix, iy + 0.1 * style.size));
            x += bw;
            row_h = row_h.max(bh);
            if i + 1 < steps.len() {
                runs(
                    &arrow,
                    x + 3.0,
                    iy + (ASCENT + 0.1) * style.size,
                    0.0,
                    &mut row,
                );
                x += arrow_w;
            }
        }
        if !row.is_empty() {
            rows.push((row, row_h));
        }
        rows.into_iter()
            .enumerate()
            .map(|(i, (items, h))| Chunk {
                gap: if i == 0 { 0.0 } else { 6.0 },
                h,
                items,
                ..Chunk::default()
            })
            .collect()
    }

    fn table_chunks(&self, t: &Table, width: f32) -> Vec<Chunk> {
        let ncols = t.columns.len().max(1);
        let full = width + 2.0 * t.outdent;
        // Place the cells in the grid.
        let mut taken: Vec<Vec<bool>> = Vec::new();
        let mut placed: Vec<(usize, usize, &Cell)> = Vec::new();
        let (mut r, mut c) = (0usize, 0usize);
        for cell in &t.cells {
            let span = cell.colspan.min(ncols);
            loop {
                if c + span > ncols {
                    r += 1;
                    c = 0;
                }
                while taken.len() <= r + cell.rowspan {
                    taken.push(vec![false; ncols]);
                }
                if (c..c + span).all(|k| !taken[r][k]) {
                    break;
                }
                c += 1;
            }
            for row in &mut taken[r..r + cell.rowspan] {
                row[c..c + span].fill(true);
            }
            placed.push((r, c, cell));
            c += span;
        }
        let nrows = placed
            .iter()
            .map(|(r, _, cell)| r + cell.rowspan)
            .max()
            .unwrap_or(0);
        // Column widths.
        let gutters = t.gutter * (ncols - 1) as f32;
        let mut widths = vec![0.0_f32; ncols];
        let fixed: f32 = t
            .columns
            .iter()
            .map(|c| if let Col::Pt(p) = c { *p } else { 0.0 })
            .sum();
        for (k, col) in t.columns.iter().enumerate() {
            match col {
                Col::Pt(p) => widths[k] = *p,
                Col::Auto => {
                    widths[k] = placed
                        .iter()
                        .filter(|(_, cc, cell)| *cc == k && cell.colspan == 1)
                        .map(|(_, _, cell)| {
                            self.natural_width(&cell.content) + 2.0 * t.inset.0 + 0.5
                        })
                        .fold(0.0, f32::max)
                }
                Col::Fr(_) => {}
            }
        }
        let auto: f32 = t
            .columns
            .iter()
            .zip(&widths)
            .filter(|(c, _)| matches!(c, Col::Auto))
            .map(|(_, w)| *w)
            .sum();
        let frs: f32 = t
            .columns
            .iter()
            .map(|c| if let Col::Fr(f) = c { *f } else { 0.0 })
            .sum();
        let room = (full - gutters - fixed).max(0.0);
        // Automatic columns take what they need, leaving fractional ones at least a third.
        let auto_room = if frs > 0.0 { room * 2.0 / 3.0 } else { room };
        let scale = if auto > auto_room && auto > 0.0 {
            auto_room / auto
        } else {
            1.0
        };
        let left = room - auto * scale;
        for (k, col) in t.columns.iter().enumerate() {
            match col {
                Col::Auto => widths[k] *= scale,
                Col::Fr(f) if frs > 0.0 => widths[k] = left * f / frs,
                _ => {}
            }
        }
        let mut xs = vec![0.0_f32; ncols + 1];
        for k in 0..ncols {
            xs[k + 1] = xs[k] + widths[k] + t.gutter;
        }
        let span_w = |c: usize, n: usize| xs[c + n] - xs[c] - t.gutter;
        // Lay out every cell's content, then the rows' heights.
        let laid: Vec<(Vec<Item>, f32)> = placed
            .iter()
            .map(|(_, c, cell)| {
                let w = span_w(*c, cell.colspan.min(ncols - c)) - 2.0 * t.inset.0;
                self.stack(&cell.content, w.max(1.0))
            })
            .collect();
        let mut heights = vec![0.0_f32; nrows];
        for ((r, _, cell), (_, h)) in placed.iter().zip(&laid) {
            if cell.rowspan == 1 {
                heights[*r] = heights[*r].max(h + 2.0 * t.inset.1);
            }
        }
        for ((r, _, cell), (_, h)) in placed.iter().zip(&laid) {
            if cell.rowspan > 1 {
                let end = (r + cell.rowspan).min(nrows);
                let have: f32 = heights[*r..end].iter().sum();
                let need = h + 2.0 * t.inset.1;
                if need > have {
                    heights[end - 1] += need - have;
                }
            }
        }
        let mut ys = vec![0.0_f32; nrows + 1];
        for k in 0..nrows {
            ys[k + 1] = ys[k] + heights[k];
        }
        // Row groups: rows joined by cells spanning them.
        let mut groups: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        while start < nrows {
            let mut end = start + 1;
            let mut k = start;
            while k < end {
                for (r, _, cell) in &placed {
                    if *r == k {
                        end = end.max((r + cell.rowspan).min(nrows));
                    }
                }
                k += 1;
            }
            if start < t.header_rows {
                end = end.max(t.header_rows.min(nrows));
            }
            groups.push(start..end);
            start = end;
        }
        let stroke = t.stroke.map(|w| (w, grey(110)));
        let mut out: Vec<Chunk> = Vec::new();
        let mut header: Option<Arc<Chunk>> = None;
        for g in groups {
            let top = ys[g.start];
            if ys[g.end] - top > PAGE_H - 2.0 * MARGIN {
                // Taller than any page: the cells' content flows, one after another.
                for (_, _, cell) in placed.iter().filter(|(r, ..)| g.contains(r)) {
                    out.extend(self.chunks(&cell.content, width));
                }
                continue;
            }
            let mut items = Vec::new();
            for ((r, c, cell), (content, h)) in placed.iter().zip(&laid) {
                if !g.contains(r) {
                    continue;
                }
                let n = cell.colspan.min(ncols - c);
                let x = xs[*c] - t.outdent;
                let y = ys[*r] - top;
                let w = span_w(*c, n);
                let ch = ys[(r + cell.rowspan).min(nrows)] - ys[*r];
                if cell.fill.is_some() || stroke.is_some() {
                    items.push(Item::Rect {
                        x,
                        y,
                        w,
                        h: ch,
                        fill: cell.fill.map(grey),
                        stroke,
                        radius: 0.0,
                    });
                }
                let dy = match cell.valign {
                    VAlign::Top => t.inset.1,
                    VAlign::Middle => ((ch - h) / 2.0).max(t.inset.1),
                };
                items.extend(shifted(content, x + t.inset.0, y + dy));
            }
            let chunk = Chunk {
                h: ys[g.end] - top,
                items,
                header: header.clone(),
                ..Chunk::default()
            };
            if g.start == 0 && t.header_rows > 0 {
                let mut hc = chunk.clone();
                hc.header = None;
                header = Some(Arc::new(hc));
                out.push(Chunk {
                    sticky: true,
                    ..chunk
                });
            } else {
                out.push(chunk);
            }
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/// A document set into pages.
pub(crate) struct Typeset {
    pages: Vec<Vec<Item>>,
    /// The page (from 0) of each anchor.
    pub anchors: Vec<usize>,
    title: String,
    /// The lowest point any block reached on its page (the footer aside).
    #[cfg_attr(not(test), allow(dead_code))]
    pub deepest: f32,
}

impl Typeset {
    #[cfg(test)]
    pub(crate) fn page_count(&self) -> usize {
        self.pages.len()
    }
}

impl Fonts {
    pub(crate) fn typeset(&self, doc: &Doc) -> Typeset {
        let flow = Flow { fonts: self };
        let width = PAGE_W - 2.0 * MARGIN;
        let (top, bottom) = (MARGIN, PAGE_H - MARGIN);
        let chunks = flow.chunks(&doc.blocks, width);
        let mut pages: Vec<Vec<Item>> = vec![Vec::new()];
        let mut anchors: Vec<(usize, usize)> = Vec::new();
        let mut y = top;
        let mut at_top = true;
        let mut deepest: f32 = 0.0;
        let mut i = 0;
        while i < chunks.len() {
            let c = &chunks[i];
            if c.page_break {
                pages.push(Vec::new());
                y = top;
                at_top = true;
                i += 1;
                continue;
            }
            let gap = if at_top { 0.0 } else { c.gap };
            if c.h == 0.0 && c.items.is_empty() && !c.bottom {
                // Space with nothing after it on the page: never the cause of a new page.
                y = (y + gap).min(bottom);
                i += 1;
                continue;
            }
            if c.bottom {
                let fits = y + gap + c.h <= bottom + 0.01;
                if !fits && !at_top {
                    pages.push(Vec::new());
                }
                let y0 = (bottom - c.h).max(top);
                deepest = deepest.max(y0 + c.h);
                if let Some(p) = pages.last_mut() {
                    p.extend(shifted(&c.items, MARGIN, y0));
                }
                y = bottom;
                at_top = false;
                i += 1;
                continue;
            }
            // The height this chunk needs here: itself, and what must stay with it.
            let mut need = gap + c.h;
            let mut k = i;
            while chunks[k].sticky && k + 1 < chunks.len() && !chunks[k + 1].page_break {
                k += 1;
                need += chunks[k].gap + chunks[k].h;
                if need > bottom - top {
                    break;
                }
            }
            if !at_top && y + need > bottom + 0.01 {
                pages.push(Vec::new());
                y = top;
                at_top = true;
                if let Some(h) = &c.header
                    && h.h + c.h <= bottom - top
                {
                    if let Some(p) = pages.last_mut() {
                        p.extend(shifted(&h.items, MARGIN, y));
                    }
                    y += h.h;
                    at_top = false;
                }
                continue;
            }
            let gap = if at_top { 0.0 } else { c.gap };
            y += gap;
            if let Some(a) = c.anchor {
                anchors.push((a, pages.len() - 1));
            }
            if let Some(p) = pages.last_mut() {
                p.extend(shifted(&c.items, MARGIN, y));
            }
            y += c.h;
            deepest = deepest.max(y);
            at_top = false;
            i += 1;
        }
        // Footers.
        let total = pages.len();
        let style = Style::sans(8.0).grey(80);
        for (n, page) in pages.iter_mut().enumerate() {
            let left = Para::text(doc.footer.clone(), style);
            let right = Para::text(format!("第 {} 页 / 共 {} 页", n + 1, total), style);
            let t = Table {
                stroke: None,
                inset: (0.0, 0.0),
                gutter: 8.0,
                ..Table::new(
                    vec![Col::Fr(1.0), Col::Auto],
                    vec![Cell::para(left).top(), Cell::para(right).top()],
                )
            };
            let (items, _) = flow.stack(&[Block::Table(t)], width);
            page.extend(shifted(&items, MARGIN, PAGE_H - MARGIN + 9.0 * MM));
        }
        let n = anchors.iter().map(|(a, _)| a + 1).max().unwrap_or(0);
        let mut pages_of = vec![0; n];
        for (a, p) in anchors {
            pages_of[a] = p;
        }
        Typeset {
            pages,
            anchors: pages_of,
            title: doc.title.clone(),
            deepest,
        }
    }
}

impl Face {
    fn same(&self, other: &Face) -> bool {
        self.pdf == other.pdf
    }
}

mod draw;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
