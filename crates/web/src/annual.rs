//! The annual report of one body and year, put together from the store (the tables counted by
//! `domain::annual_report`, the staff's texts or a first draft, last year's report for the
//! carry-over check), its exports, and "提交审核": the report becomes an item in the body's
//! 政府信息公开年报 column and goes through the disclosure workflow (docs/design/annual-report.md).
//! Shared by the back office, the API and `gongkai report annual`.

use askama::Template;
use gongkai_domain::access::{Actor, Permission};
use gongkai_domain::annual_report::{
    self as ar, AnnualReport, Blocker, DraftFacts, GENERAL_HEADINGS, SECTION_TITLES, Sections,
    TABLE3_COLUMNS, TABLE4_COLUMNS, Table2, Table2Block,
};
use gongkai_domain::audit::Who;
use gongkai_domain::disclosure::{ANNUAL_REPORT_KEY, Step, VersionState};
use gongkai_reports::Renderer;
use gongkai_store::annual_reports::ReportRow;
use gongkai_store::bodies::Body;
use gongkai_store::disclosure::{StepInput, VersionFields};
use gongkai_store::{Store, StoreError, StoreResult};
use serde::Serialize;

/// A report year given in a path, query or file: 2008 (the first year of the 条例) up to this
/// year (whose report can be looked at, not submitted).
pub fn parse_year(s: &str, today: chrono::NaiveDate) -> Option<i32> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (2008..=chrono::Datelike::year(&today)).contains(y))
}

/// A body's report for a year as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct Computed {
    pub report: AnnualReport,
    /// `computed` (counted from the records now) or `imported`.
    pub source: String,
    /// Cases the count cannot place: the report cannot be submitted while there are any.
    pub blockers: Vec<Blocker>,
    /// Failed checks of the tables (none for a computed report unless the rules are broken).
    pub problems: Vec<String>,
    /// Differences between this year's 二、上年结转 and last year's 四.
    pub carry_over: Vec<String>,
    /// Whether last year's report was found for the carry-over check.
    pub last_year_found: bool,
    /// Whether the texts are a first draft (nothing saved yet).
    pub drafted: bool,
    #[serde(skip)]
    pub row: Option<ReportRow>,
    /// The due date (`MM-DD` setting or the regulation's).
    pub due_on: chrono::NaiveDate,
}

/// The report's tables counted from the records.
async fn tables(
    store: &Store,
    body: &Body,
    year: i32,
) -> StoreResult<(AnnualReport, Vec<Blocker>)> {
    let facts = store.report_case_facts(body.id, year).await?;
    let (table3, blockers) = ar::table3(&facts, year);
    let table4 = ar::table4(&store.report_review_records(body.id, year).await?, year);
    let (regulations, normative) = store.report_normative_counts(body.id, year).await?;
    let f = store.annual_figures(body.id, year).await?;
    Ok((
        AnnualReport {
            format: ar::FORMAT_2021.into(),
            body: body.name.clone(),
            year,
            sections: Sections::default(),
            table2: Table2 {
                regulations,
                normative,
                license: f.license,
                penalty: f.penalty,
                coercion: f.coercion,
                fees_wan: f.fees_wan,
            },
            table3,
            table4,
        },
        blockers,
    ))
}

/// The report of the year before, as published or imported (what the carry-over is checked
/// against and section 五 starts from).
pub async fn last_year(store: &Store, body: &Body, year: i32) -> StoreResult<Option<AnnualReport>> {
    store.published_annual_report(body.id, year - 1).await
}

/// A first draft of the texts from the year's figures.
pub async fn draft(store: &Store, body: &Body, report: &AnnualReport) -> StoreResult<Sections> {
    let y = store.report_year_figures(body.id, report.year).await?;
    let last = last_year(store, body, report.year).await?;
    let facts = DraftFacts {
        body: body.name.clone(),
        year: report.year,
        published: y.published,
        top_categories: y.top_categories,
        interpretations: y.interpretations,
        finished: y.finished,
        finished_on_time: y.finished_on_time,
        revised: y.revised,
        withdrawn: y.withdrawn,
        validity_changes: y.validity_changes,
        ledger_entries: y.ledger_entries,
        public_items: y.public_items,
        categories: y.categories,
        fee_cases: y.fee_cases,
        fee_fen: y.fee_fen,
        last_problems: last.map(|r| r.sections.problems),
        supervision: {
            let s = store.supervision_year(body.id, report.year).await?;
            ar::SupervisionFacts {
                inspections: s.inspections,
                findings: s.findings,
                rectifications_opened: s.rectifications_opened,
                rectifications_accepted: s.rectifications_accepted,
                appraisal_answers: s.appraisal_answers,
                accountability: s.accountability,
            }
        },
    };
    Ok(ar::draft_sections(&facts, report))
}

