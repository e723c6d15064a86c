//! 民主评议 (docs/design/supervision.md, stage 4). The public answers at `/appraisals/{id}` (one
//! answer per person and body: the signed-in account, else the client address, which also
//! passes the submission limiter; a 监督员 survey only signed in with `Supervise`); the answer is
//! committed before the receipt is shown. Results per body appear once a body has the survey's
//! minimum of answers; free text only after the organiser's 纪检监督 shows it. The organiser
//! (`Inspect` on the survey's body) drafts, opens, closes and moderates at `/admin/appraisals`;
//! supervisors of that body read it.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::{Permission, Scope};
use gongkai_domain::appraisal::{
    self as da, Audience, Question, Results, SCALE, SurveyInput, SurveyStatus, TextStatus,
};
use gongkai_domain::audit::Who;
use gongkai_store::StoreError;
use gongkai_store::appraisals::{AnswerRow, SurveyRow};
use gongkai_store::bodies::Body;

use crate::AppState;
use crate::auth::{Authed, Ip, MaybeAuthed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{Chrome, FormErrors, FormFields, back_to, form_field, form_ids, with_status};

/// One appraised body's results, and the texts the public (or staff) may read.
pub struct BodyResult {
    pub body: Body,
    pub results: Results,
    pub texts: Vec<AnswerRow>,
}

/// The results of every appraised body; `all_texts` keeps held and hidden texts (staff).
pub fn body_results(
    s: &SurveyRow,
    bodies: &[Body],
    answers: &[AnswerRow],
    all_texts: bool,
) -> Vec<BodyResult> {
    let questions = s.questions();
    bodies
        .iter()
        .map(|b| {
            let mine: Vec<&AnswerRow> = answers.iter().filter(|a| a.body_id == b.id).collect();
            let scores: Vec<Vec<Option<u8>>> = mine.iter().map(|a| a.scores()).collect();
            let results = da::results(&questions, &scores, s.min_answers);
            let texts = mine
                .into_iter()
                .filter(|a| {
                    if all_texts {
                        a.text_status() != TextStatus::Empty
                    } else {
                        results.published && a.text_status() == TextStatus::Visible
                    }
                })
                .cloned()
                .collect();
            BodyResult {
                body: b.clone(),
                results,
                texts,
            }
        })
        .collect()
}

/// The bodies a survey appraises, in its order.
pub async fn appraised(state: &AppState, s: &SurveyRow) -> Result<Vec<Body>, AppError> {
    let ids = state.store.survey_bodies(s.id).await?;
    let all: HashMap<i64, Body> = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    Ok(ids.iter().filter_map(|id| all.get(id).cloned()).collect())
}

/// Whether `a` may answer a survey for this audience.
pub fn may_answer(s: &SurveyRow, a: Option<&Authed>) -> bool {
    match s.audience() {
        Audience::Public => true,
        Audience::Supervisors => a.is_some_and(|a| a.actor.has_anywhere(Permission::Supervise)),
    }
}

// ------------------------------------------------------------------------------------------
// Public

#[derive(Template, WebTemplate)]
#[template(path = "public/appraisals.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub surveys: Vec<(SurveyRow, String)>,
}

/// Where a published survey stands on `today`, in words.
pub fn phase(s: &SurveyRow) -> String {
    match da::accepting(s.status(), s.opens(), s.closes(), today()) {
        Ok(()) => format!("评议中，{}截止", s.closes_on),
        Err(m) => m,
    }
}

