//! A run's move on SQLite, without sqlx's detour (see `crate::db::direct`): with 64 runs moving
//! at once a profile showed over half of all time in the kernel waking sqlx's worker threads, and
//! SQLite itself at about 1 %. A move is two point statements of microseconds each (read the run
//! by its token's hash, write it back on its move count), so they run right on the request's task.

use super::RunRow;
use crate::db::direct::DirectSqlite;
use crate::db::Db;
use rusqlite::OptionalExtension;

#[derive(Debug)]
pub struct DirectRuns(DirectSqlite);

impl DirectRuns {
    /// For a store on an SQLite file; `None` for PostgreSQL or an in-memory database.
    pub fn for_db(db: &Db) -> Option<Self> {
        DirectSqlite::for_db(db).map(Self)
    }

    /// The run whose token hashes to `hash`.
    pub fn read(&self, sql: &str, hash: &str) -> rusqlite::Result<Option<RunRow>> {
        self.0.with(|db| {
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
        self.0.with(|db| db.prepare_cached(sql)?.execute(values))
    }
}
