"""What the benchmarks share: ports, percentiles, and starting the SMTP server and the app."""

import os
import socket
import subprocess
import time
import urllib.request

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
