//! The form an admin fills in for an application's link pages: the preview's title and
//! description, and what each ending does. Checked once, here, into [`CheckedLinkPages`]; every
//! refused field is named, so the form comes back with each one explained.

use super::ending::{parse_message, parse_onward_url, Ending, EndingKind, Endings};
use super::preview::{parse_description, parse_title};
use serde::{Deserialize, Serialize};

/// One ending's fields as typed (a plain form leaves out what was not filled in).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EndingForm {
    /// `page` or `redirect`.
    pub then: String,
    pub message: String,
    /// The onward link of a page, or where a redirect goes.
    pub url: String,
    /// `?reason=` added to a redirect (a checkbox: present when ticked).
    pub reason: Option<String>,
}

impl EndingForm {
    /// The form's fields for a stored ending.
    pub fn of(ending: &Ending) -> Self {
        match ending {
            Ending::Page { message, onward } => Self {
                then: "page".into(),
                message: message.clone(),
                url: onward.clone().unwrap_or_default(),
                reason: None,
            },
            Ending::Redirect { to, reason } => Self {
                then: "redirect".into(),
                message: String::new(),
                url: to.clone(),
                reason: reason.then(|| "on".into()),
            },
        }
    }
}

/// The whole form as typed; `endings` in [`EndingKind`]'s order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPagesForm {
    pub preview_title: String,
    pub preview_description: String,
    pub endings: Vec<EndingForm>,
}

/// A field of the form that was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LinkPagesField {
    Title,
    Description,
    Then(EndingKind),
    Message(EndingKind),
    Url(EndingKind),
}

impl LinkPagesField {
    pub fn code(self) -> String {
        match self {
            Self::Title => "title".into(),
            Self::Description => "description".into(),
            Self::Then(kind) => format!("{}.then", kind.code()),
            Self::Message(kind) => format!("{}.message", kind.code()),
            Self::Url(kind) => format!("{}.url", kind.code()),
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        match code {
            "title" => Some(Self::Title),
            "description" => Some(Self::Description),
            _ => {
                let (kind, field) = code.split_once('.')?;
                let kind = EndingKind::parse(kind)?;
                match field {
                    "then" => Some(Self::Then(kind)),
                    "message" => Some(Self::Message(kind)),
                    "url" => Some(Self::Url(kind)),
                    _ => None,
                }
            }
        }
    }

    pub fn message(self) -> String {
        use super::ending::EndingRefusal;
        use super::preview::PreviewRefusal;
        let sentence = |text: String| {
            let mut chars = text.chars();
            chars
                .next()
                .map(|c| c.to_uppercase().chain(chars).collect::<String>() + ".")
                .unwrap_or_default()
        };
        match self {
            Self::Title => sentence(PreviewRefusal::Title.to_string()),
            Self::Description => sentence(PreviewRefusal::Description.to_string()),
            Self::Then(_) => "Choose Flowshare's page or a redirect.".into(),
            Self::Message(_) => sentence(EndingRefusal::Message.to_string()),
            Self::Url(_) => sentence(EndingRefusal::OnwardUrl.to_string()),
        }
    }
}

/// The most of each typed value a refused form comes back with.
const REFILL_CHARS: usize = 2_100;

/// The console page where an admin sets an application's link pages.
pub fn page_of(application: &str) -> String {
    format!("/applications/{application}/link-pages")
}

/// A form that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedLinkPages {
    pub preview_title: String,
    pub preview_description: String,
    pub endings: Endings,
}

impl LinkPagesForm {
    /// The form's fields for stored settings.
    pub fn of(title: &str, description: &str, endings: &Endings) -> Self {
        use strum::IntoEnumIterator;
        Self {
            preview_title: title.to_owned(),
            preview_description: description.to_owned(),
            endings: EndingKind::iter()
                .map(|kind| EndingForm::of(endings.get(kind)))
                .collect(),
        }
    }

