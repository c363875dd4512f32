"""Feed discovery: what ``gloss add`` finds from a feed URL, a home page, or a bare site."""

from __future__ import annotations

import codecs
from pathlib import Path

import pytest

from reader.core.discover import (
    COMMON_FEED_PATHS,
    FeedCandidate,
    discover,
    find_feed_links,
    looks_like_feed,
)
from reader.core.errors import FetchError, InvalidURLError, ParseError, RetryLaterError
from reader.core.fetch import fetch_one
from tests.support.http_server import RecordedRequest, Route, ScriptedServer

PAGES = Path(__file__).parent.parent / "data" / "pages"

HTML = {"Content-Type": "text/html; charset=utf-8"}
RSS = {"Content-Type": "application/rss+xml"}
ATOM = {"Content-Type": "application/atom+xml"}
JSON = {"Content-Type": "application/feed+json"}


def page(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def serve(server: ScriptedServer, path: str, name: str, headers: dict[str, str]) -> None:
    server.routes[path] = Route(200, page(name), headers)


# --- sniffing -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("rss.xml", "application/rss+xml"),
        ("atom.xml", "application/atom+xml"),
        ("feed.json", "application/feed+json"),
        ("rss.xml", "text/html"),  # mislabelled feeds are common; the body decides
        ("atom.xml", None),
    ],
)
def test_feeds_are_recognised_by_their_first_element(name: str, content_type: str | None) -> None:
    assert looks_like_feed(page(name), content_type)


@pytest.mark.parametrize(
    "body",
    [
        codecs.BOM_UTF8 + b'\n  <?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>',
        '<?xml version="1.0" encoding="UTF-16"?><feed xmlns="x"/>'.encode("utf-16"),
        b'<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"\n'
        b' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss version="0.91"/>',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><channel/></rdf:RDF>',
        b'{"items": [], "version" : "https://jsonfeed.org/version/1", "title": "x"}',
    ],
)
def test_feed_prologues_seen_in_the_wild(body: bytes) -> None:
    assert looks_like_feed(body, None)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (page("one_link.html"), "text/html"),
        (page("one_link.html"), "application/rss+xml"),  # the header is a hint, not proof
        (b'<?xml version="1.0"?><sitemap><url/></sitemap>', "text/xml"),
        (b'{"version": "1.0", "items": []}', "application/json"),
        (b"", "application/rss+xml"),
        (b"<feedback>no</feedback>", None),
        (b"<html><body><rss>not at the top</rss></body></html>", None),
    ],
)
def test_pages_and_other_documents_are_not_feeds(body: bytes, content_type: str | None) -> None:
    assert not looks_like_feed(body, content_type)


def test_a_long_prologue_needs_the_content_type_hint() -> None:
    body = b'<?xml version="1.0"?>\n<!--' + b" licence " * 1000 + b'-->\n<rss version="2.0"/>'

    assert not looks_like_feed(body, "text/plain")
    assert looks_like_feed(body, "application/rss+xml; charset=utf-8")


# --- links in pages -----------------------------------------------------------------------------


def test_links_keep_page_order_titles_and_skip_repeats_and_non_feeds() -> None:
    found = find_feed_links(page("three_links.html"), "https://kg.example.com/")

    assert found == [
        FeedCandidate("https://kg.example.com/atom.xml", "Kitchen & Garden — Atom", "atom"),
        FeedCandidate(
            "https://kg.example.com/comments/feed/", "Kitchen & Garden — Comments", "rss"
        ),
        FeedCandidate("https://kg.example.com/feed.json", "Kitchen in JSON", "json"),
    ]


def test_relative_links_resolve_against_the_page_address() -> None:
    found = find_feed_links(page("relative_links.html"), "https://blog.example.com/posts/")

    assert [c.url for c in found] == [
        "https://blog.example.com/posts/atom.xml",
        "https://blog.example.com/rss.xml",
        "https://cdn.example.net/feed.rss",
    ]


def test_the_first_base_href_wins() -> None:
    found = find_feed_links(page("base_href.html"), "https://www.example.org/about")

    assert [c.url for c in found] == ["https://static.example.org/blog/feed.xml"]


