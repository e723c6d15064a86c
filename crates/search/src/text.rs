//! Text handling shared by indexing and querying: normalisation, jieba words, character grams,
//! query parsing and highlighted snippets.

use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Longest accepted query, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// Words of government writing that jieba's general dictionary cuts apart.
const USER_WORDS: &[&str] = &[
    "政务公开",
    "政府信息公开",
    "依申请公开",
    "主动公开",
    "政府信息",
    "信息公开",
    "公开指南",
    "行政许可",
    "行政处罚",
    "行政复议",
    "行政诉讼",
    "双公示",
    "放管服",
    "营商环境",
    "规范性文件",
    "政策解读",
    "乡村振兴",
    "纪检监察",
    "政务服务",
    "一网通办",
    "最多跑一次",
    "网格化",
    "村务公开",
    "党务公开",
    "财政预决算",
    "三公经费",
    "政府采购",
    "招投标",
    "人民政府",
    "办公室",
    "街道办事处",
    "居民委员会",
    "村民委员会",
];

/// jieba's own dictionary (jieba-rs 0.11, `src/data/dict.txt`, MIT), gzipped.
static DICT_GZ: &[u8] = include_bytes!("../data/jieba-dict.txt.gz");

static JIEBA: LazyLock<Jieba> = LazyLock::new(|| {
    let mut dict = std::io::BufReader::new(flate2::read::GzDecoder::new(DICT_GZ));
    #[allow(clippy::expect_used)] // the dictionary is part of the binary and read in the tests
    let mut j = Jieba::with_dict(&mut dict).expect("the built-in jieba dictionary reads");
    for w in USER_WORDS {
        j.add_word(w, Some(20_000), None);
    }
    j
});

/// Load the dictionary now (it takes a moment) instead of on the first query.
pub fn warm_up() {
    LazyLock::force(&JIEBA);
}

/// Full-width ASCII to half-width, ideographic space to space, ASCII to lower case. One
/// character in, one character out, so offsets in the normalised text are offsets in the original.
pub fn normalize_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(c as u32 - 0xFEE0).map_or(c, |h| h.to_ascii_lowercase())
        }
        '\u{3000}' => ' ',
        _ => c.to_ascii_lowercase(),
    }
}

pub fn normalize(s: &str) -> String {
    s.chars().map(normalize_char).collect()
}

/// Han ideographs (and the iteration mark 〇), the characters indexed one by one and in pairs.
pub fn is_cjk(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{2FA1F}' | '\u{3007}')
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// A token with its position (in gram slots) and byte offsets in the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gram {
    pub text: String,
    pub position: usize,
    pub from: usize,
    pub to: usize,
}

/// Character grams of (normalised) text. Separators (spaces, punctuation) are dropped; every
/// remaining character (Han, letter or digit) is one slot carrying the character itself and the
/// pair it starts with the next one. A substring of the text without its separators is therefore
/// found by the phrase of its pairs (or by its single character).
pub fn grams(text: &str) -> Vec<Gram> {
    let chars: Vec<(usize, char)> = text
        .char_indices()
        .filter(|(_, c)| is_gram_char(*c))
        .collect();
    let mut out = Vec::with_capacity(chars.len() * 2);
    for (k, &(b, c)) in chars.iter().enumerate() {
        out.push(Gram {
            text: c.to_string(),
            position: k,
            from: b,
            to: b + c.len_utf8(),
        });
        if let Some(&(nb, n)) = chars.get(k + 1) {
            let mut s = String::with_capacity(8);
            s.push(c);
            s.push(n);
            out.push(Gram {
                text: s,
                position: k,
                from: b,
                to: nb + n.len_utf8(),
            });
        }
    }
    out
}

/// Characters that carry meaning for search (everything but separators).
pub fn is_gram_char(c: char) -> bool {
    is_cjk(c) || is_word_char(c)
}

/// Text without separators: what substring matching is defined on.
pub fn squash(s: &str) -> String {
    s.chars().filter(|c| is_gram_char(*c)).collect()
}

/// The grams a (normalised) query string is matched by: its pairs with their positions, or its
/// single character.
pub fn query_grams(text: &str) -> Vec<(usize, String)> {
    let chars: Vec<char> = squash(text).chars().collect();
    match chars.len() {
        0 => Vec::new(),
        1 => vec![(0, chars[0].to_string())],
        n => (0..n - 1)
            .map(|k| (k, [chars[k], chars[k + 1]].iter().collect()))
            .collect(),
    }
}

