//! The API of 征求意见: drafts open for comment with where each stands today, one draft with its
//! paragraphs, visible comments and published 意见采纳情况, and comments (stored durably before
//! the answer, like objections and applications).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use gongkai_domain::consultation::{self as dc, CommentInput};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api_admin::{ApiJson, parse_id};
use crate::auth::Ip;
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;

fn state_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &[
            ("not_started", "未开始"),
            ("open", "征求意见中"),
            ("closed", "已截止"),
            ("feedback", "已公布意见采纳情况"),
        ],
        "征求意见阶段",
        false,
    )
}

fn disposition_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(dc::Disposition), "采纳情况", false)
}

fn state_key(feedback: bool, start: &str, end: &str) -> &'static str {
    let day = today().to_string();
    if feedback {
        "feedback"
    } else if day.as_str() < start {
        "not_started"
    } else if day.as_str() <= end {
        "open"
    } else {
        "closed"
    }
}

/// A draft for comment and where it stands today.
#[derive(Serialize, ToSchema)]
pub struct ConsultationJson {
    pub item_id: i64,
    pub title: String,
    pub body_id: i64,
    pub body_name: String,
    pub start_on: String,
    pub end_on: String,
    #[schema(schema_with = state_schema)]
    pub state: String,
    /// Comments shown in public.
    pub comments: i64,
    /// The final version, once linked.
    pub final_item_id: Option<i64>,
    /// The page with the draft and the comment form.
    pub url: String,
}

#[derive(Serialize, ToSchema)]
pub struct ConsultationList {
    pub consultations: Vec<ConsultationJson>,
}

/// Drafts for comment of published items, the latest close first.
#[utoipa::path(
    get,
    path = "/api/v1/consultations",
    tag = "public",
    responses((status = 200, description = "征求意见列表", body = ConsultationList))
)]
pub async fn list_consultations(
    State(state): State<AppState>,
) -> Result<Json<ConsultationList>, ApiError> {
    let rows = state.store.list_consultations(500).await?;
    Ok(Json(ConsultationList {
        consultations: rows
            .into_iter()
            .map(|r| ConsultationJson {
                state: state_key(r.feedback_at.is_some(), &r.start_on, &r.end_on).into(),
                url: format!("/items/{}/consultation", r.item_id),
                item_id: r.item_id,
                title: r.title,
                body_id: r.body_id,
                body_name: r.body_name,
                start_on: r.start_on,
                end_on: r.end_on,
                comments: r.comments,
                final_item_id: r.final_item_id,
            })
            .collect(),
    }))
}

/// A comment shown in public.
#[derive(Serialize, ToSchema)]
pub struct CommentJson {
    pub number: String,
    /// 0: the whole draft; N: paragraph N.
    pub paragraph: i64,
    /// 「网友」 unless the commenter agreed to be named.
    pub name: String,
    pub text: String,
    pub received_on: String,
}

/// A group of the 意见采纳情况.
#[derive(Serialize, ToSchema)]
pub struct GroupJson {
    pub theme: String,
    #[schema(schema_with = disposition_schema)]
    pub disposition: String,
    pub disposition_label: String,
    pub reason: String,
    /// Numbers of the comments in the group.
    pub comments: Vec<String>,
}

/// One draft for comment.
#[derive(Serialize, ToSchema)]
pub struct ConsultationDetail {
    pub item_id: i64,
    pub title: String,
    pub body_name: String,
    pub start_on: String,
    pub end_on: String,
    #[schema(schema_with = state_schema)]
    pub state: String,
    /// 起草说明 (Markdown).
    pub explanation: String,
    /// The draft's paragraphs (Markdown), numbered from 1.
    pub paragraphs: Vec<String>,
    pub comments: Vec<CommentJson>,
    /// Comments not shown, with their reasons.
    pub hidden_reasons: Vec<String>,
    /// Once published: the 意见采纳情况.
    pub feedback: Vec<GroupJson>,
    /// Its ledger entry, once published.
    pub feedback_seq: Option<i64>,
    /// The final version, once published.
    pub final_item_id: Option<i64>,
}

