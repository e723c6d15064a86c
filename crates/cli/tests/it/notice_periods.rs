//! 公示 through the real server: the period set on a published item (bad input refused with a
//! message), the public page in its period with the objection form, objections stored sealed
//! and refused outside the period, their handling, the result with its ledger entry and the day
//! the decision takes effect, and who may do what.

use chrono::{Duration, NaiveDate};
use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::notice_period::{DayUnit, period_end};
use gongkai_store::disclosure::{ImportRow, VersionFields};

use crate::both_backends;
use crate::credit::today;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(
    a_notice_runs_its_period_takes_objections_and_records_its_result,
    the_school_flow_runs_from_proposal_to_effect,
    the_village_flow_runs_the_four_deliberations_and_two_disclosures,
    collective_decisions_through_the_api_match_the_document,
);

/// A public item of body `a` published today; its id.
async fn published(app: &TestApp, body: i64, title: &str) -> i64 {
    published_with(app, body, title, "拟推荐张三同志为年度先进工作者。").await
}

/// A public item of `body` with text `body_md`, published today; its id.
pub(crate) async fn published_with(app: &TestApp, body: i64, title: &str, body_md: &str) -> i64 {
    let cats = app.store.list_categories(body).await.unwrap();
    let org = app.store.get_body(body).await.unwrap().org_code;
    let day = today();
    app.store
        .import_published(
            &[ImportRow {
                body_id: body,
                org_code: org,
                category_id: cats[0].id,
                index_no: None,
                fields: VersionFields {
                    title: title.into(),
                    doc_no: String::new(),
                    written_on: Some(day),
                    formed_on: day,
                    subject: "综合政务".into(),
                    keywords: String::new(),
                    summary: String::new(),
                    body_md: body_md.into(),
                    scope: "public".into(),
                    open_method: "proactive".into(),
                    normative_kind: "none".into(),
                    related: Vec::new(),
                },
                published_on: day,
                validity: "valid".into(),
                validity_date: None,
            }],
            &Who::system(),
        )
        .await
        .unwrap();
    app.scalar(&format!("SELECT id FROM items WHERE title = '{title}'"))
        .await
}

/// Move a notice's period into the past: it ended yesterday.
async fn end_yesterday(app: &TestApp, item: i64) {
    let start = today() - Duration::days(10);
    let end = today() - Duration::days(1);
    app.exec(&format!(
        "UPDATE notice_periods SET start_on = '{start}', end_on = '{end}' WHERE item_id = {item}"
    ))
    .await;
}

