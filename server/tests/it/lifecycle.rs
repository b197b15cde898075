//! After a link is made: counting starts exactly against its limit, revoking one link, and the
//! Shared links list that shows what became of each.

use app::api::share::{GenerateLink, RevokeLink, SharedLinks};
use app::domain::link::LinkRefusal;
use app::domain::link::LinkState;
use app::domain::share::GeneratedLink;
use app::error::AppError;
use app::views::SharedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{run_outcome, FirstMove, TestApp};

async fn generate(app: &TestApp, cookie: &str, application: &str) -> GeneratedLink {
    let form = [
        ("flow", "order-status-lookup"),
        ("application", application),
        ("params", "name=Ada"),
        ("protect", "true"),
        ("shorten", "true"),
    ];
    let response = app.call(GenerateLink::PATH, &form, Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("link")
}

fn path_and_query(url: &str) -> (String, String) {
    let parsed = url::Url::parse(url).expect("url");
    (
        parsed.path().to_owned(),
        parsed.query().unwrap_or_default().to_owned(),
    )
}

/// A recipient's first move on `link`: starts a run, or says why the link refused.
async fn start(app: &TestApp, link: &GeneratedLink, first: &FirstMove) -> Result<(), LinkRefusal> {
    match run_outcome(&app.start_run(&link.full_url, first, None).await) {
        Ok(_) => Ok(()),
        Err(AppError::Link(refusal)) => Err(refusal),
        Err(other) => panic!("a start is run or refused by its link: {other:?}"),
    }
}

async fn list(app: &TestApp, cookie: &str) -> Vec<SharedLink> {
    app.shared_links(cookie, "order-status-lookup").await
}

fn local(url: &str) -> String {
    let (path, query) = path_and_query(url);
    format!("{path}?{query}")
}

app_tests!(
    when_more_recipients_race_than_a_link_allows_exactly_the_limit_get_in,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        // The order widget's links allow 5 invocations.
        let link = generate(&app, &publisher, "order-widget").await;
        // Opening (as link previews and mail scanners do) counts nothing.
        for _ in 0..3 {
            assert_eq!(
                app.get(&local(&link.full_url), None).await.status,
                StatusCode::OK
            );
        }
        let first = app.first_move(&link.full_url).await;
        let app = std::sync::Arc::new(app);
        let racers = (0..15).map(|_| {
            let (app, link, first) = (app.clone(), link.clone(), first.clone());
            async move { start(&app, &link, &first).await }
        });
        let results = race(racers).await;
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            5,
            "{results:?}"
        );
        assert!(results
            .iter()
            .filter(|r| r.is_err())
            .all(|r| *r == Err(LinkRefusal::UsedUp)));
        let page = app.get(&local(&link.full_url), None).await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.body.contains("This link has been used up"));
        let row = list(&app, &publisher)
            .await
            .into_iter()
            .next()
            .expect("the link");
        assert_eq!(
            (row.invocations, row.allowed_invocations, row.state),
            (5, Some(5), LinkState::UsedUp)
        );
        assert_eq!(row.daily_uses.iter().sum::<u32>(), 5);
        assert!(row.last_used_at.is_some());
    }
);

/// Runs the futures as concurrent tasks and collects their results.
async fn race<F>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output>
where
    F: std::future::Future + Send + 'static,
    F::Output: Send + 'static,
{
    let handles: Vec<_> = futures.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        // A hang here is a failure, said at once, not a stalled test run.
        let result = tokio::time::timeout(std::time::Duration::from_secs(30), handle).await;
        out.push(result.expect("a racer finished within 30 s").expect("task"));
    }
    out
}

