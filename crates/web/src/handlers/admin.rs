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
use crate::auth::{Authed, Staff};
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
    /// Whether the account manages bodies (the count reads 可管辖机关, else 可查看机关).
    pub manages_bodies: bool,
    pub manages_accounts: bool,
    /// Letters: waiting to be taken, mine, overdue (None when the account sees no letters).
    pub letters: Option<(i64, i64, i64)>,
    /// Last year's annual reports in scope: (year, bodies, published, late) for readers of items.
    pub annual: Option<(i32, usize, usize, usize)>,
    /// 内部文件 not yet read, and of those how many were reminded.
    pub circulars: (i64, i64),
    /// Overdue steps of 重点工作: (the account's own, of bodies it supervises).
    pub overdue_steps: (usize, usize),
    /// Public comments on drafts waiting for this 信息员's moderation.
    pub held_comments: i64,
}

/// Who reads the calendar warning, and where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningFor {
    /// Staff who cannot import: ask the system administrator.
    Staff,
    /// Administrators, on the dashboard: point to the calendar page.
    AdminDashboard,
    /// Administrators, on the calendar page, which explains the import below the warning.
    AdminCalendarPage,
}

/// The warning shown from 1 November when next year's holiday calendar is not loaded yet.
pub fn calendar_warning(
    cal: &gongkai_domain::calendar::Calendar,
    today: NaiveDate,
    reader: WarningFor,
) -> Option<String> {
    let next = today.year() + 1;
    if today.month() < 11 || cal.has_year(next) {
        return None;
    }
    let head = format!("{next}年的节假日安排尚未导入，跨年的办理期限将无法计算。");
    Some(match reader {
        WarningFor::Staff => format!("{head}请联系系统管理员导入{next}年节假日安排。"),
        WarningFor::AdminDashboard => {
            format!("{head}国务院办公厅发布通知后，请尽快导入，导入方法见「工作日历」页面。")
        }
        WarningFor::AdminCalendarPage => {
            format!("{head}国务院办公厅发布通知后，请按本页下方的说明尽快导入。")
        }
    })
}

