//! Campaigns, on both engines: saved from the console, each API call for one makes a new link
//! with the caller's parameters after the campaign's; the seed system's route answers exactly as
//! it documents; a key lists links by filter and cursor; a CSV upload makes a link per row and a
//! CSV of them; admins make API keys in the console and see each secret once.

use app::api::api_keys::{ApiKeys, CreateApiKey, RevokeApiKey};
use app::api::campaigns::{
    CampaignUploadProgress, DeleteCampaign, FlowCampaigns, SaveCampaign, UploadCampaignCsv,
    UploadCheck,
};
use app::domain::api_key::{ApiKeySummary, ApiScope, ApiSecret};
use app::domain::campaign::{Campaign, CampaignSummary, UploadJob, UploadProgress, UploadState};
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::api_v1::{ApiBatch, ApiLink, ApiLinkPage, ApiLinkStatus};
use server::app_tests;
use server::demo::DEMO_CAMPAIGN;
use server::testing::{local_path, TestApp, TestResponse, CONSOLE_URL};

const ORDER_FLOW: &str = "order-status-lookup";

fn bearer(secret: &ApiSecret) -> (&'static str, String) {
    ("authorization", format!("Bearer {}", secret.expose()))
}

async fn api_post(app: &TestApp, secret: &ApiSecret, path: &str, body: &str) -> TestResponse {
    let (name, value) = bearer(secret);
    app.api_call("POST", path, &[(name, &value)], Some(body))
        .await
}

async fn api_get(app: &TestApp, secret: &ApiSecret, path: &str) -> TestResponse {
    let (name, value) = bearer(secret);
    app.api_call("GET", path, &[(name, &value)], None).await
}

fn problem_type(response: &TestResponse) -> String {
    let doc: serde_json::Value = serde_json::from_str(&response.body).expect("a problem");
    doc["type"].as_str().expect("a type").to_owned()
}

/// Saves a campaign of the order status flow through the order widget, protected and shortened.
async fn save(app: &TestApp, cookie: &str, name: &str, params: &str) -> TestResponse {
    save_as(
        app,
        cookie,
        (ORDER_FLOW, "order-widget"),
        name,
        params,
        true,
    )
    .await
}

/// Saves a campaign of `flow` through `application`, shortened, with Protect URL as `protect`.
async fn save_as(
    app: &TestApp,
    cookie: &str,
    (flow, application): (&str, &str),
    name: &str,
    params: &str,
    protect: bool,
) -> TestResponse {
    let protect = protect.to_string();
    app.call(
        SaveCampaign::PATH,
        &[
            ("flow", flow),
            ("name", name),
            ("application", application),
            ("params", params),
            ("protect", &protect),
            ("shorten", "true"),
        ],
        Some(cookie),
    )
    .await
}

async fn campaigns(app: &TestApp, cookie: &str) -> Vec<CampaignSummary> {
    let listed = app
        .call(FlowCampaigns::PATH, &[("slug", ORDER_FLOW)], Some(cookie))
        .await;
    assert_eq!(listed.status, StatusCode::OK, "{listed:?}");
    serde_json::from_str(&listed.body).expect("campaigns")
}

