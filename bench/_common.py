"""What the benchmarks share: ports, percentiles, the SMTP server and the app, seeding, tokens, wrk."""

import base64
import hashlib
import hmac
import json
import os
import re
import socket
import sqlite3
import subprocess
import tempfile
import time
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(samples, p):
    ordered = sorted(samples)
    return ordered[max(0, min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1))))]


def start_sink(mail_dir, delay=0.0):
    """The tests' real SMTP server; returns (process, port)."""
    python = os.path.join(ROOT, ".venv/bin/python")
    sink = subprocess.Popen(
        [python, os.path.join(ROOT, "tests/support/smtp_sink.py"), "--dir", mail_dir, "--delay", str(delay)],
        stdout=subprocess.PIPE, text=True)
    return sink, int(sink.stdout.readline().split()[1])


def start_server(binary, data_dir, smtp_port, extra_env=None):
    """The app on a free port with its own data directory; returns (process, base URL)."""
    port = free_port()
    env = {
        "PATH": os.environ["PATH"], "DATA_DIR": data_dir, "LEPTOS_SITE_ADDR": f"127.0.0.1:{port}",
        "SECRET_KEY": "b" * 48, "APP_URL": f"http://127.0.0.1:{port}", "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port), "MAIL_SENDER": "Madblog <no-reply@madblog.test>", "RUST_LOG": "warn",
        # Benchmarks register thousands of accounts and log in thousands of times from one address;
        # the limits are tested elsewhere.
        "REGISTRATIONS_PER_IP": "100000000",
        "PASSWORD_HASHES_PER_IP": "100000000",
        **(extra_env or {}),
    }
    server = subprocess.Popen([binary], cwd=ROOT, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.05)
    return server, base


def rss_mb(pid, field="VmRSS"):
    """Resident memory of a process in MiB: now (VmRSS) or its highest so far (VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return float("nan")


SECRET = "b" * 48  # what start_server gives the app

# A real argon2id hash would cost a hash per row to make; rows that are never logged into get this
# well-formed one, which no password matches.
UNUSABLE_HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def jwt(typ, claims):
    """A token as the app mints it: HS256 with the key derived from SECRET_KEY for this type."""
    key = hmac.new(SECRET.encode(), f"madblog/jwt/{typ}/v1".encode(), hashlib.sha256).digest()
    head = b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    body = b64(json.dumps({**claims, "typ": typ}).encode())
    sig = hmac.new(key, f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(sig)}"


def accounts(n, prefix="bench", password_hash=UNUSABLE_HASH, confirmed=False):
    """(users row, session token, confirmation token) for n new accounts named <prefix><i>. Each
    account has one session, whose id is the account's (see session_rows)."""
    now = int(time.time())
    for i in range(n):
        uid, name = str(uuid.uuid4()), f"{prefix}{i}"
        email = f"{name}@example.com"
        row = (uid, name, name, email, email, password_hash, int(confirmed), 1, now, now)
        session = jwt("session", {"sub": uid, "sid": uid, "name": name, "confirmed": confirmed, "ver": 1,
                                  "iat": now, "exp": now + 3600})
        confirm = jwt("confirm", {"sub": uid, "email": email, "iat": now, "exp": now + 3600})
        yield row, session, confirm


INSERT = ("INSERT INTO users (id, username, username_key, email, email_key, password_hash, confirmed, "
          "session_version, created_at, last_seen) VALUES ")


SESSIONS_INSERT = "INSERT INTO sessions (id, user_id, created_at, last_seen, ip, user_agent) VALUES "


def session_rows(rows):
    """The session row behind each account's token from accounts(): a token names its row (sid)."""
    return [(r[0], r[0], r[8], r[9], "127.0.0.1", "bench") for r in rows]


def seed_sqlite(db_file, rows):
    con = sqlite3.connect(db_file, timeout=30)
    con.executemany(INSERT + "(?,?,?,?,?,?,?,?,?,?)", rows)
    con.executemany(SESSIONS_INSERT + "(?,?,?,?,?,?)", session_rows(rows))
    con.commit()
    con.close()


def wrk(base, seconds, lua, script_args, threads, connections):
    """Runs wrk with a Lua script; returns req/s, p50 and p99 in ms, non-2xx count and total requests."""
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(lua)
    script.close()
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, base, "--",
         *script_args], capture_output=True, text=True, check=True).stdout
    os.unlink(script.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))

    def ms(label):
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)\b", out).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))
    return {"rate": rate, "p50": ms("50"), "p99": ms("99"), "errors": int(bad.group(1)) if bad else 0,
            "requests": total}


def queue_backlog(db_file, mails):
    """`mails` confirmation mails due now, queued in one transaction, as a backlog after an SMTP
    outage would be."""
    now = int(time.time())
    con = sqlite3.connect(db_file, timeout=30)
    con.executemany(
        "INSERT INTO outbox (id, kind, user_id, recipient, subject, body_text, body_html, created_at, attempts, "
        "next_attempt_at) VALUES (?, 'confirm', NULL, ?, 'Confirm Your Account', ?, ?, ?, 0, ?)",
        [(f"drain-{i}", f"drain{i}@example.com", "text body " * 40, "<p>html body</p>" * 40, now, now)
         for i in range(mails)])
    con.commit()
    con.close()
