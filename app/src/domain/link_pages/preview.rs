//! What a chat app, a mail client or a social site shows under a shared link: a title, a
//! description and maybe an image, decided per application. A preview is made from the
//! application's settings and the flow's name and description alone, never from the link: a link's
//! parameters often carry a name or a customer number, and an unfurler's fetch must show none.

use crate::domain::text::{is_multi_line, is_single_line};
use serde::{Deserialize, Serialize};

pub const MAX_PREVIEW_TITLE: usize = 100;
pub const MAX_PREVIEW_DESCRIPTION: usize = 300;
/// The largest preview image taken: chat apps drop larger ones (WhatsApp near 600 KB).
pub const MAX_PREVIEW_IMAGE_BYTES: usize = 512 * 1024;
/// The smallest side a preview image may have: smaller ones are shown as a thumbnail or not at all.
pub const MIN_PREVIEW_IMAGE_SIDE: usize = 200;
pub const MAX_PREVIEW_IMAGE_SIDE: usize = 4_096;
/// Where preview images are served from, by the hash of their content (so cached for good).
pub const PREVIEW_PREFIX: &str = "/previews/";

/// The preview of one flow's links through one application, as the pages' tags carry it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkPreview {
    pub title: String,
    pub description: String,
    /// The image's absolute URL, on the application's base URL.
    pub image: Option<String>,
    /// The host the link goes to, as chat apps name it under the preview.
    pub host: String,
}

impl LinkPreview {
    /// The application's preview for a flow: its own title and description, or the flow's name
    /// and description where it has none. Without either description, one that names the
    /// application: with no description at all, some unfurlers would show the page's first
    /// words, which are the first step filled in with the link's parameters.
    pub fn of(
        settings: &PreviewSettings,
        base_url: &str,
        application_name: &str,
        flow: (&str, &str),
    ) -> Self {
        let (flow_name, flow_description) = flow;
        let first = |candidates: [&str; 2]| {
            candidates
                .into_iter()
                .find(|text| !text.is_empty())
                .map(str::to_owned)
        };
        Self {
            title: first([&settings.title, flow_name]).unwrap_or_default(),
            description: first([&settings.description, flow_description])
                .unwrap_or_else(|| format!("A short guided flow from {application_name}."))
                .chars()
                .take(MAX_PREVIEW_DESCRIPTION)
                .collect(),
            image: settings
                .image
                .as_ref()
                .map(|name| format!("{base_url}{}", preview_image_path(name))),
            host: url::Url::parse(base_url)
                .ok()
                .and_then(|url| url.host_str().map(str::to_owned))
                .unwrap_or_default(),
        }
    }

    /// `summary_large_image` with an image, `summary` without.
    pub fn twitter_card(&self) -> &'static str {
        if self.image.is_some() {
            "summary_large_image"
        } else {
            "summary"
        }
    }
}

/// An application's own preview settings; empty texts fall back to the flow's.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PreviewSettings {
    pub title: String,
    pub description: String,
    /// The stored image's name (its content hash and extension), if there is one.
    pub image: Option<String>,
}

/// The path a stored preview image is served at.
pub fn preview_image_path(name: &str) -> String {
    format!("{PREVIEW_PREFIX}{name}")
}

/// The image formats every unfurler shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::EnumIter)]
pub enum ImageType {
    Png,
    Jpeg,
    Gif,
    Webp,
}

impl ImageType {
    /// The type the bytes are, by their signature (never by a name or a claimed type).
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            Some(Self::Gif)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Png => "png",
            Self::Jpeg => "jpg",
            Self::Gif => "gif",
            Self::Webp => "webp",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Webp => "image/webp",
        }
    }

    pub fn of_extension(extension: &str) -> Option<Self> {
        <Self as strum::IntoEnumIterator>::iter().find(|t| t.extension() == extension)
    }
}

