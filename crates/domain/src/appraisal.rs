//! 民主评议 (docs/design/supervision.md, stage 4): surveys of chosen bodies for the public or for
//! appointed 监督员, one answer per person and body, results shown only above a minimum number of
//! answers, free text moderated before it is shown. Pure rules; the store keeps the rows.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::body::FieldErrors;

labelled!(
    /// Who answers a survey.
    Audience {
        Public => "public", "社会公众",
        Supervisors => "supervisors", "特邀监督员",
    }
);

labelled!(
    /// A question's kind.
    QuestionKind {
        Scale => "scale", "评分",
        Text => "text", "文字意见",
    }
);

labelled!(
    SurveyStatus {
        Draft => "draft", "草稿",
        Open => "open", "已发布",
        Closed => "closed", "已结束",
    }
);

labelled!(
    /// The moderation of an answer's free text (the consultation's states).
    TextStatus {
        Empty => "none", "无文字意见",
        Held => "held", "待审核",
        Visible => "visible", "已公开",
        Hidden => "hidden", "未予展示",
    }
);

/// The five points of a scale question, 1 to 5.
pub const SCALE: [&str; 5] = ["很不满意", "不满意", "基本满意", "满意", "很满意"];

/// The most questions a survey has, and the longest texts.
pub const MAX_QUESTIONS: usize = 20;
pub const MAX_QUESTION_CHARS: usize = 200;
pub const MAX_ANSWER_CHARS: usize = 1000;

/// The prefix of a free-text question in the questions field, one question per line.
pub const TEXT_PREFIX: &str = "文字：";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub kind: QuestionKind,
    pub text: String,
}

impl Question {
    pub fn is_scale(&self) -> bool {
        self.kind == QuestionKind::Scale
    }
}

/// The questions as one line each (a free-text one starts with [`TEXT_PREFIX`]).
pub fn questions_text(qs: &[Question]) -> String {
    qs.iter()
        .map(|q| match q.kind {
            QuestionKind::Scale => q.text.clone(),
            QuestionKind::Text => format!("{TEXT_PREFIX}{}", q.text),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Read the questions field: one question per line, blank lines skipped.
pub fn parse_questions(s: &str) -> Result<Vec<Question>, String> {
    let mut out = Vec::new();
    for line in s.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (kind, text) = match line
            .strip_prefix(TEXT_PREFIX)
            .or_else(|| line.strip_prefix("文字:"))
        {
            Some(t) => (QuestionKind::Text, t.trim()),
            None => (QuestionKind::Scale, line),
        };
        if text.is_empty() {
            return Err("“文字：”后面应写明问题".into());
        }
        if text.chars().count() > MAX_QUESTION_CHARS {
            return Err(format!("每个问题不超过{MAX_QUESTION_CHARS}字"));
        }
        out.push(Question {
            kind,
            text: text.to_string(),
        });
    }
    if out.len() > MAX_QUESTIONS {
        return Err(format!("问题不超过{MAX_QUESTIONS}个"));
    }
    Ok(out)
}

/// A survey as its form is filled in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SurveyInput {
    pub title: String,
    pub intro: String,
    pub audience: String,
    pub opens_on: String,
    pub closes_on: String,
    pub min_answers: String,
    pub questions: String,
}

/// A checked survey.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyDraft {
    pub title: String,
    pub intro: String,
    pub audience: Audience,
    pub opens_on: NaiveDate,
    pub closes_on: NaiveDate,
    pub min_answers: i64,
    pub questions: Vec<Question>,
}

