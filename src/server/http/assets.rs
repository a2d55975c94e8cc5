//! The browser bundle as a CDN would serve it: content-hashed file names (cargo-leptos
//! `hash-files`), cached for a year when the name really is the content's hash, precompressed
//! brotli or gzip when the browser accepts it and the build made them (`cargo leptos build
//! --release --precompress`), and HTML that is always revalidated.

use axum::{
    Router,
    extract::Request,
    http::{HeaderValue, header},
    middleware::Next,
    response::Response,
};
use leptos::config::LeptosOptions;
use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{Arc, OnceLock},
};
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
/// for a year when a file's name carries its content's hash (a new build is a new URL),
/// revalidated otherwise.
pub fn bundle_routes<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = PathBuf::from(options.site_root.as_ref()).join(options.site_pkg_dir.as_ref());
    let immutable = Arc::new(if options.hash_files { named_by_content(&dir) } else { HashSet::new() });
    let prefix = format!("/{}/", options.site_pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    Router::new()
        .nest_service(
            &format!("/{}", options.site_pkg_dir),
            tower::ServiceBuilder::new()
                // Caches between here and the browser must keep one copy per encoding.
                .layer(SetResponseHeaderLayer::appending(header::VARY, HeaderValue::from_static("accept-encoding")))
                .service(files),
        )
        .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
            let forever = request.uri().path().strip_prefix(&prefix).is_some_and(|name| immutable.contains(name));
            async move {
                let mut response = next.run(request).await;
                let cache = if forever { "public, max-age=31536000, immutable" } else { "no-cache" };
                response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                response
            }
        }))
}

/// The bundle's files whose name carries the hash of what they hold now (`name.<hash>.ext`, the
/// hash as cargo-leptos computes it: MD5, base64url without padding).
///
/// Not every hashed name does. With `--split`, cargo-leptos names the main script, the main WASM
/// and the chunk manifest, and then rewrites them to point at the loader's final name: a build
/// that changed only a chunk ships a new main script under the old name. Cached for a year, the
/// browser's old copy would ask for a loader that is gone. Those files are revalidated instead.
fn named_by_content(dir: &Path) -> HashSet<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return HashSet::new();
    };
    let (mut named, mut files) = (HashSet::new(), 0);
    for entry in entries.flatten() {
        files += 1;
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(hash) = name_hash(&name) else { continue };
        let Ok(content) = std::fs::read(entry.path()) else { continue };
        if content_hash(&content) == hash {
            named.insert(name);
        }
    }
    tracing::debug!(immutable = named.len(), files, "bundle files named by their content");
    named
}

/// The hash segment of a bundle file's name: `madblog.<22 characters>.wasm`.
fn name_hash(name: &str) -> Option<&str> {
    name.split('.')
        .find(|part| part.len() == 22 && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
}

fn content_hash(content: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(md5::Md5::digest(content))
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
    fn a_name_is_immutable_only_when_it_is_the_hash_of_what_the_file_holds() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"chunk";
        let hash = content_hash(content);
        assert_eq!(hash.len(), 22);
        std::fs::write(dir.path().join(format!("chunk_1.{hash}.wasm")), content).unwrap();
        // Named for what it held before a rewrite.
        std::fs::write(dir.path().join(format!("madblog.{hash}.js")), b"rewritten").unwrap();
        std::fs::write(dir.path().join("favicon.ico"), content).unwrap();
        let named = named_by_content(dir.path());
        assert_eq!(named, HashSet::from([format!("chunk_1.{hash}.wasm")]));
        assert_eq!(name_hash("__wasm_split_manifest.6XsTUJlbPn5XUhIWHSdqqA.json"), Some("6XsTUJlbPn5XUhIWHSdqqA"));
        assert_eq!(name_hash("madblog.d.zlDyInINW85hX6_ORCfkBQ.ts"), Some("zlDyInINW85hX6_ORCfkBQ"));
    }

    #[test]
    fn reads_the_css_hash_from_cargo_leptos_hash_file() {
        let hashes = parse("js: t4zjaXv547YIAbuGLzgItA\nwasm: SHQJXLjYAfDbLBU5sJKuog\ncss: Fk2MMXLEcye9TqaD44bUEg\n");
        assert_eq!(hashes.css.as_deref(), Some("Fk2MMXLEcye9TqaD44bUEg"));
        assert_eq!(parse("js: x\n").css, None);
    }
}
