//! The staff API, `/api/v1/admin`: an office system creates and edits drafts, uploads
//! attachments and moves items through the workflow (submit, review, approve, publish, revise,
//! withdraw) with an API token, `Authorization: Bearer gk_…`.
//!
//! A token acts as its service account with only the token's roles, granted on the token's body:
//! every check is the one the back office applies — `Actor::can` and scopes, the domain's
//! `transition` through `Store::apply_step` (separation of duties included), the screening before
//! review, the attachment checks. Session cookies are not accepted here, only tokens.
//!
//! Status codes: 401 `unauthenticated` (no, unknown or revoked token), 404 `not_found` (also for
//! items outside the token's scope), 403 `forbidden` (in scope, but the token's roles do not allow
//! the action), 422 `validation` (with `fields`) or `workflow` (a rule refused the step), 409
//! `conflict` (someone else changed the item first).

use axum::Json;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use gongkai_domain::access::{Actor, Grant, Permission, Scope};
use gongkai_domain::audit::Who;
use gongkai_domain::disclosure::{Conclusion, ItemInput, Step, VersionState, WithholdGround};
use gongkai_store::StoreError;
use gongkai_store::disclosure::{AttachmentRow, StepInput, Version};
use gongkai_store::tokens::TokenRow;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use crate::AppState;
use crate::api::ErrorBody;
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;
use crate::handlers::items::{due_for, screen_version};
use crate::middleware::ClientIp;

/// The routes under `/api/v1/admin`. The upload route is mounted in `crate::router` with the
/// larger body limit of uploads.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/categories", get(list_categories))
        .route("/items", get(list_items).post(create_item))
        .route("/items/{id}", get(get_item).put(update_item))
        .route("/items/{id}/steps", post(item_step))
        .route("/items/{id}/revise", post(revise_item))
        .route("/items/{id}/withdraw", post(withdraw_item))
        .route(
            "/credit/decisions",
            get(crate::api_credit::list_decisions).post(crate::api_credit::create_decision),
        )
        .route(
            "/credit/decisions/{id}",
            get(crate::api_credit::get_decision),
        )
        .route(
            "/credit/decisions/{id}/publish",
            post(crate::api_credit::publish_decision),
        )
        .route(
            "/credit/decisions/{id}/withdraw",
            post(crate::api_credit::withdraw_decision),
        )
        .route(
            "/collective-decisions",
            get(crate::api_decisions::list_collective_decisions)
                .post(crate::api_decisions::create_collective_decision),
        )
        .route("/monitor", get(crate::api_monitor::monitor))
        .route("/monitor/{rule}", get(crate::api_monitor::monitor_rule))
        .route(
            "/collective-decisions/{id}",
            get(crate::api_decisions::get_collective_decision),
        )
        .route(
            "/bodies/{id}/figures",
            get(crate::api_services::body_figures),
        )
        .route(
            "/bodies/{id}/annual-reports/{year}",
            get(crate::api_annual::get_staff_report),
        )
        .route("/annual-reports", get(crate::api_annual::overview))
        .fallback(crate::api::api_not_found)
}

// ---------------------------------------------------------------------------------------------
// Authentication.

/// The caller of the staff API: a live token and the account it acts as, with only the token's
/// roles on the token's body.
#[derive(Debug, Clone)]
pub struct TokenActor {
    pub token: TokenRow,
    pub actor: Actor,
    pub ip: String,
}

