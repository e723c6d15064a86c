//! The Chinese working-day calendar: which dates are working days (工作日) under the
//! State Council's yearly holiday notices, and the deadline arithmetic built on it
//! (counting working days, calendar-day periods, and their plain-language explanation).
//!
//! Holiday data uses the public holiday-cn JSON format; 2019–2026 ship embedded.
//! A year whose notice is not loaded is never guessed: every computation touching it
//! fails with [`CalendarError::MissingYear`].

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde_json::{Map, Value, json};

/// The embedded holiday-cn files (Chinese State Council notices, one file per year).
const BUILTIN_YEARS: [(i32, &str); 8] = [
    (2019, include_str!("../data/holiday-cn/2019.json")),
    (2020, include_str!("../data/holiday-cn/2020.json")),
    (2021, include_str!("../data/holiday-cn/2021.json")),
    (2022, include_str!("../data/holiday-cn/2022.json")),
    (2023, include_str!("../data/holiday-cn/2023.json")),
    (2024, include_str!("../data/holiday-cn/2024.json")),
    (2025, include_str!("../data/holiday-cn/2025.json")),
    (2026, include_str!("../data/holiday-cn/2026.json")),
];

/// Errors of calendar loading and working-day arithmetic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// The computation needs a year whose holiday notice is not loaded.
    #[error(
        "{0}年的节假日安排尚未载入，无法计算工作日，请先导入该年度的日历（gongkai calendar import）"
    )]
    MissingYear(i32),
    /// Holiday data that is not valid holiday-cn JSON or violates its invariants.
    #[error("日历数据格式错误：{0}")]
    Parse(String),
    /// The date arithmetic left chrono's representable range.
    #[error("日期超出可计算的范围")]
    OutOfRange,
}

/// One entry of a holiday notice: a holiday off day, or a weekend day made a working day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecialDay {
    /// The holiday the entry belongs to, e.g. "国庆节、中秋节".
    pub name: String,
    /// `true`: 放假 (off day); `false`: 调休上班 (working day).
    pub off: bool,
}

/// The holiday arrangement of one year, as published by the State Council.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearData {
    pub year: i32,
    /// URLs of the notices the data is taken from.
    pub papers: Vec<String>,
    pub days: BTreeMap<NaiveDate, SpecialDay>,
}

/// How a single date is classified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayKind {
    /// An ordinary Monday–Friday.
    Workday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A day off under a holiday notice (may fall on any weekday).
    Holiday { name: String },
    /// A Saturday or Sunday the notice makes a working day (调休上班).
    AdjustedWorkday { name: String },
}

impl DayKind {
    /// Whether the day counts as a working day.
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::AdjustedWorkday { .. })
    }
}

/// A set of loaded years of holiday data; computations outside them fail.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Calendar {
    years: BTreeMap<i32, YearData>,
}

/// The Chinese name of a weekday, e.g. "星期六".
pub fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn parse_error(msg: impl Into<String>) -> CalendarError {
    CalendarError::Parse(msg.into())
}

impl Calendar {
    /// The calendar with the embedded years 2019–2026.
    ///
    /// The embedded files are verified by tests; should one ever fail to parse, that
    /// year is left out (computations in it then fail with `MissingYear`) rather than
    /// panicking.
    pub fn builtin() -> Calendar {
        let mut cal = Calendar::empty();
        for (year, json) in BUILTIN_YEARS {
            if let Ok(data) = Calendar::parse_holiday_cn(json)
                && data.year == year
            {
                cal.insert_year(data);
            }
        }
        cal
    }

    /// A calendar with no years loaded: every computation fails with `MissingYear`.
    pub fn empty() -> Calendar {
        Calendar::default()
    }

