//! Sharing a flow: the request the Share dialog sends (parsed and checked once, here), what comes
//! back, and the Embed code built from a link. The server decides; the dialog only proposes.

use super::params::{ParamError, UrlParams};
use super::slug::FlowSlug;
use serde::{Deserialize, Serialize};

pub const DEFAULT_EMBED_WIDTH: u32 = 400;
pub const DEFAULT_EMBED_HEIGHT: u32 = 600;
pub const MAX_EMBED_SIZE: u32 = 4_000;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ShareInputError {
    #[error("choose an application")]
    NoApplication,
    #[error("there is no flow called {0:?}")]
    BadFlow(String),
    #[error("there is no application called {0:?}")]
    BadApplication(String),
    #[error("URL parameters: {0}")]
    Params(#[from] ParamError),
}

/// A request to generate one link, checked field by field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRequest {
    pub flow: FlowSlug,
    pub application: FlowSlug,
    pub params: UrlParams,
    pub protect: bool,
    pub shorten: bool,
}

impl ShareRequest {
    pub fn parse(
        flow: &str,
        application: &str,
        params: &str,
        protect: bool,
        shorten: bool,
    ) -> Result<Self, ShareInputError> {
        if application.is_empty() {
            return Err(ShareInputError::NoApplication);
        }
        Ok(Self {
            flow: FlowSlug::parse(flow).map_err(|_| ShareInputError::BadFlow(flow.to_owned()))?,
            application: FlowSlug::parse(application)
                .map_err(|_| ShareInputError::BadApplication(application.to_owned()))?,
            params: UrlParams::parse(params)?,
            protect,
            shorten,
        })
    }
}

/// A link as generated and stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GeneratedLink {
    /// The full link, with parameters and, when protected, its token.
    pub full_url: String,
    /// `/s/{code}` on the application's base URL, when shortening was asked for.
    pub short_url: Option<String>,
    pub protected: bool,
    /// Unix seconds; `None` when the link never expires.
    pub expires_at: Option<i64>,
    /// Whether the application is an embeddable widget, so Embed code applies.
    pub embeddable: bool,
    pub flow_name: String,
    /// A QR code of the link to hand out, as an SVG document.
    pub qr_svg: String,
}

impl GeneratedLink {
    /// The link to hand out: the short one when there is one.
    pub fn link(&self) -> &str {
        self.short_url.as_deref().unwrap_or(&self.full_url)
    }
}

/// Escapes text for use inside a double-quoted HTML attribute.
pub fn escape_attribute(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The `<iframe>` a site owner pastes to embed a flow. Every attribute value is escaped.
pub fn embed_code(src: &str, title: &str, width: u32, height: u32) -> String {
    let (width, height) = (
        width.clamp(1, MAX_EMBED_SIZE),
        height.clamp(1, MAX_EMBED_SIZE),
    );
    format!(
        r#"<iframe src="{}" title="{}" width="{width}" height="{height}" loading="lazy" allow="clipboard-write" referrerpolicy="no-referrer" style="border:0"></iframe>"#,
        escape_attribute(src),
        escape_attribute(title)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_is_checked_field_by_field() {
        let ok = ShareRequest::parse("order-status", "help-centre", "&name=Ada", true, false)
            .expect("valid");
        assert_eq!(ok.params.get("name"), Some("Ada"));
        assert_eq!(
            ShareRequest::parse("f", "", "", true, true),
            Err(ShareInputError::NoApplication)
        );
        assert_eq!(
            ShareRequest::parse("F!", "a", "", true, true),
            Err(ShareInputError::BadFlow("F!".into()))
        );
        assert_eq!(
            ShareRequest::parse("f", "a b", "", true, true),
            Err(ShareInputError::BadApplication("a b".into()))
        );
        assert!(matches!(
            ShareRequest::parse("f", "a", "x=1&x=2", true, true),
            Err(ShareInputError::Params(_))
        ));
    }

    #[test]
    fn embed_code_escapes_every_attribute() {
        let code = embed_code(
            "https://x.example/s/abc?a=1&b=\"2\"",
            "Tom's <flow>",
            320,
            480,
        );
        assert_eq!(
            code,
            r#"<iframe src="https://x.example/s/abc?a=1&amp;b=&quot;2&quot;" title="Tom&#39;s &lt;flow&gt;" width="320" height="480" loading="lazy" allow="clipboard-write" referrerpolicy="no-referrer" style="border:0"></iframe>"#
        );
        assert!(embed_code("u", "t", 0, 99_999).contains(r#"width="1" height="4000""#));
    }

    #[test]
    fn the_short_link_is_the_one_handed_out() {
        let mut link = GeneratedLink {
            full_url: "https://x/f/a/b/c?fs_kv=1".into(),
            short_url: None,
            protected: false,
            expires_at: None,
            embeddable: false,
            flow_name: "B".into(),
            qr_svg: String::new(),
        };
        assert_eq!(link.link(), "https://x/f/a/b/c?fs_kv=1");
        link.short_url = Some("https://x/s/23456789abc".into());
        assert_eq!(link.link(), "https://x/s/23456789abc");
    }
}
