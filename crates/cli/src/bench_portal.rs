//! `gongkai bench portal`: the public portal at the scale of a province. Generates published
//! items with realistic Chinese text across 200 bodies, rebuilds the search index (timed),
//! measures search latency and recall against substring truth, then starts `gongkai serve` on
//! the generated data and loads it with wrk (64 connections): item pages, catalogue pages and
//! search pages, beside nginx serving a saved copy of an item page as a static file.

use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gongkai_domain::audit::Who;
use gongkai_domain::disclosure::ItemInput;
use gongkai_search::{SearchIndex, SearchRequest, WriterOptions};
use rand::{Rng, SeedableRng};

use crate::bench::{BenchInstallation, KINDS, MATTERS, PLACES, TextGen, peak_memory_mib};

/// Words of the generated text that make good queries besides places, matters and kinds.
const WORDS: &[&str] = &[
    "资金",
    "公示",
    "整改",
    "责任",
    "群众",
    "财政",
    "方案",
    "通知",
    "办公地址",
    "领导小组",
    "完成率",
    "专款专用",
    "人民政府",
    "上级部署",
    "合法权益",
    "排查",
    "异议",
    "追究",
    "低保",
    "防火",
    "危房",
    "招生",
    "抽检",
    "督察",
    "补贴",
    "养老",
    "垃圾",
    "疫苗",
    "河长",
    "耕地",
];

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let k = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[k.min(sorted.len() - 1)]
}

