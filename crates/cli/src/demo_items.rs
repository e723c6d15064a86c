//! Demo content for 主动公开, written for this project: published items across the demo
//! county's bodies and catalogues (a 规范性文件 with its 政策解读, a revised item with two versions,
//! a 废止 item, a withdrawn item), an internal item, drafts waiting at each review step, and one
//! screening finding to resolve, and one attachment (the budget table as a text file). Created
//! once: nothing is added if any item exists.

use chrono::NaiveDate;
use gongkai_domain::access::{Actor, Grant, Role};
use gongkai_domain::audit::Who;
use gongkai_domain::disclosure::{Conclusion, ItemInput, Step, Validity};
use gongkai_domain::screening;
use gongkai_files::BlobStore;
use gongkai_store::Store;
use gongkai_store::disclosure::StepInput;

pub(crate) struct People {
    pub(crate) editor: (Actor, Who),
    pub(crate) reviewer: (Actor, Who),
    pub(crate) approver: (Actor, Who),
}

fn person(store_user: &gongkai_store::users::User, role: Role, root_path: &str) -> (Actor, Who) {
    (
        Actor {
            user_id: store_user.id,
            username: store_user.username.clone(),
            display_name: store_user.display_name.clone(),
            body_id: store_user.body_id,
            grants: vec![Grant {
                role,
                body_id: 0,
                body_path: root_path.to_string(),
            }],
        },
        Who {
            user_id: Some(store_user.id),
            name: store_user.username.clone(),
            ip: "demo".into(),
        },
    )
}

/// The demo's 信息员, 保密审查员 and 审批领导, acting on the whole county (`root_path`).
pub(crate) async fn people(store: &Store, root_path: &str) -> anyhow::Result<Option<People>> {
    let (Some(e), Some(r), Some(a)) = (
        store.find_user("demo.editor").await?,
        store.find_user("demo.reviewer").await?,
        store.find_user("demo.approver").await?,
    ) else {
        return Ok(None);
    };
    Ok(Some(People {
        editor: person(&e, Role::Editor, root_path),
        reviewer: person(&r, Role::Reviewer, root_path),
        approver: person(&a, Role::Approver, root_path),
    }))
}

/// (body key index in the demo tree, category template key, title, doc_no, formed_on, body)
type Spec = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

