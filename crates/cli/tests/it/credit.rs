//! 双公示 in the store, on both backends: a decision is recorded with its personal values
//! sealed, published as a masked copy that holds none of them, withdrawn with its reason,
//! leaves the public list after its display period, and is counted for the annual report.

use chrono::NaiveDate;
use gongkai_domain::audit::Who;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::credit::{self as dc, DecisionKind, PartyType, Personal};
use gongkai_domain::screening::ScreeningConfig;
use gongkai_store::credit::{NewDecision, PublicFilter, Published};

use crate::both_backends;
use crate::support::{Db, fresh_store, tree};

both_backends!(
    published_copy_holds_no_personal_value_and_withdrawal_keeps_the_reason,
    minors_are_withheld_but_counted,
    the_same_document_number_is_refused_twice,
);

fn penalties() -> PublicFilter {
    PublicFilter {
        kind: Some(DecisionKind::Penalty),
        limit: 50,
        ..PublicFilter::default()
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const ID: &str = "110101199003070018";
const PHONE: &str = "13812345678";
const ADDRESS: &str = "幸福路18号3栋2单元501室";

fn penalty(body_id: i64, doc_no: &str, decided: &str, party: PartyType) -> NewDecision {
    let cal = Calendar::builtin();
    NewDecision {
        body_id,
        kind: DecisionKind::Penalty,
        party_name: "张三丰".into(),
        party_type: party,
        uscc: if party == PartyType::Natural {
            String::new()
        } else {
            "91350100M000100Y43".into()
        },
        legal_rep: "王五".into(),
        personal_sealed: "sealed-elsewhere".into(),
        involves_minor: false,
        adult_confirmed: false,
        doc_title: "行政处罚决定书".into(),
        doc_no: doc_no.into(),
        content: format!(
            "当事人张三丰（身份证号{ID}，电话138-1234-5678，住{ADDRESS}）经李四举报，无证经营，罚款五千元。"
        ),
        basis: "《无证无照经营查处办法》第十三条".into(),
        fine_fen: Some(500_000),
        decided_on: d(decided),
        valid_until: String::new(),
        publish_due: dc::publish_due(&cal, d(decided)).unwrap(),
        display_months: 12,
        entered_via: "form",
    }
}

async fn published_copy_holds_no_personal_value_and_withdrawal_keeps_the_reason(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let t = tree(&store).await;
    let who = Who::system();
    let rec = penalty(t.a, "测甲罚〔2026〕1号", "2026-02-12", PartyType::Natural);
    assert_eq!(
        rec.publish_due.date(),
        Some(d("2026-02-28")),
        "7 working days over the Spring Festival"
    );
    let id = store.record_decision(&rec, &who).await.unwrap();
    let personal = Personal {
        id_type: "resident".into(),
        id_no: ID.into(),
        phone: PHONE.into(),
        address: ADDRESS.into(),
        other_names: vec!["李四".into()],
        ..Personal::default()
    };
    let cfg = ScreeningConfig::default();
    // Published a day late: recorded as late.
    let out = store
        .publish_decision(id, &personal, &cfg, d("2026-03-02"), &who)
        .await
        .unwrap();
    let Published::Public(pid) = out else {
        panic!("published: {out:?}")
    };
    let staff = store.get_decision(id).await.unwrap();
    assert_eq!(staff.status, "published");
    assert!(staff.late_publish);
    let list = store
        .public_decisions(&penalties(), d("2026-03-02"))
        .await
        .unwrap()
        .0;
    assert_eq!(list.len(), 1);
    let p = &list[0];
    assert_eq!(p.id, pid);
    let public = serde_json::to_string(p).unwrap();
    for secret in [
        ID,
        PHONE,
        "1381234",
        ADDRESS,
        "幸福路18号",
        "张三丰",
        "李四",
    ] {
        assert!(
            !public.contains(secret),
            "{secret} reached the public copy: {public}"
        );
    }
    assert_eq!(p.party_name, "张某");
    assert!(p.content.contains("李某举报"), "{}", p.content);
    assert_eq!(p.uscc, "", "a natural person has no code in public");
    assert_eq!(p.legal_rep, "");
    assert_eq!(p.display_until, "2027-02-12");
    // Publishing twice is refused.
    assert!(
        store
            .publish_decision(id, &personal, &cfg, d("2026-03-02"), &who)
            .await
            .is_err()
    );
    // Withdrawal: a reason is required; then content goes, the reason stays.
    let cal = Calendar::builtin();
    let due = dc::withdraw_due(&cal, d("2026-04-30")).unwrap();
    assert!(
        store
            .withdraw_decision(id, d("2026-04-30"), due, " ", d("2026-05-06"), &who)
            .await
            .is_err()
    );
    store
        .withdraw_decision(
            id,
            d("2026-04-30"),
            due,
            "原处罚决定经行政复议被撤销",
            d("2026-05-06"),
            &who,
        )
        .await
        .unwrap();
    let p = store.public_decision(pid).await.unwrap().unwrap();
    assert_eq!(p.status, "withdrawn");
    assert_eq!(p.withdraw_reason, "原处罚决定经行政复议被撤销");
    assert!(p.content.is_empty() && p.party_name.is_empty() && p.fine_fen.is_none());
    assert!(
        !store.get_decision(id).await.unwrap().late_withdraw,
        "within 3 working days"
    );
    let again = store
        .withdraw_decision(id, d("2026-04-30"), due, "重复", d("2026-05-06"), &who)
        .await
        .unwrap_err();
    assert!(again.to_string().contains("已撤下"), "{again}");
    // After the display period it is off the public list and page, but kept in the records.
    let p = store.public_decision(pid).await.unwrap().unwrap();
    assert!(p.shown_on(d("2027-02-12")));
    assert!(!p.shown_on(d("2027-02-13")));
    // The daily pass marks it ended once, with a change-log row for search and feeds.
    let head = store.change_log_head().await.unwrap();
    let cal = Calendar::builtin();
    assert_eq!(
        store
            .credit_tick(&cal, d("2027-02-13"))
            .await
            .unwrap()
            .expired,
        1
    );
    assert_eq!(
        store
            .credit_tick(&cal, d("2027-02-14"))
            .await
            .unwrap()
            .expired,
        0
    );
    assert!(store.change_log_head().await.unwrap() > head);
    assert!(
        store
            .public_decisions(&penalties(), d("2027-02-13"))
            .await
            .unwrap()
            .0
            .is_empty()
    );
    assert_eq!(store.get_decision(id).await.unwrap().status, "withdrawn");
}

async fn minors_are_withheld_but_counted(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let t = tree(&store).await;
    let who = Who::system();
    let minor_id = "110101200812020017";
    let id = store
        .record_decision(
            &penalty(t.b, "测乙罚〔2026〕7号", "2026-06-01", PartyType::Natural),
            &who,
        )
        .await
        .unwrap();
    let out = store
        .publish_decision(
            id,
            &Personal {
                id_type: "resident".into(),
                id_no: minor_id.into(),
                ..Personal::default()
            },
            &ScreeningConfig::default(),
            d("2026-06-02"),
            &who,
        )
        .await
        .unwrap();
    assert!(
        matches!(out, Published::Withheld(ref r) if r.contains("未满十八周岁")),
        "{out:?}"
    );
    assert!(
        store
            .public_decisions(&penalties(), d("2026-06-02"))
            .await
            .unwrap()
            .0
            .is_empty()
    );
    // A company's license and a coercion the same year; one decided the year before.
    let mut lic = penalty(t.b, "测乙许〔2026〕3号", "2026-03-03", PartyType::Legal);
    lic.kind = DecisionKind::License;
    store.record_decision(&lic, &who).await.unwrap();
    let mut co = penalty(t.b, "测乙强〔2026〕1号", "2026-04-03", PartyType::Legal);
    co.kind = DecisionKind::Coercion;
    store.record_decision(&co, &who).await.unwrap();
    store
        .record_decision(
            &penalty(t.b, "测乙罚〔2025〕9号", "2025-12-31", PartyType::Legal),
            &who,
        )
        .await
        .unwrap();
    let c = store.decision_counts(t.b, 2026).await.unwrap();
    assert_eq!((c.license, c.penalty, c.coercion), (1, 1, 1));
    assert_eq!(store.decision_counts(t.b, 2025).await.unwrap().penalty, 1);
    assert_eq!(store.decision_counts(t.a, 2026).await.unwrap().penalty, 0);
}

async fn the_same_document_number_is_refused_twice(db: Db) {
    let (store, _d) = fresh_store(db).await;
    let t = tree(&store).await;
    let who = Who::system();
    let rec = penalty(t.a, "测甲罚〔2026〕5号", "2026-05-06", PartyType::Legal);
    store.record_decision(&rec, &who).await.unwrap();
    let e = store.record_decision(&rec, &who).await.unwrap_err();
    assert!(e.to_string().contains("测甲罚〔2026〕5号"), "{e}");
    // A company's decision keeps its name, code and representative in public.
    let id = store
        .record_decision(
            &penalty(t.a, "测甲罚〔2026〕6号", "2026-05-06", PartyType::Legal),
            &who,
        )
        .await
        .unwrap();
    store
        .publish_decision(
            id,
            &Personal {
                phone: PHONE.into(),
                address: ADDRESS.into(),
                ..Personal::default()
            },
            &ScreeningConfig::default(),
            d("2026-05-07"),
            &who,
        )
        .await
        .unwrap();
    let p = &store
        .public_decisions(&penalties(), d("2026-05-07"))
        .await
        .unwrap()
        .0[0];
    assert_eq!(
        (p.party_name.as_str(), p.uscc.as_str(), p.legal_rep.as_str()),
        ("张三丰", "91350100M000100Y43", "王五")
    );
    assert!(
        !p.content.contains(ID) && !p.content.contains(ADDRESS),
        "{}",
        p.content
    );
}

// ---------------------------------------------------------------------------------------------
// Through the real server: the back office, the portal, feeds, sitemap, search and the API.

use crate::api::{Api, admin, code, conforms, issue};
use crate::support::{Browser, TestApp, location};
use gongkai_domain::access::Role;
use serde_json::{Value, json};

both_backends!(
    a_bodys_policy_sets_the_display_period_and_how_a_person_is_named,
    a_decision_goes_from_the_form_to_a_masked_public_page_and_is_withdrawn,
    nobody_outside_the_roles_sees_or_changes_a_decision,
    decisions_through_the_api_match_the_document,
);

/// A valid resident ID (born 1988-08-08) of the HTTP tests.
fn person_id() -> String {
    let body = "11010119880808001";
    let check = gongkai_domain::codes::resident_id_check_char(body).unwrap();
    format!("{body}{check}")
}

/// The penalty form of a natural person, with personal values typed into the text as well.
fn person_form(body: i64, doc_no: &str) -> Vec<(String, String)> {
    let id = person_id();
    [
        ("body_id", body.to_string()),
        ("kind", "penalty".into()),
        ("party_type", "natural".into()),
        ("party_name", "赵铁柱".into()),
        ("id_type", "resident".into()),
        ("id_no", id.clone()),
        ("phone", "13611112222".into()),
        ("address", "城关镇和平路66号2单元301室".into()),
        ("other_names", "钱多多".into()),
        ("doc_title", "行政处罚决定书".into()),
        ("doc_no", doc_no.into()),
        (
            "content",
            format!(
                "当事人赵铁柱（身份证号{id}，手机136-1111-2222，住城关镇和平路66号2单元301室）无照经营，经钱多多举报查实，罚款三千元。"
            ),
        ),
        ("basis", "《无证无照经营查处办法》第十三条".into()),
        ("fine_yuan", "3000".into()),
        ("decided_on", crate::credit::today().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

pub(crate) fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

async fn post(b: &Browser, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(path, &f).await
}

fn secrets() -> Vec<String> {
    let id = person_id();
    vec![
        id.clone(),
        id[..14].to_string(),
        "13611112222".into(),
        "1361111".into(),
        "136-1111-2222".into(),
        "和平路66号".into(),
        "赵铁柱".into(),
        "钱多多".into(),
    ]
}

fn assert_clean(what: &str, text: &str) {
    for s in secrets() {
        assert!(!text.contains(&s), "{s} reached {what}:\n{text}");
    }
}

async fn a_decision_goes_from_the_form_to_a_masked_public_page_and_is_withdrawn(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("clerk", Some(Role::CreditEditor), a).await;
    app.staff("leader", Some(Role::Approver), a).await;
    let clerk = app.login("clerk").await;
    let (s, page) = clerk.get_text("/admin/credit/new").await;
    assert_eq!(s, 200, "{page}");
    // Bad input: the form comes back with what was typed and a message per field.
    let mut bad = person_form(a, "测甲罚〔2026〕31号");
    for (k, v) in bad.iter_mut() {
        match k.as_str() {
            "decided_on" => *v = (today() + chrono::Days::new(3)).to_string(),
            "id_no" => *v = "110101198808080011".into(),
            _ => {}
        }
    }
    let r = post(&clerk, "/admin/credit/new", &bad).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("晚于今天"), "{page}");
    assert!(page.contains("校验位"), "{page}");
    assert!(page.contains("测甲罚〔2026〕31号"), "the input is kept");
    // A good one is recorded and waits for the leader.
    let r = post(
        &clerk,
        "/admin/credit/new",
        &person_form(a, "测甲罚〔2026〕31号"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let at = location(&r);
    let id: i64 = at
        .trim_start_matches("/admin/credit/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let (_, page) = clerk.get_text(&at).await;
    assert!(page.contains("待公示"), "{page}");
    assert!(
        !page.contains(&person_id()),
        "the ID is masked until revealed"
    );
    // The clerk records but does not publish.
    let r = clerk
        .post_form(&format!("/admin/credit/{id}/publish"), &[])
        .await;
    assert_eq!(r.status(), 403);
    // Revealing needs a reason, and is audited.
    let r = clerk
        .post_form(&format!("/admin/credit/{id}/reveal"), &[("reason", "")])
        .await;
    assert_eq!(r.status(), 422);
    let r = clerk
        .post_form(
            &format!("/admin/credit/{id}/reveal"),
            &[("reason", "核对当事人身份")],
        )
        .await;
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains(&person_id()));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'credit.reveal'")
            .await,
        1
    );
    // The leader sees the public copy before publishing it.
    let leader = app.login("leader").await;
    let (_, page) = leader.get_text(&format!("/admin/credit/{id}")).await;
    let preview = page.split("公示稿").nth(1).unwrap_or_default().to_string();
    assert!(preview.contains("赵某"), "{preview}");
    assert!(preview.contains("钱某举报"), "{preview}");
    assert_clean("the preview", &preview);
    let r = leader
        .post_form(&format!("/admin/credit/{id}/publish"), &[])
        .await;
    assert_eq!(r.status(), 303);
    let pid = app.store.public_id_of(id).await.unwrap().unwrap();
    // The public pages, feed, sitemap and API: masked everywhere.
    let anon = Browser::new(&app);
    let (s, list) = anon.get_text("/credit?kind=penalty").await;
    assert_eq!(s, 200);
    assert!(
        list.contains("测甲罚〔2026〕31号") && list.contains("赵某"),
        "{list}"
    );
    let (s, rec) = anon.get_text(&format!("/credit/{pid}")).await;
    assert_eq!(s, 200);
    assert!(
        rec.contains("noindex"),
        "a natural person's record is kept from search engines"
    );
    assert!(rec.contains("罚款金额") && rec.contains("3000元"), "{rec}");
    let searched = app
        .eventually("/search?q=无照经营", |p| {
            p.contains(&format!("/credit/{pid}"))
        })
        .await;
    for path in [
        "/".to_string(),
        "/credit".into(),
        "/credit?kind=penalty".into(),
        format!("/credit/{pid}"),
        "/feeds/credit.atom".into(),
        "/sitemap.xml".into(),
        "/sitemap-pages.xml".into(),
        "/search?q=赵".into(),
        "/api/v1/credit?kind=penalty".into(),
        format!("/api/v1/credit/{pid}"),
        "/api/v1/search?q=无照经营".into(),
    ] {
        let (_, text) = anon.get_text(&path).await;
        assert_clean(&path, &text);
    }
    assert_clean("the search page", &searched);
    // Withdrawal: the reason is public, the party and content are gone, search drops it.
    let r = leader
        .post_form(
            &format!("/admin/credit/{id}/withdraw"),
            &[("revoked_on", &today().to_string()), ("reason", "")],
        )
        .await;
    assert_eq!(r.status(), 422, "a reason is required");
    let r = leader
        .post_form(
            &format!("/admin/credit/{id}/withdraw"),
            &[
                ("revoked_on", &today().to_string()),
                ("reason", "原处罚决定经行政复议被撤销"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let (_, rec) = anon.get_text(&format!("/credit/{pid}")).await;
    assert!(rec.contains("原处罚决定经行政复议被撤销"), "{rec}");
    assert!(!rec.contains("无照经营"), "{rec}");
    app.eventually("/search?q=无照经营", |p| {
        !p.contains(&format!("/credit/{pid}"))
    })
    .await;
    // After the display period: 410 with nothing of it; an id never public: 404.
    app.exec(&format!(
        "UPDATE credit_public SET display_until = '2020-01-01' WHERE id = {pid}"
    ))
    .await;
    let (s, page) = anon.get_text(&format!("/credit/{pid}")).await;
    assert_eq!(s, 410);
    assert!(
        page.contains("公示期已满") && !page.contains("测甲罚"),
        "{page}"
    );
    let api = Api::new(&app, None);
    let (s, j) = api.get(&format!("/api/v1/credit/{pid}")).await;
    assert_eq!((s, code(&j)), (410, "display_ended"));
    let (s, _) = anon.get_text(&format!("/credit/{}", pid + 100)).await;
    assert_eq!(s, 404);
}

async fn nobody_outside_the_roles_sees_or_changes_a_decision(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("clerk", Some(Role::CreditEditor), a).await;
    app.staff("clerk_b", Some(Role::CreditEditor), b).await;
    app.staff("leader_b", Some(Role::Approver), b).await;
    app.staff("editor", Some(Role::Editor), a).await;
    app.staff("superv", Some(Role::Supervisor), app.tree.root)
        .await;
    app.staff("minor_clerk", Some(Role::CreditEditor), a).await;
    app.staff("leader", Some(Role::Approver), a).await;
    let clerk = app.login("clerk").await;
    let r = post(
        &clerk,
        "/admin/credit/new",
        &person_form(a, "测甲罚〔2026〕40号"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let at = location(&r);
    let id = at
        .trim_start_matches("/admin/credit/")
        .split('?')
        .next()
        .unwrap()
        .to_string();
    // A clerk may not record for a body outside the subtree.
    let r = post(
        &clerk,
        "/admin/credit/new",
        &person_form(b, "测乙罚〔2026〕1号"),
    )
    .await;
    assert_eq!(r.status(), 403);
    // Another body's clerk and leader: the decision does not exist for them.
    for who in ["clerk_b", "leader_b"] {
        let u = app.login(who).await;
        let (s, _) = u.get_text(&format!("/admin/credit/{id}")).await;
        assert_eq!(s, 404, "{who}");
        let r = u
            .post_form(&format!("/admin/credit/{id}/publish"), &[])
            .await;
        assert_eq!(r.status(), 404, "{who}");
        let (_, list) = u.get_text("/admin/credit?view=all").await;
        assert!(!list.contains("测甲罚〔2026〕40号"), "{who}");
    }
    // An editor of items has no 双公示 at all.
    let ed = app.login("editor").await;
    let (s, _) = ed.get_text("/admin/credit").await;
    assert_eq!(s, 403);
    let (s, _) = ed.get_text(&format!("/admin/credit/{id}")).await;
    assert_eq!(s, 404);
    // A supervisor reads, masked, and changes nothing.
    let sv = app.login("superv").await;
    let (s, page) = sv.get_text(&format!("/admin/credit/{id}")).await;
    assert_eq!(s, 200);
    assert!(!page.contains(&person_id()));
    assert!(!page.contains("查看完整信息"), "no reveal for a supervisor");
    for action in ["publish", "void", "withdraw", "reveal"] {
        let r = sv
            .post_form(
                &format!("/admin/credit/{id}/{action}"),
                &[("reason", "越权操作测试"), ("revoked_on", "2026-01-05")],
            )
            .await;
        assert_eq!(r.status(), 403, "{action}");
    }
    // Voiding needs a reason; a voided number may be entered again.
    let r = clerk
        .post_form(&format!("/admin/credit/{id}/void"), &[("reason", " ")])
        .await;
    assert_eq!(r.status(), 422);
    let r = clerk
        .post_form(
            &format!("/admin/credit/{id}/void"),
            &[("reason", "文书号录入错误")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = post(
        &clerk,
        "/admin/credit/new",
        &person_form(a, "测甲罚〔2026〕40号"),
    )
    .await;
    assert_eq!(r.status(), 303, "the voided number is free again");
    let r = post(
        &clerk,
        "/admin/credit/new",
        &person_form(a, "测甲罚〔2026〕40号"),
    )
    .await;
    assert_eq!(r.status(), 422, "but not twice");
    assert!(r.text().await.unwrap().contains("已登记文书号"));
    // A minor's decision is withheld when the leader publishes it, and stays out of public.
    let mut minor = person_form(a, "测甲罚〔2026〕41号");
    let born = format!("{}0101", chrono::Datelike::year(&today()) - 15);
    let body = format!("110101{born}002");
    let check = gongkai_domain::codes::resident_id_check_char(&body).unwrap();
    for (k, v) in minor.iter_mut() {
        if k == "id_no" {
            *v = format!("{body}{check}");
        }
    }
    let mc = app.login("minor_clerk").await;
    let r = post(&mc, "/admin/credit/new", &minor).await;
    assert_eq!(r.status(), 303);
    let mid: i64 = location(&r)
        .trim_start_matches("/admin/credit/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let leader = app.login("leader").await;
    let r = leader
        .post_form(&format!("/admin/credit/{mid}/publish"), &[])
        .await;
    assert_eq!(location(&r), format!("/admin/credit/{mid}?done=withheld"));
    assert_eq!(app.store.public_id_of(mid).await.unwrap(), None);
    let (_, list) = Browser::new(&app).get_text("/credit?kind=penalty").await;
    assert!(!list.contains("测甲罚〔2026〕41号"));
}

async fn decisions_through_the_api_match_the_document(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    let anon = Api::new(&app, None);
    let (_, doc) = anon.get("/api/openapi.json").await;
    let ad = admin(&app).await;
    let clerk = Api::new(
        &app,
        Some(&issue(&ad, "执法办案系统", a, &["credit_editor"], "svc-credit").await),
    );
    let leader = Api::new(
        &app,
        Some(&issue(&ad, "审批系统", a, &["approver"], "svc-lead").await),
    );
    let other = Api::new(
        &app,
        Some(&issue(&ad, "乙局系统", b, &["credit_editor", "approver"], "svc-b").await),
    );
    let firm = json!({
        "body_id": a,
        "kind": "penalty",
        "party_type": "legal",
        "party_name": "示例测试商贸有限公司",
        "uscc": "91350100M000100Y43",
        "legal_rep": "孙大圣",
        "rep_id_no": person_id(),
        "doc_title": "行政处罚决定书",
        "doc_no": "测甲罚〔2026〕50号",
        "content": "当事人销售过期食品，罚款一万元。",
        "basis": "《中华人民共和国食品安全法》第一百二十四条",
        "fine_yuan": "10000",
        "decided_on": today().to_string(),
    });
    let (s, j) = clerk
        .post("/api/v1/admin/credit/decisions", firm.clone())
        .await;
    assert_eq!(s, 201, "{j}");
    conforms(&doc, "/api/v1/admin/credit/decisions", "post", s, &j);
    assert!(
        !j.to_string().contains(&person_id()),
        "no personal value comes back"
    );
    let id = j["id"].as_i64().unwrap();
    let (s, j) = clerk
        .post("/api/v1/admin/credit/decisions", firm.clone())
        .await;
    assert_eq!((s, code(&j)), (409, "conflict"));
    conforms(&doc, "/api/v1/admin/credit/decisions", "post", s, &j);
    let mut bad = firm.clone();
    bad["uscc"] = json!("91350100M000100Y44");
    bad["decided_on"] = json!("2999-01-01");
    let (s, j) = clerk.post("/api/v1/admin/credit/decisions", bad).await;
    assert_eq!((s, code(&j)), (422, "validation"));
    assert!(
        j["error"]["fields"]["uscc"].is_string() && j["error"]["fields"]["decided_on"].is_string(),
        "{j}"
    );
    conforms(&doc, "/api/v1/admin/credit/decisions", "post", s, &j);
    let mut elsewhere = firm.clone();
    elsewhere["body_id"] = json!(b);
    let (s, j) = clerk
        .post("/api/v1/admin/credit/decisions", elsewhere)
        .await;
    assert_eq!((s, code(&j)), (403, "forbidden"));
    // The clerk's token cannot publish; another body's token does not see it.
    let (s, j) = clerk
        .post(
            &format!("/api/v1/admin/credit/decisions/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!((s, code(&j)), (403, "forbidden"));
    conforms(
        &doc,
        "/api/v1/admin/credit/decisions/{id}/publish",
        "post",
        s,
        &j,
    );
    let (s, j) = other
        .get(&format!("/api/v1/admin/credit/decisions/{id}"))
        .await;
    assert_eq!((s, code(&j)), (404, "not_found"));
    let (s, j) = clerk.get("/api/v1/admin/credit/decisions?view=due").await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/admin/credit/decisions", "get", s, &j);
    assert_eq!(j.as_array().unwrap().len(), 1);
    let (s, j) = leader
        .post(
            &format!("/api/v1/admin/credit/decisions/{id}/publish"),
            json!({}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    conforms(
        &doc,
        "/api/v1/admin/credit/decisions/{id}/publish",
        "post",
        s,
        &j,
    );
    assert_eq!(j["status"], "published");
    let pid = j["public_id"].as_i64().unwrap();
    // Public: a legal person keeps its name, code and representative; the sitemap lists it.
    let (s, j) = anon.get(&format!("/api/v1/credit/{pid}")).await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/credit/{id}", "get", s, &j);
    assert_eq!(j["party_name"], "示例测试商贸有限公司");
    assert_eq!(j["uscc"], "91350100M000100Y43");
    assert!(!j.to_string().contains(&person_id()));
    let (s, j) = anon.get("/api/v1/credit?kind=penalty").await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/credit", "get", s, &j);
    assert_eq!(j["total"], 1);
    let (_, sm) = Browser::new(&app).get_text("/sitemap-credit-1.xml").await;
    assert!(sm.contains(&format!("/credit/{pid}")), "{sm}");
    // Withdrawal through the API, with its reason.
    let (s, j) = leader
        .post(
            &format!("/api/v1/admin/credit/decisions/{id}/withdraw"),
            json!({"revoked_on": "x", "reason": "撤销"}),
        )
        .await;
    assert_eq!((s, code(&j)), (422, "validation"));
    conforms(
        &doc,
        "/api/v1/admin/credit/decisions/{id}/withdraw",
        "post",
        s,
        &j,
    );
    let (s, j) = leader
        .post(
            &format!("/api/v1/admin/credit/decisions/{id}/withdraw"),
            json!({"revoked_on": today().to_string(), "reason": "原决定被依法撤销"}),
        )
        .await;
    assert_eq!(s, 200, "{j}");
    conforms(
        &doc,
        "/api/v1/admin/credit/decisions/{id}/withdraw",
        "post",
        s,
        &j,
    );
    assert_eq!(j["status"], "withdrawn");
    let (_, j) = anon.get(&format!("/api/v1/credit/{pid}")).await;
    assert_eq!(j["withdraw_reason"], "原决定被依法撤销");
    assert_eq!(j["party_name"], "");
    let _: Value = j;
}

/// A body's administrator sets its 双公示 rules: a 3-month period for penalties and natural
/// persons as 赵**. A penalty recorded afterwards gets that period, its public page names the
/// person so and holds no personal value; a bad period is refused with a message.
async fn a_bodys_policy_sets_the_display_period_and_how_a_person_is_named(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("boss", Some(Role::Admin), a).await;
    app.staff("clerk", Some(Role::CreditEditor), a).await;
    app.staff("leader", Some(Role::Approver), a).await;
    let boss = app.login("boss").await;
    let settings = format!("/admin/bodies/{a}/catalogue");
    let r = boss
        .post_form(
            &settings,
            &[("action", "settings"), ("credit_penalty_months", "999")],
        )
        .await;
    assert!(location(&r).contains("error="), "{}", location(&r));
    let r = boss
        .post_form(
            &settings,
            &[
                ("action", "settings"),
                ("credit_penalty_months", "3"),
                ("credit_person_name", "masked"),
            ],
        )
        .await;
    assert!(location(&r).contains("done="), "{}", location(&r));
    let (_, page) = boss.get_text(&settings).await;
    assert!(
        page.contains("name=\"credit_penalty_months\" value=\"3\""),
        "the form shows it"
    );
    // The clerk records, the leader publishes.
    let clerk = app.login("clerk").await;
    let r = post(
        &clerk,
        "/admin/credit/new",
        &person_form(a, "测甲罚〔2026〕77号"),
    )
    .await;
    assert_eq!(r.status(), 303);
    let id: i64 = location(&r)
        .trim_start_matches("/admin/credit/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        app.scalar(&format!(
            "SELECT display_months FROM credit_decisions WHERE id = {id}"
        ))
        .await,
        3
    );
    let leader = app.login("leader").await;
    let r = leader
        .post_form(&format!("/admin/credit/{id}/publish"), &[])
        .await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let public_id = app
        .scalar(&format!(
            "SELECT id FROM credit_public WHERE decision_id = {id}"
        ))
        .await;
    let anon = Browser::new(&app);
    let (s, page) = anon.get_text(&format!("/credit/{public_id}")).await;
    assert_eq!(s, 200);
    assert!(page.contains("赵**"), "{page}");
    assert!(!page.contains("赵某"));
    assert_clean("the public page", &page);
    let until = (today() + chrono::Months::new(3)).to_string();
    assert!(page.contains(&until), "display until {until}: {page}");
}
