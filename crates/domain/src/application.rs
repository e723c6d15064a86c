//! 依申请公开: the statutory clock of an application (条例第三十条至第三十五条) and the fee rules
//! (条例第四十二条; 国办函〔2020〕109号). One model computes a case's deadline from its dated events
//! and explains the computation in words a court would accept.
//!
//! Counting (民法典第二百零一条): the day an event happens is not counted; counting starts the
//! next day. Only working days count (条例第三十三条). Waiting for a third party's or another
//! body's opinion, and for a fee, does not count: the days after the request was sent, up to and
//! including the day the answer (or payment) arrived, are skipped.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::calendar::{Calendar, CalendarError};

/// 条例第三十三条: reply within 20 working days of receipt.
pub const REPLY_WORKING_DAYS: u32 = 20;
/// 条例第三十三条: one extension of at most 20 working days.
pub const MAX_EXTENSION_WORKING_DAYS: u32 = 20;
/// 条例第三十条: a request for correction within 7 working days of receipt.
pub const CORRECTION_REQUEST_WORKING_DAYS: u32 = 7;
/// 条例第三十二条、第三十四条: the consulted party has 15 working days.
pub const CONSULTATION_WORKING_DAYS: u32 = 15;
/// 国办函〔2020〕109号: payment within 20 working days of the day after the fee notice.
pub const FEE_PAYMENT_WORKING_DAYS: u32 = 20;

/// Who is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Party {
    /// 第三十二条: a third party; silence → the office decides.
    ThirdParty,
    /// 第三十四条: another body; silence counts as consent.
    OtherBody,
}

/// A dated event of a case, as far as the clock is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ClockEvent {
    Received { on: NaiveDate },
    CorrectionRequested { on: NaiveDate },
    CorrectionReceived { on: NaiveDate },
    ConsultationSent { on: NaiveDate, party: Party },
    ConsultationAnswered { on: NaiveDate },
    Extended { on: NaiveDate, working_days: u32 },
    FeeNoticed { on: NaiveDate },
    FeePaid { on: NaiveDate },
}

/// Why an event is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClockError {
    #[error("{0}")]
    Calendar(#[from] CalendarError),
    #[error("申请尚未登记收到日期")]
    NotReceived,
    #[error("补正通知只能发出一次（条例第三十条）")]
    SecondCorrection,
    #[error("补正通知应在收到申请之日起7个工作日内发出（期限为{0}）")]
    CorrectionTooLate(NaiveDate),
    #[error("尚未发出补正通知，不能登记收到补正材料")]
    NoCorrectionPending,
    #[error("延期只能一次（条例第三十三条）")]
    SecondExtension,
    #[error("延期最长20个工作日（条例第三十三条），不能延长{0}个工作日")]
    ExtensionTooLong(u32),
    #[error("延期须为1至20个工作日")]
    ExtensionZero,
    #[error("没有正在进行的征求意见，不能登记答复")]
    NoConsultationPending,
    #[error("上一次征求意见尚未答复，不能再次发出")]
    ConsultationPending,
    #[error("没有待缴的费用，不能登记缴费")]
    NoFeePending,
    #[error("事件日期{0}早于上一事件日期，请按时间顺序登记")]
    OutOfOrder(NaiveDate),
}

/// The state of the clock after its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clock {
    pub received_on: NaiveDate,
    /// The day from which the 20 working days run (receipt, or the corrected application).
    pub counting_from: NaiveDate,
    /// Due date of the reply, if the clock is running (None while paused).
    pub due_on: Option<NaiveDate>,
    /// Working days counted so far up to `today`.
    pub used_working_days: u32,
    pub limit_working_days: u32,
    /// Open pause: what, since when, and its own deadline.
    pub paused: Option<(PauseKind, NaiveDate, NaiveDate)>,
    /// The correction must be requested by this day (while no correction was requested).
    pub correction_request_by: Option<NaiveDate>,
    /// The explanation, one line per fact, in Chinese.
    pub explanation: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PauseKind {
    Correction,
    Consultation(Party),
    Fee,
}

impl PauseKind {
    pub fn label(self) -> &'static str {
        match self {
            PauseKind::Correction => "等待申请人补正",
            PauseKind::Consultation(Party::ThirdParty) => "征求第三方意见",
            PauseKind::Consultation(Party::OtherBody) => "征求其他机关意见",
            PauseKind::Fee => "等待申请人缴费",
        }
    }
}

