//! 信箱、投诉、举报 through the real server, on SQLite and PostgreSQL: the form and its receipt,
//! 首问负责 and transfers, approval, the writer's view, rating and reopening, escalation,
//! statistics thresholds, 选登 with masking, conversion into an application, the API, and the
//! protection of whistle-blowers (who sees what, a database dump, files at rest).

use chrono::NaiveDate;
use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use gongkai_domain::letters::{LimitRule, MailboxKind};
use gongkai_store::letters::MailboxFields;
use serde_json::{Value, json};

use crate::api::{Api, conforms};
use crate::both_backends;
use crate::support::{Browser, Db, TestApp, csrf_in, location};

both_backends!(
    a_letter_goes_from_the_form_to_a_rated_reply,
    first_responder_transfers_and_assignments,
    whistle_blowers_are_seen_only_by_discipline,
    statistics_appear_from_ten_letters,
    published_replies_are_masked_and_withdrawable,
    letters_become_applications,
    the_api_writes_and_reads_letters,
    abuse_is_limited_and_input_is_kept,
    overdue_letters_are_escalated,
    replies_are_emailed_when_smtp_is_configured,
);

fn fields(name: &str, kind: MailboxKind, approval: bool) -> MailboxFields {
    MailboxFields {
        name: name.into(),
        kind,
        rule: if kind == MailboxKind::Complaint {
            LimitRule::xinfang()
        } else {
            LimitRule::default()
        },
        anonymous_allowed: kind == MailboxKind::Report,
        publish_allowed: kind != MailboxKind::Report,
        approval_required: approval,
        intro: String::new(),
        active: true,
    }
}

async fn mailbox(app: &TestApp, body: i64, name: &str, kind: MailboxKind, approval: bool) -> i64 {
    app.store
        .create_mailbox(body, &fields(name, kind, approval), &Who::system())
        .await
        .unwrap()
}

/// Post the public form (multipart, token in the query string); returns status and page.
async fn write(
    b: &Browser,
    mailbox: i64,
    fields: &[(&str, &str)],
    files: &[(&str, Vec<u8>)],
) -> (u16, String) {
    let (s, page) = b.get_text(&format!("/mailboxes/{mailbox}/write")).await;
    assert_eq!(s, 200, "{page}");
    let token = csrf_in(&page).unwrap();
    let mut form = reqwest::multipart::Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for (name, bytes) in files {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.to_string()),
        );
    }
    let r = b
        .client
        .post(format!(
            "{}/mailboxes/{mailbox}/write?_csrf={token}",
            b.base
        ))
        .header("origin", b.base.clone())
        .header("sec-fetch-site", "same-origin")
        .multipart(form)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.text().await.unwrap())
}

/// The tracking number and secret on a receipt page.
fn receipt(page: &str) -> (String, String) {
    let re = regex::Regex::new(r#"<strong class="code">([^<]+)</strong>"#).unwrap();
    let v: Vec<String> = re.captures_iter(page).map(|c| c[1].to_string()).collect();
    assert_eq!(v.len(), 2, "number and secret on the receipt: {page}");
    (v[0].clone(), v[1].clone())
}

fn letter_fields<'a>(subject: &'a str, content: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("subject", subject),
        ("content", content),
        ("name", "张小明"),
        ("phone", "13812345678"),
        ("consent_publish", "1"),
    ]
}

async fn letter_id(app: &TestApp, number: &str) -> i64 {
    app.store.find_letter(number).await.unwrap().unwrap().id
}

async fn track(b: &Browser, number: &str, secret: &str) -> String {
    b.get_text("/letters/track").await;
    let r = b
        .post_form("/letters/track", &[("number", number), ("secret", secret)])
        .await;
    r.text().await.unwrap()
}

