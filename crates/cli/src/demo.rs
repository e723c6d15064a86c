//! The demo county (示例县): a small but complete tree of public bodies and one account per
//! role, written for this project. Seeding is idempotent: bodies are found by organisation
//! code and accounts by username, so running it again creates nothing twice.

use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use gongkai_domain::body::{BodyInput, Leader};
use gongkai_domain::codes::{organization_code_check_char, uscc_check_char};
use gongkai_store::Store;
use gongkai_store::users::NewUser;

/// A demo body: key, parent key, name, short name, kind, duties, leaders.
struct DemoBody {
    key: &'static str,
    parent: Option<&'static str>,
    name: &'static str,
    short: &'static str,
    kind: &'static str,
    duties: &'static str,
    leaders: &'static [(&'static str, &'static str, &'static str)],
    phone: &'static str,
    address: &'static str,
}

/// A valid 统一社会信用代码 for demo body number `n` (类别 1 机关, 类型 1, fictional region 990100).
pub fn demo_code(n: u32) -> String {
    let body8 = format!("DM{n:06}");
    let check9 = organization_code_check_char(&body8).unwrap_or('0');
    let body17 = format!("11990100{body8}{check9}");
    let check18 = uscc_check_char(&body17).unwrap_or('0');
    format!("{body17}{check18}")
}