fn warning_reader(a: &Authed, on_calendar_page: bool) -> WarningFor {
    match (
        a.actor.has_anywhere(Permission::ManageCalendar),
        on_calendar_page,
    ) {
        (false, _) => WarningFor::Staff,
        (true, false) => WarningFor::AdminDashboard,
        (true, true) => WarningFor::AdminCalendarPage,
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
    let manages_bodies = a.actor.has_anywhere(Permission::ManageBodies);
    let in_scope = if manages_bodies {
        a.actor.scope(Permission::ManageBodies)
    } else {
        any
    };
    let (ls, rs) = (
        a.actor.scope_any(gongkai_domain::access::LETTER_READERS),
        a.actor.scope_any(gongkai_domain::access::REPORT_READERS),
    );
    let letters = if ls.is_empty() && rs.is_empty() {
        None
    } else {
        Some(
            state
                .store
                .letter_counts(&ls, &rs, a.user.id, today())
                .await?,
        )
    };
    let annual = if gongkai_domain::access::ITEM_READERS
        .iter()
        .any(|p| a.actor.has_anywhere(*p))
    {
        let year = today().year() - 1;
        let rows = crate::annual::overview_rows(&state.store, &a.actor, year, today()).await?;
        Some((
            year,
            rows.len(),
            rows.iter().filter(|r| !r.published_on.is_empty()).count(),
            rows.iter().filter(|r| r.late).count(),
        ))
    } else {
        None
    };
    Ok(DashboardPage {
        letters,
        annual,
        circulars: state.store.circular_counts(a.user.id).await?,
        held_comments: if a.actor.has_anywhere(Permission::EditItems) {
            state
                .store
                .held_comment_count(&a.actor.scope_any(&[Permission::EditItems]))
                .await?
        } else {
            0
        },
        overdue_steps: {
            let steps = state
                .store
                .overdue_steps(
                    a.user.id,
                    &a.actor.scope_any(crate::handlers::works::STEP_SUPERVISORS),
                    today(),
                )
                .await?;
            let mine = steps.iter().filter(|s| s.owner_id == a.user.id).count();
            (mine, steps.len() - mine)
        },
        chrome: Chrome::admin(&state, &a, "工作台", "/admin").await,
        grants: state.store.grants_of(a.user.id).await?,
        calendar_warning: calendar_warning(&state.calendar(), today(), warning_reader(&a, false)),
        bodies_in_scope: bodies.iter().filter(|b| in_scope.contains(&b.path)).count(),
        users_in_scope: users,
        manages_bodies,
        manages_accounts: a.actor.has_anywhere(Permission::ManageAccounts),
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
    // Back to the page (without its query: the scope has changed), with a notice.
    let path = f.back.split(['?', '#']).next().unwrap_or("");
    let back = if crate::auth::safe_next(path) {
        path
    } else {
        "/admin"
    };
    Ok(Redirect::to(&format!("{back}?done=switched")).into_response())
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
        chrome: Chrome::admin(state, a, heading, "/admin/bodies")
            .await
            .with_done(a),
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
    // Permission comes before validation: someone who may not create bodies anywhere is refused,
    // not shown the form's messages.
    if !a.actor.has_anywhere(Permission::ManageBodies) {
        return Err(AppError::Forbidden);
    }
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
        Err(errs) => return redisplay(input, FormErrors::from_fields(errs)).await,
    };
    match state.store.create_body(&fields, &a.who()).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/admin/bodies/{id}/edit?done=created")).into_response())
        }
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

pub async fn view_body_edit_get(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let b = state.store.get_body(id).await?;
    require(&a, Permission::ManageBodies, &b.path)?;
    body_form(
        &state,
        &a,
        &format!("编辑：{}", b.name),
        format!("/admin/bodies/{id}/edit"),
        input_of(&b),
        b.version,
        Some(&b.path),
        FormErrors::default(),
    )
    .await
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
                FormErrors::from_fields(errs),
            )
            .await;
        }
    };
    match state
        .store
        .update_body(id, &fields, version, &a.who())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/admin/bodies/{id}/edit?done=saved")).into_response()),
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
    pub now: i64,
}

impl UsersPage {
    /// 「已锁定（至 …）」 while a lockout lasts, else empty.
    pub fn lock_text(&self, until: &Option<i64>) -> String {
        lock_text(*until, self.now)
    }
}

/// 「已锁定（至 …）」 while a lockout lasts, else empty.
pub fn lock_text(until: Option<i64>, now: i64) -> String {
    match until {
        Some(u) if u > now => format!("已锁定（至 {}）", fmt_ms(u)),
        _ => String::new(),
    }
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
        now: gongkai_store::now_ms(),
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
    pub back_label: String,
}

/// Letters and digits that cannot be mistaken for one another (no 0/O/o, 1/l/I), and symbols
/// that are easy to find on a keyboard.
const PW_UPPER: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ";
const PW_LOWER: &[u8] = b"abcdefghijkmnpqrstuvwxyz";
const PW_DIGITS: &[u8] = b"23456789";
const PW_SYMBOLS: &[u8] = b"#%+=@!?*";

/// A random initial password: 16 characters from an unambiguous alphabet, with at least one
/// upper-case letter, lower-case letter, digit and symbol at random positions, so it satisfies
/// both policy profiles. A plain string, to be typed exactly as shown.
pub fn initial_password() -> String {
    use gongkai_domain::password::{Profile, SecurityPolicy};
    use rand::Rng;
    use rand::seq::SliceRandom;
    let all: Vec<u8> = [PW_UPPER, PW_LOWER, PW_DIGITS, PW_SYMBOLS].concat();
    let mut rng = rand::thread_rng();
    loop {
        let mut chars: Vec<u8> = [PW_UPPER, PW_LOWER, PW_DIGITS, PW_SYMBOLS]
            .iter()
            .map(|class| class[rng.gen_range(0..class.len())])
            .collect();
        while chars.len() < 16 {
            chars.push(all[rng.gen_range(0..all.len())]);
        }
        chars.shuffle(&mut rng);
        let pw: String = chars.into_iter().map(char::from).collect();
        let ok = [Profile::Asvs, Profile::Djbh3].iter().all(|p| {
            SecurityPolicy::for_profile(*p)
                .check_new_password("", &pw)
                .is_ok()
        });
        if ok {
            return pw;
        }
    }
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
                    back_label: "我已交付，查看账号详情".into(),
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
    /// 「已锁定（至 …）」 while locked.
    pub lock_text: String,
    pub errors: FormErrors,
    /// The destructive action waiting for confirmation, if any.
    pub confirm: Option<Confirm>,
}

