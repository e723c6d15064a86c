//! The public page of one item in one round trip: the item with its body's and category's
//! names, its published version, its attachments, the list of its versions, its related items,
//! the item that replaces it and its ledger entries in one statement (the lists as JSON arrays
//! built by the database). A cold item page used to cost nine queries.

use serde::Deserialize;

use crate::disclosure::{AttachmentRow, Item, LedgerRow, PublicListRow, Version};
use crate::{Store, StoreError, StoreResult};

/// A subquery yielding, as JSON text, the array of objects `fields` (name, SQL expression)
/// over the rows of `from` (tables, joins and `WHERE`) in `order`: `[]` when there are none.
/// The one way a page folds its lists into the query of its main row, on either backend.
pub fn json_rows(pg: bool, fields: &[(&str, &str)], from: &str, order: &str) -> String {
    if pg {
        let obj: Vec<String> = fields.iter().map(|(k, e)| format!("'{k}', {e}")).collect();
        format!(
            "(SELECT COALESCE(json_agg(json_build_object({}) ORDER BY {order}), '[]'::json)::text FROM {from})",
            obj.join(", ")
        )
    } else {
        let inner: Vec<String> = fields.iter().map(|(k, e)| format!("{e} AS {k}")).collect();
        let obj: Vec<String> = fields.iter().map(|(k, _)| format!("'{k}', {k}")).collect();
        format!(
            "(SELECT json_group_array(json_object({})) FROM (SELECT {} FROM {from} ORDER BY {order}))",
            obj.join(", "),
            inner.join(", ")
        )
    }
}

/// Decode a [`json_rows`] column.
pub fn from_json_rows<T: for<'de> Deserialize<'de>>(text: Option<String>) -> StoreResult<Vec<T>> {
    match text {
        None => Ok(Vec::new()),
        Some(t) => {
            serde_json::from_str(&t).map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))
        }
    }
}

/// One version in an item's list of versions.
#[derive(Debug, Clone, Deserialize)]
pub struct VersionStub {
    pub id: i64,
    pub number: i64,
    pub state: String,
    pub published_at: Option<i64>,
}

/// An item named by another page (the one that replaces this one).
#[derive(Debug, Clone, Deserialize)]
pub struct ItemRef {
    pub id: i64,
    pub title: String,
}

/// Everything an item's public page shows, read together.
#[derive(Debug, Clone)]
pub struct ItemPageData {
    pub item: Item,
    pub body_name: String,
    pub body_path: String,
    pub category_name: Option<String>,
    /// The published version (none for a withdrawn item: only the notice is shown).
    pub version: Option<Version>,
    /// Published and superseded versions, oldest first.
    pub versions: Vec<VersionStub>,
    pub attachments: Vec<AttachmentRow>,
    /// Published public items it links to or that link to it (解读 ↔ 文件).
    pub related: Vec<PublicListRow>,
    pub replaced_by: Option<ItemRef>,
    /// The ledger entries of the item, in order.
    pub ledger: Vec<LedgerRow>,
    /// Its 公示 period, if it is a notice: (kind, start, end).
    pub notice: Option<(String, String, String)>,
    /// Its comment window, if it is a draft for comment (征求意见稿): (start, end).
    pub consultation: Option<(String, String)>,
    /// The draft for comment it is the final version of.
    pub final_of: Option<i64>,
}

impl ItemPageData {
    /// The receipt of the version on show: its publication entry.
    pub fn receipt(&self) -> Option<&LedgerRow> {
        self.ledger
            .iter()
            .rev()
            .find(|l| Some(l.version_id) == self.item.published_version_id && l.payload.is_empty())
    }

    /// The withdrawal entry, if the item was withdrawn.
    pub fn withdrawal(&self) -> Option<&LedgerRow> {
        self.ledger.iter().rev().find(|l| l.action == "withdraw")
    }
}