/// One draft for comment: paragraphs, visible comments, and the 意见采纳情况 once published.
#[utoipa::path(
    get,
    path = "/api/v1/consultations/{id}",
    tag = "public",
    params(("id" = i64, Path, description = "征求意见稿信息编号")),
    responses(
        (status = 200, description = "征求意见稿", body = ConsultationDetail),
        (status = 404, description = "没有该征求意见稿", body = crate::api::ErrorBody),
    )
)]
pub async fn get_consultation(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ConsultationDetail>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let (item, k, body_name, version) =
        crate::handlers::consultations::public_consultation(&state, id).await?;
    let all = state.store.comments_of(id).await?;
    let feedback = if k.feedback_at.is_some() {
        state
            .store
            .groups_of(id)
            .await?
            .into_iter()
            .map(|g| GroupJson {
                disposition_label: g.disposition_label().into(),
                comments: all
                    .iter()
                    .filter(|c| c.visible() && c.group_id == Some(g.id))
                    .map(|c| c.number.clone())
                    .collect(),
                theme: g.theme,
                disposition: g.disposition,
                reason: g.reason,
            })
            .collect()
    } else {
        Vec::new()
    };
    let final_item_id = match k.final_item_id {
        Some(f) if k.feedback_at.is_some() => {
            let i = state.store.get_item(f).await?;
            (i.status == "published" && i.scope == "public").then_some(f)
        }
        _ => None,
    };
    Ok(Json(ConsultationDetail {
        state: state_key(k.feedback_at.is_some(), &k.start_on, &k.end_on).into(),
        item_id: item.id,
        title: item.title,
        body_name,
        paragraphs: dc::paragraphs(&version.body_md),
        hidden_reasons: all
            .iter()
            .filter(|c| c.status == "hidden")
            .map(|c| c.hidden_reason.clone())
            .collect(),
        comments: all
            .iter()
            .filter(|c| c.visible())
            .map(|c| CommentJson {
                number: c.number.clone(),
                paragraph: c.paragraph,
                name: c.shown_name().into(),
                text: c.text.clone(),
                received_on: c.received_on.clone(),
            })
            .collect(),
        feedback,
        feedback_seq: k.feedback_seq,
        final_item_id,
        start_on: k.start_on,
        end_on: k.end_on,
        explanation: k.explanation,
    }))
}

/// A comment on a draft in its window. Name and contact are kept from the public.
#[derive(Deserialize, ToSchema)]
pub struct CommentRequest {
    #[schema(max_length = 50, example = "李明")]
    pub name: String,
    /// A phone number or an e-mail address.
    #[schema(min_length = 5, max_length = 100, example = "13800001111")]
    pub contact: String,
    #[schema(max_length = 2000, example = "建议增加老年人代办服务。")]
    pub text: String,
    /// 0 (or absent): the whole draft; N: paragraph N.
    #[serde(default)]
    #[schema(minimum = 0, maximum = 10000)]
    pub paragraph: u32,
    /// The name may be shown with the comment.
    #[serde(default)]
    pub show_name: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CommentReceiptJson {
    /// 意见编号.
    pub number: String,
    /// The comment waits for a moderator before it is shown.
    pub held: bool,
}

/// Comment on a draft in its window. Stored durably before the answer is sent.
#[utoipa::path(
    post,
    path = "/api/v1/consultations/{id}/comments",
    tag = "public",
    params(("id" = i64, Path, description = "征求意见稿信息编号")),
    request_body = CommentRequest,
    responses(
        (status = 201, description = "意见已收到", body = CommentReceiptJson),
        (status = 400, description = "请求不是有效的 JSON", body = crate::api::ErrorBody),
        (status = 404, description = "没有该征求意见稿", body = crate::api::ErrorBody),
        (status = 422, description = "字段有误（code: validation），或不在征求意见期内（code: workflow）", body = crate::api::ErrorBody),
        (status = 429, description = "提交过于频繁（code: rate_limited）", body = crate::api::ErrorBody),
    )
)]
pub async fn create_comment(
    State(state): State<AppState>,
    Ip(ip): Ip,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<CommentRequest>,
) -> Result<(StatusCode, Json<CommentReceiptJson>), ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let input = CommentInput {
        name: r.name,
        contact: r.contact,
        text: r.text,
        paragraph: r.paragraph.to_string(),
        show_name: if r.show_name { "on" } else { "" }.into(),
    };
    let valid = crate::handlers::consultations::check_comment(&state, id, &input)
        .await?
        .map_err(|e| ApiError(AppError::validation(e)))?;
    match crate::handlers::consultations::submit_comment(&state, id, &valid, &ip).await {
        Ok((number, held)) => Ok((
            StatusCode::CREATED,
            Json(CommentReceiptJson { number, held }),
        )),
        Err(AppError::BadRequest(m)) => Err(AppError::workflow(m).into()),
        Err(e) => Err(e.into()),
    }
}
