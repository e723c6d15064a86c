//! Request handlers grouped by area: the public portal, the account (sign-in, password, second
//! factor, sessions) and the back office.

pub mod account;
pub mod admin;
pub mod annual_reports;
pub mod applications;
pub mod appraisals;
pub mod briefings;
pub mod browse;
pub mod catalogue;
pub mod circulars;
pub mod column;
pub mod comment_queue;
pub mod commitments;
pub mod consultations;
pub mod credit;
pub mod credit_admin;
pub mod dashboards;
pub mod decisions;
pub mod evaluations;
pub mod feeds;
pub mod imports;
pub mod inspections;
pub mod items;
pub mod letters;
pub mod letters_admin;
pub mod mailboxes;
pub mod monitor;
pub mod notice_periods;
pub mod notices;
pub mod portal;
pub mod public_items;
pub mod rectifications;
pub mod search;
pub mod services;
pub mod services_admin;
pub mod tokens;
pub mod works;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Anything no route matched.
pub async fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "您访问的页面不存在").into_response()
}
