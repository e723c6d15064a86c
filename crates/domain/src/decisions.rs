//! 重大事项民主决策: the record of a collective decision — the meeting, its date, who attended,
//! the motion and the vote — which a 公示 can cite, and which can follow an earlier one (a
//! 校委会 proposal approved by the 教代会). Pure rules (docs/design/participation.md, stage 2).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

labelled!(
    /// The meeting that decided.
    MeetingKind {
        PartyGroup => "party_group", "党组（党委）会议",
        Executive => "executive", "政府常务会议",
        Office => "office", "主任（局长）办公会议",
        SchoolBoard => "school_board", "校务委员会会议（校委会）",
        StaffCongress => "staff_congress", "教职工代表大会（教代会）",
        VillageParty => "village_party", "村党组织会议",
        VillageCommittees => "village_committees", "村“两委”联席会议",
        PartyMembers => "party_members", "党员大会",
        VillageReps => "village_reps", "村民代表会议",
        VillageAssembly => "village_assembly", "村民会议",
        Other => "other", "其他会议",
    }
);

/// The longest motion text.
pub const MAX_MOTION_CHARS: usize = 500;

/// A decision as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionInput {
    pub meeting_kind: String,
    pub meeting_on: String,
    pub motion: String,
    /// Attendees, one per line (or separated by 、，,).
    pub attendees: String,
    pub votes_for: String,
    pub votes_against: String,
    pub votes_abstain: String,
}

/// A checked decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidDecision {
    pub meeting_kind: MeetingKind,
    pub meeting_on: NaiveDate,
    pub motion: String,
    pub attendees: Vec<String>,
    pub votes_for: u32,
    pub votes_against: u32,
    pub votes_abstain: u32,
    /// Passed: more than half of those present voted for it.
    pub passed: bool,
}

/// Whether a motion passed: more votes for than half of those present (过半数).
pub fn passed(votes_for: u32, present: u32) -> bool {
    present > 0 && votes_for * 2 > present
}

/// 「2026年11月20日教职工代表大会（教代会）表决通过（应到…）：赞成38票，反对2票，弃权1票」.
pub fn summary(kind: MeetingKind, on: NaiveDate, f: u32, a: u32, ab: u32, passed: bool) -> String {
    format!(
        "{}{}表决{}：赞成{f}票，反对{a}票，弃权{ab}票",
        on.format("%Y年%-m月%-d日"),
        kind.label(),
        if passed { "通过" } else { "未通过" }
    )
}

fn names(s: &str) -> Vec<String> {
    s.split(['\n', '、', '，', ','])
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(String::from)
        .collect()
}

impl DecisionInput {
    /// Check the record against `today`: a meeting date not in the future, a motion, the
    /// attendees, and a vote whose counts do not exceed those present. Messages per field.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidDecision, crate::body::FieldErrors> {
        let mut e: crate::body::FieldErrors = Vec::new();
        let kind = MeetingKind::parse(&self.meeting_kind);
        if kind.is_none() {
            e.push(("meeting_kind", "请选择会议类型".into()));
        }
        let on = NaiveDate::parse_from_str(self.meeting_on.trim(), "%Y-%m-%d").ok();
        match on {
            None => e.push(("meeting_on", "请填写会议日期（YYYY-MM-DD）".into())),
            Some(d) if d > today => e.push(("meeting_on", "会议日期不能晚于今天".into())),
            _ => {}
        }
        let motion = self.motion.trim();
        if motion.is_empty() {
            e.push(("motion", "请填写表决事项".into()));
        } else if motion.chars().count() > MAX_MOTION_CHARS {
            e.push(("motion", format!("表决事项不超过{MAX_MOTION_CHARS}字")));
        }
        let attendees = names(&self.attendees);
        if attendees.is_empty() {
            e.push(("attendees", "请填写参会人员（每行一人）".into()));
        }
        let vote = |s: &str| s.trim().parse::<u32>().ok();
        let (f, a, ab) = (
            vote(&self.votes_for),
            vote(&self.votes_against),
            vote(&self.votes_abstain),
        );
        if f.is_none() || a.is_none() || ab.is_none() {
            e.push((
                "votes",
                "请填写表决结果：赞成、反对、弃权票数（没有的填0）".into(),
            ));
        }
        let (f, a, ab) = (f.unwrap_or(0), a.unwrap_or(0), ab.unwrap_or(0));
        let present = u32::try_from(attendees.len()).unwrap_or(u32::MAX);
        if f + a + ab == 0 && e.iter().all(|(k, _)| *k != "votes") {
            e.push(("votes", "没有表决结果的会议不能作为决策记录".into()));
        } else if !attendees.is_empty() && f + a + ab > present {
            e.push((
                "votes",
                format!("票数合计{}超过参会人数{present}", f + a + ab),
            ));
        }
        if !e.is_empty() {
            return Err(e);
        }
        Ok(ValidDecision {
            meeting_kind: kind.unwrap_or(MeetingKind::Other),
            meeting_on: on.unwrap_or(today),
            motion: motion.into(),
            passed: passed(f, present),
            attendees,
            votes_for: f,
            votes_against: a,
            votes_abstain: ab,
        })
    }
}

