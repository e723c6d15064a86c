//! 公示: the notice period of a published item, the objections received in it (names and
//! contacts sealed), their handling, and the result recorded once with its ledger entry
//! (docs/design/participation.md). The rules are `domain::notice_period`'s.

use chrono::NaiveDate;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::ledger::LedgerAction;
use gongkai_domain::notice_period::{self as np, NoticeResult, ObjectionPolicy, ValidPeriod};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A notice period as stored.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct NoticeRow {
    pub item_id: i64,
    pub kind: String,
    pub start_on: String,
    pub end_on: String,
    pub days: i64,
    pub unit: String,
    pub policy: String,
    pub result: Option<String>,
    pub effective_on: Option<String>,
    pub result_seq: Option<i64>,
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl NoticeRow {
    pub fn start(&self) -> NaiveDate {
        day(&self.start_on).unwrap_or_default()
    }
    pub fn end(&self) -> NaiveDate {
        day(&self.end_on).unwrap_or_default()
    }
    pub fn kind_label(&self) -> &'static str {
        np::NoticeKind::parse(&self.kind).map_or("公示", |k| k.label())
    }
    pub fn unit_label(&self) -> &'static str {
        np::DayUnit::parse(&self.unit).map_or("", |u| u.label())
    }
    pub fn policy_label(&self) -> &'static str {
        np::ObjectionPolicy::parse(&self.policy).map_or("", |p| p.label())
    }
    pub fn result_label(&self) -> &'static str {
        self.result
            .as_deref()
            .and_then(NoticeResult::parse)
            .map_or("", |r| r.label())
    }
    pub fn explain(&self) -> String {
        np::explain(
            self.start(),
            self.end(),
            self.days as u32,
            np::DayUnit::parse(&self.unit).unwrap_or(np::DayUnit::Working),
        )
    }
}

/// An objection as stored (name and contact sealed).
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ObjectionRow {
    pub id: i64,
    pub item_id: i64,
    pub number: String,
    #[serde(skip)]
    pub name_sealed: String,
    #[serde(skip)]
    pub contact_sealed: String,
    pub text: String,
    pub received_at: i64,
    pub received_on: String,
    /// `received` or `handled`.
    pub status: String,
    pub handling: String,
    pub result: String,
    pub handled_by: String,
    pub handled_on: Option<String>,
}

/// A notice in the portal's list: its period and its item.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct NoticeListRow {
    pub item_id: i64,
    pub title: String,
    pub body_id: i64,
    pub body_name: String,
    pub kind: String,
    pub start_on: String,
    pub end_on: String,
    pub result: Option<String>,
    pub effective_on: Option<String>,
    pub first_published_at: Option<i64>,
}

impl NoticeListRow {
    pub fn kind_label(&self) -> &'static str {
        np::NoticeKind::parse(&self.kind).map_or("公示", |k| k.label())
    }
    pub fn result_label(&self) -> &'static str {
        self.result
            .as_deref()
            .and_then(NoticeResult::parse)
            .map_or("公示期满", |r| r.label())
    }
}

const NOTICE_COLS: &str =
    "item_id, kind, start_on, end_on, days, unit, policy, result, effective_on, result_seq";
const OBJECTION_COLS: &str = "id, item_id, number, name_sealed, contact_sealed, text, received_at, \
    received_on, status, handling, result, handled_by, handled_on";

