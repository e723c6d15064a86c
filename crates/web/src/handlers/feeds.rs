//! Atom feeds (the whole site, a body, a category, a search), `sitemap.xml` and `robots.txt`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gongkai_store::browse::{BrowseFilter, Cursor, Order};
use gongkai_store::disclosure::PublicListRow;

use crate::AppState;
use crate::error::AppError;
use crate::handlers::browse::store_filter;
use crate::handlers::public_items::site_base;
use crate::handlers::search::{CleanFilters, SearchParams, run};

/// Entries per feed.
const FEED_LEN: i64 = 50;
/// Items per sitemap file (the protocol allows 50,000).
pub const SITEMAP_CHUNK: i64 = 40_000;

pub struct Entry {
    /// The entry's page, e.g. `/items/5` or `/letters/3`.
    pub path: String,
    pub title: String,
    pub body_name: String,
    pub doc_no: String,
    pub index_no: String,
    pub updated: String,
    pub withdrawn: bool,
}

#[derive(Template)]
#[template(path = "public/feed.xml", escape = "html")]
pub struct Feed {
    pub base: String,
    pub self_path: String,
    pub alternate: String,
    pub title: String,
    pub updated: String,
    pub entries: Vec<Entry>,
}

pub(crate) fn rfc3339(ms: Option<i64>) -> String {
    chrono::DateTime::from_timestamp_millis(ms.unwrap_or(0))
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn entry(r: PublicListRow) -> Entry {
    Entry {
        path: format!("/items/{}", r.id),
        updated: rfc3339(r.published_at),
        withdrawn: r.status == "withdrawn",
        title: r.title,
        body_name: r.body_name,
        doc_no: r.doc_no,
        index_no: r.index_no.unwrap_or_default(),
    }
}

fn xml(body: String, content_type: &'static str) -> Response {
    (
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        body,
    )
        .into_response()
}

pub(crate) fn render(feed: Feed) -> Result<Response, AppError> {
    let body = feed
        .render()
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(xml(body, "application/atom+xml; charset=utf-8"))
}

async fn list_feed(
    state: &AppState,
    headers: &HeaderMap,
    filter: BrowseFilter,
    title: String,
    self_path: String,
    alternate: String,
) -> Result<Response, AppError> {
    let (rows, _) = state
        .store
        .browse_public(&filter, Order::default(), Cursor::First, FEED_LEN)
        .await?;
    let updated = rfc3339(rows.first().and_then(|r| r.published_at));
    render(Feed {
        base: site_base(state, headers),
        self_path,
        alternate,
        title,
        updated,
        entries: rows.into_iter().map(entry).collect(),
    })
}

pub async fn site_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let title = format!("{} · 最新公开信息", state.config.site_name);
    list_feed(
        &state,
        &headers,
        BrowseFilter::default(),
        title,
        "/feeds/items.atom".into(),
        "/catalogue".into(),
    )
    .await
}

fn id_of(s: &str) -> Result<i64, AppError> {
    s.trim_end_matches(".atom")
        .parse::<i64>()
        .ok()
        .filter(|v| *v > 0)
        .ok_or(AppError::NotFound)
}

pub async fn body_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let body = state.store.get_body(id_of(&id)?).await?;
    list_feed(
        &state,
        &headers,
        BrowseFilter {
            body_id: Some(body.id),
            ..Default::default()
        },
        format!("{} · 最新公开信息", body.name),
        format!("/feeds/bodies/{}.atom", body.id),
        format!("/bodies/{}/catalogue", body.id),
    )
    .await
}

pub async fn category_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, AppError> {
    let cat = state.store.get_category(id_of(&id)?).await?;
    let body = state.store.get_body(cat.body_id).await?;
    let filter = store_filter(
        &state,
        &CleanFilters {
            category: Some(cat.id),
            ..Default::default()
        },
    )
    .await?;
    list_feed(
        &state,
        &headers,
        filter,
        format!("{} · {}", body.name, cat.name),
        format!("/feeds/categories/{}.atom", cat.id),
        format!("/bodies/{}/catalogue?category={}", body.id, cat.id),
    )
    .await
}

