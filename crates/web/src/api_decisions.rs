//! The staff API of 重大事项民主决策: a body's collective decision records, one with the chain it
//! concludes and how that chain meets its procedure (四议两公开, the school's), and recording one
//! under the back-office form's rules (the minutes file is attached in the back office).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gongkai_domain::access::{ITEM_READERS, Permission};
use gongkai_domain::decisions::{DecisionInput, MeetingKind};
use gongkai_store::decisions::{DecisionRow, check_procedure};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ErrorBody;
use crate::api_admin::{ApiJson, TokenActor, parse_id, require};
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;

fn kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(MeetingKind), "会议类型", false)
}

/// A collective decision record.
#[derive(Serialize, ToSchema)]
pub struct CollectiveDecisionJson {
    pub id: i64,
    pub body_id: i64,
    #[schema(schema_with = kind_schema)]
    pub meeting_kind: String,
    pub meeting_kind_label: String,
    pub meeting_on: String,
    pub motion: String,
    pub attendees: Vec<String>,
    pub votes_for: i64,
    pub votes_against: i64,
    pub votes_abstain: i64,
    /// More than half of those present voted for it.
    pub passed: bool,
    /// The earlier decision this one follows (a proposal it approves).
    pub follows_id: Option<i64>,
    /// 「…表决通过：赞成N票，反对N票，弃权N票」.
    pub summary: String,
    pub has_minutes: bool,
    /// The 公示 announcing it (决议公开), if any.
    pub notice_item_id: Option<i64>,
    /// The published item reporting how it was carried out (实施结果公开), if any.
    pub result_item_id: Option<i64>,
}

/// One step of a procedure and the decision that did it.
#[derive(Serialize, ToSchema)]
pub struct ProcedureStepJson {
    pub step: String,
    pub decision_id: Option<i64>,
}

/// How the chain meets the procedure its last decision concludes.
#[derive(Serialize, ToSchema)]
pub struct ProcedureJson {
    pub name: String,
    pub steps: Vec<ProcedureStepJson>,
    pub complete: bool,
    /// What is missing, in the words the back office shows; `null` when complete.
    pub problem: Option<String>,
}

/// A decision with the chain it concludes (earliest first, itself last).
#[derive(Serialize, ToSchema)]
pub struct CollectiveDecisionDetail {
    pub decision: CollectiveDecisionJson,
    pub chain: Vec<CollectiveDecisionJson>,
    /// `null` when the decision concludes no procedure.
    pub procedure: Option<ProcedureJson>,
}

/// A decision to record; the same checks as the back-office form (a vote is required).
#[derive(Deserialize, ToSchema)]
pub struct CollectiveDecisionRequest {
    /// The deciding body (the token's roles must include 信息员 there).
    pub body_id: i64,
    #[schema(schema_with = kind_schema)]
    pub meeting_kind: String,
    /// YYYY-MM-DD, not in the future.
    pub meeting_on: String,
    pub motion: String,
    pub attendees: Vec<String>,
    pub votes_for: Option<u32>,
    pub votes_against: Option<u32>,
    pub votes_abstain: Option<u32>,
    /// An earlier decision of the same body that this one follows.
    pub follows_id: Option<i64>,
}

async fn to_json(state: &AppState, d: DecisionRow) -> Result<CollectiveDecisionJson, ApiError> {
    let notice_item_id = state.store.citing_notice(d.id).await?;
    Ok(CollectiveDecisionJson {
        meeting_kind_label: d.kind_label().into(),
        attendees: d.attendee_list(),
        summary: d.summary(),
        has_minutes: d.minutes_sha256.is_some(),
        notice_item_id,
        id: d.id,
        body_id: d.body_id,
        meeting_kind: d.meeting_kind,
        meeting_on: d.meeting_on,
        motion: d.motion,
        votes_for: d.votes_for,
        votes_against: d.votes_against,
        votes_abstain: d.votes_abstain,
        passed: d.passed,
        follows_id: d.follows_id,
        result_item_id: d.result_item_id,
    })
}

