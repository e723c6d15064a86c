//! Calendar years imported after release (holiday-cn JSON), stored so every server process and
//! the command line see the same calendar.

use gongkai_domain::audit::{AuditEvent, Who};
use gongkai_domain::calendar::{Calendar, YearData};

use crate::{Store, StoreResult};

impl Store {
    /// Store an imported year (replacing an earlier import of the same year).
    pub async fn import_calendar_year(&self, y: &YearData, who: &Who) -> StoreResult<()> {
        let now = crate::now_ms();
        let json = y.to_holiday_cn_json();
        write_tx!(self, |tx| {
            sqlx::query("DELETE FROM calendar_years WHERE year = $1")
                .bind(i64::from(y.year))
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO calendar_years (year, data, imported_at, imported_by) VALUES ($1, $2, $3, $4)")
                .bind(i64::from(y.year))
                .bind(&json)
                .bind(now)
                .bind(&who.name)
                .execute(&mut *tx)
                .await?;
            audit_append!(
                tx,
                AuditEvent::new("calendar.import", "calendar_year", y.year)
                    .who(who)
                    .after(serde_json::json!({"year": y.year, "days": y.days.len(), "papers": y.papers}))
            );
            Ok(())
        })
    }

    /// The calendar in force: the years shipped with the binary, overridden and extended by the
    /// years imported into this installation.
    pub async fn load_calendar(&self) -> StoreResult<Calendar> {
        let mut cal = Calendar::builtin();
        let rows: Vec<(i64, String)> = read!(self, |c| {
            sqlx::query_as("SELECT year, data FROM calendar_years ORDER BY year")
                .fetch_all(c)
                .await
        })?;
        for (year, data) in rows {
            match Calendar::parse_holiday_cn(&data) {
                Ok(y) => cal.insert_year(y),
                Err(e) => tracing::error!(year, error = %e, "stored calendar year does not parse"),
            }
        }
        Ok(cal)
    }

    /// Years imported into this installation (not the built-in ones).
    pub async fn imported_calendar_years(&self) -> StoreResult<Vec<(i64, i64, String)>> {
        Ok(read!(self, |c| {
            sqlx::query_as(
                "SELECT year, imported_at, imported_by FROM calendar_years ORDER BY year",
            )
            .fetch_all(c)
            .await
        })?)
    }
}
