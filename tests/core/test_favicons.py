"""Site icons for the feeds pane: found at /favicon.ico or through the home page's <link>, cached
as files, looked up once a month at most, and never taken from something that is not an image."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from reader.core.favicons import find_icon_links
from reader.core.image_cache import images_dir, resolve_cache_url
from reader.core.library import Library
from reader.core.types import FeedId
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import ico, png

ICO_HEADERS = {"Content-Type": "image/x-icon"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}


def subscribed(library_path: Path, server: ScriptedServer) -> FeedId:
    with Library.open(library_path) as library:
        feed_id, _ = library.subscribe(server.url("/feed.xml"))
    return feed_id


def fetch(library_path: Path, **options: object) -> tuple[frozenset[FeedId], str | None]:
    with Library.open(library_path) as library:
        changes = library.fetch_favicons(**options)  # type: ignore[arg-type]
        feed = library.list_feeds()[0]
    return changes.feeds, feed.favicon


def checked_at(library_path: Path, feed_id: FeedId) -> str | None:
    with Library.open(library_path) as library:
        row = library._db.conn.execute(
            "SELECT favicon_checked_at FROM feeds WHERE id = ?", [feed_id]
        ).fetchone()
    return None if row is None else row[0]


def test_a_sites_favicon_ico_is_cached_and_shown_on_its_feed(
    library_path: Path, http_server: ScriptedServer
) -> None:
    icon = ico()
    http_server.routes["/favicon.ico"] = Route(body=icon, headers=ICO_HEADERS)
    feed_id = subscribed(library_path, http_server)
    changed, favicon = fetch(library_path)
    assert changed == {feed_id}
    assert favicon is not None
    path = resolve_cache_url(library_path, favicon)
    assert path is not None and path.read_bytes() == icon
    assert http_server.hits("/") == 0  # the home page was not needed


def test_the_home_pages_icon_link_is_followed_when_there_is_no_favicon_ico(
    library_path: Path, http_server: ScriptedServer
) -> None:
    icon = png()
    http_server.routes["/"] = Route(
        body=b"<!doctype html><html><head><title>Site</title>"
        b'<link rel="stylesheet" href="/s.css"><link rel="icon" href="/static/i.png">'
        b"</head><body>Hello</body></html>",
        headers=HTML_HEADERS,
    )
    http_server.routes["/static/i.png"] = Route(body=icon, headers={"Content-Type": "image/png"})
    feed_id = subscribed(library_path, http_server)
    changed, favicon = fetch(library_path)
    assert changed == {feed_id}
    assert favicon is not None and favicon.endswith(".png")
    path = resolve_cache_url(library_path, favicon)
    assert path is not None and path.read_bytes() == icon
    assert http_server.hits("/favicon.ico") == 1


def test_a_site_without_an_icon_is_not_asked_again_within_max_age(
    library_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/"] = Route(
        body=b"<html><head><title>No icon</title></head><body></body></html>",
        headers=HTML_HEADERS,
    )
    feed_id = subscribed(library_path, http_server)
    changed, favicon = fetch(library_path)
    assert changed == frozenset() and favicon is None
    assert checked_at(library_path, feed_id) is not None
    asked = len(http_server.requests)
    assert asked == 2  # /favicon.ico, then the home page
    assert fetch(library_path) == (frozenset(), None)
    assert len(http_server.requests) == asked
    # Once the verdict is older than max_age, the site is asked again.
    fetch(library_path, max_age=dt.timedelta(0))
    assert len(http_server.requests) == asked + 2


def test_a_web_page_served_as_favicon_ico_is_refused(
    library_path: Path, http_server: ScriptedServer
) -> None:
    page = b"<html><body>Sorry, nothing here</body></html>"
    http_server.routes["/favicon.ico"] = Route(body=page, headers={"Content-Type": "image/x-icon"})
    subscribed(library_path, http_server)
    changed, favicon = fetch(library_path)
    assert changed == frozenset() and favicon is None
    folder = images_dir(library_path)
    assert not folder.exists() or list(folder.iterdir()) == []


def test_an_unreachable_site_keeps_no_verdict(library_path: Path) -> None:
    with ScriptedServer() as server:
        feed_id = subscribed(library_path, server)
    # The server is gone: the connection is refused, so the next call tries again.
    assert fetch(library_path) == (frozenset(), None)
    assert checked_at(library_path, feed_id) is None


def test_icon_links_rank_the_page_icon_first_and_skip_svg() -> None:
    html = """<html><head><base href="/assets/">
        <link rel="apple-touch-icon" href="touch.png">
        <link rel="icon" type="image/svg+xml" href="logo.svg">
        <link rel="shortcut icon" href="favicon.ico">
        <link rel="icon" href="javascript:alert(1)">
        </head><body><link rel="icon" href="/late.png"></body></html>"""
    assert find_icon_links(html, "https://example.org/blog/") == [
        "https://example.org/assets/favicon.ico",
        "https://example.org/assets/touch.png",
    ]
