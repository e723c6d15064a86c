//! 权责清单 and 收费目录 in the back office: 事项管理员 (`EditServices`) write the 设立 of new
//! items and drafts of their changes (调整, 取消), keep the fee catalogue and enter the amounts
//! collected each year; 审批领导 (`ApproveItems`) publish drafts, never their own. Every check is
//! on the item's body.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use gongkai_domain::access::{Permission, SERVICE_READERS};
use gongkai_domain::service_input::{FeeCategory, FeeInput, ServiceInput, check_amount};
use gongkai_domain::services::{CancelMode, ServiceKind};
use gongkai_store::StoreError;
use gongkai_store::services::{FeeItem, ServiceFilter, ServiceItem, ServiceVersion};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome, FormErrors};

#[derive(Template, WebTemplate)]
#[template(path = "services/admin_list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub drafts: Vec<(ServiceVersion, ServiceItem)>,
    pub items: Vec<ServiceItem>,
    pub can_edit: bool,
    pub can_approve: bool,
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    let scope = a.actor.scope_any(SERVICE_READERS);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    state.store.services_tick(today()).await?;
    let drafts = state.store.service_drafts(&scope).await?;
    let items = state
        .store
        .list_services(&ServiceFilter {
            scope: Some(scope),
            status: "all".into(),
            limit: 2000,
            ..ServiceFilter::default()
        })
        .await?;
    Ok(ListPage {
        chrome: Chrome::admin(&state, &a, "权责清单", "/admin/services")
            .await
            .with_done(&a),
        drafts,
        items,
        can_edit: a.actor.has_anywhere(Permission::EditServices),
        can_approve: a.actor.has_anywhere(Permission::ApproveItems),
    }
    .into_response())
}

/// The version form as typed; fee items arrive as repeated `fee_id` fields.
fn service_input(fields: &[(String, String)]) -> (i64, ServiceInput) {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    (
        get("body_id").trim().parse().unwrap_or(0),
        ServiceInput {
            change: get("change"),
            cancel_mode: get("cancel_mode"),
            effective_on: get("effective_on"),
            doc_title: get("doc_title"),
            doc_no: get("doc_no"),
            reason: get("reason"),
            code: get("code"),
            name: get("name"),
            kind: get("kind"),
            basis: get("basis"),
            conditions: get("conditions"),
            materials: get("materials"),
            procedure: get("procedure"),
            statutory_days: get("statutory_days"),
            promised_days: get("promised_days"),
            fee_ids: fields
                .iter()
                .filter(|(k, _)| k == "fee_id")
                .filter_map(|(_, v)| v.trim().parse().ok())
                .collect(),
            service_object: get("service_object"),
            online_url: get("online_url"),
            hall: get("hall"),
            hall_window: get("hall_window"),
            hall_hours: get("hall_hours"),
            contact_phone: get("contact_phone"),
            complaint_phone: get("complaint_phone"),
        },
    )
}

