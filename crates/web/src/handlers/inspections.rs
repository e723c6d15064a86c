//! 考核细则 and 监督检查 in the back office (docs/design/supervision.md, stage 2): a 纪检监督 user
//! keeps sets of criteria (`/admin/assessment-rules`, copied to a new year once used), opens an
//! inspection of chosen bodies of its subtree under one set (`/admin/inspections`), records per
//! body the points deducted and the findings with their evidence (criteria tied to a monitor
//! rule are filled from the compliance monitor for the inspection's period), turns a finding into
//! a rectification with an owner and a deadline, sees the bodies ranked, and closes the
//! inspection (its scores are then frozen). Supervisors (监督员) read everything, change nothing.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use gongkai_domain::access::{Permission, Scope};
use gongkai_domain::inspection::{
    self as di, CriterionInput, InspectionKind, SupervisionKind, Tenths,
};
use gongkai_domain::monitor::{self as dm, RuleKey, Window};
use gongkai_store::inspections::{
    CriterionRow, FindingRow, InspectedBody, InspectionRow, NewInspection, RulesRow,
};
use gongkai_store::monitor::MonitorDates;
use gongkai_store::users::AccountOption;

use crate::AppState;
use crate::auth::{Authed, Staff};
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{
    BodyOption, Chrome, FormFields as Fields, back_to, body_options, form_field as field,
    form_ids as ids, with_status,
};

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Who reads inspections and rules: the supervision roles.
fn readers(a: &Authed) -> Scope {
    a.actor.scope(Permission::Supervise)
}

/// Who runs them: 纪检监督.
fn inspectors(a: &Authed) -> Scope {
    a.actor.scope(Permission::Inspect)
}

// ---- 考核细则 -----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "inspections/rules_list.html")]
pub struct RulesListPage {
    pub chrome: Chrome,
    pub rows: Vec<RulesRow>,
    pub owners: Vec<BodyOption>,
    pub name: String,
    pub year: String,
    pub error: String,
}

async fn rules_list(
    state: &AppState,
    a: &Authed,
    f: &Fields,
    error: String,
) -> Result<RulesListPage, AppError> {
    let scope = readers(a);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ins = inspectors(a);
    Ok(RulesListPage {
        chrome: Chrome::admin(state, a, "考核细则", "/admin/inspections")
            .await
            .with_done(a),
        rows: state.store.rules_in(&scope).await?,
        owners: if ins.is_empty() {
            Vec::new()
        } else {
            body_options(state, Some(&ins), field(f, "body_id").parse().ok(), false).await?
        },
        name: field(f, "name"),
        year: Some(field(f, "year"))
            .filter(|y| !y.is_empty())
            .unwrap_or_else(|| today().year().to_string()),
        error,
    })
}