/// A procedure the law or the rules of a kind of body lay down for a decision: its steps in order,
/// each done by one of the meeting kinds named.
pub struct Procedure {
    pub name: &'static str,
    pub steps: &'static [(&'static str, &'static [MeetingKind])],
}

/// 村级重大事项「四议两公开」: 村党组织提议, 村“两委”会议商议, 党员大会审议, 村民会议或村民代表
/// 会议决议 — then 决议公开 (the 公示) and 实施结果公开 (recorded on the decision).
pub const VILLAGE: Procedure = Procedure {
    name: "村级重大事项“四议两公开”",
    steps: &[
        ("村党组织提议", &[MeetingKind::VillageParty]),
        ("村“两委”会议商议", &[MeetingKind::VillageCommittees]),
        ("党员大会审议", &[MeetingKind::PartyMembers]),
        (
            "村民会议或村民代表会议决议",
            &[MeetingKind::VillageReps, MeetingKind::VillageAssembly],
        ),
    ],
};

/// A school's major matters: 校委会 proposes, the 教代会 approves; then 公示 and effect.
pub const SCHOOL: Procedure = Procedure {
    name: "学校重大事项民主决策",
    steps: &[
        ("校务委员会提出方案", &[MeetingKind::SchoolBoard]),
        ("教职工代表大会审议通过", &[MeetingKind::StaffCongress]),
    ],
};

impl MeetingKind {
    /// The procedure a decision of this kind concludes, if it concludes one.
    pub fn procedure(self) -> Option<&'static Procedure> {
        match self {
            Self::VillageReps | Self::VillageAssembly => Some(&VILLAGE),
            Self::StaffCongress => Some(&SCHOOL),
            _ => None,
        }
    }
}

/// How a chain of decisions (earliest first) meets the procedure its last decision concludes:
/// for each step, the index in the chain of the passed meeting that did it, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcedureCheck {
    pub name: &'static str,
    pub steps: Vec<(&'static str, Option<usize>)>,
}

impl ProcedureCheck {
    pub fn complete(&self) -> bool {
        self.steps.iter().all(|(_, i)| i.is_some())
    }
    /// 「程序不完整：缺少党员大会审议」, or `None` when complete.
    pub fn problem(&self) -> Option<String> {
        let missing: Vec<&str> = self
            .steps
            .iter()
            .filter(|(_, i)| i.is_none())
            .map(|(l, _)| *l)
            .collect();
        (!missing.is_empty()).then(|| {
            format!(
                "{}程序不完整：缺少{}（须按顺序记录并表决通过）",
                self.name,
                missing.join("、")
            )
        })
    }
}

/// The procedure a decision of a body must follow: a village's 四议 and a school's proposal and
/// approval whatever the meeting cited (so citing an intermediate step does not skip the rest);
/// elsewhere the procedure the last meeting concludes, if any.
pub fn procedure_for(body: crate::body::BodyKind, last: MeetingKind) -> Option<&'static Procedure> {
    match body {
        crate::body::BodyKind::Village => Some(&VILLAGE),
        crate::body::BodyKind::School => Some(&SCHOOL),
        _ => last.procedure(),
    }
}

