"""Throughput of the cheap, hot endpoints under wrk at concurrency 16, per database setting.

    python bench/http_throughput.py [--bin target/release/madblog] [--seconds 5]
                                    [--postgres postgres://user:pass@127.0.0.1:5432/postgres]

For each database (SQLite with synchronous=normal, SQLite with synchronous=full, and PostgreSQL
when --postgres names an admin URL) it starts the app, seeds unconfirmed accounts straight into
the database, mints their session and confirmation tokens with the app's key derivation (the
bench knows SECRET_KEY, as any load test of one's own deployment may), and runs wrk:

- confirm, one distinct account per request (GET /api/confirm/<token>, Bearer session);
- GET /api/users/me with one session;
- POST /api/reset-password-request, every request from its own forwarded client address
  (TRUSTED_PROXIES=127.0.0.1), so the per-address limit is exercised but never refuses.

Prints req/s, p50 and p99 for each, and the ratios between the settings. Figures, not verdicts.
"""

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid

from _common import INSERT, ROOT, SESSIONS_INSERT, accounts, seed_sqlite, session_rows, start_server, start_sink, wrk

THREADS, CONNECTIONS = 2, 16


def seed_postgres(url, rows):
    sql = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
    def values(batch):
        return ",".join("(" + ",".join(f"'{v}'" if isinstance(v, str) else str(v) for v in r) + ")" for r in batch)
    sessions = session_rows(rows)
    for start in range(0, len(rows), 1000):
        sql.write(INSERT + values(rows[start:start + 1000]) + ";\n")
        sql.write(SESSIONS_INSERT + values(sessions[start:start + 1000]) + ";\n")
    sql.close()
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", url, "-f", sql.name], check=True)
    os.unlink(sql.name)


def fresh_postgres(admin):
    name = f"madblog_bench_{uuid.uuid4().hex}"
    subprocess.run(["psql", "-q", admin, "-c", f"CREATE DATABASE {name}"], check=True)
    return admin.rsplit("/", 1)[0] + "/" + name


LUA = r"""
local lines, mine, i = {}, {}, 0
local id_counter = 0
function setup(thread)
  thread:set("id", id_counter)
  id_counter = id_counter + 1
end
function init(args)
  local mode, file = args[1], args[2]
  local n = 0
  if file and file ~= "" then
    for line in io.lines(file) do
      -- Confirm tokens are split between the threads: each account is confirmed once.
      if mode ~= "confirm" or n % %THREADS% == id then table.insert(mine, line) end
      n = n + 1
    end
  end
  _mode = mode
end
function request()
  i = i + 1
  if _mode == "confirm" then
    local line = mine[i]
    if not line then return wrk.format("GET", "/healthz") end
    local session, token = line:match("([^ ]+) ([^ ]+)")
    return wrk.format("GET", "/api/confirm/" .. token, {["Authorization"] = "Bearer " .. session})
  elseif _mode == "me" then
    return wrk.format("GET", "/api/users/me", {["Authorization"] = "Bearer " .. mine[1]})
  else
    local a = id * 65536 + i
    local addr = string.format("10.%d.%d.%d", math.floor(a / 65536) % 256, math.floor(a / 256) % 256, a % 256)
    return wrk.format("POST", "/api/reset-password-request",
      {["Content-Type"] = "application/json", ["X-Forwarded-For"] = addr}, '{"email":"nobody@example.com"}')
  end
end
""".replace("%THREADS%", str(THREADS))


def run_wrk(base, seconds, mode, data_file):
    return wrk(base, seconds, LUA, [mode, data_file or ""], THREADS, CONNECTIONS)


def measure(binary, label, env, seed, seconds, n):
    tmp = tempfile.mkdtemp(prefix="madblog-bench-")
    sink, smtp_port = start_sink(os.path.join(tmp, "mail"))
    server, base = start_server(binary, tmp, smtp_port, {"TRUSTED_PROXIES": "127.0.0.1", **env})
    try:
        data = list(accounts(n))
        seed(tmp, env, [row for row, _, _ in data])
        pairs = os.path.join(tmp, "pairs.txt")
        with open(pairs, "w") as f:
            f.writelines(f"{s} {c}\n" for _, s, c in data)
        me_file = os.path.join(tmp, "me.txt")
        with open(me_file, "w") as f:
            f.write(data[-1][1] + "\n")
        results = {
            "confirm": run_wrk(base, seconds, "confirm", pairs),
            "me": run_wrk(base, seconds, "me", me_file),
            "reset request": run_wrk(base, seconds, "reset", None),
        }
        confirmed = run_count(tmp, env)
        print(f"\n{label}  ({confirmed} accounts confirmed by the confirm run)")
        for name, r in results.items():
            print(f"  {name:<14} {r['rate']:>9.0f} req/s   p50 {r['p50']:>7.2f} ms   p99 {r['p99']:>7.2f} ms"
                  f"   non-2xx {r['errors']}")
        return results
    finally:
        server.terminate()
        server.wait()
        sink.terminate()


def run_count(tmp, env):
    query = "SELECT COUNT(*) FROM users WHERE confirmed = 1"
    if env.get("DATABASE_URL", "").startswith("postgres"):
        return int(subprocess.run(["psql", "-qAt", env["DATABASE_URL"], "-c", query], capture_output=True, text=True,
                                  check=True).stdout.strip())
    con = sqlite3.connect(os.path.join(tmp, "madblog.db"), timeout=30)
    (n,) = con.execute(query).fetchone()
    con.close()
    return n


def seed(tmp, env, rows):
    if env.get("DATABASE_URL", "").startswith("postgres"):
        seed_postgres(env["DATABASE_URL"], rows)
    else:
        seed_sqlite(os.path.join(tmp, "madblog.db"), rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/madblog"))
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--accounts", type=int, default=60000)
    ap.add_argument("--postgres", default=os.environ.get("BENCH_POSTGRES_URL", ""))
    args = ap.parse_args()
    configs = [
        ("SQLite, synchronous=normal", {"SQLITE_SYNCHRONOUS": "normal"}),
        ("SQLite, synchronous=full", {"SQLITE_SYNCHRONOUS": "full"}),
    ]
    if args.postgres:
        configs.append(("PostgreSQL", {"DATABASE_URL": fresh_postgres(args.postgres)}))
    print(f"wrk -t{THREADS} -c{CONNECTIONS} -d{args.seconds}s; {os.cpu_count()} cores")
    results = {label: measure(args.bin, label, env, seed, args.seconds, args.accounts) for label, env in configs}
    normal, full = results[configs[0][0]], results[configs[1][0]]
    print("\nnormal / full:", ", ".join(f"{k} {normal[k]['rate'] / full[k]['rate']:.1f}x" for k in normal))
    print(f"BUDGET confirm_sqlite_req_s {normal['confirm']['rate']:.0f}")
    if args.postgres:
        print(f"BUDGET confirm_postgres_req_s {results['PostgreSQL']['confirm']['rate']:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
