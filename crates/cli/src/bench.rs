//! `gongkai bench …`: benchmarks that generate realistic data at the stated scale and print
//! their figures. Nothing here is a test; run them on a quiet machine.

use std::io::Write;
use std::time::Instant;

use gongkai_domain::audit::Who;
use gongkai_domain::body::BodyInput;
use gongkai_store::{Store, StoreOptions};
use rand::Rng;
use rand::SeedableRng;

/// Place names, subjects, document kinds and sentences to build Chinese government text from.
pub(crate) const PLACES: &[&str] = &[
    "城关镇",
    "青山镇",
    "柳河乡",
    "东门社区",
    "南苑社区",
    "白杨村",
    "石桥村",
    "北关街道",
    "工业园区",
    "滨河新区",
    "西岭乡",
    "大河镇",
];
pub(crate) const MATTERS: &[&str] = &[
    "农村危房改造",
    "城乡低保",
    "高标准农田建设",
    "老旧小区改造",
    "义务教育招生",
    "医疗保障",
    "道路交通安全",
    "防汛抗旱",
    "森林防火",
    "安全生产检查",
    "食品安全抽检",
    "环境保护督察",
    "政府采购",
    "重大建设项目",
    "行政许可",
    "行政处罚",
    "财政预算",
    "公务员招录",
    "就业创业补贴",
    "养老服务",
    "耕地保护",
    "河长制",
    "垃圾分类",
    "疫苗接种",
];
pub(crate) const KINDS: &[&str] = &[
    "通知",
    "公告",
    "实施方案",
    "工作要点",
    "情况报告",
    "公示",
    "通告",
    "管理办法",
    "意见",
    "决定",
];
const SENTENCES: &[&str] = &[
    "为进一步做好{m}工作，切实维护人民群众合法权益，根据有关法律法规和上级部署，结合{p}实际，制定本方案。",
    "各单位要高度重视，明确责任分工，主要负责同志要亲自抓、负总责，确保各项任务按期完成。",
    "{p}共排查{m}相关问题{n}个，已整改到位{k}个，其余正在按计划推进。",
    "资金由县财政统筹安排，专款专用，任何单位和个人不得截留、挤占、挪用。",
    "对工作推进不力、造成不良影响的，依规依纪严肃追究有关人员责任。",
    "群众对公示内容有异议的，可在公示期内向{p}人民政府或县{m}工作领导小组办公室反映。",
    "本年度计划完成{m}任务{n}项，截至目前已完成{k}项，完成率达到百分之{r}。",
    "各乡镇（街道）要于每月5日前报送上月{m}工作进展情况，逾期未报的予以通报。",
    "联系电话：0999-61{n}，办公地址：示例县人民路1号。",
    "本通知自印发之日起施行，以往有关规定与本通知不一致的，以本通知为准。",
];

/// A deterministic generator of realistic items.
pub struct TextGen {
    rng: rand::rngs::StdRng,
}

impl TextGen {
    pub fn new(seed: u64) -> TextGen {
        TextGen {
            rng: rand::rngs::StdRng::seed_from_u64(seed),
        }
    }

    fn pick<'a>(&mut self, v: &'a [&'a str]) -> &'a str {
        v[self.rng.gen_range(0..v.len())]
    }

    pub fn title(&mut self) -> String {
        let (p, m, k) = (self.pick(PLACES), self.pick(MATTERS), self.pick(KINDS));
        match self.rng.gen_range(0..3) {
            0 => format!("关于做好{p}{m}工作的{k}"),
            1 => format!("示例县{m}{k}（{p}）"),
            _ => format!("{p}{}年{m}{k}", self.rng.gen_range(2019..=2026)),
        }
    }

    pub fn body(&mut self) -> String {
        let (p, m) = (self.pick(PLACES), self.pick(MATTERS));
        let n = self.rng.gen_range(4..12);
        let mut out = String::new();
        for i in 0..n {
            let s = self
                .pick(SENTENCES)
                .replace("{p}", p)
                .replace("{m}", m)
                .replace("{n}", &self.rng.gen_range(10..999).to_string())
                .replace("{k}", &self.rng.gen_range(1..9).to_string())
                .replace("{r}", &self.rng.gen_range(60..100).to_string());
            out.push_str(&s);
            out.push_str(if i % 3 == 2 { "\n\n" } else { "" });
        }
        out
    }

    pub fn date(&mut self) -> chrono::NaiveDate {
        let start = chrono::NaiveDate::from_ymd_opt(2019, 1, 1).unwrap_or_default();
        start + chrono::Duration::days(self.rng.gen_range(0..2500))
    }
}

/// Peak resident memory of this process (VmHWM), in MiB.
pub fn peak_memory_mib() -> f64 {
    peak_memory_mib_of("self")
}

/// Peak resident memory (VmHWM) of process `pid` (`self` for this one), in MiB.
pub fn peak_memory_mib_of(pid: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<f64>().ok())
            })
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

