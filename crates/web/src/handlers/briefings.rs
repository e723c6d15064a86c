//! 季度简报 in the back office (`/admin/briefings`, docs/design/supervision.md, stage 5): a body's
//! 信息员 drafts the briefing of a quarter from the figures of the body's subtree (the monitor's
//! totals among them), edits it (a stale save is refused with the text shown again), redrafts it
//! from fresh figures, downloads it as PDF or DOCX, and submits it as an item of the body's
//! 工作动态 column — public, or 对内公开 to keep it internal — which then goes through review,
//! approval and publication like any item.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use gongkai_domain::access::{ITEM_READERS, Permission, Scope};
use gongkai_domain::briefing::{self as db, Figures};
use gongkai_domain::disclosure::{Step, VersionState};
use gongkai_domain::monitor::{RULES, Window};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::briefings::BriefingRow;
use gongkai_store::disclosure::{StepInput, VersionFields};
use gongkai_store::monitor::MonitorDates;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{
    BodyOption, Chrome, FormFields as Fields, back_to, body_options, form_field as field,
    with_status,
};

/// The figures of `body`'s subtree for a quarter (the monitor judged on the quarter's last day,
/// or today while it runs).
pub async fn figures(
    state: &AppState,
    body: &Body,
    year: i32,
    q: u32,
) -> Result<Figures, AppError> {
    let (from, to) = db::quarter_range(year, q).ok_or(AppError::NotFound)?;
    let window = Window::new(from, to, today()).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let unread_sent_by = window
        .unread_sent_by(&state.calendar())
        .unwrap_or(from - chrono::Duration::days(1));
    Ok(state
        .store
        .briefing_figures(
            &Scope::subtree(&body.path),
            &MonitorDates {
                window,
                unread_sent_by,
            },
        )
        .await?)
}

#[derive(Template, WebTemplate)]
#[template(path = "briefings/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub rows: Vec<BriefingRow>,
    pub writers: Vec<BodyOption>,
    pub year: i32,
    pub quarter: u32,
    pub error: String,
}

