//! 考核细则, 监督检查, 整改 and 责任追究 (docs/design/supervision.md, stages 2 and 3): sets of
//! criteria (copied to a new year, frozen once an inspection uses them), inspections of chosen
//! bodies with the points deducted per body and criterion and the findings, the rectification a
//! finding becomes (submitted by its owner, accepted or returned by the inspector, overdue ones
//! recorded once), and accountability decisions. The rules are `domain::inspection`'s; every
//! change is audited in its transaction.

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::inspection::{
    self as di, Criterion, InspectionKind, InspectionStatus, RectificationStatus, RectifyAction,
    SupervisionKind, Tenths,
};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A set of 考核细则.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct RulesRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub name: String,
    pub year: i64,
    pub copied_from: Option<i64>,
    pub created_by: String,
    pub criteria: i64,
    pub points: i64,
    /// Inspections that use it (then it is frozen).
    pub used: i64,
}

impl RulesRow {
    pub fn points_text(&self) -> String {
        di::show_points(self.points)
    }
}

/// One criterion.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct CriterionRow {
    pub id: i64,
    pub rules_id: i64,
    pub position: i64,
    pub area: String,
    pub text: String,
    pub points: i64,
    pub deduction: String,
    pub monitor_rule: Option<String>,
}

impl CriterionRow {
    pub fn points_text(&self) -> String {
        di::show_points(self.points)
    }
    pub fn monitor_rule(&self) -> Option<gongkai_domain::monitor::RuleKey> {
        self.monitor_rule
            .as_deref()
            .and_then(gongkai_domain::monitor::RuleKey::parse)
    }
    pub fn monitor_label(&self) -> &'static str {
        self.monitor_rule().map_or("", |r| r.label())
    }
}

/// An inspection.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct InspectionRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
    pub rules_id: i64,
    pub rules_name: String,
    pub title: String,
    pub kind: String,
    pub supervision: String,
    pub from_on: String,
    pub to_on: String,
    pub status: String,
    pub closed_on: Option<String>,
    pub created_by: String,
}

impl InspectionRow {
    pub fn kind_label(&self) -> &'static str {
        InspectionKind::parse(&self.kind).map_or("", |k| k.label())
    }
    pub fn supervision_label(&self) -> &'static str {
        SupervisionKind::parse(&self.supervision).map_or("", |k| k.label())
    }
    pub fn status_label(&self) -> &'static str {
        InspectionStatus::parse(&self.status).map_or("", |k| k.label())
    }
    pub fn is_closed(&self) -> bool {
        self.status == InspectionStatus::Closed.as_str()
    }
    pub fn from(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.from_on, "%Y-%m-%d").unwrap_or_default()
    }
    pub fn to(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.to_on, "%Y-%m-%d").unwrap_or_default()
    }
}

/// An inspected body.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct InspectedBody {
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
}

/// A recorded deduction.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ScoreRow {
    pub body_id: i64,
    pub criterion_id: i64,
    pub deducted: i64,
    pub note: String,
    pub from_monitor: bool,
}

/// A finding, with its rectification if it became one.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct FindingRow {
    pub id: i64,
    pub inspection_id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub criterion_id: Option<i64>,
    pub text: String,
    pub evidence: String,
    pub created_by: String,
    pub rectification_id: Option<i64>,
}

