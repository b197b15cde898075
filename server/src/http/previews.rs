//! `GET /previews/{name}`: an application's preview image, fetched by chat apps and social sites
//! building a link's preview (and shown on its link pages form). Named by the hash of its
//! content, so what a name serves never changes: cached for good, like the build's hashed files,
//! and kept in memory here (the store's cache) rather than read from the database per fetch.
//! Public, as any image a page names is; it says nothing about any link.

use crate::applications::ApplicationStore;
use app::domain::link_pages::preview::ImageType;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_TYPE};
use http::{HeaderValue, StatusCode};

pub async fn preview_image(
    State(applications): State<ApplicationStore>,
    Path(name): Path<String>,
) -> Response {
    let Some(kind) = image_type_of(&name) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match applications.preview_image(&name).await {
        Ok(Some(bytes)) => (
            [
                // The type the name says, which is the one its bytes were checked to be.
                (CONTENT_TYPE, HeaderValue::from_static(kind.content_type())),
                (
                    CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(err) => {
            tracing::error!(error = %err, "reading a preview image");
            StatusCode::SERVICE_UNAVAILABLE.into_response()
        }
    }
}

/// The type a stored image's name says: 32 hex digits and a known extension; anything else is
/// no image of ours.
fn image_type_of(name: &str) -> Option<ImageType> {
    let (hash, extension) = name.split_once('.')?;
    let hex = hash.len() == 32 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    hex.then(|| ImageType::of_extension(extension)).flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_names_the_store_gives_are_looked_up() {
        let hash = "0123456789abcdef0123456789abcdef";
        assert_eq!(image_type_of(&format!("{hash}.png")), Some(ImageType::Png));
        assert_eq!(
            image_type_of(&format!("{hash}.webp")),
            Some(ImageType::Webp)
        );
        for bad in [
            format!("{hash}.svg"),
            format!("{hash}.png.html"),
            format!("{}.png", hash.to_uppercase()),
            format!("{}.png", &hash[1..]),
            "../secret.png".to_owned(),
            hash.to_owned(),
        ] {
            assert_eq!(image_type_of(&bad), None, "{bad}");
        }
    }
}
