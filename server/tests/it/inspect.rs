//! The link inspector over HTTP: for every state a link can be in, the finding agrees with what a
//! recipient opening the link is told, the changed part is said to admins only, the details go to
//! admins and the link's maker, inspecting counts nothing, and inspecting someone else's link is
//! audited.

use super::links::{expired_copy, generate, local};
use app::api::review::AuditLog;
use app::api::share::InspectLink;
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::link::{Altered, Finding};
use app::domain::{AccessProtection, FlowSlug, Role, UserName, UserView};
use app::refusal::Refused;
use app::views::LinkInspection;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{link_id, TestApp};

fn slug(s: &str) -> FlowSlug {
    FlowSlug::parse(s).expect("slug")
}

async fn inspect(app: &TestApp, cookie: &str, link: &str) -> LinkInspection {
    let response = app
        .call(InspectLink::PATH, &[("link", link)], Some(cookie))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("an inspection")
}

/// The finding agrees with what the link's own page answers a recipient.
async fn agrees(app: &TestApp, finding: &Finding, path: &str) {
    let page = app.get(path, None).await;
    let expected = finding
        .refusal()
        .map_or(StatusCode::OK, |refusal| refusal.refusal().http_status());
    assert_eq!(page.status, expected, "{finding:?} at {path}");
}

