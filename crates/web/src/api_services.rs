//! The API of 权责清单 and 收费目录: the items in force (and cancelled), one item with its
//! current guide and its history, the reform figures of a year, the fee catalogue with the
//! amounts collected — exactly what the portal shows — and, for staff, the figures a body's
//! annual report takes from 双公示 and 收费 (`/api/v1/admin/bodies/{id}/figures`).

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Datelike;
use gongkai_domain::access::{ITEM_READERS, SERVICE_READERS};
use gongkai_domain::services::ServiceKind;
use gongkai_store::services::{AnnualFigures, ServiceFilter, ServiceItem, ServiceVersion};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ErrorBody;
use crate::api_admin::{TokenActor, parse_id};
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;

fn kind_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(ServiceKind), "事项类型", false)
}

fn status_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &[
            ("in_force", "在册"),
            ("cancelled", "已取消"),
            ("pending", "未施行"),
        ],
        "事项状态",
        false,
    )
}

fn change_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(
        &crate::vocabulary!(gongkai_domain::services::ChangeKind),
        "变更类型",
        false,
    )
}

/// A service item in a list.
#[derive(Serialize, ToSchema)]
pub struct ServiceJson {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub code: String,
    pub name: String,
    #[schema(schema_with = kind_schema)]
    pub kind: String,
    #[schema(schema_with = status_schema)]
    pub status: String,
    pub established_on: String,
    pub cancelled_on: String,
    pub url: String,
}

fn service_json(i: ServiceItem) -> ServiceJson {
    ServiceJson {
        url: format!("/services/{}", i.id),
        id: i.id,
        body_id: i.body_id,
        body_name: i.body_name,
        code: i.code,
        name: i.name,
        kind: i.kind,
        status: i.status,
        established_on: i.established_on,
        cancelled_on: i.cancelled_on,
    }
}

/// One published change of an item.
#[derive(Serialize, ToSchema)]
pub struct ChangeJson {
    pub number: i64,
    #[schema(schema_with = change_schema)]
    pub change: String,
    /// 取消方式 of a cancellation (`cancel`, `devolve`, `merge`, `other`), else empty.
    pub cancel_mode: String,
    pub effective_on: String,
    pub doc_title: String,
    pub doc_no: String,
    pub reason: String,
    /// Whether it has taken effect.
    pub applied: bool,
}

/// The 办事指南 of the version in force.
#[derive(Serialize, ToSchema)]
pub struct GuideJson {
    pub basis: Vec<String>,
    pub conditions: String,
    pub materials: Vec<String>,
    pub procedure: Vec<String>,
    pub statutory_days: Option<u32>,
    pub promised_days: Option<u32>,
    /// Ids of the fee items it charges (see `/api/v1/fees`).
    pub fee_ids: Vec<i64>,
    pub service_object: String,
    pub online_url: String,
    pub hall: String,
    pub hall_window: String,
    pub hall_hours: String,
    pub contact_phone: String,
    pub complaint_phone: String,
}

/// An item with its guide and history.
#[derive(Serialize, ToSchema)]
pub struct ServiceDetail {
    pub item: ServiceJson,
    pub guide: Option<GuideJson>,
    pub changes: Vec<ChangeJson>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ServiceQuery {
    /// 实施机关 id.
    pub body: Option<String>,
    #[param(schema_with = kind_schema)]
    pub kind: Option<String>,
    /// `in_force` (default) or `cancelled`.
    pub status: Option<String>,
    /// Part of the name or code.
    pub q: Option<String>,
}

/// Items of the 权责清单.
#[utoipa::path(
    get,
    path = "/api/v1/services",
    tag = "public",
    params(ServiceQuery),
    responses((status = 200, description = "事项列表", body = [ServiceJson]))
)]
pub async fn list_services(
    State(state): State<AppState>,
    Query(q): Query<ServiceQuery>,
) -> Result<Json<Vec<ServiceJson>>, ApiError> {
    state.store.services_tick(today()).await?;
    let items = state
        .store
        .list_services(&ServiceFilter {
            body_id: q.body.as_deref().and_then(|b| b.trim().parse().ok()),
            kind: q.kind.as_deref().and_then(ServiceKind::parse),
            status: if q.status.as_deref() == Some("cancelled") {
                "cancelled".into()
            } else {
                "in_force".into()
            },
            q: q.q.unwrap_or_default().chars().take(50).collect(),
            limit: 2000,
            ..ServiceFilter::default()
        })
        .await?;
    Ok(Json(items.into_iter().map(service_json).collect()))
}

