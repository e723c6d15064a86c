//! 信箱 on the public portal: the mailboxes and their statistics (`/letters`), the form
//! (`/mailboxes/{id}/write`, with attachments) and its receipt, the writer's view with the
//! tracking number and secret (reply, rating, reopening), the published letters (选登) and
//! their feed. A letter is committed — files first — before its receipt is sent.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use gongkai_domain::audit::Who;
use gongkai_domain::letters::{self as dl, LetterInput, Rating};
use gongkai_store::StoreError;
use gongkai_store::letters::{
    Letter, LetterAction, LetterEventRow, Mailbox, NewLetter, NewLetterFile, PublishedLetter,
};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Ip, MaybeAuthed, form_token, with_cookie};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::handlers::applications::{secret_hash, tracking_secret};
use crate::views::{Chrome, FormErrors};

/// At most this many files with one letter.
pub const MAX_FILES: usize = 5;

/// A file sent with a letter, as uploaded.
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Validate, seal (or envelope, for a 举报) and store a letter. Shared by the form and the API.
/// Over the per-address limit the answer is `TooManyRequests`; refused input is `Ok(Err(..))`.
pub async fn submit_letter(
    state: &AppState,
    mailbox_id: i64,
    input: &LetterInput,
    files: Vec<Upload>,
    ip: &str,
) -> Result<Result<(Letter, String), FormErrors>, AppError> {
    let mb = match state.store.get_mailbox(mailbox_id).await {
        Ok(m) if m.active => m,
        Ok(_) | Err(StoreError::NotFound) => {
            let mut f = FormErrors::default();
            f.field("mailbox_id", "该信箱不存在或已停用");
            return Ok(Err(f));
        }
        Err(e) => return Err(e.into()),
    };
    let v = match input.validate(mb.anonymous_allowed) {
        Ok(v) => v,
        Err(errs) => {
            let mut f = FormErrors::default();
            for (k, m) in errs {
                f.field(k, m);
            }
            return Ok(Err(f));
        }
    };
    if files.len() > MAX_FILES {
        let mut f = FormErrors::default();
        f.field("files", format!("附件最多{MAX_FILES}个"));
        return Ok(Err(f));
    }
    let mut checked = Vec::new();
    for u in files {
        if u.name.is_empty() || u.name.chars().count() > 120 {
            let mut f = FormErrors::default();
            f.field("files", "附件文件名不能为空或超过120个字");
            return Ok(Err(f));
        }
        match gongkai_files::sniff(&u.bytes, &u.name) {
            Ok(kind) => checked.push((u, kind)),
            Err(m) => {
                let mut f = FormErrors::default();
                f.field("files", format!("“{}”：{m}", u.name));
                return Ok(Err(f));
            }
        }
    }
    // One limit per client address for every public submission; refused input does not count.
    if !state.submissions.allow(ip) {
        return Err(AppError::TooManyRequests(
            "提交过于频繁，请稍后再试（您填写的内容未丢失，可稍后重新提交）".into(),
        ));
    }
    let writer_json = serde_json::to_string(&v.writer).unwrap_or_default();
    let report = mb.is_report();
    // A 举报's identity and files are sealed by a key of their own, wrapped by the report key.
    let (letter_key, envelope) = if report {
        let current = state
            .report_keys
            .first()
            .ok_or_else(|| AppError::Unavailable("举报密钥未配置，暂不能受理举报".into()))?;
        let (k, e) = dl::new_envelope(current);
        (Some(k), Some(e))
    } else {
        (None, None)
    };
    let tag_key = match (&letter_key, state.report_keys.first()) {
        (Some(_), Some(r)) => r,
        _ => &*state.seal,
    };
    let writer_tag = match v.writer.contact_key() {
        Some(c) => tag_key.tag(&format!("contact:{c}")),
        None => tag_key.tag(&format!("addr:{ip}")),
    };
    let writer_sealed = match (&letter_key, v.writer.is_empty()) {
        (Some(k), _) => k.seal(&writer_json),
        (None, true) => String::new(),
        (None, false) => state.seal.seal(&writer_json),
    };
    let mut stored = Vec::new();
    for (u, kind) in checked {
        let size = i64::try_from(u.bytes.len()).unwrap_or(i64::MAX);
        let bytes = match &letter_key {
            Some(k) => k.seal_bytes(&u.bytes),
            None => u.bytes,
        };
        // The file is durably stored (fsync) before the letter that names it is committed.
        let sha256 = state
            .blobs
            .put(bytes)
            .await
            .map_err(|e| AppError::Internal(e.to_string()))?;
        stored.push(NewLetterFile {
            // A 举报's file names can name people too: sealed with the letter key.
            name: match &letter_key {
                Some(k) => k.seal(&u.name),
                None => u.name,
            },
            mime: kind.mime().to_string(),
            size,
            sha256,
            sealed: letter_key.is_some(),
        });
    }
    let secret = tracking_secret();
    let new = NewLetter {
        mailbox_id: mb.id,
        subject: v.subject,
        content: v.content,
        anonymous: v.anonymous,
        writer_name: if report { String::new() } else { v.writer.name },
        writer_sealed,
        writer_tag,
        envelope,
        consent_publish: v.consent_publish,
        received_on: today(),
        secret_hash: secret_hash(&secret),
        files: stored,
    };
    let who = Who {
        user_id: None,
        name: "public".into(),
        // A whistle-blower's address is identity too: it is not written to the audit log.
        ip: if report {
            String::new()
        } else {
            ip.to_string()
        },
    };
    let (id, _) = match state
        .store
        .create_letter(&new, &state.calendar(), &who)
        .await
    {
        Ok(x) => x,
        Err(StoreError::Invalid(m)) => return Err(AppError::Unavailable(m)),
        Err(e) => return Err(e.into()),
    };
    Ok(Ok((state.store.get_letter(id).await?, secret)))
}