/// A confirmation panel: what will happen, and the form that does it.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub heading: String,
    pub explain: String,
    pub action_url: String,
    /// `action` field of the form (empty for the revoke form, which has none).
    pub action: String,
    pub button: String,
}

impl UserPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }

    pub fn device(&self, ua: &str) -> String {
        crate::views::ua_summary(ua)
    }
}

/// The confirmation panel for `?confirm=ACTION` (and `&grant=ID` for revoking a role).
fn confirm_panel(user: &User, grants: &[(GrantRow, bool)], q: &UserQuery) -> Option<Confirm> {
    let action_url = format!("/admin/users/{}/action", user.id);
    let name = format!("{}（{}）", user.username, user.display_name);
    let make = |heading: String, explain: &str, action: &str, button: &str| Confirm {
        heading,
        explain: explain.to_string(),
        action_url: action_url.clone(),
        action: action.to_string(),
        button: button.to_string(),
    };
    Some(match q.confirm.as_str() {
        "disable" => make(
            format!("停用账号 {name}？"),
            "停用后该账号不能登录，已登录的会话立即结束。以后可以重新启用。",
            "disable",
            "确认停用",
        ),
        "reset_password" => make(
            format!("重置 {name} 的密码？"),
            "系统将生成一个临时密码，只显示一次；原密码立即失效，该账号的会话全部结束，本人下次登录时必须修改密码。",
            "reset_password",
            "确认重置密码",
        ),
        "reset_totp" => make(
            format!("重置 {name} 的二次验证？"),
            "用于本人更换或丢失手机。原有动态码和恢复码全部作废，该账号的会话全部结束，本人下次登录时须重新设置二次验证。",
            "reset_totp",
            "确认重置二次验证",
        ),
        "end_sessions" => make(
            format!("结束 {name} 的全部会话？"),
            "该账号在所有设备上的登录立即失效，需要重新登录。",
            "end_sessions",
            "确认结束全部会话",
        ),
        "revoke" => {
            let id: i64 = q.grant.parse().ok()?;
            let (g, can) = grants.iter().find(|(g, _)| g.id == id)?;
            if !can {
                return None;
            }
            Confirm {
                heading: format!("撤销 {name} 的角色？"),
                explain: format!(
                    "撤销「{}」（{}及下级机关）后，该账号立即失去这一角色的权限。",
                    g.role_label(),
                    g.body_name
                ),
                action_url: format!("/admin/grants/{}/revoke", g.id),
                action: String::new(),
                button: "确认撤销".into(),
            }
        }
        _ => return None,
    })
}

/// Refusals a redirect can carry back to the account page (`?error=`): fixed messages only.
fn user_error_message(code: &str) -> Option<&'static str> {
    Some(match code {
        "self_disable" => "不能停用自己的账号。",
        "last_admin" => {
            "这是最后一个县级（顶级）管理员，不能撤销或停用，请先为他人授予管理员角色。"
        }
        "role_exists" => "该用户在该机关已有此角色。",
        "no_role" => "请选择要授予的角色。",
        "self_grant" => {
            "不能给自己授予角色：请由另一位管理员授予（防止自行取得查看举报人身份等权限）。"
        }
        "session_gone" => "该会话已经结束。",
        _ => return None,
    })
}

