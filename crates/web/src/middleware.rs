//! Cross-cutting layers: request ids and tracing, compression, body limits, security headers,
//! the session loader with CSRF protection, and Chinese error pages for bare error responses.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::auth::{self, Authed};
use crate::error::{ErrorMessage, api_error_response};
use crate::views::PageContext;
use crate::{AppState, WebConfig};

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Content Security Policy: no inline script, nothing from other origins, no framing.
pub const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Layers shared by every route (the last added runs first).
pub fn apply_common(router: axum::Router<AppState>, config: &WebConfig) -> axum::Router<AppState> {
    let hsts = if config.tls() {
        Some(HeaderValue::from_static(
            "max-age=31536000; includeSubDomains",
        ))
    } else {
        None
    };
    router
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &Response| hsts.clone(),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(tower_http::compression::CompressionLayer::new())
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(
            TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
                let id = req
                    .headers()
                    .get(REQUEST_ID)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("-");
                tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), request_id = %id)
            }),
        )
        .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
}

/// The client's address: the peer, or the first untrusted hop of `X-Forwarded-For` when the
/// peer is a configured proxy.
pub fn client_ip(config: &WebConfig, peer: Option<SocketAddr>, headers: &HeaderMap) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    let mut ip = peer.ip();
    if config.trusted_proxies.iter().any(|n| n.contains(&ip))
        && let Some(xff) = headers.get("x-forwarded-for").and_then(|v| v.to_str().ok())
    {
        for hop in xff.rsplit(',') {
            match hop.trim().parse::<IpAddr>() {
                Ok(h) if config.trusted_proxies.iter().any(|n| n.contains(&h)) => ip = h,
                Ok(h) => {
                    ip = h;
                    break;
                }
                Err(_) => break,
            }
        }
    }
    ip.to_string()
}

/// The request's client address, for handlers.
#[derive(Debug, Clone)]
pub struct ClientIp(pub String);

fn is_unsafe(m: &Method) -> bool {
    !matches!(
        *m,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Reject requests that come from another site: `Sec-Fetch-Site` when the browser sends it,
/// otherwise `Origin` compared with `Host`.
fn cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let host = headers
            .get(header::HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let origin_host = origin
            .split_once("://")
            .map(|(_, rest)| rest)
            .unwrap_or(origin);
        return origin == "null" || origin_host != host;
    }
    false
}

/// Load the session (if any) into the request, apply expiry, and protect every unsafe request
/// against cross-site forgery: the origin check above, and a token that must match the
/// session's (or, before sign-in, the `gk_csrf` cookie), sent as the form field `_csrf` or the
/// `X-CSRF-Token` header. The JSON API is exempt: it never reads cookies.
pub async fn session_and_csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let (mut resp, authed) = load_and_check(&state, req, next).await;
    // The error-page layer runs outside this one and cannot see the request's session: tell it
    // the site's name and who is signed in.
    resp.extensions_mut()
        .insert(PageContext::new(&state, authed.as_ref()));
    resp
}

/// The `done` flag of a query string (`saved=1` is the older spelling of `done=saved`).
fn done_flag(query: Option<&str>) -> Option<String> {
    let q = query?;
    let mut flag = None;
    for (k, v) in form_urlencoded::parse(q.as_bytes()) {
        match k.as_ref() {
            "done" => flag = Some(v.into_owned()),
            "saved" if flag.is_none() => flag = Some("saved".to_string()),
            _ => {}
        }
    }
    flag
}

