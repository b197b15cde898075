//! Opening a link for a recipient: its record (one query, cached), then every check in the
//! documented order of cost, once per request. The verdict carries the record on, so whatever
//! renders the page or counts a start never looks the link up or verifies its token again.

use super::signing::{AppKey, LinkClaims};
use super::LinkStore;
use crate::db::{now_millis, on_db, StoreResult};
use app::domain::link::{LinkAddress, LinkRefusal, ShortCode, Standing};
use app::domain::link_pages::{Endings, LinkPreview, PreviewSettings};
use app::domain::params::UrlParams;
use app::domain::FlowDefinition;
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

/// Everything about one link that opening it needs, read in one query and cached.
#[derive(Debug, sqlx::FromRow)]
pub struct LinkRecord {
    pub link_id: String,
    pub application_id: i64,
    pub application: String,
    pub flow_id: i64,
    pub flow: String,
    pub flow_name: String,
    pub flow_type: String,
    pub publication: String,
    pub approval: String,
    pub definition: String,
    #[sqlx(try_from = "Vec<u8>")]
    pub secret_key: AppKey,
    pub current_key_version: i64,
    pub embed_origins: String,
    pub link_key_version: i64,
    pub protected: bool,
    pub validate_params: bool,
    pub revoked: bool,
    pub short_code: Option<String>,
    pub invocations: i64,
    pub allowed_invocations: Option<i64>,
    /// Unix seconds; `None`: never. (An open checks the signed `fs_exp`; a run's moves read this.)
    pub expires_at: Option<i64>,
    /// The full link as generated.
    pub url: String,
    /// The application's public base URL (where its preview image is served) and its link pages'
    /// settings: the preview and each ending's way forward.
    pub base_url: String,
    pub application_name: String,
    pub flow_description: String,
    pub preview_title: String,
    pub preview_description: String,
    pub preview_image: Option<String>,
    pub endings: String,
    /// The endings, read once per cached record.
    #[sqlx(skip)]
    read_endings: OnceLock<Endings>,
    /// The flow's definition, parsed once per cached record rather than once per step.
    #[sqlx(skip)]
    parsed: OnceLock<Option<Arc<FlowDefinition>>>,
    /// The policy its pages are served with, written once per cached record rather than once
    /// per open (it depends only on the application's embed origins).
    #[sqlx(skip)]
    policy: OnceLock<http::HeaderValue>,
}

impl LinkRecord {
    /// Whether an address's application and flow are the ones this link was made for.
    pub fn belongs_to(&self, address: &LinkAddress) -> bool {
        self.application == address.application.as_str() && self.flow == address.flow.as_str()
    }

    /// Whether the link still lets its flow be run: not revoked, its key not regenerated, the flow
    /// still published and approved. Asked at the open and at every step of a run, so switching
    /// a link off ends its runs at their next step.
    pub fn still_runs(&self) -> Result<(), LinkRefusal> {
        Standing {
            revoked: self.revoked,
            key_version: self.link_key_version,
            current_key_version: self.current_key_version,
            flow_type: &self.flow_type,
            publication: &self.publication,
            approval: &self.approval,
        }
        .still_runs()
    }

    /// The flow's definition; one that does not parse (it was checked when stored, so this is a
    /// fault, logged) makes the flow unavailable.
    pub fn definition(&self) -> Result<Arc<FlowDefinition>, LinkRefusal> {
        self.parsed
            .get_or_init(|| match FlowDefinition::parse_json(&self.definition) {
                Ok(definition) => Some(Arc::new(definition)),
                Err(err) => {
                    tracing::error!(error = %err, flow = %self.flow, "a stored flow definition does not parse");
                    None
                }
            })
            .clone()
            .ok_or(LinkRefusal::FlowUnavailable)
    }

    /// The origins allowed to frame this link's pages, one per line in the store.
    pub fn embed_origins(&self) -> impl Iterator<Item = &str> {
        self.embed_origins.lines().filter(|o| !o.is_empty())
    }

