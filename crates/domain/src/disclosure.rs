//! Proactive disclosure (主动公开): the vocabulary of items, the review-before-publish workflow
//! with separation of duties, 发文字号 validation, 索引号 patterns, due dates, the default
//! catalogue, and the canonical content that the publication ledger hashes.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::access::{Actor, Permission};
use crate::body::BodyKind;
use crate::calendar::{Calendar, CalendarError};

labelled!(
    /// The public state of an item.
    ItemStatus {
        Unpublished => "unpublished", "未发布",
        Published => "published", "已发布",
        Withdrawn => "withdrawn", "已撤回",
    }
);

labelled!(
    /// The workflow state of one version (先审查、后公开).
    VersionState {
        Draft => "draft", "草稿",
        PendingReview => "pending_review", "待保密审查",
        PendingApproval => "pending_approval", "待审批",
        Scheduled => "scheduled", "待定时发布",
        Published => "published", "已发布",
        Superseded => "superseded", "已被新版本替代",
        Rejected => "rejected", "不予公开",
    }
);

labelled!(
    /// 公开范围.
    Scope {
        Public => "public", "面向社会",
        Internal => "internal", "内部公开",
        Specific => "specific", "特定对象",
    }
);

labelled!(
    /// 有效性.
    Validity {
        Valid => "valid", "有效",
        Expired => "expired", "失效",
        Repealed => "repealed", "废止",
    }
);

labelled!(
    /// 公开方式.
    OpenMethod {
        Proactive => "proactive", "主动公开",
        OnApplication => "on_application", "依申请公开",
    }
);

labelled!(
    /// Whether the item is a 规章 or 行政规范性文件 (counted in the annual report, table 二).
    NormativeKind {
        None => "none", "否",
        Regulation => "regulation", "规章",
        Normative => "normative", "行政规范性文件",
    }
);

labelled!(
    /// The 保密审查 conclusion.
    Conclusion {
        Disclose => "disclose", "可以公开",
        DiscloseRedacted => "disclose_redacted", "区分处理后公开",
        Withhold => "withhold", "不予公开",
    }
);

labelled!(
    /// Legal grounds for not disclosing (条例 第十四条至第十六条).
    WithholdGround {
        StateSecret => "art14_secret", "第十四条：国家秘密",
        LawForbids => "art14_law", "第十四条：法律、行政法规禁止公开",
        Security => "art14_security", "第十四条：危及国家安全、公共安全、经济安全、社会稳定",
        ThirdParty => "art15", "第十五条：商业秘密、个人隐私等第三方合法权益",
        InternalAffairs => "art16_1", "第十六条第一款：内部事务信息",
        Process => "art16_2", "第十六条第二款：过程性信息、行政执法案卷",
    }
);

/// A step of the workflow, as the actor asks for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Submit,
    /// 保密审查 passed with this conclusion (可以公开 or 区分处理后公开).
    ReviewPass(Conclusion),
    /// 保密审查 concluded 不予公开 on this ground: the version ends.
    ReviewWithhold(WithholdGround),
    /// Approve: publish now, or at the scheduled time.
    Approve {
        scheduled: bool,
    },
    /// Send back to the author with a comment.
    Return,
}

impl Step {
    pub fn key(&self) -> &'static str {
        match self {
            Step::Submit => "submit",
            Step::ReviewPass(_) => "review",
            Step::ReviewWithhold(_) => "withhold",
            Step::Approve { scheduled: false } => "approve",
            Step::Approve { scheduled: true } => "schedule",
            Step::Return => "return",
        }
    }

    pub fn label(&self) -> &'static str {
        match self {
            Step::Submit => "提交审查",
            Step::ReviewPass(_) => "保密审查通过",
            Step::ReviewWithhold(_) => "保密审查：不予公开",
            Step::Approve { scheduled: false } => "审批并发布",
            Step::Approve { scheduled: true } => "审批并定时发布",
            Step::Return => "退回修改",
        }
    }
}

/// What the workflow needs to know about a version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionFacts {
    pub state: VersionState,
    pub author_id: i64,
    pub reviewer_id: Option<i64>,
    /// Screening findings neither masked nor accepted.
    pub open_findings: usize,
}

