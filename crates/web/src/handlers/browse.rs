//! Browsing the catalogue: the whole site (`/catalogue`) or one body with its category tree
//! (`/bodies/{id}/catalogue`), with filters and keyset pagination (stable addresses for every
//! filter combination; the last page is as fast as the first).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use gongkai_domain::disclosure::{SUBJECTS, Validity};
use gongkai_store::bodies::Body;
use gongkai_store::browse::{BrowseFilter, Cursor, Order};
use gongkai_store::disclosure::{Category, PublicListRow};
use serde::Deserialize;

use crate::AppState;
use crate::auth::MaybeAuthed;
use crate::error::AppError;
use crate::handlers::search::{CleanFilters, Filters, years};
use crate::views::Chrome;

pub const PER_PAGE: i64 = 20;

/// Counts per filter, valid while the change log's head is unchanged (so every instance of a
/// scaled-out site agrees, and a publication anywhere refreshes them).
#[derive(Default, Clone)]
pub struct CountCache {
    inner: Arc<Mutex<HashMap<BrowseFilter, (i64, i64)>>>,
}

impl CountCache {
    pub async fn count(&self, state: &AppState, f: &BrowseFilter) -> Result<i64, AppError> {
        let head = state.head.head(&state.store).await?;
        if let Ok(m) = self.inner.lock()
            && let Some((h, n)) = m.get(f)
            && *h == head
        {
            return Ok(*n);
        }
        let n = state.store.count_public(f).await?;
        if let Ok(mut m) = self.inner.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(f.clone(), (head, n));
        }
        Ok(n)
    }
}

#[derive(Debug, Clone, Deserialize, Default)]
pub struct BrowseParams {
    #[serde(flatten)]
    pub filters: Filters,
    #[serde(default)]
    pub after: Option<String>,
    #[serde(default)]
    pub before: Option<String>,
    #[serde(default)]
    pub last: Option<String>,
}

fn key(s: &Option<String>) -> Option<(i64, i64)> {
    let (p, id) = s.as_deref()?.split_once('_')?;
    Some((p.parse().ok()?, id.parse().ok()?))
}

impl BrowseParams {
    fn cursor(&self) -> Cursor {
        if let Some((p, id)) = key(&self.after) {
            Cursor::After(p, id)
        } else if let Some((p, id)) = key(&self.before) {
            Cursor::Before(p, id)
        } else if self.last.is_some() {
            Cursor::Last
        } else {
            Cursor::First
        }
    }
}

/// Milliseconds of a calendar year in China Standard Time: `[1 Jan, 1 Jan next year)`.
pub fn year_ms(y: i32) -> Option<(i64, i64)> {
    let start = |y: i32| {
        chrono::NaiveDate::from_ymd_opt(y, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc().timestamp_millis() - 8 * 3_600_000)
    };
    Some((start(y)?, start(y + 1)?))
}

/// The store's filter for the public filters, resolving a category to its subtree.
pub async fn store_filter(state: &AppState, f: &CleanFilters) -> Result<BrowseFilter, AppError> {
    let category_ids = match f.category {
        None => None,
        Some(c) => {
            let cat = state.store.get_category(c).await?;
            Some(
                state
                    .store
                    .list_categories(cat.body_id)
                    .await?
                    .into_iter()
                    .filter(|x| x.path.starts_with(&cat.path))
                    .map(|x| x.id)
                    .collect(),
            )
        }
    };
    Ok(BrowseFilter {
        body_id: f.body,
        category_ids,
        published_ms: f.year.and_then(year_ms),
        validity: f.validity.map(|v| v.as_str().to_string()),
        subject: f.subject.map(str::to_string),
    })
}

#[derive(Template, WebTemplate)]
#[template(path = "public/catalogue.html")]
pub struct CataloguePage {
    pub chrome: Chrome,
    /// The body whose catalogue this is; `None` for the whole site.
    pub body: Option<Body>,
    pub bodies: Vec<Body>,
    pub categories: Vec<Category>,
    pub current: Option<Category>,
    pub f: CleanFilters,
    pub years: Vec<i32>,
    pub validities: Vec<Validity>,
    pub subjects: &'static [&'static str],
    pub items: Vec<PublicListRow>,
    pub total: i64,
    pub has_prev: bool,
    pub has_next: bool,
}

