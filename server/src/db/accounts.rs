//! Console users and their sessions: the `Accounts` port and the `user add` command's store side.

use super::{now_millis, on_db, Db, StoreError, StoreResult};
use crate::security::password;
use crate::security::session::SessionKey;
use crate::security::throttle::{self, Attempt, Failures};
use app::domain::{Role, UserName, UserView};
use app::ports::{Accounts, BackendError, SessionToken, SignIn};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// Console users, their sessions and the sign-in throttle.
#[derive(Debug, Clone)]
pub struct AccountStore {
    pub(super) db: Db,
    pub(super) session_key: SessionKey,
    pub(super) session_ttl: Duration,
    /// Password checks that may run at once. Each Argon2id check takes about 19 MiB and a core
    /// for tens of milliseconds; beyond this many the answer is "busy", not a growing queue.
    pub(super) sign_in_slots: Arc<Semaphore>,
}

/// Sign-ins that may check a password at once by default: two per core.
pub fn default_sign_in_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

/// How often an attempt may lose the race for a name's failure row before it gives up. Each lost
/// race means another attempt was counted, and a name is locked after `FREE_ATTEMPTS`, so a few
/// rounds always end in "counted" or "locked".
const COUNTING_ROUNDS: usize = 2 * throttle::FREE_ATTEMPTS as usize;

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    name: String,
    role: String,
    password_hash: String,
}

fn view(name: String, role: &str) -> StoreResult<UserView> {
    let role = role
        .parse::<Role>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(UserView { name, role })
}