    /// The query that brings the form back as it was typed, the refused fields named
    /// (`invalid`): how a plain form's refusal returns to its page.
    pub fn refill_query(&self, refused: &[LinkPagesField]) -> String {
        use strum::IntoEnumIterator;
        // A refused value may be of any length; what comes back is bounded (the longest a
        // field takes, and a little), so the redirect that carries it stays a sane size.
        let cut = |value: &str| value.chars().take(REFILL_CHARS).collect::<String>();
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        query
            .append_pair("refill", "1")
            .append_pair("title", &cut(&self.preview_title))
            .append_pair("description", &cut(&self.preview_description));
        for (kind, ending) in EndingKind::iter().zip(&self.endings) {
            let code = kind.code();
            query
                .append_pair(&format!("{code}.then"), &cut(&ending.then))
                .append_pair(&format!("{code}.message"), &cut(&ending.message))
                .append_pair(&format!("{code}.url"), &cut(&ending.url));
            if ending.reason.is_some() {
                query.append_pair(&format!("{code}.reason"), "on");
            }
        }
        let invalid: Vec<String> = refused.iter().map(|f| f.code()).collect();
        query.append_pair("invalid", &invalid.join(","));
        query.finish()
    }

    /// The form as [`refill_query`](Self::refill_query) wrote it, read back through `get` (a
    /// query's value by name), and the fields it names as refused.
    pub fn from_refill(get: impl Fn(&str) -> Option<String>) -> (Self, Vec<LinkPagesField>) {
        use strum::IntoEnumIterator;
        let form = Self {
            preview_title: get("title").unwrap_or_default(),
            preview_description: get("description").unwrap_or_default(),
            endings: EndingKind::iter()
                .map(|kind| {
                    let field = |name: &str| get(&format!("{}.{name}", kind.code()));
                    EndingForm {
                        then: field("then").unwrap_or_default(),
                        message: field("message").unwrap_or_default(),
                        url: field("url").unwrap_or_default(),
                        reason: field("reason"),
                    }
                })
                .collect(),
        };
        let invalid = get("invalid")
            .map(|codes| codes.split(',').filter_map(LinkPagesField::parse).collect())
            .unwrap_or_default();
        (form, invalid)
    }