impl FindingRow {
    /// The evidence, one link or note per line.
    pub fn evidence_lines(&self) -> Vec<String> {
        self.evidence
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// A rectification with its finding and inspection.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct RectificationRow {
    pub id: i64,
    pub finding_id: i64,
    pub finding: String,
    pub inspection_id: i64,
    pub inspection_title: String,
    pub inspection_body_path: String,
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub due_on: String,
    pub status: String,
    pub evidence: String,
    pub reason: String,
    pub submitted_on: Option<String>,
    pub accepted_on: Option<String>,
    pub escalated_on: Option<String>,
    pub version: i64,
}

impl RectificationRow {
    pub fn status(&self) -> RectificationStatus {
        RectificationStatus::parse(&self.status).unwrap_or(RectificationStatus::Open)
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
    /// (By reference: templates pass their values so.)
    pub fn overdue(&self, today: &NaiveDate) -> bool {
        NaiveDate::parse_from_str(&self.due_on, "%Y-%m-%d")
            .is_ok_and(|d| di::rectification_overdue(self.status(), d, *today))
    }
}

/// An accountability decision.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct AccountabilityRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub person: String,
    pub what: String,
    pub basis: String,
    pub decision: String,
    pub decided_on: String,
    pub created_by: String,
}

/// An inspection to open.
#[derive(Debug, Clone)]
pub struct NewInspection {
    pub body_id: i64,
    pub rules_id: i64,
    pub title: String,
    pub kind: InspectionKind,
    pub supervision: SupervisionKind,
    pub from_on: NaiveDate,
    pub to_on: NaiveDate,
    pub bodies: Vec<i64>,
}

const RULES_SELECT: &str = "SELECT r.id, r.body_id, b.name AS body_name, r.name, r.year, r.copied_from, r.created_by, \
    (SELECT COUNT(*) FROM assessment_criteria c WHERE c.rules_id = r.id) AS criteria, \
    (SELECT CAST(COALESCE(SUM(c.points), 0) AS BIGINT) FROM assessment_criteria c WHERE c.rules_id = r.id) AS points, \
    (SELECT COUNT(*) FROM inspections i WHERE i.rules_id = r.id) AS used \
    FROM assessment_rules r JOIN bodies b ON b.id = r.body_id";

const CRITERION_COLS: &str = "id, rules_id, position, area, text, points, deduction, monitor_rule";

const INSPECTION_SELECT: &str = "SELECT i.id, i.body_id, b.name AS body_name, b.path AS body_path, i.rules_id, \
    r.name AS rules_name, i.title, i.kind, i.supervision, i.from_on, i.to_on, i.status, i.closed_on, i.created_by \
    FROM inspections i JOIN bodies b ON b.id = i.body_id JOIN assessment_rules r ON r.id = i.rules_id";

const RECT_SELECT: &str = "SELECT x.id, x.finding_id, f.text AS finding, f.inspection_id, i.title AS inspection_title, \
    ib.path AS inspection_body_path, x.body_id, b.name AS body_name, b.path AS body_path, x.owner_id, x.owner_name, \
    x.due_on, x.status, x.evidence, x.reason, x.submitted_on, x.accepted_on, x.escalated_on, x.version \
    FROM rectifications x JOIN inspection_findings f ON f.id = x.finding_id \
    JOIN inspections i ON i.id = f.inspection_id JOIN bodies ib ON ib.id = i.body_id \
    JOIN bodies b ON b.id = x.body_id";

impl Store {
    // ---- 考核细则 -------------------------------------------------------------------------

