#!/usr/bin/env bash
# Builds (release) and serves Madblog at http://127.0.0.1:3000 on its embedded defaults: SQLite in
# data/, a generated development secret, the dev mailbox. Settings: see .env.example.
source "$(dirname "$0")/lib.sh"
ensure_build_tools
say "building and serving on http://${LEPTOS_SITE_ADDR:-127.0.0.1:3000} (Ctrl-C stops)"
build_bundle
exec cargo leptos serve --release --server-only