pub async fn view_rules_list(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<RulesListPage, AppError> {
    rules_list(&state, &a, &Vec::new(), String::new()).await
}

pub async fn create_rules(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let body_id: i64 = field(&f, "body_id").parse().unwrap_or(0);
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::Inspect, &body.path) {
        return Err(AppError::Forbidden);
    }
    let year: i32 = field(&f, "year").trim().parse().unwrap_or(0);
    match state
        .store
        .create_rules(body_id, &field(&f, "name"), year, &a.who())
        .await
    {
        Ok(id) => Ok(back_to(
            &format!("/admin/assessment-rules/{id}"),
            "done",
            "saved",
        )),
        Err(gongkai_store::StoreError::Invalid(m)) => {
            Ok(unprocessable422(rules_list(&state, &a, &f, m).await?))
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/rules.html")]
pub struct RulesPage {
    pub chrome: Chrome,
    pub rules: RulesRow,
    pub criteria: Vec<CriterionRow>,
    pub may_edit: bool,
    pub monitor_rules: Vec<(&'static str, &'static str)>,
    pub input: CriterionInput,
    pub error: String,
}

async fn rules_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    input: CriterionInput,
    error: String,
) -> Result<RulesPage, AppError> {
    let rules = state.store.rules(id).await?;
    let body = state.store.get_body(rules.body_id).await?;
    if !readers(a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    Ok(RulesPage {
        chrome: Chrome::admin(state, a, &rules.name, "/admin/inspections")
            .await
            .with_done(a),
        criteria: state.store.criteria(id).await?,
        may_edit: a.actor.can(Permission::Inspect, &body.path),
        monitor_rules: RuleKey::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        rules,
        input,
        error,
    })
}

pub async fn view_rules(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<RulesPage, AppError> {
    rules_page(&state, &a, id, CriterionInput::default(), String::new()).await
}

/// `action`: `add` (a criterion), `remove` (`criterion_id`), `copy` (to `year`).
pub async fn post_rules(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let rules = state.store.rules(id).await?;
    let body = state.store.get_body(rules.body_id).await?;
    if !readers(&a).contains(&body.path) {
        return Err(AppError::NotFound);
    }
    if !a.actor.can(Permission::Inspect, &body.path) {
        return Err(AppError::Forbidden);
    }
    let input = CriterionInput {
        area: field(&f, "area"),
        text: field(&f, "text"),
        points: field(&f, "points"),
        deduction: field(&f, "deduction"),
        monitor_rule: field(&f, "monitor_rule"),
    };
    let page = format!("/admin/assessment-rules/{id}");
    let result = match field(&f, "action").as_str() {
        "add" => match input.validate() {
            Ok(c) => state
                .store
                .add_criterion(id, &c, &a.who())
                .await
                .map(|_| page.clone()),
            Err(errs) => {
                let m = errs
                    .into_iter()
                    .map(|(_, m)| m)
                    .collect::<Vec<_>>()
                    .join("；");
                return Ok(unprocessable422(
                    rules_page(&state, &a, id, input, m).await?,
                ));
            }
        },
        "remove" => state
            .store
            .remove_criterion(id, field(&f, "criterion_id").parse().unwrap_or(0), &a.who())
            .await
            .map(|_| page.clone()),
        "copy" => {
            let year: i32 = field(&f, "year").trim().parse().unwrap_or(0);
            state
                .store
                .copy_rules(id, year, &a.who())
                .await
                .map(|n| format!("/admin/assessment-rules/{n}"))
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match result {
        Ok(to) => Ok(back_to(&to, "done", "saved")),
        Err(gongkai_store::StoreError::Invalid(m)) => Ok(unprocessable422(
            rules_page(&state, &a, id, input, m).await?,
        )),
        Err(e) => Err(e.into()),
    }
}

// ---- 监督检查 -----------------------------------------------------------------------------

#[derive(Template, WebTemplate)]
#[template(path = "inspections/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub rows: Vec<InspectionRow>,
    /// Sets an inspector may use (of bodies where it inspects).
    pub rule_sets: Vec<RulesRow>,
    pub owners: Vec<BodyOption>,
    /// Bodies that may be inspected (the inspector's subtrees).
    pub targets: Vec<BodyOption>,
    pub kinds: Vec<(&'static str, &'static str)>,
    pub supervisions: Vec<(&'static str, &'static str)>,
    pub input: Fields,
    pub chosen: Vec<i64>,
    pub error: String,
}

impl ListPage {
    pub fn value(&self, name: &str) -> String {
        field(&self.input, name)
    }
    pub fn is_chosen(&self, id: &i64) -> bool {
        self.chosen.contains(id)
    }
}

async fn list_page(
    state: &AppState,
    a: &Authed,
    input: Fields,
    error: String,
) -> Result<ListPage, AppError> {
    let scope = readers(a);
    if scope.is_empty() {
        return Err(AppError::Forbidden);
    }
    let ins = inspectors(a);
    let (rule_sets, owners, targets) = if ins.is_empty() {
        (Vec::new(), Vec::new(), Vec::new())
    } else {
        let selected = field(&input, "body_id").parse().ok();
        (
            state.store.rules_in(&ins).await?,
            body_options(state, Some(&ins), selected, false).await?,
            body_options(state, Some(&ins), None, false).await?,
        )
    };
    Ok(ListPage {
        chrome: Chrome::admin(state, a, "监督检查", "/admin/inspections")
            .await
            .with_done(a),
        rows: state.store.inspections_in(&scope).await?,
        rule_sets,
        owners,
        targets,
        kinds: InspectionKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        supervisions: SupervisionKind::ALL
            .iter()
            .map(|k| (k.as_str(), k.label()))
            .collect(),
        chosen: ids(&input, "bodies"),
        input,
        error,
    })
}

pub async fn view_list(
    State(state): State<AppState>,
    Staff(a): Staff,
) -> Result<ListPage, AppError> {
    list_page(&state, &a, Vec::new(), String::new()).await
}

pub async fn open(
    State(state): State<AppState>,
    Staff(a): Staff,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let body_id: i64 = field(&f, "body_id").parse().unwrap_or(0);
    let body = state.store.get_body(body_id).await?;
    if !a.actor.can(Permission::Inspect, &body.path) {
        return Err(AppError::Forbidden);
    }
    let rules_id: i64 = field(&f, "rules_id").parse().unwrap_or(0);
    let mut errors: Vec<String> = Vec::new();
    let criteria = match state.store.rules(rules_id).await {
        Ok(r) => {
            let owner = state.store.get_body(r.body_id).await?;
            if !a.actor.can(Permission::Inspect, &owner.path) {
                errors.push("请选择本单位可用的考核细则".into());
            }
            r.criteria as usize
        }
        Err(_) => {
            errors.push("请选择考核细则".into());
            1
        }
    };
    let chosen = ids(&f, "bodies");
    let mut bodies = Vec::new();
    for b in &chosen {
        let t = state.store.get_body(*b).await?;
        if !t.path.starts_with(&body.path) {
            errors.push(format!("{}不在{}的管辖范围内", t.name, body.name));
        }
        bodies.push(t.id);
    }
    bodies.sort_unstable();
    bodies.dedup();
    let (from, to) = (day(&field(&f, "from_on")), day(&field(&f, "to_on")));
    errors.extend(
        di::check_inspection(&field(&f, "title"), from, to, bodies.len(), criteria)
            .into_iter()
            .map(|(_, m)| m),
    );
    let kind = InspectionKind::parse(&field(&f, "kind"));
    let supervision = SupervisionKind::parse(&field(&f, "supervision"));
    if kind.is_none() {
        errors.push("请选择检查方式".into());
    }
    if supervision.is_none() {
        errors.push("请选择监督类别".into());
    }
    let (Some(from_on), Some(to_on), Some(kind), Some(supervision), true) =
        (from, to, kind, supervision, errors.is_empty())
    else {
        return Ok(unprocessable422(
            list_page(&state, &a, f, errors.join("；")).await?,
        ));
    };
    let id = state
        .store
        .open_inspection(
            &NewInspection {
                body_id,
                rules_id,
                title: field(&f, "title"),
                kind,
                supervision,
                from_on,
                to_on,
                bodies,
            },
            &a.who(),
        )
        .await?;
    Ok(back_to(
        &format!("/admin/inspections/{id}"),
        "done",
        "saved",
    ))
}

/// One inspected body's line of the ranking.
pub struct BodyResult {
    pub body: InspectedBody,
    pub score: Tenths,
    pub rank: usize,
    pub findings: usize,
    pub scored: usize,
}

impl BodyResult {
    pub fn score_text(&self) -> String {
        di::show_points(self.score)
    }
}

/// The inspection, checked readable by the account.
async fn readable(state: &AppState, a: &Authed, id: i64) -> Result<InspectionRow, AppError> {
    let i = state.store.inspection(id).await?;
    if !readers(a).contains(&i.body_path) {
        return Err(AppError::NotFound);
    }
    Ok(i)
}

/// Every inspected body's score (full points less deductions), ranked; ties share a rank.
pub async fn results(
    state: &AppState,
    i: &InspectionRow,
) -> Result<(Vec<BodyResult>, Tenths), AppError> {
    let criteria = state.store.criteria(i.rules_id).await?;
    let total: Tenths = criteria.iter().map(|c| c.points).sum();
    let scores = state.store.inspection_scores(i.id).await?;
    let findings = state.store.findings(i.id).await?;
    let mut by_body: HashMap<i64, HashMap<i64, Tenths>> = HashMap::new();
    for s in scores {
        by_body
            .entry(s.body_id)
            .or_default()
            .insert(s.criterion_id, s.deducted);
    }
    let bodies = state.store.inspected_bodies(i.id).await?;
    let mut out: Vec<BodyResult> = bodies
        .into_iter()
        .map(|b| {
            let d = by_body.remove(&b.body_id).unwrap_or_default();
            let rows: Vec<(Tenths, Tenths)> = criteria
                .iter()
                .map(|c| (c.points, d.get(&c.id).copied().unwrap_or(0)))
                .collect();
            BodyResult {
                score: di::body_score(&rows),
                rank: 0,
                findings: findings.iter().filter(|f| f.body_id == b.body_id).count(),
                scored: d.len(),
                body: b,
            }
        })
        .collect();
    let s: Vec<u32> = out.iter().map(|r| r.score.max(0) as u32).collect();
    for (r, rank) in out.iter_mut().zip(dm::ranks(&s)) {
        r.rank = rank;
    }
    out.sort_by_key(|r| r.rank);
    Ok((out, total))
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/view.html")]
pub struct ViewPage {
    pub chrome: Chrome,
    pub i: InspectionRow,
    pub results: Vec<BodyResult>,
    pub total: String,
    pub criteria: usize,
    pub monitor_criteria: usize,
    pub may_edit: bool,
    pub error: String,
}

async fn view_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    error: String,
) -> Result<ViewPage, AppError> {
    let i = readable(state, a, id).await?;
    let (results, total) = results(state, &i).await?;
    let criteria = state.store.criteria(i.rules_id).await?;
    Ok(ViewPage {
        chrome: Chrome::admin(state, a, &i.title, "/admin/inspections")
            .await
            .with_done(a),
        results,
        total: di::show_points(total),
        monitor_criteria: criteria.iter().filter(|c| c.monitor_rule.is_some()).count(),
        criteria: criteria.len(),
        may_edit: !i.is_closed() && a.actor.can(Permission::Inspect, &i.body_path),
        i,
        error,
    })
}

pub async fn view(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
) -> Result<ViewPage, AppError> {
    view_page(&state, &a, id, String::new()).await
}

/// `action`: `fill` (monitor criteria from the compliance monitor) or `close`.
pub async fn post(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(id): Path<i64>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let i = readable(&state, &a, id).await?;
    if !a.actor.can(Permission::Inspect, &i.body_path) {
        return Err(AppError::Forbidden);
    }
    let r = match field(&f, "action").as_str() {
        "fill" => fill_from_monitor(&state, &a, &i).await,
        "close" => state
            .store
            .close_inspection(id, today(), &a.who())
            .await
            .map_err(AppError::from),
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match r {
        Ok(()) => Ok(back_to(
            &format!("/admin/inspections/{id}"),
            "done",
            "saved",
        )),
        Err(AppError::BadRequest(m)) => Ok(unprocessable422(view_page(&state, &a, id, m).await?)),
        Err(e) => Err(e),
    }
}

/// Fill the criteria tied to the monitor from the monitor over the inspection's period.
async fn fill_from_monitor(
    state: &AppState,
    a: &Authed,
    i: &InspectionRow,
) -> Result<(), AppError> {
    let window =
        Window::new(i.from(), i.to(), today()).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let unread_sent_by = window
        .unread_sent_by(&state.calendar())
        .map_err(|e| AppError::BadRequest(format!("工作日历不完整：{e}")))?;
    state
        .store
        .fill_inspection_from_monitor(
            i.id,
            &MonitorDates {
                window,
                unread_sent_by,
            },
            &a.who(),
        )
        .await?;
    Ok(())
}

#[derive(Template, WebTemplate)]
#[template(path = "inspections/body.html")]
pub struct BodyPage {
    pub chrome: Chrome,
    pub i: InspectionRow,
    pub body: InspectedBody,
    /// Criterion, deducted (as entered or stored), note, from the monitor.
    pub rows: Vec<(CriterionRow, String, String, bool)>,
    pub score: String,
    pub total: String,
    pub findings: Vec<FindingRow>,
    pub owners: Vec<AccountOption>,
    pub may_edit: bool,
    pub may_rectify: bool,
    pub finding_text: String,
    pub evidence: String,
    pub error: String,
    pub due_default: String,
}

async fn body_page(
    state: &AppState,
    a: &Authed,
    id: i64,
    body_id: i64,
    input: Option<&Fields>,
    error: String,
) -> Result<BodyPage, AppError> {
    let i = readable(state, a, id).await?;
    let body = state
        .store
        .inspected_bodies(id)
        .await?
        .into_iter()
        .find(|b| b.body_id == body_id)
        .ok_or(AppError::NotFound)?;
    let criteria = state.store.criteria(i.rules_id).await?;
    let stored: HashMap<i64, (i64, String, bool)> = state
        .store
        .inspection_scores(id)
        .await?
        .into_iter()
        .filter(|s| s.body_id == body_id)
        .map(|s| (s.criterion_id, (s.deducted, s.note, s.from_monitor)))
        .collect();
    let total: Tenths = criteria.iter().map(|c| c.points).sum();
    let score = di::body_score(
        &criteria
            .iter()
            .map(|c| (c.points, stored.get(&c.id).map_or(0, |s| s.0)))
            .collect::<Vec<_>>(),
    );
    let rows = criteria
        .into_iter()
        .map(|c| {
            let (d, note, monitor) =
                stored
                    .get(&c.id)
                    .cloned()
                    .unwrap_or((0, String::new(), false));
            let (d, note) = match input {
                Some(f) if field(f, "action") == "scores" => (
                    field(f, &format!("d{}", c.id)),
                    field(f, &format!("n{}", c.id)),
                ),
                _ => (di::show_points(d), note),
            };
            (c, d, note, monitor)
        })
        .collect();
    let may_edit = !i.is_closed() && a.actor.can(Permission::Inspect, &i.body_path);
    Ok(BodyPage {
        chrome: Chrome::admin(
            state,
            a,
            &format!("{} · {}", i.title, body.body_name),
            "/admin/inspections",
        )
        .await
        .with_done(a),
        owners: if a.actor.can(Permission::Inspect, &i.body_path) {
            state.store.accounts_in_subtree(&body.body_path).await?
        } else {
            Vec::new()
        },
        may_rectify: a.actor.can(Permission::Inspect, &i.body_path),
        findings: state
            .store
            .findings(id)
            .await?
            .into_iter()
            .filter(|f| f.body_id == body_id)
            .collect(),
        finding_text: input.map(|f| field(f, "text")).unwrap_or_default(),
        evidence: input.map(|f| field(f, "evidence")).unwrap_or_default(),
        score: di::show_points(score),
        total: di::show_points(total),
        due_default: (today() + chrono::Duration::days(30)).to_string(),
        rows,
        may_edit,
        i,
        body,
        error,
    })
}

pub async fn view_body(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, body)): Path<(i64, i64)>,
) -> Result<BodyPage, AppError> {
    body_page(&state, &a, id, body, None, String::new()).await
}

/// `action`: `scores` (`d{criterion}`, `n{criterion}`), `finding` (`text`, `evidence`,
/// `criterion_id`), `rectify` (`finding_id`, `owner_id`, `due_on`).
pub async fn post_body(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path((id, body_id)): Path<(i64, i64)>,
    Form(f): Form<Fields>,
) -> Result<Response, AppError> {
    let i = readable(&state, &a, id).await?;
    if !a.actor.can(Permission::Inspect, &i.body_path) {
        return Err(AppError::Forbidden);
    }
    let page = format!("/admin/inspections/{id}/bodies/{body_id}");
    let r: Result<(), AppError> = match field(&f, "action").as_str() {
        "scores" => {
            let criteria = state.store.criteria(i.rules_id).await?;
            let mut rows = Vec::new();
            let mut errors = Vec::new();
            for c in &criteria {
                let input = field(&f, &format!("d{}", c.id));
                let input = if input.trim().is_empty() {
                    "0".to_string()
                } else {
                    input
                };
                match di::check_deduction(&input, c.points) {
                    Ok(d) => rows.push((c.id, d, field(&f, &format!("n{}", c.id)), false)),
                    Err(m) => errors.push(format!("第{}项：{m}", c.position)),
                }
            }
            if errors.is_empty() {
                state
                    .store
                    .set_scores(id, body_id, &rows, &a.who())
                    .await
                    .map_err(AppError::from)
            } else {
                Err(AppError::BadRequest(errors.join("；")))
            }
        }
        "finding" => state
            .store
            .add_finding(
                id,
                body_id,
                field(&f, "criterion_id").parse().ok(),
                &field(&f, "text"),
                &field(&f, "evidence"),
                &a.who(),
            )
            .await
            .map(|_| ())
            .map_err(AppError::from),
        "rectify" => {
            let finding: i64 = field(&f, "finding_id").parse().unwrap_or(0);
            let owned = state
                .store
                .findings(id)
                .await?
                .into_iter()
                .any(|x| x.id == finding && x.body_id == body_id);
            if !owned {
                return Err(AppError::NotFound);
            }
            match day(&field(&f, "due_on")) {
                None => Err(AppError::BadRequest("请按“年-月-日”填写整改期限".into())),
                Some(due) => state
                    .store
                    .open_rectification(
                        finding,
                        field(&f, "owner_id").parse().unwrap_or(0),
                        due,
                        today(),
                        &a.who(),
                    )
                    .await
                    .map(|_| ())
                    .map_err(AppError::from),
            }
        }
        _ => return Err(AppError::BadRequest("未知操作".into())),
    };
    match r {
        Ok(()) => Ok(back_to(&page, "done", "saved")),
        Err(AppError::BadRequest(m)) | Err(AppError::Conflict(m)) => Ok(unprocessable422(
            body_page(&state, &a, id, body_id, Some(&f), m).await?,
        )),
        Err(e) => Err(e),
    }
}

fn unprocessable422(r: impl IntoResponse) -> Response {
    with_status(r, StatusCode::UNPROCESSABLE_ENTITY)
}