const BODIES: &[DemoBody] = &[
    DemoBody {
        key: "gov",
        parent: None,
        name: "示例县人民政府",
        short: "县政府",
        kind: "government",
        duties: "执行县人民代表大会及其常务委员会的决议，以及上级国家行政机关的决定和命令。\n领导所属各工作部门和乡镇人民政府、街道办事处的工作。\n编制和执行全县国民经济和社会发展计划、财政预算。\n管理全县经济、教育、科学、文化、卫生、民政、公安等行政工作。",
        leaders: &[
            ("周明远", "县长", "主持县政府全面工作"),
            ("林晓岚", "副县长", "负责财政、发展改革、政务公开工作"),
            ("韩立新", "副县长", "负责教育、自然资源、乡村振兴工作"),
        ],
        phone: "0999-6120001",
        address: "示例县城关镇人民路1号",
    },
    DemoBody {
        key: "office",
        parent: Some("gov"),
        name: "示例县人民政府办公室",
        short: "县政府办",
        kind: "department",
        duties: "负责县政府日常运转和文电、会务、督查工作。\n承担全县政府信息公开工作的组织协调，受理向县政府提出的政府信息公开申请。\n负责县政府门户网站的内容保障和监督管理。",
        leaders: &[
            ("许文博", "主任", "主持办公室全面工作"),
            ("郑雪梅", "副主任", "负责政务公开、网站和信息工作"),
        ],
        phone: "0999-6120010",
        address: "示例县城关镇人民路1号二楼",
    },
    DemoBody {
        key: "fgj",
        parent: Some("gov"),
        name: "示例县发展和改革局",
        short: "县发改局",
        kind: "department",
        duties: "拟订并组织实施全县国民经济和社会发展规划。\n负责县级政府投资项目的审批和重大建设项目的统筹协调。\n承担价格管理和收费项目目录的公布工作。",
        leaders: &[("王建国", "局长", "主持全面工作")],
        phone: "0999-6120101",
        address: "示例县城关镇建设路18号",
    },
    DemoBody {
        key: "czj",
        parent: Some("gov"),
        name: "示例县财政局",
        short: "县财政局",
        kind: "department",
        duties: "编制县级财政预算草案并组织执行，编制财政决算。\n负责政府集中采购的监督管理。\n组织实施预决算公开工作。",
        leaders: &[("陈淑芬", "局长", "主持全面工作")],
        phone: "0999-6120202",
        address: "示例县城关镇人民路9号",
    },
    DemoBody {
        key: "jyj",
        parent: Some("gov"),
        name: "示例县教育局",
        short: "县教育局",
        kind: "department",
        duties: "贯彻执行国家教育方针，统筹全县各级各类教育发展。\n负责义务教育阶段招生入学政策的制定与公开。\n指导学校校务公开工作。",
        leaders: &[("刘海涛", "局长", "主持全面工作")],
        phone: "0999-6120303",
        address: "示例县城关镇文化街6号",
    },
    DemoBody {
        key: "zrzy",
        parent: Some("gov"),
        name: "示例县自然资源局",
        short: "县自然资源局",
        kind: "department",
        duties: "负责全县国土空间规划和用途管制。\n承担土地征收的组织实施和征地信息公开。\n负责不动产登记的指导监督。",
        leaders: &[("赵宏亮", "局长", "主持全面工作")],
        phone: "0999-6120404",
        address: "示例县城关镇建设路30号",
    },
    DemoBody {
        key: "jw",
        parent: Some("gov"),
        name: "中共示例县纪律检查委员会 示例县监察委员会",
        short: "县纪委监委",
        kind: "discipline",
        duties: "监督检查党员干部和公职人员依法履职、秉公用权、廉洁从政情况。\n受理对监察对象的检举控告，依法保护举报人。\n监督政务公开和权力运行情况，对失职失责问题进行问责。",
        leaders: &[("孙正平", "书记、主任", "主持全面工作")],
        phone: "0999-6120505",
        address: "示例县城关镇和平路3号",
    },
    DemoBody {
        key: "zwfw",
        parent: Some("gov"),
        name: "示例县政务服务管理局",
        short: "县政务服务局",
        kind: "department",
        duties: "负责县政务服务中心的运行管理，推行“一站式”办理。\n公开行政许可和公共服务事项的依据、条件、程序、时限和收费标准。\n受理企业和群众对政务服务的投诉。",
        leaders: &[("吴佳琪", "局长", "主持全面工作")],
        phone: "0999-6120606",
        address: "示例县城关镇政务服务中心",
    },
    DemoBody {
        key: "qsz",
        parent: Some("gov"),
        name: "示例县青山镇人民政府",
        short: "青山镇",
        kind: "township",
        duties: "执行本镇人民代表大会的决议和上级国家行政机关的决定和命令。\n负责本镇经济社会发展、社会救助、土地承包经营权流转等事务。\n组织实施村务公开的指导和监督。",
        leaders: &[("马晓东", "镇长", "主持镇政府全面工作")],
        phone: "0999-6130001",
        address: "示例县青山镇青山大道12号",
    },
    DemoBody {
        key: "qsc",
        parent: Some("qsz"),
        name: "示例县青山镇青山村村民委员会",
        short: "青山村",
        kind: "village",
        duties: "办理本村公共事务和公益事业。\n公开村级财务收支、集体资产和惠农补贴发放情况。",
        leaders: &[("杨春生", "村委会主任", "主持村委会全面工作")],
        phone: "0999-6130101",
        address: "示例县青山镇青山村村委会",
    },
    DemoBody {
        key: "lhx",
        parent: Some("gov"),
        name: "示例县柳河乡人民政府",
        short: "柳河乡",
        kind: "township",
        duties: "负责本乡经济发展、社会事务和公共服务。\n组织实施农村危房改造、涉农补贴发放并公开结果。",
        leaders: &[("黄丽娟", "乡长", "主持乡政府全面工作")],
        phone: "0999-6140001",
        address: "示例县柳河乡柳河街5号",
    },
    DemoBody {
        key: "cgjd",
        parent: Some("gov"),
        name: "示例县城关街道办事处",
        short: "城关街道",
        kind: "subdistrict",
        duties: "负责辖区社会治理、公共服务和城市管理工作。\n指导社区居民委员会开展居务公开。\n受理辖区居民的意见建议和投诉。",
        leaders: &[("何志强", "主任", "主持街道办事处全面工作")],
        phone: "0999-6150001",
        address: "示例县城关镇解放路20号",
    },
    DemoBody {
        key: "dmsq",
        parent: Some("cgjd"),
        name: "示例县城关街道东门社区居民委员会",
        short: "东门社区",
        kind: "community",
        duties: "办理本社区居民的公共事务和公益事业。\n公开社区事务、低保评议和社区经费使用情况。",
        leaders: &[("冯桂兰", "社区党委书记、居委会主任", "主持社区全面工作")],
        phone: "0999-6150101",
        address: "示例县城关街道东门小区1栋",
    },
    DemoBody {
        key: "nysq",
        parent: Some("cgjd"),
        name: "示例县城关街道南苑社区居民委员会",
        short: "南苑社区",
        kind: "community",
        duties: "办理本社区居民的公共事务和公益事业。\n组织居民议事，公开议事结果。",
        leaders: &[("唐建华", "居委会主任", "主持社区全面工作")],
        phone: "0999-6150201",
        address: "示例县城关街道南苑路8号",
    },
    DemoBody {
        key: "yz",
        parent: Some("jyj"),
        name: "示例县第一中学",
        short: "县一中",
        kind: "school",
        duties: "实施初中和高中教育教学。\n公开招生政策、收费项目及标准、教职工职称评聘结果等校务信息。",
        leaders: &[("邓永平", "校长", "主持学校全面工作")],
        phone: "0999-6160001",
        address: "示例县城关镇育才路2号",
    },
    // Appended last: demo codes come from the position.
    DemoBody {
        key: "amr",
        parent: Some("gov"),
        name: "示例县市场监督管理局",
        short: "县市场监管局",
        kind: "department",
        duties: "负责全县市场主体登记注册和食品经营、药品零售等行政许可。\n负责市场监管领域的行政执法，依法查处无证无照经营、食品安全、价格等违法行为。\n负责行政许可、行政处罚信息的双公示工作。",
        leaders: &[("钱正清", "局长", "主持全面工作")],
        phone: "0999-6170001",
        address: "示例县城关镇市场路8号",
    },
];

