"""Bytes on the wire for a first and a repeat visit to /login, and time until it is hydrated in
headless Chromium (median of 10 cold visits), against the release build.

    python bench/first_visit.py [--bin target/release/madblog] [--runs 10]

The release bundle must be built with --precompress (scripts/bench.sh does), so the wasm, js and
css go out brotli-compressed as they would in production.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

from _common import ROOT, start_server, start_sink


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="madblog-bench-")
    sink, smtp_port = start_sink(os.path.join(tmp, "mail"))
    server, base = start_server(args.bin, tmp, smtp_port)
    try:
        out = subprocess.run(["node", os.path.join(ROOT, "bench/first_visit.mjs"), base, str(args.runs)], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    finally:
        server.terminate()
        server.wait()
        sink.terminate()
    r = json.loads(out.strip().splitlines()[-1])
    print(f"/login hydrated after {r['hydrated_ms_median']:.0f} ms (median of {r['runs']} cold visits; "
          f"min {r['hydrated_ms_min']:.0f}, max {r['hydrated_ms_max']:.0f})")
    print(f"first visit: {r['first_visit_bytes']} bytes on the wire (headers included)")
    for path, size in r["first_visit_files"].items():
        print(f"  {size:>8}  {path}")
    print(f"repeat visit: {r['repeat_visit_bytes']} bytes")
    for path, size in r["repeat_visit_files"].items():
        print(f"  {size:>8}  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