    /// What each ending of this link does, as its application says; stored settings that do not
    /// read (a fault, logged) are Flowshare's own pages.
    pub fn endings(&self) -> &Endings {
        self.read_endings.get_or_init(|| {
            if self.endings.is_empty() {
                return Endings::default();
            }
            serde_json::from_str(&self.endings).unwrap_or_else(|err| {
                tracing::error!(error = %err, application = %self.application, "stored link endings do not read");
                Endings::default()
            })
        })
    }

    /// What a chat app shows for this link: the application's preview of its flow. Nothing of
    /// the link itself (parameters, token, id) is in it.
    pub fn preview(&self) -> LinkPreview {
        let settings = PreviewSettings {
            title: self.preview_title.clone(),
            description: self.preview_description.clone(),
            image: self.preview_image.clone(),
        };
        LinkPreview::of(
            &settings,
            &self.base_url,
            &self.application_name,
            (&self.flow_name, &self.flow_description),
        )
    }

    /// The Content-Security-Policy of this link's pages, written by `write` the first time it
    /// is asked for (it depends only on this record's embed origins), kept with the record after.
    pub fn page_policy(&self, write: impl FnOnce(&Self) -> http::HeaderValue) -> http::HeaderValue {
        self.policy.get_or_init(|| write(self)).clone()
    }
}

const LINK_SQL: &str = "SELECT l.id AS link_id, a.id AS application_id, a.slug AS application, f.id AS flow_id, f.slug AS flow, \
    f.name AS flow_name, f.flow_type, f.publication, f.approval, f.definition, a.secret_key, \
    a.key_version AS current_key_version, a.embed_origins, l.key_version AS link_key_version, l.protected, \
    l.validate_params, (l.revoked_at IS NOT NULL) AS revoked, l.short_code, l.invocations, l.allowed_invocations, l.expires_at, l.url, \
    a.base_url, a.name AS application_name, f.description AS flow_description, a.preview_title, a.preview_description, a.preview_image, a.endings \
    FROM links l JOIN flows f ON f.id = l.flow_id JOIN applications a ON a.id = l.application_id";

/// A link that passed every check: its record and its decoded parameters.
#[derive(Debug, Clone)]
pub struct CheckedLink {
    pub record: Arc<LinkRecord>,
    pub address: LinkAddress,
}

impl CheckedLink {
    pub fn params(&self) -> &UrlParams {
        &self.address.params
    }
}

/// What one check came to. A refusal of a real link keeps its record, so its page can still be
/// framed by the link's own application (an embedded link that stopped working says why inside
/// its frame); anything made up has none.
#[derive(Debug)]
pub enum Verdict {
    Open(CheckedLink),
    Refused {
        refusal: LinkRefusal,
        own: Option<Arc<LinkRecord>>,
    },
}

impl Verdict {
    fn made_up() -> Self {
        Self::Refused {
            refusal: LinkRefusal::NotValid,
            own: None,
        }
    }
}

impl LinkStore {
    pub(crate) async fn record(&self, link_id: &str) -> StoreResult<Option<Arc<LinkRecord>>> {
        if let Some(hit) = self.cache.link(link_id) {
            return Ok(Some(hit));
        }
        let seen = self.cache.generation();
        let sql = format!("{LINK_SQL} WHERE l.id = $1");
        let record: Option<LinkRecord> = on_db!(&self.db, |pool| sqlx::query_as(&sql)
            .bind(link_id)
            .fetch_optional(pool)
            .await)?;
        Ok(record.map(|record| {
            let record = Arc::new(record);
            self.cache.put_link(link_id, record.clone(), seen);
            record
        }))
    }

