//! The public page of one item in one round trip: the item with its body's and category's
//! names, and its page row — its published version, its attachments, the list of its versions,
//! its related items, the item that replaces it, its ledger entries and its notice and comment
//! periods, as one JSON object written by the database in the transaction of every change that
//! shows on the page (see `refresh_item_pages!`). Without a current row the same lists are
//! computed by one statement over the tables (a cold item page used to cost nine queries).

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

/// The lists of a page as SQL expressions over the item `i`: (key, expression yielding JSON
/// text). The fallback statement selects them as columns `page_<key>`; the page row keeps them
/// as one JSON object.
fn list_exprs(pg: bool) -> Vec<(&'static str, String)> {
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
        // The item's versions first, their state after (the fence keeps a planner with stale
        // statistics — a site filling up, a cached generic plan — from intersecting with the
        // index on the state, which walks every published version).
        if pg {
            "(SELECT * FROM item_versions WHERE item_id = i.id OFFSET 0) v \
             WHERE v.state IN ('published', 'superseded')"
        } else {
            "(SELECT * FROM item_versions WHERE item_id = i.id LIMIT -1 OFFSET 0) v \
             WHERE v.state IN ('published', 'superseded')"
        },
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
        // From the links to the items, never the other way round: walking the items in
        // published order is a scan of every item, which planners choose when statistics are
        // stale or missing (CROSS JOIN fixes SQLite's order; PostgreSQL looks the ids up by key
        // in a fenced subquery, the status and scope tested after).
        if pg {
            "(SELECT * FROM items WHERE id = ANY(ARRAY(SELECT l.related_item_id FROM item_links l \
             WHERE l.item_id = i.id UNION SELECT l.item_id FROM item_links l WHERE l.related_item_id = i.id)) \
             OFFSET 0) r JOIN bodies rb ON rb.id = r.body_id \
             WHERE r.status = 'published' AND r.scope = 'public'"
        } else {
            "(SELECT l.related_item_id AS rid FROM item_links l WHERE l.item_id = i.id \
             UNION SELECT l.item_id AS rid FROM item_links l WHERE l.related_item_id = i.id) k \
             CROSS JOIN items r CROSS JOIN bodies rb \
             WHERE r.id = k.rid AND rb.id = r.body_id AND r.status = 'published' AND r.scope = 'public'"
        },
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
    vec![
        ("attachments", attachments),
        ("versions", versions),
        ("related", related),
        ("replaced", replaced),
        ("ledger", ledger),
        ("version", version),
    ]
}

/// The page's single values as (key, scalar subquery over the item `i`).
const SCALARS: [(&str, &str); 6] = [
    (
        "notice_kind",
        "(SELECT np.kind FROM notice_periods np WHERE np.item_id = i.id LIMIT 1)",
    ),
    (
        "notice_start",
        "(SELECT np.start_on FROM notice_periods np WHERE np.item_id = i.id LIMIT 1)",
    ),
    (
        "notice_end",
        "(SELECT np.end_on FROM notice_periods np WHERE np.item_id = i.id LIMIT 1)",
    ),
    (
        "consult_start",
        "(SELECT kc.start_on FROM consultations kc WHERE kc.item_id = i.id LIMIT 1)",
    ),
    (
        "consult_end",
        "(SELECT kc.end_on FROM consultations kc WHERE kc.item_id = i.id LIMIT 1)",
    ),
    (
        "final_of",
        "(SELECT kf.item_id FROM consultations kf WHERE kf.final_item_id = i.id ORDER BY kf.item_id LIMIT 1)",
    ),
];

const ITEM_SELECT: &str = "SELECT i.id, i.body_id, i.category_id, i.status, i.index_no, i.published_version_id, \
     i.working_version_id, i.scope, i.validity, i.validity_date, i.replaced_by, i.withdrawn_reason, \
     i.withdrawn_at, i.first_published_at, i.published_at, i.published_on, i.due_on, i.late, \
     i.normative_kind, i.title, i.doc_no, i.version, i.created_at, i.updated_at, \
     b.name AS page_body_name, b.path AS page_body_path, c.name AS page_category_name";

