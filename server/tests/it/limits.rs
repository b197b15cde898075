//! Rate limits against hostile traffic, one attack per test, on both engines: each shows the
//! documented answer (429 with `Retry-After`, a page for people, JSON for scripts) and that the
//! refused requests wrote nothing.

use app::api::auth::Login;
use app::api::share::GenerateLink;
use app::domain::link::LinkRefusal;
use app::domain::share::GeneratedLink;
use app::views::SharedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::security::limits::{LimitSettings, Rate};
use server::testing::{run_outcome, FirstMove, TestApp, TestOptions, TestResponse};

fn rate(text: &str) -> Option<Rate> {
    Rate::parse(text).expect("a rate")
}

fn limits(settings: LimitSettings) -> TestOptions {
    TestOptions {
        limits: settings,
        ..TestOptions::default()
    }
}

async fn generate(app: &TestApp, cookie: &str) -> TestResponse {
    let form = [
        ("flow", "order-status-lookup"),
        ("application", "help-centre"),
        ("params", "name=Ada"),
        ("protect", "true"),
        ("shorten", "true"),
    ];
    app.call(GenerateLink::PATH, &form, Some(cookie)).await
}

async fn link(app: &TestApp, cookie: &str) -> GeneratedLink {
    let response = generate(app, cookie).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("a link")
}

/// A recipient's first move on `link` (the order status flow's greeting: Next), from `client`.
async fn start_from(app: &TestApp, client: &str, link: &GeneratedLink) -> TestResponse {
    let next = FirstMove {
        step: "welcome".into(),
        choice: None,
        value: None,
    };
    app.start_run(&link.full_url, &next, Some(client)).await
}

async fn listed(app: &TestApp, cookie: &str) -> Vec<SharedLink> {
    app.shared_links(cookie, "order-status-lookup").await
}

/// The `Retry-After` of a 429, which must be there and sensible.
fn retry_after(response: &TestResponse) -> u64 {
    assert_eq!(
        response.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{response:?}"
    );
    let seconds = response
        .header("retry-after")
        .and_then(|s| s.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("Retry-After on {response:?}"));
    assert!(seconds >= 1, "{response:?}");
    seconds
}