/// Compute the clock from events in date order, as of `today`.
pub fn compute(
    cal: &Calendar,
    events: &[ClockEvent],
    today: NaiveDate,
) -> Result<Clock, ClockError> {
    let mut received = None;
    let mut counting_from = None;
    let mut correction_requested = false;
    let mut correction_received = false;
    let mut extension: Option<u32> = None;
    let mut pauses: Vec<(NaiveDate, NaiveDate)> = Vec::new();
    let mut open: Option<(PauseKind, NaiveDate)> = None;
    let mut last = NaiveDate::MIN;
    let mut lines = Vec::new();
    for e in events {
        let on = e.on();
        if on < last {
            return Err(ClockError::OutOfOrder(on));
        }
        last = on;
        match e {
            ClockEvent::Received { on } => {
                received = Some(*on);
                counting_from = Some(*on);
                lines.push(format!(
                    "{on} 收到申请（当日不计入期限，自次日起计算，条例第三十一条、第三十三条）"
                ));
            }
            ClockEvent::CorrectionRequested { on } => {
                let r = received.ok_or(ClockError::NotReceived)?;
                if correction_requested {
                    return Err(ClockError::SecondCorrection);
                }
                let by = cal.add_working_days(r, CORRECTION_REQUEST_WORKING_DAYS)?;
                if *on > by {
                    return Err(ClockError::CorrectionTooLate(by));
                }
                correction_requested = true;
                open = Some((PauseKind::Correction, *on));
                lines.push(format!(
                    "{on} 发出补正通知（条例第三十条）；期限自收到补正材料之日起重新计算"
                ));
            }
            ClockEvent::CorrectionReceived { on } => {
                if !matches!(open, Some((PauseKind::Correction, _))) || correction_received {
                    return Err(ClockError::NoCorrectionPending);
                }
                correction_received = true;
                open = None;
                counting_from = Some(*on);
                pauses.clear();
                lines.push(format!("{on} 收到补正后的申请，20个工作日自次日起重新计算"));
            }
            ClockEvent::ConsultationSent { on, party } => {
                received.ok_or(ClockError::NotReceived)?;
                if open.is_some() {
                    return Err(ClockError::ConsultationPending);
                }
                open = Some((PauseKind::Consultation(*party), *on));
            }
            ClockEvent::ConsultationAnswered { on } => {
                let Some((PauseKind::Consultation(party), start)) = open else {
                    return Err(ClockError::NoConsultationPending);
                };
                // 第三十二条、第三十四条: at most 15 working days; silence ends the wait then.
                let limit = cal.add_working_days(start, CONSULTATION_WORKING_DAYS)?;
                let end = (*on).min(limit);
                pauses.push((start, end));
                open = None;
                let skipped = cal.working_days_between(start, end)?;
                let how = if *on > limit {
                    match party {
                        Party::ThirdParty => "逾期未提出意见，由本机关依照条例第三十二条决定",
                        Party::OtherBody => "逾期未提出意见，依照条例第三十四条视为同意",
                    }
                } else {
                    "收到意见"
                };
                lines.push(format!(
                    "{start} 至 {end} {}（{how}），期间{skipped}个工作日不计入期限",
                    PauseKind::Consultation(party).label()
                ));
            }
            ClockEvent::Extended { on, working_days } => {
                received.ok_or(ClockError::NotReceived)?;
                if extension.is_some() {
                    return Err(ClockError::SecondExtension);
                }
                if *working_days == 0 {
                    return Err(ClockError::ExtensionZero);
                }
                if *working_days > MAX_EXTENSION_WORKING_DAYS {
                    return Err(ClockError::ExtensionTooLong(*working_days));
                }
                extension = Some(*working_days);
                lines.push(format!("{on} 经机关负责人同意延期{working_days}个工作日，并已告知申请人（条例第三十三条）"));
            }
            ClockEvent::FeeNoticed { on } => {
                received.ok_or(ClockError::NotReceived)?;
                if open.is_some() {
                    return Err(ClockError::ConsultationPending);
                }
                open = Some((PauseKind::Fee, *on));
                let by = cal.add_working_days(*on, FEE_PAYMENT_WORKING_DAYS)?;
                lines.push(format!("{on} 发出收费通知，申请人应于{by}前缴费（国办函〔2020〕109号），等待缴费期间不计入期限"));
            }
            ClockEvent::FeePaid { on } => {
                let Some((PauseKind::Fee, start)) = open else {
                    return Err(ClockError::NoFeePending);
                };
                pauses.push((start, *on));
                open = None;
                lines.push(format!("{on} 申请人缴费，期限自次日起恢复计算"));
            }
        }
    }
    let received = received.ok_or(ClockError::NotReceived)?;
    let from = counting_from.unwrap_or(received);
    let limit = REPLY_WORKING_DAYS + extension.unwrap_or(0);
    let paused_day = |d: NaiveDate| pauses.iter().any(|(s, e)| d > *s && d <= *e);
    // Count working days after `from`, skipping paused days, until `today` (or the pause start).
    let count_until = match open {
        Some((_, start)) => start.min(today),
        None => today,
    };
    let mut used = 0u32;
    let mut d = from;
    while d < count_until {
        d = d.succ_opt().ok_or(CalendarError::OutOfRange)?;
        if cal.is_working_day(d)? && !paused_day(d) {
            used += 1;
        }
    }
    let due_on = if open.is_some() {
        None
    } else {
        let mut n = 0u32;
        let mut d = from;
        loop {
            d = d.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if cal.is_working_day(d)? && !paused_day(d) {
                n += 1;
                if n == limit {
                    break Some(d);
                }
            }
        }
    };
    let paused = match open {
        Some((k @ PauseKind::Correction, s)) => Some((k, s, s)),
        Some((k @ PauseKind::Consultation(_), s)) => {
            Some((k, s, cal.add_working_days(s, CONSULTATION_WORKING_DAYS)?))
        }
        Some((k @ PauseKind::Fee, s)) => {
            Some((k, s, cal.add_working_days(s, FEE_PAYMENT_WORKING_DAYS)?))
        }
        None => None,
    };
    let correction_request_by = if correction_requested {
        None
    } else {
        Some(cal.add_working_days(received, CORRECTION_REQUEST_WORKING_DAYS)?)
    };
    lines.push(format!(
        "答复期限为{limit}个工作日{}，截至{}已用{used}个工作日",
        if extension.is_some() {
            "（含延期）"
        } else {
            ""
        },
        count_until
    ));
    match (&due_on, &paused) {
        (Some(d), _) => lines.push(format!("答复截止日期：{d}")),
        (None, Some((k, s, _))) => lines.push(format!("自{s}起{}，期限暂停计算", k.label())),
        _ => {}
    }
    Ok(Clock {
        received_on: received,
        counting_from: from,
        due_on,
        used_working_days: used,
        limit_working_days: limit,
        paused,
        correction_request_by,
        explanation: lines,
    })
}

