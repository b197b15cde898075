//! Console users and their sessions: the `Accounts` port and the `user add` command's store side.

use super::{now_millis, on_db, Db, StoreError, StoreResult};
use crate::security::password;
use crate::security::session::SessionKey;
use crate::security::throttle::LoginThrottle;
use app::domain::{Role, UserName, UserView};
use app::ports::{Accounts, BackendError, SessionToken, SignIn};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Console users, their sessions and the sign-in throttle.
#[derive(Debug, Clone)]
pub struct AccountStore {
    pub(super) db: Db,
    pub(super) session_key: SessionKey,
    pub(super) session_ttl: Duration,
    /// Failed sign-ins per user name; shared by every clone of the store.
    pub(super) login_throttle: Arc<LoginThrottle>,
}

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
        // Housekeeping on the (rare) log-in path keeps the sessions table small without a timer.
        let purge = "DELETE FROM sessions WHERE expires_at <= $1";
        on_db!(&self.db, |pool| sqlx::query(purge)
            .bind(now)
            .execute(pool)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(token)
    }
}

#[async_trait]
impl Accounts for AccountStore {
    async fn log_in(&self, name: &UserName, candidate: &str) -> Result<SignIn, BackendError> {
        if let Err(wait) = self.login_throttle.attempt(name.as_str(), Instant::now()) {
            // Whole seconds, rounded up: "try again in 0 seconds" would be a lie.
            let retry_after_seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            return Ok(SignIn::Locked {
                retry_after_seconds,
            });
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
            // Already counted by `attempt`.
            return Ok(SignIn::Refused);
        };
        self.login_throttle.succeeded(name.as_str());
        let token = self
            .open_session(user.id)
            .await
            .map_err(|e| e.for_port("opening a session"))?;
        let view = view(user.name, &user.role).map_err(|e| e.for_port("reading a user"))?;
        Ok(SignIn::Welcome(view, token))
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
