//! Printed output over HTTP: the item notice (公示单, PDF with a QR code of the verification
//! link) follows the item page's visibility exactly.

use gongkai_domain::access::{Actor, Grant, Role};
use gongkai_domain::audit::Who;
use gongkai_domain::disclosure::{Conclusion, ItemInput, Step};
use gongkai_store::disclosure::StepInput;

use crate::both_backends;
use crate::support::{Browser, Db, TestApp};

both_backends!(
    item_notice_pdf_follows_item_visibility,
    item_notice_pdf_uses_public_url_and_needs_fonts,
);

struct Staff {
    editor: i64,
    reviewer: i64,
    approver: i64,
}

async fn staff(app: &TestApp) -> Staff {
    let a = app.tree.a;
    Staff {
        editor: app.staff("editor", Some(Role::Editor), a).await,
        reviewer: app.staff("reviewer", Some(Role::Reviewer), a).await,
        approver: app.staff("approver", Some(Role::Approver), a).await,
    }
}

fn who(id: i64) -> Who {
    Who {
        user_id: Some(id),
        name: format!("u{id}"),
        ip: "t".into(),
    }
}

async fn actor(app: &TestApp, id: i64, role: Role) -> Actor {
    let a = app.tree.a;
    Actor {
        user_id: id,
        username: "x".into(),
        display_name: String::new(),
        body_id: a,
        grants: vec![Grant {
            role,
            body_id: a,
            body_path: app.store.get_body(a).await.unwrap().path,
        }],
    }
}

/// Create an item of body A through the store; publish it unless `publish` is false.
async fn item(app: &TestApp, s: &Staff, title: &str, scope: &str, md: &str, publish: bool) -> i64 {
    let a = app.tree.a;
    let cats = app.store.list_categories(a).await.unwrap();
    let cat = cats.iter().find(|c| c.parent_id.is_some()).unwrap().id;
    let f = ItemInput {
        title: title.into(),
        doc_no: "测交发〔2025〕3号".into(),
        formed_on: "2025-04-01".into(),
        scope: scope.into(),
        body_md: md.into(),
        ..Default::default()
    }
    .validate(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap())
    .unwrap();
    let (id, vid) = app
        .store
        .create_item(a, cat, &f, None, &who(s.editor))
        .await
        .unwrap();
    if !publish {
        return id;
    }
    let input = StepInput::default();
    for (user, role, step) in [
        (s.editor, Role::Editor, Step::Submit),
        (
            s.reviewer,
            Role::Reviewer,
            Step::ReviewPass(Conclusion::Disclose),
        ),
        (
            s.approver,
            Role::Approver,
            Step::Approve { scheduled: false },
        ),
    ] {
        app.store
            .apply_step(
                vid,
                &actor(app, user, role).await,
                &step,
                &input,
                &who(user),
            )
            .await
            .unwrap();
    }
    id
}

