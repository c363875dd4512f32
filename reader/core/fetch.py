"""HTTP for feeds, linked pages and discovery: one polite, bounded way to ask a server for bytes.

Servers are untrusted. A feed can redirect to a login page or to ``file:``, answer with a gzip
bomb, drip one byte a second, or ask us to go away; this module turns each of those into either a
``FetchResult`` or a ``FetchError`` with a message a user can act on (reliability.md §6 H, F3–F5).
It never parses and never writes: whether a permanent redirect is applied, or a 410 mutes a feed,
is the caller's decision, made with what is reported here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import hashlib
import http
import ipaddress
import socket
import ssl
import urllib.parse
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from types import TracebackType
from typing import Any, Protocol

import certifi
import httpx

from reader import __version__
from reader.core.errors import (
    FetchError,
    InvalidURLError,
    ResponseTooLargeError,
    RetryLaterError,
)

DEFAULT_USER_AGENT = f"Gloss/{__version__} (+offline feed reader)"
DEFAULT_ACCEPT = (
    "application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
    "application/feed+json;q=0.9, application/xml;q=0.8, text/xml;q=0.8, "
    "application/json;q=0.7, */*;q=0.5"
)
# Only what we can decode with a bounded output buffer (see _Inflater).
ACCEPT_ENCODING = "gzip, deflate"

DEFAULT_MAX_BYTES = 15 * 1024 * 1024
DEFAULT_RETRY_AFTER = dt.timedelta(minutes=10)
# A server's "come back later" is honoured, but a typo'd header must not silence a host for months.
MAX_RETRY_AFTER = dt.timedelta(days=1)
MAX_NOT_BEFORE = dt.timedelta(days=1)

_WEB_SCHEMES = frozenset({"http", "https"})
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_PERMANENT_REDIRECTS = frozenset({301, 308})
_BUSY = frozenset({429, 503})
_DECODED_PIECE = 64 * 1024  # most decoded bytes one decompress step may produce


@dataclass(frozen=True, slots=True)
class FetchResult:
    requested_url: str  # exactly as the caller passed it
    final_url: str  # normalised, after redirects
    status: int  # 2xx (normally 200) or 304
    body: bytes | None  # content-decoded; None on 304
    content_type: str | None
    etag: str | None  # verbatim; on 304 the server's new one, else the one we sent
    last_modified: str | None  # verbatim; same 304 rule as etag
    permanent_redirect_to: str | None  # final_url when >= 1 hop and every hop was 301/308
    redirects: tuple[tuple[int, str], ...]  # (status, absolute target URL) per hop
    not_before: dt.datetime | None  # UTC; earliest next poll from Cache-Control max-age / Expires
    body_sha256: str | None


def check_url(url: str) -> str:
    """Return ``url`` normalised for fetching, or raise ``InvalidURLError`` saying why not.

    Only http and https with a host pass (F3): a feed URL or OPML entry must never make us read a
    local file. ``feed:`` links, which browsers hand over for subscriptions, are unwrapped.
    """
    text = url.strip()
    if not text:
        raise InvalidURLError("No URL given.")
    lowered = text.lower()
    if lowered.startswith("feed:"):
        inner = text[len("feed:") :]
        text = inner if inner.lower().startswith(("http:", "https:")) else "http:" + inner
    try:
        parsed = httpx.URL(text)
    except httpx.InvalidURL as exc:
        raise InvalidURLError(f"Not a valid web address: {_shorten(text)} ({exc})") from None
    if parsed.scheme not in _WEB_SCHEMES:
        looks_like_host = not parsed.scheme and not text.startswith(("/", ".", "~", "\\"))
        hint = " (did you mean https://…?)" if looks_like_host else ""
        raise InvalidURLError(f"Only http and https URLs can be fetched: {_shorten(text)}{hint}")
    if not parsed.host:
        raise InvalidURLError(f"The URL has no host name: {_shorten(text)}")
    if parsed.port is not None and not 0 < parsed.port < 65536:
        raise InvalidURLError(f"Not a valid web address (bad port): {_shorten(text)}")
    default_port = 443 if parsed.scheme == "https" else 80
    port = None if parsed.port == default_port else parsed.port
    try:
        normalised = parsed.copy_with(fragment=None, port=port)
    except httpx.InvalidURL as exc:
        raise InvalidURLError(f"Not a valid web address: {_shorten(text)} ({exc})") from None
    # Spell out the path: "http://x" and "http://x/" are one feed, and must compare equal.
    return str(normalised.copy_with(path=normalised.path))


class _RejectAllCookies(DefaultCookiePolicy):
    """A jar policy that stores nothing: feed and image fetches carry no session (H14)."""

    def set_ok(self, cookie: Any, request: Any) -> bool:
        return False

    def return_ok(self, cookie: Any, request: Any) -> bool:
        return False


class Fetcher:
    """An HTTP client for many feeds at once, with per-host politeness kept for its lifetime.

    Use one per refresh (``async with Fetcher() as fetcher``): host pauses from 429/503 and the
    per-host connection limits only mean something when shared by every fetch of that refresh.
    """

    def __init__(
        self,
        *,
        user_agent: str = DEFAULT_USER_AGENT,
        connect_timeout: float = 10.0,
        total_timeout: float = 30.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 5,
        per_host: int = 2,
        accept: str = DEFAULT_ACCEPT,
        max_concurrent: int = 64,
        allow_private_redirects: bool = False,
    ) -> None:
        self._allow_private_redirects = allow_private_redirects
        self._connect_timeout = connect_timeout
        self._total_timeout = total_timeout
        self._max_bytes = max_bytes
        self._max_redirects = max_redirects
        self._per_host = per_host
        self._user_agent = user_agent
        self._accept = accept
        # One small client per host: httpcore's pool scans every connection for every request
        # it queues, so a single pool over a thousand feeds on forty hosts spends more time
        # scanning than fetching. Per host, the pool also caps connections at ``per_host``.
        self._clients: dict[str, httpx.AsyncClient] = {}
        self._tls: ssl.SSLContext | None = None  # one context: loading the CA store takes 20 ms
        self._overall = asyncio.Semaphore(max_concurrent)
        self._host_slots: dict[str, asyncio.Semaphore] = {}
        self._paused: dict[str, tuple[dt.datetime, int]] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.aclose()

    def _client_for(self, url: httpx.URL) -> httpx.AsyncClient:
        key = _host_key(url)
        client = self._clients.get(key)
        if client is None:
            if self._tls is None:
                self._tls = ssl.create_default_context(cafile=certifi.where())
            client = httpx.AsyncClient(
                verify=self._tls,
                follow_redirects=False,
                cookies=CookieJar(policy=_RejectAllCookies()),
                # The real bound is the total deadline in fetch(); these catch a stuck socket.
                timeout=httpx.Timeout(self._total_timeout, connect=self._connect_timeout),
                limits=httpx.Limits(
                    max_connections=self._per_host, max_keepalive_connections=self._per_host
                ),
                headers={
                    "User-Agent": self._user_agent,
                    "Accept": self._accept,
                    "Accept-Encoding": ACCEPT_ENCODING,
                },
                event_hooks={"response": [_take_location]},
            )
            self._clients[key] = client
        return client

    def paused_until(self, url: str) -> dt.datetime | None:
        """When the host of ``url`` may be asked again, if it told us to wait (H9, H10)."""
        try:
            key = _host_key(httpx.URL(url))
        except httpx.InvalidURL:
            return None
        pause = self._paused.get(key)
        if pause is None or pause[0] <= _now():
            return None
        return pause[0]

    async def fetch(
        self, url: str, *, etag: str | None = None, last_modified: str | None = None
    ) -> FetchResult:
        """GET ``url`` conditionally, following at most ``max_redirects`` redirects by hand.

        Raises ``InvalidURLError`` for a URL we will not fetch, ``RetryLaterError`` when the host
        asked us to wait (now or earlier), and ``FetchError`` for everything else that failed.
        The total deadline covers every hop and the whole body, but not the wait for a free
        slot behind other fetches to the same host.
        """
        current = check_url(url)
        conditional: dict[str, str] = {}
        if etag is not None:
            conditional["If-None-Match"] = etag
        if last_modified is not None:
            conditional["If-Modified-Since"] = last_modified
        redirects: list[tuple[int, str]] = []
        seen = {current}
        loop = asyncio.get_running_loop()
        async with self._overall:
            try:
                async with asyncio.timeout(None) as deadline:
                    while True:
                        self._refuse_if_paused(current)
                        slot = self._host_slot(current)
                        await slot.acquire()
                        if deadline.when() is None:
                            deadline.reschedule(loop.time() + self._total_timeout)
                        try:
                            hop = await self._exchange(current, conditional)
                        finally:
                            slot.release()
                        if isinstance(hop, _Final):
                            final = hop
                            break
                        redirects.append((hop.status, hop.target))
                        if hop.target in seen:
                            raise FetchError(f"Redirect loop at {hop.target}", status=hop.status)
                        if len(redirects) > self._max_redirects:
                            raise FetchError(
                                f"Too many redirects (more than {self._max_redirects}) "
                                f"starting at {check_url(url)}",
                                status=hop.status,
                            )
                        if not self._allow_private_redirects:
                            await _refuse_public_to_private(url, hop.target)
                        seen.add(hop.target)
                        current = hop.target
            except TimeoutError:
                raise FetchError(
                    f"Timed out after {self._total_timeout:g} s fetching {current}"
                ) from None

        all_permanent = bool(redirects) and all(s in _PERMANENT_REDIRECTS for s, _ in redirects)
        not_modified = final.status == 304
        return FetchResult(
            requested_url=url,
            final_url=current,
            status=final.status,
            body=final.body,
            content_type=final.headers.get("content-type"),
            etag=final.headers.get("etag", etag if not_modified else None),
            last_modified=final.headers.get(
                "last-modified", last_modified if not_modified else None
            ),
            permanent_redirect_to=current if all_permanent else None,
            redirects=tuple(redirects),
            not_before=_not_before(final.headers, _now()),
            body_sha256=None if final.body is None else hashlib.sha256(final.body).hexdigest(),
        )

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        key = _host_key(httpx.URL(url))
        slot = self._host_slots.get(key)
        if slot is None:
            slot = self._host_slots[key] = asyncio.Semaphore(self._per_host)
        return slot

    def _refuse_if_paused(self, url: str) -> None:
        key = _host_key(httpx.URL(url))
        until = self.paused_until(url)
        if until is not None:
            status = self._paused[key][1]
            raise RetryLaterError(
                f"{key} asked Gloss to wait (HTTP {status}); "
                f"no requests to it before {_show_time(until)}",
                status=status,
                retry_at=until,
            )

    async def _exchange(self, url: str, conditional: dict[str, str]) -> _Final | _Redirect:
        """One request and its response: a redirect to follow, a result, or an error."""
        parsed = httpx.URL(url)
        hostport = _host_key(parsed)
        client = self._client_for(parsed)
        request = client.build_request("GET", url, headers=conditional)
        try:
            response = await client.send(request, stream=True)
            try:
                outcome = await self._handle(url, response)
                await _drain(response)
                return outcome
            finally:
                await response.aclose()
        except httpx.ConnectTimeout:
            raise FetchError(
                f"Timed out after {self._connect_timeout:g} s connecting to {hostport}"
            ) from None
        except httpx.TimeoutException:
            raise FetchError(f"Timed out after {self._total_timeout:g} s fetching {url}") from None
        except httpx.ConnectError as exc:
            raise FetchError(f"Could not connect to {hostport}: {_connect_reason(exc)}") from None
        except httpx.TransportError as exc:
            raise FetchError(f"The connection to {hostport} failed: {exc}") from None

    async def _handle(self, url: str, response: httpx.Response) -> _Final | _Redirect:
        status = response.status_code
        headers = response.headers
        if status in _REDIRECTS:
            location = response.extensions.get(_LOCATION)
            return _Redirect(status, _redirect_target(url, status, location))
        if status == 304:
            return _Final(status, headers, None)
        if 200 <= status < 300:
            return _Final(status, headers, await self._read_body(url, response))
        if status == 410:
            raise FetchError(
                "The feed is gone (410): the server says it was removed for good.", status=410
            )
        if status in _BUSY:
            retry_at = _retry_at(headers.get("retry-after"), _now())
            self._paused[_host_key(httpx.URL(url))] = (retry_at, status)
            raise RetryLaterError(
                f"The server is busy (HTTP {status} {_reason(response)}); "
                f"Gloss will not ask it again before {_show_time(retry_at)}",
                status=status,
                retry_at=retry_at,
            )
        raise FetchError(f"HTTP {status} {_reason(response)}".rstrip(), status=status)

    async def _read_body(self, url: str, response: httpx.Response) -> bytes:
        """The decoded body, refused as soon as it passes ``max_bytes`` (F4).

        Decoding is done here rather than by httpx so that a compressed chunk cannot expand
        into more than ``_DECODED_PIECE`` bytes at a time: a gzip bomb costs at most the cap.
        """
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large(url)
        decoder = _decoder_for(response.headers.get("content-encoding", ""))
        body = bytearray()
        async for raw in response.aiter_raw():
            for piece in decoder.feed(raw):
                body += piece
                if len(body) > self._max_bytes:
                    raise self._too_large(url)
        for piece in decoder.finish():
            body += piece
            if len(body) > self._max_bytes:
                raise self._too_large(url)
        return bytes(body)

    def _too_large(self, url: str) -> ResponseTooLargeError:
        limit = _show_size(self._max_bytes)
        return ResponseTooLargeError(
            f"Response too large (over {limit}): {url}. "
            "Gloss stops reading feeds and pages past this size.",
            limit=limit,
        )


def fetch_one(
    url: str, *, etag: str | None = None, last_modified: str | None = None, **options: Any
) -> FetchResult:
    """Fetch one URL from synchronous code (``gloss add``, discovery) with a fresh ``Fetcher``.

    ``options`` go to ``Fetcher(...)``. Not for use inside a running event loop.
    """

    async def run() -> FetchResult:
        async with Fetcher(**options) as fetcher:
            return await fetcher.fetch(url, etag=etag, last_modified=last_modified)

    return asyncio.run(run())


@dataclass(frozen=True, slots=True)
class _Final:
    status: int
    headers: httpx.Headers
    body: bytes | None


@dataclass(frozen=True, slots=True)
class _Redirect:
    status: int
    target: str


_LOCATION = "gloss.location"


_DRAIN_LIMIT = 64 * 1024


async def _drain(response: httpx.Response) -> None:
    """Read what is left of a small body (a 304, a redirect page) so that the connection goes
    back to the pool: closing an unread response closes its socket, and a refresh where every
    feed answers 304 would then pay a new TCP connection per feed."""
    if response.is_stream_consumed:
        return
    received = 0
    async for chunk in response.aiter_raw():
        received += len(chunk)
        if received > _DRAIN_LIMIT:
            return


def _is_public_address(address: str) -> bool:
    """Global unicast: not loopback, private, link-local, shared (CGNAT) or reserved."""
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return False


async def _host_addresses(url: str) -> list[str]:
    host = urllib.parse.urlsplit(url).hostname or ""
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except OSError:
        return []  # the request itself will fail with a clear "host not found"
    return [str(info[4][0]) for info in infos]


async def _refuse_public_to_private(origin: str, target: str) -> None:
    """H6: a public feed must not bounce Gloss into the user's own network (router pages,
    local services). Checked after DNS resolution; a feed that lives on a private address
    (a home server, the tests' 127.0.0.1) may still redirect within it."""
    origin_addresses = await _host_addresses(origin)
    if not origin_addresses or not all(_is_public_address(a) for a in origin_addresses):
        return
    target_addresses = await _host_addresses(target)
    if any(not _is_public_address(a) for a in target_addresses):
        raise FetchError(
            f"Redirect from a public address to a private one refused: {target}", status=None
        )


async def _take_location(response: httpx.Response) -> None:
    """Move ``Location`` out of httpx's reach, into ``response.extensions``.

    Even with ``follow_redirects=False`` httpx builds the next request from a redirect's
    ``Location``, and raises its own error on one it cannot parse (``data:…``). Redirects are
    ours to judge and explain, so httpx never sees the header.
    """
    location = response.headers.get("location")
    if location is not None:
        response.extensions[_LOCATION] = location
        del response.headers["location"]


def _redirect_target(url: str, status: int, location: object) -> str:
    """The absolute, checked URL a redirect points to; only http(s) targets are followed (H5)."""
    if not isinstance(location, str) or not location.strip():
        raise FetchError(f"HTTP {status} redirect without a Location header", status=status)
    location = location.strip()
    try:
        scheme = urllib.parse.urlsplit(location).scheme.lower()
        if scheme and scheme not in _WEB_SCHEMES:
            raise FetchError(
                f"Redirect to a non-web address refused: {_shorten(location)}", status=status
            )
        target = httpx.URL(url).join(location)
    except (ValueError, httpx.InvalidURL):
        raise FetchError(
            f"Redirect to an invalid address refused: {_shorten(location)}", status=status
        ) from None
    try:
        return check_url(str(target))
    except InvalidURLError as exc:
        raise FetchError(f"Redirect refused: {exc}", status=status) from None


class _Decoder(Protocol):
    def feed(self, data: bytes) -> Iterator[bytes]: ...
    def finish(self) -> Iterator[bytes]: ...


class _Identity:
    def feed(self, data: bytes) -> Iterator[bytes]:
        if data:
            yield data

    def finish(self) -> Iterator[bytes]:
        return iter(())


class _Inflater:
    """gzip or deflate with bounded output per step; "deflate" may be zlib-wrapped or raw."""

    def __init__(self, encoding: str) -> None:
        self._may_be_raw = encoding == "deflate"
        wbits = zlib.MAX_WBITS | 16 if encoding in ("gzip", "x-gzip") else zlib.MAX_WBITS
        self._inflate = zlib.decompressobj(wbits)

    def feed(self, data: bytes) -> Iterator[bytes]:
        pending = data
        while not self._inflate.eof:  # bytes after the end of the stream are ignored
            try:
                out = self._inflate.decompress(pending, _DECODED_PIECE)
            except zlib.error as exc:
                if self._may_be_raw:  # servers send raw deflate despite RFC 9110
                    self._may_be_raw = False
                    self._inflate = zlib.decompressobj(-zlib.MAX_WBITS)
                    continue
                raise FetchError(f"The server sent a damaged compressed body ({exc})") from None
            if pending:
                self._may_be_raw = False
            left = self._inflate.unconsumed_tail
            if out:
                yield out  # output was capped: go round again, zlib may hold more
            elif not left or len(left) == len(pending):
                return
            pending = left

    def finish(self) -> Iterator[bytes]:
        yield from self.feed(b"")
        rest = self._inflate.flush()
        if rest:
            yield rest


def _decoder_for(content_encoding: str) -> _Decoder:
    names = [n.strip().lower() for n in content_encoding.split(",")]
    names = [n for n in names if n and n != "identity"]
    if not names:
        return _Identity()
    if len(names) == 1 and names[0] in ("gzip", "x-gzip", "deflate"):
        return _Inflater(names[0])
    raise FetchError(f"The server used a compression Gloss cannot read ({', '.join(names)})")


def _host_key(url: httpx.URL) -> str:
    port = url.port or (443 if url.scheme == "https" else 80)
    host = url.host
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _connect_reason(exc: httpx.ConnectError) -> str:
    """The innermost OS error behind a failed connect, in words (anyio wraps it twice)."""
    cause: BaseException | None = exc
    innermost: BaseException = exc
    while cause is not None:
        innermost = cause
        cause = cause.__cause__ or cause.__context__
    if isinstance(innermost, ConnectionRefusedError):
        return "connection refused"
    if isinstance(innermost, socket.gaierror):
        return "host not found"
    if isinstance(innermost, ssl.SSLCertVerificationError):
        return f"its certificate is not valid ({innermost.verify_message})"
    if isinstance(innermost, OSError) and innermost.strerror:
        return innermost.strerror.lower()
    return str(innermost) or type(innermost).__name__


def _retry_at(header: str | None, now: dt.datetime) -> dt.datetime:
    """Retry-After as delta-seconds or an HTTP date; missing, bad, or ≤ 0 → 10 minutes (H9)."""
    delay: dt.timedelta | None = None
    if header:
        value = header.strip()
        try:
            delay = dt.timedelta(seconds=int(value))
        except ValueError:
            when = _http_date(value)
            if when is not None:
                delay = when - now
        except OverflowError:
            delay = MAX_RETRY_AFTER
    if delay is None or delay <= dt.timedelta(0):
        delay = DEFAULT_RETRY_AFTER
    return now + min(delay, MAX_RETRY_AFTER)


def _not_before(headers: httpx.Headers, now: dt.datetime) -> dt.datetime | None:
    """The earliest useful next poll (H13): max-age wins over Expires, as in RFC 9111."""
    for directive in headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age":
            try:
                seconds = int(value.strip().strip('"'))
            except ValueError:
                return None
            if seconds <= 0:
                return None
            return now + min(dt.timedelta(seconds=seconds), MAX_NOT_BEFORE)
    expires = _http_date(headers.get("expires", ""))
    if expires is None or expires <= now:
        return None
    return now + min(expires - now, MAX_NOT_BEFORE)


def _http_date(value: str) -> dt.datetime | None:
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def _reason(response: httpx.Response) -> str:
    try:
        return http.HTTPStatus(response.status_code).phrase
    except ValueError:
        return response.reason_phrase


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _show_time(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _show_size(size: int) -> str:
    mib = 1024 * 1024
    if size >= mib:
        return f"{size / mib:g} MiB"
    if size >= 1024:
        return f"{size / 1024:g} KiB"
    return f"{size} bytes"


def _shorten(text: str, limit: int = 200) -> str:
    """``text`` fit for an error message: control characters made visible, length capped."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"