/// The error code for a refusal from the store, when the page has a fixed message for it.
fn store_refusal_code(e: &gongkai_store::StoreError) -> Option<&'static str> {
    match e {
        gongkai_store::StoreError::Invalid(m) if m.contains("最后一个") => Some("last_admin"),
        gongkai_store::StoreError::Conflict(m) if m.contains("已有此角色") => {
            Some("role_exists")
        }
        _ => None,
    }
}

#[derive(Deserialize, Default)]
pub struct UserQuery {
    #[serde(default)]
    pub confirm: String,
    #[serde(default)]
    pub grant: String,
    #[serde(default)]
    pub error: String,
}

async fn user_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    errors: FormErrors,
    q: &UserQuery,
) -> Result<Response, AppError> {
    let user = state.store.get_user(id).await?;
    let body = state.store.get_body(user.body_id).await?;
    require(a, Permission::ManageAccounts, &body.path)?;
    let grants: Vec<(GrantRow, bool)> = state
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
    let mut errors = errors;
    if let Some(m) = user_error_message(&q.error) {
        errors.general.push(m.to_string());
    }
    let now = gongkai_store::now_ms();
    let page = UserPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("账号：{}", user.username),
            "/admin/users",
        )
        .await
        .with_done(a),
        locked: user.locked_until.is_some_and(|u| u > now),
        lock_text: lock_text(user.locked_until, now),
        confirm: confirm_panel(&user, &grants, q),
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
    Query(q): Query<UserQuery>,
) -> Result<Response, AppError> {
    user_page(&state, &a, id, FormErrors::default(), &q).await
}

/// Back to the account page with a success flag (`done`) or a refusal code (`error`).
fn to_user(id: i64, key: &str, value: &str) -> Response {
    Redirect::to(&format!("/admin/users/{id}?{key}={value}")).into_response()
}

#[derive(Deserialize)]
pub struct GrantForm {
    #[serde(default)]
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
        return Ok(to_user(id, "error", "no_role"));
    };
    if !a.actor.can_grant(role, &target.path) {
        return Err(AppError::Forbidden);
    }
    // Separation of duties: nobody widens their own rights.
    if id == a.user.id {
        return Ok(to_user(id, "error", "self_grant"));
    }
    match state.store.grant_role(id, target.id, role, &a.who()).await {
        Ok(()) => Ok(to_user(id, "done", "granted")),
        Err(e) => match store_refusal_code(&e) {
            Some(code) => Ok(to_user(id, "error", code)),
            None => match e {
                gongkai_store::StoreError::Conflict(m) => {
                    user_page(
                        &state,
                        &a,
                        id,
                        FormErrors::general(m),
                        &UserQuery::default(),
                    )
                    .await
                }
                e => Err(e.into()),
            },
        },
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
        Ok(()) => Ok(to_user(g.user_id, "done", "revoked")),
        Err(e) => match store_refusal_code(&e) {
            Some(code) => Ok(to_user(g.user_id, "error", code)),
            None => match e {
                gongkai_store::StoreError::Invalid(m) => {
                    user_page(
                        &state,
                        &a,
                        g.user_id,
                        FormErrors::general(m),
                        &UserQuery::default(),
                    )
                    .await
                }
                e => Err(e.into()),
            },
        },
    }
}

#[derive(Deserialize)]
pub struct UserActionForm {
    pub action: String,
    #[serde(default)]
    pub session: String,
}