/// The body's report for `year` now: an imported one as it was given; otherwise the tables
/// counted from the records with the saved texts (or a first draft).
pub async fn compute(store: &Store, body: &Body, year: i32) -> StoreResult<Computed> {
    let row = store.annual_report(body.id, year).await?;
    let settings = store.body_settings(body.id).await?;
    let due_on = ar::due_date(body.kind(), year, &settings.annual_report_due);
    let last = last_year(store, body, year).await?;
    if let Some(imported) = row.as_ref().and_then(|r| r.imported_report()) {
        return Ok(Computed {
            problems: imported.check(),
            carry_over: last
                .as_ref()
                .map(|l| ar::carry_over_check(&imported.table3, &l.table3))
                .unwrap_or_default(),
            last_year_found: last.is_some(),
            report: imported,
            source: "imported".into(),
            blockers: Vec::new(),
            drafted: false,
            row,
            due_on,
        });
    }
    let (mut report, blockers) = tables(store, body, year).await?;
    let saved = row.as_ref().map(|r| r.sections());
    let drafted = saved.is_none();
    report.sections = match saved {
        Some(s) => s,
        None => draft(store, body, &report).await?,
    };
    Ok(Computed {
        problems: report.check(),
        carry_over: last
            .as_ref()
            .map(|l| ar::carry_over_check(&report.table3, &l.table3))
            .unwrap_or_default(),
        last_year_found: last.is_some(),
        report,
        source: "computed".into(),
        blockers,
        drafted,
        row,
        due_on,
    })
}

/// One body's line in the overview.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewRow {
    pub body_id: i64,
    pub body: String,
    pub org_code: String,
    pub depth: usize,
    pub due_on: String,
    pub status: &'static str,
    pub published_on: String,
    /// 按时 / 逾期公开 / 已逾期 / 未到期.
    pub timeliness: &'static str,
    pub late: bool,
    /// Whether the published (or imported) tables pass their checks; None when there is none.
    pub checks_pass: Option<bool>,
    pub problems: Vec<String>,
    #[serde(skip)]
    pub report: Option<AnnualReport>,
}

/// Every body in the actor's scope (readers of items) and where its report on `year` stands.
pub async fn overview_rows(
    store: &Store,
    actor: &Actor,
    year: i32,
    today: chrono::NaiveDate,
) -> StoreResult<Vec<OverviewRow>> {
    let scope = actor.scope_any(gongkai_domain::access::ITEM_READERS);
    let bodies: Vec<Body> = store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .collect();
    let ids: Vec<i64> = bodies.iter().map(|b| b.id).collect();
    let statuses = store.annual_report_statuses(&ids, year).await?;
    let mut out = Vec::with_capacity(bodies.len());
    for b in &bodies {
        let s = statuses.iter().find(|s| s.body_id == b.id);
        let settings = store.body_settings(b.id).await?;
        let due = ar::due_date(b.kind(), year, &settings.annual_report_due);
        // The day the report was first published (a later revision does not move it).
        let published_day = s
            .filter(|s| s.item_status.as_deref() == Some("published"))
            .and_then(|s| s.first_published_at)
            .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000))
            .map(|t| t.date_naive());
        let report: Option<AnnualReport> = match s {
            Some(s) if s.source.as_deref() == Some("imported") => store
                .annual_report(b.id, year)
                .await?
                .and_then(|r| r.imported_report()),
            Some(s) => s
                .published_data
                .as_deref()
                .and_then(|d| serde_json::from_str(d).ok()),
            None => None,
        };
        let imported = s.is_some_and(|s| s.source.as_deref() == Some("imported"));
        let (timeliness, late) = match published_day {
            _ if imported => ("—", false),
            Some(d) if d <= due => ("按时公开", false),
            Some(_) => ("逾期公开", true),
            None if today > due => ("已逾期", true),
            None => ("未到期", false),
        };
        let problems = report.as_ref().map(|r| r.check()).unwrap_or_default();
        out.push(OverviewRow {
            body_id: b.id,
            body: b.name.clone(),
            org_code: b.org_code.clone(),
            depth: b.depth(),
            due_on: due.to_string(),
            status: status_label(s),
            published_on: published_day.map(|d| d.to_string()).unwrap_or_default(),
            timeliness,
            late,
            checks_pass: report.as_ref().map(|_| problems.is_empty()),
            problems,
            report,
        });
    }
    Ok(out)
}

