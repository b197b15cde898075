//! Generating share links over HTTP: the server decides, whatever the dialog showed. Each refusal,
//! the roles, and the shape and signature of what is generated.

use app::api::share::GenerateLink;
use app::domain::params::UrlParams;
use app::domain::share::GeneratedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::links::signing::{AppKey, LinkClaims};
use server::testing::TestApp;

async fn generate(
    app: &TestApp,
    cookie: &str,
    flow: &str,
    application: &str,
    params: &str,
    protect: bool,
    shorten: bool,
) -> server::testing::TestResponse {
    let (protect, shorten) = (protect.to_string(), shorten.to_string());
    let form = [
        ("flow", flow),
        ("application", application),
        ("params", params),
        ("protect", &protect),
        ("shorten", &shorten),
    ];
    app.call(GenerateLink::PATH, &form, Some(cookie)).await
}

fn link_of(response: &server::testing::TestResponse) -> GeneratedLink {
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("a generated link")
}

/// The query of a full link, split into its decoded pairs.
fn query_pairs(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .expect("a URL")
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

async fn key_of(app: &TestApp, slug: &str) -> AppKey {
    let key: Vec<u8> = match app.test_store.store.db() {
        server::db::Db::Sqlite(pool) => {
            sqlx::query_scalar("SELECT secret_key FROM applications WHERE slug = $1")
                .bind(slug)
                .fetch_one(pool)
                .await
        }
        server::db::Db::Postgres(pool) => {
            sqlx::query_scalar("SELECT secret_key FROM applications WHERE slug = $1")
                .bind(slug)
                .fetch_one(pool)
                .await
        }
    }
    .expect("application key");
    AppKey::new(key)
}

app_tests!(
    a_publisher_gets_a_protected_short_link_with_two_parameters,
    |app| async move {
        let cookie = app.log_in("publisher", "demo-publisher-pass").await;
        // Returns and Refunds is Protected for the help centre (7 days, parameters validated).
        let link = link_of(
            &generate(
                &app,
                &cookie,
                "returns-and-refunds",
                "help-centre",
                "&name=Ada Lovelace&order=A%2617",
                true,
                true,
            )
            .await,
        );
        assert!(link.protected);
        let short = link.short_url.as_deref().expect("a short link");
        let code = short
            .strip_prefix("http://127.0.0.1:3000/s/")
            .expect("on the application's base URL");
        assert!(
            app::domain::link::ShortCode::parse(code).is_some(),
            "{code}"
        );
        assert!(
            link.full_url
                .starts_with("http://127.0.0.1:3000/f/help-centre/returns-and-refunds/"),
            "{}",
            link.full_url
        );
        let pairs = query_pairs(&link.full_url);
        assert_eq!(pairs[0], ("name".into(), "Ada Lovelace".into()));
        assert_eq!(pairs[1], ("order".into(), "A&17".into()));
        let expires = link.expires_at.expect("the help centre's links expire");
        assert!(expires > server::db::now_millis() / 1_000 + 6 * 86_400);

        // The token verifies against the canonical form rebuilt from the parsed link…
        let path: Vec<String> = url::Url::parse(&link.full_url)
            .expect("url")
            .path_segments()
            .expect("path")
            .map(str::to_owned)
            .collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .expect(name)
        };
        let params = UrlParams::from_pairs(
            pairs
                .iter()
                .filter(|(k, _)| !k.starts_with("fs_"))
                .map(|(k, v)| (k.as_str(), v.as_str())),
        )
        .expect("params");
        let claims = LinkClaims {
            application: &path[1],
            flow: &path[2],
            link_id: &path[3],
            expires_at: Some(get("fs_exp").parse().expect("seconds")),
            key_version: get("fs_kv").parse().expect("version"),
            params: Some(&params),
        };
        let key = key_of(&app, "help-centre").await;
        assert!(claims.verify(&key, &get("fs_sig")));
        // …and not once a parameter is changed.
        let changed = UrlParams::parse("name=Ada Lovelace&order=A-18").expect("params");
        assert!(!LinkClaims {
            params: Some(&changed),
            ..claims.clone()
        }
        .verify(&key, &get("fs_sig")));
    }
);

