//! The annual report (政府信息公开工作年度报告) as PDF, DOCX and XLSX, laid out as in
//! 国办公开办函〔2021〕30号, and an XLSX laid out that way read back (for imports).

use std::io::Cursor;

use crate::layout as l;
use crate::styles::{centred, doc, heading, para, space};
use crate::{Renderer, ReportError};
use docx_rs::{
    AlignmentType, Docx, PageMargin, Paragraph, Run, RunFonts, Table, TableCell, TableRow,
    VMergeType, WidthType,
};
use gongkai_domain::annual_report::{
    self as ar, AnnualReport, GENERAL_HEADINGS, SECTION_TITLES, TABLE3_COLUMNS, TABLE3_CORNER,
    TABLE4_COLUMNS, TABLE4_GROUPS, Table2, Table3, Table4, paragraphs,
};
use gongkai_files::table::{Sheet, XCell};

/// The opening sentence every report carries before section 一.
pub fn intro(r: &AnnualReport) -> String {
    format!(
        "本报告根据《中华人民共和国政府信息公开条例》（以下简称《条例》）第四十九条、第五十条和{}的要求编制，报告所列数据的统计期限自{}年1月1日起至{}年12月31日止。",
        if r.format == ar::FORMAT_2019 {
            ar::FORMAT_2019
        } else {
            ar::FORMAT_2021
        },
        r.year,
        r.year
    )
}

fn table4_values(t: &Table4) -> Vec<i64> {
    t.rows().iter().flat_map(|r| r.iter().copied()).collect()
}

impl Renderer {
    /// The whole report as PDF. `note` goes into every page's footer (e.g. 「草稿」).
    pub fn annual_report_pdf(
        &self,
        r: &AnnualReport,
        site_name: &str,
        note: &str,
    ) -> Result<Vec<u8>, ReportError> {
        self.pdf(&annual_doc(r, site_name, note))
    }
}

