//! `Leptos.toml` (read by the server) and `Cargo.toml` (read by cargo-leptos) must agree on the keys
//! they share, or the server would look for the bundle where the build didn't put it.

fn metadata(file: &str) -> toml::Table {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("reading {file}: {e}"));
    let doc: toml::Table = text.parse().unwrap_or_else(|e| panic!("parsing {file}: {e}"));
    doc["package"]["metadata"]["leptos"].as_table().expect("[package.metadata.leptos]").clone()
}

#[test]
fn leptos_toml_agrees_with_cargo_toml_on_shared_keys() {
    let cargo = metadata("Cargo.toml");
    let runtime = metadata("Leptos.toml");
    for key in ["output-name", "site-root", "site-pkg-dir", "site-addr", "reload-port", "hash-files"] {
        assert!(runtime.contains_key(key), "Leptos.toml lacks {key}");
        assert_eq!(cargo.get(key), runtime.get(key), "{key} differs between Cargo.toml and Leptos.toml");
    }
}
