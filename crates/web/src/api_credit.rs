//! The 双公示 API. Public (`/api/v1/credit`): the masked public copies within their display
//! period, exactly what the portal shows (410 `display_ended` after it). Staff
//! (`/api/v1/admin/credit/decisions`, bearer tokens of a 执法办案系统 or 审批系统): record a
//! decision under the form's rules, list and read the staff records (personal values never
//! returned), publish and withdraw as 审批领导.

use std::collections::HashMap;

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::NaiveDate;
use gongkai_domain::access::{CREDIT_READERS, Permission};
use gongkai_domain::credit::{self as dc, DecisionInput, DecisionKind};
use gongkai_store::credit::{Decision, DecisionFilter, PublicDecision};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ErrorBody;
use crate::api_admin::{ApiJson, TokenActor, parse_id, refusal, require};
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;
use crate::handlers::credit::{Filters, ListQuery};
use crate::handlers::credit_admin::{new_decision, personal_of};

fn kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(DecisionKind), "决定类别", false)
}

fn public_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &[
            (
                DecisionKind::License.as_str(),
                DecisionKind::License.label(),
            ),
            (
                DecisionKind::Penalty.as_str(),
                DecisionKind::Penalty.label(),
            ),
        ],
        "决定类别（行政强制不公示）",
        false,
    )
}

fn party_type_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(dc::PartyType), "行政相对人类别", false)
}

fn id_type_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(dc::IdType), "自然人证件类型", false)
}

fn public_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &[("published", "公示中"), ("withdrawn", "已撤销公示")],
        "公示状态",
        false,
    )
}

fn decision_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &["recorded", "published", "withdrawn", "withheld", "void"]
            .map(|s| (s, gongkai_store::credit::status_label(s))),
        "办理状态",
        false,
    )
}

/// A public 双公示 record (masked: a natural person appears as 张某, without codes).
#[derive(Serialize, ToSchema)]
pub struct CreditJson {
    pub id: i64,
    pub body_id: i64,
    /// 决定机关.
    pub body_name: String,
    #[schema(schema_with = public_kind_schema)]
    pub kind: String,
    #[schema(schema_with = public_status_schema)]
    pub status: String,
    /// 行政相对人名称 (empty once withdrawn).
    pub party_name: String,
    #[schema(schema_with = party_type_schema)]
    pub party_type: String,
    pub uscc: String,
    pub legal_rep: String,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    /// 罚款金额 in fen.
    pub fine_fen: Option<i64>,
    pub decided_on: String,
    pub valid_until: String,
    pub published_on: String,
    /// 公示截止日期: the last day on the public list.
    pub display_until: String,
    pub withdrawn_on: String,
    pub withdraw_reason: String,
    /// The record's page on the portal.
    pub url: String,
}

fn credit_json(d: PublicDecision, body_name: String) -> CreditJson {
    CreditJson {
        url: format!("/credit/{}", d.id),
        id: d.id,
        body_id: d.body_id,
        body_name,
        kind: d.kind,
        status: d.status,
        party_name: d.party_name,
        party_type: d.party_type,
        uscc: d.uscc,
        legal_rep: d.legal_rep,
        doc_title: d.doc_title,
        doc_no: d.doc_no,
        content: d.content,
        basis: d.basis,
        fine_fen: d.fine_fen,
        decided_on: d.decided_on,
        valid_until: d.valid_until,
        published_on: d.published_on,
        display_until: d.display_until,
        withdrawn_on: d.withdrawn_on,
        withdraw_reason: d.withdraw_reason,
    }
}

/// A page of public records.
#[derive(Serialize, ToSchema)]
pub struct CreditList {
    pub total: i64,
    pub page: i64,
    pub items: Vec<CreditJson>,
}

/// The filters of the public list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CreditQuery {
    /// `license` (default) or `penalty`.
    #[param(schema_with = public_kind_schema)]
    pub kind: Option<String>,
    /// 决定机关 id.
    pub body: Option<String>,
    /// 决定年度, e.g. 2026.
    pub year: Option<String>,
    /// Part of the party's name or of the 文书号.
    pub q: Option<String>,
    /// From 1; 20 records a page.
    pub page: Option<String>,
}

