"""Offline images: finding them in stored HTML, downloading them politely, pointing at the cache.

Downloads go to a real server on 127.0.0.1; stored files are checked on disk.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core.content import canonical_text, sanitize_html
from reader.core.fetch import Fetcher
from reader.core.image_cache import cache_inventory, resolve_cache_url
from reader.core.offline_images import (
    CACHE_FULL,
    ImageOutcome,
    ImageRef,
    download_image,
    image_refs,
    make_image_fetcher,
    rewrite_image_sources,
)
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png

GIF_1X1 = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'
PNG_HEADERS = {"Content-Type": "image/png"}
CACHE_A = "cache:" + "a" * 64 + ".png"
CACHE_B = "cache:" + "b" * 64 + ".jpg"


# ---- finding images -----------------------------------------------------------------------------


def test_refs_of_sanitized_html_decode_entities_and_keep_document_order() -> None:
    stored = sanitize_html(
        '<p>Intro &amp; more</p><IMG SRC="https://x.example/a.png?w=1&h=2" ALT="A &quot;cat&quot;"'
        ' WIDTH="640" HEIGHT="480"><p>text</p><img src="/b.jpg" alt="relative">',
        "https://blog.example/post/",
    )
    assert "&amp;h=2" in stored  # the stored form really holds the entity

    assert image_refs(stored) == [
        ImageRef("https://x.example/a.png?w=1&h=2", 640, 480, 'A "cat"'),
        ImageRef("https://blog.example/b.jpg", None, None, "relative"),
    ]


def test_refs_skip_imgs_without_a_web_source_and_list_each_url_once() -> None:
    html = (
        '<img><img src=""><img src="   "><img src="cache:' + "a" * 64 + '.png">'
        '<img src="data:image/png;base64,iVBORw0KGgo="><img src="ftp://x.example/a.png">'
        '<img src="http:///nohost.png">'
        '<img src="https://x.example/one.png" alt="first">'
        '<p>between</p><img src="https://x.example/one.png" alt="again" width="1" height="1">'
        '<img src="HTTPS://x.example/Two.PNG">'
    )

    assert image_refs(html) == [
        ImageRef("https://x.example/one.png", None, None, "first"),
        ImageRef("HTTPS://x.example/Two.PNG", None, None, ""),
    ]


def test_refs_follow_html_tokenizing_not_text_that_looks_like_a_tag() -> None:
    html = (
        "<!-- <img src='https://x.example/in-comment.png'> -->"
        "<script><img src='https://x.example/in-script.png'></script>"
        "<p title='a > b <img src=\"https://x.example/in-attribute.png\">'>t</p>"
        "<img alt='x > y' src=https://x.example/unquoted.png width=12px>"
        "<img/src='https://x.example/slash.png'>"
        "<img src='https://x.example/first.png' src='https://x.example/second.png'>"
        "<!--><img src='https://x.example/after-abrupt-comment.png'>"
    )

    assert [(r.url, r.width) for r in image_refs(html)] == [
        ("https://x.example/unquoted.png", 12),
        ("https://x.example/slash.png", None),
        ("https://x.example/first.png", None),
        ("https://x.example/after-abrupt-comment.png", None),
    ]


def test_rewrite_changes_only_the_mapped_src_values() -> None:
    stored = sanitize_html(
        '<h2>Title</h2><p>One <b>two</b></p><img src="https://x.example/a.png?w=1&h=2" alt="a">'
        '<figure><img src="https://x.example/b.jpg" alt="b"><figcaption>Cap &lt;tion&gt;'
        '</figcaption></figure><img src="https://x.example/not-mapped.png">'
        '<img src="https://x.example/a.png?w=1&h=2" alt="same again">',
        None,
    )
    mapping = {"https://x.example/a.png?w=1&h=2": CACHE_A, "https://x.example/b.jpg": CACHE_B}

    rewritten = rewrite_image_sources(stored, mapping)

    expected = stored.replace(
        'src="https://x.example/a.png?w=1&amp;h=2"', f'src="{CACHE_A}"'
    ).replace('src="https://x.example/b.jpg"', f'src="{CACHE_B}"')
    assert rewritten == expected
    assert rewritten.count(CACHE_A) == 2 and 'src="https://x.example/not-mapped.png"' in rewritten
    assert canonical_text(rewritten) == canonical_text(stored)
    assert [r.url for r in image_refs(rewritten)] == ["https://x.example/not-mapped.png"]


def test_rewrite_without_matches_returns_the_html_unchanged() -> None:
    html = "<p>No <em>images</em> here &amp; there</p><img src='https://x.example/a.png'>"

    assert rewrite_image_sources(html, {}) == html
    assert rewrite_image_sources(html, {"https://x.example/other.png": CACHE_A}) == html


def test_rewrite_keeps_quoting_of_hand_written_html_intact() -> None:
    html = (
        "<IMG SRC='https://x.example/a.png' ALT=single>"
        "<img src=https://x.example/b.png alt=bare>"
        '<img src = "https://x.example/c.png">'
    )
    mapping = {
        "https://x.example/a.png": "cache:it's.png",  # a value that needs escaping in quotes
        "https://x.example/b.png": "cache:needs quotes.png",
        "https://x.example/c.png": CACHE_A,
    }

    rewritten = rewrite_image_sources(html, mapping)

    assert rewritten == (
        "<IMG SRC='cache:it&#x27;s.png' ALT=single>"
        '<img src="cache:needs quotes.png" alt=bare>'
        f'<img src = "{CACHE_A}">'
    )


# Sanitized HTML is what the library stores; Hypothesis writes the raw feed HTML before that.
_URLS = st.sampled_from(
    [
        "https://x.example/a.png",
        'https://x.example/q.png?a=1&b=2&c="3"',
        "http://y.example/path/with%20space.jpg",
        "https://x.example/<odd>.gif",
        "/relative.png",
        "data:image/png;base64,AAAA",
        "",
    ]
)
_TEXT = st.lists(
    st.sampled_from([*"ab &;<>\"'\n\u00ad\u200b", "&amp;", "&lt;", "é", "ﬁ", "x y"]), max_size=12
).map("".join)
_TAGS = st.sampled_from(["p", "div", "b", "em", "figure", "li", "blockquote", "span", "IMG"])


@st.composite
def _raw_html(draw: st.DrawFn) -> str:
    parts: list[str] = []
    for _ in range(draw(st.integers(0, 12))):
        kind = draw(st.integers(0, 3))
        if kind == 0:
            parts.append(draw(_TEXT))
        elif kind == 1:
            url = draw(_URLS).replace("&", draw(st.sampled_from(["&", "&amp;"])))
            quote = draw(st.sampled_from(['"', "'"]))
            alt = draw(_TEXT).replace(quote, "")
            tag = draw(st.sampled_from(["img", "IMG", "Img"]))
            parts.append(
                f"<{tag} src={quote}{url.replace(quote, '')}{quote} alt={quote}{alt}{quote}>"
            )
        elif kind == 2:
            parts.append(f"<{draw(_TAGS)}>")
        else:
            parts.append(f"</{draw(_TAGS)}>")
    return "".join(parts)


class _ReferenceImgs(HTMLParser):
    """Python's own tokenizer as a second opinion on well-formed (sanitized) HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            src = dict(attrs).get("src")
            if src:
                self.srcs.append(src)


