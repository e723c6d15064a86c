//! The printed service guide: the 明白卡 (one A4 page per item, for the service hall and village
//! notice boards, with a QR code of the online guide) and the 便民手册 (a booklet of a body's items
//! in force, with a contents page). The caller fills [`ServiceGuide`] from the published version.

use serde::Serialize;

use crate::{Asset, Renderer, ReportError, qr_svg, templates};

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
        let card = card.clone().fitted();
        let qr = qr_svg(&card.page_url)?;
        self.render(
            &templates::SERVICE_CARD,
            &card,
            &[Asset {
                name: "qr.svg",
                bytes: qr.into_bytes(),
            }],
        )
    }

    /// The 便民手册 as a PDF booklet.
    pub fn service_handbook_pdf(&self, book: &ServiceHandbook) -> Result<Vec<u8>, ReportError> {
        self.render(&templates::SERVICE_HANDBOOK, book, &[])
    }
}