const PUBLISHED: &[Spec] = &[
    (
        "示例县人民政府",
        "art20_1",
        "示例县人民政府关于印发《示例县城区停车管理办法》的通知",
        "示府发〔2025〕3号",
        "2025-03-10",
        "各乡镇人民政府、街道办事处，县直各部门：\n\n《示例县城区停车管理办法》已经县人民政府第12次常务会议研究通过，现印发给你们，请认真贯彻执行。\n\n## 第一章 总则\n\n第一条 为规范城区机动车停放秩序，提高道路通行效率，根据有关法律法规，结合本县实际，制定本办法。\n\n第二条 本办法适用于本县城区范围内机动车停车场的规划、建设、管理和机动车停放活动。\n\n## 第二章 收费标准\n\n| 区域 | 首小时 | 之后每小时 | 单日上限 |\n|---|---|---|---|\n| 一类区域 | 3元 | 2元 | 20元 |\n| 二类区域 | 2元 | 1元 | 12元 |\n\n第三条 本办法自2025年4月1日起施行，有效期5年。",
    ),
    (
        "示例县人民政府",
        "interpretation",
        "《示例县城区停车管理办法》政策解读",
        "",
        "2025-03-10",
        "## 一、制定背景\n\n近年来城区机动车保有量持续增长，停车难、乱停放问题突出，群众反映较多。\n\n## 二、主要内容\n\n办法明确了停车场规划建设、收费分区和执法分工，对一类、二类区域实行差别化收费。\n\n## 三、与群众关系密切的条款\n\n居民小区周边道路夜间临时停车（20:00至次日7:00）免费；医院、学校周边设置限时停车位。",
    ),
    (
        "示例县人民政府",
        "art20_8",
        "示例县2025年县级一般公共预算",
        "",
        "2025-02-14",
        "经县第十八届人民代表大会第五次会议批准，现将2025年县级一般公共预算公开如下。\n\n| 项目 | 预算数（万元） |\n|---|---|\n| 一般公共预算收入 | 86500 |\n| 上级补助收入 | 152300 |\n| 一般公共预算支出 | 231800 |\n\n其中教育支出48600万元，社会保障和就业支出39200万元，卫生健康支出21400万元。",
    ),
    (
        "示例县人民政府",
        "notice",
        "关于2025年国庆节假期城区交通管制的通告",
        "",
        "2025-09-22",
        "国庆节假期间，人民路（解放路至建设路段）每日9:00至21:00实行步行街管理，机动车请绕行和平路、文化街。",
    ),
    (
        "示例县人民政府",
        "news",
        "县政府召开第15次常务会议",
        "",
        "2025-06-18",
        "6月18日，县长周明远主持召开县政府第15次常务会议，研究部署防汛救灾、高标准农田建设和城区老旧小区改造等工作。",
    ),
    (
        "示例县人民政府办公室",
        "art20_2",
        "示例县人民政府办公室主要职责和内设机构",
        "",
        "2025-01-06",
        "县政府办公室负责县政府日常运转，承担全县政府信息公开工作的组织协调。内设秘书科、综合科、督查科、政务公开科。",
    ),
    (
        "示例县人民政府办公室",
        "annual_report",
        "示例县2024年政府信息公开工作年度报告",
        "",
        "2025-01-20",
        "本报告根据《中华人民共和国政府信息公开条例》第四十九条、第五十条编制。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况等六个部分。",
    ),
    (
        "示例县发展和改革局",
        "art20_3",
        "示例县国民经济和社会发展第十四个五年规划中期评估报告",
        "",
        "2024-11-28",
        "规划实施以来，全县地区生产总值年均增长6.1%，城乡居民人均可支配收入年均增长7.2%，主要指标进度符合预期。",
    ),
    (
        "示例县发展和改革局",
        "art20_7",
        "示例县行政事业性收费目录清单（2025年版）",
        "示发改价〔2025〕2号",
        "2025-01-15",
        "| 序号 | 项目名称 | 执收单位 | 依据 |\n|---|---|---|---|\n| 1 | 不动产登记费 | 县自然资源局 | 国家发展改革委、财政部有关规定 |\n| 2 | 土地复垦费 | 县自然资源局 | 《土地复垦条例》 |",
    ),
    (
        "示例县发展和改革局",
        "art20_10",
        "示例县城北污水处理厂扩建项目批准信息",
        "示发改投资〔2025〕11号",
        "2025-05-09",
        "项目建设规模为日处理污水3万吨，总投资1.8亿元，建设期18个月。",
    ),
    (
        "示例县财政局",
        "art20_8",
        "示例县2024年县级决算公开",
        "",
        "2025-08-08",
        "2024年县级一般公共预算支出完成224600万元，为调整预算的98.7%。“三公”经费支出1286万元，比上年下降4.3%。",
    ),
    (
        "示例县财政局",
        "art20_9",
        "示例县2025年政府集中采购目录及限额标准",
        "示财采〔2025〕1号",
        "2025-01-08",
        "分散采购限额标准：货物和服务项目50万元，工程项目100万元。公开招标数额标准：货物和服务项目200万元。",
    ),
    (
        "示例县教育局",
        "art20_11",
        "示例县2025年义务教育阶段学校招生入学工作方案",
        "示教发〔2025〕6号",
        "2025-05-20",
        "公办小学、初中实行划片招生、免试就近入学。报名时间：7月1日至7月10日，可通过“示例县教育”公众号或到学校现场报名。",
    ),
    (
        "示例县教育局",
        "news",
        "县教育局开展暑期校园安全检查",
        "",
        "2025-07-14",
        "7月上旬，县教育局会同应急、消防部门对全县52所中小学校开展安全检查，发现并督促整改隐患37处。",
    ),
    (
        "示例县自然资源局",
        "art20_5",
        "示例县2025年第一批次城镇建设用地征收土地预公告",
        "",
        "2025-04-02",
        "拟征收城关镇东关村集体土地12.36公顷，用于城市道路建设。被征收土地所有权人、使用权人对征收范围有异议的，请于公告之日起30日内提出。",
    ),
    (
        "示例县自然资源局",
        "art20_6",
        "县自然资源局行政处罚决定书（示自然资罚〔2025〕4号）",
        "示自然资罚〔2025〕4号",
        "2025-06-30",
        "当事人某建材有限公司未经批准占用集体土地堆放建筑材料，违反《中华人民共和国土地管理法》第四十四条，责令退还非法占用的土地，并处罚款。",
    ),
    (
        "中共示例县纪律检查委员会 示例县监察委员会",
        "art20_13",
        "县纪委监委通报三起违反中央八项规定精神典型问题",
        "",
        "2025-09-03",
        "近期，县纪委监委查处了三起违反中央八项规定精神问题，分别涉及违规发放津贴、公车私用和违规接受宴请，相关责任人已受到相应处理。",
    ),
    (
        "示例县政务服务管理局",
        "art20_5",
        "示例县政务服务事项目录（2025年版）",
        "",
        "2025-03-01",
        "全县共梳理依申请政务服务事项1286项，其中行政许可事项312项，公共服务事项974项，“一网通办”可办率达到96%。",
    ),
    (
        "示例县青山镇人民政府",
        "art21_3",
        "青山镇2025年第二季度城乡低保对象名单公示",
        "",
        "2025-07-02",
        "经村（居）委会评议、镇人民政府审核，拟新增城乡低保对象11户18人，公示期7天。对公示对象有异议的，请向镇社会事务办反映。",
    ),
    (
        "示例县青山镇人民政府",
        "eight_2",
        "青山镇2025年上半年财务收支情况",
        "",
        "2025-07-10",
        "上半年镇本级收入合计1356万元，支出合计1288万元，其中人员经费742万元，公用经费186万元，项目支出360万元。",
    ),
    (
        "示例县柳河乡人民政府",
        "art21_5",
        "柳河乡2025年农村危房改造对象公示",
        "",
        "2025-04-21",
        "经农户申请、村级评议、乡级审核，拟确定2025年农村危房改造对象26户，公示期为7天。",
    ),
    (
        "示例县城关街道办事处",
        "notice",
        "城关街道关于开展老旧小区改造意见征集的公告",
        "",
        "2025-08-12",
        "为做好2026年老旧小区改造工作，现向辖区居民征集意见，征集时间为8月12日至9月11日。",
    ),
    (
        "示例县城关街道东门社区居民委员会",
        "eight_2",
        "东门社区2025年第三季度社区经费使用情况",
        "",
        "2025-10-08",
        "第三季度社区经费收入4.2万元，支出3.8万元，主要用于环境整治、文化活动和困难群众走访慰问。",
    ),
    (
        "示例县第一中学",
        "eight_8",
        "示例县第一中学2025年秋季学期收费项目及标准",
        "",
        "2025-08-20",
        "| 项目 | 标准 | 依据 |\n|---|---|---|\n| 住宿费 | 每生每学期400元 | 县发展改革局核定 |\n| 作业本费 | 按实际代收 | 自愿原则 |",
    ),
];

