//! A file an admin picked in a file input, read in the browser (a campaign's CSV, a preview
//! image): the pages' scripts send its content to a server function, which checks it again.

use wasm_bindgen::JsCast;

/// The file picked in the input that fired `ev`, if one was. The input is cleared, so the same
/// file can be picked again after fixing it.
pub fn picked(ev: &leptos::ev::Event) -> Option<web_sys::File> {
    let input = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())?;
    let file = input.files().and_then(|files| files.get(0))?;
    input.set_value("");
    Some(file)
}

/// The file's bytes; `None` when the browser could not read it.
pub async fn bytes(file: &web_sys::File) -> Option<Vec<u8>> {
    let buffer = wasm_bindgen_futures::JsFuture::from(file.array_buffer())
        .await
        .ok()?;
    Some(js_sys::Uint8Array::new(&buffer).to_vec())
}