def _without_src_values(html: str) -> str:
    return re.sub(r'\bsrc="[^"]*"', 'src=""', html)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_raw_html(), st.data())
def test_rewrite_of_any_sanitized_html_changes_src_values_and_never_text(
    raw: str, data: st.DataObject
) -> None:
    stored = sanitize_html(raw, "https://feed.example/post")
    reference = _ReferenceImgs()
    reference.feed(stored)
    reference.close()
    refs = image_refs(stored)
    assert [r.url for r in refs] == list(
        dict.fromkeys(s for s in reference.srcs if s.startswith(("http://", "https://")))
    )
    chosen = data.draw(st.lists(st.sampled_from(refs), unique=True) if refs else st.just([]))
    mapping = {
        ref.url: f"cache:{hashlib.sha256(ref.url.encode()).hexdigest()}.png" for ref in chosen
    }

    rewritten = rewrite_image_sources(stored, mapping)

    assert canonical_text(rewritten) == canonical_text(stored)
    assert _without_src_values(rewritten) == _without_src_values(stored)
    assert [r.url for r in image_refs(rewritten)] == [r.url for r in refs if r.url not in mapping]
    assert rewritten.count('src="cache:') == sum(src in mapping for src in reference.srcs)


@pytest.mark.parametrize(
    ("piece", "found"),
    [
        ("<img ", True),  # one long tag; its first src is the last image's
        ("<a title='x>", True),  # quoted ">" pairs up; the image after them is a tag
        ("<!--", False),  # an unclosed comment runs to the end
        ("<script>", False),  # so does unclosed script text
        ("</", False),  # "</<" opens a bogus comment that ends inside the image tag
        ('<img src="', False),
    ],
)
def test_broken_markup_is_read_as_browsers_do_in_linear_time(piece: str, found: bool) -> None:
    """Python's html.parser needs quadratic time for some of these (an hour for this size); the
    stored HTML never has them, but one article must not be able to freeze the reading view."""
    html = piece * 200_000 + "<img src='https://x.example/last.png'>"

    refs = image_refs(html)

    assert [r.url for r in refs] == (["https://x.example/last.png"] if found else [])


# ---- downloading --------------------------------------------------------------------------------


