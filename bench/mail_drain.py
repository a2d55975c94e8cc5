"""The outbox drain with DKIM signing off, with an RSA 2048 key and with an Ed25519 key: a backlog of
mails queued in one transaction (as after an SMTP outage), and the time until the worker has sent
them all to a real SMTP server, on the release binary with SQLite.

    python bench/mail_drain.py [--bin target/release/madblog] [--mails 2000] [--runs 2]

Prints, per setting and run, mails per second and the server's CPU time per mail (user + system,
from /proc: the cost signing adds, whatever the SMTP server's own pace), and the ratio of each
signed drain to the unsigned one. Figures, not verdicts: the machine is shared, and the test SMTP
server (Python) is likely the slower end of the pipe, so the CPU per mail is the figure to compare.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

from _common import ROOT, queue_backlog, start_server, start_sink

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 of the line; 12 and 13 after the command's ")".
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def make_key(tmp, kind):
    path = os.path.join(tmp, f"dkim-{kind}.pem")
    if kind == "rsa":
        args = ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", path]
    else:
        args = ["openssl", "genpkey", "-algorithm", "ed25519", "-out", path]
    subprocess.run(args, check=True, capture_output=True)
    return path


def pending(db):
    con = sqlite3.connect(db, timeout=30)
    try:
        (n,) = con.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()
        return n
    finally:
        con.close()


def drain(binary, mails, key):
    tmp = tempfile.mkdtemp(prefix="madblog-drain-")
    db = os.path.join(tmp, "madblog.db")
    sink, smtp_port = start_sink(os.path.join(tmp, "mail"))
    extra = {}
    if key:
        extra = {"MAIL_DKIM_DOMAIN": "madblog.test", "MAIL_DKIM_SELECTOR": "bench", "MAIL_DKIM_KEY_FILE": key}
    server, _ = start_server(binary, tmp, smtp_port, extra)
    try:
        time.sleep(1)
        queue_backlog(db, mails)
        cpu_before = cpu_seconds(server.pid)
        started = time.perf_counter()
        while pending(db) > 0:
            if time.perf_counter() - started > 900:
                sys.exit("the outbox did not drain in 15 minutes")
            time.sleep(0.1)
        took = time.perf_counter() - started
        cpu = cpu_seconds(server.pid) - cpu_before
        sent = len([f for f in os.listdir(os.path.join(tmp, "mail")) if f.endswith(".eml")])
        return mails / took, cpu * 1000 / mails, sent
    finally:
        server.terminate()
        server.wait()
        sink.terminate()
        sink.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--mails", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=2)
    args = ap.parse_args()
    keys_dir = tempfile.mkdtemp(prefix="madblog-dkim-keys-")
    settings = [("DKIM off", None), ("DKIM RSA 2048", make_key(keys_dir, "rsa")),
                ("DKIM Ed25519", make_key(keys_dir, "ed25519"))]
    best = {}
    # Interleaved, so a slow minute on the shared machine lands on every setting alike.
    for run in range(1, args.runs + 1):
        for name, key in settings:
            rate, cpu_ms, sent = drain(args.bin, args.mails, key)
            print(f"run {run}  {name:<14} {args.mails} mails: {rate:6.0f} mails/s, server CPU {cpu_ms:.2f} ms/mail"
                  f" ({sent} at the SMTP server)", flush=True)
            prev = best.get(name)
            best[name] = (max(rate, prev[0]), min(cpu_ms, prev[1])) if prev else (rate, cpu_ms)
    off_rate, off_cpu = best["DKIM off"]
    print("\nbest of the runs:")
    for name, _ in settings:
        rate, cpu_ms = best[name]
        print(f"  {name:<14} {rate:6.0f} mails/s ({rate / off_rate:.2f} of unsigned), "
              f"CPU {cpu_ms:.2f} ms/mail (+{cpu_ms - off_cpu:.2f} ms against unsigned)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
