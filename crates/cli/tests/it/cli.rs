//! Command-line tests: the `gongkai` binary run as an operator runs it, each test in a data
//! folder of its own — the working-day calendar and its import, accounts and bodies, the
//! tamper-evident audit log, the demo county, backup and restore under load, and migrations.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use gongkai_domain::codes::organization_code_check_char;
use sqlx::Connection;

mod kill;

const BIN: &str = env!("CARGO_BIN_EXE_gongkai");

/// A password that satisfies the default 等保三级 policy.
const GOOD_PASSWORD: &str = "Zq8!wx3#Lm";

/// The eight demo accounts `serve --demo` creates.
const DEMO_USERS: [&str; 14] = [
    "demo.admin",
    "demo.editor",
    "demo.reviewer",
    "demo.approver",
    "demo.handler",
    "demo.letters",
    "demo.discipline",
    "demo.supervisor",
    "demo.credit",
    "demo.leader",
    "demo.services",
    "demo.secretary",
    "demo.street",
    "demo.inspector",
];

// ---------------------------------------------------------------------------------------------
// Running the binary
// ---------------------------------------------------------------------------------------------

/// The outcome of one command.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) status: ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    fn ok(&self) -> bool {
        self.status.success()
    }

    /// Standard output and standard error together (where a message appears is not the point).
    fn text(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }

    #[track_caller]
    pub(crate) fn expect_ok(self, what: &str) -> Run {
        assert!(self.ok(), "{what}: expected success, got {self:#?}");
        self
    }

    #[track_caller]
    fn expect_fail(self, what: &str) -> Run {
        assert!(
            !self.ok(),
            "{what}: expected a non-zero exit, got {self:#?}"
        );
        assert!(
            !self.stderr.trim().is_empty(),
            "{what}: a failure must say why on stderr, got {self:#?}"
        );
        self
    }
}

/// A command for the binary, with no `GONGKAI…` variables of the caller's environment (a
/// `GONGKAI__DATABASE__URL` there would silently win over `--data`).
pub(crate) fn command(args: &[&str]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args);
    for (k, _) in std::env::vars_os() {
        if k.to_string_lossy().starts_with("GONGKAI") {
            c.env_remove(k);
        }
    }
    c
}

fn run(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = command(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start gongkai");
    if let Some(input) = stdin {
        let mut pipe = child.stdin.take().expect("stdin pipe");
        // The command may fail before reading; a broken pipe then is not the test's concern.
        let _ = pipe.write_all(input.as_bytes());
    }
    let out = child.wait_with_output().expect("wait for gongkai");
    Run {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub(crate) fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 temp path")
}

/// `gongkai --data DATA ARGS…`
pub(crate) fn gk(data: &Path, args: &[&str]) -> Run {
    gk_stdin(data, args, None)
}

/// `gongkai --data DATA ARGS…` with `stdin` on standard input.
fn gk_stdin(data: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut all = vec!["--data", path_str(data)];
    all.extend_from_slice(args);
    run(&all, stdin)
}

/// A valid 9-character 组织机构代码: the 8 characters given plus their GB 11714 check character.
pub(crate) fn org_code(body8: &str) -> String {
    let check = organization_code_check_char(body8).expect("8 characters of [0-9A-Z]");
    format!("{body8}{check}")
}

pub(crate) fn create_body(
    data: &Path,
    name: &str,
    kind: &str,
    code: &str,
    parent: Option<&str>,
) -> Run {
    let mut args = vec![
        "admin",
        "create-body",
        "--name",
        name,
        "--kind",
        kind,
        "--code",
        code,
    ];
    if let Some(p) = parent {
        args.extend(["--parent", p]);
    }
    gk(data, &args)
}

fn create_user(data: &Path, body: &str, username: &str, password: &str) -> Run {
    gk_stdin(
        data,
        &[
            "admin",
            "create-user",
            "--body",
            body,
            "--username",
            username,
            "--role",
            "管理员",
        ],
        Some(&format!("{password}\n")),
    )
}

/// A small installation with some history: a root body, `children` bodies under it and one
/// administrator. Returns the number of audit entries this wrote.
fn install_with_activity(data: &Path, children: u32) -> i64 {
    let root = org_code("GKROOT01");
    create_body(data, "测试县人民政府", "人民政府", &root, None).expect_ok("create root body");
    for i in 1..=children {
        let code = org_code(&format!("GKDEP{i:03}"));
        create_body(data, &format!("测试县第{i}局"), "部门", &code, Some(&root))
            .expect_ok("create child body");
    }
    create_user(data, &root, "root.admin", GOOD_PASSWORD).expect_ok("create administrator");
    i64::from(children) + 2
}

// ---------------------------------------------------------------------------------------------
// Looking into the database directly (as an auditor — or a rogue DBA — would)
// ---------------------------------------------------------------------------------------------

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(f)
}

async fn sqlite_conn(data: &Path) -> sqlx::SqliteConnection {
    let opts = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(data.join("gongkai.db"))
        .busy_timeout(Duration::from_secs(30));
    sqlx::SqliteConnection::connect_with(&opts)
        .await
        .expect("open the SQLite file")
}

/// Run one statement on the installation's SQLite file; the number of rows it changed.
fn db_exec(data: &Path, sql: &str) -> Result<u64, sqlx::Error> {
    block_on(async {
        let mut c = sqlite_conn(data).await;
        let r = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&mut c)
            .await
            .map(|r| r.rows_affected());
        c.close().await.expect("close");
        r
    })
}

fn db_i64(data: &Path, sql: &str) -> i64 {
    block_on(async {
        let mut c = sqlite_conn(data).await;
        let v: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(&mut c)
            .await
            .expect(sql);
        c.close().await.expect("close");
        v
    })
}

fn db_strings(data: &Path, sql: &str) -> Vec<String> {
    block_on(async {
        let mut c = sqlite_conn(data).await;
        let v: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(&mut c)
            .await
            .expect(sql);
        c.close().await.expect("close");
        v
    })
}

fn audit_rows(data: &Path) -> i64 {
    db_i64(data, "SELECT COUNT(*) FROM audit_log")
}

