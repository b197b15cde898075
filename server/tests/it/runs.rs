//! Recipients' runs, walked on the server, against any client (curl as much as our page), on both
//! engines: a link's page holds its first step only; a run starts counted; every move is checked
//! against the run; switching a link off ends its runs; and the answers reach Results and the CSV.

use app::api::runs::FlowResults;
use app::api::share::{GenerateLink, RevokeLink};
use app::domain::link::LinkRefusal;
use app::domain::results::{ResultsPage, RunOutcome};
use app::domain::run::{GivenAnswer, RunProblem, RunView, StepViewKind};
use app::domain::share::GeneratedLink;
use app::error::AppError;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use server::app_tests;
use server::testing::{form_body, link_id, local_path, run_outcome, FirstMove, TestApp};

/// The order status flow's texts after its first step (see `server::demo`).
const LATER_TEXTS: [&str; 9] = [
    "What would you like to do?",
    "Start a new request",
    "Ask about an existing request",
    "Please enter your customer number.",
    "Briefly describe what you need.",
    "What is your reference number?",
    "is being handled",
    "request is registered",
    "Goodbye, and thank you",
];

/// A protected link to Order Status Lookup: help-centre allows unlimited starts, the order
/// widget 5.
async fn link(app: &TestApp, cookie: &str, application: &str) -> GeneratedLink {
    let form = [
        ("flow", "order-status-lookup"),
        ("application", application),
        ("params", "name=Ada"),
        ("protect", "true"),
        ("shorten", "false"),
    ];
    let response = app.call(GenerateLink::PATH, &form, Some(cookie)).await;
    assert_eq!(response.status, StatusCode::OK, "{response:?}");
    serde_json::from_str(&response.body).expect("a link")
}

fn greeting() -> FirstMove {
    FirstMove {
        step: "welcome".into(),
        choice: None,
        value: None,
    }
}

async fn start(app: &TestApp, link: &GeneratedLink) -> RunView {
    run_outcome(&app.start_run(&link.full_url, &greeting(), None).await).expect("a run")
}

/// A move in `run` as the player's script posts it.
async fn step(app: &TestApp, run: &RunView, fields: &[(&str, &str)]) -> Result<RunView, AppError> {
    let token = run.token.as_ref().expect("a run's token").as_str();
    let at = run.step.at.to_string();
    let mut form = vec![
        ("action", "answer"),
        ("at", at.as_str()),
        ("step", run.step.id.as_str()),
    ];
    for (name, value) in fields {
        match form.iter_mut().find(|(n, _)| n == name) {
            Some(field) => field.1 = value,
            None => form.push((name, value)),
        }
    }
    run_outcome(&app.run_step(token, &form).await)
}

fn run_problem(problem: RunProblem) -> Result<(), AppError> {
    Err(AppError::Run(problem))
}

app_tests!(
    a_links_page_holds_its_first_step_and_nothing_after_it,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher, "order-widget").await;
        let page = app.get(&local_path(&link.full_url), None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body
                .contains("Hello Ada, this is the order status lookup assistant."),
            "the first step, filled in"
        );
        for later in LATER_TEXTS {
            assert!(!page.body.contains(later), "{later:?} is on the page");
        }
        assert!(
            !page.body.contains("\"steps\""),
            "no definition in the page"
        );
        // Opening counts nothing and starts nothing.
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 0);
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM links WHERE invocations > 0")
                .await,
            0
        );
        // The endpoint that once answered with the whole definition is gone.
        let old = app.call("/api/open_link", &[], None).await;
        assert!(!old.body.contains("What would you like to do?"), "{old:?}");
    }
);

app_tests!(
    without_a_counted_start_there_is_no_second_step,
    |app| async move {
        let made_up = app
            .run_step(
                "AAAAAAAAAAAAAAAAAAAAAA",
                &[("action", "answer"), ("at", "0"), ("step", "welcome")],
            )
            .await;
        assert_eq!(made_up.status, StatusCode::NOT_FOUND);
        assert_eq!(
            run_outcome(&made_up).map(|_| ()),
            run_problem(RunProblem::NoSuchRun)
        );
        let malformed = app
            .run_step(
                "../../etc",
                &[("action", "answer"), ("at", "0"), ("step", "x")],
            )
            .await;
        assert_eq!(malformed.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get("/r/AAAAAAAAAAAAAAAAAAAAAA", None).await.status,
            StatusCode::NOT_FOUND
        );
        // A start whose first move does not fit the first step counts nothing.
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher, "order-widget").await;
        let wrong = FirstMove {
            step: "choose".into(),
            choice: Some("0".into()),
            value: None,
        };
        let refused = app.start_run(&link.full_url, &wrong, None).await;
        assert_eq!(refused.status, StatusCode::CONFLICT, "{refused:?}");
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 0);
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM links WHERE invocations > 0")
                .await,
            0
        );
    }
);

