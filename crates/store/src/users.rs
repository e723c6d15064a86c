//! Staff accounts, their role grants, login bookkeeping (failures, lockout), passwords and the
//! TOTP second factor with recovery codes.

use gongkai_domain::access::{Grant, Role, Scope};
use gongkai_domain::audit::{AuditEvent, Who};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct User {
    pub id: i64,
    pub body_id: i64,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub password_changed_at: i64,
    pub must_change_password: bool,
    pub failed_logins: i64,
    pub locked_until: Option<i64>,
    #[serde(skip)]
    pub totp_secret: Option<String>,
    pub totp_enabled: bool,
    pub disabled: bool,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// A user listed in the back office, with the body it belongs to.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct UserListRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
    pub disabled: bool,
    pub totp_enabled: bool,
    pub locked_until: Option<i64>,
}

/// A grant as stored, with its body's name and path.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct GrantRow {
    pub id: i64,
    pub user_id: i64,
    pub body_id: i64,
    pub role: String,
    pub body_name: String,
    pub body_path: String,
    pub granted_at: i64,
}

impl GrantRow {
    pub fn grant(&self) -> Option<Grant> {
        Role::parse(&self.role).map(|role| Grant {
            role,
            body_id: self.body_id,
            body_path: self.body_path.clone(),
        })
    }

    pub fn role_label(&self) -> &'static str {
        Role::parse(&self.role)
            .map(Role::label)
            .unwrap_or("未知角色")
    }
}

/// What a new account needs.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub body_id: i64,
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub must_change_password: bool,
    pub roles: Vec<Role>,
}

const USER_COLS: &str = "id, body_id, username, display_name, password_hash, password_changed_at, \
    must_change_password, failed_logins, locked_until, totp_secret, totp_enabled, disabled, \
    version, created_at, updated_at";

/// Valid usernames: 3–32 characters of ASCII letters, digits, `.`, `_`, `-`.
pub fn valid_username(s: &str) -> bool {
    (3..=32).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The installation keeps at least one enabled administrator on a top-level body.
macro_rules! ensure_root_admin_remains {
    ($tx:ident) => {{
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM role_grants g JOIN users u ON u.id = g.user_id \
             JOIN bodies b ON b.id = g.body_id \
             WHERE g.role = 'admin' AND b.parent_id IS NULL AND u.disabled = FALSE",
        )
        .fetch_one(&mut *$tx)
        .await?;
        if n == 0 {
            return Err(StoreError::Invalid(
                "这是最后一个县级（顶级）管理员，不能删除或停用，请先为他人授予管理员角色".into(),
            ));
        }
    }};
}

/// An enabled account of a subtree, to choose as a recipient or a responsible person.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct AccountOption {
    pub id: i64,
    pub display_name: String,
    pub username: String,
    pub body_name: String,
}

impl AccountOption {
    /// The display name, or the user name when there is none.
    pub fn name(&self) -> &str {
        if self.display_name.is_empty() {
            &self.username
        } else {
            &self.display_name
        }
    }
}

/// The condition on `u` (users) for the enabled accounts of the subtree whose path pattern is
/// bound as `$1`: whose home body is in it or who hold a role in it.
pub(crate) const ACCOUNTS_IN_SUBTREE: &str = "u.disabled = FALSE AND (u.body_id IN (SELECT id FROM bodies WHERE path LIKE $1) \
     OR u.id IN (SELECT g.user_id FROM role_grants g JOIN bodies gb ON gb.id = g.body_id WHERE gb.path LIKE $1))";