/// A body the token may read decisions of; anything else is `404`.
async fn readable_body(
    state: &AppState,
    t: &TokenActor,
    id: i64,
) -> Result<gongkai_store::bodies::Body, ApiError> {
    let body = state.store.get_body(id).await?;
    if !t.actor.can_any(ITEM_READERS, &body.path) {
        return Err(AppError::NotFound.into());
    }
    Ok(body)
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BodyQuery {
    /// The body whose decisions to list.
    pub body_id: i64,
}

/// A body's decisions, newest meeting first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/collective-decisions",
    tag = "admin",
    security(("bearer" = [])),
    params(BodyQuery),
    responses(
        (status = 200, description = "民主决策记录", body = [CollectiveDecisionJson]),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "没有该机关，或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn list_collective_decisions(
    State(state): State<AppState>,
    t: TokenActor,
    Query(q): Query<BodyQuery>,
) -> Result<Json<Vec<CollectiveDecisionJson>>, ApiError> {
    let body = readable_body(&state, &t, q.body_id).await?;
    let mut out = Vec::new();
    for d in state.store.collective_decisions_of(body.id).await? {
        out.push(to_json(&state, d).await?);
    }
    Ok(Json(out))
}

/// One decision with its chain and procedure.
#[utoipa::path(
    get,
    path = "/api/v1/admin/collective-decisions/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "决策记录编号")),
    responses(
        (status = 200, description = "决策记录", body = CollectiveDecisionDetail),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "没有该记录，或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn get_collective_decision(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
) -> Result<Json<CollectiveDecisionDetail>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let d = state.store.collective_decision(id).await?;
    let body = readable_body(&state, &t, d.body_id).await?;
    let chain = state.store.decision_chain(id).await?;
    let procedure = check_procedure(body.kind(), &chain).map(|p| ProcedureJson {
        name: p.name.into(),
        complete: p.complete(),
        problem: p.problem(),
        steps: p
            .steps
            .iter()
            .map(|(step, at)| ProcedureStepJson {
                step: (*step).into(),
                decision_id: at.and_then(|i| chain.get(i)).map(|c| c.id),
            })
            .collect(),
    });
    let mut out = Vec::with_capacity(chain.len());
    for c in chain {
        out.push(to_json(&state, c).await?);
    }
    Ok(Json(CollectiveDecisionDetail {
        decision: to_json(&state, d).await?,
        chain: out,
        procedure,
    }))
}

/// Record a decision (信息员 of the body).
#[utoipa::path(
    post,
    path = "/api/v1/admin/collective-decisions",
    tag = "admin",
    security(("bearer" = [])),
    request_body = CollectiveDecisionRequest,
    responses(
        (status = 201, description = "已登记", body = CollectiveDecisionJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有信息员角色", body = ErrorBody),
        (status = 422, description = "字段有误（code: validation，fields 逐项说明）", body = ErrorBody),
    )
)]
pub async fn create_collective_decision(
    State(state): State<AppState>,
    t: TokenActor,
    ApiJson(r): ApiJson<CollectiveDecisionRequest>,
) -> Result<(StatusCode, Json<CollectiveDecisionJson>), ApiError> {
    let body = match state.store.get_body(r.body_id).await {
        Ok(b) => b,
        Err(gongkai_store::StoreError::NotFound) => {
            return Err(AppError::validation(vec![("body_id", "没有该机关".to_string())]).into());
        }
        Err(e) => return Err(e.into()),
    };
    require(&t, Permission::EditItems, &body.path)?;
    if r.attendees.iter().any(|n| n.contains(['\n', '\r'])) {
        return Err(AppError::validation(vec![(
            "attendees",
            "参会人员每项一人，姓名中不能换行".to_string(),
        )])
        .into());
    }
    let count = |v: Option<u32>| v.map(|n| n.to_string()).unwrap_or_default();
    let input = DecisionInput {
        meeting_kind: r.meeting_kind,
        meeting_on: r.meeting_on,
        motion: r.motion,
        attendees: r.attendees.join("\n"),
        votes_for: count(r.votes_for),
        votes_against: count(r.votes_against),
        votes_abstain: count(r.votes_abstain),
    };
    let v = input
        .validate(today())
        .map_err(|e| ApiError(AppError::validation(e)))?;
    let id = match state
        .store
        .record_collective_decision(body.id, &v, r.follows_id, None, &t.who())
        .await
    {
        Ok(id) => id,
        Err(gongkai_store::StoreError::Invalid(m)) => {
            return Err(AppError::validation(vec![("follows_id", m)]).into());
        }
        Err(e) => return Err(e.into()),
    };
    let d = state.store.collective_decision(id).await?;
    Ok((StatusCode::CREATED, Json(to_json(&state, d).await?)))
}
