//! Text the framework writes into the page unescaped on the server, escaped here once. Leptos 0.8
//! (tachys 0.2.19) writes the children of `<textarea>` (and `<noscript>`, `<script>`, `<style>`)
//! and leptos_meta's `<Title text>` as they are; every page goes through these two instead.

use leptos::prelude::*;

/// `text` as it must stand inside an element whose content the server writes raw: `<`, `>` and
/// `&` become entities, which the browser reads back as the characters (textarea and title are
/// text-only elements, so an entity is the only markup they understand).
///
/// In the browser a text node is set, never parsed as HTML, so the text passes as it is there.
pub fn raw_text(text: &str) -> String {
    #[cfg(feature = "ssr")]
    {
        html_escape::encode_text(text).into_owned()
    }
    #[cfg(not(feature = "ssr"))]
    {
        text.to_owned()
    }
}

/// The page's `<title>` (leptos_meta's `Title`, which writes its text raw on the server).
#[component]
pub fn PageTitle(#[prop(into)] text: String) -> impl IntoView {
    view! { <leptos_meta::Title text=raw_text(&text)/> }
}

/// A multi-line text field holding `value` when the page is served, escaped (see [`raw_text`]).
#[component]
pub fn TextArea(
    #[prop(into)] id: String,
    #[prop(into)] name: String,
    #[prop(into)] value: String,
    #[prop(default = "3")] rows: &'static str,
    #[prop(optional)] maxlength: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
) -> impl IntoView {
    view! { <textarea id=id name=name rows=rows maxlength=maxlength placeholder=placeholder>{raw_text(&value)}</textarea> }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn what_would_end_the_element_is_written_as_entities() {
        assert_eq!(
            raw_text("</textarea><script>x()</script> & </title>"),
            "&lt;/textarea&gt;&lt;script&gt;x()&lt;/script&gt; &amp; &lt;/title&gt;"
        );
        assert_eq!(raw_text("plain \"text\" 'here'"), "plain \"text\" 'here'");
    }

    /// The framework writes these raw: were it fixed upstream, this test says the helper can go.
    #[test]
    fn the_framework_still_writes_textarea_children_raw() {
        let html = view! { <textarea>{"</textarea>"}</textarea> }.to_html();
        assert!(html.contains("</textarea></textarea>"), "{html}");
        let safe = view! { <TextArea id="t" name="t" value="</textarea><b>"/> }.to_html();
        assert!(safe.contains("&lt;/textarea&gt;&lt;b&gt;"), "{safe}");
    }

    /// Every page's title and every served textarea go through this module: a page that used the
    /// framework's own directly would bring the hole back.
    #[test]
    fn no_page_writes_a_title_or_textarea_content_past_this_module() {
        let folder = concat!(env!("CARGO_MANIFEST_DIR"), "/src/ui");
        let mut read = 0;
        for entry in std::fs::read_dir(folder).expect("the ui folder") {
            let path = entry.expect("an entry").path();
            if path.file_name().is_some_and(|n| n == "raw_text.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).expect("a source file");
            read += 1;
            let name = path.display();
            assert!(
                !source.contains("<Title text") && !source.contains("leptos_meta::Title;"),
                "{name}: use PageTitle"
            );
            // The other elements written raw, and markup set by hand, have no place in a page.
            for raw in ["<noscript", "<script", "<style", "inner_html="] {
                assert!(!source.contains(raw), "{name}: {raw}");
            }
            // A textarea written directly may only be empty (its value set as a property).
            for (at, _) in source.match_indices("<textarea") {
                let element = &source[at..];
                let end = element.find("</textarea>").unwrap_or(element.len());
                let opening_end = element.find('>').unwrap_or(0);
                assert_eq!(
                    opening_end + 1,
                    end,
                    "{name}: a textarea with content: use TextArea"
                );
            }
        }
        assert!(read > 10, "the pages were read");
    }
}
