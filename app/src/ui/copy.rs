//! A read-only field with a Copy button, for a link, its Embed code or a key's secret.

use leptos::prelude::*;

/// A read-only field with a Copy button. When the Clipboard API is refused, the text is selected
/// so the user can copy it by hand.
#[component]
pub fn CopyField(id: &'static str, label: &'static str, value: Signal<String>) -> impl IntoView {
    let copied = RwSignal::new(false);
    let field = NodeRef::<leptos::html::Textarea>::new();
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = value.get_untracked();
            leptos::task::spawn_local(async move {
                let clipboard = web_sys::window().map(|w| w.navigator().clipboard());
                let done = match clipboard {
                    Some(clipboard) => {
                        wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text))
                            .await
                            .is_ok()
                    }
                    None => false,
                };
                if done {
                    copied.set(true);
                    set_timeout(move || copied.set(false), std::time::Duration::from_secs(2));
                } else if let Some(field) = field.get_untracked() {
                    field.select();
                }
            });
        }
    };
    view! {
        <div class="field copy-field">
            <label for=id>{label}</label>
            <div class="copy-row">
                <textarea id=id node_ref=field readonly rows=if label == "Embed" { "3" } else { "2" } prop:value=move || value.get()></textarea>
                <button type="button" on:click=copy aria-label=format!("Copy {label}")>
                    {move || if copied.get() { "Copied" } else { "Copy" }}
                </button>
            </div>
        </div>
    }
}