/// The statement that computes a page from the tables (nine reads folded into one): what the
/// page rows are written from, and what is read when an item has no current row.
fn page_sql(pg: bool) -> String {
    let lists: Vec<String> = list_exprs(pg)
        .into_iter()
        .map(|(k, e)| format!("{e} AS page_{k}"))
        .collect();
    let scalars: Vec<String> = SCALARS
        .iter()
        .map(|(k, e)| format!("{e} AS page_{k}"))
        .collect();
    format!(
        "{ITEM_SELECT}, {}, {} \
         FROM items i JOIN bodies b ON b.id = i.body_id LEFT JOIN categories c ON c.id = i.category_id \
         WHERE i.id = $1",
        lists.join(", "),
        scalars.join(", ")
    )
}

/// The shape of `item_pages.data` written by this code; a row of another shape is not read (and
/// is rewritten by [`Store::fill_item_pages`]).
pub const PAGE_FMT: i64 = 1;

/// The page's lists and single values as one JSON object (text), over the item `i`.
fn data_expr(pg: bool) -> String {
    let mut parts: Vec<String> = list_exprs(pg)
        .into_iter()
        .map(|(k, e)| {
            if pg {
                format!("'{k}', ({e})::json")
            } else {
                format!("'{k}', json({e})")
            }
        })
        .collect();
    parts.extend(SCALARS.iter().map(|(k, e)| format!("'{k}', {e}")));
    if pg {
        format!("json_build_object({})::text", parts.join(", "))
    } else {
        format!("json_object({})", parts.join(", "))
    }
}

/// Which page rows a write rewrites.
#[derive(Debug, Clone, Copy)]
pub enum PageTargets {
    /// The item `$1` and every page that shows it: items linked to it either way (their related
    /// lists show its title and status) and items it replaces (they name it).
    Around,
    /// The item `$1` alone.
    Only,
    /// Pages that show items of body `$1` in their related lists (which name the body).
    LinkedToBody,
}

impl PageTargets {
    const ALL: [PageTargets; 3] = [Self::Around, Self::Only, Self::LinkedToBody];

    fn ids(self) -> &'static str {
        match self {
            Self::Around => {
                "SELECT CAST($1 AS BIGINT) \
                 UNION SELECT l.related_item_id FROM item_links l WHERE l.item_id = $1 \
                 UNION SELECT l.item_id FROM item_links l WHERE l.related_item_id = $1 \
                 UNION SELECT x.id FROM items x WHERE x.replaced_by = $1"
            }
            Self::Only => "SELECT CAST($1 AS BIGINT)",
            Self::LinkedToBody => {
                "SELECT l.item_id FROM item_links l JOIN items r ON r.id = l.related_item_id WHERE r.body_id = $1 \
                 UNION SELECT l.related_item_id FROM item_links l JOIN items r ON r.id = l.item_id WHERE r.body_id = $1"
            }
        }
    }
}

/// `INSERT … SELECT` of the page rows of the items `WHERE {filter}`, replacing rows `WHERE
/// {replace}` (of the existing row `item_pages`, the new one `excluded`). Unpublished items
/// have no public page and get no row.
fn upsert_sql(pg: bool, filter: &str, replace: &str) -> String {
    format!(
        "INSERT INTO item_pages (item_id, fmt, item_version, version_id, data) \
         SELECT i.id, {PAGE_FMT}, i.version, i.published_version_id, {} FROM items i \
         WHERE i.status <> 'unpublished' AND {filter} \
         ON CONFLICT (item_id) DO UPDATE SET fmt = excluded.fmt, item_version = excluded.item_version, \
         version_id = excluded.version_id, data = excluded.data WHERE {replace}",
        data_expr(pg)
    )
}

fn refresh_sql(pg: bool, t: PageTargets) -> String {
    upsert_sql(pg, &format!("i.id IN ({})", t.ids()), "TRUE")
}

/// The backfill of one range of ids `($1, $2]`: rows missing, of another shape or older than
/// their item. A row written meanwhile by a change (current shape, same or newer item version)
/// is kept.
fn fill_sql(pg: bool) -> String {
    upsert_sql(
        pg,
        &format!(
            "i.id > $1 AND i.id <= $2 AND NOT EXISTS (SELECT 1 FROM item_pages p \
             WHERE p.item_id = i.id AND p.fmt = {PAGE_FMT} AND p.item_version = i.version)"
        ),
        "item_pages.fmt <> excluded.fmt OR item_pages.item_version < excluded.item_version",
    )
}

