//! Sessions in the database, so several server processes share them. The cookie carries a
//! random token; only its SHA-256 is stored.

use gongkai_domain::audit::{AuditEvent, Who};
use serde::Serialize;

use crate::{Store, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Session {
    pub id_hash: String,
    pub user_id: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
    pub csrf_token: String,
    pub mfa_verified: bool,
    pub acting_body_id: Option<i64>,
    pub ended_at: Option<i64>,
}

/// A session as listed for its user or an administrator.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct SessionListRow {
    pub id_hash: String,
    pub user_id: i64,
    pub username: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub ip: String,
    pub user_agent: String,
}

const SESSION_COLS: &str = "id_hash, user_id, created_at, last_seen_at, ip, user_agent, \
    csrf_token, mfa_verified, acting_body_id, ended_at";

impl Store {
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        ip: &str,
        user_agent: &str,
        csrf_token: &str,
        mfa_verified: bool,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, ip, user_agent, \
                 csrf_token, mfa_verified) VALUES ($1, $2, $3, $3, $4, $5, $6, $7)",
            )
            .bind(id_hash)
            .bind(user_id)
            .bind(now)
            .bind(ip)
            .bind(user_agent)
            .bind(csrf_token)
            .bind(mfa_verified)
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }

    /// A session that has not been ended (expiry is the caller's rule to apply).
    pub async fn get_session(&self, id_hash: &str) -> StoreResult<Option<Session>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Session>(sqlx::AssertSqlSafe(format!(
                "SELECT {SESSION_COLS} FROM sessions WHERE id_hash = $1 AND ended_at IS NULL"
            )))
            .bind(id_hash)
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn touch_session(&self, id_hash: &str, now: i64) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id_hash = $2")
                .bind(now)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }

    pub async fn set_session_mfa_verified(&self, id_hash: &str) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET mfa_verified = TRUE WHERE id_hash = $1")
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }

    pub async fn set_acting_body(&self, id_hash: &str, body_id: Option<i64>) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE sessions SET acting_body_id = $1 WHERE id_hash = $2")
                .bind(body_id)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }

    /// End one session. `reason`: logout, expired, ended_by_user, ended_by_admin …
    pub async fn end_session(
        &self,
        id_hash: &str,
        reason: &str,
        who: Option<&Who>,
    ) -> StoreResult<bool> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let row: Option<(i64, i64)> = sqlx::query_as(
                "SELECT s.user_id, u.body_id FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.id_hash = $1 AND s.ended_at IS NULL",
            )
            .bind(id_hash)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((user_id, body_id)) = row else {
                return Ok(false);
            };
            sqlx::query("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE id_hash = $3")
                .bind(now)
                .bind(reason)
                .bind(id_hash)
                .execute(&mut *tx)
                .await?;
            if let Some(who) = who {
                audit_append!(
                    tx,
                    AuditEvent::new(&format!("session.{reason}"), "user", user_id)
                        .who(who)
                        .body(Some(body_id))
                        .after(serde_json::json!({"session": &id_hash[..12.min(id_hash.len())]}))
                );
            }
            Ok(true)
        })
    }

    /// End every open session of a user (for example after a password reset).
    pub async fn end_user_sessions(
        &self,
        user_id: i64,
        reason: &str,
        except: Option<&str>,
    ) -> StoreResult<u64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE sessions SET ended_at = $1, end_reason = $2 \
                 WHERE user_id = $3 AND ended_at IS NULL AND id_hash <> $4",
            )
            .bind(now)
            .bind(reason)
            .bind(user_id)
            .bind(except.unwrap_or(""))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            Ok(n)
        })
    }

    /// Open sessions of one user, newest first; those idle or older than the limits are not
    /// listed (they no longer work).
    pub async fn list_sessions(
        &self,
        user_id: i64,
        live_after_created: i64,
        live_after_seen: i64,
    ) -> StoreResult<Vec<SessionListRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, SessionListRow>(
                "SELECT s.id_hash, s.user_id, u.username, s.created_at, s.last_seen_at, s.ip, s.user_agent \
                 FROM sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.created_at > $2 AND s.last_seen_at > $3 \
                 ORDER BY s.last_seen_at DESC",
            )
            .bind(user_id)
            .bind(live_after_created)
            .bind(live_after_seen)
            .fetch_all(c)
            .await
        })?)
    }
}
