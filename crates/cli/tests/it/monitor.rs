//! The compliance monitor on a constructed county with known answers (dates around 2026's 中秋
//! and 国庆 holidays and the 10 October 调休 working day): every rule's count per body, the score,
//! the light and the ranking; the records behind a count; who may see which figures and records
//! in the back office and through the API (the answers checked against the OpenAPI document).

use chrono::NaiveDate;
use gongkai_domain::access::{Role, Scope};
use gongkai_domain::audit::Who;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::monitor::{Light, RuleKey, Window};
use gongkai_store::applications::BenchApplication;
use gongkai_store::disclosure::VersionFields;
use gongkai_store::monitor::{BenchLetter, MonitorDates};

use crate::api::{Api, admin, conforms, issue};
use crate::both_backends;
use crate::notice_periods::published_with;
use crate::support::{Db, TestApp};

both_backends!(the_monitor_counts_each_rule_on_a_known_county);

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

/// Milliseconds at 10:00 of `d` in China.
fn ms(d: &str) -> i64 {
    day(d)
        .and_hms_opt(2, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis()
}

/// A published item of `body` in its first category, first published on `on`.
async fn item_on(app: &TestApp, body: i64, title: &str, on: &str, late: bool) -> i64 {
    let id = published_with(app, body, title, "示例内容。").await;
    app.exec(&format!(
        "UPDATE items SET first_published_at = {t}, published_at = {t}, published_on = '{on}', late = {late} WHERE id = {id}",
        t = ms(on)
    ))
    .await;
    id
}

fn app_row(body: i64, n: &str, due: &str, status: &str, replied: Option<&str>) -> BenchApplication {
    BenchApplication {
        body_id: body,
        number: n.into(),
        received_on: "2026-08-01".into(),
        status: status.into(),
        due_on: Some(due.into()),
        applicant_type: "natural".into(),
        reply_type: replied.map(|_| "disclosed".to_string()),
        replied_on: replied.map(str::to_string),
    }
}

fn letter(
    mailbox: (i64, i64),
    n: &str,
    received: &str,
    due: &str,
    replied: Option<&str>,
) -> BenchLetter {
    BenchLetter {
        mailbox_id: mailbox.0,
        body_id: mailbox.1,
        number: n.into(),
        received_on: received.into(),
        due_on: due.into(),
        status: if replied.is_some() {
            "replied"
        } else {
            "handling"
        }
        .into(),
        replied_on: replied.map(str::to_string),
    }
}

async fn the_monitor_counts_each_rule_on_a_known_county(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    let s = &app.store;
    let writer = app.staff("writer", Some(Role::Editor), t.a).await;
    let reader_a = app.staff("reader_a", None, t.a).await;
    let reader_b = app.staff("reader_b", None, t.b).await;
    app.staff("inspector", Some(Role::Supervisor), t.root).await;
    app.staff("b_editor", Some(Role::Editor), t.b).await;
    app.staff("b_handler", Some(Role::LetterHandler), t.b).await;

    // 主动公开: body A has one item published late in the range, one in time, one late before
    // the range; body B has a draft past its day, a rejected one (not counted) and one due on
    // the day judged (still in time).
    item_on(&app, t.a, "甲局超期公开的通知", "2026-09-10", true).await;
    let in_time = item_on(&app, t.a, "甲局按时公开的公示", "2026-09-10", false).await;
    item_on(&app, t.a, "甲局八月超期公开的通知", "2026-08-20", true).await;
    let b_cats = s.list_categories(t.b).await.unwrap();
    let who = Who {
        user_id: Some(writer),
        name: "writer".into(),
        ip: "test".into(),
    };
    for (title, due, state) in [
        ("乙局逾期未公开的草稿", "2026-09-30", "draft"),
        ("乙局决定不予公开的草稿", "2026-09-30", "rejected"),
        ("乙局今天到期的草稿", "2026-10-09", "draft"),
    ] {
        let f = VersionFields {
            title: title.into(),
            formed_on: day("2026-09-01"),
            subject: "综合政务".into(),
            scope: "public".into(),
            open_method: "proactive".into(),
            normative_kind: "none".into(),
            body_md: "草稿。".into(),
            ..Default::default()
        };
        let (item, _) = s
            .create_item(t.b, b_cats[1].id, &f, Some(day(due)), &who)
            .await
            .unwrap();
        app.exec(&format!(
            "UPDATE item_versions SET state = '{state}' WHERE item_id = {item}"
        ))
        .await;
    }
    // Body B's first category was last updated in March: stale by 9 October (before 9 April).
    item_on(&app, t.b, "乙局三月的通知", "2026-03-01", false).await;

    // 标准目录: A1's first category follows a quarterly row and has nothing (idle); its second a
    // yearly row, updated in February (in time); its third a 20-working-day row with nothing
    // (neither idle nor stale: no cycle, no content).
    let a1_cats = s.list_categories(t.a1).await.unwrap();
    app.exec(
        "INSERT INTO standard_rows (area, item_l1, time_limit, created_at) VALUES \
         ('测试', '季度事项', '每季度结束后15日内', 0), ('测试', '年度事项', '每年1月31日前', 0), \
         ('测试', '随时事项', '信息形成之日起20个工作日内', 0)",
    )
    .await;
    for (i, l1) in ["季度事项", "年度事项", "随时事项"].iter().enumerate() {
        app.exec(&format!(
            "UPDATE categories SET created_at = {}, standard_row_id = (SELECT id FROM standard_rows WHERE item_l1 = '{l1}') WHERE id = {}",
            ms("2025-01-01"),
            a1_cats[i].id
        ))
        .await;
    }
    let yearly = published_with(&app, t.a1, "甲局中心年度报告", "年度内容。").await;
    app.exec(&format!(
        "UPDATE items SET category_id = {}, first_published_at = {t}, published_at = {t} WHERE id = {yearly}",
        a1_cats[1].id,
        t = ms("2026-02-01")
    ))
    .await;

    // 依申请公开: A answered one a day late, one on its day, has one open past its day, one due
    // on the day judged, one paused for 补正; B answered one late but due before the range.
    s.bench_insert_applications_rows(&[
        app_row(t.a, "A-LATE", "2026-09-15", "replied", Some("2026-09-16")),
        app_row(t.a, "A-ONTIME", "2026-09-15", "replied", Some("2026-09-15")),
        app_row(t.a, "A-OPEN", "2026-10-08", "handling", None),
        app_row(t.a, "A-TODAY", "2026-10-09", "handling", None),
        app_row(t.a, "A-PAUSED", "2026-09-20", "correcting", None),
        app_row(t.b, "B-AUGUST", "2026-08-31", "replied", Some("2026-09-02")),
    ])
    .await
    .unwrap();

    // 信箱: A's mailbox answered one letter late and one in time (a reply in the last two
    // months), and has an open 举报 past its day (not counted here); B's has one letter open
    // past its day and no reply since 9 August (silent); B's second mailbox had one letter in
    // March, answered (not silent: nothing expected of it).
    let boxes = s.bench_insert_mailboxes(&[t.a, t.b, t.b]).await.unwrap();
    s.bench_insert_letters(&[
        letter(
            boxes[0],
            "XA1",
            "2026-09-01",
            "2026-09-20",
            Some("2026-09-25"),
        ),
        letter(
            boxes[0],
            "XA2",
            "2026-09-01",
            "2026-09-20",
            Some("2026-09-18"),
        ),
        letter(boxes[0], "XA3", "2026-09-01", "2026-09-20", None),
        letter(boxes[1], "XB1", "2026-09-01", "2026-09-22", None),
        letter(
            boxes[2],
            "XB2",
            "2026-03-01",
            "2026-03-20",
            Some("2026-03-05"),
        ),
    ])
    .await
    .unwrap();
    app.exec("UPDATE letters SET kind = 'report' WHERE number = 'XA3'")
        .await;

    // 公示: A's notice ended on 30 September without a result.
    app.exec(&format!(
        "INSERT INTO notice_periods (item_id, kind, start_on, end_on, days, unit, policy, created_at, updated_at) \
         VALUES ({in_time}, 'other', '2026-09-23', '2026-09-30', 5, 'working', 'effect_unless_upheld', 0, 0)"
    ))
    .await;

    // 内部文件 from the county: sent Tuesday 22 September (six working days ran out on 8
    // October) and Thursday 24 September (due on the 10 October 调休 Saturday: in time on the 9th).
    // A's reader has read neither, B's reader read the first.
    let root_user = app.staff("sender", Some(Role::Editor), t.root).await;
    for (title, sent) in [
        ("九月二十二日会议纪要", "2026-09-22"),
        ("九月二十四日通知", "2026-09-24"),
    ] {
        app.exec(&format!(
            "INSERT INTO circulars (body_id, kind, title, text, target_bodies, sent_by, sent_by_name, sent_on, created_at) \
             VALUES ({}, 'minutes', '{title}', '内容', '[]', {root_user}, 'sender', '{sent}', 0)",
            t.root
        ))
        .await;
        let c = app
            .scalar(&format!("SELECT id FROM circulars WHERE title = '{title}'"))
            .await;
        app.exec(&format!(
            "INSERT INTO circular_receipts (circular_id, user_id, read_at) VALUES ({c}, {reader_a}, NULL), ({c}, {reader_b}, {})",
            ms("2026-09-23")
        ))
        .await;
    }

    // 重点工作: a step of A1 past its day, one done, one due later.
    app.exec(&format!(
        "INSERT INTO works (body_id, kind, title, summary, due_on, status, created_by, created_at, updated_at) \
         VALUES ({}, 'key_work', '机房改造', '改造', '2026-12-31', 'open', 'sender', 0, 0)",
        t.root
    ))
    .await;
    let work = app.scalar("SELECT id FROM works").await;
    for (title, status) in [("采购设备", "in_progress"), ("拆除旧设备", "done")] {
        app.exec(&format!(
            "INSERT INTO work_steps (work_id, stage, title, owner_id, owner_name, body_id, due_on, status, updated_at) \
             VALUES ({work}, 1, '{title}', {writer}, 'writer', {}, '2026-09-30', '{status}', 0)",
            t.a1
        ))
        .await;
    }

    // Judged on Friday 9 October 2026, for 1 September to 9 October.
    let window = Window::new(day("2026-09-01"), day("2026-10-09"), day("2026-12-01")).unwrap();
    let dates = MonitorDates {
        window,
        unread_sent_by: window.unread_sent_by(&Calendar::builtin()).unwrap(),
    };
    assert_eq!(dates.unread_sent_by, day("2026-09-22"));
    let root_path = s.get_body(t.root).await.unwrap().path;
    let report = s
        .monitor_report(&Scope::subtree(&root_path), &dates)
        .await
        .unwrap();
    let line = |body: i64| report.lines.iter().find(|l| l.body_id == body).unwrap();
    let counts = |body: i64| {
        gongkai_domain::monitor::RULES
            .iter()
            .map(|r| (r.key, line(body).counts.get(r.key)))
            .filter(|(_, n)| *n > 0)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        counts(t.a),
        vec![
            (RuleKey::LateItems, 1),
            (RuleKey::LateApplications, 2),
            (RuleKey::LateLetters, 1),
            (RuleKey::OpenNotices, 1),
            (RuleKey::UnreadCirculars, 1),
        ]
    );
    assert_eq!(
        counts(t.b),
        vec![
            (RuleKey::LateItems, 1),
            (RuleKey::StaleCategories, 1),
            (RuleKey::LateLetters, 1),
            (RuleKey::SilentMailboxes, 1),
        ]
    );
    assert_eq!(
        counts(t.a1),
        vec![(RuleKey::IdleRows, 1), (RuleKey::OverdueSteps, 1)]
    );
    assert!(counts(t.root).is_empty());
    // 100 − 1 − 6 − 2 − 2 − 1; 100 − 1 − 2 − 2 − 5; 100 − 2 − 2.
    let ranked: Vec<(i64, u32, Light, usize)> = report
        .lines
        .iter()
        .map(|l| (l.body_id, l.score, l.light, l.rank))
        .collect();
    assert_eq!(
        ranked,
        vec![
            (t.root, 100, Light::Green, 1),
            (t.a1, 96, Light::Green, 2),
            (t.b, 90, Light::Green, 3),
            (t.a, 88, Light::Yellow, 4),
        ]
    );
    assert_eq!(report.totals.total(), 12);

    // The records behind a count.
    let a_path = s.get_body(t.a).await.unwrap().path;
    let listed = s
        .monitor_offences(&Scope::subtree(&a_path), &dates, RuleKey::LateApplications)
        .await
        .unwrap();
    let titles: Vec<(&str, Option<&str>)> = listed
        .iter()
        .map(|o| (o.title.as_str(), o.done_on.as_deref()))
        .collect();
    assert_eq!(
        titles,
        vec![("A-LATE", Some("2026-09-16")), ("A-OPEN", None)]
    );
    let unread = s
        .monitor_offences(
            &Scope::subtree(&root_path),
            &dates,
            RuleKey::UnreadCirculars,
        )
        .await
        .unwrap();
    assert_eq!(unread.len(), 1);
    assert!(
        unread[0].title.contains("九月二十二日会议纪要") && unread[0].title.contains("reader_a")
    );
    let stale = s
        .monitor_offences(
            &Scope::subtree(&root_path),
            &dates,
            RuleKey::StaleCategories,
        )
        .await
        .unwrap();
    assert_eq!(stale.len(), 1);
    assert_eq!(
        (stale[0].id, stale[0].done_on.as_deref()),
        (b_cats[0].id, Some("2026-03-01"))
    );

    // The back office: the supervisor sees every body, ranked, the light in words.
    let q = "from=2026-09-01&to=2026-10-09";
    let inspector = app.login("inspector").await;
    let (st, page) = inspector.get_text(&format!("/admin/monitor?{q}")).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("测试县甲局") && page.contains("黄灯（需关注）") && page.contains("88"),
        "{page}"
    );
    assert!(
        page.contains("条例》第三十三条"),
        "the rule behind the numbers is shown"
    );
    let (st, page) = inspector
        .get_text(&format!(
            "/admin/monitor/late_applications?{q}&body={}",
            t.a
        ))
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("A-LATE") && page.contains("A-OPEN") && !page.contains("A-ONTIME"));
    assert!(page.contains("/admin/applications/"));
    // A bad range is said in words; the page shows this year instead.
    let (st, page) = inspector
        .get_text("/admin/monitor?from=2026-10-09&to=2026-09-01")
        .await;
    assert_eq!(st, 200);
    assert!(page.contains("开始日期不能晚于结束日期"));
    assert_eq!(
        inspector.get_text("/admin/monitor/no_such_rule").await.0,
        404
    );

    // B's editor sees B's own line only, and may not ask for A; B's items but not its letters.
    let b_editor = app.login("b_editor").await;
    let (st, page) = b_editor.get_text(&format!("/admin/monitor?{q}")).await;
    assert_eq!(st, 200);
    assert!(
        page.contains("测试县乙局") && !page.contains("测试县甲局"),
        "{page}"
    );
    assert_eq!(
        b_editor
            .get_text(&format!("/admin/monitor?{q}&body={}", t.a))
            .await
            .0,
        404
    );
    let (_, page) = b_editor
        .get_text(&format!("/admin/monitor/late_items?{q}"))
        .await;
    assert!(page.contains("乙局逾期未公开的草稿") && !page.contains("不予公开的草稿"));
    let (_, page) = b_editor
        .get_text(&format!("/admin/monitor/late_letters?{q}"))
        .await;
    assert!(page.contains("不能查看") && !page.contains("XB1"), "{page}");
    // A 信箱办理员 reads letters but not the monitor.
    let handler = app.login("b_handler").await;
    assert_eq!(
        handler.get_text(&format!("/admin/monitor?{q}")).await.0,
        403
    );
    assert_eq!(
        handler
            .get_text(&format!("/admin/monitor/late_letters?{q}"))
            .await
            .0,
        403
    );

    // The API: the same figures, answers as the document says.
    let ad = admin(&app).await;
    let token = issue(&ad, "督查系统", t.root, &["supervisor"], "svc-monitor").await;
    let api = Api::new(&app, Some(&token));
    let (_, doc) = Api::new(&app, None).get("/api/openapi.json").await;
    let (st, j) = api.get(&format!("/api/v1/admin/monitor?{q}")).await;
    assert_eq!(st, 200, "{j}");
    conforms(&doc, "/api/v1/admin/monitor", "get", st, &j);
    let a_line = j["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["body_id"] == t.a)
        .unwrap();
    assert_eq!(a_line["score"], 88);
    assert_eq!(a_line["light"], "yellow");
    assert_eq!(a_line["counts"]["late_applications"], 2);
    assert_eq!(j["totals"]["silent_mailboxes"], 1);
    let (st, j) = api
        .get(&format!("/api/v1/admin/monitor/late_letters?{q}"))
        .await;
    assert_eq!(st, 200, "{j}");
    conforms(&doc, "/api/v1/admin/monitor/{rule}", "get", st, &j);
    let numbers: Vec<&str> = j["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{numbers:?}");
    assert!(
        numbers.iter().all(|n| !n.starts_with("XA3")),
        "a 举报 is not listed"
    );
    let (st, j) = api
        .get("/api/v1/admin/monitor?from=2026-10-09&to=2026-09-01")
        .await;
    assert_eq!(st, 422);
    assert_eq!(j["error"]["code"], "validation");
    conforms(&doc, "/api/v1/admin/monitor", "get", st, &j);
    let b_token = issue(&ad, "乙局系统", t.b, &["editor"], "svc-b-monitor").await;
    let b_api = Api::new(&app, Some(&b_token));
    let (st, j) = b_api
        .get(&format!("/api/v1/admin/monitor?{q}&body={}", t.a))
        .await;
    assert_eq!(st, 404);
    conforms(&doc, "/api/v1/admin/monitor", "get", st, &j);
    let h_token = issue(&ad, "事项系统", t.b, &["service_editor"], "svc-b-services").await;
    let (st, _) = Api::new(&app, Some(&h_token))
        .get(&format!("/api/v1/admin/monitor?{q}"))
        .await;
    assert_eq!(st, 403);
}
