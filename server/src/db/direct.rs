//! One SQLite connection of a store's own, used right on the request's task, without sqlx's
//! detour. sqlx runs each SQLite statement on a worker thread of its connection and hands the
//! answer back over a channel; under load a profile showed most of the time in the kernel waking
//! those threads, and SQLite itself at a few percent. The hot paths whose statements take
//! microseconds (a run's move, making a link) run here instead: callers take turns on the
//! connection (SQLite has one writer at a time anyway). PostgreSQL, and an in-memory SQLite, keep
//! using the pool.

use super::Db;
use rusqlite::Connection;
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug)]
pub struct DirectSqlite {
    file: PathBuf,
    /// Opened on first use, reopened after a failure.
    connection: Mutex<Option<Connection>>,
}

impl DirectSqlite {
    /// For a store on an SQLite file; `None` for PostgreSQL or an in-memory database.
    pub fn for_db(db: &Db) -> Option<Self> {
        db.sqlite_file().map(|file| Self {
            file,
            connection: Mutex::new(None),
        })
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let connection = Connection::open(&self.file)?;
        connection.busy_timeout(std::time::Duration::from_secs(5))?;
        // As the pool's connections: write-ahead log, synced at checkpoints (see `crate::db`).
        connection.pragma_update(None, "journal_mode", "wal")?;
        connection.pragma_update(None, "synchronous", "normal")?;
        connection.pragma_update(None, "foreign_keys", true)?;
        Ok(connection)
    }

    /// Runs `run` on the connection, opening it first when needed. A failed connection is
    /// dropped (and reopened next time) only when opening failed; a statement's error leaves it.
    pub fn with<T>(
        &self,
        run: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<T> {
        // A poisoned lock only means a caller panicked while holding it; the connection is fine.
        let mut slot = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let mut connection = match slot.take() {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = run(&mut connection);
        *slot = Some(connection);
        result
    }
}