impl CataloguePage {
    fn base(&self) -> String {
        match &self.body {
            Some(b) => format!("/bodies/{}/catalogue", b.id),
            None => "/catalogue".into(),
        }
    }
    fn url(&self, f: &CleanFilters, extra: &[(&str, String)]) -> String {
        let mut f = f.clone();
        if self.body.is_some() {
            // The body is in the path.
            f.body = None;
        }
        let q = f.query(extra);
        if q.is_empty() {
            self.base()
        } else {
            format!("{}?{q}", self.base())
        }
    }
    pub fn first_url(&self) -> String {
        self.url(&self.f, &[])
    }
    pub fn last_url(&self) -> String {
        self.url(&self.f, &[("last", "1".into())])
    }
    pub fn next_url(&self) -> String {
        let k = self.items.last().map(row_key).unwrap_or_default();
        self.url(&self.f, &[("after", k)])
    }
    pub fn prev_url(&self) -> String {
        let k = self.items.first().map(row_key).unwrap_or_default();
        self.url(&self.f, &[("before", k)])
    }
    pub fn category_url(&self, id: &i64) -> String {
        let mut f = self.f.clone();
        f.category = Some(*id);
        self.url(&f, &[])
    }
    pub fn all_url(&self) -> String {
        let mut f = self.f.clone();
        f.category = None;
        self.url(&f, &[])
    }
    pub fn sort_url(&self, oldest_first: bool) -> String {
        let mut f = self.f.clone();
        f.oldest_first = oldest_first;
        self.url(&f, &[])
    }
    pub fn feed_url(&self) -> String {
        match (&self.body, &self.current) {
            (_, Some(c)) => format!("/feeds/categories/{}.atom", c.id),
            (Some(b), None) => format!("/feeds/bodies/{}.atom", b.id),
            (None, None) => "/feeds/items.atom".into(),
        }
    }
    pub fn is_current(&self, id: &i64) -> bool {
        self.current.as_ref().is_some_and(|c| c.id == *id)
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
    pub fn sel_subject(&self, s: &str) -> bool {
        self.f.subject == Some(s)
    }
    pub fn filtered(&self) -> bool {
        self.f.year.is_some() || self.f.validity.is_some() || self.f.subject.is_some()
    }
}

fn row_key(r: &PublicListRow) -> String {
    format!("{}_{}", r.published_at.unwrap_or(0), r.id)
}

async fn browse(
    state: AppState,
    a: Option<crate::auth::Authed>,
    body: Option<Body>,
    p: BrowseParams,
) -> Result<CataloguePage, AppError> {
    let mut f = p.filters.clean();
    f.by_date = false;
    if let Some(b) = &body {
        f.body = Some(b.id);
    }
    let categories = match &body {
        Some(b) => state.store.list_categories(b.id).await?,
        None => vec![],
    };
    let current = match f.category {
        Some(c) => Some(
            state
                .store
                .get_category(c)
                .await
                .ok()
                .filter(|cat| body.as_ref().is_none_or(|b| cat.body_id == b.id))
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    let filter = store_filter(&state, &f).await?;
    let cursor = p.cursor();
    let (items, more) = state
        .store
        .browse_public(
            &filter,
            Order {
                oldest_first: f.oldest_first,
            },
            cursor,
            PER_PAGE,
        )
        .await?;
    let (has_prev, has_next) = match cursor {
        Cursor::First => (false, more),
        Cursor::After(..) => (true, more),
        Cursor::Before(..) => (more, true),
        Cursor::Last => (more, false),
    };
    let total = state.counts.count(&state, &filter).await?;
    let title = match (&body, &current) {
        (Some(b), Some(c)) => format!("{} · {}", b.name, c.name),
        (Some(b), None) => format!("{} · 法定主动公开内容", b.name),
        (None, _) => "信息公开目录".to_string(),
    };
    // The feed of what the page lists: the category's, the body's, or the whole site's.
    let feed = match (&body, &current) {
        (_, Some(c)) => (
            format!("{title}（订阅）"),
            format!("/feeds/categories/{}.atom", c.id),
        ),
        (Some(b), None) => (
            format!("{}（订阅）", b.name),
            format!("/feeds/bodies/{}.atom", b.id),
        ),
        (None, None) => ("最新公开信息".to_string(), "/feeds/items.atom".to_string()),
    };
    let mut chrome = Chrome::public(&state, &title, a.as_ref());
    chrome.feed = Some(feed);
    Ok(CataloguePage {
        chrome,
        bodies: if body.is_none() {
            state.store.list_bodies().await?
        } else {
            vec![]
        },
        body,
        categories,
        current,
        f,
        years: years(),
        validities: Validity::ALL.to_vec(),
        subjects: SUBJECTS,
        items,
        total,
        has_prev: has_prev && total > 0,
        has_next: has_next && total > 0,
    })
}

pub async fn view_site_catalogue(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Query(p): Query<BrowseParams>,
) -> Result<CataloguePage, AppError> {
    browse(state, a, None, p).await
}

pub async fn view_body_catalogue(
    State(state): State<AppState>,
    MaybeAuthed(a): MaybeAuthed,
    Path(id): Path<String>,
    Query(p): Query<BrowseParams>,
) -> Result<CataloguePage, AppError> {
    let id = id.parse::<i64>().map_err(|_| AppError::NotFound)?;
    let body = state.store.get_body(id).await?;
    browse(state, a, Some(body), p).await
}
