//! Signing in (password, then the second factor), signing out, changing the password, enrolling
//! the TOTP second factor with recovery codes, and the account's own sessions.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::password::{hash_password, verify_password};
use gongkai_store::sessions::SessionListRow;
use serde::Deserialize;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::AppState;
use crate::auth::{
    AnySession, Ip, MaybeAuthed, Pending, SESSION_COOKIE, cookie, encode_next, random_token,
    safe_next, set_cookie, sha256_hex,
};
use crate::error::AppError;
use crate::views::{Chrome, FormErrors, fmt_ms};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub chrome: Chrome,
    pub username: String,
    /// The page to land on after signing in (empty: the dashboard).
    pub next: String,
    pub errors: FormErrors,
}

/// Where sign-in was asked to lead (`?next=`), kept only when it is a safe place to land.
#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    pub next: String,
}

/// `next` if it is a safe place to land, else empty.
fn checked_next(next: &str) -> String {
    if safe_next(next) {
        next.to_string()
    } else {
        String::new()
    }
}

/// Where to go once signed in: `next`, or the dashboard.
fn landing(next: &str) -> String {
    if safe_next(next) {
        next.to_string()
    } else {
        "/admin".to_string()
    }
}

/// The login page; sets the pre-session CSRF cookie if the browser has none.
pub async fn view_login_get(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> Response {
    if a.is_some_and(|a| a.pending(&state) == Pending::None) {
        return Redirect::to(&landing(&q.next)).into_response();
    }
    login_page(
        &state,
        &headers,
        String::new(),
        checked_next(&q.next),
        FormErrors::default(),
    )
}

fn login_page(
    state: &AppState,
    headers: &HeaderMap,
    username: String,
    next: String,
    errors: FormErrors,
) -> Response {
    let (token, set) = crate::auth::form_token(state, headers, None);
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = LoginPage {
        chrome: Chrome::anonymous(state, "工作人员登录", &token),
        username,
        next,
        errors,
    };
    crate::auth::with_cookie((status, page).into_response(), set)
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub next: String,
}

/// An argon2id hash of a random password: verifying against it when the account does not exist
/// takes as long as a real check, so response time does not reveal which usernames exist.
static DUMMY_HASH: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password(&random_token()).unwrap_or_default());

pub async fn view_login_post(
    State(state): State<AppState>,
    Ip(ip): Ip,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    let username = f.username.trim().to_string();
    let next = checked_next(&f.next);
    let fail = |msg: &str| {
        login_page(
            &state,
            &headers,
            username.clone(),
            next.clone(),
            FormErrors::general(msg),
        )
    };
    if username.is_empty() || f.password.is_empty() {
        return Ok(fail("请输入用户名和密码"));
    }
    let generic = "用户名或密码错误";
    let policy = &state.config.policy;
    let Some(user) = state.store.find_user(&username).await? else {
        let _ = verify_password(&DUMMY_HASH, &f.password);
        state
            .store
            .audit(
                gongkai_domain::audit::AuditEvent::new("login.failure", "user", "")
                    .by(None, &username, &ip)
                    .after(serde_json::json!({"reason": "unknown_user"})),
            )
            .await?;
        return Ok(fail(generic));
    };
    let now = gongkai_store::now_ms();
    if let Some(until) = user.locked_until.filter(|u| *u > now) {
        let _ = verify_password(&DUMMY_HASH, &f.password);
        state
            .store
            .audit(
                gongkai_domain::audit::AuditEvent::new("login.failure", "user", user.id)
                    .by(Some(user.id), &user.username, &ip)
                    .body(Some(user.body_id))
                    .after(serde_json::json!({"reason": "locked"})),
            )
            .await?;
        return Ok(fail(&format!(
            "账号因连续登录失败已被锁定，请于{}后再试，或联系管理员解锁",
            fmt_ms(until)
        )));
    }
    if user.disabled || !verify_password(&user.password_hash, &f.password) {
        let reason = if user.disabled {
            "disabled"
        } else {
            "bad_password"
        };
        let locked = state
            .store
            .record_login_failure(
                &user,
                policy.lockout_threshold,
                policy.lockout_minutes,
                &ip,
                reason,
            )
            .await?;
        if locked {
            return Ok(fail(&format!(
                "连续登录失败次数过多，账号已被锁定{}分钟",
                policy.lockout_minutes
            )));
        }
        return Ok(fail(generic));
    }
    // A fresh token at every sign-in: a token planted before sign-in is worthless after it.
    if let Some(old) = cookie(&headers, SESSION_COOKIE) {
        state
            .store
            .end_session(&sha256_hex(&old), "replaced", None)
            .await?;
    }
    let token = random_token();
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect::<String>();
    state
        .store
        .create_session(
            &sha256_hex(&token),
            user.id,
            &ip,
            &ua,
            &random_token(),
            !user.totp_enabled,
        )
        .await?;
    state
        .store
        .record_login_success(&user, &ip, "password")
        .await?;
    let to = if user.totp_enabled {
        if next.is_empty() {
            "/login/totp".to_string()
        } else {
            format!("/login/totp?next={}", encode_next(&next))
        }
    } else {
        landing(&next)
    };
    let mut r = Redirect::to(&to).into_response();
    let c = set_cookie(&state, SESSION_COOKIE, &token, None);
    if let Ok(v) = c.parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Template, WebTemplate)]
