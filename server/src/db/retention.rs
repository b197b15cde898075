//! Retention: what the database forgets, and when. Expired sessions and sign-in failures older
//! than any lock always go; recipients' runs after their application's retention setting; per-day start counts and the audit log go after the configured number
//! of days (the audit log is kept longest). Deleting happens in batches of a thousand rows, each
//! its own short statement, so a large backlog never holds SQLite's one write lock for long.

use super::{now_millis, on_db, Db, StoreResult};

/// Days to keep what is kept for a while; `None` keeps it forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retention {
    pub uses_days: Option<u32>,
    pub audit_days: Option<u32>,
    /// How long a sign-in failure is remembered: the throttle's memory
    /// (`crate::security::throttle::FORGET_AFTER`), which outlasts its longest lock.
    pub sign_in_failures: std::time::Duration,
}

/// Rows removed by one pass, per table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub sessions: u64,
    /// Rows of failed sign-ins: names' and clients'.
    pub sign_in_failures: u64,
    pub daily_uses: u64,
    pub audit_entries: u64,
    pub runs: u64,
    pub idempotent_answers: u64,
}

const BATCH: i64 = 1_000;
const DAY_MS: i64 = 86_400_000;

/// Deletes `batch_sql` (one bound cut-off, a `LIMIT $2` inside) until a batch comes back short.
async fn in_batches(db: &Db, batch_sql: &str, cutoff: i64) -> StoreResult<u64> {
    let mut removed = 0;
    loop {
        let deleted = on_db!(db, |pool| sqlx::query(batch_sql)
            .bind(cutoff)
            .bind(BATCH)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        removed += deleted;
        if deleted < BATCH as u64 {
            return Ok(removed);
        }
        // Let waiting writers in between batches.
        tokio::task::yield_now().await;
    }
}

impl Retention {
    /// One pass at `now` (Unix milliseconds).
    pub async fn apply(&self, db: &Db, now: i64) -> StoreResult<Removed> {
        let kept_ms = i64::try_from(self.sign_in_failures.as_millis()).unwrap_or(i64::MAX);
        let forget_before = now.saturating_sub(kept_ms);
        let mut removed = Removed {
            sessions: in_batches(
                db,
                "DELETE FROM sessions WHERE token_hash IN \
                 (SELECT token_hash FROM sessions WHERE expires_at <= $1 LIMIT $2)",
                now,
            )
            .await?,
            // Names' failures and clients' (addresses', known browsers').
            sign_in_failures: in_batches(
                db,
                "DELETE FROM sign_in_failures WHERE name IN \
                 (SELECT name FROM sign_in_failures WHERE last_failure_at < $1 LIMIT $2)",
                forget_before,
            )
            .await?
                + in_batches(
                    db,
                    "DELETE FROM sign_in_client_failures WHERE client IN \
                     (SELECT client FROM sign_in_client_failures WHERE last_failure_at < $1 LIMIT $2)",
                    forget_before,
                )
                .await?,
            // Recipients' answers, their application's own number of days after the run's last
            // move (a run still being played is never cut off), where it set one.
            runs: in_batches(
                db,
                "DELETE FROM runs WHERE id IN (SELECT r.id FROM runs r JOIN links l ON l.id = r.link_id \
                 JOIN applications a ON a.id = l.application_id WHERE a.run_retention_days IS NOT NULL \
                 AND r.updated_at <= $1 - a.run_retention_days * 86400000 LIMIT $2)",
                now,
            )
            .await?,
            // An API call's stored answer serves retries for a day.
            idempotent_answers: in_batches(
                db,
                "DELETE FROM api_idempotency WHERE (key_id, idempotency_key) IN \
                 (SELECT key_id, idempotency_key FROM api_idempotency WHERE created_at < $1 LIMIT $2)",
                now - DAY_MS,
            )
            .await?,
            ..Removed::default()
        };
        if let Some(days) = self.uses_days {
            // Counts are per UTC day; a day goes once all of it is older than the cut-off.
            let first_kept_day = now.div_euclid(DAY_MS) - i64::from(days) + 1;
            removed.daily_uses = in_batches(
                db,
                "DELETE FROM link_daily_uses WHERE (link_id, day) IN \
                 (SELECT link_id, day FROM link_daily_uses WHERE day < $1 LIMIT $2)",
                first_kept_day,
            )
            .await?;
        }
        if let Some(days) = self.audit_days {
            removed.audit_entries = in_batches(
                db,
                "DELETE FROM audit_log WHERE id IN \
                 (SELECT id FROM audit_log WHERE at < $1 LIMIT $2)",
                now - i64::from(days) * DAY_MS,
            )
            .await?;
        }
        Ok(removed)
    }

    /// Applies retention now and then every hour, logging what went. The handle aborts it.
    pub fn every_hour(self, db: Db) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut every = tokio::time::interval(std::time::Duration::from_secs(3_600));
            loop {
                every.tick().await;
                match self.apply(&db, now_millis()).await {
                    Ok(removed) if removed != Removed::default() => {
                        tracing::info!(?removed, "retention: old rows removed");
                    }
                    Ok(_) => {}
                    Err(err) => tracing::error!(error = %err, "retention pass failed"),
                }
            }
        })
    }
}
