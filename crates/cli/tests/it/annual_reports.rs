//! The annual report through the real server (`/admin/annual-reports`, `/bodies/{id}/reports`):
//! counted from the cases, review records and items of last year; blocked by a case with no
//! received date; edited texts kept and a stale save refused with the input shown again;
//! submitted, reviewed, approved and published through the item workflow with its ledger entry;
//! the public page and files show the approved snapshot even when the records change later; the
//! overview for supervisors; imports of earlier years and the carry-over check; who may do what.

use chrono::{Datelike, NaiveDate};
use gongkai_domain::access::Role;
use gongkai_domain::annual_report::{self as ar, AnnualReport};
use gongkai_domain::application::{ApplicantType, Channel, ReplyType};
use gongkai_domain::audit::Who;
use gongkai_store::applications::{CaseEvent, NewApplication};
use gongkai_store::disclosure::{ImportRow, VersionFields};

use crate::api::Api;
use crate::both_backends;
use crate::credit::today;
use crate::support::{Browser, Db, TestApp, location};

fn conforms_ok(doc: &serde_json::Value, s: u16, j: &serde_json::Value) {
    assert_eq!(s, 200);
    crate::api::conforms(doc, "/api/v1/admin/annual-reports", "get", s, j);
}

both_backends!(
    last_years_report_is_counted_checked_approved_and_published,
    earlier_reports_are_imported_and_the_carry_over_is_checked,
);

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// A case of `body` received on `received`, its number returned with its id.
async fn case(app: &TestApp, body: i64, kind: ApplicantType, received: NaiveDate) -> (i64, String) {
    let cal = app.store.load_calendar().await.unwrap();
    app.store
        .create_application(
            &NewApplication {
                body_id: body,
                routed: true,
                channel: Channel::InPerson,
                submitted_on: received,
                received_on: received,
                applicant_type: kind,
                applicant_name: "申请人".into(),
                id_type: "居民身份证".into(),
                id_sealed: "v1:".into(),
                contact_sealed: "v1:".into(),
                description: "某项政府信息".into(),
                doc_no_hint: String::new(),
                form_wanted: "纸质".into(),
                delivery: "post".into(),
                secret_hash: "x".into(),
            },
            &cal,
            &Who::system(),
        )
        .await
        .unwrap()
}

async fn event(app: &TestApp, id: i64, ev: CaseEvent) {
    let cal = app.store.load_calendar().await.unwrap();
    app.store
        .add_case_event(id, &ev, None, &cal, today(), &Who::system())
        .await
        .unwrap();
}

async fn reply(app: &TestApp, id: i64, on: NaiveDate, reply: ReplyType) {
    event(
        app,
        id,
        CaseEvent::Reply {
            on,
            reply,
            text: "答复内容".into(),
        },
    )
    .await;
}

async fn json_of(b: &Browser, path: &str) -> AnnualReport {
    let r = b.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    serde_json::from_slice(&r.bytes().await.unwrap()).unwrap()
}

async fn step(b: &Browser, item: i64, fields: &[(&str, &str)]) {
    let r = b
        .post_form(&format!("/admin/items/{item}/step"), fields)
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let to = location(&r);
    assert!(!to.contains("error="), "{to}");
}

