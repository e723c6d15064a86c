//! 年度评比表彰 (docs/design/supervision.md, stage 5): the year's closed inspections' results per
//! inspected body, and the commendation list a supervising body confirms (once per year, audited).
//! Combining them with the monitor's year score is `domain::evaluation`'s.

use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError, StoreResult};

/// One body's result in one inspection: (body, points kept, full points), in tenths.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
pub struct InspectionResult {
    pub body_id: i64,
    pub inspection_id: i64,
    pub total: i64,
    pub deducted: i64,
}

/// A commended body as confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Commended {
    pub body_id: i64,
    pub body_name: String,
    /// The year-end score in tenths it was confirmed on.
    pub score: i64,
}

/// A confirmed commendation list.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct CommendationRow {
    pub id: i64,
    pub body_id: i64,
    pub year: i64,
    pub list: String,
    pub confirmed_by: String,
    pub confirmed_at: i64,
}

impl CommendationRow {
    pub fn entries(&self) -> Vec<Commended> {
        serde_json::from_str(&self.list).unwrap_or_default()
    }
}

impl Store {
    /// The results of the inspections closed with their period ending in `year`, for the
    /// inspected bodies in `scope`.
    pub async fn inspection_results(
        &self,
        scope: &Scope,
        year: i32,
    ) -> StoreResult<Vec<InspectionResult>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT ib.body_id, i.id AS inspection_id, \
                 (SELECT CAST(COALESCE(SUM(c.points), 0) AS BIGINT) FROM assessment_criteria c WHERE c.rules_id = i.rules_id) AS total, \
                 (SELECT CAST(COALESCE(SUM(CASE WHEN s.deducted > c.points THEN c.points ELSE s.deducted END), 0) AS BIGINT) \
                  FROM inspection_scores s JOIN assessment_criteria c ON c.id = s.criterion_id \
                  WHERE s.inspection_id = i.id AND s.body_id = ib.body_id) AS deducted \
                 FROM inspections i JOIN inspection_bodies ib ON ib.inspection_id = i.id JOIN bodies b ON b.id = ib.body_id \
                 WHERE i.status = 'closed' AND i.to_on >= ",
            );
            qb.push_bind(format!("{year:04}-01-01"));
            qb.push(" AND i.to_on <= ")
                .push_bind(format!("{year:04}-12-31"));
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY ib.body_id, i.id");
            qb.build_query_as::<InspectionResult>().fetch_all(c).await
        })?)
    }

    pub async fn commendation(
        &self,
        body_id: i64,
        year: i32,
    ) -> StoreResult<Option<CommendationRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, CommendationRow>(
                "SELECT id, body_id, year, list, confirmed_by, confirmed_at FROM commendations WHERE body_id = $1 AND year = $2",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .fetch_optional(c)
            .await
        })?)
    }

    /// Confirm the year's commendation list of `body_id` (once).
    pub async fn confirm_commendation(
        &self,
        body_id: i64,
        year: i32,
        list: &[Commended],
        who: &Who,
    ) -> StoreResult<i64> {
        if list.is_empty() {
            return Err(StoreError::Invalid("请至少选择一个表彰单位".into()));
        }
        let json = serde_json::to_string(list).unwrap_or_default();
        write_tx!(self, |tx| {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO commendations (body_id, year, list, confirmed_by, confirmed_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (body_id, year) DO NOTHING RETURNING id",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .bind(&json)
            .bind(&who.name)
            .bind(crate::now_ms())
            .fetch_optional(&mut *tx)
            .await?;
            let id =
                id.ok_or_else(|| StoreError::Conflict(format!("{year}年度表彰名单已经确认")))?;
            audit_append!(
                tx,
                AuditEvent::new("commendation.confirm", "commendation", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"year": year, "list": list}))
            );
            Ok(id)
        })
    }
}
