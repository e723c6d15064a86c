//! 重点工作 and 承诺事项 through the real server: bad input refused with the input kept, steps with
//! owners of the subtree only, progress reported by a step's owner (not by others), closing held
//! until every step is done, a commitment public only once published (page, list, feed, sitemap,
//! search document, SVG flow chart), overdue steps recorded once and shown to the owner and the
//! body's supervisors.

use chrono::Duration;
use gongkai_domain::access::Role;
use gongkai_store::search::COMMITMENT_DOC_BASE;

use crate::both_backends;
use crate::credit::today;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(a_commitment_is_broken_into_steps_tracked_published_and_closed);

async fn a_commitment_is_broken_into_steps_tracked_published_and_closed(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("planner", Some(Role::Editor), t.root).await;
    app.staff("leader", Some(Role::Approver), t.root).await;
    let a_clerk = app.staff("a_clerk", Some(Role::Editor), t.a).await;
    let b_clerk = app.staff("b_clerk", Some(Role::LetterHandler), t.b).await;
    app.staff("a1_editor", Some(Role::Editor), t.a1).await;
    let planner = app.login("planner").await;
    let anon = Browser::new(&app);
    let day = |n: i64| (today() + Duration::days(n)).to_string();
    let root = t.root.to_string();

    // A deadline in the past: refused, the input kept.
    let (d_past, d_due) = (day(-1), day(30));
    let mut work = vec![
        ("body_id", root.as_str()),
        ("kind", "commitment"),
        ("title", "东门社区老旧住宅加装电梯"),
        ("summary", "为东门社区3栋老旧住宅加装电梯，方便老年人出行。"),
        ("due_on", d_past.as_str()),
    ];
    let r = planner.post_form("/admin/works", &work).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("完成期限不能早于今天") && page.contains("东门社区3栋老旧住宅"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM works").await, 0);
    work[4].1 = d_due.as_str();
    let r = planner.post_form("/admin/works", &work).await;
    assert_eq!(r.status(), 303);
    let id: i64 = location(&r)
        .trim_start_matches("/admin/works/")
        .trim_end_matches("?done=saved")
        .parse()
        .unwrap();
    // Unpublished: not on the portal.
    assert_eq!(anon.get_text(&format!("/commitments/{id}")).await.0, 404);
    assert_eq!(
        anon.get(&format!("/commitments/{id}/chart.svg"))
            .await
            .status(),
        404
    );

    // Steps: one after the work's deadline is refused, the input kept.
    let steps = format!("/admin/works/{id}/steps");
    let (a, b) = (t.a.to_string(), t.b.to_string());
    let (a_owner, b_owner) = (a_clerk.to_string(), b_clerk.to_string());
    let (d5, d20, d40) = (day(5), day(20), day(40));
    let late = [
        ("stage", "1"),
        ("title", "入户征求居民意愿"),
        ("owner_id", a_owner.as_str()),
        ("body_id", a.as_str()),
        ("due_on", d40.as_str()),
    ];
    let r = planner.post_form(&steps, &late).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("环节期限不能晚于工作的完成期限") && page.contains("入户征求居民意愿"));
    let mut first = late;
    first[4].1 = d5.as_str();
    assert_eq!(planner.post_form(&steps, &first).await.status(), 303);
    let second = [
        ("stage", "2"),
        ("title", "施工安装"),
        ("owner_id", b_owner.as_str()),
        ("body_id", b.as_str()),
        ("due_on", d20.as_str()),
    ];
    assert_eq!(planner.post_form(&steps, &second).await.status(), 303);
    let step_id = |title: &'static str| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT id FROM work_steps WHERE work_id = {id} AND title = '{title}'"
            ))
            .await
        }
    };
    let (s1, s2) = (step_id("入户征求居民意愿").await, step_id("施工安装").await);

    // An editor of a child body cannot see it, nor give a step to someone outside its subtree.
    let a1 = app.login("a1_editor").await;
    assert_eq!(a1.get_text(&format!("/admin/works/{id}")).await.0, 404);
    let a1_body = t.a1.to_string();
    let own = [
        ("body_id", a1_body.as_str()),
        ("kind", "key_work"),
        ("title", "中心机房改造"),
        ("summary", "更换空调和不间断电源。"),
        ("due_on", d_due.as_str()),
    ];
    let r = a1.post_form("/admin/works", &own).await;
    let own_id = location(&r)
        .trim_start_matches("/admin/works/")
        .trim_end_matches("?done=saved")
        .to_string();
    let outsider = [
        ("stage", "1"),
        ("title", "采购"),
        ("owner_id", b_owner.as_str()),
        ("body_id", a1_body.as_str()),
        ("due_on", d5.as_str()),
    ];
    let r = a1
        .post_form(&format!("/admin/works/{own_id}/steps"), &outsider)
        .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("责任人须是本机关或其下级机关在用的账号")
    );
    // A 重点工作 is never public.
    let r = a1
        .post_form(&format!("/admin/works/{own_id}/publish"), &[])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("只有承诺事项可以公开"));

    // A step's owner sees the work and reports on that step only; status and progress agree.
    let bc = app.login("b_clerk").await;
    let (s, page) = bc.get_text(&format!("/admin/works/{id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("报告进展：第2步 施工安装") && !page.contains("报告进展：第1步"));
    assert!(
        !page.contains("增加环节"),
        "the owner does not edit the work"
    );
    let report = |step: i64| format!("/admin/works/{id}/steps/{step}/progress");
    let r = bc
        .post_form(
            &report(s1),
            &[("status", "done"), ("progress", "100"), ("note", "完成")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(bc.post_form(&steps, &second).await.status(), 403);
    let ac = app.login("a_clerk").await;
    let r = ac
        .post_form(
            &report(s1),
            &[
                ("status", "done"),
                ("progress", "90"),
                ("note", "已入户走访42户"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("已完成的环节进度应为100%") && page.contains("已入户走访42户"));
    let r = ac
        .post_form(
            &report(s1),
            &[
                ("status", "done"),
                ("progress", "100"),
                ("note", "已入户走访42户，同意率92%。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = bc
        .post_form(
            &report(s2),
            &[
                ("status", "in_progress"),
                ("progress", "40"),
                ("note", "井道施工中。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);

    // Closing waits for every step.
    let r = planner
        .post_form(
            &format!("/admin/works/{id}/close"),
            &[("result", "3部电梯投入使用。")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("环节“施工安装”推进中") && page.contains("3部电梯投入使用。"));

    // Published: page, list, feed, sitemap, chart, search document.
    let r = planner
        .post_form(&format!("/admin/works/{id}/publish"), &[])
        .await;
    assert!(location(&r).ends_with("done=published"));
    let public = format!("/commitments/{id}");
    let (s, page) = anon.get_text(&public).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("东门社区老旧住宅加装电梯")
            && page.contains("总体进度")
            && page.contains("70%")
            && page.contains("井道施工中。")
            && page.contains("<svg"),
        "{page}"
    );
    for (path, what) in [
        ("/commitments", public.clone()),
        ("/feeds/commitments.atom", public.clone()),
        ("/sitemap-pages.xml", format!("{public}</loc>")),
    ] {
        let (_, text) = anon.get_text(path).await;
        assert!(text.contains(&what), "{path}: {text}");
    }
    let svg = anon.get(&format!("{public}/chart.svg")).await;
    assert_eq!(
        svg.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml; charset=utf-8"
    );
    let svg = svg.text().await.unwrap();
    assert_eq!(svg.matches("<g class=\"step").count(), 2);
    assert!(svg.contains("第1步") && svg.contains("第2步") && !svg.contains("已超期"));
    let docs = app
        .store
        .search_docs(&[COMMITMENT_DOC_BASE + id])
        .await
        .unwrap();
    assert_eq!(docs.len(), 1);
    assert_eq!(docs[0].href(), public);
    assert!(docs[0].body_md.contains("施工安装"));
    assert!(
        app.scalar("SELECT COUNT(*) FROM change_log WHERE entity = 'commitment'")
            .await
            > 0
    );

    // Overdue: recorded once; shown to the owner and the body's supervisors, and in public.
    app.exec(&format!(
        "UPDATE work_steps SET due_on = '{}' WHERE id = {s2}",
        day(-1)
    ))
    .await;
    assert_eq!(app.store.works_tick(today()).await.unwrap(), 1);
    assert_eq!(app.store.works_tick(today()).await.unwrap(), 0);
    let (_, dash) = bc.get_text("/admin").await;
    assert!(dash.contains("我负责的超期环节 1 个"), "{dash}");
    let leader = app.login("leader").await;
    let (_, dash) = leader.get_text("/admin").await;
    assert!(dash.contains("督办的超期环节 1 个"), "{dash}");
    let (_, page) = anon.get_text(&public).await;
    assert!(page.contains("已超期"));
    let (_, svg) = anon.get_text(&format!("{public}/chart.svg")).await;
    assert_eq!(svg.matches("class=\"step overdue\"").count(), 1);

    // Done and closed; then nothing more changes.
    let r = bc
        .post_form(
            &report(s2),
            &[
                ("status", "done"),
                ("progress", "100"),
                ("note", "3部电梯通过验收。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = planner
        .post_form(
            &format!("/admin/works/{id}/close"),
            &[("result", "3部电梯投入使用。")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, page) = anon.get_text(&public).await;
    assert!(
        page.contains("办理结果") && page.contains("3部电梯投入使用。") && !page.contains("已超期")
    );
    let r = bc
        .post_form(
            &report(s2),
            &[("status", "done"), ("progress", "100"), ("note", "补充")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("该工作已完成"));
    let (_, list) = anon.get_text("/commitments").await;
    assert!(list.contains("已办结（1）"), "{list}");
}
