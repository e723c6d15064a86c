//! The API of the annual report (政府信息公开工作年度报告): a body's published reports (public),
//! and for staff tokens the report as it stands now — counted tables, blocking cases, checks —
//! and the overview of every body in the token's scope, for a higher body to collect.

use axum::Json;
use axum::extract::{Path, Query, State};
use chrono::Datelike;
use gongkai_domain::access::ITEM_READERS;
use gongkai_domain::annual_report::AnnualReport;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::annual::{self, OverviewRow};
use crate::api::ErrorBody;
use crate::api_admin::{TokenActor, parse_id};
use crate::error::{ApiError, AppError};
use crate::handlers::admin::today;

/// Section texts: 一's five parts (主动公开, 依申请公开, 政府信息管理, 政府信息公开平台建设, 监督保障),
/// 五 and 六.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SectionsJson {
    #[schema(min_items = 5, max_items = 5)]
    pub general: Vec<String>,
    /// 五、存在的主要问题及改进情况.
    pub problems: String,
    /// 六、其他需要报告的事项.
    pub other: String,
}

/// Table 二 (第二十条第（一）、（五）、（六）、（八）项).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Table2Json {
    /// 规章: 本年制发件数, 本年废止件数, 现行有效件数.
    #[schema(min_items = 3, max_items = 3)]
    pub regulations: Vec<i64>,
    /// 行政规范性文件: the same three.
    #[schema(min_items = 3, max_items = 3)]
    pub normative: Vec<i64>,
    /// 行政许可 decisions.
    pub license: i64,
    /// 行政处罚 decisions.
    pub penalty: i64,
    /// 行政强制 decisions.
    pub coercion: i64,
    /// 行政事业性收费 in 万元, two decimals.
    pub fees_wan: String,
}

/// One row of table 三: its label as printed and seven numbers (自然人, 商业企业, 科研机构,
/// 社会公益组织, 法律服务机构, 其他, 总计).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Table3RowJson {
    pub label: String,
    #[schema(min_items = 7, max_items = 7)]
    pub values: Vec<i64>,
}

/// Table 三: the 25 numbered rows in the order of the format.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Table3Json {
    #[schema(min_items = 7, max_items = 7)]
    pub columns: Vec<String>,
    #[schema(min_items = 25, max_items = 25)]
    pub rows: Vec<Table3RowJson>,
}

/// Table 四: per proceeding 结果维持, 结果纠正, 其他结果, 尚未审结, 总计.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Table4Json {
    /// 行政复议.
    #[schema(min_items = 5, max_items = 5)]
    pub reconsideration: Vec<i64>,
    /// 行政诉讼，未经复议直接起诉.
    #[schema(min_items = 5, max_items = 5)]
    pub lawsuit: Vec<i64>,
    /// 行政诉讼，复议后起诉.
    #[schema(min_items = 5, max_items = 5)]
    pub lawsuit_after_review: Vec<i64>,
}

/// A whole report (also the file format of `report.json` and of imports).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportJson {
    /// 国办公开办函〔2021〕30号, or 〔2019〕60号 for an imported earlier report.
    pub format: String,
    pub body: String,
    pub year: i32,
    pub sections: SectionsJson,
    pub table2: Table2Json,
    pub table3: Table3Json,
    pub table4: Table4Json,
}

impl ReportJson {
    /// The report exactly as it serialises (the JSON file), typed for the API document.
    fn of(r: &AnnualReport) -> Result<ReportJson, ApiError> {
        serde_json::to_value(r)
            .and_then(serde_json::from_value)
            .map_err(|e| ApiError(AppError::Internal(e.to_string())))
    }
}

fn year_of(s: &str) -> Result<i32, ApiError> {
    annual::parse_year(s, today()).ok_or_else(|| AppError::NotFound.into())
}

/// The published report of a body's year (or the imported report of a year before the system),
/// exactly as approved.
#[utoipa::path(
    get,
    path = "/api/v1/bodies/{id}/annual-reports/{year}",
    tag = "public",
    params(("id" = i64, Path, description = "机关编号"), ("year" = i32, Path, description = "年度")),
    responses(
        (status = 200, description = "年度报告", body = ReportJson),
        (status = 404, description = "没有该机关，或该年度报告尚未公开", body = ErrorBody),
    )
)]
pub async fn get_public_report(
    State(state): State<AppState>,
    Path((id, year)): Path<(String, String)>,
) -> Result<Json<ReportJson>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let year = year_of(&year)?;
    state.store.get_body(id).await?;
    let r = state
        .store
        .published_annual_report(id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Json(ReportJson::of(&r)?))
}

/// A case that cannot be counted in table 三 (its id and number only for tokens that may read
/// applications).
#[derive(Debug, Serialize, ToSchema)]
pub struct BlockerJson {
    pub case_id: Option<i64>,
    /// 申请编号.
    pub number: Option<String>,
    pub problem: String,
}