/// 双公示 records within their display period, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/credit",
    tag = "public",
    params(CreditQuery),
    responses((status = 200, description = "公示中的行政许可或行政处罚信息", body = CreditList))
)]
pub async fn list_credit(
    State(state): State<AppState>,
    Query(q): Query<CreditQuery>,
) -> Result<Json<CreditList>, ApiError> {
    let f = Filters::from_query(&ListQuery {
        kind: q.kind,
        body: q.body,
        year: q.year,
        q: q.q,
        page: q.page,
    });
    let (rows, total) = state
        .store
        .public_decisions(&f.store_filter(), today())
        .await?;
    let names: HashMap<i64, String> = state.store.body_names().await?.into_iter().collect();
    Ok(Json(CreditList {
        total,
        page: f.page,
        items: rows
            .into_iter()
            .map(|d| {
                let n = names.get(&d.body_id).cloned().unwrap_or_default();
                credit_json(d, n)
            })
            .collect(),
    }))
}

/// One public record.
#[utoipa::path(
    get,
    path = "/api/v1/credit/{id}",
    tag = "public",
    params(("id" = i64, Path, description = "公示编号")),
    responses(
        (status = 200, description = "公示信息", body = CreditJson),
        (status = 404, description = "没有该公示信息", body = ErrorBody),
        (status = 410, description = "公示期已满，已停止公示（code: display_ended）", body = ErrorBody),
    )
)]
pub async fn get_credit(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<CreditJson>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let d = state
        .store
        .public_decision(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !d.shown_on(today()) {
        return Err(AppError::DisplayEnded.into());
    }
    let name = state.store.get_body(d.body_id).await?.name;
    Ok(Json(credit_json(d, name)))
}

// ---------------------------------------------------------------------------------------------
// Staff.

/// A decision to record. The personal values (证件号码, phone, address, other names) are
/// sealed at once and never returned by any endpoint.
#[derive(Deserialize, ToSchema)]
pub struct DecisionRequest {
    /// 决定机关 id (the token's roles must include 信用信息员 there).
    pub body_id: i64,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[schema(schema_with = party_type_schema)]
    pub party_type: String,
    pub party_name: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub legal_rep: String,
    #[serde(default)]
    #[schema(schema_with = id_type_schema)]
    pub id_type: String,
    #[serde(default)]
    pub id_no: String,
    #[serde(default)]
    pub rep_id_no: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    /// Other people named in the texts (shown as 李某).
    #[serde(default)]
    pub other_names: Vec<String>,
    #[serde(default)]
    pub involves_minor: bool,
    #[serde(default)]
    pub adult_confirmed: bool,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    /// 罚款金额 in 元, e.g. "5000.50" (行政处罚 only).
    #[serde(default)]
    pub fine_yuan: String,
    /// YYYY-MM-DD, not after today.
    pub decided_on: String,
    #[serde(default)]
    pub valid_until: String,
}

/// A staff record of a decision, without its personal values.
#[derive(Serialize, ToSchema)]
pub struct DecisionJson {
    pub id: i64,
    pub body_id: i64,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[schema(schema_with = decision_status_schema)]
    pub status: String,
    pub party_name: String,
    #[schema(schema_with = party_type_schema)]
    pub party_type: String,
    pub doc_no: String,
    pub decided_on: String,
    /// 公示期限; empty while it runs into a year whose holidays are not loaded.
    pub publish_due_on: String,
    pub published_on: String,
    pub late_publish: bool,
    pub withheld_reason: String,
    pub withdrawn_on: String,
    pub withdraw_reason: String,
    pub late_withdraw: bool,
    /// The public record's id once published.
    pub public_id: Option<i64>,
}

async fn decision_json(state: &AppState, d: Decision) -> Result<DecisionJson, ApiError> {
    let public_id = state.store.public_id_of(d.id).await?;
    Ok(DecisionJson {
        id: d.id,
        body_id: d.body_id,
        kind: d.kind,
        status: d.status,
        party_name: d.party_name,
        party_type: d.party_type,
        doc_no: d.doc_no,
        decided_on: d.decided_on,
        publish_due_on: d.publish_due_on,
        published_on: d.published_on,
        late_publish: d.late_publish,
        withheld_reason: d.withheld_reason,
        withdrawn_on: d.withdrawn_on,
        withdraw_reason: d.withdraw_reason,
        late_withdraw: d.late_withdraw,
        public_id,
    })
}

/// A decision the token may see, with its body's path; anything else is `404`.
async fn decision_in_scope(
    state: &AppState,
    t: &TokenActor,
    id: &str,
) -> Result<(Decision, String), ApiError> {
    let d = state
        .store
        .get_decision(parse_id(id).map_err(|_| ApiError(AppError::NotFound))?)
        .await?;
    let body = state.store.get_body(d.body_id).await?;
    if !t.actor.can_any(CREDIT_READERS, &body.path) {
        return Err(AppError::NotFound.into());
    }
    Ok((d, body.path))
}

/// Record a decision (状态 待公示) under the back-office form's rules.
#[utoipa::path(
    post,
    path = "/api/v1/admin/credit/decisions",
    tag = "admin",
    security(("bearer" = [])),
    request_body = DecisionRequest,
    responses(
        (status = 201, description = "已登记", body = DecisionJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有信用信息员角色", body = ErrorBody),
        (status = 409, description = "本机关已登记同一文书号的同类决定", body = ErrorBody),
        (status = 422, description = "字段有误（code: validation，fields 逐项说明）", body = ErrorBody),
    )
)]
pub async fn create_decision(
    State(state): State<AppState>,
    t: TokenActor,
    ApiJson(r): ApiJson<DecisionRequest>,
) -> Result<(StatusCode, Json<DecisionJson>), ApiError> {
    let body = match state.store.get_body(r.body_id).await {
        Ok(b) => b,
        Err(gongkai_store::StoreError::NotFound) => {
            return Err(AppError::validation(vec![("body_id", "没有该机关".to_string())]).into());
        }
        Err(e) => return Err(e.into()),
    };
    require(&t, Permission::RecordDecisions, &body.path)?;
    let input = DecisionInput {
        kind: r.kind,
        party_type: r.party_type,
        party_name: r.party_name,
        uscc: r.uscc,
        legal_rep: r.legal_rep,
        id_type: r.id_type,
        id_no: r.id_no,
        rep_id_no: r.rep_id_no,
        phone: r.phone,
        address: r.address,
        other_names: r.other_names.join("、"),
        involves_minor: r.involves_minor,
        adult_confirmed: r.adult_confirmed,
        doc_title: r.doc_title,
        doc_no: r.doc_no,
        content: r.content,
        basis: r.basis,
        fine_yuan: r.fine_yuan,
        decided_on: r.decided_on,
        valid_until: r.valid_until,
    };
    let v = input
        .validate(today())
        .map_err(|e| ApiError(AppError::validation(e)))?;
    let rec = new_decision(&state, body.id, &v, "api").await?;
    let id = state.store.record_decision(&rec, &t.who()).await?;
    let d = state.store.get_decision(id).await?;
    Ok((StatusCode::CREATED, Json(decision_json(&state, d).await?)))
}

