//! Backups of a live SQLite database, and restoring one. `VACUUM INTO` writes a consistent copy
//! from one read transaction, so the server keeps serving (and writing) while it runs: the copy
//! holds exactly what was committed when it began. PostgreSQL has `pg_dump` for this, which does
//! the same with more options than we should reimplement.

use super::{redact_url, Db, StoreError, StoreResult};
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

/// Copies the live database `db` into the new file `to`, then checks the copy.
pub async fn backup(db: &Db, database_url: &str, to: &Path) -> StoreResult<Contents> {
    let Db::Sqlite(pool) = db else {
        return Err(refused(postgres_advice(database_url)));
    };
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
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(pool)
        .await?;
    check(to).await
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
/// The server must be stopped: a running one would go on writing to the file it has open.
pub async fn restore(database_url: &str, from: &Path) -> StoreResult<(Contents, Option<PathBuf>)> {
    if !database_url.starts_with("sqlite:") {
        return Err(refused(format!(
            "flowshare restore replaces SQLite files. {}",
            postgres_advice(database_url)
        )));
    }
    let contents = check(from).await?;
    let target = sqlite_file(database_url)?;
    let io = |what: &str, e: std::io::Error| refused(format!("could not {what}: {e}"));
    let incoming = target.with_extension("restoring");
    std::fs::copy(from, &incoming).map_err(|e| io("copy the backup", e))?;
    let kept = if target.exists() {
        // Fold the old database's write-ahead log into it first, so the kept copy is whole.
        let old = Db::connect(database_url).await?;
        if let Db::Sqlite(pool) = &old {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        old.close().await;
        let seconds = super::now_millis() / 1_000;
        let kept = PathBuf::from(format!("{}.before-restore-{seconds}", target.display()));
        std::fs::rename(&target, &kept).map_err(|e| io("keep the old database", e))?;
        for suffix in ["-wal", "-shm"] {
            let side = PathBuf::from(format!("{}{suffix}", target.display()));
            if side.exists() {
                std::fs::remove_file(&side).map_err(|e| io("remove the old log", e))?;
            }
        }
        Some(kept)
    } else {
        None
    };
    std::fs::rename(&incoming, &target).map_err(|e| io("put the backup in place", e))?;
    Ok((contents, kept))
}
