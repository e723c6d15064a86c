//! 征求意见 through the real server: the window and 起草说明 set on a published draft (bad input
//! refused with a message), comments on the whole draft and on one paragraph (sealed, held under
//! 先审后发 or when full of links, refused outside the window, too long ones coming back with the
//! text), moderation with a recorded reason, the 意见采纳情况 refused until every comment is
//! moderated and grouped, then published once with its ledger entry, the final version held back
//! from approval until then, its diff, the API, and who may do what.

use chrono::Duration;
use gongkai_domain::access::Role;

use crate::both_backends;
use crate::credit::today;
use crate::notice_periods::published_with;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(
    a_draft_takes_comments_and_publishes_what_it_did_with_them,
    held_comments_wait_in_one_queue_across_drafts,
);

const DRAFT: &str = "第一条 为规范社区停车管理，制定本办法。\n\n第二条 居民车辆凭停车证停放。\n\n第三条 本办法自发布之日起施行。";

/// The number in a receipt's `<strong>`.
fn receipt_number(page: &str) -> String {
    page.split("<strong>")
        .nth(1)
        .and_then(|s| s.split("</strong>").next())
        .unwrap_or_default()
        .to_string()
}

/// Post a group of the 意见采纳情况 holding comments `cs` (the field repeats).
async fn group(
    w: &Browser,
    path: &str,
    theme: &str,
    disposition: &str,
    reason: &str,
    cs: &[i64],
) -> reqwest::Response {
    let ids: Vec<String> = cs.iter().map(|c| c.to_string()).collect();
    let mut fields = vec![
        ("theme", theme),
        ("disposition", disposition),
        ("reason", reason),
    ];
    fields.extend(ids.iter().map(|c| ("comment", c.as_str())));
    w.post_form(path, &fields).await
}

