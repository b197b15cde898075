//! Running Flowshare: health and readiness, retention, backups and restores, on both engines
//! where the engine matters.

use app::domain::share::ShareRequest;
use app::domain::{Role, UserView};
use http::StatusCode;
use server::app_tests;
use server::db::{backup, Db, Removed, Retention};
use server::testing::{Engine, TestApp, TestStore};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

const DAY_MS: i64 = 86_400_000;

async fn execute(db: &Db, sql: &str) {
    match db {
        Db::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Db::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

fn publisher() -> UserView {
    UserView {
        name: "publisher".into(),
        role: Role::Publisher,
    }
}

fn request() -> ShareRequest {
    ShareRequest::parse("order-status-lookup", "help-centre", "name=Ada", true, true)
        .expect("a share request")
}

app_tests!(
    health_and_readiness_say_what_a_balancer_needs,
    |app| async move {
        let health = app.get("/healthz", None).await;
        assert_eq!(
            (health.status, health.body.as_str()),
            (StatusCode::OK, "ok\n")
        );
        assert!(
            health.header("x-request-id").is_none(),
            "health checks are not logged or timed"
        );
        assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
        // This binary expects a migration the database does not have (as after a deploy without
        // `flowshare migrate`): not ready, and it says what to do.
        let db = app.test_store.store.db();
        let newest = "(SELECT MAX(version) FROM _sqlx_migrations)";
        execute(
            db,
            &format!("UPDATE _sqlx_migrations SET success = false WHERE version = {newest}"),
        )
        .await;
        // One verdict answers all probes for a quarter second.
        let settle = || tokio::time::sleep(std::time::Duration::from_millis(300));
        settle().await;
        let behind = app.get("/readyz", None).await;
        assert_eq!(behind.status, StatusCode::SERVICE_UNAVAILABLE, "{behind:?}");
        assert!(
            behind.body.contains("run `flowshare migrate`"),
            "{}",
            behind.body
        );
        assert_eq!(behind.header("cache-control"), Some("no-store"));
        execute(
            db,
            &format!("UPDATE _sqlx_migrations SET success = true WHERE version = {newest}"),
        )
        .await;
        settle().await;
        assert_eq!(app.get("/readyz", None).await.status, StatusCode::OK);
    }
);

/// PostgreSQL going away and coming back: the database refuses connections, then takes them again.
#[tokio::test]
async fn readiness_follows_the_database_down_and_up_again() {
    let Some(app) = TestApp::with_demo(Engine::Postgres).await else {
        return;
    };
    let cleanup = app.test_store.cleanup();
    let name = url::Url::parse(&app.test_store.url)
        .expect("a URL")
        .path()
        .trim_start_matches('/')
        .to_owned();
    let admin = Db::connect(&server::testing::postgres_url().expect("a server"))
        .await
        .expect("an admin connection");
    execute(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"),
    )
    .await;
    execute(
        &admin,
        &format!("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"),
    )
    .await;
    let down = app.get("/readyz", None).await;
    assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE, "{down:?}");
    assert_eq!(down.body, "not ready: the database does not answer\n");
    execute(
        &admin,
        &format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"),
    )
    .await;
    let mut up = app.get("/readyz", None).await;
    for _ in 0..20 {
        if up.status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        up = app.get("/readyz", None).await;
    }
    assert_eq!(up.status, StatusCode::OK, "{up:?}");
    admin.close().await;
    drop(app);
    cleanup.run().await;
}

app_tests!(retention_removes_exactly_what_is_older, |app| async move {
    let store = &app.test_store.store;
    let db = store.db();
    let link = store
        .links
        .generate(&publisher(), &request())
        .await
        .expect("a link");
    let id = server::testing::link_id(&link.full_url);
    let now = server::db::now_millis(); // one "now" for the whole test, so the cut-offs are exact
    let today = now / DAY_MS;
    // Start counts 0, 9, 10, 11 and 500 days old; keeping 10 days keeps today and the 9 before.
    for age in [0, 9, 10, 11, 500] {
        execute(
            db,
            &format!(
                "INSERT INTO link_daily_uses (link_id, day, uses) VALUES ('{id}', {}, 3)",
                today - age
            ),
        )
        .await;
    }
    // Audit entries a day either side of the 30-day cut-off (the seed's entries are from "now").
    for age_days in [29, 31] {
        execute(
            db,
            &format!(
                "INSERT INTO audit_log (at, actor, action, subject, detail, search_folded) \
                 VALUES ({}, 'x', 'link_revoked', 's', '', 'x')",
                now - age_days * DAY_MS
            ),
        )
        .await;
    }
    // Sessions: one expired, one live; sign-in failures: one stale, one recent.
    execute(
        db,
        &format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             SELECT 'expired', id, 0, {} FROM users WHERE name = 'admin'",
            now - 1
        ),
    )
    .await;
    execute(
        db,
        &format!(
            "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) \
             SELECT 'live', id, 0, {} FROM users WHERE name = 'admin'",
            now + DAY_MS
        ),
    )
    .await;
    // Twice as old as sign-in failures are remembered.
    let stale_failure = 2 * server::security::throttle::FORGET_AFTER.as_millis() as i64;
    execute(
        db,
        &format!(
            "INSERT INTO sign_in_failures (name, failures, last_failure_at) VALUES ('stale', 9, {}), ('recent', 9, {})",
            now - stale_failure,
            now - 60_000
        ),
    )
    .await;
    execute(
        db,
        &format!(
            "INSERT INTO sign_in_client_failures (client, failures, last_failure_at) \
             VALUES ('address 192.0.2.1 stale', 9, {}), ('device recent', 9, {})",
            now - stale_failure,
            now - 60_000
        ),
    )
    .await;
    // Runs 6 and 8 days old on the link's application, which keeps runs 7 days; an application
    // without a setting keeps its runs (none here to remove).
    execute(
        db,
        &format!(
            "UPDATE applications SET run_retention_days = 7 WHERE id = (SELECT application_id FROM links WHERE id = '{id}')"
        ),
    )
    .await;
    for (n, age_days) in [(1, 6), (2, 8)] {
        execute(
            db,
            &format!(
                "INSERT INTO runs (token_hash, link_id, flow_id, started_at, updated_at, moves, state, params) \
                 SELECT 'run-{n}', id, flow_id, {at}, {at}, 0, '{{}}', '[]' FROM links WHERE id = '{id}'",
                at = now - age_days * DAY_MS
            ),
        )
        .await;
    }
    let audit_before = app
        .test_store
        .scalar("SELECT COUNT(*) FROM audit_log")
        .await;
    let retention = Retention {
        uses_days: Some(10),
        audit_days: Some(30),
        sign_in_failures: server::security::throttle::FORGET_AFTER,
    };
    let removed = retention.apply(db, now).await.expect("applied");
    assert_eq!(
        removed,
        Removed {
            sessions: 1,
            sign_in_failures: 2,
            daily_uses: 3,
            audit_entries: 1,
            runs: 1,
            idempotent_answers: 0,
        }
    );
    assert_eq!(
        app.test_store
            .scalar("SELECT COUNT(*) FROM runs WHERE token_hash = 'run-1'")
            .await,
        1,
        "the younger run stays"
    );
    let days = app
        .test_store
        .scalar(&format!(
            "SELECT MIN(day) FROM link_daily_uses WHERE link_id = '{id}'"
        ))
        .await;
    assert_eq!(today - days, 9);
    assert_eq!(
        app.test_store
            .scalar("SELECT COUNT(*) FROM audit_log")
            .await,
        audit_before - 1
    );
    assert_eq!(
        app.test_store
            .scalar("SELECT COUNT(*) FROM sessions WHERE token_hash = 'live'")
            .await,
        1
    );
    assert_eq!(
        app.test_store
            .scalar("SELECT COUNT(*) FROM sign_in_failures WHERE name = 'recent'")
            .await
            + app
                .test_store
                .scalar(
                    "SELECT COUNT(*) FROM sign_in_client_failures WHERE client = 'device recent'"
                )
                .await,
        2
    );
    // Forever means forever; a second pass finds nothing more.
    let forever = Retention {
        uses_days: None,
        audit_days: None,
        sign_in_failures: server::security::throttle::FORGET_AFTER,
    };
    assert_eq!(
        forever.apply(db, now).await.expect("applied"),
        Removed::default()
    );
    // More than one batch: 2,500 old day rows go in three statements, none left behind.
    execute(
        db,
        &format!(
            "INSERT INTO link_daily_uses (link_id, day, uses) SELECT '{id}', n, 1 FROM \
             (WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 2500) SELECT n FROM seq) AS s"
        ),
    )
    .await;
    let removed = retention.apply(db, now).await.expect("applied");
    assert_eq!(removed.daily_uses, 2_500);
});

