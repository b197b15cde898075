//! The sign-in lock against password guessing, as every instance sees it: counted in the database,
//! exact under parallel guesses, shared by instances on one database, and never pushed out by
//! made-up names.

use app::domain::{Role, UserName};
use app::ports::{Accounts, SignIn};
use server::db::{Db, Store};
use server::security::session::SessionKey;
use server::security::throttle::FREE_ATTEMPTS;
use server::testing::{Engine, TestStore};
use std::time::Duration;

fn name(text: &str) -> UserName {
    UserName::parse(text).expect("a user name")
}

async fn with_ada(store: &Store) {
    store
        .accounts
        .add_user(&name("ada"), Role::Publisher, "correct horse battery")
        .await
        .expect("ada added");
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
            let outcome = one
                .accounts
                .log_in(&name("ada"), "wrong")
                .await
                .expect("answered");
            assert!(matches!(outcome, SignIn::Refused), "{outcome:?}");
        }
        let elsewhere = other
            .accounts
            .log_in(&name("ADA"), "correct horse battery")
            .await
            .expect("answered");
        assert!(is_locked(&elsewhere), "{elsewhere:?}");
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
            tokio::spawn(async move { store.accounts.log_in(&name("ada"), "wrong").await })
        });
        let mut outcomes = Vec::new();
        for guess in guesses.collect::<Vec<_>>() {
            outcomes.push(guess.await.expect("joined").expect("answered"));
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
        store
            .accounts
            .log_in(&name("ada"), "wrong")
            .await
            .expect("answered");
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
    let grace = store
        .accounts
        .log_in(&name("grace"), "another long password")
        .await
        .expect("answered");
    assert!(matches!(grace, SignIn::Welcome(..)), "{grace:?}");
    let ada = store
        .accounts
        .log_in(&name("ada"), "correct horse battery")
        .await
        .expect("answered");
    assert!(is_locked(&ada), "{ada:?}");
});

on_both_engines!(the_right_password_clears_the_failures, |test| async move {
    let store = &test.store;
    with_ada(store).await;
    for _ in 0..FREE_ATTEMPTS - 1 {
        store
            .accounts
            .log_in(&name("ada"), "wrong")
            .await
            .expect("answered");
    }
    let welcome = store
        .accounts
        .log_in(&name("ada"), "correct horse battery")
        .await
        .expect("answered");
    assert!(matches!(welcome, SignIn::Welcome(..)), "{welcome:?}");
    for _ in 0..FREE_ATTEMPTS - 1 {
        let outcome = store
            .accounts
            .log_in(&name("ada"), "wrong")
            .await
            .expect("answered");
        assert!(
            matches!(outcome, SignIn::Refused),
            "counting began again: {outcome:?}"
        );
    }
});
