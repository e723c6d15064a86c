//! 信箱 storage: mailboxes, letters, their history and files. Every transition is one
//! transaction: the letter row, the event, the audit entry and a change-log row (`letter`), so
//! the public pages and feeds that show letters and statistics follow at once.

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::calendar::Calendar;
use gongkai_domain::letters::{
    self as dl, LetterStatus, LimitMode, LimitRule, MailboxKind, Rating, Standing, Step,
};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Mailbox {
    pub id: i64,
    pub body_id: i64,
    pub name: String,
    pub kind: String,
    pub limit_mode: String,
    pub limit_days: i64,
    pub ack_days: i64,
    pub extend_days: i64,
    pub anonymous_allowed: bool,
    pub publish_allowed: bool,
    pub approval_required: bool,
    pub intro: String,
    pub active: bool,
}

impl Mailbox {
    pub fn kind(&self) -> MailboxKind {
        MailboxKind::parse(&self.kind).unwrap_or(MailboxKind::Consult)
    }
    pub fn kind_label(&self) -> &'static str {
        self.kind().label()
    }
    pub fn is_report(&self) -> bool {
        self.kind() == MailboxKind::Report
    }
    pub fn rule(&self) -> LimitRule {
        LimitRule {
            mode: LimitMode::parse(&self.limit_mode).unwrap_or(LimitMode::Working),
            days: self.limit_days.clamp(1, 365) as u32,
            ack_days: self.ack_days.clamp(0, 365) as u32,
            extend_days: self.extend_days.clamp(0, 365) as u32,
        }
    }
    pub fn limit_text(&self) -> String {
        self.rule().describe()
    }
}

/// A mailbox's settings as saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxFields {
    pub name: String,
    pub kind: MailboxKind,
    pub rule: LimitRule,
    pub anonymous_allowed: bool,
    pub publish_allowed: bool,
    pub approval_required: bool,
    pub intro: String,
    pub active: bool,
}

const MAILBOX_COLS: &str = "id, body_id, name, kind, limit_mode, limit_days, ack_days, extend_days, \
    anonymous_allowed, publish_allowed, approval_required, intro, active";

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Letter {
    pub id: i64,
    pub number: String,
    #[serde(skip)]
    pub secret_hash: String,
    pub mailbox_id: i64,
    pub body_id: i64,
    pub kind: String,
    pub subject: String,
    pub content: String,
    pub anonymous: bool,
    pub writer_name: String,
    #[serde(skip)]
    pub writer_sealed: String,
    #[serde(skip)]
    pub writer_tag: String,
    #[serde(skip)]
    pub envelope_key: String,
    #[serde(skip)]
    pub envelope_key_id: String,
    pub consent_publish: bool,
    pub status: String,
    pub owner_id: Option<i64>,
    pub owner_name: String,
    pub received_on: String,
    pub limit_mode: String,
    pub limit_days: i64,
    pub ack_days: i64,
    pub extend_days: i64,
    pub clock_from: String,
    pub due_on: String,
    pub extended: i64,
    pub replied_on: Option<String>,
    pub reply_draft: String,
    pub reply_text: String,
    pub rating: Option<String>,
    pub rated_on: Option<String>,
    pub reopened: bool,
    pub published: bool,
    pub pub_subject: String,
    pub pub_content: String,
    pub pub_reply: String,
    pub published_at: Option<i64>,
    pub escalated_on: Option<String>,
    pub duplicate_of: Option<i64>,
    pub application_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
}

const LETTER_COLS: &str = "id, number, secret_hash, mailbox_id, body_id, kind, subject, content, anonymous, \
    writer_name, writer_sealed, writer_tag, envelope_key, envelope_key_id, consent_publish, status, owner_id, \
    owner_name, received_on, limit_mode, limit_days, ack_days, extend_days, clock_from, due_on, extended, replied_on, reply_draft, reply_text, rating, rated_on, reopened, \
    published, pub_subject, pub_content, pub_reply, published_at, escalated_on, duplicate_of, application_id, \
    created_at, updated_at";

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

impl Letter {
    /// The limit the letter runs under (its mailbox's when it arrived).
    pub fn rule(&self) -> LimitRule {
        LimitRule {
            mode: LimitMode::parse(&self.limit_mode).unwrap_or(LimitMode::Working),
            days: self.limit_days.clamp(1, 365) as u32,
            ack_days: self.ack_days.clamp(0, 365) as u32,
            extend_days: self.extend_days.clamp(0, 365) as u32,
        }
    }
    pub fn status(&self) -> LetterStatus {
        LetterStatus::parse(&self.status).unwrap_or(LetterStatus::Received)
    }
    pub fn status_label(&self) -> &'static str {
        self.status().label()
    }
    pub fn is_report(&self) -> bool {
        self.kind == MailboxKind::Report.as_str()
    }
    pub fn kind_label(&self) -> &'static str {
        MailboxKind::parse(&self.kind).map_or("", |k| k.label())
    }
    pub fn rating_label(&self) -> &'static str {
        self.rating
            .as_deref()
            .and_then(Rating::parse)
            .map_or("", |r| r.label())
    }
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        date(&self.due_on).is_some_and(|d| dl::is_overdue(self.status(), d, today))
    }
    /// The writer may still ask to reopen (shown on the tracking page).
    pub fn can_reopen(&self, today: NaiveDate) -> bool {
        dl::check_reopen(
            self.status(),
            self.replied_on.as_deref().and_then(date),
            self.reopened,
            today,
        )
        .is_ok()
    }
    pub fn reopen_until(&self) -> Option<NaiveDate> {
        self.replied_on
            .as_deref()
            .and_then(date)
            .map(dl::reopen_until)
    }
    pub fn envelope(&self) -> Option<dl::Envelope> {
        (!self.envelope_key.is_empty()).then(|| dl::Envelope {
            wrapped_key: self.envelope_key.clone(),
            key_id: self.envelope_key_id.clone(),
        })
    }
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct LetterEventRow {
    pub id: i64,
    pub letter_id: i64,
    pub kind: String,
    pub on_date: String,
    pub data: String,
    pub actor_name: String,
    pub at_ms: i64,
}

