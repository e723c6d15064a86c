//! Public pages of 主动公开: a body's catalogue with its items, the item page (metadata table,
//! body, attachments, related items, versions, the ledger receipt), past versions with a diff,
//! the public verification page and the printable notice (公示单, PDF with a QR code). Internal
//! (对内公开) and unpublished items answer exactly as if they did not exist; withdrawn items show
//! only the notice.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::Permission;
use gongkai_domain::disclosure::{ItemStatus, Scope};
use gongkai_store::bodies::Body;
use gongkai_store::disclosure::{AttachmentRow, Item, LedgerRow, PublicListRow, Version};
use gongkai_store::item_page::{ItemPageData, ItemRef, VersionStub};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{MaybeAuthed, Pending};
use crate::error::AppError;
use crate::render::{DiffLine, diff_lines, markdown};
use crate::views::{Chrome, fmt_ms};

/// May this visitor see the item at all? Public items: everyone. Internal items: signed-in
/// staff of the body or of a body above it. Anything else: nobody (not even a hint it exists).
fn visible(item: &Item, body: &Body, a: Option<&crate::auth::Authed>, state: &AppState) -> bool {
    visible_at(item, body.id, &body.path, a, state)
}

fn visible_at(
    item: &Item,
    body_id: i64,
    body_path: &str,
    a: Option<&crate::auth::Authed>,
    state: &AppState,
) -> bool {
    if !matches!(item.status(), ItemStatus::Published | ItemStatus::Withdrawn) {
        return false;
    }
    match Scope::parse(&item.scope) {
        Some(Scope::Public) => true,
        Some(Scope::Internal) => a.is_some_and(|a| {
            a.pending(state) == Pending::None
                && (a.user.body_id == body_id || a.actor.can(Permission::ViewBackOffice, body_path))
        }),
        _ => false,
    }
}

/// May this visitor see the item of `page` (see [`visible`])?
fn page_visible(page: &ItemPageData, a: Option<&crate::auth::Authed>, state: &AppState) -> bool {
    visible_at(&page.item, page.item.body_id, &page.body_path, a, state)
}

/// The item page: what [`Store::item_page`](gongkai_store::Store::item_page) read in one
/// round trip (two for a published item), with the body text rendered.
#[derive(Template, WebTemplate)]
#[template(path = "public/item.html")]
pub struct ItemPage {
    pub chrome: Chrome,
    pub item: Item,
    pub body: NameRef,
    pub category: Option<NameRef>,
    pub version: Option<Version>,
    pub versions: Vec<VersionStub>,
    pub attachments: Vec<AttachmentRow>,
    pub related: Vec<PublicListRow>,
    pub replaced_by: Option<ItemRef>,
    pub receipt: Option<LedgerRow>,
    pub withdrawal: Option<LedgerRow>,
    pub body_html: String,
    pub internal: bool,
    /// A 公示: (kind label, start, end).
    pub notice: Option<(String, String, String)>,
    /// A draft for comment: (start, end) of its window.
    pub consultation: Option<(String, String)>,
    /// The draft for comment this is the final version of.
    pub final_of: Option<i64>,
}

/// A body or category as a page names and links it.
pub struct NameRef {
    pub id: i64,
    pub name: String,
}

impl ItemPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
}

