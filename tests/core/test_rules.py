"""Arrival rules (issue 6): what a rule matches, what it does to new articles on a real refresh
from 127.0.0.1, its live preview, and that a hostile regular expression never stalls a refresh."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from reader.core.errors import NotFoundError, RuleError, RuleTimeoutError
from reader.core.library import Library
from reader.core.rules import ArrivalRules, CompiledRule, Subject, validate
from reader.core.storage import rules as rules_store
from reader.core.storage.sql import fetch_all
from reader.core.types import (
    Article,
    ArticleFilter,
    FeedId,
    RuleAction,
    RuleField,
    RuleId,
    RuleKind,
    RuleSpec,
)
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

CATASTROPHIC = r"(a+)+$"
EVIL_TITLE = "a" * 1500 + "b"  # under the 2,000-character title cap


@pytest.fixture
def library(library_path: Path) -> Iterator[Library]:
    lib = Library.open(library_path)
    yield lib
    lib.close()


def spec(
    pattern: str,
    action: RuleAction = RuleAction.READ,
    *,
    field: RuleField = RuleField.TITLE,
    kind: RuleKind = RuleKind.WORDS,
    tag: str | None = None,
    feed_id: FeedId | None = None,
) -> RuleSpec:
    return RuleSpec(field, kind, pattern, action, tag, feed_id)


def matches(rule: RuleSpec, title: str = "", content: str = "", **kw: str | None) -> bool:
    subject = Subject(title, content, kw.get("author"), kw.get("link"))
    return CompiledRule(rule).matches(subject)


def day(n: int) -> dt.datetime:
    return dt.datetime(2026, 11, n, 12, 0, tzinfo=dt.UTC)


def serve(server: ScriptedServer, path: str, title: str, items: list[Item]) -> str:
    server.routes[path] = Route(body=rss(title, items), headers=RSS_HEADERS)
    return server.url(path)


@dataclass(frozen=True)
class Entry:
    title: str
    text: str = ""
    author: str | None = None
    link: str | None = None


def by_title(library: Library, feed_id: FeedId | None = None) -> dict[str, Article]:
    flt = ArticleFilter(feed_ids=(feed_id,) if feed_id is not None else None)
    return {a.title: a for a in library.list_articles(flt, limit=500).articles}


# ---- matching ---------------------------------------------------------------------------------


def test_words_are_whole_words_ignoring_case_and_accents() -> None:
    assert matches(spec("cafe"), "Le Café de Flore reopens")
    assert matches(spec("CAFÉ"), "a cafe in town")
    assert not matches(spec("cat"), "A category of its own")
    assert matches(spec("c++"), "Why C++ still matters")
    # Every word must be there, anywhere; a quoted phrase must be there as written.
    assert matches(spec("election results"), "Results of the local election")
    assert not matches(spec("election results"), "Election day")
    assert matches(spec('"climate change"'), "How climate   change hits farms")
    assert not matches(spec('"climate change"'), "Change in the climate")


def test_each_field_is_its_own_and_any_is_all_of_them() -> None:
    fields = {"title": "Rust 2.0", "content": "A long body about Go", "author": "Ann Lee"}
    link = "https://blog.example.com/2026/rust"
    assert matches(spec("go", field=RuleField.CONTENT), **fields, link=link)
    assert not matches(spec("go", field=RuleField.TITLE), **fields, link=link)
    assert matches(spec("ann", field=RuleField.AUTHOR), **fields, link=link)
    assert matches(spec("blog.example.com", field=RuleField.LINK), **fields, link=link)
    assert not matches(spec("blog.example.com", field=RuleField.TITLE), **fields, link=link)
    assert matches(spec("rust ann go", field=RuleField.ANY), **fields, link=link)
    assert matches(spec(r"^rust \d", kind=RuleKind.REGEX, field=RuleField.ANY), **fields, link=link)


def test_regex_is_case_insensitive_unless_it_says_otherwise() -> None:
    rule = spec(r"\bsponsor(ed)?\b", kind=RuleKind.REGEX)
    assert matches(rule, "SPONSORED: a new phone")
    assert not matches(rule, "Sponsorship news")
    assert not matches(spec(r"(?-i)sponsored", kind=RuleKind.REGEX), "SPONSORED post")


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (spec("   "), "needs something to match"),
        (spec('""'), "needs something to match"),
        (spec("ab(c", kind=RuleKind.REGEX), "not valid: missing ) at character 5"),
        (spec("[a-", kind=RuleKind.REGEX), "not valid"),
        (spec("news", RuleAction.TAG), "needs a tag"),
        (spec("news", RuleAction.TAG, tag=" # "), "needs a tag"),
    ],
)
def test_invalid_rules_say_what_to_fix(rule: RuleSpec, message: str) -> None:
    with pytest.raises(RuleError, match=message.replace("(", r"\(").replace(")", r"\)")):
        validate(rule)


def test_regex_error_gives_the_position_in_the_pattern_as_typed() -> None:
    with pytest.raises(RuleError) as caught:
        validate(spec("  ab(c", kind=RuleKind.REGEX))
    assert caught.value.position == 6  # after "  ab(c": where the ")" is missing


def test_tags_are_normalised_and_dropped_from_other_actions() -> None:
    assert validate(spec("rust", RuleAction.TAG, tag="#Rust Lang ")).tag == "Rust-Lang"
    assert validate(spec("rust", RuleAction.STAR, tag="ignored")).tag is None


def test_catastrophic_regex_times_out_once_and_is_left_out_for_the_run() -> None:
    rules = ArrivalRules([(RuleId(7), spec(CATASTROPHIC, RuleAction.SKIP, kind=RuleKind.REGEX))])
    feed_rules = rules.for_feed(FeedId(1))
    assert feed_rules is not None
    start = time.perf_counter()
    for _ in range(20):
        assert feed_rules.judge(Entry(EVIL_TITLE)) is None  # no match, not a skip
    assert time.perf_counter() - start < 1.0
    matched, errors = rules.take_stats()
    assert matched == {}
    assert errors[RuleId(7)].startswith("The pattern took too long on “aaaa")
    assert errors[RuleId(7)].endswith("(title) and was skipped.")


# ---- rules on a real refresh -------------------------------------------------------------------


def test_skip_read_star_and_tag_act_on_new_articles(
    library: Library, http_server: ScriptedServer
) -> None:
    items = [
        Item("1", "Sponsored: buy this phone", published=day(1)),
        Item("2", "Release notes for Gloss 2", published=day(2)),
        Item("3", "Weekly digest", "<p>Links about Python packaging.</p>", published=day(3)),
        Item("4", "A quiet post", link="https://podcasts.example.com/ep4", published=day(4)),
    ]
    feed_id, _ = library.subscribe(serve(http_server, "/feed", "News", items))
    skip, _ = library.add_rule(spec("sponsored", RuleAction.SKIP))
    star, _ = library.add_rule(spec("release", RuleAction.STAR))
    tag, _ = library.add_rule(
        spec("python", RuleAction.TAG, field=RuleField.CONTENT, tag="#python")
    )
    read, _ = library.add_rule(
        spec(r"podcasts\.", RuleAction.READ, kind=RuleKind.REGEX, field=RuleField.LINK)
    )

    [result] = library.refresh()
    assert result.new_articles == 3  # the skipped one is not counted: it is not there
    stored = by_title(library)
    assert set(stored) == {"Release notes for Gloss 2", "Weekly digest", "A quiet post"}
    release = library.list_articles(ArticleFilter(starred_only=True)).articles
    assert [a.title for a in release] == ["Release notes for Gloss 2"]
    tagged = library.list_articles(ArticleFilter(tag="python")).articles
    assert [a.title for a in tagged] == ["Weekly digest"]
    assert library.article_field_tags(tagged[0].id) == ("python",)
    unread = library.list_articles(ArticleFilter(unread_only=True)).articles
    assert "A quiet post" not in {a.title for a in unread}
    assert library.unread_counts()[feed_id] == 2
    counts = {r.id: r.matched for r in library.list_rules()}
    assert counts == {skip.id: 1, star.id: 1, tag.id: 1, read.id: 1}

    # The skipped entry is judged again on every parse and stays out; nothing counts as new.
    http_server.routes["/feed"] = Route(
        body=rss("News", [*items, Item("5", "Sponsored again", published=day(5))]),
        headers=RSS_HEADERS,
    )
    [again] = library.refresh()
    assert again.new_articles == 0
    assert len(by_title(library)) == 3
    assert {r.id: r.matched for r in library.list_rules()}[skip.id] == 3


def test_rules_for_one_feed_leave_other_feeds_alone(
    library: Library, http_server: ScriptedServer
) -> None:
    a_id, _ = library.subscribe(serve(http_server, "/a", "A", [Item("x", "Football results")]))
    b_id, _ = library.subscribe(serve(http_server, "/b", "B", [Item("y", "Football results")]))
    library.add_rule(spec("football", RuleAction.SKIP, feed_id=a_id))
    library.add_rule(spec("results", RuleAction.STAR))  # every feed
    results = {r.feed_id: r for r in library.refresh()}
    assert results[a_id].new_articles == 0 and results[b_id].new_articles == 1
    [kept] = library.list_articles().articles
    assert kept.feed_id == b_id and kept.starred
    rules = library.list_rules()
    assert [r.feed_title for r in rules] == ["A", None]


def test_updated_entries_are_not_judged_again(
    library: Library, http_server: ScriptedServer
) -> None:
    url = serve(http_server, "/feed", "News", [Item("1", "Plain title")])
    library.subscribe(url)
    list(library.refresh())
    library.add_rule(spec("breaking", RuleAction.SKIP))
    library.add_rule(spec("breaking", RuleAction.READ))
    http_server.routes["/feed"] = Route(
        body=rss("News", [Item("1", "Breaking: plain title", "<p>Changed.</p>")]),
        headers=RSS_HEADERS,
    )
    [result] = library.refresh()
    assert result.updated_articles == 1 and result.new_articles == 0
    [article] = library.list_articles().articles
    assert article.title == "Breaking: plain title" and not article.read
    assert all(r.matched == 0 for r in library.list_rules())


def test_disabled_rules_do_not_run_and_removing_a_rule_keeps_what_it_did(
    library: Library, http_server: ScriptedServer
) -> None:
    url = serve(http_server, "/feed", "News", [Item("1", "Gloss news")])
    library.subscribe(url)
    star, _ = library.add_rule(spec("gloss", RuleAction.STAR))
    skip, _ = library.add_rule(spec("gloss", RuleAction.SKIP))
    library.set_rule_enabled(skip.id, False)
    list(library.refresh())
    [article] = library.list_articles().articles
    assert article.starred
    assert [r.enabled for r in library.list_rules()] == [True, False]
    library.delete_rule(star.id)
    assert library.get_article(article.id).article.starred
    assert [r.id for r in library.list_rules()] == [skip.id]
    with pytest.raises(NotFoundError):
        library.delete_rule(star.id)


def test_catastrophic_regex_on_a_refresh_is_no_match_and_a_recorded_error(
    library: Library, http_server: ScriptedServer
) -> None:
    items = [Item(str(n), f"{EVIL_TITLE} {n}") for n in range(60)]
    library.subscribe(serve(http_server, "/feed", "Hostile", items))
    library.add_rule(spec("x", RuleAction.STAR))  # a rule after the bad one still runs
    bad, _ = library.add_rule(
        spec(CATASTROPHIC, RuleAction.SKIP, kind=RuleKind.REGEX, field=RuleField.ANY)
    )
    start = time.perf_counter()
    [result] = library.refresh()
    elapsed = time.perf_counter() - start
    assert result.new_articles == 60  # nothing skipped: a timeout is no match
    # One time limit (50 ms) for the whole refresh, not one per article (that would be 3 s).
    assert elapsed < 1.5
    [rule] = [r for r in library.list_rules() if r.id == bad.id]
    assert rule.last_error is not None and "took too long" in rule.last_error
    assert rule.matched == 0
    # Editing the rule clears the error.
    library.update_rule(bad.id, spec("sponsored", RuleAction.SKIP))
    [rule] = [r for r in library.list_rules() if r.id == bad.id]
    assert rule.last_error is None and rule.spec.pattern == "sponsored"


def test_rules_and_their_counts_survive_reopening(
    library_path: Path, http_server: ScriptedServer
) -> None:
    with Library.open(library_path) as library:
        feed_id, _ = library.subscribe(serve(http_server, "/feed", "News", [Item("1", "Rust")]))
        library.add_rule(spec("rust", RuleAction.TAG, tag="rust", feed_id=feed_id))
        list(library.refresh())
    with Library.open(library_path) as library:
        [rule] = library.list_rules()
        assert rule.spec == RuleSpec(
            RuleField.TITLE, RuleKind.WORDS, "rust", RuleAction.TAG, "rust", feed_id
        )
        assert rule.matched == 1 and rule.enabled and rule.feed_title == "News"
        # Removing the feed removes its rules.
        library.remove_feed(feed_id)
        assert library.list_rules() == []


def test_add_rule_checks_its_feed(library: Library) -> None:
    with pytest.raises(NotFoundError):
        library.add_rule(spec("x", feed_id=FeedId(99)))
    with pytest.raises(RuleError):
        library.add_rule(spec("(", kind=RuleKind.REGEX))
    assert library.list_rules() == []


def test_rules_apply_to_feeds_stored_without_network(library: Library) -> None:
    library.add_rule(spec("draft", RuleAction.SKIP))
    body = rss("Local", [Item("1", "Draft: not yet"), Item("2", "Published post")])
    _feed_id, stored, _ = library.add_feed_document("https://local.example/feed", body)
    assert stored == 1
    assert list(by_title(library)) == ["Published post"]


def test_move_rule_changes_running_order_and_stops_at_the_ends(library: Library) -> None:
    ids = [library.add_rule(spec(word))[0].id for word in ("one", "two", "three")]

    def order() -> list[str]:
        return [rule.spec.pattern for rule in library.list_rules()]

    assert library.move_rule(ids[2], -1).rules
    assert order() == ["one", "three", "two"]
    library.move_rule(ids[0], +1)
    assert order() == ["three", "one", "two"]
    library.move_rule(ids[2], -1)  # already first: stays
    library.move_rule(ids[1], +1)  # already last: stays
    assert order() == ["three", "one", "two"]
    # The refresh runs them in the same order, and positions are dense.
    assert [rid for rid, _ in rules_store.enabled_rules(library._db)] == [ids[2], ids[0], ids[1]]
    positions = fetch_all(library._db, "SELECT position FROM rules ORDER BY position")
    assert [r["position"] for r in positions] == [1, 2, 3]
    # A new rule still goes last; deleting one leaves the order of the rest.
    library.add_rule(spec("four"))
    library.delete_rule(ids[0])
    library.move_rule(library.list_rules()[-1].id, -1)
    assert order() == ["three", "four", "two"]
    with pytest.raises(NotFoundError):
        library.move_rule(RuleId(999), 1)


# ---- preview ----------------------------------------------------------------------------------


def test_preview_lists_recent_matches_newest_first_without_storing_anything(
    library: Library, http_server: ScriptedServer
) -> None:
    items = [
        Item(str(n), f"Post {n}" + (" about rust" if n % 2 else ""), published=day(n))
        for n in range(1, 11)
    ]
    a_id, _ = library.subscribe(serve(http_server, "/a", "A", items))
    b_id, _ = library.subscribe(
        serve(http_server, "/b", "B", [Item("z", "Rust in B", published=day(20))])
    )
    list(library.refresh())
    found = library.preview_rule(spec("rust"))
    assert [a.title for a in found][:3] == ["Rust in B", "Post 9 about rust", "Post 7 about rust"]
    assert len(found) == 6
    assert len(library.preview_rule(spec("rust"), limit=2)) == 2
    only_a = library.preview_rule(spec("rust", feed_id=a_id))
    assert {a.feed_id for a in only_a} == {a_id} and len(only_a) == 5
    # Only the newest `scan` articles are looked at.
    assert len(library.preview_rule(spec("rust", feed_id=a_id), scan=4)) == 2
    body = library.preview_rule(spec("body text", field=RuleField.CONTENT))
    assert len(body) == 11
    assert library.list_rules() == []
    assert all(not a.read for a in library.list_articles().articles)
    assert b_id != a_id


def test_preview_reports_bad_and_slow_patterns(
    library: Library, http_server: ScriptedServer
) -> None:
    library.subscribe(serve(http_server, "/feed", "Hostile", [Item("1", EVIL_TITLE)]))
    list(library.refresh())
    with pytest.raises(RuleError, match="not valid"):
        library.preview_rule(spec("(", kind=RuleKind.REGEX))
    start = time.perf_counter()
    with pytest.raises(RuleTimeoutError, match="took too long"):
        library.preview_rule(spec(CATASTROPHIC, kind=RuleKind.REGEX))
    assert time.perf_counter() - start < 1.0
    with pytest.raises(NotFoundError):
        library.preview_rule(spec("x", feed_id=FeedId(99)))


# ---- mark older as read -------------------------------------------------------------------------


def test_mark_older_read_marks_only_what_is_below_in_the_list(
    library: Library, http_server: ScriptedServer
) -> None:
    items = [Item(str(n), f"Post {n}", published=day(n)) for n in range(1, 6)]
    a_id, _ = library.subscribe(serve(http_server, "/a", "A", items))
    b_id, _ = library.subscribe(
        serve(http_server, "/b", "B", [Item("o", "Old B", published=day(1))])
    )
    list(library.refresh())
    post3 = by_title(library)["Post 3"]
    count, changes = library.mark_older_read(post3.id, ArticleFilter(feed_ids=(a_id,)))
    assert count == 2 and changes.counts
    unread = {a.title for a in library.list_articles(ArticleFilter(unread_only=True)).articles}
    assert unread == {"Post 5", "Post 4", "Post 3", "Old B"}
    count, _ = library.mark_older_read(post3.id)
    assert count == 1  # Old B, in the list of everything
    assert library.unread_counts() == {a_id: 3}
    assert b_id not in library.unread_counts()