app_tests!(
    fifty_racing_starts_of_a_link_allowing_five_make_exactly_five_runs,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher, "order-widget").await;
        let app = std::sync::Arc::new(app);
        let racers: Vec<_> = (0..50)
            .map(|_| {
                let (app, link) = (app.clone(), link.clone());
                tokio::spawn(async move {
                    run_outcome(&app.start_run(&link.full_url, &greeting(), None).await)
                })
            })
            .collect();
        let mut results = Vec::new();
        for racer in racers {
            results.push(racer.await.expect("a racer"));
        }
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 5);
        assert!(results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| *e == AppError::Link(LinkRefusal::UsedUp)));
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 5);
        assert_eq!(
            app.test_store
                .scalar("SELECT MAX(invocations) FROM links")
                .await,
            5
        );
    }
);

app_tests!(
    a_run_walks_to_its_end_and_refuses_replays_and_bad_answers,
    |app| async move {
        let publisher = app.log_in("publisher", "demo-publisher-pass").await;
        let link = link(&app, &publisher, "order-widget").await;
        let run = start(&app, &link).await;
        assert_eq!(run.step.id, "choose");
        assert_eq!(
            run.step.kind,
            StepViewKind::Question {
                choices: vec![
                    "Start a new request".into(),
                    "Ask about an existing request".into(),
                    "Nothing, thanks".into()
                ]
            }
        );
        assert_eq!(
            step(&app, &run, &[("choice", "7")]).await.map(|_| ()),
            run_problem(RunProblem::NoSuchChoice)
        );
        assert_eq!(
            step(&app, &run, &[]).await.map(|_| ()),
            run_problem(RunProblem::ChoiceMissing)
        );
        let reference = step(&app, &run, &[("choice", "0")]).await.expect("chosen");
        assert_eq!(reference.step.id, "reference");
        // The same post again (a double click, a replay): the run has moved on.
        assert_eq!(
            step(&app, &run, &[("choice", "0")]).await.map(|_| ()),
            run_problem(RunProblem::NotCurrentStep)
        );
        // A step the run is not at.
        assert_eq!(
            step(&app, &reference, &[("step", "details"), ("value", "x")])
                .await
                .map(|_| ()),
            run_problem(RunProblem::NotCurrentStep)
        );
        let too_long = "9".repeat(501);
        let refused = step(&app, &reference, &[("value", too_long.as_str())]).await;
        assert_eq!(refused.map(|_| ()), run_problem(RunProblem::InputTooLong));
        let details = step(&app, &reference, &[("value", "C-1001")])
            .await
            .expect("typed");
        assert_eq!(details.step.text, "Briefly describe what you need.");
        // Back and forth: Back undoes the answer (showing what was typed), Restart goes to the
        // start; neither counts as a start.
        let back = step(&app, &details, &[("action", "back")])
            .await
            .expect("back");
        assert_eq!(back.step.id, "reference");
        assert_eq!(
            back.step.kind,
            StepViewKind::Input {
                value: "C-1001".into()
            }
        );
        let restarted = step(&app, &back, &[("action", "restart")])
            .await
            .expect("restart");
        assert_eq!(restarted.step.id, "welcome");
        let mut run = restarted;
        for fields in [
            vec![],
            vec![("choice", "0")],
            vec![("value", "C-1002")],
            vec![("value", "A parcel")],
        ] {
            run = step(&app, &run, &fields).await.expect("a move");
        }
        assert_eq!(run.step.kind, StepViewKind::End);
        assert_eq!(
            run.step.text,
            "Thank you, Ada. Your order status lookup request is registered."
        );
        assert_eq!(
            step(&app, &run, &[]).await.map(|_| ()),
            run_problem(RunProblem::Finished)
        );
        assert_eq!(
            app.test_store.scalar("SELECT invocations FROM links").await,
            1,
            "one start, however many moves"
        );
        assert_eq!(
            app.test_store
                .scalar("SELECT COUNT(*) FROM runs WHERE finished_at IS NOT NULL")
                .await,
            1
        );
    }
);