/// The text of a PDF, without the white space extraction puts between characters.
fn pdf_text(pdf: &[u8]) -> String {
    pdf_extract::extract_text_from_mem(pdf)
        .unwrap()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

async fn get_pdf(b: &Browser, path: &str) -> (u16, String, String, Vec<u8>) {
    let r = b.get(path).await;
    let header = |n: &str| {
        r.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (ct, cd) = (header("content-type"), header("content-disposition"));
    (
        r.status().as_u16(),
        ct,
        cd,
        r.bytes().await.unwrap().to_vec(),
    )
}

async fn item_notice_pdf_follows_item_visibility(db: Db) {
    let app = TestApp::spawn(db).await;
    let s = staff(&app).await;
    app.staff("outsider", Some(Role::Editor), app.tree.b).await;
    let md = "各乡镇人民政府：\n\n## 一、调整线路\n\n| 线路 | 调整 |\n|---|---|\n| 3路 | 延伸至南苑小区 |\n\n特此通知。";
    let public = item(&app, &s, "关于调整城区公交线路的通知", "public", md, true).await;
    let internal = item(
        &app,
        &s,
        "内部接待费用支出情况",
        "internal",
        "内部正文",
        true,
    )
    .await;
    let draft = item(&app, &s, "尚未发布的通知", "public", "草稿正文", false).await;
    let seq = app.store.ledger_of(public).await.unwrap()[0].seq;

    let anon = Browser::new(&app);
    // The item page links to the notice.
    let (_, page) = anon.get_text(&format!("/items/{public}")).await;
    assert!(
        page.contains(&format!("/items/{public}/notice.pdf")) && page.contains("打印公示单（PDF）")
    );
    // A public item: an inline PDF with a Chinese file name, its text and the QR code's link.
    let (status, ct, cd, pdf) = get_pdf(&anon, &format!("/items/{public}/notice.pdf")).await;
    assert_eq!(status, 200);
    assert_eq!(ct, "application/pdf");
    assert!(cd.starts_with("inline;"), "{cd}");
    assert!(
        cd.contains("filename*=UTF-8''%E5%85%AC%E7%A4%BA%E5%8D%95-"),
        "公示单-… in {cd}"
    );
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    let host = app.base.trim_start_matches("http://");
    for needle in [
        "关于调整城区公交线路的通知".to_string(),
        "测交发〔2025〕3号".to_string(),
        "延伸至南苑小区".to_string(),
        format!("扫码核验：http://{host}/verify?q={seq}"),
        format!("台账序号#{seq}"),
    ] {
        assert!(text.contains(&needle), "{needle} missing from {text}");
    }
    // Internal, unpublished and missing items: not found, like their pages.
    for id in [internal, draft, 999_999] {
        let (status, ..) = get_pdf(&anon, &format!("/items/{id}/notice.pdf")).await;
        assert_eq!(status, 404, "item {id}");
    }
    let outsider = app.login("outsider").await;
    let (status, ..) = get_pdf(&outsider, &format!("/items/{internal}/notice.pdf")).await;
    assert_eq!(status, 404);
    // Staff of the body may print the internal item, as they may read it.
    let own = app.login("editor").await;
    let (status, _, _, pdf) = get_pdf(&own, &format!("/items/{internal}/notice.pdf")).await;
    assert_eq!(status, 200);
    assert!(pdf_text(&pdf).contains("内部接待费用支出情况"));
    let (status, ..) = get_pdf(&own, &format!("/items/{draft}/notice.pdf")).await;
    assert_eq!(status, 404, "a draft is not printed, even for its author");
    // Withdrawn: the notice says so, with the reason, without the content, and its QR code
    // verifies the withdrawal.
    app.store
        .withdraw_item(
            public,
            "公告内容有误，更正后重新发布",
            &actor(&app, s.approver, Role::Approver).await,
            &who(s.approver),
        )
        .await
        .unwrap();
    let withdrawal = app
        .store
        .ledger_of(public)
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.action == "withdraw")
        .unwrap()
        .seq;
    let (status, _, _, pdf) = get_pdf(&anon, &format!("/items/{public}/notice.pdf")).await;
    assert_eq!(status, 200);
    let text = pdf_text(&pdf);
    assert!(text.contains("已撤回") && text.contains("撤回理由：公告内容有误，更正后重新发布"));
    assert!(text.contains(&format!("/verify?q={withdrawal}")), "{text}");
    assert!(!text.contains("延伸至南苑小区"));
}

async fn item_notice_pdf_uses_public_url_and_needs_fonts(db: Db) {
    let app = TestApp::spawn_with(db, |c| {
        c.public_url = Some("https://gk.example.gov.cn/".into())
    })
    .await;
    let s = staff(&app).await;
    let id = item(
        &app,
        &s,
        "2025年部门预算公开",
        "public",
        "支出合计1200万元。",
        true,
    )
    .await;
    let anon = Browser::new(&app);
    let (status, _, _, pdf) = get_pdf(&anon, &format!("/items/{id}/notice.pdf")).await;
    assert_eq!(status, 200);
    assert!(
        pdf_text(&pdf).contains("扫码核验：https://gk.example.gov.cn/verify?q="),
        "the configured address, not the Host header"
    );
    // Without Chinese fonts the server still runs and the notice answers 503 in Chinese.
    let bare = TestApp::spawn_without_reports(db).await;
    let s = staff(&bare).await;
    let id = item(
        &bare,
        &s,
        "2025年部门预算公开",
        "public",
        "支出合计1200万元。",
        true,
    )
    .await;
    let (status, page) = Browser::new(&bare)
        .get_text(&format!("/items/{id}/notice.pdf"))
        .await;
    assert_eq!(status, 503);
    assert!(
        page.contains("fonts-noto-cjk") && page.contains("暂不可用"),
        "{page}"
    );
    let (status, _) = Browser::new(&bare).get_text(&format!("/items/{id}")).await;
    assert_eq!(status, 200, "the item page itself still works");
}
