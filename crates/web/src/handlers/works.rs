//! 重点工作 and 承诺事项 in the back office (`/admin/works`): a body's 信息员 creates a work, breaks
//! it into steps (stage, responsible account and body, deadline), closes it with its result and
//! publishes a commitment; each step's owner reports its progress; readers of the body's items
//! see the works of their subtree; overdue steps are highlighted and listed for the owner and the
//! body's supervisors (docs/design/participation.md, stage 5). The flow chart is drawn by
//! `gongkai_reports::svg::flowchart`.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use gongkai_domain::access::{ITEM_READERS, Permission, Scope};
use gongkai_domain::key_work::{ProgressInput, StepInput, StepStatus, WorkInput, WorkKind};
use gongkai_reports::svg::{ChartStep, flowchart};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::users::AccountOption;
use gongkai_store::works::{StepRow, UpdateRow, WorkListRow, WorkRow};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome};

/// Who supervises a step's body: its 审批领导 and the supervision roles.
pub const STEP_SUPERVISORS: &[Permission] = &[Permission::ApproveItems, Permission::Supervise];

/// The flow chart of a work's steps as of `today`.
pub fn chart(w: &WorkRow, steps: &[StepRow], today: NaiveDate) -> String {
    let steps: Vec<ChartStep> = steps
        .iter()
        .map(|s| ChartStep {
            stage: s.stage,
            title: s.title.clone(),
            owner: s.owner_name.clone(),
            body: s.body_name.clone(),
            due_on: s.due_on.clone(),
            status: s.status_label().to_string(),
            progress: s.progress,
            done: s.status() == StepStatus::Done,
            overdue: !w.is_done() && s.overdue(today),
        })
        .collect();
    flowchart(&format!("{}的工作流程图", w.title), &steps)
}

/// The SVG as a response.
pub fn svg_response(svg: String, cache: &'static str) -> Response {
    let mut r = svg.into_response();
    let h = r.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("image/svg+xml; charset=utf-8"),
    );
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(cache),
    );
    r
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub tab: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "works/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub tab: String,
    pub rows: Vec<WorkListRow>,
    pub senders: Vec<BodyOption>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub input: WorkInput,
    pub body_id: i64,
    pub error: String,
}

fn readers(a: &Authed) -> Scope {
    a.actor.scope_any(ITEM_READERS)
}

async fn list_page(
    state: &AppState,
    a: &Authed,
    tab: &str,
    input: WorkInput,
    body_id: i64,
    error: String,
) -> Result<ListPage, AppError> {
    let tab = match tab {
        "mine" | "overdue" | "commitments" => tab.to_string(),
        _ => "all".to_string(),
    };
    let mut rows = state
        .store
        .works_for(&readers(a), a.user.id, today())
        .await?;
    match tab.as_str() {
        "overdue" => rows.retain(|r| r.overdue > 0 && r.status == "open"),
        "commitments" => rows.retain(|r| r.kind == WorkKind::Commitment.as_str()),
        "mine" => {
            let mine: Vec<i64> = state
                .store
                .works_for(&Scope::default(), a.user.id, today())
                .await?
                .into_iter()
                .map(|r| r.id)
                .collect();
            rows.retain(|r| mine.contains(&r.id));
        }
        _ => {}
    }
    let editable = a.actor.scope(Permission::EditItems);
    let senders = if editable.is_empty() {
        Vec::new()
    } else {
        crate::views::body_options(state, Some(&editable), Some(body_id), false).await?
    };
    Ok(ListPage {
        chrome: Chrome::admin(state, a, "重点工作和承诺事项", "/admin/works").await,
        tab,
        rows,
        senders,
        kinds: WorkKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        input,
        body_id,
        error,
    })
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let input = WorkInput {
        kind: WorkKind::KeyWork.as_str().into(),
        ..Default::default()
    };
    list_page(&state, &a, &q.tab, input, 0, String::new()).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CreateForm {
    pub body_id: String,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub due_on: String,
}

pub async fn create(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<CreateForm>,
) -> Result<Response, AppError> {
    let body = state
        .store
        .get_body(f.body_id.trim().parse().unwrap_or(0))
        .await?;
    let input = WorkInput {
        kind: f.kind,
        title: f.title,
        summary: f.summary,
        due_on: f.due_on,
    };
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    match input.validate(today()) {
        Ok(v) => {
            let id = state.store.create_work(body.id, &v, &a.who()).await?;
            Ok(Redirect::to(&format!("/admin/works/{id}?done=saved")).into_response())
        }
        Err(errs) => {
            let m = errs
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("；");
            let mut r = list_page(&state, &a, "all", input, body.id, m)
                .await?
                .into_response();
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r)
        }
    }
}

