//! The two backends and the macros that run one piece of SQL on either.
//!
//! SQLite gets a single writer connection (so writers queue inside the process instead of failing
//! with SQLITE_BUSY) whose transactions start with `BEGIN IMMEDIATE` (so another process, such as
//! the CLI next to a running server, waits on `busy_timeout` rather than failing), and a pool of
//! readers; WAL, `foreign_keys=ON`, `synchronous=FULL` so that an acknowledged submission survives
//! power loss. PostgreSQL gets one pool.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::error::StoreResult;

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite {
        read: SqlitePool,
        write: SqlitePool,
        path: std::path::PathBuf,
    },
    Postgres(PgPool),
}

/// The store: cheap to clone, shared by every request.
#[derive(Debug, Clone)]
pub struct Store {
    pub backend: Backend,
    /// Transactions committed through this handle (and its clones): lets readers in this process
    /// tell that the database may have changed without asking it.
    pub writes: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub max_connections: u32,
    /// PostgreSQL only: run in this schema (created if missing). Tests use one per test.
    pub pg_schema: Option<String>,
    /// SQLite only: create the database file if it does not exist. Only commands that set up an
    /// installation do; the others refuse a missing database rather than work on an empty one.
    pub create: bool,
}

/// The default size of the read pool: twice this machine's cores, plus one (the rule of thumb
/// PostgreSQL's documentation gives). On two cores, 5 PostgreSQL connections served 10,249–10,757
/// random item pages a second where 16 served 8,433–9,554: every connection is a server process
/// competing for the same cores. SQLite served the same with 5 readers as with 16. A site whose
/// database runs on a larger machine sets `max_connections` for that machine.
pub fn default_max_connections() -> u32 {
    let cores = std::thread::available_parallelism().map_or(2, |n| n.get()) as u32;
    (2 * cores + 1).max(3)
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions {
            max_connections: default_max_connections(),
            pg_schema: None,
            create: true,
        }
    }
}

/// Run `$body` with `$c` bound to a reader (`&Pool`) of whichever backend is in use.
#[macro_export]
macro_rules! read {
    ($store:expr, |$c:ident| $body:expr) => {
        match &$store.backend {
            $crate::db::Backend::Sqlite { read, .. } => {
                let $c = read;
                $body
            }
            $crate::db::Backend::Postgres(pool) => {
                let $c = pool;
                $body
            }
        }
    };
}

/// Run `$body` (an expression returning `StoreResult<T>`, which may use `?` and `.await`) inside
/// one write transaction bound to `$tx`; commit on `Ok`, roll back on `Err`.
#[macro_export]
macro_rules! write_tx {
    ($store:expr, |$tx:ident| $body:expr) => {
        match &$store.backend {
            $crate::db::Backend::Sqlite { write, .. } => {
                let mut $tx = write.begin_with("BEGIN IMMEDIATE").await?;
                let r: $crate::error::StoreResult<_> = async { $body }.await;
                match r {
                    Ok(v) => {
                        $tx.commit().await?;
                        $store
                            .writes
                            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(v)
                    }
                    Err(e) => Err(e),
                }
            }
            $crate::db::Backend::Postgres(pool) => {
                let mut $tx = pool.begin().await?;
                let r: $crate::error::StoreResult<_> = async { $body }.await;
                match r {
                    Ok(v) => {
                        $tx.commit().await?;
                        $store
                            .writes
                            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        Ok(v)
                    }
                    Err(e) => Err(e),
                }
            }
        }
    };
}

