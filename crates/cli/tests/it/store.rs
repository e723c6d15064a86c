//! The repository contract suite: the same assertions on SQLite and PostgreSQL.

use gongkai_domain::access::{Actor, Grant, Permission, Role};
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::body::BodyInput;
use gongkai_store::StoreError;

use crate::both_backends;
use crate::support::{Db, PASSWORD, TestApp, body, code, fresh_store, tree};

both_backends!(
    body_tree_paths_and_moves,
    moving_a_body_under_itself_is_refused,
    duplicate_org_code_and_stale_edit_are_refused,
    audit_chain_verifies_and_exposes_tampering,
    audit_log_refuses_update_and_delete,
    concurrent_audit_appends_keep_one_chain,
    scoped_user_lists_hide_other_subtrees,
    last_root_admin_cannot_be_removed,
    duplicate_usernames_are_refused,
);

async fn body_tree_paths_and_moves(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let t = tree(&store).await;
    let a1 = store.get_body(t.a1).await.unwrap();
    assert_eq!(a1.path, format!("/{}/{}/{}/", t.root, t.a, t.a1));
    // Move A (with its child) under B: the whole subtree's paths follow.
    let a = store.get_body(t.a).await.unwrap();
    let mut f = input_of(&a);
    f.parent_id = Some(t.b);
    store
        .update_body(t.a, &f.validate().unwrap(), a.version, &Who::system())
        .await
        .unwrap();
    let a1 = store.get_body(t.a1).await.unwrap();
    assert_eq!(a1.path, format!("/{}/{}/{}/{}/", t.root, t.b, t.a, t.a1));
    // The list is in tree order: parents before children.
    let list = store.list_bodies().await.unwrap();
    let pos = |id| list.iter().position(|b| b.id == id).unwrap();
    assert!(pos(t.root) < pos(t.b) && pos(t.b) < pos(t.a) && pos(t.a) < pos(t.a1));
}

fn input_of(b: &gongkai_store::bodies::Body) -> BodyInput {
    BodyInput {
        name: b.name.clone(),
        short_name: b.short_name.clone(),
        kind: b.kind.clone(),
        org_code: b.org_code.clone(),
        parent_id: b.parent_id,
        leaders: b.leaders(),
        ..Default::default()
    }
}

async fn moving_a_body_under_itself_is_refused(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let t = tree(&store).await;
    let a = store.get_body(t.a).await.unwrap();
    for target in [t.a, t.a1] {
        let mut f = input_of(&a);
        f.parent_id = Some(target);
        let e = store
            .update_body(t.a, &f.validate().unwrap(), a.version, &Who::system())
            .await
            .unwrap_err();
        assert!(
            matches!(e, StoreError::Invalid(ref m) if m.contains("下级")),
            "{e}"
        );
    }
    // Nothing changed.
    assert_eq!(store.get_body(t.a).await.unwrap().path, a.path);
    assert_eq!(store.get_body(t.a).await.unwrap().version, a.version);
}

async fn duplicate_org_code_and_stale_edit_are_refused(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let t = tree(&store).await;
    let f = BodyInput {
        name: "重复代码的机关".into(),
        kind: "department".into(),
        org_code: code("TST00002"),
        parent_id: Some(t.root),
        ..Default::default()
    };
    let e = store
        .create_body(&f.validate().unwrap(), &Who::system())
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict(ref m) if m.contains("机构代码")),
        "{e}"
    );
    // Two administrators edit the same body: the later save is refused, the first one kept.
    let b = store.get_body(t.b).await.unwrap();
    let mut first = input_of(&b);
    first.name = "测试县乙局（第一次修改）".into();
    store
        .update_body(t.b, &first.validate().unwrap(), b.version, &Who::system())
        .await
        .unwrap();
    let mut second = input_of(&b);
    second.name = "测试县乙局（过期的修改）".into();
    let e = store
        .update_body(t.b, &second.validate().unwrap(), b.version, &Who::system())
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Conflict(_)));
    assert_eq!(
        store.get_body(t.b).await.unwrap().name,
        "测试县乙局（第一次修改）"
    );
}

async fn audit_chain_verifies_and_exposes_tampering(db: Db) {
    let app = TestApp::spawn(db).await;
    app.staff("zhang.san", Some(Role::Editor), app.tree.a).await;
    let r = app.store.verify_audit().await.unwrap().unwrap();
    assert!(
        r.checked >= 5,
        "bodies and account creation are audited: {}",
        r.checked
    );
    // A rogue administrator drops the guard and edits a row: verification names it.
    match db {
        Db::Sqlite => app.exec("DROP TRIGGER audit_log_no_update").await,
        Db::Postgres => {
            app.exec("DROP TRIGGER audit_log_no_update ON audit_log")
                .await
        }
    }
    app.exec("UPDATE audit_log SET actor_name = 'someone-else' WHERE seq = 3")
        .await;
    let b = app.store.verify_audit().await.unwrap().unwrap_err();
    assert_eq!(b.seq, 3);
}