app_tests!(
    an_open_link_carries_no_token_and_generating_twice_gives_two_links,
    |app| async move {
        let cookie = app.log_in("publisher", "demo-publisher-pass").await;
        // Order Status Lookup is Open for the help centre.
        let first = link_of(
            &generate(
                &app,
                &cookie,
                "order-status-lookup",
                "help-centre",
                "name=Ada",
                false,
                false,
            )
            .await,
        );
        let second = link_of(
            &generate(
                &app,
                &cookie,
                "order-status-lookup",
                "help-centre",
                "name=Ada",
                false,
                false,
            )
            .await,
        );
        assert!(!first.protected && first.short_url.is_none() && first.expires_at.is_none());
        assert!(
            !first.full_url.contains("fs_sig") && first.full_url.contains("fs_kv=1"),
            "{}",
            first.full_url
        );
        assert_ne!(
            first.full_url, second.full_url,
            "each generation is its own link"
        );
        assert!(!first.embeddable, "a web page gets no Embed code");
    }
);

app_tests!(
    protect_url_on_an_open_pair_signs_with_safe_defaults,
    |app| async move {
        let cookie = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link_of(
            &generate(
                &app,
                &cookie,
                "order-status-lookup",
                "help-centre",
                "",
                true,
                false,
            )
            .await,
        );
        assert!(link.protected && link.expires_at.is_none() && link.full_url.contains("&fs_sig="));
    }
);

// A flow that cannot be shared now is a conflict with its state (409), as the API says it; an
// application the flow does not offer is a field against its rule (422).
app_tests!(
    the_server_refuses_flows_that_cannot_be_shared,
    |app| async move {
        let cookie = app.log_in("admin", "demo-admin-pass").await;
        let cases = [
            (
                "gift-card-balance",
                "help-centre",
                StatusCode::CONFLICT,
                "Only published flows can be shared",
            ),
            (
                "insurance-claim-intake",
                "help-centre",
                StatusCode::CONFLICT,
                "Only approved flows can be shared",
            ),
            (
                "main-ivr-menu",
                "help-centre",
                StatusCode::CONFLICT,
                "To share other flow types, use the designer.",
            ),
            // Returns and Refunds is not available to the chat widget.
            (
                "returns-and-refunds",
                "chat-widget",
                StatusCode::UNPROCESSABLE_ENTITY,
                "is not available to this flow",
            ),
            (
                "returns-and-refunds",
                "no-such-app",
                StatusCode::UNPROCESSABLE_ENTITY,
                "is not available to this flow",
            ),
            (
                "no-such-flow",
                "help-centre",
                StatusCode::NOT_FOUND,
                "There is no flow called",
            ),
        ];
        for (flow, application, status, message) in cases {
            let response = generate(&app, &cookie, flow, application, "", true, true).await;
            assert_eq!(
                response.status, status,
                "{flow} via {application}: {response:?}"
            );
            assert!(response.body.contains(message), "{flow}: {}", response.body);
        }
    }
);

app_tests!(
    bad_parameters_are_refused_with_the_specific_fault,
    |app| async move {
        let cookie = app.log_in("publisher", "demo-publisher-pass").await;
        for (params, message) in [
            ("a=1&a=2", "appears more than once"),
            ("fs_sig=forged", "reserved for the link itself"),
            ("bad name=1", "may contain only letters"),
            ("=1", "has an empty name"),
        ] {
            let response = generate(
                &app,
                &cookie,
                "order-status-lookup",
                "help-centre",
                params,
                true,
                true,
            )
            .await;
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{params}"
            );
            assert!(
                response.body.contains(message),
                "{params}: {}",
                response.body
            );
        }
    }
);

app_tests!(only_publishers_and_admins_may_generate, |app| async move {
    let viewer = app.log_in("viewer", "demo-viewer-pass").await;
    let refused = generate(
        &app,
        &viewer,
        "order-status-lookup",
        "help-centre",
        "",
        true,
        true,
    )
    .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
    let anonymous = app
        .call(
            GenerateLink::PATH,
            &[
                ("flow", "order-status-lookup"),
                ("application", "help-centre"),
                ("params", ""),
                ("protect", "true"),
                ("shorten", "true"),
            ],
            None,
        )
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let admin = app.log_in("admin", "demo-admin-pass").await;
    link_of(
        &generate(
            &app,
            &admin,
            "order-status-lookup",
            "help-centre",
            "",
            true,
            true,
        )
        .await,
    );
});

app_tests!(a_widget_link_is_embeddable, |app| async move {
    let cookie = app.log_in("publisher", "demo-publisher-pass").await;
    // Order Status Lookup is available to the order widget (protected: 5 invocations, 1 day).
    let link = link_of(
        &generate(
            &app,
            &cookie,
            "order-status-lookup",
            "order-widget",
            "",
            true,
            true,
        )
        .await,
    );
    assert!(link.embeddable && link.protected);
});
