//! Test support: a real server on a free port over a fresh database (a SQLite file in a temp
//! folder, or a fresh PostgreSQL schema when `GONGKAI_TEST_POSTGRES` is set), staff builders, and
//! a browser-like client that signs in through the real forms.

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use gongkai_domain::body::BodyInput;
use gongkai_domain::codes::organization_code_check_char;
use gongkai_store::users::NewUser;
use gongkai_store::{Store, StoreOptions};
use gongkai_web::{AppState, WebConfig};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

pub fn pg_url() -> Option<String> {
    std::env::var("GONGKAI_TEST_POSTGRES")
        .ok()
        .filter(|s| !s.is_empty())
}

/// Run an async test body against SQLite, and against PostgreSQL when configured.
#[macro_export]
macro_rules! both_backends {
    ($($f:ident),* $(,)?) => {
        $(
            mod $f {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$f($crate::support::Db::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::support::pg_url().is_none() {
                        eprintln!("GONGKAI_TEST_POSTGRES not set: PostgreSQL case skipped");
                        return;
                    }
                    super::$f($crate::support::Db::Postgres).await
                }
            }
        )*
    };
}

/// The PDF renderer, shared by every server of the test process (indexing the fonts takes a
/// moment). The tests need a Chinese font (`apt-get install fonts-noto-cjk`; `scripts/test`
/// installs it).
pub fn renderer() -> Option<Arc<gongkai_reports::Renderer>> {
    static R: OnceLock<Option<Arc<gongkai_reports::Renderer>>> = OnceLock::new();
    R.get_or_init(
        || match gongkai_reports::Renderer::new(gongkai_reports::DEFAULT_FONT_DIR) {
            Ok(r) => Some(Arc::new(r)),
            Err(e) => {
                eprintln!("{e}");
                None
            }
        },
    )
    .clone()
}

pub const PASSWORD: &str = "Tq7!mzP2#wLx";
pub const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP";

/// A fresh, migrated store.
pub async fn fresh_store(db: Db) -> (Store, Option<tempfile::TempDir>) {
    match db {
        Db::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = dir.path().join("gongkai.db").to_string_lossy().to_string();
            let store = Store::connect(&url, &StoreOptions::default())
                .await
                .unwrap();
            store.migrate().await.unwrap();
            (store, Some(dir))
        }
        Db::Postgres => {
            let url = pg_url().unwrap();
            let token = gongkai_web::auth::random_token()
                .to_lowercase()
                .replace(['-', '_'], "");
            let schema = format!("t_{}", &token[..16]);
            let store = Store::connect(
                &url,
                &StoreOptions {
                    max_connections: 8,
                    pg_schema: Some(schema),
                    create: true,
                },
            )
            .await
            .unwrap();
            store.migrate().await.unwrap();
            (store, None)
        }
    }
}

/// A valid 9-character organisation code from 8 body characters.
pub fn code(body8: &str) -> String {
    format!("{body8}{}", organization_code_check_char(body8).unwrap())
}

/// The test county: a root with departments A (with child A1) and B.
#[derive(Debug, Clone, Copy)]
pub struct Tree {
    pub root: i64,
    pub a: i64,
    pub a1: i64,
    pub b: i64,
}

pub async fn body(store: &Store, name: &str, kind: &str, code8: &str, parent: Option<i64>) -> i64 {
    let f = BodyInput {
        name: name.into(),
        kind: kind.into(),
        org_code: code(code8),
        parent_id: parent,
        ..Default::default()
    }
    .validate()
    .unwrap();
    store.create_body(&f, &Who::system()).await.unwrap()
}

pub async fn tree(store: &Store) -> Tree {
    let root = body(store, "测试县人民政府", "government", "TST00001", None).await;
    let a = body(store, "测试县甲局", "department", "TST00002", Some(root)).await;
    let a1 = body(store, "测试县甲局下属中心", "other", "TST00003", Some(a)).await;
    let b = body(store, "测试县乙局", "department", "TST00004", Some(root)).await;
    Tree { root, a, a1, b }
}

