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

both_backends!(
    browsing_pages_through_every_item_once,
    feeds_sitemap_and_conditional_requests,
    public_api_items_and_search,
);

/// `n` published items of body A spread over 2023–2025 (every fifth one repealed); returns
/// their ids.
async fn many(desk: &Desk<'_>, n: usize) -> Vec<i64> {
    let org = desk.app.store.get_body(desk.body).await.unwrap().org_code;
    let today = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let rows: Vec<gongkai_store::disclosure::ImportRow> = (0..n)
        .map(|i| {
            let day = chrono::NaiveDate::from_ymd_opt(
                2023 + (i % 3) as i32,
                1 + (i % 12) as u32,
                1 + (i % 27) as u32,
            )
            .unwrap();
            gongkai_store::disclosure::ImportRow {
                body_id: desk.body,
                org_code: org.clone(),
                category_id: desk.cat,
                index_no: None,
                fields: ItemInput {
                    title: format!("测试公开信息第{i}号"),
                    formed_on: day.to_string(),
                    scope: "public".into(),
                    body_md: format!("第{i}号的正文。"),
                    ..Default::default()
                }
                .validate(today)
                .unwrap(),
                published_on: day,
                validity: if i % 5 == 0 {
                    "repealed".into()
                } else {
                    "valid".into()
                },
                validity_date: None,
            }
        })
        .collect();
    let o = desk
        .app
        .store
        .import_published(&rows, &desk.who(desk.editor))
        .await
        .unwrap();
    assert_eq!(o.inserted, n);
    let mut ids = Vec::new();
    for i in 0..n {
        ids.push(
            desk.app
                .scalar(&format!(
                    "SELECT id FROM items WHERE title = '测试公开信息第{i}号'"
                ))
                .await,
        );
    }
    ids
}