/// The newest results of a search, as a feed (an invalid query gives an empty feed titled
/// with the reason).
pub async fn search_feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(p): Query<SearchParams>,
) -> Result<Response, AppError> {
    let q = p.q.clone().unwrap_or_default();
    let mut f = p.filters.clean();
    f.by_date = true;
    let query = f.query(&[("q", q.clone())]);
    let (title, entries) = match gongkai_search::parse_query(&q) {
        Err(e) => (format!("搜索订阅：{e}"), vec![]),
        Ok(clauses) => {
            let o = run(&state, clauses, &f, 0, FEED_LEN as usize).await?;
            let bodies = o
                .hits
                .into_iter()
                .map(|h| Entry {
                    path: h.href,
                    title: h.title,
                    body_name: h.body_name,
                    doc_no: h.doc_no,
                    index_no: h.index_no,
                    updated: h
                        .published_on
                        .map(|d| format!("{d}T00:00:00+08:00"))
                        .unwrap_or_else(|| rfc3339(None)),
                    withdrawn: false,
                })
                .collect();
            (format!("搜索订阅：{}", q.trim()), bodies)
        }
    };
    render(Feed {
        base: site_base(&state, &headers),
        self_path: format!("/search/feed.atom?{query}"),
        alternate: format!("/search?{query}"),
        updated: entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| rfc3339(None)),
        title,
        entries,
    })
}

