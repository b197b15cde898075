//! The one owner of a link's address grammar. A full link is
//!
//! ```text
//! /f/{application}/{flow}/{link id}?{name=value&…&}fs_kv={key version}[&fs_exp={unix s}][&fs_sig={token}]
//! ```
//!
//! and a short one `/s/{code}`. The generator writes exactly one spelling of every link, and
//! [`LinkAddress::parse`] accepts exactly that spelling and nothing else: decimals without sign or
//! leading zeros, every value percent-encoded once with upper-case hex (RFC 3986 unreserved
//! characters as themselves, `%20` for a space, never `+`), the link's own `fs_` fields last and in
//! that order, each at most once. So one link has one address, which the signer's canonical claims,
//! the router, the page cache and the dialog's preview all share.

use super::super::params::{is_reserved, is_valid_name, ParamError, UrlParams};
use super::super::query::encodes_to;
use super::super::slug::FlowSlug;
use std::fmt::Write as _;

pub const KEY_VERSION_PARAM: &str = "fs_kv";
pub const EXPIRES_PARAM: &str = "fs_exp";
pub const SIGNATURE_PARAM: &str = "fs_sig";

/// The path prefix of full links, and of short ones.
pub const FULL_PREFIX: &str = "/f/";
pub const SHORT_PREFIX: &str = "/s/";

/// Why an address is not one the generator could have written. For tests and logs only: a
/// recipient is told "not valid" whatever the reason, so nothing here helps forge a link.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadAddress {
    #[error("the path is not /f/{{application}}/{{flow}}/{{link}}")]
    Path,
    #[error("the link id is not 22 base64url characters")]
    LinkId,
    #[error("a query field has no '='")]
    NoEquals,
    #[error("{0:?} is not spelled the one way the generator writes it")]
    NotCanonical(String),
    #[error("{0:?} is not a decimal without sign or leading zeros")]
    Number(String),
    #[error("the link's own fields are missing, repeated, out of order or unknown")]
    LinkFields,
    #[error("the token is not 43 base64url characters")]
    Token,
    #[error(transparent)]
    Params(#[from] ParamError),
}

/// A link's id: 128 random bits as 22 unpadded base64url characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId(String);

impl LinkId {
    pub const LENGTH: usize = 22;
    /// 22 characters carry 132 bits; the last one holds only 2 of them, so it is one of the 4
    /// letters whose low 4 bits are zero (the only spelling base64url encoders write).
    pub const LAST_CHARS: &'static [u8] = b"AQgw";