impl TokenActor {
    pub fn who(&self) -> Who {
        Who {
            user_id: Some(self.actor.user_id),
            name: self.actor.username.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// The token of an `Authorization: Bearer gk_…` header, if well formed.
fn bearer(headers: &axum::http::HeaderMap) -> Option<&str> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = v.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let token = token.trim();
    let rest = token.strip_prefix("gk_")?;
    (rest.len() == 43
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(token)
}

impl FromRequestParts<AppState> for TokenActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        // Only the bearer token counts: a session cookie sent along is ignored.
        let token = bearer(&parts.headers).ok_or(AppError::InvalidToken)?;
        let row = state
            .store
            .find_token(&crate::auth::sha256_hex(token))
            .await?
            .ok_or(AppError::InvalidToken)?;
        if row.acts_as_disabled {
            return Err(AppError::InvalidToken.into());
        }
        let now = gongkai_store::now_ms();
        if row
            .last_used_at
            .is_none_or(|t| now - t >= gongkai_store::tokens::TOUCH_INTERVAL_MS)
        {
            state.store.touch_token(row.id, now).await?;
        }
        let actor = Actor {
            user_id: row.acts_as_user_id,
            username: row.acts_as_username.clone(),
            display_name: row.acts_as_username.clone(),
            body_id: row.body_id,
            grants: row
                .roles()
                .into_iter()
                .map(|role| Grant {
                    role,
                    body_id: row.body_id,
                    body_path: row.body_path.clone(),
                })
                .collect(),
        };
        let ip = parts
            .extensions
            .get::<ClientIp>()
            .map(|c| c.0.clone())
            .unwrap_or_else(|| "unknown".into());
        Ok(TokenActor {
            token: row,
            actor,
            ip,
        })
    }
}

/// A JSON request body; anything that is not JSON of the expected shape is a `400 bad_request`.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(v)) => Ok(ApiJson(v)),
            Err(e) => Err(AppError::BadRequest(format!(
                "请求内容须为符合接口说明的 JSON（Content-Type: application/json）：{}",
                e.body_text()
            ))
            .into()),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Scope and permissions: the back office's rules, for the token's actor.

/// May the actor see items of the body at `path` (as in the back office's item pages)?
fn sees_items(actor: &Actor, path: &str) -> bool {
    actor.can_any(gongkai_domain::access::ITEM_READERS, path)
}

/// Where the actor sees items.
fn item_scope(actor: &Actor) -> Scope {
    actor.scope_any(gongkai_domain::access::ITEM_READERS)
}

pub(crate) fn require(t: &TokenActor, perm: Permission, path: &str) -> Result<(), ApiError> {
    if t.actor.can(perm, path) {
        Ok(())
    } else {
        Err(AppError::Forbidden.into())
    }
}

pub(crate) fn parse_id(s: &str) -> Result<i64, ApiError> {
    s.parse()
        .map_err(|_| AppError::BadRequest("编号应为整数".into()).into())
}

/// An item the token may see, with its body; anything else is `404`.
async fn item_in_scope(
    state: &AppState,
    t: &TokenActor,
    id: &str,
) -> Result<(gongkai_store::disclosure::Item, gongkai_store::bodies::Body), ApiError> {
    let item = state.store.get_item(parse_id(id)?).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !sees_items(&t.actor, &body.path) {
        return Err(AppError::NotFound.into());
    }
    Ok((item, body))
}

/// The answer to a store refusal: a rule (`Invalid`) is a `workflow` error, a concurrent change
/// (`Conflict`) a `conflict`.
pub(crate) fn refusal(e: StoreError) -> ApiError {
    match e {
        StoreError::Invalid(m) => AppError::workflow(m).into(),
        e => e.into(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON shapes.

/// A category of a body's 公开目录.
#[derive(Serialize, ToSchema)]
pub struct CategoryJson {
    pub id: i64,
    pub body_id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    /// Depth in the tree (0 for top-level headings).
    pub depth: i64,
}

#[derive(Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryJson>,
}

/// A row of an item list.
#[derive(Serialize, ToSchema)]
pub struct ItemSummary {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub title: String,
    #[schema(schema_with = item_status_schema)]
    pub status: String,
    /// 索引号, set at first publication.
    pub index_no: Option<String>,
    /// The version in the workflow, if any.
    pub version_id: Option<i64>,
    #[schema(schema_with = version_state_schema)]
    pub version_state: Option<String>,
    #[schema(schema_with = scope_schema)]
    pub scope: String,
    /// Due date under 条例第二十六条 (YYYY-MM-DD).
    pub due_on: Option<String>,
    pub late: bool,
    pub updated_at: i64,
}

#[derive(Serialize, ToSchema)]
pub struct ItemList {
    pub items: Vec<ItemSummary>,
}

/// One version of an item with its workflow facts.
#[derive(Serialize, ToSchema)]
pub struct VersionJson {
    pub id: i64,
    pub number: i64,
    #[schema(schema_with = version_state_required_schema)]
    pub state: String,
    pub title: String,
    pub doc_no: String,
    pub written_on: Option<String>,
    pub formed_on: String,
    pub subject: String,
    pub keywords: String,
    pub summary: String,
    pub body_md: String,
    pub scope: String,
    pub open_method: String,
    pub normative_kind: String,
    pub related: Vec<i64>,
    pub author_id: i64,
    pub reviewer_id: Option<i64>,
    pub approver_id: Option<i64>,
    /// 保密审查结论: `disclose`, `disclose_redacted`, `withhold`.
    pub conclusion: Option<String>,
    pub legal_ground: Option<String>,
    pub scheduled_at: Option<i64>,
    pub published_at: Option<i64>,
    pub updated_at: i64,
    /// Send this back as `token` when saving the draft (`PUT`): a save over someone else's
    /// newer change is refused with `409 conflict`.
    pub token: i64,
}

impl From<Version> for VersionJson {
    fn from(v: Version) -> Self {
        VersionJson {
            related: v.related_ids(),
            id: v.id,
            number: v.number,
            state: v.state,
            title: v.title,
            doc_no: v.doc_no,
            written_on: v.written_on,
            formed_on: v.formed_on,
            subject: v.subject,
            keywords: v.keywords,
            summary: v.summary,
            body_md: v.body_md,
            scope: v.scope,
            open_method: v.open_method,
            normative_kind: v.normative_kind,
            author_id: v.author_id,
            reviewer_id: v.reviewer_id,
            approver_id: v.approver_id,
            conclusion: v.conclusion,
            legal_ground: v.legal_ground,
            scheduled_at: v.scheduled_at,
            published_at: v.published_at,
            updated_at: v.updated_at,
            token: v.updated_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentJson {
    pub id: i64,
    pub version_id: i64,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub mime: String,
    pub created_at: i64,
}

impl From<AttachmentRow> for AttachmentJson {
    fn from(a: AttachmentRow) -> Self {
        AttachmentJson {
            id: a.id,
            version_id: a.version_id,
            name: a.name,
            sha256: a.sha256,
            size: a.size,
            mime: a.mime,
            created_at: a.created_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct AttachmentList {
    pub items: Vec<AttachmentJson>,
}

/// A screening finding of the working version (resolved in the back office: mask or accept).
#[derive(Serialize, ToSchema)]
pub struct FindingJson {
    pub id: i64,
    /// `title`, `summary`, `keywords`, `body_md` or `attachment:<id>`.
    pub field: String,
    #[schema(schema_with = finding_kind_schema)]
    pub kind: String,
    pub matched: String,
    pub context: String,
    #[schema(schema_with = finding_status_schema)]
    pub status: String,
    pub reason: String,
}

/// A step of the item's history.
#[derive(Serialize, ToSchema)]
pub struct StepJson {
    pub version_id: i64,
    /// `create`, `edit`, `submit`, `review（…）`, `withhold（…）`, `approve`, `schedule`,
    /// `return`, `revise`, `publish_scheduled`.
    pub step: String,
    pub actor_name: String,
    pub comment: String,
    pub at_ms: i64,
}

/// An item with its working and published versions.
#[derive(Serialize, ToSchema)]
pub struct ItemJson {
    pub id: i64,
    pub body_id: i64,
    pub category_id: i64,
    #[schema(schema_with = item_status_schema)]
    pub status: String,
    pub index_no: Option<String>,
    #[schema(schema_with = scope_schema)]
    pub scope: String,
    #[schema(schema_with = validity_schema)]
    pub validity: String,
    pub due_on: Option<String>,
    pub late: bool,
    pub first_published_at: Option<i64>,
    pub withdrawn_reason: String,
    pub withdrawn_at: Option<i64>,
    /// The version in the workflow (a draft, or one awaiting review or approval).
    pub working: Option<VersionJson>,
    /// The version the public sees.
    pub published: Option<VersionJson>,
    /// Attachments of the working version (or, without one, of the published version).
    pub attachments: Vec<AttachmentJson>,
    /// Screening findings of the working version.
    pub findings: Vec<FindingJson>,
    pub steps: Vec<StepJson>,
}

async fn item_json(state: &AppState, id: i64) -> Result<ItemJson, ApiError> {
    let item = state.store.get_item(id).await?;
    let working = match item.working_version_id {
        Some(v) => Some(state.store.get_version(v).await?),
        None => None,
    };
    let published = match item.published_version_id {
        Some(v) => Some(state.store.get_version(v).await?),
        None => None,
    };
    let shown = working.as_ref().or(published.as_ref()).map(|v| v.id);
    let attachments = match shown {
        Some(v) => state.store.attachments_of_version(v).await?,
        None => vec![],
    };
    let findings = match &working {
        Some(w) => state.store.findings_of(w.id).await?,
        None => vec![],
    };
    let steps = state.store.steps_of(id).await?;
    Ok(ItemJson {
        id: item.id,
        body_id: item.body_id,
        category_id: item.category_id,
        status: item.status,
        index_no: item.index_no,
        scope: item.scope,
        validity: item.validity,
        due_on: item.due_on,
        late: item.late,
        first_published_at: item.first_published_at,
        withdrawn_reason: item.withdrawn_reason,
        withdrawn_at: item.withdrawn_at,
        working: working.map(VersionJson::from),
        published: published.map(VersionJson::from),
        attachments: attachments.into_iter().map(AttachmentJson::from).collect(),
        findings: findings
            .into_iter()
            .map(|f| FindingJson {
                id: f.id,
                field: f.field,
                kind: f.kind,
                matched: f.matched,
                context: f.context,
                status: f.status,
                reason: f.reason,
            })
            .collect(),
        steps: steps
            .into_iter()
            .map(|s| StepJson {
                version_id: s.version_id,
                step: s.step,
                actor_name: s.actor_name,
                comment: s.comment,
                at_ms: s.at_ms,
            })
            .collect(),
    })
}

/// `null` is read as an empty string.
fn or_empty<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// The editable fields of a draft, validated exactly as the back office's form.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct DraftFields {
    /// 标题 (required, at most 200 characters).
    #[serde(deserialize_with = "or_empty")]
    pub title: String,
    /// 发文字号, e.g. `测交发〔2025〕3号` (brackets are normalised).
    #[serde(deserialize_with = "or_empty")]
    pub doc_no: String,
    /// 信息形成（变更）日期, YYYY-MM-DD (required, not in the future).
    #[serde(deserialize_with = "or_empty")]
    pub formed_on: String,
    /// 成文日期, YYYY-MM-DD.
    #[serde(deserialize_with = "or_empty")]
    pub written_on: String,
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = subject_schema)]
    pub subject: String,
    #[serde(deserialize_with = "or_empty")]
    pub keywords: String,
    /// 内容概述.
    #[serde(deserialize_with = "or_empty")]
    pub summary: String,
    /// 正文, Markdown.
    #[serde(deserialize_with = "or_empty")]
    pub body_md: String,
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = scope_schema)]
    pub scope: String,
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = open_method_schema)]
    pub open_method: String,
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = normative_kind_schema)]
    pub normative_kind: String,
    /// Ids of related items.
    pub related: Vec<i64>,
}

