# Shared by run.sh and test.sh: installs what the project needs, idempotently, on Debian.
# Each step checks first, so a second run does nothing and takes seconds.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

CARGO_LEPTOS_VERSION=0.3.11
# Must equal the wasm-bindgen crate pinned in Cargo.toml.
WASM_BINDGEN_VERSION=0.2.130
# Prebuilt copies of the two tools above, if this machine has them (saves a 20-minute build).
PREBUILT_TOOLS="${MADBLOG_PREBUILT_TOOLS:-$ROOT/../shared/tools}"

# Each line says how long the script has run, so a slow step shows in any log (CI's included).
say() { printf '\033[1;34m==>\033[0m [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    echo "need root (or sudo) to run: $*" >&2; return 1
  fi
}

APT_UPDATED=""
apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing Debian packages: ${missing[*]}"
  if [ -z "$APT_UPDATED" ]; then as_root apt-get update -qq; APT_UPDATED=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

ensure_rust() {
  command -v cargo >/dev/null || { echo "Rust is missing: install rustup from https://rustup.rs" >&2; exit 1; }
  command -v cc >/dev/null || apt_install build-essential
  command -v pkg-config >/dev/null || apt_install pkg-config
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    say "adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

# Installs a cargo tool at an exact version: from the prebuilt copy when there is one, else from
# the Rust package registry.
ensure_tool() {
  local bin="$1" version="$2" crate="$3" probe
  probe="$("$bin" --version 2>/dev/null || true)"
  case "$probe" in *" $version"*) return 0 ;; esac
  local cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
  local prebuilt="$PREBUILT_TOOLS/$bin-$version-x86_64-linux-gnu.gz"
  if [ "$(uname -m)" = x86_64 ] && [ -f "$prebuilt" ]; then
    say "installing $bin $version (prebuilt)"
    gunzip -c "$prebuilt" > "$cargo_bin/$bin" && chmod +x "$cargo_bin/$bin"
    return 0
  fi
  say "building $bin $version from the Rust package registry (this takes a while, once)"
  if [ "$crate" = cargo-leptos ]; then
    # cargo-leptos $version needs a newer rustc than some stable toolchains; nightly always works.
    if rustc --version | awk '{split($2,v,"."); exit !(v[1]>1 || v[2]>=96)}'; then
      cargo install "$crate" --version "$version" --locked
    else
      rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
      cargo +nightly install "$crate" --version "$version" --locked
    fi
  else
    # wasm-bindgen-cli's lock file pins a crate version the registry no longer has: no --locked.
    cargo install "$crate" --version "$version"
  fi
}

ensure_node_packages() {
  command -v npm >/dev/null || apt_install nodejs npm
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    say "installing npm packages (Playwright, binaryen's wasm-opt)"
    # Playwright's browser download can't work offline; tests use Debian's Chromium.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
  # Debian's own wasm-opt (binaryen 108) silently breaks release bundles: npm's comes first.
  export PATH="$ROOT/node_modules/.bin:$PATH"
}

ensure_build_tools() {
  ensure_rust
  # The browser bundle rebuilds the standard library (see build_bundle).
  if ! rustup component list --installed | grep -q '^rust-src'; then
    say "adding the rust-src component (the bundle rebuilds std)"
    rustup component add rust-src
  fi
  ensure_tool cargo-leptos "$CARGO_LEPTOS_VERSION" cargo-leptos
  ensure_tool wasm-bindgen "$WASM_BINDGEN_VERSION" wasm-bindgen-cli
  ensure_node_packages
}

# The tests' SMTP server (aiosmtpd) lives in a virtualenv of the project's own.
ensure_smtp_sink() {
  command -v python3 >/dev/null || apt_install python3
  # The SMTP tests make a CA and a server certificate for the sink's TLS.
  command -v openssl >/dev/null || apt_install openssl
  if [ ! -x .venv/bin/python ]; then
    python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
    say "creating .venv for the test SMTP server"
    python3 -m venv .venv
  fi
  # dkim (dkimpy) and nacl (PyNaCl) check the mails' DKIM signatures; a .venv made before they
  # were needed lacks them.
  if ! .venv/bin/python -c 'import aiosmtpd, dkim, nacl' 2>/dev/null; then
    say "installing aiosmtpd, dkimpy and PyNaCl into .venv"
    .venv/bin/pip install -q -r tests/support/requirements.txt
  fi
}

# The browser bundle, release, split into a chunk per page and precompressed: target/site/pkg, and
# target/release/hash.txt naming its files. The standard library is rebuilt for it with panics that
# abort at once (no message formatting) and no source locations: 20 KB (brotli) less to download,
# for panic messages the browser's console no longer shows (a panic stops the page either way).
# Those are unstable options of this same stable compiler, hence RUSTC_BOOTSTRAP, for this build
# only. See the README's "The bundle's budget". A RUSTFLAGS in the caller's environment would win
# over the target's flags below and silently drop them (measured: 17 KB more brotli), so it is
# left out of this build.
build_bundle() {
  env -u RUSTFLAGS RUSTC_BOOTSTRAP=1 \
  CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="--cfg erase_components -Zunstable-options -Cpanic=immediate-abort -Zlocation-detail=none" \
    cargo leptos build --release --split --precompress --frontend-only \
      --lib-cargo-args="-Zbuild-std=std,panic_abort"
}

# What to ship: the bundle above and the release server binary (target/release/madblog).
build_release() {
  build_bundle
  cargo leptos build --release --server-only
}
