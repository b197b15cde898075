//! The ground floor: one pool on either of two engines, and what every store builds on. SQLite is
//! the embedded default, PostgreSQL the engine for teams that outgrow one machine; the URL's
//! scheme picks one. Queries are shared text (`$1` placeholders work on both) run through
//! [`on_db!`], which expands the same code once per engine; [`conditional_change!`] and
//! [`audit!`] make a change and its audit entry land together. Backup, restore and retention work
//! on the database as a whole. The stores themselves live beside their concepts (`crate::flows`,
//! `crate::links`, …) and are bundled in `crate::backend`; nothing here names one.

pub(crate) mod audit;
pub mod backup;
pub mod direct;
mod retention;
pub(crate) use audit::audit;

pub use retention::{Removed, Retention};

use app::ports::BackendError;
use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions};
use std::str::FromStr;
use std::time::Duration;

/// Runs `$body` with `$pool` bound to whichever engine's pool the store holds.
macro_rules! on_db {
    ($db:expr, |$pool:ident| $body:expr) => {
        match $db {
            $crate::db::Db::Sqlite($pool) => $body,
            $crate::db::Db::Postgres($pool) => $body,
        }
    };
}
pub(crate) use on_db;

/// Runs `$body` in one transaction on whichever engine the store holds, for changes that may find
/// nothing to change. The body returns `Ok(Some(_))` to commit (the change and its audit entry
/// land together) or `Ok(None)` to roll back; on an error it is rolled back too. Either way the
/// transaction ends here, never left to the pool to roll back lazily on its next use. Every
/// failure, beginning and committing included, comes back as the `Err` of the one
/// `Result<Option<_>, sqlx::Error>` it evaluates to.
macro_rules! conditional_change {
    ($db:expr, |$tx:ident| $body:expr) => {
        $crate::db::on_db!($db, |pool| async {
            let mut $tx = pool.begin().await?;
            let outcome: Result<Option<_>, sqlx::Error> = async { $body }.await;
            match outcome {
                Ok(Some(done)) => {
                    $tx.commit().await?;
                    Ok::<_, sqlx::Error>(Some(done))
                }
                Ok(None) => {
                    $tx.rollback().await?;
                    Ok(None)
                }
                Err(err) => {
                    // The error is what the caller needs to hear about; a failed rollback adds nothing.
                    let _ = $tx.rollback().await;
                    Err(err)
                }
            }
        }
        .await)
    };
}
pub(crate) use conditional_change;

