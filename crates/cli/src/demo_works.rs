//! Demo content for 重点工作 and 承诺事项: the 城关街道's two public commitments — lifts for
//! old blocks in 东门社区 (in progress, one step overdue) and a day-care centre in 南苑社区 (done,
//! with its result) — and the county government's internal key work on the 标准目录 review, each
//! with dated progress reports. Created once.

use chrono::{Duration, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::key_work::{ProgressInput, StepInput, WorkInput};
use gongkai_store::Store;
use gongkai_store::users::User;

const LIFTS: &str = "东门社区老旧住宅加装电梯";

fn who(u: &User) -> Who {
    Who {
        user_id: Some(u.id),
        name: u.username.clone(),
        ip: "local".into(),
    }
}

fn name(u: &User) -> String {
    if u.display_name.is_empty() {
        u.username.clone()
    } else {
        u.display_name.clone()
    }
}

/// A step: (stage, title, owner, body key, due in days from today, reports as (days ago,
/// status, progress, note)).
type Step<'a> = (
    i64,
    &'a str,
    &'a User,
    &'a str,
    i64,
    &'a [(i64, &'a str, i64, &'a str)],
);

#[allow(clippy::too_many_arguments)]
async fn work(
    store: &Store,
    today: NaiveDate,
    body_key: &str,
    by: &User,
    kind: &str,
    title: &str,
    summary: &str,
    due_in: i64,
    steps: &[Step<'_>],
) -> anyhow::Result<Option<i64>> {
    let Some(body_id) = crate::demo::body_id(store, body_key).await? else {
        return Ok(None);
    };
    let body = store.get_body(body_id).await?;
    let v = WorkInput {
        kind: kind.into(),
        title: title.into(),
        summary: summary.into(),
        due_on: (today + Duration::days(due_in)).to_string(),
    }
    .validate(today)
    .map_err(|e| anyhow::anyhow!("示例工作无效：{e:?}"))?;
    let id = store.create_work(body.id, &v, &who(by)).await?;
    for (stage, t, owner, key, due, reports) in steps {
        let Some(step_body) = crate::demo::body_id(store, key).await? else {
            continue;
        };
        let s = StepInput {
            stage: stage.to_string(),
            title: (*t).into(),
            owner_id: owner.id.to_string(),
            body_id: step_body.to_string(),
            due_on: (today + Duration::days(*due)).to_string(),
        }
        .validate(v.due_on)
        .map_err(|e| anyhow::anyhow!("示例环节无效：{e:?}"))?;
        let step = store.add_work_step(id, &body.path, &s, &who(by)).await?;
        for (ago, status, progress, note) in *reports {
            let p = ProgressInput {
                status: (*status).into(),
                progress: progress.to_string(),
                note: (*note).into(),
            }
            .validate()
            .map_err(|e| anyhow::anyhow!("示例进展无效：{e:?}"))?;
            store
                .report_work_progress(
                    id,
                    step,
                    &p,
                    today - Duration::days(*ago),
                    &who(owner),
                    &name(owner),
                )
                .await?;
        }
    }
    Ok(Some(id))
}

/// Create the demo works (if the demo county and its accounts exist and they were not created
/// yet); returns how many were created.
pub async fn seed(store: &Store, today: NaiveDate) -> anyhow::Result<usize> {
    let (Some(street), Some(secretary), Some(editor), Some(credit)) = (
        store.find_user("demo.street").await?,
        store.find_user("demo.secretary").await?,
        store.find_user("demo.editor").await?,
        store.find_user("demo.credit").await?,
    ) else {
        return Ok(0);
    };
    let existing = store
        .works_for(&Default::default(), street.id, today)
        .await?;
    if existing.iter().any(|w| w.title == LIFTS) {
        return Ok(0);
    }
    let mut n = 0;
    let lifts = work(
        store,
        today,
        "cgjd",
        &street,
        "commitment",
        LIFTS,
        "为东门社区建成于1995年的3栋6层住宅加装电梯，解决约120户居民、其中60岁以上老人46人的上下楼难题。",
        60,
        &[
            (1, "入户征求居民意愿", &street, "dmsq", -20, &[
                (30, "in_progress", 50, "已入户走访3栋楼72户中的40户。"),
                (21, "done", 100, "72户全部走访，同意加装的66户，同意率91.7%，结果已在楼道公示。"),
            ]),
            (2, "设计方案和规划报批", &street, "cgjd", -3, &[
                (10, "in_progress", 60, "设计方案已完成，已报县自然资源局审查。"),
            ]),
            (2, "申请上级补助资金", &street, "cgjd", 10, &[
                (8, "in_progress", 30, "已向县住建局提交补助申请材料。"),
            ]),
            (3, "施工安装和验收", &street, "dmsq", 55, &[]),
        ],
    )
    .await?;
    if let Some(id) = lifts {
        store.publish_commitment(id, &who(&street)).await?;
        n += 1;
    }
    let care = work(
        store,
        today,
        "cgjd",
        &street,
        "commitment",
        "南苑社区日间照料中心建成运营",
        "利用南苑社区闲置用房建成日间照料中心，为辖区老人提供助餐、午休和健康监测服务。",
        10,
        &[
            (
                1,
                "用房改造",
                &street,
                "nysq",
                -40,
                &[(45, "done", 100, "改造完工，通过消防验收。")],
            ),
            (
                2,
                "引入运营机构并试运营",
                &street,
                "nysq",
                -15,
                &[
                    (
                        25,
                        "in_progress",
                        50,
                        "经公开比选确定运营机构，开始试运营。",
                    ),
                    (16, "done", 100, "试运营一个月，日均就餐老人38人。"),
                ],
            ),
        ],
    )
    .await?;
    if let Some(id) = care {
        store.publish_commitment(id, &who(&street)).await?;
        store
            .close_work(
                id,
                "日间照料中心已正式运营，提供助餐、午休、健康监测服务，日均服务老人40余人。",
                today - Duration::days(14),
                &who(&street),
            )
            .await?;
        n += 1;
    }
    let review = work(
        store,
        today,
        "gov",
        &secretary,
        "key_work",
        "各部门政务公开标准目录梳理",
        "对照26个领域基层政务公开标准指引，逐项梳理各部门应公开事项，补齐缺项，明确公开时限。",
        90,
        &[
            (
                1,
                "县政府办公室梳理本单位事项",
                &editor,
                "office",
                20,
                &[(5, "in_progress", 40, "已梳理政务服务、财政预决算两个领域。")],
            ),
            (1, "县市场监管局梳理本单位事项", &credit, "amr", 20, &[]),
            (2, "汇总审核并公开标准目录", &secretary, "gov", 80, &[]),
        ],
    )
    .await?;
    if review.is_some() {
        n += 1;
    }
    Ok(n)
}
