//! Demo content for 监督检查: the county's 考核细则 for this year (seven criteria, six of them
//! scored from the compliance monitor), a quarter's inspection of five bodies by the county's
//! supervision group with the monitor's scores and hand scores, findings turned into
//! rectifications (one accepted, one waiting for acceptance, one overdue and recorded as such),
//! an accountability decision, and the county's briefing of the current quarter so far, drafted
//! from the data. Created once.

use chrono::{Datelike, Duration, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::inspection::{CriterionInput, InspectionKind, RectifyAction, SupervisionKind};
use gongkai_domain::monitor::Window;
use gongkai_store::Store;
use gongkai_store::inspections::NewInspection;
use gongkai_store::monitor::MonitorDates;
use gongkai_store::users::User;

use crate::demo::body_id;

fn who(u: &User) -> Who {
    Who {
        user_id: Some(u.id),
        name: u.username.clone(),
        ip: "local".into(),
    }
}

const CRITERIA: &[(&str, &str, &str, &str, &str)] = &[
    (
        "主动公开",
        "法定主动公开内容在20个工作日内公开",
        "20",
        "每超期1条扣2分",
        "late_items",
    ),
    (
        "主动公开",
        "标准目录事项按规定周期更新",
        "10",
        "每个未按周期更新的事项扣2分",
        "idle_rows",
    ),
    (
        "依申请公开",
        "在法定期限内答复政府信息公开申请",
        "20",
        "每超期答复1件扣4分",
        "late_applications",
    ),
    (
        "互动回应",
        "信箱来信在承诺时限内办理答复",
        "15",
        "每超期1件扣1.5分",
        "late_letters",
    ),
    (
        "平台建设",
        "公开栏目及时更新，无长期未更新栏目",
        "15",
        "每个超过6个月未更新的栏目扣3分",
        "stale_categories",
    ),
    (
        "监督保障",
        "会议纪要、内部通知按时阅办",
        "10",
        "每人次超期未阅扣2分",
        "unread_circulars",
    ),
    (
        "监督保障",
        "政务公开工作机构、人员和制度健全，责任落实",
        "10",
        "现场检查，按实际情况扣分",
        "",
    ),
];

/// Seed the inspection once; returns how many rectifications were opened.
pub async fn seed(store: &Store, cal: &Calendar, today: NaiveDate) -> anyhow::Result<usize> {
    let (Some(inspector), Some(street), Some(credit), Some(editor)) = (
        store.find_user("demo.inspector").await?,
        store.find_user("demo.street").await?,
        store.find_user("demo.credit").await?,
        store.find_user("demo.editor").await?,
    ) else {
        return Ok(0);
    };
    let Some(gov) = body_id(store, "gov").await? else {
        return Ok(0);
    };
    let gov_path = store.get_body(gov).await?.path;
    if !store
        .inspections_in(&gongkai_domain::access::Scope::subtree(&gov_path))
        .await?
        .is_empty()
    {
        return Ok(0);
    }
    let w = who(&inspector);
    let year = today.year();
    let rules = store
        .create_rules(gov, "示例县政务公开工作考核细则", year, &w)
        .await?;
    for (area, text, points, deduction, rule) in CRITERIA {
        let c = CriterionInput {
            area: (*area).into(),
            text: (*text).into(),
            points: (*points).into(),
            deduction: (*deduction).into(),
            monitor_rule: (*rule).into(),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("示例考核细则无效：{e:?}"))?;
        store.add_criterion(rules, &c, &w).await?;
    }
    let mut bodies = Vec::new();
    for key in ["office", "cgjd", "lhx", "qsz", "amr"] {
        if let Some(id) = body_id(store, key).await? {
            bodies.push(id);
        }
    }
    let (from_on, to_on) = (today - Duration::days(91), today - Duration::days(1));
    let id = store
        .open_inspection(
            &NewInspection {
                body_id: gov,
                rules_id: rules,
                title: format!("{year}年政务公开工作季度专项检查"),
                kind: InspectionKind::OnSite,
                supervision: SupervisionKind::Discipline,
                from_on,
                to_on,
                bodies: bodies.clone(),
            },
            &w,
        )
        .await?;
    let window = Window::new(from_on, to_on, today)?;
    let dates = MonitorDates {
        window,
        unread_sent_by: window
            .unread_sent_by(cal)
            .unwrap_or(from_on - Duration::days(1)),
    };
    store.fill_inspection_from_monitor(id, &dates, &w).await?;
    // The criterion checked on site, by hand.
    let on_site = store
        .criteria(rules)
        .await?
        .into_iter()
        .find(|c| c.monitor_rule.is_none())
        .map(|c| c.id);
    if let Some(c) = on_site {
        for (key, deducted, note) in [
            ("office", 0, ""),
            ("cgjd", 20, "社区公开栏更新记录不全"),
            ("lhx", 35, "未明确政务公开分管领导，保密审查制度未上墙"),
            ("qsz", 10, "信息员变动后未及时报备"),
            ("amr", 0, ""),
        ] {
            if let Some(b) = body_id(store, key).await? {
                store
                    .set_scores(id, b, &[(c, deducted, note.to_string(), false)], &w)
                    .await?;
            }
        }
    }
    let mut n = 0;
    let start = today - Duration::days(30);
    // 城关街道: overdue (due five days ago, nothing submitted).
    if let Some(b) = body_id(store, "cgjd").await? {
        let f = store
            .add_finding(
                id,
                b,
                None,
                "东门社区居务公开栏未按月更新低保评议结果，最近一次更新在三个月前。",
                "现场检查照片已存档（公开栏编号DM-01）",
                &w,
            )
            .await?;
        store
            .open_rectification(f, street.id, today - Duration::days(5), start, &w)
            .await?;
        n += 1;
    }
    // 市场监管局: submitted, waiting for acceptance.
    if let Some(b) = body_id(store, "amr").await? {
        let f = store
            .add_finding(
                id,
                b,
                None,
                "2件行政处罚决定超过7个工作日才公示。",
                "/credit",
                &w,
            )
            .await?;
        let r = store
            .open_rectification(f, credit.id, today + Duration::days(20), start, &w)
            .await?;
        store
            .act_rectification(
                r,
                RectifyAction::Submit,
                "已补充公示，并建立决定作出当日登记、7个工作日内公示的提醒机制。佐证：/credit",
                1,
                today,
                &who(&credit),
            )
            .await?;
        n += 1;
    }
    // 县政府办: done and accepted.
    if let Some(b) = body_id(store, "office").await? {
        let f = store
            .add_finding(
                id,
                b,
                None,
                "部分通知公告未标注发布机构和成文日期。",
                "/catalogue",
                &w,
            )
            .await?;
        let r = store
            .open_rectification(f, editor.id, today + Duration::days(10), start, &w)
            .await?;
        store
            .act_rectification(
                r,
                RectifyAction::Submit,
                "已逐条补充发布机构和成文日期，共补正14条。",
                1,
                today,
                &who(&editor),
            )
            .await?;
        store
            .act_rectification(r, RectifyAction::Accept, "经复查，整改到位。", 2, today, &w)
            .await?;
        n += 1;
    }
    store.escalate_rectifications(today).await?;
    // The county's briefing of the current quarter so far, drafted from the data.
    let (y, q) = (year, today.month0() / 3 + 1);
    if let Some((from, to)) = gongkai_domain::briefing::quarter_range(y, q) {
        let window = Window::new(from, to, today)?;
        let dates = MonitorDates {
            window,
            unread_sent_by: window
                .unread_sent_by(cal)
                .unwrap_or(from - Duration::days(1)),
        };
        let scope = gongkai_domain::access::Scope::subtree(&gov_path);
        let figures = store.briefing_figures(&scope, &dates).await?;
        let gov_name = store.get_body(gov).await?.name;
        store
            .create_briefing(gov, &gov_name, y, q, &figures, &w)
            .await?;
    }
    if let Some(b) = body_id(store, "lhx").await? {
        store
            .record_accountability(
                b,
                "柳河乡政务公开信息员李某",
                "农村危房改造补助对象名单未按规定公示，经两次督促仍未整改。",
                "《政府信息公开条例》第五十三条；《示例县政务公开工作考核办法》第十二条",
                "约谈提醒，责令限期整改，年度考核扣分",
                today - Duration::days(10),
                today,
                &w,
            )
            .await?;
    }
    Ok(n)
}
