//! 双公示 in the back office: the list (待公示, 逾期未公示, 已公示 …), recording a decision
//! (信用信息员), its page with the public copy exactly as it will be published, and the
//! actions: publish and withdraw (审批领导), void an entry error, and the audited view of the
//! personal values.
//!
//! Who sees what (docs/design/services.md): `CREDIT_READERS` of the decision's body read it;
//! others get 404, so not even its existence is told.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use gongkai_domain::access::{CREDIT_READERS, Permission};
use gongkai_domain::credit::{
    self as dc, DecisionInput, DecisionKind, IdType, PartyType, Personal, PrivateFields,
    PublicFields, ValidDecision,
};
use gongkai_domain::seal::mask;
use gongkai_store::credit::{Decision, DecisionFilter, DecisionRow, NewDecision, Published};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome, FormErrors};

/// What the signed-in account may do with decisions of one body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Rights {
    pub read: bool,
    pub record: bool,
    pub approve: bool,
}

impl Rights {
    pub fn of(a: &Authed, body_path: &str) -> Rights {
        Rights {
            read: a.actor.can_any(CREDIT_READERS, body_path),
            record: a.actor.can(Permission::RecordDecisions, body_path),
            approve: a.actor.can(Permission::ApproveItems, body_path),
        }
    }
    /// Who may open the personal values (with a reason): who records or publishes.
    pub fn reveal(&self) -> bool {
        self.record || self.approve
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "credit/admin_list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub view: String,
    pub kind: String,
    pub q: String,
    pub rows: Vec<DecisionRow>,
    pub today: NaiveDate,
    pub can_record: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub view: Option<String>,
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let scope = a.actor.scope_any(CREDIT_READERS);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let today = today();
    // Open due dates are filled, and ended periods marked, whenever someone looks.
    state.store.credit_tick(&state.calendar(), today).await?;
    let view = q.view.unwrap_or_else(|| "due".into());
    let kind = q.kind.unwrap_or_default();
    let qs = q.q.unwrap_or_default();
    let rows = state
        .store
        .list_decisions(
            &scope,
            &DecisionFilter {
                view: view.clone(),
                kind: DecisionKind::parse(&kind),
                q: qs.clone(),
                today: Some(today),
                limit: 500,
            },
        )
        .await?;
    Ok(ListPage {
        chrome: Chrome::admin(&state, &a, "双公示", "/admin/credit")
            .await
            .with_done(&a),
        view,
        kind,
        q: qs,
        rows,
        today,
        can_record: a.actor.has_anywhere(Permission::RecordDecisions),
    }
    .into_response())
}

/// The record form as typed (checkboxes arrive as "on").
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RecordForm {
    #[serde(default)]
    pub body_id: i64,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub party_type: String,
    #[serde(default)]
    pub party_name: String,
    #[serde(default)]
    pub uscc: String,
    #[serde(default)]
    pub legal_rep: String,
    #[serde(default)]
    pub id_type: String,
    #[serde(default)]
    pub id_no: String,
    #[serde(default)]
    pub rep_id_no: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub other_names: String,
    #[serde(default)]
    pub involves_minor: Option<String>,
    #[serde(default)]
    pub adult_confirmed: Option<String>,
    #[serde(default)]
    pub doc_title: String,
    #[serde(default)]
    pub doc_no: String,
    #[serde(default)]
    pub content: String,
    #[serde(default)]
    pub basis: String,
    #[serde(default)]
    pub fine_yuan: String,
    #[serde(default)]
    pub decided_on: String,
    #[serde(default)]
    pub valid_until: String,
}

impl RecordForm {
    pub fn input(&self) -> DecisionInput {
        DecisionInput {
            kind: self.kind.clone(),
            party_type: self.party_type.clone(),
            party_name: self.party_name.clone(),
            uscc: self.uscc.clone(),
            legal_rep: self.legal_rep.clone(),
            id_type: self.id_type.clone(),
            id_no: self.id_no.clone(),
            rep_id_no: self.rep_id_no.clone(),
            phone: self.phone.clone(),
            address: self.address.clone(),
            other_names: self.other_names.clone(),
            involves_minor: self.involves_minor.is_some(),
            adult_confirmed: self.adult_confirmed.is_some(),
            doc_title: self.doc_title.clone(),
            doc_no: self.doc_no.clone(),
            content: self.content.clone(),
            basis: self.basis.clone(),
            fine_yuan: self.fine_yuan.clone(),
            decided_on: self.decided_on.clone(),
            valid_until: self.valid_until.clone(),
        }
    }
}

/// Seal the personal values and compute the clocks of a checked decision, ready to record.
/// The same for the form and the staff API.
pub async fn new_decision(
    state: &AppState,
    body_id: i64,
    v: &ValidDecision,
    entered_via: &'static str,
) -> Result<NewDecision, AppError> {
    let policy = state.store.body_settings(body_id).await?.credit;
    let personal_json =
        serde_json::to_string(&v.personal).map_err(|e| AppError::Internal(e.to_string()))?;
    let publish_due = dc::publish_due(&state.calendar(), v.decided_on)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    Ok(NewDecision::from_valid(
        body_id,
        v,
        state.seal.seal(&personal_json),
        publish_due,
        &policy,
        entered_via,
    ))
}

/// The opened personal values of a recorded decision (empty if none were entered).
pub fn personal_of(state: &AppState, d: &Decision) -> Result<Personal, AppError> {
    if d.personal_sealed.is_empty() {
        return Ok(Personal::default());
    }
    let plain = state
        .seal
        .open(&d.personal_sealed)
        .map_err(|e| AppError::Internal(format!("personal values of decision {}: {e}", d.id)))?;
    serde_json::from_str(&plain).map_err(|e| AppError::Internal(e.to_string()))
}

/// The public copy a decision would get now, or why it would be refused.
pub fn preview(
    state: &AppState,
    d: &Decision,
    p: &Personal,
    policy: &dc::CreditPolicy,
) -> Result<PublicFields, String> {
    dc::public_copy(
        PrivateFields {
            party_type: PartyType::parse(&d.party_type).unwrap_or(PartyType::Natural),
            party_name: &d.party_name,
            uscc: &d.uscc,
            legal_rep: &d.legal_rep,
            doc_title: &d.doc_title,
            content: &d.content,
            basis: &d.basis,
        },
        p,
        &state.config.screening,
        policy,
    )
}

#[derive(Template, WebTemplate)]
#[template(path = "credit/admin_form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    pub form: RecordForm,
    pub errors: FormErrors,
    pub bodies: Vec<BodyOption>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub party_types: Vec<(&'static str, &'static str)>,
    pub id_types: Vec<(&'static str, &'static str)>,
}

