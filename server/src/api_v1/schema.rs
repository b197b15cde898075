//! The rules of the API's inputs as JSON Schema, built from the consts and checks the server
//! applies them with, so the OpenAPI document promises exactly what the server takes.
//!
//! Where a rule cannot be said in JSON Schema exactly, the document states a canonical subset the
//! server always accepts (a client that follows it is never refused), and says the rest in words:
//! URL parameters are written `name=value` with `=` and with only printable ASCII `%`-escaped.

use super::idempotency::{is_key_char, MAX_KEY_CHARS};
use super::MAX_BATCH_ROWS;
use super::{CURSOR_CHARS, DEFAULT_PAGE, MAX_PAGE, MILLIS_PER_SECOND};
use app::domain::link::LinkId;
use app::domain::link::LinkState;
use app::domain::params::{is_valid_name, MAX_PARAMS, MAX_PARAMS_TEXT, RESERVED_PREFIX};
use app::domain::slug::MAX_SLUG_LEN;
use utoipa::openapi::path::{Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::Required;

/// What `FlowSlug::parse` takes (with at most [`MAX_SLUG_LEN`] characters).
pub const SLUG_PATTERN: &str = "^[a-z0-9]+(?:-[a-z0-9]+)*$";

/// The one format of the QR code a create call adds (`?qr=svg`).
pub const QR_FORMAT: &str = "svg";

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// A flow's, an application's or a campaign's slug.
pub fn slug(description: &str) -> Schema {
    string()
        .description(Some(description))
        .pattern(Some(SLUG_PATTERN))
        .min_length(Some(1))
        .max_length(Some(MAX_SLUG_LEN))
        .into()
}

/// A link's id, as `LinkId::parse` takes it.
pub fn link_id_pattern() -> String {
    let last: String = LinkId::LAST_CHARS.iter().copied().map(char::from).collect();
    format!("^[A-Za-z0-9_-]{{{}}}[{last}]$", LinkId::LENGTH - 1)
}

pub fn link_id() -> Schema {
    string()
        .description(Some("A link's id: 128 bits in unpadded base64url"))
        .pattern(Some(link_id_pattern()))
        .min_length(Some(LinkId::LENGTH))
        .max_length(Some(LinkId::LENGTH))
        .into()
}

/// Any base64url text of the cursor's length decodes to a position, so the pattern is exact.
pub fn cursor_pattern() -> String {
    format!("^[A-Za-z0-9_-]{{{CURSOR_CHARS}}}$")
}

pub fn cursor() -> Schema {
    string()
        .description(Some("The previous page's `next_cursor`, as given"))
        .pattern(Some(cursor_pattern()))
        .min_length(Some(CURSOR_CHARS))
        .max_length(Some(CURSOR_CHARS))
        .into()
}

pub fn idempotency_key_pattern() -> String {
    format!(
        "^{}+$",
        class_of(|c| c.is_ascii() && is_key_char(c as u8), 0x7f)
    )
}

pub fn idempotency_key() -> Schema {
    string()
        .description(Some("Visible ASCII, no spaces: a retry with the same key and request gets the first answer, never a second link"))
        .pattern(Some(idempotency_key_pattern()))
        .min_length(Some(1))
        .max_length(Some(MAX_KEY_CHARS))
        .into()
}

/// The states a listed link can be in, by their names in answers.
pub fn link_state(description: &str) -> Schema {
    string()
        .description(Some(description))
        .enum_values(Some(LinkState::ALL.map(LinkState::as_str)))
        .into()
}

pub fn page_limit() -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some("Links a page"))
        .minimum(Some(1u32))
        .maximum(Some(MAX_PAGE))
        .default(Some(DEFAULT_PAGE.into()))
        .into()
}

/// Unix seconds, as far as they can be counted in milliseconds (how times are kept).
pub fn unix_seconds(description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .description(Some(description))
        .minimum(Some(i64::MIN / MILLIS_PER_SECOND))
        .maximum(Some(i64::MAX / MILLIS_PER_SECOND))
        .into()
}

pub fn qr() -> Schema {
    string()
        .description(Some("`svg` adds the link's QR code (`qr_svg`)"))
        .enum_values(Some([QR_FORMAT]))
        .into()
}

/// The grammar of URL parameters as the document states them, without its two cross-parameter
/// rules (no name twice, none reserved): `name=value` pairs joined by `&`, at most
/// [`MAX_PARAMS`], names as `is_valid_name` takes them, values without control characters, `&`
/// or `%` except as an escape of printable ASCII. The `=` is part of the canonical form: with
/// it, the text is never shorter decoded than sent, so `maxLength` bounds the decoded length.
pub fn url_params_grammar() -> String {
    let name = class_of(|c| is_valid_name(c.encode_utf8(&mut [0; 4])), 0x7f);
    let control = class_body(char::is_control, 0xa0);
    let value = format!("(?:[^&%{control}]|%(?:[2-6][0-9A-Fa-f]|7[0-9A-Ea-e]))*");
    let pair = format!("{name}+={value}");
    format!(
        "^&?(?:{pair}(?:&{pair}){{0,{}}})?$",
        MAX_PARAMS.saturating_sub(1)
    )
}

