//! Appending to and reading the hash-chained audit log, and the change log that derived data
//! (the search index) follows.

use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEntry, ChainBreak, ChainVerifier};
use serde::Serialize;

use crate::{Store, StoreResult};

/// Append one audit entry inside the open transaction `$tx`; evaluates to its sequence number.
/// Taking the head row's write lock first serialises appends on both backends, so the chain is
/// never forked, and change-log rows written in the same transaction commit in sequence order.
#[macro_export]
macro_rules! audit_append {
    ($tx:ident, $ev:expr) => {{
        let now = $crate::now_ms();
        sqlx::query("UPDATE audit_head SET touched_at = $1 WHERE id = 1")
            .bind(now)
            .execute(&mut *$tx)
            .await?;
        let (head_seq, head_hash): (i64, String) =
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(&mut *$tx)
                .await?;
        let entry = ($ev).into_entry(head_seq + 1, now);
        let hash = $crate::domain::audit::entry_hash(&head_hash, &entry);
        sqlx::query(
            "INSERT INTO audit_log (seq, at_ms, actor_user_id, actor_name, body_id, action, \
             object_type, object_id, before_json, after_json, ip, prev_hash, hash) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        )
        .bind(entry.seq)
        .bind(entry.at_ms)
        .bind(entry.actor_user_id)
        .bind(&entry.actor_name)
        .bind(entry.body_id)
        .bind(&entry.action)
        .bind(&entry.object_type)
        .bind(&entry.object_id)
        .bind(&entry.before)
        .bind(&entry.after)
        .bind(&entry.ip)
        .bind(&head_hash)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(entry.seq)
            .bind(&hash)
            .execute(&mut *$tx)
            .await?;
        entry.seq
    }};
}

/// Record in the change log that `entity` `id` changed (`op`), inside the open transaction.
/// What is derived from the entity in the database follows in the same transaction: an item's
/// page rows (its own and those of the pages that show it), and a body's name in the related
/// lists of pages.
#[macro_export]
macro_rules! change_log {
    ($tx:ident, $entity:expr, $id:expr, $op:expr) => {{
        let entity: &str = $entity;
        let id = $id;
        sqlx::query(
            "INSERT INTO change_log (at_ms, entity, entity_id, op) VALUES ($1, $2, $3, $4)",
        )
        .bind($crate::now_ms())
        .bind(entity)
        .bind(&id)
        .bind($op)
        .execute(&mut *$tx)
        .await?;
        match entity {
            "item" => $crate::refresh_item_pages!($tx, $crate::item_page::PageTargets::Around, &id),
            "body" => {
                $crate::refresh_item_pages!($tx, $crate::item_page::PageTargets::LinkedToBody, &id)
            }
            _ => {}
        }
    }};
}

#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct AuditRow {
    seq: i64,
    at_ms: i64,
    actor_user_id: Option<i64>,
    actor_name: String,
    body_id: Option<i64>,
    action: String,
    object_type: String,
    object_id: String,
    before_json: String,
    after_json: String,
    ip: String,
    prev_hash: String,
    hash: String,
}

impl AuditRow {
    fn entry(&self) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            at_ms: self.at_ms,
            actor_user_id: self.actor_user_id,
            actor_name: self.actor_name.clone(),
            body_id: self.body_id,
            action: self.action.clone(),
            object_type: self.object_type.clone(),
            object_id: self.object_id.clone(),
            before: self.before_json.clone(),
            after: self.after_json.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// An audit entry as shown in the back office.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct AuditView {
    pub seq: i64,
    pub at_ms: i64,
    pub actor_user_id: Option<i64>,
    pub actor_name: String,
    pub body_id: Option<i64>,
    pub body_name: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: String,
    pub before_json: String,
    pub after_json: String,
    pub ip: String,
}

/// Filters for browsing the audit log.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub body_id: Option<i64>,
    pub actor: Option<String>,
    pub action_prefix: Option<String>,
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Show entries with a sequence number below this (keyset pagination, newest first).
    pub before_seq: Option<i64>,
    pub limit: i64,
}

/// The result of walking the whole chain.
#[derive(Debug, Clone)]
pub struct AuditVerifyReport {
    pub checked: u64,
    pub head_seq: i64,
}

/// Build `(b.path LIKE $1 || '%' OR …)` for a scope; an empty scope matches nothing.
macro_rules! push_scope {
    ($qb:ident, $scope:expr, $col:literal) => {{
        if $scope.roots.is_empty() {
            $qb.push(" AND 1 = 0");
        } else {
            $qb.push(" AND (");
            for (i, root) in $scope.roots.iter().enumerate() {
                if i > 0 {
                    $qb.push(" OR ");
                }
                $qb.push(concat!($col, " LIKE "));
                $qb.push_bind(format!("{root}%"));
            }
            $qb.push(")");
        }
    }};
}