#[template(path = "totp_login.html")]
pub struct TotpLoginPage {
    pub chrome: Chrome,
    pub next: String,
    pub errors: FormErrors,
}

pub async fn view_totp_get(
    State(state): State<AppState>,
    AnySession(a): AnySession,
    Query(q): Query<NextQuery>,
) -> Result<Response, AppError> {
    if a.pending(&state) != Pending::SecondFactor {
        return Ok(Redirect::to(&landing(&q.next)).into_response());
    }
    Ok(TotpLoginPage {
        chrome: Chrome::anonymous(&state, "二次验证", &a.session.csrf_token),
        next: checked_next(&q.next),
        errors: FormErrors::default(),
    }
    .into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub next: String,
}

/// Build the TOTP checker of RFC 6238 (SHA-1, 6 digits, 30 s, ±1 step) for a base32 secret.
pub fn totp_for(secret_b32: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_b32.to_string()).to_bytes().ok()?;
    TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Gongkai".to_string()),
        account.to_string(),
    )
    .ok()
}

/// The account's TOTP secret in clear: sealed at rest with `secrets.key` (rows from before
/// sealing are read as they are until the start-up pass seals them).
pub fn totp_secret(state: &AppState, user: &gongkai_store::users::User) -> String {
    match user.totp_secret.as_deref() {
        Some(v) if v.starts_with("v1:") => state.seal.open(v).unwrap_or_default(),
        Some(v) => v.to_string(),
        None => String::new(),
    }
}

/// The 30-second time step whose code `code` is — the current one or one either side (clock
/// drift) — so that it can be accepted once (RFC 6238 §4, §5.2).
fn matching_step(t: &TOTP, code: &str) -> Option<u64> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?
        .as_secs();
    let step = now / 30;
    [step.saturating_sub(1), step, step + 1]
        .into_iter()
        .find(|s| crate::auth::constant_eq(&t.generate(s * 30), code))
}

/// Check a TOTP code of the account and use it up: false when wrong or already used.
async fn use_totp_code(
    state: &AppState,
    user: &gongkai_store::users::User,
    code: &str,
) -> Result<bool, AppError> {
    if code.len() != 6 {
        return Ok(false);
    }
    let Some(step) =
        totp_for(&totp_secret(state, user), &user.username).and_then(|t| matching_step(&t, code))
    else {
        return Ok(false);
    };
    Ok(state
        .store
        .accept_totp_step(user.id, i64::try_from(step).unwrap_or(i64::MAX))
        .await?)
}

