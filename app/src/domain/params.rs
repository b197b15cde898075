//! URL parameters a publisher adds to a shared link, typed as `&name=value&other=value`.
//!
//! The text is read the way a URL query is: `&` separates parameters, the first `=` separates a name
//! from its value, and `%XX` escapes are decoded, so a value that already contains `%20` or `%26`
//! means a space or an `&`, as the user meant. Everything else is literal: `+` is a plus, spaces,
//! `#`, `=` and non-ASCII text are themselves. When the link is built every value is percent-encoded
//! exactly once, so nothing is ever encoded twice or lost.

use super::query::encode_component_into;
use serde::{Deserialize, Serialize};

pub const MAX_PARAMS: usize = 50;
pub const MAX_PARAMS_TEXT: usize = 2_000;
/// Names beginning with this belong to the link itself (token, expiry, key version).
pub const RESERVED_PREFIX: &str = "fs_";

/// Whether `name` belongs to the link itself: it starts with [`RESERVED_PREFIX`] in any case.
pub fn is_reserved(name: &str) -> bool {
    name.get(..RESERVED_PREFIX.len())
        .is_some_and(|start| start.eq_ignore_ascii_case(RESERVED_PREFIX))
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
pub enum ParamError {
    #[error("URL parameters can be at most {MAX_PARAMS_TEXT} characters long, counted as decoded `name=value&…` text (this is {0})")]
    TooLong(usize),
    #[error("at most {MAX_PARAMS} URL parameters are allowed (this has {0})")]
    TooMany(usize),
    #[error("parameter {0} has an empty name")]
    EmptyName(usize),
    #[error("parameter name {0:?} may contain only letters A-Z and a-z, digits, '_', '.' and '-'")]
    BadName(String),
    #[error("parameter {0:?} appears more than once")]
    Duplicate(String),
    #[error("parameter name {0:?} is reserved for the link itself (names starting with \"fs_\")")]
    Reserved(String),
    #[error("the value of {0:?} is not valid text once its %-escapes are decoded")]
    BadEncoding(String),
    #[error("the value of {0:?} holds a control character (such as NUL, a line break or DEL)")]
    ControlCharacter(String),
}

/// One parameter: a checked name and its value as the user meant it (decoded).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Param {
    name: String,
    value: String,
}

impl Param {
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn value(&self) -> &str {
        &self.value
    }
}

/// An ordered list of checked parameters. Order matters: it is part of what a protected link signs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct UrlParams(Vec<Param>);

/// Whether a parameter name uses only `A-Z a-z 0-9 _ . -` (and at least one of them).
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-".contains(&b))
}

/// Decodes `%XX` escapes; a `%` not followed by two hex digits stays a literal `%`.
fn percent_decode(raw: &str) -> Option<String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).ok()
}

impl UrlParams {
    /// Parses what the user typed. Each fault gets its own message naming the parameter.
    pub fn parse(text: &str) -> Result<Self, ParamError> {
        // A guard against giant input only: the limit proper applies to the decoded pairs.
        let typed = text.chars().count();
        if typed > 3 * MAX_PARAMS_TEXT {
            return Err(ParamError::TooLong(typed));
        }
        let text = text.trim();
        let text = text.strip_prefix('&').unwrap_or(text);
        if text.is_empty() {
            return Ok(Self::default());
        }
        let pieces: Vec<&str> = text.split('&').collect();
        if pieces.len() > MAX_PARAMS {
            return Err(ParamError::TooMany(pieces.len()));
        }
        let mut pairs = Vec::with_capacity(pieces.len());
        for (i, piece) in pieces.into_iter().enumerate() {
            let (name, raw_value) = piece.split_once('=').unwrap_or((piece, ""));
            let name = name.trim();
            let value = percent_decode(raw_value).ok_or_else(|| match name {
                "" => ParamError::EmptyName(i + 1),
                _ => ParamError::BadEncoding(name.to_owned()),
            })?;
            pairs.push((name, value));
        }
        Self::checked(pairs)
    }

    /// Builds parameters from decoded pairs (as a link's query arrives), with the same checks and
    /// the same limit as typed ones: a link that could be generated can always be opened.
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, ParamError> {
        Self::checked(pairs.into_iter().map(|(n, v)| (n, v.to_owned())))
    }

    /// The one set of checks, on decoded pairs in order. The length limit counts the decoded
    /// `name=value&…` text, whatever spelling brought it.
    pub fn checked<'a>(
        pairs: impl IntoIterator<Item = (&'a str, String)>,
    ) -> Result<Self, ParamError> {
        let mut params: Vec<Param> = Vec::new();
        let mut length = 0;
        for (i, (name, value)) in pairs.into_iter().enumerate() {
            if i >= MAX_PARAMS {
                return Err(ParamError::TooMany(i + 1));
            }
            if name.is_empty() {
                return Err(ParamError::EmptyName(i + 1));
            }
            if !is_valid_name(name) {
                return Err(ParamError::BadName(name.to_owned()));
            }
            if is_reserved(name) {
                return Err(ParamError::Reserved(name.to_owned()));
            }
            if params.iter().any(|p| p.name == name) {
                return Err(ParamError::Duplicate(name.to_owned()));
            }
            if !super::text::is_single_line(&value) {
                return Err(ParamError::ControlCharacter(name.to_owned()));
            }
            length += usize::from(i > 0) + name.chars().count() + 1 + value.chars().count();
            params.push(Param {
                name: name.to_owned(),
                value,
            });
        }
        if length > MAX_PARAMS_TEXT {
            return Err(ParamError::TooLong(length));
        }
        Ok(Self(params))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Param> {
        self.0.iter()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|p| p.name == name)
            .map(|p| p.value.as_str())
    }