impl DraftFields {
    fn input(&self) -> ItemInput {
        ItemInput {
            title: self.title.clone(),
            doc_no: self.doc_no.clone(),
            written_on: self.written_on.clone(),
            formed_on: self.formed_on.clone(),
            subject: self.subject.clone(),
            keywords: self.keywords.clone(),
            summary: self.summary.clone(),
            body_md: self.body_md.clone(),
            scope: self.scope.clone(),
            open_method: self.open_method.clone(),
            normative_kind: self.normative_kind.clone(),
            related: self
                .related
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// A new draft.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ItemCreate {
    /// The body; by default the token's body.
    pub body_id: Option<i64>,
    /// A category of the body's 公开目录 (see `GET /api/v1/admin/categories`).
    pub category_id: Option<i64>,
    #[serde(flatten)]
    pub fields: DraftFields,
}

/// A draft's new fields.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ItemUpdate {
    /// The `token` of the working version as last read (required).
    pub token: Option<i64>,
    #[serde(flatten)]
    pub fields: DraftFields,
}

/// The workflow steps of the API, each with who takes it.
pub const STEPS: &[(&str, &str)] = &[
    ("submit", "提交保密审查（信息员）"),
    ("review", "审查通过（保密审查员，须有 conclusion）"),
    ("withhold", "不予公开（保密审查员，须有 ground）"),
    ("approve", "审批发布（审批领导）"),
    ("schedule", "定时发布（审批领导，须有 scheduled_at）"),
    ("return", "退回（保密审查员或审批领导，须有 comment）"),
];

fn scope_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::Scope),
        "公开范围（省略为 public）",
        false,
    )
}

