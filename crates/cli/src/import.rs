//! `gongkai import items FILE`: load a legacy catalogue (CSV or XLSX with the catalogue's columns)
//! as items published on their original dates, with a progress bar and a validation report
//! (row, field, problem). Rows already imported are skipped, so running it twice adds nothing.

use std::collections::HashMap;
use std::path::Path;

use chrono::NaiveDate;
use gongkai_domain::audit::Who;
use gongkai_domain::disclosure::{ItemInput, Validity};
use gongkai_store::Store;
use gongkai_store::disclosure::{Category, ImportOutcome, ImportRow};

/// Columns of a table: a key and the headings (Chinese as on real catalogues, or English) that
/// name it.
pub use gongkai_files::table::Columns;

/// The item catalogue's columns.
pub const ITEM_COLUMNS: Columns = &[
    ("org_code", &["机构代码", "org_code", "发布机构代码"]),
    ("category", &["栏目", "category", "公开目录"]),
    ("title", &["标题", "名称", "title"]),
    ("doc_no", &["发文字号", "文号", "doc_no"]),
    ("written_on", &["成文日期", "written_on"]),
    ("formed_on", &["形成日期", "生成日期", "formed_on"]),
    ("published_on", &["发布日期", "published_on"]),
    ("subject", &["主题分类", "subject"]),
    ("keywords", &["关键词", "keywords"]),
    ("summary", &["内容概述", "summary"]),
    ("body", &["正文", "body"]),
    ("scope", &["公开范围", "scope"]),
    ("validity", &["有效性", "validity"]),
    ("validity_date", &["失效日期", "废止日期", "validity_date"]),
    ("index_no", &["索引号", "index_no"]),
    ("normative_kind", &["规范性文件", "normative_kind"]),
];

/// A problem with one row.
#[derive(Debug, Clone)]
pub struct Problem {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// The 标准目录's columns (国办发〔2019〕54号).
pub const STANDARD_COLUMNS: Columns = &[
    ("area", &["领域", "所属领域", "area"]),
    (
        "item_l1",
        &["公开事项一级", "一级事项", "公开事项（一级）", "item_l1"],
    ),
    (
        "item_l2",
        &["公开事项二级", "二级事项", "公开事项（二级）", "item_l2"],
    ),
    ("content", &["公开内容（要素）", "公开内容", "content"]),
    ("basis", &["公开依据", "basis"]),
    ("time_limit", &["公开时限", "time_limit"]),
    ("subject", &["公开主体", "subject"]),
    ("channels", &["公开渠道和载体", "公开渠道", "channels"]),
    ("audience", &["公开对象", "audience"]),
    ("method", &["公开方式", "method"]),
    ("level", &["公开层级", "level"]),
];

/// Read 标准目录 rows from a CSV or XLSX file.
pub fn read_standard(
    path: &Path,
) -> anyhow::Result<(Vec<gongkai_store::disclosure::StandardRow>, Vec<Problem>)> {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (n, r) in read_table(path, STANDARD_COLUMNS, &["item_l1"])? {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        if g("item_l1").is_empty() {
            problems.push(Problem {
                row: n,
                field: "公开事项一级".into(),
                message: "不能为空".into(),
            });
            continue;
        }
        rows.push(gongkai_store::disclosure::StandardRow {
            id: 0,
            area: g("area"),
            item_l1: g("item_l1"),
            item_l2: g("item_l2"),
            content: g("content"),
            basis: g("basis"),
            time_limit: g("time_limit"),
            time_limit_days: None,
            subject: g("subject"),
            channels: g("channels"),
            audience: g("audience"),
            method: g("method"),
            level: g("level"),
        });
    }
    Ok((rows, problems))
}

/// Read a CSV or XLSX file into rows of (column key → value); row numbers are 1-based with the
/// header as row 1. The reader is the one the web imports use (`gongkai_files::table`).
pub fn read_table(
    path: &Path,
    columns: Columns,
    required: &'static [&'static str],
) -> anyhow::Result<Vec<(usize, HashMap<&'static str, String>)>> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("无法读取 {}：{e}", path.display()))?;
    let layout = gongkai_files::table::Layout {
        columns,
        required,
        text: &[],
        strict: false,
    };
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    Ok(gongkai_files::table::read_table(name, &bytes, &layout)?
        .into_iter()
        .map(|r| (r.line, r.cells))
        .collect())
}

