//! The formal notices of an application case as Word documents (DOCX), for offices that finish
//! or print letters in a word processor. The same [`CaseNotice`] as the PDF, laid out as a letter:
//! body name and title centred, the case number, the addressee, the paragraphs (first line
//! indented two characters), the legal basis, the appeal routes, the signature and date.
//! Text goes into runs as plain text (the writer escapes it as XML).

use std::io::Cursor;

use docx_rs::{AlignmentType, Docx, PageMargin, Paragraph, Run, RunFonts};

use crate::{CaseNotice, ReportError};

/// Half-points: 三号 (16 pt) for the text, 二号 (22 pt) for the title.
const TEXT_SIZE: usize = 32;
const TITLE_SIZE: usize = 44;
const SMALL_SIZE: usize = 24;

fn line(text: &str, size: usize) -> Paragraph {
    Paragraph::new().add_run(Run::new().add_text(text).size(size))
}

fn indented(text: &str) -> Paragraph {
    line(text, TEXT_SIZE).first_line_chars(200)
}

/// A case notice as a DOCX file.
pub fn case_notice_docx(n: &CaseNotice) -> Result<Vec<u8>, ReportError> {
    let title_font = RunFonts::new().east_asia("宋体").ascii("Times New Roman");
    let mut doc = Docx::new()
        // A4, margins 37/35/28/26 mm as in GB/T 9704 (党政机关公文格式), in twips.
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
                .east_asia("仿宋")
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman"),
        )
        .default_size(TEXT_SIZE)
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(&n.body_name)
                    .size(TITLE_SIZE)
                    .bold()
                    .fonts(title_font.clone()),
            ),
        )
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(&n.title)
                    .size(TITLE_SIZE)
                    .bold()
                    .fonts(title_font),
            ),
        )
        .add_paragraph(line(&n.number, SMALL_SIZE).align(AlignmentType::Center))
        .add_paragraph(Paragraph::new())
        .add_paragraph(line(&format!("{}：", n.addressee), TEXT_SIZE));
    for p in &n.paragraphs {
        doc = doc.add_paragraph(indented(p));
    }
    if !n.basis.is_empty() {
        doc = doc.add_paragraph(indented(&format!("依据：{}。", n.basis)));
    }
    if !n.appeal.is_empty() {
        doc = doc.add_paragraph(indented(&n.appeal));
    }
    doc = doc
        .add_paragraph(Paragraph::new())
        .add_paragraph(Paragraph::new())
        .add_paragraph(line(&n.body_name, TEXT_SIZE).align(AlignmentType::Right))
        .add_paragraph(line(&n.date, TEXT_SIZE).align(AlignmentType::Right));
    if !n.contact.is_empty() {
        doc = doc
            .add_paragraph(Paragraph::new())
            .add_paragraph(line(&format!("联系方式：{}", n.contact), SMALL_SIZE));
    }
    let mut out = Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| ReportError::Data(format!("DOCX 生成失败：{e}")))?;
    Ok(out.into_inner())
}
