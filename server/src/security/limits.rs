//! Rate limits: how often one client (or one link, one user name, one console user) may do
//! something before the server answers 429 with `Retry-After`. Each budget is a GCRA bucket from
//! `governor`, kept in this instance's memory: they shed floods before they reach the database, so
//! they need to be fast more than shared. (The sign-in *lock*, which must hold across instances,
//! lives in the database: see `throttle`.)

use app::domain::limits::RateLimit;
use app::domain::link::LinkId;
use app::domain::{UserName, UserView};
use app::ports::{ClientIp, Limited, RateLimits};
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// "How many per how long", as an operator writes it: `30/min`, `5/s`, `100/h`, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub count: NonZeroU32,
    pub per: Duration,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a rate: write COUNT/UNIT with a whole COUNT of at least 1 and UNIT s, min or h (as in 30/min), or off")]
pub struct RateError(String);

impl Rate {
    /// `None` for `off`.
    pub fn parse(text: &str) -> Result<Option<Self>, RateError> {
        let refuse = || RateError(text.to_owned());
        let text = text.trim();
        if text.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        let (count, unit) = text.split_once('/').ok_or_else(refuse)?;
        let count = count.trim().parse::<NonZeroU32>().map_err(|_| refuse())?;
        let per = match unit.trim() {
            "s" | "sec" | "second" => Duration::from_secs(1),
            "min" | "minute" => Duration::from_secs(60),
            "h" | "hour" => Duration::from_secs(3_600),
            _ => return Err(refuse()),
        };
        Ok(Some(Self { count, per }))
    }

    /// A burst of `count`, refilled evenly over `per`: 30/min allows 30 at once, then one every 2 s.
    fn quota(self) -> Quota {
        let every = self.per / self.count.get();
        Quota::with_period(every.max(Duration::from_nanos(1)))
            .unwrap_or_else(|| Quota::per_second(self.count))
            .allow_burst(self.count)
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let unit = match self.per.as_secs() {
            1 => "s",
            60 => "min",
            _ => "h",
        };
        write!(f, "{}/{unit}", self.count)
    }
}

/// Every budget, each `None` when switched off. The defaults let a person (or a busy office
/// behind one address) work normally and stop a script; README.md's security section explains them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitSettings {
    pub run_starts_per_ip: Option<Rate>,
    pub run_moves_per_ip: Option<Rate>,
    pub run_starts_per_link: Option<Rate>,
    pub short_link_misses_per_ip: Option<Rate>,
    pub sign_ins_per_ip: Option<Rate>,
    pub sign_ins_per_name: Option<Rate>,
    pub link_generations_per_user: Option<Rate>,
}

impl LimitSettings {
    pub const DEFAULT_RUN_STARTS_PER_IP: &str = "60/min";
    /// Two moves a second, in bursts of 120: far beyond anyone reading and answering steps (a
    /// call centre's NAT included), far below a script's thousand writes a second.
    pub const DEFAULT_RUN_MOVES_PER_IP: &str = "120/min";
    pub const DEFAULT_RUN_STARTS_PER_LINK: &str = "600/min";
    pub const DEFAULT_SHORT_LINK_MISSES_PER_IP: &str = "30/min";
    pub const DEFAULT_SIGN_INS_PER_IP: &str = "30/min";
    pub const DEFAULT_SIGN_INS_PER_NAME: &str = "10/min";
    pub const DEFAULT_LINK_GENERATIONS_PER_USER: &str = "120/min";

    /// Nothing limited (benchmarks, and tests about something else).
    pub const OFF: Self = Self {
        run_starts_per_ip: None,
        run_moves_per_ip: None,
        run_starts_per_link: None,
        short_link_misses_per_ip: None,
        sign_ins_per_ip: None,
        sign_ins_per_name: None,
        link_generations_per_user: None,
    };
}

