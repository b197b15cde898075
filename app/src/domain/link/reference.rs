//! What people and records call a link by, since its id is a bearer secret: an open link is opened
//! by its id alone. Everything that is not the link's maker (a log line, the audit log, an export,
//! an API key that did not make it, another publisher) gets this reference, never the id.

use super::LinkId;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A link's reference: the first [`LinkRef::LENGTH`] characters of its id. Enough to tell links
/// apart in a list or find one in the audit log; far too little to open one.
///
/// An id is 128 random bits written 6 to a character, so a prefix of `n` characters gives away
/// `6n` bits. Five give away 30 and leave 98 unknown; a guesser then still faces more than 2^96
/// ids per reference (the bar a prefix of a bearer secret must clear; see the assertion below).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LinkRef(String);

/// Random bits in a link id, and bits of it a reference may leave unknown at the least.
const ID_BITS: usize = 128;
const SECRET_BITS_LEFT: usize = 96;

const _: () = assert!(
    ID_BITS - 6 * LinkRef::LENGTH >= SECRET_BITS_LEFT,
    "a link reference would give away too much of the id"
);

impl LinkRef {
    pub const LENGTH: usize = 5;

    /// The reference of a link.
    pub fn of(id: &LinkId) -> Self {
        Self::of_raw(id.as_str())
    }

    /// The reference of an id as stored, or as a caller sent it (whatever it is: at most its first
    /// [`Self::LENGTH`] characters, so nothing longer than a reference ever gets through).
    pub fn of_raw(id: &str) -> Self {
        Self(id.chars().take(Self::LENGTH).collect())
    }

    /// The reference alone (for a data field: a CSV cell, a JSON value).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// As people read it: the reference and an ellipsis, so nobody takes it for a whole id.
impl fmt::Display for LinkRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}…", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "4fQm2x0vUu6Ww3Jq1hN9sA";

    #[test]
    fn a_reference_is_the_ids_first_five_characters_and_says_it_is_partial() {
        let id = LinkId::parse(ID).expect("an id");
        let reference = LinkRef::of(&id);
        assert_eq!(reference.as_str(), "4fQm2");
        assert_eq!(reference.to_string(), "4fQm2…");
        assert_eq!(LinkRef::of_raw(ID), reference, "stored ids give the same");
        assert!(!reference.to_string().contains(ID));
    }

    #[test]
    fn anything_sent_as_an_id_is_cut_to_a_reference() {
        assert_eq!(LinkRef::of_raw("abc").as_str(), "abc");
        assert_eq!(LinkRef::of_raw("ééééééé").as_str(), "ééééé");
        assert_eq!(LinkRef::of_raw("").as_str(), "");
    }

    #[test]
    fn a_reference_leaves_at_least_96_bits_of_the_id_unknown() {
        let given_away = 6 * LinkRef::LENGTH;
        assert!(ID_BITS - given_away >= 96, "{given_away}");
        assert_eq!(LinkId::LENGTH, 22, "the id's length the arithmetic assumes");
    }
}
