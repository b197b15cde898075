//! The Applications page over HTTP: what the list shows (never a secret) and Regenerate key.

use app::api::applications::{ListApplications, RegenerateKey};
use app::api::review::AuditLog;
use app::api::share::GenerateLink;
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::share::GeneratedLink;
use app::views::ApplicationSummary;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;

app_tests!(
    the_list_shows_a_fingerprint_never_the_key,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let response = app.call(ListApplications::PATH, &[], Some(&admin)).await;
        let apps: Vec<ApplicationSummary> =
            serde_json::from_str(&response.body).expect("applications");
        assert_eq!(apps.len(), 4);
        let widget = apps
            .iter()
            .find(|a| a.slug == "order-widget")
            .expect("widget");
        assert_eq!(
            widget.embed_origins,
            ["http://localhost:8080", "http://127.0.0.1:8080"]
        );
        assert_eq!((widget.key_version, widget.key_fingerprint.len()), (1, 8));
        assert!(
            !response.body.contains("secret"),
            "no key material in the answer"
        );
        let page = app.get("/applications", Some(&admin)).await;
        assert!(
            page.body.contains("Regenerate key…") && page.body.contains("This cannot be undone.")
        );
    }
);

app_tests!(
    regenerating_a_key_from_the_page_disables_old_links_and_is_audited,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let form = [
            ("flow", "order-status-lookup"),
            ("application", "order-widget"),
            ("params", ""),
            ("protect", "true"),
            ("shorten", "false"),
        ];
        let old: GeneratedLink =
            serde_json::from_str(&app.call(GenerateLink::PATH, &form, Some(&admin)).await.body)
                .expect("link");
        let request = http::Request::post(RegenerateKey::PATH)
            .header("accept", "text/html")
            .header("origin", server::testing::CONSOLE_URL)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &admin)
            .body(axum::body::Body::from("application=order-widget"))
            .expect("request");
        let response = app.send(request).await;
        assert_eq!(
            response.header("location"),
            Some("/applications?regenerated=order-widget")
        );
        let url = url::Url::parse(&old.full_url).expect("url");
        let page = app
            .get(
                &format!("{}?{}", url.path(), url.query().unwrap_or_default()),
                None,
            )
            .await;
        assert_eq!(page.status, StatusCode::GONE);
        let apps: Vec<ApplicationSummary> = serde_json::from_str(
            &app.call(ListApplications::PATH, &[], Some(&admin))
                .await
                .body,
        )
        .expect("apps");
        assert_eq!(
            apps.iter()
                .find(|a| a.slug == "order-widget")
                .map(|a| a.key_version),
            Some(2)
        );
        let audit: AuditPage = serde_json::from_str(
            &app.call(AuditLog::PATH, &[("q", "order-widget")], Some(&admin))
                .await
                .body,
        )
        .expect("audit");
        assert_eq!(audit.entries[0].action, AuditAction::KeyRegenerated);
        assert_eq!(
            audit.entries[0].detail,
            "now key version 2; every earlier link is disabled"
        );
    }
);

app_tests!(
    only_admins_see_applications_or_regenerate_keys,
    |app| async move {
        for (user, password) in [
            ("publisher", "demo-publisher-pass"),
            ("viewer", "demo-viewer-pass"),
        ] {
            let cookie = app.log_in(user, password).await;
            assert_eq!(
                app.call(ListApplications::PATH, &[], Some(&cookie))
                    .await
                    .status,
                StatusCode::FORBIDDEN
            );
            assert_eq!(
                app.call(
                    RegenerateKey::PATH,
                    &[("application", "help-centre")],
                    Some(&cookie)
                )
                .await
                .status,
                StatusCode::FORBIDDEN
            );
        }
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let unknown = app
            .call(
                RegenerateKey::PATH,
                &[("application", "nope")],
                Some(&admin),
            )
            .await;
        assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    }
);

use app::api::applications::SaveApplication;
use app::api::flows::GetFlowDetails;
use app::domain::FlowDetails;

/// Posts the application form as a browser does (unchecked flow boxes leave gaps in the indices).
async fn post_form(
    app: &server::testing::TestApp,
    cookie: &str,
    body: &str,
) -> server::testing::TestResponse {
    let request = http::Request::post(SaveApplication::PATH)
        .header("accept", "text/html")
        .header("origin", server::testing::CONSOLE_URL)
        .header("content-type", "application/x-www-form-urlencoded")
        .header("cookie", cookie)
        .body(axum::body::Body::from(body.to_owned()))
        .expect("request");
    app.send(request).await
}

