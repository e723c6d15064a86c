//! Sessions and signed-in accounts: cookie handling, expiry under the security policy, the
//! states a session passes through (second factor pending, password change required, second
//! factor enrolment required), and the extractors handlers use.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use base64::Engine;
use gongkai_domain::access::{Actor, Permission, Scope};
use gongkai_domain::audit::Who;
use gongkai_store::sessions::Session;
use gongkai_store::users::User;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::AppError;
use crate::middleware::ClientIp;

pub const SESSION_COOKIE: &str = "gk_session";
pub const CSRF_COOKIE: &str = "gk_csrf";

/// A random token, URL-safe base64 of 32 bytes.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut b);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// Constant-time comparison of two tokens.
pub fn constant_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name`, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// A `Set-Cookie` value: HttpOnly, SameSite=Lax, Path=/, Secure behind TLS.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age_secs: Option<i64>) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(a) = max_age_secs {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if state.config.tls() {
        c.push_str("; Secure");
    }
    c
}

/// The token a form must carry: the session's for a signed-in user, otherwise the visitor's
/// `gk_csrf` cookie (created when missing: the second value is then the `Set-Cookie` to send).
pub fn form_token(
    state: &AppState,
    headers: &HeaderMap,
    authed: Option<&Authed>,
) -> (String, Option<String>) {
    if let Some(a) = authed {
        return (a.session.csrf_token.clone(), None);
    }
    match cookie(headers, CSRF_COOKIE) {
        Some(t) if t.len() >= 32 => (t, None),
        _ => {
            let t = random_token();
            let c = set_cookie(state, CSRF_COOKIE, &t, None);
            (t, Some(c))
        }
    }
}

/// Add a `Set-Cookie` header to a response when there is one to send.
pub fn with_cookie(
    mut r: axum::response::Response,
    set: Option<String>,
) -> axum::response::Response {
    if let Some(c) = set
        && let Ok(v) = c.parse()
    {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

/// A signed-in account with a live session.
#[derive(Debug, Clone)]
pub struct Authed {
    pub session: Session,
    pub user: User,
    pub actor: Actor,
    /// The session's token hash (its key in the database).
    pub session_key: String,
    pub ip: String,
    /// Bodies the account may act for (where it holds a grant), for the body switcher.
    pub acting_body_id: Option<i64>,
    /// The `done` flag of the request's query (`?done=saved` after a redirect), which the
    /// back-office chrome turns into a success notice.
    pub done: Option<String>,
}

/// What still stands between a session and the back office.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    None,
    SecondFactor,
    PasswordChange,
    TotpEnrolment,
}

impl Authed {
    pub fn who(&self) -> Who {
        Who {
            user_id: Some(self.user.id),
            name: self.user.username.clone(),
            ip: self.ip.clone(),
        }
    }

    pub fn pending(&self, state: &AppState) -> Pending {
        let policy = &state.config.policy;
        if self.user.totp_enabled && !self.session.mfa_verified {
            return Pending::SecondFactor;
        }
        let expired = policy.max_age_days.is_some_and(|d| {
            gongkai_store::now_ms() - self.user.password_changed_at > i64::from(d) * 86_400_000
        });
        if self.user.must_change_password || expired {
            return Pending::PasswordChange;
        }
        if policy.require_totp && !self.user.totp_enabled {
            return Pending::TotpEnrolment;
        }
        Pending::None
    }

    /// The scope of `perm`, narrowed to the body chosen in the body switcher.
    pub fn scope(&self, perm: Permission, acting_path: Option<&str>) -> Scope {
        let s = self.actor.scope(perm);
        match acting_path {
            Some(p) if s.contains(p) => Scope {
                roots: vec![p.to_string()],
            },
            _ => s,
        }
    }
}

/// Look up the session named by the cookie, apply the policy's limits (ending it if it has
/// expired or the account is disabled) and load the account and its grants.
pub async fn load_session(
    state: &AppState,
    headers: &HeaderMap,
    ip: &str,
) -> Result<Option<Authed>, AppError> {
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let key = sha256_hex(&token);
    let Some(session) = state.store.get_session(&key).await? else {
        return Ok(None);
    };
    let policy = &state.config.policy;
    let now = gongkai_store::now_ms();
    let absolute = i64::from(policy.absolute_hours()) * 3_600_000;
    if now - session.created_at > absolute {
        state.store.end_session(&key, "expired", None).await?;
        return Ok(None);
    }
    if let Some(idle) = policy.idle_timeout_minutes
        && now - session.last_seen_at > i64::from(idle) * 60_000
    {
        state.store.end_session(&key, "idle", None).await?;
        return Ok(None);
    }
    let user = state.store.get_user(session.user_id).await?;
    if user.disabled {
        state.store.end_session(&key, "disabled", None).await?;
        return Ok(None);
    }
    // Writing on every request would serialise reads behind the writer; a minute's precision
    // is enough for an idle limit counted in tens of minutes.
    if now - session.last_seen_at > 30_000 {
        state.store.touch_session(&key, now).await?;
    }
    let grants = state
        .store
        .grants_of(user.id)
        .await?
        .iter()
        .filter_map(|g| g.grant())
        .collect();
    let actor = Actor {
        user_id: user.id,
        username: user.username.clone(),
        display_name: user.display_name.clone(),
        body_id: user.body_id,
        grants,
    };
    Ok(Some(Authed {
        acting_body_id: session.acting_body_id,
        session,
        user,
        actor,
        session_key: key,
        ip: ip.to_string(),
        done: None,
    }))
}

/// Whether `next` is a safe place to land after signing in: a path of this site under `/admin`
/// or `/account`, never another origin.
pub fn safe_next(next: &str) -> bool {
    let path = next.split(['?', '#']).next().unwrap_or("");
    let under = |root: &str| path == root || path.starts_with(&format!("{root}/"));
    (under("/admin") || under("/account"))
        && !path.split('/').any(|seg| seg == "." || seg == "..")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// `next` URL-encoded for a query string.
pub fn encode_next(next: &str) -> String {
    form_urlencoded::byte_serialize(next.as_bytes()).collect()
}

/// Where to send a request that needs a session: the sign-in page, carrying the requested page
/// as `?next=` when it is a back-office or account page read with GET (`/admin` itself is where
/// sign-in lands anyway).
fn sign_in_first(parts: &Parts) -> AppError {
    let target = parts
        .uri
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/admin");
    if parts.method == axum::http::Method::GET && target != "/admin" && safe_next(target) {
        AppError::Redirect(format!("/login?next={}", encode_next(target)))
    } else {
        AppError::Unauthenticated
    }
}

/// Any live session, whatever is still pending (for the sign-in steps and account pages).
pub struct AnySession(pub Authed);

impl FromRequestParts<AppState> for AnySession {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _s: &AppState) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<Authed>()
            .cloned()
            .map(AnySession)
            .ok_or_else(|| sign_in_first(parts))
    }
}

/// A fully signed-in staff member with at least one role; otherwise the browser is sent to the
/// step still pending.
pub struct Staff(pub Authed);

impl FromRequestParts<AppState> for Staff {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, s: &AppState) -> Result<Self, AppError> {
        let a = parts
            .extensions
            .get::<Authed>()
            .cloned()
            .ok_or_else(|| sign_in_first(parts))?;
        match a.pending(s) {
            Pending::SecondFactor => return Err(AppError::Redirect("/login/totp".into())),
            Pending::PasswordChange => return Err(AppError::Redirect("/account/password".into())),
            Pending::TotpEnrolment => return Err(AppError::Redirect("/account/totp".into())),
            Pending::None => {}
        }
        if !a.actor.has_anywhere(Permission::ViewBackOffice) {
            return Err(AppError::Forbidden);
        }
        Ok(Staff(a))
    }
}

/// The client address (set by the session middleware).
pub struct Ip(pub String);

impl FromRequestParts<AppState> for Ip {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _s: &AppState) -> Result<Self, AppError> {
        Ok(Ip(parts
            .extensions
            .get::<ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_else(|| "unknown".into())))
    }
}

/// The optional signed-in account, for public pages that show a "back office" link.
pub struct MaybeAuthed(pub Option<Authed>);

impl FromRequestParts<AppState> for MaybeAuthed {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _s: &AppState) -> Result<Self, AppError> {
        Ok(MaybeAuthed(parts.extensions.get::<Authed>().cloned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site_and_in_the_back_office() {
        for ok in [
            "/admin",
            "/admin/users/3",
            "/admin/audit?actor=x",
            "/account/sessions",
        ] {
            assert!(safe_next(ok), "{ok}");
        }
        for bad in [
            "",
            "/",
            "//evil.example/admin",
            "https://evil.example/admin",
            "/administrator",
            "/admin/../login",
            "/admin\\x",
            "/admin//evil",
            "/login",
            "/admin\n",
        ] {
            assert!(!safe_next(bad), "{bad:?}");
        }
    }
}
