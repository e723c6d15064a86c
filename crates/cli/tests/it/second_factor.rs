//! Second factors: a TOTP code signs in once (RFC 6238 §5.2), also when two sign-ins race; the
//! secret is sealed at rest, and secrets stored in clear by earlier versions are sealed.

use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use gongkai_store::users::NewUser;

use crate::both_backends;
use crate::support::{Browser, Db, PASSWORD, TOTP_SECRET, TestApp, fresh_code, location};

both_backends!(a_totp_code_signs_in_once, totp_secrets_are_sealed_at_rest);

async fn a_totp_code_signs_in_once(db: Db) {
    let app = TestApp::spawn(db).await;
    app.staff("zhao.liu", Some(Role::Editor), app.tree.a).await;
    let code = fresh_code(&app.base, "zhao.liu", TOTP_SECRET).await;
    let first = Browser::new(&app);
    first.login_password("zhao.liu", PASSWORD).await;
    let r = first.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(location(&r), "/admin");
    // The same code again, from another browser: refused, and counted as a failure.
    let second = Browser::new(&app);
    second.login_password("zhao.liu", PASSWORD).await;
    let r = second.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("已使用过"));
    assert_eq!(
        location(&second.get("/admin").await),
        "/login/totp",
        "the replayed code did not sign in"
    );
    // Two sign-ins racing with one fresh code: exactly one gets in.
    let code = fresh_code(&app.base, "zhao.liu", TOTP_SECRET).await;
    let (a, b) = (Browser::new(&app), Browser::new(&app));
    a.login_password("zhao.liu", PASSWORD).await;
    b.login_password("zhao.liu", PASSWORD).await;
    let form = [("code", code.as_str())];
    let (ra, rb) = tokio::join!(
        a.post_form("/login/totp", &form),
        b.post_form("/login/totp", &form)
    );
    let ok = [location(&ra), location(&rb)]
        .iter()
        .filter(|l| *l == "/admin")
        .count();
    assert_eq!(ok, 1, "one code, one session");
}

async fn totp_secrets_are_sealed_at_rest(db: Db) {
    let app = TestApp::spawn(db).await;
    // A new account enrols through the form: what the database holds is sealed.
    app.store
        .create_user(
            &NewUser {
                body_id: app.tree.a,
                username: "qian.qi".into(),
                display_name: "钱七".into(),
                password_hash: gongkai_domain::password::hash_password(PASSWORD).unwrap(),
                must_change_password: false,
                roles: vec![Role::Editor],
            },
            &Who::system(),
        )
        .await
        .unwrap();
    let b = Browser::new(&app);
    b.login_password("qian.qi", PASSWORD).await;
    assert_eq!(location(&b.get("/admin").await), "/account/totp");
    let (_, page) = b.get_text("/account/totp").await;
    let secret = regex::Regex::new(r#"<code class="secret">([A-Z2-7 ]+)</code>"#)
        .unwrap()
        .captures(&page)
        .unwrap()[1]
        .replace(' ', "");
    let stored = app
        .store
        .find_user("qian.qi")
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap();
    assert!(stored.starts_with("v1:"), "sealed: {stored}");
    assert!(!stored.contains(&secret[..16]));
    let code = fresh_code(&app.base, "qian.qi", &secret).await;
    let r = b.post_form("/account/totp", &[("code", &code)]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(b.get("/admin").await.status(), 200);
    // The enrolment code cannot sign in another session.
    let other = Browser::new(&app);
    other.login_password("qian.qi", PASSWORD).await;
    let r = other.post_form("/login/totp", &[("code", &code)]).await;
    assert_eq!(r.status(), 422);
    // Secrets stored in clear (earlier versions; the test accounts) are sealed by the pass that
    // runs at start, and still sign in.
    app.staff("sun.ba", Some(Role::Editor), app.tree.a).await;
    let key = gongkai_domain::seal::SealKey::generate();
    let n = app.store.seal_totp_secrets(|s| key.seal(s)).await.unwrap();
    assert!(n >= 1);
    let sealed = app
        .store
        .find_user("sun.ba")
        .await
        .unwrap()
        .unwrap()
        .totp_secret
        .unwrap();
    assert!(sealed.starts_with("v1:"));
    assert_eq!(key.open(&sealed).unwrap(), TOTP_SECRET);
    assert_eq!(
        app.store.seal_totp_secrets(|s| key.seal(s)).await.unwrap(),
        0,
        "once"
    );
}