fn normalise_code(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

pub async fn view_totp_post(
    State(state): State<AppState>,
    AnySession(a): AnySession,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    if a.pending(&state) != Pending::SecondFactor {
        return Ok(Redirect::to(&landing(&f.next)).into_response());
    }
    let code = normalise_code(&f.code);
    let ok_totp = use_totp_code(&state, &a.user, &code).await?;
    let ok = ok_totp
        || (code.len() > 6
            && state
                .store
                .use_recovery_code(a.user.id, &sha256_hex(&code))
                .await?);
    if !ok {
        let policy = &state.config.policy;
        let locked = state
            .store
            .record_login_failure(
                &a.user,
                policy.lockout_threshold,
                policy.lockout_minutes,
                &a.ip,
                "bad_totp",
            )
            .await?;
        if locked {
            state
                .store
                .end_session(&a.session_key, "locked", None)
                .await?;
            return Ok(Redirect::to("/login").into_response());
        }
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            TotpLoginPage {
                chrome: Chrome::anonymous(&state, "二次验证", &a.session.csrf_token),
                next: checked_next(&f.next),
                errors: FormErrors::general(
                    "动态码或恢复码不正确，或该动态码已使用过（动态码每30秒更新一次，每个只能使用一次），请输入新的动态码",
                ),
            },
        )
            .into_response());
    }
    state.store.set_session_mfa_verified(&a.session_key).await?;
    let step = if ok_totp { "totp" } else { "recovery_code" };
    state
        .store
        .record_login_success(&a.user, &a.ip, step)
        .await?;
    Ok(Redirect::to(&landing(&f.next)).into_response())
}

