//! Links in the wild, over HTTP: previews for chat apps (and nothing of a link in them), the way
//! forward an application sets for each ending, and runs that resume in the browser that started
//! them.

use super::links::{expired_copy, generate, local};
use app::api::applications::{SaveLinkPages, SetPreviewImage};
use app::api::review::AuditLog;
use app::api::runs::StartRun;
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::link_pages::preview::MAX_PREVIEW_IMAGE_BYTES;
use app::domain::{AccessProtection, FlowSlug};
use base64::Engine;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{form_body, link_id, TestApp, TestResponse, CONSOLE_URL};

fn slug(s: &str) -> FlowSlug {
    FlowSlug::parse(s).expect("slug")
}

/// What every ending does when the form names only `endings` (ending code, then, message, url,
/// reason); the others stay Flowshare's page.
fn link_pages_form(
    title: &str,
    description: &str,
    endings: &[(&str, &str, &str, &str, bool)],
) -> Vec<(String, String)> {
    let mut form = vec![
        ("application".to_owned(), "help-centre".to_owned()),
        ("preview_title".to_owned(), title.to_owned()),
        ("preview_description".to_owned(), description.to_owned()),
    ];
    let order = ["expired", "used-up", "disabled", "withdrawn"];
    for (i, code) in order.iter().enumerate() {
        let (then, message, url, reason) = endings
            .iter()
            .find(|e| e.0 == *code)
            .map_or(("page", "", "", false), |e| (e.1, e.2, e.3, e.4));
        form.push((format!("endings[{i}][then]"), then.to_owned()));
        form.push((format!("endings[{i}][message]"), message.to_owned()));
        form.push((format!("endings[{i}][url]"), url.to_owned()));
        if reason {
            form.push((format!("endings[{i}][reason]"), "on".to_owned()));
        }
    }
    form
}

/// Posts the link pages form as a browser without script does (`Accept: text/html`).
async fn save_link_pages(app: &TestApp, admin: &str, form: &[(String, String)]) -> TestResponse {
    let request = http::Request::post(SaveLinkPages::PATH)
        .header("origin", CONSOLE_URL)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html")
        .header("cookie", admin)
        .body(axum::body::Body::from(form_body(form)))
        .expect("request");
    app.send(request).await
}

/// A PNG's signature and header, `width` × `height`: all the checks read.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
    bytes.extend(width.to_be_bytes());
    bytes.extend(height.to_be_bytes());
    bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    bytes
}

async fn set_image(app: &TestApp, admin: &str, image: Option<&[u8]>) -> TestResponse {
    let body = serde_json::json!({
        "application": "help-centre",
        "image": image.map(|bytes| base64::engine::general_purpose::STANDARD.encode(bytes)),
    });
    let request = http::Request::post(SetPreviewImage::PATH)
        .header("origin", CONSOLE_URL)
        .header("content-type", "application/json")
        .header("cookie", admin)
        .body(axum::body::Body::from(body.to_string()))
        .expect("request");
    app.send(request).await
}

/// The `<meta>` tags of a page's head, for what an unfurler reads.
fn meta_tags(page: &str) -> Vec<String> {
    let head = page.split("</head>").next().unwrap_or_default();
    head.split("<meta")
        .skip(1)
        .map(|tag| format!("<meta{}", tag.split('>').next().unwrap_or_default()))
        .collect()
}

fn tag<'a>(tags: &'a [String], property: &str) -> Option<&'a str> {
    let marker = format!("=\"{property}\" content=\"");
    tags.iter().find_map(|t| {
        let at = t.find(&marker)? + marker.len();
        t[at..].split('"').next()
    })
}

async fn invocations(app: &TestApp, link: &str) -> i64 {
    app.test_store
        .scalar(&format!(
            "SELECT invocations FROM links WHERE id = '{}'",
            link_id(link)
        ))
        .await
}

