//! API keys' store: making one (its secret returned once, only its hash kept), revoking one, and
//! finding the key behind a caller's secret. Every create and revoke is audited, never a secret.

use crate::db::{audit, conditional_change, now_millis, on_db, Db, StoreResult};
use crate::security::random_bytes;
use app::domain::api_key::{ApiKeySummary, ApiScope, ApiSecret, NewApiKey, PREFIX_CHARS};
use app::domain::audit::AuditAction;
use app::domain::FlowSlug;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

#[derive(Debug, Clone)]
pub struct KeyStore {
    db: Db,
}

/// The key behind a request: what it may do.
#[derive(Debug, Clone)]
pub struct ApiCaller {
    pub name: String,
    pub prefix: String,
    id: i64,
    scopes: Vec<ApiScope>,
    applications: Vec<String>,
    /// Whether its "last used" time is older than a minute (see [`KeyStore::used`]).
    stale_use: bool,
}

impl ApiCaller {
    /// The key's row, for what is kept per key (idempotent answers).
    pub fn id(&self) -> i64 {
        self.id
    }

    /// The applications it is limited to; empty: all.
    pub fn applications(&self) -> &[String] {
        &self.applications
    }

    pub fn allows(&self, scope: ApiScope) -> bool {
        self.scopes.contains(&scope)
    }

    /// Whether the key may make links for `application` (a key limited to none may use all).
    pub fn may_use(&self, application: &FlowSlug) -> bool {
        self.applications.is_empty() || self.applications.iter().any(|a| a == application.as_str())
    }
}

/// Why a secret opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyRefusal {
    /// No key has this secret (or it is not a secret's shape).
    Unknown,
    Revoked,
    Expired,
}

#[derive(sqlx::FromRow)]
struct KeyRow {
    id: i64,
    name: String,
    secret_hash: String,
    scopes: String,
    applications: String,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
}

fn secret_hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

/// A key's scopes as stored: their names, space-separated.
fn scopes_of(stored: &str) -> Vec<ApiScope> {
    stored.split(' ').filter_map(ApiScope::parse).collect()
}

