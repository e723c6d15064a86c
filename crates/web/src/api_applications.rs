//! The public JSON API of 依申请公开: submit an application (`POST /api/v1/applications`, JSON in;
//! tracking number and secret out) and read its status (`GET /api/v1/applications/{number}` with
//! the secret in the `X-Application-Secret` header). Nobody else can read an application.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use gongkai_domain::application::ApplicationInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api_admin::ApiJson;
use crate::auth::Ip;
use crate::error::{ApiError, AppError};
use crate::handlers::applications::{explain, find_own, submit_online};

fn applicant_type_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::application::ApplicantType),
        "申请人类型（年度报告表三的栏目）",
        false,
    )
}

fn id_type_schema() -> utoipa::openapi::schema::Object {
    let v: Vec<(&str, &str)> = gongkai_domain::application::ID_TYPES
        .iter()
        .map(|t| (*t, *t))
        .collect();
    crate::api::vocabulary_schema(&v, "身份证件类型", false)
}

fn form_wanted_schema() -> utoipa::openapi::schema::Object {
    let v: Vec<(&str, &str)> = gongkai_domain::application::FORMS_WANTED
        .iter()
        .map(|t| (*t, *t))
        .collect();
    let mut o = crate::api::vocabulary_schema(&v, "载体形式（可省略，默认电子数据）", false);
    o.default = Some(serde_json::json!(
        gongkai_domain::application::FORMS_WANTED[0]
    ));
    o
}

fn delivery_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        gongkai_domain::application::DELIVERIES,
        "获取方式（email 须填电子邮箱，post 须填通信地址）",
        false,
    )
}

fn event_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        gongkai_store::applications::APPLICATION_EVENT_KINDS,
        "办理事项",
        false,
    )
}

fn case_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::application::CaseStatus),
        "办理状态",
        false,
    )
}

fn reply_type_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::application::ReplyType),
        "答复类型（条例第三十六条至第三十九条），未答复时为 null",
        true,
    )
}

/// An application as submitted through the API.
#[derive(Deserialize, ToSchema)]
pub struct ApplicationRequest {
    /// The body applied to; 0 or absent means "not sure" (the government office routes it).
    #[serde(default)]
    pub body_id: i64,
    #[schema(schema_with = applicant_type_schema)]
    pub applicant_type: String,
    #[schema(example = "张三", max_length = 100)]
    pub name: String,
    #[schema(schema_with = id_type_schema)]
    pub id_type: String,
    /// With 居民身份证 a valid 18-character number (check digit), with 统一社会信用代码 a valid
    /// 18-character code.
    #[schema(example = "11010519491231002X", max_length = 40)]
    pub id_number: String,
    /// At least one of phone, email and address.
    #[serde(default)]
    #[schema(example = "13812345678")]
    pub phone: String,
    #[serde(default)]
    #[schema(example = "zhangsan@example.cn")]
    pub email: String,
    #[serde(default)]
    #[schema(example = "示例县城关镇人民路1号")]
    pub address: String,
    /// The information wanted: name, 文号 or other features.
    #[schema(example = "示例县2025年部门预算")]
    pub description: String,
    #[serde(default)]
    pub doc_no: String,
    #[serde(default)]
    #[schema(schema_with = form_wanted_schema)]
    pub form_wanted: String,
    #[schema(schema_with = delivery_schema)]
    pub delivery: String,
}

/// The receipt: keep both values; the secret is shown only this once.
#[derive(Serialize, ToSchema)]
pub struct ApplicationReceipt {
    pub number: String,
    pub secret: String,
    pub body_id: i64,
    #[schema(format = Date)]
    pub received_on: Option<String>,
    #[schema(format = Date)]
    pub due_on: Option<String>,
}

/// One event of a case as the applicant sees it.
#[derive(Serialize, ToSchema)]
pub struct ApplicationEvent {
    #[schema(format = Date)]
    pub on_date: String,
    #[schema(schema_with = event_kind_schema)]
    pub kind: String,
    pub label: String,
}

