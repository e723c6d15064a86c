//! 重点工作 and 承诺事项 (为群众办实事): a piece of work broken into steps, each with a responsible
//! person and body, a deadline, a status and progress; dated updates; a final result. The rules
//! here are pure: what a work, a step and an update must hold, when a step is overdue, the work's
//! progress, and what stands in the way of closing it. See docs/design/participation.md, stage 5.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled!(
    /// What the work is.
    WorkKind {
        KeyWork => "key_work", "重点工作",
        Commitment => "commitment", "承诺事项（为群众办实事）",
    }
);

labelled!(
    /// Where a step stands.
    StepStatus {
        NotStarted => "not_started", "未开始",
        InProgress => "in_progress", "推进中",
        Blocked => "blocked", "受阻",
        Done => "done", "已完成",
    }
);

pub const MAX_TITLE_CHARS: usize = 100;
pub const MAX_SUMMARY_CHARS: usize = 2_000;
pub const MAX_NOTE_CHARS: usize = 1_000;
pub const MAX_RESULT_CHARS: usize = 2_000;
/// Steps are drawn in at most this many stages (columns of the flow chart).
pub const MAX_STAGE: i64 = 12;

type Errors = crate::body::FieldErrors;

fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn text(e: &mut Errors, key: &'static str, what: &str, s: &str, max: usize, required: bool) {
    let n = s.trim().chars().count();
    if required && n == 0 {
        e.push((key, format!("请填写{what}")));
    } else if n > max {
        e.push((key, format!("{what}不超过{max}字")));
    }
}

/// A work as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkInput {
    pub kind: String,
    pub title: String,
    pub summary: String,
    pub due_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidWork {
    pub kind: WorkKind,
    pub title: String,
    pub summary: String,
    pub due_on: NaiveDate,
}

impl WorkInput {
    /// A kind, a title, what is to be done, and a deadline not before `today`.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidWork, Errors> {
        let mut e = Errors::new();
        let kind = WorkKind::parse(&self.kind);
        if kind.is_none() {
            e.push(("kind", "请选择类型".into()));
        }
        text(&mut e, "title", "名称", &self.title, MAX_TITLE_CHARS, true);
        text(
            &mut e,
            "summary",
            "工作内容和目标",
            &self.summary,
            MAX_SUMMARY_CHARS,
            true,
        );
        let due = date(&self.due_on);
        match due {
            None => e.push(("due_on", "请填写完成期限（YYYY-MM-DD）".into())),
            Some(d) if d < today => e.push(("due_on", "完成期限不能早于今天".into())),
            _ => {}
        }
        match (kind, due) {
            (Some(kind), Some(due_on)) if e.is_empty() => Ok(ValidWork {
                kind,
                title: self.title.trim().into(),
                summary: self.summary.trim().into(),
                due_on,
            }),
            _ => Err(e),
        }
    }
}

/// A step as typed: its stage (steps of one stage run side by side; stage n+1 follows stage n),
/// what is done, who answers for it (an account and a body), and by when.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct StepInput {
    pub stage: String,
    pub title: String,
    pub owner_id: String,
    pub body_id: String,
    pub due_on: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidStep {
    pub stage: i64,
    pub title: String,
    pub owner_id: i64,
    pub body_id: i64,
    pub due_on: NaiveDate,
}