pub async fn logout(
    State(state): State<AppState>,
    AnySession(a): AnySession,
) -> Result<Response, AppError> {
    state
        .store
        .end_session(&a.session_key, "logout", Some(&a.who()))
        .await?;
    let mut r = Redirect::to("/login").into_response();
    if let Ok(v) = set_cookie(&state, SESSION_COOKIE, "", Some(0)).parse() {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(r)
}

#[derive(Template, WebTemplate)]
#[template(path = "password.html")]
pub struct PasswordPage {
    pub chrome: Chrome,
    pub forced: bool,
    /// Why a new password is required now (shown when `forced`).
    pub reason: String,
    pub rules: String,
    pub errors: FormErrors,
    pub done: bool,
}

fn rules_text(state: &AppState) -> String {
    let p = &state.config.policy;
    let mut s = format!("至少{}个字符", p.min_length);
    if p.require_character_classes {
        s.push_str("，须同时包含大写字母、小写字母、数字和符号");
    }
    s.push_str("，不能与用户名相同，不能使用常见密码");
    if let Some(d) = p.max_age_days {
        s.push_str(&format!("；密码每{d}天须更换一次"));
    }
    s
}

/// Which case makes the password change compulsory.
fn forced_reason(state: &AppState, a: &crate::auth::Authed) -> String {
    let u = &a.user;
    if u.must_change_password {
        if u.password_changed_at <= u.created_at {
            "您正在使用管理员设置的初始密码，请先设置只有您本人知道的新密码。".into()
        } else {
            "您的密码已被管理员重置，请先设置只有您本人知道的新密码。".into()
        }
    } else if let Some(d) = state.config.policy.max_age_days {
        format!("按照安全策略，密码须每{d}天更换一次。您的密码已超过{d}天未更换，请先设置新密码。")
    } else {
        "请先设置新密码。".into()
    }
}

async fn password_chrome(state: &AppState, a: &crate::auth::Authed) -> Chrome {
    if a.pending(state) == Pending::None {
        Chrome::admin(state, a, "修改密码", "/account/password").await
    } else {
        Chrome::anonymous(state, "修改密码", &a.session.csrf_token)
    }
}

pub async fn view_password_get(
    State(state): State<AppState>,
    AnySession(a): AnySession,
) -> Result<PasswordPage, AppError> {
    if a.pending(&state) == Pending::SecondFactor {
        return Err(AppError::Redirect("/login/totp".into()));
    }
    Ok(PasswordPage {
        chrome: password_chrome(&state, &a).await,
        forced: a.pending(&state) == Pending::PasswordChange,
        reason: forced_reason(&state, &a),
        rules: rules_text(&state),
        errors: FormErrors::default(),
        done: false,
    })
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    pub current: String,
    #[serde(default)]
    pub new_password: String,
    #[serde(default)]
    pub confirm: String,
}

pub async fn view_password_post(
    State(state): State<AppState>,
    AnySession(a): AnySession,
    Form(f): Form<PasswordForm>,
) -> Result<Response, AppError> {
    if a.pending(&state) == Pending::SecondFactor {
        return Err(AppError::Redirect("/login/totp".into()));
    }
    let mut errors = FormErrors::default();
    if !verify_password(&a.user.password_hash, &f.current) {
        errors.field("current", "当前密码不正确");
    }
    if f.new_password != f.confirm {
        errors.field("confirm", "两次输入的新密码不一致");
    }
    if f.new_password == f.current {
        errors.field("new_password", "新密码不能与当前密码相同");
    }
    if let Err(problems) = state
        .config
        .policy
        .check_new_password(&a.user.username, &f.new_password)
    {
        errors.field("new_password", problems.join("；"));
    }
    if !errors.is_empty() {
        return Ok((
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            PasswordPage {
                chrome: password_chrome(&state, &a).await,
                forced: a.pending(&state) == Pending::PasswordChange,
                reason: forced_reason(&state, &a),
                rules: rules_text(&state),
                errors,
                done: false,
            },
        )
            .into_response());
    }
    let hash = hash_password(&f.new_password).map_err(AppError::Internal)?;
    state
        .store
        .set_password(a.user.id, &hash, false, &a.who())
        .await?;
    // Other sessions of this account end; this one goes on.
    state
        .store
        .end_user_sessions(a.user.id, "password_changed", Some(&a.session_key))
        .await?;
    Ok(Redirect::to("/admin").into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "totp_setup.html")]
pub struct TotpSetupPage {
    pub chrome: Chrome,
    pub enabled: bool,
    pub secret: String,
    /// The secret in groups of four, for typing it in by hand.
    pub secret_grouped: String,
    pub otpauth: String,
    pub qr_svg: String,
    pub errors: FormErrors,
    pub recovery_codes: Vec<String>,
    pub unused_codes: i64,
}

fn qr_svg(data: &str) -> String {
    match qrcode::QrCode::new(data.as_bytes()) {
        Ok(code) => code
            .render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .build(),
        Err(_) => String::new(),
    }
}

async fn setup_page(
    state: &AppState,
    a: &crate::auth::Authed,
    errors: FormErrors,
) -> Result<TotpSetupPage, AppError> {
    let chrome = if a.pending(state) == Pending::None {
        Chrome::admin(state, a, "二次验证设置", "/account/totp").await
    } else {
        Chrome::anonymous(state, "设置二次验证", &a.session.csrf_token)
    };
    if a.user.totp_enabled {
        return Ok(TotpSetupPage {
            chrome,
            enabled: true,
            secret: String::new(),
            secret_grouped: String::new(),
            otpauth: String::new(),
            qr_svg: String::new(),
            errors,
            recovery_codes: vec![],
            unused_codes: state.store.unused_recovery_codes(a.user.id).await?,
        });
    }
    let secret = match totp_secret(state, &a.user) {
        s if !s.is_empty() => s,
        _ => {
            let s = Secret::generate_secret().to_encoded().to_string();
            state
                .store
                .set_pending_totp(a.user.id, &state.seal.seal(&s))
                .await?;
            s
        }
    };
    let otpauth = totp_for(&secret, &a.user.username)
        .map(|t| t.get_url())
        .unwrap_or_default();
    Ok(TotpSetupPage {
        chrome,
        enabled: false,
        qr_svg: qr_svg(&otpauth),
        secret_grouped: crate::views::group4(&secret),
        secret,
        otpauth,
        errors,
        recovery_codes: vec![],
        unused_codes: 0,
    })
}

pub async fn view_totp_setup_get(
    State(state): State<AppState>,
    AnySession(a): AnySession,
) -> Result<TotpSetupPage, AppError> {
    if a.pending(&state) == Pending::SecondFactor {
        return Err(AppError::Redirect("/login/totp".into()));
    }
    if a.pending(&state) == Pending::PasswordChange {
        return Err(AppError::Redirect("/account/password".into()));
    }
    setup_page(&state, &a, FormErrors::default()).await
}

/// Ten single-use recovery codes like `k3m9p-x2q7w`.
fn recovery_codes() -> Vec<String> {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..10)
        .map(|_| {
            let s: String = (0..10)
                .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
                .collect();
            format!("{}-{}", &s[..5], &s[5..])
        })
        .collect()
}

