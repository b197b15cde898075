//! The redirect path's one database read on SQLite, without sqlx's detour. sqlx runs every SQLite
//! statement on a worker thread of its connection and hands the answer back over a channel: two
//! thread wake-ups per query, which profiles of `/s/` misses showed as over half of all the time
//! spent. A point read through a unique index takes microseconds in SQLite itself, so here it runs
//! right on the request's task, on read-only connections of its own (WAL: readers never wait for
//! the writer, and every statement sees what was committed before it began).
//! PostgreSQL has no such detour; it keeps using the pool.

use crate::db::Db;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::path::PathBuf;
use std::sync::Mutex;

/// Read-only connections to the store's SQLite file, opened on demand and kept for reuse.
#[derive(Debug)]
pub struct SqliteReader {
    file: PathBuf,
    idle: Mutex<Vec<Connection>>,
}

/// More idle connections than cores only cost file handles.
const MAX_IDLE: usize = 16;
/// Up to 1 GiB of the file is mapped (address space, not memory: the OS pages it in and out).
const MMAP_BYTES: i64 = 1 << 30;
/// Each reader's page cache, in KiB (allocated only as pages are read).
const CACHE_KIB: i64 = 32 * 1024;

impl SqliteReader {
    /// A reader for a store on an SQLite file; `None` for PostgreSQL or an in-memory database.
    pub fn for_db(db: &Db) -> Option<Self> {
        db.sqlite_file().map(|file| Self {
            file,
            idle: Mutex::new(Vec::new()),
        })
    }

    fn with<T>(
        &self,
        read: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        // A poisoned lock only means a reader panicked while holding the list; the list is fine.
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let connection = match idle {
            Some(connection) => connection,
            None => {
                let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
                let connection = Connection::open_with_flags(&self.file, flags)?;
                connection.busy_timeout(std::time::Duration::from_secs(5))?;
                // Pages read through a memory map rather than a read() per page: misses among
                // millions of links touch pages no connection's own page cache holds.
                connection.pragma_update(None, "mmap_size", MMAP_BYTES)?;
                // A page cache large enough to keep the B-trees' inner pages decoded.
                connection.pragma_update(None, "cache_size", -CACHE_KIB)?;
                connection
            }
        };
        let result = read(&connection);
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(connection);
        }
        result
    }

    /// The full link a live (unrevoked) short code stands for.
    pub fn short_link_url(&self, code: &str) -> rusqlite::Result<Option<String>> {
        self.with(|db| {
            db.prepare_cached("SELECT url FROM links WHERE short_code = ?1 AND revoked_at IS NULL")?
                .query_row([code], |row| row.get(0))
                .optional()
        })
    }
}
