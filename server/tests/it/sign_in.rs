//! The sign-in lock against password guessing, and why it cannot be turned against the user:
//! counted in the database, exact under parallel guesses, shared by instances on one database,
//! never pushed out by made-up names; while a name is hammered, the right password still gets in
//! from a browser that signed in before (its device cookie) and from a client that never failed
//! at the name; and guesses at a name stay bounded however many addresses take part.

use app::api::auth::Logout;
use app::domain::{Role, UserName};
use app::ports::{Accounts, ClientIp, DeviceToken, SignIn, SignInAttempt};
use futures_util::future::join_all;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::backend::Store;
use server::db::Db;
use server::security::limits::{LimitSettings, Limits};
use server::security::session::SessionKey;
use server::security::throttle::{FREE_ATTEMPTS, NAME_FAILURES_CAP};
use server::testing::{TestOptions, TestResponse, TestStore};
use server::{app_tests, engine_tests};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const ADA_PASSWORD: &str = "correct horse battery";
const ADMIN_PASSWORD: &str = "demo-admin-pass";
/// Where the admin signs in from in these stories.
const ADMIN_BROWSER: &str = "203.0.113.7";
const DEVICE_COOKIE: &str = "flowshare_device";

fn name(text: &str) -> UserName {
    UserName::parse(text).expect("a user name")
}

fn address(text: &str) -> ClientIp {
    ClientIp(text.parse().expect("an IP address"))
}

async fn with_ada(store: &Store) {
    store
        .accounts
        .add_user(&name("ada"), Role::Publisher, ADA_PASSWORD)
        .await
        .expect("ada added");
}

/// A sign-in at the store, as the login server function makes it (with no rate limits), from
/// `client` with the device cookie `device` when given.
async fn sign_in(
    store: &Store,
    who: &str,
    password: &str,
    client: &str,
    device: Option<&DeviceToken>,
) -> SignIn {
    let who = name(who);
    let attempt = SignInAttempt {
        name: &who,
        password,
        client: address(client),
        device,
    };
    store
        .accounts
        .log_in(attempt, &Limits::new(LimitSettings::OFF))
        .await
        .expect("answered")
}

/// Another server instance on the same database: its own pool, its own memory.
async fn second_instance(test: &TestStore) -> Store {
    let db = Db::connect(&test.url).await.expect("connect again");
    Store::new(
        db,
        SessionKey::from_secret("test secret"),
        Duration::from_secs(60),
    )
}

fn is_locked(outcome: &SignIn) -> bool {
    matches!(outcome, SignIn::Locked { retry_after_seconds } if *retry_after_seconds > 0)
}

/// The device cookie a welcome hands out.
fn device_of(outcome: SignIn) -> DeviceToken {
    match outcome {
        SignIn::Welcome { device, .. } => device,
        other => panic!("not welcome: {other:?}"),
    }
}

engine_tests!(
    a_lock_made_on_one_instance_holds_on_another,
    |&test| async move {
        let one = &test.store;
        with_ada(one).await;
        let other = second_instance(test).await;
        for _ in 0..FREE_ATTEMPTS {
            let outcome = sign_in(one, "ada", "wrong", "192.0.2.1", None).await;
            assert!(matches!(outcome, SignIn::Refused), "{outcome:?}");
        }
        let elsewhere = sign_in(&other, "ADA", ADA_PASSWORD, "192.0.2.1", None).await;
        assert!(is_locked(&elsewhere), "{elsewhere:?}");
        other.db().close().await;
    }
);

engine_tests!(
    a_known_browsers_lock_made_on_one_instance_holds_on_another,
    |&test| async move {
        let one = &test.store;
        with_ada(one).await;
        let other = second_instance(test).await;
        let device = device_of(sign_in(one, "ada", ADA_PASSWORD, "192.0.2.1", None).await);
        for _ in 0..FREE_ATTEMPTS {
            let outcome = sign_in(&other, "ada", "wrong", "192.0.2.1", Some(&device)).await;
            assert!(matches!(outcome, SignIn::Refused), "{outcome:?}");
        }
        let back = sign_in(one, "ada", ADA_PASSWORD, "192.0.2.1", Some(&device)).await;
        assert!(is_locked(&back), "{back:?}");
        other.db().close().await;
    }
);