    /// Parses one year in the holiday-cn format
    /// (`{"year":2026,"papers":[…],"days":[{"name":…,"date":"YYYY-MM-DD","isOffDay":bool},…]}`).
    ///
    /// Unknown keys (such as `$schema`, `$id`) are ignored. Validates that `year` is
    /// present, every date lies inside that year or in the previous December (where a
    /// notice's 元旦 arrangement may start), no date repeats, `isOffDay` is a
    /// boolean, names are non-empty and the list is not empty (every notice has at
    /// least 元旦). An off day on a weekday, or a working entry on a Monday–Friday,
    /// is accepted (the latter has no effect).
    pub fn parse_holiday_cn(json: &str) -> Result<YearData, CalendarError> {
        let value: Value = serde_json::from_str(json)
            .map_err(|e| parse_error(format!("不是有效的JSON（{e}）")))?;
        let obj = value
            .as_object()
            .ok_or_else(|| parse_error("顶层应为JSON对象"))?;

        let year_value = obj.get("year").ok_or_else(|| parse_error("缺少year字段"))?;
        let year = year_value
            .as_i64()
            .and_then(|y| i32::try_from(y).ok())
            .ok_or_else(|| parse_error("year字段应为整数年份"))?;
        if NaiveDate::from_ymd_opt(year, 1, 1).is_none()
            || NaiveDate::from_ymd_opt(year, 12, 31).is_none()
        {
            return Err(parse_error(format!("年份{year}超出支持的范围")));
        }

        let papers = match obj.get("papers") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(items)) => items
                .iter()
                .map(|p| p.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| parse_error("papers字段应为字符串数组"))?,
            Some(_) => return Err(parse_error("papers字段应为字符串数组")),
        };

        let entries = obj
            .get("days")
            .ok_or_else(|| parse_error("缺少days字段"))?
            .as_array()
            .ok_or_else(|| parse_error("days字段应为数组"))?;
        if entries.is_empty() {
            return Err(parse_error(format!(
                "{year}年的days为空，没有任何节假日安排"
            )));
        }

        let mut days = BTreeMap::new();
        for (i, entry) in entries.iter().enumerate() {
            let n = i + 1;
            let entry = entry
                .as_object()
                .ok_or_else(|| parse_error(format!("days第{n}条应为JSON对象")))?;
            let name = entry
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| parse_error(format!("days第{n}条缺少name字段")))?;
            if name.trim().is_empty() {
                return Err(parse_error(format!("days第{n}条的name为空")));
            }
            let date_str = entry
                .get("date")
                .and_then(Value::as_str)
                .ok_or_else(|| parse_error(format!("days第{n}条缺少date字段")))?;
            let date = NaiveDate::parse_from_str(date_str, "%Y-%m-%d").map_err(|_| {
                parse_error(format!("days第{n}条的日期“{date_str}”无效，应为YYYY-MM-DD"))
            })?;
            // The 元旦 holiday of a notice may begin in the previous December
            // (the 2019 notice covers 2018-12-29..31, the 2023 notice 2022-12-31).
            let previous_december = date.year() == year - 1 && date.month() == 12;
            if date.year() != year && !previous_december {
                return Err(parse_error(format!(
                    "days第{n}条的日期{date}不在{year}年内（仅允许上一年12月的元旦调休安排）"
                )));
            }
            let off = entry
                .get("isOffDay")
                .and_then(Value::as_bool)
                .ok_or_else(|| parse_error(format!("days第{n}条的isOffDay应为true或false")))?;
            let day = SpecialDay {
                name: name.to_owned(),
                off,
            };
            if days.insert(date, day).is_some() {
                return Err(parse_error(format!("日期{date}重复出现")));
            }
        }

        Ok(YearData { year, papers, days })
    }

    /// Loads a year, replacing any data already loaded for it.
    pub fn insert_year(&mut self, year: YearData) {
        self.years.insert(year.year, year);
    }

    /// Unloads a year; returns its data if it was loaded.
    pub fn remove_year(&mut self, year: i32) -> Option<YearData> {
        self.years.remove(&year)
    }

    /// The loaded years, ascending.
    pub fn years(&self) -> Vec<i32> {
        self.years.keys().copied().collect()
    }

    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The loaded data of one year.
    pub fn year_data(&self, year: i32) -> Option<&YearData> {
        self.years.get(&year)
    }

    /// The notice entry for `d`, if any.
    ///
    /// Requires the notice of `d`'s own year. A late-December date may also be arranged
    /// by the following year's notice (its 元旦 holiday); when that notice is loaded its
    /// entry takes precedence as the later document.
    fn special(&self, d: NaiveDate) -> Result<Option<&SpecialDay>, CalendarError> {
        // Never guess: a year without a loaded notice is refused, even for weekdays.
        let own = self
            .years
            .get(&d.year())
            .ok_or(CalendarError::MissingYear(d.year()))?;
        let from_next_notice = d
            .year()
            .checked_add(1)
            .and_then(|next| self.years.get(&next))
            .and_then(|next| next.days.get(&d));
        Ok(from_next_notice.or_else(|| own.days.get(&d)))
    }

    /// Classifies a date.
    pub fn day_kind(&self, d: NaiveDate) -> Result<DayKind, CalendarError> {
        let weekend = is_weekend(d);
        Ok(match self.special(d)? {
            Some(s) if s.off => DayKind::Holiday {
                name: s.name.clone(),
            },
            // 调休: a weekend day the notice declares a working day.
            Some(s) if weekend => DayKind::AdjustedWorkday {
                name: s.name.clone(),
            },
            // A "working" entry on Mon–Fri changes nothing.
            _ if weekend => DayKind::Weekend,
            _ => DayKind::Workday,
        })
    }

    /// Whether `d` is a working day: Mon–Fri not off, or a 调休 weekend working day.
    pub fn is_working_day(&self, d: NaiveDate) -> Result<bool, CalendarError> {
        Ok(match self.special(d)? {
            Some(s) => !s.off,
            None => !is_weekend(d),
        })
    }

    /// The date of the n-th working day after `start` (start not counted). n = 0 returns start unchanged.
    ///
    /// 民法典第二百零一条: the start day is not counted; counting starts the next day.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, CalendarError> {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if self.is_working_day(d)? {
                left -= 1;
            }
        }
        Ok(d)
    }

    /// Number of working days in the half-open interval (from, to]; 0 if to <= from.
    ///
    /// Every year in the interval must be loaded.
    pub fn working_days_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<u32, CalendarError> {
        let mut count: u32 = 0;
        let mut d = from;
        while d < to {
            d = d.succ_opt().ok_or(CalendarError::OutOfRange)?;
            if self.is_working_day(d)? {
                count = count.saturating_add(1);
            }
        }
        Ok(count)
    }

    /// d itself if it is a working day, else the next working day.
    pub fn next_working_day_on_or_after(&self, d: NaiveDate) -> Result<NaiveDate, CalendarError> {
        let mut d = d;
        while !self.is_working_day(d)? {
            d = d.succ_opt().ok_or(CalendarError::OutOfRange)?;
        }
        Ok(d)
    }

    /// 民法典第二百零三条: start + days calendar days; if that is not a working day, the next working day.
    ///
    /// 民法典第二百零一条: the start day is not counted, so the period ends on
    /// `start + days`. Only the year(s) from that end day to the resulting working day
    /// must be loaded; days inside the period do not matter for calendar-day periods.
    pub fn add_calendar_days_period(
        &self,
        start: NaiveDate,
        days: u32,
    ) -> Result<NaiveDate, CalendarError> {
        let end = start
            .checked_add_days(Days::new(u64::from(days)))
            .ok_or(CalendarError::OutOfRange)?;
        // 民法典第二百零三条: a last day on a statutory holiday moves to the day after the holiday ends.
        self.next_working_day_on_or_after(end)
    }

    /// A one-line Chinese explanation of how the date is classified, e.g.
    /// "2025-10-11 星期六：调休上班（国庆节、中秋节），是工作日".
    pub fn explain(&self, d: NaiveDate) -> Result<String, CalendarError> {
        let head = format!("{} {}", d.format("%Y-%m-%d"), weekday_zh(d.weekday()));
        Ok(match self.day_kind(d)? {
            DayKind::Workday => format!("{head}：工作日"),
            DayKind::Weekend => format!("{head}：周末休息，不是工作日"),
            DayKind::Holiday { name } => format!("{head}：{name} 放假，不是工作日"),
            DayKind::AdjustedWorkday { name } => {
                format!("{head}：调休上班（{name}），是工作日")
            }
        })
    }
}

