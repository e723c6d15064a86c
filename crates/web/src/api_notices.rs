//! The API of 公示: the notices of published public items with where each stands today, and
//! objections (stored durably before the answer, like applications and letters).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gongkai_domain::notice_period::{self as np, ObjectionInput, Phase};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api_admin::{ApiJson, parse_id};
use crate::auth::Ip;
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;

fn phase_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &[
            ("not_started", "未开始"),
            ("open", "公示中"),
            ("ended", "公示期满"),
        ],
        "公示阶段",
        false,
    )
}

fn kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(np::NoticeKind), "公示类别", false)
}

fn result_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(np::NoticeResult), "公示结果", true)
}

/// A notice and where it stands today.
#[derive(Serialize, ToSchema)]
pub struct NoticeJson {
    pub item_id: i64,
    pub title: String,
    pub body_id: i64,
    pub body_name: String,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    pub kind_label: String,
    pub start_on: String,
    pub end_on: String,
    #[schema(schema_with = phase_schema)]
    pub phase: String,
    /// Once the period has ended.
    #[schema(schema_with = result_schema)]
    pub result: Option<String>,
    /// The day the announced decision takes effect, once it does.
    pub effective_on: Option<String>,
    /// The page with the objection form.
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct NoticeList {
    pub notices: Vec<NoticeJson>,
}

/// Notices of published items, the latest end first.
#[utoipa::path(
    get,
    path = "/api/v1/notices",
    tag = "public",
    responses((status = 200, description = "公示列表", body = NoticeList))
)]
pub async fn list_notices(State(state): State<AppState>) -> Result<Json<NoticeList>, ApiError> {
    state.store.notice_tick(today()).await?;
    let day = today();
    let rows = state.store.list_notices(500).await?;
    Ok(Json(NoticeList {
        notices: rows
            .into_iter()
            .map(|r| {
                let start =
                    chrono::NaiveDate::parse_from_str(&r.start_on, "%Y-%m-%d").unwrap_or_default();
                let end =
                    chrono::NaiveDate::parse_from_str(&r.end_on, "%Y-%m-%d").unwrap_or_default();
                NoticeJson {
                    phase: match np::phase(start, end, day) {
                        Phase::NotStarted => "not_started",
                        Phase::Open => "open",
                        Phase::Ended => "ended",
                    }
                    .into(),
                    kind_label: r.kind_label().into(),
                    url: format!("/items/{}/notice", r.item_id),
                    item_id: r.item_id,
                    title: r.title,
                    body_id: r.body_id,
                    body_name: r.body_name,
                    kind: r.kind,
                    start_on: r.start_on,
                    end_on: r.end_on,
                    result: r.result,
                    effective_on: r.effective_on,
                }
            })
            .collect(),
    }))
}

/// An objection to a notice in its period. Name and contact are kept from the public.
#[derive(Deserialize, ToSchema)]
pub struct ObjectionRequest {
    #[schema(max_length = 50, example = "王五")]
    pub name: String,
    /// A phone number or an e-mail address.
    #[schema(min_length = 5, max_length = 100, example = "13900001111")]
    pub contact: String,
    #[schema(max_length = 2000, example = "该同志去年有违纪记录，请核实。")]
    pub text: String,
}

#[derive(Serialize, ToSchema)]
pub struct ObjectionReceiptJson {
    /// 异议编号.
    pub number: String,
}

/// Object to a notice during its period. Stored durably before the answer is sent.
#[utoipa::path(
    post,
    path = "/api/v1/notices/{id}/objections",
    tag = "public",
    params(("id" = i64, Path, description = "公示信息编号")),
    request_body = ObjectionRequest,
    responses(
        (status = 201, description = "异议已收到", body = ObjectionReceiptJson),
        (status = 400, description = "请求不是有效的 JSON", body = crate::api::ErrorBody),
        (status = 404, description = "没有该公示", body = crate::api::ErrorBody),
        (status = 422, description = "字段有误（code: validation），或不在公示期内（code: workflow）", body = crate::api::ErrorBody),
        (status = 429, description = "提交过于频繁（code: rate_limited）", body = crate::api::ErrorBody),
    )
)]
pub async fn create_objection(
    State(state): State<AppState>,
    Ip(ip): Ip,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<ObjectionRequest>,
) -> Result<(StatusCode, Json<ObjectionReceiptJson>), ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let valid = ObjectionInput {
        name: r.name,
        contact: r.contact,
        text: r.text,
    }
    .validate()
    .map_err(|e| ApiError(AppError::validation(e)))?;
    match crate::handlers::notice_periods::submit_objection(&state, id, &valid, &ip).await {
        Ok(number) => Ok((StatusCode::CREATED, Json(ObjectionReceiptJson { number }))),
        Err(AppError::BadRequest(m)) => Err(AppError::workflow(m).into()),
        Err(e) => Err(e.into()),
    }
}