def test_a_base_href_that_is_not_http_is_ignored() -> None:
    html = (
        '<base href="javascript:alert(1)//">'
        '<link rel="alternate" type="application/atom+xml" href="feed.atom">'
    )

    found = find_feed_links(html, "https://example.org/blog/")

    assert [c.url for c in found] == ["https://example.org/blog/feed.atom"]


def test_javascript_and_file_links_are_dropped() -> None:
    assert find_feed_links(page("javascript_link.html"), "https://example.org/") == []


def test_broken_markup_and_stray_bytes_still_yield_links() -> None:
    html = (
        b"<html><head><title>Caf\xe9</title><meta charset=iso-8859-1>"
        b"<link rel=alternate type=application/rss+xml title='Caf\xe9 du coin' href=/rss>"
        b"<p><div <<< </head"
    )

    found = find_feed_links(html, "https://cafe.example.fr/")

    assert found == [FeedCandidate("https://cafe.example.fr/rss", "Café du coin", "rss")]


# --- discover() over real HTTP ------------------------------------------------------------------


def test_a_feed_url_is_its_own_candidate(http_server: ScriptedServer) -> None:
    serve(http_server, "/feed.rss", "rss.xml", RSS)

    found = discover(http_server.url("/feed.rss"), fetch=fetch_one)

    assert found == [
        FeedCandidate(http_server.url("/feed.rss"), "Notes from a small kitchen", "rss")
    ]
    assert len(http_server.requests) == 1


def test_an_atom_feed_behind_a_redirect_is_found_at_its_final_address(
    http_server: ScriptedServer,
) -> None:
    http_server.routes["/old"] = Route(301, b"", {"Location": "/atom"})
    serve(http_server, "/atom", "atom.xml", ATOM)

    found = discover(http_server.url("/old"), fetch=fetch_one)

    assert found == [FeedCandidate(http_server.url("/atom"), "Field notes & sketches", "atom")]


def test_a_json_feed(http_server: ScriptedServer) -> None:
    serve(http_server, "/feed.json", "feed.json", JSON)

    found = discover(http_server.url("/feed.json"), fetch=fetch_one)

    assert found == [FeedCandidate(http_server.url("/feed.json"), "Ramblings in JSON", "json")]


def test_a_page_with_one_feed_link(http_server: ScriptedServer) -> None:
    serve(http_server, "/", "one_link.html", HTML)

    found = discover(http_server.url("/"), fetch=fetch_one)

    assert found == [FeedCandidate("https://blog.example.com/index.xml", "A small blog", "rss")]
    assert http_server.hits("/feed") == 0  # links found: no guessing


def test_a_page_with_three_feed_links_keeps_their_order_and_titles(
    http_server: ScriptedServer,
) -> None:
    serve(http_server, "/", "three_links.html", HTML)

    found = discover(http_server.url("/"), fetch=fetch_one)

    assert [(c.title, c.kind) for c in found] == [
        ("Kitchen & Garden — Atom", "atom"),
        ("Kitchen & Garden — Comments", "rss"),
        ("Kitchen in JSON", "json"),
    ]


def test_relative_links_resolve_against_the_address_after_redirects(
    http_server: ScriptedServer,
) -> None:
    http_server.routes["/posts"] = Route(301, b"", {"Location": "/posts/"})
    serve(http_server, "/posts/", "relative_links.html", HTML)

    found = discover(http_server.url("/posts"), fetch=fetch_one)

    assert [c.url for c in found] == [
        http_server.url("/posts/atom.xml"),
        http_server.url("/rss.xml"),
        "http://cdn.example.net/feed.rss",
    ]


def test_base_href_on_the_same_server(http_server: ScriptedServer) -> None:
    base = http_server.url("/static/")
    http_server.routes["/"] = Route(
        200,
        f'<head><base href="{base}"><link rel="alternate" '
        'type="application/atom+xml" title="Via base" href="feed.atom"></head>'.encode(),
        HTML,
    )

    found = discover(http_server.url("/"), fetch=fetch_one)

    assert found == [FeedCandidate(http_server.url("/static/feed.atom"), "Via base", "atom")]