fn open_method_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::OpenMethod),
        "公开方式（省略为 proactive）",
        false,
    )
}

fn normative_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::NormativeKind),
        "规章或行政规范性文件（省略为 none）",
        false,
    )
}

fn step_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(STEPS, "办理步骤", false)
}

/// A value required only by some steps: the vocabulary, or empty.
fn with_empty(mut v: Vec<(&'static str, &'static str)>) -> Vec<(&'static str, &'static str)> {
    v.push(("", "（其他步骤不填）"));
    v
}

fn conclusion_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &with_empty(crate::vocabulary!(gongkai_domain::disclosure::Conclusion)),
        "保密审查结论（review 时必填）",
        false,
    )
}

fn ground_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &with_empty(crate::vocabulary!(
            gongkai_domain::disclosure::WithholdGround
        )),
        "不予公开的法律依据（withhold 时必填）",
        false,
    )
}

pub(crate) fn item_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::ItemStatus),
        "发布状态",
        false,
    )
}

fn finding_kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::screening::FindingKind),
        "筛查发现的类别",
        false,
    )
}

fn finding_status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        gongkai_domain::screening::FINDING_STATUSES,
        "处理状态",
        false,
    )
}

fn version_state_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::VersionState),
        "工作版本的审查状态，没有工作版本时为 null",
        true,
    )
}

fn version_state_required_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::VersionState),
        "版本的审查状态",
        false,
    )
}

/// 主题分类 as stored: one of the list, or empty for an item without one.
pub(crate) fn subject_or_empty_schema() -> utoipa::openapi::schema::Object {
    let v: Vec<(&str, &str)> = gongkai_domain::disclosure::SUBJECTS
        .iter()
        .map(|t| (*t, *t))
        .collect();
    crate::api::vocabulary_schema(&with_empty(v), "主题分类", false)
}

fn subject_schema() -> utoipa::openapi::schema::Object {
    let v: Vec<(&str, &str)> = gongkai_domain::disclosure::SUBJECTS
        .iter()
        .map(|t| (*t, *t))
        .collect();
    crate::api::vocabulary_schema(&v, "主题分类", false)
}

pub(crate) fn validity_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::Validity),
        "有效性",
        false,
    )
}