/// jieba words for indexing (search mode: long words and the words inside them), normalised,
/// without separators.
pub fn index_words(text: &str) -> Vec<(String, usize, usize)> {
    JIEBA
        .cut_for_search(text, true)
        .into_iter()
        .filter(|t| t.word.chars().any(|c| is_cjk(c) || is_word_char(c)))
        .map(|t| (t.word.to_string(), t.byte_start, t.byte_end))
        .collect()
}

/// What a query asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Clause {
    /// A word (precise-mode jieba cut of unquoted text): matched as a word or as a substring.
    Word(String),
    /// A quoted phrase: matched as a substring.
    Phrase(String),
}

impl Clause {
    pub fn text(&self) -> &str {
        match self {
            Clause::Word(s) | Clause::Phrase(s) => s,
        }
    }
}

/// Why a query cannot be run; the message is shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("请输入要搜索的内容。")]
    Empty,
    #[error("搜索内容过长：最多 200 个字，当前 {0} 个字。")]
    TooLong(usize),
    #[error("搜索内容只有标点或空格，请输入文字、字母或数字。")]
    NoTerms,
}

impl QueryError {
    pub fn code(&self) -> &'static str {
        match self {
            QueryError::Empty => "query_empty",
            QueryError::TooLong(_) => "query_too_long",
            QueryError::NoTerms => "query_no_terms",
        }
    }
}

/// Split a query into clauses: quoted parts (ASCII or Chinese quotation marks) are phrases, the
/// rest is cut into words in jieba's precise mode. All clauses are required.
pub fn parse_query(q: &str) -> Result<Vec<Clause>, QueryError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(QueryError::Empty);
    }
    let n = q.chars().count();
    if n > MAX_QUERY_CHARS {
        return Err(QueryError::TooLong(n));
    }
    let norm = normalize(q).replace(['“', '”', '「', '」'], "\"");
    let mut clauses: Vec<Clause> = Vec::new();
    for (k, part) in norm.split('"').enumerate() {
        let quoted = k % 2 == 1;
        if quoted {
            let p = part.trim();
            if !query_grams(p).is_empty() {
                clauses.push(Clause::Phrase(p.to_string()));
            }
        } else {
            for t in JIEBA.cut(part, true) {
                if t.word.chars().any(|c| is_cjk(c) || is_word_char(c)) {
                    let w = Clause::Word(t.word.to_string());
                    if !clauses.contains(&w) {
                        clauses.push(w);
                    }
                }
            }
        }
    }
    if clauses.is_empty() {
        return Err(QueryError::NoTerms);
    }
    Ok(clauses)
}

/// A piece of a snippet: text, and whether it is a match.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Piece {
    pub text: String,
    pub hit: bool,
}

/// Does `text` contain every clause, comparing normalised text without separators? The truth
/// the index is measured against.
pub fn contains_all(text: &str, clauses: &[Clause]) -> bool {
    contains_all_prepared(&prepare(text), clauses)
}

/// A text made ready for [`contains_all_prepared`]: normalised, without separators.
pub fn prepare(text: &str) -> String {
    squash(&normalize(text))
}

/// [`contains_all`] on a text already passed through [`prepare`] (to test many queries).
pub fn contains_all_prepared(hay: &str, clauses: &[Clause]) -> bool {
    clauses.iter().all(|c| {
        let n = squash(c.text());
        !n.is_empty() && hay.contains(&n)
    })
}