fn day(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

impl SurveyInput {
    /// Check every field; each problem is named with its field.
    pub fn validate(&self) -> Result<SurveyDraft, FieldErrors> {
        let mut e: FieldErrors = Vec::new();
        let title = self.title.trim();
        if title.is_empty() || title.chars().count() > 100 {
            e.push(("title", "请填写标题（不超过100字）".into()));
        }
        if self.intro.chars().count() > 2000 {
            e.push(("intro", "说明不超过2000字".into()));
        }
        let audience = Audience::parse(self.audience.trim());
        if audience.is_none() {
            e.push(("audience", "请选择评议对象".into()));
        }
        let opens = day(&self.opens_on);
        let closes = day(&self.closes_on);
        if opens.is_none() {
            e.push(("opens_on", "请按“年-月-日”填写开始日期".into()));
        }
        match (opens, closes) {
            (_, None) => e.push(("closes_on", "请按“年-月-日”填写结束日期".into())),
            (Some(o), Some(c)) if c < o => {
                e.push(("closes_on", "结束日期不能早于开始日期".into()));
            }
            _ => {}
        }
        let min: Option<i64> = self
            .min_answers
            .trim()
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n));
        if min.is_none() {
            e.push(("min_answers", "公布结果的最少份数应为1至10000的整数".into()));
        }
        let questions = match parse_questions(&self.questions) {
            Ok(q) if q.is_empty() => {
                e.push(("questions", "请至少填写一个问题".into()));
                Vec::new()
            }
            Ok(q) => q,
            Err(m) => {
                e.push(("questions", m));
                Vec::new()
            }
        };
        match (audience, opens, closes, min) {
            (Some(audience), Some(opens_on), Some(closes_on), Some(min_answers))
                if e.is_empty() =>
            {
                Ok(SurveyDraft {
                    title: title.to_string(),
                    intro: self.intro.trim().to_string(),
                    audience,
                    opens_on,
                    closes_on,
                    min_answers,
                    questions,
                })
            }
            _ => Err(e),
        }
    }
}

/// Whether a survey may be opened on `today` with `bodies` bodies to appraise.
pub fn may_open(d: &SurveyDraft, bodies: usize, today: NaiveDate) -> Result<(), String> {
    if bodies == 0 {
        return Err("请至少选择一个被评议单位".into());
    }
    if d.closes_on < today {
        return Err("结束日期已过，请修改评议期限后再发布".into());
    }
    if d.questions.is_empty() {
        return Err("请至少填写一个问题".into());
    }
    Ok(())
}

/// Whether answers are taken on `today`, or why not, in words.
pub fn accepting(
    status: SurveyStatus,
    opens_on: NaiveDate,
    closes_on: NaiveDate,
    today: NaiveDate,
) -> Result<(), String> {
    match status {
        SurveyStatus::Draft => Err("评议尚未发布".into()),
        SurveyStatus::Closed => Err("评议已结束，不再接受评议".into()),
        SurveyStatus::Open if today < opens_on => Err(format!("评议将于{opens_on}开始")),
        SurveyStatus::Open if today > closes_on => {
            Err(format!("评议已于{closes_on}结束，不再接受评议"))
        }
        SurveyStatus::Open => Ok(()),
    }
}

/// A checked answer: the body, a point per question (None for a text question) and the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidAnswer {
    pub body_id: i64,
    pub scores: Vec<Option<u8>>,
    pub text: String,
}

/// Check an answer form: `body` one of `bodies`, `q{i}` a point 1–5 for every scale question,
/// the free-text questions' answers (`q{i}`) joined into the text.
pub fn validate_answer(
    questions: &[Question],
    bodies: &[i64],
    field: impl Fn(&str) -> String,
) -> Result<ValidAnswer, FieldErrors> {
    let mut e: FieldErrors = Vec::new();
    let body_id: i64 = field("body").trim().parse().unwrap_or(0);
    if !bodies.contains(&body_id) {
        e.push(("body", "请选择被评议单位".into()));
    }
    let mut scores = Vec::new();
    let mut texts = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let v = field(&format!("q{i}"));
        match q.kind {
            QuestionKind::Scale => {
                match v.trim().parse::<u8>().ok().filter(|p| (1..=5).contains(p)) {
                    Some(p) => scores.push(Some(p)),
                    None => {
                        e.push(("questions", format!("请为第{}题“{}”评分", i + 1, q.text)));
                        scores.push(None);
                    }
                }
            }
            QuestionKind::Text => {
                scores.push(None);
                let t = v.trim();
                if !t.is_empty() {
                    texts.push(if questions.iter().filter(|q| !q.is_scale()).count() > 1 {
                        format!("{}：{t}", q.text)
                    } else {
                        t.to_string()
                    });
                }
            }
        }
    }
    let text = texts.join("\n");
    if text.chars().count() > MAX_ANSWER_CHARS {
        e.push(("text", format!("文字意见不超过{MAX_ANSWER_CHARS}字")));
    }
    if e.is_empty() {
        Ok(ValidAnswer {
            body_id,
            scores,
            text,
        })
    } else {
        Err(e)
    }
}