/// How the account stands to a work.
pub struct Standing {
    pub edit: bool,
    /// The steps the account answers for.
    pub owns: Vec<i64>,
}

/// The work, its body, its steps and the account's standing, if the account may see it (a
/// reader of the body's items or the owner of a step); otherwise 404.
async fn visible(
    state: &AppState,
    a: &Authed,
    id: i64,
) -> Result<(WorkRow, Body, Vec<StepRow>, Standing), AppError> {
    let w = state.store.work(id).await?;
    let body = state.store.get_body(w.body_id).await?;
    let steps = state.store.work_steps(id).await?;
    let owns: Vec<i64> = steps
        .iter()
        .filter(|s| s.owner_id == a.user.id)
        .map(|s| s.id)
        .collect();
    if !a.actor.can_any(ITEM_READERS, &body.path) && owns.is_empty() {
        return Err(AppError::NotFound);
    }
    let edit = a.actor.can(Permission::EditItems, &body.path);
    Ok((w, body, steps, Standing { edit, owns }))
}

#[derive(Template, WebTemplate)]
#[template(path = "works/view.html")]
pub struct ViewPage {
    pub chrome: Chrome,
    pub w: WorkRow,
    pub body: Body,
    pub steps: Vec<StepRow>,
    pub updates: Vec<UpdateRow>,
    pub chart: String,
    pub progress: i64,
    pub today: NaiveDate,
    pub edit: bool,
    pub owns: Vec<i64>,
    pub offices: Vec<BodyOption>,
    pub people: Vec<AccountOption>,
    pub statuses: Vec<(&'static str, &'static str)>,
    pub step: StepInput,
    /// The step whose progress form was refused, and its input.
    pub progress_for: i64,
    pub progress_input: ProgressInput,
    pub result: String,
    pub error: String,
}

impl ViewPage {
    /// Whether a step is shown as overdue (never once the work is closed).
    pub fn late(&self, s: &StepRow) -> bool {
        !self.w.is_done() && s.overdue(self.today)
    }
    pub fn may_report(&self, step: &i64) -> bool {
        !self.w.is_done() && (self.edit || self.owns.contains(step))
    }
}

/// What a refused form brings back to the page.
#[derive(Default)]
struct Refused {
    step: StepInput,
    progress_for: i64,
    progress: ProgressInput,
    result: String,
    error: String,
}

