//! Rendering of item bodies: Markdown with tables to HTML, sanitised (no script, no event
//! handlers, no foreign frames), and line diffs between versions.

use pulldown_cmark::{Options, Parser, html};

/// Markdown (with tables) to sanitised HTML.
pub fn markdown(md: &str) -> String {
    let mut opts = Options::empty();
    opts.insert(Options::ENABLE_TABLES);
    opts.insert(Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    html::push_html(&mut out, Parser::new_ext(md, opts));
    SANITIZER.clean(&out).to_string()
}

/// The sanitizer of rendered Markdown, built once: building one fills its sets of allowed tags,
/// attributes and schemes anew, a cost every item page paid.
static SANITIZER: std::sync::LazyLock<ammonia::Builder<'static>> = std::sync::LazyLock::new(|| {
    let mut b = ammonia::Builder::default();
    b.link_rel(Some("noopener noreferrer nofollow"));
    b
});

/// One line of a diff: `' '` unchanged, `'-'` removed, `'+'` added.
#[derive(Debug, Clone)]
pub struct DiffLine {
    pub tag: char,
    pub text: String,
}

impl DiffLine {
    pub fn class(&self) -> &'static str {
        match self.tag {
            '-' => "del",
            '+' => "ins",
            _ => "same",
        }
    }
}

/// A line diff of two texts.
pub fn diff_lines(old: &str, new: &str) -> Vec<DiffLine> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| DiffLine {
            tag: match c.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            },
            text: c.value().trim_end_matches('\n').to_string(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_and_handlers_never_survive() {
        let h = markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))",
        );
        assert!(!h.contains("<script"));
        assert!(!h.contains("onerror"));
        assert!(!h.contains("javascript:"));
    }

    #[test]
    fn tables_render() {
        let h = markdown("| 项目 | 金额 |\n|---|---|\n| 办公费 | 12 |");
        assert!(h.contains("<table>") && h.contains("<td>办公费</td>"));
    }

    #[test]
    fn diffs_mark_changes() {
        let d = diff_lines("第一条\n第二条\n", "第一条\n第二条（修订）\n");
        assert!(d.iter().any(|l| l.tag == '-' && l.text == "第二条"));
        assert!(d.iter().any(|l| l.tag == '+' && l.text == "第二条（修订）"));
    }
}
