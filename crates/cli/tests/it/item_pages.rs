//! The item page kept as one row (`item_pages`): every change that shows on a page shows at
//! once, through the row, on both backends; a row that is missing, of another shape or older
//! than its item is never shown; the row and the statement over the tables agree.

use gongkai_domain::access::Role;
use gongkai_domain::disclosure::{ItemInput, Step, Validity};
use gongkai_store::disclosure::StepInput;
use gongkai_store::item_page::{ItemPageData, PAGE_FMT};

use crate::both_backends;
use crate::disclosure::Desk;
use crate::support::{Db, TestApp};

both_backends!(
    page_changes_show_at_once_through_the_row,
    rows_not_current_are_not_used_and_are_refilled,
);

fn input(title: &str, related: &str) -> ItemInput {
    ItemInput {
        title: title.into(),
        formed_on: "2025-04-01".into(),
        scope: "public".into(),
        body_md: format!("{title}的正文。"),
        related: related.into(),
        ..Default::default()
    }
}

/// Revise published item `id` to `input` and publish the revision.
async fn revise(desk: &Desk<'_>, id: i64, input: ItemInput) {
    let store = &desk.app.store;
    let vid = store
        .revise_item(
            id,
            &desk.actor(desk.editor, Role::Editor),
            &desk.who(desk.editor),
        )
        .await
        .unwrap();
    let v = store.get_version(vid).await.unwrap();
    let f = input
        .validate(chrono::NaiveDate::from_ymd_opt(2025, 6, 1).unwrap())
        .unwrap();
    store
        .update_draft(vid, &f, v.updated_at, None, &desk.who(desk.editor))
        .await
        .unwrap();
    desk.step(vid, Step::Submit, &StepInput::default()).await;
    desk.step(
        vid,
        Step::ReviewPass(gongkai_domain::disclosure::Conclusion::Disclose),
        &StepInput::default(),
    )
    .await;
    desk.step(
        vid,
        Step::Approve { scheduled: false },
        &StepInput::default(),
    )
    .await;
}

/// Is the page of `id` served from a current row (not computed from the tables)?
async fn row_is_current(app: &TestApp, id: i64) -> bool {
    app.scalar(&format!(
        "SELECT COUNT(*) FROM item_pages p JOIN items i ON i.id = p.item_id \
         WHERE p.item_id = {id} AND p.fmt = {PAGE_FMT} AND p.item_version = i.version"
    ))
    .await
        == 1
}

/// The page of `id` as the row gives it and as the tables give it: the same in every field.
async fn page_agrees(app: &TestApp, id: i64) -> ItemPageData {
    assert!(
        row_is_current(app, id).await,
        "item {id} has a current page row"
    );
    let from_row = app.store.item_page(id).await.unwrap();
    app.exec(&format!(
        "UPDATE item_pages SET fmt = {} WHERE item_id = {id}",
        PAGE_FMT + 100
    ))
    .await;
    let from_tables = app.store.item_page(id).await.unwrap();
    app.exec(&format!(
        "UPDATE item_pages SET fmt = {PAGE_FMT} WHERE item_id = {id}"
    ))
    .await;
    assert_eq!(format!("{from_row:?}"), format!("{from_tables:?}"));
    from_row
}

fn related_titles(p: &ItemPageData) -> Vec<String> {
    p.related.iter().map(|r| r.title.clone()).collect()
}

