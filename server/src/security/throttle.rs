//! Slowing down password guessing: the policy. Failed sign-ins are counted per subject, and a
//! subject with a few failures is locked for a while, doubling with every further failure up to a
//! cap; a correct password ends it. Who is counted is what keeps the lock from being turned
//! against the user (OWASP's device cookies, with one step more for clients that never failed):
//!
//! - A **known browser**, one holding a device cookie for the name (`device`): only its own
//!   failures count and lock it. Nobody else's guessing touches it.
//! - A **stranger**, any other client trying a name: its own failures at that name (by address)
//!   lock it, and all strangers' failures together count against the name. The name's lock holds
//!   the strangers that failed at it; one that has not gets its try, until the name has had
//!   [`NAME_FAILURES_CAP`] failures, after which the lock holds every stranger.
//!
//! So guessing at a name stays bounded however many addresses take part: at most
//! [`NAME_FAILURES_CAP`] passwords, then one per lock (about four an hour), from all strangers
//! together, and a few per device cookie, which only a correct password earns. And the right
//! password still gets in, while a name is hammered, from a known browser always, and from a
//! stranger that never failed at it until that cap.
//!
//! Names are keyed as typed (case-folded), whether or not such a user exists: an unknown name is
//! locked exactly like a real one, so the lock reveals nothing about who has an account. The
//! password is not even checked while locked, so guessing also costs us no hashing. The counts
//! live in the database (`sign_in_failures` per name, `sign_in_client_failures` per client), so
//! every instance sees the same locks; the account store applies this policy to the rows with a
//! compare-and-swap. Rows are forgotten only after [`FORGET_AFTER`] of quiet, which outlasts the
//! longest lock: no number of made-up names can push a locked one out.

use super::device::KnownDevice;
use super::limits::ClientKey;
use app::domain::UserName;
use std::time::Duration;

/// Failures allowed before the first lock.
pub const FREE_ATTEMPTS: u32 = 5;
/// The first lock; each further failure doubles it.
const FIRST_LOCK: Duration = Duration::from_secs(30);
/// The longest lock, so that an attacker can keep a real user out only for so long at a time.
pub const MAX_LOCK: Duration = Duration::from_secs(15 * 60);
/// A subject with no failure for this long starts afresh (and its row may go). A day, not an hour:
/// a name's [`NAME_FAILURES_CAP`] must not come back after every hour of quiet, or a patient
/// botnet would get that many guesses an hour.
pub const FORGET_AFTER: Duration = Duration::from_secs(24 * 60 * 60);

/// Failures at one name, from strangers, after which its lock holds all of them, not only those
/// that failed at it: otherwise every fresh address would get a guess, and a botnet has many. (NIST SP 800-63B allows at most 100 consecutive failures per account.)
pub const NAME_FAILURES_CAP: u32 = 100;

const _: () = assert!(FORGET_AFTER.as_secs() > MAX_LOCK.as_secs());
const _: () = assert!(NAME_FAILURES_CAP > FREE_ATTEMPTS);

/// One subject's failed sign-ins, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Failures {
    pub count: u32,
    /// Unix milliseconds.
    pub last_at: i64,
}

/// What one sign-in attempt comes to for one subject.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Locked for this long; nothing changes.
    Locked(Duration),
    /// The password may be checked. The attempt is counted as a failure *before* the check (the
    /// subject's failures become these), and a correct password then clears them: so parallel
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

    /// Not yet forgotten at `now`.
    fn remembered(self, now: i64) -> bool {
        now.saturating_sub(self.last_at) < millis(FORGET_AFTER)
    }
}

/// An attempt at `now` (Unix milliseconds) by a subject whose failures so far are `current`: its
/// own lock, or the attempt counted.
pub fn attempt(current: Option<Failures>, now: i64) -> Attempt {
    if let Some(until) = current.and_then(Failures::locked_until) {
        if until > now {
            return Attempt::Locked(Duration::from_millis((until - now).unsigned_abs()));
        }
    }
    Attempt::Counted(counted(current, now))
}

/// One more failure, at `now`.
fn counted(current: Option<Failures>, now: i64) -> Failures {
    let count = current
        .filter(|failures| failures.remembered(now))
        .map_or(0, |failures| failures.count);
    Failures {
        count: count.saturating_add(1),
        last_at: now,
    }
}

/// Whether a subject with these failures has failed (recently enough to be remembered).
pub fn has_failed(current: Option<Failures>, now: i64) -> bool {
    current.is_some_and(|failures| failures.remembered(now))
}

/// An attempt at a name whose failures so far are `current`, by a stranger that had failed at it
/// before (`client_failed`) or not. The name's lock holds the
/// former always and the latter only once the name reached [`NAME_FAILURES_CAP`]; either way a
/// checked attempt is counted against the name.
pub fn attempt_at_name(current: Option<Failures>, now: i64, client_failed: bool) -> Attempt {
    let capped = current
        .is_some_and(|failures| failures.remembered(now) && failures.count >= NAME_FAILURES_CAP);
    if client_failed || capped {
        attempt(current, now)
    } else {
        Attempt::Counted(counted(current, now))
    }
}

