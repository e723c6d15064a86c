//! Demo content for 公示: the school's 评优 result in its period (公示中, with the objection form)
//! and a village's quarterly accounts whose 7-day period has ended without objection (its result
//! and the ledger entry recorded by the daily pass). Created once.

use chrono::Duration;
use gongkai_domain::audit::Who;
use gongkai_domain::notice_period::{self as np, NoticeKind, ObjectionPolicy, ValidPeriod};
use gongkai_store::Store;
use gongkai_store::disclosure::{ImportRow, VersionFields};

const NOTICES: [(&str, &str, &str, NoticeKind, i64); 2] = [
    (
        "示例县第一中学",
        "关于2026年度优秀教师评选结果的公示",
        "经个人申报、教研组推荐、校委会研究并提交教职工代表大会审议通过，拟评选王丽、陈志强、刘芳三位同志为2026年度优秀教师。\n\n公示期间，如对评选结果有异议，请在本页提出，或向学校工会书面反映。",
        NoticeKind::Award,
        0,
    ),
    (
        "示例县青山镇青山村村民委员会",
        "青山村2026年第三季度村务财务收支情况公示",
        "| 项目 | 金额（元） |\n|---|---|\n| 上级转移支付 | 86,000 |\n| 集体经营收入 | 23,400 |\n| 道路养护支出 | 31,200 |\n| 村干部报酬 | 42,000 |\n\n公示期7天。对收支有疑问的，请向村务监督委员会反映。",
        NoticeKind::Village,
        12,
    ),
];

pub async fn seed(store: &Store, today: chrono::NaiveDate) -> anyhow::Result<usize> {
    let bodies = store.list_bodies().await?;
    let cal = store.load_calendar().await?;
    let mut n = 0;
    for (body_name, title, text, kind, days_ago) in NOTICES {
        let Some(body) = bodies.iter().find(|b| b.name == body_name) else {
            continue;
        };
        if store.find_item_titled(body.id, title).await?.is_some() {
            continue;
        }
        let cats = store.list_categories(body.id).await?;
        if cats.is_empty() {
            continue;
        }
        let cat = cats
            .iter()
            .find(|c| c.template_key == "notice")
            .or_else(|| cats.first())
            .map(|c| c.id)
            .unwrap_or_default();
        let start = today - Duration::days(days_ago);
        let out = store
            .import_published(
                &[ImportRow {
                    body_id: body.id,
                    org_code: body.org_code.clone(),
                    category_id: cat,
                    index_no: None,
                    fields: VersionFields {
                        title: title.into(),
                        doc_no: String::new(),
                        written_on: Some(start),
                        formed_on: start,
                        subject: "综合政务".into(),
                        keywords: "公示".into(),
                        summary: String::new(),
                        body_md: text.into(),
                        scope: "public".into(),
                        open_method: "proactive".into(),
                        normative_kind: "none".into(),
                        related: Vec::new(),
                    },
                    published_on: start,
                    validity: "valid".into(),
                    validity_date: None,
                }],
                &Who::system(),
            )
            .await?;
        if out.inserted == 0 {
            continue;
        }
        let Some(item) = store.find_item_titled(body.id, title).await? else {
            continue;
        };
        let (days, unit) = kind.default_period();
        let end = match np::period_end(&cal, start, days, unit) {
            Ok(e) => e,
            Err(_) => continue,
        };
        store
            .set_notice_period(
                item,
                &ValidPeriod {
                    kind,
                    start,
                    end,
                    days,
                    unit,
                    policy: ObjectionPolicy::Block,
                },
                // Set as on the day it was published.
                start - Duration::days(1),
                &Who::system(),
            )
            .await?;
        if kind == NoticeKind::Award {
            school_flow(store, body.id, item, start).await?;
        }
        n += 1;
    }
    store.notice_tick(today).await?;
    Ok(n)
}

/// The school's 评优 flow: the 校委会 proposal, the 教代会 approval following it, cited by the
/// notice (which then shows both with their votes).
async fn school_flow(
    store: &Store,
    body_id: i64,
    item: i64,
    published: chrono::NaiveDate,
) -> anyhow::Result<()> {
    use gongkai_domain::decisions::DecisionInput;
    let record = |kind: &str,
                  days_before: i64,
                  motion: &str,
                  attendees: Vec<String>,
                  votes: (u32, u32, u32)| {
        DecisionInput {
            meeting_kind: kind.into(),
            meeting_on: (published - Duration::days(days_before)).to_string(),
            motion: motion.into(),
            attendees: attendees.join("\n"),
            votes_for: votes.0.to_string(),
            votes_against: votes.1.to_string(),
            votes_abstain: votes.2.to_string(),
        }
        .validate(published)
        .map_err(|e| anyhow::anyhow!("demo decision invalid: {e:?}"))
    };
    let board: Vec<String> = ["校长", "副校长", "教务主任", "政教主任", "工会主席"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let proposal = record(
        "school_board",
        7,
        "提议王丽、陈志强、刘芳三位同志为2026年度优秀教师人选",
        board,
        (5, 0, 0),
    )?;
    let first = store
        .record_collective_decision(body_id, &proposal, None, None, &Who::system())
        .await?;
    let reps: Vec<String> = (1..=41).map(|i| format!("教职工代表{i}")).collect();
    let approval = record(
        "staff_congress",
        2,
        "审议通过2026年度优秀教师评选结果",
        reps,
        (38, 2, 1),
    )?;
    let second = store
        .record_collective_decision(body_id, &approval, Some(first), None, &Who::system())
        .await?;
    store
        .cite_decision(item, Some(second), &Who::system())
        .await?;
    Ok(())
}
