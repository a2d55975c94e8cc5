"""Registration latency while the SMTP server takes 2 s per mail, against the cost of one hash.

    python bench/register_slow_smtp.py [--bin target/release/madblog] [--n 200] [--smtp-delay 2]

Starts a real SMTP server (tests/support/smtp_sink.py) that holds every mail --smtp-delay seconds,
and the release binary on a fresh SQLite database; registers --n accounts one at a time and then
--n more eight at a time; waits until every confirmation mail has arrived. Prints latency figures,
their ratio to one argon2 hash (`madblog hash-timing`), mail drain time and the server's memory.
Figures, not assertions: the machine is shared, so read them with the load in mind.
"""

import argparse
import concurrent.futures
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

from _common import ROOT, percentile, rss_mb, start_server, start_sink


def post_json(url, body):
    data = json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
    return status, (time.perf_counter() - start) * 1000


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--smtp-delay", type=float, default=2.0)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="madblog-bench-")
    mail_dir = os.path.join(tmp, "smtp")
    sink, smtp_port = start_sink(mail_dir, args.smtp_delay)

    hash_line = subprocess.run([args.bin, "hash-timing"], capture_output=True, text=True, cwd=ROOT,
                               env={**os.environ, "DATA_DIR": tmp}).stdout.strip()
    hash_p50 = float(hash_line.split("p50 ")[1].split(" ms")[0])

    server, base = start_server(args.bin, tmp, smtp_port)
    idle_rss = rss_mb(server.pid)

    def register(i, tag):
        return post_json(base + "/api/users", {"username": f"{tag}{i}", "email": f"{tag}{i}@example.com",
                                               "password": "a benchmark passphrase"})

    for i in range(5):
        register(i, "warm")
    results = {}
    start = time.perf_counter()
    sequential = [register(i, "seq") for i in range(args.n)]
    results["concurrency 1"] = (sequential, time.perf_counter() - start)
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(lambda i: register(i, "par"), range(args.n)))
    results["concurrency 8"] = (parallel, time.perf_counter() - start)
    # Same requests for addresses that already have accounts: the answer must not tell them apart.
    start = time.perf_counter()
    taken = [post_json(base + "/api/users", {"username": f"again{i}", "email": f"seq{i}@example.com",
                                             "password": "a benchmark passphrase"}) for i in range(args.n)]
    results["taken address"] = (taken, time.perf_counter() - start)
    peak_rss = rss_mb(server.pid)

    # Confirmation mails, plus one "someone tried to register" notice per taken address.
    expected = 3 * args.n + 5
    drain_start = time.perf_counter()
    while len([f for f in os.listdir(mail_dir) if f.endswith(".json")]) < expected:
        if time.perf_counter() - drain_start > 600:
            break
        time.sleep(0.2)
    delivered = len([f for f in os.listdir(mail_dir) if f.endswith(".json")])
    drain = time.perf_counter() - drain_start

    print(f"\nRegistration (POST /api/users) with every mail held {args.smtp_delay:g} s by the SMTP server")
    print(f"one argon2id hash on this machine: {hash_line}")
    print(f"{'load':<14} {'n':>4} {'req/s':>7} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'p99/hash':>9}  statuses")
    for label, (rows, wall) in results.items():
        lat = [ms for _, ms in rows]
        statuses = sorted({s for s, _ in rows})
        p99 = percentile(lat, 99)
        print(f"{label:<14} {len(rows):>4} {len(rows) / wall:>7.1f} {statistics.median(lat):>8.1f} {p99:>8.1f} "
              f"{max(lat):>8.1f} {p99 / hash_p50:>9.2f}  {statuses}")
    new, dup = [ms for _, ms in results["concurrency 1"][0]], [ms for _, ms in results["taken address"][0]]
    print(f"new vs taken address, one at a time: p50 {statistics.median(new):.1f} vs {statistics.median(dup):.1f} ms "
          f"(ratio {statistics.median(dup) / statistics.median(new):.2f}), p99 {percentile(new, 99):.1f} vs "
          f"{percentile(dup, 99):.1f} ms; statuses {sorted({s for s, _ in results['concurrency 1'][0]})} vs "
          f"{sorted({s for s, _ in results['taken address'][0]})}")
    print(f"mails delivered: {delivered}/{expected}; the last arrived {drain:.1f} s after the last answer "
          f"(8 SMTP connections x {args.smtp_delay:g} s per mail)")
    print(f"server RSS: idle {idle_rss:.1f} MB, after the load {peak_rss:.1f} MB")

    server.terminate()
    sink.terminate()
    server.wait()
    sink.wait()
    return 0 if delivered == expected else 1


if __name__ == "__main__":
    sys.exit(main())
