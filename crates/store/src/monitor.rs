//! The compliance monitor's queries (docs/design/supervision.md, stage 1): one aggregate per rule
//! over the whole scope, grouped by body, so the cost follows the records, not the number of
//! bodies; and for each rule the list of the offending records behind a count. The rules, the
//! windows, the score and the ranking are `domain::monitor`'s.

use std::collections::HashMap;

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::monitor::{self as dm, Counts, Cycle, Light, RuleKey, Window};
use serde::Serialize;

use crate::{Store, StoreResult};

/// At most this many records are listed behind one count.
pub const MAX_LISTED: i64 = 500;

/// Milliseconds at 00:00 of `d` in China (UTC+8).
fn day_start_ms(d: NaiveDate) -> i64 {
    d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
}

/// The day (China) of a millisecond timestamp.
fn day_of_ms(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 8 * 3_600_000)
        .map(|t| t.date_naive().to_string())
        .unwrap_or_default()
}

/// What a query needs of the window, as the strings and timestamps it binds.
#[derive(Debug, Clone)]
pub struct MonitorDates {
    pub window: Window,
    /// The last sending day whose unread recipients count (`Window::unread_sent_by`), computed
    /// by the caller on the working-day calendar.
    pub unread_sent_by: NaiveDate,
}

impl MonitorDates {
    fn from(&self) -> String {
        self.window.from.to_string()
    }
    fn to(&self) -> String {
        self.window.to.to_string()
    }
    fn asof(&self) -> String {
        self.window.asof.to_string()
    }
    fn start_ms(&self) -> i64 {
        day_start_ms(self.window.from)
    }
    fn to_end_ms(&self) -> i64 {
        day_start_ms(self.window.to) + 86_400_000
    }
    fn asof_end_ms(&self) -> i64 {
        day_start_ms(self.window.asof) + 86_400_000
    }
    fn unread_to(&self) -> String {
        self.window.to.min(self.unread_sent_by).to_string()
    }
}

/// One offending record behind a count.
#[derive(Debug, Clone, Serialize, sqlx_macros::FromRow)]
pub struct Offence {
    pub body_id: i64,
    pub body_name: String,
    /// The record's id (for a circular receipt or a key-work step, its circular's or work's).
    pub id: i64,
    pub title: String,
    /// The deadline or the reference day the rule judged.
    pub due_on: Option<String>,
    /// When it was done (published, answered), or the latest publication or reply.
    pub done_on: Option<String>,
    #[serde(skip)]
    pub done_ms: Option<i64>,
}