/// Disable, enable, reset the password, reset the second factor, unlock, or end sessions. The
/// account page asks for confirmation (`?confirm=`) before the destructive ones.
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
    let (result, done) = match f.action.as_str() {
        "disable" => {
            if user.id == a.user.id {
                return Ok(to_user(id, "error", "self_disable"));
            }
            (
                state.store.set_user_disabled(id, true, &who).await,
                "disabled",
            )
        }
        "enable" => (
            state.store.set_user_disabled(id, false, &who).await,
            "enabled",
        ),
        "unlock" => (state.store.unlock_user(id, &who).await, "unlocked"),
        "reset_totp" => {
            let r = state.store.reset_totp(id, &who).await;
            state
                .store
                .end_user_sessions(id, "ended_by_admin", None)
                .await?;
            (r, "totp_reset")
        }
        "end_sessions" => {
            state
                .store
                .end_user_sessions(id, "ended_by_admin", None)
                .await?;
            let r = state
                .store
                .audit(
                    gongkai_domain::audit::AuditEvent::new("session.ended_by_admin", "user", id)
                        .who(&who)
                        .body(Some(user.body_id)),
                )
                .await
                .map(|_| ());
            (r, "sessions_ended")
        }
        "end_session" => {
            let Some(s) = state.store.get_session(&f.session).await? else {
                return Ok(to_user(id, "error", "session_gone"));
            };
            if s.user_id != id {
                return Err(AppError::Forbidden);
            }
            let r = state
                .store
                .end_session(&f.session, "ended_by_admin", Some(&who))
                .await
                .map(|_| ());
            (r, "session_ended")
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
                back_label: "返回账号详情".into(),
            }
            .into_response());
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match result {
        Ok(()) => Ok(to_user(id, "done", done)),
        Err(e) => match store_refusal_code(&e) {
            Some(code) => Ok(to_user(id, "error", code)),
            None => match e {
                gongkai_store::StoreError::Invalid(m) => {
                    user_page(
                        &state,
                        &a,
                        id,
                        FormErrors::general(m),
                        &UserQuery::default(),
                    )
                    .await
                }
                e => Err(e.into()),
            },
        },
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub entries: Vec<AuditRow>,
    pub bodies: Vec<BodyOption>,
    pub groups: Vec<(&'static str, &'static str, bool)>,
    pub q: AuditQuery,
    pub errors: FormErrors,
    pub next: Option<String>,
}

/// One audit entry, readable by staff.
#[derive(Debug, Clone)]
pub struct AuditRow {
    pub seq: i64,
    pub when: String,
    pub actor: String,
    pub body: String,
    pub action: String,
    /// The raw action key, for those who know it.
    pub action_key: String,
    pub object: String,
    pub ip: String,
    /// `键：值` lines; for an update, only what changed (`键：旧 → 新`).
    pub changes: Vec<String>,
    /// When the changes are long: a one-line summary, the lines folded under it.
    pub summary: Option<String>,
}

/// A one-line summary for changes too long to show in the table, else `None`.
fn changes_summary(lines: &[String]) -> Option<String> {
    let total: usize = lines.iter().map(|l| l.chars().count()).sum();
    if lines.len() <= 3 && total <= 120 {
        return None;
    }
    let first: String = lines
        .first()
        .map(|l| l.chars().take(24).collect())
        .unwrap_or_default();
    Some(if lines.len() > 1 {
        format!("{first}…（共{}项，展开查看）", lines.len())
    } else {
        format!("{first}…（展开查看）")
    })
}

/// The action filter's groups: label and action-key prefix.
pub const ACTION_GROUPS: [(&str, &str); 9] = [
    ("login.", "登录"),
    ("session.", "会话"),
    ("user.", "账号"),
    ("role.", "角色"),
    ("body.", "机关"),
    ("calendar.", "日历"),
    ("item.", "主动公开"),
    ("finding.", "敏感信息筛查"),
    ("test.", "测试"),
];

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

/// A date typed as `YYYY-MM-DD`: the date, or a message saying what is wrong with it.
pub fn parse_date(s: &str) -> Result<NaiveDate, &'static str> {
    let s = s.trim();
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(d);
    }
    let parts: Vec<&str> = s.split('-').collect();
    let shaped = parts.len() == 3
        && parts[0].len() == 4
        && (1..=2).contains(&parts[1].len())
        && (1..=2).contains(&parts[2].len())
        && parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()));
    if shaped {
        Err("日期不存在")
    } else {
        Err("日期格式应为 YYYY-MM-DD，例如 2025-09-26")
    }
}

/// Midnight (China Standard Time) of `d` plus `plus_days`, in epoch milliseconds.
fn day_start_ms(d: NaiveDate, plus_days: i64) -> Option<i64> {
    let d = d.checked_add_signed(chrono::Duration::days(plus_days))?;
    let t = d.and_hms_opt(0, 0, 0)?;
    Some(t.and_utc().timestamp_millis() - 8 * 3_600_000)
}