pub async fn view_list(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<ListPage, AppError> {
    let surveys = state
        .store
        .public_surveys()
        .await?
        .into_iter()
        .map(|s| {
            let p = phase(&s);
            (s, p)
        })
        .collect();
    Ok(ListPage {
        chrome: Chrome::public(&state, "民主评议", a.as_ref()),
        surveys,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/appraisal.html")]
pub struct SurveyPage {
    pub chrome: Chrome,
    pub s: SurveyRow,
    pub questions: Vec<Question>,
    pub bodies: Vec<Body>,
    pub results: Vec<BodyResult>,
    /// Why no answer is taken now (empty when the form is open).
    pub closed: String,
    /// The audience is 监督员 and the visitor is not one.
    pub supervisors_only: bool,
    pub input: FormFields,
    pub errors: FormErrors,
}

impl SurveyPage {
    pub fn val(&self, name: &str) -> String {
        form_field(&self.input, name)
    }
    pub fn picked(&self, i: &usize, point: &usize) -> bool {
        self.val(&format!("q{i}")) == point.to_string()
    }
    pub fn text_of(&self, i: &usize) -> String {
        self.val(&format!("q{i}"))
    }
    pub fn scale(&self) -> Vec<(usize, &'static str)> {
        SCALE.iter().enumerate().map(|(k, l)| (k + 1, *l)).collect()
    }
}

/// A published survey (a draft is 404 to the public).
pub async fn published(state: &AppState, id: i64) -> Result<SurveyRow, AppError> {
    match state.store.survey(id).await {
        Ok(s) if !s.is_draft() => Ok(s),
        Ok(_) | Err(StoreError::NotFound) => Err(AppError::NotFound),
        Err(e) => Err(e.into()),
    }
}

async fn survey_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&Authed>,
    id: i64,
    input: FormFields,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let s = published(state, id).await?;
    let bodies = appraised(state, &s).await?;
    let answers = state.store.survey_answers(id).await?;
    let (token, set) = crate::auth::form_token(state, headers, a);
    let mut chrome = Chrome::public(state, &format!("民主评议：{}", s.title), a);
    chrome.csrf = token;
    let r = SurveyPage {
        chrome,
        questions: s.questions(),
        results: body_results(&s, &bodies, &answers, false),
        closed: da::accepting(s.status(), s.opens(), s.closes(), today())
            .err()
            .unwrap_or_default(),
        supervisors_only: !may_answer(&s, a),
        bodies,
        s,
        input,
        errors,
    };
    Ok(crate::handlers::notice_periods::no_store(
        crate::auth::with_cookie(with_status(r, status), set),
    ))
}

pub async fn view(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    survey_page(
        &state,
        &headers,
        a.as_ref(),
        id,
        Vec::new(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "public/appraisal_receipt.html")]
pub struct Receipt {
    pub chrome: Chrome,
    pub s: SurveyRow,
    pub body: Body,
    pub held: bool,
    /// The body's results are shown (its answers reached the minimum).
    pub published: bool,
}

/// Store a checked answer to published survey `s` (one per person and body: the account when
/// signed in, else the client address, which also passes the submission limiter), committed
/// before this returns; its id. `TooManyRequests` past the limit, `Conflict` for a second
/// answer. The caller has checked the period and the audience.
pub async fn submit_answer(
    state: &AppState,
    s: &SurveyRow,
    valid: &da::ValidAnswer,
    a: Option<&Authed>,
    ip: &str,
) -> Result<i64, AppError> {
    let user = a.map(|a| a.user.id);
    if user.is_none() && !state.submissions.allow(ip) {
        return Err(AppError::TooManyRequests(
            "提交过于频繁，请稍后再试（您填写的内容未丢失，可稍后重新提交）".into(),
        ));
    }
    let key = state.seal.tag(&format!(
        "survey:{}:{}:{}",
        s.id,
        valid.body_id,
        da::identity(user, ip)
    ));
    match state.store.add_answer(s.id, valid, &key).await {
        Ok(id) => Ok(id),
        Err(StoreError::Invalid(m)) => Err(AppError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /appraisals/{id}`: one answer. Refused outside the period, for a 监督员 survey when not
/// one, twice for one person and body (409), too often from one address (429); bad input comes
/// back with what was chosen and typed. The receipt is shown only after the commit.
pub async fn answer(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<FormFields>,
) -> Result<Response, AppError> {
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    let again = |errors: FormErrors, status: StatusCode| {
        let (state, a, f, headers) = (state.clone(), a.clone(), f.clone(), headers.clone());
        async move { survey_page(&state, &headers, a.as_ref(), id, f, errors, status).await }
    };
    let s = published(&state, id).await?;
    if let Err(m) = da::accepting(s.status(), s.opens(), s.closes(), today()) {
        return again(FormErrors::general(m), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if !may_answer(&s, a.as_ref()) {
        return again(
            FormErrors::general("本次评议由特邀监督员登录后参加"),
            StatusCode::FORBIDDEN,
        )
        .await;
    }
    let bodies = appraised(&state, &s).await?;
    let ids: Vec<i64> = bodies.iter().map(|b| b.id).collect();
    let valid = match da::validate_answer(&s.questions(), &ids, |k| form_field(&f, k)) {
        Ok(v) => v,
        Err(errs) => {
            return again(
                FormErrors::from_fields(errs),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    // Read before the write, so that nothing can fail once the answer is stored.
    let before = state
        .store
        .survey_answers(s.id)
        .await?
        .iter()
        .filter(|x| x.body_id == valid.body_id)
        .count();
    let published = i64::try_from(before + 1).unwrap_or(i64::MAX) >= s.min_answers;
    let body = bodies
        .iter()
        .find(|b| b.id == valid.body_id)
        .cloned()
        .ok_or(AppError::NotFound)?;
    match submit_answer(&state, &s, &valid, a.as_ref(), &ip).await {
        Ok(_) => {}
        Err(AppError::TooManyRequests(m)) => {
            return again(FormErrors::general(m), StatusCode::TOO_MANY_REQUESTS).await;
        }
        Err(AppError::Conflict(m)) => {
            return again(FormErrors::general(m), StatusCode::CONFLICT).await;
        }
        Err(AppError::BadRequest(m)) => {
            return again(FormErrors::general(m), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e),
    }
    // Committed: only now is the receipt shown.

    Ok(crate::handlers::notice_periods::no_store(
        Receipt {
            chrome: Chrome::public(&state, "评议已收到", a.as_ref()),
            held: !valid.text.is_empty(),
            published,
            s,
            body,
        }
        .into_response(),
    ))
}

// ------------------------------------------------------------------------------------------
// Back office

#[derive(Template, WebTemplate)]
#[template(path = "inspections/appraisals.html")]
pub struct AdminList {
    pub chrome: Chrome,
    pub surveys: Vec<(SurveyRow, String)>,
    /// Bodies where the account may organise a survey.
    pub organisers: Vec<Body>,
    pub input: SurveyInput,
    pub organiser: i64,
    pub errors: FormErrors,
}

async fn bodies_where(state: &AppState, scope: &Scope) -> Result<Vec<Body>, AppError> {
    Ok(state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .collect())
}

async fn admin_list(
    state: &AppState,
    a: &Authed,
    input: SurveyInput,
    organiser: i64,
    errors: FormErrors,
) -> Result<AdminList, AppError> {
    let readers = a
        .actor
        .scope_any(&[Permission::Supervise, Permission::Inspect]);
    if readers.is_empty() {
        return Err(AppError::Forbidden);
    }
    let surveys = state
        .store
        .surveys_in(&readers)
        .await?
        .into_iter()
        .map(|s| {
            let p = if s.is_draft() {
                "草稿，未发布".to_string()
            } else {
                phase(&s)
            };
            (s, p)
        })
        .collect();
    Ok(AdminList {
        chrome: Chrome::admin(state, a, "民主评议", "/admin/appraisals")
            .await
            .with_done(a),
        surveys,
        organisers: bodies_where(state, &a.actor.scope(Permission::Inspect)).await?,
        input,
        organiser,
        errors,
    })
}

fn default_input() -> SurveyInput {
    let t = today();
    SurveyInput {
        audience: "public".into(),
        opens_on: t.to_string(),
        closes_on: (t + chrono::Duration::days(30)).to_string(),
        min_answers: "10".into(),
        questions: "信息公开是否及时、全面\n办事指南是否清楚、准确\n答复申请和来信是否及时、有针对性\n工作人员服务态度\n文字：您对该单位政务公开工作的意见和建议".into(),
        ..Default::default()
    }
}

pub async fn view_admin_list(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<AdminList, AppError> {
    admin_list(&state, &a, default_input(), 0, FormErrors::default()).await
}

/// A new draft: the organiser body (`body`, where the account holds `Inspect`) and the fields.
pub async fn create(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<FormFields>,
) -> Result<Response, AppError> {
    let input = survey_input(&f);
    let organiser: i64 = form_field(&f, "body").trim().parse().unwrap_or(0);
    let body = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .find(|b| b.id == organiser && a.actor.can(Permission::Inspect, &b.path));
    let Some(body) = body else {
        if !a.actor.has_anywhere(Permission::Inspect) {
            return Err(AppError::Forbidden);
        }
        let mut e = FormErrors::default();
        e.field("body", "请选择组织评议的单位");
        return Ok(with_status(
            admin_list(&state, &a, input, organiser, e).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        ));
    };
    let d = match input.validate() {
        Ok(d) => d,
        Err(errs) => {
            return Ok(with_status(
                admin_list(&state, &a, input, organiser, FormErrors::from_fields(errs)).await?,
                StatusCode::UNPROCESSABLE_ENTITY,
            ));
        }
    };
    let id = state
        .store
        .create_survey(body.id, &d, &[], &a.who())
        .await?;
    Ok(back_to(
        &format!("/admin/appraisals/{id}"),
        "done",
        "survey_created",
    ))
}

/// The form's fields of a stored survey.
fn input_of(s: &SurveyRow) -> SurveyInput {
    SurveyInput {
        title: s.title.clone(),
        intro: s.intro.clone(),
        audience: s.audience.clone(),
        opens_on: s.opens_on.clone(),
        closes_on: s.closes_on.clone(),
        min_answers: s.min_answers.to_string(),
        questions: da::questions_text(&s.questions()),
    }
}

fn survey_input(f: &FormFields) -> SurveyInput {
    SurveyInput {
        title: form_field(f, "title"),
        intro: form_field(f, "intro"),
        audience: form_field(f, "audience"),
        opens_on: form_field(f, "opens_on"),
        closes_on: form_field(f, "closes_on"),
        min_answers: form_field(f, "min_answers"),
        questions: form_field(f, "questions"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/appraisal.html")]
pub struct AdminPage {
    pub chrome: Chrome,
    pub s: SurveyRow,
    pub organiser: Body,
    /// The bodies that may be appraised (the organiser's subtree) and whether chosen.
    pub choices: Vec<(Body, bool)>,
    pub results: Vec<BodyResult>,
    pub may_edit: bool,
    pub input: SurveyInput,
    pub errors: FormErrors,
    pub phase: String,
}

impl AdminPage {
    pub fn has_texts(&self) -> bool {
        self.results.iter().any(|r| !r.texts.is_empty())
    }
}

/// The survey, its organiser and whether `a` may change it; 404 unless `a` reads it.
async fn readable(
    state: &AppState,
    a: &Authed,
    id: i64,
) -> Result<(SurveyRow, Body, bool), AppError> {
    let s = match state.store.survey(id).await {
        Ok(s) => s,
        Err(StoreError::NotFound) => return Err(AppError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let body = state.store.get_body(s.body_id).await?;
    if !a
        .actor
        .can_any(&[Permission::Supervise, Permission::Inspect], &body.path)
    {
        return Err(AppError::NotFound);
    }
    let may_edit = a.actor.can(Permission::Inspect, &body.path);
    Ok((s, body, may_edit))
}

async fn admin_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    input: Option<(SurveyInput, Vec<i64>)>,
    errors: FormErrors,
) -> Result<AdminPage, AppError> {
    let (s, organiser, may_edit) = readable(state, a, id).await?;
    let chosen = state.store.survey_bodies(id).await?;
    let (input, chosen) = input.unwrap_or_else(|| (input_of(&s), chosen));
    let choices: Vec<(Body, bool)> = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| Scope::subtree(&organiser.path).contains(&b.path))
        .map(|b| {
            let c = chosen.contains(&b.id);
            (b, c)
        })
        .collect();
    let appraised: Vec<Body> = choices
        .iter()
        .filter(|(_, c)| *c)
        .map(|(b, _)| b.clone())
        .collect();
    let answers = state.store.survey_answers(id).await?;
    Ok(AdminPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("民主评议：{}", s.title),
            "/admin/appraisals",
        )
        .await
        .with_done(a),
        results: body_results(&s, &appraised, &answers, true),
        phase: if s.is_draft() {
            "草稿，未发布".into()
        } else {
            phase(&s)
        },
        s,
        organiser,
        choices,
        may_edit,
        input,
        errors,
    })
}

pub async fn view_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<String>,
) -> Result<AdminPage, AppError> {
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    admin_page(&state, &a, id, None, FormErrors::default()).await
}

/// `action`: `save` (a draft's fields and `bodies`), `open`, `close`, or `show` / `hide` the
/// text of `answer`. Every one carries the `version` the page showed.
pub async fn act(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<String>,
    Form(f): Form<FormFields>,
) -> Result<Response, AppError> {
    let id: i64 = id.trim().parse().map_err(|_| AppError::NotFound)?;
    let (s, organiser, may_edit) = readable(&state, &a, id).await?;
    if !may_edit {
        return Err(AppError::Forbidden);
    }
    let version: i64 = form_field(&f, "version").trim().parse().unwrap_or(0);
    let here = format!("/admin/appraisals/{id}");
    let refuse = |input: Option<(SurveyInput, Vec<i64>)>, e: FormErrors, status: StatusCode| {
        let (state, a) = (state.clone(), a.clone());
        async move {
            Ok::<Response, AppError>(with_status(
                admin_page(&state, &a, id, input, e).await?,
                status,
            ))
        }
    };
    let who = a.who();
    let subtree = Scope::subtree(&organiser.path);
    let all = state.store.list_bodies().await?;
    let in_subtree = |ids: &[i64]| {
        ids.iter()
            .copied()
            .filter(|id| all.iter().any(|b| b.id == *id && subtree.contains(&b.path)))
            .collect::<Vec<i64>>()
    };
    match form_field(&f, "action").as_str() {
        "save" => {
            let input = survey_input(&f);
            let bodies = in_subtree(&form_ids(&f, "bodies"));
            let d = match input.validate() {
                Ok(d) => d,
                Err(errs) => {
                    return refuse(
                        Some((input, bodies)),
                        FormErrors::from_fields(errs),
                        StatusCode::UNPROCESSABLE_ENTITY,
                    )
                    .await;
                }
            };
            match state
                .store
                .save_survey(id, version, &d, &bodies, &who)
                .await
            {
                Ok(()) => Ok(back_to(&here, "done", "saved")),
                Err(StoreError::Conflict(m)) => {
                    refuse(
                        Some((input, bodies)),
                        FormErrors::general(m),
                        StatusCode::CONFLICT,
                    )
                    .await
                }
                Err(e) => Err(e.into()),
            }
        }
        "open" => {
            let bodies = state.store.survey_bodies(id).await?;
            let d = input_of(&s).validate();
            let check = match &d {
                Ok(d) => da::may_open(d, bodies.len(), today()),
                Err(_) => Err("请先按提示修改并保存".into()),
            };
            if let Err(m) = check {
                return refuse(
                    None,
                    FormErrors::general(m),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await;
            }
            match status_change(
                &state,
                id,
                version,
                SurveyStatus::Draft,
                SurveyStatus::Open,
                &who,
            )
            .await
            {
                Ok(()) => Ok(back_to(&here, "done", "survey_opened")),
                Err(m) => refuse(None, FormErrors::general(m), StatusCode::CONFLICT).await,
            }
        }
        "close" => {
            match status_change(
                &state,
                id,
                version,
                SurveyStatus::Open,
                SurveyStatus::Closed,
                &who,
            )
            .await
            {
                Ok(()) => Ok(back_to(&here, "done", "survey_closed")),
                Err(m) => refuse(None, FormErrors::general(m), StatusCode::CONFLICT).await,
            }
        }
        "show" | "hide" => {
            let to = if form_field(&f, "action") == "show" {
                TextStatus::Visible
            } else {
                TextStatus::Hidden
            };
            let answer: i64 = form_field(&f, "answer").trim().parse().unwrap_or(0);
            match state.store.moderate_answer(id, answer, to, &who).await {
                Ok(()) => Ok(back_to(&format!("{here}#texts"), "done", "saved")),
                Err(StoreError::NotFound) => Err(AppError::NotFound),
                Err(e) => Err(e.into()),
            }
        }
        _ => Err(AppError::BadRequest("未知的操作".into())),
    }
}

async fn status_change(
    state: &AppState,
    id: i64,
    version: i64,
    from: SurveyStatus,
    to: SurveyStatus,
    who: &Who,
) -> Result<(), String> {
    match state
        .store
        .set_survey_status(id, version, from, to, who)
        .await
    {
        Ok(()) => Ok(()),
        Err(StoreError::Conflict(m)) => Err(m),
        Err(e) => Err(e.to_string()),
    }
}
