//! Drawing a typeset document into PDF with krilla.

use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::text::{GlyphId, KrillaGlyph};

use super::{Item, PAGE_H, PAGE_W, Typeset, grey};

fn colour((r, g, b): (u8, u8, u8)) -> krilla::paint::Paint {
    rgb::Color::new(r, g, b).into()
}

fn rect_path(x: f32, y: f32, w: f32, h: f32, r: f32) -> Option<krilla::geom::Path> {
    let mut pb = PathBuilder::new();
    let r = r.min(w / 2.0).min(h / 2.0).max(0.0);
    if r <= 0.0 {
        pb.push_rect(krilla::geom::Rect::from_xywh(
            x,
            y,
            w.max(0.01),
            h.max(0.01),
        )?);
    } else {
        // Four quarter circles as cubic curves.
        let k = 0.552_284_8 * r;
        pb.move_to(x + r, y);
        pb.line_to(x + w - r, y);
        pb.cubic_to(x + w - r + k, y, x + w, y + r - k, x + w, y + r);
        pb.line_to(x + w, y + h - r);
        pb.cubic_to(x + w, y + h - r + k, x + w - r + k, y + h, x + w - r, y + h);
        pb.line_to(x + r, y + h);
        pb.cubic_to(x + r - k, y + h, x, y + h - r + k, x, y + h - r);
        pb.line_to(x, y + r);
        pb.cubic_to(x, y + r - k, x + r - k, y, x + r, y);
        pb.close();
    }
    pb.finish()
}

impl Typeset {
    /// The document as PDF.
    pub(crate) fn pdf(&self) -> Result<Vec<u8>, String> {
        let mut doc = krilla::Document::new();
        doc.set_metadata(
            krilla::metadata::Metadata::new()
                .title(self.title.clone())
                .language("zh-CN".into())
                .creator("Gongkai".into()),
        );
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("页面尺寸无效")?;
        for items in &self.pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut s = page.surface();
            for item in items {
                match item {
                    Item::Text {
                        x,
                        y,
                        face,
                        size,
                        grey: g,
                        text,
                        glyphs,
                    } => {
                        s.set_stroke(None);
                        s.set_fill(Some(Fill {
                            paint: colour(grey(*g)),
                            opacity: NormalizedF32::ONE,
                            rule: FillRule::NonZero,
                        }));
                        let gs: Vec<KrillaGlyph> = glyphs
                            .iter()
                            .map(|g| {
                                KrillaGlyph::new(
                                    GlyphId::new(g.id),
                                    g.adv / size,
                                    0.0,
                                    0.0,
                                    0.0,
                                    g.range.clone(),
                                    None,
                                )
                            })
                            .collect();
                        s.draw_glyphs(
                            Point::from_xy(*x, *y),
                            &gs,
                            face.pdf.clone(),
                            text,
                            *size,
                            false,
                        );
                    }
                    Item::Rect {
                        x,
                        y,
                        w,
                        h,
                        fill,
                        stroke,
                        radius,
                    } => {
                        let Some(path) = rect_path(*x, *y, *w, *h, *radius) else {
                            continue;
                        };
                        s.set_fill(fill.map(|f| Fill {
                            paint: colour(f),
                            opacity: NormalizedF32::ONE,
                            rule: FillRule::NonZero,
                        }));
                        s.set_stroke(stroke.map(|(w, c)| Stroke {
                            paint: colour(c),
                            width: w,
                            ..Stroke::default()
                        }));
                        s.draw_path(&path);
                    }
                    Item::Qr {
                        x,
                        y,
                        size,
                        modules,
                    } => {
                        let n = modules.width.max(1);
                        let m = size / n as f32;
                        let mut pb = PathBuilder::new();
                        for row in 0..n {
                            let mut col = 0;
                            while col < n {
                                if modules.dark[row * n + col] {
                                    let start = col;
                                    while col < n && modules.dark[row * n + col] {
                                        col += 1;
                                    }
                                    if let Some(r) = krilla::geom::Rect::from_xywh(
                                        x + start as f32 * m,
                                        y + row as f32 * m,
                                        (col - start) as f32 * m,
                                        m,
                                    ) {
                                        pb.push_rect(r);
                                    }
                                } else {
                                    col += 1;
                                }
                            }
                        }
                        s.set_stroke(None);
                        s.set_fill(Some(Fill::default()));
                        if let Some(path) = pb.finish() {
                            s.draw_path(&path);
                        }
                    }
                }
            }
            s.finish();
            page.finish();
        }
        doc.finish().map_err(|e| format!("{e:?}"))
    }
}
