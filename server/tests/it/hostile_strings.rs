//! Every text a person or a system can set, filled with hostile strings, then every page, console
//! and public, fetched as every role and parsed as a browser parses it (html5ever): no element,
//! attribute or script on any page came from a payload, while each payload is shown as the text
//! it is. A page the application serves that this test does not visit fails the test.

use app::api::api_keys::CreateApiKey;
use app::api::applications::{SaveApplication, SaveLinkPages};
use app::api::campaigns::SaveCampaign;
use app::api::review::ReviewFlow;
use app::api::share::GenerateLink;
use app::domain::query::encode_component as enc;
use app::domain::run::RunView;
use app::domain::share::GeneratedLink;
use http::StatusCode;
use leptos::server_fn::ServerFn;
use scraper::{ElementRef, Html, Selector};
use server::app_tests;
use server::testing::{local_path, TestApp};
use std::collections::BTreeSet;

/// What every payload is marked with, followed by two letters naming the field it was put in.
const MARK: &str = "fsx";

/// The payload for the field `tag` (two letters): it closes each element whose content the
/// framework writes raw (`textarea`, `title`), opens a script, breaks out of an attribute into an
/// element with a handler, and carries template braces and a right-to-left override. 78
/// characters, so it fits the shortest name field (a campaign's, 80).
fn hostile(tag: &str) -> String {
    assert_eq!(
        tag.len(),
        2,
        "two-letter tags keep every payload within 80 characters"
    );
    format!(
        "</textarea></title><script>{MARK}{tag}</script>\"'><img onerror={MARK}{tag} data-{MARK}>{{{{x}}}}\u{202E}"
    )
}

/// Extras only query strings can carry (stored fields refuse control characters).
fn hostile_query(tag: &str) -> String {
    format!(
        "{}\u{7}</noscript><base href=//evil.example>javascript:{MARK}{tag}",
        hostile(tag)
    )
}

/// A hostile flow, shareable: published, approved, of the interaction type. Every text of it,
/// each step kind and each choice, carries a payload, and its texts fill in link parameters and
/// the recipient's answer.
fn hostile_flow_file() -> String {
    let text = |tag: &str| serde_json::Value::String(hostile(tag));
    serde_json::json!([{
        "name": hostile("fn"),
        "slug": "hostile-flow",
        "type": "interaction",
        "status": "published",
        "approval": "approved",
        "description": hostile("fd"),
        "definition": {
            "start": "welcome",
            "steps": [
                { "id": "welcome", "kind": "message",
                  "text": format!("{} {{{{name}}}} {{{{note}}}}", hostile("sm")), "next": "topic" },
                { "id": "topic", "kind": "question", "text": text("sq"),
                  "choices": [ { "label": hostile("c1"), "next": "ask" },
                               { "label": hostile("c2"), "next": "bye" } ] },
                { "id": "ask", "kind": "input", "text": text("si"), "variable": "answer", "next": "bye" },
                { "id": "bye", "kind": "end", "text": format!("{} {{{{answer}}}}", hostile("se")) }
            ]
        }
    }])
    .to_string()
}

/// What one fetched page showed: which payload tags stood in it as text or attribute values.
#[derive(Debug, Default)]
struct Seen {
    tags: BTreeSet<String>,
    pages: usize,
}

/// Parses `html` as a browser would and fails when any payload became markup: an element or
/// attribute of its own, a handler, a script, a `javascript:` URL or a `<base>`.
fn assert_inert(path: &str, who: &str, html: &str, seen: &mut Seen) {
    let document = Html::parse_document(html);
    let all = Selector::parse("*").expect("a selector");
    let mut titles = 0;
    for element in document.select(&all) {
        let name = element.value().name();
        let at = || format!("{who} {path}: <{name}>");
        assert!(!name.contains(MARK), "{}: an element from a payload", at());
        assert_ne!(name, "base", "{}: a <base> from a payload", at());
        if name == "title" {
            titles += 1;
        }
        for (attribute, value) in element.value().attrs() {
            assert!(
                !attribute.contains(MARK) && !attribute.starts_with("on"),
                "{}: attribute {attribute}={value:?} came from a payload",
                at()
            );
            if matches!(attribute, "href" | "src" | "action" | "formaction") {
                assert!(
                    !value.trim().to_ascii_lowercase().starts_with("javascript:"),
                    "{}: {attribute}={value:?}",
                    at()
                );
            }
            note_tags(value, seen);
        }
        if name == "script" {
            let code: String = element.text().collect();
            assert!(
                !code.contains(MARK),
                "{}: a payload in a script: {code}",
                at()
            );
            assert!(
                element.value().attr("nonce").is_some(),
                "{}: every script carries the page's nonce",
                at()
            );
        }
        if name == "textarea" || name == "title" {
            // Text-only elements: whatever they hold is text, so a payload stands whole in them.
            let text: String = element.text().collect();
            note_tags(&text, seen);
        }
    }
    assert_eq!(titles, 1, "{who} {path}: one <title>");
    note_tags(&text_of(document.root_element()), seen);
    seen.pages += 1;
}

