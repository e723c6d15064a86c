//! 依申请公开 on the web: the public application form and receipt, the applicant's view (with
//! the tracking number and secret: timeline, due date, 补正 online, withdrawal), and the case
//! handling pages of the back office. The clock is the domain's; every event is the store's one
//! transaction.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use gongkai_domain::access::Permission;
use gongkai_domain::application::{
    self as app, ApplicantType, ApplicationInput, Channel, ClockEvent, Party, ReplyType,
};
use gongkai_domain::audit::Who;
use gongkai_domain::notice;
use gongkai_domain::seal::mask;
use gongkai_store::StoreError;
use gongkai_store::applications::{
    AppEventRow, AppListRow, Application, CaseEvent, DeliveryRow, FeeRow, NewApplication,
};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::AppState;
use crate::auth::{Authed, Ip, MaybeAuthed, Staff, form_token, sha256_hex, with_cookie};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome, FormErrors};

/// A secret the applicant can type: 16 characters from an unambiguous alphabet, in groups of 4.
pub fn tracking_secret() -> String {
    use rand::Rng;
    const A: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
    let mut rng = rand::thread_rng();
    let s: String = (0..16)
        .map(|_| A[rng.gen_range(0..A.len())] as char)
        .collect();
    format!("{}-{}-{}-{}", &s[0..4], &s[4..8], &s[8..12], &s[12..16])
}

/// The stored form of a secret: spaces and dashes ignored, case ignored.
pub fn secret_hash(secret: &str) -> String {
    let norm: String = secret
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_uppercase();
    sha256_hex(&norm)
}

