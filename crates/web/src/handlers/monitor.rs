//! The compliance monitor in the back office (`/admin/monitor`): every body in the account's
//! scope scored on its own records for a date range, ranked, with the light in words and the
//! rule behind each number; each count opens the list of the records behind it
//! (`/admin/monitor/{rule}`), shown only to those who may read such records there
//! (docs/design/supervision.md, stage 1). The rules are `domain::monitor`'s, the queries
//! `store::monitor`'s.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use chrono::NaiveDate;
use gongkai_domain::access::{Actor, Scope};
use gongkai_domain::monitor::{self as dm, MONITOR_READERS, Rule, RuleKey, Window};
use gongkai_store::monitor::{MonitorDates, MonitorReport, Offence};
use serde::Deserialize;

use crate::AppState;
use crate::auth::Staff;
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome};

/// The range and body asked for.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MonitorQuery {
    pub from: String,
    pub to: String,
    /// The body whose subtree to show; empty or 0: everything the account may see.
    pub body: String,
    /// `1`: the records of that body alone (the records behind one line), not its subtree's.
    pub only: String,
}

/// What a monitor request looks at, resolved and checked.
#[derive(Debug, Clone)]
pub struct Selection {
    pub dates: MonitorDates,
    pub scope: Scope,
    pub body_id: i64,
    /// List the records of `body_id` alone.
    pub only: bool,
    /// A problem with the input, in words; the page then shows this year to date.
    pub error: String,
    /// Why a rule could not be judged (a year missing from the calendar), if so.
    pub calendar_note: String,
}

impl Selection {
    pub fn window(&self) -> Window {
        self.dates.window
    }

    /// The query string that selects the same again.
    pub fn query(&self) -> String {
        let w = self.window();
        let mut q = format!("from={}&to={}", w.from, w.to);
        if self.body_id > 0 {
            q.push_str(&format!("&body={}", self.body_id));
            if self.only {
                q.push_str("&only=1");
            }
        }
        q
    }
}