impl Store {
    /// Open the database named by `url`: `postgres://…` (or `postgresql://…`) for PostgreSQL,
    /// anything else (`sqlite://PATH` or a plain path) for SQLite, created if missing.
    pub async fn connect(url: &str, opts: &StoreOptions) -> StoreResult<Store> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut co = PgConnectOptions::from_str(url)?;
            if let Some(schema) = &opts.pg_schema {
                // Create the schema first through a plain connection, then pin search_path.
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(co.clone())
                    .await?;
                let ddl = format!(
                    "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                    schema.replace('"', "")
                );
                sqlx::query(sqlx::AssertSqlSafe(ddl))
                    .execute(&admin)
                    .await?;
                admin.close().await;
                co = co.options([("search_path", schema.as_str())]);
            }
            // No JIT: every statement here is a short lookup, and PostgreSQL compiles one
            // whenever its estimate passes `jit_above_cost` — with stale statistics (a site
            // filling up) an item page's refresh took 110 ms, 90 of them compiling.
            co = co.options([("jit", "off")]);
            // No ping before each use: it was a round trip per query. A connection that died
            // fails its one query and is dropped by the pool.
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire(false)
                .connect_with(co)
                .await?;
            return Ok(Store {
                backend: Backend::Postgres(pool),
                writes: Default::default(),
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        if !opts.create && !Path::new(path).exists() {
            return Err(crate::StoreError::Invalid(format!(
                "找不到数据库 {path}：请检查 --data 或 --database-url，新安装请先运行 gongkai migrate"
            )));
        }
        if let Some(dir) = Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(sqlx::Error::Io)?;
        }
        let co = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30));
        let write = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(co.clone())
            .await?;
        // Readers: no ping before each use (a round trip to the connection's thread per query),
        // and the file mapped into memory so a page read is a memory access, not a system call.
        let read = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.max(2))
            .test_before_acquire(false)
            .connect_with(
                co.read_only(true)
                    .pragma("mmap_size", (16u64 << 30).to_string()),
            )
            .await?;
        Ok(Store {
            writes: Default::default(),
            backend: Backend::Sqlite {
                read,
                write,
                path: Path::new(path).to_path_buf(),
            },
        })
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres(_))
    }

    pub fn backend_name(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite { .. } => "sqlite",
            Backend::Postgres(_) => "postgres",
        }
    }

    /// Apply pending migrations for the backend in use.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { write, .. } => {
                sqlx_macros::migrate!("../../migrations/sqlite")
                    .run(write)
                    .await?;
                // Statistics for indexes a migration made (SQLite plans without them as if
                // tables were tiny), sampled so a large database takes a moment, not minutes.
                // 0x10002: check every table, not only those this connection has used.
                sqlx::query("PRAGMA analysis_limit = 1000")
                    .execute(write)
                    .await?;
                sqlx::query("PRAGMA optimize = 0x10002")
                    .execute(write)
                    .await?;
                sqlx::query("PRAGMA analysis_limit = 0")
                    .execute(write)
                    .await?;
            }
            Backend::Postgres(pool) => {
                sqlx_macros::migrate!("../../migrations/postgres")
                    .run(pool)
                    .await?
            }
        }
        Ok(())
    }

    /// A cheap round trip, for `/healthz`.
    pub async fn ping(&self) -> StoreResult<()> {
        read!(self, |c| sqlx::query("SELECT 1")
            .execute(c)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Write a consistent copy of a SQLite database to `dest` while the server runs, through
    /// SQLite's own `VACUUM INTO` (a read transaction: writers are not blocked).
    pub async fn sqlite_backup_to(&self, dest: &Path) -> StoreResult<()> {
        match &self.backend {
            Backend::Sqlite { path, .. } => {
                // A connection of its own, so neither the writer nor the readers are held.
                let co = SqliteConnectOptions::new()
                    .filename(path)
                    .busy_timeout(Duration::from_secs(30));
                let pool = SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(co)
                    .await?;
                let dest = dest.to_string_lossy().to_string();
                sqlx::query("VACUUM INTO $1")
                    .bind(dest)
                    .execute(&pool)
                    .await?;
                pool.close().await;
                Ok(())
            }
            Backend::Postgres(_) => Err(crate::StoreError::Invalid(
                "PostgreSQL 数据库请使用 pg_dump 备份（见 README）".into(),
            )),
        }
    }

    pub async fn close(&self) {
        match &self.backend {
            Backend::Sqlite { read, write, .. } => {
                read.close().await;
                write.close().await;
            }
            Backend::Postgres(p) => p.close().await,
        }
    }
}