/// Why a preview image was refused, in words for the admin who picked it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ImageRefusal {
    #[error("The image is larger than 512 KB; chat apps leave such images out. Save it smaller (1200 × 630 pixels suits every app).")]
    TooLarge,
    #[error("This is not a PNG, JPEG, GIF or WebP image.")]
    NotAnImage,
    #[error("The image is {width} × {height} pixels: each side must be between 200 and 4096 pixels (1200 × 630 suits every app).")]
    BadSize { width: usize, height: usize },
}

/// Why a preview text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PreviewRefusal {
    #[error("the preview title must be one line of at most 100 characters")]
    Title,
    #[error("the preview description must be text of at most 300 characters")]
    Description,
}

/// Checks a preview title: one line, at most [`MAX_PREVIEW_TITLE`] characters; empty uses the flow's name.
pub fn parse_title(raw: &str) -> Result<String, PreviewRefusal> {
    let title = raw.trim();
    if title.chars().count() > MAX_PREVIEW_TITLE || !is_single_line(title) {
        return Err(PreviewRefusal::Title);
    }
    Ok(title.to_owned())
}

/// Checks a preview description: text, at most [`MAX_PREVIEW_DESCRIPTION`] characters; line
/// breaks become spaces (a preview is one paragraph).
pub fn parse_description(raw: &str) -> Result<String, PreviewRefusal> {
    let description = raw.trim();
    if description.chars().count() > MAX_PREVIEW_DESCRIPTION || !is_multi_line(description) {
        return Err(PreviewRefusal::Description);
    }
    Ok(description.split_whitespace().collect::<Vec<_>>().join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_falls_back_to_the_flows_name_and_description() {
        let none = PreviewSettings::default();
        let preview = LinkPreview::of(
            &none,
            "https://go.example",
            "Shop",
            ("Order help", "Track an order"),
        );
        assert_eq!(
            preview,
            LinkPreview {
                title: "Order help".into(),
                description: "Track an order".into(),
                image: None,
                host: "go.example".into(),
            }
        );
        assert_eq!(preview.twitter_card(), "summary");
        let own = PreviewSettings {
            title: "Your order".into(),
            description: String::new(),
            image: Some("0123abcd.png".into()),
        };
        let preview = LinkPreview::of(
            &own,
            "https://go.example/x",
            "Shop",
            ("Order help", "Track"),
        );
        assert_eq!(preview.title, "Your order");
        assert_eq!(preview.description, "Track");
        assert_eq!(
            preview.image.as_deref(),
            Some("https://go.example/x/previews/0123abcd.png")
        );
        assert_eq!(preview.twitter_card(), "summary_large_image");
        let undescribed = LinkPreview::of(&none, "https://go.example", "Shop", ("Order help", ""));
        assert_eq!(undescribed.description, "A short guided flow from Shop.");
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        assert_eq!(
            ImageType::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(ImageType::Png)
        );
        assert_eq!(
            ImageType::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(ImageType::Jpeg)
        );
        assert_eq!(ImageType::sniff(b"GIF89a.."), Some(ImageType::Gif));
        assert_eq!(
            ImageType::sniff(b"RIFF\0\0\0\0WEBPVP8 "),
            Some(ImageType::Webp)
        );
        for bad in [
            &b"<svg onload=x()>"[..],
            b"<html>",
            b"",
            b"RIFF\0\0\0\0WAVE",
        ] {
            assert_eq!(ImageType::sniff(bad), None);
        }
        assert_eq!(ImageType::of_extension("png"), Some(ImageType::Png));
        assert_eq!(ImageType::of_extension("svg"), None);
    }

    #[test]
    fn preview_texts_are_bounded() {
        assert_eq!(parse_title("  Your order ").as_deref(), Ok("Your order"));
        assert!(parse_title("two\nlines").is_err());
        assert!(parse_title(&"x".repeat(MAX_PREVIEW_TITLE + 1)).is_err());
        assert_eq!(
            parse_description("Track\r\nyour   order").as_deref(),
            Ok("Track your order")
        );
        assert!(parse_description("\u{1b}[31m").is_err());
    }
}