/// A workflow step.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct StepRequest {
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = step_schema)]
    pub step: String,
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = conclusion_schema)]
    pub conclusion: String,
    #[serde(deserialize_with = "or_empty")]
    #[schema(schema_with = ground_schema)]
    pub ground: String,
    /// Comment (required for `return`).
    #[serde(deserialize_with = "or_empty")]
    pub comment: String,
    /// For `schedule`: when to publish, RFC 3339 (e.g. `2026-05-01T09:00:00+08:00`); without an
    /// offset, China time.
    #[serde(deserialize_with = "or_empty")]
    pub scheduled_at: String,
    /// Optional guard: the working version's id as last read; a step on a newer version is
    /// refused with `409 conflict`.
    pub version_id: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct WithdrawRequest {
    /// 撤回理由 (required; shown on the public page).
    #[serde(deserialize_with = "or_empty")]
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct CategoriesQuery {
    pub body_id: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ItemsQuery {
    pub state: Option<String>,
    pub limit: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Handlers.

/// The 公开目录 of the token's body (or of `body_id` in its scope).
#[utoipa::path(
    get,
    path = "/api/v1/admin/categories",
    tag = "admin",
    security(("bearer" = [])),
    params(("body_id" = Option<i64>, Query, description = "机关编号，缺省为令牌所属机关")),
    responses(
        (status = 200, description = "公开目录栏目", body = CategoryList),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "机关不存在或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn list_categories(
    State(state): State<AppState>,
    t: TokenActor,
    Query(q): Query<CategoriesQuery>,
) -> Result<Json<CategoryList>, ApiError> {
    let body_id = match q.body_id.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => parse_id(s)?,
        None => t.token.body_id,
    };
    let body = state.store.get_body(body_id).await?;
    if !sees_items(&t.actor, &body.path) {
        return Err(AppError::NotFound.into());
    }
    let items = state
        .store
        .list_categories(body.id)
        .await?
        .into_iter()
        .map(|c| CategoryJson {
            depth: c.depth() as i64,
            id: c.id,
            body_id: c.body_id,
            parent_id: c.parent_id,
            name: c.name,
        })
        .collect();
    Ok(Json(CategoryList { items }))
}

/// Items in the token's scope, newest first; `state` filters by the working version's state.
#[utoipa::path(
    get,
    path = "/api/v1/admin/items",
    tag = "admin",
    security(("bearer" = [])),
    params(
        ("state" = Option<String>, Query, description = "draft、pending_review、pending_approval、scheduled 等；缺省为全部"),
        ("limit" = Option<i64>, Query, description = "最多条数（1–1000，缺省200）"),
    ),
    responses(
        (status = 200, description = "信息列表", body = ItemList),
        (status = 400, description = "参数无效", body = ErrorBody),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
    )
)]
pub async fn list_items(
    State(state): State<AppState>,
    t: TokenActor,
    Query(q): Query<ItemsQuery>,
) -> Result<Json<ItemList>, ApiError> {
    let filter = match q.state.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None | Some("all") => None,
        Some(s) => Some(
            VersionState::parse(s)
                .ok_or_else(|| AppError::BadRequest(format!("未知的状态“{s}”")))?,
        ),
    };
    let limit = match q.limit.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => s
            .parse()
            .map_err(|_| AppError::BadRequest("limit 应为整数".into()))?,
        None => 200,
    };
    let rows = state
        .store
        .list_items_admin(&item_scope(&t.actor), filter, limit)
        .await?;
    Ok(Json(ItemList {
        items: rows
            .into_iter()
            .map(|r| ItemSummary {
                id: r.id,
                body_id: r.body_id,
                body_name: r.body_name,
                title: r.title,
                status: r.status,
                index_no: r.index_no,
                version_id: r.version_id,
                version_state: r.version_state,
                scope: r.scope,
                due_on: r.due_on,
                late: r.late,
                updated_at: r.updated_at,
            })
            .collect(),
    }))
}

/// Create a draft (信息员). The fields are validated exactly as in the back office's form.
#[utoipa::path(
    post,
    path = "/api/v1/admin/items",
    tag = "admin",
    security(("bearer" = [])),
    request_body = ItemCreate,
    responses(
        (status = 201, description = "草稿已创建", body = ItemJson),
        (status = 400, description = "请求不是有效的 JSON", body = ErrorBody),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有信息员角色", body = ErrorBody),
        (status = 422, description = "字段有误（code: validation，fields 逐项说明）", body = ErrorBody),
    )
)]
pub async fn create_item(
    State(state): State<AppState>,
    t: TokenActor,
    ApiJson(req): ApiJson<ItemCreate>,
) -> Result<Response, ApiError> {
    let body_id = req.body_id.unwrap_or(t.token.body_id);
    let body = state
        .store
        .get_body(body_id)
        .await
        .map_err(|_| AppError::Forbidden)?;
    require(&t, Permission::EditItems, &body.path)?;
    let input = req.fields.input();
    let mut errors: Vec<(String, String)> = match input.validate(today()) {
        Ok(_) => vec![],
        Err(e) => e.into_iter().map(|(k, m)| (k.to_string(), m)).collect(),
    };
    let category = match req.category_id {
        Some(c) => state
            .store
            .get_category(c)
            .await
            .ok()
            .filter(|c| c.body_id == body.id),
        None => None,
    };
    if category.is_none() {
        errors.push(("category_id".into(), "请选择本机关公开目录中的栏目".into()));
    }
    let (Ok(f), Some(cat)) = (input.validate(today()), category) else {
        return Err(AppError::validation(errors).into());
    };
    let due = due_for(&state, cat.id, f.formed_on).await;
    let (item_id, _) = state
        .store
        .create_item(body.id, cat.id, &f, due, &t.who())
        .await
        .map_err(refusal)?;
    Ok((StatusCode::CREATED, Json(item_json(&state, item_id).await?)).into_response())
}

