//! Demo content for 民主评议 and 数据图表: the county publishes its dashboard (all five charts),
//! and runs this year's public appraisal of three bodies — two with enough answers for their
//! results to show (some free text shown, one hidden, one still waiting for moderation), one
//! still below the minimum. Created once.

use chrono::{Datelike, Duration, NaiveDate};
use gongkai_domain::appraisal::{SurveyInput, SurveyStatus, TextStatus, ValidAnswer};
use gongkai_domain::audit::Who;
use gongkai_domain::dashboard::ChartKey;
use gongkai_domain::seal::SealKey;
use gongkai_store::Store;
use gongkai_store::users::User;

use crate::demo::body_id;

fn who(u: &User) -> Who {
    Who {
        user_id: Some(u.id),
        name: u.username.clone(),
        ip: "local".into(),
    }
}

/// (body key, answers as points for the four scale questions, free text).
const ANSWERS: &[(&str, [u8; 4], &str)] = &[
    (
        "office",
        [5, 4, 5, 5],
        "政府信息公开指南写得清楚，申请答复也及时。",
    ),
    ("office", [4, 4, 4, 5], ""),
    ("office", [5, 5, 4, 4], "希望财政预决算公开得再细一些。"),
    ("office", [3, 4, 3, 4], ""),
    ("office", [4, 5, 4, 4], ""),
    ("office", [5, 4, 4, 5], "联系电话13800001111，有事请回电。"),
    ("cgjd", [4, 3, 4, 4], "社区公开栏更新比以前快了。"),
    ("cgjd", [3, 3, 4, 3], ""),
    ("cgjd", [4, 4, 3, 4], ""),
    ("cgjd", [2, 3, 3, 3], "加装电梯的进度能不能每月公布一次？"),
    ("cgjd", [4, 4, 4, 5], ""),
    ("lhx", [4, 4, 5, 4], ""),
    ("lhx", [5, 4, 4, 4], ""),
];

/// Seed once; returns the number of answers recorded.
pub async fn seed(store: &Store, seal: &SealKey, today: NaiveDate) -> anyhow::Result<usize> {
    let (Some(admin), Some(inspector)) = (
        store.find_user("demo.admin").await?,
        store.find_user("demo.inspector").await?,
    ) else {
        return Ok(0);
    };
    let Some(gov) = body_id(store, "gov").await? else {
        return Ok(0);
    };
    if !store
        .surveys_in(&gongkai_domain::access::Scope::subtree(
            &store.get_body(gov).await?.path,
        ))
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    store
        .set_public_charts(gov, &ChartKey::ALL, &who(&admin))
        .await?;
    let w = who(&inspector);
    let draft = SurveyInput {
        title: format!("{}年度政务公开工作民主评议", today.year()),
        intro: "请对下列单位的政务公开和政务服务工作作出评价。每个单位收到5份评议后公布结果，文字意见经审核后公开。".into(),
        audience: "public".into(),
        opens_on: (today - Duration::days(20)).to_string(),
        closes_on: (today + Duration::days(10)).to_string(),
        min_answers: "5".into(),
        questions: "信息公开是否及时、全面\n办事指南是否清楚、准确\n答复申请和来信是否及时、有针对性\n工作人员服务态度\n文字：您对该单位政务公开工作的意见和建议".into(),
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("示例民主评议无效：{e:?}"))?;
    let mut bodies = Vec::new();
    for key in ["office", "cgjd", "lhx"] {
        if let Some(id) = body_id(store, key).await? {
            bodies.push(id);
        }
    }
    let id = store.create_survey(gov, &draft, &bodies, &w).await?;
    store
        .set_survey_status(id, 1, SurveyStatus::Draft, SurveyStatus::Open, &w)
        .await?;
    let mut n = 0;
    for (k, (key, points, text)) in ANSWERS.iter().enumerate() {
        let Some(body) = body_id(store, key).await? else {
            continue;
        };
        let mut scores: Vec<Option<u8>> = points.iter().map(|p| Some(*p)).collect();
        scores.push(None);
        let answer = store
            .add_answer(
                id,
                &ValidAnswer {
                    body_id: body,
                    scores,
                    text: (*text).into(),
                },
                &seal.tag(&format!("survey:{id}:{body}:demo:{k}")),
            )
            .await?;
        n += 1;
        // Texts with a phone number stay hidden; the last text waits for moderation.
        if !text.is_empty() && !text.contains("电梯") {
            let to = if text.contains("138") {
                TextStatus::Hidden
            } else {
                TextStatus::Visible
            };
            store.moderate_answer(id, answer, to, &w).await?;
        }
    }
    Ok(n)
}