/// A fresh installation for a benchmark: a SQLite database in a temporary folder, or a fresh
/// schema of `database_url`, with a county government and `n_bodies - 1` departments under it.
/// Returns the store, its body ids and organisation codes (root first), and what to clean up.
pub(crate) struct BenchInstallation {
    pub(crate) store: Store,
    pub(crate) bodies: Vec<(i64, String)>,
    pub(crate) pg_schema: Option<String>,
    pub(crate) tmp: tempfile::TempDir,
}

impl BenchInstallation {
    pub(crate) async fn new(
        database_url: &Option<String>,
        prefix: &str,
        n_bodies: u32,
    ) -> anyhow::Result<BenchInstallation> {
        let tmp = tempfile::tempdir()?;
        let (url, opts) = match database_url {
            Some(u) => (
                u.clone(),
                StoreOptions {
                    pg_schema: Some(format!(
                        "bench_{}_{}",
                        prefix.to_lowercase(),
                        std::process::id()
                    )),
                    ..Default::default()
                },
            ),
            None => (
                tmp.path().join("gongkai.db").to_string_lossy().to_string(),
                StoreOptions::default(),
            ),
        };
        let store = Store::connect(&url, &opts).await?;
        store.migrate().await?;
        let who = Who::system();
        let code = |n: u32| {
            let body8 = format!("{prefix}{n:06}");
            let c = gongkai_domain::codes::organization_code_check_char(&body8).unwrap_or('0');
            format!("{body8}{c}")
        };
        let mut bodies = Vec::new();
        for i in 0..n_bodies {
            let input = BodyInput {
                name: if i == 0 {
                    "基准县人民政府".into()
                } else {
                    format!("基准县第{i}单位")
                },
                kind: if i == 0 {
                    "government".into()
                } else {
                    "department".into()
                },
                org_code: code(i),
                parent_id: bodies.first().map(|(id, _)| *id),
                ..Default::default()
            };
            let fields = input.validate().map_err(|e| anyhow::anyhow!("{e:?}"))?;
            bodies.push((store.create_body(&fields, &who).await?, code(i)));
        }
        Ok(BenchInstallation {
            store,
            bodies,
            pg_schema: opts.pg_schema,
            tmp,
        })
    }

    /// Drop the benchmark's PostgreSQL schema (the SQLite folder goes with `tmp`).
    pub(crate) async fn clean_up(&self) {
        if let (Some(s), gongkai_store::Backend::Postgres(p)) =
            (&self.pg_schema, &self.store.backend)
        {
            let _ = sqlx::query(sqlx::AssertSqlSafe(format!("DROP SCHEMA \"{s}\" CASCADE")))
                .execute(p)
                .await;
        }
    }
}

/// Generate `count` items across 20 bodies as a CSV file, then import it into a fresh
/// installation (SQLite in a temporary folder, or a fresh schema of `database_url`).
pub async fn bench_import(count: usize, database_url: Option<String>) -> anyhow::Result<()> {
    let inst = BenchInstallation::new(&database_url, "BN", 20).await?;
    let store = &inst.store;
    let who = Who::system();
    let root = inst.bodies[0].0;
    let codes: Vec<String> = inst.bodies.iter().map(|(_, c)| c.clone()).collect();
    store
        .create_user(
            &gongkai_store::users::NewUser {
                body_id: root,
                username: "bench".into(),
                display_name: "基准".into(),
                password_hash: "x".into(),
                must_change_password: true,
                roles: vec![],
            },
            &who,
        )
        .await?;
    let csv_path = inst.tmp.path().join("items.csv");
    let t0 = Instant::now();
    {
        let mut w = csv::Writer::from_path(&csv_path)?;
        w.write_record([
            "机构代码",
            "栏目",
            "标题",
            "发文字号",
            "发布日期",
            "主题分类",
            "内容概述",
            "正文",
        ])?;
        let mut g = TextGen::new(42);
        for i in 0..count {
            let d = g.date();
            let title = g.title();
            let body = g.body();
            let doc_no = if i % 3 == 0 {
                format!("示基发〔{}〕{}号", chrono::Datelike::year(&d), i % 900 + 1)
            } else {
                String::new()
            };
            w.write_record([
                codes[i % codes.len()].as_str(),
                "",
                &title,
                &doc_no,
                &d.to_string(),
                "综合政务",
                &title,
                &body,
            ])?;
        }
        w.flush()?;
    }
    let gen_s = t0.elapsed().as_secs_f64();
    let size = std::fs::metadata(&csv_path)?.len();
    let t1 = Instant::now();
    let rows = crate::import::read_table(
        &csv_path,
        crate::import::ITEM_COLUMNS,
        &["org_code", "title", "published_on"],
    )?;
    let (valid, problems) =
        crate::import::validate(store, rows, gongkai_web::handlers::admin::today()).await?;
    let parse_s = t1.elapsed().as_secs_f64();
    let t2 = Instant::now();
    let out = crate::import::import(store, &valid, &who, false).await?;
    let import_s = t2.elapsed().as_secs_f64();
    let t3 = Instant::now();
    let again = crate::import::import(store, &valid, &who, false).await?;
    let again_s = t3.elapsed().as_secs_f64();
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "gongkai bench import --count {count}{}",
        database_url
            .as_ref()
            .map(|_| " --database-url …")
            .unwrap_or("")
    )?;
    writeln!(o, "  backend:                {}", store.backend_name())?;
    writeln!(
        o,
        "  generated CSV:          {count} items, {:.1} MiB in {gen_s:.1} s",
        size as f64 / 1048576.0
    )?;
    writeln!(
        o,
        "  read + validate:        {parse_s:.1} s ({} problems)",
        problems.len()
    )?;
    writeln!(
        o,
        "  import:                 {} items in {import_s:.1} s = {:.0} items/s",
        out.inserted,
        out.inserted as f64 / import_s.max(1e-9)
    )?;
    writeln!(o, "  total (read→imported):  {:.1} s", parse_s + import_s)?;
    writeln!(
        o,
        "  second run (idempotent): {} inserted, {} skipped in {again_s:.1} s",
        again.inserted, again.skipped
    )?;
    writeln!(o, "  peak memory (VmHWM):    {:.0} MiB", peak_memory_mib())?;
    inst.clean_up().await;
    Ok(())
}

