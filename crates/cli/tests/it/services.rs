//! 权责清单 and 收费目录 through the real server, on both backends: an item is set up, adjusted
//! and cancelled with its documents (history with diffs, refusals of a second cancellation and
//! of a promised time beyond the statutory one), the reform figures, fee items that need a
//! basis, the amounts collected in 万元 for the annual report, who may do what, and the API
//! answers checked against the OpenAPI document.

use chrono::Datelike;
use gongkai_domain::access::Role;
use gongkai_domain::audit::Who;
use serde_json::Value;

use crate::api::{Api, admin, code, conforms, issue};
use crate::both_backends;
use crate::support::{Browser, Db, TestApp, location};

both_backends!(
    an_item_is_set_up_adjusted_and_cancelled_with_its_history,
    fees_need_a_basis_and_feed_the_annual_figures,
);

fn today() -> chrono::NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

fn item_form(body: i64, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let last_year = format!("{}-03-01", today().year() - 1);
    let mut f: Vec<(String, String)> = [
        ("body_id", body.to_string()),
        ("effective_on", last_year),
        ("doc_title", "关于公布行政许可事项清单的通知".into()),
        ("doc_no", "测政发〔2025〕3号".into()),
        ("code", "CS-XK-001".into()),
        ("name", "测试经营许可".into()),
        ("kind", "license".into()),
        ("basis", "《测试管理条例》第十条".into()),
        (
            "materials",
            "申请书（原件1份）\n营业执照（复印件1份）".into(),
        ),
        ("procedure", "申请\n受理\n审查\n决定".into()),
        ("statutory_days", "20".into()),
        ("promised_days", "5".into()),
        ("hall", "县政务服务中心".into()),
        ("hall_window", "3号窗口".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    for (k, v) in extra {
        match f.iter_mut().find(|(x, _)| x == k) {
            Some(e) => e.1 = (*v).to_string(),
            None => f.push(((*k).to_string(), (*v).to_string())),
        }
    }
    f
}

async fn post(b: &Browser, path: &str, fields: &[(String, String)]) -> reqwest::Response {
    let f: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    b.post_form(path, &f).await
}

/// Publish the only draft of item `id` as `b`.
async fn publish_draft(app: &TestApp, b: &Browser, id: i64) -> reqwest::Response {
    let vid = app
        .store
        .service_versions(id)
        .await
        .unwrap()
        .into_iter()
        .find(|v| !v.published())
        .unwrap()
        .id;
    b.post_form(&format!("/admin/service-versions/{vid}/publish"), &[])
        .await
}

async fn an_item_is_set_up_adjusted_and_cancelled_with_its_history(db: Db) {
    let app = TestApp::spawn(db).await;
    let a = app.tree.a;
    let svc_id = app.staff("svc", Some(Role::ServiceEditor), a).await;
    app.staff("lead", Some(Role::Approver), a).await;
    app.staff("svc_b", Some(Role::ServiceEditor), app.tree.b)
        .await;
    let svc = app.login("svc").await;
    // A promised time beyond the statutory one: the form comes back with the input.
    let r = post(
        &svc,
        "/admin/services/new",
        &item_form(a, &[("promised_days", "30")]),
    )
    .await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("承诺时限不能超过法定时限"), "{page}");
    assert!(page.contains("测试经营许可"), "the input is kept");
    let r = post(&svc, "/admin/services/new", &item_form(a, &[])).await;
    assert_eq!(r.status(), 303);
    let id: i64 = location(&r)
        .trim_start_matches("/admin/services/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    // Not public before publication; the editor cannot publish, the leader can.
    let anon = Browser::new(&app);
    assert_eq!(anon.get_text(&format!("/services/{id}")).await.0, 404);
    assert_eq!(
        anon.get(&format!("/services/{id}/card.pdf")).await.status(),
        404
    );
    assert_eq!(
        anon.get(&format!("/bodies/{a}/services/handbook.pdf"))
            .await
            .status(),
        404,
        "no item in force yet"
    );
    assert_eq!(publish_draft(&app, &svc, id).await.status(), 403);
    let lead = app.login("lead").await;
    assert_eq!(publish_draft(&app, &lead, id).await.status(), 303);
    let (s, guide) = anon.get_text(&format!("/services/{id}")).await;
    assert_eq!(s, 200);
    assert!(
        guide.contains("测试经营许可") && guide.contains("5个工作日"),
        "{guide}"
    );
    assert!(
        guide.contains("class=\"flow\"") && guide.contains("<li>审查</li>"),
        "{guide}"
    );
    let (_, list) = anon.get_text("/services").await;
    assert!(list.contains(&format!("/services/{id}")));
    // The 明白卡 and the body's 便民手册 carry the guide's Chinese text (when fonts are installed).
    if crate::support::renderer().is_some() {
        let card = anon.get(&format!("/services/{id}/card.pdf")).await;
        assert_eq!(card.status(), 200);
        assert_eq!(card.headers()["content-type"], "application/pdf");
        let text = crate::applications::pdf_text(&card.bytes().await.unwrap());
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            text.contains("测试经营许可") && text.contains("5个工作日"),
            "{text}"
        );
        assert!(text.contains("扫码查看完整办事指南"));
        let book = anon
            .get(&format!("/bodies/{a}/services/handbook.pdf"))
            .await;
        assert_eq!(book.status(), 200);
        let text = crate::applications::pdf_text(&book.bytes().await.unwrap());
        let text: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        assert!(
            text.contains("便民服务手册") && text.contains("1．测试经营许可"),
            "{text}"
        );
        assert!(text.contains("目录") && text.contains("审查"));
    }
    // The portal's search finds the guide by its name and by its materials, linking to it.
    let href = format!("href=\"/services/{id}\"");
    app.eventually("/search?q=测试经营许可", |p| p.contains(&href))
        .await;
    app.eventually("/search?q=营业执照", |p| p.contains(&href))
        .await;
    // Another body's editor does not see it.
    let other = app.login("svc_b").await;
    assert_eq!(
        other.get_text(&format!("/admin/services/{id}")).await.0,
        404
    );
    // Adjust: a shorter promised time this year, shown in the history's diff.
    let this_year = format!("{}-01-02", today().year());
    let r = post(
        &svc,
        &format!("/admin/services/{id}/change"),
        &item_form(
            a,
            &[
                ("change", "adjust"),
                ("effective_on", &this_year),
                ("doc_no", "测政发〔2026〕1号"),
                ("promised_days", "3"),
                ("reason", "压缩时限"),
            ],
        ),
    )
    .await;
    assert_eq!(r.status(), 303);
    assert_eq!(publish_draft(&app, &lead, id).await.status(), 303);
    let (_, history) = anon.get_text(&format!("/services/{id}/history")).await;
    assert!(history.contains("承诺时限：3个工作日"), "{history}");
    assert!(history.contains("测政发〔2026〕1号") && history.contains("压缩时限"));
    // Cancel, then a second cancellation is refused with the first one's date and document.
    let cancel = item_form(
        a,
        &[
            ("change", "cancel"),
            ("cancel_mode", "cancel"),
            ("effective_on", &this_year),
            ("doc_no", "测政发〔2026〕2号"),
        ],
    );
    let r = post(&svc, &format!("/admin/services/{id}/change"), &cancel).await;
    assert_eq!(r.status(), 303);
    // The author may not publish their own draft even through the store.
    let vid = app
        .store
        .service_versions(id)
        .await
        .unwrap()
        .into_iter()
        .find(|v| !v.published())
        .unwrap()
        .id;
    let own = Who {
        user_id: Some(svc_id),
        name: "svc".into(),
        ip: "test".into(),
    };
    let e = app
        .store
        .publish_service_version(vid, today(), &own)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("本人"), "{e}");
    assert_eq!(publish_draft(&app, &lead, id).await.status(), 303);
    let r = post(&svc, &format!("/admin/services/{id}/change"), &cancel).await;
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(
        page.contains(&format!(
            "该事项已于{this_year}取消（测政发〔2026〕2号），不能再次取消"
        )),
        "{page}"
    );
    let (_, guide) = anon.get_text(&format!("/services/{id}")).await;
    assert!(guide.contains("已于") && guide.contains("取消"), "{guide}");
    let (_, cancelled) = anon.get_text("/services?status=cancelled").await;
    assert!(cancelled.contains(&format!("/services/{id}")));
    let (_, list) = anon.get_text("/services").await;
    assert!(!list.contains(&format!("/services/{id}\"")));
    // The reform figures: one item in force at the start of the year, cancelled in it.
    let (_, reform) = anon.get_text("/services/reform").await;
    assert!(reform.contains("本年取消 1 项，取消率 100.0%"), "{reform}");
    // The API says the same, as documented.
    let api = Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (s, j) = api.get(&format!("/api/v1/services/{id}")).await;
    assert_eq!(s, 200);
    conforms(&doc, "/api/v1/services/{id}", "get", s, &j);
    assert_eq!(j["item"]["status"], "cancelled");
    assert_eq!(j["changes"].as_array().unwrap().len(), 3);
    let (s, j) = api.get("/api/v1/services?status=cancelled").await;
    conforms(&doc, "/api/v1/services", "get", s, &j);
    assert_eq!(j.as_array().unwrap().len(), 1);
    let (s, j) = api.get("/api/v1/services/reform").await;
    conforms(&doc, "/api/v1/services/reform", "get", s, &j);
    assert_eq!(
        (j["at_start"].as_u64(), j["rate_tenths"].as_u64()),
        (Some(1), Some(1000))
    );
    let (s, j) = api.get("/api/v1/services/999999").await;
    assert_eq!((s, code(&j)), (404, "not_found"));
}

