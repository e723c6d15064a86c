//! 征求意见: a published draft's comment window and 起草说明, the public's comments (names and
//! contacts sealed) and their moderation, the 意见采纳情况 (themed groups, published once with a
//! ledger entry) and the final version (docs/design/participation.md, stage 3). The rules are
//! `domain::consultation`'s.

use chrono::NaiveDate;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::consultation::{
    self as dc, CommentStatus, Disposition, ValidComment, ValidGroup, ValidWindow,
};
use gongkai_domain::ledger::LedgerAction;
use gongkai_domain::notice_period::{self as np, Phase};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// Lock the consultation's row for the rest of the transaction (PostgreSQL runs at READ
/// COMMITTED; SQLite's writes are serial anyway), so a check and the feedback cannot interleave.
macro_rules! lock_consultation {
    ($tx:ident, $item:expr) => {{
        sqlx::query("UPDATE consultations SET updated_at = updated_at WHERE item_id = $1")
            .bind($item)
            .execute(&mut *$tx)
            .await?;
    }};
}

/// The body, the end of the window and the feedback time of a consultation whose feedback is
/// not published yet (otherwise `Conflict`), read in the transaction `$tx`.
macro_rules! editable_feedback {
    ($tx:ident, $item:expr) => {{
        lock_consultation!($tx, $item);
        let row: Option<(i64, String, Option<i64>)> = sqlx::query_as(
            "SELECT i.body_id, k.end_on, k.feedback_at FROM consultations k JOIN items i ON i.id = k.item_id WHERE k.item_id = $1",
        )
        .bind($item)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => return Err(StoreError::NotFound),
            Some((_, _, Some(_))) => {
                return Err(StoreError::Conflict(
                    "意见采纳情况已公布，不能再修改".into(),
                ));
            }
            Some(r) => r,
        }
    }};
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// A consultation as stored.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ConsultationRow {
    pub item_id: i64,
    pub start_on: String,
    pub end_on: String,
    pub days: i64,
    pub unit: String,
    pub explanation: String,
    pub final_item_id: Option<i64>,
    pub feedback_at: Option<i64>,
    pub feedback_seq: Option<i64>,
}

impl ConsultationRow {
    pub fn start(&self) -> NaiveDate {
        day(&self.start_on)
    }
    pub fn end(&self) -> NaiveDate {
        day(&self.end_on)
    }
    pub fn phase(&self, today: NaiveDate) -> Phase {
        np::phase(self.start(), self.end(), today)
    }
    pub fn explain(&self) -> String {
        dc::explain_window(self.start(), self.end())
    }
    /// 未开始 / 征求意见中 / 已截止 / 已公布采纳情况.
    pub fn state_label(&self, today: NaiveDate) -> &'static str {
        if self.feedback_at.is_some() {
            return "已公布意见采纳情况";
        }
        match self.phase(today) {
            Phase::NotStarted => "未开始",
            Phase::Open => "征求意见中",
            Phase::Ended => "已截止",
        }
    }
}

/// A comment as stored (name and contact sealed).
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct CommentRow {
    pub id: i64,
    pub item_id: i64,
    pub number: String,
    pub paragraph: i64,
    pub text: String,
    #[serde(skip)]
    pub name_sealed: String,
    #[serde(skip)]
    pub contact_sealed: String,
    /// The name shown with the comment: only when the commenter agreed.
    pub public_name: String,
    pub status: String,
    pub held_reason: String,
    pub hidden_reason: String,
    pub moderated_by: String,
    pub group_id: Option<i64>,
    pub received_on: String,
}

impl CommentRow {
    pub fn status_label(&self) -> &'static str {
        CommentStatus::parse(&self.status).map_or("", |s| s.label())
    }
    pub fn paragraph_label(&self) -> String {
        dc::paragraph_label(self.paragraph as u32)
    }
    /// 「网友」 unless the commenter agreed to be named.
    pub fn shown_name(&self) -> &str {
        if self.public_name.is_empty() {
            "网友"
        } else {
            &self.public_name
        }
    }
    pub fn visible(&self) -> bool {
        self.status == CommentStatus::Visible.as_str()
    }
}

/// A group of the 意见采纳情况.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct GroupRow {
    pub id: i64,
    pub item_id: i64,
    pub position: i64,
    pub theme: String,
    pub disposition: String,
    pub reason: String,
}

impl GroupRow {
    pub fn disposition_label(&self) -> &'static str {
        Disposition::parse(&self.disposition).map_or("", |d| d.label())
    }
}