pub struct TestApp {
    pub base: String,
    pub store: Store,
    /// The server's state (its caches), for tests of what runs in the background.
    #[allow(dead_code)]
    pub state: gongkai_web::AppState,
    #[allow(dead_code)]
    pub db: Db,
    pub tree: Tree,
    _dir: Option<tempfile::TempDir>,
    _blobs: tempfile::TempDir,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        TestApp::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: Db, configure: impl FnOnce(&mut WebConfig)) -> TestApp {
        TestApp::spawn_full(db, configure, None, renderer()).await
    }

    /// An app whose attachments live in a fresh bucket of the S3-compatible server named by
    /// `GONGKAI_TEST_S3` (None when it is not set).
    pub async fn spawn_s3(db: Db) -> Option<TestApp> {
        let endpoint = std::env::var("GONGKAI_TEST_S3")
            .ok()
            .filter(|s| !s.is_empty())?;
        let bucket = format!("gk-it-{}", rand::random::<u32>());
        create_bucket(&endpoint, &bucket).await;
        let blobs = gongkai_files::BlobStore::s3(&gongkai_files::S3Config {
            endpoint,
            bucket,
            region: "us-east-1".into(),
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            prefix: "attachments".into(),
            allow_http: true,
        })
        .unwrap();
        Some(TestApp::spawn_full(db, |_| {}, Some(blobs), renderer()).await)
    }

    /// A server without PDF output (as when no Chinese font is installed).
    pub async fn spawn_without_reports(db: Db) -> TestApp {
        TestApp::spawn_full(db, |_| {}, None, None).await
    }

    async fn spawn_full(
        db: Db,
        configure: impl FnOnce(&mut WebConfig),
        blobs: Option<gongkai_files::BlobStore>,
        reports: Option<Arc<gongkai_reports::Renderer>>,
    ) -> TestApp {
        let (store, dir) = fresh_store(db).await;
        // Next year's calendar too (元旦 only, when the built-in calendar does not have it yet),
        // so that periods counted from today never run off the loaded years: from December an
        // application's 20 working days end in the next year.
        {
            use chrono::Datelike;
            let year = crate::credit::today().year() + 1;
            if !gongkai_domain::calendar::Calendar::builtin().has_year(year) {
                // 元旦 only: a year's data needs at least one day to be loaded.
                let data = gongkai_domain::calendar::YearData {
                    year,
                    papers: Vec::new(),
                    days: [(
                        chrono::NaiveDate::from_ymd_opt(year, 1, 1).unwrap(),
                        gongkai_domain::calendar::SpecialDay {
                            name: "元旦".into(),
                            off: true,
                        },
                    )]
                    .into(),
                };
                store
                    .import_calendar_year(&data, &gongkai_domain::audit::Who::system())
                    .await
                    .unwrap();
            }
        }
        let tree = tree(&store).await;
        let mut config = WebConfig::default();
        configure(&mut config);
        let blob_dir = tempfile::tempdir().unwrap();
        let state = AppState::new(
            store.clone(),
            config,
            store.load_calendar().await.unwrap(),
            blobs.unwrap_or_else(|| {
                gongkai_files::BlobStore::local(
                    dir.as_ref()
                        .map(|d| d.path())
                        .unwrap_or(blob_dir.path())
                        .join("attachments"),
                )
            }),
        )
        .with_ledger_key(gongkai_domain::ledger::LedgerKey::generate())
        .with_search(
            gongkai_search::SearchIndex::in_ram(Default::default()).unwrap(),
            std::time::Duration::from_millis(100),
        );
        let state = match reports {
            Some(r) => state.with_reports(r),
            None => state,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr: SocketAddr = listener.local_addr().unwrap();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let kept = state.clone();
        tokio::spawn(async move {
            let _ = gongkai_web::serve(state, listener, async move {
                let _ = rx.await;
            })
            .await;
        });
        TestApp {
            base: format!("http://{addr}"),
            state: kept,
            store,
            db,
            tree,
            _dir: dir,
            _blobs: blob_dir,
            _shutdown: tx,
        }
    }

    /// Poll `path` until its page satisfies `ok` (the search index follows the change log a
    /// moment after each change); panics after 5 seconds with the last page.
    pub async fn eventually(&self, path: &str, ok: impl Fn(&str) -> bool) -> String {
        let b = Browser::new(self);
        let mut last = String::new();
        for _ in 0..50 {
            let (_, t) = b.get_text(path).await;
            if ok(&t) {
                return t;
            }
            last = t;
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("{path} did not become as expected within 5 s; last page:\n{last}");
    }

    /// The data folder of a SQLite installation (None on PostgreSQL).
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.path())
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A staff account with `role` on `body`, its password set and TOTP enrolled, ready to sign in.
    pub async fn staff(&self, username: &str, role: Option<Role>, body: i64) -> i64 {
        let id = self
            .store
            .create_user(
                &NewUser {
                    body_id: body,
                    username: username.into(),
                    display_name: username.into(),
                    password_hash: gongkai_domain::password::hash_password(PASSWORD).unwrap(),
                    must_change_password: false,
                    roles: role.into_iter().collect(),
                },
                &Who::system(),
            )
            .await
            .unwrap();
        self.store.set_pending_totp(id, TOTP_SECRET).await.unwrap();
        self.store
            .enable_totp(id, &[], &Who::system())
            .await
            .unwrap();
        id
    }

    /// Sign in through the forms (password, then TOTP); returns the client holding the session.
    pub async fn login(&self, username: &str) -> Browser {
        let b = Browser::new(self);
        let r = b.login_password(username, PASSWORD).await;
        assert_eq!(r.status(), 303, "password step for {username}");
        assert_eq!(location(&r), "/login/totp");
        let code = fresh_code(&self.base, username, TOTP_SECRET).await;
        let r = b.post_form("/login/totp", &[("code", &code)]).await;
        assert_eq!(r.status(), 303, "totp step for {username}");
        assert_eq!(location(&r), "/admin");
        b
    }

    pub async fn exec(&self, sql: &str) {
        match &self.store.backend {
            gongkai_store::Backend::Sqlite { write, .. } => {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(write)
                    .await
                    .unwrap();
            }
            gongkai_store::Backend::Postgres(p) => {
                sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        match &self.store.backend {
            gongkai_store::Backend::Sqlite { read, .. } => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_one(read)
                    .await
                    .unwrap()
            }
            gongkai_store::Backend::Postgres(p) => {
                sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_string()))
                    .fetch_one(p)
                    .await
                    .unwrap()
            }
        }
    }
}

