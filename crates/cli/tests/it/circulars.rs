//! 内部文件 (会议纪要, 内部通知) through the real server: bad input refused with the input kept,
//! recipients expanded from the chosen offices, only recipients, the sender and supervisors
//! opening it (everyone else gets 404), the first reading recorded once, reminders by hand (once a
//! day) and by the periodic pass on the right working days.

use chrono::Duration;
use gongkai_domain::access::Role;
use gongkai_domain::circulars::next_reminder;

use crate::both_backends;
use crate::credit::today;
use crate::support::{Db, TestApp, location};

both_backends!(minutes_reach_their_recipients_who_alone_open_them_and_are_reminded);

async fn minutes_reach_their_recipients_who_alone_open_them_and_are_reminded(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("office", Some(Role::Editor), t.root).await;
    let a_clerk = app.staff("a_clerk", Some(Role::Editor), t.a).await;
    let a_head = app.staff("a_head", Some(Role::Approver), t.a).await;
    let b_clerk = app.staff("b_clerk", Some(Role::Editor), t.b).await;
    app.staff("a1_clerk", Some(Role::Editor), t.a1).await;
    app.staff("admin", Some(Role::Admin), t.root).await;
    app.staff("inspector", Some(Role::Discipline), t.root).await;
    app.staff("a1_watch", Some(Role::Supervisor), t.a1).await;
    let office = app.login("office").await;
    let (a, b, root) = (t.a.to_string(), t.b.to_string(), t.root.to_string());
    let yesterday = (today() - Duration::days(1)).to_string();
    let count = || app.scalar("SELECT COUNT(*) FROM circulars");

    // Minutes without their meeting date: refused, the input shown again, nothing stored.
    let mut fields = vec![
        ("body_id", root.as_str()),
        ("kind", "minutes"),
        ("title", "第48次县政府常务会议纪要"),
        (
            "text",
            "一、研究了老旧小区改造资金安排。\n二、审议了防汛工作方案。",
        ),
        ("bodies", a.as_str()),
        ("bodies", b.as_str()),
    ];
    let r = office
        .post_multipart("/admin/circulars", &fields, &[])
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("会议纪要须填写会议日期") && page.contains("老旧小区改造资金安排"),
        "{page}"
    );
    assert_eq!(count().await, 0);
    // No recipient: refused.
    let lonely = [
        ("body_id", root.as_str()),
        ("kind", "notice"),
        ("title", "通知"),
        ("text", "请按时参会。"),
    ];
    let r = office
        .post_multipart("/admin/circulars", &lonely, &[])
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("请至少选择一个接收科室或接收人")
    );
    // An office outside the sender's subtree: refused.
    let b_sender = app.login("b_clerk").await;
    let outside = [
        ("body_id", b.as_str()),
        ("kind", "notice"),
        ("title", "通知"),
        ("text", "请按时参会。"),
        ("bodies", a.as_str()),
    ];
    let r = b_sender
        .post_multipart("/admin/circulars", &outside, &[])
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("只能发送给本机关及其下级机关")
    );
    // Nor may anyone send for a body where they do not write.
    let r = b_sender
        .post_multipart("/admin/circulars", &fields, &[])
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(count().await, 0);

    // Sent with its file to offices A and B: their staff (not A's child body's) receive it.
    fields.push(("meeting_on", yesterday.as_str()));
    let r = office
        .post_multipart(
            "/admin/circulars",
            &fields,
            &[(
                "常务会议纪要.txt",
                "会议纪要全文：防汛工作方案。".as_bytes().to_vec(),
            )],
        )
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let loc = location(&r);
    assert!(loc.ends_with("?done=sent"), "{loc}");
    let id: i64 = loc
        .trim_start_matches("/admin/circulars/")
        .trim_end_matches("?done=sent")
        .parse()
        .unwrap();
    let recipients = |id: i64| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT COUNT(*) FROM circular_receipts WHERE circular_id = {id}"
            ))
            .await
        }
    };
    assert_eq!(recipients(id).await, 3, "a_clerk, a_head, b_clerk");
    let (s, page) = office.get_text(&format!("/admin/circulars/{id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("阅读情况：0/3人已读"), "{page}");

    // Non-recipients do not see it at all: the child body's staff, an administrator, a
    // supervisor of another body; nor its file.
    for who in ["a1_clerk", "admin", "a1_watch"] {
        let c = app.login(who).await;
        assert_eq!(
            c.get_text(&format!("/admin/circulars/{id}")).await.0,
            404,
            "{who}"
        );
        assert_eq!(
            c.get(&format!("/admin/circulars/{id}/file")).await.status(),
            404
        );
        let (_, list) = c.get_text("/admin/circulars?tab=sent").await;
        assert!(!list.contains("第48次县政府常务会议纪要"), "{who}");
    }

    // A recipient sees it unread in the inbox and on the 工作台; opening it records the reading.
    let clerk = app.login("a_clerk").await;
    let (_, dash) = clerk.get_text("/admin").await;
    assert!(dash.contains("待阅 1 件"), "{dash}");
    let (_, inbox) = clerk.get_text("/admin/circulars?tab=unread").await;
    assert!(inbox.contains("第48次县政府常务会议纪要") && inbox.contains("未读"));
    let (s, page) = clerk.get_text(&format!("/admin/circulars/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("防汛工作方案") && !page.contains("阅读情况"),
        "{page}"
    );
    let read_at = |user: i64| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT COALESCE(read_at, 0) FROM circular_receipts WHERE circular_id = {id} AND user_id = {user}"
            ))
            .await
        }
    };
    let first = read_at(a_clerk).await;
    assert!(first > 0);
    // Opening it again changes nothing; the supervisor's look records nothing.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    clerk.get_text(&format!("/admin/circulars/{id}")).await;
    assert_eq!(read_at(a_clerk).await, first);
    let reads = "SELECT COUNT(*) FROM audit_log WHERE action = 'circular.read'";
    assert_eq!(app.scalar(reads).await, 1);
    let inspector = app.login("inspector").await;
    let (s, page) = inspector.get_text(&format!("/admin/circulars/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        page.contains("阅读情况：1/3人已读") && page.contains("a_clerk"),
        "{page}"
    );
    assert_eq!(app.scalar(reads).await, 1);
    // A recipient may download the file; that counts as reading it.
    let head = app.login("a_head").await;
    let f = head.get(&format!("/admin/circulars/{id}/file")).await;
    assert_eq!(f.status(), 200);
    assert!(f.text().await.unwrap().contains("会议纪要全文"));
    assert!(read_at(a_head).await > 0);
    let (_, list) = office.get_text("/admin/circulars?tab=sent").await;
    assert!(list.contains("2/3") && list.contains("1人未读"), "{list}");

    // 催阅 by hand: the sender only, once a day.
    let r = clerk
        .post_form(&format!("/admin/circulars/{id}/remind"), &[])
        .await;
    assert_eq!(r.status(), 403);
    let r = office
        .post_form(&format!("/admin/circulars/{id}/remind"), &[])
        .await;
    assert!(location(&r).ends_with("done=reminded"), "{}", location(&r));
    let r = office
        .post_form(&format!("/admin/circulars/{id}/remind"), &[])
        .await;
    assert!(location(&r).ends_with("done=none_reminded"));
    let reminders = |user: i64| {
        let app = &app;
        async move {
            app.scalar(&format!(
                "SELECT reminders FROM circular_receipts WHERE circular_id = {id} AND user_id = {user}"
            ))
            .await
        }
    };
    assert_eq!((reminders(b_clerk).await, reminders(a_clerk).await), (1, 0));
    let b_reader = app.login("b_clerk").await;
    let (_, dash) = b_reader.get_text("/admin").await;
    assert!(
        dash.contains("待阅 1 件") && dash.contains("其中1件已被催阅"),
        "{dash}"
    );

    // The periodic pass: sent ten days ago, reminded by hand then; the next reminder is on
    // the 4th working day after sending, so it is due now, once.
    let cal = app.store.load_calendar().await.unwrap();
    let sent = today() - Duration::days(10);
    app.exec(&format!(
        "UPDATE circulars SET sent_on = '{sent}' WHERE id = {id}"
    ))
    .await;
    app.exec(&format!(
        "UPDATE circular_receipts SET reminded_on = '{sent}' WHERE circular_id = {id} AND reminders > 0"
    ))
    .await;
    assert!(next_reminder(&cal, sent, 1).unwrap().unwrap() <= today());
    assert_eq!(app.store.circular_tick(&cal, today()).await.unwrap(), 1);
    assert_eq!(reminders(b_clerk).await, 2);
    assert_eq!(app.store.circular_tick(&cal, today()).await.unwrap(), 0);
    // Read receipts are never reminded.
    assert_eq!(reminders(a_clerk).await, 0);
    // The sender's page lists who has not read it.
    let (_, page) = office.get_text(&format!("/admin/circulars/{id}")).await;
    assert!(
        page.contains("阅读情况：2/3人已读") && page.contains("未读"),
        "{page}"
    );
    assert!(page.contains("2次"), "{page}");
}
