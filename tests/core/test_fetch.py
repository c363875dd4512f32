"""fetch.py against a real HTTP server on 127.0.0.1 (reliability.md §6 H1–H14, F3–F5)."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email.utils
import gzip
import socket
import sys
import threading
import time
import tracemalloc
import zlib
from collections.abc import Callable, Iterator

import pytest

from reader import __version__
from reader.core import fetch as fetch_module
from reader.core.errors import FetchError, InvalidURLError, RetryLaterError
from reader.core.fetch import Fetcher, FetchResult, check_url, fetch_one
from tests.support.http_server import RecordedRequest, Route, ScriptedServer

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
RSS = {"Content-Type": "application/rss+xml"}


@pytest.fixture(scope="module")
def shared_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def http_server(shared_server: ScriptedServer) -> ScriptedServer:
    """One server for the module (stopping one costs half a second), fresh routes per test."""
    with shared_server._lock:
        shared_server.routes.clear()
        shared_server.requests.clear()
    return shared_server


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def redirect(status: int, location: str) -> Route:
    return Route(status, b"", {"Location": location})


def run_many(fetcher_options: dict[str, object], urls: list[str]) -> list[FetchResult | Exception]:
    async def go() -> list[FetchResult | Exception]:
        async with Fetcher(**fetcher_options) as fetcher:  # type: ignore[arg-type]
            results = await asyncio.gather(
                *(fetcher.fetch(u) for u in urls), return_exceptions=True
            )
        return [r if isinstance(r, FetchResult | Exception) else Exception(r) for r in results]

    return asyncio.run(go())


# --- a plain fetch ---------------------------------------------------------------------------


def test_plain_fetch_reports_body_headers_and_hash(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(
        200, FEED, {**RSS, "ETag": '"v1"', "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}
    )
    url = http_server.url("/feed")

    result = fetch_one(url)

    assert result.status == 200
    assert result.body == FEED
    assert result.content_type == "application/rss+xml"
    assert result.etag == '"v1"'
    assert result.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"
    assert result.requested_url == url
    assert result.final_url == url
    assert result.redirects == ()
    assert result.permanent_redirect_to is None
    assert result.body_sha256 is not None and len(result.body_sha256) == 64
    request = http_server.requests_for("/feed")[0]
    assert request.header("User-Agent") == f"Gloss/{__version__} (+offline feed reader)"
    assert "application/rss+xml" in (request.header("Accept") or "")


def test_same_body_gives_same_hash_and_different_body_a_different_one(
    http_server: ScriptedServer,
) -> None:
    http_server.routes["/a"] = Route(200, FEED, RSS)
    http_server.routes["/b"] = Route(200, FEED, RSS)
    http_server.routes["/c"] = Route(200, FEED + b" ", RSS)

    a, b, c = (fetch_one(http_server.url(p)) for p in ("/a", "/b", "/c"))

    assert a.body_sha256 == b.body_sha256 != c.body_sha256


# --- H12: conditional GET ----------------------------------------------------------------------


def test_validators_are_sent_back_verbatim_and_304_has_no_body(
    http_server: ScriptedServer,
) -> None:
    odd_etag = 'W/"a b,c"'
    odd_date = "Tue, 2 Jan 2024 3:04:05 +0000 (not quite RFC)"

    def conditional(request: RecordedRequest) -> Route:
        if request.header("If-None-Match") == odd_etag:
            return Route(304, b"", {})
        return Route(200, FEED, {**RSS, "ETag": odd_etag})

    http_server.routes["/feed"] = conditional

    result = fetch_one(http_server.url("/feed"), etag=odd_etag, last_modified=odd_date)

    request = http_server.requests_for("/feed")[0]
    assert request.header("If-None-Match") == odd_etag
    assert request.header("If-Modified-Since") == odd_date
    assert result.status == 304
    assert result.body is None
    assert result.body_sha256 is None
    # The server sent no new validators: the stored ones stay valid.
    assert result.etag == odd_etag
    assert result.last_modified == odd_date


def test_304_with_new_validators_reports_the_new_ones(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(
        304, b"", {"ETag": '"v2"', "Last-Modified": "Wed, 03 Jan 2024 00:00:00 GMT"}
    )

    result = fetch_one(http_server.url("/feed"), etag='"v1"', last_modified="old")

    assert (result.etag, result.last_modified) == ('"v2"', "Wed, 03 Jan 2024 00:00:00 GMT")


def test_no_validators_means_no_conditional_headers(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(200, FEED, RSS)

    fetch_one(http_server.url("/feed"))

    request = http_server.requests_for("/feed")[0]
    assert request.header("If-None-Match") is None
    assert request.header("If-Modified-Since") is None


# --- H1–H5: redirects --------------------------------------------------------------------------


def test_all_permanent_chain_reports_the_new_url(http_server: ScriptedServer) -> None:
    http_server.routes["/old"] = redirect(301, "/middle")
    http_server.routes["/middle"] = redirect(308, http_server.url("/new"))
    http_server.routes["/new"] = Route(200, FEED, RSS)

    result = fetch_one(http_server.url("/old"))

    assert result.body == FEED
    assert result.final_url == http_server.url("/new")
    assert result.permanent_redirect_to == http_server.url("/new")
    assert result.redirects == (
        (301, http_server.url("/middle")),
        (308, http_server.url("/new")),
    )


def test_mixed_chain_keeps_the_feed_url(http_server: ScriptedServer) -> None:
    http_server.routes["/old"] = redirect(301, "/portal")
    http_server.routes["/portal"] = redirect(302, "/new")
    http_server.routes["/new"] = Route(200, FEED, RSS)

    result = fetch_one(http_server.url("/old"))

    assert result.final_url == http_server.url("/new")
    assert result.permanent_redirect_to is None
    assert [status for status, _ in result.redirects] == [301, 302]


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirect_is_followed_but_not_reported_as_a_move(
    http_server: ScriptedServer, status: int
) -> None:
    http_server.routes["/feed"] = redirect(status, "/today")
    http_server.routes["/today"] = Route(200, FEED, RSS)

    result = fetch_one(http_server.url("/feed"))

    assert result.body == FEED
    assert result.final_url == http_server.url("/today")
    assert result.permanent_redirect_to is None


def test_relative_location_is_resolved_against_the_current_url(
    http_server: ScriptedServer,
) -> None:
    http_server.routes["/blog/feed"] = redirect(301, "../news/rss.xml")
    http_server.routes["/news/rss.xml"] = Route(200, FEED, RSS)

    result = fetch_one(http_server.url("/blog/feed"))

    assert result.final_url == http_server.url("/news/rss.xml")
    assert result.body == FEED


def test_redirect_loop_is_an_error(http_server: ScriptedServer) -> None:
    http_server.routes["/a"] = redirect(302, "/b")
    http_server.routes["/b"] = redirect(302, "/a")

    with pytest.raises(FetchError, match=r"Redirect loop at .*/a$"):
        fetch_one(http_server.url("/a"))
    assert http_server.hits("/a") == 1


def chain(server: ScriptedServer, hops: int) -> str:
    for i in range(hops):
        server.routes[f"/hop{i}"] = redirect(301, f"/hop{i + 1}")
    server.routes[f"/hop{hops}"] = Route(200, FEED, RSS)
    return server.url("/hop0")


def test_five_redirects_are_followed(http_server: ScriptedServer) -> None:
    result = fetch_one(chain(http_server, 5))

    assert result.body == FEED
    assert len(result.redirects) == 5
    assert result.permanent_redirect_to == http_server.url("/hop5")


def test_a_sixth_redirect_is_refused(http_server: ScriptedServer) -> None:
    with pytest.raises(FetchError, match=r"Too many redirects \(more than 5\)"):
        fetch_one(chain(http_server, 6))
    assert http_server.hits("/hop6") == 0


@pytest.mark.parametrize(
    "location",
    ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "data:application/rss+xml,<rss/>"],
)
def test_redirect_to_a_non_web_address_is_refused(
    http_server: ScriptedServer, location: str
) -> None:
    http_server.routes["/feed"] = redirect(301, location)

    with pytest.raises(FetchError, match="Redirect to a non-web address refused: "):
        fetch_one(http_server.url("/feed"))


def test_redirect_without_location_is_an_error(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(301, b"", {})

    with pytest.raises(FetchError, match="without a Location") as caught:
        fetch_one(http_server.url("/feed"))
    assert caught.value.status == 301


# --- status codes: H7, H9, H10 -------------------------------------------------------------------


def test_410_says_the_feed_is_gone(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(410, b"gone", {})

    with pytest.raises(FetchError, match=r"The feed is gone \(410\)") as caught:
        fetch_one(http_server.url("/feed"))
    assert caught.value.status == 410
    assert not isinstance(caught.value, RetryLaterError)


@pytest.mark.parametrize(("status", "text"), [(404, "HTTP 404 Not Found"), (500, "HTTP 500")])
def test_other_error_statuses_are_fetch_errors(
    http_server: ScriptedServer, status: int, text: str
) -> None:
    http_server.routes["/feed"] = Route(status, b"nope", {})

    with pytest.raises(FetchError, match=text) as caught:
        fetch_one(http_server.url("/feed"))
    assert caught.value.status == status


def retry_at_for(server: ScriptedServer, status: int, headers: dict[str, str]) -> dt.datetime:
    server.routes["/busy"] = Route(status, b"", headers)
    before = now()
    with pytest.raises(RetryLaterError) as caught:
        fetch_one(server.url("/busy"))
    assert caught.value.status == status
    retry_at = caught.value.retry_at
    assert isinstance(retry_at, dt.datetime)
    assert retry_at.tzinfo is not None and retry_at.utcoffset() == dt.timedelta(0)
    return retry_at - before  # type: ignore[return-value]


def test_retry_after_in_seconds(http_server: ScriptedServer) -> None:
    delay = retry_at_for(http_server, 429, {"Retry-After": "120"})
    assert dt.timedelta(seconds=119) < delay < dt.timedelta(seconds=125)


def test_retry_after_as_http_date(http_server: ScriptedServer) -> None:
    when = email.utils.format_datetime(now() + dt.timedelta(seconds=300), usegmt=True)
    delay = retry_at_for(http_server, 503, {"Retry-After": when})
    assert dt.timedelta(seconds=290) < delay < dt.timedelta(seconds=305)


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "0"}, {"Retry-After": "-5"}, {"Retry-After": "soon"}, {}]
)
def test_retry_after_zero_negative_bad_or_missing_means_ten_minutes(
    http_server: ScriptedServer, headers: dict[str, str]
) -> None:
    delay = retry_at_for(http_server, 429, headers)
    assert dt.timedelta(minutes=9, seconds=59) < delay < dt.timedelta(minutes=10, seconds=5)


def test_a_busy_host_is_paused_without_further_requests(http_server: ScriptedServer) -> None:
    http_server.routes["/busy"] = Route(429, b"", {"Retry-After": "3600"})
    http_server.routes["/other-feed"] = Route(200, FEED, RSS)

    async def go() -> tuple[Exception, Exception, dt.datetime | None, dt.datetime | None]:
        async with Fetcher() as fetcher:
            with pytest.raises(RetryLaterError) as first:
                await fetcher.fetch(http_server.url("/busy"))
            with pytest.raises(RetryLaterError) as second:
                await fetcher.fetch(http_server.url("/other-feed"))
            with ScriptedServer() as elsewhere:
                elsewhere.routes["/feed"] = Route(200, FEED, RSS)
                ok = await fetcher.fetch(elsewhere.url("/feed"))
                assert ok.body == FEED
                elsewhere_pause = fetcher.paused_until(elsewhere.url("/feed"))
            return (
                first.value,
                second.value,
                fetcher.paused_until(http_server.url("/x")),
                (elsewhere_pause),
            )

    first, second, paused, elsewhere_pause = asyncio.run(go())

    assert http_server.hits("/other-feed") == 0
    assert isinstance(second, RetryLaterError)
    assert isinstance(first, RetryLaterError)
    assert second.retry_at == first.retry_at == paused
    assert second.status == 429
    assert elsewhere_pause is None


def test_the_pause_lasts_only_for_the_fetcher_that_saw_it(http_server: ScriptedServer) -> None:
    http_server.routes["/busy"] = Route(503, b"", {"Retry-After": "3600"})
    http_server.routes["/feed"] = Route(200, FEED, RSS)

    with pytest.raises(RetryLaterError):
        fetch_one(http_server.url("/busy"))
    result = fetch_one(http_server.url("/feed"))

    assert result.body == FEED


# --- H11: per-host concurrency -------------------------------------------------------------------


def test_at_most_per_host_requests_reach_one_host_at_once(http_server: ScriptedServer) -> None:
    lock = threading.Lock()
    active = 0
    most = 0

    def slow(request: RecordedRequest) -> Route:
        nonlocal active, most
        with lock:
            active += 1
            most = max(most, active)
        time.sleep(0.2)
        with lock:
            active -= 1
        return Route(200, FEED, RSS)

    http_server.routes["/slow"] = slow
    urls = [http_server.url(f"/slow?feed={i}") for i in range(6)]

    results = run_many({"per_host": 2}, urls)

    assert all(isinstance(r, FetchResult) for r in results)
    assert http_server.hits("/slow") == 6
    assert most == 2


# --- H13: caching hints ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "public, max-age=600"}, dt.timedelta(seconds=600)),
        ({"Cache-Control": "max-age=8640000"}, dt.timedelta(days=1)),  # capped
        ({"Expires": "in 3600"}, dt.timedelta(seconds=3600)),
        ({"Cache-Control": "max-age=60", "Expires": "in 3600"}, dt.timedelta(seconds=60)),
    ],
)
def test_not_before_comes_from_max_age_or_expires(
    http_server: ScriptedServer, headers: dict[str, str], expected: dt.timedelta
) -> None:
    if headers.get("Expires", "").startswith("in "):
        seconds = int(headers["Expires"].removeprefix("in "))
        headers["Expires"] = email.utils.format_datetime(
            now() + dt.timedelta(seconds=seconds), usegmt=True
        )
    http_server.routes["/feed"] = Route(200, FEED, {**RSS, **headers})
    before = now()

    result = fetch_one(http_server.url("/feed"))

    assert result.not_before is not None
    assert expected - dt.timedelta(seconds=5) < result.not_before - before
    assert result.not_before - before < expected + dt.timedelta(seconds=5)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Cache-Control": "no-cache"},
        {"Cache-Control": "max-age=0"},
        {"Expires": "Thu, 01 Jan 1970 00:00:00 GMT"},
        {"Expires": "0"},
    ],
)
def test_no_or_stale_caching_hints_give_no_not_before(
    http_server: ScriptedServer, headers: dict[str, str]
) -> None:
    http_server.routes["/feed"] = Route(200, FEED, {**RSS, **headers})

    assert fetch_one(http_server.url("/feed")).not_before is None


# --- H14: no cookies, no Referer -----------------------------------------------------------------


def test_cookies_are_never_kept_or_sent(http_server: ScriptedServer) -> None:
    http_server.routes["/login"] = Route(
        200, FEED, {**RSS, "Set-Cookie": "session=abc123; Path=/; Max-Age=3600"}
    )
    http_server.routes["/hop"] = Route(
        302, b"", {"Location": "/feed", "Set-Cookie": "tracking=xyz; Path=/"}
    )
    http_server.routes["/feed"] = Route(200, FEED, RSS)

    async def go() -> None:
        async with Fetcher() as fetcher:
            await fetcher.fetch(http_server.url("/login"))
            await fetcher.fetch(http_server.url("/hop"))
            await fetcher.fetch(http_server.url("/feed"))

    asyncio.run(go())

    assert [r.header("Cookie") for r in http_server.requests] == [None, None, None, None]


def test_redirected_requests_carry_no_referer(http_server: ScriptedServer) -> None:
    http_server.routes["/from"] = redirect(301, "/to")
    http_server.routes["/to"] = Route(200, FEED, RSS)

    fetch_one(http_server.url("/from"))

    assert [r.header("Referer") for r in http_server.requests] == [None, None]


# --- F3: only web addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "ftp://example.com/feed.xml",
        "/etc/passwd",
        "C:\\Users\\me\\feed.xml",
        "javascript:alert(1)",
        "data:application/rss+xml,<rss/>",
        "example.com/feed",
        "http:///no-host",
        "",
        "   ",
        "http://example.com:99999/",
    ],
)
def test_check_url_refuses_anything_but_http_and_https(url: str) -> None:
    with pytest.raises(InvalidURLError):
        check_url(url)


def test_check_url_message_names_the_url() -> None:
    with pytest.raises(InvalidURLError) as caught:
        check_url("file:///etc/passwd")
    assert str(caught.value) == "Only http and https URLs can be fetched: file:///etc/passwd"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("  https://example.com/feed.xml\n", "https://example.com/feed.xml"),
        ("https://example.com/feed#latest", "https://example.com/feed"),
        ("HTTP://Example.COM", "http://example.com/"),
        ("https://bücher.example/rss", "https://xn--bcher-kva.example/rss"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a?x=1", "https://example.com:8443/a?x=1"),
        ("feed://example.com/rss", "http://example.com/rss"),
        ("feed:https://example.com/rss", "https://example.com/rss"),
    ],
)
def test_check_url_normalises(url: str, expected: str) -> None:
    assert check_url(url) == expected


def test_fetch_refuses_a_local_file_without_touching_it(http_server: ScriptedServer) -> None:
    with pytest.raises(InvalidURLError, match="Only http and https"):
        fetch_one("file:///etc/passwd")


# --- F4: size caps and decoding -----------------------------------------------------------------


def test_a_body_over_the_cap_is_refused(http_server: ScriptedServer) -> None:
    http_server.routes["/big"] = Route(200, b"x" * 5000, RSS)
    http_server.routes["/small"] = Route(200, b"x" * 1024, RSS)

    with pytest.raises(FetchError, match=r"Response too large \(over 1 KiB\)"):
        fetch_one(http_server.url("/big"), max_bytes=1024)
    assert fetch_one(http_server.url("/small"), max_bytes=1024).body == b"x" * 1024


def test_the_cap_counts_decoded_bytes(http_server: ScriptedServer) -> None:
    packed = gzip.compress(b"x" * 5000)
    assert len(packed) < 1024
    http_server.routes["/feed"] = Route(200, packed, {**RSS, "Content-Encoding": "gzip"})

    with pytest.raises(FetchError, match=r"Response too large \(over 1 KiB\)"):
        fetch_one(http_server.url("/feed"), max_bytes=1024)


def test_a_declared_length_over_the_cap_is_refused_before_reading(
    http_server: ScriptedServer,
) -> None:
    # The body drips for 20 s; only refusing on the header can beat the 5 s deadline.
    http_server.routes["/huge"] = Route(
        200, b"", {"Content-Length": str(50 * 1024 * 1024)}, chunks=[b"x"] * 20, chunk_delay=1.0
    )

    with pytest.raises(FetchError, match=r"Response too large \(over 15 MiB\)"):
        fetch_one(http_server.url("/huge"), total_timeout=5)


@pytest.fixture(scope="module")
def gzip_bomb() -> bytes:
    """~100 KB of gzip that inflates to 100 MiB of zeros."""
    packer = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS | 16)
    zeros = bytes(1024 * 1024)
    return b"".join(packer.compress(zeros) for _ in range(100)) + packer.flush()


def test_a_gzip_bomb_is_stopped_at_the_decoded_cap_with_bounded_memory(
    http_server: ScriptedServer, gzip_bomb: bytes
) -> None:
    assert len(gzip_bomb) < 150_000
    http_server.routes["/bomb"] = Route(200, gzip_bomb, {**RSS, "Content-Encoding": "gzip"})

    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match=r"Response too large \(over 15 MiB\)"):
            fetch_one(http_server.url("/bomb"))
        elapsed = time.monotonic() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    # The cap is 15 MiB; inflating whole network reads at once would peak near 64 MiB.
    assert peak < 40 * 1024 * 1024
    assert elapsed < 10  # generous: inflating all 100 MiB is what this must not do


@pytest.mark.parametrize(
    ("encoding", "pack"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda data: zlib.compress(data, wbits=-zlib.MAX_WBITS)),  # raw deflate
        ("identity", lambda data: data),
    ],
)
def test_compressed_bodies_are_decoded(
    http_server: ScriptedServer, encoding: str, pack: Callable[[bytes], bytes]
) -> None:
    body = FEED * 5000  # several network reads, and several decoded pieces
    http_server.routes["/feed"] = Route(200, pack(body), {**RSS, "Content-Encoding": encoding})

    result = fetch_one(http_server.url("/feed"))

    assert result.body == body
    request = http_server.requests_for("/feed")[0]
    assert request.header("Accept-Encoding") == "gzip, deflate"


def test_a_damaged_gzip_body_is_a_fetch_error(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(
        200, b"\x1f\x8b\x08\x00garbage-garbage", {**RSS, "Content-Encoding": "gzip"}
    )

    with pytest.raises(FetchError, match="damaged compressed body"):
        fetch_one(http_server.url("/feed"))


def test_an_unknown_compression_is_a_fetch_error(http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(200, b"\x00\x01", {**RSS, "Content-Encoding": "br"})

    with pytest.raises(FetchError, match=r"compression Gloss cannot read \(br\)"):
        fetch_one(http_server.url("/feed"))


# --- F5: timeouts and dead servers ---------------------------------------------------------------


def test_a_server_that_never_answers_times_out_at_the_deadline(
    http_server: ScriptedServer,
) -> None:
    http_server.routes["/silent"] = Route(200, FEED, RSS, delay=5)

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"Timed out after 0.5 s"):
        fetch_one(http_server.url("/silent"), total_timeout=0.5)
    assert time.monotonic() - started < 4


def test_a_drip_fed_body_times_out_at_the_total_deadline(http_server: ScriptedServer) -> None:
    # Each byte arrives well within any per-read timeout; only a total deadline stops this.
    http_server.routes["/drip"] = Route(200, b"", RSS, chunks=[b"x"] * 40, chunk_delay=0.25)

    started = time.monotonic()
    with pytest.raises(FetchError, match=r"Timed out after 1 s"):
        fetch_one(http_server.url("/drip"), total_timeout=1)
    assert time.monotonic() - started < 6


def test_the_deadline_covers_the_whole_redirect_chain(http_server: ScriptedServer) -> None:
    for i in range(4):
        http_server.routes[f"/slow{i}"] = Route(302, b"", {"Location": f"/slow{i + 1}"}, delay=0.4)
    http_server.routes["/slow4"] = Route(200, FEED, RSS)

    with pytest.raises(FetchError, match="Timed out after 1 s"):
        fetch_one(http_server.url("/slow0"), total_timeout=1)
    assert http_server.hits("/slow4") == 0


def test_connection_refused_is_said_plainly() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The port is closed now: nothing listens there.

    with pytest.raises(FetchError) as caught:
        fetch_one(f"http://127.0.0.1:{port}/feed")

    assert str(caught.value) == f"Could not connect to 127.0.0.1:{port}: connection refused"
    assert caught.value.status is None


@pytest.mark.skipif(sys.platform != "linux", reason="relies on Linux dropping SYNs to a full queue")
def test_a_host_that_never_accepts_times_out_at_the_connect_timeout() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(3)]
        try:
            for filler in fillers:  # fill the accept queue; later connects get no answer
                filler.setblocking(False)
                with contextlib.suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
            time.sleep(0.1)

            with pytest.raises(FetchError) as caught:
                fetch_one(f"http://127.0.0.1:{port}/feed", connect_timeout=0.3, total_timeout=5)
        finally:
            for filler in fillers:
                filler.close()

    assert str(caught.value) == f"Timed out after 0.3 s connecting to 127.0.0.1:{port}"


def test_one_failing_fetch_does_not_disturb_the_others(http_server: ScriptedServer) -> None:
    http_server.routes["/ok"] = Route(200, FEED, RSS)
    http_server.routes["/gone"] = Route(410, b"", {})
    http_server.routes["/silent"] = Route(200, FEED, RSS, delay=3)

    results = run_many(
        {"total_timeout": 0.5, "per_host": 4},
        [http_server.url("/ok"), http_server.url("/gone"), http_server.url("/silent")],
    )

    ok, gone, silent = results
    assert isinstance(ok, FetchResult) and ok.body == FEED
    assert isinstance(gone, FetchError) and gone.status == 410
    assert isinstance(silent, FetchError) and "Timed out" in str(silent)


# ---- H6: public → private redirects ------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.1.1", False),
        ("172.16.0.5", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("not an address", False),
    ],
)
def test_public_address_classification(address: str, public: bool) -> None:
    assert fetch_module._is_public_address(address) is public


def test_redirect_from_a_public_host_into_a_private_one_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A fake, said plainly: no public host is reachable from the tests, so the resolver is made
    to report a public address for the origin (127.0.0.1) and the truth for the redirect target
    (localhost). The requests themselves are real."""
    with ScriptedServer() as origin, ScriptedServer() as inner:
        inner.routes["/admin"] = Route(body=b"router admin page")
        origin.routes["/feed"] = Route(
            301, headers={"Location": f"http://localhost:{inner.port}/admin"}
        )

        async def resolve(url: str) -> list[str]:
            return ["127.0.0.1"] if "localhost" in url else ["93.184.216.34"]

        monkeypatch.setattr(fetch_module, "_host_addresses", resolve)
        with pytest.raises(FetchError, match="public address to a private one"):
            fetch_one(origin.url("/feed"))
        assert inner.hits("/admin") == 0
        # Opting in follows it.
        result = fetch_one(origin.url("/feed"), allow_private_redirects=True)
        assert result.body == b"router admin page"


def test_private_feeds_may_redirect_within_the_private_network(http_server: ScriptedServer) -> None:
    http_server.routes["/a"] = Route(302, headers={"Location": "/b"})
    http_server.routes["/b"] = Route(body=b"<rss/>")
    assert fetch_one(http_server.url("/a")).body == b"<rss/>"
