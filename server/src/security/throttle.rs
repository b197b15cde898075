//! Slowing down password guessing: the policy. After a few failed sign-ins for one user name, that
//! name is locked for a while, doubling with every further failure up to a cap; a correct password
//! ends it.
//!
//! Keyed by the user name as typed (case-folded), whether or not such a user exists: an unknown
//! name is locked exactly like a real one, so the lock reveals nothing about who has an account.
//! The password is not even checked while a name is locked, so guessing also costs us no hashing.
//! The counts live in the database (`sign_in_failures`), so every instance sees the same lock; the
//! account store applies [`attempt`] to a name's row with a compare-and-swap. Rows are forgotten
//! only after [`FORGET_AFTER`] of quiet, which outlasts the longest lock: no number of made-up
//! names can push a locked one out.

use std::time::Duration;

/// Failures allowed before the first lock.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first lock; each further failure doubles it.
const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock, so that an attacker can keep a real user out only for so long at a time.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// A name with no failure for this long starts afresh (and its row may go).
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

const _: () = assert!(FORGET_AFTER.as_secs() > MAX_LOCK.as_secs());

/// One name's failed sign-ins, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// Unix milliseconds.
    pub last_at: i64,
}

/// What one sign-in attempt for a name comes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The name is locked for this long; nothing changes.
    Locked(Duration),
    /// The password may be checked. The attempt is counted as a failure *before* the check (the
    /// name's failures become these), and a correct password then clears them: so parallel
    /// guesses cannot all slip through before the first of them is counted.
    Counted(Failures),
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

fn lock_for(count: u32) -> Duration {
    let doublings = count.saturating_sub(FREE_ATTEMPTS).min(16);
    FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK)
}

impl Failures {
    /// Locked from the failure that reached the limit, for as long as the count says.
    fn locked_until(self) -> Option<i64> {
        (self.count >= FREE_ATTEMPTS)
            .then(|| self.last_at.saturating_add(millis(lock_for(self.count))))
    }
}

/// An attempt at `now` (Unix milliseconds) on a name whose failures so far are `current`.
pub fn attempt(current: Option<Failures>, now: i64) -> Attempt {
    if let Some(until) = current.and_then(Failures::locked_until) {
        if until > now {
            return Attempt::Locked(Duration::from_millis((until - now).unsigned_abs()));
        }
    }
    let count = match current {
        Some(failures) if now.saturating_sub(failures.last_at) < millis(FORGET_AFTER) => {
            failures.count
        }
        _ => 0,
    };
    Attempt::Counted(Failures {
        count: count.saturating_add(1),
        last_at: now,
    })
}

/// Rows whose last failure is older than this (Unix milliseconds) hold no lock and may go.
pub fn forget_before(now: i64) -> i64 {
    now.saturating_sub(millis(FORGET_AFTER))
}

/// The key a name's row is stored under.
pub fn key(name: &str) -> String {
    name.to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: i64 = 1_000;

    /// One name's row, applying attempts the way the store does.
    #[derive(Default)]
    struct Name(Option<Failures>);

    impl Name {
        fn try_at(&mut self, now: i64) -> Result<(), Duration> {
            match attempt(self.0, now) {
                Attempt::Locked(wait) => Err(wait),
                Attempt::Counted(failures) => {
                    self.0 = Some(failures);
                    Ok(())
                }
            }
        }

        fn fail_times(&mut self, times: u32, now: i64) {
            for _ in 0..times {
                assert_eq!(self.try_at(now), Ok(()), "attempt allowed");
            }
        }

        /// The password was right.
        fn succeed(&mut self) {
            self.0 = None;
        }
    }

    #[test]
    fn a_few_wrong_passwords_are_free_then_the_name_is_locked() {
        let mut ada = Name::default();
        ada.fail_times(FREE_ATTEMPTS, 0);
        assert_eq!(ada.try_at(0), Err(FIRST_LOCK));
        assert_eq!(ada.try_at(millis(FIRST_LOCK)), Ok(()), "the lock ends");
    }

    #[test]
    fn the_last_free_attempt_with_the_right_password_still_gets_in() {
        let mut ada = Name::default();
        ada.fail_times(FREE_ATTEMPTS, 0);
        ada.succeed();
        assert_eq!(ada.try_at(0), Ok(()));
    }

    #[test]
    fn each_failure_after_a_lock_doubles_it_up_to_the_cap() {
        let mut ada = Name::default();
        let mut now = 0;
        ada.fail_times(FREE_ATTEMPTS, now);
        now += millis(FIRST_LOCK);
        ada.fail_times(1, now);
        assert_eq!(ada.try_at(now), Err(FIRST_LOCK * 2));
        for _ in 0..20 {
            now += millis(MAX_LOCK);
            ada.fail_times(1, now);
        }
        assert_eq!(ada.try_at(now), Err(MAX_LOCK));
    }

    #[test]
    fn attempts_while_locked_do_not_extend_the_lock() {
        let mut ada = Name::default();
        ada.fail_times(FREE_ATTEMPTS, 0);
        for second in 0..29 {
            assert!(ada.try_at(second * SECOND).is_err());
        }
        assert_eq!(ada.try_at(millis(FIRST_LOCK)), Ok(()));
    }

    #[test]
    fn a_correct_password_or_an_hour_of_quiet_starts_afresh() {
        let mut ada = Name::default();
        ada.fail_times(FREE_ATTEMPTS - 1, 0);
        ada.succeed();
        ada.fail_times(FREE_ATTEMPTS - 1, 0);
        assert_eq!(ada.try_at(0), Ok(()), "counting began again");
        let mut grace = Name::default();
        grace.fail_times(FREE_ATTEMPTS - 1, 0);
        let later = millis(FORGET_AFTER);
        grace.fail_times(FREE_ATTEMPTS - 1, later);
        assert_eq!(grace.try_at(later), Ok(()));
    }

    #[test]
    fn a_row_is_forgotten_only_after_any_lock_it_held_is_over() {
        let failures = Failures {
            count: FREE_ATTEMPTS + 20,
            last_at: 0,
        };
        let until = failures.locked_until().expect("locked");
        assert_eq!(until, millis(MAX_LOCK), "the longest lock");
        assert!(
            forget_before(until) < failures.last_at,
            "still kept while locked"
        );
    }

    #[test]
    fn names_are_keyed_case_insensitively() {
        assert_eq!(key("Ada"), key("ADA"));
        assert_ne!(key("ada"), key("grace"));
    }
}