/// The rule's `FROM … WHERE …` with its binds, the scope filter on `b.path` after it. Every
/// rule's records join `bodies b` on the body the offence counts against.
macro_rules! push_rule_from {
    ($qb:ident, $rule:expr, $d:expr) => {{
        let d = $d;
        match $rule {
            RuleKey::LateItems => {
                // `(i.late = TRUE OR i.status = 'unpublished')` is the condition of the partial
                // index `items_monitor`, word for word.
                $qb.push(
                    " FROM items i JOIN bodies b ON b.id = i.body_id \
                     WHERE (i.late = TRUE OR i.status = 'unpublished') \
                     AND ((i.late = TRUE AND i.first_published_at >= ",
                );
                $qb.push_bind(d.start_ms());
                $qb.push(" AND i.first_published_at < ");
                $qb.push_bind(d.to_end_ms());
                $qb.push(") OR (i.status = 'unpublished' AND i.due_on >= ");
                $qb.push_bind(d.from());
                $qb.push(" AND i.due_on <= ");
                $qb.push_bind(d.to());
                $qb.push(" AND i.due_on < ");
                $qb.push_bind(d.asof());
                $qb.push(
                    " AND EXISTS (SELECT 1 FROM item_versions v WHERE v.id = i.working_version_id \
                     AND v.state <> 'rejected')))",
                );
            }
            RuleKey::LateApplications => {
                $qb.push(
                    " FROM applications a JOIN bodies b ON b.id = a.body_id WHERE a.due_on >= ",
                );
                $qb.push_bind(d.from());
                $qb.push(" AND a.due_on <= ");
                $qb.push_bind(d.to());
                // Answered after the day, or not answered and open past it; the first term is
                // the condition of the partial index `applications_monitor`.
                $qb.push(
                    " AND (a.replied_on IS NULL OR a.replied_on > a.due_on) \
                     AND (a.replied_on IS NOT NULL OR (a.status IN ('pending', 'handling') AND a.due_on < ",
                );
                $qb.push_bind(d.asof());
                $qb.push("))");
            }
            RuleKey::LateLetters => {
                $qb.push(
                    " FROM letters l JOIN bodies b ON b.id = l.body_id \
                     WHERE l.kind <> 'report' AND l.due_on <> '' AND l.due_on >= ",
                );
                $qb.push_bind(d.from());
                $qb.push(" AND l.due_on <= ");
                $qb.push_bind(d.to());
                $qb.push(
                    " AND (l.replied_on IS NULL OR l.replied_on > l.due_on) \
                     AND (l.replied_on IS NOT NULL OR (l.status IN ('received', 'handling', 'approving') AND l.due_on < ",
                );
                $qb.push_bind(d.asof());
                $qb.push("))");
            }
            RuleKey::SilentMailboxes => {
                let since = d.window.silent_since().to_string();
                $qb.push(
                    " FROM mailboxes m JOIN bodies b ON b.id = m.body_id \
                     WHERE m.active = TRUE AND m.kind <> 'report' \
                     AND EXISTS (SELECT 1 FROM letters l WHERE l.mailbox_id = m.id AND l.received_on <= ",
                );
                $qb.push_bind(d.asof());
                $qb.push(" AND ((l.received_on > ");
                $qb.push_bind(since.clone());
                $qb.push(
                    " AND l.status NOT IN ('dismissed', 'converted')) \
                     OR l.status IN ('received', 'handling', 'approving'))) \
                     AND NOT EXISTS (SELECT 1 FROM letters l WHERE l.mailbox_id = m.id AND l.replied_on > ",
                );
                $qb.push_bind(since);
                $qb.push(" AND l.replied_on <= ");
                $qb.push_bind(d.asof());
                $qb.push(")");
            }
            RuleKey::OpenNotices => {
                $qb.push(
                    " FROM notice_periods n JOIN items i ON i.id = n.item_id JOIN bodies b ON b.id = i.body_id \
                     WHERE n.result IS NULL AND i.status = 'published' AND n.end_on >= ",
                );
                $qb.push_bind(d.from());
                $qb.push(" AND n.end_on <= ");
                $qb.push_bind(d.to());
                $qb.push(" AND n.end_on < ");
                $qb.push_bind(d.asof());
            }
            RuleKey::UnreadCirculars => {
                $qb.push(
                    " FROM circular_receipts r JOIN circulars c ON c.id = r.circular_id \
                     JOIN bodies sb ON sb.id = c.body_id \
                     JOIN users u ON u.id = r.user_id JOIN bodies b ON b.id = u.body_id \
                     WHERE c.sent_on >= ",
                );
                $qb.push_bind(d.from());
                $qb.push(" AND c.sent_on <= ");
                $qb.push_bind(d.unread_to());
                $qb.push(" AND (r.read_at IS NULL OR r.read_at >= ");
                $qb.push_bind(d.asof_end_ms());
                $qb.push(")");
            }
            RuleKey::OverdueSteps => {
                $qb.push(
                    " FROM work_steps s JOIN works w ON w.id = s.work_id JOIN bodies wb ON wb.id = w.body_id \
                     JOIN bodies b ON b.id = s.body_id \
                     WHERE w.status = 'open' AND s.status <> 'done' AND s.due_on >= ",
                );
                $qb.push_bind(d.from());
                $qb.push(" AND s.due_on <= ");
                $qb.push_bind(d.to());
                $qb.push(" AND s.due_on < ");
                $qb.push_bind(d.asof());
            }
            RuleKey::OverdueRectifications => {
                $qb.push(
                    " FROM rectifications x JOIN inspection_findings f ON f.id = x.finding_id \
                     JOIN bodies b ON b.id = x.body_id \
                     WHERE x.status IN ('open', 'returned') AND x.due_on >= ",
                );
                $qb.push_bind(d.from());
                $qb.push(" AND x.due_on <= ");
                $qb.push_bind(d.to());
                $qb.push(" AND x.due_on < ");
                $qb.push_bind(d.asof());
            }
            // Judged per category in Rust (`category_states`): never built here.
            RuleKey::IdleRows | RuleKey::StaleCategories => {
                $qb.push(" FROM bodies b WHERE 1 = 0");
            }
        }
    }};
}