/// Why a step is refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("您没有在该机关办理此步骤的权限")]
    NotPermitted,
    #[error("作者不能审查或审批自己撰写的信息")]
    OwnItem,
    #[error("保密审查人与审批人不能为同一人（本机关未允许一人兼任）")]
    SameReviewerApprover,
    #[error("该信息当前状态为“{0}”，不能执行此操作（可能已由他人处理）")]
    WrongState(&'static str),
    #[error("还有{0}处筛查发现未处理（遮盖或说明理由后方可发布）")]
    OpenFindings(usize),
}

/// The one rule for every workflow step: permission on the body, separation of duties, and the
/// state machine. Returns the version's next state.
pub fn transition(
    actor: &Actor,
    body_path: &str,
    facts: &VersionFacts,
    step: &Step,
    allow_same_reviewer_approver: bool,
) -> Result<VersionState, WorkflowError> {
    use VersionState::*;
    let need = |p: Permission| {
        if actor.can(p, body_path) {
            Ok(())
        } else {
            Err(WorkflowError::NotPermitted)
        }
    };
    let not_author = || {
        if facts.author_id == actor.user_id {
            Err(WorkflowError::OwnItem)
        } else {
            Ok(())
        }
    };
    let state = |expected: VersionState| {
        if facts.state == expected {
            Ok(())
        } else {
            Err(WorkflowError::WrongState(facts.state.label()))
        }
    };
    match step {
        Step::Submit => {
            need(Permission::EditItems)?;
            state(Draft)?;
            Ok(PendingReview)
        }
        Step::ReviewPass(c) => {
            need(Permission::ReviewItems)?;
            not_author()?;
            state(PendingReview)?;
            if *c == Conclusion::Withhold {
                return Err(WorkflowError::WrongState(facts.state.label()));
            }
            Ok(PendingApproval)
        }
        Step::ReviewWithhold(_) => {
            need(Permission::ReviewItems)?;
            not_author()?;
            state(PendingReview)?;
            Ok(Rejected)
        }
        Step::Approve { scheduled } => {
            need(Permission::ApproveItems)?;
            not_author()?;
            state(PendingApproval)?;
            if !allow_same_reviewer_approver && facts.reviewer_id == Some(actor.user_id) {
                return Err(WorkflowError::SameReviewerApprover);
            }
            if facts.open_findings > 0 {
                return Err(WorkflowError::OpenFindings(facts.open_findings));
            }
            Ok(if *scheduled { Scheduled } else { Published })
        }
        Step::Return => match facts.state {
            PendingReview => {
                need(Permission::ReviewItems)?;
                not_author()?;
                Ok(Draft)
            }
            PendingApproval => {
                need(Permission::ApproveItems)?;
                not_author()?;
                Ok(Draft)
            }
            s => Err(WorkflowError::WrongState(s.label())),
        },
    }
}

/// Normalise and validate a 发文字号 such as `示府发〔2025〕3号`. Brackets typed as `[2025]`,
/// `(2025)`, `（2025）`, `【2025】` or `〔2025〕` are normalised to 〔〕. Empty means none.
pub fn normalise_doc_no(s: &str, this_year: i32) -> Result<String, String> {
    let s: String = s.split_whitespace().collect();
    if s.is_empty() {
        return Ok(s);
    }
    let open = ['〔', '[', '(', '（', '【', '［', '﹝'];
    let close = ['〕', ']', ')', '）', '】', '］', '﹞'];
    let Some(o) = s.find(|c| open.contains(&c)) else {
        return Err("发文字号格式应为“机关代字〔年份〕序号号”，如“示府发〔2025〕3号”".into());
    };
    let prefix = &s[..o];
    let rest = &s[o..];
    let mut chars = rest.chars();
    chars.next();
    let after_open = chars.as_str();
    let Some(c) = after_open.find(|c| close.contains(&c)) else {
        return Err("发文字号缺少年份的后括号“〕”".into());
    };
    let year_s = &after_open[..c];
    let mut tail_chars = after_open[c..].chars();
    tail_chars.next();
    let tail = tail_chars.as_str();
    if prefix.chars().count() < 2 || !prefix.chars().all(|ch| ch.is_alphabetic()) {
        return Err("发文字号的机关代字应为文字，如“示府发”".into());
    }
    let year: i32 = year_s
        .parse()
        .map_err(|_| "发文字号的年份应为四位数字".to_string())?;
    if year_s.len() != 4 || !(1949..=this_year + 1).contains(&year) {
        return Err(format!("发文字号的年份“{year_s}”无效"));
    }
    let Some(num_s) = tail.strip_suffix('号') else {
        return Err("发文字号应以“号”结尾".into());
    };
    if num_s.is_empty()
        || !num_s.chars().all(|c| c.is_ascii_digit())
        || num_s.starts_with('0')
        || num_s.len() > 5
    {
        return Err("发文字号的序号应为不以0开头的数字，如“3号”".into());
    }
    Ok(format!("{prefix}〔{year}〕{num_s}号"))
}

