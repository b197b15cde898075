//! The Access Protection tab over HTTP: saving, refusing bad values without losing them, roles,
//! the audit trail, and new links following the saved settings.

use app::api::flows::GetFlowDetails;
use app::api::protection::SaveAccessProtection;
use app::api::review::AuditLog;
use app::api::share::GenerateLink;
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::link::LinkRefusal;
use app::domain::share::GeneratedLink;
use app::domain::{AccessProtection, Expiry, ExpiryUnit, FlowDetails};
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{run_outcome, TestApp};

/// The form as the browser sends it for Order Status Lookup's two applications.
fn form(help_invocations: &str, help_amount: &str) -> Vec<(&'static str, String)> {
    vec![
        ("slug", "order-status-lookup".into()),
        ("apps[0][application]", "help-centre".into()),
        ("apps[0][access]", "protected".into()),
        ("apps[0][invocations]", help_invocations.into()),
        ("apps[0][expiry_amount]", help_amount.into()),
        ("apps[0][expiry_unit]", "days".into()),
        ("apps[0][validate_params]", "on".into()),
        ("apps[1][application]", "order-widget".into()),
        ("apps[1][access]", "open".into()),
        ("apps[1][invocations]", String::new()),
        ("apps[1][expiry_amount]", String::new()),
        ("apps[1][expiry_unit]", "days".into()),
    ]
}

async fn save(
    app: &TestApp,
    cookie: &str,
    fields: &[(&'static str, String)],
    html: bool,
) -> server::testing::TestResponse {
    let body = server::testing::form_body(fields);
    let mut request = http::Request::post(SaveAccessProtection::PATH)
        .header("origin", server::testing::CONSOLE_URL)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie);
    if html {
        request = request.header("accept", "text/html");
    }
    app.send(request.body(axum::body::Body::from(body)).expect("request"))
        .await
}

async fn protection_of(app: &TestApp, cookie: &str, application: &str) -> AccessProtection {
    let response = app
        .call(
            GetFlowDetails::PATH,
            &[("slug", "order-status-lookup")],
            Some(cookie),
        )
        .await;
    let details: FlowDetails = serde_json::from_str(&response.body).expect("details");
    details
        .availability
        .into_iter()
        .find(|a| a.application_slug == application)
        .expect("available")
        .protection
}

app_tests!(
    an_admin_saves_protection_and_new_links_follow_it,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let saved = save(&app, &admin, &form("2", "1"), true).await;
        assert_eq!(saved.status, StatusCode::FOUND, "{saved:?}");
        assert_eq!(
            saved.header("location"),
            Some("/flows/order-status-lookup/access?saved=1")
        );
        assert_eq!(
            protection_of(&app, &admin, "help-centre").await,
            AccessProtection::Protected {
                allowed_invocations: Some(2),
                expiry: Some(Expiry {
                    amount: 1,
                    unit: ExpiryUnit::Days
                }),
                validate_params: true
            }
        );
        assert_eq!(
            protection_of(&app, &admin, "order-widget").await,
            AccessProtection::Open
        );

        let form = [
            ("flow", "order-status-lookup"),
            ("application", "help-centre"),
            ("params", ""),
            ("protect", "true"),
            ("shorten", "true"),
        ];
        let link: GeneratedLink =
            serde_json::from_str(&app.call(GenerateLink::PATH, &form, Some(&admin)).await.body)
                .expect("link");
        let expires = link.expires_at.expect("expires in a day");
        assert!((expires - server::db::now_millis() / 1_000 - 86_400).abs() < 60);
        let url = url::Url::parse(&link.full_url).expect("url");
        let first = app.first_move(&link.full_url).await;
        let start = || app.start_run(&link.full_url, &first, None);
        for _ in 0..2 {
            assert!(run_outcome(&start().await).is_ok());
        }
        assert_eq!(
            run_outcome(&start().await).map(|_| ()),
            Err(app::error::AppError::Link(LinkRefusal::UsedUp)),
            "the third start is refused"
        );
        let page = app
            .get(
                &format!("{}?{}", url.path(), url.query().unwrap_or_default()),
                None,
            )
            .await;
        assert!(page.body.contains("This link has been used up"));

        let audit: AuditPage = serde_json::from_str(
            &app.call(AuditLog::PATH, &[("q", "protection")], Some(&admin))
                .await
                .body,
        )
        .expect("audit");
        assert_eq!(audit.entries.len(), 2, "one entry per application");
        assert!(audit
            .entries
            .iter()
            .all(|e| e.action == AuditAction::ProtectionChanged));
        assert!(audit.entries.iter().any(|e| e.detail == "help-centre: Protected: expires after 1 day, 2 invocations, URL parameters validated."));
    }
);

app_tests!(
    bad_values_are_refused_per_field_and_come_back_as_typed,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let before = protection_of(&app, &admin, "help-centre").await;
        let refused = save(&app, &admin, &form("2.5", "99999"), true).await;
        let location = refused
            .header("location")
            .expect("back to the form")
            .to_owned();
        assert!(location.starts_with("/flows/order-status-lookup/access?help-centre.access=protected&help-centre.invocations=2.5&"), "{location}");
        assert!(
            location.ends_with("invalid=help-centre.invocations%2Chelp-centre.expiry"),
            "{location}"
        );
        assert_eq!(
            protection_of(&app, &admin, "help-centre").await,
            before,
            "nothing was saved"
        );

        let page = app.get(&location, Some(&admin)).await;
        assert!(
            page.body.contains(r#"value="2.5""#) && page.body.contains(r#"value="99999""#),
            "typed values kept"
        );
        assert!(page
            .body
            .contains("Allowed invocations: a whole number from 1 to 1,000,000"));
        assert!(page
            .body
            .contains("URL expiration: a whole number from 1 to 10,000"));

        let api = save(&app, &admin, &form("zero", ""), false).await;
        assert_eq!(api.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            api.body.contains("help-centre: Allowed invocations"),
            "{}",
            api.body
        );
    }
);

app_tests!(only_admins_change_protection, |app| async move {
    for (user, password) in [
        ("publisher", "demo-publisher-pass"),
        ("viewer", "demo-viewer-pass"),
    ] {
        let cookie = app.log_in(user, password).await;
        assert_eq!(
            save(&app, &cookie, &form("2", "1"), false).await.status,
            StatusCode::FORBIDDEN,
            "{user}"
        );
        let page = app
            .get("/flows/order-status-lookup/access", Some(&cookie))
            .await;
        assert!(
            page.body
                .contains("Only admins can change access protection.")
                && !page.body.contains("Confirm and save")
        );
    }
    // Admins save through a confirmation; Enter in a field cannot skip it, because the form's
    // first submit button (the one Enter presses) is disabled.
    let admin = app.log_in("admin", "demo-admin-pass").await;
    let page = app
        .get("/flows/order-status-lookup/access", Some(&admin))
        .await;
    let html = &page.body[page.body.find("class=\"access-form\"").expect("the form")..];
    let first_button = &html[html.find("<button").expect("a button")..];
    let first_button = &first_button[..first_button.find('>').expect("tag end")];
    assert!(first_button.contains("disabled"), "{first_button}");
    assert!(html.contains("Save…") && html.contains("Confirm and save"));
    let mut foreign = form("2", "1");
    foreign[1].1 = "chat-widget".into();
    let response = save(&app, &admin, &foreign, false).await;
    assert!(
        response.body.contains("is not available to this flow"),
        "{}",
        response.body
    );
});
