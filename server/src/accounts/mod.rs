//! Console users and their sessions: the `Accounts` port and the `user add` command's store side.

use crate::db::{now_millis, on_db, Db, StoreError, StoreResult};
use crate::security::device::{DeviceKey, Holder};
use crate::security::limits::ClientKey;
use crate::security::password;
use crate::security::session::SessionKey;
use crate::security::throttle::{self, Attempt, Failures};
use app::domain::{Role, UserName, UserView};
use app::ports::{Accounts, BackendError, RateLimits, SessionToken, SignIn, SignInAttempt};
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, SemaphorePermit};

/// How long a console session lasts.
pub const SESSION_TTL: Duration = Duration::from_secs(12 * 3_600);

/// Console users, their sessions and the sign-in throttle.
#[derive(Debug, Clone)]
pub struct AccountStore {
    pub(crate) db: Db,
    pub(crate) session_key: SessionKey,
    /// Signs the device cookies that make a browser known for a name (derived from the session key).
    pub(crate) devices: DeviceKey,
    pub(crate) session_ttl: Duration,
    pub(crate) sign_in_slots: SignInSlots,
}

/// Password checks that may run at once. Each Argon2id check takes about 19 MiB and a core for
/// tens of milliseconds; beyond this many the answer is "busy", not a growing queue.
#[derive(Debug, Clone)]
pub(crate) struct SignInSlots {
    all: Arc<Semaphore>,
    /// What attempts by strangers (without a device cookie for the name) may hold of them: all
    /// but one, so that however many strangers try, a known browser's check need not wait.
    strangers: Arc<Semaphore>,
}

impl SignInSlots {
    pub(crate) fn new(slots: usize) -> Self {
        let slots = slots.max(1);
        Self {
            all: Arc::new(Semaphore::new(slots)),
            strangers: Arc::new(Semaphore::new(slots.saturating_sub(1).max(1))),
        }
    }

    /// A slot for a known browser's check or a stranger's; `None` when all it may use are taken.
    fn take(&self, known: bool) -> Option<(SemaphorePermit<'_>, Option<SemaphorePermit<'_>>)> {
        let stranger = if known {
            None
        } else {
            Some(self.strangers.try_acquire().ok()?)
        };
        let slot = self.all.try_acquire().ok()?;
        Some((slot, stranger))
    }
}

/// Sign-ins that may check a password at once by default: two per core.
pub fn default_sign_in_slots() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get() * 2)
}

/// How often an attempt may lose the race for a row of failures before it gives up. Each lost race
/// means another attempt was counted, and a subject is locked after `FREE_ATTEMPTS`, so a few
/// rounds end in "counted" or "locked" (or, for a name that many clients that never failed at it
/// are trying at once, in "locked for a second").
const COUNTING_ROUNDS: usize = 2 * throttle::FREE_ATTEMPTS as usize;

