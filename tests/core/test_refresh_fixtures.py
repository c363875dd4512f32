"""Every fixture feed (tests/data/feeds, the F rows of reliability.md §6) served over real HTTP
on 127.0.0.1 and refreshed into one library together: what a user's library ends up holding."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.storage.sql import fetch_all
from reader.core.types import RefreshOutcome
from tests.support.http_server import Route, ScriptedServer

FEEDS = Path(__file__).resolve().parents[1] / "data" / "feeds"
CONTENT_TYPES = {".json": "application/feed+json", ".html": "text/html; charset=utf-8"}
NOT_FEEDS = {"captive_portal.html", "not_a_feed.xml"}
UNSAFE = re.compile(
    r"<script|<iframe|<object|<embed|<form|\son\w+\s*=|javascript:|data:|file:", re.I
)


@pytest.fixture
def refreshed(
    tmp_path: Path, http_server: ScriptedServer
) -> Iterator[tuple[Library, dict[str, object]]]:
    library = Library.open(tmp_path / "library.gloss")
    for path in sorted(FEEDS.iterdir()):
        content_type = CONTENT_TYPES.get(path.suffix, "application/xml")
        http_server.routes[f"/{path.name}"] = Route(
            body=path.read_bytes(), headers={"Content-Type": content_type}
        )
        library.subscribe(http_server.url(f"/{path.name}"))
    results = {r.url.rsplit("/", 1)[-1]: r for r in library.refresh()}
    yield library, results
    library.close()


def test_every_fixture_gets_one_result_and_feeds_are_stored(
    refreshed: tuple[Library, dict[str, object]],
) -> None:
    library, results = refreshed
    assert set(results) == {p.name for p in FEEDS.iterdir()}
    for name, result in results.items():
        expected = RefreshOutcome.ERROR if name in NOT_FEEDS else RefreshOutcome.OK
        assert result.outcome is expected, (name, result.error)  # type: ignore[attr-defined]
    assert "not a feed" in str(results["captive_portal.html"].error)  # type: ignore[attr-defined]
    stored_feeds = {f.url.rsplit("/", 1)[-1] for f in library.list_feeds() if f.unread}
    assert stored_feeds >= {"rss20_content_encoded.xml", "atom03.xml", "jsonfeed11.json"}


def test_no_stored_html_can_run_or_fetch_anything(
    refreshed: tuple[Library, dict[str, object]],
) -> None:
    library, _ = refreshed
    rows = fetch_all(library._db, "SELECT html, text FROM article_texts")
    assert len(rows) > 30
    for row in rows:
        assert not UNSAFE.search(row["html"]), row["html"]
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f]", row["text"])


def test_links_that_cannot_be_opened_are_not_offered(
    refreshed: tuple[Library, dict[str, object]],
) -> None:
    library, _ = refreshed
    for article in library.list_articles(limit=1000).articles:
        assert article.link is None or article.link.startswith(("http://", "https://"))
