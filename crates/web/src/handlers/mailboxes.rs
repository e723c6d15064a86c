//! Mailbox settings in the back office (管理员 of the body's subtree): name, kind, reply limit
//! (working days, calendar days, or the 信访工作条例 preset), anonymous letters, publication of
//! replies, approval of replies. Every save is audited.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::access::Permission;
use gongkai_domain::letters::{LimitMode, LimitRule, MailboxKind};
use gongkai_store::letters::{Mailbox, MailboxFields};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::views::{BodyOption, Chrome, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "letters/mailboxes.html")]
pub struct MailboxesPage {
    pub chrome: Chrome,
    pub mailboxes: Vec<(Mailbox, String)>,
    pub bodies: Vec<BodyOption>,
}

pub async fn view_mailboxes(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    let scope = a.actor.scope(Permission::ManageBodies);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let bodies: Vec<_> = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .collect();
    let mailboxes = state
        .store
        .list_mailboxes(false)
        .await?
        .into_iter()
        .filter_map(|m| {
            bodies
                .iter()
                .find(|b| b.id == m.body_id)
                .map(|b| (m, b.name.clone()))
        })
        .collect();
    Ok(MailboxesPage {
        chrome: Chrome::admin(&state, &a, "信箱设置", "/admin/letters")
            .await
            .with_done(&a),
        mailboxes,
        bodies: bodies
            .iter()
            .map(|b| BodyOption {
                id: b.id,
                label: format!("{}{}", "　".repeat(b.depth()), b.name),
                selected: false,
            })
            .collect(),
    }
    .into_response())
}

/// The form as typed.
#[derive(Debug, Clone, Deserialize)]
pub struct MailboxForm {
    #[serde(default)]
    pub body_id: i64,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub kind: String,
    /// `default` (15 working days), `xinfang` (信访工作条例) or `custom`.
    #[serde(default)]
    pub preset: String,
    #[serde(default)]
    pub limit_mode: String,
    #[serde(default)]
    pub limit_days: String,
    #[serde(default)]
    pub ack_days: String,
    #[serde(default)]
    pub extend_days: String,
    #[serde(default)]
    pub anonymous_allowed: Option<String>,
    #[serde(default)]
    pub publish_allowed: Option<String>,
    #[serde(default)]
    pub approval_required: Option<String>,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub active: Option<String>,
}

impl MailboxForm {
    fn from_mailbox(m: &Mailbox) -> MailboxForm {
        MailboxForm {
            body_id: m.body_id,
            name: m.name.clone(),
            kind: m.kind.clone(),
            preset: "custom".into(),
            limit_mode: m.limit_mode.clone(),
            limit_days: m.limit_days.to_string(),
            ack_days: m.ack_days.to_string(),
            extend_days: m.extend_days.to_string(),
            anonymous_allowed: m.anonymous_allowed.then(|| "on".into()),
            publish_allowed: m.publish_allowed.then(|| "on".into()),
            approval_required: m.approval_required.then(|| "on".into()),
            intro: m.intro.clone(),
            active: m.active.then(|| "on".into()),
        }
    }

    fn blank(body_id: i64) -> MailboxForm {
        MailboxForm {
            body_id,
            name: String::new(),
            kind: "consult".into(),
            preset: "default".into(),
            limit_mode: "working".into(),
            limit_days: "15".into(),
            ack_days: "0".into(),
            extend_days: "0".into(),
            anonymous_allowed: None,
            publish_allowed: Some("on".into()),
            approval_required: None,
            intro: String::new(),
            active: Some("on".into()),
        }
    }