/// An attempt at a name by a stranger, with its failures at the name and the name's: its own lock,
/// then the name's where that holds it; or both counted. (The store applies the two halves to their rows one after the other.)
pub fn stranger_attempt(
    client: Option<Failures>,
    name: Option<Failures>,
    now: i64,
) -> Result<(Failures, Failures), Duration> {
    let client_next = match attempt(client, now) {
        Attempt::Locked(wait) => return Err(wait),
        Attempt::Counted(next) => next,
    };
    match attempt_at_name(name, now, has_failed(client, now)) {
        Attempt::Locked(wait) => Err(wait),
        Attempt::Counted(name_next) => Ok((client_next, name_next)),
    }
}

/// Rows whose last failure is older than this (Unix milliseconds) hold no lock and may go.
pub fn forget_before(now: i64) -> i64 {
    now.saturating_sub(millis(FORGET_AFTER))
}

/// The key a name's row is stored under.
pub fn key(name: &str) -> String {
    name.to_lowercase()
}

/// The key of a client's row for its attempts at `name`: `address ADDRESS NAME`, the address as
/// the rate limits key it (an IPv6 client by its /64).
pub fn address_key(client: ClientKey, name: &UserName) -> String {
    format!("address {client} {}", key(name.as_str()))
}

/// The key of a known browser's row: `device NONCE`.
pub fn device_key(device: &KnownDevice) -> String {
    format!("device {}", device.id())
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

    #[test]
    fn a_clients_row_is_keyed_by_its_address_and_the_name() {
        use std::net::IpAddr;
        let client = |ip: &str| {
            ClientKey::from(app::ports::ClientIp(
                ip.parse::<IpAddr>().expect("an address"),
            ))
        };
        let ada = UserName::parse(" Ada ").expect("a name");
        assert_eq!(
            address_key(client("192.0.2.7"), &ada),
            "address 192.0.2.7 ada"
        );
        assert_eq!(
            address_key(client("2001:db8:1:2:ffff::9"), &ada),
            "address 2001:db8:1:2:: ada",
            "an IPv6 client by its /64"
        );
    }

    /// One name and the strangers that try it, applying attempts the way the store does.
    #[derive(Default)]
    struct Hammered {
        name: Option<Failures>,
        clients: std::collections::HashMap<u32, Failures>,
    }

    impl Hammered {
        fn try_from(&mut self, client: u32, now: i64) -> Result<(), Duration> {
            let before = self.clients.get(&client).copied();
            let (client_after, name_after) = stranger_attempt(before, self.name, now)?;
            self.clients.insert(client, client_after);
            self.name = Some(name_after);
            Ok(())
        }

        /// The password was right: the client and the name start afresh.
        fn succeed_from(&mut self, client: u32) {
            self.clients.remove(&client);
            self.name = None;
        }
    }

    #[test]
    fn a_client_that_never_failed_at_a_locked_name_still_gets_its_try() {
        let mut ada = Hammered::default();
        for client in 1..=FREE_ATTEMPTS {
            assert_eq!(ada.try_from(client, 0), Ok(()));
        }
        assert_eq!(
            ada.try_from(1, 0),
            Err(FIRST_LOCK),
            "a client that failed is held to the name's lock"
        );
        assert_eq!(ada.try_from(99, 0), Ok(()), "one that never failed is not");
        assert!(ada.try_from(99, 0).is_err(), "once it did, it is");
    }

    #[test]
    fn a_clients_own_failures_lock_it_whatever_the_name() {
        let mut ada = Hammered::default();
        for _ in 0..FREE_ATTEMPTS {
            assert_eq!(ada.try_from(1, 0), Ok(()));
        }
        ada.succeed_from(2);
        assert_eq!(ada.try_from(1, 0), Err(FIRST_LOCK));
        assert_eq!(ada.try_from(3, 0), Ok(()));
    }

    #[test]
    fn once_the_name_reaches_the_cap_its_lock_holds_every_stranger() {
        let mut ada = Hammered::default();
        for client in 0..NAME_FAILURES_CAP {
            assert_eq!(ada.try_from(client, 0), Ok(()), "client {client}");
        }
        assert_eq!(ada.try_from(NAME_FAILURES_CAP, 0), Err(MAX_LOCK));
        assert_eq!(
            ada.try_from(NAME_FAILURES_CAP, millis(MAX_LOCK)),
            Ok(()),
            "each lock ends, for one more try"
        );
        assert!(ada
            .try_from(NAME_FAILURES_CAP + 1, millis(MAX_LOCK))
            .is_err());
    }

    #[test]
    fn guesses_at_a_name_stay_bounded_however_many_addresses_try() {
        // A new address every second for a day, and the attack besides: 1,000 guesses a
        // minute from 50 addresses.
        let mut ada = Hammered::default();
        let day = 24 * 60 * 60;
        let mut checked = 0_u32;
        for second in 0..day {
            let now = second * SECOND;
            let fresh = 1_000 + u32::try_from(second).expect("a day of seconds");
            checked += u32::from(ada.try_from(fresh, now).is_ok());
            for guess in 0..17 {
                let address = u32::try_from((second * 17 + guess) % 50).expect("small");
                checked += u32::from(ada.try_from(address, now + guess).is_ok());
            }
        }
        let lock_ends =
            u32::try_from(millis(Duration::from_secs(86_400)) / millis(MAX_LOCK)).expect("small");
        assert!(
            checked <= NAME_FAILURES_CAP + lock_ends + 1,
            "{checked} passwords checked in a day"
        );
    }
}