/// The identity an answer is counted against: the account when signed in, else the client.
pub fn identity(user_id: Option<i64>, ip: &str) -> String {
    match user_id {
        Some(id) => format!("user:{id}"),
        None => format!("ip:{ip}"),
    }
}

/// The results of one scale question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionResult {
    pub text: String,
    /// Mean point in tenths (43 = 4.3), None without answers.
    pub mean_tenths: Option<i64>,
    /// Answers per point, 1 to 5.
    pub counts: [i64; 5],
}

impl QuestionResult {
    pub fn mean_text(&self) -> String {
        self.mean_tenths
            .map_or("—".into(), |m| format!("{}.{}", m / 10, m % 10))
    }
    /// The share of 满意 and 很满意 (4–5 points), in whole percent.
    pub fn satisfied_pct(&self) -> Option<i64> {
        let n: i64 = self.counts.iter().sum();
        (n > 0).then(|| ((self.counts[3] + self.counts[4]) * 100 + n / 2) / n)
    }
}

/// The results of a body: the number of answers and each scale question's figures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Results {
    pub answers: i64,
    pub questions: Vec<QuestionResult>,
    /// Enough answers to show.
    pub published: bool,
}

/// The results of `answers` (each a point per question) for `questions`, shown when there are
/// at least `min_answers`. Means are rounded half up to a tenth.
pub fn results(questions: &[Question], answers: &[Vec<Option<u8>>], min_answers: i64) -> Results {
    let n = i64::try_from(answers.len()).unwrap_or(i64::MAX);
    let qs = questions
        .iter()
        .enumerate()
        .filter(|(_, q)| q.is_scale())
        .map(|(i, q)| {
            let mut counts = [0i64; 5];
            for a in answers {
                if let Some(Some(p)) = a.get(i)
                    && (1..=5).contains(p)
                {
                    counts[usize::from(*p - 1)] += 1;
                }
            }
            let total: i64 = counts.iter().sum();
            let sum: i64 = counts
                .iter()
                .enumerate()
                .map(|(k, c)| (k as i64 + 1) * c)
                .sum();
            QuestionResult {
                text: q.text.clone(),
                mean_tenths: (total > 0).then(|| (sum * 20 + total) / (total * 2)),
                counts,
            }
        })
        .collect();
    Results {
        answers: n,
        questions: qs,
        published: n >= min_answers,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn input() -> SurveyInput {
        SurveyInput {
            title: "2026年度政务公开民主评议".into(),
            intro: "".into(),
            audience: "public".into(),
            opens_on: "2026-12-01".into(),
            closes_on: "2026-12-31".into(),
            min_answers: "3".into(),
            questions: "信息公开是否及时\n\n文字：您的意见和建议\n答复是否清楚".into(),
        }
    }

    #[test]
    fn questions_read_one_per_line_and_a_prefix_makes_free_text() {
        let d = input().validate().unwrap();
        assert_eq!(d.questions.len(), 3);
        assert_eq!(d.questions[1].kind, QuestionKind::Text);
        assert_eq!(d.questions[1].text, "您的意见和建议");
        assert_eq!(
            parse_questions(&questions_text(&d.questions)).unwrap(),
            d.questions
        );
    }

    #[test]
    fn a_bad_survey_names_each_field() {
        let mut i = input();
        i.closes_on = "2026-11-30".into();
        i.min_answers = "0".into();
        i.questions = " \n".into();
        i.audience = "everyone".into();
        let e = i.validate().unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(
            fields,
            ["audience", "closes_on", "min_answers", "questions"]
        );
    }

    #[test]
    fn answers_are_taken_inside_the_period_of_an_open_survey() {
        let (o, c) = (d("2026-12-01"), d("2026-12-31"));
        assert!(accepting(SurveyStatus::Open, o, c, d("2026-12-01")).is_ok());
        assert!(accepting(SurveyStatus::Open, o, c, d("2026-12-31")).is_ok());
        assert!(
            accepting(SurveyStatus::Open, o, c, d("2026-11-30"))
                .unwrap_err()
                .contains("开始")
        );
        assert!(
            accepting(SurveyStatus::Open, o, c, d("2027-01-01"))
                .unwrap_err()
                .contains("结束")
        );
        assert!(accepting(SurveyStatus::Closed, o, c, d("2026-12-10")).is_err());
        assert!(accepting(SurveyStatus::Draft, o, c, d("2026-12-10")).is_err());
        let draft = input().validate().unwrap();
        assert!(may_open(&draft, 0, d("2026-12-02")).is_err());
        assert!(may_open(&draft, 2, d("2027-01-01")).is_err());
        assert!(may_open(&draft, 2, d("2026-12-02")).is_ok());
    }

    #[test]
    fn an_answer_needs_a_body_and_every_score() {
        let qs = input().validate().unwrap().questions;
        let form = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default()
            }
        };
        let ok = validate_answer(
            &qs,
            &[7, 9],
            form(&[("body", "9"), ("q0", "5"), ("q1", " 很好 "), ("q2", "3")]),
        )
        .unwrap();
        assert_eq!(ok.body_id, 9);
        assert_eq!(ok.scores, vec![Some(5), None, Some(3)]);
        assert_eq!(ok.text, "很好");
        let e = validate_answer(&qs, &[7], form(&[("body", "9"), ("q0", "6")])).unwrap_err();
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e[1].1.contains("第1题"));
    }

    #[test]
    fn results_show_only_from_the_minimum_and_round_the_mean() {
        let qs = input().validate().unwrap().questions;
        let a = |x: u8, y: u8| vec![Some(x), None, Some(y)];
        let r = results(&qs, &[a(5, 3), a(4, 3)], 3);
        assert!(!r.published);
        assert_eq!(r.answers, 2);
        let r = results(&qs, &[a(5, 3), a(4, 3), a(4, 2)], 3);
        assert!(r.published);
        assert_eq!(r.questions.len(), 2);
        // (5 + 4 + 4) / 3 = 4.33… → 4.3; (3 + 3 + 2) / 3 = 2.67 → 2.7.
        assert_eq!(r.questions[0].mean_text(), "4.3");
        assert_eq!(r.questions[1].mean_text(), "2.7");
        assert_eq!(r.questions[0].counts, [0, 0, 0, 2, 1]);
        assert_eq!(r.questions[0].satisfied_pct(), Some(100));
        assert_eq!(r.questions[1].satisfied_pct(), Some(0));
        assert_eq!(identity(Some(4), "1.2.3.4"), "user:4");
        assert_eq!(identity(None, "1.2.3.4"), "ip:1.2.3.4");
    }

    proptest! {
        #[test]
        fn the_mean_lies_between_the_lowest_and_highest_point(points in proptest::collection::vec(1u8..=5, 1..60)) {
            let qs = vec![Question { kind: QuestionKind::Scale, text: "q".into() }];
            let answers: Vec<Vec<Option<u8>>> = points.iter().map(|p| vec![Some(*p)]).collect();
            let r = results(&qs, &answers, 1);
            let m = r.questions[0].mean_tenths.unwrap();
            let lo = i64::from(*points.iter().min().unwrap()) * 10;
            let hi = i64::from(*points.iter().max().unwrap()) * 10;
            prop_assert!(lo <= m && m <= hi);
            prop_assert_eq!(r.questions[0].counts.iter().sum::<i64>(), points.len() as i64);
        }
    }
}
