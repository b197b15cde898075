//! The link inspector over HTTP: for every state a link can be in, the finding agrees with what a
//! recipient opening the link is told, the changed part is said to admins only, the details go to
//! admins and the link's maker, inspecting counts nothing, and inspecting someone else's link is
//! audited.

use super::links::{expired_copy, generate, local};
use app::api::review::AuditLog;
use app::api::share::InspectLink;
use app::domain::audit::{AuditAction, AuditPage};
use app::domain::link::{Altered, Finding, LinkRef, LinkRefusal};
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

/// The finding agrees with what the link's own page answers a recipient: its status and title.
async fn agrees(app: &TestApp, finding: &Finding, path: &str) {
    let page = app.get(path, None).await;
    let told = match finding {
        Finding::Opens => None,
        Finding::Unknown | Finding::NotValid(_) => Some(LinkRefusal::NotValid),
        Finding::Revoked { .. } | Finding::KeyRegenerated { .. } => Some(LinkRefusal::Disabled),
        Finding::Withdrawn => Some(LinkRefusal::FlowUnavailable),
        Finding::Expired { .. } => Some(LinkRefusal::Expired),
        Finding::UsedUp { .. } => Some(LinkRefusal::UsedUp),
    };
    match told {
        None => assert_eq!(page.status, StatusCode::OK, "{finding:?} at {path}"),
        Some(refusal) => {
            assert_eq!(
                page.status,
                refusal.refusal().http_status(),
                "{finding:?} at {path}"
            );
            assert!(
                page.body.contains(refusal.title()),
                "{finding:?} at {path}: {}",
                page.body
            );
        }
    }
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
        // Every other part, each as admins are told it, and as recipients are refused it.
        let widget = generate(&app, "order-status-lookup", "order-widget", params, true).await;
        let signed = local(&widget.full_url);
        let sig = signed.split("fs_sig=").nth(1).expect("signed").to_owned();
        let open = generate(
            &app,
            "returns-and-refunds",
            "help-centre",
            "name=Ada",
            false,
        )
        .await;
        let exp = signed
            .split("fs_exp=")
            .nth(1)
            .and_then(|rest| rest.split('&').next())
            .expect("the widget's links expire")
            .to_owned();
        let later = (exp.parse::<i64>().expect("seconds") + 60).to_string();
        let changes = [
            (
                signed.replace("/f/order-widget/", "/f/help-centre/"),
                Altered::ApplicationOrFlow,
            ),
            (signed.replace("fs_kv=1", "fs_kv=2"), Altered::KeyVersion),
            (
                format!("{}&fs_sig={}", local(&open.full_url), "A".repeat(43)),
                Altered::TokenAdded,
            ),
            (
                signed.replace("name=Ada&customer=C-90210", "customer=C-90210&name=Ada"),
                Altered::ParameterOrder,
            ),
            (
                signed.replace(&format!("fs_exp={exp}"), &format!("fs_exp={later}")),
                Altered::Expiry,
            ),
            (signed.replace(&sig, &"A".repeat(43)), Altered::Signature),
            (
                signed.split("&fs_sig").next().expect("a query").to_owned(),
                Altered::Malformed,
            ),
        ];
        for (changed, part) in changes {
            assert_ne!(changed, signed, "{part:?} changes the link");
            let found = inspect(&app, &admin, &changed).await.finding;
            assert_eq!(found, Finding::NotValid(Some(part.clone())), "{changed}");
            agrees(&app, &found, &changed).await;
        }
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
        app.set_shareable("order-status-lookup", false).await;
        let found = inspect(&app, &admin, &link.full_url).await.finding;
        assert_eq!(found, Finding::Withdrawn);
        agrees(&app, &found, &local(&link.full_url)).await;
        app.set_shareable("order-status-lookup", true).await;

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
        // Its short link: the redirect is gone, and the inspector says so.
        let by_short = inspect(&app, &maker, &short).await.finding;
        assert!(
            matches!(by_short, Finding::Revoked { short: true, .. }),
            "{by_short:?}"
        );
        let short_path = url::Url::parse(&short).expect("a URL").path().to_owned();
        assert_eq!(
            app.get(&short_path, None).await.status,
            StatusCode::NOT_FOUND
        );
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
        let named = format!("link {}: ", LinkRef::of_raw(&link_id(&link.full_url)));
        let of_link: Vec<_> = audit
            .entries
            .iter()
            .filter(|e| e.action == AuditAction::LinkInspected && e.detail.starts_with(&named))
            .collect();
        for who in ["admin", "grace", "viewer"] {
            // Each person once: looking again within ten minutes is not another entry.
            assert_eq!(
                of_link.iter().filter(|e| e.actor == who).count(),
                1,
                "{who}: {audit:?}"
            );
        }
        assert!(
            !of_link.iter().any(|e| e.actor == "publisher"),
            "the maker's own looks"
        );
        assert!(
            audit
                .entries
                .iter()
                .all(|e| !e.detail.contains(&link_id(&link.full_url))),
            "named by reference"
        );
        // Sent here by another site's page: not inspected, nothing audited.
        let request = http::Request::post(InspectLink::PATH)
            .header("origin", server::testing::CONSOLE_URL)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("cookie", admin.as_str())
            .header("sec-fetch-site", "cross-site")
            .body(axum::body::Body::from(server::testing::form_body(&[(
                "link",
                link.full_url.as_str(),
            )])))
            .expect("request");
        let refused = app.send(request).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{refused:?}");
        assert!(
            refused.body.contains("sent here by another site"),
            "{}",
            refused.body
        );
        // Through the page's form: a link whose parameters carry escapes (`&`, `%`, a space) is
        // read as it was pasted, not decoded a second time.
        let escaped = generate(
            &app,
            "returns-and-refunds",
            "help-centre",
            "name=Ada %26 Co&note=100%25",
            true,
        )
        .await;
        assert!(escaped.full_url.contains("%26"), "{}", escaped.full_url);
        let page = app
            .get(
                &format!(
                    "/inspect?link={}",
                    app::domain::query::encode_component(&escaped.full_url)
                ),
                Some(&maker),
            )
            .await;
        assert!(
            page.body
                .contains(r#"<span class="badge approved">Opens</span>"#),
            "{}",
            page.body
        );
        assert!(
            page.body.contains("Ada &amp; Co") && page.body.contains("100%"),
            "{}",
            page.body
        );
        // Pasted markup is shown as what was pasted, never run (the page as a browser reads it).
        let pasted = "\"><script>alert(1)</script><img src=x onerror=alert(2)>";
        let page = app
            .get(
                &format!(
                    "/inspect?link={}",
                    app::domain::query::encode_component(pasted)
                ),
                Some(&admin),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let document = scraper::Html::parse_document(&page.body);
        let input = scraper::Selector::parse("#inspect-link").expect("a selector");
        let field = document.select(&input).next().expect("the link field");
        assert_eq!(
            field.value().attr("value"),
            Some(pasted),
            "shown whole, as typed"
        );
        let all = scraper::Selector::parse("script, img").expect("a selector");
        assert!(
            document.select(&all).all(|e| !e.html().contains("alert(")),
            "{}",
            page.body
        );
        assert!(page
            .body
            .contains("No link of this server has this address"));
        // Signed out: nothing.
        let anonymous = app
            .call(InspectLink::PATH, &[("link", &link.full_url)], None)
            .await;
        assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    }
);