/// The columns a rule lists: body, record id, title, deadline, done.
fn list_columns(rule: RuleKey) -> &'static str {
    match rule {
        RuleKey::LateItems => {
            "SELECT b.id AS body_id, b.name AS body_name, i.id, i.title, i.due_on, \
             CAST(NULL AS TEXT) AS done_on, i.first_published_at AS done_ms"
        }
        RuleKey::LateApplications => {
            "SELECT b.id AS body_id, b.name AS body_name, a.id, a.number AS title, a.due_on, \
             a.replied_on AS done_on, CAST(NULL AS BIGINT) AS done_ms"
        }
        RuleKey::LateLetters => {
            "SELECT b.id AS body_id, b.name AS body_name, l.id, l.number || ' ' || l.subject AS title, \
             l.due_on, l.replied_on AS done_on, CAST(NULL AS BIGINT) AS done_ms"
        }
        RuleKey::SilentMailboxes => {
            "SELECT b.id AS body_id, b.name AS body_name, m.id, m.name AS title, CAST(NULL AS TEXT) AS due_on, \
             (SELECT MAX(x.replied_on) FROM letters x WHERE x.mailbox_id = m.id) AS done_on, \
             CAST(NULL AS BIGINT) AS done_ms"
        }
        RuleKey::OpenNotices => {
            "SELECT b.id AS body_id, b.name AS body_name, i.id, i.title, n.end_on AS due_on, \
             CAST(NULL AS TEXT) AS done_on, CAST(NULL AS BIGINT) AS done_ms"
        }
        RuleKey::UnreadCirculars => {
            "SELECT b.id AS body_id, b.name AS body_name, c.id, c.title || '（' || u.display_name || '）' AS title, \
             c.sent_on AS due_on, CAST(NULL AS TEXT) AS done_on, r.read_at AS done_ms"
        }
        RuleKey::OverdueSteps => {
            "SELECT b.id AS body_id, b.name AS body_name, w.id, w.title || '：' || s.title AS title, \
             s.due_on, CAST(NULL AS TEXT) AS done_on, CAST(NULL AS BIGINT) AS done_ms"
        }
        RuleKey::OverdueRectifications => {
            "SELECT b.id AS body_id, b.name AS body_name, x.id, f.text AS title, x.due_on, \
             CAST(NULL AS TEXT) AS done_on, CAST(NULL AS BIGINT) AS done_ms"
        }
        RuleKey::IdleRows | RuleKey::StaleCategories => {
            "SELECT b.id AS body_id, b.name AS body_name, b.id, b.name AS title, \
             CAST(NULL AS TEXT) AS due_on, CAST(NULL AS TEXT) AS done_on, CAST(NULL AS BIGINT) AS done_ms"
        }
    }
}

/// The order a rule's list is shown in.
fn list_order(rule: RuleKey) -> &'static str {
    match rule {
        RuleKey::LateItems => " ORDER BY i.due_on, i.id",
        RuleKey::LateApplications => " ORDER BY a.due_on, a.id",
        RuleKey::LateLetters => " ORDER BY l.due_on, l.id",
        RuleKey::SilentMailboxes => " ORDER BY b.path, m.id",
        RuleKey::OpenNotices => " ORDER BY n.end_on, i.id",
        RuleKey::UnreadCirculars => " ORDER BY c.sent_on, c.id, u.id",
        RuleKey::OverdueSteps => " ORDER BY s.due_on, s.id",
        RuleKey::OverdueRectifications => " ORDER BY x.due_on, x.id",
        RuleKey::IdleRows | RuleKey::StaleCategories => " ORDER BY b.id",
    }
}

/// The rules counted by one SQL aggregate each.
const SQL_RULES: &[RuleKey] = &[
    RuleKey::LateItems,
    RuleKey::LateApplications,
    RuleKey::LateLetters,
    RuleKey::SilentMailboxes,
    RuleKey::OpenNotices,
    RuleKey::UnreadCirculars,
    RuleKey::OverdueSteps,
    RuleKey::OverdueRectifications,
];

