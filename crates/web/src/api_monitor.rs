//! The staff API of the compliance monitor: every body in the token's scope scored on its own
//! records for a date range (the same figures as `/admin/monitor`), and the records behind one
//! rule's counts, listed only where the token's roles read such records.

use axum::Json;
use axum::extract::{Path, Query, State};
use gongkai_domain::monitor::{self as dm, RuleKey};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::api::ErrorBody;
use crate::api_admin::TokenActor;
use crate::error::{ApiError, AppError};
use crate::handlers::monitor::{MonitorQuery, Selection, offences, record_link, select};

fn rule_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(RuleKey), "监测规则", false)
}

fn light_schema() -> utoipa::openapi::schema::Object {
    crate::api::vocabulary_schema(&crate::vocabulary!(dm::Light), "信号灯", false)
}

/// The range and the body.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MonitorParams {
    /// First day, YYYY-MM-DD (with `to`; both empty: this year to date).
    pub from: Option<String>,
    /// Last day, YYYY-MM-DD; at most 5 years after `from`.
    pub to: Option<String>,
    /// Only this body's subtree (it must lie in the token's scope).
    pub body: Option<i64>,
    /// With `body`: the records of that body alone, not its subtree's (rule lists only).
    pub only: Option<bool>,
}

impl MonitorParams {
    fn query(&self) -> MonitorQuery {
        MonitorQuery {
            from: self.from.clone().unwrap_or_default(),
            to: self.to.clone().unwrap_or_default(),
            body: self.body.map(|b| b.to_string()).unwrap_or_default(),
            only: if self.only == Some(true) { "1" } else { "" }.into(),
        }
    }
}

/// A rule: what it counts and what one offence costs.
#[derive(Serialize, ToSchema)]
pub struct MonitorRuleJson {
    #[schema(schema_with = rule_schema)]
    pub key: String,
    pub name: String,
    pub basis: String,
    pub window: String,
    pub weight: u32,
    /// Offences beyond this many take nothing more.
    pub cap: u32,
}

/// One body's line.
#[derive(Serialize, ToSchema)]
pub struct MonitorBodyJson {
    pub body_id: i64,
    pub body_name: String,
    pub rank: usize,
    pub score: u32,
    #[schema(schema_with = light_schema)]
    pub light: String,
    pub light_label: String,
    /// Offences per rule key (every rule present).
    pub counts: std::collections::BTreeMap<String, u64>,
}

/// The monitor for the selection.
#[derive(Serialize, ToSchema)]
pub struct MonitorJson {
    pub from: String,
    pub to: String,
    /// The day open records are judged on (`to`, or today when `to` is later).
    pub asof: String,
    pub rules: Vec<MonitorRuleJson>,
    /// Best first; equal scores share a rank.
    pub bodies: Vec<MonitorBodyJson>,
    pub totals: std::collections::BTreeMap<String, u64>,
    /// A rule that could not be judged (a year missing from the working-day calendar), if any.
    pub note: Option<String>,
}

/// One record behind a count.
#[derive(Serialize, ToSchema)]
pub struct MonitorOffenceJson {
    pub body_id: i64,
    pub body_name: String,
    pub id: i64,
    pub title: String,
    pub due_on: Option<String>,
    pub done_on: Option<String>,
    /// Where the back office opens it.
    pub link: String,
}

/// The records behind a rule's counts.
#[derive(Serialize, ToSchema)]
pub struct MonitorOffencesJson {
    #[schema(schema_with = rule_schema)]
    pub rule: String,
    /// At most 500.
    pub records: Vec<MonitorOffenceJson>,
    /// Some bodies of the selection are left out: the token's roles do not read such records
    /// there.
    pub partial: bool,
}

fn map_of(c: &dm::Counts) -> std::collections::BTreeMap<String, u64> {
    dm::RULES
        .iter()
        .map(|r| (r.key.as_str().to_string(), c.get(r.key)))
        .collect()
}

async fn selection(
    state: &AppState,
    t: &TokenActor,
    p: &MonitorParams,
) -> Result<Selection, ApiError> {
    let sel = select(state, &t.actor, &p.query()).await?;
    if !sel.error.is_empty() {
        return Err(AppError::validation(vec![("from", sel.error)]).into());
    }
    Ok(sel)
}

/// Every body in scope scored, ranked.
#[utoipa::path(
    get,
    path = "/api/v1/admin/monitor",
    tag = "admin",
    security(("bearer" = [])),
    params(MonitorParams),
    responses(
        (status = 200, description = "合规监测结果", body = MonitorJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌的角色不能查看合规监测", body = ErrorBody),
        (status = 404, description = "没有该机关，或不在令牌范围内", body = ErrorBody),
        (status = 422, description = "日期有误", body = ErrorBody),
    )
)]
pub async fn monitor(
    State(state): State<AppState>,
    t: TokenActor,
    Query(p): Query<MonitorParams>,
) -> Result<Json<MonitorJson>, ApiError> {
    let sel = selection(&state, &t, &p).await?;
    let report = state.store.monitor_report(&sel.scope, &sel.dates).await?;
    let w = report.window;
    Ok(Json(MonitorJson {
        from: w.from.to_string(),
        to: w.to.to_string(),
        asof: w.asof.to_string(),
        rules: dm::RULES
            .iter()
            .map(|r| MonitorRuleJson {
                key: r.key.as_str().into(),
                name: r.key.label().into(),
                basis: r.basis.into(),
                window: r.window.into(),
                weight: r.weight,
                cap: r.cap,
            })
            .collect(),
        totals: map_of(&report.totals),
        bodies: report
            .lines
            .iter()
            .map(|l| MonitorBodyJson {
                body_id: l.body_id,
                body_name: l.body_name.clone(),
                rank: l.rank,
                score: l.score,
                light: l.light.as_str().into(),
                light_label: l.light.label().into(),
                counts: map_of(&l.counts),
            })
            .collect(),
        note: Some(sel.calendar_note).filter(|n| !n.is_empty()),
    }))
}

/// The records behind one rule's counts.
#[utoipa::path(
    get,
    path = "/api/v1/admin/monitor/{rule}",
    tag = "admin",
    security(("bearer" = [])),
    params(("rule" = String, Path, description = "监测规则"), MonitorParams),
    responses(
        (status = 200, description = "问题记录", body = MonitorOffencesJson),
        (status = 401, description = "令牌缺失、无效或已撤销", body = ErrorBody),
        (status = 403, description = "令牌的角色不能查看合规监测", body = ErrorBody),
        (status = 404, description = "没有该规则或机关，或机关不在令牌范围内", body = ErrorBody),
        (status = 422, description = "日期有误", body = ErrorBody),
    )
)]
pub async fn monitor_rule(
    State(state): State<AppState>,
    t: TokenActor,
    Path(key): Path<String>,
    Query(p): Query<MonitorParams>,
) -> Result<Json<MonitorOffencesJson>, ApiError> {
    let key = RuleKey::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == key)
        .ok_or(ApiError(AppError::NotFound))?;
    let sel = selection(&state, &t, &p).await?;
    let (rows, partial, _) = offences(&state, &t.actor, &sel, dm::rule(key)).await?;
    Ok(Json(MonitorOffencesJson {
        rule: key.as_str().into(),
        partial,
        records: rows
            .into_iter()
            .map(|o| MonitorOffenceJson {
                link: record_link(key, &o),
                body_id: o.body_id,
                body_name: o.body_name,
                id: o.id,
                title: o.title,
                due_on: o.due_on,
                done_on: o.done_on,
            })
            .collect(),
    }))
}