/// A consultation in the portal's list.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ConsultationListRow {
    pub item_id: i64,
    pub title: String,
    pub body_id: i64,
    pub body_name: String,
    pub start_on: String,
    pub end_on: String,
    pub feedback_at: Option<i64>,
    pub final_item_id: Option<i64>,
    pub first_published_at: Option<i64>,
    /// Comments shown in public.
    pub comments: i64,
}

/// A comment waiting for a moderator, with its draft — the queue across drafts. No personal
/// value: the draft's own page opens the name and contact.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct HeldComment {
    pub id: i64,
    pub item_id: i64,
    pub number: String,
    pub paragraph: i64,
    pub text: String,
    pub held_reason: String,
    pub received_on: String,
    pub title: String,
    pub body_name: String,
}

impl HeldComment {
    pub fn paragraph_label(&self) -> String {
        dc::paragraph_label(self.paragraph as u32)
    }
}

/// A moderator's decision on a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderate {
    Show,
    Hide(String),
}

const COLS: &str =
    "item_id, start_on, end_on, days, unit, explanation, final_item_id, feedback_at, feedback_seq";
const COMMENT_COLS: &str = "id, item_id, number, paragraph, text, name_sealed, contact_sealed, public_name, \
    status, held_reason, hidden_reason, moderated_by, group_id, received_on";

impl Store {
    /// Set (or change, until it opens) the comment window and 起草说明 of a draft.
    pub async fn set_consultation(
        &self,
        item_id: i64,
        w: &ValidWindow,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let row: Option<(i64, String, String)> =
                sqlx::query_as("SELECT body_id, status, scope FROM items WHERE id = $1")
                    .bind(item_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((body_id, status, scope)) = row else {
                return Err(StoreError::NotFound);
            };
            if status != "published" || scope != "public" {
                return Err(StoreError::Invalid(
                    "征求意见稿须先经审核发布（主动公开、面向社会），再设置征求意见期限".into(),
                ));
            }
            let final_of: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM consultations WHERE final_item_id = $1")
                    .bind(item_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if final_of > 0 {
                return Err(StoreError::Conflict(
                    "该信息是另一征求意见稿的最终版本，不能再作为征求意见稿".into(),
                ));
            }
            let current: Option<String> =
                sqlx::query_scalar("SELECT start_on FROM consultations WHERE item_id = $1")
                    .bind(item_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if current.as_deref().is_some_and(|s| day(s) <= today) {
                return Err(StoreError::Conflict(
                    "征求意见已经开始，期限不能再修改".into(),
                ));
            }
            sqlx::query("DELETE FROM consultations WHERE item_id = $1")
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO consultations (item_id, start_on, end_on, days, unit, explanation, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(item_id)
            .bind(w.start.to_string())
            .bind(w.end.to_string())
            .bind(i64::from(w.days))
            .bind(w.unit.as_str())
            .bind(&w.explanation)
            .bind(&who.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("consultation.window", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "start": w.start.to_string(), "end": w.end.to_string(),
                        "days": w.days, "unit": w.unit.as_str(),
                    }))
            );
            change_log!(tx, "item", item_id, "upsert");
            Ok(())
        })
    }