fn date(s: &str) -> Option<NaiveDate> {
    gongkai_web::imports::parse_day(s)
}

/// Validate rows against the installation (bodies, catalogues) and the rules.
pub async fn validate(
    store: &Store,
    rows: Vec<(usize, HashMap<&'static str, String>)>,
    today: NaiveDate,
) -> anyhow::Result<(Vec<ImportRow>, Vec<Problem>)> {
    let bodies = store.list_bodies().await?;
    let mut cats: HashMap<i64, Vec<Category>> = HashMap::new();
    let mut ok = Vec::new();
    let mut problems = Vec::new();
    for (n, r) in rows {
        let g = |k: &str| r.get(k).cloned().unwrap_or_default();
        let mut bad = |field: &str, message: String| {
            problems.push(Problem {
                row: n,
                field: field.into(),
                message,
            })
        };
        let code = g("org_code");
        let normal = gongkai_domain::codes::OrgCode::parse(&code)
            .map(|c| c.value)
            .unwrap_or_else(|_| code.to_uppercase());
        let Some(body) = bodies.iter().find(|b| b.org_code == normal) else {
            bad("机构代码", format!("找不到机构代码为“{code}”的机关"));
            continue;
        };
        let list: &[Category] = match cats.entry(body.id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(store.list_categories(body.id).await?)
            }
        };
        let cat_name = g("category");
        let category = if cat_name.is_empty() {
            list.iter()
                .find(|c| c.template_key == "art20_15")
                .or_else(|| list.first())
        } else {
            list.iter()
                .find(|c| c.name == cat_name || c.template_key == cat_name)
        };
        let Some(category) = category else {
            bad(
                "栏目",
                format!("{}的公开目录中没有栏目“{cat_name}”", body.name),
            );
            continue;
        };
        let Some(published_on) = date(&g("published_on")) else {
            bad(
                "发布日期",
                format!("发布日期“{}”无效，格式应为2025-03-01", g("published_on")),
            );
            continue;
        };
        if published_on > today {
            bad("发布日期", "发布日期不能晚于今天".into());
            continue;
        }
        let formed = if g("formed_on").is_empty() {
            published_on.to_string()
        } else {
            g("formed_on")
        };
        let validity = match g("validity").as_str() {
            "" => Validity::Valid,
            v => match Validity::parse(v) {
                Some(v) => v,
                None => {
                    bad("有效性", format!("有效性“{v}”应为有效、失效或废止"));
                    continue;
                }
            },
        };
        let input = ItemInput {
            title: g("title"),
            doc_no: g("doc_no"),
            written_on: g("written_on"),
            formed_on: formed,
            subject: g("subject"),
            keywords: g("keywords"),
            summary: g("summary"),
            body_md: g("body"),
            scope: g("scope"),
            open_method: String::new(),
            normative_kind: g("normative_kind").replace('否', ""),
            related: String::new(),
        };
        match input.validate(today) {
            Ok(fields) => ok.push(ImportRow {
                body_id: body.id,
                org_code: body.org_code.clone(),
                category_id: category.id,
                index_no: Some(g("index_no")).filter(|s| !s.is_empty()),
                fields,
                published_on,
                validity: validity.as_str().into(),
                validity_date: date(&g("validity_date")),
            }),
            Err(errs) => {
                for (f, m) in errs {
                    bad(f, m);
                }
            }
        }
    }
    Ok((ok, problems))
}

/// Import validated rows in batches, with a progress bar.
pub async fn import(
    store: &Store,
    rows: &[ImportRow],
    who: &Who,
    progress: bool,
) -> anyhow::Result<ImportOutcome> {
    let bar = if progress {
        let b = indicatif::ProgressBar::new(rows.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} 条 · {per_sec} · 剩余 {eta}",
        ) {
            b.set_style(style);
        }
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut total = ImportOutcome::default();
    for chunk in rows.chunks(500) {
        let o = store.import_published(chunk, who).await?;
        total.inserted += o.inserted;
        total.skipped += o.skipped;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    Ok(total)
}
