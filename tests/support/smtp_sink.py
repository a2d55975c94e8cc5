"""A real SMTP server for the tests (aiosmtpd), writing each mail it accepts as a JSON file.

    python smtp_sink.py --dir DIR [--port N] [--delay SECONDS]

Prints "READY <port>" once it listens. Each accepted message becomes DIR/<n>.json with its
envelope, decoded headers and text/HTML parts, written atomically (tmp file, then rename), so a
reader never sees half a mail. --delay holds every DATA command that long before accepting, like
a slow provider.
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import os
import signal
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, directory, delay):
        self.directory = directory
        self.delay = delay
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = {"text/plain": None, "text/html": None}
        for part in message.walk():
            kind = part.get_content_type()
            if kind in parts and parts[kind] is None:
                parts[kind] = part.get_content()
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "from": str(message["From"]),
            "to": str(message["To"]),
            "subject": str(message["Subject"]),
            "message_id": str(message["Message-ID"]),
            "date": str(message["Date"]),
            "multipart": message.get_content_type(),
            "text": parts["text/plain"],
            "html": parts["text/html"],
        }
        n = next(self.counter)
        path = os.path.join(self.directory, f"{n:06d}.json")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, path)
        return "250 Message accepted for delivery"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    port = args.port
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

    controller = Controller(Sink(args.dir, args.delay), hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    print(f"READY {port}", flush=True)

    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        controller.stop()
    sys.exit(0)


if __name__ == "__main__":
    main()
