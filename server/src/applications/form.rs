//! Creating and editing applications from the console form: every field checked (each refusal
//! named), then the application, its flows and an audit entry written in one transaction.

use super::{parse_base_url, parse_origin, ApplicationStore};
use crate::db::{audit, now_millis, on_db, StoreError, StoreResult};
use crate::security::random_bytes;
use app::domain::applications_page::{
    ApplicationField, ApplicationForm, MAX_APPLICATION_NAME, MAX_RESULTS_DAYS,
};
use app::domain::audit::AuditAction;
use app::domain::text::is_single_line;
use app::domain::{ApplicationKind, FlowSlug};

/// A form that passed every check.
struct CheckedApplication {
    slug: FlowSlug,
    name: String,
    kind: ApplicationKind,
    base_url: String,
    origins: Vec<String>,
    results_days: Option<u32>,
    flows: Vec<FlowSlug>,
}

/// Slugs a new application cannot take: `/applications/new` is the page that creates one.
const RESERVED_SLUGS: &[&str] = &["new"];

fn check(
    form: &ApplicationForm,
    creating: bool,
) -> Result<CheckedApplication, Vec<ApplicationField>> {
    let mut faults = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_APPLICATION_NAME || !is_single_line(&name) {
        faults.push(ApplicationField::Name);
    }
    let slug = if creating && form.slug.trim().is_empty() {
        FlowSlug::from_name(&name)
    } else {
        FlowSlug::parse(form.slug.trim()).ok()
    }
    .filter(|slug| !creating || !RESERVED_SLUGS.contains(&slug.as_str()));
    if slug.is_none() && !faults.contains(&ApplicationField::Name) {
        faults.push(ApplicationField::Slug);
    }
    let kind = ApplicationKind::parse(&form.kind);
    if kind.is_none() {
        faults.push(ApplicationField::Kind);
    }
    let base_url = parse_base_url(&form.base_url).ok();
    if base_url.is_none() {
        faults.push(ApplicationField::BaseUrl);
    }
    let origins: Result<Vec<String>, _> = form
        .embed_origins
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_origin)
        .collect();
    let origins = origins
        .ok()
        .filter(|o| o.is_empty() || kind.is_some_and(ApplicationKind::embeddable));
    if origins.is_none() {
        faults.push(ApplicationField::EmbedOrigins);
    }
    let results_days = match form.results_days.trim() {
        "" => Some(None),
        days => days
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_RESULTS_DAYS).contains(d))
            .map(Some),
    };
    if results_days.is_none() {
        faults.push(ApplicationField::ResultsDays);
    }
    let flows: Option<Vec<FlowSlug>> = form.flows.iter().map(|f| FlowSlug::parse(f).ok()).collect();
    if flows.is_none() {
        faults.push(ApplicationField::Flows);
    }
    match (slug, kind, base_url, origins, results_days, flows) {
        (
            Some(slug),
            Some(kind),
            Some(base_url),
            Some(origins),
            Some(results_days),
            Some(flows),
        ) if faults.is_empty() => Ok(CheckedApplication {
            slug,
            name,
            kind,
            base_url,
            origins,
            results_days,
            flows,
        }),
        _ => Err(faults),
    }
}

impl ApplicationStore {
    /// Creates an application (a new 256-bit key) or edits one; makes exactly the chosen flows
    /// available to it (new pairs start Open; kept pairs keep their protection).
    pub async fn save_application(
        &self,
        form: &ApplicationForm,
        creating: bool,
        by: &str,
    ) -> StoreResult<Result<FlowSlug, Vec<ApplicationField>>> {
        let app = match check(form, creating) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn form(name: &str, kind: &str, base_url: &str, origins: &str) -> ApplicationForm {
        ApplicationForm {
            name: name.into(),
            slug: String::new(),
            kind: kind.into(),
            base_url: base_url.into(),
            embed_origins: origins.into(),
            results_days: String::new(),
            flows: vec![],
        }
    }

    #[test]
    fn results_are_kept_for_whole_days_or_until_deleted() {
        let with = |days: &str| {
            let mut typed = form("Shop", "web_page", "https://shop.example", "");
            typed.results_days = days.into();
            check(&typed, true).map(|app| app.results_days)
        };
        assert_eq!(with(""), Ok(None));
        assert_eq!(with(" 30 "), Ok(Some(30)));
        assert_eq!(with("3650"), Ok(Some(3650)));
        for bad in ["0", "-1", "1.5", "3651", "ten"] {
            assert_eq!(
                with(bad),
                Err(vec![ApplicationField::ResultsDays]),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_good_form_passes_and_gets_a_slug_from_its_name() {
        let app = check(
            &form(
                "Shop Widget",
                "widget",
                "https://shop.example.com/",
                "https://shop.example.com\n\n",
            ),
            true,
        )
        .expect("valid");
        assert_eq!(
            (app.slug.as_str(), app.base_url.as_str()),
            ("shop-widget", "https://shop.example.com")
        );
        assert_eq!(app.origins, ["https://shop.example.com"]);
    }

    #[test]
    fn an_application_cannot_take_the_create_pages_slug() {
        let named_new = check(&form("New", "web_page", "https://new.example", ""), true);
        assert_eq!(named_new.err(), Some(vec![ApplicationField::Slug]));
        let mut typed = form("New Shop", "web_page", "https://new.example", "");
        typed.slug = "new".into();
        assert_eq!(
            check(&typed, true).err(),
            Some(vec![ApplicationField::Slug])
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let faults = check(&form("", "iframe", "ftp://x", "not an origin"), true)
            .err()
            .expect("refused");
        assert_eq!(
            faults,
            [
                ApplicationField::Name,
                ApplicationField::Kind,
                ApplicationField::BaseUrl,
                ApplicationField::EmbedOrigins
            ]
        );
        let page_with_origins = check(
            &form(
                "Help",
                "web_page",
                "https://help.example",
                "https://x.example",
            ),
            true,
        )
        .err();
        assert_eq!(
            page_with_origins,
            Some(vec![ApplicationField::EmbedOrigins]),
            "a web page cannot be embedded"
        );
    }
}