/// A window of about `max_chars` characters of `text` around the first match of any clause, with
/// every match marked. Without a match, the beginning of the text.
pub fn snippet(text: &str, clauses: &[Clause], max_chars: usize) -> Vec<Piece> {
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    let norm: Vec<char> = chars.iter().map(|c| normalize_char(*c)).collect();
    let needles: Vec<Vec<char>> = clauses
        .iter()
        .map(|c| c.text().chars().collect::<Vec<_>>())
        .filter(|n: &Vec<char>| !n.is_empty())
        .collect();
    let mut marks = vec![false; chars.len()];
    let mut first: Option<usize> = None;
    for n in &needles {
        if n.len() > norm.len() {
            continue;
        }
        for i in 0..=norm.len() - n.len() {
            if norm[i..i + n.len()] == n[..] {
                marks[i..i + n.len()].iter_mut().for_each(|m| *m = true);
                first = Some(first.map_or(i, |f: usize| f.min(i)));
            }
        }
    }
    let start = first.map_or(0, |f| f.saturating_sub(max_chars / 4));
    let end = (start + max_chars).min(chars.len());
    let mut out: Vec<Piece> = Vec::new();
    if start > 0 {
        out.push(Piece {
            text: "…".into(),
            hit: false,
        });
    }
    let lead = out.len();
    for i in start..end {
        if out.len() > lead
            && let Some(p) = out.last_mut()
            && p.hit == marks[i]
        {
            p.text.push(chars[i]);
        } else {
            out.push(Piece {
                text: chars[i].to_string(),
                hit: marks[i],
            });
        }
    }
    if end < chars.len() {
        out.push(Piece {
            text: "…".into(),
            hit: false,
        });
    }
    out
}

/// Markdown to plain text for indexing and snippets: markup characters become spaces.
pub fn plain(md: &str) -> String {
    let s: String = md
        .chars()
        .map(|c| match c {
            '#' | '*' | '_' | '`' | '|' | '>' | '[' | ']' => ' ',
            c => c,
        })
        .collect();
    // Table rules and horizontal rules (`---`, `:---:`) carry no text.
    s.split(' ')
        .filter(|w| !(w.len() >= 3 && w.chars().all(|c| matches!(c, '-' | ':'))))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn markdown_markup_is_not_text() {
        let p = plain("| 项目 | 数 |\n|---|:---:|\n| 收入 | 3 |");
        assert!(
            !p.contains("---") && p.contains("项目") && p.contains("收入"),
            "{p}"
        );
    }

    #[test]
    fn full_width_is_folded() {
        assert_eq!(normalize("ＡＢＣ１２３　ｘ"), "abc123 x");
    }

    #[test]
    fn grams_carry_pairs_and_single_characters() {
        let g: Vec<(usize, String)> = grams("监管，2025年")
            .into_iter()
            .map(|g| (g.position, g.text))
            .collect();
        let want: Vec<(usize, &str)> = vec![
            (0, "监"),
            (0, "监管"),
            (1, "管"),
            (1, "管2"),
            (2, "2"),
            (2, "20"),
            (3, "0"),
            (3, "02"),
            (4, "2"),
            (4, "25"),
            (5, "5"),
            (5, "5年"),
            (6, "年"),
        ];
        let want: Vec<(usize, String)> = want.into_iter().map(|(p, t)| (p, t.into())).collect();
        assert_eq!(g, want);
    }

    #[test]
    fn query_grams_are_the_pairs() {
        assert_eq!(
            query_grams("市场监管"),
            vec![(0, "市场".into()), (1, "场监".into()), (2, "监管".into())]
        );
        assert_eq!(query_grams("市"), vec![(0, "市".into())]);
        assert_eq!(query_grams("a b"), vec![(0, "ab".into())]);
        assert!(query_grams("，。").is_empty());
    }

    #[test]
    fn queries_are_cut_into_words_and_phrases() {
        let c = parse_query("政府信息公开 “工作年度报告”").unwrap();
        assert!(c.contains(&Clause::Word("政府信息公开".into())));
        assert!(c.contains(&Clause::Phrase("工作年度报告".into())));
        assert_eq!(parse_query("   "), Err(QueryError::Empty));
        assert_eq!(parse_query("，。！？"), Err(QueryError::NoTerms));
        assert_eq!(
            parse_query(&"字".repeat(201)),
            Err(QueryError::TooLong(201))
        );
        // Full-width Latin and digits are folded.
        assert_eq!(parse_query("ＧＤＰ"), Ok(vec![Clause::Word("gdp".into())]));
    }

    #[test]
    fn snippets_mark_every_match() {
        let p = snippet(
            "关于印发某县营商环境优化方案的通知。营商环境是发展的基础。",
            &[Clause::Word("营商环境".into())],
            100,
        );
        let hits: Vec<&str> = p
            .iter()
            .filter(|p| p.hit)
            .map(|p| p.text.as_str())
            .collect();
        assert_eq!(hits, vec!["营商环境", "营商环境"]);
        let all: String = p.iter().map(|p| p.text.as_str()).collect();
        assert!(all.starts_with("关于印发"));
    }
}
