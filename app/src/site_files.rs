//! The build's static files as pages link to them: under their content-hashed names when the
//! build hashed them (`hash-files`), as `hash.txt` beside the server's binary lists them (lines
//! like `css: UvZaW9xz…`). The file is read once per process: a build does not change under a
//! running binary, and pages are rendered on every request.

use leptos::config::LeptosOptions;
use std::sync::OnceLock;

/// The build's content hashes by kind (`css`, `js`, `wasm`); none when it did not hash its files.
pub fn hashes(options: &LeptosOptions) -> &'static [(String, String)] {
    static HASHES: OnceLock<Vec<(String, String)>> = OnceLock::new();
    HASHES.get_or_init(|| {
        let listed = options
            .hash_files
            .then(|| {
                let exe = std::env::current_exe().ok()?;
                std::fs::read_to_string(exe.parent()?.join(&*options.hash_file)).ok()
            })
            .flatten()
            .unwrap_or_default();
        parse(&listed)
    })
}

fn parse(listed: &str) -> Vec<(String, String)> {
    listed
        .lines()
        .filter_map(|line| {
            let (kind, hash) = line.split_once(':')?;
            let hash = hash.trim();
            (!hash.is_empty()).then(|| (kind.trim().to_owned(), hash.to_owned()))
        })
        .collect()
}

/// The style sheet's address, under its hashed name when the build hashed it.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    let (pkg, name) = (&options.site_pkg_dir, &options.output_name);
    match hashes(options).iter().find(|(kind, _)| kind == "css") {
        Some((_, hash)) => format!("/{pkg}/{name}.{hash}.css"),
        None => format!("/{pkg}/{name}.css"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hash_file_is_read_line_by_line() {
        assert_eq!(
            parse("js: aaa\nwasm: bbb\ncss: ccc\n\nbroken line\nempty:\n"),
            [
                ("js".to_owned(), "aaa".to_owned()),
                ("wasm".to_owned(), "bbb".to_owned()),
                ("css".to_owned(), "ccc".to_owned()),
            ]
        );
    }
}