/// An item in the token's scope, with its versions, attachments, findings and history.
#[utoipa::path(
    get,
    path = "/api/v1/admin/items/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "信息编号")),
    responses(
        (status = 200, description = "信息", body = ItemJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "没有该信息，或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn get_item(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
) -> Result<Json<ItemJson>, ApiError> {
    let (item, _) = item_in_scope(&state, &t, &id).await?;
    Ok(Json(item_json(&state, item.id).await?))
}

/// Save a draft's fields (信息员). `token` must be the working version's `token` as last read.
#[utoipa::path(
    put,
    path = "/api/v1/admin/items/{id}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "信息编号")),
    request_body = ItemUpdate,
    responses(
        (status = 200, description = "已保存", body = ItemJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有信息员角色", body = ErrorBody),
        (status = 404, description = "没有该信息，或不在令牌范围内", body = ErrorBody),
        (status = 409, description = "他人已修改并保存（token 已过期）", body = ErrorBody),
        (status = 422, description = "字段有误（validation），或不是草稿（workflow）", body = ErrorBody),
    )
)]
pub async fn update_item(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ItemUpdate>,
) -> Result<Json<ItemJson>, ApiError> {
    let (item, body) = item_in_scope(&state, &t, &id).await?;
    require(&t, Permission::EditItems, &body.path)?;
    if let Some(m) = crate::annual::report_item_refusal(&state.store, item.id).await? {
        return Err(AppError::workflow(m).into());
    }
    let vid = item.working_version_id.ok_or_else(|| {
        AppError::workflow("该信息没有可修改的草稿；已发布的信息请先修订（revise）")
    })?;
    let v = state.store.get_version(vid).await?;
    if v.state() != VersionState::Draft {
        return Err(
            AppError::workflow("该信息已提交审查，不能再修改；如需修改请先由审查人退回").into(),
        );
    }
    let input = req.fields.input();
    let mut errors: Vec<(String, String)> = match input.validate(today()) {
        Ok(_) => vec![],
        Err(e) => e.into_iter().map(|(k, m)| (k.to_string(), m)).collect(),
    };
    if req.token.is_none() {
        errors.push((
            "token".into(),
            "请提供读取时草稿的 token（working.token），以免覆盖他人的修改".into(),
        ));
    }
    let (Ok(f), Some(token)) = (input.validate(today()), req.token) else {
        return Err(AppError::validation(errors).into());
    };
    let due = due_for(&state, item.category_id, f.formed_on).await;
    state
        .store
        .update_draft(vid, &f, token, due, &t.who())
        .await
        .map_err(refusal)?;
    Ok(Json(item_json(&state, item.id).await?))
}

