//! 内部文件 in the back office (`/admin/circulars`): 会议纪要 and 内部通知 a body's 信息员 sends to
//! chosen offices and people, each recipient's first reading recorded, the unread listed for
//! the sender and reminded (催阅). Only recipients, the sender and supervisors of the sending
//! body open one; to anyone else it does not exist (docs/design/participation.md, stage 4).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::access::Permission;
use gongkai_domain::circulars::{CircularInput, CircularKind};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::circulars::{CircularListRow, CircularRow, ReceiptRow};
use gongkai_store::users::AccountOption;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome, fmt_ms};

/// The lists: what I received (`inbox`, default), what I have not read (`unread`), what I sent
/// or supervise (`sent`).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    pub tab: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "circulars/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub tab: String,
    pub rows: Vec<CircularListRow>,
    pub unread: i64,
    pub can_send: bool,
}

impl ListPage {
    pub fn when(&self, ms: &Option<i64>) -> String {
        ms.map(fmt_ms).unwrap_or_default()
    }
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<ListQuery>,
) -> Result<ListPage, AppError> {
    let tab = match q.tab.as_str() {
        "unread" | "sent" => q.tab.clone(),
        _ => "inbox".to_string(),
    };
    let rows = match tab.as_str() {
        "sent" => {
            state
                .store
                .circulars_sent(a.user.id, &a.actor.scope(Permission::Supervise), 200)
                .await?
        }
        t => {
            state
                .store
                .circular_inbox(a.user.id, t == "unread", 200)
                .await?
        }
    };
    let (unread, _) = state.store.circular_counts(a.user.id).await?;
    Ok(ListPage {
        chrome: Chrome::admin(&state, &a, "内部文件", "/admin/circulars").await,
        tab,
        rows,
        unread,
        can_send: a.actor.has_anywhere(Permission::EditItems),
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct NewQuery {
    pub body: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "circulars/new.html")]
pub struct NewPage {
    pub chrome: Chrome,
    /// Bodies the account may send for.
    pub senders: Vec<BodyOption>,
    pub body: Body,
    /// Bodies of the sending body's subtree, as recipients.
    pub offices: Vec<BodyOption>,
    pub people: Vec<AccountOption>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub input: CircularInput,
    pub error: String,
}

impl NewPage {
    pub fn office_chosen(&self, id: &i64) -> bool {
        self.input.bodies.contains(id)
    }
    pub fn person_chosen(&self, id: &i64) -> bool {
        self.input.users.contains(id)
    }
}

async fn new_page(
    state: &AppState,
    a: &Authed,
    body_id: Option<i64>,
    input: CircularInput,
    error: String,
) -> Result<NewPage, AppError> {
    let scope = a.actor.scope(Permission::EditItems);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let senders = crate::views::body_options(state, Some(&scope), body_id, false).await?;
    let chosen = body_id
        .or_else(|| senders.first().map(|b| b.id))
        .ok_or(AppError::Forbidden)?;
    let body = state.store.get_body(chosen).await?;
    if !scope.contains(&body.path) {
        return Err(AppError::Forbidden);
    }
    let subtree = gongkai_domain::access::Scope {
        roots: vec![body.path.clone()],
    };
    let offices = crate::views::body_options(state, Some(&subtree), None, false).await?;
    let people = state
        .store
        .accounts_in_subtree(&body.path)
        .await?
        .into_iter()
        .filter(|c| c.id != a.user.id)
        .collect();
    Ok(NewPage {
        chrome: Chrome::admin(state, a, "发送内部文件", "/admin/circulars").await,
        senders,
        body,
        offices,
        people,
        kinds: CircularKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        input,
        error,
    })
}

pub async fn view_new(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<NewQuery>,
) -> Result<NewPage, AppError> {
    let input = CircularInput {
        kind: "minutes".into(),
        ..Default::default()
    };
    new_page(&state, &a, q.body.trim().parse().ok(), input, String::new()).await
}

/// Send (multipart: `body_id`, `kind`, `title`, `text`, `meeting_on`, repeated `bodies` and
/// `users`, an optional `file`).
pub async fn send(
    State(state): State<AppState>,
    Staff(a): Staff,
    mp: Multipart,
) -> Result<Response, AppError> {
    let form = crate::uploads::read_form(&state, mp, "file").await?;
    let input = CircularInput {
        kind: form.get("kind"),
        title: form.get("title"),
        text: form.get("text"),
        meeting_on: form.get("meeting_on"),
        bodies: form.ids("bodies"),
        users: form.ids("users"),
    };
    let body_id: i64 = form.get("body_id").trim().parse().unwrap_or(0);
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let with_file = form.file.is_some();
    let redisplay = |m: String| {
        let (state, a, input) = (state.clone(), a.clone(), input.clone());
        async move {
            let m = if with_file {
                format!("{m}（请重新选择要上传的文件）")
            } else {
                m
            };
            let mut r = new_page(&state, &a, Some(body_id), input, m)
                .await?
                .into_response();
            *r.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
            Ok::<Response, AppError>(r)
        }
    };
    let valid = match input.validate(today(), with_file) {
        Ok(v) => v,
        Err(errs) => {
            let m = errs
                .into_iter()
                .map(|(_, m)| m)
                .collect::<Vec<_>>()
                .join("；");
            return redisplay(m).await;
        }
    };
    let file = match form.file {
        None => None,
        Some(up) => match crate::uploads::store(&state, up, &[], "").await? {
            Ok(p) => Some(p),
            Err(m) => return redisplay(m).await,
        },
    };
    let sender_name = if a.user.display_name.is_empty() {
        a.user.username.clone()
    } else {
        a.user.display_name.clone()
    };
    match state
        .store
        .send_circular(
            &body,
            &valid,
            file.as_ref(),
            today(),
            &sender_name,
            &a.who(),
        )
        .await
    {
        Ok(id) => Ok(Redirect::to(&format!("/admin/circulars/{id}?done=sent")).into_response()),
        Err(StoreError::Invalid(m)) => redisplay(m).await,
        Err(e) => Err(e.into()),
    }
}

/// How the account stands to a circular.
struct Standing {
    recipient: bool,
    sender: bool,
    supervisor: bool,
}

/// The circular, if the account may open it (a recipient, its sender, a supervisor of the
/// sending body); otherwise 404, as if it did not exist.
async fn openable(
    state: &AppState,
    a: &Authed,
    id: i64,
) -> Result<(CircularRow, Body, Standing), AppError> {
    let c = state.store.circular(id).await?;
    let body = state.store.get_body(c.body_id).await?;
    let s = Standing {
        recipient: state.store.is_circular_recipient(id, a.user.id).await?,
        sender: c.sent_by == a.user.id,
        supervisor: a.actor.can(Permission::Supervise, &body.path),
    };
    if !(s.recipient || s.sender || s.supervisor) {
        return Err(AppError::NotFound);
    }
    Ok((c, body, s))
}

#[derive(Template, WebTemplate)]
#[template(path = "circulars/view.html")]
pub struct ViewPage {
    pub chrome: Chrome,
    pub c: CircularRow,
    pub body: Body,
    pub targets: Vec<String>,
    /// The receipts, for the sender and supervisors; empty for a plain recipient.
    pub receipts: Vec<ReceiptRow>,
    pub show_receipts: bool,
    pub can_remind: bool,
    pub read: usize,
}

impl ViewPage {
    pub fn when(&self, ms: &Option<i64>) -> String {
        ms.map(fmt_ms).unwrap_or_default()
    }
}

pub async fn view_one(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<ViewPage, AppError> {
    let (c, body, s) = openable(&state, &a, id).await?;
    if s.recipient {
        state.store.mark_circular_read(id, &a.who()).await?;
    }
    let show_receipts = s.sender || s.supervisor;
    let receipts = if show_receipts {
        state.store.circular_receipts(id).await?
    } else {
        Vec::new()
    };
    let names = state.store.body_names().await?;
    let targets = c
        .target_body_ids()
        .into_iter()
        .filter_map(|b| names.iter().find(|(i, _)| *i == b).map(|(_, n)| n.clone()))
        .collect();
    Ok(ViewPage {
        chrome: Chrome::admin(&state, &a, &c.title, "/admin/circulars")
            .await
            .with_done(&a),
        read: receipts.iter().filter(|r| r.read_at.is_some()).count(),
        can_remind: s.sender && receipts.iter().any(|r| r.read_at.is_none()),
        c,
        body,
        targets,
        receipts,
        show_receipts,
    })
}

/// The circular's file; a recipient's download counts as reading it.
pub async fn file(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (c, _, s) = openable(&state, &a, id).await?;
    let (Some(sha), Some(name)) = (c.file_sha256.as_deref(), c.file_name.as_deref()) else {
        return Err(AppError::NotFound);
    };
    if s.recipient {
        state.store.mark_circular_read(id, &a.who()).await?;
    }
    crate::uploads::download(&state, sha, name, c.file_mime.as_deref()).await
}

/// 催阅: the sender reminds every unread recipient (once a day at most).
pub async fn remind(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (_, _, s) = openable(&state, &a, id).await?;
    if !s.sender {
        return Err(AppError::Forbidden);
    }
    let n = state.store.remind_circular(id, today(), &a.who()).await?;
    let done = if n > 0 { "reminded" } else { "none_reminded" };
    Ok(Redirect::to(&format!("/admin/circulars/{id}?done={done}")).into_response())
}