app_tests!(
    revoking_the_link_ends_its_runs_at_the_next_step,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let link = link(&app, &admin, "help-centre").await;
        let run = start(&app, &link).await;
        let id = link_id(&link.full_url);
        let revoked = app
            .call(
                RevokeLink::PATH,
                &[("slug", "order-status-lookup"), ("link", &id)],
                Some(&admin),
            )
            .await;
        assert_eq!(revoked.status, StatusCode::OK, "{revoked:?}");
        let after = app
            .run_step(
                run.token.as_ref().expect("a token").as_str(),
                &[
                    ("action", "answer"),
                    ("at", "1"),
                    ("step", "choose"),
                    ("choice", "0"),
                ],
            )
            .await;
        assert_eq!(after.status, StatusCode::GONE);
        assert_eq!(
            run_outcome(&after).map(|_| ()),
            Err(AppError::Link(LinkRefusal::Disabled))
        );
        let page = app.get(&run.token.expect("a token").page(), None).await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.body.contains("This link has been disabled"));
        assert!(!page.body.contains("What would you like to do?"));
    }
);

/// Moves a link's expiry to `seconds` from now (negative: ago), in the store only: the link cache
/// still holds the expiry it read.
async fn expire_in(app: &TestApp, id: &str, seconds: i64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("after 1970")
        .as_secs() as i64;
    let at = now + seconds;
    let sql = format!("UPDATE links SET expires_at = {at} WHERE id = '{id}' RETURNING expires_at");
    assert_eq!(app.test_store.scalar(&sql).await, at);
}

/// A run's row as stored: what a refused move must leave as it was.
async fn run_row(app: &TestApp) -> (i64, i64, i64) {
    let one = |column: &str| format!("SELECT {column} FROM runs");
    (
        app.test_store.scalar(&one("moves")).await,
        app.test_store.scalar(&one("updated_at")).await,
        app.test_store
            .scalar(&one("CAST(LENGTH(state) AS BIGINT)"))
            .await,
    )
}

app_tests!(
    a_run_may_finish_within_the_grace_after_its_link_expires_and_no_later,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let link = link(&app, &admin, "help-centre").await;
        let id = link_id(&link.full_url);
        let run = start(&app, &link).await;
        // Expired half an hour ago: within the grace (an hour unless configured), it goes on.
        expire_in(&app, &id, -1_800).await;
        app.test_store.store.links.changed().await;
        let run = step(&app, &run, &[("choice", "0")])
            .await
            .expect("a move within the grace");
        assert_eq!(run.step.id, "reference");
        // Expired two hours ago. The cache still has the old expiry, so only the statement that
        // writes the move can refuse it: with the expired refusal, and nothing written.
        expire_in(&app, &id, -7_200).await;
        let before = run_row(&app).await;
        assert_eq!(
            step(&app, &run, &[("value", "C-1")]).await.map(|_| ()),
            Err(AppError::Link(LinkRefusal::Expired))
        );
        assert_eq!(run_row(&app).await, before, "nothing written");
        // Once the cache knows, the move is refused before the write, alike.
        app.test_store.store.links.changed().await;
        let token = run.token.as_ref().expect("a token").as_str().to_owned();
        let refused = app
            .run_step(
                &token,
                &[
                    ("action", "answer"),
                    ("at", &run.step.at.to_string()),
                    ("step", "reference"),
                    ("value", "C-1"),
                ],
            )
            .await;
        assert_eq!(refused.status, StatusCode::GONE);
        assert_eq!(
            run_outcome(&refused).map(|_| ()),
            Err(AppError::Link(LinkRefusal::Expired))
        );
        assert_eq!(run_row(&app).await, before, "nothing written");
        let page = app.get(&format!("/r/{token}"), None).await;
        assert_eq!(page.status, StatusCode::GONE);
        assert!(page.body.contains("This link has expired"), "{}", page.body);
        assert!(!page.body.contains("What is your reference number?"));
    }
);

/// A plain form's post as a browser without JavaScript sends it; returns where it was sent.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> String {
    let body = form_body(fields);
    let response = app.browser_post(path, &body, None).await;
    assert_eq!(response.status, StatusCode::FOUND, "{response:?}");
    response.header("location").expect("a redirect").to_owned()
}

/// The hidden field `name` of the step's form on `page`.
fn field(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = page.find(&marker).expect(name) + marker.len();
    page[at..].split('"').next().expect(name).to_owned()
}

