//! 为群众办实事 on the portal: the published commitments (`/commitments`, in the navigation, the
//! sitemap and a feed), each with its progress, steps, flow chart, timeline of dated updates and
//! final result (`/commitments/{id}`), like an accountability tracker.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use gongkai_store::bodies::Body;
use gongkai_store::works::{StepRow, UpdateRow, WorkListRow, WorkRow};

use crate::AppState;
use crate::auth::MaybeAuthed;
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::handlers::notice_periods::no_store;
use crate::views::Chrome;

#[derive(Template, WebTemplate)]
#[template(path = "public/commitments.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub open: Vec<WorkListRow>,
    pub done: Vec<WorkListRow>,
}

pub async fn view_list(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<Response, AppError> {
    let (open, done) = state
        .store
        .public_commitments(today())
        .await?
        .into_iter()
        .partition(|r| r.status == "open");
    let mut chrome = Chrome::public(&state, "为群众办实事", a.as_ref());
    chrome.feed = Some(("为群众办实事".into(), "/feeds/commitments.atom".into()));
    Ok(no_store(ListPage { chrome, open, done }.into_response()))
}

/// A published commitment, or 404 (internal works and unpublished commitments do not exist
/// here).
async fn published(state: &AppState, id: i64) -> Result<(WorkRow, Vec<StepRow>), AppError> {
    let w = state.store.work(id).await?;
    if !(w.is_commitment() && w.is_published()) {
        return Err(AppError::NotFound);
    }
    let steps = state.store.work_steps(id).await?;
    Ok((w, steps))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/commitment.html")]
pub struct ViewPage {
    pub chrome: Chrome,
    pub w: WorkRow,
    pub body: Body,
    pub steps: Vec<StepRow>,
    pub updates: Vec<UpdateRow>,
    pub chart: String,
    pub progress: i64,
    pub today: NaiveDate,
}

impl ViewPage {
    /// Whether a step is shown as overdue (never once the work is closed).
    pub fn late(&self, s: &StepRow) -> bool {
        !self.w.is_done() && s.overdue(self.today)
    }
}

pub async fn view_one(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (w, steps) = published(&state, id).await?;
    let body = state.store.get_body(w.body_id).await?;
    let progress = gongkai_domain::key_work::work_progress(
        &steps.iter().map(|s| s.progress).collect::<Vec<_>>(),
    );
    let page = ViewPage {
        chrome: Chrome::public(&state, &w.title, a.as_ref()),
        chart: crate::handlers::works::chart(&w, &steps, today()),
        updates: state.store.work_updates(id).await?,
        progress,
        today: today(),
        body,
        steps,
        w,
    };
    // Overdue marks change with the date: never cached.
    Ok(no_store(page.into_response()))
}

pub async fn chart_svg(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (w, steps) = published(&state, id).await?;
    Ok(crate::handlers::works::svg_response(
        crate::handlers::works::chart(&w, &steps, today()),
        "no-store",
    ))
}

/// `/feeds/commitments.atom`: commitments as they are published.
pub async fn feed(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    use crate::handlers::feeds::{Entry, Feed, render, rfc3339};
    let mut rows = state.store.public_commitments(today()).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.published_at));
    rows.truncate(50);
    render(Feed {
        base: crate::handlers::public_items::site_base(&state, &headers),
        self_path: "/feeds/commitments.atom".into(),
        alternate: "/commitments".into(),
        title: format!("{} · 为群众办实事", state.config.site_name),
        updated: rfc3339(rows.first().and_then(|r| r.published_at)),
        entries: rows
            .into_iter()
            .map(|r| Entry {
                path: format!("/commitments/{}", r.id),
                updated: rfc3339(r.published_at),
                title: format!("{}（{}前完成）", r.title, r.due_on),
                body_name: r.body_name,
                doc_no: String::new(),
                index_no: String::new(),
                withdrawn: false,
            })
            .collect(),
    })
}
