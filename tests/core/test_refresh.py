"""Refresh through the Library against a real HTTP server on 127.0.0.1.

These are the F and H rows of reliability.md §6 as a user meets them: what ends up stored, what
``gloss feeds`` would show, and what is never lost.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reader.core.errors import AlreadySubscribedError, AmbiguousFeedError, InvalidURLError
from reader.core.library import Library
from reader.core.storage.sql import fetch_all, scalar
from reader.core.types import ArticleFilter, FeedStatus, RefreshOutcome
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import RecordedRequest, Route, ScriptedServer


@pytest.fixture
def library(library_path: Path) -> Library:
    lib = Library.open(library_path)
    yield lib
    lib.close()


def two_items() -> list[Item]:
    return [Item("a", "First post"), Item("b", "Second post")]


def titles(library: Library) -> list[str]:
    return sorted(a.title for a in library.list_articles().articles)


def test_first_refresh_stores_articles_and_second_is_not_modified(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(
        body=rss("Example", two_items()),
        headers={**RSS_HEADERS, "ETag": '"v1"', "Last-Modified": "Wed, 01 Nov 2026 10:00:00 GMT"},
    )
    feed_id, _ = library.subscribe(http_server.url("/feed"))
    [first] = library.refresh()
    assert first.outcome is RefreshOutcome.OK and first.new_articles == 2
    assert titles(library) == ["First post", "Second post"]
    assert library.get_feed(feed_id).title == "Example"

    def conditional(request: RecordedRequest) -> Route:
        if request.header("If-None-Match") == '"v1"':
            return Route(304, headers={"ETag": '"v1"'})
        return Route(body=rss("Example", two_items()), headers=RSS_HEADERS)

    http_server.routes["/feed"] = conditional
    [second] = library.refresh()
    assert second.outcome is RefreshOutcome.NOT_MODIFIED
    last = http_server.requests_for("/feed")[-1]
    # H12: validators go back verbatim.
    assert last.header("If-None-Match") == '"v1"'
    assert last.header("If-Modified-Since") == "Wed, 01 Nov 2026 10:00:00 GMT"


def test_unchanged_body_without_validators_is_not_modified(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(body=rss("Example", two_items()), headers=RSS_HEADERS)
    library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    [again] = library.refresh()
    assert again.outcome is RefreshOutcome.NOT_MODIFIED
    assert len(library.list_articles().articles) == 2


def test_changed_entry_keeps_article_identity_and_read_state(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(body=rss("Example", two_items()), headers=RSS_HEADERS)
    library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    first = next(a for a in library.list_articles().articles if a.title == "First post")
    library.set_read([first.id])
    library.set_starred([first.id])

    changed = [Item("a", "First post, corrected", "<p>New words.</p>"), Item("b", "Second post")]
    http_server.routes["/feed"] = Route(body=rss("Example", changed), headers=RSS_HEADERS)
    [result] = library.refresh()
    assert result.outcome is RefreshOutcome.OK
    assert result.new_articles == 0 and result.updated_articles == 1
    detail = library.get_article(first.id)
    assert detail.article.title == "First post, corrected"
    assert detail.article.read and detail.article.starred
    assert detail.text is not None and detail.text.text == "New words."


def test_failed_fetch_keeps_articles_and_records_reason(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(body=rss("Example", two_items()), headers=RSS_HEADERS)
    feed_id, _ = library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    http_server.routes["/feed"] = Route(500, b"oops", {"Content-Type": "text/plain"})
    [result] = library.refresh()
    assert result.outcome is RefreshOutcome.ERROR
    assert "500" in (result.error or "")
    feed = library.get_feed(feed_id)
    assert feed.status is FeedStatus.ERROR and feed.error and "500" in feed.error
    assert titles(library) == ["First post", "Second post"]
    # H8: back-off grows with consecutive failures.
    assert feed.next_fetch_at is not None and feed.next_fetch_at > dt.datetime.now(dt.UTC)


def test_one_bad_feed_never_stops_the_others(library: Library, http_server: ScriptedServer) -> None:
    http_server.routes["/good"] = Route(body=rss("Good", two_items()), headers=RSS_HEADERS)
    http_server.routes["/broken"] = Route(500, b"down")
    http_server.routes["/portal"] = Route(
        body=b"<html><body><form>Log in to the hotel wifi</form></body></html>",
        headers=HTML_HEADERS,
    )
    http_server.routes["/laughs"] = Route(
        body=b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
        )
        + b']><rss version="2.0"><channel><title>&j;</title></channel></rss>',
        headers=RSS_HEADERS,
    )
    for path in ("/good", "/broken", "/portal", "/laughs"):
        library.subscribe(http_server.url(path))
    library.subscribe("http://127.0.0.1:9/closed")  # nothing listens on the discard port
    results = {r.url.rsplit("/", 1)[-1]: r for r in library.refresh()}
    assert results["good"].outcome is RefreshOutcome.OK
    assert results["broken"].outcome is RefreshOutcome.ERROR
    assert results["portal"].outcome is RefreshOutcome.ERROR
    assert results["closed"].outcome is RefreshOutcome.ERROR
    assert results["laughs"].outcome in (RefreshOutcome.OK, RefreshOutcome.ERROR)
    assert "Good" in {f.title for f in library.list_feeds()}
    assert titles(library) == ["First post", "Second post"]


def test_gone_feed_is_muted_and_retried_only_by_name(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/gone"] = Route(410, b"gone")
    feed_id, _ = library.subscribe(http_server.url("/gone"))
    [result] = library.refresh()
    assert result.outcome is RefreshOutcome.ERROR
    feed = library.get_feed(feed_id)
    assert feed.status is FeedStatus.MUTED and feed.error and "410" in feed.error
    hits = http_server.hits("/gone")
    assert list(library.refresh()) == []  # H7: polling stopped
    assert http_server.hits("/gone") == hits
    plan = library.plan_refresh()
    assert plan.skipped == ((feed_id, "muted"),)
    list(library.refresh([feed_id]))  # naming it is the manual retry
    assert http_server.hits("/gone") == hits + 1


def test_retry_after_is_honoured_across_refreshes(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/busy"] = Route(429, b"slow down", {"Retry-After": "3600"})
    feed_id, _ = library.subscribe(http_server.url("/busy"))
    [result] = library.refresh()
    assert result.outcome is RefreshOutcome.ERROR
    assert list(library.refresh()) == []
    assert http_server.hits("/busy") == 1
    [(skipped_id, reason)] = library.plan_refresh().skipped
    assert skipped_id == feed_id and "wait" in reason


def test_permanent_redirect_to_a_feed_moves_the_subscription(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/old"] = Route(301, headers={"Location": "/middle"})
    http_server.routes["/middle"] = Route(308, headers={"Location": "/new"})
    http_server.routes["/new"] = Route(body=rss("Moved", two_items()), headers=RSS_HEADERS)
    feed_id, _ = library.subscribe(http_server.url("/old"))
    [result] = library.refresh()
    assert result.url_changed_from == http_server.url("/old")
    assert library.get_feed(feed_id).url == http_server.url("/new")
    history = fetch_all(library._db, "SELECT old_url, new_url FROM feed_url_history")
    assert history == [{"old_url": http_server.url("/old"), "new_url": http_server.url("/new")}]


def test_permanent_redirect_to_a_login_page_keeps_the_url(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(301, headers={"Location": "/login"})
    http_server.routes["/login"] = Route(
        body=b"<html><body>Sign in</body></html>", headers=HTML_HEADERS
    )
    feed_id, _ = library.subscribe(http_server.url("/feed"))
    [result] = library.refresh()
    assert result.outcome is RefreshOutcome.ERROR
    assert library.get_feed(feed_id).url == http_server.url("/feed")  # H2


def test_temporary_redirect_keeps_the_url(library: Library, http_server: ScriptedServer) -> None:
    http_server.routes["/feed"] = Route(302, headers={"Location": "/elsewhere"})
    http_server.routes["/elsewhere"] = Route(body=rss("Example", two_items()), headers=RSS_HEADERS)
    feed_id, _ = library.subscribe(http_server.url("/feed"))
    [result] = library.refresh()
    assert result.outcome is RefreshOutcome.OK and result.url_changed_from is None
    assert library.get_feed(feed_id).url == http_server.url("/feed")  # H3


def test_subscribing_twice_is_reported_not_duplicated(
    library: Library, http_server: ScriptedServer
) -> None:
    url = http_server.url("/feed")
    library.subscribe(url)
    with pytest.raises(AlreadySubscribedError):
        library.subscribe(url)
    assert len(library.list_feeds()) == 1


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "/etc/passwd", "ftp://example.org/feed", "javascript:alert(1)"]
)
def test_non_web_urls_are_refused(library: Library, url: str) -> None:
    with pytest.raises(InvalidURLError):
        library.subscribe(url)
    assert library.list_feeds() == []


def test_add_from_a_page_with_several_feeds_needs_a_pick(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/"] = Route(
        body=b"<html><head>"
        b'<link rel="alternate" type="application/rss+xml" title="Posts" href="/posts.xml">'
        b'<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.xml">'
        b"</head><body>Blog</body></html>",
        headers=HTML_HEADERS,
    )
    http_server.routes["/posts.xml"] = Route(body=rss("Posts", two_items()), headers=RSS_HEADERS)
    http_server.routes["/comments.xml"] = Route(
        body=rss("Comments", [Item("c1", "A comment")]), headers=RSS_HEADERS
    )
    with pytest.raises(AmbiguousFeedError) as info:
        library.add_feed(http_server.url("/"))
    assert [title for _, title in info.value.candidates] == ["Posts", "Comments"]
    assert library.list_feeds() == []

    result = library.add_feed(http_server.url("/"), pick=2, folder="Blogs/Friends")
    assert result.feed.url == http_server.url("/comments.xml")
    assert result.feed.folder == "Blogs / Friends"
    assert result.first_refresh is not None and result.first_refresh.new_articles == 1
    with pytest.raises(AlreadySubscribedError):
        library.add_feed(http_server.url("/comments.xml"))


def test_removing_a_feed_keeps_starred_articles(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(body=rss("Example", two_items()), headers=RSS_HEADERS)
    feed_id, _ = library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    keep = library.list_articles().articles[0]
    library.set_starred([keep.id])
    kept, _ = library.remove_feed(feed_id)
    assert kept == 1
    [remaining] = library.list_articles().articles
    assert remaining.id == keep.id and remaining.feed_id is None
    assert remaining.feed_title == "Example"
    assert scalar(library._db, "SELECT count(*) FROM feeds") == 0


def test_article_list_pages_by_key(library: Library, http_server: ScriptedServer) -> None:
    base = dt.datetime(2026, 10, 1, tzinfo=dt.UTC)
    items = [
        Item(f"g{i}", f"Post {i:02}", published=base + dt.timedelta(hours=i)) for i in range(25)
    ]
    http_server.routes["/feed"] = Route(body=rss("Many", items), headers=RSS_HEADERS)
    library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    seen: list[str] = []
    cursor = None
    while True:
        page = library.list_articles(ArticleFilter(), after=cursor, limit=10)
        seen += [a.title for a in page.articles]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [f"Post {i:02}" for i in reversed(range(25))]
    count, _ = library.mark_all_read()
    assert count == 25
    assert library.list_articles(ArticleFilter(unread_only=True)).articles == ()


LONG_BODY = "<p>" + " ".join(f"word{i}" for i in range(80)) + "</p>"
OTHER_BODY = "<p>" + " ".join(f"other{i}" for i in range(80)) + "</p>"


def test_guid_migration_keeps_articles_and_their_state(
    library: Library, http_server: ScriptedServer
) -> None:
    """F16: the publisher changes every guid; the reader's articles must not double."""
    items = [Item("old-1", "Alpha", LONG_BODY), Item("old-2", "Beta", OTHER_BODY)]
    http_server.routes["/feed"] = Route(body=rss("Example", items), headers=RSS_HEADERS)
    library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    before = {a.title: a for a in library.list_articles().articles}
    library.set_starred([before["Alpha"].id])
    library.set_read([before["Beta"].id])

    migrated = [
        Item("https://new.example/1", "Alpha", LONG_BODY, link="https://example.org/old-1"),
        Item("https://new.example/2", "Beta", OTHER_BODY, link="https://example.org/old-2"),
    ]
    http_server.routes["/feed"] = Route(body=rss("Example", migrated), headers=RSS_HEADERS)
    [result] = library.refresh()
    assert result.new_articles == 0
    assert result.warning and "new ids" in result.warning
    after = {a.title: a for a in library.list_articles().articles}
    assert {t: a.id for t, a in after.items()} == {t: a.id for t, a in before.items()}
    assert after["Alpha"].starred and after["Beta"].read

    # The next refresh sees the new guids as known: nothing new, nothing rekeyed.
    [again] = library.refresh()
    assert again.new_articles == 0 and not again.warning