async fn load_and_check(state: &AppState, req: Request, next: Next) -> (Response, Option<Authed>) {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let ip = client_ip(&state.config, peer, req.headers());
    let (mut parts, body) = req.into_parts();
    parts.extensions.insert(ClientIp(ip.clone()));
    let mut authed = match auth::load_session(state, &parts.headers, &ip).await {
        Ok(a) => a,
        Err(e) => return (e.into_response(), None),
    };
    if let Some(a) = authed.as_mut() {
        a.done = done_flag(parts.uri.query());
    }
    let is_api = parts.uri.path().starts_with("/api/");
    let mut body = body;
    if is_unsafe(&parts.method) && !is_api {
        if cross_site(&parts.headers) {
            return (csrf_failure(), authed);
        }
        let expected = match &authed {
            Some(a) => Some(a.session.csrf_token.clone()),
            None => auth::cookie(&parts.headers, auth::CSRF_COOKIE),
        };
        let mut supplied = parts
            .headers
            .get("x-csrf-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        // File uploads (multipart) carry the token in the query string of the form's action.
        let is_multipart = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("multipart/form-data"));
        if supplied.is_none() && is_multipart {
            supplied = parts.uri.query().and_then(|q| {
                form_urlencoded::parse(q.as_bytes())
                    .find(|(k, _)| k == "_csrf")
                    .map(|(_, v)| v.into_owned())
            });
        }
        let is_form = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|ct| ct.starts_with("application/x-www-form-urlencoded"));
        if supplied.is_none() && is_form {
            // Refuse from the declared length, before reading anything.
            let declared = parts
                .headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok());
            if declared.is_some_and(|n| n > state.config.max_body_bytes) {
                return (
                    (StatusCode::PAYLOAD_TOO_LARGE, "请求内容过大").into_response(),
                    authed,
                );
            }
            let bytes = match axum::body::to_bytes(body, state.config.max_body_bytes).await {
                Ok(b) => b,
                Err(_) => {
                    return (
                        (StatusCode::PAYLOAD_TOO_LARGE, "请求内容过大").into_response(),
                        authed,
                    );
                }
            };
            supplied = form_urlencoded::parse(&bytes)
                .find(|(k, _)| k == "_csrf")
                .map(|(_, v)| v.into_owned());
            body = Body::from(bytes);
        }
        let ok = matches!((&expected, &supplied), (Some(e), Some(s)) if !e.is_empty() && auth::constant_eq(e, s));
        if !ok {
            return (csrf_failure(), authed);
        }
    }
    if let Some(a) = &authed {
        parts.extensions.insert(a.clone());
    }
    // Public reads of the API may be cached and revalidated (ETag); everything else is private.
    let public_read = parts.method == Method::GET
        && !parts.uri.path().starts_with("/api/v1/admin")
        && !parts.headers.contains_key(header::AUTHORIZATION)
        && !parts.headers.contains_key("x-application-secret")
        && !parts.headers.contains_key("x-letter-secret");
    let req = Request::from_parts(parts, body);
    let mut resp = next.run(req).await;
    metrics::counter!("gongkai_http_responses_total", "class" => status_class(resp.status()))
        .increment(1);
    if is_api {
        resp.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static(if public_read { "no-cache" } else { "no-store" }),
        );
    }
    (resp, authed)
}

fn status_class(s: StatusCode) -> &'static str {
    match s.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn csrf_failure() -> Response {
    let mut r = (
        StatusCode::FORBIDDEN,
        "页面已过期或请求来源不可信，请返回上一页刷新后重试",
    )
        .into_response();
    r.extensions_mut().insert(ErrorMessage(
        "页面已过期或请求来源不可信，请返回上一页刷新后重试".into(),
    ));
    r
}

/// Turn bare error responses (no HTML or JSON body) into a Chinese error page, or a JSON error
/// under `/api/`, so that every error a user sees is explained.
pub async fn error_pages(req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let resp = next.run(req).await;
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return resp;
    }
    let ct = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("text/html") || ct.starts_with("application/json") {
        return resp;
    }
    let message = resp
        .extensions()
        .get::<ErrorMessage>()
        .map(|m| m.0.clone())
        .unwrap_or_else(|| default_message(status).to_string());
    if is_api {
        let code = match status {
            StatusCode::NOT_FOUND => "not_found",
            StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
            StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
            StatusCode::UNPROCESSABLE_ENTITY | StatusCode::BAD_REQUEST => "bad_request",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::TOO_MANY_REQUESTS => "rate_limited",
            _ if status.is_server_error() => "internal",
            _ => "error",
        };
        return api_error_response(status, code, &message);
    }
    let ctx = resp.extensions().get::<PageContext>().cloned();
    crate::views::error_page_in(status, &message, ctx.as_ref())
}

