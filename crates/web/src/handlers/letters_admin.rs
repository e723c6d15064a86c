//! 信箱 in the back office: the list (to take, mine, overdue with 督办, all), the letter's page
//! (opening a received letter makes its handler the owner: 首问负责), the actions of the state
//! machine, the audited views of a writer's identity (for a 举报 only by 纪检监督, with a
//! reason), files, 选登, and the conversion into an application.
//!
//! Who sees what (docs/design/letters.md): ordinary letters are read by `LETTER_READERS` and
//! handled by 信箱办理员; a 举报 is read and handled only by 纪检监督 (`REPORT_READERS`).

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::access::{LETTER_READERS, Permission, REPORT_READERS};
use gongkai_domain::application::{ApplicantType, Channel};
use gongkai_domain::letters::{self as dl, Writer};
use gongkai_domain::seal::mask;
use gongkai_store::StoreError;
use gongkai_store::applications::NewApplication;
use gongkai_store::letters::{
    Letter, LetterAction, LetterEventRow, LetterFile, LetterFilter, LetterListRow,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::handlers::letters::letter_explanation;
use crate::views::{BodyOption, Chrome};

/// What the signed-in account may do with one letter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rights {
    pub read: bool,
    pub handle: bool,
    pub lead: bool,
    pub reveal: bool,
}