pub async fn view_totp_setup_post(
    State(state): State<AppState>,
    AnySession(a): AnySession,
    Form(f): Form<CodeForm>,
) -> Result<Response, AppError> {
    if a.pending(&state) == Pending::SecondFactor || a.user.totp_enabled {
        return Ok(Redirect::to("/account/totp").into_response());
    }
    let code = normalise_code(&f.code);
    // The enrolment code is used up too: it cannot sign in a second session.
    let ok = use_totp_code(&state, &a.user, &code).await?;
    if !ok {
        let page = setup_page(
            &state,
            &a,
            FormErrors::general("动态码不正确，请核对手机验证器上显示的6位动态码后重新输入"),
        )
        .await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, page).into_response());
    }
    let codes = recovery_codes();
    let hashes: Vec<String> = codes.iter().map(|c| sha256_hex(c)).collect();
    state
        .store
        .enable_totp(a.user.id, &hashes, &a.who())
        .await?;
    state.store.set_session_mfa_verified(&a.session_key).await?;
    let mut page = setup_page(&state, &a, FormErrors::default()).await?;
    page.enabled = true;
    page.recovery_codes = codes;
    page.unused_codes = 10;
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "sessions.html")]
pub struct SessionsPage {
    pub chrome: Chrome,
    pub sessions: Vec<SessionListRow>,
    pub current: String,
}

impl SessionsPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }

    pub fn device(&self, ua: &str) -> String {
        crate::views::ua_summary(ua)
    }
}

/// The cut-offs below which a session no longer works: (created after, last seen after).
pub fn live_limits(state: &AppState) -> (i64, i64) {
    let now = gongkai_store::now_ms();
    let p = &state.config.policy;
    let created = now - i64::from(p.absolute_hours()) * 3_600_000;
    let seen = p
        .idle_timeout_minutes
        .map(|m| now - i64::from(m) * 60_000)
        .unwrap_or(0);
    (created, seen)
}

pub async fn view_sessions(
    State(state): State<AppState>,
    crate::auth::Staff(a): crate::auth::Staff,
) -> Result<SessionsPage, AppError> {
    let (c, s) = live_limits(&state);
    Ok(SessionsPage {
        chrome: Chrome::admin(&state, &a, "登录设备", "/account/sessions")
            .await
            .with_done(&a),
        sessions: state.store.list_sessions(a.user.id, c, s).await?,
        current: a.session_key.clone(),
    })
}

#[derive(Deserialize)]
pub struct EndSessionForm {
    pub session: String,
}

/// End one of the user's own sessions (never anyone else's through this route).
pub async fn end_own_session(
    State(state): State<AppState>,
    crate::auth::Staff(a): crate::auth::Staff,
    Form(f): Form<EndSessionForm>,
) -> Result<Response, AppError> {
    let s = state
        .store
        .get_session(&f.session)
        .await?
        .ok_or(AppError::NotFound)?;
    if s.user_id != a.user.id {
        return Err(AppError::Forbidden);
    }
    state
        .store
        .end_session(&f.session, "ended_by_user", Some(&a.who()))
        .await?;
    if f.session == a.session_key {
        return Ok(Redirect::to("/login").into_response());
    }
    Ok(Redirect::to("/account/sessions?done=session_ended").into_response())
}
