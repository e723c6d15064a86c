//! 依申请公开 storage: applications and their events. Every event is one transaction with the
//! case row (status, due date computed by `domain::application::compute`) and its audit entry.

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::application::{self as app, CaseStatus, ClockEvent, ReplyType};
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::calendar::Calendar;
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Application {
    pub id: i64,
    pub number: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub body_id: i64,
    pub routed: bool,
    pub channel: String,
    pub submitted_on: String,
    pub received_on: Option<String>,
    pub applicant_type: String,
    pub applicant_name: String,
    pub id_type: String,
    #[serde(skip)]
    pub id_sealed: String,
    #[serde(skip)]
    pub contact_sealed: String,
    pub description: String,
    pub doc_no_hint: String,
    pub form_wanted: String,
    pub delivery: String,
    pub status: String,
    pub handler_id: Option<i64>,
    pub due_on: Option<String>,
    pub reply_type: Option<String>,
    pub reply_row: Option<String>,
    pub reply_text: String,
    pub replied_on: Option<String>,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Application {
    pub fn status(&self) -> CaseStatus {
        CaseStatus::parse(&self.status).unwrap_or(CaseStatus::Handling)
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
    pub fn is_open(&self) -> bool {
        matches!(
            self.status(),
            CaseStatus::Pending
                | CaseStatus::Handling
                | CaseStatus::Correcting
                | CaseStatus::Consulting
                | CaseStatus::AwaitingFee
        )
    }
    pub fn applicant_type_label(&self) -> &'static str {
        app::ApplicantType::parse(&self.applicant_type)
            .map(|t| t.label())
            .unwrap_or("")
    }
    pub fn channel_label(&self) -> &'static str {
        app::Channel::parse(&self.channel)
            .map(|t| t.label())
            .unwrap_or("")
    }
    pub fn reply_label(&self) -> &'static str {
        self.reply_type
            .as_deref()
            .and_then(ReplyType::parse)
            .map(|t| t.label())
            .unwrap_or("")
    }
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct AppEventRow {
    pub id: i64,
    pub application_id: i64,
    pub kind: String,
    pub on_date: String,
    pub data: String,
    pub actor_name: String,
    pub at_ms: i64,
}

/// The kinds of a case's events, with their labels (the history, the API).
pub const APPLICATION_EVENT_KINDS: &[(&str, &str)] = &[
    ("received", "收到申请"),
    ("correction_requested", "发出补正通知"),
    ("correction_received", "收到补正材料"),
    ("consultation_sent", "征求意见"),
    ("consultation_answered", "收到意见"),
    ("extended", "延期答复"),
    ("fee_noticed", "发出收费通知"),
    ("fee_paid", "申请人已缴费"),
    ("assign", "分配办理人"),
    ("reply", "作出答复"),
    ("transfer", "转办"),
    ("abandon", "视为放弃"),
    ("withdraw", "申请人撤回申请"),
    ("notice", "送达文书"),
    ("close", "办结"),
    ("review", "行政复议或行政诉讼"),
];

impl AppEventRow {
    /// The note kept with the event, if any.
    pub fn note(&self) -> String {
        serde_json::from_str::<serde_json::Value>(&self.data)
            .ok()
            .and_then(|v| v.get("note").and_then(|n| n.as_str()).map(str::to_string))
            .unwrap_or_default()
    }

    /// What happened, in Chinese.
    pub fn label(&self) -> &'static str {
        APPLICATION_EVENT_KINDS
            .iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("其他", |(_, l)| *l)
    }

    /// What the timeline shows beside the label: the structured data of fee and delivery
    /// events, then the note.
    pub fn detail(&self) -> String {
        let v: serde_json::Value = serde_json::from_str(&self.data).unwrap_or_default();
        let ev = v
            .get("event")
            .and_then(|e| serde_json::from_value::<CaseEvent>(e.clone()).ok());
        let mut parts: Vec<String> = Vec::new();
        match ev {
            Some(CaseEvent::FeeNotice {
                basis,
                amount_fen,
                reason,
                ..
            }) => {
                let standard = i64::from(app::fee(basis)) * 100;
                parts.push(format!(
                    "{}，应缴{}",
                    fee_basis_text(basis),
                    app::yuan(amount_fen.unwrap_or(standard))
                ));
                if amount_fen.is_some_and(|x| x != standard) {
                    parts.push(format!(
                        "标准金额{}，调整理由：{}",
                        app::yuan(standard),
                        reason.trim()
                    ));
                }
            }
            Some(CaseEvent::FeePayment {
                paid_fen,
                receipt_no,
                ..
            }) => {
                parts.push(format!("实缴{}，票据号{}", app::yuan(paid_fen), receipt_no));
            }
            Some(CaseEvent::Notice {
                notice,
                how,
                tracking_no,
                proof,
                ..
            }) => {
                let mut t = format!(
                    "{}：{}",
                    gongkai_domain::notice::document_title(&notice).unwrap_or(""),
                    app::delivery_method_label(&how)
                );
                if !tracking_no.is_empty() {
                    t.push_str(&format!("（邮件号{tracking_no}）"));
                }
                if proof.is_some() {
                    t.push_str("，附送达凭证");
                }
                parts.push(t);
            }
            _ => {}
        }
        let note = self.note();
        if !note.is_empty() {
            parts.push(note);
        }
        parts.join("；")
    }

    /// The clock event this row records, if it is one.
    pub fn clock(&self) -> Option<ClockEvent> {
        serde_json::from_str::<ClockEvent>(&self.data).ok()
    }
}

