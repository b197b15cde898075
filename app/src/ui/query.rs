//! The page's query string, each value decoded once. leptos_router 0.8 decodes query values twice
//! (its map takes them from `query_pairs`, then unescapes them again), so a `%25` or `%26` that
//! someone typed or pasted would come back as whatever it then spells: pages that show back what
//! was typed read their query here.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// The value of `name` in the page's query, decoded once (the first, if it is there more than once).
pub fn query_value(name: &str) -> Option<String> {
    query_values(name).into_iter().next()
}

/// Every value of `name` in the page's query, in order, each decoded once.
pub fn query_values(name: &str) -> Vec<String> {
    let search = use_location().search.get_untracked();
    values_in(&search, name)
}

fn values_in(search: &str, name: &str) -> Vec<String> {
    let search = search.strip_prefix('?').unwrap_or(search);
    url::form_urlencoded::parse(search.as_bytes())
        .filter(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_decoded_once() {
        let search = "?link=https%3A%2F%2Fgo.example%2Ff%2Fa%3Fname%3DAda%2520%2526%2520Co&x=1&x=2";
        assert_eq!(
            values_in(search, "link"),
            ["https://go.example/f/a?name=Ada%20%26%20Co"]
        );
        assert_eq!(values_in(search, "x"), ["1", "2"]);
        assert!(values_in(search, "none").is_empty());
    }
}