async fn form_page(
    state: &AppState,
    a: &Authed,
    form: RecordForm,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let scope = a.actor.scope(Permission::RecordDecisions);
    let bodies = crate::views::body_options(state, Some(&scope), Some(form.body_id), false).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FormPage {
        chrome: Chrome::admin(state, a, "登记行政许可、行政处罚决定", "/admin/credit").await,
        form,
        errors,
        bodies,
        kinds: DecisionKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        party_types: PartyType::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        id_types: IdType::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
    };
    Ok((status, page).into_response())
}

pub async fn view_new_get(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    if !a.actor.has_anywhere(Permission::RecordDecisions) {
        return Err(AppError::Forbidden);
    }
    let form = RecordForm {
        body_id: a.acting_body_id.unwrap_or(a.user.body_id),
        kind: "penalty".into(),
        party_type: "legal".into(),
        id_type: "resident".into(),
        doc_title: "行政处罚决定书".into(),
        ..RecordForm::default()
    };
    form_page(&state, &a, form, FormErrors::default()).await
}

pub async fn view_new_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<RecordForm>,
) -> Result<Response, AppError> {
    let body = state.store.get_body(f.body_id).await?;
    if !a.actor.can(Permission::RecordDecisions, &body.path) {
        return Err(AppError::Forbidden);
    }
    let v = match f.input().validate(today()) {
        Ok(v) => v,
        Err(errs) => {
            let mut e = FormErrors::default();
            for (field, m) in errs {
                e.field(field, m);
            }
            return form_page(&state, &a, f, e).await;
        }
    };
    let rec = new_decision(&state, f.body_id, &v, "form").await?;
    match state.store.record_decision(&rec, &a.who()).await {
        Ok(id) => Ok(Redirect::to(&format!("/admin/credit/{id}?done=recorded")).into_response()),
        Err(gongkai_store::StoreError::Conflict(m)) => {
            let mut e = FormErrors::default();
            e.field("doc_no", m);
            form_page(&state, &a, f, e).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "credit/admin_decision.html")]
pub struct DecisionPage {
    pub chrome: Chrome,
    pub d: Decision,
    pub body_name: String,
    pub rights: Rights,
    pub due: String,
    pub overdue: bool,
    /// The personal values as shown: masked unless revealed.
    pub personal_lines: Vec<(String, String)>,
    pub revealed: bool,
    pub preview: Option<Result<PublicFields, String>>,
    /// The content as shown: personal values masked unless revealed.
    pub content_shown: String,
    pub public_id: Option<i64>,
    pub error: Option<String>,
    pub today: NaiveDate,
}

async fn load(
    state: &AppState,
    a: &Authed,
    id: i64,
) -> Result<(Decision, String, Rights), AppError> {
    let d = state.store.get_decision(id).await?;
    let body = state.store.get_body(d.body_id).await?;
    let r = Rights::of(a, &body.path);
    if !r.read {
        return Err(AppError::NotFound);
    }
    Ok((d, body.name, r))
}

fn personal_lines(p: &Personal, natural: bool, revealed: bool) -> Vec<(String, String)> {
    let show = |v: &str, keep: (usize, usize)| {
        if revealed {
            v.to_string()
        } else {
            mask(v, keep.0, keep.1)
        }
    };
    let mut out = Vec::new();
    if natural {
        let t = IdType::parse(&p.id_type).map_or("证件", IdType::label);
        out.push(("证件类型".into(), t.to_string()));
        out.push(("证件号码".into(), show(&p.id_no, (3, 2))));
    } else if !p.rep_id_no.is_empty() {
        out.push(("法定代表人证件号码".into(), show(&p.rep_id_no, (3, 2))));
    }
    if !p.phone.is_empty() {
        out.push(("联系电话".into(), show(&p.phone, (3, 2))));
    }
    if !p.address.is_empty() {
        out.push(("住址".into(), show(&p.address, (2, 0))));
    }
    if !p.other_names.is_empty() {
        let names = if revealed {
            p.other_names.join("、")
        } else {
            p.other_names
                .iter()
                .map(|n| dc::anonymised_name(n))
                .collect::<Vec<_>>()
                .join("、")
        };
        out.push(("其他涉及人员".into(), names));
    }
    out
}

async fn decision_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    revealed: bool,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (d, body_name, rights) = load(state, a, id).await?;
    let today = today();
    let p = personal_of(state, &d)?;
    let natural = d.party_type == PartyType::Natural.as_str();
    let due = if d.publish_due_on.is_empty() {
        "期限跨入下一年度，待该年度节假日安排导入后确定".to_string()
    } else {
        d.publish_due_on.clone()
    };
    let policy = state.store.body_settings(d.body_id).await?.credit;
    let preview = (d.status == "recorded").then(|| preview(state, &d, &p, &policy));
    // The staff page masks personal values typed into the text too, until revealed.
    let content_shown = if revealed {
        d.content.clone()
    } else {
        dc::mask_public_text(&d.content, &p.values(), &[], &state.config.screening).text
    };
    let public_id = if matches!(d.status.as_str(), "published" | "withdrawn") {
        state.store.public_id_of(d.id).await?
    } else {
        None
    };
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = DecisionPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("{} {}", d.kind_label(), d.doc_no),
            "/admin/credit",
        )
        .await
        .with_done(a),
        overdue: d.overdue_on(today),
        personal_lines: personal_lines(&p, natural, revealed),
        body_name,
        rights,
        due,
        revealed,
        preview,
        content_shown,
        public_id,
        error,
        today,
        d,
    };
    Ok((status, page).into_response())
}