/// Order Status Lookup through the help centre, protected with one allowed invocation.
async fn once_through_help_centre(app: &TestApp) {
    let once = AccessProtection::Protected {
        allowed_invocations: Some(1),
        expiry: None,
        validate_params: true,
    };
    app.test_store
        .store
        .applications
        .set_availability(&slug("order-status-lookup"), &slug("help-centre"), once)
        .await
        .expect("protected");
}

/// The chat apps' and social sites' link fetchers, as they name themselves.
const UNFURLERS: [&str; 6] = [
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0 A",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Twitterbot/1.0",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    // iMessage's fetcher.
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_11_1) AppleWebKit/601.2.4 (KHTML, like Gecko) Version/9.0.1 Safari/601.2.4 facebookexternalhit/1.1 Facebot Twitterbot/1.0",
];

app_tests!(
    an_unfurler_sees_the_applications_preview_and_nothing_of_the_link,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        once_through_help_centre(&app).await;
        let params = "name=Ada Lovelace&customer=C-90210";
        let link = generate(&app, "order-status-lookup", "help-centre", params, true).await;

        // Without settings: the flow's own name and description.
        let page = app.get(&local(&link.full_url), None).await;
        let tags = meta_tags(&page.body);
        assert_eq!(
            tag(&tags, "og:title"),
            Some("Order Status Lookup"),
            "{tags:?}"
        );
        assert_eq!(
            tag(&tags, "og:description"),
            Some("Customers check where their order is and what happens next.")
        );
        assert_eq!(tag(&tags, "twitter:card"), Some("summary"));
        assert_eq!(tag(&tags, "og:image"), None);

        // The application's own, an attacker's markup in its title among it, and an image.
        let form = link_pages_form(
            "Your order \"><script>x()</script>",
            "Two taps & done.",
            &[],
        );
        let saved = save_link_pages(&app, &admin, &form).await;
        assert_eq!(saved.status, StatusCode::FOUND, "{saved:?}");
        assert_eq!(
            saved.header("location"),
            Some("/applications?link_pages=help-centre")
        );
        let image = set_image(&app, &admin, Some(&png(1200, 630))).await;
        assert_eq!(image.status, StatusCode::OK, "{image:?}");
        let served: Option<String> = serde_json::from_str(&image.body).expect("where it is");
        let served = served.expect("an image");

        for agent in UNFURLERS {
            let page = app
                .get_with(&local(&link.full_url), &[("user-agent", agent)])
                .await;
            assert_eq!(page.status, StatusCode::OK, "{agent}");
            let tags = meta_tags(&page.body);
            assert_eq!(
                tag(&tags, "og:title"),
                Some("Your order &quot;&gt;&lt;script&gt;x()&lt;/script&gt;"),
                "escaped: {tags:?}"
            );
            assert_eq!(tag(&tags, "og:description"), Some("Two taps &amp; done."));
            assert_eq!(tag(&tags, "twitter:card"), Some("summary_large_image"));
            assert_eq!(
                tag(&tags, "og:image").map(str::to_owned),
                Some(format!("http://127.0.0.1:3000{served}"))
            );
            for tag in &tags {
                for secret in [
                    "Ada",
                    "Lovelace",
                    "C-90210",
                    "fs_sig",
                    &link_id(&link.full_url),
                ] {
                    assert!(!tag.contains(secret), "{secret} in {tag}");
                }
            }
            assert!(!page.body.contains("<script>x()"), "{agent}");
        }
        assert_eq!(
            invocations(&app, &link.full_url).await,
            0,
            "no fetch counts"
        );
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 0);
        // The one allowed start is still there for the recipient.
        let first = app.first_move(&link.full_url).await;
        let started = app.start_run(&link.full_url, &first, None).await;
        assert_eq!(started.status, StatusCode::OK, "{started:?}");
    }
);

