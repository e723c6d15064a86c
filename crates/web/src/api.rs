//! The JSON API, `/api/v1`: public data, and under `/api/v1/admin` the staff API for office
//! systems ([`crate::api_admin`]). Errors are `{"error": {"code", "message"}}` with stable codes
//! (`fields` is added for validation errors). The OpenAPI 3.1 document is generated from the
//! handlers and types below and served at `/api/openapi.json`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Json;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use crate::AppState;
use crate::api_admin as admin;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    // Public reads may be used from any web page (CORS for GET).
    let public = Router::new()
        .route("/bodies", get(list_bodies))
        .route("/bodies/{id}", get(get_body))
        .route("/categories", get(crate::api_public::list_categories))
        .route("/items", get(crate::api_public::list_items))
        .route("/items/{id}", get(crate::api_public::get_item))
        .route("/search", get(crate::api_public::search))
        .route("/credit", get(crate::api_credit::list_credit))
        .route("/credit/{id}", get(crate::api_credit::get_credit))
        .route("/services", get(crate::api_services::list_services))
        .route("/services/reform", get(crate::api_services::reform))
        .route("/services/{id}", get(crate::api_services::get_service))
        .route("/fees", get(crate::api_services::list_fees))
        .route(
            "/bodies/{id}/annual-reports/{year}",
            get(crate::api_annual::get_public_report),
        )
        .route("/notices", get(crate::api_notices::list_notices))
        .route(
            "/consultations",
            get(crate::api_consultations::list_consultations),
        )
        .route(
            "/consultations/{id}",
            get(crate::api_consultations::get_consultation),
        )
        .layer(
            tower_http::cors::CorsLayer::new()
                .allow_origin(tower_http::cors::Any)
                .allow_methods([axum::http::Method::GET, axum::http::Method::HEAD])
                .allow_headers([axum::http::header::IF_NONE_MATCH])
                .expose_headers([axum::http::header::ETAG]),
        );
    Router::new()
        .merge(public)
        .route(
            "/applications",
            axum::routing::post(crate::api_applications::create_application),
        )
        .route(
            "/applications/{number}",
            get(crate::api_applications::get_application),
        )
        .route("/mailboxes", get(crate::api_letters::list_mailboxes))
        .route(
            "/letters",
            axum::routing::post(crate::api_letters::create_letter),
        )
        .route("/letters/{number}", get(crate::api_letters::get_letter))
        .route(
            "/notices/{id}/objections",
            axum::routing::post(crate::api_notices::create_objection),
        )
        .route(
            "/consultations/{id}/comments",
            axum::routing::post(crate::api_consultations::create_comment),
        )
        .route("/appraisals", get(crate::api_appraisals::list_surveys))
        .route("/appraisals/{id}", get(crate::api_appraisals::get_survey))
        .route(
            "/appraisals/{id}/answers",
            axum::routing::post(crate::api_appraisals::create_answer),
        )
        .route(
            "/bodies/{id}/dashboard",
            get(crate::api_appraisals::body_dashboard),
        )
        .nest("/admin", admin::routes())
        .fallback(api_not_found)
}

pub(crate) async fn api_not_found() -> ApiError {
    ApiError(crate::error::AppError::NotFound)
}

/// A string schema allowing exactly `values` — taken from the Rust vocabulary itself
/// (`ApplicantType::ALL`, `ID_TYPES` …), so the document cannot drift from what the server
/// accepts — with the labels in the description. `nullable` adds `null` (an absent value).
pub fn vocabulary_schema(
    values: &[(&'static str, &'static str)],
    what: &str,
    nullable: bool,
) -> utoipa::openapi::schema::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let mut enum_values: Vec<serde_json::Value> =
        values.iter().map(|(v, _)| serde_json::json!(v)).collect();
    if nullable {
        enum_values.push(serde_json::Value::Null);
    }
    let described: Vec<String> = values
        .iter()
        .map(|(v, l)| {
            if v == l {
                v.to_string()
            } else {
                format!("`{v}` {l}")
            }
        })
        .collect();
    ObjectBuilder::new()
        .schema_type(if nullable {
            SchemaType::from_iter([Type::String, Type::Null])
        } else {
            SchemaType::new(Type::String)
        })
        .enum_values(Some(enum_values))
        .description(Some(format!("{what}：{}", described.join("；"))))
        .build()
}

fn body_kind_schema() -> utoipa::openapi::schema::Object {
    vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::body::BodyKind),
        "机关类别",
        false,
    )
}

/// A query parameter from a closed set (absent means the default).
pub fn param_schema(
    values: &[(&'static str, &'static str)],
    what: &str,
) -> utoipa::openapi::schema::Object {
    vocabulary_schema(values, what, false)
}

