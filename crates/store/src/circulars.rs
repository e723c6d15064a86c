//! 会议纪要 and 内部通知 (对内公开): a body's internal circulars, expanded when sent into one read
//! receipt per recipient account, the first reading recorded, and reminders (催阅) for the
//! unread — by the sender and by the periodic pass (docs/design/participation.md, stage 4). The
//! rules are `domain::circulars`'.

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::calendar::Calendar;
use gongkai_domain::circulars::{self as dc, CircularKind, ValidCircular};
use serde::Serialize;

use crate::applications::Proof;
use crate::{Store, StoreError, StoreResult};

/// A circular as stored.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct CircularRow {
    pub id: i64,
    pub body_id: i64,
    pub kind: String,
    pub title: String,
    pub text: String,
    pub meeting_on: Option<String>,
    /// JSON array of the chosen bodies' ids.
    #[serde(skip)]
    pub target_bodies: String,
    pub file_sha256: Option<String>,
    pub file_name: Option<String>,
    pub file_mime: Option<String>,
    pub file_size: Option<i64>,
    pub sent_by: i64,
    pub sent_by_name: String,
    pub sent_on: String,
}

impl CircularRow {
    pub fn kind_label(&self) -> &'static str {
        CircularKind::parse(&self.kind).map_or("内部文件", |k| k.label())
    }
    pub fn target_body_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.target_bodies).unwrap_or_default()
    }
}

/// One recipient's receipt, for the sender and supervisors.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ReceiptRow {
    pub user_id: i64,
    pub display_name: String,
    pub username: String,
    pub body_name: String,
    pub read_at: Option<i64>,
    pub reminders: i64,
    pub reminded_on: Option<String>,
}

/// A circular in a list: an inbox (with the reader's own receipt) or the sent list (with the
/// counts of recipients and readers).
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct CircularListRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub body_name: String,
    pub sent_by_name: String,
    pub sent_on: String,
    /// Inbox: the reader's own reading time; sent list: none.
    pub read_at: Option<i64>,
    /// Inbox: how often the reader was reminded; sent list: 0.
    pub reminders: i64,
    pub recipients: i64,
    pub readers: i64,
}

impl CircularListRow {
    pub fn kind_label(&self) -> &'static str {
        CircularKind::parse(&self.kind).map_or("内部文件", |k| k.label())
    }
}

const COLS: &str = "id, body_id, kind, title, text, meeting_on, target_bodies, file_sha256, \
    file_name, file_mime, file_size, sent_by, sent_by_name, sent_on";

