//! Full-text search of published items: the page `/search` (and its logic, shared with the API
//! and the search feed).

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use gongkai_domain::disclosure::Validity;
use gongkai_search::{Clause, Piece, SearchRequest};
use gongkai_store::bodies::Body;
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybeAuthed;
use crate::error::AppError;
use crate::views::Chrome;

/// Results per page, and how deep paging goes (relevance beyond this is noise).
pub const PER_PAGE: usize = 20;
pub const MAX_PAGES: usize = 50;

/// Filters shared by browsing and searching; each combination has a stable address.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Filters {
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub year: Option<String>,
    #[serde(default)]
    pub validity: Option<String>,
    /// Search: `date` for newest first, relevance otherwise. Browse: `old` for oldest first,
    /// newest first otherwise.
    #[serde(default)]
    pub sort: Option<String>,
    /// 主题分类 (browse only).
    #[serde(default)]
    pub subject: Option<String>,
}

/// Filters with values checked: anything unparseable is dropped rather than refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanFilters {
    pub body: Option<i64>,
    pub category: Option<i64>,
    pub year: Option<i32>,
    pub validity: Option<Validity>,
    pub by_date: bool,
    pub oldest_first: bool,
    pub subject: Option<&'static str>,
}

impl Filters {
    pub fn clean(&self) -> CleanFilters {
        let num = |s: &Option<String>| s.as_deref().and_then(|v| v.trim().parse::<i64>().ok());
        CleanFilters {
            body: num(&self.body).filter(|v| *v > 0),
            category: num(&self.category).filter(|v| *v > 0),
            year: num(&self.year)
                .filter(|y| (1949..=2200).contains(y))
                .map(|y| y as i32),
            validity: self.validity.as_deref().and_then(Validity::parse),
            by_date: self.sort.as_deref() == Some("date"),
            oldest_first: self.sort.as_deref() == Some("old"),
            subject: self.subject.as_deref().and_then(|s| {
                gongkai_domain::disclosure::SUBJECTS
                    .iter()
                    .copied()
                    .find(|x| *x == s.trim())
            }),
        }
    }
}

impl CleanFilters {
    /// The query string of these filters (without a leading `?`), plus `extra` pairs.
    pub fn query(&self, extra: &[(&str, String)]) -> String {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in extra {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        if let Some(b) = self.body {
            s.append_pair("body", &b.to_string());
        }
        if let Some(c) = self.category {
            s.append_pair("category", &c.to_string());
        }
        if let Some(y) = self.year {
            s.append_pair("year", &y.to_string());
        }
        if let Some(v) = self.validity {
            s.append_pair("validity", v.as_str());
        }
        if let Some(v) = self.subject {
            s.append_pair("subject", v);
        }
        if self.by_date {
            s.append_pair("sort", "date");
        }
        if self.oldest_first {
            s.append_pair("sort", "old");
        }
        s.finish()
    }
}

/// Years offered in the filters: from the year the 条例 took effect to next year.
pub fn years() -> Vec<i32> {
    let now = chrono::Utc::now().date_naive();
    let last = chrono::Datelike::year(&now);
    (2008..=last).rev().collect()
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct SearchParams {
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub page: Option<String>,
    #[serde(flatten)]
    pub filters: Filters,
}

/// One result, ready to show.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SearchHit {
    pub id: i64,
    /// The public page: an item's, or a published letter's.
    pub href: String,
    pub title: String,
    pub title_marked: Vec<Piece>,
    pub snippet: Vec<Piece>,
    pub body_id: i64,
    pub body_name: String,
    pub doc_no: String,
    pub index_no: String,
    pub published_on: Option<String>,
    pub validity: String,
}

impl SearchHit {
    pub fn validity_label(&self) -> &'static str {
        Validity::parse(&self.validity).map_or("有效", |v| v.label())
    }
}

/// The outcome of running a query.
pub struct Outcome {
    pub clauses: Vec<Clause>,
    pub total: usize,
    pub hits: Vec<SearchHit>,
}

/// Run a search for `q` with `filters`, page `page` (1-based), and load what the results show.
/// Items are re-read from the store, so one that stopped being public since it was indexed is
/// dropped here even before the index catches up.
pub async fn run(
    state: &AppState,
    clauses: Vec<Clause>,
    f: &CleanFilters,
    offset: usize,
    limit: usize,
) -> Result<Outcome, AppError> {
    let hits = state
        .search
        .search_async(SearchRequest {
            clauses: clauses.clone(),
            body_id: f.body,
            category_id: f.category,
            year: f.year,
            validity: f.validity.map(|v| v.as_str().to_string()),
            by_date: f.by_date,
            offset,
            limit,
        })
        .await?;
    let docs = state.store.search_docs(&hits.ids).await?;
    let bodies: HashMap<i64, String> = state.store.body_names().await?.into_iter().collect();
    let mut by_id: HashMap<i64, gongkai_store::search::SearchDoc> =
        docs.into_iter().map(|d| (d.id, d)).collect();
    let out: Vec<SearchHit> = hits
        .ids
        .iter()
        .filter_map(|id| by_id.remove(id))
        .map(|d| {
            let text = format!(
                "{} {} {}",
                d.summary,
                gongkai_search::text::plain(&d.body_md),
                d.attachment_text
            );
            SearchHit {
                id: d.id,
                href: d.href(),
                title_marked: gongkai_search::snippet(&d.title, &clauses, 200),
                snippet: gongkai_search::snippet(text.trim(), &clauses, 120),
                title: d.title,
                body_name: bodies.get(&d.body_id).cloned().unwrap_or_default(),
                body_id: d.body_id,
                doc_no: d.doc_no,
                index_no: d.index_no,
                published_on: d.published_on,
                validity: d.validity,
            }
        })
        .collect();
    Ok(Outcome {
        clauses,
        total: hits.total,
        hits: out,
    })
}

