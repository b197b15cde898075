//! Synthetic links for load tests: many open, shortened links of one flow and application,
//! written in large batches without the per-link audit entry the console's generation makes.
//! `flowshare links synthetic` uses it to fill a database for `scripts/bench-links.sh`.

use super::generate::mint_link_id;
use super::{short_code, LinkStore};
use crate::db::{now_millis, on_db, StoreError, StoreResult};
use app::domain::link::{LinkAddress, ShortCode};
use app::domain::params::UrlParams;
use app::domain::FlowSlug;

/// Rows per INSERT: 11 binds each stays under every engine's limit on bound parameters.
const BATCH: usize = 1_000;

impl LinkStore {
    /// Adds `count` open short links of `flow` through `application`; returns their codes.
    pub async fn add_synthetic(
        &self,
        flow: &FlowSlug,
        application: &FlowSlug,
        count: usize,
    ) -> StoreResult<Vec<ShortCode>> {
        let sql = "SELECT f.id, a.id, a.base_url, a.key_version FROM flows f \
                   JOIN flow_applications fa ON fa.flow_id = f.id JOIN applications a ON a.id = fa.application_id \
                   WHERE f.slug = $1 AND a.slug = $2";
        let target: Option<(i64, i64, String, i64)> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(flow.as_str())
            .bind(application.as_str())
            .fetch_optional(pool)
            .await)?;
        let (flow_id, application_id, base_url, key_version) = target.ok_or_else(|| {
            StoreError::Invalid(format!(
                "application {application} is not available to flow {flow} (or neither exists)"
            ))
        })?;
        let mut codes = Vec::with_capacity(count);
        let now = now_millis();
        for start in (0..count).step_by(BATCH) {
            let mut rows = Vec::with_capacity(BATCH);
            for _ in start..(start + BATCH).min(count) {
                let address = LinkAddress {
                    application: application.clone(),
                    flow: flow.clone(),
                    link: mint_link_id()?,
                    params: UrlParams::default(),
                    key_version,
                    expires_at: None,
                    token: None,
                };
                rows.push((
                    address.to_url(&base_url),
                    address.link,
                    short_code::generate()?,
                ));
            }
            on_db!(&self.db, |pool| {
                let mut insert = sqlx::QueryBuilder::new(
                    "INSERT INTO links (id, flow_id, application_id, created_by, created_at, params, protected, \
                     validate_params, short_code, key_version, url) ",
                );
                insert.push_values(&rows, |mut row, (url, id, code)| {
                    row.push_bind(id.as_str())
                        .push_bind(flow_id)
                        .push_bind(application_id)
                        .push_bind("generator")
                        .push_bind(now)
                        .push_bind("")
                        .push_bind(false)
                        .push_bind(false)
                        .push_bind(code.as_str())
                        .push_bind(key_version)
                        .push_bind(url.as_str());
                });
                insert.build().execute(pool).await.map(|_| ())
            })?;
            codes.extend(rows.into_iter().map(|(_, _, code)| code));
        }
        self.changed().await;
        Ok(codes)
    }
}
