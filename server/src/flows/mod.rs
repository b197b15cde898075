//! Flows in the store: the `FlowCatalog` port (search, details) and the writes behind
//! `flows import`, `flows generate` and the demo data.

mod review;
pub use review::ReviewStore;

use crate::db::{now_millis, on_db, Db, StoreError, StoreResult};
use crate::links::LinkStore;
use app::domain::link_pages::{LinkPreview, PreviewSettings};
use app::domain::query::fold;
use app::domain::text::{is_multi_line, is_single_line};
use app::domain::{
    AccessProtection, ApplicationKind, ApprovalStatus, Availability, Expiry, ExpiryUnit,
    FlowDefinition, FlowDetails, FlowPage, FlowQuery, FlowSlug, FlowSummary, FlowType,
    PublicationStatus, SortDirection, SortKey, PAGE_SIZE,
};
use app::ports::{BackendError, CatalogError, FlowCatalog};
use async_trait::async_trait;

/// Flows: the catalog and its writes. Changes that affect what links open tell the links' store.
#[derive(Debug, Clone)]
pub struct FlowStore {
    pub(crate) db: Db,
    pub(crate) links: LinkStore,
}

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 4_000;

/// A flow as it is written: validated on construction.
#[derive(Debug, Clone)]
pub struct NewFlow {
    pub slug: FlowSlug,
    pub name: String,
    pub flow_type: FlowType,
    pub publication: PublicationStatus,
    pub approval: ApprovalStatus,
    pub description: String,
    pub definition: FlowDefinition,
}

impl NewFlow {
    pub fn check(self) -> StoreResult<Self> {
        let name = self.name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid(format!(
                "flow {}: the name cannot be empty",
                self.slug
            )));
        }
        if name.chars().count() > MAX_NAME_LEN {
            return Err(StoreError::Invalid(format!(
                "flow {}: the name is longer than {MAX_NAME_LEN} characters",
                self.slug
            )));
        }
        if !is_single_line(name) {
            return Err(StoreError::Invalid(format!(
                "flow {}: the name holds a control character (it must be one line of text)",
                self.slug
            )));
        }
        if !is_multi_line(&self.description) {
            return Err(StoreError::Invalid(format!(
                "flow {}: the description holds a control character other than tab or a line break",
                self.slug
            )));
        }
        if self.description.chars().count() > MAX_DESCRIPTION_LEN {
            return Err(StoreError::Invalid(format!(
                "flow {}: the description is longer than {MAX_DESCRIPTION_LEN} characters",
                self.slug
            )));
        }
        Ok(Self {
            name: name.to_owned(),
            ..self
        })
    }
}

/// What `upsert_flow` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upserted {
    Created,
    /// The flow existed; its definition changed and it needs approval again when `reapproval` is set.
    Updated {
        version: i64,
        reapproval: bool,
    },
    Unchanged,
}

#[derive(sqlx::FromRow)]
struct SummaryRow {
    slug: String,
    name: String,
    flow_type: String,
    publication: String,
    approval: String,
    version: i64,
    updated_at: i64,
    updated_by: String,
}

