//! 征求意见 (docs/design/participation.md, stage 3): the public page of a draft for comment (its
//! 起草说明, its paragraphs with their comments, the comment form in the window, the 意见采纳情况
//! and the final version with its diff), the comment receipt, the portal's list and feed; in the
//! back office the window, moderation, grouping, the feedback and the final version. The rules are
//! `domain::consultation`'s.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::{ITEM_READERS, Permission};
use gongkai_domain::audit::Who;
use gongkai_domain::consultation::{self as dc, CommentInput, Disposition, ValidComment};
use gongkai_domain::notice_period::{DayUnit, Phase};
use gongkai_store::StoreError;
use gongkai_store::consultations::{
    CommentRow, ConsultationListRow, ConsultationRow, GroupRow, Moderate,
};
use gongkai_store::disclosure::{Item, Version};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Ip, MaybeAuthed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::render::{DiffLine, diff_lines, markdown};
use crate::views::{Chrome, FormErrors};

/// A published public draft with a consultation and its published text (anything else: 404).
pub async fn public_consultation(
    state: &AppState,
    id: i64,
) -> Result<(Item, ConsultationRow, String, Version), AppError> {
    let item = state.store.get_item(id).await?;
    if item.status != "published" || item.scope != "public" {
        return Err(AppError::NotFound);
    }
    let k = state
        .store
        .consultation_of(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let version = state
        .store
        .get_version(item.published_version_id.ok_or(AppError::NotFound)?)
        .await?;
    let body_name = state.store.get_body(item.body_id).await?.name;
    Ok((item, k, body_name, version))
}

/// The final version, when it is published and public.
async fn public_final(state: &AppState, k: &ConsultationRow) -> Result<Option<Item>, AppError> {
    let Some(f) = k.final_item_id else {
        return Ok(None);
    };
    let item = state.store.get_item(f).await?;
    Ok(
        (item.status == "published" && item.scope == "public" && k.feedback_at.is_some())
            .then_some(item),
    )
}

/// One paragraph of the draft with its visible comments.
pub struct ParagraphView {
    pub n: u32,
    pub html: String,
    /// Its first words, to name it in the form's choice.
    pub preview: String,
    pub comments: Vec<CommentRow>,
}

/// A group of the published 意见采纳情况 with its comments.
pub struct GroupView {
    pub g: GroupRow,
    pub comments: Vec<CommentRow>,
}

#[derive(Template, WebTemplate)]
#[template(path = "public/consultation.html")]
pub struct ConsultationPage {
    pub chrome: Chrome,
    pub item: Item,
    pub body_name: String,
    pub k: ConsultationRow,
    pub state: &'static str,
    pub open: bool,
    pub pre_moderated: bool,
    pub explanation_html: String,
    pub whole: Vec<CommentRow>,
    pub paragraphs: Vec<ParagraphView>,
    pub visible: usize,
    /// Reasons of the comments not shown.
    pub hidden: Vec<String>,
    pub groups: Vec<GroupView>,
    pub final_item: Option<Item>,
    pub input: CommentInput,
    pub errors: FormErrors,
}

fn preview(p: &str) -> String {
    let flat: String = p
        .chars()
        .filter(|c| !matches!(c, '#' | '*' | '>' | '|' | '\n'))
        .collect();
    let flat = flat.trim();
    let short: String = flat.chars().take(18).collect();
    if flat.chars().count() > 18 {
        format!("{short}…")
    } else {
        short
    }
}

async fn consultation_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&crate::auth::Authed>,
    id: i64,
    input: CommentInput,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (item, k, body_name, version) = public_consultation(state, id).await?;
    let comments = state.store.comments_of(id).await?;
    let settings = state.store.body_settings(item.body_id).await?;
    let hidden = comments
        .iter()
        .filter(|c| c.status == "hidden")
        .map(|c| c.hidden_reason.clone())
        .collect();
    let visible: Vec<CommentRow> = comments.into_iter().filter(|c| c.visible()).collect();
    let paragraphs = dc::paragraphs(&version.body_md)
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let n = i as u32 + 1;
            ParagraphView {
                n,
                html: markdown(p),
                preview: preview(p),
                comments: visible
                    .iter()
                    .filter(|c| c.paragraph == i64::from(n))
                    .cloned()
                    .collect(),
            }
        })
        .collect();
    let groups = if k.feedback_at.is_some() {
        state
            .store
            .groups_of(id)
            .await?
            .into_iter()
            .map(|g| GroupView {
                comments: visible
                    .iter()
                    .filter(|c| c.group_id == Some(g.id))
                    .cloned()
                    .collect(),
                g,
            })
            .collect()
    } else {
        Vec::new()
    };
    let final_item = public_final(state, &k).await?;
    let (token, set) = crate::auth::form_token(state, headers, a);
    let mut chrome = Chrome::public(state, &format!("征求意见：{}", item.title), a);
    chrome.csrf = token;
    let day = today();
    let mut r = ConsultationPage {
        chrome,
        state: k.state_label(day),
        open: k.phase(day) == Phase::Open,
        pre_moderated: settings.moderation() == dc::Moderation::Pre,
        explanation_html: markdown(&k.explanation),
        whole: visible
            .iter()
            .filter(|c| c.paragraph == 0)
            .cloned()
            .collect(),
        visible: visible.len(),
        paragraphs,
        hidden,
        groups,
        final_item,
        item,
        body_name,
        k,
        input,
        errors,
    }
    .into_response();
    *r.status_mut() = status;
    Ok(crate::handlers::notice_periods::no_store(
        crate::auth::with_cookie(r, set),
    ))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ParagraphQuery {
    pub paragraph: String,
}