impl YearData {
    /// Serialises to the holiday-cn JSON format (pretty-printed, days sorted by date);
    /// round-trips through [`Calendar::parse_holiday_cn`].
    pub fn to_holiday_cn_json(&self) -> String {
        let days: Vec<Value> = self
            .days
            .iter()
            .map(|(date, day)| {
                json!({
                    "name": day.name,
                    "date": date.format("%Y-%m-%d").to_string(),
                    "isOffDay": day.off,
                })
            })
            .collect();
        let mut obj = Map::new();
        obj.insert("year".to_owned(), json!(self.year));
        obj.insert("papers".to_owned(), json!(self.papers));
        obj.insert("days".to_owned(), Value::Array(days));
        format!("{:#}", Value::Object(obj))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::builtin()
    }

    /// Inclusive date range as a vector.
    fn range(from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
        from.iter_days().take_while(|x| *x <= to).collect()
    }

    // The arrangements as stated in the State Council notices (independent of the JSON files).
    fn off_ranges_2025() -> Vec<(NaiveDate, NaiveDate)> {
        vec![
            (d(2025, 1, 1), d(2025, 1, 1)),
            (d(2025, 1, 28), d(2025, 2, 4)),
            (d(2025, 4, 4), d(2025, 4, 6)),
            (d(2025, 5, 1), d(2025, 5, 5)),
            (d(2025, 5, 31), d(2025, 6, 2)),
            (d(2025, 10, 1), d(2025, 10, 8)),
        ]
    }
    fn adjusted_2025() -> Vec<NaiveDate> {
        vec![
            d(2025, 1, 26),
            d(2025, 2, 8),
            d(2025, 4, 27),
            d(2025, 9, 28),
            d(2025, 10, 11),
        ]
    }
    fn off_ranges_2026() -> Vec<(NaiveDate, NaiveDate)> {
        vec![
            (d(2026, 1, 1), d(2026, 1, 3)),
            (d(2026, 2, 15), d(2026, 2, 23)),
            (d(2026, 4, 4), d(2026, 4, 6)),
            (d(2026, 5, 1), d(2026, 5, 5)),
            (d(2026, 6, 19), d(2026, 6, 21)),
            (d(2026, 9, 25), d(2026, 9, 27)),
            (d(2026, 10, 1), d(2026, 10, 7)),
        ]
    }
    fn adjusted_2026() -> Vec<NaiveDate> {
        vec![
            d(2026, 1, 4),
            d(2026, 2, 14),
            d(2026, 2, 28),
            d(2026, 5, 9),
            d(2026, 9, 20),
            d(2026, 10, 10),
        ]
    }

