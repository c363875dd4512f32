"""``gloss rules``, ``rule-add``/``-remove``/``-enable``/``-disable``, ``feed-options
--keep-read-days`` and ``mark-older-read``, as a script would use them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reader.core.library import Library
from tests.cli.test_cli import json_lines, rejected, run
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer


def day(n: int) -> dt.datetime:
    return dt.datetime(2026, 11, n, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def served(http_server: ScriptedServer, library_path: Path) -> tuple[str, int]:
    items = [
        Item("1", "Sponsored: a phone", published=day(1)),
        Item("2", "Rust 2.0 released", published=day(2)),
        Item("3", "Quiet news", published=day(3)),
    ]
    http_server.routes["/feed"] = Route(body=rss("News", items), headers=RSS_HEADERS)
    with Library.open(library_path) as library:
        feed_id, _ = library.subscribe(http_server.url("/feed"))
    return str(library_path), feed_id


def test_rules_are_added_listed_and_act_on_the_next_refresh(
    capsys: pytest.CaptureFixture[str], served: tuple[str, int]
) -> None:
    lib, feed_id = served
    code, out, _ = run(capsys, "--library", lib, "rules")
    assert code == 0 and out.startswith("No rules.")
    code, out, _ = run(capsys, "--library", lib, "rule-add", "sponsored", "--action", "skip")
    assert code == 0 and out.startswith("Added rule 1: every feed: when title has")
    code, out, _ = run(
        capsys, "--library", lib, "rule-add", r"\brust\b", "--match", "regex",
        "--field", "any", "--action", "tag", "--tag", "#Rust", "--feed", str(feed_id),
    )  # fmt: skip
    assert code == 0 and "→ tag Rust" in out

    code, out, _ = run(capsys, "--library", lib, "refresh", "--no-offline")
    assert code == 0 and "2 new article(s)" in out
    code, out, _ = run(capsys, "--library", lib, "articles", "--json")
    assert {a["title"] for a in json_lines(out)} == {"Rust 2.0 released", "Quiet news"}

    code, out, _ = run(capsys, "--library", lib, "rules", "--json")
    rows = json_lines(out)
    assert rows == [
        {
            "id": 1, "feed_id": None, "feed": None, "field": "title", "kind": "words",
            "pattern": "sponsored", "action": "skip", "tag": None, "enabled": True,
            "matched": 1, "last_error": None,
        },
        {
            "id": 2, "feed_id": feed_id, "feed": "News", "field": "any", "kind": "regex",
            "pattern": r"\brust\b", "action": "tag", "tag": "Rust", "enabled": True,
            "matched": 1, "last_error": None,
        },
    ]  # fmt: skip
    code, out, _ = run(capsys, "--library", lib, "rules")
    assert "(matched 1)" in out and "feed 1 (News)" in out


def test_preview_shows_matches_and_stores_nothing(
    capsys: pytest.CaptureFixture[str], served: tuple[str, int]
) -> None:
    lib, _ = served
    run(capsys, "--library", lib, "refresh", "--no-offline")
    code, out, _ = run(
        capsys, "--library", lib, "rule-add", "news phone", "--field", "any", "--action", "read",
        "--preview",
    )  # fmt: skip
    assert code == 0 and out.strip().endswith("It would match 0 recent article(s).")
    code, out, _ = run(
        capsys, "--library", lib, "rule-add", "released", "--action", "read", "--preview"
    )
    assert code == 0 and "Rust 2.0 released" in out and "match 1 recent" in out
    code, out, _ = run(capsys, "--library", lib, "rules", "--json")
    assert out == ""


def test_enable_disable_and_remove(
    capsys: pytest.CaptureFixture[str], served: tuple[str, int]
) -> None:
    lib, _ = served
    run(capsys, "--library", lib, "rule-add", "sponsored", "--action", "skip")
    code, out, _ = run(capsys, "--library", lib, "rule-disable", "1")
    assert code == 0 and out == "Rule 1 is off.\n"
    run(capsys, "--library", lib, "refresh", "--no-offline")
    code, out, _ = run(capsys, "--library", lib, "articles", "--json")
    assert len(json_lines(out)) == 3  # the rule was off
    code, out, _ = run(capsys, "--library", lib, "rules", "--json")
    assert json_lines(out)[0]["enabled"] is False
    code, out, _ = run(capsys, "--library", lib, "rule-enable", "1")
    assert code == 0 and out == "Rule 1 is on.\n"
    code, out, _ = run(capsys, "--library", lib, "rule-remove", "1")
    assert code == 0
    code, out, _ = run(capsys, "--library", lib, "rules", "--json")
    assert out == ""
    code, out, err = run(capsys, "--library", lib, "rule-remove", "1")
    assert code == 1 and out == "" and "There is no rule with id 1." in err


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["rule-add", "(", "--match", "regex", "--action", "read"], 1, "not valid: missing )"),
        (["rule-add", "news", "--action", "tag"], 1, "needs a tag"),
        (["rule-add", "  ", "--action", "read"], 1, "needs something to match"),
        (["rule-add", "news", "--action", "read", "--feed", "99"], 1, "no feed with id 99"),
        (["rule-add", "news"], 2, "--action"),
        (["rule-add", "news", "--action", "delete"], 2, "invalid choice"),
        (["rule-add", "news", "--action", "read", "--field", "body"], 2, "invalid choice"),
        (["rule-enable", "x"], 2, "invalid int"),
    ],
)
def test_errors_go_to_stderr(
    capsys: pytest.CaptureFixture[str],
    served: tuple[str, int],
    args: list[str],
    code: int,
    message: str,
) -> None:
    lib, _ = served
    if code == 2:
        assert message in rejected(capsys, "--library", lib, *args)
        return
    got, out, err = run(capsys, "--library", lib, *args)
    assert got == code and out == "" and message in err


def test_keep_read_days_is_a_feed_option(
    capsys: pytest.CaptureFixture[str], served: tuple[str, int]
) -> None:
    lib, feed_id = served
    code, out, _ = run(capsys, "--library", lib, "feed-options", str(feed_id))
    assert code == 0 and "keep read articles: forever" in out
    code, out, _ = run(
        capsys, "--library", lib, "feed-options", str(feed_id), "--keep-read-days", "30"
    )
    assert code == 0 and "keep read articles: 30 days" in out
    code, out, _ = run(
        capsys, "--library", lib, "feed-options", str(feed_id), "--keep-read-days", "forever"
    )
    assert code == 0 and "keep read articles: forever" in out
    for bad in ("0", "soon"):
        args = ("--library", lib, "feed-options", str(feed_id), "--keep-read-days", bad)
        assert "--keep-read-days" in rejected(capsys, *args)


def test_mark_older_read(capsys: pytest.CaptureFixture[str], served: tuple[str, int]) -> None:
    lib, feed_id = served
    run(capsys, "--library", lib, "refresh", "--no-offline")
    code, out, _ = run(capsys, "--library", lib, "articles", "--json")
    by_title = {a["title"]: a["id"] for a in json_lines(out)}
    code, out, _ = run(
        capsys, "--library", lib, "mark-older-read", str(by_title["Rust 2.0 released"]),
        "--feed", str(feed_id),
    )  # fmt: skip
    assert code == 0 and out == "Marked read: 1 older article(s).\n"
    code, out, _ = run(capsys, "--library", lib, "articles", "--unread", "--json")
    assert {a["title"] for a in json_lines(out)} == {"Rust 2.0 released", "Quiet news"}
    code, out, err = run(capsys, "--library", lib, "mark-older-read", "999")
    assert code == 1 and "no article with id 999" in err
