//! Markdown (as stored for item bodies) to plain blocks for print: headings, paragraphs, list
//! items and table rows. Formatting, links and HTML are reduced to their text; nothing of the
//! input is ever interpreted (the blocks are set as plain text).

use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};
use serde::Serialize;

/// One printable block of an item's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    /// A heading, printed as a bold line (`level` 1–6).
    Heading { level: u8, text: String },
    /// A paragraph; `\n` marks a hard line break.
    Paragraph { text: String },
    /// A list item with its marker (`•` or `1.`) and nesting depth (0 = top level).
    Item {
        marker: String,
        depth: u8,
        text: String,
    },
    /// A table: its rows of cell texts (all rows padded to the same length); `header` when
    /// the first row is a header row.
    Table {
        header: bool,
        rows: Vec<Vec<String>>,
    },
    /// Preformatted text, printed line by line.
    Code { text: String },
}

/// Reduce Markdown to blocks.
pub fn markdown_blocks(md: &str) -> Vec<Block> {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut b = Builder::default();
    for event in Parser::new_ext(md, opts) {
        b.event(event);
    }
    b.flush();
    b.blocks
}

#[derive(Default)]
struct Builder {
    blocks: Vec<Block>,
    /// Text of the block being collected.
    text: String,
    heading: Option<u8>,
    /// Open lists: the next number of ordered lists, `None` for bullet lists.
    lists: Vec<Option<u64>>,
    /// The marker of the list item being collected.
    item: Option<(String, u8)>,
    table: Option<(bool, Vec<Vec<String>>)>,
    in_head: bool,
    code: bool,
}

impl Builder {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) | Event::Code(t) => self.push_text(&t),
            Event::InlineMath(t) | Event::DisplayMath(t) => self.push_text(&t),
            Event::SoftBreak => self.soft_break(),
            Event::HardBreak => {
                if self.table.is_some() {
                    self.text.push(' ');
                } else {
                    self.text.push('\n');
                }
            }
            Event::Rule => self.flush(),
            Event::Html(_) | Event::InlineHtml(_) => {}
            Event::FootnoteReference(r) => {
                self.text.push('[');
                self.text.push_str(&r);
                self.text.push(']');
            }
            Event::TaskListMarker(done) => self.text.push_str(if done { "☑ " } else { "☐ " }),
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Heading { level, .. } => {
                self.flush();
                self.heading = Some(level as u8);
            }
            Tag::Paragraph => {
                // Inside a list item, a second paragraph starts a new block at the same depth.
                if self.item.is_none() {
                    self.flush();
                } else if !self.text.trim().is_empty() {
                    self.text.push('\n');
                }
            }
            Tag::List(start) => {
                self.flush_item();
                self.lists.push(start);
            }
            Tag::Item => {
                self.flush_item();
                let depth = u8::try_from(self.lists.len().saturating_sub(1)).unwrap_or(u8::MAX);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}.");
                        *n += 1;
                        m
                    }
                    _ => "•".to_string(),
                };
                self.item = Some((marker, depth));
            }
            Tag::Table(_) => {
                self.flush();
                self.table = Some((false, vec![]));
            }
            Tag::TableHead => {
                self.in_head = true;
                self.new_row();
            }
            Tag::TableRow => self.new_row(),
            Tag::TableCell => self.text.clear(),
            Tag::CodeBlock(_) => {
                self.flush();
                self.code = true;
            }
            Tag::BlockQuote(_) => self.flush(),
            _ => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Heading(_) | TagEnd::BlockQuote(_) => self.flush(),
            TagEnd::Paragraph if self.item.is_none() => self.flush(),
            TagEnd::Item => self.flush_item(),
            TagEnd::List(_) => {
                self.flush_item();
                self.lists.pop();
            }
            TagEnd::TableHead => {
                self.in_head = false;
                if let Some((header, _)) = &mut self.table {
                    *header = true;
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.text).trim().to_string();
                if let Some((_, rows)) = &mut self.table {
                    match rows.last_mut() {
                        Some(row) => row.push(cell),
                        None => rows.push(vec![cell]),
                    }
                }
            }
            TagEnd::Table => {
                if let Some((header, mut rows)) = self.table.take() {
                    rows.retain(|r| !r.is_empty());
                    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
                    for r in &mut rows {
                        r.resize(width, String::new());
                    }
                    if !rows.is_empty() {
                        self.blocks.push(Block::Table { header, rows });
                    }
                }
                self.text.clear();
            }
            TagEnd::CodeBlock => {
                let text = std::mem::take(&mut self.text);
                let text = text.trim_end_matches('\n').to_string();
                if !text.trim().is_empty() {
                    self.blocks.push(Block::Code { text });
                }
                self.code = false;
            }
            _ => {}
        }
    }

    fn new_row(&mut self) {
        if let Some((_, rows)) = &mut self.table {
            rows.push(vec![]);
        }
    }

    fn push_text(&mut self, t: &str) {
        self.text.push_str(t);
    }

    /// A line break inside a paragraph: nothing between Chinese characters, a space between
    /// Latin words (as a browser would show it, minus the stray space in Chinese text).
    fn soft_break(&mut self) {
        if self.code {
            self.text.push('\n');
            return;
        }
        if self.text.chars().last().is_some_and(|c| c.is_ascii()) {
            self.text.push(' ');
        }
    }

    /// End the block being collected (if any text was collected).
    fn flush(&mut self) {
        if self.item.is_some() {
            self.flush_item();
            return;
        }
        let text = clean(&std::mem::take(&mut self.text));
        if text.is_empty() {
            self.heading = None;
            return;
        }
        match self.heading.take() {
            Some(level) => self.blocks.push(Block::Heading {
                level,
                text: text.replace('\n', " "),
            }),
            None => self.blocks.push(Block::Paragraph { text }),
        }
    }

    /// End the list item being collected; an item holding a nested list is split in two.
    fn flush_item(&mut self) {
        let text = clean(&std::mem::take(&mut self.text));
        if let Some((marker, depth)) = self.item.take() {
            if !text.is_empty() {
                self.blocks.push(Block::Item {
                    marker,
                    depth,
                    text,
                });
            }
        } else if !text.is_empty() {
            self.blocks.push(Block::Paragraph { text });
        }
    }
}