/// "按件计收（本月第12件申请）" / "按页计收（250页）".
pub fn fee_basis_text(b: app::FeeBasis) -> String {
    match b {
        app::FeeBasis::PerApplication { nth_in_month } => {
            format!("按件计收（本月第{nth_in_month}件申请）")
        }
        app::FeeBasis::PerPage { pages } => format!("按页计收（{pages}页）"),
    }
}

/// A fee notice and its payment.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct FeeRow {
    pub id: i64,
    pub application_id: i64,
    pub noticed_on: String,
    pub method: String,
    pub quantity: i64,
    pub standard_fen: i64,
    pub amount_fen: i64,
    pub adjust_reason: String,
    pub due_on: String,
    pub paid_on: Option<String>,
    pub paid_fen: Option<i64>,
    pub receipt_no: Option<String>,
}

impl FeeRow {
    pub fn basis_text(&self) -> String {
        let q = u32::try_from(self.quantity).unwrap_or(0);
        fee_basis_text(if self.method == "per_page" {
            app::FeeBasis::PerPage { pages: q }
        } else {
            app::FeeBasis::PerApplication { nth_in_month: q }
        })
    }
    pub fn amount(&self) -> String {
        app::yuan(self.amount_fen)
    }
    pub fn standard(&self) -> String {
        app::yuan(self.standard_fen)
    }
    pub fn paid(&self) -> String {
        self.paid_fen.map(app::yuan).unwrap_or_default()
    }
}

/// A delivery record.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct DeliveryRow {
    pub id: i64,
    pub application_id: i64,
    pub notice: String,
    pub method: String,
    pub delivered_on: String,
    pub tracking_no: String,
    pub note: String,
    pub proof_sha256: Option<String>,
    pub proof_name: Option<String>,
    pub proof_mime: Option<String>,
    pub proof_size: Option<i64>,
    pub actor_name: String,
    pub created_at: i64,
}

impl DeliveryRow {
    pub fn notice_title(&self) -> &'static str {
        gongkai_domain::notice::document_title(&self.notice).unwrap_or("")
    }
    pub fn method_label(&self) -> &'static str {
        app::delivery_method_label(&self.method)
    }
}

/// A new application, already validated and with its personal data sealed.
#[derive(Debug, Clone)]
pub struct NewApplication {
    pub body_id: i64,
    pub routed: bool,
    pub channel: app::Channel,
    pub submitted_on: NaiveDate,
    pub received_on: NaiveDate,
    pub applicant_type: app::ApplicantType,
    pub applicant_name: String,
    pub id_type: String,
    pub id_sealed: String,
    pub contact_sealed: String,
    pub description: String,
    pub doc_no_hint: String,
    pub form_wanted: String,
    pub delivery: String,
    pub secret_hash: String,
}

