//! An application's link pages (see `app::domain::link_pages`): the preview chat apps show under
//! its links and the way forward from each ending, saved from the console and audited; preview
//! images stored by their content, so each name is served unchanged for good.

use super::ApplicationStore;
use crate::db::{audit, conditional_change, now_millis, on_db, Db, StoreError, StoreResult};
use app::domain::audit::AuditAction;
use app::domain::link_pages::preview::{
    ImageRefusal, ImageType, MAX_PREVIEW_IMAGE_BYTES, MAX_PREVIEW_IMAGE_SIDE,
    MIN_PREVIEW_IMAGE_SIDE,
};
use app::domain::link_pages::{Endings, LinkPagesField, LinkPagesForm};
use app::domain::FlowSlug;
use app::views::LinkPagesView;
use axum::body::Bytes;
use sha2::Digest;

/// A preview image that passed its checks: its type and the name it is stored and served by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedImage {
    pub kind: ImageType,
    pub name: String,
}

/// Checks an uploaded preview image: at most 512 KB, a PNG, JPEG, GIF or WebP by its own bytes,
/// each side 200 to 4096 pixels. Named by its content.
pub fn check_image(bytes: &[u8]) -> Result<CheckedImage, ImageRefusal> {
    if bytes.len() > MAX_PREVIEW_IMAGE_BYTES {
        return Err(ImageRefusal::TooLarge);
    }
    let kind = ImageType::sniff(bytes).ok_or(ImageRefusal::NotAnImage)?;
    let size = imagesize::blob_size(bytes).map_err(|_| ImageRefusal::NotAnImage)?;
    let fits = |side: usize| (MIN_PREVIEW_IMAGE_SIDE..=MAX_PREVIEW_IMAGE_SIDE).contains(&side);
    if !fits(size.width) || !fits(size.height) {
        return Err(ImageRefusal::BadSize {
            width: size.width,
            height: size.height,
        });
    }
    let digest = sha2::Sha256::digest(bytes);
    let hash: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    Ok(CheckedImage {
        kind,
        name: format!("{hash}.{}", kind.extension()),
    })
}

#[derive(sqlx::FromRow)]
struct LinkPagesRow {
    name: String,
    base_url: String,
    preview_title: String,
    preview_description: String,
    preview_image: Option<String>,
    endings: String,
}

/// Taken by every change of a preview image on PostgreSQL, until its transaction ends.
const PREVIEW_IMAGES_LOCK: &str =
    "SELECT pg_advisory_xact_lock(hashtext('flowshare.preview_images'))";

/// Drops preview images no application shows any more.
const DROP_UNUSED_IMAGES: &str = "DELETE FROM preview_images WHERE name NOT IN \
    (SELECT preview_image FROM applications WHERE preview_image IS NOT NULL)";

impl ApplicationStore {
    /// An application's link pages as its form shows them; `None` when there is no such application.
    pub async fn link_pages(&self, application: &FlowSlug) -> StoreResult<Option<LinkPagesView>> {
        let sql =
            "SELECT name, base_url, preview_title, preview_description, preview_image, endings \
                   FROM applications WHERE slug = $1";
        let row: Option<LinkPagesRow> = on_db!(&self.db, |pool| sqlx::query_as(sql)
            .bind(application.as_str())
            .fetch_optional(pool)
            .await)?;
        let Some(row) = row else { return Ok(None) };
        let endings: Endings = if row.endings.is_empty() {
            Endings::default()
        } else {
            serde_json::from_str(&row.endings).map_err(|e| {
                StoreError::Corrupt(format!("application {application}: endings: {e}"))
            })?
        };
        Ok(Some(LinkPagesView {
            slug: application.as_str().to_owned(),
            name: row.name,
            http: row.base_url.starts_with("http://"),
            form: LinkPagesForm::of(&row.preview_title, &row.preview_description, &endings),
            image: row
                .preview_image
                .as_deref()
                .map(app::domain::link_pages::preview::preview_image_path),
            base_url: row.base_url,
        }))
    }

    /// Saves an application's preview texts and endings with an audit entry. `Ok(Err(fields))`
    /// names every refused field; `Ok(Ok(false))`: no such application.
    pub async fn save_link_pages(
        &self,
        application: &FlowSlug,
        form: &LinkPagesForm,
        by: &str,
    ) -> StoreResult<Result<bool, Vec<LinkPagesField>>> {
        let base_url: Option<String> = on_db!(&self.db, |pool| sqlx::query_scalar(
            "SELECT base_url FROM applications WHERE slug = $1"
        )
        .bind(application.as_str())
        .fetch_optional(pool)
        .await)?;
        let Some(base_url) = base_url else {
            return Ok(Ok(false));
        };
        let checked = match form.check(base_url.starts_with("http://")) {
            Ok(checked) => checked,
            Err(fields) => return Ok(Err(fields)),
        };
        let endings = serde_json::to_string(&checked.endings)
            .map_err(|e| StoreError::Corrupt(format!("endings: {e}")))?;
        let sql = "UPDATE applications SET preview_title = $1, preview_description = $2, endings = $3 WHERE slug = $4";
        let detail = format!(
            "preview title {:?}, description {:?}; {}",
            checked.preview_title,
            checked.preview_description,
            checked.endings.summary()
        );
        let saved = conditional_change!(&self.db, |tx| {
            let changed = sqlx::query(sql)
                .bind(&checked.preview_title)
                .bind(&checked.preview_description)
                .bind(&endings)
                .bind(application.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(None);
            }
            audit!(
                tx,
                by,
                AuditAction::LinkPagesSaved,
                application.as_str(),
                &detail
            )?;
            Ok(Some(()))
        })?;
        self.links.changed().await;
        Ok(Ok(saved.is_some()))
    }