async fn fees_need_a_basis_and_feed_the_annual_figures(db: Db) {
    let app = TestApp::spawn(db).await;
    let (a, b) = (app.tree.a, app.tree.b);
    app.staff("svc", Some(Role::ServiceEditor), a).await;
    app.staff("svc_b", Some(Role::ServiceEditor), b).await;
    app.staff("superv", Some(Role::Supervisor), app.tree.root)
        .await;
    let svc = app.login("svc").await;
    let ab = a.to_string();
    fn fee_form<'a>(body: &'a str, basis: &'a str) -> Vec<(&'a str, &'a str)> {
        vec![
            ("body_id", body),
            ("code", "SF-01"),
            ("name", "测试检验费"),
            ("category", "administrative"),
            ("basis_title", basis),
            ("basis_doc_no", "测价〔2020〕1号"),
            ("standard_text", "每件80元"),
        ]
    }
    let fee = |basis: &'static str| fee_form(&ab, basis);
    let r = svc.post_form("/admin/fees/new", &fee("")).await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("收费项目必须注明收费依据（文件名称和文号）")
    );
    let r = svc
        .post_form("/admin/fees/new", &fee("关于检验收费标准的通知"))
        .await;
    assert_eq!(r.status(), 303);
    let fid = app.store.list_fees(Some(a)).await.unwrap()[0].id;
    let year = today().year().to_string();
    let r = svc
        .post_form(
            &format!("/admin/fees/{fid}/amount"),
            &[("year", &year), ("amount", "负数")],
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = svc
        .post_form(
            &format!("/admin/fees/{fid}/amount"),
            &[("year", &year), ("amount", "123456.78")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let f = app.store.annual_figures(a, today().year()).await.unwrap();
    assert_eq!((f.fees_fen, f.fees_wan.as_str()), (12_345_678, "12.35"));
    let (_, page) = Browser::new(&app).get_text("/fees").await;
    assert!(
        page.contains("12.35") && page.contains("测价〔2020〕1号"),
        "{page}"
    );
    // Another body's editor and a supervisor change nothing here.
    let other = app.login("svc_b").await;
    let r = other
        .post_form(
            &format!("/admin/fees/{fid}/amount"),
            &[("year", &year), ("amount", "1")],
        )
        .await;
    assert_eq!(r.status(), 404);
    let sv = app.login("superv").await;
    let r = sv
        .post_form("/admin/fees/new", &fee("关于检验收费标准的通知"))
        .await;
    assert_eq!(r.status(), 403);
    let r = sv
        .post_form(
            &format!("/admin/fees/{fid}/amount"),
            &[("year", &year), ("amount", "1")],
        )
        .await;
    assert_eq!(r.status(), 403);
    // Cancelled once, not twice.
    let day = today().to_string();
    let r = svc
        .post_form(
            &format!("/admin/fees/{fid}/cancel"),
            &[("on", &day), ("reason", "测价〔2026〕2号取消")],
        )
        .await;
    assert_eq!(r.status(), 303);
    let r = svc
        .post_form(
            &format!("/admin/fees/{fid}/cancel"),
            &[("on", &day), ("reason", "再次取消")],
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("不能再次取消"));
    // The annual report's figures through the staff API, as documented.
    let ad = admin(&app).await;
    let tok = Api::new(
        &app,
        Some(&issue(&ad, "年报系统", a, &["editor"], "svc-report").await),
    );
    let api = Api::new(&app, None);
    let (_, doc) = api.get("/api/openapi.json").await;
    let (s, j) = tok
        .get(&format!("/api/v1/admin/bodies/{a}/figures?year={year}"))
        .await;
    assert_eq!(s, 200, "{j}");
    conforms(&doc, "/api/v1/admin/bodies/{id}/figures", "get", s, &j);
    assert_eq!(j["fees_wan"], "12.35");
    let (s, j) = tok.get(&format!("/api/v1/admin/bodies/{b}/figures")).await;
    assert_eq!((s, code(&j)), (404, "not_found"));
    let (s, j) = api.get("/api/v1/fees").await;
    conforms(&doc, "/api/v1/fees", "get", s, &j);
    assert_eq!(j[0]["amounts"][0]["wan_yuan"], "12.35");
    let _: Value = j;
}