def test_same_title_with_different_words_is_a_new_article(
    library: Library, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed"] = Route(
        body=rss("Example", [Item("w1", "Weekly links", LONG_BODY)]), headers=RSS_HEADERS
    )
    library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    http_server.routes["/feed"] = Route(
        body=rss("Example", [Item("w2", "Weekly links", OTHER_BODY)]), headers=RSS_HEADERS
    )
    [result] = library.refresh()
    assert result.new_articles == 1 and not result.warning
    assert len(library.list_articles().articles) == 2


def test_stopping_a_refresh_early_returns_promptly_and_keeps_what_was_stored(
    library: Library, http_server: ScriptedServer
) -> None:
    import time

    http_server.routes["/fast"] = Route(body=rss("Fast", two_items()), headers=RSS_HEADERS)
    http_server.routes["/slow"] = Route(
        body=rss("Slow", two_items()), headers=RSS_HEADERS, delay=20
    )
    library.subscribe(http_server.url("/fast"))
    for i in range(3):
        http_server.routes[f"/slow{i}"] = http_server.routes["/slow"]
        library.subscribe(http_server.url(f"/slow{i}"))
    started = time.monotonic()
    results = library.refresh()
    first = next(results)
    results.close()  # the window's "stop", or Ctrl+C in the CLI
    assert time.monotonic() - started < 10
    assert first.url.endswith("/fast") and first.outcome is RefreshOutcome.OK
    assert titles(library) == ["First post", "Second post"]
