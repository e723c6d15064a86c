//! The public portal: search (recall, visibility, messages, 文号 lookups), browsing with filters,
//! feeds, conditional requests.

use gongkai_domain::disclosure::ItemInput;

use crate::both_backends;
use crate::disclosure::Desk;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(search_finds_what_is_public_and_only_that);

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn search_finds_what_is_public_and_only_that(db: Db) {
    let app = TestApp::spawn(db).await;
    let desk = Desk::new(&app).await;
    let (named, _) = desk
        .publish_input(ItemInput {
            title: "关于欧阳震华同志任职的通知".into(),
            doc_no: "测府发〔2025〕7号".into(),
            formed_on: "2025-04-01".into(),
            scope: "public".into(),
            body_md: "为进一步优化营商环境，经研究决定……".into(),
            ..Default::default()
        })
        .await;
    let (internal, _) = desk
        .published("内部事项通报", "internal", "仅限内部的绩效考评事项。")
        .await;
    let (gone, _) = desk
        .published(
            "乡村振兴规划（征求意见稿）",
            "public",
            "乡村振兴的总体要求。",
        )
        .await;
    let link = |id: i64| format!("href=\"/items/{id}\"");

    // A name jieba does not know, a part of it, a word in the body: all found.
    let page = app
        .eventually(&format!("/search?q={}", enc("欧阳震华")), |t| {
            t.contains(&link(named))
        })
        .await;
    assert!(
        page.contains("<mark>欧阳震华</mark>"),
        "the match is highlighted"
    );
    for q in ["阳震", "营商环境", "震", "任职 营商"] {
        let page = app
            .eventually(&format!("/search?q={}", enc(q)), |t| t.contains("找到"))
            .await;
        assert!(page.contains(&link(named)), "query {q}");
    }
    // All words are required.
    let page = app
        .eventually(
            &format!("/search?q={}", enc("营商环境 乡村振兴")),
            |t| t.contains("找到"),
        )
        .await;
    assert!(page.contains("找到 <strong>0</strong>"));
    // A 文号, typed with other brackets, goes straight to the item.
    let b = Browser::new(&app);
    let r = b
        .get(&format!("/search?q={}", enc("测府发[2025]7号")))
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), format!("/items/{named}"));

    // Internal items are never found, by anyone outside.
    app.eventually(&format!("/search?q={}", enc("乡村振兴")), |t| {
        t.contains(&link(gone))
    })
    .await;
    let page = b
        .get_text(&format!("/search?q={}", enc("绩效考评")))
        .await
        .1;
    assert!(!page.contains(&link(internal)) && page.contains("找到 <strong>0</strong>"));

    // A withdrawn item disappears from search.
    app.store
        .withdraw_item(
            gone,
            "规划已另行发布",
            &desk.actor(desk.approver, gongkai_domain::access::Role::Approver),
            &desk.who(desk.approver),
        )
        .await
        .unwrap();
    app.eventually(&format!("/search?q={}", enc("乡村振兴")), |t| {
        !t.contains(&link(gone)) && t.contains("找到 <strong>0</strong>")
    })
    .await;

    // Bad queries get a message on the page, not an error.
    for (q, msg) in [
        ("", "请输入要搜索的内容"),
        ("，。！", "只有标点或空格"),
        (&"字".repeat(201), "搜索内容过长"),
    ] {
        let (status, page) = b.get_text(&format!("/search?q={}", enc(q))).await;
        assert_eq!(status, 200, "query {q:?}");
        assert!(page.contains(msg), "query {q:?} should say {msg}");
        assert!(
            page.contains(&format!("value=\"{}\"", q)),
            "the query is kept"
        );
    }
}
