//! API tokens for office systems (the staff API). A token is bound to one body and a set of
//! roles and acts as a real account, its service account, so that author, reviewer and approver
//! ids and the separation of duties are the same as for people. Only the token's SHA-256 is
//! stored; issuing and revoking are audited.

use gongkai_domain::access::{Role, Scope};
use gongkai_domain::audit::{AuditEvent, Who};
use serde::Serialize;

use crate::users::NewUser;
use crate::{Store, StoreError, StoreResult};

/// A token as listed in the back office, or looked up for a request: with its body's name and
/// path and its service account.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct TokenRow {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
    /// JSON array of role names.
    pub roles: String,
    pub acts_as_user_id: i64,
    pub acts_as_username: String,
    pub acts_as_disabled: bool,
    pub created_by: Option<i64>,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
    pub revoked_at: Option<i64>,
}

impl TokenRow {
    /// The roles the token carries (unknown names are ignored).
    pub fn roles(&self) -> Vec<Role> {
        serde_json::from_str::<Vec<String>>(&self.roles)
            .unwrap_or_default()
            .iter()
            .filter_map(|r| Role::parse(r))
            .collect()
    }

    /// The roles' Chinese names, joined for display.
    pub fn role_labels(&self) -> String {
        self.roles()
            .iter()
            .map(|r| r.label())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// What issuing a token stores. The caller generates the token and passes only its hash.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub name: String,
    pub token_hash: String,
    pub prefix: String,
    pub body_id: i64,
    pub roles: Vec<Role>,
}

/// The account a new token acts as.
#[derive(Debug, Clone)]
pub enum ServiceAccount {
    /// An existing account of the token's body.
    Existing(i64),
    /// A new account of the token's body, created in the same transaction (it gets no role
    /// grants: the token carries its roles).
    New(NewUser),
}

const TOKEN_SELECT: &str = "SELECT t.id, t.name, t.prefix, t.body_id, b.name AS body_name, \
    b.path AS body_path, t.roles, t.acts_as_user_id, u.username AS acts_as_username, \
    u.disabled AS acts_as_disabled, t.created_by, t.created_at, t.last_used_at, t.revoked_at \
    FROM api_tokens t JOIN bodies b ON b.id = t.body_id JOIN users u ON u.id = t.acts_as_user_id";

/// How often `last_used_at` is written at most.
pub const TOUCH_INTERVAL_MS: i64 = 60_000;

impl Store {
    /// Issue a token: store its hash, bound to `t.body_id` and `t.roles`, acting as `account`
    /// (created here if new). Returns the token's id.
    pub async fn create_token(
        &self,
        t: &NewToken,
        account: &ServiceAccount,
        who: &Who,
    ) -> StoreResult<i64> {
        if t.name.trim().is_empty() {
            return Err(StoreError::Invalid("请填写令牌名称".into()));
        }
        if t.roles.is_empty() {
            return Err(StoreError::Invalid("请至少选择一个角色".into()));
        }
        if let ServiceAccount::New(u) = account
            && !crate::users::valid_username(&u.username)
        {
            return Err(StoreError::Invalid(
                "用户名须为3至32位字母、数字或“._-”".into(),
            ));
        }
        let now = crate::now_ms();
        let roles: Vec<&str> = t.roles.iter().map(|r| r.as_str()).collect();
        let roles_json = serde_json::to_string(&roles).unwrap_or_else(|_| "[]".into());
        let r = write_tx!(self, |tx| {
            let body_exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM bodies WHERE id = $1")
                    .bind(t.body_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if body_exists.is_none() {
                return Err(StoreError::Invalid("所选机关不存在".into()));
            }
            let user_id = match account {
                ServiceAccount::Existing(id) => {
                    let row: Option<(i64, bool)> =
                        sqlx::query_as("SELECT body_id, disabled FROM users WHERE id = $1")
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                    match row {
                        None => return Err(StoreError::Invalid("服务账号不存在".into())),
                        Some((b, _)) if b != t.body_id => {
                            return Err(StoreError::Invalid("服务账号须是所选机关的账号".into()));
                        }
                        Some((_, true)) => {
                            return Err(StoreError::Invalid("服务账号已停用".into()));
                        }
                        Some(_) => *id,
                    }
                }
                ServiceAccount::New(u) => {
                    if u.body_id != t.body_id {
                        return Err(StoreError::Invalid("服务账号须是所选机关的账号".into()));
                    }
                    let id: i64 = sqlx::query_scalar(
                        "INSERT INTO users (body_id, username, display_name, password_hash, \
                         password_changed_at, must_change_password, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $5, $5) RETURNING id",
                    )
                    .bind(u.body_id)
                    .bind(&u.username)
                    .bind(&u.display_name)
                    .bind(&u.password_hash)
                    .bind(now)
                    .bind(u.must_change_password)
                    .fetch_one(&mut *tx)
                    .await?;
                    audit_append!(
                        tx,
                        AuditEvent::new("user.create", "user", id)
                            .who(who)
                            .body(Some(u.body_id))
                            .after(serde_json::json!({
                                "username": u.username, "display_name": u.display_name,
                                "body_id": u.body_id, "roles": [], "service_account": true,
                            }))
                    );
                    id
                }
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO api_tokens (name, token_hash, prefix, body_id, roles, acts_as_user_id, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(t.name.trim())
            .bind(&t.token_hash)
            .bind(&t.prefix)
            .bind(t.body_id)
            .bind(&roles_json)
            .bind(user_id)
            .bind(who.user_id)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("token.create", "api_token", id)
                    .who(who)
                    .body(Some(t.body_id))
                    .after(serde_json::json!({
                        "name": t.name.trim(), "prefix": t.prefix, "body_id": t.body_id,
                        "roles": roles, "acts_as_user_id": user_id,
                    }))
            );
            Ok(id)
        });
        r.map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict("用户名已存在，请换一个或选择已有账号".into())
            } else {
                e
            }
        })
    }

