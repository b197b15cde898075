//! Who is asking: the address every rate limit is keyed by (put on each request by `observe`). It is the TCP peer, unless the peer is
//! one of the operator's trusted proxies; then `X-Forwarded-For` is read from the right, each hop
//! a trusted proxy added, until the first address no trusted proxy stands for. Anyone can write
//! that header, so it is never believed from anyone else: a client could otherwise name a fresh
//! address with every request and escape every limit.

use http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

/// The proxies (addresses or CIDR blocks) whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an IP address or a CIDR block (as in 10.0.0.5, 10.0.0.0/8 or fd00::/8)")]
pub struct ProxyError(String);

impl TrustedProxies {
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, ProxyError> {
        entries
            .iter()
            .map(|entry| entry.as_ref().trim())
            // An empty list written out (`FLOWSHARE_TRUSTED_PROXIES=`, `[]`) names no proxy.
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| ProxyError(entry.to_owned()))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|nets| Self(nets.into()))
    }

    fn trusts(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client's address, from the peer's and the request's headers.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let mut client = peer;
        for hop in hops.iter().rev() {
            // A hop we cannot read ends the walk: whatever lies left of it is anyone's word.
            let Some(ip) = hop_address(hop) else {
                break;
            };
            client = ip;
            if !self.trusts(ip) {
                break;
            }
        }
        client
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port (`1.2.3.4:5678`,
/// `[2001:db8::1]:443`) or in brackets, as some proxies write them.
fn hop_address(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .or_else(|_| hop.parse::<SocketAddr>().map(|s| s.ip()))
        .ok()
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", http::HeaderValue::from_static(value));
        }
        headers
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("an address")
    }

    #[test]
    fn the_header_is_ignored_from_anyone_but_a_trusted_proxy() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8"]).expect("proxies");
        assert_eq!(
            proxies.client(ip("203.0.113.9"), &forwarded(&["198.51.100.1"])),
            ip("203.0.113.9")
        );
        let nobody = TrustedProxies::default();
        assert_eq!(
            nobody.client(ip("10.0.0.1"), &forwarded(&["198.51.100.1"])),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn behind_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8", "192.0.2.7"]).expect("proxies");
        // The client wrote a made-up address first; the proxies appended what they saw.
        let headers = forwarded(&["1.2.3.4, 198.51.100.1", "192.0.2.7"]);
        assert_eq!(proxies.client(ip("10.1.1.1"), &headers), ip("198.51.100.1"));
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &HeaderMap::new()),
            ip("10.1.1.1"),
            "no header: the proxy itself"
        );
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &forwarded(&["garbage, 198.51.100.2"])),
            ip("198.51.100.2")
        );
        assert_eq!(
            proxies.client(ip("10.1.1.1"), &forwarded(&["198.51.100.3, garbage"])),
            ip("10.1.1.1"),
            "an unreadable hop ends the walk at the last trusted one"
        );
    }

    #[test]
    fn hops_with_ports_or_brackets_are_read() {
        let proxies = TrustedProxies::parse(&["10.0.0.1"]).expect("proxies");
        for (hop, client) in [
            ("198.51.100.1:5678", "198.51.100.1"),
            ("[2001:db8::1]:443", "2001:db8::1"),
            ("[2001:db8::2]", "2001:db8::2"),
        ] {
            let headers = forwarded(&[hop]);
            assert_eq!(
                proxies.client(ip("10.0.0.1"), &headers),
                ip(client),
                "{hop}"
            );
        }
    }

    #[test]
    fn proxies_are_addresses_or_blocks_and_anything_else_is_named() {
        assert!(TrustedProxies::parse(&["127.0.0.1", "::1", "fd00::/8"]).is_ok());
        assert!(TrustedProxies::parse(&[""]).is_ok_and(|p| p.0.is_empty()));
        let err = TrustedProxies::parse(&["10.0.0.0/8", "proxy.local"]).expect_err("a name");
        assert!(err.to_string().contains("\"proxy.local\""), "{err}");
    }

    #[test]
    fn an_ipv4_mapped_peer_is_trusted_as_its_ipv4_address() {
        let proxies = TrustedProxies::parse(&["127.0.0.1"]).expect("proxies");
        assert_eq!(
            proxies.client(ip("::ffff:127.0.0.1"), &forwarded(&["198.51.100.1"])),
            ip("198.51.100.1")
        );
    }
}
