//! 依申请公开 end to end: the public form and receipt, the applicant's view, the staff handling
//! with the statutory clock, privacy of identity data, and who may see what.

use gongkai_domain::access::Role;

use crate::both_backends;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(
    apply_correct_reply_and_the_applicant_sees_it,
    bad_applications_are_refused_and_nothing_is_stored,
    cases_are_visible_only_to_their_handlers,
    a_step_dated_on_the_rest_days_before_an_online_receipt_counts_on_the_receipt_day
);

fn regex_capture(page: &str, re: &str) -> String {
    regex::Regex::new(re)
        .unwrap()
        .captures(page)
        .unwrap_or_else(|| panic!("{re} not found"))
        .get(1)
        .unwrap()
        .as_str()
        .to_string()
}

/// Submit the public form; returns (number, secret, receipt page).
pub(crate) async fn apply(app: &TestApp, body: i64, description: &str) -> (String, String, String) {
    let b = Browser::new(app);
    let (_, form) = b.get_text("/apply").await;
    assert!(form.contains("政府信息公开申请"));
    let r = b
        .post_form(
            "/apply",
            &[
                ("body_id", &body.to_string()),
                ("applicant_type", "natural"),
                ("name", "李明"),
                ("id_type", "居民身份证"),
                ("id_number", "11010519491231002X"),
                ("phone", "13800001111"),
                ("email", "liming@example.cn"),
                ("address", ""),
                ("description", description),
                ("doc_no", ""),
                ("form_wanted", "电子数据"),
                ("delivery", "online"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("申请已收到"), "{page}");
    let number = regex_capture(
        &page,
        r#"<th scope="row">申请编号</th><td><strong class="code">([0-9-]+)</strong>"#,
    );
    let secret = regex_capture(
        &page,
        r#"<th scope="row">查询密码</th><td><strong class="code">([A-Z0-9-]+)</strong>"#,
    );
    (number, secret, page)
}

pub(crate) async fn track(app: &TestApp, number: &str, secret: &str) -> String {
    let b = Browser::new(app);
    b.get_text("/track").await;
    let r = b
        .post_form("/track", &[("number", number), ("secret", secret)])
        .await;
    r.text().await.unwrap()
}

async fn apply_correct_reply_and_the_applicant_sees_it(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    let (number, secret, receipt) = apply(&app, a, "2024年城区道路改造工程的招标文件").await;
    assert!(receipt.contains("答复期限"));
    // Durably stored before the receipt: it is in the database now.
    let stored = app.store.find_application(&number).await.unwrap().unwrap();
    assert_eq!(stored.status, "handling");
    // The identity number and contacts are sealed at rest.
    assert!(
        !stored.id_sealed.contains("11010519491231002X") && stored.id_sealed.starts_with("v1:")
    );
    let raw: i64 = app.scalar("SELECT COUNT(*) FROM applications WHERE contact_sealed LIKE '%13800001111%' OR id_sealed LIKE '%1101051949%'").await;
    assert_eq!(raw, 0);
    // The applicant sees the case with the right secret, and nobody sees it with a wrong one.
    let page = track(&app, &number, &secret).await;
    assert!(
        page.contains("办理中") && page.contains("答复截止日期"),
        "{page}"
    );
    let page = track(&app, &number, "AAAA-BBBB-CCCC-DDDD").await;
    assert!(page.contains("申请编号或查询密码不正确") && !page.contains("招标文件"));
    // The handler asks for a correction (补正).
    let h = app.login("handler").await;
    let (_, list) = h.get_text("/admin/applications?tab=open").await;
    assert!(list.contains(&number));
    let id = stored.id;
    let (_, case) = h.get_text(&format!("/admin/applications/{id}")).await;
    assert!(case.contains("110105********002X"), "masked by default");
    assert!(!case.contains("11010519491231002X"));
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[
                ("kind", "correction_requested"),
                ("note", "请说明所需招标文件的项目名称或标段"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    // A second correction request is refused (条例第三十条: once).
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "correction_requested")],
        )
        .await;
    assert!(location(&r).contains("error="));
    // The applicant submits the correction online.
    let b = Browser::new(&app);
    b.get_text("/track").await;
    let page = b
        .post_form("/track", &[("number", &number), ("secret", &secret)])
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("补正中") && page.contains("请说明所需招标文件的项目名称或标段"));
    let page = b
        .post_form(
            "/track/correct",
            &[
                ("number", &number),
                ("secret", &secret),
                ("text", "城区人民路改造工程第二标段"),
            ],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("补正材料已提交"), "{page}");
    assert!(page.contains("重新计算"));
    // An extension needs the approver; the handler cannot record one.
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "extended"), ("days", "20")],
        )
        .await;
    assert_eq!(r.status(), 403);
    // A reply without a type is refused; with one it is recorded under its annual-report row.
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "reply"), ("reply", ""), ("text", "见附件")],
        )
        .await;
    assert!(location(&r).contains("error="));
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[
                ("kind", "reply"),
                ("reply", "partial"),
                (
                    "text",
                    "提供招标公告和中标结果；投标人报价明细涉及商业秘密，不予公开。",
                ),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let x = app.store.get_application(id).await.unwrap();
    assert_eq!(x.status, "replied");
    assert_eq!(x.reply_row.as_deref(), Some("（二）部分公开"));
    // The applicant sees the reply and the appeal routes.
    let page = track(&app, &number, &secret).await;
    assert!(
        page.contains("部分公开") && page.contains("60日内") && page.contains("6个月内"),
        "{page}"
    );
    // Viewing the unmasked identity is audited.
    let before = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'application.reveal'")
        .await;
    let r = h
        .post_form(&format!("/admin/applications/{id}/reveal"), &[])
        .await;
    assert!(r.text().await.unwrap().contains("11010519491231002X"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'application.reveal'")
            .await,
        before + 1
    );
    // A correction after the case closed is refused.
    let page = b
        .post_form(
            "/track/correct",
            &[("number", &number), ("secret", &secret), ("text", "补充")],
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("已答复"), "{page}");
    assert!(app.store.verify_audit().await.unwrap().is_ok());
}

async fn bad_applications_are_refused_and_nothing_is_stored(db: Db) {
    let app = TestApp::spawn(db).await;
    let b = Browser::new(&app);
    b.get_text("/apply").await;
    let r = b
        .post_form(
            "/apply",
            &[
                ("body_id", &app.tree.a.to_string()),
                ("applicant_type", "natural"),
                ("name", "王五"),
                ("id_type", "居民身份证"),
                ("id_number", "110105194912310021"),
                ("description", "要"),
                ("delivery", "email"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("身份证号码无效")
            && page.contains("至少5个字")
            && page.contains("须填写电子邮箱"),
        "{page}"
    );
    assert!(page.contains("王五"), "the input is kept");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM applications").await, 0);
}

async fn cases_are_visible_only_to_their_handlers(db: Db) {
    let app = TestApp::spawn(db).await;
    let (number, _, _) = apply(&app, app.tree.a, "甲局2025年部门预算的项目支出明细").await;
    let id = app
        .store
        .find_application(&number)
        .await
        .unwrap()
        .unwrap()
        .id;
    app.staff("handler.b", Some(Role::ApplicationHandler), app.tree.b)
        .await;
    app.staff("editor.a", Some(Role::Editor), app.tree.a).await;
    app.staff("supervisor", Some(Role::Supervisor), app.tree.root)
        .await;
    let hb = app.login("handler.b").await;
    let (_, list) = hb.get_text("/admin/applications?tab=all").await;
    assert!(
        !list.contains(&number),
        "another body's handler does not see it"
    );
    assert_eq!(
        hb.get(&format!("/admin/applications/{id}")).await.status(),
        404
    );
    hb.refresh_csrf("/admin").await;
    let r = hb
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "correction_requested")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let ed = app.login("editor.a").await;
    assert_eq!(ed.get("/admin/applications").await.status(), 403);
    // The supervisor reads, masked, and cannot act or unmask.
    let sv = app.login("supervisor").await;
    let (s, page) = sv.get_text(&format!("/admin/applications/{id}")).await;
    assert_eq!(s, 200);
    assert!(!page.contains("11010519491231002X"));
    let r = sv
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "correction_requested")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        sv.post_form(&format!("/admin/applications/{id}/reveal"), &[])
            .await
            .status(),
        403
    );
    // Applications are never public.
    let anon = Browser::new(&app);
    assert_eq!(
        anon.get(&format!("/admin/applications/{id}"))
            .await
            .status(),
        303
    );
}