async fn page_changes_show_at_once_through_the_row(db: Db) {
    let app = TestApp::spawn(db).await;
    let desk = Desk::new(&app).await;
    // A file and its 解读, linked from the 解读.
    let (file, _) = desk
        .publish_input(input("关于调整公交线路的通知", ""))
        .await;
    let (reading, _) = desk
        .publish_input(input("《关于调整公交线路的通知》解读", &file.to_string()))
        .await;
    let p = page_agrees(&app, file).await;
    assert_eq!(related_titles(&p), vec!["《关于调整公交线路的通知》解读"]);
    assert_eq!(p.versions.len(), 1);
    assert!(p.receipt().is_some());
    let p = page_agrees(&app, reading).await;
    assert_eq!(related_titles(&p), vec!["关于调整公交线路的通知"]);

    // The 解读 is revised with a new title: the file's page names it so at once.
    revise(
        &desk,
        reading,
        input(
            "《关于调整公交线路的通知》政策解读（修订）",
            &file.to_string(),
        ),
    )
    .await;
    let p = page_agrees(&app, file).await;
    assert_eq!(
        related_titles(&p),
        vec!["《关于调整公交线路的通知》政策解读（修订）"]
    );
    let r = page_agrees(&app, reading).await;
    assert_eq!(r.versions.len(), 2, "both versions are listed");
    assert_eq!(
        r.version.as_ref().unwrap().title,
        "《关于调整公交线路的通知》政策解读（修订）"
    );

    // The body is renamed: the related lists that name it follow.
    let body = app.store.get_body(desk.body).await.unwrap();
    let f = gongkai_domain::body::BodyInput {
        name: "测试县甲局（更名后）".into(),
        short_name: body.short_name.clone(),
        kind: body.kind.clone(),
        org_code: body.org_code.clone(),
        parent_id: body.parent_id,
        leaders: body.leaders(),
        ..Default::default()
    };
    app.store
        .update_body(
            desk.body,
            &f.validate().unwrap(),
            body.version,
            &gongkai_domain::audit::Who::system(),
        )
        .await
        .unwrap();
    let p = page_agrees(&app, file).await;
    assert_eq!(p.body_name, "测试县甲局（更名后）");
    assert_eq!(p.related[0].body_name, "测试县甲局（更名后）");

    // A revision drops the link: the file's page loses the 解读 at once.
    revise(
        &desk,
        reading,
        input("《关于调整公交线路的通知》解读（独立）", ""),
    )
    .await;
    assert!(page_agrees(&app, file).await.related.is_empty());
    assert!(page_agrees(&app, reading).await.related.is_empty());

    // Repealed and replaced by a newer file: the old page names it; renaming the new one by a
    // revision renames it there too.
    let (newer, _) = desk
        .publish_input(input("关于调整公交线路的新通知", ""))
        .await;
    app.store
        .set_validity(
            file,
            Validity::Repealed,
            chrono::NaiveDate::from_ymd_opt(2025, 5, 1),
            Some(newer),
            &desk.actor(desk.editor, Role::Editor),
            &desk.who(desk.editor),
        )
        .await
        .unwrap();
    let p = page_agrees(&app, file).await;
    assert_eq!(p.item.validity, "repealed");
    assert_eq!(
        p.replaced_by.as_ref().unwrap().title,
        "关于调整公交线路的新通知"
    );
    revise(&desk, newer, input("关于调整公交线路的新通知（修订）", "")).await;
    let p = page_agrees(&app, file).await;
    assert_eq!(
        p.replaced_by.as_ref().unwrap().title,
        "关于调整公交线路的新通知（修订）"
    );

    // Withdrawn: the page keeps only the notice, and the public page says so.
    app.store
        .withdraw_item(
            newer,
            "内容有误",
            &desk.actor(desk.approver, Role::Approver),
            &desk.who(desk.approver),
        )
        .await
        .unwrap();
    let p = page_agrees(&app, newer).await;
    assert_eq!(p.item.status, "withdrawn");
    assert!(p.version.is_none());
    assert!(p.withdrawal().is_some());
    let (_, html) = crate::support::Browser::new(&app)
        .get_text(&format!("/items/{newer}"))
        .await;
    assert!(html.contains("内容有误"), "{html}");

    // An unpublished draft has no row (it has no public page).
    let (draft, _) = desk.draft("尚未发布的草稿", "public", "草稿正文").await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM item_pages WHERE item_id = {draft}"
        ))
        .await,
        0
    );
}

async fn rows_not_current_are_not_used_and_are_refilled(db: Db) {
    let app = TestApp::spawn(db).await;
    let desk = Desk::new(&app).await;
    let (a, _) = desk.publish_input(input("城区供水管网改造公告", "")).await;
    let (b, _) = desk
        .publish_input(input("城区供水管网改造公告解读", &a.to_string()))
        .await;
    let good = page_agrees(&app, a).await;
    let bogus = |fmt: i64, version: &str| {
        format!(
            "UPDATE item_pages SET fmt = {fmt}, item_version = {version}, \
             data = '{{\"attachments\":[],\"versions\":[],\"related\":[],\"replaced\":[],\"ledger\":[],\"version\":[]}}' \
             WHERE item_id = {a}"
        )
    };
    // A row of another shape, and a row older than its item, are not shown.
    for sql in [
        bogus(PAGE_FMT + 1, "item_version"),
        bogus(PAGE_FMT, "item_version - 1"),
    ] {
        app.exec(&sql).await;
        let p = app.store.item_page(a).await.unwrap();
        assert_eq!(format!("{p:?}"), format!("{good:?}"));
        assert!(!row_is_current(&app, a).await);
    }
    // Without any rows (a site upgraded in place) every page is computed from the tables, and
    // the pass that `serve` runs after start-up writes them all again, identical.
    app.exec("DELETE FROM item_pages").await;
    assert_eq!(
        format!("{:?}", app.store.item_page(a).await.unwrap()),
        format!("{good:?}")
    );
    assert_eq!(app.store.fill_all_item_pages(1).await.unwrap(), 2);
    assert_eq!(page_agrees(&app, a).await.related[0].id, b);
    assert_eq!(
        format!("{:?}", app.store.item_page(a).await.unwrap()),
        format!("{good:?}")
    );
    // A second pass finds nothing to do; a row of another shape is rewritten.
    assert_eq!(app.store.fill_all_item_pages(100).await.unwrap(), 0);
    app.exec(&bogus(PAGE_FMT + 1, "item_version")).await;
    assert_eq!(app.store.fill_all_item_pages(100).await.unwrap(), 1);
    assert!(row_is_current(&app, a).await);
    assert_eq!(
        format!("{:?}", app.store.item_page(a).await.unwrap()),
        format!("{good:?}")
    );
}
