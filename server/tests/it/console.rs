//! The console over HTTP, driven through the real router: sign-in, the session cookie, role and
//! session checks on server functions, and the server-rendered Flows and Details pages.

use app::api::auth::{CurrentUser, Login, Logout};
use app::api::flows::{GetFlowDetails, ListFlows};
use app::domain::{FlowDetails, FlowPage, ShareBlocker};
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;

app_tests!(
    signing_in_sets_an_http_only_same_site_cookie,
    |app| async move {
        let response = app
            .call(
                Login::PATH,
                &[("name", "admin"), ("password", "demo-admin-pass")],
                None,
            )
            .await;
        assert!(
            response.status.is_success() || response.status.is_redirection(),
            "{response:?}"
        );
        let cookie = response.header("set-cookie").expect("a session cookie");
        assert!(cookie.starts_with("flowshare_session="), "{cookie}");
        assert!(
            cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
            "{cookie}"
        );
        assert!(
            !cookie.contains("Secure"),
            "plain http in tests: no Secure attribute"
        );
    }
);

app_tests!(a_wrong_password_gets_401_and_no_cookie, |app| async move {
    for (name, password) in [
        ("admin", "wrong-password"),
        ("nobody", "demo-admin-pass"),
        ("", ""),
        ("x' OR '1'='1", "x"),
    ] {
        let response = app
            .call(Login::PATH, &[("name", name), ("password", password)], None)
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{name:?}: {response:?}"
        );
        assert!(response.header("set-cookie").is_none());
        assert!(
            response.body.contains("BadCredentials"),
            "{}",
            response.body
        );
    }
});

app_tests!(
    repeated_wrong_passwords_lock_the_name_for_a_while,
    |app| async move {
        let sign_in = |name: &'static str, password: &'static str| {
            let app = &app;
            async move {
                app.call(Login::PATH, &[("name", name), ("password", password)], None)
                    .await
            }
        };
        for name in ["publisher", "nobody"] {
            for _ in 0..5 {
                assert_eq!(
                    sign_in(name, "guess").await.status,
                    StatusCode::UNAUTHORIZED
                );
            }
            // Locked: even the right password is not checked, and a real user looks like no user.
            let locked = sign_in(name, "demo-publisher-pass").await;
            assert_eq!(
                locked.status,
                StatusCode::TOO_MANY_REQUESTS,
                "{name}: {locked:?}"
            );
            assert!(locked.header("set-cookie").is_none());
            assert!(
                locked
                    .header("retry-after")
                    .and_then(|s| s.parse::<u64>().ok())
                    .is_some_and(|s| (1..=30).contains(&s)),
                "{locked:?}"
            );
            assert!(
                locked.body.contains("SignInLocked"),
                "{name}: {}",
                locked.body
            );
        }
        // Other names are not affected.
        let admin = sign_in("admin", "demo-admin-pass").await;
        assert!(admin.header("set-cookie").is_some(), "{admin:?}");

        // A browser's form post comes back to the form, which says how long to wait.
        let back = app
            .browser_post(Login::PATH, "name=Publisher&password=guess", None)
            .await;
        let location = back
            .header("location")
            .expect("back to the form")
            .to_owned();
        assert!(
            location.starts_with("/login?locked=") && location.contains("&name=Publisher&"),
            "names are locked case-insensitively: {location}"
        );
        let page = app.get(&location, None).await;
        assert!(
            page.body
                .contains("Too many failed sign-ins for this user name. Try again in "),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("value=\"Publisher\""),
            "the name is kept"
        );
    }
);

app_tests!(
    server_functions_refuse_callers_without_a_session,
    |app| async move {
        for (path, form) in [
            (ListFlows::PATH, vec![("q", "order")]),
            (GetFlowDetails::PATH, vec![("slug", "order-status-lookup")]),
        ] {
            let anonymous = app.call(path, &form, None).await;
            assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED, "{path}");
            assert!(
                !anonymous.body.contains("Order Status"),
                "no data leaks to anonymous callers"
            );
            let forged = app
                .call(path, &form, Some("flowshare_session=forged"))
                .await;
            assert_eq!(forged.status, StatusCode::UNAUTHORIZED, "{path}");
        }
        let nobody = app.call(CurrentUser::PATH, &[], None).await;
        assert_eq!(
            (nobody.status, nobody.body.as_str()),
            (StatusCode::OK, "null")
        );
    }
);

app_tests!(a_signed_in_viewer_searches_flows, |app| async move {
    let cookie = app.log_in("viewer", "demo-viewer-pass").await;
    let response = app
        .call(ListFlows::PATH, &[("q", "refund")], Some(&cookie))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    let page: FlowPage = serde_json::from_str(&response.body).expect("a page of flows");
    assert_eq!(
        page.flows
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        ["Returns and Refunds"]
    );
});