    #[test]
    fn all_builtin_years_load() {
        for (year, json) in BUILTIN_YEARS {
            let data = Calendar::parse_holiday_cn(json).unwrap();
            assert_eq!(data.year, year);
            assert!(!data.days.is_empty());
            assert!(!data.papers.is_empty());
        }
        assert_eq!(
            cal().years(),
            vec![2019, 2020, 2021, 2022, 2023, 2024, 2025, 2026]
        );
        assert!(cal().has_year(2019));
        assert!(!cal().has_year(2027));
    }

    #[test]
    fn holiday_ranges_and_adjusted_days_classify() {
        let c = cal();
        for (from, to) in off_ranges_2025().into_iter().chain(off_ranges_2026()) {
            for day in range(from, to) {
                assert!(
                    matches!(c.day_kind(day).unwrap(), DayKind::Holiday { .. }),
                    "{day} should be a holiday"
                );
                assert!(!c.is_working_day(day).unwrap(), "{day}");
            }
        }
        for day in adjusted_2025().into_iter().chain(adjusted_2026()) {
            assert!(is_weekend(day), "{day} is a weekend day");
            assert!(
                matches!(c.day_kind(day).unwrap(), DayKind::AdjustedWorkday { .. }),
                "{day} should be 调休上班"
            );
            assert!(c.is_working_day(day).unwrap(), "{day}");
        }
    }

    /// Every day of 2025 and 2026 agrees with the notices as restated above.
    #[test]
    fn whole_years_match_the_notices() {
        let c = cal();
        let cases = [
            (2025, off_ranges_2025(), adjusted_2025()),
            (2026, off_ranges_2026(), adjusted_2026()),
        ];
        for (year, offs, adjusted) in cases {
            let mut working = 0;
            for day in range(d(year, 1, 1), d(year, 12, 31)) {
                let off = offs.iter().any(|(a, b)| *a <= day && day <= *b);
                let expected = if off {
                    false
                } else {
                    adjusted.contains(&day) || !is_weekend(day)
                };
                assert_eq!(c.is_working_day(day).unwrap(), expected, "{day}");
                working += u32::from(expected);
            }
            // 2025: 261 weekdays − 18 weekday holidays + 5 调休 = 248.
            // 2026: 261 weekdays − 19 weekday holidays + 6 调休 = 248.
            assert_eq!(working, 248, "{year}");
            assert_eq!(
                c.working_days_between(d(year - 1, 12, 31), d(year, 12, 31))
                    .unwrap(),
                248
            );
        }
    }

    #[test]
    fn new_year_arrangements_reaching_into_previous_december() {
        let c = cal();
        // 2023 notice: 元旦 off 2022-12-31 (Sat) .. 2023-01-02 (Mon).
        assert_eq!(
            c.day_kind(d(2022, 12, 31)).unwrap(),
            DayKind::Holiday {
                name: "元旦".into()
            }
        );
        assert_eq!(
            c.explain(d(2022, 12, 31)).unwrap(),
            "2022-12-31 星期六：元旦 放假，不是工作日"
        );
        assert!(!c.is_working_day(d(2023, 1, 2)).unwrap());
        // 2019 notice: 2018-12-29 (Sat) working, 12-30..2019-01-01 off. 2018 itself is not
        // loaded, so those dates are still refused ...
        assert_eq!(
            c.is_working_day(d(2018, 12, 31)),
            Err(CalendarError::MissingYear(2018))
        );
        // ... until a 2018 notice is imported; then the 2019 notice's entries apply.
        let mut c = c;
        let json2018 =
            r#"{"year":2018,"days":[{"name":"元旦","date":"2018-01-01","isOffDay":true}]}"#;
        c.insert_year(Calendar::parse_holiday_cn(json2018).unwrap());
        assert_eq!(
            c.day_kind(d(2018, 12, 29)).unwrap(),
            DayKind::AdjustedWorkday {
                name: "元旦".into()
            }
        );
        assert_eq!(
            c.day_kind(d(2018, 12, 31)).unwrap(),
            DayKind::Holiday {
                name: "元旦".into()
            }
        );
        // 2018-12-28 (Fri) + 1: 12-29 Sat 调休 =1.  + 2: 12-30..2019-01-01 off, 01-02 Wed =2.
        assert_eq!(
            c.add_working_days(d(2018, 12, 28), 1).unwrap(),
            d(2018, 12, 29)
        );
        assert_eq!(
            c.add_working_days(d(2018, 12, 28), 2).unwrap(),
            d(2019, 1, 2)
        );
    }

