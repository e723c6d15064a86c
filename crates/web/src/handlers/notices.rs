//! Administrators edit a body's formal notice texts (登记回执, 补正告知书, 征求意见书, 延期告知书,
//! 收费通知书, 答复告知书 per reply type): the list of kinds with the text in force, an edit form
//! with the placeholders, a preview with example values, and reset to the built-in default.
//! Saving and resetting are audited by the store.

use std::collections::BTreeMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::access::Permission;
use gongkai_domain::application::APPEAL_ROUTES;
use gongkai_domain::notice::{self, NoticeKind, Placeholder};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::views::Chrome;

/// One row of the list: the kind, and when the body's own text was saved (None: the default).
pub struct KindRow {
    pub kind: NoticeKind,
    pub own_since: Option<String>,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/notices.html")]
pub struct NoticesPage {
    pub chrome: Chrome,
    pub body: Body,
    pub rows: Vec<KindRow>,
    pub notice: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct Flags {
    #[serde(default)]
    pub done: Option<String>,
}

async fn managed_body(state: &AppState, a: &Authed, id: i64) -> Result<Body, AppError> {
    let body = state.store.get_body(id).await?;
    if !a.actor.can(Permission::ManageBodies, &body.path) {
        return Err(AppError::Forbidden);
    }
    Ok(body)
}

pub async fn view_notices(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<Flags>,
) -> Result<NoticesPage, AppError> {
    let body = managed_body(&state, &a, id).await?;
    let own: BTreeMap<String, i64> = state
        .store
        .notice_templates(id)
        .await?
        .into_iter()
        .map(|t| (t.kind, t.updated_at))
        .collect();
    let rows = notice::kinds()
        .into_iter()
        .map(|k| KindRow {
            own_since: own.get(&k.key).map(|ms| crate::views::fmt_ms(*ms)),
            kind: k,
        })
        .collect();
    Ok(NoticesPage {
        chrome: Chrome::admin(
            &state,
            &a,
            &format!("{} · 文书模板", body.name),
            "/admin/bodies",
        )
        .await,
        body,
        rows,
        notice: q.done.map(|d| match d.as_str() {
            "reset" => "已恢复为默认文本".to_string(),
            _ => "已保存".to_string(),
        }),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/notice_edit.html")]
pub struct NoticeEditPage {
    pub chrome: Chrome,
    pub body: Body,
    pub kind: NoticeKind,
    pub text: String,
    pub default_text: String,
    pub own: bool,
    pub placeholders: Vec<Placeholder>,
    pub error: Option<String>,
    /// The preview: the paragraphs filled with example values.
    pub preview: Option<Vec<String>>,
    /// Fixed parts of the preview.
    pub appeal: &'static str,
    pub notice: Option<String>,
}

impl NoticeEditPage {
    pub fn is_reply(&self) -> bool {
        self.kind.key.starts_with("reply.")
    }
}

#[allow(clippy::too_many_arguments)]
async fn edit_page(
    state: &AppState,
    a: &Authed,
    body: Body,
    kind: NoticeKind,
    text: Option<String>,
    error: Option<String>,
    preview: bool,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let own = state
        .store
        .notice_templates(body.id)
        .await?
        .into_iter()
        .any(|t| t.kind == kind.key);
    let text = match text {
        Some(t) => t,
        None => state.store.notice_text(body.id, &kind.key).await?,
    };
    let preview = if preview && error.is_none() {
        notice::fill(&kind.key, &text, &notice::sample_values(&body.name)).ok()
    } else {
        None
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = NoticeEditPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("{} · {}", body.name, kind.label),
            "/admin/bodies",
        )
        .await,
        default_text: notice::default_text(&kind.key).unwrap_or_default(),
        placeholders: notice::placeholders(&kind.key),
        own,
        text,
        error,
        preview,
        appeal: APPEAL_ROUTES,
        notice,
        body,
        kind,
    };
    Ok((status, page).into_response())
}

pub async fn view_notice_edit(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, key)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let body = managed_body(&state, &a, id).await?;
    let kind = notice::kind(&key).ok_or(AppError::NotFound)?;
    edit_page(&state, &a, body, kind, None, None, false, None).await
}

#[derive(Deserialize, Default)]
pub struct NoticeForm {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub text: String,
}

pub async fn post_notice_edit(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, key)): Path<(i64, String)>,
    Form(f): Form<NoticeForm>,
) -> Result<Response, AppError> {
    let body = managed_body(&state, &a, id).await?;
    let kind = notice::kind(&key).ok_or(AppError::NotFound)?;
    let text = f.text.replace("\r\n", "\n");
    let back = format!(
        "/admin/bodies/{id}/notices?done={}",
        if f.action == "reset" {
            "reset"
        } else {
            "saved"
        }
    );
    match f.action.as_str() {
        "reset" => {
            state
                .store
                .reset_notice_template(id, &kind.key, &a.who())
                .await?;
            Ok(Redirect::to(&back).into_response())
        }
        "preview" => {
            let error = notice::check(&kind.key, &text).err().map(|e| e.to_string());
            edit_page(&state, &a, body, kind, Some(text), error, true, None).await
        }
        _ => match state
            .store
            .set_notice_template(id, &kind.key, &text, &a.who())
            .await
        {
            Ok(()) => Ok(Redirect::to(&back).into_response()),
            Err(StoreError::Invalid(m)) => {
                edit_page(&state, &a, body, kind, Some(text), Some(m), false, None).await
            }
            Err(e) => Err(e.into()),
        },
    }
}