/// The whole rule: the grammar, no name reserved for the link itself (any case), and no name
/// twice (ECMA-262 lookaheads and a back-reference, as JSON Schema's patterns allow).
pub fn url_params_pattern() -> String {
    let name = class_of(|c| is_valid_name(c.encode_utf8(&mut [0; 4])), 0x7f);
    let reserved: String = RESERVED_PREFIX
        .chars()
        .map(|c| {
            if c.is_ascii_alphabetic() {
                format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase())
            } else {
                escaped(c)
            }
        })
        .collect();
    let piece_start = "&?(?:[^&]*&)*";
    let grammar = url_params_grammar();
    let grammar = grammar.strip_prefix('^').unwrap_or(&grammar);
    format!("^(?!{piece_start}{reserved})(?!{piece_start}({name}+)=[^&]*&(?:[^&]*&)*\\1=){grammar}")
}

pub fn url_params(description: &str) -> Schema {
    let rules = format!(
        "`name=value` pairs joined by `&` (after an optional leading `&`), at most {MAX_PARAMS} \
         and {MAX_PARAMS_TEXT} characters; names of letters, digits, `_`, `.` and `-`, each once, \
         none starting with `{RESERVED_PREFIX}` in any case; values without control characters, \
         `&` or `%` but in escapes of printable ASCII (`%26`, `%25`), other characters as \
         themselves. With a campaign, its own parameters come first and count too. This is the \
         form to send; the server also takes what the Share dialog forgives (a name without `=`, \
         spaces around a name, a `%` that starts no escape, escapes of other UTF-8)"
    );
    string()
        .description(Some(format!("{description}: {rules}")))
        .pattern(Some(url_params_pattern()))
        .max_length(Some(MAX_PARAMS_TEXT))
        .into()
}

/// `schema`, or null (a JSON `null` the server reads as absent).
pub fn or_null(schema: Schema) -> Schema {
    match schema {
        Schema::Object(mut object) => {
            if let SchemaType::Type(own) = object.schema_type {
                object.schema_type = SchemaType::from_iter([own, Type::Null]);
            }
            Schema::Object(object)
        }
        other => other,
    }
}

/// A batch's rows: each row's parameters.
pub fn batch_rows() -> Schema {
    ArrayBuilder::new()
        .description(Some("Each row's URL parameters: a link per row"))
        .items(utoipa::openapi::schema::ArrayItems::RefOrSchema(Box::new(
            url_params("A row's URL parameters").into(),
        )))
        .min_items(Some(1))
        .max_items(Some(MAX_BATCH_ROWS))
        .into()
}

pub fn boolean(description: &str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .description(Some(description))
        .into()
}

/// A parameter of a call, in `place`.
pub fn parameter(
    name: &str,
    place: ParameterIn,
    required: bool,
    description: &str,
    schema: Schema,
) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(place)
        .required(if required {
            Required::True
        } else {
            Required::False
        })
        .description(Some(description))
        .schema(Some(schema))
        .build()
}

/// A regex character class of the characters below `end` that `keep` holds, runs as ranges.
fn class_of(keep: impl Fn(char) -> bool, end: u32) -> String {
    format!("[{}]", class_body(keep, end))
}

fn class_body(keep: impl Fn(char) -> bool, end: u32) -> String {
    let kept: Vec<char> = (0..end)
        .filter_map(char::from_u32)
        .filter(|&c| keep(c))
        .collect();
    let mut body = String::new();
    let mut dash = false;
    let mut i = 0;
    while i < kept.len() {
        let start = kept[i];
        let mut last = start;
        while i + 1 < kept.len() && u32::from(kept[i + 1]) == u32::from(last) + 1 {
            i += 1;
            last = kept[i];
        }
        i += 1;
        if start == last && start == '-' {
            // A lone `-` goes last, where it cannot mean a range.
            dash = true;
        } else if u32::from(last) - u32::from(start) >= 2 {
            body.push_str(&format!("{}-{}", escaped(start), escaped(last)));
        } else {
            for c in (u32::from(start)..=u32::from(last)).filter_map(char::from_u32) {
                if c == '-' {
                    dash = true;
                } else {
                    body.push_str(&escaped(c));
                }
            }
        }
    }
    if dash {
        body.push('-');
    }
    body
}