app_tests!(
    a_preview_image_is_checked_and_then_served_for_good,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let mut too_large = png(1200, 630);
        too_large.resize(MAX_PREVIEW_IMAGE_BYTES + 1, 0);
        let refusals = [
            (png(120, 120), "between 200 and 4096 pixels"),
            (
                b"<svg xmlns='http://www.w3.org/2000/svg'/>".to_vec(),
                "not a PNG, JPEG, GIF or WebP",
            ),
            (too_large, "larger than 512 KB"),
        ];
        for (bytes, says) in refusals {
            let refused = set_image(&app, &admin, Some(&bytes)).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{refused:?}"
            );
            assert!(refused.body.contains(says), "{says}: {}", refused.body);
        }
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let forbidden = set_image(&app, &publisher, Some(&png(1200, 630))).await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN, "admins only");

        let bytes = png(1200, 630);
        let saved = set_image(&app, &admin, Some(&bytes)).await;
        let path: Option<String> = serde_json::from_str(&saved.body).expect("a path");
        let path = path.expect("an image");
        assert!(
            path.starts_with("/previews/") && path.ends_with(".png"),
            "{path}"
        );
        let image = app.get(&path, None).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.header("content-type"), Some("image/png"));
        assert_eq!(
            image.header("cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(image.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(
            app.get("/previews/../secret.png", None).await.status,
            StatusCode::NOT_FOUND
        );

        // Removed: no longer named, and no longer kept.
        let removed = set_image(&app, &admin, None).await;
        assert_eq!(removed.body, "null", "{removed:?}");
        assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND);
        let audit: AuditPage = serde_json::from_str(
            &app.call(AuditLog::PATH, &[("q", "preview image")], Some(&admin))
                .await
                .body,
        )
        .expect("audit");
        assert_eq!(audit.entries.len(), 2, "{audit:?}");
        assert!(audit
            .entries
            .iter()
            .all(|e| e.action == AuditAction::LinkPagesSaved && e.subject == "help-centre"));
    }
);

/// Where a redirect ending sends the browser, checked to carry nothing of the link.
fn onward(response: &TestResponse, secrets: &[&str]) -> String {
    assert_eq!(response.status, StatusCode::FOUND, "{response:?}");
    assert_eq!(response.header("referrer-policy"), Some("no-referrer"));
    assert_eq!(response.header("cache-control"), Some("no-store"));
    assert_eq!(response.header("x-robots-tag"), Some("noindex, nofollow"));
    let location = response.header("location").expect("a Location").to_owned();
    for secret in secrets {
        assert!(!location.contains(secret), "{secret} in {location}");
    }
    location
}