#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("DATABASE_URL must start with sqlite: or postgres:// (got {0:?})")]
    UnsupportedUrl(String),
    #[error("could not open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("could not apply the database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A thing the command names is not there: `what` (a flow, an application) called `name`.
    #[error("there is no {what} called {name:?}")]
    NotFound { what: &'static str, name: String },
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the operating system's random number generator failed: {0}")]
    Random(#[from] getrandom::Error),
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
    #[error("database error (direct SQLite connection): {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database holds a value this version does not understand: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Turns a unique-key violation into a message a person can act on.
    pub fn on_unique(err: sqlx::Error, message: impl FnOnce() -> String) -> Self {
        match &err {
            sqlx::Error::Database(db) if db.is_unique_violation() => Self::Conflict(message()),
            _ => Self::Sqlx(err),
        }
    }

    pub(crate) fn for_port(self, context: &'static str) -> BackendError {
        BackendError::new(context, self)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Milliseconds since the Unix epoch: the one clock the store writes.
/// SQLite's one writer at a time, taken in turn inside this process by the hot and the long
/// writers (runs moving, batches of links). Connections that race for SQLite's write lock back off in sleeps of
/// up to 100 ms, which showed as a p99 of 70 ms with 64 runs moving at once; waiting in this queue
/// instead keeps each write's wait to the writes ahead of it. PostgreSQL locks rows: no turn.
#[derive(Debug, Clone, Default)]
pub struct WriteTurn(Option<std::sync::Arc<tokio::sync::Semaphore>>);

impl WriteTurn {
    pub fn for_db(db: &Db) -> Self {
        Self(
            matches!(db, Db::Sqlite(_))
                .then(|| std::sync::Arc::new(tokio::sync::Semaphore::new(1))),
        )
    }

    /// This writer's turn, held until dropped; nothing to wait for on PostgreSQL.
    pub async fn take(&self) -> Option<tokio::sync::SemaphorePermit<'_>> {
        // The semaphore is never closed, so acquiring cannot fail.
        self.0.as_ref()?.acquire().await.ok()
    }
}

pub fn now_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Db {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // With the write-ahead log, NORMAL syncs at checkpoints rather than at every
                // commit (SQLite's advice for WAL): a process crash loses nothing committed; a
                // power cut or OS crash can lose the last moments' commits. FULL cost an fsync
                // per recipient's move: 3,200 moves a second instead of 21,000.
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let pool = SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(options)
                .await
                .map_err(StoreError::Connect)?;
            Ok(Self::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await
                .map_err(StoreError::Connect)?;
            Ok(Self::Postgres(pool))
        } else {
            Err(StoreError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub async fn migrate(&self) -> StoreResult<()> {
        match self {
            Db::Sqlite(pool) => sqlx::migrate!("./migrations/sqlite").run(pool).await?,
            Db::Postgres(pool) => sqlx::migrate!("./migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// Whether this instance should get traffic: the database answers, and its schema has every
    /// migration this binary needs. A newer schema is fine: in a rolling deploy the first new
    /// instance migrates, and the old ones must keep serving until they are replaced (migrations
    /// only add). `Err` says why not, in words fit for a public endpoint (the database's own
    /// error, which may name its user or host, goes to the log).
    pub async fn readiness(&self) -> Result<(), String> {
        let expected = match self {
            Db::Sqlite(_) => sqlx::migrate!("./migrations/sqlite")
                .iter()
                .map(|m| m.version)
                .max(),
            Db::Postgres(_) => sqlx::migrate!("./migrations/postgres")
                .iter()
                .map(|m| m.version)
                .max(),
        };
        let sql = "SELECT MAX(version) FROM _sqlx_migrations WHERE success";
        let applied: Option<i64> =
            on_db!(self, |pool| sqlx::query_scalar(sql).fetch_one(pool).await).map_err(|e| {
                tracing::debug!(error = %e, "readiness: the database did not answer");
                "the database does not answer".to_owned()
            })?;
        let (applied, expected) = (applied.unwrap_or(0), expected.unwrap_or(0));
        if applied >= expected {
            Ok(())
        } else {
            Err(format!(
                "the database schema is at migration {applied}, this version needs {expected}: run `flowshare migrate`"
            ))
        }
    }

    /// The file of an SQLite store, for connections of its own beside the pool (see
    /// `links::sqlite_reader`, `runs::sqlite_direct`); `None` for PostgreSQL or an in-memory one.
    pub fn sqlite_file(&self) -> Option<std::path::PathBuf> {
        let Db::Sqlite(pool) = self else {
            return None;
        };
        let file = pool.connect_options().get_filename().to_path_buf();
        let in_memory = file.as_os_str().is_empty() || file.to_string_lossy().contains(":memory:");
        (!in_memory).then_some(file)
    }

    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "SQLite",
            Db::Postgres(_) => "PostgreSQL",
        }
    }

    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

/// A database URL fit for a log line or an error message: any password replaced.
/// PostgreSQL also takes a password as a query option (`?password=…`, `?sslpassword=…`); a URL
/// that does not parse is shown only when it cannot hold one (a bare file name, say).
pub fn redact_url(url: &str) -> String {
    let hidden = "(a URL that does not parse)";
    let may_hold_secret = url.contains('@') || url.to_ascii_lowercase().contains("password");
    let Ok(mut parsed) = url::Url::parse(url) else {
        return if may_hold_secret { hidden } else { url }.to_owned();
    };
    // `user:secret@host` parses as scheme `user` with an opaque path: no field to mask.
    if parsed.cannot_be_a_base() && may_hold_secret {
        return hidden.to_owned();
    }
    if parsed.password().is_some() {
        let _ = parsed.set_password(Some("***"));
    }
    let secret = |name: &str| {
        name.eq_ignore_ascii_case("password") || name.eq_ignore_ascii_case("sslpassword")
    };
    if parsed.query_pairs().any(|(name, _)| secret(&name)) {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let value = if secret(&name) {
                    "***".to_owned()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_redacted() {
        assert_eq!(
            redact_url("postgres://app:hunter2@db:5432/flowshare"),
            "postgres://app:***@db:5432/flowshare"
        );
        assert_eq!(
            redact_url("sqlite://data/flowshare.db"),
            "sqlite://data/flowshare.db"
        );
        assert_eq!(
            redact_url("postgres://db/flowshare?user=app&password=hunter2&sslmode=require"),
            "postgres://db/flowshare?user=app&password=***&sslmode=require"
        );
        assert!(!redact_url("user:hunter2@db").contains("hunter2"));
        assert_eq!(
            redact_url("flowshare.db"),
            "flowshare.db",
            "nothing secret to hide"
        );
    }

    #[tokio::test]
    async fn an_unknown_scheme_is_refused_by_name() {
        let err = Db::connect("mysql://root:pw@localhost/db")
            .await
            .expect_err("mysql is not supported");
        assert_eq!(err.to_string(), "DATABASE_URL must start with sqlite: or postgres:// (got \"mysql://root:***@localhost/db\")");
    }
}
