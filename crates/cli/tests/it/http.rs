//! HTTP tests against the real server on a free port: sign-in, lockout, session expiry, CSRF,
//! the second factor, sessions, bad input, error pages, and the permission matrix.

use gongkai_domain::access::Role;
use gongkai_store::now_ms;

use crate::both_backends;
use crate::support::{
    Browser, Db, PASSWORD, TOTP_SECRET, TestApp, code, csrf_in, fresh_code, location,
};

both_backends!(
    sign_in_needs_password_and_second_factor,
    first_sign_in_forces_password_change_and_totp_enrolment,
    five_failures_lock_the_account,
    idle_and_absolute_session_limits_end_sessions,
    unsafe_requests_without_csrf_proof_are_refused,
    users_see_and_end_their_own_sessions_admins_end_others,
    permission_matrix,
    body_form_redisplays_input_with_messages,
    public_pages_api_errors_and_headers,
);

async fn sign_in_needs_password_and_second_factor(db: Db) {
    let app = TestApp::spawn(db).await;
    app.staff("wang.wu", Some(Role::Editor), app.tree.a).await;
    let b = Browser::new(&app);
    // Wrong password: the same message as for an unknown user.
    let r = b.login_password("wang.wu", "Wrong#pass1").await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    let r = b.login_password("nobody.here", "Wrong#pass1").await;
    assert!(r.text().await.unwrap().contains("用户名或密码错误"));
    // Right password: the back office still waits for the second factor.
    let r = b.login_password("wang.wu", PASSWORD).await;
    assert_eq!(location(&r), "/login/totp");
    let r = b.get("/admin").await;
    assert_eq!(location(&r), "/login/totp");
    let r = b.post_form("/login/totp", &[("code", "000000")]).await;
    assert_eq!(r.status(), 422);
    let code = fresh_code(&app.base, "wang.wu", TOTP_SECRET).await;
    let r = b.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(location(&r), "/admin");
    let (s, page) = b.get_text("/admin").await;
    assert_eq!(s, 200);
    assert!(page.contains("工作台") && page.contains("信息员"));
    // Every step is in the audit log.
    let fails = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login.failure'")
        .await;
    let oks = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login.success'")
        .await;
    assert_eq!(
        (fails, oks),
        (3, 2),
        "two bad passwords and a bad code; password and TOTP steps"
    );
    // Logout ends the session in the database, not just the cookie.
    b.refresh_csrf("/admin").await;
    let r = b.post_form("/logout", &[]).await;
    assert_eq!(location(&r), "/login");
    assert_eq!(location(&b.get("/admin").await), "/login");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE ended_at IS NULL")
            .await,
        0
    );
}