impl AccountStore {
    /// Creates a console user. The password is checked for length and hashed with Argon2id.
    pub async fn add_user(&self, name: &UserName, role: Role, password: &str) -> StoreResult<()> {
        let owned = password.to_owned();
        let hash = tokio::task::spawn_blocking(move || password::hash(&owned))
            .await
            .map_err(|e| StoreError::Invalid(e.to_string()))?
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        let sql =
            "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)";
        on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(name.as_str())
            .bind(role.as_str())
            .bind(&hash)
            .bind(now_millis())
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::on_unique(e, || format!("a user called {name} already exists")))?;
        Ok(())
    }

    /// The password-checking slots (tests hold them all to see the "busy" answer).
    pub fn sign_in_slots(&self) -> &Arc<Semaphore> {
        &self.sign_in_slots
    }

    /// Counts an attempt at `name` as a failure before its password is checked, or says how long
    /// the name is still locked. The row changes only if no other attempt (on any instance)
    /// changed it since it was read, so parallel guesses are counted one by one.
    async fn count_attempt(&self, name: &str) -> StoreResult<Result<(), Duration>> {
        let key = throttle::key(name);
        for _ in 0..COUNTING_ROUNDS {
            let current = self.failures(&key).await?;
            let next = match throttle::attempt(current, now_millis()) {
                Attempt::Locked(wait) => return Ok(Err(wait)),
                Attempt::Counted(next) => next,
            };
            let changed = match current {
                None => {
                    let insert = "INSERT INTO sign_in_failures (name, failures, last_failure_at) \
                                  VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING";
                    on_db!(&self.db, |pool| sqlx::query(insert)
                        .bind(&key)
                        .bind(i64::from(next.count))
                        .bind(next.last_at)
                        .execute(pool)
                        .await
                        .map(|r| r.rows_affected()))?
                }
                Some(old) => {
                    let swap = "UPDATE sign_in_failures SET failures = $2, last_failure_at = $3 \
                                WHERE name = $1 AND failures = $4 AND last_failure_at = $5";
                    on_db!(&self.db, |pool| sqlx::query(swap)
                        .bind(&key)
                        .bind(i64::from(next.count))
                        .bind(next.last_at)
                        .bind(i64::from(old.count))
                        .bind(old.last_at)
                        .execute(pool)
                        .await
                        .map(|r| r.rows_affected()))?
                }
            };
            if changed == 1 {
                return Ok(Ok(()));
            }
        }
        // Still racing: others are guessing this very name right now.
        Ok(Err(Duration::from_secs(1)))
    }

    /// A name's failed sign-ins so far, by its key.
    async fn failures(&self, key: &str) -> StoreResult<Option<Failures>> {
        let read = "SELECT failures, last_failure_at FROM sign_in_failures WHERE name = $1";
        let row: Option<(i64, i64)> = on_db!(&self.db, |pool| sqlx::query_as(read)
            .bind(key)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(count, last_at)| Failures {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            last_at,
        }))
    }

    /// How long `name` is still locked, if it is: one read, nothing written.
    async fn locked_for(&self, name: &str) -> StoreResult<Option<Duration>> {
        let current = self.failures(&throttle::key(name)).await?;
        Ok(match throttle::attempt(current, now_millis()) {
            Attempt::Locked(wait) => Some(wait),
            Attempt::Counted(_) => None,
        })
    }

    /// The password was right: the name starts afresh.
    async fn clear_failures(&self, name: &str) -> StoreResult<()> {
        let key = throttle::key(name);
        on_db!(&self.db, |pool| sqlx::query(
            "DELETE FROM sign_in_failures WHERE name = $1"
        )
        .bind(&key)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn user_count(&self) -> StoreResult<i64> {
        Ok(on_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT COUNT(*) FROM users"
        )
        .fetch_one(pool)
        .await)?)
    }

    async fn find_user(&self, name: &UserName) -> StoreResult<Option<UserRow>> {
        let sql = "SELECT id, name, role, password_hash FROM users WHERE name = $1";
        Ok(on_db!(&self.db, |pool| sqlx::query_as::<_, UserRow>(sql)
            .bind(name.as_str())
            .fetch_optional(pool)
            .await)?)
    }

    async fn open_session(&self, user_id: i64) -> StoreResult<SessionToken> {
        let token = self.session_key.new_token()?;
        let now = now_millis();
        let expires = now + self.session_ttl.as_millis() as i64;
        let hash = self.session_key.token_hash(&token);
        let sql = "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) VALUES ($1, $2, $3, $4)";
        on_db!(&self.db, |pool| sqlx::query(sql)
            .bind(&hash)
            .bind(user_id)
            .bind(now)
            .bind(expires)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        // Housekeeping on the (rare) log-in path keeps these tables small without a timer. A
        // failure row goes only after an hour of quiet, longer than any lock lasts.
        let purge = "DELETE FROM sessions WHERE expires_at <= $1";
        on_db!(&self.db, |pool| sqlx::query(purge)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        let forget = "DELETE FROM sign_in_failures WHERE last_failure_at < $1";
        on_db!(&self.db, |pool| sqlx::query(forget)
            .bind(throttle::forget_before(now))
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(token)
    }
}

#[async_trait]
impl Accounts for AccountStore {
    async fn log_in(&self, name: &UserName, candidate: &str) -> Result<SignIn, BackendError> {
        let signed = self.sign_in(name, candidate).await;
        if let Ok(signed) = &signed {
            crate::metrics::sign_in(signed);
        }
        signed
    }

    async fn session_user(&self, token: &SessionToken) -> Result<Option<UserView>, BackendError> {
        let sql = "SELECT u.name, u.role FROM sessions s JOIN users u ON u.id = s.user_id \
                   WHERE s.token_hash = $1 AND s.expires_at > $2";
        let hash = self.session_key.token_hash(token);
        let row: Option<(String, String)> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(&hash)
            .bind(now_millis())
            .fetch_optional(pool)
            .await)
        .map_err(|e| StoreError::from(e).for_port("looking up a session"))?;
        row.map(|(name, role)| view(name, &role))
            .transpose()
            .map_err(|e| e.for_port("reading a session's user"))
    }

    async fn log_out(&self, token: &SessionToken) -> Result<(), BackendError> {
        let hash = self.session_key.token_hash(token);
        on_db!(&self.db, |pool| sqlx::query(
            "DELETE FROM sessions WHERE token_hash = $1"
        )
        .bind(&hash)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(|e| StoreError::from(e).for_port("closing a session"))?;
        Ok(())
    }
}

impl AccountStore {
    /// The lock (one read), a password-checking slot, the attempt counted, then the check.
    async fn sign_in(&self, name: &UserName, candidate: &str) -> Result<SignIn, BackendError> {
        let locked = |wait: Duration| SignIn::Locked {
            // Whole seconds, rounded up: "try again in 0 seconds" would be a lie.
            retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        };
        // A locked name takes no slot; a busy answer counts no failure.
        if let Some(wait) = self
            .locked_for(name.as_str())
            .await
            .map_err(|e| e.for_port("reading failed sign-ins"))?
        {
            return Ok(locked(wait));
        }
        let Ok(_slot) = self.sign_in_slots.try_acquire() else {
            return Ok(SignIn::Busy);
        };
        let counted = self
            .count_attempt(name.as_str())
            .await
            .map_err(|e| e.for_port("counting a sign-in attempt"))?;
        if let Err(wait) = counted {
            return Ok(locked(wait));
        }
        let user = self
            .find_user(name)
            .await
            .map_err(|e| e.for_port("looking up a user"))?;
        // Always pay for one hash check, so unknown names and wrong passwords take the same time.
        let stored = user.as_ref().map_or_else(
            || password::decoy_hash().to_owned(),
            |u| u.password_hash.clone(),
        );
        let candidate = candidate.to_owned();
        let matches = tokio::task::spawn_blocking(move || password::verify(&candidate, &stored))
            .await
            .map_err(|e| BackendError::new("checking a password", e))?;
        let Some(user) = user.filter(|_| matches) else {
            // Already counted by `count_attempt`.
            return Ok(SignIn::Refused);
        };
        self.clear_failures(name.as_str())
            .await
            .map_err(|e| e.for_port("clearing failed sign-ins"))?;
        let token = self
            .open_session(user.id)
            .await
            .map_err(|e| e.for_port("opening a session"))?;
        let view = view(user.name, &user.role).map_err(|e| e.for_port("reading a user"))?;
        Ok(SignIn::Welcome(view, token))
    }
}