/// `GET /items/{id}/consultation[?paragraph=N]`: the draft, its comments and where it stands.
pub async fn view_consultation(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<ParagraphQuery>,
) -> Result<Response, AppError> {
    let input = CommentInput {
        paragraph: q.paragraph,
        ..Default::default()
    };
    consultation_page(
        &state,
        &headers,
        a.as_ref(),
        id,
        input,
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "public/consultation_receipt.html")]
pub struct CommentReceipt {
    pub chrome: Chrome,
    pub item: Item,
    pub number: String,
    pub held: bool,
}

/// Check a comment against the draft's paragraphs (the form and the API).
pub async fn check_comment(
    state: &AppState,
    id: i64,
    input: &CommentInput,
) -> Result<Result<ValidComment, gongkai_domain::body::FieldErrors>, AppError> {
    let (_, _, _, version) = public_consultation(state, id).await?;
    Ok(input.validate(dc::paragraphs(&version.body_md).len()))
}

/// Store a checked comment on draft `id`: the per-address limit, name and contact sealed, held
/// or shown as the body moderates, committed before the caller answers. Returns its number and
/// whether it waits for a moderator. `BadRequest` outside the window.
pub async fn submit_comment(
    state: &AppState,
    id: i64,
    valid: &ValidComment,
    ip: &str,
) -> Result<(String, bool), AppError> {
    if !state.submissions.allow(ip) {
        return Err(AppError::TooManyRequests(
            "提交过于频繁，请稍后再试（您填写的内容未丢失，可稍后重新提交）".into(),
        ));
    }
    let item = state.store.get_item(id).await?;
    let moderation = state.store.body_settings(item.body_id).await?.moderation();
    let (status, reason) = dc::initial_status(moderation, valid.links);
    let who = Who::public(ip);
    match state
        .store
        .add_comment(
            id,
            valid,
            &state.seal.seal(&valid.name),
            &state.seal.seal(&valid.contact),
            status,
            reason,
            today(),
            &who,
        )
        .await
    {
        Ok(n) => Ok((n, status == dc::CommentStatus::Held)),
        Err(StoreError::Invalid(m)) => Err(AppError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /items/{id}/consultation`: a comment. Stored before the receipt is shown; refused
/// outside the window; bad input comes back with what was typed.
pub async fn post_comment(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(input): Form<CommentInput>,
) -> Result<Response, AppError> {
    let redisplay = |errors: FormErrors, status: StatusCode| {
        let state = state.clone();
        let a = a.clone();
        let input = input.clone();
        let headers = headers.clone();
        async move { consultation_page(&state, &headers, a.as_ref(), id, input, errors, status).await }
    };
    let item = state.store.get_item(id).await?;
    let valid = match check_comment(&state, id, &input).await? {
        Ok(v) => v,
        Err(errs) => {
            let mut f = FormErrors::default();
            for (k, m) in errs {
                f.field(k, m);
            }
            return redisplay(f, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let (number, held) = match submit_comment(&state, id, &valid, &ip).await {
        Ok(n) => n,
        Err(AppError::TooManyRequests(m)) => {
            return redisplay(FormErrors::general(m), StatusCode::TOO_MANY_REQUESTS).await;
        }
        Err(AppError::BadRequest(m)) => {
            return redisplay(FormErrors::general(m), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e),
    };
    // Committed: only now is the receipt shown (its title read before the write, so nothing can
    // fail after it).
    Ok(crate::handlers::notice_periods::no_store(
        CommentReceipt {
            chrome: Chrome::public(&state, "意见已收到", a.as_ref()),
            item,
            number,
            held,
        }
        .into_response(),
    ))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/consultation_diff.html")]
pub struct ConsultationDiff {
    pub chrome: Chrome,
    pub item: Item,
    pub final_item: Item,
    pub lines: Vec<DiffLine>,
    pub title_changed: bool,
    pub final_title: String,
}

/// `GET /items/{id}/consultation/diff`: the draft's text against the final version's.
pub async fn view_diff(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (item, k, _, draft) = public_consultation(&state, id).await?;
    let final_item = public_final(&state, &k).await?.ok_or(AppError::NotFound)?;
    let fin = state
        .store
        .get_version(final_item.published_version_id.ok_or(AppError::NotFound)?)
        .await?;
    Ok(ConsultationDiff {
        chrome: Chrome::public(
            &state,
            &format!("修改对比：{}", final_item.title),
            a.as_ref(),
        ),
        lines: diff_lines(&draft.body_md, &fin.body_md),
        title_changed: draft.title != fin.title,
        final_title: fin.title,
        item,
        final_item,
    }
    .into_response())
}

/// `/consultations`: drafts open for comment (soonest close first), coming, and closed (latest
/// first) with whether their feedback is out.
#[derive(Template, WebTemplate)]
#[template(path = "public/consultations.html")]
pub struct ConsultationsPage {
    pub chrome: Chrome,
    pub open: Vec<ConsultationListRow>,
    pub coming: Vec<ConsultationListRow>,
    pub closed: Vec<ConsultationListRow>,
}

pub async fn view_consultations(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<Response, AppError> {
    let (open, coming, closed) = crate::handlers::notice_periods::by_phase(
        state.store.list_consultations(500).await?,
        |k| (k.start_on.as_str(), k.end_on.as_str()),
    );
    let mut chrome = Chrome::public(&state, "征求意见", a.as_ref());
    chrome.feed = Some(("征求意见".into(), "/feeds/consultations.atom".into()));
    Ok(crate::handlers::notice_periods::no_store(
        ConsultationsPage {
            chrome,
            open,
            coming,
            closed,
        }
        .into_response(),
    ))
}

/// `/feeds/consultations.atom`: drafts as they are opened for comment.
pub async fn consultations_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    use crate::handlers::feeds::{Entry, Feed, render, rfc3339};
    let mut rows = state.store.list_consultations(50).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.first_published_at));
    render(Feed {
        base: crate::handlers::public_items::site_base(&state, &headers),
        self_path: "/feeds/consultations.atom".into(),
        alternate: "/consultations".into(),
        title: format!("{} · 征求意见", state.config.site_name),
        updated: rfc3339(rows.first().and_then(|r| r.first_published_at)),
        entries: rows
            .into_iter()
            .map(|r| Entry {
                path: format!("/items/{}/consultation", r.item_id),
                updated: rfc3339(r.first_published_at),
                title: format!("{}（征求意见{}至{}）", r.title, r.start_on, r.end_on),
                body_name: r.body_name,
                doc_no: String::new(),
                index_no: String::new(),
                withdrawn: false,
            })
            .collect(),
    })
}

// ---------------------------------------------------------------------------------------------
// Back office
// ---------------------------------------------------------------------------------------------

/// A comment with its sender opened for the body's 信息员.
pub struct OpenedComment {
    pub c: CommentRow,
    pub name: String,
    pub contact: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct WindowForm {
    pub start: String,
    pub days: String,
    pub unit: String,
    pub explanation: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FlagQuery {
    pub done: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "items/consultation_admin.html")]
pub struct ConsultationAdminPage {
    pub chrome: Chrome,
    pub item: Item,
    pub k: Option<ConsultationRow>,
    pub state: &'static str,
    pub can_edit: bool,
    pub can_set: bool,
    pub closed: bool,
    pub moderation: &'static str,
    pub comments: Vec<OpenedComment>,
    pub groups: Vec<GroupRow>,
    pub blockers: Vec<String>,
    pub final_item: Option<Item>,
    pub candidates: Vec<gongkai_store::disclosure::ItemListRow>,
    pub dispositions: Vec<(&'static str, &'static str)>,
    pub form: WindowForm,
    pub units: [(&'static str, &'static str); 2],
    /// The groups may still change (the feedback is not published).
    pub feedback_open: bool,
    pub done: String,
    pub error: String,
}

async fn admin_page(
    state: &AppState,
    a: &crate::auth::Authed,
    id: i64,
    q: FlagQuery,
    form: Option<WindowForm>,
) -> Result<ConsultationAdminPage, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can_any(ITEM_READERS, &body.path) {
        return Err(AppError::NotFound);
    }
    let day = today();
    let k = state.store.consultation_of(id).await?;
    let can_edit = a.actor.can(Permission::EditItems, &body.path);
    let can_set = can_edit && k.as_ref().is_none_or(|k| k.start() > day);
    let closed = k.as_ref().is_some_and(|k| k.end() < day);
    let raw = state.store.comments_of(id).await?;
    let groups = state.store.groups_of(id).await?;
    let blockers = match &k {
        Some(k) if k.feedback_at.is_none() => dc::feedback_blockers(
            k.end(),
            day,
            raw.iter().filter(|c| c.status == "held").count(),
            raw.iter()
                .filter(|c| c.visible() && c.group_id.is_none())
                .count(),
            groups.len(),
            raw.iter().filter(|c| c.visible()).count(),
        ),
        _ => Vec::new(),
    };
    let comments = raw
        .into_iter()
        .map(|c| {
            let open = |s: &str| {
                if can_edit {
                    state.seal.open(s).unwrap_or_else(|_| "（无法解密）".into())
                } else {
                    "（仅信息员可见）".into()
                }
            };
            OpenedComment {
                name: open(&c.name_sealed),
                contact: open(&c.contact_sealed),
                c,
            }
        })
        .collect();
    let final_item = match k.as_ref().and_then(|k| k.final_item_id) {
        Some(f) => Some(state.store.get_item(f).await?),
        None => None,
    };
    // Candidates for the final version: the body's other items not yet published.
    let candidates = if closed && final_item.is_none() && can_edit {
        state
            .store
            .list_items_admin(
                &gongkai_domain::access::Scope {
                    roots: vec![body.path.clone()],
                },
                None,
                200,
            )
            .await?
            .into_iter()
            .filter(|r| r.body_id == body.id && r.id != id && r.status != "published")
            .collect()
    } else {
        Vec::new()
    };
    let form = form.unwrap_or_else(|| match &k {
        Some(k) => WindowForm {
            start: k.start_on.clone(),
            days: k.days.to_string(),
            unit: k.unit.clone(),
            explanation: k.explanation.clone(),
        },
        None => WindowForm::default(),
    });
    let settings = state.store.body_settings(body.id).await?;
    Ok(ConsultationAdminPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("征求意见：{}", item.title),
            "/admin/items",
        )
        .await,
        state: k.as_ref().map_or("未设置", |k| k.state_label(day)),
        feedback_open: k.as_ref().is_some_and(|k| k.feedback_at.is_none()),
        moderation: settings.moderation().label(),
        item,
        k,
        can_edit,
        can_set,
        closed,
        comments,
        groups,
        blockers,
        final_item,
        candidates,
        dispositions: Disposition::ALL
            .iter()
            .map(|d| (d.as_str(), d.label()))
            .collect(),
        form,
        units: units(),
        done: q.done,
        error: q.error,
    })
}

pub async fn view_consultation_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<FlagQuery>,
) -> Result<ConsultationAdminPage, AppError> {
    admin_page(&state, &a, id, q, None).await
}

fn back(id: i64, flag: &str, value: &str) -> Response {
    crate::views::back_to(&format!("/admin/items/{id}/consultation"), flag, value)
}

/// The item and whether `a` is its body's 信息员 (otherwise `Forbidden`).
async fn editable(state: &AppState, a: &crate::auth::Authed, id: i64) -> Result<Item, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    Ok(item)
}

/// Store errors a form shows as a message.
fn answer(id: i64, r: Result<&str, StoreError>) -> Result<Response, AppError> {
    answer_to(back, id, r)
}

/// As `answer`, to the page `back` leads to.
fn answer_to(
    back: impl Fn(i64, &str, &str) -> Response,
    id: i64,
    r: Result<&str, StoreError>,
) -> Result<Response, AppError> {
    match r {
        Ok(done) => Ok(back(id, "done", done)),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(back(id, "error", &m)),
        Err(e) => Err(e.into()),
    }
}

/// Set the window and 起草说明 (信息员, until the window opens). Bad input comes back with
/// what was typed.
pub async fn post_window(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<WindowForm>,
) -> Result<Response, AppError> {
    let item = editable(&state, &a, id).await?;
    let earliest = crate::handlers::notice_periods::earliest_start(&item);
    let redisplay = |message: String| {
        let state = state.clone();
        let a = a.clone();
        let f = f.clone();
        async move {
            let q = FlagQuery {
                error: message,
                ..Default::default()
            };
            let mut r = admin_page(&state, &a, id, q, Some(f))
                .await?
                .into_response();
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok::<Response, AppError>(r)
        }
    };
    let valid = match dc::check_window(
        &state.calendar(),
        &f.start,
        &f.days,
        &f.unit,
        &f.explanation,
        earliest,
    ) {
        Ok(v) => v,
        Err(errs) => {
            return redisplay(
                errs.into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join("；"),
            )
            .await;
        }
    };
    match state
        .store
        .set_consultation(id, &valid, today(), &a.who())
        .await
    {
        Ok(()) => Ok(back(
            id,
            "done",
            &dc::explain_window(valid.start, valid.end),
        )),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => redisplay(m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ModerateForm {
    /// `show` or `hide`.
    pub action: String,
    pub reason: String,
    /// `queue`: answer on the moderation queue across drafts instead of the draft's page.
    #[serde(default)]
    pub next: String,
    /// The comment's state on the page acted on (`held`, `visible`, `hidden`).
    #[serde(default)]
    pub expect: String,
}

/// Publish a held comment, or hide one with a reason (信息员).
pub async fn post_moderate(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, cid)): Path<(i64, i64)>,
    Form(f): Form<ModerateForm>,
) -> Result<Response, AppError> {
    editable(&state, &a, id).await?;
    let queue = f.next == "queue";
    let back = |id: i64, flag: &str, value: &str| {
        if queue {
            crate::handlers::comment_queue::back(flag, value)
        } else {
            back(id, flag, value)
        }
    };
    let action = match f.action.as_str() {
        "show" => Moderate::Show,
        "hide" => {
            let reason = f.reason.trim();
            if reason.is_empty() || reason.chars().count() > 200 {
                return Ok(back(
                    id,
                    "error",
                    "隐藏意见须填写理由（不超过200字），理由将留存备查",
                ));
            }
            Moderate::Hide(reason.into())
        }
        _ => return Err(AppError::BadRequest("未知的审核操作".into())),
    };
    let done = if action == Moderate::Show {
        "意见已公开显示"
    } else {
        "意见已隐藏，理由已记录"
    };
    answer_to(
        back,
        id,
        state
            .store
            .moderate_comment(
                id,
                cid,
                &action,
                Some(f.expect.as_str()).filter(|e| !e.is_empty()),
                &a.who(),
            )
            .await
            .map(|_| done),
    )
}

/// The group form: a theme, a disposition, a reason and the comments it holds (`comment` once
/// per ticked comment).
pub async fn post_group(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> Result<Response, AppError> {
    editable(&state, &a, id).await?;
    let f = GroupForm::parse(&body);
    let g = match dc::check_group(&f.theme, &f.disposition, &f.reason) {
        Ok(g) => g,
        Err(e) => {
            return Ok(back(
                id,
                "error",
                &e.into_iter().map(|(_, m)| m).collect::<Vec<_>>().join("；"),
            ));
        }
    };
    let ids: Vec<i64> = f.comment.iter().filter_map(|c| c.parse().ok()).collect();
    answer(
        id,
        state
            .store
            .add_group(id, &g, &ids, today(), &a.who())
            .await
            .map(|_| "已添加意见归类"),
    )
}

#[derive(Debug, Default)]
pub struct GroupForm {
    pub theme: String,
    pub disposition: String,
    pub reason: String,
    pub comment: Vec<String>,
}

impl GroupForm {
    /// The form's fields; `comment` repeats (one per ticked comment).
    fn parse(body: &[u8]) -> GroupForm {
        let mut f = GroupForm::default();
        for (k, v) in form_urlencoded::parse(body) {
            match k.as_ref() {
                "theme" => f.theme = v.into_owned(),
                "disposition" => f.disposition = v.into_owned(),
                "reason" => f.reason = v.into_owned(),
                "comment" => f.comment.push(v.into_owned()),
                _ => {}
            }
        }
        f
    }
}

pub async fn post_delete_group(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, gid)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    editable(&state, &a, id).await?;
    answer(
        id,
        state
            .store
            .delete_group(id, gid, &a.who())
            .await
            .map(|_| "已删除该归类，其中的意见待重新归类"),
    )
}

/// Publish the 意见采纳情况 (信息员; once, when nothing blocks it).
pub async fn post_feedback(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    editable(&state, &a, id).await?;
    answer(
        id,
        state
            .store
            .publish_feedback(id, today(), &a.who())
            .await
            .map(|_| "意见采纳情况已公布，并记入公开台账"),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FinalForm {
    pub final_id: String,
}

/// Link the final version (信息员, after the window).
pub async fn post_final(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<FinalForm>,
) -> Result<Response, AppError> {
    editable(&state, &a, id).await?;
    let Some(final_id) = f.final_id.trim().parse::<i64>().ok().filter(|v| *v > 0) else {
        return Ok(back(id, "error", "请选择最终版本"));
    };
    answer(
        id,
        state
            .store
            .link_final(id, final_id, today(), &a.who())
            .await
            .map(|_| "已关联最终版本；意见采纳情况公布后方可审批发布"),
    )
}

/// The labels of the window form's units.
pub fn units() -> [(&'static str, &'static str); 2] {
    [
        (DayUnit::Calendar.as_str(), "自然日（末日为休息日的顺延）"),
        (DayUnit::Working.as_str(), "工作日"),
    ]
}
