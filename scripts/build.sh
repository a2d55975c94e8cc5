#!/usr/bin/env bash
# Builds what to ship (see the README): the browser bundle (release, a chunk per page, precompressed)
# in target/site, and the release server binary with target/release/hash.txt beside it.
source "$(dirname "$0")/lib.sh"
ensure_build_tools
build_release
python3 scripts/bundle_size.py
