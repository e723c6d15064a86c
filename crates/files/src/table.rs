//! Tables uploaded or given on the command line (CSV or XLSX): the one reader behind every
//! import, so the web form and `gongkai import …` see a file the same way.
//!
//! What real files from offices need: CSV saved by Excel on a Chinese Windows is GB18030, not
//! UTF-8 (both are read; a UTF-8 byte-order mark is dropped); XLSX dates are serial numbers
//! (read as `YYYY-MM-DD`); an 18-digit ID typed into a number cell has already lost its last
//! digits, so a number in a column that must be text is a problem of its row, never silently
//! accepted. Headings are matched on the names real catalogues use (Chinese) or on English keys;
//! with [`Layout::strict`] a heading nobody knows refuses the file (a misspelt 证件号码 must not
//! vanish).

use std::collections::HashMap;

/// Columns of a table: a key and the headings that name it (the first is the one shown).
pub type Columns = &'static [(&'static str, &'static [&'static str])];

/// How a table must look.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub columns: Columns,
    /// Keys whose column must be present.
    pub required: &'static [&'static str],
    /// Keys whose cells must be text in XLSX (codes, ID numbers, document numbers).
    pub text: &'static [&'static str],
    /// Refuse headings that name no known column.
    pub strict: bool,
}

impl Layout {
    /// The heading shown for `key` (its first name).
    pub fn heading(&self, key: &str) -> &'static str {
        self.columns
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, n)| n[0])
            .unwrap_or("")
    }
}

/// One data row: its line in the sheet (the heading is line 1), its cells by column key, and
/// the problems found while reading it.
#[derive(Debug, Clone, Default)]
pub struct Row {
    pub line: usize,
    pub cells: HashMap<&'static str, String>,
    /// (heading, message) pairs.
    pub problems: Vec<(String, String)>,
}

impl Row {
    /// The trimmed cell of `key` (empty when absent).
    pub fn get(&self, key: &str) -> String {
        self.cells.get(key).cloned().unwrap_or_default()
    }
}

/// Why a file was refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("只支持 CSV 或 XLSX 文件")]
    UnsupportedType,
    #[error("无法读取文件：{0}")]
    Unreadable(String),
    #[error("文件中没有数据（第1行应为表头）")]
    Empty,
    #[error("缺少必需的列“{0}”")]
    MissingColumn(String),
    #[error("无法识别的列“{0}”，请使用模板中的列名")]
    UnknownColumn(String),
    #[error("列“{0}”出现了两次")]
    DuplicateColumn(String),
}

/// A cell as read: its text, and whether a spreadsheet stored it as a number.
struct Cell {
    text: String,
    numeric: bool,
}

/// Read `bytes` (a file named `file_name`, whose extension decides the format) as `layout`.
/// Blank rows are skipped.
pub fn read_table(file_name: &str, bytes: &[u8], layout: &Layout) -> Result<Vec<Row>, TableError> {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    let raw = match ext.as_str() {
        "xlsx" => xlsx_cells(bytes)?,
        "csv" | "txt" => csv_cells(bytes)?,
        _ => return Err(TableError::UnsupportedType),
    };
    let mut it = raw.into_iter();
    let header = it.next().ok_or(TableError::Empty)?;
    let mut index: Vec<Option<&'static str>> = Vec::new();
    for h in &header {
        let h = h.text.trim();
        let key = layout
            .columns
            .iter()
            .find(|(_, names)| names.iter().any(|n| n.eq_ignore_ascii_case(h)))
            .map(|(k, _)| *k);
        if let Some(k) = key
            && index.contains(&Some(k))
        {
            return Err(TableError::DuplicateColumn(h.to_string()));
        }
        if key.is_none() && layout.strict && !h.is_empty() {
            return Err(TableError::UnknownColumn(h.to_string()));
        }
        index.push(key);
    }
    for required in layout.required {
        if !index.contains(&Some(*required)) {
            return Err(TableError::MissingColumn(layout.heading(required).into()));
        }
    }
    Ok(it
        .enumerate()
        .filter(|(_, r)| r.iter().any(|c| !c.text.trim().is_empty()))
        .map(|(i, r)| {
            let mut row = Row {
                line: i + 2,
                ..Row::default()
            };
            for (j, cell) in r.into_iter().enumerate() {
                let Some(Some(k)) = index.get(j) else {
                    continue;
                };
                if cell.numeric && layout.text.contains(k) {
                    row.problems.push((
                        layout.heading(k).to_string(),
                        "该单元格被保存为数值，长代码会丢失末位数字，请将该列设为文本后重新填写"
                            .into(),
                    ));
                }
                row.cells.insert(*k, cell.text.trim().to_string());
            }
            row
        })
        .collect())
}