// ---------------------------------------------------------------------------------------------
// A running server
// ---------------------------------------------------------------------------------------------

/// `gongkai serve` on a free port; killed when dropped.
pub(crate) struct Server {
    child: Child,
    addr: String,
    lines: mpsc::Receiver<String>,
    /// Output so far (stdout as is, stderr lines prefixed with `[stderr] `).
    seen: Vec<String>,
}

fn pump(r: impl Read + Send + 'static, tx: mpsc::Sender<String>, prefix: &'static str) {
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { break };
            if tx.send(format!("{prefix}{line}")).is_err() {
                break;
            }
        }
    });
}

impl Server {
    fn start(data: &Path, demo: bool) -> Server {
        Server::start_with(data, demo, &[])
    }

    /// Start with extra environment variables (configuration such as `GONGKAI__DATABASE__URL`).
    pub(crate) fn start_with(data: &Path, demo: bool, env: &[(&str, &str)]) -> Server {
        let mut args = vec!["--data", path_str(data), "serve", "--listen", "127.0.0.1:0"];
        if demo {
            args.push("--demo");
        }
        let mut cmd = command(&args);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start gongkai serve");
        let (tx, rx) = mpsc::channel();
        pump(child.stdout.take().expect("stdout"), tx.clone(), "");
        pump(child.stderr.take().expect("stderr"), tx, "[stderr] ");
        let mut server = Server {
            child,
            addr: String::new(),
            lines: rx,
            seen: Vec::new(),
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match server.lines.recv_timeout(left) {
                Ok(line) => {
                    let addr = line
                        .split_once("Gongkai 已启动：http://")
                        .map(|(_, rest)| rest.split('/').next().unwrap_or_default().to_owned());
                    server.seen.push(line);
                    if let Some(addr) = addr {
                        server.addr = addr;
                        // Ready once it answers. (Only from then on does SIGTERM shut it down
                        // gracefully: the handler is installed after the banner is printed.)
                        let (status, body) = http_get(&server.url("/healthz"));
                        assert_eq!(status, 200, "health check right after start: {body}");
                        return server;
                    }
                }
                Err(e) => panic!("the server did not start ({e}); output: {:#?}", server.seen),
            }
        }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Stop with SIGTERM (SIGKILL if it does not exit within 15 s). Returns how it exited (None
    /// if it had to be killed) and everything it printed.
    fn stop(&mut self) -> (Option<ExitStatus>, Vec<String>) {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let deadline = Instant::now() + Duration::from_secs(15);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(s)) => break Some(s),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(25));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break None;
                }
            }
        };
        // The pipes close with the process; collect what is left.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.seen.push(line);
        }
        (status, std::mem::take(&mut self.seen))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// GET `url`: status and body.
fn http_get(url: &str) -> (u16, String) {
    block_on(async {
        let r = crate::support::http_client()
            .get(url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .expect(url);
        let status = r.status().as_u16();
        (status, r.text().await.expect("body"))
    })
}

/// Poll `cond` every 20 ms until it holds or `secs` pass.
#[track_caller]
fn wait_until(secs: u64, what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL, when GONGKAI_TEST_POSTGRES is set
// ---------------------------------------------------------------------------------------------

/// A fresh schema, dropped at the end; `url` pins `search_path` to it.
struct PgSchema {
    base: String,
    name: String,
    url: String,
}

fn pg_schema(tag: &str) -> Option<PgSchema> {
    let var = std::env::var("GONGKAI_TEST_POSTGRES").ok()?;
    let base = if var.starts_with("postgres") {
        var
    } else {
        "postgres://postgres@127.0.0.1:5432/test".to_owned()
    };
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or_default();
    let name = format!("gk_cli_{tag}_{}_{nanos}", std::process::id());
    block_on(async {
        let mut c = sqlx::PgConnection::connect(&base)
            .await
            .expect("connect to PostgreSQL");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA \"{name}\"")))
            .execute(&mut c)
            .await
            .expect("create schema");
        c.close().await.expect("close");
    });
    let sep = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{sep}options=-csearch_path%3D{name}");
    Some(PgSchema { base, name, url })
}

impl PgSchema {
    /// `gongkai --database-url URL ARGS…`
    fn gk(&self, args: &[&str]) -> Run {
        let mut all = vec!["--database-url", self.url.as_str()];
        all.extend_from_slice(args);
        run(&all, None)
    }

    /// A connection through the same URL the command line is given.
    async fn conn(&self) -> sqlx::PgConnection {
        let opts: sqlx::postgres::PgConnectOptions = self.url.parse().expect("URL parses");
        sqlx::PgConnection::connect_with(&opts)
            .await
            .expect("connect")
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Dropped on a thread of its own: this may run inside a panic unwinding from block_on.
        let _ = std::thread::spawn(move || {
            block_on(async {
                if let Ok(mut c) = sqlx::PgConnection::connect(&base).await {
                    let ddl = format!("DROP SCHEMA IF EXISTS \"{name}\" CASCADE");
                    let _ = sqlx::query(sqlx::AssertSqlSafe(ddl)).execute(&mut c).await;
                    let _ = c.close().await;
                }
            })
        })
        .join();
    }
}

// ---------------------------------------------------------------------------------------------
// 1. The working-day calendar
// ---------------------------------------------------------------------------------------------