fn default_message(s: StatusCode) -> &'static str {
    match s {
        StatusCode::NOT_FOUND => "您访问的页面不存在",
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容过大",
        StatusCode::METHOD_NOT_ALLOWED => "不支持此请求方式",
        StatusCode::FORBIDDEN => "您没有权限访问此页面",
        StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY => "提交的内容格式不正确",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "提交的内容类型不受支持",
        _ if s.is_server_error() => "服务器内部错误，请稍后再试",
        _ => "请求无法完成",
    }
}

/// Signed-in account attached by [`session_and_csrf`], if any.
pub fn authed(req_ext: &axum::http::Extensions) -> Option<&Authed> {
    req_ext.get::<Authed>()
}

/// Conditional GET: a weak `ETag` (a hash of the body) on successful pages, feeds and JSON, and
/// `304 Not Modified` when the client already has it (`If-None-Match`, or `If-Modified-Since`
/// against a `Last-Modified` the handler set). Bodies are hashed before compression.
pub async fn conditional_get(req: Request, next: Next) -> Response {
    if req.method() != Method::GET && req.method() != Method::HEAD {
        return next.run(req).await;
    }
    let if_none_match = req.headers().get(header::IF_NONE_MATCH).cloned();
    let if_modified_since = req
        .headers()
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok());
    let res = next.run(req).await;
    let cacheable = res.status() == StatusCode::OK
        && res
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|t| {
                t.starts_with("text/html")
                    || t.starts_with("application/json")
                    || t.starts_with("application/atom+xml")
                    || t.starts_with("application/xml")
                    || t.starts_with("text/plain")
                    || t.starts_with("text/css")
            });
    if !cacheable {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 16 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    // A cached page carries the ETag it was stored with.
    let etag = parts
        .headers
        .get(header::ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .unwrap_or_else(|| weak_etag(&bytes));
    let matches_etag = if_none_match
        .as_ref()
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t == etag || t.trim_start_matches("W/") == &etag[2..])
        });
    let not_modified_since = if_none_match.is_none()
        && if_modified_since.is_some_and(|since| {
            parts
                .headers
                .get(header::LAST_MODIFIED)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| chrono::DateTime::parse_from_rfc2822(v).ok())
                .is_some_and(|lm| lm <= since)
        });
    if let Ok(v) = HeaderValue::from_str(&etag) {
        parts.headers.insert(header::ETAG, v);
    }
    if matches_etag || not_modified_since {
        parts.status = StatusCode::NOT_MODIFIED;
        parts.headers.remove(header::CONTENT_LENGTH);
        parts.headers.remove(header::CONTENT_TYPE);
        return Response::from_parts(parts, Body::empty());
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Name of the cookie that keeps 大字版 on.
pub const TEXT_COOKIE: &str = "gk_text";

/// Make the display preferences (大字版) and the current address available to page rendering.
pub async fn display_prefs(req: Request, next: Next) -> Response {
    let large_text = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .any(|c| c.trim() == "gk_text=large");
    let here = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "/".into());
    crate::views::PREFS
        .scope(crate::views::Prefs { large_text, here }, next.run(req))
        .await
}

/// A rendered public page, kept while the change log's head and the search index's generation
/// are those it was rendered at.
#[derive(Clone)]
pub struct CachedPage {
    head: i64,
    generation: u64,
    parts: axum::http::response::Parts,
    body: axum::body::Bytes,
}

/// The cache of anonymous public pages (see [`page_cache`]), in two parts bounded by total
/// size: single items' pages (a crawler walking a million of them must not push out the rest)
/// and every other page (home, catalogues, feeds, search), which are fewer and dearer to draw.
///
/// Concurrent misses of one page draw it once: the first draws, the others wait for it and
/// take what it kept (a crawler's burst, or the first seconds after any change, would
/// otherwise draw a dear page once per waiting connection).
#[derive(Clone)]
pub struct PageCache {
    items: moka::sync::Cache<String, Arc<CachedPage>>,
    lists: moka::sync::Cache<String, Arc<CachedPage>>,
    drawing: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
}