app_tests!(
    a_flow_runs_to_its_end_with_plain_forms_and_keeps_the_answers,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let link = link(&app, &admin, "help-centre").await;
        let url = url::Url::parse(&link.full_url).expect("a URL");
        let (path, query) = (
            url.path().to_owned(),
            url.query().unwrap_or_default().to_owned(),
        );
        let start_path = app::api::runs::StartRun::PATH;
        let step_path = app::api::runs::RunStep::PATH;
        let run_page = post_form(
            &app,
            start_path,
            &[
                ("path", &path),
                ("query", &query),
                ("action", "answer"),
                ("at", "0"),
                ("step", "welcome"),
            ],
        )
        .await;
        assert!(run_page.starts_with("/r/"), "{run_page}");
        let page = app.get(&run_page, None).await;
        assert_eq!(page.status, StatusCode::OK);
        assert_eq!(page.header("cache-control"), Some("no-store"));
        assert!(page.body.contains("What would you like to do?"));
        let token = field(&page.body, "token");
        let answer =
            |at: &'static str, step: &'static str, name: &'static str, value: &'static str| {
                let token = token.clone();
                let app = &app;
                async move {
                    post_form(
                        app,
                        step_path,
                        &[
                            ("token", &token),
                            ("action", "answer"),
                            ("at", at),
                            ("step", step),
                            (name, value),
                        ],
                    )
                    .await
                }
            };
        assert_eq!(answer("1", "choose", "choice", "0").await, run_page);
        // A refused answer comes back to the step, the reason named.
        let control = "line\u{7}bell";
        let refused = answer("2", "reference", "value", control).await;
        assert_eq!(refused, format!("{run_page}?problem=input-not-text"));
        let again = app.get(&refused, None).await;
        assert!(
            again.body.contains("characters that are not text"),
            "{}",
            again.body
        );
        assert!(again.body.contains("Please enter your customer number."));
        assert_eq!(
            answer("2", "reference", "value", "=HYPERLINK(\"http://evil\")").await,
            run_page
        );
        assert_eq!(
            answer("3", "details", "value", "<b>\"Broken\", lid</b>").await,
            run_page
        );
        let end = app.get(&run_page, None).await;
        assert!(end
            .body
            .contains("Your order status lookup request is registered."));
        assert!(end.body.contains("Finished"));
        // Restarting after finishing leaves the finished run's answers as its results.
        let restart = [
            ("token", token.as_str()),
            ("action", "restart"),
            ("at", "4"),
            ("step", "done"),
        ];
        assert_eq!(post_form(&app, step_path, &restart).await, run_page);

        // The answers, as Results shows them.
        let results = app
            .call(
                FlowResults::PATH,
                &[("flow", "order-status-lookup")],
                Some(&admin),
            )
            .await;
        assert_eq!(results.status, StatusCode::OK, "{results:?}");
        let results: ResultsPage = serde_json::from_str(&results.body).expect("results");
        assert_eq!(results.runs.len(), 1);
        let run = &results.runs[0];
        assert_eq!(run.outcome, RunOutcome::Finished);
        assert_eq!(run.application, "Customer Help Centre");
        let given: Vec<_> = run.answers.iter().map(|g| g.answer.clone()).collect();
        assert_eq!(
            given,
            vec![
                GivenAnswer::Next,
                GivenAnswer::Choice {
                    label: "Start a new request".into()
                },
                GivenAnswer::Input {
                    variable: "customer".into(),
                    value: "=HYPERLINK(\"http://evil\")".into()
                },
                GivenAnswer::Input {
                    variable: "details".into(),
                    value: "<b>\"Broken\", lid</b>".into()
                },
            ]
        );
        let finished_only = app
            .call(
                FlowResults::PATH,
                &[("flow", "order-status-lookup"), ("outcome", "abandoned")],
                Some(&admin),
            )
            .await;
        let none: ResultsPage = serde_json::from_str(&finished_only.body).expect("results");
        assert!(none.runs.is_empty());
        let viewer = app.log_in("viewer", "demo-viewer-pass").await;
        assert_eq!(
            app.call(
                FlowResults::PATH,
                &[("flow", "order-status-lookup")],
                Some(&viewer)
            )
            .await
            .status,
            StatusCode::FORBIDDEN
        );

        // The CSV: exactly those answers, quoted and kept from being read as formulas.
        let csv = app
            .get("/flows/order-status-lookup/results.csv", Some(&admin))
            .await;
        assert_eq!(csv.status, StatusCode::OK, "{csv:?}");
        assert_eq!(csv.header("content-type"), Some("text/csv; charset=utf-8"));
        let lines: Vec<&str> = csv.body.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(
            lines[0],
            "run,link,application,started_at,finished_at,state,steps_taken,choose,customer,details,reference,other_answers"
        );
        assert_eq!(lines.len(), 2, "{}", csv.body);
        assert!(
            lines[1].ends_with(
                ",finished,5,Start a new request,\"'=HYPERLINK(\"\"http://evil\"\")\",\"<b>\"\"Broken\"\", lid</b>\",,"
            ),
            "{}",
            lines[1]
        );
        assert_eq!(
            app.get("/flows/order-status-lookup/results.csv", None)
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
        assert_eq!(
            app.get("/flows/order-status-lookup/results.csv", Some(&viewer))
                .await
                .status,
            StatusCode::FORBIDDEN
        );

        // Revoked mid-run: a form's post goes to a page that says so.
        let second = post_form(
            &app,
            start_path,
            &[
                ("path", &path),
                ("query", &query),
                ("action", "answer"),
                ("at", "0"),
                ("step", "welcome"),
            ],
        )
        .await;
        let second_token = second.trim_start_matches("/r/").to_owned();
        let id = path.rsplit('/').next().expect("an id");
        app.call(
            RevokeLink::PATH,
            &[("slug", "order-status-lookup"), ("link", id)],
            Some(&admin),
        )
        .await;
        let gone = post_form(
            &app,
            step_path,
            &[
                ("token", &second_token),
                ("action", "answer"),
                ("at", "1"),
                ("step", "choose"),
                ("choice", "1"),
            ],
        )
        .await;
        assert_eq!(gone, second, "the run's page says why it cannot go on");
        let said = app.get(&gone, None).await;
        assert_eq!(said.status, StatusCode::GONE);
        assert!(said.body.contains("This link has been disabled"));
        assert!(!said.body.contains("What would you like to do?"));
    }
);