impl Store {
    /// The enabled accounts of the subtree at `body_path`, by body then name.
    pub async fn accounts_in_subtree(&self, body_path: &str) -> StoreResult<Vec<AccountOption>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, AccountOption>(sqlx::AssertSqlSafe(format!(
                "SELECT u.id, u.display_name, u.username, b.name AS body_name FROM users u \
                 JOIN bodies b ON b.id = u.body_id WHERE {ACCOUNTS_IN_SUBTREE} ORDER BY b.path, u.display_name, u.id"
            )))
            .bind(format!("{body_path}%"))
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn create_user(&self, u: &NewUser, who: &Who) -> StoreResult<i64> {
        if !valid_username(&u.username) {
            return Err(StoreError::Invalid(
                "用户名须为3至32位字母、数字或“._-”".into(),
            ));
        }
        let now = crate::now_ms();
        let r = write_tx!(self, |tx| {
            let body_exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM bodies WHERE id = $1")
                    .bind(u.body_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if body_exists.is_none() {
                return Err(StoreError::Invalid("所属机关不存在".into()));
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
            for role in &u.roles {
                sqlx::query(
                    "INSERT INTO role_grants (user_id, body_id, role, granted_by, granted_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(u.body_id)
                .bind(role.as_str())
                .bind(who.user_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("user.create", "user", id)
                    .who(who)
                    .body(Some(u.body_id))
                    .after(serde_json::json!({
                        "username": u.username, "display_name": u.display_name,
                        "body_id": u.body_id,
                        "roles": u.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    }))
            );
            Ok(id)
        });
        r.map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict("用户名已存在，请换一个".into())
            } else {
                e
            }
        })
    }

    pub async fn get_user(&self, id: i64) -> StoreResult<User> {
        read!(self, |c| {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLS} FROM users WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn find_user(&self, username: &str) -> StoreResult<Option<User>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, User>(sqlx::AssertSqlSafe(format!(
                "SELECT {USER_COLS} FROM users WHERE username = $1"
            )))
            .bind(username.trim())
            .fetch_optional(c)
            .await
        })?)
    }

    /// Accounts whose body lies in `scope`.
    pub async fn list_users(&self, scope: &Scope) -> StoreResult<Vec<UserListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT u.id, u.username, u.display_name, u.body_id, b.name AS body_name, \
                 b.path AS body_path, u.disabled, u.totp_enabled, u.locked_until \
                 FROM users u JOIN bodies b ON b.id = u.body_id WHERE 1 = 1",
            );
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY b.path, u.username");
            qb.build_query_as::<UserListRow>().fetch_all(c).await
        })?)
    }

    pub async fn grants_of(&self, user_id: i64) -> StoreResult<Vec<GrantRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, GrantRow>(
                "SELECT g.id, g.user_id, g.body_id, g.role, b.name AS body_name, \
                 b.path AS body_path, g.granted_at \
                 FROM role_grants g JOIN bodies b ON b.id = g.body_id \
                 WHERE g.user_id = $1 ORDER BY b.path, g.role",
            )
            .bind(user_id)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn get_grant(&self, grant_id: i64) -> StoreResult<GrantRow> {
        read!(self, |c| {
            sqlx::query_as::<_, GrantRow>(
                "SELECT g.id, g.user_id, g.body_id, g.role, b.name AS body_name, \
                 b.path AS body_path, g.granted_at \
                 FROM role_grants g JOIN bodies b ON b.id = g.body_id WHERE g.id = $1",
            )
            .bind(grant_id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn grant_role(
        &self,
        user_id: i64,
        body_id: i64,
        role: Role,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        let r = write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO role_grants (user_id, body_id, role, granted_by, granted_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(user_id)
            .bind(body_id)
            .bind(role.as_str())
            .bind(who.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("role.grant", "user", user_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"role": role.as_str(), "body_id": body_id}))
            );
            Ok(())
        });
        r.map_err(|e| {
            if e.is_unique_violation() {
                StoreError::Conflict("该用户在该机关已有此角色".into())
            } else {
                e
            }
        })
    }

    pub async fn revoke_role(&self, grant_id: i64, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let g = sqlx::query_as::<_, (i64, i64, String)>(
                "SELECT user_id, body_id, role FROM role_grants WHERE id = $1",
            )
            .bind(grant_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            sqlx::query("DELETE FROM role_grants WHERE id = $1")
                .bind(grant_id)
                .execute(&mut *tx)
                .await?;
            ensure_root_admin_remains!(tx);
            audit_append!(
                tx,
                AuditEvent::new("role.revoke", "user", g.0)
                    .who(who)
                    .body(Some(g.1))
                    .before(serde_json::json!({"role": g.2, "body_id": g.1}))
            );
            Ok(())
        })
    }

    /// Enable or disable an account; disabling ends its sessions.
    pub async fn set_user_disabled(
        &self,
        user_id: i64,
        disabled: bool,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            sqlx::query("UPDATE users SET disabled = $1, updated_at = $2, version = version + 1 WHERE id = $3")
                .bind(disabled)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            if disabled {
                ensure_root_admin_remains!(tx);
                sqlx::query(
                    "UPDATE sessions SET ended_at = $1, end_reason = 'disabled' \
                     WHERE user_id = $2 AND ended_at IS NULL",
                )
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new(
                    if disabled {
                        "user.disable"
                    } else {
                        "user.enable"
                    },
                    "user",
                    user_id
                )
                .who(who)
                .body(Some(body_id))
            );
            Ok(())
        })
    }

    /// Set a new password hash. `must_change` is true when an administrator sets it (the user
    /// must choose their own at next login).
    pub async fn set_password(
        &self,
        user_id: i64,
        hash: &str,
        must_change: bool,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            sqlx::query(
                "UPDATE users SET password_hash = $1, password_changed_at = $2, \
                 must_change_password = $3, failed_logins = 0, locked_until = NULL, \
                 updated_at = $2, version = version + 1 WHERE id = $4",
            )
            .bind(hash)
            .bind(now)
            .bind(must_change)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new(
                    if must_change {
                        "user.password_reset"
                    } else {
                        "user.password_change"
                    },
                    "user",
                    user_id
                )
                .who(who)
                .body(Some(body_id))
            );
            Ok(())
        })
    }

    /// Record a failed login: count it and lock the account at the threshold. Returns whether the
    /// account is now locked.
    pub async fn record_login_failure(
        &self,
        user: &User,
        threshold: u32,
        lock_minutes: u32,
        ip: &str,
        reason: &str,
    ) -> StoreResult<bool> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let failures: i64 = sqlx::query_scalar(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = $1 RETURNING failed_logins",
            )
            .bind(user.id)
            .fetch_one(&mut *tx)
            .await?;
            let lock = threshold > 0 && failures >= i64::from(threshold);
            if lock {
                sqlx::query("UPDATE users SET locked_until = $1, failed_logins = 0 WHERE id = $2")
                    .bind(now + i64::from(lock_minutes) * 60_000)
                    .bind(user.id)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("login.failure", "user", user.id)
                    .by(Some(user.id), &user.username, ip)
                    .body(Some(user.body_id))
                    .after(
                        serde_json::json!({"reason": reason, "failures": failures, "locked": lock})
                    )
            );
            Ok(lock)
        })
    }

    pub async fn record_login_success(&self, user: &User, ip: &str, step: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE users SET failed_logins = 0, locked_until = NULL WHERE id = $1")
                .bind(user.id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("login.success", "user", user.id)
                    .by(Some(user.id), &user.username, ip)
                    .body(Some(user.body_id))
                    .after(serde_json::json!({"step": step}))
            );
            Ok(())
        })
    }

    /// Lift a lockout caused by failed sign-ins.
    pub async fn unlock_user(&self, user_id: i64, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            sqlx::query("UPDATE users SET locked_until = NULL, failed_logins = 0 WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("user.unlock", "user", user_id)
                    .who(who)
                    .body(Some(body_id))
            );
            Ok(())
        })
    }

    /// Store a TOTP secret that is not yet confirmed (enrolment in progress). The web layer
    /// passes it sealed (`secrets.key`); a database copy alone does not give the second factor.
    pub async fn set_pending_totp(&self, user_id: i64, secret: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_enabled = FALSE")
                .bind(secret)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }

    /// Accept the TOTP code of time step `step` for the account once: true when no code of this
    /// step or a later one was accepted before (one atomic update, so two processes cannot both
    /// accept the same code).
    pub async fn accept_totp_step(&self, user_id: i64, step: i64) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            let r = sqlx::query(
                "UPDATE users SET totp_last_step = $1 WHERE id = $2 \
                 AND (totp_last_step IS NULL OR totp_last_step < $1)",
            )
            .bind(step)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            Ok(r.rows_affected() == 1)
        })
    }

    /// Seal every TOTP secret still stored in clear (rows from before sealing) with `seal`, in
    /// one transaction. Returns how many were sealed.
    pub async fn seal_totp_secrets(&self, seal: impl Fn(&str) -> String) -> StoreResult<usize> {
        let rows: Vec<(i64, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT id, totp_secret FROM users WHERE totp_secret IS NOT NULL AND totp_secret <> '' \
                 AND totp_secret NOT LIKE 'v1:%'",
            )
            .fetch_all(c)
            .await
        })?;
        if rows.is_empty() {
            return Ok(0);
        }
        let n = rows.len();
        write_tx!(self, |tx| {
            for (id, plain) in &rows {
                sqlx::query("UPDATE users SET totp_secret = $1 WHERE id = $2 AND totp_secret = $3")
                    .bind(seal(plain))
                    .bind(id)
                    .bind(plain)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("users.totp_sealed", "user", 0)
                    .who(&Who::system())
                    .after(serde_json::json!({"accounts": n}))
            );
            Ok(())
        })?;
        Ok(n)
    }

    /// Turn the second factor on, replacing the recovery codes with new ones (stored hashed).
    pub async fn enable_totp(
        &self,
        user_id: i64,
        code_hashes: &[String],
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET totp_enabled = TRUE, version = version + 1 WHERE id = $1",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            for h in code_hashes {
                sqlx::query("INSERT INTO recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                    .bind(user_id)
                    .bind(h)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("user.totp_enable", "user", user_id)
                    .who(who)
                    .body(Some(body_id))
            );
            Ok(())
        })
    }

    /// Remove the second factor (an administrator's reset for a lost device).
    pub async fn reset_totp(&self, user_id: i64, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            sqlx::query("UPDATE users SET totp_enabled = FALSE, totp_secret = NULL, version = version + 1 WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM recovery_codes WHERE user_id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("user.totp_reset", "user", user_id)
                    .who(who)
                    .body(Some(body_id))
            );
            Ok(())
        })
    }

    /// Use a recovery code once. Returns false if no unused code has this hash.
    pub async fn use_recovery_code(&self, user_id: i64, code_hash: &str) -> StoreResult<bool> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE recovery_codes SET used_at = $1 \
                 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL",
            )
            .bind(now)
            .bind(user_id)
            .bind(code_hash)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(n > 0)
        })
    }

    pub async fn unused_recovery_codes(&self, user_id: i64) -> StoreResult<i64> {
        Ok(read!(self, |c| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM recovery_codes WHERE user_id = $1 AND used_at IS NULL",
            )
            .bind(user_id)
            .fetch_one(c)
            .await
        })?)
    }

    pub async fn count_users(&self) -> StoreResult<i64> {
        Ok(read!(self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM users")
                .fetch_one(c)
                .await
        })?)
    }
}
