//! The annual report in the back office (`/admin/annual-reports`): the overview of every body in
//! the account's scope for a year (due date, status, checks) with all reports as one JSON or
//! XLSX; one body's report with its counted tables, the cases that block it, the checks, the
//! texts to edit, "提交审核", exports and the import of a report from before the system. And the
//! published report on the portal (`/bodies/{id}/reports/{year}`). The rules are
//! `domain::annual_report`'s; putting a report together is `crate::annual`'s.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Datelike;
use gongkai_domain::access::{ITEM_READERS, Permission};
use gongkai_domain::annual_report::{self as ar, AnnualReport, Sections};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::annual::{self, Computed, Format, OverviewRow, ReportView};
use crate::auth::{Authed, MaybeAuthed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::Chrome;

/// The year a report is normally made for: last year.
fn default_year() -> i32 {
    today().year() - 1
}

fn parse_year(s: &str) -> Result<i32, AppError> {
    annual::parse_year(s, today()).ok_or(AppError::NotFound)
}

#[derive(Debug, Deserialize, Default)]
pub struct YearQuery {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub done: String,
    #[serde(default)]
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "annual/overview.html")]
pub struct OverviewPage {
    pub chrome: Chrome,
    pub year: i32,
    pub years: Vec<i32>,
    pub rows: Vec<OverviewRow>,
    pub published: usize,
    pub late: usize,
}

fn years() -> Vec<i32> {
    let last = today().year() - 1;
    (last - 6..=last).rev().collect()
}

fn require_reader(a: &Authed) -> Result<(), AppError> {
    if ITEM_READERS.iter().any(|p| a.actor.has_anywhere(*p)) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

pub async fn view_overview(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<YearQuery>,
) -> Result<OverviewPage, AppError> {
    require_reader(&a)?;
    let year = if q.year.trim().is_empty() {
        default_year()
    } else {
        parse_year(&q.year)?
    };
    let rows = annual::overview_rows(&state.store, &a.actor, year, today()).await?;
    Ok(OverviewPage {
        chrome: Chrome::admin(&state, &a, "年度报告", "/admin/annual-reports").await,
        year,
        years: years(),
        published: rows.iter().filter(|r| !r.published_on.is_empty()).count(),
        late: rows.iter().filter(|r| r.late).count(),
        rows,
    })
}

/// Every published (or imported) report in scope for the year, as one JSON file or one XLSX
/// sheet (a line per body), for a higher body to collect.
pub async fn download_all(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(file): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    require_reader(&a)?;
    let year = if q.year.trim().is_empty() {
        default_year()
    } else {
        parse_year(&q.year)?
    };
    let rows = annual::overview_rows(&state.store, &a.actor, year, today()).await?;
    let (bytes, format) = match file.as_str() {
        "all.json" => {
            #[derive(Serialize)]
            struct Entry<'a> {
                #[serde(flatten)]
                row: &'a OverviewRow,
                report: &'a Option<AnnualReport>,
            }
            let entries: Vec<Entry> = rows
                .iter()
                .map(|row| Entry {
                    row,
                    report: &row.report,
                })
                .collect();
            let v = serde_json::json!({ "year": year, "bodies": entries });
            (
                serde_json::to_vec_pretty(&v).map_err(|e| AppError::Internal(e.to_string()))?,
                Format::Json,
            )
        }
        "all.xlsx" => (all_xlsx(year, &rows), Format::Xlsx),
        _ => return Err(AppError::NotFound),
    };
    Ok(file_response(
        bytes,
        format,
        &format!("{year}年度政府信息公开工作年度报告汇总.{}", format.ext()),
        false,
    ))
}