    /// Checks every field; `allow_http` when the application's own base URL is `http` (then
    /// onward URLs may be too). Refused, it names each field to change.
    pub fn check(&self, allow_http: bool) -> Result<CheckedLinkPages, Vec<LinkPagesField>> {
        use strum::IntoEnumIterator;
        let mut faults = Vec::new();
        let title =
            parse_title(&self.preview_title).map_err(|_| faults.push(LinkPagesField::Title));
        let description = parse_description(&self.preview_description)
            .map_err(|_| faults.push(LinkPagesField::Description));
        let mut endings = Endings::default();
        for (kind, typed) in EndingKind::iter().zip(
            self.endings
                .iter()
                .chain(std::iter::repeat(&EndingForm::default())),
        ) {
            let url = typed.url.trim();
            let onward = || parse_onward_url(url, allow_http);
            let ending = match typed.then.as_str() {
                // A page's message and link are both optional.
                "page" | "" => {
                    let message = parse_message(&typed.message)
                        .map_err(|_| faults.push(LinkPagesField::Message(kind)));
                    let onward = if url.is_empty() {
                        Ok(None)
                    } else {
                        onward().map(Some)
                    }
                    .map_err(|_| faults.push(LinkPagesField::Url(kind)));
                    match (message, onward) {
                        (Ok(message), Ok(onward)) => Ending::Page { message, onward },
                        _ => continue,
                    }
                }
                // A redirect needs somewhere to go.
                "redirect" => match onward() {
                    Ok(to) => Ending::Redirect {
                        to,
                        reason: typed.reason.is_some(),
                    },
                    Err(_) => {
                        faults.push(LinkPagesField::Url(kind));
                        continue;
                    }
                },
                _ => {
                    faults.push(LinkPagesField::Then(kind));
                    continue;
                }
            };
            *endings.get_mut(kind) = ending;
        }
        match (title, description) {
            (Ok(preview_title), Ok(preview_description)) if faults.is_empty() => {
                Ok(CheckedLinkPages {
                    preview_title,
                    preview_description,
                    endings,
                })
            }
            _ => Err(faults),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    fn ending(then: &str, message: &str, url: &str, reason: bool) -> EndingForm {
        EndingForm {
            then: then.into(),
            message: message.into(),
            url: url.into(),
            reason: reason.then(|| "on".into()),
        }
    }

    #[test]
    fn a_filled_in_form_passes_and_reads_back_as_it_was_typed() {
        let form = LinkPagesForm {
            preview_title: "Your order".into(),
            preview_description: "Track it in two taps.".into(),
            endings: vec![
                ending(
                    "page",
                    "Book a call instead.",
                    "https://shop.example/call",
                    false,
                ),
                ending("redirect", "", "https://shop.example/ended", true),
                ending("page", "", "", false),
                ending("redirect", "", "https://shop.example/", false),
            ],
        };
        let checked = form.check(false).expect("valid");
        assert_eq!(
            checked.endings.used_up,
            Ending::Redirect {
                to: "https://shop.example/ended".into(),
                reason: true
            }
        );
        assert_eq!(checked.endings.disabled, Ending::default());
        let again = LinkPagesForm::of(
            &checked.preview_title,
            &checked.preview_description,
            &checked.endings,
        );
        assert_eq!(again.check(false), Ok(checked));
    }

    #[test]
    fn every_bad_field_is_named() {
        let form = LinkPagesForm {
            preview_title: "two\nlines".into(),
            preview_description: String::new(),
            endings: vec![
                ending("page", "", "javascript:alert(1)", false),
                ending("redirect", "", "", true),
                ending("teleport", "", "", false),
                ending("redirect", "", "http://shop.example/", false),
            ],
        };
        let faults = form.check(false).expect_err("refused");
        assert_eq!(
            faults,
            [
                LinkPagesField::Title,
                LinkPagesField::Url(EndingKind::Expired),
                LinkPagesField::Url(EndingKind::UsedUp),
                LinkPagesField::Then(EndingKind::Disabled),
                LinkPagesField::Url(EndingKind::Withdrawn),
            ]
        );
        for field in faults {
            assert_eq!(LinkPagesField::parse(&field.code()), Some(field));
            assert!(field.message().ends_with('.'), "{}", field.message());
        }
        assert!(
            LinkPagesForm {
                endings: vec![ending("redirect", "", "http://shop.example/", false)],
                ..LinkPagesForm::default()
            }
            .check(true)
            .is_ok(),
            "an http application may send recipients to http"
        );
    }

    #[test]
    fn a_refused_form_comes_back_as_it_was_typed() {
        let form = LinkPagesForm {
            preview_title: "Ours & <yours>".into(),
            preview_description: "a=b&c".into(),
            endings: vec![
                ending("redirect", "", "https://shop.example/?a=1&b=2", true),
                ending("page", "Line one\nline two", "", false),
                ending("page", "", "", false),
                ending("bogus", "", "", false),
            ],
        };
        let refused = [LinkPagesField::Then(EndingKind::Withdrawn)];
        let query = form.refill_query(&refused);
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
            .into_owned()
            .collect();
        let get = |name: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        };
        assert_eq!(LinkPagesForm::from_refill(get), (form, refused.to_vec()));
    }

    #[test]
    fn missing_endings_stay_flowshares_page() {
        let checked = LinkPagesForm::default().check(false).expect("valid");
        for kind in EndingKind::iter() {
            assert_eq!(checked.endings.get(kind), &Ending::default());
        }
    }
}
