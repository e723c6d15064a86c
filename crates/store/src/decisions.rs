//! 重大事项民主决策: collective decision records (the meeting, the vote, the minutes file) of a
//! body, the chain of decisions one follows, and the decision a 公示 cites.

use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::decisions::{self as dd, ValidDecision};
use serde::Serialize;

use crate::applications::Proof;
use crate::{Store, StoreError, StoreResult};

/// A decision record as stored.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct DecisionRow {
    pub id: i64,
    pub body_id: i64,
    pub meeting_kind: String,
    pub meeting_on: String,
    pub motion: String,
    /// JSON array of names.
    #[serde(skip)]
    pub attendees: String,
    pub votes_for: i64,
    pub votes_against: i64,
    pub votes_abstain: i64,
    pub passed: bool,
    pub follows_id: Option<i64>,
    pub minutes_sha256: Option<String>,
    pub minutes_name: Option<String>,
    pub minutes_mime: Option<String>,
    pub minutes_size: Option<i64>,
    pub created_by: String,
    /// The published item reporting how the decision was carried out (实施结果公开).
    pub result_item_id: Option<i64>,
}

/// How a chain (earliest first) of a body of kind `body` meets its procedure (四议两公开, the
/// school's), if one applies.
pub fn check_procedure(
    body: gongkai_domain::body::BodyKind,
    chain: &[DecisionRow],
) -> Option<dd::ProcedureCheck> {
    let kinds: Vec<(dd::MeetingKind, bool)> = chain
        .iter()
        .map(|d| {
            (
                dd::MeetingKind::parse(&d.meeting_kind).unwrap_or(dd::MeetingKind::Other),
                d.passed,
            )
        })
        .collect();
    dd::check_procedure(body, &kinds)
}

impl DecisionRow {
    pub fn kind_label(&self) -> &'static str {
        dd::MeetingKind::parse(&self.meeting_kind).map_or("会议", |k| k.label())
    }
    pub fn attendee_list(&self) -> Vec<String> {
        serde_json::from_str(&self.attendees).unwrap_or_default()
    }
    /// 「…表决通过：赞成N票，反对N票，弃权N票」.
    pub fn summary(&self) -> String {
        dd::summary(
            dd::MeetingKind::parse(&self.meeting_kind).unwrap_or(dd::MeetingKind::Other),
            chrono::NaiveDate::parse_from_str(&self.meeting_on, "%Y-%m-%d").unwrap_or_default(),
            self.votes_for as u32,
            self.votes_against as u32,
            self.votes_abstain as u32,
            self.passed,
        )
    }
}

const COLS: &str = "id, body_id, meeting_kind, meeting_on, motion, attendees, votes_for, votes_against, \
    votes_abstain, passed, follows_id, minutes_sha256, minutes_name, minutes_mime, minutes_size, created_by, \
    result_item_id";

impl Store {
    /// Record a decision of `body_id`; `follows` must be an earlier decision of the same body.
    pub async fn record_collective_decision(
        &self,
        body_id: i64,
        v: &ValidDecision,
        follows: Option<i64>,
        minutes: Option<&Proof>,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let attendees = serde_json::to_string(&v.attendees).unwrap_or_else(|_| "[]".into());
        write_tx!(self, |tx| {
            if let Some(f) = follows {
                let ok: Option<(i64, String)> = sqlx::query_as(
                    "SELECT body_id, meeting_on FROM collective_decisions WHERE id = $1",
                )
                .bind(f)
                .fetch_optional(&mut *tx)
                .await?;
                match ok {
                    Some((b, on)) if b == body_id && on <= v.meeting_on.to_string() => {}
                    _ => {
                        return Err(StoreError::Invalid(
                            "所依据的前序决策须是本机关此前的决策".into(),
                        ));
                    }
                }
            }
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO collective_decisions (body_id, meeting_kind, meeting_on, motion, attendees, votes_for, \
                 votes_against, votes_abstain, passed, follows_id, minutes_sha256, minutes_name, minutes_mime, minutes_size, \
                 created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id",
            )
            .bind(body_id)
            .bind(v.meeting_kind.as_str())
            .bind(v.meeting_on.to_string())
            .bind(&v.motion)
            .bind(&attendees)
            .bind(i64::from(v.votes_for))
            .bind(i64::from(v.votes_against))
            .bind(i64::from(v.votes_abstain))
            .bind(v.passed)
            .bind(follows)
            .bind(minutes.map(|m| m.sha256.clone()))
            .bind(minutes.map(|m| m.name.clone()))
            .bind(minutes.map(|m| m.mime.clone()))
            .bind(minutes.map(|m| m.size))
            .bind(&who.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("decision.record", "collective_decision", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({
                        "meeting": v.meeting_kind.as_str(), "on": v.meeting_on.to_string(),
                        "for": v.votes_for, "against": v.votes_against, "abstain": v.votes_abstain,
                        "passed": v.passed, "follows": follows,
                    }))
            );
            Ok(id)
        })
    }