/// One line per body: its status and every number of the three tables.
fn all_xlsx(year: i32, rows: &[OverviewRow]) -> Vec<u8> {
    use gongkai_files::table::{Sheet, XCell};
    let mut headings: Vec<String> = [
        "机关",
        "统一社会信用代码",
        "状态",
        "公开日期",
        "期限",
        "按时",
        "校验",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for b in ar::table2_blocks(&ar::Table2::default()) {
        for (label, values) in &b.rows {
            if values.len() == 3 {
                headings.extend(b.columns[1..].iter().map(|c| format!("表二 {label} {c}")));
            } else {
                headings.push(format!("表二 {label}"));
            }
        }
    }
    for (label, _) in ar::TABLE3_ROWS {
        for c in ar::TABLE3_COLUMNS {
            headings.push(format!("表三 {label} {c}"));
        }
    }
    for (_, kind) in ar::TABLE4_KINDS {
        for c in ar::TABLE4_COLUMNS {
            headings.push(format!("表四 {kind} {c}"));
        }
    }
    let mut lines = vec![
        headings
            .iter()
            .map(|h| XCell::Heading(h.clone()))
            .collect::<Vec<_>>(),
    ];
    for r in rows {
        let mut line = vec![
            XCell::Text(r.body.clone()),
            XCell::Text(r.org_code.clone()),
            XCell::Text(r.status.into()),
            XCell::Text(r.published_on.clone()),
            XCell::Text(r.due_on.clone()),
            XCell::Text(r.timeliness.into()),
            XCell::Text(match r.checks_pass {
                Some(true) => "通过".into(),
                Some(false) => format!("{}项不符", r.problems.len()),
                None => String::new(),
            }),
        ];
        if let Some(rep) = &r.report {
            let t = &rep.table2;
            line.extend(
                t.regulations
                    .iter()
                    .chain(&t.normative)
                    .chain([&t.license, &t.penalty, &t.coercion])
                    .map(|n| XCell::Number(*n as f64)),
            );
            line.push(XCell::Number(t.fees_wan.parse().unwrap_or(0.0)));
            line.extend(
                rep.table3
                    .cells
                    .iter()
                    .flatten()
                    .map(|n| XCell::Number(*n as f64)),
            );
            line.extend(
                rep.table4
                    .rows()
                    .iter()
                    .flat_map(|row| row.iter())
                    .map(|n| XCell::Number(*n as f64)),
            );
        }
        lines.push(line);
    }
    gongkai_files::table::workbook(&[Sheet {
        name: format!("{year}年度报告汇总"),
        widths: std::iter::once(30.0)
            .chain(std::iter::repeat_n(14.0, headings.len() - 1))
            .collect(),
        text_columns: vec![1],
        rows: lines,
        merges: Vec::new(),
        bordered: false,
    }])
}

// ---------------------------------------------------------------------------------------------
// One body's report
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "annual/edit.html")]
pub struct EditPage {
    pub chrome: Chrome,
    pub body: Body,
    pub year: i32,
    pub years: Vec<i32>,
    pub c: Computed,
    pub v: ReportView,
    pub status: &'static str,
    pub item_id: Option<i64>,
    pub version: i64,
    pub can_edit: bool,
    pub can_submit: bool,
    /// Why 提交审核 is not offered now (empty when it is).
    pub submit_reason: String,
    /// Whether the texts may be saved (not while a version is in review).
    pub can_save: bool,
    /// Whether the account may see the cases that block the report (their numbers and links).
    pub show_cases: bool,
    /// Whether the account may import (or remove) a report of a year before the system.
    pub can_import: bool,
    pub headings: [&'static str; 5],
    pub done: String,
    pub error: String,
    pub import_notes: Vec<String>,
}

async fn body_for(state: &AppState, a: &Authed, id: i64) -> Result<Body, AppError> {
    let body = state.store.get_body(id).await?;
    if !a.actor.can_any(ITEM_READERS, &body.path) {
        return Err(AppError::NotFound);
    }
    Ok(body)
}

/// Whether a version of the report is with the reviewer or the approver (its texts are then
/// frozen until it is published or sent back).
fn in_review(working_state: Option<&str>) -> bool {
    matches!(
        working_state,
        Some("pending_review" | "pending_approval" | "scheduled")
    )
}

async fn edit_page(
    state: &AppState,
    a: &Authed,
    body: Body,
    year: i32,
    q: &YearQuery,
    override_sections: Option<Sections>,
) -> Result<EditPage, AppError> {
    let mut c = annual::compute(&state.store, &body, year).await?;
    if let Some(s) = override_sections {
        c.report.sections = s;
    }
    let statuses = state.store.annual_report_statuses(&[body.id], year).await?;
    let status = annual::status_label(statuses.first());
    let working = statuses.first().and_then(|s| s.working_state.clone());
    let can_edit = a.actor.can(Permission::EditItems, &body.path) && c.source == "computed";
    let in_review = in_review(working.as_deref());
    let submit_reason = if in_review {
        "报告正在审核中，审核完成或被退回后才能修改和再次提交".to_string()
    } else {
        annual::submit_refusal(&c, today()).unwrap_or_default()
    };
    Ok(EditPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("{}{}年度报告", body.name, year),
            "/admin/annual-reports",
        )
        .await,
        years: years(),
        v: ReportView::new(&c.report),
        status,
        item_id: c.row.as_ref().and_then(|r| r.item_id),
        version: c.row.as_ref().map(|r| r.version).unwrap_or(0),
        can_submit: can_edit && submit_reason.is_empty(),
        can_save: can_edit && !in_review,
        submit_reason,
        show_cases: a
            .actor
            .can_any(gongkai_domain::access::CASE_READERS, &body.path),
        can_import: a.actor.can(Permission::ApproveItems, &body.path)
            && year < today().year()
            && c.row.as_ref().is_none_or(|r| r.source == "imported"),
        can_edit,
        headings: ar::GENERAL_HEADINGS,
        done: q.done.clone(),
        error: q.error.clone(),
        import_notes: Vec::new(),
        body,
        year,
        c,
    })
}

