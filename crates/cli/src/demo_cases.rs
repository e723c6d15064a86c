//! Demo applications (依申请公开), written for this project: cases in every state across two
//! years — one in 补正, one waiting for a third party's opinion, one extended, one with a fee,
//! and replies of several types. Created once: nothing is added if any application exists.

use chrono::NaiveDate;
use gongkai_domain::application::{ApplicantType, Channel, ClockEvent, Party, ReplyType};
use gongkai_domain::audit::Who;
use gongkai_domain::seal::SealKey;
use gongkai_store::Store;
use gongkai_store::applications::{CaseEvent, NewApplication};

struct Case {
    name: &'static str,
    kind: ApplicantType,
    channel: Channel,
    received: &'static str,
    want: &'static str,
    events: &'static [(&'static str, &'static str)],
}

const CASES: &[Case] = &[
    Case {
        name: "陈志远",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2025-03-12",
        want: "2024年城区老旧小区改造项目的资金安排和实施名单",
        events: &[("reply:disclosed", "2025-04-02")],
    },
    Case {
        name: "示例县某建材有限公司",
        kind: ApplicantType::Commercial,
        channel: Channel::RegisteredPost,
        received: "2025-05-08",
        want: "本公司所在地块的土地征收批复文件",
        events: &[("reply:already_public", "2025-05-20")],
    },
    Case {
        name: "刘雅琴",
        kind: ApplicantType::Natural,
        channel: Channel::InPerson,
        received: "2025-06-16",
        want: "2024年度县级部门招待费明细及审批单据",
        events: &[("reply:withheld_internal", "2025-07-08")],
    },
    Case {
        name: "某律师事务所",
        kind: ApplicantType::Legal,
        channel: Channel::Online,
        received: "2025-09-19",
        want: "示例县2023年某行政处罚案件的全部执法案卷",
        events: &[
            ("consult:third_party", "2025-09-22"),
            ("answered", "2025-10-09"),
            ("reply:partial", "2025-10-24"),
        ],
    },
    Case {
        name: "王建国",
        kind: ApplicantType::Natural,
        channel: Channel::OrdinaryPost,
        received: "2025-11-03",
        want: "青山镇2025年农村危房改造补助对象名单",
        events: &[("reply:not_held", "2025-11-14")],
    },
    Case {
        name: "某大学公共管理学院",
        kind: ApplicantType::Research,
        channel: Channel::Online,
        received: "2025-12-01",
        want: "2019年至2024年全县历年政府信息公开申请统计数据",
        events: &[("reply:needs_creation", "2025-12-19")],
    },
    Case {
        name: "李秀兰",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2026-03-02",
        want: "我家房屋征收补偿的评估报告",
        events: &[("correction", "2026-03-04")],
    },
    Case {
        name: "张伟",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2026-09-14",
        want: "南苑社区2025年低保评议会议记录",
        events: &[("consult:other_body", "2026-09-16")],
    },
    Case {
        name: "某环保公益组织",
        kind: ApplicantType::PublicInterest,
        channel: Channel::Online,
        received: "2026-10-12",
        want: "城北污水处理厂2025年全年在线监测数据",
        events: &[("extend", "2026-11-03")],
    },
    Case {
        name: "赵明",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2026-10-26",
        want: "2015年以来全县全部政府采购合同的复印件",
        events: &[("fee", "2026-11-10")],
    },
    Case {
        name: "孙丽",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2026-11-16",
        want: "示例县第一中学2026年秋季招生录取名单",
        events: &[],
    },
    Case {
        name: "周强",
        kind: ApplicantType::Natural,
        channel: Channel::InPerson,
        received: "2026-04-20",
        want: "关于我的信访事项的处理结果",
        events: &[("reply:complaint", "2026-04-24")],
    },
    Case {
        name: "钱芳",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2026-05-11",
        want: "城关街道2025年财务收支明细",
        events: &[("correction", "2026-05-13"), ("abandon", "2026-06-30")],
    },
    Case {
        name: "吴敏",
        kind: ApplicantType::Natural,
        channel: Channel::Online,
        received: "2026-06-01",
        want: "县教育局2025年教师招聘成绩",
        events: &[("withdraw", "2026-06-03")],
    },
];

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