/// Check a chain (earliest first; each entry the meeting kind and whether it passed) of a body
/// of kind `body` against its procedure (`procedure_for`). Steps are matched in order: a step
/// counts only when a passed meeting of its kind comes after the one that did the step before
/// it, and the chain must end with the last step. `None` when no procedure applies.
pub fn check_procedure(
    body: crate::body::BodyKind,
    chain: &[(MeetingKind, bool)],
) -> Option<ProcedureCheck> {
    let (last, _) = chain.last()?;
    let p = procedure_for(body, *last)?;
    let mut from = 0;
    let mut steps = Vec::with_capacity(p.steps.len());
    for (label, kinds) in p.steps {
        let found = chain
            .iter()
            .enumerate()
            .skip(from)
            .find(|(_, (k, passed))| *passed && kinds.contains(k))
            .map(|(i, _)| i);
        if let Some(i) = found {
            from = i + 1;
        }
        steps.push((*label, found));
    }
    // The decision announced is the one that did the last step, not a step before it.
    if let Some((_, at)) = steps.last_mut()
        && *at != Some(chain.len() - 1)
    {
        *at = None;
    }
    Some(ProcedureCheck {
        name: p.name,
        steps,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_vote_passes_with_more_than_half_of_those_present() {
        assert!(passed(3, 5));
        assert!(!passed(2, 4), "half is not more than half");
        assert!(!passed(0, 0));
        let input = DecisionInput {
            meeting_kind: "staff_congress".into(),
            meeting_on: "2026-11-20".into(),
            motion: "审议通过2026年度优秀教师评选结果".into(),
            attendees: "王丽\n陈志强、刘芳，赵敏".into(),
            votes_for: "3".into(),
            votes_against: "1".into(),
            votes_abstain: "0".into(),
        };
        let v = input.validate(d("2026-12-02")).unwrap();
        assert_eq!(v.attendees.len(), 4);
        assert!(v.passed);
        assert_eq!(
            summary(v.meeting_kind, v.meeting_on, 3, 1, 0, v.passed),
            "2026年11月20日教职工代表大会（教代会）表决通过：赞成3票，反对1票，弃权0票"
        );
    }

    #[test]
    fn a_record_without_a_vote_or_with_too_many_votes_is_refused() {
        let mut input = DecisionInput {
            meeting_kind: "school_board".into(),
            meeting_on: "2026-12-09".into(),
            motion: String::new(),
            attendees: "甲\n乙".into(),
            ..Default::default()
        };
        let e = input.validate(d("2026-12-02")).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["meeting_on", "motion", "votes"]);
        input.meeting_on = "2026-12-01".into();
        input.motion = "议题".into();
        input.votes_for = "0".into();
        input.votes_against = "0".into();
        input.votes_abstain = "0".into();
        let e = input.validate(d("2026-12-02")).unwrap_err();
        assert!(e[0].1.contains("没有表决结果"));
        input.votes_for = "3".into();
        let e = input.validate(d("2026-12-02")).unwrap_err();
        assert!(e[0].1.contains("超过参会人数2"), "{e:?}");
    }

    #[test]
    fn the_four_deliberations_are_checked_in_order() {
        use crate::body::BodyKind;
        use MeetingKind::*;
        const V: BodyKind = BodyKind::Village;
        let full = [
            (VillageParty, true),
            (VillageCommittees, true),
            (PartyMembers, true),
            (VillageReps, true),
        ];
        let c = check_procedure(V, &full).unwrap();
        assert!(c.complete(), "{c:?}");
        assert_eq!(c.steps[3], ("村民会议或村民代表会议决议", Some(3)));
        assert_eq!(c.problem(), None);
        // The party members' meeting skipped.
        let c = check_procedure(
            V,
            &[
                (VillageParty, true),
                (VillageCommittees, true),
                (VillageAssembly, true),
            ],
        )
        .unwrap();
        assert_eq!(
            c.problem().unwrap(),
            "村级重大事项“四议两公开”程序不完整：缺少党员大会审议（须按顺序记录并表决通过）"
        );
        // Out of order: deliberated by the members before the committees discussed it.
        let c = check_procedure(
            V,
            &[
                (VillageParty, true),
                (PartyMembers, true),
                (VillageCommittees, true),
                (VillageReps, true),
            ],
        )
        .unwrap();
        assert!(!c.complete());
        // A step that failed its vote does not count.
        let mut failed = full;
        failed[1].1 = false;
        assert!(!check_procedure(V, &failed).unwrap().complete());
        // Citing an intermediate step does not skip the rest.
        let c = check_procedure(V, &[(VillageParty, true), (VillageCommittees, true)]).unwrap();
        assert!(!c.complete());
        assert!(c.problem().unwrap().contains("村民会议或村民代表会议决议"));
        // Nor does recording the resolution as another kind of meeting.
        assert!(!check_procedure(V, &[(Other, true)]).unwrap().complete());
        // The school: the board's proposal, then the staff congress.
        let s = BodyKind::School;
        let c = check_procedure(s, &[(SchoolBoard, true), (StaffCongress, true)]).unwrap();
        assert!(c.complete());
        assert!(
            !check_procedure(s, &[(StaffCongress, true)])
                .unwrap()
                .complete()
        );
        assert!(
            !check_procedure(s, &[(SchoolBoard, true)])
                .unwrap()
                .complete()
        );
        // A county government's executive meeting concludes no such procedure; a department
        // recording a village-style resolution is held to the village's.
        let d = BodyKind::Department;
        assert_eq!(check_procedure(d, &[(Executive, true)]), None);
        assert!(check_procedure(d, &[(VillageReps, true)]).is_some());
        assert_eq!(check_procedure(d, &[]), None);
    }
}
