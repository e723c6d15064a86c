//! Imports of tables (CSV or XLSX): 双公示 decisions and the amounts collected by fee items.
//! One engine for the back-office form (`/admin/imports`) and `gongkai import credit|fees`:
//! the file is read by `gongkai_files::table`, every row is checked by the same rule as the
//! form (`DecisionInput::validate`, `check_amount`), and nothing is written while any row has a
//! problem unless the valid rows were asked for before the run. Rows already recorded (the same
//! 文书号) are skipped, so importing a file twice adds nothing; amounts are replaced (更新).
//! Everything written goes in one transaction.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use gongkai_domain::audit::Who;
use gongkai_domain::calendar::Calendar;
use gongkai_domain::credit::{self as dc, DecisionInput, DecisionKind};
use gongkai_domain::seal::SealKey;
use gongkai_domain::service_input::check_amount;
use gongkai_files::table::{self, Layout, Row, XCell};
use gongkai_store::Store;
use gongkai_store::bodies::Body;
use gongkai_store::credit::NewDecision;
use serde::Serialize;

/// Most rows one file may hold.
pub const MAX_ROWS: usize = 5_000;

/// What a file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportKind {
    /// 双公示 decisions (行政许可, 行政处罚, 行政强制).
    Credit,
    /// Amounts collected by fee items per year.
    FeeAmounts,
}

impl ImportKind {
    pub const ALL: [ImportKind; 2] = [ImportKind::Credit, ImportKind::FeeAmounts];

    pub fn parse(s: &str) -> Option<ImportKind> {
        ImportKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
    pub fn as_str(self) -> &'static str {
        match self {
            ImportKind::Credit => "credit",
            ImportKind::FeeAmounts => "fees",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            ImportKind::Credit => "双公示决定",
            ImportKind::FeeAmounts => "收费金额",
        }
    }
    pub fn layout(self) -> &'static Layout {
        match self {
            ImportKind::Credit => &CREDIT_LAYOUT,
            ImportKind::FeeAmounts => &FEE_LAYOUT,
        }
    }

    /// An empty template to fill in (the headings; code and number columns formatted as text),
    /// with one example row.
    pub fn template_xlsx(self) -> Vec<u8> {
        let layout = self.layout();
        let headings: Vec<&str> = layout.columns.iter().map(|(_, n)| n[0]).collect();
        let text: Vec<usize> = layout
            .columns
            .iter()
            .enumerate()
            .filter(|(_, (k, _))| layout.text.contains(k))
            .map(|(i, _)| i)
            .collect();
        let example: Vec<XCell> = layout
            .columns
            .iter()
            .map(|(k, _)| {
                let v = example_value(self, k);
                if k.ends_with("_on") || *k == "valid_until" {
                    XCell::Date(v.into())
                } else {
                    XCell::Text(v.into())
                }
            })
            .collect();
        table::xlsx(&headings, &text, &[example])
    }
}

/// The columns of a 双公示 file: the names of the national credit data standard, shorter names
/// offices use, and the English keys of the staff API.
pub const CREDIT_LAYOUT: Layout = Layout {
    columns: &[
        ("kind", &["决定类别", "类别", "kind"]),
        (
            "party_name",
            &["行政相对人名称", "相对人名称", "party_name"],
        ),
        (
            "party_type",
            &["行政相对人类别", "相对人类别", "party_type"],
        ),
        (
            "uscc",
            &[
                "统一社会信用代码",
                "行政相对人代码_1（统一社会信用代码）",
                "行政相对人代码_1(统一社会信用代码)",
                "uscc",
            ],
        ),
        (
            "legal_rep",
            &["法定代表人", "法定代表人（负责人）", "负责人", "legal_rep"],
        ),
        ("id_type", &["证件类型", "id_type"]),
        ("id_no", &["证件号码", "id_no"]),
        ("rep_id_no", &["法定代表人证件号码", "rep_id_no"]),
        ("phone", &["联系电话", "phone"]),
        ("address", &["住所", "地址", "address"]),
        (
            "other_names",
            &["涉及的其他人员", "其他人员", "other_names"],
        ),
        ("involves_minor", &["涉及未成年人", "involves_minor"]),
        ("adult_confirmed", &["已核实成年", "adult_confirmed"]),
        (
            "doc_title",
            &[
                "决定文书名称",
                "行政许可决定文书名称",
                "行政处罚决定书名称",
                "doc_title",
            ],
        ),
        (
            "doc_no",
            &[
                "决定文书号",
                "行政许可决定文书号",
                "行政处罚决定书文号",
                "doc_no",
            ],
        ),
        ("content", &["决定内容", "许可内容", "处罚内容", "content"]),
        ("basis", &["依据", "许可依据", "处罚依据", "basis"]),
        (
            "fine_yuan",
            &["罚款金额（元）", "罚款金额(元)", "fine_yuan"],
        ),
        (
            "decided_on",
            &["决定日期", "许可决定日期", "处罚决定日期", "decided_on"],
        ),
        ("valid_until", &["有效期至", "许可截止期", "valid_until"]),
    ],
    required: &[
        "kind",
        "party_name",
        "party_type",
        "doc_title",
        "doc_no",
        "content",
        "decided_on",
    ],
    text: &["uscc", "id_no", "rep_id_no", "phone", "doc_no"],
    strict: true,
};