/// The kinds of a letter's events, with their labels (the history, the API).
pub const LETTER_EVENT_KINDS: &[(&str, &str)] = &[
    ("received", "收到来信"),
    ("taken", "受理（首问负责）"),
    ("assigned", "交办"),
    ("transferred", "转办"),
    ("extended", "延期"),
    ("draft", "保存答复草稿"),
    ("submitted", "提交答复审核"),
    ("approved", "审核通过"),
    ("returned", "退回修改"),
    ("replied", "答复"),
    ("rated", "来信人评价"),
    ("reopened", "来信人申请重新办理"),
    ("escalated", "超期督办"),
    ("published", "选登公开"),
    ("unpublished", "撤销公开"),
    ("dismissed", "不予受理"),
    ("converted", "转为政府信息公开申请"),
    ("revealed", "查看举报人身份"),
    ("emailed", "答复已发送至来信人电子邮箱"),
];

impl LetterEventRow {
    pub fn label(&self) -> &'static str {
        LETTER_EVENT_KINDS
            .iter()
            .find(|(k, _)| *k == self.kind)
            .map_or("其他", |(_, l)| *l)
    }
    fn field(&self, k: &str) -> String {
        serde_json::from_str::<serde_json::Value>(&self.data)
            .ok()
            .and_then(|v| v.get(k).and_then(|x| x.as_str().map(str::to_string)))
            .unwrap_or_default()
    }
    /// The detail shown to staff (reasons, targets).
    pub fn detail(&self) -> String {
        match self.kind.as_str() {
            "assigned" | "taken" => self.field("to"),
            "transferred" => format!("转至 {}；理由：{}", self.field("to"), self.field("reason")),
            "extended" => format!("{}；理由：{}", self.field("days"), self.field("reason")),
            "returned" | "dismissed" | "unpublished" | "reopened" | "revealed" => {
                self.field("reason")
            }
            "rated" => self.field("rating"),
            "escalated" => format!("答复期限 {} 已过", self.field("due_on")),
            _ => String::new(),
        }
    }
    /// What the writer sees of this event (no staff names, no internal reasons).
    pub fn public_detail(&self) -> String {
        match self.kind.as_str() {
            "transferred" => "已转交相关部门办理".into(),
            "extended" => format!("答复期限延长{}", self.field("days")),
            "dismissed" => self.field("reason"),
            "rated" => self.field("rating"),
            _ => String::new(),
        }
    }
    /// Who acted, as staff read it: the writer and the server by role, staff by account.
    pub fn actor_label(&self) -> &str {
        match self.actor_name.as_str() {
            "public" | "writer" => "来信人",
            "system" => "系统",
            other => other,
        }
    }

    /// Shown on the tracking page?
    pub fn is_public(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "received"
                | "taken"
                | "transferred"
                | "extended"
                | "replied"
                | "rated"
                | "reopened"
                | "dismissed"
                | "converted"
                | "emailed"
        )
    }
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct LetterFile {
    pub id: i64,
    pub letter_id: i64,
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub sealed: bool,
}

/// A letter ready to store: validated, its writer sealed (or enveloped).
#[derive(Debug, Clone)]
pub struct NewLetter {
    pub mailbox_id: i64,
    pub subject: String,
    pub content: String,
    pub anonymous: bool,
    pub writer_name: String,
    pub writer_sealed: String,
    pub writer_tag: String,
    pub envelope: Option<dl::Envelope>,
    pub consent_publish: bool,
    pub received_on: NaiveDate,
    pub secret_hash: String,
    pub files: Vec<NewLetterFile>,
}

#[derive(Debug, Clone)]
pub struct NewLetterFile {
    pub name: String,
    pub mime: String,
    pub size: i64,
    pub sha256: String,
    pub sealed: bool,
}

/// What happens to a letter. The web layer has checked the actor's permissions; the store
/// applies the state machine (`domain::letters::transition`) and the 首问负责 rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LetterAction {
    Take,
    Assign {
        user_id: i64,
        name: String,
    },
    Transfer {
        to_user: Option<(i64, String)>,
        to_body: Option<(i64, String)>,
        reason: String,
    },
    Extend {
        days: u32,
        reason: String,
    },
    SaveDraft {
        text: String,
    },
    Reply {
        text: String,
    },
    Approve,
    Return {
        reason: String,
    },
    Dismiss {
        reason: String,
    },
    Rate {
        rating: Rating,
    },
    Reopen {
        reason: String,
    },
    Converted {
        application_id: i64,
    },
}

impl LetterAction {
    fn step(&self) -> Step {
        match self {
            LetterAction::Take => Step::Take,
            LetterAction::Assign { .. } => Step::Assign,
            LetterAction::Transfer { .. } => Step::Transfer,
            LetterAction::Extend { .. } => Step::Extend,
            LetterAction::SaveDraft { .. } => Step::SaveDraft,
            LetterAction::Reply { .. } => Step::Reply,
            LetterAction::Approve => Step::Approve,
            LetterAction::Return { .. } => Step::Return,
            LetterAction::Dismiss { .. } => Step::Dismiss,
            LetterAction::Rate { .. } => Step::Rate,
            LetterAction::Reopen { .. } => Step::Reopen,
            LetterAction::Converted { .. } => Step::Convert,
        }
    }
}

/// An answered letter to e-mail.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
pub struct NotifyRow {
    pub id: i64,
    pub number: String,
    pub subject: String,
    pub writer_sealed: String,
    pub reply_text: String,
}

/// A row of the back-office list.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct LetterListRow {
    pub id: i64,
    pub number: String,
    pub body_id: i64,
    pub body_name: String,
    pub mailbox_name: String,
    pub kind: String,
    pub subject: String,
    pub status: String,
    pub owner_name: String,
    pub received_on: String,
    pub due_on: String,
    pub escalated_on: Option<String>,
    pub duplicate_of: Option<i64>,
}

impl LetterListRow {
    pub fn status_label(&self) -> &'static str {
        LetterStatus::parse(&self.status).map_or("", |s| s.label())
    }
    pub fn overdue(&self, today: &str) -> bool {
        LetterStatus::parse(&self.status).is_some_and(|s| s.is_open())
            && !self.due_on.is_empty()
            && self.due_on.as_str() < today
    }
}

/// Back-office list filter.
#[derive(Debug, Clone, Default)]
pub struct LetterFilter {
    pub open_only: bool,
    pub overdue_before: Option<NaiveDate>,
    pub mine: Option<i64>,
    pub unowned: bool,
    pub limit: i64,
}

