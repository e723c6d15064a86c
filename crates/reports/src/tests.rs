use std::sync::OnceLock;

use super::*;

/// One renderer for all tests (indexing the system fonts takes a moment).
pub(crate) fn renderer() -> &'static Renderer {
    static R: OnceLock<Renderer> = OnceLock::new();
    R.get_or_init(|| {
        Renderer::new(DEFAULT_FONT_DIR).expect("CJK fonts (apt-get install fonts-noto-cjk)")
    })
}

fn sample() -> ItemNotice {
    ItemNotice {
        site_name: "测试县政府信息公开平台".into(),
        body_name: "测试县交通运输局".into(),
        title: "关于调整城区公交线路的通知".into(),
        index_no: "TST000020/2025-00001".into(),
        doc_no: "测交发〔2025〕3号".into(),
        written_on: "2025-03-03".into(),
        published_on: "2025-03-10".into(),
        validity: "有效".into(),
        summary: "城区3路、5路公交线路自4月1日起调整。".into(),
        text: markdown_blocks(
            "各乡镇人民政府，县直各单位：\n\n为方便群众出行，经研究，决定调整城区部分公交线路。现将有关事项通知如下。\n\n## 一、调整线路\n\n| 线路 | 调整内容 | 起始日期 |\n|---|---|---|\n| 3路 | 延伸至南苑小区 | 2025-04-01 |\n| 5路 | 取消火车站站点 | 2025-04-01 |\n\n## 二、其他事项\n\n1. 调整期间票价不变（2元/人次）。\n2. 咨询电话：0000-1234567。\n\n特此通知。",
        ),
        receipt: Some(Receipt {
            seq: 42,
            at: "2025-03-10 09:30".into(),
            content_hash: "9f2c".repeat(16),
        }),
        verify_url: "https://gk.example.gov.cn/verify?q=42".into(),
        printed_at: "2025-03-11 10:00".into(),
        ..Default::default()
    }
}

/// How many pages the notice takes.
fn pages(n: &ItemNotice) -> usize {
    renderer()
        .fonts
        .typeset(&crate::notice::item_notice_doc(n).unwrap())
        .page_count()
}

/// What `pdfinfo` (poppler-utils) says of a PDF.
pub(crate) fn pdfinfo(pdf: &[u8]) -> String {
    poppler("pdfinfo", &["-"], pdf)
}

pub(crate) fn poppler(cmd: &str, args: &[&str], pdf: &[u8]) -> String {
    let mut child = std::process::Command::new(cmd)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("poppler-utils (apt-get install poppler-utils)");
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), pdf).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{cmd} failed");
    String::from_utf8(out.stdout).unwrap()
}

fn pdf_text_of(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '\u{3000}')
        .collect()
}

fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).unwrap();
    // Extracted text may carry spaces or line breaks between characters.
    text.chars().filter(|c| !c.is_whitespace()).collect()
}

/// Write a sample for a person to look at when `GONGKAI_REPORT_SAMPLES` names a folder.
pub(crate) fn keep(name: &str, pdf: &[u8]) {
    if let Ok(dir) = std::env::var("GONGKAI_REPORT_SAMPLES") {
        std::fs::write(Path::new(&dir).join(name), pdf).unwrap();
    }
}

