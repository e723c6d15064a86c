//! 季度简报 (docs/design/supervision.md, stage 5): the figures of a body's subtree for a quarter
//! (publications by category, applications and letters answered and on time, inspections,
//! rectifications opened and closed, and the compliance monitor's totals — the same query as the
//! monitor page), and the briefings kept with the figures they were drafted from. Publishing goes
//! through the item workflow: the briefing only remembers its item.

use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::briefing::{self as db, Figures, InspectionFigure};
use serde::Serialize;

use crate::monitor::MonitorDates;
use crate::{Store, StoreError, StoreResult};

/// A briefing as stored.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct BriefingRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
    pub year: i64,
    pub quarter: i64,
    pub title: String,
    pub text: String,
    pub figures: String,
    pub item_id: Option<i64>,
    pub version: i64,
    pub created_by: String,
}

impl BriefingRow {
    pub fn figures(&self) -> Figures {
        serde_json::from_str(&self.figures).unwrap_or_default()
    }
}

const SELECT: &str = "SELECT x.id, x.body_id, b.name AS body_name, b.path AS body_path, x.year, x.quarter, x.title, \
    x.text, x.figures, x.item_id, x.version, x.created_by FROM briefings x JOIN bodies b ON b.id = x.body_id";

pub(crate) fn day_start_ms(d: chrono::NaiveDate) -> i64 {
    d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
}