    pub fn parse(raw: &str) -> Result<Self, BadAddress> {
        is_unpadded_base64url(raw, Self::LENGTH, Self::LAST_CHARS)
            .then(|| Self(raw.to_owned()))
            .ok_or(BadAddress::LinkId)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Whether `raw` is exactly what an unpadded base64url encoder writes for `length` characters:
/// the alphabet only, and a last character from `last` (the spare bits it carries are zero).
fn is_unpadded_base64url(raw: &str, length: usize, last: &[u8]) -> bool {
    raw.len() == length
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && raw.bytes().last().is_some_and(|b| last.contains(&b))
}

/// A protected link's token: an HMAC-SHA256 in unpadded base64url (43 characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkToken(String);

impl LinkToken {
    pub const LENGTH: usize = 43;

    pub fn parse(raw: &str) -> Result<Self, BadAddress> {
        // 43 characters carry 258 bits; the last holds 4 of the MAC's, so its low 2 bits are zero.
        is_unpadded_base64url(raw, Self::LENGTH, b"AEIMQUYcgkosw048")
            .then(|| Self(raw.to_owned()))
            .ok_or(BadAddress::Token)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Short codes for `/s/{code}`: 11 characters from a 31-letter alphabet without look-alikes
/// (no 0/o, 1/l/i): 31^11 ≈ 2^54.5 possibilities.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ShortCode(String);

impl ShortCode {
    pub const ALPHABET: &'static [u8; 31] = b"23456789abcdefghjkmnpqrstuvwxyz";
    pub const LENGTH: usize = 11;

    /// Draws a code from random bytes that `fill` provides (the OS CSPRNG on the server), without
    /// modulo bias.
    pub fn draw<E>(mut fill: impl FnMut(&mut [u8; 16]) -> Result<(), E>) -> Result<Self, E> {
        let mut code = String::with_capacity(Self::LENGTH);
        let mut bytes = [0u8; 16];
        while code.len() < Self::LENGTH {
            fill(&mut bytes)?;
            for byte in bytes {
                // 248 = 8 × 31: taking only bytes below it keeps every letter equally likely.
                if byte < 248 && code.len() < Self::LENGTH {
                    code.push(Self::ALPHABET[usize::from(byte % 31)] as char);
                }
            }
        }
        Ok(Self(code))
    }

    /// Accepts only what `draw` can produce, so a lookup never sees arbitrary text.
    pub fn parse(raw: &str) -> Option<Self> {
        (raw.len() == Self::LENGTH && raw.bytes().all(|b| SHORT_CODE_LETTERS[usize::from(b)]))
            .then(|| Self(raw.to_owned()))
    }

    /// `/s/{code}` on whatever host serves it.
    pub fn path(&self) -> String {
        format!("{SHORT_PREFIX}{}", self.0)
    }

    pub fn to_url(&self, base: &str) -> String {
        format!("{base}{}", self.path())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which bytes are in [`ShortCode::ALPHABET`]: one lookup per letter of every short link opened.
const SHORT_CODE_LETTERS: [bool; 256] = {
    let mut letters = [false; 256];
    let mut i = 0;
    while i < ShortCode::ALPHABET.len() {
        letters[ShortCode::ALPHABET[i] as usize] = true;
        i += 1;
    }
    letters
};

/// A full link's address, every part parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LinkAddress {
    pub application: FlowSlug,
    pub flow: FlowSlug,
    pub link: LinkId,
    /// The flow's URL parameters, decoded, in their order.
    pub params: UrlParams,
    pub key_version: i64,
    /// Unix seconds; only protected links may expire.
    pub expires_at: Option<i64>,
    /// Only protected links carry one.
    pub token: Option<LinkToken>,
}

/// Strictly decodes a canonical query component: refused unless encoding the decoded text again
/// gives back exactly `raw`.
fn canonical_component(raw: &str) -> Result<String, BadAddress> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = |at: usize| bytes.get(at).and_then(|&b| (b as char).to_digit(16));
            match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                _ => return Err(BadAddress::NotCanonical(raw.to_owned())),
            }
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    let text = String::from_utf8(out).map_err(|_| BadAddress::NotCanonical(raw.to_owned()))?;
    if !encodes_to(&text, raw) {
        return Err(BadAddress::NotCanonical(raw.to_owned()));
    }
    Ok(text)
}

/// A decimal as the generator writes it: no sign, no leading zeros, fits an `i64`.
fn canonical_number(raw: &str) -> Result<i64, BadAddress> {
    let digits = !raw.is_empty() && raw.bytes().all(|b| b.is_ascii_digit());
    let leading_zero = raw.len() > 1 && raw.starts_with('0');
    match raw.parse::<i64>() {
        Ok(n) if digits && !leading_zero => Ok(n),
        _ => Err(BadAddress::Number(raw.to_owned())),
    }
}

impl LinkAddress {
    /// Parses a request's path and raw query (without the `?`), accepting only the canonical spelling.
    pub fn parse(path: &str, query: &str) -> Result<Self, BadAddress> {
        let rest = path.strip_prefix(FULL_PREFIX).ok_or(BadAddress::Path)?;
        let mut segments = rest.split('/');
        let (Some(application), Some(flow), Some(link), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(BadAddress::Path);
        };
        let application = FlowSlug::parse(application).map_err(|_| BadAddress::Path)?;
        let flow = FlowSlug::parse(flow).map_err(|_| BadAddress::Path)?;
        let link = LinkId::parse(link)?;

        let mut params = Vec::new();
        let mut key_version = None;
        let mut expires_at = None;
        let mut token = None;
        for field in query.split('&') {
            let (name, value) = field.split_once('=').ok_or(BadAddress::NoEquals)?;
            // The link's own fields come last, once each, in the order fs_kv, fs_exp, fs_sig.
            match name {
                KEY_VERSION_PARAM if key_version.is_none() => {
                    key_version = Some(canonical_number(value)?)
                }
                EXPIRES_PARAM
                    if key_version.is_some() && expires_at.is_none() && token.is_none() =>
                {
                    expires_at = Some(canonical_number(value)?)
                }
                SIGNATURE_PARAM if key_version.is_some() && token.is_none() => {
                    token = Some(LinkToken::parse(value)?)
                }
                _ if key_version.is_some() || is_reserved(name) => {
                    return Err(BadAddress::LinkFields)
                }
                // Names are never encoded: only the characters a name may have, as themselves.
                _ if !is_valid_name(name) => return Err(BadAddress::NotCanonical(name.to_owned())),
                _ => params.push((name, canonical_component(value)?)),
            }
        }
        let key_version = key_version.ok_or(BadAddress::LinkFields)?;
        // Only a protected (signed) link may expire.
        if expires_at.is_some() && token.is_none() {
            return Err(BadAddress::LinkFields);
        }
        let params = UrlParams::checked(params)?;
        Ok(Self {
            application,
            flow,
            link,
            params,
            key_version,
            expires_at,
            token,
        })
    }

    /// `/f/{application}/{flow}/{link}`
    pub fn path(&self) -> String {
        let mut out = String::with_capacity(64);
        self.write_path(&mut out);
        out
    }

    fn write_path(&self, out: &mut String) {
        for part in [
            FULL_PREFIX,
            self.application.as_str(),
            "/",
            self.flow.as_str(),
            "/",
            self.link.as_str(),
        ] {
            out.push_str(part);
        }
    }

    /// The query, in the one spelling `parse` accepts.
    pub fn query(&self) -> String {
        let mut out = String::with_capacity(128);
        self.write_query(&mut out);
        out
    }

    fn write_query(&self, out: &mut String) {
        // Numbers through `itoa`, not `write!`: this runs on every open.
        let mut decimal = itoa::Buffer::new();
        self.params.write_query(out);
        if !self.params.is_empty() {
            out.push('&');
        }
        for part in [KEY_VERSION_PARAM, "=", decimal.format(self.key_version)] {
            out.push_str(part);
        }
        if let Some(at) = self.expires_at {
            for part in ["&", EXPIRES_PARAM, "=", decimal.format(at)] {
                out.push_str(part);
            }
        }
        if let Some(token) = &self.token {
            for part in ["&", SIGNATURE_PARAM, "=", token.as_str()] {
                out.push_str(part);
            }
        }
    }

    /// The path and query: what a short link redirects to, and the key of a rendered page.
    /// (Written in one go: it is built on every open.)
    pub fn path_and_query(&self) -> String {
        let mut out = String::with_capacity(192);
        self.write_path(&mut out);
        out.push('?');
        self.write_query(&mut out);
        out
    }

    /// The full link under an application's public base URL (no trailing slash).
    pub fn to_url(&self, base: &str) -> String {
        format!("{base}{}", self.path_and_query())
    }

    /// How a link will look before the server makes it, for the Share dialog: the parts only the
    /// server fills in (id, key version, expiry, token) shown as placeholders.
    pub fn preview(
        base: &str,
        application: &str,
        flow: &str,
        params: &UrlParams,
        protected: bool,
    ) -> String {
        let mut out = format!("{base}{FULL_PREFIX}{application}/{flow}/‹link id›?");
        let query = params.to_query();
        if !query.is_empty() {
            out.push_str(&query);
            out.push('&');
        }
        let _ = write!(out, "{KEY_VERSION_PARAM}=…");
        if protected {
            let _ = write!(out, "&{EXPIRES_PARAM}=…&{SIGNATURE_PARAM}=…");
        }
        out
    }

    /// Splits a stored full link into its base URL and its address.
    pub fn split_url(url: &str) -> Result<(&str, Self), BadAddress> {
        let (before_query, query) = url.split_once('?').ok_or(BadAddress::LinkFields)?;
        let at = before_query.rfind(FULL_PREFIX).ok_or(BadAddress::Path)?;
        let address = Self::parse(&before_query[at..], query)?;
        Ok((&url[..at], address))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const ID: &str = "4fQm2x0vUu6Ww3Jq1hN9sA";
    const TOKEN: &str = "yN5eYlHsW0xgqXqkE2m3C1tP2Yt8pC7eV4bQnF0dJ6o";

    fn path() -> String {
        format!("/f/help-centre/orders/{ID}")
    }

    #[test]
    fn the_documented_spelling_parses_and_is_written_back_unchanged() {
        let query =
            format!("name=Ada%20Lovelace&order=A-17&fs_kv=3&fs_exp=1795628940&fs_sig={TOKEN}");
        let address = LinkAddress::parse(&path(), &query).expect("canonical");
        assert_eq!(address.application.as_str(), "help-centre");
        assert_eq!(address.params.get("name"), Some("Ada Lovelace"));
        assert_eq!(address.key_version, 3);
        assert_eq!(address.expires_at, Some(1_795_628_940));
        assert_eq!(address.query(), query);
        assert_eq!(
            address.to_url("https://help.example"),
            format!("https://help.example{}?{query}", path())
        );
        let url = address.to_url("https://h.example/pre");
        let (base, again) = LinkAddress::split_url(&url).expect("own url splits");
        assert_eq!((base, again), ("https://h.example/pre", address));
        let open = LinkAddress::parse(&path(), "fs_kv=1").expect("an open link");
        assert_eq!((open.token, open.expires_at), (None, None));
    }

    #[test]
    fn every_other_spelling_is_refused() {
        let bad_queries = [
            "fs_kv=%2B3".to_owned(),                    // a sign, encoded
            "fs_kv=+3".to_owned(),                      // a sign
            "fs_kv=03".to_owned(),                      // a leading zero
            "fs_kv=".to_owned(),                        // no number
            "fs_kv=99999999999999999999".to_owned(),    // too large
            "name=Ada+Lovelace&fs_kv=3".to_owned(),     // '+' for a space
            "name=caf%c3%a9&fs_kv=3".to_owned(),        // lower-case hex
            "name=%41da&fs_kv=3".to_owned(),            // an unreserved letter escaped
            "name=a b&fs_kv=3".to_owned(),              // a raw space
            "name=100%&fs_kv=3".to_owned(),             // a lone '%'
            "name&fs_kv=3".to_owned(),                  // no '='
            "fs_kv=3&name=x".to_owned(),                // a parameter after the link's fields
            "fs_kv=3&fs_kv=3".to_owned(),               // repeated
            format!("fs_kv=3&fs_sig={TOKEN}&fs_exp=5"), // out of order
            "fs_kv=3&fs_exp=5".to_owned(),              // an expiry without a token
            "fs_kv=3&fs_sig=short".to_owned(),          // not a token
            "fs_kv=3&fs_other=1".to_owned(),            // unknown own field
            "FS_KV=3".to_owned(),                       // case matters
            "x=1&x=2&fs_kv=3".to_owned(),               // a parameter twice
            "name=1".to_owned(),                        // no key version
            String::new(),
        ];
        assert!(
            LinkAddress::parse(&path(), "name=100%25&fs_kv=3").is_ok(),
            "an encoded '%' is canonical"
        );
        for query in &bad_queries {
            assert!(
                LinkAddress::parse(&path(), query).is_err(),
                "{query:?} was accepted"
            );
        }
        for bad_path in [
            "/f/help-centre/orders".to_owned(),
            format!("/f/help-centre/orders/{ID}/"),
            format!("/f/Help-centre/orders/{ID}"),
            format!("/f/help-centre/orders/{ID}x"),
            "/f/help-centre/orders/4fQm2x0vUu6Ww3Jq1hN9sB".to_owned(), // a last letter no encoder writes
            format!("/s/help-centre/orders/{ID}"),
            format!("//f/help-centre/orders/{ID}"),
        ] {
            assert!(
                LinkAddress::parse(&bad_path, "fs_kv=1").is_err(),
                "{bad_path:?} was accepted"
            );
        }
    }

    #[test]
    fn a_link_that_could_be_generated_can_be_opened_however_long_its_encoding() {
        // 705 characters as typed; over 4,000 once every 'é' is percent-encoded.
        let typed = format!("note={}", "é".repeat(700));
        let params = UrlParams::parse(&typed).expect("within the limit");
        let address = LinkAddress {
            application: FlowSlug::parse("a").expect("slug"),
            flow: FlowSlug::parse("f").expect("slug"),
            link: LinkId::parse(ID).expect("id"),
            params,
            key_version: 1,
            expires_at: None,
            token: None,
        };
        assert!(address.query().len() > 4_000);
        assert_eq!(
            LinkAddress::parse(&address.path(), &address.query()),
            Ok(address)
        );
    }

    #[test]
    fn short_codes_are_drawn_from_their_alphabet_and_parse_only_so() {
        let mut counter = 0u8;
        let code = ShortCode::draw(|bytes: &mut [u8; 16]| {
            for b in bytes.iter_mut() {
                counter = counter.wrapping_add(37);
                *b = counter;
            }
            Ok::<_, ()>(())
        })
        .expect("drawn");
        assert_eq!(ShortCode::parse(code.as_str()), Some(code.clone()));
        assert_eq!(
            code.to_url("https://x.example"),
            format!("https://x.example/s/{}", code.as_str())
        );
        for bad in ["", "short", "0oilI0oilI0", "abcdefghjk2/", "ABCDEFGHJKM"] {
            assert_eq!(ShortCode::parse(bad), None, "{bad}");
        }
        for c in b"0o1liI" {
            assert!(!ShortCode::ALPHABET.contains(c), "{}", *c as char);
        }
        for b in 0..=u8::MAX {
            assert_eq!(
                SHORT_CODE_LETTERS[usize::from(b)],
                ShortCode::ALPHABET.contains(&b),
                "{b}"
            );
        }
    }

    fn address_strategy() -> impl Strategy<Value = LinkAddress> {
        let params = proptest::collection::btree_map("[a-z][a-z0-9_.-]{0,6}", "\\PC{0,12}", 0..5);
        (
            "[a-z0-9]{1,8}(-[a-z0-9]{1,4}){0,2}",
            "[a-z0-9]{1,8}",
            "[A-Za-z0-9_-]{21}[AQgw]",
            params,
            0i64..i64::MAX,
            proptest::option::of(0i64..i64::MAX),
            proptest::bool::ANY,
        )
            .prop_map(|(app, flow, id, params, kv, exp, signed)| {
                let pairs: Vec<(String, String)> = params
                    .into_iter()
                    .filter(|(n, _)| !n.starts_with("fs_"))
                    .collect();
                LinkAddress {
                    application: FlowSlug::parse(&app).expect("slug"),
                    flow: FlowSlug::parse(&flow).expect("slug"),
                    link: LinkId::parse(&id).expect("id"),
                    params: UrlParams::from_pairs(
                        pairs.iter().map(|(n, v)| (n.as_str(), v.as_str())),
                    )
                    .expect("params"),
                    key_version: kv,
                    expires_at: exp.filter(|_| signed),
                    token: signed.then(|| LinkToken::parse(TOKEN).expect("token")),
                }
            })
    }

    proptest! {
        /// Any address the generator can write parses back to itself.
        #[test]
        fn canonical_addresses_round_trip(address in address_strategy()) {
            prop_assert_eq!(LinkAddress::parse(&address.path(), &address.query()), Ok(address));
        }

        /// Any change to one character of a canonical query that still parses gives another
        /// address with its own, different canonical spelling: no two spellings share an address.
        #[test]
        fn no_other_spelling_parses_to_the_same_address(
            address in address_strategy(),
            at in proptest::sample::Index::arbitrary(),
            replacement in "[-+%0-9A-Za-z_.=&~ ]|%[0-9a-fA-F]{2}",
        ) {
            let query = address.query();
            let mut chars: Vec<char> = query.chars().collect();
            let i = at.index(chars.len());
            chars.splice(i..=i, replacement.chars());
            let altered: String = chars.into_iter().collect();
            if altered != query {
                if let Ok(other) = LinkAddress::parse(&address.path(), &altered) {
                    prop_assert_ne!(&other, &address);
                    prop_assert_eq!(other.query(), altered);
                }
            }
        }
    }
}
