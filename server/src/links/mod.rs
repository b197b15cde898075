//! Everything about a link after the console asked for it: generating (`generate`), signing
//! (`signing`), short codes (`short_code`), opening and checking (`open`), what happens to it
//! afterwards (`lifecycle`: revocation, the Shared links list) and the cache the public
//! paths read through (`cache`). Each holds its own SQL. The address grammar itself is
//! `app::domain::link::LinkAddress`; the public pages' HTTP handlers are in `crate::http`.
//! A start is counted where its run is created (`crate::runs`).

pub mod cache;
pub mod generate;
mod inspect;
pub mod lifecycle;
pub mod open;
pub mod short_code;
pub mod signing;
mod sqlite_reader;
mod synthetic;

use crate::db::{on_db, Db, StoreResult, WriteTurn};
use app::domain::share::{GeneratedLink, ShareRequest};
use app::domain::{FlowSlug, UserView};
use app::ports::{BackendError, RevokeError, ShareError, Sharing};
use app::views::{LinkInspection, SharedLink};
use async_trait::async_trait;
use cache::LinkCache;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The links' store: their rows, their cache, and how often a token was verified.
#[derive(Debug, Clone)]
pub struct LinkStore {
    db: Db,
    cache: Arc<LinkCache>,
    /// Token verifications (HMAC computations) so far: one per protected open, never more.
    verifications: Arc<AtomicU64>,
    /// The redirect path's read on SQLite (see `sqlite_reader`); `None` on PostgreSQL.
    sqlite_reader: Option<Arc<sqlite_reader::SqliteReader>>,
    /// The turn long writers take on SQLite (a batch of links; runs' moves share it).
    write_turn: WriteTurn,
    /// On an SQLite file, making one link without sqlx's thread hops (`crate::db::direct`).
    direct: Option<Arc<crate::db::direct::DirectSqlite>>,
}

impl LinkStore {
    pub fn new(db: Db) -> Self {
        Self {
            write_turn: WriteTurn::for_db(&db),
            direct: crate::db::direct::DirectSqlite::for_db(&db).map(Arc::new),
            sqlite_reader: sqlite_reader::SqliteReader::for_db(&db).map(Arc::new),
            db,
            cache: Default::default(),
            verifications: Default::default(),
        }
    }

    /// SQLite's write turn, shared with every store that writes often or long.
    pub fn write_turn(&self) -> &WriteTurn {
        &self.write_turn
    }

    pub fn cache(&self) -> &LinkCache {
        &self.cache
    }

    /// How many tokens this store has verified since it was made.
    pub fn verifications(&self) -> u64 {
        self.verifications.load(Ordering::Relaxed)
    }

    /// Something changed what links do: clear this instance's cache now, and bump the shared
    /// generation so every other instance clears its own (see `watch_other_instances`).
    pub async fn changed(&self) {
        self.cache.invalidate_all();
        let sql = "UPDATE cache_generation SET generation = generation + 1 WHERE id = 1";
        let bumped = on_db!(&self.db, |pool| sqlx::query(sql)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()));
        if let Err(err) = bumped {
            tracing::error!(error = %err, "could not tell other instances that links changed");
        }
    }

    pub async fn shared_generation(&self) -> StoreResult<i64> {
        let sql = "SELECT generation FROM cache_generation WHERE id = 1";
        Ok(on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .fetch_one(pool)
            .await)?)
    }

    /// Polls the shared generation every `period` and clears this instance's cache when another
    /// instance changed links. One small query per period, none per request.
    pub fn watch_other_instances(&self, period: Duration) -> tokio::task::JoinHandle<()> {
        let links = self.clone();
        tokio::spawn(async move {
            // No baseline yet: the first reading clears the cache too, so a change made between
            // spawning this task and its first query cannot be mistaken for the starting point.
            let mut seen = None;
            let mut ticker = tokio::time::interval(period);
            loop {
                ticker.tick().await;
                match links.shared_generation().await {
                    Ok(now) if Some(now) != seen => {
                        links.cache.invalidate_all();
                        seen = Some(now);
                    }
                    Ok(_) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, "could not read the link cache generation")
                    }
                }
            }
        })
    }
}

#[async_trait]
impl Sharing for LinkStore {
    async fn generate(
        &self,
        by: &UserView,
        request: &ShareRequest,
    ) -> Result<GeneratedLink, ShareError> {
        LinkStore::generate(self, by, request).await
    }

    async fn shared_links(
        &self,
        flow: &FlowSlug,
        viewer: &UserView,
    ) -> Result<Vec<SharedLink>, BackendError> {
        LinkStore::shared_links(self, flow, viewer)
            .await
            .map_err(|e| e.for_port("listing shared links"))
    }

    async fn revoke(&self, link_id: &str, by: &UserView) -> Result<(), RevokeError> {
        self.revoke_link(link_id, by).await
    }

    async fn inspect(
        &self,
        pasted: &str,
        viewer: &UserView,
    ) -> Result<LinkInspection, BackendError> {
        LinkStore::inspect(self, pasted, viewer)
            .await
            .map_err(|e| e.for_port("inspecting a link"))
    }
}
