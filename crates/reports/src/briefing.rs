//! 政务公开工作简报 as PDF and DOCX: the title, the body and date, then the edited text
//! reduced to blocks by [`crate::markdown_blocks`] (headings in 黑体, paragraphs in 仿宋 with the
//! first line indented two characters). User text is placed as text only.

use std::io::Cursor;

use docx_rs::{AlignmentType, Docx, PageMargin, Paragraph, Run, RunFonts};
use serde::Serialize;

use crate::layout::{Block as Print, Style};
use crate::styles::{centred, doc, space, text_blocks};
use crate::{Block, Renderer, ReportError, markdown_blocks};

/// A briefing as printed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Briefing {
    pub site_name: String,
    pub title: String,
    pub body_name: String,
    pub date: String,
    /// 内部资料 or empty (printed in the footer).
    pub note: String,
    pub text: Vec<Block>,
}

impl Briefing {
    pub fn new(
        site_name: &str,
        title: &str,
        body_name: &str,
        date: &str,
        internal: bool,
        md: &str,
    ) -> Briefing {
        Briefing {
            site_name: site_name.into(),
            title: title.into(),
            body_name: body_name.into(),
            date: date.into(),
            note: if internal {
                "内部资料，注意保存".into()
            } else {
                String::new()
            },
            text: markdown_blocks(md),
        }
    }
}

impl Renderer {
    /// The briefing as PDF.
    pub fn briefing_pdf(&self, b: &Briefing) -> Result<Vec<u8>, ReportError> {
        let mut blocks = vec![
            space(4.0),
            centred(b.title.clone(), Style::serif(20.0).bold()),
            space(2.0),
            centred(format!("{}　{}", b.body_name, b.date), Style::serif(11.0)),
            space(2.0),
            Print::Rule(1.2, (0xb3, 0x12, 0x1b)),
            space(4.0),
        ];
        blocks.extend(text_blocks(&b.text));
        self.pdf(&doc(&b.title, &b.site_name, &b.note, blocks))
    }
}

/// Half-points: 三号 text, 二号 title, 小三 headings.
const TEXT_SIZE: usize = 32;
const TITLE_SIZE: usize = 44;
const HEADING_SIZE: usize = 30;

/// The briefing as a DOCX file.
pub fn briefing_docx(b: &Briefing) -> Result<Vec<u8>, ReportError> {
    let title_font = RunFonts::new()
        .east_asia("方正小标宋简体")
        .ascii("Times New Roman");
    let heading_font = RunFonts::new().east_asia("黑体").ascii("Times New Roman");
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(2098)
                .bottom(1984)
                .left(1588)
                .right(1474),
        )
        .default_fonts(
            RunFonts::new()
                .east_asia("仿宋_GB2312")
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman"),
        )
        .default_size(TEXT_SIZE)
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(&b.title)
                    .size(TITLE_SIZE)
                    .fonts(title_font),
            ),
        )
        .add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Center)
                .add_run(Run::new().add_text(format!("{}　{}", b.body_name, b.date))),
        )
        .add_paragraph(Paragraph::new());
    for block in &b.text {
        doc = match block {
            Block::Heading { text, .. } => doc.add_paragraph(
                Paragraph::new().add_run(
                    Run::new()
                        .add_text(text)
                        .size(HEADING_SIZE)
                        .fonts(heading_font.clone()),
                ),
            ),
            Block::Paragraph { text } | Block::Code { text } => doc.add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text(text.replace('\n', " ")))
                    .first_line_chars(200),
            ),
            Block::Item { marker, text, .. } => doc.add_paragraph(
                Paragraph::new()
                    .add_run(Run::new().add_text(format!("{marker} {text}")))
                    .first_line_chars(200),
            ),
            Block::Table { rows, .. } => rows.iter().fold(doc, |d, r| {
                d.add_paragraph(Paragraph::new().add_run(Run::new().add_text(r.join("　"))))
            }),
        };
    }
    if !b.note.is_empty() {
        doc = doc.add_paragraph(Paragraph::new()).add_paragraph(
            Paragraph::new()
                .align(AlignmentType::Right)
                .add_run(Run::new().add_text(&b.note).size(24)),
        );
    }
    let mut buf = Cursor::new(Vec::new());
    doc.build()
        .pack(&mut buf)
        .map_err(|e| ReportError::Data(format!("无法生成DOCX：{e}")))?;
    Ok(buf.into_inner())
}
