//! 季度简报 through the real server: drafted from the figures of the body's subtree for a quarter
//! (the problems are exactly the compliance monitor's totals), edited (a stale save refused with
//! the text shown again, an empty one refused), exported as PDF and DOCX, and submitted as an
//! internal item of the 工作动态 column into the ordinary review; another body's editor can
//! neither draft nor read it.

use chrono::NaiveDate;
use gongkai_domain::access::{Role, Scope};
use gongkai_domain::calendar::Calendar;
use gongkai_domain::monitor::{RuleKey, Window};
use gongkai_store::applications::BenchApplication;
use gongkai_store::monitor::MonitorDates;

use crate::both_backends;
use crate::notice_periods::published_with;
use crate::support::{Db, TestApp, location};

both_backends!(a_quarterly_briefing_is_drafted_from_the_data_edited_and_submitted);

/// 10:00 Beijing time on day `d`, in milliseconds.
pub(crate) fn ms(d: &str) -> i64 {
    NaiveDate::parse_from_str(d, "%Y-%m-%d")
        .unwrap()
        .and_hms_opt(2, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

async fn a_quarterly_briefing_is_drafted_from_the_data_edited_and_submitted(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("county_editor", Some(Role::Editor), t.root).await;
    app.staff("b_editor", Some(Role::Editor), t.b).await;
    // Q3 2026: two items of A and one of B published, one item of A late; an application of A
    // answered in time and one late.
    for (body, title, on, late) in [
        (t.a, "甲局七月通知", "2026-07-10", false),
        (t.a, "甲局八月通知", "2026-08-10", true),
        (t.b, "乙局九月通知", "2026-09-10", false),
    ] {
        let id = published_with(&app, body, title, "内容。").await;
        app.exec(&format!(
            "UPDATE items SET first_published_at = {t}, published_at = {t}, late = {late} WHERE id = {id}",
            t = ms(on)
        ))
        .await;
    }
    let app_row = |n: &str, due: &str, replied: &str| BenchApplication {
        body_id: t.a,
        number: n.into(),
        received_on: "2026-07-01".into(),
        status: "replied".into(),
        due_on: Some(due.into()),
        applicant_type: "natural".into(),
        reply_type: Some("disclosed".into()),
        replied_on: Some(replied.into()),
    };
    app.store
        .bench_insert_applications_rows(&[
            app_row("Q3-1", "2026-07-29", "2026-07-20"),
            app_row("Q3-2", "2026-07-29", "2026-08-03"),
        ])
        .await
        .unwrap();

    let editor = app.login("county_editor").await;
    let root = t.root.to_string();
    // A quarter not yet begun is refused.
    let r = editor
        .post_form(
            "/admin/briefings",
            &[("body_id", &root), ("year", "2030"), ("quarter", "1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请选择已经开始的季度"));
    let r = editor
        .post_form(
            "/admin/briefings",
            &[("body_id", &root), ("year", "2026"), ("quarter", "3")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let page_url = location(&r).split('?').next().unwrap().to_string();
    let id: i64 = page_url
        .trim_start_matches("/admin/briefings/")
        .parse()
        .unwrap();
    let b = app.store.briefing(id).await.unwrap();
    assert_eq!(b.title, "测试县人民政府2026年第三季度政务公开工作简报");
    let f = b.figures();
    assert_eq!(f.published_total(), 3);
    assert_eq!((f.applications_answered, f.applications_on_time), (2, 1));
    // The problems are the monitor's own totals for the subtree and the quarter.
    let window = Window::new(
        NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
        NaiveDate::from_ymd_opt(2026, 9, 30).unwrap(),
        crate::credit::today(),
    )
    .unwrap();
    let dates = MonitorDates {
        window,
        unread_sent_by: window.unread_sent_by(&Calendar::builtin()).unwrap(),
    };
    let root_path = app.store.get_body(t.root).await.unwrap().path;
    let monitor = app
        .store
        .monitor_report(&Scope::subtree(&root_path), &dates)
        .await
        .unwrap();
    assert_eq!(f.problems, monitor.totals);
    assert_eq!(f.problems.get(RuleKey::LateItems), 1);
    assert_eq!(f.problems.get(RuleKey::LateApplications), 1);
    assert!(b.text.contains("共主动公开政府信息3条") && b.text.contains("按时答复率50.0%"));
    assert!(b.text.contains("主动公开超期1项") && b.text.contains("依申请公开超期答复1项"));
    let (s, page) = editor.get_text(&page_url).await;
    assert_eq!(s, 200);
    assert!(page.contains("合规监测：依申请公开超期答复"));

    // Edited: saved once; the same page saved again is stale, its text shown again.
    let mine = format!("{}\n\n## 七、其他\n\n本季度组织培训1次。\n", b.text);
    let r = editor
        .post_form(
            &page_url,
            &[("action", "save"), ("text", &mine), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = editor
        .post_form(
            &page_url,
            &[
                ("action", "save"),
                ("text", "另一个版本的正文"),
                ("version", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 409);
    let page = r.text().await.unwrap();
    assert!(page.contains("刚被其他人修改过") && page.contains("另一个版本的正文"));
    let r = editor
        .post_form(
            &page_url,
            &[("action", "save"), ("text", "  "), ("version", "2")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        app.store
            .briefing(id)
            .await
            .unwrap()
            .text
            .contains("本季度组织培训1次")
    );

    // Files.
    let docx = editor.get(&format!("{page_url}/briefing.docx")).await;
    assert_eq!(docx.status(), 200);
    let xml = crate::notices::docx_xml(&docx.bytes().await.unwrap());
    assert!(xml.contains("一、信息发布情况") && xml.contains("本季度组织培训1次"));
    if crate::support::renderer().is_some() {
        let pdf = editor.get(&format!("{page_url}/briefing.pdf")).await;
        assert_eq!(pdf.status(), 200);
        let text = crate::applications::pdf_text(&pdf.bytes().await.unwrap());
        assert!(
            text.contains("政务公开工作简报") && text.contains("七、其他"),
            "{text}"
        );
    }

    // Another body's editor: neither drafts for the county nor reads its briefing.
    let other = app.login("b_editor").await;
    let r = other
        .post_form(
            "/admin/briefings",
            &[("body_id", &root), ("year", "2026"), ("quarter", "3")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(other.get_text(&page_url).await.0, 404);

    // Submitted as an internal item of 工作动态, into review.
    let r = editor
        .post_form(
            &page_url,
            &[
                ("action", "submit"),
                ("text", &mine),
                ("version", "2"),
                ("scope", "internal"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    let item = app.store.briefing(id).await.unwrap().item_id.unwrap();
    let it = app.store.get_item(item).await.unwrap();
    assert_eq!(it.scope, "internal");
    let v = app
        .store
        .get_version(it.working_version_id.unwrap())
        .await
        .unwrap();
    assert_eq!(v.state().as_str(), "pending_review");
    assert!(v.body_md.contains("本季度组织培训1次"));
    let news = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM items i JOIN categories c ON c.id = i.category_id WHERE i.id = {item} AND c.template_key = 'news'"
        ))
        .await;
    assert_eq!(news, 1);
}