async fn last_years_report_is_counted_checked_approved_and_published(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b_body) = (app.tree.a, app.tree.b);
    let y = today().year() - 1;
    app.staff("writer", Some(Role::Editor), a).await;
    app.staff("checker", Some(Role::Reviewer), a).await;
    app.staff("leader", Some(Role::Approver), a).await;
    app.staff("other", Some(Role::Editor), b_body).await;
    app.staff("mailman", Some(Role::LetterHandler), a).await;

    // The year's cases: one disclosed, one carried over from the year before and partly
    // disclosed, one received on 31 December and open, and one never registered.
    let (c1, _) = case(&app, a, ApplicantType::Natural, d(y, 3, 2)).await;
    reply(&app, c1, d(y, 3, 20), ReplyType::Disclosed).await;
    let (c2, _) = case(&app, a, ApplicantType::Commercial, d(y - 1, 12, 18)).await;
    reply(&app, c2, d(y, 1, 10), ReplyType::Partial).await;
    case(&app, a, ApplicantType::Legal, d(y, 12, 31)).await;
    let (c4, n4) = case(&app, a, ApplicantType::Natural, d(y, 6, 2)).await;
    app.exec(&format!(
        "UPDATE applications SET received_on = NULL, status = 'pending' WHERE id = {c4}"
    ))
    .await;
    // A 行政复议 about the first case, upheld within the year.
    for (on, outcome) in [(d(y, 4, 1), "pending"), (d(y, 6, 1), "upheld")] {
        event(
            &app,
            c1,
            CaseEvent::Review {
                on,
                proceeding: "reconsideration".into(),
                authority: "测试县人民政府".into(),
                outcome: outcome.into(),
            },
        )
        .await;
    }
    // Two 行政规范性文件: one issued in the year, one issued earlier and repealed in it.
    let cats = app.store.list_categories(a).await.unwrap();
    let cat = cats
        .iter()
        .find(|c| c.template_key == "art20_1")
        .unwrap()
        .id;
    let org = app.store.get_body(a).await.unwrap().org_code;
    let row =
        |title: &str, written: NaiveDate, validity: &str, vdate: Option<NaiveDate>| ImportRow {
            body_id: a,
            org_code: org.clone(),
            category_id: cat,
            index_no: None,
            fields: VersionFields {
                title: title.into(),
                doc_no: format!("测发〔{}〕1号", written.year()),
                written_on: Some(written),
                formed_on: written,
                subject: String::new(),
                keywords: String::new(),
                summary: String::new(),
                body_md: "正文".into(),
                scope: "public".into(),
                open_method: "proactive".into(),
                normative_kind: "normative".into(),
                related: Vec::new(),
            },
            published_on: written,
            validity: validity.into(),
            validity_date: vdate,
        };
    app.store
        .import_published(
            &[
                row("关于甲事项的管理办法", d(y, 4, 1), "valid", None),
                row(
                    "关于乙事项的暂行规定",
                    d(y - 1, 5, 1),
                    "repealed",
                    Some(d(y, 9, 1)),
                ),
            ],
            &Who::system(),
        )
        .await
        .unwrap();

    // Two 双公示 decisions of the year (a licence and a 行政强制) and one of the year before.
    for (kind, doc, on) in [
        (
            gongkai_domain::credit::DecisionKind::License,
            "测许〔1〕1号",
            d(y, 5, 5),
        ),
        (
            gongkai_domain::credit::DecisionKind::Coercion,
            "测强〔1〕1号",
            d(y, 8, 8),
        ),
        (
            gongkai_domain::credit::DecisionKind::License,
            "测许〔0〕9号",
            d(y - 1, 8, 8),
        ),
    ] {
        app.store
            .record_decision(
                &gongkai_store::credit::NewDecision {
                    body_id: a,
                    kind,
                    party_name: "测试县某某有限公司".into(),
                    party_type: gongkai_domain::credit::PartyType::Legal,
                    uscc: String::new(),
                    legal_rep: "王某".into(),
                    personal_sealed: String::new(),
                    involves_minor: false,
                    adult_confirmed: false,
                    doc_title: "决定书".into(),
                    doc_no: doc.into(),
                    content: "决定内容".into(),
                    basis: "《某法》".into(),
                    fine_fen: None,
                    decided_on: on,
                    valid_until: String::new(),
                    publish_due: gongkai_domain::credit::Due::On(on),
                    display_months: 12,
                    entered_via: "form",
                },
                &Who::system(),
            )
            .await
            .unwrap();
    }

    let w = app.login("writer").await;
    let page = format!("/admin/annual-reports/{a}/{y}");
    let (s, html) = w.get_text(&page).await;
    assert_eq!(s, 200);
    assert!(html.contains("尚未登记收到日期"), "the blocker is listed");
    assert!(
        !html.contains(&n4),
        "its number only for readers of applications"
    );
    app.staff("inspector", Some(Role::Supervisor), a).await;
    let inspector = app.login("inspector").await;
    let (_, html) = inspector.get_text(&page).await;
    assert!(
        html.contains(&n4) && html.contains(&format!("/admin/applications/{c4}")),
        "a supervisor sees the case and its link"
    );
    assert!(
        !html.contains("value=\"submit\""),
        "no submit while a case blocks"
    );
    // The first draft of the texts quotes the figures (the blocked case left out).
    let draft = json_of(&w, &format!("{page}/report.json")).await;
    assert!(
        draft.sections.general[1].contains("本年新收政府信息公开申请2件"),
        "{:?}",
        draft.sections.general[1]
    );
    // Submitting anyway is refused with the reason (the texts are kept).
    let g = &draft.sections.general;
    let r = w
        .post_form(
            &page,
            &[
                ("action", "submit"),
                ("version", "0"),
                ("general_0", &g[0]),
                ("general_1", &g[1]),
                ("general_2", &g[2]),
                ("general_3", &g[3]),
                ("general_4", &g[4]),
                ("problems", &draft.sections.problems),
                ("other", &draft.sections.other),
            ],
        )
        .await;
    assert!(location(&r).contains("error="));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM annual_report_versions")
            .await,
        0
    );
    // Registering the case fixes it: received on its submission day, open at the year's end.
    app.exec(&format!(
        "UPDATE applications SET received_on = submitted_on, status = 'handling' WHERE id = {c4}"
    ))
    .await;

    let r = json_of(&w, &format!("{page}/report.json")).await;
    let c = &r.table3.cells;
    assert_eq!(c[ar::ROW_NEW], [2, 0, 0, 0, 1, 0, 3]);
    assert_eq!(c[ar::ROW_CARRIED], [0, 1, 0, 0, 0, 0, 1]);
    assert_eq!(c[2], [1, 0, 0, 0, 0, 0, 1]);
    assert_eq!(c[3], [0, 1, 0, 0, 0, 0, 1]);
    assert_eq!(c[ar::ROW_TOTAL], [1, 1, 0, 0, 0, 0, 2]);
    assert_eq!(c[ar::ROW_OPEN], [1, 0, 0, 0, 1, 0, 2]);
    assert!(r.table3.check().is_empty());
    assert_eq!(r.table4.reconsideration, [1, 0, 0, 0, 1]);
    assert_eq!(r.table2.normative, [1, 1, 1]);
    assert_eq!(r.table2.regulations, [0, 0, 0]);
    assert_eq!(
        (r.table2.license, r.table2.penalty, r.table2.coercion),
        (1, 0, 1)
    );
    assert_eq!(r.table2.fees_wan, "0.00");
    assert_eq!(
        r.sections, draft.sections,
        "saved texts are kept, not redrafted"
    );

    // Edit the texts; a save over someone else's newer save is refused and the text kept.
    let r = w
        .post_form(
            &page,
            &[
                ("action", "save"),
                ("version", "1"),
                ("general_0", "本机关全年主动公开信息，情况良好。"),
                ("problems", "栏目更新不够及时。"),
                ("other", "本年度未收取信息处理费。"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="));
    let (_, html) = w.get_text(&page).await;
    assert!(html.contains("本机关全年主动公开信息，情况良好。"));
    let r = w
        .post_form(
            &page,
            &[
                ("action", "save"),
                ("version", "1"),
                ("general_0", "另一人的修改"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("已被他人修改") && html.contains("另一人的修改"),
        "input shown again"
    );

    // Permissions: the reviewer reads but cannot edit; another body's editor sees nothing; a
    // letters handler has no annual reports; a visitor is sent to sign in.
    let checker = app.login("checker").await;
    assert_eq!(checker.get_text(&page).await.0, 200);
    let r = checker
        .post_form(&page, &[("action", "save"), ("version", "1")])
        .await;
    assert_eq!(r.status(), 403);
    let other = app.login("other").await;
    assert_eq!(other.get_text(&page).await.0, 404);
    assert_eq!(
        other.get(&format!("{page}/report.json")).await.status(),
        404
    );
    let (_, overview) = other
        .get_text(&format!("/admin/annual-reports?year={y}"))
        .await;
    assert!(!overview.contains("测试县甲局"), "out of scope");
    let mailman = app.login("mailman").await;
    assert_eq!(mailman.get_text("/admin/annual-reports").await.0, 403);
    let visitor = Browser::new(&app);
    let r = visitor.get("/admin/annual-reports").await;
    assert!(r.status().is_redirection() && location(&r).contains("/login"));
    assert_eq!(
        visitor
            .get(&format!("/bodies/{a}/reports/{y}"))
            .await
            .status(),
        404
    );

    // Submit: the report becomes the item of the 年报 column, waiting for review.
    let (_, html) = w.get_text(&page).await;
    assert!(html.contains("value=\"submit\""));
    let version = app
        .scalar(&format!(
            "SELECT version FROM annual_reports WHERE body_id = {a}"
        ))
        .await
        .to_string();
    let r = w
        .post_form(
            &page,
            &[
                ("action", "submit"),
                ("version", &version),
                ("general_0", "本机关全年主动公开信息，情况良好。"),
                ("problems", "栏目更新不够及时。"),
                ("other", "本年度未收取信息处理费。"),
            ],
        )
        .await;
    let to = location(&r);
    assert!(to.starts_with("/admin/items/"), "{to}");
    let item: i64 = to
        .trim_start_matches("/admin/items/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, item_page) = w.get_text(&format!("/admin/items/{item}")).await;
    assert!(item_page.contains(&format!("测试县甲局{y}年政府信息公开工作年度报告")));
    assert!(item_page.contains("待保密审查"));
    assert_eq!(
        visitor
            .get(&format!("/bodies/{a}/reports/{y}"))
            .await
            .status(),
        404
    );
    // While it is in review its texts cannot be saved, and what was typed is shown again.
    let version = app
        .scalar(&format!(
            "SELECT version FROM annual_reports WHERE body_id = {a}"
        ))
        .await
        .to_string();
    let r = w
        .post_form(
            &page,
            &[
                ("action", "save"),
                ("version", &version),
                ("general_0", "审核中改动的文字"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("正在审核中") && html.contains("审核中改动的文字"));
    assert!(!html.contains("value=\"save\""), "no save button in review");
    step(
        &checker,
        item,
        &[("step", "review"), ("conclusion", "disclose")],
    )
    .await;
    let leader = app.login("leader").await;
    step(&leader, item, &[("step", "approve")]).await;
    // The generic item revise refuses a report's item (it is changed on the report's page).
    let r = w
        .post_form(&format!("/admin/items/{item}/revise"), &[])
        .await;
    assert!(location(&r).contains("error="), "{}", location(&r));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM item_versions WHERE item_id = {item}"
        ))
        .await,
        1
    );

    // Published: the public page, its files, the column and the ledger.
    let (s, public) = visitor.get_text(&format!("/bodies/{a}/reports/{y}")).await;
    assert_eq!(s, 200);
    assert!(public.contains("本机关全年主动公开信息，情况良好。"));
    assert!(public.contains("四、结转下年度继续办理"));
    let published = json_of(&visitor, &format!("/bodies/{a}/reports/{y}/report.json")).await;
    assert_eq!(published.table3.cells[ar::ROW_NEW], [2, 0, 0, 0, 1, 0, 3]);
    let xlsx = visitor
        .get(&format!("/bodies/{a}/reports/{y}/report.xlsx"))
        .await;
    assert_eq!(xlsx.status(), 200);
    let mut rows = Vec::new();
    for sheet in gongkai_files::table::grids("r.xlsx", &xlsx.bytes().await.unwrap()).unwrap() {
        rows.extend(sheet);
    }
    let g = gongkai_reports::annual_report_from_grid(&rows).unwrap();
    assert_eq!(g.table3, published.table3);
    assert_eq!(g.table4, published.table4);
    let docx = visitor
        .get(&format!("/bodies/{a}/reports/{y}/report.docx"))
        .await;
    assert_eq!(docx.status(), 200);
    let (_, column) = visitor.get_text(&format!("/bodies/{a}/reports")).await;
    assert!(column.contains(&format!("/bodies/{a}/reports/{y}")));
    let (_, sitemap) = visitor.get_text("/sitemap-pages.xml").await;
    assert!(sitemap.contains(&format!("/bodies/{a}/reports/{y}</loc>")));
    // The report is searchable as the item it was published as.
    let link = format!("/items/{item}");
    app.eventually("/search?q=政府信息公开工作年度报告", |p| {
        p.contains(&link)
    })
    .await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM ledger WHERE item_id = {item} AND action = 'publish'"
        ))
        .await,
        1
    );

    // A case registered late changes the staff's count, not what was approved and published.
    let (late, _) = case(&app, a, ApplicantType::Natural, d(y, 7, 7)).await;
    reply(&app, late, d(y, 7, 20), ReplyType::Disclosed).await;
    let now = json_of(&w, &format!("{page}/report.json")).await;
    assert_eq!(now.table3.cells[ar::ROW_NEW][6], 4);
    let still = json_of(&visitor, &format!("/bodies/{a}/reports/{y}/report.json")).await;
    assert_eq!(still, published);

    // The overview: published, on time or late against the due date, the checks passed.
    let (_, overview) = leader
        .get_text(&format!("/admin/annual-reports?year={y}"))
        .await;
    assert!(overview.contains("测试县甲局") && overview.contains("已公开"));
    let all = leader
        .get(&format!("/admin/annual-reports/all.json?year={y}"))
        .await;
    let all: serde_json::Value = serde_json::from_slice(&all.bytes().await.unwrap()).unwrap();
    let mine = all["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["body_id"] == a)
        .unwrap()
        .clone();
    assert_eq!(mine["checks_pass"], true);
    assert_eq!(mine["status"], "已公开");
    assert_eq!(mine["report"]["year"], y);
    let due = format!("{}-01-31", y + 1);
    assert_eq!(mine["due_on"], due.as_str());
    let late_expected = today() > NaiveDate::parse_from_str(&due, "%Y-%m-%d").unwrap();
    assert_eq!(
        mine["timeliness"],
        if late_expected {
            "逾期公开"
        } else {
            "按时公开"
        }
    );
    let xlsx = leader
        .get(&format!("/admin/annual-reports/all.xlsx?year={y}"))
        .await;
    assert_eq!(xlsx.status(), 200);
    let sheets = gongkai_files::table::grids("all.xlsx", &xlsx.bytes().await.unwrap()).unwrap();
    assert!(sheets[0].iter().any(|r| r[0] == "测试县甲局"));

    // The API: the published report (public) and, with a staff token, the report as it stands
    // and the overview; each answer as the OpenAPI document describes it.
    let api = Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (s, j) = api
        .get(&format!("/api/v1/bodies/{a}/annual-reports/{y}"))
        .await;
    assert_eq!(s, 200);
    crate::api::conforms(
        &doc,
        "/api/v1/bodies/{id}/annual-reports/{year}",
        "get",
        s,
        &j,
    );
    assert_eq!(
        serde_json::from_value::<AnnualReport>(j).unwrap(),
        published
    );
    let (s, j) = api
        .get(&format!("/api/v1/bodies/{b_body}/annual-reports/{y}"))
        .await;
    assert_eq!(s, 404, "not published");
    crate::api::conforms(
        &doc,
        "/api/v1/bodies/{id}/annual-reports/{year}",
        "get",
        s,
        &j,
    );
    let ad = crate::api::admin(&app).await;
    let token = crate::api::issue(&ad, "年报汇总", b_body, &["reviewer"], "svc-annual").await;
    let staff_api = Api::new(&app, Some(&token));
    let (s, j) = staff_api
        .get(&format!("/api/v1/admin/bodies/{a}/annual-reports/{y}"))
        .await;
    assert_eq!(s, 404, "body A is outside the token's body B: {j}");
    let (s, j) = staff_api
        .get(&format!("/api/v1/admin/annual-reports?year={y}"))
        .await;
    assert_eq!(s, 200);
    crate::api::conforms(&doc, "/api/v1/admin/annual-reports", "get", s, &j);
    assert!(
        j["bodies"]
            .as_array()
            .unwrap()
            .iter()
            .all(|b| b["body_id"] == b_body)
    );
    let root_token = crate::api::issue(
        &ad,
        "年报汇总（全县）",
        app.tree.root,
        &["reviewer"],
        "svc-county",
    )
    .await;
    let county = Api::new(&app, Some(&root_token));
    let (s, j) = county
        .get(&format!("/api/v1/admin/bodies/{a}/annual-reports/{y}"))
        .await;
    assert_eq!(s, 200);
    crate::api::conforms(
        &doc,
        "/api/v1/admin/bodies/{id}/annual-reports/{year}",
        "get",
        s,
        &j,
    );
    assert_eq!(j["status"], "已公开");
    assert_eq!(
        j["report"]["table3"]["rows"][0]["values"][6], 4,
        "counted now"
    );
    let (s, j) = county
        .get(&format!("/api/v1/admin/annual-reports?year={y}"))
        .await;
    conforms_ok(&doc, s, &j);
    let mine = j["bodies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["body_id"] == a)
        .unwrap();
    assert_eq!(mine["checks_pass"], true);
    assert_eq!(
        mine["report"]["table3"]["rows"][0]["values"][6], 3,
        "as published"
    );
    let (s, _) = Api::new(&app, None)
        .get("/api/v1/admin/annual-reports")
        .await;
    assert_eq!(s, 401);

    // A PDF of the published report (when fonts are installed) carries its title.
    if crate::support::renderer().is_some() {
        let pdf = visitor
            .get(&format!("/bodies/{a}/reports/{y}/report.pdf"))
            .await;
        assert_eq!(pdf.status(), 200);
        assert_eq!(&pdf.bytes().await.unwrap()[..5], b"%PDF-");
    }
}

async fn earlier_reports_are_imported_and_the_carry_over_is_checked(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let y = today().year() - 1;
    app.staff("writer", Some(Role::Editor), a).await;
    app.staff("leader", Some(Role::Approver), a).await;
    // One case carried from the year before into this report's year.
    let (c, _) = case(&app, a, ApplicantType::Natural, d(y - 1, 12, 29)).await;
    reply(&app, c, d(y, 1, 12), ReplyType::Disclosed).await;
    let w = app.login("writer").await;

    // The year before, as published before the system: its 四 says 2 natural persons' cases were
    // carried over, which does not match the one case this year's table carries.
    let mut before = AnnualReport {
        format: ar::FORMAT_2021.into(),
        body: "测试县甲局".into(),
        year: y - 1,
        sections: ar::Sections {
            problems: "公开目录更新不及时。".into(),
            ..Default::default()
        },
        table2: ar::Table2::default(),
        table3: ar::Table3::default(),
        table4: ar::Table4::default(),
    };
    before.table3.cells[ar::ROW_NEW] = [5, 0, 0, 0, 0, 0, 5];
    before.table3.cells[2] = [3, 0, 0, 0, 0, 0, 3];
    before.table3.cells[ar::ROW_TOTAL] = [3, 0, 0, 0, 0, 0, 3];
    before.table3.cells[ar::ROW_OPEN] = [2, 0, 0, 0, 0, 0, 2];
    let json = serde_json::to_vec(&before).unwrap();
    // An imported report is public at once: the editor may not import, the approver may.
    let r = w
        .post_multipart(
            &format!("/admin/annual-reports/{a}/{}/import", y - 1),
            &[],
            &[("r.json", json.clone())],
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let editor = w;
    let w = app.login("leader").await;
    // A file for another year is refused, nothing stored.
    let r = w
        .post_multipart(
            &format!("/admin/annual-reports/{a}/{}/import", y - 2),
            &[],
            &[("r.json", json.clone())],
        )
        .await
        .unwrap();
    assert!(location(&r).contains("error="));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM annual_reports").await, 0);
    let r = w
        .post_multipart(
            &format!("/admin/annual-reports/{a}/{}/import", y - 1),
            &[],
            &[("r.json", json)],
        )
        .await
        .unwrap();
    assert!(location(&r).contains("done="), "{}", location(&r));
    // It is public in the column, as imported.
    let visitor = Browser::new(&app);
    let shown = json_of(
        &visitor,
        &format!("/bodies/{a}/reports/{}/report.json", y - 1),
    )
    .await;
    assert_eq!(shown.table3, before.table3);

    // This year's page reports the carry-over difference and starts 五 from last year's.
    let (_, html) = w.get_text(&format!("/admin/annual-reports/{a}/{y}")).await;
    assert!(html.contains("结转核对不一致"), "carry-over mismatch shown");
    assert!(html.contains("上年度报告提出的问题及改进情况：公开目录更新不及时。"));

    // An XLSX laid out like ours, of the 2019 format (one 其他处理 row), two years back.
    let mut old = before.clone();
    old.year = y - 2;
    old.table3.cells[22] = [1, 0, 0, 0, 0, 0, 1];
    old.table3.cells[ar::ROW_TOTAL] = [4, 0, 0, 0, 0, 0, 4];
    old.table3.cells[ar::ROW_NEW] = [6, 0, 0, 0, 0, 0, 6];
    let bytes = gongkai_reports::annual_report_xlsx(&old);
    let r = w
        .post_multipart(
            &format!("/admin/annual-reports/{a}/{}/import", y - 2),
            &[("problems", "人员力量不足。")],
            &[("old.xlsx", bytes)],
        )
        .await
        .unwrap();
    assert!(location(&r).contains("done="), "{}", location(&r));
    let got = json_of(
        &visitor,
        &format!("/bodies/{a}/reports/{}/report.json", y - 2),
    )
    .await;
    assert_eq!(got.table3, old.table3);
    assert_eq!(got.sections.problems, "人员力量不足。");

    // This year cannot be imported; a wrong import can be removed.
    let this_year = y + 1;
    let r = w
        .post_multipart(
            &format!("/admin/annual-reports/{a}/{this_year}/import"),
            &[],
            &[(
                "r.json",
                serde_json::to_vec(&AnnualReport {
                    year: this_year,
                    ..before.clone()
                })
                .unwrap(),
            )],
        )
        .await
        .unwrap();
    assert!(location(&r).contains("error="));
    let r = w
        .post_form(
            &format!("/admin/annual-reports/{a}/{}/delete-import", y - 2),
            &[],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    assert_eq!(
        visitor
            .get(&format!("/bodies/{a}/reports/{}/report.json", y - 2))
            .await
            .status(),
        404
    );

    // A year already made in the system cannot be replaced by an import.
    let r = editor
        .post_form(
            &format!("/admin/annual-reports/{a}/{y}"),
            &[("action", "save"), ("version", "0"), ("other", "无。")],
        )
        .await;
    assert!(location(&r).contains("done="));
    let r = w
        .post_multipart(
            &format!("/admin/annual-reports/{a}/{y}/import"),
            &[],
            &[(
                "r.json",
                serde_json::to_vec(&AnnualReport {
                    year: y,
                    ..before.clone()
                })
                .unwrap(),
            )],
        )
        .await
        .unwrap();
    let to = location(&r);
    assert!(to.contains("error="), "{to}");
    let (_, html) = w.get_text(&to).await;
    assert!(html.contains("已在本系统中编制"));
}

/// `gongkai report import` and `gongkai report annual` through the binary: an earlier year's
/// report imported from our JSON, this year's written in every format, each readable, and the
/// carry-over difference reported with exit code 2.
#[test]
fn the_report_command_imports_and_writes_every_format() {
    use crate::cli::{create_body, gk, org_code, path_str};
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let code = org_code("NB000001");
    create_body(data, "年报县民政局", "部门", &code, None).expect_ok("body");
    let y = today().year() - 1;
    let mut before = AnnualReport {
        format: ar::FORMAT_2021.into(),
        body: "年报县民政局".into(),
        year: y - 1,
        sections: ar::Sections {
            problems: "信息更新不及时。".into(),
            ..Default::default()
        },
        table2: ar::Table2::default(),
        table3: ar::Table3::default(),
        table4: ar::Table4::default(),
    };
    before.table3.cells[ar::ROW_NEW] = [1, 0, 0, 0, 0, 0, 1];
    before.table3.cells[ar::ROW_OPEN] = [1, 0, 0, 0, 0, 0, 1];
    let file = data.join("上年.json");
    std::fs::write(&file, serde_json::to_vec(&before).unwrap()).unwrap();
    let last = (y - 1).to_string();
    let r = gk(
        data,
        &[
            "report",
            "import",
            path_str(&file),
            "--body",
            &code,
            "--year",
            &last,
        ],
    );
    assert!(r.status.success(), "{r:#?}");
    assert!(r.stdout.contains("已导入"), "{r:#?}");
    let this = y.to_string();
    for format in ["json", "xlsx", "docx", "html", "pdf"] {
        let out = data.join(format!("report.{format}"));
        let r = gk(
            data,
            &[
                "report",
                "annual",
                "--body",
                &code,
                "--year",
                &this,
                "--format",
                format,
                "--out",
                path_str(&out),
            ],
        );
        // Last year's report carried one case over that this year's records do not show.
        assert_eq!(r.status.code(), Some(2), "{format}: {r:#?}");
        assert!(r.stderr.contains("上年结转"), "{r:#?}");
        let bytes = std::fs::read(&out).unwrap();
        match format {
            "json" => {
                let got: AnnualReport = serde_json::from_slice(&bytes).unwrap();
                assert_eq!(got.year, y);
                assert!(got.sections.problems.contains("信息更新不及时。"));
            }
            "xlsx" => {
                let rows: Vec<Vec<String>> = gongkai_files::table::grids("r.xlsx", &bytes)
                    .unwrap()
                    .into_iter()
                    .flatten()
                    .collect();
                assert!(gongkai_reports::annual_report_from_grid(&rows).is_ok());
            }
            "docx" => assert_eq!(&bytes[..2], b"PK"),
            "html" => assert!(
                String::from_utf8(bytes)
                    .unwrap()
                    .contains("四、结转下年度继续办理")
            ),
            _ => assert_eq!(&bytes[..5], b"%PDF-"),
        }
    }
    let r = gk(
        data,
        &[
            "report", "annual", "--body", &code, "--year", &this, "--format", "odt", "--out", "x",
        ],
    );
    assert!(
        !r.status.success() && r.stderr.contains("--format"),
        "{r:#?}"
    );
}
