//! 考核细则, 监督检查, 整改 and 责任追究 through the real server: a 纪检监督 user builds a set of
//! criteria (bad input refused with the input kept), inspects two bodies under it, fills the
//! criteria tied to the monitor from the monitor, scores the rest by hand (a deduction above the
//! criterion's points refused), sees the bodies ranked, records a finding and turns it into a
//! rectification that its owner submits and the inspector returns and then accepts; an overdue
//! rectification is recorded once and counted by the monitor; a closed inspection is frozen, a
//! used set is copied rather than edited; accountability is for 纪检监督 alone. Every refusal a
//! role must meet is tried.

use chrono::Duration;
use gongkai_domain::access::{Role, Scope};
use gongkai_domain::calendar::Calendar;
use gongkai_domain::monitor::{RuleKey, Window};
use gongkai_store::applications::BenchApplication;
use gongkai_store::monitor::MonitorDates;

use crate::both_backends;
use crate::credit::today;
use crate::support::{Db, TestApp, location};

both_backends!(an_inspection_scores_ranks_and_follows_its_rectifications);

async fn an_inspection_scores_ranks_and_follows_its_rectifications(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("inspector", Some(Role::Discipline), t.root).await;
    app.staff("watcher", Some(Role::Supervisor), t.root).await;
    app.staff("a_inspector", Some(Role::Discipline), t.a).await;
    app.staff("a_owner", Some(Role::Editor), t.a).await;
    let b_owner = app.staff("b_owner", Some(Role::Editor), t.b).await;
    let inspector = app.login("inspector").await;
    let watcher = app.login("watcher").await;
    let day = |n: i64| (today() + Duration::days(n)).to_string();
    let root = t.root.to_string();
    let year = chrono::Datelike::year(&today()).to_string();

    // A set of criteria: a blank name is refused with the input kept.
    let r = inspector
        .post_form(
            "/admin/assessment-rules",
            &[("body_id", &root), ("name", ""), ("year", &year)],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请填写考核细则名称"));
    let r = inspector
        .post_form(
            "/admin/assessment-rules",
            &[
                ("body_id", &root),
                ("name", "政务公开工作考核细则"),
                ("year", &year),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let rules_page = location(&r).split('?').next().unwrap().to_string();
    let rules_id = rules_page
        .trim_start_matches("/admin/assessment-rules/")
        .to_string();
    // Points above 100 refused, the text kept.
    let r = inspector
        .post_form(
            &rules_page,
            &[
                ("action", "add"),
                ("area", "主动公开"),
                ("text", "按时公开法定主动公开内容"),
                ("points", "200"),
                ("monitor_rule", "late_items"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("分值应为0.5至100") && page.contains("按时公开法定主动公开内容"));
    for (area, text, points, rule) in [
        ("主动公开", "按时公开法定主动公开内容", "10", "late_items"),
        (
            "依申请公开",
            "在法定期限内答复申请",
            "10",
            "late_applications",
        ),
        ("平台建设", "网站栏目及时更新", "5", ""),
    ] {
        let r = inspector
            .post_form(
                &rules_page,
                &[
                    ("action", "add"),
                    ("area", area),
                    ("text", text),
                    ("points", points),
                    ("deduction", "每发现一处扣0.5分"),
                    ("monitor_rule", rule),
                ],
            )
            .await;
        assert_eq!(r.status(), 303, "{text}");
    }
    // A 监督员 reads the set but changes nothing.
    let (s, page) = watcher.get_text(&rules_page).await;
    assert_eq!(s, 200);
    assert!(page.contains("网站栏目及时更新") && page.contains("总分25分"));
    let r = watcher
        .post_form(&rules_page, &[("action", "remove"), ("criterion_id", "1")])
        .await;
    assert_eq!(r.status(), 403);
    let crit = |text: &'static str| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT id FROM assessment_criteria WHERE text = '{text}'"
            ))
            .await
        }
    };
    let (c1, c2, c3) = (
        crit("按时公开法定主动公开内容").await,
        crit("在法定期限内答复申请").await,
        crit("网站栏目及时更新").await,
    );

    // A late application of A in the period, for the monitor.
    app.store
        .bench_insert_applications_rows(&[BenchApplication {
            body_id: t.a,
            number: "INS-LATE".into(),
            received_on: day(-40),
            status: "replied".into(),
            due_on: Some(day(-10)),
            applicant_type: "natural".into(),
            reply_type: Some("disclosed".into()),
            replied_on: Some(day(-5)),
        }])
        .await
        .unwrap();

    // Opening an inspection: without bodies refused with the title kept; A's inspector may not
    // reach B.
    let (a, b) = (t.a.to_string(), t.b.to_string());
    let (from, to) = (day(-60), day(-1));
    let mut open = vec![
        ("body_id", root.as_str()),
        ("rules_id", rules_id.as_str()),
        ("title", "第三季度政务公开专项检查"),
        ("supervision", "discipline"),
        ("kind", "online"),
        ("from_on", from.as_str()),
        ("to_on", to.as_str()),
    ];
    let r = inspector.post_form("/admin/inspections", &open).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("请至少选择一个被检查单位") && page.contains("第三季度政务公开专项检查"));
    let a_inspector = app.login("a_inspector").await;
    let mut reach = open.clone();
    reach[0].1 = a.as_str();
    reach.push(("bodies", b.as_str()));
    let r = a_inspector.post_form("/admin/inspections", &reach).await;
    assert_eq!(r.status(), 422, "a set of the county is not A's either");
    assert_eq!(
        watcher
            .post_form("/admin/inspections", &open)
            .await
            .status(),
        403
    );
    open.push(("bodies", a.as_str()));
    open.push(("bodies", b.as_str()));
    let r = inspector.post_form("/admin/inspections", &open).await;
    assert_eq!(r.status(), 303);
    let ins = location(&r).split('?').next().unwrap().to_string();
    let ins_id: i64 = ins
        .trim_start_matches("/admin/inspections/")
        .parse()
        .unwrap();

    // From the monitor: A's late application leaves 80% of the rule, 8 of 10 points.
    assert_eq!(
        inspector
            .post_form(&ins, &[("action", "fill")])
            .await
            .status(),
        303
    );
    let deducted = |body: i64, c: i64| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT deducted FROM inspection_scores WHERE inspection_id = {ins_id} AND body_id = {body} AND criterion_id = {c}"
            ))
            .await
        }
    };
    assert_eq!(deducted(t.a, c2).await, 20);
    assert_eq!(deducted(t.a, c1).await, 0);
    assert_eq!(deducted(t.b, c2).await, 0);
    // By hand: more than the criterion's points refused, the input kept.
    let b_page = format!("{ins}/bodies/{}", t.b);
    let (d3, n3) = (format!("d{c3}"), format!("n{c3}"));
    let r = inspector
        .post_form(
            &b_page,
            &[
                ("action", "scores"),
                (&d3, "6"),
                (&n3, "三个栏目超过半年未更新"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("扣分不能超过该项分值5分") && page.contains("三个栏目超过半年未更新"));
    let r = inspector
        .post_form(
            &b_page,
            &[
                ("action", "scores"),
                (&d3, "2.5"),
                (&n3, "三个栏目超过半年未更新"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    // Ranked: A 23, B 22.5.
    let (_, page) = watcher.get_text(&ins).await;
    let a_at = page.find("测试县甲局").unwrap();
    let b_at = page.find("测试县乙局").unwrap();
    assert!(
        a_at < b_at && page.contains(">23<") && page.contains(">22.5<"),
        "{page}"
    );

    // A finding becomes a rectification: a deadline in the past, or an owner of another body,
    // refused; once only.
    let r = inspector
        .post_form(
            &b_page,
            &[
                ("action", "finding"),
                ("criterion_id", &c3.to_string()),
                ("text", "政策解读栏目超过6个月未更新"),
                ("evidence", "/bodies/4/catalogue\n现场截图已存档"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let finding = app
        .scalar("SELECT id FROM inspection_findings WHERE text = '政策解读栏目超过6个月未更新'")
        .await
        .to_string();
    let a_owner_id = app
        .scalar("SELECT id FROM users WHERE username = 'a_owner'")
        .await
        .to_string();
    let (past, due) = (day(-1), day(10));
    let owner = b_owner.to_string();
    for (who, when, msg) in [
        (owner.as_str(), past.as_str(), "整改期限不能早于今天"),
        (
            a_owner_id.as_str(),
            due.as_str(),
            "整改责任人应为被检查单位的工作人员",
        ),
    ] {
        let r = inspector
            .post_form(
                &b_page,
                &[
                    ("action", "rectify"),
                    ("finding_id", &finding),
                    ("owner_id", who),
                    ("due_on", when),
                ],
            )
            .await;
        assert_eq!(r.status(), 422);
        assert!(r.text().await.unwrap().contains(msg), "{msg}");
    }
    let rectify = [
        ("action", "rectify"),
        ("finding_id", finding.as_str()),
        ("owner_id", owner.as_str()),
        ("due_on", due.as_str()),
    ];
    assert_eq!(inspector.post_form(&b_page, &rectify).await.status(), 303);
    let r = inspector.post_form(&b_page, &rectify).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已经交办整改"));
    let rect = app.scalar("SELECT id FROM rectifications").await;
    let rect_page = format!("/admin/rectifications/{rect}");

    // The owner sees it and submits (not empty); A's editor does not see it at all.
    let b = app.login("b_owner").await;
    let (_, list) = b.get_text("/admin/rectifications").await;
    assert!(list.contains("政策解读栏目超过6个月未更新"));
    let a_owner = app.login("a_owner").await;
    assert_eq!(a_owner.get_text(&rect_page).await.0, 404);
    let r = b
        .post_form(
            &rect_page,
            &[("action", "submit"), ("text", " "), ("version", "1")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("请说明整改情况"));
    let submit = [
        ("action", "submit"),
        ("text", "已更新政策解读栏目，补发3篇解读。"),
        ("version", "1"),
    ];
    assert_eq!(b.post_form(&rect_page, &submit).await.status(), 303);
    // The owner may not accept; the inspector returns with a reason (none refused).
    assert_eq!(
        b.post_form(&rect_page, &[("action", "accept"), ("version", "2")])
            .await
            .status(),
        403
    );
    let r = inspector
        .post_form(
            &rect_page,
            &[("action", "return"), ("text", ""), ("version", "2")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        inspector
            .post_form(
                &rect_page,
                &[
                    ("action", "return"),
                    ("text", "解读未附原文链接"),
                    ("version", "2")
                ]
            )
            .await
            .status(),
        303
    );
    let mut again = submit;
    again[2].1 = "3";
    assert_eq!(b.post_form(&rect_page, &again).await.status(), 303);
    // A page showing an older version cannot accept.
    let r = inspector
        .post_form(&rect_page, &[("action", "accept"), ("version", "3")])
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(
        inspector
            .post_form(
                &rect_page,
                &[("action", "accept"), ("text", "整改到位"), ("version", "4")]
            )
            .await
            .status(),
        303
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM rectifications WHERE id = {rect} AND status = 'accepted'"
        ))
        .await,
        1
    );

    // An overdue rectification of A: recorded once, counted by the monitor.
    let a_page = format!("{ins}/bodies/{}", t.a);
    assert_eq!(
        inspector
            .post_form(&a_page, &[("action", "finding"), ("text", "申请答复超期")])
            .await
            .status(),
        303
    );
    let f2 = app
        .scalar("SELECT id FROM inspection_findings WHERE text = '申请答复超期'")
        .await
        .to_string();
    assert_eq!(
        inspector
            .post_form(
                &a_page,
                &[
                    ("action", "rectify"),
                    ("finding_id", &f2),
                    ("owner_id", &a_owner_id),
                    ("due_on", &due)
                ]
            )
            .await
            .status(),
        303
    );
    let overdue_on = today() - Duration::days(3);
    app.exec(&format!(
        "UPDATE rectifications SET due_on = '{overdue_on}' WHERE finding_id = {f2}"
    ))
    .await;
    assert_eq!(app.store.escalate_rectifications(today()).await.unwrap(), 1);
    assert_eq!(app.store.escalate_rectifications(today()).await.unwrap(), 0);
    let window = Window::new(today() - Duration::days(30), today(), today()).unwrap();
    let dates = MonitorDates {
        window,
        unread_sent_by: window
            .unread_sent_by(&Calendar::builtin())
            .unwrap_or(window.from),
    };
    let root_path = app.store.get_body(t.root).await.unwrap().path;
    let counts = app
        .store
        .monitor_counts(&Scope::subtree(&root_path), &dates)
        .await
        .unwrap();
    assert_eq!(counts[&t.a].get(RuleKey::OverdueRectifications), 1);

    // Closed: frozen. The set, now used, is copied rather than edited.
    assert_eq!(
        inspector
            .post_form(&ins, &[("action", "close")])
            .await
            .status(),
        303
    );
    let r = inspector
        .post_form(&b_page, &[("action", "scores"), (&d3, "1")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("检查已结束"));
    let r = inspector
        .post_form(
            &rules_page,
            &[
                ("action", "add"),
                ("area", "其他"),
                ("text", "新增内容"),
                ("points", "1"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已用于检查"));
    let next = (chrono::Datelike::year(&today()) + 1).to_string();
    let r = inspector
        .post_form(&rules_page, &[("action", "copy"), ("year", &next)])
        .await;
    assert_eq!(r.status(), 303);
    let copy = location(&r).split('?').next().unwrap().to_string();
    let (_, page) = inspector.get_text(&copy).await;
    assert!(
        page.contains(&format!("{next}年度"))
            && page.contains("网站栏目及时更新")
            && page.contains("增加考核内容")
    );

    // 年度评比表彰: the closed inspection's results roll into the year-end scores; the list is
    // confirmed once, by 纪检监督 only.
    let ins_year = chrono::Datelike::year(&(today() - Duration::days(1))).to_string();
    let eval = format!("/admin/evaluations?year={ins_year}&body={}", t.root);
    let (s, page) = watcher.get_text(&eval).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("92%（1次）") && page.contains("90%（1次）"),
        "{page}"
    );
    assert!(!page.contains("确认表彰名单"));
    let confirm = [
        ("year", ins_year.as_str()),
        ("body", root.as_str()),
        ("commend", a.as_str()),
    ];
    assert_eq!(
        watcher
            .post_form("/admin/evaluations", &confirm)
            .await
            .status(),
        403
    );
    assert_eq!(
        inspector
            .post_form("/admin/evaluations", &confirm)
            .await
            .status(),
        303
    );
    let r = inspector.post_form("/admin/evaluations", &confirm).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("表彰名单已经确认"));
    let (_, page) = watcher.get_text(&eval).await;
    assert!(page.contains("已确认的表彰名单") && page.contains("<li>测试县甲局（"));

    // 责任追究: recorded by 纪检监督, hidden from others.
    let decided = day(-2);
    let r = inspector
        .post_form(
            "/admin/accountability",
            &[
                ("body_id", &t.b.to_string()),
                ("person", "乙局信息员王某"),
                ("what", "政策解读栏目长期未更新，经督促仍未整改"),
                ("basis", "《政府信息公开条例》第五十三条"),
                ("decision", "通报批评"),
                ("decided_on", &decided),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = inspector
        .post_form(
            "/admin/accountability",
            &[
                ("body_id", &t.b.to_string()),
                ("person", ""),
                ("decided_on", &decided),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(watcher.get_text("/admin/accountability").await.0, 403);
    assert_eq!(b.get_text("/admin/accountability").await.0, 403);
    let year_now = chrono::Datelike::year(&(today() - Duration::days(2)));
    assert_eq!(
        app.store.accountability_count(t.b, year_now).await.unwrap(),
        1
    );
    // The annual report's 监督保障 paragraph quotes the year's supervision of B.
    let sup = app.store.supervision_year(t.b, year_now).await.unwrap();
    assert_eq!((sup.accountability, sup.rectifications_opened), (1, 1));
    assert!(sup.findings >= 1);
    let (s, page) = watcher
        .get_text(&format!("/admin/annual-reports/{}/{year_now}", t.b))
        .await;
    assert_eq!(s, 200);
    assert!(
        page.contains("因政务公开工作实施责任追究1人次"),
        "the draft's 监督保障 paragraph"
    );
}
