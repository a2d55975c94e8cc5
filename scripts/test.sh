#!/usr/bin/env bash
# Runs every check and test: formatting, the bundle's size budget, clippy (server and browser), unit
# and integration tests on SQLite and on PostgreSQL, the multi-server tests (two servers, one
# PostgreSQL, nginx in front), and the Playwright end-to-end tests in Chromium. The browser bundle
# is the release build, split into chunks as shipped; one debug build of the server is shared by
# the tests and the browser's server; only the short run of every fuzz target (scripts/fuzz.sh) has
# a build of its own (instrumented for libFuzzer).
source "$(dirname "$0")/lib.sh"
ensure_build_tools
ensure_smtp_sink
# A CJK font, or Chromium draws Chinese as empty boxes (the screenshots, and what axe measures).
apt_install chromium fonts-wqy-microhei postgresql nginx

# --- PostgreSQL: a local cluster and a role that may create the per-test databases ---------------
PG_VERSION="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
[ -n "$PG_VERSION" ] || { echo "PostgreSQL is not installed" >&2; exit 1; }
if ! pg_lsclusters -h | awk '$4=="online"' | grep -q .; then
  say "starting PostgreSQL $PG_VERSION"
  as_root pg_ctlcluster "$PG_VERSION" main start
fi
pg() { as_root su postgres -c "psql -v ON_ERROR_STOP=1 -qAt -c \"$1\""; }
for _ in $(seq 1 30); do pg "SELECT 1" >/dev/null 2>&1 && break; sleep 1; done
pg "SELECT 1 FROM pg_roles WHERE rolname = 'madblog_test'" | grep -q 1 \
  || pg "CREATE ROLE madblog_test LOGIN CREATEDB PASSWORD 'madblog_test'"
# Databases left by earlier runs.
for db in $(pg "SELECT datname FROM pg_database WHERE datname LIKE 'madblog\_test\_%'"); do
  pg "DROP DATABASE IF EXISTS $db" >/dev/null
done
export TEST_POSTGRES_URL="postgres://madblog_test:madblog_test@127.0.0.1:5432/postgres"

# A full disk or a stopped PostgreSQL fails every test after it, and the tests' own output can't
# say so: when a step fails, show both.
on_failure() {
  echo "--- when the step failed: disk, PostgreSQL, the end of its log ---" >&2
  df -h "$ROOT" /var/lib/postgresql /tmp >&2 2>/dev/null || true
  pg_lsclusters >&2 2>/dev/null || true
  tail -n 15 /var/log/postgresql/postgresql-"$PG_VERSION"-main.log >&2 2>/dev/null || true
}
trap on_failure ERR
say "disk: $(df -h --output=avail "$ROOT" | tail -1 | tr -d ' ') free"

say "cargo fmt --check"
cargo fmt --all -- --check

say "building the browser bundle (release, a chunk per page, precompressed)"
build_bundle
say "the bundle's size budget"
python3 scripts/bundle_size.py

# The same cfg as every build (.cargo/config.toml), so the server, the tests and clippy share one
# set of compiled dependencies.
export RUSTFLAGS="--cfg erase_components"
say "building the server (debug)"
cargo build --features ssr --bin madblog

say "clippy: server (ssr) and browser (hydrate)"
cargo clippy --features ssr --all-targets -- -D warnings
cargo clippy --lib --target wasm32-unknown-unknown --features hydrate -- -D warnings

# The fuzz targets' build (about 6 minutes of both cores cold, its own target dir and lock file)
# runs beside the tests at the lowest priority: the database and browser tests leave cores idle
# while they wait, and it takes only those, so it is done or nearly by the time fuzzing starts.
say "building the fuzz targets in the background (nice 19; log in target/fuzz-build.log)"
mkdir -p target
# Its own session, so a failed step can end the build with its whole process group. With autogroup
# scheduling (most Linux kernels) a new session is a new scheduling group, and nice ranks processes
# only within their group: without the group's own nice the build took an equal half of the CPU
# and slowed the tests by minutes.
setsid sh -c 'echo 19 > /proc/self/autogroup 2>/dev/null; exec nice -n 19 ./scripts/fuzz.sh --build-only' \
  >target/fuzz-build.log 2>&1 &
FUZZ_BUILD_PID=$!
trap 'kill -- -"$FUZZ_BUILD_PID" 2>/dev/null || true' EXIT

say "unit and integration tests on SQLite"
cargo test --features ssr

say "integration tests on PostgreSQL"
TEST_DATABASE_URL="$TEST_POSTGRES_URL" cargo test --features ssr --test api

say "multi-server tests: two servers on one PostgreSQL behind nginx (deploy/nginx.conf)"
TEST_DATABASE_URL="$TEST_POSTGRES_URL" cargo test --features ssr --test api multi_server -- --ignored

say "end-to-end tests in Chromium"
MADBLOG_BIN="$ROOT/target/debug/madblog" MADBLOG_HASH_FILE="$ROOT/target/release/hash.txt" npx playwright test -c end2end/playwright.config.ts

# Last, once its background build is done (5 GB of disk in fuzz/target).
say "fuzzing: waiting for the targets' build"
if ! wait "$FUZZ_BUILD_PID"; then
  tail -n 40 target/fuzz-build.log >&2
  echo "building the fuzz targets FAILED (whole log: target/fuzz-build.log)" >&2
  exit 1
fi
tail -n 1 target/fuzz-build.log
say "fuzzing: each target for 30 s"
./scripts/fuzz.sh 30

say "all checks and tests passed"