/// The read of a page: the item and its names, with its page row when that row is current.
fn read_sql(pg: bool) -> String {
    let same = if pg { "IS NOT DISTINCT FROM" } else { "IS" };
    format!(
        "{ITEM_SELECT}, p.data AS page_data \
         FROM items i JOIN bodies b ON b.id = i.body_id LEFT JOIN categories c ON c.id = i.category_id \
         LEFT JOIN item_pages p ON p.item_id = i.id AND p.fmt = {PAGE_FMT} AND p.item_version = i.version \
         AND p.version_id {same} i.published_version_id \
         WHERE i.id = $1"
    )
}

struct Sql {
    page: String,
    read: String,
    fill: String,
    refresh: [String; 3],
}

impl Sql {
    fn new(pg: bool) -> Sql {
        Sql {
            page: page_sql(pg),
            read: read_sql(pg),
            fill: fill_sql(pg),
            refresh: PageTargets::ALL.map(|t| refresh_sql(pg, t)),
        }
    }
}

static SQLITE_SQL: std::sync::LazyLock<Sql> = std::sync::LazyLock::new(|| Sql::new(false));
static PG_SQL: std::sync::LazyLock<Sql> = std::sync::LazyLock::new(|| Sql::new(true));

fn sql(pg: bool) -> &'static Sql {
    if pg { &PG_SQL } else { &SQLITE_SQL }
}

/// Which backend a connection or transaction talks to, for the writers' macros (whose code is
/// expanded once per backend).
pub trait Dialect {
    const PG: bool;
}
impl Dialect for sqlx::SqliteConnection {
    const PG: bool = false;
}
impl Dialect for sqlx::PgConnection {
    const PG: bool = true;
}
impl Dialect for sqlx::Transaction<'_, sqlx::Sqlite> {
    const PG: bool = false;
}
impl Dialect for sqlx::Transaction<'_, sqlx::Postgres> {
    const PG: bool = true;
}

/// Is `c` a PostgreSQL connection?
pub fn is_pg<C: Dialect + ?Sized>(_: &C) -> bool {
    C::PG
}

/// The statement that rewrites the page rows of `t` (bind the id as `$1`).
pub fn refresh_statement(pg: bool, t: PageTargets) -> &'static str {
    &sql(pg).refresh[t as usize]
}

/// Rewrite, inside the open transaction, the page rows of `$targets` for id `$id`. On
/// PostgreSQL the audit head is locked first (every audited write takes it anyway), so the
/// rows are computed after every earlier writer committed: two edits of linked items cannot
/// leave one page with the other's old title.
#[macro_export]
macro_rules! refresh_item_pages {
    ($tx:ident, $targets:expr, $id:expr) => {{
        let pg = $crate::item_page::is_pg(&*$tx);
        if pg {
            sqlx::query("SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE")
                .execute(&mut *$tx)
                .await?;
        }
        sqlx::query(sqlx::AssertSqlSafe($crate::item_page::refresh_statement(
            pg, $targets,
        )))
        .bind($id)
        .execute(&mut *$tx)
        .await?;
    }};
}

