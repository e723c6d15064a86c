//! Per-body texts of the formal notices (see `domain::notice`). A body without its own text of a
//! kind uses the built-in default. Saving and resetting are audited with the text before and after.

use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::notice;

use crate::{Store, StoreError, StoreResult};

/// A body's own text of one notice kind.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
pub struct NoticeTemplate {
    pub body_id: i64,
    pub kind: String,
    pub text: String,
    pub updated_at: i64,
}

impl Store {
    /// The body's own texts (kinds without a row use the default).
    pub async fn notice_templates(&self, body_id: i64) -> StoreResult<Vec<NoticeTemplate>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, NoticeTemplate>(
                "SELECT body_id, kind, text, updated_at FROM notice_templates WHERE body_id = $1 ORDER BY kind",
            )
            .bind(body_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// The text in force for a body and kind: its own, or the built-in default.
    pub async fn notice_text(&self, body_id: i64, kind: &str) -> StoreResult<String> {
        let own: Option<String> = read!(self, |c| {
            sqlx::query_scalar("SELECT text FROM notice_templates WHERE body_id = $1 AND kind = $2")
                .bind(body_id)
                .bind(kind)
                .fetch_optional(c)
                .await
        })?;
        own.or_else(|| notice::default_text(kind))
            .ok_or(StoreError::NotFound)
    }

    /// Save a body's own text of a kind (checked: only the kind's placeholders).
    pub async fn set_notice_template(
        &self,
        body_id: i64,
        kind: &str,
        text: &str,
        who: &Who,
    ) -> StoreResult<()> {
        if notice::kind(kind).is_none() {
            return Err(StoreError::NotFound);
        }
        let text = text.replace("\r\n", "\n");
        notice::check(kind, &text).map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let before: Option<String> = sqlx::query_scalar(
                "SELECT text FROM notice_templates WHERE body_id = $1 AND kind = $2",
            )
            .bind(body_id)
            .bind(kind)
            .fetch_optional(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO notice_templates (body_id, kind, text, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (body_id, kind) DO UPDATE SET text = excluded.text, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
            )
            .bind(body_id)
            .bind(kind)
            .bind(&text)
            .bind(who.user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("notice_template.save", "notice_template", body_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"kind": kind, "text": before}))
                    .after(serde_json::json!({"kind": kind, "text": text}))
            );
            Ok(())
        })
    }

    /// Drop a body's own text of a kind: the default applies again.
    pub async fn reset_notice_template(
        &self,
        body_id: i64,
        kind: &str,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let before: Option<String> = sqlx::query_scalar(
                "SELECT text FROM notice_templates WHERE body_id = $1 AND kind = $2",
            )
            .bind(body_id)
            .bind(kind)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(before) = before else {
                return Ok(());
            };
            sqlx::query("DELETE FROM notice_templates WHERE body_id = $1 AND kind = $2")
                .bind(body_id)
                .bind(kind)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("notice_template.reset", "notice_template", body_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"kind": kind, "text": before}))
                    .after(serde_json::json!({"kind": kind, "text": null}))
            );
            Ok(())
        })
    }
}