async fn first_sign_in_forces_password_change_and_totp_enrolment(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = app
        .store
        .create_user(
            &gongkai_store::users::NewUser {
                body_id: app.tree.a,
                username: "new.staff".into(),
                display_name: "新同事".into(),
                password_hash: gongkai_domain::password::hash_password("Initial#Pass1").unwrap(),
                must_change_password: true,
                roles: vec![Role::Reviewer],
            },
            &gongkai_domain::audit::Who::system(),
        )
        .await
        .unwrap();
    let b = Browser::new(&app);
    let r = b.login_password("new.staff", "Initial#Pass1").await;
    assert_eq!(location(&r), "/admin");
    assert_eq!(location(&b.get("/admin").await), "/account/password");
    b.refresh_csrf("/account/password").await;
    // Too weak, and equal to the username: refused with messages, nothing changed.
    let r = b
        .post_form(
            "/account/password",
            &[
                ("current", "Initial#Pass1"),
                ("new_password", "weak"),
                ("confirm", "weak"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let t = r.text().await.unwrap();
    assert!(
        t.contains("至少需要8个字符") && t.contains("大写字母"),
        "{t}"
    );
    let r = b
        .post_form(
            "/account/password",
            &[
                ("current", "Initial#Pass1"),
                ("new_password", "new.staff"),
                ("confirm", "new.staff"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("不能与用户名相同"));
    let r = b
        .post_form(
            "/account/password",
            &[
                ("current", "Initial#Pass1"),
                ("new_password", "Better#Pass2"),
                ("confirm", "Better#Pass2"),
            ],
        )
        .await;
    assert_eq!(location(&r), "/admin");
    // 等保三级: staff must enrol a second factor before anything else.
    assert_eq!(location(&b.get("/admin").await), "/account/totp");
    let (_, page) = b.get_text("/account/totp").await;
    // Shown in groups of four for typing by hand.
    let secret = regex::Regex::new(r#"<code class="secret">([A-Z2-7 ]+)</code>"#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .replace(' ', "");
    assert!(page.contains("<svg"), "a QR code is shown");
    let r = b.post_form("/account/totp", &[("code", "123456")]).await;
    assert_eq!(r.status(), 422);
    let r = b
        .post_form(
            "/account/totp",
            &[("code", &fresh_code(&app.base, "new.staff", &secret).await)],
        )
        .await;
    assert_eq!(r.status(), 200);
    let page = r.text().await.unwrap();
    let codes: Vec<String> = regex::Regex::new(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>")
        .unwrap()
        .captures_iter(&page)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(codes.len(), 10, "ten recovery codes, shown once");
    assert_eq!(b.get("/admin").await.status(), 200);
    // A recovery code signs in once, and only once.
    let b2 = Browser::new(&app);
    b2.login_password("new.staff", "Better#Pass2").await;
    let r = b2.post_form("/login/totp", &[("code", &codes[0])]).await;
    assert_eq!(location(&r), "/admin");
    let b3 = Browser::new(&app);
    b3.login_password("new.staff", "Better#Pass2").await;
    let r = b3.post_form("/login/totp", &[("code", &codes[0])]).await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.store.unused_recovery_codes(id).await.unwrap(), 9);
}

async fn five_failures_lock_the_account(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = app.staff("zhao.liu", Some(Role::Editor), app.tree.a).await;
    let b = Browser::new(&app);
    for i in 1..=5 {
        let r = b.login_password("zhao.liu", "Wrong#pass1").await;
        let t = r.text().await.unwrap();
        if i < 5 {
            assert!(t.contains("用户名或密码错误"), "attempt {i}");
        } else {
            assert!(t.contains("锁定30分钟"), "attempt {i}: {t}");
        }
    }
    // Locked: even the right password is refused, and says when to try again.
    let r = b.login_password("zhao.liu", PASSWORD).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已被锁定"));
    // Thirty minutes later (simulated) the right password works again.
    app.exec(&format!(
        "UPDATE users SET locked_until = {} WHERE id = {id}",
        now_ms() - 1000
    ))
    .await;
    let r = b.login_password("zhao.liu", PASSWORD).await;
    assert_eq!(location(&r), "/login/totp");
}

async fn idle_and_absolute_session_limits_end_sessions(db: Db) {
    let app = TestApp::spawn(db).await;
    let id = app.staff("qian.qi", Some(Role::Editor), app.tree.a).await;
    let b = app.login("qian.qi").await;
    assert_eq!(b.get("/admin").await.status(), 200);
    // 等保三级: 30 idle minutes end the session.
    app.exec(&format!(
        "UPDATE sessions SET last_seen_at = {} WHERE user_id = {id}",
        now_ms() - 31 * 60_000
    ))
    .await;
    assert_eq!(location(&b.get("/admin").await), "/login");
    // Any session ends after 12 hours, however active.
    let b = app.login("qian.qi").await;
    app.exec(&format!(
        "UPDATE sessions SET created_at = {}, last_seen_at = {} WHERE user_id = {id} AND ended_at IS NULL",
        now_ms() - 12 * 3_600_000 - 60_000,
        now_ms()
    ))
    .await;
    assert_eq!(location(&b.get("/admin").await), "/login");
    // The ASVS profile has no idle limit but keeps the 12-hour one.
    let app = TestApp::spawn_with(db, |c| {
        c.policy = gongkai_domain::password::SecurityPolicy::for_profile(
            gongkai_domain::password::Profile::Asvs,
        )
    })
    .await;
    let id = app.staff("qian.ba", Some(Role::Editor), app.tree.a).await;
    let b = app.login("qian.ba").await;
    app.exec(&format!(
        "UPDATE sessions SET last_seen_at = {} WHERE user_id = {id}",
        now_ms() - 5 * 3_600_000
    ))
    .await;
    assert_eq!(b.get("/admin").await.status(), 200);
}

async fn unsafe_requests_without_csrf_proof_are_refused(db: Db) {
    let app = TestApp::spawn(db).await;
    app.staff("admin.a", Some(Role::Admin), app.tree.a).await;
    let b = app.login("admin.a").await;
    let (_, page) = b.get_text("/admin/bodies/new").await;
    let token = csrf_in(&page).unwrap();
    let form = |tok: &str| {
        vec![
            ("_csrf".to_string(), tok.to_string()),
            ("name".to_string(), "伪造请求创建的机关".to_string()),
            ("kind".to_string(), "department".to_string()),
            ("org_code".to_string(), code("CSRF0001")),
            ("parent_id".to_string(), app.tree.a.to_string()),
        ]
    };
    let url = app.url("/admin/bodies/new");
    // No token.
    let r = b.client.post(&url).form(&form("")).send().await.unwrap();
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("请求来源不可信"));
    // A wrong token.
    let r = b
        .client
        .post(&url)
        .form(&form("forged-token-value-xxxxxxxxxxxxxxxxxxxx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // The right token, but the browser says the request comes from another site.
    let r = b
        .client
        .post(&url)
        .header("sec-fetch-site", "cross-site")
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = b
        .client
        .post(&url)
        .header("origin", "http://evil.example")
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bodies WHERE name = '伪造请求创建的机关'")
            .await,
        0
    );
    // The same request with proof works.
    let r = b
        .client
        .post(&url)
        .header("sec-fetch-site", "same-origin")
        .form(&form(&token))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bodies WHERE name = '伪造请求创建的机关'")
            .await,
        1
    );
    // The login form itself needs the pre-session token.
    let anon = Browser::new(&app);
    let r = anon
        .client
        .post(app.url("/login"))
        .form(&[("username", "admin.a"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}

async fn users_see_and_end_their_own_sessions_admins_end_others(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    let user = app.staff("sun.jiu", Some(Role::Editor), t.a1).await;
    app.staff("admin.a", Some(Role::Admin), t.a).await;
    app.staff("admin.b", Some(Role::Admin), t.b).await;
    let s1 = app.login("sun.jiu").await;
    let s2 = app.login("sun.jiu").await;
    let (_, page) = s1.get_text("/account/sessions").await;
    let keys: Vec<String> = regex::Regex::new(r#"name="session" value="([0-9a-f]{64})""#)
        .unwrap()
        .captures_iter(&page)
        .map(|c| c[1].to_string())
        .collect();
    assert_eq!(keys.len(), 2);
    // End the other session (the one that is not "this session").
    let other = keys
        .iter()
        .find(|k| !page.contains(&format!(r#"value="{k}"><button type="submit">退出本会话"#)))
        .unwrap()
        .clone();
    let r = s1
        .post_form("/account/sessions/end", &[("session", &other)])
        .await;
    assert_eq!(r.status(), 303);
    let alive = [
        s1.get("/admin").await.status().as_u16(),
        s2.get("/admin").await.status().as_u16(),
    ];
    assert!(
        alive.contains(&200) && alive.iter().filter(|s| **s == 200).count() == 1,
        "{alive:?}"
    );
    // An administrator outside the user's subtree cannot end their sessions.
    let ab = app.login("admin.b").await;
    ab.refresh_csrf("/admin").await;
    let r = ab
        .post_form(
            &format!("/admin/users/{user}/action"),
            &[("action", "end_sessions")],
        )
        .await;
    assert_eq!(r.status(), 403);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {user} AND ended_at IS NULL"
        ))
        .await,
        1
    );
    // The administrator of the subtree can.
    let aa = app.login("admin.a").await;
    aa.refresh_csrf("/admin").await;
    let r = aa
        .post_form(
            &format!("/admin/users/{user}/action"),
            &[("action", "end_sessions")],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(s1.get("/admin").await.status(), 303);
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM sessions WHERE user_id = {user} AND ended_at IS NULL"
        ))
        .await,
        0
    );
}

/// Every role, inside and outside its subtree, reading and writing.
async fn permission_matrix(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    let victim_a1 = app.staff("victim.a1", Some(Role::Editor), t.a1).await;
    let victim_b = app.staff("victim.b", Some(Role::Editor), t.b).await;
    for role in Role::ALL {
        let name = format!("r.{}", role.as_str().replace('_', "-"));
        app.staff(&name, Some(role), t.a).await;
        let b = app.login(&name).await;
        let is_admin = role == Role::Admin;
        let sees_audit = matches!(role, Role::Admin | Role::Discipline);
        let expect = |ok: bool| if ok { 200 } else { 403 };
        // Reading.
        assert_eq!(b.get("/admin").await.status(), 200, "{role:?} dashboard");
        assert_eq!(
            b.get("/admin/users").await.status(),
            expect(is_admin),
            "{role:?} users"
        );
        assert_eq!(
            b.get("/admin/audit").await.status(),
            expect(sees_audit),
            "{role:?} audit"
        );
        assert_eq!(
            b.get("/admin/bodies").await.status(),
            expect(is_admin),
            "{role:?} bodies"
        );
        assert_eq!(
            b.get(&format!("/admin/bodies/{}/edit", t.a1))
                .await
                .status(),
            expect(is_admin),
            "{role:?} edit inside"
        );
        assert_eq!(
            b.get(&format!("/admin/bodies/{}/edit", t.b)).await.status(),
            403,
            "{role:?} edit outside"
        );
        assert_eq!(
            b.get(&format!("/admin/users/{victim_a1}")).await.status(),
            expect(is_admin),
            "{role:?} user inside"
        );
        assert_eq!(
            b.get(&format!("/admin/users/{victim_b}")).await.status(),
            403,
            "{role:?} user outside"
        );
        // Writing.
        b.refresh_csrf("/admin").await;
        assert_eq!(
            edit_body(&app, &b, t.a1, "甲局下属中心（改）").await,
            if is_admin { 303 } else { 403 },
            "{role:?} write inside"
        );
        assert_eq!(
            edit_body(&app, &b, t.b, "乙局（越权修改）").await,
            403,
            "{role:?} write outside"
        );
        let r = b
            .post_form(
                &format!("/admin/users/{victim_b}/action"),
                &[("action", "disable")],
            )
            .await;
        assert_eq!(r.status(), 403, "{role:?} disable outside");
        let r = b
            .post_form(
                &format!("/admin/users/{victim_a1}/grant"),
                &[("role", "admin"), ("body_id", &t.root.to_string())],
            )
            .await;
        assert_eq!(r.status(), 403, "{role:?} grant above own subtree");
        let r = b
            .post_form(
                "/admin/users/new",
                &[
                    ("body_id", &t.b.to_string()),
                    ("username", "intruder"),
                    ("display_name", "越权账号"),
                    ("role", "admin"),
                ],
            )
            .await;
        assert_eq!(r.status(), 403, "{role:?} create account outside");
        if is_admin {
            // Inside the subtree the administrator can grant and create.
            let r = b
                .post_form(
                    &format!("/admin/users/{victim_a1}/grant"),
                    &[("role", "reviewer"), ("body_id", &t.a1.to_string())],
                )
                .await;
            assert_eq!(r.status(), 303);
            // Lists show (and count) only the subtree.
            let (_, page) = b.get_text("/admin/users").await;
            assert!(page.contains("victim.a1") && !page.contains("victim.b"));
        }
    }
    assert_eq!(app.store.get_body(t.b).await.unwrap().name, "测试县乙局");
    assert!(!app.store.get_user(victim_b).await.unwrap().disabled);
    assert!(app.store.find_user("intruder").await.unwrap().is_none());
    assert_eq!(app.store.grants_of(victim_a1).await.unwrap().len(), 2);
}

async fn edit_body(app: &TestApp, b: &Browser, id: i64, name: &str) -> u16 {
    let body = app.store.get_body(id).await.unwrap();
    b.post_form(
        &format!("/admin/bodies/{id}/edit"),
        &[
            ("name", name),
            ("kind", &body.kind),
            ("org_code", &body.org_code),
            ("parent_id", &body.parent_id.unwrap().to_string()),
            ("version", &body.version.to_string()),
        ],
    )
    .await
    .status()
    .as_u16()
}

async fn body_form_redisplays_input_with_messages(db: Db) {
    let app = TestApp::spawn(db).await;
    let t = app.tree;
    app.staff("admin.root", Some(Role::Admin), t.root).await;
    let b = app.login("admin.root").await;
    b.refresh_csrf("/admin/bodies/new").await;
    let r = b
        .post_form(
            "/admin/bodies/new",
            &[
                ("name", "新设的统计局"),
                ("kind", "department"),
                ("org_code", "12345678-0"),
                ("parent_id", &t.root.to_string()),
                ("email", "bad@"),
                ("leader_name_0", "钱一"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("新设的统计局"), "input kept");
    assert!(page.contains("机构代码无效"), "code message");
    assert!(page.contains("电子邮箱格式不正确"));
    assert!(page.contains("须填写姓名和职务"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM bodies WHERE name = '新设的统计局'")
            .await,
        0
    );
    // Moving A under its own child is refused with a message; nothing moves.
    let a = app.store.get_body(t.a).await.unwrap();
    let r = b
        .post_form(
            &format!("/admin/bodies/{}/edit", t.a),
            &[
                ("name", &a.name),
                ("kind", &a.kind),
                ("org_code", &a.org_code),
                ("parent_id", &t.a1.to_string()),
                ("version", &a.version.to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("下级机关"));
    assert_eq!(app.store.get_body(t.a).await.unwrap().path, a.path);
    // A stale form (someone saved in between) is refused, not silently applied.
    let r = b
        .post_form(
            &format!("/admin/bodies/{}/edit", t.a),
            &[
                ("name", "过期表单"),
                ("kind", &a.kind),
                ("org_code", &a.org_code),
                ("parent_id", &t.root.to_string()),
                ("version", &(a.version - 1).to_string()),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已被他人修改"));
    // A duplicate username is refused with the input kept.
    let r = b
        .post_form(
            "/admin/users/new",
            &[
                ("body_id", &t.a.to_string()),
                ("username", "admin.root"),
                ("display_name", "重名"),
            ],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("用户名已存在"));
}

async fn public_pages_api_errors_and_headers(db: Db) {
    let app = TestApp::spawn(db).await;
    let b = Browser::new(&app);
    let r = b.get(&format!("/bodies/{}", app.tree.a)).await;
    assert_eq!(r.status(), 200);
    let h = r.headers().clone();
    assert!(
        h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    assert!(
        !h["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("unsafe-inline")
    );
    assert_eq!(h["x-content-type-options"], "nosniff");
    assert!(h.contains_key("referrer-policy"));
    assert!(h.contains_key("x-request-id"));
    assert!(
        !h.contains_key("strict-transport-security"),
        "no HSTS without TLS"
    );
    assert!(r.text().await.unwrap().contains("测试县甲局"));
    // Chinese error pages.
    let r = b.get("/no/such/page").await;
    assert_eq!(r.status(), 404);
    assert!(r.text().await.unwrap().contains("页面不存在"));
    // JSON errors with stable codes.
    let r = b.get("/api/v1/bodies/abc").await;
    assert_eq!(r.status(), 400);
    let j: serde_json::Value = r.json().await.unwrap();
    assert_eq!(j["error"]["code"], "bad_request");
    let r = b.get("/api/v1/bodies/999999").await;
    assert_eq!(r.status(), 404);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let r = b.get("/api/v1/nothing-here").await;
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["error"]["code"],
        "not_found"
    );
    let j: serde_json::Value = b.get("/api/v1/bodies").await.json().await.unwrap();
    assert_eq!(j["items"].as_array().unwrap().len(), 4);
    // Oversized requests are refused before they are read.
    // Oversized requests are refused from their declared length, before the body is read.
    {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = app.base.trim_start_matches("http://").to_string();
        let mut sock = tokio::net::TcpStream::connect(&host).await.unwrap();
        let req = format!(
            "POST /login HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
            3 * 1024 * 1024
        );
        sock.write_all(req.as_bytes()).await.unwrap();
        let mut buf = vec![0u8; 4096];
        let n = sock.read(&mut buf).await.unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        assert!(head.starts_with("HTTP/1.1 413"), "{head}");
    }
    // Health and metrics.
    let r = b.get("/healthz").await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["database"],
        "ok"
    );
    assert_eq!(
        b.get("/metrics").await.status(),
        403,
        "loopback is not allowed unless configured"
    );
    // HSTS when the site is served over TLS.
    let tls = TestApp::spawn_with(db, |c| {
        c.public_url = Some("https://gk.example.gov.cn".into())
    })
    .await;
    let r = Browser::new(&tls).get("/").await;
    assert!(r.headers().contains_key("strict-transport-security"));
}