fn xlsx_cells(bytes: &[u8]) -> Result<Vec<Vec<Cell>>, TableError> {
    use calamine::{Reader, Xlsx};
    let unreadable = |e: String| TableError::Unreadable(e);
    let mut wb: Xlsx<_> =
        Xlsx::new(std::io::Cursor::new(bytes)).map_err(|e| unreadable(e.to_string()))?;
    let name = wb
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable("工作簿中没有工作表".into()))?;
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| unreadable(e.to_string()))?;
    Ok(range_cells(&range))
}

fn range_cells(range: &calamine::Range<calamine::Data>) -> Vec<Vec<Cell>> {
    use calamine::Data;
    range
        .rows()
        .map(|r| {
            r.iter()
                .map(|c| match c {
                    Data::DateTime(d) => {
                        let (y, m, day, ..) = d.to_ymd_hms_milli();
                        Cell {
                            text: format!("{y:04}-{m:02}-{day:02}"),
                            numeric: false,
                        }
                    }
                    Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => Cell {
                        text: format!("{}", *f as i64),
                        numeric: true,
                    },
                    Data::Float(_) | Data::Int(_) => Cell {
                        text: c.to_string(),
                        numeric: true,
                    },
                    other => Cell {
                        text: other.to_string(),
                        numeric: false,
                    },
                })
                .collect()
        })
        .collect()
}

fn csv_cells(bytes: &[u8]) -> Result<Vec<Vec<Cell>>, TableError> {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            let (s, _, bad) = encoding_rs::GB18030.decode(bytes);
            if bad {
                return Err(TableError::Unreadable(
                    "文件编码既不是 UTF-8 也不是 GB18030，请另存为“CSV UTF-8”".into(),
                ));
            }
            s
        }
    };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| TableError::Unreadable(format!("CSV 格式错误：{e}")))?;
        rows.push(
            rec.iter()
                .map(|s| Cell {
                    text: s.to_string(),
                    numeric: false,
                })
                .collect(),
        );
    }
    Ok(rows)
}

/// A cell of a sheet written by [`xlsx`] or [`workbook`].
#[derive(Debug, Clone, PartialEq)]
pub enum XCell {
    Text(String),
    Number(f64),
    /// `YYYY-MM-DD`, written as an Excel date.
    Date(String),
    /// A table heading: bold and centred (with a border in a bordered sheet).
    Heading(String),
    /// A sheet's title line: bold, larger, centred, never bordered.
    Title(String),
}

/// One worksheet of a [`workbook`].
#[derive(Debug, Clone, Default)]
pub struct Sheet {
    pub name: String,
    /// Column widths in characters; columns beyond the list are 22 wide.
    pub widths: Vec<f64>,
    /// Columns (by position) formatted as text, so codes typed into them stay text.
    pub text_columns: Vec<usize>,
    pub rows: Vec<Vec<XCell>>,
    /// Merged ranges: (first row, first column, last row, last column), 0-based.
    pub merges: Vec<(usize, usize, usize, usize)>,
    /// Thin borders around every cell that is not a title (a printed form's grid).
    pub bordered: bool,
}

