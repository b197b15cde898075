//! The store, specified against both engines: every scenario runs on SQLite and on PostgreSQL.

use app::domain::{
    AccessProtection, ApprovalStatus, FlowQuery, FlowSlug, FlowType, PublicationStatus, Role,
    SortKey, UserName, PAGE_SIZE,
};
use app::ports::{Accounts, ClientIp, FlowCatalog, SessionToken, SignIn, SignInAttempt};
use server::backend::Store;
use server::engine_tests;
use server::flows::Upserted;

fn query(text: &str) -> FlowQuery {
    FlowQuery::from_params(Some(text), None, None, None)
}

async fn seeded(store: &Store) {
    assert!(
        server::demo::seed(store, "http://127.0.0.1:3000")
            .await
            .expect("seed"),
        "an empty store takes the demo"
    );
}

fn names(page: &app::domain::FlowPage) -> Vec<&str> {
    page.flows.iter().map(|f| f.name.as_str()).collect()
}

engine_tests!(
    search_is_a_case_insensitive_substring_match_on_names,
    |store| async move {
        seeded(&store).await;
        let page = store.flows.search(&query("ORD")).await.expect("search");
        assert!(
            names(&page).contains(&"Order Status Lookup"),
            "{:?}",
            names(&page)
        );
        assert!(names(&page).contains(&"Order Tracking Bot"));
        assert!(
            page.flows
                .iter()
                .all(|f| f.name.to_lowercase().contains("ord")),
            "{:?}",
            names(&page)
        );
        assert_eq!(page.total as usize, page.flows.len());
    }
);

engine_tests!(search_folds_non_ascii_letters, |store| async move {
    seeded(&store).await;
    let page = store
        .flows
        .search(&query("DÉCLARATION"))
        .await
        .expect("search");
    assert_eq!(names(&page), ["Déclaration de sinistre"]);
    let page = store.flows.search(&query("rückruf")).await.expect("search");
    assert_eq!(names(&page), ["Rückruf vereinbaren"]);
});

engine_tests!(
    wildcards_quotes_and_sql_in_search_text_are_just_text,
    |store| async move {
        seeded(&store).await;
        for text in [
            "%",
            "_",
            "\\",
            "' OR 1=1 --",
            "\"; DROP TABLE flows; --",
            "<script>alert(1)</script>",
            &"x".repeat(10_000),
        ] {
            let page = store
                .flows
                .search(&query(text))
                .await
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert_eq!(page.total, 0, "{text:?} matched {:?}", names(&page));
        }
        assert!(
            store.flows.flow_count().await.expect("count") >= 40,
            "nothing was dropped"
        );
    }
);

engine_tests!(
    an_empty_search_lists_everything_in_pages,
    |store| async move {
        seeded(&store).await;
        let total = store.flows.flow_count().await.expect("count") as u64;
        let first = store
            .flows
            .search(&FlowQuery::default())
            .await
            .expect("page 1");
        assert_eq!(first.total, total);
        assert_eq!(first.flows.len(), PAGE_SIZE as usize);
        let second = store
            .flows
            .search(&FlowQuery::default().with_page(2))
            .await
            .expect("page 2");
        assert_eq!(second.flows.len() as u64, total - u64::from(PAGE_SIZE));
        assert!(
            first.flows.iter().all(|f| !second.flows.contains(f)),
            "pages do not overlap"
        );
        let beyond = store
            .flows
            .search(&FlowQuery::default().with_page(99))
            .await
            .expect("page 99");
        assert!(beyond.flows.is_empty());
    }
);

engine_tests!(sorting_by_name_orders_both_ways, |store| async move {
    seeded(&store).await;
    let asc = store
        .flows
        .search(&FlowQuery::default().sorted_by(SortKey::Name))
        .await
        .expect("asc");
    let mut sorted = names(&asc)
        .iter()
        .map(|n| n.to_lowercase())
        .collect::<Vec<_>>();
    sorted.sort();
    assert_eq!(
        names(&asc)
            .iter()
            .map(|n| n.to_lowercase())
            .collect::<Vec<_>>(),
        sorted
    );
    let desc = store
        .flows
        .search(
            &FlowQuery::default()
                .sorted_by(SortKey::Name)
                .sorted_by(SortKey::Name),
        )
        .await
        .expect("desc");
    assert_eq!(
        desc.flows.first().map(|f| f.name.as_str()),
        Some("Web Chat Triage")
    );
});

engine_tests!(
    details_carry_the_available_applications_and_their_protection,
    |store| async move {
        seeded(&store).await;
        let slug = FlowSlug::parse("returns-and-refunds").expect("slug");
        let details = store.flows.details(&slug).await.expect("the flow exists");
        assert_eq!(details.summary.flow_type, FlowType::Interaction);
        assert!(details.step_count >= 3);
        let help = details
            .availability
            .iter()
            .find(|a| a.application_slug == "help-centre")
            .expect("help centre");
        assert!(help.protection.is_protected());
        let missing = store
            .flows
            .details(&FlowSlug::parse("no-such-flow").expect("slug"))
            .await;
        assert!(
            matches!(missing, Err(app::ports::CatalogError::NoSuchFlow(ref f)) if f == "no-such-flow"),
            "{missing:?}"
        );
    }
);