fn corrupt(e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

impl TryFrom<SummaryRow> for FlowSummary {
    type Error = StoreError;
    fn try_from(row: SummaryRow) -> StoreResult<Self> {
        Ok(FlowSummary {
            slug: FlowSlug::parse(&row.slug).map_err(corrupt)?,
            name: row.name,
            flow_type: row.flow_type.parse().map_err(corrupt)?,
            publication: row.publication.parse().map_err(corrupt)?,
            approval: row.approval.parse().map_err(corrupt)?,
            version: u32::try_from(row.version).map_err(corrupt)?,
            updated_at: row.updated_at,
            updated_by: row.updated_by,
        })
    }
}

#[derive(sqlx::FromRow)]
struct AvailabilityRow {
    slug: String,
    name: String,
    kind: String,
    base_url: String,
    protected: bool,
    allowed_invocations: Option<i64>,
    expiry_amount: Option<i64>,
    expiry_unit: Option<String>,
    validate_params: bool,
    /// The preview's sources: the application's own texts and image, the flow's name and description.
    preview_title: String,
    preview_description: String,
    preview_image: Option<String>,
    flow_title: String,
    flow_description: String,
}

/// [`AvailabilityRow`]'s columns after the application's, over `flows f`, `flow_applications fa`
/// and `applications a`.
const AVAILABILITY_COLUMNS: &str = "a.slug, a.name, a.kind, a.base_url, fa.protected, fa.allowed_invocations, \
    fa.expiry_amount, fa.expiry_unit, fa.validate_params, a.preview_title, a.preview_description, a.preview_image, \
    f.name AS flow_title, f.description AS flow_description";

impl TryFrom<AvailabilityRow> for Availability {
    type Error = StoreError;
    fn try_from(row: AvailabilityRow) -> StoreResult<Self> {
        let protection = if row.protected {
            let expiry = match (row.expiry_amount, row.expiry_unit.as_deref()) {
                (Some(amount), Some(unit)) => Some(Expiry {
                    amount: u32::try_from(amount).map_err(corrupt)?,
                    unit: ExpiryUnit::parse(unit)
                        .ok_or_else(|| corrupt(format!("expiry unit {unit:?}")))?,
                }),
                _ => None,
            };
            AccessProtection::Protected {
                allowed_invocations: row
                    .allowed_invocations
                    .map(u32::try_from)
                    .transpose()
                    .map_err(corrupt)?,
                expiry,
                validate_params: row.validate_params,
            }
        } else {
            AccessProtection::Open
        };
        let preview = PreviewSettings {
            title: row.preview_title,
            description: row.preview_description,
            image: row.preview_image,
        };
        Ok(Availability {
            preview: LinkPreview::of(
                &preview,
                &row.base_url,
                &row.name,
                (&row.flow_title, &row.flow_description),
            ),
            application_slug: row.slug,
            application_name: row.name,
            kind: ApplicationKind::parse(&row.kind)
                .ok_or_else(|| corrupt(format!("application kind {:?}", row.kind)))?,
            base_url: row.base_url,
            protection,
        })
    }
}

/// A LIKE pattern matching `text` anywhere, with LIKE's own wildcards in it taken literally.
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The ORDER BY clause for a sort: only these fixed strings ever reach the SQL text.
fn order_by(key: SortKey, direction: SortDirection) -> String {
    let column = match key {
        SortKey::Name => "name_folded",
        SortKey::Type => "flow_type",
        SortKey::Status => "publication",
        SortKey::Approval => "approval",
        SortKey::Updated => "updated_at",
    };
    let dir = match direction {
        SortDirection::Asc => "ASC",
        SortDirection::Desc => "DESC",
    };
    format!("ORDER BY {column} {dir}, id {dir}")
}

const SUMMARY_COLUMNS: &str =
    "slug, name, flow_type, publication, approval, version, updated_at, updated_by";

impl FlowStore {
    /// Creates a flow, or updates the one with the same slug. A changed definition bumps the
    /// version, and an approved flow whose definition changed goes back to Pending.
    pub async fn upsert_flow(&self, flow: NewFlow, author: &str) -> StoreResult<Upserted> {
        let flow = flow.check()?;
        let now = now_millis();
        let definition = flow.definition.to_json();
        let existing: Option<(String, String)> = on_db!(&self.db, |pool| sqlx::query_as(
            "SELECT definition, approval FROM flows WHERE slug = $1"
        )
        .bind(flow.slug.as_str())
        .fetch_optional(pool)
        .await)?;
        let Some((old_definition, old_approval)) = existing else {
            self.insert_flows(std::slice::from_ref(&flow), author)
                .await?;
            return Ok(Upserted::Created);
        };
        let definition_changed = old_definition != definition;
        let reapproval = definition_changed && old_approval == ApprovalStatus::Approved.as_str();
        let sql = "UPDATE flows SET name = $2, name_folded = $3, flow_type = $4, description = $5, definition = $6, \
                   step_count = $7, version = version + $8, \
                   approval = CASE WHEN $9 THEN 'pending' ELSE approval END, updated_at = $10, updated_by = $11 \
                   WHERE slug = $1 RETURNING version";
        let version: i64 = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(flow.slug.as_str())
            .bind(&flow.name)
            .bind(fold(&flow.name))
            .bind(flow.flow_type.as_str())
            .bind(&flow.description)
            .bind(&definition)
            .bind(flow.definition.steps().len() as i64)
            .bind(i64::from(definition_changed))
            .bind(reapproval)
            .bind(now)
            .bind(author)
            .fetch_one(pool)
            .await)?;
        // A changed flow changes what its links open (or whether they open at all).
        self.links.changed().await;
        Ok(if definition_changed {
            Upserted::Updated {
                version,
                reapproval,
            }
        } else {
            Upserted::Unchanged
        })
    }

    pub async fn flow_count(&self) -> StoreResult<i64> {
        Ok(on_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM flows"
        )
        .fetch_one(pool)
        .await)?)
    }

    /// Inserts many flows in one transaction (for `flows generate` and the demo data).
    pub async fn insert_flows(&self, flows: &[NewFlow], author: &str) -> StoreResult<()> {
        let sql = "INSERT INTO flows (slug, name, name_folded, flow_type, publication, approval, version, description, \
                   definition, step_count, created_at, created_by, updated_at, updated_by) \
                   VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $8, $9, $10, $11, $10, $11)";
        let now = now_millis();
        on_db!(&self.db, |pool| {
            let mut tx = pool.begin().await?;
            for (i, flow) in flows.iter().enumerate() {
                let flow = flow.clone().check()?;
                sqlx::query(sql)
                    .bind(flow.slug.as_str())
                    .bind(&flow.name)
                    .bind(fold(&flow.name))
                    .bind(flow.flow_type.as_str())
                    .bind(flow.publication.as_str())
                    .bind(flow.approval.as_str())
                    .bind(&flow.description)
                    .bind(flow.definition.to_json())
                    .bind(flow.definition.steps().len() as i64)
                    // Spread the update times so "recently updated" has a meaningful order.
                    .bind(now - (i as i64) * 3_600_000)
                    .bind(author)
                    .execute(&mut *tx)
                    .await
                    .map_err(|e| {
                        StoreError::on_unique(e, || {
                            format!("a flow with slug {} already exists", flow.slug)
                        })
                    })?;
            }
            tx.commit().await?;
            Ok::<_, StoreError>(())
        })
    }

    pub(crate) async fn flow_id(&self, slug: &FlowSlug) -> StoreResult<Option<i64>> {
        Ok(on_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT id FROM flows WHERE slug = $1"
        )
        .bind(slug.as_str())
        .fetch_optional(pool)
        .await)?)
    }

    async fn search_flows(&self, query: &FlowQuery) -> StoreResult<FlowPage> {
        let pattern = contains_pattern(&query.text.folded());
        let filter = "WHERE name_folded LIKE $1 ESCAPE '\\'";
        let list = format!(
            "SELECT {SUMMARY_COLUMNS} FROM flows {filter} {} LIMIT $2 OFFSET $3",
            order_by(query.sort, query.direction)
        );
        let count = format!("SELECT COUNT(*) FROM flows {filter}");
        let offset = i64::try_from(query.offset()).unwrap_or(i64::MAX);
        let (rows, total): (Vec<SummaryRow>, i64) = on_db!(&self.db, |pool| {
            let rows = sqlx::query_as(&list)
                .bind(&pattern)
                .bind(i64::from(PAGE_SIZE))
                .bind(offset)
                .fetch_all(pool)
                .await?;
            // A page that is not full already tells the total (every match up to here is counted);
            // only a full or empty page needs the second scan of COUNT(*).
            let total = if !rows.is_empty() && rows.len() < PAGE_SIZE as usize {
                offset + rows.len() as i64
            } else {
                sqlx::query_scalar(&count)
                    .bind(&pattern)
                    .fetch_one(pool)
                    .await?
            };
            Ok::<_, sqlx::Error>((rows, total))
        })?;
        Ok(FlowPage {
            flows: rows
                .into_iter()
                .map(FlowSummary::try_from)
                .collect::<StoreResult<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
            page: query.page,
        })
    }

    async fn flow_details(&self, slug: &FlowSlug) -> StoreResult<Option<FlowDetails>> {
        #[derive(sqlx::FromRow)]
        struct DetailRow {
            id: i64,
            description: String,
            step_count: i64,
            created_at: i64,
            created_by: String,
        }
        let head = format!("SELECT {SUMMARY_COLUMNS} FROM flows WHERE slug = $1");
        let rest =
            "SELECT id, description, step_count, created_at, created_by FROM flows WHERE slug = $1";
        let apps = format!(
            "SELECT {AVAILABILITY_COLUMNS} FROM flow_applications fa JOIN flows f ON f.id = fa.flow_id \
             JOIN applications a ON a.id = fa.application_id WHERE fa.flow_id = $1 ORDER BY a.name, a.id"
        );
        let found: Option<(SummaryRow, DetailRow, Vec<AvailabilityRow>)> =
            on_db!(&self.db, |pool| {
                let Some(summary) = sqlx::query_as::<_, SummaryRow>(&head)
                    .bind(slug.as_str())
                    .fetch_optional(pool)
                    .await?
                else {
                    return Ok(None);
                };
                let detail = sqlx::query_as::<_, DetailRow>(rest)
                    .bind(slug.as_str())
                    .fetch_one(pool)
                    .await?;
                let availability = sqlx::query_as::<_, AvailabilityRow>(&apps)
                    .bind(detail.id)
                    .fetch_all(pool)
                    .await?;
                Ok::<_, sqlx::Error>(Some((summary, detail, availability)))
            })?;
        let Some((summary, detail, availability)) = found else {
            return Ok(None);
        };
        Ok(Some(FlowDetails {
            summary: summary.try_into()?,
            description: detail.description,
            created_at: detail.created_at,
            created_by: detail.created_by,
            step_count: u32::try_from(detail.step_count).map_err(corrupt)?,
            availability: availability
                .into_iter()
                .map(Availability::try_from)
                .collect::<StoreResult<_>>()?,
            share_blocker: None,
            can_publish: false,
            can_review: false,
            review_comment: String::new(),
            can_administer: false,
        }))
    }
}

