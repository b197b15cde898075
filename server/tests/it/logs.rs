//! What the server writes to its log: JSON lines that parse, each request's id on its lines and in
//! its `X-Request-Id`, and never a password, session token, device cookie, link id, short code,
//! signature, run token, or a recipient's parameter or answer. (Its captures are per thread: each test sees the log of what it does, whatever runs beside it.)

use app::api::auth::Login;
use app::api::share::GenerateLink;
use app::domain::share::GeneratedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::testing::{run_outcome, Engine, LogCapture, TestApp};

// One thread: the subscriber set here sees everything the requests log.
#[tokio::test(flavor = "current_thread")]
async fn logs_are_json_with_request_ids_and_hold_no_secrets() {
    let captured = LogCapture::start("debug");
    let app = TestApp::with_demo(Engine::Sqlite).await.expect("an app");
    let wrong = [("name", "publisher"), ("password", "wrong-hunter2-guess")];
    assert_eq!(
        app.call(Login::PATH, &wrong, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    let right = [("name", "publisher"), ("password", "demo-publisher-pass")];
    let welcome = app.call(Login::PATH, &right, None).await;
    let cookie = welcome.cookie("flowshare_session").expect("a session");
    let token = cookie.split_once('=').expect("name=value").1.to_owned();
    // A known browser's failure is counted under its device cookie, which is no more written
    // down than the password.
    let device = welcome.cookie("flowshare_device").expect("a device cookie");
    let typo = [("name", "publisher"), ("password", "known-browser-typo")];
    assert_eq!(
        app.call(Login::PATH, &typo, Some(&device)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let device = device.split_once('=').expect("name=value").1.to_owned();
    let device_nonce = device.split('.').next().expect("a nonce").to_owned();
    let form = [
        ("flow", "order-status-lookup"),
        ("application", "order-widget"),
        ("params", "name=Secretariat Smith"),
        ("protect", "true"),
        ("shorten", "true"),
    ];
    let generated = app.call(GenerateLink::PATH, &form, Some(&cookie)).await;
    let link: GeneratedLink = serde_json::from_str(&generated.body).expect("a link");
    let url = url::Url::parse(&link.full_url).expect("a URL");
    let local = format!("{}?{}", url.path(), url.query().unwrap_or_default());
    let opened = app.get(&local, None).await;
    assert_eq!(opened.status, StatusCode::OK);
    let short = url::Url::parse(link.short_url.as_deref().expect("short"))
        .expect("a URL")
        .path()
        .to_owned();
    assert_eq!(app.get(&short, None).await.status, StatusCode::FOUND);
    // A run: its token and the recipient's answer are secrets too.
    let first = app.first_move(&link.full_url).await;
    let run = run_outcome(&app.start_run(&link.full_url, &first, None).await).expect("a run");
    let run_token = run.token.expect("a token").as_str().to_owned();
    let chose = run_outcome(
        &app.run_step(
            &run_token,
            &[
                ("action", "answer"),
                ("at", "1"),
                ("step", "choose"),
                ("choice", "0"),
            ],
        )
        .await,
    )
    .expect("a choice");
    assert_eq!(chose.step.id, "reference");
    let answered = app
        .run_step(
            &run_token,
            &[
                ("action", "answer"),
                ("at", "2"),
                ("step", "reference"),
                ("value", "Customer-Quokka-77"),
            ],
        )
        .await;
    assert_eq!(answered.status, StatusCode::OK, "{answered:?}");
    let run_page = app.get(&format!("/r/{run_token}"), None).await;
    assert_eq!(run_page.status, StatusCode::OK);
    // A request id a proxy sent along is kept; one that could smuggle text is not.
    let mut with_id = http::Request::get("/login")
        .header("x-request-id", "lb-1234")
        .body(axum::body::Body::empty())
        .expect("a request");
    with_id
        .headers_mut()
        .insert("accept", "text/html".parse().expect("a value"));
    assert_eq!(
        app.send(with_id).await.header("x-request-id"),
        Some("lb-1234")
    );

    let log = captured.text();
    assert!(
        log.lines().count() >= 7,
        "a line per request at least:\n{log}"
    );
    let link_id = url.path().rsplit('/').next().expect("an id");
    let signature = url
        .query_pairs()
        .find(|(k, _)| k == "fs_sig")
        .map(|(_, v)| v.into_owned())
        .expect("a signature");
    let code = short.trim_start_matches("/s/");
    for secret in [
        "wrong-hunter2-guess",
        "demo-publisher-pass",
        "known-browser-typo",
        token.as_str(),
        device.as_str(),
        device_nonce.as_str(),
        link_id,
        signature.as_str(),
        code,
        "Secretariat",
        run_token.as_str(),
        "Customer-Quokka-77",
    ] {
        assert!(!log.contains(secret), "{secret:?} is in the log:\n{log}");
    }
    // Every line is a JSON object; a request's lines carry its id, which its response names.
    let opened_id = opened.header("x-request-id").expect("an id").to_owned();
    let mut lines_of_the_open = 0;
    for line in log.lines() {
        let entry: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert!(
            entry.get("level").is_some() && entry.get("timestamp").is_some(),
            "{line}"
        );
        let span_id = entry.pointer("/span/id").and_then(|v| v.as_str());
        if span_id == Some(opened_id.as_str()) {
            lines_of_the_open += 1;
            assert_eq!(
                entry.pointer("/span/path").and_then(|v| v.as_str()),
                Some("/f/order-widget/order-status-lookup/…"),
                "{line}"
            );
        }
    }
    assert!(lines_of_the_open >= 1, "the open's access line:\n{log}");
}

server::app_tests!(
    a_server_function_call_that_cannot_be_read_is_a_400_with_a_sentence_and_no_warning,
    |app| async move {
        use app::api::runs::RunStep;
        use app::error::AppError;
        let before = app.test_store.scalar("SELECT COUNT(*) FROM runs").await;
        let captured = LogCapture::start("debug");
        {
            let calls: [(&str, &[(&str, &str)]); 5] = [
                // The finding: a run step with nothing but a token.
                (RunStep::PATH, &[("token", "x")]),
                (
                    RunStep::PATH,
                    &[
                        ("token", "x"),
                        ("token", "y"),
                        ("action", "answer"),
                        ("at", "1"),
                        ("step", "s"),
                    ],
                ),
                (
                    GenerateLink::PATH,
                    &[
                        ("flow", "order-status-lookup"),
                        ("application", "order-widget"),
                        ("params", ""),
                        ("protect", "perhaps"),
                        ("shorten", "false"),
                    ],
                ),
                (Login::PATH, &[]),
                (Login::PATH, &[("name[]", "admin"), ("password", "x")]),
            ];
            for _ in 0..50 {
                for (path, form) in calls {
                    let refused = app.call(path, form, None).await;
                    assert_eq!(
                        refused.status,
                        StatusCode::BAD_REQUEST,
                        "{path} {form:?}: {refused:?}"
                    );
                    let error: AppError = serde_json::from_str(&refused.body).expect("an error");
                    assert!(
                        matches!(&error, AppError::Malformed(_)),
                        "{path}: {error:?}"
                    );
                    assert!(error
                        .to_string()
                        .starts_with("The request could not be read: "));
                }
            }
        }
        let log = captured.text();
        assert!(
            !log.contains("\"WARN\"") && !log.contains("\"ERROR\""),
            "refusals are not faults:\n{log}"
        );
        assert_eq!(
            app.test_store.scalar("SELECT COUNT(*) FROM runs").await,
            before,
            "nothing written"
        );
    }
);