impl ClockEvent {
    /// The event's date, to be moved (see [`step_day`]).
    pub fn on_mut(&mut self) -> &mut NaiveDate {
        match self {
            ClockEvent::Received { on }
            | ClockEvent::CorrectionRequested { on }
            | ClockEvent::CorrectionReceived { on }
            | ClockEvent::ConsultationSent { on, .. }
            | ClockEvent::ConsultationAnswered { on }
            | ClockEvent::Extended { on, .. }
            | ClockEvent::FeeNoticed { on }
            | ClockEvent::FeePaid { on } => on,
        }
    }

    /// The event's date.
    pub fn on(&self) -> NaiveDate {
        *self.clone().on_mut()
    }
}

/// 国办函〔2020〕109号, per application: the fee for the applicant's `n`-th application in a
/// calendar month (counted across the body), in yuan. 1–10 free; 11–30 100元 each; 31–40 200元;
/// 41–50 300元; each further band of 10 costs 100元 more.
pub fn fee_per_application(n: u32) -> u32 {
    match n {
        0..=10 => 0,
        11..=30 => 100,
        _ => 100 * ((n - 30).div_ceil(10) + 1),
    }
}

/// 国办函〔2020〕109号, per page: 1–30 free; 31–100 10元/页; 101–200 20元/页; 201 and more 40元/页.
pub fn fee_per_page(pages: u32) -> u32 {
    let band = |lo: u32, hi: u32, rate: u32| pages.min(hi).saturating_sub(lo - 1) * rate;
    band(31, 100, 10) + band(101, 200, 20) + pages.saturating_sub(200) * 40
}

/// How a fee is charged for one application: one method or the other, never both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum FeeBasis {
    /// The applicant's n-th application this calendar month.
    PerApplication {
        nth_in_month: u32,
    },
    PerPage {
        pages: u32,
    },
}

