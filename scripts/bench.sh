#!/usr/bin/env bash
# Benchmarks (figures and ratios, no pass/fail thresholds): builds the release binary and runs
# every script in bench/ against it. Not part of the test command: these machines are shared and
# timings are noisy, so numbers are read, not asserted.
source "$(dirname "$0")/lib.sh"
ensure_build_tools
ensure_smtp_sink
apt_install wrk chromium
say "building the release (the bundle, split and precompressed, and the server)"
build_release
say "the bundle's size budget"
python3 scripts/bundle_size.py
say "bench/limits_cost.rs: the database-held rate limits, per statement"
BENCH_POSTGRES_URL="${BENCH_POSTGRES_URL:-}" cargo bench --features ssr --bench limits_cost
for bench in bench/[!_]*.py; do
  say "$bench"
  BENCH_POSTGRES_URL="${BENCH_POSTGRES_URL:-}" .venv/bin/python "$bench"
done