#[test]
fn calendar_worked_examples() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    // 20 working days (条例第三十三条), start day not counted, holidays and 调休 respected.
    for (start, expected) in [
        ("2025-09-26", "2025-10-30"), // across 国庆节、中秋节 with two 调休 Saturdays
        ("2026-02-10", "2026-03-16"), // across 春节 2026
        ("2025-12-25", "2026-01-23"), // across the year end and 元旦 2026
    ] {
        let r = gk(data, &["calendar", "add", start, "20"]).expect_ok("calendar add");
        assert_eq!(r.stdout.trim(), expected, "20 working days after {start}");
    }

    let r = gk(data, &["calendar", "check", "2025-10-11"]).expect_ok("calendar check");
    assert!(
        r.stdout.contains("调休") && r.stdout.contains("是工作日") && !r.stdout.contains("不是"),
        "2025-10-11 (Saturday) is a 调休 working day: {r:#?}"
    );
    let r = gk(data, &["calendar", "check", "2025-10-03"]).expect_ok("calendar check");
    assert!(
        r.stdout.contains("放假") && r.stdout.contains("不是工作日"),
        "2025-10-03 is a holiday: {r:#?}"
    );

    // A year whose State Council notice is not loaded is never guessed.
    let r = gk(data, &["calendar", "add", "2026-12-30", "5"]).expect_fail("add into 2027");
    assert!(
        r.stderr.contains("2027"),
        "the missing year is named: {r:#?}"
    );
    assert!(r.stdout.trim().is_empty(), "no date is printed: {r:#?}");

    for bad in ["2025-02-30", "2025/10/01", "tomorrow"] {
        let r = gk(data, &["calendar", "add", bad, "20"]).expect_fail("malformed date");
        assert!(
            r.stderr.contains("YYYY-MM-DD"),
            "the format is explained: {r:#?}"
        );
        let r = gk(data, &["calendar", "check", bad]).expect_fail("malformed date");
        assert!(
            r.stderr.contains("YYYY-MM-DD"),
            "the format is explained: {r:#?}"
        );
    }
}

#[test]
fn calendar_import_extends_the_calendar_and_bad_files_change_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    gk(&data, &["calendar", "add", "2026-12-30", "5"]).expect_fail("2027 not loaded yet");

    let file = tmp.path().join("2027.json");
    std::fs::write(
        &file,
        r#"{"year":2027,"papers":[],"days":[{"name":"元旦","date":"2027-01-01","isOffDay":true}]}"#,
    )
    .unwrap();
    let r = gk(&data, &["calendar", "import", path_str(&file)]).expect_ok("import 2027");
    assert!(r.stdout.contains("2027"), "{r:#?}");
    let audit_after_import = audit_rows(&data);
    assert_eq!(audit_after_import, 1, "the import is in the audit log");

    // 2026-12-30 is a Wednesday: 12-31 (1), 2027-01-01 off, weekend, 01-04..01-07 (2..5).
    let r = gk(&data, &["calendar", "add", "2026-12-30", "5"]).expect_ok("add into 2027");
    assert_eq!(r.stdout.trim(), "2027-01-07");
    let r = gk(&data, &["calendar", "check", "2027-01-01"]).expect_ok("check 2027-01-01");
    assert!(
        r.stdout.contains("元旦") && r.stdout.contains("不是工作日"),
        "{r:#?}"
    );
    let years = gk(&data, &["calendar", "years"]).expect_ok("years").stdout;
    assert!(years.lines().any(|l| l.trim() == "2027"), "{years}");
    assert!(years.lines().any(|l| l.trim() == "2026"), "{years}");

    // Broken files: not JSON at all, and a 2027 file that would replace the good one but is invalid.
    let broken = tmp.path().join("broken.json");
    std::fs::write(&broken, r#"{"year":2028,"days":[{"name":"元旦","#).unwrap();
    let invalid = tmp.path().join("invalid-2027.json");
    std::fs::write(
        &invalid,
        r#"{"year":2027,"papers":[],"days":[{"name":"元旦","date":"2027-02-30","isOffDay":true}]}"#,
    )
    .unwrap();
    for f in [&broken, &invalid] {
        let r = gk(&data, &["calendar", "import", path_str(f)]).expect_fail("malformed import");
        assert!(
            r.stderr.contains("日历数据格式错误"),
            "a clear message: {r:#?}"
        );
    }
    let missing = tmp.path().join("no-such-file.json");
    let r = gk(&data, &["calendar", "import", path_str(&missing)]).expect_fail("missing file");
    assert!(r.stderr.contains("无法读取"), "{r:#?}");

    assert_eq!(
        gk(&data, &["calendar", "years"]).expect_ok("years").stdout,
        years
    );
    let r = gk(&data, &["calendar", "add", "2026-12-30", "5"]).expect_ok("add into 2027");
    assert_eq!(
        r.stdout.trim(),
        "2027-01-07",
        "the good 2027 import is still in force"
    );
    assert_eq!(
        audit_rows(&data),
        audit_after_import,
        "nothing was recorded"
    );
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM calendar_years"), 1);
}

// ---------------------------------------------------------------------------------------------
// 3. Bodies and accounts
// ---------------------------------------------------------------------------------------------

