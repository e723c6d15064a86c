//! The formal notices of an application case (登记回执, 补正告知书, 征求意见书, 延期告知书,
//! 收费通知书, and one 答复告知书 per reply type) as editable text templates.
//!
//! A template is plain text: each non-empty line is a paragraph, and `{名称}` is a placeholder
//! replaced by the case's value. `{{` and `}}` stand for literal braces. Substitution is one pass
//! over the template: a value is inserted as plain text and never scanned again, so nothing a
//! user typed (in the template or in the case) can introduce a placeholder, markup or code.
//! A name that is not a placeholder of the notice kind is refused when the template is saved.
//!
//! What a body cannot remove is not part of the template: the title, the case number, the
//! addressee, the signature and date, and on every 答复告知书 the appeal routes
//! ([`crate::application::APPEAL_ROUTES`]).

use std::collections::BTreeMap;

use crate::application::ReplyType;

/// Longest template accepted, in characters.
pub const MAX_TEMPLATE_CHARS: usize = 10_000;

/// A placeholder: its name (as written between braces) and what it stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placeholder {
    pub name: &'static str,
    pub meaning: &'static str,
}

const fn ph(name: &'static str, meaning: &'static str) -> Placeholder {
    Placeholder { name, meaning }
}

/// Placeholders every notice has.
const COMMON: &[Placeholder] = &[
    ph("机关名称", "作出文书的机关名称"),
    ph("申请编号", "申请的编号"),
    ph("申请人", "申请人姓名或名称"),
    ph("所需信息", "申请人描述的所需政府信息"),
    ph("提交日期", "申请人提交申请的日期"),
    ph("收到日期", "本机关收到申请的日期（条例第三十一条）"),
    ph("答复期限", "当前的答复截止日期"),
    ph("文书日期", "文书落款日期"),
    ph("法律依据", "本文书依据的法律条款"),
];

const RECEIPT: &[Placeholder] = &[ph("期限说明", "答复期限的计算过程")];
const CORRECTION: &[Placeholder] = &[ph("补正要求", "需要补正的内容（办理人登记补正通知时填写）")];
const CONSULTATION: &[Placeholder] = &[ph("征求意见事项", "征求意见的内容（办理人登记时填写）")];
const EXTENSION: &[Placeholder] = &[
    ph("延期天数", "延长的工作日数"),
    ph("延期理由", "延期的理由"),
];
const FEE: &[Placeholder] = &[
    ph("收费金额", "应缴金额，如“100元”"),
    ph("计费方式", "按件或按页计收及其数量"),
    ph("标准金额", "按国办函〔2020〕109号标准计算的金额"),
    ph("调整理由", "金额与标准不同时的理由（无调整时为空）"),
    ph("缴费期限", "缴费截止日期"),
];
const REPLY: &[Placeholder] = &[
    ph("答复类型", "答复类型，如“予以公开”"),
    ph("答复内容", "办理人填写的答复内容"),
    ph("答复日期", "作出答复的日期"),
];

/// A kind of notice whose text a body may edit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeKind {
    /// `receipt`, `correction`, `consultation`, `extension`, `fee`, or `reply.{reply type}`.
    pub key: String,
    /// The document's title.
    pub title: &'static str,
    /// What it is, for the list (e.g. the reply type).
    pub label: String,
}

pub const RECEIPT_TITLE: &str = "政府信息公开申请登记回执";
pub const CORRECTION_TITLE: &str = "政府信息公开申请补正告知书";
pub const CONSULTATION_TITLE: &str = "政府信息公开征求意见书";
pub const EXTENSION_TITLE: &str = "政府信息公开申请延期答复告知书";
pub const FEE_TITLE: &str = "政府信息公开信息处理费收费通知书";
pub const REPLY_TITLE: &str = "政府信息公开申请答复告知书";

/// The documents a case can have, by key, with their titles. The reply's text is the template
/// of the case's reply type ([`reply_key`]).
pub const DOCUMENTS: &[(&str, &str)] = &[
    ("receipt", RECEIPT_TITLE),
    ("correction", CORRECTION_TITLE),
    ("consultation", CONSULTATION_TITLE),
    ("extension", EXTENSION_TITLE),
    ("fee", FEE_TITLE),
    ("reply", REPLY_TITLE),
];