/// Create the demo cases at the county government office (or its first department).
pub async fn seed(store: &Store, seal: &SealKey) -> anyhow::Result<usize> {
    if store.count_applications().await? > 0 {
        return Ok(0);
    }
    let bodies = store.list_bodies().await?;
    let Some(office) = bodies
        .iter()
        .find(|b| b.name.contains("人民政府办公室"))
        .or_else(|| bodies.first())
    else {
        return Ok(0);
    };
    let who = match store.find_user("demo.handler").await? {
        Some(u) => Who {
            user_id: Some(u.id),
            name: u.username,
            ip: "demo".into(),
        },
        None => Who::system(),
    };
    let cal = store.load_calendar().await?;
    let today = gongkai_web::handlers::admin::today();
    let mut n = 0;
    for (i, c) in CASES.iter().enumerate() {
        let received = d(c.received);
        if received > today {
            continue;
        }
        let id_number = if c.kind == ApplicantType::Natural {
            "11010519491231002X".to_string()
        } else {
            format!("营业执照第{:04}号", 1000 + i)
        };
        let new = NewApplication {
            body_id: office.id,
            routed: true,
            channel: c.channel,
            submitted_on: received,
            received_on: received,
            applicant_type: c.kind,
            applicant_name: c.name.into(),
            id_type: if c.kind == ApplicantType::Natural { "居民身份证".into() } else { "其他".into() },
            id_sealed: seal.seal(&id_number),
            contact_sealed: seal.seal(&serde_json::json!({"phone": format!("1380000{:04}", 1000 + i), "email": "", "address": ""}).to_string()),
            description: c.want.into(),
            doc_no_hint: String::new(),
            form_wanted: "电子数据".into(),
            delivery: "online".into(),
            secret_hash: crate::demo_cases::unusable_secret(),
        };
        let (id, _) = store.create_application(&new, &cal, &who).await?;
        for (what, on) in c.events {
            let on = d(on);
            if on > today {
                break;
            }
            let (ev, note): (CaseEvent, &str) = match *what {
                "correction" => (
                    CaseEvent::Clock(ClockEvent::CorrectionRequested { on }),
                    "请写明房屋所在地址和征收项目名称",
                ),
                "abandon" => (
                    CaseEvent::Abandon {
                        on,
                        reply: ReplyType::NoCorrection,
                    },
                    "",
                ),
                "consult:third_party" => (
                    CaseEvent::Clock(ClockEvent::ConsultationSent {
                        on,
                        party: Party::ThirdParty,
                    }),
                    "征求被处罚企业意见",
                ),
                "consult:other_body" => (
                    CaseEvent::Clock(ClockEvent::ConsultationSent {
                        on,
                        party: Party::OtherBody,
                    }),
                    "征求城关街道办事处意见",
                ),
                "answered" => (
                    CaseEvent::Clock(ClockEvent::ConsultationAnswered { on }),
                    "第三方不同意公开其经营数据",
                ),
                "extend" => (
                    CaseEvent::Clock(ClockEvent::Extended {
                        on,
                        working_days: 15,
                    }),
                    "监测数据量大，需向运营单位调取，经分管负责人同意延期",
                ),
                "fee" => (
                    CaseEvent::FeeNotice {
                        on,
                        basis: gongkai_domain::application::FeeBasis::PerApplication {
                            nth_in_month: 12,
                        },
                        amount_fen: None,
                        reason: String::new(),
                    },
                    "该申请人本月已向本机关提出12件申请",
                ),
                "withdraw" => (CaseEvent::Withdraw { on }, "申请人来电撤回"),
                r if r.starts_with("reply:") => {
                    let t = ReplyType::parse(&r[6..]).unwrap_or(ReplyType::Disclosed);
                    (
                        CaseEvent::Reply {
                            on,
                            reply: t,
                            text: format!(
                                "经审查，{}。{}",
                                t.label(),
                                gongkai_domain::application::APPEAL_ROUTES
                            ),
                        },
                        "",
                    )
                }
                _ => continue,
            };
            store
                .add_case_event(id, &ev, Some(note), &cal, today, &who)
                .await?;
        }
        n += 1;
    }
    Ok(n)
}

/// Demo cases are not meant to be looked up by applicants: their secret is a random value
/// nobody knows.
pub fn unusable_secret() -> String {
    gongkai_web::auth::sha256_hex(&gongkai_web::auth::random_token())
}
