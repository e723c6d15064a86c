//! Demo content for 内部文件: the county government's weekly 常务会议纪要 sent to the government
//! office, the market regulator and the discipline bureau, read by some and reminded to the
//! others, and an internal notice read by all its recipients. Created once.

use chrono::{Duration, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::circulars::CircularInput;
use gongkai_store::Store;

const MINUTES: &str = "县人民政府第48次常务会议纪要";
const MINUTES_TEXT: &str = "时间：上周一上午9时\n地点：县政府三楼会议室\n主持：县长\n\n一、会议听取了县市场监管局关于食品安全专项整治工作的汇报。会议要求，各乡镇、各部门要压实属地责任，年底前完成校园周边食品经营户全覆盖检查，检查结果按规定在7个工作日内公示。\n\n二、会议研究了2027年政务公开工作要点。会议要求，县政府办公室牵头，于1月31日前完成各部门年度报告的审核发布；各部门对照标准目录梳理应公开事项，3月底前补齐缺项。\n\n三、会议审议通过了《示例县老旧小区改造资金管理办法》，由县财政局按程序印发。";
const NOTICE: &str = "关于参加双公示信息报送培训的通知";
const NOTICE_TEXT: &str = "各有关科室：\n\n定于下周三下午3时在县政府五楼会议室举办行政许可、行政处罚信息双公示报送培训，请信用信息员和分管领导准时参加。\n\n联系人：县政府办公室 0999-6100002";

fn who(store_user: &gongkai_store::users::User) -> Who {
    Who {
        user_id: Some(store_user.id),
        name: store_user.username.clone(),
        ip: "local".into(),
    }
}

/// Send the demo circulars (if the demo county and its accounts exist and they were not sent
/// yet); returns how many were sent.
pub async fn seed(store: &Store, today: NaiveDate) -> anyhow::Result<usize> {
    let (Some(gov), Some(office), Some(amr), Some(jw)) = (
        crate::demo::body_id(store, "gov").await?,
        crate::demo::body_id(store, "office").await?,
        crate::demo::body_id(store, "amr").await?,
        crate::demo::body_id(store, "jw").await?,
    ) else {
        return Ok(0);
    };
    let Some(secretary) = store.find_user("demo.secretary").await? else {
        return Ok(0);
    };
    let sent = store
        .circulars_sent(secretary.id, &Default::default(), 100)
        .await?;
    if sent.iter().any(|c| c.title == MINUTES) {
        return Ok(0);
    }
    let gov_body = store.get_body(gov).await?;
    let users = |names: &'static [&'static str]| async move {
        let mut out = Vec::new();
        for n in names {
            if let Some(u) = store.find_user(n).await? {
                out.push(u);
            }
        }
        anyhow::Ok(out)
    };
    let mut n = 0;
    // The minutes, sent four days ago to three offices.
    let input = CircularInput {
        kind: "minutes".into(),
        title: MINUTES.into(),
        text: MINUTES_TEXT.into(),
        meeting_on: (today - Duration::days(5)).to_string(),
        bodies: vec![office, amr, jw],
        users: vec![],
    };
    let v = input
        .validate(today, false)
        .map_err(|e| anyhow::anyhow!("示例内部文件无效：{e:?}"))?;
    let id = store
        .send_circular(
            &gov_body,
            &v,
            None,
            today - Duration::days(4),
            &secretary.display_name,
            &who(&secretary),
        )
        .await?;
    n += 1;
    for u in users(&[
        "demo.approver",
        "demo.handler",
        "demo.leader",
        "demo.credit",
    ])
    .await?
    {
        store.mark_circular_read(id, &who(&u)).await?;
    }
    store.remind_circular(id, today, &who(&secretary)).await?;
    // The notice, to two people by name, both read.
    let to = users(&["demo.credit", "demo.leader"]).await?;
    let input = CircularInput {
        kind: "notice".into(),
        title: NOTICE.into(),
        text: NOTICE_TEXT.into(),
        meeting_on: String::new(),
        bodies: vec![],
        users: to.iter().map(|u| u.id).collect(),
    };
    if let Ok(v) = input.validate(today, false) {
        let id = store
            .send_circular(
                &gov_body,
                &v,
                None,
                today - Duration::days(2),
                &secretary.display_name,
                &who(&secretary),
            )
            .await?;
        n += 1;
        for u in &to {
            store.mark_circular_read(id, &who(u)).await?;
        }
    }
    Ok(n)
}