    pub async fn collective_decision(&self, id: i64) -> StoreResult<DecisionRow> {
        read!(self, |c| {
            sqlx::query_as::<_, DecisionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM collective_decisions WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The decisions of a body, newest meeting first.
    pub async fn collective_decisions_of(&self, body_id: i64) -> StoreResult<Vec<DecisionRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, DecisionRow>(sqlx::AssertSqlSafe(format!(
                "SELECT {COLS} FROM collective_decisions WHERE body_id = $1 ORDER BY meeting_on DESC, id DESC"
            )))
            .bind(body_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// A decision and the ones it follows, earliest first (校委会 proposal → 教代会 approval).
    pub async fn decision_chain(&self, id: i64) -> StoreResult<Vec<DecisionRow>> {
        let mut chain = Vec::new();
        let mut next = Some(id);
        while let Some(i) = next {
            if chain.len() >= 100 {
                return Err(StoreError::Invalid(
                    "决策过程超过100次会议，请核对前序决策".into(),
                ));
            }
            let d = self.collective_decision(i).await?;
            next = d.follows_id;
            chain.push(d);
        }
        chain.reverse();
        Ok(chain)
    }

    /// Why decision `id` may not be announced by a 公示 or have its 实施结果 recorded for body
    /// `body_id` (`None`: it may): of the same body, passed, the last of its chain (not a step a
    /// later meeting took further), and its body's procedure complete.
    pub async fn announce_problem(&self, id: i64, body_id: i64) -> StoreResult<Option<String>> {
        let d = match self.collective_decision(id).await {
            Ok(d) if d.body_id == body_id => d,
            Ok(_) | Err(StoreError::NotFound) => {
                return Ok(Some("只能引用本机关的决策记录".into()));
            }
            Err(e) => return Err(e),
        };
        if !d.passed {
            return Ok(Some("未表决通过的决策不能作为公示依据".into()));
        }
        let followed: i64 = read!(self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM collective_decisions WHERE follows_id = $1")
                .bind(id)
                .fetch_one(c)
                .await
        })?;
        if followed > 0 {
            return Ok(Some(
                "该决策已有后续会议审议，请引用最后一次会议的决策".into(),
            ));
        }
        let body = self.get_body(body_id).await?;
        let chain = self.decision_chain(id).await?;
        Ok(check_procedure(body.kind(), &chain).and_then(|c| c.problem()))
    }

    /// Cite a decision of the same body from an item's notice (or stop citing one). Until the
    /// period starts the citation may change; once it has started a missing one may be added
    /// while it runs, but one the public has seen is not changed or removed.
    pub async fn cite_decision(
        &self,
        item_id: i64,
        decision_id: Option<i64>,
        today: chrono::NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let body: Option<i64> = read!(self, |c| {
            sqlx::query_scalar(
                "SELECT i.body_id FROM notice_periods n JOIN items i ON i.id = n.item_id WHERE n.item_id = $1",
            )
            .bind(item_id)
            .fetch_optional(c)
            .await
        })?;
        let Some(body_id) = body else {
            return Err(StoreError::Invalid("请先设置公示期".into()));
        };
        if let Some(d) = decision_id
            && let Some(problem) = self.announce_problem(d, body_id).await?
        {
            return Err(StoreError::Invalid(problem));
        }
        let day = today.to_string();
        write_tx!(self, |tx| {
            let row: Option<(String, String, Option<i64>)> = sqlx::query_as(
                "SELECT start_on, end_on, decision_id FROM notice_periods WHERE item_id = $1",
            )
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((start, end, current)) = row else {
                return Err(StoreError::Invalid("请先设置公示期".into()));
            };
            if current == decision_id {
                return Ok(());
            }
            if end < day {
                return Err(StoreError::Invalid(
                    "公示期已满，所依据的决策不能再更改".into(),
                ));
            }
            if start <= day && current.is_some() {
                return Err(StoreError::Invalid(
                    "公示已开始，已公开的决策依据不能更改或撤销".into(),
                ));
            }
            sqlx::query("UPDATE notice_periods SET decision_id = $1 WHERE item_id = $2")
                .bind(decision_id)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("notice.cite", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"decision": current}))
                    .after(serde_json::json!({"decision": decision_id}))
            );
            Ok(())
        })
    }

