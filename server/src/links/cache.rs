//! The link-open and redirect paths read links (and rendered pages, and the preview images chat
//! apps fetch for them) through this cache instead of the database. Anything that changes what a link may do (revoking it, regenerating a key, a
//! flow's state, protection) calls [`LinkCache::invalidate_all`], so the change holds from the next
//! request on.
//!
//! Bounded by `quick_cache` (S3-FIFO-like eviction: a flood of made-up ids or codes passes through
//! its probation queue without pushing out the links recipients really open). Every value is
//! inserted with the generation read *before* its database read, and dropped again when an
//! invalidation came in between: a record read before a revocation can never outlive it.

use super::open::LinkRecord;
use axum::body::Bytes;
use quick_cache::sync::Cache;
use quick_cache::Weighter;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const MAX_LINKS: usize = 100_000;
const MAX_SHORTS: usize = 100_000;
/// Pages are weighed by their size: 32 MiB of rendered pages at most, whatever their number.
const MAX_PAGE_BYTES_IN_ALL: u64 = 32 * 1024 * 1024;
/// What a typical page weighs, for sizing the cache's tables.
const TYPICAL_PAGE_BYTES: u64 = 8 * 1024;
/// Preview images (and names asked for that are none) are weighed by their size: 16 MiB at most.
const MAX_IMAGE_BYTES_IN_ALL: u64 = 16 * 1024 * 1024;
/// What a typical preview image weighs, for sizing the cache's tables.
const TYPICAL_IMAGE_BYTES: u64 = 128 * 1024;

/// A rendered player page, whole, and its gzip encoding (see `http::player`).
#[derive(Debug)]
pub struct CachedPage {
    /// The page's HTML, whole: recipients' pages carry no nonce (they run no script).
    pub html: Bytes,
    /// The same, gzipped once here, for every browser that takes it; `None` when it would not
    /// be smaller.
    pub gzip: Option<Bytes>,
    /// What it holds in all.
    pub bytes: usize,
}

impl CachedPage {
    /// The page and its gzip encoding, for pages kept and served to every browser.
    pub fn new(html: Bytes) -> Self {
        let gzip = gzipped(&html).filter(|encoded| encoded.len() < html.len());
        let bytes = html.len() + gzip.as_ref().map_or(0, Bytes::len);
        Self { html, gzip, bytes }
    }

    /// The page alone, for one answer to a browser that does not take gzip.
    pub fn plain(html: Bytes) -> Self {
        let bytes = html.len();
        Self {
            html,
            gzip: None,
            bytes,
        }
    }
}

/// `bytes` gzipped at the default level (a few tens of microseconds for a page of a few KB).
fn gzipped(bytes: &[u8]) -> Option<Bytes> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).ok()?;
    encoder.finish().ok().map(Bytes::from)
}

#[derive(Debug, Clone, Copy)]
struct PageWeight;

impl Weighter<String, Arc<CachedPage>> for PageWeight {
    fn weight(&self, key: &String, page: &Arc<CachedPage>) -> u64 {
        (key.len() + page.bytes).max(1) as u64
    }
}

#[derive(Debug, Clone, Copy)]
struct ImageWeight;

impl Weighter<String, Option<Bytes>> for ImageWeight {
    fn weight(&self, key: &String, image: &Option<Bytes>) -> u64 {
        (key.len() + image.as_ref().map_or(0, Bytes::len)).max(1) as u64
    }
}

/// The cache's state when a read started: pass it back with what the read found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Generation(u64);

pub struct LinkCache {
    generation: AtomicU64,
    links: Cache<String, Arc<LinkRecord>>,
    /// `/f/…?…` in its canonical spelling → the page that link renders.
    pages: Cache<String, Arc<CachedPage>, PageWeight>,
    /// Short code → the path it redirects to; `None` for unknown or revoked codes.
    shorts: Cache<String, Option<Arc<str>>>,
    /// A preview image's name → its bytes (fetched by every chat app a link is posted in);
    /// `None` for a name that is no stored image.
    images: Cache<String, Option<Bytes>, ImageWeight>,
}

