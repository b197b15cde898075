//! Recipients opening links over HTTP: the redirect, the player page and its headers, and every
//! refusal — links altered in each of their parts, expired, disabled and withdrawn.

use app::api::share::GenerateLink;
use app::domain::params::UrlParams;
use app::domain::share::GeneratedLink;
use app::domain::FlowSlug;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::links::open::Verdict;
use server::links::signing::{AppKey, LinkClaims};
use server::testing::TestApp;

pub(crate) async fn generate(
    app: &TestApp,
    flow: &str,
    application: &str,
    params: &str,
    protect: bool,
) -> GeneratedLink {
    let cookie = app.log_in("publisher", "demo-publisher-pass").await;
    let protect = protect.to_string();
    let form = [
        ("flow", flow),
        ("application", application),
        ("params", params),
        ("protect", &protect),
        ("shorten", "true"),
    ];
    let response = app.call(GenerateLink::PATH, &form, Some(&cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("a generated link")
}

/// The path and query of a full link, as a browser would request it from this server.
pub(crate) fn local(url: &str) -> String {
    let parsed = url::Url::parse(url).expect("a URL");
    format!("{}?{}", parsed.path(), parsed.query().unwrap_or_default())
}

fn slug(s: &str) -> FlowSlug {
    FlowSlug::parse(s).expect("slug")
}

const NOT_VALID: &str = "This link is not valid";

app_tests!(
    a_short_link_redirects_to_the_player_with_its_parameters,
    |app| async move {
        // Order Status Lookup through the order widget: protected, parameters validated, embeddable.
        let link = generate(
            &app,
            "order-status-lookup",
            "order-widget",
            "&name=Ada <Lovelace>&order=A-17",
            true,
        )
        .await;
        let short = local(link.short_url.as_deref().expect("short link"));
        let redirect = app.get(short.trim_end_matches('?'), None).await;
        assert_eq!(redirect.status, StatusCode::FOUND, "{redirect:?}");
        let location = redirect.header("location").expect("a Location").to_owned();
        assert_eq!(
            location,
            local(&link.full_url),
            "the redirect stays on this server"
        );

        let page = app.get(&location, None).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body
                .contains("Hello Ada &lt;Lovelace&gt;, this is the order status lookup assistant."),
            "parameter shown as text"
        );
        assert!(!page.body.contains("<Lovelace>"));
        let csp = page.header("content-security-policy").expect("a CSP");
        assert!(
            csp.ends_with("frame-ancestors http://localhost:8080 http://127.0.0.1:8080"),
            "{csp}"
        );
        assert!(csp.contains("script-src 'none';"), "{csp}");
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert_eq!(
            page.header("x-frame-options"),
            None,
            "the widget may be framed by its origins"
        );
    }
);

app_tests!(
    recipients_pages_are_read_only_and_only_their_exact_shapes_are_theirs,
    |app| async move {
        let link = generate(&app, "order-status-lookup", "help-centre", "", false).await;
        let short = local(link.short_url.as_deref().expect("short link"));
        let short = short.trim_end_matches('?');
        let full = local(&link.full_url);
        for path in [short, full.as_str(), "/r/some-token", "/refused/not-valid"] {
            let request = http::Request::post(path)
                .header("origin", server::testing::CONSOLE_URL)
                .body(axum::body::Body::empty())
                .expect("request");
            let response = app.send(request).await;
            assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{path}");
            assert_eq!(response.header("allow"), Some("GET,HEAD"), "{path}");
            assert!(
                response.header("x-request-id").is_some(),
                "observed: {path}"
            );
        }
        // A cross-site write with a session is refused before anything else looks at it.
        let cookie = app.log_in("publisher", "demo-publisher-pass").await;
        let cross_site = http::Request::post(short)
            .header("origin", "https://elsewhere.example")
            .header("cookie", &cookie)
            .body(axum::body::Body::empty())
            .expect("request");
        assert_eq!(app.send(cross_site).await.status, StatusCode::FORBIDDEN);
        // HEAD gets the GET's headers, its length included, and no body.
        let got = app.get(&full, None).await;
        let head = http::Request::head(full.as_str())
            .body(axum::body::Body::empty())
            .expect("request");
        let head = app.send(head).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(head.body, "");
        assert_eq!(
            head.header("content-length"),
            Some(got.body.len().to_string().as_str())
        );
        // One segment too many or too few is no recipient's page: the console's "not found".
        for path in [
            format!("{short}/"),
            format!("{short}/x"),
            "/f/help-centre/order-status-lookup".into(),
        ] {
            let response = app.get(&path, None).await;
            assert_eq!(response.status, StatusCode::NOT_FOUND, "{path}");
        }
        // ...while the exact shape is, even with a code no one drew.
        let unknown = app.get("/s/22222222222", None).await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
        assert!(
            unknown.body.contains("This link does not exist"),
            "{}",
            unknown.body
        );
    }
);

app_tests!(
    an_open_web_page_link_lets_recipients_change_parameters_but_not_be_framed,
    |app| async move {
        let link = generate(
            &app,
            "order-status-lookup",
            "help-centre",
            "name=Ada",
            false,
        )
        .await;
        let changed = local(&link.full_url).replace("name=Ada", "name=Grace");
        let page = app.get(&changed, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Hello Grace"));
        assert!(page
            .header("content-security-policy")
            .is_some_and(|c| c.ends_with("frame-ancestors 'none'")));
        let signed = local(&link.full_url) + "&fs_sig=AAAA";
        assert_eq!(
            app.get(&signed, None).await.status,
            StatusCode::FORBIDDEN,
            "an open link carries no token"
        );
    }
);

app_tests!(
    every_altered_part_of_a_protected_link_is_refused_as_not_valid,
    |app| async move {
        // Returns and Refunds through the help centre: protected, 7 days, parameters validated.
        let link = generate(
            &app,
            "returns-and-refunds",
            "help-centre",
            "&name=Ada&order=A-17",
            true,
        )
        .await;
        let good = local(&link.full_url);
        assert_eq!(app.get(&good, None).await.status, StatusCode::OK);
        let (path, query) = good.split_once('?').expect("a query");
        let exp = query
            .split('&')
            .find_map(|p| p.strip_prefix("fs_exp="))
            .expect("expiry")
            .to_owned();
        let later = (exp.parse::<i64>().expect("seconds") + 60).to_string();
        let link_id = path.rsplit('/').next().expect("id").to_owned();
        let variants = [
            format!("{path}?{}", query.replace("name=Ada", "name=Eve")),
            format!("{path}?{}", query.replace("name=Ada&", "")),
            format!("{path}?extra=1&{query}"),
            format!(
                "{path}?{}",
                query.replace("name=Ada&order=A-17", "order=A-17&name=Ada")
            ),
            format!(
                "{path}?{}",
                query.replace(&format!("fs_exp={exp}"), &format!("fs_exp={later}"))
            ),
            format!("{path}?{}", query.replace("fs_kv=1", "fs_kv=2")),
            format!("{path}?{}", query.replace("&fs_sig=", "&fs_sig=A")),
            format!("{path}?{}", query.split("&fs_sig=").next().expect("head")),
            format!("{path}?{query}&fs_sig=again"),
            format!(
                "{}?{query}",
                path.replace(&link_id, "AAAAAAAAAAAAAAAAAAAAAA")
            ),
            format!(
                "{}?{query}",
                path.replace("/returns-and-refunds/", "/order-status-lookup/")
            ),
            format!(
                "{}?{query}",
                path.replace("/help-centre/", "/partner-portal/")
            ),
        ];
        for variant in variants {
            let page = app.get(&variant, None).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{variant}");
            assert!(page.body.contains(NOT_VALID), "{variant}");
            assert!(
                !page.body.contains("fs_sig") && !page.body.to_lowercase().contains("hmac"),
                "no hints for forgers"
            );
        }
    }
);

/// `link` (made with `params`) signed again with an expiry in the past, as only the key holder
/// could: the path and query of a link that has expired.
pub(crate) async fn expired_copy(app: &TestApp, link: &GeneratedLink, params: &str) -> String {
    let url = url::Url::parse(&link.full_url).expect("a URL");
    let mut segments = url.path_segments().expect("a path").skip(1);
    let (application, flow, link_id) = (
        segments.next().expect("an application"),
        segments.next().expect("a flow"),
        segments.next().expect("an id"),
    );
    let sql = "SELECT secret_key FROM applications WHERE slug = $1";
    let key: Vec<u8> = match app.test_store.store.db() {
        server::db::Db::Sqlite(p) => sqlx::query_scalar(sql).bind(application).fetch_one(p).await,
        server::db::Db::Postgres(p) => sqlx::query_scalar(sql).bind(application).fetch_one(p).await,
    }
    .expect("key");
    let parsed = UrlParams::parse(params).expect("params");
    let past = server::db::now_millis() / 1_000 - 10;
    let claims = LinkClaims {
        application,
        flow,
        link_id,
        expires_at: Some(past),
        key_version: 1,
        params: Some(&parsed),
    };
    format!(
        "{}?{params}&fs_kv=1&fs_exp={past}&fs_sig={}",
        url.path(),
        claims.sign(&AppKey::new(key))
    )
}

app_tests!(an_expired_link_says_so, |app| async move {
    let link = generate(&app, "returns-and-refunds", "help-centre", "name=Ada", true).await;
    let page = app
        .get(&expired_copy(&app, &link, "name=Ada").await, None)
        .await;
    assert_eq!(page.status, StatusCode::GONE, "{}", page.body);
    assert!(page.body.contains("This link has expired"));
});

app_tests!(
    regenerating_the_key_disables_every_earlier_link,
    |app| async move {
        let protected = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        let open = generate(&app, "order-status-lookup", "order-widget", "", false).await;
        for link in [&protected, &open] {
            assert_eq!(
                app.get(&local(&link.full_url), None).await.status,
                StatusCode::OK
            );
        }
        app.test_store
            .store
            .applications
            .regenerate_key(&slug("order-widget"), "admin")
            .await
            .expect("regenerate");
        for link in [&protected, &open] {
            let page = app.get(&local(&link.full_url), None).await;
            assert_eq!(page.status, StatusCode::GONE, "{}", link.full_url);
            assert!(page.body.contains("This link has been disabled"));
            let short = app
                .get(
                    local(link.short_url.as_deref().expect("short")).trim_end_matches('?'),
                    None,
                )
                .await;
            let location = short
                .header("location")
                .expect("still redirects")
                .to_owned();
            assert_eq!(app.get(&location, None).await.status, StatusCode::GONE);
        }
        let fresh = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        assert_eq!(
            app.get(&local(&fresh.full_url), None).await.status,
            StatusCode::OK,
            "new links work"
        );
    }
);

app_tests!(
    an_embedded_link_that_no_longer_works_says_so_inside_its_frame,
    |app| async move {
        let link = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        app.test_store
            .store
            .applications
            .regenerate_key(&slug("order-widget"), "admin")
            .await
            .expect("regenerate");
        let full = local(&link.full_url);
        let page = app.get(&full, None).await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.body.contains("This link has been disabled"));
        assert!(
            page.header("content-security-policy").is_some_and(
                |c| c.ends_with("frame-ancestors http://localhost:8080 http://127.0.0.1:8080")
            ),
            "the widget's own origins may still show why: {:?}",
            page.header("content-security-policy")
        );
        assert_eq!(page.header("cache-control"), Some("no-store"));
        // The same link id under another application's path, or a made-up id: framed by nobody.
        for other in [
            full.replace("/order-widget/", "/help-centre/"),
            "/f/order-widget/order-status-lookup/made-up?fs_kv=1".to_owned(),
        ] {
            let page = app.get(&other, None).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{other}");
            assert!(
                page.header("content-security-policy")
                    .is_some_and(|c| c.ends_with("frame-ancestors 'none'")),
                "{other}"
            );
        }
    }
);

app_tests!(a_withdrawn_flow_is_not_available, |app| async move {
    let link = generate(&app, "order-status-lookup", "help-centre", "", true).await;
    app.set_shareable("order-status-lookup", false).await;
    let page = app.get(&local(&link.full_url), None).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    assert!(page.body.contains("This flow is not available"));
});

app_tests!(
    unknown_and_malformed_short_codes_get_a_404_page,
    |app| async move {
        for code in [
            "/s/23456789abc",
            "/s/short",
            "/s/%3Cscript%3E",
            "/s/..%2F..%2Fetc",
        ] {
            let page = app.get(code, None).await;
            assert_eq!(page.status, StatusCode::NOT_FOUND, "{code}");
            assert!(page.body.contains("This link does not exist"), "{code}");
            assert!(page.header("location").is_none());
        }
        let made_up = app
            .get("/f/help-centre/order-status-lookup/nope?fs_kv=1", None)
            .await;
        assert_eq!(made_up.status, StatusCode::FORBIDDEN);
    }
);

app_tests!(console_pages_can_never_be_framed, |app| async move {
    let login = app.get("/login", None).await;
    assert_eq!(login.header("x-frame-options"), Some("DENY"));
    let policy = login.header("content-security-policy").unwrap_or_default();
    assert!(
        policy.ends_with("frame-ancestors 'none'") && policy.contains("'nonce-"),
        "{policy}"
    );
});

app_tests!(
    a_page_served_again_is_the_same_page_gzipped_for_who_takes_it_and_runs_no_script,
    |app| async move {
        let link = generate(
            &app,
            "order-status-lookup",
            "order-widget",
            "name=Ada",
            true,
        )
        .await;
        let (first, second) = (
            app.get(&local(&link.full_url), None).await,
            app.get(&local(&link.full_url), None).await,
        );
        assert_eq!(
            (first.status, second.status),
            (StatusCode::OK, StatusCode::OK)
        );
        assert_eq!(first.body, second.body, "kept, and served again as it was");
        assert!(
            !first.body.contains("<script"),
            "a recipient's page runs no script: {}",
            first.body
        );
        let policy = first.header("content-security-policy").unwrap_or_default();
        assert!(policy.contains("script-src 'none';"), "{policy}");
        let zipped = app
            .get_with(&local(&link.full_url), &[("accept-encoding", "gzip, br")])
            .await;
        assert_eq!(zipped.status, StatusCode::OK);
        assert_eq!(zipped.header("content-encoding"), Some("gzip"));
        assert_eq!(zipped.header("vary"), Some("accept-encoding"));
        assert_eq!(
            zipped.header("cache-control"),
            Some("no-store"),
            "protected"
        );
        assert_eq!(zipped.body, first.body, "the same page, once unzipped");
    }
);

app_tests!(
    a_key_regenerated_through_one_instance_holds_on_another,
    |app| async move {
        let link = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        let url = url::Url::parse(&link.full_url).expect("url");
        let (path, query) = (url.path(), url.query().unwrap_or_default());
        // A second server instance on the same database, with its own cache.
        let other = server::backend::Store::new(
            server::db::Db::connect(&app.test_store.url)
                .await
                .expect("second instance"),
            server::security::session::SessionKey::from_secret("other"),
            std::time::Duration::from_secs(60),
        );
        let watcher = other
            .links
            .watch_other_instances(std::time::Duration::from_millis(50));
        let opened = other.links.check(path, query).await.expect("check");
        assert!(
            matches!(opened, Verdict::Open(_)),
            "cached as valid on the other instance"
        );
        app.test_store
            .store
            .applications
            .regenerate_key(&slug("order-widget"), "admin")
            .await
            .expect("regenerate");
        tokio::time::sleep(std::time::Duration::from_millis(400)).await;
        let refused = other.links.check(path, query).await.expect("check");
        assert!(
            matches!(
                refused,
                Verdict::Refused {
                    refusal: app::domain::link::LinkRefusal::Disabled,
                    ..
                }
            ),
            "{refused:?}"
        );
        watcher.abort();
    }
);

app_tests!(
    one_open_of_a_protected_link_verifies_its_token_once,
    |app| async move {
        let link = generate(
            &app,
            "order-status-lookup",
            "order-widget",
            "name=Ada",
            true,
        )
        .await;
        let links = &app.test_store.store.links;
        let before = links.verifications();
        let first = app.get(&local(&link.full_url), None).await;
        assert_eq!(first.status, StatusCode::OK, "{}", first.body);
        assert_eq!(
            links.verifications() - before,
            1,
            "a rendered open: one HMAC"
        );
        let again = app.get(&local(&link.full_url), None).await;
        assert_eq!(again.status, StatusCode::OK);
        assert_eq!(
            links.verifications() - before,
            2,
            "a cached page is still checked, once"
        );
        let mut forged = local(&link.full_url);
        forged.replace_range(forged.len() - 2.., "AA");
        let refused = app.get(&forged, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(
            links.verifications() - before,
            3,
            "a refusal's page is rendered without another check"
        );
    }
);

app_tests!(
    only_the_spelling_the_generator_writes_opens_a_link,
    |app| async move {
        let link = generate(
            &app,
            "returns-and-refunds",
            "help-centre",
            "name=Ada Lovelace",
            true,
        )
        .await;
        let canonical = local(&link.full_url);
        assert!(canonical.contains("name=Ada%20Lovelace&fs_kv=1&fs_exp="));
        assert_eq!(app.get(&canonical, None).await.status, StatusCode::OK);
        let expires = canonical
            .split("fs_exp=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .expect("an expiry")
            .to_owned();
        for respelled in [
            canonical.replace("Ada%20Lovelace", "Ada+Lovelace"),
            canonical.replace("Ada%20Lovelace", "%41da%20Lovelace"),
            canonical.replace("fs_kv=1", "fs_kv=01"),
            canonical.replace("fs_kv=1", "fs_kv=%2B1"),
            canonical.replace(&format!("fs_exp={expires}"), &format!("fs_exp=0{expires}")),
            canonical.replace(
                &format!("fs_exp={expires}"),
                &format!("fs_exp=%2B{expires}"),
            ),
            format!("{canonical}&fs_kv=1"),
        ] {
            let page = app.get(&respelled, None).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{respelled}");
            assert!(page.body.contains(NOT_VALID), "{respelled}");
        }
    }
);

app_tests!(
    a_short_link_leads_to_a_path_on_this_server_whatever_the_base_url,
    |app| async move {
        let link = generate(&app, "order-status-lookup", "help-centre", "", true).await;
        let short = local(link.short_url.as_deref().expect("short link"));
        let redirect = app.get(short.trim_end_matches('?'), None).await;
        assert_eq!(redirect.status, StatusCode::FOUND);
        let location = redirect.header("location").expect("a location");
        assert_eq!(location, local(&link.full_url));
        assert!(location.starts_with("/f/") && !location.starts_with("//"));
    }
);

app_tests!(
    recipients_pages_are_kept_out_of_search_engines,
    |app| async move {
        let robots = app.get("/robots.txt", None).await;
        assert_eq!(robots.status, StatusCode::OK);
        for path in ["/f/", "/s/", "/r/", "/refused/"] {
            assert!(
                robots.body.contains(&format!("Disallow: {path}\n")),
                "{path} in {}",
                robots.body
            );
        }
        let link = generate(&app, "order-status-lookup", "help-centre", "name=Ada", true).await;
        let short = link.short_url.as_deref().expect("shortened");
        let short_path = url::Url::parse(short).expect("a URL").path().to_owned();
        let tampered = local(&link.full_url).replace("name=Ada", "name=Eve");
        let pages = [
            local(&link.full_url),
            tampered,
            "/r/AAAAAAAAAAAAAAAAAAAAAA".to_owned(),
            "/refused/expired".to_owned(),
            "/s/23456789abc".to_owned(),
        ];
        for page in &pages {
            let response = app.get(page, None).await;
            assert_eq!(
                response.header("x-robots-tag"),
                Some("noindex, nofollow"),
                "{page}: {response:?}"
            );
            if page.starts_with("/s/") {
                continue;
            }
            assert!(
                response
                    .body
                    .contains(r#"<meta name="robots" content="noindex, nofollow">"#),
                "{page}: {}",
                response.body
            );
        }
        let redirect = app.get(&short_path, None).await;
        assert_eq!(redirect.status, StatusCode::FOUND);
        assert_eq!(redirect.header("x-robots-tag"), Some("noindex, nofollow"));
        // The console is not a recipient's page: nothing said to crawlers there.
        let login = app.get("/login", None).await;
        assert_eq!(login.header("x-robots-tag"), None);
        assert!(!login.body.contains(r#"name="robots""#));
    }
);
