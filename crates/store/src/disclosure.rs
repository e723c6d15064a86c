//! Proactive disclosure storage: catalogues, 标准目录 rows, items and versions, the workflow
//! steps, screening findings, 索引号 counters and the publication ledger. Every workflow step is
//! one transaction with its audit entry; publication also writes the ledger and the change log.

use chrono::NaiveDate;
use gongkai_domain::access::Actor;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::body::BodyKind;
use gongkai_domain::disclosure::{
    self as d, Conclusion, ItemStatus, PublishedContent, Step, VersionFacts, VersionState,
};
use gongkai_domain::ledger::{LedgerAction, LedgerEntry, LedgerKey};
use serde::{Deserialize, Serialize};

use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Category {
    pub id: i64,
    pub body_id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub name: String,
    pub template_key: String,
    pub standard_row_id: Option<i64>,
    pub sort_order: i64,
}

impl Category {
    /// Is this category linked to the 标准目录 row `id`?
    pub fn links(&self, id: &i64) -> bool {
        self.standard_row_id == Some(*id)
    }

    pub fn depth(&self) -> usize {
        self.path.matches('/').count().saturating_sub(2)
    }
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct StandardRow {
    pub id: i64,
    pub area: String,
    pub item_l1: String,
    pub item_l2: String,
    pub content: String,
    pub basis: String,
    pub time_limit: String,
    pub time_limit_days: Option<i64>,
    pub subject: String,
    pub channels: String,
    pub audience: String,
    pub method: String,
    pub level: String,
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Item {
    pub id: i64,
    pub body_id: i64,
    pub category_id: i64,
    pub status: String,
    pub index_no: Option<String>,
    pub published_version_id: Option<i64>,
    pub working_version_id: Option<i64>,
    pub scope: String,
    pub validity: String,
    pub validity_date: Option<String>,
    pub replaced_by: Option<i64>,
    pub withdrawn_reason: String,
    pub withdrawn_at: Option<i64>,
    pub first_published_at: Option<i64>,
    pub published_at: Option<i64>,
    pub published_on: Option<String>,
    pub due_on: Option<String>,
    pub late: bool,
    pub normative_kind: String,
    pub title: String,
    pub doc_no: String,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Item {
    pub fn status(&self) -> ItemStatus {
        ItemStatus::parse(&self.status).unwrap_or(ItemStatus::Unpublished)
    }
    pub fn validity_label(&self) -> &'static str {
        d::Validity::parse(&self.validity)
            .map(|v| v.label())
            .unwrap_or("有效")
    }
    pub fn scope_label(&self) -> &'static str {
        d::Scope::parse(&self.scope)
            .map(|v| v.label())
            .unwrap_or("面向社会")
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx_macros::FromRow)]
pub struct Version {
    pub id: i64,
    pub item_id: i64,
    pub number: i64,
    pub state: String,
    pub title: String,
    pub doc_no: String,
    pub written_on: Option<String>,
    pub formed_on: String,
    pub subject: String,
    pub keywords: String,
    pub summary: String,
    pub body_md: String,
    pub scope: String,
    pub open_method: String,
    pub normative_kind: String,
    pub related: String,
    pub author_id: i64,
    pub reviewer_id: Option<i64>,
    pub approver_id: Option<i64>,
    pub conclusion: Option<String>,
    pub legal_ground: Option<String>,
    pub scheduled_at: Option<i64>,
    pub published_at: Option<i64>,
    pub content_hash: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Version {
    pub fn state(&self) -> VersionState {
        VersionState::parse(&self.state).unwrap_or(VersionState::Draft)
    }
    pub fn state_label(&self) -> &'static str {
        self.state().label()
    }
    pub fn related_ids(&self) -> Vec<i64> {
        serde_json::from_str(&self.related).unwrap_or_default()
    }
    pub fn conclusion_label(&self) -> &'static str {
        self.conclusion
            .as_deref()
            .and_then(Conclusion::parse)
            .map(|c| c.label())
            .unwrap_or("")
    }
}

/// The editable fields of a version, validated by `domain::disclosure::ItemInput::validate`.
pub use gongkai_domain::disclosure::ItemFields as VersionFields;

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct WorkflowStep {
    pub id: i64,
    pub version_id: i64,
    pub step: String,
    pub actor_name: String,
    pub comment: String,
    pub at_ms: i64,
}

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct FindingRow {
    pub id: i64,
    pub version_id: i64,
    pub field: String,
    pub kind: String,
    pub start_pos: i64,
    pub end_pos: i64,
    pub matched: String,
    pub context: String,
    pub status: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx_macros::FromRow)]
pub struct LedgerRow {
    pub seq: i64,
    pub at_ms: i64,
    pub body_id: i64,
    pub item_id: i64,
    pub version_id: i64,
    pub index_no: String,
    pub action: String,
    pub content_hash: String,
    pub payload: String,
    pub prev_hash: String,
    pub hash: String,
}

impl LedgerRow {
    pub fn entry(&self) -> LedgerEntry {
        LedgerEntry {
            seq: self.seq,
            at_ms: self.at_ms,
            body_id: self.body_id,
            item_id: self.item_id,
            version_id: self.version_id,
            index_no: self.index_no.clone(),
            action: self.action.clone(),
            content_hash: self.content_hash.clone(),
        }
    }
    pub fn action_label(&self) -> &'static str {
        LedgerAction::parse(&self.action)
            .map(|a| a.label())
            .unwrap_or("")
    }
}

/// A row of the back office's item lists.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct ItemListRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub title: String,
    pub status: String,
    pub index_no: Option<String>,
    pub version_id: Option<i64>,
    pub version_state: Option<String>,
    pub scope: String,
    pub due_on: Option<String>,
    pub late: bool,
    pub updated_at: i64,
}

impl ItemListRow {
    pub fn state_label(&self) -> &'static str {
        match self.version_state.as_deref().and_then(VersionState::parse) {
            Some(s) => s.label(),
            None => ItemStatus::parse(&self.status)
                .map(|s| s.label())
                .unwrap_or(""),
        }
    }
}

/// A published item as listed publicly.
#[derive(Debug, Clone, Serialize, Deserialize, sqlx_macros::FromRow)]
pub struct PublicListRow {
    pub id: i64,
    pub body_id: i64,
    pub body_name: String,
    pub category_id: i64,
    pub title: String,
    pub index_no: Option<String>,
    pub doc_no: String,
    pub published_on: Option<String>,
    pub validity: String,
    pub status: String,
    /// When it was published (milliseconds); the browsing order and cursor.
    #[sqlx(default)]
    #[serde(default)]
    pub published_at: Option<i64>,
}

const ITEM_COLS: &str = "id, body_id, category_id, status, index_no, published_version_id, \
    working_version_id, scope, validity, validity_date, replaced_by, withdrawn_reason, withdrawn_at, \
    first_published_at, published_at, published_on, due_on, late, normative_kind, title, doc_no, \
    version, created_at, updated_at";

pub(crate) const VERSION_COLS: &str = "id, item_id, number, state, title, doc_no, written_on, formed_on, \
    subject, keywords, summary, body_md, scope, open_method, normative_kind, related, author_id, \
    reviewer_id, approver_id, conclusion, legal_ground, scheduled_at, published_at, content_hash, \
    created_at, updated_at";

/// Load an item and its body's path inside the open transaction; `NotFound` if there is none.
macro_rules! item_in_tx {
    ($tx:ident, $item_id:expr) => {{
        let item = sqlx::query_as::<_, Item>(sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLS} FROM items WHERE id = $1"
        )))
        .bind($item_id)
        .fetch_optional(&mut *$tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let body_path: String = sqlx::query_scalar("SELECT path FROM bodies WHERE id = $1")
            .bind(item.body_id)
            .fetch_one(&mut *$tx)
            .await?;
        (item, body_path)
    }};
}

/// Record a change of a published item that is not a new version (withdrawal, 有效性) in the
/// ledger, hashing the canonical `$payload`, and in the change log; evaluates to the ledger seq.
/// Must follow an `audit_append!` in the same transaction.
macro_rules! ledger_notice {
    ($tx:ident, $item:expr, $action:expr, $payload:expr, $op:expr) => {{
        let payload = $payload.to_string();
        let hash = sha256_hex(&payload);
        let seq = ledger_append!(
            $tx,
            $item.body_id,
            $item.id,
            $item.published_version_id.unwrap_or(0),
            $item.index_no.clone().unwrap_or_default(),
            $action,
            hash,
            &payload
        );
        change_log!($tx, "item", $item.id, $op);
        seq
    }};
}