async fn a_notice_runs_its_period_takes_objections_and_records_its_result(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("writer", Some(Role::Editor), a).await;
    app.staff("checker", Some(Role::Reviewer), a).await;
    app.staff("other", Some(Role::Editor), b).await;
    let item = published(&app, a, "关于2026年度先进工作者推荐人选的公示").await;
    let w = app.login("writer").await;
    let admin = format!("/admin/items/{item}/notice");
    let (s, _) = w.get_text(&admin).await;
    assert_eq!(s, 200);
    // Bad input: a period of 0 days, a start before publication.
    let r = w
        .post_form(
            &admin,
            &[("kind", "award"), ("days", "0"), ("start", "2020-01-01")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("公示天数应为1至60") && page.contains("开始日期不能早于"),
        "{page}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM notice_periods").await, 0);
    // Another body's editor may not set it.
    let other = app.login("other").await;
    let r = other.post_form(&admin, &[("kind", "award")]).await;
    assert_eq!(r.status(), 403);
    // 评优评先: 5 working days from today.
    let r = w.post_form(&admin, &[("kind", "award")]).await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let want = period_end(&Calendar::builtin(), today(), 5, DayUnit::Working);
    if let Ok(end) = want {
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM notice_periods WHERE item_id = {item} AND end_on = '{end}'"
            ))
            .await,
            1
        );
    }
    // Once started, the period is fixed.
    let r = w
        .post_form(&admin, &[("kind", "award"), ("days", "3")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("公示已经开始"));

    // The public: the item page links to the notice, which shows 公示中 and the form.
    let anon = Browser::new(&app);
    let (_, item_page) = anon.get_text(&format!("/items/{item}")).await;
    assert!(
        item_page.contains(&format!("/items/{item}/notice")),
        "{item_page}"
    );
    let public = format!("/items/{item}/notice");
    let (s, page) = anon.get_text(&public).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("公示中") && page.contains("提出异议"),
        "{page}"
    );
    // It is in the portal's list (in its period), its feed and the sitemap.
    let (_, list) = anon.get_text("/notices").await;
    let open_part = list.split("已期满").next().unwrap_or_default().to_string();
    assert!(open_part.contains(&public), "{list}");
    let (_, feed) = anon.get_text("/feeds/notices.atom").await;
    assert!(feed.contains(&public));
    let (_, sitemap) = anon.get_text("/sitemap-pages.xml").await;
    assert!(sitemap.contains(&format!("{public}</loc>")));
    // The API lists it and takes objections, as the OpenAPI document says.
    let api = crate::api::Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (s, j) = api.get("/api/v1/notices").await;
    crate::api::conforms(&doc, "/api/v1/notices", "get", s, &j);
    assert_eq!(j["notices"][0]["phase"], "open");
    let (s, j) = api
        .post(
            &format!("/api/v1/notices/{item}/objections"),
            serde_json::json!({"name": "", "contact": "1", "text": ""}),
        )
        .await;
    assert_eq!(s, 422);
    crate::api::conforms(&doc, "/api/v1/notices/{id}/objections", "post", s, &j);
    assert_eq!(j["error"]["code"], "validation");
    // An objection without a name comes back with what was typed.
    anon.get_text(&public).await;
    let r = anon
        .post_form(
            &public,
            &[
                ("contact", "13900001111"),
                ("text", "该同志去年有违纪记录。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("请填写真实姓名") && page.contains("该同志去年有违纪记录。"));
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "王五"),
                ("contact", "13900001111"),
                ("text", "该同志去年有违纪记录。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let receipt = r.text().await.unwrap();
    assert!(receipt.contains("异议已收到"), "{receipt}");
    let number: String = receipt
        .split("<strong>")
        .nth(1)
        .and_then(|s| s.split("</strong>").next())
        .unwrap()
        .to_string();
    assert!(number.starts_with("YY"));
    // Name and contact are sealed at rest; only the body's editor sees them.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM notice_objections WHERE name_sealed LIKE '%王五%' OR contact_sealed LIKE '%13900001111%'")
            .await,
        0
    );
    let (_, page) = w.get_text(&admin).await;
    assert!(page.contains("王五") && page.contains(&number), "{page}");
    let checker = app.login("checker").await;
    let (s, page) = checker.get_text(&admin).await;
    assert_eq!(s, 200);
    assert!(!page.contains("王五") && page.contains("仅信息员可见"));
    assert_eq!(other.get_text(&admin).await.0, 404);
    assert!(
        !anon.get_text(&public).await.1.contains("王五"),
        "never public"
    );

    // The period ends with the objection not handled: 异议处理中, and no more objections.
    end_yesterday(&app, item).await;
    let (_, page) = anon.get_text(&public).await;
    assert!(page.contains("公示期满，异议处理中"), "{page}");
    assert!(!page.contains("提交异议"));
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "赵六"),
                ("contact", "13900002222"),
                ("text", "补充意见。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不再受理异议"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM notice_objections").await,
        1
    );
    let (s, j) = api
        .post(
            &format!("/api/v1/notices/{item}/objections"),
            serde_json::json!({"name": "赵六", "contact": "13900002222", "text": "补充意见。"}),
        )
        .await;
    assert_eq!(
        (s, j["error"]["code"].as_str()),
        (422, Some("workflow")),
        "{j}"
    );
    crate::api::conforms(&doc, "/api/v1/notices/{id}/objections", "post", s, &j);
    // Handling it settles the notice: 异议已处理, effective today, with a ledger entry.
    let oid = app.scalar("SELECT id FROM notice_objections").await;
    let r = checker
        .post_form(
            &format!("/admin/items/{item}/notice/objections/{oid}"),
            &[("handling", "经核查"), ("result", "反映不属实")],
        )
        .await;
    assert_eq!(r.status(), 403, "the reviewer does not handle objections");
    let r = w
        .post_form(
            &format!("/admin/items/{item}/notice/objections/{oid}"),
            &[
                ("handling", "经向纪检部门核查，该同志无违纪记录。"),
                ("result", "反映不属实，维持推荐"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let (_, page) = anon.get_text(&public).await;
    assert!(page.contains("公示期满，异议已处理"), "{page}");
    assert!(page.contains(&format!("自{}起生效", today())), "{page}");
    let (_, list) = anon.get_text("/notices").await;
    let ended_part = list.split("已期满").nth(1).unwrap_or_default().to_string();
    assert!(
        ended_part.contains(&public) && ended_part.contains("异议已处理"),
        "{list}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM ledger WHERE item_id = {item} AND action = 'notice_result'"
        ))
        .await,
        1
    );
    assert!(
        app.store.verify_ledger().await.unwrap().is_ok(),
        "the ledger still verifies"
    );
    // A notice without objections takes effect the day after its period.
    let quiet = published(&app, a, "关于村级财务收支情况的公示").await;
    let r = w
        .post_form(
            &format!("/admin/items/{quiet}/notice"),
            &[("kind", "village"), ("policy", "record")],
        )
        .await;
    assert!(location(&r).contains("done="));
    end_yesterday(&app, quiet).await;
    let (_, page) = anon.get_text(&format!("/items/{quiet}/notice")).await;
    assert!(page.contains("公示期满，无异议"), "{page}");
    let effective: NaiveDate = today();
    assert!(
        page.contains(&format!("自{effective}起生效")),
        "the day after yesterday: {page}"
    );
    // Not a notice, or not published: 404.
    assert_eq!(anon.get_text("/items/999999/notice").await.0, 404);
    let visitor = Browser::new(&app);
    let r = visitor.get(&admin).await;
    assert!(r.status().is_redirection() && location(&r).contains("/login"));
}

/// The school's flow: 校委会 proposal → 教代会 approval (following it, with the minutes) → 公示
/// citing the approval → effective after the period. A record without a vote is refused with
/// the input kept; another body's editor can neither record nor read.
async fn the_school_flow_runs_from_proposal_to_effect(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("writer", Some(Role::Editor), a).await;
    app.staff("other", Some(Role::Editor), b).await;
    let w = app.login("writer").await;
    let day = |n: i64| (today() - Duration::days(n)).to_string();
    let body = a.to_string();
    let record = |fields: Vec<(&'static str, String)>, files: Vec<(&'static str, Vec<u8>)>| {
        let w = &w;
        async move {
            let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            w.post_multipart("/admin/decisions", &f, &files)
                .await
                .unwrap()
        }
    };
    let proposal = vec![
        ("body_id", body.clone()),
        ("meeting_kind", "school_board".to_string()),
        ("meeting_on", day(6)),
        (
            "motion",
            "提议王丽等三位同志为2026年度优秀教师人选".to_string(),
        ),
        (
            "attendees",
            "校长\n副校长\n教务主任\n政教主任\n工会主席".to_string(),
        ),
    ];
    // Without a vote: refused, the input shown again.
    let r = record(proposal.clone(), vec![]).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("请填写表决结果") && page.contains("提议王丽等三位同志"),
        "{page}"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM collective_decisions")
            .await,
        0
    );
    let mut voted = proposal.clone();
    voted.extend([
        ("votes_for", "5".to_string()),
        ("votes_against", "0".to_string()),
        ("votes_abstain", "0".to_string()),
    ]);
    let r = record(voted, vec![]).await;
    assert_eq!(r.status(), 303, "{}", r.status());
    let first: i64 = location(&r)
        .trim_start_matches("/admin/decisions/")
        .parse()
        .unwrap();
    // Another body's editor may not record for this body, nor read its records.
    let other = app.login("other").await;
    let f = [("body_id", body.as_str()), ("meeting_kind", "other")];
    let r = other
        .post_multipart("/admin/decisions", &f, &[])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        other.get_text(&format!("/admin/decisions/{first}")).await.0,
        404
    );
    // The 教代会 approves it, with the minutes.
    let approval = vec![
        ("body_id", body.clone()),
        ("meeting_kind", "staff_congress".to_string()),
        ("meeting_on", day(3)),
        ("motion", "审议通过2026年度优秀教师评选结果".to_string()),
        (
            "attendees",
            (1..=41)
                .map(|i| format!("代表{i}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        ("votes_for", "38".to_string()),
        ("votes_against", "2".to_string()),
        ("votes_abstain", "1".to_string()),
        ("follows_id", first.to_string()),
    ];
    let r = record(
        approval,
        vec![(
            "教代会纪要.txt",
            "教职工代表大会会议纪要：审议通过评选结果。"
                .as_bytes()
                .to_vec(),
        )],
    )
    .await;
    assert_eq!(r.status(), 303);
    let second: i64 = location(&r)
        .trim_start_matches("/admin/decisions/")
        .parse()
        .unwrap();
    let (_, page) = w.get_text(&format!("/admin/decisions/{second}")).await;
    assert!(
        page.contains("表决通过：赞成38票，反对2票，弃权1票") && page.contains("决策过程"),
        "{page}"
    );
    let minutes = w.get(&format!("/admin/decisions/{second}/minutes")).await;
    assert_eq!(minutes.status(), 200);
    assert!(minutes.text().await.unwrap().contains("审议通过评选结果"));
    // The 公示 cites the approval; the public page shows the whole chain.
    let item = published(&app, a, "关于2026年度优秀教师评选结果的公示").await;
    let r = w
        .post_form(&format!("/admin/items/{item}/notice"), &[("kind", "award")])
        .await;
    assert!(location(&r).contains("done="));
    let r = other
        .post_form(
            &format!("/admin/items/{item}/notice/decision"),
            &[("decision_id", &second.to_string())],
        )
        .await;
    assert_eq!(r.status(), 403);
    let r = w
        .post_form(
            &format!("/admin/items/{item}/notice/decision"),
            &[("decision_id", &second.to_string())],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let anon = Browser::new(&app);
    let (_, page) = anon.get_text(&format!("/items/{item}/notice")).await;
    assert!(page.contains("决策依据"), "{page}");
    let proposal_at = page
        .find("校务委员会会议（校委会）表决通过：赞成5票")
        .unwrap();
    let approval_at = page
        .find("教职工代表大会（教代会）表决通过：赞成38票")
        .unwrap();
    assert!(proposal_at < approval_at, "the proposal comes first");
    assert!(
        !page.contains("代表17"),
        "attendees are not listed in public"
    );
    // After the period without objections, the result takes effect.
    end_yesterday(&app, item).await;
    let (_, page) = anon.get_text(&format!("/items/{item}/notice")).await;
    assert!(
        page.contains("公示期满，无异议") && page.contains(&format!("自{}起生效", today())),
        "{page}"
    );
}

/// The village's 四议两公开: 村党组织提议 → 村“两委”商议 → 党员大会审议 → 村民代表会议决议, each
/// following the one before; a 公示 may cite the resolution only when every step is recorded and
/// passed; after the period the 实施结果 is recorded (not before, and only a public item of the
/// village), and the public notice page shows all six steps.
async fn the_village_flow_runs_the_four_deliberations_and_two_disclosures(db: Db) {
    let app = TestApp::spawn(db).await;
    let (village, b) = (app.tree.a1, app.tree.b);
    app.staff("clerk", Some(Role::Editor), village).await;
    app.staff("other", Some(Role::Editor), b).await;
    let w = app.login("clerk").await;
    let body = village.to_string();
    let motion = "青山村集体机动地对外发包方案";
    let record = |kind: &'static str, ago: i64, follows: Option<i64>, votes: (u32, u32)| {
        let (w, body) = (&w, body.clone());
        async move {
            let on = (today() - Duration::days(ago)).to_string();
            let f = follows.map(|f| f.to_string()).unwrap_or_default();
            let (yes, no) = (votes.0.to_string(), votes.1.to_string());
            let fields = [
                ("body_id", body.as_str()),
                ("meeting_kind", kind),
                ("meeting_on", on.as_str()),
                ("motion", motion),
                ("attendees", "杨春生\n李桂兰\n王建国\n赵丽\n陈明"),
                ("votes_for", yes.as_str()),
                ("votes_against", no.as_str()),
                ("votes_abstain", "0"),
                ("follows_id", f.as_str()),
            ];
            let r = w
                .post_multipart("/admin/decisions", &fields, &[])
                .await
                .unwrap();
            assert_eq!(r.status(), 303, "{kind}");
            location(&r)
                .trim_start_matches("/admin/decisions/")
                .parse::<i64>()
                .unwrap()
        }
    };
    let proposal = record("village_party", 20, None, (5, 0)).await;
    let discussed = record("village_committees", 18, Some(proposal), (5, 0)).await;
    // A resolution straight after the committees, skipping the party members' meeting.
    let shortcut = record("village_reps", 15, Some(discussed), (4, 1)).await;
    let item = published(&app, village, "青山村集体机动地对外发包方案公示").await;
    let r = w
        .post_form(
            &format!("/admin/items/{item}/notice"),
            &[("kind", "village")],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let cite = |d: i64| {
        let w = &w;
        async move {
            location(
                &w.post_form(
                    &format!("/admin/items/{item}/notice/decision"),
                    &[("decision_id", &d.to_string())],
                )
                .await,
            )
        }
    };
    let back = cite(shortcut).await;
    assert!(back.contains("error="), "{back}");
    let (_, page) = w.get_text(&back).await;
    assert!(page.contains("缺少党员大会审议"), "{page}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM notice_periods WHERE item_id = {item} AND decision_id IS NOT NULL"
        ))
        .await,
        0
    );
    let (_, page) = w.get_text(&format!("/admin/decisions/{shortcut}")).await;
    assert!(page.contains("程序不完整"), "{page}");
    // A resolution that failed its vote is not announced either.
    let deliberated = record("party_members", 14, Some(discussed), (5, 0)).await;
    let failed = record("village_reps", 12, Some(deliberated), (2, 3)).await;
    assert!(cite(failed).await.contains("error="));
    // Nor a step a later meeting took further.
    let (_, page) = w.get_text(&cite(deliberated).await).await;
    assert!(page.contains("已有后续会议审议"), "{page}");
    // The whole procedure: cited, and the public page shows the steps.
    let resolved = record("village_reps", 10, Some(deliberated), (5, 0)).await;
    assert!(cite(resolved).await.contains("done="));
    // Once the public has seen it, the basis is neither changed nor removed.
    let (_, page) = w.get_text(&cite(shortcut).await).await;
    assert!(page.contains("缺少党员大会审议"), "{page}");
    let r = w
        .post_form(
            &format!("/admin/items/{item}/notice/decision"),
            &[("decision_id", "")],
        )
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("已公开的决策依据不能更改或撤销"), "{page}");
    let anon = Browser::new(&app);
    let (_, page) = anon.get_text(&format!("/items/{item}/notice")).await;
    for step in [
        "村党组织提议：已完成",
        "村“两委”会议商议：已完成",
        "党员大会审议：已完成",
        "村民会议或村民代表会议决议：已完成",
        "决议公开：本公示（公示中）",
        "实施结果公开：尚未公开",
    ] {
        assert!(page.contains(step), "{step}: {page}");
    }
    assert!(!page.contains("杨春生"), "attendees are not public");
    // The result cannot be recorded while the notice runs.
    let report = published(&app, village, "青山村集体机动地发包实施结果").await;
    let result = format!("/admin/decisions/{resolved}/result");
    let r = w
        .post_form(&result, &[("item_id", &report.to_string())])
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("决议经公示生效后"), "{page}");
    end_yesterday(&app, item).await;
    assert_eq!(anon.get_text(&format!("/items/{item}/notice")).await.0, 200);
    // Another body's editor may not record it; an item of another body or an internal one is refused.
    let other = app.login("other").await;
    let r = other
        .post_form(&result, &[("item_id", &report.to_string())])
        .await;
    assert_eq!(r.status(), 404);
    let elsewhere = published(&app, b, "其他单位的信息").await;
    let r = w
        .post_form(&result, &[("item_id", &elsewhere.to_string())])
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("实施结果须是本机关发布的信息"), "{page}");
    let internal = published(&app, village, "村内部工作记录").await;
    app.exec(&format!(
        "UPDATE items SET scope = 'internal' WHERE id = {internal}"
    ))
    .await;
    let r = w
        .post_form(&result, &[("item_id", &internal.to_string())])
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("已主动公开"), "{page}");
    // The 公示 itself is not its own result.
    let r = w
        .post_form(&result, &[("item_id", &item.to_string())])
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("实施结果不能是公示本身"), "{page}");
    let r = w
        .post_form(&result, &[("item_id", &report.to_string())])
        .await;
    assert!(location(&r).contains("done=result"), "{}", location(&r));
    let (_, page) = anon.get_text(&format!("/items/{item}/notice")).await;
    assert!(
        page.contains(&format!(
            "实施结果公开：<a href=\"/items/{report}\">青山村集体机动地发包实施结果</a>"
        )) && page.contains("决议公开：本公示（已期满）"),
        "{page}"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'decision.result' AND object_id = '{resolved}'"
        ))
        .await,
        1
    );
}