impl StepInput {
    /// The step's deadline may not fall after the work's.
    pub fn validate(&self, work_due: NaiveDate) -> Result<ValidStep, Errors> {
        let mut e = Errors::new();
        let stage = self.stage.trim().parse::<i64>().ok();
        if !stage.is_some_and(|s| (1..=MAX_STAGE).contains(&s)) {
            e.push(("stage", format!("环节序号应为1到{MAX_STAGE}")));
        }
        text(
            &mut e,
            "title",
            "环节名称",
            &self.title,
            MAX_TITLE_CHARS,
            true,
        );
        let id = |s: &str| s.trim().parse::<i64>().ok().filter(|v| *v > 0);
        let (owner, body) = (id(&self.owner_id), id(&self.body_id));
        if owner.is_none() {
            e.push(("owner_id", "请选择责任人".into()));
        }
        if body.is_none() {
            e.push(("body_id", "请选择责任单位".into()));
        }
        let due = date(&self.due_on);
        match due {
            None => e.push(("due_on", "请填写环节期限（YYYY-MM-DD）".into())),
            Some(d) if d > work_due => e.push((
                "due_on",
                format!("环节期限不能晚于工作的完成期限 {work_due}"),
            )),
            _ => {}
        }
        match (stage, owner, body, due) {
            (Some(stage), Some(owner_id), Some(body_id), Some(due_on)) if e.is_empty() => {
                Ok(ValidStep {
                    stage,
                    title: self.title.trim().into(),
                    owner_id,
                    body_id,
                    due_on,
                })
            }
            _ => Err(e),
        }
    }
}

/// A progress report on a step (or, with no step, on the work as a whole).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProgressInput {
    pub status: String,
    pub progress: String,
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProgress {
    pub status: StepStatus,
    pub progress: i64,
    pub note: String,
}

impl ProgressInput {
    /// A status and a percentage that agree (已完成 is 100%, and 100% is 已完成), and what was done.
    pub fn validate(&self) -> Result<ValidProgress, Errors> {
        let mut e = Errors::new();
        let status = StepStatus::parse(&self.status);
        if status.is_none() {
            e.push(("status", "请选择进展状态".into()));
        }
        let progress = self
            .progress
            .trim()
            .trim_end_matches('%')
            .parse::<i64>()
            .ok();
        match progress {
            Some(p) if (0..=100).contains(&p) => {}
            _ => e.push(("progress", "完成进度应为0到100之间的整数".into())),
        }
        if let (Some(s), Some(p)) = (status, progress) {
            if s == StepStatus::Done && p != 100 {
                e.push(("progress", "已完成的环节进度应为100%".into()));
            } else if p == 100 && s != StepStatus::Done {
                e.push(("status", "进度为100%时状态应为“已完成”".into()));
            } else if s == StepStatus::NotStarted && p > 0 {
                e.push(("status", "已有进度的环节不能是“未开始”".into()));
            }
        }
        text(&mut e, "note", "进展情况", &self.note, MAX_NOTE_CHARS, true);
        match (status, progress) {
            (Some(status), Some(progress)) if e.is_empty() => Ok(ValidProgress {
                status,
                progress,
                note: self.note.trim().into(),
            }),
            _ => Err(e),
        }
    }
}

/// Whether a step is overdue: not done and its deadline has passed.
pub fn overdue(status: StepStatus, due_on: NaiveDate, today: NaiveDate) -> bool {
    status != StepStatus::Done && today > due_on
}

/// The work's progress: the mean of its steps' progress, rounded down; 0 without steps.
pub fn work_progress(steps: &[i64]) -> i64 {
    if steps.is_empty() {
        return 0;
    }
    let n = i64::try_from(steps.len()).unwrap_or(i64::MAX);
    steps.iter().map(|p| p.clamp(&0, &100)).sum::<i64>() / n
}

