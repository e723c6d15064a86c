//! The statutory annual report (政府信息公开工作年度报告, 条例第四十九条、第五十条) in the format of
//! 国办公开办函〔2021〕30号: the three tables computed from the records, their checks, the drafted
//! text sections, the due date and the whole report as Markdown. Pure: the store gathers the
//! facts, these functions count them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::application::{ApplicantType, ReplyType};
use crate::body::BodyKind;

/// The format a report was made in (the 2019 one only arrives by import).
pub const FORMAT_2021: &str = "国办公开办函〔2021〕30号";
pub const FORMAT_2019: &str = "国办公开办函〔2019〕60号";

/// The six section headings, in order.
pub const SECTION_TITLES: [&str; 6] = [
    "一、总体情况",
    "二、主动公开政府信息情况",
    "三、收到和处理政府信息公开申请情况",
    "四、政府信息公开行政复议、行政诉讼情况",
    "五、存在的主要问题及改进情况",
    "六、其他需要报告的事项",
];

/// The customary sub-headings of section 一.
pub const GENERAL_HEADINGS: [&str; 5] = [
    "（一）主动公开",
    "（二）依申请公开",
    "（三）政府信息管理",
    "（四）政府信息公开平台建设",
    "（五）监督保障",
];

// ---------------------------------------------------------------------------------------------
// Table 二
// ---------------------------------------------------------------------------------------------

/// Table 二: 第二十条第（一）、（五）、（六）、（八）项 — nine numbers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table2 {
    /// 规章: 本年制发件数, 本年废止件数, 现行有效件数.
    pub regulations: [i64; 3],
    /// 行政规范性文件: the same three.
    pub normative: [i64; 3],
    /// 行政许可 decisions (本年处理决定数量).
    pub license: i64,
    /// 行政处罚 and 行政强制 decisions.
    pub penalty: i64,
    pub coercion: i64,
    /// 行政事业性收费 in 万元, two decimals ("12.35"), as printed.
    pub fees_wan: String,
}

/// The column headings of table 二's first block.
pub const TABLE2_ART20_1_COLUMNS: [&str; 4] =
    ["信息内容", "本年制发件数", "本年废止件数", "现行有效件数"];

// ---------------------------------------------------------------------------------------------
// Table 三
// ---------------------------------------------------------------------------------------------

/// The seven columns of table 三 under 申请人情况.
pub const TABLE3_COLUMNS: [&str; 7] = [
    "自然人",
    "商业企业",
    "科研机构",
    "社会公益组织",
    "法律服务机构",
    "其他",
    "总计",
];

/// The text of table 三's top-left cell.
pub const TABLE3_CORNER: &str =
    "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）";

/// Index of the 总计 column.
pub const TOTAL_COLUMN: usize = 6;

/// The 25 numbered rows of table 三, in order: (label as printed, the `ReplyType::report_row` key
/// for result rows).
pub const TABLE3_ROWS: [(&str, Option<&str>); 25] = [
    ("一、本年新收政府信息公开申请数量", None),
    ("二、上年结转政府信息公开申请数量", None),
    ("（一）予以公开", Some("（一）予以公开")),
    (
        "（二）部分公开（区分处理的，只计这一情形，不计其他情形）",
        Some("（二）部分公开"),
    ),
    ("1.属于国家秘密", Some("（三）不予公开 1.属于国家秘密")),
    (
        "2.其他法律行政法规禁止公开",
        Some("（三）不予公开 2.其他法律行政法规禁止公开"),
    ),
    (
        "3.危及“三安全一稳定”",
        Some("（三）不予公开 3.危及“三安全一稳定”"),
    ),
    (
        "4.保护第三方合法权益",
        Some("（三）不予公开 4.保护第三方合法权益"),
    ),
    (
        "5.属于三类内部事务信息",
        Some("（三）不予公开 5.属于三类内部事务信息"),
    ),
    (
        "6.属于四类过程性信息",
        Some("（三）不予公开 6.属于四类过程性信息"),
    ),
    (
        "7.属于行政执法案卷",
        Some("（三）不予公开 7.属于行政执法案卷"),
    ),
    (
        "8.属于行政查询事项",
        Some("（三）不予公开 8.属于行政查询事项"),
    ),
    (
        "1.本机关不掌握相关政府信息",
        Some("（四）无法提供 1.本机关不掌握相关政府信息"),
    ),
    (
        "2.没有现成信息需要另行制作",
        Some("（四）无法提供 2.没有现成信息需要另行制作"),
    ),
    (
        "3.补正后申请内容仍不明确",
        Some("（四）无法提供 3.补正后申请内容仍不明确"),
    ),
    (
        "1.信访举报投诉类申请",
        Some("（五）不予处理 1.信访举报投诉类申请"),
    ),
    ("2.重复申请", Some("（五）不予处理 2.重复申请")),
    (
        "3.要求提供公开出版物",
        Some("（五）不予处理 3.要求提供公开出版物"),
    ),
    (
        "4.无正当理由大量反复申请",
        Some("（五）不予处理 4.无正当理由大量反复申请"),
    ),
    (
        "5.要求行政机关确认或重新出具已获取信息",
        Some("（五）不予处理 5.要求行政机关确认或重新出具已获取信息"),
    ),
    (
        "1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请",
        Some("（六）其他处理 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请"),
    ),
    (
        "2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        Some(
            "（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请",
        ),
    ),
    ("3.其他", Some("（六）其他处理 3.其他")),
    ("（七）总计", None),
    ("四、结转下年度继续办理", None),
];

pub const ROW_NEW: usize = 0;
pub const ROW_CARRIED: usize = 1;
/// Result rows are `FIRST_RESULT..=LAST_RESULT` (21 rows).
pub const FIRST_RESULT: usize = 2;
pub const LAST_RESULT: usize = 22;
pub const ROW_TOTAL: usize = 23;
pub const ROW_OPEN: usize = 24;

/// One printed line of table 三: a group heading (no numbers) or a numbered row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Table3Line {
    pub label: &'static str,
    /// Indent level: 0 for 一/二/三/四, 1 for （一）…（七）, 2 for the numbered grounds.
    pub indent: u8,
    /// The numbered row (index into [`TABLE3_ROWS`]); None for a heading line.
    pub row: Option<usize>,
}