impl Default for LinkCache {
    fn default() -> Self {
        Self {
            generation: AtomicU64::new(0),
            links: Cache::new(MAX_LINKS),
            pages: Cache::with_weighter(
                (MAX_PAGE_BYTES_IN_ALL / TYPICAL_PAGE_BYTES) as usize,
                MAX_PAGE_BYTES_IN_ALL,
                PageWeight,
            ),
            shorts: Cache::new(MAX_SHORTS),
            images: Cache::with_weighter(
                (MAX_IMAGE_BYTES_IN_ALL / TYPICAL_IMAGE_BYTES) as usize,
                MAX_IMAGE_BYTES_IN_ALL,
                ImageWeight,
            ),
        }
    }
}

impl std::fmt::Debug for LinkCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkCache")
    }
}

impl LinkCache {
    /// Read this before reading the database for a value you mean to cache.
    pub fn generation(&self) -> Generation {
        Generation(self.generation.load(Ordering::SeqCst))
    }

    /// Keeps `value` unless an invalidation started after `seen` was read. Inserting first and
    /// checking after closes the race: an invalidation either moved the generation before the
    /// check (and the value is removed here) or clears the cache after the insert.
    fn put<V: Clone, W: Weighter<String, V> + Clone>(
        &self,
        cache: &Cache<String, V, W>,
        key: String,
        value: V,
        seen: Generation,
    ) {
        if self.generation() != seen {
            return;
        }
        cache.insert(key.clone(), value);
        if self.generation() != seen {
            cache.remove(&key);
        }
    }

    pub fn link(&self, id: &str) -> Option<Arc<LinkRecord>> {
        let found = self.links.get(id);
        crate::metrics::cache_lookup(found.is_some());
        found
    }

    pub fn put_link(&self, id: &str, record: Arc<LinkRecord>, seen: Generation) {
        self.put(&self.links, id.to_owned(), record, seen)
    }

    pub fn short(&self, code: &str) -> Option<Option<Arc<str>>> {
        let found = self.shorts.get(code);
        crate::metrics::cache_lookup(found.is_some());
        found
    }

    pub fn put_short(&self, code: &str, path: Option<Arc<str>>, seen: Generation) {
        self.put(&self.shorts, code.to_owned(), path, seen)
    }

    pub fn page(&self, key: &str) -> Option<Arc<CachedPage>> {
        self.pages.get(key)
    }

    pub fn put_page(&self, key: String, page: Arc<CachedPage>, seen: Generation) {
        self.put(&self.pages, key, page, seen)
    }

    pub fn image(&self, name: &str) -> Option<Option<Bytes>> {
        self.images.get(name)
    }

    pub fn put_image(&self, name: &str, image: Option<Bytes>, seen: Generation) {
        self.put(&self.images, name.to_owned(), image, seen)
    }

    pub fn invalidate_all(&self) {
        // The generation moves first, so an insert racing this clear sees it and backs out.
        self.generation.fetch_add(1, Ordering::SeqCst);
        self.links.clear();
        self.shorts.clear();
        self.pages.clear();
        self.images.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_value_read_before_an_invalidation_is_not_kept() {
        let cache = LinkCache::default();
        let seen = cache.generation();
        cache.invalidate_all();
        cache.put_short("abc", Some(Arc::from("/f/x")), seen);
        assert_eq!(cache.short("abc"), None, "read before the change: dropped");
        cache.put_short("abc", Some(Arc::from("/f/x")), cache.generation());
        assert_eq!(cache.short("abc"), Some(Some(Arc::from("/f/x"))));
        cache.invalidate_all();
        assert_eq!(cache.short("abc"), None, "cleared");
    }

    #[test]
    fn a_flood_of_one_time_misses_does_not_flush_the_links_in_use() {
        let cache = LinkCache::default();
        let hot: Vec<String> = (0..1_000).map(|i| format!("hot{i}")).collect();
        for code in &hot {
            cache.put_short(code, Some(Arc::from("/f/x")), cache.generation());
        }
        // Recipients keep opening the hot ones while made-up codes stream past.
        for round in 0..20 {
            for code in &hot {
                let _ = cache.short(code);
            }
            for i in 0..MAX_SHORTS / 10 {
                cache.put_short(&format!("junk{round}-{i}"), None, cache.generation());
            }
        }
        let kept = hot.iter().filter(|c| cache.short(c).is_some()).count();
        assert!(
            kept >= 950,
            "only {kept} of 1,000 hot codes survived 200,000 misses"
        );
    }
}