pub async fn view_report(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, year)): Path<(i64, String)>,
    Query(q): Query<YearQuery>,
) -> Result<EditPage, AppError> {
    let year = parse_year(&year)?;
    let body = body_for(&state, &a, id).await?;
    edit_page(&state, &a, body, year, &q, None).await
}

#[derive(Debug, Deserialize)]
pub struct SectionsForm {
    pub action: String,
    #[serde(default)]
    pub version: i64,
    #[serde(default)]
    pub general_0: String,
    #[serde(default)]
    pub general_1: String,
    #[serde(default)]
    pub general_2: String,
    #[serde(default)]
    pub general_3: String,
    #[serde(default)]
    pub general_4: String,
    #[serde(default)]
    pub problems: String,
    #[serde(default)]
    pub other: String,
}

/// The longest text of one section.
const MAX_SECTION_CHARS: usize = 20_000;

fn back(id: i64, year: i32, flag: &str, value: &str) -> Response {
    crate::views::back_to(&format!("/admin/annual-reports/{id}/{year}"), flag, value)
}

/// Save the texts, replace them with a new draft, or save and submit for review.
pub async fn post_report(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, year)): Path<(i64, String)>,
    axum::Form(f): axum::Form<SectionsForm>,
) -> Result<Response, AppError> {
    let year = parse_year(&year)?;
    let body = body_for(&state, &a, id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let who = a.who();
    let sections = Sections {
        general: [
            f.general_0.trim().to_string(),
            f.general_1.trim().to_string(),
            f.general_2.trim().to_string(),
            f.general_3.trim().to_string(),
            f.general_4.trim().to_string(),
        ],
        problems: f.problems.trim().to_string(),
        other: f.other.trim().to_string(),
    };
    let too_long = sections
        .general
        .iter()
        .chain([&sections.problems, &sections.other])
        .any(|t| t.chars().count() > MAX_SECTION_CHARS);
    let redisplay = |message: String, sections: Sections| {
        let state = state.clone();
        let a = a.clone();
        let body = body.clone();
        async move {
            let q = YearQuery {
                error: message,
                ..Default::default()
            };
            Ok::<Response, AppError>(
                edit_page(&state, &a, body, year, &q, Some(sections))
                    .await?
                    .into_response(),
            )
        }
    };
    if too_long {
        return redisplay(
            format!("每部分文字不超过{MAX_SECTION_CHARS}字，您的修改未保存"),
            sections,
        )
        .await;
    }
    let statuses = state.store.annual_report_statuses(&[body.id], year).await?;
    if in_review(statuses.first().and_then(|s| s.working_state.as_deref())) {
        return redisplay(
            "报告正在审核中，审核完成或被退回后才能修改；您的修改未保存".into(),
            sections,
        )
        .await;
    }
    match f.action.as_str() {
        "redraft" => {
            // A new draft from the data, shown for review; saved only when 保存 is pressed.
            let c = annual::compute(&state.store, &body, year).await?;
            let drafted = annual::draft(&state.store, &body, &c.report).await?;
            let q = YearQuery {
                done: "已按本年度数据重新起草，请检查后保存".into(),
                ..Default::default()
            };
            Ok(edit_page(&state, &a, body, year, &q, Some(drafted))
                .await?
                .into_response())
        }
        "save" | "submit" => {
            match state
                .store
                .save_annual_sections(body.id, year, &sections, f.version, &who)
                .await
            {
                Ok(_) => {}
                Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
                    return redisplay(m, sections).await;
                }
                Err(e) => return Err(e.into()),
            }
            if f.action == "save" {
                return Ok(back(id, year, "done", "已保存"));
            }
            match annual::submit(&state, &body, year, &a.actor, &who, today()).await {
                Ok(item_id) => Ok(
                    Redirect::to(&format!("/admin/items/{item_id}?done=submit")).into_response()
                ),
                Err(AppError::BadRequest(m)) => Ok(back(id, year, "error", &m)),
                Err(e) => Err(e),
            }
        }
        _ => Err(AppError::BadRequest("未知操作".into())),
    }
}

