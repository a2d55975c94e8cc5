//! The browser bundle as a CDN would serve it: content-hashed file names (cargo-leptos
//! `hash-files`), cached for a year, precompressed brotli or gzip when the browser accepts it and
//! the build made them (`cargo leptos build --release --precompress`), and HTML that is always
//! revalidated.

use axum::{
    Router,
    http::{HeaderValue, header},
    response::Response,
};
use leptos::config::LeptosOptions;
use std::{path::PathBuf, sync::OnceLock};
use tower_http::{services::ServeDir, set_header::SetResponseHeaderLayer};

/// What `hash.txt` says (`js: …`, `wasm: …`, `css: …`), read once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Hashes {
    css: Option<String>,
}

/// Where leptos looks for the hash file: beside the running binary (an absolute `hash_file`
/// replaces that, since `join` keeps an absolute path as it is).
fn hash_file(options: &LeptosOptions) -> PathBuf {
    let beside_binary =
        std::env::current_exe().ok().and_then(|exe| exe.parent().map(PathBuf::from)).unwrap_or_default();
    beside_binary.join(options.hash_file.as_ref())
}

fn parse(text: &str) -> Hashes {
    let css = text.lines().find_map(|line| {
        let (file, hash) = line.split_once(':')?;
        (file.trim() == "css").then(|| hash.trim().to_owned())
    });
    Hashes { css }
}

fn hashes(options: &LeptosOptions) -> &'static Hashes {
    static HASHES: OnceLock<Hashes> = OnceLock::new();
    HASHES.get_or_init(|| {
        if !options.hash_files {
            return Hashes::default();
        }
        let path = hash_file(options);
        match std::fs::read_to_string(&path) {
            Ok(text) => parse(&text),
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "hash-files is on but the hash file can't be read: pages will ask for unhashed file names");
                Hashes::default()
            }
        }
    })
}

/// The stylesheet's URL, hashed like the script and the WASM that leptos names itself.
pub fn stylesheet_href(options: &LeptosOptions) -> String {
    match &hashes(options).css {
        Some(hash) => format!("/{}/{}.{hash}.css", options.site_pkg_dir, options.output_name),
        None => format!("/{}/{}.css", options.site_pkg_dir, options.output_name),
    }
}

/// `/pkg/…`: the bundle, precompressed variants preferred (`Vary: Accept-Encoding` follows), cached
/// for a year when the names carry hashes (a new build is a new URL), revalidated otherwise.
pub fn bundle_routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = PathBuf::from(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let cache = if options.hash_files {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("no-cache")
    };
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new().nest_service(
        &format!("/{}", options.site_pkg_dir),
        tower::ServiceBuilder::new()
            .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, cache))
            // Caches between here and the browser must keep one copy per encoding.
            .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")))
            .service(files),
    )
}

/// Pages are rendered per request and carry the session's view: browsers must ask again every
/// time (they may still keep a copy to revalidate).
pub async fn html_no_cache(mut response: Response) -> Response {
    let is_html = response.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_css_hash_from_cargo_leptos_hash_file() {
        let hashes = parse("js: t4zjaXv547YIAbuGLzgItA\nwasm: SHQJXLjYAfDbLBU5sJKuog\ncss: Fk2MMXLEcye9TqaD44bUEg\n");
        assert_eq!(hashes.css.as_deref(), Some("Fk2MMXLEcye9TqaD44bUEg"));
        assert_eq!(parse("js: x\n").css, None);
    }
}
