//! 接口令牌 in the back office: an administrator issues API tokens for office systems, bound to a
//! body in their account scope and to roles they could grant there, each acting as a service
//! account of that body. The token is shown once and only its SHA-256 is stored; tokens can be
//! revoked. Issuing and revoking are audited by the store.

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::access::{Permission, Role};
use gongkai_domain::password::hash_password;
use gongkai_store::StoreError;
use gongkai_store::tokens::{NewToken, ServiceAccount, TokenRow};
use gongkai_store::users::{NewUser, UserListRow};

use crate::AppState;
use crate::auth::{Authed, Staff, random_token, sha256_hex};
use crate::error::AppError;
use crate::views::{BodyOption, Chrome, FormErrors, fmt_ms};

/// The roles a token may carry: those the staff API acts with.
pub const TOKEN_ROLES: [Role; 6] = [
    Role::Editor,
    Role::Reviewer,
    Role::Approver,
    Role::Supervisor,
    Role::CreditEditor,
    Role::ServiceEditor,
];

/// A token just issued, shown this once.
pub struct Issued {
    pub name: String,
    pub token: String,
    pub username: String,
    pub new_account: bool,
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub tokens: Vec<TokenRow>,
    pub bodies: Vec<BodyOption>,
    pub roles: Vec<(&'static str, &'static str, bool)>,
    pub accounts: Vec<UserListRow>,
    pub name: String,
    pub username: String,
    pub errors: FormErrors,
    pub issued: Option<Issued>,
}

impl TokensPage {
    pub fn when(&self, ms: &i64) -> String {
        fmt_ms(*ms)
    }
    pub fn when_opt(&self, ms: &Option<i64>) -> String {
        ms.map(fmt_ms).unwrap_or_else(|| "从未".into())
    }
}

/// What the form had (to show it again).
#[derive(Default)]
struct FormState {
    name: String,
    username: String,
    body_id: Option<i64>,
    roles: Vec<Role>,
}

async fn page(
    state: &AppState,
    a: &Authed,
    form: FormState,
    errors: FormErrors,
    issued: Option<Issued>,
) -> Result<TokensPage, AppError> {
    let acting = match a.acting_body_id {
        Some(id) => state.store.get_body(id).await.ok().map(|b| b.path),
        None => None,
    };
    let scope = a.scope(Permission::ManageAccounts, acting.as_deref());
    let manage = a.actor.scope(Permission::ManageAccounts);
    let selected = form.body_id.or(a.acting_body_id);
    let bodies = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| manage.contains(&b.path))
        .map(|b| BodyOption {
            id: b.id,
            label: format!("{}{}", "　".repeat(b.depth()), b.name),
            selected: Some(b.id) == selected,
        })
        .collect();
    let mut chrome = Chrome::admin(state, a, "接口令牌", "/admin/tokens").await;
    if a.done.as_deref() == Some("token_revoked") {
        chrome.notice = Some("令牌已撤销，此后使用它的请求都将被拒绝。".into());
    }
    Ok(TokensPage {
        chrome,
        tokens: state.store.list_tokens(&scope).await?,
        bodies,
        roles: TOKEN_ROLES
            .iter()
            .map(|r| (r.as_str(), r.label(), form.roles.contains(r)))
            .collect(),
        accounts: state
            .store
            .list_users(&scope)
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .collect(),
        name: form.name,
        username: form.username,
        errors,
        issued,
    })
}