#[test]
fn admin_creates_bodies_and_accounts_under_the_password_policy() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let root = org_code("GKROOT01");
    let child = org_code("GKEDU001");

    let r = create_body(&data, "测试县人民政府", "人民政府", &root, None).expect_ok("root");
    assert!(r.stdout.contains("测试县人民政府"), "{r:#?}");
    create_body(&data, "测试县教育局", "部门", &child, Some(&root)).expect_ok("child");
    assert_eq!(
        db_i64(
            &data,
            &format!(
                "SELECT COUNT(*) FROM bodies c JOIN bodies p ON p.id = c.parent_id \
                 WHERE c.org_code = '{child}' AND p.org_code = '{root}' AND p.parent_id IS NULL"
            )
        ),
        1,
        "the child hangs under the root"
    );

    // A second root is refused: the tree has one top.
    let r = create_body(
        &data,
        "另一个县人民政府",
        "人民政府",
        &org_code("GKROOT02"),
        None,
    )
    .expect_fail("second root");
    assert!(r.stderr.contains("--parent"), "{r:#?}");

    // Invalid organisation codes: wrong check character, wrong length, bad characters.
    let wrong_check = {
        let good = org_code("GKBAD001");
        let last = good.chars().last().unwrap();
        let other = if last == '0' { '1' } else { '0' };
        format!("GKBAD001{other}")
    };
    for bad in [wrong_check.as_str(), "GKBAD00", "GK*AD0011"] {
        let r = create_body(&data, "无效代码机关", "部门", bad, Some(&root))
            .expect_fail("invalid organisation code");
        assert!(r.stderr.contains("机构代码无效"), "{bad}: {r:#?}");
    }
    // A code already in use is refused too.
    let r = create_body(&data, "重复代码机关", "部门", &child, Some(&root)).expect_fail("dup code");
    assert!(r.stderr.contains("机构代码已被"), "{r:#?}");
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM bodies"), 2);

    // Weak passwords are refused, in Chinese, and no account is created.
    for weak in ["abc", "password", "abcdefgh1!", "zhang.san"] {
        let r = create_user(&data, &root, "zhang.san", weak).expect_fail("weak password");
        assert!(r.stderr.contains("密码不符合安全策略"), "{weak}: {r:#?}");
    }
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM users"), 0);

    let r = create_user(&data, &root, "zhang.san", GOOD_PASSWORD).expect_ok("good password");
    assert!(r.stdout.contains("zhang.san"), "{r:#?}");
    let hashes = db_strings(
        &data,
        "SELECT password_hash FROM users WHERE username = 'zhang.san'",
    );
    assert_eq!(hashes.len(), 1);
    assert!(
        hashes[0].starts_with("$argon2id$") && !hashes[0].contains(GOOD_PASSWORD),
        "only an argon2id hash is stored: {}",
        hashes[0]
    );
    assert_eq!(
        db_strings(
            &data,
            "SELECT g.role FROM role_grants g JOIN users u ON u.id = g.user_id \
             WHERE u.username = 'zhang.san'"
        ),
        vec!["admin".to_owned()]
    );

    let r = create_user(&data, &child, "zhang.san", GOOD_PASSWORD).expect_fail("same username");
    assert!(r.stderr.contains("用户名已存在"), "{r:#?}");
    let r = create_user(&data, &org_code("GKNONE01"), "li.si", GOOD_PASSWORD)
        .expect_fail("unknown body");
    assert!(r.stderr.contains("找不到机构代码"), "{r:#?}");
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM users"), 1);

    // Two bodies and one account: three audit entries, a sound chain.
    assert_eq!(audit_rows(&data), 3);
    gk(&data, &["audit", "verify"]).expect_ok("audit verify");
}

// ---------------------------------------------------------------------------------------------
// 4. The audit log exposes tampering
// ---------------------------------------------------------------------------------------------

fn drop_sqlite_triggers(data: &Path) {
    db_exec(data, "DROP TRIGGER audit_log_no_update").unwrap();
    db_exec(data, "DROP TRIGGER audit_log_no_delete").unwrap();
}

#[test]
fn audit_verify_detects_a_changed_row_on_sqlite() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let n = install_with_activity(&data, 3);
    assert_eq!(audit_rows(&data), n);
    let r = gk(&data, &["audit", "verify"]).expect_ok("verify an intact log");
    assert!(r.stdout.contains(&format!("共{n}条")), "{r:#?}");

    // The database itself refuses to change or delete audit entries.
    let e = db_exec(
        &data,
        "UPDATE audit_log SET action = 'body.delete' WHERE seq = 3",
    )
    .unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    let e = db_exec(&data, "DELETE FROM audit_log WHERE seq = 3").unwrap_err();
    assert!(e.to_string().contains("append-only"), "{e}");
    assert_eq!(audit_rows(&data), n);
    gk(&data, &["audit", "verify"]).expect_ok("still intact");

    // A rogue DBA drops the triggers and rewrites history: the chain exposes it.
    drop_sqlite_triggers(&data);
    let changed = db_exec(
        &data,
        "UPDATE audit_log SET action = 'body.delete' WHERE seq = 3",
    );
    assert_eq!(changed.unwrap(), 1);
    let r = gk(&data, &["audit", "verify"]).expect_fail("verify a changed log");
    assert!(
        r.text().contains("第3条"),
        "the changed entry is named: {r:#?}"
    );
}

#[test]
fn audit_verify_detects_a_deleted_middle_row() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    install_with_activity(&data, 3);
    gk(&data, &["audit", "verify"]).expect_ok("verify an intact log");
    drop_sqlite_triggers(&data);
    assert_eq!(
        db_exec(&data, "DELETE FROM audit_log WHERE seq = 2").unwrap(),
        1
    );
    let r = gk(&data, &["audit", "verify"]).expect_fail("verify with a gap");
    assert!(
        r.text().contains("第2条"),
        "the missing entry is named: {r:#?}"
    );
}

#[test]
fn audit_verify_detects_a_deleted_last_row() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let n = install_with_activity(&data, 2);
    gk(&data, &["audit", "verify"]).expect_ok("verify an intact log");
    drop_sqlite_triggers(&data);
    let deleted = db_exec(&data, &format!("DELETE FROM audit_log WHERE seq = {n}")).unwrap();
    assert_eq!(deleted, 1);
    let r = gk(&data, &["audit", "verify"]).expect_fail("verify without its last entry");
    assert!(
        r.text().contains(&format!("第{n}条")),
        "the missing entry is named: {r:#?}"
    );
}

#[test]
fn audit_verify_detects_a_changed_row_on_postgres() {
    let Some(pg) = pg_schema("audit") else {
        return;
    };
    let root = org_code("GKROOT01");
    let mut args = vec!["admin", "create-body", "--name", "测试县人民政府"];
    args.extend(["--kind", "人民政府", "--code", &root]);
    pg.gk(&args).expect_ok("create root on PostgreSQL");
    for i in 1..=2 {
        let code = org_code(&format!("GKDEP{i:03}"));
        let name = format!("测试县第{i}局");
        pg.gk(&[
            "admin",
            "create-body",
            "--name",
            &name,
            "--kind",
            "部门",
            "--code",
            &code,
            "--parent",
            &root,
        ])
        .expect_ok("create child on PostgreSQL");
    }
    let r = pg
        .gk(&["audit", "verify"])
        .expect_ok("verify an intact log");
    assert!(r.stdout.contains("共3条"), "{r:#?}");

    block_on(async {
        let mut c = pg.conn().await;
        // The URL's options really pin the schema (sqlx 0.9 parses `options=-csearch_path=…`),
        // and the command line wrote its tables there, not into `public`.
        let schema: String = sqlx::query_scalar("SELECT current_schema()")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(schema, pg.name);
        let tables: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM information_schema.tables \
             WHERE table_schema = $1 AND table_name IN ('audit_log', 'bodies')",
        )
        .bind(&pg.name)
        .fetch_one(&mut c)
        .await
        .unwrap();
        assert_eq!(tables, 2);

        let e = sqlx::query("UPDATE audit_log SET action = 'body.delete' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
        let e = sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");

        sqlx::query("DROP TRIGGER audit_log_no_update ON audit_log")
            .execute(&mut c)
            .await
            .unwrap();
        let changed = sqlx::query("UPDATE audit_log SET action = 'body.delete' WHERE seq = 2")
            .execute(&mut c)
            .await
            .unwrap();
        assert_eq!(changed.rows_affected(), 1);
        c.close().await.unwrap();
    });
    let r = pg
        .gk(&["audit", "verify"])
        .expect_fail("verify a changed log");
    assert!(
        r.text().contains("第2条"),
        "the changed entry is named: {r:#?}"
    );
}