pub fn fee(basis: FeeBasis) -> u32 {
    match basis {
        FeeBasis::PerApplication { nth_in_month } => fee_per_application(nth_in_month),
        FeeBasis::PerPage { pages } => fee_per_page(pages),
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

    fn cal() -> Calendar {
        Calendar::builtin()
    }

    #[test]
    fn a_step_on_the_rest_days_before_an_online_receipt_counts_on_the_receipt_day() {
        // Submitted online Sat 2025-10-04 (国庆 holiday): received Thu 2025-10-09.
        let r = received_on(&cal(), Channel::Online, d("2025-10-04"), None, None).unwrap();
        assert_eq!(r, d("2025-10-09"));
        // Staff ask for a 补正 on Sun 10/5 or on Wed 10/8: it counts on 10/9.
        assert_eq!(step_day(&cal(), d("2025-10-05"), r).unwrap(), r);
        assert_eq!(step_day(&cal(), d("2025-10-08"), r).unwrap(), r);
        // Before the holiday (a working day) and after the receipt: as given.
        assert_eq!(
            step_day(&cal(), d("2025-09-30"), r).unwrap(),
            d("2025-09-30")
        );
        assert_eq!(
            step_day(&cal(), d("2025-10-10"), r).unwrap(),
            d("2025-10-10")
        );
        // The clock then accepts the step, and pauses from the receipt day.
        let on = step_day(&cal(), d("2025-10-05"), r).unwrap();
        let c = compute(
            &cal(),
            &[
                ClockEvent::Received { on: r },
                ClockEvent::CorrectionRequested { on },
            ],
            d("2025-10-10"),
        );
        assert!(c.is_ok(), "{c:?}");
        let raw = compute(
            &cal(),
            &[
                ClockEvent::Received { on: r },
                ClockEvent::CorrectionRequested {
                    on: d("2025-10-05"),
                },
            ],
            d("2025-10-10"),
        );
        assert_eq!(raw, Err(ClockError::OutOfOrder(d("2025-10-05"))));
    }

    #[test]
    fn plain_case_across_national_day_2025() {
        // Received Fri 2025-09-26; 9/28 (Sun) is a 调休 working day = 1, 9/29 = 2, 9/30 = 3,
        // 10/1–10/8 off, 10/9 = 4, 10/10 = 5, 10/11 (Sat, 调休) = 6, then 10/13… → 20th = 10/30.
        let c = compute(
            &cal(),
            &[ClockEvent::Received {
                on: d("2025-09-26"),
            }],
            d("2025-09-26"),
        )
        .unwrap();
        assert_eq!(c.due_on, Some(d("2025-10-30")));
        assert_eq!(c.correction_request_by, Some(d("2025-10-13")));
        assert!(c.explanation.iter().any(|l| l.contains("2025-10-30")));
    }

    #[test]
    fn correction_restarts_the_clock() {
        // 补正 requested 2025-09-29, corrected application arrives 2025-10-10 (Fri):
        // 20 working days from 10/10: 10/11 (Sat 调休) = 1, 10/13–10/17 = 2–6, … → 2025-11-06.
        let ev = [
            ClockEvent::Received {
                on: d("2025-09-26"),
            },
            ClockEvent::CorrectionRequested {
                on: d("2025-09-29"),
            },
            ClockEvent::CorrectionReceived {
                on: d("2025-10-10"),
            },
        ];
        let c = compute(&cal(), &ev, d("2025-10-10")).unwrap();
        assert_eq!(c.counting_from, d("2025-10-10"));
        assert_eq!(c.due_on, Some(d("2025-11-06")));
        // While waiting for the correction the clock is paused.
        let c = compute(&cal(), &ev[..2], d("2025-10-09")).unwrap();
        assert_eq!(c.due_on, None);
        assert_eq!(c.paused.unwrap().0, PauseKind::Correction);
    }

    #[test]
    fn correction_is_requested_once_within_seven_working_days() {
        let late = [
            ClockEvent::Received {
                on: d("2025-09-26"),
            },
            ClockEvent::CorrectionRequested {
                on: d("2025-10-14"),
            },
        ];
        assert_eq!(
            compute(&cal(), &late, d("2025-10-14")),
            Err(ClockError::CorrectionTooLate(d("2025-10-13")))
        );
        let twice = [
            ClockEvent::Received {
                on: d("2025-09-26"),
            },
            ClockEvent::CorrectionRequested {
                on: d("2025-09-29"),
            },
            ClockEvent::CorrectionReceived {
                on: d("2025-10-09"),
            },
            ClockEvent::CorrectionRequested {
                on: d("2025-10-10"),
            },
        ];
        assert_eq!(
            compute(&cal(), &twice, d("2025-10-10")),
            Err(ClockError::SecondCorrection)
        );
    }

    #[test]
    fn consultation_days_do_not_count_and_extension_adds_once() {
        // Received Wed 2026-02-11. Without pauses: 2/12, 2/13, 2/14 (Sat 调休) = 3; 2/15–2/23 off;
        // 2/24–2/27 = 4–7; 2/28 (Sat 调休) = 8; 3/2–3/13 = 9–18; 3/16 = 19; 3/17 = 20.
        let base = [ClockEvent::Received {
            on: d("2026-02-11"),
        }];
        assert_eq!(
            compute(&cal(), &base, d("2026-02-11")).unwrap().due_on,
            Some(d("2026-03-17"))
        );
        // A third party consulted from 2026-03-02 (Mon) to 2026-03-06 (Fri): 3/3–3/6 skipped (4 days).
        let ev = [
            ClockEvent::Received {
                on: d("2026-02-11"),
            },
            ClockEvent::ConsultationSent {
                on: d("2026-03-02"),
                party: Party::ThirdParty,
            },
            ClockEvent::ConsultationAnswered {
                on: d("2026-03-06"),
            },
        ];
        let c = compute(&cal(), &ev, d("2026-03-06")).unwrap();
        assert_eq!(
            c.due_on,
            Some(d("2026-03-23")),
            "4 working days later: 3/18, 3/19, 3/20, 3/23"
        );
        // Extended by 20 working days after 3/23: 3/24–3/27 = 1–4, 3/30–4/3 = 5–9, 4/4–4/6 清明 off,
        // 4/7–4/10 = 10–13, 4/13–4/17 = 14–18, 4/20 = 19, 4/21 = 20.
        let mut ev2 = ev.to_vec();
        ev2.push(ClockEvent::Extended {
            on: d("2026-03-10"),
            working_days: 20,
        });
        let c = compute(&cal(), &ev2, d("2026-03-10")).unwrap();
        assert_eq!(c.due_on, Some(d("2026-04-21")));
        let mut ev3 = ev2.clone();
        ev3.push(ClockEvent::Extended {
            on: d("2026-03-11"),
            working_days: 5,
        });
        assert_eq!(
            compute(&cal(), &ev3, d("2026-03-11")),
            Err(ClockError::SecondExtension)
        );
        let over = [
            ClockEvent::Received {
                on: d("2026-02-11"),
            },
            ClockEvent::Extended {
                on: d("2026-03-02"),
                working_days: 21,
            },
        ];
        assert_eq!(
            compute(&cal(), &over, d("2026-03-02")),
            Err(ClockError::ExtensionTooLong(21))
        );
    }

    #[test]
    fn silent_party_ends_the_wait_after_fifteen_working_days() {
        // Sent 2025-11-03 (Mon): 15 working days later is 2025-11-24; an answer on 12-01 counts as 11-24.
        let ev = [
            ClockEvent::Received {
                on: d("2025-10-27"),
            },
            ClockEvent::ConsultationSent {
                on: d("2025-11-03"),
                party: Party::OtherBody,
            },
            ClockEvent::ConsultationAnswered {
                on: d("2025-12-01"),
            },
        ];
        let c = compute(&cal(), &ev, d("2025-12-01")).unwrap();
        assert!(
            c.explanation
                .iter()
                .any(|l| l.contains("视为同意") && l.contains("2025-11-24")),
            "{:?}",
            c.explanation
        );
        let answered_on_limit = [
            ev[0].clone(),
            ev[1].clone(),
            ClockEvent::ConsultationAnswered {
                on: d("2025-11-24"),
            },
        ];
        assert_eq!(
            c.due_on,
            compute(&cal(), &answered_on_limit, d("2025-12-01"))
                .unwrap()
                .due_on
        );
    }

    #[test]
    fn unknown_years_are_refused() {
        let ev = [ClockEvent::Received {
            on: d("2026-12-10"),
        }];
        assert_eq!(
            compute(&cal(), &ev, d("2026-12-10")),
            Err(ClockError::Calendar(CalendarError::MissingYear(2027)))
        );
    }

    #[test]
    fn fees_follow_the_2020_rules() {
        assert_eq!(fee_per_page(250), 4_700, "70×10 + 100×20 + 50×40");
        assert_eq!(fee_per_page(30), 0);
        assert_eq!(fee_per_page(31), 10);
        assert_eq!(fee_per_page(100), 700);
        assert_eq!(fee_per_page(101), 720);
        assert_eq!(fee_per_page(200), 2_700);
        assert_eq!(fee_per_page(201), 2_740);
        for (n, y) in [
            (1, 0),
            (10, 0),
            (11, 100),
            (30, 100),
            (31, 200),
            (40, 200),
            (41, 300),
            (50, 300),
            (51, 400),
            (60, 400),
            (61, 500),
        ] {
            assert_eq!(fee_per_application(n), y, "application #{n}");
        }
        assert_eq!(fee(FeeBasis::PerPage { pages: 250 }), 4_700);
        assert_eq!(fee(FeeBasis::PerApplication { nth_in_month: 35 }), 200);
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        (0i64..2400).prop_map(|o| d("2019-01-01") + chrono::Duration::days(o))
    }

    proptest! {
        #[test]
        fn due_dates_are_working_days_and_pauses_never_shorten(start in any_date(), pause_at in 1i64..20, pause_len in 0i64..25, ext in 0u32..=20) {
            let cal = cal();
            let mut ev = vec![ClockEvent::Received { on: start }];
            let base = compute(&cal, &ev, start).unwrap();
            let due = base.due_on.unwrap();
            prop_assert!(cal.is_working_day(due).unwrap());
            let s = start + chrono::Duration::days(pause_at);
            ev.push(ClockEvent::ConsultationSent { on: s, party: Party::ThirdParty });
            ev.push(ClockEvent::ConsultationAnswered { on: s + chrono::Duration::days(pause_len) });
            let paused = compute(&cal, &ev, start).unwrap();
            prop_assert!(paused.due_on.unwrap() >= due, "a pause never shortens the deadline");
            prop_assert!(cal.is_working_day(paused.due_on.unwrap()).unwrap());
            if ext > 0 {
                ev.push(ClockEvent::Extended { on: s + chrono::Duration::days(pause_len), working_days: ext });
                let extended = compute(&cal, &ev, start).unwrap();
                prop_assert!(extended.due_on.unwrap() > paused.due_on.unwrap());
                prop_assert_eq!(cal.working_days_between(paused.due_on.unwrap(), extended.due_on.unwrap()).unwrap(), ext);
                ev.push(ClockEvent::Extended { on: s + chrono::Duration::days(pause_len), working_days: 1 });
                prop_assert_eq!(compute(&cal, &ev, start), Err(ClockError::SecondExtension));
            }
        }
    }
}

labelled!(
    /// Applicant types: the columns of the annual report's table 三.
    ApplicantType {
        Natural => "natural", "自然人",
        Commercial => "commercial", "商业企业",
        Research => "research", "科研机构",
        PublicInterest => "public_interest", "社会公益组织",
        Legal => "legal", "法律服务机构",
        OtherOrg => "other_org", "其他",
    }
);

labelled!(
    /// How an application arrived (条例第三十一条 decides its received date).
    Channel {
        Online => "online", "网上申请",
        InPerson => "in_person", "当面提交",
        RegisteredPost => "registered_post", "挂号信、特快专递",
        OrdinaryPost => "ordinary_post", "平常信函",
        Fax => "fax", "传真",
        Oral => "oral", "口头提出（由工作人员代为填写）",
    }
);

labelled!(
    /// The state of a case.
    CaseStatus {
        Pending => "pending", "待登记",
        Handling => "handling", "办理中",
        Correcting => "correcting", "补正中",
        Consulting => "consulting", "征求意见中",
        AwaitingFee => "awaiting_fee", "待缴费",
        Replied => "replied", "已答复",
        Closed => "closed", "已办结",
        Abandoned => "abandoned", "视为放弃",
        Withdrawn => "withdrawn", "申请人撤回",
        Transferred => "transferred", "转办",
    }
);

labelled!(
    /// The reply's type (条例第三十六条至第三十九条). Each counts under exactly one row of the
    /// annual report's table 三 (see [`ReplyType::report_row`]).
    ReplyType {
        AlreadyPublic => "already_public", "已主动公开，告知获取方式",
        Disclosed => "disclosed", "予以公开",
        Partial => "partial", "部分公开（区分处理）",
        WithheldSecret => "withheld_secret", "不予公开：属于国家秘密",
        WithheldLaw => "withheld_law", "不予公开：其他法律行政法规禁止公开",
        WithheldSecurity => "withheld_security", "不予公开：危及“三安全一稳定”",
        WithheldThirdParty => "withheld_third_party", "不予公开：保护第三方合法权益",
        WithheldInternal => "withheld_internal", "不予公开：属于三类内部事务信息",
        WithheldProcess => "withheld_process", "不予公开：属于四类过程性信息",
        WithheldEnforcement => "withheld_enforcement", "不予公开：属于行政执法案卷",
        WithheldQuery => "withheld_query", "不予公开：属于行政查询事项",
        NotHeld => "not_held", "无法提供：本机关不掌握相关政府信息",
        NotThisBody => "not_this_body", "无法提供：不属于本机关负责公开（告知应当受理的机关）",
        NeedsCreation => "needs_creation", "无法提供：没有现成信息需要另行制作",
        StillUnclear => "still_unclear", "无法提供：补正后申请内容仍不明确",
        Complaint => "complaint", "不予处理：信访举报投诉类申请",
        Repeat => "repeat", "不予处理：重复申请",
        Publication => "publication", "不予处理：要求提供公开出版物",
        Excessive => "excessive", "不予处理：无正当理由大量反复申请",
        Reconfirm => "reconfirm", "不予处理：要求行政机关确认或重新出具已获取信息",
        NoCorrection => "no_correction", "其他处理：申请人无正当理由逾期不补正",
        FeeUnpaid => "fee_unpaid", "其他处理：申请人逾期未缴纳费用",
        OtherHandling => "other_handling", "其他处理：其他",
    }
);

impl ReplyType {
    /// The annual report's table 三 row (国办公开办函〔2021〕30号), e.g. "三（三）4".
    pub fn report_row(self) -> &'static str {
        use ReplyType::*;
        match self {
            AlreadyPublic | Disclosed => "（一）予以公开",
            Partial => "（二）部分公开",
            WithheldSecret => "（三）不予公开 1.属于国家秘密",
            WithheldLaw => "（三）不予公开 2.其他法律行政法规禁止公开",
            WithheldSecurity => "（三）不予公开 3.危及“三安全一稳定”",
            WithheldThirdParty => "（三）不予公开 4.保护第三方合法权益",
            WithheldInternal => "（三）不予公开 5.属于三类内部事务信息",
            WithheldProcess => "（三）不予公开 6.属于四类过程性信息",
            WithheldEnforcement => "（三）不予公开 7.属于行政执法案卷",
            WithheldQuery => "（三）不予公开 8.属于行政查询事项",
            NotHeld | NotThisBody => "（四）无法提供 1.本机关不掌握相关政府信息",
            NeedsCreation => "（四）无法提供 2.没有现成信息需要另行制作",
            StillUnclear => "（四）无法提供 3.补正后申请内容仍不明确",
            Complaint => "（五）不予处理 1.信访举报投诉类申请",
            Repeat => "（五）不予处理 2.重复申请",
            Publication => "（五）不予处理 3.要求提供公开出版物",
            Excessive => "（五）不予处理 4.无正当理由大量反复申请",
            Reconfirm => "（五）不予处理 5.要求行政机关确认或重新出具已获取信息",
            NoCorrection => {
                "（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"
            }
            FeeUnpaid => {
                "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请"
            }
            OtherHandling => "（六）其他处理 3.其他",
        }
    }

    /// The legal basis cited in the reply letter.
    pub fn legal_basis(self) -> &'static str {
        use ReplyType::*;
        match self {
            AlreadyPublic => "《中华人民共和国政府信息公开条例》第三十六条第（一）项",
            Disclosed => "《中华人民共和国政府信息公开条例》第三十六条第（二）项",
            Partial => "《中华人民共和国政府信息公开条例》第三十七条",
            WithheldSecret | WithheldLaw | WithheldSecurity => {
                "《中华人民共和国政府信息公开条例》第十四条、第三十六条第（三）项"
            }
            WithheldThirdParty => {
                "《中华人民共和国政府信息公开条例》第十五条、第三十六条第（三）项"
            }
            WithheldInternal => {
                "《中华人民共和国政府信息公开条例》第十六条第一款、第三十六条第（三）项"
            }
            WithheldProcess | WithheldEnforcement => {
                "《中华人民共和国政府信息公开条例》第十六条第二款、第三十六条第（三）项"
            }
            WithheldQuery => "《中华人民共和国政府信息公开条例》第三十六条第（七）项",
            NotHeld => "《中华人民共和国政府信息公开条例》第三十六条第（四）项",
            NotThisBody => "《中华人民共和国政府信息公开条例》第三十六条第（五）项",
            NeedsCreation => "《中华人民共和国政府信息公开条例》第三十八条",
            StillUnclear => "《中华人民共和国政府信息公开条例》第三十条",
            Complaint => "《中华人民共和国政府信息公开条例》第三十九条第一款",
            Repeat => "《中华人民共和国政府信息公开条例》第三十六条第（六）项",
            Publication => "《中华人民共和国政府信息公开条例》第三十九条第二款",
            Excessive => "《中华人民共和国政府信息公开条例》第三十五条",
            Reconfirm => "《中华人民共和国政府信息公开条例》第三十九条第二款",
            NoCorrection => "《中华人民共和国政府信息公开条例》第三十条",
            FeeUnpaid => "《政府信息公开信息处理费管理办法》（国办函〔2020〕109号）",
            OtherHandling => "《中华人民共和国政府信息公开条例》",
        }
    }
}

