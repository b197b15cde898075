//! `Idempotency-Key` on creating calls: a call retried with the same key (by the same API key)
//! gets the first call's answer, and never makes a second link. The key is claimed in the database
//! before the work starts, so two racing retries cannot both do it; the answer is stored when the
//! work is done. A refusal is not kept: a corrected retry may use the same key.

use super::problem::ApiError;
use crate::api_keys::ApiCaller;
use crate::db::{now_millis, on_db, Db, StoreResult};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use http::HeaderMap;
use sha2::{Digest, Sha256};

/// The longest key accepted, in characters (visible ASCII only).
pub const MAX_KEY_CHARS: usize = 255;

/// What a key is written in: visible ASCII, no spaces.
pub fn is_key_char(b: u8) -> bool {
    b.is_ascii_graphic()
}

/// A claimed key: the work may be done, and its answer must be [`kept`](Idempotency::keep) or the
/// claim [`released`](Idempotency::release).
#[derive(Debug)]
pub struct Claim {
    key_id: i64,
    key: String,
}

/// What a call with an `Idempotency-Key` found.
#[derive(Debug)]
pub enum Found {
    /// The first time: do the work under this claim.
    New(Claim),
    /// Answered before: this status and body, again.
    Answered { status: u16, body: String },
}

#[derive(Debug, Clone)]
pub struct Idempotency {
    db: Db,
}

/// The `Idempotency-Key` header, if sent; a malformed one is refused.
pub fn requested_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value.to_str().unwrap_or_default();
    let visible = key.bytes().all(is_key_char);
    if key.is_empty() || key.len() > MAX_KEY_CHARS || !visible {
        return Err(ApiError::InvalidField {
            field: "Idempotency-Key",
            message: format!("1 to {MAX_KEY_CHARS} visible ASCII characters, without spaces"),
        });
    }
    Ok(Some(key.to_owned()))
}

/// What makes two calls the same call: method, path, query and body.
pub fn request_hash(method: &str, path: &str, query: Option<&str>, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    for part in [
        method.as_bytes(),
        path.as_bytes(),
        query.unwrap_or_default().as_bytes(),
    ] {
        hash.update(part);
        hash.update([0]);
    }
    hash.update(body);
    URL_SAFE_NO_PAD.encode(hash.finalize())
}

impl Idempotency {
    pub fn new(db: Db) -> Self {
        Self { db }
    }

    /// Claims `key` for this caller's call, or finds what became of an earlier one.
    pub async fn claim(
        &self,
        caller: &ApiCaller,
        key: &str,
        hash: &str,
    ) -> Result<Found, ApiError> {
        match self.try_claim(caller.id(), key, hash).await {
            Ok(found) => found,
            Err(err) => {
                tracing::error!(error = %err, "claiming an idempotency key");
                Err(ApiError::Internal)
            }
        }
    }

    async fn try_claim(
        &self,
        key_id: i64,
        key: &str,
        hash: &str,
    ) -> StoreResult<Result<Found, ApiError>> {
        let insert = "INSERT INTO api_idempotency (key_id, idempotency_key, request_hash, status, body, created_at) \
                      VALUES ($1, $2, $3, 0, '', $4) ON CONFLICT (key_id, idempotency_key) DO NOTHING";
        let claimed = on_db!(&self.db, |pool| sqlx::query(insert)
            .bind(key_id)
            .bind(key)
            .bind(hash)
            .bind(now_millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        if claimed == 1 {
            return Ok(Ok(Found::New(Claim {
                key_id,
                key: key.to_owned(),
            })));
        }
        let select = "SELECT request_hash, status, body FROM api_idempotency WHERE key_id = $1 AND idempotency_key = $2";
        let earlier: Option<(String, i64, String)> =
            on_db!(&self.db, |pool| sqlx::query_as(select)
                .bind(key_id)
                .bind(key)
                .fetch_optional(pool)
                .await)?;
        Ok(match earlier {
            // Released between our insert and our read: the caller may simply retry.
            None => Err(ApiError::IdempotencyKeyInUse),
            Some((earlier_hash, _, _)) if earlier_hash != hash => {
                Err(ApiError::IdempotencyKeyReused)
            }
            Some((_, 0, _)) => Err(ApiError::IdempotencyKeyInUse),
            Some((_, status, body)) => Ok(Found::Answered {
                status: u16::try_from(status).unwrap_or(500),
                body,
            }),
        })
    }

    /// Keeps the answer to a claimed call, for its retries.
    pub async fn keep(&self, claim: Claim, status: u16, body: &str) {
        let sql = "UPDATE api_idempotency SET status = $1, body = $2 WHERE key_id = $3 AND idempotency_key = $4";
        let kept = on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(i64::from(status))
            .bind(body)
            .bind(claim.key_id)
            .bind(&claim.key)
            .execute(pool)
            .await
            .map(|_| ()));
        if let Err(err) = kept {
            // The link was made and answered; a retry now finds the claim "in use" and says so.
            tracing::error!(error = %err, "keeping an idempotent answer");
        }
    }

    /// Gives a claim up after a refusal, so a corrected retry may use the same key.
    pub async fn release(&self, claim: Claim) {
        let sql =
            "DELETE FROM api_idempotency WHERE key_id = $1 AND idempotency_key = $2 AND status = 0";
        let released = on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(claim.key_id)
            .bind(&claim.key)
            .execute(pool)
            .await
            .map(|_| ()));
        if let Err(err) = released {
            tracing::error!(error = %err, "releasing an idempotency key");
        }
    }
}