/// A category and its latest publication up to the day judged.
#[derive(Debug, Clone, sqlx_macros::FromRow)]
struct CategoryState {
    id: i64,
    body_id: i64,
    body_name: String,
    name: String,
    created_at: i64,
    time_limit: Option<String>,
    last_ms: Option<i64>,
}

impl CategoryState {
    /// The rule this category offends on `d`, if any: a 标准目录 row with a cycle is judged by
    /// its cycle (and never as stale), any other category with content by the 6 months.
    fn offends(&self, d: &MonitorDates) -> Option<RuleKey> {
        match self.time_limit.as_deref().and_then(Cycle::from_time_limit) {
            Some(cycle) => {
                let since = day_start_ms(cycle.idle_unless_after(d.window.asof));
                (self.created_at < since && self.last_ms.is_none_or(|t| t < since))
                    .then_some(RuleKey::IdleRows)
            }
            None => {
                let since = day_start_ms(d.window.stale_before());
                self.last_ms
                    .is_some_and(|t| t < since)
                    .then_some(RuleKey::StaleCategories)
            }
        }
    }
}

/// One body's line: its own offences, score, light and rank among the bodies shown.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorLine {
    pub body_id: i64,
    pub body_name: String,
    pub body_path: String,
    /// Levels below the highest body shown (for indenting the tree order).
    pub depth: usize,
    pub counts: Counts,
    pub score: u32,
    pub light: Light,
    pub rank: usize,
}

impl MonitorLine {
    pub fn light_label(&self) -> &'static str {
        self.light.label()
    }
    pub fn light_key(&self) -> &'static str {
        self.light.as_str()
    }
}

/// The monitor for a scope: every body in it, ranked best first, and the sums.
#[derive(Debug, Clone, Serialize)]
pub struct MonitorReport {
    pub window: Window,
    pub lines: Vec<MonitorLine>,
    pub totals: Counts,
}

impl Store {
    /// Score and rank every body in `scope` on its own records.
    pub async fn monitor_report(
        &self,
        scope: &Scope,
        d: &MonitorDates,
    ) -> StoreResult<MonitorReport> {
        let bodies: Vec<_> = self
            .list_bodies()
            .await?
            .into_iter()
            .filter(|b| scope.contains(&b.path))
            .collect();
        let mut counts = self.monitor_counts(scope, d).await?;
        let top = bodies
            .iter()
            .map(|b| b.path.matches('/').count())
            .min()
            .unwrap_or(0);
        let mut totals = Counts::zero();
        let input: Vec<(i64, Counts)> = bodies
            .iter()
            .map(|b| {
                let c = counts.remove(&b.id).unwrap_or_else(Counts::zero);
                totals.add_all(&c);
                (b.id, c)
            })
            .collect();
        let by_id: HashMap<i64, &crate::bodies::Body> = bodies.iter().map(|b| (b.id, b)).collect();
        let lines = dm::rank_bodies(input)
            .into_iter()
            .filter_map(|l| {
                let b = by_id.get(&l.body_id)?;
                Some(MonitorLine {
                    body_id: l.body_id,
                    body_name: b.name.clone(),
                    body_path: b.path.clone(),
                    depth: b.path.matches('/').count().saturating_sub(top),
                    counts: l.counts,
                    score: l.score,
                    light: l.light,
                    rank: l.rank,
                })
            })
            .collect();
        Ok(MonitorReport {
            window: d.window,
            lines,
            totals,
        })
    }

    /// Offences per body in `scope` for every rule (bodies without any are absent).
    pub async fn monitor_counts(
        &self,
        scope: &Scope,
        d: &MonitorDates,
    ) -> StoreResult<HashMap<i64, Counts>> {
        let mut out: HashMap<i64, Counts> = HashMap::new();
        for rule in SQL_RULES {
            for (body, n) in self.sql_rule_counts(scope, d, *rule).await? {
                out.entry(body)
                    .or_insert_with(Counts::zero)
                    .add(*rule, n.max(0) as u64);
            }
        }
        for cat in self.category_states(scope, d).await? {
            if let Some(rule) = cat.offends(d) {
                out.entry(cat.body_id)
                    .or_insert_with(Counts::zero)
                    .add(rule, 1);
            }
        }
        Ok(out)
    }

