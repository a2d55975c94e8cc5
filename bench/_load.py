"""A small asyncio HTTP/1.1 client for the load sequences: N workers, each on its own keep-alive
connection, sending requests from a shared queue or for a time. Enough for what the benchmarks
send (JSON bodies, Basic and Bearer auth, a forwarded address), with no package beyond Python's."""

import asyncio
import base64
import json
import time
from urllib.parse import urlsplit


class Connection:
    def __init__(self, base):
        url = urlsplit(base)
        self.host, self.port = url.hostname, url.port
        self.reader = self.writer = None

    async def request(self, method, path, body=None, headers=None):
        """Sends one request and returns its status (reconnecting when the server closed)."""
        for attempt in range(2):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            data = json.dumps(body).encode() if body is not None else b""
            head = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", f"Content-Length: {len(data)}"]
            if body is not None:
                head.append("Content-Type: application/json")
            head += [f"{k}: {v}" for k, v in (headers or {}).items()]
            try:
                self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + data)
                await self.writer.drain()
                status_line = await self.reader.readline()
                if not status_line:
                    raise ConnectionResetError
                status = int(status_line.split()[1])
                length, chunked = 0, False
                while True:
                    line = (await self.reader.readline()).decode("latin-1").strip()
                    if not line:
                        break
                    name, _, value = line.partition(":")
                    if name.lower() == "content-length":
                        length = int(value)
                    elif name.lower() == "transfer-encoding" and "chunked" in value.lower():
                        chunked = True
                if chunked:
                    while True:
                        size = int((await self.reader.readline()).strip(), 16)
                        await self.reader.readexactly(size + 2)
                        if size == 0:
                            break
                else:
                    await self.reader.readexactly(length)
                return status
            except (ConnectionError, asyncio.IncompleteReadError):
                self.writer = None
                if attempt:
                    raise
        return 0


def basic(name, password):
    return {"Authorization": "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()}


async def each(base, items, make, workers=16):
    """Sends `make(item)` (method, path, body, headers) for every item, `workers` at a time; returns
    the statuses."""
    queue = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    statuses = []

    async def worker():
        conn = Connection(base)
        while not queue.empty():
            item = queue.get_nowait()
            statuses.append(await conn.request(*make(item)))

    await asyncio.gather(*(worker() for _ in range(workers)))
    return statuses


async def for_seconds(base, seconds, make, workers=16):
    """Sends `make(worker, i)` from each of `workers` connections for `seconds`; returns the statuses."""
    end = time.monotonic() + seconds
    statuses = []

    async def worker(w):
        conn, i = Connection(base), 0
        while time.monotonic() < end:
            statuses.append(await conn.request(*make(w, i)))
            i += 1

    await asyncio.gather(*(worker(w) for w in range(workers)))
    return statuses