/// The default 索引号 pattern.
pub const DEFAULT_INDEX_PATTERN: &str = "{code}/{YYYY}-{NNNNN}";

/// Render a 索引号 from a pattern: `{code}` the 9-character organisation code, `{uscc}` the full
/// code as stored, `{YYYY}` the year, `{NNNNN}` / `{NNNNNN}` the serial with 5 or 6 digits.
pub fn format_index_no(
    pattern: &str,
    org_code: &str,
    year: i32,
    serial: i64,
) -> Result<String, String> {
    if !(pattern.contains("{NNNNN}") || pattern.contains("{NNNNNN}")) {
        return Err("索引号规则必须包含序号占位符 {NNNNN} 或 {NNNNNN}".into());
    }
    let code9 = if org_code.len() == 18 {
        &org_code[8..17]
    } else {
        org_code
    };
    Ok(pattern
        .replace("{code}", code9)
        .replace("{uscc}", org_code)
        .replace("{YYYY}", &format!("{year:04}"))
        .replace("{NNNNNN}", &format!("{serial:06}"))
        .replace("{NNNNN}", &format!("{serial:05}")))
}

/// 条例第二十六条: published within 20 working days of the information being formed or changed.
pub const DEFAULT_DUE_WORKING_DAYS: u32 = 20;

/// The day an item is due: formed + N working days (the day formed not counted).
pub fn due_on(
    cal: &Calendar,
    formed_on: NaiveDate,
    working_days: Option<u32>,
) -> Result<NaiveDate, CalendarError> {
    cal.add_working_days(formed_on, working_days.unwrap_or(DEFAULT_DUE_WORKING_DAYS))
}

/// Parse the working days from a 标准目录 公开时限 text such as "信息形成（或变更）之日起20个工作日内".
pub fn parse_time_limit_days(text: &str) -> Option<u32> {
    let idx = text.find("个工作日")?;
    let digits: String = text[..idx]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok().filter(|d| *d > 0 && *d <= 365)
}

/// The published content that the ledger hashes: every field a reader sees, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishedContent {
    pub index_no: String,
    pub title: String,
    pub doc_no: String,
    pub written_on: String,
    pub subject: String,
    pub keywords: String,
    pub summary: String,
    pub body_md: String,
    /// SHA-256 (hex) of each attachment, in display order.
    pub attachments: Vec<String>,
}

impl PublishedContent {
    /// SHA-256 of the canonical JSON (serde_json writes struct fields in declaration order).
    pub fn hash(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        hex::encode(Sha256::digest(&json))
    }
}

/// 主题分类 (the State Council's subject classification of government documents).
pub const SUBJECTS: &[&str] = &[
    "综合政务",
    "国民经济管理、国有资产监管",
    "财政、金融、审计",
    "国土资源、能源",
    "农业、林业、水利",
    "工业、交通",
    "商贸、海关、旅游",
    "市场监管、安全生产监管",
    "城乡建设、环境保护",
    "科技、教育",
    "文化、广电、新闻出版",
    "卫生、体育",
    "人口与计划生育、妇女儿童工作",
    "劳动、人事、监察",
    "公安、安全、司法",
    "民政、扶贫、救灾",
    "民族、宗教",
    "对外事务",
    "港澳台侨工作",
    "国防",
    "其他",
];

