//! Public bodies: the tree, its materialised paths, and body edits with their audit entries.

use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::body::{BodyFields, BodyKind, Leader, child_path, move_creates_cycle};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Body {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub name: String,
    pub short_name: String,
    pub kind: String,
    pub org_code: String,
    pub address: String,
    pub office_hours: String,
    pub phone: String,
    pub fax: String,
    pub email: String,
    pub duties: String,
    pub leaders: String,
    pub sort_order: i64,
    pub version: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Body {
    pub fn kind(&self) -> BodyKind {
        BodyKind::parse(&self.kind).unwrap_or(BodyKind::Other)
    }

    pub fn kind_label(&self) -> &'static str {
        self.kind().label()
    }

    pub fn leaders(&self) -> Vec<Leader> {
        serde_json::from_str(&self.leaders).unwrap_or_default()
    }

    /// 0 for a root body.
    pub fn depth(&self) -> usize {
        self.path.matches('/').count().saturating_sub(2)
    }

    pub fn display_name(&self) -> &str {
        if self.short_name.is_empty() {
            &self.name
        } else {
            &self.short_name
        }
    }

    fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "name": self.name, "short_name": self.short_name, "kind": self.kind,
            "org_code": self.org_code, "parent_id": self.parent_id, "address": self.address,
            "office_hours": self.office_hours, "phone": self.phone, "fax": self.fax,
            "email": self.email, "duties": self.duties, "leaders": self.leaders(),
        })
    }
}

const BODY_COLS: &str = "id, parent_id, path, name, short_name, kind, org_code, address, \
    office_hours, phone, fax, email, duties, leaders, sort_order, version, created_at, updated_at";

/// The stored form of an organisation code as typed (hyphen removed, upper case).
fn normalise_code(code: &str) -> String {
    gongkai_domain::codes::OrgCode::parse(code)
        .map(|c| c.value)
        .unwrap_or_else(|_| code.trim().to_uppercase())
}

fn fields_json(f: &BodyFields) -> serde_json::Value {
    serde_json::json!({
        "name": f.name, "short_name": f.short_name, "kind": f.kind.as_str(),
        "org_code": f.org_code, "parent_id": f.parent_id, "address": f.address,
        "office_hours": f.office_hours, "phone": f.phone, "fax": f.fax,
        "email": f.email, "duties": f.duties, "leaders": f.leaders,
    })
}

fn org_code_taken(e: StoreError) -> StoreError {
    if e.is_unique_violation() {
        StoreError::Conflict("该机构代码已被其他机关使用".into())
    } else {
        e
    }
}

impl Store {
    /// Every body, in tree order (parents before children, siblings by sort order then id).
    pub async fn list_bodies(&self) -> StoreResult<Vec<Body>> {
        let mut rows: Vec<Body> = read!(self, |c| {
            sqlx::query_as::<_, Body>(sqlx::AssertSqlSafe(format!(
                "SELECT {BODY_COLS} FROM bodies"
            )))
            .fetch_all(c)
            .await
        })?;
        sort_tree(&mut rows);
        Ok(rows)
    }