    #[test]
    fn day_kinds_and_names() {
        let c = cal();
        assert_eq!(
            c.day_kind(d(2025, 10, 11)).unwrap(),
            DayKind::AdjustedWorkday {
                name: "国庆节、中秋节".into()
            }
        );
        assert_eq!(
            c.day_kind(d(2026, 2, 16)).unwrap(),
            DayKind::Holiday {
                name: "春节".into()
            }
        );
        assert_eq!(c.day_kind(d(2025, 11, 26)).unwrap(), DayKind::Workday);
        assert_eq!(c.day_kind(d(2025, 11, 29)).unwrap(), DayKind::Weekend);
        assert!(DayKind::Workday.is_working());
        assert!(!DayKind::Weekend.is_working());
    }

    #[test]
    fn twenty_working_days_across_national_day_2025() {
        // Received 2025-09-26 (Fri); 民法典第二百零一条: counting starts 09-27.
        // 09-27 Sat off; 09-28 Sun 调休 =1; 09-29 Mon =2; 09-30 Tue =3;
        // 10-01..10-08 国庆节、中秋节 off; 10-09 Thu =4; 10-10 Fri =5; 10-11 Sat 调休 =6;
        // 10-12 Sun off; 10-13..10-17 =7..11; 10-20..10-24 =12..16; 10-27 =17, 10-28 =18,
        // 10-29 =19, 10-30 Thu =20.
        let c = cal();
        assert_eq!(
            c.add_working_days(d(2025, 9, 26), 20).unwrap(),
            d(2025, 10, 30)
        );
        assert_eq!(
            c.working_days_between(d(2025, 9, 26), d(2025, 10, 30))
                .unwrap(),
            20
        );
        // 7 working days: 10-13 (Mon) is the 7th, see above.
        assert_eq!(
            c.add_working_days(d(2025, 9, 26), 7).unwrap(),
            d(2025, 10, 13)
        );
    }

    #[test]
    fn twenty_working_days_across_spring_festival_2026() {
        // Received 2026-02-10 (Tue). 02-11 Wed =1; 02-12 =2; 02-13 Fri =3; 02-14 Sat 调休 =4;
        // 02-15..02-23 春节 off; 02-24 Tue =5; 02-25 =6; 02-26 =7; 02-27 Fri =8;
        // 02-28 Sat 调休 =9; 03-01 Sun off; 03-02..03-06 =10..14; 03-09..03-13 =15..19;
        // 03-16 Mon =20.
        let c = cal();
        assert_eq!(
            c.add_working_days(d(2026, 2, 10), 20).unwrap(),
            d(2026, 3, 16)
        );
        // The 7th is 02-26 (Thu).
        assert_eq!(
            c.add_working_days(d(2026, 2, 10), 7).unwrap(),
            d(2026, 2, 26)
        );
    }

    #[test]
    fn twenty_working_days_across_new_year_2026() {
        // Received 2025-12-25 (Thu). 12-26 Fri =1; 12-27/28 weekend; 12-29 Mon =2;
        // 12-30 =3; 12-31 Wed =4; 2026-01-01..01-03 元旦 off; 01-04 Sun 调休 =5;
        // 01-05..01-09 =6..10; 01-12..01-16 =11..15; 01-19..01-23 =16..20 → 01-23 (Fri).
        let c = cal();
        assert_eq!(
            c.add_working_days(d(2025, 12, 25), 20).unwrap(),
            d(2026, 1, 23)
        );
        // The 7th is 01-06 (Tue).
        assert_eq!(
            c.add_working_days(d(2025, 12, 25), 7).unwrap(),
            d(2026, 1, 6)
        );
    }

