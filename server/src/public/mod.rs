//! What recipients reach without an account: opening a full link (the `PublicLinks` port, checked
//! in order of cost), following a short link, and the headers public pages carry.

pub mod cache;
pub mod player;
pub mod routes;

use crate::db::{now_millis, on_db, Store, StoreError, StoreResult};
use crate::sharing::signing::{AppKey, LinkClaims};
use app::domain::link::{
    LinkRefusal, PlayerFlow, EXPIRES_PARAM, KEY_VERSION_PARAM, SIGNATURE_PARAM,
};
use app::domain::params::{UrlParams, RESERVED_PREFIX};
use app::domain::{ApprovalStatus, FlowDefinition, PublicationStatus};
use app::ports::{BackendError, OpenedLink, PublicLinks};
use async_trait::async_trait;
use std::sync::Arc;

/// Everything about one link that opening it needs, read in one query and cached.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRecord {
    pub application_id: i64,
    pub application: String,
    pub flow_id: i64,
    pub flow: String,
    pub flow_name: String,
    pub flow_type: String,
    pub publication: String,
    pub approval: String,
    pub definition: String,
    pub secret_key: Vec<u8>,
    pub current_key_version: i64,
    pub embed_origins: String,
    pub link_key_version: i64,
    pub protected: bool,
    pub validate_params: bool,
    pub revoked: bool,
    pub short_code: Option<String>,
    pub invocations: i64,
    pub allowed_invocations: Option<i64>,
    /// The full link as generated.
    pub url: String,
}

impl LinkRecord {
    /// Whether a path's application and flow are the ones this link was made for.
    fn belongs_to(&self, application: &str, flow: &str) -> bool {
        self.application == application && self.flow == flow
    }

    /// The origins allowed to frame this link's pages, one per line in the store.
    fn embed_origins(&self) -> Vec<String> {
        self.embed_origins
            .lines()
            .filter(|o| !o.is_empty())
            .map(str::to_owned)
            .collect()
    }
}

const LINK_SQL: &str = "SELECT a.id AS application_id, a.slug AS application, f.id AS flow_id, f.slug AS flow, \
    f.name AS flow_name, f.flow_type, f.publication, f.approval, f.definition, a.secret_key, \
    a.key_version AS current_key_version, a.embed_origins, l.key_version AS link_key_version, l.protected, \
    l.validate_params, (l.revoked_at IS NOT NULL) AS revoked, l.short_code, l.invocations, l.allowed_invocations, l.url \
    FROM links l JOIN flows f ON f.id = l.flow_id JOIN applications a ON a.id = l.application_id";

/// The parts of a link's query: its own `fs_` fields and the flow's parameters.
struct LinkQuery {
    key_version: Option<i64>,
    expires_at: Option<i64>,
    signature: Option<String>,
    params: UrlParams,
}

fn parse_query(query: &str) -> Result<LinkQuery, LinkRefusal> {
    let mut parsed = LinkQuery {
        key_version: None,
        expires_at: None,
        signature: None,
        params: UrlParams::default(),
    };
    let mut flow_params = Vec::new();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let number = || value.parse::<i64>().map_err(|_| LinkRefusal::NotValid);
        let repeated = match name.as_ref() {
            KEY_VERSION_PARAM => parsed.key_version.replace(number()?).is_some(),
            EXPIRES_PARAM => parsed.expires_at.replace(number()?).is_some(),
            SIGNATURE_PARAM => parsed
                .signature
                .replace(value.clone().into_owned())
                .is_some(),
            other if other.to_ascii_lowercase().starts_with(RESERVED_PREFIX) => {
                return Err(LinkRefusal::NotValid)
            }
            _ => {
                flow_params.push((name.into_owned(), value.into_owned()));
                false
            }
        };
        if repeated {
            return Err(LinkRefusal::NotValid);
        }
    }
    parsed.params =
        UrlParams::from_pairs(flow_params.iter().map(|(n, v)| (n.as_str(), v.as_str())))
            .map_err(|_| LinkRefusal::NotValid)?;
    Ok(parsed)
}

/// The checks, in the documented order. `now` is Unix seconds. (Whether a limited link still has
/// starts left is read from the cached record here; the exact count happens at `start_link`.)
fn check(
    record: &LinkRecord,
    application: &str,
    flow: &str,
    link_id: &str,
    query: &LinkQuery,
    now: i64,
) -> Result<(), LinkRefusal> {
    // 1. The application, and the key version the link was made under.
    if !record.belongs_to(application, flow) {
        return Err(LinkRefusal::NotValid);
    }
    if query.key_version != Some(record.link_key_version) {
        return Err(LinkRefusal::NotValid);
    }
    if record.revoked || record.link_key_version != record.current_key_version {
        return Err(LinkRefusal::Disabled);
    }
    // 2. The flow is still there to be run.
    let shareable = record.flow_type == "interaction"
        && record.publication == PublicationStatus::Published.as_str()
        && record.approval == ApprovalStatus::Approved.as_str();
    if !shareable {
        return Err(LinkRefusal::FlowUnavailable);
    }
    // 3. A protected link's token, then its expiry (a moved expiry fails the token first).
    if record.protected {
        let signature = query.signature.as_deref().ok_or(LinkRefusal::NotValid)?;
        let claims = LinkClaims {
            application,
            flow,
            link_id,
            expires_at: query.expires_at,
            key_version: record.link_key_version,
            params: record.validate_params.then_some(&query.params),
        };
        if !claims.verify(&AppKey::new(record.secret_key.clone()), signature) {
            return Err(LinkRefusal::NotValid);
        }
        if query.expires_at.is_some_and(|at| at <= now) {
            return Err(LinkRefusal::Expired);
        }
        if record
            .allowed_invocations
            .is_some_and(|allowed| record.invocations >= allowed)
        {
            return Err(LinkRefusal::UsedUp);
        }
    } else if query.signature.is_some() || query.expires_at.is_some() {
        return Err(LinkRefusal::NotValid);
    }
    Ok(())
}

