//! 民主评议 (docs/design/supervision.md, stage 4): surveys, the bodies they appraise, and the
//! answers, one per person and body (a keyed hash of the identity, enforced by a unique index).
//! The rules (what a survey and an answer must be, the results) are `domain::appraisal`'s.

use gongkai_domain::access::Scope;
use gongkai_domain::appraisal::{
    Audience, Question, SurveyDraft, SurveyStatus, TextStatus, ValidAnswer,
};
use gongkai_domain::audit::{AuditEvent, Who};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct SurveyRow {
    pub id: i64,
    pub body_id: i64,
    pub title: String,
    pub intro: String,
    pub audience: String,
    pub opens_on: String,
    pub closes_on: String,
    pub min_answers: i64,
    pub questions: String,
    pub status: String,
    pub version: i64,
    pub created_by: String,
}

impl SurveyRow {
    pub fn questions(&self) -> Vec<Question> {
        serde_json::from_str(&self.questions).unwrap_or_default()
    }
    pub fn status(&self) -> SurveyStatus {
        SurveyStatus::parse(&self.status).unwrap_or(SurveyStatus::Draft)
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
    pub fn audience(&self) -> Audience {
        Audience::parse(&self.audience).unwrap_or(Audience::Public)
    }
    pub fn audience_label(&self) -> &'static str {
        self.audience().label()
    }
    pub fn is_draft(&self) -> bool {
        self.status() == SurveyStatus::Draft
    }
    pub fn opens(&self) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(&self.opens_on, "%Y-%m-%d").unwrap_or_default()
    }
    pub fn closes(&self) -> chrono::NaiveDate {
        chrono::NaiveDate::parse_from_str(&self.closes_on, "%Y-%m-%d").unwrap_or_default()
    }
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct AnswerRow {
    pub id: i64,
    pub survey_id: i64,
    pub body_id: i64,
    pub scores: String,
    pub text: String,
    pub text_status: String,
    pub created_at: i64,
}

impl AnswerRow {
    pub fn scores(&self) -> Vec<Option<u8>> {
        serde_json::from_str(&self.scores).unwrap_or_default()
    }
    pub fn text_status(&self) -> TextStatus {
        TextStatus::parse(&self.text_status).unwrap_or(TextStatus::Empty)
    }
    pub fn text_status_label(&self) -> &'static str {
        self.text_status().label()
    }
}

const SURVEY_COLS: &str = "s.id, s.body_id, s.title, s.intro, s.audience, s.opens_on, s.closes_on, s.min_answers, s.questions, s.status, s.version, s.created_by";

fn questions_json(d: &SurveyDraft) -> String {
    serde_json::to_string(&d.questions).unwrap_or_else(|_| "[]".into())
}