app_tests!(
    a_first_move_that_does_not_fit_says_why_and_leads_back_to_the_link,
    |app| async move {
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let link = link(&app, &admin, "help-centre").await;
        let url = url::Url::parse(&link.full_url).expect("a URL");
        let (path, query) = (
            url.path().to_owned(),
            url.query().unwrap_or_default().to_owned(),
        );
        // A choice on the greeting (a message): altered or stale, it starts nothing.
        let refused = post_form(
            &app,
            app::api::runs::StartRun::PATH,
            &[
                ("path", &path),
                ("query", &query),
                ("action", "answer"),
                ("at", "0"),
                ("step", "welcome"),
                ("choice", "0"),
            ],
        )
        .await;
        let link_page = local_path(&link.full_url);
        assert_eq!(
            refused,
            format!(
                "/refused/not-a-question?from={}",
                app::domain::query::encode_component(&link_page)
            )
        );
        let page = app.get(&refused, None).await;
        assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            page.body.contains("This step takes no answer"),
            "{}",
            page.body
        );
        assert!(page.body.contains("Back to the first step"));
        assert!(
            page.body.contains(&link_page.replace('&', "&amp;")),
            "{}",
            page.body
        );
        assert_eq!(app.test_store.scalar("SELECT COUNT(*) FROM runs").await, 0);
        // A made-up `from` is no way back and frames nothing.
        let made_up = app
            .get("/refused/not-a-question?from=%2Ff%2Fx%2Fy%2Fz", None)
            .await;
        assert!(!made_up.body.contains("Back to the first step"));
        assert!(made_up
            .header("content-security-policy")
            .is_some_and(|p| p.ends_with("frame-ancestors 'none'")));
    }
);

app_tests!(
    a_signed_in_console_user_runs_a_flow_without_javascript_too,
    |app| async move {
        // Public pages send no Referer, so a browser posts their forms with `Origin: null`; the
        // session cookie goes along. A recipient's move acts for no one: it is not refused.
        let admin = app.log_in("admin", "demo-admin-pass").await;
        let link = link(&app, &admin, "help-centre").await;
        let url = url::Url::parse(&link.full_url).expect("a URL");
        let body = form_body(&[
            ("path", url.path()),
            ("query", url.query().unwrap_or_default()),
            ("action", "answer"),
            ("at", "0"),
            ("step", "welcome"),
        ]);
        let request = http::Request::post(app::api::runs::StartRun::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "text/html")
            .header("origin", "null")
            .header("cookie", admin.as_str())
            .body(axum::body::Body::from(body))
            .expect("a request");
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::FOUND, "{response:?}");
        assert!(response
            .header("location")
            .is_some_and(|l| l.starts_with("/r/")));
        // The console's own state-changing calls are still refused from elsewhere.
        let revoke = http::Request::post(RevokeLink::PATH)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", "null")
            .header("cookie", admin.as_str())
            .body(axum::body::Body::from("slug=order-status-lookup&link=x"))
            .expect("a request");
        assert_eq!(app.send(revoke).await.status, StatusCode::FORBIDDEN);
    }
);
