//! Backups of a live SQLite database, and restoring one. `VACUUM INTO` writes a consistent copy
//! from one read transaction, so the server keeps serving (and writing) while it runs: the copy
//! holds exactly what was committed when it began. PostgreSQL has `pg_dump` for this, which does
//! the same with more options than we should reimplement.

use super::{redact_url, StoreError, StoreResult};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::ConnectOptions;
use std::path::{Path, PathBuf};
use std::str::FromStr;

/// What a backup file holds, as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub migration: i64,
    pub users: i64,
    pub flows: i64,
    pub links: i64,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "schema at migration {}; {} users, {} flows, {} links",
            self.migration, self.users, self.flows, self.links
        )
    }
}

fn refused(message: String) -> StoreError {
    StoreError::Invalid(message)
}

/// How to back up PostgreSQL, said where `flowshare backup` is asked to.
pub fn postgres_advice(url: &str) -> String {
    let url = redact_url(url);
    format!(
        "flowshare backup copies SQLite databases. For PostgreSQL use its own tools, which take a consistent \
         snapshot while the server runs:\n  pg_dump --format=custom --file=flowshare.dump '{url}'\n\
         and to restore into an empty database:\n  pg_restore --no-owner --dbname='{url}' flowshare.dump"
    )
}

/// Copies the live database at `database_url` into the new file `to`, then checks the copy. The
/// database is opened as it is: never created (a mistyped URL must not back up an empty file) and
/// never migrated (the serving binary owns its schema).
pub async fn backup(database_url: &str, to: &Path) -> StoreResult<Contents> {
    if !database_url.starts_with("sqlite:") {
        return Err(refused(postgres_advice(database_url)));
    }
    let source = sqlite_file(database_url)?;
    if !source.is_file() {
        return Err(refused(format!(
            "there is no database at {} (check DATABASE_URL)",
            source.display()
        )));
    }
    if to.exists() {
        return Err(refused(format!(
            "{} already exists: back up into a new file, so no earlier backup is overwritten",
            to.display()
        )));
    }
    let target = to.to_str().ok_or_else(|| {
        refused(format!(
            "{} is not a UTF-8 path; choose another name",
            to.display()
        ))
    })?;
    let options = SqliteConnectOptions::from_str(database_url)
        .map_err(StoreError::Connect)?
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(5))
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(StoreError::Connect)?;
    let copied = sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(&pool)
        .await;
    pool.close().await;
    copied?;
    // SQLite does not sync what VACUUM INTO writes: a backup that a crash could cut is none.
    sync(to)?;
    check(to).await
}

/// Flushes `file`, and the directory naming it, to the disk.
fn sync(file: &Path) -> StoreResult<()> {
    let io = |e: std::io::Error| refused(format!("could not sync {} to disk: {e}", file.display()));
    std::fs::File::open(file)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io)?;
    }
    Ok(())
}

/// Opens `file` read-only and checks it is a whole Flowshare database this version can use.
pub async fn check(file: &Path) -> StoreResult<Contents> {
    if !file.is_file() {
        return Err(refused(format!("{} is not a file", file.display())));
    }
    let options = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .disable_statement_logging();
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .map_err(|e| refused(format!("{} is not an SQLite database: {e}", file.display())))?;
    let result = async {
        let not_ours = |e: sqlx::Error| {
            refused(format!("{} is not a Flowshare database: {e}", file.display()))
        };
        let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(&pool)
            .await
            .map_err(not_ours)?;
        if integrity != "ok" {
            return Err(refused(format!(
                "{} is damaged (integrity check: {integrity})",
                file.display()
            )));
        }
        let migration: Option<i64> =
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success")
                .fetch_one(&pool)
                .await
                .map_err(not_ours)?;
        let newest = sqlx::migrate!("./migrations/sqlite")
            .iter()
            .map(|m| m.version)
            .max()
            .unwrap_or(0);
        let migration = migration.unwrap_or(0);
        if migration > newest {
            return Err(refused(format!(
                "{} was written by a newer Flowshare (migration {migration}; this one knows up to {newest})",
                file.display()
            )));
        }
        let count = |table: &'static str| {
            let pool = &pool;
            async move {
                sqlx::query_scalar::<_, i64>(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(pool)
                    .await
                    .map_err(not_ours)
            }
        };
        Ok(Contents {
            migration,
            users: count("users").await?,
            flows: count("flows").await?,
            links: count("links").await?,
        })
    }
    .await;
    pool.close().await;
    result
}

