//! 数据图表 through the real server: the charts of a constructed year (known counts), each SVG
//! carrying exactly its table's values; who may read them (the monitor's readers of the body)
//! and who may choose what is public (the body's 审批领导); the public page shows only the
//! published charts, with their CSV, and is linked from the body page and the sitemap.

use chrono::NaiveDate;
use gongkai_domain::access::Role;
use gongkai_store::applications::BenchApplication;
use gongkai_store::monitor::BenchLetter;

use crate::both_backends;
use crate::briefings::ms;
use crate::notice_periods::published_with;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(dashboards_chart_the_year_and_publish_what_the_body_chooses);

/// A table's rows: (label, cells).
type Rows = Vec<(String, Vec<String>)>;

/// Every chart's table on a page: chart key → rows.
pub fn tables(page: &str) -> Vec<(String, Rows)> {
    let t =
        regex::Regex::new(r#"(?s)<table class="list numbers" data-chart="(\w+)">(.*?)</table>"#)
            .unwrap();
    let row = regex::Regex::new(r"(?s)<tbody>(.*)</tbody>").unwrap();
    let tr = regex::Regex::new(r"(?s)<tr>(.*?)</tr>").unwrap();
    let cell = regex::Regex::new(r"(?s)<t[hd][^>]*>(.*?)</t[hd]>").unwrap();
    t.captures_iter(page)
        .map(|c| {
            let body = row
                .captures(&c[2])
                .map(|b| b[1].to_string())
                .unwrap_or_default();
            let rows = tr
                .captures_iter(&body)
                .map(|r| {
                    let cells: Vec<String> = cell
                        .captures_iter(&r[1])
                        .map(|x| x[1].to_string())
                        .collect();
                    (cells[0].clone(), cells[1..].to_vec())
                })
                .collect();
            (c[1].to_string(), rows)
        })
        .collect()
}

/// The drawn values of the chart `key` on a page: (series, label, value).
pub fn drawn(page: &str, key: &str) -> Vec<(usize, usize, String)> {
    let start = page.find(&format!(r#"id="chart-{key}""#)).unwrap();
    let svg_start = start + page[start..].find("<svg").unwrap();
    let svg_end = svg_start + page[svg_start..].find("</svg>").unwrap() + 6;
    let svg = &page[svg_start..svg_end];
    let doc = roxmltree::Document::parse(svg).expect("the chart is well-formed SVG");
    doc.descendants()
        .filter(|n| n.attribute("class") == Some("datum"))
        .map(|n| {
            (
                n.attribute("data-series").unwrap().parse().unwrap(),
                n.attribute("data-label").unwrap().parse().unwrap(),
                n.attribute("data-value").unwrap().to_string(),
            )
        })
        .collect()
}

/// Every value drawn is the table's, and every table value that is a number is drawn.
pub fn chart_equals_table(page: &str) {
    for (key, rows) in tables(page) {
        let drawn = drawn(page, &key);
        for (s, l, v) in &drawn {
            assert_eq!(&rows[*l].1[*s], v, "{key}: series {s}, label {l}");
        }
        let series = drawn.iter().map(|d| d.0).max().map_or(0, |m| m + 1);
        let numbers = rows
            .iter()
            .flat_map(|(_, cells)| cells.iter().take(series.max(1)))
            .filter(|c| *c != "—")
            .count();
        assert_eq!(drawn.len(), numbers, "{key}: every number is drawn");
    }
}

async fn dashboards_chart_the_year_and_publish_what_the_body_chooses(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("county_editor", Some(Role::Editor), t.root).await;
    app.staff("county_approver", Some(Role::Approver), t.root)
        .await;
    app.staff("b_editor", Some(Role::Editor), t.b).await;
    app.staff("a_handler", Some(Role::ApplicationHandler), t.a)
        .await;
    // 2026: A publishes two items in March and one in July, B one in July (in its subtree:
    // all count for the county); one internal item does not count.
    for (body, title, on) in [
        (t.a, "甲局三月通知一", "2026-03-02"),
        (t.a, "甲局三月通知二", "2026-03-20"),
        (t.a, "甲局七月通知", "2026-07-10"),
        (t.b, "乙局七月通知", "2026-07-15"),
        (t.b, "乙局内部通知", "2026-07-16"),
    ] {
        let id = published_with(&app, body, title, "内容。").await;
        app.exec(&format!(
            "UPDATE items SET first_published_at = {m}, published_at = {m} WHERE id = {id}",
            m = ms(on)
        ))
        .await;
        if title.contains("内部") {
            app.exec(&format!(
                "UPDATE items SET scope = 'internal' WHERE id = {id}"
            ))
            .await;
        }
    }
    // Published at 01:00 Beijing time on 1 March (28 February in UTC): March's.
    let id = published_with(&app, t.a, "甲局三月一日凌晨通知", "内容。").await;
    let early = NaiveDate::from_ymd_opt(2026, 2, 28)
        .unwrap()
        .and_hms_opt(17, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    app.exec(&format!(
        "UPDATE items SET first_published_at = {early}, published_at = {early} WHERE id = {id}"
    ))
    .await;
    // Applications answered in 2026: April one in time (予以公开) and one late (不予公开),
    // one of 2025 not counted.
    let app_row = |n: &str, due: &str, replied: &str, reply: &str| BenchApplication {
        body_id: t.a,
        number: n.into(),
        received_on: "2026-04-01".into(),
        status: "replied".into(),
        due_on: Some(due.into()),
        applicant_type: "natural".into(),
        reply_type: Some(reply.into()),
        replied_on: Some(replied.into()),
    };
    app.store
        .bench_insert_applications_rows(&[
            app_row("D-1", "2026-04-29", "2026-04-20", "disclosed"),
            app_row("D-2", "2026-04-29", "2026-04-30", "withheld_secret"),
            app_row("D-3", "2025-04-29", "2025-04-20", "partial"),
        ])
        .await
        .unwrap();
    // Letters answered in 2026 (the 举报 not counted): received Tuesday 29 September and
    // answered 9 October (3 working days over 国庆), one answered after 25 working days.
    let boxes = app.store.bench_insert_mailboxes(&[t.a]).await.unwrap();
    let letter = |n: &str, received: &str, due: &str, replied: &str| BenchLetter {
        mailbox_id: boxes[0].0,
        body_id: boxes[0].1,
        number: n.into(),
        received_on: received.into(),
        due_on: due.into(),
        status: "replied".into(),
        replied_on: Some(replied.into()),
    };
    app.store
        .bench_insert_letters(&[
            letter("L-1", "2026-09-29", "2026-10-20", "2026-10-09"),
            letter("L-2", "2026-05-06", "2026-05-27", "2026-06-10"),
            letter("L-3", "2026-05-06", "2026-05-27", "2026-05-08"),
        ])
        .await
        .unwrap();
    app.exec("UPDATE letters SET rating = 'satisfied' WHERE number = 'L-1'")
        .await;
    app.exec("UPDATE letters SET rating = 'unsatisfied' WHERE number = 'L-2'")
        .await;
    app.exec("UPDATE letters SET kind = 'report', rating = 'fair' WHERE number = 'L-3'")
        .await;

    // The public sees nothing before the body publishes a chart.
    let anon = Browser::new(&app);
    let root = t.root;
    let (s, _) = anon.get_text(&format!("/bodies/{root}/dashboard")).await;
    assert_eq!(s, 404);
    let r = anon.get("/admin/dashboards").await;
    assert_eq!(r.status(), 303);

    // The county's editor reads every chart of the subtree.
    let editor = app.login("county_editor").await;
    let (s, page) = editor
        .get_text(&format!("/admin/dashboards?body={root}&year=2026"))
        .await;
    assert_eq!(s, 200);
    chart_equals_table(&page);
    let tabs = tables(&page);
    let table = |k: &str| tabs.iter().find(|(key, _)| key == k).unwrap().1.clone();
    let publications = table("publications");
    // March: 3 (one at 01:00 on the 1st, Beijing time); February none; July: 2 (the internal
    // item not counted); 合计 column last.
    assert_eq!(publications[2].1.last().unwrap(), "3");
    assert_eq!(publications[1].1.last().unwrap(), "0");
    assert_eq!(publications[6].1.last().unwrap(), "2");
    assert_eq!(publications[0].1.last().unwrap(), "0");
    let on_time = table("on_time");
    assert_eq!(on_time[3].1, vec!["50.0", "—"]);
    assert_eq!(on_time[5].1, vec!["—", "0.0"]);
    assert_eq!(on_time[9].1, vec!["—", "100.0"]);
    let outcomes = table("outcomes");
    assert_eq!(outcomes[0], ("予以公开".to_string(), vec!["1".to_string()]));
    assert_eq!(outcomes[2].1, vec!["1"]);
    assert_eq!(outcomes[1].1, vec!["0"]);
    let times = table("response_times");
    assert_eq!(times[0].1, vec!["1"]);
    assert_eq!(times[4].1, vec!["1"], "25 working days: over 20");
    let ratings = table("satisfaction");
    assert_eq!(ratings[9].1, vec!["1", "0", "0", "1"]);
    assert_eq!(ratings[5].1, vec!["0", "0", "1", "1"]);
    // The editor cannot choose what is public.
    assert!(!page.contains("保存公开设置"));
    let r = editor
        .post_form(
            "/admin/dashboards",
            &[("body", &root.to_string()), ("public", "outcomes")],
        )
        .await;
    assert_eq!(r.status(), 403);
    // The CSV is the table.
    let r = editor
        .get(&format!(
            "/admin/dashboards/outcomes.csv?body={root}&year=2026"
        ))
        .await;
    assert_eq!(r.status(), 200);
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("\u{feff}办理结果,办结（件）\r\n予以公开,1\r\n"),
        "{csv}"
    );

    // B's editor reads B's charts, not the county's; a handler reads no monitor.
    let b = app.login("b_editor").await;
    let (s, _) = b.get_text(&format!("/admin/dashboards?body={root}")).await;
    assert_eq!(s, 404);
    let (s, page) = b.get_text("/admin/dashboards").await;
    assert_eq!(s, 200);
    assert!(page.contains("测试县乙局"));
    let handler = app.login("a_handler").await;
    let (s, _) = handler.get_text("/admin/dashboards").await;
    assert_eq!(s, 403);

    // The county's 审批领导 publishes two charts.
    let approver = app.login("county_approver").await;
    let r = approver
        .post_form(
            "/admin/dashboards",
            &[
                ("body", &root.to_string()),
                ("year", "2026"),
                ("public", "publications"),
                ("public", "outcomes"),
                ("public", "nonsense"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap_or_default());
    assert!(location(&r).starts_with("/admin/dashboards?"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'dashboard.publish'")
            .await,
        1
    );
    let (s, page) = anon
        .get_text(&format!("/bodies/{root}/dashboard?year=2026"))
        .await;
    assert_eq!(s, 200);
    assert!(page.contains("各月主动公开信息数") && page.contains("依申请公开办理结果"));
    assert!(!page.contains("信箱来信满意度评价") && !page.contains("各月按时答复率"));
    chart_equals_table(&page);
    let r = anon
        .get(&format!("/bodies/{root}/dashboard/outcomes.csv?year=2026"))
        .await;
    assert_eq!(r.status(), 200);
    let r = anon
        .get(&format!(
            "/bodies/{root}/dashboard/satisfaction.csv?year=2026"
        ))
        .await;
    assert_eq!(
        r.status(),
        404,
        "an unpublished chart's table is not public"
    );
    let (s, _) = anon
        .get_text(&format!("/bodies/{root}/dashboard?year=1999"))
        .await;
    assert_eq!(s, 404);
    // The same numbers as JSON, as the document says.
    let api = crate::api::Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (st, j) = api
        .get(&format!("/api/v1/bodies/{root}/dashboard?year=2026"))
        .await;
    assert_eq!(st, 200, "{j}");
    crate::api::conforms(&doc, "/api/v1/bodies/{id}/dashboard", "get", st, &j);
    let charts = j["charts"].as_array().unwrap();
    assert_eq!(charts.len(), 2);
    assert_eq!(charts[1]["key"], "outcomes");
    assert_eq!(charts[1]["series"][0]["values"][0], "1");
    assert_eq!(charts[0]["labels"][2], "3月");
    let (st, j) = api.get(&format!("/api/v1/bodies/{}/dashboard", t.a)).await;
    assert_eq!(st, 404);
    crate::api::conforms(&doc, "/api/v1/bodies/{id}/dashboard", "get", st, &j);
    let (_, body_page) = anon.get_text(&format!("/bodies/{root}")).await;
    assert!(body_page.contains(&format!("/bodies/{root}/dashboard")));
    let (_, sitemap) = anon.get_text("/sitemap-pages.xml").await;
    assert!(sitemap.contains(&format!("/bodies/{root}/dashboard</loc>")));
    // The charts are kept for ten minutes: a new item shows once the background count (or
    // the time) has come round, not at once.
    let id = published_with(&app, t.a, "甲局三月补充通知", "内容。").await;
    app.exec(&format!(
        "UPDATE items SET first_published_at = {m}, published_at = {m} WHERE id = {id}",
        m = ms("2026-03-25")
    ))
    .await;
    let march = |page: &str| {
        tables(page)
            .into_iter()
            .find(|(k, _)| k == "publications")
            .unwrap()
            .1[2]
            .1
            .last()
            .unwrap()
            .clone()
    };
    let (_, page) = anon
        .get_text(&format!("/bodies/{root}/dashboard?year=2026"))
        .await;
    assert_eq!(march(&page), "3", "kept");
    assert_eq!(
        gongkai_web::handlers::dashboards::warm(&app.state)
            .await
            .unwrap(),
        1
    );
    let (_, page) = anon
        .get_text(&format!("/bodies/{root}/dashboard?year=2026"))
        .await;
    assert_eq!(march(&page), "4", "counted again by the background pass");
    chart_equals_table(&page);
    // A's page has no dashboard of its own.
    let (s, _) = anon.get_text(&format!("/bodies/{}/dashboard", t.a)).await;
    assert_eq!(s, 404);
    // Withdrawing every chart takes the page down.
    let r = approver
        .post_form("/admin/dashboards", &[("body", &root.to_string())])
        .await;
    assert_eq!(r.status(), 303);
    let (s, _) = anon.get_text(&format!("/bodies/{root}/dashboard")).await;
    assert_eq!(s, 404);
}