def test_a_page_without_links_falls_back_to_the_usual_places(
    http_server: ScriptedServer,
) -> None:
    serve(http_server, "/blog/", "no_links.html", HTML)
    http_server.routes["/rss"] = Route(200, page("no_links.html"), HTML)  # a page, not a feed
    serve(http_server, "/feed", "rss.xml", {"Content-Type": "text/xml"})
    serve(http_server, "/atom.xml", "atom.xml", ATOM)
    serve(http_server, "/feed.json", "feed.json", JSON)

    found = discover(http_server.url("/blog/"), fetch=fetch_one)

    # Guesses are made at the site root, in order, and stop after two hits.
    assert found == [
        FeedCandidate(http_server.url("/feed"), "Notes from a small kitchen", "rss"),
        FeedCandidate(http_server.url("/atom.xml"), "Field notes & sketches", "atom"),
    ]
    asked = [r.path for r in http_server.requests]
    assert asked == ["/blog/", "/feed", "/rss", "/feed.xml", "/rss.xml", "/atom.xml"]


def test_a_wordpress_style_query_feed_is_the_last_guess(http_server: ScriptedServer) -> None:
    def home(request: RecordedRequest) -> Route:
        if request.path == "/?feed=rss2":
            return Route(200, page("rss.xml"), RSS)
        return Route(200, page("no_links.html"), HTML)

    http_server.routes["/"] = home

    found = discover(http_server.url("/"), fetch=fetch_one)

    assert [c.url for c in found] == [http_server.url("/?feed=rss2")]
    assert len(http_server.requests) == 1 + len(COMMON_FEED_PATHS)


def test_a_page_linking_only_a_javascript_feed_is_treated_as_linking_none(
    http_server: ScriptedServer,
) -> None:
    serve(http_server, "/", "javascript_link.html", HTML)
    serve(http_server, "/feed", "rss.xml", RSS)

    found = discover(http_server.url("/"), fetch=fetch_one)

    assert [c.url for c in found] == [http_server.url("/feed")]


def test_nothing_anywhere_is_a_clear_error(http_server: ScriptedServer) -> None:
    serve(http_server, "/", "no_links.html", HTML)
    start = http_server.url("/")

    with pytest.raises(ParseError) as raised:
        discover(start, fetch=fetch_one)

    assert str(raised.value) == (
        f"No feed found at {start}: the page links to no feed, and none of the usual places "
        "(/feed, /rss, …) has one."
    )
    assert len(http_server.requests) == 1 + len(COMMON_FEED_PATHS)


def test_a_busy_site_stops_the_guessing(http_server: ScriptedServer) -> None:
    serve(http_server, "/", "no_links.html", HTML)
    http_server.routes["/rss"] = Route(429, b"slow down", {"Retry-After": "120"})

    with pytest.raises(RetryLaterError):
        discover(http_server.url("/"), fetch=fetch_one)

    assert [r.path for r in http_server.requests] == ["/", "/feed", "/rss"]


def test_an_unreachable_address_reports_the_fetch_error(http_server: ScriptedServer) -> None:
    with pytest.raises(FetchError, match="404"):
        discover(http_server.url("/missing"), fetch=fetch_one)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "file:///etc/passwd", "/home/me/feed.xml"])
def test_addresses_that_are_not_web_addresses_are_refused_before_any_fetch(url: str) -> None:
    def must_not_fetch(url: str) -> object:
        raise AssertionError(f"fetched {url}")

    with pytest.raises(InvalidURLError):
        discover(url, fetch=must_not_fetch)  # type: ignore[arg-type]


def test_typed_addresses_without_a_scheme(http_server: ScriptedServer) -> None:
    serve(http_server, "/feed.rss", "rss.xml", RSS)
    typed = f"{http_server.host}:{http_server.port}/feed.rss"

    found = discover(typed, fetch=fetch_one)

    assert [c.url for c in found] == [http_server.url("/feed.rss")]


def test_feed_scheme_links_from_browsers(http_server: ScriptedServer) -> None:
    serve(http_server, "/feed.rss", "rss.xml", RSS)
    typed = "feed:" + http_server.url("/feed.rss")

    assert [c.url for c in discover(typed, fetch=fetch_one)] == [http_server.url("/feed.rss")]
