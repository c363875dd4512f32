"""A scripted HTTP server on 127.0.0.1 for tests: real sockets, no mocks.

Routes map a path to a ``Route`` (a fixed response) or a callable that builds one from the
request. Every request is recorded so tests can assert what was sent (conditional headers,
cookies, Referer) and how many requests arrived. The server binds loopback only and is stopped
by the fixture that started it.
"""

from __future__ import annotations

import http.server
import socketserver
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    # A route may also stream a body slowly: chunks sent with ``chunk_delay`` between them.
    chunks: list[bytes] | None = None
    chunk_delay: float = 0.0


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


Handler = Callable[[RecordedRequest], Route]


class _ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 256

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up mid-request are what several tests do on purpose (timeouts,
        size caps); only other errors are worth a traceback in the test output."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


class ScriptedServer:
    """Start with ``with ScriptedServer() as server:``; ``server.url("/feed")`` gives a URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.routes: dict[str, Route | Handler] = {}
        self.requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        server = self

        class RequestHandler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _handle(self) -> None:
                recorded = RecordedRequest(
                    method=self.command,
                    path=self.path,
                    headers={k.lower(): v for k, v in self.headers.items()},
                )
                with server._lock:
                    server.requests.append(recorded)
                route_or_handler = server.routes.get(self.path.split("?")[0])
                if route_or_handler is None:
                    route = Route(404, b"not found", {"Content-Type": "text/plain"})
                elif callable(route_or_handler):
                    route = route_or_handler(recorded)
                else:
                    route = route_or_handler
                if route.delay:
                    time.sleep(route.delay)
                try:
                    self.send_response(route.status)
                    names = {k.lower() for k in route.headers}
                    for name, value in route.headers.items():
                        self.send_header(name, value)
                    if route.chunks is not None:
                        if "content-length" not in names:
                            total = sum(len(c) for c in route.chunks)
                            self.send_header("Content-Length", str(total))
                        self.end_headers()
                        for chunk in route.chunks:
                            self.wfile.write(chunk)
                            self.wfile.flush()
                            if route.chunk_delay:
                                time.sleep(route.chunk_delay)
                        return
                    if "content-length" not in names:
                        self.send_header("Content-Length", str(len(route.body)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(route.body)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = _handle
            do_HEAD = _handle

        self._httpd = _ThreadingServer((host, port), RequestHandler)
        self.host = host
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.path.split("?")[0] == path)

    def requests_for(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?")[0] == path]

    def start(self) -> ScriptedServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> ScriptedServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