/// The letter named by number and secret, or None (the same answer whether the number exists).
pub async fn find_own_letter(
    state: &AppState,
    number: &str,
    secret: &str,
) -> Result<Option<Letter>, AppError> {
    let found = state.store.find_letter(number).await?;
    Ok(found.filter(|l| crate::auth::constant_eq(&l.secret_hash, &secret_hash(secret))))
}

/// A mailbox with its body's name and, when there are enough letters, this year's figures.
pub struct MailboxView {
    pub mailbox: Mailbox,
    pub body_name: String,
    pub stats: Option<StatsView>,
}

/// Statistics as shown.
pub struct StatsView {
    pub received: usize,
    pub replied: usize,
    pub on_time: String,
    pub avg_days: String,
    pub satisfaction: String,
    pub rated: usize,
}

impl StatsView {
    pub fn from(s: &dl::Stats) -> StatsView {
        let pct = |v: Option<f64>| v.map_or("—".to_string(), |p| format!("{p:.1}%"));
        StatsView {
            received: s.received,
            replied: s.replied,
            on_time: pct(s.on_time_pct()),
            avg_days: s
                .avg_working_days
                .map_or("—".to_string(), |d| format!("{d:.1}")),
            satisfaction: pct(s.satisfaction_pct()),
            rated: s.rated,
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/index.html")]
pub struct IndexPage {
    pub chrome: Chrome,
    pub year: i32,
    pub mailboxes: Vec<MailboxView>,
    pub bodies: Vec<(String, Option<StatsView>)>,
    pub published: Vec<PublishedLetter>,
    pub min_stats: usize,
}

/// Statistics of this year per mailbox and per body (None below the threshold).
pub async fn year_stats(
    state: &AppState,
    year: i32,
) -> Result<
    (
        std::collections::BTreeMap<i64, Option<dl::Stats>>,
        std::collections::BTreeMap<i64, Option<dl::Stats>>,
    ),
    AppError,
> {
    let facts = state.store.letter_facts(year).await?;
    let cal = state.calendar();
    let mut by_mailbox: std::collections::BTreeMap<i64, Vec<dl::LetterFacts>> = Default::default();
    let mut by_body: std::collections::BTreeMap<i64, Vec<dl::LetterFacts>> = Default::default();
    for (m, b, f) in facts {
        by_mailbox.entry(m).or_default().push(f.clone());
        by_body.entry(b).or_default().push(f);
    }
    Ok((
        by_mailbox
            .into_iter()
            .map(|(k, v)| (k, dl::stats(&cal, &v)))
            .collect(),
        by_body
            .into_iter()
            .map(|(k, v)| (k, dl::stats(&cal, &v)))
            .collect(),
    ))
}

pub async fn view_letters(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<Response, AppError> {
    let year = today().year();
    let (mstats, bstats) = year_stats(&state, year).await?;
    let bodies = state.store.list_bodies().await?;
    let name_of = |id: i64| {
        bodies
            .iter()
            .find(|b| b.id == id)
            .map(|b| b.name.clone())
            .unwrap_or_default()
    };
    let mailboxes: Vec<MailboxView> = state
        .store
        .list_mailboxes(true)
        .await?
        .into_iter()
        .map(|m| MailboxView {
            body_name: name_of(m.body_id),
            stats: mstats
                .get(&m.id)
                .and_then(|s| s.as_ref())
                .map(StatsView::from),
            mailbox: m,
        })
        .collect();
    let mut body_ids: Vec<i64> = mailboxes.iter().map(|m| m.mailbox.body_id).collect();
    body_ids.dedup();
    let mut chrome = Chrome::public(&state, "政民互动 · 信箱", a.as_ref());
    chrome.feed = Some(("来信选登".into(), "/feeds/letters.atom".into()));
    let page = IndexPage {
        chrome,
        year,
        bodies: body_ids
            .into_iter()
            .map(|b| {
                (
                    name_of(b),
                    bstats.get(&b).and_then(|s| s.as_ref()).map(StatsView::from),
                )
            })
            .collect(),
        mailboxes,
        published: state.store.published_letters(None, 20).await?,
        min_stats: dl::MIN_STATS,
    };
    Ok(page.into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/write.html")]
pub struct WritePage {
    pub chrome: Chrome,
    pub mailbox: Mailbox,
    pub body_name: String,
    pub input: LetterInput,
    pub errors: FormErrors,
    pub max_files: usize,
    pub max_mb: usize,
}

async fn write_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&Authed>,
    mailbox: Mailbox,
    input: LetterInput,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (token, set) = form_token(state, headers, a);
    let mut chrome = Chrome::public(state, &format!("写信：{}", mailbox.name), a);
    chrome.csrf = token;
    let body_name = state.store.get_body(mailbox.body_id).await?.name;
    let page = WritePage {
        chrome,
        body_name,
        mailbox,
        input,
        errors,
        max_files: MAX_FILES,
        max_mb: state.config.max_upload_bytes / 1024 / 1024,
    };
    Ok(with_cookie((status, page).into_response(), set))
}

async fn active_mailbox(state: &AppState, id: i64) -> Result<Mailbox, AppError> {
    let m = state.store.get_mailbox(id).await?;
    if !m.active {
        return Err(AppError::NotFound);
    }
    Ok(m)
}

pub async fn view_write_get(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let m = active_mailbox(&state, id).await?;
    write_page(
        &state,
        &headers,
        a.as_ref(),
        m,
        LetterInput::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/receipt.html")]
pub struct ReceiptPage {
    pub chrome: Chrome,
    pub letter: Letter,
    pub mailbox: Mailbox,
    pub secret: String,
}

/// The form is multipart (attachments); its fields are read in any order.
async fn read_form(mut mp: Multipart) -> Result<(LetterInput, Vec<Upload>, bool), String> {
    let mut input = LetterInput::default();
    let mut files = Vec::new();
    let mut honeypot = false;
    loop {
        let field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err("上传失败：附件过大或上传中断".into()),
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "files" {
            let file_name = field
                .file_name()
                .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
                .unwrap_or_default();
            let bytes = field
                .bytes()
                .await
                .map_err(|_| "上传失败：附件过大或上传中断".to_string())?;
            if !bytes.is_empty() {
                files.push(Upload {
                    name: file_name,
                    bytes: bytes.to_vec(),
                });
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "subject" => input.subject = value,
            "content" => input.content = value,
            "anonymous" => input.anonymous = !value.is_empty(),
            "name" => input.name = value,
            "phone" => input.phone = value,
            "email" => input.email = value,
            "address" => input.address = value,
            "consent_publish" => input.consent_publish = !value.is_empty(),
            // A field people never see; software that fills every field fills it.
            "website" => honeypot = !value.trim().is_empty(),
            _ => {}
        }
    }
    Ok((input, files, honeypot))
}

pub async fn view_write_post(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, AppError> {
    let m = active_mailbox(&state, id).await?;
    let (input, files, honeypot) = match read_form(mp).await {
        Ok(x) => x,
        Err(msg) => {
            return write_page(
                &state,
                &headers,
                a.as_ref(),
                m,
                LetterInput::default(),
                FormErrors::general(msg),
                StatusCode::PAYLOAD_TOO_LARGE,
            )
            .await;
        }
    };
    if honeypot {
        return write_page(
            &state,
            &headers,
            a.as_ref(),
            m,
            input,
            FormErrors::general("提交未被受理，请刷新页面后重新填写"),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    match submit_letter(&state, id, &input, files, &ip).await {
        Err(AppError::TooManyRequests(msg)) => {
            write_page(
                &state,
                &headers,
                a.as_ref(),
                m,
                input,
                FormErrors::general(msg),
                StatusCode::TOO_MANY_REQUESTS,
            )
            .await
        }
        Err(e) => Err(e),
        Ok(Err(errors)) => {
            write_page(
                &state,
                &headers,
                a.as_ref(),
                m,
                input,
                errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Ok(Ok((letter, secret))) => {
            // The letter is committed; only now is the receipt shown.
            let mut r = ReceiptPage {
                chrome: Chrome::public(&state, "来信已提交", a.as_ref()),
                letter,
                mailbox: m,
                secret,
            }
            .into_response();
            r.headers_mut().insert(
                axum::http::header::CACHE_CONTROL,
                axum::http::HeaderValue::from_static("no-store"),
            );
            Ok(r)
        }
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/track.html")]
pub struct TrackPage {
    pub chrome: Chrome,
    pub number: String,
    pub secret: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub letter: Option<Letter>,
    pub mailbox_name: String,
    pub events: Vec<LetterEventRow>,
    pub explanation: Vec<String>,
    pub can_rate: bool,
    pub can_reopen: bool,
    pub reopen_until: String,
    pub ratings: Vec<(&'static str, &'static str)>,
}

#[derive(Deserialize, Default)]
pub struct TrackForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub reason: String,
}

/// The reply clock's explanation of a letter.
pub async fn letter_explanation(state: &AppState, l: &Letter) -> Result<Vec<String>, AppError> {
    let received = chrono::NaiveDate::parse_from_str(&l.received_on, "%Y-%m-%d").unwrap_or(today());
    Ok(
        match dl::clock(
            &state.calendar(),
            &l.rule(),
            received,
            if l.reopened {
                0
            } else {
                u32::try_from(l.extended).unwrap_or(0)
            },
        ) {
            Ok(c) => {
                let mut lines = c.explanation;
                if l.reopened {
                    lines.push(format!("来信人申请重新办理，新的答复期限至 {}", l.due_on));
                }
                lines
            }
            Err(e) => vec![e.to_string()],
        },
    )
}

async fn track_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&Authed>,
    f: &TrackForm,
    found: Option<Letter>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let (token, set) = form_token(state, headers, a);
    let mut chrome = Chrome::public(state, "来信办理进度查询", a);
    chrome.csrf = token;
    let (events, explanation, mailbox_name) = match &found {
        Some(l) => (
            state
                .store
                .letter_events(l.id)
                .await?
                .into_iter()
                .filter(LetterEventRow::is_public)
                .collect(),
            letter_explanation(state, l).await?,
            state.store.get_mailbox(l.mailbox_id).await?.name,
        ),
        None => (vec![], vec![], String::new()),
    };
    let today = today();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = TrackPage {
        chrome,
        number: f.number.trim().to_string(),
        secret: if found.is_some() {
            f.secret.trim().to_string()
        } else {
            String::new()
        },
        error,
        notice,
        can_rate: found
            .as_ref()
            .is_some_and(|l| l.status == "replied" && l.rated_on.is_none()),
        can_reopen: found.as_ref().is_some_and(|l| l.can_reopen(today)),
        reopen_until: found
            .as_ref()
            .and_then(Letter::reopen_until)
            .map(|d| d.to_string())
            .unwrap_or_default(),
        ratings: Rating::ALL
            .iter()
            .map(|r| (r.as_str(), r.label()))
            .collect(),
        letter: found,
        mailbox_name,
        events,
        explanation,
    };
    let mut r = with_cookie((status, page).into_response(), set);
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

pub async fn view_track_get(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    track_page(
        &state,
        &headers,
        a.as_ref(),
        &TrackForm::default(),
        None,
        None,
        None,
    )
    .await
}

pub async fn view_track_post(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    axum::Form(f): axum::Form<TrackForm>,
) -> Result<Response, AppError> {
    let found = find_own_letter(&state, &f.number, &f.secret).await?;
    let error = found
        .is_none()
        .then(|| "编号或查询密码不正确，请核对后重试".to_string());
    track_page(&state, &headers, a.as_ref(), &f, found, error, None).await
}

/// The writer rates the reply or asks to reopen it.
pub async fn track_action(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Path(action): Path<String>,
    axum::Form(f): axum::Form<TrackForm>,
) -> Result<Response, AppError> {
    let Some(l) = find_own_letter(&state, &f.number, &f.secret).await? else {
        return track_page(
            &state,
            &headers,
            a.as_ref(),
            &f,
            None,
            Some("编号或查询密码不正确，请核对后重试".into()),
            None,
        )
        .await;
    };
    let (act, done) = match action.as_str() {
        "rate" => match Rating::parse(&f.rating) {
            Some(r) => (LetterAction::Rate { rating: r }, "感谢您的评价。"),
            None => {
                return track_page(
                    &state,
                    &headers,
                    a.as_ref(),
                    &f,
                    Some(l),
                    Some("请选择评价".into()),
                    None,
                )
                .await;
            }
        },
        "reopen" => (
            LetterAction::Reopen {
                reason: f.reason.trim().to_string(),
            },
            "已申请重新办理，原办理人将再次办理并答复。",
        ),
        _ => return Err(AppError::NotFound),
    };
    let who = Who {
        user_id: None,
        name: "writer".into(),
        ip: if l.is_report() { String::new() } else { ip },
    };
    match state
        .store
        .letter_action(l.id, &act, &state.calendar(), today(), None, &who)
        .await
    {
        Ok(l) => {
            track_page(
                &state,
                &headers,
                a.as_ref(),
                &f,
                Some(l),
                None,
                Some(done.into()),
            )
            .await
        }
        Err(StoreError::Invalid(m)) => {
            track_page(&state, &headers, a.as_ref(), &f, Some(l), Some(m), None).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "letters/published.html")]
pub struct PublishedPage {
    pub chrome: Chrome,
    pub letter: PublishedLetter,
}

pub async fn view_published(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let letter = state.store.get_published_letter(id).await?;
    Ok(PublishedPage {
        chrome: Chrome::public(&state, &letter.pub_subject, a.as_ref()),
        letter,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub mailbox: Option<i64>,
}

/// The published letters as an Atom feed (the portal's one feed template).
pub async fn letters_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    use crate::handlers::feeds::{Entry, Feed, render, rfc3339};
    let letters = state.store.published_letters(q.mailbox, 50).await?;
    render(Feed {
        base: crate::handlers::public_items::site_base(&state, &headers),
        self_path: "/feeds/letters.atom".into(),
        alternate: "/letters".into(),
        title: format!("{} · 来信选登", state.config.site_name),
        updated: rfc3339(letters.first().map(|l| l.published_at)),
        entries: letters
            .into_iter()
            .map(|l| Entry {
                path: format!("/letters/{}", l.id),
                updated: rfc3339(Some(l.published_at)),
                title: l.pub_subject,
                body_name: format!("{} · {}", l.body_name, l.mailbox_name),
                doc_no: String::new(),
                index_no: String::new(),
                withdrawn: false,
            })
            .collect(),
    })
}