/// A body's report as it stands now (staff).
#[derive(Debug, Serialize, ToSchema)]
pub struct StaffReportJson {
    pub report: ReportJson,
    /// `computed` (counted from the records now) or `imported`.
    pub source: String,
    /// 未编制, 编制中, 待保密审查, 待审批, 已公开 …
    pub status: String,
    /// The day the report is due.
    pub due_on: String,
    /// Cases that block the report (it cannot be submitted while there are any).
    pub blockers: Vec<BlockerJson>,
    /// Failed checks of the tables.
    pub problems: Vec<String>,
    /// Differences between this year's 二、上年结转 and last year's 四.
    pub carry_over: Vec<String>,
    /// Whether last year's report was found for the carry-over check.
    pub last_year_found: bool,
}

/// A body's report for a year as it stands now: the tables counted from the records, the saved
/// texts (or a first draft), the cases that block it and the checks.
#[utoipa::path(
    get,
    path = "/api/v1/admin/bodies/{id}/annual-reports/{year}",
    tag = "admin",
    security(("bearer" = [])),
    params(("id" = i64, Path, description = "机关编号"), ("year" = i32, Path, description = "年度")),
    responses(
        (status = 200, description = "年度报告（当前状态）", body = StaffReportJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 404, description = "没有该机关，或不在令牌范围内", body = ErrorBody),
    )
)]
pub async fn get_staff_report(
    State(state): State<AppState>,
    t: TokenActor,
    Path((id, year)): Path<(String, String)>,
) -> Result<Json<StaffReportJson>, ApiError> {
    let id = parse_id(&id).map_err(|_| ApiError(AppError::NotFound))?;
    let year = year_of(&year)?;
    let body = state.store.get_body(id).await?;
    if !t.actor.can_any(ITEM_READERS, &body.path) {
        return Err(AppError::NotFound.into());
    }
    let c = annual::compute(&state.store, &body, year).await?;
    let statuses = state.store.annual_report_statuses(&[id], year).await?;
    let show_cases = t
        .actor
        .can_any(gongkai_domain::access::CASE_READERS, &body.path);
    Ok(Json(StaffReportJson {
        report: ReportJson::of(&c.report)?,
        source: c.source,
        status: annual::status_label(statuses.first()).into(),
        due_on: c.due_on.to_string(),
        blockers: c
            .blockers
            .into_iter()
            .map(|b| BlockerJson {
                case_id: show_cases.then_some(b.case_id),
                number: show_cases.then_some(b.number),
                problem: b.problem,
            })
            .collect(),
        problems: c.problems,
        carry_over: c.carry_over,
        last_year_found: c.last_year_found,
    }))
}

/// One body's line in the overview.
#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewRowJson {
    pub body_id: i64,
    pub body: String,
    pub org_code: String,
    pub due_on: String,
    pub status: String,
    /// The day the report was published, if it is.
    pub published_on: Option<String>,
    /// 按时公开, 逾期公开, 已逾期, 未到期, or — for an imported report.
    pub timeliness: String,
    pub late: bool,
    /// Whether the published (or imported) tables pass their checks; null without one.
    pub checks_pass: Option<bool>,
    pub problems: Vec<String>,
    /// The published (or imported) report.
    pub report: Option<ReportJson>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewJson {
    pub year: i32,
    pub bodies: Vec<OverviewRowJson>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverviewQuery {
    /// Default: last year.
    pub year: Option<String>,
}

fn row_json(r: OverviewRow) -> Result<OverviewRowJson, ApiError> {
    Ok(OverviewRowJson {
        report: r.report.as_ref().map(ReportJson::of).transpose()?,
        body_id: r.body_id,
        body: r.body,
        org_code: r.org_code,
        due_on: r.due_on,
        status: r.status.into(),
        published_on: Some(r.published_on).filter(|p| !p.is_empty()),
        timeliness: r.timeliness.into(),
        late: r.late,
        checks_pass: r.checks_pass,
        problems: r.problems,
    })
}

/// For every body in the token's scope: the due date, where its report stands, whether it was
/// published on time, whether its numbers pass the checks, and the published report.
#[utoipa::path(
    get,
    path = "/api/v1/admin/annual-reports",
    tag = "admin",
    security(("bearer" = [])),
    params(OverviewQuery),
    responses(
        (status = 200, description = "各机关年度报告情况", body = OverviewJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
    )
)]
pub async fn overview(
    State(state): State<AppState>,
    t: TokenActor,
    Query(q): Query<OverviewQuery>,
) -> Result<Json<OverviewJson>, ApiError> {
    let year = match q.year.as_deref().map(str::trim).filter(|y| !y.is_empty()) {
        Some(y) => year_of(y)
            .map_err(|_| ApiError(AppError::BadRequest("year 须为2008年至今的年份".into())))?,
        None => today().year() - 1,
    };
    let rows = annual::overview_rows(&state.store, &t.actor, year, today()).await?;
    Ok(Json(OverviewJson {
        year,
        bodies: rows.into_iter().map(row_json).collect::<Result<_, _>>()?,
    }))
}