/// Why a work cannot be closed yet with `result`: a result is required and every step must be
/// done. Empty when it may be closed.
pub fn completion_blockers(result: &str, steps: &[(String, StepStatus)]) -> Vec<String> {
    let mut out = Vec::new();
    let n = result.trim().chars().count();
    if n == 0 {
        out.push("请填写完成结果".into());
    } else if n > MAX_RESULT_CHARS {
        out.push(format!("完成结果不超过{MAX_RESULT_CHARS}字"));
    }
    if steps.is_empty() {
        out.push("尚未分解工作环节".into());
    }
    for (t, s) in steps {
        if *s != StepStatus::Done {
            out.push(format!("环节“{t}”{}", s.label()));
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        date(s).unwrap()
    }
    fn keys(e: Errors) -> Vec<&'static str> {
        e.into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn a_work_needs_a_deadline_not_in_the_past() {
        let mut w = WorkInput {
            kind: "commitment".into(),
            title: "东门社区加装电梯".into(),
            summary: "为3栋老旧住宅加装电梯。".into(),
            due_on: "2026-12-31".into(),
        };
        let v = w.validate(d("2026-12-01")).unwrap();
        assert_eq!(v.kind, WorkKind::Commitment);
        w.due_on = "2026-11-30".into();
        assert_eq!(
            keys(w.validate(d("2026-12-01")).unwrap_err()),
            vec!["due_on"]
        );
        w.kind.clear();
        w.summary.clear();
        assert_eq!(
            keys(w.validate(d("2026-12-01")).unwrap_err()),
            vec!["kind", "summary", "due_on"]
        );
    }

    #[test]
    fn a_step_falls_within_the_work_and_names_who_answers_for_it() {
        let s = StepInput {
            stage: "2".into(),
            title: "施工".into(),
            owner_id: "7".into(),
            body_id: "3".into(),
            due_on: "2026-12-20".into(),
        };
        assert_eq!(s.validate(d("2026-12-31")).unwrap().stage, 2);
        let e = s.validate(d("2026-12-19")).unwrap_err();
        assert_eq!(keys(e.clone()), vec!["due_on"]);
        assert!(e[0].1.contains("2026-12-19"));
        let bad = StepInput {
            stage: "0".into(),
            owner_id: String::new(),
            ..s
        };
        assert_eq!(
            keys(bad.validate(d("2026-12-31")).unwrap_err()),
            vec!["stage", "owner_id"]
        );
    }

    #[test]
    fn status_and_progress_must_agree() {
        let p = |s: &str, n: &str| ProgressInput {
            status: s.into(),
            progress: n.into(),
            note: "完成了招标。".into(),
        };
        assert!(p("in_progress", "40%").validate().is_ok());
        assert!(p("done", "100").validate().is_ok());
        assert_eq!(
            keys(p("done", "90").validate().unwrap_err()),
            vec!["progress"]
        );
        assert_eq!(
            keys(p("in_progress", "100").validate().unwrap_err()),
            vec!["status"]
        );
        assert_eq!(
            keys(p("not_started", "10").validate().unwrap_err()),
            vec!["status"]
        );
        assert_eq!(
            keys(p("blocked", "101").validate().unwrap_err()),
            vec!["progress"]
        );
        let mut q = p("blocked", "30");
        q.note.clear();
        assert_eq!(keys(q.validate().unwrap_err()), vec!["note"]);
    }

    #[test]
    fn overdue_means_not_done_after_the_deadline() {
        let due = d("2026-11-30");
        assert!(!overdue(StepStatus::InProgress, due, due));
        assert!(overdue(StepStatus::InProgress, due, d("2026-12-01")));
        assert!(!overdue(StepStatus::Done, due, d("2026-12-01")));
    }

    #[test]
    fn a_work_closes_with_a_result_once_every_step_is_done() {
        let steps = vec![
            ("设计".to_string(), StepStatus::Done),
            ("施工".to_string(), StepStatus::InProgress),
        ];
        assert_eq!(
            completion_blockers("", &steps),
            vec!["请填写完成结果".to_string(), "环节“施工”推进中".to_string()]
        );
        assert!(completion_blockers("已投入使用", &[("设计".into(), StepStatus::Done)]).is_empty());
        assert_eq!(
            completion_blockers("已投入使用", &[]),
            vec!["尚未分解工作环节"]
        );
    }

    proptest! {
        #[test]
        fn progress_is_a_percentage_between_the_least_and_the_most(v in prop::collection::vec(0i64..=100, 1..20)) {
            let p = work_progress(&v);
            prop_assert!(p >= *v.iter().min().unwrap() && p <= *v.iter().max().unwrap());
            prop_assert_eq!(work_progress(&vec![100; v.len()]), 100);
        }
    }
}