app_tests!(
    revoking_one_short_link_kills_only_that_one,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let (doomed, kept) = (
            generate(&app, &publisher, "help-centre").await,
            generate(&app, &publisher, "help-centre").await,
        );
        let links = list(&app, &publisher).await;
        let doomed_row = links
            .iter()
            .find(|l| l.id().is_some_and(|id| doomed.full_url.contains(id)))
            .expect("listed");
        let doomed_id = doomed_row
            .id()
            .expect("the publisher's own link")
            .to_owned();
        assert!(doomed_row.can_revoke && doomed_row.state == LinkState::Active);
        let first = app.first_move(&doomed.full_url).await;
        let revoked = app
            .call(
                RevokeLink::PATH,
                &[("slug", "order-status-lookup"), ("link", &doomed_id)],
                Some(&publisher),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");

        let short = local(doomed.short_url.as_deref().expect("short"));
        assert_eq!(
            app.get(short.trim_end_matches('?'), None).await.status,
            StatusCode::NOT_FOUND
        );
        let full = app.get(&local(&doomed.full_url), None).await;
        assert_eq!(full.status, StatusCode::GONE);
        assert!(full.body.contains("This link has been disabled"));
        assert_eq!(
            start(&app, &doomed, &first).await,
            Err(LinkRefusal::Disabled)
        );
        assert_eq!(
            app.get(&local(&kept.full_url), None).await.status,
            StatusCode::OK,
            "the other link lives"
        );
        let again = app
            .call(
                RevokeLink::PATH,
                &[("slug", "order-status-lookup"), ("link", &doomed_id)],
                Some(&publisher),
            )
            .await;
        assert!(again.body.contains("already revoked"), "{}", again.body);
        let state = list(&app, &publisher)
            .await
            .into_iter()
            .find(|l| l.id() == Some(doomed_id.as_str()))
            .expect("still listed")
            .state;
        assert_eq!(state, LinkState::Revoked);
    }
);

app_tests!(
    publishers_revoke_only_their_own_links_and_viewers_none,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let link = generate(&app, &admin, "help-centre").await;
        let id = list(&app, &admin)
            .await
            .into_iter()
            .find_map(|l| {
                l.id()
                    .filter(|id| link.full_url.contains(id))
                    .map(str::to_owned)
            })
            .expect("listed, with its id, for the admin who made it");
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let seen_by_publisher = list(&app, &publisher).await;
        assert!(
            !seen_by_publisher.iter().any(|l| l.can_revoke),
            "not the publisher's link"
        );
        assert!(
            seen_by_publisher.iter().all(|l| l.handle.is_none()),
            "someone else's link is listed without its id or short code"
        );
        let viewer = app.log_in("viewer", "demo-viewer-pass").await;
        let seen_by_viewer = app
            .call(
                SharedLinks::PATH,
                &[("slug", "order-status-lookup")],
                Some(&viewer),
            )
            .await;
        assert_eq!(seen_by_viewer.status, StatusCode::OK);
        let code = link
            .short_url
            .as_deref()
            .and_then(|u| u.rsplit('/').next())
            .expect("code");
        assert!(
            !seen_by_viewer.body.contains(&id) && !seen_by_viewer.body.contains(code),
            "a viewer gets neither the id nor the short code: {}",
            seen_by_viewer.body
        );
        let refused = app
            .call(
                RevokeLink::PATH,
                &[("slug", "order-status-lookup"), ("link", &id)],
                Some(&publisher),
            )
            .await;
        assert!(
            refused
                .body
                .contains("only the links they generated themselves"),
            "{}",
            refused.body
        );
        let forbidden = app
            .call(
                RevokeLink::PATH,
                &[("slug", "order-status-lookup"), ("link", &id)],
                Some(&viewer),
            )
            .await;
        assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
        assert_eq!(
            app.get(&local(&link.full_url), None).await.status,
            StatusCode::OK
        );
        let by_admin = app
            .call(
                RevokeLink::PATH,
                &[("slug", "order-status-lookup"), ("link", &id)],
                Some(&admin),
            )
            .await;
        assert_eq!(by_admin.status, StatusCode::OK);
    }
);
