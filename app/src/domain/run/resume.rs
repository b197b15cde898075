//! Runs that resume: the browser that started a run on a link keeps its token in a cookie of that
//! link's, so reopening the link (after closing the tab, say) continues the run where it was and
//! counts nothing. Another browser has no cookie and starts (and is counted) as before.
//!
//! Where browsers keep `Secure` cookies (the deployment or the page's origin is https, or the host
//! is a loopback name, which browsers treat as a secure context) the cookie is
//! `__Host-flowshare_run_{link id}`: `Secure`, `Path=/`, no `Domain`, so no other site, sibling
//! subdomains included, and no one on the network can plant a run of their own in a recipient's
//! browser; `SameSite=None; Partitioned`, a CHIPS cookie kept per embedding site, so a run inside
//! an embedding site's iframe resumes there too, and is never shared with any other site that
//! embeds the same link. Over plain http it is `flowshare_run`, scoped to the link's path,
//! `SameSite=Lax`: it resumes at top level only, and a plain cookie is never read where the
//! deployment is https. Either way it is `HttpOnly` (no script reads it) and lives as long as an
//! idle run does.

use super::{RunToken, RUN_IDLE_MS};

/// The plain (http) cookie's name: the same at every link, told apart by its path.
pub const RUN_COOKIE: &str = "flowshare_run";
/// The secure cookie's name, before the link's id.
const HOST_COOKIE: &str = "__Host-flowshare_run_";

/// How a run cookie is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunCookie {
    /// `__Host-flowshare_run_{link id}`, partitioned.
    Host,
    /// `flowshare_run` on the link's path, over plain http.
    Plain,
}

impl RunCookie {
    /// The cookie for a post from `origin` (the page's origin as the browser sends it, or else
    /// the request's host, `host[:port]`) to a deployment served over https when `served_secure`.
    pub fn for_origin(served_secure: bool, origin: Option<&str>) -> Self {
        let secure_origin = origin.is_some_and(|origin| {
            let (scheme, host) = origin.split_once("://").unwrap_or(("", origin));
            scheme.eq_ignore_ascii_case("https") || is_loopback(host)
        });
        if served_secure || secure_origin {
            Self::Host
        } else {
            Self::Plain
        }
    }

    /// The cookie's name for the link at `link_path`.
    pub fn name(self, link_path: &str) -> String {
        match self {
            Self::Host => format!("{HOST_COOKIE}{}", link_id(link_path)),
            Self::Plain => RUN_COOKIE.to_owned(),
        }
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
        let name = self.name(link_path);
        match self {
            Self::Host => format!(
                "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; Secure; SameSite=None; Partitioned"
            ),
            Self::Plain => format!(
                "{name}={value}; Path={link_path}; Max-Age={max_age}; HttpOnly; SameSite=Lax"
            ),
        }
    }
}

/// The link id a link's path ends with.
fn link_id(link_path: &str) -> &str {
    link_path.rsplit('/').next().unwrap_or_default()
}

/// Whether a host (`name[:port]`) is this machine: `localhost`, `127.x.x.x` or `[::1]`.
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

/// The run token this browser keeps for the link at `link_path`, in its `Cookie` headers: the
/// secure cookie, or (only where `plain_too`: a deployment not served over https) the plain one.
/// Anything not shaped like a token is no token.
pub fn token_in<'a>(
    cookie_headers: impl IntoIterator<Item = &'a str>,
    link_path: &str,
    plain_too: bool,
) -> Option<(RunCookie, RunToken)> {
    let secure = RunCookie::Host.name(link_path);
    let mut plain = None;
    for pair in cookie_headers
        .into_iter()
        .flat_map(|header| header.split(';'))
    {
        let Some((name, value)) = pair.trim().split_once('=') else {
            continue;
        };
        let Ok(token) = RunToken::parse(value) else {
            continue;
        };
        if name == secure {
            return Some((RunCookie::Host, token));
        }
        if plain_too && name == RUN_COOKIE && plain.is_none() {
            plain = Some((RunCookie::Plain, token));
        }
    }
    plain
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "/f/shop/order-help/abcdefghijklmnopqrstuv";

    fn token() -> RunToken {
        RunToken::parse(&"a".repeat(super::super::TOKEN_CHARS)).expect("a token")
    }

    #[test]
    fn where_browsers_keep_secure_cookies_the_cookie_is_the_links_own_and_partitioned() {
        let t = token();
        let secure = RunCookie::for_origin(true, Some("http://go.example"));
        assert_eq!(
            secure.set(LINK, &t),
            format!(
                "__Host-flowshare_run_abcdefghijklmnopqrstuv={}; Path=/; Max-Age=86400; HttpOnly; Secure; SameSite=None; Partitioned",
                t.as_str()
            )
        );
        for origin in [
            "https://go.example",
            "http://localhost:3000",
            "http://127.0.0.1:8080",
            "http://[::1]:3000",
            "127.0.0.1:3000",
        ] {
            assert_eq!(
                RunCookie::for_origin(false, Some(origin)),
                RunCookie::Host,
                "{origin}"
            );
        }
        let plain = RunCookie::for_origin(false, Some("http://go.example"));
        assert_eq!(plain, RunCookie::Plain);
        assert_eq!(
            plain.clear(LINK),
            format!("flowshare_run=; Path={LINK}; Max-Age=0; HttpOnly; SameSite=Lax")
        );
        for origin in [Some("http://localhost.evil.example"), Some("null"), None] {
            assert_eq!(
                RunCookie::for_origin(false, origin),
                RunCookie::Plain,
                "{origin:?}"
            );
        }
    }

    #[test]
    fn the_token_is_read_from_the_links_own_cookie_and_a_plain_one_only_where_allowed() {
        let t = token();
        let secure = format!(
            "theme=dark; __Host-flowshare_run_abcdefghijklmnopqrstuv={}; b=1",
            t.as_str()
        );
        assert_eq!(
            token_in([secure.as_str()], LINK, false),
            Some((RunCookie::Host, t.clone()))
        );
        // Another link's cookie names no run here.
        assert_eq!(
            token_in(
                [secure.as_str()],
                "/f/shop/order-help/zzzzzzzzzzzzzzzzzzzzzz",
                true
            ),
            None
        );
        let plain = format!("flowshare_run={}", t.as_str());
        assert_eq!(
            token_in([plain.as_str()], LINK, true),
            Some((RunCookie::Plain, t.clone()))
        );
        assert_eq!(
            token_in([plain.as_str()], LINK, false),
            None,
            "planted where https"
        );
        // The secure cookie wins over a plain one, whatever their order.
        let both = format!("{plain}; {}", secure.trim_start_matches("theme=dark; "));
        assert_eq!(
            token_in([both.as_str()], LINK, true).map(|(c, _)| c),
            Some(RunCookie::Host)
        );
        assert_eq!(
            token_in(["flowshare_run=short", "flowshare_runner=x"], LINK, true),
            None
        );
        assert_eq!(token_in([], LINK, true), None);
    }
}