// ---------------------------------------------------------------------------------------------
// 5. The demo county
// ---------------------------------------------------------------------------------------------

#[test]
fn serve_demo_twice_creates_the_demo_county_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");

    let mut first = Server::start(&data, true);
    let (status, out1) = first.stop();
    assert!(
        status.is_some_and(|s| s.success()),
        "the server stops cleanly on SIGTERM: {status:?} {out1:#?}"
    );
    let bodies = db_i64(&data, "SELECT COUNT(*) FROM bodies");
    let users = db_i64(&data, "SELECT COUNT(*) FROM users");
    assert!(bodies >= 15 && users >= 8, "{bodies} bodies, {users} users");
    // The budget carries its table as an attachment, stored in the data folder's blob store.
    let sha = db_strings(&data, "SELECT sha256 FROM attachments");
    assert_eq!(sha.len(), 1, "one demo attachment: {sha:?}");
    let blob = data.join("attachments").join(&sha[0][..2]).join(&sha[0]);
    assert!(
        std::fs::metadata(&blob).is_ok_and(|m| m.len() > 0),
        "the attachment's bytes are stored at {blob:?}"
    );
    // Every demo account is announced with its one-time password.
    let mut passwords = Vec::new();
    for u in DEMO_USERS {
        let line = out1
            .iter()
            .find(|l| l.split_whitespace().next() == Some(u))
            .unwrap_or_else(|| panic!("{u} is not announced: {out1:#?}"));
        let password = line.split_whitespace().last().unwrap().to_owned();
        assert!(password.chars().count() >= 8 && password != u, "{line}");
        passwords.push(password);
    }
    assert_eq!(
        db_i64(
            &data,
            "SELECT COUNT(*) FROM users WHERE username LIKE 'demo.%' AND must_change_password"
        ),
        DEMO_USERS.len() as i64,
        "demo passwords must be changed at first sign-in"
    );

    let mut second = Server::start(&data, true);
    let (status, out2) = second.stop();
    assert!(status.is_some_and(|s| s.success()), "{status:?} {out2:#?}");
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM bodies"), bodies);
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM users"), users);
    assert_eq!(db_i64(&data, "SELECT COUNT(*) FROM attachments"), 1);
    let all2 = out2.join("\n");
    assert!(
        !all2.contains("示例账号"),
        "no account list the second time: {all2}"
    );
    for p in &passwords {
        assert!(
            !all2.contains(p.as_str()),
            "a password was printed again: {all2}"
        );
    }
    gk(&data, &["audit", "verify"]).expect_ok("the demo's audit log is sound");
}

// ---------------------------------------------------------------------------------------------
// 6. Backup and restore
// ---------------------------------------------------------------------------------------------

#[test]
fn backup_under_load_keeps_every_acknowledged_change() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data, true);
    let root = db_strings(&data, "SELECT org_code FROM bodies WHERE parent_id IS NULL");
    assert_eq!(root.len(), 1);
    let root = root[0].clone();

    // A writer making acknowledged changes (a command that exited 0) next to the server.
    let acked: Arc<Mutex<Vec<String>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (acked, stop, data, root) = (acked.clone(), stop.clone(), data.clone(), root.clone());
        std::thread::spawn(move || {
            let mut failures = Vec::new();
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                i += 1;
                let code = org_code(&format!("LD{i:06}"));
                let r = create_body(
                    &data,
                    &format!("负载测试机关{i}"),
                    "部门",
                    &code,
                    Some(&root),
                );
                if r.ok() {
                    acked.lock().unwrap().push(code);
                } else {
                    failures.push(r);
                }
            }
            failures
        })
    };
    let acked_count = || acked.lock().unwrap().len();
    wait_until(60, "the first acknowledged writes", || acked_count() >= 5);

    let archive = tmp.path().join("backup.tar");
    let before_backup: Vec<String> = acked.lock().unwrap().clone();
    let r = gk(&data, &["backup", "--out", path_str(&archive)]).expect_ok("backup under load");
    assert!(r.stdout.contains("备份完成"), "{r:#?}");
    // Writes go on after the backup too: it did not stall the writer.
    wait_until(60, "writes after the backup", || {
        acked_count() >= before_backup.len() + 3
    });
    stop.store(true, Ordering::SeqCst);
    let failures = writer.join().unwrap();
    assert!(
        failures.is_empty(),
        "writes failed during the backup: {failures:#?}"
    );
    server.stop();
    let all_acked = acked.lock().unwrap().clone();
    assert!(archive.is_file());
    assert!(
        !tmp.path().join("backup.partial").exists(),
        "no temporary file is left"
    );

    let restored = tmp.path().join("restored");
    gk(&restored, &["restore", path_str(&archive)]).expect_ok("restore");
    let r = gk(&restored, &["audit", "verify"]).expect_ok("audit verify after restore");
    assert!(r.stdout.contains("哈希链校验通过"), "{r:#?}");
    let codes: BTreeSet<String> = db_strings(&restored, "SELECT org_code FROM bodies")
        .into_iter()
        .collect();
    let lost: Vec<&String> = before_backup
        .iter()
        .filter(|c| !codes.contains(*c))
        .collect();
    assert!(
        lost.is_empty(),
        "changes acknowledged before the backup began are missing: {lost:?}"
    );
    assert!(codes.contains(&root));
    // The snapshot is one point in time: whatever it holds of the load is a prefix of the
    // acknowledged sequence (the writer is sequential).
    let in_backup = all_acked.iter().filter(|c| codes.contains(*c)).count();
    assert!(
        all_acked[..in_backup].iter().all(|c| codes.contains(c)),
        "the backup is not a consistent snapshot"
    );
    assert_eq!(
        db_i64(&restored, "SELECT COUNT(*) FROM users"),
        db_i64(&data, "SELECT COUNT(*) FROM users")
    );

    let mut again = Server::start(&restored, false);
    let (status, body) = http_get(&again.url("/healthz"));
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ok"), "{body}");
    again.stop();
}

