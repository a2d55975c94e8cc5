"""A real SMTP server for the tests (aiosmtpd), writing each mail it accepts as a JSON file.

    python smtp_sink.py --dir DIR [--port N] [--delay SECONDS]
                        [--tls {starttls,require-starttls,implicit} --cert PEM --key PEM]
                        [--auth USER:PASSWORD [--auth-in-clear]]
                        [--refuse-mail-from | --greet-421]

Prints "READY <port>" once it listens. Each accepted message becomes DIR/<n>.json with its
envelope, decoded headers and text/HTML parts, and how it came (the client's port, so mails sent
over one connection can be told apart; the TLS version; the user it logged in as), written
atomically (tmp file, then rename), so a reader never sees half a mail; the message's bytes as they
came are in DIR/<n>.eml (`raw_file`). Numbering goes on after the
files already in DIR, so a restarted sink adds to them. --delay holds every DATA command that long
before accepting, like a slow provider. --tls offers STARTTLS (optionally refusing mail without
it) or speaks TLS from the first byte; --auth offers AUTH PLAIN/LOGIN (over TLS only, unless
--auth-in-clear: a local relay, or a man in the middle who strips STARTTLS and takes the login)
and accepts only this user and password.

Like a receiving server, it answers RCPT per recipient, by the address's local part: `bounce…`
gets `550 5.1.1` (no such mailbox), `bare550…` a 550 without an enhanced code, `greylist…` a
`451 4.7.1` (try later), `policy…` a `554 5.7.1` (our IP blocklisted); anything else is accepted.
Every RCPT it answers is appended to DIR/rcpt.log as `<address> <code>`, so a test can count the
attempts that never became a mail.

Two modes play a relay that fails the conversation itself, for the fallback relay's tests:
--refuse-mail-from answers every MAIL FROM with `553 5.7.1` (a relay that won't send as us), and
--greet-421 answers every connection with a `421 4.3.2` greeting and hangs up (a relay shutting
down or overloaded). Each appends a line to DIR/refused.log, so a test can tell it was asked.
"""

import argparse
import asyncio
import email
import email.policy
import itertools
import json
import logging
import os
import signal
import ssl
import sys

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, directory, delay):
        self.directory = directory
        self.delay = delay
        already = [f for f in os.listdir(directory) if f.endswith(".json")]
        self.counter = itertools.count(len(already) + 1)

    REFUSALS = {
        "bounce": "550 5.1.1 <{}>: Recipient address rejected: User unknown in virtual mailbox table",
        "bare550": "550 Requested action not taken: mailbox unavailable",
        "greylist": "451 4.7.1 <{}>: Recipient address rejected: Greylisted, please try again later",
        "policy": "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using zen.example.org",
    }

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.split("@", 1)[0].lower()
        reply = next((r.format(address) for prefix, r in self.REFUSALS.items() if local.startswith(prefix)), None)
        with open(os.path.join(self.directory, "rcpt.log"), "a", encoding="utf-8") as log:
            log.write(f"{address} {reply[:3] if reply else 250}\n")
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def refused(self, what):
        with open(os.path.join(self.directory, "refused.log"), "a", encoding="utf-8") as log:
            log.write(f"{what}\n")

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        tls = server.transport.get_extra_info("ssl_object")
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
            "auto_submitted": message["Auto-Submitted"] and str(message["Auto-Submitted"]),
            "multipart": message.get_content_type(),
            "text": parts["text/plain"],
            "html": parts["text/html"],
            "peer_port": session.peer[1],
            "tls": tls.version() if tls else None,
            "auth_user": session.auth_data if session.authenticated else None,
        }
        n = next(self.counter)
        # The message as it came, byte for byte (a DKIM check needs it), before its JSON appears.
        record["raw_file"] = f"{n:06d}.eml"
        with open(os.path.join(self.directory, record["raw_file"]), "wb") as f:
            f.write(envelope.original_content)
        path = os.path.join(self.directory, f"{n:06d}.json")
        tmp = path + ".tmp"
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(record, f)
        os.replace(tmp, path)
        return "250 Message accepted for delivery"


class RefusingSender(Sink):
    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        self.refused(f"MAIL FROM {address}")
        return f"553 5.7.1 <{address}>: Sender address rejected: not owned by user"


async def greet_421(sink, reader, writer):
    sink.refused("421 greeting")
    writer.write(b"421 4.3.2 Service not available, closing transmission channel\r\n")
    await writer.drain()
    writer.close()


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and auth_data == (user.encode(), password.encode())
        # handled=False: aiosmtpd answers a failure with 535 itself.
        return AuthResult(success=ok, handled=False, auth_data=user if ok else None)

    return check


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--tls", choices=["starttls", "require-starttls", "implicit"])
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth")
    parser.add_argument("--auth-in-clear", action="store_true")
    failing = parser.add_mutually_exclusive_group()
    failing.add_argument("--refuse-mail-from", action="store_true")
    failing.add_argument("--greet-421", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    port = args.port
    if port == 0:
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]

    options = {}
    if args.tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        if args.tls == "implicit":
            options["ssl_context"] = context
            # aiosmtpd only counts STARTTLS as encryption; this connection is TLS throughout.
            options["auth_require_tls"] = False
        else:
            options["tls_context"] = context
            options["require_starttls"] = args.tls == "require-starttls"
    if args.auth:
        options["authenticator"] = authenticator(*args.auth.split(":", 1))
        if args.auth_in_clear:
            options["auth_require_tls"] = False
        # aiosmtpd warns about its own use of a deprecated attribute after each login.
        logging.getLogger("mail.log").setLevel(logging.ERROR)

    sink = (RefusingSender if args.refuse_mail_from else Sink)(args.dir, args.delay)
    loop = asyncio.new_event_loop()
    if args.greet_421:
        # No SMTP at all past the greeting: a plain listener on the event loop below.
        handler = lambda reader, writer: greet_421(sink, reader, writer)  # noqa: E731
        listener = loop.run_until_complete(asyncio.start_server(handler, "127.0.0.1", port))
        controller = None
    else:
        controller = Controller(sink, hostname="127.0.0.1", port=port, ready_timeout=10, **options)
        controller.start()
    print(f"READY {port}", flush=True)

    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        if controller:
            controller.stop()
        else:
            listener.close()
    sys.exit(0)


if __name__ == "__main__":
    main()