/// The applications a key is limited to as stored: slugs, space-separated; none means all.
fn applications_of(stored: &str) -> Vec<String> {
    stored
        .split(' ')
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How often a key's "last used" time is written: once a minute at most, not once a call.
const LAST_USED_EVERY_MS: i64 = 60_000;

impl KeyStore {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Makes a key; its secret is in the answer and nowhere else.
    pub async fn create(&self, key: &NewApiKey, by: &str) -> StoreResult<ApiSecret> {
        // A prefix is drawn again on the (rare) clash with an existing one.
        for _ in 0..5 {
            // Letters and digits only: a prefix starting with `-` would read as an option to
            // `flowshare apikey revoke`, just when a leaked key must go fast.
            const ALPHANUMERIC: &[u8] =
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            let prefix: String = random_bytes::<PREFIX_CHARS>()?
                .iter()
                .map(|b| char::from(ALPHANUMERIC[usize::from(*b) % ALPHANUMERIC.len()]))
                .collect();
            let secret = URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
            let Some(secret) = ApiSecret::from_parts(&prefix, &secret) else {
                continue;
            };
            if self.insert(key, &secret, by).await? {
                return Ok(secret);
            }
        }
        Err(crate::db::StoreError::Conflict(
            "could not draw an unused key prefix".into(),
        ))
    }

    async fn insert(&self, key: &NewApiKey, secret: &ApiSecret, by: &str) -> StoreResult<bool> {
        let scopes: Vec<&str> = key.scopes.iter().map(|s| s.as_str()).collect();
        let applications: Vec<&str> = key.applications.iter().map(FlowSlug::as_str).collect();
        let (scopes, applications) = (scopes.join(" "), applications.join(" "));
        let sql = "INSERT INTO api_keys (name, prefix, secret_hash, scopes, applications, created_at, created_by, expires_at) \
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (prefix) DO NOTHING";
        let hash = secret_hash(secret.expose());
        let detail = format!(
            "key {} {:?}: {}; applications: {}",
            secret.prefix(),
            key.name,
            scopes,
            if applications.is_empty() {
                "all"
            } else {
                &applications
            }
        );
        let inserted = conditional_change!(&self.db, |tx| {
            let inserted = sqlx::query(sql)
                .bind(&key.name)
                .bind(secret.prefix())
                .bind(&hash)
                .bind(&scopes)
                .bind(&applications)
                .bind(now_millis())
                .bind(by)
                .bind(key.expires_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if inserted != 1 {
                return Ok(None);
            }
            audit!(tx, by, AuditAction::ApiKeyCreated, &key.name, &detail)?;
            Ok(Some(()))
        })?;
        Ok(inserted.is_some())
    }

    /// Revokes the key with `prefix`; `false` when there is no such live key.
    pub async fn revoke(&self, prefix: &str, by: &str) -> StoreResult<bool> {
        let sql = "UPDATE api_keys SET revoked_at = $1 WHERE prefix = $2 AND revoked_at IS NULL RETURNING name";
        let revoked = conditional_change!(&self.db, |tx| {
            let name: Option<String> = sqlx::query_scalar(sql)
                .bind(now_millis())
                .bind(prefix)
                .fetch_optional(&mut *tx)
                .await?;
            let Some(name) = name else {
                return Ok(None);
            };
            audit!(
                tx,
                by,
                AuditAction::ApiKeyRevoked,
                &name,
                &format!("key {prefix}")
            )?;
            Ok(Some(()))
        })?;
        Ok(revoked.is_some())
    }

    /// Every key, newest first, revoked ones included; never a secret or its hash.
    pub async fn list(&self) -> StoreResult<Vec<ApiKeySummary>> {
        let sql = "SELECT prefix, name, scopes, applications, created_by, created_at, expires_at, last_used_at, revoked_at \
                   FROM api_keys ORDER BY created_at DESC, id DESC";
        #[derive(sqlx::FromRow)]
        struct Listed {
            prefix: String,
            name: String,
            scopes: String,
            applications: String,
            created_by: String,
            created_at: i64,
            expires_at: Option<i64>,
            last_used_at: Option<i64>,
            revoked_at: Option<i64>,
        }
        let rows: Vec<Listed> = on_db!(&self.db, |pool| sqlx::query_as(sql).fetch_all(pool).await)?;
        Ok(rows
            .into_iter()
            .map(|row| ApiKeySummary {
                scopes: scopes_of(&row.scopes),
                applications: applications_of(&row.applications),
                prefix: row.prefix,
                name: row.name,
                created_by: row.created_by,
                created_at: row.created_at,
                expires_at: row.expires_at,
                last_used_at: row.last_used_at,
                revoked_at: row.revoked_at,
            })
            .collect())
    }

    /// Notes that `caller` did something (a refused request does not count): once a minute at
    /// most, not once a call.
    pub async fn used(&self, caller: &ApiCaller) -> StoreResult<()> {
        if !caller.stale_use {
            return Ok(());
        }
        let touch = "UPDATE api_keys SET last_used_at = $1 WHERE id = $2";
        on_db!(&self.db, |pool| sqlx::query(touch)
            .bind(now_millis())
            .bind(caller.id)
            .execute(pool)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// The key whose secret this is, if it may still be used. Reads only.
    pub async fn authenticate(
        &self,
        secret: &ApiSecret,
    ) -> StoreResult<Result<ApiCaller, KeyRefusal>> {
        let sql = "SELECT id, name, secret_hash, scopes, applications, expires_at, last_used_at, revoked_at \
                   FROM api_keys WHERE prefix = $1";
        let row: Option<KeyRow> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(secret.prefix())
            .fetch_optional(pool)
            .await)?;
        let Some(row) = row else {
            return Ok(Err(KeyRefusal::Unknown));
        };
        // Compared in constant time: how much of a guess matched must not show in the timing.
        let matches: bool = secret_hash(secret.expose())
            .as_bytes()
            .ct_eq(row.secret_hash.as_bytes())
            .into();
        if !matches {
            return Ok(Err(KeyRefusal::Unknown));
        }
        let now = now_millis();
        if row.revoked_at.is_some() {
            return Ok(Err(KeyRefusal::Revoked));
        }
        if row.expires_at.is_some_and(|at| at <= now) {
            return Ok(Err(KeyRefusal::Expired));
        }
        Ok(Ok(ApiCaller {
            stale_use: row
                .last_used_at
                .is_none_or(|at| at < now - LAST_USED_EVERY_MS),
            id: row.id,
            name: row.name,
            prefix: secret.prefix().to_owned(),
            scopes: scopes_of(&row.scopes),
            applications: applications_of(&row.applications),
        }))
    }
}

/// Whether every application a key is to be limited to exists.
async fn missing_application(db: &Db, key: &NewApiKey) -> StoreResult<Option<String>> {
    let sql = "SELECT COUNT(*) FROM applications WHERE slug = $1";
    for application in &key.applications {
        let found: i64 = on_db!(db, |pool| sqlx::query_scalar(sql)
            .bind(application.as_str())
            .fetch_one(pool)
            .await)?;
        if found == 0 {
            return Ok(Some(application.to_string()));
        }
    }
    Ok(None)
}

#[async_trait::async_trait]
impl app::ports::ApiKeys for KeyStore {
    async fn list(&self) -> Result<Vec<ApiKeySummary>, app::ports::BackendError> {
        KeyStore::list(self)
            .await
            .map_err(|e| e.for_port("listing API keys"))
    }

    async fn create(
        &self,
        by: &app::domain::UserView,
        key: &NewApiKey,
    ) -> Result<String, app::ports::ApiKeyError> {
        let backend = |e: crate::db::StoreError| e.for_port("creating an API key");
        if let Some(missing) = missing_application(&self.db, key).await.map_err(backend)? {
            return Err(app::ports::ApiKeyError::NoSuchApplication(missing));
        }
        let secret = KeyStore::create(self, key, &by.name)
            .await
            .map_err(backend)?;
        Ok(secret.expose().to_owned())
    }

    async fn revoke(
        &self,
        by: &app::domain::UserView,
        prefix: &str,
    ) -> Result<(), app::ports::ApiKeyError> {
        match KeyStore::revoke(self, prefix, &by.name).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(app::ports::ApiKeyError::NotFound(prefix.to_owned())),
            Err(e) => Err(e.for_port("revoking an API key").into()),
        }
    }
}