impl Store {
    /// The figures of the bodies in `scope` over `d`'s window.
    pub async fn briefing_figures(&self, scope: &Scope, d: &MonitorDates) -> StoreResult<Figures> {
        let w = d.window;
        let (from, to) = (w.from.to_string(), w.to.to_string());
        let (from_ms, to_ms) = (day_start_ms(w.from), day_start_ms(w.to) + 86_400_000);
        let published: Vec<(String, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT c.name, COUNT(*) FROM items i JOIN categories c ON c.id = i.category_id \
                 JOIN bodies b ON b.id = i.body_id WHERE i.scope = 'public' AND i.first_published_at >= ",
            );
            qb.push_bind(from_ms);
            qb.push(" AND i.first_published_at < ").push_bind(to_ms);
            push_scope!(qb, scope, "b.path");
            qb.push(" GROUP BY c.name ORDER BY COUNT(*) DESC, c.name");
            qb.build_query_as::<(String, i64)>().fetch_all(c).await
        })?;
        let answered = |table: &'static str, extra: &'static str| {
            let (from, to, scope) = (from.clone(), to.clone(), scope.clone());
            async move {
                let r: (i64, i64) = read!(self, |c| {
                    let mut qb = sqlx::QueryBuilder::new(format!(
                        "SELECT COUNT(*), COALESCE(SUM(CASE WHEN x.due_on IS NULL OR x.due_on = '' OR x.replied_on <= x.due_on THEN 1 ELSE 0 END), 0) \
                         FROM {table} x JOIN bodies b ON b.id = x.body_id WHERE {extra} x.replied_on >= "
                    ));
                    qb.push_bind(from);
                    qb.push(" AND x.replied_on <= ").push_bind(to);
                    push_scope!(qb, scope, "b.path");
                    qb.build_query_as::<(i64, i64)>().fetch_one(c).await
                })?;
                Ok::<(i64, i64), StoreError>(r)
            }
        };
        let (apps, apps_on_time) = answered("applications", "").await?;
        let (letters, letters_on_time) = answered("letters", "x.kind <> 'report' AND").await?;
        let inspections: Vec<(String, i64, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT i.title, (SELECT COUNT(*) FROM inspection_bodies x WHERE x.inspection_id = i.id), \
                 (SELECT COUNT(*) FROM inspection_findings f WHERE f.inspection_id = i.id) \
                 FROM inspections i JOIN bodies b ON b.id = i.body_id WHERE i.from_on <= ",
            );
            qb.push_bind(to.clone());
            qb.push(" AND i.to_on >= ").push_bind(from.clone());
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY i.from_on, i.id");
            qb.build_query_as::<(String, i64, i64)>().fetch_all(c).await
        })?;
        let (opened, closed): (i64, i64) = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new("SELECT COALESCE(SUM(CASE WHEN x.created_at >= ");
            qb.push_bind(from_ms);
            qb.push(" AND x.created_at < ").push_bind(to_ms);
            qb.push(" THEN 1 ELSE 0 END), 0), COALESCE(SUM(CASE WHEN x.accepted_on >= ");
            qb.push_bind(from.clone());
            qb.push(" AND x.accepted_on <= ").push_bind(to.clone());
            qb.push(" THEN 1 ELSE 0 END), 0) FROM rectifications x JOIN bodies b ON b.id = x.body_id WHERE 1 = 1");
            push_scope!(qb, scope, "b.path");
            qb.build_query_as::<(i64, i64)>().fetch_one(c).await
        })?;
        let problems = self.monitor_report(scope, d).await?.totals;
        Ok(Figures {
            published,
            applications_answered: apps,
            applications_on_time: apps_on_time,
            letters_answered: letters,
            letters_on_time,
            inspections: inspections
                .into_iter()
                .map(|(title, bodies, findings)| InspectionFigure {
                    title,
                    bodies,
                    findings,
                })
                .collect(),
            rectifications_opened: opened,
            rectifications_closed: closed,
            problems,
        })
    }

    /// Draft a body's briefing for a quarter from `figures`; an existing one is returned as it
    /// is (redraft it on its page).
    pub async fn create_briefing(
        &self,
        body_id: i64,
        body_name: &str,
        year: i32,
        quarter: u32,
        figures: &Figures,
        who: &Who,
    ) -> StoreResult<i64> {
        if let Some(id) = self.briefing_of(body_id, year, quarter).await? {
            return Ok(id);
        }
        let now = crate::now_ms();
        let title = db::title(body_name, year, quarter);
        let text = db::draft(body_name, figures);
        let json = serde_json::to_string(figures).unwrap_or_default();
        write_tx!(self, |tx| {
            // Two drafts of the same quarter at once: the second finds the first.
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO briefings (body_id, year, quarter, title, text, figures, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) ON CONFLICT (body_id, year, quarter) DO NOTHING RETURNING id",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .bind(i64::from(quarter))
            .bind(&title)
            .bind(&text)
            .bind(&json)
            .bind(&who.name)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                let existing: i64 = sqlx::query_scalar(
                    "SELECT id FROM briefings WHERE body_id = $1 AND year = $2 AND quarter = $3",
                )
                .bind(body_id)
                .bind(i64::from(year))
                .bind(i64::from(quarter))
                .fetch_one(&mut *tx)
                .await?;
                return Ok(existing);
            };
            audit_append!(
                tx,
                AuditEvent::new("briefing.create", "briefing", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"year": year, "quarter": quarter}))
            );
            Ok(id)
        })
    }

    pub async fn briefing_of(
        &self,
        body_id: i64,
        year: i32,
        quarter: u32,
    ) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM briefings WHERE body_id = $1 AND year = $2 AND quarter = $3",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .bind(i64::from(quarter))
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn briefing(&self, id: i64) -> StoreResult<BriefingRow> {
        read!(self, |c| {
            sqlx::query_as::<_, BriefingRow>(sqlx::AssertSqlSafe(format!(
                "{SELECT} WHERE x.id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Briefings of bodies in `scope`, newest quarter first.
    pub async fn briefings_in(&self, scope: &Scope) -> StoreResult<Vec<BriefingRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!("{SELECT} WHERE 1 = 1"));
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY x.year DESC, x.quarter DESC, b.path LIMIT 500");
            qb.build_query_as::<BriefingRow>().fetch_all(c).await
        })?)
    }

    /// Save the edited text (`expect`: the version the page showed), or with `figures` replace
    /// text and figures by a fresh draft.
    pub async fn save_briefing(
        &self,
        id: i64,
        text: &str,
        figures: Option<&Figures>,
        expect: i64,
        who: &Who,
    ) -> StoreResult<()> {
        let b = self.briefing(id).await?;
        let (text, json) = match figures {
            Some(f) => (
                db::draft(&b.body_name, f),
                serde_json::to_string(f).unwrap_or_default(),
            ),
            None => {
                let t = text.replace("\r\n", "\n");
                if t.trim().is_empty() || t.chars().count() > 50_000 {
                    return Err(StoreError::Invalid(
                        "简报正文不能为空，且不超过5万字".into(),
                    ));
                }
                (t, b.figures.clone())
            }
        };
        write_tx!(self, |tx| {
            let r = sqlx::query(
                "UPDATE briefings SET text = $1, figures = $2, version = version + 1, updated_at = $3 \
                 WHERE id = $4 AND version = $5",
            )
            .bind(&text)
            .bind(&json)
            .bind(crate::now_ms())
            .bind(id)
            .bind(expect)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::Conflict(
                    "简报刚被其他人修改过，您的修改未保存；请复制您的内容，刷新页面后再改".into(),
                ));
            }
            audit_append!(
                tx,
                AuditEvent::new(
                    if figures.is_some() {
                        "briefing.redraft"
                    } else {
                        "briefing.edit"
                    },
                    "briefing",
                    id
                )
                .who(who)
                .body(Some(b.body_id))
                .after(serde_json::json!({"version": expect + 1}))
            );
            Ok(())
        })
    }

    /// Remember the item a briefing was submitted as.
    pub async fn set_briefing_item(&self, id: i64, item_id: i64, who: &Who) -> StoreResult<()> {
        let b = self.briefing(id).await?;
        write_tx!(self, |tx| {
            sqlx::query("UPDATE briefings SET item_id = $1, updated_at = $2 WHERE id = $3")
                .bind(item_id)
                .bind(crate::now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("briefing.submit", "briefing", id)
                    .who(who)
                    .body(Some(b.body_id))
                    .after(serde_json::json!({"item": item_id}))
            );
            Ok(())
        })
    }
}
