//! 权责清单 and 收费目录 on the portal: the list of items in force (and those cancelled), each
//! item's 办事指南 with its flow chart, its history of changes with diffs, the reform figures of
//! a year, and the fee catalogue with the amounts collected.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use gongkai_domain::access::Scope;
use gongkai_domain::service_input::ValidService;
use gongkai_domain::services::{self as ds, ChangeKind, ReformSummary, ServiceKind};
use gongkai_store::services::{FeeItem, ServiceFilter, ServiceItem, ServiceVersion};
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybeAuthed;
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::render::{DiffLine, diff_lines};
use crate::views::{BodyOption, Chrome};

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub items: Vec<ServiceItem>,
    /// The body chosen, for the link to its 便民手册.
    pub body: Option<i64>,
    pub bodies: Vec<BodyOption>,
    pub kinds: Vec<(&'static str, &'static str, bool)>,
    pub q: String,
    pub cancelled: bool,
}

pub async fn view_list(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    state.store.services_tick(today()).await?;
    let body = q.body.as_deref().and_then(|b| b.trim().parse().ok());
    let kind = q.kind.as_deref().and_then(ServiceKind::parse);
    let cancelled = q.status.as_deref() == Some("cancelled");
    let qs: String = q.q.unwrap_or_default().trim().chars().take(50).collect();
    let items = state
        .store
        .list_services(&ServiceFilter {
            body_id: body,
            kind,
            status: if cancelled {
                "cancelled".into()
            } else {
                "in_force".into()
            },
            q: qs.clone(),
            limit: 2000,
            ..ServiceFilter::default()
        })
        .await?;
    let mut chrome = Chrome::public(&state, "权责清单和政务服务事项", a.as_ref());
    chrome.feed = Some(("事项变更".into(), "/feeds/services.atom".into()));
    Ok(ListPage {
        chrome,
        items,
        body,
        bodies: crate::views::body_options(&state, None, body, true).await?,
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label(), Some(*k) == kind))
            .collect(),
        q: qs,
        cancelled,
    }
    .into_response())
}

/// The published version a public page shows: the one in force, or for a cancelled item the
/// last one before its cancellation; `None` while nothing is published.
fn shown_version(versions: &[ServiceVersion]) -> Option<&ServiceVersion> {
    versions
        .iter()
        .rev()
        .filter(|v| v.published() && v.change != ChangeKind::Cancel.as_str())
        .find(|v| v.applied)
        .or_else(|| versions.iter().find(|v| v.published()))
}

#[derive(Template, WebTemplate)]
#[template(path = "services/guide.html")]
pub struct GuidePage {
    pub chrome: Chrome,
    pub item: ServiceItem,
    pub v: ValidService,
    pub version: ServiceVersion,
    pub cancel: Option<ServiceVersion>,
    /// A published change still to take effect.
    pub upcoming: Option<ServiceVersion>,
    pub fees: Vec<FeeItem>,
}

impl GuidePage {
    pub fn days(&self, d: &Option<u32>) -> String {
        match d {
            None => "无".into(),
            Some(0) => "即办".into(),
            Some(n) => format!("{n}个工作日"),
        }
    }
}

async fn load_public(
    state: &AppState,
    id: i64,
) -> Result<(ServiceItem, Vec<ServiceVersion>), AppError> {
    state.store.services_tick(today()).await?;
    let item = state.store.get_service(id).await?;
    let versions = state.store.service_versions(id).await?;
    if !versions.iter().any(|v| v.published()) {
        return Err(AppError::NotFound);
    }
    Ok((item, versions))
}

pub async fn view_guide(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (item, versions) = load_public(&state, id).await?;
    let version = shown_version(&versions)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let v = version.data().ok_or(AppError::NotFound)?;
    let cancel = versions
        .iter()
        .find(|x| x.published() && x.applied && x.change == ChangeKind::Cancel.as_str())
        .cloned();
    let upcoming = versions
        .iter()
        .find(|x| x.published() && !x.applied)
        .cloned();
    let fees = if v.fee_ids.is_empty() {
        Vec::new()
    } else {
        state
            .store
            .list_fees(Some(item.body_id))
            .await?
            .into_iter()
            .filter(|f| v.fee_ids.contains(&f.id))
            .collect()
    };
    let chrome = Chrome::public(&state, &format!("办事指南：{}", item.name), a.as_ref());
    Ok(GuidePage {
        chrome,
        item,
        v,
        version,
        cancel,
        upcoming,
        fees,
    }
    .into_response())
}