/// A version's fields back into the form (to adjust from the current text).
fn input_of(v: &gongkai_domain::service_input::ValidService) -> ServiceInput {
    let days = |d: Option<u32>| d.map(|d| d.to_string()).unwrap_or_default();
    ServiceInput {
        change: "adjust".into(),
        code: v.code.clone(),
        name: v.name.clone(),
        kind: v.kind.as_str().into(),
        basis: v.basis.join("\n"),
        conditions: v.conditions.clone(),
        materials: v.materials.join("\n"),
        procedure: v.procedure.join("\n"),
        statutory_days: days(v.statutory_days),
        promised_days: days(v.promised_days),
        fee_ids: v.fee_ids.clone(),
        service_object: v.service_object.clone(),
        online_url: v.online_url.clone(),
        hall: v.hall.clone(),
        hall_window: v.hall_window.clone(),
        hall_hours: v.hall_hours.clone(),
        contact_phone: v.contact_phone.clone(),
        complaint_phone: v.complaint_phone.clone(),
        ..ServiceInput::default()
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/admin_form.html")]
pub struct FormPage {
    pub chrome: Chrome,
    /// The item a change is for (none: 设立 of a new item).
    pub item: Option<ServiceItem>,
    pub body_id: i64,
    pub form: ServiceInput,
    pub errors: FormErrors,
    pub bodies: Vec<BodyOption>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub modes: Vec<(&'static str, &'static str)>,
    pub fees: Vec<FeeItem>,
}

impl FormPage {
    pub fn fee_checked(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.form.fee_ids.contains(id.borrow())
    }
}

async fn form_page(
    state: &AppState,
    a: &Authed,
    item: Option<ServiceItem>,
    body_id: i64,
    form: ServiceInput,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let scope = a.actor.scope(Permission::EditServices);
    let bodies = crate::views::body_options(state, Some(&scope), Some(body_id), false).await?;
    let fees = state
        .store
        .list_fees(Some(body_id))
        .await?
        .into_iter()
        .filter(|f| !f.cancelled())
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let title = if item.is_some() {
        "登记事项变更"
    } else {
        "设立事项"
    };
    let page = FormPage {
        chrome: Chrome::admin(state, a, title, "/admin/services").await,
        item,
        body_id,
        form,
        errors,
        bodies,
        kinds: ServiceKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        modes: CancelMode::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        fees,
    };
    Ok((status, page).into_response())
}

pub async fn view_new_get(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    if !a.actor.has_anywhere(Permission::EditServices) {
        return Err(AppError::Forbidden);
    }
    let body_id = a.acting_body_id.unwrap_or(a.user.body_id);
    let form = ServiceInput {
        change: "establish".into(),
        kind: "license".into(),
        ..ServiceInput::default()
    };
    form_page(&state, &a, None, body_id, form, FormErrors::default()).await
}

pub async fn view_new_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (body_id, mut input) = service_input(&fields);
    input.change = "establish".into();
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::EditServices, &body.path) {
        return Err(AppError::Forbidden);
    }
    let v = match input.validate() {
        Ok(v) => v,
        Err(e) => {
            return form_page(&state, &a, None, body_id, input, FormErrors::from_fields(e)).await;
        }
    };
    match state.store.create_service(body_id, &v, &a.who()).await {
        Ok((id, _)) => {
            Ok(Redirect::to(&format!("/admin/services/{id}?done=saved")).into_response())
        }
        Err(StoreError::Conflict(m) | StoreError::Invalid(m)) => {
            form_page(&state, &a, None, body_id, input, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "services/admin_item.html")]
pub struct ItemPage {
    pub chrome: Chrome,
    pub item: ServiceItem,
    pub versions: Vec<ServiceVersion>,
    pub can_edit: bool,
    pub can_approve: bool,
    pub user_id: i64,
    pub error: Option<String>,
}

impl ItemPage {
    /// Whether the signed-in account drafted `v` (and so may not publish it).
    pub fn is_mine(&self, v: &ServiceVersion) -> bool {
        v.author_id == Some(self.user_id)
    }
}

async fn load(state: &AppState, a: &Authed, id: i64) -> Result<(ServiceItem, String), AppError> {
    let item = state.store.get_service(id).await?;
    let body = state.store.get_body(item.body_id).await?;
    if !a.actor.can_any(SERVICE_READERS, &body.path) {
        return Err(AppError::NotFound);
    }
    Ok((item, body.path))
}

async fn item_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    error: Option<String>,
) -> Result<Response, AppError> {
    let (item, path) = load(state, a, id).await?;
    let versions = state.store.service_versions(id).await?;
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = ItemPage {
        chrome: Chrome::admin(state, a, &item.name, "/admin/services")
            .await
            .with_done(a),
        can_edit: a.actor.can(Permission::EditServices, &path),
        can_approve: a.actor.can(Permission::ApproveItems, &path),
        user_id: a.user.id,
        item,
        versions,
        error,
    };
    Ok((status, page).into_response())
}

pub async fn view_item(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    item_page(&state, &a, id, None).await
}

/// The change form, filled from the item's current text.
pub async fn view_change_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let (item, path) = load(&state, &a, id).await?;
    if !a.actor.can(Permission::EditServices, &path) {
        return Err(AppError::Forbidden);
    }
    let versions = state.store.service_versions(id).await?;
    let form = versions
        .iter()
        .rev()
        .find(|v| v.published())
        .and_then(ServiceVersion::data)
        .map(|v| input_of(&v))
        .unwrap_or_default();
    let body_id = item.body_id;
    form_page(&state, &a, Some(item), body_id, form, FormErrors::default()).await
}