/// Create a bucket on an S3-compatible test server (moto accepts unsigned requests).
pub async fn create_bucket(endpoint: &str, bucket: &str) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let hostport = endpoint
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let mut sock = tokio::net::TcpStream::connect(&hostport).await.unwrap();
    let req = format!(
        "PUT /{bucket} HTTP/1.1\r\nHost: {hostport}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    sock.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    sock.read_to_end(&mut buf).await.unwrap();
    assert!(
        String::from_utf8_lossy(&buf).starts_with("HTTP/1.1 200"),
        "{}",
        String::from_utf8_lossy(&buf)
    );
}

/// A code an authenticator shows for `user` now that the server has not accepted yet: each code
/// is accepted once (RFC 6238 §5.2), so a second sign-in of the same account within 30 s takes
/// the next step's code (the server allows one step of drift), waiting for it when needed.
pub async fn fresh_code(base: &str, user: &str, secret: &str) -> String {
    static USED: OnceLock<std::sync::Mutex<std::collections::HashMap<String, u64>>> =
        OnceLock::new();
    let used = USED.get_or_init(Default::default);
    let now_step = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs()
            / 30
    };
    let key = format!("{base} {user}");
    let step = {
        let mut m = used.lock().unwrap();
        let now = now_step();
        let step = match m.get(&key) {
            Some(last) if *last >= now => last + 1,
            _ => now,
        };
        m.insert(key, step);
        step
    };
    while step > now_step() + 1 {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    totp_at(secret, step * 30)
}

fn totp_at(secret: &str, time: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_string())
        .to_bytes()
        .unwrap();
    totp_rs::TOTP::new(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        Some("Gongkai".into()),
        "t".into(),
    )
    .unwrap()
    .generate(time)
}