app_tests!(
    each_ending_goes_where_its_application_says,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let endings = [
            (
                "expired",
                "page",
                "",
                "http://127.0.0.1:3000/new-link",
                false,
            ),
            (
                "used-up",
                "redirect",
                "",
                "https://shop.example/ended?src=sms",
                true,
            ),
            ("disabled", "redirect", "", "https://shop.example/", false),
            (
                "withdrawn",
                "page",
                "We moved this to our\nnew help page.",
                "https://help.example/new",
                false,
            ),
        ];
        let saved = save_link_pages(&app, &admin, &link_pages_form("", "", &endings)).await;
        assert_eq!(saved.status, StatusCode::FOUND, "{saved:?}");
        once_through_help_centre(&app).await;
        let params = "name=Ada&customer=C-90210";
        let link = generate(&app, "order-status-lookup", "help-centre", params, true).await;
        let secrets = [
            "Ada",
            "C-90210",
            "fs_sig",
            "fs_kv",
            &link_id(&link.full_url)[..],
        ];

        // Used up: a redirect to the shop's page, with the reason, and nothing else.
        let first = app.first_move(&link.full_url).await;
        assert_eq!(
            app.start_run(&link.full_url, &first, None).await.status,
            StatusCode::OK
        );
        let used_up = app.get(&local(&link.full_url), None).await;
        assert_eq!(
            onward(&used_up, &secrets),
            "https://shop.example/ended?src=sms&reason=used-up"
        );
        // A start refused as used up (a second tab's first move) goes the same way.
        let refused = app
            .browser_post(
                StartRun::PATH,
                &form_body(&[
                    ("path", url::Url::parse(&link.full_url).expect("url").path()),
                    (
                        "query",
                        url::Url::parse(&link.full_url)
                            .expect("url")
                            .query()
                            .unwrap_or_default(),
                    ),
                    ("action", "answer"),
                    ("at", "0"),
                    ("step", first.step.as_str()),
                ]),
                None,
            )
            .await;
        let to_refusal = refused.header("location").expect("sent on").to_owned();
        assert!(
            to_refusal.starts_with("/refused/used-up?from="),
            "{to_refusal}"
        );
        assert_eq!(
            onward(&app.get(&to_refusal, None).await, &secrets),
            "https://shop.example/ended?src=sms&reason=used-up"
        );

        // Expired: Flowshare's page, its own words (none set) and the link onward.
        let expired = app
            .get(&expired_copy(&app, &link, params).await, None)
            .await;
        assert_eq!(expired.status, StatusCode::GONE, "{}", expired.body);
        assert!(expired.body.contains("This link has expired"));
        assert!(expired
            .body
            .contains("Links like this one work only for a limited time"));
        assert!(
            expired
                .body
                .contains(r#"<a href="http://127.0.0.1:3000/new-link" rel="noreferrer" class="button primary">Continue to 127.0.0.1</a>"#),
            "{}",
            expired.body
        );

        // Withdrawn: the application's own words, as text.
        app.set_shareable("order-status-lookup", false).await;
        let open_link = generate(&app, "returns-and-refunds", "help-centre", "", false).await;
        let withdrawn = app.get(&local(&link.full_url), None).await;
        assert_eq!(
            withdrawn.status,
            StatusCode::NOT_FOUND,
            "{}",
            withdrawn.body
        );
        assert!(withdrawn
            .body
            .contains("We moved this to our\nnew help page."));
        assert!(!withdrawn.body.contains("It may have been withdrawn"));
        assert!(withdrawn.body.contains("Continue to help.example"));

        // Disabled: a redirect without the reason.
        app.test_store
            .store
            .applications
            .regenerate_key(&slug("help-centre"), "admin")
            .await
            .expect("regenerated");
        let disabled = app.get(&local(&open_link.full_url), None).await;
        assert_eq!(onward(&disabled, &secrets), "https://shop.example/");

        // Not valid (made up or altered) is always Flowshare's own 403, whatever is set.
        let fresh = generate(&app, "returns-and-refunds", "help-centre", "name=Ada", true).await;
        let tampered = local(&fresh.full_url).replace("name=Ada", "name=Eve");
        let not_valid = app.get(&tampered, None).await;
        assert_eq!(not_valid.status, StatusCode::FORBIDDEN);
        assert!(not_valid.body.contains("This link is not valid"));
        assert!(
            !not_valid.body.contains("shop.example") && !not_valid.body.contains("help.example")
        );

        let audit: AuditPage = serde_json::from_str(
            &app.call(AuditLog::PATH, &[("q", "link pages")], Some(&admin))
                .await
                .body,
        )
        .expect("audit");
        let entry = audit.entries.first().expect("audited");
        assert_eq!(entry.action, AuditAction::LinkPagesSaved);
        assert!(
            entry
                .detail
                .contains("used-up: redirect to https://shop.example/ended?src=sms with reason"),
            "{}",
            entry.detail
        );
    }
);