pub(crate) async fn run(
    store: &Store,
    p: &People,
    id: (i64, i64),
    steps: &[&str],
    today: NaiveDate,
) -> anyhow::Result<()> {
    let (_, vid) = id;
    let input = StepInput {
        today: Some(today),
        comment: String::new(),
        scheduled_at: None,
    };
    for s in steps {
        let (actor, who, step) = match *s {
            "submit" => (&p.editor.0, &p.editor.1, Step::Submit),
            "review" => (
                &p.reviewer.0,
                &p.reviewer.1,
                Step::ReviewPass(Conclusion::Disclose),
            ),
            "approve" => (
                &p.approver.0,
                &p.approver.1,
                Step::Approve { scheduled: false },
            ),
            _ => continue,
        };
        store.apply_step(vid, actor, &step, &input, who).await?;
    }
    Ok(())
}

/// The attachment of the 2025 budget: its table as plain text (a TXT is an accepted attachment
/// kind; it needs no fonts to generate).
const BUDGET_ATTACHMENT: (&str, &str) = (
    "示例县2025年县级一般公共预算收支表.txt",
    "示例县2025年县级一般公共预算收支表\n\
     单位：万元\n\
     \n\
     项目\t预算数\n\
     一般公共预算收入\t86500\n\
     上级补助收入\t152300\n\
     一般公共预算支出\t231800\n\
     \u{3000}其中：教育支出\t48600\n\
     \u{3000}\u{3000}\u{3000}\u{3000}社会保障和就业支出\t39200\n\
     \u{3000}\u{3000}\u{3000}\u{3000}卫生健康支出\t21400\n\
     \n\
     示例县财政局  2025年2月14日\n",
);

