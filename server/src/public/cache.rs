//! The link-open and redirect paths read links (and rendered pages) through this cache instead of
//! the database.
//! Anything that changes what a link may do (revoking it, regenerating a key, a flow's state)
//! calls `invalidate_all`, so the change takes effect on the next request. Bounded: when full it
//! starts over rather than growing with every made-up link an attacker tries.

use super::LinkRecord;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

const MAX_ENTRIES: usize = 100_000;

const MAX_PAGES: usize = 2_000;

/// A rendered player page with its nonce cut out (see `player`).
#[derive(Debug)]
pub struct CachedPage {
    pub html: String,
    pub csp: String,
    pub cache_control: Option<http::HeaderValue>,
}

#[derive(Default)]
pub struct LinkCache {
    links: RwLock<HashMap<String, Arc<LinkRecord>>>,
    /// `{application}/{flow}/{link}?{query}` → the page that link renders.
    pages: RwLock<HashMap<String, Arc<CachedPage>>>,
    /// Short code → the path it redirects to; `None` for unknown or revoked codes.
    shorts: RwLock<HashMap<String, Option<String>>>,
}

impl std::fmt::Debug for LinkCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkCache")
    }
}

fn insert<V: Clone>(map: &RwLock<HashMap<String, V>>, key: &str, value: V) -> V {
    insert_bounded(map, key, value, MAX_ENTRIES)
}

fn insert_bounded<V: Clone>(
    map: &RwLock<HashMap<String, V>>,
    key: &str,
    value: V,
    limit: usize,
) -> V {
    // A poisoned lock only means another request panicked mid-insert; the map is still usable.
    let mut map = map.write().unwrap_or_else(|poisoned| poisoned.into_inner());
    if map.len() >= limit {
        map.clear();
    }
    map.insert(key.to_owned(), value.clone());
    value
}

fn get<V: Clone>(map: &RwLock<HashMap<String, V>>, key: &str) -> Option<V> {
    map.read()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .get(key)
        .cloned()
}

impl LinkCache {
    pub fn link(&self, id: &str) -> Option<Arc<LinkRecord>> {
        get(&self.links, id)
    }

    pub fn put_link(&self, id: &str, record: LinkRecord) -> Arc<LinkRecord> {
        insert(&self.links, id, Arc::new(record))
    }

    pub fn short(&self, code: &str) -> Option<Option<String>> {
        get(&self.shorts, code)
    }

    pub fn put_short(&self, code: &str, path: Option<String>) -> Option<String> {
        insert(&self.shorts, code, path)
    }

    pub fn page(&self, key: &str) -> Option<Arc<CachedPage>> {
        get(&self.pages, key)
    }

    pub fn put_page(&self, key: &str, page: CachedPage) -> Arc<CachedPage> {
        insert_bounded(&self.pages, key, Arc::new(page), MAX_PAGES)
    }

    pub fn invalidate_all(&self) {
        self.links
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.shorts
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
        self.pages
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .clear();
    }
}
