//! Creating and editing applications from the console form: the form checked by its rules
//! (`ApplicationForm::check`, each refusal named), then the application, its flows and an audit
//! entry written in one transaction.

use super::ApplicationStore;
use crate::db::{audit, now_millis, on_db, StoreError, StoreResult};
use crate::security::random_bytes;
use app::domain::application_form::{ApplicationField, ApplicationForm};
use app::domain::audit::AuditAction;
use app::domain::FlowSlug;

impl ApplicationStore {
    /// Creates an application (a new 256-bit key) or edits one; makes exactly the chosen flows
    /// available to it (new pairs start Open; kept pairs keep their protection).
    pub async fn save_application(
        &self,
        form: &ApplicationForm,
        creating: bool,
        by: &str,
    ) -> StoreResult<Result<FlowSlug, Vec<ApplicationField>>> {
        let app = match form.check(creating) {
            Ok(app) => app,
            Err(faults) => return Ok(Err(faults)),
        };
        let key = random_bytes::<32>()?;
        let now = now_millis();
        let insert = "INSERT INTO applications (slug, name, kind, base_url, embed_origins, secret_key, key_version, created_at, rotated_at, run_retention_days) \
                      VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8)";
        let update = "UPDATE applications SET name = $2, kind = $3, base_url = $4, embed_origins = $5, run_retention_days = $6 WHERE slug = $1";
        let outcome = on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            let written = if creating {
                let inserted = sqlx::query(insert)
                    .bind(app.slug.as_str())
                    .bind(&app.name)
                    .bind(app.kind.as_str())
                    .bind(&app.base_url)
                    .bind(app.origins.join("\n"))
                    .bind(key.to_vec())
                    .bind(now)
                    .bind(app.results_days.map(i64::from))
                    .execute(&mut *tx)
                    .await;
                match inserted {
                    Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
                        return Ok(Err(vec![ApplicationField::Slug]))
                    }
                    other => other?.rows_affected(),
                }
            } else {
                sqlx::query(update)
                    .bind(app.slug.as_str())
                    .bind(&app.name)
                    .bind(app.kind.as_str())
                    .bind(&app.base_url)
                    .bind(app.origins.join("\n"))
                    .bind(app.results_days.map(i64::from))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
            };
            if written != 1 {
                return Ok(Err(vec![ApplicationField::Slug]));
            }
            let app_id: i64 = sqlx::query_scalar("SELECT id FROM applications WHERE slug = $1")
                .bind(app.slug.as_str())
                .fetch_one(&mut *tx)
                .await?;
            let mut flow_ids = Vec::with_capacity(app.flows.len());
            for flow in &app.flows {
                match sqlx::query_scalar::<_, i64>("SELECT id FROM flows WHERE slug = $1")
                    .bind(flow.as_str())
                    .fetch_optional(&mut *tx)
                    .await?
                {
                    Some(id) => flow_ids.push(id),
                    None => return Ok(Err(vec![ApplicationField::Flows])),
                }
            }
            let current: Vec<i64> = sqlx::query_scalar(
                "SELECT flow_id FROM flow_applications WHERE application_id = $1",
            )
            .bind(app_id)
            .fetch_all(&mut *tx)
            .await?;
            for gone in current.iter().filter(|id| !flow_ids.contains(id)) {
                sqlx::query(
                    "DELETE FROM flow_applications WHERE application_id = $1 AND flow_id = $2",
                )
                .bind(app_id)
                .bind(gone)
                .execute(&mut *tx)
                .await?;
            }
            for added in flow_ids.iter().filter(|id| !current.contains(id)) {
                sqlx::query("INSERT INTO flow_applications (flow_id, application_id, protected, validate_params) VALUES ($1, $2, FALSE, TRUE)")
                    .bind(added)
                    .bind(app_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let detail = format!(
                "{} {}: {} at {}, {} flow(s), embed origins: {}",
                if creating { "created" } else { "edited" },
                app.name,
                app.kind.label(),
                app.base_url,
                flow_ids.len(),
                if app.origins.is_empty() {
                    "none".to_owned()
                } else {
                    app.origins.join(" ")
                }
            );
            audit!(
                tx,
                by,
                AuditAction::ApplicationSaved,
                app.slug.as_str(),
                &detail
            )?;
            tx.commit().await?;
            Ok::<_, StoreError>(Ok(app.slug.clone()))
        })?;
        self.links.changed().await;
        Ok(outcome)
    }
}