/// An item form as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ItemInput {
    pub title: String,
    pub doc_no: String,
    pub written_on: String,
    pub formed_on: String,
    pub subject: String,
    pub keywords: String,
    pub summary: String,
    pub body_md: String,
    pub scope: String,
    pub open_method: String,
    pub normative_kind: String,
    /// Related items: ids, separated by commas or spaces.
    pub related: String,
}

/// The fields of a version after validation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemFields {
    pub title: String,
    pub doc_no: String,
    pub written_on: Option<NaiveDate>,
    pub formed_on: NaiveDate,
    pub subject: String,
    pub keywords: String,
    pub summary: String,
    pub body_md: String,
    pub scope: String,
    pub open_method: String,
    pub normative_kind: String,
    pub related: Vec<i64>,
}

impl ItemInput {
    /// Validate against `today` (China time): dates may not lie in the future.
    pub fn validate(&self, today: NaiveDate) -> Result<ItemFields, crate::body::FieldErrors> {
        let mut errors: crate::body::FieldErrors = Vec::new();
        let title = self.title.trim().to_string();
        if title.is_empty() {
            errors.push(("title", "请填写标题".into()));
        } else if title.chars().count() > 200 {
            errors.push(("title", "标题不能超过200个字".into()));
        }
        let doc_no = match normalise_doc_no(&self.doc_no, today.year()) {
            Ok(d) => d,
            Err(e) => {
                errors.push(("doc_no", e));
                String::new()
            }
        };
        let date = |field: &'static str,
                    label: &str,
                    s: &str,
                    required: bool,
                    errors: &mut crate::body::FieldErrors|
         -> Option<NaiveDate> {
            let s = s.trim();
            if s.is_empty() {
                if required {
                    errors.push((field, format!("请填写{label}")));
                }
                return None;
            }
            match NaiveDate::parse_from_str(s, "%Y-%m-%d") {
                Ok(d) if d > today => {
                    errors.push((field, format!("{label}不能晚于今天")));
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push((field, format!("{label}应为有效日期，格式如2025-03-01")));
                    None
                }
            }
        };
        let written_on = date(
            "written_on",
            "成文日期",
            &self.written_on,
            false,
            &mut errors,
        );
        let formed_on = date(
            "formed_on",
            "信息形成（变更）日期",
            &self.formed_on,
            true,
            &mut errors,
        );
        let subject = self.subject.trim().to_string();
        if !subject.is_empty() && !SUBJECTS.contains(&subject.as_str()) {
            errors.push(("subject", "请从列表中选择主题分类".into()));
        }
        let scope = Scope::parse(if self.scope.is_empty() {
            "public"
        } else {
            &self.scope
        });
        if scope.is_none() {
            errors.push(("scope", "请选择公开范围".into()));
        }
        let open_method = OpenMethod::parse(if self.open_method.is_empty() {
            "proactive"
        } else {
            &self.open_method
        });
        if open_method.is_none() {
            errors.push(("open_method", "请选择公开方式".into()));
        }
        let normative = NormativeKind::parse(if self.normative_kind.is_empty() {
            "none"
        } else {
            &self.normative_kind
        });
        if normative.is_none() {
            errors.push(("normative_kind", "请选择是否为规章或行政规范性文件".into()));
        }
        let mut related = Vec::new();
        for part in self
            .related
            .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        {
            let p = part.trim();
            if p.is_empty() {
                continue;
            }
            match p.parse::<i64>() {
                Ok(id) if id > 0 => related.push(id),
                _ => errors.push((
                    "related",
                    format!("关联信息应填写信息编号（数字），“{p}”无效"),
                )),
            }
        }
        if self.body_md.chars().count() > 500_000 {
            errors.push(("body_md", "正文过长（超过50万字），请改为附件".into()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ItemFields {
            title,
            doc_no,
            written_on,
            formed_on: formed_on.unwrap_or(today),
            subject,
            keywords: self.keywords.trim().to_string(),
            summary: self.summary.trim().to_string(),
            body_md: self.body_md.replace("\r\n", "\n"),
            scope: scope.map(|s| s.as_str()).unwrap_or("public").to_string(),
            open_method: open_method
                .map(|s| s.as_str())
                .unwrap_or("proactive")
                .to_string(),
            normative_kind: normative.map(|s| s.as_str()).unwrap_or("none").to_string(),
            related,
        })
    }
}

impl ItemFields {
    /// The form values of these fields (to edit them again).
    pub fn to_input(&self) -> ItemInput {
        ItemInput {
            title: self.title.clone(),
            doc_no: self.doc_no.clone(),
            written_on: self.written_on.map(|d| d.to_string()).unwrap_or_default(),
            formed_on: self.formed_on.to_string(),
            subject: self.subject.clone(),
            keywords: self.keywords.clone(),
            summary: self.summary.clone(),
            body_md: self.body_md.clone(),
            scope: self.scope.clone(),
            open_method: self.open_method.clone(),
            normative_kind: self.normative_kind.clone(),
            related: self
                .related
                .iter()
                .map(|i| i.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The default category of 政府信息公开工作年度报告 (条例第四十九条).
pub const ANNUAL_REPORT_KEY: &str = "annual_report";

/// A category of the default catalogue: name and children.
pub struct TemplateCategory {
    pub key: &'static str,
    pub name: &'static str,
    pub children: &'static [(&'static str, &'static str)],
}

const ART20: &[(&str, &str)] = &[
    ("art20_1", "规章和规范性文件"),
    (
        "art20_2",
        "机关职能、机构设置、办公地址、办公时间、联系方式、负责人姓名",
    ),
    (
        "art20_3",
        "国民经济和社会发展规划、专项规划、区域规划及相关政策",
    ),
    ("art20_4", "国民经济和社会发展统计信息"),
    ("art20_5", "行政许可"),
    ("art20_6", "行政处罚、行政强制"),
    ("art20_7", "行政事业性收费"),
    ("art20_8", "财政预算、决算信息"),
    ("art20_9", "政府集中采购"),
    ("art20_10", "重大建设项目"),
    ("art20_11", "扶贫、教育、医疗、社会保障、促进就业等政策"),
    ("art20_12", "突发公共事件应急预案、预警信息及应对情况"),
    (
        "art20_13",
        "环境保护、公共卫生、安全生产、食品药品、产品质量监督检查情况",
    ),
    (
        "art20_14",
        "公务员招考的职位、名额、报考条件等事项以及录用结果",
    ),
    ("art20_15", "其他应当主动公开的政府信息"),
];

const ART21: &[(&str, &str)] = &[
    ("art21_1", "城乡建设和管理的重大事项"),
    ("art21_2", "社会公益事业建设情况"),
    (
        "art21_3",
        "土地征收、房屋征收、治安管理、社会救助等方面的政策、措施及其实施情况",
    ),
    (
        "art21_4",
        "抢险救灾、优抚、救济、社会捐助等款物的管理、使用和分配情况",
    ),
    ("art21_5", "农村土地承包经营权流转、宅基地使用情况审核"),
];

const EIGHT: &[(&str, &str)] = &[
    ("eight_1", "目标和计划"),
    ("eight_2", "财务收支"),
    ("eight_3", "国有和集体资产"),
    ("eight_4", "干部选拔任用"),
    ("eight_5", "廉政建设"),
    ("eight_6", "减轻农民负担"),
    ("eight_7", "计划生育"),
    ("eight_8", "办事程序"),
];

/// The default catalogue for a new body: 第二十条 for every body, 第二十一条 for county and
/// township governments (and 街道), 政策解读, 通知公告, 工作动态, and the 八公开 headings.
pub fn default_catalogue(kind: BodyKind) -> Vec<TemplateCategory> {
    let mut v = vec![TemplateCategory {
        key: "art20",
        name: "法定主动公开内容（条例第二十条）",
        children: ART20,
    }];
    if matches!(
        kind,
        BodyKind::Government | BodyKind::Township | BodyKind::Subdistrict
    ) {
        v.push(TemplateCategory {
            key: "art21",
            name: "县级和乡级人民政府重点公开内容（条例第二十一条）",
            children: ART21,
        });
    }
    v.push(TemplateCategory {
        key: "interpretation",
        name: "政策解读",
        children: &[],
    });
    v.push(TemplateCategory {
        key: "notice",
        name: "通知公告",
        children: &[],
    });
    v.push(TemplateCategory {
        key: "news",
        name: "工作动态",
        children: &[],
    });
    v.push(TemplateCategory {
        key: ANNUAL_REPORT_KEY,
        name: "政府信息公开工作年度报告",
        children: &[],
    });
    v.push(TemplateCategory {
        key: "eight",
        name: "八公开",
        children: EIGHT,
    });
    v
}

/// The year of a date, for 索引号 serials.
pub fn year_of(d: NaiveDate) -> i32 {
    d.year()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::access::{Grant, Role};

    fn actor(id: i64, roles: &[Role]) -> Actor {
        Actor {
            user_id: id,
            username: format!("u{id}"),
            display_name: String::new(),
            body_id: 1,
            grants: roles
                .iter()
                .map(|r| Grant {
                    role: *r,
                    body_id: 1,
                    body_path: "/1/".into(),
                })
                .collect(),
        }
    }

    fn facts(state: VersionState) -> VersionFacts {
        VersionFacts {
            state,
            author_id: 1,
            reviewer_id: Some(2),
            open_findings: 0,
        }
    }

    #[test]
    fn the_happy_path() {
        let editor = actor(1, &[Role::Editor]);
        let reviewer = actor(2, &[Role::Reviewer]);
        let approver = actor(3, &[Role::Approver]);
        let p = "/1/5/";
        assert_eq!(
            transition(
                &editor,
                p,
                &facts(VersionState::Draft),
                &Step::Submit,
                false
            ),
            Ok(VersionState::PendingReview)
        );
        assert_eq!(
            transition(
                &reviewer,
                p,
                &facts(VersionState::PendingReview),
                &Step::ReviewPass(Conclusion::Disclose),
                false
            ),
            Ok(VersionState::PendingApproval)
        );
        assert_eq!(
            transition(
                &approver,
                p,
                &facts(VersionState::PendingApproval),
                &Step::Approve { scheduled: false },
                false
            ),
            Ok(VersionState::Published)
        );
        assert_eq!(
            transition(
                &approver,
                p,
                &facts(VersionState::PendingApproval),
                &Step::Approve { scheduled: true },
                false
            ),
            Ok(VersionState::Scheduled)
        );
    }

    #[test]
    fn separation_of_duties() {
        // The author holds every role, and still cannot review or approve their own item.
        let author = actor(1, &[Role::Editor, Role::Reviewer, Role::Approver]);
        let p = "/1/";
        assert_eq!(
            transition(
                &author,
                p,
                &facts(VersionState::PendingReview),
                &Step::ReviewPass(Conclusion::Disclose),
                true
            ),
            Err(WorkflowError::OwnItem)
        );
        assert_eq!(
            transition(
                &author,
                p,
                &facts(VersionState::PendingApproval),
                &Step::Approve { scheduled: false },
                true
            ),
            Err(WorkflowError::OwnItem)
        );
        // The reviewer cannot approve unless the body allows one person for both.
        let both = actor(2, &[Role::Reviewer, Role::Approver]);
        let f = facts(VersionState::PendingApproval);
        assert_eq!(
            transition(&both, p, &f, &Step::Approve { scheduled: false }, false),
            Err(WorkflowError::SameReviewerApprover)
        );
        assert_eq!(
            transition(&both, p, &f, &Step::Approve { scheduled: false }, true),
            Ok(VersionState::Published)
        );
    }

    #[test]
    fn forbidden_transitions() {
        let editor = actor(1, &[Role::Editor]);
        let reviewer = actor(2, &[Role::Reviewer]);
        let approver = actor(3, &[Role::Approver]);
        let supervisor = actor(4, &[Role::Supervisor]);
        let p = "/1/";
        // Wrong role.
        assert_eq!(
            transition(
                &editor,
                p,
                &facts(VersionState::PendingReview),
                &Step::ReviewPass(Conclusion::Disclose),
                false
            ),
            Err(WorkflowError::NotPermitted)
        );
        assert_eq!(
            transition(
                &reviewer,
                p,
                &facts(VersionState::PendingApproval),
                &Step::Approve { scheduled: false },
                false
            ),
            Err(WorkflowError::NotPermitted)
        );
        for step in [
            Step::Submit,
            Step::ReviewPass(Conclusion::Disclose),
            Step::Approve { scheduled: false },
            Step::Return,
        ] {
            for s in VersionState::ALL {
                assert!(
                    transition(&supervisor, p, &facts(*s), &step, true).is_err(),
                    "supervisor {step:?} in {s:?}"
                );
            }
        }
        // Outside the subtree.
        assert_eq!(
            transition(
                &editor,
                "/2/",
                &facts(VersionState::Draft),
                &Step::Submit,
                false
            ),
            Err(WorkflowError::NotPermitted)
        );
        // Wrong state: a second reviewer acting on an item already reviewed.
        assert!(matches!(
            transition(
                &actor(5, &[Role::Reviewer]),
                p,
                &facts(VersionState::PendingApproval),
                &Step::ReviewPass(Conclusion::Disclose),
                false
            ),
            Err(WorkflowError::WrongState(_))
        ));
        assert!(matches!(
            transition(
                &approver,
                p,
                &facts(VersionState::Published),
                &Step::Return,
                false
            ),
            Err(WorkflowError::WrongState(_))
        ));
        // Open findings block publication.
        let mut f = facts(VersionState::PendingApproval);
        f.open_findings = 2;
        assert_eq!(
            transition(&approver, p, &f, &Step::Approve { scheduled: false }, false),
            Err(WorkflowError::OpenFindings(2))
        );
        // 不予公开 ends the version.
        assert_eq!(
            transition(
                &reviewer,
                p,
                &facts(VersionState::PendingReview),
                &Step::ReviewWithhold(WithholdGround::StateSecret),
                false
            ),
            Ok(VersionState::Rejected)
        );
    }

    #[test]
    fn item_input_validation() {
        let today = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let ok = ItemInput {
            title: "关于印发示例县防汛应急预案的通知".into(),
            doc_no: "示府办发[2025]8号".into(),
            formed_on: "2025-05-20".into(),
            subject: "公安、安全、司法".into(),
            related: "3, 7".into(),
            ..Default::default()
        };
        let f = ok.validate(today).unwrap();
        assert_eq!(f.doc_no, "示府办发〔2025〕8号");
        assert_eq!(f.related, vec![3, 7]);
        assert_eq!(f.scope, "public");
        let mut bad = ok.clone();
        bad.title = "  ".into();
        bad.formed_on = "2025-06-02".into();
        bad.written_on = "2025-13-01".into();
        bad.doc_no = "第八号".into();
        bad.subject = "瞎编的分类".into();
        bad.scope = "everyone".into();
        bad.related = "abc".into();
        let errs = bad.validate(today).unwrap_err();
        let fields: Vec<_> = errs.iter().map(|(f, _)| *f).collect();
        for f in [
            "title",
            "formed_on",
            "written_on",
            "doc_no",
            "subject",
            "scope",
            "related",
        ] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
    }

    /// Every role × every step × every state: only the role the step belongs to, on the right
    /// state, may take it (the author never reviews or approves).
    #[test]
    fn every_role_and_step_in_every_state() {
        let steps = [
            Step::Submit,
            Step::ReviewPass(Conclusion::Disclose),
            Step::ReviewWithhold(WithholdGround::StateSecret),
            Step::Approve { scheduled: false },
            Step::Return,
        ];
        for role in Role::ALL {
            let a = actor(9, &[role]);
            for step in &steps {
                for state in VersionState::ALL {
                    let r = transition(&a, "/1/", &facts(*state), step, false);
                    let allowed = matches!(
                        (step, state, role),
                        (Step::Submit, VersionState::Draft, Role::Editor)
                            | (
                                Step::ReviewPass(_) | Step::ReviewWithhold(_),
                                VersionState::PendingReview,
                                Role::Reviewer
                            )
                            | (
                                Step::Approve { .. },
                                VersionState::PendingApproval,
                                Role::Approver
                            )
                            | (Step::Return, VersionState::PendingReview, Role::Reviewer)
                            | (Step::Return, VersionState::PendingApproval, Role::Approver)
                    );
                    assert_eq!(r.is_ok(), allowed, "{role:?} {step:?} in {state:?}: {r:?}");
                }
            }
        }
    }

    #[test]
    fn doc_numbers() {
        assert_eq!(
            normalise_doc_no("示府发〔2025〕3号", 2026).unwrap(),
            "示府发〔2025〕3号"
        );
        assert_eq!(
            normalise_doc_no("示府发[2025]3号", 2026).unwrap(),
            "示府发〔2025〕3号"
        );
        assert_eq!(
            normalise_doc_no(" 示政办发（2024）12号 ", 2026).unwrap(),
            "示政办发〔2024〕12号"
        );
        assert_eq!(normalise_doc_no("", 2026).unwrap(), "");
        for bad in [
            "示府发2025-3号",
            "示府发〔25〕3号",
            "示府发〔2025〕03号",
            "示府发〔2025〕3",
            "〔2025〕3号",
            "示府发〔2099〕3号",
            "示府发〔2025〕号",
        ] {
            assert!(normalise_doc_no(bad, 2026).is_err(), "{bad}");
        }
    }

    #[test]
    fn index_numbers() {
        assert_eq!(
            format_index_no(DEFAULT_INDEX_PATTERN, "000014349", 2017, 110).unwrap(),
            "000014349/2017-00110"
        );
        assert_eq!(
            format_index_no(DEFAULT_INDEX_PATTERN, "11990100DM0000013U", 2025, 7).unwrap(),
            "DM0000013/2025-00007"
        );
        assert_eq!(
            format_index_no("{uscc}-{YYYY}-{NNNNNN}", "11990100DM0000013U", 2025, 7).unwrap(),
            "11990100DM0000013U-2025-000007"
        );
        assert!(format_index_no("{code}/{YYYY}", "000014349", 2017, 1).is_err());
    }

    #[test]
    fn due_dates_and_time_limits() {
        let cal = Calendar::builtin();
        let formed = NaiveDate::from_ymd_opt(2025, 9, 26).unwrap();
        assert_eq!(
            due_on(&cal, formed, None).unwrap(),
            NaiveDate::from_ymd_opt(2025, 10, 30).unwrap()
        );
        assert_eq!(
            parse_time_limit_days("信息形成（或变更）之日起20个工作日内"),
            Some(20)
        );
        assert_eq!(parse_time_limit_days("决定作出之日起7个工作日内"), Some(7));
        assert_eq!(parse_time_limit_days("实时公开"), None);
    }

    #[test]
    fn content_hash_changes_with_any_field() {
        let c = PublishedContent {
            index_no: "X/2025-00001".into(),
            title: "关于做好秋季防火工作的通知".into(),
            doc_no: String::new(),
            written_on: "2025-09-01".into(),
            subject: "安全生产".into(),
            keywords: String::new(),
            summary: String::new(),
            body_md: "正文".into(),
            attachments: vec![],
        };
        let mut d = c.clone();
        d.body_md.push('。');
        assert_ne!(c.hash(), d.hash());
        let mut e = c.clone();
        e.attachments.push("00".into());
        assert_ne!(c.hash(), e.hash());
        assert_eq!(c.hash(), c.clone().hash());
    }

    #[test]
    fn default_catalogue_by_level() {
        let gov = default_catalogue(BodyKind::Government);
        let dept = default_catalogue(BodyKind::Department);
        assert!(gov.iter().any(|c| c.key == "art21"));
        assert!(!dept.iter().any(|c| c.key == "art21"));
        for c in [&gov, &dept] {
            assert!(c.iter().any(|c| c.key == "art20" && c.children.len() == 15));
            assert!(c.iter().any(|c| c.key == "interpretation"));
            assert!(c.iter().any(|c| c.key == "eight" && c.children.len() == 8));
        }
    }
}