/// A published letter (选登), as the public sees it.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct PublishedLetter {
    pub id: i64,
    pub number: String,
    pub body_id: i64,
    pub body_name: String,
    pub mailbox_id: i64,
    pub mailbox_name: String,
    pub kind: String,
    pub pub_subject: String,
    pub pub_content: String,
    pub pub_reply: String,
    pub received_on: String,
    pub replied_on: Option<String>,
    pub rating: Option<String>,
    pub published_at: i64,
}

impl PublishedLetter {
    pub fn rating_label(&self) -> &'static str {
        self.rating
            .as_deref()
            .and_then(Rating::parse)
            .map_or("未评价", |r| r.label())
    }
    pub fn kind_label(&self) -> &'static str {
        MailboxKind::parse(&self.kind).map_or("", |k| k.label())
    }
}

fn event_json(ev: &LetterAction) -> serde_json::Value {
    use serde_json::json;
    match ev {
        LetterAction::Assign { name, .. } => json!({"to": name}),
        LetterAction::Transfer {
            to_user,
            to_body,
            reason,
        } => {
            let to = match (to_user, to_body) {
                (Some((_, u)), _) => u.clone(),
                (None, Some((_, b))) => b.clone(),
                _ => String::new(),
            };
            json!({"to": to, "reason": reason})
        }
        LetterAction::Extend { days, reason } => {
            json!({"days": days.to_string(), "reason": reason})
        }
        LetterAction::Return { reason }
        | LetterAction::Dismiss { reason }
        | LetterAction::Reopen { reason } => json!({"reason": reason}),
        LetterAction::Rate { rating } => json!({"rating": rating.label()}),
        LetterAction::Converted { application_id } => json!({"application_id": application_id}),
        _ => json!({}),
    }
}

fn event_kind(ev: &LetterAction, next: LetterStatus) -> &'static str {
    match ev {
        LetterAction::Take => "taken",
        LetterAction::Assign { .. } => "assigned",
        LetterAction::Transfer { .. } => "transferred",
        LetterAction::Extend { .. } => "extended",
        LetterAction::SaveDraft { .. } => "draft",
        LetterAction::Reply { .. } if next == LetterStatus::Approving => "submitted",
        LetterAction::Reply { .. } | LetterAction::Approve => {
            if next == LetterStatus::Replied {
                "replied"
            } else {
                "approved"
            }
        }
        LetterAction::Return { .. } => "returned",
        LetterAction::Dismiss { .. } => "dismissed",
        LetterAction::Rate { .. } => "rated",
        LetterAction::Reopen { .. } => "reopened",
        LetterAction::Converted { .. } => "converted",
    }
}

impl Store {
    /// Lock the row read inside a write transaction. SQLite's `BEGIN IMMEDIATE` already
    /// serialises writers; PostgreSQL's READ COMMITTED needs the lock, or two simultaneous
    /// takes (or approve and return) would both pass the state machine.
    fn row_lock(&self) -> &'static str {
        if self.is_postgres() {
            " FOR UPDATE"
        } else {
            ""
        }
    }
}

/// The letter `id`, read and locked inside the open write transaction `$tx` (evaluates to it,
/// or returns `NotFound`).
macro_rules! lock_letter {
    ($store:ident, $tx:ident, $id:expr) => {
        sqlx::query_as::<_, Letter>(sqlx::AssertSqlSafe(format!(
            "SELECT {LETTER_COLS} FROM letters WHERE id = $1{}",
            $store.row_lock()
        )))
        .bind($id)
        .fetch_optional(&mut *$tx)
        .await?
        .ok_or(StoreError::NotFound)?
    };
}

