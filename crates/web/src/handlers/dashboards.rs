//! Dashboards (docs/design/supervision.md, stage 5): a body subtree's year in charts drawn on
//! the server as SVG (`gongkai_reports::svg::chart`), each with the table of its numbers beside
//! it and a CSV of that table. Staff who read the monitor see every chart of their bodies at
//! `/admin/dashboards`; a body's 审批领导 (or an administrator) chooses which charts are public,
//! and the public sees those at `/bodies/{id}/dashboard`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use gongkai_domain::access::{Permission, Scope};
use gongkai_domain::dashboard::{self as dd, Chart, ChartKey};
use gongkai_domain::letters::Rating;
use gongkai_domain::monitor::MONITOR_READERS;
use gongkai_reports::svg;
use gongkai_store::bodies::Body;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{MaybeAuthed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{Chrome, FormFields, back_to, form_field};

/// The first year a dashboard offers.
const FIRST_YEAR: i32 = 2019;

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct DashQuery {
    pub year: String,
    pub body: String,
}

/// One chart as a page shows it.
pub struct ChartView {
    pub key: &'static str,
    pub title: &'static str,
    pub about: &'static str,
    pub svg: String,
    pub label_head: &'static str,
    pub heads: Vec<String>,
    pub rows: Vec<(String, Vec<String>)>,
    pub empty: bool,
    pub public: bool,
    pub csv: String,
}

/// The year asked for: empty means this year; a year outside the offered ones is None.
pub fn year_of(s: &str) -> Option<i32> {
    let this = today().year();
    if s.trim().is_empty() {
        return Some(this);
    }
    s.trim()
        .parse()
        .ok()
        .filter(|y| (FIRST_YEAR..=this).contains(y))
}

/// How long counted charts are kept (the pages say so).
pub const REFRESH: std::time::Duration = std::time::Duration::from_secs(600);

/// Counted charts by (subtree roots, year).
pub type ChartCache = moka::future::Cache<(Vec<String>, i32), std::sync::Arc<Vec<Chart>>>;

pub fn new_chart_cache() -> ChartCache {
    moka::future::Cache::builder()
        .max_capacity(2_000)
        .time_to_live(REFRESH)
        .build()
}

/// Every chart of `scope`'s `year`, counted at most once per [`REFRESH`] (concurrent requests
/// for the same charts wait for one count).
pub async fn charts(state: &AppState, scope: &Scope, year: i32) -> Result<Vec<Chart>, AppError> {
    let key = (scope.roots.clone(), year);
    let counted = state
        .dashboards
        .try_get_with(key, async {
            count_charts(state, scope, year)
                .await
                .map(std::sync::Arc::new)
        })
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(counted.as_ref().clone())
}

/// How often the published dashboards are counted ahead of their visitors: within
/// [`REFRESH`], so that a public dashboard of this year is never counted on a request.
pub const WARM_EVERY: std::time::Duration = std::time::Duration::from_secs(540);

/// Count this year's charts of every body that publishes some, and keep them (replacing what
/// was kept). Returns how many dashboards were counted.
pub async fn warm(state: &AppState) -> Result<usize, AppError> {
    warm_year(state, today().year()).await
}

/// [`warm`] for `year`.
pub async fn warm_year(state: &AppState, year: i32) -> Result<usize, AppError> {
    let ids = state.store.bodies_with_dashboards().await?;
    for id in &ids {
        let body = state.store.get_body(*id).await?;
        let scope = Scope::subtree(&body.path);
        let counted = count_charts(state, &scope, year).await?;
        state
            .dashboards
            .insert((scope.roots.clone(), year), std::sync::Arc::new(counted))
            .await;
    }
    Ok(ids.len())
}

/// Count every chart of `scope`'s `year` now.
async fn count_charts(state: &AppState, scope: &Scope, year: i32) -> Result<Vec<Chart>, AppError> {
    let r = state.store.dashboard_rows(scope, year).await?;
    let ratings: Vec<(u32, Rating, i64)> = r
        .ratings
        .iter()
        .filter_map(|(m, s, n)| Some((*m, Rating::parse(s)?, *n)))
        .collect();
    Ok(vec![
        dd::publications(&r.published, 5),
        dd::on_time(&r.applications, &r.letters),
        dd::outcomes(&r.outcomes),
        dd::response_times(&state.calendar(), &r.replies),
        dd::satisfaction(&ratings),
    ])
}

fn view(c: &Chart, public: &[ChartKey], csv: String) -> ChartView {
    ChartView {
        key: c.key.key(),
        title: c.title(),
        about: c.key.about(),
        svg: svg::chart(&format!("ch-{}", c.key.key()), c),
        label_head: c.label_head,
        heads: c.heads(),
        rows: c.rows(),
        empty: c.is_empty(),
        public: public.contains(&c.key),
        csv,
    }
}

fn years() -> Vec<i32> {
    (FIRST_YEAR..=today().year()).rev().collect()
}

fn csv_response(c: &Chart, body: &Body, year: i32) -> Response {
    let name = format!("dashboard-{}-{}-{year}.csv", body.id, c.key.key());
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        c.csv(),
    )
        .into_response()
}