fn ids_in(page: &str) -> Vec<i64> {
    let re = regex::Regex::new(r#"<li><a href="/items/(\d+)">"#).unwrap();
    re.captures_iter(page)
        .map(|c| c[1].parse().unwrap())
        .collect()
}

fn link(page: &str, label: &str) -> Option<String> {
    let re =
        regex::Regex::new(&format!(r#"<a href="([^"]+)"(?: rel="\w+")?>{label}</a>"#)).unwrap();
    re.captures(page).map(|c| c[1].replace("&amp;", "&"))
}

async fn browsing_pages_through_every_item_once(db: Db) {
    let app = TestApp::spawn(db).await;
    let desk = Desk::new(&app).await;
    let all = many(&desk, 47).await;
    let b = Browser::new(&app);
    let (s, first) = b.get_text("/catalogue").await;
    assert_eq!(s, 200);
    assert!(first.contains("共 <strong>47</strong> 条"), "{first}");
    // Forward through every page: each item exactly once, newest first.
    let mut seen = ids_in(&first);
    let mut page = first.clone();
    while let Some(next) = link(&page, "下一页") {
        page = b.get_text(&next).await.1;
        seen.extend(ids_in(&page));
    }
    assert_eq!(seen.len(), 47);
    let mut sorted = seen.clone();
    sorted.sort();
    let mut want = all.clone();
    want.sort();
    assert_eq!(sorted, want, "every item once");
    // The last page, reached directly, holds the oldest 20, and ends with the last paged one.
    let last_direct = b.get_text(&link(&first, "末页").unwrap()).await.1;
    assert_eq!(ids_in(&last_direct), seen[27..].to_vec());
    assert!(link(&last_direct, "下一页").is_none());
    // And backwards from it.
    let prev = b.get_text(&link(&last_direct, "上一页").unwrap()).await.1;
    assert_eq!(ids_in(&prev), seen[7..27].to_vec());
    // Oldest first is the reverse order.
    let (_, old) = b.get_text("/catalogue?sort=old").await;
    let mut rev = seen.clone();
    rev.reverse();
    assert_eq!(ids_in(&old), rev[..20].to_vec());
    // Filters: a year, repealed items, a body with nothing.
    let (_, y) = b.get_text("/catalogue?year=2024").await;
    assert!(y.contains("共 <strong>16</strong> 条"), "2024: i % 3 == 1");
    let (_, r) = b.get_text("/catalogue?validity=repealed").await;
    assert!(r.contains("共 <strong>10</strong> 条"));
    let (_, none) = b.get_text(&format!("/catalogue?body={}", app.tree.b)).await;
    assert!(none.contains("共 <strong>0</strong> 条") && none.contains("暂无符合条件的信息"));
    // The body's own catalogue, filtered by category, and nonsense parameters are ignored.
    let (s, c) = b
        .get_text(&format!(
            "/bodies/{}/catalogue?category={}&year=abc&after=x",
            desk.body, desk.cat
        ))
        .await;
    assert_eq!(s, 200);
    assert!(c.contains("共 <strong>47</strong> 条"));
    // Another body's category under this body is not found.
    let (s, _) = b
        .get_text(&format!(
            "/bodies/{}/catalogue?category={}",
            app.tree.b, desk.cat
        ))
        .await;
    assert_eq!(s, 404);
}

async fn feeds_sitemap_and_conditional_requests(db: Db) {
    let app = TestApp::spawn(db).await;
    let desk = Desk::new(&app).await;
    let (id, _) = desk
        .published("关于做好秋季防火工作的通知", "public", "正文")
        .await;
    let (internal, _) = desk.published("内部通报", "internal", "内部").await;
    let b = Browser::new(&app);
    // Pages that have a feed announce it in the head, and the announced feed answers.
    let alternate = regex::Regex::new(
        r#"<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)">"#,
    )
    .unwrap();
    app.eventually("/search?q=%E9%98%B2%E7%81%AB", |t| {
        t.contains("result-title")
    })
    .await;
    for page in [
        "/".to_string(),
        "/catalogue".to_string(),
        format!("/bodies/{}/catalogue", desk.body),
        format!("/bodies/{}/catalogue?category={}", desk.body, desk.cat),
        "/search?q=%E9%98%B2%E7%81%AB".to_string(),
        "/letters".to_string(),
    ] {
        let (_, html) = b.get_text(&page).await;
        let href = alternate
            .captures(&html)
            .unwrap_or_else(|| panic!("{page} announces its feed"))[1]
            .replace("&amp;", "&");
        let r = b.get(&href).await;
        assert_eq!(r.status(), 200, "{page} → {href}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml"),
            "{href}"
        );
    }
    for path in [
        "/feeds/items.atom".to_string(),
        format!("/feeds/bodies/{}.atom", desk.body),
        format!("/feeds/categories/{}.atom", desk.cat),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status(), 200, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("application/atom+xml")
        );
        let t = r.text().await.unwrap();
        assert!(t.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
        assert!(
            t.contains("<title>关于做好秋季防火工作的通知</title>"),
            "{path}: {t}"
        );
        assert!(t.contains(&format!("/items/{id}</id>")));
        assert!(!t.contains("内部通报"), "internal items are not in feeds");
    }
    let feed = app
        .eventually(
            &format!("/search/feed.atom?q={}", enc("秋季防火")),
            |t| t.contains(&format!("/items/{id}</id>")),
        )
        .await;
    assert!(feed.contains("<title>搜索订阅：秋季防火</title>"));
    // Sitemap and robots.
    let (_, idx) = b.get_text("/sitemap.xml").await;
    assert!(idx.contains("/sitemap-items-1.xml"));
    // The pages that have feeds are in the sitemap: home, catalogues, categories, letters.
    let (_, pages) = b.get_text("/sitemap-pages.xml").await;
    for p in [
        format!("{}/</loc>", app.base),
        "/catalogue</loc>".to_string(),
        format!("/bodies/{}/catalogue</loc>", desk.body),
        format!(
            "/bodies/{}/catalogue?category={}</loc>",
            desk.body, desk.cat
        ),
        "/letters</loc>".to_string(),
    ] {
        assert!(pages.contains(&p), "{p} in {pages}");
    }
    let (_, items) = b.get_text("/sitemap-items-1.xml").await;
    assert!(items.contains(&format!("/items/{id}</loc>")));
    assert!(!items.contains(&format!("/items/{internal}</loc>")));
    let (_, robots) = b.get_text("/robots.txt").await;
    assert!(robots.contains("Disallow: /admin") && robots.contains("Sitemap: http://"));
    // Conditional requests: the same page again is 304 with no body; a changed one is 200.
    for path in [
        format!("/items/{id}"),
        "/catalogue".to_string(),
        "/api/v1/items".to_string(),
    ] {
        let r = b.get(&path).await;
        assert_eq!(r.status(), 200);
        let etag = r.headers()["etag"].to_str().unwrap().to_string();
        let r = b
            .client
            .get(format!("{}{path}", app.base))
            .header("If-None-Match", &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304, "{path}");
        assert!(r.bytes().await.unwrap().is_empty());
        let r = b
            .client
            .get(format!("{}{path}", app.base))
            .header("If-None-Match", "W/\"other\"")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    // The item page says when it last changed, and honours If-Modified-Since.
    let r = b.get(&format!("/items/{id}")).await;
    let lm = r.headers()["last-modified"].to_str().unwrap().to_string();
    let r = b
        .client
        .get(format!("{}/items/{id}", app.base))
        .header("If-Modified-Since", &lm)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    // Compressed when asked.
    let r = b
        .client
        .get(format!("{}/catalogue", app.base))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-encoding"], "gzip");
    // 大字版 without JavaScript: a link sets a cookie and comes back.
    let r = b
        .get("/display?text=large&back=%2Fcatalogue%3Fyear%3D2025")
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/catalogue?year=2025");
    let (_, page) = b.get_text("/catalogue").await;
    assert!(page.contains("<html lang=\"zh-CN\" class=\"large-text\">"));
    assert!(page.contains("标准字号"));
    let r = b.get("/display?text=normal&back=//evil.example/").await;
    assert_eq!(location(&r), "/", "only paths of this site");
    let (_, page) = b.get_text("/catalogue").await;
    assert!(page.contains("<html lang=\"zh-CN\">"));
    // Pages kept in memory are never older than the data: a withdrawal shows at once.
    let (_, before) = b.get_text(&format!("/items/{id}")).await;
    assert!(!before.contains("已撤回"));
    app.store
        .withdraw_item(
            id,
            "通知已废止",
            &desk.actor(desk.approver, gongkai_domain::access::Role::Approver),
            &desk.who(desk.approver),
        )
        .await
        .unwrap();
    let (_, after) = b.get_text(&format!("/items/{id}")).await;
    assert!(after.contains("撤回理由：通知已废止"), "{after}");
    let (_, list) = b.get_text("/catalogue").await;
    assert!(list.contains("已撤回"));
}

async fn public_api_items_and_search(db: Db) {
    let app = TestApp::spawn(db).await;
    let desk = Desk::new(&app).await;
    let all = many(&desk, 25).await;
    let (internal, _) = desk.published("内部通报", "internal", "内部").await;
    let (gone, _) = desk
        .published("已撤回的公告", "public", "撤回前的正文")
        .await;
    desk.app
        .store
        .withdraw_item(
            gone,
            "内容有误",
            &desk.actor(desk.approver, gongkai_domain::access::Role::Approver),
            &desk.who(desk.approver),
        )
        .await
        .unwrap();
    let c = crate::support::http_client();
    let get = |path: String| {
        let c = c.clone();
        let base = app.base.clone();
        async move {
            let r = c
                .get(format!("{base}{path}"))
                .header("Origin", "https://data.example.org")
                .send()
                .await
                .unwrap();
            let s = r.status().as_u16();
            let cors = r
                .headers()
                .get("access-control-allow-origin")
                .map(|v| v.to_str().unwrap().to_string());
            let j: serde_json::Value = r.json().await.unwrap();
            (s, j, cors)
        }
    };
    let (_, doc, _) = get("/api/openapi.json".into()).await;
    // Cursor pagination visits every public item once.
    let mut seen = Vec::new();
    let mut path = "/api/v1/items?limit=10".to_string();
    loop {
        let (s, j, cors) = get(path.clone()).await;
        assert_eq!(s, 200);
        assert_eq!(cors.as_deref(), Some("*"), "CORS for GET");
        crate::api::conforms(&doc, "/api/v1/items", "get", s, &j);
        assert_eq!(j["total"], 26);
        seen.extend(
            j["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_i64().unwrap()),
        );
        match j["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/items?limit=10&cursor={c}"),
            None => break,
        }
    }
    let mut want = all.clone();
    want.push(gone);
    want.sort();
    seen.sort();
    assert_eq!(
        seen, want,
        "withdrawn items stay listed as notices; internal ones never"
    );
    let (s, j, _) = get("/api/v1/items?limit=500".into()).await;
    assert_eq!((s, j["error"]["code"].as_str()), (400, Some("bad_request")));
    crate::api::conforms(&doc, "/api/v1/items", "get", s, &j);
    let (s, j, _) = get("/api/v1/items?validity=gone".into()).await;
    assert_eq!(s, 400);
    crate::api::conforms(&doc, "/api/v1/items", "get", s, &j);
    // One item; internal ones do not exist for the public; withdrawn ones show only the notice.
    let (s, j, _) = get(format!("/api/v1/items/{}", all[0])).await;
    assert_eq!(s, 200);
    crate::api::conforms(&doc, "/api/v1/items/{id}", "get", s, &j);
    assert_eq!(j["body_md"], "第0号的正文。");
    let (s, j, _) = get(format!("/api/v1/items/{internal}")).await;
    assert_eq!(s, 404);
    crate::api::conforms(&doc, "/api/v1/items/{id}", "get", s, &j);
    let (s, j, _) = get(format!("/api/v1/items/{gone}")).await;
    assert_eq!((s, j["status"].as_str()), (200, Some("withdrawn")));
    assert_eq!(j["body_md"], "");
    assert_eq!(j["withdrawn_reason"], "内容有误");
    // Categories.
    let (s, j, _) = get(format!("/api/v1/categories?body={}", desk.body)).await;
    assert_eq!(s, 200);
    crate::api::conforms(&doc, "/api/v1/categories", "get", s, &j);
    let (s, j, _) = get("/api/v1/categories".into()).await;
    assert_eq!(s, 400);
    crate::api::conforms(&doc, "/api/v1/categories", "get", s, &j);
    // Search.
    let found = {
        let mut found = serde_json::Value::Null;
        for _ in 0..50 {
            let (_, j, _) = get(format!("/api/v1/search?q={}", enc("第7号"))).await;
            if j["total"].as_i64().unwrap_or(0) > 0 {
                found = j;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        found
    };
    crate::api::conforms(&doc, "/api/v1/search", "get", 200, &found);
    assert_eq!(found["items"][0]["id"], all[7]);
    assert!(
        found["items"][0]["snippet"]
            .as_str()
            .unwrap()
            .contains("【第7号】")
    );
    for (q, code) in [("", "query_empty"), ("、、", "query_no_terms")] {
        let (s, j, _) = get(format!("/api/v1/search?q={}", enc(q))).await;
        assert_eq!((s, j["error"]["code"].as_str()), (422, Some(code)));
        crate::api::conforms(&doc, "/api/v1/search", "get", s, &j);
    }
    let (s, j, _) = get(format!("/api/v1/search?q={}", enc(&"长".repeat(201)))).await;
    assert_eq!(
        (s, j["error"]["code"].as_str()),
        (422, Some("query_too_long"))
    );
}
