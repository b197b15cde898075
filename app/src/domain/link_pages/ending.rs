//! What a recipient meets when a real link has ended (expired, used up, disabled, withdrawn):
//! Flowshare's page with the application's own words and a link onward, or a redirect to the
//! application's own page. A link that is not valid (altered or made up) never gets either: it
//! always answers with Flowshare's own 403 page, so a forger learns nothing about the application.

use crate::domain::text::{is_multi_line, is_single_line};
use serde::{Deserialize, Serialize};

/// The longest message an application may show on an ending page.
pub const MAX_ENDING_MESSAGE: usize = 500;
/// The longest onward URL (what every browser and chat app takes whole).
pub const MAX_ONWARD_URL: usize = 2_000;

/// How a real link ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
pub enum EndingKind {
    Expired,
    UsedUp,
    /// Revoked, or its application's key was regenerated.
    Disabled,
    /// Its flow is no longer published and approved.
    Withdrawn,
}

impl EndingKind {
    /// What `?reason=` says, and the form fields' prefix.
    pub fn code(self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::UsedUp => "used-up",
            Self::Disabled => "disabled",
            Self::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(code: &str) -> Option<Self> {
        <Self as strum::IntoEnumIterator>::iter().find(|k| k.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Expired => "Expired",
            Self::UsedUp => "Used up",
            Self::Disabled => "Disabled (revoked, or the key was regenerated)",
            Self::Withdrawn => "Withdrawn (the flow is no longer published)",
        }
    }
}

/// What one ending does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "then", rename_all = "snake_case")]
pub enum Ending {
    /// Flowshare's page: the application's message (empty: Flowshare's own words) and, if set, a
    /// link onward.
    Page {
        message: String,
        onward: Option<String>,
    },
    /// A 302 to the application's URL, with `?reason=…` added when asked.
    Redirect { to: String, reason: bool },
}

impl Default for Ending {
    fn default() -> Self {
        Self::Page {
            message: String::new(),
            onward: None,
        }
    }
}

/// The four endings of an application's links, as stored (JSON) and as a page uses them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Endings {
    pub expired: Ending,
    pub used_up: Ending,
    pub disabled: Ending,
    pub withdrawn: Ending,
}

impl Endings {
    pub fn get(&self, kind: EndingKind) -> &Ending {
        match kind {
            EndingKind::Expired => &self.expired,
            EndingKind::UsedUp => &self.used_up,
            EndingKind::Disabled => &self.disabled,
            EndingKind::Withdrawn => &self.withdrawn,
        }
    }

    pub fn get_mut(&mut self, kind: EndingKind) -> &mut Ending {
        match kind {
            EndingKind::Expired => &mut self.expired,
            EndingKind::UsedUp => &mut self.used_up,
            EndingKind::Disabled => &mut self.disabled,
            EndingKind::Withdrawn => &mut self.withdrawn,
        }
    }

