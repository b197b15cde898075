//! The site's static files under `/pkg` (the style sheet, the console's script and wasm), served
//! as a CDN would: the precompressed variant the browser accepts (brotli, else gzip, else the file
//! itself; `Vary: Accept-Encoding` either way), and, when a file's name carries one of the build's
//! content hashes (`hash-files`, listed in `hash.txt` beside the binary), cached for a year as
//! immutable: a new build has new names. Any other file revalidates at every use (`no-cache`,
//! answered `304` when unchanged), and a miss is never kept.

use axum::body::Body;
use axum::extract::Request;
use axum::response::Response;
use http::header::{CACHE_CONTROL, VARY};
use http::HeaderValue;
use std::convert::Infallible;
use std::future::Future;
use std::path::Path;
use tower::ServiceExt;
use tower_http::services::ServeDir;

/// A year, immutable: for files whose name changes with their content.
pub const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Revalidated at every use: for files that keep their name when they change.
pub const REVALIDATE: &str = "no-cache";

#[derive(Clone)]
pub struct Assets {
    files: ServeDir,
    /// The build's content hashes, each as it stands in a file name: `.{hash}.`.
    hashed: std::sync::Arc<[String]>,
}

impl Assets {
    /// The files in `dir`; those whose name carries one of `hashes` are kept for a year.
    pub fn new<'h>(dir: impl AsRef<Path>, hashes: impl IntoIterator<Item = &'h str>) -> Self {
        Self {
            files: ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .append_index_html_on_directories(false),
            hashed: hashes.into_iter().map(|h| format!(".{h}.")).collect(),
        }
    }

    /// Immutable only for a name that carries one of this build's hashes: a leftover of another
    /// build, or a file the build does not hash, may change under the same name.
    fn cache_control(&self, path: &str) -> HeaderValue {
        let name = path.rsplit('/').next().unwrap_or(path);
        HeaderValue::from_static(if self.hashed.iter().any(|h| name.contains(h.as_str())) {
            IMMUTABLE
        } else {
            REVALIDATE
        })
    }

    /// The files as a service for `Router::nest_service` (which strips the prefix).
    pub fn service(
        self,
    ) -> impl tower::Service<
        Request,
        Response = Response,
        Error = Infallible,
        Future = impl Future<Output = Result<Response, Infallible>> + Send,
    > + Clone {
        tower::service_fn(move |request: Request| {
            let assets = self.clone();
            async move { Ok(assets.serve(request).await) }
        })
    }

    async fn serve(&self, request: Request) -> Response {
        let cache_control = self.cache_control(request.uri().path());
        let Ok(response) = self.files.clone().oneshot(request).await;
        let mut response = response.map(Body::new);
        let status = response.status();
        let headers = response.headers_mut();
        // The variant depends on what the request accepts, whatever the answer.
        headers.insert(VARY, HeaderValue::from_static("accept-encoding"));
        if status.is_success() || status == http::StatusCode::NOT_MODIFIED {
            headers.insert(CACHE_CONTROL, cache_control);
        } else {
            headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING};
    use http::StatusCode;

    fn site() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let write = |name: &str, bytes: &[u8]| {
            std::fs::write(dir.path().join(name), bytes).expect("written");
        };
        write("flowshare.abc123.css", b"body { color: black }");
        write("flowshare.abc123.css.br", b"brotli bytes");
        write("flowshare.abc123.css.gz", b"gzip bytes");
        write("flowshare.abc123.wasm", b"\0asm");
        write("flowshare.css", b"body {}");
        dir
    }

    async fn get(assets: &Assets, path: &str, accept: Option<&str>) -> Response {
        let mut request = Request::builder().uri(path);
        if let Some(accept) = accept {
            request = request.header(ACCEPT_ENCODING, accept);
        }
        assets
            .serve(request.body(Body::empty()).expect("a request"))
            .await
    }

    fn header(response: &Response, name: http::HeaderName) -> Option<&str> {
        response.headers().get(name).and_then(|v| v.to_str().ok())
    }

    #[tokio::test]
    async fn the_variant_the_browser_accepts_is_sent_brotli_first() {
        let dir = site();
        let assets = Assets::new(dir.path(), ["abc123"]);
        let brotli = get(&assets, "/flowshare.abc123.css", Some("gzip, deflate, br")).await;
        assert_eq!(brotli.status(), StatusCode::OK);
        assert_eq!(header(&brotli, CONTENT_ENCODING), Some("br"));
        assert_eq!(header(&brotli, VARY), Some("accept-encoding"));
        let gzip = get(&assets, "/flowshare.abc123.css", Some("gzip")).await;
        assert_eq!(header(&gzip, CONTENT_ENCODING), Some("gzip"));
        let plain = get(&assets, "/flowshare.abc123.css", None).await;
        assert_eq!(header(&plain, CONTENT_ENCODING), None);
        assert_eq!(header(&plain, VARY), Some("accept-encoding"));
        // A file without a compressed variant is sent as it is.
        let wasm = get(&assets, "/flowshare.abc123.wasm", Some("br, gzip")).await;
        assert_eq!(wasm.status(), StatusCode::OK);
        assert_eq!(header(&wasm, CONTENT_ENCODING), None);
    }

    #[tokio::test]
    async fn hashed_names_are_cached_for_a_year_and_nothing_else_is() {
        let dir = site();
        let hashed = Assets::new(dir.path(), ["abc123"]);
        let found = get(&hashed, "/flowshare.abc123.css", Some("br")).await;
        assert_eq!(header(&found, CACHE_CONTROL), Some(IMMUTABLE));
        let leftover = get(&hashed, "/flowshare.css", None).await;
        assert_eq!(leftover.status(), StatusCode::OK);
        assert_eq!(
            header(&leftover, CACHE_CONTROL),
            Some(REVALIDATE),
            "a name without this build's hash may change under the same name"
        );
        let missing = get(&hashed, "/flowshare.old999.css", Some("br")).await;
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(
            header(&missing, CACHE_CONTROL),
            Some("no-store"),
            "a miss is never kept: the file may be deployed a moment later"
        );
        let unhashed = Assets::new(dir.path(), []);
        let found = get(&unhashed, "/flowshare.abc123.css", None).await;
        assert_eq!(header(&found, CACHE_CONTROL), Some(REVALIDATE));
    }

    #[tokio::test]
    async fn nothing_outside_the_folder_is_served() {
        let site = tempfile::tempdir().expect("a temporary directory");
        std::fs::write(site.path().join("secret.txt"), b"not for the web").expect("written");
        let pkg = site.path().join("pkg");
        std::fs::create_dir(&pkg).expect("a folder");
        std::fs::write(pkg.join("flowshare.abc123.css"), b"body {}").expect("written");
        let assets = Assets::new(&pkg, ["abc123"]);
        assert_eq!(
            get(&assets, "/flowshare.abc123.css", None).await.status(),
            StatusCode::OK
        );
        for outside in [
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/..%2fsecret.txt",
            "//secret.txt",
        ] {
            let response = get(&assets, outside, None).await;
            assert_ne!(response.status(), StatusCode::OK, "{outside}");
        }
    }
}