fn page_sql(pg: bool) -> String {
    let attachments = json_rows(
        pg,
        &[
            ("id", "a.id"),
            ("version_id", "a.version_id"),
            ("ord", "a.ord"),
            ("name", "a.name"),
            ("sha256", "a.sha256"),
            ("size", "a.size"),
            ("mime", "a.mime"),
            ("created_at", "a.created_at"),
        ],
        "attachments a WHERE a.version_id = i.published_version_id",
        "a.ord, a.id",
    );
    let versions = json_rows(
        pg,
        &[
            ("id", "v.id"),
            ("number", "v.number"),
            ("state", "v.state"),
            ("published_at", "v.published_at"),
        ],
        "item_versions v WHERE v.item_id = i.id AND v.state IN ('published', 'superseded')",
        "v.number",
    );
    let related = json_rows(
        pg,
        &[
            ("id", "r.id"),
            ("body_id", "r.body_id"),
            ("body_name", "rb.name"),
            ("category_id", "r.category_id"),
            ("title", "r.title"),
            ("index_no", "r.index_no"),
            ("doc_no", "r.doc_no"),
            ("published_on", "r.published_on"),
            ("validity", "r.validity"),
            ("status", "r.status"),
            ("published_at", "r.published_at"),
        ],
        // From the links to the items (CROSS JOIN keeps SQLite from walking the items in
        // published order instead: a scan of every item when its statistics are missing).
        "(SELECT l.related_item_id AS rid FROM item_links l WHERE l.item_id = i.id \
         UNION SELECT l.item_id AS rid FROM item_links l WHERE l.related_item_id = i.id) k \
         CROSS JOIN items r CROSS JOIN bodies rb \
         WHERE r.id = k.rid AND rb.id = r.body_id AND r.status = 'published' AND r.scope = 'public'",
        "r.published_at DESC, r.id DESC",
    );
    let replaced = json_rows(
        pg,
        &[("id", "x.id"), ("title", "x.title")],
        "items x WHERE x.id = i.replaced_by",
        "x.id",
    );
    // The version on show: the published one, none for a withdrawn item.
    let version_fields: Vec<(&str, String)> = crate::disclosure::VERSION_COLS
        .split(',')
        .map(|c| c.trim())
        .map(|c| (c, format!("pv.{c}")))
        .collect();
    let version_fields: Vec<(&str, &str)> = version_fields
        .iter()
        .map(|(k, e)| (*k, e.as_str()))
        .collect();
    let version = json_rows(
        pg,
        &version_fields,
        "item_versions pv WHERE pv.id = i.published_version_id AND i.status <> 'withdrawn'",
        "pv.id",
    );
    let ledger = json_rows(
        pg,
        &[
            ("seq", "g.seq"),
            ("at_ms", "g.at_ms"),
            ("body_id", "g.body_id"),
            ("item_id", "g.item_id"),
            ("version_id", "g.version_id"),
            ("index_no", "g.index_no"),
            ("action", "g.action"),
            ("content_hash", "g.content_hash"),
            ("payload", "g.payload"),
            ("prev_hash", "g.prev_hash"),
            ("hash", "g.hash"),
        ],
        "ledger g WHERE g.item_id = i.id",
        "g.seq",
    );
    format!(
        "SELECT i.id, i.body_id, i.category_id, i.status, i.index_no, i.published_version_id, \
         i.working_version_id, i.scope, i.validity, i.validity_date, i.replaced_by, i.withdrawn_reason, \
         i.withdrawn_at, i.first_published_at, i.published_at, i.published_on, i.due_on, i.late, \
         i.normative_kind, i.title, i.doc_no, i.version, i.created_at, i.updated_at, \
         b.name AS page_body_name, b.path AS page_body_path, c.name AS page_category_name, \
         {attachments} AS page_attachments, {versions} AS page_versions, {related} AS page_related, \
         {replaced} AS page_replaced, {ledger} AS page_ledger, {version} AS page_version, \
         np.kind AS page_notice_kind, np.start_on AS page_notice_start, np.end_on AS page_notice_end, \
         kc.start_on AS page_consult_start, kc.end_on AS page_consult_end, kf.item_id AS page_final_of \
         FROM items i JOIN bodies b ON b.id = i.body_id LEFT JOIN categories c ON c.id = i.category_id \
         LEFT JOIN notice_periods np ON np.item_id = i.id \
         LEFT JOIN consultations kc ON kc.item_id = i.id LEFT JOIN consultations kf ON kf.final_item_id = i.id \
         WHERE i.id = $1"
    )
}

static SQLITE_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| page_sql(false));
static PG_SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| page_sql(true));

impl Store {
    /// The item `id` with all its public page shows (see [`ItemPageData`]), whatever its status
    /// or scope: the caller decides who may see it.
    pub async fn item_page(&self, id: i64) -> StoreResult<ItemPageData> {
        use sqlx::{FromRow, Row};
        let sql: &str = if self.is_postgres() {
            &PG_SQL
        } else {
            &SQLITE_SQL
        };
        let page = crate::read!(self, |c| {
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .fetch_optional(c)
                .await?
            else {
                return Err(StoreError::NotFound);
            };
            let text = |name: &str| row.try_get::<Option<String>, _>(name);
            StoreResult::Ok(ItemPageData {
                item: Item::from_row(&row)?,
                body_name: row.try_get("page_body_name")?,
                body_path: row.try_get("page_body_path")?,
                category_name: text("page_category_name")?,
                version: from_json_rows(text("page_version")?)?.into_iter().next(),
                attachments: from_json_rows(text("page_attachments")?)?,
                versions: from_json_rows(text("page_versions")?)?,
                related: from_json_rows(text("page_related")?)?,
                replaced_by: from_json_rows(text("page_replaced")?)?.into_iter().next(),
                ledger: from_json_rows(text("page_ledger")?)?,
                notice: match (
                    text("page_notice_kind")?,
                    text("page_notice_start")?,
                    text("page_notice_end")?,
                ) {
                    (Some(k), Some(s), Some(e)) => Some((k, s, e)),
                    _ => None,
                },
                consultation: match (text("page_consult_start")?, text("page_consult_end")?) {
                    (Some(s), Some(e)) => Some((s, e)),
                    _ => None,
                },
                final_of: row.try_get("page_final_of")?,
            })
        })?;
        Ok(page)
    }
}
