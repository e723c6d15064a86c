//! Printed output of Gongkai: PDF documents made with typst used as a library.
//!
//! One mechanism for every kind of document: a typst [`Template`] (a source string compiled
//! into the binary) and structured data, serialised to JSON and read by the template as
//! `/data.json`, plus binary [`Asset`]s (for example a QR code). User text therefore only ever
//! reaches typst as JSON strings, which typst sets as plain text — it is never parsed as markup.
//! Templates share `/gongkai.typ` (page set-up, fonts, tables, text blocks).
//!
//! Fonts are found at run time in a folder (by default `/usr/share/fonts`, where Debian's
//! `fonts-noto-cjk` installs Noto Serif/Sans CJK); a [`Renderer`] indexes them once and is
//! shared. Rendering is CPU-bound: call it from `spawn_blocking` in async code.

mod annual;
mod briefing;
mod docx;
mod fonts;
mod notice;
mod services;
pub mod svg;
pub mod text;
mod world;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;
use typst::diag::{Severity, SourceDiagnostic};
use typst::foundations::{Bytes, Dict, Str, Value};
use typst::syntax::Source;
use typst::text::FontBook;
use typst::utils::LazyHash;
use typst::{Library, LibraryExt};
use typst_layout::PagedDocument;

pub use annual::{
    GridReport, annual_report_docx, annual_report_from_grid, annual_report_xlsx,
    intro as annual_report_intro,
};
pub use briefing::{Briefing, briefing_docx};
pub use docx::case_notice_docx;
pub use notice::{CaseNotice, ItemNotice, Receipt, Withdrawal, qr_svg};
pub use services::{ServiceCard, ServiceGuide, ServiceHandbook};
pub use text::{Block, markdown_blocks};

use crate::fonts::Fonts;
use crate::world::{RenderWorld, file_id};

/// Where fonts are looked for unless configured otherwise.
pub const DEFAULT_FONT_DIR: &str = "/usr/share/fonts";

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("未找到中文字体，请安装 fonts-noto-cjk（已查找字体目录 {0}）")]
    NoCjkFont(String),
    #[error("文书模板 {template} 排版失败：{message}")]
    Template {
        template: &'static str,
        message: String,
    },
    #[error("PDF 生成失败：{0}")]
    Pdf(String),
    #[error("文书数据无效：{0}")]
    Data(String),
}

/// A kind of document: its name (in messages) and its typst source.
#[derive(Debug, Clone, Copy)]
pub struct Template {
    pub name: &'static str,
    pub source: &'static str,
}

/// The templates compiled into the binary.
pub mod templates {
    use super::Template;

    /// Shared by every template, imported as `/gongkai.typ`.
    pub(crate) const SHARED: &str = include_str!("../templates/gongkai.typ");

    /// A formal notice of an application case (see [`crate::CaseNotice`]).
    pub const CASE_NOTICE: Template = Template {
        name: "case_notice",
        source: include_str!("../templates/case_notice.typ"),
    };

    /// 政府信息公开工作年度报告 (see [`crate::Renderer::annual_report_pdf`]).
    pub const ANNUAL_REPORT: Template = Template {
        name: "annual_report",
        source: include_str!("../templates/annual_report.typ"),
    };

    /// 明白卡 of a service item (see [`crate::ServiceCard`]).
    pub const SERVICE_CARD: Template = Template {
        name: "service_card",
        source: include_str!("../templates/service_card.typ"),
    };

    /// 便民手册 of a body's service items (see [`crate::ServiceHandbook`]).
    pub const SERVICE_HANDBOOK: Template = Template {
        name: "service_handbook",
        source: include_str!("../templates/service_handbook.typ"),
    };

    /// 政务公开工作简报 (see [`crate::Briefing`]).
    pub const BRIEFING: Template = Template {
        name: "briefing",
        source: include_str!("../templates/briefing.typ"),
    };

    /// 政府信息公示单 (see [`crate::ItemNotice`]).
    pub const ITEM_NOTICE: Template = Template {
        name: "item_notice",
        source: include_str!("../templates/item_notice.typ"),
    };
}

/// A binary file a template can read as `/assets/{name}`.
#[derive(Debug, Clone)]
pub struct Asset {
    /// A plain file name (letters, digits, `.`, `-`, `_`).
    pub name: &'static str,
    pub bytes: Vec<u8>,
}

/// Renders documents. Create it once (it indexes the fonts) and share it (`Arc`).
pub struct Renderer {
    library: LazyHash<Library>,
    book: LazyHash<FontBook>,
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
        let inputs: Dict = [
            ("serif", fonts.serif.as_str()),
            ("sans", fonts.sans.as_str()),
            ("mono", fonts.mono.as_str()),
        ]
        .into_iter()
        .map(|(k, v)| (Str::from(k), Value::Str(Str::from(v))))
        .collect();
        let library = Library::builder().with_inputs(inputs).build();
        Ok(Renderer {
            library: LazyHash::new(library),
            book: LazyHash::new(fonts.book.clone()),
            fonts,
            font_dir,
        })
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

    /// Render `template` with `data` (available to it as `/data.json`) and `assets` to PDF.
    pub fn render<T: Serialize>(
        &self,
        template: &Template,
        data: &T,
        assets: &[Asset],
    ) -> Result<Vec<u8>, ReportError> {
        let doc = self.compile(template, data, assets)?.0;
        let pdf = typst_pdf::pdf(&doc, &typst_pdf::PdfOptions::default())
            .map_err(|errors| ReportError::Pdf(messages(&errors)));
        // typst memoises across compilations; keep the cache from growing without bound.
        typst::comemo::evict(10);
        pdf
    }

    /// Lay out a document; also returns typst's warnings (for tests and logs).
    pub(crate) fn compile<T: Serialize>(
        &self,
        template: &Template,
        data: &T,
        assets: &[Asset],
    ) -> Result<(PagedDocument, Vec<String>), ReportError> {
        let id = |path: &str| {
            file_id(path).ok_or_else(|| ReportError::Data(format!("无效的文件名：{path}")))
        };
        let json = serde_json::to_vec(data).map_err(|e| ReportError::Data(e.to_string()))?;
        let mut files = HashMap::new();
        files.insert(id("/data.json")?, Bytes::new(json));
        for a in assets {
            if a.name.is_empty()
                || !a
                    .name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            {
                return Err(ReportError::Data(format!("无效的附属文件名：{}", a.name)));
            }
            files.insert(
                id(&format!("/assets/{}", a.name))?,
                Bytes::new(a.bytes.clone()),
            );
        }
        let shared = id("/gongkai.typ")?;
        let world = RenderWorld {
            library: &self.library,
            book: &self.book,
            fonts: &self.fonts,
            main: Source::new(id("/main.typ")?, template.source.to_string()),
            sources: HashMap::from([(shared, Source::new(shared, templates::SHARED.into()))]),
            files,
        };
        let warned = typst::compile::<PagedDocument>(&world);
        let warnings: Vec<String> = warned
            .warnings
            .iter()
            .map(|w| w.message.to_string())
            .collect();
        for w in &warnings {
            tracing::warn!(template = template.name, warning = %w, "typst warning");
        }
        let doc = warned.output.map_err(|errors| ReportError::Template {
            template: template.name,
            message: messages(&errors),
        })?;
        Ok((doc, warnings))
    }
}

fn messages(diags: &[SourceDiagnostic]) -> String {
    diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .map(|d| {
            let mut m = d.message.to_string();
            for h in &d.hints {
                m.push('（');
                m.push_str(&h.v);
                m.push('）');
            }
            m
        })
        .collect::<Vec<_>>()
        .join("；")
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests;