fn guide_of(v: &ServiceVersion) -> Option<GuideJson> {
    let d = v.data()?;
    Some(GuideJson {
        basis: d.basis,
        conditions: d.conditions,
        materials: d.materials,
        procedure: d.procedure,
        statutory_days: d.statutory_days,
        promised_days: d.promised_days,
        fee_ids: d.fee_ids,
        service_object: d.service_object,
        online_url: d.online_url,
        hall: d.hall,
        hall_window: d.hall_window,
        hall_hours: d.hall_hours,
        contact_phone: d.contact_phone,
        complaint_phone: d.complaint_phone,
    })
}

/// One item: the guide in force and every published change.
#[utoipa::path(
    get,
    path = "/api/v1/services/{id}",
    tag = "public",
    params(("id" = i64, Path, description = "事项编号")),
    responses(
        (status = 200, description = "事项", body = ServiceDetail),
        (status = 404, description = "没有该事项", body = ErrorBody),
    )
)]
pub async fn get_service(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ServiceDetail>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    state.store.services_tick(today()).await?;
    let item = state.store.get_service(id).await?;
    let versions: Vec<ServiceVersion> = state
        .store
        .service_versions(id)
        .await?
        .into_iter()
        .filter(ServiceVersion::published)
        .collect();
    if versions.is_empty() {
        return Err(AppError::NotFound.into());
    }
    let guide = versions
        .iter()
        .rev()
        .find(|v| v.applied && v.change != "cancel")
        .and_then(guide_of);
    Ok(Json(ServiceDetail {
        item: service_json(item),
        guide,
        changes: versions
            .into_iter()
            .map(|v| ChangeJson {
                number: v.number,
                change: v.change,
                cancel_mode: v.cancel_mode,
                effective_on: v.effective_on,
                doc_title: v.doc_title,
                doc_no: v.doc_no,
                reason: v.reason,
                applied: v.applied,
            })
            .collect(),
    }))
}

/// The reform figures of a year.
#[derive(Serialize, ToSchema)]
pub struct ReformJson {
    pub year: i32,
    pub at_start: u32,
    pub established: u32,
    pub adjusted: u32,
    pub cancelled: u32,
    pub cancelled_of_start: u32,
    pub devolved: u32,
    pub merged: u32,
    pub at_end: u32,
    /// 取消率 in tenths of a percent (201 = 20.1%); null when nothing was in force at the start.
    pub rate_tenths: Option<u32>,
    /// E.g. "本年取消 56 项，取消率 20.1%".
    pub sentence: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReformQuery {
    /// Default: this year.
    pub year: Option<String>,
    /// A body and its subtree (default: every body).
    pub body: Option<String>,
}

/// 审批制度改革 figures (行政许可 and 其他 items).
#[utoipa::path(
    get,
    path = "/api/v1/services/reform",
    tag = "public",
    params(ReformQuery),
    responses((status = 200, description = "改革情况", body = ReformJson))
)]
pub async fn reform(
    State(state): State<AppState>,
    Query(q): Query<ReformQuery>,
) -> Result<Json<ReformJson>, ApiError> {
    let this = today().year();
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse().ok())
        .filter(|y| (2000..=this).contains(y))
        .unwrap_or(this);
    let body = q.body.as_deref().and_then(|b| b.trim().parse::<i64>().ok());
    let body = match body {
        Some(b) if state.store.get_body(b).await.is_ok() => Some(b),
        _ => None,
    };
    let s = crate::handlers::services::reform_of(&state, body, year).await?;
    Ok(Json(ReformJson {
        rate_tenths: s.rate_tenths(),
        sentence: s.sentence(),
        year: s.year,
        at_start: s.at_start,
        established: s.established,
        adjusted: s.adjusted,
        cancelled: s.cancelled,
        cancelled_of_start: s.cancelled_of_start,
        devolved: s.devolved,
        merged: s.merged,
        at_end: s.at_end,
    }))
}

