//! 政府信息公示单: the printable A4 notice of one item, for notice boards (公示栏, 流动公开栏),
//! with a QR code of its verification link.

use serde::Serialize;

use crate::text::Block;
use crate::{Asset, Renderer, ReportError, templates};

/// Everything printed on an item's notice. Times and dates are given already formatted.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ItemNotice {
    /// The site's name (page header and footer).
    pub site_name: String,
    /// 发布机构.
    pub body_name: String,
    pub title: String,
    /// 索引号.
    pub index_no: String,
    /// 发文字号.
    pub doc_no: String,
    /// 成文日期.
    pub written_on: String,
    /// 发布日期.
    pub published_on: String,
    /// 有效性 (有效 / 失效 / 废止).
    pub validity: String,
    /// A line shown above the text when the item is no longer in force (empty otherwise).
    pub validity_note: String,
    /// 内容概述 (may be empty).
    pub summary: String,
    /// The text (see [`crate::markdown_blocks`]). Not printed for withdrawn items.
    pub text: Vec<Block>,
    /// Set when the item was withdrawn: the notice then says 已撤回 with the reason, no content.
    pub withdrawn: Option<Withdrawal>,
    /// The ledger entry the QR code verifies (the publication, or the withdrawal).
    pub receipt: Option<Receipt>,
    /// The verification link encoded in the QR code and printed beside it.
    pub verify_url: String,
    /// When the notice was printed (footer).
    pub printed_at: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Withdrawal {
    pub at: String,
    pub reason: String,
}

/// A ledger entry: its sequence number, time and content hash.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Receipt {
    pub seq: i64,
    pub at: String,
    pub content_hash: String,
}

/// A QR code of `data` as SVG (error correction level M, with its quiet zone).
pub fn qr_svg(data: &str) -> Result<String, ReportError> {
    let code = qrcode::QrCode::with_error_correction_level(data.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| ReportError::Data(format!("无法生成二维码：{e}")))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(240, 240)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// A formal letter of an application case, from the body to the applicant (or a consulted
/// third party).
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseNotice {
    pub site_name: String,
    pub body_name: String,
    /// 政府信息公开申请答复告知书, 补正告知书 …
    pub title: String,
    /// The case number line.
    pub number: String,
    pub addressee: String,
    pub paragraphs: Vec<String>,
    /// Legal articles cited.
    pub basis: String,
    /// The appeal routes (every reply states them).
    pub appeal: String,
    pub date: String,
    pub contact: String,
}

impl Renderer {
    /// A formal notice of an application case as PDF.
    pub fn case_notice_pdf(&self, notice: &CaseNotice) -> Result<Vec<u8>, ReportError> {
        self.render(&templates::CASE_NOTICE, notice, &[])
    }

    /// The notice of one item as PDF.
    pub fn item_notice_pdf(&self, notice: &ItemNotice) -> Result<Vec<u8>, ReportError> {
        let mut notice = notice.clone();
        if notice.withdrawn.is_some() {
            notice.text.clear();
            notice.summary.clear();
        }
        let qr = qr_svg(&notice.verify_url)?;
        self.render(
            &templates::ITEM_NOTICE,
            &notice,
            &[Asset {
                name: "qr.svg",
                bytes: qr.into_bytes(),
            }],
        )
    }
}
