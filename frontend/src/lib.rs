//! The browser entry point: hydrates the interactive islands of the server-rendered pages.
//! Everything else lives in `app`; this crate only exists to be compiled to wasm.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    app::keep_islands_linked();
    leptos::mount::hydrate_islands();
    // Lets browser tests (and curious people) tell a hydrated page from a server-rendered one.
    if let Some(window) = web_sys::window() {
        let _ = js_sys::Reflect::set(&window, &"__flowshare_hydrated".into(), &true.into());
    }
}