def download(
    library: Path,
    *refs: ImageRef,
    room_left: int | None = None,
    max_image_bytes: int = 1 << 20,
) -> list[ImageOutcome]:
    """Each ref in turn through one image fetcher, as an offline run does for an article."""

    async def go() -> list[ImageOutcome]:
        async with make_image_fetcher(max_image_bytes=max_image_bytes) as fetcher:
            return [
                await download_image(fetcher, ref, library, room_left=room_left) for ref in refs
            ]

    return asyncio.run(go())


def ref(url: str, width: int | None = None, height: int | None = None) -> ImageRef:
    return ImageRef(url, width, height, "")


def test_an_image_is_stored_once_under_its_content_address(
    library_path: Path, http_server: ScriptedServer
) -> None:
    data = png(40, 30)
    http_server.routes["/a.png"] = Route(200, data, PNG_HEADERS)
    http_server.routes["/same-bytes.png"] = Route(200, data, PNG_HEADERS)

    first, second = download(
        library_path, ref(http_server.url("/a.png")), ref(http_server.url("/same-bytes.png"))
    )

    name = f"{hashlib.sha256(data).hexdigest()}.png"
    assert first == ImageOutcome(http_server.url("/a.png"), f"cache:{name}", len(data), None, None)
    assert second.cache_url == first.cache_url
    assert cache_inventory(library_path) == {name: len(data)}
    path = resolve_cache_url(library_path, f"cache:{name}")
    assert path is not None and path.read_bytes() == data
    [request] = http_server.requests_for("/a.png")
    assert request.header("accept") == "image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"


def test_no_cookie_and_no_referer_ever_reach_the_image_server(
    library_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/first.png"] = Route(
        200,
        png(20, 20),
        {"Content-Type": "image/png", "Set-Cookie": "session=abc; Path=/; Max-Age=3600"},
    )
    http_server.routes["/second.png"] = Route(200, png(21, 21), PNG_HEADERS)

    outcomes = download(
        library_path, ref(http_server.url("/first.png")), ref(http_server.url("/second.png"))
    )

    assert all(o.cache_url is not None for o in outcomes)
    requests = http_server.requests_for("/first.png") + http_server.requests_for("/second.png")
    assert len(requests) == 2
    assert all(r.header("cookie") is None and r.header("referer") is None for r in requests)


