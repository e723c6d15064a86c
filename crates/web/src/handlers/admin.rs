//! The back office: dashboard, bodies, accounts and roles, the audit log and the working-day
//! calendar. Every handler checks the one permission mechanism (`Actor::can` / `scope`).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Datelike, NaiveDate};
use gongkai_domain::access::{Permission, Role};
use gongkai_domain::body::{BodyInput, BodyKind, Leader};
use gongkai_domain::password::hash_password;
use gongkai_store::audit::{AuditFilter, AuditView};
use gongkai_store::bodies::Body;
use gongkai_store::sessions::SessionListRow;
use gongkai_store::users::{GrantRow, NewUser, User, UserListRow};
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff, random_token};
use crate::error::AppError;
use crate::views::{BodyFormPage, BodyOption, Chrome, FormErrors, fmt_ms};

/// The path of the body chosen in the switcher, if any.
async fn acting_path(state: &AppState, a: &Authed) -> Option<String> {
    match a.acting_body_id {
        Some(id) => state.store.get_body(id).await.ok().map(|b| b.path),
        None => None,
    }
}

fn require(a: &Authed, perm: Permission, path: &str) -> Result<(), AppError> {
    if a.actor.can(perm, path) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/dashboard.html")]
pub struct DashboardPage {
    pub chrome: Chrome,
    pub grants: Vec<GrantRow>,
    pub calendar_warning: Option<String>,
    pub bodies_in_scope: usize,
    pub users_in_scope: usize,
}

/// The warning shown from 1 November when next year's holiday calendar is not loaded yet.
pub fn calendar_warning(
    cal: &gongkai_domain::calendar::Calendar,
    today: NaiveDate,
) -> Option<String> {
    let next = today.year() + 1;
    if today.month() >= 11 && !cal.has_year(next) {
        Some(format!(
            "{next}年的节假日安排尚未导入。国务院办公厅发布通知后，请尽快导入（gongkai calendar import），否则跨年的办理期限将无法计算。"
        ))
    } else {
        None
    }
}

pub fn today() -> NaiveDate {
    chrono::Utc::now()
        .with_timezone(&crate::views::chrono_tz_shanghai())
        .date_naive()
}

pub async fn view_dashboard(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<DashboardPage, AppError> {
    let bodies = state.store.list_bodies().await?;
    let any = a.actor.scope(Permission::ViewBackOffice);
    let users = if a.actor.has_anywhere(Permission::ManageAccounts) {
        state
            .store
            .list_users(&a.actor.scope(Permission::ManageAccounts))
            .await?
            .len()
    } else {
        0
    };
    Ok(DashboardPage {
        chrome: Chrome::admin(&state, &a, "工作台", "/admin").await,
        grants: state.store.grants_of(a.user.id).await?,
        calendar_warning: calendar_warning(&state.calendar(), today()),
        bodies_in_scope: bodies.iter().filter(|b| any.contains(&b.path)).count(),
        users_in_scope: users,
    })
}

#[derive(Deserialize)]
pub struct ActingForm {
    pub body_id: i64,
    #[serde(default)]
    pub back: String,
}

/// The body switcher: act for one of the bodies where the account holds a role, or for all.
pub async fn set_acting_body(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<ActingForm>,
) -> Result<Response, AppError> {
    let target = if f.body_id == 0 {
        None
    } else if a.actor.grants.iter().any(|g| g.body_id == f.body_id) {
        Some(f.body_id)
    } else {
        return Err(AppError::Forbidden);
    };
    state.store.set_acting_body(&a.session_key, target).await?;
    let back = if f.back.starts_with("/admin") {
        f.back
    } else {
        "/admin".into()
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/bodies.html")]
pub struct AdminBodiesPage {
    pub chrome: Chrome,
    pub bodies: Vec<Body>,
}

pub async fn view_bodies(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<AdminBodiesPage, AppError> {
    let scope = a.scope(
        Permission::ManageBodies,
        acting_path(&state, &a).await.as_deref(),
    );
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .collect();
    Ok(AdminBodiesPage {
        chrome: Chrome::admin(&state, &a, "机关管理", "/admin/bodies").await,
        bodies,
    })
}

fn kinds() -> Vec<(&'static str, &'static str)> {
    BodyKind::ALL
        .iter()
        .map(|k| (k.as_str(), k.label()))
        .collect()
}

async fn parent_options(
    state: &AppState,
    a: &Authed,
    selected: Option<i64>,
    exclude_under: Option<&str>,
) -> Result<Vec<BodyOption>, AppError> {
    let scope = a.actor.scope(Permission::ManageBodies);
    Ok(state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .filter(|b| exclude_under.is_none_or(|p| !b.path.starts_with(p)))
        .map(|b| BodyOption {
            id: b.id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            selected: Some(b.id) == selected,
        })
        .collect())
}

/// Read the body form (fields plus leader rows `leader_name_N`, `leader_title_N`, …).
fn body_input(fields: &[(String, String)]) -> BodyInput {
    let map: HashMap<&str, &str> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let get = |k: &str| map.get(k).map(|v| v.to_string()).unwrap_or_default();
    let mut leaders = Vec::new();
    for i in 0..20 {
        let name = get(&format!("leader_name_{i}"));
        let title = get(&format!("leader_title_{i}"));
        let portfolio = get(&format!("leader_portfolio_{i}"));
        if !(name.is_empty() && title.is_empty() && portfolio.is_empty()) {
            leaders.push(Leader {
                name,
                title,
                portfolio,
            });
        }
    }
    BodyInput {
        name: get("name"),
        short_name: get("short_name"),
        kind: get("kind"),
        org_code: get("org_code"),
        parent_id: get("parent_id").parse().ok().filter(|v| *v > 0),
        address: get("address"),
        office_hours: get("office_hours"),
        phone: get("phone"),
        fax: get("fax"),
        email: get("email"),
        duties: get("duties"),
        leaders,
    }
}

fn leader_rows(leaders: &[Leader]) -> Vec<(usize, Leader)> {
    let mut rows: Vec<(usize, Leader)> = leaders.iter().cloned().enumerate().collect();
    let n = rows.len();
    for i in n..(n + 2).max(3) {
        rows.push((i, Leader::default()));
    }
    rows
}

#[allow(clippy::too_many_arguments)]
async fn body_form(
    state: &AppState,
    a: &Authed,
    heading: &str,
    action: String,
    input: BodyInput,
    version: i64,
    exclude_under: Option<&str>,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = BodyFormPage {
        chrome: Chrome::admin(state, a, heading, "/admin/bodies").await,
        heading: heading.to_string(),
        action,
        parents: parent_options(state, a, input.parent_id, exclude_under).await?,
        leader_rows: leader_rows(&input.leaders),
        input,
        version,
        kinds: kinds(),
        errors,
    };
    Ok((status, page).into_response())
}

fn field_errors(errs: Vec<(&'static str, String)>) -> FormErrors {
    let mut f = FormErrors::default();
    for (k, m) in errs {
        f.field(k, m);
    }
    f
}

pub async fn view_body_new_get(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<Response, AppError> {
    if !a.actor.has_anywhere(Permission::ManageBodies) {
        return Err(AppError::Forbidden);
    }
    let input = BodyInput {
        kind: "department".into(),
        ..Default::default()
    };
    body_form(
        &state,
        &a,
        "新增机关",
        "/admin/bodies/new".into(),
        input,
        0,
        None,
        FormErrors::default(),
    )
    .await
}

pub async fn view_body_new_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let input = body_input(&fields);
    let redisplay = |input: BodyInput, errors: FormErrors| {
        let state = state.clone();
        let a = a.clone();
        async move {
            body_form(
                &state,
                &a,
                "新增机关",
                "/admin/bodies/new".into(),
                input,
                0,
                None,
                errors,
            )
            .await
        }
    };
    let Some(parent_id) = input.parent_id else {
        let mut e = FormErrors::default();
        e.field("parent_id", "请选择上级机关");
        return redisplay(input, e).await;
    };
    let parent = state.store.get_body(parent_id).await?;
    require(&a, Permission::ManageBodies, &parent.path)?;
    let fields = match input.validate() {
        Ok(f) => f,
        Err(errs) => return redisplay(input, field_errors(errs)).await,
    };
    match state.store.create_body(&fields, &a.who()).await {
        Ok(id) => Ok(Redirect::to(&format!("/admin/bodies/{id}/edit?saved=1")).into_response()),
        Err(gongkai_store::StoreError::Conflict(m)) => {
            let mut e = FormErrors::default();
            e.field("org_code", m);
            redisplay(input, e).await
        }
        Err(gongkai_store::StoreError::Invalid(m)) => {
            redisplay(input, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

fn input_of(b: &Body) -> BodyInput {
    BodyInput {
        name: b.name.clone(),
        short_name: b.short_name.clone(),
        kind: b.kind.clone(),
        org_code: b.org_code.clone(),
        parent_id: b.parent_id,
        address: b.address.clone(),
        office_hours: b.office_hours.clone(),
        phone: b.phone.clone(),
        fax: b.fax.clone(),
        email: b.email.clone(),
        duties: b.duties.clone(),
        leaders: b.leaders(),
    }
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    pub saved: Option<String>,
}

pub async fn view_body_edit_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Query(q): Query<SavedQuery>,
) -> Result<Response, AppError> {
    let b = state.store.get_body(id).await?;
    require(&a, Permission::ManageBodies, &b.path)?;
    let mut resp = body_form(
        &state,
        &a,
        &format!("编辑：{}", b.name),
        format!("/admin/bodies/{id}/edit"),
        input_of(&b),
        b.version,
        Some(&b.path),
        FormErrors::default(),
    )
    .await?;
    if q.saved.is_some() {
        resp.headers_mut()
            .insert("x-gongkai-saved", axum::http::HeaderValue::from_static("1"));
    }
    Ok(resp)
}

pub async fn view_body_edit_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let b = state.store.get_body(id).await?;
    require(&a, Permission::ManageBodies, &b.path)?;
    let input = body_input(&fields);
    let version: i64 = fields
        .iter()
        .find(|(k, _)| k == "version")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let heading = format!("编辑：{}", b.name);
    let action = format!("/admin/bodies/{id}/edit");
    if let Some(p) = input.parent_id
        && p != b.parent_id.unwrap_or(0)
    {
        let parent = state.store.get_body(p).await?;
        require(&a, Permission::ManageBodies, &parent.path)?;
    }
    let fields = match input.validate() {
        Ok(f) => f,
        Err(errs) => {
            return body_form(
                &state,
                &a,
                &heading,
                action,
                input,
                version,
                Some(&b.path),
                field_errors(errs),
            )
            .await;
        }
    };
    match state
        .store
        .update_body(id, &fields, version, &a.who())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/bodies/{id}/edit?saved=1")).into_response()),
        Err(gongkai_store::StoreError::Conflict(m)) => {
            body_form(
                &state,
                &a,
                &heading,
                action,
                input,
                version,
                Some(&b.path),
                FormErrors::general(m),
            )
            .await
        }
        Err(gongkai_store::StoreError::Invalid(m)) => {
            let mut e = FormErrors::default();
            e.field("parent_id", m);
            body_form(
                &state,
                &a,
                &heading,
                action,
                input,
                version,
                Some(&b.path),
                e,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub users: Vec<UserListRow>,
}

pub async fn view_users(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<UsersPage, AppError> {
    let scope = a.scope(
        Permission::ManageAccounts,
        acting_path(&state, &a).await.as_deref(),
    );
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(UsersPage {
        chrome: Chrome::admin(&state, &a, "账号与角色", "/admin/users").await,
        users: state.store.list_users(&scope).await?,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user_new.html")]
pub struct UserNewPage {
    pub chrome: Chrome,
    pub bodies: Vec<BodyOption>,
    pub roles: Vec<(&'static str, &'static str, bool)>,
    pub username: String,
    pub display_name: String,
    pub errors: FormErrors,
}

async fn account_bodies(
    state: &AppState,
    a: &Authed,
    selected: Option<i64>,
) -> Result<Vec<BodyOption>, AppError> {
    let scope = a.actor.scope(Permission::ManageAccounts);
    Ok(state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .map(|b| BodyOption {
            id: b.id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            selected: Some(b.id) == selected,
        })
        .collect())
}

pub async fn view_user_new_get(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<UserNewPage, AppError> {
    if !a.actor.has_anywhere(Permission::ManageAccounts) {
        return Err(AppError::Forbidden);
    }
    Ok(UserNewPage {
        chrome: Chrome::admin(&state, &a, "新增账号", "/admin/users").await,
        bodies: account_bodies(&state, &a, a.acting_body_id).await?,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label(), false))
            .collect(),
        username: String::new(),
        display_name: String::new(),
        errors: FormErrors::default(),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/secret.html")]
pub struct SecretPage {
    pub chrome: Chrome,
    pub heading: String,
    pub message: String,
    pub secret: String,
    pub back: String,
}

/// A random initial password that satisfies both policy profiles (16 characters, all classes).
pub fn initial_password() -> String {
    let t = random_token();
    let core: String = t
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .take(12)
        .collect();
    format!("Gk{core}#7a")
}

pub async fn view_user_new_post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let username = get("username");
    let display_name = get("display_name");
    let body_id: i64 = get("body_id").parse().unwrap_or(0);
    let roles: Vec<Role> = fields
        .iter()
        .filter(|(k, _)| k == "role")
        .filter_map(|(_, v)| Role::parse(v))
        .collect();
    let mut errors = FormErrors::default();
    let body = state.store.get_body(body_id).await.ok();
    match &body {
        None => errors.field("body_id", "请选择所属机关"),
        Some(b) => require(&a, Permission::ManageAccounts, &b.path)?,
    }
    if !gongkai_store::users::valid_username(&username) {
        errors.field("username", "用户名须为3至32位字母、数字或“._-”");
    }
    if display_name.is_empty() {
        errors.field("display_name", "请填写姓名");
    }
    let password = initial_password();
    if errors.is_empty() {
        let hash = hash_password(&password).map_err(AppError::Internal)?;
        let nu = NewUser {
            body_id,
            username: username.clone(),
            display_name: display_name.clone(),
            password_hash: hash,
            must_change_password: true,
            roles: roles.clone(),
        };
        match state.store.create_user(&nu, &a.who()).await {
            Ok(id) => {
                return Ok(SecretPage {
                    chrome: Chrome::admin(&state, &a, "账号已创建", "/admin/users").await,
                    heading: format!("账号 {username} 已创建"),
                    message: "请将下面的初始密码当面或通过安全渠道交给本人。此密码只显示这一次，本人首次登录时必须修改。".into(),
                    secret: password,
                    back: format!("/admin/users/{id}"),
                }
                .into_response());
            }
            Err(gongkai_store::StoreError::Conflict(m)) => errors.field("username", m),
            Err(gongkai_store::StoreError::Invalid(m)) => errors.general.push(m),
            Err(e) => return Err(e.into()),
        }
    }
    let page = UserNewPage {
        chrome: Chrome::admin(&state, &a, "新增账号", "/admin/users").await,
        bodies: account_bodies(&state, &a, Some(body_id)).await?,
        roles: Role::ALL
            .iter()
            .map(|r| (r.as_str(), r.label(), roles.contains(r)))
            .collect(),
        username,
        display_name,
        errors,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/user.html")]
pub struct UserPage {
    pub chrome: Chrome,
    pub user: User,
    pub body: Body,
    pub grants: Vec<(GrantRow, bool)>,
    pub bodies: Vec<BodyOption>,
    pub roles: Vec<(&'static str, &'static str)>,
    pub sessions: Vec<SessionListRow>,
    pub locked: bool,
    pub errors: FormErrors,
}

impl UserPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
}

async fn user_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    errors: FormErrors,
) -> Result<Response, AppError> {
    let user = state.store.get_user(id).await?;
    let body = state.store.get_body(user.body_id).await?;
    require(a, Permission::ManageAccounts, &body.path)?;
    let grants = state
        .store
        .grants_of(id)
        .await?
        .into_iter()
        .map(|g| {
            let can = a.actor.can(Permission::ManageAccounts, &g.body_path);
            (g, can)
        })
        .collect();
    let (c, s) = crate::handlers::account::live_limits(state);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = UserPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("账号：{}", user.username),
            "/admin/users",
        )
        .await,
        locked: user
            .locked_until
            .is_some_and(|u| u > gongkai_store::now_ms()),
        sessions: state.store.list_sessions(id, c, s).await?,
        user,
        body,
        grants,
        bodies: account_bodies(state, a, None).await?,
        roles: Role::ALL.iter().map(|r| (r.as_str(), r.label())).collect(),
        errors,
    };
    Ok((status, page).into_response())
}

pub async fn view_user(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    user_page(&state, &a, id, FormErrors::default()).await
}

#[derive(Deserialize)]
pub struct GrantForm {
    pub role: String,
    pub body_id: i64,
}

pub async fn grant_role(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<GrantForm>,
) -> Result<Response, AppError> {
    let user = state.store.get_user(id).await?;
    let user_body = state.store.get_body(user.body_id).await?;
    require(&a, Permission::ManageAccounts, &user_body.path)?;
    let target = state.store.get_body(f.body_id).await?;
    let Some(role) = Role::parse(&f.role) else {
        return user_page(&state, &a, id, FormErrors::general("请选择角色")).await;
    };
    if !a.actor.can_grant(role, &target.path) {
        return Err(AppError::Forbidden);
    }
    match state.store.grant_role(id, target.id, role, &a.who()).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{id}")).into_response()),
        Err(gongkai_store::StoreError::Conflict(m)) => {
            user_page(&state, &a, id, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_role(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(grant_id): Path<i64>,
) -> Result<Response, AppError> {
    let g = state.store.get_grant(grant_id).await?;
    require(&a, Permission::ManageAccounts, &g.body_path)?;
    match state.store.revoke_role(grant_id, &a.who()).await {
        Ok(()) => Ok(Redirect::to(&format!("/admin/users/{}", g.user_id)).into_response()),
        Err(gongkai_store::StoreError::Invalid(m)) => {
            user_page(&state, &a, g.user_id, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct UserActionForm {
    pub action: String,
    #[serde(default)]
    pub session: String,
}

/// Disable, enable, reset the password, reset the second factor, unlock, or end sessions.
pub async fn user_action(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<UserActionForm>,
) -> Result<Response, AppError> {
    let user = state.store.get_user(id).await?;
    let body = state.store.get_body(user.body_id).await?;
    require(&a, Permission::ManageAccounts, &body.path)?;
    let who = a.who();
    let back = Redirect::to(&format!("/admin/users/{id}")).into_response();
    let result = match f.action.as_str() {
        "disable" => {
            if user.id == a.user.id {
                return user_page(&state, &a, id, FormErrors::general("不能停用自己的账号")).await;
            }
            state.store.set_user_disabled(id, true, &who).await
        }
        "enable" => state.store.set_user_disabled(id, false, &who).await,
        "reset_totp" => {
            let r = state.store.reset_totp(id, &who).await;
            state
                .store
                .end_user_sessions(id, "ended_by_admin", None)
                .await?;
            r
        }
        "end_sessions" => {
            state
                .store
                .end_user_sessions(id, "ended_by_admin", None)
                .await?;
            state
                .store
                .audit(
                    gongkai_domain::audit::AuditEvent::new("session.ended_by_admin", "user", id)
                        .who(&who)
                        .body(Some(user.body_id)),
                )
                .await
                .map(|_| ())
        }
        "end_session" => {
            let s = state
                .store
                .get_session(&f.session)
                .await?
                .ok_or(AppError::NotFound)?;
            if s.user_id != id {
                return Err(AppError::Forbidden);
            }
            state
                .store
                .end_session(&f.session, "ended_by_admin", Some(&who))
                .await
                .map(|_| ())
        }
        "reset_password" => {
            let password = initial_password();
            let hash = hash_password(&password).map_err(AppError::Internal)?;
            state.store.set_password(id, &hash, true, &who).await?;
            state
                .store
                .end_user_sessions(id, "password_reset", None)
                .await?;
            return Ok(SecretPage {
                chrome: Chrome::admin(&state, &a, "密码已重置", "/admin/users").await,
                heading: format!("账号 {} 的密码已重置", user.username),
                message: "请将下面的临时密码通过安全渠道交给本人。此密码只显示这一次，本人登录时必须修改。".into(),
                secret: password,
                back: format!("/admin/users/{id}"),
            }
            .into_response());
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match result {
        Ok(()) => Ok(back),
        Err(gongkai_store::StoreError::Invalid(m)) => {
            user_page(&state, &a, id, FormErrors::general(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub entries: Vec<AuditView>,
    pub bodies: Vec<BodyOption>,
    pub q: AuditQuery,
    pub next: Option<String>,
}

impl AuditPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
}

#[derive(Deserialize, Default, Clone, Debug)]
pub struct AuditQuery {
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub before: String,
}

fn day_start_ms(s: &str, plus_days: i64) -> Option<i64> {
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()?;
    let d = d.checked_add_signed(chrono::Duration::days(plus_days))?;
    let t = d.and_hms_opt(0, 0, 0)?;
    Some(t.and_utc().timestamp_millis() - 8 * 3_600_000)
}

pub async fn view_audit(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, AppError> {
    let scope = a.scope(
        Permission::ViewAudit,
        acting_path(&state, &a).await.as_deref(),
    );
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let f = AuditFilter {
        body_id: q.body.parse().ok().filter(|v| *v > 0),
        actor: Some(q.actor.trim().to_string()),
        action_prefix: Some(q.action.trim().to_string()),
        from_ms: day_start_ms(&q.from, 0),
        to_ms: day_start_ms(&q.to, 1),
        before_seq: q.before.parse().ok(),
        limit: 100,
    };
    let entries = state.store.list_audit(&scope, &f).await?;
    let next = (entries.len() == 100).then(|| {
        let last = entries.last().map(|e| e.seq).unwrap_or(0);
        format!(
            "?body={}&actor={}&action={}&from={}&to={}&before={last}",
            enc(&q.body),
            enc(&q.actor),
            enc(&q.action),
            enc(&q.from),
            enc(&q.to)
        )
    });
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.contains(&b.path))
        .map(|b| BodyOption {
            selected: q.body == b.id.to_string(),
            id: b.id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
        })
        .collect();
    Ok(AuditPage {
        chrome: Chrome::admin(&state, &a, "审计日志", "/admin/audit").await,
        entries,
        bodies,
        q,
        next,
    })
}

fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/calendar.html")]
pub struct CalendarPage {
    pub chrome: Chrome,
    pub years: Vec<(i32, usize, usize, String)>,
    pub warning: Option<String>,
    pub date: String,
    pub n: String,
    pub result: Option<String>,
    pub error: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct CalendarQuery {
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub n: String,
}

pub async fn view_calendar(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<CalendarQuery>,
) -> Result<CalendarPage, AppError> {
    let cal = state.calendar();
    let imported = state.store.imported_calendar_years().await?;
    let years = cal
        .years()
        .into_iter()
        .filter_map(|y| {
            let d = cal.year_data(y)?;
            let off = d.days.values().filter(|s| s.off).count();
            let work = d.days.len() - off;
            let source = match imported.iter().find(|(iy, _, _)| *iy == i64::from(y)) {
                Some((_, at, by)) => format!("{} 由 {by} 导入", fmt_ms(*at)),
                None => "随软件发布".to_string(),
            };
            Some((y, off, work, source))
        })
        .collect();
    let (mut result, mut error) = (None, None);
    if !q.date.trim().is_empty() {
        match NaiveDate::parse_from_str(q.date.trim(), "%Y-%m-%d") {
            Err(_) => error = Some("日期格式应为 YYYY-MM-DD".to_string()),
            Ok(d) => {
                let n = q.n.trim();
                if n.is_empty() {
                    match cal.explain(d) {
                        Ok(s) => result = Some(s),
                        Err(e) => error = Some(e.to_string()),
                    }
                } else {
                    match n.parse::<u32>() {
                        Ok(n) if n <= 1000 => match cal.add_working_days(d, n) {
                            Ok(r) => {
                                result = Some(format!("{d} 之后第{n}个工作日（当日不计）是 {r}"))
                            }
                            Err(e) => error = Some(e.to_string()),
                        },
                        _ => error = Some("工作日数应为0至1000之间的整数".to_string()),
                    }
                }
            }
        }
    }
    Ok(CalendarPage {
        chrome: Chrome::admin(&state, &a, "工作日历", "/admin/calendar").await,
        years,
        warning: calendar_warning(&cal, today()),
        date: q.date,
        n: q.n,
        result,
        error,
    })
}