/// Demo accounts: username, display name, body key, role.
const ACCOUNTS: &[(&str, &str, &str, Role)] = &[
    ("demo.admin", "县政府办管理员", "gov", Role::Admin),
    ("demo.editor", "政务公开信息员", "office", Role::Editor),
    ("demo.secretary", "县政府办文秘", "gov", Role::Editor),
    ("demo.street", "城关街道信息员", "cgjd", Role::Editor),
    ("demo.reviewer", "保密审查员", "office", Role::Reviewer),
    ("demo.approver", "分管领导", "office", Role::Approver),
    (
        "demo.handler",
        "依申请公开办理员",
        "office",
        Role::ApplicationHandler,
    ),
    ("demo.letters", "信箱办理员", "office", Role::LetterHandler),
    ("demo.discipline", "纪检监督员", "jw", Role::Discipline),
    ("demo.supervisor", "特邀监督员", "gov", Role::Supervisor),
    (
        "demo.inspector",
        "县政务公开督查组",
        "gov",
        Role::Discipline,
    ),
    ("demo.credit", "信用信息员", "amr", Role::CreditEditor),
    ("demo.leader", "市场监管局分管领导", "amr", Role::Approver),
    ("demo.services", "事项管理员", "amr", Role::ServiceEditor),
];

/// Create whatever of the demo county is missing; print the new accounts' passwords once.
pub async fn seed(store: &Store) -> anyhow::Result<()> {
    let who = Who::system();
    let mut ids = std::collections::HashMap::new();
    let mut created_bodies = 0;
    for (i, b) in BODIES.iter().enumerate() {
        let code = demo_code(i as u32 + 1);
        if let Some(existing) = store.get_body_by_code(&code).await? {
            ids.insert(b.key, existing.id);
            continue;
        }
        if b.parent.is_none() && !store.list_bodies().await?.is_empty() {
            // Another root exists: this installation is not a demo; leave it alone.
            println!("数据库中已有其他机关，未创建示例县。");
            return Ok(());
        }
        let input = BodyInput {
            name: b.name.into(),
            short_name: b.short.into(),
            kind: b.kind.into(),
            org_code: code,
            parent_id: b.parent.and_then(|p| ids.get(p).copied()),
            address: b.address.into(),
            office_hours: "工作日 上午8:30—12:00，下午14:30—17:30".into(),
            phone: b.phone.into(),
            fax: b.phone.into(),
            email: format!("{}@shixian.example.gov.cn", b.key),
            duties: b.duties.into(),
            leaders: b
                .leaders
                .iter()
                .map(|(n, t, p)| Leader {
                    name: (*n).into(),
                    title: (*t).into(),
                    portfolio: (*p).into(),
                })
                .collect(),
        };
        let fields = input
            .validate()
            .map_err(|e| anyhow::anyhow!("示例数据无效：{e:?}"))?;
        let id = store.create_body(&fields, &who).await?;
        ids.insert(b.key, id);
        created_bodies += 1;
    }
    let mut printed = Vec::new();
    for (username, display, body, role) in ACCOUNTS {
        if store.find_user(username).await?.is_some() {
            continue;
        }
        let Some(body_id) = ids.get(body).copied() else {
            continue;
        };
        let password = gongkai_web::handlers::admin::initial_password();
        let hash =
            gongkai_domain::password::hash_password(&password).map_err(|e| anyhow::anyhow!(e))?;
        store
            .create_user(
                &NewUser {
                    body_id,
                    username: (*username).into(),
                    display_name: (*display).into(),
                    password_hash: hash,
                    must_change_password: true,
                    roles: vec![*role],
                },
                &who,
            )
            .await?;
        printed.push((username, role.label(), password));
    }
    if created_bodies > 0 {
        println!("已创建示例县：{created_bodies}个机关。");
    }
    if !printed.is_empty() {
        println!("示例账号（密码只显示这一次，首次登录时必须修改并设置二次验证）：");
        for (u, r, p) in printed {
            println!("  {u:<18} {r:<8} {p}");
        }
    }
    Ok(())
}

/// The id of the demo body `key`, if the demo county exists.
pub async fn body_id(store: &Store, key: &str) -> anyhow::Result<Option<i64>> {
    let Some(i) = BODIES.iter().position(|b| b.key == key) else {
        return Ok(None);
    };
    Ok(store
        .get_body_by_code(&demo_code(i as u32 + 1))
        .await?
        .map(|b| b.id))
}