/// The 30 printed lines of table 三 (25 numbered rows and five headings), as laid out in the
/// format.
pub fn table3_lines() -> Vec<Table3Line> {
    let heading = |label: &'static str, indent: u8| Table3Line {
        label,
        indent,
        row: None,
    };
    let row = |i: usize, indent: u8| Table3Line {
        label: TABLE3_ROWS[i].0,
        indent,
        row: Some(i),
    };
    let mut lines = vec![row(0, 0), row(1, 0), heading("三、本年度办理结果", 0)];
    lines.push(row(2, 1));
    lines.push(row(3, 1));
    lines.push(heading("（三）不予公开", 1));
    lines.extend((4..=11).map(|i| row(i, 2)));
    lines.push(heading("（四）无法提供", 1));
    lines.extend((12..=14).map(|i| row(i, 2)));
    lines.push(heading("（五）不予处理", 1));
    lines.extend((15..=19).map(|i| row(i, 2)));
    lines.push(heading("（六）其他处理", 1));
    lines.extend((20..=22).map(|i| row(i, 2)));
    lines.push(row(ROW_TOTAL, 1));
    lines.push(row(ROW_OPEN, 0));
    lines
}

/// The row of table 三 a reply counts under.
pub fn result_row(reply: ReplyType) -> usize {
    let key = reply.report_row();
    // Every reply type has its row (a test checks each); 其他 is the fallback.
    TABLE3_ROWS
        .iter()
        .position(|(_, k)| *k == Some(key))
        .unwrap_or(LAST_RESULT)
}

/// The column of an applicant type.
pub fn column_of(t: ApplicantType) -> usize {
    match t {
        ApplicantType::Natural => 0,
        ApplicantType::Commercial => 1,
        ApplicantType::Research => 2,
        ApplicantType::PublicInterest => 3,
        ApplicantType::Legal => 4,
        ApplicantType::OtherOrg => 5,
    }
}

/// 1 January and 31 December of `year`.
fn bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default(),
    )
}

/// Table 三: 25 rows × 7 columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table3 {
    pub cells: [[i64; 7]; 25],
}

#[derive(Serialize, Deserialize)]
struct Table3Json {
    columns: Vec<String>,
    rows: Vec<Table3RowJson>,
}

#[derive(Serialize, Deserialize)]
struct Table3RowJson {
    label: String,
    values: Vec<i64>,
}

impl Serialize for Table3 {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Table3Json {
            columns: TABLE3_COLUMNS.iter().map(|c| c.to_string()).collect(),
            rows: TABLE3_ROWS
                .iter()
                .zip(self.cells.iter())
                .map(|((label, _), v)| Table3RowJson {
                    label: label.to_string(),
                    values: v.to_vec(),
                })
                .collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Table3 {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let j = Table3Json::deserialize(d)?;
        Table3::from_labelled(
            j.rows
                .iter()
                .map(|r| (r.label.as_str(), r.values.as_slice())),
        )
        .map_err(serde::de::Error::custom)
    }
}

/// Normalise a row label for matching: no spaces, full-width dots as ASCII, either quote style,
/// ASCII parentheses as full-width ones.
pub fn label_key(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '．' => '.',
            '"' | '“' | '”' => '"',
            '(' => '（',
            ')' => '）',
            c => c,
        })
        .collect()
}

impl Table3 {
    /// Build from (label, seven values) rows, in any order; every one of the 25 rows must be
    /// there once. The 2019 format's single 其他处理 row is accepted and counted as （六）3.
    pub fn from_labelled<'a>(
        rows: impl Iterator<Item = (&'a str, &'a [i64])>,
    ) -> Result<Table3, String> {
        Table3::from_labelled_format(rows).map(|(t, _)| t)
    }

    /// As [`Table3::from_labelled`], and whether the rows were the 2019 format's (one
    /// （六）其他处理 row with numbers and none of its three grounds). A 2021 table may carry the
    /// （六） heading with zeros; it is then ignored.
    pub fn from_labelled_format<'a>(
        rows: impl Iterator<Item = (&'a str, &'a [i64])>,
    ) -> Result<(Table3, bool), String> {
        let mut t = Table3::default();
        let mut seen = [false; 25];
        let mut single_other: Option<Vec<i64>> = None;
        for (label, values) in rows {
            let key = label_key(label);
            if key.is_empty() {
                continue;
            }
            if values.len() != 7 {
                return Err(format!("表三“{label}”一行应有7个数"));
            }
            if values.iter().any(|v| *v < 0) {
                return Err(format!("表三“{label}”不能为负数"));
            }
            if key == label_key("（六）其他处理") {
                single_other = Some(values.to_vec());
                continue;
            }
            let found = (0..25).find(|i| {
                let want = label_key(TABLE3_ROWS[*i].0);
                want == key || (*i == 3 && key.starts_with(&label_key("（二）部分公开")))
            });
            let Some(i) = found else {
                return Err(format!("表三中没有“{label}”这一行"));
            };
            if seen[i] {
                return Err(format!("表三“{label}”一行重复"));
            }
            seen[i] = true;
            t.cells[i].copy_from_slice(values);
        }
        let grounds_given = seen[20] || seen[21] || seen[22];
        let mut is_2019 = false;
        if let Some(v) = single_other {
            if !grounds_given {
                t.cells[22].copy_from_slice(&v);
                seen[20] = true;
                seen[21] = true;
                seen[22] = true;
                is_2019 = true;
            } else if v.iter().any(|x| *x != 0) {
                return Err(
                    "表三同时有“（六）其他处理”合计数和其分项，请只保留一种（2021年格式填分项）"
                        .into(),
                );
            }
        }
        if let Some(missing) = seen.iter().position(|s| !s) {
            return Err(format!("表三缺少“{}”一行", TABLE3_ROWS[missing].0));
        }
        Ok((t, is_2019))
    }

    fn add(&mut self, row: usize, col: usize) {
        self.cells[row][col] += 1;
        self.cells[row][TOTAL_COLUMN] += 1;
    }

    /// The checks stated in the table's top-left cell; each failure in Chinese.
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (r, row) in self.cells.iter().enumerate() {
            let sum: i64 = row[..TOTAL_COLUMN].iter().sum();
            if sum != row[TOTAL_COLUMN] {
                problems.push(format!(
                    "“{}”一行：总计{}不等于各类申请人之和{}",
                    TABLE3_ROWS[r].0, row[TOTAL_COLUMN], sum
                ));
            }
        }
        for (c, column) in TABLE3_COLUMNS.iter().enumerate() {
            let results: i64 = (FIRST_RESULT..=LAST_RESULT).map(|r| self.cells[r][c]).sum();
            if results != self.cells[ROW_TOTAL][c] {
                problems.push(format!(
                    "“{column}”列：（七）总计{}不等于各项办理结果之和{}",
                    self.cells[ROW_TOTAL][c], results
                ));
            }
            let left = self.cells[ROW_NEW][c] + self.cells[ROW_CARRIED][c];
            let right = self.cells[ROW_TOTAL][c] + self.cells[ROW_OPEN][c];
            if left != right {
                problems.push(format!(
                    "“{column}”列：一、本年新收与二、上年结转之和{left}，不等于（七）总计与四、结转下年度之和{right}"
                ));
            }
        }
        problems
    }
}