app_tests!(
    onward_urls_that_could_run_script_are_refused_and_nothing_is_lost,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let good = link_pages_form(
            "Kept",
            "",
            &[("expired", "redirect", "", "https://shop.example/", true)],
        );
        assert_eq!(
            save_link_pages(&app, &admin, &good).await.status,
            StatusCode::FOUND
        );
        for bad in [
            "javascript:alert(document.cookie)",
            "data:text/html,<script>x()</script>",
            "ftp://shop.example/",
            "//shop.example/",
        ] {
            let form = link_pages_form("Changed", "", &[("used-up", "redirect", "", bad, false)]);
            let refused = save_link_pages(&app, &admin, &form).await;
            assert_eq!(refused.status, StatusCode::FOUND, "{bad}: {refused:?}");
            let back = refused
                .header("location")
                .expect("back to the form")
                .to_owned();
            assert!(
                back.starts_with("/applications/help-centre/link-pages?refill=1&"),
                "{back}"
            );
            assert!(back.contains("invalid=used-up.url"), "{back}");
            // The form comes back as typed, the refusal named beside the field.
            let page = app.get(&back, Some(&admin)).await;
            assert_eq!(page.status, StatusCode::OK);
            assert!(page.body.contains("Nothing was saved"), "{}", page.body);
            assert!(
                page.body
                    .contains("the onward URL must be a whole https:// address")
                    || page
                        .body
                        .contains("The onward URL must be a whole https:// address")
            );
            assert!(
                !page.body.contains("<script>x()"),
                "typed markup is escaped"
            );
        }
        // A script caller gets the refusal itself.
        let form = link_pages_form("", "", &[("disabled", "teleport", "", "", false)]);
        let refused = app
            .call(
                SaveLinkPages::PATH,
                &form
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
                Some(&admin),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
        assert!(refused
            .body
            .contains("Choose Flowshare's page or a redirect."));
        // What was saved before is still what holds.
        let page = app
            .get("/applications/help-centre/link-pages", Some(&admin))
            .await;
        assert!(page.body.contains(r#"value="Kept""#), "{}", page.body);
        assert!(page.body.contains(r#"value="https://shop.example/""#));
        // Publishers cannot change an application's pages.
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let forbidden = app
            .call(
                SaveLinkPages::PATH,
                &good
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect::<Vec<_>>(),
                Some(&publisher),
            )
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    }
);

/// A recipient's browser posting the first step's form (no script), from a page of `origin` when given.
async fn start_in_browser(app: &TestApp, link: &str, origin: Option<&str>) -> TestResponse {
    let first = app.first_move(link).await;
    let url = url::Url::parse(link).expect("url");
    let body = form_body(&[
        ("path", url.path()),
        ("query", url.query().unwrap_or_default()),
        ("action", "answer"),
        ("at", "0"),
        ("step", first.step.as_str()),
    ]);
    let mut request = http::Request::post(StartRun::PATH)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "text/html");
    if let Some(origin) = origin {
        request = request.header("origin", origin);
    }
    app.send(request.body(axum::body::Body::from(body)).expect("request"))
        .await
}

app_tests!(
    a_browser_that_started_a_run_resumes_it_and_nothing_more_is_counted,
    |app| async move {
        once_through_help_centre(&app).await;
        let link = generate(&app, "order-status-lookup", "help-centre", "name=Ada", true).await;
        let path = url::Url::parse(&link.full_url)
            .expect("url")
            .path()
            .to_owned();

        let started = start_in_browser(&app, &link.full_url, None).await;
        let run_page = started.header("location").expect("to the run").to_owned();
        assert!(run_page.starts_with("/r/"), "{run_page}");
        let token = run_page.trim_start_matches("/r/").to_owned();
        let set = started.set_cookie("flowshare_run").expect("the run cookie");
        assert_eq!(
            set,
            format!("flowshare_run={token}; Path={path}; Max-Age=86400; HttpOnly; SameSite=Lax"),
            "over plain http, not partitioned"
        );
        let cookie = started.cookie("flowshare_run").expect("a cookie");
        assert_eq!(invocations(&app, &link.full_url).await, 1);

        // The same browser opens the link again: the run's second step, at the link's address.
        let resumed = app.get(&local(&link.full_url), Some(&cookie)).await;
        assert_eq!(resumed.status, StatusCode::OK, "{}", resumed.body);
        assert!(
            resumed.body.contains("What would you like to do?"),
            "{}",
            resumed.body
        );
        assert!(resumed
            .body
            .contains(&format!(r#"name="token" value="{token}""#)));
        assert!(resumed.body.contains("Start over"));
        assert_eq!(resumed.header("cache-control"), Some("no-store"));
        assert!(
            !resumed.body.contains("og:title"),
            "a run's page is nobody's preview"
        );
        assert_eq!(
            invocations(&app, &link.full_url).await,
            1,
            "nothing more counted"
        );
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 1);

        // Another browser has no run here, and the link's one start is spent.
        let other = app.get(&local(&link.full_url), None).await;
        assert_eq!(other.status, StatusCode::GONE);
        assert!(other.body.contains("This link has been used up"));
        // A cookie naming some other run resumes nothing, and is forgotten.
        let stranger = app
            .get(
                &local(&link.full_url),
                Some("flowshare_run=AAAAAAAAAAAAAAAAAAAAAA"),
            )
            .await;
        assert_eq!(stranger.status, StatusCode::GONE);
        assert_eq!(
            stranger.set_cookie("flowshare_run"),
            Some(
                format!("flowshare_run=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax").as_str()
            )
        );

        // Finished, the run is over: reopening shows the link's own ending and forgets the cookie.
        let done = app
            .run_step(
                &token,
                &[
                    ("action", "answer"),
                    ("at", "1"),
                    ("step", "choose"),
                    ("choice", "2"),
                ],
            )
            .await;
        assert_eq!(done.status, StatusCode::OK, "{done:?}");
        let after = app.get(&local(&link.full_url), Some(&cookie)).await;
        assert_eq!(after.status, StatusCode::GONE);
        assert!(after
            .set_cookie("flowshare_run")
            .is_some_and(|c| c.contains("Max-Age=0")));
    }
);

app_tests!(
    on_a_loopback_host_the_run_cookie_is_the_links_own_and_partitioned,
    |app| async move {
        let link = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        let id = link_id(&link.full_url);
        let started = start_in_browser(&app, &link.full_url, Some("http://127.0.0.1:3000")).await;
        let name = format!("__Host-flowshare_run_{id}");
        let set = started.set_cookie(&name).expect("the run cookie");
        assert!(
            set.ends_with("; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=None; Partitioned"),
            "{set}"
        );
        assert!(started.set_cookie("flowshare_run").is_none());
        let cookie = started.cookie(&name).expect("a cookie");
        let resumed = app.get(&local(&link.full_url), Some(&cookie)).await;
        assert_eq!(resumed.status, StatusCode::OK);
        assert!(resumed.body.contains("What would you like to do?"));
        let policy = resumed
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(
            policy.contains("frame-ancestors http://localhost:8080"),
            "{policy}"
        );
        // Another link's page does not take this link's cookie.
        let other = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        let page = app.get(&local(&other.full_url), Some(&cookie)).await;
        assert!(page.body.contains("Hello"), "{}", page.body);
    }
);

app_tests!(
    where_the_deployment_is_https_nobody_can_plant_a_run_of_their_own,
    server::testing::TestOptions {
        https: true,
        ..server::testing::TestOptions::default()
    },
    |app| async move {
        let link = generate(&app, "order-status-lookup", "order-widget", "", true).await;
        let started = start_in_browser(&app, &link.full_url, Some("https://go.example")).await;
        let name = format!("__Host-flowshare_run_{}", link_id(&link.full_url));
        assert!(started.set_cookie(&name).is_some(), "{started:?}");
        // A plain cookie (which a sibling subdomain or the network could set) is never read here,
        // even holding a real run's token: the page is the link's first step.
        let token = started
            .header("location")
            .expect("to the run")
            .trim_start_matches("/r/")
            .to_owned();
        let planted = format!("flowshare_run={token}");
        let page = app.get(&local(&link.full_url), Some(&planted)).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("Hello"), "{}", page.body);
        assert!(!page.body.contains(&token));
    }
);

app_tests!(every_ending_takes_either_way_forward, |app| async move {
    let admin = app.log_in("admin", "demo-admin-pass").await;
    let by = app::domain::UserView {
        name: "admin".into(),
        role: app::domain::Role::Admin,
    };
    let flow = slug("order-status-lookup");
    let once = AccessProtection::Protected {
        allowed_invocations: Some(1),
        expiry: None,
        validate_params: true,
    };
    app.test_store
        .store
        .applications
        .set_availability(&flow, &slug("help-centre"), once)
        .await
        .expect("protected");
    let kinds = ["expired", "used-up", "disabled", "withdrawn"];
    for redirect in [false, true] {
        let endings: Vec<(String, String)> = kinds
            .iter()
            .map(|code| {
                (
                    format!("Our words for {code}."),
                    format!("https://shop.example/{code}"),
                )
            })
            .collect();
        let typed: Vec<(&str, &str, &str, &str, bool)> = kinds
            .iter()
            .zip(&endings)
            .map(|(code, (message, url))| {
                if redirect {
                    (*code, "redirect", "", url.as_str(), true)
                } else {
                    (*code, "page", message.as_str(), url.as_str(), false)
                }
            })
            .collect();
        let saved = save_link_pages(&app, &admin, &link_pages_form("", "", &typed)).await;
        assert_eq!(saved.status, StatusCode::FOUND, "{saved:?}");

        // Each ending, on a link of its own.
        let fresh = || generate(&app, "order-status-lookup", "help-centre", "name=Ada", true);
        let expired = fresh().await;
        let expired = expired_copy(&app, &expired, "name=Ada").await;
        let used_up = fresh().await;
        let first = app.first_move(&used_up.full_url).await;
        assert_eq!(
            app.start_run(&used_up.full_url, &first, None).await.status,
            StatusCode::OK
        );
        let disabled = fresh().await;
        app.test_store
            .store
            .links
            .revoke_link(&link_id(&disabled.full_url), &by)
            .await
            .expect("revoked");
        let withdrawn = fresh().await;
        let cases = [
            ("expired", expired, StatusCode::GONE),
            ("used-up", local(&used_up.full_url), StatusCode::GONE),
            ("disabled", local(&disabled.full_url), StatusCode::GONE),
            (
                "withdrawn",
                local(&withdrawn.full_url),
                StatusCode::NOT_FOUND,
            ),
        ];
        for (code, path, status) in cases {
            if code == "withdrawn" {
                app.set_shareable("order-status-lookup", false).await;
            }
            let response = app.get(&path, None).await;
            if redirect {
                let to = onward(&response, &["Ada", "fs_sig"]);
                assert_eq!(to, format!("https://shop.example/{code}?reason={code}"));
            } else {
                assert_eq!(response.status, status, "{code}: {}", response.body);
                assert!(
                    response.body.contains(&format!("Our words for {code}.")),
                    "{code}"
                );
                assert!(
                        response.body.contains(&format!(
                            r#"<a href="https://shop.example/{code}" rel="noreferrer" class="button primary">Continue to shop.example</a>"#
                        )),
                        "{code}: {}",
                        response.body
                    );
                assert_eq!(response.header("cache-control"), Some("no-store"));
            }
        }
        app.set_shareable("order-status-lookup", true).await;
    }
});

app_tests!(
    a_refusal_page_leads_onward_only_for_the_ending_its_own_check_found,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let kinds = ["expired", "used-up", "disabled", "withdrawn"];
        let typed: Vec<(&str, &str, &str, &str, bool)> = kinds
            .iter()
            .map(|code| (*code, "redirect", "", "https://shop.example/ended", true))
            .collect();
        let saved = save_link_pages(&app, &admin, &link_pages_form("", "", &typed)).await;
        assert_eq!(saved.status, StatusCode::FOUND, "{saved:?}");
        let link = generate(&app, "returns-and-refunds", "help-centre", "name=Ada", true).await;
        let live = local(&link.full_url);
        // The same link with a made-up signature: a real id, but not valid.
        let (path, query) = live.split_once('?').expect("a query");
        let forged = format!(
            "{path}?{}fs_sig={}",
            query.split("fs_sig=").next().expect("signed"),
            "A".repeat(43)
        );
        for from in [&live, &forged] {
            for code in kinds {
                let page = app
                    .get(
                        &format!(
                            "/refused/{code}?from={}",
                            app::domain::query::encode_component(from)
                        ),
                        None,
                    )
                    .await;
                assert_ne!(
                    page.status,
                    StatusCode::FOUND,
                    "{code} from {from}: {page:?}"
                );
                assert!(page.header("location").is_none());
                assert!(!page.body.contains("shop.example"), "{code}");
            }
        }
    }
);
