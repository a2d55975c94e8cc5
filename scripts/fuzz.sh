#!/usr/bin/env bash
# Runs every cargo-fuzz target under fuzz/ for a bounded time and fails if one finds a crash: the
# replay of fuzz/regressions/<target>/ first, then the committed corpus plus whatever it finds.
#
#   scripts/fuzz.sh [SECONDS]         each target for SECONDS (default 30); new finds go to a
#                                     temporary directory, so a test run leaves the checkout clean
#   scripts/fuzz.sh --grow [SECONDS]  by hand: new finds go into fuzz/corpus/<target>/, which is then
#                                     minimised (cargo fuzz cmin), ready to commit
#   scripts/fuzz.sh --build-only      only build the targets (the test command does it early, in the
#                                     background, while the tests leave cores idle)
#
# FUZZ_JOBS targets run at once (default: one per core; each target is one process).
source "$(dirname "$0")/lib.sh"

usage() { echo "usage: scripts/fuzz.sh [--grow | --build-only] [seconds-per-target]" >&2; exit 2; }
GROW=""
BUILD_ONLY=""
SECONDS_PER_TARGET=30
for arg in "$@"; do
  case "$arg" in
    --grow) GROW=1 ;;
    --build-only) BUILD_ONLY=1 ;;
    '' | *[!0-9]*) usage ;;
    *) SECONDS_PER_TARGET="$arg" ;;
  esac
done
JOBS="${FUZZ_JOBS:-$(nproc)}"

# The test run builds the targets with the machine's own stable toolchain and the flags cargo fuzz
# would pass (below): no nightly toolchain to download and no cargo-fuzz to compile, about 4 of a
# cold CI run's minutes. Only --grow, by hand, uses cargo fuzz itself (for `cmin`).
#   no sanitizer: the code under test is safe Rust, and what the targets look for (panics, failed
#     asserts, timeouts) needs none. AddressSanitizer, measured on a 2-core machine with the same
#     profile, made the cold build 12 min instead of 8 (22 CPU-minutes instead of 15) and ran 2.6
#     (parsers) to 6.5 (tokens) times fewer inputs a second: 1 200 instead of 7 700 for the token
#     targets.
#   release: optimised; debug assertions and overflow checks come from fuzz/Cargo.toml's profile
#     (not -Cdebug-assertions for every crate, which would also slow the common-password list's
#     lookup a hundredfold: see there).
#   16 codegen units: the app crate is the last, biggest step of the build; 16 units let both
#     cores compile it, for a few per cent fewer executions per second.
HOST="$(rustc -vV | sed -n 's/^host: //p')"
# What cargo-fuzz 0.13 passes with --sanitizer none: libFuzzer's coverage instrumentation, the
# `fuzzing` cfg, dead code kept (libFuzzer's tables name it) and stack depth tracking on Linux.
# With --target given, these reach the targets' crates and not build scripts or proc macros.
SANCOV_FLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cllvm-args=-sanitizer-coverage-stack-depth \
--cfg fuzzing -Clink-dead-code -Ccodegen-units=16"
FUZZ_BUILD=(--sanitizer none --release --codegen-units 16)
# test.sh exports the app's RUSTFLAGS: not for these (every change of flags rebuilds everything).
unset RUSTFLAGS
# libfuzzer-sys compiles libFuzzer, which is C++.
command -v c++ >/dev/null || apt_install g++

if [ -n "$GROW" ]; then
  if ! rustup toolchain list | grep -q '^nightly'; then
    say "installing the nightly toolchain (cargo fuzz cmin needs it)"
    rustup toolchain install nightly --profile minimal
  fi
  if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz from the Rust package registry (once)"
    cargo install cargo-fuzz --locked
  fi
fi

say "building the fuzz targets (fuzz/target)"
build_started=$SECONDS
RUSTFLAGS="$SANCOV_FLAGS" cargo build --manifest-path fuzz/Cargo.toml --release --bins --target "$HOST"
say "built in $((SECONDS - build_started)) s"
BIN_DIR="fuzz/target/$HOST/release"
[ -z "$BUILD_ONLY" ] || exit 0

mapfile -t TARGETS < <(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -vx madblog-fuzz)
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT

files_in() { find "$1" -type f | wc -l; }
bytes_in() { find "$1" -type f -printf '%s\n' | awk '{ n += $1 } END { print n + 0 }'; }

# One target: replay, fuzz, (with --grow) minimise. Writes its summary row to $SCRATCH/<target>.row
# and, when it fails, why and the end of libFuzzer's report to $SCRATCH/<target>.failed.
fuzz_one() {
  local target="$1" bin="$BIN_DIR/$1" corpus="fuzz/corpus/$1" regressions="fuzz/regressions/$1"
  local artifacts="fuzz/artifacts/$1" log="$SCRATCH/$1.log" failed="$SCRATCH/$1.failed"
  mkdir -p "$corpus" "$artifacts"

  # Inputs that once failed: each must pass now. One run each, since libFuzzer stops at the first.
  local input
  for input in "$regressions"/*; do
    [ -f "$input" ] || continue
    if ! "$bin" "$input" >"$log" 2>&1; then
      { echo "$target: the saved regression $input fails:"; grep -A 3 'panicked at' "$log"; } >>"$failed"
    fi
  done

  # libFuzzer adds new inputs to the first directory it is given and only reads the others.
  local dirs=("$corpus") found=-
  if [ -z "$GROW" ]; then
    dirs=("$SCRATCH/$target.new" "$corpus")
    mkdir -p "${dirs[0]}"
  fi
  local started=$SECONDS
  # -timeout: one input running for seconds is a bug (the token targets promise bounded time).
  if ! "$bin" -max_total_time="$SECONDS_PER_TARGET" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "${dirs[@]}" >"$log" 2>&1; then
    { echo "$target: found a crash, saved in $artifacts/:"; grep -v '^ *at \|^ *[0-9]*: ' "$log" | tail -n 40; } >>"$failed"
  fi
  local ran=$((SECONDS - started))
  local execs per_sec
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")"
  per_sec="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")"
  [ -n "$GROW" ] || found="$(files_in "${dirs[0]}")"

  if [ -n "$GROW" ]; then
    if ! cargo +nightly fuzz cmin "${FUZZ_BUILD[@]}" "$target" >"$log" 2>&1; then
      { echo "$target: cargo fuzz cmin failed:"; tail -n 20 "$log"; } >>"$failed"
    fi
  fi
  printf '%-15s %5ss %11s %9s %6s %6s %9s\n' "$target" "$ran" "${execs:-?}" "${per_sec:-?}" \
    "$found" "$(files_in "$corpus")" "$(bytes_in "$corpus")" >"$SCRATCH/$target.row"
}

say "fuzzing ${#TARGETS[@]} targets for $SECONDS_PER_TARGET s each, $JOBS at a time"
for target in "${TARGETS[@]}"; do
  while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do wait -n || true; done
  fuzz_one "$target" &
done
wait

say "fuzzing summary"
printf '%-15s %6s %11s %9s %6s %6s %9s\n' target ran execs exec/s new files bytes
for target in "${TARGETS[@]}"; do
  cat "$SCRATCH/$target.row" 2>/dev/null || echo "$target: its job died" | tee -a "$SCRATCH/$target.failed"
done
echo "(new: inputs found this run and not kept, - with --grow; files, bytes: fuzz/corpus/<target>)"
failures=("$SCRATCH"/*.failed)
if [ -e "${failures[0]}" ]; then
  cat "${failures[@]}" >&2
  echo "fuzzing FAILED: $(basename -s .failed "${failures[@]}" | xargs)" >&2
  exit 1
fi
