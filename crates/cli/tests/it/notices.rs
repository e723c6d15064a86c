//! Formal notices from per-body templates (PDF and DOCX), fees as structured data with the
//! receipt number, and delivery records with a proof file — through the real server.

use gongkai_domain::access::Role;

use crate::applications::{apply, pdf_text, track};
use crate::both_backends;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(
    notices_come_from_the_body_template_as_pdf_and_docx,
    fees_are_recorded_as_amounts_and_payment_needs_the_receipt_number,
    deliveries_are_recorded_with_an_optional_proof_file
);

/// The text of `word/document.xml` in a DOCX file (panics if it is not a valid zip with one).
pub(crate) fn docx_xml(bytes: &[u8]) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    xml
}

async fn case_id(app: &TestApp, number: &str) -> i64 {
    app.store
        .find_application(number)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn reply(h: &Browser, id: i64, kind: &str, text: &str) {
    h.refresh_csrf(&format!("/admin/applications/{id}")).await;
    let r = h
        .post_form(
            &format!("/admin/applications/{id}/event"),
            &[("kind", "reply"), ("reply", kind), ("text", text)],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
}

async fn get_bytes(b: &Browser, path: &str) -> (u16, String, Vec<u8>) {
    let r = b.get(path).await;
    let s = r.status().as_u16();
    let ct = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (s, ct, r.bytes().await.unwrap().to_vec())
}

const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";

async fn notices_come_from_the_body_template_as_pdf_and_docx(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("handler.a", Some(Role::ApplicationHandler), a)
        .await;
    app.staff("handler.b", Some(Role::ApplicationHandler), b)
        .await;
    app.staff("admin.a", Some(Role::Admin), a).await;
    app.staff("admin.b", Some(Role::Admin), b).await;
    let (number, secret, _) = apply(&app, a, "甲局2025年行政许可决定书").await;
    let id = case_id(&app, &number).await;
    let ha = app.login("handler.a").await;
    reply(&ha, id, "disclosed", "现将行政许可决定书电子版提供给您。").await;

    // The default reply notice as DOCX: the body, the case number and the appeal routes.
    let (s, ct, bytes) =
        get_bytes(&ha, &format!("/admin/applications/{id}/notice/reply.docx")).await;
    assert_eq!(s, 200);
    assert_eq!(ct, DOCX);
    let xml = docx_xml(&bytes);
    for needle in [
        "测试县甲局",
        "政府信息公开申请答复告知书",
        number.as_str(),
        "属于公开范围",
        "现将行政许可决定书电子版提供给您。",
        "第三十六条",
        "60日内依法申请行政复议",
        "6个月内依法提起行政诉讼",
    ] {
        assert!(xml.contains(needle), "{needle} missing in the DOCX");
    }

    // The administrator of body A edits its reply text. A placeholder that does not exist is
    // refused with the reason, and the text typed is shown again.
    let adm = app.login("admin.a").await;
    let (s, list) = adm.get_text(&format!("/admin/bodies/{a}/notices")).await;
    assert_eq!(s, 200);
    assert!(list.contains("答复告知书：予以公开") && list.contains("默认文本"));
    let edit = format!("/admin/bodies/{a}/notices/reply.disclosed");
    let (s, form) = adm.get_text(&edit).await;
    assert_eq!(s, 200);
    assert!(
        form.contains("{答复内容}") && form.contains("{申请编号}"),
        "placeholders listed"
    );
    let bad = "尊敬的{申请人姓名}：您的申请已公开。";
    let r = adm
        .post_form(&edit, &[("action", "save"), ("text", bad)])
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("未知的占位符") && page.contains("{申请人姓名}"),
        "{page}"
    );
    assert!(page.contains(bad), "the input is shown again");
    let r = adm
        .post_form(&edit, &[("action", "save"), ("text", "您好{申请编号")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("没有对应的"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM notice_templates").await,
        0,
        "nothing refused is stored"
    );
    // Placeholders are replaced as plain text; markup (typst-like, Word) in the text stays text.
    let own = "甲局专用答复：{申请人}，申请{申请编号}，经审查予以公开。\n{答复内容}\n#set page(width: 1cm) <w:p>依据：{法律依据}。";
    let r = adm
        .post_form(&edit, &[("action", "preview"), ("text", own)])
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("甲局专用答复：李明，申请20251010-123456"),
        "preview with examples"
    );
    let r = adm
        .post_form(&edit, &[("action", "save"), ("text", own)])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notice_template.save'")
            .await,
        1
    );
    let (_, list) = adm.get_text(&format!("/admin/bodies/{a}/notices")).await;
    assert!(list.contains("本机关文本"));

    // Both formats now carry the body's text — and still the appeal routes.
    let (_, _, bytes) =
        get_bytes(&ha, &format!("/admin/applications/{id}/notice/reply.docx")).await;
    let xml = docx_xml(&bytes);
    assert!(xml.contains(&format!(
        "甲局专用答复：李明，申请{number}，经审查予以公开。"
    )));
    assert!(
        xml.contains("#set page(width: 1cm) &lt;w:p&gt;依据："),
        "{xml}"
    );
    assert!(xml.contains("60日内") && xml.contains("6个月内"));
    if crate::support::renderer().is_some() {
        let (s, ct, pdf) =
            get_bytes(&ha, &format!("/admin/applications/{id}/notice/reply.pdf")).await;
        assert_eq!((s, ct.as_str()), (200, "application/pdf"));
        let text = pdf_text(&pdf);
        for needle in [
            "甲局专用答复：李明",
            number.as_str(),
            "#setpage(width:1cm)<w:p>",
            "60日内",
            "6个月内",
        ] {
            assert!(text.contains(needle), "{needle} missing in the PDF: {text}");
        }
    }

    // Another body without its own text still gets the default.
    let (number_b, _, _) = apply(&app, b, "乙局2025年部门预算").await;
    let id_b = case_id(&app, &number_b).await;
    let hb = app.login("handler.b").await;
    reply(&hb, id_b, "disclosed", "见附件。").await;
    let (_, _, bytes) = get_bytes(
        &hb,
        &format!("/admin/applications/{id_b}/notice/reply.docx"),
    )
    .await;
    let xml = docx_xml(&bytes);
    assert!(xml.contains("测试县乙局") && xml.contains("属于公开范围"));
    assert!(!xml.contains("甲局专用答复"));

    // Who may read the notices: the case's body staff, and the applicant with number and secret.
    assert_eq!(
        hb.get(&format!("/admin/applications/{id}/notice/reply.docx"))
            .await
            .status(),
        404,
        "another body's handler"
    );
    let anon = Browser::new(&app);
    assert_eq!(
        anon.get(&format!("/admin/applications/{id}/notice/reply.docx"))
            .await
            .status(),
        303
    );
    assert_eq!(
        adm.get(&format!("/admin/applications/{id}/notice/reply.docx"))
            .await
            .status(),
        404,
        "an administrator without case permission"
    );
    let ap = Browser::new(&app);
    ap.get_text("/track").await;
    let r = ap
        .post_form(
            "/track/notice",
            &[
                ("number", &number),
                ("secret", &secret),
                ("kind", "reply"),
                ("format", "docx"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(docx_xml(&r.bytes().await.unwrap()).contains("甲局专用答复"));
    let r = ap
        .post_form(
            "/track/notice",
            &[
                ("number", &number),
                ("secret", "AAAA-BBBB-CCCC-DDDD"),
                ("kind", "reply"),
                ("format", "docx"),
            ],
        )
        .await;
    assert_eq!(r.status(), 404);
    // Who may edit the texts: the body's administrators only.
    assert_eq!(
        ha.get(&format!("/admin/bodies/{a}/notices")).await.status(),
        403
    );
    let admb = app.login("admin.b").await;
    assert_eq!(admb.get(&edit).await.status(), 403);
    admb.refresh_csrf(&format!("/admin/bodies/{b}/notices"))
        .await;
    assert_eq!(
        admb.post_form(&edit, &[("action", "save"), ("text", "改写")])
            .await
            .status(),
        403
    );

    // Reset: the default applies again, audited.
    let r = adm
        .post_form(&edit, &[("action", "reset"), ("text", "")])
        .await;
    assert_eq!(r.status(), 303);
    let (_, _, bytes) =
        get_bytes(&ha, &format!("/admin/applications/{id}/notice/reply.docx")).await;
    assert!(!docx_xml(&bytes).contains("甲局专用答复"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'notice_template.reset'")
            .await,
        1
    );
    assert!(app.store.verify_audit().await.unwrap().is_ok());
}

async fn fees_are_recorded_as_amounts_and_payment_needs_the_receipt_number(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    let (number, secret, _) = apply(&app, a, "甲局历年全部会议纪要").await;
    let id = case_id(&app, &number).await;
    let h = app.login("handler").await;
    let case = format!("/admin/applications/{id}");
    let event = format!("{case}/event");
    h.refresh_csrf(&case).await;
    // The applicant's first application this month is free: no fee notice.
    let r = h
        .post_form(
            &event,
            &[("kind", "fee_noticed"), ("fee_method", "per_application")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("无需发出收费通知"));
    // Per page, 250 pages: 4700元 by the standard; a different amount needs a reason, and the
    // form comes back with what was typed.
    let r = h
        .post_form(
            &event,
            &[
                ("kind", "fee_noticed"),
                ("fee_method", "per_page"),
                ("fee_pages", "250"),
                ("fee_amount", "3000"),
                ("fee_reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("须说明调整理由") && page.contains("4700元"),
        "{page}"
    );
    assert!(page.contains(r#"value="3000""#) && page.contains(r#"value="250""#));
    let r = h
        .post_form(
            &event,
            &[
                ("kind", "fee_noticed"),
                ("fee_method", "per_page"),
                ("fee_pages", "250"),
                ("fee_amount", "3000"),
                ("fee_reason", "部分页面为重复材料，不计费"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    assert_eq!(
        app.store.get_application(id).await.unwrap().status,
        "awaiting_fee"
    );
    let fees = app.store.application_fees(id).await.unwrap();
    assert_eq!(fees.len(), 1);
    assert_eq!(
        (
            fees[0].method.as_str(),
            fees[0].quantity,
            fees[0].standard_fen,
            fees[0].amount_fen
        ),
        ("per_page", 250, 470_000, 300_000)
    );
    // Payment: the receipt number is required, and the amount must be the notice's.
    let r = h
        .post_form(
            &event,
            &[
                ("kind", "fee_paid"),
                ("paid_amount", "3000"),
                ("receipt_no", " "),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("请填写缴费票据号") && page.contains(r#"value="3000""#));
    let r = h
        .post_form(
            &event,
            &[
                ("kind", "fee_paid"),
                ("paid_amount", "4700"),
                ("receipt_no", "NO.2025-000123"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("缴费金额4700元与收费通知书的金额3000元不一致"),
        "{page}"
    );
    assert!(page.contains("NO.2025-000123"), "the input is kept");
    assert!(
        app.store.application_fees(id).await.unwrap()[0]
            .paid_on
            .is_none()
    );
    let r = h
        .post_form(
            &event,
            &[
                ("kind", "fee_paid"),
                ("paid_amount", "3000.00"),
                ("receipt_no", "NO.2025-000123"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let fee = app.store.application_fees(id).await.unwrap().remove(0);
    assert_eq!(fee.paid_fen, Some(300_000));
    assert_eq!(fee.receipt_no.as_deref(), Some("NO.2025-000123"));
    assert_eq!(
        app.store.get_application(id).await.unwrap().status,
        "handling"
    );
    // The case page and the applicant's view show them; the fee notice states them.
    let (_, page) = h.get_text(&case).await;
    assert!(page.contains("按页计收（250页）") && page.contains("3000元"));
    assert!(page.contains("NO.2025-000123") && page.contains("部分页面为重复材料"));
    let page = track(&app, &number, &secret).await;
    assert!(
        page.contains("3000元") && page.contains("NO.2025-000123"),
        "{page}"
    );
    let (s, _, bytes) = get_bytes(&h, &format!("{case}/notice/fee.docx")).await;
    assert_eq!(s, 200);
    let xml = docx_xml(&bytes);
    assert!(
        xml.contains("按页计收（250页）") && xml.contains("应缴金额：3000元"),
        "{xml}"
    );
    assert!(xml.contains("109号"));
    // The old free-text way is refused by the store: a fee needs its amount.
    let r = app
        .store
        .add_case_event(
            id,
            &gongkai_store::applications::CaseEvent::Clock(
                gongkai_domain::application::ClockEvent::FeeNoticed {
                    on: chrono::Local::now().date_naive(),
                },
            ),
            None,
            &app.store.load_calendar().await.unwrap(),
            chrono::Local::now().date_naive(),
            &gongkai_domain::audit::Who::system(),
        )
        .await;
    assert!(r.is_err());
}

/// A tiny valid-looking PNG (the signature and an IHDR chunk).
fn png() -> Vec<u8> {
    let mut v = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89".to_vec();
    v.extend_from_slice(b"\x00\x00\x00\x00IEND\xaeB`\x82");
    v
}

async fn post_delivery(
    b: &Browser,
    id: i64,
    fields: &[(&str, &str)],
    proof: Option<(&str, Vec<u8>)>,
) -> reqwest::Response {
    let token = b.csrf.lock().unwrap().clone().unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some((name, bytes)) = proof {
        form = form.part(
            "proof",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
    }
    b.client
        .post(format!(
            "{}/admin/applications/{id}/delivery?_csrf={token}",
            b.base
        ))
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn deliveries_are_recorded_with_an_optional_proof_file(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("handler", Some(Role::ApplicationHandler), a)
        .await;
    app.staff("handler.b", Some(Role::ApplicationHandler), b)
        .await;
    app.staff("supervisor", Some(Role::Supervisor), app.tree.root)
        .await;
    let (number, secret, _) = apply(&app, a, "甲局2025年政府采购合同").await;
    let id = case_id(&app, &number).await;
    let h = app.login("handler").await;
    h.refresh_csrf(&format!("/admin/applications/{id}")).await;
    // By post without a tracking number: refused, the form comes back with the input.
    let r = post_delivery(
        &h,
        id,
        &[
            ("notice", "receipt"),
            ("how", "post"),
            ("note", "挂号信寄出"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("须填写邮件号") && page.contains("挂号信寄出"),
        "{page}"
    );
    // A proof whose content is not what its name says is refused (checked by content).
    let r = post_delivery(
        &h,
        id,
        &[
            ("notice", "receipt"),
            ("how", "post"),
            ("tracking_no", "EMS1234567890CN"),
        ],
        Some(("回执.png", b"MZ\x90\x00 not an image".to_vec())),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("送达凭证"));
    let r = post_delivery(
        &h,
        id,
        &[
            ("notice", "receipt"),
            ("how", "post"),
            ("tracking_no", "EMS1234567890CN"),
        ],
        Some(("回执.pdf", png())),
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("文件内容与扩展名不符"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM application_deliveries")
            .await,
        0
    );
    // With the tracking number and a scan of the postal receipt.
    let r = post_delivery(
        &h,
        id,
        &[
            ("notice", "receipt"),
            ("how", "post"),
            ("tracking_no", "EMS1234567890CN"),
            ("note", "挂号信寄出"),
        ],
        Some(("邮件回执.png", png())),
    )
    .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    // Online viewing, without proof.
    let r = post_delivery(&h, id, &[("notice", "receipt"), ("how", "online")], None).await;
    assert_eq!(r.status(), 303);
    let rows = app.store.application_deliveries(id).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(
        (rows[0].method.as_str(), rows[0].tracking_no.as_str()),
        ("post", "EMS1234567890CN")
    );
    assert_eq!(rows[0].proof_mime.as_deref(), Some("image/png"));
    assert_eq!(
        rows[0].proof_sha256.as_deref(),
        Some(gongkai_files::sha256_hex(&png()).as_str())
    );
    assert!(rows[1].proof_sha256.is_none());
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'application.notice'")
            .await,
        2
    );
    // Listed on the case page and in the timeline; the proof downloads for the case's staff.
    let (_, page) = h.get_text(&format!("/admin/applications/{id}")).await;
    assert!(page.contains("政府信息公开申请登记回执：邮寄（邮件号EMS1234567890CN），附送达凭证"));
    assert!(page.contains("邮件回执.png") && page.contains("在线查看"));
    let proof = format!("/admin/applications/{id}/deliveries/{}/proof", rows[0].id);
    let (s, ct, bytes) = get_bytes(&h, &proof).await;
    assert_eq!((s, ct.as_str(), bytes), (200, "image/png", png()));
    let sv = app.login("supervisor").await;
    assert_eq!(sv.get(&proof).await.status(), 200, "supervisors read cases");
    sv.refresh_csrf(&format!("/admin/applications/{id}")).await;
    assert_eq!(
        post_delivery(&sv, id, &[("notice", "receipt"), ("how", "online")], None)
            .await
            .status(),
        403,
        "but record nothing"
    );
    let hb = app.login("handler.b").await;
    assert_eq!(hb.get(&proof).await.status(), 404);
    hb.refresh_csrf("/admin").await;
    assert_eq!(
        post_delivery(&hb, id, &[("notice", "receipt"), ("how", "online")], None)
            .await
            .status(),
        404
    );
    // The applicant sees the delivery in the timeline.
    let page = track(&app, &number, &secret).await;
    assert!(
        page.contains("送达文书") && page.contains("EMS1234567890CN"),
        "{page}"
    );
}