#[test]
fn restore_refuses_non_empty_folders_and_corrupted_archives() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    install_with_activity(&data, 1);
    let archive = tmp.path().join("backup.tar");
    gk(&data, &["backup", "--out", path_str(&archive)]).expect_ok("backup");

    // Into a folder that already holds something: refused, and the folder is left as it was.
    let occupied = tmp.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("keep.txt"), "现有数据").unwrap();
    let r = gk(&occupied, &["restore", path_str(&archive)]).expect_fail("restore over data");
    assert!(r.stderr.contains("不是空目录"), "{r:#?}");
    let left: Vec<PathBuf> = std::fs::read_dir(&occupied)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(left, vec![occupied.join("keep.txt")]);
    assert_eq!(
        std::fs::read_to_string(occupied.join("keep.txt")).unwrap(),
        "现有数据"
    );
    // Restoring over the live installation is refused the same way.
    gk(&data, &["restore", path_str(&archive)]).expect_fail("restore over the source");
    gk(&data, &["audit", "verify"]).expect_ok("the source is untouched");

    // A corrupted archive: refused, nothing left behind.
    let original = std::fs::read(&archive).unwrap();
    let mut bytes = original.clone();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0xA5;
    }
    let corrupted = tmp.path().join("corrupted.tar");
    std::fs::write(&corrupted, &bytes).unwrap();
    let target = tmp.path().join("target");
    let r = gk(&target, &["restore", path_str(&corrupted)]).expect_fail("corrupted archive");
    assert!(
        r.stderr.contains("损坏"),
        "the archive is called damaged: {r:#?}"
    );
    assert!(
        !target.exists() || std::fs::read_dir(&target).unwrap().next().is_none(),
        "something was left in {}",
        target.display()
    );
    // A truncated archive too.
    let truncated = tmp.path().join("truncated.tar");
    std::fs::write(&truncated, &original[..mid]).unwrap();
    gk(&target, &["restore", path_str(&truncated)]).expect_fail("truncated archive");
    assert!(!target.exists() || std::fs::read_dir(&target).unwrap().next().is_none());

    // The intact archive restores into that same place.
    gk(&target, &["restore", path_str(&archive)]).expect_ok("restore the intact archive");
    gk(&target, &["audit", "verify"]).expect_ok("verify the restored copy");
    assert_eq!(db_i64(&target, "SELECT COUNT(*) FROM bodies"), 2);
}

// ---------------------------------------------------------------------------------------------
// 7. Migrations
// ---------------------------------------------------------------------------------------------

#[test]
fn migrate_creates_the_database_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("new").join("data");
    assert!(!data.exists());
    let r = gk(&data, &["migrate"]).expect_ok("first migrate");
    assert!(r.stdout.contains("sqlite"), "{r:#?}");
    assert!(data.join("gongkai.db").is_file());

    let schema_sql = "SELECT type || ' ' || name FROM sqlite_master ORDER BY 1";
    let schema = db_strings(&data, schema_sql);
    for object in [
        "table audit_log",
        "table bodies",
        "table users",
        "trigger audit_log_no_update",
        "trigger audit_log_no_delete",
    ] {
        assert!(
            schema.iter().any(|s| s == object),
            "{object} missing: {schema:#?}"
        );
    }
    let applied_sql = "SELECT COUNT(*) FROM _sqlx_migrations WHERE success";
    let applied = db_i64(&data, applied_sql);
    assert!(applied >= 1);

    gk(&data, &["migrate"]).expect_ok("second migrate");
    assert_eq!(
        db_strings(&data, schema_sql),
        schema,
        "the schema is unchanged"
    );
    assert_eq!(
        db_i64(&data, applied_sql),
        applied,
        "nothing is applied twice"
    );
    assert_eq!(audit_rows(&data), 0);
    let r = gk(&data, &["audit", "verify"]).expect_ok("an empty log verifies");
    assert!(r.stdout.contains("共0条"), "{r:#?}");
}

#[test]
fn a_mistyped_data_folder_is_reported_not_treated_as_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let typo = tmp.path().join("no-such-installation");
    let r = gk(&typo, &["audit", "verify"]).expect_fail("audit verify on a missing installation");
    assert!(r.stderr.contains("找不到数据库"), "{r:#?}");
    let out = tmp.path().join("b.tar");
    gk(&typo, &["backup", "--out", path_str(&out)]).expect_fail("backup of a missing installation");
    assert!(!out.exists(), "no archive of an empty database");
    assert!(!typo.exists(), "nothing was created");
}

#[test]
fn organisation_codes_are_found_however_they_are_typed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let code = org_code("HYPH0001");
    let hyphenated = format!("{}-{}", &code[..8], &code[8..]);
    create_body(data, "连字符县人民政府", "人民政府", &hyphenated, None).expect_ok("root");
    let child = org_code("HYPH0002");
    create_body(
        data,
        "连字符县某局",
        "部门",
        &child,
        Some(&hyphenated.to_lowercase()),
    )
    .expect_ok("parent given with a hyphen, in lower case");
    create_body(
        data,
        "第二个顶级机关",
        "人民政府",
        &org_code("HYPH0003"),
        None,
    )
    .expect_fail("a second root");
}