pub(crate) fn validity_param_schema() -> utoipa::openapi::schema::Object {
    param_schema(
        &crate::vocabulary!(gongkai_domain::disclosure::Validity),
        "有效性（省略为全部）",
    )
}

/// The vocabulary of a `labelled!` type as (stored name, label) pairs.
#[macro_export]
macro_rules! vocabulary {
    ($t:ty) => {
        <$t>::ALL
            .iter()
            .map(|v| (v.as_str(), v.label()))
            .collect::<Vec<(&'static str, &'static str)>>()
    };
}

/// An error answer. `code` is stable: `bad_request`, `unauthenticated`, `forbidden`,
/// `not_found`, `conflict`, `validation`, `workflow`, `payload_too_large`,
/// `unsupported_media_type`, `method_not_allowed`, `internal`.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// The stable error code.
    pub code: String,
    /// What went wrong, in Chinese, for people.
    pub message: String,
    /// Only with `validation`: a message for each field that was refused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<BTreeMap<String, String>>,
}

/// A leader of a body (领导信息).
#[derive(Serialize, ToSchema)]
pub struct LeaderJson {
    pub name: String,
    pub title: String,
    /// 分管工作.
    pub portfolio: String,
}

/// A public body as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct BodyJson {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub name: String,
    pub short_name: String,
    #[schema(schema_with = body_kind_schema)]
    pub kind: String,
    /// The kind in Chinese.
    pub kind_label: String,
    /// 统一社会信用代码 or 组织机构代码.
    pub org_code: String,
    pub address: String,
    pub office_hours: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    /// 机构职能.
    pub duties: String,
    pub leaders: Vec<LeaderJson>,
}

impl From<gongkai_store::bodies::Body> for BodyJson {
    fn from(b: gongkai_store::bodies::Body) -> Self {
        BodyJson {
            kind_label: b.kind_label().to_string(),
            leaders: b
                .leaders()
                .into_iter()
                .map(|l| LeaderJson {
                    name: l.name,
                    title: l.title,
                    portfolio: l.portfolio,
                })
                .collect(),
            id: b.id,
            parent_id: b.parent_id,
            name: b.name,
            short_name: b.short_name,
            kind: b.kind,
            org_code: b.org_code,
            address: b.address,
            office_hours: b.office_hours,
            phone: b.phone,
            fax: b.fax,
            email: b.email,
            duties: b.duties,
        }
    }
}

/// Every body, in tree order.
#[derive(Serialize, ToSchema)]
pub struct BodyList {
    pub items: Vec<BodyJson>,
}

/// The bodies of the installation, in tree order.
#[utoipa::path(
    get,
    path = "/api/v1/bodies",
    tag = "public",
    responses((status = 200, description = "全部机关", body = BodyList))
)]
pub async fn list_bodies(State(state): State<AppState>) -> Result<Json<BodyList>, ApiError> {
    let items = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .map(BodyJson::from)
        .collect();
    Ok(Json(BodyList { items }))
}

/// One body.
#[utoipa::path(
    get,
    path = "/api/v1/bodies/{id}",
    tag = "public",
    params(("id" = i64, Path, description = "机关编号")),
    responses(
        (status = 200, description = "机关信息", body = BodyJson),
        (status = 400, description = "编号不是整数", body = ErrorBody),
        (status = 404, description = "没有该机关", body = ErrorBody),
    )
)]
pub async fn get_body(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<BodyJson>, ApiError> {
    let id: i64 = id
        .parse()
        .map_err(|_| crate::error::AppError::BadRequest("机关编号应为整数".into()))?;
    Ok(Json(state.store.get_body(id).await?.into()))
}

/// The bearer scheme of the staff API.
struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("gk_…")
                    .description(Some(
                        "管理员在后台“接口令牌”页面签发的令牌（gk_ 开头，只显示一次）。",
                    ))
                    .build(),
            ),
        );
    }
}

/// Every operation documents the errors the server can answer it with, all with the shared
/// error schema: 400 (a malformed path, query or body) everywhere; 404 where a path names a
/// record; 413 and 422 where there is a request body; 429 on the public submissions; 401 and 403
/// on the staff API. Statuses an operation already documents keep their own description.
struct ErrorResponses;