/// The six sections and the three tables as laid out in the format.
fn annual_doc(r: &AnnualReport, site_name: &str, note: &str) -> l::Doc {
    use l::{Align, Block, Cell, Col, Para, Style};
    let h1 = |t: &str| Block::Para(heading(t, Style::sans(14.0).bold(), 1.3, 0.8));
    let h2 = |t: &str| Block::Para(heading(t, Style::serif(12.0).bold(), 1.0, 0.6));
    let paras = |ps: Vec<String>| ps.into_iter().map(para).collect::<Vec<_>>();
    let cell = |t: &str, st: Style| {
        Cell::para(
            Para::text(t, st)
                .align(Align::Center)
                .leading(0.45)
                .space(0.0, 0.0),
        )
    };
    let title = r.title();
    let mut blocks = vec![
        space(4.0),
        centred(title.clone(), Style::serif(20.0).bold()),
        space(6.0),
    ];
    blocks.extend(paras(vec![intro(r)]));

    blocks.push(h1(SECTION_TITLES[0]));
    for (h, t) in GENERAL_HEADINGS.iter().zip(&r.sections.general) {
        blocks.push(h2(h));
        blocks.extend(paras(paragraphs(t)));
    }

    // 表二: 主动公开政府信息情况.
    blocks.push(h1(SECTION_TITLES[1]));
    let (n, b) = (Style::serif(10.0), Style::serif(10.0).bold());
    let mut cells = Vec::new();
    for blk in ar::table2_blocks(&r.table2) {
        cells.push(cell(blk.heading, b).span(4, 1));
        if blk.columns.len() == 4 {
            cells.extend(blk.columns.iter().map(|c| cell(c, b)));
        } else {
            cells.push(cell(blk.columns.first().copied().unwrap_or(""), b));
            cells.push(cell(blk.columns.get(1).copied().unwrap_or(""), b).span(3, 1));
        }
        for (label, values) in &blk.rows {
            cells.push(cell(label, n));
            if values.len() == 3 {
                cells.extend(values.iter().map(|v| cell(v, n)));
            } else {
                let v = values.first().map_or("", String::as_str);
                cells.push(cell(v, n).span(3, 1));
            }
        }
    }
    blocks.push(Block::Table(l::Table::new(
        vec![Col::Fr(2.0), Col::Fr(1.0), Col::Fr(1.0), Col::Fr(1.0)],
        cells,
    )));

    // 表三: 收到和处理政府信息公开申请情况.
    blocks.push(h1(SECTION_TITLES[2]));
    let (n, b) = (Style::serif(8.5), Style::serif(8.5).bold());
    let mut cells = vec![
        cell(TABLE3_CORNER, Style::serif(7.5)).span(1, 3),
        cell("申请人情况", b).span(7, 1),
        cell(TABLE3_COLUMNS[0], b).span(1, 2),
        cell("法人或其他组织", b).span(5, 1),
        cell(TABLE3_COLUMNS[6], b).span(1, 2),
    ];
    cells.extend(TABLE3_COLUMNS[1..6].iter().map(|c| cell(c, b)));
    for line in ar::table3_lines() {
        cells.push(Cell::para(
            Para::text(line.label, n)
                .left(f32::from(line.indent) * 8.5)
                .leading(0.45)
                .space(0.0, 0.0),
        ));
        match line.row {
            Some(i) => cells.extend(r.table3.cells[i].iter().map(|v| cell(&v.to_string(), n))),
            None => cells.extend((0..7).map(|_| cell("", n))),
        }
    }
    let mut columns = vec![Col::Fr(3.4)];
    columns.extend([Col::Fr(1.0); 7]);
    blocks.push(Block::Table(l::Table {
        header_rows: 3,
        inset: (3.5, 3.5),
        ..l::Table::new(columns, cells)
    }));

    // 表四: 政府信息公开行政复议、行政诉讼情况 — fifteen columns, reaching 8 mm into each
    // margin so that 结果维持 fits on one line.
    blocks.push(h1(SECTION_TITLES[3]));
    let (n, b) = (Style::serif(7.0), Style::serif(7.0).bold());
    let mut cells = vec![
        cell(TABLE4_GROUPS[0], b).span(5, 2),
        cell("行政诉讼", b).span(10, 1),
        cell(TABLE4_GROUPS[1], b).span(5, 1),
        cell(TABLE4_GROUPS[2], b).span(5, 1),
    ];
    for _ in 0..3 {
        cells.extend(TABLE4_COLUMNS.iter().map(|c| cell(c, b)));
    }
    cells.extend(
        table4_values(&r.table4)
            .iter()
            .map(|v| cell(&v.to_string(), n)),
    );
    blocks.push(Block::Table(l::Table {
        inset: (1.0, 4.0),
        outdent: 8.0 * l::MM,
        ..l::Table::new(vec![Col::Fr(1.0); 15], cells)
    }));

    blocks.push(h1(SECTION_TITLES[4]));
    blocks.extend(paras(paragraphs(&r.sections.problems)));
    blocks.push(h1(SECTION_TITLES[5]));
    blocks.extend(paras(paragraphs(&r.sections.other)));
    doc(&title, site_name, note, blocks)
}

// ---------------------------------------------------------------------------------------------
// DOCX
// ---------------------------------------------------------------------------------------------

/// Half-points: 二号 title, 三号 text and headings, 五号 (10.5 pt) and 小五 (9 pt) in tables.
const TITLE_SIZE: usize = 44;
const TEXT_SIZE: usize = 32;
const TABLE_SIZE: usize = 21;
const SMALL_SIZE: usize = 18;
/// A4 with the GB/T 9704 margins: 15.6 cm of text width, in twips.
const TEXT_WIDTH: usize = 8844;