    /// One rule's offences per body (for timing the rules one by one).
    pub async fn monitor_rule_counts(
        &self,
        scope: &Scope,
        d: &MonitorDates,
        rule: RuleKey,
    ) -> StoreResult<Vec<(i64, i64)>> {
        if SQL_RULES.contains(&rule) {
            return self.sql_rule_counts(scope, d, rule).await;
        }
        let mut per: HashMap<i64, i64> = HashMap::new();
        for cat in self.category_states(scope, d).await? {
            if cat.offends(d) == Some(rule) {
                *per.entry(cat.body_id).or_default() += 1;
            }
        }
        Ok(per.into_iter().collect())
    }

    async fn sql_rule_counts(
        &self,
        scope: &Scope,
        d: &MonitorDates,
        rule: RuleKey,
    ) -> StoreResult<Vec<(i64, i64)>> {
        if rule == RuleKey::UnreadCirculars && d.unread_sent_by < d.window.from {
            return Ok(Vec::new());
        }
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new("SELECT b.id, COUNT(*)");
            push_rule_from!(qb, rule, d);
            push_scope!(qb, scope, "b.path");
            qb.push(" GROUP BY b.id");
            qb.build_query_as::<(i64, i64)>().fetch_all(c).await
        })?)
    }

    /// The records behind `rule`'s counts in `scope`, at most [`MAX_LISTED`].
    pub async fn monitor_offences(
        &self,
        scope: &Scope,
        d: &MonitorDates,
        rule: RuleKey,
    ) -> StoreResult<Vec<Offence>> {
        self.monitor_offences_of(scope, d, rule, None).await
    }

    /// As [`Store::monitor_offences`], of one body's own records when `only` is given (the
    /// records behind one line of the monitor, not its subtree's). A circular's records are
    /// listed only where the scope also holds its sender, a key-work step's where it holds the
    /// work's body: those decide who may open them.
    pub async fn monitor_offences_of(
        &self,
        scope: &Scope,
        d: &MonitorDates,
        rule: RuleKey,
        only: Option<i64>,
    ) -> StoreResult<Vec<Offence>> {
        if matches!(rule, RuleKey::IdleRows | RuleKey::StaleCategories) {
            return Ok(self
                .category_states(scope, d)
                .await?
                .into_iter()
                .filter(|c| c.offends(d) == Some(rule) && only.is_none_or(|b| b == c.body_id))
                .take(MAX_LISTED as usize)
                .map(|c| Offence {
                    body_id: c.body_id,
                    body_name: c.body_name,
                    id: c.id,
                    title: c.name,
                    due_on: c.time_limit.filter(|t| !t.is_empty()),
                    done_on: c.last_ms.map(day_of_ms),
                    done_ms: c.last_ms,
                })
                .collect());
        }
        if rule == RuleKey::UnreadCirculars && d.unread_sent_by < d.window.from {
            return Ok(Vec::new());
        }
        let mut rows: Vec<Offence> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(list_columns(rule));
            push_rule_from!(qb, rule, d);
            push_scope!(qb, scope, "b.path");
            match rule {
                RuleKey::UnreadCirculars => push_scope!(qb, scope, "sb.path"),
                RuleKey::OverdueSteps => push_scope!(qb, scope, "wb.path"),
                _ => {}
            }
            if let Some(b) = only {
                qb.push(" AND b.id = ").push_bind(b);
            }
            qb.push(list_order(rule));
            qb.push(" LIMIT ").push_bind(MAX_LISTED);
            qb.build_query_as::<Offence>().fetch_all(c).await
        })?;
        for r in &mut rows {
            if r.done_on.is_none() {
                r.done_on = r.done_ms.map(day_of_ms);
            }
        }
        Ok(rows)
    }

    /// Every category in `scope` with its 标准目录 time limit and its latest publication before
    /// the end of the day judged.
    async fn category_states(
        &self,
        scope: &Scope,
        d: &MonitorDates,
    ) -> StoreResult<Vec<CategoryState>> {
        Ok(read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT c.id, c.body_id, b.name AS body_name, c.name, c.created_at, s.time_limit, \
                 (SELECT MAX(i.published_at) FROM items i WHERE i.category_id = c.id \
                 AND i.status = 'published' AND i.published_at < ",
            );
            qb.push_bind(d.asof_end_ms());
            qb.push(
                ") AS last_ms FROM categories c JOIN bodies b ON b.id = c.body_id \
                 LEFT JOIN standard_rows s ON s.id = c.standard_row_id WHERE 1 = 1",
            );
            push_scope!(qb, scope, "b.path");
            qb.push(" ORDER BY b.path, c.path, c.id");
            qb.build_query_as::<CategoryState>().fetch_all(c).await
        })?)
    }
}