#[test]
fn import_items_reports_problems_and_is_idempotent() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let root = org_code("IMPT0001");
    create_body(data, "导入县人民政府", "人民政府", &root, None).expect_ok("root");
    create_user(data, &root, "importer", "Zq8!wx3#Lm").expect_ok("an account");
    let csv = data.join("legacy.csv");
    std::fs::write(
        &csv,
        format!(
            "机构代码,栏目,标题,发文字号,成文日期,发布日期,主题分类,正文,有效性\n\
             {root},规章和规范性文件,导入县城区绿化管理办法,导府发[2021]5号,2021-03-01,2021-03-05,城乡建设、环境保护,第一条 为加强城区绿化管理……,有效\n\
             NOSUCHCODE,,不存在的机关发布的信息,,,2021-04-01,,,\n\
             {root},,日期写错的信息,,,2021-02-30,,,\n\
             {root},不存在的栏目,栏目写错的信息,,,2021-05-01,,,\n\
             {root},,导入县2019年财政决算,,,2019-08-30,财政、金融、审计,决算收入……,废止\n"
        ),
    )
    .unwrap();
    let r = gk(data, &["import", "items", path_str(&csv)]);
    assert_eq!(r.status.code(), Some(2), "some rows had problems: {r:#?}");
    for needle in ["第3行 机构代码", "第4行 发布日期", "第5行 栏目"] {
        assert!(r.stderr.contains(needle), "{needle}: {r:#?}");
    }
    assert!(r.stdout.contains("导入2条"), "{r:#?}");
    assert_eq!(
        db_i64(
            data,
            "SELECT COUNT(*) FROM items WHERE status = 'published'"
        ),
        2
    );
    assert_eq!(
        db_strings(data, "SELECT doc_no FROM items WHERE doc_no <> ''"),
        vec!["导府发〔2021〕5号".to_string()]
    );
    assert_eq!(
        db_strings(data, "SELECT published_on FROM items ORDER BY published_on"),
        vec!["2019-08-30".to_string(), "2021-03-05".to_string()],
        "recorded as published on their original dates"
    );
    // Again: nothing is added.
    let r = gk(data, &["import", "items", path_str(&csv)]);
    assert!(
        r.stdout.contains("导入0条") && r.stdout.contains("跳过2条"),
        "{r:#?}"
    );
    assert_eq!(db_i64(data, "SELECT COUNT(*) FROM items"), 2);
    gk(data, &["ledger", "verify"]).expect_ok("the ledger holds the imported items");
    gk(data, &["audit", "verify"]).expect_ok("imports are audited");
}

#[test]
fn import_credit_writes_nothing_until_clean_unless_valid_rows_are_asked_for() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path();
    let root = org_code("CRED0001");
    create_body(data, "导入县市场监督管理局", "部门", &root, None).expect_ok("root");
    let day = (chrono::Utc::now() + chrono::Duration::hours(8))
        .date_naive()
        .to_string();
    let csv = data.join("决定.csv");
    std::fs::write(
        &csv,
        format!(
            "决定类别,行政相对人名称,行政相对人类别,法定代表人,决定文书名称,决定文书号,决定内容,依据,罚款金额（元）,决定日期\n\
             行政处罚,某某商店,个体工商户,孙某,行政处罚决定书,导罚〔2026〕1号,罚款二百元,《食品安全法》,200,{day}\n\
             行政处罚,某某饭馆,个体工商户,周某,行政处罚决定书,导罚〔2026〕2号,罚款,《食品安全法》,,2099-01-01\n"
        ),
    )
    .unwrap();
    let count = || db_i64(data, "SELECT COUNT(*) FROM credit_decisions");
    let args = |extra: &[&'static str]| {
        let mut a = vec!["import", "credit", path_str(&csv), "--body", root.as_str()];
        a.extend_from_slice(extra);
        a
    };
    let r = gk(data, &args(&["--check"]));
    assert_eq!(r.status.code(), Some(2), "{r:#?}");
    assert!(r.stderr.contains("第3行 决定日期"), "{r:#?}");
    assert!(r.stdout.contains("未写入任何数据"), "{r:#?}");
    let r = gk(data, &args(&[]));
    assert_eq!(r.status.code(), Some(2), "{r:#?}");
    assert_eq!(count(), 0, "nothing while a row has a problem");
    let r = gk(data, &args(&["--valid-rows"]));
    assert!(r.stdout.contains("新增1条"), "{r:#?}");
    assert_eq!(count(), 1);
    let r = gk(data, &args(&["--valid-rows"]));
    assert!(r.stdout.contains("已存在跳过1条"), "{r:#?}");
    assert_eq!(count(), 1);
    let r = gk(
        data,
        &["import", "credit", path_str(&csv), "--body", "NOSUCH"],
    );
    assert!(!r.status.success());
    assert!(
        r.stderr.contains("没有机构代码或编号为“NOSUCH”的机关"),
        "{r:#?}"
    );
    gk(data, &["audit", "verify"]).expect_ok("imports are audited");
}