app_tests!(
    a_flood_of_starts_from_one_address_leaves_only_the_allowed_runs_and_one_row,
    limits(LimitSettings {
        run_starts_per_ip: rate("20/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher).await;
        let (mut started, mut limited) = (0, 0);
        for _ in 0..5_000 {
            let response = start_from(&app, "198.51.100.7", &link).await;
            match response.status {
                StatusCode::OK => {
                    run_outcome(&response).expect("a run started");
                    started += 1;
                }
                _ => {
                    retry_after(&response);
                    assert!(
                        response.body.contains("RateLimited"),
                        "JSON for scripts: {}",
                        response.body
                    );
                    limited += 1;
                }
            }
        }
        assert_eq!((started, limited), (20, 4_980));
        let row = listed(&app, &publisher).await.remove(0);
        assert_eq!(row.invocations, 20, "refused starts are not counted");
        assert_eq!(
            app.test_store.scalar("SELECT COUNT(*) FROM runs").await,
            20,
            "every counted start is one run, and only those"
        );
        assert_eq!(row.daily_uses.iter().sum::<u32>(), 20);
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM link_daily_uses")
                .await,
            1,
            "starts bump one counter per link and day; they add no rows"
        );
        // Another address has a budget of its own.
        assert_eq!(
            start_from(&app, "198.51.100.8", &link).await.status,
            StatusCode::OK
        );
    }
);

app_tests!(
    a_link_is_started_only_so_often_from_all_addresses_together,
    limits(LimitSettings {
        run_starts_per_link: rate("3/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let (first, second) = (link(&app, &publisher).await, link(&app, &publisher).await);
        for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
            assert_eq!(
                start_from(&app, client, &first).await.status,
                StatusCode::OK
            );
        }
        retry_after(&start_from(&app, "198.51.100.4", &first).await);
        assert_eq!(
            start_from(&app, "198.51.100.4", &second).await.status,
            StatusCode::OK,
            "another link has its own budget"
        );
        let counts: Vec<u32> = listed(&app, &publisher)
            .await
            .iter()
            .map(|l| l.invocations)
            .collect();
        assert_eq!(
            counts,
            [1, 3],
            "newest first; the refused start left nothing"
        );
    }
);

app_tests!(
    a_made_up_forwarded_address_does_not_escape_the_limit,
    limits(LimitSettings {
        run_starts_per_ip: rate("3/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        use axum::extract::ConnectInfo;
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher).await;
        let url = url::Url::parse(&link.full_url).expect("a URL");
        let body = format!(
            "path={}&query={}&action=answer&at=0&step=welcome",
            app::domain::query::encode_component(url.path()),
            app::domain::query::encode_component(url.query().unwrap_or_default())
        );
        // Straight from the internet (no trusted proxy): each request names a new address.
        let mut statuses = Vec::new();
        for i in 0..6 {
            let mut request = http::Request::post(app::api::runs::StartRun::PATH)
                .header("content-type", "application/x-www-form-urlencoded")
                .header("x-forwarded-for", format!("203.0.113.{i}"))
                .body(axum::body::Body::from(body.clone()))
                .expect("a request");
            let peer: std::net::SocketAddr = "192.0.2.50:5000".parse().expect("an address");
            request.extensions_mut().insert(ConnectInfo(peer));
            statuses.push(app.send(request).await.status);
        }
        assert_eq!(
            statuses,
            [
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::OK,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::TOO_MANY_REQUESTS,
                StatusCode::TOO_MANY_REQUESTS
            ]
        );
    }
);

app_tests!(
    guessing_short_codes_is_cut_off_hits_included,
    limits(LimitSettings {
        short_link_misses_per_ip: rate("5/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher).await;
        let short = url::Url::parse(link.short_url.as_deref().expect("a short link"))
            .expect("a URL")
            .path()
            .to_owned();
        let get_from = |client: &'static str, path: String| {
            let app = &app;
            async move {
                let request = http::Request::get(path)
                    .header("accept", "text/html")
                    .header("x-forwarded-for", client)
                    .body(axum::body::Body::empty())
                    .expect("a request");
                app.send(request).await
            }
        };
        for guess in [
            "/s/23456789abc",
            "/s/short",
            "/s/bcdefghijkm",
            "/s/x",
            "/s/y",
        ] {
            let response = get_from("198.51.100.9", guess.to_owned()).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{guess}");
        }
        let cut_off = get_from("198.51.100.9", "/s/nopqrstuvwx".to_owned()).await;
        retry_after(&cut_off);
        assert!(cut_off.body.contains("Too many tries"), "{}", cut_off.body);
        assert_eq!(cut_off.header("cache-control"), Some("no-store"));
        // A hit from the same address is refused too: the guesser learns nothing more.
        let hit = get_from("198.51.100.9", short.clone()).await;
        retry_after(&hit);
        assert!(hit.header("location").is_none());
        // Everyone else is not affected.
        let other = get_from("198.51.100.10", short).await;
        assert_eq!(other.status, StatusCode::FOUND, "{other:?}");
    }
);

app_tests!(
    sign_ins_are_limited_per_address_and_per_name_before_any_password_is_checked,
    limits(LimitSettings {
        sign_ins_per_ip: rate("4/h"),
        sign_ins_per_name: rate("1/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        let sign_in = |client: &'static str, name: &'static str, password: &'static str| {
            let app = &app;
            async move { app.sign_in(client, name, password, None).await }
        };
        // One address trying many names.
        for name in ["alice", "bob", "carol", "dave"] {
            let response = sign_in("198.51.100.20", name, "guess").await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{name}");
        }
        let limited = sign_in("198.51.100.20", "admin", "demo-admin-pass").await;
        retry_after(&limited);
        assert!(limited.body.contains("RateLimited"), "{}", limited.body);
        assert!(
            limited.header("set-cookie").is_none(),
            "not even the right password"
        );
        // Many addresses trying one name: each first try is free of the name's budget, tries
        // again by addresses that failed at it share it.
        for client in ["198.51.100.21", "198.51.100.22", "198.51.100.23"] {
            let response = sign_in(client, "viewer", "guess").await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{client}");
        }
        let again = sign_in("198.51.100.21", "viewer", "guess").await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{again:?}");
        let limited = sign_in("198.51.100.22", "Viewer", "demo-viewer-pass").await;
        retry_after(&limited);
        assert!(limited.body.contains("RateLimited"), "{}", limited.body);
        // Refused attempts were never counted as failures: 4 for viewer, 4 made-up names.
        assert_eq!(
            app.test_store
                .scalar("SELECT CAST(COALESCE(SUM(failures), 0) AS BIGINT) FROM sign_in_failures")
                .await,
            8
        );
        // A flood of tries at a name never refuses a first try with the right password.
        let newcomer = sign_in("198.51.100.24", "Viewer", "demo-viewer-pass").await;
        assert!(newcomer.header("set-cookie").is_some(), "{newcomer:?}");
        let admin = sign_in("198.51.100.25", "admin", "demo-admin-pass").await;
        assert!(admin.header("set-cookie").is_some(), "{admin:?}");
        // A browser's form post goes back to the form, which says how long to wait.
        let back = app
            .browser_post(Login::PATH, "name=admin&password=x", Some("198.51.100.20"))
            .await;
        let location = back
            .header("location")
            .expect("back to the form")
            .to_owned();
        assert!(location.starts_with("/login?limited="), "{location}");
        let page = app.get(&location, None).await;
        assert!(
            page.body
                .contains("Too many sign-in attempts in a short time. Try again in "),
            "{}",
            page.body
        );
    }
);

app_tests!(
    link_generation_is_limited_per_user,
    limits(LimitSettings {
        link_generations_per_user: rate("2/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let admin = app.log_in("admin", "demo-admin-pass").await;
        for _ in 0..2 {
            assert_eq!(generate(&app, &publisher).await.status, StatusCode::OK);
        }
        let refused = generate(&app, &publisher).await;
        retry_after(&refused);
        let error: app::error::AppError =
            serde_json::from_str(&refused.body).expect("an error, as JSON");
        assert_eq!(
            error.to_string(),
            "Too many links generated in a short time. Try again in 30 minutes."
        );
        assert_eq!(generate(&app, &admin).await.status, StatusCode::OK);
        assert_eq!(
            app.test_store.scalar("SELECT COUNT(*) FROM links").await,
            3,
            "the refused generation wrote no link"
        );
    }
);

app_tests!(
    with_every_password_slot_taken_sign_in_is_busy_and_nothing_is_counted,
    |app| async move {
        let slots = app.test_store.store.accounts.sign_in_slots().clone();
        let all = u32::try_from(slots.available_permits()).expect("a few slots");
        let held = slots.try_acquire_many(all).expect("every slot");
        let busy = app
            .call(
                Login::PATH,
                &[("name", "admin"), ("password", "demo-admin-pass")],
                None,
            )
            .await;
        assert_eq!(busy.status, StatusCode::SERVICE_UNAVAILABLE, "{busy:?}");
        assert_eq!(busy.header("retry-after"), Some("1"));
        assert!(busy.body.contains("Busy"), "{}", busy.body);
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM sign_in_failures")
                .await,
            0
        );
        drop(held);
        app.log_in("admin", "demo-admin-pass").await;
    }
);

app_tests!(
    over_https_the_session_cookie_is_host_prefixed_and_only_that_name_counts,
    TestOptions {
        https: true,
        ..TestOptions::default()
    },
    |app| async move {
        use app::api::auth::CurrentUser;
        let response = app
            .call(
                Login::PATH,
                &[("name", "admin"), ("password", "demo-admin-pass")],
                None,
            )
            .await;
        let set = response.header("set-cookie").expect("a session cookie");
        assert!(
            set.starts_with("__Host-flowshare_session=")
                && set.contains("; Path=/")
                && set.contains("; Secure")
                && !set.contains("Domain"),
            "{set}"
        );
        let cookie = set.split(';').next().expect("name=value").to_owned();
        let me = app.call(CurrentUser::PATH, &[], Some(&cookie)).await;
        assert!(me.body.contains("\"admin\""), "{me:?}");
        // The same token under the unprefixed name (as a sibling subdomain could plant it) is no one.
        let planted = cookie.replacen("__Host-", "", 1);
        let nobody = app.call(CurrentUser::PATH, &[], Some(&planted)).await;
        assert_eq!(nobody.body, "null", "{nobody:?}");
    }
);

app_tests!(
    forged_starts_never_use_up_a_real_links_budget,
    limits(LimitSettings {
        run_starts_per_link: rate("2/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let real = link(&app, &publisher).await;
        // The link's id is in its path for all to see; its signature is not.
        let mut forged = real.clone();
        forged.full_url = real.full_url.replace("name=Ada", "name=Eve");
        for client in ["198.51.100.30", "198.51.100.31", "198.51.100.32"] {
            let response = start_from(&app, client, &forged).await;
            assert_eq!(response.status, StatusCode::FORBIDDEN, "{response:?}");
            assert_eq!(
                run_outcome(&response).map(|_| ()),
                Err(app::error::AppError::Link(LinkRefusal::NotValid))
            );
        }
        for client in ["198.51.100.33", "198.51.100.34"] {
            assert_eq!(
                start_from(&app, client, &real).await.status,
                StatusCode::OK,
                "the real link still has its whole budget"
            );
        }
        retry_after(&start_from(&app, "198.51.100.35", &real).await);
    }
);

app_tests!(
    a_user_name_spelled_differently_shares_its_budget,
    limits(LimitSettings {
        sign_ins_per_name: rate("3/h"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        // The first failure makes the address one that failed at the name; its tries again,
        // however it spells the name, come out of one budget.
        for spelling in ["viewer", " Viewer", "VIEWER ", "viewer"] {
            let response = app.sign_in("198.51.100.40", spelling, "guess", None).await;
            assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{spelling:?}");
        }
        retry_after(
            &app.sign_in("198.51.100.40", "  viewer  ", "demo-viewer-pass", None)
                .await,
        );
    }
);

/// A move in the run `token` (an answer, Back or Restart by `fields`) from `client`, as the
/// player's script posts it.
async fn move_from(
    app: &TestApp,
    client: &str,
    token: &str,
    fields: &[(&str, &str)],
) -> TestResponse {
    use app::api::runs::RunStep;
    let mut form = vec![("token", token)];
    form.extend_from_slice(fields);
    app.call_from(Some(client), RunStep::PATH, &form, None)
        .await
}

app_tests!(
    a_flood_of_moves_from_one_address_is_cut_off_and_writes_nothing,
    limits(LimitSettings {
        run_moves_per_ip: rate("4/min"),
        ..LimitSettings::OFF
    }),
    |app| async move {
        use app::api::runs::{RunStep, StartRun};
        use app::domain::limits::RateLimit;
        use app::error::AppError;
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher).await;
        let flooder = "198.51.100.7";
        // The start is a move too: one of four.
        let run = run_outcome(&start_from(&app, flooder, &link).await).expect("a run");
        let token = run.token.expect("a token").as_str().to_owned();
        for (at, fields) in [
            (
                "1",
                [("action", "answer"), ("step", "choose"), ("choice", "0")],
            ),
            (
                "2",
                [("action", "back"), ("step", "reference"), ("value", "")],
            ),
            (
                "3",
                [("action", "answer"), ("step", "choose"), ("choice", "0")],
            ),
        ] {
            let mut form = vec![("at", at)];
            form.extend_from_slice(&fields);
            let moved = move_from(&app, flooder, &token, &form).await;
            assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
        }
        let stored = |column: &'static str| {
            let app = &app;
            async move {
                app.test_store
                    .scalar(&format!("SELECT {column} FROM runs"))
                    .await
            }
        };
        let (moves, updated_at) = (stored("moves").await, stored("updated_at").await);
        assert_eq!(moves, 4);
        // The flood: every post refused with the wait and the app's sentence, nothing written.
        let next = [
            ("at", "4"),
            ("action", "answer"),
            ("step", "reference"),
            ("value", "C-1"),
        ];
        for _ in 0..20 {
            let refused = move_from(&app, flooder, &token, &next).await;
            let wait = retry_after(&refused);
            let error = run_outcome(&refused).expect_err("limited");
            assert_eq!(error, AppError::RateLimited(RateLimit::RunMoves, wait));
            assert!(
                error
                    .to_string()
                    .starts_with("Too many steps through a flow in a short time. Try again in"),
                "{error}"
            );
        }
        assert_eq!(
            (stored("moves").await, stored("updated_at").await),
            (moves, updated_at)
        );
        // A start is a move: refused too, and nothing counted.
        let start = start_from(&app, flooder, &link).await;
        retry_after(&start);
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 1);
        assert_eq!(
            app.test_store.scalar("SELECT invocations FROM links").await,
            1
        );
        // A browser without JavaScript is sent back to its step, told why, with the wait.
        let body = server::testing::form_body(&[
            ("token", token.as_str()),
            ("at", "4"),
            ("action", "answer"),
            ("step", "reference"),
            ("value", "C-1"),
        ]);
        let posted = app.browser_post(RunStep::PATH, &body, Some(flooder)).await;
        assert!(posted.status.is_redirection(), "{posted:?}");
        assert!(posted.header("retry-after").is_some(), "{posted:?}");
        let location = posted.header("location").expect("a redirect").to_owned();
        assert_eq!(location, format!("/r/{token}?problem=too-many-moves"));
        let page = app.get(&location, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Too many steps in a short time from here"),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("Please enter your customer number."),
            "still at its step: {}",
            page.body
        );
        // A browser's start goes to a page saying so, with the way back to the link.
        let url = url::Url::parse(&link.full_url).expect("a URL");
        let body = server::testing::form_body(&[
            ("path", url.path()),
            ("query", url.query().unwrap_or_default()),
            ("action", "answer"),
            ("at", "0"),
            ("step", "welcome"),
        ]);
        let posted = app.browser_post(StartRun::PATH, &body, Some(flooder)).await;
        let location = posted.header("location").expect("a redirect").to_owned();
        assert!(
            location.starts_with("/refused/too-many-moves?from="),
            "{location}"
        );
        let page = app.get(&location, None).await;
        assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(
            page.body
                .contains("Too many steps in a short time from here"),
            "{}",
            page.body
        );
        assert_eq!(
            (stored("moves").await, stored("updated_at").await),
            (moves, updated_at)
        );
        // Another address has its own budget, even for the same run.
        let moved = move_from(&app, "203.0.113.9", &token, &next).await;
        assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
        assert_eq!(stored("moves").await, moves + 1);
    }
);
