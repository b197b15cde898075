//! Slowing down password guessing. After a few failed sign-ins for one user name, that name is
//! locked for a while, doubling with every further failure up to a cap; a correct password ends it.
//!
//! Keyed by the user name as typed (case-folded), whether or not such a user exists: an unknown
//! name is locked exactly like a real one, so the lock reveals nothing about who has an account.
//! The password is not even checked while a name is locked, so guessing also costs us no hashing.
//! State lives in this server instance's memory; with several instances behind a load balancer
//! each counts on its own (documented in the README).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed before the first lock.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first lock; each further failure doubles it.
const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock, so that an attacker can keep a real user out only for so long at a time.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// A name with no failure for this long starts afresh.
const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Names remembered at most; beyond that, stale entries go first, then everything.
const MAX_NAMES: usize = 10_000;

#[derive(Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// Locked from the failure that reached the limit, for as long as the count says.
    fn locked_until(&self) -> Option<Instant> {
        (self.count >= FREE_ATTEMPTS).then(|| self.last + lock_for(self.count))
    }
}

#[derive(Debug, Default)]
pub struct LoginThrottle {
    names: Mutex<HashMap<String, Failures>>,
}

fn key(name: &str) -> String {
    name.to_lowercase()
}

fn lock_for(count: u32) -> Duration {
    let doublings = count.saturating_sub(FREE_ATTEMPTS).min(16);
    FIRST_LOCK.saturating_mul(1 << doublings).min(MAX_LOCK)
}

impl LoginThrottle {
    fn names(&self) -> std::sync::MutexGuard<'_, HashMap<String, Failures>> {
        // A poisoned lock only means a panic elsewhere mid-update; the counts are still usable.
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Asks to check a password for `name`: `Err(wait)` while the name is locked. Otherwise the
    /// attempt is counted as a failure *now*, before the password is checked, and
    /// [`succeeded`](Self::succeeded) takes it back: so parallel guesses cannot all slip through
    /// before the first of them is counted.
    pub fn attempt(&self, name: &str, now: Instant) -> Result<(), Duration> {
        let mut names = self.names();
        let key = key(name);
        if let Some(until) = names.get(&key).and_then(Failures::locked_until) {
            if until > now {
                return Err(until - now);
            }
        }
        if names.len() >= MAX_NAMES && !names.contains_key(&key) {
            names.retain(|_, f| now.saturating_duration_since(f.last) < FORGET_AFTER);
            if names.len() >= MAX_NAMES {
                names.clear();
            }
        }
        let entry = names.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if now.saturating_duration_since(entry.last) >= FORGET_AFTER {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        Ok(())
    }

    /// The password was right: the name starts afresh.
    pub fn succeeded(&self, name: &str) {
        self.names().remove(&key(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `times` wrong passwords for `name` (each attempt allowed, then not taken back).
    fn fail_times(throttle: &LoginThrottle, name: &str, times: u32, now: Instant) {
        for _ in 0..times {
            assert_eq!(throttle.attempt(name, now), Ok(()), "attempt allowed");
        }
    }

    #[test]
    fn a_few_wrong_passwords_are_free_then_the_name_is_locked() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        fail_times(&throttle, "ada", FREE_ATTEMPTS, now);
        assert_eq!(throttle.attempt("ada", now), Err(FIRST_LOCK));
        assert_eq!(
            throttle.attempt("ada", now + FIRST_LOCK),
            Ok(()),
            "the lock ends"
        );
    }

    #[test]
    fn the_last_free_attempt_with_the_right_password_still_gets_in() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        fail_times(&throttle, "ada", FREE_ATTEMPTS, now);
        throttle.succeeded("ada");
        assert_eq!(throttle.attempt("ada", now), Ok(()));
    }

    #[test]
    fn each_failure_after_a_lock_doubles_it_up_to_the_cap() {
        let throttle = LoginThrottle::default();
        let mut now = Instant::now();
        fail_times(&throttle, "ada", FREE_ATTEMPTS, now);
        now += FIRST_LOCK;
        fail_times(&throttle, "ada", 1, now);
        assert_eq!(throttle.attempt("ada", now), Err(FIRST_LOCK * 2));
        for _ in 0..20 {
            now += MAX_LOCK;
            fail_times(&throttle, "ada", 1, now);
        }
        assert_eq!(throttle.attempt("ada", now), Err(MAX_LOCK));
    }

    #[test]
    fn parallel_guesses_get_no_more_tries_than_sequential_ones() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        let allowed = std::thread::scope(|scope| {
            let guesses: Vec<_> = (0..50)
                .map(|_| scope.spawn(|| throttle.attempt("ada", now).is_ok()))
                .collect();
            guesses
                .into_iter()
                .filter_map(|g| g.join().ok())
                .filter(|&allowed| allowed)
                .count()
        });
        assert_eq!(allowed, FREE_ATTEMPTS as usize);
    }

    #[test]
    fn attempts_while_locked_do_not_extend_the_lock() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        fail_times(&throttle, "ada", FREE_ATTEMPTS, now);
        for _ in 0..100 {
            assert!(throttle.attempt("ada", now).is_err());
        }
        assert_eq!(throttle.attempt("ada", now + FIRST_LOCK), Ok(()));
    }

    #[test]
    fn names_are_locked_case_insensitively_and_one_at_a_time() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        fail_times(&throttle, "Ada", FREE_ATTEMPTS, now);
        assert!(throttle.attempt("ADA", now).is_err());
        assert_eq!(throttle.attempt("grace", now), Ok(()));
    }

    #[test]
    fn a_correct_password_or_an_hour_of_quiet_starts_afresh() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        fail_times(&throttle, "ada", FREE_ATTEMPTS - 1, now);
        throttle.succeeded("ada");
        fail_times(&throttle, "ada", FREE_ATTEMPTS - 1, now);
        assert_eq!(throttle.attempt("ada", now), Ok(()), "counting began again");
        fail_times(&throttle, "grace", FREE_ATTEMPTS - 1, now);
        let later = now + FORGET_AFTER;
        fail_times(&throttle, "grace", FREE_ATTEMPTS - 1, later);
        assert_eq!(throttle.attempt("grace", later), Ok(()));
    }

    #[test]
    fn memory_stays_bounded_under_made_up_names() {
        let throttle = LoginThrottle::default();
        let now = Instant::now();
        for i in 0..(MAX_NAMES + 10) {
            let _ = throttle.attempt(&format!("made-up-{i}"), now);
        }
        assert!(throttle.names().len() <= MAX_NAMES);
    }
}