/// Validate, seal and store an online application. Shared by the form and the JSON API.
pub async fn submit_online(
    state: &AppState,
    input: &ApplicationInput,
    ip: &str,
) -> Result<Result<(Application, String), FormErrors>, AppError> {
    let v = match input.validate() {
        Ok(v) => v,
        Err(errs) => {
            let mut f = FormErrors::default();
            for (k, m) in errs {
                f.field(k, m);
            }
            return Ok(Err(f));
        }
    };
    // One limit per client address for every public submission (applications and letters).
    if !state.submissions.allow(ip) {
        return Err(AppError::TooManyRequests(
            "提交过于频繁，请稍后再试（您填写的内容未丢失，可稍后重新提交）".into(),
        ));
    }
    let bodies = state.store.list_bodies().await?;
    let (body_id, routed) = match v.body_id {
        Some(id) if bodies.iter().any(|b| b.id == id) => (id, true),
        Some(_) => {
            return Ok(Err({
                let mut f = FormErrors::default();
                f.field("body_id", "所选机关不存在");
                f
            }));
        }
        // "Not sure": the government office routes it.
        None => match bodies.iter().find(|b| b.parent_id.is_none()) {
            Some(root) => (root.id, false),
            None => {
                return Err(AppError::Unavailable(
                    "本站尚未建立机关信息，暂不能受理申请".into(),
                ));
            }
        },
    };
    let cal = state.calendar();
    let submitted = today();
    let received = app::received_on(&cal, Channel::Online, submitted, None, None)
        .map_err(|e| AppError::Unavailable(e.to_string()))?;
    let secret = tracking_secret();
    let new = NewApplication {
        body_id,
        routed,
        channel: Channel::Online,
        submitted_on: submitted,
        received_on: received,
        applicant_type: v.applicant_type,
        applicant_name: v.name,
        id_type: v.id_type,
        id_sealed: state.seal.seal(&v.id_number),
        contact_sealed: state.seal.seal(&v.contact),
        description: v.description,
        doc_no_hint: v.doc_no,
        form_wanted: v.form_wanted,
        delivery: v.delivery,
        secret_hash: secret_hash(&secret),
    };
    let who = Who::public(ip);
    let (id, _) = match state.store.create_application(&new, &cal, &who).await {
        Ok(x) => x,
        Err(StoreError::Invalid(m)) => return Err(AppError::Unavailable(m)),
        Err(e) => return Err(e.into()),
    };
    Ok(Ok((state.store.get_application(id).await?, secret)))
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/apply.html")]
pub struct ApplyPage {
    pub chrome: Chrome,
    pub bodies: Vec<BodyOption>,
    pub input: ApplicationInput,
    pub errors: FormErrors,
    pub types: Vec<(&'static str, &'static str)>,
    pub id_types: Vec<&'static str>,
    pub deliveries: Vec<(&'static str, &'static str)>,
}

async fn apply_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&Authed>,
    input: ApplicationInput,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let (token, set) = form_token(state, headers, a);
    let mut chrome = Chrome::public(state, "政府信息公开申请", a);
    chrome.csrf = token;
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .map(|b| BodyOption {
            selected: b.id == input.body_id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            id: b.id,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ApplyPage {
        chrome,
        bodies,
        input,
        errors,
        types: ApplicantType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        id_types: app::ID_TYPES.to_vec(),
        deliveries: app::DELIVERIES.to_vec(),
    };
    Ok(with_cookie((status, page).into_response(), set))
}

#[derive(Deserialize, Default)]
pub struct ApplyQuery {
    #[serde(default)]
    pub body: Option<i64>,
}

pub async fn view_apply_get(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    Query(q): Query<ApplyQuery>,
) -> Result<Response, AppError> {
    let input = ApplicationInput {
        body_id: q.body.unwrap_or(0),
        applicant_type: "natural".into(),
        id_type: "居民身份证".into(),
        delivery: "online".into(),
        ..Default::default()
    };
    apply_page(&state, &headers, a.as_ref(), input, FormErrors::default()).await
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/receipt.html")]
pub struct ReceiptPage {
    pub chrome: Chrome,
    pub app: Application,
    pub body_name: String,
    pub secret: String,
}

pub async fn view_apply_post(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Form(input): Form<ApplicationInput>,
) -> Result<Response, AppError> {
    let submitted = match submit_online(&state, &input, &ip).await {
        Err(AppError::TooManyRequests(m)) => {
            let mut r =
                apply_page(&state, &headers, a.as_ref(), input, FormErrors::general(m)).await?;
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            return Ok(r);
        }
        other => other?,
    };
    match submitted {
        Err(errors) => apply_page(&state, &headers, a.as_ref(), input, errors).await,
        Ok((application, secret)) => {
            // The application is committed; only now is the receipt shown.
            let body_name = state.store.get_body(application.body_id).await?.name;
            let mut r = ReceiptPage {
                chrome: Chrome::public(&state, "申请已提交", a.as_ref()),
                app: application,
                body_name,
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
#[template(path = "applications/track.html")]
pub struct TrackPage {
    pub chrome: Chrome,
    pub number: String,
    pub secret: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    pub app: Option<Application>,
    pub body_name: String,
    pub events: Vec<AppEventRow>,
    pub explanation: Vec<String>,
    pub appeal: &'static str,
    pub can_correct: bool,
    pub can_withdraw: bool,
    pub fees: Vec<FeeRow>,
}

#[derive(Deserialize, Default)]
pub struct TrackForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub confirm: String,
}

/// The application named by number and secret, or None (the same answer whether the number
/// exists or not, so numbers cannot be probed).
pub async fn find_own(
    state: &AppState,
    number: &str,
    secret: &str,
) -> Result<Option<Application>, AppError> {
    let found = state.store.find_application(number).await?;
    Ok(found.filter(|a| crate::auth::constant_eq(&a.secret_hash, &secret_hash(secret))))
}

/// The clock's explanation of a case, as of today.
pub async fn explain(
    state: &AppState,
    a: &Application,
) -> Result<(Vec<AppEventRow>, Vec<String>), AppError> {
    let events = state.store.application_events(a.id).await?;
    let clock: Vec<ClockEvent> = events.iter().filter_map(AppEventRow::clock).collect();
    let lines = match app::compute(&state.calendar(), &clock, today()) {
        Ok(c) => c.explanation,
        Err(e) => vec![e.to_string()],
    };
    Ok((events, lines))
}

async fn track_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&Authed>,
    f: &TrackForm,
    found: Option<Application>,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    let (token, set) = form_token(state, headers, a);
    let mut chrome = Chrome::public(state, "申请办理进度查询", a);
    chrome.csrf = token;
    let (events, explanation, body_name, fees) = match &found {
        Some(x) => {
            let (e, l) = explain(state, x).await?;
            (
                e,
                l,
                state.store.get_body(x.body_id).await?.name,
                state.store.application_fees(x.id).await?,
            )
        }
        None => (vec![], vec![], String::new(), vec![]),
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
        can_correct: found.as_ref().is_some_and(|x| x.status == "correcting"),
        can_withdraw: found.as_ref().is_some_and(Application::is_open),
        app: found,
        body_name,
        events,
        explanation,
        appeal: app::APPEAL_ROUTES,
        fees,
    };
    let mut r = page.into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(with_cookie(r, set))
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

const NOT_FOUND: &str = "申请编号或查询密码不正确，请核对回执后重新输入";

pub async fn view_track_post(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    Form(f): Form<TrackForm>,
) -> Result<Response, AppError> {
    let found = find_own(&state, &f.number, &f.secret).await?;
    let err = found.is_none().then(|| NOT_FOUND.to_string());
    track_page(&state, &headers, a.as_ref(), &f, found, err, None).await
}

/// The applicant's own actions: submit the 补正 online, or withdraw the application.
pub async fn track_action(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Path(action): Path<String>,
    Form(f): Form<TrackForm>,
) -> Result<Response, AppError> {
    let Some(found) = find_own(&state, &f.number, &f.secret).await? else {
        return track_page(
            &state,
            &headers,
            a.as_ref(),
            &f,
            None,
            Some(NOT_FOUND.into()),
            None,
        )
        .await;
    };
    let who = Who {
        user_id: None,
        name: "applicant".into(),
        ip,
    };
    let t = today();
    let (ev, note, done) = match action.as_str() {
        "correct" => {
            if f.text.trim().chars().count() < 2 {
                let found = Some(found);
                return track_page(
                    &state,
                    &headers,
                    a.as_ref(),
                    &f,
                    found,
                    Some("请填写补正的内容".into()),
                    None,
                )
                .await;
            }
            (
                CaseEvent::Clock(ClockEvent::CorrectionReceived { on: t }),
                Some(f.text.as_str()),
                "补正材料已提交，答复期限自次日起重新计算",
            )
        }
        "withdraw" => {
            if f.confirm != "1" {
                let found = Some(found);
                return track_page(
                    &state,
                    &headers,
                    a.as_ref(),
                    &f,
                    found,
                    Some("撤回申请须勾选确认".into()),
                    None,
                )
                .await;
            }
            (CaseEvent::Withdraw { on: t }, None, "申请已撤回")
        }
        _ => return Err(AppError::NotFound),
    };
    let r = state
        .store
        .add_case_event(found.id, &ev, note, &state.calendar(), t, &who)
        .await;
    let refreshed = state.store.get_application(found.id).await?;
    match r {
        Ok(_) => {
            track_page(
                &state,
                &headers,
                a.as_ref(),
                &f,
                Some(refreshed),
                None,
                Some(done.into()),
            )
            .await
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            track_page(
                &state,
                &headers,
                a.as_ref(),
                &f,
                Some(refreshed),
                Some(m),
                None,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Back office.

fn case_scope(a: &Authed) -> gongkai_domain::access::Scope {
    a.actor.scope_any(gongkai_domain::access::CASE_READERS)
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/cases.html")]
pub struct CasesPage {
    pub chrome: Chrome,
    pub tab: String,
    pub cases: Vec<AppListRow>,
    pub today: String,
    pub can_register: bool,
}

#[derive(Deserialize, Default)]
pub struct CasesQuery {
    #[serde(default)]
    pub tab: String,
}

pub async fn view_cases(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<CasesQuery>,
) -> Result<CasesPage, AppError> {
    let scope = case_scope(&a);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let tab = if q.tab.is_empty() {
        "due".to_string()
    } else {
        q.tab.clone()
    };
    let cal = state.calendar();
    let cases = match tab.as_str() {
        "due" => {
            let until = cal.add_working_days(today(), 5).unwrap_or(today());
            state
                .store
                .list_applications(&scope, Some(until), true, 500)
                .await?
        }
        "open" => {
            state
                .store
                .list_applications(&scope, None, true, 500)
                .await?
        }
        _ => {
            state
                .store
                .list_applications(&scope, None, false, 500)
                .await?
        }
    };
    Ok(CasesPage {
        chrome: Chrome::admin(&state, &a, "依申请公开", "/admin/applications").await,
        tab,
        cases,
        today: today().to_string(),
        can_register: a.actor.has_anywhere(Permission::HandleApplications),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/case.html")]
pub struct CasePage {
    pub chrome: Chrome,
    pub app: Application,
    pub body_name: String,
    pub id_number: String,
    pub contact: String,
    pub revealed: bool,
    pub events: Vec<AppEventRow>,
    pub explanation: Vec<String>,
    pub can_handle: bool,
    pub can_extend: bool,
    pub replies: Vec<(&'static str, &'static str)>,
    pub today: String,
    pub error: Option<String>,
    pub notice: Option<String>,
    /// Earlier applications of the same applicant for similar information within 12 months
    /// (a possible 重复申请: a flag for the handler, not a decision).
    pub repeats: Vec<(i64, String, String)>,
    /// How many different applicants asked for similar information in 12 months (≥ 3: consider
    /// moving it into proactive disclosure, 条例第四十四条).
    pub similar_applicants: usize,
    /// 国办函〔2020〕109号: this application's rank among the applicant's applications to this
    /// body in its calendar month, and the per-application fee it would bear.
    pub nth_in_month: u32,
    pub fee_per_application: u32,
    /// The per-page calculator: pages asked and the fee.
    pub pages: Option<(u32, u32)>,
    /// Fee notices and payments (structured).
    pub fees: Vec<FeeRow>,
    /// Delivery records of the notices.
    pub deliveries: Vec<DeliveryRow>,
    /// What the fee, payment and delivery forms show (the user's input after a refusal).
    pub forms: CaseForms,
    pub delivery_methods: Vec<(&'static str, &'static str)>,
    /// Mailboxes of the body and its ancestors, for turning a complaint into a letter.
    pub mailboxes: Vec<(i64, String)>,
    /// The letter this application became or came from.
    pub letter_id: Option<i64>,
}

/// The input of the case page's forms, kept when a submission is refused.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CaseForms {
    #[serde(default)]
    pub fee_method: String,
    #[serde(default)]
    pub fee_pages: String,
    #[serde(default)]
    pub fee_amount: String,
    #[serde(default)]
    pub fee_reason: String,
    #[serde(default)]
    pub paid_amount: String,
    #[serde(default)]
    pub receipt_no: String,
    #[serde(default)]
    pub delivery_notice: String,
    #[serde(default)]
    pub delivery_how: String,
    #[serde(default)]
    pub delivery_on: String,
    #[serde(default)]
    pub tracking_no: String,
    #[serde(default)]
    pub delivery_note: String,
    /// Which form the error belongs to (`fee`, `payment`, `delivery`).
    #[serde(default)]
    pub failed: String,
}

impl CasePage {
    pub fn when(&self, ms: &i64) -> String {
        crate::views::fmt_ms(*ms)
    }
}

#[derive(Deserialize, Default)]
pub struct CaseQuery {
    #[serde(default)]
    pub done: Option<String>,
    #[serde(default)]
    pub error: Option<String>,
    /// Pages for the per-page fee calculator.
    #[serde(default)]
    pub pages: Option<u32>,
}

async fn case_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    reveal: bool,
    error: Option<String>,
    notice: Option<String>,
) -> Result<Response, AppError> {
    case_page_with(
        state,
        a,
        id,
        reveal,
        error,
        notice,
        None,
        CaseForms::default(),
    )
    .await
}

/// 国办函〔2020〕109号: the rank of this application among the applicant's applications to its
/// body in the calendar month of submission (the same identity number), counting this one.
async fn nth_in_month(state: &AppState, x: &Application) -> Result<u32, AppError> {
    let id_plain = state.seal.open(&x.id_sealed).unwrap_or_default();
    let month = x.submitted_on.get(..7).unwrap_or("").to_string();
    let since = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").unwrap_or(today());
    let mut n = 0u32;
    for other in state.store.applications_since(x.body_id, since).await? {
        if other.id <= x.id
            && other.submitted_on.starts_with(&month)
            && state
                .seal
                .open(&other.id_sealed)
                .is_ok_and(|v| v == id_plain)
        {
            n += 1;
        }
    }
    Ok(n)
}

#[allow(clippy::too_many_arguments)]
async fn case_page_with(
    state: &AppState,
    a: &Authed,
    id: i64,
    reveal: bool,
    error: Option<String>,
    notice: Option<String>,
    pages: Option<u32>,
    forms: CaseForms,
) -> Result<Response, AppError> {
    let pages = pages.map(|p| (p, app::fee_per_page(p)));
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !case_scope(a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    let can_handle = a.actor.can(Permission::HandleApplications, &body.path);
    let id_plain = state.seal.open(&x.id_sealed).unwrap_or_default();
    let contact_plain = state.seal.open(&x.contact_sealed).unwrap_or_default();
    let contact_v: serde_json::Value = serde_json::from_str(&contact_plain).unwrap_or_default();
    let field = |k: &str| {
        contact_v
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_string()
    };
    let (phone, email, address) = (field("phone"), field("email"), field("address"));
    let revealed = reveal && can_handle;
    let (id_number, contact) = if revealed {
        state.store.audit_reveal(id, x.body_id, &a.who()).await?;
        (
            id_plain.clone(),
            format!("电话：{phone}　邮箱：{email}　地址：{address}"),
        )
    } else {
        (
            mask(&id_plain, 6, 4),
            format!(
                "电话：{}　邮箱：{}　地址：{}",
                mask(&phone, 3, 4),
                mask(&email, 2, 4),
                mask(&address, 6, 0)
            ),
        )
    };
    let (events, explanation) = explain(state, &x).await?;
    // Repeats and patterns over the last 12 months of this body's applications.
    let since = today() - chrono::Duration::days(365);
    let mut repeats = Vec::new();
    let mut applicants = std::collections::BTreeSet::new();
    let nth_in_month = nth_in_month(state, &x).await?;
    let recent = state.store.applications_since(x.body_id, since).await?;
    for other in recent {
        if app::similarity(&other.description, &x.description) < app::SIMILAR {
            continue;
        }
        let other_id = state.seal.open(&other.id_sealed).unwrap_or_default();
        applicants.insert(other_id.clone());
        if other.id != x.id && other_id == id_plain && other.id < x.id {
            repeats.push((other.id, other.number.clone(), other.submitted_on.clone()));
        }
    }
    let status = if forms.failed.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = CasePage {
        mailboxes: crate::handlers::letters_admin::mailboxes_for(state, &body.path).await?,
        letter_id: state.store.application_letter_id(x.id).await?,
        fees: state.store.application_fees(x.id).await?,
        deliveries: state.store.application_deliveries(x.id).await?,
        forms,
        delivery_methods: app::DELIVERY_METHODS.to_vec(),
        fee_per_application: app::fee_per_application(nth_in_month),
        nth_in_month,
        pages,
        repeats,
        similar_applicants: applicants.len(),
        chrome: Chrome::admin(
            state,
            a,
            &format!("申请 {}", x.number),
            "/admin/applications",
        )
        .await,
        body_name: body.name,
        id_number,
        contact,
        revealed,
        events,
        explanation,
        can_handle,
        can_extend: a.actor.can(Permission::ApproveCases, &body.path),
        replies: ReplyType::ALL
            .iter()
            .filter(|t| {
                !matches!(
                    t,
                    ReplyType::NoCorrection | ReplyType::FeeUnpaid | ReplyType::NotThisBody
                )
            })
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        today: today().to_string(),
        error,
        notice,
        app: x,
    };
    let mut r = (status, page).into_response();
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

pub async fn view_case(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<CaseQuery>,
) -> Result<Response, AppError> {
    case_page_with(
        &state,
        &a,
        id,
        false,
        q.error,
        q.done.map(|d| format!("已办理：{d}")),
        q.pages.filter(|p| *p <= 1_000_000),
        CaseForms::default(),
    )
    .await
}

/// Show the identity number and contacts unmasked (handlers only; every view is audited).
pub async fn reveal_case(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !a.actor.can(Permission::HandleApplications, &body.path) {
        return Err(AppError::Forbidden);
    }
    case_page(&state, &a, id, true, None, None).await
}

#[derive(Deserialize, Default)]
pub struct EventForm {
    pub kind: String,
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub party: String,
    #[serde(default)]
    pub days: String,
    #[serde(default)]
    pub reply: String,
    #[serde(default)]
    pub text: String,
    #[serde(default)]
    pub to_body: String,
    #[serde(default)]
    pub note: String,
    #[serde(flatten)]
    pub forms: CaseForms,
}

fn back(id: i64, key: &str, value: &str) -> Response {
    crate::views::back_to(&format!("/admin/applications/{id}"), key, value)
}

pub async fn case_event(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<EventForm>,
) -> Result<Response, AppError> {
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !case_scope(&a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    let on = if f.on.trim().is_empty() {
        today()
    } else {
        match NaiveDate::parse_from_str(f.on.trim(), "%Y-%m-%d") {
            Ok(d) if d <= today() => d,
            Ok(_) => return Ok(back(id, "error", "日期不能晚于今天")),
            Err(_) => return Ok(back(id, "error", "日期格式应为 YYYY-MM-DD")),
        }
    };
    // 条例第三十三条: an extension needs the approver; every other step, the case's handler.
    let need = if f.kind == "extended" {
        Permission::ApproveCases
    } else {
        Permission::HandleApplications
    };
    if !a.actor.can(need, &body.path) {
        return Err(AppError::Forbidden);
    }
    let ev = match f.kind.as_str() {
        "correction_requested" => CaseEvent::Clock(ClockEvent::CorrectionRequested { on }),
        "correction_received" => CaseEvent::Clock(ClockEvent::CorrectionReceived { on }),
        "consultation_sent" => CaseEvent::Clock(ClockEvent::ConsultationSent {
            on,
            party: if f.party == "other_body" {
                Party::OtherBody
            } else {
                Party::ThirdParty
            },
        }),
        "consultation_answered" => CaseEvent::Clock(ClockEvent::ConsultationAnswered { on }),
        "extended" => match f.days.trim().parse::<u32>() {
            Ok(days) => CaseEvent::Clock(ClockEvent::Extended {
                on,
                working_days: days,
            }),
            Err(_) => return Ok(back(id, "error", "请填写延长的工作日数（1至20）")),
        },
        "fee_noticed" => {
            let basis = if f.forms.fee_method == "per_page" {
                match f.forms.fee_pages.trim().parse::<u32>() {
                    Ok(pages) if pages > 0 && pages <= 1_000_000 => {
                        app::FeeBasis::PerPage { pages }
                    }
                    _ => {
                        return refused(&state, &a, id, "fee", f.forms, "按页计收须填写页数").await;
                    }
                }
            } else {
                app::FeeBasis::PerApplication {
                    nth_in_month: nth_in_month(&state, &x).await?,
                }
            };
            let amount_fen = if f.forms.fee_amount.trim().is_empty() {
                None
            } else {
                match app::parse_yuan(&f.forms.fee_amount) {
                    Some(v) => Some(v),
                    None => {
                        return refused(
                            &state,
                            &a,
                            id,
                            "fee",
                            f.forms,
                            "收费金额应为数字，单位为元，最多两位小数",
                        )
                        .await;
                    }
                }
            };
            CaseEvent::FeeNotice {
                on,
                basis,
                amount_fen,
                reason: f.forms.fee_reason.clone(),
            }
        }
        "fee_paid" => match app::parse_yuan(&f.forms.paid_amount) {
            Some(paid_fen) => CaseEvent::FeePayment {
                on,
                paid_fen,
                receipt_no: f.forms.receipt_no.trim().to_string(),
            },
            None => {
                return refused(
                    &state,
                    &a,
                    id,
                    "payment",
                    f.forms,
                    "请填写实缴金额（单位为元）",
                )
                .await;
            }
        },
        "reply" => match ReplyType::parse(&f.reply) {
            Some(r) => CaseEvent::Reply {
                on,
                reply: r,
                text: f.text.clone(),
            },
            None => return Ok(back(id, "error", "答复必须选择一种答复类型")),
        },
        "transfer" => CaseEvent::Transfer {
            on,
            to_body: f.to_body.clone(),
            text: f.text.clone(),
        },
        "abandon_correction" => CaseEvent::Abandon {
            on,
            reply: ReplyType::NoCorrection,
        },
        "abandon_fee" => CaseEvent::Abandon {
            on,
            reply: ReplyType::FeeUnpaid,
        },
        "assign_me" => CaseEvent::Assign {
            handler_id: a.user.id,
            handler_name: a.user.username.clone(),
        },
        "close" => CaseEvent::Close { on },
        "review" => CaseEvent::Review {
            on,
            proceeding: f.party.clone(),
            authority: f.to_body.clone(),
            outcome: f.reply.clone(),
        },
        _ => return Err(AppError::BadRequest("未知事项".into())),
    };
    let form_of = match &ev {
        CaseEvent::FeeNotice { .. } => Some("fee"),
        CaseEvent::FeePayment { .. } => Some("payment"),
        _ => None,
    };
    match state
        .store
        .add_case_event(id, &ev, Some(&f.note), &state.calendar(), today(), &a.who())
        .await
    {
        Ok(_) => Ok(back(id, "done", &f.kind)),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => match form_of {
            // The fee and payment forms are shown again with what was typed.
            Some(form) => refused(&state, &a, id, form, f.forms, &m).await,
            None => Ok(back(id, "error", &m)),
        },
        Err(e) => Err(e.into()),
    }
}

/// The case page again, with the refused form's input and the reason (HTTP 422).
async fn refused(
    state: &AppState,
    a: &Authed,
    id: i64,
    form: &str,
    mut forms: CaseForms,
    message: &str,
) -> Result<Response, AppError> {
    forms.failed = form.to_string();
    case_page_with(
        state,
        a,
        id,
        false,
        Some(message.to_string()),
        None,
        None,
        forms,
    )
    .await
}

/// Record the delivery (送达) of a notice: which, how, when, the postal tracking number, and an
/// optional proof file (a postal receipt scan …) checked by its content and kept in the
/// attachment store. A multipart form (the token is in the query string).
pub async fn record_delivery(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, AppError> {
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !case_scope(&a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    if !a.actor.can(Permission::HandleApplications, &body.path) {
        return Err(AppError::Forbidden);
    }
    let limit = state.config.max_upload_bytes;
    let mut forms = CaseForms::default();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                let m = format!("上传失败：文件超过{}MB或上传中断", limit / 1024 / 1024);
                return refused(&state, &a, id, "delivery", forms, &m).await;
            }
        };
        let name = field.name().unwrap_or("").to_string();
        if name == "proof" {
            let file_name = field
                .file_name()
                .map(|n| n.rsplit(['/', '\\']).next().unwrap_or(n).trim().to_string())
                .unwrap_or_default();
            let Ok(bytes) = field.bytes().await else {
                let m = format!("上传失败：文件超过{}MB或上传中断", limit / 1024 / 1024);
                return refused(&state, &a, id, "delivery", forms, &m).await;
            };
            if !bytes.is_empty() {
                file = Some((file_name, bytes.to_vec()));
            }
            continue;
        }
        let value = field.text().await.unwrap_or_default();
        match name.as_str() {
            "notice" => forms.delivery_notice = value,
            "how" => forms.delivery_how = value,
            "on" => forms.delivery_on = value,
            "tracking_no" => forms.tracking_no = value,
            "note" => forms.delivery_note = value,
            _ => {}
        }
    }
    let on = if forms.delivery_on.trim().is_empty() {
        today()
    } else {
        match NaiveDate::parse_from_str(forms.delivery_on.trim(), "%Y-%m-%d") {
            Ok(d) if d <= today() => d,
            Ok(_) => {
                return refused(&state, &a, id, "delivery", forms, "送达日期不能晚于今天").await;
            }
            Err(_) => {
                return refused(&state, &a, id, "delivery", forms, "日期格式应为 YYYY-MM-DD").await;
            }
        }
    };
    let proof = match file {
        None => None,
        Some((name, bytes)) => {
            use gongkai_files::FileKind;
            match crate::uploads::store(
                &state,
                crate::uploads::Upload { name, bytes },
                &[FileKind::Pdf, FileKind::Ofd, FileKind::Jpeg, FileKind::Png],
                "送达凭证须为 PDF、OFD、JPG 或 PNG 文件（如邮件回执的扫描件或照片）",
            )
            .await?
            {
                Ok(p) => Some(p),
                Err(m) => return refused(&state, &a, id, "delivery", forms, &m).await,
            }
        }
    };
    let ev = CaseEvent::Notice {
        on,
        notice: forms.delivery_notice.clone(),
        how: forms.delivery_how.clone(),
        tracking_no: forms.tracking_no.trim().to_string(),
        proof,
    };
    match state
        .store
        .add_case_event(
            id,
            &ev,
            Some(&forms.delivery_note),
            &state.calendar(),
            today(),
            &a.who(),
        )
        .await
    {
        Ok(_) => Ok(back(id, "done", "送达记录")),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => {
            refused(&state, &a, id, "delivery", forms, &m).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The proof file of a delivery record, for the case's staff.
pub async fn delivery_proof(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, delivery)): Path<(i64, i64)>,
) -> Result<Response, AppError> {
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !case_scope(&a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    let d = state
        .store
        .application_deliveries(id)
        .await?
        .into_iter()
        .find(|d| d.id == delivery)
        .ok_or(AppError::NotFound)?;
    let (Some(sha), Some(name), Some(mime)) = (d.proof_sha256, d.proof_name, d.proof_mime) else {
        return Err(AppError::NotFound);
    };
    crate::uploads::download(&state, &sha, &name, Some(&mime)).await
}

#[derive(Template, WebTemplate)]
#[template(path = "applications/register.html")]
pub struct RegisterPage {
    pub chrome: Chrome,
    pub bodies: Vec<BodyOption>,
    pub input: ApplicationInput,
    pub channel: String,
    pub submitted_on: String,
    pub confirmed_on: String,
    pub errors: FormErrors,
    pub channels: Vec<(&'static str, &'static str)>,
    pub types: Vec<(&'static str, &'static str)>,
    pub id_types: Vec<&'static str>,
    pub deliveries: Vec<(&'static str, &'static str)>,
}

async fn register_page(
    state: &AppState,
    a: &Authed,
    input: ApplicationInput,
    channel: String,
    submitted_on: String,
    confirmed_on: String,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let scope = a.actor.scope(Permission::HandleApplications);
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .map(|b| BodyOption {
            selected: b.id == input.body_id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            id: b.id,
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = RegisterPage {
        chrome: Chrome::admin(state, a, "登记申请", "/admin/applications").await,
        bodies,
        input,
        channel,
        submitted_on,
        confirmed_on,
        errors,
        channels: Channel::ALL
            .iter()
            .filter(|c| **c != Channel::Online)
            .map(|c| (c.as_str(), c.label()))
            .collect(),
        types: ApplicantType::ALL
            .iter()
            .map(|t| (t.as_str(), t.label()))
            .collect(),
        id_types: app::ID_TYPES.to_vec(),
        deliveries: app::DELIVERIES.to_vec(),
    };
    Ok((status, page).into_response())
}

pub async fn view_register_get(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    if !a.actor.has_anywhere(Permission::HandleApplications) {
        return Err(AppError::Forbidden);
    }
    let input = ApplicationInput {
        body_id: a.user.body_id,
        applicant_type: "natural".into(),
        id_type: "居民身份证".into(),
        delivery: "post".into(),
        ..Default::default()
    };
    register_page(
        &state,
        &a,
        input,
        "in_person".into(),
        today().to_string(),
        String::new(),
        FormErrors::default(),
    )
    .await
}

#[derive(Deserialize, Default)]
pub struct RegisterForm {
    #[serde(flatten)]
    pub input: ApplicationInput,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub submitted_on: String,
    #[serde(default)]
    pub confirmed_on: String,
}

/// Staff enter an application received in person, by post or orally; the received date follows
/// 条例第三十一条 for the channel.
pub async fn view_register_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<RegisterForm>,
) -> Result<Response, AppError> {
    let body = state
        .store
        .get_body(f.input.body_id)
        .await
        .map_err(|_| AppError::Forbidden)?;
    if !a.actor.can(Permission::HandleApplications, &body.path) {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let channel = Channel::parse(&f.channel).filter(|c| *c != Channel::Online);
    if channel.is_none() {
        errors.field("channel", "请选择收到申请的方式");
    }
    let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    let submitted = date(&f.submitted_on).filter(|d| *d <= today());
    if submitted.is_none() {
        errors.field("submitted_on", "请填写收到（签收）日期，不能晚于今天");
    }
    let confirmed = date(&f.confirmed_on);
    if matches!(channel, Some(Channel::OrdinaryPost | Channel::Fax)) && confirmed.is_none() {
        errors.field(
            "confirmed_on",
            "平常信函、传真以与申请人确认之日为收到日期，请填写确认日期",
        );
    }
    let v = match f.input.validate() {
        Ok(v) => Some(v),
        Err(errs) => {
            for (k, m) in errs {
                errors.field(k, m);
            }
            None
        }
    };
    let (Some(v), Some(channel), Some(submitted), true) =
        (v, channel, submitted, errors.is_empty())
    else {
        return register_page(
            &state,
            &a,
            f.input,
            f.channel,
            f.submitted_on,
            f.confirmed_on,
            errors,
        )
        .await;
    };
    let cal = state.calendar();
    let received = app::received_on(
        &cal,
        channel,
        submitted,
        (channel == Channel::RegisteredPost).then_some(submitted),
        confirmed,
    )
    .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let secret = tracking_secret();
    let new = NewApplication {
        body_id: body.id,
        routed: true,
        channel,
        submitted_on: submitted,
        received_on: received,
        applicant_type: v.applicant_type,
        applicant_name: v.name,
        id_type: v.id_type,
        id_sealed: state.seal.seal(&v.id_number),
        contact_sealed: state.seal.seal(&v.contact),
        description: v.description,
        doc_no_hint: v.doc_no,
        form_wanted: v.form_wanted,
        delivery: v.delivery,
        secret_hash: secret_hash(&secret),
    };
    let (id, _) = state.store.create_application(&new, &cal, &a.who()).await?;
    let x = state.store.get_application(id).await?;
    Ok(ReceiptPage {
        chrome: Chrome::admin(&state, &a, "申请已登记", "/admin/applications").await,
        body_name: body.name,
        app: x,
        secret,
    }
    .into_response())
}

/// The formal notices of a case: document key → title.
pub const NOTICE_KINDS: &[(&str, &str)] = notice::DOCUMENTS;

fn cn_date(d: &str) -> String {
    match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
        Ok(d) => d.format("%Y年%-m月%-d日").to_string(),
        Err(_) => d.to_string(),
    }
}

const REGULATION: &str = "《中华人民共和国政府信息公开条例》";

/// Compose a formal notice (`doc`: receipt, correction, consultation, extension, fee, reply) of
/// a case from its data and events and the body's text of the notice kind (its own, or the
/// default). None when the case has no such notice (for example a reply notice before the reply).
pub async fn compose_notice(
    state: &AppState,
    x: &Application,
    body: &gongkai_store::bodies::Body,
    events: &[AppEventRow],
    explanation: &[String],
    doc: &str,
) -> Result<Option<gongkai_reports::CaseNotice>, AppError> {
    let Some(title) = notice::document_title(doc) else {
        return Ok(None);
    };
    let last = |k: &str| events.iter().rev().find(|e| e.kind == k);
    let mut v: BTreeMap<&str, String> = BTreeMap::new();
    v.insert("机关名称", body.name.clone());
    v.insert("申请编号", x.number.clone());
    v.insert("申请人", x.applicant_name.clone());
    v.insert("所需信息", x.description.clone());
    v.insert("提交日期", cn_date(&x.submitted_on));
    v.insert(
        "收到日期",
        x.received_on.as_deref().map(cn_date).unwrap_or_default(),
    );
    v.insert(
        "答复期限",
        x.due_on.as_deref().map(cn_date).unwrap_or_default(),
    );
    let mut addressee = x.applicant_name.clone();
    let mut appeal = String::new();
    let (key, basis, date) = match doc {
        "receipt" => {
            v.insert("期限说明", explanation.join("；"));
            (
                "receipt".to_string(),
                format!("{REGULATION}第二十九条、第三十一条、第三十三条"),
                x.received_on.clone().unwrap_or_default(),
            )
        }
        "correction" => {
            let Some(e) = last("correction_requested") else {
                return Ok(None);
            };
            v.insert("补正要求", e.note());
            (
                "correction".to_string(),
                format!("{REGULATION}第三十条"),
                e.on_date.clone(),
            )
        }
        "consultation" => {
            let Some(e) = last("consultation_sent") else {
                return Ok(None);
            };
            addressee = "有关第三方".to_string();
            v.insert("征求意见事项", e.note());
            (
                "consultation".to_string(),
                format!("{REGULATION}第三十二条"),
                e.on_date.clone(),
            )
        }
        "extension" => {
            let Some(e) = last("extended") else {
                return Ok(None);
            };
            let days = match e.clock() {
                Some(ClockEvent::Extended { working_days, .. }) => working_days,
                _ => return Ok(None),
            };
            v.insert("延期天数", days.to_string());
            v.insert(
                "延期理由",
                if e.note().is_empty() {
                    "需要进一步核实相关信息".to_string()
                } else {
                    e.note()
                },
            );
            (
                "extension".to_string(),
                format!("{REGULATION}第三十三条第二款"),
                e.on_date.clone(),
            )
        }
        "fee" => {
            let Some(fee) = state.store.application_fees(x.id).await?.pop() else {
                return Ok(None);
            };
            v.insert("收费金额", fee.amount());
            v.insert("标准金额", fee.standard());
            v.insert("计费方式", fee.basis_text());
            v.insert("调整理由", fee.adjust_reason.clone());
            v.insert("缴费期限", cn_date(&fee.due_on));
            (
                "fee".to_string(),
                format!(
                    "{REGULATION}第四十二条；《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）"
                ),
                fee.noticed_on.clone(),
            )
        }
        "reply" => {
            let Some(t) = x.reply_type.as_deref().and_then(ReplyType::parse) else {
                return Ok(None);
            };
            v.insert("答复类型", t.label().to_string());
            v.insert("答复内容", x.reply_text.clone());
            let on = x.replied_on.clone().unwrap_or_default();
            v.insert("答复日期", cn_date(&on));
            // Every reply states the appeal routes; a body's text cannot remove them.
            appeal = app::APPEAL_ROUTES.to_string();
            (notice::reply_key(t), t.legal_basis().to_string(), on)
        }
        _ => return Ok(None),
    };
    v.insert("法律依据", basis);
    v.insert("文书日期", cn_date(&date));
    let text = state.store.notice_text(body.id, &key).await?;
    let paragraphs = match notice::fill(&key, &text, &v) {
        Ok(p) => p,
        // A stored text no longer valid (a placeholder retired by an upgrade): the default.
        Err(_) => notice::fill(&key, &notice::default_text(&key).unwrap_or_default(), &v)
            .unwrap_or_default(),
    };
    Ok(Some(gongkai_reports::CaseNotice {
        site_name: state.config.site_name.clone(),
        body_name: body.name.clone(),
        title: title.to_string(),
        number: format!("申请编号：{}", x.number),
        addressee,
        paragraphs,
        basis: String::new(),
        appeal,
        date: cn_date(&date),
        contact: [body.phone.as_str(), body.address.as_str()]
            .iter()
            .filter(|s| !s.is_empty())
            .copied()
            .collect::<Vec<_>>()
            .join("　"),
    }))
}

/// A document format of the notices.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeFormat {
    Pdf,
    Docx,
}

impl NoticeFormat {
    /// `reply.pdf` → (reply, Pdf); `reply.docx` → (reply, Docx); a bare key is a PDF.
    pub fn split(name: &str) -> (&str, NoticeFormat) {
        if let Some(k) = name.strip_suffix(".docx") {
            (k, NoticeFormat::Docx)
        } else {
            (name.trim_end_matches(".pdf"), NoticeFormat::Pdf)
        }
    }
}

/// Render a notice as a PDF or DOCX (docx-rs) download.
async fn notice_file(
    state: &AppState,
    n: gongkai_reports::CaseNotice,
    format: NoticeFormat,
) -> Result<Response, AppError> {
    let stem = format!("{}-{}", n.title, n.number.trim_start_matches("申请编号："));
    let (bytes, mime, file) = match format {
        NoticeFormat::Pdf => {
            let Some(r) = state.reports.clone() else {
                return Err(AppError::Unavailable(
                    "服务器未安装中文字体，暂不能生成文书（请安装 fonts-noto-cjk）".into(),
                ));
            };
            let _slot = state
                .report_slots
                .acquire()
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let pdf = tokio::task::spawn_blocking(move || r.case_notice_pdf(&n))
                .await
                .map_err(|e| AppError::Internal(e.to_string()))?
                .map_err(|e| AppError::Internal(e.to_string()))?;
            (pdf, "application/pdf", format!("{stem}.pdf"))
        }
        NoticeFormat::Docx => (
            gongkai_reports::case_notice_docx(&n).map_err(|e| AppError::Internal(e.to_string()))?,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            format!("{stem}.docx"),
        ),
    };
    let mut resp = bytes.into_response();
    let h = resp.headers_mut();
    h.insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static(mime),
    );
    let disposition = match format {
        NoticeFormat::Pdf => gongkai_files::content_disposition_inline(&file),
        NoticeFormat::Docx => gongkai_files::content_disposition(&file),
    };
    if let Ok(v) = axum::http::HeaderValue::from_str(&disposition) {
        h.insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// A formal notice of a case (`{kind}.pdf` or `{kind}.docx`), for its handlers and supervisors.
pub async fn case_notice(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, kind)): Path<(i64, String)>,
) -> Result<Response, AppError> {
    let x = state.store.get_application(id).await?;
    let body = state.store.get_body(x.body_id).await?;
    if !case_scope(&a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    let (doc, format) = NoticeFormat::split(&kind);
    let (events, explanation) = explain(&state, &x).await?;
    let n = compose_notice(&state, &x, &body, &events, &explanation, doc)
        .await?
        .ok_or(AppError::NotFound)?;
    notice_file(&state, n, format).await
}

#[derive(Deserialize, Default)]
pub struct OwnNoticeForm {
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub secret: String,
    #[serde(default)]
    pub kind: String,
    /// `pdf` (default) or `docx`.
    #[serde(default)]
    pub format: String,
}

/// The applicant downloads a notice of their own case (number and secret required).
pub async fn own_notice(
    State(state): State<AppState>,
    Form(f): Form<OwnNoticeForm>,
) -> Result<Response, AppError> {
    let x = find_own(&state, &f.number, &f.secret)
        .await?
        .ok_or(AppError::NotFound)?;
    if f.kind == "consultation" {
        return Err(AppError::NotFound);
    }
    let format = if f.format == "docx" {
        NoticeFormat::Docx
    } else {
        NoticeFormat::Pdf
    };
    let body = state.store.get_body(x.body_id).await?;
    let (events, explanation) = explain(&state, &x).await?;
    let n = compose_notice(&state, &x, &body, &events, &explanation, &f.kind)
        .await?
        .ok_or(AppError::NotFound)?;
    notice_file(&state, n, format).await
}

impl CasePage {
    /// The notices this case has, for the download links.
    pub fn notices(&self) -> Vec<(&'static str, &'static str)> {
        let has = |k: &str| self.events.iter().any(|e| e.kind == k);
        NOTICE_KINDS
            .iter()
            .copied()
            .filter(|(k, _)| match *k {
                "receipt" => true,
                "correction" => has("correction_requested"),
                "consultation" => has("consultation_sent"),
                "extension" => has("extended"),
                "fee" => !self.fees.is_empty(),
                "reply" => self.app.reply_type.is_some(),
                _ => false,
            })
            .collect()
    }

    /// The pending fee (noticed, not paid), if any.
    pub fn pending_fee(&self) -> Option<&FeeRow> {
        self.fees.iter().rev().find(|f| f.paid_on.is_none())
    }
}

impl TrackPage {
    /// The notices the applicant can download.
    pub fn notices(&self) -> Vec<(&'static str, &'static str)> {
        let has = |k: &str| self.events.iter().any(|e| e.kind == k);
        NOTICE_KINDS
            .iter()
            .copied()
            .filter(|(k, _)| match *k {
                "receipt" => self.app.is_some(),
                "correction" => has("correction_requested"),
                "extension" => has("extended"),
                "fee" => !self.fees.is_empty(),
                "reply" => self.app.as_ref().is_some_and(|a| a.reply_type.is_some()),
                _ => false,
            })
            .collect()
    }
}
