//! The Applications page over HTTP: what the list shows (never a secret) and Regenerate key.

use app::api::applications::{ListApplications, RegenerateKey};
use app::api::review::AuditLog;
use app::api::share::GenerateLink;
use app::domain::applications_page::ApplicationSummary;
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::share::GeneratedLink;
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