    /// One line per ending, for the audit log.
    pub fn summary(&self) -> String {
        <EndingKind as strum::IntoEnumIterator>::iter()
            .map(|kind| {
                let then = match self.get(kind) {
                    Ending::Page { message, onward } => format!(
                        "page{}{}",
                        if message.is_empty() {
                            ""
                        } else {
                            " with own message"
                        },
                        onward
                            .as_ref()
                            .map(|url| format!(", onward link {url}"))
                            .unwrap_or_default()
                    ),
                    Ending::Redirect { to, reason } => format!(
                        "redirect to {to}{}",
                        if *reason { " with reason" } else { "" }
                    ),
                };
                format!("{}: {then}", kind.code())
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Where a redirect ending sends the recipient: the stored URL alone, with `reason` added when
/// asked. Nothing of the link (its parameters, token or id) ever goes along.
pub fn redirect_target(to: &str, reason: bool, kind: EndingKind) -> Option<String> {
    let mut url = url::Url::parse(to).ok()?;
    if reason {
        url.query_pairs_mut().append_pair("reason", kind.code());
    }
    Some(url.into())
}

/// Why an onward URL or a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndingRefusal {
    #[error("the onward URL must be a whole https:// address with a host (http:// only when the application's base URL is http), at most 2,000 characters, with no user name or password")]
    OnwardUrl,
    #[error("the message must be plain text of at most 500 characters")]
    Message,
}

/// Checks an onward URL: `https` (or `http` when the application's own base URL is `http`), a
/// host, no credentials, no control characters. `javascript:`, `data:` and every other scheme are
/// refused. Returned as the URL parser writes it.
pub fn parse_onward_url(raw: &str, allow_http: bool) -> Result<String, EndingRefusal> {
    let raw = raw.trim();
    if raw.len() > MAX_ONWARD_URL || !is_single_line(raw) {
        return Err(EndingRefusal::OnwardUrl);
    }
    let url = url::Url::parse(raw).map_err(|_| EndingRefusal::OnwardUrl)?;
    let scheme_ok = url.scheme() == "https" || (allow_http && url.scheme() == "http");
    if !scheme_ok
        || url.host_str().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(EndingRefusal::OnwardUrl);
    }
    let written: String = url.into();
    if written.len() > MAX_ONWARD_URL {
        return Err(EndingRefusal::OnwardUrl);
    }
    Ok(written)
}

/// Checks an ending page's message: text (line breaks kept), at most [`MAX_ENDING_MESSAGE`]
/// characters, trimmed.
pub fn parse_message(raw: &str) -> Result<String, EndingRefusal> {
    let message = raw.trim();
    if message.chars().count() > MAX_ENDING_MESSAGE || !is_multi_line(message) {
        return Err(EndingRefusal::Message);
    }
    Ok(message.replace("\r\n", "\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn endings_are_named_by_their_codes() {
        for kind in EndingKind::iter() {
            assert_eq!(EndingKind::parse(kind.code()), Some(kind));
        }
        assert_eq!(EndingKind::parse("not-valid"), None);
    }

    #[test]
    fn onward_urls_are_https_addresses_unless_the_application_is_http() {
        assert_eq!(
            parse_onward_url(" https://shop.example/book?src=sms#top ", false).as_deref(),
            Ok("https://shop.example/book?src=sms#top")
        );
        assert!(parse_onward_url("http://shop.example/", false).is_err());
        assert_eq!(
            parse_onward_url("http://shop.example/", true).as_deref(),
            Ok("http://shop.example/")
        );
        for bad in [
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,<script>x()</script>",
            "vbscript:x",
            "ftp://shop.example/",
            "//shop.example/",
            "/relative",
            "https://user:pw@shop.example/",
            "https://shop.example/\nSet-Cookie: x=1",
            "https://shop.example/\u{0}",
            "",
        ] {
            assert!(parse_onward_url(bad, true).is_err(), "{bad:?}");
        }
        let long = format!("https://shop.example/{}", "a".repeat(MAX_ONWARD_URL));
        assert!(parse_onward_url(&long, false).is_err());
    }

    #[test]
    fn a_redirect_carries_its_own_url_and_at_most_the_reason() {
        assert_eq!(
            redirect_target("https://shop.example/ended", true, EndingKind::UsedUp).as_deref(),
            Some("https://shop.example/ended?reason=used-up")
        );
        assert_eq!(
            redirect_target(
                "https://shop.example/ended?src=sms",
                true,
                EndingKind::Expired
            )
            .as_deref(),
            Some("https://shop.example/ended?src=sms&reason=expired")
        );
        assert_eq!(
            redirect_target("https://shop.example/ended", false, EndingKind::Disabled).as_deref(),
            Some("https://shop.example/ended")
        );
    }

    #[test]
    fn messages_are_bounded_text() {
        assert_eq!(
            parse_message("  Book a call instead.\r\nThanks!  ").as_deref(),
            Ok("Book a call instead.\nThanks!")
        );
        assert!(parse_message(&"x".repeat(MAX_ENDING_MESSAGE + 1)).is_err());
        assert!(parse_message("bell\u{7}").is_err());
    }

    #[test]
    fn stored_endings_read_back_and_missing_ones_are_flowshares_page() {
        let mut endings = Endings::default();
        *endings.get_mut(EndingKind::UsedUp) = Ending::Redirect {
            to: "https://shop.example/".into(),
            reason: true,
        };
        let json = serde_json::to_string(&endings).expect("json");
        assert_eq!(serde_json::from_str::<Endings>(&json).ok(), Some(endings));
        let partial: Endings = serde_json::from_str(
            r#"{"expired":{"then":"redirect","to":"https://a.example/","reason":false}}"#,
        )
        .expect("json");
        assert_eq!(partial.used_up, Ending::default());
    }
}
