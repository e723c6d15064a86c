//! 权责清单 (service items with their versions) and 收费目录 (fee items with the amounts
//! collected each year): drafts by 事项管理员, publication by 审批领导 (never the author), changes
//! applied on their effective date, the reform figures and the annual report's figures
//! (docs/design/services.md).

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::service_input::{ItemState, ValidFee, ValidService, check_change};
use gongkai_domain::services::{CancelMode, ChangeFact, ChangeKind, ServiceKind};
use serde::Serialize;

use crate::{Store, StoreError, StoreResult};

/// A service item as the lists show it.
#[derive(Debug, Clone, sqlx_macros::FromRow, Serialize)]
pub struct ServiceItem {
    pub id: i64,
    pub body_id: i64,
    pub code: String,
    pub kind: String,
    pub name: String,
    /// `pending` (no version in force yet), `in_force` or `cancelled`.
    pub status: String,
    pub current_version_id: Option<i64>,
    pub established_on: String,
    pub cancelled_on: String,
    pub body_name: String,
}

const ITEM_COLS: &str = "s.id, s.body_id, s.code, s.kind, s.name, s.status, s.current_version_id, \
    s.established_on, s.cancelled_on, b.name AS body_name";

impl ServiceItem {
    pub fn kind_label(&self) -> &'static str {
        ServiceKind::parse(&self.kind).map_or("", ServiceKind::label)
    }
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "in_force" => "在册",
            "cancelled" => "已取消",
            _ => "未施行",
        }
    }
    pub fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }
}

/// One version of an item: a change and the full snapshot after it.
#[derive(Debug, Clone, sqlx_macros::FromRow, Serialize)]
pub struct ServiceVersion {
    pub id: i64,
    pub item_id: i64,
    pub number: i64,
    pub change: String,
    pub cancel_mode: String,
    /// `draft` or `published`.
    pub state: String,
    pub effective_on: String,
    pub doc_title: String,
    pub doc_no: String,
    pub reason: String,
    pub name: String,
    pub kind: String,
    #[serde(skip)]
    pub snapshot: String,
    pub applied: bool,
    pub author_id: Option<i64>,
    pub author_name: String,
    pub approver_name: String,
    pub published_at: Option<i64>,
}

const VERSION_COLS: &str = "id, item_id, number, change, cancel_mode, state, effective_on, doc_title, \
    doc_no, reason, name, kind, snapshot, applied, author_id, author_name, approver_name, published_at";

impl ServiceVersion {
    /// The checked fields as saved.
    pub fn data(&self) -> Option<ValidService> {
        serde_json::from_str(&self.snapshot).ok()
    }
    pub fn change_label(&self) -> String {
        let c = ChangeKind::parse(&self.change).map_or("", ChangeKind::label);
        match CancelMode::parse(&self.cancel_mode) {
            Some(m) if m != CancelMode::Cancel => format!("{c}（{}）", m.label()),
            _ => c.to_string(),
        }
    }
    pub fn published(&self) -> bool {
        self.state == "published"
    }
    /// The snapshot as text lines, for the history's diff.
    pub fn text(&self) -> String {
        let Some(v) = self.data() else {
            return String::new();
        };
        let days = |d: Option<u32>| d.map_or("无".to_string(), |d| format!("{d}个工作日"));
        let mut out = vec![
            format!("事项名称：{}", v.name),
            format!("事项编码：{}", v.code),
            format!("事项类型：{}", v.kind.label()),
        ];
        out.extend(v.basis.iter().map(|b| format!("设定依据：{b}")));
        if !v.conditions.is_empty() {
            out.push(format!("受理条件：{}", v.conditions));
        }
        out.extend(v.materials.iter().map(|m| format!("申请材料：{m}")));
        out.extend(
            v.procedure
                .iter()
                .enumerate()
                .map(|(i, s)| format!("办理流程{}：{s}", i + 1)),
        );
        out.push(format!("法定时限：{}", days(v.statutory_days)));
        out.push(format!("承诺时限：{}", days(v.promised_days)));
        out.push(format!("办理地点：{} {}", v.hall, v.hall_window));
        out.push(format!("网上办理：{}", v.online_url));
        out.push(format!("咨询电话：{}", v.contact_phone));
        out.push(format!("监督投诉电话：{}", v.complaint_phone));
        out.join("\n")
    }
}