pub async fn view_item(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, AppError> {
    let page = state.store.item_page(id).await?;
    if !page_visible(&page, a.as_ref(), &state) {
        return Err(AppError::NotFound);
    }
    let withdrawn = page.item.status() == ItemStatus::Withdrawn;
    let last_modified = chrono::DateTime::from_timestamp_millis(page.item.updated_at)
        .unwrap_or_default()
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    let receipt = page.receipt().cloned();
    let withdrawal = page.withdrawal().cloned();
    let ItemPageData {
        item,
        body_name,
        category_name,
        version,
        versions,
        attachments,
        related,
        replaced_by,
        notice,
        consultation,
        final_of,
        ..
    } = page;
    let page = ItemPage {
        consultation,
        final_of,
        // The period's dates do not change with the day, so the cached page stays right; the
        // notice's own page says where it stands today.
        notice: notice.map(|(kind, start, end)| {
            (
                gongkai_domain::notice_period::NoticeKind::parse(&kind)
                    .map_or("公示", |k| k.label())
                    .to_string(),
                start,
                end,
            )
        }),
        chrome: Chrome::public(&state, &item.title, a.as_ref()),
        body: NameRef {
            id: item.body_id,
            name: body_name,
        },
        category: category_name.map(|name| NameRef {
            id: item.category_id,
            name,
        }),
        body_html: version
            .as_ref()
            .map(|v| markdown(&v.body_md))
            .unwrap_or_default(),
        // A withdrawn item shows only the notice: no versions, files or related items.
        versions: if withdrawn { vec![] } else { versions },
        related: if withdrawn { vec![] } else { related },
        attachments: if withdrawn { vec![] } else { attachments },
        internal: item.scope == "internal",
        version,
        replaced_by,
        receipt,
        withdrawal,
        item,
    };
    let mut r = axum::response::IntoResponse::into_response(page);
    if let Ok(v) = axum::http::HeaderValue::from_str(&last_modified) {
        r.headers_mut().insert(axum::http::header::LAST_MODIFIED, v);
    }
    Ok(r)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/version.html")]
pub struct VersionPage {
    pub chrome: Chrome,
    pub item: Item,
    pub version: Version,
    pub body_html: String,
    pub previous: Option<i64>,
}

/// A past (or the current) published version of an item.
pub async fn view_version(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path((id, number)): Path<(i64, i64)>,
) -> Result<VersionPage, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !visible(&item, &body, a.as_ref(), &state) || item.status() == ItemStatus::Withdrawn {
        return Err(AppError::NotFound);
    }
    let versions: Vec<Version> = state
        .store
        .versions_of(id)
        .await?
        .into_iter()
        .filter(|v| matches!(v.state.as_str(), "published" | "superseded"))
        .collect();
    let version = versions
        .iter()
        .find(|v| v.number == number)
        .cloned()
        .ok_or(AppError::NotFound)?;
    let previous = versions
        .iter()
        .filter(|v| v.number < number)
        .map(|v| v.number)
        .max();
    Ok(VersionPage {
        chrome: Chrome::public(
            &state,
            &format!("{}（第{}版）", version.title, version.number),
            a.as_ref(),
        ),
        body_html: markdown(&version.body_md),
        previous,
        item,
        version,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/diff.html")]
pub struct DiffPage {
    pub chrome: Chrome,
    pub item: Item,
    pub from: Version,
    pub to: Version,
    pub title_changed: bool,
    pub lines: Vec<DiffLine>,
}

#[derive(Deserialize)]
pub struct DiffQuery {
    pub from: i64,
    pub to: i64,
}

pub async fn view_diff(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
    Query(q): Query<DiffQuery>,
) -> Result<DiffPage, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !visible(&item, &body, a.as_ref(), &state) || item.status() == ItemStatus::Withdrawn {
        return Err(AppError::NotFound);
    }
    let versions = state.store.versions_of(id).await?;
    let pick = |n: i64| {
        versions
            .iter()
            .find(|v| v.number == n && matches!(v.state.as_str(), "published" | "superseded"))
            .cloned()
            .ok_or(AppError::NotFound)
    };
    let (from, to) = (pick(q.from)?, pick(q.to)?);
    Ok(DiffPage {
        chrome: Chrome::public(&state, &format!("{} 版本比较", item.title), a.as_ref()),
        title_changed: from.title != to.title,
        lines: diff_lines(&from.body_md, &to.body_md),
        item,
        from,
        to,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/verify.html")]
pub struct VerifyPage {
    pub chrome: Chrome,
    pub q: String,
    pub public_key: String,
    pub results: Vec<(LedgerRow, Option<(i64, i64)>)>,
    pub searched: bool,
    pub error: Option<String>,
}

impl VerifyPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
}

#[derive(Deserialize, Default)]
pub struct VerifyQuery {
    #[serde(default)]
    pub q: String,
}

/// Anyone can check a receipt (ledger sequence number or hash) or a downloaded file's SHA-256.
pub async fn view_verify(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(q): Query<VerifyQuery>,
) -> Result<VerifyPage, AppError> {
    let query = q.q.trim().to_string();
    let mut error = None;
    let mut rows = vec![];
    if !query.is_empty() {
        if let Ok(seq) = query.trim_start_matches('#').parse::<i64>() {
            rows.extend(state.store.ledger_entry(seq).await?);
        } else if query.len() == 64 && query.chars().all(|c| c.is_ascii_hexdigit()) {
            rows = state.store.ledger_lookup(&query).await?;
        } else {
            error = Some("请输入台账序号（数字）或64位十六进制哈希值".to_string());
        }
    }
    // Withdrawn or internal items' entries are shown without a link to content.
    let mut results = vec![];
    for r in rows {
        let cp = state
            .store
            .checkpoint_covering(r.seq)
            .await?
            .map(|(seq, at, ..)| (seq, at));
        results.push((r, cp));
    }
    Ok(VerifyPage {
        chrome: Chrome::public(&state, "公开台账核验", a.as_ref()),
        public_key: state
            .ledger_key
            .as_ref()
            .map(|k| k.public_base64())
            .unwrap_or_default(),
        searched: !query.is_empty() && error.is_none(),
        q: query,
        results,
        error,
    })
}

/// Download an attachment of the current published version of a public item. Withdrawn,
/// internal and unpublished items' files are not served.
pub async fn download_attachment(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path((id, att)): Path<(i64, i64)>,
) -> Result<axum::response::Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !visible(&item, &body, a.as_ref(), &state) || item.status() == ItemStatus::Withdrawn {
        return Err(AppError::NotFound);
    }
    let at = state.store.get_attachment(att).await?;
    if Some(at.version_id) != item.published_version_id {
        return Err(AppError::NotFound);
    }
    crate::handlers::items::file_response(&state, &at).await
}

/// The printable notice (公示单) of an item: A4 PDF with the metadata, the text and a QR code of
/// its verification link, for notice boards. Visible exactly when the item page is; a
/// withdrawn item's notice says so, with the reason and no content.
pub async fn item_notice_pdf(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let page = state.store.item_page(id).await?;
    if !page_visible(&page, a.as_ref(), &state) {
        return Err(AppError::NotFound);
    }
    let Some(renderer) = state.reports.clone() else {
        return Err(AppError::Unavailable(
            "打印公示单暂不可用：服务器未安装中文字体（fonts-noto-cjk），请联系网站管理员。".into(),
        ));
    };
    let withdrawn = page.item.status() == ItemStatus::Withdrawn;
    // The entry the QR code verifies: the withdrawal of a withdrawn item, else the publication.
    let entry = if withdrawn {
        page.withdrawal().or(page.receipt())
    } else {
        page.receipt()
    };
    let base = site_base(&state, &headers);
    let verify_url = match entry {
        Some(e) => format!("{base}/verify?q={}", e.seq),
        None => format!("{base}/items/{id}"),
    };
    let (item, version, replaced_by) = (&page.item, &page.version, &page.replaced_by);
    let validity_note = if item.validity == "valid" || withdrawn {
        String::new()
    } else {
        let mut s = format!("该文件已{}", item.validity_label());
        if let Some(d) = &item.validity_date {
            s.push_str(&format!("（{d}起）"));
        }
        if let Some(r) = &replaced_by {
            s.push_str(&format!("，现行文件见：{}", r.title));
        }
        s.push('。');
        s
    };
    let notice = gongkai_reports::ItemNotice {
        site_name: state.config.site_name.clone(),
        body_name: page.body_name.clone(),
        title: item.title.clone(),
        index_no: item.index_no.clone().unwrap_or_default(),
        doc_no: item.doc_no.clone(),
        written_on: version
            .as_ref()
            .and_then(|v| v.written_on.clone())
            .unwrap_or_default(),
        published_on: item.published_on.clone().unwrap_or_default(),
        validity: item.validity_label().to_string(),
        validity_note,
        summary: version
            .as_ref()
            .map(|v| v.summary.clone())
            .unwrap_or_default(),
        text: version
            .as_ref()
            .map(|v| gongkai_reports::markdown_blocks(&v.body_md))
            .unwrap_or_default(),
        withdrawn: withdrawn.then(|| gongkai_reports::Withdrawal {
            at: item.withdrawn_at.map(fmt_ms).unwrap_or_default(),
            reason: item.withdrawn_reason.clone(),
        }),
        receipt: entry.map(|e| gongkai_reports::Receipt {
            seq: e.seq,
            at: fmt_ms(e.at_ms),
            content_hash: e.content_hash.clone(),
        }),
        verify_url,
        printed_at: fmt_ms(chrono::Utc::now().timestamp_millis()),
    };
    let _slot = state
        .report_slots
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let pdf = tokio::task::spawn_blocking(move || renderer.item_notice_pdf(&notice))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let mut r = pdf.into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/pdf"),
    );
    if let Ok(v) = HeaderValue::from_str(&gongkai_files::content_disposition_inline(
        &notice_file_name(&item.title),
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // Browsers show PDFs in a viewer page of their own, which the site's CSP would block.
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("frame-ancestors 'none'"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    Ok(r)
}

/// `公示单-{title}.pdf`, without characters file systems refuse, at most 60 characters of title.
fn notice_file_name(title: &str) -> String {
    let t: String = title
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .take(60)
        .collect();
    format!("公示单-{}.pdf", t.trim())
}

/// The site's address for links printed on paper: `public_url` when configured, else
/// `http://{Host}` (a malformed Host gives `http://localhost`).
pub fn site_base(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return u.trim_end_matches('/').to_string();
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| {
            !h.is_empty()
                && h.len() <= 255
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'))
        })
        .unwrap_or("localhost");
    format!("http://{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notice_file_names_are_safe() {
        assert_eq!(
            notice_file_name("关于a/b:c的通知\n"),
            "公示单-关于a_b_c的通知.pdf"
        );
        assert_eq!(
            notice_file_name(&"长".repeat(100)).chars().count(),
            "公示单-".chars().count() + 60 + 4
        );
    }
}
