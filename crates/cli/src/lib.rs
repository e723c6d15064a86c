//! The `gongkai` command: configuration, wiring and subcommands. A library with a one-line
//! binary (`src/main.rs`), so that this code compiles alongside the web crate's code generation
//! instead of after it: a binary's compilation waits for every dependency to be complete.

mod backup;
mod bench;
mod bench_monitor;
mod bench_portal;
mod config;
mod demo;
mod demo_appraisals;
mod demo_cases;
mod demo_circulars;
mod demo_consultations;
mod demo_credit;
mod demo_inspections;
mod demo_items;
mod demo_letters;
mod demo_notices;
mod demo_reports;
mod demo_services;
mod demo_works;
mod import;
mod keys;

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use gongkai_domain::body::BodyInput;
use gongkai_domain::calendar::Calendar;
use gongkai_store::{Store, StoreOptions};

use crate::config::{Config, GlobalArgs};

#[derive(Parser)]
#[command(name = "gongkai", version, about = "Gongkai 政务公开平台")]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (runs pending migrations first).
    Serve {
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
        /// Create the demo county (示例县) if it is not there yet.
        #[arg(long)]
        demo: bool,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Accounts and bodies from the command line.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// The working-day calendar.
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// The audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// The publication ledger.
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// The statutory annual report (政府信息公开工作年度报告).
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Import a legacy catalogue.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Benchmarks at the stated scale.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Rebuild the full-text search index from the database (stop the server first).
    Reindex,
    /// Take a consistent online backup of a SQLite installation.
    Backup {
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Restore a backup into an empty data folder (given with --data).
    Restore { file: std::path::PathBuf },
    /// The report key that protects whistle-blowers' identities (举报).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Re-wrap every 举报 letter key under a new report key (stop the servers first, restart
    /// them afterwards). The old key is kept as `report.key.old-<time>` until you delete it.
    Rotate,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account; the password is read from standard input.
    CreateUser {
        /// The organisation code of the account's body.
        #[arg(long)]
        body: String,
        #[arg(long)]
        username: String,
        #[arg(long = "display-name", default_value = "")]
        display_name: String,
        /// Role granted on the body (repeatable): admin/管理员, editor/信息员, …
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Issue a staff API token for an office system (printed once; only its hash is kept). It
    /// acts as a new service account of the body, with only the token's roles.
    IssueToken {
        /// The organisation code of the token's body.
        #[arg(long)]
        body: String,
        /// What uses the token, e.g. "OA系统".
        #[arg(long)]
        name: String,
        /// The service account's user name (new).
        #[arg(long)]
        username: String,
        /// Role (repeatable): editor/信息员, reviewer/保密审查员, approver/审批领导, …
        #[arg(long = "role")]
        roles: Vec<String>,
    },
    /// Create a public body (the first one becomes the root of the tree).
    CreateBody {
        #[arg(long)]
        name: String,
        /// 人民政府, 部门, 乡镇, 街道, 社区, 村, 学校, 纪检监察机关, 其他 (or government, department, …)
        #[arg(long)]
        kind: String,
        /// 9-character 组织机构代码 or 18-character 统一社会信用代码.
        #[arg(long)]
        code: String,
        /// Organisation code of the parent body.
        #[arg(long)]
        parent: Option<String>,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Import a year in the holiday-cn JSON format.
    Import { file: std::path::PathBuf },
    /// Print the date of the N-th working day after DATE (DATE itself not counted).
    Add { date: String, n: u32 },
    /// Print whether DATE is a working day, and why.
    Check { date: String },
    /// List the loaded years.
    Years,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Items from a CSV or XLSX file with the catalogue's columns (机构代码, 栏目, 标题, 发文字号,
    /// 成文日期, 发布日期, 主题分类, 关键词, 内容概述, 正文, 公开范围, 有效性, 索引号), recorded as
    /// published on their original dates. Running it twice adds nothing.
    Items { file: std::path::PathBuf },
    /// 标准目录 rows (领域, 公开事项一级/二级, 公开内容（要素）, 公开依据, 公开时限, 公开主体,
    /// 公开渠道和载体, 公开对象, 公开方式, 公开层级) from CSV or XLSX.
    Standard { file: std::path::PathBuf },
    /// 双公示 decisions of one body (决定类别, 行政相对人名称, 行政相对人类别, 统一社会信用代码,
    /// 证件号码, 决定文书名称, 决定文书号, 决定内容, 依据, 罚款金额（元）, 决定日期 …) from CSV or
    /// XLSX, checked row by row as the form checks them. Nothing is written while a row has a
    /// problem unless --valid-rows is given; decisions already recorded are skipped.
    Credit(TableImport),
    /// Amounts collected by fee items (收费项目编码, 年度, 收取金额（元）) of one body.
    Fees(TableImport),
}

#[derive(Subcommand)]
enum ReportCommand {
    /// Write a body's report for a year (the tables counted from the records now, with the
    /// saved texts or a first draft; or the imported report of a year before the system).
    /// Exits 2 when cases block the report, its checks fail or its carry-over differs from last
    /// year's report (the file is still written).
    Annual {
        /// The body: its 机构代码 or its number.
        #[arg(long)]
        body: String,
        #[arg(long)]
        year: i32,
        /// html, xlsx, docx, pdf or json.
        #[arg(long)]
        format: String,
        #[arg(long)]
        out: std::path::PathBuf,
    },
    /// Import the report of a year before the system (our JSON, or an XLSX laid out like ours;
    /// 2019 and 2021 formats), so that the next year's carry-over and 五 can refer to it.
    Import {
        file: std::path::PathBuf,
        #[arg(long)]
        body: String,
        #[arg(long)]
        year: i32,
        /// The text of that report's section 五 (存在的主要问题及改进情况), if the file lacks it.
        #[arg(long, default_value = "")]
        problems: String,
    },
}

#[derive(clap::Args)]
struct TableImport {
    file: std::path::PathBuf,
    /// The body: its 机构代码 or its number.
    #[arg(long)]
    body: String,
    /// Import the rows without problems and report the others.
    #[arg(long, conflicts_with = "check")]
    valid_rows: bool,
    /// Check only; write nothing.
    #[arg(long)]
    check: bool,
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Generate realistic items and import them into a fresh database; prints items/second and
    /// peak memory. Uses a temporary SQLite database, or a fresh schema of --database-url.
    Import {
        #[arg(long, default_value_t = 100_000)]
        count: usize,
    },
    /// Generate applications across 200 bodies and time the due-soon list and the year's
    /// annual-report counts for one body.
    Cases {
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
    },
    /// Generate a year of items, applications and letters across a county's bodies and time the
    /// whole-county compliance monitor; checks its counts against what was generated.
    Monitor {
        #[arg(long, default_value_t = 200)]
        bodies: u32,
        #[arg(long, default_value_t = 1_000_000)]
        items: usize,
        #[arg(long, default_value_t = 1_000_000)]
        applications: usize,
        #[arg(long, default_value_t = 100_000)]
        letters: usize,
    },
    /// Generate published items across 200 bodies, time a full reindex, search latency and
    /// recall, then load `gongkai serve` on that data with wrk (item, catalogue and search pages)
    /// beside nginx serving a static copy of an item page.
    Portal {
        #[arg(long, default_value_t = 1_000_000)]
        count: usize,
        /// Seconds of each wrk run.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 64)]
        connections: u32,
        /// Keep the generated installation in this folder, and reuse it when it holds one
        /// from an earlier run (same database kind): the HTTP figures without regenerating.
        #[arg(long)]
        keep: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Re-check the chain, the signed checkpoints and the stored content; exits non-zero naming
    /// the first mismatch.
    Verify,
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Re-check the hash chain; exits non-zero naming the first bad entry.
    Verify,
}

/// The command line: parse the arguments, run the command, report an error in Chinese.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("无法启动运行时：{e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Open the installation's database. Only commands that set up an installation (`serve`,
/// `migrate`, `admin create-body`) create a missing SQLite file; the others refuse, so a mistyped
/// `--data` is reported instead of silently working on an empty database.
/// The PostgreSQL database a benchmark uses (a fresh schema of it), if one is configured;
/// otherwise benchmarks use SQLite in a temporary folder.
fn bench_database_url(cli: &Cli, cfg: &Config) -> Option<String> {
    cli.global
        .database_url
        .clone()
        .or(Some(cfg.database.url.clone()).filter(|u| u.starts_with("postgres")))
}

/// Open the search index of this installation.
fn open_search(
    cfg: &Config,
    opts: gongkai_search::WriterOptions,
) -> anyhow::Result<gongkai_search::SearchIndex> {
    Ok(gongkai_search::SearchIndex::open(&cfg.search_dir(), opts)?)
}

async fn open_store(cfg: &Config) -> anyhow::Result<Store> {
    open_store_with(cfg, false).await
}

async fn open_store_with(cfg: &Config, create: bool) -> anyhow::Result<Store> {
    let url = cfg.database_url();
    let store = Store::connect(
        &url,
        &StoreOptions {
            max_connections: cfg.database.max_connections,
            pg_schema: Some(cfg.database.schema.trim().to_string()).filter(|s| !s.is_empty()),
            create,
        },
    )
    .await
    .with_context(|| format!("无法打开数据库 {}", redact(&url)))?;
    store.migrate().await.context("数据库迁移失败")?;
    Ok(store)
}

/// Hide a password in a database URL before printing it.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

fn parse_date(s: &str) -> anyhow::Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("日期格式应为 YYYY-MM-DD：{s}"))
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let cfg = Config::load(&cli.global)?;
    match cli.command {
        Command::Serve { listen, demo } => {
            init_tracing();
            // Listen for signals before announcing the address, so a stop right after start is
            // still a clean shutdown.
            let shutdown = shutdown_signal()?;
            let store = open_store_with(&cfg, true).await?;
            store.ensure_catalogues().await?;
            if demo {
                demo::seed(&store).await?;
                let n = demo_items::seed(&store, &cfg.blob_store()?).await?;
                if n > 0 {
                    println!("已创建示例公开信息：{n}条（含草稿、待审查和待审批的信息）。");
                }
                let seal = load_or_create_seal_key(&cfg.server.data_dir)?;
                let report_keys = keys::open_report_keys(&store, &cfg.server.data_dir).await?;
                if let Some(rk) = report_keys.first() {
                    let n = demo_letters::seed(&store, &seal, rk).await?;
                    if n > 0 {
                        println!(
                            "已创建示例信箱和来信：{n}封（含待受理、办理中、待审核、已答复、选登、超期督办和一件举报）。"
                        );
                    }
                }
                let n =
                    demo_credit::seed(&store, &seal, gongkai_web::handlers::admin::today()).await?;
                if n > 0 {
                    println!(
                        "已创建示例双公示决定：{n}件（含按时和逾期公示、待公示、隐名处理、依法不公示、撤销公示和公示期满）。"
                    );
                }
                let n = demo_services::seed(&store, gongkai_web::handlers::admin::today()).await?;
                if n > 0 {
                    println!(
                        "已创建示例权责清单事项：{n}项（含本年调整、取消和下放的事项）和收费项目。"
                    );
                }
                let n = demo_cases::seed(&store, &seal).await?;
                if n > 0 {
                    println!(
                        "已创建示例政府信息公开申请：{n}件（含补正、征求意见、延期、收费和多种答复）。"
                    );
                }
                let n = demo_notices::seed(&store, gongkai_web::handlers::admin::today()).await?;
                if n > 0 {
                    println!(
                        "已创建示例公示：{n}条（含公示中可提出异议的评优结果和已期满的村务公示）。"
                    );
                }
                let n =
                    demo_consultations::seed(&store, &seal, gongkai_web::handlers::admin::today())
                        .await?;
                if n > 0 {
                    println!(
                        "已创建示例征求意见：{n}件（含正在征求意见的草案和已公布意见采纳情况、形成正式文件的方案）。"
                    );
                }
                let n = demo_circulars::seed(&store, gongkai_web::handlers::admin::today()).await?;
                if n > 0 {
                    println!(
                        "已发送示例内部文件：{n}件（含部分人员已读、未读人员已催阅的会议纪要）。"
                    );
                }
                let n = demo_works::seed(&store, gongkai_web::handlers::admin::today()).await?;
                if n > 0 {
                    println!(
                        "已创建示例重点工作和承诺事项：{n}件（含有超期环节的办实事项目和已办结的项目）。"
                    );
                }
                let n = demo_inspections::seed(
                    &store,
                    &store.load_calendar().await?,
                    gongkai_web::handlers::admin::today(),
                )
                .await?;
                if n > 0 {
                    println!(
                        "已创建示例监督检查：按考核细则评分的季度专项检查，整改事项{n}项（含已验收、待验收和超期的整改），以及本季度的政务公开工作简报草稿。"
                    );
                }
                let n = demo_appraisals::seed(&store, &seal, gongkai_web::handlers::admin::today())
                    .await?;
                if n > 0 {
                    println!(
                        "已发布县政府的数据图表，并开展示例民主评议：收到评议{n}份（两个单位已达公布份数，一个单位未达）。"
                    );
                }
                let n = demo_reports::seed(&store, gongkai_web::handlers::admin::today()).await?;
                if n > 0 {
                    println!("已编制并公开上一年度政府信息公开工作年度报告：{n}份。");
                }
            }
            let calendar = store.load_calendar().await?;
            let mut web = cfg.web_config()?;
            if demo && web.site_name == config::ServerConfig::default().site_name {
                web.site_name = "示例县人民政府 政府信息公开".into();
            }
            let key = load_or_create_ledger_key(&cfg.server.data_dir)?;
            seal_totp_secrets(&store, &cfg.server.data_dir).await?;
            let mut state =
                gongkai_web::AppState::new(store.clone(), web, calendar, cfg.blob_store()?)
                    .with_ledger_key(key)
                    .with_seal_key(load_or_create_seal_key(&cfg.server.data_dir)?)
                    .with_report_keys(keys::open_report_keys(&store, &cfg.server.data_dir).await?);
            let font_dir = cfg.reports.font_dir.clone();
            match tokio::task::spawn_blocking(move || gongkai_reports::Renderer::new(font_dir))
                .await?
            {
                Ok(r) => {
                    tracing::info!(fonts = %r.describe(), "PDF 输出已就绪");
                    state = state.with_reports(std::sync::Arc::new(r));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "PDF 输出不可用（打印公示单将返回 503）");
                    eprintln!("警告：{e}；打印公示单（PDF）暂不可用。");
                }
            }
            if let Ok(h) = metrics_exporter_prometheus::PrometheusBuilder::new().install_recorder()
            {
                state = state.with_metrics(h);
            }
            let index = open_search(&cfg, gongkai_search::WriterOptions::default())?;
            if index.applied_seq()?.is_none() {
                println!("搜索索引为空，正在后台从数据库建立（期间搜索结果不完整）。");
            }
            state = state.with_search(
                index,
                std::time::Duration::from_millis(cfg.search.follow_interval_ms.max(50)),
            );
            spawn_calendar_refresh(state.clone());
            spawn_scheduled_publishing(state.clone());
            spawn_letter_escalation(state.clone());
            spawn_dashboard_warming(state.clone());
            spawn_item_page_fill(state.clone());
            let addr = listen.unwrap_or(cfg.server.listen.clone());
            let listener = tokio::net::TcpListener::bind(&addr)
                .await
                .with_context(|| format!("无法监听 {addr}"))?;
            let local = listener.local_addr()?;
            println!(
                "Gongkai 已启动：http://{local}/ （数据库：{}）",
                store.backend_name()
            );
            gongkai_web::serve(state, listener, shutdown).await?;
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys {
            command: KeysCommand::Rotate,
        } => {
            let store = open_store(&cfg).await?;
            let (n, old) = keys::rotate(&store, &cfg.server.data_dir).await?;
            println!(
                "已更换举报密钥：{n}件举报的密钥已用新密钥重新加密。原密钥保存为 {}，确认无误并备份后可删除；请重启服务。",
                old.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let store = open_store_with(&cfg, true).await?;
            seal_totp_secrets(&store, &cfg.server.data_dir).await?;
            println!("数据库已是最新结构（{}）", store.backend_name());
            Ok(ExitCode::SUCCESS)
        }
        Command::Admin { command } => admin(&cfg, command).await,
        Command::Calendar { command } => calendar(&cfg, command).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let store = open_store(&cfg).await?;
            match store.verify_audit().await? {
                Ok(r) => {
                    println!("审计日志完整：共{}条记录，哈希链校验通过。", r.checked);
                    Ok(ExitCode::SUCCESS)
                }
                Err(b) => {
                    eprintln!("{b}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Ledger {
            command: LedgerCommand::Verify,
        } => {
            let store = open_store(&cfg).await?;
            let blobs = cfg.blob_store()?;
            match store.verify_ledger().await? {
                Ok(n) => {
                    // The stored files must still be exactly what was published.
                    for (seq, index_no, name, sha) in store.ledger_attachments().await? {
                        let ok = blobs.hash_of_stored(&sha).await.as_deref() == Some(sha.as_str());
                        if !ok {
                            eprintln!(
                                "公开台账第{seq}条记录异常：{index_no} 的附件“{name}”缺失或已被修改"
                            );
                            return Ok(ExitCode::FAILURE);
                        }
                    }
                    println!("公开台账完整：共{n}条记录，哈希链、签名检查点和已发布内容校验通过。");
                    Ok(ExitCode::SUCCESS)
                }
                Err(b) => {
                    eprintln!("{b}");
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        Command::Import {
            command: ImportCommand::Items { file },
        } => {
            let store = open_store(&cfg).await?;
            let rows = import::read_table(
                &file,
                import::ITEM_COLUMNS,
                &["org_code", "title", "published_on"],
            )?;
            let n = rows.len();
            let (valid, problems) =
                import::validate(&store, rows, gongkai_web::handlers::admin::today()).await?;
            for p in &problems {
                eprintln!("第{}行 {}：{}", p.row, p.field, p.message);
            }
            let out = import::import(&store, &valid, &Who::cli(), true).await?;
            println!(
                "共{n}行：导入{}条，已存在跳过{}条，有问题{}行{}",
                out.inserted,
                out.skipped,
                problems.len(),
                if problems.is_empty() {
                    ""
                } else {
                    "（见上方报告）"
                }
            );
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Import {
            command: ImportCommand::Standard { file },
        } => {
            let store = open_store(&cfg).await?;
            let (rows, problems) = import::read_standard(&file)?;
            for p in &problems {
                eprintln!("第{}行 {}：{}", p.row, p.field, p.message);
            }
            let (inserted, skipped) = store.import_standard_rows(&rows, &Who::cli()).await?;
            println!(
                "标准目录：导入{inserted}条，已存在跳过{skipped}条，有问题{}行",
                problems.len()
            );
            Ok(if problems.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        Command::Report { command } => report_command(&cfg, command).await,
        Command::Import {
            command: ImportCommand::Credit(t),
        } => import_table(&cfg, gongkai_web::imports::ImportKind::Credit, t).await,
        Command::Import {
            command: ImportCommand::Fees(t),
        } => import_table(&cfg, gongkai_web::imports::ImportKind::FeeAmounts, t).await,
        Command::Bench {
            command: BenchCommand::Import { count },
        } => {
            let url = bench_database_url(&cli, &cfg);
            bench::bench_import(count, url).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Monitor {
                    bodies,
                    items,
                    applications,
                    letters,
                },
        } => {
            let url = bench_database_url(&cli, &cfg);
            bench_monitor::bench_monitor(
                bench_monitor::MonitorScale {
                    bodies,
                    items,
                    applications,
                    letters,
                },
                url,
            )
            .await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command: BenchCommand::Cases { count },
        } => {
            let url = bench_database_url(&cli, &cfg);
            bench::bench_cases(count, url).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench {
            command:
                BenchCommand::Portal {
                    count,
                    seconds,
                    connections,
                    ref keep,
                },
        } => {
            let url = bench_database_url(&cli, &cfg);
            bench_portal::bench_portal(count, url, seconds, connections, keep.clone()).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Reindex => {
            let store = open_store(&cfg).await?;
            let index = open_search(&cfg, gongkai_search::WriterOptions::bulk())?;
            let started = std::time::Instant::now();
            let bar = indicatif::ProgressBar::new(store.count_searchable().await? as u64);
            if let Ok(style) = indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} 条 · {per_sec} · 剩余 {eta}",
            ) {
                bar.set_style(style);
            }
            let n = index
                .rebuild(&store, |done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await?;
            bar.finish_and_clear();
            let caught = index.catch_up(&store).await?;
            println!(
                "搜索索引已重建：{n}条信息，用时 {:.1} 秒{}。",
                started.elapsed().as_secs_f64(),
                if caught > 0 {
                    format!("（另补入重建期间变更的{caught}条）")
                } else {
                    String::new()
                }
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Backup { out } => {
            let store = open_store(&cfg).await?;
            let m = backup::backup(&store, &cfg.server.data_dir, &out).await?;
            println!("备份完成：{}（{}个文件）", out.display(), m.files.len());
            Ok(ExitCode::SUCCESS)
        }
        Command::Restore { file } => {
            let n = backup::restore(&file, &cfg.server.data_dir)?;
            println!(
                "已恢复到 {}（{}个文件，校验通过）",
                cfg.server.data_dir.display(),
                n
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn init_tracing() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("GONGKAI_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("GONGKAI_LOG_FORMAT").is_ok_and(|v| v == "json");
    let b = tracing_subscriber::fmt().with_env_filter(filter);
    let _ = if json {
        b.json().try_init()
    } else {
        b.try_init()
    };
}

/// A key kept as base64 text in `path`, readable by its owner only: read it, or create it
/// (written with `create_new` and synced) on first start. `what` names it in the error for a
/// damaged file.
fn load_or_create_key<K>(
    path: &std::path::Path,
    what: &str,
    parse: impl Fn(&str) -> Option<K>,
    generate: impl Fn() -> K,
    encode: impl Fn(&K) -> String,
) -> anyhow::Result<K> {
    if path.exists() {
        let text = std::fs::read_to_string(path)?;
        return parse(&text).ok_or_else(|| anyhow::anyhow!("{what}文件 {} 已损坏", path.display()));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let key = generate();
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    use std::io::Write;
    let mut f = o.open(path)?;
    f.write_all(encode(&key).as_bytes())?;
    f.sync_all()?;
    Ok(key)
}

/// The installation's ledger signing key, `ledger.key` in the data folder. It is part of the
/// backup.
fn load_or_create_ledger_key(
    data_dir: &std::path::Path,
) -> anyhow::Result<gongkai_domain::ledger::LedgerKey> {
    use gongkai_domain::ledger::LedgerKey;
    load_or_create_key(
        &data_dir.join("ledger.key"),
        "台账签名密钥",
        LedgerKey::from_base64,
        LedgerKey::generate,
        LedgerKey::to_base64,
    )
}

/// The key that seals applicants' personal data, `secrets.key` in the data folder (part of the
/// backup). Without it the sealed values in the database cannot be read.
fn load_or_create_seal_key(
    data_dir: &std::path::Path,
) -> anyhow::Result<gongkai_domain::seal::SealKey> {
    use gongkai_domain::seal::SealKey;
    load_or_create_key(
        &data_dir.join("secrets.key"),
        "数据加密密钥",
        SealKey::from_base64,
        SealKey::generate,
        SealKey::to_base64,
    )
}

/// The body named on the command line: its 机构代码 or its number.
async fn body_arg(store: &Store, arg: &str) -> anyhow::Result<gongkai_store::bodies::Body> {
    match arg.trim().parse::<i64>() {
        Ok(id) => store.get_body(id).await.ok(),
        Err(_) => store.get_body_by_code(arg.trim()).await?,
    }
    .ok_or_else(|| anyhow::anyhow!("没有机构代码或编号为“{arg}”的机关"))
}

async fn report_command(cfg: &Config, command: ReportCommand) -> anyhow::Result<ExitCode> {
    use gongkai_web::annual::{self, Format};
    let store = open_store(cfg).await?;
    match command {
        ReportCommand::Annual {
            body,
            year,
            format,
            out,
        } => {
            let format = Format::parse(&format)
                .ok_or_else(|| anyhow::anyhow!("--format 须为 html、xlsx、docx、pdf 或 json"))?;
            let body = body_arg(&store, &body).await?;
            let c = annual::compute(&store, &body, year).await?;
            let renderer = if format == Format::Pdf {
                Some(
                    gongkai_reports::Renderer::new(&cfg.reports.font_dir)
                        .map_err(|e| anyhow::anyhow!("{e}"))?,
                )
            } else {
                None
            };
            let note = if c.source == "imported" {
                "系统启用前的报告（导入）"
            } else {
                ""
            };
            let bytes = annual::export(
                renderer.as_ref(),
                &c.report,
                format,
                &cfg.server.site_name,
                note,
            )
            .map_err(|e| anyhow::anyhow!(e))?;
            std::fs::write(&out, bytes)
                .map_err(|e| anyhow::anyhow!("无法写入 {}：{e}", out.display()))?;
            for b in &c.blockers {
                eprintln!("申请 {}：{}", b.number, b.problem);
            }
            for p in c.problems.iter().chain(&c.carry_over) {
                eprintln!("{p}");
            }
            let clean = c.blockers.is_empty() && c.problems.is_empty() && c.carry_over.is_empty();
            println!(
                "{}：已写入 {}{}",
                c.report.title(),
                out.display(),
                if clean {
                    String::new()
                } else {
                    format!(
                        "；{}件申请无法统计，{}项校验不符，{}项结转数与上年报告不一致",
                        c.blockers.len(),
                        c.problems.len(),
                        c.carry_over.len()
                    )
                }
            );
            Ok(if clean {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
        ReportCommand::Import {
            file,
            body,
            year,
            problems,
        } => {
            let body = body_arg(&store, &body).await?;
            if year >= chrono::Datelike::year(&gongkai_web::handlers::admin::today()) {
                anyhow::bail!("只能导入往年（本系统启用前）的年度报告");
            }
            let bytes = std::fs::read(&file)
                .map_err(|e| anyhow::anyhow!("无法读取 {}：{e}", file.display()))?;
            let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let (report, notes) = annual::read_import(name, &bytes, &body.name, year, &problems)
                .map_err(|e| anyhow::anyhow!(e))?;
            store
                .import_annual_report(body.id, &report, &Who::cli())
                .await?;
            for n in notes {
                eprintln!("{n}");
            }
            let checks = report.check();
            for p in &checks {
                eprintln!("{p}");
            }
            println!(
                "{}：已导入（{}）{}",
                report.title(),
                report.format,
                if checks.is_empty() {
                    "，表格校验通过".to_string()
                } else {
                    format!("，表格校验有{}项不符", checks.len())
                }
            );
            Ok(if checks.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            })
        }
    }
}

/// `gongkai import credit|fees`: the engine of the web form, with its report on stderr.
async fn import_table(
    cfg: &Config,
    kind: gongkai_web::imports::ImportKind,
    t: TableImport,
) -> anyhow::Result<ExitCode> {
    use gongkai_web::imports::{Context, Mode, run};
    let store = open_store(cfg).await?;
    let body = body_arg(&store, &t.body).await?;
    let bytes = std::fs::read(&t.file)
        .map_err(|e| anyhow::anyhow!("无法读取 {}：{e}", t.file.display()))?;
    let seal = load_or_create_seal_key(&cfg.server.data_dir)?;
    let calendar = store.load_calendar().await?;
    let cx = Context {
        store: &store,
        seal: &seal,
        calendar: &calendar,
        today: gongkai_web::handlers::admin::today(),
    };
    let mode = if t.check {
        Mode::Check
    } else if t.valid_rows {
        Mode::ValidRows
    } else {
        Mode::AllOrNothing
    };
    let name = t.file.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let report = run(&cx, kind, &body, name, &bytes, mode, &Who::cli()).await?;
    for p in &report.problems {
        eprintln!("第{}行 {}：{}", p.line, p.field, p.message);
    }
    println!("{}：{}{}", body.name, kind.label(), report.summary());
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Seal TOTP secrets stored in clear by earlier versions (once; later starts find none).
async fn seal_totp_secrets(store: &Store, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let key = load_or_create_seal_key(data_dir)?;
    let n = store
        .seal_totp_secrets(|s| key.seal(s))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if n > 0 {
        println!("已加密保存{n}个账号的二次验证密钥。");
    }
    Ok(())
}

/// Publish versions approved for a later time once it comes, and sign the ledger head.
fn spawn_scheduled_publishing(state: gongkai_web::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(20));
        loop {
            tick.tick().await;
            let today = gongkai_web::handlers::admin::today();
            match state
                .store
                .publish_due(gongkai_store::now_ms(), today)
                .await
            {
                Ok(n) if n > 0 => tracing::info!(published = n, "scheduled items published"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "scheduled publishing failed"),
            }
            if let Some(k) = &state.ledger_key
                && let Err(e) = state.store.checkpoint_ledger(k).await
            {
                tracing::error!(error = %e, "ledger checkpoint failed");
            }
        }
    });
}

/// 督办: letters past their due date are escalated to the body's leaders every 10 minutes; in
/// the same pass, 双公示 due dates waiting on a new year's calendar are filled in and records
/// whose display period has ended leave search and feeds, unread 内部文件 are reminded, and
/// steps of 重点工作 and rectifications that became overdue are recorded.
fn spawn_letter_escalation(state: gongkai_web::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            let today = gongkai_web::handlers::admin::today();
            if let Err(e) = state.store.fill_pending_due(&state.calendar()).await {
                tracing::error!(error = %e, "filling pending due dates failed");
            }
            match state.store.escalate_overdue(today).await {
                Ok(n) if n > 0 => tracing::info!(escalated = n, "overdue letters escalated"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "letter escalation failed"),
            }
            if let Err(e) = state.store.services_tick(today).await {
                tracing::error!(error = %e, "applying service item changes failed");
            }
            match state.store.notice_tick(today).await {
                Ok(n) if n > 0 => tracing::info!(settled = n, "公示 results recorded"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "recording 公示 results failed"),
            }
            match state.store.works_tick(today).await {
                Ok(n) if n > 0 => tracing::info!(overdue = n, "overdue work steps recorded"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "recording overdue work steps failed"),
            }
            match state.store.escalate_rectifications(today).await {
                Ok(n) if n > 0 => tracing::info!(overdue = n, "overdue rectifications recorded"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "recording overdue rectifications failed"),
            }
            match state.store.circular_tick(&state.calendar(), today).await {
                Ok(n) if n > 0 => tracing::info!(reminded = n, "unread circulars reminded"),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "reminding unread circulars failed"),
            }
            match state.store.credit_tick(&state.calendar(), today).await {
                Ok(t) if t.filled + t.expired > 0 => {
                    tracing::info!(filled = t.filled, expired = t.expired, "双公示 daily pass");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "双公示 daily pass failed"),
            }
        }
    });
}

/// The published dashboards of this year are counted ahead of their visitors (a county's year
/// is seconds of counting at scale), every [`gongkai_web::handlers::dashboards::WARM_EVERY`].
fn spawn_dashboard_warming(state: gongkai_web::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(gongkai_web::handlers::dashboards::WARM_EVERY);
        loop {
            tick.tick().await;
            let t = std::time::Instant::now();
            match gongkai_web::handlers::dashboards::warm(&state).await {
                Ok(n) if n > 0 => tracing::info!(
                    dashboards = n,
                    ms = t.elapsed().as_millis() as u64,
                    "published dashboards counted"
                ),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "counting the published dashboards failed"),
            }
        }
    });
}

/// Items without a current page row (a site upgraded in place, a bulk import by an older
/// version) get one, in the background after start-up; their pages are computed from the
/// tables until then.
fn spawn_item_page_fill(state: gongkai_web::AppState) {
    tokio::spawn(async move {
        let t = std::time::Instant::now();
        match state.store.fill_all_item_pages(500).await {
            Ok(n) if n > 0 => tracing::info!(
                rows = n,
                ms = t.elapsed().as_millis() as u64,
                "item page rows written"
            ),
            Ok(_) => {}
            Err(e) => tracing::error!(error = %e, "writing item page rows failed"),
        }
    });
}

/// Calendar years imported through the command line take effect without a restart.
fn spawn_calendar_refresh(state: gongkai_web::AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            if let Ok(c) = state.store.load_calendar().await
                && let Ok(mut w) = state.calendar.write()
            {
                *w = c;
            }
        }
    });
}

/// A future that resolves on Ctrl-C or SIGTERM. The SIGTERM handler is installed when this is
/// called, before the server announces its address.
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    Ok(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
        #[cfg(not(unix))]
        let _ = ctrl_c.await;
    })
}

async fn admin(cfg: &Config, command: AdminCommand) -> anyhow::Result<ExitCode> {
    let creates_installation = matches!(command, AdminCommand::CreateBody { parent: None, .. });
    let store = open_store_with(cfg, creates_installation).await?;
    match command {
        AdminCommand::CreateUser {
            body,
            username,
            display_name,
            roles,
        } => {
            let b = store
                .get_body_by_code(&body)
                .await?
                .ok_or_else(|| anyhow::anyhow!("找不到机构代码为 {body} 的机关"))?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| anyhow::anyhow!("未知角色：{r}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let mut password = String::new();
            std::io::stdin().read_to_string(&mut password)?;
            let password = password.lines().next().unwrap_or("").to_string();
            if let Err(p) = cfg.policy()?.check_new_password(&username, &password) {
                anyhow::bail!("密码不符合安全策略：{}", p.join("；"));
            }
            let hash = gongkai_domain::password::hash_password(&password)
                .map_err(|e| anyhow::anyhow!(e))?;
            let id = store
                .create_user(
                    &gongkai_store::users::NewUser {
                        body_id: b.id,
                        username: username.clone(),
                        display_name: if display_name.is_empty() {
                            username.clone()
                        } else {
                            display_name
                        },
                        password_hash: hash,
                        must_change_password: false,
                        roles,
                    },
                    &Who::cli(),
                )
                .await?;
            println!("已创建账号 {username}（编号 {id}），所属机关：{}", b.name);
        }
        AdminCommand::IssueToken {
            body,
            name,
            username,
            roles,
        } => {
            let b = store
                .get_body_by_code(&body)
                .await?
                .ok_or_else(|| anyhow::anyhow!("找不到机构代码为 {body} 的机关"))?;
            let roles = roles
                .iter()
                .map(|r| Role::parse(r).ok_or_else(|| anyhow::anyhow!("未知角色：{r}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            if let Some(r) = roles
                .iter()
                .find(|r| !gongkai_web::handlers::tokens::TOKEN_ROLES.contains(r))
            {
                anyhow::bail!("接口令牌不能带有角色“{}”", r.label());
            }
            let token = format!("gk_{}", gongkai_web::auth::random_token());
            let hash = gongkai_domain::password::hash_password(&gongkai_web::auth::random_token())
                .map_err(|e| anyhow::anyhow!(e))?;
            store
                .create_token(
                    &gongkai_store::tokens::NewToken {
                        name: name.clone(),
                        token_hash: gongkai_web::auth::sha256_hex(&token),
                        prefix: token.chars().take(10).collect(),
                        body_id: b.id,
                        roles,
                    },
                    &gongkai_store::tokens::ServiceAccount::New(gongkai_store::users::NewUser {
                        body_id: b.id,
                        username: username.clone(),
                        display_name: format!("接口服务账号（{name}）"),
                        // Nobody knows this password: the account signs in only by token.
                        password_hash: hash,
                        must_change_password: true,
                        roles: vec![],
                    }),
                    &Who::cli(),
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            // The token alone on standard output, for scripts; the rest on standard error.
            eprintln!(
                "已签发接口令牌“{name}”（服务账号 {username}，{}）。令牌只显示这一次：",
                b.name
            );
            println!("{token}");
        }
        AdminCommand::CreateBody {
            name,
            kind,
            code,
            parent,
        } => {
            let parent_id = match parent {
                Some(p) => Some(
                    store
                        .get_body_by_code(&p)
                        .await?
                        .ok_or_else(|| anyhow::anyhow!("找不到机构代码为 {p} 的上级机关"))?
                        .id,
                ),
                None => {
                    if !store.list_bodies().await?.is_empty() {
                        anyhow::bail!("已有顶级机关，请用 --parent 指定上级机关");
                    }
                    None
                }
            };
            let input = BodyInput {
                name,
                kind,
                org_code: code,
                parent_id,
                ..Default::default()
            };
            let fields = input.validate().map_err(|errs| {
                anyhow::anyhow!(
                    "{}",
                    errs.iter()
                        .map(|(_, m)| m.as_str())
                        .collect::<Vec<_>>()
                        .join("；")
                )
            })?;
            let id = store.create_body(&fields, &Who::cli()).await?;
            println!("已创建机关 {}（编号 {id}）", fields.name);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The calendar in force: the installation's, or the built-in years when there is no
/// installation yet (so `calendar add` works on any machine).
async fn load_calendar(cfg: &Config) -> anyhow::Result<Calendar> {
    let url = cfg.database_url();
    let missing_sqlite = !url.starts_with("postgres") && !std::path::Path::new(&url).exists();
    if missing_sqlite {
        return Ok(Calendar::builtin());
    }
    Ok(open_store(cfg).await?.load_calendar().await?)
}

async fn calendar(cfg: &Config, command: CalendarCommand) -> anyhow::Result<ExitCode> {
    match command {
        CalendarCommand::Import { file } => {
            let store = open_store_with(cfg, true).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("无法读取 {}", file.display()))?;
            let year = Calendar::parse_holiday_cn(&text)?;
            store.import_calendar_year(&year, &Who::cli()).await?;
            let off = year.days.values().filter(|d| d.off).count();
            println!(
                "已导入{}年日历：放假{}天，调休上班{}天",
                year.year,
                off,
                year.days.len() - off
            );
        }
        CalendarCommand::Add { date, n } => {
            let cal = load_calendar(cfg).await?;
            let d = parse_date(&date)?;
            println!("{}", cal.add_working_days(d, n)?);
        }
        CalendarCommand::Check { date } => {
            let cal = load_calendar(cfg).await?;
            println!("{}", cal.explain(parse_date(&date)?)?);
        }
        CalendarCommand::Years => {
            let cal = load_calendar(cfg).await?;
            for y in cal.years() {
                println!("{y}");
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