    /// A new, empty set of criteria owned by `body_id`.
    pub async fn create_rules(
        &self,
        body_id: i64,
        name: &str,
        year: i32,
        who: &Who,
    ) -> StoreResult<i64> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(StoreError::Invalid(
                "请填写考核细则名称（不超过100个字）".into(),
            ));
        }
        if !(2000..=2100).contains(&year) {
            return Err(StoreError::Invalid("年度应为2000至2100年".into()));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO assessment_rules (body_id, name, year, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(body_id)
            .bind(name)
            .bind(i64::from(year))
            .bind(&who.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("assessment.create", "assessment_rules", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"name": name, "year": year}))
            );
            Ok(id)
        })
    }

    /// Copy a set with its criteria to `year` (a set in use is never edited: next year's is a
    /// copy).
    pub async fn copy_rules(&self, id: i64, year: i32, who: &Who) -> StoreResult<i64> {
        let src = self.rules(id).await?;
        let name = format!("{}（{}年）", strip_year(&src.name), year);
        let new_id = self.create_rules(src.body_id, &name, year, who).await?;
        write_tx!(self, |tx| {
            sqlx::query(
                "INSERT INTO assessment_criteria (rules_id, position, area, text, points, deduction, monitor_rule) \
                 SELECT $1, position, area, text, points, deduction, monitor_rule FROM assessment_criteria WHERE rules_id = $2",
            )
            .bind(new_id)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("UPDATE assessment_rules SET copied_from = $1 WHERE id = $2")
                .bind(id)
                .bind(new_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("assessment.copy", "assessment_rules", new_id)
                    .who(who)
                    .body(Some(src.body_id))
                    .after(serde_json::json!({"from": id, "year": year}))
            );
            Ok(new_id)
        })
    }

    pub async fn rules(&self, id: i64) -> StoreResult<RulesRow> {
        read!(self, |c| {
            sqlx::query_as::<_, RulesRow>(sqlx::AssertSqlSafe(format!(
                "{RULES_SELECT} WHERE r.id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The sets owned by bodies in `scope`, newest year first.
    pub async fn rules_in(&self, scope: &Scope) -> StoreResult<Vec<RulesRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!("{RULES_SELECT} WHERE 1 = 1"));
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY r.year DESC, r.id DESC LIMIT 500");
            qb.build_query_as::<RulesRow>().fetch_all(c).await
        })?)
    }

    pub async fn criteria(&self, rules_id: i64) -> StoreResult<Vec<CriterionRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, CriterionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {CRITERION_COLS} FROM assessment_criteria WHERE rules_id = $1 ORDER BY position, id"
            )))
            .bind(rules_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Add a criterion at the end; refused once an inspection uses the set.
    pub async fn add_criterion(&self, rules_id: i64, v: &Criterion, who: &Who) -> StoreResult<i64> {
        write_tx!(self, |tx| {
            let (body_id, used, n): (i64, i64, i64) = sqlx::query_as(
                "SELECT r.body_id, (SELECT COUNT(*) FROM inspections i WHERE i.rules_id = r.id), \
                 (SELECT COUNT(*) FROM assessment_criteria c WHERE c.rules_id = r.id) \
                 FROM assessment_rules r WHERE r.id = $1",
            )
            .bind(rules_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if used > 0 {
                return Err(StoreError::Invalid(
                    "这套考核细则已用于检查，不能再修改；请复制为新的一套后修改".into(),
                ));
            }
            if n as usize >= di::MAX_CRITERIA {
                return Err(StoreError::Invalid(format!(
                    "一套考核细则最多{}项",
                    di::MAX_CRITERIA
                )));
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO assessment_criteria (rules_id, position, area, text, points, deduction, monitor_rule) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(rules_id)
            .bind(n + 1)
            .bind(&v.area)
            .bind(&v.text)
            .bind(v.points)
            .bind(&v.deduction)
            .bind(v.monitor_rule.map(|r| r.as_str()))
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("assessment.criterion_add", "assessment_rules", rules_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "criterion": id, "area": v.area, "text": v.text, "points": v.points,
                        "monitor_rule": v.monitor_rule.map(|r| r.as_str()),
                    }))
            );
            Ok(id)
        })
    }

    /// Remove a criterion; refused once an inspection uses the set.
    pub async fn remove_criterion(
        &self,
        rules_id: i64,
        criterion_id: i64,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let (body_id, used): (i64, i64) = sqlx::query_as(
                "SELECT r.body_id, (SELECT COUNT(*) FROM inspections i WHERE i.rules_id = r.id) \
                 FROM assessment_rules r WHERE r.id = $1",
            )
            .bind(rules_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if used > 0 {
                return Err(StoreError::Invalid(
                    "这套考核细则已用于检查，不能再修改；请复制为新的一套后修改".into(),
                ));
            }
            let r = sqlx::query("DELETE FROM assessment_criteria WHERE id = $1 AND rules_id = $2")
                .bind(criterion_id)
                .bind(rules_id)
                .execute(&mut *tx)
                .await?;
            if r.rows_affected() == 0 {
                return Err(StoreError::NotFound);
            }
            audit_append!(
                tx,
                AuditEvent::new("assessment.criterion_remove", "assessment_rules", rules_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"criterion": criterion_id}))
            );
            Ok(())
        })
    }

    // ---- 监督检查 -------------------------------------------------------------------------

    /// Open an inspection; the caller has checked the inspected bodies lie in its body's
    /// subtree and the input with `domain::inspection::check_inspection`.
    pub async fn open_inspection(&self, v: &NewInspection, who: &Who) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO inspections (body_id, rules_id, title, kind, supervision, from_on, to_on, status, created_by, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9, $9) RETURNING id",
            )
            .bind(v.body_id)
            .bind(v.rules_id)
            .bind(v.title.trim())
            .bind(v.kind.as_str())
            .bind(v.supervision.as_str())
            .bind(v.from_on.to_string())
            .bind(v.to_on.to_string())
            .bind(&who.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            for b in &v.bodies {
                sqlx::query(
                    "INSERT INTO inspection_bodies (inspection_id, body_id) VALUES ($1, $2)",
                )
                .bind(id)
                .bind(*b)
                .execute(&mut *tx)
                .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("inspection.open", "inspection", id)
                    .who(who)
                    .body(Some(v.body_id))
                    .after(serde_json::json!({
                        "title": v.title.trim(), "rules": v.rules_id, "kind": v.kind.as_str(),
                        "supervision": v.supervision.as_str(), "from": v.from_on.to_string(),
                        "to": v.to_on.to_string(), "bodies": v.bodies,
                    }))
            );
            Ok(id)
        })
    }

    pub async fn inspection(&self, id: i64) -> StoreResult<InspectionRow> {
        read!(self, |c| {
            sqlx::query_as::<_, InspectionRow>(sqlx::AssertSqlSafe(format!(
                "{INSPECTION_SELECT} WHERE i.id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Inspections run by bodies in `scope`, newest first.
    pub async fn inspections_in(&self, scope: &Scope) -> StoreResult<Vec<InspectionRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!("{INSPECTION_SELECT} WHERE 1 = 1"));
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY i.from_on DESC, i.id DESC LIMIT 500");
            qb.build_query_as::<InspectionRow>().fetch_all(c).await
        })?)
    }

    pub async fn inspected_bodies(&self, id: i64) -> StoreResult<Vec<InspectedBody>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, InspectedBody>(
                "SELECT b.id AS body_id, b.name AS body_name, b.path AS body_path FROM inspection_bodies x \
                 JOIN bodies b ON b.id = x.body_id WHERE x.inspection_id = $1 ORDER BY b.path",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn inspection_scores(&self, id: i64) -> StoreResult<Vec<ScoreRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ScoreRow>(
                "SELECT body_id, criterion_id, deducted, note, from_monitor FROM inspection_scores \
                 WHERE inspection_id = $1 ORDER BY body_id, criterion_id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Record the deductions of one body (criterion, deducted, note, from the monitor); each is
    /// checked against its criterion's points. Refused once the inspection is closed.
    pub async fn set_scores(
        &self,
        inspection_id: i64,
        body_id: i64,
        rows: &[(i64, Tenths, String, bool)],
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (status, rules_id, ibody): (String, i64, i64) =
                sqlx::query_as("SELECT status, rules_id, body_id FROM inspections WHERE id = $1")
                    .bind(inspection_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            if status == InspectionStatus::Closed.as_str() {
                return Err(StoreError::Invalid("检查已结束，得分不能再改动".into()));
            }
            let inspected: Option<i64> = sqlx::query_scalar(
                "SELECT body_id FROM inspection_bodies WHERE inspection_id = $1 AND body_id = $2",
            )
            .bind(inspection_id)
            .bind(body_id)
            .fetch_optional(&mut *tx)
            .await?;
            if inspected.is_none() {
                return Err(StoreError::NotFound);
            }
            let mut changed = Vec::new();
            for (criterion, deducted, note, monitor) in rows {
                let points: Option<i64> = sqlx::query_scalar(
                    "SELECT points FROM assessment_criteria WHERE id = $1 AND rules_id = $2",
                )
                .bind(*criterion)
                .bind(rules_id)
                .fetch_optional(&mut *tx)
                .await?;
                let points = points.ok_or(StoreError::NotFound)?;
                if *deducted < 0 || *deducted > points {
                    return Err(StoreError::Invalid(format!(
                        "扣分不能超过该项分值{}分",
                        di::show_points(points)
                    )));
                }
                let note = note.trim();
                if note.chars().count() > 500 {
                    return Err(StoreError::Invalid("扣分说明不超过500个字".into()));
                }
                sqlx::query(
                    "INSERT INTO inspection_scores (inspection_id, body_id, criterion_id, deducted, note, from_monitor, updated_by, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                     ON CONFLICT (inspection_id, body_id, criterion_id) DO UPDATE SET deducted = excluded.deducted, \
                     note = excluded.note, from_monitor = excluded.from_monitor, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(inspection_id)
                .bind(body_id)
                .bind(*criterion)
                .bind(*deducted)
                .bind(note)
                .bind(*monitor)
                .bind(&who.name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                changed.push(serde_json::json!({"criterion": criterion, "deducted": deducted, "note": note, "monitor": monitor}));
            }
            sqlx::query("UPDATE inspections SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(inspection_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("inspection.score", "inspection", inspection_id)
                    .who(who)
                    .body(Some(ibody))
                    .after(serde_json::json!({"body": body_id, "scores": changed}))
            );
            Ok(())
        })
    }

    /// Fill every criterion tied to a monitor rule, for every inspected body, from the monitor
    /// over `d` (the inspection's period): the criterion keeps its points in the share the
    /// rule's deduction leaves (`monitor::rule_score`), rounded to half points, with the count
    /// in its note. Returns how many criteria were filled per body.
    pub async fn fill_inspection_from_monitor(
        &self,
        id: i64,
        d: &crate::monitor::MonitorDates,
        who: &Who,
    ) -> StoreResult<usize> {
        use gongkai_domain::monitor as dm;
        let i = self.inspection(id).await?;
        let criteria = self.criteria(i.rules_id).await?;
        let tied: Vec<(&CriterionRow, dm::RuleKey)> = criteria
            .iter()
            .filter_map(|c| c.monitor_rule().map(|r| (c, r)))
            .collect();
        if tied.is_empty() {
            return Err(StoreError::Invalid(
                "考核细则中没有与合规监测关联的考核内容".into(),
            ));
        }
        let counts = self
            .monitor_counts(&Scope::subtree(&i.body_path), d)
            .await?;
        for b in self.inspected_bodies(id).await? {
            let c = counts
                .get(&b.body_id)
                .cloned()
                .unwrap_or_else(dm::Counts::zero);
            let rows: Vec<(i64, Tenths, String, bool)> = tied
                .iter()
                .map(|(crit, rule)| {
                    let n = c.get(*rule);
                    let s = dm::rule_score(dm::rule(*rule), n);
                    (
                        crit.id,
                        di::monitor_deduction(crit.points, s),
                        format!(
                            "合规监测（{}至{}）：{}{}项",
                            d.window.from,
                            d.window.to,
                            rule.label(),
                            n
                        ),
                        true,
                    )
                })
                .collect();
            self.set_scores(id, b.body_id, &rows, who).await?;
        }
        Ok(tied.len())
    }

    /// Close an inspection: its scores are frozen from then on.
    pub async fn close_inspection(&self, id: i64, today: NaiveDate, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let body: Option<i64> = sqlx::query_scalar(
                "UPDATE inspections SET status = 'closed', closed_on = $1, updated_at = $2 \
                 WHERE id = $3 AND status = 'running' RETURNING body_id",
            )
            .bind(today.to_string())
            .bind(crate::now_ms())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let body = body.ok_or_else(|| StoreError::Invalid("检查已经结束".into()))?;
            audit_append!(
                tx,
                AuditEvent::new("inspection.close", "inspection", id)
                    .who(who)
                    .body(Some(body))
                    .after(serde_json::json!({"closed_on": today.to_string()}))
            );
            Ok(())
        })
    }

    /// Record a finding for an inspected body, with its evidence (links to records, one per
    /// line). Refused once the inspection is closed.
    pub async fn add_finding(
        &self,
        inspection_id: i64,
        body_id: i64,
        criterion_id: Option<i64>,
        text: &str,
        evidence: &str,
        who: &Who,
    ) -> StoreResult<i64> {
        let text = text.trim();
        if text.is_empty() || text.chars().count() > 2000 {
            return Err(StoreError::Invalid(
                "请填写发现的问题（不超过2000个字）".into(),
            ));
        }
        if evidence.chars().count() > 4000 {
            return Err(StoreError::Invalid("佐证材料不超过4000个字".into()));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (status, rules_id, ibody): (String, i64, i64) =
                sqlx::query_as("SELECT status, rules_id, body_id FROM inspections WHERE id = $1")
                    .bind(inspection_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            if status == InspectionStatus::Closed.as_str() {
                return Err(StoreError::Invalid("检查已结束，不能再记录问题".into()));
            }
            let inspected: Option<i64> = sqlx::query_scalar(
                "SELECT body_id FROM inspection_bodies WHERE inspection_id = $1 AND body_id = $2",
            )
            .bind(inspection_id)
            .bind(body_id)
            .fetch_optional(&mut *tx)
            .await?;
            if inspected.is_none() {
                return Err(StoreError::NotFound);
            }
            if let Some(cid) = criterion_id {
                let ok: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM assessment_criteria WHERE id = $1 AND rules_id = $2",
                )
                .bind(cid)
                .bind(rules_id)
                .fetch_optional(&mut *tx)
                .await?;
                if ok.is_none() {
                    return Err(StoreError::Invalid(
                        "所选考核内容不属于本次检查的考核细则".into(),
                    ));
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO inspection_findings (inspection_id, body_id, criterion_id, text, evidence, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(inspection_id)
            .bind(body_id)
            .bind(criterion_id)
            .bind(text)
            .bind(evidence.trim())
            .bind(&who.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("inspection.finding", "inspection", inspection_id)
                    .who(who)
                    .body(Some(ibody))
                    .after(serde_json::json!({"finding": id, "body": body_id, "criterion": criterion_id, "text": text}))
            );
            Ok(id)
        })
    }

    pub async fn findings(&self, inspection_id: i64) -> StoreResult<Vec<FindingRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, FindingRow>(
                "SELECT f.id, f.inspection_id, f.body_id, b.name AS body_name, f.criterion_id, f.text, f.evidence, f.created_by, \
                 (SELECT x.id FROM rectifications x WHERE x.finding_id = f.id) AS rectification_id \
                 FROM inspection_findings f JOIN bodies b ON b.id = f.body_id WHERE f.inspection_id = $1 ORDER BY b.path, f.id",
            )
            .bind(inspection_id)
            .fetch_all(c)
            .await
        })?)
    }

    // ---- 整改 -----------------------------------------------------------------------------

    /// Turn a finding into a rectification owned by `owner_id` (an account of the finding's
    /// body or its subtree), due on `due_on` (not before today).
    pub async fn open_rectification(
        &self,
        finding_id: i64,
        owner_id: i64,
        due_on: NaiveDate,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<i64> {
        if due_on < today {
            return Err(StoreError::Invalid("整改期限不能早于今天".into()));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (body_id, body_path, ibody): (i64, String, i64) = sqlx::query_as(
                "SELECT f.body_id, b.path, i.body_id FROM inspection_findings f JOIN bodies b ON b.id = f.body_id \
                 JOIN inspections i ON i.id = f.inspection_id WHERE f.id = $1",
            )
            .bind(finding_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let owner: Option<(String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT u.display_name, u.username FROM users u WHERE u.id = $2 AND {}",
                crate::users::ACCOUNTS_IN_SUBTREE
            )))
            .bind(format!("{body_path}%"))
            .bind(owner_id)
            .fetch_optional(&mut *tx)
            .await?;
            let (name, username) = owner
                .ok_or_else(|| StoreError::Invalid("整改责任人应为被检查单位的工作人员".into()))?;
            let owner_name = if name.is_empty() { username } else { name };
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO rectifications (finding_id, body_id, owner_id, owner_name, due_on, status, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, 'open', $6, $6) ON CONFLICT (finding_id) DO NOTHING RETURNING id",
            )
            .bind(finding_id)
            .bind(body_id)
            .bind(owner_id)
            .bind(&owner_name)
            .bind(due_on.to_string())
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            let id = id.ok_or_else(|| StoreError::Conflict("这个问题已经交办整改".into()))?;
            audit_append!(
                tx,
                AuditEvent::new("rectification.open", "rectification", id)
                    .who(who)
                    .body(Some(ibody))
                    .after(serde_json::json!({"finding": finding_id, "body": body_id, "owner": owner_id, "due_on": due_on.to_string()}))
            );
            Ok(id)
        })
    }

    pub async fn rectification(&self, id: i64) -> StoreResult<RectificationRow> {
        read!(self, |c| {
            sqlx::query_as::<_, RectificationRow>(sqlx::AssertSqlSafe(format!(
                "{RECT_SELECT} WHERE x.id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Rectifications owned by `user_id`, of bodies in `scope`, or of inspections run by bodies
    /// in `inspecting`: open ones first by deadline.
    pub async fn rectifications_for(
        &self,
        user_id: i64,
        scope: &Scope,
        inspecting: &Scope,
    ) -> StoreResult<Vec<RectificationRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!("{RECT_SELECT} WHERE (x.owner_id = "));
            qb.push_bind(user_id);
            qb.push(" OR (1 = 1");
            push_scope!(qb, scope, "b.path");
            qb.push(") OR (1 = 1");
            push_scope!(qb, inspecting, "ib.path");
            qb.push(")) ORDER BY CASE WHEN x.status = 'accepted' THEN 1 ELSE 0 END, x.due_on, x.id LIMIT 500");
            qb.build_query_as::<RectificationRow>().fetch_all(c).await
        })?)
    }

    /// Submit, accept or return a rectification (`expect`: the version the page showed). The
    /// caller has checked who may: the owner submits, an inspector of the inspection's body
    /// accepts or returns.
    pub async fn act_rectification(
        &self,
        id: i64,
        action: RectifyAction,
        text: &str,
        expect: i64,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let text = text.trim();
        match action {
            RectifyAction::Submit if text.is_empty() => {
                return Err(StoreError::Invalid("请说明整改情况和佐证材料".into()));
            }
            RectifyAction::Return if text.is_empty() => {
                return Err(StoreError::Invalid("请说明退回的理由".into()));
            }
            _ => {}
        }
        if text.chars().count() > 4000 {
            return Err(StoreError::Invalid("不超过4000个字".into()));
        }
        write_tx!(self, |tx| {
            let (status, version, ibody): (String, i64, i64) = sqlx::query_as(
                "SELECT x.status, x.version, i.body_id FROM rectifications x JOIN inspection_findings f ON f.id = x.finding_id \
                 JOIN inspections i ON i.id = f.inspection_id WHERE x.id = $1",
            )
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if version != expect {
                return Err(StoreError::Conflict(
                    "这项整改刚被其他人处理过，请查看最新情况后再操作".into(),
                ));
            }
            let from = RectificationStatus::parse(&status).unwrap_or(RectificationStatus::Open);
            let next = di::rectify(from, action).map_err(|e| StoreError::Invalid(e.into()))?;
            let d = today.to_string();
            let q = match action {
                RectifyAction::Submit => sqlx::query(
                    "UPDATE rectifications SET status = $1, evidence = $2, submitted_on = $3, version = version + 1, updated_at = $4 WHERE id = $5",
                ),
                RectifyAction::Accept => sqlx::query(
                    "UPDATE rectifications SET status = $1, reason = $2, accepted_on = $3, version = version + 1, updated_at = $4 WHERE id = $5",
                ),
                // `$3` (today) is not stored on a return; the condition only uses the bind, as
                // PostgreSQL wants every parameter referenced.
                RectifyAction::Return => sqlx::query(
                    "UPDATE rectifications SET status = $1, reason = $2, submitted_on = NULL, version = version + 1, updated_at = $4 WHERE id = $5 AND $3 <> ''",
                ),
            };
            q.bind(next.as_str())
                .bind(text)
                .bind(&d)
                .bind(crate::now_ms())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new(
                    match action {
                        RectifyAction::Submit => "rectification.submit",
                        RectifyAction::Accept => "rectification.accept",
                        RectifyAction::Return => "rectification.return",
                    },
                    "rectification",
                    id
                )
                .who(who)
                .body(Some(ibody))
                .before(serde_json::json!({"status": status}))
                .after(serde_json::json!({"status": next.as_str(), "text": text}))
            );
            Ok(())
        })
    }

    /// 督办: record once that each open or returned rectification past its day is overdue.
    pub async fn escalate_rectifications(&self, today: NaiveDate) -> StoreResult<usize> {
        let who = Who::system();
        write_tx!(self, |tx| {
            let ids: Vec<(i64, i64, String)> = sqlx::query_as(
                "SELECT x.id, x.body_id, x.due_on FROM rectifications x WHERE x.status IN ('open', 'returned') \
                 AND x.due_on < $1 AND x.escalated_on IS NULL ORDER BY x.id LIMIT 1000",
            )
            .bind(today.to_string())
            .fetch_all(&mut *tx)
            .await?;
            for (id, body, due) in &ids {
                sqlx::query("UPDATE rectifications SET escalated_on = $1 WHERE id = $2")
                    .bind(today.to_string())
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                audit_append!(
                    tx,
                    AuditEvent::new("rectification.overdue", "rectification", *id)
                        .who(&who)
                        .body(Some(*body))
                        .after(serde_json::json!({"due_on": due, "on": today.to_string()}))
                );
            }
            Ok(ids.len())
        })
    }

    // ---- 责任追究 -------------------------------------------------------------------------

    /// Record an accountability decision about `body_id` (internal).
    #[allow(clippy::too_many_arguments)]
    pub async fn record_accountability(
        &self,
        body_id: i64,
        person: &str,
        what: &str,
        basis: &str,
        decision: &str,
        decided_on: NaiveDate,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<i64> {
        let mut errors = Vec::new();
        for (v, label, max) in [
            (person, "被追责人员", 100),
            (what, "问题", 2000),
            (basis, "依据", 1000),
            (decision, "处理决定", 1000),
        ] {
            if v.trim().is_empty() || v.trim().chars().count() > max {
                errors.push(format!("请填写{label}（不超过{max}个字）"));
            }
        }
        if decided_on > today {
            errors.push("决定日期不能晚于今天".to_string());
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors.join("；")));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO accountability (body_id, person, what, basis, decision, decided_on, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(body_id)
            .bind(person.trim())
            .bind(what.trim())
            .bind(basis.trim())
            .bind(decision.trim())
            .bind(decided_on.to_string())
            .bind(&who.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("accountability.record", "accountability", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"decided_on": decided_on.to_string()}))
            );
            Ok(id)
        })
    }

    /// Accountability decisions about bodies in `scope`, newest first.
    pub async fn accountability_in(&self, scope: &Scope) -> StoreResult<Vec<AccountabilityRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT a.id, a.body_id, b.name AS body_name, a.person, a.what, a.basis, a.decision, a.decided_on, a.created_by \
                 FROM accountability a JOIN bodies b ON b.id = a.body_id WHERE 1 = 1",
            );
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY a.decided_on DESC, a.id DESC LIMIT 500");
            qb.build_query_as::<AccountabilityRow>().fetch_all(c).await
        })?)
    }

    /// The supervision of `body_id` in `year`, for the annual report.
    pub async fn supervision_year(&self, body_id: i64, year: i32) -> StoreResult<SupervisionYear> {
        let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let (from_ms, to_ms) = (
            crate::briefings::day_start_ms(
                chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
            ),
            crate::briefings::day_start_ms(
                chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default(),
            ),
        );
        let row: (i64, i64, i64, i64, i64) = read!(self, |c| {
            sqlx::query_as(
                "SELECT \
                 (SELECT COUNT(*) FROM inspections i JOIN inspection_bodies ib ON ib.inspection_id = i.id \
                  WHERE ib.body_id = $1 AND i.to_on BETWEEN $2 AND $3), \
                 (SELECT COUNT(*) FROM inspection_findings f JOIN inspections i ON i.id = f.inspection_id \
                  WHERE f.body_id = $1 AND i.to_on BETWEEN $2 AND $3), \
                 (SELECT COUNT(*) FROM rectifications r WHERE r.body_id = $1 AND r.created_at >= $4 AND r.created_at < $5), \
                 (SELECT COUNT(*) FROM rectifications r WHERE r.body_id = $1 AND r.accepted_on BETWEEN $2 AND $3), \
                 (SELECT COUNT(*) FROM survey_answers a JOIN surveys s ON s.id = a.survey_id \
                  WHERE a.body_id = $1 AND s.opens_on BETWEEN $2 AND $3)",
            )
            .bind(body_id)
            .bind(&from)
            .bind(&to)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(c)
            .await
        })?;
        Ok(SupervisionYear {
            inspections: row.0,
            findings: row.1,
            rectifications_opened: row.2,
            rectifications_accepted: row.3,
            appraisal_answers: row.4,
            accountability: self.accountability_count(body_id, year).await?,
        })
    }

    /// How many accountability decisions about `body_id` were made in `year` (the annual
    /// report's 监督保障 paragraph).
    pub async fn accountability_count(&self, body_id: i64, year: i32) -> StoreResult<i64> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM accountability WHERE body_id = $1 AND decided_on BETWEEN $2 AND $3",
            )
            .bind(body_id)
            .bind(format!("{year:04}-01-01"))
            .bind(format!("{year:04}-12-31"))
            .fetch_one(c)
            .await
        })?)
    }
}

/// What the annual report's 监督保障 paragraph quotes of a body's year.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupervisionYear {
    /// Inspections of the body whose period ended in the year, and their findings about it.
    pub inspections: i64,
    pub findings: i64,
    /// Rectifications of the body opened in the year, and those accepted in it.
    pub rectifications_opened: i64,
    pub rectifications_accepted: i64,
    /// Answers about the body in 民主评议 surveys that opened in the year.
    pub appraisal_answers: i64,
    /// 责任追究 decisions of the year ([`Store::accountability_count`]).
    pub accountability: i64,
}

/// A set's name without a trailing "（2025年）".
fn strip_year(name: &str) -> &str {
    match name.rfind('（') {
        Some(i) if name.ends_with("年）") => &name[..i],
        _ => name,
    }
}