/// Which staff records to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DecisionQuery {
    /// `due` (待公示, default), `overdue`, `published`, `withdrawn`, `withheld`, `void` or `all`.
    pub view: Option<String>,
    #[param(schema_with = kind_schema)]
    pub kind: Option<String>,
    pub q: Option<String>,
}

/// Decisions within the token's scope, newest decision first (at most 500).
#[utoipa::path(
    get,
    path = "/api/v1/admin/credit/decisions",
    tag = "admin",
    security(("bearer" = [])),
    params(DecisionQuery),
    responses(
        (status = 200, description = "决定列表", body = [DecisionJson]),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
    )
)]
pub async fn list_decisions(
    State(state): State<AppState>,
    t: TokenActor,
    Query(q): Query<DecisionQuery>,
) -> Result<Json<Vec<DecisionJson>>, ApiError> {
    let rows = state
        .store
        .list_decisions(
            &t.actor.scope_any(CREDIT_READERS),
            &DecisionFilter {
                view: q.view.unwrap_or_else(|| "due".into()),
                kind: q.kind.as_deref().and_then(DecisionKind::parse),
                q: q.q.unwrap_or_default(),
                today: Some(today()),
                limit: 500,
            },
        )
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        out.push(decision_json(&state, r.d).await?);
    }
    Ok(Json(out))
}