    fn validate(&self) -> Result<MailboxFields, FormErrors> {
        let mut e = FormErrors::default();
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 50 {
            e.field("name", "请填写信箱名称（不超过50个字）");
        }
        let kind = MailboxKind::parse(&self.kind);
        if kind.is_none() {
            e.field("kind", "请选择信箱类别");
        }
        let num = |s: &str| s.trim().parse::<u32>().ok();
        let rule = match self.preset.as_str() {
            "default" => Some(LimitRule::default()),
            "xinfang" => Some(LimitRule::xinfang()),
            _ => match (
                LimitMode::parse(&self.limit_mode),
                num(&self.limit_days),
                num(&self.ack_days).or(Some(0).filter(|_| self.ack_days.trim().is_empty())),
                num(&self.extend_days).or(Some(0).filter(|_| self.extend_days.trim().is_empty())),
            ) {
                (Some(mode), Some(days), Some(ack_days), Some(extend_days)) => Some(LimitRule {
                    mode,
                    days,
                    ack_days,
                    extend_days,
                }),
                _ => {
                    e.field("limit_days", "期限须为整数天数");
                    None
                }
            },
        };
        if let Some(r) = &rule
            && let Err(m) = r.validate()
        {
            e.field("limit_days", m);
        }
        let report = kind == Some(MailboxKind::Report);
        if !e.is_empty() {
            return Err(e);
        }
        Ok(MailboxFields {
            name,
            kind: kind.unwrap_or(MailboxKind::Consult),
            rule: rule.unwrap_or_default(),
            anonymous_allowed: self.anonymous_allowed.is_some(),
            // A 举报 is never published, whatever the box says.
            publish_allowed: self.publish_allowed.is_some() && !report,
            approval_required: self.approval_required.is_some(),
            intro: self.intro.trim().chars().take(1000).collect(),
            active: self.active.is_some(),
        })
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/mailbox_form.html")]
pub struct MailboxFormPage {
    pub chrome: Chrome,
    pub id: Option<i64>,
    pub body_name: String,
    pub form: MailboxForm,
    pub errors: FormErrors,
    pub kinds: Vec<(&'static str, &'static str)>,
}

async fn form_page(
    state: &AppState,
    a: &Authed,
    id: Option<i64>,
    form: MailboxForm,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let body = state.store.get_body(form.body_id).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MailboxFormPage {
        chrome: Chrome::admin(
            state,
            a,
            if id.is_some() {
                "修改信箱"
            } else {
                "新建信箱"
            },
            "/admin/letters",
        )
        .await,
        id,
        body_name: body.name,
        form,
        errors,
        kinds: MailboxKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    };
    Ok((status, page).into_response())
}

async fn check_body(state: &AppState, a: &Authed, body_id: i64) -> Result<(), AppError> {
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::ManageBodies, &body.path) {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    #[serde(default)]
    pub body: i64,
}

pub async fn view_new_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<NewQuery>,
) -> Result<Response, AppError> {
    check_body(&state, &a, q.body).await?;
    form_page(
        &state,
        &a,
        None,
        MailboxForm::blank(q.body),
        FormErrors::default(),
    )
    .await
}

pub async fn view_new_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<MailboxForm>,
) -> Result<Response, AppError> {
    check_body(&state, &a, f.body_id).await?;
    match f.validate() {
        Err(e) => form_page(&state, &a, None, f, e).await,
        Ok(fields) => {
            state
                .store
                .create_mailbox(f.body_id, &fields, &a.who())
                .await?;
            Ok(Redirect::to("/admin/mailboxes?done=saved").into_response())
        }
    }
}

pub async fn view_edit_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let m = state.store.get_mailbox(id).await?;
    check_body(&state, &a, m.body_id).await?;
    form_page(
        &state,
        &a,
        Some(id),
        MailboxForm::from_mailbox(&m),
        FormErrors::default(),
    )
    .await
}

pub async fn view_edit_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(mut f): Form<MailboxForm>,
) -> Result<Response, AppError> {
    let m = state.store.get_mailbox(id).await?;
    check_body(&state, &a, m.body_id).await?;
    // The body of a mailbox does not change.
    f.body_id = m.body_id;
    match f.validate() {
        Err(e) => form_page(&state, &a, Some(id), f, e).await,
        Ok(fields) => match state.store.update_mailbox(id, &fields, &a.who()).await {
            Ok(()) => Ok(Redirect::to("/admin/mailboxes?done=saved").into_response()),
            Err(gongkai_store::StoreError::Invalid(m)) => {
                form_page(&state, &a, Some(id), f, FormErrors::general(m)).await
            }
            Err(e) => Err(e.into()),
        },
    }
}
