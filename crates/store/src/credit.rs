//! 双公示 decisions: the staff record (personal values sealed) and its public copy, masked when
//! published; `credit_public` is the only table public pages read (docs/design/services.md).

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::calendar::Calendar;
use gongkai_domain::credit::{self as dc, DecisionKind, Due, PartyType, Personal, PrivateFields};
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
    /// `form`, `import` or `api`.
    pub entered_via: &'static str,
}

impl NewDecision {
    /// A checked decision of `body_id`, its personal values sealed by the caller, its
    /// publication due date computed on the calendar, displayed for the period the body's
    /// policy sets for its kind.
    pub fn from_valid(
        body_id: i64,
        v: &dc::ValidDecision,
        personal_sealed: String,
        publish_due: Due,
        policy: &dc::CreditPolicy,
        entered_via: &'static str,
    ) -> NewDecision {
        NewDecision {
            body_id,
            kind: v.kind,
            party_name: v.party_name.clone(),
            party_type: v.party_type,
            uscc: v.uscc.clone(),
            legal_rep: v.legal_rep.clone(),
            personal_sealed,
            involves_minor: v.involves_minor,
            adult_confirmed: v.adult_confirmed,
            doc_title: v.doc_title.clone(),
            doc_no: v.doc_no.clone(),
            content: v.content.clone(),
            basis: v.basis.clone(),
            fine_fen: v.fine_fen,
            decided_on: v.decided_on,
            valid_until: v.valid_until.map(|d| d.to_string()).unwrap_or_default(),
            publish_due,
            display_months: policy.display_months(v.kind),
            entered_via,
        }
    }
}

/// The staff record of a decision.
#[derive(Debug, Clone, sqlx_macros::FromRow, Serialize)]
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
    pub revoked_on: String,
    pub void_reason: String,
    pub entered_via: String,
}

const DECISION_COLS: &str = "id, body_id, kind, status, party_name, party_type, uscc, legal_rep, \
    personal_sealed, involves_minor, adult_confirmed, doc_title, doc_no, content, basis, fine_fen, \
    decided_on, valid_until, publish_due_on, display_months, published_on, late_publish, \
    withheld_reason, withdraw_reason, withdraw_due_on, withdrawn_on, late_withdraw, revoked_on, \
    void_reason, entered_via";

impl Decision {
    pub fn kind_label(&self) -> &'static str {
        DecisionKind::parse(&self.kind).map_or("", DecisionKind::label)
    }
    pub fn party_type_label(&self) -> &'static str {
        PartyType::parse(&self.party_type).map_or("", PartyType::label)
    }
    pub fn status_label(&self) -> &'static str {
        status_label(&self.status)
    }
    /// 罚款金额 in words ("5000.50元"), empty when none.
    pub fn fine(&self) -> String {
        self.fine_fen
            .map(gongkai_domain::application::yuan)
            .unwrap_or_default()
    }
    /// Whether a recorded decision is past its publication due date on `today`.
    pub fn overdue_on(&self, today: NaiveDate) -> bool {
        self.status == "recorded" && day(&self.publish_due_on).is_some_and(|d| today > d)
    }
}

/// The back office's name of a decision's state.
pub fn status_label(s: &str) -> &'static str {
    match s {
        "recorded" => "待公示",
        "published" => "已公示",
        "withdrawn" => "已撤下",
        "withheld" => "依法不公示",
        "void" => "已作废",
        _ => "",
    }
}

/// A decision in a back-office list, with its body's name.
#[derive(Debug, Clone, sqlx_macros::FromRow, Serialize)]
pub struct DecisionRow {
    #[sqlx(flatten)]
    #[serde(flatten)]
    pub d: Decision,
    pub body_name: String,
}

/// Which decisions a back-office list shows.
#[derive(Debug, Clone, Default)]
pub struct DecisionFilter {
    /// `due` (待公示), `overdue`, `published`, `withdrawn`, `withheld`, `void`; anything else: all.
    pub view: String,
    pub kind: Option<DecisionKind>,
    /// 文书号 or the party's name, in part.
    pub q: String,
    pub today: Option<NaiveDate>,
    pub limit: i64,
}