/// The title of a document key.
pub fn document_title(key: &str) -> Option<&'static str> {
    DOCUMENTS.iter().find(|(k, _)| *k == key).map(|(_, t)| *t)
}

/// Every editable kind, in the order shown to administrators.
pub fn kinds() -> Vec<NoticeKind> {
    let mut v = vec![
        NoticeKind {
            key: "receipt".into(),
            title: RECEIPT_TITLE,
            label: "登记回执".into(),
        },
        NoticeKind {
            key: "correction".into(),
            title: CORRECTION_TITLE,
            label: "补正告知书".into(),
        },
        NoticeKind {
            key: "consultation".into(),
            title: CONSULTATION_TITLE,
            label: "征求意见书（致第三方）".into(),
        },
        NoticeKind {
            key: "extension".into(),
            title: EXTENSION_TITLE,
            label: "延期答复告知书".into(),
        },
        NoticeKind {
            key: "fee".into(),
            title: FEE_TITLE,
            label: "收费通知书".into(),
        },
    ];
    for t in ReplyType::ALL.iter().copied() {
        v.push(NoticeKind {
            key: reply_key(t),
            title: REPLY_TITLE,
            label: format!("答复告知书：{}", t.label()),
        });
    }
    v
}

/// The template key of the reply notice for a reply type.
pub fn reply_key(t: ReplyType) -> String {
    format!("reply.{}", t.as_str())
}

/// The kind named by `key`, if there is one.
pub fn kind(key: &str) -> Option<NoticeKind> {
    kinds().into_iter().find(|k| k.key == key)
}

/// The placeholders a kind's template may use.
pub fn placeholders(key: &str) -> Vec<Placeholder> {
    let own: &[Placeholder] = match key {
        "receipt" => RECEIPT,
        "correction" => CORRECTION,
        "consultation" => CONSULTATION,
        "extension" => EXTENSION,
        "fee" => FEE,
        k if k.starts_with("reply.") => REPLY,
        _ => &[],
    };
    COMMON
        .iter()
        .chain(own)
        .copied()
        // The consulted third party is not told who applied (the applicant's personal data).
        .filter(|p| !(key == "consultation" && p.name == "申请人"))
        .collect()
}

/// The built-in text of a kind (the text of every body that has not written its own).
pub fn default_text(key: &str) -> Option<String> {
    let lead = "本机关于{收到日期}收到您提出的政府信息公开申请（申请编号：{申请编号}，所需信息：{所需信息}）。";
    let basis = "依据：{法律依据}。";
    let text = match key {
        "receipt" => format!(
            "{lead}经审查，已予登记。\n\
             本机关将在收到申请之日起20个工作日内（{{答复期限}}前）予以答复；如需延长答复期限，将另行告知。期限计算如下：{{期限说明}}\n\
             您可凭申请编号和查询密码在本网站“申请办理进度查询”中查看办理情况。\n{basis}"
        ),
        "correction" => format!(
            "{lead}经审查，您的申请内容不够明确，请按以下要求补正：{{补正要求}}\n\
             请您在收到本告知书之日起15个工作日内提交补正材料。答复期限自本机关收到补正后的申请之日起重新计算；无正当理由逾期不补正的，视为放弃申请，本机关不再处理该申请。\n{basis}"
        ),
        "consultation" => format!(
            "本机关收到申请人提出的政府信息公开申请（申请编号：{{申请编号}}），所申请的信息可能涉及您的合法权益。\n\
             现书面征求您的意见：{{征求意见事项}}\n\
             请您自收到本意见书之日起15个工作日内提出意见。逾期未提出意见的，由本机关依照《中华人民共和国政府信息公开条例》的规定决定是否公开。\n{basis}"
        ),
        "extension" => format!(
            "{lead}因{{延期理由}}，经本机关负责人同意，答复期限延长{{延期天数}}个工作日，延长后的答复期限为{{答复期限}}。\n{basis}"
        ),
        "fee" => format!(
            "{lead}您提出的政府信息公开申请数量、频次明显超过合理范围，本机关依法收取信息处理费。\n\
             计费方式：{{计费方式}}；应缴金额：{{收费金额}}。\n\
             请您于{{缴费期限}}前缴纳费用，缴费时请保存缴费票据。逾期未缴纳的，视为放弃申请，本机关不再处理该申请。等待缴费期间不计入答复期限。\n{basis}"
        ),
        k => {
            let t = ReplyType::parse(k.strip_prefix("reply.")?)?;
            let finding = reply_finding(t);
            format!("{lead}\n经审查，{finding}\n{{答复内容}}\n{basis}")
        }
    };
    Some(text)
}