/// Every reply letter names the appeal routes (条例第五十一条; 行政复议法, 行政诉讼法).
pub const APPEAL_ROUTES: &str = "如对本答复不服，可以自收到本答复之日起60日内依法申请行政复议，或者自收到本答复之日起6个月内依法提起行政诉讼。";

/// 条例第三十一条: the received date for each channel. `submitted_on` is the day handed in or
/// submitted online; `signed_on` the day registered post was signed for; `confirmed_on` the day
/// the office confirmed an ordinary letter, a fax or an online application with the applicant.
/// For online applications not yet confirmed, the configurable default confirms on the day of
/// submission when it is a working day, otherwise on the next working day.
pub fn received_on(
    cal: &Calendar,
    channel: Channel,
    submitted_on: NaiveDate,
    signed_on: Option<NaiveDate>,
    confirmed_on: Option<NaiveDate>,
) -> Result<NaiveDate, CalendarError> {
    Ok(match channel {
        Channel::InPerson | Channel::Oral => submitted_on,
        Channel::RegisteredPost => signed_on.unwrap_or(submitted_on),
        Channel::OrdinaryPost | Channel::Fax => confirmed_on.unwrap_or(submitted_on),
        Channel::Online => match confirmed_on {
            Some(d) => d,
            None => cal.next_working_day_on_or_after(submitted_on)?,
        },
    })
}

