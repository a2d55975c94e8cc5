"""Reset-request answer times for addresses with and without an account, in one run.

    python bench/reset_request_timing.py [--bin target/release/madblog] [--n 200]

Seeds --n confirmed-or-not accounts, then sends --n reset requests for known addresses and --n for
unknown ones, interleaved (known, unknown, known, …) so both see the same machine, one at a time.
Prints median and p99 of each and their ratio. The answers must be identical; the timings should
be within noise, because the lookup and the mail happen after the answer.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request

from _common import ROOT, percentile, start_server, start_sink


def post(url, body):
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, text, (time.perf_counter() - start) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="madblog-bench-")
    sink, smtp_port = start_sink(os.path.join(tmp, "smtp"))
    # One client sends all of it: lift the per-address flood limit for the measurement.
    server, base = start_server(args.bin, tmp, smtp_port, {"RESET_REQUESTS_PER_IP": "100000"})

    for i in range(args.n):
        post(base + "/api/users", {"username": f"known{i}", "email": f"known{i}@example.com", "password": "a benchmark passphrase"})
    for i in range(10):  # warm up both paths
        post(base + "/api/reset-password-request", {"email": f"warm{i}@example.com"})
    known, unknown, answers = [], [], set()
    for i in range(args.n):
        s, t, ms = post(base + "/api/reset-password-request", {"email": f"known{i}@example.com"})
        known.append(ms)
        answers.add((s, t))
        s, t, ms = post(base + "/api/reset-password-request", {"email": f"nobody{i}@example.com"})
        unknown.append(ms)
        answers.add((s, t))

    time.sleep(2)
    mails = len(os.listdir(os.path.join(tmp, "smtp")))
    print(f"\nPOST /api/reset-password-request, {args.n} known and {args.n} unknown addresses, interleaved, one at a time")
    print(f"{'addresses':<10} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for label, rows in (("known", known), ("unknown", unknown)):
        print(f"{label:<10} {statistics.median(rows):>10.2f} {percentile(rows, 99):>8.2f} {max(rows):>8.2f}")
    print(f"ratio known/unknown: median {statistics.median(known) / statistics.median(unknown):.2f}, "
          f"p99 {percentile(known, 99) / percentile(unknown, 99):.2f}")
    print(f"distinct answers (status, body): {len(answers)}; mails received: {mails} "
          f"({args.n} confirmations + up to {args.n} reset mails)")
    server.terminate()
    sink.terminate()
    server.wait()
    sink.wait()
    return 0 if len(answers) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