/// What happens to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum CaseEvent {
    Clock(ClockEvent),
    Assign {
        handler_id: i64,
        handler_name: String,
    },
    Reply {
        on: NaiveDate,
        reply: ReplyType,
        text: String,
    },
    /// 转办: not this body's; name the right body.
    Transfer {
        on: NaiveDate,
        to_body: String,
        text: String,
    },
    /// 视为放弃 (no correction in time, or fee not paid).
    Abandon {
        on: NaiveDate,
        reply: ReplyType,
    },
    /// The applicant withdraws.
    Withdraw {
        on: NaiveDate,
    },
    /// 收费通知 (国办函〔2020〕109号): the basis, and the amount when the handler sets one that
    /// differs from the standard (with the reason). The standard is computed here.
    FeeNotice {
        on: NaiveDate,
        basis: app::FeeBasis,
        /// None: the standard amount.
        amount_fen: Option<i64>,
        reason: String,
    },
    /// Payment of the pending fee: the amount paid (must be the notice's) and the receipt number.
    FeePayment {
        on: NaiveDate,
        paid_fen: i64,
        receipt_no: String,
    },
    /// Delivery (送达) of a notice: which document, how (`domain::application::DELIVERY_METHODS`),
    /// the postal tracking number, and an optional proof file already in the attachment store.
    Notice {
        on: NaiveDate,
        notice: String,
        how: String,
        tracking_no: String,
        proof: Option<Proof>,
    },
    Close {
        on: NaiveDate,
    },
    /// 行政复议 or 行政诉讼 about the case, for the annual report's table 四. A later record of
    /// the same proceeding carries its outcome.
    Review {
        on: NaiveDate,
        /// `reconsideration` (行政复议), `lawsuit` (未经复议直接起诉) or `lawsuit_after_review` (复议后起诉).
        proceeding: String,
        authority: String,
        /// `upheld` (维持), `corrected` (纠正), `other` (其他), `pending` (尚未审结).
        outcome: String,
    },
}

/// A proof-of-delivery file (postal receipt scan …), stored in the attachment `BlobStore`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proof {
    pub sha256: String,
    pub name: String,
    pub mime: String,
    pub size: i64,
}

impl CaseEvent {
    /// The clock event this case event is, if any.
    pub fn clock_event(&self) -> Option<ClockEvent> {
        match self {
            CaseEvent::Clock(c) => Some(c.clone()),
            CaseEvent::FeeNotice { on, .. } => Some(ClockEvent::FeeNoticed { on: *on }),
            CaseEvent::FeePayment { on, .. } => Some(ClockEvent::FeePaid { on: *on }),
            _ => None,
        }
    }

    fn key(&self) -> String {
        match self {
            CaseEvent::FeeNotice { .. } => "fee_noticed".into(),
            CaseEvent::FeePayment { .. } => "fee_paid".into(),
            CaseEvent::Clock(c) => serde_json::to_value(c)
                .ok()
                .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
                .unwrap_or_else(|| "clock".into()),
            CaseEvent::Assign { .. } => "assign".into(),
            CaseEvent::Reply { .. } => "reply".into(),
            CaseEvent::Transfer { .. } => "transfer".into(),
            CaseEvent::Abandon { .. } => "abandon".into(),
            CaseEvent::Withdraw { .. } => "withdraw".into(),
            CaseEvent::Notice { .. } => "notice".into(),
            CaseEvent::Close { .. } => "close".into(),
            CaseEvent::Review { .. } => "review".into(),
        }
    }

    /// The event's date, if it has one (an assignment has none).
    fn date_mut(&mut self) -> Option<&mut NaiveDate> {
        match self {
            CaseEvent::Clock(c) => Some(c.on_mut()),
            CaseEvent::Reply { on, .. }
            | CaseEvent::Transfer { on, .. }
            | CaseEvent::Abandon { on, .. }
            | CaseEvent::Withdraw { on }
            | CaseEvent::Notice { on, .. }
            | CaseEvent::FeeNotice { on, .. }
            | CaseEvent::FeePayment { on, .. }
            | CaseEvent::Review { on, .. }
            | CaseEvent::Close { on } => Some(on),
            CaseEvent::Assign { .. } => None,
        }
    }

    /// The event's date; an assignment counts as of `today`.
    fn on(&self, today: NaiveDate) -> NaiveDate {
        self.clone().date_mut().map_or(today, |d| *d)
    }
}

const APP_COLS: &str = "id, number, secret_hash, body_id, routed, channel, submitted_on, received_on, \
    applicant_type, applicant_name, id_type, id_sealed, contact_sealed, description, doc_no_hint, \
    form_wanted, delivery, status, handler_id, due_on, reply_type, reply_row, reply_text, replied_on, \
    version, created_at, updated_at";

/// A generated application (benchmarks only).
#[derive(Debug, Clone)]
pub struct BenchApplication {
    pub body_id: i64,
    pub number: String,
    pub received_on: String,
    pub status: String,
    pub due_on: Option<String>,
    pub applicant_type: String,
    pub reply_type: Option<String>,
    /// The day of the reply (default: the day received).
    pub replied_on: Option<String>,
}

