"""The bundled demo library: what a new user finds in the window on the first start."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.core.demo import (
    DEMO_FOLDER,
    DEMO_HOST,
    DEMO_MUTED_REASON,
    RESOURCES_ENV,
    DemoUnavailableError,
    demo_dir,
    load_demo,
    read_manifest,
    remove_demo,
)
from reader.core.errors import GlossError
from reader.core.image_cache import cache_size, resolve_cache_url
from reader.core.library import Library
from reader.core.types import ArticleDetail, ArticleFilter, FeedStatus

SOURCE_DEMO = Path(__file__).resolve().parents[2] / "resources" / "demo"
IMG_SRC_RE = re.compile(r"<img\b[^>]*?\ssrc=\"([^\"]*)\"")


@pytest.fixture
def library(library_path: Path) -> Iterator[Library]:
    with Library.open(library_path) as lib:
        yield lib


@pytest.fixture
def loaded(library: Library) -> Library:
    load_demo(library)
    return library


def all_articles(library: Library) -> list[ArticleDetail]:
    page = library.list_articles(ArticleFilter(), limit=1000)
    assert page.next_cursor is None
    return [library.get_article(a.id) for a in page.articles]


def article_html(detail: ArticleDetail) -> str:
    assert detail.text is not None
    return detail.text.html


# ---- the bundle ---------------------------------------------------------------------------------


def test_the_source_checkout_is_where_the_demo_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    assert demo_dir() == SOURCE_DEMO


def test_a_frozen_build_finds_the_demo_in_its_bundle(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RESOURCES_ENV, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", "/opt/gloss/_internal", raising=False)
    assert demo_dir() == Path("/opt/gloss/_internal/resources/demo")


def test_the_bundle_stays_small() -> None:
    total = sum(p.stat().st_size for p in SOURCE_DEMO.rglob("*") if p.is_file())
    assert total < 1_500_000


def test_the_manifest_lists_feeds_in_three_formats() -> None:
    feeds = read_manifest(SOURCE_DEMO)
    assert 3 <= len(feeds) <= 4
    assert all(feed.url.startswith(f"https://{DEMO_HOST}/") for feed in feeds)
    kinds = {feed.content_type.split(";")[0] for feed in feeds}
    assert {"application/rss+xml", "application/atom+xml", "application/feed+json"} <= kinds


# ---- loading ------------------------------------------------------------------------------------


def test_demo_feeds_arrive_muted_in_their_own_folder(loaded: Library) -> None:
    manifest_urls = {feed.url for feed in read_manifest(SOURCE_DEMO)}
    feeds = loaded.list_feeds()

    assert {feed.url for feed in feeds} == manifest_urls
    for feed in feeds:
        assert feed.folder == DEMO_FOLDER
        assert feed.muted and feed.status is FeedStatus.MUTED
        assert feed.title and not feed.title.startswith("https://")
        assert 5 <= feed.unread <= 8
    titles = {feed.title for feed in feeds}
    assert "Welcome to Gloss" in titles


def test_the_feed_list_tells_the_user_what_the_demo_feeds_are(loaded: Library) -> None:
    assert {feed.error for feed in loaded.list_feeds()} == {DEMO_MUTED_REASON}


def test_every_demo_article_is_unread_real_reading(loaded: Library) -> None:
    details = all_articles(loaded)

    assert 15 <= len(details) <= 32
    for detail in details:
        article = detail.article
        assert not article.read and not article.starred
        assert article.title and article.author and article.published is not None
        assert detail.text is not None
        words = len(detail.text.text.split())
        assert 300 <= words <= 1500, (article.title, words)
        assert "<h2>" in detail.text.html and "<p>" in detail.text.html


def test_the_welcome_article_is_first_in_the_list(loaded: Library) -> None:
    newest = loaded.list_articles(ArticleFilter(), limit=1).articles[0]
    assert newest.title == "Welcome to Gloss"


def test_dates_are_spread_over_past_weeks(loaded: Library) -> None:
    dates = sorted(d.article.published for d in all_articles(loaded) if d.article.published)
    assert len(set(dates)) == len(dates)
    assert dates[-1] - dates[0] >= dt.timedelta(weeks=3)
    assert all(d.tzinfo is not None and d.utcoffset() == dt.timedelta(0) for d in dates)


def test_the_articles_use_the_markup_a_reader_must_show(loaded: Library) -> None:
    html = "\n".join(article_html(d) for d in all_articles(loaded))
    for tag in ("<table>", "<pre><code>", "<blockquote>", "<ol>", "<ul>", "<figure>", "<kbd>"):
        assert tag in html, tag


def test_images_point_at_cached_files(loaded: Library) -> None:
    cached: set[Path] = set()
    for detail in all_articles(loaded):
        html = article_html(detail)
        assert DEMO_HOST not in html, detail.article.title
        for src in IMG_SRC_RE.findall(html):
            path = resolve_cache_url(loaded.path, src)
            assert path is not None, src
            cached.add(path)

    bundled = {p.name: p.read_bytes() for p in (SOURCE_DEMO / "images").iterdir()}
    # every bundled image is used by some article, and arrives in the cache byte for byte
    assert len(cached) == len(bundled)
    assert {hashlib.sha256(p.read_bytes()).hexdigest() for p in cached} == {
        hashlib.sha256(data).hexdigest() for data in bundled.values()
    }
    assert cache_size(loaded.path) == sum(len(data) for data in bundled.values())


def test_loading_twice_adds_nothing(loaded: Library) -> None:
    feeds_before = loaded.list_feeds()
    articles_before = len(all_articles(loaded))
    size_before = cache_size(loaded.path)

    changes = load_demo(loaded)

    assert not changes
    assert loaded.list_feeds() == feeds_before
    assert len(all_articles(loaded)) == articles_before
    assert cache_size(loaded.path) == size_before
    assert [f.name for f in loaded.list_folders()] == [DEMO_FOLDER]


def test_the_first_load_reports_what_changed(library: Library) -> None:
    changes = load_demo(library)

    assert changes.folders and changes.counts
    assert changes.feeds == {feed.id for feed in library.list_feeds()}
    assert changes.articles == {d.article.id for d in all_articles(library)}


def test_refreshes_leave_the_demo_feeds_alone(loaded: Library) -> None:
    for scheduled in (False, True):
        plan = loaded.plan_refresh(scheduled=scheduled)
        assert plan.feed_ids == ()
        assert {reason for _, reason in plan.skipped} == {"muted"}
        assert len(plan.skipped) == len(loaded.list_feeds())


_network_events: list[tuple[str, tuple[Any, ...]]] = []
_watching = False


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watching and event.startswith(("socket.connect", "socket.getaddrinfo", "socket.gethost")):
        _network_events.append((event, args))


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one only records while watching


@pytest.fixture
def network_watch() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    global _watching
    _network_events.clear()
    _watching = True
    try:
        yield _network_events
    finally:
        _watching = False


def test_loading_the_demo_touches_no_network(
    library: Library, network_watch: list[tuple[str, tuple[Any, ...]]]
) -> None:
    load_demo(library)
    assert network_watch == []
    assert library.list_feeds()

    socket.getaddrinfo("127.0.0.1", 9)  # the watch itself works: this lookup is seen
    assert network_watch


# ---- removing -----------------------------------------------------------------------------------


def test_removing_the_demo_keeps_what_the_user_starred(loaded: Library) -> None:
    kept = loaded.list_articles(ArticleFilter(), limit=1).articles[0]
    loaded.set_starred([kept.id])

    changes = remove_demo(loaded)

    assert changes.folders
    assert loaded.list_feeds() == []
    assert loaded.list_folders() == []
    remaining = loaded.list_articles(ArticleFilter(), limit=100).articles
    assert [a.id for a in remaining] == [kept.id]
    assert remaining[0].starred and remaining[0].feed_id is None


def test_removing_the_demo_keeps_the_users_own_feed_in_its_folder(loaded: Library) -> None:
    mine, _ = loaded.subscribe("https://example.org/feed.xml", folder=DEMO_FOLDER)

    remove_demo(loaded)

    assert [feed.id for feed in loaded.list_feeds()] == [mine]
    assert [f.name for f in loaded.list_folders()] == [DEMO_FOLDER]


# ---- a damaged or missing bundle ----------------------------------------------------------------


def test_a_missing_bundle_is_a_clear_error_and_changes_nothing(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path / "nowhere"))

    with pytest.raises(DemoUnavailableError, match="not included"):
        load_demo(library)
    assert library.list_feeds() == []
    assert issubclass(DemoUnavailableError, GlossError)


def manifest_entry(file: str, url: str) -> dict[str, str]:
    return {"file": file, "url": url, "content_type": "application/rss+xml"}


@pytest.mark.parametrize(
    "manifest",
    [
        "not json",
        json.dumps({"version": 99, "feeds": []}),
        json.dumps({"version": 1, "feeds": []}),
        json.dumps({"version": 1, "feeds": [manifest_entry("../x.xml", f"https://{DEMO_HOST}/x")]}),
        json.dumps({"version": 1, "feeds": [manifest_entry("x.xml", "https://example.com/x.xml")]}),
    ],
)
def test_a_damaged_manifest_is_refused(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, manifest: str
) -> None:
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "manifest.json").write_text(manifest, encoding="utf-8")
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))

    with pytest.raises(DemoUnavailableError):
        load_demo(library)
    assert library.list_feeds() == []


TRICKY_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Tricky</title><link>https://demo.gloss.invalid/</link>
<item><title>Images</title><guid isPermaLink="false">tricky-1</guid>
<description><![CDATA[
<p>One: <img src="images/dot.png" alt="a > b"></p>
<p>Two, the same picture again: <img alt="again" src="images/dot.png"></p>
<p>Three, from elsewhere: <img src="https://example.com/images/dot.png" alt="remote"></p>
<p>Four, escaping the images folder: <img src="images/../manifest.json" alt="manifest"></p>
<p>Five, not in the bundle: <img src="images/missing.png" alt="missing"></p>
<p>Text that mentions src="images/dot.png" is left as it is.</p>
]]></description></item></channel></rss>
"""


def test_only_bundled_demo_images_are_rewritten(
    library: Library, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundle = tmp_path / "demo"
    (bundle / "images").mkdir(parents=True)
    shutil.copy(SOURCE_DEMO / "images" / "keys.png", bundle / "images" / "dot.png")
    (bundle / "tricky.xml").write_text(TRICKY_FEED, encoding="utf-8")
    (bundle / "manifest.json").write_text(
        json.dumps(
            {
                "version": 1,
                "feeds": [
                    {
                        "file": "tricky.xml",
                        "url": f"https://{DEMO_HOST}/tricky.xml",
                        "content_type": "application/rss+xml",
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(RESOURCES_ENV, str(tmp_path))

    load_demo(library)

    (detail,) = all_articles(library)
    html = article_html(detail)
    sources = IMG_SRC_RE.findall(html)
    assert sources[0] == sources[1] and sources[0].startswith("cache:")
    assert resolve_cache_url(library.path, sources[0]) is not None
    assert sources[2] == "https://example.com/images/dot.png"
    assert all(resolve_cache_url(library.path, s) is None for s in sources[2:])
    assert 'Text that mentions src="images/dot.png" is left as it is.' in html
    assert len(list((library.path.parent / "cache" / "images").iterdir())) == 1
