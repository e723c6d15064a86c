//! 年度评比表彰 in the back office (`/admin/evaluations`, docs/design/supervision.md, stage 5):
//! for a supervising body and a year, every body of its subtree with the monitor's score for the
//! year, its closed inspections' results and the combined year-end score, ranked (ties share a
//! rank); the supervision group (纪检监督 of the body) confirms the commendation list once,
//! audited. Supervisors read it.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Datelike, NaiveDate};
use gongkai_domain::access::{Permission, Scope};
use gongkai_domain::evaluation::combined;
use gongkai_domain::inspection::show_points;
use gongkai_domain::monitor::{Window, ranks};
use gongkai_store::StoreError;
use gongkai_store::bodies::Body;
use gongkai_store::evaluations::{CommendationRow, Commended};
use gongkai_store::monitor::MonitorDates;
use serde::Deserialize;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{Chrome, FormFields, back_to, form_field, form_ids, with_status};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct YearQuery {
    pub year: String,
    pub body: String,
}

/// One body's year-end line.
pub struct Line {
    pub body: Body,
    pub monitor: u32,
    /// Share of full points kept, in tenths of a percent, per inspection.
    pub inspections: Vec<i64>,
    pub score: i64,
    pub rank: usize,
}

impl Line {
    pub fn score_text(&self) -> String {
        show_points(self.score)
    }
    pub fn inspections_text(&self) -> String {
        if self.inspections.is_empty() {
            return "—".into();
        }
        let avg = self.inspections.iter().sum::<i64>() / self.inspections.len() as i64;
        format!("{}%（{}次）", show_points(avg), self.inspections.len())
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/evaluations.html")]
pub struct Page {
    pub chrome: Chrome,
    pub year: i32,
    pub root: Body,
    pub roots: Vec<Body>,
    pub lines: Vec<Line>,
    pub confirmed: Option<CommendationRow>,
    pub may_confirm: bool,
    pub error: String,
}

/// The supervising bodies the account may look at (where it holds `Supervise`).
async fn roots(state: &AppState, a: &Authed) -> Result<Vec<Body>, AppError> {
    let scope = a.actor.scope(Permission::Supervise);
    Ok(state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .filter(|b| scope.roots.contains(&b.path))
        .collect())
}

async fn page(
    state: &AppState,
    a: &Authed,
    q: &YearQuery,
    error: String,
) -> Result<Page, AppError> {
    let roots = roots(state, a).await?;
    if roots.is_empty() {
        return Err(AppError::Forbidden);
    }
    let t = today();
    let year: i32 = q.year.trim().parse().unwrap_or(t.year());
    if !(2000..=t.year()).contains(&year) {
        return Err(AppError::NotFound);
    }
    let body_id: i64 = q.body.trim().parse().unwrap_or(0);
    let root = roots
        .iter()
        .find(|b| b.id == body_id)
        .or(roots.first())
        .cloned()
        .ok_or(AppError::Forbidden)?;
    let scope = Scope::subtree(&root.path);
    let from = NaiveDate::from_ymd_opt(year, 1, 1).ok_or(AppError::NotFound)?;
    let to = NaiveDate::from_ymd_opt(year, 12, 31).ok_or(AppError::NotFound)?;
    let window = Window::new(from, to, t).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let unread_sent_by = window
        .unread_sent_by(&state.calendar())
        .unwrap_or(from - chrono::Duration::days(1));
    let report = state
        .store
        .monitor_report(
            &scope,
            &MonitorDates {
                window,
                unread_sent_by,
            },
        )
        .await?;
    let mut inspected: HashMap<i64, Vec<(i64, i64)>> = HashMap::new();
    for r in state.store.inspection_results(&scope, year).await? {
        inspected
            .entry(r.body_id)
            .or_default()
            .push((r.total - r.deducted.min(r.total), r.total));
    }
    let bodies: HashMap<i64, Body> = state
        .store
        .list_bodies()
        .await?
        .into_iter()
        .map(|b| (b.id, b))
        .collect();
    let mut lines: Vec<Line> = report
        .lines
        .iter()
        .filter_map(|l| {
            let body = bodies.get(&l.body_id)?.clone();
            let rows = inspected.remove(&l.body_id).unwrap_or_default();
            Some(Line {
                monitor: l.score,
                inspections: rows
                    .iter()
                    .filter(|(_, total)| *total > 0)
                    .map(|(kept, total)| kept * 1000 / total)
                    .collect(),
                score: combined(l.score, &rows),
                rank: 0,
                body,
            })
        })
        .collect();
    let scores: Vec<u32> = lines.iter().map(|l| l.score.max(0) as u32).collect();
    for (l, r) in lines.iter_mut().zip(ranks(&scores)) {
        l.rank = r;
    }
    lines.sort_by_key(|l| l.rank);
    Ok(Page {
        chrome: Chrome::admin(state, a, "年度评比表彰", "/admin/inspections")
            .await
            .with_done(a),
        confirmed: state.store.commendation(root.id, year).await?,
        may_confirm: a.actor.can(Permission::Inspect, &root.path),
        year,
        root,
        roots,
        lines,
        error,
    })
}

pub async fn view(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<YearQuery>,
) -> Result<Page, AppError> {
    page(&state, &a, &q, String::new()).await
}

/// Confirm the list: `year`, `body`, repeated `commend` (body ids of the lines shown).
pub async fn confirm(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<FormFields>,
) -> Result<Response, AppError> {
    let q = YearQuery {
        year: form_field(&f, "year"),
        body: form_field(&f, "body"),
    };
    let p = page(&state, &a, &q, String::new()).await?;
    if !p.may_confirm {
        return Err(AppError::Forbidden);
    }
    let chosen = form_ids(&f, "commend");
    let list: Vec<Commended> = p
        .lines
        .iter()
        .filter(|l| chosen.contains(&l.body.id))
        .map(|l| Commended {
            body_id: l.body.id,
            body_name: l.body.name.clone(),
            score: l.score,
        })
        .collect();
    match state
        .store
        .confirm_commendation(p.root.id, p.year, &list, &a.who())
        .await
    {
        Ok(_) => Ok(back_to(
            &format!("/admin/evaluations?year={}&body={}", p.year, p.root.id),
            "done",
            "saved",
        )),
        Err(StoreError::Invalid(m)) | Err(StoreError::Conflict(m)) => Ok(with_status(
            page(&state, &a, &q, m).await?,
            StatusCode::UNPROCESSABLE_ENTITY,
        )),
        Err(e) => Err(e.into()),
    }
}