    /// `name=value&…` with every value percent-encoded exactly once; empty when there are none.
    pub fn to_query(&self) -> String {
        let mut out = String::new();
        self.write_query(&mut out);
        out
    }

    /// [`UrlParams::to_query`], appended to `out`.
    pub fn write_query(&self, out: &mut String) {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                out.push('&');
            }
            out.push_str(&p.name);
            out.push('=');
            encode_component_into(out, &p.value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(p: &UrlParams) -> Vec<(&str, &str)> {
        p.iter().map(|p| (p.name(), p.value())).collect()
    }

    #[test]
    fn the_documented_form_parses_with_or_without_a_leading_ampersand() {
        let with = UrlParams::parse("&param_1=value1&param_2=value2").expect("valid");
        let without = UrlParams::parse("param_1=value1&param_2=value2").expect("valid");
        assert_eq!(with, without);
        assert_eq!(pairs(&with), [("param_1", "value1"), ("param_2", "value2")]);
        assert_eq!(
            UrlParams::parse("").expect("empty is fine"),
            UrlParams::default()
        );
        assert_eq!(
            UrlParams::parse("&").expect("a lone & is nothing"),
            UrlParams::default()
        );
    }

    #[test]
    fn values_come_out_as_the_user_meant_them() {
        let p =
            UrlParams::parse("a=already%20encoded&b=x%26y&c=1+1=2&d=#top&e=café au lait&f=100%&g=")
                .expect("valid");
        assert_eq!(p.get("a"), Some("already encoded"));
        assert_eq!(p.get("b"), Some("x&y"));
        assert_eq!(p.get("c"), Some("1+1=2"));
        assert_eq!(p.get("d"), Some("#top"));
        assert_eq!(p.get("e"), Some("café au lait"));
        assert_eq!(p.get("f"), Some("100%"));
        assert_eq!(p.get("g"), Some(""));
        assert_eq!(
            p.to_query(),
            "a=already%20encoded&b=x%26y&c=1%2B1%3D2&d=%23top&e=caf%C3%A9%20au%20lait&f=100%25&g="
        );
    }

    #[test]
    fn each_fault_has_its_own_message() {
        assert_eq!(UrlParams::parse("a=1&=2"), Err(ParamError::EmptyName(2)));
        assert_eq!(UrlParams::parse("a=1&&b=2"), Err(ParamError::EmptyName(2)));
        assert_eq!(
            UrlParams::parse("na me=1"),
            Err(ParamError::BadName("na me".into()))
        );
        assert_eq!(
            UrlParams::parse("émoji=1"),
            Err(ParamError::BadName("émoji".into()))
        );
        assert_eq!(
            UrlParams::parse("a=1&a=2"),
            Err(ParamError::Duplicate("a".into()))
        );
        assert_eq!(
            UrlParams::parse("fs_sig=x"),
            Err(ParamError::Reserved("fs_sig".into()))
        );
        assert_eq!(
            UrlParams::parse("FS_KV=1"),
            Err(ParamError::Reserved("FS_KV".into()))
        );
        assert_eq!(
            UrlParams::parse("a=%FF"),
            Err(ParamError::BadEncoding("a".into()))
        );
        for control in ["%00", "%0A", "%09", "%7F", "%C2%85", "x\u{1}"] {
            assert_eq!(
                UrlParams::parse(&format!("ok=1&note={control}")),
                Err(ParamError::ControlCharacter("note".into())),
                "{control}"
            );
        }
        let many = (0..51)
            .map(|i| format!("p{i}=v"))
            .collect::<Vec<_>>()
            .join("&");
        assert_eq!(UrlParams::parse(&many), Err(ParamError::TooMany(51)));
        assert_eq!(
            UrlParams::parse(&format!("a={}", "x".repeat(2_000))),
            Err(ParamError::TooLong(2_002))
        );
        assert_eq!(
            ParamError::Reserved("fs_sig".into()).to_string(),
            "parameter name \"fs_sig\" is reserved for the link itself (names starting with \"fs_\")"
        );
    }

    #[test]
    fn names_of_the_link_itself_are_reserved_in_any_case() {
        for name in ["fs_", "fs_sig", "FS_X", "Fs_kv"] {
            assert!(is_reserved(name), "{name}");
        }
        for name in ["", "fs", "f_s", "xfs_", "éfs_", "name"] {
            assert!(!is_reserved(name), "{name}");
        }
    }

    proptest! {
        /// Any names and values that pass validation survive the trip through a link's query.
        #[test]
        fn parameters_round_trip_through_their_query(
            entries in proptest::collection::btree_map("[A-Za-z0-9_.-]{1,12}", "\\PC{0,20}", 0..8)
        ) {
            let entries: Vec<(String, String)> =
                entries.into_iter().filter(|(n, _)| !is_reserved(n)).collect();
            let params = UrlParams::from_pairs(entries.iter().map(|(n, v)| (n.as_str(), v.as_str()))).expect("valid pairs");
            let got: Vec<(String, String)> = params.iter().map(|p| (p.name().to_owned(), p.value().to_owned())).collect();
            prop_assert_eq!(&got, &entries);
            prop_assert_eq!(UrlParams::parse(&params.to_query()).expect("own query parses"), params);
        }
    }
}