def test_a_pixel_found_after_download_is_skipped_and_not_stored(
    library_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/spacer.gif"] = Route(200, GIF_1X1, {"Content-Type": "image/gif"})

    [outcome] = download(library_path, ref(http_server.url("/spacer.gif")))

    assert outcome.skipped == "a 1×1 tracking pixel"
    assert outcome.cache_url is None and outcome.size == 0 and outcome.error is None
    assert http_server.hits("/spacer.gif") == 1
    assert cache_inventory(library_path) == {}


@pytest.mark.parametrize(
    ("path", "width", "height"),
    [
        ("/pixel.gif", 1, 1),
        ("/stats/piwik.php?idsite=1&rec=1", None, None),
        ("/mf.gif", None, None),
    ],
)
def test_trackers_are_never_requested(
    library_path: Path,
    http_server: ScriptedServer,
    path: str,
    width: int | None,
    height: int | None,
) -> None:
    http_server.routes[path.split("?")[0]] = Route(200, png(30, 30), PNG_HEADERS)

    [outcome] = download(library_path, ref(http_server.url(path), width, height))

    assert outcome.skipped is not None and outcome.error is None and outcome.cache_url is None
    assert len(http_server.requests) == 0


def test_a_tracker_host_is_skipped_before_any_lookup(library_path: Path) -> None:
    """The tests refuse every non-local lookup, so an attempt would come back as an error."""
    outcomes = download(
        library_path,
        ref("https://pixel.wp.com/g.gif?blog=1"),
        ref("https://feeds.feedburner.com/~r/example/~4/abc"),
    )

    assert [o.skipped for o in outcomes] == [
        "a known tracker (pixel.wp.com)",
        "a known tracker (feeds.feedburner.com)",
    ]
    assert all(o.error is None for o in outcomes)


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversized_image_is_refused_without_storing_and_not_retried(
    library_path: Path, http_server: ScriptedServer, declared: bool
) -> None:
    big = png(400, 400) + b"\x00" * 5000
    if declared:  # the Content-Length says it all
        http_server.routes["/big.png"] = Route(200, big, PNG_HEADERS)
    else:  # small on the wire, over the cap once decoded: caught while reading
        http_server.routes["/big.png"] = Route(
            200, gzip.compress(big), {"Content-Type": "image/png", "Content-Encoding": "gzip"}
        )
        assert len(gzip.compress(big)) < 4096 < len(big)

    [outcome] = download(library_path, ref(http_server.url("/big.png")), max_image_bytes=4096)

    assert outcome.skipped is not None and "too large" in outcome.skipped
    assert outcome.error is None and outcome.cache_url is None
    assert cache_inventory(library_path) == {}


@pytest.mark.parametrize(
    ("status", "expected"), [(404, "HTTP 404"), (500, "HTTP 500"), (429, "busy")]
)
def test_a_failed_request_is_an_error_to_retry_later(
    library_path: Path, http_server: ScriptedServer, status: int, expected: str
) -> None:
    http_server.routes["/missing.png"] = Route(status, b"nope", {"Content-Type": "text/plain"})

    [outcome] = download(library_path, ref(http_server.url("/missing.png")))

    assert outcome.skipped is None and outcome.cache_url is None
    assert outcome.error is not None and expected in outcome.error
    assert outcome.error.startswith("Image not downloaded")


def test_an_image_gone_for_good_is_not_asked_for_again(
    library_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/removed.png"] = Route(410, b"gone", {"Content-Type": "text/plain"})

    [outcome] = download(library_path, ref(http_server.url("/removed.png")))

    assert outcome.skipped == "gone from its server (HTTP 410)" and outcome.error is None


def test_an_unreachable_server_is_an_error(library_path: Path) -> None:
    with ScriptedServer() as server:
        url = server.url("/a.png")  # the port is free again once the server stops

    [outcome] = download(library_path, ref(url))

    assert outcome.error is not None and "connect" in outcome.error.lower()


@pytest.mark.parametrize(
    ("body", "content_type", "expected"),
    [
        (SVG, "image/svg+xml", "an SVG image"),
        (SVG, "application/octet-stream", "an SVG image"),
        (b"<!doctype html><title>Login</title><p>Please sign in", "text/html", "not an image"),
        (b"\x00\x01garbage", "image/avif", "an image format Gloss does not keep (image/avif)"),
        (png(20, 20), "text/html", "not an image type"),  # image bytes, but labelled as a page
    ],
)
def test_what_is_not_a_kept_image_is_skipped(
    library_path: Path,
    http_server: ScriptedServer,
    body: bytes,
    content_type: str,
    expected: str,
) -> None:
    http_server.routes["/img"] = Route(200, body, {"Content-Type": content_type})

    [outcome] = download(library_path, ref(http_server.url("/img")))

    assert outcome.skipped is not None and outcome.skipped.startswith(expected), outcome.skipped
    assert outcome.error is None and outcome.cache_url is None
    assert cache_inventory(library_path) == {}


def test_the_total_cap_is_honoured_and_a_cached_image_costs_no_room(
    library_path: Path, http_server: ScriptedServer
) -> None:
    small, large = png(10, 10), png(300, 300) + b"\x00" * 2000
    http_server.routes["/small.png"] = Route(200, small, PNG_HEADERS)
    http_server.routes["/large.png"] = Route(200, large, PNG_HEADERS)
    [stored] = download(library_path, ref(http_server.url("/small.png")))

    full, again = download(
        library_path,
        ref(http_server.url("/large.png")),
        ref(http_server.url("/small.png")),
        room_left=len(small) - 1,  # not even room for the small one …
    )

    assert full.skipped == CACHE_FULL and full.cache_url is None and full.error is None
    assert stored.cache_url is not None
    assert again.cache_url == stored.cache_url  # … which is already there
    assert set(cache_inventory(library_path)) == {stored.cache_url.removeprefix("cache:")}


def test_room_left_exactly_the_image_size_stores_it(
    library_path: Path, http_server: ScriptedServer
) -> None:
    data = png(12, 12)
    http_server.routes["/a.png"] = Route(200, data, PNG_HEADERS)

    [outcome] = download(library_path, ref(http_server.url("/a.png")), room_left=len(data))

    assert outcome.cache_url is not None and outcome.size == len(data)


def test_the_fetcher_factory_is_used_with_the_image_settings(
    library_path: Path, http_server: ScriptedServer
) -> None:
    made: list[dict[str, object]] = []

    def factory(**options: object) -> Fetcher:
        made.append(options)
        return Fetcher(allow_private_redirects=True, **options)  # type: ignore[arg-type]

    http_server.routes["/moved.png"] = Route(301, b"", {"Location": "/a.png"})
    http_server.routes["/a.png"] = Route(200, png(9, 9), PNG_HEADERS)

    async def go() -> ImageOutcome:
        fetcher = make_image_fetcher(max_image_bytes=50 << 20, make_fetcher=factory)
        async with fetcher:
            return await download_image(
                fetcher, ref(http_server.url("/moved.png")), library_path, room_left=None
            )

    outcome = asyncio.run(go())

    assert outcome.cache_url is not None
    assert outcome.url == http_server.url("/moved.png")  # the URL the HTML holds, not the final
    [options] = made
    assert options["accept"] == "image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"
    assert options["max_bytes"] == 20 * 1024 * 1024  # never above what the cache would keep
