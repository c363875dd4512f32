"""Static server for a feedgen corpus, spread over many loopback addresses, with conditional GET.

Runs as its own process so it never shares a core's time slices or a GIL with the client being
measured. One asyncio loop, one listening socket per address (127.0.0.2 … 127.0.0.(k+1)), all on
the same port: per-host connection limits in the clients apply as they would against real hosts.

Behaviour a client can rely on:
- ``GET``/``HEAD /feeds/NNNN.xml|json``: the file, with a strong ETag (content hash) and a
  Last-Modified (the newest entry's date); ``If-None-Match`` (weak comparison, ``*``) and, when
  that is absent, ``If-Modified-Since`` answer ``304 Not Modified`` without a body.
- ``/img/…png``: a small PNG (the corpus's article images), ``/posts/…`` and anything else: 404.
- every response, 304 and 404 included, is sent ``--latency-ms`` after its request arrived;
  keep-alive and pipelined requests are served in order.
- ``/__stats`` answers at once (no latency, not counted) with the counters as JSON;
  ``/__reset`` zeroes them. The orchestrator reads them around each timed phase.

It binds loopback addresses only, prints ``READY port=P hosts=K`` on stdout when listening, and
stops on SIGTERM/SIGINT, when its parent process goes away, or after ``--max-seconds``.
"""

from __future__ import annotations

import argparse
import asyncio
import email.utils
import hashlib
import json
import os
import resource
import signal
import struct
import sys
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SERVER_NAME = "gloss-bench-feed-server"


@dataclass(frozen=True)
class StaticFile:
    path: Path
    content_type: str
    etag: str
    last_modified: str
    mtime: int
    size: int


@dataclass
class Stats:
    requests: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    feed_200: int = 0
    feed_304: int = 0
    images: int = 0
    other: int = 0
    bytes_sent: int = 0
    connections_opened: int = 0
    open_connections: int = 0
    peak_connections: int = 0
    peak_connections_per_host: int = 0
    conditional_requests: int = 0
    started: float = field(default_factory=time.monotonic)

    def as_json(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "feed_200": self.feed_200,
            "feed_304": self.feed_304,
            "images": self.images,
            "other": self.other,
            "conditional_requests": self.conditional_requests,
            "bytes_sent": self.bytes_sent,
            "connections_opened": self.connections_opened,
            "open_connections": self.open_connections,
            "peak_connections": self.peak_connections,
            "peak_connections_per_host": self.peak_connections_per_host,
            "seconds": round(time.monotonic() - self.started, 3),
        }


def _png(width: int = 16, height: int = 16) -> bytes:
    """A valid grey PNG built by hand, so the server needs no image library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = b"".join(b"\x00" + bytes([0x99]) * width for _ in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def load_files(corpus_dir: Path) -> dict[str, StaticFile]:
    manifest = json.loads((corpus_dir / "manifest.json").read_text(encoding="utf-8"))
    files: dict[str, StaticFile] = {}
    for feed in manifest["feeds"]:
        path = corpus_dir / feed["path"].lstrip("/")
        data = path.read_bytes()
        mtime = int(path.stat().st_mtime)
        files[feed["path"]] = StaticFile(
            path=path,
            content_type=feed["content_type"],
            etag='"' + hashlib.blake2b(data, digest_size=12).hexdigest() + '"',
            last_modified=email.utils.formatdate(mtime, usegmt=True),
            mtime=mtime,
            size=len(data),
        )
    return files


def _etag_matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/"x" matches "x" (RFC 9110 §13.1.2)."""
    if header.strip() == "*":
        return True
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == etag:
            return True
    return False


def _not_modified_since(header: str, mtime: int) -> bool:
    try:
        since = email.utils.parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return False
    if since is None or since.tzinfo is None:
        return False
    return mtime <= since.timestamp()


@dataclass
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    arrived: float


class FeedServer:
    def __init__(self, files: dict[str, StaticFile], latency: float) -> None:
        self.files = files
        self.latency = latency
        self.stats = Stats()
        self.per_host: Counter[str] = Counter()
        self.png = _png()
        self.png_etag = '"' + hashlib.blake2b(self.png, digest_size=12).hexdigest() + '"'

    def reset(self) -> None:
        open_now = self.stats.open_connections
        self.stats = Stats(open_connections=open_now, peak_connections=open_now)

    def respond(self, request: Request) -> tuple[int, list[tuple[str, str]], bytes, bool]:
        """Status, headers, body and whether this was a control request (not counted)."""
        path = request.target.split("?", 1)[0]
        if path.startswith("http://"):
            path = "/" + path.split("/", 3)[3] if path.count("/") >= 3 else "/"
        if path == "/__stats":
            body = json.dumps(self.stats.as_json()).encode()
            return 200, [("Content-Type", "application/json")], body, True
        if path == "/__reset":
            self.reset()
            return 200, [("Content-Type", "application/json")], b"{}", True
        stats = self.stats
        stats.requests += 1
        inm = request.headers.get("if-none-match")
        ims = request.headers.get("if-modified-since")
        if inm is not None or ims is not None:
            stats.conditional_requests += 1
        static = self.files.get(path)
        if static is not None:
            validators = [("ETag", static.etag), ("Last-Modified", static.last_modified)]
            fresh = (
                _etag_matches(inm, static.etag)
                if inm is not None
                else (ims is not None and _not_modified_since(ims, static.mtime))
            )
            if fresh:
                stats.feed_304 += 1
                return 304, validators, b"", False
            stats.feed_200 += 1
            body = b"" if request.method == "HEAD" else static.path.read_bytes()
            headers = [("Content-Type", static.content_type), *validators]
            return 200, headers, body, False
        if path.startswith("/img/") and path.endswith(".png"):
            stats.images += 1
            if inm is not None and _etag_matches(inm, self.png_etag):
                return 304, [("ETag", self.png_etag)], b"", False
            return 200, [("Content-Type", "image/png"), ("ETag", self.png_etag)], self.png, False
        stats.other += 1
        return 404, [("Content-Type", "text/plain")], b"not found\n", False