/// The right to draw one page, held while drawing it; the key leaves the map of pages being
/// drawn when the last holder or waiter is done (also when a request is dropped midway).
struct DrawTurn {
    drawing: Arc<std::sync::Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>>,
    key: String,
    guard: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl Drop for DrawTurn {
    fn drop(&mut self) {
        let Some(guard) = self.guard.take() else {
            return;
        };
        let lock = Arc::clone(tokio::sync::OwnedMutexGuard::mutex(&guard));
        drop(guard);
        let mut map = self.drawing.lock().unwrap_or_else(|e| e.into_inner());
        // Held by the map and by `lock` only: nobody else waits for this page.
        if Arc::strong_count(&lock) == 2 {
            map.remove(&self.key);
        }
    }
}

impl PageCache {
    /// The part that keeps the page at `path`.
    fn part(&self, path: &str) -> &moka::sync::Cache<String, Arc<CachedPage>> {
        let single = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
        if path.strip_prefix("/items/").is_some_and(single)
            || path.strip_prefix("/api/v1/items/").is_some_and(single)
        {
            &self.items
        } else {
            &self.lists
        }
    }

    /// Wait for the turn to draw the page at `key` (at once when nobody else is drawing it).
    async fn turn(&self, key: &str) -> DrawTurn {
        let lock = {
            let mut map = self.drawing.lock().unwrap_or_else(|e| e.into_inner());
            Arc::clone(map.entry(key.to_string()).or_default())
        };
        let mut turn = DrawTurn {
            drawing: Arc::clone(&self.drawing),
            key: key.to_string(),
            guard: None,
        };
        turn.guard = Some(lock.lock_owned().await);
        turn
    }
}

/// A page cache of `max_bytes`: two thirds for item pages, one third for the others.
pub fn new_page_cache(max_bytes: u64) -> PageCache {
    let part = |bytes: u64| {
        moka::sync::Cache::builder()
            .max_capacity(bytes)
            .weigher(|k: &String, v: &Arc<CachedPage>| {
                u32::try_from(k.len() + v.body.len() + 512).unwrap_or(u32::MAX)
            })
            .build()
    };
    PageCache {
        items: part(max_bytes / 3 * 2),
        lists: part(max_bytes / 3),
        drawing: Arc::default(),
    }
}

/// Paths whose anonymous page depends only on data that writes record in the change log and on
/// the search index (whose results follow the log a moment later, at a new generation).
fn cacheable_path(path: &str) -> bool {
    if let Some(rest) = path.strip_prefix("/items/") {
        return rest.bytes().all(|b| b.is_ascii_digit());
    }
    if let Some(rest) = path.strip_prefix("/bodies/") {
        return rest
            .strip_suffix("/catalogue")
            .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()));
    }
    matches!(
        path,
        "/" | "/catalogue" | "/search" | "/api/v1/items" | "/api/v1/categories" | "/api/v1/search"
    ) || path.starts_with("/feeds/")
        || path
            .strip_prefix("/api/v1/items/")
            .is_some_and(|id| id.bytes().all(|b| b.is_ascii_digit()))
}

/// The weak ETag of a body.
pub fn weak_etag(bytes: &[u8]) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(bytes);
    format!("W/\"{}\"", hex::encode(&digest[..12]))
}