    /// Every body's id and name (what a list of results shows beside each entry).
    pub async fn body_names(&self) -> StoreResult<Vec<(i64, String)>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, (i64, String)>("SELECT id, name FROM bodies")
                .fetch_all(c)
                .await
        })?)
    }

    pub async fn get_body(&self, id: i64) -> StoreResult<Body> {
        read!(self, |c| {
            sqlx::query_as::<_, Body>(sqlx::AssertSqlSafe(format!(
                "SELECT {BODY_COLS} FROM bodies WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn get_body_by_code(&self, code: &str) -> StoreResult<Option<Body>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, Body>(sqlx::AssertSqlSafe(format!(
                "SELECT {BODY_COLS} FROM bodies WHERE org_code = $1"
            )))
            .bind(normalise_code(code))
            .fetch_optional(c)
            .await
        })?)
    }

    /// Create a body under `fields.parent_id` (or as a root).
    pub async fn create_body(&self, f: &BodyFields, who: &Who) -> StoreResult<i64> {
        let now = crate::now_ms();
        let leaders = serde_json::to_string(&f.leaders).unwrap_or_else(|_| "[]".into());
        let r = write_tx!(self, |tx| {
            let parent_path: Option<String> = match f.parent_id {
                Some(p) => Some(
                    sqlx::query_scalar::<_, String>("SELECT path FROM bodies WHERE id = $1")
                        .bind(p)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Invalid("上级机关不存在".into()))?,
                ),
                None => {
                    let roots: i64 =
                        sqlx::query_scalar("SELECT COUNT(*) FROM bodies WHERE parent_id IS NULL")
                            .fetch_one(&mut *tx)
                            .await?;
                    if roots > 0 {
                        return Err(StoreError::Invalid(
                            "已有顶级机关，新机关须指定上级机关".into(),
                        ));
                    }
                    None
                }
            };
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO bodies (parent_id, path, name, short_name, kind, org_code, address, \
                 office_hours, phone, fax, email, duties, leaders, created_at, updated_at) \
                 VALUES ($1, '', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id",
            )
            .bind(f.parent_id)
            .bind(&f.name)
            .bind(&f.short_name)
            .bind(f.kind.as_str())
            .bind(&f.org_code)
            .bind(&f.address)
            .bind(&f.office_hours)
            .bind(&f.phone)
            .bind(&f.fax)
            .bind(&f.email)
            .bind(&f.duties)
            .bind(&leaders)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let path = child_path(parent_path.as_deref(), id);
            sqlx::query("UPDATE bodies SET path = $1, sort_order = $2 WHERE id = $2")
                .bind(&path)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("body.create", "body", id)
                    .who(who)
                    .body(Some(id))
                    .after(fields_json(f))
            );
            change_log!(tx, "body", id, "upsert");
            Ok(id)
        });
        let id = r.map_err(org_code_taken)?;
        // A new body starts from the default catalogue for its kind.
        self.ensure_catalogues().await?;
        Ok(id)
    }

    /// Update a body. `expected_version` guards against two administrators saving the same body:
    /// the later save is refused, not silently lost. Moving a body re-parents its whole subtree.
    pub async fn update_body(
        &self,
        id: i64,
        f: &BodyFields,
        expected_version: i64,
        who: &Who,
    ) -> StoreResult<()> {
        let now = crate::now_ms();
        let leaders = serde_json::to_string(&f.leaders).unwrap_or_else(|_| "[]".into());
        let r = write_tx!(self, |tx| {
            let old = sqlx::query_as::<_, Body>(sqlx::AssertSqlSafe(format!(
                "SELECT {BODY_COLS} FROM bodies WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
            if old.version != expected_version {
                return Err(StoreError::Conflict(
                    "该机关信息已被他人修改，请刷新后重新编辑".into(),
                ));
            }
            if old.parent_id.is_none() && f.parent_id.is_some() {
                return Err(StoreError::Invalid("顶级机关不能移到其他机关之下".into()));
            }
            if old.parent_id.is_some() && f.parent_id.is_none() {
                return Err(StoreError::Invalid("请选择上级机关".into()));
            }
            let mut new_path = old.path.clone();
            if f.parent_id != old.parent_id
                && let Some(p) = f.parent_id
            {
                let parent_path: String =
                    sqlx::query_scalar("SELECT path FROM bodies WHERE id = $1")
                        .bind(p)
                        .fetch_optional(&mut *tx)
                        .await?
                        .ok_or_else(|| StoreError::Invalid("上级机关不存在".into()))?;
                if move_creates_cycle(&old.path, &parent_path) {
                    return Err(StoreError::Invalid(
                        "不能把机关移到它自己或它的下级机关之下".into(),
                    ));
                }
                new_path = child_path(Some(&parent_path), id);
                sqlx::query(
                    "UPDATE bodies SET path = $1 || substr(path, CAST($2 AS INTEGER)) WHERE path LIKE $3",
                )
                .bind(&new_path)
                .bind(old.path.len() as i64 + 1)
                .bind(format!("{}%", old.path))
                .execute(&mut *tx)
                .await?;
            }
            sqlx::query(
                "UPDATE bodies SET parent_id = $1, path = $2, name = $3, short_name = $4, kind = $5, \
                 org_code = $6, address = $7, office_hours = $8, phone = $9, fax = $10, email = $11, \
                 duties = $12, leaders = $13, updated_at = $14, version = version + 1 WHERE id = $15",
            )
            .bind(f.parent_id)
            .bind(&new_path)
            .bind(&f.name)
            .bind(&f.short_name)
            .bind(f.kind.as_str())
            .bind(&f.org_code)
            .bind(&f.address)
            .bind(&f.office_hours)
            .bind(&f.phone)
            .bind(&f.fax)
            .bind(&f.email)
            .bind(&f.duties)
            .bind(&leaders)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("body.update", "body", id)
                    .who(who)
                    .body(Some(id))
                    .before(old.snapshot())
                    .after(fields_json(f))
            );
            change_log!(tx, "body", id, "upsert");
            Ok(())
        });
        r.map_err(org_code_taken)
    }
}

/// Order bodies depth-first: each parent followed by its subtree, siblings by sort order.
pub fn sort_tree(rows: &mut Vec<Body>) {
    use std::collections::BTreeMap;
    let mut children: BTreeMap<Option<i64>, Vec<Body>> = BTreeMap::new();
    for b in rows.drain(..) {
        children.entry(b.parent_id).or_default().push(b);
    }
    for v in children.values_mut() {
        v.sort_by_key(|b| (b.sort_order, b.id));
    }
    fn walk(
        parent: Option<i64>,
        children: &mut BTreeMap<Option<i64>, Vec<Body>>,
        out: &mut Vec<Body>,
    ) {
        if let Some(list) = children.remove(&parent) {
            for b in list {
                let id = b.id;
                out.push(b);
                walk(Some(id), children, out);
            }
        }
    }
    walk(None, &mut children, rows);
}