/// Decode the row of [`page_sql`] or, with `data`, of [`read_sql`].
fn decode<R>(row: &R, data: Option<String>) -> StoreResult<ItemPageData>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'a> Item: sqlx::FromRow<'a, R>,
    for<'a> String: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<String>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
    for<'a> Option<i64>: sqlx::Decode<'a, R::Database> + sqlx::Type<R::Database>,
{
    use sqlx::FromRow;
    let p: PageRow = match data {
        Some(d) => serde_json::from_str(&d)
            .map_err(|e| StoreError::Db(sqlx::Error::Decode(Box::new(e))))?,
        None => {
            let text = |name: &str| row.try_get::<Option<String>, _>(name);
            PageRow {
                attachments: from_json_rows(text("page_attachments")?)?,
                versions: from_json_rows(text("page_versions")?)?,
                related: from_json_rows(text("page_related")?)?,
                replaced: from_json_rows(text("page_replaced")?)?,
                ledger: from_json_rows(text("page_ledger")?)?,
                version: from_json_rows(text("page_version")?)?,
                notice_kind: text("page_notice_kind")?,
                notice_start: text("page_notice_start")?,
                notice_end: text("page_notice_end")?,
                consult_start: text("page_consult_start")?,
                consult_end: text("page_consult_end")?,
                final_of: row.try_get("page_final_of")?,
            }
        }
    };
    Ok(ItemPageData {
        item: Item::from_row(row)?,
        body_name: row.try_get("page_body_name")?,
        body_path: row.try_get("page_body_path")?,
        category_name: row.try_get("page_category_name")?,
        version: p.version.into_iter().next(),
        attachments: p.attachments,
        versions: p.versions,
        related: p.related,
        replaced_by: p.replaced.into_iter().next(),
        ledger: p.ledger,
        notice: match (p.notice_kind, p.notice_start, p.notice_end) {
            (Some(k), Some(s), Some(e)) => Some((k, s, e)),
            _ => None,
        },
        consultation: match (p.consult_start, p.consult_end) {
            (Some(s), Some(e)) => Some((s, e)),
            _ => None,
        },
        final_of: p.final_of,
    })
}

/// `item_pages.data` of [`PAGE_FMT`]: the keys of [`list_exprs`] and [`SCALARS`].
#[derive(Deserialize)]
struct PageRow {
    attachments: Vec<AttachmentRow>,
    versions: Vec<VersionStub>,
    related: Vec<PublicListRow>,
    replaced: Vec<ItemRef>,
    ledger: Vec<LedgerRow>,
    version: Vec<Version>,
    notice_kind: Option<String>,
    notice_start: Option<String>,
    notice_end: Option<String>,
    consult_start: Option<String>,
    consult_end: Option<String>,
    final_of: Option<i64>,
}

impl Store {
    /// The item `id` with all its public page shows (see [`ItemPageData`]), whatever its status
    /// or scope: the caller decides who may see it. One read of the item, its names and its
    /// page row; the page is computed from the tables when the row is missing or not current.
    pub async fn item_page(&self, id: i64) -> StoreResult<ItemPageData> {
        use sqlx::Row;
        let sql = sql(self.is_postgres());
        crate::read!(self, |c| {
            let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql.read.as_str()))
                .bind(id)
                .fetch_optional(c)
                .await?
            else {
                return Err(StoreError::NotFound);
            };
            if let Some(data) = row.try_get::<Option<String>, _>("page_data")? {
                return decode(&row, Some(data));
            }
            let row = sqlx::query(sqlx::AssertSqlSafe(sql.page.as_str()))
                .bind(id)
                .fetch_optional(c)
                .await?
                .ok_or(StoreError::NotFound)?;
            decode(&row, None)
        })
    }

    /// Write the page rows that are missing, of another shape or older than their item, for
    /// items with ids in `(after, after + batch]`; returns how many were written. A site
    /// upgraded in place, or filled by a bulk import, is brought up to date by calling this over
    /// the whole id range (`gongkai serve` does so in the background after start-up).
    pub async fn fill_item_pages(&self, after: i64, batch: i64) -> StoreResult<u64> {
        let sql = sql(self.is_postgres());
        let n = write_tx!(self, |tx| {
            Ok(sqlx::query(sqlx::AssertSqlSafe(sql.fill.as_str()))
                .bind(after)
                .bind(after + batch)
                .execute(&mut *tx)
                .await?
                .rows_affected())
        })?;
        Ok(n)
    }

    /// [`Store::fill_item_pages`] over every item, `batch` ids per transaction (so writers wait
    /// for one batch at most); returns how many rows were written.
    pub async fn fill_all_item_pages(&self, batch: i64) -> StoreResult<u64> {
        let max = self.max_item_id().await?;
        let (mut after, mut n) = (0, 0);
        while after < max {
            n += self.fill_item_pages(after, batch).await?;
            after += batch;
        }
        Ok(n)
    }

    /// The largest item id (0 when there are none): the end of a [`Store::fill_item_pages`] pass.
    pub async fn max_item_id(&self) -> StoreResult<i64> {
        let n: Option<i64> = crate::read!(self, |c| {
            sqlx::query_scalar("SELECT MAX(id) FROM items")
                .fetch_one(c)
                .await?
        });
        Ok(n.unwrap_or(0))
    }
}
