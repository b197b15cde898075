//! The application form: what an admin types to create or edit an application, every field's
//! rule, and the refusals named field by field. The console's form shows them beside the fields;
//! the store writes only a form that passed ([`CheckedApplication`]).

use super::slug::FlowSlug;
use super::text::is_single_line;
use super::ApplicationKind;
use serde::{Deserialize, Serialize};

pub const MAX_APPLICATION_NAME: usize = 100;

/// A field of the application form that was refused, with the message shown beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, strum::EnumIter)]
pub enum ApplicationField {
    Name,
    Slug,
    Kind,
    BaseUrl,
    EmbedOrigins,
    ResultsDays,
    Flows,
}

impl ApplicationField {
    pub fn code(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Slug => "slug",
            Self::Kind => "kind",
            Self::BaseUrl => "base_url",
            Self::EmbedOrigins => "embed_origins",
            Self::ResultsDays => "results_days",
            Self::Flows => "flows",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        <Self as strum::IntoEnumIterator>::iter().find(|f| f.code() == code)
    }

    pub fn message(self) -> &'static str {
        match self {
            Self::Name => "Give the application a name of at most 100 characters, on one line (no control characters).",
            Self::Slug => "This slug is taken, reserved (new) or malformed: use lower-case letters, digits and single hyphens.",
            Self::Kind => "Choose Web page or Embeddable widget.",
            Self::BaseUrl => "The base URL must start with http:// or https://, name a host, and carry no query or fragment.",
            Self::EmbedOrigins => "Embed origins: one per line, each like https://shop.example.com (no path); a web page has none.",
            Self::ResultsDays => "Keep results for a whole number of days from 1 to 3650, or leave it empty to keep them until deleted.",
            Self::Flows => "One of the chosen flows does not exist.",
        }
    }
}

/// An application as an admin creates or edits it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationForm {
    pub name: String,
    /// On create, empty means "made from the name"; on edit it is the application being edited.
    pub slug: String,
    pub kind: String,
    pub base_url: String,
    /// One origin per line.
    pub embed_origins: String,
    /// Days to keep recipients' runs, as typed; empty keeps them until deleted.
    pub results_days: String,
    /// Slugs of the flows available to the application.
    pub flows: Vec<String>,
}

/// The longest a retention setting may be: ten years.
pub const MAX_RESULTS_DAYS: u32 = 3_650;

/// A form that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedApplication {
    pub slug: FlowSlug,
    pub name: String,
    pub kind: ApplicationKind,
    pub base_url: String,
    pub origins: Vec<String>,
    pub results_days: Option<u32>,
    pub flows: Vec<FlowSlug>,
}

/// Slugs a new application cannot take: `/applications/new` is the page that creates one.
const RESERVED_SLUGS: &[&str] = &["new"];

impl ApplicationForm {
    /// Checks every field (on create, `creating`); refused, it names each field to change.
    pub fn check(&self, creating: bool) -> Result<CheckedApplication, Vec<ApplicationField>> {
        check(self, creating)
    }
}

fn check(
    form: &ApplicationForm,
    creating: bool,
) -> Result<CheckedApplication, Vec<ApplicationField>> {
    let mut faults = Vec::new();
    let name = form.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_APPLICATION_NAME || !is_single_line(&name) {
        faults.push(ApplicationField::Name);
    }
    let slug = if creating && form.slug.trim().is_empty() {
        FlowSlug::from_name(&name)
    } else {
        FlowSlug::parse(form.slug.trim()).ok()
    }
    .filter(|slug| !creating || !RESERVED_SLUGS.contains(&slug.as_str()));
    if slug.is_none() && !faults.contains(&ApplicationField::Name) {
        faults.push(ApplicationField::Slug);
    }
    let kind = ApplicationKind::parse(&form.kind);
    if kind.is_none() {
        faults.push(ApplicationField::Kind);
    }
    let base_url = parse_base_url(&form.base_url).ok();
    if base_url.is_none() {
        faults.push(ApplicationField::BaseUrl);
    }
    let origins: Result<Vec<String>, _> = form
        .embed_origins
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(parse_origin)
        .collect();
    let origins = origins
        .ok()
        .filter(|o| o.is_empty() || kind.is_some_and(ApplicationKind::embeddable));
    if origins.is_none() {
        faults.push(ApplicationField::EmbedOrigins);
    }
    let results_days = match form.results_days.trim() {
        "" => Some(None),
        days => days
            .parse::<u32>()
            .ok()
            .filter(|d| (1..=MAX_RESULTS_DAYS).contains(d))
            .map(Some),
    };
    if results_days.is_none() {
        faults.push(ApplicationField::ResultsDays);
    }
    let flows: Option<Vec<FlowSlug>> = form.flows.iter().map(|f| FlowSlug::parse(f).ok()).collect();
    if flows.is_none() {
        faults.push(ApplicationField::Flows);
    }
    match (slug, kind, base_url, origins, results_days, flows) {
        (
            Some(slug),
            Some(kind),
            Some(base_url),
            Some(origins),
            Some(results_days),
            Some(flows),
        ) if faults.is_empty() => Ok(CheckedApplication {
            slug,
            name,
            kind,
            base_url,
            origins,
            results_days,
            flows,
        }),
        _ => Err(faults),
    }
}

/// Why a base URL or an embed origin was refused, in words that name it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UrlRefusal(String);