/// What the report needs to know about one application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub id: i64,
    pub number: String,
    /// Stored applicant type (`ApplicantType::as_str`).
    pub applicant_type: String,
    pub submitted_on: NaiveDate,
    pub received_on: Option<NaiveDate>,
    /// The day the case got its result (reply, 转办, 视为放弃, withdrawal).
    pub finished_on: Option<NaiveDate>,
    /// Stored reply type (`ReplyType::as_str`).
    pub reply_type: Option<String>,
    /// Stored status (`CaseStatus::as_str`).
    pub status: String,
}

/// A case the rules cannot place: its number and what must be fixed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Blocker {
    pub case_id: i64,
    pub number: String,
    pub problem: String,
}

const FINISHED: [&str; 5] = ["replied", "closed", "abandoned", "withdrawn", "transferred"];

/// Table 三 of `year` from the body's cases, with the cases that block it.
pub fn table3(cases: &[CaseFacts], year: i32) -> (Table3, Vec<Blocker>) {
    let (start, end) = bounds(year);
    let mut t = Table3::default();
    let mut blockers = Vec::new();
    let mut block = |c: &CaseFacts, problem: &str| {
        blockers.push(Blocker {
            case_id: c.id,
            number: c.number.clone(),
            problem: problem.to_string(),
        })
    };
    for c in cases {
        let finished = FINISHED.contains(&c.status.as_str());
        let Some(received) = c.received_on else {
            // Withdrawn before it was registered: never received, not counted.
            if c.status == "withdrawn" || c.submitted_on > end {
                continue;
            }
            if c.finished_on.is_some_and(|f| f < start) {
                continue;
            }
            block(c, "尚未登记收到日期（条例第三十一条），请登记后再编制年报");
            continue;
        };
        if received > end {
            continue;
        }
        // A date error on a case of this year blocks it; an old one stays with its year.
        if received >= start && c.finished_on.is_some_and(|f| f < received) {
            block(c, "办结日期早于收到日期，请核对");
            continue;
        }
        if c.finished_on.is_some_and(|f| f < start) {
            continue;
        }
        let Some(col) = ApplicantType::parse(&c.applicant_type).map(column_of) else {
            block(c, "申请人类型无法识别");
            continue;
        };
        if finished && c.finished_on.is_none() {
            block(c, "已办结但没有办结日期和办理结果");
            continue;
        }
        let row = match c.finished_on {
            Some(f) if f <= end => match c.reply_type.as_deref().and_then(ReplyType::parse) {
                Some(r) => Some(result_row(r)),
                None => {
                    block(c, "已办结但没有办理结果（表三的结果行），请补录答复类型");
                    continue;
                }
            },
            _ => None,
        };
        t.add(
            if received >= start {
                ROW_NEW
            } else {
                ROW_CARRIED
            },
            col,
        );
        match row {
            Some(r) => {
                t.add(r, col);
                t.add(ROW_TOTAL, col);
            }
            None => t.add(ROW_OPEN, col),
        }
    }
    (t, blockers)
}

// ---------------------------------------------------------------------------------------------
// Table 四
// ---------------------------------------------------------------------------------------------

/// The three proceeding kinds (rows) and five result columns of table 四.
pub const TABLE4_KINDS: [(&str, &str); 3] = [
    ("reconsideration", "行政复议"),
    ("lawsuit", "行政诉讼（未经复议直接起诉）"),
    ("lawsuit_after_review", "行政诉讼（复议后起诉）"),
];
pub const TABLE4_COLUMNS: [&str; 5] = ["结果维持", "结果纠正", "其他结果", "尚未审结", "总计"];
/// Table 四's three column groups as headed in the format (the last two under 行政诉讼).
pub const TABLE4_GROUPS: [&str; 3] = ["行政复议", "未经复议直接起诉", "复议后起诉"];
const OUTCOMES: [&str; 4] = ["upheld", "corrected", "other", "pending"];

/// Table 四: per proceeding kind, 结果维持, 结果纠正, 其他结果, 尚未审结, 总计.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table4 {
    pub reconsideration: [i64; 5],
    pub lawsuit: [i64; 5],
    pub lawsuit_after_review: [i64; 5],
}

impl Table4 {
    pub fn rows(&self) -> [&[i64; 5]; 3] {
        [
            &self.reconsideration,
            &self.lawsuit,
            &self.lawsuit_after_review,
        ]
    }

    fn row_mut(&mut self, kind: &str) -> Option<&mut [i64; 5]> {
        match kind {
            "reconsideration" => Some(&mut self.reconsideration),
            "lawsuit" => Some(&mut self.lawsuit),
            "lawsuit_after_review" => Some(&mut self.lawsuit_after_review),
            _ => None,
        }
    }

    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (row, (_, label)) in self.rows().iter().zip(TABLE4_KINDS) {
            let sum: i64 = row[..4].iter().sum();
            if sum != row[4] {
                problems.push(format!("表四“{label}”：总计{}不等于各项之和{sum}", row[4]));
            }
        }
        problems
    }
}

/// One record of a 行政复议 or 行政诉讼 about a case (`application_events` of kind `review`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewRecord {
    pub case_id: i64,
    pub proceeding: String,
    pub on: NaiveDate,
    pub outcome: String,
}

