//! `gongkai bench monitor`: a county of `--bodies` bodies with a year of records at the scale of
//! the portal benchmark (items, applications, letters), then the whole-county compliance monitor
//! for that year, timed. The generator knows how many offences it made, and the benchmark checks
//! that the monitor counts exactly those (issue 11's goal: under 2 s on SQLite and PostgreSQL).

use std::io::Write;
use std::time::Instant;

use chrono::NaiveDate;
use gongkai_domain::access::Scope;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::monitor::{RuleKey, Window};
use gongkai_store::applications::BenchApplication;
use gongkai_store::monitor::{BenchItem, BenchLetter, MonitorDates};
use rand::{Rng, SeedableRng};

use crate::bench::{BenchInstallation, TextGen, peak_memory_mib};

/// The scale asked for.
pub struct MonitorScale {
    pub bodies: u32,
    pub items: usize,
    pub applications: usize,
    pub letters: usize,
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

fn ms_of(d: NaiveDate) -> i64 {
    d.and_time(chrono::NaiveTime::MIN)
        .and_utc()
        .timestamp_millis()
        - 8 * 3_600_000
        + 10 * 3_600_000
}

pub async fn bench_monitor(
    scale: MonitorScale,
    database_url: Option<String>,
) -> anyhow::Result<()> {
    let inst = BenchInstallation::new(&database_url, "BM", scale.bodies.max(1)).await?;
    let store = &inst.store;
    store.ensure_catalogues().await?;
    let cal = Calendar::builtin();
    let year_start = day("2026-01-01");
    let today = day("2026-12-01");
    let days_in_year = (today - year_start).num_days();
    let bodies: Vec<i64> = inst.bodies.iter().map(|(id, _)| *id).collect();
    let mut leaves: Vec<Vec<i64>> = Vec::new();
    for b in &bodies {
        let cs = store.list_categories(*b).await?;
        leaves.push(
            cs.iter()
                .filter(|c| c.parent_id.is_some())
                .map(|c| c.id)
                .collect(),
        );
    }
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    let mut g = TextGen::new(11);
    let mut o = std::io::stdout();

    // Items: one in 40 published after its 20 working days.
    let t0 = Instant::now();
    let mut late_items = 0u64;
    let mut batch = Vec::with_capacity(1000);
    for i in 0..scale.items {
        let b = i % bodies.len();
        let formed = year_start + chrono::Duration::days(rng.gen_range(0..days_in_year - 40));
        let due = cal.add_working_days(formed, 20)?;
        let late = rng.gen_range(0..40) == 0;
        let published = if late {
            due + chrono::Duration::days(rng.gen_range(1..10))
        } else {
            formed + chrono::Duration::days(rng.gen_range(0..(due - formed).num_days() + 1))
        };
        late_items += u64::from(late);
        let cats = &leaves[b];
        batch.push(BenchItem {
            body_id: bodies[b],
            category_id: cats[rng.gen_range(0..cats.len())],
            title: g.title(),
            published_ms: ms_of(published),
            due_on: due.to_string(),
            late,
        });
        if batch.len() == 1000 {
            store.bench_insert_items(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.bench_insert_items(&batch).await?;
    }
    let items_s = t0.elapsed().as_secs_f64();

    // Applications: one in 50 answered late, one in 100 still open past its due day.
    let t1 = Instant::now();
    let mut late_apps = 0u64;
    let mut batch = Vec::with_capacity(1000);
    for i in 0..scale.applications {
        let body = bodies[i % bodies.len()];
        let received = year_start + chrono::Duration::days(rng.gen_range(0..days_in_year - 35));
        let due = cal.add_working_days(received, 20)?;
        let roll = rng.gen_range(0..100);
        let (status, reply, replied) = match roll {
            0 => ("handling", None, None),
            1 | 2 => (
                "replied",
                Some("disclosed".to_string()),
                Some((due + chrono::Duration::days(rng.gen_range(1..15))).to_string()),
            ),
            _ => (
                "replied",
                Some("disclosed".to_string()),
                Some(
                    (received
                        + chrono::Duration::days(
                            rng.gen_range(1..(due - received).num_days() + 1),
                        ))
                    .to_string(),
                ),
            ),
        };
        late_apps += u64::from(roll <= 2);
        batch.push(BenchApplication {
            body_id: body,
            number: format!("M{i:09}"),
            received_on: received.to_string(),
            status: status.to_string(),
            due_on: Some(due.to_string()),
            applicant_type: "natural".into(),
            reply_type: reply,
            replied_on: replied,
        });
        if batch.len() == 1000 {
            store.bench_insert_applications_rows(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.bench_insert_applications_rows(&batch).await?;
    }
    let apps_s = t1.elapsed().as_secs_f64();

    // Letters: one mailbox per body; one in 20 answered late. The bodies of every tenth
    // mailbox stopped replying to letters received from August (silent for the two months
    // before 30 November).
    let t2 = Instant::now();
    let mailboxes = store.bench_insert_mailboxes(&bodies).await?;
    let silent: Vec<i64> = mailboxes.iter().step_by(10).map(|m| m.0).collect();
    let mut late_letters = 0u64;
    let mut batch = Vec::with_capacity(1000);
    for i in 0..scale.letters {
        let (mailbox, body) = mailboxes[i % mailboxes.len()];
        let received = year_start + chrono::Duration::days(rng.gen_range(0..days_in_year - 25));
        let due = cal.add_working_days(received, 15)?;
        let quiet = silent.contains(&mailbox) && received >= day("2026-08-01");
        let late = !quiet && rng.gen_range(0..20) == 0;
        let (status, replied) = if quiet {
            ("handling", None)
        } else if late {
            (
                "replied",
                Some(due + chrono::Duration::days(rng.gen_range(1..10))),
            )
        } else {
            (
                "replied",
                Some(
                    received
                        + chrono::Duration::days(rng.gen_range(1..(due - received).num_days() + 1)),
                ),
            )
        };
        // A quiet mailbox's open letters are overdue once their day has passed.
        late_letters += u64::from(late || (quiet && due < day("2026-11-30")));
        batch.push(BenchLetter {
            mailbox_id: mailbox,
            body_id: body,
            number: format!("L{i:09}"),
            received_on: received.to_string(),
            due_on: due.to_string(),
            status: status.into(),
            replied_on: replied.map(|d| d.to_string()),
        });
        if batch.len() == 1000 {
            store.bench_insert_letters(&batch).await?;
            batch.clear();
        }
    }
    if !batch.is_empty() {
        store.bench_insert_letters(&batch).await?;
    }
    let letters_s = t2.elapsed().as_secs_f64();
    if let gongkai_store::Backend::Sqlite { write, .. } = &store.backend {
        sqlx::query("ANALYZE").execute(write).await?;
    }
    if let gongkai_store::Backend::Postgres(p) = &store.backend {
        sqlx::query("ANALYZE").execute(p).await?;
    }

    // The whole county for the year, judged on 1 December.
    let window = Window::new(year_start, day("2026-11-30"), today)?;
    let dates = MonitorDates {
        window,
        unread_sent_by: window.unread_sent_by(&cal)?,
    };
    let root = store.get_body(bodies[0]).await?;
    let scope = Scope::subtree(&root.path);
    let mut runs = Vec::new();
    let mut report = None;
    for _ in 0..5 {
        let t = Instant::now();
        report = Some(store.monitor_report(&scope, &dates).await?);
        runs.push(t.elapsed().as_secs_f64());
    }
    let report = report.ok_or_else(|| anyhow::anyhow!("no run"))?;
    let mut per_rule = Vec::new();
    for r in gongkai_domain::monitor::RULES {
        let t = Instant::now();
        store.monitor_rule_counts(&scope, &dates, r.key).await?;
        per_rule.push(format!(
            "{} {:.0} ms",
            r.key.as_str(),
            t.elapsed().as_secs_f64() * 1000.0
        ));
    }
    let t = Instant::now();
    let one = store.get_body(bodies[bodies.len() / 2]).await?;
    let listed = store
        .monitor_offences(
            &Scope::subtree(&one.path),
            &dates,
            RuleKey::LateApplications,
        )
        .await?
        .len();
    let list_ms = t.elapsed().as_secs_f64() * 1000.0;
    // The dashboard's rows of the whole county's year (what /bodies/{id}/dashboard draws).
    let mut dash_runs = Vec::new();
    let mut charted = 0i64;
    for _ in 0..3 {
        let t = Instant::now();
        let rows = store.dashboard_rows(&scope, 2026).await?;
        dash_runs.push(t.elapsed().as_secs_f64());
        charted = rows.published.iter().map(|r| r.2).sum();
    }
    dash_runs.sort_by(|a, b| a.total_cmp(b));
    runs.sort_by(|a, b| a.total_cmp(b));
    let check = |key: RuleKey, want: u64| {
        let got = report.totals.get(key);
        if got == want {
            format!("{got}（与生成数一致）")
        } else {
            format!("{got}（生成 {want}，不一致！）")
        }
    };
    writeln!(
        o,
        "gongkai bench monitor --bodies {} --items {} --applications {} --letters {}{}",
        scale.bodies,
        scale.items,
        scale.applications,
        scale.letters,
        database_url
            .as_ref()
            .map(|_| " --database-url …")
            .unwrap_or("")
    )?;
    writeln!(o, "  backend:                 {}", store.backend_name())?;
    writeln!(
        o,
        "  generated:               {} items in {items_s:.0} s, {} applications in {apps_s:.0} s, {} letters in {letters_s:.0} s",
        scale.items, scale.applications, scale.letters
    )?;
    writeln!(
        o,
        "  monitor, whole county, 2026-01-01..2026-11-30: {} bodies ranked; p50 {:.2} s, max {:.2} s (5 runs; goal < 2 s)",
        report.lines.len(),
        runs[runs.len() / 2],
        runs[runs.len() - 1]
    )?;
    writeln!(o, "  per rule (one run each):  {}", per_rule.join(", "))?;
    writeln!(
        o,
        "  dashboard rows, whole county, 2026: p50 {:.2} s, max {:.2} s (3 runs); {charted} items charted",
        dash_runs[dash_runs.len() / 2],
        dash_runs[dash_runs.len() - 1]
    )?;
    writeln!(
        o,
        "  late items:              {}",
        check(RuleKey::LateItems, late_items)
    )?;
    writeln!(
        o,
        "  late applications:       {}",
        check(RuleKey::LateApplications, late_apps)
    )?;
    writeln!(
        o,
        "  late letters:            {}",
        check(RuleKey::LateLetters, late_letters)
    )?;
    writeln!(
        o,
        "  silent mailboxes:        {}",
        check(RuleKey::SilentMailboxes, silent.len() as u64)
    )?;
    writeln!(
        o,
        "  one body's late applications listed: {listed} in {list_ms:.0} ms"
    )?;
    writeln!(o, "  peak memory (VmHWM):     {:.0} MiB", peak_memory_mib())?;
    let worst = report.lines.last();
    if let Some(w) = worst {
        writeln!(
            o,
            "  lowest score:            {} {} 分（{}）",
            w.body_name,
            w.score,
            w.light.label()
        )?;
    }
    inst.clean_up().await;
    Ok(())
}