/// Import the report of a year before the system: a JSON file of ours or an XLSX laid out as
/// ours (multipart: `file`, and optionally `problems`, the text of its section 五).
pub async fn import_report(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, year)): Path<(i64, String)>,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let year = parse_year(&year)?;
    let body = body_for(&state, &a, id).await?;
    // An imported report is public at once, as published before the system: only those who
    // approve publication may record one.
    if !a.actor.can(Permission::ApproveItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    if year >= today().year() {
        return Ok(back(
            id,
            year,
            "error",
            "只能导入往年（本系统启用前）的年度报告",
        ));
    }
    let (mut file_name, mut bytes, mut problems) = (String::new(), Vec::new(), String::new());
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => match field.name().unwrap_or("") {
                "file" => {
                    file_name = field.file_name().unwrap_or("").to_string();
                    bytes = field
                        .bytes()
                        .await
                        .map_err(|_| AppError::BadRequest("文件上传不完整，请重试".into()))?
                        .to_vec();
                }
                "problems" => {
                    problems = field.text().await.unwrap_or_default();
                }
                _ => {}
            },
            Ok(None) => break,
            Err(_) => return Ok(back(id, year, "error", "文件上传不完整，请重试")),
        }
    }
    if bytes.is_empty() {
        return Ok(back(id, year, "error", "请选择要导入的 JSON 或 XLSX 文件"));
    }
    let (report, notes) = match annual::read_import(&file_name, &bytes, &body.name, year, &problems)
    {
        Ok(r) => r,
        Err(m) => return Ok(back(id, year, "error", &m)),
    };
    match state
        .store
        .import_annual_report(body.id, &report, &a.who())
        .await
    {
        Ok(_) => {}
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            return Ok(back(id, year, "error", &m));
        }
        Err(e) => return Err(e.into()),
    }
    let checks = report.check();
    let mut message = format!("已导入{}年度报告（{}）", year, report.format);
    if !checks.is_empty() {
        message.push_str(&format!("；表格校验有{}项不符，见下方", checks.len()));
    }
    for n in notes {
        message.push('；');
        message.push_str(&n);
    }
    Ok(back(id, year, "done", &message))
}

/// Remove an imported report (审批领导): a wrong file, or the year is to be made in the system.
pub async fn delete_import(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, year)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let year = parse_year(&year)?;
    let body = body_for(&state, &a, id).await?;
    if !a.actor.can(Permission::ApproveItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    match state
        .store
        .delete_annual_import(body.id, year, &a.who())
        .await
    {
        Ok(()) => Ok(back(id, year, "done", "已删除导入的报告")),
        Err(StoreError::NotFound) => Ok(back(id, year, "error", "该年度没有导入的报告")),
        Err(e) => Err(e.into()),
    }
}