/// Attachments of the draft: `multipart/form-data`, one or more parts named `file`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// A file (PDF, OFD, Word, Excel, WPS, images, ZIP …); its content must match its name.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// Upload attachments to the draft (信息员), with the back office's checks: size limit, the
/// content matching the file name's type, text extracted for screening.
#[utoipa::path(
    post,
    path = "/api/v1/admin/items/{id}/attachments",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "信息编号")),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "已上传的附件", body = AttachmentList),
        (status = 400, description = "不是 multipart 请求", body = ErrorBody),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有信息员角色", body = ErrorBody),
        (status = 404, description = "没有该信息，或不在令牌范围内", body = ErrorBody),
        (status = 413, description = "文件过大", body = ErrorBody),
        (status = 422, description = "文件类型与内容不符等（validation），或不是草稿（workflow）", body = ErrorBody),
    )
)]
pub async fn upload_attachments(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let (item, body) = item_in_scope(&state, &t, &id).await?;
    require(&t, Permission::EditItems, &body.path)?;
    let mut multipart = multipart.map_err(|_| {
        AppError::BadRequest("请以 multipart/form-data 上传，文件字段名为 file".into())
    })?;
    let vid = item
        .working_version_id
        .ok_or_else(|| AppError::workflow("只有草稿可以添加附件"))?;
    let v = state.store.get_version(vid).await?;
    if v.state() != VersionState::Draft {
        return Err(AppError::workflow("只有草稿可以添加附件").into());
    }
    let limit = state.config.max_upload_bytes;
    let too_large = || {
        ApiError(AppError::PayloadTooLarge(format!(
            "上传失败：文件超过{}MB或上传中断",
            limit / 1024 / 1024
        )))
    };
    let file_error = |m: String| ApiError(AppError::validation(vec![("file", m)]));
    let mut added = Vec::new();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Err(too_large()),
            Err(e) => {
                return Err(
                    AppError::BadRequest(format!("上传内容无效：{}", e.body_text())).into(),
                );
            }
        };
        if field.name() != Some("file") {
            continue;
        }
        let name = field
            .file_name()
            .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
            .unwrap_or_default();
        let bytes = match field.bytes().await {
            Ok(b) => b,
            Err(_) => return Err(too_large()),
        };
        if name.is_empty() && bytes.is_empty() {
            continue;
        }
        if bytes.len() > limit {
            return Err(ApiError(AppError::PayloadTooLarge(format!(
                "“{name}”超过{}MB，不能上传",
                limit / 1024 / 1024
            ))));
        }
        if name.is_empty() || name.chars().count() > 120 {
            return Err(file_error("文件名不能为空或超过120个字".into()));
        }
        let kind = gongkai_files::sniff(&bytes, &name)
            .map_err(|m| file_error(format!("“{name}”：{m}")))?;
        let text = gongkai_files::extract_text(&bytes, kind);
        let sha = state
            .blobs
            .put(bytes.to_vec())
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let att = state
            .store
            .add_attachment(
                vid,
                &name,
                &sha,
                bytes.len() as i64,
                kind.mime(),
                &text,
                &t.who(),
            )
            .await
            .map_err(refusal)?;
        added.push(state.store.get_attachment(att).await?.into());
    }
    if added.is_empty() {
        return Err(file_error("请选择要上传的文件（字段名 file）".into()));
    }
    Ok((StatusCode::CREATED, Json(AttachmentList { items: added })).into_response())
}

/// The permission a step needs in the version's current state (the domain checks it again).
fn step_permission(step: &Step, state: VersionState) -> Option<Permission> {
    match step {
        Step::Submit => Some(Permission::EditItems),
        Step::ReviewPass(_) | Step::ReviewWithhold(_) => Some(Permission::ReviewItems),
        Step::Approve { .. } => Some(Permission::ApproveItems),
        Step::Return => match state {
            VersionState::PendingReview => Some(Permission::ReviewItems),
            VersionState::PendingApproval => Some(Permission::ApproveItems),
            _ => None,
        },
    }
}

/// A time to publish at: RFC 3339, or `YYYY-MM-DDTHH:MM[:SS]` in China time.
fn parse_scheduled(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000)
}

/// Move the working version one step, under exactly the rules of the back office (the store's
/// `apply_step`; the screening runs before submission).
#[utoipa::path(
    post,
    path = "/api/v1/admin/items/{id}/steps",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "信息编号")),
    request_body = StepRequest,
    responses(
        (status = 200, description = "已办理，返回信息的新状态", body = ItemJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌的角色不能办理此步骤", body = ErrorBody),
        (status = 404, description = "没有该信息，或不在令牌范围内", body = ErrorBody),
        (status = 409, description = "已由他人处理", body = ErrorBody),
        (status = 422, description = "参数有误（validation），或流程规则不允许（workflow，如作者不能审查本人信息）", body = ErrorBody),
    )
)]
pub async fn item_step(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<StepRequest>,
) -> Result<Json<ItemJson>, ApiError> {
    let (item, body) = item_in_scope(&state, &t, &id).await?;
    let vid = item
        .working_version_id
        .ok_or_else(|| AppError::workflow("该信息没有正在办理的版本"))?;
    if req.version_id.is_some_and(|v| v != vid) {
        return Err(AppError::Conflict("该信息已由他人处理，请查看最新状态".into()).into());
    }
    let invalid = |field: &str, m: &str| ApiError(AppError::validation(vec![(field, m.into())]));
    let step = match req.step.trim() {
        "submit" => Step::Submit,
        "review" => match Conclusion::parse(&req.conclusion) {
            Some(c) if c != Conclusion::Withhold => Step::ReviewPass(c),
            _ => return Err(invalid("conclusion", "请选择保密审查结论")),
        },
        "withhold" => match WithholdGround::parse(&req.ground) {
            Some(g) => Step::ReviewWithhold(g),
            None => return Err(invalid("ground", "不予公开须选择法定依据")),
        },
        "approve" => Step::Approve { scheduled: false },
        "schedule" => Step::Approve { scheduled: true },
        "return" => Step::Return,
        _ => {
            return Err(invalid(
                "step",
                "未知操作：应为 submit、review、withhold、approve、schedule 或 return",
            ));
        }
    };
    let scheduled_at = if matches!(step, Step::Approve { scheduled: true }) {
        match parse_scheduled(&req.scheduled_at) {
            Some(ms) if ms <= gongkai_store::now_ms() => {
                return Err(invalid("scheduled_at", "定时发布的时间须晚于现在"));
            }
            Some(ms) => Some(ms),
            None => return Err(invalid("scheduled_at", "请填写定时发布的日期和时间")),
        }
    } else {
        None
    };
    let v = state.store.get_version(vid).await?;
    if let Some(p) = step_permission(&step, v.state()) {
        require(&t, p, &body.path)?;
    }
    if matches!(step, Step::Submit)
        && let Some(m) = crate::annual::report_item_refusal(&state.store, item.id).await?
    {
        return Err(AppError::workflow(m).into());
    }
    if matches!(step, Step::Submit)
        && v.state() == VersionState::Draft
        && t.actor.can(Permission::EditItems, &body.path)
    {
        screen_version(&state, &v).await?;
    }
    let input = StepInput {
        comment: req.comment.clone(),
        scheduled_at,
        today: Some(today()),
    };
    let outcome = state
        .store
        .apply_step(vid, &t.actor, &step, &input, &t.who())
        .await
        .map_err(refusal)?;
    if outcome.ledger_seq.is_some()
        && let Some(key) = &state.ledger_key
    {
        state.store.checkpoint_ledger(key).await?;
    }
    Ok(Json(item_json(&state, item.id).await?))
}