impl Default for LimitSettings {
    fn default() -> Self {
        let rate = |text| Rate::parse(text).ok().flatten();
        Self {
            run_starts_per_ip: rate(Self::DEFAULT_RUN_STARTS_PER_IP),
            run_moves_per_ip: rate(Self::DEFAULT_RUN_MOVES_PER_IP),
            run_starts_per_link: rate(Self::DEFAULT_RUN_STARTS_PER_LINK),
            short_link_misses_per_ip: rate(Self::DEFAULT_SHORT_LINK_MISSES_PER_IP),
            sign_ins_per_ip: rate(Self::DEFAULT_SIGN_INS_PER_IP),
            sign_ins_per_name: rate(Self::DEFAULT_SIGN_INS_PER_NAME),
            link_generations_per_user: rate(Self::DEFAULT_LINK_GENERATIONS_PER_USER),
        }
    }
}

/// A client's budget key: its IPv4 address, or its IPv6 /64 (one subscriber usually holds a whole
/// /64, so per-address budgets would be endless). The sign-in lock counts clients' failures by it
/// too; shown as the address (for a /64, its first address: `2001:db8:1:2::`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientKey(IpAddr);

impl std::fmt::Display for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl From<ClientIp> for ClientKey {
    fn from(ClientIp(ip): ClientIp) -> Self {
        match ip.to_canonical() {
            IpAddr::V6(v6) => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                Self(IpAddr::V6(prefix.into()))
            }
            v4 => Self(v4),
        }
    }
}

/// One budget per key.
struct Budget<K: Hash + Eq + Clone> {
    limit: RateLimit,
    limiter: DefaultKeyedRateLimiter<K>,
}

impl<K: Hash + Eq + Clone> Budget<K> {
    fn new(limit: RateLimit, rate: Option<Rate>, clock: &DefaultClock) -> Option<Self> {
        rate.map(|rate| Self {
            limit,
            limiter: RateLimiter::dashmap_with_clock(rate.quota(), clock.clone()),
        })
    }
}

/// The limiters of one server instance.
pub struct Limits {
    clock: DefaultClock,
    run_starts_per_ip: Option<Budget<ClientKey>>,
    run_starts_per_link: Option<Budget<LinkId>>,
    run_moves_per_ip: Option<Budget<ClientKey>>,
    short_link_misses_per_ip: Option<Budget<ClientKey>>,
    sign_ins_per_ip: Option<Budget<ClientKey>>,
    sign_ins_per_name: Option<Budget<String>>,
    link_generations_per_user: Option<Budget<String>>,
    /// Clients whose misses ran out, until when: they get 429 for every short code, hits too, or
    /// a guesser would still learn each hit at full speed.
    guessing: Mutex<HashMap<ClientKey, Instant>>,
    /// Whether anyone may be barred: every short-link open reads this instead of taking the lock.
    anyone_barred: AtomicBool,
    /// What one more miss adds to a bar: misses sent in parallel before the bar was up each
    /// still count, so probing many codes at once buys no speed.
    miss_interval: Duration,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Limits(…)")
    }
}

impl Limits {
    pub fn new(settings: LimitSettings) -> Self {
        let clock = DefaultClock::default();
        Self {
            run_starts_per_ip: Budget::new(
                RateLimit::RunStarts,
                settings.run_starts_per_ip,
                &clock,
            ),
            run_starts_per_link: Budget::new(
                RateLimit::RunStarts,
                settings.run_starts_per_link,
                &clock,
            ),
            run_moves_per_ip: Budget::new(RateLimit::RunMoves, settings.run_moves_per_ip, &clock),
            short_link_misses_per_ip: Budget::new(
                RateLimit::ShortLinkMisses,
                settings.short_link_misses_per_ip,
                &clock,
            ),
            sign_ins_per_ip: Budget::new(RateLimit::SignIns, settings.sign_ins_per_ip, &clock),
            sign_ins_per_name: Budget::new(RateLimit::SignIns, settings.sign_ins_per_name, &clock),
            link_generations_per_user: Budget::new(
                RateLimit::LinkGenerations,
                settings.link_generations_per_user,
                &clock,
            ),
            guessing: Mutex::default(),
            anyone_barred: AtomicBool::new(false),
            miss_interval: settings
                .short_link_misses_per_ip
                .map_or(Duration::ZERO, |rate| rate.per / rate.count.get()),
            clock,
        }
    }

