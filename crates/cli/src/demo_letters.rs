//! Demo mailboxes and letters: 县长信箱 (with approval and published replies), a 投诉台 on the
//! 信访 periods, a 街道信箱 and the 纪委监委举报 box, with letters in every state — waiting to be
//! taken, handled, awaiting approval, replied and rated, published, reopened, dismissed, overdue
//! and escalated — and a 举报 whose identity only `demo.discipline` can reveal.

use chrono::NaiveDate;
use gongkai_domain::audit::Who;
use gongkai_domain::letters::{self as dl, LimitRule, MailboxKind, Rating, Writer};
use gongkai_domain::seal::SealKey;
use gongkai_store::Store;
use gongkai_store::letters::{LetterAction, MailboxFields, NewLetter};

/// One demo step: a rule's refusal (say, a date whose year's calendar is not loaded) is told
/// and skipped, so the demo never stops the server from starting.
macro_rules! step {
    ($e:expr) => {
        match $e.await {
            Ok(_) => {}
            Err(gongkai_store::StoreError::Invalid(m)) => eprintln!("示例来信：跳过一步（{m}）"),
            Err(e) => return Err(e.into()),
        }
    };
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

struct Demo {
    subject: &'static str,
    content: &'static str,
    writer: (&'static str, &'static str),
    received: &'static str,
    consent: bool,
    /// (step, date): take, reply:<text>, approve, rate:<rating>, publish, reopen, dismiss.
    steps: &'static [(&'static str, &'static str)],
}

const MAYOR: &[Demo] = &[
    Demo {
        subject: "建议在城关小学门口增设人行横道和信号灯",
        content: "每天上下学时段车辆很多，孩子过马路很危险，建议在学校门口增设人行横道和信号灯，并安排交警疏导。联系电话13812345678。",
        writer: ("王建华", "13812345678"),
        received: "2026-03-02",
        consent: true,
        steps: &[
            ("take", "2026-03-03"),
            (
                "reply:您反映的情况已转县公安局交警大队和县住建局现场查看。学校门口人行横道已于3月20日施划完成，信号灯纳入今年城区交通设施改造计划，预计6月底前安装。感谢您的建议。",
                "2026-03-20",
            ),
            ("approve", "2026-03-21"),
            ("rate:satisfied", "2026-03-23"),
            ("publish", "2026-03-24"),
        ],
    },
    Demo {
        subject: "咨询城乡居民医保缴费截止时间",
        content: "请问2027年度城乡居民基本医疗保险的缴费截止时间是哪天？可以在手机上缴纳吗？",
        writer: ("刘梅", "13900001111"),
        received: "2026-04-07",
        consent: true,
        steps: &[
            ("take", "2026-04-07"),
            (
                "reply:2027年度城乡居民医保集中缴费期为2026年9月1日至12月31日，可通过税务部门的手机缴费渠道或到乡镇（街道）便民服务中心缴纳。",
                "2026-04-10",
            ),
            ("approve", "2026-04-10"),
            ("rate:satisfied", "2026-04-12"),
            ("publish", "2026-04-13"),
        ],
    },
    Demo {
        subject: "反映柳河乡至县城班车班次太少",
        content: "柳河乡到县城的班车每天只有两班，群众看病上学很不方便，希望增加班次。",
        writer: ("陈志远", "13700002222"),
        received: "2026-05-06",
        consent: false,
        steps: &[
            ("take", "2026-05-07"),
            (
                "reply:县交通运输局已协调客运公司自6月1日起每天增加两个班次（上午9:30、下午3:30），欢迎监督。",
                "2026-05-25",
            ),
            ("approve", "2026-05-26"),
            ("rate:fair", "2026-05-30"),
        ],
    },
    Demo {
        subject: "小区旁工地夜间施工噪音扰民",
        content: "南苑小区东侧工地经常晚上十一点后还在施工，噪音很大，影响休息。",
        writer: ("赵红", "13600003333"),
        received: "2026-10-12",
        consent: true,
        steps: &[
            ("take", "2026-10-12"),
            (
                "reply:经县住建局核查，该工地已按规定办理夜间施工许可。我们已要求施工单位22时后停止高噪声作业。",
                "2026-10-20",
            ),
            ("approve", "2026-10-20"),
            ("rate:unsatisfied", "2026-10-22"),
            (
                "reopen:工地晚上仍在使用电锯，问题没有解决，请再次核查。",
                "2026-10-23",
            ),
        ],
    },
    Demo {
        subject: "建议公布县城公共厕所位置",
        content: "外地游客经常找不到公共厕所，建议在政府网站和地图应用上公布县城公厕位置和开放时间。",
        writer: ("孙晓", "13500004444"),
        received: "2026-11-20",
        consent: true,
        steps: &[
            ("take", "2026-11-23"),
            (
                "submit:已转县城管局研究，拟于年底前在本站公布全部公厕位置。",
                "2026-11-27",
            ),
        ],
    },
    Demo {
        subject: "咨询新生儿落户办理材料",
        content: "孩子刚出生，请问办理户口登记需要带哪些材料？在哪里办？",
        writer: ("周颖", "13400005555"),
        received: "2026-11-25",
        consent: false,
        steps: &[("take", "2026-11-26")],
    },
    Demo {
        subject: "反映东门菜市场占道经营",
        content: "东门菜市场外有摊贩长期占道经营，早上车辆无法通行。",
        writer: ("吴刚", "13300006666"),
        received: "2026-11-27",
        consent: true,
        steps: &[],
    },
    Demo {
        subject: "建议延长县图书馆周末开放时间",
        content: "县图书馆周末下午五点就闭馆，学生和上班族希望能延长到晚上八点。",
        writer: ("郑磊", "13200007777"),
        received: "2026-10-09",
        consent: false,
        steps: &[("take", "2026-10-09")],
    },
    Demo {
        subject: "推销广告",
        content: "低价出售各类办公用品，欢迎来电洽谈。",
        writer: ("某公司", "13100008888"),
        received: "2026-06-15",
        consent: false,
        steps: &[(
            "dismiss:内容为商业广告，与政务无关，不予受理。",
            "2026-06-15",
        )],
    },
];

/// Replied and rated letters so that the 县长信箱 has figures (10 letters or more).
const ROUTINE: &[(&str, &str, &str, &str)] = &[
    (
        "2026-01-12",
        "2026-01-20",
        "satisfied",
        "咨询农村危房改造补助申请条件",
    ),
    (
        "2026-02-02",
        "2026-02-10",
        "satisfied",
        "咨询城乡低保申请流程",
    ),
    ("2026-02-16", "2026-03-09", "fair", "反映村道路灯损坏"),
    (
        "2026-03-16",
        "2026-03-27",
        "satisfied",
        "建议增加城区公共自行车站点",
    ),
    (
        "2026-06-08",
        "2026-07-10",
        "unsatisfied",
        "反映自来水水压不足",
    ),
    (
        "2026-07-06",
        "2026-07-14",
        "satisfied",
        "咨询高龄津贴发放时间",
    ),
    ("2026-08-03", "2026-08-12", "fair", "反映河道垃圾清理不及时"),
];

/// Create the demo mailboxes and letters once; returns how many letters were created.
pub async fn seed(store: &Store, seal: &SealKey, report_key: &SealKey) -> anyhow::Result<usize> {
    if !store.list_mailboxes(false).await?.is_empty() {
        return Ok(0);
    }
    let bodies = store.list_bodies().await?;
    let find = |part: &str| bodies.iter().find(|b| b.name.contains(part)).map(|b| b.id);
    let (Some(office), Some(jw), Some(street)) = (
        find("人民政府办公室"),
        find("纪律检查"),
        find("城关街道办事处"),
    ) else {
        return Ok(0);
    };
    let sys = Who::system();
    let mailbox =
        |name: &str, kind, rule, anonymous, publish, approval, intro: &str| MailboxFields {
            name: name.into(),
            kind,
            rule,
            anonymous_allowed: anonymous,
            publish_allowed: publish,
            approval_required: approval,
            intro: intro.into(),
            active: true,
        };
    let mayor = store
        .create_mailbox(
            office,
            &mailbox(
                "县长信箱",
                MailboxKind::Suggest,
                LimitRule::default(),
                false,
                true,
                true,
                "欢迎对全县经济社会发展和政府工作提出意见建议。来信由县政府办公室受理，15个工作日内答复。",
            ),
            &sys,
        )
        .await?;
    let complaints = store
        .create_mailbox(
            office,
            &mailbox(
                "投诉台",
                MailboxKind::Complaint,
                LimitRule::xinfang(),
                false,
                false,
                false,
                "投诉事项按《信访工作条例》办理：15日内告知是否受理，60日内办结。",
            ),
            &sys,
        )
        .await?;
    store
        .create_mailbox(
            street,
            &mailbox(
                "街道主任信箱",
                MailboxKind::Consult,
                LimitRule::default(),
                true,
                true,
                false,
                "城关街道辖区居民的咨询和建议。",
            ),
            &sys,
        )
        .await?;
    let report = store
        .create_mailbox(
            jw,
            &mailbox(
                "纪委监委举报",
                MailboxKind::Report,
                LimitRule::xinfang(),
                true,
                false,
                false,
                "受理对党员、监察对象违纪违法问题的检举控告。举报人身份和附件加密保存。",
            ),
            &sys,
        )
        .await?;
    let cal = store.load_calendar().await?;
    let handler = store.find_user("demo.letters").await?;
    let approver = store.find_user("demo.approver").await?;
    let disc = store.find_user("demo.discipline").await?;
    let who_of = |u: &Option<gongkai_store::users::User>| match u {
        Some(u) => Who {
            user_id: Some(u.id),
            name: u.username.clone(),
            ip: "demo".into(),
        },
        None => Who::system(),
    };
    let actor_of =
        |u: &Option<gongkai_store::users::User>| u.as_ref().map(|u| (u.id, u.display_name.clone()));
    let writer_who = Who {
        user_id: None,
        name: "writer".into(),
        ip: "demo".into(),
    };
    let today = gongkai_web::handlers::admin::today();
    let mut n = 0;
    let new_letter = |mailbox_id: i64,
                      subject: &str,
                      content: &str,
                      w: Writer,
                      received: NaiveDate,
                      consent: bool| {
        let json = serde_json::to_string(&w).unwrap_or_default();
        NewLetter {
            mailbox_id,
            subject: subject.into(),
            content: content.into(),
            anonymous: false,
            writer_tag: seal.tag(&format!("contact:{}", w.phone)),
            writer_name: w.name.clone(),
            writer_sealed: seal.seal(&json),
            envelope: None,
            consent_publish: consent,
            received_on: received,
            // Demo letters are tracked by staff only: a secret nobody holds.
            secret_hash: gongkai_web::auth::sha256_hex(&gongkai_web::auth::random_token()),
            files: vec![],
        }
    };
    let mut all: Vec<(i64, &Demo)> = Vec::new();
    for (i, (recv, replied, rating, subject)) in ROUTINE.iter().enumerate() {
        let demo = Demo {
            subject,
            content: "",
            writer: ("", ""),
            received: recv,
            consent: false,
            steps: &[],
        };
        let w = Writer {
            name: format!("来信人{}", i + 1),
            phone: format!("1380000{:04}", i + 10),
            ..Default::default()
        };
        let (id, _) = store
            .create_letter(
                &new_letter(
                    mayor,
                    demo.subject,
                    &format!("{}，请予答复。", demo.subject),
                    w,
                    d(recv),
                    false,
                ),
                &cal,
                &writer_who,
            )
            .await?;
        n += 1;
        let h = actor_of(&handler);
        let hw = who_of(&handler);
        step!(store.letter_action(
            id,
            &LetterAction::Take,
            &cal,
            d(recv),
            h.as_ref().map(|(i, s)| (*i, s.as_str())),
            &hw,
        ));
        step!(store.letter_action(
            id,
            &LetterAction::Reply {
                text: format!(
                    "关于“{}”，已由相关部门办理，具体情况已电话告知。",
                    demo.subject
                ),
            },
            &cal,
            d(replied),
            h.as_ref().map(|(i, s)| (*i, s.as_str())),
            &hw,
        ));
        let a = actor_of(&approver);
        step!(store.letter_action(
            id,
            &LetterAction::Approve,
            &cal,
            d(replied),
            a.as_ref().map(|(i, s)| (*i, s.as_str())),
            &who_of(&approver),
        ));
        if let Some(r) = Rating::parse(rating) {
            step!(store.letter_action(
                id,
                &LetterAction::Rate { rating: r },
                &cal,
                d(replied),
                None,
                &writer_who,
            ));
        }
    }
    for demo in MAYOR {
        let received = d(demo.received);
        if received > today {
            continue;
        }
        let w = Writer {
            name: demo.writer.0.into(),
            phone: demo.writer.1.into(),
            ..Default::default()
        };
        let (id, _) = store
            .create_letter(
                &new_letter(mayor, demo.subject, demo.content, w, received, demo.consent),
                &cal,
                &writer_who,
            )
            .await?;
        n += 1;
        all.push((id, demo));
    }
    for (id, demo) in all {
        for (step, on) in demo.steps {
            let on = d(on);
            if on > today {
                break;
            }
            let h = actor_of(&handler);
            let ha = h.as_ref().map(|(i, s)| (*i, s.as_str()));
            let a = actor_of(&approver);
            let aa = a.as_ref().map(|(i, s)| (*i, s.as_str()));
            let (kind, arg) = step.split_once(':').unwrap_or((step, ""));
            match kind {
                "take" => {
                    step!(store.letter_action(
                        id,
                        &LetterAction::Take,
                        &cal,
                        on,
                        ha,
                        &who_of(&handler)
                    ));
                }
                "reply" | "submit" => {
                    step!(store.letter_action(
                        id,
                        &LetterAction::Reply { text: arg.into() },
                        &cal,
                        on,
                        ha,
                        &who_of(&handler),
                    ));
                }
                "approve" => {
                    step!(store.letter_action(
                        id,
                        &LetterAction::Approve,
                        &cal,
                        on,
                        aa,
                        &who_of(&approver)
                    ));
                }
                "rate" => {
                    if let Some(r) = Rating::parse(arg) {
                        step!(store.letter_action(
                            id,
                            &LetterAction::Rate { rating: r },
                            &cal,
                            on,
                            None,
                            &writer_who,
                        ));
                    }
                }
                "reopen" => {
                    step!(store.letter_action(
                        id,
                        &LetterAction::Reopen { reason: arg.into() },
                        &cal,
                        on,
                        None,
                        &writer_who,
                    ));
                }
                "dismiss" => {
                    step!(store.letter_action(
                        id,
                        &LetterAction::Dismiss { reason: arg.into() },
                        &cal,
                        on,
                        ha,
                        &who_of(&handler),
                    ));
                }
                "publish" => {
                    let l = store.get_letter(id).await?;
                    let masked =
                        |s: &str| gongkai_domain::screening::mask_all(s, &Default::default()).0;
                    step!(store.publish_letter(
                        id,
                        &masked(&l.subject),
                        &masked(&l.content),
                        &masked(&l.reply_text),
                        on,
                        &who_of(&handler),
                    ));
                }
                _ => {}
            }
        }
    }
    // A complaint on the 信访 periods, taken and extended.
    let (cid, _) = store
        .create_letter(
            &new_letter(
                complaints,
                "投诉某单位拖欠农民工工资",
                "我们在县城某工地干了四个月，老板至今拖欠工资三万余元，多次讨要未果，请求帮助解决。",
                Writer {
                    name: "何大勇".into(),
                    phone: "13012345678".into(),
                    ..Default::default()
                },
                d("2026-09-10"),
                false,
            ),
            &cal,
            &writer_who,
        )
        .await?;
    n += 1;
    let h = actor_of(&handler);
    let ha = h.as_ref().map(|(i, s)| (*i, s.as_str()));
    step!(store.letter_action(
        cid,
        &LetterAction::Take,
        &cal,
        d("2026-09-11"),
        ha,
        &who_of(&handler),
    ));
    step!(store.letter_action(
        cid,
        &LetterAction::Extend {
            days: 30,
            reason: "涉及多家单位，需人社、住建部门联合调查".into(),
        },
        &cal,
        d("2026-11-02"),
        ha,
        &who_of(&handler),
    ));
    // A 举报: identity and contact in the envelope; only 纪检监督 can reveal them.
    let (letter_key, env) = dl::new_envelope(report_key);
    let w = Writer {
        name: "李卫东".into(),
        phone: "13987654321".into(),
        address: "示例县青山镇青山村3组".into(),
        ..Default::default()
    };
    let (rid, _) = store
        .create_letter(
            &NewLetter {
                mailbox_id: report,
                subject: "举报某村干部优亲厚友、违规发放低保".into(),
                content: "青山村有村干部将不符合条件的亲属纳入低保，真正困难的群众却没有享受，请纪委调查。".into(),
                anonymous: false,
                writer_name: String::new(),
                writer_sealed: letter_key.seal(&serde_json::to_string(&w).unwrap_or_default()),
                writer_tag: report_key.tag("contact:13987654321"),
                envelope: Some(env),
                consent_publish: false,
                received_on: d("2026-11-18"),
                secret_hash: gongkai_web::auth::sha256_hex(&gongkai_web::auth::random_token()),
                files: vec![],
            },
            &cal,
            &writer_who,
        )
        .await?;
    n += 1;
    let dd = actor_of(&disc);
    step!(store.letter_action(
        rid,
        &LetterAction::Take,
        &cal,
        d("2026-11-19"),
        dd.as_ref().map(|(i, s)| (*i, s.as_str())),
        &who_of(&disc),
    ));
    store.escalate_overdue(today).await?;
    Ok(n)
}
