//! 重点工作 and 承诺事项: works, their steps (stage, owner, body, deadline, status, progress),
//! the dated updates of their timeline, their closing with a result, the publication of a
//! commitment (then searchable, via the change log's `commitment` entity), and the once-only
//! record of overdue steps (docs/design/participation.md, stage 5). The rules are
//! `domain::key_work`'s.

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::key_work::{
    self as dk, StepStatus, ValidProgress, ValidStep, ValidWork, WorkKind,
};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A work as stored.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct WorkRow {
    pub id: i64,
    pub body_id: i64,
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub due_on: String,
    pub status: String,
    pub result: String,
    pub completed_on: Option<String>,
    pub published_at: Option<i64>,
    pub created_by: String,
}

impl WorkRow {
    pub fn kind_label(&self) -> &'static str {
        WorkKind::parse(&self.kind).map_or("工作", |k| k.label())
    }
    pub fn is_commitment(&self) -> bool {
        self.kind == WorkKind::Commitment.as_str()
    }
    pub fn is_done(&self) -> bool {
        self.status == "done"
    }
    pub fn is_published(&self) -> bool {
        self.published_at.is_some()
    }
}

/// A step with its body's name.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct StepRow {
    pub id: i64,
    pub work_id: i64,
    pub stage: i64,
    pub title: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub body_id: i64,
    pub body_name: String,
    pub due_on: String,
    pub status: String,
    pub progress: i64,
    pub done_on: Option<String>,
    pub escalated_on: Option<String>,
}

impl StepRow {
    pub fn status(&self) -> StepStatus {
        StepStatus::parse(&self.status).unwrap_or(StepStatus::NotStarted)
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
    pub fn due(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.due_on, "%Y-%m-%d").unwrap_or(NaiveDate::MAX)
    }
    pub fn overdue(&self, today: NaiveDate) -> bool {
        dk::overdue(self.status(), self.due(), today)
    }
}

/// An update of the timeline.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct UpdateRow {
    pub id: i64,
    pub step_id: Option<i64>,
    pub step_title: Option<String>,
    pub on_date: String,
    pub status: String,
    pub progress: i64,
    pub note: String,
    pub by_name: String,
}

impl UpdateRow {
    pub fn status_label(&self) -> &'static str {
        StepStatus::parse(&self.status).map_or("", |s| s.label())
    }
}

/// A work in a list, with the sums of its steps.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct WorkListRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub kind: String,
    pub title: String,
    pub due_on: String,
    pub status: String,
    pub completed_on: Option<String>,
    pub published_at: Option<i64>,
    pub steps: i64,
    pub progress_sum: i64,
    pub overdue: i64,
}

impl WorkListRow {
    pub fn kind_label(&self) -> &'static str {
        WorkKind::parse(&self.kind).map_or("工作", |k| k.label())
    }
    /// The mean progress of the steps.
    pub fn progress(&self) -> i64 {
        if self.steps > 0 {
            self.progress_sum / self.steps
        } else {
            0
        }
    }
}

/// An overdue step with its work, for the 工作台 of its owner and its body's supervisors.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct OverdueStep {
    pub work_id: i64,
    pub work_title: String,
    pub step_id: i64,
    pub title: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub body_name: String,
    pub body_path: String,
    pub due_on: String,
}

const WORK_COLS: &str = "id, body_id, kind, title, summary, due_on, status, result, completed_on, \
    published_at, created_by";

const STEP_SELECT: &str = "SELECT s.id, s.work_id, s.stage, s.title, s.owner_id, s.owner_name, s.body_id, \
    b.name AS body_name, s.due_on, s.status, s.progress, s.done_on, s.escalated_on \
    FROM work_steps s JOIN bodies b ON b.id = s.body_id";

/// A work list's query up to today's date, bound next (for the count of overdue steps).
const LIST_HEAD: &str = "SELECT w.id, w.body_id, b.name AS body_name, w.kind, w.title, w.due_on, w.status, \
    w.completed_on, w.published_at, \
    (SELECT COUNT(*) FROM work_steps s WHERE s.work_id = w.id) AS steps, \
    (SELECT CAST(COALESCE(SUM(s.progress), 0) AS BIGINT) FROM work_steps s WHERE s.work_id = w.id) AS progress_sum, \
    (SELECT COUNT(*) FROM work_steps s WHERE s.work_id = w.id AND s.status <> 'done' AND s.due_on < ";
const LIST_TAIL: &str = ") AS overdue FROM works w JOIN bodies b ON b.id = w.body_id";