fn parse_day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Resolve a request: the account must read the monitor somewhere, and the body asked for must
/// lie in its scope (else 404, as for any record outside it).
pub async fn select(
    state: &AppState,
    actor: &Actor,
    q: &MonitorQuery,
) -> Result<Selection, AppError> {
    let readers = actor.scope_any(MONITOR_READERS);
    if readers.is_empty() {
        return Err(AppError::Forbidden);
    }
    let today = today();
    let mut error = String::new();
    let window = if q.from.trim().is_empty() && q.to.trim().is_empty() {
        Window::year_to_date(today)
    } else {
        match (parse_day(&q.from), parse_day(&q.to)) {
            (Some(f), Some(t)) => Window::new(f, t, today).unwrap_or_else(|e| {
                error = e.to_string();
                Window::year_to_date(today)
            }),
            _ => {
                error = "请按“年-月-日”填写开始和结束日期".into();
                Window::year_to_date(today)
            }
        }
    };
    let body_id: i64 = q.body.trim().parse().unwrap_or(0);
    let scope = if body_id > 0 {
        let body = state
            .store
            .get_body(body_id)
            .await
            .map_err(|_| AppError::NotFound)?;
        if !readers.contains(&body.path) {
            return Err(AppError::NotFound);
        }
        Scope::subtree(&body.path)
    } else {
        readers
    };
    let cal = state.calendar();
    let (unread_sent_by, calendar_note) = match window.unread_sent_by(&cal) {
        Ok(d) => (d, String::new()),
        Err(e) => (
            NaiveDate::MIN,
            format!("“{}”未计算：{e}", RuleKey::UnreadCirculars.label()),
        ),
    };
    Ok(Selection {
        dates: MonitorDates {
            window,
            unread_sent_by,
        },
        scope,
        body_id: body_id.max(0),
        only: body_id > 0 && q.only.trim() == "1",
        error,
        calendar_note,
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/monitor.html")]
pub struct MonitorPage {
    pub chrome: Chrome,
    pub sel: Selection,
    pub report: MonitorReport,
    pub bodies: Vec<BodyOption>,
    pub rules: &'static [Rule],
}

pub async fn view_monitor(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<MonitorQuery>,
) -> Result<MonitorPage, AppError> {
    let sel = select(&state, &a.actor, &q).await?;
    let report = state.store.monitor_report(&sel.scope, &sel.dates).await?;
    Ok(MonitorPage {
        chrome: Chrome::admin(&state, &a, "合规监测", "/admin/monitor").await,
        bodies: crate::views::body_options(
            &state,
            Some(&a.actor.scope_any(MONITOR_READERS)),
            Some(sel.body_id).filter(|b| *b > 0),
            true,
        )
        .await?,
        sel,
        report,
        rules: dm::RULES,
    })
}

/// Where a listed record is opened.
pub fn record_link(rule: RuleKey, o: &Offence) -> String {
    match rule {
        RuleKey::LateItems | RuleKey::OpenNotices => format!("/admin/items/{}", o.id),
        RuleKey::LateApplications => format!("/admin/applications/{}", o.id),
        RuleKey::LateLetters => format!("/admin/letters/{}", o.id),
        RuleKey::SilentMailboxes => format!("/mailboxes/{}/write", o.id),
        RuleKey::UnreadCirculars => format!("/admin/circulars/{}", o.id),
        RuleKey::OverdueSteps => format!("/admin/works/{}", o.id),
        RuleKey::OverdueRectifications => format!("/admin/rectifications/{}", o.id),
        RuleKey::IdleRows | RuleKey::StaleCategories => {
            format!("/bodies/{}/catalogue?category={}", o.body_id, o.id)
        }
    }
}

/// The headings of a rule's two date columns.
pub fn date_headings(rule: RuleKey) -> (&'static str, &'static str) {
    match rule {
        RuleKey::LateItems => ("公开期限", "首次公开"),
        RuleKey::LateApplications => ("答复期限", "答复日期"),
        RuleKey::LateLetters => ("办理期限", "答复日期"),
        RuleKey::SilentMailboxes => ("—", "最近答复"),
        RuleKey::OpenNotices => ("公示结束", "—"),
        RuleKey::UnreadCirculars => ("发送日期", "阅读时间"),
        RuleKey::OverdueSteps => ("环节期限", "—"),
        RuleKey::OverdueRectifications => ("整改期限", "—"),
        RuleKey::IdleRows => ("标准目录公开时限", "最近公开"),
        RuleKey::StaleCategories => ("—", "最近公开"),
    }
}

#[derive(Template, WebTemplate)]
#[template(path = "admin/monitor_rule.html")]
pub struct RulePage {
    pub chrome: Chrome,
    pub sel: Selection,
    pub rule: &'static Rule,
    pub rows: Vec<(Offence, String)>,
    pub headings: (&'static str, &'static str),
    /// Some of the selected bodies' records of this kind are not the account's to read.
    pub partial: bool,
    /// Nothing of this kind is the account's to read in the selection.
    pub hidden: bool,
    pub truncated: bool,
}

pub async fn view_rule(
    State(state): State<AppState>,
    Staff(a): Staff,
    Path(key): Path<String>,
    Query(q): Query<MonitorQuery>,
) -> Result<RulePage, AppError> {
    let key = RuleKey::ALL
        .iter()
        .copied()
        .find(|k| k.as_str() == key)
        .ok_or(AppError::NotFound)?;
    let rule = dm::rule(key);
    let sel = select(&state, &a.actor, &q).await?;
    let (rows, partial, hidden) = offences(&state, &a.actor, &sel, rule).await?;
    let truncated = rows.len() as i64 >= gongkai_store::monitor::MAX_LISTED;
    Ok(RulePage {
        chrome: Chrome::admin(&state, &a, key.label(), "/admin/monitor").await,
        rows: rows
            .into_iter()
            .map(|o| {
                let link = record_link(key, &o);
                (o, link)
            })
            .collect(),
        headings: date_headings(key),
        sel,
        rule,
        partial,
        hidden,
        truncated,
    })
}

/// The records behind a rule's counts that the account may read: the selection narrowed to
/// where it reads such records. Returns them, whether some bodies were left out, and whether
/// all were.
pub async fn offences(
    state: &AppState,
    actor: &Actor,
    sel: &Selection,
    rule: &Rule,
) -> Result<(Vec<Offence>, bool, bool), AppError> {
    let readable = sel.scope.intersect(&actor.scope_any(rule.readers));
    if readable.is_empty() {
        return Ok((Vec::new(), true, true));
    }
    let partial = readable != sel.scope;
    let rows = state
        .store
        .monitor_offences_of(
            &readable,
            &sel.dates,
            rule.key,
            Some(sel.body_id).filter(|_| sel.only),
        )
        .await?;
    Ok((rows, partial, false))
}
