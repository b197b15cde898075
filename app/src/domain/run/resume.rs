//! Runs that resume: the browser that started a run on a link keeps its token in a cookie scoped
//! to that link's path, so reopening the link (after closing the tab, say) continues the run where
//! it was and counts nothing. Another browser has no cookie and starts (and is counted) as before.
//!
//! The cookie is `HttpOnly` (no script reads it) and lives as long as an idle run does. Where
//! browsers take `Secure` cookies (over https, and on a loopback host, which they treat as a
//! secure context) it is `Secure; SameSite=None; Partitioned`: a CHIPS cookie, kept per embedding
//! site, so a run inside an embedding site's iframe resumes there too, and is never shared with
//! any other site that embeds the same link. Over plain http it is `SameSite=Lax`, and resumes at
//! top level only.

use super::{RunToken, RUN_IDLE_MS};

/// The cookie's name: the same at every link, told apart by its path.
pub const RUN_COOKIE: &str = "flowshare_run";

/// How the run cookie is written for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunCookie {
    secure: bool,
}

impl RunCookie {
    /// `served_secure`: the deployment is reached over https (its public URL says so); `host`:
    /// the request's `Host`, whose loopback names browsers treat as secure too.
    pub fn for_request(served_secure: bool, host: Option<&str>) -> Self {
        Self {
            secure: served_secure || host.is_some_and(is_loopback),
        }
    }

    /// Whether the cookie is `Partitioned` (and so kept inside an embedding site's frame).
    pub fn partitioned(self) -> bool {
        self.secure
    }

    /// The `Set-Cookie` value keeping `token` for the link at `link_path`.
    pub fn set(self, link_path: &str, token: &RunToken) -> String {
        self.write(link_path, token.as_str(), RUN_IDLE_MS / 1_000)
    }

    /// The `Set-Cookie` value forgetting the run of the link at `link_path`.
    pub fn clear(self, link_path: &str) -> String {
        self.write(link_path, "", 0)
    }

    fn write(self, link_path: &str, value: &str, max_age: i64) -> String {
        let attributes = if self.secure {
            "Secure; SameSite=None; Partitioned"
        } else {
            "SameSite=Lax"
        };
        format!("{RUN_COOKIE}={value}; Path={link_path}; Max-Age={max_age}; HttpOnly; {attributes}")
    }
}

/// Whether a `Host` names this machine (`localhost`, `127.x.x.x`, `[::1]`), port or not.
fn is_loopback(host: &str) -> bool {
    let name = match host.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => host.rsplit_once(':').map_or(host, |(name, _)| name),
    };
    name.eq_ignore_ascii_case("localhost")
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The run token in a request's `Cookie` headers, if one is there and well formed. (A browser
/// sends only the cookie of the path it opens; anything else is not a token.)
pub fn token_in<'a>(cookie_headers: impl IntoIterator<Item = &'a str>) -> Option<RunToken> {
    cookie_headers
        .into_iter()
        .flat_map(|header| header.split(';'))
        .filter_map(|pair| pair.trim().strip_prefix(RUN_COOKIE)?.strip_prefix('='))
        .find_map(|value| RunToken::parse(value).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> RunToken {
        RunToken::parse(&"a".repeat(super::super::TOKEN_CHARS)).expect("a token")
    }

    #[test]
    fn over_https_and_on_loopback_the_cookie_is_partitioned_and_secure() {
        let path = "/f/shop/order-help/abc";
        let https = RunCookie::for_request(true, Some("go.example"));
        let set = https.set(path, &token());
        assert_eq!(
            set,
            format!(
                "flowshare_run={}; Path={path}; Max-Age=86400; HttpOnly; Secure; SameSite=None; Partitioned",
                token().as_str()
            )
        );
        for host in [
            "localhost:3000",
            "127.0.0.1:8080",
            "[::1]:3000",
            "LOCALHOST",
        ] {
            assert!(
                RunCookie::for_request(false, Some(host)).partitioned(),
                "{host}"
            );
        }
        let plain = RunCookie::for_request(false, Some("go.example:80"));
        assert!(!plain.partitioned());
        assert_eq!(
            plain.clear(path),
            format!("flowshare_run=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax")
        );
        assert!(!RunCookie::for_request(false, Some("localhost.evil.example")).partitioned());
        assert!(!RunCookie::for_request(false, None).partitioned());
    }

    #[test]
    fn the_token_is_read_from_the_cookie_header_and_nothing_else_is() {
        let value = token();
        let header = format!("theme=dark; flowshare_run={}; other=1", value.as_str());
        assert_eq!(token_in([header.as_str()]), Some(value.clone()));
        assert_eq!(token_in(["flowshare_run=short"]), None);
        assert_eq!(token_in(["flowshare_runner=x; flowshare_run="]), None);
        assert_eq!(
            token_in(["a=1", &format!("flowshare_run={}", value.as_str())]),
            Some(value)
        );
        assert_eq!(token_in([]), None);
    }
}