impl Store {
    /// Entries whose body lies in `scope`, filtered, newest first. Entries with no body (such as
    /// a failed login for an unknown name) are shown to those whose scope includes a top-level
    /// body.
    pub async fn list_audit(&self, scope: &Scope, f: &AuditFilter) -> StoreResult<Vec<AuditView>> {
        let sees_unbound = scope.roots.iter().any(|r| r.matches('/').count() == 2);
        let rows = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT a.seq, a.at_ms, a.actor_user_id, a.actor_name, a.body_id, b.name AS body_name, \
                 a.action, a.object_type, a.object_id, a.before_json, a.after_json, a.ip \
                 FROM audit_log a LEFT JOIN bodies b ON b.id = a.body_id WHERE (1 = 1",
            );
            push_scope!(qb, scope, "b.path");
            if sees_unbound {
                qb.push(" OR a.body_id IS NULL");
            }
            qb.push(")");
            if let Some(b) = f.body_id {
                qb.push(" AND a.body_id = ").push_bind(b);
            }
            if let Some(a) = f.actor.as_ref().filter(|s| !s.is_empty()) {
                qb.push(" AND a.actor_name = ").push_bind(a.clone());
            }
            if let Some(p) = f.action_prefix.as_ref().filter(|s| !s.is_empty()) {
                qb.push(" AND a.action LIKE ").push_bind(format!("{p}%"));
            }
            if let Some(t) = f.from_ms {
                qb.push(" AND a.at_ms >= ").push_bind(t);
            }
            if let Some(t) = f.to_ms {
                qb.push(" AND a.at_ms < ").push_bind(t);
            }
            if let Some(s) = f.before_seq {
                qb.push(" AND a.seq < ").push_bind(s);
            }
            qb.push(" ORDER BY a.seq DESC LIMIT ")
                .push_bind(f.limit.clamp(1, 500));
            qb.build_query_as::<AuditView>().fetch_all(c).await
        })?;
        Ok(rows)
    }

    /// Walk the whole chain in sequence order, a page at a time, and compare with the head.
    pub async fn verify_audit(&self) -> StoreResult<Result<AuditVerifyReport, ChainBreak>> {
        let mut v = ChainVerifier::default();
        let mut after = 0i64;
        loop {
            let rows: Vec<AuditRow> = read!(self, |c| {
                sqlx::query_as::<_, AuditRow>(
                    "SELECT seq, at_ms, actor_user_id, actor_name, body_id, action, object_type, \
                     object_id, before_json, after_json, ip, prev_hash, hash \
                     FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT 5000",
                )
                .bind(after)
                .fetch_all(c)
                .await
            })?;
            if rows.is_empty() {
                break;
            }
            for r in &rows {
                if let Err(b) = v.check(&r.entry(), &r.prev_hash, &r.hash) {
                    return Ok(Err(b));
                }
                after = r.seq;
            }
        }
        let (head_seq, head_hash): (i64, String) = read!(self, |c| {
            sqlx::query_as("SELECT seq, hash FROM audit_head WHERE id = 1")
                .fetch_one(c)
                .await
        })?;
        Ok(v.finish(head_seq, &head_hash).map(|_| AuditVerifyReport {
            checked: v.checked,
            head_seq,
        }))
    }

    /// Append one entry in a transaction of its own (for events with no other write, such as a
    /// failed login).
    pub async fn audit(&self, ev: gongkai_domain::audit::AuditEvent) -> StoreResult<i64> {
        write_tx!(self, |tx| Ok(audit_append!(tx, ev)))
    }

    /// The last change-log sequence number (0 when empty).
    pub async fn change_log_head(&self) -> StoreResult<i64> {
        let v: Option<i64> = read!(self, |c| {
            sqlx::query_scalar("SELECT MAX(seq) FROM change_log")
                .fetch_one(c)
                .await
        })?;
        Ok(v.unwrap_or(0))
    }
}

/// Append a ledger entry inside the open transaction `$tx`. Must follow an `audit_append!` in the
/// same transaction: the audit head's lock serialises ledger appends too.
macro_rules! ledger_append {
    ($tx:ident, $body:expr, $item:expr, $version:expr, $index:expr, $action:expr, $content_hash:expr, $payload:expr) => {{
        let now = $crate::now_ms();
        let head: Option<(i64, String)> =
            sqlx::query_as("SELECT seq, hash FROM ledger ORDER BY seq DESC LIMIT 1")
                .fetch_optional(&mut *$tx)
                .await?;
        let (prev_seq, prev_hash) =
            head.unwrap_or((0, gongkai_domain::ledger::GENESIS_HASH.to_string()));
        let entry = gongkai_domain::ledger::LedgerEntry {
            seq: prev_seq + 1,
            at_ms: now,
            body_id: $body,
            item_id: $item,
            version_id: $version,
            index_no: $index.to_string(),
            action: $action.as_str().to_string(),
            content_hash: $content_hash.to_string(),
        };
        let hash = gongkai_domain::ledger::entry_hash(&prev_hash, &entry);
        sqlx::query(
            "INSERT INTO ledger (seq, at_ms, body_id, item_id, version_id, index_no, action, \
             content_hash, payload, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(entry.seq)
        .bind(entry.at_ms)
        .bind(entry.body_id)
        .bind(entry.item_id)
        .bind(entry.version_id)
        .bind(&entry.index_no)
        .bind(&entry.action)
        .bind(&entry.content_hash)
        .bind($payload)
        .bind(&prev_hash)
        .bind(&hash)
        .execute(&mut *$tx)
        .await?;
        entry.seq
    }};
}