engine_tests!(
    demo_availability_mixes_open_and_protected,
    |store| async move {
        seeded(&store).await;
        let mut open = 0;
        let mut protected = 0;
        for flow in server::demo::demo_flows() {
            let details = store.flows.details(&flow.slug).await.expect("exists");
            for a in details.availability {
                if a.protection == AccessProtection::Open {
                    open += 1
                } else {
                    protected += 1
                }
            }
        }
        assert!(
            open > 0 && protected > 0,
            "open {open}, protected {protected}"
        );
    }
);

engine_tests!(
    a_right_password_opens_a_session_and_logout_closes_it,
    |store| async move {
        seeded(&store).await;
        let limits =
            server::security::limits::Limits::new(server::security::limits::LimitSettings::OFF);
        let attempt = |name, password| SignInAttempt {
            name,
            password,
            client: ClientIp(std::net::Ipv4Addr::LOCALHOST.into()),
            device: None,
        };
        let name = UserName::parse("publisher").expect("name");
        assert!(matches!(
            store
                .accounts
                .log_in(attempt(&name, "wrong password"), &limits)
                .await
                .expect("log in"),
            SignIn::Refused
        ));
        let SignIn::Welcome {
            user,
            session: token,
            ..
        } = store
            .accounts
            .log_in(attempt(&name, "demo-publisher-pass"), &limits)
            .await
            .expect("log in")
        else {
            panic!("the right password opens a session")
        };
        assert_eq!(user.role, Role::Publisher);
        assert_eq!(
            store.accounts.session_user(&token).await.expect("lookup"),
            Some(user)
        );
        store.accounts.log_out(&token).await.expect("log out");
        assert_eq!(
            store.accounts.session_user(&token).await.expect("lookup"),
            None
        );
        assert_eq!(
            store
                .accounts
                .session_user(&SessionToken("forged".into()))
                .await
                .expect("lookup"),
            None
        );
        let nobody = UserName::parse("nobody").expect("name");
        assert!(matches!(
            store
                .accounts
                .log_in(attempt(&nobody, "demo-publisher-pass"), &limits)
                .await
                .expect("log in"),
            SignIn::Refused
        ));
    }
);

engine_tests!(
    adding_a_user_twice_is_a_clear_conflict,
    |store| async move {
        let name = UserName::parse("carol").expect("name");
        store
            .accounts
            .add_user(&name, Role::Viewer, "long enough password")
            .await
            .expect("first");
        let err = store
            .accounts
            .add_user(&name, Role::Admin, "long enough password")
            .await
            .expect_err("second");
        assert_eq!(err.to_string(), "a user called carol already exists");
        let short = store
            .accounts
            .add_user(
                &UserName::parse("dave").expect("name"),
                Role::Viewer,
                "short",
            )
            .await
            .expect_err("short");
        assert!(short.to_string().contains("at least"), "{short}");
    }
);

engine_tests!(
    reimporting_a_changed_definition_after_approval_returns_to_pending,
    |store| async move {
        let mut flow = server::demo::demo_flows()
            .into_iter()
            .next()
            .expect("a demo flow");
        flow.approval = ApprovalStatus::Approved;
        flow.publication = PublicationStatus::Published;
        assert_eq!(
            store
                .flows
                .upsert_flow(flow.clone(), "importer")
                .await
                .expect("create"),
            Upserted::Created
        );
        assert_eq!(
            store
                .flows
                .upsert_flow(flow.clone(), "importer")
                .await
                .expect("same again"),
            Upserted::Unchanged
        );
        let mut changed = flow.clone();
        changed.definition = server::demo::demo_flows()[1].definition.clone();
        assert_eq!(
            store
                .flows
                .upsert_flow(changed, "importer")
                .await
                .expect("update"),
            Upserted::Updated {
                version: 2,
                reapproval: true
            }
        );
        let details = store.flows.details(&flow.slug).await.expect("exists");
        assert_eq!(
            (details.summary.version, details.summary.approval),
            (2, ApprovalStatus::Pending)
        );
    }
);

engine_tests!(
    twenty_thousand_flows_are_searched_and_counted,
    |store| async move {
        // Correctness at scale (timings are in the search benchmark): the total counts every match.
        store
            .flows
            .insert_flows(&server::import::synthetic_flows(20_000, 0), "generator")
            .await
            .expect("insert");
        let page = store.flows.search(&query("refund")).await.expect("search");
        assert!(page.total > 0 && page.flows.len() == PAGE_SIZE as usize);
        assert!(page
            .flows
            .iter()
            .all(|f| f.name.to_lowercase().contains("refund")));
    }
);
