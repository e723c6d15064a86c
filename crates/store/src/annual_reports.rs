//! The statutory annual report: the facts its tables are counted from, the staff's texts, the
//! report frozen with each submitted item version, and imported reports of earlier years
//! (docs/design/annual-report.md). Counting is `domain::annual_report`'s.

use chrono::NaiveDate;
use gongkai_domain::annual_report::{self as ar, AnnualReport, CaseFacts, ReviewRecord, Sections};
use gongkai_domain::audit::{AuditEvent, Who};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A body's report record for a year.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub body_id: i64,
    pub year: i64,
    pub format: String,
    /// `computed` or `imported`.
    pub source: String,
    #[serde(skip)]
    pub sections: String,
    #[serde(skip)]
    pub imported: Option<String>,
    pub item_id: Option<i64>,
    pub version: i64,
    pub updated_by: String,
    pub updated_at: i64,
}

impl ReportRow {
    pub fn sections(&self) -> Sections {
        serde_json::from_str(&self.sections).unwrap_or_default()
    }

    /// The tables of an imported report.
    pub fn imported_report(&self) -> Option<AnnualReport> {
        self.imported
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
    }
}

/// Where a body's report for a year stands, for the supervisors' overview.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ReportStatusRow {
    pub body_id: i64,
    pub report_id: Option<i64>,
    pub source: Option<String>,
    pub item_id: Option<i64>,
    /// The item's status (`unpublished`, `published`, `withdrawn`) and when it was first
    /// published (milliseconds; the report's publication for its due date).
    pub item_status: Option<String>,
    pub first_published_at: Option<i64>,
    /// The state of the item's working version (`draft`, `pending_review` …), if any.
    pub working_state: Option<String>,
    /// The report frozen with the published version.
    #[serde(skip)]
    pub published_data: Option<String>,
}