pub async fn robots(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let base = site_base(&state, &headers);
    let body = format!(
        "User-agent: *\nDisallow: /admin\nDisallow: /account\nDisallow: /login\nDisallow: /track\nDisallow: /api/v1/admin\nAllow: /\n\nSitemap: {base}/sitemap.xml\n"
    );
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

/// The sitemap index: the site's fixed pages and one file per 40,000 items.
pub async fn sitemap_index(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let base = site_base(&state, &headers);
    let n = state.store.count_public(&BrowseFilter::default()).await?;
    let files = (n + SITEMAP_CHUNK - 1) / SITEMAP_CHUNK;
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    s.push_str(&format!(
        "<sitemap><loc>{base}/sitemap-pages.xml</loc></sitemap>\n"
    ));
    for k in 1..=files {
        s.push_str(&format!(
            "<sitemap><loc>{base}/sitemap-items-{k}.xml</loc></sitemap>\n"
        ));
    }
    let (_, credit) = state
        .store
        .sitemap_credit(crate::handlers::admin::today(), 0, 0)
        .await?;
    for k in 1..=(credit + SITEMAP_CHUNK - 1) / SITEMAP_CHUNK {
        s.push_str(&format!(
            "<sitemap><loc>{base}/sitemap-credit-{k}.xml</loc></sitemap>\n"
        ));
    }
    s.push_str("</sitemapindex>\n");
    Ok(xml(s, "application/xml; charset=utf-8"))
}

fn url_entry(s: &mut String, base: &str, path: &str, lastmod: Option<&str>) {
    s.push_str("<url><loc>");
    s.push_str(base);
    s.push_str(path);
    s.push_str("</loc>");
    if let Some(d) = lastmod {
        s.push_str("<lastmod>");
        s.push_str(d);
        s.push_str("</lastmod>");
    }
    s.push_str("</url>\n");
}

/// `sitemap-pages.xml` (fixed pages and every body's pages) or `sitemap-items-N.xml`.
pub async fn sitemap_file(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(name): Path<String>,
) -> Result<Response, AppError> {
    let base = site_base(&state, &headers);
    let mut s = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    if name == "sitemap-pages.xml" {
        for p in [
            "/",
            "/catalogue",
            "/bodies",
            "/search",
            "/apply",
            "/letters",
            "/credit?kind=license",
            "/credit?kind=penalty",
            "/services",
            "/services?status=cancelled",
            "/services/reform",
            "/fees",
            "/notices",
            "/consultations",
            "/commitments",
            "/appraisals",
        ] {
            url_entry(&mut s, &base, p, None);
        }
        for n in state.store.list_notices(2000).await? {
            url_entry(&mut s, &base, &format!("/items/{}/notice", n.item_id), None);
        }
        for k in state.store.list_consultations(2000).await? {
            url_entry(
                &mut s,
                &base,
                &format!("/items/{}/consultation", k.item_id),
                None,
            );
        }
        for w in state
            .store
            .public_commitments(crate::handlers::admin::today())
            .await?
        {
            url_entry(&mut s, &base, &format!("/commitments/{}", w.id), None);
        }
        for status in ["in_force", "cancelled"] {
            for i in state
                .store
                .list_services(&gongkai_store::services::ServiceFilter {
                    status: status.into(),
                    limit: 2000,
                    ..Default::default()
                })
                .await?
            {
                url_entry(&mut s, &base, &format!("/services/{}", i.id), None);
            }
        }
        for a in state.store.public_surveys().await? {
            url_entry(&mut s, &base, &format!("/appraisals/{}", a.id), None);
        }
        for m in state.store.list_mailboxes(true).await? {
            url_entry(&mut s, &base, &format!("/mailboxes/{}/write", m.id), None);
        }
        for l in state.store.published_letters(None, 500).await? {
            let day = l.replied_on.clone();
            url_entry(&mut s, &base, &format!("/letters/{}", l.id), day.as_deref());
        }
        // Every category page has a feed of its own.
        for b in state.store.list_bodies().await? {
            for c in state.store.list_categories(b.id).await? {
                url_entry(
                    &mut s,
                    &base,
                    &format!("/bodies/{}/catalogue?category={}", b.id, c.id),
                    None,
                );
            }
        }
        let dashboards = state.store.bodies_with_dashboards().await?;
        for b in state.store.list_bodies().await? {
            for p in [
                "",
                "/xxgk",
                "/guide",
                "/rules",
                "/catalogue",
                "/reports",
                "/leaders",
            ] {
                url_entry(&mut s, &base, &format!("/bodies/{}{p}", b.id), None);
            }
            if dashboards.contains(&b.id) {
                url_entry(&mut s, &base, &format!("/bodies/{}/dashboard", b.id), None);
            }
            // Each published annual report with its tables.
            for y in state.store.annual_report_years(b.id).await? {
                url_entry(
                    &mut s,
                    &base,
                    &format!("/bodies/{}/reports/{y}", b.id),
                    None,
                );
            }
        }
    } else if let Some(k) = name
        .strip_prefix("sitemap-credit-")
        .and_then(|r| r.strip_suffix(".xml"))
        .and_then(|n| n.parse::<i64>().ok())
        .filter(|k| *k >= 1)
    {
        let (rows, _) = state
            .store
            .sitemap_credit(
                crate::handlers::admin::today(),
                (k - 1) * SITEMAP_CHUNK,
                SITEMAP_CHUNK,
            )
            .await?;
        if rows.is_empty() && k > 1 {
            return Err(AppError::NotFound);
        }
        for (id, day) in rows {
            url_entry(&mut s, &base, &format!("/credit/{id}"), Some(&day));
        }
    } else {
        let k: i64 = name
            .strip_prefix("sitemap-items-")
            .and_then(|r| r.strip_suffix(".xml"))
            .and_then(|n| n.parse().ok())
            .filter(|k| *k >= 1)
            .ok_or(AppError::NotFound)?;
        let rows = state
            .store
            .sitemap_items((k - 1) * SITEMAP_CHUNK, SITEMAP_CHUNK)
            .await?;
        if rows.is_empty() && k > 1 {
            return Err(AppError::NotFound);
        }
        for (id, day) in rows {
            url_entry(&mut s, &base, &format!("/items/{id}"), day.as_deref());
        }
    }
    s.push_str("</urlset>\n");
    Ok(xml(s, "application/xml; charset=utf-8"))
}
