//! The public JSON API of 信箱: the mailboxes (`GET /api/v1/mailboxes`), writing a letter
//! (`POST /api/v1/letters`, JSON in; tracking number and secret out) and reading it
//! (`GET /api/v1/letters/{number}` with the secret in `X-Letter-Secret`). The same rules, limits
//! and protection as the form apply; attachments are accepted by the form only.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use gongkai_domain::letters::LetterInput;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api_admin::ApiJson;
use crate::auth::Ip;
use crate::error::{ApiError, AppError};
use crate::handlers::letters::{find_own_letter, letter_explanation, submit_letter};

fn mailbox_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::letters::MailboxKind),
        "信箱类别",
        false,
    )
}

fn letter_event_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        gongkai_store::letters::LETTER_EVENT_KINDS,
        "办理事项",
        false,
    )
}

fn letter_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::letters::LetterStatus),
        "办理状态",
        false,
    )
}

fn rating_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::letters::Rating),
        "来信人对答复的评价，未评价时为 null",
        true,
    )
}

/// A mailbox the public can write to.
#[derive(Serialize, ToSchema)]
pub struct MailboxJson {
    pub id: i64,
    pub body_id: i64,
    pub name: String,
    #[schema(schema_with = mailbox_kind_schema)]
    pub kind: String,
    pub kind_label: String,
    /// The reply limit, e.g. "15个工作日" or "60日".
    pub limit: String,
    pub anonymous_allowed: bool,
    pub publish_allowed: bool,
    pub intro: String,
}

/// The active mailboxes.
#[utoipa::path(
    get,
    path = "/api/v1/mailboxes",
    tag = "public",
    responses((status = 200, description = "信箱列表", body = [MailboxJson]))
)]
pub async fn list_mailboxes(
    State(state): State<AppState>,
) -> Result<Json<Vec<MailboxJson>>, ApiError> {
    Ok(Json(
        state
            .store
            .list_mailboxes(true)
            .await?
            .into_iter()
            .map(|m| MailboxJson {
                kind_label: m.kind_label().to_string(),
                limit: m.limit_text(),
                id: m.id,
                body_id: m.body_id,
                name: m.name,
                kind: m.kind,
                anonymous_allowed: m.anonymous_allowed,
                publish_allowed: m.publish_allowed,
                intro: m.intro,
            })
            .collect(),
    ))
}

/// A letter as sent through the API.
#[derive(Deserialize, ToSchema)]
pub struct LetterRequest {
    pub mailbox_id: i64,
    /// 标题, at most 100 characters.
    #[schema(max_length = 100, example = "建议增设公交站台遮雨棚")]
    pub subject: String,
    /// 来信内容, 5 to 5,000 characters.
    #[schema(
        min_length = 5,
        max_length = 5000,
        example = "城关路公交站台没有遮雨棚，雨天候车不便。"
    )]
    pub content: String,
    /// Only where the mailbox accepts anonymous letters; no identity is kept then.
    #[serde(default)]
    pub anonymous: bool,
    /// Required unless anonymous.
    #[serde(default)]
    #[schema(example = "张三", max_length = 50)]
    pub name: String,
    /// A phone or an e-mail address is required unless anonymous.
    #[serde(default)]
    #[schema(example = "13812345678")]
    pub phone: String,
    #[serde(default)]
    #[schema(example = "zhangsan@example.cn")]
    pub email: String,
    #[serde(default)]
    pub address: String,
    /// The writer agrees that the letter and its reply may be published with personal data masked.
    #[serde(default)]
    pub consent_publish: bool,
}

/// The receipt: keep both values; the secret is shown only this once.
#[derive(Serialize, ToSchema)]
pub struct LetterReceipt {
    pub number: String,
    pub secret: String,
    pub mailbox_id: i64,
    #[schema(format = Date)]
    pub received_on: String,
    /// YYYY-MM-DD, or empty while next year's holiday notice is not loaded.
    pub due_on: String,
}

/// One event of a letter as the writer sees it.
#[derive(Serialize, ToSchema)]
pub struct LetterEventJson {
    #[schema(format = Date)]
    pub on_date: String,
    #[schema(schema_with = letter_event_kind_schema)]
    pub kind: String,
    pub label: String,
    pub detail: String,
}