    /// The live (not revoked) token with this hash.
    pub async fn find_token(&self, token_hash: &str) -> StoreResult<Option<TokenRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, TokenRow>(sqlx::AssertSqlSafe(format!(
                "{TOKEN_SELECT} WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
            )))
            .bind(token_hash)
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn get_token(&self, id: i64) -> StoreResult<TokenRow> {
        read!(self, |c| {
            sqlx::query_as::<_, TokenRow>(sqlx::AssertSqlSafe(format!(
                "{TOKEN_SELECT} WHERE t.id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Tokens of bodies in `scope`, live ones first, newest first.
    pub async fn list_tokens(&self, scope: &Scope) -> StoreResult<Vec<TokenRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!("{TOKEN_SELECT} WHERE 1 = 1"));
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY (t.revoked_at IS NULL) DESC, t.id DESC");
            qb.build_query_as::<TokenRow>().fetch_all(c).await
        })?)
    }

    /// Record that a token was used, at most once a minute (reads need not queue behind the
    /// writer on every request).
    pub async fn touch_token(&self, id: i64, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE api_tokens SET last_used_at = $1 \
                 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at <= $3)",
            )
            .bind(now)
            .bind(id)
            .bind(now - TOUCH_INTERVAL_MS)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }

    /// Revoke a token: from now on it authenticates nothing.
    pub async fn revoke_token(&self, id: i64, who: &Who) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let row: Option<(i64, String, String, Option<i64>)> = sqlx::query_as(
                "SELECT body_id, name, prefix, revoked_at FROM api_tokens WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((body_id, name, prefix, revoked_at)) = row else {
                return Err(StoreError::NotFound);
            };
            if revoked_at.is_some() {
                return Err(StoreError::Invalid("该令牌已撤销".into()));
            }
            sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("token.revoke", "api_token", id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"name": name, "prefix": prefix}))
            );
            Ok(())
        })
    }
}
