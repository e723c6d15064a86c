//! Durability under SIGKILL: each public submission endpoint acknowledges only what is durable.

use super::*;

/// Load next year's calendar (元旦 only) unless the binary ships it already.
fn import_next_year(data: &Path) {
    use chrono::Datelike;
    let year = (chrono::Utc::now() + chrono::Duration::hours(8)).year() + 1;
    if gongkai_domain::calendar::Calendar::builtin().has_year(year) {
        return;
    }
    let file = data.join(format!("{year}.json"));
    std::fs::write(
        &file,
        format!(
            r#"{{"year":{year},"papers":[],"days":[{{"name":"元旦","date":"{year}-01-01","isOffDay":true}}]}}"#
        ),
    )
    .unwrap();
    gk(data, &["calendar", "import", path_str(&file)]).expect_ok("import next year");
}

/// The public submission endpoints (application and letter) acknowledge only what is durable:
/// while submissions keep arriving, the server process is killed (SIGKILL) five times, and every
/// number that was answered with 201 is in the database afterwards. `table` holds the numbers.
fn kill_loop(path: impl Fn(&Server) -> String, body: serde_json::Value, table: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().to_path_buf();
    // No submission limit here: the loop is the flood. Each attempt comes from its own address
    // (the loopback is a trusted proxy; one answer per address is the appraisal's rule).
    let env = [
        ("GONGKAI__SERVER__SUBMISSIONS_PER_WINDOW", "1000000"),
        ("GONGKAI__SERVER__TRUSTED_PROXIES", "[\"127.0.0.1/32\"]"),
    ];
    // The demo county first, then next year's calendar: an application's 20 working days run
    // into the new year from early December, and a deadline in a year not loaded is refused.
    Server::start_with(&data, true, &env).stop();
    import_next_year(&data);
    let mut server = Server::start_with(&data, true, &env);
    let path = path(&server);
    let addr = Arc::new(Mutex::new(server.addr.clone()));
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::<String>::new()));
    let attempts = Arc::new(Mutex::new(0usize));
    let writer = {
        let (addr, stop, acked, attempts) =
            (addr.clone(), stop.clone(), acked.clone(), attempts.clone());
        std::thread::spawn(move || {
            block_on(async move {
                let client = crate::support::http_client_builder()
                    .timeout(Duration::from_secs(3))
                    .build()
                    .unwrap();
                while !stop.load(Ordering::SeqCst) {
                    let a = addr.lock().unwrap().clone();
                    let n = {
                        let mut n = attempts.lock().unwrap();
                        *n += 1;
                        *n
                    };
                    let r = client
                        .post(format!("http://{a}{path}"))
                        .header(
                            "x-forwarded-for",
                            format!("10.{}.{}.{}", (n >> 16) & 255, (n >> 8) & 255, n & 255),
                        )
                        .json(&body)
                        .send()
                        .await;
                    // Only a complete 201 answer with a number is an acknowledgement.
                    let number = match r {
                        Ok(r) if r.status().as_u16() == 201 => r
                            .json::<serde_json::Value>()
                            .await
                            .ok()
                            .and_then(|v| v["number"].as_str().map(str::to_string)),
                        _ => None,
                    };
                    match number {
                        Some(n) => acked.lock().unwrap().push(n),
                        None => tokio::time::sleep(Duration::from_millis(20)).await,
                    }
                }
            })
        })
    };
    for round in 0..5u64 {
        std::thread::sleep(Duration::from_millis(250 + 97 * round));
        // SIGKILL: no chance to flush anything that was not already durable.
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        server = Server::start_with(&data, false, &env);
        *addr.lock().unwrap() = server.addr.clone();
    }
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::SeqCst);
    writer.join().unwrap();
    server.stop();
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() >= 5,
        "the loop made progress: {} acknowledged of {} attempts",
        acked.len(),
        attempts.lock().unwrap()
    );
    let stored: BTreeSet<String> = db_strings(&data, &format!("SELECT number FROM {table}"))
        .into_iter()
        .collect();
    let lost: Vec<&String> = acked.iter().filter(|n| !stored.contains(*n)).collect();
    assert!(lost.is_empty(), "acknowledged but lost: {lost:?}");
    gk(&data, &["audit", "verify"]).expect_ok("the audit chain survived the kills");
}

/// 依申请公开: an application whose receipt was given is never lost, even when the server process
/// is killed (SIGKILL) at any moment while submissions keep arriving.
#[test]
fn killing_the_server_never_loses_an_acknowledged_application() {
    kill_loop(
        |_| "/api/v1/applications".into(),
        serde_json::json!({
            "applicant_type": "natural", "name": "压力测试申请人", "id_type": "居民身份证",
            "id_number": "11010519491231002X", "phone": "13800002222",
            "description": "示例县2025年城乡低保资金发放情况", "delivery": "online",
        }),
        "applications",
    );
}

/// 信箱: the same for letters (the demo's first mailbox, 县长信箱).
#[test]
fn killing_the_server_never_loses_an_acknowledged_letter() {
    kill_loop(
        |_| "/api/v1/letters".into(),
        serde_json::json!({
            "mailbox_id": 1, "subject": "压力测试来信", "content": "建议在城区增设公共充电桩。",
            "name": "压力测试来信人", "phone": "13800002222",
        }),
        "letters",
    );
}

/// 公示: an objection whose receipt was given is never lost either (the demo school's notice in
/// its period).
#[test]
fn killing_the_server_never_loses_an_acknowledged_objection() {
    kill_loop(
        |server| {
            let (_, list) = http_get(&server.url("/api/v1/notices"));
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            let open = list["notices"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["phase"] == "open")
                .expect("the demo has a notice in its period")
                .clone();
            format!("/api/v1/notices/{}/objections", open["item_id"])
        },
        serde_json::json!({
            "name": "压力测试异议人", "contact": "13800002222", "text": "请核实评选程序。",
        }),
        "notice_objections",
    );
}

/// 征求意见: a comment whose receipt was given is never lost (the demo's draft open for comment).
#[test]
fn killing_the_server_never_loses_an_acknowledged_comment() {
    kill_loop(
        |server| {
            let (_, list) = http_get(&server.url("/api/v1/consultations"));
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            let open = list["consultations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["state"] == "open")
                .expect("the demo has a draft open for comment")
                .clone();
            format!("/api/v1/consultations/{}/comments", open["item_id"])
        },
        serde_json::json!({
            "name": "压力测试意见人", "contact": "13800002222", "text": "建议增设车位。", "paragraph": 1,
        }),
        "consultation_comments",
    );
}

/// 民主评议: an answer whose receipt was given is never lost (the demo's open appraisal; each
/// attempt from its own address).
#[test]
fn killing_the_server_never_loses_an_acknowledged_appraisal_answer() {
    kill_loop(
        |server| {
            let (_, list) = http_get(&server.url("/api/v1/appraisals"));
            let list: serde_json::Value = serde_json::from_str(&list).unwrap();
            let open = list["surveys"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["accepting"] == true)
                .expect("the demo has an appraisal in its period")
                .clone();
            assert!(
                open["body_ids"]
                    .as_array()
                    .unwrap()
                    .contains(&serde_json::json!(2)),
                "the demo appraises body 2 (the county office): {open}"
            );
            format!("/api/v1/appraisals/{}/answers", open["id"])
        },
        serde_json::json!({"body_id": 2, "answers": ["4", "4", "5", "4", "压力测试意见"]}),
        "(SELECT CAST(id AS TEXT) AS number FROM survey_answers) AS x",
    );
}
