//! Control characters (NUL, the other C0 controls, DEL, C1) are refused wherever a person or a
//! link can put text, with the field named; multi-line texts keep tabs and line breaks. Nothing
//! is written for a refused request.

use app::api::applications::SaveApplication;
use app::api::review::ReviewFlow;
use app::api::share::GenerateLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::TestApp;

/// The order status flow's links, as `cookie`'s user is shown them.
async fn listed_links(app: &TestApp, cookie: &str) -> usize {
    app.shared_links(cookie, "order-status-lookup").await.len()
}

app_tests!(
    a_parameter_with_a_control_character_is_refused_by_name,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let before = listed_links(&app, &publisher).await;
        for value in ["A%00B", "line%0Abreak", "tab%09", "del%7F", "c1%C2%85"] {
            let params = format!("name=Ada&note={value}");
            let refused = app
                .call(
                    GenerateLink::PATH,
                    &[
                        ("flow", "order-status-lookup"),
                        ("application", "help-centre"),
                        ("params", &params),
                        ("protect", "true"),
                        ("shorten", "true"),
                    ],
                    Some(&publisher),
                )
                .await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{value}");
            assert!(
                refused
                    .body
                    .contains("\\\"note\\\" holds a control character"),
                "{value}: {}",
                refused.body
            );
        }
        assert_eq!(
            listed_links(&app, &publisher).await,
            before,
            "nothing written"
        );
    }
);

app_tests!(
    an_open_link_given_a_control_character_by_its_recipient_is_not_valid,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let made = app
            .call(
                GenerateLink::PATH,
                &[
                    ("flow", "order-status-lookup"),
                    ("application", "help-centre"),
                    ("params", "name=Ada"),
                    ("protect", "false"),
                    ("shorten", "false"),
                ],
                Some(&publisher),
            )
            .await;
        let link: app::domain::share::GeneratedLink =
            serde_json::from_str(&made.body).expect("an open link");
        let url = url::Url::parse(&link.full_url).expect("url");
        let path_and_query = format!("{}?{}", url.path(), url.query().unwrap_or_default());
        assert_eq!(app.get(&path_and_query, None).await.status, StatusCode::OK);
        let altered = path_and_query.replace("name=Ada", "name=Ada%00");
        assert_eq!(app.get(&altered, None).await.status, StatusCode::FORBIDDEN);
    }
);

app_tests!(
    console_fields_refuse_control_characters_and_comments_keep_line_breaks,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let saved = app
            .call(
                SaveApplication::PATH,
                &[
                    ("creating", "true"),
                    ("name", "Kiosk\u{0}"),
                    ("kind", "web_page"),
                    ("base_url", "https://kiosk.example"),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(saved.status, StatusCode::UNPROCESSABLE_ENTITY, "{saved:?}");
        assert!(
            saved.body.contains("no control characters"),
            "{}",
            saved.body
        );
        let tabbed_url = app
            .call(
                SaveApplication::PATH,
                &[
                    ("creating", "true"),
                    ("name", "Kiosk"),
                    ("kind", "web_page"),
                    ("base_url", "https://kio\tsk.example"),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(tabbed_url.status, StatusCode::UNPROCESSABLE_ENTITY);
        let bell = app
            .call(
                ReviewFlow::PATH,
                &[
                    ("slug", "insurance-claim-intake"),
                    ("decision", "reject"),
                    ("comment", "Wrong\u{7} wording"),
                ],
                Some(&admin),
            )
            .await;
        assert!(
            bell.body.contains("no other control characters"),
            "{}",
            bell.body
        );
        let two_lines = app
            .call(
                ReviewFlow::PATH,
                &[
                    ("slug", "insurance-claim-intake"),
                    ("decision", "reject"),
                    ("comment", "Wrong wording.\n\tSee step two."),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(two_lines.status, StatusCode::OK, "{two_lines:?}");
    }
);