fn text_of(element: ElementRef<'_>) -> String {
    element.text().collect()
}

fn note_tags(text: &str, seen: &mut Seen) {
    for (at, _) in text.match_indices(MARK) {
        if let Some(tag) = text.get(at + MARK.len()..at + MARK.len() + 2) {
            seen.tags.insert(tag.to_owned());
        }
    }
}

/// Fills every text the console and the API let people and systems set: a flow (imported, as
/// systems bring them), an application, links with parameters, a campaign, an API key, a run's
/// answer and a review comment. Returns what the pages are then visited with.
struct Filled {
    application: String,
    links: Vec<GeneratedLink>,
    run_pages: Vec<String>,
}

async fn fill(app: &TestApp) -> Filled {
    let store = &app.test_store.store;
    server::import::import(store, &hostile_flow_file(), "admin")
        .await
        .expect("a hostile flow imports: its texts are text");
    let admin = app.log_in_demo("admin").await;
    let publisher = app.log_in_demo("publisher").await;

    let saved = app
        .call(
            SaveApplication::PATH,
            &[
                ("creating", "true"),
                ("name", &hostile("an")),
                ("kind", "widget"),
                ("base_url", "https://hostile.example"),
                ("embed_origins", "https://shop.example"),
                ("flows[0]", "hostile-flow"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
    let application: String = serde_json::from_str(&saved.body).expect("the new slug");
    // Its link pages: a preview (in every link page's tags) and an ending's own words and link.
    let onward = format!("https://hostile.example/?next={}", enc(&hostile("ou")));
    let link_pages = app
        .call(
            SaveLinkPages::PATH,
            &[
                ("application", application.as_str()),
                ("preview_title", &hostile("pt")),
                ("preview_description", &hostile("pd")),
                ("endings[0][then]", "page"),
                ("endings[0][message]", &hostile("em")),
                ("endings[0][url]", &onward),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(link_pages.status, StatusCode::OK, "{link_pages:?}");
    // A base URL and origins with markup in them are refused, never stored.
    for (base_url, origins) in [
        (
            format!("https://hostile.example/{}", hostile("bu")),
            String::new(),
        ),
        ("https://other.example".to_owned(), hostile("eo")),
    ] {
        let refused = app
            .call(
                SaveApplication::PATH,
                &[
                    ("creating", "true"),
                    ("name", "Other"),
                    ("kind", "widget"),
                    ("base_url", &base_url),
                    ("embed_origins", &origins),
                ],
                Some(&admin),
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{refused:?}"
        );
    }

    let params = format!("name={}&note={}", enc(&hostile("pn")), enc(&hostile("pv")));
    let mut links = Vec::new();
    for protect in ["true", "false"] {
        let made = app
            .call(
                GenerateLink::PATH,
                &[
                    ("flow", "hostile-flow"),
                    ("application", &application),
                    ("params", &params),
                    ("protect", protect),
                    ("shorten", "true"),
                ],
                Some(&publisher),
            )
            .await;
        assert_eq!(made.status, StatusCode::OK, "{made:?}");
        links.push(serde_json::from_str::<GeneratedLink>(&made.body).expect("a link"));
    }
    let campaign = app
        .call(
            SaveCampaign::PATH,
            &[
                ("flow", "hostile-flow"),
                ("name", &hostile("cn")),
                ("application", &application),
                ("params", &params),
                ("protect", "false"),
                ("shorten", "true"),
            ],
            Some(&publisher),
        )
        .await;
    assert_eq!(campaign.status, StatusCode::OK, "{campaign:?}");
    let key = app
        .call(
            CreateApiKey::PATH,
            &[
                ("name", hostile("kn").as_str()),
                ("scopes[0]", "links:read"),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(key.status, StatusCode::OK, "{key:?}");
    let review = app
        .call(
            ReviewFlow::PATH,
            &[
                ("slug", "insurance-claim-intake"),
                ("decision", "reject"),
                ("comment", &format!("{}\nsecond line", hostile("rc"))),
            ],
            Some(&admin),
        )
        .await;
    assert_eq!(review.status, StatusCode::OK, "{review:?}");

    // Recipients on the open link, one left at each step: the question, the input (after the
    // first choice), and the end (after a hostile answer).
    let mut run_pages = Vec::new();
    for moves in 0..3 {
        run_pages.push(walk(app, &links[1].full_url, moves).await);
    }
    Filled {
        application,
        links,
        run_pages,
    }
}

/// A recipient's run on `link` after its first move and `moves` more: the first choice, then a
/// hostile answer. Returns the run's page.
async fn walk(app: &TestApp, link: &str, moves: usize) -> String {
    let first = app.first_move(link).await;
    let started = app.start_run(link, &first, None).await;
    assert_eq!(started.status, StatusCode::OK, "{started:?}");
    let mut run: RunView = serde_json::from_str(&started.body).expect("a run");
    let token = run.token.clone().expect("a run's token");
    let answer = hostile("ra");
    for field in [("choice", "0"), ("value", answer.as_str())]
        .into_iter()
        .take(moves)
    {
        let (at, step) = (run.step.at.to_string(), run.step.id.clone());
        let moved = app
            .run_step(
                token.as_str(),
                &[("action", "answer"), ("at", &at), ("step", &step), field],
            )
            .await;
        assert_eq!(moved.status, StatusCode::OK, "{moved:?}");
        run = serde_json::from_str(&moved.body).expect("a run");
    }
    token.page()
}

/// Each page the application renders, by the route it is served under, with the addresses this
/// test visits it at: its stored texts, and its query strings filled with payloads.
fn pages(filled: &Filled) -> Vec<(&'static str, Vec<String>)> {
    let q = |tag: &str| enc(&hostile_query(tag));
    let app = &filled.application;
    let refill = |page: &str| {
        format!(
            "{page}?refill=1&name={}&slug={}&kind={}&base_url={}&embed_origins={}&results_days={}&flow={}&invalid={}",
            q("qn"), q("qs"), q("qk"), q("qb"), q("qe"), q("qd"), q("qf"), q("qi")
        )
    };
    let mut links = Vec::new();
    let mut shorts = Vec::new();
    for link in &filled.links {
        links.push(local_path(&link.full_url));
        if let Some(short) = &link.short_url {
            shorts.push(local_path(short));
        }
    }
    vec![
        ("/login", vec![format!("/login?next={}&name={}&failed=1", q("ln"), q("lu"))]),
        ("/", vec!["/".to_owned()]),
        ("/flows", vec!["/flows".to_owned(), format!("/flows?q={}&sort={}&dir={}&page={}", q("fq"), q("fs"), q("fr"), q("fp"))]),
        ("/flows/{slug}", vec![
            "/flows/hostile-flow".to_owned(),
            "/flows/insurance-claim-intake".to_owned(),
            format!("/flows/hostile-flow?problem={}&results_link={}&results_state={}&results_before={}", q("dp"), q("dl"), q("ds"), q("db")),
            format!("/flows/{}", q("dn")),
        ]),
        ("/flows/{slug}/access", vec![
            "/flows/hostile-flow/access".to_owned(),
            format!("/flows/hostile-flow/access?q={}&saved=1&invalid={}", q("aq"), q("ai")),
        ]),
        ("/audit", vec!["/audit".to_owned(), format!("/audit?q={}&page={}", q("uq"), q("up"))]),
        ("/inspect", [
            vec![format!("/inspect?link={}", q("il"))],
            filled.links.iter().map(|l| format!("/inspect?link={}", enc(&l.full_url))).collect(),
        ].concat()),
        ("/api", vec!["/api".to_owned()]),
        ("/api-keys", vec!["/api-keys".to_owned()]),
        ("/applications", vec![
            "/applications".to_owned(),
            format!("/applications?saved={}&regenerated={}", q("ps"), q("pr")),
        ]),
        ("/applications/new", vec![refill("/applications/new")]),
        ("/applications/{slug}", vec![format!("/applications/{app}"), refill(&format!("/applications/{app}"))]),
        ("/applications/{slug}/link-pages", vec![
            format!("/applications/{app}/link-pages"),
            format!(
                "/applications/{app}/link-pages?refill=1&title={}&description={}&expired.then={}&expired.message={}&expired.url={}&invalid={}",
                q("lt"), q("ld"), q("lh"), q("lm"), q("lw"), q("li")
            ),
        ]),
        ("/f/{app}/{flow}/{link}", links),
        ("/r/{token}", [
            filled.run_pages.clone(),
            vec![format!("{}?problem={}", filled.run_pages[0], q("rp"))],
        ].concat()),
        ("/refused/{code}", vec![
            format!("/refused/expired?from={}", q("rf")),
            format!("/refused/{}", q("rc")),
        ]),
        // Not a route: the page for everything else, and the short links that lead to pages.
        ("", [vec![format!("/nowhere/{}?x={}", q("nf"), q("nq"))], shorts].concat()),
    ]
}

app_tests!(
    no_payload_becomes_markup_on_any_page_for_any_role,
    |app| async move {
        let filled = fill(&app).await;
        let pages = pages(&filled);
        let visited: BTreeSet<&str> = pages
            .iter()
            .map(|(route, _)| *route)
            .filter(|r| !r.is_empty())
            .collect();
        let served: BTreeSet<String> = server::startup::page_paths().into_iter().collect();
        let served: BTreeSet<&str> = served.iter().map(String::as_str).collect();
        assert_eq!(
            visited, served,
            "every page the application serves is visited here"
        );

        let mut seen = Seen::default();
        let mut sessions = vec![("anonymous".to_owned(), None)];
        for who in ["admin", "publisher", "viewer"] {
            sessions.push((who.to_owned(), Some(app.log_in_demo(who).await)));
        }
        for (who, cookie) in &sessions {
            for (_, paths) in &pages {
                for path in paths {
                    let mut path = path.clone();
                    let mut page = app.get(&path, cookie.as_deref()).await;
                    // A redirect is followed once, as a browser would (short links, "/").
                    if page.status.is_redirection() {
                        if let Some(to) = page.header("location").filter(|l| l.starts_with('/')) {
                            path = to.to_owned();
                            page = app.get(&path, cookie.as_deref()).await;
                        }
                    }
                    assert!(page.status.as_u16() < 500, "{who} {path}: {page:?}");
                    if page
                        .header("content-type")
                        .is_some_and(|t| t.starts_with("text/html"))
                    {
                        assert_inert(&path, who, &page.body, &mut seen);
                    }
                }
            }
        }
        // Each stored text was shown somewhere, as text: these pages really carried the payloads.
        for tag in [
            "fn", "fd", "sm", "sq", "c1", "c2", "si", "se", "an", "pn", "pv", "cn", "kn", "rc",
            "ra", "qn", "qe", "fq", "uq", "aq", "ln", "lu", "pt", "pd", "em", "lt", "ld", "lm",
            "il",
        ] {
            assert!(
                seen.tags.contains(tag),
                "payload {tag} was shown on no page: {:?}",
                seen.tags
            );
        }
        assert!(seen.pages > 60, "{} pages parsed", seen.pages);
    }
);

app_tests!(
    a_payload_stands_whole_in_a_title_and_a_textarea,
    |app| async move {
        let admin = app.log_in_demo("admin").await;
        let payload = hostile("tt");
        let page = app
            .get(
                &format!(
                    "/applications/new?refill=1&name={0}&embed_origins={0}",
                    enc(&payload)
                ),
                Some(&admin),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK);
        let document = Html::parse_document(&page.body);
        let textarea = Selector::parse("textarea#app-origins").expect("a selector");
        let held: String = document
            .select(&textarea)
            .next()
            .expect("the origins field")
            .text()
            .collect();
        assert_eq!(held, payload, "what was typed comes back exactly");

        server::import::import(&app.test_store.store, &hostile_flow_file(), "admin")
            .await
            .expect("import");
        let details = app.get("/flows/hostile-flow", Some(&admin)).await;
        let document = Html::parse_document(&details.body);
        let title = Selector::parse("title").expect("a selector");
        let shown: String = document
            .select(&title)
            .next()
            .expect("a title")
            .text()
            .collect();
        assert_eq!(shown, format!("{} · Flowshare", hostile("fn")));
    }
);

app_tests!(
    console_pages_send_a_strict_policy_naming_their_scripts_nonce,
    |app| async move {
        let admin = app.log_in_demo("admin").await;
        for path in [
            "/login",
            "/flows",
            "/flows/order-status-lookup",
            "/applications/new",
            "/nowhere",
        ] {
            let cookie = (path != "/login").then_some(admin.as_str());
            let page = app.get(path, cookie).await;
            let policy = page
                .header("content-security-policy")
                .unwrap_or_default()
                .to_owned();
            for part in [
                "object-src 'none'",
                "base-uri 'none'",
                "form-action 'self'",
                "frame-ancestors 'none'",
                "'wasm-unsafe-eval'",
            ] {
                assert!(policy.contains(part), "{path}: {part} in {policy:?}");
            }
            let nonce = policy
                .split("'nonce-")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .unwrap_or_else(|| panic!("{path}: a nonce in {policy:?}"));
            assert!(nonce.len() >= 22, "{path}: 128 bits at least");
            let document = Html::parse_document(&page.body);
            let scripts = Selector::parse("script").expect("a selector");
            let mut count = 0;
            for script in document.select(&scripts) {
                assert_eq!(script.value().attr("nonce"), Some(nonce), "{path}");
                count += 1;
            }
            assert!(count > 0, "{path}: the hydration script");
            let again = app.get(path, cookie).await;
            assert_ne!(
                again.header("content-security-policy"),
                Some(policy.as_str()),
                "{path}: a fresh nonce per page"
            );
        }
    }
);