/// The applicant's view of a case.
#[derive(Serialize, ToSchema)]
pub struct ApplicationStatus {
    pub number: String,
    #[schema(schema_with = case_status_schema)]
    pub status: String,
    pub status_label: String,
    pub received_on: Option<String>,
    pub due_on: Option<String>,
    /// How the due date was computed, line by line.
    pub explanation: Vec<String>,
    pub events: Vec<ApplicationEvent>,
    #[schema(schema_with = reply_type_schema)]
    pub reply_type: Option<String>,
    pub reply_label: Option<String>,
    pub reply_text: Option<String>,
    pub replied_on: Option<String>,
}

/// Submit an application (依申请公开). It is stored durably before the answer is sent.
#[utoipa::path(
    post,
    path = "/api/v1/applications",
    tag = "public",
    request_body = ApplicationRequest,
    responses(
        (status = 201, description = "申请已收到", body = ApplicationReceipt),
        (status = 400, description = "请求不是有效的 JSON", body = crate::api::ErrorBody),
        (status = 422, description = "字段有误（code: validation，fields 逐项说明）", body = crate::api::ErrorBody),
        (status = 503, description = "暂不能受理（code: unavailable），如办理期限所在年度的节假日安排尚未载入；所填内容未保存，可稍后重新提交", body = crate::api::ErrorBody),
    )
)]
pub async fn create_application(
    State(state): State<AppState>,
    Ip(ip): Ip,
    ApiJson(r): ApiJson<ApplicationRequest>,
) -> Result<(StatusCode, Json<ApplicationReceipt>), ApiError> {
    let input = ApplicationInput {
        body_id: r.body_id,
        applicant_type: r.applicant_type,
        name: r.name,
        id_type: r.id_type,
        id_number: r.id_number,
        phone: r.phone,
        email: r.email,
        address: r.address,
        description: r.description,
        doc_no: r.doc_no,
        form_wanted: r.form_wanted,
        delivery: r.delivery,
    };
    match submit_online(&state, &input, &ip).await? {
        Err(errors) => Err(ApiError(AppError::validation(errors.fields))),
        Ok((a, secret)) => Ok((
            StatusCode::CREATED,
            Json(ApplicationReceipt {
                number: a.number,
                secret,
                body_id: a.body_id,
                received_on: a.received_on,
                due_on: a.due_on,
            }),
        )),
    }
}

/// The applicant's view of an application; the secret goes in `X-Application-Secret`.
#[utoipa::path(
    get,
    path = "/api/v1/applications/{number}",
    tag = "public",
    params(
        ("number" = String, Path, description = "申请编号"),
        ("X-Application-Secret" = String, Header, description = "查询密码"),
    ),
    responses(
        (status = 200, description = "办理进度", body = ApplicationStatus),
        (status = 404, description = "编号或查询密码不正确", body = crate::api::ErrorBody),
    )
)]
pub async fn get_application(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Json<ApplicationStatus>, ApiError> {
    let secret = headers
        .get("x-application-secret")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    // A wrong secret and an unknown number get the same answer.
    let a = find_own(&state, &number, secret)
        .await?
        .ok_or(AppError::NotFound)?;
    let (events, explanation) = explain(&state, &a).await?;
    let answered = a.reply_type.is_some();
    Ok(Json(ApplicationStatus {
        status_label: a.status_label().to_string(),
        reply_label: answered.then(|| a.reply_label().to_string()),
        reply_text: answered.then(|| a.reply_text.clone()),
        events: events
            .iter()
            .map(|e| ApplicationEvent {
                on_date: e.on_date.clone(),
                kind: e.kind.clone(),
                label: e.label().to_string(),
            })
            .collect(),
        explanation,
        number: a.number,
        status: a.status,
        received_on: a.received_on,
        due_on: a.due_on,
        reply_type: a.reply_type,
        replied_on: a.replied_on,
    }))
}
