#!/usr/bin/env bash
# Benchmarks (figures and ratios, no pass/fail thresholds): builds the release and runs every
# script in bench/ against it, then ends with the budget table (each figure, its target, ✓ or ✗).
# Not part of the test command: these machines are shared and timings are noisy, so numbers are
# read, not asserted (the bundle's size, which is deterministic, is checked by the test command).
# BENCH_POSTGRES_URL adds PostgreSQL: a database its role owns (some benchmarks migrate into it;
# PostgreSQL 15 gives a role no rights on `public` in a database it doesn't own), from which the
# others create databases of their own, e.g. postgres://madblog_test:…@127.0.0.1:5432/madblog_bench.
source "$(dirname "$0")/lib.sh"
ensure_build_tools
ensure_smtp_sink
apt_install wrk chromium
LOG="$(mktemp)"
{
  say "building the release (the bundle, split and precompressed, and the server)"
  build_release
  say "the bundle's size budget"
  python3 scripts/bundle_size.py || true
  say "bench/limits_cost.rs: the database-held rate limits, per statement"
  BENCH_POSTGRES_URL="${BENCH_POSTGRES_URL:-}" cargo bench --features ssr --bench limits_cost
  for bench in bench/[!_]*.py; do
    say "$bench"
    BENCH_POSTGRES_URL="${BENCH_POSTGRES_URL:-}" .venv/bin/python "$bench"
  done
} 2>&1 | tee "$LOG"
# Each figure beside its target, so a regression shows the day it lands.
say "the budgets"
python3 bench/_budget.py < "$LOG"
rm -f "$LOG"