/// Start a revision of a published item (信息员): a new draft copied from the published version.
#[utoipa::path(
    post,
    path = "/api/v1/admin/items/{id}/revise",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "信息编号")),
    responses(
        (status = 200, description = "已创建修订草稿", body = ItemJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有信息员角色", body = ErrorBody),
        (status = 404, description = "没有该信息，或不在令牌范围内", body = ErrorBody),
        (status = 409, description = "已有正在办理的修订版本", body = ErrorBody),
        (status = 422, description = "不能修订（workflow）", body = ErrorBody),
    )
)]
pub async fn revise_item(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
) -> Result<Json<ItemJson>, ApiError> {
    let (item, body) = item_in_scope(&state, &t, &id).await?;
    require(&t, Permission::EditItems, &body.path)?;
    if let Some(m) = crate::annual::report_item_refusal(&state.store, item.id).await? {
        return Err(AppError::workflow(m).into());
    }
    state
        .store
        .revise_item(item.id, &t.actor, &t.who())
        .await
        .map_err(refusal)?;
    Ok(Json(item_json(&state, item.id).await?))
}

/// Withdraw (撤回) a published item (审批领导), with the reason shown on the public page.
#[utoipa::path(
    post,
    path = "/api/v1/admin/items/{id}/withdraw",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "信息编号")),
    request_body = WithdrawRequest,
    responses(
        (status = 200, description = "已撤回", body = ItemJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌在该机关没有审批领导角色", body = ErrorBody),
        (status = 404, description = "没有该信息，或不在令牌范围内", body = ErrorBody),
        (status = 422, description = "未填写理由（validation），或不能撤回（workflow）", body = ErrorBody),
    )
)]
pub async fn withdraw_item(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<WithdrawRequest>,
) -> Result<Json<ItemJson>, ApiError> {
    let (item, body) = item_in_scope(&state, &t, &id).await?;
    require(&t, Permission::ApproveItems, &body.path)?;
    if req.reason.trim().is_empty() {
        return Err(AppError::validation(vec![("reason", "请填写撤回理由".to_string())]).into());
    }
    state
        .store
        .withdraw_item(item.id, &req.reason, &t.actor, &t.who())
        .await
        .map_err(refusal)?;
    if let Some(key) = &state.ledger_key {
        state.store.checkpoint_ledger(key).await?;
    }
    Ok(Json(item_json(&state, item.id).await?))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn only_well_formed_bearer_tokens_are_read() {
        let tok = format!("gk_{}", "a".repeat(43));
        let h = |v: &str| {
            let mut m = axum::http::HeaderMap::new();
            m.insert(
                axum::http::header::AUTHORIZATION,
                axum::http::HeaderValue::from_str(v).unwrap(),
            );
            m
        };
        assert_eq!(bearer(&h(&format!("Bearer {tok}"))), Some(tok.as_str()));
        assert_eq!(bearer(&h(&format!("bearer  {tok}"))), Some(tok.as_str()));
        assert_eq!(bearer(&h(&format!("Basic {tok}"))), None);
        assert_eq!(bearer(&h("Bearer gk_short")), None);
        assert_eq!(bearer(&h(&format!("Bearer xx_{}", "a".repeat(43)))), None);
        assert_eq!(bearer(&axum::http::HeaderMap::new()), None);
    }

    #[test]
    fn scheduled_times_are_rfc3339_or_china_time() {
        assert_eq!(
            parse_scheduled("2026-05-01T09:00:00+08:00"),
            parse_scheduled("2026-05-01T09:00")
        );
        assert_eq!(
            parse_scheduled("2026-05-01T01:00:00Z"),
            parse_scheduled("2026-05-01 09:00")
        );
        assert_eq!(parse_scheduled("明天"), None);
    }
}
