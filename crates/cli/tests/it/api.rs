//! The staff API (`/api/v1/admin`) end to end: tokens issued through the back office (shown
//! once, stored hashed, revocable), the whole workflow driven by three service accounts,
//! separation of duties, scope, authentication, validation, optimistic locking, attachment checks,
//! and the OpenAPI document checked against real responses.

use gongkai_domain::access::Role;
use serde_json::{Value, json};

use crate::both_backends;
use crate::support::{Browser, Db, TestApp};

both_backends!(
    tokens_are_issued_once_stored_hashed_and_revocable,
    the_whole_workflow_runs_through_the_api,
    a_token_with_every_role_cannot_review_its_own_draft,
    tokens_see_and_act_only_in_their_scope,
    bad_input_is_refused_with_field_messages,
    the_openapi_document_describes_the_real_responses,
    applications_through_the_api_match_the_document,
    a_client_built_from_the_document_alone_is_accepted,
);

/// A category of `body` (the first leaf of the default catalogue).
async fn category(app: &TestApp, body: i64) -> i64 {
    let cats = app.store.list_categories(body).await.unwrap();
    cats.iter().find(|c| c.parent_id.is_some()).unwrap().id
}

/// The first `gk_…` token on a page.
fn token_in(page: &str) -> Option<String> {
    regex::Regex::new(r"gk_[A-Za-z0-9_-]{43}")
        .unwrap()
        .find(page)
        .map(|m| m.as_str().to_string())
}

/// Sign in an administrator of the root body.
pub(crate) async fn admin(app: &TestApp) -> Browser {
    app.staff("admin", Some(Role::Admin), app.tree.root).await;
    let b = app.login("admin").await;
    b.refresh_csrf("/admin/tokens").await;
    b
}