/// Where a report stands, in words (未编制 / 编制中 / 审核中 / 已公开 / 已导入 …).
pub fn status_label(row: Option<&gongkai_store::annual_reports::ReportStatusRow>) -> &'static str {
    let Some(r) = row.filter(|r| r.report_id.is_some()) else {
        return "未编制";
    };
    if r.source.as_deref() == Some("imported") {
        return "已导入（系统启用前）";
    }
    match (r.item_status.as_deref(), r.working_state.as_deref()) {
        (Some("published"), Some(w)) if w != "draft" => "已公开（修订稿审核中）",
        (Some("published"), _) => "已公开",
        (Some("withdrawn"), _) => "已撤回",
        (_, Some("pending_review")) => "待保密审查",
        (_, Some("pending_approval")) => "待审批",
        (_, Some("scheduled")) => "待定时发布",
        (_, Some("rejected")) => "审查不予公开",
        (_, Some("draft")) => "退回修改中",
        _ => "编制中",
    }
}

/// Why a report cannot go to review now, if it cannot.
pub fn submit_refusal(c: &Computed, today: chrono::NaiveDate) -> Option<String> {
    if c.source != "computed" {
        return Some("导入的历史报告不能在本系统中提交审核".into());
    }
    if !c.blockers.is_empty() {
        return Some(format!(
            "有{}件申请无法统计，请先处理后再提交",
            c.blockers.len()
        ));
    }
    if !c.problems.is_empty() {
        return Some(c.problems.join("；"));
    }
    if c.report.year >= chrono::Datelike::year(&today) {
        return Some(format!("{}年尚未结束，年度报告须在次年编制", c.report.year));
    }
    None
}

/// Write the report as the draft of its item in the body's 政府信息公开年报 column — creating
/// the item, updating its draft, or revising the published one — and freeze the report for
/// that version. Returns (item id, version id); the version is then submitted like any item.
pub async fn write_item(
    store: &Store,
    body: &Body,
    year: i32,
    actor: &Actor,
    who: &Who,
    today: chrono::NaiveDate,
) -> Result<(i64, i64), crate::error::AppError> {
    use crate::error::AppError;
    if !actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let c = compute(store, body, year).await?;
    if let Some(m) = submit_refusal(&c, today) {
        return Err(AppError::BadRequest(m));
    }
    // Save the texts first (so a draft shown is the one submitted).
    let row = match c.row {
        Some(r) => r,
        None => {
            store
                .save_annual_sections(body.id, year, &c.report.sections, 0, who)
                .await?
        }
    };
    let cats = store.list_categories(body.id).await?;
    let Some(cat) = cats.iter().find(|x| x.template_key == ANNUAL_REPORT_KEY) else {
        return Err(AppError::BadRequest(
            "本机关的公开目录中没有“政府信息公开年报”栏目，请先在目录管理中添加".into(),
        ));
    };
    let fields = VersionFields {
        title: c.report.title(),
        doc_no: String::new(),
        written_on: Some(today),
        formed_on: today,
        subject: "综合政务".into(),
        keywords: "政府信息公开 年度报告".into(),
        summary: format!(
            "{}根据《中华人民共和国政府信息公开条例》编制的{}年度政府信息公开工作年度报告。",
            body.name, year
        ),
        body_md: c.report.to_markdown(),
        scope: "public".into(),
        open_method: "proactive".into(),
        normative_kind: "none".into(),
        related: Vec::new(),
    };
    // The report's item, unless it has ended (withdrawn, or its only version 不予公开): then a
    // new item is started.
    let mut current = None;
    if let Some(item_id) = row.item_id {
        let item = store.get_item(item_id).await?;
        let ended = match item.working_version_id {
            _ if item.status == "withdrawn" => true,
            Some(v) => store.get_version(v).await?.state() == VersionState::Rejected,
            None => false,
        };
        if !ended {
            current = Some(item);
        }
    }
    let (item_id, version_id) = match current {
        None => {
            store
                .create_item(body.id, cat.id, &fields, None, who)
                .await?
        }
        Some(item) => {
            let item_id = item.id;
            let vid = match item.working_version_id {
                Some(v) => v,
                None => store.revise_item(item_id, actor, who).await?,
            };
            let v = store.get_version(vid).await?;
            if v.state() != VersionState::Draft {
                return Err(AppError::BadRequest(format!(
                    "年度报告已提交（{}），请等待审核完成或由审核人退回后再修改",
                    v.state().label()
                )));
            }
            store
                .update_draft(vid, &fields, v.updated_at, None, who)
                .await?;
            (item_id, vid)
        }
    };
    store
        .freeze_annual_report(row.id, item_id, version_id, &c.report, who)
        .await?;
    Ok((item_id, version_id))
}

