//! 民主评议 through the real server: the organiser's draft (bad input kept, a stale save
//! refused), opening, one answer per person and body (a second from the same client or
//! account refused, another body or another person counted), answers committed before the
//! receipt, results only from the minimum, free text only once shown, a 监督员 survey only for
//! 监督员, a closed survey refusing answers, and every role that must be refused.

use gongkai_domain::access::Role;

use crate::both_backends;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(an_appraisal_takes_one_answer_per_person_and_shows_results_from_the_minimum);

const QUESTIONS: &str = "信息公开是否及时\n文字：意见和建议";

async fn post(who: &Browser, path: String, v: Vec<(&'static str, String)>) -> reqwest::Response {
    let refs: Vec<(&str, &str)> = v.iter().map(|(k, x)| (*k, x.as_str())).collect();
    who.post_form(&path, &refs).await
}

async fn an_appraisal_takes_one_answer_per_person_and_shows_results_from_the_minimum(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("inspector", Some(Role::Discipline), t.root).await;
    app.staff("b_inspector", Some(Role::Discipline), t.b).await;
    app.staff("watcher", Some(Role::Supervisor), t.root).await;
    app.staff("editor", Some(Role::Editor), t.root).await;
    let (a, b, root) = (t.a.to_string(), t.b.to_string(), t.root.to_string());
    let inspector = app.login("inspector").await;
    let today = crate::credit::today();
    let (opens, closes) = (
        (today - chrono::Duration::days(1)).to_string(),
        (today + chrono::Duration::days(9)).to_string(),
    );
    let fields = |title: &'static str, audience: &'static str, min: &'static str| {
        vec![
            ("body", root.clone()),
            ("title", title.to_string()),
            ("audience", audience.to_string()),
            ("opens_on", opens.clone()),
            ("closes_on", closes.clone()),
            ("min_answers", min.to_string()),
            ("questions", QUESTIONS.to_string()),
        ]
    };
    let form = |v: &[(&'static str, String)]| -> Vec<(&'static str, String)> { v.to_vec() };

    // A bad draft comes back with what was typed and the reason.
    let mut bad = fields("年度民主评议", "public", "0");
    bad.retain(|(k, _)| *k != "closes_on");
    let r = post(&inspector, "/admin/appraisals".into(), bad).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("value=\"年度民主评议\"")
            && page.contains("公布结果的最少份数应为1至10000的整数")
    );
    assert!(page.contains("请按“年-月-日”填写结束日期"));
    // The editor may not organise one.
    let editor = app.login("editor").await;
    let r = post(
        &editor,
        "/admin/appraisals".into(),
        fields("x", "public", "2"),
    )
    .await;
    assert_eq!(r.status(), 403);

    let r = post(
        &inspector,
        "/admin/appraisals".into(),
        fields("2026年度民主评议", "public", "2"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let admin_url = location(&r).split('?').next().unwrap().to_string();
    let id: i64 = admin_url
        .trim_start_matches("/admin/appraisals/")
        .parse()
        .unwrap();
    let public_url = format!("/appraisals/{id}");
    let anon = Browser::new(&app);
    let (s, _) = anon.get_text(&public_url).await;
    assert_eq!(s, 404, "a draft is not public");
    // Opening without a body is refused; A and B chosen, then a stale save refused.
    let r = post(
        &inspector,
        admin_url.clone(),
        vec![("action", "open".into()), ("version", "1".into())],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请至少选择一个被评议单位"));
    let mut save = form(&fields("2026年度民主评议", "public", "2"));
    save.push(("action", "save".into()));
    save.push(("version", "1".into()));
    save.push(("bodies", a.clone()));
    save.push(("bodies", b.clone()));
    let r = post(&inspector, admin_url.clone(), save.clone()).await;
    assert_eq!(r.status(), 303);
    let r = post(&inspector, admin_url.clone(), save).await;
    assert_eq!(r.status(), 409, "the page's version is stale");
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("value=\"2026年度民主评议\"")
    );
    // A discipline account of B does not see the county's survey; a supervisor reads it but
    // cannot change it.
    let b_inspector = app.login("b_inspector").await;
    let (s, _) = b_inspector.get_text(&admin_url).await;
    assert_eq!(s, 404);
    let watcher = app.login("watcher").await;
    let (s, _) = watcher.get_text(&admin_url).await;
    assert_eq!(s, 200);
    let r = post(
        &watcher,
        admin_url.clone(),
        vec![("action", "open".into()), ("version", "2".into())],
    )
    .await;
    assert_eq!(r.status(), 403);
    let r = post(
        &inspector,
        admin_url.clone(),
        vec![("action", "open".into()), ("version", "2".into())],
    )
    .await;
    assert_eq!(r.status(), 303);

    // The public: listed, in the sitemap, the form open.
    let (_, list) = anon.get_text("/appraisals").await;
    assert!(list.contains(&public_url) && list.contains("评议中"));
    let (_, sitemap) = anon.get_text("/sitemap-pages.xml").await;
    assert!(sitemap.contains(&format!("{public_url}</loc>")));
    // Searchable once published (the index follows the change log).
    app.eventually("/search?q=民主评议", |p| p.contains(&public_url))
        .await;
    let (s, page) = anon.get_text(&public_url).await;
    assert_eq!(s, 200);
    assert!(page.contains("参加评议") && page.contains("已收到0份评议"));

    // A missing score comes back with the body chosen and the text typed.
    let r = anon
        .post_form(&public_url, &[("body", &a), ("q1", "草稿里的意见")])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!("<option value=\"{a}\" selected>")),
        "{page}"
    );
    assert!(page.contains("草稿里的意见") && page.contains("请为第1题“信息公开是否及时”评分"));
    let count = format!("SELECT COUNT(*) FROM survey_answers WHERE survey_id = {id}");
    assert_eq!(app.scalar(&count).await, 0);
    // One answer for A: committed when the receipt shows.
    let r = anon
        .post_form(
            &public_url,
            &[("body", &a), ("q0", "5"), ("q1", "公开很及时")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let receipt = r.text().await.unwrap();
    assert!(receipt.contains("评议已收到") && receipt.contains("审核后公开"));
    assert_eq!(app.scalar(&count).await, 1);
    // The same client again for A: refused, nothing stored; for B: counted.
    let r = anon
        .post_form(&public_url, &[("body", &a), ("q0", "1")])
        .await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("您已经评议过该单位"));
    assert_eq!(app.scalar(&count).await, 1);
    let r = anon
        .post_form(&public_url, &[("body", &b), ("q0", "2")])
        .await;
    assert_eq!(r.status(), 200);
    // The key is never the identity.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM survey_answers WHERE voter_key LIKE '%127.0.0.1%' OR voter_key LIKE 'ip:%'"
        )
        .await,
        0
    );
    // No audit entry links an answer to an address or an account.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'survey.answer' AND (actor_user_id IS NOT NULL OR ip <> '')"
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'survey.answer'")
            .await,
        2
    );
    // The API: the survey and its bodies; an answer from another address is counted once
    // (each request here comes from the same address as the form: refused, already answered).
    let api = crate::support::http_client();
    let j: serde_json::Value = api
        .get(app.url("/api/v1/appraisals"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, doc) = crate::api::Api::new(&app, None)
        .get("/api/openapi.json")
        .await;
    crate::api::conforms(&doc, "/api/v1/appraisals", "get", 200, &j);
    let listed = j["surveys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(listed["accepting"], true);
    assert_eq!(listed["questions"][1]["kind"], "text");
    let answer = |body: &str, answers: serde_json::Value| {
        let (api, url) = (
            api.clone(),
            app.url(&format!("/api/v1/appraisals/{id}/answers")),
        );
        let body: i64 = body.parse().unwrap();
        async move {
            api.post(url)
                .json(&serde_json::json!({"body_id": body, "answers": answers}))
                .send()
                .await
                .unwrap()
        }
    };
    let r = answer(&a, serde_json::json!(["3"])).await;
    assert_eq!(r.status(), 409);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["error"]["code"], "conflict");
    crate::api::conforms(&doc, "/api/v1/appraisals/{id}/answers", "post", 409, &j);
    let r = answer(&root, serde_json::json!(["3"])).await;
    assert_eq!(r.status(), 422, "the county itself is not appraised");
    let r = answer(&a, serde_json::json!(["9", "x", "y"])).await;
    assert_eq!(r.status(), 422);
    let (s, _) = anon.get_text(&format!("/appraisals/{id}x")).await;
    assert_eq!(s, 404);
    // Below the minimum: no results, only the count.
    let (_, page) = anon.get_text(&public_url).await;
    assert!(page.contains("已收到1份评议，达到2份后公布结果"));
    assert!(!page.contains("公开很及时"));
    // A signed-in person is another person (the account, not the address): A reaches 2.
    let r = editor.get(&public_url).await;
    assert_eq!(r.status(), 200);
    let r = editor
        .post_form(
            &public_url,
            &[("body", &a), ("q0", "4"), ("q1", "电话13800001111")],
        )
        .await;
    assert_eq!(r.status(), 200);
    let r = editor
        .post_form(&public_url, &[("body", &a), ("q0", "4")])
        .await;
    assert_eq!(r.status(), 409);
    let (_, page) = anon.get_text(&public_url).await;
    assert!(
        page.contains("共2份评议") && page.contains("<td>4.5</td>"),
        "{page}"
    );
    assert!(!page.contains("公开很及时"), "a held text is not shown");

    // Moderation: the supervisor cannot; the organiser shows one text and hides the other.
    let ids: Vec<i64> = {
        let first = app
            .scalar(&format!(
                "SELECT MIN(id) FROM survey_answers WHERE survey_id = {id} AND text LIKE '%及时%'"
            ))
            .await;
        let second = app
            .scalar(&format!(
                "SELECT MIN(id) FROM survey_answers WHERE survey_id = {id} AND text LIKE '%电话%'"
            ))
            .await;
        vec![first, second]
    };
    let r = post(
        &watcher,
        admin_url.clone(),
        vec![("action", "show".into()), ("answer", ids[0].to_string())],
    )
    .await;
    assert_eq!(r.status(), 403);
    for (action, answer) in [("show", ids[0]), ("hide", ids[1])] {
        let r = post(
            &inspector,
            admin_url.clone(),
            vec![("action", action.into()), ("answer", answer.to_string())],
        )
        .await;
        assert_eq!(r.status(), 303);
    }
    let (_, page) = anon.get_text(&public_url).await;
    assert!(page.contains("公开很及时") && !page.contains("13800001111"));
    let j: serde_json::Value = api
        .get(app.url(&format!("/api/v1/appraisals/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (_, doc) = crate::api::Api::new(&app, None)
        .get("/api/openapi.json")
        .await;
    crate::api::conforms(&doc, "/api/v1/appraisals/{id}", "get", 200, &j);
    let of_a = j["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body_id"] == t.a)
        .unwrap()
        .clone();
    assert_eq!(of_a["published"], true);
    assert_eq!(of_a["questions"][0]["mean"], "4.5");
    assert_eq!(of_a["texts"], serde_json::json!(["公开很及时"]));
    let of_b = j["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["body_id"] == t.b)
        .unwrap()
        .clone();
    assert_eq!(
        (of_b["published"].clone(), of_b["answers"].clone()),
        (false.into(), 1.into())
    );
    assert_eq!(of_b["questions"], serde_json::json!([]));
    let (_, admin_page) = inspector.get_text(&admin_url).await;
    assert!(admin_page.contains("未予展示") && admin_page.contains("已达2份，公开显示"));
    assert!(admin_page.contains("不足2份，暂不公布"));

    // Closed: the form is gone and an answer is refused.
    let version = app
        .scalar(&format!("SELECT version FROM surveys WHERE id = {id}"))
        .await;
    let r = post(
        &inspector,
        admin_url.clone(),
        vec![("action", "close".into()), ("version", version.to_string())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let fresh = Browser::new(&app);
    let r = fresh
        .post_form(&public_url, &[("body", &b), ("q0", "3")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("评议已结束"));

    // A 监督员 survey: the public may not answer, a 监督员 may, once.
    let mut sup = fields("特邀监督员评议", "supervisors", "1");
    sup[0] = ("body", root.clone());
    let r = post(&inspector, "/admin/appraisals".into(), sup.clone()).await;
    let sup_admin = location(&r).split('?').next().unwrap().to_string();
    let sup_id = sup_admin
        .trim_start_matches("/admin/appraisals/")
        .to_string();
    let mut save = form(&sup);
    save.push(("action", "save".into()));
    save.push(("version", "1".into()));
    save.push(("bodies", a.clone()));
    assert_eq!(
        post(&inspector, sup_admin.clone(), save).await.status(),
        303
    );
    let r = post(
        &inspector,
        sup_admin.clone(),
        vec![("action", "open".into()), ("version", "2".into())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let sup_url = format!("/appraisals/{sup_id}");
    let (_, page) = fresh.get_text(&sup_url).await;
    assert!(page.contains("本次评议由特邀监督员参加"));
    let r = fresh
        .post_form(&sup_url, &[("body", &a), ("q0", "3")])
        .await;
    assert_eq!(r.status(), 403);
    let r = watcher.get(&sup_url).await;
    assert_eq!(r.status(), 200);
    let r = watcher
        .post_form(&sup_url, &[("body", &a), ("q0", "3")])
        .await;
    assert_eq!(r.status(), 200);
    let r = watcher
        .post_form(&sup_url, &[("body", &a), ("q0", "5")])
        .await;
    assert_eq!(r.status(), 409);
    let (_, page) = fresh.get_text(&sup_url).await;
    assert!(page.contains("共1份评议") && page.contains("<td>3.0</td>"));
}
