//! Browsing published items: filters, and keyset pagination that costs the same on the last page
//! as on the first.

use crate::disclosure::PublicListRow;
use crate::{Store, StoreResult};

/// What the public may filter by. Every field is optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct BrowseFilter {
    pub body_id: Option<i64>,
    /// A category and its sub-categories (ids, resolved by the caller).
    pub category_ids: Option<Vec<i64>>,
    /// Published within `[from, to)` (milliseconds).
    pub published_ms: Option<(i64, i64)>,
    pub validity: Option<String>,
    pub subject: Option<String>,
}

/// Where a page starts, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cursor {
    First,
    /// The rows after this (published_at, id) key.
    After(i64, i64),
    /// The rows before this key.
    Before(i64, i64),
    Last,
}

/// Display order: newest first unless `oldest_first`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Order {
    pub oldest_first: bool,
}

macro_rules! push_browse_filter {
    ($qb:expr, $f:expr) => {{
        $qb.push(" WHERE i.status IN ('published', 'withdrawn') AND i.scope = 'public'");
        if let Some(b) = $f.body_id {
            $qb.push(" AND i.body_id = ").push_bind(b);
        }
        if let Some(ids) = &$f.category_ids {
            $qb.push(" AND i.category_id IN (");
            let mut sep = $qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            if ids.is_empty() {
                sep.push("NULL");
            }
            $qb.push(")");
        }
        if let Some((from, to)) = $f.published_ms {
            $qb.push(" AND i.published_at >= ")
                .push_bind(from)
                .push(" AND i.published_at < ")
                .push_bind(to);
        }
        if let Some(v) = &$f.validity {
            $qb.push(" AND i.validity = ").push_bind(v.clone());
        }
        if let Some(s) = &$f.subject {
            $qb.push(
                " AND EXISTS (SELECT 1 FROM item_versions v WHERE v.id = i.published_version_id AND v.subject = ",
            )
            .push_bind(s.clone())
            .push(")");
        }
    }};
}

impl Store {
    /// One page of published (and withdrawn: they stay as notices) public items, in display
    /// order, and whether there are rows beyond it in the direction it was read.
    pub async fn browse_public(
        &self,
        f: &BrowseFilter,
        order: Order,
        cursor: Cursor,
        limit: i64,
    ) -> StoreResult<(Vec<PublicListRow>, bool)> {
        let limit = limit.clamp(1, 100);
        // Read backwards for "before" and "last", then flip.
        let backwards = matches!(cursor, Cursor::Before(..) | Cursor::Last);
        let ascending = order.oldest_first != backwards;
        let mut rows = crate::read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT i.id, i.body_id, b.name AS body_name, i.category_id, i.title, i.index_no, i.doc_no, \
                 i.published_on, i.validity, i.status, i.published_at \
                 FROM items i JOIN bodies b ON b.id = i.body_id",
            );
            push_browse_filter!(qb, f);
            if let Cursor::After(p, id) | Cursor::Before(p, id) = cursor {
                let op = if ascending { ">" } else { "<" };
                qb.push(format!(" AND (i.published_at {op} "))
                    .push_bind(p)
                    .push(" OR (i.published_at = ")
                    .push_bind(p)
                    .push(format!(" AND i.id {op} "))
                    .push_bind(id)
                    .push("))");
            }
            let dir = if ascending { "ASC" } else { "DESC" };
            qb.push(format!(" ORDER BY i.published_at {dir}, i.id {dir} LIMIT "))
                .push_bind(limit + 1);
            qb.build_query_as::<PublicListRow>().fetch_all(c).await
        })?;
        let more = rows.len() as i64 > limit;
        rows.truncate(limit as usize);
        if backwards {
            rows.reverse();
        }
        Ok((rows, more))
    }

    /// How many rows `browse_public` would page through.
    pub async fn count_public(&self, f: &BrowseFilter) -> StoreResult<i64> {
        Ok(crate::read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new("SELECT COUNT(*) FROM items i");
            push_browse_filter!(qb, f);
            qb.build_query_scalar::<i64>().fetch_one(c).await
        })?)
    }
}

impl Store {
    /// Published public items for the sitemap, by id: (id, publication day).
    pub async fn sitemap_items(
        &self,
        offset: i64,
        limit: i64,
    ) -> StoreResult<Vec<(i64, Option<String>)>> {
        Ok(crate::read!(self, |c| {
            sqlx::query_as(
                "SELECT id, published_on FROM items WHERE status = 'published' AND scope = 'public' \
                 ORDER BY id LIMIT $1 OFFSET $2",
            )
            .bind(limit)
            .bind(offset)
            .fetch_all(c)
            .await
        })?)
    }
}

impl Store {
    /// Every body's category made from the default template `key` (e.g. `notice`), with its
    /// sub-categories.
    pub async fn categories_with_key(&self, key: &str) -> StoreResult<Vec<i64>> {
        Ok(crate::read!(self, |c| {
            sqlx::query_scalar(
                "SELECT c.id FROM categories c WHERE EXISTS (SELECT 1 FROM categories r \
                 WHERE r.template_key = $1 AND r.body_id = c.body_id AND c.path LIKE r.path || '%')",
            )
            .bind(key)
            .fetch_all(c)
            .await
        })?)
    }
}
