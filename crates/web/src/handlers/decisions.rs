//! 重大事项民主决策 in the back office (`/admin/decisions`): a body's decision records (meeting,
//! date, attendees, motion, vote, minutes file), each possibly following an earlier one, for the
//! body's 信息员 to record and its readers to see; a 公示 cites one (see `notice_periods`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::access::{ITEM_READERS, Permission};
use gongkai_domain::decisions::{DecisionInput, MeetingKind, ProcedureCheck};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::decisions::DecisionRow;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub body: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "items/decisions.html")]
pub struct DecisionsPage {
    pub chrome: Chrome,
    pub bodies: Vec<BodyOption>,
    pub body: Option<Body>,
    pub rows: Vec<DecisionRow>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub can_edit: bool,
    pub input: DecisionInput,
    pub follows: String,
    pub error: String,
}

async fn page(
    state: &AppState,
    a: &Authed,
    body_id: Option<i64>,
    input: DecisionInput,
    follows: String,
    error: String,
) -> Result<DecisionsPage, AppError> {
    if !ITEM_READERS.iter().any(|p| a.actor.has_anywhere(*p)) {
        return Err(AppError::Forbidden);
    }
    let scope = a.actor.scope_any(ITEM_READERS);
    let bodies = crate::views::body_options(state, Some(&scope), body_id, false).await?;
    let chosen = body_id.or_else(|| bodies.first().map(|b| b.id));
    let body = match chosen {
        Some(id) => {
            let b = state.store.get_body(id).await?;
            if !scope.contains(&b.path) {
                return Err(AppError::NotFound);
            }
            Some(b)
        }
        None => None,
    };
    let rows = match &body {
        Some(b) => state.store.collective_decisions_of(b.id).await?,
        None => Vec::new(),
    };
    Ok(DecisionsPage {
        chrome: Chrome::admin(state, a, "民主决策记录", "/admin/items").await,
        can_edit: body
            .as_ref()
            .is_some_and(|b| a.actor.can(Permission::EditItems, &b.path)),
        bodies,
        body,
        rows,
        kinds: MeetingKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        input,
        follows,
        error,
    })
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<ListQuery>,
) -> Result<DecisionsPage, AppError> {
    let body = q.body.trim().parse().ok();
    page(
        &state,
        &a,
        body,
        DecisionInput::default(),
        String::new(),
        q.error,
    )
    .await
}

/// Record a decision (multipart: the fields, `follows_id`, and an optional minutes `file`).
pub async fn create(
    State(state): State<AppState>,
    Staff(a): Staff,
    mp: Multipart,
) -> Result<Response, AppError> {
    let form = crate::uploads::read_form(&state, mp, "file").await?;
    let input = DecisionInput {
        meeting_kind: form.get("meeting_kind"),
        meeting_on: form.get("meeting_on"),
        motion: form.get("motion"),
        attendees: form.get("attendees"),
        votes_for: form.get("votes_for"),
        votes_against: form.get("votes_against"),
        votes_abstain: form.get("votes_abstain"),
    };
    let body_id: i64 = form.get("body_id").trim().parse().unwrap_or(0);
    let follows = form.get("follows_id");
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let redisplay = |m: String| {
        let (state, a, input, follows) = (state.clone(), a.clone(), input.clone(), follows.clone());
        async move {
            let mut r = page(&state, &a, Some(body_id), input, follows, m)
                .await?
                .into_response();
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok::<Response, AppError>(r)
        }
    };
    let valid = match input.validate(today()) {
        Ok(v) => v,
        Err(errs) => {
            return redisplay(
                errs.into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join("；"),
            )
            .await;
        }
    };
    let minutes = match form.file {
        None => None,
        Some(up) => match crate::uploads::store(&state, up, &[], "").await? {
            Ok(p) => Some(p),
            Err(m) => return redisplay(format!("会议纪要{m}")).await,
        },
    };
    let follows_id = follows.trim().parse::<i64>().ok().filter(|v| *v > 0);
    match state
        .store
        .record_collective_decision(body.id, &valid, follows_id, minutes.as_ref(), &a.who())
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/admin/decisions/{id}")).into_response()),
        Err(StoreError::Invalid(m)) => redisplay(m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "items/decision.html")]
pub struct DecisionPage {
    pub chrome: Chrome,
    pub d: DecisionRow,
    pub body: Body,
    pub chain: Vec<DecisionRow>,
    pub procedure: Option<ProcedureCheck>,
    /// The first 公示 citing this decision (决议公开).
    pub notice: Option<i64>,
    /// The item reporting how it was carried out (实施结果公开): id and title.
    pub result: Option<(i64, String)>,
    pub can_edit: bool,
    pub q: OneQuery,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct OneQuery {
    pub error: String,
    pub done: String,
    pub item: String,
}

async fn readable(state: &AppState, a: &Authed, id: i64) -> Result<(DecisionRow, Body), AppError> {
    let d = state.store.collective_decision(id).await?;
    let body = state.store.get_body(d.body_id).await?;
    if !a.actor.can_any(ITEM_READERS, &body.path) {
        return Err(AppError::NotFound);
    }
    Ok((d, body))
}

pub async fn view_one(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<OneQuery>,
) -> Result<DecisionPage, AppError> {
    let (d, body) = readable(&state, &a, id).await?;
    let chain = state.store.decision_chain(id).await?;
    let result = match d.result_item_id {
        Some(r) => {
            let it = state.store.get_item(r).await?;
            Some((it.id, it.title))
        }
        None => None,
    };
    Ok(DecisionPage {
        chrome: Chrome::admin(&state, &a, "民主决策记录", "/admin/items").await,
        procedure: gongkai_store::decisions::check_procedure(body.kind(), &chain),
        notice: state.store.citing_notice(id).await?,
        can_edit: a.actor.can(Permission::EditItems, &body.path),
        d,
        body,
        chain,
        result,
        q,
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResultForm {
    pub item_id: String,
}

/// Record the item reporting how the decision was carried out (实施结果公开; 信息员 of the body).
pub async fn post_result(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ResultForm>,
) -> Result<Response, AppError> {
    let (_, body) = readable(&state, &a, id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let back = format!("/admin/decisions/{id}#result");
    let Some(item) = f.item_id.trim().parse::<i64>().ok().filter(|v| *v > 0) else {
        return Ok(crate::views::back_to(
            &back,
            "error",
            "请填写实施结果信息的编号",
        ));
    };
    match state.store.record_decision_result(id, item, &a.who()).await {
        Ok(()) => Ok(crate::views::back_to(&back, "done", "result")),
        Err(StoreError::Invalid(m)) => Ok(crate::views::back_to(
            &format!("/admin/decisions/{id}?item={item}#result"),
            "error",
            &m,
        )),
        Err(e) => Err(e.into()),
    }
}

/// The minutes file (readers of the body's items).
pub async fn minutes(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (d, _) = readable(&state, &a, id).await?;
    let (Some(sha), Some(name)) = (d.minutes_sha256.clone(), d.minutes_name.clone()) else {
        return Err(AppError::NotFound);
    };
    crate::uploads::download(&state, &sha, &name, d.minutes_mime.as_deref()).await
}
