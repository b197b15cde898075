//! The security token of a protected link: HMAC-SHA256, keyed with the application's secret, over
//! a canonical form of everything that defines the link. Verification rebuilds the canonical form
//! from the parsed request (never from the raw URL) and compares MACs in constant time.
//!
//! Canonical form (UTF-8, `\n` after every line, values percent-encoded as in the link):
//!
//! ```text
//! FLOWSHARE-LINK-V1
//! app:help-centre
//! flow:order-status-lookup
//! link:4fQm2x0vUu6Ww3Jq1hN9sA
//! expires:1795628940            (Unix seconds, or `never`)
//! key-version:3
//! params:2                       (count, or `unchecked` when parameters are not validated)
//! name=Ada%20Lovelace
//! order=A-17
//! ```
//!
//! The token is the MAC in unpadded base64url. Because every line is prefixed and values are
//! encoded, no choice of parameters can make two different links share a canonical form.

use app::domain::link::LinkAddress;
use app::domain::params::UrlParams;
use app::domain::query::encode_component_into;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// An application's 256-bit secret. Never printed, never sent to a browser. Rows read it straight
/// into this type (`#[sqlx(try_from = "Vec<u8>")]`), so no record can print it either.
///
/// It is kept as HMAC's state after the key (both padded key blocks already hashed): every token
/// checked or written starts from a copy of it, which saves two of the five SHA-256 blocks a
/// token costs.
#[derive(Clone)]
pub struct AppKey(Hmac<Sha256>);

impl From<Vec<u8>> for AppKey {
    fn from(bytes: Vec<u8>) -> Self {
        Self::new(bytes)
    }
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(…)")
    }
}

impl AppKey {
    pub fn new(bytes: Vec<u8>) -> Self {
        // HMAC takes keys of any length: this cannot fail.
        Self(<Hmac<Sha256> as Mac>::new_from_slice(&bytes).expect("HMAC accepts any key length"))
    }

    fn mac(&self) -> Hmac<Sha256> {
        self.0.clone()
    }
}

/// Everything a protected link's token covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkClaims<'a> {
    pub application: &'a str,
    pub flow: &'a str,
    pub link_id: &'a str,
    /// Unix seconds; `None` for a link that never expires.
    pub expires_at: Option<i64>,
    pub key_version: i64,
    /// The parameters, when the flow's protection validates them; `None` lets recipients change them.
    pub params: Option<&'a UrlParams>,
}

impl<'a> LinkClaims<'a> {
    /// What a link's token covers, read from its address; `validate_params` is the link's own
    /// setting (stored with it), never something the address says.
    pub fn of(address: &'a LinkAddress, validate_params: bool) -> Self {
        Self {
            application: address.application.as_str(),
            flow: address.flow.as_str(),
            link_id: address.link.as_str(),
            expires_at: address.expires_at,
            key_version: address.key_version,
            params: validate_params.then_some(&address.params),
        }
    }

    pub fn canonical(&self) -> String {
        // Written in place, numbers included (`itoa`): this runs on every protected open, and
        // `format!` and `write!` showed there.
        let mut decimal = itoa::Buffer::new();
        let mut out = String::with_capacity(256);
        for part in [
            "FLOWSHARE-LINK-V1\napp:",
            self.application,
            "\nflow:",
            self.flow,
            "\nlink:",
            self.link_id,
            "\nexpires:",
        ] {
            out.push_str(part);
        }
        match self.expires_at {
            Some(at) => out.push_str(decimal.format(at)),
            None => out.push_str("never"),
        }
        out.push_str("\nkey-version:");
        out.push_str(decimal.format(self.key_version));
        out.push('\n');
        match self.params {
            Some(params) => {
                out.push_str("params:");
                out.push_str(decimal.format(params.len()));
                out.push('\n');
                for p in params.iter() {
                    out.push_str(p.name());
                    out.push('=');
                    encode_component_into(&mut out, p.value());
                    out.push('\n');
                }
            }
            None => out.push_str("params:unchecked\n"),
        }
        out
    }