/// A row of failed sign-ins.
#[derive(Debug, Clone, Copy)]
enum Tally<'a> {
    /// A name's, from every stranger: any client without a device cookie for it
    /// (`sign_in_failures`, by `throttle::key`).
    Name(&'a str),
    /// One client's: an address's at one name, or a known browser's (`sign_in_client_failures`,
    /// by `throttle::address_key` or `throttle::device_key`).
    Client(&'a str),
}

impl<'a> Tally<'a> {
    fn key(self) -> &'a str {
        match self {
            Self::Name(key) | Self::Client(key) => key,
        }
    }

    /// The statements on this row's table: read, first insert, compare-and-swap, delete.
    fn sql(self) -> [&'static str; 4] {
        match self {
            Self::Name(_) => [
                "SELECT failures, last_failure_at FROM sign_in_failures WHERE name = $1",
                "INSERT INTO sign_in_failures (name, failures, last_failure_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
                "UPDATE sign_in_failures SET failures = $2, last_failure_at = $3 \
                 WHERE name = $1 AND failures = $4 AND last_failure_at = $5",
                "DELETE FROM sign_in_failures WHERE name = $1",
            ],
            Self::Client(_) => [
                "SELECT failures, last_failure_at FROM sign_in_client_failures WHERE client = $1",
                "INSERT INTO sign_in_client_failures (client, failures, last_failure_at) \
                 VALUES ($1, $2, $3) ON CONFLICT (client) DO NOTHING",
                "UPDATE sign_in_client_failures SET failures = $2, last_failure_at = $3 \
                 WHERE client = $1 AND failures = $4 AND last_failure_at = $5",
                "DELETE FROM sign_in_client_failures WHERE client = $1",
            ],
        }
    }
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

    /// The password-checking slots (tests hold them all to see the "busy" answer).
    pub fn sign_in_slots(&self) -> &Arc<Semaphore> {
        &self.sign_in_slots.all
    }

    /// Counts an attempt against `tally` as a failure before its password is checked, unless
    /// `decide` (the policy, given the row and the time) says it is locked. The row changes only
    /// if no other attempt (on any instance) changed it since it was read, so parallel guesses
    /// are counted one by one. Answers the row as it was before this attempt.
    async fn count(
        &self,
        tally: Tally<'_>,
        decide: impl Fn(Option<Failures>, i64) -> Attempt,
    ) -> StoreResult<Result<Option<Failures>, Duration>> {
        let [_, insert, swap, _] = tally.sql();
        for _ in 0..COUNTING_ROUNDS {
            let current = self.failures(tally).await?;
            let next = match decide(current, now_millis()) {
                Attempt::Locked(wait) => return Ok(Err(wait)),
                Attempt::Counted(next) => next,
            };
            let changed = match current {
                None => on_db!(&self.db, |pool| sqlx::query(insert)
                    .bind(tally.key())
                    .bind(i64::from(next.count))
                    .bind(next.last_at)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected()))?,
                Some(old) => on_db!(&self.db, |pool| sqlx::query(swap)
                    .bind(tally.key())
                    .bind(i64::from(next.count))
                    .bind(next.last_at)
                    .bind(i64::from(old.count))
                    .bind(old.last_at)
                    .execute(pool)
                    .await
                    .map(|r| r.rows_affected()))?,
            };
            if changed == 1 {
                return Ok(Ok(current));
            }
        }
        // Still racing: others are guessing this very name right now.
        Ok(Err(Duration::from_secs(1)))
    }

    /// A row's failed sign-ins so far.
    async fn failures(&self, tally: Tally<'_>) -> StoreResult<Option<Failures>> {
        let [read, ..] = tally.sql();
        let row: Option<(i64, i64)> = on_db!(&self.db, |pool| sqlx::query_as(read)
            .bind(tally.key())
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(|(count, last_at)| Failures {
            count: u32::try_from(count).unwrap_or(u32::MAX),
            last_at,
        }))
    }

    /// The password was right: the row starts afresh.
    async fn clear(&self, tally: Tally<'_>) -> StoreResult<()> {
        let [.., delete] = tally.sql();
        on_db!(&self.db, |pool| sqlx::query(delete)
            .bind(tally.key())
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
        for forget in [
            "DELETE FROM sign_in_failures WHERE last_failure_at < $1",
            "DELETE FROM sign_in_client_failures WHERE last_failure_at < $1",
        ] {
            on_db!(&self.db, |pool| sqlx::query(forget)
                .bind(throttle::forget_before(now))
                .execute(pool)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(token)
    }
}

#[async_trait]
impl Accounts for AccountStore {
    async fn log_in(
        &self,
        attempt: SignInAttempt<'_>,
        limits: &dyn RateLimits,
    ) -> Result<SignIn, BackendError> {
        let signed = self.sign_in(attempt, limits).await;
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
    /// The locks (reads only), the per-name budget for a client trying again, a
    /// password-checking slot, the attempt counted, then the check.
    async fn sign_in(
        &self,
        attempt: SignInAttempt<'_>,
        limits: &dyn RateLimits,
    ) -> Result<SignIn, BackendError> {
        let locked = |wait: Duration| SignIn::Locked {
            // Whole seconds, rounded up: "try again in 0 seconds" would be a lie.
            retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
        };
        let name = attempt.name;
        let user = self
            .find_user(name)
            .await
            .map_err(|e| e.for_port("looking up a user"))?;
        // A device cookie counts only with the password it was earned with (see `device`).
        let known = attempt.device.zip(user.as_ref()).and_then(|(token, user)| {
            let holder = Holder {
                name,
                credential: &user.password_hash,
            };
            self.devices.recognise(token, holder, now_millis())
        });
        // A browser with a device cookie valid for the name is counted by that cookie alone; any
        // other client (a stranger) by its address at the name, and against the name.
        let client_key = match &known {
            Some(device) => throttle::device_key(device),
            None => throttle::address_key(ClientKey::from(attempt.client), name),
        };
        let name_key = throttle::key(name.as_str());
        let client = Tally::Client(&client_key);
        let stranger = known.is_none();
        let against_name = stranger.then_some(Tally::Name(&name_key));

        // A locked attempt takes no slot and no budget; a busy answer counts no failure.
        let (lock, client_failed) = self
            .lock(client, against_name)
            .await
            .map_err(|e| e.for_port("reading failed sign-ins"))?;
        if let Err(wait) = lock {
            return Ok(locked(wait));
        }
        // A stranger trying again at a name it failed at is held to the per-name budget as well.
        // A known browser and a first try never are: flooding a name cannot refuse them.
        if stranger && client_failed {
            if let Err(limited) = limits.sign_in_again(name) {
                return Ok(SignIn::Limited(limited));
            }
        }
        let Some(_slot) = self.sign_in_slots.take(!stranger) else {
            return Ok(SignIn::Busy);
        };
        if let Err(wait) = self
            .count_attempt(client, against_name)
            .await
            .map_err(|e| e.for_port("counting a sign-in attempt"))?
        {
            return Ok(locked(wait));
        }
        let Some(user) = check_password(user, attempt.password).await? else {
            // Already counted.
            return Ok(SignIn::Refused);
        };

        // The right password: what the attempt was counted against starts afresh. A known
        // browser's success leaves the name's count alone (signing in every day must not hand
        // guessers a fresh budget every day); a stranger's clears it, as a person would expect.
        for tally in [Some(client), against_name].into_iter().flatten() {
            self.clear(tally)
                .await
                .map_err(|e| e.for_port("clearing failed sign-ins"))?;
        }
        let session = self
            .open_session(user.id)
            .await
            .map_err(|e| e.for_port("opening a session"))?;
        let holder = Holder {
            name,
            credential: &user.password_hash,
        };
        let device = self
            .devices
            .issue(holder, now_millis())
            .map_err(|e| BackendError::new("making a device cookie", e))?;
        let user = view(user.name, &user.role).map_err(|e| e.for_port("reading a user"))?;
        Ok(SignIn::Welcome {
            user,
            session,
            device,
        })
    }

    /// Whether the client's row (and, for a stranger, the name's) holds the attempt off now, and
    /// whether the client has failed before: reads only.
    async fn lock(
        &self,
        client: Tally<'_>,
        against_name: Option<Tally<'_>>,
    ) -> StoreResult<(Result<(), Duration>, bool)> {
        let now = now_millis();
        let client_before = self.failures(client).await?;
        let lock = match against_name {
            Some(name) => {
                let name_before = self.failures(name).await?;
                throttle::stranger_attempt(client_before, name_before, now).map(|_| ())
            }
            None => match throttle::attempt(client_before, now) {
                Attempt::Locked(wait) => Err(wait),
                Attempt::Counted(_) => Ok(()),
            },
        };
        Ok((lock, throttle::has_failed(client_before, now)))
    }

    /// Counts the attempt as a failure, before its password is checked: against the client and,
    /// for a stranger, against the name (the name's lock holding it if the client had failed).
    /// Another attempt may have counted since [`Self::lock`] read, so each row is decided again.
    async fn count_attempt(
        &self,
        client: Tally<'_>,
        against_name: Option<Tally<'_>>,
    ) -> StoreResult<Result<(), Duration>> {
        let client_before = match self.count(client, throttle::attempt).await? {
            Ok(before) => before,
            Err(wait) => return Ok(Err(wait)),
        };
        let Some(name) = against_name else {
            return Ok(Ok(()));
        };
        let failed = throttle::has_failed(client_before, now_millis());
        let at_name = |current, now| throttle::attempt_at_name(current, now, failed);
        Ok(self.count(name, at_name).await?.map(|_| ()))
    }
}

/// `user` (as found by name, if any) when `candidate` is its password. Always pays for one hash
/// check (the decoy's without a user), so unknown names and wrong passwords take the same time.
async fn check_password(
    user: Option<UserRow>,
    candidate: &str,
) -> Result<Option<UserRow>, BackendError> {
    let stored = user.as_ref().map_or_else(
        || password::decoy_hash().to_owned(),
        |u| u.password_hash.clone(),
    );
    let candidate = candidate.to_owned();
    let matches = tokio::task::spawn_blocking(move || password::verify(&candidate, &stored))
        .await
        .map_err(|e| BackendError::new("checking a password", e))?;
    Ok(user.filter(|_| matches))
}
