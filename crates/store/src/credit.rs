//! 双公示 decisions: the staff record (personal values sealed) and its public copy, masked when
//! published; `credit_public` is the only table public pages read (docs/design/services.md).

use chrono::NaiveDate;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::credit::{self as dc, DecisionKind, Due, PartyType, leaks, mask_public_text};
use gongkai_domain::screening::ScreeningConfig;
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A decision to record, validated by the caller, its personal values already sealed.
#[derive(Debug, Clone)]
pub struct NewDecision {
    pub body_id: i64,
    pub kind: DecisionKind,
    pub party_name: String,
    pub party_type: PartyType,
    pub uscc: String,
    pub legal_rep: String,
    pub personal_sealed: String,
    pub involves_minor: bool,
    pub adult_confirmed: bool,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    pub fine_fen: Option<i64>,
    pub decided_on: NaiveDate,
    pub valid_until: String,
    pub publish_due: Due,
    pub display_months: u32,
}

/// The staff record of a decision.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct Decision {
    pub id: i64,
    pub body_id: i64,
    pub kind: String,
    pub status: String,
    pub party_name: String,
    pub party_type: String,
    pub uscc: String,
    pub legal_rep: String,
    #[serde(skip)]
    pub personal_sealed: String,
    pub involves_minor: bool,
    pub adult_confirmed: bool,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    pub fine_fen: Option<i64>,
    pub decided_on: String,
    pub valid_until: String,
    pub publish_due_on: String,
    pub display_months: i64,
    pub published_on: String,
    pub late_publish: bool,
    pub withheld_reason: String,
    pub withdraw_reason: String,
    pub withdraw_due_on: String,
    pub withdrawn_on: String,
    pub late_withdraw: bool,
}

const DECISION_COLS: &str = "id, body_id, kind, status, party_name, party_type, uscc, legal_rep, \
    personal_sealed, involves_minor, adult_confirmed, doc_title, doc_no, content, basis, fine_fen, \
    decided_on, valid_until, publish_due_on, display_months, published_on, late_publish, \
    withheld_reason, withdraw_reason, withdraw_due_on, withdrawn_on, late_withdraw";

/// The public copy of a decision: nothing here was not masked.
#[derive(Debug, Clone, sqlx::FromRow, Serialize)]
pub struct PublicDecision {
    pub id: i64,
    pub body_id: i64,
    pub kind: String,
    pub status: String,
    pub party_name: String,
    pub party_type: String,
    pub uscc: String,
    pub legal_rep: String,
    pub doc_title: String,
    pub doc_no: String,
    pub content: String,
    pub basis: String,
    pub fine_fen: Option<i64>,
    pub decided_on: String,
    pub valid_until: String,
    pub published_on: String,
    pub display_until: String,
    pub withdrawn_on: String,
    pub withdraw_reason: String,
}

const PUBLIC_COLS: &str = "id, body_id, kind, status, party_name, party_type, uscc, legal_rep, \
    doc_title, doc_no, content, basis, fine_fen, decided_on, valid_until, published_on, \
    display_until, withdrawn_on, withdraw_reason";

/// What publishing did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Published {
    /// Public under this id.
    Public(i64),
    /// Held back by law (a minor, …): counted, never public.
    Withheld(String),
}

/// Decisions of one body and year, by kind, for the annual report.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DecisionCounts {
    pub license: i64,
    pub penalty: i64,
    pub coercion: i64,
}