    /// Where `/s/{code}` leads: the path and query of its full link on this server, or `None`
    /// for a code that does not exist or was revoked. Built from the stored link through its
    /// address, so a short link can never send anyone to another host.
    pub async fn short_link_target(&self, code: &ShortCode) -> StoreResult<Option<Arc<str>>> {
        if let Some(hit) = self.cache.short(code.as_str()) {
            return Ok(hit);
        }
        let seen = self.cache.generation();
        let url = match &self.sqlite_reader {
            Some(reader) => reader.short_link_url(code.as_str())?,
            None => {
                let sql = "SELECT url FROM links WHERE short_code = $1 AND revoked_at IS NULL";
                on_db!(&self.db, |pool| sqlx::query_scalar(sql)
                    .bind(code.as_str())
                    .fetch_optional(pool)
                    .await)?
            }
        };
        let target = url.and_then(|url| match LinkAddress::split_url(&url) {
            Ok((_, address)) => Some(Arc::from(address.path_and_query())),
            Err(err) => {
                tracing::error!(error = %err, "a stored link does not parse as a link address");
                None
            }
        });
        self.cache.put_short(code.as_str(), target.clone(), seen);
        Ok(target)
    }

    /// Every check on a request's path and raw query, once.
    pub async fn check(&self, path: &str, query: &str) -> StoreResult<Verdict> {
        let Ok(address) = LinkAddress::parse(path, query) else {
            return Ok(Verdict::made_up());
        };
        self.check_address(address).await
    }

    /// Every check on a parsed address, in the documented order. (Whether a limited link still has
    /// starts left is read from the cached record here; the exact count happens at `start`.)
    pub async fn check_address(&self, address: LinkAddress) -> StoreResult<Verdict> {
        let Some(record) = self.record(address.link.as_str()).await? else {
            return Ok(Verdict::made_up());
        };
        // A real id under another application's or flow's path is made up too.
        if !record.belongs_to(&address) {
            return Ok(Verdict::made_up());
        }
        Ok(
            match self.verdict(&record, &address, now_millis() / 1_000) {
                Ok(()) => Verdict::Open(CheckedLink { record, address }),
                Err(refusal) => Verdict::Refused {
                    refusal,
                    own: Some(record),
                },
            },
        )
    }

    fn verdict(
        &self,
        record: &LinkRecord,
        address: &LinkAddress,
        now: i64,
    ) -> Result<(), LinkRefusal> {
        // 1. The key version the link was made under.
        if address.key_version != record.link_key_version {
            return Err(LinkRefusal::NotValid);
        }
        // 2. Not switched off, and the flow still there to be run.
        record.still_runs()?;
        // 3. A protected link's token, then its expiry (a moved expiry fails the token first).
        if !record.protected {
            // The grammar lets only signed links expire; an open link carries no token.
            return match address.token {
                None => Ok(()),
                Some(_) => Err(LinkRefusal::NotValid),
            };
        }
        let token = address.token.as_ref().ok_or(LinkRefusal::NotValid)?;
        self.verifications.fetch_add(1, Ordering::Relaxed);
        let claims = LinkClaims::of(address, record.validate_params);
        if !claims.verify(&record.secret_key, token.as_str()) {
            return Err(LinkRefusal::NotValid);
        }
        if address.expires_at.is_some_and(|at| at <= now) {
            return Err(LinkRefusal::Expired);
        }
        if record
            .allowed_invocations
            .is_some_and(|allowed| record.invocations >= allowed)
        {
            return Err(LinkRefusal::UsedUp);
        }
        Ok(())
    }
}
/// [`Standing::still_runs`] in SQL, over a link aliased `link`, its application `application`
/// and its flow `flow`: what the writes that count a start or take a move check in the same
/// statement (another instance's cache may be a poll behind a revocation, a key regeneration or
/// a withdrawal). The one place the rule is written as SQL.
pub fn still_runs_sql(link: &str, application: &str, flow: &str) -> String {
    use app::domain::{ApprovalStatus, FlowType, PublicationStatus};
    format!(
        "{link}.revoked_at IS NULL AND {link}.key_version = {application}.key_version \
         AND {flow}.flow_type = '{}' AND {flow}.publication = '{}' AND {flow}.approval = '{}'",
        FlowType::Interaction.as_str(),
        PublicationStatus::Published.as_str(),
        ApprovalStatus::Approved.as_str(),
    )
}
