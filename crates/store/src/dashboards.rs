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

/// An answered letter: received, replied, due, rating.
type LetterRow = (Option<String>, String, Option<String>, Option<String>);

fn month(m: i64) -> u32 {
    u32::try_from(m).unwrap_or(0)
}

impl Store {
    /// The counted rows of `year` for the bodies in `scope`: one pass over the year's items,
    /// one over its answered applications and one over its answered letters (the scope is
    /// the set of its bodies' ids, not a join per row).
    pub async fn dashboard_rows(&self, scope: &Scope, year: i32) -> StoreResult<DashboardRows> {
        let day = |m: u32| chrono::NaiveDate::from_ymd_opt(year, m, 1).unwrap_or_default();
        let starts: Vec<i64> = (1..=12).map(|m| day_start_ms(day(m))).collect();
        let end = day_start_ms(chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default());
        let (from, to) = (format!("{year:04}-01-01"), format!("{year:04}-12-31"));
        let by_category: Vec<(i64, i64, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new("SELECT CAST(CASE");
            for (m, start) in starts.iter().enumerate().skip(1) {
                qb.push(" WHEN i.first_published_at < ").push_bind(*start);
                qb.push(format!(" THEN {m}"));
            }
            qb.push(
                " ELSE 12 END AS BIGINT), i.category_id, COUNT(*) FROM items i \
                 WHERE i.scope = 'public' AND i.first_published_at >= ",
            );
            qb.push_bind(starts[0]);
            qb.push(" AND i.first_published_at < ").push_bind(end);
            qb.push(" AND i.body_id IN (SELECT b.id FROM bodies b WHERE 1 = 1");
            push_scope!(qb, scope, "b.path");
            qb.push(") GROUP BY 1, 2");
            qb.build_query_as::<(i64, i64, i64)>().fetch_all(c).await
        })?;
        let mut ids: Vec<i64> = by_category.iter().map(|r| r.1).collect();
        ids.sort_unstable();
        ids.dedup();
        let names: std::collections::HashMap<i64, String> = if ids.is_empty() {
            Default::default()
        } else {
            read!(self, |c| {
                let mut qb =
                    sqlx::QueryBuilder::new("SELECT id, name FROM categories WHERE id IN (");
                let mut sep = qb.separated(", ");
                for id in &ids {
                    sep.push_bind(*id);
                }
                qb.push(")");
                qb.build_query_as::<(i64, String)>().fetch_all(c).await
            })?
            .into_iter()
            .collect()
        };
        // Columns of the same name in several bodies count as one.
        let mut published: Vec<(u32, String, i64)> = Vec::new();
        for (m, cat, n) in by_category {
            let name = names.get(&cat).cloned().unwrap_or_default();
            match published
                .iter_mut()
                .find(|p| p.0 == month(m) && p.1 == name)
            {
                Some(p) => p.2 += n,
                None => published.push((month(m), name, n)),
            }
        }
        published.sort();
        let apps: Vec<(i64, Option<String>, i64, i64)> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT CAST(SUBSTR(x.replied_on, 6, 2) AS BIGINT), x.reply_row, COUNT(*), \
                 CAST(COALESCE(SUM(CASE WHEN x.due_on IS NULL OR x.due_on = '' OR x.replied_on <= x.due_on THEN 1 ELSE 0 END), 0) AS BIGINT) \
                 FROM applications x WHERE x.replied_on >= ",
            );
            qb.push_bind(from.clone());
            qb.push(" AND x.replied_on <= ").push_bind(to.clone());
            qb.push(" AND x.body_id IN (SELECT b.id FROM bodies b WHERE 1 = 1");
            push_scope!(qb, scope, "b.path");
            qb.push(") GROUP BY 1, 2");
            qb.build_query_as::<(i64, Option<String>, i64, i64)>()
                .fetch_all(c)
                .await
        })?;
        let mut applications: Vec<(u32, i64, i64)> = Vec::new();
        let mut outcomes: Vec<(String, i64)> = Vec::new();
        for (m, row, n, on_time) in apps {
            match applications.iter_mut().find(|a| a.0 == month(m)) {
                Some(a) => {
                    a.1 += n;
                    a.2 += on_time;
                }
                None => applications.push((month(m), n, on_time)),
            }
            if let Some(row) = row {
                match outcomes.iter_mut().find(|o| o.0 == row) {
                    Some(o) => o.1 += n,
                    None => outcomes.push((row, n)),
                }
            }
        }
        applications.sort();
        outcomes.sort();
        let answered: Vec<LetterRow> = read!(self, |c| {
            let mut qb = sqlx::QueryBuilder::new(
                "SELECT x.received_on, x.replied_on, x.due_on, x.rating FROM letters x \
                     WHERE x.kind <> 'report' AND x.replied_on >= ",
            );
            qb.push_bind(from.clone());
            qb.push(" AND x.replied_on <= ").push_bind(to.clone());
            qb.push(" AND x.body_id IN (SELECT b.id FROM bodies b WHERE 1 = 1");
            push_scope!(qb, scope, "b.path");
            qb.push(")");
            qb.build_query_as::<LetterRow>().fetch_all(c).await
        })?;
        let date = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        let mut letters: Vec<(u32, i64, i64)> = Vec::new();
        let mut ratings: Vec<(u32, String, i64)> = Vec::new();
        let mut replies = Vec::new();
        for (received, replied, due, rating) in &answered {
            let m = month(replied.get(5..7).and_then(|m| m.parse().ok()).unwrap_or(0));
            let on_time = due
                .as_deref()
                .is_none_or(|d| d.is_empty() || replied.as_str() <= d);
            match letters.iter_mut().find(|l| l.0 == m) {
                Some(l) => {
                    l.1 += 1;
                    l.2 += i64::from(on_time);
                }
                None => letters.push((m, 1, i64::from(on_time))),
            }
            if let Some(r) = rating {
                match ratings.iter_mut().find(|x| x.0 == m && &x.1 == r) {
                    Some(x) => x.2 += 1,
                    None => ratings.push((m, r.clone(), 1)),
                }
            }
            if let (Some(a), Some(b)) = (received.as_deref().and_then(date), date(replied)) {
                replies.push((a, b));
            }
        }
        letters.sort();
        ratings.sort();
        Ok(DashboardRows {
            published,
            applications,
            letters,
            outcomes,
            replies,
            ratings,
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
