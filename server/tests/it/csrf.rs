//! Cross-site requests: a page on another origin (or a sibling subdomain) cannot act with a
//! signed-in user's cookie. Each attempt is refused with 403 and writes nothing.

use app::api::applications::RegenerateKey;
use app::api::share::GenerateLink;
use app::views::SharedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{TestApp, TestResponse, CONSOLE_URL};

/// A form post with the admin's cookie and exactly the given extra headers (no default Origin).
async fn post_with(
    app: &TestApp,
    path: &str,
    body: &str,
    cookie: &str,
    headers: &[(&str, &str)],
) -> TestResponse {
    let mut request = http::Request::post(path)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(
        request
            .body(axum::body::Body::from(body.to_owned()))
            .expect("request"),
    )
    .await
}

async fn links(app: &TestApp, cookie: &str) -> Vec<SharedLink> {
    app.shared_links(cookie, "order-status-lookup").await
}

const GENERATE: &str =
    "flow=order-status-lookup&application=help-centre&params=&protect=true&shorten=true";

app_tests!(
    a_cross_site_post_with_an_admin_cookie_is_refused_and_writes_nothing,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let earlier: app::domain::share::GeneratedLink = serde_json::from_str(
            &post_with(
                &app,
                GenerateLink::PATH,
                GENERATE,
                &admin,
                &[("origin", CONSOLE_URL)],
            )
            .await
            .body,
        )
        .expect("a link made from the console");
        let before = links(&app, &admin).await.len();
        for headers in [
            vec![("origin", "http://evil.example")],
            vec![("origin", "http://shop.127.0.0.1.nip.example")],
            vec![("origin", "null")],
            vec![("sec-fetch-site", "cross-site")],
            vec![("sec-fetch-site", "same-site")],
            vec![],
        ] {
            let refused = post_with(&app, GenerateLink::PATH, GENERATE, &admin, &headers).await;
            assert_eq!(refused.status, StatusCode::FORBIDDEN, "{headers:?}");
            assert!(
                refused.body.contains("cross-site request"),
                "{}",
                refused.body
            );
            let key = post_with(
                &app,
                RegenerateKey::PATH,
                "application=help-centre",
                &admin,
                &headers,
            )
            .await;
            assert_eq!(key.status, StatusCode::FORBIDDEN, "{headers:?}");
        }
        assert_eq!(
            links(&app, &admin).await.len(),
            before,
            "no link was written"
        );
        // The key was not regenerated either: the link made before still opens.
        let url = url::Url::parse(&earlier.full_url).expect("url");
        let opened = app
            .get(
                &format!("{}?{}", url.path(), url.query().unwrap_or_default()),
                None,
            )
            .await;
        assert_eq!(opened.status, StatusCode::OK);
        let made = post_with(
            &app,
            GenerateLink::PATH,
            GENERATE,
            &admin,
            &[("origin", CONSOLE_URL)],
        )
        .await;
        assert_eq!(made.status, StatusCode::OK, "{made:?}");
        let same_origin = post_with(
            &app,
            GenerateLink::PATH,
            GENERATE,
            &admin,
            &[("sec-fetch-site", "same-origin")],
        )
        .await;
        assert_eq!(same_origin.status, StatusCode::OK, "{same_origin:?}");
        assert_eq!(links(&app, &admin).await.len(), before + 2);
    }
);

app_tests!(
    requests_without_a_session_are_not_concerned,
    |app| async move {
        // Signing in comes from the login page, but carries no session yet.
        let response = app
            .send(
                http::Request::post(app::api::auth::Login::PATH)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .header("origin", "http://elsewhere.example")
                    .body(axum::body::Body::from(
                        "name=admin&password=demo-admin-pass",
                    ))
                    .expect("request"),
            )
            .await;
        assert!(
            response.status.is_success() || response.status.is_redirection(),
            "{response:?}"
        );
    }
);
