//! Which characters text may hold. Control characters (NUL, the other C0 controls, DEL, the C1
//! controls) have no business in anything a person types: they hide text, break logs and CSV, and
//! end strings early in other systems. Single-line fields refuse them all; multi-line texts (flow
//! steps, descriptions, comments) keep tab and line breaks and refuse the rest.

/// True when `text` holds no control character at all.
pub fn is_single_line(text: &str) -> bool {
    !text.chars().any(char::is_control)
}

/// True when `text`'s only control characters are tab, line feed and carriage return.
pub fn is_multi_line(text: &str) -> bool {
    !text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_where_they_do_not_belong() {
        for bad in [
            "a\0b",
            "a\u{1}",
            "tab\there",
            "line\nbreak",
            "del\u{7f}",
            "c1\u{85}",
            "c1\u{9f}",
        ] {
            assert!(!is_single_line(bad), "{bad:?}");
        }
        for good in ["Ada Lovelace", "café · 東京", "emoji 🎉", "", "a=b&c"] {
            assert!(is_single_line(good) && is_multi_line(good), "{good:?}");
        }
        assert!(is_multi_line("first line\n\tsecond\r\n"));
        for bad in [
            "a\0b",
            "bell\u{7}",
            "esc\u{1b}[31m",
            "del\u{7f}",
            "c1\u{85}",
        ] {
            assert!(!is_multi_line(bad), "{bad:?}");
        }
    }
}
