//! The composition root of the backend: every concept's store, built over one database and
//! bundled as the [`Store`] that start-up hands to the console (as ports), the HTTP API and the
//! command line. Only this file knows them all.

use crate::accounts::{default_sign_in_slots, AccountStore, SignInSlots, SESSION_TTL};
use crate::api_keys::KeyStore;
use crate::applications::ApplicationStore;
use crate::audit_log::AuditStore;
use crate::campaigns::CampaignStore;
use crate::db::{redact_url, Db, StoreResult};
use crate::flows::{FlowStore, ReviewStore};
use crate::links::LinkStore;
use crate::runs::RunStore;
use crate::security::device::DeviceKey;
use crate::security::session::SessionKey;
use std::time::Duration;

/// Opens the database at `url`, brings its schema up to date and builds the stores over it.
pub async fn open(url: &str, session_key: SessionKey) -> StoreResult<Store> {
    let db = Db::connect(url).await?;
    db.migrate().await?;
    tracing::info!(engine = db.engine(), url = %redact_url(url), "database ready");
    Ok(Store::new(db, session_key, SESSION_TTL))
}

/// The backend: one store per resource, each implementing its port, all on one database.
#[derive(Debug, Clone)]
pub struct Store {
    db: Db,
    pub accounts: AccountStore,
    pub flows: FlowStore,
    pub applications: ApplicationStore,
    /// The links' own store (their SQL, cache and lifecycle): what every other resource tells
    /// when it changes something links depend on.
    pub links: LinkStore,
    /// Recipients' runs, which read their links through the links' store and cache.
    pub runs: RunStore,
    /// API keys: how systems make links (through `crate::api_v1`).
    pub keys: KeyStore,
    /// Campaigns: saved share presets that systems and bulk uploads make links from.
    pub campaigns: CampaignStore,
    pub reviews: ReviewStore,
    pub audit: AuditStore,
}

impl Store {
    pub fn new(db: Db, session_key: SessionKey, session_ttl: Duration) -> Self {
        let links = LinkStore::new(db.clone());
        let flows = FlowStore {
            db: db.clone(),
            links: links.clone(),
        };
        Self {
            accounts: AccountStore {
                db: db.clone(),
                devices: DeviceKey::new(&session_key),
                session_key,
                session_ttl,
                sign_in_slots: SignInSlots::new(default_sign_in_slots()),
            },
            applications: ApplicationStore {
                db: db.clone(),
                flows: flows.clone(),
                links: links.clone(),
            },
            reviews: ReviewStore {
                db: db.clone(),
                flows: flows.clone(),
                links: links.clone(),
            },
            audit: AuditStore { db: db.clone() },
            runs: RunStore::new(db.clone(), links.clone()),
            keys: KeyStore::new(db.clone()),
            campaigns: CampaignStore::new(db.clone(), links.clone()),
            flows,
            links,
            db,
        }
    }

    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Runs may move for `grace` after their link expires.
    pub fn with_run_expiry_grace(mut self, grace: Duration) -> Self {
        self.runs = self.runs.with_expiry_grace(grace);
        self
    }

    /// At most `slots` password checks at once (at least one).
    pub fn with_sign_in_slots(mut self, slots: usize) -> Self {
        self.accounts.sign_in_slots = SignInSlots::new(slots);
        self
    }
}