/// A published change and what it changed.
pub struct HistoryEntry {
    pub v: ServiceVersion,
    pub diff: Vec<DiffLine>,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/history.html")]
pub struct HistoryPage {
    pub chrome: Chrome,
    pub item: ServiceItem,
    pub entries: Vec<HistoryEntry>,
}

pub async fn view_history(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (item, versions) = load_public(&state, id).await?;
    let mut prev = String::new();
    let mut entries = Vec::new();
    for v in versions.into_iter().filter(|v| v.published()) {
        let text = if v.change == ChangeKind::Cancel.as_str() {
            String::new()
        } else {
            v.text()
        };
        let diff = if v.change == ChangeKind::Cancel.as_str() {
            Vec::new()
        } else {
            diff_lines(&prev, &text)
                .into_iter()
                .filter(|l| l.tag != ' ')
                .collect()
        };
        if !text.is_empty() {
            prev = text;
        }
        entries.push(HistoryEntry { v, diff });
    }
    entries.reverse();
    let chrome = Chrome::public(&state, &format!("变更记录：{}", item.name), a.as_ref());
    Ok(HistoryPage {
        chrome,
        item,
        entries,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct ReformQuery {
    #[serde(default)]
    pub year: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "services/reform.html")]
pub struct ReformPage {
    pub chrome: Chrome,
    pub year: i32,
    pub years: Vec<i32>,
    pub bodies: Vec<BodyOption>,
    pub s: ReformSummary,
    pub sentence: String,
}

/// The reform figures of `year` for the subtree of `body` (every body when none).
pub async fn reform_of(
    state: &AppState,
    body: Option<i64>,
    year: i32,
) -> Result<ReformSummary, AppError> {
    let scope = match body {
        Some(b) => Some(Scope {
            roots: vec![state.store.get_body(b).await?.path],
        }),
        None => None,
    };
    let facts = state
        .store
        .service_changes(scope.as_ref(), &[ServiceKind::License, ServiceKind::Other])
        .await?;
    Ok(ds::reform_summary(&facts, year))
}

pub async fn view_reform(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(q): Query<ReformQuery>,
) -> Result<Response, AppError> {
    let this_year = today().year();
    let year = q
        .year
        .as_deref()
        .and_then(|y| y.trim().parse().ok())
        .filter(|y| (2000..=this_year).contains(y))
        .unwrap_or(this_year);
    let body = q.body.as_deref().and_then(|b| b.trim().parse().ok());
    let s = reform_of(&state, body, year).await?;
    Ok(ReformPage {
        chrome: Chrome::public(&state, "审批制度改革情况", a.as_ref()),
        years: (2020..=this_year).rev().collect(),
        bodies: crate::views::body_options(&state, None, body, true).await?,
        sentence: s.sentence(),
        year,
        s,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "services/fees.html")]
pub struct FeesPage {
    pub chrome: Chrome,
    pub fees: Vec<FeeItem>,
    pub years: Vec<i64>,
    pub bodies: Vec<BodyOption>,
}

pub async fn view_fees(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(q): Query<ReformQuery>,
) -> Result<Response, AppError> {
    let body = q.body.as_deref().and_then(|b| b.trim().parse().ok());
    let fees = state.store.list_fees(body).await?;
    let y = i64::from(today().year());
    Ok(FeesPage {
        chrome: Chrome::public(&state, "收费目录清单", a.as_ref()),
        fees,
        years: vec![y - 2, y - 1, y],
        bodies: crate::views::body_options(&state, None, body, true).await?,
    }
    .into_response())
}

/// Published changes of service items (设立, 调整, 取消), newest first.
pub async fn services_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    use crate::handlers::feeds::{Entry, Feed, render, rfc3339};
    let changes = state.store.recent_service_changes(50).await?;
    render(Feed {
        base: crate::handlers::public_items::site_base(&state, &headers),
        self_path: "/feeds/services.atom".into(),
        alternate: "/services".into(),
        title: format!("{} · 权责清单事项变更", state.config.site_name),
        updated: rfc3339(changes.first().and_then(|c| c.0.published_at)),
        entries: changes
            .into_iter()
            .map(|(v, i)| Entry {
                path: format!("/services/{}", i.id),
                updated: rfc3339(v.published_at),
                title: format!(
                    "{}：{}（{}起施行）",
                    v.change_label(),
                    v.name,
                    v.effective_on
                ),
                body_name: i.body_name,
                doc_no: v.doc_no,
                index_no: String::new(),
                withdrawn: false,
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// 明白卡 and 便民手册
// ---------------------------------------------------------------------------------------------

fn days_text(d: Option<u32>) -> String {
    match d {
        None => "无".into(),
        Some(0) => "即办".into(),
        Some(n) => format!("{n}个工作日"),
    }
}

/// An item's published guide as printed.
fn printed_guide(
    item: &ServiceItem,
    v: &ValidService,
    fees: &[FeeItem],
    cancel: Option<&ServiceVersion>,
) -> gongkai_reports::ServiceGuide {
    let mut facts = vec![
        ("法定办结时限".to_string(), days_text(v.statutory_days)),
        ("承诺办结时限".to_string(), days_text(v.promised_days)),
    ];
    let place = format!(
        "{}{}",
        v.hall,
        if v.hall_window.is_empty() {
            String::new()
        } else {
            format!(" {}", v.hall_window)
        }
    );
    for (k, val) in [
        ("服务对象", v.service_object.clone()),
        ("办理地点", place.trim().to_string()),
        ("办理时间", v.hall_hours.clone()),
        ("网上办理", v.online_url.clone()),
        ("咨询电话", v.contact_phone.clone()),
        ("监督投诉", v.complaint_phone.clone()),
    ] {
        if !val.trim().is_empty() {
            facts.push((k.to_string(), val));
        }
    }
    gongkai_reports::ServiceGuide {
        body_name: item.body_name.clone(),
        code: item.code.clone(),
        name: item.name.clone(),
        kind: item.kind_label().into(),
        status_note: cancel
            .map(|c| format!("已于{}取消", c.effective_on))
            .unwrap_or_default(),
        facts,
        conditions: v
            .conditions
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect(),
        materials: v.materials.clone(),
        procedure: v.procedure.clone(),
        fees: fees
            .iter()
            .filter(|f| v.fee_ids.contains(&f.id))
            .map(|f| {
                format!(
                    "{}：{}（依据：{}{}）",
                    f.name, f.standard_text, f.basis_title, f.basis_doc_no
                )
            })
            .collect(),
        basis: v.basis.clone(),
        more: String::new(),
    }
}

/// Render a PDF of the service guide off the async threads (503 without Chinese fonts).
async fn service_pdf(
    state: &AppState,
    name: String,
    render: impl FnOnce(&gongkai_reports::Renderer) -> Result<Vec<u8>, gongkai_reports::ReportError>
    + Send
    + 'static,
) -> Result<Response, AppError> {
    let Some(renderer) = state.reports.clone() else {
        return Err(AppError::Unavailable(
            "服务器未安装中文字体，暂不能生成 PDF（请安装 fonts-noto-cjk）".into(),
        ));
    };
    let _slot = state
        .report_slots
        .acquire()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let pdf = tokio::task::spawn_blocking(move || render(&renderer))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(crate::handlers::annual_reports::file_response(
        pdf,
        crate::annual::Format::Pdf,
        &name,
        true,
    ))
}

/// `/services/{id}/card.pdf`: the 明白卡 of an item (one A4 page, QR code of its guide).
pub async fn service_card(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (item, versions) = load_public(&state, id).await?;
    let version = shown_version(&versions).ok_or(AppError::NotFound)?;
    let v = version.data().ok_or(AppError::NotFound)?;
    let cancel = versions
        .iter()
        .find(|x| x.published() && x.applied && x.change == ChangeKind::Cancel.as_str());
    let fees = state.store.list_fees(Some(item.body_id)).await?;
    let card = gongkai_reports::ServiceCard {
        site_name: state.config.site_name.clone(),
        item: printed_guide(&item, &v, &fees, cancel),
        page_url: format!(
            "{}/services/{}",
            crate::handlers::public_items::site_base(&state, &headers),
            item.id
        ),
        printed_on: today().to_string(),
    };
    service_pdf(&state, format!("明白卡-{}.pdf", item.name), move |r| {
        r.service_card_pdf(&card)
    })
    .await
}

#[derive(Deserialize, Default)]
pub struct HandbookQuery {
    /// `1`: also the items of the bodies under this one (a service hall's booklet).
    #[serde(default)]
    pub subtree: Option<String>,
}

/// `/bodies/{id}/services/handbook.pdf`: the 便民手册 of a body's items in force.
pub async fn service_handbook(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<HandbookQuery>,
) -> Result<Response, AppError> {
    state.store.services_tick(today()).await?;
    let body = state.store.get_body(id).await?;
    let subtree = q.subtree.as_deref() == Some("1");
    let items = state
        .store
        .list_services(&ServiceFilter {
            scope: subtree.then(|| Scope {
                roots: vec![body.path.clone()],
            }),
            body_id: (!subtree).then_some(body.id),
            status: "in_force".into(),
            limit: 2000,
            ..ServiceFilter::default()
        })
        .await?;
    if items.is_empty() {
        return Err(AppError::NotFound);
    }
    let fees = state.store.list_fees(None).await?;
    let mut guides = Vec::with_capacity(items.len());
    for item in &items {
        let versions = state.store.service_versions(item.id).await?;
        if let Some(v) = shown_version(&versions).and_then(ServiceVersion::data) {
            guides.push(printed_guide(item, &v, &fees, None));
        }
    }
    let book = gongkai_reports::ServiceHandbook {
        site_name: state.config.site_name.clone(),
        title: format!("{}便民服务手册", body.name),
        body_name: body.name.clone(),
        printed_on: today().to_string(),
        items: guides,
    };
    service_pdf(
        &state,
        format!("便民手册-{}.pdf", body.name),
        move |r| r.service_handbook_pdf(&book),
    )
    .await
}