/// Issue a token through the back office's form; returns the response's status and page.
async fn issue_form(
    b: &Browser,
    name: &str,
    body: i64,
    roles: &[&str],
    username: &str,
) -> (u16, String) {
    let body = body.to_string();
    let mut fields = vec![
        ("name", name),
        ("body_id", body.as_str()),
        ("username", username),
    ];
    for r in roles {
        fields.push(("role", r));
    }
    let r = b.post_form("/admin/tokens", &fields).await;
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

/// Issue a token and return it.
pub(crate) async fn issue(
    b: &Browser,
    name: &str,
    body: i64,
    roles: &[&str],
    username: &str,
) -> String {
    let (s, page) = issue_form(b, name, body, roles, username).await;
    assert_eq!(s, 200, "{page}");
    token_in(&page).expect("the new token is shown")
}

/// A client of the JSON API: no cookies, a bearer token (or none).
pub(crate) struct Api {
    client: reqwest::Client,
    base: String,
    token: Option<String>,
}

impl Api {
    /// A client of the server at `base`.
    pub(crate) fn at(base: &str, token: Option<&str>) -> Api {
        Api {
            client: crate::support::http_client(),
            base: base.to_string(),
            token: token.map(str::to_string),
        }
    }

    pub(crate) fn new(app: &TestApp, token: Option<&str>) -> Api {
        Api {
            client: crate::support::http_client(),
            base: app.base.clone(),
            token: token.map(str::to_string),
        }
    }

    fn req(&self, m: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.client.request(m, format!("{}{path}", self.base));
        match &self.token {
            Some(t) => r.bearer_auth(t),
            None => r,
        }
    }

    async fn send(r: reqwest::RequestBuilder) -> (u16, Value) {
        let resp = r.send().await.unwrap();
        let s = resp.status().as_u16();
        let ct = resp
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let text = resp.text().await.unwrap();
        assert!(
            ct.starts_with("application/json"),
            "every API answer is JSON, got {ct}: {text}"
        );
        (s, serde_json::from_str(&text).unwrap())
    }

    pub(crate) async fn get(&self, path: &str) -> (u16, Value) {
        Api::send(self.req(reqwest::Method::GET, path)).await
    }

    pub(crate) async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        Api::send(self.req(reqwest::Method::POST, path).json(&body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        Api::send(self.req(reqwest::Method::PUT, path).json(&body)).await
    }

    pub(crate) async fn upload(&self, path: &str, name: &str, bytes: Vec<u8>) -> (u16, Value) {
        let form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        Api::send(self.req(reqwest::Method::POST, path).multipart(form)).await
    }
}

fn draft(category: i64, title: &str) -> Value {
    json!({
        "category_id": category,
        "title": title,
        "doc_no": "测交发[2025]7号",
        "formed_on": "2025-03-03",
        "subject": "工业、交通",
        "summary": "城区公交线路调整",
        "body_md": "经研究，决定调整3路公交线路。",
        "related": [],
    })
}

pub(crate) fn code(v: &Value) -> &str {
    v["error"]["code"].as_str().unwrap_or("")
}

async fn tokens_are_issued_once_stored_hashed_and_revocable(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let ad = admin(&app).await;
    let (s, page) = ad.get_text("/admin/tokens").await;
    assert_eq!(s, 200);
    assert!(page.contains("签发新令牌") && page.contains("接口令牌"));
    // Issue: the token is on the answer, once, and kept out of caches.
    let r = ad
        .post_form(
            "/admin/tokens",
            &[
                ("name", "OA系统"),
                ("body_id", &a.to_string()),
                ("role", "editor"),
                ("username", "svc-oa"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let page = r.text().await.unwrap();
    let token = token_in(&page).unwrap();
    assert!(page.contains("只显示这一次"));
    // Only its SHA-256 is stored; the token itself is nowhere in the database.
    let hash = gongkai_web::auth::sha256_hex(&token);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{hash}' AND revoked_at IS NULL"
        ))
        .await,
        1
    );
    for sql in [
        format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{token}' OR prefix = '{token}' OR name = '{token}'"
        ),
        format!(
            "SELECT COUNT(*) FROM audit_log WHERE after_json LIKE '%{token}%' OR before_json LIKE '%{token}%'"
        ),
    ] {
        assert_eq!(app.scalar(&sql).await, 0, "{sql}");
    }
    // The list shows the token's beginning, never the token again.
    let (_, list) = ad.get_text("/admin/tokens").await;
    assert!(token_in(&list).is_none());
    assert!(list.contains(&token[..10]) && list.contains("svc-oa") && list.contains("信息员"));
    // The service account was created in the body, with no password anyone knows.
    let svc = app.store.find_user("svc-oa").await.unwrap().unwrap();
    assert_eq!(svc.body_id, a);
    assert!(svc.must_change_password);
    assert!(app.store.grants_of(svc.id).await.unwrap().is_empty());
    // Issuing is audited, with the service account's creation.
    for action in ["token.create", "user.create"] {
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND actor_name = 'admin'"
            ))
            .await,
            1,
            "{action}"
        );
    }
    // The token works, and its use is recorded.
    let api = Api::new(&app, Some(&token));
    let (s, j) = api.get("/api/v1/admin/items").await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM api_tokens WHERE token_hash = '{hash}' AND last_used_at IS NOT NULL"
        ))
        .await,
        1
    );
    // A second token may act as the same existing account.
    let second = issue(&ad, "OA系统（备用）", a, &["editor"], "svc-oa").await;
    assert_ne!(second, token);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM users WHERE username = 'svc-oa'")
            .await,
        1
    );
    // Refusals: an account of another body, no role, a role a token may not carry, a body
    // outside the administrator's scope.
    app.staff("b-clerk", Some(Role::Editor), app.tree.b).await;
    let (s, p) = issue_form(&ad, "乙局系统", a, &["editor"], "b-clerk").await;
    assert_eq!(s, 422);
    assert!(p.contains("其他机关"));
    let (s, p) = issue_form(&ad, "无角色", a, &[], "svc-none").await;
    assert_eq!(s, 422);
    assert!(p.contains("请至少选择一个角色"));
    let (s, _) = issue_form(&ad, "管理", a, &["admin"], "svc-admin").await;
    assert_eq!(s, 403);
    app.staff("b-admin", Some(Role::Admin), app.tree.b).await;
    let bad = app.login("b-admin").await;
    bad.refresh_csrf("/admin/tokens").await;
    let (_, list) = bad.get_text("/admin/tokens").await;
    assert!(
        !list.contains("svc-oa"),
        "tokens of other bodies are not listed"
    );
    let (s, _) = issue_form(&bad, "越权", a, &["editor"], "svc-x").await;
    assert_eq!(s, 403);
    let id = app
        .scalar(&format!(
            "SELECT id FROM api_tokens WHERE token_hash = '{hash}'"
        ))
        .await;
    let r = bad
        .post_form(&format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 403);
    // Revoking: audited, and the token no longer works (the other one still does).
    let r = ad
        .post_form(&format!("/admin/tokens/{id}/revoke"), &[])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'token.revoke'")
            .await,
        1
    );
    let (s, j) = api.get("/api/v1/admin/items").await;
    assert_eq!(s, 401);
    assert_eq!(code(&j), "unauthenticated");
    let (s, _) = Api::new(&app, Some(&second))
        .get("/api/v1/admin/items")
        .await;
    assert_eq!(s, 200);
    let (_, list) = ad.get_text("/admin/tokens?done=token_revoked").await;
    assert!(list.contains("已撤销"));
    assert!(app.store.verify_audit().await.unwrap().is_ok());
}