    /// Sets (`Some`) or removes (`None`) an application's preview image, with an audit entry;
    /// `Ok(false)`: no such application. The image was checked by [`check_image`].
    pub async fn set_preview_image(
        &self,
        application: &FlowSlug,
        image: Option<(&CheckedImage, &[u8])>,
        by: &str,
    ) -> StoreResult<bool> {
        let insert = "INSERT INTO preview_images (name, content_type, bytes, created_at) VALUES ($1, $2, $3, $4) \
                      ON CONFLICT (name) DO NOTHING";
        let update = "UPDATE applications SET preview_image = $1 WHERE slug = $2";
        let name = image.map(|(checked, _)| checked.name.clone());
        let detail = match image {
            Some((checked, bytes)) => format!(
                "preview image {} ({}, {} bytes)",
                checked.name,
                checked.kind.content_type(),
                bytes.len()
            ),
            None => "preview image removed".to_owned(),
        };
        // Image changes go one at a time: otherwise, on PostgreSQL, one change's clean-up could
        // miss another's uncommitted use of an image and delete it. (SQLite has one writer anyway.)
        let one_at_a_time = match self.db {
            Db::Postgres(_) => Some(PREVIEW_IMAGES_LOCK),
            Db::Sqlite(_) => None,
        };
        let done = conditional_change!(&self.db, |tx| {
            if let Some(lock) = one_at_a_time {
                sqlx::query(lock).execute(&mut *tx).await?;
            }
            if let Some((checked, bytes)) = image {
                sqlx::query(insert)
                    .bind(&checked.name)
                    .bind(checked.kind.content_type())
                    .bind(bytes)
                    .bind(now_millis())
                    .execute(&mut *tx)
                    .await?;
            }
            let changed = sqlx::query(update)
                .bind(&name)
                .bind(application.as_str())
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if changed == 0 {
                return Ok(None);
            }
            sqlx::query(DROP_UNUSED_IMAGES).execute(&mut *tx).await?;
            audit!(
                tx,
                by,
                AuditAction::LinkPagesSaved,
                application.as_str(),
                &detail
            )?;
            Ok(Some(()))
        })?;
        self.links.changed().await;
        Ok(done.is_some())
    }

    /// A stored preview image's bytes, by its name; kept in the links' cache (every chat app a
    /// link is posted in fetches it), as is a name that is none.
    pub async fn preview_image(&self, name: &str) -> StoreResult<Option<Bytes>> {
        let cache = self.links.cache();
        if let Some(kept) = cache.image(name) {
            return Ok(kept);
        }
        let seen = cache.generation();
        let sql = "SELECT bytes FROM preview_images WHERE name = $1";
        let found: Option<Vec<u8>> = on_db!(&self.db, |pool| sqlx::query_scalar(sql)
            .bind(name)
            .fetch_optional(pool)
            .await)?;
        let found = found.map(Bytes::from);
        cache.put_image(name, found.clone(), seen);
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A PNG's signature and header: enough for the checks, which read no pixels.
    fn png(width: u32, height: u32) -> Vec<u8> {
        let mut bytes = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        bytes.extend(width.to_be_bytes());
        bytes.extend(height.to_be_bytes());
        bytes.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
        bytes
    }

    #[test]
    fn a_preview_image_is_checked_by_its_bytes_and_named_by_its_content() {
        let image = png(1200, 630);
        let checked = check_image(&image).expect("a good image");
        assert_eq!(checked.kind, ImageType::Png);
        assert!(
            checked.name.ends_with(".png") && checked.name.len() == 36,
            "{}",
            checked.name
        );
        assert_eq!(
            check_image(&image),
            Ok(checked),
            "the same bytes, the same name"
        );
        assert_eq!(
            check_image(&png(100, 630)),
            Err(ImageRefusal::BadSize {
                width: 100,
                height: 630
            })
        );
        assert_eq!(
            check_image(&png(1200, 5000)).err().map(|e| e.to_string()),
            Some(
                ImageRefusal::BadSize {
                    width: 1200,
                    height: 5000
                }
                .to_string()
            )
        );
        assert_eq!(
            check_image(b"<svg xmlns='http://www.w3.org/2000/svg' onload='x()'/>"),
            Err(ImageRefusal::NotAnImage)
        );
        let mut large = png(1200, 630);
        large.resize(MAX_PREVIEW_IMAGE_BYTES + 1, 0);
        assert_eq!(check_image(&large), Err(ImageRefusal::TooLarge));
    }
}