/// The day a step taken on `on` counts on for the clock. An online application handed in on a
/// rest day counts as received on the next working day (条例第三十一条, [`received_on`]), yet the
/// office may act on it at once (or the step is dated on the rest day because that is today):
/// a step dated in the rest days just before the day the application counts as received on
/// counts on that day, so no step comes before the receipt. Any other date is left as it is
/// (a step dated before the application arrived is refused by [`compute`] as out of order).
pub fn step_day(
    cal: &Calendar,
    on: NaiveDate,
    received: NaiveDate,
) -> Result<NaiveDate, CalendarError> {
    if on < received && cal.next_working_day_on_or_after(on)? == received {
        Ok(received)
    } else {
        Ok(on)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod vocabulary_tests {
    use super::*;

    #[test]
    fn every_reply_type_counts_under_one_report_row() {
        for t in ReplyType::ALL {
            assert!(!t.report_row().is_empty());
            assert!(t.legal_basis().contains("条例") || t.legal_basis().contains("109号"));
        }
        assert!(ReplyType::Partial.report_row().starts_with("（二）"));
        assert!(
            ReplyType::WithheldThirdParty
                .report_row()
                .contains("4.保护第三方")
        );
        assert!(
            ReplyType::NotThisBody
                .report_row()
                .contains("（四）无法提供 1.")
        );
    }

    #[test]
    fn received_dates_follow_article_31() {
        let cal = Calendar::builtin();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        // Online on Saturday 2025-10-04 (National Day holiday): confirmed on the next working day.
        assert_eq!(
            received_on(&cal, Channel::Online, d("2025-10-04"), None, None).unwrap(),
            d("2025-10-09")
        );
        // Online on a working day: that day.
        assert_eq!(
            received_on(&cal, Channel::Online, d("2025-10-10"), None, None).unwrap(),
            d("2025-10-10")
        );
        // Registered post: the day it was signed for.
        assert_eq!(
            received_on(
                &cal,
                Channel::RegisteredPost,
                d("2025-10-10"),
                Some(d("2025-10-13")),
                None
            )
            .unwrap(),
            d("2025-10-13")
        );
        // Ordinary post: the day the office confirmed it with the applicant.
        assert_eq!(
            received_on(
                &cal,
                Channel::OrdinaryPost,
                d("2025-10-10"),
                None,
                Some(d("2025-10-14"))
            )
            .unwrap(),
            d("2025-10-14")
        );
        assert_eq!(
            received_on(&cal, Channel::InPerson, d("2025-10-11"), None, None).unwrap(),
            d("2025-10-11")
        );
    }
}

/// Identity documents accepted on the form.
pub const ID_TYPES: &[&str] = &[
    "居民身份证",
    "统一社会信用代码",
    "护照",
    "港澳居民来往内地通行证",
    "台湾居民来往大陆通行证",
    "其他",
];

/// The form in which the information is wanted (载体形式); empty means the first.
pub const FORMS_WANTED: &[&str] = &["电子数据", "纸质文本"];

/// Delivery of the reply.
pub const DELIVERIES: &[(&str, &str)] = &[
    ("email", "电子邮件"),
    ("post", "邮寄"),
    ("pickup", "自行领取"),
    ("online", "在线查看"),
];

/// How a notice reaches its addressee (送达方式), for the delivery record.
pub const DELIVERY_METHODS: &[(&str, &str)] = &[
    ("email", "电子邮件"),
    ("post", "邮寄"),
    ("pickup", "自行领取"),
    ("online", "在线查看"),
    ("in_person", "当面送达"),
];

/// The label of a delivery method.
pub fn delivery_method_label(key: &str) -> &'static str {
    DELIVERY_METHODS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, l)| *l)
        .unwrap_or("")
}