/// Chinese names of the keys audit entries record.
fn key_label(k: &str) -> &str {
    match k {
        "name" => "名称",
        "short_name" => "简称",
        "kind" => "类型",
        "org_code" => "机构代码",
        "parent_id" => "上级机关编号",
        "address" => "办公地址",
        "office_hours" => "办公时间",
        "phone" => "联系电话",
        "fax" => "传真",
        "email" => "电子邮箱",
        "duties" => "职能",
        "leaders" => "领导信息",
        "role" | "roles" => "角色",
        "body_id" => "机关编号",
        "username" => "用户名",
        "display_name" => "姓名",
        "reason" => "原因",
        "failures" => "连续失败次数",
        "locked" => "已锁定",
        "step" => "验证方式",
        "session" => "会话",
        "year" => "年度",
        "days" => "天数",
        "papers" => "依据文件",
        "title" => "标题",
        "version" => "版本",
        "category" => "目录",
        "state" => "状态",
        "comment" => "意见",
        "validity" => "有效性",
        "date" => "日期",
        "replaced_by" => "替代文件",
        other => other,
    }
}

/// A recorded value in words: roles and reasons by their Chinese names, lists joined.
fn value_text(v: &serde_json::Value) -> String {
    use serde_json::Value;
    match v {
        Value::Null => "（空）".into(),
        Value::Bool(true) => "是".into(),
        Value::Bool(false) => "否".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) if s.is_empty() => "（空）".into(),
        Value::String(s) if s.contains('\n') => s
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect::<Vec<_>>()
            .join("；"),
        Value::String(s) => {
            if let Some(r) = Role::parse(s) {
                return r.label().into();
            }
            match s.as_str() {
                "unknown_user" => "用户名不存在".into(),
                "bad_password" => "密码错误".into(),
                "bad_totp" => "动态码错误".into(),
                "locked" => "账号已锁定".into(),
                "disabled" => "账号已停用".into(),
                "password" => "密码".into(),
                "totp" => "动态码".into(),
                "recovery_code" => "恢复码".into(),
                _ => s.clone(),
            }
        }
        Value::Array(items) if items.is_empty() => "（无）".into(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join("、"),
        Value::Object(map) => {
            // A leader or similar record: its values in order, e.g. 「张三 县长」.
            map.values()
                .map(value_text)
                .filter(|s| s != "（空）")
                .collect::<Vec<_>>()
                .join(" ")
        }
    }
}

/// A recorded value under key `k`: workflow states and validity by their Chinese names.
fn keyed_value_text(k: &str, v: &serde_json::Value) -> String {
    use gongkai_domain::disclosure::{Validity, VersionState};
    if let Some(s) = v.as_str() {
        let label = match k {
            "state" => VersionState::parse(s).map(|x| x.label()),
            "validity" => Validity::parse(s).map(|x| x.label()),
            _ => None,
        };
        if let Some(l) = label {
            return l.to_string();
        }
    }
    value_text(v)
}

/// Readable lines for an entry's before/after JSON.
pub fn change_lines(before: &str, after: &str) -> Vec<String> {
    use serde_json::Value;
    let parse = |s: &str| -> Option<Value> {
        if s.trim().is_empty() {
            None
        } else {
            Some(serde_json::from_str(s).unwrap_or_else(|_| Value::String(s.to_string())))
        }
    };
    let lines_of = |prefix: &str, v: &Value| -> Vec<String> {
        match v {
            Value::Object(m) => m
                .iter()
                .map(|(k, v)| format!("{prefix}{}：{}", key_label(k), keyed_value_text(k, v)))
                .collect(),
            other => vec![format!("{prefix}{}", value_text(other))],
        }
    };
    match (parse(before), parse(after)) {
        (None, None) => vec![],
        (None, Some(a)) => lines_of("", &a),
        (Some(b), None) => lines_of("原", &b),
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            // Keys in both: what changed. Keys on one side only: as recorded.
            let mut out = Vec::new();
            for (k, old) in &b {
                if !a.contains_key(k) {
                    out.push(format!("原{}：{}", key_label(k), keyed_value_text(k, old)));
                }
            }
            for (k, new) in &a {
                let new_text = keyed_value_text(k, new);
                match b.get(k) {
                    None => out.push(format!("{}：{new_text}", key_label(k))),
                    Some(old) => {
                        let old_text = keyed_value_text(k, old);
                        if old_text != new_text {
                            out.push(format!("{}：{old_text} → {new_text}", key_label(k)));
                        }
                    }
                }
            }
            if out.is_empty() {
                out.push("（无变化）".into());
            }
            out
        }
        (Some(b), Some(a)) => {
            let mut out = lines_of("原", &b);
            out.extend(lines_of("", &a));
            out
        }
    }
}