/// A file response: inline for PDF and HTML, attachment otherwise.
pub fn file_response(bytes: Vec<u8>, format: Format, name: &str, public: bool) -> Response {
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.mime()),
    );
    let disposition = match format {
        Format::Pdf | Format::Html => gongkai_files::content_disposition_inline(name),
        _ => gongkai_files::content_disposition(name),
    };
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    if matches!(format, Format::Pdf | Format::Html) {
        // A standalone page and the browser's PDF viewer: nothing may frame them.
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ),
        );
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if public {
            "public, max-age=300"
        } else {
            "no-store"
        }),
    );
    r
}

/// Render a report file off the async threads (PDF takes the report slots like every PDF).
async fn render_file(
    state: &AppState,
    report: AnnualReport,
    format: Format,
    note: String,
) -> Result<Vec<u8>, AppError> {
    let renderer = state.reports.clone();
    if format == Format::Pdf && renderer.is_none() {
        return Err(AppError::Unavailable(
            "服务器未安装中文字体，暂不能生成 PDF（请安装 fonts-noto-cjk）".into(),
        ));
    }
    let _slot = state
        .report_slots
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let site = state.config.site_name.clone();
    tokio::task::spawn_blocking(move || {
        annual::export(renderer.as_deref(), &report, format, &site, &note)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(AppError::Internal)
}

fn format_of(file: &str) -> Result<Format, AppError> {
    file.strip_prefix("report.")
        .and_then(Format::parse)
        .ok_or(AppError::NotFound)
}

/// The current report of a body's year as a file (staff: the draft as it stands).
pub async fn download_report(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, year, file)): Path<(i64, String, String)>,
) -> Result<Response, AppError> {
    let year = parse_year(&year)?;
    let format = format_of(&file)?;
    let body = body_for(&state, &a, id).await?;
    let c = annual::compute(&state.store, &body, year).await?;
    let note = if c.source == "imported" {
        "系统启用前的报告（导入）".to_string()
    } else {
        "工作稿，以公开发布的版本为准".to_string()
    };
    let name = format!("{}.{}", c.report.title(), format.ext());
    let bytes = render_file(&state, c.report, format, note).await?;
    Ok(file_response(bytes, format, &name, false))
}

// ---------------------------------------------------------------------------------------------
// The portal
// ---------------------------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "public/annual_report.html")]
pub struct PublicReportPage {
    pub chrome: Chrome,
    pub body: Body,
    pub year: i32,
    pub v: ReportView,
    pub item_id: Option<i64>,
}

/// A published report: the version the approver published, exactly (the snapshot frozen with
/// it), or an imported report of a year before the system.
async fn published(
    state: &AppState,
    id: &str,
    year: &str,
) -> Result<(Body, i32, AnnualReport, Option<i64>), AppError> {
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    let year = parse_year(year)?;
    let body = state.store.get_body(id).await?;
    let report = state
        .store
        .published_annual_report(body.id, year)
        .await?
        .ok_or(AppError::NotFound)?;
    let item = state
        .store
        .annual_report(body.id, year)
        .await?
        .and_then(|r| r.item_id);
    Ok((body, year, report, item))
}

pub async fn view_public_report(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path((id, year)): Path<(String, String)>,
) -> Result<PublicReportPage, AppError> {
    let (body, year, report, item_id) = published(&state, &id, &year).await?;
    Ok(PublicReportPage {
        chrome: Chrome::public(&state, &report.title(), a.as_ref()),
        v: ReportView::new(&report),
        body,
        year,
        item_id,
    })
}

pub async fn download_public_report(
    State(state): State<AppState>,
    Path((id, year, file)): Path<(String, String, String)>,
) -> Result<Response, AppError> {
    let format = format_of(&file)?;
    let (_, _, report, _) = published(&state, &id, &year).await?;
    let name = format!("{}.{}", report.title(), format.ext());
    let bytes = render_file(&state, report, format, String::new()).await?;
    Ok(file_response(bytes, format, &name, true))
}