/// An amount in fen as yuan: "100元", "12.50元".
pub fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        format!("{}元", fen / 100)
    } else {
        format!("{}.{:02}元", fen / 100, (fen % 100).abs())
    }
}

/// Parse an amount in yuan as typed ("100", "100.5", "100.00", "100元") into fen.
pub fn parse_yuan(s: &str) -> Option<i64> {
    let s = s.trim().trim_end_matches('元').trim();
    let (int, frac) = s.split_once('.').unwrap_or((s, ""));
    if int.is_empty()
        || int.len() > 9
        || frac.len() > 2
        || !int.chars().all(|c| c.is_ascii_digit())
        || !frac.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let yuan: i64 = int.parse().ok()?;
    let fen: i64 = format!("{frac:0<2}").parse().ok()?;
    Some(yuan * 100 + fen)
}

/// An application form as typed (public form, API or staff registration).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApplicationInput {
    /// 0 = "not sure": the government office routes it.
    pub body_id: i64,
    pub applicant_type: String,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub description: String,
    pub doc_no: String,
    pub form_wanted: String,
    pub delivery: String,
}

/// The validated form; the identity number and contacts are still plain here (the caller seals them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidApplication {
    pub body_id: Option<i64>,
    pub applicant_type: ApplicantType,
    pub name: String,
    pub id_type: String,
    pub id_number: String,
    pub contact: String,
    pub description: String,
    pub doc_no: String,
    pub form_wanted: String,
    pub delivery: String,
}