app_tests!(
    a_publisher_saves_a_campaign_and_a_key_makes_new_links_of_it,
    |app| async move {
        let publisher = app.log_in_demo("publisher").await;
        let saved = save(&app, &publisher, "Spring reminders", "source=sms&lang=en").await;
        assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
        let campaign: Campaign = serde_json::from_str(&saved.body).expect("a campaign");
        assert_eq!(campaign.slug.as_str(), "spring-reminders");
        assert_eq!(campaign.created_by, "publisher");
        // The same slug again, a viewer, a flow that cannot be shared: refused, nothing saved.
        let again = save(&app, &publisher, "Spring  reminders!", "").await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(again.body.contains("exists already"), "{again:?}");
        let viewer = app.log_in_demo("viewer").await;
        assert_eq!(
            save(&app, &viewer, "Viewer's", "").await.status,
            StatusCode::FORBIDDEN
        );
        let draft = save_as(
            &app,
            &publisher,
            ("parking-permit-renewal", "help-centre"),
            "Draft's",
            "",
            true,
        )
        .await;
        assert_eq!(draft.status, StatusCode::CONFLICT, "{draft:?}");
        let bad_params = save(&app, &publisher, "Bad", "a=1&a=2").await;
        assert!(
            bad_params.body.contains("appears more than once"),
            "{bad_params:?}"
        );
        let names: Vec<String> = campaigns(&app, &publisher)
            .await
            .into_iter()
            .map(|c| c.campaign.slug.to_string())
            .collect();
        assert_eq!(names, [DEMO_CAMPAIGN, "spring-reminders"]);

        // Each call makes a new link, the caller's parameters after the campaign's.
        let secret = app
            .api_key(&[ApiScope::LinksCreate, ApiScope::LinksRead], &[])
            .await;
        let body = r#"{"campaign":"spring-reminders","params":"customer=42&name=Ada"}"#;
        let first = api_post(&app, &secret, "/api/v1/links", body).await;
        assert_eq!(first.status, StatusCode::CREATED, "{first:?}");
        let first: ApiLink = serde_json::from_str(&first.body).expect("a link");
        assert!(
            first
                .full_url
                .contains("?source=sms&lang=en&customer=42&name=Ada&fs_kv="),
            "{}",
            first.full_url
        );
        assert!(first.protected && first.short_url.is_some());
        let second = api_post(&app, &secret, "/api/v1/links", body).await;
        let second: ApiLink = serde_json::from_str(&second.body).expect("a link");
        assert_ne!(first.id, second.id, "a new link each call");
        // Not shortened when the caller says so.
        let long = api_post(
            &app,
            &secret,
            "/api/v1/links",
            r#"{"campaign":"spring-reminders","shorten":false}"#,
        )
        .await;
        let long: ApiLink = serde_json::from_str(&long.body).expect("a link");
        assert!(long.short_url.is_none());
        let status = api_get(&app, &secret, &format!("/api/v1/links/{}", first.id)).await;
        let status: ApiLinkStatus = serde_json::from_str(&status.body).expect("a status");
        assert_eq!(status.campaign.as_deref(), Some("spring-reminders"));

        // Refusals name what to change and write nothing.
        let before = app.link_count().await;
        let limited = app
            .api_key(&[ApiScope::LinksCreate], &["help-centre"])
            .await;
        let cases = [
            (
                &secret,
                r#"{"campaign":"spring-reminders","params":"source=email"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "parameter \\\"source\\\" appears more than once",
            ),
            (
                &secret,
                r#"{"campaign":"nope"}"#,
                StatusCode::NOT_FOUND,
                "campaign-not-found",
                "There is no campaign \\\"nope\\\".",
            ),
            (
                &secret,
                r#"{"campaign":"spring-reminders","flow":"order-status-lookup","application":"order-widget"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "campaign: give either a campaign",
            ),
            (
                &secret,
                r#"{"campaign":"spring-reminders","protect":true}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "protect: a campaign's links are protected as the campaign says",
            ),
            (
                &secret,
                r#"{"params":"x=1"}"#,
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid-field",
                "flow: give a flow",
            ),
            // A key limited to other applications learns nothing of the campaign.
            (
                &limited,
                r#"{"campaign":"spring-reminders"}"#,
                StatusCode::NOT_FOUND,
                "campaign-not-found",
                "There is no campaign",
            ),
        ];
        for (key, body, status, kind, detail) in cases {
            let refused = api_post(&app, key, "/api/v1/links", body).await;
            assert_eq!(refused.status, status, "{body}: {refused:?}");
            assert_eq!(problem_type(&refused), format!("/api/v1/problems/{kind}"));
            assert!(refused.body.contains(detail), "{body}: {}", refused.body);
        }
        assert_eq!(app.link_count().await, before, "refusals write nothing");

        // Protect URL off is a floor: over a Protected pair, a campaign's links are protected
        // anyway, so a key cannot make unsigned links of a protected flow through one.
        let open = save_as(
            &app,
            &publisher,
            (ORDER_FLOW, "order-widget"),
            "Open override",
            "",
            false,
        )
        .await;
        assert_eq!(open.status, StatusCode::OK, "{open:?}");
        for path in ["/api/v1/links", "/api/v1/links/batch"] {
            let body = match path {
                "/api/v1/links" => r#"{"campaign":"open-override"}"#,
                _ => r#"{"campaign":"open-override","rows":["n=1"]}"#,
            };
            let made = api_post(&app, &secret, path, body).await;
            assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
            assert!(made.body.contains("fs_sig="), "{path}: {}", made.body);
            assert!(
                made.body.contains(r#""protected":true"#),
                "{path}: {}",
                made.body
            );
        }
        let before = app.link_count().await;

        // A batch of a campaign: every row after the campaign's parameters, refused rows named.
        let refused = api_post(
            &app,
            &secret,
            "/api/v1/links/batch",
            r#"{"campaign":"spring-reminders","rows":["customer=1","source=x"]}"#,
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(refused.body.contains(r#""row":1"#), "{}", refused.body);
        assert_eq!(app.link_count().await, before);
        let partial = api_post(
            &app,
            &secret,
            "/api/v1/links/batch",
            r#"{"campaign":"spring-reminders","rows":["customer=1","source=x"],"partial":true}"#,
        )
        .await;
        assert_eq!(partial.status, StatusCode::CREATED, "{partial:?}");
        let partial: ApiBatch = serde_json::from_str(&partial.body).expect("a batch");
        assert_eq!(partial.links.len(), 1);
        assert!(partial.links[0]
            .full_url
            .contains("?source=sms&lang=en&customer=1&"));
        let spring = campaigns(&app, &publisher)
            .await
            .into_iter()
            .find(|c| c.campaign.slug.as_str() == "spring-reminders")
            .expect("listed");
        assert_eq!(spring.links, 4, "every link made for it is counted");
    }
);

async fn seed_call(app: &TestApp, key: Option<&str>, campaign: &str, body: &str) -> TestResponse {
    let mut headers = vec![("tenant-id", "acme")];
    if let Some(key) = key {
        headers.push(("application-key", key));
    }
    app.api_call(
        "POST",
        &format!("/interact/version/2/account/acme/resources/campaign/url/{campaign}"),
        &headers,
        Some(body),
    )
    .await
}

app_tests!(
    the_seed_systems_route_answers_exactly_as_it_documents,
    |app| async move {
        let secret = app.api_key(&[ApiScope::LinksCreate], &[]).await;
        let key = Some(secret.expose());
        let made = seed_call(
            &app,
            key,
            DEMO_CAMPAIGN,
            r#"{"additionalParams": "name=Ada", "shortenUrl": true}"#,
        )
        .await;
        assert_eq!(made.status, StatusCode::OK, "{made:?}");
        assert_eq!(
            made.header("content-type"),
            Some("text/plain; charset=utf-8")
        );
        assert!(made.body.contains("/s/") && !made.body.contains(char::is_whitespace));
        // A recipient opens it.
        let redirect = app.get(&local_path(&made.body), None).await;
        assert_eq!(redirect.status, StatusCode::FOUND);
        let target = redirect.header("location").expect("a target");
        assert!(target.contains("?source=sms&name=Ada&"), "{target}");
        let page = app.get(target, None).await;
        assert!(page
            .body
            .contains("Hello Ada, this is the order status lookup assistant."));
        let full = seed_call(
            &app,
            key,
            DEMO_CAMPAIGN,
            r#"{"additionalParams": "var1=22&var2=33", "shortenUrl": false}"#,
        )
        .await;
        assert_eq!(full.status, StatusCode::OK);
        assert!(
            full.body.contains("/f/order-widget/order-status-lookup/")
                && full.body.contains("?source=sms&var1=22&var2=33&fs_kv="),
            "{}",
            full.body
        );

        let before = app.link_count().await;
        let revoked = app.api_key(&[ApiScope::LinksCreate], &[]).await;
        app.test_store
            .store
            .keys
            .revoke(revoked.prefix(), "admin")
            .await
            .expect("revoked");
        let reader = app.api_key(&[ApiScope::LinksRead], &[]).await;
        let unauthenticated = [
            (None, "The Application-Key header is missing."),
            (Some("fsk_nope"), "This API key does not exist."),
            (Some(revoked.expose()), "This API key was revoked."),
            (
                Some(reader.expose()),
                "This API key lacks the scope links:create.",
            ),
        ];
        for (key, reason) in unauthenticated {
            let refused = seed_call(&app, key, DEMO_CAMPAIGN, "{}").await;
            assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{key:?}");
            assert_eq!(refused.body, "");
            assert!(
                refused
                    .header("unauthenticated-reason")
                    .is_some_and(|r| r.starts_with(reason)),
                "{refused:?}"
            );
        }
        let invalid = [
            (
                r#"{"additionalParams": "a=1&a=2"}"#,
                "additionalParams",
                "appears more than once",
            ),
            (
                r#"{"additionalParams": "source=mail"}"#,
                "additionalParams",
                "\"source\" appears more than once",
            ),
            (r#"{"additionalParams": 5}"#, "additionalParams", "a string"),
            (r#"{"shortenUrl": "yes"}"#, "shortenUrl", "true or false"),
            ("not json", "body", "not JSON"),
            ("[]", "body", "a JSON object"),
        ];
        for (body, parameter, reason) in invalid {
            let refused = seed_call(&app, key, DEMO_CAMPAIGN, body).await;
            assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(
                refused.body,
                format!("missing or invalid parameter {parameter}")
            );
            assert!(
                refused
                    .header("flowshare-reason")
                    .is_some_and(|r| r.contains(reason)),
                "{body}: {refused:?}"
            );
        }
        let missing = seed_call(&app, key, "no-such-campaign", "{}").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert_eq!(missing.body, "Campaign no-such-campaign was not found");
        // A key limited to other applications does not see the campaign.
        let elsewhere = app
            .api_key(&[ApiScope::LinksCreate], &["help-centre"])
            .await;
        let hidden = seed_call(&app, Some(elsewhere.expose()), DEMO_CAMPAIGN, "{}").await;
        assert_eq!(hidden.status, StatusCode::NOT_FOUND);
        assert_eq!(
            hidden.body,
            format!("Campaign {DEMO_CAMPAIGN} was not found")
        );
        assert_eq!(app.link_count().await, before, "refusals write nothing");
        // An empty body, or `null`, takes the campaign as it is.
        for body in ["", "null"] {
            let plain = seed_call(&app, key, DEMO_CAMPAIGN, body).await;
            assert_eq!(plain.status, StatusCode::OK, "{body:?}: {plain:?}");
            assert!(plain.body.contains("/s/"), "the campaign shortens");
        }
    }
);

app_tests!(
    a_key_lists_the_links_it_may_see_by_filter_and_cursor,
    |app| async move {
        let secret = app
            .api_key(
                &[
                    ApiScope::LinksCreate,
                    ApiScope::LinksRead,
                    ApiScope::LinksRevoke,
                ],
                &[],
            )
            .await;
        let mut made = Vec::new();
        for customer in 0..5 {
            let body =
                format!(r#"{{"campaign":"{DEMO_CAMPAIGN}","params":"customer={customer}"}}"#);
            let link = api_post(&app, &secret, "/api/v1/links", &body).await;
            let link: ApiLink = serde_json::from_str(&link.body).expect("a link");
            made.push(link.id);
        }
        let direct = api_post(
            &app,
            &secret,
            "/api/v1/links",
            r#"{"flow":"order-status-lookup","application":"order-widget"}"#,
        )
        .await;
        assert_eq!(direct.status, StatusCode::CREATED);
        let revoke = api_post(
            &app,
            &secret,
            &format!("/api/v1/links/{}/revoke", made[1]),
            "",
        )
        .await;
        assert_eq!(revoke.status, StatusCode::OK, "{revoke:?}");

        // Page by page, newest first, every link once.
        let mut seen = Vec::new();
        let mut path = format!("/api/v1/links?campaign={DEMO_CAMPAIGN}&limit=2");
        loop {
            let page = api_get(&app, &secret, &path).await;
            assert_eq!(page.status, StatusCode::OK, "{page:?}");
            let page: ApiLinkPage = serde_json::from_str(&page.body).expect("a page");
            assert!(page.links.len() <= 2);
            seen.extend(
                page.links
                    .iter()
                    .map(|l| l.id.clone().expect("its own link's id")),
            );
            assert!(page
                .links
                .iter()
                .all(|l| l.campaign.as_deref() == Some(DEMO_CAMPAIGN) && l.full_url.is_some()));
            match page.next_cursor {
                Some(cursor) => {
                    path = format!("/api/v1/links?campaign={DEMO_CAMPAIGN}&limit=2&cursor={cursor}")
                }
                None => break,
            }
        }
        made.reverse();
        assert_eq!(seen, made, "newest first, each once");

        let count = |path: String| {
            let app = &app;
            let secret = &secret;
            async move {
                let page = api_get(app, secret, &path).await;
                assert_eq!(page.status, StatusCode::OK, "{path}: {page:?}");
                let page: ApiLinkPage = serde_json::from_str(&page.body).expect("a page");
                page.links.len()
            }
        };
        assert_eq!(count("/api/v1/links?state=revoked".into()).await, 1);
        assert_eq!(
            count(format!(
                "/api/v1/links?campaign={DEMO_CAMPAIGN}&state=active"
            ))
            .await,
            4
        );
        assert_eq!(
            count("/api/v1/links?flow=order-status-lookup&application=order-widget".into()).await,
            6
        );
        assert_eq!(
            count("/api/v1/links?application=help-centre".into()).await,
            0
        );
        let later = (std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
            + 3_600)
            .to_string();
        assert_eq!(
            count(format!("/api/v1/links?created_after={later}")).await,
            0
        );
        assert_eq!(
            count(format!("/api/v1/links?created_before={later}")).await,
            6
        );

        // A key limited to another application sees none of them.
        let elsewhere = app.api_key(&[ApiScope::LinksRead], &["help-centre"]).await;
        let hidden = api_get(&app, &elsewhere, "/api/v1/links").await;
        let hidden: ApiLinkPage = serde_json::from_str(&hidden.body).expect("a page");
        assert!(hidden.links.is_empty());

        for (query, field) in [
            ("limit=0", "limit"),
            ("limit=501", "limit"),
            ("state=gone", "state"),
            ("cursor=bm90LWEtY3Vyc29y", "cursor"),
            ("created_after=yesterday", "created_after"),
            ("flow=Not%20A%20Slug", "flow"),
            // Outside the document's rules, as its pattern and bounds say.
            ("flow=", "flow"),
            ("created_after=9223372036854776", "created_after"),
            ("colour=red", "query"),
            ("limit=1&limit=2", "query"),
        ] {
            let refused = api_get(&app, &secret, &format!("/api/v1/links?{query}")).await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
            assert!(
                refused.body.contains(&format!("\"detail\":\"{field}:")),
                "{query}: {}",
                refused.body
            );
        }
        let creator = app.api_key(&[ApiScope::LinksCreate], &[]).await;
        assert_eq!(
            api_get(&app, &creator, "/api/v1/links").await.status,
            StatusCode::FORBIDDEN
        );
    }
);

/// An upload as the page sends it: JSON, with the session cookie, from the console's origin.
async fn upload(app: &TestApp, cookie: &str, campaign: &str, csv: &str) -> TestResponse {
    let body = serde_json::json!({ "campaign": campaign, "csv": csv }).to_string();
    app.api_call(
        "POST",
        UploadCampaignCsv::PATH,
        &[("cookie", cookie), ("origin", CONSOLE_URL)],
        Some(&body),
    )
    .await
}

/// The job an upload's check started; fails the test if the file was refused instead.
fn started_job(started: &TestResponse) -> UploadJob {
    match serde_json::from_str(&started.body).expect("a check") {
        UploadCheck::Started(job) => job,
        refused => panic!("expected a start: {refused:?}"),
    }
}

/// Asks for the job's progress, as the page does, until it is no longer running (failing the
/// test if that takes more than a minute).
async fn finished(app: &TestApp, cookie: &str, job: &UploadJob) -> UploadProgress {
    let polled = async {
        loop {
            let asked = app
                .call(
                    CampaignUploadProgress::PATH,
                    &[("job", &job.id)],
                    Some(cookie),
                )
                .await;
            assert_eq!(asked.status, StatusCode::OK, "{asked:?}");
            let progress: UploadProgress = serde_json::from_str(&asked.body).expect("progress");
            if progress.state != UploadState::Running {
                return progress;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(60), polled)
        .await
        .expect("the upload finished within a minute")
}

app_tests!(
    a_csv_upload_makes_a_link_per_row_and_gives_back_a_csv_of_them,
    |app| async move {
        let publisher = app.log_in_demo("publisher").await;
        let before = app.link_count().await;
        // Bad rows are all named by line, and nothing is made.
        let bad = upload(
            &app,
            &publisher,
            DEMO_CAMPAIGN,
            "name,customer\nAda,1\nGrace\nBob,2,extra\nEve,\"x\u{7}\"\n",
        )
        .await;
        assert_eq!(bad.status, StatusCode::OK, "{bad:?}");
        let UploadCheck::BadRows(rows) = serde_json::from_str(&bad.body).expect("a check") else {
            panic!("expected bad rows: {}", bad.body);
        };
        let lines: Vec<usize> = rows.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5], "{rows:?}");
        assert_eq!(rows[0].reason, "it has 1 fields, the header has 2");
        // The file as a whole: a reason of its own.
        let header = upload(&app, &publisher, DEMO_CAMPAIGN, "name,source\nAda,x\n").await;
        assert_eq!(header.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            header.body.contains("the campaign sets itself"),
            "{header:?}"
        );
        let missing = upload(&app, &publisher, "no-such-campaign", "name\nAda\n").await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        let viewer = app.log_in_demo("viewer").await;
        assert_eq!(
            upload(&app, &viewer, DEMO_CAMPAIGN, "name\nAda\n")
                .await
                .status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(app.link_count().await, before, "nothing made");

        // A good file: its links made while progress is asked for, then downloaded.
        let csv = "name,customer\nAda Lovelace,1\n\"Hopper, Grace\",2\n=cmd,3\n";
        let started = upload(&app, &publisher, DEMO_CAMPAIGN, csv).await;
        let job = started_job(&started);
        assert_eq!(job.rows, 3);
        let progress = finished(&app, &publisher, &job).await;
        assert_eq!(progress.state, UploadState::Done);
        assert_eq!(progress.made, 3);
        assert_eq!(app.link_count().await, before + 3);
        let path = app::domain::campaign::upload_download_path(&job.id);
        let download = app.get(&path, Some(&publisher)).await;
        assert_eq!(download.status, StatusCode::OK, "{download:?}");
        assert_eq!(
            download.header("content-type"),
            Some("text/csv; charset=utf-8")
        );
        assert_eq!(download.header("cache-control"), Some("no-store"));
        let mut lines = download.body.lines();
        assert_eq!(lines.next(), Some("name,customer,link,short_url,full_url"));
        let rows: Vec<&str> = lines.collect();
        assert_eq!(rows.len(), 3);
        assert!(rows[0].starts_with("Ada Lovelace,1,http"), "{}", rows[0]);
        assert!(
            rows[0].contains("?source=sms&name=Ada%20Lovelace&customer=1&"),
            "{}",
            rows[0]
        );
        assert!(rows[1].starts_with("\"Hopper, Grace\",2,"), "{}", rows[1]);
        assert!(
            rows[2].starts_with("'=cmd,3,"),
            "a formula is defused: {}",
            rows[2]
        );
        // A recipient opens a downloaded link.
        let short = rows[0].split(',').nth(2).expect("a link");
        assert_eq!(
            app.get(&local_path(short), None).await.status,
            StatusCode::FOUND
        );
        // Only the uploader downloads it.
        let admin = app.log_in_demo("admin").await;
        assert_eq!(
            app.get(&path, Some(&admin)).await.status,
            StatusCode::NOT_FOUND
        );
        assert_eq!(app.get(&path, None).await.status, StatusCode::UNAUTHORIZED);
        let others = app
            .call(
                CampaignUploadProgress::PATH,
                &[("job", &job.id)],
                Some(&admin),
            )
            .await;
        assert_eq!(others.status, StatusCode::NOT_FOUND);
    }
);

app_tests!(
    a_campaign_is_deleted_by_its_owner_or_an_admin_and_its_links_stay,
    |app| async move {
        let publisher = app.log_in_demo("publisher").await;
        let saved = save(&app, &publisher, "Mine", "").await;
        assert_eq!(saved.status, StatusCode::OK);
        let secret = app.api_key(&[ApiScope::LinksCreate], &[]).await;
        let made = api_post(&app, &secret, "/api/v1/links", r#"{"campaign":"mine"}"#).await;
        let made: ApiLink = serde_json::from_str(&made.body).expect("a link");
        // The demo campaign is the admin's: a publisher cannot delete it.
        let theirs = app
            .call(
                DeleteCampaign::PATH,
                &[("slug", ORDER_FLOW), ("campaign", DEMO_CAMPAIGN)],
                Some(&publisher),
            )
            .await;
        assert_eq!(theirs.status, StatusCode::FORBIDDEN, "{theirs:?}");
        assert!(theirs.body.contains("only the campaigns they saved"));
        let deleted = app
            .call(
                DeleteCampaign::PATH,
                &[("slug", ORDER_FLOW), ("campaign", "mine")],
                Some(&publisher),
            )
            .await;
        assert_eq!(deleted.status, StatusCode::OK, "{deleted:?}");
        let gone = app
            .call(
                DeleteCampaign::PATH,
                &[("slug", ORDER_FLOW), ("campaign", "mine")],
                Some(&publisher),
            )
            .await;
        assert!(gone.body.contains("no such campaign"), "{gone:?}");
        // Its link still opens; asking for another is "not found".
        let short = made.short_url.expect("shortened");
        assert_eq!(
            app.get(&local_path(&short), None).await.status,
            StatusCode::FOUND
        );
        let again = api_post(&app, &secret, "/api/v1/links", r#"{"campaign":"mine"}"#).await;
        assert_eq!(again.status, StatusCode::NOT_FOUND);
        let admin = app.log_in_demo("admin").await;
        let by_admin = app
            .call(
                DeleteCampaign::PATH,
                &[("slug", ORDER_FLOW), ("campaign", DEMO_CAMPAIGN)],
                Some(&admin),
            )
            .await;
        assert_eq!(by_admin.status, StatusCode::OK, "{by_admin:?}");
        assert!(campaigns(&app, &admin).await.is_empty());
    }
);

app_tests!(
    admins_make_api_keys_in_the_console_and_see_each_secret_once,
    |app| async move {
        let admin = app.log_in_demo("admin").await;
        let created = app
            .call(
                CreateApiKey::PATH,
                &[
                    ("name", "CRM"),
                    ("scopes[0]", "links:create"),
                    ("scopes[1]", "links:read"),
                    ("applications[0]", "order-widget"),
                    ("expires_days", "30"),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(created.status, StatusCode::OK, "{created:?}");
        let secret: String = serde_json::from_str(&created.body).expect("the secret");
        let secret = ApiSecret::parse(&secret).expect("a key's shape");
        // Listed by prefix, never with its secret.
        let listed = app.call(ApiKeys::PATH, &[], Some(&admin)).await;
        assert!(!listed.body.contains(secret.expose()));
        let keys: Vec<ApiKeySummary> = serde_json::from_str(&listed.body).expect("keys");
        let key = keys
            .iter()
            .find(|k| k.prefix == secret.prefix())
            .expect("listed");
        assert_eq!(key.name, "CRM");
        assert_eq!(key.scopes, [ApiScope::LinksCreate, ApiScope::LinksRead]);
        assert_eq!(key.applications, ["order-widget"]);
        assert!(key.expires_at.is_some() && key.revoked_at.is_none());
        // It works, within its applications.
        let made = api_post(
            &app,
            &secret,
            "/api/v1/links",
            &format!(r#"{{"campaign":"{DEMO_CAMPAIGN}"}}"#),
        )
        .await;
        assert_eq!(made.status, StatusCode::CREATED, "{made:?}");
        // Bad input is named; a publisher may do none of it.
        for (fields, message) in [
            (vec![("name", "x")], "at least one scope"),
            (
                vec![("name", "x"), ("scopes[0]", "links:*")],
                "is not a scope",
            ),
            (
                vec![
                    ("name", "x"),
                    ("scopes[0]", "links:read"),
                    ("applications[0]", "nowhere"),
                ],
                "no application \\\"nowhere\\\"",
            ),
            (
                vec![("name", ""), ("scopes[0]", "links:read")],
                "1 to 100 characters",
            ),
        ] {
            let refused = app.call(CreateApiKey::PATH, &fields, Some(&admin)).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{fields:?}"
            );
            assert!(
                refused.body.contains(message),
                "{fields:?}: {}",
                refused.body
            );
        }
        let publisher = app.log_in_demo("publisher").await;
        assert_eq!(
            app.call(ApiKeys::PATH, &[], Some(&publisher)).await.status,
            StatusCode::FORBIDDEN
        );
        assert_eq!(
            app.call(
                CreateApiKey::PATH,
                &[("name", "x"), ("scopes[0]", "links:read")],
                Some(&publisher)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );
        // Revoked, it stops working at once; the audit log names it, never its secret.
        let revoked = app
            .call(
                RevokeApiKey::PATH,
                &[("prefix", secret.prefix())],
                Some(&admin),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
        let refused = api_post(
            &app,
            &secret,
            "/api/v1/links",
            &format!(r#"{{"campaign":"{DEMO_CAMPAIGN}"}}"#),
        )
        .await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
        let in_audit = app
            .test_store
            .scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{}%'",
                secret.prefix()
            ))
            .await;
        assert_eq!(in_audit, 2, "made and revoked");
        let leaked = app
            .test_store
            .scalar(&format!(
                "SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%{}%'",
                secret.expose()
            ))
            .await;
        assert_eq!(leaked, 0);
    }
);

/// The command line makes one link of a campaign, or one per row of a CSV file (printed as CSV),
/// and names every bad row without making anything.
#[test]
fn the_command_line_makes_a_campaigns_links_one_or_a_file_at_a_time() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let url = format!("sqlite://{}", dir.path().join("campaigns.db").display());
    let flowshare = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_flowshare"))
            .env("DATABASE_URL", &url)
            .args(args)
            .output()
            .expect("flowshare runs")
    };
    let seeded = flowshare(&["demo", "seed", "--public-url", "http://127.0.0.1:3000"]);
    assert!(seeded.status.success(), "{seeded:?}");
    let one = flowshare(&[
        "links",
        "create",
        "--campaign",
        DEMO_CAMPAIGN,
        "--param",
        "name=Ada Lovelace",
    ]);
    assert!(one.status.success(), "{one:?}");
    let link = String::from_utf8(one.stdout).expect("UTF-8");
    assert!(
        link.trim().starts_with("http://127.0.0.1:3000/s/"),
        "{link}"
    );
    let clash = flowshare(&[
        "links",
        "create",
        "--campaign",
        DEMO_CAMPAIGN,
        "--param",
        "source=x",
    ]);
    assert!(!clash.status.success());
    assert!(String::from_utf8_lossy(&clash.stderr).contains("\"source\" appears more than once"));
    let nowhere = flowshare(&["links", "create", "--campaign", "nope"]);
    assert!(String::from_utf8_lossy(&nowhere.stderr).contains("no campaign \"nope\""));

    let good = dir.path().join("recipients.csv");
    std::fs::write(&good, "name,customer\nAda,1\nGrace,2\n").expect("written");
    let batch = flowshare(&[
        "links",
        "batch",
        "--campaign",
        DEMO_CAMPAIGN,
        good.to_str().expect("a path"),
    ]);
    assert!(batch.status.success(), "{batch:?}");
    let out = String::from_utf8(batch.stdout).expect("UTF-8");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines[0], "name,customer,link,short_url,full_url");
    assert_eq!(lines.len(), 3);
    assert!(
        lines[1].starts_with("Ada,1,http://127.0.0.1:3000/s/"),
        "{}",
        lines[1]
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, b"name,customer\nAda\nGr\xffce,2\n").expect("written");
    let refused = flowshare(&[
        "links",
        "batch",
        "--campaign",
        DEMO_CAMPAIGN,
        bad.to_str().expect("a path"),
    ]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("not UTF-8 text (line 3 is not)"),
        "{refused:?}"
    );
    std::fs::write(&bad, "name,customer\nAda\nGrace,2,3\n").expect("written");
    let ragged = flowshare(&[
        "links",
        "batch",
        "--campaign",
        DEMO_CAMPAIGN,
        bad.to_str().expect("a path"),
    ]);
    let told = String::from_utf8_lossy(&ragged.stderr);
    assert!(
        told.contains("line 2: it has 1 fields") && told.contains("line 3: it has 3 fields"),
        "{told}"
    );
}

app_tests!(
    an_upload_is_charged_a_link_generation_per_hundred_rows,
    server::testing::TestOptions {
        limits: server::security::limits::LimitSettings {
            link_generations_per_user: server::security::limits::Rate::parse("3/h")
                .expect("a rate"),
            ..server::security::limits::LimitSettings::OFF
        },
        ..server::testing::TestOptions::default()
    },
    |app| async move {
        let publisher = app.log_in_demo("publisher").await;
        let before = app.link_count().await;
        // A refused file costs nothing.
        for _ in 0..5 {
            let refused = upload(&app, &publisher, DEMO_CAMPAIGN, "name\n").await;
            assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
        // 301 rows are four units, more than the hour's three: a full budget lets one such
        // upload take all of it (as an API batch does) — had the refusals cost, it would not.
        let rows: String = (0..301).map(|i| format!("{i}\n")).collect();
        let csv = format!("customer\n{rows}");
        let started = upload(&app, &publisher, DEMO_CAMPAIGN, &csv).await;
        assert_eq!(started.status, StatusCode::OK, "{started:?}");
        let job = started_job(&started);
        assert_eq!(
            finished(&app, &publisher, &job).await.state,
            UploadState::Done
        );
        assert_eq!(app.link_count().await, before + 301);
        // Then the budget is spent: the next upload waits, and makes nothing.
        let limited = upload(&app, &publisher, DEMO_CAMPAIGN, "customer\n1\n").await;
        assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS, "{limited:?}");
        assert!(limited.header("retry-after").is_some());
        assert_eq!(app.link_count().await, before + 301);
    }
);

app_tests!(
    an_uploads_csv_header_comes_back_kept_from_formulas_like_its_cells,
    |app| async move {
        let publisher = app.log_in_demo("publisher").await;
        let before = app.link_count().await;
        // Names a spreadsheet would run are not parameter names: refused whole, nothing made.
        for header in ["=1+1", "+x", "@x"] {
            let refused = upload(&app, &publisher, DEMO_CAMPAIGN, &format!("{header}\n1\n")).await;
            assert_eq!(
                refused.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{header}: {refused:?}"
            );
            assert!(
                refused.body.contains("is not a parameter name"),
                "{refused:?}"
            );
        }
        assert_eq!(app.link_count().await, before, "nothing made");
        // `-A1` is one: its column comes back headed `'-A1`, as a cell starting with `-` would.
        let started = upload(&app, &publisher, DEMO_CAMPAIGN, "-A1,name\n-2,@Ada\n").await;
        let job = started_job(&started);
        assert_eq!(
            finished(&app, &publisher, &job).await.state,
            UploadState::Done
        );
        let path = app::domain::campaign::upload_download_path(&job.id);
        let download = app.get(&path, Some(&publisher)).await;
        assert_eq!(download.status, StatusCode::OK, "{download:?}");
        let mut lines = download.body.lines();
        assert_eq!(lines.next(), Some("'-A1,name,link,short_url,full_url"));
        let row = lines.next().expect("a row");
        assert!(row.starts_with("'-2,'@Ada,http"), "{row}");
        // The link itself carries the parameter under its real name.
        assert!(row.contains("&-A1=-2&"), "{row}");
    }
);