type BenchTuple = (
    i64,
    String,
    String,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
);

/// A list row for the back office.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct AppListRow {
    pub id: i64,
    pub number: String,
    pub body_id: i64,
    pub body_name: String,
    pub applicant_name: String,
    pub description: String,
    pub status: String,
    pub received_on: Option<String>,
    pub due_on: Option<String>,
}

impl AppListRow {
    pub fn status_label(&self) -> &'static str {
        CaseStatus::parse(&self.status)
            .map(|s| s.label())
            .unwrap_or("")
    }
}

impl Store {
    /// Store a new application and its receipt event; returns (id, tracking number). Committed
    /// before the caller answers, so an acknowledged application is never lost.
    pub async fn create_application(
        &self,
        a: &NewApplication,
        cal: &Calendar,
        who: &Who,
    ) -> StoreResult<(i64, String)> {
        let received = ClockEvent::Received { on: a.received_on };
        let clock = app::compute(cal, std::slice::from_ref(&received), a.received_on)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let now = crate::now_ms();
        for _ in 0..5 {
            let number = format!(
                "{}-{:06}",
                a.submitted_on.format("%Y%m%d"),
                rand::random::<u32>() % 1_000_000
            );
            let r = write_tx!(self, |tx| {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO applications (number, secret_hash, body_id, routed, channel, submitted_on, received_on, \
                     applicant_type, applicant_name, id_type, id_sealed, contact_sealed, description, doc_no_hint, \
                     form_wanted, delivery, status, due_on, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, 'handling', $17, $18, $18) RETURNING id",
                )
                .bind(&number)
                .bind(&a.secret_hash)
                .bind(a.body_id)
                .bind(a.routed)
                .bind(a.channel.as_str())
                .bind(a.submitted_on.to_string())
                .bind(a.received_on.to_string())
                .bind(a.applicant_type.as_str())
                .bind(&a.applicant_name)
                .bind(&a.id_type)
                .bind(&a.id_sealed)
                .bind(&a.contact_sealed)
                .bind(&a.description)
                .bind(&a.doc_no_hint)
                .bind(&a.form_wanted)
                .bind(&a.delivery)
                .bind(clock.due_on.map(|d| d.to_string()))
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO application_events (application_id, kind, on_date, data, actor_id, actor_name, at_ms) \
                     VALUES ($1, 'received', $2, $3, $4, $5, $6)",
                )
                .bind(id)
                .bind(a.received_on.to_string())
                .bind(serde_json::to_string(&received).unwrap_or_default())
                .bind(who.user_id)
                .bind(&who.name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                audit_append!(
                    tx,
                    AuditEvent::new("application.create", "application", id)
                        .who(who)
                        .body(Some(a.body_id))
                        .after(serde_json::json!({"number": number, "channel": a.channel.as_str(), "received_on": a.received_on}))
                );
                Ok(id)
            });
            match r {
                Ok(id) => return Ok((id, number)),
                Err(e) if e.is_unique_violation() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict("生成申请编号失败，请重试".into()))
    }