/// A query that is a 文号 or an 索引号 of a published item: that item's id.
pub async fn direct_hit(state: &AppState, q: &str) -> Result<Option<i64>, AppError> {
    let q = q.trim();
    if q.is_empty() || q.chars().count() > 60 || !q.chars().any(|c| c.is_ascii_digit()) {
        return Ok(None);
    }
    let mut candidates = vec![q.to_string()];
    if let Ok(n) = gongkai_domain::disclosure::normalise_doc_no(q, 2200)
        && n != q
    {
        candidates.push(n);
    }
    for candidate in candidates {
        if let Some(item) = state.store.find_item_by_index_or_doc(&candidate).await? {
            return Ok(Some(item.id));
        }
    }
    Ok(None)
}

#[derive(Template, WebTemplate)]
#[template(path = "public/search.html")]
pub struct SearchPage {
    pub chrome: Chrome,
    pub q: String,
    pub error: Option<String>,
    pub f: CleanFilters,
    pub bodies: Vec<Body>,
    pub years: Vec<i32>,
    pub validities: Vec<Validity>,
    pub searched: bool,
    pub total: usize,
    pub hits: Vec<SearchHit>,
    pub page: usize,
    pub pages: usize,
    pub category_name: Option<String>,
}

impl SearchPage {
    pub fn page_url(&self, page: usize) -> String {
        let mut extra = vec![("q", self.q.clone())];
        if page > 1 {
            extra.push(("page", page.to_string()));
        }
        format!("/search?{}", self.f.query(&extra))
    }
    /// The same search with `sort` changed.
    pub fn sort_url(&self, by_date: bool) -> String {
        let mut f = self.f.clone();
        f.by_date = by_date;
        format!("/search?{}", f.query(&[("q", self.q.clone())]))
    }
    pub fn feed_url(&self) -> String {
        let mut f = self.f.clone();
        f.by_date = false;
        format!("/search/feed.atom?{}", f.query(&[("q", self.q.clone())]))
    }
    /// Page numbers to link: the first, the last, and those near the current one.
    pub fn page_links(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (1..=self.pages)
            .filter(|p| *p == 1 || *p == self.pages || p.abs_diff(self.page) <= 2)
            .collect();
        v.dedup();
        v
    }
    pub fn sel_body(&self, id: &i64) -> bool {
        self.f.body == Some(*id)
    }
    pub fn sel_year(&self, y: &i32) -> bool {
        self.f.year == Some(*y)
    }
    pub fn sel_validity(&self, v: &Validity) -> bool {
        self.f.validity == Some(*v)
    }
}

pub async fn view_search(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(p): Query<SearchParams>,
) -> Result<Response, AppError> {
    let q = p.q.clone().unwrap_or_default();
    let f = p.filters.clean();
    let page = p
        .page
        .as_deref()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, MAX_PAGES);
    let mut view = SearchPage {
        chrome: Chrome::public(
            &state,
            &if q.trim().is_empty() {
                "站内搜索".to_string()
            } else {
                format!("搜索：{}", q.trim())
            },
            a.as_ref(),
        ),
        q: q.clone(),
        error: None,
        f: f.clone(),
        bodies: state.store.list_bodies().await?,
        years: years(),
        validities: Validity::ALL.to_vec(),
        searched: false,
        total: 0,
        hits: vec![],
        page,
        pages: 0,
        category_name: None,
    };
    if let Some(c) = f.category {
        view.category_name = state.store.get_category(c).await.ok().map(|c| c.name);
    }
    if p.q.is_none() {
        // The bare search page: a form, no message.
        return Ok(view.into_response());
    }
    if page == 1
        && f == CleanFilters::default()
        && let Some(id) = direct_hit(&state, &q).await?
    {
        return Ok(Redirect::to(&format!("/items/{id}")).into_response());
    }
    match gongkai_search::parse_query(&q) {
        Err(e) => view.error = Some(e.to_string()),
        Ok(clauses) => {
            let o = run(&state, clauses, &f, (page - 1) * PER_PAGE, PER_PAGE).await?;
            view.searched = true;
            view.chrome.feed = Some((format!("搜索订阅：{}", q.trim()), view.feed_url()));
            view.total = o.total;
            view.pages = o.total.div_ceil(PER_PAGE).min(MAX_PAGES);
            view.hits = o.hits;
        }
    }
    Ok(view.into_response())
}