/// The columns of a file of amounts collected.
pub const FEE_LAYOUT: Layout = Layout {
    columns: &[
        ("code", &["收费项目编码", "项目编码", "code"]),
        ("name", &["收费项目名称", "项目名称", "name"]),
        ("year", &["年度", "year"]),
        (
            "amount_yuan",
            &[
                "收取金额（元）",
                "收取金额(元)",
                "金额（元）",
                "amount_yuan",
            ],
        ),
    ],
    required: &["code", "year", "amount_yuan"],
    text: &["code"],
    strict: true,
};

fn example_value(kind: ImportKind, key: &str) -> &'static str {
    match (kind, key) {
        (ImportKind::Credit, "kind") => "行政处罚",
        (ImportKind::Credit, "party_name") => "示例县某某餐饮有限公司",
        (ImportKind::Credit, "party_type") => "法人及非法人组织",
        (ImportKind::Credit, "uscc") => "91110000MA0000000X",
        (ImportKind::Credit, "legal_rep") => "张三",
        (ImportKind::Credit, "doc_title") => "行政处罚决定书",
        (ImportKind::Credit, "doc_no") => "示市监罚〔2026〕1号",
        (ImportKind::Credit, "content") => "警告，罚款人民币伍仟元",
        (ImportKind::Credit, "basis") => "《中华人民共和国食品安全法》第一百二十六条",
        (ImportKind::Credit, "fine_yuan") => "5000",
        (ImportKind::Credit, "decided_on") => "2026-03-02",
        (ImportKind::Credit, "involves_minor") => "否",
        (ImportKind::FeeAmounts, "code") => "SF-001",
        (ImportKind::FeeAmounts, "name") => "不动产登记费",
        (ImportKind::FeeAmounts, "year") => "2025",
        (ImportKind::FeeAmounts, "amount_yuan") => "12345.67",
        _ => "",
    }
}

/// How a run treats problems.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check only: write nothing.
    Check,
    /// Write only a file without problems.
    AllOrNothing,
    /// Write the rows without problems, report the others.
    ValidRows,
}

/// A problem with one row (or with the file, line 0).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    pub line: usize,
    pub field: String,
    pub message: String,
}

/// What a run found and did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Data rows in the file.
    pub rows: usize,
    pub problems: Vec<Problem>,
    /// Rows written as new records.
    pub added: usize,
    /// Rows that replaced a value already recorded (amounts).
    pub updated: usize,
    /// Rows already recorded, left as they were.
    pub skipped: usize,
    /// Whether the run was allowed to write (not a check, and no problem unless the valid rows
    /// were asked for); `added` and `updated` say what it wrote.
    pub written: bool,
}

impl Report {
    /// Lines with at least one problem.
    pub fn bad_rows(&self) -> usize {
        self.problems
            .iter()
            .map(|p| p.line)
            .collect::<HashSet<_>>()
            .len()
    }

    /// One line for people: what happened.
    pub fn summary(&self) -> String {
        let mut s = format!("共{}行", self.rows);
        if self.written {
            s.push_str(&format!(
                "：新增{}条，更新{}条，已存在跳过{}条",
                self.added, self.updated, self.skipped
            ));
        } else {
            s.push_str("，未写入任何数据");
        }
        if !self.problems.is_empty() {
            s.push_str(&format!("；{}行有问题", self.bad_rows()));
        }
        s
    }
}