impl Store {
    pub async fn survey(&self, id: i64) -> StoreResult<SurveyRow> {
        read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {SURVEY_COLS} FROM surveys s WHERE s.id = "
            ));
            qb.push_bind(id);
            qb.build_query_as::<SurveyRow>().fetch_optional(c).await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The surveys organised by the bodies of `scope`, newest first.
    pub async fn surveys_in(&self, scope: &Scope) -> StoreResult<Vec<SurveyRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {SURVEY_COLS} FROM surveys s JOIN bodies b ON b.id = s.body_id WHERE 1 = 1"
            ));
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY s.opens_on DESC, s.id DESC");
            qb.build_query_as::<SurveyRow>().fetch_all(c).await
        })?)
    }

    /// The published surveys (open or closed), newest first.
    pub async fn public_surveys(&self) -> StoreResult<Vec<SurveyRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {SURVEY_COLS} FROM surveys s WHERE s.status <> 'draft' ORDER BY s.opens_on DESC, s.id DESC"
            ));
            qb.build_query_as::<SurveyRow>().fetch_all(c).await
        })?)
    }

    /// The bodies a survey appraises.
    pub async fn survey_bodies(&self, id: i64) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar(
                "SELECT body_id FROM survey_bodies WHERE survey_id = $1 ORDER BY body_id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// A new draft survey of `body_id` appraising `bodies`.
    pub async fn create_survey(
        &self,
        body_id: i64,
        d: &SurveyDraft,
        bodies: &[i64],
        who: &Who,
    ) -> StoreResult<i64> {
        write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO surveys (body_id, title, intro, audience, opens_on, closes_on, min_answers, questions, status, created_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'draft', $9, $10) RETURNING id",
            )
            .bind(body_id)
            .bind(&d.title)
            .bind(&d.intro)
            .bind(d.audience.as_str())
            .bind(d.opens_on.to_string())
            .bind(d.closes_on.to_string())
            .bind(d.min_answers)
            .bind(questions_json(d))
            .bind(&who.name)
            .bind(crate::now_ms())
            .fetch_one(&mut *tx)
            .await?;
            for b in bodies {
                sqlx::query("INSERT INTO survey_bodies (survey_id, body_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(b)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("survey.create", "survey", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"title": d.title, "bodies": bodies}))
            );
            Ok(id)
        })
    }

    /// Save a draft as of `version` (a stale page is refused).
    pub async fn save_survey(
        &self,
        id: i64,
        version: i64,
        d: &SurveyDraft,
        bodies: &[i64],
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE surveys SET title = $1, intro = $2, audience = $3, opens_on = $4, closes_on = $5, min_answers = $6, questions = $7, version = version + 1 \
                 WHERE id = $8 AND version = $9 AND status = 'draft'",
            )
            .bind(&d.title)
            .bind(&d.intro)
            .bind(d.audience.as_str())
            .bind(d.opens_on.to_string())
            .bind(d.closes_on.to_string())
            .bind(d.min_answers)
            .bind(questions_json(d))
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict(
                    "该评议已被他人修改或已发布，请刷新后重试（您填写的内容显示在下方）".into(),
                ));
            }
            sqlx::query("DELETE FROM survey_bodies WHERE survey_id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            for b in bodies {
                sqlx::query("INSERT INTO survey_bodies (survey_id, body_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id)
                    .bind(b)
                    .execute(&mut *tx)
                    .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("survey.save", "survey", id)
                    .who(who)
                    .after(serde_json::json!({"title": d.title, "bodies": bodies}))
            );
            Ok(())
        })
    }

    /// Move a survey from `from` to `to` as of `version` (open a draft, close an open one).
    pub async fn set_survey_status(
        &self,
        id: i64,
        version: i64,
        from: SurveyStatus,
        to: SurveyStatus,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE surveys SET status = $1, version = version + 1 WHERE id = $2 AND version = $3 AND status = $4",
            )
            .bind(to.as_str())
            .bind(id)
            .bind(version)
            .bind(from.as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::Conflict(
                    "该评议的状态已经改变，请刷新后重试".into(),
                ));
            }
            change_log!(tx, "survey", id, to.as_str());
            audit_append!(
                tx,
                AuditEvent::new(
                    if to == SurveyStatus::Open {
                        "survey.open"
                    } else {
                        "survey.close"
                    },
                    "survey",
                    id
                )
                .who(who)
            );
            Ok(())
        })
    }

    /// Record an answer counted against `voter_key` (committed before this returns), only while
    /// the survey is open and for one of its bodies (`Invalid` otherwise). A second answer of
    /// the same key for the same survey and body is a `Conflict`. The audit entry names no one:
    /// neither the account nor the address is linked to an answer anywhere.
    pub async fn add_answer(
        &self,
        survey_id: i64,
        a: &ValidAnswer,
        voter_key: &str,
    ) -> StoreResult<i64> {
        let status = if a.text.trim().is_empty() {
            TextStatus::Empty
        } else {
            TextStatus::Held
        };
        write_tx!(self, |tx| {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO survey_answers (survey_id, body_id, voter_key, scores, text, text_status, created_at) \
                 SELECT $1, $2, $3, $4, $5, $6, $7 \
                 WHERE EXISTS (SELECT 1 FROM surveys s WHERE s.id = $1 AND s.status = 'open') \
                 AND EXISTS (SELECT 1 FROM survey_bodies sb WHERE sb.survey_id = $1 AND sb.body_id = $2) \
                 ON CONFLICT (survey_id, body_id, voter_key) DO NOTHING RETURNING id",
            )
            .bind(survey_id)
            .bind(a.body_id)
            .bind(voter_key)
            .bind(serde_json::to_string(&a.scores).unwrap_or_else(|_| "[]".into()))
            .bind(&a.text)
            .bind(status.as_str())
            .bind(crate::now_ms())
            .fetch_optional(&mut *tx)
            .await?;
            let Some(id) = id else {
                let open: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM surveys s JOIN survey_bodies sb ON sb.survey_id = s.id \
                     WHERE s.id = $1 AND s.status = 'open' AND sb.body_id = $2",
                )
                .bind(survey_id)
                .bind(a.body_id)
                .fetch_one(&mut *tx)
                .await?;
                return Err(if open == 0 {
                    StoreError::Invalid("评议已结束或该单位不在本次评议之列".into())
                } else {
                    StoreError::Conflict("您已经评议过该单位，每人对每个单位只能评议一次".into())
                });
            };
            audit_append!(
                tx,
                AuditEvent::new("survey.answer", "survey", survey_id)
                    .who(&Who::public(""))
                    .body(Some(a.body_id))
            );
            Ok(id)
        })
    }

    /// Every answer of a survey, in the order received.
    pub async fn survey_answers(&self, survey_id: i64) -> StoreResult<Vec<AnswerRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, AnswerRow>(
                "SELECT id, survey_id, body_id, scores, text, text_status, created_at FROM survey_answers \
                 WHERE survey_id = $1 ORDER BY id",
            )
            .bind(survey_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Show or hide an answer's free text (a text of `survey_id` that has one).
    pub async fn moderate_answer(
        &self,
        survey_id: i64,
        answer_id: i64,
        to: TextStatus,
        who: &Who,
    ) -> StoreResult<()> {
        if !matches!(to, TextStatus::Visible | TextStatus::Hidden) {
            return Err(StoreError::Invalid("请选择公开或不予展示".into()));
        }
        write_tx!(self, |tx| {
            let n = sqlx::query(
                "UPDATE survey_answers SET text_status = $1 WHERE id = $2 AND survey_id = $3 AND text_status <> 'none'",
            )
            .bind(to.as_str())
            .bind(answer_id)
            .bind(survey_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            audit_append!(
                tx,
                AuditEvent::new("survey.moderate", "survey_answer", answer_id)
                    .who(who)
                    .after(serde_json::json!({"text_status": to.as_str()}))
            );
            Ok(())
        })
    }
}