#[test]
fn item_notice_is_an_a4_pdf_with_the_chinese_text() {
    let r = renderer();
    let notice = sample();
    let pdf = r.item_notice_pdf(&notice).unwrap();
    keep("item-notice.pdf", &pdf);
    assert!(pdf.starts_with(b"%PDF-"), "a PDF");
    assert!(
        (5_000..3_000_000).contains(&pdf.len()),
        "plausible size: {} bytes",
        pdf.len()
    );
    let text = pdf_text(&pdf);
    for needle in [
        "关于调整城区公交线路的通知",
        "TST000020/2025-00001",
        "测交发〔2025〕3号",
        "延伸至南苑小区",
        "扫码核验：https://gk.example.gov.cn/verify?q=42",
        "台账序号#42",
        &"9f2c".repeat(16),
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
    // One A4 page, set in the regular and bold faces of both families.
    assert!(r.has_faces());
    assert_eq!(pages(&notice), 1);
    let info: String = pdfinfo(&pdf)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(info.contains("Pages: 1"), "{info}");
    assert!(
        info.contains("Page size: 595.276 x 841.89 pts (A4)"),
        "{info}"
    );
    assert!(info.contains("关于调整城区公交线路的通知"), "{info}");
}

#[test]
fn withdrawn_item_says_so_without_content() {
    let mut notice = sample();
    notice.withdrawn = Some(Withdrawal {
        at: "2025-03-12 15:00".into(),
        reason: "公告内容有误，更正后重新发布".into(),
    });
    notice.receipt = Some(Receipt {
        seq: 43,
        at: "2025-03-12 15:00".into(),
        content_hash: "ab".repeat(32),
    });
    let pdf = renderer().item_notice_pdf(&notice).unwrap();
    keep("item-notice-withdrawn.pdf", &pdf);
    let text = pdf_text(&pdf);
    assert!(text.contains("已撤回"), "{text}");
    assert!(
        text.contains("撤回理由：公告内容有误，更正后重新发布"),
        "{text}"
    );
    assert!(text.contains("撤回记录"));
    assert!(!text.contains("延伸至南苑小区") && !text.contains("城区3路"));
}

#[test]
fn user_text_is_printed_as_it_is() {
    let mut notice = sample();
    notice.title = "#set page(width: 2cm) *不加粗* $x^2$ <lbl> @ref // 注释 \\ ]".into();
    notice.text = vec![Block::Paragraph {
        text: "#panic(\"boom\") #read(\"/etc/passwd\") = 标题 ```raw```".into(),
    }];
    notice.doc_no = "\"); #panic(\"x\") //".into();
    assert_eq!(pages(&notice), 1, "the page width was not changed");
    let pdf = renderer().item_notice_pdf(&notice).unwrap();
    keep("item-notice-markup.pdf", &pdf);
    let text = pdf_text(&pdf);
    for needle in [
        "#setpage(width:2cm)*不加粗*$x^2$<lbl>@ref//注释\\]",
        "#panic(\"boom\")#read(\"/etc/passwd\")=标题```raw```",
    ] {
        assert!(text.contains(needle), "{needle} missing from {text}");
    }
}

#[test]
fn long_text_flows_onto_more_pages() {
    let mut notice = sample();
    notice.text = (1..=60)
        .map(|i| Block::Paragraph {
            text: format!("第{i}段：为进一步推进政务公开工作，提高政府工作透明度，保障人民群众依法获取政府信息。"),
        })
        .collect();
    let pdf = renderer().item_notice_pdf(&notice).unwrap();
    keep("item-notice-long.pdf", &pdf);
    let text = pdf_text(&pdf);
    assert!(text.contains("第60段") && text.contains("扫码核验"));
    assert!(text.contains("第2页/共"), "page numbers in the footer");
}

#[test]
fn missing_chinese_fonts_are_named() {
    let e = Renderer::new("/nonexistent-font-folder").unwrap_err();
    assert!(matches!(e, ReportError::NoCjkFont(_)));
    assert!(
        e.to_string()
            .starts_with("未找到中文字体，请安装 fonts-noto-cjk"),
        "{e}"
    );
}

#[test]
fn case_notice_states_the_reply_and_the_appeal_routes() {
    let r = renderer();
    let n = CaseNotice {
        site_name: "测试县政府信息公开平台".into(),
        body_name: "测试县人民政府办公室".into(),
        title: "政府信息公开申请答复告知书".into(),
        number: "申请编号：20261127-123456".into(),
        addressee: "李明".into(),
        paragraphs: vec!["本机关于2026年11月27日收到您提出的政府信息公开申请。".into(), "经审查，部分公开（区分处理）。".into()],
        basis: "《中华人民共和国政府信息公开条例》第三十七条".into(),
        appeal: "如对本答复不服，可以自收到本答复之日起60日内依法申请行政复议，或者自收到本答复之日起6个月内依法提起行政诉讼。".into(),
        date: "2026年12月8日".into(),
        contact: "0000-1234567".into(),
    };
    let pdf = r.case_notice_pdf(&n).unwrap();
    keep("case-notice.pdf", &pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    let text = pdf_text(&pdf);
    for needle in [
        "政府信息公开申请答复告知书",
        "李明：",
        "第三十七条",
        "60日内",
        "6个月内",
        "2026年12月8日",
    ] {
        assert!(text.contains(needle), "{needle} missing in {text}");
    }
}

#[test]
fn case_notice_docx_is_a_word_document_with_the_letter() {
    let n = CaseNotice {
        site_name: "测试县政府信息公开平台".into(),
        body_name: "测试县人民政府办公室".into(),
        title: "政府信息公开申请答复告知书".into(),
        number: "申请编号：20261127-123456".into(),
        addressee: "李明 <b>&</b>".into(),
        paragraphs: vec!["经审查，予以公开。".into(), "]]><w:p>注入</w:p>".into()],
        basis: "《中华人民共和国政府信息公开条例》第三十六条第（二）项".into(),
        appeal: "如对本答复不服，可以自收到本答复之日起60日内依法申请行政复议，或者自收到本答复之日起6个月内依法提起行政诉讼。".into(),
        date: "2026年12月8日".into(),
        contact: String::new(),
    };
    let bytes = crate::case_notice_docx(&n).unwrap();
    keep("case-notice.docx", &bytes);
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut xml = String::new();
    std::io::Read::read_to_string(&mut z.by_name("word/document.xml").unwrap(), &mut xml).unwrap();
    for needle in [
        "测试县人民政府办公室",
        "政府信息公开申请答复告知书",
        "20261127-123456",
        "60日内",
        "6个月内",
        "第三十六条",
        // User text is escaped, never markup.
        "李明 &lt;b&gt;&amp;&lt;/b&gt;",
        "]]&gt;&lt;w:p&gt;注入&lt;/w:p&gt;",
    ] {
        assert!(xml.contains(needle), "{needle} missing in {xml}");
    }
}

fn guide(name: &str, materials: usize) -> ServiceGuide {
    ServiceGuide {
        body_name: "测试县市场监督管理局".into(),
        code: "TST-XK-001".into(),
        name: name.into(),
        kind: "行政许可".into(),
        status_note: String::new(),
        facts: vec![
            ("法定办结时限".into(), "20个工作日".into()),
            ("承诺办结时限".into(), "5个工作日".into()),
            ("办理地点".into(), "县政务服务中心一楼 8号窗口".into()),
            ("咨询电话".into(), "0000-1234567".into()),
        ],
        conditions: vec!["具有与经营的食品品种、数量相适应的经营场所。".into()],
        materials: (1..=materials)
            .map(|i| format!("申请材料第{i}项：食品经营许可申请书及相关证明材料"))
            .collect(),
        procedure: vec![
            "申请".into(),
            "受理".into(),
            "审查".into(),
            "决定".into(),
            "送达".into(),
        ],
        fees: Vec::new(),
        basis: vec!["《中华人民共和国食品安全法》第三十五条".into()],
        more: String::new(),
    }
}

fn card(g: ServiceGuide) -> ServiceCard {
    ServiceCard {
        site_name: "测试县政府信息公开平台".into(),
        item: g,
        page_url: "http://127.0.0.1/services/1".into(),
        printed_on: "2026-12-02".into(),
    }
}

/// The 明白卡 is one A4 page with the name, the time limits and the window; a long guide is
/// shortened to fit and points to the QR code.
#[test]
fn the_service_card_is_one_page_with_the_essentials() {
    let c = card(guide("食品经营许可", 5));
    let pdf = renderer().service_card_pdf(&c).unwrap();
    keep("service-card.pdf", &pdf);
    let text = pdf_text(&pdf);
    for want in [
        "食品经营许可",
        "承诺办结时限",
        "5个工作日",
        "8号窗口",
        "办理流程",
        "受理",
        "扫码查看完整办事指南",
    ] {
        assert!(text.contains(want), "{want}");
    }
    assert!(!text.contains("共5项"), "nothing cut from a short guide");
    let one_page = |c: &ServiceCard| {
        renderer()
            .fonts
            .typeset(&crate::services::service_card_doc(c).unwrap())
            .page_count()
    };
    assert_eq!(one_page(&c.clone().fitted()), 1);
    let long = card(guide("食品经营许可（新办）", 30));
    let fitted = long.clone().fitted();
    assert_eq!(fitted.item.materials.len(), 10);
    assert_eq!(one_page(&fitted), 1, "a long guide still fits one page");
    let text = pdf_text(&renderer().service_card_pdf(&long).unwrap());
    assert!(text.contains("申请材料共30项"), "points to the full guide");
}

/// The 便民手册 has the body, every item, the contents and the procedure's steps; user text is
/// never markup.
#[test]
fn the_handbook_has_every_item_and_a_contents_page() {
    let mut evil = guide("#set page(width: 1cm) 设立登记", 2);
    evil.procedure = vec!["#panic(\"x\")".into()];
    let book = ServiceHandbook {
        site_name: "测试县政府信息公开平台".into(),
        title: "测试县市场监督管理局便民服务手册".into(),
        body_name: "测试县市场监督管理局".into(),
        printed_on: "2026-12-02".into(),
        items: vec![guide("食品经营许可", 4), guide("药品零售企业许可", 6), evil],
    };
    let pdf = renderer().service_handbook_pdf(&book).unwrap();
    keep("service-handbook.pdf", &pdf);
    let text = pdf_text(&pdf);
    for want in [
        "测试县市场监督管理局便民服务手册",
        "目录",
        "1．食品经营许可",
        "2．药品零售企业许可",
        "#setpage(width:1cm)设立登记",
        "#panic(\"x\")",
        "审查",
    ] {
        assert!(text.contains(want), "{want}");
    }
}

fn page_text(pdf: &[u8], page: usize) -> String {
    let p = page.to_string();
    poppler("pdftotext", &["-layout", "-f", &p, "-l", &p, "-", "-"], pdf)
}

/// A table longer than a page goes on over the next ones, its header row on top of each.
#[test]
fn a_long_table_repeats_its_header_on_every_page() {
    let mut notice = sample();
    let mut md = String::from("| 序号 | 项目名称 | 金额（万元） |\n|---|---|---|\n");
    for i in 1..=120 {
        md.push_str(&format!(
            "| {i} | 第{i}项农村道路维修工程 | {}.5 |\n",
            i * 3
        ));
    }
    notice.text = markdown_blocks(&md);
    let pdf = renderer().item_notice_pdf(&notice).unwrap();
    keep("item-notice-table.pdf", &pdf);
    let n = pages(&notice);
    assert!(n >= 4, "{n} pages");
    let mut rows = 0;
    for p in 1..=n {
        let t = page_text(&pdf, p);
        let here = (1..=120)
            .filter(|i| t.contains(&format!("第{i}项农村道路维修工程")))
            .count();
        if here > 0 {
            assert!(
                t.contains("项目名称"),
                "page {p} has rows but no header:\n{t}"
            );
        }
        rows += here;
    }
    assert_eq!(rows, 120, "every row printed once");
}

/// The contents give the page each item begins on.
#[test]
fn the_handbook_contents_give_the_right_pages() {
    let items: Vec<ServiceGuide> = (1..=9)
        .map(|i| guide(&format!("第{i}类经营许可"), 8 + i))
        .collect();
    let book = ServiceHandbook {
        site_name: "测试县政府信息公开平台".into(),
        title: "测试县便民服务手册".into(),
        body_name: "测试县市场监督管理局".into(),
        printed_on: "2026-12-02".into(),
        items,
    };
    let pdf = renderer().service_handbook_pdf(&book).unwrap();
    keep("service-handbook-long.pdf", &pdf);
    let contents = page_text(&pdf, 2);
    assert!(pdf_text_of(&contents).contains("目录"), "{contents}");
    let mut last = 0;
    for i in 1..=9 {
        let name = format!("{i}．第{i}类经营许可");
        let line = contents
            .lines()
            .find(|l| l.contains(&name))
            .unwrap_or_else(|| panic!("{name} not in the contents:\n{contents}"));
        let page: usize = line.split_whitespace().last().unwrap().parse().unwrap();
        assert!(page >= 3 && page >= last, "{line}");
        last = page;
        assert!(
            page_text(&pdf, page).contains(&name),
            "{name} is not on page {page}"
        );
    }
    assert!(last > 4, "the items run over several pages");
}

/// A table row or a procedure step taller than a page is still printed whole, its text flowing
/// over the pages (and the typesetter does not start page after page looking for room).
#[test]
fn rows_and_steps_taller_than_a_page_flow_on() {
    let mut notice = sample();
    let long = "政府信息公开工作".repeat(300);
    notice.text = markdown_blocks(&format!(
        "| 项目 | 说明 |\n|---|---|\n| 甲 | 短 |\n| 乙 | {long}尾声 |\n| 丙 | 完 |\n"
    ));
    let pdf = renderer().item_notice_pdf(&notice).unwrap();
    let text = pdf_text(&pdf);
    assert!(pages(&notice) >= 2);
    let set = renderer()
        .fonts
        .typeset(&crate::notice::item_notice_doc(&notice).unwrap());
    assert!(
        set.deepest <= crate::layout::PAGE_H - crate::layout::MARGIN + 0.5,
        "text below the bottom margin: {}",
        set.deepest
    );
    assert!(text.contains("尾声") && text.contains("完") && text.contains("短"));
    // Counted by a character only the long cell has (a page's footer may fall inside a word).
    assert_eq!(text.matches('作').count(), 300);

    let mut g = guide("超长流程", 2);
    g.procedure = vec!["受理".into(), format!("{}审查结束", "材料审查".repeat(600))];
    let book = ServiceHandbook {
        site_name: "测试县政府信息公开平台".into(),
        title: "手册".into(),
        body_name: "测试县市场监督管理局".into(),
        printed_on: "2026-12-02".into(),
        items: vec![g],
    };
    let text = pdf_text(&renderer().service_handbook_pdf(&book).unwrap());
    assert!(text.contains("审查结束") && text.contains("1.受理"));
    assert_eq!(text.matches('查').count(), 601);
}
