//! 公示 (docs/design/participation.md): the public page of a notice (公示中 with its end date and
//! the objection form, or the result after the period), the objection receipt, and in the back
//! office the period form and the objections with their handling. The rules are
//! `domain::notice_period`'s; the store records the result with its ledger entry.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gongkai_domain::access::{ITEM_READERS, Permission};
use gongkai_domain::audit::Who;
use gongkai_domain::decisions::ProcedureCheck;
use gongkai_domain::notice_period::{
    self as np, DayUnit, NoticeKind, ObjectionInput, ObjectionPolicy, Phase,
};
use gongkai_store::StoreError;
use gongkai_store::decisions::DecisionRow;
use gongkai_store::disclosure::Item;
use gongkai_store::notice_periods::{NoticeListRow, NoticeRow, ObjectionRow};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Ip, MaybeAuthed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{Chrome, FormErrors};

/// A published public item with a notice period (anything else: 404).
async fn public_notice(state: &AppState, id: i64) -> Result<(Item, NoticeRow, String), AppError> {
    state.store.notice_tick(today()).await?;
    let item = state.store.get_item(id).await?;
    if item.status != "published" || item.scope != "public" {
        return Err(AppError::NotFound);
    }
    let notice = state.store.notice_of(id).await?.ok_or(AppError::NotFound)?;
    let body_name = state.store.get_body(item.body_id).await?.name;
    Ok((item, notice, body_name))
}

#[derive(Template, WebTemplate)]
#[template(path = "public/notice.html")]
pub struct NoticePage {
    pub chrome: Chrome,
    pub item: Item,
    pub body_name: String,
    pub n: NoticeRow,
    pub open: bool,
    pub not_started: bool,
    pub objections: usize,
    pub input: ObjectionInput,
    pub errors: FormErrors,
    /// The decisions the notice announces, earliest first.
    pub chain: Vec<DecisionRow>,
    /// The procedure the chain concludes (四议两公开, the school's), step by step.
    pub procedure: Option<ProcedureCheck>,
    /// The published report of how the decision was carried out (实施结果公开): id and title.
    pub result: Option<(i64, String)>,
}

async fn notice_page(
    state: &AppState,
    headers: &HeaderMap,
    a: Option<&crate::auth::Authed>,
    id: i64,
    input: ObjectionInput,
    errors: FormErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let (item, n, body_name) = public_notice(state, id).await?;
    let phase = np::phase(n.start(), n.end(), today());
    let objections = state.store.objections_of(id).await?.len();
    let chain = match state.store.cited_decision(id).await? {
        Some(d) => state.store.decision_chain(d).await?,
        None => Vec::new(),
    };
    let kind = state.store.get_body(item.body_id).await?.kind();
    let procedure = gongkai_store::decisions::check_procedure(kind, &chain);
    let result = match chain.last().and_then(|d| d.result_item_id) {
        Some(r) => {
            let it = state.store.get_item(r).await?;
            (it.status == "published" && it.scope == "public").then_some((it.id, it.title))
        }
        None => None,
    };
    // The form's token: the session's, or the anonymous form cookie's (as the application form).
    let (token, set) = crate::auth::form_token(state, headers, a);
    let mut chrome = Chrome::public(state, &format!("公示：{}", item.title), a);
    chrome.csrf = token;
    let mut r = NoticePage {
        chrome,
        open: phase == Phase::Open,
        not_started: phase == Phase::NotStarted,
        item,
        body_name,
        n,
        objections,
        input,
        errors,
        chain,
        procedure,
        result,
    }
    .into_response();
    *r.status_mut() = status;
    Ok(no_store(crate::auth::with_cookie(r, set)))
}