/// Checks a public base URL: http(s), a host, no query or fragment; returned without a trailing slash.
pub fn parse_base_url(raw: &str) -> Result<String, UrlRefusal> {
    // The URL parser drops tabs and line breaks silently: refuse them (and every other control
    // character) before it can.
    if !is_single_line(raw) {
        return Err(UrlRefusal(format!(
            "base URL {raw:?} holds a control character"
        )));
    }
    let url = url::Url::parse(raw.trim())
        .map_err(|e| UrlRefusal(format!("base URL {raw:?} is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(UrlRefusal(format!(
            "base URL {raw:?} must start with http:// or https:// and name a host"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(UrlRefusal(format!(
            "base URL {raw:?} must not carry a query, a fragment or credentials"
        )));
    }
    // The path is empty or a plain prefix (`/help`, `/a/b`): no empty segment, so nothing like
    // `https://host//evil.example` can turn a link's path into another host.
    let path = url.path().trim_end_matches('/');
    let plain_prefix = path.split('/').skip(1).all(|segment| {
        !segment.is_empty()
            && segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b))
    });
    if !plain_prefix {
        return Err(UrlRefusal(format!(
            "base URL {raw:?} may have a path only of plain segments like /help (letters, digits, - . _ ~)"
        )));
    }
    Ok(format!("{}{path}", url.origin().ascii_serialization()))
}

/// Checks an embed origin: exactly `scheme://host[:port]`, as browsers compare origins.
pub fn parse_origin(raw: &str) -> Result<String, UrlRefusal> {
    let bad = || {
        UrlRefusal(format!(
            "embed origin {raw:?} must look like https://example.com (no path)"
        ))
    };
    if !is_single_line(raw) {
        return Err(bad());
    }
    let url = url::Url::parse(raw.trim()).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() || url.path() != "/" {
        return Err(bad());
    }
    if url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || raw.trim().ends_with('/')
    {
        return Err(bad());
    }
    Ok(url.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_through_their_codes() {
        for field in <ApplicationField as strum::IntoEnumIterator>::iter() {
            assert_eq!(ApplicationField::parse(field.code()), Some(field));
        }
        assert_eq!(ApplicationField::parse("secret_key"), None);
    }

    fn form(name: &str, kind: &str, base_url: &str, origins: &str) -> ApplicationForm {
        ApplicationForm {
            name: name.into(),
            slug: String::new(),
            kind: kind.into(),
            base_url: base_url.into(),
            embed_origins: origins.into(),
            results_days: String::new(),
            flows: vec![],
        }
    }

    #[test]
    fn results_are_kept_for_whole_days_or_until_deleted() {
        let with = |days: &str| {
            let mut typed = form("Shop", "web_page", "https://shop.example", "");
            typed.results_days = days.into();
            check(&typed, true).map(|app| app.results_days)
        };
        assert_eq!(with(""), Ok(None));
        assert_eq!(with(" 30 "), Ok(Some(30)));
        assert_eq!(with("3650"), Ok(Some(3650)));
        for bad in ["0", "-1", "1.5", "3651", "ten"] {
            assert_eq!(
                with(bad),
                Err(vec![ApplicationField::ResultsDays]),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn a_good_form_passes_and_gets_a_slug_from_its_name() {
        let app = check(
            &form(
                "Shop Widget",
                "widget",
                "https://shop.example.com/",
                "https://shop.example.com\n\n",
            ),
            true,
        )
        .expect("valid");
        assert_eq!(
            (app.slug.as_str(), app.base_url.as_str()),
            ("shop-widget", "https://shop.example.com")
        );
        assert_eq!(app.origins, ["https://shop.example.com"]);
    }

    #[test]
    fn an_application_cannot_take_the_create_pages_slug() {
        let named_new = check(&form("New", "web_page", "https://new.example", ""), true);
        assert_eq!(named_new.err(), Some(vec![ApplicationField::Slug]));
        let mut typed = form("New Shop", "web_page", "https://new.example", "");
        typed.slug = "new".into();
        assert_eq!(
            check(&typed, true).err(),
            Some(vec![ApplicationField::Slug])
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let faults =
            check(&form("", "iframe", "ftp://x", "not an origin"), true).expect_err("refused");
        assert_eq!(
            faults,
            [
                ApplicationField::Name,
                ApplicationField::Kind,
                ApplicationField::BaseUrl,
                ApplicationField::EmbedOrigins
            ]
        );
        let page_with_origins = check(
            &form(
                "Help",
                "web_page",
                "https://help.example",
                "https://x.example",
            ),
            true,
        )
        .err();
        assert_eq!(
            page_with_origins,
            Some(vec![ApplicationField::EmbedOrigins]),
            "a web page cannot be embedded"
        );
    }

    #[test]
    fn base_urls_are_normalised_and_checked() {
        assert_eq!(
            parse_base_url("https://help.example.com/").ok(),
            Some("https://help.example.com".into())
        );
        assert_eq!(
            parse_base_url("http://127.0.0.1:3000/share").ok(),
            Some("http://127.0.0.1:3000/share".into())
        );
        assert_eq!(
            parse_base_url("https://Help.Example.com/pre/fix/").ok(),
            Some("https://help.example.com/pre/fix".into())
        );
        for bad in [
            "ftp://x.example",
            "help.example.com",
            "https://x.example/?a=1",
            "https://u:p@x.example",
            "javascript:alert(1)",
            "https://host//evil.example",
            "https://host/a//b",
            "https://host/%2F%2Fevil.example",
            "https://host/a b",
            "https://ho\tst.example",
            "https://host.example/\npath",
            "https://host.example\u{0}",
        ] {
            assert!(parse_base_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn embed_origins_are_bare_origins() {
        assert_eq!(
            parse_origin("https://Shop.Example.com").ok(),
            Some("https://shop.example.com".into())
        );
        assert_eq!(
            parse_origin("http://localhost:8080").ok(),
            Some("http://localhost:8080".into())
        );
        for bad in [
            "https://shop.example.com/",
            "https://shop.example.com/page",
            "shop.example.com",
            "*",
            "data:text/html,x",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
    }
}
