//! Demo 双公示 decisions of 示例县市场监督管理局, dated relative to today: licences and
//! penalties published on time and late, one waiting and one overdue, a natural person's
//! penalty whose ID and phone in the text are masked, one about a minor (withheld), one
//! withdrawn with its reason, one past its display period, and a 行政强制 (counted only).
//! Names, codes and document numbers are fictional.

use chrono::{Datelike, Days, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::codes::{
    organization_code_check_char, resident_id_check_char, uscc_check_char,
};
use gongkai_domain::credit::{self as dc, DecisionInput};
use gongkai_domain::screening::ScreeningConfig;
use gongkai_domain::seal::SealKey;
use gongkai_store::Store;
use gongkai_store::credit::{DecisionFilter, NewDecision};

/// A valid fictional 统一社会信用代码 of an enterprise (`91`) or 个体工商户 (`92`).
fn firm_code(kind: &str, n: u32) -> String {
    let body8 = format!("QY{n:06}");
    let check9 = organization_code_check_char(&body8).unwrap_or('0');
    let body17 = format!("{kind}990100{body8}{check9}");
    let check18 = uscc_check_char(&body17).unwrap_or('0');
    format!("{body17}{check18}")
}

/// A valid fictional 居民身份证号码 born on `birth`.
fn resident_id(birth: &str, seq: u32) -> String {
    let body17 = format!("990100{}{seq:03}", birth.replace('-', ""));
    let check = resident_id_check_char(&body17).unwrap_or('0');
    format!("{body17}{check}")
}

/// What happens to a demo decision after it is recorded, in days after its decision date.
enum Then {
    Wait,
    Publish(u64),
    /// Published after `.0` days, withdrawn `.1` days after the decision, for `.2`.
    Withdraw(u64, u64, &'static str),
}

struct Demo {
    input: DecisionInput,
    days_ago: u64,
    then: Then,
}

fn demos(today: NaiveDate) -> Vec<Demo> {
    let y = today.year();
    let firm = |n: u32, kind: &str, name: &str, rep: &str| DecisionInput {
        kind: kind.into(),
        party_type: "legal".into(),
        party_name: name.into(),
        uscc: firm_code("91", n),
        legal_rep: rep.into(),
        doc_title: if kind == "license" {
            "行政许可决定书".into()
        } else {
            "行政处罚决定书".into()
        },
        ..DecisionInput::default()
    };
    let adult = resident_id("1985-03-12", 12);
    vec![
        Demo {
            input: DecisionInput {
                doc_no: format!("示市监食许〔{y}〕101号"),
                content: "准予食品经营许可，经营项目：预包装食品销售（含冷藏冷冻食品）、散装食品销售。".into(),
                basis: "《中华人民共和国食品安全法》第三十五条".into(),
                ..firm(1, "license", "示例县惠民超市有限公司", "孙丽华")
            },
            days_ago: 40,
            then: Then::Publish(3),
        },
        Demo {
            input: DecisionInput {
                party_type: "business".into(),
                party_name: "示例县城关镇李记小吃店".into(),
                uscc: firm_code("92", 2),
                doc_no: format!("示市监食许〔{y}〕102号"),
                content: "准予食品经营许可（小餐饮），经营项目：热食类食品制售。".into(),
                basis: "《中华人民共和国食品安全法》第三十五条".into(),
                ..firm(2, "license", "", "李德明")
            },
            days_ago: 20,
            then: Then::Publish(2),
        },
        Demo {
            input: DecisionInput {
                doc_no: format!("示市监罚〔{y}〕21号"),
                content: "当事人销售不符合国家标准的建筑用钢筋，货值金额8600元。责令改正，没收违法所得1200元，罚款20000元。".into(),
                basis: "《中华人民共和国产品质量法》第四十九条".into(),
                fine_yuan: "20000".into(),
                ..firm(3, "penalty", "示例县鑫达建材有限公司", "周国强")
            },
            days_ago: 60,
            then: Then::Publish(14),
        },
        Demo {
            input: DecisionInput {
                party_type: "natural".into(),
                party_name: "张建国".into(),
                id_type: "resident".into(),
                id_no: adult.clone(),
                phone: "13712345678".into(),
                address: "城关镇幸福路18号3栋2单元501室".into(),
                other_names: "王小红".into(),
                doc_title: "行政处罚决定书".into(),
                doc_no: format!("示市监罚〔{y}〕25号"),
                content: format!(
                    "当事人张建国（身份证号{adult}，电话137 1234 5678，住城关镇幸福路18号3栋2单元501室）未取得营业执照在农贸市场从事水产品经营，经王小红举报查实。责令停止违法行为，罚款3000元。"
                ),
                basis: "《无证无照经营查处办法》第十三条".into(),
                fine_yuan: "3000".into(),
                kind: "penalty".into(),
                ..DecisionInput::default()
            },
            days_ago: 30,
            then: Then::Publish(4),
        },
        Demo {
            input: DecisionInput {
                party_type: "natural".into(),
                party_name: "陈小军".into(),
                id_type: "resident".into(),
                id_no: resident_id(&format!("{}-05-01", y - 16), 31),
                doc_title: "行政处罚决定书".into(),
                doc_no: format!("示市监罚〔{y}〕26号"),
                content: "当事人在校园周边流动销售无标签食品，予以警告。".into(),
                basis: "《中华人民共和国食品安全法》第一百二十五条".into(),
                kind: "penalty".into(),
                ..DecisionInput::default()
            },
            days_ago: 28,
            then: Then::Publish(3),
        },
        Demo {
            input: DecisionInput {
                doc_no: format!("示市监罚〔{y}〕9号"),
                content: "当事人发布虚假广告，罚款50000元。".into(),
                basis: "《中华人民共和国广告法》第五十五条".into(),
                fine_yuan: "50000".into(),
                ..firm(4, "penalty", "示例县优选家居有限公司", "吴海峰")
            },
            days_ago: 90,
            then: Then::Withdraw(3, 80, "原处罚决定经县人民政府行政复议决定撤销"),
        },
        Demo {
            input: DecisionInput {
                doc_no: format!("示市监罚〔{}〕58号", y - 1),
                content: "当事人未按规定公示年度报告，罚款5000元。".into(),
                basis: "《中华人民共和国市场主体登记管理条例》第四十七条".into(),
                fine_yuan: "5000".into(),
                ..firm(5, "penalty", "示例县宏远物流有限公司", "郑卫东")
            },
            days_ago: 420,
            then: Then::Publish(5),
        },
        Demo {
            input: DecisionInput {
                doc_title: "实施行政强制措施决定书".into(),
                doc_no: format!("示市监强〔{y}〕3号"),
                content: "查封涉嫌侵犯注册商标专用权的运动鞋312双。".into(),
                basis: "《中华人民共和国商标法》第六十二条".into(),
                ..firm(6, "coercion", "示例县步步高鞋业商行有限公司", "冯志远")
            },
            days_ago: 35,
            then: Then::Wait,
        },
        Demo {
            input: DecisionInput {
                doc_no: format!("示市监罚〔{y}〕30号"),
                content: "当事人使用未经检定的电子计价秤，责令改正，罚款2000元。".into(),
                basis: "《中华人民共和国计量法实施细则》第四十三条".into(),
                fine_yuan: "2000".into(),
                ..firm(7, "penalty", "示例县鲜果汇商贸有限公司", "杨春燕")
            },
            days_ago: 25,
            then: Then::Wait,
        },
        Demo {
            input: DecisionInput {
                doc_no: format!("示市监药许〔{y}〕12号"),
                content: "准予药品经营许可（零售），经营范围：中成药、化学药制剂、抗生素制剂。".into(),
                basis: "《中华人民共和国药品管理法》第五十二条".into(),
                valid_until: format!("{}-12-31", y + 5),
                ..firm(8, "license", "示例县康宁大药房有限公司", "何秀英")
            },
            days_ago: 1,
            then: Then::Wait,
        },
    ]
}

/// One demo step: a rule's refusal is told and skipped, so the demo never stops the server.
macro_rules! step {
    ($e:expr) => {
        match $e.await {
            Ok(v) => Some(v),
            Err(gongkai_store::StoreError::Invalid(m)) => {
                eprintln!("示例双公示：跳过一步（{m}）");
                None
            }
            Err(e) => return Err(e.into()),
        }
    };
}

/// Create the demo decisions unless the body has some already; returns how many were created.
pub async fn seed(store: &Store, seal: &SealKey, today: NaiveDate) -> anyhow::Result<usize> {
    let Some(body_id) = crate::demo::body_id(store, "amr").await? else {
        return Ok(0);
    };
    let scope = store.get_body(body_id).await?.path;
    let existing = store
        .list_decisions(
            &gongkai_domain::access::Scope { roots: vec![scope] },
            &DecisionFilter {
                view: "all".into(),
                limit: 1,
                ..DecisionFilter::default()
            },
        )
        .await?;
    if !existing.is_empty() {
        return Ok(0);
    }
    let cal = store.load_calendar().await?;
    let who = Who::system();
    let cfg = ScreeningConfig::default();
    let mut n = 0;
    for demo in demos(today) {
        let decided = today - Days::new(demo.days_ago);
        let input = DecisionInput {
            decided_on: decided.to_string(),
            ..demo.input
        };
        let v = input
            .validate(today)
            .map_err(|e| anyhow::anyhow!("示例双公示数据无效：{e:?}"))?;
        let due = dc::publish_due(&cal, v.decided_on)?;
        let sealed = seal.seal(&serde_json::to_string(&v.personal)?);
        let rec = NewDecision::from_valid(
            body_id,
            &v,
            sealed,
            due,
            &gongkai_domain::credit::CreditPolicy::default(),
            "form",
        );
        let Some(id) = step!(store.record_decision(&rec, &who)) else {
            continue;
        };
        n += 1;
        match demo.then {
            Then::Wait => {}
            Then::Publish(after) => {
                step!(store.publish_decision(
                    id,
                    &v.personal,
                    &cfg,
                    (decided + Days::new(after)).min(today),
                    &who
                ));
            }
            Then::Withdraw(after, revoked, reason) => {
                step!(store.publish_decision(
                    id,
                    &v.personal,
                    &cfg,
                    decided + Days::new(after),
                    &who
                ));
                let revoked_on = decided + Days::new(revoked);
                let due = dc::withdraw_due(&cal, revoked_on)?;
                step!(store.withdraw_decision(
                    id,
                    revoked_on,
                    due,
                    reason,
                    revoked_on + Days::new(1),
                    &who
                ));
            }
        }
    }
    store.credit_tick(&cal, today).await?;
    Ok(n)
}