/// One staff record.
#[utoipa::path(
    get,
    path = "/api/v1/admin/credit/decisions/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "决定编号")),
    responses(
        (status = 200, description = "决定", body = DecisionJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "没有该决定，或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn get_decision(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
) -> Result<Json<DecisionJson>, ApiError> {
    let (d, _) = decision_in_scope(&state, &t, &id).await?;
    Ok(Json(decision_json(&state, d).await?))
}

/// Publish a recorded decision as its masked public copy (审批领导). A decision the law keeps
/// back (a minor) becomes `withheld` instead; one whose copy would still hold a personal value
/// is refused (422 `workflow`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/credit/decisions/{id}/publish",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "决定编号")),
    responses(
        (status = 200, description = "已公示，或依法不予公示（status: withheld）", body = DecisionJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有审批领导角色", body = ErrorBody),
        (status = 404, description = "没有该决定，或不在令牌范围内", body = ErrorBody),
        (status = 422, description = "不能公示（code: workflow）", body = ErrorBody),
    )
)]
pub async fn publish_decision(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
) -> Result<Json<DecisionJson>, ApiError> {
    let (d, path) = decision_in_scope(&state, &t, &id).await?;
    require(&t, Permission::ApproveItems, &path)?;
    let p = personal_of(&state, &d)?;
    state
        .store
        .publish_decision(d.id, &p, &state.config.screening, today(), &t.who())
        .await
        .map_err(refusal)?;
    let d = state.store.get_decision(d.id).await?;
    Ok(Json(decision_json(&state, d).await?))
}

/// Why and since when a published decision is withdrawn.
#[derive(Deserialize, ToSchema)]
pub struct WithdrawRequest {
    /// The date of the decision that changed or revoked it (YYYY-MM-DD, not after today).
    pub revoked_on: String,
    /// Shown publicly for the rest of the display period.
    pub reason: String,
}

/// Withdraw a published decision that was changed or revoked (within 3 working days).
#[utoipa::path(
    post,
    path = "/api/v1/admin/credit/decisions/{id}/withdraw",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "决定编号")),
    request_body = WithdrawRequest,
    responses(
        (status = 200, description = "已撤下公示", body = DecisionJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有审批领导角色", body = ErrorBody),
        (status = 404, description = "没有该决定，或不在令牌范围内", body = ErrorBody),
        (status = 422, description = "字段有误（validation）或不能撤下（workflow）", body = ErrorBody),
    )
)]
pub async fn withdraw_decision(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<WithdrawRequest>,
) -> Result<Json<DecisionJson>, ApiError> {
    let (d, path) = decision_in_scope(&state, &t, &id).await?;
    require(&t, Permission::ApproveItems, &path)?;
    let revoked_on = NaiveDate::parse_from_str(r.revoked_on.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError(AppError::validation(vec![(
            "revoked_on",
            "请填写变更或撤销决定的日期（YYYY-MM-DD）".to_string(),
        )]))
    })?;
    let due = dc::withdraw_due(&state.calendar(), revoked_on)
        .map_err(|e| ApiError(AppError::validation(vec![("revoked_on", e.to_string())])))?;
    state
        .store
        .withdraw_decision(d.id, revoked_on, due, &r.reason, today(), &t.who())
        .await
        .map_err(refusal)?;
    let d = state.store.get_decision(d.id).await?;
    Ok(Json(decision_json(&state, d).await?))
}