/// The grids of every sheet of an XLSX file (a CSV file is one sheet), every cell as text
/// (numbers without a fraction as integers), for files laid out by row labels rather than by
/// headings.
pub fn grids(file_name: &str, bytes: &[u8]) -> Result<Vec<Vec<Vec<String>>>, TableError> {
    let lower = file_name.to_lowercase();
    let text = |rows: Vec<Vec<Cell>>| -> Vec<Vec<String>> {
        rows.into_iter()
            .map(|r| r.into_iter().map(|c| c.text).collect())
            .collect()
    };
    if lower.ends_with(".csv") {
        return Ok(vec![text(csv_cells(bytes)?)]);
    }
    if !lower.ends_with(".xlsx") {
        return Err(TableError::Unreadable("请上传 CSV 或 XLSX 文件".into()));
    }
    use calamine::{Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| TableError::Unreadable(e.to_string()))?;
    let mut out = Vec::new();
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| TableError::Unreadable(e.to_string()))?;
        out.push(text(range_cells(&range)));
    }
    Ok(out)
}

/// A one-sheet workbook: `headings` in bold-free row 1 (the columns of `text_columns`, by
/// position, formatted as text so that codes and ID numbers typed into them stay text), then
/// `rows`. Used for the import templates offered for download, and by tests.
pub fn xlsx(headings: &[&str], text_columns: &[usize], rows: &[Vec<XCell>]) -> Vec<u8> {
    let header: Vec<XCell> = headings.iter().map(|h| XCell::Text((*h).into())).collect();
    workbook(&[Sheet {
        name: "Sheet1".into(),
        widths: vec![22.0; headings.len().max(1)],
        text_columns: text_columns.to_vec(),
        rows: std::iter::once(header)
            .chain(rows.iter().cloned())
            .collect(),
        merges: Vec::new(),
        bordered: false,
    }])
}

/// Styles of the workbook (`cellXfs` order).
const STYLE_TEXT_FORMAT: usize = 1;
const STYLE_DATE: usize = 2;
const STYLE_GRID_TEXT: usize = 3;
const STYLE_GRID_NUMBER: usize = 4;
const STYLE_HEADING: usize = 5;
const STYLE_GRID_HEADING: usize = 6;
const STYLE_TITLE: usize = 7;