/// Which items a list shows.
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    /// Bodies whose path starts with one of these (none: every body).
    pub scope: Option<Scope>,
    pub body_id: Option<i64>,
    pub kind: Option<ServiceKind>,
    /// `in_force` (default), `cancelled`, `pending` or `all`.
    pub status: String,
    pub q: String,
    pub limit: i64,
}

/// A fee item with the amounts collected, by year.
#[derive(Debug, Clone, sqlx_macros::FromRow, Serialize)]
pub struct FeeItem {
    pub id: i64,
    pub body_id: i64,
    pub code: String,
    pub name: String,
    pub category: String,
    pub basis_title: String,
    pub basis_doc_no: String,
    pub standard_text: String,
    pub payer: String,
    pub status: String,
    pub cancelled_on: String,
    pub cancel_reason: String,
    pub body_name: String,
    #[sqlx(skip)]
    pub amounts: Vec<(i64, i64)>,
}

impl FeeItem {
    pub fn category_label(&self) -> &'static str {
        gongkai_domain::service_input::FeeCategory::parse(&self.category)
            .map_or("", gongkai_domain::service_input::FeeCategory::label)
    }
    pub fn cancelled(&self) -> bool {
        self.status == "cancelled"
    }
    /// The amount of `year` in 万元, if recorded.
    pub fn wan_of(&self, year: &i64) -> Option<String> {
        self.amounts
            .iter()
            .find(|(y, _)| y == year)
            .map(|(_, f)| gongkai_domain::services::wan_yuan(*f))
    }
}

/// The figures one body's annual report takes from these registers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AnnualFigures {
    pub body_id: i64,
    pub year: i32,
    /// 行政许可, 行政处罚, 行政强制 decisions made in the year (voided entries excluded).
    pub license: i64,
    pub penalty: i64,
    pub coercion: i64,
    /// 行政事业性收费 collected, in fen, and in 万元 to two decimals.
    pub fees_fen: i64,
    pub fees_wan: String,
}

/// Insert a draft version inside a transaction; evaluates to its id.
macro_rules! insert_version {
    ($tx:ident, $item:expr, $number:expr, $v:expr, $snap:expr, $who:expr, $now:expr) => {{
        let v: &ValidService = $v;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO service_versions (item_id, number, change, cancel_mode, effective_on, doc_title, doc_no, \
             reason, name, kind, snapshot, author_id, author_name, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id",
        )
        .bind($item)
        .bind($number)
        .bind(v.change.as_str())
        .bind(v.cancel_mode.map_or("", CancelMode::as_str))
        .bind(v.effective_on.to_string())
        .bind(&v.doc_title)
        .bind(&v.doc_no)
        .bind(&v.reason)
        .bind(&v.name)
        .bind(v.kind.as_str())
        .bind($snap)
        .bind($who.user_id)
        .bind(&$who.name)
        .bind($now)
        .fetch_one(&mut *$tx)
        .await?;
        audit_append!(
            $tx,
            AuditEvent::new("service.draft", "service_version", id)
                .who($who)
                .after(serde_json::json!({"item_id": $item, "change": v.change.as_str()}))
        );
        id
    }};
}

/// Each version with its item (versions whose item is not among `items` are left out).
fn pair_with(
    versions: Vec<ServiceVersion>,
    items: &[ServiceItem],
) -> Vec<(ServiceVersion, ServiceItem)> {
    versions
        .into_iter()
        .filter_map(|v| {
            let item = items.iter().find(|i| i.id == v.item_id)?.clone();
            Some((v, item))
        })
        .collect()
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()
}

fn snapshot(v: &ValidService) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Invalid(e.to_string()))
}