impl Store {
    /// Send a circular of `body` to the chosen bodies of its subtree and accounts: one receipt
    /// per account, the sender excepted. Returns the id.
    pub async fn send_circular(
        &self,
        body: &crate::bodies::Body,
        v: &ValidCircular,
        file: Option<&Proof>,
        sent_on: NaiveDate,
        sender_name: &str,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let sender = who
            .user_id
            .ok_or_else(|| StoreError::Invalid("须以账号登录后发送".into()))?;
        let (body_id, body_path) = (body.id, body.path.as_str());
        let like = format!("{body_path}%");
        let targets = serde_json::to_string(&v.bodies).unwrap_or_else(|_| "[]".into());
        write_tx!(self, |tx| {
            // The chosen bodies: each in the sender's subtree.
            for b in &v.bodies {
                let path: Option<String> =
                    sqlx::query_scalar("SELECT path FROM bodies WHERE id = $1")
                        .bind(*b)
                        .fetch_optional(&mut *tx)
                        .await?;
                if !path.is_some_and(|p| p.starts_with(body_path)) {
                    return Err(StoreError::Invalid("只能发送给本机关及其下级机关".into()));
                }
            }
            // The chosen accounts: each enabled and of the subtree.
            for u in &v.users {
                let ok: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                    "SELECT u.id FROM users u WHERE u.id = $2 AND {}",
                    crate::users::ACCOUNTS_IN_SUBTREE
                )))
                .bind(&like)
                .bind(*u)
                .fetch_optional(&mut *tx)
                .await?;
                if ok.is_none() {
                    return Err(StoreError::Invalid(
                        "接收人须是本机关及其下级机关在用的账号".into(),
                    ));
                }
            }
            let mut recipients: Vec<i64> = v.users.clone();
            for b in &v.bodies {
                let staff: Vec<i64> = sqlx::query_scalar(
                    "SELECT u.id FROM users u WHERE u.disabled = FALSE AND (u.body_id = $1 \
                     OR u.id IN (SELECT user_id FROM role_grants WHERE body_id = $1))",
                )
                .bind(*b)
                .fetch_all(&mut *tx)
                .await?;
                recipients.extend(staff);
            }
            recipients.sort_unstable();
            recipients.dedup();
            recipients.retain(|u| *u != sender);
            if recipients.is_empty() {
                return Err(StoreError::Invalid(
                    "所选科室没有可接收的账号，请另选接收科室或接收人".into(),
                ));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO circulars (body_id, kind, title, text, meeting_on, target_bodies, file_sha256, \
                 file_name, file_mime, file_size, sent_by, sent_by_name, sent_on, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
            )
            .bind(body_id)
            .bind(v.kind.as_str())
            .bind(&v.title)
            .bind(&v.text)
            .bind(v.meeting_on.map(|d| d.to_string()))
            .bind(&targets)
            .bind(file.map(|f| f.sha256.clone()))
            .bind(file.map(|f| f.name.clone()))
            .bind(file.map(|f| f.mime.clone()))
            .bind(file.map(|f| f.size))
            .bind(sender)
            .bind(sender_name)
            .bind(sent_on.to_string())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for u in &recipients {
                sqlx::query("INSERT INTO circular_receipts (circular_id, user_id) VALUES ($1, $2)")
                    .bind(id)
                    .bind(*u)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("circular.send", "circular", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "kind": v.kind.as_str(), "title": v.title, "bodies": v.bodies,
                        "users": v.users, "recipients": recipients.len(),
                    }))
            );
            Ok(id)
        })
    }

    pub async fn circular(&self, id: i64) -> StoreResult<CircularRow> {
        read!(self, |c| {
            sqlx::query_as::<_, CircularRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM circulars WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Whether `user_id` is a recipient of the circular.
    pub async fn is_circular_recipient(&self, id: i64, user_id: i64) -> StoreResult<bool> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT user_id FROM circular_receipts WHERE circular_id = $1 AND user_id = $2",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(c)
            .await
        })?
        .is_some())
    }

    /// Every receipt of a circular, unread first, by body and name.
    pub async fn circular_receipts(&self, id: i64) -> StoreResult<Vec<ReceiptRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ReceiptRow>(
                "SELECT r.user_id, u.display_name, u.username, b.name AS body_name, r.read_at, r.reminders, \
                 r.reminded_on FROM circular_receipts r JOIN users u ON u.id = r.user_id \
                 JOIN bodies b ON b.id = u.body_id WHERE r.circular_id = $1 \
                 ORDER BY CASE WHEN r.read_at IS NULL THEN 0 ELSE 1 END, b.path, u.display_name, u.id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Record a recipient's first reading (who, when); later readings change nothing. Returns
    /// whether this was the first.
    pub async fn mark_circular_read(&self, id: i64, who: &Who) -> StoreResult<bool> {
        let Some(user) = who.user_id else {
            return Ok(false);
        };
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE circular_receipts SET read_at = $1 WHERE circular_id = $2 AND user_id = $3 AND read_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(user)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Ok(false);
            }
            let body: i64 = sqlx::query_scalar("SELECT body_id FROM circulars WHERE id = $1")
                .bind(id)
                .fetch_one(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("circular.read", "circular", id)
                    .who(who)
                    .body(Some(body))
            );
            Ok(true)
        })
    }

    /// The circulars sent to `user_id`, newest first (unread ones first when `unread_only`).
    pub async fn circular_inbox(
        &self,
        user_id: i64,
        unread_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<CircularListRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, CircularListRow>(
                "SELECT c.id, c.kind, c.title, b.name AS body_name, c.sent_by_name, c.sent_on, r.read_at, \
                 r.reminders, CAST(0 AS BIGINT) AS recipients, CAST(0 AS BIGINT) AS readers FROM circular_receipts r \
                 JOIN circulars c ON c.id = r.circular_id JOIN bodies b ON b.id = c.body_id \
                 WHERE r.user_id = $1 AND ($2 = FALSE OR r.read_at IS NULL) ORDER BY c.id DESC LIMIT $3",
            )
            .bind(user_id)
            .bind(unread_only)
            .bind(limit)
            .fetch_all(c)
            .await
        })?)
    }

    /// The circulars sent by `sender` or, for supervisors, by bodies in `supervised`, newest
    /// first, with the counts of recipients and readers.
    pub async fn circulars_sent(
        &self,
        sender: i64,
        supervised: &Scope,
        limit: i64,
    ) -> StoreResult<Vec<CircularListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT c.id, c.kind, c.title, b.name AS body_name, c.sent_by_name, c.sent_on, \
                 CAST(NULL AS BIGINT) AS read_at, CAST(0 AS BIGINT) AS reminders, \
                 (SELECT COUNT(*) FROM circular_receipts r WHERE r.circular_id = c.id) AS recipients, \
                 (SELECT COUNT(*) FROM circular_receipts r WHERE r.circular_id = c.id AND r.read_at IS NOT NULL) AS readers \
                 FROM circulars c JOIN bodies b ON b.id = c.body_id WHERE (c.sent_by = ",
            );
            qb.push_bind(sender);
            if !supervised.is_empty() {
                qb.push(" OR (1 = 1");
                push_scope!(qb, supervised, "b.path");
                qb.push(")");
            }
            qb.push(") ORDER BY c.id DESC LIMIT ");
            qb.push_bind(limit);
            qb.build_query_as::<CircularListRow>().fetch_all(c).await
        })?)
    }

    /// (unread, of which reminded) circulars of `user_id`, for the 工作台.
    pub async fn circular_counts(&self, user_id: i64) -> StoreResult<(i64, i64)> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN reminders > 0 THEN 1 ELSE 0 END), 0) \
                 FROM circular_receipts WHERE user_id = $1 AND read_at IS NULL",
            )
            .bind(user_id)
            .fetch_one(c)
            .await
        })?)
    }

    /// 催阅 by hand: remind every unread recipient not reminded today. Returns how many.
    pub async fn remind_circular(
        &self,
        id: i64,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<usize> {
        let day = today.to_string();
        write_tx!(self, |tx| {
            let body: Option<i64> =
                sqlx::query_scalar("SELECT body_id FROM circulars WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(body) = body else {
                return Err(StoreError::NotFound);
            };
            let n = sqlx::query(
                "UPDATE circular_receipts SET reminders = reminders + 1, reminded_on = $1 \
                 WHERE circular_id = $2 AND read_at IS NULL AND (reminded_on IS NULL OR reminded_on <> $1)",
            )
            .bind(&day)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n > 0 {
                audit_append!(
                    tx,
                    AuditEvent::new("circular.remind", "circular", id)
                        .who(who)
                        .body(Some(body))
                        .after(serde_json::json!({"reminded": n, "by_hand": true}))
                );
            }
            Ok(usize::try_from(n).unwrap_or(usize::MAX))
        })
    }

    /// The periodic pass: remind each unread receipt whose reminder day has come
    /// ([`dc::reminder_due`]). Receipts whose days fall in a year not loaded wait for it.
    /// Returns how many were reminded.
    pub async fn circular_tick(&self, cal: &Calendar, today: NaiveDate) -> StoreResult<usize> {
        let rows: Vec<(i64, i64, String, i64, Option<String>)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT r.circular_id, r.user_id, c.sent_on, r.reminders, r.reminded_on FROM circular_receipts r \
                 JOIN circulars c ON c.id = r.circular_id WHERE r.read_at IS NULL AND r.reminders < $1 \
                 ORDER BY r.circular_id LIMIT 5000",
            )
            .bind(dc::MAX_AUTO_REMINDERS)
            .fetch_all(c)
            .await
        })?;
        let parse = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let due: Vec<(i64, i64, i64)> = rows
            .into_iter()
            .filter(|(_, _, sent, n, on)| {
                parse(sent).is_some_and(|s| {
                    dc::reminder_due(cal, s, *n, on.as_deref().and_then(parse), today)
                        .unwrap_or(false)
                })
            })
            .map(|(c, u, _, n, _)| (c, u, n))
            .collect();
        if due.is_empty() {
            return Ok(0);
        }
        let day = today.to_string();
        write_tx!(self, |tx| {
            let mut done = 0usize;
            let mut per_circular: std::collections::BTreeMap<i64, usize> = Default::default();
            for (c, u, n) in &due {
                // Only if unchanged since read: a reading or a reminder in between wins.
                let k = sqlx::query(
                    "UPDATE circular_receipts SET reminders = reminders + 1, reminded_on = $1 \
                     WHERE circular_id = $2 AND user_id = $3 AND read_at IS NULL AND reminders = $4",
                )
                .bind(&day)
                .bind(*c)
                .bind(*u)
                .bind(*n)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if k > 0 {
                    done += 1;
                    *per_circular.entry(*c).or_default() += 1;
                }
            }
            for (c, n) in per_circular {
                let body: i64 = sqlx::query_scalar("SELECT body_id FROM circulars WHERE id = $1")
                    .bind(c)
                    .fetch_one(&mut *tx)
                    .await?;
                audit_append!(
                    tx,
                    AuditEvent::new("circular.remind", "circular", c)
                        .who(&Who::system())
                        .body(Some(body))
                        .after(serde_json::json!({"reminded": n, "by_hand": false}))
                );
            }
            Ok(done)
        })
    }
}