/// The database file a `sqlite:` URL names.
fn sqlite_file(database_url: &str) -> StoreResult<PathBuf> {
    let options = SqliteConnectOptions::from_str(database_url).map_err(StoreError::Connect)?;
    Ok(options.get_filename().to_owned())
}

/// Replaces the database at `database_url` with the checked backup `from`. The database it
/// replaces is kept beside it (`FILE.before-restore-SECONDS`), so a wrong restore loses nothing.
/// The server must be stopped: a database still in use is refused.
pub async fn restore(database_url: &str, from: &Path) -> StoreResult<(Contents, Option<PathBuf>)> {
    if !database_url.starts_with("sqlite:") {
        return Err(refused(format!(
            "flowshare restore replaces SQLite files. {}",
            postgres_advice(database_url)
        )));
    }
    check(from).await?;
    let target = sqlite_file(database_url)?;
    let side = |suffix: &str| PathBuf::from(format!("{}{suffix}", target.display()));
    let io = |what: &str, e: std::io::Error| refused(format!("could not {what}: {e}"));
    // The copy is what gets checked and put in place (a backup's own -wal beside it is not copied).
    let incoming = target.with_extension("restoring");
    std::fs::copy(from, &incoming).map_err(|e| io("copy the backup", e))?;
    let contents = match check(&incoming).await {
        Ok(contents) => contents,
        Err(err) => {
            let _ = std::fs::remove_file(&incoming);
            return Err(err);
        }
    };
    sync(&incoming)?;
    let kept = if target.exists() {
        // Fold the old database's write-ahead log into it, so the kept copy is whole. A log that
        // cannot be folded in, or that outlives this connection, is another process's: a server
        // still running on this file would go on writing to the one it has open.
        // Synchronously opened and closed (rusqlite), so the log is gone, or not, when this returns.
        let folded = {
            let target = target.clone();
            tokio::task::spawn_blocking(move || {
                let old = rusqlite::Connection::open(&target)?;
                let folded = old.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, i64>(1)?,
                        row.get::<_, i64>(2)?,
                    ))
                })?;
                old.close().map_err(|(_, err)| err)?;
                Ok::<_, rusqlite::Error>(folded)
            })
            .await
            .map_err(|e| refused(format!("could not check the old database: {e}")))?
        };
        let in_use = match folded {
            Ok((0, _, _)) if !side("-wal").exists() => None,
            Ok((0, _, _)) => Some("its write-ahead log is still open".to_owned()),
            Ok(_) => Some("a checkpoint found it busy".to_owned()),
            Err(err) => Some(format!("a checkpoint failed: {err}")),
        };
        if let Some(why) = in_use {
            let _ = std::fs::remove_file(&incoming);
            return Err(refused(format!(
                "{} is in use by another process ({why}): stop the server, then restore",
                target.display()
            )));
        }
        let seconds = super::now_millis() / 1_000;
        let mut kept = PathBuf::from(format!("{}.before-restore-{seconds}", target.display()));
        let mut n = 1;
        while kept.exists() {
            kept = PathBuf::from(format!("{}.before-restore-{seconds}-{n}", target.display()));
            n += 1;
        }
        std::fs::rename(&target, &kept).map_err(|e| io("keep the old database", e))?;
        Some(kept)
    } else {
        None
    };
    // Left-over logs belong to no database now: SQLite would read them into the restored one.
    for suffix in ["-wal", "-shm"] {
        if side(suffix).exists() {
            std::fs::remove_file(side(suffix)).map_err(|e| io("remove an old log", e))?;
        }
    }
    std::fs::rename(&incoming, &target).map_err(|e| io("put the backup in place", e))?;
    sync(&target)?;
    Ok((contents, kept))
}
