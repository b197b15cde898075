//! The Flows page's query: search text, sort and page, as they travel in the page's URL.
//! URL parameters are read leniently (a bookmark with a stale `sort=` still opens), but the
//! search text is always taken as plain text: it is never interpreted, only matched.

use super::flow::FlowSummary;
use serde::{Deserialize, Serialize};

pub const PAGE_SIZE: u32 = 25;

/// Search text as the user typed it, trimmed. Matching is a case-insensitive substring test on the name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SearchText(String);

impl SearchText {
    pub fn new(raw: &str) -> Self {
        Self(raw.trim().to_owned())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The text in the folded form names are stored in for searching (Unicode lower case), so that
    /// "ÉTAT" finds "état" on both database engines.
    pub fn folded(&self) -> String {
        fold(&self.0)
    }
}

/// Case folding shared by stored names and search text.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortKey {
    Name,
    Type,
    Status,
    Approval,
    #[default]
    Updated,
}

impl SortKey {
    pub const ALL: [SortKey; 5] = [
        SortKey::Name,
        SortKey::Type,
        SortKey::Status,
        SortKey::Approval,
        SortKey::Updated,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Type => "type",
            Self::Status => "status",
            Self::Approval => "approval",
            Self::Updated => "updated",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The direction a first click on this column sorts in: names A→Z, dates newest first.
    pub fn natural_direction(self) -> SortDirection {
        match self {
            Self::Updated => SortDirection::Desc,
            _ => SortDirection::Asc,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SortDirection {
    Asc,
    Desc,
}

impl SortDirection {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Asc => "asc",
            Self::Desc => "desc",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "asc" => Some(Self::Asc),
            "desc" => Some(Self::Desc),
            _ => None,
        }
    }

    pub fn flipped(self) -> Self {
        match self {
            Self::Asc => Self::Desc,
            Self::Desc => Self::Asc,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FlowQuery {
    pub text: SearchText,
    pub sort: SortKey,
    pub direction: SortDirection,
    /// 1-based.
    pub page: u32,
}

impl Default for FlowQuery {
    fn default() -> Self {
        Self::from_params(None, None, None, None)
    }
}

impl FlowQuery {
    /// Reads the page's URL parameters. Unknown sort keys or directions and bad page numbers fall
    /// back to the defaults rather than failing: an old bookmark should still open the list.
    pub fn from_params(
        q: Option<&str>,
        sort: Option<&str>,
        dir: Option<&str>,
        page: Option<&str>,
    ) -> Self {
        let sort = sort.and_then(SortKey::parse).unwrap_or_default();
        Self {
            text: SearchText::new(q.unwrap_or_default()),
            sort,
            direction: dir
                .and_then(SortDirection::parse)
                .unwrap_or(sort.natural_direction()),
            page: page
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    }

    pub fn offset(&self) -> u64 {
        u64::from(self.page - 1) * u64::from(PAGE_SIZE)
    }

    /// This query's URL parameters (only those that differ from the defaults), percent-encoded.
    pub fn to_query_string(&self) -> String {
        let mut parts = Vec::new();
        if !self.text.is_empty() {
            parts.push(format!("q={}", encode_component(self.text.as_str())));
        }
        if self.sort != SortKey::default() || self.direction != self.sort.natural_direction() {
            parts.push(format!("sort={}", self.sort.as_str()));
            parts.push(format!("dir={}", self.direction.as_str()));
        }
        if self.page > 1 {
            parts.push(format!("page={}", self.page));
        }
        if parts.is_empty() {
            String::new()
        } else {
            format!("?{}", parts.join("&"))
        }
    }

    /// The same query sorted by `key`: a second click on the current column flips the direction.
    pub fn sorted_by(&self, key: SortKey) -> Self {
        let direction = if key == self.sort {
            self.direction.flipped()
        } else {
            key.natural_direction()
        };
        Self {
            sort: key,
            direction,
            page: 1,
            ..self.clone()
        }
    }

    pub fn with_page(&self, page: u32) -> Self {
        Self {
            page: page.max(1),
            ..self.clone()
        }
    }

    pub fn with_text(&self, text: &str) -> Self {
        Self {
            text: SearchText::new(text),
            page: 1,
            ..self.clone()
        }
    }
}

/// Percent-encodes a URL query component (RFC 3986 unreserved characters stay as they are).
pub fn encode_component(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    encode_component_into(&mut out, raw);
    out
}

/// [`encode_component`], appended to `out`: links are written and checked on every open, so
/// their parts are encoded in place.
pub fn encode_component_into(out: &mut String, raw: &str) {
    for b in raw.bytes() {
        match encoded_byte(b) {
            Encoded::Itself(c) => out.push(c),
            Encoded::Escaped(escape) => escape.iter().for_each(|&e| out.push(e as char)),
        }
    }
}

/// Whether `raw` is exactly `encode_component(text)`, without writing it out.
pub fn encodes_to(text: &str, raw: &str) -> bool {
    let mut rest = raw.as_bytes();
    for b in text.bytes() {
        let encoded = encoded_byte(b);
        let expected: &[u8] = match &encoded {
            Encoded::Itself(_) => std::slice::from_ref(&b),
            Encoded::Escaped(escape) => escape,
        };
        match rest.strip_prefix(expected) {
            Some(after) => rest = after,
            None => return false,
        }
    }
    rest.is_empty()
}

enum Encoded {
    Itself(char),
    Escaped([u8; 3]),
}

fn encoded_byte(b: u8) -> Encoded {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
        Encoded::Itself(b as char)
    } else {
        Encoded::Escaped([b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xF)]])
    }
}

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowPage {
    pub flows: Vec<FlowSummary>,
    /// How many flows match in all, across pages.
    pub total: u64,
    pub page: u32,
}

impl FlowPage {
    pub fn page_count(&self) -> u32 {
        (self.total.div_ceil(u64::from(PAGE_SIZE)) as u32).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn components_are_encoded_with_upper_case_hex_and_unreserved_characters_as_themselves() {
        assert_eq!(
            encode_component("Ada Lovelace/é~"),
            "Ada%20Lovelace%2F%C3%A9~"
        );
        assert!(encodes_to("a b", "a%20b"));
        assert!(!encodes_to("a b", "a%20"), "too short");
        assert!(!encodes_to("a b", "a%20bc"), "too long");
        assert!(!encodes_to("a b", "a%20B") && !encodes_to("a~", "a%7E"));
    }

    proptest! {
        /// The check accepts exactly the encoding: itself, and no spelling one character away.
        #[test]
        fn checking_an_encoding_agrees_with_writing_it(
            text in any::<String>(),
            at in any::<prop::sample::Index>(),
            with in "[A-Za-z0-9%._~ -]",
            edit in 0usize..3,
        ) {
            let encoded = encode_component(&text);
            prop_assert!(encodes_to(&text, &encoded));
            let mut raw: Vec<char> = encoded.chars().collect();
            let i = if raw.is_empty() { 0 } else { at.index(raw.len()) };
            match edit {
                0 if !raw.is_empty() => { raw.remove(i); }
                1 if !raw.is_empty() => raw[i] = with.chars().next().unwrap_or('x'),
                _ => raw.insert(i, with.chars().next().unwrap_or('x')),
            }
            let raw: String = raw.into_iter().collect();
            prop_assert_eq!(encodes_to(&text, &raw), encoded == raw);
        }
    }

    #[test]
    fn an_empty_url_gives_the_default_listing() {
        let q = FlowQuery::from_params(None, None, None, None);
        assert_eq!(
            (q.text.as_str(), q.sort, q.direction, q.page),
            ("", SortKey::Updated, SortDirection::Desc, 1)
        );
        assert_eq!(q.to_query_string(), "");
    }

    #[test]
    fn stale_or_hostile_parameters_fall_back_to_defaults() {
        let q = FlowQuery::from_params(
            Some("  order "),
            Some("drop table"),
            Some("sideways"),
            Some("-3"),
        );
        assert_eq!(
            q,
            FlowQuery {
                text: SearchText::new("order"),
                ..FlowQuery::default()
            }
        );
        assert_eq!(FlowQuery::from_params(None, None, None, Some("0")).page, 1);
        assert_eq!(
            FlowQuery::from_params(None, None, None, Some("99999999999")).page,
            1
        );
    }

    #[test]
    fn a_query_survives_the_trip_through_its_url() {
        let q = FlowQuery::from_params(Some("état & co?"), Some("name"), Some("desc"), Some("3"));
        let url = q.to_query_string();
        assert_eq!(url, "?q=%C3%A9tat%20%26%20co%3F&sort=name&dir=desc&page=3");
    }

    #[test]
    fn clicking_the_sorted_column_flips_it_and_returns_to_page_one() {
        let q = FlowQuery::default().with_page(4);
        let by_name = q.sorted_by(SortKey::Name);
        assert_eq!(
            (by_name.sort, by_name.direction, by_name.page),
            (SortKey::Name, SortDirection::Asc, 1)
        );
        assert_eq!(
            by_name.sorted_by(SortKey::Name).direction,
            SortDirection::Desc
        );
    }

    #[test]
    fn search_text_is_folded_for_matching() {
        assert_eq!(SearchText::new(" ÉTAT Order ").folded(), "état order");
    }

    #[test]
    fn page_count_rounds_up_and_is_never_zero() {
        let page = |total| FlowPage {
            flows: vec![],
            total,
            page: 1,
        };
        assert_eq!(page(0).page_count(), 1);
        assert_eq!(page(25).page_count(), 1);
        assert_eq!(page(26).page_count(), 2);
    }
}