    #[test]
    fn seven_working_days_examples() {
        let c = cal();
        // Received 2025-04-30 (Wed). 05-01..05-05 劳动节 off; 05-06 Tue =1; 05-07 =2;
        // 05-08 =3; 05-09 Fri =4; 05-10/11 weekend; 05-12 =5; 05-13 =6; 05-14 Wed =7.
        assert_eq!(
            c.add_working_days(d(2025, 4, 30), 7).unwrap(),
            d(2025, 5, 14)
        );
        // Received 2025-01-24 (Fri). 01-25 Sat off; 01-26 Sun 调休 =1; 01-27 Mon =2;
        // 01-28..02-04 春节 off; 02-05 Wed =3; 02-06 =4; 02-07 Fri =5; 02-08 Sat 调休 =6;
        // 02-09 Sun off; 02-10 Mon =7.
        assert_eq!(
            c.add_working_days(d(2025, 1, 24), 7).unwrap(),
            d(2025, 2, 10)
        );
        // Received 2026-09-18 (Fri). 09-19 Sat off; 09-20 Sun 调休 =1; 09-21..09-24 =2..5;
        // 09-25..09-27 中秋节 off; 09-28 Mon =6; 09-29 Tue =7.
        assert_eq!(
            c.add_working_days(d(2026, 9, 18), 7).unwrap(),
            d(2026, 9, 29)
        );
        // Ordinary week: 2025-11-26 (Wed) → 11-27 =1, 11-28 =2, 12-01..12-05 =3..7 → 12-05.
        assert_eq!(
            c.add_working_days(d(2025, 11, 26), 7).unwrap(),
            d(2025, 12, 5)
        );
    }

    #[test]
    fn adjusted_weekend_counts_and_zero_is_identity() {
        let c = cal();
        // 2025-10-10 (Fri) + 1 working day = 10-11 (Sat, 调休上班).
        assert_eq!(
            c.add_working_days(d(2025, 10, 10), 1).unwrap(),
            d(2025, 10, 11)
        );
        // n = 0 returns start unchanged, even on a holiday.
        assert_eq!(
            c.add_working_days(d(2025, 10, 3), 0).unwrap(),
            d(2025, 10, 3)
        );
        assert_eq!(
            c.working_days_between(d(2025, 10, 30), d(2025, 9, 26))
                .unwrap(),
            0
        );
        assert_eq!(
            c.working_days_between(d(2025, 10, 1), d(2025, 10, 8))
                .unwrap(),
            0
        );
    }

    #[test]
    fn next_working_day_on_or_after() {
        let c = cal();
        assert_eq!(
            c.next_working_day_on_or_after(d(2025, 10, 1)).unwrap(),
            d(2025, 10, 9)
        );
        assert_eq!(
            c.next_working_day_on_or_after(d(2025, 9, 28)).unwrap(),
            d(2025, 9, 28)
        );
        assert_eq!(
            c.next_working_day_on_or_after(d(2026, 2, 15)).unwrap(),
            d(2026, 2, 24)
        );
    }

    #[test]
    fn calendar_day_periods() {
        let c = cal();
        // 民法典第二百零三条: 2025-09-16 + 15 days = 10-01 (国庆节) → 10-01..10-08 off → 10-09.
        assert_eq!(
            c.add_calendar_days_period(d(2025, 9, 16), 15).unwrap(),
            d(2025, 10, 9)
        );
        // 2025-09-13 + 15 = 09-28, a Sunday but 调休上班 → stays 09-28.
        assert_eq!(
            c.add_calendar_days_period(d(2025, 9, 13), 15).unwrap(),
            d(2025, 9, 28)
        );
        // 2025-11-14 + 15 = 11-29 (Sat) → 12-01 (Mon).
        assert_eq!(
            c.add_calendar_days_period(d(2025, 11, 14), 15).unwrap(),
            d(2025, 12, 1)
        );
        // 2025-11-11 + 15 = 11-26 (Wed), a working day.
        assert_eq!(
            c.add_calendar_days_period(d(2025, 11, 11), 15).unwrap(),
            d(2025, 11, 26)
        );
        // Ending in an unloaded year is refused.
        assert_eq!(
            c.add_calendar_days_period(d(2026, 12, 20), 15),
            Err(CalendarError::MissingYear(2027))
        );
    }

    #[test]
    fn explain_examples() {
        let c = cal();
        assert_eq!(
            c.explain(d(2025, 10, 11)).unwrap(),
            "2025-10-11 星期六：调休上班（国庆节、中秋节），是工作日"
        );
        assert_eq!(
            c.explain(d(2025, 10, 3)).unwrap(),
            "2025-10-03 星期五：国庆节、中秋节 放假，不是工作日"
        );
        assert_eq!(
            c.explain(d(2025, 11, 26)).unwrap(),
            "2025-11-26 星期三：工作日"
        );
        assert_eq!(
            c.explain(d(2025, 11, 29)).unwrap(),
            "2025-11-29 星期六：周末休息，不是工作日"
        );
        assert_eq!(
            c.explain(d(2026, 2, 22)).unwrap(),
            "2026-02-22 星期日：春节 放假，不是工作日"
        );
        assert_eq!(
            c.explain(d(2027, 1, 4)),
            Err(CalendarError::MissingYear(2027))
        );
    }