    pub fn sign(&self, key: &AppKey) -> String {
        let mut mac = key.mac();
        mac.update(self.canonical().as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// True when `token` is this link's MAC under `key`. Constant-time in the comparison.
    pub fn verify(&self, key: &AppKey, token: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        let mut mac = key.mac();
        mac.update(self.canonical().as_bytes());
        mac.verify_slice(&tag).is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key() -> AppKey {
        AppKey::new((0u8..32).collect())
    }

    /// The worked example from the module documentation, with its exact token.
    #[test]
    fn the_documented_canonical_form_and_its_token() {
        let params = UrlParams::parse("name=Ada Lovelace&order=A-17").expect("params");
        let claims = LinkClaims {
            application: "help-centre",
            flow: "order-status-lookup",
            link_id: "4fQm2x0vUu6Ww3Jq1hN9sA",
            expires_at: Some(1_795_628_940),
            key_version: 3,
            params: Some(&params),
        };
        assert_eq!(
            claims.canonical(),
            "FLOWSHARE-LINK-V1\napp:help-centre\nflow:order-status-lookup\nlink:4fQm2x0vUu6Ww3Jq1hN9sA\n\
             expires:1795628940\nkey-version:3\nparams:2\nname=Ada%20Lovelace\norder=A-17\n"
        );
        let token = claims.sign(&key());
        // Pinned: any change to the canonical form or the MAC would break every link already out.
        assert_eq!(token, "OInL4qgeGcTee3tqozpd2ibWUlezUrUtdZkTAHGh-s8");
        assert!(claims.verify(&key(), &token));
        assert!(
            !claims.verify(&AppKey::new(vec![7; 32]), &token),
            "another key rejects it"
        );
        assert!(!claims.verify(&key(), "not base64!"));
        assert!(!claims.verify(&key(), &token[..42]));
    }

    /// A never-expiring link `l` of flow `f` in application `a`, under key version 1.
    fn plain(params: Option<&UrlParams>) -> LinkClaims<'_> {
        LinkClaims {
            application: "a",
            flow: "f",
            link_id: "l",
            expires_at: None,
            key_version: 1,
            params,
        }
    }

    #[test]
    fn parameter_values_are_signed_as_their_utf8_bytes_percent_encoded() {
        let params = UrlParams::parse("name=Zoë&note=1+1 ~ 2").expect("params");
        assert!(plain(Some(&params))
            .canonical()
            .ends_with("params:2\nname=Zo%C3%AB\nnote=1%2B1%20~%202\n"));
    }

    #[test]
    fn unchecked_parameters_are_left_out_of_the_signature() {
        assert!(plain(None)
            .canonical()
            .ends_with("expires:never\nkey-version:1\nparams:unchecked\n"));
    }

    fn params_strategy() -> impl Strategy<Value = Vec<(String, String)>> {
        proptest::collection::btree_map("[a-z][a-z0-9_]{0,6}", "\\PC{0,10}", 0..5).prop_map(|m| {
            m.into_iter()
                .filter(|(n, _)| !n.starts_with("fs_"))
                .collect()
        })
    }

    proptest! {
        /// Any single change to a signed part of a valid protected link makes its token fail.
        #[test]
        fn any_single_change_invalidates_the_token(
            pairs in params_strategy(),
            expires in proptest::option::of(0i64..4_000_000_000),
            key_version in 1i64..1_000,
            change in 0usize..9,
            extra in "[a-z]{1,5}",
        ) {
            let params = UrlParams::from_pairs(pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).expect("valid");
            let original = LinkClaims { application: "app", flow: "flow", link_id: "link", expires_at: expires, key_version, params: Some(&params) };
            let token = original.sign(&key());
            prop_assert!(original.verify(&key(), &token));

            let mut altered_pairs = pairs.clone();
            let (app, flow, link) = (format!("app{extra}"), format!("flow{extra}"), format!("link{extra}"));
            let mut altered = original.clone();
            match change {
                0 => altered.application = &app,
                1 => altered.flow = &flow,
                2 => altered.link_id = &link,
                3 => altered.expires_at = Some(expires.map_or(0, |e| e + 1)),
                4 => altered.key_version += 1,
                5 => altered_pairs.push((format!("Z{extra}"), "1".into())),           // a parameter added; names added here are upper case, never a generated (lower-case) name
                6 => { if altered_pairs.pop().is_none() { altered_pairs.push(("A".into(), String::new())) } } // removed
                7 => { if altered_pairs.len() >= 2 { altered_pairs.swap(0, 1) } else { altered_pairs.push(("Q".into(), "v".into())) } } // reordered
                _ => match altered_pairs.first_mut() { Some(p) => p.1.push('x'), None => altered_pairs.push(("N".into(), "v".into())) }, // altered
            }
            let altered_params = UrlParams::from_pairs(altered_pairs.iter().map(|(n, v)| (n.as_str(), v.as_str()))).expect("valid");
            if change >= 5 {
                altered.params = Some(&altered_params);
            }
            prop_assert_ne!(altered.canonical(), original.canonical());
            prop_assert!(!altered.verify(&key(), &token));
        }
    }
}