impl ApplicationInput {
    pub fn validate(&self) -> Result<ValidApplication, crate::body::FieldErrors> {
        let mut e: crate::body::FieldErrors = Vec::new();
        let applicant_type = ApplicantType::parse(&self.applicant_type);
        if applicant_type.is_none() {
            e.push(("applicant_type", "请选择申请人类型".into()));
        }
        let name = self.name.trim().to_string();
        if name.is_empty() {
            e.push(("name", "请填写申请人姓名或名称".into()));
        } else if name.chars().count() > 100 {
            e.push(("name", "姓名或名称不能超过100个字".into()));
        }
        let id_type = self.id_type.trim().to_string();
        if !ID_TYPES.contains(&id_type.as_str()) {
            e.push(("id_type", "请选择身份证件类型".into()));
        }
        let id_number = self.id_number.trim().to_uppercase();
        if id_number.is_empty() {
            e.push(("id_number", "请填写证件号码".into()));
        } else if id_type == "居民身份证" {
            if let Err(err) = crate::codes::validate_resident_id(&id_number) {
                e.push(("id_number", format!("身份证号码无效：{err}")));
            }
        } else if id_type == "统一社会信用代码"
            && !crate::codes::OrgCode::parse(&id_number)
                .is_ok_and(|c| c.kind == crate::codes::OrgCodeKind::UnifiedSocialCreditCode)
        {
            e.push(("id_number", "统一社会信用代码无效，请核对".into()));
        } else if id_number.chars().count() > 40 {
            e.push(("id_number", "证件号码过长".into()));
        }
        let phone = self.phone.trim().to_string();
        let email = self.email.trim().to_string();
        let address = self.address.trim().to_string();
        if phone.is_empty() && email.is_empty() && address.is_empty() {
            e.push((
                "phone",
                "请至少填写一种联系方式（电话、电子邮箱或通信地址）".into(),
            ));
        }
        if !phone.is_empty()
            && !phone
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '-' | ' ' | '+' | '(' | ')'))
        {
            e.push(("phone", "联系电话只能包含数字和“-”".into()));
        }
        if !(email.is_empty() || (email.contains('@') && email.contains('.'))) {
            e.push(("email", "电子邮箱格式不正确".into()));
        }
        let description = self.description.trim().to_string();
        if description.chars().count() < 5 {
            e.push((
                "description",
                "请具体描述所需政府信息（名称、文号或其他特征），至少5个字".into(),
            ));
        } else if description.chars().count() > 5000 {
            e.push(("description", "描述不能超过5000字".into()));
        }
        let form = self.form_wanted.trim();
        if !form.is_empty() && !FORMS_WANTED.contains(&form) {
            e.push((
                "form_wanted",
                "请选择获取信息的载体形式（电子数据或纸质文本）".into(),
            ));
        }
        let delivery = self.delivery.trim().to_string();
        if !DELIVERIES.iter().any(|(k, _)| *k == delivery) {
            e.push(("delivery", "请选择获取信息的方式".into()));
        } else if delivery == "email" && email.is_empty() {
            e.push(("email", "选择电子邮件方式时须填写电子邮箱".into()));
        } else if delivery == "post" && address.is_empty() {
            e.push(("address", "选择邮寄方式时须填写通信地址".into()));
        }
        if !e.is_empty() {
            return Err(e);
        }
        let contact =
            serde_json::json!({"phone": phone, "email": email, "address": address}).to_string();
        Ok(ValidApplication {
            body_id: (self.body_id > 0).then_some(self.body_id),
            applicant_type: applicant_type.unwrap_or(ApplicantType::Natural),
            name,
            id_type,
            id_number,
            contact,
            description,
            doc_no: self.doc_no.trim().to_string(),
            form_wanted: match self.form_wanted.trim() {
                "" => FORMS_WANTED[0].to_string(),
                f => f.to_string(),
            },
            delivery,
        })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod money_tests {
    use super::*;

    #[test]
    fn amounts_in_yuan_are_parsed_exactly() {
        assert_eq!(parse_yuan("100"), Some(10_000));
        assert_eq!(parse_yuan(" 100元 "), Some(10_000));
        assert_eq!(parse_yuan("4700.5"), Some(470_050));
        assert_eq!(parse_yuan("0.05"), Some(5));
        for bad in ["", "-1", "1.234", "1e3", "一百", ".5", "1,000"] {
            assert_eq!(parse_yuan(bad), None, "{bad}");
        }
        assert_eq!(yuan(10_000), "100元");
        assert_eq!(yuan(470_050), "4700.50元");
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod input_tests {
    use super::*;

    fn ok() -> ApplicationInput {
        ApplicationInput {
            body_id: 3,
            applicant_type: "natural".into(),
            name: "李明".into(),
            id_type: "居民身份证".into(),
            id_number: "11010519491231002x".into(),
            phone: "13800000000".into(),
            description: "2024年城区道路改造工程的招标文件".into(),
            delivery: "online".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_complete_form_validates() {
        let v = ok().validate().unwrap();
        assert_eq!(v.id_number, "11010519491231002X");
        assert_eq!(v.body_id, Some(3));
    }

    #[test]
    fn bad_input_is_reported_per_field() {
        let mut i = ok();
        i.id_number = "110105194912310021".into();
        i.description = "要".into();
        i.delivery = "email".into();
        i.phone = String::new();
        let fields: Vec<_> = i
            .validate()
            .unwrap_err()
            .into_iter()
            .map(|(f, _)| f)
            .collect();
        for f in ["id_number", "description", "email"] {
            assert!(fields.contains(&f), "{f} in {fields:?}");
        }
    }
}

/// How alike two descriptions of requested information are: the Jaccard index of their sets of
/// character bigrams (punctuation and spaces ignored), from 0 to 1. Chinese descriptions of the
/// same information share most bigrams however they are worded.
pub fn similarity(a: &str, b: &str) -> f64 {
    fn grams(s: &str) -> std::collections::BTreeSet<(char, char)> {
        let chars: Vec<char> = s.chars().filter(|c| c.is_alphanumeric()).collect();
        chars.windows(2).map(|w| (w[0], w[1])).collect()
    }
    let (x, y) = (grams(a), grams(b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let inter = x.intersection(&y).count() as f64;
    inter / (x.len() as f64 + y.len() as f64 - inter)
}

/// Descriptions at least this similar are "similar information" (重复申请, 第四十四条).
pub const SIMILAR: f64 = 0.5;

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod similarity_tests {
    use super::*;

    #[test]
    fn same_information_in_other_words_is_similar() {
        let a = "2024年城区道路改造工程的招标文件";
        let b = "城区道路改造工程2024年招标文件";
        let c = "青山镇低保对象名单";
        assert!(similarity(a, a) > 0.99);
        assert!(similarity(a, b) >= SIMILAR, "{}", similarity(a, b));
        assert!(similarity(a, c) < 0.2, "{}", similarity(a, c));
        assert_eq!(similarity("", a), 0.0);
    }
}