pub fn no_store(mut r: Response) -> Response {
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// `GET /items/{id}/notice`: where the notice stands today.
pub async fn view_notice(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    notice_page(
        &state,
        &headers,
        a.as_ref(),
        id,
        ObjectionInput::default(),
        FormErrors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Template, WebTemplate)]
#[template(path = "public/notice_receipt.html")]
pub struct ObjectionReceipt {
    pub chrome: Chrome,
    pub item: Item,
    pub number: String,
}

/// Store a checked objection to item `id` (the form and the API): the per-address limit, the
/// name and contact sealed, committed before the caller answers. `BadRequest` outside the
/// period, `NotFound` for an item without a public notice.
pub async fn submit_objection(
    state: &AppState,
    id: i64,
    valid: &ObjectionInput,
    ip: &str,
) -> Result<String, AppError> {
    if !state.submissions.allow(ip) {
        return Err(AppError::TooManyRequests(
            "提交过于频繁，请稍后再试（您填写的内容未丢失，可稍后重新提交）".into(),
        ));
    }
    let who = Who::public(ip);
    match state
        .store
        .add_objection(
            id,
            &state.seal.seal(&valid.name),
            &state.seal.seal(&valid.contact),
            &valid.text,
            today(),
            &who,
        )
        .await
    {
        Ok(n) => Ok(n),
        Err(StoreError::Invalid(m)) => Err(AppError::BadRequest(m)),
        Err(e) => Err(e.into()),
    }
}

/// `POST /items/{id}/notice`: an objection. Stored (name and contact sealed) before the receipt
/// is shown; refused outside the period; bad input comes back with what was typed.
pub async fn post_objection(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Ip(ip): Ip,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(input): Form<ObjectionInput>,
) -> Result<Response, AppError> {
    let redisplay = |errors: FormErrors, status: StatusCode| {
        let state = state.clone();
        let a = a.clone();
        let input = input.clone();
        let headers = headers.clone();
        async move { notice_page(&state, &headers, a.as_ref(), id, input, errors, status).await }
    };
    let valid = match input.validate() {
        Ok(v) => v,
        Err(errs) => {
            let mut f = FormErrors::default();
            for (k, m) in errs {
                f.field(k, m);
            }
            return redisplay(f, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let number = match submit_objection(&state, id, &valid, &ip).await {
        Ok(n) => n,
        Err(AppError::TooManyRequests(m)) => {
            return redisplay(FormErrors::general(m), StatusCode::TOO_MANY_REQUESTS).await;
        }
        Err(AppError::BadRequest(m)) => {
            return redisplay(FormErrors::general(m), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        Err(e) => return Err(e),
    };
    // Committed: only now is the receipt shown.
    let item = state.store.get_item(id).await?;
    Ok(no_store(
        ObjectionReceipt {
            chrome: Chrome::public(&state, "异议已收到", a.as_ref()),
            item,
            number,
        }
        .into_response(),
    ))
}

/// `/notices`: every notice, in its period first (soonest end first), then those not started,
/// then those ended (latest first) with their results.
#[derive(Template, WebTemplate)]
#[template(path = "public/notices.html")]
pub struct NoticesPage {
    pub chrome: Chrome,
    pub open: Vec<NoticeListRow>,
    pub coming: Vec<NoticeListRow>,
    pub ended: Vec<NoticeListRow>,
}

pub async fn view_notices(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
) -> Result<Response, AppError> {
    state.store.notice_tick(today()).await?;
    let (open, coming, ended) = by_phase(state.store.list_notices(500).await?, |n| {
        (n.start_on.as_str(), n.end_on.as_str())
    });
    let mut chrome = Chrome::public(&state, "公示公告", a.as_ref());
    chrome.feed = Some(("公示".into(), "/feeds/notices.atom".into()));
    Ok(no_store(
        NoticesPage {
            chrome,
            open,
            coming,
            ended,
        }
        .into_response(),
    ))
}

/// Rows with a period (`window` gives its start and end, `YYYY-MM-DD`) split as the portal's
/// lists show them today: open (soonest end first), not started, ended (in the given order).
pub fn by_phase<T>(rows: Vec<T>, window: impl Fn(&T) -> (&str, &str)) -> (Vec<T>, Vec<T>, Vec<T>) {
    let day = today().to_string();
    let (mut open, mut coming, mut ended) = (Vec::new(), Vec::new(), Vec::new());
    for r in rows {
        let (start, end) = window(&r);
        if end < day.as_str() {
            ended.push(r);
        } else if start > day.as_str() {
            coming.push(r);
        } else {
            open.push(r);
        }
    }
    open.sort_by(|x, y| window(x).1.cmp(window(y).1));
    (open, coming, ended)
}

/// `/feeds/notices.atom`: notices as they are published.
pub async fn notices_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    use crate::handlers::feeds::{Entry, Feed, render, rfc3339};
    let mut rows = state.store.list_notices(50).await?;
    rows.sort_by_key(|r| std::cmp::Reverse(r.first_published_at));
    render(Feed {
        base: crate::handlers::public_items::site_base(&state, &headers),
        self_path: "/feeds/notices.atom".into(),
        alternate: "/notices".into(),
        title: format!("{} · 公示", state.config.site_name),
        updated: rfc3339(rows.first().and_then(|r| r.first_published_at)),
        entries: rows
            .into_iter()
            .map(|r| Entry {
                path: format!("/items/{}/notice", r.item_id),
                updated: rfc3339(r.first_published_at),
                title: format!("{}（公示期{}至{}）", r.title, r.start_on, r.end_on),
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

/// An objection with its sender opened for the body's handlers.
pub struct OpenedObjection {
    pub o: ObjectionRow,
    pub name: String,
    pub contact: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "items/notice_admin.html")]
pub struct NoticeAdminPage {
    pub chrome: Chrome,
    pub item: Item,
    pub n: Option<NoticeRow>,
    pub kinds: Vec<(&'static str, &'static str, String)>,
    pub can_edit: bool,
    pub can_set: bool,
    pub objections: Vec<OpenedObjection>,
    pub done: String,
    pub error: String,
    pub form: PeriodForm,
    pub units: [(&'static str, &'static str); 2],
    pub policies: [(&'static str, &'static str); 2],
    /// The body's decisions, and the one the notice cites.
    pub decisions: Vec<DecisionRow>,
    pub cited: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PeriodForm {
    pub kind: String,
    pub start: String,
    pub days: String,
    pub unit: String,
    pub policy: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct FlagQuery {
    pub done: String,
    pub error: String,
}

async fn admin_page(
    state: &AppState,
    a: &crate::auth::Authed,
    id: i64,
    q: FlagQuery,
    form: Option<PeriodForm>,
) -> Result<NoticeAdminPage, AppError> {
    state.store.notice_tick(today()).await?;
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can_any(ITEM_READERS, &body.path) {
        return Err(AppError::NotFound);
    }
    let n = state.store.notice_of(id).await?;
    let can_edit = a.actor.can(Permission::EditItems, &body.path);
    let can_set = can_edit && n.as_ref().is_none_or(|n| n.start() > today());
    let objections = state
        .store
        .objections_of(id)
        .await?
        .into_iter()
        .map(|o| {
            let open = |s: &str| {
                if can_edit {
                    state.seal.open(s).unwrap_or_else(|_| "（无法解密）".into())
                } else {
                    "（仅信息员可见）".into()
                }
            };
            OpenedObjection {
                name: open(&o.name_sealed),
                contact: open(&o.contact_sealed),
                o,
            }
        })
        .collect();
    let form = form.unwrap_or_else(|| match &n {
        Some(n) => PeriodForm {
            kind: n.kind.clone(),
            start: n.start_on.clone(),
            days: n.days.to_string(),
            unit: n.unit.clone(),
            policy: n.policy.clone(),
        },
        None => PeriodForm::default(),
    });
    Ok(NoticeAdminPage {
        chrome: Chrome::admin(state, a, &format!("公示：{}", item.title), "/admin/items").await,
        kinds: NoticeKind::ALL
            .iter()
            .map(|k| {
                let (d, u) = k.default_period();
                (k.as_str(), k.label(), format!("{d}{}", u.label()))
            })
            .collect(),
        item,
        n,
        can_edit,
        can_set,
        objections,
        done: q.done,
        error: q.error,
        form,
        units: units(),
        policies: policies(),
        decisions: state.store.collective_decisions_of(body.id).await?,
        cited: state.store.cited_decision(id).await?,
    })
}

pub async fn view_notice_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<FlagQuery>,
) -> Result<NoticeAdminPage, AppError> {
    admin_page(&state, &a, id, q, None).await
}

fn back(id: i64, flag: &str, value: &str) -> Response {
    crate::views::back_to(&format!("/admin/items/{id}/notice"), flag, value)
}

/// The first day a period on `item` may start: today, or its day of first publication if later
/// (a 公示 and a 征求意见 window alike).
pub fn earliest_start(item: &Item) -> chrono::NaiveDate {
    let published = item
        .first_published_at
        .and_then(|ms| chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000))
        .map(|t| t.date_naive());
    published.map_or(today(), |p| p.max(today()))
}

/// Set the item's notice period (信息员, until the period starts).
pub async fn post_notice_admin(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<PeriodForm>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let earliest = earliest_start(&item);
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
    let valid = match np::check_period(
        &state.calendar(),
        &f.kind,
        &f.start,
        &f.days,
        &f.unit,
        &f.policy,
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
        .set_notice_period(id, &valid, today(), &a.who())
        .await
    {
        Ok(()) => Ok(back(
            id,
            "done",
            &np::explain(valid.start, valid.end, valid.days, valid.unit),
        )),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => redisplay(m).await,
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct HandleForm {
    pub handling: String,
    pub result: String,
}

/// Record how an objection was handled (信息员).
pub async fn handle_objection(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, oid)): Path<(i64, i64)>,
    Form(f): Form<HandleForm>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    if !state
        .store
        .objections_of(id)
        .await?
        .iter()
        .any(|o| o.id == oid)
    {
        return Err(AppError::NotFound);
    }
    let (handling, result) = (f.handling.trim(), f.result.trim());
    if handling.is_empty() || result.is_empty() {
        return Ok(back(id, "error", "请填写核查处理情况和处理结果"));
    }
    if handling.chars().count() > 2000 || result.chars().count() > 500 {
        return Ok(back(
            id,
            "error",
            "处理情况不超过2000字，处理结果不超过500字",
        ));
    }
    match state
        .store
        .handle_objection(oid, handling, result, today(), &a.who())
        .await
    {
        Ok(()) => {
            state.store.notice_tick(today()).await?;
            Ok(back(id, "done", "已记录异议处理结果"))
        }
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(back(id, "error", &m)),
        Err(e) => Err(e.into()),
    }
}

/// The labels of the period form's choices.
pub fn units() -> [(&'static str, &'static str); 2] {
    [
        (DayUnit::Working.as_str(), "工作日"),
        (
            DayUnit::Calendar.as_str(),
            "自然日（末日为休息日的顺延至下一个工作日）",
        ),
    ]
}

pub fn policies() -> [(&'static str, &'static str); 2] {
    [
        (
            ObjectionPolicy::Block.as_str(),
            ObjectionPolicy::Block.label(),
        ),
        (
            ObjectionPolicy::Record.as_str(),
            ObjectionPolicy::Record.label(),
        ),
    ]
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct CiteForm {
    pub decision_id: String,
}

/// Cite the decision the notice announces (信息员; a decision of the same body).
pub async fn cite_decision(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<CiteForm>,
) -> Result<Response, AppError> {
    let item = state.store.get_item(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can(Permission::EditItems, &body.path) {
        return Err(AppError::Forbidden);
    }
    let decision = f.decision_id.trim().parse::<i64>().ok().filter(|d| *d > 0);
    match state
        .store
        .cite_decision(id, decision, today(), &a.who())
        .await
    {
        Ok(()) => Ok(back(id, "done", "已保存所依据的决策")),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(back(id, "error", &m)),
        Err(e) => Err(e.into()),
    }
}