/// Insert a version row inside the open transaction; evaluates to its id.
macro_rules! insert_version {
    ($tx:ident, $item_id:expr, $number:expr, $f:expr, $author:expr, $now:expr) => {{
        // Always an i64: PostgreSQL statements are cached by their text, so a literal `1` (i32)
        // in one call and an i64 in another would bind a mismatched binary format.
        let number: i64 = $number;
        let vid: i64 = sqlx::query_scalar(
            "INSERT INTO item_versions (item_id, number, state, title, doc_no, written_on, formed_on, subject, \
             keywords, summary, body_md, scope, open_method, normative_kind, related, author_id, created_at, updated_at) \
             VALUES ($1, $2, 'draft', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16) RETURNING id",
        )
        .bind($item_id)
        .bind(number)
        .bind(&$f.title)
        .bind(&$f.doc_no)
        .bind($f.written_on.map(|d| d.to_string()))
        .bind($f.formed_on.to_string())
        .bind(&$f.subject)
        .bind(&$f.keywords)
        .bind(&$f.summary)
        .bind(&$f.body_md)
        .bind(&$f.scope)
        .bind(&$f.open_method)
        .bind(&$f.normative_kind)
        .bind(serde_json::to_string(&$f.related).unwrap_or_else(|_| "[]".into()))
        .bind($author)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        vid
    }};
}

