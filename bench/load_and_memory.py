"""Login against the argon2 bound, /healthz under login load, memory through the heaviest load, and
the outbox drain, on the release binary with SQLite and a real SMTP server.

    python bench/load_and_memory.py [--bin target/release/madblog] [--seconds 20]
                                    [--register-seconds 45] [--login-seconds 45] [--drain 2000]

In one run, on one server:
1. RSS idle, and one argon2id hash timed by `madblog hash-timing`: the bound on logins is
   cores / hash time.
2. Login (POST /api/tokens, Basic) at concurrency 16 for --seconds, while a second wrk asks
   /healthz every 10 ms on one connection: login req/s against the bound, and /healthz p50/p99.
3. The heaviest load: registrations at concurrency 16 (each one a hash and a confirmation mail),
   logins, a flood of confirms (one distinct account each) and of reset requests.
4. RSS right after, every second for a minute, and the peak (VmHWM); what /metrics shows.
5. 2,000 mails queued in one transaction, and the time until the worker has sent them all.
Figures, not verdicts: the machine is shared.
"""

import argparse
import base64
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from _common import ROOT, accounts, rss_mb, seed_sqlite, start_server, start_sink, wrk

CONNECTIONS = 16
PASSWORD = "a bench passphrase, long enough"
METRICS_TOKEN = "bench-metrics-token-0123456789"

LUA = r"""
local mine, i, id_counter = {}, 0, 0
function setup(thread)
  thread:set("id", id_counter)
  id_counter = id_counter + 1
end
function init(args)
  _mode = args[1]
  if args[2] and args[2] ~= "" then
    local n = 0
    for line in io.lines(args[2]) do
      -- Confirm tokens are split between the threads: each account is confirmed once.
      if _mode ~= "confirm" or n % 2 == id then table.insert(mine, line) end
      n = n + 1
    end
  end
end
local function forwarded()
  local a = id * 1048576 + i
  return string.format("10.%d.%d.%d", math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
end
-- The /healthz probe asks every 10 ms, like a load balancer's check, instead of taking a core.
function delay()
  if _mode == "healthz" then return 10 end
  return 0
end
function request()
  i = i + 1
  if _mode == "login" then
    return wrk.format("POST", "/api/tokens", {["Authorization"] = "Basic " .. mine[(i % #mine) + 1]})
  elseif _mode == "healthz" then
    return wrk.format("GET", "/healthz")
  elseif _mode == "register" then
    local name = string.format("r%dx%d", id, i)
    local body = string.format('{"username":"%s","email":"%s@example.com","password":"%s"}', name, name, "%PASSWORD%")
    return wrk.format("POST", "/api/users", {["Content-Type"] = "application/json", ["X-Forwarded-For"] = forwarded()}, body)
  elseif _mode == "confirm" then
    local line = mine[i]
    if not line then return wrk.format("GET", "/healthz") end
    local session, token = line:match("([^ ]+) ([^ ]+)")
    return wrk.format("GET", "/api/confirm/" .. token, {["Authorization"] = "Bearer " .. session})
  else
    return wrk.format("POST", "/api/reset-password-request",
      {["Content-Type"] = "application/json", ["X-Forwarded-For"] = forwarded()}, '{"email":"nobody@example.com"}')
  end
end
""".replace("%PASSWORD%", PASSWORD)


def run(base, seconds, mode, data_file="", threads=2, connections=CONNECTIONS):
    return wrk(base, seconds, LUA, [mode, data_file], threads, connections)


def line(name, r):
    return (f"  {name:<22} {r['rate']:>8.0f} req/s   p50 {r['p50']:>7.2f} ms   p99 {r['p99']:>7.2f} ms   "
            f"{r['requests']} requests, non-2xx {r['errors']}")


def hash_ms(binary, env):
    out = subprocess.run([binary, "hash-timing"], cwd=ROOT, env=env, capture_output=True, text=True,
                         check=True).stdout
    return float(out.split("p50 ")[1].split(" ms")[0])


