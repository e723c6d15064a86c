//! 政府信息公示单: the printable A4 notice of one item, for notice boards (公示栏, 流动公开栏),
//! with a QR code of its verification link.

use serde::Serialize;

use crate::layout::{Align, Block, Cell, Col, Doc, Frame, MM, Para, Style, Table, span};
use crate::styles::{
    band, body, centred, doc, meta_table, para, plain, small, space, text_blocks, verify_box,
};
use crate::text::Block as TextBlock;
use crate::{Renderer, ReportError};

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
    pub text: Vec<TextBlock>,
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
        self.pdf(&case_notice_doc(notice))
    }

    /// The notice of one item as PDF.
    pub fn item_notice_pdf(&self, notice: &ItemNotice) -> Result<Vec<u8>, ReportError> {
        self.pdf(&item_notice_doc(notice)?)
    }
}

/// A letter from the body: its name and the title centred, the number, the addressee, the
/// paragraphs, the basis and the appeal routes, the signature block on the right.
pub(crate) fn case_notice_doc(n: &CaseNotice) -> Doc {
    let title = Style::serif(20.0).bold();
    let mut blocks = vec![
        space(8.0),
        centred(n.body_name.clone(), Style::serif(22.0).bold()),
        space(2.0),
        centred(n.title.clone(), title),
        space(3.0),
        centred(n.number.clone(), Style::serif(11.0)),
        space(8.0),
        Block::Para(plain(vec![span(format!("{}：", n.addressee), body())])),
    ];
    blocks.extend(n.paragraphs.iter().map(|p| para(p.clone())));
    if !n.basis.is_empty() {
        blocks.push(para(format!("依据：{}。", n.basis)));
    }
    if !n.appeal.is_empty() {
        blocks.push(para(n.appeal.clone()));
    }
    blocks.push(space(14.0));
    let sign = Para::text(format!("{}\n{}", n.body_name, n.date), body())
        .align(Align::Center)
        .space(0.0, 0.0);
    blocks.push(Block::Table(Table {
        stroke: None,
        inset: (0.0, 0.0),
        space: (0.0, 0.0),
        ..Table::new(
            vec![Col::Fr(1.0), Col::Auto],
            vec![Cell::new(vec![]), Cell::para(sign)],
        )
    }));
    if !n.contact.is_empty() {
        blocks.push(space(10.0));
        blocks.push(Block::Para(plain(vec![span(
            format!("联系方式：{}", n.contact),
            Style::serif(9.5).grey(60),
        )])));
    }
    doc(&n.title, &n.site_name, "", blocks)
}

/// The 公示单: the band, the title, the facts, the text (or the withdrawal), and the
/// verification box at the foot of the last page.
pub(crate) fn item_notice_doc(notice: &ItemNotice) -> Result<Doc, ReportError> {
    let n = notice;
    let mut blocks = band(&n.site_name, "政府信息公示单");
    blocks.push(space(6.0));
    blocks.push(centred(n.title.clone(), Style::serif(22.0).bold()));
    blocks.push(space(1.0));
    blocks.push(centred(n.body_name.clone(), body()));
    blocks.push(space(5.0));
    blocks.push(meta_table(&[
        ("索引号", &n.index_no),
        ("发布机构", &n.body_name),
        ("成文日期", &n.written_on),
        ("发文字号", &n.doc_no),
        ("发布日期", &n.published_on),
        ("有效性", &n.validity),
    ]));
    blocks.push(space(4.0));
    if let Some(w) = &n.withdrawn {
        blocks.push(Block::Frame(Frame {
            content: vec![
                centred("已撤回", Style::sans(20.0).bold().tracking(0.5)),
                space(2.0),
                Block::Para(plain(vec![span(
                    format!("该信息已于 {} 撤回，内容不再公开。", w.at),
                    body(),
                )])),
                Block::Para(plain(vec![span(format!("撤回理由：{}", w.reason), body())])),
            ],
            stroke: Some((1.2, 0)),
            fill: None,
            inset: (5.0 * MM, 5.0 * MM),
            radius: 1.5 * MM,
            space: (12.0, 12.0),
        }));
    } else {
        if !n.validity_note.is_empty() {
            blocks.push(Block::Frame(Frame {
                content: vec![Block::Para(plain(vec![span(
                    n.validity_note.clone(),
                    Style::sans(10.5),
                )]))],
                stroke: Some((0.6, 0)),
                fill: None,
                inset: (3.0 * MM, 3.0 * MM),
                radius: 1.0 * MM,
                space: (12.0, 12.0),
            }));
        }
        if !n.summary.is_empty() {
            blocks.push(Block::Frame(Frame {
                content: vec![Block::Para(
                    Para::text(n.summary.clone(), Style::serif(10.5))
                        .justify()
                        .space(0.0, 0.0),
                )],
                stroke: None,
                fill: Some(244),
                inset: (4.0 * MM, 3.0 * MM),
                radius: 1.0 * MM,
                space: (12.0, 12.0),
            }));
        }
        blocks.extend(text_blocks(&n.text));
    }
    let small_st = Style::serif(9.5);
    let mut lines = vec![
        small(vec![span(
            if n.withdrawn.is_some() {
                "撤回记录"
            } else {
                "公开凭证"
            },
            Style::sans(11.0).bold(),
        )]),
        small(vec![span(format!("扫码核验：{}", n.verify_url), small_st)]),
    ];
    if let Some(r) = &n.receipt {
        lines.push(small(vec![span(
            format!("台账序号 #{}　记录时间 {}", r.seq, r.at),
            small_st,
        )]));
        lines.push(small(vec![
            span("内容哈希 ", small_st),
            span(r.content_hash.clone(), Style::mono(7.5)),
        ]));
    }
    lines.push(small(vec![span(
        "可在本网站“公开台账核验”页输入台账序号或内容哈希，核对本公示单与网上公开记录是否一致。",
        Style::serif(8.5).grey(70),
    )]));
    blocks.push(Block::Bottom(vec![
        space(6.0),
        verify_box(&n.verify_url, lines)?,
    ]));
    Ok(doc(
        &n.title,
        &n.site_name,
        &format!("打印时间：{}", n.printed_at),
        blocks,
    ))
}