/// Which public records a public list shows.
#[derive(Debug, Clone, Default)]
pub struct PublicFilter {
    pub kind: Option<DecisionKind>,
    pub body_id: Option<i64>,
    pub year: Option<i32>,
    /// 文书号 or the party's name, in part.
    pub q: String,
    pub offset: i64,
    pub limit: i64,
}

/// What the tick pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CreditTick {
    /// Open due dates now known.
    pub filled: usize,
    /// Public records whose display period has ended.
    pub expired: usize,
}

/// The public copy of a decision: nothing here was not masked.
#[derive(Debug, Clone, sqlx_macros::FromRow, Serialize)]
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
    /// When it was published, in ms.
    pub published_at: i64,
    pub display_until: String,
    pub withdrawn_on: String,
    pub withdraw_reason: String,
}

const PUBLIC_COLS: &str = "id, body_id, kind, status, party_name, party_type, uscc, legal_rep, \
    doc_title, doc_no, content, basis, fine_fen, decided_on, valid_until, published_on, \
    published_at, display_until, withdrawn_on, withdraw_reason";

impl PublicDecision {
    pub fn kind_label(&self) -> &'static str {
        DecisionKind::parse(&self.kind).map_or("", DecisionKind::label)
    }
    pub fn party_type_label(&self) -> &'static str {
        PartyType::parse(&self.party_type).map_or("", PartyType::label)
    }
    pub fn withdrawn(&self) -> bool {
        self.status == "withdrawn"
    }
    pub fn natural(&self) -> bool {
        self.party_type == PartyType::Natural.as_str()
    }
    pub fn fine(&self) -> String {
        self.fine_fen
            .map(gongkai_domain::application::yuan)
            .unwrap_or_default()
    }
    /// Whether it is still on the public list on `today`.
    pub fn shown_on(&self, today: NaiveDate) -> bool {
        day(&self.display_until).is_some_and(|u| dc::on_public_list(u, today))
    }
    /// The title a list or feed shows: party and document.
    pub fn headline(&self) -> String {
        if self.withdrawn() {
            format!("【已撤销公示】{}", self.doc_no)
        } else {
            format!("{}（{}）", self.party_name, self.doc_no)
        }
    }
}

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
        let ids = self.record_decisions(std::slice::from_ref(d), who).await?;
        ids.first()
            .copied()
            .ok_or_else(|| StoreError::Invalid("没有要登记的决定".into()))
    }

    /// Record decisions in one transaction: all of them or, when one is refused (the same
    /// body, kind and 文书号 already recorded), none.
    pub async fn record_decisions(&self, ds: &[NewDecision], who: &Who) -> StoreResult<Vec<i64>> {
        let now = crate::now_ms();
        let mut at = 0usize;
        let res = write_tx!(self, |tx| {
            let mut ids = Vec::with_capacity(ds.len());
            for (i, d) in ds.iter().enumerate() {
                at = i;
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO credit_decisions (body_id, kind, party_name, party_type, uscc, legal_rep, \
                     personal_sealed, involves_minor, adult_confirmed, doc_title, doc_no, content, basis, \
                     fine_fen, decided_on, valid_until, publish_due_on, display_months, entered_via, created_by, \
                     created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $21) \
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
                .bind(d.entered_via)
                .bind(who.user_id)
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
                            "personal": "已加密", "entered_via": d.entered_via,
                        }))
                );
                ids.push(id);
            }
            Ok(ids)
        });
        match res {
            Err(e) if e.is_unique_violation() => {
                let d = &ds[at.min(ds.len().saturating_sub(1))];
                Err(StoreError::Conflict(format!(
                    "本机关已登记文书号为“{}”的{}决定",
                    d.doc_no.trim(),
                    d.kind.label()
                )))
            }
            other => other,
        }
    }

    /// The (kind, 文书号) of every decision `body_id` has recorded and not voided.
    pub async fn recorded_doc_nos(
        &self,
        body_id: i64,
    ) -> StoreResult<std::collections::HashSet<(DecisionKind, String)>> {
        let rows: Vec<(String, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT kind, doc_no FROM credit_decisions WHERE body_id = $1 AND status <> 'void'",
            )
            .bind(body_id)
            .fetch_all(c)
            .await
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(k, d)| DecisionKind::parse(&k).map(|k| (k, d)))
            .collect())
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
    pub async fn publish_decision(
        &self,
        id: i64,
        personal: &Personal,
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
            if d.kind == DecisionKind::Coercion.as_str() {
                return Err(StoreError::Invalid(
                    "行政强制决定只作年度统计，不在双公示中公示".into(),
                ));
            }
            let decided_on =
                day(&d.decided_on).ok_or_else(|| StoreError::Invalid("决定日期无效".into()))?;
            let party = PartyType::parse(&d.party_type).unwrap_or(PartyType::Natural);
            if let Some(reason) = dc::withhold_reason(
                party,
                personal.resident_id(),
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
            // The body's own rules (how a natural person is named), as in its settings.
            let settings: Option<String> =
                sqlx::query_scalar("SELECT settings FROM bodies WHERE id = $1")
                    .bind(d.body_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            let policy = settings
                .and_then(|s| serde_json::from_str::<crate::disclosure::BodySettings>(&s).ok())
                .unwrap_or_default()
                .credit;
            let p = dc::public_copy(
                PrivateFields {
                    party_type: party,
                    party_name: &d.party_name,
                    uscc: &d.uscc,
                    legal_rep: &d.legal_rep,
                    doc_title: &d.doc_title,
                    content: &d.content,
                    basis: &d.basis,
                },
                personal,
                cfg,
                &policy,
            )
            .map_err(StoreError::Invalid)?;
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
            .bind(&p.party_name)
            .bind(&d.party_type)
            .bind(&p.uscc)
            .bind(&p.legal_rep)
            .bind(&p.doc_title)
            .bind(&d.doc_no)
            .bind(&p.content)
            .bind(&p.basis)
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
            let late = dc::done_late(withdraw_due.date(), today);
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

    /// The public list on `today`: records still within their display period, newest first
    /// (withdrawn ones show their reason), and how many there are.
    pub async fn public_decisions(
        &self,
        f: &PublicFilter,
        today: NaiveDate,
    ) -> StoreResult<(Vec<PublicDecision>, i64)> {
        macro_rules! filters {
            ($qb:ident) => {{
                $qb.push(" WHERE kind <> 'coercion' AND display_until >= ")
                    .push_bind(today.to_string());
                if let Some(k) = f.kind {
                    $qb.push(" AND kind = ").push_bind(k.as_str());
                }
                if let Some(b) = f.body_id {
                    $qb.push(" AND body_id = ").push_bind(b);
                }
                if let Some(y) = f.year {
                    $qb.push(" AND decided_on >= ")
                        .push_bind(format!("{y}-01-01"))
                        .push(" AND decided_on <= ")
                        .push_bind(format!("{y}-12-31"));
                }
                if let Some(like) = crate::like_pattern(&f.q) {
                    $qb.push(" AND (doc_no LIKE ")
                        .push_bind(like.clone())
                        .push(" ESCAPE '\\' OR party_name LIKE ")
                        .push_bind(like)
                        .push(" ESCAPE '\\')");
                }
            }};
        }
        Ok(read!(self, |c| {
            let mut qb =
                sqlx::QueryBuilder::new(format!("SELECT {PUBLIC_COLS} FROM credit_public"));
            filters!(qb);
            qb.push(" ORDER BY published_at DESC, id DESC LIMIT ")
                .push_bind(f.limit.clamp(1, 500))
                .push(" OFFSET ")
                .push_bind(f.offset.max(0));
            let rows = qb.build_query_as::<PublicDecision>().fetch_all(c).await?;
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM credit_public");
            filters!(qb);
            let total: i64 = qb.build_query_scalar().fetch_one(c).await?;
            Ok::<_, sqlx::Error>((rows, total))
        })?)
    }

    /// One public record, whether or not its display period has ended (the page says which);
    /// `None` for an id that was never public.
    pub async fn public_decision(&self, id: i64) -> StoreResult<Option<PublicDecision>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, PublicDecision>(sqlx::AssertSqlSafe(format!(
                "SELECT {PUBLIC_COLS} FROM credit_public WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?)
    }

    /// Decisions in the back office, within `scope`, newest first.
    pub async fn list_decisions(
        &self,
        scope: &Scope,
        f: &DecisionFilter,
    ) -> StoreResult<Vec<DecisionRow>> {
        let cols: String = DECISION_COLS
            .split(", ")
            .map(|c| format!("d.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ");
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {cols}, b.name AS body_name FROM credit_decisions d \
                 JOIN bodies b ON b.id = d.body_id WHERE 1 = 1"
            ));
            push_scope!(qb, scope, "b.path");
            let today = f.today.unwrap_or_default().to_string();
            match f.view.as_str() {
                "due" => {
                    qb.push(" AND d.status = 'recorded'");
                }
                "overdue" => {
                    qb.push(" AND d.status = 'recorded' AND d.publish_due_on <> '' AND d.publish_due_on < ")
                        .push_bind(today);
                }
                v @ ("published" | "withdrawn" | "withheld" | "void") => {
                    qb.push(" AND d.status = ").push_bind(v.to_string());
                }
                _ => {}
            }
            if let Some(k) = f.kind {
                qb.push(" AND d.kind = ").push_bind(k.as_str());
            }
            if let Some(like) = crate::like_pattern(&f.q) {
                qb.push(" AND (d.doc_no LIKE ")
                    .push_bind(like.clone())
                    .push(" ESCAPE '\\' OR d.party_name LIKE ")
                    .push_bind(like)
                    .push(" ESCAPE '\\')");
            }
            qb.push(" ORDER BY d.decided_on DESC, d.id DESC LIMIT ")
                .push_bind(f.limit.clamp(1, 1000));
            qb.build_query_as::<DecisionRow>().fetch_all(c).await
        })?)
    }

    /// Decisions within `scope` waiting to be published, and how many of them are overdue on
    /// `today`, for the desk.
    pub async fn decisions_due(&self, scope: &Scope, today: NaiveDate) -> StoreResult<(i64, i64)> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN d.publish_due_on <> '' AND d.publish_due_on < ",
            );
            qb.push_bind(today.to_string());
            qb.push(
                " THEN 1 ELSE 0 END), 0) FROM credit_decisions d JOIN bodies b ON b.id = d.body_id \
                 WHERE d.status = 'recorded'",
            );
            push_scope!(qb, scope, "b.path");
            qb.build_query_as::<(i64, i64)>().fetch_one(c).await
        })?)
    }

    /// Records a sitemap lists on `today`: published records of legal persons and 个体工商户
    /// within their display period (a natural person's record is kept out of search engines),
    /// by id, with their publication day; and how many there are in all.
    pub async fn sitemap_credit(
        &self,
        today: NaiveDate,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<(i64, String)>, i64)> {
        const WHERE: &str = "WHERE status = 'published' AND kind <> 'coercion' AND party_type <> 'natural' \
             AND display_until >= $1";
        let today = today.to_string();
        Ok(read!(self, |c| {
            let rows: Vec<(i64, String)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, published_on FROM credit_public {WHERE} ORDER BY id LIMIT $2 OFFSET $3"
            )))
            .bind(&today)
            .bind(limit)
            .bind(offset)
            .fetch_all(c)
            .await?;
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT COUNT(*) FROM credit_public {WHERE}"
            )))
            .bind(&today)
            .fetch_one(c)
            .await?;
            Ok::<_, sqlx::Error>((rows, n))
        })?)
    }

    /// The public id of a decision that was published, if it was.
    pub async fn public_id_of(&self, decision_id: i64) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar("SELECT id FROM credit_public WHERE decision_id = $1")
                .bind(decision_id)
                .fetch_optional(c)
                .await
        })?)
    }

    /// Record that `who` opened the personal values of a decision, and why.
    pub async fn audit_credit_reveal(
        &self,
        id: i64,
        body_id: i64,
        reason: &str,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            audit_append!(
                tx,
                AuditEvent::new("credit.reveal", "credit_decision", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({ "reason": reason }))
            );
            Ok(())
        })
    }

    /// Void a decision entered in error (only before publication); its 文书号 may be entered
    /// again. Voided decisions are in no count.
    pub async fn void_decision(&self, id: i64, reason: &str, who: &Who) -> StoreResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("作废必须写明理由".into()));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (status, body_id): (String, i64) =
                sqlx::query_as("SELECT status, body_id FROM credit_decisions WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            if status != "recorded" {
                return Err(StoreError::Invalid(
                    "只有待公示的决定可以作废；已公示的决定如被变更或撤销，请撤下公示".into(),
                ));
            }
            sqlx::query(
                "UPDATE credit_decisions SET status = 'void', void_reason = $1, updated_at = $2 WHERE id = $3",
            )
            .bind(reason)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("credit.void", "credit_decision", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({ "reason": reason }))
            );
            Ok(())
        })
    }

    /// The daily pass: due dates that ran into a year whose holidays were not loaded are filled
    /// in once they are, and public records whose display period has ended leave search, feeds
    /// and caches (one change-log row each, once).
    pub async fn credit_tick(&self, cal: &Calendar, today: NaiveDate) -> StoreResult<CreditTick> {
        let mut out = CreditTick::default();
        let open: Vec<(i64, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT id, decided_on FROM credit_decisions WHERE status = 'recorded' AND publish_due_on = ''",
            )
            .fetch_all(c)
            .await
        })?;
        for (id, decided) in open {
            let Some(due) = day(&decided)
                .and_then(|d| dc::publish_due(cal, d).ok())
                .and_then(Due::date)
            else {
                continue;
            };
            write_tx!(self, |tx| {
                sqlx::query(
                    "UPDATE credit_decisions SET publish_due_on = $1 WHERE id = $2 AND publish_due_on = ''",
                )
                .bind(due.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                Ok::<_, StoreError>(())
            })?;
            out.filled += 1;
        }
        let now = crate::now_ms();
        let ended: Vec<i64> = read!(self, |c| {
            sqlx::query_scalar(
                "SELECT id FROM credit_public WHERE expired_at IS NULL AND display_until < $1",
            )
            .bind(today.to_string())
            .fetch_all(c)
            .await
        })?;
        for chunk in ended.chunks(500) {
            write_tx!(self, |tx| {
                for id in chunk {
                    sqlx::query("UPDATE credit_public SET expired_at = $1 WHERE id = $2")
                        .bind(now)
                        .bind(*id)
                        .execute(&mut *tx)
                        .await?;
                    change_log!(tx, "credit", *id, "expire");
                }
                Ok::<_, StoreError>(())
            })?;
            out.expired += chunk.len();
        }
        Ok(out)
    }

    /// Decisions of `body_id` decided in `year`, by kind (withheld and withdrawn ones were
    /// still decisions of that year).
    pub async fn decision_counts(&self, body_id: i64, year: i32) -> StoreResult<DecisionCounts> {
        let (from, to) = (format!("{year}-01-01"), format!("{year}-12-31"));
        let rows: Vec<(String, i64)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT kind, COUNT(*) FROM credit_decisions WHERE body_id = $1 \
                 AND decided_on >= $2 AND decided_on <= $3 AND status <> 'void' GROUP BY kind",
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