async fn the_whole_workflow_runs_through_the_api(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let cat = category(&app, a).await;
    let ad = admin(&app).await;
    let ed = Api::new(
        &app,
        Some(&issue(&ad, "OA撰稿", a, &["editor"], "svc-ed").await),
    );
    let rv = Api::new(
        &app,
        Some(&issue(&ad, "OA审查", a, &["reviewer"], "svc-rv").await),
    );
    let ap = Api::new(
        &app,
        Some(&issue(&ad, "OA审批", a, &["approver"], "svc-ap").await),
    );
    let ids: Vec<i64> = {
        let mut v = vec![];
        for u in ["svc-ed", "svc-rv", "svc-ap"] {
            v.push(app.store.find_user(u).await.unwrap().unwrap().id);
        }
        v
    };
    // The catalogue is readable, so an office system can pick a category.
    let (s, cats) = ed.get("/api/v1/admin/categories").await;
    assert_eq!(s, 200);
    assert!(
        cats["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == cat)
    );
    // Only the editor may create.
    let (s, j) = rv
        .post(
            "/api/v1/admin/items",
            draft(cat, "关于调整3路公交线路的通知"),
        )
        .await;
    assert_eq!((s, code(&j)), (403, "forbidden"));
    let (s, item) = ed
        .post(
            "/api/v1/admin/items",
            draft(cat, "关于调整3路公交线路的通知"),
        )
        .await;
    assert_eq!(s, 201, "{item}");
    let id = item["id"].as_i64().unwrap();
    assert_eq!(item["working"]["state"], "draft");
    assert_eq!(item["working"]["doc_no"], "测交发〔2025〕7号");
    assert_eq!(item["working"]["author_id"], ids[0]);
    assert_eq!(item["due_on"], "2025-03-31");
    // Edit with the token read; a second save with the same, now stale, token is refused.
    let stale = item["working"]["token"].as_i64().unwrap();
    let mut edit = draft(cat, "关于调整城区3路公交线路的通知");
    edit["token"] = json!(stale);
    let (s, item) = ed
        .put(&format!("/api/v1/admin/items/{id}"), edit.clone())
        .await;
    assert_eq!(s, 200, "{item}");
    assert_eq!(item["working"]["title"], "关于调整城区3路公交线路的通知");
    edit["title"] = json!("被覆盖的标题");
    let (s, j) = ed.put(&format!("/api/v1/admin/items/{id}"), edit).await;
    assert_eq!((s, code(&j)), (409, "conflict"), "{j}");
    // Attachments: a real text file is accepted; a PNG named .pdf is refused.
    let (s, j) = ed
        .upload(
            &format!("/api/v1/admin/items/{id}/attachments"),
            "线路图说明.txt",
            "3路延伸至南苑。".as_bytes().to_vec(),
        )
        .await;
    assert_eq!(s, 201, "{j}");
    assert_eq!(j["items"][0]["name"], "线路图说明.txt");
    let (s, j) = ed
        .upload(
            &format!("/api/v1/admin/items/{id}/attachments"),
            "线路图.pdf",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR".to_vec(),
        )
        .await;
    assert_eq!((s, code(&j)), (422, "validation"), "{j}");
    assert!(
        j["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("不符")
    );
    let (_, item) = ed.get(&format!("/api/v1/admin/items/{id}")).await;
    assert_eq!(item["attachments"].as_array().unwrap().len(), 1);
    // The approver cannot approve before review, nor the editor review.
    let steps = format!("/api/v1/admin/items/{id}/steps");
    let (s, j) = ed.post(&steps, json!({"step": "submit"})).await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["working"]["state"], "pending_review");
    let (s, j) = ed
        .post(&steps, json!({"step": "review", "conclusion": "disclose"}))
        .await;
    assert_eq!((s, code(&j)), (403, "forbidden"));
    let (s, j) = ap.post(&steps, json!({"step": "approve"})).await;
    assert_eq!((s, code(&j)), (422, "workflow"), "not before review");
    assert!(
        j["error"]["message"]
            .as_str()
            .unwrap()
            .contains("待保密审查")
    );
    let (s, j) = ap
        .post(&steps, json!({"step": "review", "conclusion": "disclose"}))
        .await;
    assert_eq!(
        (s, code(&j)),
        (403, "forbidden"),
        "the approver has no review role"
    );
    // Review without a conclusion is a field error; with one it passes.
    let (s, j) = rv.post(&steps, json!({"step": "review"})).await;
    assert_eq!((s, code(&j)), (422, "validation"));
    assert!(j["error"]["fields"]["conclusion"].is_string());
    let (s, j) = rv
        .post(
            &steps,
            json!({"step": "review", "conclusion": "disclose", "comment": "可以公开"}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["working"]["state"], "pending_approval");
    assert_eq!(j["working"]["reviewer_id"], ids[1]);
    // A second review of the same version is a workflow refusal.
    let (s, j) = rv
        .post(&steps, json!({"step": "review", "conclusion": "disclose"}))
        .await;
    assert_eq!((s, code(&j)), (422, "workflow"), "{j}");
    // Approval publishes, with a 索引号.
    let (s, j) = ap.post(&steps, json!({"step": "approve"})).await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["status"], "published");
    assert!(j["working"].is_null());
    assert_eq!(j["published"]["approver_id"], ids[2]);
    assert!(j["index_no"].as_str().unwrap().contains("-00001"));
    let keys: Vec<String> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            s["step"]
                .as_str()
                .unwrap()
                .split('（')
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(keys, ["create", "submit", "review", "approve"]);
    let names: Vec<&str> = j["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["actor_name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["svc-ed", "svc-ed", "svc-rv", "svc-ap"]);
    // The public page shows it.
    let anon = Browser::new(&app);
    let (s, page) = anon.get_text(&format!("/items/{id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("关于调整城区3路公交线路的通知"));
    // Revise (editor) and withdraw (approver only, with a reason).
    let (s, j) = ed
        .post(&format!("/api/v1/admin/items/{id}/revise"), json!({}))
        .await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["working"]["state"], "draft");
    assert_eq!(j["working"]["number"], 2);
    let (s, j) = ed
        .post(&format!("/api/v1/admin/items/{id}/revise"), json!({}))
        .await;
    assert_eq!((s, code(&j)), (409, "conflict"), "{j}");
    let withdraw = format!("/api/v1/admin/items/{id}/withdraw");
    let (s, j) = ed.post(&withdraw, json!({"reason": "内容有误"})).await;
    assert_eq!((s, code(&j)), (403, "forbidden"));
    let (s, j) = ap.post(&withdraw, json!({"reason": "  "})).await;
    assert_eq!((s, code(&j)), (422, "validation"));
    assert!(j["error"]["fields"]["reason"].is_string());
    let (s, j) = ap
        .post(
            &withdraw,
            json!({"reason": "线路调整方案已变更，原通知作废"}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    assert_eq!(j["status"], "withdrawn");
    // The state filter of the list.
    let (_, list) = ed.get("/api/v1/admin/items?state=draft").await;
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
    let (s, j) = ed.get("/api/v1/admin/items?state=nonsense").await;
    assert_eq!((s, code(&j)), (400, "bad_request"));
    // Every step was audited under the service accounts; the chains verify.
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action LIKE 'item.%' \
             AND actor_name IN ('svc-ed', 'svc-rv', 'svc-ap')"
        )
        .await,
        8,
        "create, edit, attach, submit, review, approve, revise, withdraw"
    );
    assert!(app.store.verify_audit().await.unwrap().is_ok());
    assert_eq!(app.store.verify_ledger().await.unwrap().unwrap(), 2);
}

async fn a_token_with_every_role_cannot_review_its_own_draft(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let cat = category(&app, a).await;
    let ad = admin(&app).await;
    let all = Api::new(
        &app,
        Some(
            &issue(
                &ad,
                "一人兼任",
                a,
                &["editor", "reviewer", "approver"],
                "svc-all",
            )
            .await,
        ),
    );
    let (s, item) = all
        .post("/api/v1/admin/items", draft(cat, "本人撰写的通知"))
        .await;
    assert_eq!(s, 201);
    let steps = format!("/api/v1/admin/items/{}/steps", item["id"]);
    let (s, _) = all.post(&steps, json!({"step": "submit"})).await;
    assert_eq!(s, 200);
    for step in [
        json!({"step": "review", "conclusion": "disclose"}),
        json!({"step": "withhold", "ground": "art16_1"}),
        json!({"step": "return", "comment": "自行退回"}),
    ] {
        let (s, j) = all.post(&steps, step.clone()).await;
        assert_eq!((s, code(&j)), (422, "workflow"), "{step}: {j}");
        assert!(
            j["error"]["message"]
                .as_str()
                .unwrap()
                .contains("作者不能审查或审批"),
            "{j}"
        );
    }
    // A reviewer of the body can; then the all-roles token cannot approve its own item either.
    let rv = Api::new(
        &app,
        Some(&issue(&ad, "审查", a, &["reviewer"], "svc-rv").await),
    );
    let (s, _) = rv
        .post(&steps, json!({"step": "review", "conclusion": "disclose"}))
        .await;
    assert_eq!(s, 200);
    let (s, j) = all.post(&steps, json!({"step": "approve"})).await;
    assert_eq!((s, code(&j)), (422, "workflow"));
    assert_eq!(
        app.store
            .get_item(item["id"].as_i64().unwrap())
            .await
            .unwrap()
            .status,
        "unpublished"
    );
}

async fn tokens_see_and_act_only_in_their_scope(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    let ad = admin(&app).await;
    let ta = Api::new(
        &app,
        Some(&issue(&ad, "甲局", a, &["editor", "approver"], "svc-a").await),
    );
    let tb = Api::new(
        &app,
        Some(&issue(&ad, "乙局", b, &["editor"], "svc-b").await),
    );
    let (s, item_b) = tb
        .post(
            "/api/v1/admin/items",
            draft(category(&app, b).await, "乙局的通知"),
        )
        .await;
    assert_eq!(s, 201);
    let idb = item_b["id"].as_i64().unwrap();
    // Body A's token: B's item does not exist for it.
    let (s, j) = ta.get(&format!("/api/v1/admin/items/{idb}")).await;
    assert_eq!((s, code(&j)), (404, "not_found"));
    let (s, _) = ta
        .post(
            &format!("/api/v1/admin/items/{idb}/steps"),
            json!({"step": "submit"}),
        )
        .await;
    assert_eq!(s, 404);
    let mut edit = draft(0, "改写乙局的通知");
    edit["token"] = item_b["working"]["token"].clone();
    let (s, _) = ta.put(&format!("/api/v1/admin/items/{idb}"), edit).await;
    assert_eq!(s, 404);
    let (s, _) = ta
        .upload(
            &format!("/api/v1/admin/items/{idb}/attachments"),
            "a.txt",
            b"x".to_vec(),
        )
        .await;
    assert_eq!(s, 404);
    let (s, _) = ta
        .post(
            &format!("/api/v1/admin/items/{idb}/withdraw"),
            json!({"reason": "越权撤回"}),
        )
        .await;
    assert_eq!(s, 404);
    let (_, list) = ta.get("/api/v1/admin/items").await;
    assert!(list["items"].as_array().unwrap().is_empty());
    let (s, _) = ta
        .get(&format!("/api/v1/admin/categories?body_id={b}"))
        .await;
    assert_eq!(s, 404);
    // Nor may it create there.
    let mut d = draft(category(&app, b).await, "越权创建");
    d["body_id"] = json!(b);
    let (s, j) = ta.post("/api/v1/admin/items", d).await;
    assert_eq!((s, code(&j)), (403, "forbidden"));
    // B's own token sees its item.
    let (_, list) = tb.get("/api/v1/admin/items").await;
    assert_eq!(list["items"][0]["id"], idb);
    // Authentication: none, malformed, unknown — all 401 JSON.
    for t in [
        None,
        Some("not-a-token"),
        Some("gk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
    ] {
        let (s, j) = Api::new(&app, t).get("/api/v1/admin/items").await;
        assert_eq!((s, code(&j)), (401, "unauthenticated"), "{t:?}");
    }
    // A signed-in session is not a token: the cookie is not accepted, for reading or writing.
    app.staff("editor-a", Some(Role::Editor), a).await;
    let web = app.login("editor-a").await;
    let r = web.get("/api/v1/admin/items").await;
    assert_eq!(r.status(), 401);
    assert_eq!(code(&r.json::<Value>().await.unwrap()), "unauthenticated");
    let r = web
        .client
        .post(format!("{}/api/v1/admin/items", app.base))
        .json(&draft(category(&app, a).await, "凭会话创建"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A disabled service account's tokens stop working.
    let svc = app.store.find_user("svc-b").await.unwrap().unwrap();
    app.store
        .set_user_disabled(svc.id, true, &gongkai_domain::audit::Who::system())
        .await
        .unwrap();
    let (s, _) = tb.get("/api/v1/admin/items").await;
    assert_eq!(s, 401);
}

async fn bad_input_is_refused_with_field_messages(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let cat = category(&app, a).await;
    let ad = admin(&app).await;
    let ed = Api::new(
        &app,
        Some(&issue(&ad, "OA", a, &["editor"], "svc-ed").await),
    );
    let (s, j) = ed
        .post(
            "/api/v1/admin/items",
            json!({"title": "", "doc_no": "第三号", "formed_on": "2999-01-01", "category_id": 999999}),
        )
        .await;
    assert_eq!((s, code(&j)), (422, "validation"), "{j}");
    let f = &j["error"]["fields"];
    assert_eq!(f["title"], "请填写标题");
    assert!(f["formed_on"].as_str().unwrap().contains("不能晚于今天"));
    assert!(f["doc_no"].is_string());
    assert!(f["category_id"].is_string());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM items").await, 0);
    // Not JSON at all.
    let r = ed
        .req(reqwest::Method::POST, "/api/v1/admin/items")
        .header("content-type", "application/json")
        .body("{title:")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(code(&r.json::<Value>().await.unwrap()), "bad_request");
    // A save without the token, and a draft that is no longer a draft.
    let (_, item) = ed.post("/api/v1/admin/items", draft(cat, "通知")).await;
    let id = item["id"].as_i64().unwrap();
    let (s, j) = ed
        .put(&format!("/api/v1/admin/items/{id}"), draft(cat, "通知"))
        .await;
    assert_eq!((s, code(&j)), (422, "validation"));
    assert!(j["error"]["fields"]["token"].is_string());
    let (s, j) = ed
        .post(
            &format!("/api/v1/admin/items/{id}/steps"),
            json!({"step": "publish"}),
        )
        .await;
    assert_eq!((s, code(&j)), (422, "validation"));
    assert!(j["error"]["fields"]["step"].is_string());
    // The upload route has the larger limit of uploads, not the 2 MB of other requests.
    let big = "公交线路调整说明。\n".repeat(120_000).into_bytes();
    assert!(big.len() > 3 * 1024 * 1024);
    let (s, j) = ed
        .upload(
            &format!("/api/v1/admin/items/{id}/attachments"),
            "调整说明.txt",
            big,
        )
        .await;
    assert_eq!(s, 201, "{j}");
    ed.post(
        &format!("/api/v1/admin/items/{id}/steps"),
        json!({"step": "submit"}),
    )
    .await;
    let mut edit = draft(cat, "提交后再改");
    edit["token"] = json!(0);
    let (s, j) = ed.put(&format!("/api/v1/admin/items/{id}"), edit).await;
    assert_eq!((s, code(&j)), (422, "workflow"), "{j}");
    let (s, j) = ed
        .upload(
            &format!("/api/v1/admin/items/{id}/attachments"),
            "a.txt",
            b"text".to_vec(),
        )
        .await;
    assert_eq!((s, code(&j)), (422, "workflow"), "{j}");
}

// ---------------------------------------------------------------------------------------------
// The OpenAPI document against real responses.

/// Follow a `$ref` to `#/components/schemas/…`.
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.trim_start_matches("#/components/schemas/");
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "null" => v.is_null(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "array" => v.is_array(),
        "object" => v.is_object(),
        _ => true,
    }
}

/// Does `v` have the shape `schema` declares? Required properties present, no undeclared
/// properties, declared types, recursively through `$ref`, `oneOf`/`anyOf`/`allOf`, arrays and
/// objects. Returns the differences found.
fn check_value(doc: &Value, schema: &Value, v: &Value, at: &str) -> Vec<String> {
    let schema = resolve(doc, schema);
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema.get(key).and_then(Value::as_array) {
            if alts.iter().any(|s| check_value(doc, s, v, at).is_empty()) {
                return vec![];
            }
            return vec![format!("{at}: matches none of the {key} alternatives: {v}")];
        }
    }
    if let Some(parts) = schema.get("allOf").and_then(Value::as_array) {
        // Merge the objects' properties, then check once.
        let mut props = serde_json::Map::new();
        let mut required = vec![];
        for p in parts {
            let p = resolve(doc, p);
            let p = match p.get("oneOf").and_then(Value::as_array) {
                Some(alts) if alts.len() == 1 => resolve(doc, &alts[0]),
                _ => p,
            };
            if let Some(o) = p.get("properties").and_then(Value::as_object) {
                props.extend(o.clone());
            }
            if let Some(r) = p.get("required").and_then(Value::as_array) {
                required.extend(r.clone());
            }
        }
        let merged = json!({"type": "object", "properties": props, "required": required});
        return check_value(doc, &merged, v, at);
    }
    let mut errors = vec![];
    match schema.get("type") {
        Some(Value::String(t)) if !type_matches(t, v) => {
            return vec![format!("{at}: expected {t}, got {v}")];
        }
        Some(Value::Array(ts)) if !ts.iter().any(|t| type_matches(t.as_str().unwrap_or(""), v)) => {
            return vec![format!("{at}: expected one of {ts:?}, got {v}")];
        }
        _ => {}
    }
    // A closed set: the value must be one of the document's.
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array)
        && !allowed.contains(v)
    {
        return vec![format!("{at}: {v} is not one of {allowed:?}")];
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            errors.extend(check_value(doc, items, x, &format!("{at}[{i}]")));
        }
    }
    if let Some(obj) = v.as_object() {
        let props = schema.get("properties").and_then(Value::as_object);
        let extra = schema.get("additionalProperties");
        for r in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let r = r.as_str().unwrap();
            if !obj.contains_key(r) {
                errors.push(format!("{at}: required property {r} missing"));
            }
        }
        for (k, x) in obj {
            match props.and_then(|p| p.get(k)) {
                Some(s) => errors.extend(check_value(doc, s, x, &format!("{at}.{k}"))),
                None => match extra {
                    Some(s) if s.is_object() => {
                        errors.extend(check_value(doc, s, x, &format!("{at}.{k}")))
                    }
                    _ => errors.push(format!("{at}: property {k} is not declared")),
                },
            }
        }
    }
    errors
}