class Connection(asyncio.Protocol):
    """HTTP/1.1 keep-alive; requests are answered one after another in arrival order."""

    MAX_HEADER = 64 * 1024

    def __init__(self, server: FeedServer, host: str) -> None:
        self.server = server
        self.host = host
        self.buffer = b""
        self.busy = False
        self.closing = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        stats = self.server.stats
        stats.connections_opened += 1
        stats.open_connections += 1
        stats.peak_connections = max(stats.peak_connections, stats.open_connections)
        self.server.per_host[self.host] += 1
        stats.peak_connections_per_host = max(
            stats.peak_connections_per_host, self.server.per_host[self.host]
        )

    def connection_lost(self, exc: Exception | None) -> None:
        self.server.stats.open_connections = max(0, self.server.stats.open_connections - 1)
        self.server.per_host[self.host] -= 1
        self.closing = True

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next()

    def _next(self) -> None:
        if self.busy or self.closing or self.transport is None:
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            if len(self.buffer) > self.MAX_HEADER:
                self.transport.close()
            return
        head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            self.transport.close()
            return
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or "0")
        self.buffer = self.buffer[length:]  # GET/HEAD carry no body; drop one if sent
        request = Request(parts[0], parts[1], parts[2], headers, time.monotonic())
        self.busy = True
        if request.target.startswith("/__"):
            self._send(request)
        else:
            asyncio.get_running_loop().call_later(self.server.latency, self._send, request)

    def _send(self, request: Request) -> None:
        if self.closing or self.transport is None or self.transport.is_closing():
            return
        status, headers, body, control = self.server.respond(request)
        reason = {200: "OK", 304: "Not Modified", 404: "Not Found"}[status]
        connection = request.headers.get("connection", "").lower()
        keep_alive = (
            request.version == "HTTP/1.1" and connection != "close"
        ) or connection == "keep-alive"
        head = [f"HTTP/1.1 {status} {reason}", f"Server: {SERVER_NAME}"]
        head.append(f"Date: {email.utils.formatdate(usegmt=True)}")
        head.extend(f"{name}: {value}" for name, value in headers)
        if status != 304:
            length = len(body)
            if request.method == "HEAD" and status == 200:
                static = self.server.files.get(request.target.split("?", 1)[0])
                length = static.size if static else 0
            head.append(f"Content-Length: {length}")
        head.append("Connection: keep-alive" if keep_alive else "Connection: close")
        payload = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        self.transport.write(payload)
        if not control:
            self.server.stats.statuses[status] += 1
            self.server.stats.bytes_sent += len(payload)
        if not keep_alive:
            self.transport.close()
            self.closing = True
            return
        self.busy = False
        if self.buffer:
            self._next()


async def serve(args: argparse.Namespace) -> int:
    files = load_files(args.corpus)
    server = FeedServer(files, args.latency_ms / 1000)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    loop.call_later(args.max_seconds, stop.set)
    hosts = [f"127.0.0.{2 + i}" for i in range(args.hosts)]
    listeners = []
    port = args.port
    for host in hosts:
        listener = await loop.create_server(
            lambda host=host: Connection(server, host),  # type: ignore[misc]
            host=host,
            port=port,
            reuse_address=True,
            backlog=4096,
        )
        if port == 0:
            port = listener.sockets[0].getsockname()[1]
        listeners.append(listener)
    print(f"READY port={port} hosts={len(hosts)} files={len(files)}", flush=True)

    parent = os.getppid()

    async def watch_parent() -> None:
        while not stop.is_set():
            if os.getppid() != parent:
                stop.set()
            await asyncio.sleep(1)

    watcher = asyncio.create_task(watch_parent())
    await stop.wait()
    watcher.cancel()
    for listener in listeners:
        listener.close()
    print(json.dumps({"final_stats": server.stats.as_json()}), file=sys.stderr, flush=True)
    return 0


def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True, help="directory written by feedgen")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free one")
    parser.add_argument("--hosts", type=int, default=40, help="serve on 127.0.0.2 … 127.0.0.(k+1)")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before every response")
    parser.add_argument(
        "--max-seconds", type=float, default=3600.0, help="stop by itself after this"
    )
    args = parser.parse_args(argv)
    if not 1 <= args.hosts <= 250:
        parser.error("--hosts must be 1–250 (127.0.0.2 … 127.0.0.251)")
    _raise_fd_limit()
    return asyncio.run(serve(args))


if __name__ == "__main__":
    raise SystemExit(main())
