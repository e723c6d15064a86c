//! Printed output of Gongkai: PDF documents set by a small typesetter of its own
//! ([`layout`](crate::layout)) and written with `krilla`, which embeds subsets of the fonts.
//!
//! One mechanism for every kind of document: a builder turns the document's data into blocks
//! (paragraphs, tables, framed boxes, a QR code) in the shared look of [`styles`]; the
//! typesetter breaks them into lines and A4 pages and draws them. User text only ever becomes
//! text: it is never parsed as markup of any kind.
//!
//! Fonts are found at run time in a folder (by default `/usr/share/fonts`, where Debian's
//! `fonts-noto-cjk` installs Noto Serif/Sans CJK); a [`Renderer`] indexes them once and is
//! shared. Rendering is CPU-bound: call it from `spawn_blocking` in async code.

mod annual;
mod briefing;
mod docx;
mod fonts;
mod layout;
mod notice;
mod services;
mod styles;
pub mod svg;
pub mod text;

use std::path::{Path, PathBuf};

pub use annual::{
    GridReport, annual_report_docx, annual_report_from_grid, annual_report_xlsx,
    intro as annual_report_intro,
};
pub use briefing::{Briefing, briefing_docx};
pub use docx::case_notice_docx;
pub use notice::{CaseNotice, ItemNotice, Receipt, Withdrawal, qr_svg};
pub use services::{ServiceCard, ServiceGuide, ServiceHandbook};
pub use text::{Block, markdown_blocks};

use crate::fonts::{Family, Fonts};

/// Where fonts are looked for unless configured otherwise.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("未找到中文字体，请安装 fonts-noto-cjk（已查找字体目录 {0}）")]
    NoCjkFont(String),
    #[error("PDF 生成失败：{0}")]
    Pdf(String),
    #[error("文书数据无效：{0}")]
    Data(String),
}

/// Renders documents. Create it once (it indexes the fonts) and share it (`Arc`).
pub struct Renderer {
    fonts: Fonts,
    font_dir: PathBuf,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("font_dir", &self.font_dir)
            .field("faces", &self.fonts.len())
            .field("serif", &self.fonts.serif)
            .field("sans", &self.fonts.sans)
            .finish()
    }
}

impl Renderer {
    /// Index the fonts under `font_dir`. Fails (with a message naming `fonts-noto-cjk`) when
    /// none of them can set Chinese text.
    pub fn new(font_dir: impl AsRef<Path>) -> Result<Renderer, ReportError> {
        let font_dir = font_dir.as_ref().to_path_buf();
        let fonts = Fonts::scan(&font_dir)?;
        Ok(Renderer { fonts, font_dir })
    }

    /// A line for the log: the folder, the number of faces and the families used.
    pub fn describe(&self) -> String {
        format!(
            "{}：{} 个字体，正文 {}，标题/表格 {}，等宽 {}",
            self.font_dir.display(),
            self.fonts.len(),
            self.fonts.serif,
            self.fonts.sans,
            self.fonts.mono
        )
    }

    /// Whether the regular and bold faces of the serif and sans families could be loaded.
    pub fn has_faces(&self) -> bool {
        [Family::Serif, Family::Sans]
            .into_iter()
            .all(|f| self.fonts.face(f, false).is_some() && self.fonts.face(f, true).is_some())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
