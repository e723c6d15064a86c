//! Imports through the real server (`/admin/imports`): 双公示 decisions and fee amounts from
//! CSV (UTF-8 and GB18030) and XLSX, all or nothing unless the valid rows are asked for, a
//! second run adding nothing, personal values sealed, and who may import where.

use chrono::Datelike;
use gongkai_domain::access::Role;
use gongkai_files::table::{XCell, xlsx};

use crate::both_backends;
use crate::credit::today;
use crate::support::{Browser, Db, TestApp};

both_backends!(
    a_decision_file_is_checked_row_by_row_and_written_all_or_nothing,
    fee_amounts_are_imported_from_gb18030_csv_and_only_where_allowed,
);

/// A valid fictional 统一社会信用代码 (both check characters right).
fn uscc(n: u32) -> String {
    use gongkai_domain::codes::{organization_code_check_char, uscc_check_char};
    let body8 = format!("QY{n:06}");
    let c9 = organization_code_check_char(&body8).unwrap();
    let body17 = format!("91990100{body8}{c9}");
    format!("{body17}{}", uscc_check_char(&body17).unwrap())
}

fn person_id() -> String {
    let body = "11010119900307001";
    let c = gongkai_domain::codes::resident_id_check_char(body).unwrap();
    format!("{body}{c}")
}

const HEAD: &str = "决定类别,行政相对人名称,行政相对人类别,统一社会信用代码,法定代表人,证件类型,证件号码,决定文书名称,决定文书号,决定内容,依据,罚款金额（元）,决定日期";

