"""Offline reading end to end: a refresh of a summary-only feed served on 127.0.0.1, then its full
texts and images fetched, then the server gone and every article still complete (issue 5)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest

from reader.core.image_cache import cache_inventory, images_dir, resolve_cache_url
from reader.core.library import Library
from reader.core.types import (
    ArticleFilter,
    ArticleId,
    FeedId,
    FullTextPolicy,
    TextSource,
    WorkState,
)
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png
from tests.support.pages import PARAGRAPHS, article_page, serve_site, summary_feed


def subscribe(library: Library, server: ScriptedServer) -> FeedId:
    result = library.add_feed(server.url("/feed"))
    return result.feed.id


def refresh_and_complete(library: Library, feed_id: FeedId) -> list[ArticleId]:
    touched: list[ArticleId] = []
    for result in library.refresh([feed_id]):
        touched.extend(result.articles)
    list(library.process_offline())
    return touched


def articles_of(library: Library, feed_id: FeedId) -> list[ArticleId]:
    page = library.list_articles(ArticleFilter(feed_ids=(feed_id,)))
    return [a.id for a in page.articles]


def test_summary_feed_is_complete_offline_after_refresh(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)  # the first refresh stores the summaries
            steps = list(library.process_offline())
            assert len(steps) == 3
            assert all(s.full_text and s.images_stored == 1 for s in steps)
            assert all(s.error is None for s in steps)
    # The network is gone: every article opens with its full text and its image from the cache.
    with Library.open(library_path) as library:
        ids = articles_of(library, feed_id)
        assert len(ids) == 3
        for article_id in ids:
            detail = library.get_article(article_id)
            assert detail.text is not None
            assert detail.text.source is TextSource.FULLTEXT
            assert "no signal at all in the carriages" in detail.text.text
            assert "Privacy" not in detail.text.text  # page furniture is not article text
            assert "http://127.0.0.1" not in detail.text.html.split("<img", 1)[-1].split(">")[0]
            srcs = [part.split('"', 1)[0] for part in detail.text.html.split('src="')[1:]]
            assert srcs and all(src.startswith("cache:") for src in srcs)
            assert all(resolve_cache_url(library_path, src) is not None for src in srcs)
            assert detail.sources == (TextSource.FULLTEXT, TextSource.FEED)
            assert detail.article.author == "Ines Varga"  # the page named what the feed did not
            assert detail.offline is not None
            assert detail.offline.fulltext is WorkState.DONE
            assert detail.offline.images_stored == 1


def test_pages_and_images_are_fetched_without_cookies_or_referer(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        server.routes["/trips/1"] = Route(
            200,
            article_page("Trip 1", "/img/1.png"),
            {**HTML_HEADERS, "Set-Cookie": "session=abc; Path=/"},
        )
        with Library.open(library_path) as library:
            subscribe(library, server)
            list(library.process_offline())
        for request in server.requests_for("/img/1.png") + server.requests_for("/trips/1"):
            assert request.header("cookie") is None
            assert request.header("referer") is None
        assert server.hits("/img/1.png") == 1


def test_policy_never_and_images_off_fetch_nothing(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=2)
        with Library.open(library_path) as library:
            result = library.add_feed(server.url("/feed"))
            feed_id = result.feed.id
            library.set_feed_offline(feed_id, full_text=FullTextPolicy.NEVER, images=False)
            server.routes["/feed"] = Route(200, summary_feed(server, 2), RSS_HEADERS)
            # New entries arrive after the policy changed: nothing is queued for them.
            server.routes["/feed"] = Route(
                200,
                rss(
                    "Rail Diary",
                    [
                        Item(
                            "trip-9",
                            "Trip 9",
                            '<p>Teaser. <img src="/img/1.png" alt="x"></p>',
                            link=server.url("/trips/1"),
                        )
                    ],
                    site=server.url("/"),
                ),
                RSS_HEADERS,
            )
            list(library.refresh([feed_id]))
            before = len(server.requests)
            # Neither the new entry nor the ones queued before the change fetch anything.
            steps = list(library.process_offline())
            assert steps == []
            assert len(server.requests) == before
            feed = library.get_feed(feed_id)
            assert feed.full_text is FullTextPolicy.NEVER and feed.images is False


def test_policy_always_fetches_pages_of_full_content_feeds(library_path: Path) -> None:
    long_body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS * 2)
    with ScriptedServer() as server:
        server.routes["/feed"] = Route(
            200,
            rss(
                "Full",
                [Item("a", "A", long_body, link=server.url("/a"))],
                site=server.url("/"),
            ),
            RSS_HEADERS,
        )
        server.routes["/a"] = Route(200, article_page("A"), HTML_HEADERS)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            assert list(library.process_offline()) == []  # auto: the feed sent whole articles
            assert server.hits("/a") == 0
            library.set_feed_offline(feed_id, full_text=FullTextPolicy.ALWAYS)
            list(library.make_available_offline([feed_id]))
            assert server.hits("/a") == 1


def test_failed_page_is_recorded_and_retried_later_never_blocking_the_refresh(
    library_path: Path,
) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=2)
        server.routes["/trips/2"] = Route(503, b"busy", {"Content-Type": "text/plain"})
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            steps = {s.article_id: s for s in library.process_offline()}
            failed = [s for s in steps.values() if s.error]
            assert len(failed) == 1 and "503" in (failed[0].error or "")
            ok = [s for s in steps.values() if s.full_text]
            assert len(ok) == 1
            detail = library.get_article(failed[0].article_id)
            assert detail.offline is not None and detail.offline.fulltext is WorkState.FAILED
            assert detail.offline.fulltext_retry_at is not None
            assert detail.text is not None and detail.text.source is TextSource.FEED
            # Not due yet: a second run does not ask the busy server again.
            hits = server.hits("/trips/2")
            assert list(library.process_offline()) == []
            assert server.hits("/trips/2") == hits
            # The user's "make available offline" retries now; the page is back.
            server.routes["/trips/2"] = Route(200, article_page("Trip 2"), HTML_HEADERS)
            retried = list(library.make_available_offline([feed_id]))
            assert [s.full_text for s in retried] == [True]
            assert library.get_article(failed[0].article_id).text.source is TextSource.FULLTEXT  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("route", "reason"),
    [
        # R8: a page larger than the 15 MiB cap
        (Route(200, b"<p>" + b"x" * (16 * 1024 * 1024) + b"</p>", HTML_HEADERS), "too large"),
        # R8: a redirect chain longer than five hops
        (None, "redirect"),
        # not a web page at all
        (Route(200, b"%PDF-1.7 ...", {"Content-Type": "application/pdf"}), "not a web page"),
    ],
)
def test_r8_hostile_pages_fail_with_a_reason_and_keep_the_feed_text(
    library_path: Path, route: Route | None, reason: str
) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        if route is None:
            for hop in range(8):
                server.routes[f"/hop/{hop}"] = Route(302, b"", {"Location": f"/hop/{hop + 1}"})
            server.routes["/trips/1"] = Route(302, b"", {"Location": "/hop/0"})
        else:
            server.routes["/trips/1"] = route
        with Library.open(library_path) as library:
            subscribe(library, server)
            [step] = list(library.process_offline())
            assert step.error is not None and reason in step.error.lower()
            detail = library.get_article(step.article_id)
            assert detail.text is not None and detail.text.source is TextSource.FEED
            assert "teaser about trip 1" in detail.text.text


def test_refetch_adds_a_version_and_highlights_follow(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            list(library.process_offline())
            [article_id] = articles_of(library, feed_id)
            highlight, _ = library.add_highlight_by_quote(
                article_id, "Storing the whole article when it arrives"
            )
            # The publisher edits the page; the user asks for the full text again.
            server.routes["/trips/1"] = Route(
                200,
                article_page("Trip 1", extra="<p>Update: the pass reopened in spring.</p>"),
                HTML_HEADERS,
            )
            [step] = list(library.refetch_full_text(article_id))
            assert step.full_text
            detail = library.get_article(article_id)
            assert detail.text is not None and "reopened in spring" in detail.text.text
            [moved] = library.list_highlights(article_id)
            # The version the highlight was made on is kept beside the new one (rule 7).
            kept = library._db.conn.execute(
                "SELECT count(*) FROM article_texts WHERE article_id = ? AND source = 'fulltext'",
                [article_id],
            ).fetchone()[0]
            assert kept == 2
            assert moved.id == highlight.id
            assert moved.anchor in ("exact", "relocated")
            assert (
                detail.text.text[moved.start : moved.end]
                == "Storing the whole article when it arrives"
            )


def test_switching_to_the_feed_text_and_back_keeps_highlights(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            list(library.process_offline())
            [article_id] = articles_of(library, feed_id)
            library.add_highlight_by_quote(article_id, "the only way to make the journey")
            report, changes = library.use_text_source(article_id, TextSource.FEED)
            assert report.orphan == 1  # not in the teaser: kept, waiting
            assert article_id in changes.articles
            assert library.get_article(article_id).sources[0] is TextSource.FEED
            assert len(library.list_highlights(article_id)) == 1
            report, _ = library.use_text_source(article_id, TextSource.FULLTEXT)
            assert report.orphan == 0
            [back] = library.list_highlights(article_id)
            assert back.anchor != "orphan"


def test_a_feed_update_keeps_the_full_text_and_reads_the_page_again(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            list(library.process_offline())
            [article_id] = articles_of(library, feed_id)
            items = [
                Item(
                    "trip-1",
                    "Trip 1",
                    "<p>A corrected teaser about trip 1. Read more</p>",
                    link=server.url("/trips/1"),
                    published=dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC),
                )
            ]
            server.routes["/feed"] = Route(
                200, rss("Rail Diary", items, site=server.url("/")), RSS_HEADERS
            )
            [result] = list(library.refresh([feed_id]))
            assert result.updated_articles == 1
            detail = library.get_article(article_id)
            assert detail.text is not None and detail.text.source is TextSource.FULLTEXT
            # The story changed, so its page is read again; the same words add no version.
            hits = server.hits("/trips/1")
            [step] = list(library.process_offline())
            assert server.hits("/trips/1") == hits + 1 and not step.full_text
            # When the page changed too, its new text is shown.
            server.routes["/trips/1"] = Route(
                200,
                article_page("Trip 1", extra="<p>Correction: it left at ten.</p>"),
                HTML_HEADERS,
            )
            items = [dataclasses.replace(items[0], body="<p>Corrected again. Read more</p>")]
            server.routes["/feed"] = Route(
                200, rss("Rail Diary", items, site=server.url("/")), RSS_HEADERS
            )
            list(library.refresh([feed_id]))
            [step] = list(library.process_offline())
            assert step.full_text
            detail = library.get_article(article_id)
            assert detail.text is not None and "it left at ten" in detail.text.text
            library.use_text_source(article_id, TextSource.FEED)
            feed_text = library.get_article(article_id).text
            assert feed_text is not None and "Corrected again." in feed_text.text


def test_cache_cap_stops_storing_images(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=2)
        with Library.open(library_path) as library:
            library.set_offline_settings(image_cache_mb=1)
            # Fill the cache to its cap with one large image first.
            big = png(1200, 1200, (1, 2, 3))
            images_dir(library_path).mkdir(parents=True, exist_ok=True)
            filler = images_dir(library_path) / ("f" * 64 + ".png")
            filler.write_bytes(big + b"\0" * (1024 * 1024))
            subscribe(library, server)
            steps = list(library.process_offline())
            assert all(s.images_stored == 0 for s in steps)
            assert all(s.full_text for s in steps)
            assert set(cache_inventory(library_path)) == {filler.name}


def test_removing_a_feed_removes_its_images_but_not_annotated_ones(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=2)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            list(library.process_offline())
            ids = articles_of(library, feed_id)
            assert len(cache_inventory(library_path)) == 2
            library.add_note(ids[0], "Keep this one.")
            library.remove_feed(feed_id)
            kept = library.get_article(ids[0])
            assert kept.text is not None
            [src] = [p.split('"', 1)[0] for p in kept.text.html.split('src="')[1:]]
            assert resolve_cache_url(library_path, src) is not None
            assert len(cache_inventory(library_path)) == 1
            report = library.check()
            assert report.orphan_images == 0 and report.image_files == 1


def test_check_reports_and_prunes_orphans(library_path: Path) -> None:
    with Library.open(library_path) as library:
        folder = images_dir(library_path)
        folder.mkdir(parents=True, exist_ok=True)
        orphan = folder / ("a" * 64 + ".png")
        orphan.write_bytes(png(4, 4))
        report = library.check()
        assert report.orphan_images == 1 and report.orphan_bytes == orphan.stat().st_size
        assert library.prune_image_cache() == (1, len(png(4, 4)))
        assert not orphan.exists()
        assert library.check().orphan_images == 0


def test_demo_images_are_in_use_not_orphans(library_path: Path) -> None:
    from reader.core.demo import load_demo

    with Library.open(library_path) as library:
        load_demo(library)
        report = library.check()
        assert report.image_files > 0
        assert report.orphan_images == 0
        # And the demo never goes to the network for full texts.
        assert list(library.make_available_offline()) == []


def test_an_extractor_upgrade_re_extracts_a_few_articles_per_run(library_path: Path) -> None:
    from reader.core.extractor_version import extractor_version

    with ScriptedServer() as server:
        serve_site(server, count=2)
        with Library.open(library_path) as library:
            feed_id = subscribe(library, server)
            list(library.process_offline())
            first, second = articles_of(library, feed_id)
            # Both full texts were made by an older Gloss; one page has changed since.
            library._db.conn.execute(
                "UPDATE article_texts SET extractor_version = '1.0+gloss0' "
                "WHERE source = 'fulltext'"
            )
            server.routes["/trips/2"] = Route(
                200, article_page("Trip 2", extra="<p>A new last paragraph.</p>"), HTML_HEADERS
            )
            steps = {s.article_id: s for s in library.process_offline()}
            assert set(steps) == {first, second}
            changed = library.get_article(first if "Trip 2" in steps[first].title else second)
            same = library.get_article(second if changed.article.id == first else first)
            assert changed.text is not None and "A new last paragraph." in changed.text.text
            assert same.text is not None and same.text.extractor_version == extractor_version()
            versions = library._db.conn.execute(
                "SELECT article_id, count(*) FROM article_texts WHERE source = 'fulltext' "
                "GROUP BY article_id"
            ).fetchall()
            # The replaced full text carried no highlight, so only the new one is kept.
            assert dict(versions) == {changed.article.id: 1, same.article.id: 1}
            # Up to date now: the next run asks for nothing.
            hits = len(server.requests)
            assert list(library.process_offline()) == []
            assert len(server.requests) == hits