// ------------------------------------------------------------------------------------------
// Public

#[derive(Template, WebTemplate)]
#[template(path = "public/dashboard.html")]
pub struct PublicPage {
    pub chrome: Chrome,
    pub body: Body,
    pub year: i32,
    pub years: Vec<i32>,
    pub charts: Vec<ChartView>,
}

/// The body and the charts it publishes; 404 when it publishes none.
async fn published(state: &AppState, id: &str) -> Result<(Body, Vec<ChartKey>), AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let body = state
        .store
        .get_body(id)
        .await
        .map_err(|_| AppError::NotFound)?;
    let public = state.store.public_charts(id).await?;
    if public.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok((body, public))
}

pub async fn view_public(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<PublicPage, AppError> {
    let (body, public) = published(&state, &id).await?;
    let year = year_of(&q.year).ok_or(AppError::NotFound)?;
    let all = charts(&state, &Scope::subtree(&body.path), year).await?;
    let charts = all
        .iter()
        .filter(|c| public.contains(&c.key))
        .map(|c| {
            let csv = format!(
                "/bodies/{}/dashboard/{}.csv?year={year}",
                body.id,
                c.key.key()
            );
            view(c, &public, csv)
        })
        .collect();
    Ok(PublicPage {
        chrome: Chrome::public(&state, &format!("{} · 数据图表", body.name), a.as_ref()),
        years: years(),
        body,
        year,
        charts,
    })
}

/// `/bodies/{id}/dashboard/{chart}.csv`: a published chart's table.
pub async fn public_csv(
    State(state): State<AppState>,
    Path((id, file)): Path<(String, String)>,
    Query(q): Query<DashQuery>,
) -> Result<Response, AppError> {
    let (body, public) = published(&state, &id).await?;
    let key = file
        .strip_suffix(".csv")
        .and_then(ChartKey::parse)
        .filter(|k| public.contains(k))
        .ok_or(AppError::NotFound)?;
    let year = year_of(&q.year).ok_or(AppError::NotFound)?;
    let all = charts(&state, &Scope::subtree(&body.path), year).await?;
    let c = all
        .iter()
        .find(|c| c.key == key)
        .ok_or(AppError::NotFound)?;
    Ok(csv_response(c, &body, year))
}

// ------------------------------------------------------------------------------------------
// Back office

#[derive(Template, WebTemplate)]
#[template(path = "admin/dashboards.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub body: Body,
    pub bodies: Vec<Body>,
    pub year: i32,
    pub years: Vec<i32>,
    pub charts: Vec<ChartView>,
    pub may_publish: bool,
    pub error: String,
}