/// A stored day (`''` when not known).
fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl Store {
    /// Record a decision (状态：待公示). A second decision of the same body, kind and 文书号 is
    /// refused.
    pub async fn record_decision(&self, d: &NewDecision, who: &Who) -> StoreResult<i64> {
        let now = crate::now_ms();
        let res = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO credit_decisions (body_id, kind, party_name, party_type, uscc, legal_rep, \
                 personal_sealed, involves_minor, adult_confirmed, doc_title, doc_no, content, basis, \
                 fine_fen, decided_on, valid_until, publish_due_on, display_months, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19) \
                 RETURNING id",
            )
            .bind(d.body_id)
            .bind(d.kind.as_str())
            .bind(d.party_name.trim())
            .bind(d.party_type.as_str())
            .bind(d.uscc.trim())
            .bind(d.legal_rep.trim())
            .bind(&d.personal_sealed)
            .bind(d.involves_minor)
            .bind(d.adult_confirmed)
            .bind(d.doc_title.trim())
            .bind(d.doc_no.trim())
            .bind(&d.content)
            .bind(&d.basis)
            .bind(d.fine_fen)
            .bind(d.decided_on.to_string())
            .bind(&d.valid_until)
            .bind(d.publish_due.date().map(|x| x.to_string()).unwrap_or_default())
            .bind(i64::from(d.display_months))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("credit.record", "credit_decision", id)
                    .who(who)
                    .body(Some(d.body_id))
                    .after(serde_json::json!({
                        "kind": d.kind.as_str(), "doc_no": d.doc_no, "decided_on": d.decided_on,
                        "personal": "已加密",
                    }))
            );
            Ok(id)
        });
        match res {
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
                "本机关已登记文书号为“{}”的{}决定",
                d.doc_no.trim(),
                d.kind.label()
            ))),
            other => other,
        }
    }

    pub async fn get_decision(&self, id: i64) -> StoreResult<Decision> {
        read!(self, |c| {
            sqlx::query_as::<_, Decision>(sqlx::AssertSqlSafe(format!(
                "SELECT {DECISION_COLS} FROM credit_decisions WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Publish a recorded decision: the public copy is computed here, masked with `personal`
    /// (the opened sealed values) and `other_names`, and refused if anything would leak. A
    /// decision the law keeps back (a minor) is marked withheld instead.
    #[allow(clippy::too_many_arguments)]
    pub async fn publish_decision(
        &self,
        id: i64,
        resident_id: Option<&str>,
        personal: &[String],
        other_names: &[String],
        cfg: &ScreeningConfig,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<Published> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let d: Decision = sqlx::query_as::<_, Decision>(sqlx::AssertSqlSafe(format!(
                "SELECT {DECISION_COLS} FROM credit_decisions WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if d.status != "recorded" {
                return Err(StoreError::Invalid("只有待公示的决定可以公示".into()));
            }
            let decided_on =
                day(&d.decided_on).ok_or_else(|| StoreError::Invalid("决定日期无效".into()))?;
            let party = PartyType::parse(&d.party_type).unwrap_or(PartyType::Natural);
            if let Some(reason) = dc::withhold_reason(
                party,
                resident_id,
                d.adult_confirmed,
                d.involves_minor,
                decided_on,
            ) {
                sqlx::query(
                    "UPDATE credit_decisions SET status = 'withheld', withheld_reason = $1, updated_at = $2 WHERE id = $3",
                )
                .bind(reason)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                audit_append!(
                    tx,
                    AuditEvent::new("credit.withhold", "credit_decision", id)
                        .who(who)
                        .body(Some(d.body_id))
                        .after(serde_json::json!({ "reason": reason }))
                );
                return Ok(Published::Withheld(reason.to_string()));
            }
            let natural = party == PartyType::Natural;
            let mut names: Vec<String> = other_names.to_vec();
            if natural {
                names.push(d.party_name.clone());
            }
            let mask = |t: &str| mask_public_text(t, personal, &names, cfg).text;
            let party_name = if natural {
                dc::anonymised_name(&d.party_name)
            } else {
                d.party_name.clone()
            };
            let (uscc, legal_rep) = if natural {
                (String::new(), String::new())
            } else {
                (d.uscc.clone(), d.legal_rep.clone())
            };
            let content = mask(&d.content);
            let basis = mask(&d.basis);
            let doc_title = mask(&d.doc_title);
            for field in [&party_name, &legal_rep, &doc_title, &content, &basis] {
                if let Some(why) = leaks(field, personal, cfg).into_iter().next() {
                    return Err(StoreError::Invalid(format!(
                        "公示内容{why}，已阻止公示，请修改后再试"
                    )));
                }
            }
            let until = dc::display_until(decided_on, u32::try_from(d.display_months).unwrap_or(0))
                .ok_or_else(|| StoreError::Invalid("公示期限无效".into()))?;
            let public_id: i64 = sqlx::query_scalar(
                "INSERT INTO credit_public (decision_id, body_id, kind, status, party_name, party_type, uscc, \
                 legal_rep, doc_title, doc_no, content, basis, fine_fen, decided_on, valid_until, \
                 published_on, published_at, display_until) \
                 VALUES ($1, $2, $3, 'published', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) \
                 RETURNING id",
            )
            .bind(id)
            .bind(d.body_id)
            .bind(&d.kind)
            .bind(&party_name)
            .bind(&d.party_type)
            .bind(&uscc)
            .bind(&legal_rep)
            .bind(&doc_title)
            .bind(&d.doc_no)
            .bind(&content)
            .bind(&basis)
            .bind(d.fine_fen)
            .bind(&d.decided_on)
            .bind(&d.valid_until)
            .bind(today.to_string())
            .bind(now)
            .bind(until.to_string())
            .fetch_one(&mut *tx)
            .await?;
            let late = dc::done_late(day(&d.publish_due_on), today);
            sqlx::query(
                "UPDATE credit_decisions SET status = 'published', published_on = $1, late_publish = $2, \
                 updated_at = $3 WHERE id = $4",
            )
            .bind(today.to_string())
            .bind(late)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("credit.publish", "credit_decision", id)
                    .who(who)
                    .body(Some(d.body_id))
                    .after(serde_json::json!({ "public_id": public_id, "late": late }))
            );
            change_log!(tx, "credit", public_id, "publish");
            Ok(Published::Public(public_id))
        })
    }

    /// Withdraw a published decision changed or revoked on `revoked_on`: its party and content
    /// leave the public copy, the reason is shown for the rest of the display period.
    pub async fn withdraw_decision(
        &self,
        id: i64,
        revoked_on: NaiveDate,
        withdraw_due: Due,
        reason: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("撤下公示必须写明理由".into()));
        }
        if revoked_on > today {
            return Err(StoreError::Invalid(
                "变更或撤销决定的日期不能晚于今天".into(),
            ));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (status, body_id): (String, i64) =
                sqlx::query_as("SELECT status, body_id FROM credit_decisions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            if status != "published" {
                return Err(StoreError::Invalid(if status == "withdrawn" {
                    "该决定已撤下公示".into()
                } else {
                    "只有已公示的决定可以撤下".into()
                }));
            }
            let due = withdraw_due
                .date()
                .map(|x| x.to_string())
                .unwrap_or_default();
            let late = !due.is_empty() && today.to_string() > due;
            sqlx::query(
                "UPDATE credit_decisions SET status = 'withdrawn', revoked_on = $1, withdraw_reason = $2, \
                 withdraw_due_on = $3, withdrawn_on = $4, late_withdraw = $5, updated_at = $6 WHERE id = $7",
            )
            .bind(revoked_on.to_string())
            .bind(reason)
            .bind(&due)
            .bind(today.to_string())
            .bind(late)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            let public_id: i64 = sqlx::query_scalar(
                "UPDATE credit_public SET status = 'withdrawn', party_name = '', uscc = '', legal_rep = '', \
                 content = '', basis = '', fine_fen = NULL, withdrawn_on = $1, withdraw_reason = $2 \
                 WHERE decision_id = $3 RETURNING id",
            )
            .bind(today.to_string())
            .bind(reason)
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("credit.withdraw", "credit_decision", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({ "reason": reason, "late": late }))
            );
            change_log!(tx, "credit", public_id, "withdraw");
            Ok(())
        })
    }

    /// The public list of `kind` on `today`: records still within their display period, newest
    /// first (withdrawn ones show their reason).
    pub async fn public_decisions(
        &self,
        kind: DecisionKind,
        today: NaiveDate,
        limit: i64,
    ) -> StoreResult<Vec<PublicDecision>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, PublicDecision>(sqlx::AssertSqlSafe(format!(
                "SELECT {PUBLIC_COLS} FROM credit_public WHERE kind = $1 AND display_until >= $2 \
                 ORDER BY published_at DESC, id DESC LIMIT $3"
            )))
            .bind(kind.as_str())
            .bind(today.to_string())
            .bind(limit)
            .fetch_all(c)
            .await
        })?)
    }

    /// One public record, if it is still within its display period on `today`.
    pub async fn public_decision(
        &self,
        id: i64,
        today: NaiveDate,
    ) -> StoreResult<Option<PublicDecision>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, PublicDecision>(sqlx::AssertSqlSafe(format!(
                "SELECT {PUBLIC_COLS} FROM credit_public WHERE id = $1 AND display_until >= $2"
            )))
            .bind(id)
            .bind(today.to_string())
            .fetch_optional(c)
            .await
        })?)
    }

    /// Decisions of `body_id` decided in `year`, by kind (withheld and withdrawn ones were
    /// still decisions of that year).
    pub async fn decision_counts(&self, body_id: i64, year: i32) -> StoreResult<DecisionCounts> {
        let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
        let rows: Vec<(String, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT kind, COUNT(*) FROM credit_decisions WHERE body_id = $1 \
                 AND decided_on >= $2 AND decided_on <= $3 GROUP BY kind",
            )
            .bind(body_id)
            .bind(&from)
            .bind(&to)
            .fetch_all(c)
            .await
        })?;
        let mut out = DecisionCounts::default();
        for (k, n) in rows {
            match DecisionKind::parse(&k) {
                Some(DecisionKind::License) => out.license = n,
                Some(DecisionKind::Penalty) => out.penalty = n,
                Some(DecisionKind::Coercion) => out.coercion = n,
                None => {}
            }
        }
        Ok(out)
    }
}