    /// The decision a notice cites, if any.
    pub async fn cited_decision(&self, item_id: i64) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, Option<i64>>(
                "SELECT decision_id FROM notice_periods WHERE item_id = $1",
            )
            .bind(item_id)
            .fetch_optional(c)
            .await
        })?
        .flatten())
    }

    /// Record the published item that reports how a decision was carried out (实施结果公开): a
    /// decision that may be announced (`announce_problem`) whose 公示 — published and public — has
    /// taken effect, and a public item of the same body published on or after that day, other
    /// than the 公示 itself. A later, corrected report may replace it; the audit keeps both.
    pub async fn record_decision_result(
        &self,
        decision_id: i64,
        item_id: i64,
        who: &Who,
    ) -> StoreResult<()> {
        let d = self.collective_decision(decision_id).await?;
        if let Some(problem) = self.announce_problem(decision_id, d.body_id).await? {
            return Err(StoreError::Invalid(problem));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let effective: Option<String> = sqlx::query_scalar(
                "SELECT MIN(n.effective_on) FROM notice_periods n JOIN items i ON i.id = n.item_id \
                 WHERE n.decision_id = $1 AND i.status = 'published' AND i.scope = 'public'",
            )
            .bind(decision_id)
            .fetch_one(&mut *tx)
            .await?;
            let Some(effective) = effective else {
                return Err(StoreError::Invalid(
                    "决议经公示生效后，方可公开实施结果".into(),
                ));
            };
            let item: Option<(i64, String, String, Option<String>)> = sqlx::query_as(
                "SELECT body_id, status, scope, published_on FROM items WHERE id = $1",
            )
            .bind(item_id)
            .fetch_optional(&mut *tx)
            .await?;
            let cites: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM notice_periods WHERE item_id = $1 AND decision_id = $2",
            )
            .bind(item_id)
            .bind(decision_id)
            .fetch_one(&mut *tx)
            .await?;
            let refuse = |m: &str| Err(StoreError::Invalid(m.into()));
            match item {
                None => return refuse("未找到该信息，请核对编号"),
                Some((b, ..)) if b != d.body_id => return refuse("实施结果须是本机关发布的信息"),
                Some((_, status, scope, _)) if status != "published" || scope != "public" => {
                    return refuse("实施结果须是已主动公开的信息");
                }
                _ if cites > 0 => return refuse("实施结果不能是公示本身，请发布实施情况的信息"),
                Some((.., on)) if on.as_deref().is_none_or(|o| o < effective.as_str()) => {
                    return refuse("实施结果须是决议生效后发布的信息");
                }
                _ => {}
            }
            sqlx::query(
                "UPDATE collective_decisions SET result_item_id = $1, result_at = $2 WHERE id = $3",
            )
            .bind(item_id)
            .bind(now)
            .bind(decision_id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("decision.result", "collective_decision", decision_id)
                    .who(who)
                    .body(Some(d.body_id))
                    .before(serde_json::json!({"item": d.result_item_id}))
                    .after(serde_json::json!({"item": item_id}))
            );
            Ok(())
        })
    }

    /// The first notice citing a decision (its 决议公开), if any.
    pub async fn citing_notice(&self, decision_id: i64) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT item_id FROM notice_periods WHERE decision_id = $1 ORDER BY item_id LIMIT 1",
            )
            .bind(decision_id)
            .fetch_optional(c)
            .await
        })?)
    }
}