fn csv(rows: &[String]) -> Vec<u8> {
    let mut s = format!("\u{feff}{HEAD}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s.into_bytes()
}

async fn upload(
    b: &Browser,
    kind: &str,
    body: i64,
    mode: &str,
    name: &str,
    bytes: Vec<u8>,
) -> (u16, String) {
    let body = body.to_string();
    let r = b
        .post_multipart(
            "/admin/imports",
            &[("kind", kind), ("body_id", &body), ("mode", mode)],
            &[(name, bytes)],
        )
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn a_decision_file_is_checked_row_by_row_and_written_all_or_nothing(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    app.staff("clerk", Some(Role::CreditEditor), a).await;
    let clerk = app.login("clerk").await;
    let day = today().to_string();
    let future = (today() + chrono::Days::new(5)).to_string();
    let good_legal = format!(
        "行政处罚,测试县某某餐饮有限公司,法人及非法人组织,{},王老板,,,行政处罚决定书,测罚〔2026〕101号,警告，罚款五千元,《食品安全法》第一百二十六条,5000,{day}",
        uscc(1)
    );
    let good_person = format!(
        "行政许可,赵小明,自然人,,,居民身份证,{},食品经营许可决定书,测许〔2026〕102号,准予食品经营许可,《食品安全法》第三十五条,,{}",
        person_id(),
        today().format("%Y/%m/%d")
    );
    let bad = format!(
        "行政处罚,测试县某某商店,法人及非法人组织,91110000MA00000010,李老板,,,行政处罚决定书,测罚〔2026〕103号,罚款,《产品质量法》,100,{future}"
    );
    let page = clerk.get_text("/admin/imports?kind=credit").await;
    assert_eq!(page.0, 200, "{}", page.1);
    assert!(page.1.contains("下载导入模板"));

    // A file with one bad row: nothing is written, each problem is named by row and column.
    let file = csv(&[good_legal.clone(), good_person.clone(), bad.clone()]);
    let (s, page) = upload(&clerk, "credit", a, "all", "决定.csv", file.clone()).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("第4行"), "{page}");
    assert!(page.contains("统一社会信用代码"), "{page}");
    assert!(page.contains("晚于今天"), "{page}");
    assert!(page.contains("未写入任何数据"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM credit_decisions").await, 0);
    // Checking only writes nothing either.
    let (_, page) = upload(&clerk, "credit", a, "check", "决定.csv", file.clone()).await;
    assert!(page.contains("未写入任何数据"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM credit_decisions").await, 0);

    // Asked for the valid rows: two are written, sealed, due in 7 working days.
    let (s, page) = upload(&clerk, "credit", a, "valid", "决定.csv", file).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("新增2条"), "{page}");
    assert!(page.contains("1行有问题"), "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM credit_decisions WHERE entered_via = 'import' AND status = 'recorded' AND publish_due_on <> ''")
            .await,
        2
    );
    let id = person_id();
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM credit_decisions WHERE personal_sealed LIKE '%{id}%' OR content LIKE '%{id}%'"
        ))
        .await,
        0,
        "the ID number is sealed"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'credit.record'")
            .await,
        2
    );

    // The corrected file again: the two recorded are skipped, the third added.
    let fixed = bad
        .replace("91110000MA00000010", &uscc(2))
        .replace(&future, &day);
    let (s, page) = upload(
        &clerk,
        "credit",
        a,
        "all",
        "决定.csv",
        csv(&[good_legal, good_person, fixed]),
    )
    .await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("新增1条"), "{page}");
    assert!(page.contains("已存在跳过2条"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM credit_decisions").await, 3);

    // XLSX: an ID typed into a number cell has lost digits and is refused; dates are dates.
    let headings: Vec<&str> = HEAD.split(',').collect();
    let row = |id: XCell, doc: &str| {
        vec![
            XCell::Text("行政许可".into()),
            XCell::Text("钱小红".into()),
            XCell::Text("自然人".into()),
            XCell::Text(String::new()),
            XCell::Text(String::new()),
            XCell::Text("居民身份证".into()),
            id,
            XCell::Text("许可决定书".into()),
            XCell::Text(doc.into()),
            XCell::Text("准予许可".into()),
            XCell::Text("《行政许可法》".into()),
            XCell::Text(String::new()),
            XCell::Date(day.clone()),
        ]
    };
    let book = xlsx(
        &headings,
        &[],
        &[
            row(XCell::Number(110101199003070000.0), "测许〔2026〕201号"),
            row(XCell::Text(person_id()), "测许〔2026〕202号"),
        ],
    );
    let (s, page) = upload(&clerk, "credit", a, "all", "决定.xlsx", book).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("第2行"), "{page}");
    assert!(page.contains("被保存为数值"), "{page}");
    assert!(!page.contains("第3行"), "{page}");

    // Headings nobody knows refuse the file.
    let (s, page) = upload(
        &clerk,
        "credit",
        a,
        "valid",
        "x.csv",
        "决定类别,身份证\n行政许可,1\n".as_bytes().to_vec(),
    )
    .await;
    assert_eq!(s, 422);
    assert!(page.contains("无法识别的列“身份证”"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM credit_decisions").await, 3);

    // The template downloads as a workbook the reader accepts.
    let r = clerk.get("/admin/imports/credit/template.xlsx").await;
    assert_eq!(r.status(), 200);
    let bytes = r.bytes().await.unwrap();
    let rows = gongkai_files::table::read_table(
        "t.xlsx",
        &bytes,
        gongkai_web::imports::ImportKind::Credit.layout(),
    )
    .unwrap();
    assert_eq!(rows.len(), 1, "one example row");
}

async fn fee_amounts_are_imported_from_gb18030_csv_and_only_where_allowed(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("svc", Some(Role::ServiceEditor), a).await;
    app.staff("clerk", Some(Role::CreditEditor), a).await;
    app.staff("other", Some(Role::ServiceEditor), b).await;
    let svc = app.login("svc").await;
    let ab = a.to_string();
    let r = svc
        .post_form(
            "/admin/fees/new",
            &[
                ("body_id", ab.as_str()),
                ("code", "SF-01"),
                ("name", "测试检验费"),
                ("category", "administrative"),
                ("basis_title", "关于检验收费标准的通知"),
                ("basis_doc_no", "测价〔2020〕1号"),
                ("standard_text", "每件80元"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let year = today().year();
    let last = year - 1;
    let text = format!(
        "收费项目编码,收费项目名称,年度,收取金额（元）\nSF-01,测试检验费,{last},123456.78\nSF-01,测试检验费,{year}年,1000\nSF-99,不存在,{year},5\n"
    );
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let gbk = gbk.into_owned();
    let (s, page) = upload(&svc, "fees", a, "all", "金额.csv", gbk.clone()).await;
    assert_eq!(s, 422, "{page}");
    assert!(page.contains("第4行"), "{page}");
    assert!(page.contains("SF-99"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM fee_collections").await, 0);
    let (s, page) = upload(&svc, "fees", a, "valid", "金额.csv", gbk.clone()).await;
    assert_eq!(s, 200, "{page}");
    assert!(page.contains("新增2条"), "{page}");
    let f = app.store.annual_figures(a, last).await.unwrap();
    assert_eq!(f.fees_fen, 12_345_678);
    // Again: the amounts are replaced, not added twice.
    let (_, page) = upload(&svc, "fees", a, "valid", "金额.csv", gbk.clone()).await;
    assert!(page.contains("更新2条"), "{page}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM fee_collections").await, 2);

    // Who may import where: a 信用信息员 may not import amounts; another body's 事项管理员 may
    // not import into this body; nobody signed out may post.
    let clerk = app.login("clerk").await;
    let (s, _) = upload(&clerk, "fees", a, "valid", "金额.csv", gbk.clone()).await;
    assert_eq!(s, 403);
    let other = app.login("other").await;
    let (s, page) = upload(&other, "fees", a, "valid", "金额.csv", gbk.clone()).await;
    assert_eq!(s, 422);
    assert!(page.contains("请选择您有权导入的机关"), "{page}");
    let (s, _) = upload(&svc, "credit", a, "valid", "x.csv", csv(&[])).await;
    assert_eq!(s, 403, "a 事项管理员 records no decisions");
    let anon = Browser::new(&app);
    let r = anon.get("/admin/imports").await;
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(app.scalar("SELECT COUNT(*) FROM fee_collections").await, 2);
}