macro_rules! insert_event {
    ($tx:ident, $id:expr, $kind:expr, $on:expr, $data:expr, $who:expr) => {{
        sqlx::query(
            "INSERT INTO letter_events (letter_id, kind, on_date, data, actor_id, actor_name, at_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind($id)
        .bind($kind)
        .bind($on.to_string())
        .bind(serde_json::to_string(&$data).unwrap_or_default())
        .bind($who.user_id)
        .bind(&$who.name)
        .bind($crate::now_ms())
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    // ----- mailboxes -----

    pub async fn create_mailbox(
        &self,
        body_id: i64,
        f: &MailboxFields,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO mailboxes (body_id, name, kind, limit_mode, limit_days, ack_days, extend_days, \
                 anonymous_allowed, publish_allowed, approval_required, intro, active, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
            )
            .bind(body_id)
            .bind(&f.name)
            .bind(f.kind.as_str())
            .bind(f.rule.mode.as_str())
            .bind(i64::from(f.rule.days))
            .bind(i64::from(f.rule.ack_days))
            .bind(i64::from(f.rule.extend_days))
            .bind(f.anonymous_allowed)
            .bind(f.publish_allowed)
            .bind(f.approval_required)
            .bind(&f.intro)
            .bind(f.active)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("mailbox.create", "mailbox", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(mailbox_json(f))
            );
            change_log!(tx, "mailbox", id, "create");
            Ok(id)
        })
    }

    pub async fn update_mailbox(&self, id: i64, f: &MailboxFields, who: &Who) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let before = sqlx::query_as::<_, Mailbox>(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if (before.kind() == MailboxKind::Report) != (f.kind == MailboxKind::Report) {
                let n: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM letters WHERE mailbox_id = $1")
                        .bind(id)
                        .fetch_one(&mut *tx)
                        .await?;
                if n > 0 {
                    return Err(StoreError::Invalid(
                        "已有来信的信箱不能改为或改出“举报”类别（举报人信息的保护方式不同），请新建信箱".into(),
                    ));
                }
            }
            sqlx::query(
                "UPDATE mailboxes SET name = $1, kind = $2, limit_mode = $3, limit_days = $4, ack_days = $5, \
                 extend_days = $6, anonymous_allowed = $7, publish_allowed = $8, approval_required = $9, intro = $10, \
                 active = $11, updated_at = $12 WHERE id = $13",
            )
            .bind(&f.name)
            .bind(f.kind.as_str())
            .bind(f.rule.mode.as_str())
            .bind(i64::from(f.rule.days))
            .bind(i64::from(f.rule.ack_days))
            .bind(i64::from(f.rule.extend_days))
            .bind(f.anonymous_allowed)
            .bind(f.publish_allowed)
            .bind(f.approval_required)
            .bind(&f.intro)
            .bind(f.active)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("mailbox.update", "mailbox", id)
                    .who(who)
                    .body(Some(before.body_id))
                    .before(serde_json::to_value(&before).unwrap_or_default())
                    .after(mailbox_json(f))
            );
            change_log!(tx, "mailbox", id, "update");
            Ok(())
        })
    }

    pub async fn get_mailbox(&self, id: i64) -> StoreResult<Mailbox> {
        read!(self, |c| {
            sqlx::query_as::<_, Mailbox>(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Every mailbox (the active ones only when `active_only`), by body then name.
    pub async fn list_mailboxes(&self, active_only: bool) -> StoreResult<Vec<Mailbox>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Mailbox>(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes {} ORDER BY body_id, id",
                if active_only { "WHERE active" } else { "" }
            )))
            .fetch_all(c)
            .await
        })?)
    }

    // ----- letters -----

    /// Store a new letter with its files and its `received` event; returns (id, number).
    /// Committed before the caller answers, so an acknowledged letter is never lost.
    pub async fn create_letter(
        &self,
        l: &NewLetter,
        cal: &Calendar,
        who: &Who,
    ) -> StoreResult<(i64, String)> {
        let mb = self.get_mailbox(l.mailbox_id).await?;
        if !mb.active {
            return Err(StoreError::Invalid("该信箱已停用".into()));
        }
        // The envelope was made for the mailbox's kind as it was read: a 举报 never without one.
        if mb.is_report() != l.envelope.is_some() {
            return Err(StoreError::Invalid("信箱类别刚刚变更，请重新提交".into()));
        }
        // A letter is never refused for want of next year's holiday notice: its due date is
        // left open (empty) and filled in as soon as that year is loaded (`fill_pending_due`).
        let due_on = match dl::clock(cal, &mb.rule(), l.received_on, 0) {
            Ok(c) => c.due_on.to_string(),
            Err(gongkai_domain::calendar::CalendarError::MissingYear(_)) => String::new(),
            Err(e) => return Err(StoreError::Invalid(e.to_string())),
        };
        // A similar text from the same writer in the last 30 days is flagged, not refused.
        let duplicate_of = if l.writer_tag.is_empty() {
            None
        } else {
            let since = l.received_on - chrono::Duration::days(dl::DUPLICATE_WINDOW_DAYS);
            let recent: Vec<(i64, String)> = read!(self, |c| {
                sqlx::query_as(
                    "SELECT id, content FROM letters WHERE writer_tag = $1 AND received_on >= $2 ORDER BY id DESC LIMIT 50",
                )
                .bind(&l.writer_tag)
                .bind(since.to_string())
                .fetch_all(c)
                .await
            })?;
            recent
                .into_iter()
                .find(|(_, c)| {
                    gongkai_domain::application::similarity(c, &l.content)
                        >= gongkai_domain::application::SIMILAR
                })
                .map(|(id, _)| id)
        };
        let now = crate::now_ms();
        for _ in 0..5 {
            let number = format!(
                "X{}-{:06}",
                l.received_on.format("%Y%m%d"),
                rand::random::<u32>() % 1_000_000
            );
            let r = write_tx!(self, |tx| {
                let (key, key_id) = l
                    .envelope
                    .as_ref()
                    .map(|e| (e.wrapped_key.clone(), e.key_id.clone()))
                    .unwrap_or_default();
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO letters (number, secret_hash, mailbox_id, body_id, kind, subject, content, anonymous, \
                     writer_name, writer_sealed, writer_tag, envelope_key, envelope_key_id, consent_publish, status, \
                     received_on, due_on, duplicate_of, created_at, updated_at, limit_mode, limit_days, ack_days, \
                     extend_days, clock_from) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 'received', $15, $16, $17, $18, $18, \
                     $19, $20, $21, $22, $15) \
                     RETURNING id",
                )
                .bind(&number)
                .bind(&l.secret_hash)
                .bind(mb.id)
                .bind(mb.body_id)
                .bind(mb.kind().as_str())
                .bind(&l.subject)
                .bind(&l.content)
                .bind(l.anonymous)
                .bind(&l.writer_name)
                .bind(&l.writer_sealed)
                .bind(&l.writer_tag)
                .bind(key)
                .bind(key_id)
                .bind(l.consent_publish && mb.publish_allowed && !mb.is_report())
                .bind(l.received_on.to_string())
                .bind(&due_on)
                .bind(duplicate_of)
                .bind(now)
                .bind(mb.rule().mode.as_str())
                .bind(i64::from(mb.rule().days))
                .bind(i64::from(mb.rule().ack_days))
                .bind(i64::from(mb.rule().extend_days))
                .fetch_one(&mut *tx)
                .await?;
                for f in &l.files {
                    sqlx::query(
                        "INSERT INTO letter_files (letter_id, name, mime, size, sha256, sealed, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    )
                    .bind(id)
                    .bind(&f.name)
                    .bind(&f.mime)
                    .bind(f.size)
                    .bind(&f.sha256)
                    .bind(f.sealed)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
                insert_event!(
                    tx,
                    id,
                    "received",
                    l.received_on,
                    serde_json::json!({}),
                    who
                );
                audit_append!(
                    tx,
                    AuditEvent::new("letter.create", "letter", id)
                        .who(who)
                        .body(Some(mb.body_id))
                        .after(serde_json::json!({"number": number, "mailbox_id": mb.id, "files": l.files.len()}))
                );
                change_log!(tx, "letter", id, "create");
                Ok(id)
            });
            match r {
                Ok(id) => return Ok((id, number)),
                Err(e) if e.is_unique_violation() => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Conflict("生成来信编号失败，请重试".into()))
    }

    pub async fn get_letter(&self, id: i64) -> StoreResult<Letter> {
        read!(self, |c| {
            sqlx::query_as::<_, Letter>(sqlx::AssertSqlSafe(format!(
                "SELECT {LETTER_COLS} FROM letters WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn find_letter(&self, number: &str) -> StoreResult<Option<Letter>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Letter>(sqlx::AssertSqlSafe(format!(
                "SELECT {LETTER_COLS} FROM letters WHERE number = $1"
            )))
            .bind(number.trim().to_uppercase())
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn letter_events(&self, id: i64) -> StoreResult<Vec<LetterEventRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, LetterEventRow>(
                "SELECT id, letter_id, kind, on_date, data, actor_name, at_ms FROM letter_events WHERE letter_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn letter_files(&self, id: i64) -> StoreResult<Vec<LetterFile>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, LetterFile>(
                "SELECT id, letter_id, name, mime, size, sha256, sealed FROM letter_files WHERE letter_id = $1 ORDER BY id",
            )
            .bind(id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Apply one action under the state machine and the 首问负责 rule; refused actions change
    /// nothing. `actor` is the staff member acting (None for the writer and the system).
    pub async fn letter_action(
        &self,
        id: i64,
        action: &LetterAction,
        cal: &Calendar,
        today: NaiveDate,
        actor: Option<(i64, &str)>,
        who: &Who,
    ) -> StoreResult<Letter> {
        let now = crate::now_ms();
        let r: StoreResult<()> = write_tx!(self, |tx| {
            let l = lock_letter!(self, tx, id);
            let mb = sqlx::query_as::<_, Mailbox>(sqlx::AssertSqlSafe(format!(
                "SELECT {MAILBOX_COLS} FROM mailboxes WHERE id = $1"
            )))
            .bind(l.mailbox_id)
            .fetch_one(&mut *tx)
            .await?;
            let standing = Standing {
                owner: actor.is_some_and(|(uid, _)| l.owner_id == Some(uid)),
                owned: l.owner_id.is_some(),
            };
            // A rating answers the latest reply: a reopening clears `rated_on` but keeps the
            // rating, which stays in the statistics (and the history) until the writer rates the
            // new reply.
            let rated = l.rated_on.is_some();
            let mut next = dl::transition(
                l.status(),
                action.step(),
                standing,
                mb.approval_required,
                rated,
            )
            .map_err(|m| StoreError::Invalid(m.to_string()))?;
            // Handed to a named colleague, the letter is theirs at once; handed to another
            // body, it waits there for its first handler (首问负责 again).
            if let LetterAction::Transfer {
                to_user: Some(_), ..
            } = action
            {
                next = LetterStatus::Handling;
            }
            let mut due_on = l.due_on.clone();
            let mut owner: (Option<i64>, String) = (l.owner_id, l.owner_name.clone());
            let mut body_id = l.body_id;
            let mut extended = l.extended;
            let mut replied_on = l.replied_on.clone();
            let mut reply_text = l.reply_text.clone();
            let mut reply_draft = l.reply_draft.clone();
            let mut rating = l.rating.clone();
            let mut rated_on = l.rated_on.clone();
            let mut reopened = l.reopened;
            let mut application_id = l.application_id;
            let mut unpublish = false;
            let mut clock_from = l.clock_from.clone();
            match action {
                LetterAction::Take => {
                    let (uid, name) =
                        actor.ok_or(StoreError::Invalid("须由工作人员受理".into()))?;
                    owner = (Some(uid), name.to_string());
                }
                LetterAction::Assign { user_id, name } => owner = (Some(*user_id), name.clone()),
                LetterAction::Transfer {
                    to_user,
                    to_body,
                    reason,
                } => {
                    if reason.trim().is_empty() {
                        return Err(StoreError::Invalid("转办须说明理由".into()));
                    }
                    match (to_user, to_body) {
                        (Some((uid, name)), _) => {
                            if Some(*uid) == l.owner_id {
                                return Err(StoreError::Invalid("不能转办给自己".into()));
                            }
                            owner = (Some(*uid), name.clone());
                        }
                        (None, Some((bid, _))) => {
                            if *bid == l.body_id {
                                return Err(StoreError::Invalid("请选择其他机关".into()));
                            }
                            body_id = *bid;
                            owner = (None, String::new());
                        }
                        (None, None) => {
                            return Err(StoreError::Invalid(
                                "请选择转办给哪位工作人员或哪个机关".into(),
                            ));
                        }
                    }
                }
                LetterAction::Extend { days, reason } => {
                    dl::check_extension(&l.rule(), l.extended > 0, *days)
                        .map_err(StoreError::Invalid)?;
                    if reason.trim().is_empty() {
                        return Err(StoreError::Invalid("延期须说明理由（将告知来信人）".into()));
                    }
                    // From the due date in force (after a reopening, the new one).
                    let current = date(&l.due_on).ok_or_else(|| {
                        StoreError::Invalid(
                            "答复期限尚未确定（待下一年度日历载入），暂不能延期".into(),
                        )
                    })?;
                    let d = l
                        .rule()
                        .add(cal, current, *days)
                        .map_err(|e| StoreError::Invalid(e.to_string()))?;
                    due_on = d.to_string();
                    extended = i64::from(*days);
                }
                LetterAction::SaveDraft { text } => {
                    if text.chars().count() > dl::MAX_REPLY {
                        return Err(StoreError::Invalid(format!(
                            "答复不能超过{}个字",
                            dl::MAX_REPLY
                        )));
                    }
                    reply_draft = text.clone();
                }
                LetterAction::Reply { text } => {
                    let t = text.trim();
                    if t.chars().count() < 5 {
                        return Err(StoreError::Invalid("请填写答复内容（至少5个字）".into()));
                    }
                    if t.chars().count() > dl::MAX_REPLY {
                        return Err(StoreError::Invalid(format!(
                            "答复不能超过{}个字",
                            dl::MAX_REPLY
                        )));
                    }
                    reply_draft = t.to_string();
                    if next == LetterStatus::Replied {
                        reply_text = t.to_string();
                        replied_on = Some(today.to_string());
                    }
                }
                LetterAction::Approve => {
                    if actor.is_some_and(|(uid, _)| l.owner_id == Some(uid)) {
                        return Err(StoreError::Invalid("答复须由办理人以外的领导审核".into()));
                    }
                    reply_text = l.reply_draft.clone();
                    replied_on = Some(today.to_string());
                }
                LetterAction::Return { reason } | LetterAction::Dismiss { reason } => {
                    if reason.trim().is_empty() {
                        return Err(StoreError::Invalid("请说明理由".into()));
                    }
                    if next == LetterStatus::Dismissed && actor.is_some() && owner.0.is_none() {
                        let (uid, name) = actor.unwrap_or((0, ""));
                        owner = (Some(uid), name.to_string());
                    }
                }
                LetterAction::Rate { rating: r } => {
                    rating = Some(r.as_str().to_string());
                    rated_on = Some(today.to_string());
                }
                LetterAction::Reopen { reason } => {
                    dl::check_reopen(
                        l.status(),
                        l.replied_on.as_deref().and_then(date),
                        l.reopened,
                        today,
                    )
                    .map_err(|m| StoreError::Invalid(m.to_string()))?;
                    if reason.trim().chars().count() < 5 {
                        return Err(StoreError::Invalid(
                            "请说明需要重新办理的理由（至少5个字）".into(),
                        ));
                    }
                    reopened = true;
                    // A new limit runs from the day of the request (left open, not guessed, when
                    // its year's calendar is missing); the old reply leaves the public pages.
                    clock_from = today.to_string();
                    due_on = match dl::clock(cal, &l.rule(), today, 0) {
                        Ok(c) => c.due_on.to_string(),
                        Err(gongkai_domain::calendar::CalendarError::MissingYear(_)) => {
                            String::new()
                        }
                        Err(e) => return Err(StoreError::Invalid(e.to_string())),
                    };
                    replied_on = None;
                    rated_on = None;
                    unpublish = true;
                }
                LetterAction::Converted { application_id: a } => application_id = Some(*a),
            }
            sqlx::query(
                "UPDATE letters SET status = $1, owner_id = $2, owner_name = $3, body_id = $4, due_on = $5, extended = $6, \
                 replied_on = $7, reply_text = $8, reply_draft = $9, rating = $10, rated_on = $11, reopened = $12, \
                 application_id = $13, escalated_on = CASE WHEN $14 THEN NULL ELSE escalated_on END, updated_at = $15, \
                 published = CASE WHEN $17 THEN FALSE ELSE published END, \
                 notified_at = CASE WHEN $18 THEN NULL ELSE notified_at END, clock_from = $19 WHERE id = $16",
            )
            .bind(next.as_str())
            .bind(owner.0)
            .bind(&owner.1)
            .bind(body_id)
            .bind(&due_on)
            .bind(extended)
            .bind(&replied_on)
            .bind(&reply_text)
            .bind(&reply_draft)
            .bind(&rating)
            .bind(&rated_on)
            .bind(reopened)
            .bind(application_id)
            // 督办 starts again for a new due date or at a new body.
            .bind(due_on != l.due_on || body_id != l.body_id)
            .bind(now)
            .bind(id)
            .bind(unpublish)
            // A new reply is e-mailed again.
            .bind(next == LetterStatus::Replied && l.status() != LetterStatus::Replied)
            .bind(&clock_from)
            .execute(&mut *tx)
            .await?;
            let kind = event_kind(action, next);
            insert_event!(tx, id, kind, today, event_json(action), who);
            audit_append!(
                tx,
                AuditEvent::new(&format!("letter.{kind}"), "letter", id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"status": l.status, "owner": l.owner_name, "body_id": l.body_id}))
                    .after(serde_json::json!({"status": next.as_str(), "owner": owner.1, "body_id": body_id}))
            );
            change_log!(tx, "letter", id, kind);
            Ok(())
        });
        r?;
        self.get_letter(id).await
    }

    /// Publish a masked copy (选登): only with the writer's consent, never a 举报.
    pub async fn publish_letter(
        &self,
        id: i64,
        subject: &str,
        content: &str,
        reply: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let l = lock_letter!(self, tx, id);
            if l.is_report() {
                return Err(StoreError::Invalid("举报件一律不公开".into()));
            }
            if !l.consent_publish {
                return Err(StoreError::Invalid("来信人未同意公开，不能选登".into()));
            }
            if l.status() != LetterStatus::Replied {
                return Err(StoreError::Invalid("答复后才能选登".into()));
            }
            if subject.trim().is_empty() || content.trim().is_empty() || reply.trim().is_empty() {
                return Err(StoreError::Invalid(
                    "公开的标题、来信内容和答复都不能为空".into(),
                ));
            }
            sqlx::query(
                "UPDATE letters SET published = TRUE, pub_subject = $1, pub_content = $2, pub_reply = $3, \
                 published_at = $4, updated_at = $4 WHERE id = $5",
            )
            .bind(subject.trim())
            .bind(content.trim())
            .bind(reply.trim())
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            insert_event!(tx, id, "published", today, serde_json::json!({}), who);
            audit_append!(
                tx,
                AuditEvent::new("letter.publish", "letter", id)
                    .who(who)
                    .body(Some(l.body_id))
                    .after(
                        serde_json::json!({"subject": subject, "content": content, "reply": reply})
                    )
            );
            change_log!(tx, "letter", id, "publish");
            Ok(())
        })
    }

    pub async fn unpublish_letter(
        &self,
        id: i64,
        reason: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("撤销公开须说明理由".into()));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let l = lock_letter!(self, tx, id);
            if !l.published {
                return Err(StoreError::Invalid("该来信未公开".into()));
            }
            sqlx::query("UPDATE letters SET published = FALSE, updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            insert_event!(
                tx,
                id,
                "unpublished",
                today,
                serde_json::json!({"reason": reason.trim()}),
                who
            );
            audit_append!(
                tx,
                AuditEvent::new("letter.unpublish", "letter", id)
                    .who(who)
                    .body(Some(l.body_id))
                    .after(serde_json::json!({"reason": reason.trim()}))
            );
            change_log!(tx, "letter", id, "unpublish");
            Ok(())
        })
    }

    /// Record that a 纪检监督 user opened a whistle-blower's identity, with the reason.
    pub async fn audit_letter_reveal(
        &self,
        l: &Letter,
        reason: &str,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            insert_event!(
                tx,
                l.id,
                "revealed",
                today,
                serde_json::json!({"reason": reason}),
                who
            );
            audit_append!(
                tx,
                AuditEvent::new("letter.reveal", "letter", l.id)
                    .who(who)
                    .body(Some(l.body_id))
                    .after(serde_json::json!({"reason": reason}))
            );
            Ok(())
        })
    }

    /// Fill in the due dates left open because a year's holiday notice was missing, now that
    /// the calendar may have it. Returns how many were filled.
    pub async fn fill_pending_due(&self, cal: &Calendar) -> StoreResult<usize> {
        let rows: Vec<Letter> = read!(self, |c| {
            sqlx::query_as::<_, Letter>(sqlx::AssertSqlSafe(format!(
                "SELECT {LETTER_COLS} FROM letters WHERE due_on = '' ORDER BY id LIMIT 1000"
            )))
            .fetch_all(c)
            .await
        })?;
        let mut n = 0;
        for l in rows {
            let id = l.id;
            let Some(from) = date(&l.clock_from).or_else(|| date(&l.received_on)) else {
                continue;
            };
            // A reopened letter's new limit has no extension; a first one may.
            let extended = if l.reopened {
                0
            } else {
                u32::try_from(l.extended).unwrap_or(0)
            };
            let Ok(c) = dl::clock(cal, &l.rule(), from, extended) else {
                continue;
            };
            write_tx!(self, |tx| {
                sqlx::query("UPDATE letters SET due_on = $1 WHERE id = $2 AND due_on = ''")
                    .bind(c.due_on.to_string())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                change_log!(tx, "letter", id, "due");
                Ok(())
            })?;
            n += 1;
        }
        Ok(n)
    }

    /// 督办: record an escalation once for every open letter whose due date has passed.
    /// Returns how many were escalated.
    pub async fn escalate_overdue(&self, today: NaiveDate) -> StoreResult<usize> {
        let ids: Vec<(i64, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT id, due_on FROM letters WHERE status IN ('received', 'handling', 'approving') \
                 AND due_on <> '' AND due_on < $1 AND escalated_on IS NULL ORDER BY id LIMIT 1000",
            )
            .bind(today.to_string())
            .fetch_all(c)
            .await
        })?;
        let who = Who::system();
        let mut n = 0;
        for (id, due) in ids {
            let done: StoreResult<bool> = write_tx!(self, |tx| {
                let r = sqlx::query(
                    "UPDATE letters SET escalated_on = $1 WHERE id = $2 AND escalated_on IS NULL \
                     AND status IN ('received', 'handling', 'approving') AND due_on <> '' AND due_on < $1",
                )
                .bind(today.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if r.rows_affected() == 0 {
                    return Ok(false);
                }
                let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM letters WHERE id = $1")
                    .bind(id)
                    .fetch_one(&mut *tx)
                    .await?;
                insert_event!(
                    tx,
                    id,
                    "escalated",
                    today,
                    serde_json::json!({"due_on": due}),
                    who
                );
                audit_append!(
                    tx,
                    AuditEvent::new("letter.escalated", "letter", id)
                        .who(&who)
                        .body(Some(body_id))
                        .after(serde_json::json!({"due_on": due}))
                );
                Ok(true)
            });
            if done? {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Letters for the back office: ordinary letters in `letters`, 举报 in `reports`.
    pub async fn list_letters(
        &self,
        letters: &Scope,
        reports: &Scope,
        f: &LetterFilter,
    ) -> StoreResult<Vec<LetterListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT l.id, l.number, l.body_id, b.name AS body_name, m.name AS mailbox_name, l.kind, l.subject, \
                 l.status, l.owner_name, l.received_on, l.due_on, l.escalated_on, l.duplicate_of \
                 FROM letters l JOIN bodies b ON b.id = l.body_id JOIN mailboxes m ON m.id = l.mailbox_id \
                 WHERE ((l.kind <> 'report'",
            );
            push_scope!(qb, letters, "b.path");
            qb.push(") OR (l.kind = 'report'");
            push_scope!(qb, reports, "b.path");
            qb.push("))");
            if f.open_only || f.overdue_before.is_some() {
                qb.push(" AND l.status IN ('received', 'handling', 'approving')");
            }
            if let Some(d) = f.overdue_before {
                qb.push(" AND l.due_on <> '' AND l.due_on < ")
                    .push_bind(d.to_string());
            }
            if let Some(uid) = f.mine {
                qb.push(" AND l.owner_id = ").push_bind(uid);
            }
            if f.unowned {
                qb.push(" AND l.owner_id IS NULL");
            }
            qb.push(" ORDER BY l.due_on, l.id LIMIT ")
                .push_bind(f.limit.clamp(1, 1000));
            qb.build_query_as::<LetterListRow>().fetch_all(c).await
        })?)
    }

    /// For the back office's desk: open letters nobody has taken, open letters of `user_id`,
    /// and open letters past their due date — ordinary ones in `letters`, 举报 in `reports`.
    pub async fn letter_counts(
        &self,
        letters: &Scope,
        reports: &Scope,
        user_id: i64,
        today: NaiveDate,
    ) -> StoreResult<(i64, i64, i64)> {
        let row: (Option<i64>, Option<i64>, Option<i64>) = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT SUM(CASE WHEN l.owner_id IS NULL THEN 1 ELSE 0 END), SUM(CASE WHEN l.owner_id = ",
            );
            qb.push_bind(user_id)
                .push(" THEN 1 ELSE 0 END), SUM(CASE WHEN l.due_on <> '' AND l.due_on < ")
                .push_bind(today.to_string())
                .push(
                    " THEN 1 ELSE 0 END) FROM letters l JOIN bodies b ON b.id = l.body_id \
                     WHERE l.status IN ('received', 'handling', 'approving') AND ((l.kind <> 'report'",
                );
            push_scope!(qb, letters, "b.path");
            qb.push(") OR (l.kind = 'report'");
            push_scope!(qb, reports, "b.path");
            qb.push("))");
            qb.build_query_as().fetch_one(c).await
        })?;
        Ok((row.0.unwrap_or(0), row.1.unwrap_or(0), row.2.unwrap_or(0)))
    }

    /// How many active accounts hold one of `roles` on the body at `path` or an ancestor (who
    /// could handle a letter sent there).
    pub async fn role_holders_at(&self, path: &str, roles: &[&str]) -> StoreResult<i64> {
        if roles.is_empty() {
            return Ok(0);
        }
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT COUNT(*) FROM role_grants g JOIN bodies b ON b.id = g.body_id \
                 JOIN users u ON u.id = g.user_id WHERE u.disabled = FALSE AND ",
            );
            qb.push_bind(path.to_string())
                .push(" LIKE b.path || '%' AND g.role IN (");
            let mut sep = qb.separated(", ");
            for r in roles {
                sep.push_bind(r.to_string());
            }
            qb.push(")");
            qb.build_query_scalar::<i64>().fetch_one(c).await
        })?)
    }

    /// Published letters, newest first; of one mailbox when given.
    pub async fn published_letters(
        &self,
        mailbox_id: Option<i64>,
        limit: i64,
    ) -> StoreResult<Vec<PublishedLetter>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(PUBLISHED_SELECT);
            if let Some(m) = mailbox_id {
                qb.push(" AND l.mailbox_id = ").push_bind(m);
            }
            qb.push(" ORDER BY l.published_at DESC, l.id DESC LIMIT ")
                .push_bind(limit.clamp(1, 500));
            qb.build_query_as::<PublishedLetter>().fetch_all(c).await
        })?)
    }

    pub async fn get_published_letter(&self, id: i64) -> StoreResult<PublishedLetter> {
        read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(PUBLISHED_SELECT);
            qb.push(" AND l.id = ").push_bind(id);
            qb.build_query_as::<PublishedLetter>()
                .fetch_optional(c)
                .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The statistics input for letters received in `year`: per mailbox id, the facts of
    /// each letter (withdrawn into an application or dismissed letters are left out).
    pub async fn letter_facts(&self, year: i32) -> StoreResult<Vec<(i64, i64, dl::LetterFacts)>> {
        let rows: Vec<FactRow> = read!(self, |c| {
            sqlx::query_as(
                    "SELECT mailbox_id, body_id, received_on, due_on, replied_on, rating FROM letters \
                     WHERE received_on >= $1 AND received_on < $2 AND status NOT IN ('dismissed', 'converted')",
                )
                .bind(format!("{year:04}-01-01"))
                .bind(format!("{:04}-01-01", year + 1))
                .fetch_all(c)
                .await
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(m, b, r, d, rep, rat)| {
                Some((
                    m,
                    b,
                    dl::LetterFacts {
                        received_on: date(&r)?,
                        due_on: date(&d),
                        replied_on: rep.as_deref().and_then(date),
                        rating: rat.as_deref().and_then(Rating::parse),
                    },
                ))
            })
            .collect())
    }

    /// Every 举报 envelope, for key rotation.
    pub async fn letter_envelopes(&self) -> StoreResult<Vec<(i64, dl::Envelope)>> {
        let rows: Vec<(i64, String, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT id, envelope_key, envelope_key_id FROM letters WHERE envelope_key <> '' ORDER BY id",
            )
            .fetch_all(c)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(id, k, kid)| {
                (
                    id,
                    dl::Envelope {
                        wrapped_key: k,
                        key_id: kid,
                    },
                )
            })
            .collect())
    }

    /// Replace the envelopes of rotated letters in one transaction (all or nothing).
    pub async fn rewrap_letter_keys(
        &self,
        envelopes: &[(i64, dl::Envelope)],
        who: &Who,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            for (id, e) in envelopes {
                sqlx::query(
                    "UPDATE letters SET envelope_key = $1, envelope_key_id = $2 WHERE id = $3",
                )
                .bind(&e.wrapped_key)
                .bind(&e.key_id)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            audit_append!(
                tx,
                AuditEvent::new("keys.rotate", "report_key", 0)
                    .who(who)
                    .after(serde_json::json!({"letters": envelopes.len(), "key_id": envelopes.first().map(|e| e.1.key_id.clone())}))
            );
            Ok(())
        })
    }

    /// The letter an application became or came from, if any.
    pub async fn application_letter_id(&self, application_id: i64) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, Option<i64>>("SELECT letter_id FROM applications WHERE id = $1")
                .bind(application_id)
                .fetch_optional(c)
                .await
        })?
        .flatten())
    }

    /// Answered letters not yet e-mailed to their writers (never a 举报: its contact is in the
    /// envelope, opened only by 纪检监督): (id, number, subject, writer_sealed, reply_text).
    pub async fn letters_to_notify(&self, limit: i64) -> StoreResult<Vec<NotifyRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, NotifyRow>(
                "SELECT id, number, subject, writer_sealed, reply_text FROM letters \
                 WHERE status = 'replied' AND notified_at IS NULL AND kind <> 'report' ORDER BY id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(c)
            .await
        })?)
    }

    /// Record that a letter's reply was e-mailed (`to` is Some) or needs no e-mail (no address).
    pub async fn mark_letter_notified(
        &self,
        id: i64,
        emailed: bool,
        today: NaiveDate,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        let who = Who::system();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE letters SET notified_at = $1 WHERE id = $2 AND notified_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            if emailed {
                insert_event!(tx, id, "emailed", today, serde_json::json!({}), who);
            }
            Ok(())
        })
    }

    /// Link a letter and the application it became (or came from), both ways.
    pub async fn link_application_letter(
        &self,
        application_id: i64,
        letter_id: i64,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("UPDATE applications SET letter_id = $1 WHERE id = $2")
                .bind(letter_id)
                .bind(application_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE letters SET application_id = $1 WHERE id = $2")
                .bind(application_id)
                .bind(letter_id)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }
}

/// mailbox, body, received, due, replied, rating.
type FactRow = (i64, i64, String, String, Option<String>, Option<String>);

const PUBLISHED_SELECT: &str = "SELECT l.id, l.number, l.body_id, b.name AS body_name, l.mailbox_id, m.name AS mailbox_name, \
    l.kind, l.pub_subject, l.pub_content, l.pub_reply, l.received_on, l.replied_on, l.rating, l.published_at \
    FROM letters l JOIN bodies b ON b.id = l.body_id JOIN mailboxes m ON m.id = l.mailbox_id \
    WHERE l.published AND l.kind <> 'report' AND l.consent_publish";

fn mailbox_json(f: &MailboxFields) -> serde_json::Value {
    serde_json::json!({
        "name": f.name,
        "kind": f.kind.as_str(),
        "limit_mode": f.rule.mode.as_str(),
        "limit_days": f.rule.days,
        "ack_days": f.rule.ack_days,
        "extend_days": f.rule.extend_days,
        "anonymous_allowed": f.anonymous_allowed,
        "publish_allowed": f.publish_allowed,
        "approval_required": f.approval_required,
        "active": f.active,
    })
}