/// The body asked for (the first the account may read when none is): it must lie in the
/// scope of the monitor's readers, else 404.
async fn staff_body(
    state: &AppState,
    a: &crate::auth::Authed,
    body: &str,
) -> Result<(Body, Vec<Body>), AppError> {
    let readers = a.actor.scope_any(MONITOR_READERS);
    if readers.is_empty() {
        return Err(AppError::Forbidden);
    }
    let bodies: Vec<Body> = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| readers.contains(&b.path))
        .collect();
    let id: i64 = body.trim().parse().unwrap_or(0);
    let chosen = if id > 0 {
        bodies.iter().find(|b| b.id == id).cloned()
    } else {
        bodies.first().cloned()
    }
    .ok_or(AppError::NotFound)?;
    Ok((chosen, bodies))
}

/// Who chooses what a body publishes: its 审批领导, or who manages bodies.
fn may_publish(a: &crate::auth::Authed, body: &Body) -> bool {
    a.actor.can(Permission::ApproveItems, &body.path)
        || a.actor.can(Permission::ManageBodies, &body.path)
}

async fn admin_page(
    state: &AppState,
    a: &crate::auth::Authed,
    q: &DashQuery,
    error: String,
) -> Result<AdminPage, AppError> {
    let (body, bodies) = staff_body(state, a, &q.body).await?;
    let (year, error) = match year_of(&q.year) {
        Some(y) => (y, error),
        None => (
            today().year(),
            format!("年度应在{FIRST_YEAR}年至今年之间，已显示今年"),
        ),
    };
    let public = state.store.public_charts(body.id).await?;
    let charts = charts(state, &Scope::subtree(&body.path), year)
        .await?
        .iter()
        .map(|c| {
            let csv = format!(
                "/admin/dashboards/{}.csv?body={}&year={year}",
                c.key.key(),
                body.id
            );
            view(c, &public, csv)
        })
        .collect();
    Ok(AdminPage {
        chrome: Chrome::admin(state, a, "数据图表", "/admin/dashboards")
            .await
            .with_done(a),
        may_publish: may_publish(a, &body),
        years: years(),
        body,
        bodies,
        year,
        charts,
        error,
    })
}

pub async fn view_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<DashQuery>,
) -> Result<AdminPage, AppError> {
    admin_page(&state, &a, &q, String::new()).await
}

pub async fn admin_csv(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(file): Path<String>,
    Query(q): Query<DashQuery>,
) -> Result<Response, AppError> {
    let key = file
        .strip_suffix(".csv")
        .and_then(ChartKey::parse)
        .ok_or(AppError::NotFound)?;
    let (body, _) = staff_body(&state, &a, &q.body).await?;
    let year = year_of(&q.year).ok_or(AppError::NotFound)?;
    let all = charts(&state, &Scope::subtree(&body.path), year).await?;
    let c = all
        .iter()
        .find(|c| c.key == key)
        .ok_or(AppError::NotFound)?;
    Ok(csv_response(c, &body, year))
}

/// Publish the checked charts (`public`, repeated) of `body`.
pub async fn publish(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<FormFields>,
) -> Result<Response, AppError> {
    let (body, _) = staff_body(&state, &a, &form_field(&f, "body")).await?;
    if !may_publish(&a, &body) {
        return Err(AppError::Forbidden);
    }
    let chosen: Vec<ChartKey> = f
        .iter()
        .filter(|(k, _)| k == "public")
        .filter_map(|(_, v)| ChartKey::parse(v))
        .collect();
    state
        .store
        .set_public_charts(body.id, &chosen, &a.who())
        .await?;
    let year = year_of(&form_field(&f, "year")).unwrap_or_else(|| today().year());
    Ok(back_to(
        &format!("/admin/dashboards?body={}&year={year}", body.id),
        "done",
        "saved",
    ))
}

impl AdminPage {
    pub fn any_public(&self) -> bool {
        self.charts.iter().any(|c| c.public)
    }
}