app_tests!(
    share_is_blocked_for_viewers_and_for_flows_that_are_not_ready,
    |app| async move {
        let details = |cookie: String, slug: &'static str| {
            let app = &app;
            async move {
                let response = app
                    .call(GetFlowDetails::PATH, &[("slug", slug)], Some(&cookie))
                    .await;
                assert_eq!(response.status, StatusCode::OK, "{slug}: {response:?}");
                serde_json::from_str::<FlowDetails>(&response.body).expect("flow details")
            }
        };
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let viewer = app.log_in("viewer", "demo-viewer-pass").await;
        assert_eq!(
            details(publisher.clone(), "order-status-lookup")
                .await
                .share_blocker,
            None
        );
        assert_eq!(
            details(viewer, "order-status-lookup").await.share_blocker,
            Some(ShareBlocker::ReadOnlyRole)
        );
        assert_eq!(
            details(publisher.clone(), "gift-card-balance")
                .await
                .share_blocker,
            Some(ShareBlocker::NotPublished)
        );
        assert_eq!(
            details(publisher.clone(), "insurance-claim-intake")
                .await
                .share_blocker,
            Some(ShareBlocker::NotApproved)
        );
        assert_eq!(
            details(publisher, "main-ivr-menu").await.share_blocker,
            Some(ShareBlocker::NotInteraction)
        );
    }
);

app_tests!(
    an_unknown_or_malformed_slug_is_a_404_with_a_sentence,
    |app| async move {
        let cookie = app.log_in("admin", "demo-admin-pass").await;
        for slug in ["no-such-flow", "../../etc/passwd", "<b>x</b>", ""] {
            let response = app
                .call(GetFlowDetails::PATH, &[("slug", slug)], Some(&cookie))
                .await;
            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{slug:?}: {response:?}"
            );
            assert!(
                response.body.contains("There is no flow called"),
                "{}",
                response.body
            );
        }
    }
);

app_tests!(logging_out_ends_the_session, |app| async move {
    let cookie = app.log_in("admin", "demo-admin-pass").await;
    let out = app.call(Logout::PATH, &[], Some(&cookie)).await;
    assert!(
        out.header("set-cookie")
            .is_some_and(|c| c.contains("Max-Age=0")),
        "{out:?}"
    );
    let after = app.call(ListFlows::PATH, &[], Some(&cookie)).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
});

app_tests!(
    console_pages_send_visitors_without_a_session_to_the_login,
    |app| async move {
        let response = app.get("/flows?q=ord", None).await;
        assert!(response.status.is_redirection(), "{response:?}");
        assert_eq!(
            response.header("location"),
            Some("/login?next=%2Fflows%3Fq%3Dord")
        );
        let login = app.get("/login", None).await;
        assert_eq!(login.status, StatusCode::OK);
        assert!(login.body.contains("Sign in"));
    }
);

app_tests!(
    the_flows_page_is_server_rendered_with_its_data,
    |app| async move {
        let cookie = app.log_in("viewer", "demo-viewer-pass").await;
        let response = app.get("/flows?q=ord", Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::OK, "{response:?}");
        assert!(
            response.body.contains("Order Status Lookup"),
            "the rows are in the first HTML"
        );
        assert!(
            !response.body.contains("Returns and Refunds"),
            "the search narrowed the list"
        );
        assert!(
            response.body.contains(r#"value="ord""#),
            "the search field shows the query"
        );
        assert_eq!(
            response.header("x-frame-options"),
            Some("DENY"),
            "console pages can never be framed"
        );
    }
);

app_tests!(hostile_search_text_is_only_text, |app| async move {
    let cookie = app.log_in("viewer", "demo-viewer-pass").await;
    let long = "a".repeat(10_000);
    let cases = [
        ("", "Order Status Lookup"),
        ("%3Cscript%3Ealert(1)%3C%2Fscript%3E", "No flows match"),
        ("'%20OR%201%3D1%20--", "No flows match"),
        ("%25", "No flows match"),
        ("r%C3%BCckruf", "Rückruf vereinbaren"),
        (long.as_str(), "No flows match"),
    ];
    for (q, expected) in cases {
        let response = app.get(&format!("/flows?q={q}"), Some(&cookie)).await;
        assert_eq!(response.status, StatusCode::OK, "{q:.40}");
        assert!(
            response.body.contains(expected),
            "{q:.40}: expected {expected:?}"
        );
        assert!(
            !response.body.contains("<script>alert(1)</script>"),
            "HTML in the query is escaped"
        );
    }
});

app_tests!(
    the_details_tab_shows_why_share_is_disabled,
    |app| async move {
        let cookie = app.log_in("publisher", "demo-publisher-pass").await;
        let draft = app.get("/flows/gift-card-balance", Some(&cookie)).await;
        assert_eq!(draft.status, StatusCode::OK);
        assert!(
            draft.body.contains("Only published flows can be shared"),
            "{}",
            draft.body
        );
        let other_type = app.get("/flows/main-ivr-menu", Some(&cookie)).await;
        assert!(other_type
            .body
            .contains("To share other flow types, use the designer."));
        let ready = app.get("/flows/order-status-lookup", Some(&cookie)).await;
        assert!(
            ready.body.contains("Customer Help Centre"),
            "the available applications are listed"
        );
        let missing = app.get("/flows/no-such-flow", Some(&cookie)).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
    }
);