/// Record a workflow step in the item's history, inside the open transaction.
macro_rules! step_row {
    ($tx:ident, $vid:expr, $step:expr, $who:expr, $comment:expr) => {{
        sqlx::query(
            "INSERT INTO workflow_steps (version_id, step, actor_id, actor_name, comment, at_ms) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind($vid)
        .bind($step)
        .bind($who.user_id)
        .bind(&$who.name)
        .bind($comment)
        .bind($crate::now_ms())
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Publish version `$v` of `$item` inside the open transaction (after its audit entry): the
/// 索引号 at first publication, the previous version superseded, the item's public fields, the
/// related-item links, the ledger entry and the change-log row. Evaluates to (索引号, ledger seq).
macro_rules! publish_in_tx {
    ($tx:ident, $item:expr, $v:expr, $org_code:expr, $settings:expr, $input:expr, $now:expr) => {{
        use chrono::Datelike;
        let today = $input
            .today
            .unwrap_or_else(|| (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive());
        let index_no = match &$item.index_no {
            Some(x) => x.clone(),
            None => {
                let year = i64::from(today.year());
                sqlx::query(
                    "INSERT INTO index_counters (body_id, year, next_serial) VALUES ($1, $2, 1) \
                     ON CONFLICT (body_id, year) DO NOTHING",
                )
                .bind($item.body_id)
                .bind(year)
                .execute(&mut *$tx)
                .await?;
                let serial: i64 = sqlx::query_scalar(
                    "UPDATE index_counters SET next_serial = next_serial + 1 WHERE body_id = $1 AND year = $2 \
                     RETURNING next_serial - 1",
                )
                .bind($item.body_id)
                .bind(year)
                .fetch_one(&mut *$tx)
                .await?;
                let pattern = if $settings.index_pattern.trim().is_empty() {
                    d::DEFAULT_INDEX_PATTERN
                } else {
                    $settings.index_pattern.as_str()
                };
                d::format_index_no(pattern, &$org_code, today.year(), serial).map_err(StoreError::Invalid)?
            }
        };
        let atts: Vec<String> = sqlx::query_scalar("SELECT sha256 FROM attachments WHERE version_id = $1 ORDER BY ord, id")
            .bind($v.id)
            .fetch_all(&mut *$tx)
            .await?;
        let hash = content_of(&$v, &index_no, atts).hash();
        if let Some(pv) = $item.published_version_id {
            sqlx::query("UPDATE item_versions SET state = 'superseded' WHERE id = $1 AND id <> $2")
                .bind(pv)
                .bind($v.id)
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query("UPDATE item_versions SET state = 'published', published_at = $1, content_hash = $2 WHERE id = $3")
            .bind($now)
            .bind(&hash)
            .bind($v.id)
            .execute(&mut *$tx)
            .await?;
        let today_s = today.to_string();
        let late = $item.first_published_at.is_none() && $item.due_on.as_deref().is_some_and(|d| d < today_s.as_str());
        sqlx::query(
            "UPDATE items SET status = 'published', index_no = $1, published_version_id = $2, working_version_id = NULL, \
             title = $3, doc_no = $4, scope = $5, normative_kind = $6, published_at = $7, published_on = $8, \
             first_published_at = COALESCE(first_published_at, $7), late = (late OR $9), version = version + 1, updated_at = $7 \
             WHERE id = $10",
        )
        .bind(&index_no)
        .bind($v.id)
        .bind(&$v.title)
        .bind(&$v.doc_no)
        .bind(&$v.scope)
        .bind(&$v.normative_kind)
        .bind($now)
        .bind(&today_s)
        .bind(late)
        .bind($item.id)
        .execute(&mut *$tx)
        .await?;
        // Pages this version no longer links to lose it from their related lists.
        let unlinked: Vec<i64> = sqlx::query_scalar("SELECT related_item_id FROM item_links WHERE item_id = $1")
            .bind($item.id)
            .fetch_all(&mut *$tx)
            .await?;
        sqlx::query("DELETE FROM item_links WHERE item_id = $1")
            .bind($item.id)
            .execute(&mut *$tx)
            .await?;
        for r in $v.related_ids() {
            if r != $item.id {
                sqlx::query("INSERT INTO item_links (item_id, related_item_id) SELECT $1, id FROM items WHERE id = $2")
                    .bind($item.id)
                    .bind(r)
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        let action = if $item.published_version_id.is_some() { LedgerAction::Revise } else { LedgerAction::Publish };
        let seq = ledger_append!($tx, $item.body_id, $item.id, $v.id, &index_no, action, &hash, "");
        change_log!($tx, "item", $item.id, "upsert");
        for r in unlinked {
            crate::refresh_item_pages!($tx, crate::item_page::PageTargets::Only, r);
        }
        (index_no, seq)
    }};
}

/// One row of a legacy catalogue, validated, to be recorded as published on its original date.
#[derive(Debug, Clone)]
pub struct ImportRow {
    pub body_id: i64,
    pub org_code: String,
    pub category_id: i64,
    pub index_no: Option<String>,
    pub fields: VersionFields,
    pub published_on: NaiveDate,
    pub validity: String,
    pub validity_date: Option<NaiveDate>,
}

/// What an import batch did.
#[derive(Debug, Clone, Default)]
pub struct ImportOutcome {
    pub inserted: usize,
    pub skipped: usize,
}

/// Settings of a body that the workflow reads (stored in `bodies.settings`).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct BodySettings {
    /// One person may do both 保密审查 and 审批 (for a 社区 with two staff).
    pub allow_same_reviewer_approver: bool,
    /// 索引号 pattern; empty means the default.
    pub index_pattern: String,
    /// The body's own text in its 政府信息公开指南 (Markdown), after the generated parts.
    pub guide_text: String,
    /// 政府信息公开制度: the body's rules on disclosure work (Markdown).
    pub rules_text: String,
    /// The day (`MM-DD` of the next year) its annual report is due; empty: 31 January, or
    /// 31 March for a 人民政府 (`domain::annual_report::due_date`).
    pub annual_report_due: String,
    /// 双公示: display periods and how natural persons are named.
    pub credit: gongkai_domain::credit::CreditPolicy,
    /// 征求意见: how comments are moderated (`pre`, the default, or `post`).
    pub comment_moderation: String,
}

impl BodySettings {
    pub fn moderation(&self) -> gongkai_domain::consultation::Moderation {
        gongkai_domain::consultation::Moderation::parse(&self.comment_moderation)
            .unwrap_or(gongkai_domain::consultation::Moderation::Pre)
    }
}

/// The outcome of one workflow step.
#[derive(Debug, Clone)]
pub struct StepOutcome {
    pub new_state: VersionState,
    pub index_no: Option<String>,
    pub ledger_seq: Option<i64>,
}

/// Inputs of a workflow step besides the step itself.
#[derive(Debug, Clone, Default)]
pub struct StepInput {
    pub comment: String,
    pub scheduled_at: Option<i64>,
    /// Today's date (China time), for the 索引号 year and lateness.
    pub today: Option<NaiveDate>,
}

/// Why the 征求意见 rules refuse to publish a version of `$item` now (None: they do not): the
/// final version of a draft waits for the draft's 意见采纳情况, and a draft already published is
/// not revised once its window has opened (the comments cite its paragraphs). Locks the
/// consultation's row (PostgreSQL) so the check and the feedback cannot interleave.
macro_rules! consultation_refusal {
    ($tx:ident, $item:expr, $today:expr) => {{
        sqlx::query(
            "UPDATE consultations SET updated_at = updated_at WHERE final_item_id = $1 OR item_id = $1",
        )
        .bind($item.id)
        .execute(&mut *$tx)
        .await?;
        let rows: Vec<(i64, Option<i64>, String)> = sqlx::query_as(
            "SELECT item_id, feedback_at, start_on FROM consultations WHERE final_item_id = $1 OR item_id = $1",
        )
        .bind($item.id)
        .fetch_all(&mut *$tx)
        .await?;
        let today = $today.to_string();
        rows.iter().find_map(|(draft, feedback, start)| {
            if *draft != $item.id && feedback.is_none() {
                Some("该信息是征求意见稿的最终版本，须先公布意见采纳情况才能发布".to_string())
            } else if *draft == $item.id && $item.published_version_id.is_some() && *start <= today {
                Some("征求意见开始后，征求意见稿不能修订；修改请体现在正式文件中".to_string())
            } else {
                None
            }
        })
    }};
}

impl Store {
    /// Give every body that has no catalogue the default template for its kind.
    pub async fn ensure_catalogues(&self) -> StoreResult<usize> {
        let missing: Vec<(i64, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT b.id, b.kind FROM bodies b WHERE NOT EXISTS \
                 (SELECT 1 FROM categories c WHERE c.body_id = b.id) ORDER BY b.id",
            )
            .fetch_all(c)
            .await
        })?;
        let now = crate::now_ms();
        for (body_id, kind) in &missing {
            let kind = BodyKind::parse(kind).unwrap_or(BodyKind::Other);
            write_tx!(self, |tx| {
                for (i, t) in d::default_catalogue(kind).iter().enumerate() {
                    let pid: i64 = sqlx::query_scalar(
                        "INSERT INTO categories (body_id, name, template_key, sort_order, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
                    )
                    .bind(body_id)
                    .bind(t.name)
                    .bind(t.key)
                    .bind(i as i64)
                    .bind(now)
                    .fetch_one(&mut *tx)
                    .await?;
                    sqlx::query("UPDATE categories SET path = $1 WHERE id = $2")
                        .bind(format!("/{pid}/"))
                        .bind(pid)
                        .execute(&mut *tx)
                        .await?;
                    for (j, (key, name)) in t.children.iter().enumerate() {
                        let cid: i64 = sqlx::query_scalar(
                            "INSERT INTO categories (body_id, parent_id, name, template_key, sort_order, created_at, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
                        )
                        .bind(body_id)
                        .bind(pid)
                        .bind(*name)
                        .bind(*key)
                        .bind(j as i64)
                        .bind(now)
                        .fetch_one(&mut *tx)
                        .await?;
                        sqlx::query("UPDATE categories SET path = $1 WHERE id = $2")
                            .bind(format!("/{pid}/{cid}/"))
                            .bind(cid)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                Ok(())
            })?;
        }
        Ok(missing.len())
    }

    /// A body's catalogue in tree order (each category followed by its children, siblings by
    /// their sort order).
    pub async fn list_categories(&self, body_id: i64) -> StoreResult<Vec<Category>> {
        let rows: Vec<Category> = read!(self, |c| {
            sqlx::query_as::<_, Category>(
                "SELECT id, body_id, parent_id, path, name, template_key, standard_row_id, sort_order \
                 FROM categories WHERE body_id = $1",
            )
            .bind(body_id)
            .fetch_all(c)
            .await
        })?;
        let mut children: std::collections::BTreeMap<Option<i64>, Vec<Category>> =
            Default::default();
        for c in rows {
            children.entry(c.parent_id).or_default().push(c);
        }
        for v in children.values_mut() {
            v.sort_by_key(|c| (c.sort_order, c.id));
        }
        let mut out = Vec::new();
        let mut stack: Vec<Category> = children
            .remove(&None)
            .unwrap_or_default()
            .into_iter()
            .rev()
            .collect();
        while let Some(c) = stack.pop() {
            let id = c.id;
            out.push(c);
            if let Some(kids) = children.remove(&Some(id)) {
                stack.extend(kids.into_iter().rev());
            }
        }
        Ok(out)
    }

    pub async fn get_category(&self, id: i64) -> StoreResult<Category> {
        read!(self, |c| {
            sqlx::query_as::<_, Category>(
                "SELECT id, body_id, parent_id, path, name, template_key, standard_row_id, sort_order \
                 FROM categories WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Import 标准目录 rows; rows already present (same 领域, 事项 and 层级) are skipped.
    pub async fn import_standard_rows(
        &self,
        rows: &[StandardRow],
        who: &Who,
    ) -> StoreResult<(usize, usize)> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let mut inserted = 0;
            for r in rows {
                let n = sqlx::query(
                    "INSERT INTO standard_rows (area, item_l1, item_l2, content, basis, time_limit, time_limit_days, subject, \
                     channels, audience, method, level, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) \
                     ON CONFLICT (area, item_l1, item_l2, level) DO NOTHING",
                )
                .bind(&r.area)
                .bind(&r.item_l1)
                .bind(&r.item_l2)
                .bind(&r.content)
                .bind(&r.basis)
                .bind(&r.time_limit)
                .bind(d::parse_time_limit_days(&r.time_limit).map(i64::from))
                .bind(&r.subject)
                .bind(&r.channels)
                .bind(&r.audience)
                .bind(&r.method)
                .bind(&r.level)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                inserted += n as usize;
            }
            audit_append!(
                tx,
                AuditEvent::new("standard.import", "standard_row", "")
                    .who(who)
                    .after(serde_json::json!({"rows": rows.len(), "inserted": inserted}))
            );
            Ok((inserted, rows.len() - inserted))
        })
    }

    pub async fn list_standard_rows(&self) -> StoreResult<Vec<StandardRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, StandardRow>(
                "SELECT id, area, item_l1, item_l2, content, basis, time_limit, time_limit_days, subject, \
                 channels, audience, method, level FROM standard_rows ORDER BY area, item_l1, item_l2, level",
            )
            .fetch_all(c)
            .await
        })?)
    }

    /// Add a category to a body's catalogue (under `parent`, or at the top).
    pub async fn create_category(
        &self,
        body_id: i64,
        parent_id: Option<i64>,
        name: &str,
        standard_row_id: Option<i64>,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let parent_path: Option<String> = match parent_id {
                Some(p) => Some(
                    sqlx::query_scalar::<_, String>(
                        "SELECT path FROM categories WHERE id = $1 AND body_id = $2",
                    )
                    .bind(p)
                    .bind(body_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| StoreError::Invalid("上级栏目不属于该机关".into()))?,
                ),
                None => None,
            };
            let order: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(sort_order), 0) + 1 FROM categories WHERE body_id = $1",
            )
            .bind(body_id)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO categories (body_id, parent_id, name, standard_row_id, sort_order, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            )
            .bind(body_id)
            .bind(parent_id)
            .bind(name)
            .bind(standard_row_id)
            .bind(order)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let path = match parent_path {
                Some(p) => format!("{p}{id}/"),
                None => format!("/{id}/"),
            };
            sqlx::query("UPDATE categories SET path = $1 WHERE id = $2")
                .bind(&path)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("category.create", "category", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"name": name, "parent": parent_id, "standard_row": standard_row_id}))
            );
            change_log!(tx, "category", id, "upsert");
            Ok(id)
        })
    }

    /// Rename a category, link it to a 标准目录 row (or unlink), or change its order.
    pub async fn update_category(
        &self,
        id: i64,
        name: &str,
        standard_row_id: Option<i64>,
        sort_order: i64,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (body_id, old_name): (i64, String) =
                sqlx::query_as("SELECT body_id, name FROM categories WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            sqlx::query("UPDATE categories SET name = $1, standard_row_id = $2, sort_order = $3, updated_at = $4 WHERE id = $5")
                .bind(name)
                .bind(standard_row_id)
                .bind(sort_order)
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("category.update", "category", id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"name": old_name}))
                    .after(serde_json::json!({"name": name, "standard_row": standard_row_id, "sort_order": sort_order}))
            );
            change_log!(tx, "category", id, "upsert");
            Ok(())
        })
    }

    /// Remove an empty category (no items, no sub-categories).
    pub async fn delete_category(&self, id: i64, who: &Who) -> StoreResult<()> {
        write_tx!(self, |tx| {
            let body_id: i64 = sqlx::query_scalar("SELECT body_id FROM categories WHERE id = $1")
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
            let used: i64 = sqlx::query_scalar(
                "SELECT (SELECT COUNT(*) FROM items WHERE category_id = $1) + (SELECT COUNT(*) FROM categories WHERE parent_id = $1)",
            )
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
            if used > 0 {
                return Err(StoreError::Invalid(
                    "栏目中还有信息或下级栏目，不能删除".into(),
                ));
            }
            sqlx::query("DELETE FROM categories WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("category.delete", "category", id)
                    .who(who)
                    .body(Some(body_id))
            );
            change_log!(tx, "category", id, "delete");
            Ok(())
        })
    }

    pub async fn get_standard_row(&self, id: i64) -> StoreResult<StandardRow> {
        read!(self, |c| {
            sqlx::query_as::<_, StandardRow>(
                "SELECT id, area, item_l1, item_l2, content, basis, time_limit, time_limit_days, subject, \
                 channels, audience, method, level FROM standard_rows WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn body_settings(&self, body_id: i64) -> StoreResult<BodySettings> {
        let s: Option<String> = read!(self, |c| {
            sqlx::query_scalar("SELECT settings FROM bodies WHERE id = $1")
                .bind(body_id)
                .fetch_optional(c)
                .await
        })?;
        Ok(s.and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default())
    }

    pub async fn set_body_settings(
        &self,
        body_id: i64,
        s: &BodySettings,
        who: &Who,
    ) -> StoreResult<()> {
        let json = serde_json::to_string(s).unwrap_or_else(|_| "{}".into());
        write_tx!(self, |tx| {
            sqlx::query("UPDATE bodies SET settings = $1 WHERE id = $2")
                .bind(&json)
                .bind(body_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("body.settings", "body", body_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::to_value(s).unwrap_or_default())
            );
            change_log!(tx, "body", body_id, "upsert");
            Ok(())
        })
    }

    /// Create an item with its first version as a draft.
    pub async fn create_item(
        &self,
        body_id: i64,
        category_id: i64,
        f: &VersionFields,
        due_on: Option<NaiveDate>,
        who: &Who,
    ) -> StoreResult<(i64, i64)> {
        let author = who
            .user_id
            .ok_or_else(|| StoreError::Invalid("须由工作人员撰写".into()))?;
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let cat_body: Option<i64> =
                sqlx::query_scalar("SELECT body_id FROM categories WHERE id = $1")
                    .bind(category_id)
                    .fetch_optional(&mut *tx)
                    .await?;
            if cat_body != Some(body_id) {
                return Err(StoreError::Invalid("所选栏目不属于该机关".into()));
            }
            let item_id: i64 = sqlx::query_scalar(
                "INSERT INTO items (body_id, category_id, status, scope, normative_kind, title, doc_no, due_on, created_at, updated_at) \
                 VALUES ($1, $2, 'unpublished', $3, $4, $5, $6, $7, $8, $8) RETURNING id",
            )
            .bind(body_id)
            .bind(category_id)
            .bind(&f.scope)
            .bind(&f.normative_kind)
            .bind(&f.title)
            .bind(&f.doc_no)
            .bind(due_on.map(|d| d.to_string()))
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let vid = insert_version!(tx, item_id, 1, f, author, now);
            sqlx::query("UPDATE items SET working_version_id = $1 WHERE id = $2")
                .bind(vid)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            step_row!(tx, vid, "create", who, "");
            audit_append!(
                tx,
                AuditEvent::new("item.create", "item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"title": f.title, "version": vid, "category": category_id}))
            );
            Ok((item_id, vid))
        })
    }

    pub async fn get_item(&self, id: i64) -> StoreResult<Item> {
        read!(self, |c| {
            sqlx::query_as::<_, Item>(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM items WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The item of `body_id` with exactly this title, if there is one (demo and imports).
    pub async fn find_item_titled(&self, body_id: i64, title: &str) -> StoreResult<Option<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar::<_, i64>(
                "SELECT id FROM items WHERE body_id = $1 AND title = $2 ORDER BY id LIMIT 1",
            )
            .bind(body_id)
            .bind(title)
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn find_item_by_index_or_doc(&self, q: &str) -> StoreResult<Option<Item>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Item>(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM items WHERE (index_no = $1 OR doc_no = $1) AND status = 'published' AND scope = 'public' LIMIT 1"
            )))
            .bind(q.trim())
            .fetch_optional(c)
            .await
        })?)
    }

    pub async fn get_version(&self, id: i64) -> StoreResult<Version> {
        read!(self, |c| {
            sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM item_versions WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn versions_of(&self, item_id: i64) -> StoreResult<Vec<Version>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM item_versions WHERE item_id = $1 ORDER BY number"
            )))
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn steps_of(&self, item_id: i64) -> StoreResult<Vec<WorkflowStep>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, WorkflowStep>(
                "SELECT s.id, s.version_id, s.step, s.actor_name, s.comment, s.at_ms FROM workflow_steps s \
                 JOIN item_versions v ON v.id = s.version_id WHERE v.item_id = $1 ORDER BY s.id",
            )
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Save a draft's fields. `expected_updated_at` is the value the form was loaded with: if the
    /// version changed since, the save is refused (two editors never silently overwrite).
    pub async fn update_draft(
        &self,
        version_id: i64,
        f: &VersionFields,
        expected_updated_at: i64,
        due_on: Option<NaiveDate>,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms().max(expected_updated_at + 1);
        write_tx!(self, |tx| {
            let (item_id, state, updated_at): (i64, String, i64) = sqlx::query_as(
                "SELECT item_id, state, updated_at FROM item_versions WHERE id = $1",
            )
            .bind(version_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if state != VersionState::Draft.as_str() {
                return Err(StoreError::Conflict(
                    "该信息已提交审查，不能再修改；如需修改请先由审查人退回".into(),
                ));
            }
            if updated_at != expected_updated_at {
                return Err(StoreError::Conflict(
                    "该信息已被他人修改并保存，您的修改未保存。请刷新后重新编辑".into(),
                ));
            }
            sqlx::query(
                "UPDATE item_versions SET title = $1, doc_no = $2, written_on = $3, formed_on = $4, subject = $5, \
                 keywords = $6, summary = $7, body_md = $8, scope = $9, open_method = $10, normative_kind = $11, \
                 related = $12, updated_at = $13 WHERE id = $14",
            )
            .bind(&f.title)
            .bind(&f.doc_no)
            .bind(f.written_on.map(|d| d.to_string()))
            .bind(f.formed_on.to_string())
            .bind(&f.subject)
            .bind(&f.keywords)
            .bind(&f.summary)
            .bind(&f.body_md)
            .bind(&f.scope)
            .bind(&f.open_method)
            .bind(&f.normative_kind)
            .bind(serde_json::to_string(&f.related).unwrap_or_else(|_| "[]".into()))
            .bind(now)
            .bind(version_id)
            .execute(&mut *tx)
            .await?;
            // An unpublished item's list fields follow its only version.
            sqlx::query(
                "UPDATE items SET title = $1, doc_no = $2, scope = $3, normative_kind = $4, due_on = COALESCE($5, due_on), updated_at = $6 \
                 WHERE id = $7 AND status = 'unpublished'",
            )
            .bind(&f.title)
            .bind(&f.doc_no)
            .bind(&f.scope)
            .bind(&f.normative_kind)
            .bind(due_on.map(|d| d.to_string()))
            .bind(now)
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
            // Old findings refer to old text.
            sqlx::query("DELETE FROM findings WHERE version_id = $1 AND status = 'open'")
                .bind(version_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("item.edit", "item", item_id)
                    .who(who)
                    .after(serde_json::json!({"version": version_id, "title": f.title}))
            );
            Ok(())
        })
    }

    /// Replace a version's open findings with a new scan.
    pub async fn save_findings(
        &self,
        version_id: i64,
        found: &[(String, gongkai_domain::screening::Finding)],
    ) -> StoreResult<()> {
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM findings WHERE version_id = $1 AND status = 'open'")
                .bind(version_id)
                .execute(&mut *tx)
                .await?;
            for (field, f) in found {
                sqlx::query(
                    "INSERT INTO findings (version_id, field, kind, start_pos, end_pos, matched, context) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(version_id)
                .bind(field)
                .bind(f.kind.as_str())
                .bind(f.start as i64)
                .bind(f.end as i64)
                .bind(&f.matched)
                .bind(&f.context)
                .execute(&mut *tx)
                .await?;
            }
            Ok(())
        })
    }

    pub async fn findings_of(&self, version_id: i64) -> StoreResult<Vec<FindingRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, FindingRow>(
                "SELECT id, version_id, field, kind, start_pos, end_pos, matched, context, status, reason \
                 FROM findings WHERE version_id = $1 ORDER BY field, start_pos",
            )
            .bind(version_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Resolve a finding: `masked` (the text was replaced, `new_text` is the field's new value)
    /// or `accepted` with a reason.
    pub async fn resolve_finding(
        &self,
        finding_id: i64,
        resolution: &str,
        reason: &str,
        new_text: Option<(&str, &str)>,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (version_id, status): (i64, String) =
                sqlx::query_as("SELECT version_id, status FROM findings WHERE id = $1")
                    .bind(finding_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            if status != "open" {
                return Err(StoreError::Conflict("该筛查发现已被处理".into()));
            }
            if let Some((field, text)) = new_text {
                let sql = match field {
                    "title" => "UPDATE item_versions SET title = $1, updated_at = $2 WHERE id = $3",
                    "summary" => {
                        "UPDATE item_versions SET summary = $1, updated_at = $2 WHERE id = $3"
                    }
                    "body_md" => {
                        "UPDATE item_versions SET body_md = $1, updated_at = $2 WHERE id = $3"
                    }
                    "keywords" => {
                        "UPDATE item_versions SET keywords = $1, updated_at = $2 WHERE id = $3"
                    }
                    _ => {
                        return Err(StoreError::Invalid(
                            "附件中的内容不能在线遮盖，请修改附件后重新上传，或说明理由后接受"
                                .into(),
                        ));
                    }
                };
                sqlx::query(sql)
                    .bind(text)
                    .bind(now)
                    .bind(version_id)
                    .execute(&mut *tx)
                    .await?;
                // Positions of the other open findings in this field may have moved.
                sqlx::query("DELETE FROM findings WHERE version_id = $1 AND field = $2 AND status = 'open' AND id <> $3")
                    .bind(version_id)
                    .bind(field)
                    .bind(finding_id)
                    .execute(&mut *tx)
                    .await?;
            }
            sqlx::query("UPDATE findings SET status = $1, reason = $2, resolved_by = $3, resolved_at = $4 WHERE id = $5")
                .bind(resolution)
                .bind(reason)
                .bind(who.user_id)
                .bind(now)
                .bind(finding_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new(&format!("finding.{resolution}"), "finding", finding_id)
                    .who(who)
                    .after(serde_json::json!({"version": version_id, "reason": reason}))
            );
            Ok(())
        })
    }

    /// Apply one workflow step to a version, under the domain's rule. On publication this also
    /// assigns the 索引号 (first publication only), supersedes the previous version, records the
    /// ledger entry and the change-log row — all in one transaction.
    pub async fn apply_step(
        &self,
        version_id: i64,
        actor: &Actor,
        step: &Step,
        input: &StepInput,
        who: &Who,
    ) -> StoreResult<StepOutcome> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let v = sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM item_versions WHERE id = $1"
            )))
            .bind(version_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            let item = sqlx::query_as::<_, Item>(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM items WHERE id = $1"
            )))
            .bind(v.item_id)
            .fetch_one(&mut *tx)
            .await?;
            let (body_path, org_code, settings): (String, String, String) =
                sqlx::query_as("SELECT path, org_code, settings FROM bodies WHERE id = $1")
                    .bind(item.body_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let settings: BodySettings = serde_json::from_str(&settings).unwrap_or_default();
            let open_findings: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM findings WHERE version_id = $1 AND status = 'open'",
            )
            .bind(version_id)
            .fetch_one(&mut *tx)
            .await?;
            let facts = VersionFacts {
                state: v.state(),
                author_id: v.author_id,
                reviewer_id: v.reviewer_id,
                open_findings: open_findings as usize,
            };
            let next = d::transition(
                actor,
                &body_path,
                &facts,
                step,
                settings.allow_same_reviewer_approver,
            )
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
            if matches!(step, Step::Return) && input.comment.trim().is_empty() {
                return Err(StoreError::Invalid("退回时请填写修改意见".into()));
            }
            if matches!(step, Step::Submit) && v.title.trim().is_empty() {
                return Err(StoreError::Invalid("请先填写标题".into()));
            }
            // 征求意见: a final version waits for its 意见采纳情况; a draft is not revised once open.
            if matches!(step, Step::Approve { .. }) {
                let today = input.today.unwrap_or_else(crate::today_cn);
                if let Some(m) = consultation_refusal!(tx, item, today) {
                    return Err(StoreError::Conflict(m));
                }
            }
            // Guard against a concurrent step: only move from the state we read.
            let moved = sqlx::query(
                "UPDATE item_versions SET state = $1, updated_at = $2 WHERE id = $3 AND state = $4",
            )
            .bind(next.as_str())
            .bind(now)
            .bind(version_id)
            .bind(v.state().as_str())
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if moved != 1 {
                return Err(StoreError::Conflict(
                    "该信息已由他人处理，请刷新后查看".into(),
                ));
            }
            match step {
                Step::ReviewPass(c) => {
                    sqlx::query("UPDATE item_versions SET reviewer_id = $1, conclusion = $2, legal_ground = NULL WHERE id = $3")
                        .bind(actor.user_id)
                        .bind(c.as_str())
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Step::ReviewWithhold(g) => {
                    sqlx::query("UPDATE item_versions SET reviewer_id = $1, conclusion = 'withhold', legal_ground = $2 WHERE id = $3")
                        .bind(actor.user_id)
                        .bind(g.as_str())
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await?;
                    // A working version that ends leaves the item as it was.
                    sqlx::query("UPDATE items SET working_version_id = NULL WHERE id = $1 AND working_version_id = $2")
                        .bind(item.id)
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Step::Approve { .. } => {
                    sqlx::query("UPDATE item_versions SET approver_id = $1, scheduled_at = $2 WHERE id = $3")
                        .bind(actor.user_id)
                        .bind(input.scheduled_at)
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Step::Return => {
                    sqlx::query("UPDATE item_versions SET reviewer_id = NULL, conclusion = NULL WHERE id = $1")
                        .bind(version_id)
                        .execute(&mut *tx)
                        .await?;
                }
                Step::Submit => {}
            }
            let label = match step {
                Step::ReviewPass(c) => format!("{}（{}）", step.key(), c.label()),
                Step::ReviewWithhold(g) => format!("{}（{}）", step.key(), g.label()),
                _ => step.key().to_string(),
            };
            step_row!(tx, version_id, &label, who, input.comment.trim());
            audit_append!(
                tx,
                AuditEvent::new(&format!("item.{}", step.key()), "item", item.id)
                    .who(who)
                    .body(Some(item.body_id))
                    .before(serde_json::json!({"version": version_id, "state": v.state}))
                    .after(
                        serde_json::json!({"state": next.as_str(), "comment": input.comment.trim()})
                    )
            );
            let mut outcome = StepOutcome {
                new_state: next,
                index_no: item.index_no.clone(),
                ledger_seq: None,
            };
            if next == VersionState::Published {
                let (index_no, seq) = publish_in_tx!(tx, item, v, org_code, settings, input, now);
                outcome.index_no = Some(index_no);
                outcome.ledger_seq = Some(seq);
            }
            Ok(outcome)
        })
    }

    /// Record a batch of legacy items as published on their original dates, in one transaction:
    /// items, versions, 索引号 (kept if given, else assigned for the year of publication), ledger
    /// entries and change-log rows. A row already imported (same 索引号, or same body, date and
    /// title) is skipped, so running an import twice adds nothing.
    pub async fn import_published(
        &self,
        rows: &[ImportRow],
        who: &Who,
    ) -> StoreResult<ImportOutcome> {
        use chrono::Datelike;
        let author = who.user_id;
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            audit_append!(
                tx,
                AuditEvent::new("item.import", "item", "")
                    .who(who)
                    .after(serde_json::json!({"rows": rows.len()}))
            );
            let author: i64 = match author {
                Some(a) => a,
                None => sqlx::query_scalar("SELECT MIN(id) FROM users")
                    .fetch_one(&mut *tx)
                    .await
                    .map(|v: Option<i64>| v.unwrap_or(0))?,
            };
            if author == 0 {
                return Err(StoreError::Invalid(
                    "导入前请先创建至少一个工作人员账号".into(),
                ));
            }
            let mut out = ImportOutcome::default();
            for r in rows {
                let f = &r.fields;
                let published_on = r.published_on.to_string();
                let exists: Option<i64> = match &r.index_no {
                    Some(ix) => sqlx::query_scalar("SELECT id FROM items WHERE index_no = $1").bind(ix).fetch_optional(&mut *tx).await?,
                    None => sqlx::query_scalar("SELECT id FROM items WHERE body_id = $1 AND published_on = $2 AND title = $3")
                        .bind(r.body_id)
                        .bind(&published_on)
                        .bind(&f.title)
                        .fetch_optional(&mut *tx)
                        .await?,
                };
                if exists.is_some() {
                    out.skipped += 1;
                    continue;
                }
                let index_no = match &r.index_no {
                    Some(ix) => ix.clone(),
                    None => {
                        let year = i64::from(r.published_on.year());
                        sqlx::query("INSERT INTO index_counters (body_id, year, next_serial) VALUES ($1, $2, 1) ON CONFLICT (body_id, year) DO NOTHING")
                            .bind(r.body_id)
                            .bind(year)
                            .execute(&mut *tx)
                            .await?;
                        let serial: i64 = sqlx::query_scalar("UPDATE index_counters SET next_serial = next_serial + 1 WHERE body_id = $1 AND year = $2 RETURNING next_serial - 1")
                            .bind(r.body_id)
                            .bind(year)
                            .fetch_one(&mut *tx)
                            .await?;
                        d::format_index_no(
                            d::DEFAULT_INDEX_PATTERN,
                            &r.org_code,
                            r.published_on.year(),
                            serial,
                        )
                        .map_err(StoreError::Invalid)?
                    }
                };
                let published_ms = r
                    .published_on
                    .and_hms_opt(9, 0, 0)
                    .map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000)
                    .unwrap_or(now);
                let item_id: i64 = sqlx::query_scalar(
                    "INSERT INTO items (body_id, category_id, status, index_no, scope, validity, validity_date, normative_kind, title, doc_no, \
                     first_published_at, published_at, published_on, created_at, updated_at) \
                     VALUES ($1, $2, 'published', $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $12) RETURNING id",
                )
                .bind(r.body_id)
                .bind(r.category_id)
                .bind(&index_no)
                .bind(&f.scope)
                .bind(&r.validity)
                .bind(r.validity_date.map(|d| d.to_string()))
                .bind(&f.normative_kind)
                .bind(&f.title)
                .bind(&f.doc_no)
                .bind(published_ms)
                .bind(&published_on)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?;
                let vid = insert_version!(tx, item_id, 1, f, author, now);
                let content = PublishedContent {
                    index_no: index_no.clone(),
                    title: f.title.clone(),
                    doc_no: f.doc_no.clone(),
                    written_on: f.written_on.map(|d| d.to_string()).unwrap_or_default(),
                    subject: f.subject.clone(),
                    keywords: f.keywords.clone(),
                    summary: f.summary.clone(),
                    body_md: f.body_md.clone(),
                    attachments: vec![],
                };
                let hash = content.hash();
                sqlx::query("UPDATE item_versions SET state = 'published', published_at = $1, content_hash = $2 WHERE id = $3")
                    .bind(published_ms)
                    .bind(&hash)
                    .bind(vid)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE items SET published_version_id = $1 WHERE id = $2")
                    .bind(vid)
                    .bind(item_id)
                    .execute(&mut *tx)
                    .await?;
                ledger_append!(
                    tx,
                    r.body_id,
                    item_id,
                    vid,
                    &index_no,
                    LedgerAction::Publish,
                    &hash,
                    ""
                );
                change_log!(tx, "item", item_id, "upsert");
                out.inserted += 1;
            }
            Ok(out)
        })
    }

    /// Publish scheduled versions whose time has come. Returns how many were published.
    pub async fn publish_due(&self, now_ms: i64, today: NaiveDate) -> StoreResult<usize> {
        let due: Vec<i64> = read!(self, |c| {
            sqlx::query_scalar("SELECT id FROM item_versions WHERE state = 'scheduled' AND scheduled_at <= $1 ORDER BY scheduled_at")
                .bind(now_ms)
                .fetch_all(c)
                .await
        })?;
        let mut n = 0;
        for vid in due {
            let now = crate::now_ms();
            let who = Who::system();
            let input = StepInput {
                today: Some(today),
                ..Default::default()
            };
            let done = write_tx!(self, |tx| {
                let v = sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
                    "SELECT {VERSION_COLS} FROM item_versions WHERE id = $1 AND state = 'scheduled'"
                )))
                .bind(vid)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(v) = v else { return Ok(false) };
                let item = sqlx::query_as::<_, Item>(sqlx::AssertSqlSafe(format!(
                    "SELECT {ITEM_COLS} FROM items WHERE id = $1"
                )))
                .bind(v.item_id)
                .fetch_one(&mut *tx)
                .await?;
                // A scheduled final version of a draft for comment waits for the feedback.
                if consultation_refusal!(tx, item, today).is_some() {
                    return Ok(false);
                }
                let (org_code, settings): (String, String) =
                    sqlx::query_as("SELECT org_code, settings FROM bodies WHERE id = $1")
                        .bind(item.body_id)
                        .fetch_one(&mut *tx)
                        .await?;
                let settings: BodySettings = serde_json::from_str(&settings).unwrap_or_default();
                sqlx::query("UPDATE item_versions SET state = 'published' WHERE id = $1")
                    .bind(vid)
                    .execute(&mut *tx)
                    .await?;
                step_row!(tx, vid, "publish_scheduled", &who, "");
                audit_append!(
                    tx,
                    AuditEvent::new("item.publish_scheduled", "item", item.id)
                        .who(&who)
                        .body(Some(item.body_id))
                );
                publish_in_tx!(tx, item, v, org_code, settings, input, now);
                Ok(true)
            })?;
            if done {
                n += 1;
            }
        }
        Ok(n)
    }

    /// Start a revision of a published item: a new draft version copied from the published one.
    pub async fn revise_item(&self, item_id: i64, actor: &Actor, who: &Who) -> StoreResult<i64> {
        let now = crate::now_ms();
        let author = who
            .user_id
            .ok_or_else(|| StoreError::Invalid("须由工作人员修订".into()))?;
        write_tx!(self, |tx| {
            let (item, body_path) = item_in_tx!(tx, item_id);
            if !actor.can(gongkai_domain::access::Permission::EditItems, &body_path) {
                return Err(StoreError::Invalid("您没有在该机关修订信息的权限".into()));
            }
            if item.status != "published" {
                return Err(StoreError::Invalid("只有已发布的信息才能修订".into()));
            }
            if item.working_version_id.is_some() {
                return Err(StoreError::Conflict(
                    "该信息已有一个正在办理的修订版本".into(),
                ));
            }
            let pv = item.published_version_id.ok_or(StoreError::NotFound)?;
            let p = sqlx::query_as::<_, Version>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM item_versions WHERE id = $1"
            )))
            .bind(pv)
            .fetch_one(&mut *tx)
            .await?;
            let number: i64 =
                sqlx::query_scalar("SELECT MAX(number) FROM item_versions WHERE item_id = $1")
                    .bind(item_id)
                    .fetch_one(&mut *tx)
                    .await?;
            let f = VersionFields {
                title: p.title.clone(),
                doc_no: p.doc_no.clone(),
                written_on: p
                    .written_on
                    .as_deref()
                    .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()),
                formed_on: NaiveDate::parse_from_str(&p.formed_on, "%Y-%m-%d").unwrap_or_default(),
                subject: p.subject.clone(),
                keywords: p.keywords.clone(),
                summary: p.summary.clone(),
                body_md: p.body_md.clone(),
                scope: p.scope.clone(),
                open_method: p.open_method.clone(),
                normative_kind: p.normative_kind.clone(),
                related: p.related_ids(),
            };
            let vid = insert_version!(tx, item_id, number + 1, f, author, now);
            sqlx::query("INSERT INTO attachments (version_id, ord, name, sha256, size, mime, text_content, created_at) \
                         SELECT $1, ord, name, sha256, size, mime, text_content, $2 FROM attachments WHERE version_id = $3")
                .bind(vid)
                .bind(now)
                .bind(pv)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE items SET working_version_id = $1, updated_at = $2 WHERE id = $3")
                .bind(vid)
                .bind(now)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            step_row!(tx, vid, "revise", who, "");
            audit_append!(
                tx,
                AuditEvent::new("item.revise", "item", item_id)
                    .who(who)
                    .body(Some(item.body_id))
                    .after(serde_json::json!({"version": vid}))
            );
            Ok(vid)
        })
    }

    /// Withdraw (撤回) a published item with a reason. The page stays as a notice; the content is
    /// no longer served.
    pub async fn withdraw_item(
        &self,
        item_id: i64,
        reason: &str,
        actor: &Actor,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        if reason.trim().is_empty() {
            return Err(StoreError::Invalid("请填写撤回理由".into()));
        }
        write_tx!(self, |tx| {
            let (item, body_path) = item_in_tx!(tx, item_id);
            if !actor.can(gongkai_domain::access::Permission::ApproveItems, &body_path) {
                return Err(StoreError::Invalid("撤回须由审批领导办理".into()));
            }
            if item.status != "published" {
                return Err(StoreError::Invalid("只有已发布的信息才能撤回".into()));
            }
            sqlx::query("UPDATE items SET status = 'withdrawn', withdrawn_reason = $1, withdrawn_at = $2, updated_at = $2, version = version + 1 WHERE id = $3")
                .bind(reason.trim())
                .bind(now)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("item.withdraw", "item", item_id)
                    .who(who)
                    .body(Some(item.body_id))
                    .after(serde_json::json!({"reason": reason.trim()}))
            );
            let payload = serde_json::json!({
                "index_no": item.index_no, "title": item.title, "action": "withdraw",
                "reason": reason.trim(), "at_ms": now,
            });
            Ok(ledger_notice!(
                tx,
                item,
                LedgerAction::Withdraw,
                payload,
                "withdraw"
            ))
        })
    }

    /// Change 有效性 (有效 / 失效 / 废止) of a published item, with its date and what replaces it.
    pub async fn set_validity(
        &self,
        item_id: i64,
        validity: d::Validity,
        date: Option<NaiveDate>,
        replaced_by: Option<i64>,
        actor: &Actor,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (item, body_path) = item_in_tx!(tx, item_id);
            if !actor.can(gongkai_domain::access::Permission::EditItems, &body_path)
                && !actor.can(gongkai_domain::access::Permission::ApproveItems, &body_path)
            {
                return Err(StoreError::Invalid("您没有在该机关变更有效性的权限".into()));
            }
            if item.status != "published" {
                return Err(StoreError::Invalid("只有已发布的信息才能变更有效性".into()));
            }
            if validity != d::Validity::Valid && date.is_none() {
                return Err(StoreError::Invalid("请填写失效或废止的日期".into()));
            }
            if let Some(r) = replaced_by {
                let ok: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM items WHERE id = $1 AND status = 'published' AND id <> $2",
                )
                .bind(r)
                .bind(item_id)
                .fetch_optional(&mut *tx)
                .await?;
                if ok.is_none() {
                    return Err(StoreError::Invalid("替代文件须是另一条已发布的信息".into()));
                }
            }
            sqlx::query("UPDATE items SET validity = $1, validity_date = $2, replaced_by = $3, updated_at = $4, version = version + 1 WHERE id = $5")
                .bind(validity.as_str())
                .bind(date.map(|d| d.to_string()))
                .bind(replaced_by)
                .bind(now)
                .bind(item_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("item.validity", "item", item_id)
                    .who(who)
                    .body(Some(item.body_id))
                    .before(serde_json::json!({"validity": item.validity}))
                    .after(serde_json::json!({"validity": validity.as_str(), "date": date, "replaced_by": replaced_by}))
            );
            let payload = serde_json::json!({
                "index_no": item.index_no, "validity": validity.as_str(),
                "date": date.map(|d| d.to_string()), "replaced_by": replaced_by,
            });
            Ok(ledger_notice!(
                tx,
                item,
                LedgerAction::Validity,
                payload,
                "upsert"
            ))
        })
    }

    /// Back-office lists: items of bodies in `scope`, optionally only those whose working version
    /// is in `state`.
    pub async fn list_items_admin(
        &self,
        scope: &gongkai_domain::access::Scope,
        state: Option<VersionState>,
        limit: i64,
    ) -> StoreResult<Vec<ItemListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT i.id, i.body_id, b.name AS body_name, COALESCE(v.title, i.title) AS title, i.status, i.index_no, \
                 v.id AS version_id, v.state AS version_state, i.scope, i.due_on, i.late, i.updated_at \
                 FROM items i JOIN bodies b ON b.id = i.body_id \
                 LEFT JOIN item_versions v ON v.id = i.working_version_id WHERE 1 = 1",
            );
            push_scope!(qb, scope, "b.path");
            if let Some(s) = state {
                qb.push(" AND v.state = ").push_bind(s.as_str());
            }
            qb.push(" ORDER BY i.updated_at DESC LIMIT ")
                .push_bind(limit.clamp(1, 1000));
            qb.build_query_as::<ItemListRow>().fetch_all(c).await
        })?)
    }

    /// Unpublished items in `scope` whose due date is before `until` (due soon or overdue).
    pub async fn list_due(
        &self,
        scope: &gongkai_domain::access::Scope,
        until: NaiveDate,
    ) -> StoreResult<Vec<ItemListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT i.id, i.body_id, b.name AS body_name, COALESCE(v.title, i.title) AS title, i.status, i.index_no, \
                 v.id AS version_id, v.state AS version_state, i.scope, i.due_on, i.late, i.updated_at \
                 FROM items i JOIN bodies b ON b.id = i.body_id \
                 LEFT JOIN item_versions v ON v.id = i.working_version_id \
                 WHERE i.status = 'unpublished' AND i.due_on IS NOT NULL",
            );
            push_scope!(qb, scope, "b.path");
            qb.push(" AND i.due_on <= ").push_bind(until.to_string());
            qb.push(" ORDER BY i.due_on LIMIT 500");
            qb.build_query_as::<ItemListRow>().fetch_all(c).await
        })?)
    }

    /// Published public items (withdrawn ones too: they stay as notices), newest first, optionally
    /// of one body or category subtree.
    pub async fn list_public_items(
        &self,
        body_id: Option<i64>,
        category_path: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<PublicListRow>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT i.id, i.body_id, b.name AS body_name, i.category_id, i.title, i.index_no, i.doc_no, i.published_on, i.validity, i.status \
                 FROM items i JOIN bodies b ON b.id = i.body_id",
            );
            if category_path.is_some() {
                qb.push(" JOIN categories c ON c.id = i.category_id");
            }
            qb.push(" WHERE i.status IN ('published', 'withdrawn') AND i.scope = 'public'");
            if let Some(b) = body_id {
                qb.push(" AND i.body_id = ").push_bind(b);
            }
            if let Some(p) = category_path {
                qb.push(" AND c.path LIKE ").push_bind(format!("{p}%"));
            }
            qb.push(" ORDER BY i.published_at DESC, i.id DESC LIMIT ")
                .push_bind(limit)
                .push(" OFFSET ")
                .push_bind(offset);
            qb.build_query_as::<PublicListRow>().fetch_all(c).await
        })?)
    }

    /// Items that link to `item_id` or that it links to (解读 ↔ 文件), published and public.
    pub async fn related_public(&self, item_id: i64) -> StoreResult<Vec<PublicListRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, PublicListRow>(
                "SELECT i.id, i.body_id, b.name AS body_name, i.category_id, i.title, i.index_no, i.doc_no, i.published_on, i.validity, i.status \
                 FROM items i JOIN bodies b ON b.id = i.body_id \
                 WHERE i.status = 'published' AND i.scope = 'public' AND i.id IN \
                 (SELECT related_item_id FROM item_links WHERE item_id = $1 UNION SELECT item_id FROM item_links WHERE related_item_id = $1)",
            )
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn ledger_of(&self, item_id: i64) -> StoreResult<Vec<LedgerRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, LedgerRow>(
                "SELECT seq, at_ms, body_id, item_id, version_id, index_no, action, content_hash, payload, prev_hash, hash \
                 FROM ledger WHERE item_id = $1 ORDER BY seq",
            )
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    /// Ledger entries whose content hash (or whose version's attachment) matches `hash`.
    pub async fn ledger_lookup(&self, hash: &str) -> StoreResult<Vec<LedgerRow>> {
        let h = hash.trim().to_lowercase();
        Ok(read!(self, |c| {
            sqlx::query_as::<_, LedgerRow>(
                "SELECT seq, at_ms, body_id, item_id, version_id, index_no, action, content_hash, payload, prev_hash, hash \
                 FROM ledger WHERE content_hash = $1 OR hash = $1 \
                 OR version_id IN (SELECT version_id FROM attachments WHERE sha256 = $1) ORDER BY seq LIMIT 50",
            )
            .bind(&h)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn ledger_entry(&self, seq: i64) -> StoreResult<Option<LedgerRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, LedgerRow>(
                "SELECT seq, at_ms, body_id, item_id, version_id, index_no, action, content_hash, payload, prev_hash, hash \
                 FROM ledger WHERE seq = $1",
            )
            .bind(seq)
            .fetch_optional(c)
            .await
        })?)
    }

    /// Sign the ledger head if it moved since the last checkpoint.
    pub async fn checkpoint_ledger(&self, key: &LedgerKey) -> StoreResult<Option<i64>> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let head: Option<(i64, String)> =
                sqlx::query_as("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
            let Some((seq, hash)) = head else {
                return Ok(None);
            };
            let last: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM ledger_checkpoints")
                .fetch_one(&mut *tx)
                .await?;
            if last == Some(seq) {
                return Ok(None);
            }
            sqlx::query("INSERT INTO ledger_checkpoints (seq, at_ms, head_hash, public_key, signature) VALUES ($1, $2, $3, $4, $5)")
                .bind(seq)
                .bind(now)
                .bind(&hash)
                .bind(key.public_base64())
                .bind(key.sign_checkpoint(seq, &hash, now))
                .execute(&mut *tx)
                .await?;
            Ok(Some(seq))
        })
    }

    /// The latest checkpoint at or after `seq`, if any: (seq, at, head_hash, public_key, signature).
    pub async fn checkpoint_covering(
        &self,
        seq: i64,
    ) -> StoreResult<Option<(i64, i64, String, String, String)>> {
        Ok(read!(self, |c| {
            sqlx::query_as("SELECT seq, at_ms, head_hash, public_key, signature FROM ledger_checkpoints WHERE seq >= $1 ORDER BY seq LIMIT 1")
                .bind(seq)
                .fetch_optional(c)
                .await
        })?)
    }

    /// Walk the ledger: chain links, each entry's content against the stored version (or payload),
    /// and every checkpoint's signature. Attachment files are checked by the caller, which knows
    /// where they are stored (see `attachments_of_version`).
    pub async fn verify_ledger(
        &self,
    ) -> StoreResult<Result<u64, gongkai_domain::ledger::LedgerBreak>> {
        use gongkai_domain::ledger::{LedgerBreak, LedgerVerifier, verify_checkpoint};
        let mut verifier = LedgerVerifier::default();
        let mut after = 0i64;
        let mut hashes = std::collections::HashMap::new();
        loop {
            let rows: Vec<LedgerRow> = read!(self, |c| {
                sqlx::query_as::<_, LedgerRow>(
                    "SELECT seq, at_ms, body_id, item_id, version_id, index_no, action, content_hash, payload, prev_hash, hash \
                     FROM ledger WHERE seq > $1 ORDER BY seq LIMIT 2000",
                )
                .bind(after)
                .fetch_all(c)
                .await
            })?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                if let Err(b) = verifier.check(&r.entry(), &r.prev_hash, &r.hash) {
                    return Ok(Err(b));
                }
                let expected = if r.payload.is_empty() {
                    match self.content_of_version(r.version_id, &r.index_no).await {
                        Ok(c) => c.hash(),
                        Err(StoreError::NotFound) => String::new(),
                        Err(e) => return Err(e),
                    }
                } else {
                    sha256_hex(&r.payload)
                };
                if expected != r.content_hash {
                    return Ok(Err(LedgerBreak {
                        seq: r.seq,
                        reason: format!(
                            "{} 的已发布内容与台账记录的哈希不符（内容被修改）",
                            r.index_no
                        ),
                    }));
                }
                hashes.insert(r.seq, r.hash.clone());
                after = r.seq;
            }
        }
        let cps: Vec<(i64, i64, String, String, String)> = read!(self, |c| {
            sqlx::query_as("SELECT seq, at_ms, head_hash, public_key, signature FROM ledger_checkpoints ORDER BY seq")
                .fetch_all(c)
                .await
        })?;
        for (seq, at, head, pk, sig) in cps {
            if hashes.get(&seq) != Some(&head) || !verify_checkpoint(&pk, seq, &head, at, &sig) {
                return Ok(Err(LedgerBreak {
                    seq,
                    reason: "签名检查点与台账不符".into(),
                }));
            }
        }
        Ok(Ok(verifier.checked))
    }

    /// The canonical published content of a version (what its ledger entry hashed).
    pub async fn content_of_version(
        &self,
        version_id: i64,
        index_no: &str,
    ) -> StoreResult<PublishedContent> {
        let v = self.get_version(version_id).await?;
        let atts = self.attachments_of_version(version_id).await?;
        Ok(content_of(
            &v,
            index_no,
            atts.iter().map(|a| a.sha256.clone()).collect(),
        ))
    }

    /// Attach a stored file (already durable under its SHA-256) to a draft version.
    #[allow(clippy::too_many_arguments)]
    pub async fn add_attachment(
        &self,
        version_id: i64,
        name: &str,
        sha256: &str,
        size: i64,
        mime: &str,
        text: &str,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (item_id, state): (i64, String) =
                sqlx::query_as("SELECT item_id, state FROM item_versions WHERE id = $1")
                    .bind(version_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            if state != VersionState::Draft.as_str() {
                return Err(StoreError::Conflict("只有草稿可以添加或删除附件".into()));
            }
            let ord: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(ord), 0) + 1 FROM attachments WHERE version_id = $1",
            )
            .bind(version_id)
            .fetch_one(&mut *tx)
            .await?;
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO attachments (version_id, ord, name, sha256, size, mime, text_content, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(version_id)
            .bind(ord)
            .bind(name)
            .bind(sha256)
            .bind(size)
            .bind(mime)
            .bind(text)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            sqlx::query("UPDATE item_versions SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(version_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("item.attach", "item", item_id)
                    .who(who)
                    .after(serde_json::json!({"version": version_id, "name": name, "sha256": sha256, "size": size}))
            );
            Ok(id)
        })
    }

    pub async fn remove_attachment(&self, attachment_id: i64, who: &Who) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let (version_id, name, sha): (i64, String, String) =
                sqlx::query_as("SELECT version_id, name, sha256 FROM attachments WHERE id = $1")
                    .bind(attachment_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or(StoreError::NotFound)?;
            let (item_id, state): (i64, String) =
                sqlx::query_as("SELECT item_id, state FROM item_versions WHERE id = $1")
                    .bind(version_id)
                    .fetch_one(&mut *tx)
                    .await?;
            if state != VersionState::Draft.as_str() {
                return Err(StoreError::Conflict("只有草稿可以添加或删除附件".into()));
            }
            sqlx::query(
                "DELETE FROM findings WHERE version_id = $1 AND field = $2 AND status = 'open'",
            )
            .bind(version_id)
            .bind(format!("attachment:{attachment_id}"))
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM attachments WHERE id = $1")
                .bind(attachment_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE item_versions SET updated_at = $1 WHERE id = $2")
                .bind(now)
                .bind(version_id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("item.detach", "item", item_id)
                    .who(who)
                    .before(
                        serde_json::json!({"version": version_id, "name": name, "sha256": sha})
                    )
            );
            Ok(())
        })
    }

    pub async fn get_attachment(&self, id: i64) -> StoreResult<AttachmentRow> {
        read!(self, |c| {
            sqlx::query_as::<_, AttachmentRow>(
                "SELECT id, version_id, ord, name, sha256, size, mime, created_at FROM attachments WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// The extracted text of a version's attachments, for screening: (attachment id, name, text).
    pub async fn attachment_texts(
        &self,
        version_id: i64,
    ) -> StoreResult<Vec<(i64, String, String)>> {
        Ok(read!(self, |c| {
            sqlx::query_as("SELECT id, name, text_content FROM attachments WHERE version_id = $1 ORDER BY ord, id")
                .bind(version_id)
                .fetch_all(c)
                .await
        })?)
    }

    /// Every attachment of every version the ledger recorded as published: (ledger seq, 索引号,
    /// file name, SHA-256), for checking the stored files.
    pub async fn ledger_attachments(&self) -> StoreResult<Vec<(i64, String, String, String)>> {
        Ok(read!(self, |c| {
            sqlx::query_as(
                "SELECT l.seq, l.index_no, a.name, a.sha256 FROM ledger l JOIN attachments a ON a.version_id = l.version_id \
                 WHERE l.payload = '' ORDER BY l.seq, a.ord, a.id",
            )
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn attachments_of_version(&self, version_id: i64) -> StoreResult<Vec<AttachmentRow>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, AttachmentRow>(
                "SELECT id, version_id, ord, name, sha256, size, mime, created_at FROM attachments WHERE version_id = $1 ORDER BY ord, id",
            )
            .bind(version_id)
            .fetch_all(c)
            .await
        })?)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, sqlx_macros::FromRow)]
pub struct AttachmentRow {
    pub id: i64,
    pub version_id: i64,
    pub ord: i64,
    pub name: String,
    pub sha256: String,
    pub size: i64,
    pub mime: String,
    pub created_at: i64,
}

pub fn content_of(v: &Version, index_no: &str, attachments: Vec<String>) -> PublishedContent {
    PublishedContent {
        index_no: index_no.to_string(),
        title: v.title.clone(),
        doc_no: v.doc_no.clone(),
        written_on: v.written_on.clone().unwrap_or_default(),
        subject: v.subject.clone(),
        keywords: v.keywords.clone(),
        summary: v.summary.clone(),
        body_md: v.body_md.clone(),
        attachments,
    }
}

pub fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(s.as_bytes()))
}