/// A character as a regex writes it literally, inside or outside a class.
fn escaped(c: char) -> String {
    match c {
        '\\' | ']' | '[' | '^' | '-' | '.' | '*' | '+' | '?' | '(' | ')' | '{' | '}' | '|'
        | '$' | '/' => format!("\\{c}"),
        c if c.is_ascii_graphic() => c.to_string(),
        c => format!("\\u{:04X}", u32::from(c)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::params::{ParamError, UrlParams};
    use app::domain::FlowSlug;
    use proptest::prelude::*;

    fn matches(pattern: &str, text: &str) -> bool {
        regex::Regex::new(pattern).expect("a regex").is_match(text)
    }

    #[test]
    fn classes_are_asked_of_the_parsers_own_checks() {
        assert_eq!(
            class_of(|c| is_valid_name(c.encode_utf8(&mut [0; 4])), 0x7f),
            "[\\.0-9A-Z_a-z-]"
        );
        assert_eq!(idempotency_key_pattern(), "^[!-~]+$");
        assert_eq!(
            class_body(char::is_control, 0xa0),
            "\\u0000-\\u001F\\u007F-\\u009F"
        );
        // Nothing past U+009F is a control character, so the class above is all of them.
        assert!((0xa0..=0x10_ffff)
            .filter_map(char::from_u32)
            .all(|c| !c.is_control()));
    }

    #[test]
    fn a_link_id_is_22_base64url_characters_ending_in_one_of_four() {
        assert_eq!(link_id_pattern(), "^[A-Za-z0-9_-]{21}[AQgw]$");
        assert_eq!(cursor_pattern(), "^[A-Za-z0-9_-]{24}$");
    }

    /// Texts near the rules' edges: mostly of the alphabets the rules are about.
    fn near_misses(alphabet: &'static str, max: usize) -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::collection::vec(
                proptest::sample::select(alphabet.chars().collect::<Vec<_>>()),
                0..max
            )
            .prop_map(|chars| chars.into_iter().collect()),
            ".{0,40}",
        ]
    }

    proptest! {
        #[test]
        fn the_slug_pattern_is_what_a_slug_parses(
            text in prop_oneof![near_misses("ab9-", 90), "[a-z0-9]{1,40}(-[a-z0-9]{1,40}){0,2}"]
        ) {
            let documented = matches(SLUG_PATTERN, &text) && text.chars().count() <= MAX_SLUG_LEN;
            prop_assert_eq!(documented, FlowSlug::parse(&text).is_ok(), "{:?}", text);
        }

        #[test]
        fn the_link_id_pattern_is_what_a_link_id_parses(
            text in prop_oneof![near_misses("aA0_-Qgw=+/", 24), "[A-Za-z0-9_-]{21}[A-Za-z0-9_-]"]
        ) {
            prop_assert_eq!(
                matches(&link_id_pattern(), &text),
                LinkId::parse(&text).is_ok(),
                "{:?}", text
            );
        }

        #[test]
        fn the_idempotency_key_pattern_is_what_a_key_may_be(text in near_misses("a~ \t!", 260)) {
            // What HTTP cannot carry, or loses (white space around a value), is not a question.
            let Ok(value) = http::HeaderValue::from_str(&text) else { return Ok(()) };
            prop_assume!(text.trim() == text);
            let mut headers = http::HeaderMap::new();
            headers.insert("idempotency-key", value);
            let documented = matches(&idempotency_key_pattern(), &text)
                && text.chars().count() <= MAX_KEY_CHARS;
            let accepted = super::super::idempotency::requested_key(&headers).is_ok();
            prop_assert_eq!(documented, accepted, "{:?}", text);
        }

        /// Every text of the documented grammar within `maxLength` is accepted, except where it
        /// breaks one of the two rules the pattern adds to the grammar.
        #[test]
        fn documented_url_parameters_are_accepted(text in url_params_grammar_text()) {
            prop_assume!(text.chars().count() <= MAX_PARAMS_TEXT);
            match UrlParams::parse(&text) {
                Ok(_) | Err(ParamError::Duplicate(_)) | Err(ParamError::Reserved(_)) => {}
                Err(err) => prop_assert!(false, "{text:?} refused: {err}"),
            }
        }
    }

    fn url_params_grammar_text() -> impl Strategy<Value = String> {
        // Generation takes no anchors; the grammar is anchored at both ends.
        let grammar = url_params_grammar();
        let unanchored = grammar
            .strip_prefix('^')
            .and_then(|g| g.strip_suffix('$'))
            .expect("anchored at both ends");
        proptest::string::string_regex(unanchored).expect("the grammar is a regex")
    }

    #[test]
    fn the_grammar_is_the_whole_pattern_without_its_two_lookaheads() {
        let pattern = url_params_pattern();
        assert!(
            pattern.starts_with("^(?!&?(?:[^&]*&)*[fF][sS]_)(?!"),
            "{pattern}"
        );
        assert!(pattern.ends_with(&url_params_grammar()[1..]), "{pattern}");
        assert!(pattern.contains(&format!("{{0,{}}}", MAX_PARAMS - 1)));
    }
}