impl Store {
    /// A new item (设立) as a draft of its first version.
    pub async fn create_service(
        &self,
        body_id: i64,
        v: &ValidService,
        who: &Who,
    ) -> StoreResult<(i64, i64)> {
        if v.change != ChangeKind::Establish {
            return Err(StoreError::Invalid("新事项只能“设立”".into()));
        }
        let now = crate::now_ms();
        let snap = snapshot(v)?;
        let res = write_tx!(self, |tx| {
            let item_id: i64 = sqlx::query_scalar(
                "INSERT INTO service_items (body_id, code, kind, name, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            )
            .bind(body_id)
            .bind(&v.code)
            .bind(v.kind.as_str())
            .bind(&v.name)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            let vid = insert_version!(tx, item_id, 1i64, v, &snap, who, now);
            audit_append!(
                tx,
                AuditEvent::new("service.create", "service_item", item_id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::json!({"code": v.code, "name": v.name}))
            );
            Ok((item_id, vid))
        });
        match res {
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
                "本机关已有编码为“{}”的在册事项",
                v.code
            ))),
            other => other,
        }
    }

    /// A draft of a change (调整 or 取消) to an existing item, checked against its history.
    pub async fn add_service_version(
        &self,
        item_id: i64,
        v: &ValidService,
        who: &Who,
    ) -> StoreResult<i64> {
        let now = crate::now_ms();
        let snap = snapshot(v)?;
        let state = self.service_state(item_id).await?;
        check_change(&state, v.change, v.effective_on).map_err(StoreError::Invalid)?;
        write_tx!(self, |tx| {
            let drafts: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM service_versions WHERE item_id = $1 AND state = 'draft'",
            )
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
            if drafts > 0 {
                return Err(StoreError::Invalid(
                    "该事项已有一个待发布的变更，请先发布或删除它".into(),
                ));
            }
            let number: i64 = sqlx::query_scalar(
                "SELECT COALESCE(MAX(number), 0) + 1 FROM service_versions WHERE item_id = $1",
            )
            .bind(item_id)
            .fetch_one(&mut *tx)
            .await?;
            let vid = insert_version!(tx, item_id, number, v, &snap, who, now);
            Ok(vid)
        })
    }

    async fn service_state(&self, item_id: i64) -> StoreResult<ItemState> {
        let rows: Vec<(String, String, String)> = read!(self, |c| {
            sqlx::query_as(
                "SELECT change, effective_on, doc_no FROM service_versions \
                 WHERE item_id = $1 AND state = 'published' ORDER BY number",
            )
            .bind(item_id)
            .fetch_all(c)
            .await
        })?;
        let mut st = ItemState {
            cancelled: None,
            last_effective: None,
            exists: !rows.is_empty(),
        };
        for (change, eff, doc) in rows {
            let on = day(&eff);
            st.last_effective = on.or(st.last_effective);
            if change == ChangeKind::Cancel.as_str()
                && let Some(on) = on
            {
                st.cancelled = Some((on, doc));
            }
        }
        Ok(st)
    }

    pub async fn get_service(&self, id: i64) -> StoreResult<ServiceItem> {
        read!(self, |c| {
            sqlx::query_as::<_, ServiceItem>(sqlx::AssertSqlSafe(format!(
                "SELECT {ITEM_COLS} FROM service_items s JOIN bodies b ON b.id = s.body_id WHERE s.id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    pub async fn service_versions(&self, item_id: i64) -> StoreResult<Vec<ServiceVersion>> {
        Ok(read!(self, |c| {
            sqlx::query_as::<_, ServiceVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM service_versions WHERE item_id = $1 ORDER BY number"
            )))
            .bind(item_id)
            .fetch_all(c)
            .await
        })?)
    }

    pub async fn get_service_version(&self, id: i64) -> StoreResult<ServiceVersion> {
        read!(self, |c| {
            sqlx::query_as::<_, ServiceVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM service_versions WHERE id = $1"
            )))
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)
    }

    /// Publish a draft (审批领导; the author may not publish their own). A change whose day has
    /// come takes effect at once, a later one on its day (`services_tick`).
    pub async fn publish_service_version(
        &self,
        version_id: i64,
        today: NaiveDate,
        who: &Who,
    ) -> StoreResult<()> {
        let v = self.get_service_version(version_id).await?;
        if v.published() {
            return Err(StoreError::Invalid("该变更已发布".into()));
        }
        if v.author_id.is_some() && v.author_id == who.user_id {
            return Err(StoreError::Invalid("不能发布本人起草的事项变更".into()));
        }
        let state = self.service_state(v.item_id).await?;
        let change = ChangeKind::parse(&v.change).unwrap_or(ChangeKind::Adjust);
        let on = day(&v.effective_on).unwrap_or(today);
        check_change(&state, change, on).map_err(StoreError::Invalid)?;
        let item = self.get_service(v.item_id).await?;
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE service_versions SET state = 'published', approver_name = $1, published_at = $2 \
                 WHERE id = $3 AND state = 'draft'",
            )
            .bind(&who.name)
            .bind(now)
            .bind(version_id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("service.publish", "service_version", version_id)
                    .who(who)
                    .body(Some(item.body_id))
                    .after(serde_json::json!({"item_id": v.item_id, "change": v.change, "effective_on": v.effective_on}))
            );
            change_log!(tx, "service_item", v.item_id, "publish");
            Ok(())
        })?;
        self.services_tick(today).await?;
        Ok(())
    }

    /// Apply published changes whose effective day has come; returns how many.
    pub async fn services_tick(&self, today: NaiveDate) -> StoreResult<usize> {
        let due: Vec<ServiceVersion> = read!(self, |c| {
            sqlx::query_as::<_, ServiceVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM service_versions WHERE state = 'published' AND NOT applied \
                 AND effective_on <= $1 ORDER BY effective_on, number"
            )))
            .bind(today.to_string())
            .fetch_all(c)
            .await
        })?;
        let now = crate::now_ms();
        for v in &due {
            write_tx!(self, |tx| {
                let cancel = v.change == ChangeKind::Cancel.as_str();
                if cancel {
                    sqlx::query(
                        "UPDATE service_items SET status = 'cancelled', cancelled_on = $1, updated_at = $2 WHERE id = $3",
                    )
                    .bind(&v.effective_on)
                    .bind(now)
                    .bind(v.item_id)
                    .execute(&mut *tx)
                    .await?;
                } else {
                    sqlx::query(
                        "UPDATE service_items SET status = 'in_force', name = $1, kind = $2, current_version_id = $3, \
                         established_on = CASE WHEN established_on = '' THEN $4 ELSE established_on END, \
                         updated_at = $5 WHERE id = $6",
                    )
                    .bind(&v.name)
                    .bind(&v.kind)
                    .bind(v.id)
                    .bind(&v.effective_on)
                    .bind(now)
                    .bind(v.item_id)
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query("UPDATE service_versions SET applied = TRUE WHERE id = $1")
                    .bind(v.id)
                    .execute(&mut *tx)
                    .await?;
                change_log!(tx, "service_item", v.item_id, "apply");
                Ok::<_, StoreError>(())
            })?;
        }
        Ok(due.len())
    }

    /// Items for a list, by body and code.
    pub async fn list_services(&self, f: &ServiceFilter) -> StoreResult<Vec<ServiceItem>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {ITEM_COLS} FROM service_items s JOIN bodies b ON b.id = s.body_id WHERE 1 = 1"
            ));
            if let Some(scope) = &f.scope {
                push_scope!(qb, scope, "b.path");
            }
            if let Some(b) = f.body_id {
                qb.push(" AND s.body_id = ").push_bind(b);
            }
            if let Some(k) = f.kind {
                qb.push(" AND s.kind = ").push_bind(k.as_str());
            }
            match f.status.as_str() {
                "all" => {}
                "cancelled" => {
                    qb.push(" AND s.status = 'cancelled'");
                }
                "pending" => {
                    qb.push(" AND s.status = 'pending'");
                }
                _ => {
                    qb.push(" AND s.status = 'in_force'");
                }
            }
            if let Some(like) = crate::like_pattern(&f.q) {
                qb.push(" AND (s.name LIKE ")
                    .push_bind(like.clone())
                    .push(" ESCAPE '\\' OR s.code LIKE ")
                    .push_bind(like)
                    .push(" ESCAPE '\\')");
            }
            qb.push(" ORDER BY b.path, s.kind, s.code LIMIT ")
                .push_bind(f.limit.clamp(1, 2000));
            qb.build_query_as::<ServiceItem>().fetch_all(c).await
        })?)
    }

    /// Drafts waiting for publication within `scope`, with their item.
    pub async fn service_drafts(
        &self,
        scope: &Scope,
    ) -> StoreResult<Vec<(ServiceVersion, ServiceItem)>> {
        let items = self
            .list_services(&ServiceFilter {
                scope: Some(scope.clone()),
                status: "all".into(),
                limit: 2000,
                ..ServiceFilter::default()
            })
            .await?;
        let ids: Vec<i64> = items.iter().map(|i| i.id).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let drafts: Vec<ServiceVersion> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {VERSION_COLS} FROM service_versions WHERE state = 'draft' AND item_id IN ("
            ));
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY id");
            qb.build_query_as::<ServiceVersion>().fetch_all(c).await
        })?;
        Ok(pair_with(drafts, &items))
    }

    /// Each of `versions` with its item, the items read in one query.
    async fn with_items(
        &self,
        versions: Vec<ServiceVersion>,
    ) -> StoreResult<Vec<(ServiceVersion, ServiceItem)>> {
        if versions.is_empty() {
            return Ok(Vec::new());
        }
        let items: Vec<ServiceItem> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(format!(
                "SELECT {ITEM_COLS} FROM service_items s JOIN bodies b ON b.id = s.body_id WHERE s.id IN ("
            ));
            let mut sep = qb.separated(", ");
            for v in &versions {
                sep.push_bind(v.item_id);
            }
            qb.push(")");
            qb.build_query_as::<ServiceItem>().fetch_all(c).await
        })?;
        Ok(pair_with(versions, &items))
    }

    /// The latest published changes, newest first, with their items (for the feed).
    pub async fn recent_service_changes(
        &self,
        limit: i64,
    ) -> StoreResult<Vec<(ServiceVersion, ServiceItem)>> {
        let versions: Vec<ServiceVersion> = read!(self, |c| {
            sqlx::query_as::<_, ServiceVersion>(sqlx::AssertSqlSafe(format!(
                "SELECT {VERSION_COLS} FROM service_versions WHERE state = 'published' \
                 ORDER BY published_at DESC, id DESC LIMIT $1"
            )))
            .bind(limit)
            .fetch_all(c)
            .await
        })?;
        self.with_items(versions).await
    }

    /// Every published change of the items of `scope` (or of every body), for the reform figures.
    pub async fn service_changes(
        &self,
        scope: Option<&Scope>,
        kinds: &[ServiceKind],
    ) -> StoreResult<Vec<ChangeFact>> {
        let rows: Vec<(i64, String, String, String)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT v.item_id, v.change, v.cancel_mode, v.effective_on FROM service_versions v \
                 JOIN service_items s ON s.id = v.item_id JOIN bodies b ON b.id = s.body_id \
                 WHERE v.state = 'published'",
            );
            if let Some(scope) = scope {
                push_scope!(qb, scope, "b.path");
            }
            if !kinds.is_empty() {
                qb.push(" AND s.kind IN (");
                let mut sep = qb.separated(", ");
                for k in kinds {
                    sep.push_bind(k.as_str());
                }
                qb.push(")");
            }
            qb.push(" ORDER BY v.item_id, v.number");
            qb.build_query_as::<(i64, String, String, String)>()
                .fetch_all(c)
                .await
        })?;
        Ok(rows
            .into_iter()
            .filter_map(|(item_id, change, mode, on)| {
                Some(ChangeFact {
                    item_id,
                    change: ChangeKind::parse(&change)?,
                    mode: CancelMode::parse(&mode),
                    effective_on: day(&on)?,
                })
            })
            .collect())
    }

    // -----------------------------------------------------------------------------------------
    // 收费目录.

    pub async fn create_fee(&self, body_id: i64, f: &ValidFee, who: &Who) -> StoreResult<i64> {
        let now = crate::now_ms();
        let res = write_tx!(self, |tx| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO fee_items (body_id, code, name, category, basis_title, basis_doc_no, standard_text, \
                 payer, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
            )
            .bind(body_id)
            .bind(&f.code)
            .bind(&f.name)
            .bind(f.category.as_str())
            .bind(&f.basis_title)
            .bind(&f.basis_doc_no)
            .bind(&f.standard_text)
            .bind(&f.payer)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("fee.create", "fee_item", id)
                    .who(who)
                    .body(Some(body_id))
                    .after(serde_json::to_value(f).unwrap_or_default())
            );
            change_log!(tx, "fee_item", id, "create");
            Ok(id)
        });
        match res {
            Err(e) if e.is_unique_violation() => Err(StoreError::Conflict(format!(
                "本机关已有编码为“{}”的收费项目",
                f.code
            ))),
            other => other,
        }
    }

    pub async fn get_fee(&self, id: i64) -> StoreResult<FeeItem> {
        let mut f = read!(self, |c| {
            sqlx::query_as::<_, FeeItem>(
                "SELECT f.id, f.body_id, f.code, f.name, f.category, f.basis_title, f.basis_doc_no, f.standard_text, \
                 f.payer, f.status, f.cancelled_on, f.cancel_reason, b.name AS body_name \
                 FROM fee_items f JOIN bodies b ON b.id = f.body_id WHERE f.id = $1",
            )
            .bind(id)
            .fetch_optional(c)
            .await
        })?
        .ok_or(StoreError::NotFound)?;
        f.amounts = self
            .fee_amounts(&[f.id])
            .await?
            .into_iter()
            .map(|(_, y, a)| (y, a))
            .collect();
        Ok(f)
    }

    /// Cancel a fee item (取消收费) with its date and reason; not twice.
    pub async fn cancel_fee(
        &self,
        id: i64,
        on: NaiveDate,
        reason: &str,
        who: &Who,
    ) -> StoreResult<()> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(StoreError::Invalid("取消收费须写明依据或理由".into()));
        }
        let f = self.get_fee(id).await?;
        if f.cancelled() {
            return Err(StoreError::Invalid(format!(
                "该收费项目已于{}取消，不能再次取消",
                f.cancelled_on
            )));
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            sqlx::query(
                "UPDATE fee_items SET status = 'cancelled', cancelled_on = $1, cancel_reason = $2, updated_at = $3 WHERE id = $4",
            )
            .bind(on.to_string())
            .bind(reason)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
            audit_append!(
                tx,
                AuditEvent::new("fee.cancel", "fee_item", id)
                    .who(who)
                    .body(Some(f.body_id))
                    .after(serde_json::json!({"on": on, "reason": reason}))
            );
            change_log!(tx, "fee_item", id, "cancel");
            Ok(())
        })
    }

    /// Record (or correct) the amount a fee item collected in `year`, audited with before/after.
    pub async fn set_fee_amount(
        &self,
        fee_id: i64,
        year: i32,
        fen: i64,
        source: &str,
        who: &Who,
    ) -> StoreResult<()> {
        self.set_fee_amounts(&[(fee_id, year, fen)], source, who)
            .await
            .map(|_| ())
    }

    /// Record (or correct) several (fee item, year, amount in fen) in one transaction, each
    /// audited with before/after; returns how many replaced an amount already recorded.
    pub async fn set_fee_amounts(
        &self,
        amounts: &[(i64, i32, i64)],
        source: &str,
        who: &Who,
    ) -> StoreResult<usize> {
        if amounts.is_empty() {
            return Ok(0);
        }
        let ids: Vec<i64> = amounts.iter().map(|a| a.0).collect();
        let before = self.fee_amounts(&ids).await?;
        let bodies: std::collections::HashMap<i64, i64> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new("SELECT id, body_id FROM fee_items WHERE id IN (");
            let mut sep = qb.separated(", ");
            for id in &ids {
                sep.push_bind(*id);
            }
            qb.push(")");
            qb.build_query_as::<(i64, i64)>().fetch_all(c).await
        })?
        .into_iter()
        .collect();
        if ids.iter().any(|id| !bodies.contains_key(id)) {
            return Err(StoreError::NotFound);
        }
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let mut updated = 0;
            for &(fee_id, year, fen) in amounts {
                let was = before
                    .iter()
                    .find(|(f, y, _)| *f == fee_id && *y == i64::from(year))
                    .map(|x| x.2);
                updated += usize::from(was.is_some());
                sqlx::query(
                    "INSERT INTO fee_collections (fee_item_id, year, amount_fen, source, updated_by_name, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fee_item_id, year) DO UPDATE SET \
                     amount_fen = excluded.amount_fen, source = excluded.source, \
                     updated_by_name = excluded.updated_by_name, updated_at = excluded.updated_at",
                )
                .bind(fee_id)
                .bind(i64::from(year))
                .bind(fen)
                .bind(source)
                .bind(&who.name)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                audit_append!(
                    tx,
                    AuditEvent::new("fee.amount", "fee_item", fee_id)
                        .who(who)
                        .body(bodies.get(&fee_id).copied())
                        .before(serde_json::json!({"year": year, "amount_fen": was}))
                        .after(
                            serde_json::json!({"year": year, "amount_fen": fen, "source": source})
                        )
                );
                change_log!(tx, "fee_item", fee_id, "amount");
            }
            Ok(updated)
        })
    }

    async fn fee_amounts(&self, ids: &[i64]) -> StoreResult<Vec<(i64, i64, i64)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT fee_item_id, year, amount_fen FROM fee_collections WHERE fee_item_id IN (",
            );
            let mut sep = qb.separated(", ");
            for id in ids {
                sep.push_bind(*id);
            }
            qb.push(") ORDER BY fee_item_id, year");
            qb.build_query_as::<(i64, i64, i64)>().fetch_all(c).await
        })?)
    }

    /// Fee items of `body_id` (or every body), with their amounts.
    pub async fn list_fees(&self, body_id: Option<i64>) -> StoreResult<Vec<FeeItem>> {
        let mut fees = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT f.id, f.body_id, f.code, f.name, f.category, f.basis_title, f.basis_doc_no, f.standard_text, \
                 f.payer, f.status, f.cancelled_on, f.cancel_reason, b.name AS body_name \
                 FROM fee_items f JOIN bodies b ON b.id = f.body_id WHERE 1 = 1",
            );
            if let Some(b) = body_id {
                qb.push(" AND f.body_id = ").push_bind(b);
            }
            qb.push(" ORDER BY b.path, f.code");
            qb.build_query_as::<FeeItem>().fetch_all(c).await
        })?;
        let ids: Vec<i64> = fees.iter().map(|f| f.id).collect();
        for (fid, y, a) in self.fee_amounts(&ids).await? {
            if let Some(f) = fees.iter_mut().find(|f| f.id == fid) {
                f.amounts.push((y, a));
            }
        }
        Ok(fees)
    }

    /// The figures of `body_id`'s annual report for `year` from 双公示 and 收费目录.
    pub async fn annual_figures(&self, body_id: i64, year: i32) -> StoreResult<AnnualFigures> {
        let c = self.decision_counts(body_id, year).await?;
        let fen: i64 = read!(self, |c| {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(fc.amount_fen), 0) AS BIGINT) FROM fee_collections fc \
                 JOIN fee_items f ON f.id = fc.fee_item_id \
                 WHERE f.body_id = $1 AND fc.year = $2 AND f.category = 'administrative'",
            )
            .bind(body_id)
            .bind(i64::from(year))
            .fetch_one(c)
            .await
        })?;
        Ok(AnnualFigures {
            body_id,
            year,
            license: c.license,
            penalty: c.penalty,
            coercion: c.coercion,
            fees_fen: fen,
            fees_wan: gongkai_domain::services::wan_yuan(fen),
        })
    }
}