/// Generate `count` applications across 200 bodies, then time the back office's due-soon list
/// for one body and the year's annual-report counts for one body.
pub async fn bench_cases(count: usize, database_url: Option<String>) -> anyhow::Result<()> {
    use gongkai_domain::access::Scope;
    let inst = BenchInstallation::new(&database_url, "BC", 200).await?;
    let store = &inst.store;
    let bodies: Vec<i64> = inst.bodies.iter().map(|(id, _)| *id).collect();
    let t0 = Instant::now();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let types = [
        "natural",
        "natural",
        "natural",
        "commercial",
        "research",
        "public_interest",
        "legal",
        "other_org",
    ];
    let replies = [
        "disclosed",
        "partial",
        "already_public",
        "not_held",
        "withheld_third_party",
        "repeat",
        "needs_creation",
    ];
    let start = chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default();
    let mut batch = Vec::with_capacity(1000);
    for i in 0..count {
        let body = bodies[i % bodies.len()];
        let received = start + chrono::Duration::days(rng.gen_range(0..1060));
        let open = rng.gen_range(0..100) < 8;
        let due = received + chrono::Duration::days(28);
        let (status, reply) = if open {
            ("handling", None)
        } else {
            (
                "replied",
                Some(replies[rng.gen_range(0..replies.len())].to_string()),
            )
        };
        batch.push(gongkai_store::applications::BenchApplication {
            body_id: body,
            number: format!("B{i:09}"),
            received_on: received.to_string(),
            status: status.to_string(),
            due_on: Some(due.to_string()),
            applicant_type: types[rng.gen_range(0..types.len())].to_string(),
            reply_type: reply,
        });
        if batch.len() == 1000 {
            store.bench_insert_applications_rows(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.bench_insert_applications_rows(&batch).await?;
    }
    let load_s = t0.elapsed().as_secs_f64();
    if let gongkai_store::Backend::Sqlite { write, .. } = &store.backend {
        sqlx::query("ANALYZE").execute(write).await?;
    }
    if let gongkai_store::Backend::Postgres(p) = &store.backend {
        sqlx::query("ANALYZE").execute(p).await?;
    }
    let body = bodies[17];
    let path = store.get_body(body).await?.path;
    let scope = Scope { roots: vec![path] };
    let until = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
    let mut due_ms = Vec::new();
    let mut n_due = 0;
    for _ in 0..50 {
        let t = Instant::now();
        n_due = store
            .list_applications(&scope, Some(until), true, 500)
            .await?
            .len();
        due_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let mut report_ms = Vec::new();
    let mut rows = 0;
    for _ in 0..20 {
        let t = Instant::now();
        rows = store.report_counts(body, 2025).await?.len();
        report_ms.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let pct = |v: &mut Vec<f64>, p: f64| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[((v.len() as f64 - 1.0) * p).round() as usize]
    };
    let mut o = std::io::stdout().lock();
    writeln!(
        o,
        "gongkai bench cases --count {count}{}",
        database_url
            .as_ref()
            .map(|_| " --database-url …")
            .unwrap_or("")
    )?;
    writeln!(o, "  backend:                   {}", store.backend_name())?;
    writeln!(
        o,
        "  generated:                 {count} applications across 200 bodies in {load_s:.1} s"
    )?;
    writeln!(
        o,
        "  due-soon list (one body):  {n_due} rows, p50 {:.1} ms, p99 {:.1} ms (50 runs)",
        pct(&mut due_ms.clone(), 0.5),
        pct(&mut due_ms, 0.99)
    )?;
    writeln!(
        o,
        "  annual-report counts 2025: {rows} groups, p50 {:.1} ms, max {:.1} ms (20 runs)",
        pct(&mut report_ms.clone(), 0.5),
        pct(&mut report_ms, 1.0)
    )?;
    writeln!(
        o,
        "  peak memory (VmHWM):       {:.0} MiB",
        peak_memory_mib()
    )?;
    inst.clean_up().await;
    Ok(())
}