/// Table 四 of `year`. The records of one case and proceeding kind are one proceeding, filed on
/// its first record's date; its outcome at a date is the last record's on or before it. It counts
/// in the year it was filed, and in each later year it entered still 尚未审结.
pub fn table4(records: &[ReviewRecord], year: i32) -> Table4 {
    let (start, end) = bounds(year);
    let mut sorted: Vec<&ReviewRecord> = records.iter().collect();
    sorted.sort_by(|a, b| (a.case_id, &a.proceeding, a.on).cmp(&(b.case_id, &b.proceeding, b.on)));
    let mut t = Table4::default();
    for group in sorted.chunk_by(|a, b| a.case_id == b.case_id && a.proceeding == b.proceeding) {
        let filed = group[0].on;
        if filed > end {
            continue;
        }
        let outcome_at = |d: NaiveDate| {
            group
                .iter()
                .rfind(|r| r.on <= d)
                .map(|r| r.outcome.as_str())
        };
        let counts = filed >= start
            || start
                .pred_opt()
                .is_some_and(|eve| outcome_at(eve) == Some("pending"));
        if !counts {
            continue;
        }
        let Some(col) = outcome_at(end).and_then(|o| OUTCOMES.iter().position(|x| *x == o)) else {
            continue;
        };
        if let Some(row) = t.row_mut(&group[0].proceeding) {
            row[col] += 1;
            row[4] += 1;
        }
    }
    t
}

// ---------------------------------------------------------------------------------------------
// The whole report
// ---------------------------------------------------------------------------------------------

/// The texts staff edit: section 一's five parts, 五 and 六; and a line introducing each table.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Sections {
    pub general: [String; 5],
    pub problems: String,
    pub other: String,
}

/// A whole report: what is exported, frozen on submission, published and imported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnnualReport {
    pub format: String,
    pub body: String,
    pub year: i32,
    pub sections: Sections,
    pub table2: Table2,
    pub table3: Table3,
    pub table4: Table4,
}

impl AnnualReport {
    /// 「{机关}{年}年政府信息公开工作年度报告」.
    pub fn title(&self) -> String {
        title(&self.body, self.year)
    }

    /// Every check of the three tables.
    pub fn check(&self) -> Vec<String> {
        let mut p = self.table3.check();
        p.extend(self.table4.check());
        p
    }

    /// The whole report as Markdown (the item's text): headings, paragraphs and the tables.
    pub fn to_markdown(&self) -> String {
        let mut md = String::new();
        let paragraphs = |md: &mut String, text: &str| {
            for p in paragraphs(text) {
                md.push_str(&p);
                md.push_str("\n\n");
            }
        };
        md.push_str(&format!("## {}\n\n", SECTION_TITLES[0]));
        for (h, text) in GENERAL_HEADINGS.iter().zip(&self.sections.general) {
            md.push_str(&format!("### {h}\n\n"));
            paragraphs(&mut md, text);
        }
        md.push_str(&format!("## {}\n\n", SECTION_TITLES[1]));
        for block in table2_blocks(&self.table2) {
            md.push_str(&format!("| {} |\n", block.columns.join(" | ")));
            md.push_str(&format!("|{}\n", " --- |".repeat(block.columns.len())));
            for (label, values) in &block.rows {
                md.push_str(&format!("| {label} | {} |\n", values.join(" | ")));
            }
            md.push('\n');
        }
        md.push_str(&format!("## {}\n\n", SECTION_TITLES[2]));
        md.push_str(&format!(
            "| {TABLE3_CORNER} | {} |\n",
            TABLE3_COLUMNS.join(" | ")
        ));
        md.push_str(&format!("|{}\n", " --- |".repeat(8)));
        for line in table3_lines() {
            let label = format!("{}{}", "　".repeat(line.indent as usize), line.label);
            match line.row {
                Some(r) => {
                    let v: Vec<String> =
                        self.table3.cells[r].iter().map(|n| n.to_string()).collect();
                    md.push_str(&format!("| {label} | {} |\n", v.join(" | ")));
                }
                None => md.push_str(&format!("| {label} |{}\n", " |".repeat(7))),
            }
        }
        md.push('\n');
        md.push_str(&format!("## {}\n\n", SECTION_TITLES[3]));
        md.push_str(&format!("| 类别 | {} |\n", TABLE4_COLUMNS.join(" | ")));
        md.push_str(&format!("|{}\n", " --- |".repeat(6)));
        for (row, (_, label)) in self.table4.rows().iter().zip(TABLE4_KINDS) {
            let v: Vec<String> = row.iter().map(|n| n.to_string()).collect();
            md.push_str(&format!("| {label} | {} |\n", v.join(" | ")));
        }
        md.push('\n');
        md.push_str(&format!("## {}\n\n", SECTION_TITLES[4]));
        paragraphs(&mut md, &self.sections.problems);
        md.push_str(&format!("## {}\n\n", SECTION_TITLES[5]));
        paragraphs(&mut md, &self.sections.other);
        md
    }
}

/// A section's text as paragraphs: one per non-empty line.
pub fn paragraphs(s: &str) -> Vec<String> {
    s.split('\n')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(String::from)
        .collect()
}

pub fn title(body: &str, year: i32) -> String {
    format!("{body}{year}年政府信息公开工作年度报告")
}

/// One block of table 二 as printed: its heading, column headings and rows of (label, values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Table2Block {
    pub heading: &'static str,
    pub columns: Vec<&'static str>,
    pub rows: Vec<(&'static str, Vec<String>)>,
}

/// Table 二's four blocks as laid out in the format.
pub fn table2_blocks(t: &Table2) -> Vec<Table2Block> {
    let n = |v: &[i64; 3]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    vec![
        Table2Block {
            heading: "第二十条第（一）项",
            columns: TABLE2_ART20_1_COLUMNS.to_vec(),
            rows: vec![
                ("规章", n(&t.regulations)),
                ("行政规范性文件", n(&t.normative)),
            ],
        },
        Table2Block {
            heading: "第二十条第（五）项",
            columns: vec!["信息内容", "本年处理决定数量"],
            rows: vec![("行政许可", vec![t.license.to_string()])],
        },
        Table2Block {
            heading: "第二十条第（六）项",
            columns: vec!["信息内容", "本年处理决定数量"],
            rows: vec![
                ("行政处罚", vec![t.penalty.to_string()]),
                ("行政强制", vec![t.coercion.to_string()]),
            ],
        },
        Table2Block {
            heading: "第二十条第（八）项",
            columns: vec!["信息内容", "本年收费金额（单位：万元）"],
            rows: vec![("行政事业性收费", vec![t.fees_wan.clone()])],
        },
    ]
}

