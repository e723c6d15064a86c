//! Demo content for 征求意见: the 城关街道's parking rules open for comment (comments on the
//! whole draft and on paragraphs, one waiting for moderation) and its elderly-care plan whose
//! window has closed, with the 意见采纳情况 published and the final version linked. Created once.

use chrono::{Duration, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::consultation::{self as dc, CommentInput, CommentStatus};
use gongkai_domain::notice_period::{self as np, DayUnit};
use gongkai_domain::seal::SealKey;
use gongkai_store::Store;
use gongkai_store::consultations::Moderate;

const BODY: &str = "示例县城关街道办事处";

const PARKING: &str = "城关街道老旧小区停车管理办法（征求意见稿）";
const PARKING_TEXT: &str = "第一条 为规范辖区老旧小区停车秩序，保障消防通道畅通，结合本街道实际，制定本办法。\n\n第二条 小区居民车辆凭社区核发的停车证在划定车位停放，每户限办一证。\n\n第三条 访客车辆由门岗登记后在临时车位停放，停放时间不超过4小时。\n\n第四条 占用消防通道停车的，由社区劝离；劝离不听的，移交有关部门依法处理。\n\n第五条 本办法自发布之日起施行。";
const PARKING_NOTE: &str = "**起草背景**：辖区东门、南苑两个社区的老旧小区建成于上世纪90年代，车位不足，居民多次反映消防通道被占用。\n\n**主要内容**：停车证办理、访客停车、消防通道管理三个方面。\n\n**重点听取意见的问题**：每户限办一证是否合理；访客停车时长。";

const CARE: &str = "城关街道社区养老服务设施建设方案（征求意见稿）";
const CARE_FINAL: &str = "城关街道社区养老服务设施建设方案";
const CARE_TEXT: &str = "一、建设目标：2027年底前，每个社区建成1处日间照料中心。\n\n二、服务内容：助餐、日间照料、健康监测。\n\n三、资金来源：街道财政和上级补助资金。";
const CARE_FINAL_TEXT: &str = "一、建设目标：2027年底前，每个社区建成1处日间照料中心。\n\n二、服务内容：助餐、助浴、日间照料、健康监测，为失能老人提供上门服务。\n\n三、资金来源：街道财政和上级补助资金。";
const CARE_NOTE: &str =
    "根据县民政局关于推进社区居家养老服务的要求起草，征求辖区居民对服务内容和选址的意见。";

async fn publish(
    store: &Store,
    body: &gongkai_store::bodies::Body,
    title: &str,
    text: &str,
    on: NaiveDate,
) -> anyhow::Result<Option<i64>> {
    crate::demo_notices::publish_as(
        store,
        body,
        title,
        text,
        on,
        ("城乡建设、环境保护", "征求意见"),
    )
    .await
}

/// Open the window from `start` (30 days, or fewer when the calendar ends sooner).
async fn open_window(
    store: &Store,
    item: i64,
    start: NaiveDate,
    note: &str,
) -> anyhow::Result<bool> {
    let cal = store.load_calendar().await?;
    for days in [30, 20, 14, 7] {
        if let Ok(end) = np::period_end(&cal, start, days, DayUnit::Calendar) {
            let w = dc::ValidWindow {
                start,
                end,
                days,
                unit: DayUnit::Calendar,
                explanation: note.into(),
            };
            store
                .set_consultation(item, &w, start - Duration::days(1), &Who::system())
                .await?;
            return Ok(true);
        }
    }
    Ok(false)
}

/// A comment from the public on `day` (in the window), shown unless `held`.
async fn comment(
    store: &Store,
    seal: &SealKey,
    item: i64,
    (name, paragraph, text, show): (&str, u32, &str, bool),
    day: NaiveDate,
    held: bool,
) -> anyhow::Result<()> {
    let v = CommentInput {
        name: name.into(),
        contact: "13800000000".into(),
        text: text.into(),
        paragraph: paragraph.to_string(),
        show_name: if show { "on" } else { "" }.into(),
    }
    .validate(10)
    .map_err(|e| anyhow::anyhow!("demo comment invalid: {e:?}"))?;
    let who = Who::public("127.0.0.1");
    store
        .add_comment(
            item,
            &v,
            &seal.seal(&v.name),
            &seal.seal(&v.contact),
            CommentStatus::Held,
            "先审后发",
            day,
            &who,
        )
        .await?;
    if !held {
        let id = store
            .comments_of(item)
            .await?
            .last()
            .map(|c| c.id)
            .unwrap_or_default();
        store
            .moderate_comment(item, id, &Moderate::Show, None, &Who::system())
            .await?;
    }
    Ok(())
}

pub async fn seed(store: &Store, seal: &SealKey, today: NaiveDate) -> anyhow::Result<usize> {
    let bodies = store.list_bodies().await?;
    let Some(body) = bodies.iter().find(|b| b.name == BODY) else {
        return Ok(0);
    };
    let mut n = 0;
    // Open for comment since five days ago.
    if store.find_item_titled(body.id, PARKING).await?.is_none() {
        let start = today - Duration::days(5);
        if let Some(item) = publish(store, body, PARKING, PARKING_TEXT, start).await?
            && open_window(store, item, start, PARKING_NOTE).await?
        {
            for (c, held) in [
                (
                    (
                        "李明",
                        2,
                        "建议每户限办一证改为按实际车辆数办理，车位不足时再摇号。",
                        true,
                    ),
                    false,
                ),
                (
                    (
                        "",
                        3,
                        "访客停车4小时太短，探望老人往往要半天，建议延长到8小时。",
                        false,
                    ),
                    false,
                ),
                (
                    (
                        "王芳",
                        0,
                        "支持出台办法，希望同时规划增设非机动车充电点。",
                        true,
                    ),
                    false,
                ),
                (
                    (
                        "张强",
                        4,
                        "消防通道应划黄线并设提示牌，便于居民自觉遵守。",
                        false,
                    ),
                    true,
                ),
            ] {
                let c = if c.0.is_empty() {
                    ("刘洋", c.1, c.2, c.3)
                } else {
                    c
                };
                comment(store, seal, item, c, start + Duration::days(1), held).await?;
            }
            n += 1;
        }
    }
    // Closed: 40 days ago for 30 days; the feedback published, the final version linked.
    if store.find_item_titled(body.id, CARE).await?.is_none() {
        let start = today - Duration::days(45);
        if let Some(item) = publish(store, body, CARE, CARE_TEXT, start).await?
            && open_window(store, item, start, CARE_NOTE).await?
        {
            let day = start + Duration::days(3);
            for c in [
                ("陈阿姨", 2, "建议增加助浴服务，家里老人洗澡不方便。", true),
                ("赵先生", 2, "失能老人出不了门，希望能上门服务。", false),
                (
                    "孙女士",
                    0,
                    "日间照料中心希望建在一楼，方便轮椅进出。",
                    false,
                ),
                ("周先生", 3, "建议引入社会资本，减轻财政压力。", false),
            ] {
                comment(store, seal, item, c, day, false).await?;
            }
            let ids: Vec<i64> = store
                .comments_of(item)
                .await?
                .iter()
                .map(|c| c.id)
                .collect();
            if let Some(k) = store.consultation_of(item).await?
                && k.end() < today
                && ids.len() == 4
            {
                let sys = Who::system();
                for (theme, disp, reason, cs) in [
                    (
                        "增加助浴和上门服务",
                        "adopted",
                        "已在服务内容中增加助浴和失能老人上门服务。",
                        vec![ids[0], ids[1]],
                    ),
                    (
                        "设施选址",
                        "partly",
                        "选址以一楼为原则；个别社区暂无一楼用房的，加装无障碍设施。",
                        vec![ids[2]],
                    ),
                    (
                        "引入社会资本",
                        "rejected",
                        "本方案为公益性基本养老服务，由财政保障；社会资本参与另行研究。",
                        vec![ids[3]],
                    ),
                ] {
                    let g = dc::check_group(theme, disp, reason)
                        .map_err(|e| anyhow::anyhow!("demo group invalid: {e:?}"))?;
                    store.add_group(item, &g, &cs, today, &sys).await?;
                }
                store.publish_feedback(item, today, &sys).await?;
                if let Some(fin) = publish(store, body, CARE_FINAL, CARE_FINAL_TEXT, today).await? {
                    store.link_final(item, fin, today, &sys).await?;
                }
            }
            n += 1;
        }
    }
    Ok(n)
}
