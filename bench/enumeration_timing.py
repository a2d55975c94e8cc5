"""Do known and unknown accounts answer alike, in what they say and in how long it takes?

    python bench/enumeration_timing.py [--bin target/release/madblog] [--n 200] [--postgres URL]

Seeds --n accounts, then asks each question --n times about a known account and --n times about an
unknown one, interleaved (known, unknown, known, …) so both see the same machine, one request at a
time:
  - register:       a new username with a taken address / with a free address
  - login:          a wrong password for an existing name / any password for a name nobody has
  - reset request:  an address with an account / without
  - reset by code:  a wrong code for an address with an account / for one without
  - email login:    asking for a sign-in code for an address with an account / without (the
                    answer carries fresh random ids, so its shape is compared: its keys, the
                    lengths of its values, and its message)
and a 64 KiB password, which must be refused before any hashing.

Prints, per question, the median and p99 of each side, the gap between the medians (the issue's
target: under 1 ms), and how many distinct (status, body) answers were seen (must be 1). Every
request comes from its own forwarded address, so the per-address limits don't get in the way;
the per-name and per-address limits are tested in tests/api, not here.
"""

import argparse
import base64
import json
import os
import statistics
import sys
import tempfile
import time
import urllib.error
import urllib.request

from _common import ROOT, percentile, start_server, start_sink

PASSWORD = "a benchmark passphrase"
counter = 0


def request(url, body=None, headers=None, method="POST"):
    """(status, body, milliseconds), from a forwarded address of its own."""
    global counter
    counter += 1
    all_headers = {"X-Forwarded-For": f"10.{counter // 65536 % 256}.{counter // 256 % 256}.{counter % 256}"}
    all_headers.update(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        all_headers["Content-Type"] = "application/json"
    req = urllib.request.Request(url, data=data, headers=all_headers, method=method)
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    return status, text, (time.perf_counter() - start) * 1000


def shape(text):
    """An answer with fresh random values in it, as its keys, its values' lengths and its message."""
    try:
        body = json.loads(text)
    except ValueError:
        return text
    return json.dumps({k: (v if k == "message" else len(v)) for k, v in body.items()}, sort_keys=True).encode()


def basic(login, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{login}:{password}".encode()).decode()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL") or None)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="madblog-bench-")
    sink, smtp_port = start_sink(os.path.join(tmp, "smtp"))
    env = {"TRUSTED_PROXIES": "127.0.0.1", "RESET_REQUESTS_PER_IP": "100000"}
    if args.postgres:
        env["DATABASE_URL"] = args.postgres
    server, base = start_server(args.bin, tmp, smtp_port, env)
    n = args.n
    run = f"{int(time.time()) % 100000}"

    for i in range(n):
        request(base + "/api/users", {"username": f"k{run}x{i}", "email": f"k{run}x{i}@example.com", "password": PASSWORD})

    questions = {
        "register": (
            lambda i: request(base + "/api/users", {"username": f"t{run}x{i}", "email": f"k{run}x{i}@example.com", "password": PASSWORD}),
            lambda i: request(base + "/api/users", {"username": f"f{run}x{i}", "email": f"f{run}x{i}@example.com", "password": PASSWORD}),
        ),
        "login": (
            lambda i: request(base + "/api/tokens", headers=basic(f"k{run}x{i}", "a wrong password")),
            lambda i: request(base + "/api/tokens", headers=basic(f"n{run}x{i}", "a wrong password")),
        ),
        "reset request": (
            lambda i: request(base + "/api/reset-password-request", {"email": f"k{run}x{i}@example.com"}),
            lambda i: request(base + "/api/reset-password-request", {"email": f"n{run}x{i}@example.com"}),
        ),
        "email login": (
            lambda i: request(base + "/api/email-login", {"email": f"k{run}x{i}@example.com"}),
            lambda i: request(base + "/api/email-login", {"email": f"n{run}x{i}@example.com"}),
        ),
        "reset by code": (
            lambda i: request(base + "/api/reset-password-code", {"email": f"k{run}x{i}@example.com", "code": "0000 0000", "password": PASSWORD + " 2"}),
            lambda i: request(base + "/api/reset-password-code", {"email": f"n{run}x{i}@example.com", "code": "0000 0000", "password": PASSWORD + " 2"}),
        ),
    }
    print(f"\n{n} known and {n} unknown accounts per question, interleaved, one request at a time"
          f" ({'PostgreSQL' if args.postgres else 'SQLite'})")
    print(f"{'question':<14} {'known median':>13} {'unknown median':>15} {'gap ms':>8} {'known p99':>10} {'unknown p99':>12} {'answers':>8}")
    worst = 0
    for name, (known_q, unknown_q) in questions.items():
        # Warm both paths up (not register's known side: it would take the names it later uses).
        for i in range(5):
            unknown_q(n + i)
            if name != "register":
                known_q(n - 1 - i)
        known, unknown, answers = [], [], set()
        for i in range(n):
            for side, q in ((known, known_q), (unknown, unknown_q)):
                status, text, ms = q(i)
                side.append(ms)
                answers.add((status, shape(text) if name == "email login" else text))
        gap = statistics.median(known) - statistics.median(unknown)
        worst = max(worst, len(answers))
        print(f"{name:<14} {statistics.median(known):>13.2f} {statistics.median(unknown):>15.2f} {gap:>+8.2f} "
              f"{percentile(known, 99):>10.2f} {percentile(unknown, 99):>12.2f} {len(answers):>8}")
        if len(answers) > 1:
            for status, text in sorted(answers)[:4]:
                print(f"    {status} {text[:120]!r}")

    huge = "p" * (64 * 1024 - 200)
    times = []
    for i in range(20):
        status, _, ms = request(base + "/api/users", {"username": f"h{run}x{i}", "email": f"h{run}x{i}@example.com", "password": huge})
        times.append(ms)
    print(f"\na 64 KiB password (just under the body limit): {status}, median {statistics.median(times):.2f} ms, "
          f"max {max(times):.2f} ms (target: under 50 ms, refused before hashing)")
    server.terminate()
    sink.terminate()
    server.wait()
    sink.wait()
    return 0 if worst == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