/// Store the budget table and attach it to the budget's draft version.
async fn attach_budget_table(
    store: &Store,
    blobs: &BlobStore,
    version_id: i64,
    who: &Who,
) -> anyhow::Result<()> {
    let (name, text) = BUDGET_ATTACHMENT;
    let bytes = text.as_bytes().to_vec();
    let kind = gongkai_files::sniff(&bytes, name).map_err(|e| anyhow::anyhow!(e))?;
    let extracted = gongkai_files::extract_text(&bytes, kind);
    let size = bytes.len() as i64;
    let sha = blobs.put(bytes).await?;
    store
        .add_attachment(version_id, name, &sha, size, kind.mime(), &extracted, who)
        .await?;
    Ok(())
}

pub async fn seed(store: &Store, blobs: &BlobStore) -> anyhow::Result<usize> {
    let existing = store
        .list_items_admin(
            &gongkai_domain::access::Scope {
                roots: vec!["/".into()],
            },
            None,
            1,
        )
        .await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let bodies = store.list_bodies().await?;
    let Some(root) = bodies.iter().find(|b| b.parent_id.is_none()) else {
        return Ok(0);
    };
    let Some(p) = people(store, &root.path).await? else {
        return Ok(0);
    };
    let today = gongkai_web::handlers::admin::today();
    let cal = store.load_calendar().await?;
    let mut ids = std::collections::HashMap::new();
    let mut created = 0;
    let create = |body_name: &'static str,
                  key: &'static str,
                  title: &str,
                  doc_no: &str,
                  formed: &str,
                  text: &str,
                  scope: &str,
                  related: String| {
        let bodies = &bodies;
        let p = &p;
        let cal = &cal;
        let (title, doc_no, formed, text, scope) = (
            title.to_string(),
            doc_no.to_string(),
            formed.to_string(),
            text.to_string(),
            scope.to_string(),
        );
        async move {
            let body = bodies
                .iter()
                .find(|b| b.name == body_name)
                .ok_or_else(|| anyhow::anyhow!("no body {body_name}"))?;
            let cats = store.list_categories(body.id).await?;
            let cat = cats
                .iter()
                .find(|c| c.template_key == key)
                .or_else(|| cats.first())
                .ok_or_else(|| anyhow::anyhow!("no catalogue"))?;
            // A 文件 issued under a 文号 in the 规章和规范性文件 column is a 行政规范性文件
            // (counted in the annual report's table 二).
            let normative_kind = if key == "art20_1" && !doc_no.is_empty() {
                "normative".to_string()
            } else {
                String::new()
            };
            let f = ItemInput {
                title,
                doc_no,
                formed_on: formed.clone(),
                written_on: formed,
                body_md: text,
                scope,
                related,
                subject: "综合政务".into(),
                normative_kind,
                ..Default::default()
            }
            .validate(today)
            .map_err(|e| anyhow::anyhow!("demo item invalid: {e:?}"))?;
            let due = gongkai_domain::disclosure::due_on(cal, f.formed_on, None).ok();
            Ok::<(i64, i64), anyhow::Error>(
                store
                    .create_item(body.id, cat.id, &f, due, &p.editor.1)
                    .await?,
            )
        }
    };
    for (body, key, title, doc_no, formed, text) in PUBLISHED {
        let related = if key == &"interpretation" {
            ids.get("停车办法")
                .map(|i: &i64| i.to_string())
                .unwrap_or_default()
        } else {
            String::new()
        };
        let id = create(body, key, title, doc_no, formed, text, "public", related).await?;
        if title.ends_with("县级一般公共预算") {
            attach_budget_table(store, blobs, id.1, &p.editor.1).await?;
        }
        run(store, &p, id, &["submit", "review", "approve"], today).await?;
        if title.contains("停车管理办法》的通知") {
            ids.insert("停车办法", id.0);
        }
        if title.contains("集中采购目录") {
            ids.insert("采购目录", id.0);
        }
        if title.contains("国庆节假期") {
            ids.insert("国庆", id.0);
        }
        if title.contains("招生入学工作方案") {
            ids.insert("招生", id.0);
        }
        created += 1;
    }
    // The 规范性文件 flag on the parking rules.
    // A revised item with two versions: the enrolment plan gets a corrected registration period.
    if let Some(item_id) = ids.get("招生").copied() {
        let vid = store.revise_item(item_id, &p.editor.0, &p.editor.1).await?;
        let v = store.get_version(vid).await?;
        let mut f = ItemInput {
            title: v.title.clone(),
            doc_no: v.doc_no.clone(),
            formed_on: "2025-06-03".into(),
            written_on: v.written_on.clone().unwrap_or_default(),
            body_md: v
                .body_md
                .replace("7月1日至7月10日", "7月1日至7月15日（因系统升级延长5天）"),
            subject: v.subject.clone(),
            ..Default::default()
        }
        .validate(today)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        f.normative_kind = v.normative_kind.clone();
        store
            .update_draft(vid, &f, v.updated_at, None, &p.editor.1)
            .await?;
        run(
            store,
            &p,
            (item_id, vid),
            &["submit", "review", "approve"],
            today,
        )
        .await?;
    }
    // A 废止 item: last year's procurement catalogue, replaced.
    let old = create(
        "示例县财政局",
        "art20_9",
        "示例县2024年政府集中采购目录及限额标准",
        "示财采〔2024〕1号",
        "2024-01-10",
        "分散采购限额标准：货物和服务项目30万元，工程项目60万元。",
        "public",
        String::new(),
    )
    .await?;
    run(store, &p, old, &["submit", "review", "approve"], today).await?;
    store
        .set_validity(
            old.0,
            Validity::Repealed,
            NaiveDate::from_ymd_opt(2025, 1, 8),
            ids.get("采购目录").copied(),
            &p.approver.0,
            &p.approver.1,
        )
        .await?;
    // A withdrawn item.
    if let Some(item_id) = ids.get("国庆").copied() {
        store
            .withdraw_item(
                item_id,
                "管制路段表述有误，已另行发布更正后的通告",
                &p.approver.0,
                &p.approver.1,
            )
            .await?;
    }
    // An internal item.
    let internal = create(
        "示例县人民政府办公室",
        "eight_5",
        "县政府办2025年上半年公务接待和公务用车费用情况（内部公开）",
        "",
        "2025-07-05",
        "上半年公务接待费3.2万元，公务用车运行维护费5.6万元，均在预算额度内。",
        "internal",
        String::new(),
    )
    .await?;
    run(store, &p, internal, &["submit", "review", "approve"], today).await?;
    // Drafts waiting at each step, one with a screening finding to resolve.
    create(
        "示例县人民政府办公室",
        "notice",
        "关于做好2026年元旦春节期间值班工作的通知（草稿）",
        "",
        &today.to_string(),
        "各单位要严格执行领导带班和24小时值班制度。",
        "public",
        String::new(),
    )
    .await?;
    let waiting_review = create("示例县人民政府办公室", "art20_15", "示例县2025年第三季度政务公开工作情况", "", "2025-10-15", "第三季度全县主动公开政府信息1236条，受理依申请公开28件，均在法定期限内答复。\n\n联系人：郑雪梅，电话13912345678。", "public", String::new()).await?;
    let v = store.get_version(waiting_review.1).await?;
    let cfg = screening::ScreeningConfig::default();
    let mut found = vec![];
    for (field, text) in [("title", &v.title), ("body_md", &v.body_md)] {
        for f in screening::scan(text, &cfg) {
            found.push((field.to_string(), f));
        }
    }
    store.save_findings(v.id, &found).await?;
    run(store, &p, waiting_review, &["submit"], today).await?;
    let waiting_approval = create(
        "示例县发展和改革局",
        "art20_10",
        "示例县城南物流园区道路工程项目批准信息",
        "示发改投资〔2025〕19号",
        "2025-10-20",
        "项目新建道路2.4公里，总投资6800万元。",
        "public",
        String::new(),
    )
    .await?;
    run(store, &p, waiting_approval, &["submit", "review"], today).await?;
    created += 6;
    Ok(created)
}