async fn view_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    refused: Refused,
) -> Result<ViewPage, AppError> {
    let (w, body, steps, s) = visible(state, a, id).await?;
    let subtree = Scope {
        roots: vec![body.path.clone()],
    };
    let (offices, people) = if s.edit && !w.is_done() {
        (
            crate::views::body_options(state, Some(&subtree), None, false).await?,
            state.store.accounts_in_subtree(&body.path).await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let progress = gongkai_domain::key_work::work_progress(
        &steps.iter().map(|s| s.progress).collect::<Vec<_>>(),
    );
    let step = if refused.step == StepInput::default() {
        StepInput {
            stage: steps
                .iter()
                .map(|s| s.stage)
                .max()
                .map_or(1, |m| m + 1)
                .min(gongkai_domain::key_work::MAX_STAGE)
                .to_string(),
            due_on: w.due_on.clone(),
            body_id: body.id.to_string(),
            ..Default::default()
        }
    } else {
        refused.step
    };
    Ok(ViewPage {
        chrome: Chrome::admin(state, a, &w.title, "/admin/works")
            .await
            .with_done(a),
        chart: chart(&w, &steps, today()),
        updates: state.store.work_updates(id).await?,
        progress,
        today: today(),
        edit: s.edit,
        owns: s.owns,
        offices,
        people,
        statuses: StepStatus::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        step,
        progress_for: refused.progress_for,
        progress_input: refused.progress,
        result: refused.result,
        error: refused.error,
        w,
        body,
        steps,
    })
}

pub async fn view_one(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<ViewPage, AppError> {
    view_page(&state, &a, id, Refused::default()).await
}

pub async fn chart_svg(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (w, _, steps, _) = visible(&state, &a, id).await?;
    Ok(svg_response(chart(&w, &steps, today()), "no-store"))
}

async fn refuse(
    state: &AppState,
    a: &Authed,
    id: i64,
    refused: Refused,
) -> Result<Response, AppError> {
    let mut r = view_page(state, a, id, refused).await?.into_response();
    *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(r)
}

fn joined(errs: gongkai_domain::body::FieldErrors) -> String {
    errs.into_iter()
        .map(|(_, m)| m)
        .collect::<Vec<_>>()
        .join("；")
}

/// The store's refusal as the page's message, anything else as an error.
fn refusal(e: StoreError) -> Result<String, AppError> {
    match e {
        StoreError::Invalid(m) | StoreError::Conflict(m) => Ok(m),
        e => Err(e.into()),
    }
}

fn done(id: i64, flag: &str) -> Response {
    Redirect::to(&format!("/admin/works/{id}?done={flag}")).into_response()
}

pub async fn add_step(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(input): Form<StepInput>,
) -> Result<Response, AppError> {
    let (w, body, _, s) = visible(&state, &a, id).await?;
    if !s.edit {
        return Err(AppError::Forbidden);
    }
    let due = NaiveDate::parse_from_str(&w.due_on, "%Y-%m-%d").unwrap_or(NaiveDate::MAX);
    let error = match input.validate(due) {
        Ok(v) => match state
            .store
            .add_work_step(id, &body.path, &v, &a.who())
            .await
        {
            Ok(_) => return Ok(done(id, "saved")),
            Err(e) => refusal(e)?,
        },
        Err(errs) => joined(errs),
    };
    let refused = Refused {
        step: input,
        error,
        ..Default::default()
    };
    refuse(&state, &a, id, refused).await
}

pub async fn remove_step(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, step)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (_, _, _, s) = visible(&state, &a, id).await?;
    if !s.edit {
        return Err(AppError::Forbidden);
    }
    match state.store.remove_work_step(id, step, &a.who()).await {
        Ok(()) => Ok(done(id, "saved")),
        Err(e) => {
            let error = refusal(e)?;
            refuse(
                &state,
                &a,
                id,
                Refused {
                    error,
                    ..Default::default()
                },
            )
            .await
        }
    }
}

pub async fn report(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, step)): Path<(i64, i64)>,
    Form(input): Form<ProgressInput>,
) -> Result<Response, AppError> {
    let (_, _, steps, s) = visible(&state, &a, id).await?;
    if !steps.iter().any(|x| x.id == step) {
        return Err(AppError::NotFound);
    }
    if !(s.edit || s.owns.contains(&step)) {
        return Err(AppError::Forbidden);
    }
    let by = if a.user.display_name.is_empty() {
        a.user.username.clone()
    } else {
        a.user.display_name.clone()
    };
    let error = match input.validate() {
        Ok(v) => match state
            .store
            .report_work_progress(id, step, &v, today(), &a.who(), &by)
            .await
        {
            Ok(_) => return Ok(done(id, "saved")),
            Err(e) => refusal(e)?,
        },
        Err(errs) => joined(errs),
    };
    let refused = Refused {
        progress_for: step,
        progress: input,
        error,
        ..Default::default()
    };
    refuse(&state, &a, id, refused).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CloseForm {
    pub result: String,
}

pub async fn close(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<CloseForm>,
) -> Result<Response, AppError> {
    let (_, _, _, s) = visible(&state, &a, id).await?;
    if !s.edit {
        return Err(AppError::Forbidden);
    }
    match state
        .store
        .close_work(id, &f.result, today(), &a.who())
        .await
    {
        Ok(()) => Ok(done(id, "saved")),
        Err(e) => {
            let error = refusal(e)?;
            let refused = Refused {
                result: f.result,
                error,
                ..Default::default()
            };
            refuse(&state, &a, id, refused).await
        }
    }
}

pub async fn publish(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, _, _, s) = visible(&state, &a, id).await?;
    if !s.edit {
        return Err(AppError::Forbidden);
    }
    match state.store.publish_commitment(id, &a.who()).await {
        Ok(()) => Ok(done(id, "published")),
        Err(e) => {
            let error = refusal(e)?;
            refuse(
                &state,
                &a,
                id,
                Refused {
                    error,
                    ..Default::default()
                },
            )
            .await
        }
    }
}
