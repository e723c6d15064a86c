//! The printed service guide: the 明白卡 (one A4 page per item, for the service hall and village
//! notice boards, with a QR code of the online guide) and the 便民手册 (a booklet of a body's items
//! in force, with a contents page). The caller fills [`ServiceGuide`] from the published version.

use serde::Serialize;

use crate::layout::{Align, Block, Cell, Col, Doc, Para, Style, Table, span};
use crate::styles::{
    band, body, centred, doc, heading, plain, service_blocks, small, space, verify_box,
};
use crate::{Renderer, ReportError};

/// One item's guide as printed. Lists hold one entry per line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceGuide {
    pub body_name: String,
    pub code: String,
    pub name: String,
    /// 事项类型 (行政许可 …).
    pub kind: String,
    /// E.g. 「已于2026-03-01取消」; empty for an item in force.
    pub status_note: String,
    /// (label, value) rows: 法定办结时限, 承诺办结时限, 服务对象, 办理地点, 办理时间, 网上办理,
    /// 咨询电话, 监督投诉电话.
    pub facts: Vec<(String, String)>,
    pub conditions: Vec<String>,
    pub materials: Vec<String>,
    pub procedure: Vec<String>,
    /// "收费项目：标准（依据）" lines; empty when free.
    pub fees: Vec<String>,
    pub basis: Vec<String>,
    /// A closing line (the card's "……共 N 项，扫码查看").
    pub more: String,
}

/// The 明白卡 of one item.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceCard {
    pub site_name: String,
    pub item: ServiceGuide,
    /// The online guide, in the QR code and printed beside it.
    pub page_url: String,
    pub printed_on: String,
}

/// The 便民手册 of a body (or of a service hall's bodies).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ServiceHandbook {
    pub site_name: String,
    pub title: String,
    pub body_name: String,
    pub printed_on: String,
    pub items: Vec<ServiceGuide>,
}

/// How much of each list one A4 card holds.
const CARD_LIMITS: [(usize, usize); 4] = [(4, 90), (10, 60), (8, 24), (3, 90)];

/// Shorten a list to `n` entries of at most `chars` characters; whether anything was cut.
fn fit(list: &mut Vec<String>, n: usize, chars: usize) -> bool {
    let mut cut = list.len() > n;
    list.truncate(n);
    for s in list.iter_mut() {
        if s.chars().count() > chars {
            *s = s.chars().take(chars - 1).collect::<String>() + "…";
            cut = true;
        }
    }
    cut
}

impl ServiceCard {
    /// Fit the guide on one page: long lists are shortened, and the card then ends with
    /// "……共 N 项，扫码查看完整内容" (N the materials of the whole guide).
    pub fn fitted(mut self) -> ServiceCard {
        let total = self.item.materials.len();
        let g = &mut self.item;
        let mut cut = false;
        for (list, (n, chars)) in [
            &mut g.conditions,
            &mut g.materials,
            &mut g.procedure,
            &mut g.basis,
        ]
        .into_iter()
        .zip(CARD_LIMITS)
        {
            cut |= fit(list, n, chars);
        }
        cut |= fit(&mut g.fees, 3, 90);
        if cut {
            g.more = format!("……申请材料共 {total} 项，内容较多，请扫码查看完整办事指南");
        }
        self
    }
}

impl Renderer {
    /// The 明白卡 of one item as a one-page PDF.
    pub fn service_card_pdf(&self, card: &ServiceCard) -> Result<Vec<u8>, ReportError> {
        self.pdf(&service_card_doc(&card.clone().fitted())?)
    }

    /// The 便民手册 as a PDF booklet.
    pub fn service_handbook_pdf(&self, book: &ServiceHandbook) -> Result<Vec<u8>, ReportError> {
        // The contents give each item's page: set the booklet once to learn them (the contents
        // take the same room either way), then with the numbers.
        let first = self.fonts.typeset(&service_handbook_doc(book, &[]));
        self.pdf(&service_handbook_doc(book, &first.anchors))
    }
}

/// The 明白卡: the band, the name, the code and kind, the guide, and the QR box at the foot.
pub(crate) fn service_card_doc(card: &ServiceCard) -> Result<Doc, ReportError> {
    let item = &card.item;
    let mut blocks = band(&item.body_name, "办事明白卡");
    blocks.push(space(3.0));
    blocks.push(centred(item.name.clone(), Style::serif(19.0).bold()));
    let mut line = format!("事项编码：{}　事项类型：{}", item.code, item.kind);
    if !item.status_note.is_empty() {
        line.push('　');
        line.push_str(&item.status_note);
    }
    blocks.push(space(1.0));
    blocks.push(centred(line, Style::serif(9.5).grey(60)));
    blocks.push(space(2.0));
    blocks.extend(service_blocks(item));
    blocks.push(Block::Bottom(vec![
        space(4.0),
        verify_box(
            &card.page_url,
            vec![
                small(vec![span("扫码查看完整办事指南", Style::sans(11.0).bold())]),
                small(vec![span(card.page_url.clone(), Style::serif(9.5))]),
            ],
        )?,
    ]));
    Ok(doc(
        &format!("{} 明白卡", item.name),
        &card.site_name,
        &format!("明白卡 · 打印日期：{}", card.printed_on),
        blocks,
    ))
}

/// The 便民手册: a cover, the contents (with `pages`, the page of each item from 0, once
/// known), then one section per item.
pub(crate) fn service_handbook_doc(book: &ServiceHandbook, pages: &[usize]) -> Doc {
    let mut blocks = vec![
        space(40.0),
        centred(book.title.clone(), Style::serif(26.0).bold()),
        space(8.0),
        centred(
            format!("共 {} 项政务服务事项", book.items.len()),
            Style::serif(13.0),
        ),
        Block::Bottom(vec![
            centred(book.body_name.clone(), body()),
            space(2.0),
            centred(book.printed_on.clone(), Style::serif(11.0)),
        ]),
        Block::PageBreak,
        Block::Para(heading("目　录", Style::sans(14.0).bold(), 0.0, 1.0).align(Align::Center)),
    ];
    let names: Vec<String> = book
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| format!("{}．{}", i + 1, it.name))
        .collect();
    let mut cells = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let page = pages
            .get(i)
            .map_or("00".to_string(), |p| (p + 1).to_string());
        cells.push(Cell::para(Para::text(name.clone(), body()).space(0.0, 0.0)).top());
        cells.push(Cell::para(Para::text(page, body()).align(Align::Right)).top());
    }
    blocks.push(Block::Table(Table {
        stroke: None,
        inset: (0.0, 3.0),
        gutter: 12.0,
        ..Table::new(vec![Col::Fr(1.0), Col::Pt(30.0)], cells)
    }));
    if !book.items.is_empty() {
        blocks.push(Block::PageBreak);
    }
    for (i, (item, name)) in book.items.iter().zip(names).enumerate() {
        if i > 0 {
            blocks.push(space(4.0));
        }
        blocks.push(Block::Para(
            heading(name, Style::sans(14.0).bold(), 1.4, 0.8).anchor(i),
        ));
        blocks.push(Block::Para(plain(vec![span(
            format!(
                "事项编码：{}　事项类型：{}　实施机关：{}",
                item.code, item.kind, item.body_name
            ),
            Style::serif(9.5).grey(60),
        )])));
        blocks.extend(service_blocks(item));
    }
    doc(
        &book.title,
        &book.site_name,
        &format!("便民手册 · {}", book.printed_on),
        blocks,
    )
}