/// A fee item with the amounts collected.
#[derive(Serialize, ToSchema)]
pub struct FeeJson {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub code: String,
    pub name: String,
    /// `administrative` (行政事业性收费) or `fund` (政府性基金).
    pub category: String,
    pub basis_title: String,
    pub basis_doc_no: String,
    pub standard_text: String,
    /// `in_force` or `cancelled`.
    pub status: String,
    pub cancelled_on: String,
    pub amounts: Vec<AmountJson>,
}

/// An amount collected in a year.
#[derive(Serialize, ToSchema)]
pub struct AmountJson {
    pub year: i64,
    pub amount_fen: i64,
    /// In 万元, two decimals.
    pub wan_yuan: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeeQuery {
    /// 执收单位 id.
    pub body: Option<String>,
}

/// The 收费目录清单.
#[utoipa::path(
    get,
    path = "/api/v1/fees",
    tag = "public",
    params(FeeQuery),
    responses((status = 200, description = "收费项目", body = [FeeJson]))
)]
pub async fn list_fees(
    State(state): State<AppState>,
    Query(q): Query<FeeQuery>,
) -> Result<Json<Vec<FeeJson>>, ApiError> {
    let body = q.body.as_deref().and_then(|b| b.trim().parse().ok());
    let fees = state.store.list_fees(body).await?;
    Ok(Json(
        fees.into_iter()
            .map(|f| FeeJson {
                amounts: f
                    .amounts
                    .iter()
                    .map(|(y, a)| AmountJson {
                        year: *y,
                        amount_fen: *a,
                        wan_yuan: gongkai_domain::services::wan_yuan(*a),
                    })
                    .collect(),
                id: f.id,
                body_id: f.body_id,
                body_name: f.body_name,
                code: f.code,
                name: f.name,
                category: f.category,
                basis_title: f.basis_title,
                basis_doc_no: f.basis_doc_no,
                standard_text: f.standard_text,
                status: f.status,
                cancelled_on: f.cancelled_on,
            })
            .collect(),
    ))
}

/// The figures of a body's annual report from these registers.
#[derive(Serialize, ToSchema)]
pub struct FiguresJson {
    pub body_id: i64,
    pub year: i32,
    /// 行政许可 decisions made in the year.
    pub license: i64,
    /// 行政处罚.
    pub penalty: i64,
    /// 行政强制.
    pub coercion: i64,
    /// 行政事业性收费 collected, in fen.
    pub fees_fen: i64,
    /// The same in 万元, two decimals (the report's unit).
    pub fees_wan: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FiguresQuery {
    /// Default: last year.
    pub year: Option<String>,
}

/// 行政许可, 行政处罚 and 行政强制 counts and 行政事业性收费 of a body for its annual report.
#[utoipa::path(
    get,
    path = "/api/v1/admin/bodies/{id}/figures",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "机关编号"), FiguresQuery),
    responses(
        (status = 200, description = "年度数据", body = FiguresJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "没有该机关，或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn body_figures(
    State(state): State<AppState>,
    t: TokenActor,
    Path(id): Path<String>,
    Query(q): Query<FiguresQuery>,
) -> Result<Json<FiguresJson>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let body = state.store.get_body(id).await?;
    if !(t.actor.can_any(ITEM_READERS, &body.path) || t.actor.can_any(SERVICE_READERS, &body.path))
    {
        return Err(AppError::NotFound.into());
    }
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse().ok())
        .filter(|y| (2000..=2100).contains(y))
        .unwrap_or(today().year() - 1);
    let f: AnnualFigures = state.store.annual_figures(id, year).await?;
    Ok(Json(FiguresJson {
        body_id: f.body_id,
        year: f.year,
        license: f.license,
        penalty: f.penalty,
        coercion: f.coercion,
        fees_fen: f.fees_fen,
        fees_wan: f.fees_wan,
    }))
}