    pub async fn consultation_of(&self, item_id: i64) -> StoreResult<Option<ConsultationRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM consultations WHERE item_id = $1"
            )))
            .bind(item_id)
            .fetch_optional(c)
            .await
        })?)
    }

    /// The consultation whose final version `item_id` is, if any.
    pub async fn consultation_of_final(
        &self,
        item_id: i64,
    ) -> StoreResult<Option<ConsultationRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ConsultationRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM consultations WHERE final_item_id = $1"
            )))
            .bind(item_id)
            .fetch_optional(c)
            .await
        })?)
    }

    /// Consultations of published public drafts, latest end first.
    pub async fn list_consultations(&self, limit: i64) -> StoreResult<Vec<ConsultationListRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ConsultationListRow>(
                "SELECT k.item_id, i.title, i.body_id, b.name AS body_name, k.start_on, k.end_on, \
                 k.feedback_at, k.final_item_id, i.first_published_at, \
                 (SELECT COUNT(*) FROM consultation_comments m WHERE m.item_id = k.item_id AND m.status = 'visible') AS comments \
                 FROM consultations k JOIN items i ON i.id = k.item_id JOIN bodies b ON b.id = i.body_id \
                 WHERE i.status = 'published' AND i.scope = 'public' ORDER BY k.end_on DESC, k.item_id DESC LIMIT $1",
            )
            .bind(limit.clamp(1, 2000))
            .fetch_all(c)
            .await
        })?)
    }

    /// Record a comment on a published public draft in its window. `status` and `held_reason`
    /// come from `domain::consultation::initial_status`. Returns its number; committed before
    /// the caller answers "received".
    #[allow(clippy::too_many_arguments)]
    pub async fn add_comment(
        &self,
        item_id: i64,
        v: &ValidComment,
        name_sealed: &str,
        contact_sealed: &str,
        status: CommentStatus,
        held_reason: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<String> {
        let now = crate::now_ms();
        let suffix: u32 = rand::random::<u32>() % 1_000_000;
        write_tx!(self, |tx| {
            let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
                "SELECT k.start_on, k.end_on, i.status, i.scope, i.body_id FROM consultations k \
                 JOIN items i ON i.id = k.item_id WHERE k.item_id = $1",
            )
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((start, end, istatus, scope, body_id)) = row else {
                return Err(StoreError::NotFound);
            };
            if istatus != "published" || scope != "public" {
                return Err(StoreError::NotFound);
            }
            if let Some(m) = dc::window_refusal(day(&start), day(&end), today) {
                return Err(StoreError::Invalid(m));
            }
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM consultation_comments")
                .fetch_one(&mut *tx)
                .await?;
            let number = format!("YJ{}{:06}{:06}", today.format("%Y%m%d"), n + 1, suffix);
            let public_name = if v.show_name { v.name.as_str() } else { "" };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO consultation_comments (item_id, number, paragraph, text, name_sealed, contact_sealed, \
                 public_name, status, held_reason, received_at, received_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            )
            .bind(item_id)
            .bind(&number)
            .bind(i64::from(v.paragraph))
            .bind(&v.text)
            .bind(name_sealed)
            .bind(contact_sealed)
            .bind(public_name)
            .bind(status.as_str())
            .bind(held_reason)
            .bind(now)
            .bind(today.to_string())
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("consultation.comment", "consultation_comment", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "item": item_id, "number": number, "paragraph": v.paragraph, "status": status.as_str(),
                    }))
            );
            if status == CommentStatus::Visible {
                change_log!(tx, "item", item_id, "upsert");
            }
            Ok(number)
        })
    }

    /// Every comment of a draft, in the order received.
    pub async fn comments_of(&self, item_id: i64) -> StoreResult<Vec<CommentRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, CommentRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COMMENT_COLS} FROM consultation_comments WHERE item_id = $1 ORDER BY id"
            )))
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Publish a held comment or hide one (with its reason). Fixed once the 意见采纳情况 is out.
    pub async fn moderate_comment(
        &self,
        item_id: i64,
        comment_id: i64,
        action: &Moderate,
        expect: Option<&str>,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            lock_consultation!(tx, item_id);
            let row: Option<(String, i64, Option<i64>)> = sqlx::query_as(
                "SELECT m.status, i.body_id, k.feedback_at FROM consultation_comments m \
                 JOIN items i ON i.id = m.item_id JOIN consultations k ON k.item_id = m.item_id \
                 WHERE m.id = $1 AND m.item_id = $2",
            )
            .bind(comment_id)
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((status, body_id, feedback_at)) = row else {
                return Err(StoreError::NotFound);
            };
            if feedback_at.is_some() {
                return Err(StoreError::Conflict(
                    "意见采纳情况已公布，意见不能再审核".into(),
                ));
            }
            // The page the moderator acted on showed another state: someone else decided first.
            if expect.is_some_and(|e| e != status) {
                return Err(StoreError::Conflict(
                    "该意见已由他人审核，请查看当前状态后再操作".into(),
                ));
            }
            let (new_status, reason) = match action {
                Moderate::Show => (CommentStatus::Visible, ""),
                Moderate::Hide(r) => (CommentStatus::Hidden, r.as_str()),
            };
            sqlx::query(
                "UPDATE consultation_comments SET status = $1, hidden_reason = $2, moderated_by = $3, moderated_at = $4, \
                 group_id = CASE WHEN $1 = 'hidden' THEN NULL ELSE group_id END WHERE id = $5",
            )
            .bind(new_status.as_str())
            .bind(reason)
            .bind(&who.name)
            .bind(now)
            .bind(comment_id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("consultation.moderate", "consultation_comment", comment_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"status": status}))
                    .after(serde_json::json!({"status": new_status.as_str(), "reason": reason}))
            );
            change_log!(tx, "item", item_id, "upsert");
            Ok(())
        })
    }

    pub async fn groups_of(&self, item_id: i64) -> StoreResult<Vec<GroupRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, GroupRow>(
                "SELECT id, item_id, position, theme, disposition, reason FROM consultation_groups \
                 WHERE item_id = $1 ORDER BY position, id",
            )
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Add a group of the 意见采纳情况 with the comments it holds (visible comments of this
    /// draft; a comment moves from the group it was in). Only after the window, before the
    /// feedback is published.
    pub async fn add_group(
        &self,
        item_id: i64,
        g: &ValidGroup,
        comment_ids: &[i64],
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<i64> {
        write_tx!(self, |tx| {
            let (body_id, end_on, _) = editable_feedback!(tx, item_id);
            if today <= day(&end_on) {
                return Err(StoreError::Invalid(
                    "征求意见截止后才能归类意见、说明采纳情况".into(),
                ));
            }
            let position: i64 = sqlx::query_scalar(
                "SELECT CAST(COALESCE(MAX(position), 0) + 1 AS BIGINT) FROM consultation_groups WHERE item_id = $1",
            )
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO consultation_groups (item_id, position, theme, disposition, reason) VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(item_id)
            .bind(position)
            .bind(&g.theme)
            .bind(g.disposition.as_str())
            .bind(&g.reason)
            .fetch_one(&mut *tx)
            .await?;
            for c in comment_ids {
                let moved = sqlx::query(
                    "UPDATE consultation_comments SET group_id = $1 WHERE id = $2 AND item_id = $3 AND status = 'visible'",
                )
                .bind(id)
                .bind(c)
                .bind(item_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if moved != 1 {
                    return Err(StoreError::Invalid(
                        "只能归类本征求意见稿已公开的意见".into(),
                    ));
                }
            }
            audit_append!(
                tx,
                AuditEvent::new("consultation.group", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "group": id, "theme": g.theme, "disposition": g.disposition.as_str(), "comments": comment_ids,
                    }))
            );
            Ok(id)
        })
    }

    /// Remove a group (its comments become ungrouped), before the feedback is published.
    pub async fn delete_group(&self, item_id: i64, group_id: i64, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let (body_id, _, _) = editable_feedback!(tx, item_id);
            sqlx::query("UPDATE consultation_comments SET group_id = NULL WHERE group_id = $1 AND item_id = $2")
                .bind(group_id)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            let gone =
                sqlx::query("DELETE FROM consultation_groups WHERE id = $1 AND item_id = $2")
                    .bind(group_id)
                    .bind(item_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            if gone != 1 {
                return Err(StoreError::NotFound);
            }
            audit_append!(
                tx,
                AuditEvent::new("consultation.group_delete", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"group": group_id}))
            );
            Ok(())
        })
    }

    /// Publish the 意见采纳情况 (once): refused while `domain::consultation::feedback_blockers`
    /// names anything; an audit entry and a ledger entry with the groups and their counts.
    pub async fn publish_feedback(
        &self,
        item_id: i64,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (body_id, end_on, _) = editable_feedback!(tx, item_id);
            let counts: Vec<(String, Option<i64>)> = sqlx::query_as(
                "SELECT status, group_id FROM consultation_comments WHERE item_id = $1",
            )
            .bind(item_id)
            .fetch_all(&mut *tx)
            .await?;
            let held = counts.iter().filter(|(s, _)| s == "held").count();
            let visible = counts.iter().filter(|(s, _)| s == "visible").count();
            let hidden = counts.iter().filter(|(s, _)| s == "hidden").count();
            let ungrouped = counts
                .iter()
                .filter(|(s, g)| s == "visible" && g.is_none())
                .count();
            let groups: Vec<(i64, String, String, String)> = sqlx::query_as(
                "SELECT id, theme, disposition, reason FROM consultation_groups WHERE item_id = $1 ORDER BY position, id",
            )
            .bind(item_id)
            .fetch_all(&mut *tx)
            .await?;
            let blockers =
                dc::feedback_blockers(day(&end_on), today, held, ungrouped, groups.len(), visible);
            if !blockers.is_empty() {
                return Err(StoreError::Invalid(blockers.join("；")));
            }
            let (version_id, index_no): (Option<i64>, Option<String>) =
                sqlx::query_as("SELECT published_version_id, index_no FROM items WHERE id = $1")
                    .bind(item_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let payload = serde_json::json!({
                "item": item_id,
                "index_no": index_no,
                "end": end_on,
                "comments": visible,
                "hidden": hidden,
                "groups": groups.iter().map(|(id, theme, disp, reason)| serde_json::json!({
                    "theme": theme,
                    "disposition": disp,
                    "reason": reason,
                    "comments": counts.iter().filter(|(_, g)| *g == Some(*id)).count(),
                })).collect::<Vec<_>>(),
            })
            .to_string();
            audit_append!(
                tx,
                AuditEvent::new("consultation.feedback", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"groups": groups.len(), "comments": visible}))
            );
            let seq = ledger_append!(
                tx,
                body_id,
                item_id,
                version_id.unwrap_or(0),
                &index_no.clone().unwrap_or_default(),
                LedgerAction::ConsultationFeedback,
                &crate::disclosure::sha256_hex(&payload),
                &payload
            );
            sqlx::query(
                "UPDATE consultations SET feedback_at = $1, feedback_seq = $2, updated_at = $1 WHERE item_id = $3",
            )
            .bind(now)
            .bind(seq)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
            change_log!(tx, "item", item_id, "upsert");
            Ok(seq)
        })
    }

    /// Link the final version: another item of the same body, after the window, not published
    /// before the 意见采纳情况 (the workflow refuses to approve it until that is published).
    pub async fn link_final(
        &self,
        item_id: i64,
        final_id: i64,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            lock_consultation!(tx, item_id);
            let row: Option<(i64, String, Option<i64>, Option<i64>)> = sqlx::query_as(
                "SELECT i.body_id, k.end_on, k.feedback_at, k.final_item_id FROM consultations k JOIN items i ON i.id = k.item_id WHERE k.item_id = $1",
            )
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((body_id, end_on, feedback_at, current)) = row else {
                return Err(StoreError::NotFound);
            };
            if today <= day(&end_on) {
                return Err(StoreError::Invalid("征求意见截止后才能关联最终版本".into()));
            }
            if current.is_some() {
                return Err(StoreError::Conflict("最终版本已关联".into()));
            }
            let fin: Option<(i64, Option<i64>)> =
                sqlx::query_as("SELECT body_id, first_published_at FROM items WHERE id = $1")
                    .bind(final_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            match fin {
                Some((b, published)) if b == body_id && final_id != item_id => {
                    // By day, as the public sees dates: published on a day before the feedback's.
                    let day_of = |ms: i64| (ms + 8 * 3_600_000).div_euclid(86_400_000);
                    if published.is_some_and(|p| feedback_at.is_none_or(|f| day_of(p) < day_of(f)))
                    {
                        return Err(StoreError::Invalid(
                            "该信息在意见采纳情况公布前已发布，不能作为最终版本".into(),
                        ));
                    }
                }
                _ => {
                    return Err(StoreError::Invalid("最终版本须为本单位的另一条信息".into()));
                }
            }
            let taken: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM consultations WHERE final_item_id = $1 OR item_id = $1",
            )
            .bind(final_id)
            .fetch_one(&mut *tx)
            .await?;
            if taken > 0 {
                return Err(StoreError::Conflict(
                    "该信息已是征求意见稿或另一征求意见稿的最终版本".into(),
                ));
            }
            sqlx::query(
                "UPDATE consultations SET final_item_id = $1, updated_at = $2 WHERE item_id = $3",
            )
            .bind(final_id)
            .bind(now)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("consultation.final", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"final": final_id}))
            );
            change_log!(tx, "item", item_id, "upsert");
            change_log!(tx, "item", final_id, "upsert");
            Ok(())
        })
    }

    /// How many comments `held_comments` would list (uncapped).
    pub async fn held_comment_count(
        &self,
        scope: &gongkai_domain::access::Scope,
    ) -> StoreResult<i64> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT COUNT(*) FROM consultation_comments c \
                 JOIN consultations k ON k.item_id = c.item_id JOIN items i ON i.id = c.item_id \
                 JOIN bodies b ON b.id = i.body_id WHERE c.status = 'held' AND k.feedback_at IS NULL",
            );
            push_scope!(qb, scope, "b.path");
            qb.build_query_scalar::<i64>().fetch_one(c).await
        })?)
    }

    /// Comments held for a moderator on drafts of bodies in `scope` whose 意见采纳情况 is not yet
    /// published, oldest first (at most 500).
    pub async fn held_comments(
        &self,
        scope: &gongkai_domain::access::Scope,
    ) -> StoreResult<Vec<HeldComment>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT c.id, c.item_id, c.number, c.paragraph, c.text, c.held_reason, c.received_on, \
                 i.title, b.name AS body_name FROM consultation_comments c \
                 JOIN consultations k ON k.item_id = c.item_id JOIN items i ON i.id = c.item_id \
                 JOIN bodies b ON b.id = i.body_id WHERE c.status = 'held' AND k.feedback_at IS NULL",
            );
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY c.id LIMIT 500");
            qb.build_query_as::<HeldComment>().fetch_all(c).await
        })?)
    }
}