engine_tests!(
    parallel_guesses_get_no_more_tries_than_sequential_ones,
    |&test| async move {
        let store = test.store.clone().with_sign_in_slots(64);
        with_ada(&store).await;
        let guesses = (0..40).map(|_| {
            let store = store.clone();
            tokio::spawn(async move { sign_in(&store, "ada", "wrong", "192.0.2.1", None).await })
        });
        let mut outcomes = Vec::new();
        for guess in guesses.collect::<Vec<_>>() {
            outcomes.push(guess.await.expect("joined"));
        }
        let checked = outcomes
            .iter()
            .filter(|o| matches!(o, SignIn::Refused))
            .count();
        assert_eq!(checked, FREE_ATTEMPTS as usize, "{outcomes:?}");
        assert!(outcomes
            .iter()
            .all(|o| matches!(o, SignIn::Refused) || is_locked(o)));
    }
);

engine_tests!(made_up_names_never_push_a_lock_out, |&test| async move {
    let store = &test.store;
    with_ada(store).await;
    for _ in 0..FREE_ATTEMPTS {
        sign_in(store, "ada", "wrong", "192.0.2.1", None).await;
    }
    // 10,000 made-up names failed just now (the old in-memory throttle forgot everything at 10,000).
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64;
    let fill = "INSERT INTO sign_in_failures (name, failures, last_failure_at) \
                SELECT 'made-up-' || n, 1, $1 FROM (WITH RECURSIVE seq(n) AS \
                (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 10000) SELECT n FROM seq) AS s";
    match store.db() {
        Db::Sqlite(pool) => sqlx::query(fill).bind(now).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(fill).bind(now).execute(pool).await.map(|_| ()),
    }
    .expect("made-up names");
    // A successful sign-in (which tidies the table) changes nothing for ada either.
    store
        .accounts
        .add_user(&name("grace"), Role::Viewer, "another long password")
        .await
        .expect("grace added");
    let grace = sign_in(store, "grace", "another long password", "192.0.2.1", None).await;
    assert!(matches!(grace, SignIn::Welcome { .. }), "{grace:?}");
    let ada = sign_in(store, "ada", ADA_PASSWORD, "192.0.2.1", None).await;
    assert!(is_locked(&ada), "{ada:?}");
});

engine_tests!(the_right_password_clears_the_failures, |&test| async move {
    let store = &test.store;
    with_ada(store).await;
    for _ in 0..FREE_ATTEMPTS - 1 {
        sign_in(store, "ada", "wrong", "192.0.2.1", None).await;
    }
    let welcome = sign_in(store, "ada", ADA_PASSWORD, "192.0.2.1", None).await;
    assert!(matches!(welcome, SignIn::Welcome { .. }), "{welcome:?}");
    for _ in 0..FREE_ATTEMPTS - 1 {
        let outcome = sign_in(store, "ada", "wrong", "192.0.2.1", None).await;
        assert!(
            matches!(outcome, SignIn::Refused),
            "counting began again: {outcome:?}"
        );
    }
});

/// The issue's own numbers, with the default rate limits.
fn default_limits() -> TestOptions {
    TestOptions {
        limits: LimitSettings::default(),
        ..TestOptions::default()
    }
}

fn signed_in(response: &TestResponse) -> bool {
    response.cookie("flowshare_session").is_some()
}

fn locked(response: &TestResponse) -> bool {
    response.status == StatusCode::TOO_MANY_REQUESTS && response.body.contains("SignInLocked")
}

/// How many guesses at `who` had their password checked: the name's count.
async fn checked_at(app: &server::testing::TestApp, who: &str) -> i64 {
    app.test_store
        .scalar(&format!(
            "SELECT COALESCE(MAX(failures), 0) FROM sign_in_failures WHERE name = '{who}'"
        ))
        .await
}