async fn list_page(state: &AppState, a: &Authed, error: String) -> Result<ListPage, AppError> {
    let scope = a.actor.scope_any(ITEM_READERS);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let writers = a.actor.scope(Permission::EditItems);
    // The last quarter that has ended.
    let t = today();
    let q = (t.month0() / 3) as i32;
    let (year, quarter) = if q == 0 {
        (t.year() - 1, 4)
    } else {
        (t.year(), q as u32)
    };
    Ok(ListPage {
        chrome: Chrome::admin(state, a, "季度简报", "/admin/briefings")
            .await
            .with_done(a),
        rows: state.store.briefings_in(&scope).await?,
        writers: if writers.is_empty() {
            Vec::new()
        } else {
            body_options(state, Some(&writers), None, false).await?
        },
        year,
        quarter,
        error,
    })
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<ListPage, AppError> {
    list_page(&state, &a, String::new()).await
}

/// Draft (or open) a body's briefing of a quarter.
pub async fn create(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let body = state
        .store
        .get_body(field(&f, "body_id").parse().unwrap_or(0))
        .await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let year: i32 = field(&f, "year").trim().parse().unwrap_or(0);
    let q: u32 = field(&f, "quarter").trim().parse().unwrap_or(0);
    let started = db::quarter_range(year, q).is_some_and(|(from, _)| from <= today());
    if !(2000..=2100).contains(&year) || !started {
        return Ok(with_status(
            list_page(&state, &a, "请选择已经开始的季度".into()).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    }
    let figs = figures(&state, &body, year, q).await?;
    let id = state
        .store
        .create_briefing(body.id, &body.name, year, q, &figs, &a.who())
        .await?;
    Ok(back_to(&format!("/admin/briefings/{id}"), "done", "saved"))
}

#[derive(Template, WebTemplate)]
#[template(path = "briefings/view.html")]
pub struct ViewPage {
    pub chrome: Chrome,
    pub b: BriefingRow,
    pub figures: Figures,
    /// (rule name, count) of the monitor's problems.
    pub problems: Vec<(&'static str, u64)>,
    pub text: String,
    pub may_edit: bool,
    /// 对内公开 chosen (as submitted, or as the item it became).
    pub internal: bool,
    /// The state of the item it was submitted as, if any.
    pub item_state: Option<String>,
    pub error: String,
}

impl ViewPage {
    pub fn rate(&self, part: &i64, whole: &i64) -> String {
        db::rate(*part, *whole).unwrap_or_else(|| "—".into())
    }
}

async fn readable(state: &AppState, a: &Authed, id: i64) -> Result<BriefingRow, AppError> {
    let b = state.store.briefing(id).await?;
    if !a.actor.can_any(ITEM_READERS, &b.body_path) {
        return Err(AppError::NotFound);
    }
    Ok(b)
}

async fn view_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    input: Option<(String, bool)>,
    error: String,
) -> Result<ViewPage, AppError> {
    let b = readable(state, a, id).await?;
    let figures = b.figures();
    let (text, mut internal) = match input {
        Some((t, i)) => (Some(t), Some(i)),
        None => (None, None),
    };
    let item_state = match b.item_id {
        Some(i) => {
            let item = state.store.get_item(i).await?;
            internal.get_or_insert(item.scope != "public");
            match item.working_version_id {
                Some(v) => Some(
                    state
                        .store
                        .get_version(v)
                        .await?
                        .state()
                        .label()
                        .to_string(),
                ),
                None => Some(item.status().label().to_string()),
            }
        }
        None => None,
    };
    Ok(ViewPage {
        chrome: Chrome::admin(state, a, &b.title, "/admin/briefings")
            .await
            .with_done(a),
        problems: RULES
            .iter()
            .map(|r| (r.key.label(), figures.problems.get(r.key)))
            .filter(|(_, n)| *n > 0)
            .collect(),
        may_edit: a.actor.can(Permission::EditItems, &b.body_path),
        internal: internal.unwrap_or(false),
        text: text.unwrap_or_else(|| b.text.clone()),
        figures,
        item_state,
        b,
        error,
    })
}

pub async fn view(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<ViewPage, AppError> {
    view_page(&state, &a, id, None, String::new()).await
}

/// `action`: `save` (`text`, `version`), `redraft` (`version`), `submit` (`scope`: public or
/// internal; saves the text first).
pub async fn post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let b = readable(&state, &a, id).await?;
    if !a.actor.can(Permission::EditItems, &b.body_path) {
        return Err(AppError::Forbidden);
    }
    let text = field(&f, "text");
    let internal = field(&f, "scope") == "internal";
    let expect: i64 = field(&f, "version").parse().unwrap_or(-1);
    let r: Result<(), StoreError> = match field(&f, "action").as_str() {
        "save" => {
            state
                .store
                .save_briefing(id, &text, None, expect, &a.who())
                .await
        }
        "redraft" => {
            let body = state.store.get_body(b.body_id).await?;
            let figs = figures(&state, &body, b.year as i32, b.quarter as u32).await?;
            state
                .store
                .save_briefing(id, "", Some(&figs), expect, &a.who())
                .await
        }
        "submit" => {
            match state
                .store
                .save_briefing(id, &text, None, expect, &a.who())
                .await
            {
                Ok(()) => submit(&state, &a, id, internal).await,
                Err(e) => Err(e),
            }
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match r {
        Ok(()) => Ok(back_to(&format!("/admin/briefings/{id}"), "done", "saved")),
        Err(StoreError::Invalid(m)) => Ok(with_status(
            view_page(&state, &a, id, Some((text, internal)), m).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(StoreError::Conflict(m)) => Ok(with_status(
            view_page(&state, &a, id, Some((text, internal)), m).await?,
            StatusCode::CONFLICT,
        )),
        Err(e) => Err(e.into()),
    }
}

/// Write the briefing as the draft of its item in the body's 工作动态 column (creating it, or
/// updating a draft the reviewers returned) and submit it for review.
async fn submit(state: &AppState, a: &Authed, id: i64, internal: bool) -> Result<(), StoreError> {
    let b = state.store.briefing(id).await?;
    let cats = state.store.list_categories(b.body_id).await?;
    let Some(cat) = cats.iter().find(|c| c.template_key == "news") else {
        return Err(StoreError::Invalid(
            "本机关的公开目录中没有“工作动态”栏目，请先在目录管理中添加".into(),
        ));
    };
    let day = today();
    let fields = VersionFields {
        title: b.title.clone(),
        doc_no: String::new(),
        written_on: Some(day),
        formed_on: day,
        subject: "综合政务".into(),
        keywords: "政务公开 季度简报".into(),
        summary: format!(
            "{}{}年{}政务公开工作情况。",
            b.body_name,
            b.year,
            db::quarter_name(b.quarter as u32)
        ),
        body_md: b.text.clone(),
        scope: if internal { "internal" } else { "public" }.into(),
        open_method: "proactive".into(),
        normative_kind: "none".into(),
        related: Vec::new(),
    };
    let who = a.who();
    let version_id = match b.item_id {
        None => {
            let (item, v) = state
                .store
                .create_item(b.body_id, cat.id, &fields, None, &who)
                .await?;
            state.store.set_briefing_item(id, item, &who).await?;
            v
        }
        Some(item_id) => {
            let item = state.store.get_item(item_id).await?;
            let vid = match item.working_version_id {
                Some(v) => v,
                None => state.store.revise_item(item_id, &a.actor, &who).await?,
            };
            let v = state.store.get_version(vid).await?;
            if v.state() != VersionState::Draft {
                return Err(StoreError::Invalid(format!(
                    "简报已提交（{}），请等待审核完成或由审核人退回后再修改",
                    v.state().label()
                )));
            }
            state
                .store
                .update_draft(vid, &fields, v.updated_at, None, &who)
                .await?;
            vid
        }
    };
    let v = state.store.get_version(version_id).await?;
    crate::handlers::items::screen_version(state, &v)
        .await
        .map_err(|e| StoreError::Invalid(e.to_string()))?;
    state
        .store
        .apply_step(
            version_id,
            &a.actor,
            &Step::Submit,
            &StepInput {
                comment: "季度简报提交审核".into(),
                scheduled_at: None,
                today: Some(day),
            },
            &who,
        )
        .await?;
    Ok(())
}

/// `briefing.pdf` or `briefing.docx`.
pub async fn download(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, file)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let b = readable(&state, &a, id).await?;
    let internal = match b.item_id {
        Some(i) => state.store.get_item(i).await?.scope != "public",
        None => true,
    };
    let doc = gongkai_reports::Briefing::new(
        &state.config.site_name,
        &b.title,
        &b.body_name,
        &fmt_day(today()),
        internal,
        &b.text,
    );
    let (bytes, mime, ext) = match file.as_str() {
        "briefing.pdf" => {
            let Some(renderer) = state.reports.clone() else {
                return Err(AppError::Unavailable(
                    "PDF暂不可用：服务器未安装中文字体（fonts-noto-cjk），请下载DOCX。".into(),
                ));
            };
            let _slot = state
                .report_slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let pdf = tokio::task::spawn_blocking(move || renderer.briefing_pdf(&doc))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            (pdf, "application/pdf", "pdf")
        }
        "briefing.docx" => (
            gongkai_reports::briefing_docx(&doc).map_err(|e| AppError::Internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "docx",
        ),
        _ => return Err(AppError::NotFound),
    };
    let mut r = bytes.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let name = format!("{}.{ext}", b.title);
    let disposition = if ext == "pdf" {
        gongkai_files::content_disposition_inline(&name)
    } else {
        gongkai_files::content_disposition(&name)
    };
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}

fn fmt_day(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}
