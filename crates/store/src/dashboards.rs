//! Dashboards (docs/design/supervision.md, stage 5): the counted rows a body subtree's year is
//! charted from (`domain::dashboard` builds the charts), and which charts a body publishes.

use gongkai_domain::access::Scope;
use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::dashboard::ChartKey;

use crate::briefings::day_start_ms;
use crate::{Store, StoreResult};

/// The rows of a year, for the bodies of a scope.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DashboardRows {
    /// (month, category, public items first published in it).
    pub published: Vec<(u32, String, i64)>,
    /// (month, answered, answered on time) of applications.
    pub applications: Vec<(u32, i64, i64)>,
    /// The same of letters (a 举报 excluded).
    pub letters: Vec<(u32, i64, i64)>,
    /// (reply_row, applications answered with it).
    pub outcomes: Vec<(String, i64)>,
    /// (received, replied) of the letters answered (a 举报 excluded).
    pub replies: Vec<(chrono::NaiveDate, chrono::NaiveDate)>,
    /// (month of the reply, rating, count).
    pub ratings: Vec<(u32, String, i64)>,
}

fn month(m: i64) -> u32 {
    u32::try_from(m).unwrap_or(0)
}

impl Store {
    /// The counted rows of `year` for the bodies in `scope`.
    pub async fn dashboard_rows(&self, scope: &Scope, year: i32) -> StoreResult<DashboardRows> {
        let day = |m: u32| chrono::NaiveDate::from_ymd_opt(year, m, 1).unwrap_or_default();
        let starts: Vec<i64> = (1..=12).map(|m| day_start_ms(day(m))).collect();
        let end = day_start_ms(chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default());
        let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let published: Vec<(i64, String, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new("SELECT CAST(CASE");
            for (m, start) in starts.iter().enumerate().skip(1) {
                qb.push(" WHEN i.first_published_at < ").push_bind(*start);
                qb.push(format!(" THEN {m}"));
            }
            qb.push(
                " ELSE 12 END AS BIGINT), c.name, COUNT(*) FROM items i JOIN categories c ON c.id = i.category_id \
                 JOIN bodies b ON b.id = i.body_id WHERE i.scope = 'public' AND i.first_published_at >= ",
            );
            qb.push_bind(starts[0]);
            qb.push(" AND i.first_published_at < ").push_bind(end);
            push_scope!(qb, scope, "b.path");
            qb.push(" GROUP BY 1, 2 ORDER BY 1, 2");
            qb.build_query_as::<(i64, String, i64)>().fetch_all(c).await
        })?;
        let answered = |table: &'static str, extra: &'static str| {
            let (from, to, scope) = (from.clone(), to.clone(), scope.clone());
            async move {
                let rows: Vec<(i64, i64, i64)> = read!(self, |c| {
                    let mut qb = sqlx::QueryBuilder::new(format!(
                        "SELECT CAST(SUBSTR(x.replied_on, 6, 2) AS BIGINT), COUNT(*), \
                         CAST(COALESCE(SUM(CASE WHEN x.due_on IS NULL OR x.due_on = '' OR x.replied_on <= x.due_on THEN 1 ELSE 0 END), 0) AS BIGINT) \
                         FROM {table} x JOIN bodies b ON b.id = x.body_id WHERE {extra} x.replied_on >= "
                    ));
                    qb.push_bind(from);
                    qb.push(" AND x.replied_on <= ").push_bind(to);
                    push_scope!(qb, scope, "b.path");
                    qb.push(" GROUP BY 1 ORDER BY 1");
                    qb.build_query_as::<(i64, i64, i64)>().fetch_all(c).await
                })?;
                Ok::<Vec<(u32, i64, i64)>, crate::StoreError>(
                    rows.into_iter().map(|(m, a, o)| (month(m), a, o)).collect(),
                )
            }
        };
        let applications = answered("applications", "").await?;
        let letters = answered("letters", "x.kind <> 'report' AND").await?;
        let outcomes: Vec<(String, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT x.reply_row, COUNT(*) FROM applications x JOIN bodies b ON b.id = x.body_id \
                 WHERE x.reply_row IS NOT NULL AND x.replied_on >= ",
            );
            qb.push_bind(from.clone());
            qb.push(" AND x.replied_on <= ").push_bind(to.clone());
            push_scope!(qb, scope, "b.path");
            qb.push(" GROUP BY x.reply_row ORDER BY x.reply_row");
            qb.build_query_as::<(String, i64)>().fetch_all(c).await
        })?;
        let replies: Vec<(String, String)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT x.received_on, x.replied_on FROM letters x JOIN bodies b ON b.id = x.body_id \
                 WHERE x.kind <> 'report' AND x.received_on IS NOT NULL AND x.replied_on >= ",
            );
            qb.push_bind(from.clone());
            qb.push(" AND x.replied_on <= ").push_bind(to.clone());
            push_scope!(qb, scope, "b.path");
            qb.build_query_as::<(String, String)>().fetch_all(c).await
        })?;
        let ratings: Vec<(i64, String, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT CAST(SUBSTR(x.replied_on, 6, 2) AS BIGINT), x.rating, COUNT(*) FROM letters x \
                 JOIN bodies b ON b.id = x.body_id WHERE x.kind <> 'report' AND x.rating IS NOT NULL AND x.replied_on >= ",
            );
            qb.push_bind(from.clone());
            qb.push(" AND x.replied_on <= ").push_bind(to.clone());
            push_scope!(qb, scope, "b.path");
            qb.push(" GROUP BY 1, 2 ORDER BY 1, 2");
            qb.build_query_as::<(i64, String, i64)>().fetch_all(c).await
        })?;
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        Ok(DashboardRows {
            published: published
                .into_iter()
                .map(|(m, c, n)| (month(m), c, n))
                .collect(),
            applications,
            letters,
            outcomes,
            replies: replies
                .iter()
                .filter_map(|(a, b)| Some((date(a)?, date(b)?)))
                .collect(),
            ratings: ratings
                .into_iter()
                .map(|(m, r, n)| (month(m), r, n))
                .collect(),
        })
    }

    /// The charts `body_id` publishes, in the dashboard's order.
    pub async fn public_charts(&self, body_id: i64) -> StoreResult<Vec<ChartKey>> {
        let keys: Vec<String> = read!(self, |c| {
            sqlx::query_scalar(
                "SELECT chart FROM dashboard_charts WHERE body_id = $1 AND public = TRUE",
            )
            .bind(body_id)
            .fetch_all(c)
            .await
        })?;
        Ok(ChartKey::ALL
            .into_iter()
            .filter(|k| keys.iter().any(|s| s == k.key()))
            .collect())
    }

    /// The bodies that publish at least one chart (for the sitemap).
    pub async fn bodies_with_dashboards(&self) -> StoreResult<Vec<i64>> {
        Ok(read!(self, |c| {
            sqlx::query_scalar(
                "SELECT DISTINCT body_id FROM dashboard_charts WHERE public = TRUE ORDER BY body_id",
            )
            .fetch_all(c)
            .await
        })?)
    }

    /// Publish exactly `charts` of `body_id`'s dashboard (the others are withdrawn), audited.
    pub async fn set_public_charts(
        &self,
        body_id: i64,
        charts: &[ChartKey],
        who: &Who,
    ) -> StoreResult<()> {
        let before = self.public_charts(body_id).await?;
        let keys = |c: &[ChartKey]| c.iter().map(|k| k.key()).collect::<Vec<_>>();
        write_tx!(self, |tx| {
            for k in ChartKey::ALL {
                sqlx::query(
                    "INSERT INTO dashboard_charts (body_id, chart, public, updated_by, updated_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (body_id, chart) DO UPDATE SET public = excluded.public, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
                )
                .bind(body_id)
                .bind(k.key())
                .bind(charts.contains(&k))
                .bind(&who.name)
                .bind(crate::now_ms())
                .execute(&mut *tx)
                .await?;
            }
            // Cached public pages (the home page's link) follow.
            change_log!(tx, "dashboard", body_id, "publish");
            audit_append!(
                tx,
                AuditEvent::new("dashboard.publish", "body", body_id)
                    .who(who)
                    .body(Some(body_id))
                    .before(serde_json::json!({"charts": keys(&before)}))
                    .after(serde_json::json!({"charts": keys(charts)}))
            );
            Ok(())
        })
    }
}
