//! 双公示 in the store, on both backends: a decision is recorded with its personal values
//! sealed, published as a masked copy that holds none of them, withdrawn with its reason,
//! leaves the public list after its display period, and is counted for the annual report.

use chrono::NaiveDate;
use gongkai_domain::audit::Who;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::credit::{self as dc, DecisionKind, PartyType};
use gongkai_domain::screening::ScreeningConfig;
use gongkai_store::credit::{NewDecision, Published};

use crate::both_backends;
use crate::support::{Db, fresh_store, tree};

both_backends!(
    published_copy_holds_no_personal_value_and_withdrawal_keeps_the_reason,
    minors_are_withheld_but_counted,
    the_same_document_number_is_refused_twice,
);

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
    let personal = vec![ID.to_string(), PHONE.to_string(), ADDRESS.to_string()];
    let cfg = ScreeningConfig::default();
    // Published a day late: recorded as late.
    let out = store
        .publish_decision(
            id,
            Some(ID),
            &personal,
            &["李四".into()],
            &cfg,
            d("2026-03-02"),
            &who,
        )
        .await
        .unwrap();
    let Published::Public(pid) = out else {
        panic!("published: {out:?}")
    };
    let staff = store.get_decision(id).await.unwrap();
    assert_eq!(staff.status, "published");
    assert!(staff.late_publish);
    let list = store
        .public_decisions(DecisionKind::Penalty, d("2026-03-02"), 50)
        .await
        .unwrap();
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
            .publish_decision(id, Some(ID), &personal, &[], &cfg, d("2026-03-02"), &who)
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
    let p = store
        .public_decision(pid, d("2026-05-06"))
        .await
        .unwrap()
        .unwrap();
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
    assert!(
        store
            .public_decision(pid, d("2027-02-12"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .public_decision(pid, d("2027-02-13"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .public_decisions(DecisionKind::Penalty, d("2027-02-13"), 50)
            .await
            .unwrap()
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
            Some(minor_id),
            &[minor_id.into()],
            &[],
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
            .public_decisions(DecisionKind::Penalty, d("2026-06-02"), 50)
            .await
            .unwrap()
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
            None,
            &[PHONE.into(), ADDRESS.into()],
            &[],
            &ScreeningConfig::default(),
            d("2026-05-07"),
            &who,
        )
        .await
        .unwrap();
    let p = &store
        .public_decisions(DecisionKind::Penalty, d("2026-05-07"), 50)
        .await
        .unwrap()[0];
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