/// Trim each line and drop control characters other than the line break.
fn clean(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| *c == '\n' || !c.is_control())
        .collect();
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn headings_paragraphs_lists_and_tables() {
        let md = "# 一、总体要求\n\n经研究，\n同意调整。\n\n- 甲\n- 乙\n  1. 子项\n\n| 线路 | 调整 |\n|---|---|\n| 3路 | 延伸至南苑 |\n| 5路 |\n\n<script>alert(1)</script>\n\n```\n代码 行1\n行2\n```\n\n**加粗**与[链接](http://x)";
        let b = markdown_blocks(md);
        assert_eq!(
            b,
            vec![
                Block::Heading {
                    level: 1,
                    text: "一、总体要求".into()
                },
                Block::Paragraph {
                    text: "经研究，同意调整。".into()
                },
                Block::Item {
                    marker: "•".into(),
                    depth: 0,
                    text: "甲".into()
                },
                Block::Item {
                    marker: "•".into(),
                    depth: 0,
                    text: "乙".into()
                },
                Block::Item {
                    marker: "1.".into(),
                    depth: 1,
                    text: "子项".into()
                },
                Block::Table {
                    header: true,
                    rows: vec![
                        vec!["线路".into(), "调整".into()],
                        vec!["3路".into(), "延伸至南苑".into()],
                        vec!["5路".into(), String::new()],
                    ]
                },
                Block::Code {
                    text: "代码 行1\n行2".into()
                },
                Block::Paragraph {
                    text: "加粗与链接".into()
                },
            ]
        );
    }

    #[test]
    fn latin_soft_breaks_keep_a_space_and_hard_breaks_a_line() {
        let b = markdown_blocks("Open\ngovernment  \n第二行");
        assert_eq!(
            b,
            vec![Block::Paragraph {
                text: "Open government\n第二行".into()
            }]
        );
    }

    #[test]
    fn typst_markup_is_just_text() {
        let b = markdown_blocks("#set page(width: 1cm) $x$ *a* _b_ `c` <d> @e");
        let Block::Paragraph { text } = &b[0] else {
            panic!("{b:?}")
        };
        assert!(text.contains("#set page(width: 1cm)"), "{text}");
    }
}