/// A backup taken while links are being made holds every link acknowledged before it began.
#[tokio::test]
async fn a_backup_under_write_load_holds_everything_acknowledged_before_it() {
    let test = TestStore::new(Engine::Sqlite).await.expect("sqlite");
    server::demo::seed(&test.store, "http://127.0.0.1:3000")
        .await
        .expect("demo data");
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (store, acknowledged, stop) = (test.store.clone(), acknowledged.clone(), stop.clone());
        tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let link = store
                    .links
                    .generate(&publisher(), &request())
                    .await
                    .expect("a link");
                acknowledged
                    .lock()
                    .expect("not poisoned")
                    .push(link.full_url);
            }
        })
    };
    while acknowledged.lock().expect("not poisoned").len() < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let before: Vec<String> = acknowledged.lock().expect("not poisoned").clone();
    let dir = tempfile::tempdir().expect("a directory");
    let file = dir.path().join("nightly.db");
    let contents = backup::backup(&test.url, &file).await.expect("a backup");
    stop.store(true, Ordering::Relaxed);
    writer.await.expect("the writer");
    assert!(contents.links >= before.len() as i64, "{contents}");
    assert_eq!(contents.users, 3);
    // Every acknowledged link is in the copy, by id.
    let copy = Db::connect(&format!("sqlite://{}", file.display()))
        .await
        .expect("the backup opens");
    let Db::Sqlite(pool) = &copy else {
        panic!("sqlite")
    };
    for url in &before {
        let id = url
            .split('?')
            .next()
            .and_then(|p| p.rsplit('/').next())
            .expect("an id");
        let found: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM links WHERE id = $1")
            .bind(id)
            .fetch_one(pool)
            .await
            .expect("counted");
        assert_eq!(found, 1, "{url}");
    }
    copy.close().await;
    // A backup never overwrites a file.
    let again = backup::backup(&test.url, &file)
        .await
        .expect_err("the file exists");
    assert!(again.to_string().contains("already exists"), "{again}");

    // Restoring: into a fresh place, then over an existing database, which is kept.
    let restored_url = format!("sqlite://{}", dir.path().join("restored.db").display());
    let (restored, kept) = backup::restore(&restored_url, &file)
        .await
        .expect("restored");
    assert_eq!(restored, contents);
    assert_eq!(kept, None);
    let (_, kept) = backup::restore(&restored_url, &file)
        .await
        .expect("restored again");
    let kept = kept.expect("the replaced database is kept");
    assert_eq!(
        backup::check(&kept).await.expect("a whole database"),
        contents
    );
    // A database still open elsewhere (a server not stopped) is not replaced.
    let serving = Db::connect(&restored_url).await.expect("opens");
    serving.migrate().await.expect("current");
    let Db::Sqlite(pool) = &serving else {
        panic!("sqlite")
    };
    sqlx::query("UPDATE users SET role = role")
        .execute(pool)
        .await
        .expect("a write, so the log is in use");
    let busy = backup::restore(&restored_url, &file)
        .await
        .expect_err("in use");
    assert!(busy.to_string().contains("stop the server"), "{busy}");
    serving.close().await;
    // And a database that is not there is not backed up (a mistyped URL is not an empty backup).
    let nowhere = format!("sqlite://{}", dir.path().join("typo.db").display());
    let err = backup::backup(&nowhere, &dir.path().join("empty.db"))
        .await
        .expect_err("no database");
    assert!(err.to_string().contains("there is no database at"), "{err}");
    assert!(!dir.path().join("typo.db").exists(), "nothing was created");
}