impl Store {
    /// Set (or change, until it starts) the notice period of an item.
    pub async fn set_notice_period(
        &self,
        item_id: i64,
        p: &ValidPeriod,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let body_id: Option<i64> =
                sqlx::query_scalar("SELECT body_id FROM items WHERE id = $1")
                    .bind(item_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some(body_id) = body_id else {
                return Err(StoreError::NotFound);
            };
            let current: Option<String> =
                sqlx::query_scalar("SELECT start_on FROM notice_periods WHERE item_id = $1")
                    .bind(item_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if current.as_deref().and_then(day).is_some_and(|s| s <= today) {
                return Err(StoreError::Conflict(
                    "公示已经开始，公示期不能再修改".into(),
                ));
            }
            sqlx::query("DELETE FROM notice_periods WHERE item_id = $1")
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO notice_periods (item_id, kind, start_on, end_on, days, unit, policy, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
            )
            .bind(item_id)
            .bind(p.kind.as_str())
            .bind(p.start.to_string())
            .bind(p.end.to_string())
            .bind(i64::from(p.days))
            .bind(p.unit.as_str())
            .bind(p.policy.as_str())
            .bind(&who.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("notice.period", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "kind": p.kind.as_str(), "start": p.start.to_string(), "end": p.end.to_string(),
                        "days": p.days, "unit": p.unit.as_str(), "policy": p.policy.as_str(),
                    }))
            );
            change_log!(tx, "item", item_id, "upsert");
            Ok(())
        })
    }

    /// The notices of published public items, latest end first (the portal's list and feed).
    pub async fn list_notices(&self, limit: i64) -> StoreResult<Vec<NoticeListRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, NoticeListRow>(
                "SELECT n.item_id, i.title, i.body_id, b.name AS body_name, n.kind, n.start_on, n.end_on, \
                 n.result, n.effective_on, i.first_published_at FROM notice_periods n \
                 JOIN items i ON i.id = n.item_id JOIN bodies b ON b.id = i.body_id \
                 WHERE i.status = 'published' AND i.scope = 'public' ORDER BY n.end_on DESC, n.item_id DESC LIMIT $1",
            )
            .bind(limit.clamp(1, 2000))
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn notice_of(&self, item_id: i64) -> StoreResult<Option<NoticeRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, NoticeRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {NOTICE_COLS} FROM notice_periods WHERE item_id = $1"
            )))
            .bind(item_id)
            .fetch_optional(c)
            .await
        })?)
    }

    /// Record an objection: only during the period of a published public item. Returns its
    /// number. Committed before the caller answers "received".
    pub async fn add_objection(
        &self,
        item_id: i64,
        name_sealed: &str,
        contact_sealed: &str,
        text: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<String> {
        let now = crate::now_ms();
        let suffix: u32 = rand::random::<u32>() % 1_000_000;
        write_tx!(self, |tx| {
            let row: Option<(String, String, String, String, i64)> = sqlx::query_as(
                "SELECT n.start_on, n.end_on, i.status, i.scope, i.body_id FROM notice_periods n \
                 JOIN items i ON i.id = n.item_id WHERE n.item_id = $1",
            )
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((start, end, status, scope, body_id)) = row else {
                return Err(StoreError::NotFound);
            };
            if status != "published" || scope != "public" {
                return Err(StoreError::NotFound);
            }
            match np::phase(
                day(&start).unwrap_or_default(),
                day(&end).unwrap_or_default(),
                today,
            ) {
                np::Phase::NotStarted => {
                    return Err(StoreError::Invalid(format!(
                        "公示尚未开始（{start}开始），暂不受理异议"
                    )));
                }
                np::Phase::Ended => {
                    return Err(StoreError::Invalid(format!(
                        "公示期已于{end}届满，不再受理异议"
                    )));
                }
                np::Phase::Open => {}
            }
            let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notice_objections")
                .fetch_one(&mut *tx)
                .await?;
            let number = format!("YY{}{:06}{:06}", today.format("%Y%m%d"), n + 1, suffix);
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO notice_objections (item_id, number, name_sealed, contact_sealed, text, received_at, received_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(item_id)
            .bind(&number)
            .bind(name_sealed)
            .bind(contact_sealed)
            .bind(text)
            .bind(now)
            .bind(today.to_string())
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("notice.objection", "notice_objection", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"item": item_id, "number": number}))
            );
            Ok(number)
        })
    }

    pub async fn objections_of(&self, item_id: i64) -> StoreResult<Vec<ObjectionRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ObjectionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {OBJECTION_COLS} FROM notice_objections WHERE item_id = $1 ORDER BY id"
            )))
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Record how an objection was handled and its result (once; a result already recorded
    /// stands).
    pub async fn handle_objection(
        &self,
        objection_id: i64,
        handling: &str,
        result: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let row: Option<(i64, String, i64)> = sqlx::query_as(
                "SELECT o.item_id, o.status, i.body_id FROM notice_objections o JOIN items i ON i.id = o.item_id WHERE o.id = $1",
            )
            .bind(objection_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((item_id, status, body_id)) = row else {
                return Err(StoreError::NotFound);
            };
            if status == "handled" {
                return Err(StoreError::Conflict(
                    "该异议已办结，处理结果不能再修改".into(),
                ));
            }
            let settled: Option<Option<String>> =
                sqlx::query_scalar("SELECT result FROM notice_periods WHERE item_id = $1")
                    .bind(item_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if settled
                .flatten()
                .is_some_and(|r| r != NoticeResult::Pending.as_str())
            {
                return Err(StoreError::Conflict("该公示的结果已记录".into()));
            }
            sqlx::query(
                "UPDATE notice_objections SET status = 'handled', handling = $1, result = $2, handled_by = $3, handled_on = $4 WHERE id = $5",
            )
            .bind(handling)
            .bind(result)
            .bind(&who.name)
            .bind(today.to_string())
            .bind(objection_id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("notice.objection_handled", "notice_objection", objection_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"item": item_id, "result": result}))
            );
            Ok(())
        })
    }

    /// Record the result of every notice whose period ended before `today` and whose result is
    /// not settled: 无异议 or 异议已处理 (with the day the decision takes effect and a ledger entry),
    /// or 异议处理中 (checked again on the next pass). Returns how many were settled.
    pub async fn notice_tick(&self, today: NaiveDate) -> StoreResult<usize> {
        let due: Vec<i64> = read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT n.item_id FROM notice_periods n JOIN items i ON i.id = n.item_id \
                 WHERE n.end_on < $1 AND (n.result IS NULL OR n.result = 'pending') AND i.status = 'published'",
            )
            .bind(today.to_string())
            .fetch_all(c)
            .await
        })?;
        let mut settled = 0;
        for item_id in due {
            if self.settle_notice(item_id, today).await? {
                settled += 1;
            }
        }
        Ok(settled)
    }

    async fn settle_notice(&self, item_id: i64, today: NaiveDate) -> StoreResult<bool> {
        write_tx!(self, |tx| {
            let n: Option<NoticeRow> = sqlx::query_as::<_, NoticeRow>(sqlx::AssertSqlSafe(
                format!("SELECT {NOTICE_COLS} FROM notice_periods WHERE item_id = $1"),
            ))
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(n) = n else {
                return Ok(false);
            };
            if n.end() >= today || n.result.as_deref().is_some_and(|r| r != "pending") {
                return Ok(false);
            }
            let counts: (i64, i64, Option<String>) = sqlx::query_as(
                "SELECT COUNT(*), CAST(SUM(CASE WHEN status = 'handled' THEN 0 ELSE 1 END) AS BIGINT), MAX(handled_on) \
                 FROM notice_objections WHERE item_id = $1",
            )
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await
            .map(|(a, b, c): (i64, Option<i64>, Option<String>)| (a, b.unwrap_or(0), c))?;
            let result = np::result_of(counts.0 as usize, counts.1 as usize);
            let policy = ObjectionPolicy::parse(&n.policy).unwrap_or(ObjectionPolicy::Block);
            let effective =
                np::effective_on(n.end(), result, policy, counts.2.as_deref().and_then(day));
            if result == NoticeResult::Pending && effective.is_none() {
                if n.result.is_none() {
                    sqlx::query("UPDATE notice_periods SET result = 'pending', updated_at = $1 WHERE item_id = $2")
                        .bind(crate::now_ms())
                        .bind(item_id)
                        .execute(&mut *tx)
                        .await?;
                }
                return Ok(false);
            }
            let (body_id, version_id, index_no): (i64, Option<i64>, Option<String>) =
                sqlx::query_as(
                    "SELECT body_id, published_version_id, index_no FROM items WHERE id = $1",
                )
                .bind(item_id)
                .fetch_one(&mut *tx)
                .await?;
            let effective = effective.map(|d| d.to_string());
            let payload = serde_json::json!({
                "item": item_id,
                "index_no": index_no,
                "start": n.start_on,
                "end": n.end_on,
                "result": result.as_str(),
                "effective_on": effective,
                "objections": counts.0,
            })
            .to_string();
            audit_append!(
                tx,
                AuditEvent::new("notice.result", "item", item_id)
                    .who(&Who::system())
                    .body(Some(body_id))
                    .after(
                        serde_json::json!({"result": result.as_str(), "effective_on": effective})
                    )
            );
            let index = index_no.clone().unwrap_or_default();
            let seq = ledger_append!(
                tx,
                body_id,
                item_id,
                version_id.unwrap_or(0),
                &index,
                LedgerAction::NoticeResult,
                &crate::disclosure::sha256_hex(&payload),
                &payload
            );
            sqlx::query(
                "UPDATE notice_periods SET result = $1, effective_on = $2, result_seq = $3, updated_at = $4 WHERE item_id = $5",
            )
            .bind(result.as_str())
            .bind(&effective)
            .bind(seq)
            .bind(crate::now_ms())
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
            change_log!(tx, "item", item_id, "upsert");
            Ok(true)
        })
    }
}