    /// Takes one try from `budget` for `key`, or says how long until one is free.
    fn take<K: Hash + Eq + Clone>(
        &self,
        budget: &Option<Budget<K>>,
        key: &K,
    ) -> Result<(), Limited> {
        let Some(budget) = budget else {
            return Ok(());
        };
        budget.limiter.check_key(key).map_err(|not_until| {
            crate::metrics::rate_limited(budget.limit);
            Limited {
                limit: budget.limit,
                retry_after_seconds: whole_seconds(not_until.wait_time_from(self.clock.now())),
            }
        })
    }

    /// `count` link generations at once by `user` (an API batch). More than the whole budget at
    /// once takes all of it.
    pub fn link_generations(&self, user: &UserView, count: u32) -> Result<(), Limited> {
        let Some(budget) = &self.link_generations_per_user else {
            return Ok(());
        };
        let count = std::num::NonZeroU32::new(count).unwrap_or(std::num::NonZeroU32::MIN);
        let outcome = match budget.limiter.check_key_n(&user.name, count) {
            Ok(outcome) => outcome,
            Err(governor::InsufficientCapacity(all)) => {
                let all = std::num::NonZeroU32::new(all).unwrap_or(std::num::NonZeroU32::MIN);
                budget
                    .limiter
                    .check_key_n(&user.name, all)
                    .unwrap_or(Ok(()))
            }
        };
        outcome.map_err(|not_until| {
            crate::metrics::rate_limited(budget.limit);
            Limited {
                limit: budget.limit,
                retry_after_seconds: whole_seconds(not_until.wait_time_from(self.clock.now())),
            }
        })
    }

    fn guessing(&self) -> std::sync::MutexGuard<'_, HashMap<ClientKey, Instant>> {
        // A poisoned lock only means a panic elsewhere mid-update; the map is still usable.
        self.guessing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Before resolving a short code: refused while this client is barred for guessing.
    pub fn short_link_allowed(&self, client: ClientIp) -> Result<(), Limited> {
        if !self.anyone_barred.load(Ordering::Acquire) {
            return Ok(());
        }
        let key = ClientKey::from(client);
        let now = Instant::now();
        match self.guessing().get(&key) {
            Some(&until) if until > now => {
                crate::metrics::rate_limited(RateLimit::ShortLinkMisses);
                Err(Limited {
                    limit: RateLimit::ShortLinkMisses,
                    retry_after_seconds: whole_seconds(until - now),
                })
            }
            _ => Ok(()),
        }
    }

    /// A short code led nowhere: one miss taken from the client's budget. When none is left the
    /// client is barred from every short code until the next is free, and each further miss
    /// (sent before the bar was up) pushes the bar out by one more interval.
    pub fn short_link_missed(&self, client: ClientIp) -> Result<(), Limited> {
        let key = ClientKey::from(client);
        self.take(&self.short_link_misses_per_ip, &key)
            .map_err(|limited| {
                let now = Instant::now();
                let free = now + Duration::from_secs(limited.retry_after_seconds);
                let mut guessing = self.guessing();
                self.anyone_barred.store(true, Ordering::Release);
                let until = guessing.entry(key).or_insert(free);
                *until = (*until).max(free) + self.miss_interval;
                Limited {
                    retry_after_seconds: whole_seconds(*until - now),
                    ..limited
                }
            })
    }

    /// Drops what no budget needs any more (full buckets, ended bars): called every minute, so
    /// memory follows the clients of the last minutes, not every client ever seen.
    pub fn forget_idle(&self) {
        fn shrink<K: Hash + Eq + Clone>(budget: &Option<Budget<K>>) {
            if let Some(budget) = budget {
                budget.limiter.retain_recent();
                budget.limiter.shrink_to_fit();
            }
        }
        shrink(&self.run_starts_per_ip);
        shrink(&self.run_starts_per_link);
        shrink(&self.run_moves_per_ip);
        shrink(&self.short_link_misses_per_ip);
        shrink(&self.sign_ins_per_ip);
        shrink(&self.sign_ins_per_name);
        shrink(&self.link_generations_per_user);
        let now = Instant::now();
        let mut guessing = self.guessing();
        guessing.retain(|_, until| *until > now);
        if guessing.is_empty() {
            self.anyone_barred.store(false, Ordering::Release);
        }
    }