pub async fn view_tokens(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<TokensPage, AppError> {
    if !a.actor.has_anywhere(Permission::ManageAccounts) {
        return Err(AppError::Forbidden);
    }
    page(
        &state,
        &a,
        FormState::default(),
        FormErrors::default(),
        None,
    )
    .await
}

pub async fn issue_token(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    if !a.actor.has_anywhere(Permission::ManageAccounts) {
        return Err(AppError::Forbidden);
    }
    let get = |k: &str| {
        fields
            .iter()
            .find(|(f, _)| f == k)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let form = FormState {
        name: get("name"),
        username: get("username"),
        body_id: get("body_id").parse().ok(),
        roles: fields
            .iter()
            .filter(|(k, _)| k == "role")
            .filter_map(|(_, v)| Role::parse(v))
            .collect(),
    };
    let mut errors = FormErrors::default();
    if form.name.is_empty() {
        errors.field("name", "请填写令牌名称，如“OA系统”");
    } else if form.name.chars().count() > 60 {
        errors.field("name", "令牌名称不能超过60个字");
    }
    let body = match form.body_id {
        Some(id) => state.store.get_body(id).await.ok(),
        None => None,
    };
    match &body {
        None => errors.field("body_id", "请选择机关"),
        Some(b) if !a.actor.can(Permission::ManageAccounts, &b.path) => {
            return Err(AppError::Forbidden);
        }
        Some(_) => {}
    }
    if form.roles.is_empty() {
        errors.field("role", "请至少选择一个角色");
    }
    if let Some(b) = &body
        && form
            .roles
            .iter()
            .any(|r| !TOKEN_ROLES.contains(r) || !a.actor.can_grant(*r, &b.path))
    {
        return Err(AppError::Forbidden);
    }
    let mut account = None;
    if !gongkai_store::users::valid_username(&form.username) {
        errors.field("username", "用户名须为3至32位字母、数字或“._-”");
    } else if let Some(b) = &body {
        match state.store.find_user(&form.username).await? {
            Some(u) if u.body_id != b.id => errors.field(
                "username",
                "该用户名已被其他机关的账号使用：服务账号须是所选机关的账号，请换一个用户名",
            ),
            Some(u) if u.disabled => errors.field("username", "该账号已停用，不能用作服务账号"),
            Some(u) => account = Some((ServiceAccount::Existing(u.id), false)),
            None => {
                let hash = hash_password(&random_token()).map_err(AppError::Internal)?;
                account = Some((
                    ServiceAccount::New(NewUser {
                        body_id: b.id,
                        username: form.username.clone(),
                        display_name: format!("接口服务账号（{}）", form.name),
                        // Nobody knows this password: the account signs in only by token.
                        password_hash: hash,
                        must_change_password: true,
                        roles: vec![],
                    }),
                    true,
                ))
            }
        }
    }
    let (Some(b), Some((account, new_account)), true) = (&body, account, errors.is_empty()) else {
        let p = page(&state, &a, form, errors, None).await?;
        return Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response());
    };
    let token = format!("gk_{}", random_token());
    let t = NewToken {
        name: form.name.clone(),
        token_hash: sha256_hex(&token),
        prefix: token.chars().take(10).collect(),
        body_id: b.id,
        roles: form.roles.clone(),
    };
    match state.store.create_token(&t, &account, &a.who()).await {
        Ok(_) => {
            let issued = Issued {
                name: form.name.clone(),
                token,
                username: form.username.clone(),
                new_account,
            };
            let p = page(
                &state,
                &a,
                FormState::default(),
                FormErrors::default(),
                Some(issued),
            )
            .await?;
            let mut r = p.into_response();
            // The token is on this page only: keep it out of every cache.
            r.headers_mut()
                .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(r)
        }
        Err(StoreError::Conflict(m)) => {
            let mut errors = FormErrors::default();
            errors.field("username", m);
            let p = page(&state, &a, form, errors, None).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(StoreError::Invalid(m)) => {
            let p = page(&state, &a, form, FormErrors::general(m), None).await?;
            Ok((axum::http::StatusCode::UNPROCESSABLE_ENTITY, p).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn revoke_token(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let t = state.store.get_token(id).await?;
    if !a.actor.can(Permission::ManageAccounts, &t.body_path) {
        return Err(AppError::Forbidden);
    }
    match state.store.revoke_token(id, &a.who()).await {
        Ok(()) => Ok(Redirect::to("/admin/tokens?done=token_revoked").into_response()),
        // Already revoked: nothing to do.
        Err(StoreError::Invalid(_)) => Ok(Redirect::to("/admin/tokens").into_response()),
        Err(e) => Err(e.into()),
    }
}