/// Why the generic item edit, revise and submit refuse an item, if it is an annual report's:
/// those are changed on the report's page, which keeps the frozen report and the item's text
/// the same.
pub async fn report_item_refusal(store: &Store, item_id: i64) -> StoreResult<Option<&'static str>> {
    Ok(store
        .annual_report_of_item(item_id)
        .await?
        .map(|_| "本信息是政府信息公开工作年度报告，请在“年度报告”页面修改并提交审核"))
}

/// "提交审核": write the report as its item's draft ([`write_item`]), screen it and submit it
/// exactly as the item form does. Returns the item id.
pub async fn submit(
    state: &crate::AppState,
    body: &Body,
    year: i32,
    actor: &Actor,
    who: &Who,
    today: chrono::NaiveDate,
) -> Result<i64, crate::error::AppError> {
    use crate::error::AppError;
    let (item_id, version_id) = write_item(&state.store, body, year, actor, who, today).await?;
    let v = state.store.get_version(version_id).await?;
    crate::handlers::items::screen_version(state, &v).await?;
    match state
        .store
        .apply_step(
            version_id,
            actor,
            &Step::Submit,
            &StepInput {
                comment: format!("{year}年度报告提交审核"),
                scheduled_at: None,
                today: Some(today),
            },
            who,
        )
        .await
    {
        Ok(_) => Ok(item_id),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Err(AppError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// The report as a page and as files
// ---------------------------------------------------------------------------------------------

/// One printed line of table 三 with its numbers (none for a heading).
#[derive(Debug, Clone, Serialize)]
pub struct Line3 {
    pub label: &'static str,
    pub indent: u8,
    pub values: Vec<i64>,
}

/// The report laid out for the HTML templates.
#[derive(Debug, Clone)]
pub struct ReportView {
    pub title: String,
    pub intro: String,
    pub titles: [&'static str; 6],
    pub general: Vec<(&'static str, Vec<String>)>,
    pub table2: Vec<Table2Block>,
    pub corner: &'static str,
    pub columns: [&'static str; 7],
    /// The five columns under 法人或其他组织.
    pub sub_columns: Vec<&'static str>,
    pub table3: Vec<Line3>,
    pub table4_columns: [&'static str; 5],
    pub table4: Vec<i64>,
    pub problems: Vec<String>,
    pub other: Vec<String>,
}

impl ReportView {
    pub fn new(r: &AnnualReport) -> ReportView {
        ReportView {
            title: r.title(),
            intro: gongkai_reports::annual_report_intro(r),
            titles: SECTION_TITLES,
            general: GENERAL_HEADINGS
                .iter()
                .zip(&r.sections.general)
                .map(|(h, t)| (*h, ar::paragraphs(t)))
                .collect(),
            table2: ar::table2_blocks(&r.table2),
            corner: ar::TABLE3_CORNER,
            columns: TABLE3_COLUMNS,
            sub_columns: TABLE3_COLUMNS[1..6].to_vec(),
            table3: ar::table3_lines()
                .into_iter()
                .map(|l| Line3 {
                    label: l.label,
                    indent: l.indent,
                    values: l
                        .row
                        .map(|i| r.table3.cells[i].to_vec())
                        .unwrap_or_default(),
                })
                .collect(),
            table4_columns: TABLE4_COLUMNS,
            table4: r
                .table4
                .rows()
                .iter()
                .flat_map(|row| row.iter().copied())
                .collect(),
            problems: ar::paragraphs(&r.sections.problems),
            other: ar::paragraphs(&r.sections.other),
        }
    }
}

/// The report as one HTML file (styles inline), for saving or sending on.
#[derive(Template)]
#[template(path = "annual/standalone.html")]
struct Standalone<'a> {
    v: &'a ReportView,
    note: &'a str,
}

/// The file formats of a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Html,
    Json,
    Xlsx,
    Docx,
    Pdf,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "html" => Format::Html,
            "json" => Format::Json,
            "xlsx" => Format::Xlsx,
            "docx" => Format::Docx,
            "pdf" => Format::Pdf,
            _ => return None,
        })
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Html => "html",
            Format::Json => "json",
            Format::Xlsx => "xlsx",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Html => "text/html; charset=utf-8",
            Format::Json => "application/json",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Format::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            Format::Pdf => "application/pdf",
        }
    }
}

/// The report as a file. CPU-bound for PDF: call from `spawn_blocking` in async code. `note` is
/// printed on each page (e.g. 「草稿，尚未公开」).
pub fn export(
    renderer: Option<&Renderer>,
    r: &AnnualReport,
    format: Format,
    site_name: &str,
    note: &str,
) -> Result<Vec<u8>, String> {
    match format {
        Format::Json => serde_json::to_vec_pretty(r).map_err(|e| e.to_string()),
        Format::Xlsx => Ok(gongkai_reports::annual_report_xlsx(r)),
        Format::Docx => gongkai_reports::annual_report_docx(r).map_err(|e| e.to_string()),
        Format::Html => Standalone {
            v: &ReportView::new(r),
            note,
        }
        .render()
        .map(String::into_bytes)
        .map_err(|e| e.to_string()),
        Format::Pdf => match renderer {
            Some(renderer) => renderer
                .annual_report_pdf(r, site_name, note)
                .map_err(|e| e.to_string()),
            None => Err("服务器未安装中文字体，暂不能生成 PDF（请安装 fonts-noto-cjk）".into()),
        },
    }
}

/// Read a report to import: our JSON, or an XLSX laid out like ours (tables found by their
/// labels). `body` and `year` are those the import is for; a JSON file for another year is
/// refused.
pub fn read_import(
    file_name: &str,
    bytes: &[u8],
    body: &str,
    year: i32,
    problems_text: &str,
) -> Result<(AnnualReport, Vec<String>), String> {
    let lower = file_name.to_lowercase();
    let mut notes = Vec::new();
    let mut report = if lower.ends_with(".json") {
        let r: AnnualReport = serde_json::from_slice(bytes)
            .map_err(|e| format!("JSON 文件不是年度报告的格式：{e}"))?;
        if r.year != year {
            return Err(format!("文件是{}年的报告，与所选年度{year}年不符", r.year));
        }
        r
    } else {
        let sheets = gongkai_files::table::grids(file_name, bytes).map_err(|e| e.to_string())?;
        let rows: Vec<Vec<String>> = sheets.into_iter().flatten().collect();
        let g = gongkai_reports::annual_report_from_grid(&rows)?;
        if !g.table2_complete {
            notes
                .push("文件中未找到完整的表二（2019年格式的表二栏目不同），缺少的数按0记录".into());
        }
        if !g.table4_found {
            notes.push("文件中未找到表四（行政复议、行政诉讼情况），按0记录".into());
        }
        AnnualReport {
            format: if g.is_2019 {
                ar::FORMAT_2019
            } else {
                ar::FORMAT_2021
            }
            .into(),
            body: body.into(),
            year,
            sections: Sections::default(),
            table2: g.table2,
            table3: g.table3,
            table4: g.table4,
        }
    };
    report.body = body.into();
    if !problems_text.trim().is_empty() {
        report.sections.problems = problems_text.trim().into();
    }
    if report.format != ar::FORMAT_2019 && report.format != ar::FORMAT_2021 {
        report.format = ar::FORMAT_2021.into();
    }
    Ok((report, notes))
}
