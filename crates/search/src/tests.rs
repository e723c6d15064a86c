//! The index against the truth it is measured by: substring containment.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use proptest::prelude::*;

fn doc(id: i64, title: &str, body: &str) -> SearchDoc {
    SearchDoc {
        id,
        body_id: 1 + id % 3,
        category_path: format!("/10/{}/", 20 + id % 2),
        published_on: Some(format!("{}-03-01", 2024 + id % 3)),
        published_at: Some(1_700_000_000_000 + id * 1000),
        validity: if id % 5 == 0 {
            "repealed".into()
        } else {
            "valid".into()
        },
        title: title.into(),
        doc_no: String::new(),
        index_no: String::new(),
        subject: String::new(),
        keywords: String::new(),
        summary: String::new(),
        body_md: body.into(),
        version_id: id,
        attachment_text: String::new(),
    }
}

async fn index_of(docs: &[SearchDoc]) -> SearchIndex {
    let idx = SearchIndex::in_ram(WriterOptions::default()).unwrap();
    let ids = docs.iter().map(|d| d.id).collect();
    idx.apply(ids, docs.to_vec(), 1).await.unwrap();
    idx
}

fn req(q: &str) -> SearchRequest {
    SearchRequest {
        clauses: parse_query(q).unwrap(),
        limit: 100,
        ..Default::default()
    }
}

#[tokio::test]
async fn names_jieba_cuts_differently_are_still_found() {
    // jieba cuts "欧阳震华" and similar names in several ways; the grams find them anyway.
    let docs = vec![
        doc(1, "关于表彰欧阳震华同志的决定", "全县通报。"),
        doc(
            2,
            "关于印发营商环境优化方案的通知",
            "各乡镇人民政府：现将方案印发给你们。",
        ),
        doc(
            3,
            "县市场监管局2025年工作总结",
            "市场监督管理工作取得新进展。",
        ),
    ];
    let idx = index_of(&docs).await;
    for (q, want) in [
        ("欧阳震华", vec![1]),
        ("阳震", vec![1]),
        ("震", vec![1]),
        ("营商环境", vec![2]),
        ("乡镇", vec![2]),
        ("2025", vec![3]),
        ("监管局", vec![3]),
        ("市场 总结", vec![3]),
        ("\"工作总结\"", vec![3]),
        ("ＭＡＲＫＥＴ市场监管", vec![]),
        ("5年", vec![3]),
        ("“管局 2025”", vec![3]),
    ] {
        let mut got = idx.search(&req(q)).unwrap().ids;
        got.sort();
        assert_eq!(got, want, "query {q}");
    }
}

#[tokio::test]
async fn titles_rank_above_bodies_and_filters_apply() {
    let docs = vec![
        doc(1, "一般通知", "正文提到了乡村振兴。"),
        doc(2, "乡村振兴实施方案", "正文。"),
        doc(3, "其他", "无关。"),
        doc(5, "乡村振兴旧方案", "已废止。"),
    ];
    let idx = index_of(&docs).await;
    let hits = idx.search(&req("乡村振兴")).unwrap();
    assert_eq!(hits.total, 3);
    assert_ne!(
        hits.ids[2], 2,
        "a title match ranks above a body-only match: {:?}",
        hits.ids
    );
    assert_eq!(hits.ids.last(), Some(&1));
    let mut r = req("乡村振兴");
    r.validity = Some("repealed".into());
    assert_eq!(idx.search(&r).unwrap().ids, vec![5]);
    let mut r = req("乡村振兴");
    r.by_date = true;
    assert_eq!(idx.search(&r).unwrap().ids, vec![5, 2, 1], "newest first");
    let mut r = req("乡村振兴");
    r.body_id = Some(3);
    let mut got = idx.search(&r).unwrap().ids;
    got.sort();
    assert_eq!(got, vec![2, 5]);
    let mut r = req("乡村振兴");
    r.category_id = Some(10);
    assert_eq!(
        idx.search(&r).unwrap().total,
        3,
        "parent category includes children"
    );
    r.category_id = Some(21);
    let mut got = idx.search(&r).unwrap().ids;
    got.sort();
    assert_eq!(got, vec![1, 5]);
    let mut r = req("乡村振兴");
    r.year = Some(2025);
    assert_eq!(idx.search(&r).unwrap().ids, vec![1]);
}

#[tokio::test]
async fn replacing_and_removing_documents() {
    let idx = index_of(&[doc(1, "旧标题", "内容"), doc(2, "另一份", "内容")]).await;
    // Item 1 re-published with a new title; item 2 withdrawn (absent from the docs).
    idx.apply(vec![1, 2], vec![doc(1, "新标题", "内容")], 7)
        .await
        .unwrap();
    assert!(idx.search(&req("旧标题")).unwrap().ids.is_empty());
    assert_eq!(idx.search(&req("新标题")).unwrap().ids, vec![1]);
    assert!(idx.search(&req("另一份")).unwrap().ids.is_empty());
    assert_eq!(idx.applied_seq().unwrap(), Some(7));
}

const ALPHABET: &[char] = &[
    '政', '府', '信', '息', '公', '开', '市', '场', '监', '管', '局', '县', '乡', '镇', '村', '民',
    '委', '会', '年', '度', '报', '告', '通', '知', '。', '，', '2', '0', 'a', 'b', ' ',
];

fn text_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(ALPHABET), 0..40)
        .prop_map(|v| v.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// Every document containing a quoted substring is found, and only those.
    #[test]
    fn phrase_search_equals_substring_truth(
        bodies in proptest::collection::vec(text_strategy(), 1..25),
        pick in 0usize..1000, start in 0usize..40, len in 1usize..5,
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let docs: Vec<SearchDoc> = bodies.iter().enumerate()
            .map(|(i, b)| doc(i as i64 + 1, "", b)).collect();
        let idx = rt.block_on(index_of(&docs));
        let source: Vec<char> = bodies[pick % bodies.len()].chars().collect();
        prop_assume!(!source.is_empty());
        let s = start % source.len();
        let needle: String = source[s..(s + len).min(source.len())].iter().collect();
        let q = format!("\"{needle}\"");
        let Ok(clauses) = parse_query(&q) else { return Ok(()); };
        prop_assume!(clauses.iter().all(|c| matches!(c, Clause::Phrase(_))));
        let r = SearchRequest { clauses: clauses.clone(), limit: 100, ..Default::default() };
        let mut got = idx.search(&r).unwrap().ids;
        got.sort();
        let want: Vec<i64> = docs.iter()
            .filter(|d| text::contains_all(&format!("{}\n{}", d.title, d.body_md), &clauses))
            .map(|d| d.id).collect();
        prop_assert_eq!(got, want, "query {:?}", q);
    }
}