impl utoipa::Modify for ErrorResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, ResponseBuilder};
        let error = |description: &str| {
            ResponseBuilder::new()
                .description(description)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ErrorBody")))
                        .build(),
                )
                .build()
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let staff = path.starts_with("/api/v1/admin");
            let named = path.contains('{');
            for (method, op) in [
                ("get", item.get.as_mut()),
                ("post", item.post.as_mut()),
                ("put", item.put.as_mut()),
                ("delete", item.delete.as_mut()),
            ] {
                let Some(op) = op else { continue };
                let mut add = vec![(
                    "400",
                    "请求无效：路径、查询参数或请求内容格式不对（code: bad_request）",
                )];
                if named {
                    add.push(("404", "记录不存在或无权查看（code: not_found）"));
                }
                if op.request_body.is_some() {
                    add.push(("413", "请求内容过大（code: payload_too_large）"));
                    add.push((
                        "422",
                        "内容未通过校验或不符合办理规则（code: validation / workflow）",
                    ));
                }
                if !staff && method == "post" {
                    add.push(("429", "提交过于频繁（code: rate_limited）"));
                }
                if staff {
                    add.push(("401", "缺少或无效的接口令牌（code: unauthenticated）"));
                    add.push(("403", "令牌的角色或机关范围不允许此操作（code: forbidden）"));
                }
                for (status, description) in add {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert_with(|| error(description).into());
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    paths(
        list_bodies,
        get_body,
        crate::api_public::list_categories,
        crate::api_public::list_items,
        crate::api_public::get_item,
        crate::api_public::search,
        crate::api_applications::create_application,
        crate::api_applications::get_application,
        crate::api_letters::list_mailboxes,
        crate::api_letters::create_letter,
        crate::api_letters::get_letter,
        crate::api_credit::list_credit,
        crate::api_credit::get_credit,
        crate::api_services::list_services,
        crate::api_services::get_service,
        crate::api_services::reform,
        crate::api_services::list_fees,
        admin::list_categories,
        admin::list_items,
        admin::create_item,
        admin::get_item,
        admin::update_item,
        admin::upload_attachments,
        admin::item_step,
        admin::revise_item,
        admin::withdraw_item,
        crate::api_credit::create_decision,
        crate::api_credit::list_decisions,
        crate::api_credit::get_decision,
        crate::api_credit::publish_decision,
        crate::api_credit::withdraw_decision,
        crate::api_decisions::list_collective_decisions,
        crate::api_decisions::get_collective_decision,
        crate::api_decisions::create_collective_decision,
        crate::api_monitor::monitor,
        crate::api_monitor::monitor_rule,
        crate::api_services::body_figures,
        crate::api_annual::get_public_report,
        crate::api_annual::get_staff_report,
        crate::api_annual::overview,
        crate::api_notices::list_notices,
        crate::api_notices::create_objection,
        crate::api_consultations::list_consultations,
        crate::api_consultations::get_consultation,
        crate::api_consultations::create_comment,
        crate::api_appraisals::list_surveys,
        crate::api_appraisals::get_survey,
        crate::api_appraisals::create_answer,
        crate::api_appraisals::body_dashboard,
    ),
    components(schemas(ErrorBody, ErrorDetail)),
    modifiers(&BearerScheme, &ErrorResponses),
    tags(
        (name = "public", description = "公开数据，无需登录"),
        (name = "admin", description = "工作人员接口：办公系统以接口令牌撰写、提交、审查、审批和发布信息，\
            适用与后台页面完全相同的权限和“作者不能审查或审批本人信息”等规则"),
    )
)]
pub struct ApiDoc;

/// The OpenAPI document, with the site's title.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.title = "Gongkai 政府信息公开平台接口".into();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc.info.description = Some(
        "公开数据接口（/api/v1）与工作人员接口（/api/v1/admin，须带接口令牌）。\
         时间均为自 1970-01-01 UTC 起的毫秒数，日期为 YYYY-MM-DD。"
            .into(),
    );
    doc.info.license = None;
    doc.info.contact = None;
    doc
}

/// `GET /api/openapi.json`: the OpenAPI 3.1 document.
pub async fn openapi_json() -> Json<serde_json::Value> {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    Json(
        DOC.get_or_init(|| serde_json::to_value(openapi()).unwrap_or_default())
            .clone(),
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_document_is_openapi_3_1_with_every_endpoint_and_the_bearer_scheme() {
        let doc = serde_json::to_value(openapi()).unwrap();
        assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
        for p in [
            "/api/v1/bodies",
            "/api/v1/bodies/{id}",
            "/api/v1/admin/items",
            "/api/v1/admin/items/{id}",
            "/api/v1/admin/items/{id}/attachments",
            "/api/v1/admin/items/{id}/steps",
            "/api/v1/admin/items/{id}/revise",
            "/api/v1/admin/items/{id}/withdraw",
            "/api/v1/credit",
            "/api/v1/credit/{id}",
            "/api/v1/admin/credit/decisions",
            "/api/v1/admin/credit/decisions/{id}/publish",
            "/api/v1/admin/credit/decisions/{id}/withdraw",
            "/api/v1/admin/collective-decisions",
            "/api/v1/admin/collective-decisions/{id}",
            "/api/v1/bodies/{id}/annual-reports/{year}",
            "/api/v1/admin/bodies/{id}/annual-reports/{year}",
            "/api/v1/admin/annual-reports",
        ] {
            assert!(doc["paths"][p].is_object(), "{p}");
        }
        assert_eq!(
            doc["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