async fn a_draft_takes_comments_and_publishes_what_it_did_with_them(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("writer", Some(Role::Editor), a).await;
    app.staff("checker", Some(Role::Reviewer), a).await;
    app.staff("leader", Some(Role::Approver), a).await;
    app.staff("other", Some(Role::Editor), b).await;
    let draft = published_with(&app, a, "社区停车管理办法（征求意见稿）", DRAFT).await;
    let w = app.login("writer").await;
    let admin = format!("/admin/items/{draft}/consultation");
    let (s, _) = w.get_text(&admin).await;
    assert_eq!(s, 200);
    // Bad input: too short a window, no explanation; the text typed comes back.
    let r = w
        .post_form(&admin, &[("days", "3"), ("explanation", "")])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("征求意见期限应为7至90天") && page.contains("请填写起草说明"),
        "{page}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM consultations").await, 0);
    // Another body's editor may not set it.
    let other = app.login("other").await;
    let r = other.post_form(&admin, &[("explanation", "说明")]).await;
    assert_eq!(r.status(), 403);
    let r = w
        .post_form(
            &admin,
            &[("explanation", "为解决老旧小区停车难，起草本办法。")],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    assert_eq!(
        app.scalar(&format!(
            "SELECT days FROM consultations WHERE item_id = {draft}"
        ))
        .await,
        30,
        "30 days unless set"
    );

    // The public: the item page links to the consultation, which shows the paragraphs and form.
    let anon = Browser::new(&app);
    let (_, item_page) = anon.get_text(&format!("/items/{draft}")).await;
    assert!(item_page.contains(&format!("/items/{draft}/consultation")));
    let public = format!("/items/{draft}/consultation");
    let (s, page) = anon.get_text(&format!("{public}?paragraph=2")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("征求意见中")
            && page.contains("为解决老旧小区停车难")
            && page.contains("id=\"p3\"")
            && page.contains("<option value=\"2\" selected>"),
        "{page}"
    );
    let (_, list) = anon.get_text("/consultations").await;
    assert!(list.contains(&public));
    let (_, feed) = anon.get_text("/feeds/consultations.atom").await;
    assert!(feed.contains(&public));
    let (_, sitemap) = anon.get_text("/sitemap-pages.xml").await;
    assert!(sitemap.contains(&format!("{public}</loc>")));

    // A comment over the length limit comes back with the text typed; nothing is stored.
    let long = "长".repeat(2001);
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "李明"),
                ("contact", "13800001111"),
                ("paragraph", "2"),
                ("text", &long),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("意见内容不超过2000字（现2001字）") && page.contains(&long));
    // A paragraph the draft does not have.
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "李明"),
                ("contact", "13800001111"),
                ("paragraph", "9"),
                ("text", "建议"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM consultation_comments")
            .await,
        0
    );
    // Under 先审后发 (the default) a comment waits for a moderator; the name is shown only when
    // agreed, and name and contact are sealed at rest.
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "李明"),
                ("contact", "13800001111"),
                ("paragraph", "2"),
                ("text", "建议为访客车辆设临时停车位。"),
                ("show_name", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let receipt = r.text().await.unwrap();
    assert!(receipt.contains("意见已收到") && receipt.contains("审核后公开"));
    let first = receipt_number(&receipt);
    assert!(first.starts_with("YJ"), "{first}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM consultation_comments WHERE name_sealed LIKE '%李明%' OR contact_sealed LIKE '%13800001111%'")
            .await,
        0
    );
    let (_, page) = anon.get_text(&public).await;
    assert!(!page.contains("建议为访客车辆设临时停车位"), "held");
    // The body switches to 先发后审: a comment is shown at once, as 网友 without consent…
    let settings = app.store.body_settings(a).await.unwrap();
    app.store
        .set_body_settings(
            a,
            &gongkai_store::disclosure::BodySettings {
                comment_moderation: "post".into(),
                ..settings
            },
            &gongkai_domain::audit::Who::system(),
        )
        .await
        .unwrap();
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "王芳"),
                ("contact", "wang@example.cn"),
                ("text", "停车证应免费办理。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let (_, page) = anon.get_text(&public).await;
    assert!(page.contains("停车证应免费办理。") && page.contains("网友"));
    assert!(
        !page.contains("王芳"),
        "the name was not agreed to be shown"
    );
    // … unless it is full of links, which holds it even so.
    let spam = "优惠停车 http://a.cn http://b.cn http://c.cn http://d.cn";
    let r = anon
        .post_form(
            &public,
            &[("name", "某某"), ("contact", "13700000000"), ("text", spam)],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("审核后公开"));
    let (_, page) = anon.get_text(&public).await;
    assert!(!page.contains("优惠停车"));
    // The API: the list and one draft conform to the OpenAPI document; a comment through it.
    let api = crate::api::Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (s, j) = api.get("/api/v1/consultations").await;
    crate::api::conforms(&doc, "/api/v1/consultations", "get", s, &j);
    assert_eq!(j["consultations"][0]["state"], "open");
    let (s, j) = api
        .post(
            &format!("/api/v1/consultations/{draft}/comments"),
            serde_json::json!({"name": "赵六", "contact": "13600000000", "text": "第三条建议改为自发布之日起30日后施行。", "paragraph": 3}),
        )
        .await;
    assert_eq!(s, 201, "{j}");
    crate::api::conforms(&doc, "/api/v1/consultations/{id}/comments", "post", s, &j);
    assert_eq!(j["held"], false);
    let (s, j) = api
        .post(
            &format!("/api/v1/consultations/{draft}/comments"),
            serde_json::json!({"name": "赵六", "contact": "1", "text": ""}),
        )
        .await;
    assert_eq!(s, 422);
    assert_eq!(j["error"]["code"], "validation");

    // Moderation: the editor opens the names; another body's editor cannot moderate.
    let (_, staff_page) = w.get_text(&admin).await;
    assert!(staff_page.contains("李明") && staff_page.contains("13800001111"));
    let id_of =
        |number: &str| format!("SELECT id FROM consultation_comments WHERE number = '{number}'");
    let first_id = app.scalar(&id_of(&first)).await;
    let spam_id = app
        .scalar("SELECT id FROM consultation_comments WHERE text LIKE '优惠停车%'")
        .await;
    let moderate = |c: i64| format!("/admin/items/{draft}/consultation/comments/{c}");
    let r = other
        .post_form(&moderate(first_id), &[("action", "show")])
        .await;
    assert_eq!(r.status(), 403);
    // Hiding needs a reason.
    let r = w
        .post_form(&moderate(spam_id), &[("action", "hide"), ("reason", "")])
        .await;
    assert!(location(&r).contains("error="));
    w.post_form(
        &moderate(spam_id),
        &[("action", "hide"), ("reason", "含广告内容")],
    )
    .await;
    w.post_form(&moderate(first_id), &[("action", "show")])
        .await;
    let (_, page) = anon.get_text(&public).await;
    assert!(
        page.contains("李明") && page.contains("建议为访客车辆设临时停车位。"),
        "shown with the name agreed"
    );
    assert!(page.contains("1条意见未予展示（含广告内容）") && !page.contains("优惠停车"));

    // Once the window is open the draft is not revised: its paragraphs are what was commented on.
    w.refresh_csrf(&format!("/admin/items/{draft}")).await;
    let r = w
        .post_form(&format!("/admin/items/{draft}/revise"), &[])
        .await;
    assert!(location(&r).contains("done=revise"), "{}", location(&r));
    w.post_form(&format!("/admin/items/{draft}/step"), &[("step", "submit")])
        .await;
    let rv = app.login("checker").await;
    rv.refresh_csrf(&format!("/admin/items/{draft}")).await;
    rv.post_form(
        &format!("/admin/items/{draft}/step"),
        &[("step", "review"), ("conclusion", "disclose")],
    )
    .await;
    let ld = app.login("leader").await;
    ld.refresh_csrf(&format!("/admin/items/{draft}")).await;
    let r = ld
        .post_form(
            &format!("/admin/items/{draft}/step"),
            &[("step", "approve")],
        )
        .await;
    let (_, detail) = ld.get_text(&location(&r)).await;
    assert!(detail.contains("征求意见稿不能修订"), "{detail}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM item_versions WHERE item_id = {draft} AND state = 'published'"
        ))
        .await,
        1,
        "the consulted text stays the published one"
    );

    // 意见采纳情况: not before the window closes.
    let feedback = format!("/admin/items/{draft}/consultation/feedback");
    let r = w.post_form(&feedback, &[]).await;
    assert!(location(&r).contains("error="));
    // After the close a comment is refused, nothing stored.
    let (start, end) = (today() - Duration::days(31), today() - Duration::days(1));
    app.exec(&format!(
        "UPDATE consultations SET start_on = '{start}', end_on = '{end}' WHERE item_id = {draft}"
    ))
    .await;
    let before = app
        .scalar("SELECT COUNT(*) FROM consultation_comments")
        .await;
    let r = anon
        .post_form(
            &public,
            &[
                ("name", "晚到"),
                ("contact", "13500000000"),
                ("text", "迟到的意见"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不再接收意见"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM consultation_comments")
            .await,
        before
    );

    // The final version is drafted meanwhile and linked; approving it waits for the feedback.
    let cat: i64 = app
        .scalar(&format!("SELECT category_id FROM items WHERE id = {draft}"))
        .await;
    w.refresh_csrf("/admin/items/new").await;
    let final_text = DRAFT.replace(
        "第二条 居民车辆凭停车证停放。",
        "第二条 居民车辆凭停车证停放，访客车辆停放临时车位。",
    );
    let r = w
        .post_form(
            "/admin/items/new",
            &[
                ("body_id", &a.to_string()),
                ("category_id", &cat.to_string()),
                ("title", "社区停车管理办法"),
                ("formed_on", &today().to_string()),
                ("body_md", &final_text),
                ("subject", "综合政务"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let fin: i64 = location(&r)
        .trim_start_matches("/admin/items/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // An unpublished item cannot be opened for comment.
    let r = w
        .post_form(
            &format!("/admin/items/{fin}/consultation"),
            &[("explanation", "说明")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("须先经审核发布"));
    let r = w
        .post_form(
            &format!("/admin/items/{draft}/consultation/final"),
            &[("final_id", &fin.to_string())],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    w.refresh_csrf(&format!("/admin/items/{fin}")).await;
    w.post_form(&format!("/admin/items/{fin}/step"), &[("step", "submit")])
        .await;
    rv.refresh_csrf(&format!("/admin/items/{fin}")).await;
    rv.post_form(
        &format!("/admin/items/{fin}/step"),
        &[("step", "review"), ("conclusion", "disclose")],
    )
    .await;
    ld.refresh_csrf(&format!("/admin/items/{fin}")).await;
    let r = ld
        .post_form(&format!("/admin/items/{fin}/step"), &[("step", "approve")])
        .await;
    let loc = location(&r);
    assert!(loc.contains("error="), "{loc}");
    let (_, detail) = ld.get_text(&loc).await;
    assert!(detail.contains("须先公布意见采纳情况"), "{detail}");
    assert_eq!(
        app.store.get_item(fin).await.unwrap().status,
        "unpublished",
        "not published"
    );

    // Not while a comment is ungrouped; a 未采纳 group needs its reason.
    let r = w.post_form(&feedback, &[]).await;
    assert!(location(&r).contains("error="));
    let groups = format!("/admin/items/{draft}/consultation/groups");
    let ids: Vec<i64> = {
        let mut v = Vec::new();
        for t in ["建议为访客%", "停车证应免费%", "第三条建议%"] {
            v.push(
                app.scalar(&format!(
                    "SELECT id FROM consultation_comments WHERE text LIKE '{t}'"
                ))
                .await,
            );
        }
        v
    };
    let r = group(&w, &groups, "停车证收费", "rejected", "", &[ids[1]]).await;
    assert!(location(&r).contains("error="));
    group(&w, &groups, "访客停车", "adopted", "", &[ids[0]]).await;
    group(
        &w,
        &groups,
        "停车证收费与施行日期",
        "rejected",
        "停车证工本费按物价部门核定标准收取；施行日期已征求街道意见。",
        &[ids[1], ids[2]],
    )
    .await;
    let r = w.post_form(&feedback, &[]).await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM ledger WHERE item_id = {draft} AND action = 'consultation_feedback'"
        ))
        .await,
        1
    );
    // Published once: no more changes.
    let r = w.post_form(&feedback, &[]).await;
    assert!(location(&r).contains("error="));
    let r = w
        .post_form(&moderate(first_id), &[("action", "hide"), ("reason", "x")])
        .await;
    assert!(location(&r).contains("error="));

    // Now the final version is approved and published; the public sees the feedback and diff.
    ld.refresh_csrf(&format!("/admin/items/{fin}")).await;
    let r = ld
        .post_form(&format!("/admin/items/{fin}/step"), &[("step", "approve")])
        .await;
    assert!(!location(&r).contains("error="), "{}", location(&r));
    assert_eq!(app.store.get_item(fin).await.unwrap().status, "published");
    let (_, page) = anon.get_text(&public).await;
    assert!(
        page.contains("意见采纳情况")
            && page.contains("访客停车 · 采纳（1条）")
            && page.contains("停车证收费与施行日期 · 未采纳（2条）")
            && page.contains("物价部门核定标准")
            && page.contains(&format!("/items/{fin}\""))
            && page.contains("已公布意见采纳情况"),
        "{page}"
    );
    let (s, diff) = anon.get_text(&format!("{public}/diff")).await;
    assert_eq!(s, 200);
    assert!(
        diff.contains("class=\"del\"")
            && diff.contains("访客车辆停放临时车位")
            && diff.contains("class=\"ins\""),
        "{diff}"
    );
    let (_, final_page) = anon.get_text(&format!("/items/{fin}")).await;
    assert!(final_page.contains(&public), "the final version links back");
    let (s, j) = api.get(&format!("/api/v1/consultations/{draft}")).await;
    crate::api::conforms(&doc, "/api/v1/consultations/{id}", "get", s, &j);
    assert_eq!(j["state"], "feedback");
    assert_eq!(j["feedback"][1]["disposition"], "rejected");
    assert_eq!(j["feedback"][1]["comments"].as_array().unwrap().len(), 2);
    assert_eq!(j["final_item_id"], fin);
    assert_eq!(j["paragraphs"].as_array().unwrap().len(), 3);
}

/// The moderation queue: the held comments of every draft of the 信息员's bodies, and only those;
/// shown or hidden (with a reason) from the queue; the dashboard counts them; nobody without the
/// role opens it.
async fn held_comments_wait_in_one_queue_across_drafts(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("writer", Some(Role::Editor), a).await;
    app.staff("other", Some(Role::Editor), b).await;
    app.staff("checker", Some(Role::Reviewer), a).await;
    let (w, other) = (app.login("writer").await, app.login("other").await);
    let anon = Browser::new(&app);
    let mut drafts = Vec::new();
    for (who, body, title) in [
        (&w, a, "甲局停车管理办法（征求意见稿）"),
        (&w, a, "甲局垃圾分类办法（征求意见稿）"),
        (&other, b, "乙局养犬管理办法（征求意见稿）"),
    ] {
        let draft = published_with(&app, body, title, DRAFT).await;
        let r = who
            .post_form(
                &format!("/admin/items/{draft}/consultation"),
                &[("explanation", "起草说明。")],
            )
            .await;
        assert!(location(&r).contains("done="), "{}", location(&r));
        let r = anon
            .post_form(
                &format!("/items/{draft}/consultation"),
                &[
                    ("name", "市民"),
                    ("contact", "13900000000"),
                    ("text", &format!("对{title}的意见")),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
        drafts.push(draft);
    }
    let queue = "/admin/consultations/held";
    let (s, page) = w.get_text(queue).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("对甲局停车管理办法（征求意见稿）的意见")
            && page.contains("对甲局垃圾分类办法（征求意见稿）的意见")
            && !page.contains("乙局养犬"),
        "{page}"
    );
    assert!(!page.contains("13900000000"), "no contact in the queue");
    let (_, dash) = w.get_text("/admin").await;
    assert!(dash.contains("待审核意见 2 条"), "{dash}");
    let (_, page) = other.get_text(queue).await;
    assert!(
        page.contains("乙局养犬") && !page.contains("甲局"),
        "{page}"
    );
    assert_eq!(app.login("checker").await.get_text(queue).await.0, 403);
    let id_of = |draft: i64| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT id FROM consultation_comments WHERE item_id = {draft}"
            ))
            .await
        }
    };
    let moderate =
        |draft: i64, cid: i64| format!("/admin/items/{draft}/consultation/comments/{cid}");
    // Another body's 信息员 cannot moderate from a crafted form.
    let c0 = id_of(drafts[0]).await;
    let r = other
        .post_form(
            &moderate(drafts[0], c0),
            &[("action", "show"), ("next", "queue")],
        )
        .await;
    assert_eq!(r.status(), 403);
    // Shown from the queue: back to the queue, public at once.
    let r = w
        .post_form(
            &moderate(drafts[0], c0),
            &[("action", "show"), ("next", "queue")],
        )
        .await;
    assert!(
        location(&r).starts_with(&format!("{queue}?done=")),
        "{}",
        location(&r)
    );
    let (_, public) = anon
        .get_text(&format!("/items/{}/consultation", drafts[0]))
        .await;
    assert!(public.contains("对甲局停车管理办法（征求意见稿）的意见"));
    // Hidden without a reason: refused on the queue; with one, gone from it.
    let c1 = id_of(drafts[1]).await;
    let r = w
        .post_form(
            &moderate(drafts[1], c1),
            &[("action", "hide"), ("next", "queue")],
        )
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(
        page.contains("隐藏意见须填写理由") && page.contains("对甲局垃圾分类办法"),
        "{page}"
    );
    let r = w
        .post_form(
            &moderate(drafts[1], c1),
            &[
                ("action", "hide"),
                ("reason", "与本文件无关"),
                ("next", "queue"),
            ],
        )
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("没有待审核的意见"), "{page}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM consultation_comments WHERE id = {c1} AND status = 'hidden' AND hidden_reason = '与本文件无关'"
        ))
        .await,
        1
    );
    let (_, dash) = w.get_text("/admin").await;
    assert!(!dash.contains("待审核意见"), "{dash}");
    // A queue page opened before another moderator hid it does not undo that decision.
    let r = w
        .post_form(
            &moderate(drafts[1], c1),
            &[("action", "show"), ("next", "queue"), ("expect", "held")],
        )
        .await;
    let (_, page) = w.get_text(&location(&r)).await;
    assert!(page.contains("该意见已由他人审核"), "{page}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM consultation_comments WHERE id = {c1} AND status = 'hidden'"
        ))
        .await,
        1
    );
}