async fn a_letter_goes_from_the_form_to_a_rated_reply(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let mb = mailbox(&app, a, "局长信箱", MailboxKind::Suggest, true).await;
    app.staff("hd1", Some(Role::LetterHandler), a).await;
    app.staff("lead", Some(Role::Approver), a).await;
    let public = Browser::new(&app);
    // The public index lists the mailbox; the form refuses bad input and keeps what was typed.
    let (_, index) = public.get_text("/letters").await;
    assert!(index.contains("局长信箱") && index.contains("15个工作日"));
    let (s, page) = write(
        &public,
        mb,
        &[
            ("subject", "公交站台缺少遮雨棚"),
            ("content", "短"),
            ("name", "张小明"),
        ],
        &[],
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("公交站台缺少遮雨棚"), "the subject is kept");
    assert!(page.contains("请填写来信内容") && page.contains("请至少填写联系电话"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM letters").await, 0);
    // A good letter with a file: the receipt has a number and a secret, and it is stored.
    let (s, page) = write(
        &public,
        mb,
        &letter_fields(
            "公交站台缺少遮雨棚",
            "城关路公交站台没有遮雨棚，雨天候车很不方便。",
        ),
        &[("现场照片.txt", "站台照片说明".as_bytes().to_vec())],
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let (number, secret) = receipt(&page);
    let l = app.store.find_letter(&number).await.unwrap().unwrap();
    assert_eq!(l.status, "received");
    assert_eq!(app.store.letter_files(l.id).await.unwrap().len(), 1);
    // The contact is sealed at rest.
    assert!(!l.writer_sealed.contains("13812345678"));
    // The writer sees it received, with the due date explained.
    let t = track(&public, &number, &secret).await;
    assert!(
        t.contains("待受理") && t.contains("答复期限15个工作日"),
        "{t}"
    );
    let wrong = track(&public, &number, "AAAA-BBBB-CCCC-DDDD").await;
    assert!(wrong.contains("编号或查询密码不正确") && !wrong.contains("公交站台"));
    // The handler opens it and owns it (首问负责).
    let h1 = app.login("hd1").await;
    let (_, page) = h1.get_text(&format!("/admin/letters/{}", l.id)).await;
    assert!(page.contains("您已受理该来信"), "{page}");
    assert!(page.contains("138****5678"), "contacts masked by default");
    assert!(!page.contains("13812345678"));
    // Reply → approval by the leader → the writer sees the reply.
    let r = h1
        .post_form(
            &format!("/admin/letters/{}/act", l.id),
            &[
                ("step", "reply"),
                ("text", "已协调公交公司在6月底前加装遮雨棚。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.store.get_letter(l.id).await.unwrap().status,
        "approving"
    );
    let t = track(&public, &number, &secret).await;
    assert!(!t.contains("加装遮雨棚"), "not shown before approval");
    // The owner cannot approve his own reply.
    let r = h1
        .post_form(
            &format!("/admin/letters/{}/act", l.id),
            &[("step", "approve")],
        )
        .await;
    assert_eq!(r.status(), 403);
    let lead = app.login("lead").await;
    let r = lead
        .post_form(
            &format!("/admin/letters/{}/act", l.id),
            &[("step", "approve")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let t = track(&public, &number, &secret).await;
    assert!(t.contains("已答复") && t.contains("加装遮雨棚"), "{t}");
    assert!(t.contains("评价答复") && t.contains("申请重新办理"));
    // Rating once.
    let r = public
        .post_form(
            "/letters/track/rate",
            &[
                ("number", &number),
                ("secret", &secret),
                ("rating", "unsatisfied"),
            ],
        )
        .await;
    let t = r.text().await.unwrap();
    assert!(t.contains("感谢您的评价") && t.contains("不满意"), "{t}");
    let r = public
        .post_form(
            "/letters/track/rate",
            &[
                ("number", &number),
                ("secret", &secret),
                ("rating", "satisfied"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("已评价过"));
    // Reopen once, with a reason: back to the same owner, history kept.
    let r = public
        .post_form(
            "/letters/track/reopen",
            &[
                ("number", &number),
                ("secret", &secret),
                ("reason", "至今仍未加装，请再次核实。"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("已申请重新办理"));
    let after = app.store.get_letter(l.id).await.unwrap();
    assert_eq!((after.status.as_str(), after.reopened), ("handling", true));
    assert_eq!(after.owner_name, "hd1", "the same owner handles it again");
    let kinds: Vec<String> = app
        .store
        .letter_events(l.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    for k in [
        "received",
        "taken",
        "submitted",
        "replied",
        "rated",
        "reopened",
    ] {
        assert!(kinds.contains(&k.to_string()), "{k} in {kinds:?}");
    }
    // A second reopen after the next reply is refused (once only).
    h1.refresh_csrf(&format!("/admin/letters/{}", l.id)).await;
    h1.post_form(
        &format!("/admin/letters/{}/act", l.id),
        &[("step", "reply"), ("text", "已于本周加装完毕，欢迎查看。")],
    )
    .await;
    lead.refresh_csrf(&format!("/admin/letters/{}", l.id)).await;
    lead.post_form(
        &format!("/admin/letters/{}/act", l.id),
        &[("step", "approve")],
    )
    .await;
    let t = track(&public, &number, &secret).await;
    assert!(
        t.contains("加装完毕") && !t.contains("申请重新办理一次"),
        "{t}"
    );
    // The first rating counted until now; the writer rates the new reply.
    assert_eq!(
        app.store.get_letter(l.id).await.unwrap().rating.as_deref(),
        Some("unsatisfied")
    );
    assert!(t.contains("评价答复"), "the new reply can be rated");
    let r = public
        .post_form(
            "/letters/track/rate",
            &[
                ("number", &number),
                ("secret", &secret),
                ("rating", "satisfied"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("感谢您的评价"));
    assert_eq!(
        app.store.get_letter(l.id).await.unwrap().rating.as_deref(),
        Some("satisfied")
    );
    let r = public
        .post_form(
            "/letters/track/reopen",
            &[
                ("number", &number),
                ("secret", &secret),
                ("reason", "还想再办一次理由。"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("只能申请重新办理一次"));
}

async fn first_responder_transfers_and_assignments(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    let mb = mailbox(&app, a, "甲局信箱", MailboxKind::Consult, false).await;
    app.staff("hd1", Some(Role::LetterHandler), a).await;
    app.staff("hd2", Some(Role::LetterHandler), a).await;
    app.staff("hdb", Some(Role::LetterHandler), b).await;
    app.staff("lead", Some(Role::Approver), a).await;
    app.staff("sup", Some(Role::Supervisor), app.tree.root)
        .await;
    app.staff("adm", Some(Role::Admin), app.tree.root).await;
    app.staff("edt", Some(Role::Editor), a).await;
    let public = Browser::new(&app);
    let (_, page) = write(
        &public,
        mb,
        &letter_fields("咨询营业执照办理", "请问个体工商户营业执照在哪里办理？"),
        &[],
    )
    .await;
    let (number, _) = receipt(&page);
    let id = letter_id(&app, &number).await;
    let path = format!("/admin/letters/{id}");
    let act = format!("{path}/act");
    // Outside the subtree, or without a letter role: not even its existence.
    for who in ["hdb", "adm", "edt"] {
        let c = app.login(who).await;
        let (s, _) = c.get_text(&path).await;
        assert_eq!(s, 404, "{who}");
    }
    // The supervisor reads but neither takes nor acts.
    let sup = app.login("sup").await;
    let (s, page) = sup.get_text(&path).await;
    assert_eq!(s, 200);
    assert!(page.contains("尚未受理") && !page.contains("发送答复"));
    let r = sup
        .post_form(&act, &[("step", "reply"), ("text", "监督员不能答复来信")])
        .await;
    assert_eq!(r.status(), 403);
    // h1 opens first and owns it; h2 cannot reply (首问负责).
    let h1 = app.login("hd1").await;
    let (_, desk) = h1.get_text("/admin").await;
    assert!(
        desk.contains("待受理 1 封") && desk.contains("我负责的 0 封"),
        "{desk}"
    );
    h1.get_text(&path).await;
    let (_, desk) = h1.get_text("/admin").await;
    assert!(desk.contains("我负责的 1 封"), "{desk}");
    // Not to a body where nobody handles letters (A1 has no letter handler of its own, but A's
    // handlers cover it; the root has none).
    let root = app.tree.root.to_string();
    let r = h1
        .post_form(
            &act,
            &[
                ("step", "transfer"),
                ("to_body", &root),
                ("reason", "县政府办理"),
            ],
        )
        .await;
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("没有可以办理该来信的工作人员")
    );
    let h2 = app.login("hd2").await;
    let (_, page) = h2.get_text(&path).await;
    assert!(page.contains("hd1") && !page.contains("发送答复"));
    let r = h2
        .post_form(&act, &[("step", "reply"), ("text", "抢先答复的内容")])
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("首问负责"));
    // A transfer needs a reason and a target that may handle it.
    let r = h1
        .post_form(
            &act,
            &[("step", "transfer"), ("username", "hd2"), ("reason", "")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("转办须说明理由"));
    h1.refresh_csrf(&path).await;
    let r = h1
        .post_form(
            &act,
            &[
                ("step", "transfer"),
                ("username", "hdb"),
                ("reason", "乙局负责"),
            ],
        )
        .await;
    assert!(r.text().await.unwrap().contains("不能办理该机关"));
    h1.refresh_csrf(&path).await;
    let r = h1
        .post_form(
            &act,
            &[
                ("step", "transfer"),
                ("username", "hd2"),
                ("reason", "hd2负责市场主体登记"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let l = app.store.get_letter(id).await.unwrap();
    assert_eq!(
        (l.status.as_str(), l.owner_name.as_str()),
        ("handling", "hd2")
    );
    // Now h1 may no longer reply; h2 may.
    h1.refresh_csrf(&path).await;
    let r = h1
        .post_form(&act, &[("step", "reply"), ("text", "转办后原办理人的答复")])
        .await;
    assert_eq!(r.status(), 422);
    // The leader assigns it back (交办).
    let lead = app.login("lead").await;
    lead.get_text(&path).await;
    let r = lead
        .post_form(&act, &[("step", "assign"), ("username", "hd1")])
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(app.store.get_letter(id).await.unwrap().owner_name, "hd1");
    // Transfer to another body: waits there for its first handler.
    h1.refresh_csrf(&path).await;
    let bs = b.to_string();
    let r = h1
        .post_form(
            &act,
            &[
                ("step", "transfer"),
                ("to_body", &bs),
                ("reason", "属乙局职责"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    assert_eq!(location(&r), "/admin/letters?tab=all");
    let l = app.store.get_letter(id).await.unwrap();
    assert_eq!(
        (l.status.as_str(), l.body_id, l.owner_id),
        ("received", b, None)
    );
    let (s, _) = h1.get_text(&path).await;
    assert_eq!(s, 404, "no longer in h1's scope");
    let hb = app.login("hdb").await;
    let (s, page) = hb.get_text(&path).await;
    assert_eq!(s, 200);
    assert!(page.contains("您已受理该来信"));
    // Every hand-off is in the history, with its reason.
    let (_, page) = hb.get_text(&path).await;
    assert!(
        page.contains("hd2负责市场主体登记")
            && page.contains("属乙局职责")
            && page.contains("交办")
    );
}

async fn whistle_blowers_are_seen_only_by_discipline(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    let mb = mailbox(&app, a, "甲局举报", MailboxKind::Report, false).await;
    app.staff("jwa", Some(Role::Discipline), a).await;
    app.staff("jw2", Some(Role::Discipline), a).await;
    app.staff("jwb", Some(Role::Discipline), b).await;
    app.staff("hd1", Some(Role::LetterHandler), a).await;
    app.staff("lead", Some(Role::Approver), a).await;
    app.staff("sup", Some(Role::Supervisor), app.tree.root)
        .await;
    let adm = app.staff("adm", Some(Role::Admin), app.tree.root).await;
    let public = Browser::new(&app);
    // An administrator cannot make himself 纪检监督 (nobody widens their own rights).
    let admin = app.login("adm").await;
    admin.get_text(&format!("/admin/users/{adm}")).await;
    let r = admin
        .post_form(
            &format!("/admin/users/{adm}/grant"),
            &[("role", "discipline"), ("body_id", &a.to_string())],
        )
        .await;
    assert!(
        location(&r).contains("error=self_grant"),
        "{}",
        location(&r)
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM role_grants WHERE user_id = {adm}"
        ))
        .await,
        1
    );
    let secret_doc = "举报材料：某科长收受礼金的转账记录".as_bytes().to_vec();
    let (s, page) = write(
        &public,
        mb,
        &[
            ("subject", "举报某科长收受礼金"),
            ("content", "某科长在审批中收受企业礼金，请予调查。"),
            ("name", "欧阳举报人"),
            ("phone", "13911112222"),
            ("email", "whistle.blower@example.cn"),
            ("address", "测试县幸福路99号"),
        ],
        &[("证据.txt", secret_doc.clone())],
    )
    .await;
    assert_eq!(s, 200, "{page}");
    let (number, _) = receipt(&page);
    let id = letter_id(&app, &number).await;
    let path = format!("/admin/letters/{id}");
    let identity = [
        "欧阳举报人",
        "13911112222",
        "whistle.blower@example.cn",
        "测试县幸福路99号",
    ];
    // Administrators, letter handlers, leaders, supervisors and discipline elsewhere: nothing,
    // not in the list and not on the page.
    for who in ["adm", "hd1", "lead", "sup", "jwb"] {
        let c = app.login(who).await;
        let (s, page) = c.get_text(&path).await;
        assert_eq!(s, 404, "{who}");
        assert!(!identity.iter().any(|x| page.contains(x)));
        let (_, list) = c.get_text("/admin/letters?tab=all").await;
        assert!(!list.contains("收受礼金"), "{who} does not see the report");
        let r = c.get(&format!("{path}/files/1")).await;
        assert_eq!(r.status(), 404, "{who}");
        let r = c
            .post_form(&format!("{path}/reveal"), &[("reason", "我想看看是谁")])
            .await;
        assert_eq!(r.status(), 404, "{who}");
    }
    // Discipline of the body handles it; the page does not show the identity.
    let jw = app.login("jwa").await;
    let (s, page) = jw.get_text(&path).await;
    assert_eq!(s, 200);
    assert!(page.contains("举报人身份已加密保护"));
    assert!(!identity.iter().any(|x| page.contains(x)), "{page}");
    // Revealing needs a reason; with one, the identity shows and the access is audited.
    let r = jw
        .post_form(&format!("{path}/reveal"), &[("reason", "")])
        .await;
    assert_eq!(r.status(), 422);
    let before = app
        .scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'letter.reveal'")
        .await;
    jw.refresh_csrf(&path).await;
    let r = jw
        .post_form(
            &format!("{path}/reveal"),
            &[("reason", "核实举报人联系方式以便约谈")],
        )
        .await;
    let page = r.text().await.unwrap();
    assert!(identity.iter().all(|x| page.contains(x)), "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'letter.reveal'")
            .await,
        before + 1
    );
    // The file opens for discipline only, audited again.
    let files = app.store.letter_files(id).await.unwrap();
    assert!(files[0].sealed);
    let r = jw.get(&format!("{path}/files/{}", files[0].id)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), secret_doc);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'letter.reveal'")
            .await,
        before + 2
    );
    // At rest: no identity string in any table, and the file is ciphertext.
    let dump = dump_database(&app).await;
    assert!(
        dump.contains("收受礼金"),
        "the dump is real: {}",
        dump.len()
    );
    for x in identity.iter().chain(&["证据.txt"]) {
        assert!(!dump.contains(x), "{x} found in the database dump");
    }
    // Not even the writer's address is in the audit log.
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'letter.create' AND object_id = '{id}' AND ip <> ''"
        ))
        .await,
        0
    );
    // The stored file is ciphertext.
    let stored = app.store.letter_files(id).await.unwrap()[0].sha256.clone();
    let blob_dir = app
        .data_dir()
        .map(|d| d.join("attachments"))
        .unwrap_or_default();
    if blob_dir.exists() {
        let mut all = Vec::new();
        collect_files(&blob_dir, &mut all);
        assert!(!all.is_empty());
        for f in all {
            let bytes = std::fs::read(&f).unwrap();
            assert!(
                !bytes.windows(secret_doc.len()).any(|w| w == secret_doc),
                "plaintext of the file at rest in {f:?} ({stored})"
            );
        }
    }
    // A second discipline user of the body may also handle it.
    let jw2 = app.login("jw2").await;
    let (s, _) = jw2.get_text(&path).await;
    assert_eq!(s, 200);
}

fn collect_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            collect_files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Everything the database holds as text: for SQLite the file and its WAL byte for byte, for
/// PostgreSQL `pg_dump` of the test's schema (or, without pg_dump, every text column).
async fn dump_database(app: &TestApp) -> String {
    match app.data_dir() {
        Some(dir) => {
            let mut all = Vec::new();
            for name in ["gongkai.db", "gongkai.db-wal"] {
                if let Ok(b) = std::fs::read(dir.join(name)) {
                    all.extend(b);
                }
            }
            String::from_utf8_lossy(&all).to_string()
        }
        None => {
            let schema: String = match &app.store.backend {
                gongkai_store::Backend::Postgres(p) => {
                    sqlx::query_scalar("SELECT current_schema()")
                        .fetch_one(p)
                        .await
                        .unwrap()
                }
                _ => unreachable!(),
            };
            let url = crate::support::pg_url().unwrap();
            let out = std::process::Command::new("pg_dump")
                .args(["--schema", &schema, "--data-only", &url])
                .output();
            match out {
                Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).to_string(),
                _ => {
                    // Every text column of every table of the schema, concatenated.
                    let gongkai_store::Backend::Postgres(p) = &app.store.backend else {
                        unreachable!()
                    };
                    let cols: Vec<(String, String)> = sqlx::query_as(
                        "SELECT table_name::text, column_name::text FROM information_schema.columns \
                         WHERE table_schema = current_schema() AND data_type IN ('text', 'character varying')",
                    )
                    .fetch_all(p)
                    .await
                    .unwrap();
                    let mut s = String::new();
                    for (t, c) in cols {
                        let v: Vec<Option<String>> = sqlx::query_scalar(sqlx::AssertSqlSafe(
                            format!("SELECT \"{c}\" FROM \"{t}\""),
                        ))
                        .fetch_all(p)
                        .await
                        .unwrap();
                        for x in v.into_iter().flatten() {
                            s.push_str(&x);
                            s.push('\n');
                        }
                    }
                    s
                }
            }
        }
    }
}

async fn statistics_appear_from_ten_letters(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let mb = mailbox(&app, a, "统计信箱", MailboxKind::Consult, false).await;
    let api = Api::new(&app, None);
    for i in 0..9 {
        let (s, j) = api
            .post(
                "/api/v1/letters",
                json!({"mailbox_id": mb, "subject": format!("咨询第{i}件"), "content": "请问办事大厅几点开门？",
                       "name": "测试人", "phone": format!("1390000{:04}", i)}),
            )
            .await;
        assert_eq!(s, 201, "{j}");
    }
    let b = Browser::new(&app);
    let (_, page) = b.get_text("/letters").await;
    assert!(page.contains("来信少于10件，暂不统计"), "{page}");
    assert!(!page.contains("收信9件"));
    let (s, _) = api
        .post(
            "/api/v1/letters",
            json!({"mailbox_id": mb, "subject": "咨询第十件", "content": "请问办事大厅几点开门？",
                   "name": "测试人", "phone": "13900009999"}),
        )
        .await;
    assert_eq!(s, 201);
    let (_, page) = b.get_text("/letters").await;
    assert!(page.contains("收信10件，答复0件"), "{page}");
}

async fn published_replies_are_masked_and_withdrawable(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let mb = mailbox(&app, a, "选登信箱", MailboxKind::Suggest, false).await;
    app.staff("hd1", Some(Role::LetterHandler), a).await;
    let public = Browser::new(&app);
    let (_, page) = write(
        &public,
        mb,
        &letter_fields(
            "建议整修人行道",
            "我家在幸福路，电话13812345678，门前人行道破损严重。",
        ),
        &[],
    )
    .await;
    let (number, _) = receipt(&page);
    let id = letter_id(&app, &number).await;
    // Without consent: no publication possible.
    let (_, page2) = write(
        &public,
        mb,
        &[
            ("subject", "不同意公开的来信"),
            ("content", "这封信不同意公开。"),
            ("name", "李四"),
            ("phone", "13700001111"),
        ],
        &[],
    )
    .await;
    let (n2, _) = receipt(&page2);
    let id2 = letter_id(&app, &n2).await;
    let h1 = app.login("hd1").await;
    for x in [id, id2] {
        h1.get_text(&format!("/admin/letters/{x}")).await;
        h1.post_form(
            &format!("/admin/letters/{x}/act"),
            &[("step", "reply"), ("text", "已安排城管部门于下周整修。")],
        )
        .await;
    }
    let (_, page) = h1.get_text(&format!("/admin/letters/{id}")).await;
    assert!(
        page.contains("选登公开") && page.contains("138****5678"),
        "{page}"
    );
    // The handler's edited text is screened again: a phone typed back in is masked.
    let r = h1
        .post_form(
            &format!("/admin/letters/{id}/publish"),
            &[
                ("subject", "建议整修人行道"),
                ("content", "门前人行道破损严重，联系电话13812345678。"),
                ("reply", "已安排城管部门于下周整修。"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (s, p) = public.get_text(&format!("/letters/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        p.contains("门前人行道破损严重") && !p.contains("13812345678"),
        "{p}"
    );
    assert!(!p.contains("张小明"));
    let (_, index) = public.get_text("/letters").await;
    assert!(index.contains("建议整修人行道"));
    assert!(
        index.contains(r#"<link rel="alternate" type="application/atom+xml" title="来信选登" href="/feeds/letters.atom">"#),
        "feed readers find the feed"
    );
    let (_, feed) = public.get_text("/feeds/letters.atom").await;
    assert!(feed.contains("建议整修人行道"));
    // Searchable where the public may see it, with its masked text only.
    let q = "/search?q=%E4%BA%BA%E8%A1%8C%E9%81%93"; // 人行道
    let found = app
        .eventually(q, |t| t.contains(&format!("/letters/{id}")))
        .await;
    assert!(!found.contains("13812345678"));
    let private = app
        .eventually(
            "/search?q=%E4%B8%8D%E5%90%8C%E6%84%8F%E5%85%AC%E5%BC%80",
            |t| t.contains("search"),
        )
        .await;
    assert!(
        !private.contains(&format!("/letters/{id2}")),
        "an unpublished letter is not searchable"
    );
    // Not consented: refused, and the page does not exist.
    h1.refresh_csrf(&format!("/admin/letters/{id2}")).await;
    let r = h1
        .post_form(
            &format!("/admin/letters/{id2}/publish"),
            &[("subject", "x"), ("content", "y"), ("reply", "z")],
        )
        .await;
    assert!(r.text().await.unwrap().contains("未同意公开"));
    let (s, _) = public.get_text(&format!("/letters/{id2}")).await;
    assert_eq!(s, 404);
    // Unpublish needs a reason; afterwards the page is gone everywhere.
    h1.refresh_csrf(&format!("/admin/letters/{id}")).await;
    let r = h1
        .post_form(&format!("/admin/letters/{id}/unpublish"), &[("reason", "")])
        .await;
    assert!(r.text().await.unwrap().contains("须说明理由"));
    h1.refresh_csrf(&format!("/admin/letters/{id}")).await;
    let r = h1
        .post_form(
            &format!("/admin/letters/{id}/unpublish"),
            &[("reason", "来信人要求撤下")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (s, _) = public.get_text(&format!("/letters/{id}")).await;
    assert_eq!(s, 404);
    let (_, feed) = public.get_text("/feeds/letters.atom").await;
    assert!(!feed.contains("建议整修人行道"));
    app.eventually(q, |t| !t.contains(&format!("/letters/{id}")))
        .await;
}

async fn letters_become_applications(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let mb = mailbox(&app, a, "咨询信箱", MailboxKind::Consult, false).await;
    app.staff("hd1", Some(Role::LetterHandler), a).await;
    let public = Browser::new(&app);
    let (_, page) = write(
        &public,
        mb,
        &letter_fields(
            "申请公开2025年道路维修合同",
            "请提供甲局2025年城区道路维修工程的施工合同。",
        ),
        &[],
    )
    .await;
    let (number, secret) = receipt(&page);
    let id = letter_id(&app, &number).await;
    let h1 = app.login("hd1").await;
    h1.get_text(&format!("/admin/letters/{id}")).await;
    let r = h1
        .post_form(&format!("/admin/letters/{id}/convert"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let l = app.store.get_letter(id).await.unwrap();
    assert_eq!(l.status, "converted");
    let app_id = l.application_id.unwrap();
    let x = app.store.get_application(app_id).await.unwrap();
    assert_eq!(x.received_on.as_deref(), Some(l.received_on.as_str()));
    assert!(x.description.contains("道路维修工程"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT letter_id FROM applications WHERE id = {app_id}"
        ))
        .await,
        id
    );
    // The writer follows the application with the same number's secret.
    let (s, _) = public.get_text("/track").await;
    assert_eq!(s, 200);
    let r = public
        .post_form("/track", &[("number", &x.number), ("secret", &secret)])
        .await;
    assert!(r.text().await.unwrap().contains("道路维修工程"));

    // The other way: an application that is really a complaint becomes a letter in a mailbox of
    // the body or an ancestor, answered 不予处理（五）1 and linked both ways.
    let complaints = mailbox(
        &app,
        app.tree.root,
        "县投诉台",
        MailboxKind::Complaint,
        false,
    )
    .await;
    app.staff("hap", Some(Role::ApplicationHandler), a).await;
    let api = Api::new(&app, None);
    let (s, rc) = api
        .post(
            "/api/v1/applications",
            json!({"body_id": a, "applicant_type": "natural", "name": "周强", "id_type": "其他",
                   "id_number": "X-1", "phone": "13500001111",
                   "description": "投诉甲局工作人员办事态度恶劣，要求处理", "delivery": "online"}),
        )
        .await;
    assert_eq!(s, 201, "{rc}");
    let x = app
        .store
        .find_application(rc["number"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    let hap = app.login("hap").await;
    let (_, page) = hap.get_text(&format!("/admin/applications/{}", x.id)).await;
    assert!(
        page.contains("县投诉台") && page.contains("转为来信"),
        "{page}"
    );
    let cs = complaints.to_string();
    let r = hap
        .post_form(
            &format!("/admin/applications/{}/to-letter", x.id),
            &[("mailbox_id", &cs)],
        )
        .await;
    assert_eq!(r.status(), 303);
    let x2 = app.store.get_application(x.id).await.unwrap();
    assert_eq!(x2.reply_type.as_deref(), Some("complaint"));
    assert!(x2.reply_row.unwrap().starts_with("（五）不予处理 1."));
    let lid = app
        .store
        .application_letter_id(x.id)
        .await
        .unwrap()
        .unwrap();
    let l = app.store.get_letter(lid).await.unwrap();
    assert_eq!(l.application_id, Some(x.id));
    assert_eq!(Some(l.received_on.as_str()), x.received_on.as_deref());
    assert!(x2.reply_text.contains(&l.number));
    let t = track(&public, &l.number, rc["secret"].as_str().unwrap()).await;
    assert!(
        t.contains("办事态度恶劣"),
        "the applicant follows the letter with the same secret"
    );
    // Once only.
    let r = hap
        .post_form(
            &format!("/admin/applications/{}/to-letter", x.id),
            &[("mailbox_id", &cs)],
        )
        .await;
    assert!(location(&r).contains("error="));
}

async fn the_api_writes_and_reads_letters(db: Db) {
    let app = TestApp::spawn(db).await;
    let mb = mailbox(&app, app.tree.a, "接口信箱", MailboxKind::Consult, false).await;
    let api = Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (s, boxes) = api.get("/api/v1/mailboxes").await;
    assert_eq!(s, 200);
    assert_eq!(boxes[0]["name"], "接口信箱");
    conforms(&doc, "/api/v1/mailboxes", "get", s, &boxes);
    let (s, err) = api
        .post(
            "/api/v1/letters",
            json!({"mailbox_id": mb, "subject": "", "content": "x"}),
        )
        .await;
    assert_eq!(s, 422);
    assert!(err["error"]["fields"]["subject"].is_string());
    assert!(err["error"]["fields"]["name"].is_string());
    conforms(&doc, "/api/v1/letters", "post", s, &err);
    let (s, err) = api
        .post("/api/v1/letters", json!({"mailbox_id": 999999, "subject": "a", "content": "bbbbbbb", "name": "x", "phone": "13800000000"}))
        .await;
    assert_eq!(s, 422, "{err}");
    let (s, rc) = api
        .post(
            "/api/v1/letters",
            json!({"mailbox_id": mb, "subject": "咨询公积金提取", "content": "请问租房提取公积金需要什么材料？",
                   "name": "王五", "email": "wangwu@example.cn"}),
        )
        .await;
    assert_eq!(s, 201, "{rc}");
    conforms(&doc, "/api/v1/letters", "post", s, &rc);
    let number = rc["number"].as_str().unwrap();
    assert!(app.store.find_letter(number).await.unwrap().is_some());
    let get = |secret: &str| {
        crate::support::http_client()
            .get(app.url(&format!("/api/v1/letters/{number}")))
            .header("X-Letter-Secret", secret.to_string())
            .send()
    };
    let r = get(rc["secret"].as_str().unwrap()).await.unwrap();
    assert_eq!(r.status(), 200);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["status"], "received");
    assert!(v["reply_text"].is_null());
    conforms(&doc, "/api/v1/letters/{number}", "get", 200, &v);
    let r = get("AAAA-BBBB-CCCC-DDDD").await.unwrap();
    assert_eq!(r.status(), 404);
    let e: Value = r.json().await.unwrap();
    conforms(&doc, "/api/v1/letters/{number}", "get", 404, &e);
}

async fn abuse_is_limited_and_input_is_kept(db: Db) {
    let app = TestApp::spawn_with(db, |c| c.submissions_per_window = 2).await;
    let mb = mailbox(&app, app.tree.a, "限流信箱", MailboxKind::Consult, false).await;
    let public = Browser::new(&app);
    // The honeypot: software that fills every field is refused, nothing stored.
    let mut f = letter_fields("机器人来信", "这是一封自动填写的来信。");
    f.push(("website", "http://spam.example"));
    let (s, _) = write(&public, mb, &f, &[]).await;
    assert_eq!(s, 422);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM letters").await, 0);
    // Files are checked by content.
    let (s, page) = write(
        &public,
        mb,
        &letter_fields("附件不符", "附件扩展名与内容不符。"),
        &[("照片.pdf", b"not a pdf".to_vec())],
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("附件不符"), "input kept");
    for i in 0..2 {
        let (s, _) = write(
            &public,
            mb,
            &letter_fields(&format!("第{i}封"), "同一地址连续来信。"),
            &[],
        )
        .await;
        assert_eq!(s, 200);
    }
    let (s, page) = write(
        &public,
        mb,
        &letter_fields("第三封来信", "超过频率限制的来信。"),
        &[],
    )
    .await;
    assert_eq!(s, 429);
    assert!(
        page.contains("提交过于频繁") && page.contains("第三封来信"),
        "{page}"
    );
    // The API answers with its stable code; applications share the limit.
    let api = Api::new(&app, None);
    let (s, e) = api
        .post("/api/v1/letters", json!({"mailbox_id": mb, "subject": "接口", "content": "超过频率限制的来信。", "name": "x", "phone": "13800000000"}))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (429, Some("rate_limited"))
    );
    let (s, _) = api
        .post("/api/v1/applications", json!({"applicant_type": "natural", "name": "张三", "id_type": "其他",
            "id_number": "X1", "phone": "13800000000", "description": "甲局2025年部门预算公开表", "delivery": "online"}))
        .await;
    assert_eq!(s, 429);
    // Near-duplicates from one writer are flagged, not refused.
    let ids: Vec<i64> = {
        let rows = app
            .store
            .list_letters(
                &gongkai_domain::access::Scope {
                    roots: vec!["/".into()],
                },
                &gongkai_domain::access::Scope::default(),
                &gongkai_store::letters::LetterFilter {
                    limit: 10,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
        rows.iter().map(|r| r.id).collect()
    };
    assert_eq!(ids.len(), 2);
    let flagged = app
        .scalar("SELECT COUNT(*) FROM letters WHERE duplicate_of IS NOT NULL")
        .await;
    assert_eq!(flagged, 1, "the second similar letter points at the first");
}

async fn overdue_letters_are_escalated(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let mb = mailbox(&app, a, "督办信箱", MailboxKind::Complaint, false).await;
    app.staff("lead", Some(Role::Approver), a).await;
    let api = Api::new(&app, None);
    let (s, rc) = api
        .post("/api/v1/letters", json!({"mailbox_id": mb, "subject": "投诉噪音", "content": "夜间施工噪音扰民。", "name": "赵六", "phone": "13600000000"}))
        .await;
    assert_eq!(s, 201, "{rc}");
    let l = app
        .store
        .find_letter(rc["number"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    // 信访 preset: 60 calendar days, ending on a working day — or, when that day falls in a
    // year whose holiday notice is not loaded yet, accepted with the date left open.
    let received = NaiveDate::parse_from_str(&l.received_on, "%Y-%m-%d").unwrap();
    let cal = app.store.load_calendar().await.unwrap();
    match cal.add_calendar_days_period(received, 60) {
        Ok(expected) => assert_eq!(l.due_on, expected.to_string()),
        Err(_) => assert_eq!(l.due_on, "", "no guessed date"),
    }
    // Editing the mailbox later does not move the deadline of letters already received.
    app.store
        .update_mailbox(
            mb,
            &fields("督办信箱", MailboxKind::Consult, false),
            &Who::system(),
        )
        .await
        .unwrap();
    let again = app.store.get_letter(l.id).await.unwrap();
    assert_eq!(again.rule(), LimitRule::xinfang());
    assert_eq!(again.due_on, l.due_on);
    // Not overdue today: nothing to escalate.
    let today = gongkai_web::handlers::admin::today();
    assert_eq!(app.store.escalate_overdue(today).await.unwrap(), 0);
    app.exec(&format!(
        "UPDATE letters SET due_on = '2025-01-02' WHERE id = {}",
        l.id
    ))
    .await;
    let lead = app.login("lead").await;
    let (_, page) = lead.get_text("/admin/letters?tab=overdue").await;
    assert!(
        page.contains("投诉噪音") && page.contains("已督办"),
        "{page}"
    );
    // Once only.
    assert_eq!(app.store.escalate_overdue(today).await.unwrap(), 0);
    let n = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM letter_events WHERE letter_id = {} AND kind = 'escalated'",
            l.id
        ))
        .await;
    assert_eq!(n, 1);
}

/// A minimal SMTP server on a free port that keeps every message it is given.
async fn fake_smtp() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = got.clone();
    tokio::spawn(async move {
        while let Ok((sock, _)) = listener.accept().await {
            let keep = keep.clone();
            tokio::spawn(async move {
                let (r, mut w) = sock.into_split();
                let mut lines = BufReader::new(r).lines();
                w.write_all(b"220 test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let up = line.to_uppercase();
                    if up.starts_with("DATA") {
                        w.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut msg = String::new();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            msg.push_str(&l);
                            msg.push('\n');
                        }
                        keep.lock().unwrap().push(msg);
                        w.write_all(b"250 queued\r\n").await.unwrap();
                    } else if up.starts_with("QUIT") {
                        w.write_all(b"221 bye\r\n").await.unwrap();
                        break;
                    } else {
                        w.write_all(b"250 OK\r\n").await.unwrap();
                    }
                }
            });
        }
    });
    (port, got)
}

async fn replies_are_emailed_when_smtp_is_configured(db: Db) {
    let (port, got) = fake_smtp().await;
    let app = TestApp::spawn_with(db, |c| {
        c.smtp = Some(gongkai_web::SmtpSettings {
            host: "127.0.0.1".into(),
            port,
            from: "gongkai@example.gov.cn".into(),
            username: String::new(),
            password: String::new(),
        });
        c.mail_every_ms = 100;
    })
    .await;
    let a = app.tree.a;
    let mb = mailbox(&app, a, "邮件信箱", MailboxKind::Consult, false).await;
    app.staff("hd1", Some(Role::LetterHandler), a).await;
    let api = Api::new(&app, None);
    let (_, with_mail) = api
        .post(
            "/api/v1/letters",
            json!({"mailbox_id": mb, "subject": "咨询社保卡补办", "content": "社保卡丢失后在哪里补办？",
                   "name": "孙七", "email": "sunqi@example.cn"}),
        )
        .await;
    let (_, phone_only) = api
        .post(
            "/api/v1/letters",
            json!({"mailbox_id": mb, "subject": "咨询公交卡", "content": "老年人公交卡在哪里办理？",
                   "name": "钱八", "phone": "13700002222"}),
        )
        .await;
    let hd1 = app.login("hd1").await;
    for rc in [&with_mail, &phone_only] {
        let id = letter_id(&app, rc["number"].as_str().unwrap()).await;
        hd1.get_text(&format!("/admin/letters/{id}")).await;
        let r = hd1
            .post_form(
                &format!("/admin/letters/{id}/act"),
                &[
                    ("step", "reply"),
                    ("text", "请携带身份证到县政务服务中心社保窗口办理。"),
                ],
            )
            .await;
        assert_eq!(r.status(), 303);
    }
    let number = with_mail["number"].as_str().unwrap().to_string();
    let mut mail = String::new();
    for _ in 0..50 {
        if let Some(m) = got.lock().unwrap().first().cloned() {
            mail = m;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(mail.contains("sunqi@example.cn"), "{mail}");
    assert!(mail.contains(&number), "{mail}");
    // Once: the pass does not send it again; the phone-only letter is never mailed.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(got.lock().unwrap().len(), 1);
    let id = letter_id(&app, &number).await;
    let kinds: Vec<String> = app
        .store
        .letter_events(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert!(kinds.contains(&"emailed".to_string()));
}