/// Serve anonymous public pages from memory while nothing has changed: the key is the address
/// and the 大字版 flag, the entry is valid for the change-log head and the search index
/// generation it was rendered at (every instance of a scaled-out site reads the same head, so
/// none serves a page older than the data; search results change when the index commits).
/// Signed-in visitors, pages that set cookies and non-200 answers are never cached.
pub async fn page_cache(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let cookies: Vec<&str> = req
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    let signed_in = cookies
        .iter()
        .flat_map(|c| c.split(';'))
        .any(|c| c.trim().starts_with(crate::auth::SESSION_COOKIE));
    if req.method() != Method::GET
        || signed_in
        || !cacheable_path(path)
        || req.headers().contains_key(header::AUTHORIZATION)
    {
        return next.run(req).await;
    }
    let large = cookies
        .iter()
        .flat_map(|c| c.split(';'))
        .any(|c| c.trim() == "gk_text=large");
    let key = format!(
        "{}{}",
        if large { "L" } else { "N" },
        req.uri().path_and_query().map_or("", |p| p.as_str())
    );
    let Ok(head) = state.head.head(&state.store).await else {
        return next.run(req).await;
    };
    let generation = state.search.generation();
    let cache = state.page_cache.part(path);
    // A page drawn at this head and generation or later (one a waiter's drawer kept).
    let fresh = |cache: &moka::sync::Cache<String, Arc<CachedPage>>| {
        cache
            .get(&key)
            .filter(|hit| hit.head >= head && hit.generation >= generation)
    };
    let serve = |hit: Arc<CachedPage>| {
        Response::from_parts(hit.parts.clone(), Body::from(hit.body.clone()))
    };
    if let Some(hit) = fresh(cache) {
        metrics::counter!("gongkai_page_cache_total", "result" => "hit").increment(1);
        return serve(hit);
    }
    let _turn = state.page_cache.turn(&key).await;
    if let Some(hit) = fresh(cache) {
        metrics::counter!("gongkai_page_cache_total", "result" => "waited").increment(1);
        return serve(hit);
    }
    metrics::counter!("gongkai_page_cache_total", "result" => "miss").increment(1);
    let res = next.run(req).await;
    if res.status() != StatusCode::OK || res.headers().contains_key(header::SET_COOKIE) {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, 8 * 1024 * 1024).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    if !parts.headers.contains_key(header::ETAG)
        && let Ok(v) = HeaderValue::from_str(&weak_etag(&bytes))
    {
        parts.headers.insert(header::ETAG, v);
    }
    cache.insert(
        key,
        Arc::new(CachedPage {
            head,
            generation,
            parts: parts.clone(),
            body: bytes.clone(),
        }),
    );
    Response::from_parts(parts, Body::from(bytes))
}

/// The change log's head as this process knows it: re-read from the database when this process
/// has committed a write since the last read, or when the last read is older than
/// `HEAD_MAX_AGE_MS` (writes by other processes of a scaled-out site). So a page cached here is
/// never older than a write made here, and at most a quarter of a second older than one made
/// elsewhere.
#[derive(Default)]
pub struct HeadClock {
    value: std::sync::atomic::AtomicI64,
    writes_seen: std::sync::atomic::AtomicU64,
    read_at_ms: std::sync::atomic::AtomicI64,
}

const HEAD_MAX_AGE_MS: i64 = 250;

impl HeadClock {
    pub async fn head(
        &self,
        store: &gongkai_store::Store,
    ) -> Result<i64, gongkai_store::StoreError> {
        use std::sync::atomic::Ordering::SeqCst;
        let now = chrono::Utc::now().timestamp_millis();
        let writes = store.writes.load(SeqCst);
        let read_at = self.read_at_ms.load(SeqCst);
        if read_at > 0 && writes == self.writes_seen.load(SeqCst) && now - read_at < HEAD_MAX_AGE_MS
        {
            return Ok(self.value.load(SeqCst));
        }
        let head = store.change_log_head().await?;
        self.value.store(head, SeqCst);
        self.writes_seen.store(writes, SeqCst);
        self.read_at_ms.store(now, SeqCst);
        Ok(head)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    /// Misses of one page wait for the one drawing it; misses of another page do not; the map
    /// of pages being drawn is empty once every holder and waiter is done, even when one of
    /// them was dropped while waiting.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_page_is_drawn_once_at_a_time() {
        let cache = new_page_cache(1 << 20);
        let drawing = Arc::new(AtomicUsize::new(0));
        let most = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (cache, drawing, most) = (cache.clone(), drawing.clone(), most.clone());
            tasks.push(tokio::spawn(async move {
                let _turn = cache.turn("N/search?q=a").await;
                let now = drawing.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                drawing.fetch_sub(1, Ordering::SeqCst);
            }));
        }
        // Another page is drawn meanwhile, not after them.
        let other = tokio::time::timeout(Duration::from_millis(20), cache.turn("N/search?q=b"))
            .await
            .expect("another page does not wait");
        drop(other);
        // A waiter that gives up leaves nothing behind.
        let held = cache.turn("N/x").await;
        let gave_up = tokio::time::timeout(Duration::from_millis(5), cache.turn("N/x")).await;
        assert!(gave_up.is_err(), "a second drawer of one page waits");
        drop(held);
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            most.load(Ordering::SeqCst),
            1,
            "one drawer of a page at a time"
        );
        assert!(cache.drawing.lock().unwrap().is_empty());
    }
}