app_tests!(
    an_admin_creates_an_embeddable_application_with_two_flows,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let body = "creating=true&name=Shop+Widget&slug=&kind=widget&base_url=https%3A%2F%2Fshop.example.com%2F\
                &embed_origins=https%3A%2F%2Fshop.example.com%0D%0Ahttps%3A%2F%2Fwww.shop.example.com\
                &flows%5B0%5D=order-status-lookup&flows%5B3%5D=returns-and-refunds";
        let response = post_form(&app, &admin, body).await;
        assert_eq!(
            response.header("location"),
            Some("/applications?saved=shop-widget"),
            "{response:?}"
        );
        let apps: Vec<ApplicationSummary> = serde_json::from_str(
            &app.call(ListApplications::PATH, &[], Some(&admin))
                .await
                .body,
        )
        .expect("apps");
        let shop = apps
            .iter()
            .find(|a| a.slug == "shop-widget")
            .expect("created");
        assert_eq!((shop.flow_count, shop.key_version), (2, 1));
        assert_eq!(
            shop.embed_origins,
            ["https://shop.example.com", "https://www.shop.example.com"]
        );
        let details: FlowDetails = serde_json::from_str(
            &app.call(
                GetFlowDetails::PATH,
                &[("slug", "returns-and-refunds")],
                Some(&admin),
            )
            .await
            .body,
        )
        .expect("details");
        assert!(details
            .availability
            .iter()
            .any(|a| a.application_slug == "shop-widget"
                && a.protection == app::domain::AccessProtection::Open));

        // Editing: a different base URL and only one flow left.
        let edit = "creating=false&name=Shop+Widget&slug=shop-widget&kind=widget&base_url=https%3A%2F%2Fwidgets.example.com\
                &embed_origins=https%3A%2F%2Fshop.example.com&flows%5B1%5D=order-status-lookup";
        assert_eq!(
            post_form(&app, &admin, edit).await.header("location"),
            Some("/applications?saved=shop-widget")
        );
        let apps: Vec<ApplicationSummary> = serde_json::from_str(
            &app.call(ListApplications::PATH, &[], Some(&admin))
                .await
                .body,
        )
        .expect("apps");
        let shop = apps
            .iter()
            .find(|a| a.slug == "shop-widget")
            .expect("edited");
        assert_eq!(
            (shop.flow_count, shop.base_url.as_str()),
            (1, "https://widgets.example.com")
        );
        let audit: AuditPage = serde_json::from_str(
            &app.call(AuditLog::PATH, &[("q", "shop-widget")], Some(&admin))
                .await
                .body,
        )
        .expect("audit");
        assert_eq!(
            audit
                .entries
                .iter()
                .filter(|e| e.action == AuditAction::ApplicationSaved)
                .count(),
            2
        );
    }
);

app_tests!(
    a_refused_application_form_names_each_field_and_keeps_the_values,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let body = "creating=true&name=Help&slug=help-centre&kind=web_page&base_url=ftp%3A%2F%2Fx&embed_origins=https%3A%2F%2Fx.example&flows%5B0%5D=order-status-lookup";
        let response = post_form(&app, &admin, body).await;
        let location = response
            .header("location")
            .expect("back to the form")
            .to_owned();
        assert!(location.starts_with("/applications/new?refill=1&name=Help&slug=help-centre&kind=web_page&base_url=ftp%3A%2F%2Fx"), "{location}");
        assert!(
            location.ends_with("&flow=order-status-lookup&invalid=base_url%2Cembed_origins"),
            "{location}"
        );
        let page = app.get(&location, Some(&admin)).await;
        assert!(
            page.body.contains(r#"value="ftp://x""#),
            "typed values kept"
        );
        assert!(page
            .body
            .contains("The base URL must start with http:// or https://"));
        assert!(page.body.contains("a web page has none"));
        // A taken slug is refused too, and nothing was created.
        let taken = "creating=true&name=Help&slug=help-centre&kind=web_page&base_url=https%3A%2F%2Fh.example";
        let location = post_form(&app, &admin, taken)
            .await
            .header("location")
            .map(str::to_owned)
            .unwrap_or_default();
        assert!(location.ends_with("invalid=slug"), "{location}");
        let apps: Vec<ApplicationSummary> = serde_json::from_str(
            &app.call(ListApplications::PATH, &[], Some(&admin))
                .await
                .body,
        )
        .expect("apps");
        assert_eq!(apps.len(), 4);
    }
);
