//! The public portal: home, the body tree, each body's 职责公开 and leaders pages, and the
//! operational endpoints `/healthz` and `/metrics`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::Permission;
use gongkai_domain::body::Leader;
use gongkai_store::bodies::Body;

use crate::AppState;
use crate::auth::{Ip, MaybeAuthed};
use crate::error::AppError;
use crate::views::Chrome;

#[derive(Template, WebTemplate)]
#[template(path = "home.html")]
pub struct HomePage {
    pub chrome: Chrome,
    pub root: Option<Body>,
    pub bodies: Vec<Body>,
    pub latest: Vec<gongkai_store::disclosure::PublicListRow>,
    pub notices: Vec<gongkai_store::disclosure::PublicListRow>,
    /// The root body publishes charts of its dashboard.
    pub root_dashboard: bool,
}

pub async fn view_home(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<HomePage, AppError> {
    let bodies = state.store.list_bodies().await?;
    let root = bodies.iter().find(|b| b.parent_id.is_none()).cloned();
    let title = root
        .as_ref()
        .map(|r| r.name.clone())
        .unwrap_or_else(|| state.config.site_name.clone());
    use gongkai_store::browse::{BrowseFilter, Cursor, Order};
    let page = |f: BrowseFilter, n: i64| {
        let store = state.store.clone();
        async move {
            store
                .browse_public(&f, Order::default(), Cursor::First, n)
                .await
                .map(|(rows, _)| rows)
        }
    };
    let latest = page(BrowseFilter::default(), 10).await?;
    let notice_cats = state.store.categories_with_key("notice").await?;
    let notices = page(
        BrowseFilter {
            category_ids: Some(notice_cats),
            ..Default::default()
        },
        6,
    )
    .await?;
    let mut chrome = Chrome::public(&state, &title, a.as_ref());
    chrome.feed = Some(("最新公开信息".into(), "/feeds/items.atom".into()));
    let root_dashboard = match &root {
        Some(r) => !state.store.public_charts(r.id).await?.is_empty(),
        None => false,
    };
    Ok(HomePage {
        chrome,
        root_dashboard,
        root,
        bodies,
        latest,
        notices,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "bodies.html")]
pub struct BodiesPage {
    pub chrome: Chrome,
    pub bodies: Vec<Body>,
}

pub async fn view_bodies(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<BodiesPage, AppError> {
    Ok(BodiesPage {
        chrome: Chrome::public(&state, "机构设置", a.as_ref()),
        bodies: state.store.list_bodies().await?,
    })
}

/// A body's number from the address; anything else is a page that does not exist.
fn body_id(s: &str) -> Result<i64, AppError> {
    s.parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or(AppError::NotFound)
}

#[derive(Template, WebTemplate)]
#[template(path = "body.html")]
pub struct BodyPage {
    pub chrome: Chrome,
    pub body: Body,
    pub parent: Option<Body>,
    pub children: Vec<Body>,
    pub duties: Vec<String>,
    /// The body publishes at least one chart of its dashboard.
    pub dashboard: bool,
}

pub async fn view_body(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<BodyPage, AppError> {
    let id = body_id(&id)?;
    let bodies = state.store.list_bodies().await?;
    let body = bodies
        .iter()
        .find(|b| b.id == id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let parent = body
        .parent_id
        .and_then(|p| bodies.iter().find(|b| b.id == p).cloned());
    let children = bodies
        .into_iter()
        .filter(|b| b.parent_id == Some(id))
        .collect();
    let duties = body
        .duties
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect();
    Ok(BodyPage {
        chrome: Chrome::public(&state, &format!("{} · 机构职能", body.name), a.as_ref()),
        dashboard: !state.store.public_charts(body.id).await?.is_empty(),
        body,
        parent,
        children,
        duties,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "leaders.html")]
pub struct LeadersPage {
    pub chrome: Chrome,
    pub body: Body,
    pub leaders: Vec<Leader>,
}

pub async fn view_leaders(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
) -> Result<LeadersPage, AppError> {
    let body = state.store.get_body(body_id(&id)?).await?;
    Ok(LeadersPage {
        chrome: Chrome::public(&state, &format!("{} · 领导信息", body.name), a.as_ref()),
        leaders: body.leaders(),
        body,
    })
}

const CSS: &str = include_str!("../../static/app.css");

pub async fn static_css() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=3600"),
            ),
        ],
        CSS,
    )
        .into_response()
}

/// Liveness and a database round trip.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => axum::Json(serde_json::json!({
            "status": "ok", "database": "ok", "backend": state.store.backend_name(),
        }))
        .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(serde_json::json!({"status": "error", "database": "unreachable"})),
            )
                .into_response()
        }
    }
}

/// Prometheus metrics, for configured addresses or signed-in administrators.
pub async fn metrics(
    State(state): State<AppState>,
    Ip(ip): Ip,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<Response, AppError> {
    let allowed_ip = ip
        .parse::<std::net::IpAddr>()
        .is_ok_and(|ip| state.config.metrics_allow.iter().any(|n| n.contains(&ip)));
    let admin = a.as_ref().is_some_and(|a| {
        a.pending(&state) == crate::auth::Pending::None
            && a.actor.has_anywhere(Permission::ViewMetrics)
    });
    if !(allowed_ip || admin) {
        return Err(AppError::Forbidden);
    }
    let body = state
        .metrics
        .as_ref()
        .map(|h| h.render())
        .unwrap_or_default();
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        body,
    )
        .into_response())
}

#[derive(serde::Deserialize)]
pub struct DisplayQuery {
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub back: String,
}

/// Switch 大字版 on (`text=large`) or off, then go back to the page (a path on this site only).
pub async fn set_display(axum::extract::Query(q): axum::extract::Query<DisplayQuery>) -> Response {
    let back = if q.back.starts_with('/') && !q.back.starts_with("//") && !q.back.contains('\\') {
        q.back.as_str()
    } else {
        "/"
    };
    let cookie = if q.text == "large" {
        format!(
            "{}=large; Path=/; Max-Age=31536000; SameSite=Lax",
            crate::middleware::TEXT_COOKIE
        )
    } else {
        format!(
            "{}=; Path=/; Max-Age=0; SameSite=Lax",
            crate::middleware::TEXT_COOKIE
        )
    };
    let mut r = axum::response::Redirect::to(back).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    r
}