/// The search index is derived data: `gongkai reindex` rebuilds it (refused while a server holds
/// it), a deleted index is rebuilt at the next start, and an edit made while the server was down
/// is picked up from the change log.
#[test]
fn the_search_index_is_rebuilt_and_follows_the_database() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let q = "/search?q=%E9%A2%84%E7%AE%97"; // 预算
    let mut server = Server::start(&data, true);
    // While it runs, the index folder is locked: reindex says what to do.
    let busy = gk(&data, &["reindex"]);
    assert!(!busy.ok());
    assert!(
        busy.stderr.contains("正被另一个进程使用"),
        "{}",
        busy.stderr
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let found = loop {
        let (_, page) = http_get(&server.url(q));
        if page.contains("result-title") || Instant::now() > deadline {
            break page;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(found.contains("result-title"), "demo items are searchable");
    server.stop();
    // Published items, published letters (选登), service items, 双公示 records, published
    // commitments and published 民主评议 surveys share the index.
    let n = db_i64(
        &data,
        "SELECT (SELECT COUNT(*) FROM items WHERE status = 'published' AND scope = 'public') + \
         (SELECT COUNT(*) FROM letters WHERE published AND kind <> 'report' AND consent_publish) + \
         (SELECT COUNT(*) FROM service_items WHERE status IN ('in_force', 'cancelled') \
          AND current_version_id IS NOT NULL) + \
         (SELECT COUNT(*) FROM credit_public WHERE status = 'published' AND kind <> 'coercion' \
          AND display_until >= date('now', '+8 hours')) + \
         (SELECT COUNT(*) FROM works WHERE kind = 'commitment' AND published_at IS NOT NULL) + \
         (SELECT COUNT(*) FROM surveys WHERE status <> 'draft')",
    );
    assert!(
        db_i64(
            &data,
            "SELECT COUNT(*) FROM surveys WHERE status <> 'draft'"
        ) > 0,
        "the demo publishes an appraisal"
    );
    assert!(
        db_i64(
            &data,
            "SELECT COUNT(*) FROM credit_public WHERE status = 'published'"
        ) > 0,
        "the demo publishes 双公示 decisions"
    );
    assert!(
        db_i64(&data, "SELECT COUNT(*) FROM letters WHERE published") > 0,
        "the demo publishes letters"
    );
    let run = gk(&data, &["reindex"]);
    assert!(run.ok(), "{}", run.stderr);
    assert!(
        run.stdout.contains(&format!("搜索索引已重建：{n}条信息")),
        "{}",
        run.stdout
    );
    // Gone entirely: rebuilt at start.
    std::fs::remove_dir_all(data.join("search")).unwrap();
    let mut server = Server::start(&data, false);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let (_, page) = http_get(&server.url(q));
        if page.contains("result-title") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the index was not rebuilt: {page}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    server.stop();
}

/// The demo's 举报 opens only with the report key; `gongkai keys rotate` re-wraps it under a new
/// key (the old one kept aside), after which the new key opens it and the old one does not; the
/// database never held the whistle-blower's name. The backup includes the report key.
#[test]
fn rotating_the_report_key_keeps_whistle_blowers_readable() {
    use gongkai_domain::letters::{Envelope, open_envelope};
    use gongkai_domain::seal::SealKey;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data, true);
    server.stop();
    let key = |p: &Path| SealKey::from_base64(&std::fs::read_to_string(p).unwrap()).unwrap();
    let old = key(&data.join("report.key"));
    let row = |data: &Path| {
        let v = db_strings(
            data,
            "SELECT envelope_key || '|' || envelope_key_id || '|' || writer_sealed FROM letters WHERE kind = 'report'",
        );
        assert_eq!(v.len(), 1, "the demo has one 举报");
        let parts: Vec<String> = v[0].split('|').map(str::to_string).collect();
        (
            Envelope {
                wrapped_key: parts[0].clone(),
                key_id: parts[1].clone(),
            },
            parts[2].clone(),
        )
    };
    let (env, sealed) = row(&data);
    let opened = open_envelope(std::slice::from_ref(&old), &env).unwrap();
    assert!(opened.open(&sealed).unwrap().contains("李卫东"));
    // secrets.key (the applications' key) opens nothing of it.
    let secrets = key(&data.join("secrets.key"));
    assert!(open_envelope(&[secrets], &env).is_err());
    let dbfile = std::fs::read(data.join("gongkai.db")).unwrap();
    assert!(!String::from_utf8_lossy(&dbfile).contains("李卫东"));
    let r = gk(&data, &["keys", "rotate"]);
    assert!(r.ok(), "{r:#?}");
    assert!(r.stdout.contains("1件举报"), "{}", r.stdout);
    let new = key(&data.join("report.key"));
    assert_ne!(new.key_id(), old.key_id());
    let kept: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("report.key.old-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "the old key is kept aside");
    let (env2, sealed2) = row(&data);
    assert_eq!(sealed2, sealed, "only the letter key is re-wrapped");
    assert_eq!(env2.key_id, new.key_id());
    let opened = open_envelope(std::slice::from_ref(&new), &env2).unwrap();
    assert!(opened.open(&sealed2).unwrap().contains("李卫东"));
    assert!(open_envelope(std::slice::from_ref(&old), &env2).is_err());
    gk(&data, &["audit", "verify"]).expect_ok("the rotation is audited in the chain");
    assert_eq!(
        db_i64(
            &data,
            "SELECT COUNT(*) FROM audit_log WHERE action = 'keys.rotate'"
        ),
        1
    );
    // The server starts again with the new key.
    let mut server = Server::start(&data, false);
    server.stop();
}

/// `gongkai admin issue-token` prints a token (alone on standard output) that the staff API
/// accepts with exactly its roles; roles a token may not carry are refused.
#[test]
fn tokens_are_issued_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut server = Server::start(&data, true);
    let root = db_strings(&data, "SELECT org_code FROM bodies WHERE parent_id IS NULL");
    let r = gk(
        &data,
        &[
            "admin",
            "issue-token",
            "--body",
            &root[0],
            "--name",
            "OA系统",
            "--username",
            "oa.service",
            "--role",
            "editor",
        ],
    );
    assert!(r.ok(), "{r:#?}");
    let token = r.stdout.trim().to_string();
    assert!(
        token.starts_with("gk_") && !token.contains('\n'),
        "{}",
        r.stdout
    );
    let hashes = db_strings(&data, "SELECT token_hash FROM api_tokens");
    assert!(
        !hashes.iter().any(|h| h.contains(&token)),
        "only the hash is kept"
    );
    let get = |t: &str| {
        block_on(async {
            crate::support::http_client()
                .get(server.url("/api/v1/admin/items"))
                .bearer_auth(t)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    assert_eq!(get(&token), 200);
    assert_eq!(get("gk_not-a-token"), 401);
    let bad = gk(
        &data,
        &[
            "admin",
            "issue-token",
            "--body",
            &root[0],
            "--name",
            "越权",
            "--username",
            "bad.service",
            "--role",
            "admin",
        ],
    );
    assert!(!bad.ok() && bad.stderr.contains("不能带有角色"), "{bad:#?}");
    server.stop();
}