/// An item for the monitor benchmark, inserted as published without versions (the monitor
/// reads only the item's row).
#[derive(Debug, Clone)]
pub struct BenchItem {
    pub body_id: i64,
    pub category_id: i64,
    pub title: String,
    pub published_ms: i64,
    pub due_on: String,
    pub late: bool,
}

/// A letter for the monitor benchmark.
#[derive(Debug, Clone)]
pub struct BenchLetter {
    pub mailbox_id: i64,
    pub body_id: i64,
    pub number: String,
    pub received_on: String,
    pub due_on: String,
    pub status: String,
    pub replied_on: Option<String>,
}

impl Store {
    /// Bulk-load benchmark items (benchmarks only): one multi-row insert per call.
    pub async fn bench_insert_items(&self, rows: &[BenchItem]) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO items (body_id, category_id, status, scope, title, first_published_at, \
                 published_at, published_on, due_on, late, created_at, updated_at) ",
            );
            qb.push_values(rows, |mut b, r| {
                b.push_bind(r.body_id)
                    .push_bind(r.category_id)
                    .push_bind("published")
                    .push_bind("public")
                    .push_bind(r.title.clone())
                    .push_bind(r.published_ms)
                    .push_bind(r.published_ms)
                    .push_bind(day_of_ms(r.published_ms))
                    .push_bind(r.due_on.clone())
                    .push_bind(r.late)
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
            Ok(())
        })
    }

    /// One public mailbox per body (benchmarks only); returns (mailbox, body).
    pub async fn bench_insert_mailboxes(&self, bodies: &[i64]) -> StoreResult<Vec<(i64, i64)>> {
        let now = crate::now_ms();
        let mut out = Vec::with_capacity(bodies.len());
        for b in bodies {
            let id: i64 = write_tx!(self, |tx| {
                Ok(sqlx::query_scalar(
                    "INSERT INTO mailboxes (body_id, name, kind, created_at, updated_at) \
                     VALUES ($1, '基准信箱', 'suggest', $2, $2) RETURNING id",
                )
                .bind(*b)
                .bind(now)
                .fetch_one(&mut *tx)
                .await?)
            })?;
            out.push((id, *b));
        }
        Ok(out)
    }

    /// Bulk-load benchmark letters (benchmarks only).
    pub async fn bench_insert_letters(&self, rows: &[BenchLetter]) -> StoreResult<()> {
        let now = crate::now_ms();
        write_tx!(self, |tx| {
            let mut qb = sqlx::QueryBuilder::new(
                "INSERT INTO letters (number, secret_hash, mailbox_id, body_id, kind, subject, content, \
                 status, received_on, clock_from, due_on, replied_on, created_at, updated_at) ",
            );
            qb.push_values(rows, |mut b, r| {
                b.push_bind(r.number.clone())
                    .push_bind("x")
                    .push_bind(r.mailbox_id)
                    .push_bind(r.body_id)
                    .push_bind("suggest")
                    .push_bind("基准来信")
                    .push_bind("基准测试生成的来信")
                    .push_bind(r.status.clone())
                    .push_bind(r.received_on.clone())
                    .push_bind(r.received_on.clone())
                    .push_bind(r.due_on.clone())
                    .push_bind(r.replied_on.clone())
                    .push_bind(now)
                    .push_bind(now);
            });
            qb.build().execute(&mut *tx).await?;
            Ok(())
        })
    }
}
