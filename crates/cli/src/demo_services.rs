//! Demo 权责清单 and 收费目录 of 示例县市场监督管理局: items in force since last year, one
//! adjusted and two cancelled this year (one 下放 to the 乡镇), one new this year; fee items
//! with the amounts of the last two years. Fictional documents throughout.

use chrono::{Datelike, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::service_input::{FeeInput, ServiceInput};
use gongkai_store::Store;
use gongkai_store::services::ServiceFilter;

struct Item {
    code: &'static str,
    name: &'static str,
    kind: &'static str,
    basis: &'static str,
    materials: &'static str,
    statutory: &'static str,
    promised: &'static str,
    fees: bool,
}

const ITEMS: &[Item] = &[
    Item {
        code: "SJ-XK-001",
        name: "食品经营许可",
        kind: "license",
        basis: "《中华人民共和国食品安全法》第三十五条\n《食品经营许可和备案管理办法》第二条",
        materials: "食品经营许可申请书（原件1份）\n营业执照（复印件1份）\n与食品经营相适应的主要设备设施布局、操作流程等文件（原件1份）",
        statutory: "20",
        promised: "5",
        fees: false,
    },
    Item {
        code: "SJ-XK-002",
        name: "药品零售企业经营许可",
        kind: "license",
        basis: "《中华人民共和国药品管理法》第五十二条",
        materials: "药品经营许可证申请表（原件1份）\n质量管理文件（原件1份）\n执业药师资格证书（复印件1份）",
        statutory: "30",
        promised: "10",
        fees: false,
    },
    Item {
        code: "SJ-XK-003",
        name: "特种设备使用登记",
        kind: "license",
        basis: "《中华人民共和国特种设备安全法》第三十三条",
        materials: "特种设备使用登记表（原件2份）\n产品合格证（复印件1份）\n监督检验证明（复印件1份）",
        statutory: "15",
        promised: "3",
        fees: false,
    },
    Item {
        code: "SJ-XK-004",
        name: "小餐饮登记",
        kind: "license",
        basis: "《示例省食品小作坊小餐饮和食品摊贩管理条例》第十八条",
        materials: "小餐饮登记申请表（原件1份）\n从业人员健康证明（复印件1份）",
        statutory: "10",
        promised: "0",
        fees: false,
    },
    Item {
        code: "SJ-QR-001",
        name: "计量器具强制检定",
        kind: "confirmation",
        basis: "《中华人民共和国计量法》第九条",
        materials: "强制检定计量器具登记表（原件1份）",
        statutory: "",
        promised: "5",
        fees: true,
    },
    Item {
        code: "SJ-QT-001",
        name: "户外广告设置备案",
        kind: "other",
        basis: "《示例县户外广告设置管理办法》第十条",
        materials: "户外广告设置备案表（原件1份）\n设置场地使用权证明（复印件1份）",
        statutory: "",
        promised: "2",
        fees: false,
    },
];

fn input(i: &Item, change: &str, on: NaiveDate, doc: (&str, &str)) -> ServiceInput {
    ServiceInput {
        change: change.into(),
        cancel_mode: String::new(),
        effective_on: on.to_string(),
        doc_title: doc.0.into(),
        doc_no: doc.1.into(),
        reason: String::new(),
        code: i.code.into(),
        name: i.name.into(),
        kind: i.kind.into(),
        basis: i.basis.into(),
        conditions: "申请人为依法设立的市场主体或自然人，符合法定条件。".into(),
        materials: i.materials.into(),
        procedure: "申请\n受理\n审查（必要时现场核查）\n决定\n制证送达".into(),
        statutory_days: i.statutory.into(),
        promised_days: i.promised.into(),
        fee_ids: vec![],
        service_object: "企业法人、个体工商户、其他组织".into(),
        online_url: "https://zwfw.shixian.example.gov.cn/".into(),
        hall: "示例县政务服务中心二楼".into(),
        hall_window: "市场监管综合窗口（8—10号）".into(),
        hall_hours: "工作日 8:30—12:00，14:30—17:30".into(),
        contact_phone: "0999-6170012".into(),
        complaint_phone: "12345".into(),
    }
}

/// Create the demo items and fees unless the body has some; returns how many items.
pub async fn seed(store: &Store, today: NaiveDate) -> anyhow::Result<usize> {
    let Some(body_id) = crate::demo::body_id(store, "amr").await? else {
        return Ok(0);
    };
    let existing = store
        .list_services(&ServiceFilter {
            body_id: Some(body_id),
            status: "all".into(),
            limit: 1,
            ..ServiceFilter::default()
        })
        .await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let who = Who::system();
    let y = today.year();
    let d = |m: u32, day: u32, year: i32| NaiveDate::from_ymd_opt(year, m, day).unwrap_or(today);
    // Fees first, so an item can charge them.
    let mut fee_ids = Vec::new();
    for (code, name, basis, doc, standard, amounts) in [
        (
            "SF-JL-01",
            "计量器具检定费",
            "关于计量收费标准的通知",
            "示价费〔2019〕8号",
            "按器具类别，每台（件）10元至300元",
            [(y - 2, 18_650_000_i64), (y - 1, 21_234_567)],
        ),
        (
            "SF-TZ-01",
            "特种设备检验检测费",
            "关于特种设备检验检测收费标准的通知",
            "示发改收费〔2020〕15号",
            "按设备类别和参数计收，锅炉每台300元起",
            [(y - 2, 9_800_000), (y - 1, 10_050_050)],
        ),
    ] {
        let f = FeeInput {
            code: code.into(),
            name: name.into(),
            category: "administrative".into(),
            basis_title: basis.into(),
            basis_doc_no: doc.into(),
            standard_text: standard.into(),
            payer: "申请检定、检验的单位和个人".into(),
        }
        .validate()
        .map_err(|e| anyhow::anyhow!("示例收费项目无效：{e:?}"))?;
        let id = store.create_fee(body_id, &f, &who).await?;
        for (year, fen) in amounts {
            store.set_fee_amount(id, year, fen, "entered", &who).await?;
        }
        fee_ids.push(id);
    }
    let established = d(3, 1, y - 1);
    let doc = (
        "关于公布县级行政权力事项清单的通知",
        format!("示政发〔{}〕6号", y - 1),
    );
    let mut n = 0;
    for (k, i) in ITEMS.iter().enumerate() {
        let mut inp = input(i, "establish", established, (doc.0, doc.1.as_str()));
        if i.fees {
            inp.fee_ids = vec![fee_ids[0]];
        }
        let v = inp
            .validate()
            .map_err(|e| anyhow::anyhow!("示例事项无效：{e:?}"))?;
        let (item_id, vid) = store.create_service(body_id, &v, &who).await?;
        store.publish_service_version(vid, today, &who).await?;
        n += 1;
        let this_doc = format!("示政发〔{y}〕2号");
        let change = match k {
            // 调整: a shorter promised time.
            0 => Some(ServiceInput {
                reason: "压缩承诺办结时限".into(),
                promised_days: "3".into(),
                ..input(
                    i,
                    "adjust",
                    d(4, 1, y).min(today),
                    ("关于进一步压缩审批时限的通知", this_doc.as_str()),
                )
            }),
            // 取消.
            3 => Some(ServiceInput {
                cancel_mode: "cancel".into(),
                reason: "改为备案管理".into(),
                ..input(
                    i,
                    "cancel",
                    d(3, 1, y).min(today),
                    ("关于取消和下放一批行政许可事项的决定", this_doc.as_str()),
                )
            }),
            // 下放 to the 乡镇.
            5 => Some(ServiceInput {
                cancel_mode: "devolve".into(),
                reason: "下放至乡镇人民政府实施".into(),
                ..input(
                    i,
                    "cancel",
                    d(3, 1, y).min(today),
                    ("关于取消和下放一批行政许可事项的决定", this_doc.as_str()),
                )
            }),
            _ => None,
        };
        if let Some(c) = change {
            let v = c
                .validate()
                .map_err(|e| anyhow::anyhow!("示例事项变更无效：{e:?}"))?;
            let vid = store.add_service_version(item_id, &v, &who).await?;
            store.publish_service_version(vid, today, &who).await?;
        }
    }
    // A new item this year.
    let new = Item {
        code: "SJ-XK-005",
        name: "食品生产许可（低风险食品）",
        kind: "license",
        basis: "《中华人民共和国食品安全法》第三十五条\n《食品生产许可管理办法》第二条",
        materials: "食品生产许可申请书（原件1份）\n生产场所平面图（原件1份）",
        statutory: "20",
        promised: "10",
        fees: false,
    };
    let v = input(
        &new,
        "establish",
        d(5, 1, y).min(today),
        (
            "关于承接省级下放行政许可事项的通知",
            format!("示政发〔{y}〕9号").as_str(),
        ),
    )
    .validate()
    .map_err(|e| anyhow::anyhow!("示例事项无效：{e:?}"))?;
    let (_, vid) = store.create_service(body_id, &v, &who).await?;
    store.publish_service_version(vid, today, &who).await?;
    Ok(n + 1)
}