/// The work `$id`, locked for the transaction, as (body_id, status, kind, published, due_on);
/// `NotFound` when there is none, `Conflict` when it is closed.
macro_rules! open_work {
    ($tx:ident, $id:expr) => {{
        sqlx::query("UPDATE works SET updated_at = updated_at WHERE id = $1")
            .bind($id)
            .execute(&mut *$tx)
            .await?;
        let row: Option<(i64, String, String, Option<i64>, String)> = sqlx::query_as(
            "SELECT body_id, status, kind, published_at, due_on FROM works WHERE id = $1",
        )
        .bind($id)
        .fetch_optional(&mut *$tx)
        .await?;
        match row {
            None => return Err(StoreError::NotFound),
            Some((_, s, ..)) if s == "done" => {
                return Err(StoreError::Conflict("该工作已完成，不能再修改".into()));
            }
            Some((body, _, kind, published, due)) => (body, kind, published.is_some(), due),
        }
    }};
}

impl Store {
    pub async fn create_work(&self, body_id: i64, v: &ValidWork, who: &Who) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO works (body_id, kind, title, summary, due_on, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7) RETURNING id",
            )
            .bind(body_id)
            .bind(v.kind.as_str())
            .bind(&v.title)
            .bind(&v.summary)
            .bind(v.due_on.to_string())
            .bind(&who.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("work.create", "work", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"kind": v.kind.as_str(), "title": v.title, "due_on": v.due_on.to_string()}))
            );
            Ok(id)
        })
    }

    pub async fn work(&self, id: i64) -> StoreResult<WorkRow> {
        read!(self, |c| {
            sqlx::query_as::<_, WorkRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {WORK_COLS} FROM works WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The steps of a work, by stage.
    pub async fn work_steps(&self, id: i64) -> StoreResult<Vec<StepRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, StepRow>(sqlx::AssertSqlSafe(format!(
                "{STEP_SELECT} WHERE s.work_id = $1 ORDER BY s.stage, s.id"
            )))
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// The timeline of a work, newest first.
    pub async fn work_updates(&self, id: i64) -> StoreResult<Vec<UpdateRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, UpdateRow>(
                "SELECT u.id, u.step_id, s.title AS step_title, u.on_date, u.status, u.progress, u.note, u.by_name \
                 FROM work_updates u LEFT JOIN work_steps s ON s.id = u.step_id WHERE u.work_id = $1 \
                 ORDER BY u.on_date DESC, u.id DESC",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// The works of bodies in `scope` and those with a step owned by `owner`, newest first.
    pub async fn works_for(
        &self,
        scope: &Scope,
        owner: i64,
        today: NaiveDate,
    ) -> StoreResult<Vec<WorkListRow>> {
        let today = today.to_string();
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(LIST_HEAD);
            qb.push_bind(today.clone());
            qb.push(LIST_TAIL);
            qb.push(" WHERE (w.id IN (SELECT work_id FROM work_steps WHERE owner_id = ");
            qb.push_bind(owner);
            qb.push(")");
            if !scope.is_empty() {
                qb.push(" OR (1 = 1");
                push_scope!(qb, scope, "b.path");
                qb.push(")");
            }
            qb.push(") ORDER BY w.id DESC LIMIT 500");
            qb.build_query_as::<WorkListRow>().fetch_all(c).await
        })?)
    }

    /// The published commitments, open ones first, newest first.
    pub async fn public_commitments(&self, today: NaiveDate) -> StoreResult<Vec<WorkListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(LIST_HEAD);
            qb.push_bind(today.to_string());
            qb.push(LIST_TAIL);
            qb.push(
                " WHERE w.kind = 'commitment' AND w.published_at IS NOT NULL \
                 ORDER BY CASE WHEN w.status = 'open' THEN 0 ELSE 1 END, w.published_at DESC, w.id DESC LIMIT 500",
            );
            qb.build_query_as::<WorkListRow>().fetch_all(c).await
        })?)
    }

    /// Add a step; its owner an enabled account and its body a body of the work's body's
    /// subtree (`body_path`), its deadline not after the work's (checked by the domain).
    pub async fn add_work_step(
        &self,
        work_id: i64,
        body_path: &str,
        v: &ValidStep,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let like = format!("{body_path}%");
        write_tx!(self, |tx| {
            let (body, _, published, _) = open_work!(tx, work_id);
            let path: Option<String> = sqlx::query_scalar("SELECT path FROM bodies WHERE id = $1")
                .bind(v.body_id)
                .fetch_optional(&mut *tx)
                .await?;
            if !path.is_some_and(|p| p.starts_with(body_path)) {
                return Err(StoreError::Invalid("责任单位须是本机关或其下级机关".into()));
            }
            let owner: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT u.display_name, u.username FROM users u WHERE u.id = $2 AND {}",
                crate::users::ACCOUNTS_IN_SUBTREE
            )))
            .bind(&like)
            .bind(v.owner_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((display, username)) = owner else {
                return Err(StoreError::Invalid(
                    "责任人须是本机关或其下级机关在用的账号".into(),
                ));
            };
            let owner_name = if display.is_empty() {
                username
            } else {
                display
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO work_steps (work_id, stage, title, owner_id, owner_name, body_id, due_on, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(work_id)
            .bind(v.stage)
            .bind(&v.title)
            .bind(v.owner_id)
            .bind(&owner_name)
            .bind(v.body_id)
            .bind(v.due_on.to_string())
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE works SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(work_id)
                .execute(&mut *tx)
                .await?;
            if published {
                change_log!(tx, "commitment", work_id, "upsert");
            }
            audit_append!(
                tx,
                AuditEvent::new("work.step_add", "work", work_id)
                    .who(who)
                    .body(Some(body))
                    .after(serde_json::json!({
                        "step": id, "stage": v.stage, "title": v.title, "owner": v.owner_id,
                        "body": v.body_id, "due_on": v.due_on.to_string(),
                    }))
            );
            Ok(id)
        })
    }

    /// Remove a step that has no progress reports yet.
    pub async fn remove_work_step(&self, work_id: i64, step_id: i64, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let (body, _, published, _) = open_work!(tx, work_id);
            let updates: i64 =
                sqlx::query_scalar("SELECT COUNT(*) FROM work_updates WHERE step_id = $1")
                    .bind(step_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if updates > 0 {
                return Err(StoreError::Conflict("已有进展记录的环节不能删除".into()));
            }
            let n = sqlx::query("DELETE FROM work_steps WHERE id = $1 AND work_id = $2")
                .bind(step_id)
                .bind(work_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            if published {
                change_log!(tx, "commitment", work_id, "upsert");
            }
            audit_append!(
                tx,
                AuditEvent::new("work.step_remove", "work", work_id)
                    .who(who)
                    .body(Some(body))
                    .after(serde_json::json!({"step": step_id}))
            );
            Ok(())
        })
    }

    /// Report progress on a step: its status and progress change and the report joins the
    /// timeline, dated `today`.
    pub async fn report_work_progress(
        &self,
        work_id: i64,
        step_id: i64,
        v: &ValidProgress,
        today: NaiveDate,
        who: &Who,
        by_name: &str,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let day = today.to_string();
        write_tx!(self, |tx| {
            let (body, _, published, _) = open_work!(tx, work_id);
            let done_on = (v.status == StepStatus::Done).then(|| day.clone());
            let n = sqlx::query(
                "UPDATE work_steps SET status = $1, progress = $2, done_on = $3, updated_at = $4 \
                 WHERE id = $5 AND work_id = $6",
            )
            .bind(v.status.as_str())
            .bind(v.progress)
            .bind(done_on)
            .bind(now)
            .bind(step_id)
            .bind(work_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO work_updates (work_id, step_id, on_date, status, progress, note, by_name, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(work_id)
            .bind(step_id)
            .bind(&day)
            .bind(v.status.as_str())
            .bind(v.progress)
            .bind(&v.note)
            .bind(by_name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE works SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(work_id)
                .execute(&mut *tx)
                .await?;
            if published {
                change_log!(tx, "commitment", work_id, "upsert");
            }
            audit_append!(
                tx,
                AuditEvent::new("work.progress", "work", work_id)
                    .who(who)
                    .body(Some(body))
                    .after(serde_json::json!({
                        "step": step_id, "status": v.status.as_str(), "progress": v.progress,
                    }))
            );
            Ok(id)
        })
    }

    /// Close a work with its result, once every step is done ([`dk::completion_blockers`]).
    pub async fn close_work(
        &self,
        work_id: i64,
        result: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (body, _, published, _) = open_work!(tx, work_id);
            let steps: Vec<(String, String)> = sqlx::query_as(
                "SELECT title, status FROM work_steps WHERE work_id = $1 ORDER BY stage, id",
            )
            .bind(work_id)
            .fetch_all(&mut *tx)
            .await?;
            let steps: Vec<(String, StepStatus)> = steps
                .into_iter()
                .map(|(t, s)| (t, StepStatus::parse(&s).unwrap_or(StepStatus::NotStarted)))
                .collect();
            let blockers = dk::completion_blockers(result, &steps);
            if !blockers.is_empty() {
                return Err(StoreError::Invalid(blockers.join("；")));
            }
            sqlx::query(
                "UPDATE works SET status = 'done', result = $1, completed_on = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(result.trim())
            .bind(today.to_string())
            .bind(now)
            .bind(work_id)
            .execute(&mut *tx)
            .await?;
            if published {
                change_log!(tx, "commitment", work_id, "upsert");
            }
            audit_append!(
                tx,
                AuditEvent::new("work.close", "work", work_id)
                    .who(who)
                    .body(Some(body))
                    .after(serde_json::json!({"result": result.trim(), "completed_on": today.to_string()}))
            );
            Ok(())
        })
    }

    /// Publish a commitment (a 重点工作 stays internal): its page, the list, the feed and search.
    pub async fn publish_commitment(&self, work_id: i64, who: &Who) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let row: Option<(i64, String, Option<i64>)> =
                sqlx::query_as("SELECT body_id, kind, published_at FROM works WHERE id = $1")
                    .bind(work_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((body, kind, published)) = row else {
                return Err(StoreError::NotFound);
            };
            if kind != WorkKind::Commitment.as_str() {
                return Err(StoreError::Invalid(
                    "重点工作不对外公开，只有承诺事项可以公开".into(),
                ));
            }
            if published.is_some() {
                return Err(StoreError::Conflict("已经公开".into()));
            }
            sqlx::query("UPDATE works SET published_at = $1, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(work_id)
                .execute(&mut *tx)
                .await?;
            change_log!(tx, "commitment", work_id, "upsert");
            audit_append!(
                tx,
                AuditEvent::new("work.publish", "work", work_id)
                    .who(who)
                    .body(Some(body))
            );
            Ok(())
        })
    }

    /// Overdue steps of open works: owned by `owner`, or of bodies in `supervised`.
    pub async fn overdue_steps(
        &self,
        owner: i64,
        supervised: &Scope,
        today: NaiveDate,
    ) -> StoreResult<Vec<OverdueStep>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT w.id AS work_id, w.title AS work_title, s.id AS step_id, s.title, s.owner_id, s.owner_name, \
                 b.name AS body_name, b.path AS body_path, s.due_on FROM work_steps s \
                 JOIN works w ON w.id = s.work_id JOIN bodies b ON b.id = s.body_id \
                 WHERE w.status = 'open' AND s.status <> 'done' AND s.due_on < ",
            );
            qb.push_bind(today.to_string());
            qb.push(" AND (s.owner_id = ");
            qb.push_bind(owner);
            if !supervised.is_empty() {
                qb.push(" OR (1 = 1");
                push_scope!(qb, supervised, "b.path");
                qb.push(")");
            }
            qb.push(") ORDER BY s.due_on, s.id LIMIT 200");
            qb.build_query_as::<OverdueStep>().fetch_all(c).await
        })?)
    }

    /// The periodic pass: record once each step that has become overdue (督办), with an audit
    /// entry naming its owner. Returns how many.
    pub async fn works_tick(&self, today: NaiveDate) -> StoreResult<usize> {
        let day = today.to_string();
        write_tx!(self, |tx| {
            let rows: Vec<(i64, i64, i64, String, String)> = sqlx::query_as(
                "SELECT s.id, s.work_id, s.body_id, s.owner_name, s.due_on FROM work_steps s \
                 JOIN works w ON w.id = s.work_id WHERE w.status = 'open' AND s.status <> 'done' \
                 AND s.due_on < $1 AND s.escalated_on IS NULL ORDER BY s.id LIMIT 1000",
            )
            .bind(&day)
            .fetch_all(&mut *tx)
            .await?;
            for (step, work, body, owner, due) in &rows {
                sqlx::query("UPDATE work_steps SET escalated_on = $1 WHERE id = $2")
                    .bind(&day)
                    .bind(*step)
                    .execute(&mut *tx)
                    .await?;
                audit_append!(
                    tx,
                    AuditEvent::new("work.step_overdue", "work", *work)
                        .who(&Who::system())
                        .body(Some(*body))
                        .after(serde_json::json!({"step": step, "owner": owner, "due_on": due}))
                );
            }
            Ok(rows.len())
        })
    }
}