pub async fn view_change_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let (item, path) = load(&state, &a, id).await?;
    if !a.actor.can(Permission::EditServices, &path) {
        return Err(AppError::Forbidden);
    }
    let (_, mut input) = service_input(&fields);
    // The identity of an item does not change with its versions.
    input.code = item.code.clone();
    let body_id = item.body_id;
    let v = match input.validate() {
        Ok(v) => v,
        Err(e) => {
            return form_page(
                &state,
                &a,
                Some(item),
                body_id,
                input,
                FormErrors::from_fields(e),
            )
            .await;
        }
    };
    match state.store.add_service_version(id, &v, &a.who()).await {
        Ok(_) => Ok(Redirect::to(&format!("/admin/services/{id}?done=saved")).into_response()),
        Err(StoreError::Invalid(m) | StoreError::Conflict(m)) => {
            form_page(
                &state,
                &a,
                Some(item),
                body_id,
                input,
                FormErrors::general(m),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn publish_version(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(vid): Path<i64>,
) -> Result<Response, AppError> {
    let v = state.store.get_service_version(vid).await?;
    let (_, path) = load(&state, &a, v.item_id).await?;
    if !a.actor.can(Permission::ApproveItems, &path) {
        return Err(AppError::Forbidden);
    }
    match state
        .store
        .publish_service_version(vid, today(), &a.who())
        .await
    {
        Ok(()) => Ok(
            Redirect::to(&format!("/admin/services/{}?done=published", v.item_id)).into_response(),
        ),
        Err(StoreError::Invalid(m)) => item_page(&state, &a, v.item_id, Some(m)).await,
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// 收费目录.

#[derive(Template, WebTemplate)]
#[template(path = "services/admin_fees.html")]
pub struct FeesPage {
    pub chrome: Chrome,
    pub fees: Vec<FeeItem>,
    pub bodies: Vec<BodyOption>,
    pub categories: Vec<(&'static str, &'static str)>,
    pub form: FeeInput,
    pub body_id: i64,
    pub errors: FormErrors,
    pub years: Vec<i64>,
    pub this_year: i32,
    pub can_edit: bool,
}

async fn fees_page(
    state: &AppState,
    a: &Authed,
    body_id: i64,
    form: FeeInput,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let readers = a.actor.scope_any(SERVICE_READERS);
    if readers.is_empty() {
        return Err(AppError::Forbidden);
    }
    let bodies_all = state.store.list_bodies().await?;
    let edit = a.actor.scope(Permission::EditServices);
    let fees = state
        .store
        .list_fees(None)
        .await?
        .into_iter()
        .filter(|f| {
            bodies_all
                .iter()
                .find(|b| b.id == f.body_id)
                .is_some_and(|b| readers.contains(&b.path))
        })
        .collect();
    let bodies = crate::views::body_options(state, Some(&edit), Some(body_id), false).await?;
    let y = today().year();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = FeesPage {
        chrome: Chrome::admin(state, a, "收费目录", "/admin/fees")
            .await
            .with_done(a),
        fees,
        bodies,
        categories: FeeCategory::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        form,
        body_id,
        errors,
        years: vec![i64::from(y) - 2, i64::from(y) - 1, i64::from(y)],
        this_year: y,
        can_edit: !edit.is_empty(),
    };
    Ok((status, page).into_response())
}

pub async fn view_fees(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    let body_id = a.acting_body_id.unwrap_or(a.user.body_id);
    let form = FeeInput {
        category: "administrative".into(),
        ..FeeInput::default()
    };
    fees_page(&state, &a, body_id, form, FormErrors::default()).await
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct FeeForm {
    #[serde(default)]
    pub body_id: i64,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub basis_title: String,
    #[serde(default)]
    pub basis_doc_no: String,
    #[serde(default)]
    pub standard_text: String,
    #[serde(default)]
    pub payer: String,
}

impl FeeForm {
    fn fee(&self) -> FeeInput {
        FeeInput {
            code: self.code.clone(),
            name: self.name.clone(),
            category: self.category.clone(),
            basis_title: self.basis_title.clone(),
            basis_doc_no: self.basis_doc_no.clone(),
            standard_text: self.standard_text.clone(),
            payer: self.payer.clone(),
        }
    }
}

pub async fn create_fee(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<FeeForm>,
) -> Result<Response, AppError> {
    let body = state.store.get_body(f.body_id).await?;
    if !a.actor.can(Permission::EditServices, &body.path) {
        return Err(AppError::Forbidden);
    }
    let input = f.fee();
    let v = match input.validate() {
        Ok(v) => v,
        Err(e) => return fees_page(&state, &a, f.body_id, input, FormErrors::from_fields(e)).await,
    };
    match state.store.create_fee(f.body_id, &v, &a.who()).await {
        Ok(_) => Ok(Redirect::to("/admin/fees?done=saved").into_response()),
        Err(StoreError::Conflict(m)) => {
            fees_page(&state, &a, f.body_id, input, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn fee_in_scope(state: &AppState, a: &Authed, id: i64) -> Result<FeeItem, AppError> {
    let f = state.store.get_fee(id).await?;
    let body = state.store.get_body(f.body_id).await?;
    if !a.actor.can_any(SERVICE_READERS, &body.path) {
        return Err(AppError::NotFound);
    }
    if !a.actor.can(Permission::EditServices, &body.path) {
        return Err(AppError::Forbidden);
    }
    Ok(f)
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct AmountForm {
    #[serde(default)]
    pub year: String,
    #[serde(default)]
    pub amount: String,
}

pub async fn set_amount(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<AmountForm>,
) -> Result<Response, AppError> {
    let fee = fee_in_scope(&state, &a, id).await?;
    let year: i32 = f.year.trim().parse().unwrap_or(0);
    let this = FeeInput {
        category: "administrative".into(),
        ..FeeInput::default()
    };
    match check_amount(&f.amount, year, today().year()) {
        Ok(fen) => {
            state
                .store
                .set_fee_amount(fee.id, year, fen, "entered", &a.who())
                .await?;
            Ok(Redirect::to("/admin/fees?done=saved").into_response())
        }
        Err(m) => {
            fees_page(
                &state,
                &a,
                fee.body_id,
                this,
                FormErrors::general(format!("{}：{m}", fee.name)),
            )
            .await
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct CancelFeeForm {
    #[serde(default)]
    pub on: String,
    #[serde(default)]
    pub reason: String,
}

pub async fn cancel_fee(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<CancelFeeForm>,
) -> Result<Response, AppError> {
    let fee = fee_in_scope(&state, &a, id).await?;
    let this = FeeInput {
        category: "administrative".into(),
        ..FeeInput::default()
    };
    let Some(on) = NaiveDate::parse_from_str(f.on.trim(), "%Y-%m-%d").ok() else {
        return fees_page(
            &state,
            &a,
            fee.body_id,
            this,
            FormErrors::general("请填写取消日期（YYYY-MM-DD）"),
        )
        .await;
    };
    match state.store.cancel_fee(id, on, &f.reason, &a.who()).await {
        Ok(()) => Ok(Redirect::to("/admin/fees?done=saved").into_response()),
        Err(StoreError::Invalid(m)) => {
            fees_page(&state, &a, fee.body_id, this, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}