    #[test]
    fn unknown_years_are_refused() {
        let c = cal();
        assert_eq!(
            c.add_working_days(d(2027, 1, 5), 1),
            Err(CalendarError::MissingYear(2027))
        );
        // 2026-12-30 (Wed): 12-31 =1, then 2027-01-01 is unknown.
        assert_eq!(
            c.add_working_days(d(2026, 12, 30), 5),
            Err(CalendarError::MissingYear(2027))
        );
        assert_eq!(
            c.add_working_days(d(2026, 12, 30), 1).unwrap(),
            d(2026, 12, 31)
        );
        // Even a plain weekday is not guessed.
        assert_eq!(
            c.is_working_day(d(2018, 6, 1)),
            Err(CalendarError::MissingYear(2018))
        );
        assert_eq!(
            c.day_kind(d(2018, 12, 3)),
            Err(CalendarError::MissingYear(2018))
        );
        assert_eq!(
            c.add_working_days(d(2018, 12, 28), 1),
            Err(CalendarError::MissingYear(2018))
        );
        assert_eq!(
            c.working_days_between(d(2018, 12, 30), d(2019, 1, 5)),
            Err(CalendarError::MissingYear(2018))
        );
        assert_eq!(
            c.working_days_between(d(2026, 12, 1), d(2027, 1, 5)),
            Err(CalendarError::MissingYear(2027))
        );
        assert_eq!(
            Calendar::empty().is_working_day(d(2025, 11, 26)),
            Err(CalendarError::MissingYear(2025))
        );
        assert_eq!(
            CalendarError::MissingYear(2027).to_string(),
            "2027年的节假日安排尚未载入，无法计算工作日，请先导入该年度的日历（gongkai calendar import）"
        );
    }