/// Check a real answer against the document's schema for `path`, `method`, `status`.
pub(crate) fn conforms(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not in the document");
    let resp = &op["responses"][status.to_string()];
    assert!(
        resp.is_object(),
        "{method} {path} does not declare status {status}"
    );
    let schema = &resp["content"]["application/json"]["schema"];
    assert!(
        schema.is_object(),
        "{method} {path} {status} has no JSON schema"
    );
    let errors = check_value(doc, schema, body, "$");
    assert!(
        errors.is_empty(),
        "{method} {path} {status} differs from the document:\n{}\n{body}",
        errors.join("\n")
    );
}

async fn the_openapi_document_describes_the_real_responses(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let cat = category(&app, a).await;
    let anon = Api::new(&app, None);
    let (s, doc) = anon.get("/api/openapi.json").await;
    assert_eq!(s, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert_eq!(
        doc["paths"]["/api/v1/admin/items"]["post"]["security"][0]["bearer"],
        json!([])
    );
    // The checker itself notices an undeclared property and a missing one.
    let body_schema = json!({"$ref": "#/components/schemas/BodyJson"});
    assert!(!check_value(&doc, &body_schema, &json!({"id": 1, "nonsense": true}), "$").is_empty());
    // Public endpoints.
    let (s, j) = anon.get("/api/v1/bodies").await;
    conforms(&doc, "/api/v1/bodies", "get", s, &j);
    let (s, j) = anon.get(&format!("/api/v1/bodies/{a}")).await;
    conforms(&doc, "/api/v1/bodies/{id}", "get", s, &j);
    let (s, j) = anon.get("/api/v1/bodies/999999").await;
    assert_eq!(s, 404);
    conforms(&doc, "/api/v1/bodies/{id}", "get", s, &j);
    let (s, j) = anon.get("/api/v1/bodies/abc").await;
    assert_eq!(s, 400);
    conforms(&doc, "/api/v1/bodies/{id}", "get", s, &j);
    // The staff API.
    let (s, j) = anon.get("/api/v1/admin/items").await;
    assert_eq!(s, 401);
    conforms(&doc, "/api/v1/admin/items", "get", s, &j);
    let ad = admin(&app).await;
    let ed = Api::new(
        &app,
        Some(&issue(&ad, "OA", a, &["editor"], "svc-ed").await),
    );
    let rv = Api::new(
        &app,
        Some(&issue(&ad, "审查", a, &["reviewer"], "svc-rv").await),
    );
    let (s, j) = ed.get("/api/v1/admin/categories").await;
    conforms(&doc, "/api/v1/admin/categories", "get", s, &j);
    let (s, j) = ed
        .post(
            "/api/v1/admin/items",
            json!({"title": "", "formed_on": "x"}),
        )
        .await;
    assert_eq!(s, 422);
    conforms(&doc, "/api/v1/admin/items", "post", s, &j);
    let (s, item) = ed.post("/api/v1/admin/items", draft(cat, "通知")).await;
    assert_eq!(s, 201);
    conforms(&doc, "/api/v1/admin/items", "post", s, &item);
    let id = item["id"].as_i64().unwrap();
    let (s, j) = rv.post("/api/v1/admin/items", draft(cat, "通知")).await;
    assert_eq!(s, 403);
    conforms(&doc, "/api/v1/admin/items", "post", s, &j);
    let (s, j) = ed.get("/api/v1/admin/items").await;
    conforms(&doc, "/api/v1/admin/items", "get", s, &j);
    let (s, j) = ed.get(&format!("/api/v1/admin/items/{id}")).await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/admin/items/{id}", "get", s, &j);
    let (s, j) = rv.get("/api/v1/admin/items/999999").await;
    assert_eq!(s, 404);
    conforms(&doc, "/api/v1/admin/items/{id}", "get", s, &j);
    let mut edit = draft(cat, "通知（修改）");
    edit["token"] = item["working"]["token"].clone();
    let (s, j) = ed
        .put(&format!("/api/v1/admin/items/{id}"), edit.clone())
        .await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/admin/items/{id}", "put", s, &j);
    let (s, j) = ed.put(&format!("/api/v1/admin/items/{id}"), edit).await;
    assert_eq!(s, 409);
    conforms(&doc, "/api/v1/admin/items/{id}", "put", s, &j);
    let upload = format!("/api/v1/admin/items/{id}/attachments");
    let (s, j) = ed
        .upload(&upload, "说明.txt", "说明".as_bytes().to_vec())
        .await;
    assert_eq!(s, 201);
    conforms(&doc, "/api/v1/admin/items/{id}/attachments", "post", s, &j);
    let (s, j) = ed
        .upload(&upload, "说明.pdf", "说明".as_bytes().to_vec())
        .await;
    assert_eq!(s, 422);
    conforms(&doc, "/api/v1/admin/items/{id}/attachments", "post", s, &j);
    let steps = format!("/api/v1/admin/items/{id}/steps");
    let (s, j) = ed.post(&steps, json!({"step": "submit"})).await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/admin/items/{id}/steps", "post", s, &j);
    // A workflow refusal: the step is not possible in this state.
    let (s, j) = ed.post(&steps, json!({"step": "submit"})).await;
    assert_eq!((s, code(&j)), (422, "workflow"), "{j}");
    conforms(&doc, "/api/v1/admin/items/{id}/steps", "post", s, &j);
    let (s, j) = ed.post(&steps, json!({"step": "approve"})).await;
    assert_eq!(s, 403);
    conforms(&doc, "/api/v1/admin/items/{id}/steps", "post", s, &j);
    let (s, j) = rv
        .post(&steps, json!({"step": "return", "comment": "请补充依据"}))
        .await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/admin/items/{id}/steps", "post", s, &j);
    let (s, j) = ed
        .post(&format!("/api/v1/admin/items/{id}/revise"), json!({}))
        .await;
    assert_eq!(s, 422);
    conforms(&doc, "/api/v1/admin/items/{id}/revise", "post", s, &j);
    let (s, j) = ed
        .post(
            &format!("/api/v1/admin/items/{id}/withdraw"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(s, 403);
    conforms(&doc, "/api/v1/admin/items/{id}/withdraw", "post", s, &j);
}

async fn applications_through_the_api_match_the_document(db: Db) {
    let app = TestApp::spawn(db).await;
    let anon = Api::new(&app, None);
    let (_, doc) = anon.get("/api/openapi.json").await;
    let good = serde_json::json!({
        "body_id": app.tree.a,
        "applicant_type": "commercial",
        "name": "示例建材有限公司",
        "id_type": "统一社会信用代码",
        "id_number": crate::support::code("DEMO0001").to_string() + "",
        "email": "office@example.cn",
        "description": "甲局2025年行政许可决定书（建筑垃圾处置核准）",
        "delivery": "email",
    });
    // A 9-character code is not a 统一社会信用代码: refused with a field message.
    let (s, err) = anon.post("/api/v1/applications", good.clone()).await;
    assert_eq!(s, 422, "{err}");
    assert_eq!(err["error"]["code"], "validation");
    assert!(err["error"]["fields"]["id_number"].is_string());
    conforms(&doc, "/api/v1/applications", "post", 422, &err);
    let mut ok = good.clone();
    ok["id_type"] = "其他".into();
    ok["id_number"] = "营业执照第A1234号".into();
    let (s, receipt) = anon.post("/api/v1/applications", ok).await;
    assert_eq!(s, 201, "{receipt}");
    conforms(&doc, "/api/v1/applications", "post", 201, &receipt);
    let number = receipt["number"].as_str().unwrap().to_string();
    let secret = receipt["secret"].as_str().unwrap().to_string();
    // Stored before the answer.
    assert!(app.store.find_application(&number).await.unwrap().is_some());
    // Read back with the secret; without it (or with a wrong one) the answer is 404.
    let r = crate::support::http_client()
        .get(app.url(&format!("/api/v1/applications/{number}")))
        .header("X-Application-Secret", &secret)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let status: Value = r.json().await.unwrap();
    assert_eq!(status["status"], "handling");
    assert!(
        status["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l.as_str().unwrap().contains("答复截止日期"))
    );
    conforms(&doc, "/api/v1/applications/{number}", "get", 200, &status);
    let (s, e) = anon.get(&format!("/api/v1/applications/{number}")).await;
    assert_eq!(s, 404);
    conforms(&doc, "/api/v1/applications/{number}", "get", 404, &e);
    let r = crate::support::http_client()
        .get(app.url(&format!("/api/v1/applications/{number}")))
        .header("X-Application-Secret", "AAAA-BBBB-CCCC-DDDD")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

/// A request built from the document's schemas alone, as a generated client or a fuzzer builds
/// one: each required property (and each optional one with an example) gets its `example`, else
/// the first of its `enum`, else a value of its type. No prose is read.
fn request_from_schema(doc: &Value, name: &str, overrides: &[(&str, Value)]) -> Value {
    let schema = &doc["components"]["schemas"][name];
    let mut out = serde_json::Map::new();
    let required: Vec<&str> = schema["required"]
        .as_array()
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    for (k, p) in schema["properties"].as_object().unwrap() {
        let value = if let Some(e) = p.get("example").or_else(|| p["examples"].get(0)) {
            e.clone()
        } else if let Some(first) = p["enum"].get(0) {
            first.clone()
        } else if required.contains(&k.as_str()) {
            match p["type"].as_str() {
                Some("integer") => json!(0),
                Some("boolean") => json!(false),
                _ => json!(""),
            }
        } else {
            continue;
        };
        out.insert(k.clone(), value);
    }
    for (k, v) in overrides {
        out.insert(k.to_string(), v.clone());
    }
    Value::Object(out)
}

async fn a_client_built_from_the_document_alone_is_accepted(db: Db) {
    let app = TestApp::spawn(db).await;
    let mb = app
        .store
        .create_mailbox(
            app.tree.a,
            &gongkai_store::letters::MailboxFields {
                name: "文档信箱".into(),
                kind: gongkai_domain::letters::MailboxKind::Consult,
                rule: Default::default(),
                anonymous_allowed: false,
                publish_allowed: true,
                approval_required: false,
                intro: String::new(),
                active: true,
            },
            &gongkai_domain::audit::Who::system(),
        )
        .await
        .unwrap();
    let anon = Api::new(&app, None);
    let (_, doc) = anon.get("/api/openapi.json").await;
    // The closed sets are in the document, exactly as the server's vocabularies.
    let types: Vec<&str> =
        doc["components"]["schemas"]["ApplicationRequest"]["properties"]["applicant_type"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
    let expected: Vec<&str> = gongkai_domain::application::ApplicantType::ALL
        .iter()
        .map(|t| t.as_str())
        .collect();
    assert_eq!(types, expected);
    for field in ["id_type", "delivery", "form_wanted"] {
        assert!(
            doc["components"]["schemas"]["ApplicationRequest"]["properties"][field]["enum"]
                .is_array(),
            "{field} is a closed set in the document"
        );
    }
    // The staff API's steps too, as the server's list.
    let steps: Vec<&str> =
        doc["components"]["schemas"]["StepRequest"]["properties"]["step"]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
    let known: Vec<&str> = gongkai_web::api_admin::STEPS
        .iter()
        .map(|(s, _)| *s)
        .collect();
    assert_eq!(steps, known);
    // Every operation documents its errors with the shared schema.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let r = &op["responses"]["400"]["content"]["application/json"]["schema"]["$ref"];
            assert_eq!(r, "#/components/schemas/ErrorBody", "{method} {path}");
        }
    }
    // An application from the schema alone.
    let req = request_from_schema(&doc, "ApplicationRequest", &[]);
    let (s, receipt) = anon.post("/api/v1/applications", req.clone()).await;
    assert_eq!(s, 201, "{req} → {receipt}");
    conforms(&doc, "/api/v1/applications", "post", s, &receipt);
    // A letter: the mailbox id is what the document's mailbox list says.
    let (_, boxes) = anon.get("/api/v1/mailboxes").await;
    let id = boxes
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["id"] == mb)
        .unwrap()["id"]
        .clone();
    let req = request_from_schema(&doc, "LetterRequest", &[("mailbox_id", id)]);
    let (s, receipt) = anon.post("/api/v1/letters", req.clone()).await;
    assert_eq!(s, 201, "{req} → {receipt}");
    conforms(&doc, "/api/v1/letters", "post", s, &receipt);
}