fn audit_row(e: AuditView) -> AuditRow {
    use gongkai_domain::audit::{action_label, actor_label, ip_label, object_type_label};
    let object = if e.object_id.is_empty() {
        object_type_label(&e.object_type)
    } else {
        format!("{} {}", object_type_label(&e.object_type), e.object_id)
    };
    AuditRow {
        seq: e.seq,
        when: fmt_ms(e.at_ms),
        actor: actor_label(&e.actor_name),
        body: e.body_name.clone().unwrap_or_default(),
        action: action_label(&e.action),
        changes: change_lines(&e.before_json, &e.after_json),
        summary: None,
        action_key: e.action,
        object,
        ip: ip_label(&e.ip),
    }
}

pub async fn view_audit(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<AuditQuery>,
) -> Result<Response, AppError> {
    let scope = a.scope(
        Permission::ViewAudit,
        acting_path(&state, &a).await.as_deref(),
    );
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let mut errors = FormErrors::default();
    let mut date = |field: &str, s: &str, label: &str| -> Option<NaiveDate> {
        if s.trim().is_empty() {
            return None;
        }
        match parse_date(s) {
            Ok(d) => Some(d),
            Err(m) => {
                errors.field(field, format!("{label}：{m}"));
                None
            }
        }
    };
    let from = date("from", &q.from, "起始日期");
    let to = date("to", &q.to, "截止日期");
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        errors.field("to", "截止日期不能早于起始日期");
    }
    let entries: Vec<AuditView> = if errors.is_empty() {
        let f = AuditFilter {
            body_id: q.body.parse().ok().filter(|v| *v > 0),
            actor: Some(q.actor.trim().to_string()),
            action_prefix: Some(q.action.trim().to_string()),
            from_ms: from.and_then(|d| day_start_ms(d, 0)),
            to_ms: to.and_then(|d| day_start_ms(d, 1)),
            before_seq: q.before.parse().ok(),
            limit: 100,
        };
        state.store.list_audit(&scope, &f).await?
    } else {
        vec![]
    };
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
    let groups = ACTION_GROUPS
        .iter()
        .filter(|(p, _)| *p != "test.")
        .map(|(p, l)| (*p, *l, q.action.trim() == *p))
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = AuditPage {
        chrome: Chrome::admin(&state, &a, "审计日志", "/admin/audit").await,
        entries: entries
            .into_iter()
            .map(audit_row)
            .map(|mut r| {
                r.summary = changes_summary(&r.changes);
                r
            })
            .collect(),
        bodies,
        groups,
        q,
        errors,
        next,
    };
    Ok((status, page).into_response())
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
    /// Whether to explain the import command (administrators only).
    pub can_import: bool,
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

