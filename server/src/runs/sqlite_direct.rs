//! A run's move on SQLite, without sqlx's detour. sqlx runs each SQLite statement on a worker
//! thread of its connection and hands the answer back over a channel; with 64 runs moving at once
//! a profile showed over half of all time in the kernel waking those threads, and SQLite itself
//! at about 1 %. A move is two point statements of microseconds each (read the run by its token's
//! hash, write it back on its move count), so here they run right on the request's task, on one
//! read-write connection of their own: moves take turns on it (SQLite has one writer at a time
//! anyway), and no move waits behind another connection's backing-off retries.
//! PostgreSQL, and an in-memory SQLite, keep using the pool.

use super::RunRow;
use crate::db::Db;
use rusqlite::{Connection, OptionalExtension};
use std::path::PathBuf;
use std::sync::Mutex;

#[derive(Debug)]
pub struct DirectRuns {
    file: PathBuf,
    /// Opened on first use, reopened after a failure.
    connection: Mutex<Option<Connection>>,
}

impl DirectRuns {
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

    fn with<T>(&self, run: impl FnOnce(&Connection) -> rusqlite::Result<T>) -> rusqlite::Result<T> {
        // A poisoned lock only means a move panicked while holding it; the connection is fine.
        let mut slot = self.connection.lock().unwrap_or_else(|p| p.into_inner());
        let connection = match slot.take() {
            Some(connection) => connection,
            None => self.open()?,
        };
        let result = run(&connection);
        *slot = Some(connection);
        result
    }

    /// The run whose token hashes to `hash`.
    pub fn read(&self, sql: &str, hash: &str) -> rusqlite::Result<Option<RunRow>> {
        self.with(|db| {
            db.prepare_cached(sql)?
                .query_row([hash], |row| {
                    Ok(RunRow {
                        id: row.get("id")?,
                        link_id: row.get("link_id")?,
                        updated_at: row.get("updated_at")?,
                        moves: row.get("moves")?,
                        state: row.get("state")?,
                        params: row.get("params")?,
                    })
                })
                .optional()
        })
    }

    /// Executes the move's conditional write; the number of rows it changed.
    pub fn write(&self, sql: &str, values: &[&dyn rusqlite::ToSql]) -> rusqlite::Result<usize> {
        self.with(|db| db.prepare_cached(sql)?.execute(values))
    }
}
