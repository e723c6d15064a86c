//! `/admin/imports`: upload a table of 双公示 decisions (信用信息员, `RecordDecisions`) or of
//! the amounts collected by fee items (事项管理员, `EditServices`) for a body in the account's
//! scope; the engine is `crate::imports`, shared with `gongkai import`. The page shows the
//! row-by-row report; no uploaded file is kept (decision files hold personal data), so a
//! corrected file is uploaded again.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::Permission;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::imports::{self, Context, ImportKind, Mode, Report};
use crate::views::{BodyOption, Chrome};

fn permission(kind: ImportKind) -> Permission {
    match kind {
        ImportKind::Credit => Permission::RecordDecisions,
        ImportKind::FeeAmounts => Permission::EditServices,
    }
}

/// A kind as a tab of the page.
pub struct KindTab {
    pub key: &'static str,
    pub label: &'static str,
    pub current: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "imports.html")]
pub struct ImportPage {
    pub chrome: Chrome,
    pub kind: &'static str,
    pub kind_label: &'static str,
    pub tabs: Vec<KindTab>,
    pub bodies: Vec<BodyOption>,
    pub headings: Vec<&'static str>,
    pub required: Vec<&'static str>,
    pub mode: String,
    pub error: String,
    pub file_name: String,
    pub report: Option<Report>,
}

#[derive(Debug, Deserialize)]
pub struct KindQuery {
    #[serde(default)]
    pub kind: String,
}

/// The kinds this account may import, the first being `wanted` when allowed.
fn allowed(a: &Authed) -> Vec<ImportKind> {
    ImportKind::ALL
        .into_iter()
        .filter(|k| a.actor.has_anywhere(permission(*k)))
        .collect()
}

async fn page(
    state: &AppState,
    a: &Authed,
    kind: ImportKind,
    body_id: Option<i64>,
) -> Result<ImportPage, AppError> {
    let layout = kind.layout();
    let scope = a.actor.scope(permission(kind));
    Ok(ImportPage {
        chrome: Chrome::admin(state, a, "批量导入", "/admin/imports").await,
        kind: kind.as_str(),
        kind_label: kind.label(),
        tabs: allowed(a)
            .into_iter()
            .map(|k| KindTab {
                key: k.as_str(),
                label: k.label(),
                current: k == kind,
            })
            .collect(),
        bodies: crate::views::body_options(state, Some(&scope), body_id, false).await?,
        headings: layout.columns.iter().map(|(_, n)| n[0]).collect(),
        required: layout.required.iter().map(|k| layout.heading(k)).collect(),
        mode: "all".into(),
        error: String::new(),
        file_name: String::new(),
        report: None,
    })
}

fn kind_for(a: &Authed, wanted: &str) -> Result<ImportKind, AppError> {
    let kinds = allowed(a);
    match ImportKind::parse(wanted) {
        Some(k) if kinds.contains(&k) => Ok(k),
        Some(_) => Err(AppError::Forbidden),
        None => kinds.first().copied().ok_or(AppError::Forbidden),
    }
}

pub async fn view(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<KindQuery>,
) -> Result<Response, AppError> {
    let kind = kind_for(&a, &q.kind)?;
    Ok(page(&state, &a, kind, None).await?.into_response())
}

/// The template to fill in, as XLSX.
pub async fn template(Staff(a): Staff, Path(kind): Path<String>) -> Result<Response, AppError> {
    let kind = kind_for(&a, &kind)?;
    let name = format!("{}导入模板.xlsx", kind.label());
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string(),
            ),
            (
                header::CONTENT_DISPOSITION,
                gongkai_files::content_disposition(&name),
            ),
        ],
        kind.template_xlsx(),
    )
        .into_response())
}

/// Run an import: fields `kind`, `body_id`, `mode` (`check`, `all`, `valid`) and `file`.
pub async fn upload(
    State(state): State<AppState>,
    Staff(a): Staff,
    mut mp: Multipart,
) -> Result<Response, AppError> {
    let (mut kind, mut body_id, mut mode) = (String::new(), 0i64, String::from("all"));
    let (mut file_name, mut bytes) = (String::new(), Vec::new());
    let mut broken = false;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_string();
                if name == "file" {
                    file_name = field
                        .file_name()
                        .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
                        .unwrap_or_default();
                    match field.bytes().await {
                        Ok(b) => bytes = b.to_vec(),
                        Err(_) => broken = true,
                    }
                } else {
                    let v = field.text().await.unwrap_or_default();
                    match name.as_str() {
                        "kind" => kind = v,
                        "body_id" => body_id = v.trim().parse().unwrap_or(0),
                        "mode" => mode = v,
                        _ => {}
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                broken = true;
                break;
            }
        }
    }
    let kind = kind_for(&a, &kind)?;
    let mut p = page(&state, &a, kind, Some(body_id)).await?;
    p.mode = mode.clone();
    p.file_name = file_name.clone();
    let refuse = |mut p: ImportPage, msg: String| {
        p.error = msg;
        (StatusCode::UNPROCESSABLE_ENTITY, p).into_response()
    };
    if broken {
        let mb = state.config.max_upload_bytes / 1024 / 1024;
        return Ok(refuse(p, format!("上传失败：文件超过{mb}MB或上传中断")));
    }
    let body = match state.store.get_body(body_id).await {
        Ok(b) if a.actor.can(permission(kind), &b.path) => b,
        _ => return Ok(refuse(p, "请选择您有权导入的机关".into())),
    };
    if bytes.is_empty() {
        return Ok(refuse(p, "请选择要导入的 CSV 或 XLSX 文件".into()));
    }
    let mode = match mode.as_str() {
        "check" => Mode::Check,
        "valid" => Mode::ValidRows,
        _ => Mode::AllOrNothing,
    };
    let calendar = state.calendar();
    let cx = Context {
        store: &state.store,
        seal: &state.seal,
        calendar: &calendar,
        today: today(),
    };
    match imports::run(&cx, kind, &body, &file_name, &bytes, mode, &a.who()).await {
        Ok(report) => {
            let status = if report.problems.is_empty() || report.written {
                StatusCode::OK
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            p.report = Some(report);
            Ok((status, p).into_response())
        }
        Err(imports::ImportError::Store(e)) => match AppError::from(e) {
            AppError::Conflict(m) | AppError::BadRequest(m) => Ok(refuse(p, m)),
            other => Err(other),
        },
        Err(e) => Ok(refuse(p, e.to_string())),
    }
}