/// Why a run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0}")]
    File(#[from] table::TableError),
    #[error("文件共{0}行，超过每次{MAX_ROWS}行的上限，请分批导入")]
    TooManyRows(usize),
    #[error("{0}")]
    Store(#[from] gongkai_store::StoreError),
}

/// What a run needs besides the file.
pub struct Context<'a> {
    pub store: &'a Store,
    pub seal: &'a SealKey,
    pub calendar: &'a Calendar,
    pub today: NaiveDate,
}

/// Import `bytes` (a file named `file_name`) of `kind` into `body`.
pub async fn run(
    cx: &Context<'_>,
    kind: ImportKind,
    body: &Body,
    file_name: &str,
    bytes: &[u8],
    mode: Mode,
    who: &Who,
) -> Result<Report, ImportError> {
    let rows = table::read_table(file_name, bytes, kind.layout())?;
    if rows.len() > MAX_ROWS {
        return Err(ImportError::TooManyRows(rows.len()));
    }
    match kind {
        ImportKind::Credit => credit(cx, body, rows, mode, who).await,
        ImportKind::FeeAmounts => fees(cx, body, rows, mode, who).await,
    }
}

fn problem(layout: &Layout, line: usize, key: &str, message: impl Into<String>) -> Problem {
    let heading = layout.heading(key);
    Problem {
        line,
        field: if heading.is_empty() {
            key.to_string()
        } else {
            heading.to_string()
        },
        message: message.into(),
    }
}

fn read_problems(row: &Row) -> impl Iterator<Item = Problem> + '_ {
    row.problems.iter().map(|(field, message)| Problem {
        line: row.line,
        field: field.clone(),
        message: message.clone(),
    })
}

/// 是/否 (or 1/0, true/false, 有/无); empty is 否.
fn yes(s: &str) -> Result<bool, String> {
    match s.trim() {
        "" | "否" | "无" | "0" | "false" | "FALSE" | "N" | "n" => Ok(false),
        "是" | "有" | "1" | "true" | "TRUE" | "Y" | "y" => Ok(true),
        other => Err(format!("请填写“是”或“否”，而不是“{other}”")),
    }
}

/// A date as offices type it (2026-03-02, 2026/3/2, 2026年3月2日, 2026.03.02).
pub fn parse_day(s: &str) -> Option<NaiveDate> {
    let t = s.trim();
    ["%Y-%m-%d", "%Y/%m/%d", "%Y年%m月%d日", "%Y.%m.%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(t, f).ok())
}

/// The same as ISO text, or the text as typed (for the rule to report).
fn iso_date(s: &str) -> String {
    parse_day(s).map_or_else(|| s.trim().to_string(), |d| d.to_string())
}

async fn credit(
    cx: &Context<'_>,
    body: &Body,
    rows: Vec<Row>,
    mode: Mode,
    who: &Who,
) -> Result<Report, ImportError> {
    let layout = &CREDIT_LAYOUT;
    let mut report = Report {
        rows: rows.len(),
        ..Report::default()
    };
    let mut seen: HashSet<(DecisionKind, String)> = HashSet::new();
    let recorded = cx.store.recorded_doc_nos(body.id).await?;
    let policy = cx.store.body_settings(body.id).await?.credit;
    let mut new = Vec::new();
    for row in &rows {
        let before = report.problems.len();
        report.problems.extend(read_problems(row));
        let mut flag = |key: &'static str| match yes(&row.get(key)) {
            Ok(v) => v,
            Err(m) => {
                report.problems.push(problem(layout, row.line, key, m));
                false
            }
        };
        let involves_minor = flag("involves_minor");
        let adult_confirmed = flag("adult_confirmed");
        let input = DecisionInput {
            kind: row.get("kind"),
            party_type: row.get("party_type"),
            party_name: row.get("party_name"),
            uscc: row.get("uscc"),
            legal_rep: row.get("legal_rep"),
            id_type: row.get("id_type"),
            id_no: row.get("id_no"),
            rep_id_no: row.get("rep_id_no"),
            phone: row.get("phone"),
            address: row.get("address"),
            other_names: row.get("other_names"),
            involves_minor,
            adult_confirmed,
            doc_title: row.get("doc_title"),
            doc_no: row.get("doc_no"),
            content: row.get("content"),
            basis: row.get("basis"),
            fine_yuan: row.get("fine_yuan"),
            decided_on: iso_date(&row.get("decided_on")),
            valid_until: iso_date(&row.get("valid_until")),
        };
        let valid = match input.validate(cx.today) {
            Ok(v) => v,
            Err(errors) => {
                for (key, m) in errors {
                    report.problems.push(problem(layout, row.line, key, m));
                }
                continue;
            }
        };
        if !seen.insert((valid.kind, valid.doc_no.clone())) {
            report.problems.push(problem(
                layout,
                row.line,
                "doc_no",
                format!("与前面的行重复：{}“{}”", valid.kind.label(), valid.doc_no),
            ));
            continue;
        }
        if report.problems.len() > before {
            continue;
        }
        if recorded.contains(&(valid.kind, valid.doc_no.clone())) {
            report.skipped += 1;
            continue;
        }
        let due = match dc::publish_due(cx.calendar, valid.decided_on) {
            Ok(d) => d,
            Err(e) => {
                report
                    .problems
                    .push(problem(layout, row.line, "decided_on", e.to_string()));
                continue;
            }
        };
        let personal = serde_json::to_string(&valid.personal)
            .map_err(|e| gongkai_store::StoreError::Invalid(e.to_string()))?;
        new.push(NewDecision::from_valid(
            body.id,
            &valid,
            cx.seal.seal(&personal),
            due,
            &policy,
            "import",
        ));
    }
    if write_allowed(&report, mode) {
        if !new.is_empty() {
            report.added = cx.store.record_decisions(&new, who).await?.len();
        }
        report.written = true;
    }
    Ok(report)
}