#[async_trait]
impl FlowCatalog for FlowStore {
    async fn search(&self, query: &FlowQuery) -> Result<FlowPage, BackendError> {
        self.search_flows(query)
            .await
            .map_err(|e| e.for_port("searching flows"))
    }

    async fn details(&self, slug: &FlowSlug) -> Result<FlowDetails, CatalogError> {
        self.flow_details(slug)
            .await
            .map_err(|e| e.for_port("reading a flow"))?
            .ok_or_else(|| CatalogError::NoSuchFlow(slug.to_string()))
    }
}

impl FlowStore {
    /// Every flow that can be shared now (an Interaction flow, published and approved), by name,
    /// with the applications available to it and their access protection.
    pub async fn shareable(&self) -> StoreResult<Vec<(String, String, Vec<Availability>)>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            flow_slug: String,
            flow_name: String,
            #[sqlx(flatten)]
            availability: AvailabilityRow,
        }
        let sql = format!(
            "SELECT f.slug AS flow_slug, f.name AS flow_name, {AVAILABILITY_COLUMNS} \
             FROM flows f JOIN flow_applications fa ON fa.flow_id = f.id JOIN applications a ON a.id = fa.application_id \
             WHERE f.flow_type = 'interaction' AND f.publication = 'published' AND f.approval = 'approved' \
             ORDER BY f.name, f.id, a.name, a.id"
        );
        let rows: Vec<Row> = on_db!(&self.db, |pool| sqlx::query_as(&sql).fetch_all(pool).await)?;
        let mut flows: Vec<(String, String, Vec<Availability>)> = Vec::new();
        for row in rows {
            let availability = Availability::try_from(row.availability)?;
            match flows.last_mut() {
                Some((slug, _, apps)) if *slug == row.flow_slug => apps.push(availability),
                _ => flows.push((row.flow_slug, row.flow_name, vec![availability])),
            }
        }
        Ok(flows)
    }
}

impl FlowStore {
    /// Moves a flow to a publication and approval state; its links follow at once.
    pub async fn set_flow_state(
        &self,
        slug: &FlowSlug,
        publication: PublicationStatus,
        approval: ApprovalStatus,
        by: &str,
    ) -> StoreResult<()> {
        let sql = "UPDATE flows SET publication = $1, approval = $2, updated_at = $3, updated_by = $4 WHERE slug = $5";
        let changed = on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(publication.as_str())
            .bind(approval.as_str())
            .bind(now_millis())
            .bind(by)
            .bind(slug.as_str())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        self.links.changed().await;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "flow",
                name: slug.as_str().to_owned(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_search_text_are_literal() {
        assert_eq!(contains_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
        assert_eq!(contains_pattern(""), "%%");
    }

    #[test]
    fn sort_clauses_come_from_a_fixed_list() {
        assert_eq!(
            order_by(SortKey::Name, SortDirection::Asc),
            "ORDER BY name_folded ASC, id ASC"
        );
        assert_eq!(
            order_by(SortKey::Updated, SortDirection::Desc),
            "ORDER BY updated_at DESC, id DESC"
        );
    }
}
