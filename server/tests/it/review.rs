//! The approval workflow and the audit log over HTTP, and the role matrix: each role × each action.

use app::api::applications::{ListApplications, RegenerateKey};
use app::api::flows::{GetFlowDetails, ListFlows};
use app::api::protection::SaveAccessProtection;
use app::api::review::{AuditLog, PublishFlow, ReviewFlow};
use app::api::share::{GenerateLink, RevokeLink, SharedLinks};
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::{ApprovalStatus, FlowDetails, PublicationStatus};
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{TestApp, TestResponse};

async fn as_user(app: &TestApp, user: &str) -> String {
    app.log_in(user, &format!("demo-{user}-pass")).await
}

async fn details(app: &TestApp, cookie: &str, slug: &str) -> FlowDetails {
    let response = app
        .call(GetFlowDetails::PATH, &[("slug", slug)], Some(cookie))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("details")
}

async fn audit(app: &TestApp, cookie: &str, q: &str) -> AuditPage {
    let response = app.call(AuditLog::PATH, &[("q", q)], Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("audit page")
}

async fn generate(app: &TestApp, cookie: &str, flow: &str, protect: bool) -> TestResponse {
    let protect = protect.to_string();
    let form = [
        ("flow", flow),
        ("application", "help-centre"),
        ("params", ""),
        ("protect", protect.as_str()),
        ("shorten", "false"),
    ];
    app.call(GenerateLink::PATH, &form, Some(cookie)).await
}

app_tests!(
    a_draft_moves_to_published_then_approved_and_becomes_shareable,
    |app| async move {
        let publisher = as_user(&app, "publisher").await;
        let admin = as_user(&app, "admin").await;
        // Gift Card Balance is a Draft Interaction flow available to the help centre.
        assert_eq!(
            generate(&app, &publisher, "gift-card-balance", true)
                .await
                .status,
            StatusCode::CONFLICT
        );
        assert!(
            details(&app, &publisher, "gift-card-balance")
                .await
                .can_publish
        );

        assert_eq!(
            app.call(
                PublishFlow::PATH,
                &[("slug", "gift-card-balance")],
                Some(&publisher)
            )
            .await
            .status,
            StatusCode::OK
        );
        let published = details(&app, &admin, "gift-card-balance").await;
        assert_eq!(
            (published.summary.publication, published.summary.approval),
            (PublicationStatus::Published, ApprovalStatus::Pending)
        );
        assert!(published.can_review && !published.can_publish);

        let approve = [
            ("slug", "gift-card-balance"),
            ("decision", "approve"),
            ("comment", "Looks good."),
        ];
        assert_eq!(
            app.call(ReviewFlow::PATH, &approve, Some(&admin))
                .await
                .status,
            StatusCode::OK
        );
        let approved = details(&app, &publisher, "gift-card-balance").await;
        assert_eq!(approved.summary.approval, ApprovalStatus::Approved);
        assert_eq!(approved.share_blocker, None, "Share follows the state");
        assert_eq!(approved.review_comment, "Looks good.");
        assert_eq!(
            generate(&app, &publisher, "gift-card-balance", true)
                .await
                .status,
            StatusCode::OK
        );

        let log = audit(&app, &admin, "gift-card-balance").await;
        let actions: Vec<_> = log
            .entries
            .iter()
            .map(|e| (e.action, e.actor.as_str()))
            .collect();
        assert_eq!(
            actions,
            [
                (AuditAction::LinkGenerated, "publisher"),
                (AuditAction::FlowApproved, "admin"),
                (AuditAction::FlowPublished, "publisher")
            ],
            "newest first"
        );
    }
);

app_tests!(refusals_name_what_to_fix, |app| async move {
    let admin = as_user(&app, "admin").await;
    let twice = app
        .call(
            PublishFlow::PATH,
            &[("slug", "order-status-lookup")],
            Some(&admin),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert!(
        twice.body.contains("This flow is already published."),
        "{}",
        twice.body
    );
    let draft = app
        .call(
            ReviewFlow::PATH,
            &[("slug", "gift-card-balance"), ("decision", "approve")],
            Some(&admin),
        )
        .await;
    assert!(
        draft.body.contains("Only published flows can be reviewed"),
        "{}",
        draft.body
    );
    let silent = app
        .call(
            ReviewFlow::PATH,
            &[("slug", "insurance-claim-intake"), ("decision", "reject")],
            Some(&admin),
        )
        .await;
    assert!(
        silent.body.contains("the comment is required"),
        "{}",
        silent.body
    );
    let odd = app
        .call(
            ReviewFlow::PATH,
            &[("slug", "insurance-claim-intake"), ("decision", "maybe")],
            Some(&admin),
        )
        .await;
    assert!(odd.body.contains("Unknown decision"), "{}", odd.body);
    let long = "x".repeat(1_001);
    let verbose = app
        .call(
            ReviewFlow::PATH,
            &[
                ("slug", "insurance-claim-intake"),
                ("decision", "reject"),
                ("comment", &long),
            ],
            Some(&admin),
        )
        .await;
    assert!(
        verbose.body.contains("at most 1,000 characters"),
        "{}",
        verbose.body
    );
    let missing = app
        .call(PublishFlow::PATH, &[("slug", "no-such-flow")], Some(&admin))
        .await;
    assert!(
        missing.body.contains("There is no such flow."),
        "{}",
        missing.body
    );
    // Nothing was recorded for refused actions.
    // Only the demo's own seeding is in the log: no refusal wrote to it.
    assert!(audit(&app, &admin, "")
        .await
        .entries
        .iter()
        .all(|e| matches!(
            e.action,
            AuditAction::CampaignSaved | AuditAction::LinkPagesSaved
        ) && e.actor == "admin"));
});

app_tests!(
    a_plain_form_post_returns_to_the_flow_with_a_problem_code,
    |app| async move {
        let admin = as_user(&app, "admin").await;
        let request = http::Request::post(ReviewFlow::PATH)
            .header("accept", "text/html")
            .header("origin", server::testing::CONSOLE_URL)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", &admin)
            .body(axum::body::Body::from(
                "slug=insurance-claim-intake&decision=reject&comment=",
            ))
            .expect("request");
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::FOUND);
        assert_eq!(
            response.header("location"),
            Some("/flows/insurance-claim-intake?problem=comment-required")
        );
        let page = app
            .get(
                "/flows/insurance-claim-intake?problem=comment-required",
                Some(&admin),
            )
            .await;
        assert!(page
            .body
            .contains("Say why the flow is rejected: the comment is required."));
    }
);

app_tests!(
    a_rejection_keeps_its_comment_and_protect_off_overrides_are_audited,
    |app| async move {
        let admin = as_user(&app, "admin").await;
        let reject = [
            ("slug", "insurance-claim-intake"),
            ("decision", "reject"),
            ("comment", "Ask for the policy number first."),
        ];
        assert_eq!(
            app.call(ReviewFlow::PATH, &reject, Some(&admin))
                .await
                .status,
            StatusCode::OK
        );
        let rejected = details(&app, &admin, "insurance-claim-intake").await;
        assert_eq!(
            (rejected.summary.approval, rejected.review_comment.as_str()),
            (ApprovalStatus::Rejected, "Ask for the policy number first.")
        );
        // Returns and Refunds is Protected for the help centre; sharing it open is an override.
        let publisher = as_user(&app, "publisher").await;
        assert_eq!(
            generate(&app, &publisher, "returns-and-refunds", false)
                .await
                .status,
            StatusCode::OK
        );
        let overrides = audit(&app, &admin, "override").await;
        assert_eq!(overrides.entries.len(), 1);
        assert!(
            overrides.entries[0]
                .detail
                .contains("via help-centre: open (Protect URL off override)"),
            "{:?}",
            overrides.entries
        );
        assert_eq!(
            audit(&app, &admin, "POLICY NUMBER").await.entries[0].action,
            AuditAction::FlowRejected,
            "search ignores case"
        );
    }
);

app_tests!(each_role_may_do_exactly_its_actions, |app| async move {
    // (action, admin, publisher, viewer): whether each role is allowed.
    let expected = [
        ("view flows", true, true, true),
        ("share", true, true, false),
        ("publish", true, true, false),
        ("list shared links", true, true, true),
        ("revoke", true, true, false),
        ("review", true, false, false),
        ("audit log", true, false, false),
        ("applications", true, false, false),
        ("regenerate key", true, false, false),
        ("access protection", true, false, false),
    ];
    for (user, column) in [("admin", 0), ("publisher", 1), ("viewer", 2)] {
        let cookie = as_user(&app, user).await;
        for (action, a, p, v) in expected {
            let allowed = [a, p, v][column];
            let response = match action {
                "view flows" => app.call(ListFlows::PATH, &[], Some(&cookie)).await,
                "share" => generate(&app, &cookie, "order-status-lookup", true).await,
                // A refused-by-state answer (422) still proves the role got through.
                "publish" => {
                    app.call(
                        PublishFlow::PATH,
                        &[("slug", "order-status-lookup")],
                        Some(&cookie),
                    )
                    .await
                }
                "review" => {
                    app.call(
                        ReviewFlow::PATH,
                        &[("slug", "gift-card-balance"), ("decision", "approve")],
                        Some(&cookie),
                    )
                    .await
                }
                "list shared links" => {
                    app.call(
                        SharedLinks::PATH,
                        &[("slug", "order-status-lookup")],
                        Some(&cookie),
                    )
                    .await
                }
                // An unknown link or application: the role is checked first, so only a refused role gets 403.
                "revoke" => {
                    app.call(
                        RevokeLink::PATH,
                        &[("slug", "order-status-lookup"), ("link", "unknown")],
                        Some(&cookie),
                    )
                    .await
                }
                "applications" => app.call(ListApplications::PATH, &[], Some(&cookie)).await,
                "regenerate key" => {
                    app.call(
                        RegenerateKey::PATH,
                        &[("application", "no-such-app")],
                        Some(&cookie),
                    )
                    .await
                }
                "access protection" => {
                    app.call(
                        SaveAccessProtection::PATH,
                        &[("slug", "order-status-lookup")],
                        Some(&cookie),
                    )
                    .await
                }
                _ => app.call(AuditLog::PATH, &[], Some(&cookie)).await,
            };
            let got = response.status != StatusCode::FORBIDDEN;
            assert_eq!(got, allowed, "{user} × {action}: {response:?}");
            if !allowed {
                assert!(
                    response.body.starts_with(r#"{"Refused":["RoleForbids","#),
                    "{}",
                    response.body
                );
            }
        }
        let anonymous = app.call(AuditLog::PATH, &[], None).await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
});
