//! 整改 and 责任追究 in the back office (docs/design/supervision.md, stage 3): a rectification's
//! owner submits how the problem was put right with its evidence; an inspector of the
//! inspection's body accepts it or returns it with a reason; the body's readers and supervisors
//! follow it; overdue ones are marked (and recorded once by the 10-minute pass). 责任追究
//! decisions are recorded and read by 纪检监督 only.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use gongkai_domain::access::{ITEM_READERS, Permission};
use gongkai_domain::inspection::RectifyAction;
use gongkai_store::StoreError;
use gongkai_store::inspections::{AccountabilityRow, RectificationRow};

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{
    BodyOption, Chrome, FormFields as Fields, back_to, body_options, form_field as field,
    with_status,
};

#[derive(Template, WebTemplate)]
#[template(path = "inspections/rectifications.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub rows: Vec<RectificationRow>,
    pub user_id: i64,
    pub today: NaiveDate,
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<ListPage, AppError> {
    Ok(ListPage {
        chrome: Chrome::admin(&state, &a, "整改事项", "/admin/rectifications").await,
        rows: state
            .store
            .rectifications_for(
                a.user.id,
                &a.actor.scope_any(ITEM_READERS),
                &a.actor.scope(Permission::Inspect),
            )
            .await?,
        user_id: a.user.id,
        today: today(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/rectification.html")]
pub struct ViewPage {
    pub chrome: Chrome,
    pub r: RectificationRow,
    pub is_owner: bool,
    pub is_inspector: bool,
    pub overdue: bool,
    pub text: String,
    pub error: String,
}

/// Who sees a rectification: its owner, the readers of its body, the inspectors of its
/// inspection's body.
fn may_read(a: &Authed, r: &RectificationRow) -> bool {
    r.owner_id == a.user.id
        || a.actor.can_any(ITEM_READERS, &r.body_path)
        || a.actor.can(Permission::Inspect, &r.inspection_body_path)
}

async fn view_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    text: String,
    error: String,
) -> Result<ViewPage, AppError> {
    let r = state.store.rectification(id).await?;
    if !may_read(a, &r) {
        return Err(AppError::NotFound);
    }
    Ok(ViewPage {
        chrome: Chrome::admin(state, a, "整改事项", "/admin/rectifications")
            .await
            .with_done(a),
        is_owner: r.owner_id == a.user.id,
        is_inspector: a.actor.can(Permission::Inspect, &r.inspection_body_path),
        overdue: r.overdue(&today()),
        r,
        text,
        error,
    })
}

pub async fn view(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<ViewPage, AppError> {
    view_page(&state, &a, id, String::new(), String::new()).await
}

/// `action`: `submit` (the owner, `text` = evidence), `accept` or `return` (an inspector, `text`
/// = remark or reason); `version`: the one the page showed.
pub async fn act(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let r = state.store.rectification(id).await?;
    if !may_read(&a, &r) {
        return Err(AppError::NotFound);
    }
    let action = match field(&f, "action").as_str() {
        "submit" => RectifyAction::Submit,
        "accept" => RectifyAction::Accept,
        "return" => RectifyAction::Return,
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    let allowed = match action {
        RectifyAction::Submit => r.owner_id == a.user.id,
        // The owner never accepts their own work, even if they also inspect.
        RectifyAction::Accept | RectifyAction::Return => {
            a.actor.can(Permission::Inspect, &r.inspection_body_path) && r.owner_id != a.user.id
        }
    };
    if !allowed {
        return Err(AppError::Forbidden);
    }
    let text = field(&f, "text");
    let expect: i64 = field(&f, "version").parse().unwrap_or(-1);
    match state
        .store
        .act_rectification(id, action, &text, expect, today(), &a.who())
        .await
    {
        Ok(()) => Ok(back_to(
            &format!("/admin/rectifications/{id}"),
            "done",
            "saved",
        )),
        Err(StoreError::Invalid(m)) => Ok(with_status(
            view_page(&state, &a, id, text, m).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(StoreError::Conflict(m)) => Ok(with_status(
            view_page(&state, &a, id, text, m).await?,
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/accountability.html")]
pub struct AccountabilityPage {
    pub chrome: Chrome,
    pub rows: Vec<AccountabilityRow>,
    pub bodies: Vec<BodyOption>,
    pub input: Fields,
    pub error: String,
}

impl AccountabilityPage {
    pub fn value(&self, name: &str) -> String {
        field(&self.input, name)
    }
}

async fn accountability_page(
    state: &AppState,
    a: &Authed,
    input: Fields,
    error: String,
) -> Result<AccountabilityPage, AppError> {
    let scope = a.actor.scope(Permission::Inspect);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let selected = field(&input, "body_id").parse().ok();
    Ok(AccountabilityPage {
        chrome: Chrome::admin(state, a, "责任追究", "/admin/inspections")
            .await
            .with_done(a),
        rows: state.store.accountability_in(&scope).await?,
        bodies: body_options(state, Some(&scope), selected, false).await?,
        input,
        error,
    })
}

pub async fn view_accountability(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<AccountabilityPage, AppError> {
    accountability_page(&state, &a, Vec::new(), String::new()).await
}

pub async fn record_accountability(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let body_id: i64 = field(&f, "body_id").parse().unwrap_or(0);
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::Inspect, &body.path) {
        return Err(AppError::Forbidden);
    }
    let Some(decided_on) =
        NaiveDate::parse_from_str(field(&f, "decided_on").trim(), "%Y-%m-%d").ok()
    else {
        return Ok(with_status(
            accountability_page(&state, &a, f, "请按“年-月-日”填写决定日期".into()).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    match state
        .store
        .record_accountability(
            body_id,
            &field(&f, "person"),
            &field(&f, "what"),
            &field(&f, "basis"),
            &field(&f, "decision"),
            decided_on,
            today(),
            &a.who(),
        )
        .await
    {
        Ok(_) => Ok(back_to("/admin/accountability", "done", "saved")),
        Err(StoreError::Invalid(m)) => Ok(with_status(
            accountability_page(&state, &a, f, m).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e.into()),
    }
}