/// Every row label of the report in the order it is printed: the section titles, table 二's
/// rows, table 三's 30 lines and table 四's rows (what a test finds in an export, in order).
pub fn printed_labels() -> Vec<&'static str> {
    let mut v = vec![SECTION_TITLES[0]];
    v.extend(GENERAL_HEADINGS);
    v.push(SECTION_TITLES[1]);
    for b in table2_blocks(&Table2::default()) {
        v.extend(b.rows.iter().map(|r| r.0));
    }
    v.push(SECTION_TITLES[2]);
    v.extend(table3_lines().iter().map(|l| l.label));
    v.push(SECTION_TITLES[3]);
    v.extend(TABLE4_COLUMNS);
    v.push(SECTION_TITLES[4]);
    v.push(SECTION_TITLES[5]);
    v
}

/// The carry-over check: this year's 二、上年结转 against last year's 四、结转下年度继续办理.
pub fn carry_over_check(this_year: &Table3, last_year: &Table3) -> Vec<String> {
    (0..7)
        .filter(|c| this_year.cells[ROW_CARRIED][*c] != last_year.cells[ROW_OPEN][*c])
        .map(|c| {
            format!(
                "“{}”列：本年“二、上年结转”为{}，上年报告“四、结转下年度继续办理”为{}",
                TABLE3_COLUMNS[c], this_year.cells[ROW_CARRIED][c], last_year.cells[ROW_OPEN][c]
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Due date
// ---------------------------------------------------------------------------------------------

/// The day a body's report on `year` is due: the body's setting (`MM-DD` of the next year), else
/// 31 March for a 人民政府 and 31 January for every other body (条例第四十九条、第五十条).
pub fn due_date(kind: BodyKind, year: i32, setting: &str) -> NaiveDate {
    let next = year + 1;
    if let Some(d) = parse_month_day(setting).and_then(|(m, d)| NaiveDate::from_ymd_opt(next, m, d))
    {
        return d;
    }
    let (m, d) = if kind == BodyKind::Government {
        (3, 31)
    } else {
        (1, 31)
    };
    NaiveDate::from_ymd_opt(next, m, d).unwrap_or_default()
}

/// "03-31" → (3, 31); anything else None.
pub fn parse_month_day(s: &str) -> Option<(u32, u32)> {
    let (m, d) = s.trim().split_once('-')?;
    let (m, d) = (m.parse::<u32>().ok()?, d.parse::<u32>().ok()?);
    // 2024 is a leap year: 02-29 is accepted and moves to 02-28 in other years via from_ymd_opt.
    NaiveDate::from_ymd_opt(2024, m, d).map(|_| (m, d))
}

// ---------------------------------------------------------------------------------------------
// Drafted text
// ---------------------------------------------------------------------------------------------

/// Figures the drafted sections quote besides the tables.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DraftFacts {
    pub body: String,
    pub year: i32,
    /// Items first published in the year, and the busiest columns (name, count).
    pub published: i64,
    pub top_categories: Vec<(String, i64)>,
    /// 政策解读 items published in the year.
    pub interpretations: i64,
    /// Applications finished in the year, and how many of them by their due date.
    pub finished: i64,
    pub finished_on_time: i64,
    /// Revisions, withdrawals and validity changes published in the year; ledger entries.
    pub revised: i64,
    pub withdrawn: i64,
    pub validity_changes: i64,
    pub ledger_entries: i64,
    /// Public items in force on 31 December, and the catalogue's columns.
    pub public_items: i64,
    pub categories: i64,
    /// 信息处理费 paid in the year: cases and fen.
    pub fee_cases: i64,
    pub fee_fen: i64,
    /// Section 五 of last year's report, if there is one.
    pub last_problems: Option<String>,
    /// The year's supervision of the body (监督保障).
    pub supervision: SupervisionFacts,
}

/// What the 监督保障 paragraph quotes: inspections and their findings, rectifications opened
/// and accepted, 民主评议 answers, 责任追究 decisions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SupervisionFacts {
    pub inspections: i64,
    pub findings: i64,
    pub rectifications_opened: i64,
    pub rectifications_accepted: i64,
    pub appraisal_answers: i64,
    pub accountability: i64,
}

/// The 监督保障 paragraph of section 一.
pub fn supervision_paragraph(s: &SupervisionFacts) -> String {
    let mut p = String::from("本机关落实政府信息公开工作责任，信息发布前经保密审查和审批。");
    if s.inspections > 0 {
        p.push_str(&format!(
            "本年度接受政务公开监督检查{}次，发现问题{}个，交办整改{}项、整改验收{}项",
            s.inspections, s.findings, s.rectifications_opened, s.rectifications_accepted
        ));
    } else {
        p.push_str("本年度未接受政务公开监督检查");
    }
    if s.appraisal_answers > 0 {
        p.push_str(&format!(
            "；参加民主评议，收到评议{}份",
            s.appraisal_answers
        ));
    }
    if s.accountability > 0 {
        p.push_str(&format!(
            "；因政务公开工作实施责任追究{}人次",
            s.accountability
        ));
    } else {
        p.push_str("；未发生政务公开工作责任追究");
    }
    p.push_str("。（请补充本年度培训情况。）");
    p
}

/// A first draft of sections 一, 五 and 六 from the year's figures, for staff to edit.
pub fn draft_sections(f: &DraftFacts, r: &AnnualReport) -> Sections {
    let t3 = &r.table3.cells;
    let received = t3[ROW_NEW][TOTAL_COLUMN];
    let carried = t3[ROW_CARRIED][TOTAL_COLUMN];
    let done = t3[ROW_TOTAL][TOTAL_COLUMN];
    let open = t3[ROW_OPEN][TOTAL_COLUMN];
    let disclosed = t3[2][TOTAL_COLUMN] + t3[3][TOTAL_COLUMN];
    let cats = if f.top_categories.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = f
            .top_categories
            .iter()
            .map(|(n, c)| format!("{n}{c}条"))
            .collect();
        format!("，其中{}", list.join("、"))
    };
    let t2 = &r.table2;
    let on_time = if f.finished > 0 {
        format!(
            "，按期答复{}件，按期答复率{}",
            f.finished_on_time,
            percent(f.finished_on_time, f.finished)
        )
    } else {
        String::new()
    };
    let t4_total: i64 = r.table4.rows().iter().map(|row| row[4]).sum();
    let general = [
        format!(
            "{}年，{}通过政府信息公开平台主动公开政府信息{}条{cats}；发布政策解读{}条。本年制发规章{}件、行政规范性文件{}件，现行有效规章{}件、行政规范性文件{}件；公示行政许可决定{}件、行政处罚决定{}件、行政强制决定{}件。",
            f.year,
            f.body,
            f.published,
            f.interpretations,
            t2.regulations[0],
            t2.normative[0],
            t2.regulations[2],
            t2.normative[2],
            t2.license,
            t2.penalty,
            t2.coercion
        ),
        format!(
            "本年新收政府信息公开申请{received}件，上年结转{carried}件；办结{done}件{on_time}，其中予以公开和部分公开{disclosed}件；结转下年度继续办理{open}件。因政府信息公开引发行政复议、行政诉讼共{t4_total}件。"
        ),
        format!(
            "本年修订已公开信息{}条，撤回{}条，调整有效性{}条。每次公开、修订和撤回均记入公开台账（本年{}笔），台账以哈希链相连并定期签名，可在门户网站核验。",
            f.revised, f.withdrawn, f.validity_changes, f.ledger_entries
        ),
        format!(
            "政府信息公开专栏设{}个栏目，年末在线公开政府信息{}条，提供全文检索、订阅和依申请公开网上申请渠道。",
            f.categories, f.public_items
        ),
        supervision_paragraph(&f.supervision),
    ];
    let problems = match &f.last_problems {
        Some(p) if !p.trim().is_empty() => format!(
            "上年度报告提出的问题及改进情况：{}\n本年度存在的主要问题：（请填写）\n改进措施：（请填写）",
            p.trim()
        ),
        _ => "本年度存在的主要问题：（请填写）\n改进措施：（请填写）".to_string(),
    };
    let other = if f.fee_cases > 0 {
        format!(
            "本年度依据《政府信息公开信息处理费管理办法》收取信息处理费{}件，共计{}。",
            f.fee_cases,
            crate::application::yuan(f.fee_fen)
        )
    } else {
        "本年度未收取信息处理费。".to_string()
    };
    Sections {
        general,
        problems,
        other,
    }
}

/// "93.3%" with one decimal, rounded half up; "—" without a whole.
pub fn percent(part: i64, whole: i64) -> String {
    if whole <= 0 {
        return "—".into();
    }
    let tenths = (part * 2000 + whole) / (2 * whole);
    format!("{}.{}%", tenths / 10, tenths % 10)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn case(
        n: &str,
        t: &str,
        received: Option<&str>,
        finished: Option<&str>,
        reply: Option<&str>,
        status: &str,
    ) -> CaseFacts {
        CaseFacts {
            id: 0,
            number: n.into(),
            applicant_type: t.into(),
            submitted_on: d(received.unwrap_or("2025-06-01")),
            received_on: received.map(d),
            finished_on: finished.map(d),
            reply_type: reply.map(String::from),
            status: status.into(),
        }
    }

    fn row(label: &str) -> usize {
        TABLE3_ROWS.iter().position(|(l, _)| *l == label).unwrap()
    }

    #[test]
    fn the_supervision_paragraph_quotes_the_year() {
        let none = supervision_paragraph(&SupervisionFacts::default());
        assert!(none.contains("本年度未接受政务公开监督检查；未发生政务公开工作责任追究。"));
        let some = supervision_paragraph(&SupervisionFacts {
            inspections: 2,
            findings: 3,
            rectifications_opened: 3,
            rectifications_accepted: 1,
            appraisal_answers: 6,
            accountability: 1,
        });
        assert!(some.contains(
            "本年度接受政务公开监督检查2次，发现问题3个，交办整改3项、整改验收1项；参加民主评议，收到评议6份；因政务公开工作实施责任追究1人次。"
        ), "{some}");
    }

    /// The worked example: cases of 2025, counted by hand.
    #[test]
    fn worked_example_of_table_three() {
        let cases = vec![
            // Received on 31 December 2025: new this year, open at the end.
            case("A1", "natural", Some("2025-12-31"), None, None, "handling"),
            // Carried over from 2024, disclosed in January 2025.
            case(
                "A2",
                "commercial",
                Some("2024-12-20"),
                Some("2025-01-10"),
                Some("disclosed"),
                "closed",
            ),
            // 补正 not answered: （六）1.
            case(
                "A3",
                "natural",
                Some("2025-03-02"),
                Some("2025-04-20"),
                Some("no_correction"),
                "abandoned",
            ),
            // Fee not paid: （六）2.
            case(
                "A4",
                "legal",
                Some("2025-05-06"),
                Some("2025-07-01"),
                Some("fee_unpaid"),
                "abandoned",
            ),
            // Partly disclosed.
            case(
                "A5",
                "natural",
                Some("2025-08-01"),
                Some("2025-08-20"),
                Some("partial"),
                "replied",
            ),
            // Received in 2025, answered in 2026: open at the end of 2025.
            case(
                "A6",
                "research",
                Some("2025-12-15"),
                Some("2026-01-08"),
                Some("disclosed"),
                "closed",
            ),
            // Finished in 2024: not in 2025's report.
            case(
                "A7",
                "natural",
                Some("2024-03-01"),
                Some("2024-03-20"),
                Some("disclosed"),
                "closed",
            ),
            // Received in 2026: not in 2025's report.
            case("A8", "natural", Some("2026-01-05"), None, None, "handling"),
            // Withdrawn before registration: not received, not counted.
            case("A9", "natural", None, None, None, "withdrawn"),
            // 转办: （四）1.
            case(
                "A10",
                "other_org",
                Some("2025-09-09"),
                Some("2025-09-12"),
                Some("not_this_body"),
                "transferred",
            ),
            // Withdrawn by the applicant after receipt: （六）3.
            case(
                "A11",
                "public_interest",
                Some("2025-10-10"),
                Some("2025-10-11"),
                Some("other_handling"),
                "withdrawn",
            ),
        ];
        let (t, blockers) = table3(&cases, 2025);
        assert!(blockers.is_empty(), "{blockers:?}");
        let c = &t.cells;
        // 一: A1 A3 A4 A5 A6 A10 A11 = 7; 自然人 A1 A3 A5 = 3.
        assert_eq!(c[ROW_NEW], [3, 0, 1, 1, 1, 1, 7]);
        assert_eq!(c[ROW_CARRIED], [0, 1, 0, 0, 0, 0, 1]);
        assert_eq!(c[row("（一）予以公开")], [0, 1, 0, 0, 0, 0, 1]);
        assert_eq!(c[3], [1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(c[row("1.本机关不掌握相关政府信息")], [0, 0, 0, 0, 0, 1, 1]);
        assert_eq!(c[20], [1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(c[21], [0, 0, 0, 0, 1, 0, 1]);
        assert_eq!(c[22], [0, 0, 0, 1, 0, 0, 1]);
        assert_eq!(c[ROW_TOTAL], [2, 1, 0, 1, 1, 1, 6]);
        // 四: A1 (自然人), A6 (科研机构).
        assert_eq!(c[ROW_OPEN], [1, 0, 1, 0, 0, 0, 2]);
        assert!(t.check().is_empty(), "{:?}", t.check());
        // 2026 carries A1 and A6 over, and the carry-over check agrees.
        let (t26, _) = table3(&cases, 2026);
        assert_eq!(t26.cells[ROW_CARRIED], [1, 0, 1, 0, 0, 0, 2]);
        assert!(carry_over_check(&t26, &t).is_empty());
        assert_eq!(t26.cells[ROW_NEW][TOTAL_COLUMN], 1);
    }

    #[test]
    fn every_reply_type_has_its_own_result_row() {
        for r in ReplyType::ALL {
            let row = result_row(*r);
            assert!((FIRST_RESULT..=LAST_RESULT).contains(&row));
            assert_eq!(TABLE3_ROWS[row].1, Some(r.report_row()), "{r:?}");
        }
        for t in ApplicantType::ALL {
            assert_eq!(TABLE3_COLUMNS[column_of(*t)], t.label());
        }
    }

    #[test]
    fn cases_that_cannot_be_placed_block_the_report() {
        let cases = vec![
            case("B1", "natural", None, None, None, "pending"),
            case(
                "B2",
                "natural",
                Some("2025-02-01"),
                Some("2025-03-01"),
                None,
                "replied",
            ),
            case(
                "B3",
                "natural",
                Some("2025-02-01"),
                Some("2025-01-15"),
                Some("disclosed"),
                "closed",
            ),
            case("B4", "natural", Some("2025-02-01"), None, None, "closed"),
            case("B5", "natural", Some("2025-02-01"), None, None, "handling"),
            // Received this year, "finished" the year before: a date error of this year.
            case(
                "B6",
                "natural",
                Some("2025-03-01"),
                Some("2024-12-01"),
                Some("disclosed"),
                "closed",
            ),
        ];
        let (t, blockers) = table3(&cases, 2025);
        let numbers: Vec<&str> = blockers.iter().map(|b| b.number.as_str()).collect();
        assert_eq!(numbers, ["B1", "B2", "B3", "B4", "B6"]);
        assert!(blockers[0].problem.contains("收到日期"));
        assert!(blockers[1].problem.contains("办理结果"));
        // The one case that can be placed is counted, and the table still checks.
        assert_eq!(t.cells[ROW_NEW][TOTAL_COLUMN], 1);
        assert!(t.check().is_empty());
    }

    #[test]
    fn the_check_finds_a_table_that_does_not_add_up() {
        let mut t = Table3::default();
        t.cells[ROW_NEW] = [1, 0, 0, 0, 0, 0, 1];
        t.cells[2] = [1, 0, 0, 0, 0, 0, 1];
        t.cells[ROW_TOTAL] = [1, 0, 0, 0, 0, 0, 1];
        assert!(t.check().is_empty());
        t.cells[ROW_OPEN] = [1, 0, 0, 0, 0, 0, 1];
        let p = t.check();
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("自然人") && p[0].contains("结转下年度"));
        t.cells[ROW_OPEN] = [0; 7];
        t.cells[5][2] = 1;
        let p = t.check();
        assert!(p.iter().any(|x| x.contains("各类申请人之和")), "{p:?}");
        assert!(p.iter().any(|x| x.contains("各项办理结果之和")), "{p:?}");
    }

    #[test]
    fn table_three_reads_back_from_its_labels() {
        let (t, _) = table3(
            &[
                case(
                    "C1",
                    "natural",
                    Some("2025-01-05"),
                    Some("2025-02-01"),
                    Some("withheld_internal"),
                    "replied",
                ),
                case(
                    "C2",
                    "legal",
                    Some("2025-01-05"),
                    Some("2025-02-01"),
                    Some("repeat"),
                    "replied",
                ),
            ],
            2025,
        );
        let json = serde_json::to_string(&t).unwrap();
        assert!(json.contains("5.属于三类内部事务信息"));
        let back: Table3 = serde_json::from_str(&json).unwrap();
        assert_eq!(back, t);
        // The 2019 format's single 其他处理 row lands in （六）3.
        let mut rows: Vec<(&str, Vec<i64>)> = TABLE3_ROWS
            .iter()
            .filter(|(_, k)| !k.is_some_and(|k| k.starts_with("（六）")))
            .map(|(l, _)| (*l, vec![0; 7]))
            .collect();
        rows.insert(20, ("（六）其他处理", vec![1, 0, 0, 0, 0, 0, 1]));
        let t = Table3::from_labelled(rows.iter().map(|(l, v)| (*l, v.as_slice()))).unwrap();
        assert_eq!(t.cells[22], [1, 0, 0, 0, 0, 0, 1]);
        assert_eq!(t.cells[20], [0; 7]);
        // A 2021 table with a row left out is refused, naming the row.
        let short: Vec<(&str, Vec<i64>)> = TABLE3_ROWS
            .iter()
            .skip(1)
            .map(|(l, _)| (*l, vec![0; 7]))
            .collect();
        let err = Table3::from_labelled(short.iter().map(|(l, v)| (*l, v.as_slice())));
        assert!(err.unwrap_err().contains("一、本年新收"));
        // A 2021 table that carries the （六） heading with zeros is not the 2019 format.
        let mut full: Vec<(&str, Vec<i64>)> =
            TABLE3_ROWS.iter().map(|(l, _)| (*l, vec![0; 7])).collect();
        full.push(("（六）其他处理", vec![0; 7]));
        let (_, is_2019) =
            Table3::from_labelled_format(full.iter().map(|(l, v)| (*l, v.as_slice()))).unwrap();
        assert!(!is_2019);
        full.last_mut().unwrap().1[0] = 1;
        assert!(
            Table3::from_labelled(full.iter().map(|(l, v)| (*l, v.as_slice())))
                .unwrap_err()
                .contains("同时有")
        );
        let bad = Table3::from_labelled([("五、其他", &[0i64; 7][..])].into_iter());
        assert!(bad.unwrap_err().contains("五、其他"));
    }

    #[test]
    fn table_four_counts_each_proceeding_once_by_its_outcome_at_year_end() {
        let r = |case_id, p: &str, on: &str, o: &str| ReviewRecord {
            case_id,
            proceeding: p.into(),
            on: d(on),
            outcome: o.into(),
        };
        let records = vec![
            // Filed 2025, upheld in 2025.
            r(1, "reconsideration", "2025-03-01", "pending"),
            r(1, "reconsideration", "2025-05-01", "upheld"),
            // Filed 2025, still pending at the end of 2025, corrected in 2026.
            r(2, "reconsideration", "2025-11-01", "pending"),
            r(2, "reconsideration", "2026-02-01", "corrected"),
            // The same case then went to court after review.
            r(2, "lawsuit_after_review", "2026-03-01", "pending"),
            // Filed and decided in 2024: not in 2025.
            r(3, "lawsuit", "2024-02-01", "other"),
            r(4, "lawsuit", "2025-06-01", "other"),
        ];
        let t = table4(&records, 2025);
        assert_eq!(t.reconsideration, [1, 0, 0, 1, 2]);
        assert_eq!(t.lawsuit, [0, 0, 1, 0, 1]);
        assert_eq!(t.lawsuit_after_review, [0; 5]);
        let t26 = table4(&records, 2026);
        assert_eq!(t26.reconsideration, [0, 1, 0, 0, 1]);
        assert_eq!(t26.lawsuit_after_review, [0, 0, 0, 1, 1]);
        assert!(t.check().is_empty() && t26.check().is_empty());
    }

    #[test]
    fn due_dates_follow_the_regulation_and_the_body_setting() {
        assert_eq!(due_date(BodyKind::Department, 2025, ""), d("2026-01-31"));
        assert_eq!(due_date(BodyKind::Government, 2025, ""), d("2026-03-31"));
        assert_eq!(due_date(BodyKind::Township, 2025, "02-15"), d("2026-02-15"));
        assert_eq!(due_date(BodyKind::Township, 2025, "13-01"), d("2026-01-31"));
        assert_eq!(parse_month_day("02-30"), None);
    }

    #[test]
    fn the_markdown_holds_every_printed_label_in_order() {
        let r = AnnualReport {
            format: FORMAT_2021.into(),
            body: "示范县民政局".into(),
            year: 2025,
            sections: Sections::default(),
            table2: Table2 {
                fees_wan: "0.00".into(),
                ..Default::default()
            },
            table3: Table3::default(),
            table4: Table4::default(),
        };
        let md = r.to_markdown();
        let mut at = 0;
        for label in printed_labels() {
            let found = md[at..]
                .find(label)
                .unwrap_or_else(|| panic!("{label} after {at}"));
            at += found + label.len();
        }
        assert_eq!(r.title(), "示范县民政局2025年政府信息公开工作年度报告");
    }

    #[test]
    fn drafts_quote_the_figures_and_last_years_problems() {
        let (t3, _) = table3(
            &[case(
                "D1",
                "natural",
                Some("2025-01-05"),
                Some("2025-02-01"),
                Some("disclosed"),
                "closed",
            )],
            2025,
        );
        let r = AnnualReport {
            format: FORMAT_2021.into(),
            body: "示范县民政局".into(),
            year: 2025,
            sections: Sections::default(),
            table2: Table2::default(),
            table3: t3,
            table4: Table4::default(),
        };
        let f = DraftFacts {
            body: r.body.clone(),
            year: 2025,
            published: 120,
            top_categories: vec![("通知公告".into(), 40)],
            finished: 1,
            finished_on_time: 1,
            fee_cases: 1,
            fee_fen: 470_000,
            last_problems: Some("专栏更新不及时。".into()),
            ..Default::default()
        };
        let s = draft_sections(&f, &r);
        assert!(s.general[0].contains("主动公开政府信息120条，其中通知公告40条"));
        assert!(
            s.general[1].contains("本年新收政府信息公开申请1件")
                && s.general[1].contains("按期答复率100.0%")
        );
        assert!(
            s.problems
                .starts_with("上年度报告提出的问题及改进情况：专栏更新不及时。")
        );
        assert_eq!(
            s.other,
            "本年度依据《政府信息公开信息处理费管理办法》收取信息处理费1件，共计4700元。"
        );
        assert_eq!(percent(14, 15), "93.3%");
    }

    fn any_case() -> impl Strategy<Value = CaseFacts> {
        let types = prop::sample::select(ApplicantType::ALL.to_vec());
        let replies = prop::sample::select(ReplyType::ALL.to_vec());
        (
            types,
            replies,
            0i64..1100,
            prop::option::of(0i64..400),
            any::<bool>(),
        )
            .prop_map(|(t, r, recv, dur, registered)| {
                let base = d("2024-01-01");
                let received = base + chrono::Duration::days(recv);
                let finished = dur.map(|x| received + chrono::Duration::days(x));
                CaseFacts {
                    id: recv,
                    number: format!("P{recv}"),
                    applicant_type: t.as_str().into(),
                    submitted_on: received,
                    received_on: registered.then_some(received),
                    finished_on: finished.filter(|_| registered),
                    reply_type: finished.filter(|_| registered).map(|_| r.as_str().into()),
                    status: if !registered {
                        "withdrawn".into()
                    } else if finished.is_some() {
                        "closed".into()
                    } else {
                        "handling".into()
                    },
                }
            })
    }

    proptest! {
        /// For any set of cases the table's own checks hold, every case in scope is counted once,
        /// and next year's carry-over equals this year's 结转下年度.
        #[test]
        fn the_checks_hold_for_any_cases(cases in prop::collection::vec(any_case(), 0..60), year in 2024i32..2027) {
            let (t, blockers) = table3(&cases, year);
            prop_assert!(blockers.is_empty());
            prop_assert!(t.check().is_empty(), "{:?}", t.check());
            let (next, _) = table3(&cases, year + 1);
            prop_assert!(carry_over_check(&next, &t).is_empty());
            let start = NaiveDate::from_ymd_opt(year, 1, 1).unwrap();
            let end = NaiveDate::from_ymd_opt(year, 12, 31).unwrap();
            let in_scope = cases.iter().filter(|c| c.received_on.is_some_and(|r| r <= end)
                && c.finished_on.is_none_or(|f| f >= start)).count() as i64;
            prop_assert_eq!(t.cells[ROW_NEW][TOTAL_COLUMN] + t.cells[ROW_CARRIED][TOTAL_COLUMN], in_scope);
        }
    }
}
