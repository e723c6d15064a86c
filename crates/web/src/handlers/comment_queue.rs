//! The moderation queue across drafts (`/admin/consultations/held`): every comment held for a
//! moderator on the drafts of the bodies where the account is 信息员, oldest first, each shown
//! or hidden with a reason from here as from the draft's own page (`consultations::post_moderate`).

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::Response;
use gongkai_domain::access::Permission;
use gongkai_store::consultations::HeldComment;
use serde::Deserialize;

use crate::AppState;
use crate::auth::Staff;
use crate::error::AppError;
use crate::views::Chrome;

pub const PATH: &str = "/admin/consultations/held";

/// Back to the queue with a message (`done` or `error`).
pub fn back(flag: &str, value: &str) -> Response {
    crate::views::back_to(PATH, flag, value)
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct QueueQuery {
    pub done: String,
    pub error: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "items/comment_queue.html")]
pub struct QueuePage {
    pub chrome: Chrome,
    pub rows: Vec<HeldComment>,
    /// All held comments in scope (the list stops at 500).
    pub total: i64,
    pub q: QueueQuery,
}

pub async fn view_queue(
    State(state): State<AppState>,
    Staff(a): Staff,
    Query(q): Query<QueueQuery>,
) -> Result<QueuePage, AppError> {
    if !a.actor.has_anywhere(Permission::EditItems) {
        return Err(AppError::Forbidden);
    }
    let scope = a.actor.scope_any(&[Permission::EditItems]);
    let rows = state.store.held_comments(&scope).await?;
    Ok(QueuePage {
        chrome: Chrome::admin(&state, &a, "待审核意见", "/admin/items").await,
        total: state.store.held_comment_count(&scope).await?,
        rows,
        q,
    })
}
