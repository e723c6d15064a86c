//! Demo content for 公示: the school's 评优 result in its period (公示中, with the objection form)
//! and a village's quarterly accounts whose 7-day period has ended without objection (its result
//! and the ledger entry recorded by the daily pass), and the village's 四议两公开 of a land
//! contract: four meetings, the 公示 of the resolution, and the published 实施结果. Created once.

use chrono::Duration;
use gongkai_domain::audit::Who;
use gongkai_domain::notice_period::{self as np, NoticeKind, ObjectionPolicy, ValidPeriod};
use gongkai_store::Store;
use gongkai_store::disclosure::{ImportRow, VersionFields};

const VILLAGE: &str = "示例县青山镇青山村村民委员会";
const VILLAGE_FLOW: &str = "青山村集体机动地对外发包方案公示";
const VILLAGE_RESULT: &str = "青山村集体机动地对外发包实施结果公告";

const NOTICES: [(&str, &str, &str, NoticeKind, i64); 3] = [
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
    (
        VILLAGE,
        VILLAGE_FLOW,
        "经村党组织提议、村“两委”联席会议商议、党员大会审议，村民代表会议表决通过：村集体机动地45亩以公开竞价方式对外发包，期限5年，起拍价每亩每年600元，收益纳入村集体经济收入。\n\n公示期7天。对方案有异议的，请在本页提出，或向村务监督委员会反映。",
        NoticeKind::Village,
        14,
    ),
];

pub async fn seed(store: &Store, today: chrono::NaiveDate) -> anyhow::Result<usize> {
    let bodies = store.list_bodies().await?;
    let cal = store.load_calendar().await?;
    let mut n = 0;
    let mut village_resolution = None;
    for (body_name, title, text, kind, days_ago) in NOTICES {
        let Some(body) = bodies.iter().find(|b| b.name == body_name) else {
            continue;
        };
        let start = today - Duration::days(days_ago);
        let Some(item) = publish(store, body, title, text, start).await? else {
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
        if title == VILLAGE_FLOW {
            let resolution = village_flow(store, body.id, start).await?;
            store
                .cite_decision(item, Some(resolution), start, &Who::system())
                .await?;
            village_resolution = Some((body, resolution, end));
        }
        n += 1;
    }
    store.notice_tick(today).await?;
    // 实施结果公开: the contract let after the 公示 took effect.
    if let Some((body, resolution, end)) = village_resolution {
        let day = (end + Duration::days(3)).min(today);
        let text = "集体机动地45亩经公开竞价，由本村种植大户王建国以每亩每年680元竞得，合同期5年（2026年12月至2031年11月），首年承包费30,600元已存入村集体账户。";
        if let Some(item) = publish(store, body, VILLAGE_RESULT, text, day).await? {
            store
                .record_decision_result(resolution, item, &Who::system())
                .await?;
        }
    }
    Ok(n)
}

/// A public 公示 item of `body` published on `day`; its id, or `None` when it already exists.
async fn publish(
    store: &Store,
    body: &gongkai_store::bodies::Body,
    title: &str,
    text: &str,
    day: chrono::NaiveDate,
) -> anyhow::Result<Option<i64>> {
    publish_as(store, body, title, text, day, ("综合政务", "公示")).await
}

/// A public item of `body` published on `day` under (主题, 关键词), in its 公示 (or first)
/// category; its id, or `None` when it already exists. The demo's notices and drafts use it.
pub(crate) async fn publish_as(
    store: &Store,
    body: &gongkai_store::bodies::Body,
    title: &str,
    text: &str,
    day: chrono::NaiveDate,
    (subject, keywords): (&str, &str),
) -> anyhow::Result<Option<i64>> {
    if store.find_item_titled(body.id, title).await?.is_some() {
        return Ok(None);
    }
    let cats = store.list_categories(body.id).await?;
    let Some(cat) = cats
        .iter()
        .find(|c| c.template_key == "notice")
        .or_else(|| cats.first())
        .map(|c| c.id)
    else {
        return Ok(None);
    };
    store
        .import_published(
            &[ImportRow {
                body_id: body.id,
                org_code: body.org_code.clone(),
                category_id: cat,
                index_no: None,
                fields: VersionFields {
                    title: title.into(),
                    doc_no: String::new(),
                    written_on: Some(day),
                    formed_on: day,
                    subject: subject.into(),
                    keywords: keywords.into(),
                    summary: String::new(),
                    body_md: text.into(),
                    scope: "public".into(),
                    open_method: "proactive".into(),
                    normative_kind: "none".into(),
                    related: Vec::new(),
                },
                published_on: day,
                validity: "valid".into(),
                validity_date: None,
            }],
            &Who::system(),
        )
        .await?;
    Ok(store.find_item_titled(body.id, title).await?)
}

fn decision(
    kind: &str,
    on: chrono::NaiveDate,
    motion: &str,
    attendees: Vec<String>,
    votes: (u32, u32, u32),
) -> anyhow::Result<gongkai_domain::decisions::ValidDecision> {
    gongkai_domain::decisions::DecisionInput {
        meeting_kind: kind.into(),
        meeting_on: on.to_string(),
        motion: motion.into(),
        attendees: attendees.join("\n"),
        votes_for: votes.0.to_string(),
        votes_against: votes.1.to_string(),
        votes_abstain: votes.2.to_string(),
    }
    .validate(on)
    .map_err(|e| anyhow::anyhow!("demo decision invalid: {e:?}"))
}

/// The village's four deliberations before the 公示 published on `published`; the resolution's id.
async fn village_flow(
    store: &Store,
    body_id: i64,
    published: chrono::NaiveDate,
) -> anyhow::Result<i64> {
    let names = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let branch = names(&["杨春生", "李桂兰", "王德明"]);
    let committees = names(&["杨春生", "李桂兰", "王德明", "赵秀英", "陈光辉"]);
    let members: Vec<String> = (1..=23).map(|i| format!("党员{i}")).collect();
    let reps: Vec<String> = (1..=31).map(|i| format!("村民代表{i}")).collect();
    let motion = "青山村集体机动地45亩以公开竞价方式对外发包，期限5年";
    let steps = [
        ("village_party", 12, branch, (3, 0, 0)),
        ("village_committees", 10, committees, (5, 0, 0)),
        ("party_members", 7, members, (21, 1, 1)),
        ("village_reps", 3, reps, (28, 2, 1)),
    ];
    let mut follows = None;
    for (kind, before, who, votes) in steps {
        let d = decision(kind, published - Duration::days(before), motion, who, votes)?;
        let id = store
            .record_collective_decision(body_id, &d, follows, None, &Who::system())
            .await?;
        follows = Some(id);
    }
    follows.ok_or_else(|| anyhow::anyhow!("no village decision"))
}

/// The school's 评优 flow: the 校委会 proposal, the 教代会 approval following it, cited by the
/// notice (which then shows both with their votes).
async fn school_flow(
    store: &Store,
    body_id: i64,
    item: i64,
    published: chrono::NaiveDate,
) -> anyhow::Result<()> {
    let record = |kind: &str,
                  days_before: i64,
                  motion: &str,
                  attendees: Vec<String>,
                  votes: (u32, u32, u32)| {
        decision(
            kind,
            published - Duration::days(days_before),
            motion,
            attendees,
            votes,
        )
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
        .cite_decision(item, Some(second), published, &Who::system())
        .await?;
    Ok(())
}