/// Figures of a year that the drafted texts quote (besides the tables).
#[derive(Debug, Clone, Default)]
pub struct YearFigures {
    pub published: i64,
    pub top_categories: Vec<(String, i64)>,
    pub interpretations: i64,
    pub finished: i64,
    pub finished_on_time: i64,
    pub revised: i64,
    pub withdrawn: i64,
    pub validity_changes: i64,
    pub ledger_entries: i64,
    pub public_items: i64,
    pub categories: i64,
    pub fee_cases: i64,
    pub fee_fen: i64,
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

/// Milliseconds at 00:00 China time of 1 January of `year`.
fn year_start_ms(year: i32) -> i64 {
    NaiveDate::from_ymd_opt(year, 1, 1)
        .unwrap_or_default()
        .and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
}

const REPORT_COLS: &str = "id, body_id, year, format, source, sections, imported, item_id, version, updated_by, updated_at";

impl Store {
    /// Every application of the body that the report of `year` may count: submitted by its end
    /// and not finished before its start.
    pub async fn report_case_facts(&self, body_id: i64, year: i32) -> StoreResult<Vec<CaseFacts>> {
        let start = format!("{year:04}-01-01");
        let end = format!("{year:04}-12-31");
        type Row = (
            i64,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = read!(self, |c| {
            sqlx::query_as::<_, Row>(
                "SELECT id, number, applicant_type, submitted_on, received_on, replied_on, reply_type, status \
                 FROM applications WHERE body_id = $1 AND submitted_on <= $2 \
                 AND (replied_on IS NULL OR replied_on >= $3) ORDER BY id",
            )
            .bind(body_id)
            .bind(&end)
            .bind(&start)
            .fetch_all(c)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(id, number, applicant_type, submitted, received, replied, reply_type, status)| {
                    CaseFacts {
                        id,
                        number,
                        applicant_type,
                        submitted_on: day(&submitted).unwrap_or_default(),
                        received_on: received.as_deref().and_then(day),
                        finished_on: replied.as_deref().and_then(day),
                        reply_type,
                        status,
                    }
                },
            )
            .collect())
    }

    /// The 行政复议 and 行政诉讼 records of the body's cases up to the end of `year`.
    pub async fn report_review_records(
        &self,
        body_id: i64,
        year: i32,
    ) -> StoreResult<Vec<ReviewRecord>> {
        let end = format!("{year:04}-12-31");
        let rows: Vec<(i64, String, String)> = read!(self, |c| {
            sqlx::query_as::<_, (i64, String, String)>(
                "SELECT e.application_id, e.on_date, e.data FROM application_events e \
                 JOIN applications a ON a.id = e.application_id \
                 WHERE a.body_id = $1 AND e.kind = 'review' AND e.on_date <= $2 ORDER BY e.id",
            )
            .bind(body_id)
            .bind(&end)
            .fetch_all(c)
            .await
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(case_id, on, data)| {
                let v: serde_json::Value = serde_json::from_str(&data).ok()?;
                // The case event is stored under "event" (see `add_case_event`).
                let v = v.get("event").cloned().unwrap_or(v);
                Some(ReviewRecord {
                    case_id,
                    proceeding: v.get("proceeding")?.as_str()?.to_string(),
                    on: day(&on)?,
                    outcome: v.get("outcome")?.as_str()?.to_string(),
                })
            })
            .collect())
    }

    /// Table 二's first block: for 规章 and 行政规范性文件, issued in the year (the 成文日期 of the
    /// first published version, or the day of first publication without one), repealed or
    /// expired in the year, and in force at its end.
    pub async fn report_normative_counts(
        &self,
        body_id: i64,
        year: i32,
    ) -> StoreResult<([i64; 3], [i64; 3])> {
        let start = format!("{year:04}-01-01");
        let end = format!("{year:04}-12-31");
        let (from_ms, to_ms) = (year_start_ms(year), year_start_ms(year + 1));
        let rows: Vec<(String, i64, i64, i64)> = read!(self, |c| {
            sqlx::query_as::<_, (String, i64, i64, i64)>(
                "SELECT i.normative_kind, \
                 CAST(SUM(CASE WHEN (v.written_on IS NOT NULL AND v.written_on BETWEEN $2 AND $3) \
                      OR (v.written_on IS NULL AND i.first_published_at >= $4 AND i.first_published_at < $5) THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN i.validity IN ('repealed', 'expired') AND i.validity_date BETWEEN $2 AND $3 THEN 1 ELSE 0 END) AS BIGINT), \
                 CAST(SUM(CASE WHEN i.status = 'published' \
                      AND ((v.written_on IS NOT NULL AND v.written_on <= $3) OR (v.written_on IS NULL AND i.first_published_at < $5)) \
                      AND (i.validity = 'valid' OR i.validity_date > $3) THEN 1 ELSE 0 END) AS BIGINT) \
                 FROM items i LEFT JOIN item_versions v ON v.id = \
                 (SELECT MIN(x.id) FROM item_versions x WHERE x.item_id = i.id AND x.published_at IS NOT NULL) \
                 WHERE i.body_id = $1 AND i.normative_kind IN ('regulation', 'normative') \
                 AND i.status IN ('published', 'withdrawn') GROUP BY i.normative_kind",
            )
            .bind(body_id)
            .bind(&start)
            .bind(&end)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(c)
            .await
        })?;
        let mut regulation = [0; 3];
        let mut normative = [0; 3];
        for (kind, issued, repealed, in_force) in rows {
            let t = if kind == "regulation" {
                &mut regulation
            } else {
                &mut normative
            };
            *t = [issued, repealed, in_force];
        }
        Ok((regulation, normative))
    }

    /// The figures the drafted text of `year` quotes.
    pub async fn report_year_figures(&self, body_id: i64, year: i32) -> StoreResult<YearFigures> {
        let start = format!("{year:04}-01-01");
        let end = format!("{year:04}-12-31");
        let (from_ms, to_ms) = (year_start_ms(year), year_start_ms(year + 1));
        let mut f = YearFigures::default();
        let top: Vec<(String, String, i64)> = read!(self, |c| {
            sqlx::query_as::<_, (String, String, i64)>(
                "SELECT c.name, c.template_key, COUNT(*) FROM items i JOIN categories c ON c.id = i.category_id \
                 WHERE i.body_id = $1 AND i.first_published_at >= $2 AND i.first_published_at < $3 AND i.scope = 'public' \
                 GROUP BY c.name, c.template_key ORDER BY COUNT(*) DESC, c.name",
            )
            .bind(body_id)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(c)
            .await
        })?;
        f.published = top.iter().map(|t| t.2).sum();
        f.interpretations = top
            .iter()
            .filter(|t| t.1 == "interpretation")
            .map(|t| t.2)
            .sum();
        f.top_categories = top.into_iter().take(3).map(|(n, _, c)| (n, c)).collect();
        let counts: (i64, i64, i64, i64, i64, i64, i64, i64) = read!(self, |c| {
            sqlx::query_as::<_, (i64, i64, i64, i64, i64, i64, i64, i64)>(
                "SELECT \
                 (SELECT COUNT(*) FROM applications WHERE body_id = $1 AND replied_on BETWEEN $2 AND $3), \
                 (SELECT COUNT(*) FROM applications WHERE body_id = $1 AND replied_on BETWEEN $2 AND $3 AND (due_on IS NULL OR replied_on <= due_on)), \
                 (SELECT COUNT(*) FROM ledger WHERE body_id = $1 AND action = 'revise' AND at_ms >= $4 AND at_ms < $5), \
                 (SELECT COUNT(*) FROM ledger WHERE body_id = $1 AND action = 'withdraw' AND at_ms >= $4 AND at_ms < $5), \
                 (SELECT COUNT(*) FROM ledger WHERE body_id = $1 AND action = 'validity' AND at_ms >= $4 AND at_ms < $5), \
                 (SELECT COUNT(*) FROM ledger WHERE body_id = $1 AND at_ms >= $4 AND at_ms < $5), \
                 (SELECT COUNT(*) FROM items WHERE body_id = $1 AND status = 'published' AND scope = 'public'), \
                 (SELECT COUNT(*) FROM categories WHERE body_id = $1)",
            )
            .bind(body_id)
            .bind(&start)
            .bind(&end)
            .bind(from_ms)
            .bind(to_ms)
            .fetch_one(c)
            .await
        })?;
        (
            f.finished,
            f.finished_on_time,
            f.revised,
            f.withdrawn,
            f.validity_changes,
            f.ledger_entries,
            f.public_items,
            f.categories,
        ) = counts;
        let fees: (i64, Option<i64>) = read!(self, |c| {
            sqlx::query_as::<_, (i64, Option<i64>)>(
                "SELECT COUNT(*), CAST(SUM(f.paid_fen) AS BIGINT) FROM application_fees f \
                 JOIN applications a ON a.id = f.application_id \
                 WHERE a.body_id = $1 AND f.paid_on BETWEEN $2 AND $3 AND f.paid_fen > 0",
            )
            .bind(body_id)
            .bind(&start)
            .bind(&end)
            .fetch_one(c)
            .await
        })?;
        f.fee_cases = fees.0;
        f.fee_fen = fees.1.unwrap_or(0);
        Ok(f)
    }

    pub async fn annual_report(&self, body_id: i64, year: i32) -> StoreResult<Option<ReportRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ReportRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLS} FROM annual_reports WHERE body_id = $1 AND year = $2"
            )))
            .bind(body_id)
            .bind(i64::from(year))
            .fetch_optional(c)
            .await
        })?)
    }

    /// The report record of an item (the item of a published or submitted report).
    pub async fn annual_report_of_item(&self, item_id: i64) -> StoreResult<Option<ReportRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ReportRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {REPORT_COLS} FROM annual_reports WHERE item_id = $1"
            )))
            .bind(item_id)
            .fetch_optional(c)
            .await
        })?)
    }

    /// Save the staff's texts of a computed report (creating the record). `expected_version` is
    /// the version the form was loaded with (0 for a new record): a save over someone else's is
    /// refused.
    pub async fn save_annual_sections(
        &self,
        body_id: i64,
        year: i32,
        sections: &Sections,
        expected_version: i64,
        who: &Who,
    ) -> StoreResult<ReportRow> {
        let now = crate::now_ms();
        let json = serde_json::to_string(sections).unwrap_or_else(|_| "{}".into());
        write_tx!(self, |tx| {
            let current: Option<(i64, i64, String)> = sqlx::query_as(
                "SELECT id, version, source FROM annual_reports WHERE body_id = $1 AND year = $2",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .fetch_optional(&mut *tx)
            .await?;
            let id = match current {
                None => {
                    if expected_version != 0 {
                        return Err(StoreError::Conflict(
                            "该年度报告已被删除或尚未建立，请刷新后重试".into(),
                        ));
                    }
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO annual_reports (body_id, year, format, source, sections, updated_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'computed', $4, $5, $6, $6) RETURNING id",
                    )
                    .bind(body_id)
                    .bind(i64::from(year))
                    .bind(ar::FORMAT_2021)
                    .bind(&json)
                    .bind(&who.name)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
                Some((id, version, source)) => {
                    if source != "computed" {
                        return Err(StoreError::Invalid(
                            "该年度报告为导入的历史报告，不能在此编辑，请重新导入".into(),
                        ));
                    }
                    if version != expected_version {
                        return Err(StoreError::Conflict(
                            "该年度报告已被他人修改并保存，您的修改未保存。请刷新后重新编辑".into(),
                        ));
                    }
                    sqlx::query(
                        "UPDATE annual_reports SET sections = $1, updated_by = $2, updated_at = $3, version = version + 1 WHERE id = $4",
                    )
                    .bind(&json)
                    .bind(&who.name)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
            };
            audit_append!(
                tx,
                AuditEvent::new("annual_report.edit", "annual_report", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"year": year}))
            );
            Ok(())
        })?;
        self.annual_report(body_id, year)
            .await?
            .ok_or(StoreError::NotFound)
    }

    /// Record an imported report of an earlier year (replacing an earlier import of it). A year
    /// that already has a computed report in the system cannot be replaced by an import.
    pub async fn import_annual_report(
        &self,
        body_id: i64,
        report: &AnnualReport,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let json = serde_json::to_string(report).unwrap_or_else(|_| "{}".into());
        let sections = serde_json::to_string(&report.sections).unwrap_or_else(|_| "{}".into());
        let year = i64::from(report.year);
        write_tx!(self, |tx| {
            let current: Option<(i64, String, Option<i64>)> = sqlx::query_as(
                "SELECT id, source, item_id FROM annual_reports WHERE body_id = $1 AND year = $2",
            )
            .bind(body_id)
            .bind(year)
            .fetch_optional(&mut *tx)
            .await?;
            let id = match current {
                Some((_, source, item)) if source == "computed" || item.is_some() => {
                    return Err(StoreError::Conflict(format!(
                        "{}年的年度报告已在本系统中编制，不能用导入的报告替换",
                        report.year
                    )));
                }
                Some((id, _, _)) => {
                    sqlx::query(
                        "UPDATE annual_reports SET format = $1, sections = $2, imported = $3, updated_by = $4, updated_at = $5, \
                         version = version + 1 WHERE id = $6",
                    )
                    .bind(&report.format)
                    .bind(&sections)
                    .bind(&json)
                    .bind(&who.name)
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                    id
                }
                None => {
                    sqlx::query_scalar::<_, i64>(
                        "INSERT INTO annual_reports (body_id, year, format, source, sections, imported, updated_by, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'imported', $4, $5, $6, $7, $7) RETURNING id",
                    )
                    .bind(body_id)
                    .bind(year)
                    .bind(&report.format)
                    .bind(&sections)
                    .bind(&json)
                    .bind(&who.name)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?
                }
            };
            audit_append!(
                tx,
                AuditEvent::new("annual_report.import", "annual_report", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"year": report.year, "format": report.format}))
            );
            Ok(id)
        })
    }

    /// Remove an imported report (a wrong file, or a year to be made in the system after all).
    pub async fn delete_annual_import(
        &self,
        body_id: i64,
        year: i32,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM annual_reports WHERE body_id = $1 AND year = $2 AND source = 'imported'",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                return Err(StoreError::NotFound);
            };
            sqlx::query("DELETE FROM annual_reports WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("annual_report.delete_import", "annual_report", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"year": year}))
            );
            Ok(())
        })
    }

    /// Link a report to its item and freeze the report as the content of item version
    /// `version_id` (replacing an earlier snapshot of the same draft version).
    pub async fn freeze_annual_report(
        &self,
        report_id: i64,
        item_id: i64,
        version_id: i64,
        report: &AnnualReport,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        let json = serde_json::to_string(report).unwrap_or_else(|_| "{}".into());
        write_tx!(self, |tx| {
            sqlx::query("UPDATE annual_reports SET item_id = $1, updated_at = $2 WHERE id = $3")
                .bind(item_id)
                .bind(now)
                .bind(report_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM annual_report_versions WHERE version_id = $1")
                .bind(version_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO annual_report_versions (version_id, report_id, data, created_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(version_id)
            .bind(report_id)
            .bind(&json)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("annual_report.freeze", "annual_report", report_id)
                    .who(who)
                    .after(serde_json::json!({"item": item_id, "version": version_id}))
            );
            Ok(())
        })
    }

    /// The report frozen with an item version.
    pub async fn annual_report_of_version(
        &self,
        version_id: i64,
    ) -> StoreResult<Option<AnnualReport>> {
        let data: Option<String> = read!(self, |c| {
            sqlx::query_scalar("SELECT data FROM annual_report_versions WHERE version_id = $1")
                .bind(version_id)
                .fetch_optional(c)
                .await
        })?;
        Ok(data.and_then(|d| serde_json::from_str(&d).ok()))
    }

    /// For each of `body_ids`, where its report on `year` stands.
    pub async fn annual_report_statuses(
        &self,
        body_ids: &[i64],
        year: i32,
    ) -> StoreResult<Vec<ReportStatusRow>> {
        if body_ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT b.id AS body_id, r.id AS report_id, r.source, r.item_id, i.status AS item_status, \
                 i.first_published_at, w.state AS working_state, s.data AS published_data \
                 FROM bodies b LEFT JOIN annual_reports r ON r.body_id = b.id AND r.year = ",
            );
            qb.push_bind(i64::from(year));
            qb.push(
                " LEFT JOIN items i ON i.id = r.item_id \
                 LEFT JOIN item_versions w ON w.id = i.working_version_id \
                 LEFT JOIN annual_report_versions s ON s.version_id = i.published_version_id AND i.status = 'published' \
                 WHERE b.id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in body_ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY b.path");
            qb.build_query_as::<ReportStatusRow>().fetch_all(c).await
        })?)
    }

    /// The published (or imported) report of a body's year: what the public may see.
    pub async fn published_annual_report(
        &self,
        body_id: i64,
        year: i32,
    ) -> StoreResult<Option<AnnualReport>> {
        let Some(row) = self.annual_report(body_id, year).await? else {
            return Ok(None);
        };
        if row.source == "imported" {
            return Ok(row.imported_report());
        }
        let Some(item_id) = row.item_id else {
            return Ok(None);
        };
        let item = self.get_item(item_id).await?;
        if item.status != "published" || item.scope != "public" {
            return Ok(None);
        }
        match item.published_version_id {
            Some(v) => self.annual_report_of_version(v).await,
            None => Ok(None),
        }
    }

    /// The years with a published or imported report of the body, newest first.
    pub async fn annual_report_years(&self, body_id: i64) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT r.year FROM annual_reports r LEFT JOIN items i ON i.id = r.item_id \
                 LEFT JOIN annual_report_versions s ON s.version_id = i.published_version_id \
                 WHERE r.body_id = $1 AND (r.source = 'imported' \
                 OR (i.status = 'published' AND i.scope = 'public' AND s.version_id IS NOT NULL)) \
                 ORDER BY r.year DESC",
            )
            .bind(body_id)
            .fetch_all(c)
            .await
        })?)
    }
}