app_tests!(
    the_inspector_says_why_a_link_is_refused_as_each_role_may_know_it,
    |app| async move {
        let store = &app.test_store.store;
        store
            .accounts
            .add_user(
                &UserName::parse("grace").expect("a name"),
                Role::Publisher,
                "grace-pass-1234",
            )
            .await
            .expect("a second publisher");
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let maker = app.log_in("publisher", "demo-publisher-pass").await;
        let other = app.log_in("grace", "grace-pass-1234").await;
        let viewer = app.log_in("viewer", "demo-viewer-pass").await;
        let once = AccessProtection::Protected {
            allowed_invocations: Some(1),
            expiry: None,
            validate_params: true,
        };
        store
            .applications
            .set_availability(&slug("order-status-lookup"), &slug("help-centre"), once)
            .await
            .expect("protected");
        let params = "name=Ada&customer=C-90210";
        let link = generate(&app, "order-status-lookup", "help-centre", params, true).await;
        let short = link.short_url.clone().expect("shortened");

        // Opens: the maker and admins see everything, the rest the finding alone.
        for (who, cookie, sees) in [
            ("admin", &admin, true),
            ("maker", &maker, true),
            ("other", &other, false),
            ("viewer", &viewer, false),
        ] {
            for pasted in [&link.full_url, &short] {
                let found = inspect(&app, cookie, pasted).await;
                assert_eq!(found.finding, Finding::Opens, "{who}");
                assert_eq!(found.details.is_some(), sees, "{who}");
                assert_eq!(found.revoke.is_some(), sees, "{who} may revoke");
            }
        }
        agrees(&app, &Finding::Opens, &local(&link.full_url)).await;
        let details = inspect(&app, &maker, &link.full_url)
            .await
            .details
            .expect("details");
        assert_eq!(details.created_by, "publisher");
        assert_eq!(details.flow, "order-status-lookup");
        assert_eq!(details.allowed_invocations, Some(1));
        assert_eq!(details.other_origin, None);
        let names: Vec<(&str, &str, bool)> = details
            .params
            .iter()
            .map(|p| (p.name.as_str(), p.value.as_str(), p.signed))
            .collect();
        assert_eq!(
            names,
            [("name", "Ada", true), ("customer", "C-90210", true)]
        );
        let elsewhere = link
            .full_url
            .replace("http://127.0.0.1:3000", "https://mirror.example");
        let moved = inspect(&app, &admin, &elsewhere).await;
        assert_eq!(
            moved.details.and_then(|d| d.other_origin).as_deref(),
            Some("https://mirror.example")
        );

        // Altered: the part, to admins only.
        let altered = local(&link.full_url).replace("C-90210", "C-1");
        let to_admin = inspect(&app, &admin, &altered).await;
        assert_eq!(
            to_admin.finding,
            Finding::NotValid(Some(Altered::Parameters(vec!["customer".into()])))
        );
        agrees(&app, &to_admin.finding, &altered).await;
        assert_eq!(
            inspect(&app, &maker, &altered).await.finding,
            Finding::NotValid(None)
        );
        let cut = local(&link.full_url)
            .split("&fs_sig")
            .next()
            .expect("a query")
            .to_owned();
        assert_eq!(
            inspect(&app, &admin, &cut).await.finding,
            Finding::NotValid(Some(Altered::TokenRemoved))
        );
        for nothing in [
            "hello",
            "https://example.com/",
            "/f/help-centre/order-status-lookup/AAAAAAAAAAAAAAAAAAAAAA?fs_kv=1",
            "/s/23456789abc",
        ] {
            assert_eq!(
                inspect(&app, &admin, nothing).await.finding,
                Finding::Unknown,
                "{nothing}"
            );
        }

        // Expired (a copy signed with a past expiry, as only the key holder could).
        let expired = expired_copy(&app, &link, params).await;
        let found = inspect(&app, &admin, &expired).await.finding;
        assert!(matches!(found, Finding::Expired { .. }), "{found:?}");
        agrees(&app, &found, &expired).await;

        // Used up; inspecting counted nothing before.
        let counted = format!(
            "SELECT invocations FROM links WHERE id = '{}'",
            link_id(&link.full_url)
        );
        assert_eq!(
            app.test_store.scalar(&counted).await,
            0,
            "inspecting counts nothing"
        );
        let first = app.first_move(&link.full_url).await;
        assert_eq!(
            app.start_run(&link.full_url, &first, None).await.status,
            StatusCode::OK
        );
        let found = inspect(&app, &viewer, &short).await.finding;
        assert_eq!(found, Finding::UsedUp { allowed: 1 });
        agrees(&app, &found, &local(&link.full_url)).await;

        // Withdrawn, then published again.
        store
            .flows
            .set_flow_state(
                &slug("order-status-lookup"),
                app::domain::PublicationStatus::Draft,
                app::domain::ApprovalStatus::Pending,
                "admin",
            )
            .await
            .expect("withdrawn");
        let found = inspect(&app, &admin, &link.full_url).await.finding;
        assert_eq!(found, Finding::Withdrawn);
        agrees(&app, &found, &local(&link.full_url)).await;
        store
            .flows
            .set_flow_state(
                &slug("order-status-lookup"),
                app::domain::PublicationStatus::Published,
                app::domain::ApprovalStatus::Approved,
                "admin",
            )
            .await
            .expect("published");

        // Revoked, then a key regenerated (for another link).
        let by = UserView {
            name: "publisher".into(),
            role: Role::Publisher,
        };
        store
            .links
            .revoke_link(&link_id(&link.full_url), &by)
            .await
            .expect("revoked");
        let found = inspect(&app, &maker, &link.full_url).await;
        assert!(
            matches!(found.finding, Finding::Revoked { .. }),
            "{found:?}"
        );
        assert!(found.revoke.is_none(), "nothing left to revoke");
        agrees(&app, &found.finding, &local(&link.full_url)).await;
        let open = generate(&app, "returns-and-refunds", "help-centre", "", false).await;
        store
            .applications
            .regenerate_key(&slug("help-centre"), "admin")
            .await
            .expect("regenerated");
        let found = inspect(&app, &admin, &open.full_url).await.finding;
        assert_eq!(
            found,
            Finding::KeyRegenerated {
                link_version: 1,
                current: 2
            }
        );
        agrees(&app, &found, &local(&open.full_url)).await;

        // Audited for a link someone else made, never for its maker's own look.
        let audit: AuditPage = serde_json::from_str(
            &app.call(AuditLog::PATH, &[("q", "link.inspected")], Some(&admin))
                .await
                .body,
        )
        .expect("audit");
        assert!(audit
            .entries
            .iter()
            .all(|e| e.action == AuditAction::LinkInspected));
        for who in ["admin", "grace", "viewer"] {
            assert!(
                audit.entries.iter().any(|e| e.actor == who),
                "{who}: {audit:?}"
            );
        }
        assert!(!audit.entries.iter().any(|e| e.actor == "publisher"));
        assert!(
            audit
                .entries
                .iter()
                .all(|e| !e.detail.contains(&link_id(&link.full_url))),
            "named by reference"
        );
        // Signed out: nothing.
        let anonymous = app
            .call(InspectLink::PATH, &[("link", &link.full_url)], None)
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
);