/// The staff API of decision records: recorded under the form's rules (a vote required, the
/// earlier decision of the same body), listed and read with the chain and procedure, within the
/// token's bodies only; every answer conforms to the OpenAPI document.
async fn collective_decisions_through_the_api_match_the_document(db: Db) {
    use crate::api::{Api, admin, conforms, issue};
    use serde_json::json;
    let app = TestApp::spawn(db).await;
    let (village, b) = (app.tree.a1, app.tree.b);
    let ad = admin(&app).await;
    let clerk = Api::new(
        &app,
        Some(&issue(&ad, "村务系统", village, &["editor"], "svc-village").await),
    );
    let other = Api::new(
        &app,
        Some(&issue(&ad, "乙局系统", b, &["editor"], "svc-b").await),
    );
    let (_, doc) = Api::new(&app, None).get("/api/openapi.json").await;
    let path = "/api/v1/admin/collective-decisions";
    let day = (today() - Duration::days(5)).to_string();
    let meeting = |kind: &str, follows: Option<i64>| {
        json!({
            "body_id": village,
            "meeting_kind": kind,
            "meeting_on": day,
            "motion": "村委会办公楼维修方案",
            "attendees": ["杨春生", "李桂兰", "王德明"],
            "votes_for": 3, "votes_against": 0, "votes_abstain": 0,
            "follows_id": follows,
        })
    };
    // Without a vote: 422 with the field; nothing recorded.
    let mut no_vote = meeting("village_party", None);
    no_vote["votes_for"] = json!(null);
    let (s, j) = clerk.post(path, no_vote).await;
    assert_eq!(s, 422, "{j}");
    conforms(&doc, path, "post", s, &j);
    assert_eq!(j["error"]["code"], "validation");
    assert!(j.to_string().contains("请填写表决结果"), "{j}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM collective_decisions")
            .await,
        0
    );
    // Another body's token may not record for the village.
    let (s, _) = other.post(path, meeting("village_party", None)).await;
    assert_eq!(s, 403);
    let mut ids = Vec::new();
    for kind in ["village_party", "village_committees"] {
        let (s, j) = clerk.post(path, meeting(kind, ids.last().copied())).await;
        assert_eq!(s, 201, "{j}");
        conforms(&doc, path, "post", s, &j);
        ids.push(j["id"].as_i64().unwrap());
    }
    // Following a decision of another body is refused.
    let (s, j) = other
        .post(
            path,
            json!({"body_id": b, "meeting_kind": "office", "meeting_on": day, "motion": "议题",
                   "attendees": ["甲"], "votes_for": 1, "votes_against": 0, "votes_abstain": 0,
                   "follows_id": ids[0]}),
        )
        .await;
    assert_eq!(s, 422, "{j}");
    assert!(j.to_string().contains("本机关此前的决策"), "{j}");
    let (s, j) = clerk
        .post(path, meeting("village_reps", Some(ids[1])))
        .await;
    assert_eq!(s, 201);
    let resolution = j["id"].as_i64().unwrap();
    let one = format!("{path}/{resolution}");
    let (s, j) = clerk.get(&one).await;
    assert_eq!(s, 200, "{j}");
    conforms(
        &doc,
        "/api/v1/admin/collective-decisions/{id}",
        "get",
        s,
        &j,
    );
    assert_eq!(j["chain"].as_array().unwrap().len(), 3);
    assert_eq!(j["procedure"]["complete"], false);
    assert!(
        j["procedure"]["problem"]
            .as_str()
            .unwrap()
            .contains("党员大会审议")
    );
    assert_eq!(j["procedure"]["steps"][0]["decision_id"], ids[0]);
    assert_eq!(j["procedure"]["steps"][2]["decision_id"], json!(null));
    let (s, j) = clerk.get(&format!("{path}?body_id={village}")).await;
    assert_eq!(s, 200);
    conforms(&doc, path, "get", s, &j);
    assert_eq!(j.as_array().unwrap().len(), 3);
    assert_eq!(j[0]["meeting_kind_label"], "村民代表会议", "{j}");
    // Outside the token's bodies: 404, as for a record that does not exist.
    assert_eq!(other.get(&one).await.0, 404);
    assert_eq!(other.get(&format!("{path}?body_id={village}")).await.0, 404);
    assert_eq!(clerk.get(&format!("{path}/999999")).await.0, 404);
    assert_eq!(Api::new(&app, None).get(&one).await.0, 401);
}