pub async fn view_decision(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    decision_page(&state, &a, id, false, None).await
}

#[derive(Deserialize, Default)]
pub struct ReasonForm {
    #[serde(default)]
    pub reason: String,
}

pub async fn reveal(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, AppError> {
    let (d, _, r) = load(&state, &a, id).await?;
    if !r.reveal() {
        return Err(AppError::Forbidden);
    }
    let reason = f.reason.trim();
    if reason.chars().count() < 4 {
        return decision_page(
            &state,
            &a,
            id,
            false,
            Some("查看完整信息须填写理由（至少4个字），该操作将记入审计日志".into()),
        )
        .await;
    }
    state
        .store
        .audit_credit_reveal(d.id, d.body_id, reason, &a.who())
        .await?;
    decision_page(&state, &a, id, true, None).await
}

pub async fn publish(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (d, _, r) = load(&state, &a, id).await?;
    if !r.approve {
        return Err(AppError::Forbidden);
    }
    let p = personal_of(&state, &d)?;
    match state
        .store
        .publish_decision(id, &p, &state.config.screening, today(), &a.who())
        .await
    {
        Ok(Published::Public(_)) => {
            Ok(Redirect::to(&format!("/admin/credit/{id}?done=published")).into_response())
        }
        Ok(Published::Withheld(_)) => {
            Ok(Redirect::to(&format!("/admin/credit/{id}?done=withheld")).into_response())
        }
        Err(gongkai_store::StoreError::Invalid(m)) => {
            decision_page(&state, &a, id, false, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, Default)]
pub struct WithdrawForm {
    #[serde(default)]
    pub revoked_on: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<WithdrawForm>,
) -> Result<Response, AppError> {
    let (_, _, r) = load(&state, &a, id).await?;
    if !r.approve {
        return Err(AppError::Forbidden);
    }
    let Some(revoked_on) = NaiveDate::parse_from_str(f.revoked_on.trim(), "%Y-%m-%d").ok() else {
        return decision_page(
            &state,
            &a,
            id,
            false,
            Some("请填写变更或撤销决定的日期（YYYY-MM-DD）".into()),
        )
        .await;
    };
    let due = dc::withdraw_due(&state.calendar(), revoked_on)
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    match state
        .store
        .withdraw_decision(id, revoked_on, due, &f.reason, today(), &a.who())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/credit/{id}?done=withdrawn")).into_response()),
        Err(gongkai_store::StoreError::Invalid(m)) => {
            decision_page(&state, &a, id, false, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn void(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<ReasonForm>,
) -> Result<Response, AppError> {
    let (_, _, r) = load(&state, &a, id).await?;
    if !r.record {
        return Err(AppError::Forbidden);
    }
    match state.store.void_decision(id, &f.reason, &a.who()).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/credit/{id}?done=voided")).into_response()),
        Err(gongkai_store::StoreError::Invalid(m)) => {
            decision_page(&state, &a, id, false, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}
