//! Demo content for the annual report: last year's report of every demo body that has a
//! 政府信息公开年报 column, counted from the demo records, drafted, submitted, reviewed, approved
//! and published through the ordinary item workflow. Created once per body and year; a body
//! whose cases block the report is left as a draft (and named).

use gongkai_store::Store;

pub async fn seed(store: &Store, today: chrono::NaiveDate) -> anyhow::Result<usize> {
    let year = chrono::Datelike::year(&today) - 1;
    let bodies = store.list_bodies().await?;
    let Some(root) = bodies.iter().find(|b| b.parent_id.is_none()) else {
        return Ok(0);
    };
    let Some(p) = crate::demo_items::people(store, &root.path).await? else {
        return Ok(0);
    };
    let mut published = 0;
    for body in &bodies {
        if store.annual_report(body.id, year).await?.is_some() {
            continue;
        }
        let has_column = store
            .list_categories(body.id)
            .await?
            .iter()
            .any(|c| c.template_key == gongkai_domain::disclosure::ANNUAL_REPORT_KEY);
        if !has_column {
            continue;
        }
        let c = gongkai_web::annual::compute(store, body, year).await?;
        if let Some(why) = gongkai_web::annual::submit_refusal(&c, today) {
            println!("{}{}年度报告未自动公开：{why}", body.name, year);
            continue;
        }
        let (_, version) =
            gongkai_web::annual::write_item(store, body, year, &p.editor.0, &p.editor.1, today)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
        crate::demo_items::run(
            store,
            &p,
            (0, version),
            &["submit", "review", "approve"],
            today,
        )
        .await?;
        published += 1;
    }
    Ok(published)
}