/// The answer to a working-day question: the day itself (`n` empty), or the n-th working day
/// after it.
fn calendar_answer(
    cal: &gongkai_domain::calendar::Calendar,
    date: &str,
    n: &str,
) -> Result<Option<String>, String> {
    let (date, n) = (date.trim(), n.trim());
    if date.is_empty() {
        return if n.is_empty() {
            Ok(None)
        } else {
            Err("请先填写起算日期".into())
        };
    }
    let d = parse_date(date).map_err(str::to_string)?;
    let day = |d: NaiveDate| {
        format!(
            "{}（{}）",
            d.format("%Y-%m-%d"),
            gongkai_domain::calendar::weekday_zh(d.weekday())
        )
    };
    if n.is_empty() {
        return cal.explain(d).map(Some).map_err(|e| e.to_string());
    }
    let n = match n.parse::<u32>() {
        Ok(n) if n <= 1000 => n,
        _ => return Err("工作日数应为0至1000之间的整数".into()),
    };
    if n == 0 {
        let what = cal.explain(d).map_err(|e| e.to_string())?;
        return Ok(Some(format!("加0个工作日仍是起算日当天。{what}")));
    }
    let r = cal.add_working_days(d, n).map_err(|e| e.to_string())?;
    Ok(Some(format!(
        "从 {} 起算（当日不计），第{n}个工作日是 {}",
        day(d),
        day(r)
    )))
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
                Some((_, at, by)) => format!(
                    "{} 由 {} 导入",
                    fmt_ms(*at),
                    gongkai_domain::audit::actor_label(by)
                ),
                None => "软件内置".to_string(),
            };
            Some((y, off, work, source))
        })
        .collect();
    let (result, error) = match calendar_answer(&cal, &q.date, &q.n) {
        Ok(r) => (r, None),
        Err(e) => (None, Some(e)),
    };
    Ok(CalendarPage {
        chrome: Chrome::admin(&state, &a, "工作日历", "/admin/calendar").await,
        years,
        warning: calendar_warning(&cal, today(), warning_reader(&a, true)),
        can_import: a.actor.has_anywhere(Permission::ManageCalendar),
        date: q.date,
        n: q.n,
        result,
        error,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn initial_passwords_are_unambiguous_and_pass_both_policies() {
        use gongkai_domain::password::{Profile, SecurityPolicy};
        for _ in 0..200 {
            let pw = initial_password();
            assert_eq!(pw.chars().count(), 16, "{pw}");
            assert!(
                !pw.contains(['0', 'O', 'o', '1', 'l', 'I', ' ', '-']),
                "{pw}"
            );
            for p in [Profile::Asvs, Profile::Djbh3] {
                SecurityPolicy::for_profile(p)
                    .check_new_password("someone", &pw)
                    .unwrap();
            }
        }
        assert_ne!(initial_password()[..2], initial_password()[..2]);
    }

    #[test]
    fn dates_say_what_is_wrong() {
        assert!(parse_date("2025-02-28").is_ok());
        assert_eq!(parse_date("2025-02-30"), Err("日期不存在"));
        assert!(parse_date("2025/02/01").unwrap_err().contains("格式"));
    }

    #[test]
    fn calendar_answers_read_sensibly() {
        let cal = gongkai_domain::calendar::Calendar::builtin();
        assert_eq!(
            calendar_answer(&cal, "", "5").unwrap_err(),
            "请先填写起算日期"
        );
        assert_eq!(
            calendar_answer(&cal, "2025-02-30", "").unwrap_err(),
            "日期不存在"
        );
        let zero = calendar_answer(&cal, "2025-09-26", "0").unwrap().unwrap();
        assert!(zero.starts_with("加0个工作日仍是起算日当天"), "{zero}");
        let n = calendar_answer(&cal, "2025-09-26", "1").unwrap().unwrap();
        assert!(n.contains("第1个工作日是 2025-09-28（星期日）"), "{n}");
    }

    #[test]
    fn audit_changes_are_key_value_lines() {
        assert_eq!(
            change_lines("", r#"{"role":"admin","body_id":3}"#),
            vec!["机关编号：3", "角色：管理员"]
        );
        assert_eq!(
            change_lines(
                r#"{"name":"甲","phone":"1"}"#,
                r#"{"name":"乙","phone":"1"}"#
            ),
            vec!["名称：甲 → 乙"]
        );
        assert_eq!(
            change_lines(
                r#"{"version":29,"state":"pending_review"}"#,
                r#"{"state":"pending_approval","comment":""}"#
            ),
            vec!["原版本：29", "意见：（空）", "状态：待保密审查 → 待审批"]
        );
        assert!(change_lines("", "").is_empty());
    }
}
