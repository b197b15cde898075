//! The sign-in lock against password guessing, as every instance sees it: counted in the database,
//! exact under parallel guesses, shared by instances on one database (a known browser's lock
//! too), and never pushed out by made-up names.

use app::domain::{Role, UserName};
use app::ports::{Accounts, ClientIp, DeviceToken, SignIn, SignInAttempt};
use server::db::{Db, Store};
use server::security::limits::{LimitSettings, Limits};
use server::security::session::SessionKey;
use server::security::throttle::FREE_ATTEMPTS;
use server::testing::{Engine, TestStore};
use std::time::Duration;

const ADA_PASSWORD: &str = "correct horse battery";

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

/// Runs `scenario` on a fresh store on each engine (PostgreSQL's skipped only when allowed).
macro_rules! on_both_engines {
    ($name:ident, |$test:ident| $body:expr) => {
        mod $name {
            use super::*;

            async fn scenario($test: &TestStore) {
                $body.await
            }

            #[tokio::test]
            async fn sqlite() {
                let test = TestStore::new(Engine::Sqlite).await.expect("sqlite");
                scenario(&test).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(test) = TestStore::new(Engine::Postgres).await {
                    scenario(&test).await;
                    let cleanup = test.cleanup();
                    drop(test);
                    cleanup.run().await;
                }
            }
        }
    };
}

on_both_engines!(
    a_lock_made_on_one_instance_holds_on_another,
    |test| async move {
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

on_both_engines!(
    a_known_browsers_lock_made_on_one_instance_holds_on_another,
    |test| async move {
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

on_both_engines!(
    parallel_guesses_get_no_more_tries_than_sequential_ones,
    |test| async move {
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

on_both_engines!(made_up_names_never_push_a_lock_out, |test| async move {
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

on_both_engines!(the_right_password_clears_the_failures, |test| async move {
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