/// An XLSX workbook of `sheets`.
pub fn workbook(sheets: &[Sheet]) -> Vec<u8> {
    use std::fmt::Write as _;
    use std::io::Write as _;
    fn esc(s: &str) -> String {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    }
    fn col(mut n: usize) -> String {
        let mut s = String::new();
        n += 1;
        while n > 0 {
            let r = (n - 1) % 26;
            s.insert(0, char::from(b'A' + r as u8));
            n = (n - 1) / 26;
        }
        s
    }
    // Days from 1899-12-30 (Excel's epoch as used after 1900-03-01).
    fn serial(date: &str) -> Option<i64> {
        let mut p = date.splitn(3, '-').map(|x| x.parse::<i64>().ok());
        let (y, m, d) = (p.next()??, p.next()??, p.next()??);
        let (y, m) = if m <= 2 { (y - 1, m + 12) } else { (y, m) };
        let days = 365 * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d;
        Some(days - 693_900)
    }
    fn inline(sheet: &mut String, at: &str, style: usize, text: &str) {
        let _ = write!(
            sheet,
            r#"<c r="{at}" s="{style}" t="inlineStr"><is><t xml:space="preserve">{}</t></is></c>"#,
            esc(text)
        );
    }
    let mut xml_sheets = Vec::with_capacity(sheets.len());
    for sh in sheets {
        let columns = sh
            .rows
            .iter()
            .map(Vec::len)
            .max()
            .unwrap_or(0)
            .max(sh.widths.len())
            .max(1);
        let mut sheet = String::from(
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cols>"#,
        );
        for i in 0..columns {
            let style = if sh.text_columns.contains(&i) {
                STYLE_TEXT_FORMAT
            } else {
                0
            };
            let width = sh.widths.get(i).copied().unwrap_or(22.0);
            let _ = write!(
                sheet,
                r#"<col min="{n}" max="{n}" width="{width}" style="{style}" customWidth="1"/>"#,
                n = i + 1
            );
        }
        sheet.push_str("</cols><sheetData>");
        for (r, cells) in sh.rows.iter().enumerate() {
            let _ = write!(sheet, r#"<row r="{}">"#, r + 1);
            for (c, cell) in cells.iter().enumerate() {
                let at = format!("{}{}", col(c), r + 1);
                let text_style = if sh.bordered {
                    STYLE_GRID_TEXT
                } else if sh.text_columns.contains(&c) {
                    STYLE_TEXT_FORMAT
                } else {
                    0
                };
                match cell {
                    XCell::Text(t) => inline(&mut sheet, &at, text_style, t),
                    XCell::Heading(t) => {
                        let style = if sh.bordered {
                            STYLE_GRID_HEADING
                        } else {
                            STYLE_HEADING
                        };
                        inline(&mut sheet, &at, style, t);
                    }
                    XCell::Title(t) => inline(&mut sheet, &at, STYLE_TITLE, t),
                    XCell::Number(n) => {
                        let style = if sh.bordered { STYLE_GRID_NUMBER } else { 0 };
                        let _ = write!(sheet, r#"<c r="{at}" s="{style}"><v>{n}</v></c>"#);
                    }
                    XCell::Date(d) => match serial(d) {
                        Some(v) => {
                            let _ = write!(sheet, r#"<c r="{at}" s="{STYLE_DATE}"><v>{v}</v></c>"#);
                        }
                        None => inline(&mut sheet, &at, text_style, d),
                    },
                }
            }
            sheet.push_str("</row>");
        }
        sheet.push_str("</sheetData>");
        if !sh.merges.is_empty() {
            let _ = write!(sheet, r#"<mergeCells count="{}">"#, sh.merges.len());
            for (r1, c1, r2, c2) in &sh.merges {
                let _ = write!(
                    sheet,
                    r#"<mergeCell ref="{}{}:{}{}"/>"#,
                    col(*c1),
                    r1 + 1,
                    col(*c2),
                    r2 + 1
                );
            }
            sheet.push_str("</mergeCells>");
        }
        sheet.push_str(r#"<pageMargins left="0.5" right="0.5" top="0.75" bottom="0.75" header="0.3" footer="0.3"/><pageSetup paperSize="9" orientation="portrait"/></worksheet>"#);
        xml_sheets.push(sheet);
    }
    let mut types = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>"#,
    );
    let mut book = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>"#,
    );
    let mut rels = String::from(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">"#,
    );
    for (i, sh) in sheets.iter().enumerate() {
        let n = i + 1;
        let _ = write!(
            types,
            r#"<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>"#
        );
        // Sheet names: at most 31 characters, none of []:*?/\.
        let name: String = sh
            .name
            .chars()
            .filter(|c| !"[]:*?/\\".contains(*c))
            .take(31)
            .collect();
        let name = if name.is_empty() {
            format!("Sheet{n}")
        } else {
            name
        };
        let _ = write!(
            book,
            r#"<sheet name="{}" sheetId="{n}" r:id="rId{n}"/>"#,
            esc(&name)
        );
        let _ = write!(
            rels,
            r#"<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{n}.xml"/>"#
        );
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    let _ = write!(
        rels,
        r#"<Relationship Id="rId{}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#,
        sheets.len() + 1
    );
    let styles = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><fonts count="3"><font><sz val="11"/><name val="宋体"/></font><font><b/><sz val="11"/><name val="宋体"/></font><font><b/><sz val="16"/><name val="宋体"/></font></fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills><borders count="2"><border/><border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="8"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment vertical="center" wrapText="1"/></xf><xf numFmtId="0" fontId="0" fillId="0" borderId="1" xfId="0" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf><xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf><xf numFmtId="0" fontId="1" fillId="0" borderId="1" xfId="0" applyFont="1" applyBorder="1" applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf><xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1"><alignment horizontal="center" vertical="center"/></xf></cellXfs></styleSheet>"#;
    let mut files: Vec<(String, String)> = vec![
        ("[Content_Types].xml".into(), types),
        (
            "_rels/.rels".into(),
            r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.into(),
        ),
        ("xl/workbook.xml".into(), book),
        ("xl/_rels/workbook.xml.rels".into(), rels),
        ("xl/styles.xml".into(), styles.into()),
    ];
    for (i, sheet) in xml_sheets.into_iter().enumerate() {
        files.push((format!("xl/worksheets/sheet{}.xml", i + 1), sheet));
    }
    let mut buf = std::io::Cursor::new(Vec::new());
    {
        let mut z = zip::ZipWriter::new(&mut buf);
        let opts = zip::write::SimpleFileOptions::default();
        for (name, body) in &files {
            // Writing to memory cannot fail.
            let _ = z.start_file(name.as_str(), opts);
            let _ = z.write_all(body.as_bytes());
        }
        let _ = z.finish();
    }
    buf.into_inner()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const LAYOUT: Layout = Layout {
        columns: &[
            ("code", &["代码", "code"]),
            ("name", &["名称", "name"]),
            ("on", &["日期", "on"]),
        ],
        required: &["code"],
        text: &["code"],
        strict: true,
    };

    #[test]
    fn utf8_with_bom_and_gb18030_read_the_same() {
        let utf8 = "\u{feff}代码,名称\n91350100M000100Y43,示例县食品有限公司\n\n";
        let a = read_table("a.csv", utf8.as_bytes(), &LAYOUT).unwrap();
        let (gbk, _, _) =
            encoding_rs::GB18030.encode("代码,名称\n91350100M000100Y43,示例县食品有限公司\n");
        let b = read_table("b.CSV", &gbk, &LAYOUT).unwrap();
        for rows in [&a, &b] {
            assert_eq!(rows.len(), 1, "the blank line is skipped");
            assert_eq!(rows[0].line, 2);
            assert_eq!(rows[0].get("name"), "示例县食品有限公司");
            assert_eq!(rows[0].get("code"), "91350100M000100Y43");
        }
    }

    #[test]
    fn headings_are_checked() {
        let e = |s: &str| read_table("x.csv", s.as_bytes(), &LAYOUT).unwrap_err();
        assert_eq!(e("名称\n甲\n"), TableError::MissingColumn("代码".into()));
        assert_eq!(
            e("代码,证件号\n1,2\n"),
            TableError::UnknownColumn("证件号".into())
        );
        assert_eq!(
            e("代码,code\n1,2\n"),
            TableError::DuplicateColumn("code".into())
        );
        assert_eq!(e(""), TableError::Empty);
        assert_eq!(
            read_table("x.pdf", b"", &LAYOUT).unwrap_err(),
            TableError::UnsupportedType
        );
        let lax = Layout {
            strict: false,
            ..LAYOUT
        };
        let rows = read_table("x.csv", "代码,备注\n1,随便\n".as_bytes(), &lax).unwrap();
        assert_eq!(rows[0].get("code"), "1");
    }

    #[test]
    fn xlsx_dates_are_days_and_numbers_in_text_columns_are_flagged() {
        let file = xlsx(
            &["代码", "名称", "日期"],
            &[0],
            &[
                vec![
                    XCell::Text("110101199003070011".into()),
                    XCell::Text("甲 & <乙>".into()),
                    XCell::Date("2026-03-07".into()),
                ],
                vec![
                    XCell::Number(110101199003070000.0),
                    XCell::Number(12.5),
                    XCell::Date("2024-02-29".into()),
                ],
            ],
        );
        let rows = read_table("t.xlsx", &file, &LAYOUT).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].get("code"), "110101199003070011");
        assert_eq!(rows[0].get("name"), "甲 & <乙>");
        assert_eq!(rows[0].get("on"), "2026-03-07");
        assert!(rows[0].problems.is_empty());
        assert_eq!(rows[1].get("on"), "2024-02-29");
        assert_eq!(rows[1].get("name"), "12.5");
        assert_eq!(rows[1].problems.len(), 1, "{:?}", rows[1].problems);
        assert_eq!(rows[1].problems[0].0, "代码");
        assert_eq!(rows[1].line, 3);
    }
}