    #[test]
    fn importing_a_year_enables_it_and_insert_replaces() {
        let mut c = cal();
        let json = r#"{"year":2027,"papers":[],"days":[
            {"name":"元旦","date":"2027-01-01","isOffDay":true}]}"#;
        c.insert_year(Calendar::parse_holiday_cn(json).unwrap());
        // 2026-12-30 (Wed): 12-31 =1; 2027-01-01 元旦 off; 01-02/03 weekend;
        // 01-04 Mon =2; 01-05 =3; 01-06 =4; 01-07 Thu =5.
        assert_eq!(
            c.add_working_days(d(2026, 12, 30), 5).unwrap(),
            d(2027, 1, 7)
        );
        // Replacing the year with one without 元旦 changes the answer.
        let json2 = r#"{"year":2027,"days":[
            {"name":"春节","date":"2027-02-06","isOffDay":false}]}"#;
        c.insert_year(Calendar::parse_holiday_cn(json2).unwrap());
        assert_eq!(c.year_data(2027).unwrap().days.len(), 1);
        assert!(c.is_working_day(d(2027, 1, 1)).unwrap());
        assert!(c.remove_year(2027).is_some());
        assert!(!c.has_year(2027));
    }

    #[test]
    fn parse_ignores_extra_keys_and_roundtrips() {
        let json = r#"{"$schema":"x","$id":"y","year":2025,"papers":["https://example.org"],
            "days":[{"name":"元旦","date":"2025-01-01","isOffDay":true,"extra":1},
                    {"name":"春节","date":"2025-01-26","isOffDay":false}]}"#;
        let y = Calendar::parse_holiday_cn(json).unwrap();
        assert_eq!(y.papers, vec!["https://example.org".to_string()]);
        assert_eq!(y.days.len(), 2);
        let back = Calendar::parse_holiday_cn(&y.to_holiday_cn_json()).unwrap();
        assert_eq!(back, y);
        for (_, json) in BUILTIN_YEARS {
            let y = Calendar::parse_holiday_cn(json).unwrap();
            assert_eq!(
                Calendar::parse_holiday_cn(&y.to_holiday_cn_json()).unwrap(),
                y
            );
        }
    }

    #[test]
    fn parse_rejects_bad_data() {
        let bad = [
            "not json",
            "[]",
            r#"{"days":[{"name":"元旦","date":"2025-01-01","isOffDay":true}]}"#,
            r#"{"year":"2025","days":[{"name":"元旦","date":"2025-01-01","isOffDay":true}]}"#,
            r#"{"year":2025}"#,
            r#"{"year":2025,"days":[]}"#,
            r#"{"year":2025,"days":[{"name":"元旦","date":"2026-01-01","isOffDay":true}]}"#,
            r#"{"year":2025,"days":[{"name":"元旦","date":"2024-11-30","isOffDay":true}]}"#,
            r#"{"year":2025,"days":[{"name":"元旦","date":"2025-02-30","isOffDay":true}]}"#,
            r#"{"year":2025,"days":[{"name":"元旦","date":"2025-01-01","isOffDay":"true"}]}"#,
            r#"{"year":2025,"days":[{"name":"元旦","date":"2025-01-01"}]}"#,
            r#"{"year":2025,"days":[{"name":"","date":"2025-01-01","isOffDay":true}]}"#,
            r#"{"year":2025,"papers":[1],"days":[{"name":"元旦","date":"2025-01-01","isOffDay":true}]}"#,
            r#"{"year":2025,"days":[{"name":"元旦","date":"2025-01-01","isOffDay":true},
                {"name":"元旦","date":"2025-01-01","isOffDay":false}]}"#,
        ];
        for json in bad {
            let err = Calendar::parse_holiday_cn(json).unwrap_err();
            assert!(matches!(err, CalendarError::Parse(_)), "{json}");
            assert!(err.to_string().starts_with("日历数据格式错误："));
        }
        // The previous December is accepted (元旦 arrangements).
        assert!(
            Calendar::parse_holiday_cn(
                r#"{"year":2025,"days":[{"name":"元旦","date":"2024-12-31","isOffDay":true}]}"#
            )
            .is_ok()
        );
        // Off weekdays and "working" Mon–Fri entries are accepted.
        let ok = r#"{"year":2025,"days":[{"name":"X","date":"2025-11-26","isOffDay":false},
            {"name":"Y","date":"2025-11-27","isOffDay":true}]}"#;
        let mut c = Calendar::empty();
        c.insert_year(Calendar::parse_holiday_cn(ok).unwrap());
        assert_eq!(c.day_kind(d(2025, 11, 26)).unwrap(), DayKind::Workday);
        assert_eq!(
            c.day_kind(d(2025, 11, 27)).unwrap(),
            DayKind::Holiday { name: "Y".into() }
        );
    }

    fn date_in_range() -> impl Strategy<Value = NaiveDate> {
        let first = d(2019, 1, 1);
        let span = (d(2026, 11, 30) - first).num_days();
        (0..=span).prop_map(move |o| first + chrono::Duration::days(o))
    }

    proptest! {
        #[test]
        fn result_is_a_working_day_and_counts_back(start in date_in_range(), n in 0u32..=60) {
            let c = cal();
            match c.add_working_days(start, n) {
                Ok(end) => {
                    if n >= 1 {
                        prop_assert!(c.is_working_day(end).unwrap());
                        prop_assert!(end > start);
                    } else {
                        prop_assert_eq!(end, start);
                    }
                    prop_assert_eq!(c.working_days_between(start, end).unwrap(), n);
                }
                // Only late-2026 starts may run past the loaded data.
                Err(e) => {
                    prop_assert_eq!(e, CalendarError::MissingYear(2027));
                    prop_assert!(start >= d(2026, 9, 1));
                }
            }
        }

        #[test]
        fn monotonic_in_n(start in date_in_range(), a in 0u32..=60, b in 0u32..=60) {
            let c = cal();
            let (n1, n2) = (a.min(b), a.max(b));
            match (c.add_working_days(start, n1), c.add_working_days(start, n2)) {
                (Ok(r1), Ok(r2)) => prop_assert!(r1 <= r2),
                (Ok(_), Err(e)) => prop_assert_eq!(e, CalendarError::MissingYear(2027)),
                (Err(e), r2) => {
                    prop_assert_eq!(&e, &CalendarError::MissingYear(2027));
                    prop_assert_eq!(r2, Err(e));
                }
            }
        }

        #[test]
        fn monotonic_in_start(a in date_in_range(), b in date_in_range(), n in 0u32..=60) {
            let c = cal();
            let (s1, s2) = (a.min(b), a.max(b));
            match (c.add_working_days(s1, n), c.add_working_days(s2, n)) {
                (Ok(r1), Ok(r2)) => prop_assert!(r1 <= r2),
                (Ok(_), Err(e)) => prop_assert_eq!(e, CalendarError::MissingYear(2027)),
                (Err(e), r2) => {
                    prop_assert_eq!(&e, &CalendarError::MissingYear(2027));
                    prop_assert_eq!(r2, Err(e));
                }
            }
        }

        #[test]
        fn calendar_period_end_is_working_and_not_early(start in date_in_range(), days in 0u32..=60) {
            let c = cal();
            if let Ok(end) = c.add_calendar_days_period(start, days) {
                prop_assert!(c.is_working_day(end).unwrap());
                prop_assert!(end >= start + chrono::Duration::days(i64::from(days)));
                prop_assert!(end == start + chrono::Duration::days(i64::from(days))
                    || c.working_days_between(start + chrono::Duration::days(i64::from(days)), end).unwrap() == 1);
            }
        }
    }
}
