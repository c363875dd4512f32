"""Retention (issue 6): "keep read articles N days" removes old read articles of a feed, never
one a user starred, saved, tagged, highlighted or noted (rule 7), cleans their cached images, and
does not let the feed bring them back as new on the next refresh."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.errors import GlossError, NotFoundError
from reader.core.image_cache import cache_inventory, resolve_cache_url
from reader.core.library import Library
from reader.core.timeutil import utcnow
from reader.core.types import Article, ArticleFilter, FeedId
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer
from tests.support.pages import serve_site

LATER = dt.timedelta(days=30)  # "now" for apply_retention: a month after the reading


@pytest.fixture
def library(library_path: Path) -> Iterator[Library]:
    lib = Library.open(library_path)
    yield lib
    lib.close()


def old(n: int) -> dt.datetime:
    return dt.datetime(2026, 10, n, 12, 0, tzinfo=dt.UTC)


def serve(server: ScriptedServer, items: list[Item]) -> str:
    server.routes["/feed"] = Route(body=rss("News", items), headers=RSS_HEADERS)
    return server.url("/feed")


def articles(library: Library) -> dict[str, Article]:
    return {a.title: a for a in library.list_articles(limit=500).articles}


def set_read_at(library: Library, when: dt.datetime) -> None:
    """As if the articles had been read on ``when`` (a month ago, say)."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    library._db.conn.execute("UPDATE articles SET read_at = ? WHERE read = 1", [stamp])
    library._db.conn.commit()


def test_old_read_articles_go_and_everything_a_user_touched_stays(
    library: Library, http_server: ScriptedServer
) -> None:
    names = [
        "read",
        "unread",
        "starred",
        "saved",
        "tagged",
        "highlighted",
        "highlight deleted",
        "noted",
        "note deleted",
        "read too",
    ]
    items = [Item(str(n), name, published=old(n + 1)) for n, name in enumerate(names)]
    future = utcnow() + LATER - dt.timedelta(days=2)  # recent, seen from "now + 30 days"
    items.append(Item("recent", "recent read", published=future))
    feed_id, _ = library.subscribe(serve(http_server, items))
    list(library.refresh())
    by = articles(library)
    library.set_read([a.id for t, a in by.items() if t != "unread"])
    library.set_starred([by["starred"].id])
    library._db.conn.execute("UPDATE articles SET saved = 1 WHERE id = ?", [by["saved"].id])
    library._db.conn.commit()
    library.set_article_tags(by["tagged"].id, ["keep"])
    library.add_highlight_by_quote(by["highlighted"].id, "Body text")
    highlight, _ = library.add_highlight_by_quote(by["highlight deleted"].id, "Body text")
    library.delete_highlight(highlight.id)
    library.add_note(by["noted"].id, "Mine.")
    note, _ = library.add_note(by["note deleted"].id, "Gone, but mine.")
    library.delete_note(note.id)

    library.set_feed_retention(feed_id, 7)
    assert library.get_feed(feed_id).keep_read_days == 7
    # Just read: nothing goes yet, however old the articles are.
    assert library.apply_retention()[0] == 0

    count, changes = library.apply_retention(utcnow() + LATER)
    assert count == 2
    assert changes.articles == {by["read"].id, by["read too"].id}
    assert changes.feeds == {feed_id}
    assert set(articles(library)) == {*names, "recent read"} - {"read", "read too"}
    # A second run finds nothing more.
    assert library.apply_retention(utcnow() + LATER)[0] == 0


def test_forever_is_the_default_and_settings_are_checked(
    library: Library, http_server: ScriptedServer
) -> None:
    feed_id, _ = library.subscribe(serve(http_server, [Item("1", "One", published=old(1))]))
    list(library.refresh())
    library.mark_all_read()
    assert library.get_feed(feed_id).keep_read_days is None
    assert library.apply_retention(utcnow() + dt.timedelta(days=3650))[0] == 0
    for bad in (0, -1, 100_000):
        with pytest.raises(GlossError, match="from 1 to"):
            library.set_feed_retention(feed_id, bad)
    with pytest.raises(NotFoundError):
        library.set_feed_retention(FeedId(99), 7)
    library.set_feed_retention(feed_id, 7)
    library.set_feed_retention(feed_id, None)
    assert library.get_feed(feed_id).keep_read_days is None
    assert library.apply_retention(utcnow() + dt.timedelta(days=3650))[0] == 0
    assert len(articles(library)) == 1


