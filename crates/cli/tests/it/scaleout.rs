//! Scale-out: two `gongkai serve` processes on different ports, sharing one PostgreSQL database
//! and one attachment store, behave as one site.

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::api::{Api, issue};
use crate::cli::{Server, command};
use crate::support::{Browser, pg_url};

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Submit, review (disclose) and approve the working version behind `steps`, as the editor,
/// reviewer and approver tokens.
async fn publish(steps: &str, [ed, rv, ap]: [&Api; 3]) {
    for (api, step) in [
        (ed, json!({"step": "submit"})),
        (rv, json!({"step": "review", "conclusion": "disclose"})),
        (ap, json!({"step": "approve"})),
    ] {
        let (s, j) = api.post(steps, step).await;
        assert_eq!(s, 200, "{j}");
    }
}

/// A new, empty database on the test server; returns its URL.
async fn fresh_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!(
        "gk_scale_{}",
        gongkai_web::auth::random_token()
            .to_lowercase()
            .replace(['-', '_'], "")
            .get(..12)
            .unwrap()
    );
    let mut c = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut c)
        .await
        .unwrap();
    let base = admin_url.rsplit_once('/').unwrap().0;
    format!("{base}/{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_behave_as_one_site() {
    let Some(admin_url) = pg_url() else {
        eprintln!("GONGKAI_TEST_POSTGRES not set: scale-out test skipped");
        return;
    };
    let url = fresh_database(&admin_url).await;
    let tmp = tempfile::tempdir().unwrap();
    let (d1, d2, files) = (
        tmp.path().join("one"),
        tmp.path().join("two"),
        tmp.path().join("shared-attachments"),
    );
    let files_s = files.to_string_lossy().to_string();
    let env = [
        ("GONGKAI__DATABASE__URL", url.as_str()),
        ("GONGKAI__ATTACHMENTS__DIR", files_s.as_str()),
        ("GONGKAI__SECURITY__PROFILE", "asvs"),
        ("GONGKAI__SEARCH__FOLLOW_INTERVAL_MS", "250"),
    ];
    // Start an instance on `data` (blocking: it waits for the banner and a health check).
    let start = |data: std::path::PathBuf, demo: bool| {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        tokio::task::spawn_blocking(move || {
            let e: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            Server::start_with(&data, demo, &e)
        })
    };
    let s1 = start(d1.clone(), true).await.unwrap();
    // The second instance has its own data folder (and search index) but the site's keys.
    std::fs::create_dir_all(&d2).unwrap();
    for k in ["ledger.key", "secrets.key", "report.key"] {
        std::fs::copy(d1.join(k), d2.join(k)).unwrap();
    }
    let s2 = start(d2.clone(), false).await.unwrap();
    let (b1, b2) = (s1.url(""), s2.url(""));
    assert_ne!(b1, b2);

    // An administrator, created from the command line against the shared database.
    let bodies: serde_json::Value = crate::support::http_client()
        .get(format!("{b1}/api/v1/bodies"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let root = bodies["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["parent_id"].is_null())
        .unwrap()
        .clone();
    let root_id = root["id"].as_i64().unwrap();
    let password = "Scale#Out-Pass9";
    let mut c = command(&[
        "--data",
        d1.to_str().unwrap(),
        "admin",
        "create-user",
        "--body",
        root["org_code"].as_str().unwrap(),
        "--username",
        "scale.admin",
        "--display-name",
        "扩容测试管理员",
        "--role",
        "管理员",
    ]);
    for (k, v) in env {
        c.env(k, v);
    }
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{password}\n").as_bytes())
            .unwrap();
    }
    assert!(child.wait().unwrap().success());

    // Signed in through one instance, the session works on the other.
    let one = Browser {
        client: crate::support::http_client_builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: b1.clone(),
        csrf: std::sync::Mutex::new(None),
    };
    let r = one.login_password("scale.admin", password).await;
    assert_eq!(r.status(), 303, "sign-in on the first instance");
    let two = Browser {
        client: one.client.clone(),
        base: b2.clone(),
        csrf: std::sync::Mutex::new(None),
    };
    let (s, page) = two.get_text("/admin").await;
    assert_eq!(s, 200, "the session is valid on the second instance");
    assert!(page.contains("扩容测试管理员"));

    // Publish an item with an attachment through the first instance's API.
    one.refresh_csrf("/admin/tokens").await;
    let ed = Api::at(
        &b1,
        Some(&issue(&one, "编辑", root_id, &["editor"], "svc-ed").await),
    );
    let rv = Api::at(
        &b1,
        Some(&issue(&one, "审查", root_id, &["reviewer"], "svc-rv").await),
    );
    let ap = Api::at(
        &b1,
        Some(&issue(&one, "审批", root_id, &["approver"], "svc-ap").await),
    );
    let (_, cats) = ed.get("/api/v1/admin/categories").await;
    let cat = cats["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["body_id"] == root_id && !c["parent_id"].is_null())
        .unwrap()["id"]
        .clone();
    let (s, item) = ed
        .post(
            "/api/v1/admin/items",
            json!({
                "category_id": cat, "title": "关于扩容演练琥珀湾片区供水调整的通知",
                "formed_on": "2025-03-03", "body_md": "琥珀湾片区供水管网改造期间分时供水。",
                "related": [],
            }),
        )
        .await;
    assert_eq!(s, 201, "{item}");
    let id = item["id"].as_i64().unwrap();
    let (s, att) = ed
        .upload(
            &format!("/api/v1/admin/items/{id}/attachments"),
            "停水时段表.txt",
            "琥珀湾片区：每日9时至17时".as_bytes().to_vec(),
        )
        .await;
    assert_eq!(s, 201, "{att}");
    let steps = format!("/api/v1/admin/items/{id}/steps");
    publish(&steps, [&ed, &rv, &ap]).await;
    let published = Instant::now();

    // Within 5 seconds the other instance shows it, finds it, and serves its file.
    let anon = crate::support::http_client();
    let deadline = published + Duration::from_secs(5);
    let mut found = false;
    while Instant::now() < deadline {
        let page = anon
            .get(format!("{b2}/search?q={}", enc("琥珀湾")))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if page.contains(&format!("href=\"/items/{id}\"")) {
            found = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(found, "searchable on the second instance within 5 s");
    let page = anon
        .get(format!("{b2}/items/{id}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("关于扩容演练琥珀湾片区供水调整的通知"));
    let (_, detail) = Api::at(&b2, None).get(&format!("/api/v1/items/{id}")).await;
    let file_url = detail["attachments"][0]["url"]
        .as_str()
        .unwrap()
        .to_string();
    let r = anon.get(format!("{b2}{file_url}")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        "琥珀湾片区：每日9时至17时".as_bytes()
    );

    // Cached pages follow edits: both instances have the item page and a search page cached
    // (anonymous), then a revision with a new title is published through the first instance.
    let fetch = |base: String, path: String| {
        let anon = anon.clone();
        async move {
            anon.get(format!("{base}{path}"))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
        }
    };
    let item_path = format!("/items/{id}");
    let search_path = format!("/search?q={}", enc("珊瑚礁"));
    for b in [&b1, &b2] {
        for _ in 0..2 {
            assert!(
                fetch(b.clone(), item_path.clone())
                    .await
                    .contains("关于扩容演练琥珀湾片区供水调整的通知")
            );
            assert!(
                !fetch(b.clone(), search_path.clone())
                    .await
                    .contains(&format!("href=\"/items/{id}\""))
            );
        }
    }
    let (s, j) = ed
        .post(&format!("/api/v1/admin/items/{id}/revise"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    let (s, j) = ed
        .put(
            &format!("/api/v1/admin/items/{id}"),
            json!({
                "category_id": cat, "title": "关于扩容演练珊瑚礁片区供水调整的通知",
                "formed_on": "2025-03-03", "body_md": "珊瑚礁片区供水管网改造期间分时供水。",
                "related": [], "token": j["working"]["token"],
            }),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    publish(&steps, [&ed, &rv, &ap]).await;
    let revised = Instant::now();
    // On the instance that made the change: at once.
    let page = fetch(b1.clone(), item_path.clone()).await;
    assert!(
        page.contains("关于扩容演练珊瑚礁片区供水调整的通知")
            && !page.contains("琥珀湾片区供水调整"),
        "the first instance's cached item page changed at once"
    );
    // On the other: within the change-log interval (the head is re-read every 250 ms).
    loop {
        let page = fetch(b2.clone(), item_path.clone()).await;
        if page.contains("关于扩容演练珊瑚礁片区供水调整的通知") {
            break;
        }
        assert!(
            revised.elapsed() < Duration::from_millis(1500),
            "the second instance still serves the old item page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // And its cached search page finds the new title once its index has caught up.
    loop {
        if fetch(b2.clone(), search_path.clone())
            .await
            .contains(&format!("href=\"/items/{id}\""))
        {
            break;
        }
        assert!(
            revised.elapsed() < Duration::from_secs(5),
            "the second instance's cached search page never showed the revision"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    drop((s1, s2));
    // Leave the test server as it was.
    use sqlx::Connection;
    let name = url.rsplit('/').next().unwrap();
    let mut c = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE {name} WITH (FORCE)"
    )))
    .execute(&mut c)
    .await;
}