app_tests!(
    a_known_browser_signs_in_at_once_during_a_thousand_guesses_a_minute_from_fifty_addresses,
    default_limits(),
    |app| async move {
        let first = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, None)
            .await;
        let device = first
            .cookie(DEVICE_COOKIE)
            .expect("the browser is known from now on");
        let guesses_made = AtomicUsize::new(0);
        let started = Instant::now();
        let attacker = |n: usize| {
            let (app, guesses_made) = (&app, &guesses_made);
            async move {
                let client = format!("198.51.100.{n}");
                let mut answers = Vec::new();
                for _ in 0..20 {
                    answers.push(app.sign_in(&client, "admin", "guess", None).await);
                    guesses_made.fetch_add(1, Ordering::Relaxed);
                }
                answers
            }
        };
        // The admin signs in from the known browser as the flood starts, in its middle and near
        // its end: each time on the first try.
        let admin = async {
            let mut sign_ins = Vec::new();
            for after in [50, 500, 950] {
                while guesses_made.load(Ordering::Relaxed) < after {
                    tokio::task::yield_now().await;
                }
                let response = app
                    .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, Some(&device))
                    .await;
                sign_ins.push((after, response));
            }
            sign_ins
        };
        let (flood, sign_ins) = tokio::join!(join_all((1..=50).map(attacker)), admin);
        let took = started.elapsed();
        for (after, response) in &sign_ins {
            assert!(signed_in(response), "after {after} guesses: {response:?}");
        }
        let answers: Vec<TestResponse> = flood.into_iter().flatten().collect();
        assert_eq!(answers.len(), 1_000);
        assert!(
            took < Duration::from_secs(60),
            "1,000 guesses took {took:?}, not under a minute"
        );
        assert!(answers.iter().all(|a| !signed_in(a)));
        // Each address got its one try as a client that never failed (some first heard "busy":
        // fifty at once are more than the password-checking slots); after that, the name's lock
        // (or a rate limit) held it. Nothing else was checked.
        let checked = answers
            .iter()
            .filter(|a| a.status == StatusCode::UNAUTHORIZED)
            .count();
        assert!(
            checked <= 50 + FREE_ATTEMPTS as usize,
            "{checked} passwords checked"
        );
        assert!(answers.iter().all(|a| [
            StatusCode::UNAUTHORIZED,
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE
        ]
        .contains(&a.status)));
        assert_eq!(checked_at(&app, "admin").await, checked as i64);
    }
);

app_tests!(
    a_client_that_never_failed_gets_in_while_the_name_is_hammered_from_elsewhere,
    default_limits(),
    |app| async move {
        for round in 0..10 {
            for n in 1..=10 {
                let guess = app
                    .sign_in(&format!("198.51.100.{n}"), "admin", "guess", None)
                    .await;
                assert!(!signed_in(&guess), "round {round}: {guess:?}");
            }
        }
        let guesser = app
            .sign_in("198.51.100.1", "admin", ADMIN_PASSWORD, None)
            .await;
        assert!(
            locked(&guesser),
            "an address that failed is held, right password or not: {guesser:?}"
        );
        let newcomer = app
            .sign_in("192.0.2.200", "admin", ADMIN_PASSWORD, None)
            .await;
        assert!(signed_in(&newcomer), "{newcomer:?}");
    }
);

app_tests!(
    guesses_at_a_name_stay_bounded_however_many_addresses_take_part,
    |app| async move {
        let device = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, None)
            .await
            .cookie(DEVICE_COOKIE)
            .expect("a known browser");
        let addresses = NAME_FAILURES_CAP + 50;
        let mut checked = 0;
        for n in 0..addresses {
            let client = format!("10.0.{}.{}", n / 250, n % 250 + 1);
            let guess = app.sign_in(&client, "admin", "guess", None).await;
            checked += u32::from(guess.status == StatusCode::UNAUTHORIZED);
        }
        assert_eq!(
            checked, NAME_FAILURES_CAP,
            "every address had never failed, yet only so many were checked"
        );
        assert_eq!(
            checked_at(&app, "admin").await,
            i64::from(NAME_FAILURES_CAP)
        );
        let newcomer = app
            .sign_in("192.0.2.200", "admin", ADMIN_PASSWORD, None)
            .await;
        assert!(
            locked(&newcomer),
            "past the cap the lock holds every stranger: {newcomer:?}"
        );
        let known = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, Some(&device))
            .await;
        assert!(signed_in(&known), "{known:?}");
    }
);