impl Store {
    pub(crate) async fn link_record(&self, link_id: &str) -> StoreResult<Option<Arc<LinkRecord>>> {
        if let Some(hit) = self.cache.link(link_id) {
            return Ok(Some(hit));
        }
        let sql = format!("{LINK_SQL} WHERE l.id = $1");
        let record: Option<LinkRecord> = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(link_id)
            .fetch_optional(pool)
            .await)?;
        Ok(record.map(|r| self.cache.put_link(link_id, r)))
    }

    pub(crate) async fn short_link_path(&self, code: &str) -> StoreResult<Option<String>> {
        if let Some(hit) = self.cache.short(code) {
            return Ok(hit);
        }
        let sql = format!("{LINK_SQL} WHERE l.short_code = $1");
        let record: Option<LinkRecord> = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(code)
            .fetch_optional(pool)
            .await)?;
        // A revoked code is as good as unknown. The target is kept as a path on this server, so a
        // short link can never send anyone to another host.
        let path = record.filter(|r| !r.revoked).and_then(|r| {
            let url = url::Url::parse(&r.url).ok()?;
            Some(format!(
                "{}?{}",
                url.path(),
                url.query().unwrap_or_default()
            ))
        });
        Ok(self.cache.put_short(code, path))
    }

    /// Runs every check on a link without building its page: what the hot path needs per request.
    pub async fn check_link(
        &self,
        application: &str,
        flow: &str,
        link_id: &str,
        raw_query: &str,
    ) -> StoreResult<Result<(Arc<LinkRecord>, UrlParams), LinkRefusal>> {
        Ok(
            match self
                .inspect_link(application, flow, link_id, raw_query)
                .await?
            {
                Some((record, verdict)) => verdict.map(|params| (record, params)),
                None => Err(LinkRefusal::NotValid),
            },
        )
    }

    /// The checks' verdict together with the link's record; `None` for an id that does not exist.
    async fn inspect_link(
        &self,
        application: &str,
        flow: &str,
        link_id: &str,
        raw_query: &str,
    ) -> StoreResult<Option<(Arc<LinkRecord>, Result<UrlParams, LinkRefusal>)>> {
        let Some(record) = self.link_record(link_id).await? else {
            return Ok(None);
        };
        let verdict = parse_query(raw_query).and_then(|query| {
            check(
                &record,
                application,
                flow,
                link_id,
                &query,
                now_millis() / 1_000,
            )
            .map(|()| query.params)
        });
        Ok(Some((record, verdict)))
    }

    async fn open_link(
        &self,
        application: &str,
        flow: &str,
        link_id: &str,
        raw_query: &str,
    ) -> StoreResult<OpenedLink> {
        let refused = |refusal, frame_ancestors| OpenedLink {
            outcome: Err(refusal),
            frame_ancestors,
            no_store: true,
        };
        let (record, params) = match self
            .inspect_link(application, flow, link_id, raw_query)
            .await?
        {
            Some((record, Ok(params))) => (record, params),
            // A refused real link is framed like its own page when the path names its application
            // and flow, so an embedded link that stopped working says why inside its frame.
            Some((record, Err(refusal))) if record.belongs_to(application, flow) => {
                return Ok(refused(refusal, record.embed_origins()))
            }
            // Anything made up is framed by nobody.
            Some((_, Err(refusal))) => return Ok(refused(refusal, Vec::new())),
            None => return Ok(refused(LinkRefusal::NotValid, Vec::new())),
        };
        let definition = FlowDefinition::parse_json(&record.definition)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(OpenedLink {
            outcome: Ok(PlayerFlow {
                flow_name: record.flow_name.clone(),
                definition,
                variables: params
                    .iter()
                    .map(|p| (p.name().to_owned(), p.value().to_owned()))
                    .collect(),
            }),
            frame_ancestors: record.embed_origins(),
            no_store: record.protected,
        })
    }
}

#[async_trait]
impl PublicLinks for Store {
    async fn open(
        &self,
        application: &str,
        flow: &str,
        link_id: &str,
        query: &str,
    ) -> Result<OpenedLink, BackendError> {
        self.open_link(application, flow, link_id, query)
            .await
            .map_err(|e| e.for_port("opening a link"))
    }

    async fn start(
        &self,
        application: &str,
        flow: &str,
        link_id: &str,
        query: &str,
    ) -> Result<Result<(), LinkRefusal>, BackendError> {
        self.start_link(application, flow, link_id, query)
            .await
            .map_err(|e| e.for_port("counting a start"))
    }
}
