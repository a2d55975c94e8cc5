#!/usr/bin/env python3
"""The bundle's size budget, checked after a release build (`cargo leptos build --release --split
--precompress`): what a first visit to /login or /register downloads of WebAssembly, brotli, must
stay within 200 KB. Sizes are deterministic, so unlike times this can fail a test run.

A first visit downloads the main module only: every other page is a chunk of its own, fetched when
the page is first opened (end2end/tests/bundle.spec.ts checks that on the wire). Prints the main
module, each page's chunks, and the budget; exits 1 when the main module is over it.

    scripts/bundle_size.py [target/site/pkg] [target/release/hash.txt]
"""
import json
import pathlib
import sys

BUDGET = 200_000  # bytes, brotli: the README's "≤ 200 KB"

pkg = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/site/pkg")
hash_file = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "target/release/hash.txt")
hashes = dict(line.split(": ", 1) for line in hash_file.read_text().splitlines() if ": " in line)


def brotli_size(stem: str) -> int:
    path = pkg / f"{stem}.wasm.br"
    if not path.exists():
        sys.exit(f"{path} is missing: build with `cargo leptos build --release --split --precompress`")
    return path.stat().st_size


main = brotli_size(f"madblog.{hashes['wasm'].strip()}")
manifest_name = hashes.get("manifest")
pages = {}
if manifest_name:
    manifest = json.loads((pkg / f"__wasm_split_manifest.{manifest_name.strip()}.json").read_text())
    for split, chunks in manifest.items():
        page = split.strip("_").split("_route_view")[0].replace("_", "-")
        pages[page] = sum(brotli_size(chunk) for chunk in chunks)

print(f"first visit (/login, /register): main module {main:,} B brotli, budget {BUDGET:,} B", end="")
print(f" ({'within' if main <= BUDGET else 'OVER'} by {abs(BUDGET - main):,} B)")
for page, size in sorted(pages.items()):
    print(f"  {page:24s} + {size:7,} B of chunks when first opened")
print(f"BUDGET first_visit_wasm_brotli_bytes {main}")
if main > BUDGET:
    sys.exit(1)