both_backends!(formal_notices_are_generated_for_staff_and_the_applicant);

pub(crate) fn pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

async fn formal_notices_are_generated_for_staff_and_the_applicant(db: Db) {
    let app = TestApp::spawn(db).await;
    if crate::support::renderer().is_none() {
        eprintln!("no CJK fonts: notices skipped");
        return;
    }
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    let (number, secret, _) = apply(&app, a, "甲局2025年行政许可决定书").await;
    let id = app
        .store
        .find_application(&number)
        .await
        .unwrap()
        .unwrap()
        .id;
    let h = app.login("handler").await;
    h.refresh_csrf(&format!("/admin/applications/{id}")).await;
    h.post_form(
        &format!("/admin/applications/{id}/event"),
        &[
            ("kind", "reply"),
            ("reply", "disclosed"),
            ("text", "现将行政许可决定书电子版提供给您。"),
        ],
    )
    .await;
    // The handler prints the reply notice: it states the reply, its legal basis and the appeal routes.
    let r = h
        .get(&format!("/admin/applications/{id}/notice/reply.pdf"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let text = pdf_text(&r.bytes().await.unwrap());
    for needle in [
        "政府信息公开申请答复告知书",
        "李明：",
        "予以公开",
        "第三十六条",
        "60日内",
        "6个月内",
        &number,
    ] {
        assert!(text.contains(needle), "{needle} missing: {text}");
    }
    // A notice the case does not have is not found.
    assert_eq!(
        h.get(&format!("/admin/applications/{id}/notice/extension.pdf"))
            .await
            .status(),
        404
    );
    // The applicant downloads the receipt with number and secret; a wrong secret gets nothing.
    let b = Browser::new(&app);
    b.get_text("/track").await;
    let r = b
        .post_form(
            "/track/notice",
            &[
                ("number", &number),
                ("secret", &secret),
                ("kind", "receipt"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(pdf_text(&r.bytes().await.unwrap()).contains("登记回执"));
    let r = b
        .post_form(
            "/track/notice",
            &[
                ("number", &number),
                ("secret", "AAAA-BBBB-CCCC-DDDD"),
                ("kind", "reply"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
}

both_backends!(repeats_and_patterns_are_flagged_for_the_handler);

async fn repeats_and_patterns_are_flagged_for_the_handler(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    // The same applicant (same identity number) asks twice for the same information.
    let (first, _, _) = apply(&app, a, "2024年城区道路改造工程的招标文件").await;
    let (second, _, _) = apply(&app, a, "城区道路改造工程2024年招标文件").await;
    let id2 = app
        .store
        .find_application(&second)
        .await
        .unwrap()
        .unwrap()
        .id;
    let h = app.login("handler").await;
    let (_, page) = h.get_text(&format!("/admin/applications/{id2}")).await;
    assert!(
        page.contains("可能为重复申请") && page.contains(&first),
        "{page}"
    );
    assert!(
        !page.contains("第四十四条"),
        "one applicant is not a pattern"
    );
    // Two more applicants ask for it: the handler is prompted to publish it proactively.
    for (name, idn) in [
        ("赵六", "110105194912310011"),
        ("孙七", "11010519491231003X"),
    ] {
        let b = Browser::new(&app);
        b.get_text("/apply").await;
        let idn = if gongkai_domain::codes::resident_id_is_valid(idn) {
            idn.to_string()
        } else {
            let body17 = &idn[..17];
            format!(
                "{body17}{}",
                gongkai_domain::codes::resident_id_check_char(body17).unwrap()
            )
        };
        let r = b
            .post_form(
                "/apply",
                &[
                    ("body_id", &a.to_string()),
                    ("applicant_type", "natural"),
                    ("name", name),
                    ("id_type", "居民身份证"),
                    ("id_number", &idn),
                    ("phone", "13800003333"),
                    ("description", "城区道路改造工程（2024年）招标文件"),
                    ("delivery", "online"),
                ],
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    let (_, page) = h.get_text(&format!("/admin/applications/{id2}")).await;
    assert!(
        page.contains("3位申请人") && page.contains("第四十四条"),
        "{page}"
    );
}

both_backends!(reviews_and_lawsuits_are_recorded_even_after_closing);

async fn reviews_and_lawsuits_are_recorded_even_after_closing(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    let (number, _, _) = apply(&app, a, "甲局2025年某项目环评批复").await;
    let id = app
        .store
        .find_application(&number)
        .await
        .unwrap()
        .unwrap()
        .id;
    let h = app.login("handler").await;
    h.refresh_csrf(&format!("/admin/applications/{id}")).await;
    h.post_form(
        &format!("/admin/applications/{id}/event"),
        &[
            ("kind", "reply"),
            ("reply", "withheld_third_party"),
            ("text", "涉及第三方商业秘密，不予公开。"),
        ],
    )
    .await;
    h.post_form(
        &format!("/admin/applications/{id}/event"),
        &[("kind", "close")],
    )
    .await;
    assert_eq!(
        app.store.get_application(id).await.unwrap().status,
        "closed"
    );
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[
                ("kind", "review"),
                ("party", "reconsideration"),
                ("to_body", "示例市人民政府"),
                ("reply", "pending"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[
                ("kind", "review"),
                ("party", "reconsideration"),
                ("to_body", ""),
                ("reply", "upheld"),
            ],
        )
        .await;
    assert!(location(&r).contains("error="), "the authority is required");
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[
                ("kind", "review"),
                ("party", "appeal_to_heaven"),
                ("to_body", "某机关"),
                ("reply", "upheld"),
            ],
        )
        .await;
    assert!(location(&r).contains("error="));
    let events = app.store.application_events(id).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "review").count(), 1);
    // Other steps stay refused on a closed case.
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "correction_requested")],
        )
        .await;
    assert!(location(&r).contains("error="));
}

both_backends!(the_fee_calculator_on_the_case_page);

async fn the_fee_calculator_on_the_case_page(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    let (number, _, _) = apply(&app, a, "甲局历年全部会议纪要").await;
    let id = app
        .store
        .find_application(&number)
        .await
        .unwrap()
        .unwrap()
        .id;
    let h = app.login("handler").await;
    let (_, page) = h
        .get_text(&format!("/admin/applications/{id}?pages=250"))
        .await;
    assert!(
        page.contains("第1件") && page.contains("不收费"),
        "the first application of the month is free"
    );
    assert!(page.contains("250页应收4700元"), "70×10 + 100×20 + 50×40");
}

/// An application handed in online on a rest day counts as received on the next working day
/// (条例第三十一条); the case page offers today's date, which is then before the receipt. A step
/// dated in those rest days counts on the receipt day; one dated before the application came in
/// is refused and changes nothing. (Dated steps, so the test holds on any day of the week.)
async fn a_step_dated_on_the_rest_days_before_an_online_receipt_counts_on_the_receipt_day(db: Db) {
    use gongkai_domain::application::{ApplicantType, Channel};
    use gongkai_domain::audit::Who;
    use gongkai_store::applications::NewApplication;
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    let cal = app.store.load_calendar().await.unwrap();
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
    // Saturday 2025-10-04, in the National Day holiday: received Thursday 2025-10-09.
    let received = gongkai_domain::application::received_on(
        &cal,
        Channel::Online,
        day("2025-10-04"),
        None,
        None,
    )
    .unwrap();
    assert_eq!(received, day("2025-10-09"));
    let (id, _) = app
        .store
        .create_application(
            &NewApplication {
                body_id: a,
                routed: true,
                channel: Channel::Online,
                submitted_on: day("2025-10-04"),
                received_on: received,
                applicant_type: ApplicantType::Natural,
                applicant_name: "申请人".into(),
                id_type: "居民身份证".into(),
                id_sealed: "v1:".into(),
                contact_sealed: "v1:".into(),
                description: "国庆期间在线提交的申请".into(),
                doc_no_hint: String::new(),
                form_wanted: "电子数据".into(),
                delivery: "online".into(),
                secret_hash: "x".into(),
            },
            &cal,
            &Who::system(),
        )
        .await
        .unwrap();
    let h = app.login("handler").await;
    let url = format!("/admin/applications/{id}/event");
    // Before the application came in (a working day): refused, nothing recorded.
    let r = h
        .post_form(
            &url,
            &[("kind", "correction_requested"), ("on", "2025-09-30")],
        )
        .await;
    assert!(location(&r).contains("error="), "{}", location(&r));
    let count = |on: &'static str| {
        format!(
            "SELECT COUNT(*) FROM application_events WHERE application_id = {id} \
             AND kind = 'correction_requested' AND on_date = '{on}'"
        )
    };
    assert_eq!(app.scalar(&count("2025-09-30")).await, 0);
    // On the Sunday of the holiday: accepted, and recorded on the receipt day.
    let r = h
        .post_form(
            &url,
            &[("kind", "correction_requested"), ("on", "2025-10-05")],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    assert_eq!(app.scalar(&count("2025-10-09")).await, 1);
    assert_eq!(app.scalar(&count("2025-10-05")).await, 0);
    let stored = app.store.get_application(id).await.unwrap();
    assert_eq!(stored.status, "correcting");
}