def metrics(base):
    req = urllib.request.Request(base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def pending(db):
    con = sqlite3.connect(db, timeout=30)
    (n,) = con.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL").fetchone()
    con.close()
    return n


def wait_for_empty_outbox(db, limit=600):
    deadline = time.time() + limit
    while pending(db) and time.time() < deadline:
        time.sleep(0.2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--register-seconds", type=int, default=45)
    ap.add_argument("--login-seconds", type=int, default=45)
    ap.add_argument("--drain", type=int, default=2000)
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="madblog-bench-")
    db = os.path.join(tmp, "madblog.db")
    sink, smtp_port = start_sink(os.path.join(tmp, "mail"))
    extra = {"TRUSTED_PROXIES": "127.0.0.1", "METRICS_TOKEN": METRICS_TOKEN}
    server, base = start_server(args.bin, tmp, smtp_port, extra)
    try:
        return measure(args, tmp, db, server, base)
    finally:
        server.terminate()
        server.wait()
        sink.terminate()


def measure(args, tmp, db, server, base):
    cores = os.cpu_count()
    print(f"{cores} cores; wrk -t2 -c{CONNECTIONS}; release binary {args.bin}")
    time.sleep(2)
    idle = rss_mb(server.pid)
    one_hash = hash_ms(args.bin, {"PATH": os.environ["PATH"], "DATA_DIR": tmp, "SECRET_KEY": "b" * 48})
    bound = cores * 1000 / one_hash
    print(f"RSS idle {idle:.1f} MiB; one argon2id hash {one_hash:.1f} ms -> bound {bound:.0f} logins/s")

    # One real registration gives a real hash for the login accounts (all share the password).
    body = json.dumps({"username": "hashsource", "email": "hashsource@example.com", "password": PASSWORD}).encode()
    urllib.request.urlopen(urllib.request.Request(base + "/api/users", data=body,
                                                  headers={"Content-Type": "application/json"}), timeout=30)
    con = sqlite3.connect(db, timeout=30)
    (real_hash,) = con.execute("SELECT password_hash FROM users WHERE username = 'hashsource'").fetchone()
    con.close()
    logins = list(accounts(6000, "login", real_hash, confirmed=True))
    confirms = list(accounts(60000))
    seed_sqlite(db, [row for row, _, _ in logins + confirms])
    login_file, confirm_file = os.path.join(tmp, "logins.txt"), os.path.join(tmp, "confirms.txt")
    with open(login_file, "w") as f:
        f.writelines(base64.b64encode(f"{row[1]}:{PASSWORD}".encode()).decode() + "\n" for row, _, _ in logins)
    with open(confirm_file, "w") as f:
        f.writelines(f"{s} {c}\n" for _, s, c in confirms)

    # Login saturating the hasher, with /healthz asked alongside on its own connection.
    health, login = {}, {}
    probe = threading.Thread(
        target=lambda: health.update(run(base, args.seconds - 2, "healthz", threads=1, connections=1)))
    loader = threading.Thread(target=lambda: login.update(run(base, args.seconds, "login", login_file)))
    loader.start()
    # The probe starts once the hasher is saturated and stops before the logins do.
    time.sleep(1)
    probe.start()
    probe.join()
    loader.join()
    quiet_health = run(base, 5, "healthz", threads=1, connections=1)
    print("\nLogin at concurrency 16, /healthz alongside on one connection")
    print(line("login", login))
    print(f"  login / argon2 bound   {login['rate'] / bound:.2f}")
    print(line("/healthz under login", health))
    print(line("/healthz, quiet", quiet_health))

    print("\nThe heaviest load")
    peak_during = [idle]
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            peak_during.append(rss_mb(server.pid))
            time.sleep(0.25)

    sampler = threading.Thread(target=sample)
    sampler.start()
    heavy = {
        "register": run(base, args.register_seconds, "register"),
        "login": run(base, args.login_seconds, "login", login_file),
        "confirm": run(base, args.seconds, "confirm", confirm_file),
        "reset request": run(base, args.seconds, "reset"),
    }
    sampling.set()
    sampler.join()
    for name, r in heavy.items():
        print(line(name, r))
    after = rss_mb(server.pid)
    later = []
    for _ in range(60):
        time.sleep(1)
        later.append(rss_mb(server.pid))
    print(f"  RSS: idle {idle:.1f} MiB, highest sampled {max(peak_during):.1f} MiB, VmHWM {rss_mb(server.pid, 'VmHWM'):.1f} MiB,"
          f" right after {after:.1f} MiB, 10 s later {later[9]:.1f}, 30 s later {later[29]:.1f},"
          f" 60 s later {later[59]:.1f} MiB")

    wait_for_empty_outbox(db)
    print("\n/metrics after the load (registration mails delivered):")
    for row in metrics(base).splitlines():
        if row.startswith(("madblog_outbox", "madblog_mail_sent_total", "madblog_password_hash_seconds_count",
                           "madblog_password_hash_seconds_sum")) or (
                row.startswith("madblog_http_requests_total") and "/api/users\"" in row):
            print("  " + row)

    # The outbox drain: mails queued in one transaction, as a backlog after an SMTP outage would be.
    now = int(time.time())
    con = sqlite3.connect(db, timeout=30)
    con.executemany(
        "INSERT INTO outbox (id, kind, user_id, recipient, subject, body_text, body_html, created_at, attempts, "
        "next_attempt_at) VALUES (?, 'confirm', NULL, ?, 'Confirm Your Account', ?, ?, ?, 0, ?)",
        [(f"drain-{i}", f"drain{i}@example.com", "text body " * 40, "<p>html body</p>" * 40, now, now)
         for i in range(args.drain)])
    con.commit()
    con.close()
    started = time.perf_counter()
    wait_for_empty_outbox(db)
    took = time.perf_counter() - started
    print(f"\nOutbox drain: {args.drain} mails in {took:.1f} s = {args.drain / took:.0f} mails/s "
          f"(includes up to 1 s until the worker's next poll)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