/// The rights of `a` on `l`, whose current body is at `path`.
pub fn rights(a: &Authed, l: &Letter, path: &str) -> Rights {
    if l.is_report() {
        // 举报: the discipline-inspection role of the handling body, and nobody else.
        let d = a.actor.can(Permission::HandleDisciplineCases, path);
        Rights {
            read: d,
            handle: d,
            lead: d,
            reveal: d,
        }
    } else {
        let h = a.actor.can(Permission::HandleLetters, path);
        Rights {
            read: a.actor.can_any(LETTER_READERS, path),
            handle: h,
            lead: a.actor.can(Permission::ApproveCases, path),
            reveal: h,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/admin_list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub tab: String,
    pub letters: Vec<LetterListRow>,
    pub today: String,
    pub can_configure: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub tab: Option<String>,
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let letters_scope = a.actor.scope_any(LETTER_READERS);
    let reports_scope = a.actor.scope_any(REPORT_READERS);
    if letters_scope.is_empty() && reports_scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    // 督办: overdue letters are escalated whenever someone looks (and by the server's timer).
    state.store.fill_pending_due(&state.calendar()).await?;
    state.store.escalate_overdue(today()).await?;
    let tab = q.tab.unwrap_or_else(|| "todo".into());
    let mut f = LetterFilter {
        limit: 500,
        ..Default::default()
    };
    match tab.as_str() {
        "todo" => {
            f.open_only = true;
            f.unowned = true;
        }
        "mine" => {
            f.open_only = true;
            f.mine = Some(a.user.id);
        }
        "overdue" => f.overdue_before = Some(today()),
        "open" => f.open_only = true,
        _ => {}
    }
    let letters = state
        .store
        .list_letters(&letters_scope, &reports_scope, &f)
        .await?;
    Ok(ListPage {
        chrome: Chrome::admin(&state, &a, "信箱来信", "/admin/letters").await,
        tab,
        letters,
        today: today().to_string(),
        can_configure: a.actor.has_anywhere(Permission::ManageBodies),
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/admin_letter.html")]
pub struct LetterPage {
    pub chrome: Chrome,
    pub letter: Letter,
    pub mailbox_name: String,
    pub approval_required: bool,
    pub publish_allowed: bool,
    pub extend_days: i64,
    pub body_name: String,
    pub rights: Rights,
    pub is_owner: bool,
    pub writer: String,
    pub revealed: bool,
    pub events: Vec<LetterEventRow>,
    pub files: Vec<LetterFile>,
    pub explanation: Vec<String>,
    pub overdue: bool,
    pub bodies: Vec<BodyOption>,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub masked: (String, String, String),
    /// Subject, text and reply with the screening's masks, offered for 选登.
    pub offer: (String, String, String),
    pub today: String,
}

impl LetterPage {
    pub fn when(&self, ms: &i64) -> String {
        crate::views::fmt_ms(*ms)
    }
}

fn writer_of(state: &AppState, l: &Letter) -> Option<Writer> {
    if l.is_report() || l.writer_sealed.is_empty() {
        return None;
    }
    state
        .seal
        .open(&l.writer_sealed)
        .ok()
        .and_then(|j| serde_json::from_str(&j).ok())
}

/// A 举报's writer, opened through its envelope with the report key.
fn report_writer(state: &AppState, l: &Letter) -> Result<Option<Writer>, AppError> {
    let Some(env) = l.envelope() else {
        return Ok(None);
    };
    let k = dl::open_envelope(&state.report_keys, &env).map_err(|_| {
        AppError::Unavailable("无法解开举报人信息：举报密钥（report.key）与数据不符".into())
    })?;
    if l.writer_sealed.is_empty() {
        return Ok(None);
    }
    let j = k
        .open(&l.writer_sealed)
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(serde_json::from_str(&j).ok())
}

fn describe(w: &Writer) -> String {
    format!(
        "{}　电话：{}　邮箱：{}　地址：{}",
        w.name, w.phone, w.email, w.address
    )
}

async fn load(state: &AppState, a: &Authed, id: i64) -> Result<(Letter, String, Rights), AppError> {
    let l = state.store.get_letter(id).await?;
    let body = state.store.get_body(l.body_id).await?;
    let r = rights(a, &l, &body.path);
    if !r.read {
        // Not even its existence is told to those who may not read it.
        return Err(AppError::NotFound);
    }
    Ok((l, body.path, r))
}

#[allow(clippy::too_many_arguments)]
async fn letter_page(
    state: &AppState,
    a: &Authed,
    l: Letter,
    r: Rights,
    revealed: Option<String>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let mb = state.store.get_mailbox(l.mailbox_id).await?;
    let body = state.store.get_body(l.body_id).await?;
    let plain = writer_of(state, &l);
    let writer = if l.is_report() {
        "举报人身份已加密保护".to_string()
    } else if l.anonymous {
        "匿名来信".to_string()
    } else {
        l.writer_name.clone()
    };
    let masked = plain
        .as_ref()
        .map_or((String::new(), String::new(), String::new()), |w| {
            (
                mask(&w.phone, 3, 4),
                mask(&w.email, 2, 4),
                mask(&w.address, 6, 0),
            )
        });
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| b.id != l.body_id)
        .map(|b| BodyOption {
            id: b.id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            selected: false,
        })
        .collect();
    let page = LetterPage {
        chrome: Chrome::admin(state, a, &format!("来信 {}", l.number), "/admin/letters").await,
        mailbox_name: mb.name.clone(),
        approval_required: mb.approval_required,
        publish_allowed: mb.publish_allowed,
        extend_days: mb.extend_days,
        body_name: body.name,
        is_owner: l.owner_id == Some(a.user.id),
        writer,
        revealed: revealed.is_some(),
        events: state.store.letter_events(l.id).await?,
        files: state.store.letter_files(l.id).await?,
        explanation: letter_explanation(state, &l).await?,
        overdue: l.is_overdue(today()),
        bodies,
        error,
        notice: notice.or(revealed),
        masked,
        offer: {
            let cfg = &state.config.screening;
            let m = |t: &str| gongkai_domain::screening::mask_all(t, cfg).0;
            if l.published {
                (
                    l.pub_subject.clone(),
                    l.pub_content.clone(),
                    l.pub_reply.clone(),
                )
            } else {
                (m(&l.subject), m(&l.content), m(&l.reply_text))
            }
        },
        today: today().to_string(),
        rights: r,
        letter: l,
    };
    let mut resp = (status, page).into_response();
    resp.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

#[derive(Deserialize, Default)]
pub struct LetterQuery {
    #[serde(default)]
    pub done: Option<String>,
}

/// The letter's page. 首问负责: a handler who opens a letter nobody owns becomes its owner.
pub async fn view_letter(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<LetterQuery>,
) -> Result<Response, AppError> {
    let (mut l, _, r) = load(&state, &a, id).await?;
    let mut notice = q.done.as_deref().and_then(done_notice).map(str::to_string);
    if r.handle && l.status == "received" && l.owner_id.is_none() {
        match state
            .store
            .letter_action(
                id,
                &LetterAction::Take,
                &state.calendar(),
                today(),
                Some((a.user.id, &a.user.display_name)),
                &a.who(),
            )
            .await
        {
            Ok(taken) => {
                l = taken;
                notice = Some("您已受理该来信，按首问负责制由您负责办理，直至转办或交办。".into());
            }
            // Someone else took it a moment earlier: show it as it is now.
            Err(StoreError::Invalid(_)) => l = state.store.get_letter(id).await?,
            Err(e) => return Err(e.into()),
        }
    }
    letter_page(&state, &a, l, r, None, None, notice).await
}

/// The fixed success messages after an action (never words from the request).
fn done_notice(flag: &str) -> Option<&'static str> {
    Some(match flag {
        "assigned" => "已交办。",
        "transferred" => "已转办，转办记录已保存。",
        "extended" => "已延期，来信人可在查询页看到新的期限。",
        "draft" => "答复草稿已保存。",
        "submitted" => "答复已提交审核。",
        "replied" => "已答复，来信人可在查询页看到答复。",
        "approved" => "答复已审核通过并发送给来信人。",
        "returned" => "已退回办理人修改。",
        "dismissed" => "已不予受理。",
        "published" => "已选登公开。",
        "unpublished" => "已撤销公开。",
        "converted" => "已转为政府信息公开申请。",
        _ => return None,
    })
}

#[derive(Deserialize, Default)]
pub struct ActForm {
    pub step: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub to_body: Option<i64>,
    #[serde(default)]
    pub days: Option<u32>,
}

/// Whether the account `username` may handle this kind of letter at the body at `path`.
async fn handler_named(
    state: &AppState,
    username: &str,
    l: &Letter,
    path: &str,
) -> Result<Result<(i64, String), String>, AppError> {
    let Some(u) = state.store.find_user(username.trim()).await? else {
        return Ok(Err(format!("没有用户名为“{}”的账号", username.trim())));
    };
    let grants: Vec<_> = state
        .store
        .grants_of(u.id)
        .await?
        .iter()
        .filter_map(|g| g.grant())
        .collect();
    let actor = gongkai_domain::access::Actor {
        user_id: u.id,
        username: u.username.clone(),
        display_name: u.display_name.clone(),
        body_id: u.body_id,
        grants,
    };
    let perm = if l.is_report() {
        Permission::HandleDisciplineCases
    } else {
        Permission::HandleLetters
    };
    if u.disabled || !actor.can(perm, path) {
        return Ok(Err(format!(
            "“{}”不能办理该机关的{}",
            u.display_name,
            if l.is_report() { "举报" } else { "来信" }
        )));
    }
    Ok(Ok((u.id, u.display_name)))
}

pub async fn letter_act(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<ActForm>,
) -> Result<Response, AppError> {
    let (l, path, r) = load(&state, &a, id).await?;
    let refuse = |l: Letter, m: String| letter_page(&state, &a, l, r, None, Some(m), None);
    let action = match f.step.as_str() {
        "take" if r.handle => LetterAction::Take,
        "assign" if r.lead => match handler_named(&state, &f.username, &l, &path).await? {
            Ok((uid, name)) => LetterAction::Assign { user_id: uid, name },
            Err(m) => return refuse(l, m).await,
        },
        "transfer" if r.handle => {
            let to_user = if f.username.trim().is_empty() {
                None
            } else {
                match handler_named(&state, &f.username, &l, &path).await? {
                    Ok(u) => Some(u),
                    Err(m) => return refuse(l, m).await,
                }
            };
            let to_body = match (&to_user, f.to_body.filter(|b| *b > 0)) {
                (None, Some(b)) => {
                    let target = state.store.get_body(b).await?;
                    // Never into a body where nobody could take it (it would sit unseen).
                    let perm = if l.is_report() {
                        Permission::HandleDisciplineCases
                    } else {
                        Permission::HandleLetters
                    };
                    let roles: Vec<&str> = gongkai_domain::access::Role::ALL
                        .iter()
                        .filter(|r| r.permissions().contains(&perm))
                        .map(|r| r.as_str())
                        .collect();
                    if state.store.role_holders_at(&target.path, &roles).await? == 0 {
                        return refuse(
                            l,
                            format!("“{}”没有可以办理该来信的工作人员，不能转办", target.name),
                        )
                        .await;
                    }
                    Some((b, target.name))
                }
                _ => None,
            };
            LetterAction::Transfer {
                to_user,
                to_body,
                reason: f.reason.trim().to_string(),
            }
        }
        "extend" if r.handle => LetterAction::Extend {
            days: f.days.unwrap_or(0),
            reason: f.reason.trim().to_string(),
        },
        "draft" if r.handle => LetterAction::SaveDraft {
            text: f.text.clone(),
        },
        "reply" if r.handle => LetterAction::Reply {
            text: f.text.clone(),
        },
        "approve" if r.lead => LetterAction::Approve,
        // The leader returns a reply, or its author takes it back from approval.
        "return" if r.lead || l.owner_id == Some(a.user.id) => LetterAction::Return {
            reason: f.reason.trim().to_string(),
        },
        "dismiss" if r.handle => LetterAction::Dismiss {
            reason: f.reason.trim().to_string(),
        },
        "take" | "assign" | "transfer" | "extend" | "draft" | "reply" | "approve" | "return"
        | "dismiss" => return Err(AppError::Forbidden),
        _ => return Err(AppError::BadRequest("未知的办理事项".into())),
    };
    match state
        .store
        .letter_action(
            id,
            &action,
            &state.calendar(),
            today(),
            Some((a.user.id, &a.user.display_name)),
            &a.who(),
        )
        .await
    {
        Ok(after) => {
            let flag = match (&action, after.status.as_str()) {
                (LetterAction::Reply { .. }, "approving") => "submitted",
                (LetterAction::Reply { .. }, _) => "replied",
                (LetterAction::Take, _) => "",
                (LetterAction::Assign { .. }, _) => "assigned",
                (LetterAction::Transfer { .. }, _) => "transferred",
                (LetterAction::Extend { .. }, _) => "extended",
                (LetterAction::SaveDraft { .. }, _) => "draft",
                (LetterAction::Approve, _) => "approved",
                (LetterAction::Return { .. }, _) => "returned",
                (LetterAction::Dismiss { .. }, _) => "dismissed",
                _ => "",
            };
            // After a transfer away the letter may no longer be readable here: go to the list.
            let body = state.store.get_body(after.body_id).await?;
            if !rights(&a, &after, &body.path).read {
                return Ok(Redirect::to("/admin/letters?tab=all").into_response());
            }
            Ok(Redirect::to(&format!("/admin/letters/{id}?done={flag}")).into_response())
        }
        Err(StoreError::Invalid(m)) => refuse(l, m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct RevealForm {
    #[serde(default)]
    pub reason: String,
}

/// Show the writer's identity and contacts, audited. For a 举报: only 纪检监督 of the handling
/// body, with a reason.
pub async fn reveal(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<RevealForm>,
) -> Result<Response, AppError> {
    let (l, _, r) = load(&state, &a, id).await?;
    if !r.reveal {
        return Err(AppError::Forbidden);
    }
    let reason = f.reason.trim().to_string();
    if l.is_report() && reason.chars().count() < 4 {
        return letter_page(
            &state,
            &a,
            l,
            r,
            None,
            Some("查看举报人身份须填写理由（至少4个字），该操作将记入审计日志".into()),
            None,
        )
        .await;
    }
    let w = if l.is_report() {
        report_writer(&state, &l)?
    } else {
        writer_of(&state, &l)
    };
    let reason = if reason.is_empty() {
        "查看来信人联系方式".to_string()
    } else {
        reason
    };
    state
        .store
        .audit_letter_reveal(&l, &reason, today(), &a.who())
        .await?;
    let shown = match w {
        Some(w) => format!("来信人：{}（本次查看已记入审计日志）", describe(&w)),
        None => "匿名来信，没有来信人信息。".to_string(),
    };
    letter_page(&state, &a, l, r, Some(shown), None, None).await
}

/// A file of the letter; a 举报's files are decrypted only for 纪检监督, each time audited.
pub async fn download_file(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, file_id)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let (l, _, r) = load(&state, &a, id).await?;
    let Some(file) = state
        .store
        .letter_files(id)
        .await?
        .into_iter()
        .find(|f| f.id == file_id)
    else {
        return Err(AppError::NotFound);
    };
    let stored = state
        .blobs
        .get(&file.sha256)
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let bytes = if file.sealed {
        if !r.reveal {
            return Err(AppError::Forbidden);
        }
        let env = l
            .envelope()
            .ok_or_else(|| AppError::Internal("sealed file without envelope".into()))?;
        let k = dl::open_envelope(&state.report_keys, &env).map_err(|_| {
            AppError::Unavailable("无法解开举报附件：举报密钥（report.key）与数据不符".into())
        })?;
        state
            .store
            .audit_letter_reveal(
                &l,
                &format!("下载举报附件（第{}号）", file.id),
                today(),
                &a.who(),
            )
            .await?;
        let name = k
            .open(&file.name)
            .unwrap_or_else(|_| format!("附件{}", file.id));
        let bytes = k
            .open_bytes(&stored)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        (name, bytes)
    } else {
        (file.name.clone(), stored)
    };
    let (name, bytes) = bytes;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, file.mime.clone()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                gongkai_files::content_disposition(&name),
            ),
            (axum::http::header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize, Default)]
pub struct PublishForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub reply: String,
    #[serde(default)]
    pub reason: String,
}

/// 选登: publish a masked copy. The texts come from the form (prefilled with the masked
/// originals); they are screened again here, so nothing the screening would mask gets out.
pub async fn publish(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<PublishForm>,
) -> Result<Response, AppError> {
    let (l, _, r) = load(&state, &a, id).await?;
    if !r.handle {
        return Err(AppError::Forbidden);
    }
    let mb = state.store.get_mailbox(l.mailbox_id).await?;
    if !mb.publish_allowed {
        return letter_page(
            &state,
            &a,
            l,
            r,
            None,
            Some("该信箱的来信不公开".into()),
            None,
        )
        .await;
    }
    let cfg = &state.config.screening;
    let clean = |s: &str| gongkai_domain::screening::mask_all(s, cfg).0;
    let pick = |typed: &str, original: &str| {
        if typed.trim().is_empty() {
            clean(original)
        } else {
            clean(typed)
        }
    };
    let (s, c, rep) = (
        pick(&f.subject, &l.subject),
        pick(&f.content, &l.content),
        pick(&f.reply, &l.reply_text),
    );
    match state
        .store
        .publish_letter(id, &s, &c, &rep, today(), &a.who())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/letters/{id}?done=published")).into_response()),
        Err(StoreError::Invalid(m)) => letter_page(&state, &a, l, r, None, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

pub async fn unpublish(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<PublishForm>,
) -> Result<Response, AppError> {
    let (l, _, r) = load(&state, &a, id).await?;
    if !r.handle {
        return Err(AppError::Forbidden);
    }
    match state
        .store
        .unpublish_letter(id, &f.reason, today(), &a.who())
        .await
    {
        Ok(()) => {
            Ok(Redirect::to(&format!("/admin/letters/{id}?done=unpublished")).into_response())
        }
        Err(StoreError::Invalid(m)) => letter_page(&state, &a, l, r, None, Some(m), None).await,
        Err(e) => Err(e.into()),
    }
}

/// A letter that asks for government information becomes an application (依申请公开) received
/// on the letter's day; both keep a link, and the writer tracks it with the same secret.
pub async fn convert(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (l, _, r) = load(&state, &a, id).await?;
    if !r.handle {
        return Err(AppError::Forbidden);
    }
    let refuse =
        |l: Letter, m: &str| letter_page(&state, &a, l, r, None, Some(m.to_string()), None);
    if l.is_report() || l.anonymous {
        return refuse(
            l,
            "匿名来信和举报不能转为政府信息公开申请（申请须有申请人的身份信息）",
        )
        .await;
    }
    if !matches!(l.status.as_str(), "received" | "handling") {
        return refuse(l, "只有待受理或办理中的来信可以转为申请").await;
    }
    if l.status == "handling" && l.owner_id != Some(a.user.id) {
        return refuse(l, "只有该来信的负责人可以将其转为申请（首问负责）").await;
    }
    // Every rule is checked before the application is created, so a refusal leaves nothing.
    if let Err(m) = dl::transition(
        l.status(),
        dl::Step::Convert,
        dl::Standing {
            owner: l.owner_id == Some(a.user.id),
            owned: l.owner_id.is_some(),
        },
        false,
        false,
    ) {
        return refuse(l, m).await;
    }
    let w = writer_of(&state, &l).unwrap_or_default();
    let received = chrono::NaiveDate::parse_from_str(&l.received_on, "%Y-%m-%d").unwrap_or(today());
    let contact = serde_json::json!({"phone": w.phone, "email": w.email, "address": w.address});
    let new = NewApplication {
        body_id: l.body_id,
        routed: true,
        channel: Channel::Online,
        submitted_on: received,
        received_on: received,
        applicant_type: ApplicantType::Natural,
        applicant_name: l.writer_name.clone(),
        id_type: "其他".into(),
        id_sealed: state.seal.seal(""),
        contact_sealed: state.seal.seal(&contact.to_string()),
        description: format!("{}\n{}", l.subject, l.content),
        doc_no_hint: String::new(),
        form_wanted: "电子数据".into(),
        delivery: "online".into(),
        secret_hash: l.secret_hash.clone(),
    };
    let (app_id, _) = match state
        .store
        .create_application(&new, &state.calendar(), &a.who())
        .await
    {
        Ok(x) => x,
        Err(StoreError::Invalid(m)) => return refuse(l, &m).await,
        Err(e) => return Err(e.into()),
    };
    state.store.link_application_letter(app_id, l.id).await?;
    match state
        .store
        .letter_action(
            id,
            &LetterAction::Converted {
                application_id: app_id,
            },
            &state.calendar(),
            today(),
            Some((a.user.id, &a.user.display_name)),
            &a.who(),
        )
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/admin/letters/{id}?done=converted")).into_response()),
        Err(StoreError::Invalid(m)) => refuse(l, &m).await,
        Err(e) => Err(e.into()),
    }
}

/// Active mailboxes (not 举报) of the body at `path` and of its ancestors (a department without
/// its own complaint box sends complaints to the county's), as (id, "信箱 · 机关").
pub async fn mailboxes_for(state: &AppState, path: &str) -> Result<Vec<(i64, String)>, AppError> {
    let bodies = state.store.list_bodies().await?;
    Ok(state
        .store
        .list_mailboxes(true)
        .await?
        .into_iter()
        // Not into a 举报 box: the application's identity is not enveloped.
        .filter(|m| !m.is_report())
        .filter_map(|m| {
            let b = bodies.iter().find(|b| b.id == m.body_id)?;
            gongkai_domain::body::in_subtree(path, &b.path)
                .then(|| (m.id, format!("{} · {}", m.name, b.name)))
        })
        .collect())
}

#[derive(Deserialize, Default)]
pub struct ToLetterForm {
    #[serde(default)]
    pub mailbox_id: i64,
}

/// 条例第三十九条第一款: an application that is really a complaint, report or petition becomes a
/// letter in a mailbox (received on the application's day, the same secret tracks both); the
/// application is answered 不予处理 (row （五）1) naming the letter. Both keep a link.
pub async fn application_to_letter(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<ToLetterForm>,
) -> Result<Response, AppError> {
    use gongkai_domain::application::ReplyType;
    use gongkai_store::applications::CaseEvent;
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !a
        .actor
        .can_any(gongkai_domain::access::CASE_READERS, &body.path)
    {
        return Err(AppError::NotFound);
    }
    if !a.actor.can(Permission::HandleApplications, &body.path) {
        return Err(AppError::Forbidden);
    }
    let back = |m: &str| {
        let q: String = form_urlencoded::byte_serialize(m.as_bytes()).collect();
        Redirect::to(&format!("/admin/applications/{id}?error={q}")).into_response()
    };
    if !x.is_open() {
        return Ok(back("该申请已办结，不能再转为来信"));
    }
    if state.store.application_letter_id(id).await?.is_some() {
        return Ok(back("该申请已转为来信"));
    }
    if !mailboxes_for(&state, &body.path)
        .await?
        .iter()
        .any(|(m, _)| *m == f.mailbox_id)
    {
        return Ok(back("请选择本机关或上级机关的信箱"));
    }
    let mb = state.store.get_mailbox(f.mailbox_id).await?;
    let contact: serde_json::Value =
        serde_json::from_str(&state.seal.open(&x.contact_sealed).unwrap_or_default())
            .unwrap_or_default();
    let field = |k: &str| {
        contact
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let w = Writer {
        name: x.applicant_name.clone(),
        phone: field("phone"),
        email: field("email"),
        address: field("address"),
    };
    let json = serde_json::to_string(&w).unwrap_or_default();
    let (writer_sealed, tag_key) = (state.seal.seal(&json), &*state.seal);
    let received = x
        .received_on
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today());
    let subject: String = x.description.chars().take(60).collect();
    let new = gongkai_store::letters::NewLetter {
        mailbox_id: mb.id,
        subject: format!("（由政府信息公开申请{}转来）{subject}", x.number),
        content: x.description.clone(),
        anonymous: false,
        writer_name: x.applicant_name.clone(),
        writer_sealed,
        writer_tag: w
            .contact_key()
            .map(|c| tag_key.tag(&format!("contact:{c}")))
            .unwrap_or_default(),
        envelope: None,
        consent_publish: false,
        received_on: received,
        secret_hash: x.secret_hash.clone(),
        files: vec![],
    };
    let (letter_id, number) = match state
        .store
        .create_letter(&new, &state.calendar(), &a.who())
        .await
    {
        Ok(v) => v,
        Err(StoreError::Invalid(m)) => return Ok(back(&m)),
        Err(e) => return Err(e.into()),
    };
    state.store.link_application_letter(id, letter_id).await?;
    let reply = CaseEvent::Reply {
        on: today(),
        reply: ReplyType::Complaint,
        text: format!(
            "您的申请属于信访、举报、投诉类事项，依照条例第三十九条第一款不作为政府信息公开申请处理，已转为来信（编号{number}）由“{}”办理，可凭原查询密码在“来信办理进度查询”中查看。",
            mb.name
        ),
    };
    match state
        .store
        .add_case_event(id, &reply, None, &state.calendar(), today(), &a.who())
        .await
    {
        Ok(_) => {
            Ok(Redirect::to(&format!("/admin/applications/{id}?done=转为来信")).into_response())
        }
        Err(StoreError::Invalid(m)) => Ok(back(&m)),
        Err(e) => Err(e.into()),
    }
}