/// The built-in sentence that states the decision of a reply type.
fn reply_finding(t: ReplyType) -> &'static str {
    use ReplyType::*;
    match t {
        AlreadyPublic => "您申请获取的政府信息已经主动公开，现告知获取方式如下。",
        Disclosed => "您申请获取的政府信息属于公开范围，本机关决定予以公开。",
        Partial => {
            "您申请获取的政府信息中含有不应当公开的内容，本机关作区分处理，对可以公开的部分予以公开。"
        }
        WithheldSecret | WithheldLaw | WithheldSecurity | WithheldThirdParty | WithheldInternal
        | WithheldProcess | WithheldEnforcement | WithheldQuery => {
            "您申请获取的政府信息属于不予公开的范围（{答复类型}），本机关决定不予公开，理由如下。"
        }
        NotHeld => "本机关不掌握您申请获取的政府信息。",
        NotThisBody => "您申请获取的政府信息不属于本机关负责公开，现告知如下。",
        NeedsCreation => {
            "您申请获取的政府信息需要本机关对现有政府信息进行加工、分析，本机关不予提供。"
        }
        StillUnclear => "您的申请经补正后内容仍不明确，本机关无法提供。",
        Complaint | Repeat | Publication | Excessive | Reconfirm => {
            "您的申请不属于政府信息公开申请的处理范围（{答复类型}），本机关不予处理。"
        }
        NoCorrection => "您无正当理由逾期未补正，视为放弃申请，本机关不再处理该申请。",
        FeeUnpaid => "您逾期未按收费通知要求缴纳费用，视为放弃申请，本机关不再处理该申请。",
        OtherHandling => "本机关对您的申请处理如下。",
    }
}

/// Why a template is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    #[error("模板不能为空")]
    Empty,
    #[error("模板过长（最多{MAX_TEMPLATE_CHARS}字）")]
    TooLong,
    #[error("未知的占位符“{{{0}}}”：本文书可用的占位符见下表，名称须完全一致")]
    Unknown(String),
    #[error(
        "第{0}行的“{{”没有对应的“}}”。占位符写作“{{申请编号}}”；如需花括号本身，请写“{{{{”或“}}}}”"
    )]
    Unclosed(usize),
    #[error("第{0}行有多余的“}}”。如需花括号本身，请写“}}}}”")]
    Stray(usize),
}

/// One piece of a parsed line.
enum Piece<'a> {
    Text(String),
    Name(&'a str),
}

fn parse_line(line: &str, n: usize) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = line;
    while let Some(c) = rest.chars().next() {
        match c {
            '{' if rest.starts_with("{{") => {
                text.push('{');
                rest = &rest[2..];
            }
            '}' if rest.starts_with("}}") => {
                text.push('}');
                rest = &rest[2..];
            }
            '{' => {
                let end = rest.find('}').ok_or(TemplateError::Unclosed(n))?;
                let name = &rest[1..end];
                if name.contains('{') {
                    return Err(TemplateError::Unclosed(n));
                }
                if !text.is_empty() {
                    out.push(Piece::Text(std::mem::take(&mut text)));
                }
                out.push(Piece::Name(name.trim()));
                rest = &rest[end + 1..];
            }
            '}' => return Err(TemplateError::Stray(n)),
            c => {
                text.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
    }
    if !text.is_empty() {
        out.push(Piece::Text(text));
    }
    Ok(out)
}

/// Check a template of `key` before it is saved: not empty, not too long, braces balanced,
/// and every placeholder one of the kind's.
pub fn check(key: &str, text: &str) -> Result<(), TemplateError> {
    if text.trim().is_empty() {
        return Err(TemplateError::Empty);
    }
    if text.chars().count() > MAX_TEMPLATE_CHARS {
        return Err(TemplateError::TooLong);
    }
    let allowed = placeholders(key);
    for (i, line) in text.lines().enumerate() {
        for p in parse_line(line, i + 1)? {
            if let Piece::Name(n) = p
                && !allowed.iter().any(|a| a.name == n)
            {
                return Err(TemplateError::Unknown(n.to_string()));
            }
        }
    }
    Ok(())
}

/// Fill a template: one paragraph per non-empty line, each placeholder replaced by its value
/// (an absent value is empty). Values are plain text and are not scanned for placeholders.
pub fn fill(
    key: &str,
    text: &str,
    values: &BTreeMap<&str, String>,
) -> Result<Vec<String>, TemplateError> {
    check(key, text)?;
    let mut paragraphs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let mut p = String::new();
        for piece in parse_line(line, i + 1)? {
            match piece {
                Piece::Text(t) => p.push_str(&t),
                Piece::Name(n) => p.push_str(values.get(n).map(String::as_str).unwrap_or("")),
            }
        }
        let p = p.trim().to_string();
        if !p.is_empty() {
            paragraphs.push(p);
        }
    }
    Ok(paragraphs)
}