fn write_allowed(report: &Report, mode: Mode) -> bool {
    match mode {
        Mode::Check => false,
        Mode::AllOrNothing => report.problems.is_empty(),
        Mode::ValidRows => true,
    }
}

async fn fees(
    cx: &Context<'_>,
    body: &Body,
    rows: Vec<Row>,
    mode: Mode,
    who: &Who,
) -> Result<Report, ImportError> {
    let layout = &FEE_LAYOUT;
    let mut report = Report {
        rows: rows.len(),
        ..Report::default()
    };
    let mut seen = HashSet::new();
    let codes: std::collections::HashMap<String, i64> = cx
        .store
        .list_fees(Some(body.id))
        .await?
        .into_iter()
        .map(|f| (f.code, f.id))
        .collect();
    let mut amounts = Vec::new();
    for row in &rows {
        let before = report.problems.len();
        report.problems.extend(read_problems(row));
        let code = row.get("code");
        let fee = if code.is_empty() {
            report
                .problems
                .push(problem(layout, row.line, "code", "请填写收费项目编码"));
            None
        } else {
            let id = codes.get(&code).copied();
            if id.is_none() {
                report.problems.push(problem(
                    layout,
                    row.line,
                    "code",
                    format!("{}没有编码为“{code}”的收费项目", body.name),
                ));
            }
            id
        };
        let year = row.get("year");
        let year = year.trim_end_matches('年').trim();
        let this_year = cx.today.year();
        let amount = match year.parse::<i32>() {
            Ok(y) => match check_amount(&row.get("amount_yuan"), y, this_year) {
                Ok(fen) => Some((y, fen)),
                Err(m) => {
                    let key = if m.starts_with("年度") {
                        "year"
                    } else {
                        "amount_yuan"
                    };
                    report.problems.push(problem(layout, row.line, key, m));
                    None
                }
            },
            Err(_) => {
                report
                    .problems
                    .push(problem(layout, row.line, "year", "请填写四位年份，如 2025"));
                None
            }
        };
        if let (Some(fee), Some((y, fen))) = (fee, amount) {
            if !seen.insert((fee, y)) {
                report.problems.push(problem(
                    layout,
                    row.line,
                    "code",
                    format!("与前面的行重复：“{code}”{y}年"),
                ));
            } else if report.problems.len() == before {
                amounts.push((fee, y, fen));
            }
        }
    }
    if write_allowed(&report, mode) && !amounts.is_empty() {
        report.updated = cx.store.set_fee_amounts(&amounts, "imported", who).await?;
        report.added = amounts.len() - report.updated;
        report.written = true;
    }
    Ok(report)
}
