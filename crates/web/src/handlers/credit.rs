//! 双公示 on the portal: the 行政许可 and 行政处罚 lists (`/credit`), one record
//! (`/credit/{id}`), and their feed. Everything here reads `credit_public`, the masked copy;
//! a record past its display period answers 410 with nothing of it, an id never public 404.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use gongkai_domain::credit::DecisionKind;
use gongkai_store::credit::{PublicDecision, PublicFilter};
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybeAuthed;
use crate::error::AppError;
use crate::handlers::admin::today;
use crate::views::{BodyOption, Chrome};

/// Records per page of the public list.
const PAGE: i64 = 20;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub kind: Option<String>,
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub year: Option<String>,
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
}

/// The list's filters as understood (anything unreadable is ignored, never an error).
#[derive(Debug, Clone)]
pub struct Filters {
    pub kind: DecisionKind,
    pub body: Option<i64>,
    pub year: Option<i32>,
    pub q: String,
    pub page: i64,
}

impl Filters {
    pub fn from_query(q: &ListQuery) -> Filters {
        let kind = q
            .kind
            .as_deref()
            .and_then(DecisionKind::parse)
            .filter(|k| *k != DecisionKind::Coercion)
            .unwrap_or(DecisionKind::License);
        Filters {
            kind,
            body: q.body.as_deref().and_then(|b| b.trim().parse().ok()),
            year: q
                .year
                .as_deref()
                .and_then(|y| y.trim().parse().ok())
                .filter(|y| (2000..=2100).contains(y)),
            q: q.q
                .clone()
                .unwrap_or_default()
                .trim()
                .chars()
                .take(50)
                .collect(),
            page: q
                .page
                .as_deref()
                .and_then(|p| p.trim().parse().ok())
                .unwrap_or(1)
                .clamp(1, 10_000),
        }
    }

    pub fn store_filter(&self) -> PublicFilter {
        PublicFilter {
            kind: Some(self.kind),
            body_id: self.body,
            year: self.year,
            q: self.q.clone(),
            offset: (self.page - 1) * PAGE,
            limit: PAGE,
        }
    }

    /// The address of this list on page `page`.
    pub fn url(&self, page: i64) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("kind", self.kind.as_str());
        if let Some(b) = self.body {
            s.append_pair("body", &b.to_string());
        }
        if let Some(y) = self.year {
            s.append_pair("year", &y.to_string());
        }
        if !self.q.is_empty() {
            s.append_pair("q", &self.q);
        }
        if page > 1 {
            s.append_pair("page", &page.to_string());
        }
        format!("/credit?{}", s.finish())
    }
}

/// A record in a list, with its body's name.
pub struct Row {
    pub d: PublicDecision,
    pub body_name: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "credit/list.html")]
pub struct ListPage {
    pub chrome: Chrome,
    pub f: Filters,
    pub rows: Vec<Row>,
    pub total: i64,
    pub pages: i64,
    pub bodies: Vec<BodyOption>,
    pub years: Vec<i32>,
}

impl ListPage {
    pub fn kind_url(&self, kind: &str) -> String {
        format!("/credit?kind={kind}")
    }
    pub fn page_url(&self, page: i64) -> String {
        self.f.url(page)
    }
    pub fn is_year(&self, y: &i32) -> bool {
        self.f.year == Some(*y)
    }
}

pub async fn view_list(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(q): Query<ListQuery>,
) -> Result<Response, AppError> {
    let f = Filters::from_query(&q);
    let today = today();
    let (list, total) = state
        .store
        .public_decisions(&f.store_filter(), today)
        .await?;
    let names: HashMap<i64, String> = state.store.body_names().await?.into_iter().collect();
    let bodies = crate::views::body_options(&state, None, f.body, true).await?;
    let mut chrome = Chrome::public(&state, &format!("双公示 · {}", f.kind.label()), a.as_ref());
    chrome.feed = Some(("双公示信息".into(), "/feeds/credit.atom".into()));
    Ok(ListPage {
        chrome,
        rows: list
            .into_iter()
            .map(|d| Row {
                body_name: names.get(&d.body_id).cloned().unwrap_or_default(),
                d,
            })
            .collect(),
        pages: (total + PAGE - 1) / PAGE,
        total,
        bodies,
        years: (2020..=today.year()).rev().collect(),
        f,
    }
    .into_response())
}

#[derive(Template, WebTemplate)]
#[template(path = "credit/record.html")]
pub struct RecordPage {
    pub chrome: Chrome,
    pub d: PublicDecision,
    pub body_name: String,
}

pub async fn view_record(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<i64>,
) -> Result<Response, AppError> {
    let d = state
        .store
        .public_decision(id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !d.shown_on(today()) {
        return Err(AppError::DisplayEnded);
    }
    let body_name = state.store.get_body(d.body_id).await?.name;
    let mut chrome = Chrome::public(
        &state,
        &format!("{} · {}", d.kind_label(), d.doc_no),
        a.as_ref(),
    );
    // A natural person's record is public for the period, but not for search engines.
    chrome.noindex = d.natural();
    Ok(RecordPage {
        chrome,
        d,
        body_name,
    }
    .into_response())
}

#[derive(Deserialize, Default)]
pub struct FeedQuery {
    #[serde(default)]
    pub body: Option<i64>,
}

/// Publications and withdrawals within their display period, newest first.
pub async fn credit_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FeedQuery>,
) -> Result<Response, AppError> {
    use crate::handlers::feeds::{Entry, Feed, render, rfc3339};
    let (list, _) = state
        .store
        .public_decisions(
            &PublicFilter {
                body_id: q.body,
                limit: 50,
                ..PublicFilter::default()
            },
            today(),
        )
        .await?;
    let names: HashMap<i64, String> = state.store.body_names().await?.into_iter().collect();
    render(Feed {
        base: crate::handlers::public_items::site_base(&state, &headers),
        self_path: "/feeds/credit.atom".into(),
        alternate: "/credit".into(),
        title: format!("{} · 双公示", state.config.site_name),
        updated: rfc3339(list.first().map(|d| d.published_at)),
        entries: list
            .into_iter()
            .map(|d| Entry {
                path: format!("/credit/{}", d.id),
                updated: rfc3339(Some(d.published_at)),
                title: format!("{}：{}", d.kind_label(), d.headline()),
                body_name: names.get(&d.body_id).cloned().unwrap_or_default(),
                doc_no: d.doc_no.clone(),
                index_no: String::new(),
                withdrawn: d.withdrawn(),
            })
            .collect(),
    })
}