async fn audit_log_refuses_update_and_delete(db: Db) {
    let (store, _d) = fresh_store(db).await;
    tree(&store).await;
    for sql in [
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
    ] {
        let r = match &store.backend {
            gongkai_store::Backend::Sqlite { write, .. } => {
                sqlx::query(sql).execute(write).await.map(|_| ())
            }
            gongkai_store::Backend::Postgres(p) => sqlx::query(sql).execute(p).await.map(|_| ()),
        };
        assert!(r.is_err(), "{sql} must be refused");
    }
    assert!(store.verify_audit().await.unwrap().is_ok());
}

async fn concurrent_audit_appends_keep_one_chain(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let s = store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..10 {
                s.audit(
                    AuditEvent::new("test.event", "test", format!("{i}-{j}")).who(&Who::system()),
                )
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let r = store.verify_audit().await.unwrap().unwrap();
    assert_eq!(r.checked, 80);
    assert_eq!(r.head_seq, 80);
}

async fn scoped_user_lists_hide_other_subtrees(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("in.a", Some(Role::Editor), t.a).await;
    app.staff("in.a1", Some(Role::Editor), t.a1).await;
    app.staff("in.b", Some(Role::Editor), t.b).await;
    let a_path = app.store.get_body(t.a).await.unwrap().path;
    let actor = Actor {
        user_id: 0,
        username: "x".into(),
        display_name: "x".into(),
        body_id: t.a,
        grants: vec![Grant {
            role: Role::Admin,
            body_id: t.a,
            body_path: a_path,
        }],
    };
    let names: Vec<String> = app
        .store
        .list_users(&actor.scope(Permission::ManageAccounts))
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(names.contains(&"in.a".to_string()) && names.contains(&"in.a1".to_string()));
    // An empty scope sees nothing at all.
    assert!(
        app.store
            .list_users(&Default::default())
            .await
            .unwrap()
            .is_empty()
    );
    let _ = PASSWORD;
}

async fn last_root_admin_cannot_be_removed(db: Db) {
    let app = TestApp::spawn(db).await;
    let admin = app
        .staff("root.admin", Some(Role::Admin), app.tree.root)
        .await;
    let grant = app.store.grants_of(admin).await.unwrap()[0].id;
    let e = app
        .store
        .revoke_role(grant, &Who::system())
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Invalid(ref m) if m.contains("最后一个")),
        "{e}"
    );
    let e = app
        .store
        .set_user_disabled(admin, true, &Who::system())
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)));
    assert_eq!(app.store.grants_of(admin).await.unwrap().len(), 1);
    assert!(!app.store.get_user(admin).await.unwrap().disabled);
    // With a second root administrator, the first can be removed.
    app.staff("root.admin2", Some(Role::Admin), app.tree.root)
        .await;
    app.store.revoke_role(grant, &Who::system()).await.unwrap();
}

async fn duplicate_usernames_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    app.staff("li.si", None, app.tree.a).await;
    let e = app
        .store
        .create_user(
            &gongkai_store::users::NewUser {
                body_id: app.tree.b,
                username: "li.si".into(),
                display_name: "另一个李四".into(),
                password_hash: "x".into(),
                must_change_password: true,
                roles: vec![],
            },
            &Who::system(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(e, StoreError::Conflict(ref m) if m.contains("用户名已存在")),
        "{e}"
    );
    let _ = body;
}

/// Both migration folders have the same versions, and produce the same tables and columns.
#[tokio::test]
async fn migration_folders_match() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../migrations");
    let names = |sub: &str| {
        let mut v: Vec<String> = std::fs::read_dir(format!("{dir}/{sub}"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    let (sqlite, _d) = fresh_store(Db::Sqlite).await;
    let gongkai_store::Backend::Sqlite { read, .. } = &sqlite.backend else {
        unreachable!()
    };
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%'",
    )
    .fetch_all(read)
    .await
    .unwrap();
    let mut sqlite_cols = std::collections::BTreeSet::new();
    for t in &tables {
        let cols: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{t}')"
        )))
        .fetch_all(read)
        .await
        .unwrap();
        for c in cols {
            sqlite_cols.insert(format!("{t}.{c}"));
        }
    }
    assert!(sqlite_cols.contains("audit_log.hash"));
    if crate::support::pg_url().is_none() {
        return;
    }
    let (pg, _) = fresh_store(Db::Postgres).await;
    let gongkai_store::Backend::Postgres(p) = &pg.backend else {
        unreachable!()
    };
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns \
         WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
    )
    .fetch_all(p)
    .await
    .unwrap();
    let pg_cols: std::collections::BTreeSet<String> =
        rows.into_iter().map(|(t, c)| format!("{t}.{c}")).collect();
    assert_eq!(sqlite_cols, pg_cols);
}