#[tokio::test]
async fn restore_refuses_what_is_not_a_flowshare_database() {
    let dir = tempfile::tempdir().expect("a directory");
    let target = format!("sqlite://{}", dir.path().join("live.db").display());
    let garbage = dir.path().join("garbage.db");
    std::fs::write(&garbage, "this is not a database").expect("written");
    let err = backup::restore(&target, &garbage)
        .await
        .expect_err("garbage");
    assert!(err.to_string().contains("garbage.db"), "{err}");
    let other = dir.path().join("other.db");
    let db = Db::connect(&format!("sqlite://{}", other.display()))
        .await
        .expect("an empty SQLite file");
    db.close().await;
    let err = backup::restore(&target, &other)
        .await
        .expect_err("not ours");
    assert!(
        err.to_string().contains("not a Flowshare database"),
        "{err}"
    );
    let missing = dir.path().join("missing.db");
    let err = backup::restore(&target, &missing)
        .await
        .expect_err("missing");
    assert!(err.to_string().contains("is not a file"), "{err}");
    assert!(
        !dir.path().join("live.db").exists(),
        "nothing was put in place"
    );
}

#[test]
fn postgres_backups_are_explained_without_the_password() {
    let advice = backup::postgres_advice("postgres://app:hunter2@db:5432/flowshare");
    assert!(
        advice.contains("pg_dump") && advice.contains("pg_restore"),
        "{advice}"
    );
    assert!(!advice.contains("hunter2"), "{advice}");
}
