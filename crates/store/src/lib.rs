//! Storage for Gongkai: one set of repository methods over two sqlx backends, SQLite (the
//! embedded default) and PostgreSQL (for scale-out). SQL is written once with `$N` placeholders,
//! which both backends accept, and expanded per backend by the macros in [`db`]. Every state
//! change writes its row, its audit entry and, where derived data depends on it, a change-log row
//! in one transaction.

#[macro_use]
pub mod db;
#[macro_use]
pub mod audit;
pub mod annual_reports;
pub mod applications;
pub mod appraisals;
pub mod bodies;
pub mod briefings;
pub mod browse;
pub mod calendar;
pub mod circulars;
pub mod consultations;
pub mod credit;
pub mod dashboards;
pub mod decisions;
pub mod disclosure;
pub mod error;
pub mod evaluations;
pub mod inspections;
pub mod item_page;
pub mod letters;
pub mod monitor;
pub mod notice_periods;
pub mod notices;
pub mod search;
pub mod services;
pub mod sessions;
pub mod tokens;
pub mod users;
pub mod works;

pub use db::{Backend, Store, StoreOptions};
pub use error::{StoreError, StoreResult};
pub use gongkai_domain as domain;

/// Milliseconds since the Unix epoch, the time unit of every `*_at` column.
/// A `LIKE` pattern finding `q` anywhere (its `%`, `_` and `\\` taken literally), if `q` is
/// not blank.
pub(crate) fn like_pattern(q: &str) -> Option<String> {
    let q = q.trim();
    if q.is_empty() {
        return None;
    }
    let mut out = String::from("%");
    for ch in q.chars().take(50) {
        if matches!(ch, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(ch);
    }
    out.push('%');
    Some(out)
}

pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Today in China (UTC+8), for rules counted by the day when the caller gave no date.
pub(crate) fn today_cn() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}