    pub async fn count_applications(&self) -> StoreResult<i64> {
        Ok(read!(self, |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM applications")
                .fetch_one(c)
                .await
        })?)
    }

    pub async fn get_application(&self, id: i64) -> StoreResult<Application> {
        read!(self, |c| {
            sqlx::query_as::<_, Application>(sqlx::AssertSqlSafe(format!(
                "SELECT {APP_COLS} FROM applications WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn find_application(&self, number: &str) -> StoreResult<Option<Application>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Application>(sqlx::AssertSqlSafe(format!(
                "SELECT {APP_COLS} FROM applications WHERE number = $1"
            )))
            .bind(number.trim())
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn application_events(&self, id: i64) -> StoreResult<Vec<AppEventRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, AppEventRow>(
                "SELECT id, application_id, kind, on_date, data, actor_name, at_ms FROM application_events WHERE application_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// The fee notices of a case, oldest first.
    pub async fn application_fees(&self, id: i64) -> StoreResult<Vec<FeeRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, FeeRow>(
                "SELECT id, application_id, noticed_on, method, quantity, standard_fen, amount_fen, adjust_reason, due_on, \
                 paid_on, paid_fen, receipt_no FROM application_fees WHERE application_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// The delivery records of a case, oldest first.
    pub async fn application_deliveries(&self, id: i64) -> StoreResult<Vec<DeliveryRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, DeliveryRow>(
                "SELECT id, application_id, notice, method, delivered_on, tracking_no, note, proof_sha256, proof_name, \
                 proof_mime, proof_size, actor_name, created_at FROM application_deliveries WHERE application_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Record one event under the rules: the clock events are checked by the domain model (补正
    /// once within 7 working days, one extension of at most 20 working days, …) and the case's
    /// status and due date follow. Refused events change nothing.
    /// `note` (a comment, the applicant's correction, what was withheld …) is kept with the event.
    pub async fn add_case_event(
        &self,
        id: i64,
        ev: &CaseEvent,
        note: Option<&str>,
        cal: &Calendar,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<app::Clock> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let a = sqlx::query_as::<_, Application>(sqlx::AssertSqlSafe(format!(
                "SELECT {APP_COLS} FROM applications WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let open = a.is_open();
            if !open
                && !matches!(
                    ev,
                    CaseEvent::Notice { .. } | CaseEvent::Close { .. } | CaseEvent::Review { .. }
                )
            {
                return Err(StoreError::Invalid(format!(
                    "该申请已{}，不能再办理此事项",
                    a.status_label()
                )));
            }
            let rows = sqlx::query_as::<_, AppEventRow>(
                "SELECT id, application_id, kind, on_date, data, actor_name, at_ms FROM application_events WHERE application_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
            let mut clock_events: Vec<ClockEvent> =
                rows.iter().filter_map(AppEventRow::clock).collect();
            // A step dated in the rest days before an online receipt counts on the receipt day.
            let mut ev = ev.clone();
            let received = clock_events.iter().find_map(|c| match c {
                ClockEvent::Received { on } => Some(*on),
                _ => None,
            });
            if let (Some(r), Some(on)) = (received, ev.date_mut()) {
                *on = app::step_day(cal, *on, r).map_err(|e| StoreError::Invalid(e.to_string()))?;
            }
            let ev = &ev;
            if matches!(
                ev,
                CaseEvent::Clock(ClockEvent::FeeNoticed { .. } | ClockEvent::FeePaid { .. })
            ) {
                return Err(StoreError::Invalid(
                    "收费通知须登记金额，缴费须登记金额和票据号".into(),
                ));
            }
            if let Some(c) = ev.clock_event() {
                clock_events.push(c);
            }
            let clock = app::compute(cal, &clock_events, today)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            let (status, reply): (CaseStatus, Option<(ReplyType, String, NaiveDate)>) = match ev {
                CaseEvent::Clock(ClockEvent::CorrectionRequested { .. }) => {
                    (CaseStatus::Correcting, None)
                }
                CaseEvent::Clock(ClockEvent::CorrectionReceived { .. })
                | CaseEvent::Clock(ClockEvent::ConsultationAnswered { .. }) => {
                    (CaseStatus::Handling, None)
                }
                CaseEvent::Clock(ClockEvent::ConsultationSent { .. }) => {
                    (CaseStatus::Consulting, None)
                }
                CaseEvent::FeeNotice {
                    basis,
                    amount_fen,
                    reason,
                    ..
                } => {
                    let standard = i64::from(app::fee(*basis)) * 100;
                    let amount = amount_fen.unwrap_or(standard);
                    if amount <= 0 {
                        return Err(StoreError::Invalid(
                            "收费金额须大于0元；按标准不收费的，无需发出收费通知".into(),
                        ));
                    }
                    if amount > 100_000_000 {
                        return Err(StoreError::Invalid("收费金额过大，请核对".into()));
                    }
                    if amount != standard && reason.trim().is_empty() {
                        return Err(StoreError::Invalid(format!(
                            "收费金额{}与标准金额{}不同，须说明调整理由",
                            app::yuan(amount),
                            app::yuan(standard)
                        )));
                    }
                    (CaseStatus::AwaitingFee, None)
                }
                CaseEvent::FeePayment {
                    paid_fen,
                    receipt_no,
                    ..
                } => {
                    if receipt_no.trim().is_empty() {
                        return Err(StoreError::Invalid("请填写缴费票据号".into()));
                    }
                    if receipt_no.trim().chars().count() > 64 {
                        return Err(StoreError::Invalid("票据号过长（最多64个字符）".into()));
                    }
                    let pending: Option<(i64, i64)> = sqlx::query_as(
                        "SELECT id, amount_fen FROM application_fees WHERE application_id = $1 AND paid_on IS NULL ORDER BY id DESC LIMIT 1",
                    )
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?;
                    let Some((_, amount)) = pending else {
                        return Err(StoreError::Invalid("没有待缴的费用，不能登记缴费".into()));
                    };
                    if *paid_fen != amount {
                        return Err(StoreError::Invalid(format!(
                            "缴费金额{}与收费通知书的金额{}不一致，请核对",
                            app::yuan(*paid_fen),
                            app::yuan(amount)
                        )));
                    }
                    (CaseStatus::Handling, None)
                }
                CaseEvent::Notice {
                    notice,
                    how,
                    tracking_no,
                    ..
                } => {
                    if gongkai_domain::notice::document_title(notice).is_none() {
                        return Err(StoreError::Invalid("请选择送达的文书".into()));
                    }
                    if app::delivery_method_label(how).is_empty() {
                        return Err(StoreError::Invalid("请选择送达方式".into()));
                    }
                    if how == "post" && tracking_no.trim().is_empty() {
                        return Err(StoreError::Invalid(
                            "邮寄送达须填写邮件号（快递单号）".into(),
                        ));
                    }
                    if tracking_no.trim().chars().count() > 64 {
                        return Err(StoreError::Invalid("邮件号过长（最多64个字符）".into()));
                    }
                    (a.status(), None)
                }
                CaseEvent::Clock(_) | CaseEvent::Assign { .. } => (a.status(), None),
                CaseEvent::Review {
                    proceeding,
                    outcome,
                    authority,
                    ..
                } => {
                    if !matches!(
                        proceeding.as_str(),
                        "reconsideration" | "lawsuit" | "lawsuit_after_review"
                    ) || !matches!(
                        outcome.as_str(),
                        "upheld" | "corrected" | "other" | "pending"
                    ) {
                        return Err(StoreError::Invalid("请选择复议或诉讼的类型和结果".into()));
                    }
                    if authority.trim().is_empty() {
                        return Err(StoreError::Invalid("请填写复议机关或受理法院".into()));
                    }
                    (a.status(), None)
                }
                CaseEvent::Reply { on, reply, text } => {
                    if text.trim().is_empty() {
                        return Err(StoreError::Invalid("请填写答复内容".into()));
                    }
                    if matches!(reply, ReplyType::NoCorrection | ReplyType::FeeUnpaid) {
                        return Err(StoreError::Invalid(
                            "逾期不补正或不缴费的，请使用“视为放弃”办理".into(),
                        ));
                    }
                    if a.status() != CaseStatus::Handling {
                        return Err(StoreError::Invalid(format!(
                            "该申请当前{}，暂不能答复",
                            a.status_label()
                        )));
                    }
                    (CaseStatus::Replied, Some((*reply, text.clone(), *on)))
                }
                CaseEvent::Transfer { on, to_body, text } => {
                    if to_body.trim().is_empty() {
                        return Err(StoreError::Invalid("转办须写明应当受理的机关".into()));
                    }
                    (
                        CaseStatus::Transferred,
                        Some((
                            ReplyType::NotThisBody,
                            format!("{}（应当受理的机关：{to_body}）", text.trim()),
                            *on,
                        )),
                    )
                }
                CaseEvent::Abandon { on, reply } => {
                    let ok = match reply {
                        ReplyType::NoCorrection => a.status() == CaseStatus::Correcting,
                        ReplyType::FeeUnpaid => a.status() == CaseStatus::AwaitingFee,
                        _ => false,
                    };
                    if !ok {
                        return Err(StoreError::Invalid(
                            "只有补正中或待缴费的申请，逾期后才能视为放弃".into(),
                        ));
                    }
                    let deadline = clock.paused.map(|p| p.2);
                    if reply == &ReplyType::FeeUnpaid && deadline.is_some_and(|d| *on <= d) {
                        return Err(StoreError::Invalid(format!(
                            "缴费期限（{}）尚未届满",
                            deadline.map(|d| d.to_string()).unwrap_or_default()
                        )));
                    }
                    (
                        CaseStatus::Abandoned,
                        Some((*reply, reply.label().to_string(), *on)),
                    )
                }
                CaseEvent::Withdraw { on } => (
                    CaseStatus::Withdrawn,
                    Some((ReplyType::OtherHandling, "申请人撤回申请".into(), *on)),
                ),
                CaseEvent::Close { .. } => {
                    if a.status() != CaseStatus::Replied {
                        return Err(StoreError::Invalid("答复送达后才能办结".into()));
                    }
                    (CaseStatus::Closed, None)
                }
            };
            let on = ev.on(today);
            sqlx::query(
                "INSERT INTO application_events (application_id, kind, on_date, data, actor_id, actor_name, at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id)
            .bind(ev.key())
            .bind(on.to_string())
            .bind({
                let mut v = match (ev, ev.clock_event()) {
                    (CaseEvent::Clock(c), _) => serde_json::to_value(c).unwrap_or_default(),
                    // Fee events: the clock event (read by `compute`) and their own data.
                    (other, Some(c)) => {
                        let mut v = serde_json::to_value(c).unwrap_or_default();
                        if let Some(obj) = v.as_object_mut() {
                            obj.insert("event".into(), serde_json::to_value(other).unwrap_or_default());
                        }
                        v
                    }
                    (other, None) => serde_json::json!({"event": other}),
                };
                if let (Some(n), Some(obj)) = (note.filter(|n| !n.trim().is_empty()), v.as_object_mut()) {
                    obj.insert("note".into(), serde_json::Value::String(n.trim().to_string()));
                }
                v.to_string()
            })
            .bind(who.user_id)
            .bind(&who.name)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            match ev {
                CaseEvent::FeeNotice {
                    on,
                    basis,
                    amount_fen,
                    reason,
                } => {
                    let standard = i64::from(app::fee(*basis)) * 100;
                    let (method, quantity) = match basis {
                        app::FeeBasis::PerApplication { nth_in_month } => {
                            ("per_application", *nth_in_month)
                        }
                        app::FeeBasis::PerPage { pages } => ("per_page", *pages),
                    };
                    let due = clock.paused.map(|p| p.2).unwrap_or(*on);
                    sqlx::query(
                        "INSERT INTO application_fees (application_id, noticed_on, method, quantity, standard_fen, amount_fen, adjust_reason, due_on, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
                    )
                    .bind(id)
                    .bind(on.to_string())
                    .bind(method)
                    .bind(i64::from(quantity))
                    .bind(standard)
                    .bind(amount_fen.unwrap_or(standard))
                    .bind(if amount_fen.is_some_and(|x| x != standard) { reason.trim() } else { "" })
                    .bind(due.to_string())
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                CaseEvent::FeePayment {
                    on,
                    paid_fen,
                    receipt_no,
                } => {
                    sqlx::query(
                        "UPDATE application_fees SET paid_on = $1, paid_fen = $2, receipt_no = $3, updated_at = $4 \
                         WHERE id = (SELECT MAX(id) FROM application_fees WHERE application_id = $5 AND paid_on IS NULL)",
                    )
                    .bind(on.to_string())
                    .bind(paid_fen)
                    .bind(receipt_no.trim())
                    .bind(now)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                }
                CaseEvent::Notice {
                    on,
                    notice,
                    how,
                    tracking_no,
                    proof,
                } => {
                    sqlx::query(
                        "INSERT INTO application_deliveries (application_id, notice, method, delivered_on, tracking_no, note, \
                         proof_sha256, proof_name, proof_mime, proof_size, actor_id, actor_name, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                    )
                    .bind(id)
                    .bind(notice)
                    .bind(how)
                    .bind(on.to_string())
                    .bind(tracking_no.trim())
                    .bind(note.unwrap_or("").trim())
                    .bind(proof.as_ref().map(|p| p.sha256.clone()))
                    .bind(proof.as_ref().map(|p| p.name.clone()))
                    .bind(proof.as_ref().map(|p| p.mime.clone()))
                    .bind(proof.as_ref().map(|p| p.size))
                    .bind(who.user_id)
                    .bind(&who.name)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                _ => {}
            }
            if let CaseEvent::Assign { handler_id, .. } = ev {
                sqlx::query("UPDATE applications SET handler_id = $1 WHERE id = $2")
                    .bind(handler_id)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some((t, text, on)) = &reply {
                sqlx::query("UPDATE applications SET reply_type = $1, reply_row = $2, reply_text = $3, replied_on = $4 WHERE id = $5")
                    .bind(t.as_str())
                    .bind(t.report_row())
                    .bind(text)
                    .bind(on.to_string())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE applications SET status = $1, due_on = $2, updated_at = $3, version = version + 1, closed_at = CASE WHEN $4 THEN $3 ELSE closed_at END WHERE id = $5")
                .bind(status.as_str())
                .bind(clock.due_on.map(|d| d.to_string()).or(a.due_on.clone()))
                .bind(now)
                .bind(matches!(status, CaseStatus::Closed | CaseStatus::Abandoned | CaseStatus::Withdrawn | CaseStatus::Transferred))
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new(&format!("application.{}", ev.key()), "application", id)
                    .who(who)
                    .body(Some(a.body_id))
                    .before(serde_json::json!({"status": a.status}))
                    .after(serde_json::json!({"status": status.as_str(), "event": ev}))
            );
            Ok(clock)
        })
    }

    /// Record that a handler viewed the unmasked identity and contacts (every such view is audited).
    pub async fn audit_reveal(&self, id: i64, body_id: i64, who: &Who) -> StoreResult<()> {
        self.audit(
            AuditEvent::new("application.reveal", "application", id)
                .who(who)
                .body(Some(body_id)),
        )
        .await
        .map(|_| ())
    }

    /// Cases in `scope`: open ones due on or before `until` (due soon and overdue), or all.
    pub async fn list_applications(
        &self,
        scope: &Scope,
        due_until: Option<NaiveDate>,
        open_only: bool,
        limit: i64,
    ) -> StoreResult<Vec<AppListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT a.id, a.number, a.body_id, b.name AS body_name, a.applicant_name, a.description, a.status, a.received_on, a.due_on \
                 FROM applications a JOIN bodies b ON b.id = a.body_id WHERE 1 = 1",
            );
            push_scope!(qb, scope, "b.path");
            if open_only || due_until.is_some() {
                qb.push(" AND a.status IN ('pending', 'handling', 'correcting', 'consulting', 'awaiting_fee')");
            }
            if let Some(d) = due_until {
                qb.push(" AND a.due_on <= ").push_bind(d.to_string());
            }
            qb.push(" ORDER BY a.due_on, a.id LIMIT ")
                .push_bind(limit.clamp(1, 1000));
            qb.build_query_as::<AppListRow>().fetch_all(c).await
        })?)
    }

    /// Bulk-load generated applications (benchmarks only): one multi-row insert per call.
    pub async fn bench_insert_applications_rows(
        &self,
        rows: &[BenchApplication],
    ) -> StoreResult<()> {
        let tuples: Vec<BenchTuple> = rows
            .iter()
            .map(|r| {
                (
                    r.body_id,
                    r.number.clone(),
                    r.received_on.clone(),
                    r.status.clone(),
                    r.due_on.clone(),
                    r.applicant_type.clone(),
                    r.reply_type.clone(),
                    r.replied_on.clone(),
                )
            })
            .collect();
        self.bench_insert_applications(&tuples).await
    }

    async fn bench_insert_applications(&self, rows: &[BenchTuple]) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO applications (number, secret_hash, body_id, routed, channel, submitted_on, received_on, applicant_type, \
                 applicant_name, id_type, id_sealed, contact_sealed, description, delivery, status, due_on, reply_type, reply_row, replied_on, created_at, updated_at) ",
            );
            qb.push_values(
                rows,
                |mut b, (body_id, number, received, status, due, applicant_type, reply, replied)| {
                    let row = reply.as_deref().and_then(app::ReplyType::parse);
                    b.push_bind(number.clone())
                        .push_bind("x")
                        .push_bind(*body_id)
                        .push_bind(true)
                        .push_bind("online")
                        .push_bind(received.clone())
                        .push_bind(received.clone())
                        .push_bind(applicant_type.clone())
                        .push_bind("基准申请人")
                        .push_bind("居民身份证")
                        .push_bind("v1:")
                        .push_bind("v1:")
                        .push_bind("基准测试生成的申请")
                        .push_bind("online")
                        .push_bind(status.clone())
                        .push_bind(due.clone())
                        .push_bind(reply.clone())
                        .push_bind(row.map(|r| r.report_row()))
                        .push_bind(row.map(|_| replied.clone().unwrap_or_else(|| received.clone())))
                        .push_bind(now)
                        .push_bind(now);
                },
            );
            qb.build().execute(&mut *tx).await?;
            Ok(())
        })
    }

    /// Applications of the same applicant (by sealed-independent name and id type) for similar
    /// information in the last 12 months are found by the caller; this returns the candidates.
    pub async fn applications_since(
        &self,
        body_id: i64,
        since: NaiveDate,
    ) -> StoreResult<Vec<Application>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Application>(sqlx::AssertSqlSafe(format!(
                "SELECT {APP_COLS} FROM applications WHERE body_id = $1 AND submitted_on >= $2 ORDER BY id"
            )))
            .bind(body_id)
            .bind(since.to_string())
            .fetch_all(c)
            .await
        })?)
    }
}