    /// How many keys all budgets hold (for tests of `forget_idle`).
    pub fn keys_held(&self) -> usize {
        fn held<K: Hash + Eq + Clone>(budget: &Option<Budget<K>>) -> usize {
            budget.as_ref().map_or(0, |b| b.limiter.len())
        }
        held(&self.run_starts_per_ip)
            + held(&self.run_starts_per_link)
            + held(&self.run_moves_per_ip)
            + held(&self.short_link_misses_per_ip)
            + held(&self.sign_ins_per_ip)
            + held(&self.sign_ins_per_name)
            + held(&self.link_generations_per_user)
            + self.guessing().len()
    }
}

/// Whole seconds, rounded up: "try again in 0 seconds" would be a lie.
fn whole_seconds(wait: Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

impl RateLimits for Limits {
    fn run_start_from(&self, client: ClientIp) -> Result<(), Limited> {
        self.take(&self.run_starts_per_ip, &ClientKey::from(client))
    }

    fn run_start_of(&self, link: &LinkId) -> Result<(), Limited> {
        self.take(&self.run_starts_per_link, link)
    }

    fn run_move_from(&self, client: ClientIp) -> Result<(), Limited> {
        self.take(&self.run_moves_per_ip, &ClientKey::from(client))
    }

    fn sign_in_from(&self, client: ClientIp) -> Result<(), Limited> {
        self.take(&self.sign_ins_per_ip, &ClientKey::from(client))
    }

    fn sign_in_again(&self, name: &UserName) -> Result<(), Limited> {
        self.take(&self.sign_ins_per_name, &name.as_str().to_owned())
    }

    fn link_generation(&self, user: &UserView) -> Result<(), Limited> {
        self.take(&self.link_generations_per_user, &user.name)
    }

    fn bulk_link_generation(&self, user: &UserView, links: usize) -> Result<(), Limited> {
        let units = links.div_ceil(LINKS_PER_BUDGET_UNIT).max(1);
        self.link_generations(user, u32::try_from(units).unwrap_or(u32::MAX))
    }
}

/// Links made at once (an API batch, a bulk upload) that count as one generation against the
/// maker's budget: a batch is far cheaper per link than a call per link.
pub const LINKS_PER_BUDGET_UNIT: usize = 100;

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::Role;
    use std::net::Ipv4Addr;

    fn client(last: u8) -> ClientIp {
        ClientIp(IpAddr::V4(Ipv4Addr::new(192, 0, 2, last)))
    }

    fn rate(text: &str) -> Option<Rate> {
        Rate::parse(text).expect("a rate")
    }

    /// A start as the server makes it: the client's budget, then the link's.
    fn run_start(limits: &Limits, client: ClientIp, link: &LinkId) -> Result<(), Limited> {
        limits.run_start_from(client)?;
        limits.run_start_of(link)
    }

    fn name(text: &str) -> Option<UserName> {
        UserName::parse(text).ok()
    }

    fn link(n: u8) -> LinkId {
        let body = char::from(b'A' + n).to_string().repeat(LinkId::LENGTH - 1);
        LinkId::parse(&format!("{body}A")).expect("a link id")
    }

    #[test]
    fn rates_are_written_as_count_per_unit_or_off() {
        assert_eq!(
            rate("30/min"),
            Some(Rate {
                count: NonZeroU32::new(30).expect("non-zero"),
                per: Duration::from_secs(60)
            })
        );
        assert_eq!(rate(" 5/s "), rate("5/second"));
        assert_eq!(rate("100/h").map(|r| r.to_string()), Some("100/h".into()));
        assert_eq!(rate("off"), None);
        for bad in ["", "30", "0/min", "-1/min", "30/day", "x/min", "30/"] {
            let err = Rate::parse(bad).expect_err(bad);
            assert!(err.to_string().contains("30/min"), "{err}");
        }
    }

    #[test]
    fn the_default_settings_are_all_on() {
        let settings = LimitSettings::default();
        assert!(settings.run_starts_per_ip.is_some());
        assert!(settings.run_moves_per_ip.is_some());
        assert!(settings.run_starts_per_link.is_some());
        assert!(settings.short_link_misses_per_ip.is_some());
        assert!(settings.sign_ins_per_ip.is_some());
        assert!(settings.sign_ins_per_name.is_some());
        assert!(settings.link_generations_per_user.is_some());
    }

    #[test]
    fn a_client_gets_its_burst_then_waits() {
        let limits = Limits::new(LimitSettings {
            run_starts_per_ip: rate("3/h"),
            ..LimitSettings::OFF
        });
        for _ in 0..3 {
            assert_eq!(run_start(&limits, client(1), &link(0)), Ok(()));
        }
        let refused = run_start(&limits, client(1), &link(0)).expect_err("fourth");
        assert_eq!(refused.limit, RateLimit::RunStarts);
        assert!(
            (1_190..=1_200).contains(&refused.retry_after_seconds),
            "one try back every 20 minutes: {refused:?}"
        );
        assert_eq!(
            run_start(&limits, client(2), &link(0)),
            Ok(()),
            "another client has its own budget"
        );
    }

    #[test]
    fn moves_are_budgeted_per_client_apart_from_starts() {
        let limits = Limits::new(LimitSettings {
            run_moves_per_ip: rate("2/min"),
            run_starts_per_ip: rate("100/min"),
            ..LimitSettings::OFF
        });
        for _ in 0..2 {
            assert_eq!(limits.run_move_from(client(1)), Ok(()));
        }
        let refused = limits.run_move_from(client(1)).expect_err("third");
        assert_eq!(refused.limit, RateLimit::RunMoves);
        assert!(
            (1..=30).contains(&refused.retry_after_seconds),
            "one move back every 30 s: {refused:?}"
        );
        assert_eq!(limits.run_move_from(client(2)), Ok(()), "its own budget");
        assert_eq!(
            limits.run_start_from(client(1)),
            Ok(()),
            "starts have theirs"
        );
    }

    #[test]
    fn a_link_has_a_budget_of_its_own_across_clients() {
        let limits = Limits::new(LimitSettings {
            run_starts_per_link: rate("2/h"),
            ..LimitSettings::OFF
        });
        assert_eq!(run_start(&limits, client(1), &link(0)), Ok(()));
        assert_eq!(run_start(&limits, client(2), &link(0)), Ok(()));
        assert!(run_start(&limits, client(3), &link(0)).is_err());
        assert_eq!(run_start(&limits, client(3), &link(1)), Ok(()));
    }

    #[test]
    fn a_client_over_its_budget_does_not_use_up_the_links() {
        let limits = Limits::new(LimitSettings {
            run_starts_per_ip: rate("1/h"),
            run_starts_per_link: rate("2/h"),
            ..LimitSettings::OFF
        });
        assert_eq!(run_start(&limits, client(1), &link(0)), Ok(()));
        for _ in 0..10 {
            assert!(run_start(&limits, client(1), &link(0)).is_err());
        }
        assert_eq!(run_start(&limits, client(2), &link(0)), Ok(()));
    }

    #[test]
    fn ipv6_clients_are_budgeted_per_64_block() {
        let limits = Limits::new(LimitSettings {
            sign_ins_per_ip: rate("1/h"),
            ..LimitSettings::OFF
        });
        let v6 = |s: &str| ClientIp(s.parse().expect("an IPv6 address"));
        assert_eq!(limits.sign_in_from(v6("2001:db8:1:2::1")), Ok(()));
        assert!(limits.sign_in_from(v6("2001:db8:1:2:ffff::9")).is_err());
        assert_eq!(limits.sign_in_from(v6("2001:db8:1:3::1")), Ok(()));
        assert!(
            limits
                .sign_in_from(v6("::ffff:192.0.2.7"))
                .and(limits.sign_in_from(client(7)))
                .is_err(),
            "an IPv4-mapped address is that IPv4 address"
        );
        assert_eq!(
            ClientKey::from(v6("2001:db8:1:2:ffff::9")).to_string(),
            "2001:db8:1:2::",
            "the sign-in lock's rows name the /64 by its first address"
        );
    }

    #[test]
    fn sign_ins_are_budgeted_per_name_however_it_is_spelled() {
        let limits = Limits::new(LimitSettings {
            sign_ins_per_name: rate("3/h"),
            ..LimitSettings::OFF
        });
        let again = |text: &str| limits.sign_in_again(&name(text).expect("a name"));
        assert_eq!(again("Ada"), Ok(()));
        assert_eq!(again(" ADA"), Ok(()));
        assert_eq!(again("ada "), Ok(()));
        let refused = again("  aDa  ").expect_err("fourth");
        assert_eq!(refused.limit, RateLimit::SignIns);
        assert_eq!(again("grace"), Ok(()));
        assert_eq!(limits.keys_held(), 2);
    }

    #[test]
    fn generations_are_budgeted_per_user() {
        let limits = Limits::new(LimitSettings {
            link_generations_per_user: rate("1/h"),
            ..LimitSettings::OFF
        });
        let user = |name: &str| UserView {
            name: name.into(),
            role: Role::Publisher,
        };
        assert_eq!(limits.link_generation(&user("ada")), Ok(()));
        assert_eq!(
            limits.link_generation(&user("ada")).map_err(|l| l.limit),
            Err(RateLimit::LinkGenerations)
        );
        assert_eq!(limits.link_generation(&user("grace")), Ok(()));
    }

    #[test]
    fn misses_sent_in_parallel_before_the_bar_each_push_it_further() {
        let limits = Limits::new(LimitSettings {
            short_link_misses_per_ip: rate("60/min"),
            ..LimitSettings::OFF
        });
        for _ in 0..60 {
            assert_eq!(limits.short_link_missed(client(1)), Ok(()));
        }
        // 100 lookups were already under way when the budget ran out: each costs a second.
        let last = (0..100)
            .map(|_| limits.short_link_missed(client(1)))
            .last()
            .and_then(Result::err)
            .expect("refused");
        assert!((100..=102).contains(&last.retry_after_seconds), "{last:?}");
        let barred = limits.short_link_allowed(client(1)).expect_err("barred");
        assert!(barred.retry_after_seconds >= 100, "{barred:?}");
    }

    #[test]
    fn a_guesser_out_of_misses_is_refused_even_a_real_code() {
        let limits = Limits::new(LimitSettings {
            short_link_misses_per_ip: rate("2/h"),
            ..LimitSettings::OFF
        });
        for _ in 0..2 {
            assert_eq!(limits.short_link_allowed(client(1)), Ok(()));
            assert_eq!(limits.short_link_missed(client(1)), Ok(()));
        }
        assert!(limits.short_link_missed(client(1)).is_err());
        let barred = limits.short_link_allowed(client(1)).expect_err("barred");
        assert_eq!(barred.limit, RateLimit::ShortLinkMisses);
        assert!(barred.retry_after_seconds > 0);
        assert_eq!(limits.short_link_allowed(client(2)), Ok(()));
    }

    #[test]
    fn switched_off_budgets_never_refuse_nor_remember() {
        let limits = Limits::new(LimitSettings::OFF);
        for _ in 0..1_000 {
            assert_eq!(run_start(&limits, client(1), &link(0)), Ok(()));
            assert_eq!(limits.short_link_missed(client(1)), Ok(()));
        }
        assert_eq!(limits.keys_held(), 0);
    }

    #[test]
    fn idle_keys_are_forgotten() {
        let limits = Limits::new(LimitSettings {
            run_starts_per_ip: rate("1000/s"),
            ..LimitSettings::OFF
        });
        for last in 0..=255 {
            assert_eq!(run_start(&limits, client(last), &link(0)), Ok(()));
        }
        assert_eq!(limits.keys_held(), 256);
        // A bucket refills in a millisecond at this rate.
        std::thread::sleep(Duration::from_millis(20));
        limits.forget_idle();
        assert_eq!(limits.keys_held(), 0);
    }
}