/// The writer's view of a letter.
#[derive(Serialize, ToSchema)]
pub struct LetterStatusJson {
    pub number: String,
    #[schema(schema_with = letter_status_schema)]
    pub status: String,
    pub status_label: String,
    pub subject: String,
    pub received_on: String,
    pub due_on: String,
    pub explanation: Vec<String>,
    pub events: Vec<LetterEventJson>,
    pub reply_text: Option<String>,
    pub replied_on: Option<String>,
    #[schema(schema_with = rating_schema)]
    pub rating: Option<String>,
    /// The last day the writer may ask to reopen (once), while that is possible.
    pub reopen_until: Option<String>,
}

/// Write to a mailbox (信箱). The letter is stored durably before the answer is sent.
#[utoipa::path(
    post,
    path = "/api/v1/letters",
    tag = "public",
    request_body = LetterRequest,
    responses(
        (status = 201, description = "来信已收到", body = LetterReceipt),
        (status = 400, description = "请求不是有效的 JSON", body = crate::api::ErrorBody),
        (status = 422, description = "字段有误（code: validation，fields 逐项说明）", body = crate::api::ErrorBody),
        (status = 429, description = "提交过于频繁（code: rate_limited）", body = crate::api::ErrorBody),
        (status = 503, description = "暂不能受理（code: unavailable），如举报密钥未配置、办理期限所在年度的节假日安排尚未载入；所填内容未保存，可稍后重新提交", body = crate::api::ErrorBody),
    )
)]
pub async fn create_letter(
    State(state): State<AppState>,
    Ip(ip): Ip,
    ApiJson(r): ApiJson<LetterRequest>,
) -> Result<(StatusCode, Json<LetterReceipt>), ApiError> {
    let input = LetterInput {
        subject: r.subject,
        content: r.content,
        anonymous: r.anonymous,
        name: r.name,
        phone: r.phone,
        email: r.email,
        address: r.address,
        consent_publish: r.consent_publish,
    };
    match submit_letter(&state, r.mailbox_id, &input, vec![], &ip).await? {
        Err(errors) => Err(ApiError(AppError::validation(errors.fields))),
        Ok((l, secret)) => Ok((
            StatusCode::CREATED,
            Json(LetterReceipt {
                number: l.number,
                secret,
                mailbox_id: l.mailbox_id,
                received_on: l.received_on,
                due_on: l.due_on,
            }),
        )),
    }
}

/// The writer's view of a letter; the secret goes in `X-Letter-Secret`.
#[utoipa::path(
    get,
    path = "/api/v1/letters/{number}",
    tag = "public",
    params(
        ("number" = String, Path, description = "来信编号"),
        ("X-Letter-Secret" = String, Header, description = "查询密码"),
    ),
    responses(
        (status = 200, description = "办理进度", body = LetterStatusJson),
        (status = 404, description = "编号或查询密码不正确", body = crate::api::ErrorBody),
    )
)]
pub async fn get_letter(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(number): Path<String>,
) -> Result<Json<LetterStatusJson>, ApiError> {
    let secret = headers
        .get("x-letter-secret")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let l = find_own_letter(&state, &number, secret)
        .await?
        .ok_or(AppError::NotFound)?;
    let events = state.store.letter_events(l.id).await?;
    let explanation = letter_explanation(&state, &l).await?;
    let replied = l.status == "replied";
    let today = crate::handlers::admin::today();
    Ok(Json(LetterStatusJson {
        status_label: l.status_label().to_string(),
        events: events
            .iter()
            .filter(|e| e.is_public())
            .map(|e| LetterEventJson {
                on_date: e.on_date.clone(),
                kind: e.kind.clone(),
                label: e.label().to_string(),
                detail: e.public_detail(),
            })
            .collect(),
        explanation,
        reply_text: replied.then(|| l.reply_text.clone()),
        reopen_until: l
            .can_reopen(today)
            .then(|| l.reopen_until().map(|d| d.to_string()))
            .flatten(),
        number: l.number,
        status: l.status,
        subject: l.subject,
        received_on: l.received_on,
        due_on: l.due_on,
        replied_on: l.replied_on,
        rating: l.rating,
    }))
}