def test_refresh_applies_retention_and_never_brings_removed_articles_back(
    library_path: Path, http_server: ScriptedServer
) -> None:
    items = [Item("1", "Old one", published=old(1)), Item("2", "Old two", published=old(2))]
    with Library.open(library_path) as library:
        feed_id, _ = library.subscribe(serve(http_server, items))
        list(library.refresh())
        library.set_read([articles(library)["Old one"].id])
        library.set_feed_retention(feed_id, 7)
        set_read_at(library, utcnow() - LATER)
        # The feed still lists both; the refresh ends with retention.
        http_server.routes["/feed"] = Route(
            body=rss("News", [*items, Item("3", "New", published=utcnow())]),
            headers=RSS_HEADERS,
        )
        [result] = library.refresh()
        assert result.new_articles == 1
        assert set(articles(library)) == {"Old two", "New"}

    with Library.open(library_path) as library:
        assert library.get_feed(feed_id).keep_read_days == 7
        # Still listed, changed by the publisher: still not stored again, not counted as new.
        http_server.routes["/feed"] = Route(
            body=rss("News", [Item("1", "Old one, edited", published=old(1)), *items[1:]]),
            headers=RSS_HEADERS,
        )
        [result] = library.refresh()
        assert result.new_articles == 0
        assert set(articles(library)) == {"Old two", "New"}
        assert library.unread_counts() == {feed_id: 2}


def test_a_removed_key_is_forgotten_once_the_feed_stops_listing_it(
    library: Library, http_server: ScriptedServer
) -> None:
    items = [Item("1", "Old one", published=old(1)), Item("2", "Old two", published=old(2))]
    feed_id, _ = library.subscribe(serve(http_server, items))
    list(library.refresh())
    library.set_read([articles(library)["Old one"].id])
    library.set_feed_retention(feed_id, 7)
    assert library.apply_retention(utcnow() + LATER)[0] == 1
    # Two months on, the feed no longer lists it: the key is forgotten...
    library._db.conn.execute("UPDATE retired_keys SET retired_at = '2026-01-01T00:00:00Z'")
    library._db.conn.commit()
    http_server.routes["/feed"] = Route(body=rss("News", items[1:]), headers=RSS_HEADERS)
    list(library.refresh())
    assert library._db.conn.execute("SELECT count(*) FROM retired_keys").fetchone()[0] == 0
    # ...so if the publisher lists it again one day, it is an article again.
    http_server.routes["/feed"] = Route(body=rss("News", items), headers=RSS_HEADERS)
    [result] = library.refresh()
    assert result.new_articles == 1


def test_images_only_removed_articles_showed_leave_the_cache(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=2)
        with Library.open(library_path) as library:
            feed_id = library.add_feed(server.url("/feed")).feed.id
            list(library.process_offline())
            assert len(cache_inventory(library_path)) == 2
            by = articles(library)
            library.mark_all_read()
            library.set_starred([by["Trip 1"].id])
            library.set_feed_retention(feed_id, 7)
            count, _ = library.apply_retention(utcnow() + dt.timedelta(days=400))
            assert count == 1
            assert set(articles(library)) == {"Trip 1"}
            kept = library.get_article(by["Trip 1"].id)
            assert kept.text is not None
            [src] = [p.split('"', 1)[0] for p in kept.text.html.split('src="')[1:]]
            assert resolve_cache_url(library_path, src) is not None
            assert len(cache_inventory(library_path)) == 1
            report = library.check()
            assert report.ok and report.orphan_images == 0


def test_retention_is_per_feed(library: Library, http_server: ScriptedServer) -> None:
    http_server.routes["/a"] = Route(body=rss("A", [Item("1", "A one", published=old(1))]))
    http_server.routes["/b"] = Route(body=rss("B", [Item("1", "B one", published=old(1))]))
    a_id, _ = library.subscribe(http_server.url("/a"))
    library.subscribe(http_server.url("/b"))
    list(library.refresh())
    library.mark_all_read(ArticleFilter())
    library.set_feed_retention(a_id, 7)
    assert library.apply_retention(utcnow() + LATER)[0] == 1
    assert set(articles(library)) == {"B one"}