/// Example values for the preview of a template.
pub fn sample_values(body_name: &str) -> BTreeMap<&'static str, String> {
    let mut v = BTreeMap::new();
    for (k, x) in [
        ("机关名称", body_name),
        ("申请编号", "20251010-123456"),
        ("申请人", "李明"),
        ("所需信息", "2024年城区道路改造工程的招标文件"),
        ("提交日期", "2025年10月10日"),
        ("收到日期", "2025年10月10日"),
        ("答复期限", "2025年11月7日"),
        ("文书日期", "2025年10月13日"),
        ("法律依据", "《中华人民共和国政府信息公开条例》第三十条"),
        (
            "期限说明",
            "2025-10-10 收到申请（当日不计入期限，自次日起计算）",
        ),
        ("补正要求", "请说明所需招标文件的项目名称或标段"),
        ("征求意见事项", "是否同意公开贵单位的投标报价"),
        ("延期天数", "15"),
        ("延期理由", "所需信息数量较大，需要调取和审查"),
        ("收费金额", "100元"),
        ("计费方式", "按件计收（本月第12件申请）"),
        ("标准金额", "100元"),
        ("调整理由", ""),
        ("缴费期限", "2025年11月10日"),
        ("答复类型", "予以公开"),
        ("答复内容", "现将招标公告和中标结果公告提供给您。"),
        ("答复日期", "2025年10月20日"),
    ] {
        v.insert(k, x.to_string());
    }
    v
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn every_default_uses_only_its_own_placeholders() {
        for k in kinds() {
            let text = default_text(&k.key).unwrap();
            check(&k.key, &text).unwrap_or_else(|e| panic!("{}: {e}", k.key));
            assert!(text.contains("{法律依据}"), "{}", k.key);
        }
        assert_eq!(kinds().len(), 5 + ReplyType::ALL.len());
        assert!(default_text("nonsense").is_none());
        assert!(default_text("reply.nonsense").is_none());
    }

    #[test]
    fn placeholders_are_replaced_once_as_plain_text() {
        let mut v = BTreeMap::new();
        v.insert("申请人", "{申请编号} #panic(\"x\")".to_string());
        v.insert("申请编号", "20251010-000001".to_string());
        let p = fill(
            "receipt",
            "致{申请人}：\n\n编号{申请编号}，花括号{{原样}}",
            &v,
        )
        .unwrap();
        assert_eq!(
            p,
            vec![
                "致{申请编号} #panic(\"x\")：".to_string(),
                "编号20251010-000001，花括号{原样}".to_string()
            ]
        );
    }

    #[test]
    fn bad_templates_are_refused_with_the_reason() {
        assert_eq!(
            check("receipt", "您好{补正要求}"),
            Err(TemplateError::Unknown("补正要求".into()))
        );
        assert!(check("correction", "您好{补正要求}").is_ok());
        assert_eq!(
            check("consultation", "申请人{申请人}申请公开"),
            Err(TemplateError::Unknown("申请人".into())),
            "a third party is not told who applied"
        );
        assert_eq!(
            check("receipt", "一\n您好{申请编号"),
            Err(TemplateError::Unclosed(2))
        );
        assert_eq!(check("receipt", "您好}"), Err(TemplateError::Stray(1)));
        assert_eq!(check("receipt", "  \n "), Err(TemplateError::Empty));
        assert!(check("receipt", &"字".repeat(MAX_TEMPLATE_CHARS + 1)).is_err());
        let msg = TemplateError::Unknown("申请人姓名".into()).to_string();
        assert!(msg.contains("“{申请人姓名}”"), "{msg}");
    }
}