app_tests!(
    a_known_browsers_own_failures_lock_that_browser_alone,
    |app| async move {
        let cookie_of = |response: TestResponse| response.cookie(DEVICE_COOKIE).expect("known");
        let laptop = cookie_of(
            app.sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, None)
                .await,
        );
        let phone = cookie_of(
            app.sign_in("192.0.2.50", "admin", ADMIN_PASSWORD, None)
                .await,
        );
        for _ in 0..FREE_ATTEMPTS {
            let wrong = app
                .sign_in(ADMIN_BROWSER, "admin", "typo", Some(&laptop))
                .await;
            assert_eq!(wrong.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        }
        let laptop_again = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, Some(&laptop))
            .await;
        assert!(locked(&laptop_again), "{laptop_again:?}");
        assert_eq!(
            checked_at(&app, "admin").await,
            0,
            "the name was not touched"
        );
        let on_phone = app
            .sign_in("192.0.2.50", "admin", ADMIN_PASSWORD, Some(&phone))
            .await;
        assert!(signed_in(&on_phone), "{on_phone:?}");
        let stranger = app
            .sign_in("192.0.2.51", "admin", ADMIN_PASSWORD, None)
            .await;
        assert!(signed_in(&stranger), "{stranger:?}");
    }
);

app_tests!(
    a_device_cookie_counts_only_for_its_name_and_only_as_issued,
    |app| async move {
        let admins = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, None)
            .await
            .cookie(DEVICE_COOKIE)
            .expect("known");
        let guesser = "198.51.100.9";
        for who in ["viewer", "admin"] {
            for _ in 0..FREE_ATTEMPTS {
                app.sign_in(guesser, who, "guess", None).await;
            }
        }
        // The admin's cookie, stolen, is no device cookie for the viewer.
        let viewer = app
            .sign_in(guesser, "viewer", "demo-viewer-pass", Some(&admins))
            .await;
        assert!(locked(&viewer), "{viewer:?}");
        // Nor is a changed one for the admin.
        let (cookie_name, value) = admins.split_once('=').expect("name=value");
        let last = value.chars().last().expect("a value");
        let changed = if last == 'A' { 'B' } else { 'A' };
        let forged = format!("{cookie_name}={}{changed}", &value[..value.len() - 1]);
        let forged_in = app
            .sign_in(guesser, "admin", ADMIN_PASSWORD, Some(&forged))
            .await;
        assert!(locked(&forged_in), "{forged_in:?}");
        // As issued, it gets the admin in even from the guesser's address.
        let admin = app
            .sign_in(guesser, "admin", ADMIN_PASSWORD, Some(&admins))
            .await;
        assert!(signed_in(&admin), "{admin:?}");
    }
);

app_tests!(
    signing_in_makes_the_browser_known_with_a_long_lived_http_only_same_site_cookie,
    |app| async move {
        let response = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, None)
            .await;
        let set = response.set_cookie(DEVICE_COOKIE).expect("a device cookie");
        assert!(
            set.ends_with("; Path=/; HttpOnly; SameSite=Lax; Max-Age=31536000"),
            "{set}"
        );
        // Signing out ends the session, not the browser's standing.
        let session = response.cookie("flowshare_session").expect("a session");
        let out = app.call(Logout::PATH, &[], Some(&session)).await;
        assert!(out.set_cookie(DEVICE_COOKIE).is_none(), "{out:?}");
    }
);

app_tests!(
    over_https_the_device_cookie_is_host_prefixed_and_secure,
    TestOptions {
        https: true,
        ..TestOptions::default()
    },
    |app| async move {
        let response = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, None)
            .await;
        let set = response
            .set_cookie("__Host-flowshare_device")
            .expect("a device cookie");
        assert!(
            set.contains("; Path=/;") && set.ends_with("; Secure") && !set.contains("Domain"),
            "{set}"
        );
        // The same value under the unprefixed name (as a sibling subdomain could plant it) is none.
        let prefixed = response
            .cookie("__Host-flowshare_device")
            .expect("a device cookie");
        let planted = prefixed.replacen("__Host-", "", 1);
        for _ in 0..FREE_ATTEMPTS {
            app.sign_in(ADMIN_BROWSER, "admin", "typo", None).await;
        }
        let with_planted = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, Some(&planted))
            .await;
        assert!(locked(&with_planted), "{with_planted:?}");
        let with_real = app
            .sign_in(ADMIN_BROWSER, "admin", ADMIN_PASSWORD, Some(&prefixed))
            .await;
        assert!(
            with_real.cookie("__Host-flowshare_session").is_some(),
            "{with_real:?}"
        );
    }
);