pub fn location(r: &reqwest::Response) -> String {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The CSRF token embedded in a page's forms.
pub fn csrf_in(html: &str) -> Option<String> {
    let re = regex::Regex::new(r#"name="_csrf" value="([^"]+)""#).unwrap();
    re.captures(html).map(|c| c[1].to_string())
}

/// A browser: a cookie jar, no automatic redirects, same-origin headers on form posts.
pub struct Browser {
    pub client: reqwest::Client,
    pub base: String,
    pub csrf: std::sync::Mutex<Option<String>>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Browser {
        Browser {
            client: http_client_builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: app.base.clone(),
            csrf: std::sync::Mutex::new(None),
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        let s = r.status().as_u16();
        let t = r.text().await.unwrap();
        if let Some(tok) = csrf_in(&t) {
            *self.csrf.lock().unwrap() = Some(tok);
        }
        (s, t)
    }

    /// Post a form with the CSRF token of the last page seen (fetching `/admin` for one if none).
    /// Post files as `multipart/form-data` (field `file`), token in the query string.
    pub async fn post_files(&self, path: &str, files: &[(&str, Vec<u8>)]) -> reqwest::Response {
        self.try_post_files(path, files).await.unwrap()
    }

    /// Like `post_files`, but a connection the server closed before reading the whole body
    /// (as it may when refusing an oversized upload) is an `Err`, not a panic.
    pub async fn try_post_files(
        &self,
        path: &str,
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Result<reqwest::Response> {
        self.post_multipart(path, &[], files).await
    }

    /// Post text fields and files (field `file`) as `multipart/form-data`, token in the query
    /// string.
    pub async fn post_multipart(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, Vec<u8>)],
    ) -> reqwest::Result<reqwest::Response> {
        let known = self.csrf.lock().unwrap().clone();
        let token = match known {
            Some(t) => t,
            None => self.find_token().await,
        };
        let mut form = reqwest::multipart::Form::new();
        for (k, v) in fields {
            form = form.text(k.to_string(), v.to_string());
        }
        for (name, bytes) in files {
            form = form.part(
                "file",
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
            );
        }
        let sep = if path.contains('?') { '&' } else { '?' };
        self.client
            .post(format!("{}{path}{sep}_csrf={token}", self.base))
            .header("sec-fetch-site", "same-origin")
            .multipart(form)
            .send()
            .await
    }

    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf.lock().unwrap().clone();
        let token = match token {
            Some(t) => t,
            None => self.find_token().await,
        };
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("_csrf", &token));
        self.client
            .post(format!("{}{path}", self.base))
            .header("origin", self.base.clone())
            .header("sec-fetch-site", "same-origin")
            .form(&all)
            .send()
            .await
            .unwrap()
    }

    /// Follow the back office's redirects until a page carries a form token.
    async fn find_token(&self) -> String {
        let mut path = "/admin".to_string();
        for _ in 0..4 {
            let r = self.get(&path).await;
            if r.status().is_redirection() {
                path = location(&r);
                continue;
            }
            let t = r.text().await.unwrap();
            if let Some(tok) = csrf_in(&t) {
                *self.csrf.lock().unwrap() = Some(tok.clone());
                return tok;
            }
            break;
        }
        String::new()
    }

    pub async fn login_password(&self, username: &str, password: &str) -> reqwest::Response {
        let (_, page) = self.get_text("/login").await;
        let token = csrf_in(&page).unwrap();
        *self.csrf.lock().unwrap() = Some(token);
        let r = self
            .post_form("/login", &[("username", username), ("password", password)])
            .await;
        // After sign-in the session has its own token: pick it up from the next page.
        *self.csrf.lock().unwrap() = None;
        r
    }

    /// Refresh the CSRF token from a back-office page.
    pub async fn refresh_csrf(&self, path: &str) {
        let _ = self.get_text(path).await;
    }
}

/// An HTTP client builder for tests (the TLS provider installed first, as the server does).
pub fn http_client_builder() -> reqwest::ClientBuilder {
    gongkai_files::install_tls_provider();
    reqwest::Client::builder()
}

/// An HTTP client for tests.
pub fn http_client() -> reqwest::Client {
    http_client_builder().build().expect("an HTTP client")
}