/// One- to three-word queries drawn from the corpus vocabulary.
fn queries(n: usize, seed: u64) -> Vec<String> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let pools: [&[&str]; 4] = [PLACES, MATTERS, KINDS, WORDS];
    (0..n)
        .map(|_| {
            let words = rng.gen_range(1..=3);
            (0..words)
                .map(|_| {
                    let pool = pools[rng.gen_range(0..pools.len())];
                    pool[rng.gen_range(0..pool.len())].to_string()
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

/// Seconds of each load's cold start, run before its measured run.
const WARM_SECS: u64 = 10;

struct Wrk {
    rps: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: String,
}

fn ms(v: &str) -> f64 {
    let v = v.trim();
    let (num, unit) = v.split_at(v.find(|c: char| c.is_alphabetic()).unwrap_or(v.len()));
    let x: f64 = num.parse().unwrap_or(0.0);
    match unit {
        "us" => x / 1000.0,
        "ms" => x,
        "s" => x * 1000.0,
        "m" => x * 60_000.0,
        _ => x,
    }
}

fn run_wrk(url: &str, script: Option<&Path>, secs: u64, conns: u32) -> anyhow::Result<Wrk> {
    let mut c = Command::new("wrk");
    c.args([
        "-t2",
        &format!("-c{conns}"),
        &format!("-d{secs}s"),
        "--latency",
        "--timeout",
        "10s",
    ]);
    if let Some(s) = script {
        c.arg("-s").arg(s);
    }
    let out = c.arg(url).output()?;
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    let mut w = Wrk {
        rps: 0.0,
        p50_ms: 0.0,
        p99_ms: 0.0,
        errors: String::new(),
    };
    for line in text.lines() {
        let t = line.trim();
        if let Some(v) = t.strip_prefix("Requests/sec:") {
            w.rps = v.trim().parse().unwrap_or(0.0);
        } else if let Some(v) = t.strip_prefix("50%") {
            w.p50_ms = ms(v);
        } else if let Some(v) = t.strip_prefix("99%") {
            w.p99_ms = ms(v);
        } else if t.starts_with("Non-2xx") || t.starts_with("Socket errors") {
            w.errors.push_str(t);
            w.errors.push(' ');
        }
    }
    if w.rps == 0.0 {
        anyhow::bail!(
            "wrk gave no figures: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(w)
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn dir_size(p: &Path) -> u64 {
    std::fs::read_dir(p)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter_map(|e| e.metadata().ok())
                .filter(|m| m.is_file())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0)
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_ready(base: &str) -> anyhow::Result<()> {
    let c = reqwest_lite(base);
    for _ in 0..600 {
        if c.await_ok("/healthz").await {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    anyhow::bail!("the server did not become ready at {base}")
}

/// A minimal HTTP/1.1 GET over TCP (the CLI has no HTTP client dependency).
struct Lite {
    base: String,
}

fn reqwest_lite(base: &str) -> Lite {
    Lite {
        base: base.to_string(),
    }
}

impl Lite {
    async fn get(&self, path: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut s = tokio::net::TcpStream::connect(host).await?;
        s.write_all(
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .await?;
        let mut buf = Vec::new();
        s.read_to_end(&mut buf).await?;
        let head_end = buf
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .ok_or_else(|| anyhow::anyhow!("bad answer"))?;
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        let status = head
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        let mut body = buf[head_end + 4..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            body = dechunk(&body);
        }
        Ok((status, body))
    }

    async fn await_ok(&self, path: &str) -> bool {
        matches!(self.get(path).await, Ok((200, _)))
    }
}

fn dechunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(nl) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..nl]).trim(), 16).unwrap_or(0);
        if size == 0 || b.len() < nl + 2 + size {
            break;
        }
        out.extend_from_slice(&b[nl + 2..nl + 2 + size]);
        b = &b[(nl + 2 + size + 2).min(b.len())..];
    }
    out
}

#[allow(clippy::too_many_lines)]
pub async fn bench_portal(
    count: usize,
    database_url: Option<String>,
    secs: u64,
    conns: u32,
    keep: Option<std::path::PathBuf>,
) -> anyhow::Result<()> {
    let mut o = std::io::stdout();
    let command = format!(
        "gongkai bench portal --count {count} --seconds {secs} --connections {conns}{}",
        database_url
            .as_ref()
            .map(|_| " --database-url …")
            .unwrap_or("")
    );
    writeln!(o, "{command}")?;
    let inst = BenchInstallation::new_in(
        &database_url,
        "BP",
        200,
        keep.as_deref(),
        &format!("portal --count {count}"),
    )
    .await?;
    let store = &inst.store;
    writeln!(o, "  backend:                {}", store.backend_name())?;
    let index_dir = inst.tmp.path().join("search");
    let inserted = if inst.reused {
        let n = store.count_public(&Default::default()).await? as usize;
        writeln!(
            o,
            "  reused:                 {n} published items generated by an earlier run in {}",
            inst.tmp.path().display()
        )?;
        // An index of another schema version was emptied on opening: build it again.
        let empty = SearchIndex::open(&index_dir, WriterOptions::default())?.num_docs() == 0;
        if empty {
            reindex(store, &index_dir).await?;
        }
        // Data generated by a version without page rows gets them, as `serve` does on start-up.
        let t = std::time::Instant::now();
        let rows = store.fill_all_item_pages(1000).await?;
        if rows > 0 {
            writeln!(
                o,
                "  page rows written:      {rows} in {:.0} s",
                t.elapsed().as_secs_f64()
            )?;
        }
        n
    } else {
        generate(&inst, count, &index_dir).await?
    };
    measure(&inst, inserted, &index_dir, secs, conns).await
}

/// Generate `count` items across the installation's bodies, then rebuild the search index
/// (both timed and printed).
async fn generate(
    inst: &BenchInstallation,
    count: usize,
    index_dir: &Path,
) -> anyhow::Result<usize> {
    let mut o = std::io::stdout();
    let store = &inst.store;
    store.ensure_catalogues().await?;
    let who = Who::system();
    let user = store
        .create_user(
            &gongkai_store::users::NewUser {
                body_id: inst.bodies[0].0,
                username: "bench".into(),
                display_name: "基准".into(),
                password_hash: "x".into(),
                must_change_password: true,
                roles: vec![],
            },
            &who,
        )
        .await?;
    let author = Who {
        user_id: Some(user),
        name: "bench".into(),
        ip: "bench".into(),
    };
    // A leaf category per body.
    let mut cats = Vec::new();
    for (id, _) in &inst.bodies {
        let cs = store.list_categories(*id).await?;
        let leaves: Vec<i64> = cs
            .iter()
            .filter(|c| c.parent_id.is_some())
            .map(|c| c.id)
            .collect();
        cats.push(leaves);
    }
    // 1. Items.
    let t0 = Instant::now();
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default();
    let mut g = TextGen::new(4242);
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let mut batch = Vec::with_capacity(1000);
    let mut inserted = 0usize;
    for i in 0..count {
        let b = i % inst.bodies.len();
        let d = g.date();
        let title = format!("{}（第{}号）", g.title(), i + 1);
        let body = g.body();
        let fields = ItemInput {
            title,
            doc_no: if i % 3 == 0 {
                format!("示基发〔{}〕{}号", chrono::Datelike::year(&d), i % 900 + 1)
            } else {
                String::new()
            },
            formed_on: d.to_string(),
            subject: "综合政务".into(),
            scope: "public".into(),
            body_md: body,
            ..Default::default()
        }
        .validate(today)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let leaves = &cats[b];
        batch.push(gongkai_store::disclosure::ImportRow {
            body_id: inst.bodies[b].0,
            org_code: inst.bodies[b].1.clone(),
            category_id: leaves[rng.gen_range(0..leaves.len())],
            index_no: None,
            fields,
            published_on: d,
            validity: if i % 10 == 0 {
                "repealed".into()
            } else {
                "valid".into()
            },
            validity_date: None,
        });
        if batch.len() == 1000 {
            inserted += store.import_published(&batch, &author).await?.inserted;
            batch.clear();
            // PostgreSQL plans the page-row refresh of each import from the tables' statistics;
            // on tables that were empty when last analysed it chose plans that made the first
            // 100,000 items take seven times as long as the next. Autovacuum analyses a live
            // site's growing tables; here that is done at once, at the first orders of size.
            if let gongkai_store::Backend::Postgres(p) = &store.backend
                && matches!(inserted, 1_000 | 10_000 | 100_000)
            {
                analyze_schema(p, "ANALYZE").await?;
            }
            if inserted.is_multiple_of(100_000) {
                eprintln!("  … {inserted} items ({:.0} s)", t0.elapsed().as_secs_f64());
            }
        }
    }
    if !batch.is_empty() {
        inserted += store.import_published(&batch, &author).await?.inserted;
    }
    let gen_s = t0.elapsed().as_secs_f64();
    if let gongkai_store::Backend::Sqlite { write, .. } = &store.backend {
        sqlx::query("ANALYZE").execute(write).await?;
    }
    // What autovacuum does on a live site long before a crawler arrives (it vacuums insert-only
    // tables too): statistics, and the tables' visibility map and hint bits set, so the first
    // read of each freshly written row does not dirty its page and write it out again.
    if let gongkai_store::Backend::Postgres(p) = &store.backend {
        analyze_schema(p, "VACUUM (ANALYZE)").await?;
    }
    writeln!(
        o,
        "  generated + stored:     {inserted} published items, 200 bodies, in {gen_s:.0} s"
    )?;

    // 2. Full reindex.
    reindex(store, index_dir).await?;
    inst.mark_complete()?;
    Ok(inserted)
}

/// Run `command` (`ANALYZE`, `VACUUM (ANALYZE)`) on every table of the benchmark's schema.
async fn analyze_schema(p: &sqlx::PgPool, command: &str) -> anyhow::Result<()> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
    )
    .fetch_all(p)
    .await?;
    for t in tables {
        let sql = format!("{command} \"{}\"", t.replace('"', "\"\""));
        sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
    }
    Ok(())
}

/// Rebuild the search index from the store, timed and printed.
async fn reindex(store: &gongkai_store::Store, index_dir: &Path) -> anyhow::Result<()> {
    let mut o = std::io::stdout();
    let index = SearchIndex::open(index_dir, WriterOptions::bulk())?;
    let t1 = Instant::now();
    let n = index
        .rebuild(store, |done, total| {
            if done % 100_000 < 2000 {
                eprintln!("  … indexed {done}/{total}");
            }
        })
        .await?;
    let reindex_s = t1.elapsed().as_secs_f64();
    writeln!(
        o,
        "  full reindex:           {n} items in {reindex_s:.0} s ({:.0} items/s), index {:.0} MiB, bench process peak {:.0} MiB",
        n as f64 / reindex_s.max(1e-9),
        dir_size(index_dir) as f64 / 1048576.0,
        peak_memory_mib()
    )?;
    Ok(())
}

/// Search latency and recall in the index, then the real server under load.
async fn measure(
    inst: &BenchInstallation,
    inserted: usize,
    index_dir: &Path,
    secs: u64,
    conns: u32,
) -> anyhow::Result<()> {
    let mut o = std::io::stdout();
    let store = &inst.store;
    let index = SearchIndex::open(index_dir, WriterOptions::default())?;

    // 3. Search latency in the index (parse + search + count, top 20 by relevance).
    let qs = queries(2000, 7);
    let mut lat = Vec::with_capacity(qs.len());
    let mut total_hits = 0usize;
    for q in &qs {
        let t = Instant::now();
        let clauses = gongkai_search::parse_query(q)?;
        let h = index.search(&SearchRequest {
            clauses,
            limit: 20,
            ..Default::default()
        })?;
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        total_hits += h.total;
    }
    lat.sort_by(f64::total_cmp);
    writeln!(
        o,
        "  search (in index):      {} queries of 1–3 words: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (mean {:.0} hits)",
        qs.len(),
        percentile(&lat, 0.5),
        percentile(&lat, 0.99),
        lat.last().copied().unwrap_or(0.0),
        total_hits as f64 / qs.len() as f64
    )?;

    // 4. Recall against substring truth over the whole corpus.
    let rq: Vec<(String, Vec<gongkai_search::Clause>)> = queries(60, 11)
        .into_iter()
        .chain(
            // Two-character pieces that cross jieba's word boundaries, and single characters.
            [
                "场监",
                "保资",
                "镇人",
                "河",
                "桥",
                "庆",
                "园区 防汛",
                "农田建",
            ]
            .iter()
            .map(|s| s.to_string()),
        )
        .filter_map(|q| gongkai_search::parse_query(&q).ok().map(|c| (q, c)))
        .collect();
    let mut truth: Vec<std::collections::HashSet<i64>> = vec![Default::default(); rq.len()];
    let mut after = 0;
    loop {
        let page = store.search_docs_page(after, 5000).await?;
        let Some(last) = page.last() else { break };
        after = last.id;
        for d in &page {
            let text = format!(
                "{} {}\n{}\n{}\n{}\n{}\n{}",
                d.title,
                d.doc_no,
                d.subject,
                d.keywords,
                d.summary,
                gongkai_search::text::plain(&d.body_md),
                d.attachment_text
            );
            let hay = gongkai_search::text::prepare(&text);
            for (k, (_, c)) in rq.iter().enumerate() {
                if gongkai_search::text::contains_all_prepared(&hay, c) {
                    truth[k].insert(d.id);
                }
            }
        }
    }
    let (mut want, mut got) = (0usize, 0usize);
    for (k, (_, c)) in rq.iter().enumerate() {
        let found: std::collections::HashSet<i64> = index
            .all_ids(&SearchRequest {
                clauses: c.clone(),
                ..Default::default()
            })?
            .into_iter()
            .collect();
        want += truth[k].len();
        got += truth[k].intersection(&found).count();
    }
    writeln!(
        o,
        "  recall vs substring:    {:.4} ({got} of {want} matching documents over {} queries)",
        if want == 0 {
            1.0
        } else {
            got as f64 / want as f64
        },
        rq.len()
    )?;
    let (first_id, last_id): (i64, i64) = {
        let page = store.search_docs_page(0, 1).await?;
        let first = page.first().map_or(1, |d| d.id);
        (first, first + inserted as i64 - 1)
    };
    drop(index);

    // 5. The real server on this data, under load.
    let wrk_ok = Command::new("wrk").arg("--version").output().is_ok();
    if !wrk_ok {
        writeln!(
            o,
            "  wrk not found: install it (apt-get install wrk) for the HTTP figures"
        )?;
        inst.clean_up().await;
        return Ok(());
    }
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let exe = std::env::current_exe()?;
    let mut cmd = Command::new(exe);
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data")
        .arg(inst.tmp.path())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let (Some(url), Some(schema)) = (&inst.database_url, &inst.pg_schema) {
        cmd.env("GONGKAI__DATABASE__URL", url)
            .env("GONGKAI__DATABASE__SCHEMA", schema);
    }
    let server = Killed(cmd.spawn()?);
    let pid = server.0.id();
    wait_ready(&base).await?;
    let lite = reqwest_lite(&base);
    // Scripts: random items, random bodies' catalogue pages (first and last), random queries.
    let dir = inst.tmp.path();
    let item_lua = dir.join("item.lua");
    std::fs::write(
        &item_lua,
        format!(
            "math.randomseed(os.time())\nrequest = function()\n  return wrk.format(\"GET\", \"/items/\" .. math.random({first_id}, {last_id}))\nend\n"
        ),
    )?;
    let body_ids: Vec<String> = inst.bodies.iter().map(|(id, _)| id.to_string()).collect();
    let cat_lua = dir.join("catalogue.lua");
    std::fs::write(
        &cat_lua,
        format!(
            "math.randomseed(os.time())\nlocal b = {{{}}}\nrequest = function()\n  local id = b[math.random(1, #b)]\n  if math.random(1, 2) == 1 then return wrk.format(\"GET\", \"/bodies/\" .. id .. \"/catalogue\") end\n  return wrk.format(\"GET\", \"/bodies/\" .. id .. \"/catalogue?last=1\")\nend\n",
            body_ids.join(",")
        ),
    )?;
    let search_q: Vec<String> = queries(500, 13)
        .into_iter()
        .map(|q| {
            format!(
                "\"{}\"",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            )
        })
        .collect();
    let search_lua = dir.join("search.lua");
    std::fs::write(
        &search_lua,
        format!(
            "math.randomseed(os.time())\nlocal q = {{{}}}\nrequest = function()\n  return wrk.format(\"GET\", \"/search?q=\" .. q[math.random(1, #q)])\nend\n",
            search_q.join(",")
        ),
    )?;
    // Warm up the caches a little.
    for id in first_id..first_id + 200 {
        let _ = lite.get(&format!("/items/{id}")).await;
    }
    let hot_id = first_id + 12345 % inserted.max(1) as i64;
    let hot = run_wrk(&format!("{base}/items/{hot_id}"), None, secs, conns)?;
    // Each load first runs WARM_SECS from where the previous one left the caches (reported on
    // its own line: the cold start), then the measured run.
    let item_cold = run_wrk(&base, Some(&item_lua), WARM_SECS, conns)?;
    let item = run_wrk(&base, Some(&item_lua), secs, conns)?;
    let cat_cold = run_wrk(&base, Some(&cat_lua), WARM_SECS, conns)?;
    let cat = run_wrk(&base, Some(&cat_lua), secs, conns)?;
    let search_cold = run_wrk(&base, Some(&search_lua), WARM_SECS, conns)?;
    let search = run_wrk(&base, Some(&search_lua), secs, conns)?;
    let server_peak = crate::bench::peak_memory_mib_of(&pid.to_string());
    let server_anon = crate::bench::anon_memory_mib_of(&pid.to_string());
    // nginx serving a saved copy of one item page.
    let (status, saved) = lite
        .get(&format!(
            "/items/{}",
            first_id + 12345 % inserted.max(1) as i64
        ))
        .await?;
    let nginx = if status == 200 && Command::new("nginx").arg("-v").output().is_ok() {
        let root = dir.join("static");
        std::fs::create_dir_all(&root)?;
        std::fs::write(root.join("item.html"), &saved)?;
        let nport = free_port()?;
        let conf = dir.join("nginx.conf");
        std::fs::write(
            &conf,
            format!(
                "daemon off;\nworker_processes 2;\npid {p}/nginx.pid;\nerror_log {p}/nginx-error.log;\nevents {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {p};\n  proxy_temp_path {p};\n  fastcgi_temp_path {p};\n  uwsgi_temp_path {p};\n  scgi_temp_path {p};\n  server {{ listen 127.0.0.1:{nport}; root {r}; default_type text/html; }}\n}}\n",
                p = dir.display(),
                r = root.display()
            ),
        )?;
        let ng = Killed(
            Command::new("nginx")
                .arg("-c")
                .arg(&conf)
                .arg("-p")
                .arg(dir)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()?,
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let r = run_wrk(
            &format!("http://127.0.0.1:{nport}/item.html"),
            None,
            secs,
            conns,
        )
        .ok();
        drop(ng);
        r
    } else {
        None
    };
    drop(server);
    writeln!(
        o,
        "  HTTP, wrk -t2 -c{conns} -d{secs}s on loopback (server, wrk and nginx share this machine's cores):"
    )?;
    let line = |name: &str, w: &Wrk| {
        format!(
            "    {name:<34} {:>8.0} req/s   p50 {:>6.2} ms   p99 {:>6.2} ms {}",
            w.rps, w.p50_ms, w.p99_ms, w.errors
        )
    };
    writeln!(o, "{}", line("item page (one page, as nginx's)", &hot))?;
    writeln!(o, "{}", line("item page (random of all items)", &item))?;
    writeln!(o, "{}", line("catalogue page (first/last page)", &cat))?;
    writeln!(o, "{}", line("search page (1–3 words)", &search))?;
    writeln!(
        o,
        "    the first {WARM_SECS} s of each, from the caches the previous load left (not in the figures above):"
    )?;
    writeln!(
        o,
        "{}",
        line("  item page (random), cold start", &item_cold)
    )?;
    writeln!(o, "{}", line("  catalogue page, cold start", &cat_cold))?;
    writeln!(o, "{}", line("  search page, cold start", &search_cold))?;
    match &nginx {
        Some(n) => {
            writeln!(o, "{}", line("nginx, static copy of an item page", n))?;
            writeln!(
                o,
                "    dynamic item page / nginx static:  {:.0}% (same page), {:.0}% (random items) of nginx's throughput ({} bytes page)",
                100.0 * hot.rps / n.rps.max(1e-9),
                100.0 * item.rps / n.rps.max(1e-9),
                saved.len()
            )?;
        }
        None => writeln!(
            o,
            "    nginx not found: install nginx-light for the static ceiling"
        )?,
    }
    writeln!(
        o,
        "  server memory: {server_anon:.0} MiB heap and stacks at the end (RssAnon); peak resident {server_peak:.0} MiB (VmHWM, counts the mapped database once per reader)"
    )?;
    inst.clean_up().await;
    Ok(())
}
