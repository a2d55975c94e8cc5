//! The bundle as a CDN would serve it: precompressed variants by `Accept-Encoding`, a year of
//! caching for names that are their content's hash (and only those), and pages that are always
//! revalidated.

use crate::helpers::spawn_app;
use axum::{body::Body, http::Request};
use tower::ServiceExt;

/// The hash cargo-leptos puts in a file's name: MD5, base64url without padding.
fn hash_of(content: &[u8]) -> String {
    use base64::Engine;
    use md5::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(md5::Md5::digest(content))
}

/// A site whose `madblog.<hash>.wasm` (and its precompressed copies) is named by its content, and
/// whose `madblog.<hash>.js` is not: rewritten after it was named, as cargo-leptos does with
/// `--split`.
fn site(hash_files: bool) -> (tempfile::TempDir, leptos::config::LeptosOptions) {
    let dir = tempfile::tempdir().unwrap();
    let pkg = dir.path().join("pkg");
    std::fs::create_dir_all(&pkg).unwrap();
    let wasm = format!("madblog.{}.wasm", hash_of(b"raw wasm"));
    std::fs::write(pkg.join(&wasm), b"raw wasm").unwrap();
    std::fs::write(pkg.join(format!("{wasm}.br")), b"brotli wasm").unwrap();
    std::fs::write(pkg.join(format!("{wasm}.gz")), b"gzip wasm").unwrap();
    std::fs::write(pkg.join(format!("madblog.{}.js", hash_of(b"as named"))), b"rewritten since").unwrap();
    let mut options = leptos::config::get_configuration(Some("Leptos.toml")).unwrap().leptos_options;
    options.site_root = dir.path().display().to_string().into();
    options.hash_files = hash_files;
    (dir, options)
}

async fn get(options: &leptos::config::LeptosOptions, accept: &str) -> (axum::http::response::Parts, Vec<u8>) {
    get_file(options, &format!("madblog.{}.wasm", hash_of(b"raw wasm")), accept).await
}

async fn get_file(
    options: &leptos::config::LeptosOptions,
    name: &str,
    accept: &str,
) -> (axum::http::response::Parts, Vec<u8>) {
    let router: axum::Router = madblog::server::http::assets::bundle_routes(options);
    let request = Request::get(format!("/pkg/{name}")).header("accept-encoding", accept).body(Body::empty()).unwrap();
    let (parts, body) = router.oneshot(request).await.unwrap().into_parts();
    (parts, axum::body::to_bytes(body, 1 << 20).await.unwrap().to_vec())
}

#[tokio::test]
async fn the_bundle_goes_out_as_brotli_then_gzip_then_raw_and_is_cached_for_a_year() {
    let (_dir, options) = site(true);

    let (br, body) = get(&options, "gzip, deflate, br").await;
    assert_eq!((br.status.as_u16(), body.as_slice()), (200, b"brotli wasm".as_slice()));
    assert_eq!(br.headers["content-encoding"], "br");
    assert_eq!(br.headers["content-type"], "application/wasm");
    assert!(br.headers["vary"].to_str().unwrap().to_ascii_lowercase().contains("accept-encoding"));
    assert_eq!(br.headers["cache-control"], "public, max-age=31536000, immutable");

    let (gz, body) = get(&options, "gzip").await;
    assert_eq!((gz.headers["content-encoding"].to_str().unwrap(), body.as_slice()), ("gzip", b"gzip wasm".as_slice()));

    let (raw, body) = get(&options, "identity").await;
    assert!(!raw.headers.contains_key("content-encoding"));
    assert_eq!(body, b"raw wasm");
}

#[tokio::test]
async fn a_file_changed_after_it_was_named_is_revalidated_not_cached_for_a_year() {
    let (_dir, options) = site(true);
    let (parts, body) = get_file(&options, &format!("madblog.{}.js", hash_of(b"as named")), "identity").await;
    assert_eq!((parts.status.as_u16(), body.as_slice()), (200, b"rewritten since".as_slice()));
    assert_eq!(parts.headers["cache-control"], "no-cache");
    // Nor is a file that isn't there.
    let (missing, _) = get_file(&options, &format!("chunk_1.{}.wasm", hash_of(b"gone")), "identity").await;
    assert_eq!((missing.status.as_u16(), &missing.headers["cache-control"]), (404, &"no-cache".parse().unwrap()));
}

#[tokio::test]
async fn without_hashed_names_the_bundle_is_revalidated() {
    let (_dir, options) = site(false);
    let (parts, _) = get(&options, "br").await;
    assert_eq!(parts.headers["cache-control"], "no-cache");
}

#[tokio::test]
async fn pages_are_never_cached_without_asking() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/no/such/page"] {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"), "{path}");
        assert_eq!(response.headers()["cache-control"], "no-cache", "{path}");
    }
}

#[tokio::test]
async fn every_page_says_in_both_languages_that_it_needs_javascript() {
    let app = spawn_app().await;
    for path in ["/", "/login", "/register", "/reset-password-request", "/no/such/page"] {
        let html = app.client.get(app.url(path)).send().await.unwrap().text().await.unwrap();
        let noscript = html.split("<noscript>").nth(1).and_then(|rest| rest.split("</noscript>").next());
        let noscript = noscript.unwrap_or_else(|| panic!("{path}: no <noscript>"));
        for locale in madblog::i18n::Locale::ALL {
            let line = format!(r#"lang="{}">{}"#, locale.tag(), locale.text().noscript);
            assert!(noscript.contains(&line), "{path}: {} missing from {noscript}", locale.tag());
        }
        // After the app's root, so hydration (which starts at the body's first child) never meets it.
        assert!(html.find("data-hydrated").unwrap() < html.find("<noscript>").unwrap(), "{path}");
    }
}