fn title_font() -> RunFonts {
    RunFonts::new()
        .east_asia("方正小标宋简体")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn heading_font() -> RunFonts {
    RunFonts::new()
        .east_asia("黑体")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn sub_heading_font() -> RunFonts {
    RunFonts::new()
        .east_asia("楷体_GB2312")
        .ascii("Times New Roman")
        .hi_ansi("Times New Roman")
}

fn cell(text: &str, size: usize, bold: bool, center: bool) -> TableCell {
    let mut run = Run::new().add_text(text).size(size);
    if bold {
        run = run.bold();
    }
    let mut p = Paragraph::new().add_run(run);
    if center {
        p = p.align(AlignmentType::Center);
    }
    TableCell::new().add_paragraph(p)
}

fn grid_table(rows: Vec<TableRow>, grid: Vec<usize>) -> Table {
    let total: usize = grid.iter().sum();
    Table::new(rows)
        .set_grid(grid)
        .width(total, WidthType::Dxa)
        .layout(docx_rs::TableLayoutType::Fixed)
}

fn table2_docx(t: &Table2) -> Table {
    let w = TEXT_WIDTH / 5;
    let grid = vec![TEXT_WIDTH - 3 * w, w, w, w];
    let mut rows = Vec::new();
    for blk in ar::table2_blocks(t) {
        rows.push(TableRow::new(vec![
            cell(blk.heading, TABLE_SIZE, true, true).grid_span(4),
        ]));
        if blk.columns.len() == 4 {
            rows.push(TableRow::new(
                blk.columns
                    .iter()
                    .map(|c| cell(c, TABLE_SIZE, true, true))
                    .collect(),
            ));
        } else {
            rows.push(TableRow::new(vec![
                cell(blk.columns[0], TABLE_SIZE, true, true),
                cell(blk.columns[1], TABLE_SIZE, true, true).grid_span(3),
            ]));
        }
        for (label, values) in &blk.rows {
            let mut cells = vec![cell(label, TABLE_SIZE, false, true)];
            if values.len() == 3 {
                cells.extend(values.iter().map(|v| cell(v, TABLE_SIZE, false, true)));
            } else {
                cells.push(cell(&values[0], TABLE_SIZE, false, true).grid_span(3));
            }
            rows.push(TableRow::new(cells));
        }
    }
    grid_table(rows, grid)
}

fn table3_docx(t: &Table3) -> Table {
    let w = 840;
    let grid: Vec<usize> = std::iter::once(TEXT_WIDTH - 7 * w)
        .chain(std::iter::repeat_n(w, 7))
        .collect();
    let h = |s: &str| cell(s, SMALL_SIZE, true, true);
    let mut rows = vec![
        TableRow::new(vec![
            cell(TABLE3_CORNER, SMALL_SIZE, false, true).vertical_merge(VMergeType::Restart),
            h("申请人情况").grid_span(7),
        ]),
        TableRow::new(vec![
            TableCell::new().vertical_merge(VMergeType::Continue),
            h(TABLE3_COLUMNS[0]).vertical_merge(VMergeType::Restart),
            h("法人或其他组织").grid_span(5),
            h(TABLE3_COLUMNS[6]).vertical_merge(VMergeType::Restart),
        ]),
        TableRow::new(
            std::iter::once(TableCell::new().vertical_merge(VMergeType::Continue))
                .chain(std::iter::once(
                    TableCell::new().vertical_merge(VMergeType::Continue),
                ))
                .chain(TABLE3_COLUMNS[1..6].iter().map(|c| h(c)))
                .chain(std::iter::once(
                    TableCell::new().vertical_merge(VMergeType::Continue),
                ))
                .collect(),
        ),
    ];
    for line in ar::table3_lines() {
        let label = format!("{}{}", "　".repeat(line.indent as usize), line.label);
        let mut cells = vec![cell(&label, SMALL_SIZE, false, false)];
        match line.row {
            Some(i) => cells.extend(
                t.cells[i]
                    .iter()
                    .map(|n| cell(&n.to_string(), SMALL_SIZE, false, true)),
            ),
            None => cells.extend((0..7).map(|_| cell("", SMALL_SIZE, false, true))),
        }
        rows.push(TableRow::new(cells));
    }
    grid_table(rows, grid)
}

fn table4_docx(t: &Table4) -> Table {
    let w = TEXT_WIDTH / 15;
    let grid = vec![w; 15];
    let h = |s: &str| cell(s, SMALL_SIZE, true, true);
    let rows = vec![
        TableRow::new(vec![
            h(TABLE4_GROUPS[0])
                .grid_span(5)
                .vertical_merge(VMergeType::Restart),
            h("行政诉讼").grid_span(10),
        ]),
        TableRow::new(vec![
            TableCell::new()
                .grid_span(5)
                .vertical_merge(VMergeType::Continue),
            h(TABLE4_GROUPS[1]).grid_span(5),
            h(TABLE4_GROUPS[2]).grid_span(5),
        ]),
        TableRow::new(
            (0..3)
                .flat_map(|_| TABLE4_COLUMNS.iter().map(|c| h(c)))
                .collect(),
        ),
        TableRow::new(
            table4_values(t)
                .iter()
                .map(|n| cell(&n.to_string(), SMALL_SIZE, false, true))
                .collect(),
        ),
    ];
    grid_table(rows, grid)
}

/// The whole report as a Word document: 方正小标宋简体 title, 黑体 section headings, 仿宋_GB2312
/// text, tables with fixed grid widths (so WPS and Word lay them out alike).
pub fn annual_report_docx(r: &AnnualReport) -> Result<Vec<u8>, ReportError> {
    let heading = |t: &str| {
        Paragraph::new().add_run(Run::new().add_text(t).size(TEXT_SIZE).fonts(heading_font()))
    };
    let sub_heading = |t: &str| {
        Paragraph::new().first_line_chars(200).add_run(
            Run::new()
                .add_text(t)
                .size(TEXT_SIZE)
                .fonts(sub_heading_font()),
        )
    };
    let text = |t: &str| {
        Paragraph::new()
            .first_line_chars(200)
            .add_run(Run::new().add_text(t).size(TEXT_SIZE))
    };
    let mut doc = Docx::new()
        .page_size(11906, 16838)
        .page_margin(
            PageMargin::new()
                .top(2098)
                .bottom(1984)
                .left(1588)
                .right(1474),
        )
        .default_fonts(
            RunFonts::new()
                .east_asia("仿宋_GB2312")
                .ascii("Times New Roman")
                .hi_ansi("Times New Roman"),
        )
        .default_size(TEXT_SIZE)
        .add_paragraph(
            Paragraph::new().align(AlignmentType::Center).add_run(
                Run::new()
                    .add_text(r.title())
                    .size(TITLE_SIZE)
                    .fonts(title_font()),
            ),
        )
        .add_paragraph(Paragraph::new())
        .add_paragraph(text(&intro(r)))
        .add_paragraph(heading(SECTION_TITLES[0]));
    for (h, t) in GENERAL_HEADINGS.iter().zip(&r.sections.general) {
        doc = doc.add_paragraph(sub_heading(h));
        for p in paragraphs(t) {
            doc = doc.add_paragraph(text(&p));
        }
    }
    doc = doc
        .add_paragraph(heading(SECTION_TITLES[1]))
        .add_table(table2_docx(&r.table2))
        .add_paragraph(heading(SECTION_TITLES[2]))
        .add_table(table3_docx(&r.table3))
        .add_paragraph(heading(SECTION_TITLES[3]))
        .add_table(table4_docx(&r.table4))
        .add_paragraph(heading(SECTION_TITLES[4]));
    for p in paragraphs(&r.sections.problems) {
        doc = doc.add_paragraph(text(&p));
    }
    doc = doc.add_paragraph(heading(SECTION_TITLES[5]));
    for p in paragraphs(&r.sections.other) {
        doc = doc.add_paragraph(text(&p));
    }
    let mut out = Cursor::new(Vec::new());
    doc.build()
        .pack(&mut out)
        .map_err(|e| ReportError::Data(format!("DOCX 生成失败：{e}")))?;
    Ok(out.into_inner())
}

// ---------------------------------------------------------------------------------------------
// XLSX
// ---------------------------------------------------------------------------------------------

fn num(n: i64) -> XCell {
    XCell::Number(n as f64)
}

fn title_row(title: String, columns: usize) -> (Vec<XCell>, (usize, usize, usize, usize)) {
    let mut row = vec![XCell::Title(title)];
    row.extend((1..columns).map(|_| XCell::Title(String::new())));
    (row, (0, 0, 0, columns - 1))
}

/// The three tables on three sheets (表二, 表三, 表四), each laid out as in the format.
pub fn annual_report_xlsx(r: &AnnualReport) -> Vec<u8> {
    let blank = || XCell::Text(String::new());
    // 表二
    let (t, m) = title_row(format!("{} 二、主动公开政府信息情况", r.title()), 4);
    let mut rows = vec![t];
    let mut merges = vec![m];
    for blk in ar::table2_blocks(&r.table2) {
        let at = rows.len();
        rows.push(vec![
            XCell::Heading(blk.heading.into()),
            XCell::Heading(String::new()),
            XCell::Heading(String::new()),
            XCell::Heading(String::new()),
        ]);
        merges.push((at, 0, at, 3));
        let at = rows.len();
        if blk.columns.len() == 4 {
            rows.push(
                blk.columns
                    .iter()
                    .map(|c| XCell::Heading((*c).into()))
                    .collect(),
            );
        } else {
            rows.push(vec![
                XCell::Heading(blk.columns[0].into()),
                XCell::Heading(blk.columns[1].into()),
                XCell::Heading(String::new()),
                XCell::Heading(String::new()),
            ]);
            merges.push((at, 1, at, 3));
        }
        for (label, values) in &blk.rows {
            let at = rows.len();
            let mut row = vec![XCell::Text((*label).into())];
            if values.len() == 3 {
                row.extend(
                    values
                        .iter()
                        .map(|v| XCell::Number(v.parse().unwrap_or(0.0))),
                );
            } else {
                row.push(XCell::Number(values[0].parse().unwrap_or(0.0)));
                row.push(blank());
                row.push(blank());
                merges.push((at, 1, at, 3));
            }
            rows.push(row);
        }
    }
    let sheet2 = Sheet {
        name: "表二 主动公开".into(),
        widths: vec![30.0, 16.0, 16.0, 16.0],
        rows,
        merges,
        bordered: true,
        ..Default::default()
    };
    // 表三
    let (t, m) = title_row(
        format!("{} 三、收到和处理政府信息公开申请情况", r.title()),
        8,
    );
    let h = |s: &str| XCell::Heading(s.into());
    let mut rows = vec![
        t,
        std::iter::once(h(TABLE3_CORNER))
            .chain(std::iter::once(h("申请人情况")))
            .chain((0..6).map(|_| h("")))
            .collect(),
        vec![
            h(""),
            h(TABLE3_COLUMNS[0]),
            h("法人或其他组织"),
            h(""),
            h(""),
            h(""),
            h(""),
            h(TABLE3_COLUMNS[6]),
        ],
        std::iter::once(h(""))
            .chain(std::iter::once(h("")))
            .chain(TABLE3_COLUMNS[1..6].iter().map(|c| h(c)))
            .chain(std::iter::once(h("")))
            .collect(),
    ];
    let merges = vec![
        m,
        (1, 0, 3, 0),
        (1, 1, 1, 7),
        (2, 1, 3, 1),
        (2, 2, 2, 6),
        (2, 7, 3, 7),
    ];
    for line in ar::table3_lines() {
        let label = format!("{}{}", "　".repeat(line.indent as usize), line.label);
        let mut row = vec![XCell::Text(label)];
        match line.row {
            Some(i) => row.extend(r.table3.cells[i].iter().map(|n| num(*n))),
            None => row.extend((0..7).map(|_| blank())),
        }
        rows.push(row);
    }
    let sheet3 = Sheet {
        name: "表三 依申请公开".into(),
        widths: std::iter::once(56.0)
            .chain(std::iter::repeat_n(11.0, 7))
            .collect(),
        rows,
        merges,
        bordered: true,
        ..Default::default()
    };
    // 表四
    let (t, m) = title_row(
        format!("{} 四、政府信息公开行政复议、行政诉讼情况", r.title()),
        15,
    );
    let mut first = vec![h(TABLE4_GROUPS[0])];
    first.extend((1..5).map(|_| h("")));
    first.push(h("行政诉讼"));
    first.extend((6..15).map(|_| h("")));
    let mut second: Vec<XCell> = (0..5).map(|_| h("")).collect();
    second.push(h(TABLE4_GROUPS[1]));
    second.extend((6..10).map(|_| h("")));
    second.push(h(TABLE4_GROUPS[2]));
    second.extend((11..15).map(|_| h("")));
    let rows = vec![
        t,
        first,
        second,
        (0..3)
            .flat_map(|_| TABLE4_COLUMNS.iter().map(|c| h(c)))
            .collect(),
        table4_values(&r.table4).into_iter().map(num).collect(),
    ];
    let sheet4 = Sheet {
        name: "表四 复议诉讼".into(),
        widths: vec![10.0; 15],
        rows,
        merges: vec![m, (1, 0, 2, 4), (1, 5, 1, 14), (2, 5, 2, 9), (2, 10, 2, 14)],
        bordered: true,
        ..Default::default()
    };
    gongkai_files::table::workbook(&[sheet2, sheet3, sheet4])
}

/// Parse a cell as a count: an integer, possibly written with a trailing ".0".
fn count(s: &str) -> Option<i64> {
    let s = s.trim();
    if s.is_empty() {
        return Some(0);
    }
    s.parse::<i64>()
        .ok()
        .or_else(|| {
            s.parse::<f64>()
                .ok()
                .filter(|f| f.fract() == 0.0)
                .map(|f| f as i64)
        })
        .filter(|n| *n >= 0)
}

/// The tables read from a spreadsheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridReport {
    pub table2: Table2,
    /// Whether all six rows of table 二 were found (the 2019 format had other columns).
    pub table2_complete: bool,
    pub table3: Table3,
    pub table4: Table4,
    /// Whether table 四's row of fifteen numbers was found.
    pub table4_found: bool,
    /// Whether table 三 had the 2019 format's single 其他处理 row.
    pub is_2019: bool,
}

/// Read the tables back from a grid of cells (every sheet's rows, one after another) laid out
/// as [`annual_report_xlsx`] writes them — or as most published reports' spreadsheets are: rows
/// found by their labels in the first column with the numbers to their right.
pub fn annual_report_from_grid(rows: &[Vec<String>]) -> Result<GridReport, String> {
    let numbers = |row: &Vec<String>, from: usize, n: usize| -> Option<Vec<i64>> {
        let cells: Vec<&String> = row.iter().skip(from).take(n).collect();
        if cells.len() < n || cells.iter().all(|c| c.trim().is_empty()) {
            return None;
        }
        cells.iter().map(|c| count(c)).collect()
    };
    let label =
        |row: &Vec<String>| -> String { row.first().map(|s| ar::label_key(s)).unwrap_or_default() };
    // Table 三: rows whose first cell is a row label and that carry seven numbers.
    let other = ar::label_key("（六）其他处理");
    let partial = ar::label_key("（二）部分公开");
    let mut t3_rows: Vec<(String, Vec<i64>)> = Vec::new();
    for row in rows {
        let l = label(row);
        let is_row = ar::TABLE3_ROWS.iter().any(|(x, _)| ar::label_key(x) == l)
            || l == other
            || l.starts_with(&partial);
        if is_row && let Some(v) = numbers(row, 1, 7) {
            t3_rows.push((l, v));
        }
    }
    if t3_rows.is_empty() {
        return Err("文件中没有找到表三（收到和处理政府信息公开申请情况）的数据行".into());
    }
    let (table3, is_2019) =
        Table3::from_labelled_format(t3_rows.iter().map(|(l, v)| (l.as_str(), v.as_slice())))?;
    // Table 二.
    let mut t2 = Table2::default();
    let mut found2 = 0;
    for row in rows {
        let l = label(row);
        match l.as_str() {
            "规章" | "行政规范性文件" => {
                if let Some(v) = numbers(row, 1, 3) {
                    let t = if l == "规章" {
                        &mut t2.regulations
                    } else {
                        &mut t2.normative
                    };
                    t.copy_from_slice(&v);
                    found2 += 1;
                }
            }
            "行政许可" | "行政处罚" | "行政强制" => {
                if let Some(v) = numbers(row, 1, 1) {
                    match l.as_str() {
                        "行政许可" => t2.license = v[0],
                        "行政处罚" => t2.penalty = v[0],
                        _ => t2.coercion = v[0],
                    }
                    found2 += 1;
                }
            }
            "行政事业性收费" => {
                let v = row.get(1).map(|s| s.trim().to_string()).unwrap_or_default();
                let ok = v.is_empty()
                    || v.parse::<f64>().is_ok_and(|f| f.is_finite() && f >= 0.0)
                        && v.chars().all(|c| c.is_ascii_digit() || c == '.');
                if !ok {
                    return Err(format!("表二“行政事业性收费”的金额“{v}”不是数字"));
                }
                t2.fees_wan = if v.is_empty() { "0".into() } else { v };
                found2 += 1;
            }
            _ => {}
        }
    }
    // Table 四: the row after the one that repeats the five column headings three times.
    let mut t4 = Table4::default();
    let heads: Vec<String> = TABLE4_COLUMNS.iter().map(|s| s.to_string()).collect();
    let mut table4_found = false;
    if let Some(at) = rows.iter().position(|row| {
        let cells: Vec<String> = row.iter().map(|c| c.trim().to_string()).collect();
        cells.len() >= 15 && (0..3).all(|g| cells[g * 5..g * 5 + 5] == heads[..])
    }) && let Some(v) = rows.get(at + 1).and_then(|row| numbers(row, 0, 15))
    {
        t4.reconsideration.copy_from_slice(&v[0..5]);
        t4.lawsuit.copy_from_slice(&v[5..10]);
        t4.lawsuit_after_review.copy_from_slice(&v[10..15]);
        table4_found = true;
    }
    Ok(GridReport {
        table2: t2,
        table2_complete: found2 == 6,
        table3,
        table4: t4,
        table4_found,
        is_2019,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn sample() -> AnnualReport {
        let mut t3 = Table3::default();
        t3.cells[ar::ROW_NEW] = [3, 1, 0, 0, 1, 0, 5];
        t3.cells[ar::ROW_CARRIED] = [1, 0, 0, 0, 0, 0, 1];
        t3.cells[2] = [2, 1, 0, 0, 0, 0, 3];
        t3.cells[20] = [1, 0, 0, 0, 0, 0, 1];
        t3.cells[ar::ROW_TOTAL] = [3, 1, 0, 0, 0, 0, 4];
        t3.cells[ar::ROW_OPEN] = [1, 0, 0, 0, 1, 0, 2];
        AnnualReport {
            format: ar::FORMAT_2021.into(),
            body: "示范县民政局".into(),
            year: 2025,
            sections: ar::Sections {
                general: std::array::from_fn(|i| format!("第{}部分。", i + 1)),
                problems: "问题一。\n问题二。".into(),
                other: "本年度未收取信息处理费。".into(),
            },
            table2: Table2 {
                regulations: [0, 0, 2],
                normative: [3, 1, 12],
                license: 40,
                penalty: 7,
                coercion: 1,
                fees_wan: "12.35".into(),
            },
            table3: t3,
            table4: Table4 {
                reconsideration: [1, 0, 0, 1, 2],
                lawsuit: [0, 0, 1, 0, 1],
                lawsuit_after_review: [0; 5],
            },
        }
    }

    #[test]
    fn the_xlsx_reads_back_to_the_same_numbers() {
        let r = sample();
        assert!(r.check().is_empty());
        let bytes = annual_report_xlsx(&r);
        let mut rows = Vec::new();
        for sheet in gongkai_files::table::grids("r.xlsx", &bytes).unwrap() {
            rows.extend(sheet);
        }
        let g = annual_report_from_grid(&rows).unwrap();
        assert!(g.table2_complete && g.table4_found && !g.is_2019);
        assert_eq!(g.table2, r.table2);
        assert_eq!(g.table3, r.table3);
        assert_eq!(g.table4, r.table4);
    }

    /// The PDF's text, as pdftotext reads it, holds every row label in order and the figures.
    #[test]
    fn the_pdf_holds_every_label_in_order() {
        let pdf = crate::tests::renderer()
            .annual_report_pdf(&sample(), "示范县政府信息公开平台", "")
            .unwrap();
        crate::tests::keep("annual-report.pdf", &pdf);
        let mut child = std::process::Command::new("pdftotext")
            .args(["-layout", "-", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("pdftotext (apt-get install poppler-utils)");
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &pdf).unwrap();
        let out = child.wait_with_output().unwrap();
        let raw = String::from_utf8(out.stdout).unwrap();
        assert!(raw.contains("12.35"));
        // In the layout a long label wraps around its row's numbers: leave the numbers out.
        let text: String = raw
            .split_whitespace()
            .filter(|t| !t.chars().all(|c| c.is_ascii_digit() || c == '.'))
            .collect();
        let mut at = 0;
        for label in ar::printed_labels() {
            let label: String = label.chars().filter(|c| !c.is_whitespace()).collect();
            let found = text[at..]
                .find(&label)
                .unwrap_or_else(|| panic!("{label} not found after {at}: {}", &text[at..]));
            at += found + label.len();
        }
        assert!(text.contains("示范县民政局2025年政府信息公开工作年度报告"));
        for g in TABLE4_GROUPS {
            assert!(text.contains(g), "{g}");
        }
    }

    #[test]
    fn a_grid_without_table_three_is_refused() {
        let rows = vec![vec!["规章".to_string(), "1".into(), "0".into(), "3".into()]];
        assert!(annual_report_from_grid(&rows).unwrap_err().contains("表三"));
    }

    #[test]
    fn the_docx_holds_every_label_in_order_with_the_named_fonts() {
        let bytes = annual_report_docx(&sample()).unwrap();
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/document.xml").unwrap(), &mut xml)
            .unwrap();
        assert!(xml.contains("方正小标宋简体"));
        assert!(xml.contains("w:gridCol"));
        let mut styles = String::new();
        std::io::Read::read_to_string(&mut zip.by_name("word/styles.xml").unwrap(), &mut styles)
            .unwrap();
        assert!(styles.contains("仿宋_GB2312"));
        // The text in reading order: the runs' text joined.
        let text: String = xml
            .split("<w:t")
            .skip(1)
            .filter_map(|s| s.split_once('>').map(|(_, rest)| rest))
            .filter_map(|s| s.split_once("</w:t>").map(|(t, _)| t))
            .collect();
        let mut at = 0;
        for label in ar::printed_labels() {
            let found = text[at..]
                .find(label)
                .unwrap_or_else(|| panic!("{label} not found after {at}"));
            at += found + label.len();
        }
        assert!(text.contains("12.35"));
        for g in TABLE4_GROUPS {
            assert!(text.contains(g), "{g}");
        }
    }
}
