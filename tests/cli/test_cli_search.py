"""``gloss search``, ``searches``, ``save-search``, ``delete-search`` and ``check --reindex`` as a
script would use them: exit codes, stdout, stderr, JSON Lines keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.cli_search import snippet_lines
from reader.core.library import Library
from reader.core.types import ArticleId, Snippet
from tests.cli.test_cli import gloss, json_lines, rejected, run
from tests.support.feeds import Item, rss


@pytest.fixture
def lib(library_path: Path) -> str:
    with Library.open(library_path) as library:
        items = [
            Item("1", "Rust ownership", "<p>The borrow checker reads every function.</p>"),
            Item("2", "Garden diary", "<p>Beans, tomatoes and a little rust on the tools.</p>"),
        ]
        library.add_feed_document("https://blog.example/feed", rss("Blog", items))
        ids = {a.title: a.id for a in library.list_articles().articles}
        library.add_highlight_by_quote(
            ArticleId(ids["Garden diary"]), "tomatoes", color="green", note="rust-proof?"
        )
    return str(library_path)


def test_search_json_lines(capsys: pytest.CaptureFixture[str], lib: str) -> None:
    code, out, err = run(capsys, "--library", lib, "search", "rust", "--json")
    assert code == 0, err
    rows = json_lines(out)
    assert [r["kind"] for r in rows].count("article") == 2
    assert {"highlight"} <= {r["kind"] for r in rows}
    first = rows[0]
    assert first["title"] == "Rust ownership" and first["kind"] == "article"
    for row in rows:
        assert {"kind", "article_id", "id", "title", "snippet", "marks", "feed", "date"} <= set(row)
        assert str(row["date"]).endswith("Z")
        for start, end in row["marks"]:  # type: ignore[union-attr]
            assert str(row["snippet"])[start:end].lower() == "rust"
    highlight = next(r for r in rows if r["kind"] == "highlight")
    assert highlight["color"] == "green" and isinstance(highlight["offset"], int)
    assert highlight["snippet"] == "tomatoes — rust-proof?"


def test_search_plain_output_marks_matches(capsys: pytest.CaptureFixture[str], lib: str) -> None:
    code, out, _ = run(capsys, "--library", lib, "search", "borrow", "checker")
    assert code == 0
    assert "article" in out and "Rust ownership" in out and "— Blog" in out
    assert "The «borrow» «checker» reads every function." in out
    code, out, _ = run(capsys, "--library", lib, "search", "--limit", "1", "rust")
    assert code == 0 and "more than 1 results" in out


def test_long_snippets_wrap_below_the_title() -> None:
    text = "the borrow checker " * 12 + "reads every function"
    start = text.index("reads")
    lines = snippet_lines(Snippet(text, ((4, 10), (start, start + 5))), bold=False, indent=12)
    assert len(lines) > 1
    assert all(len(line) <= 78 for line in lines)
    assert all(line.startswith(" " * 12) and line[12] != " " for line in lines)
    assert lines[0].startswith(" " * 12 + "the «borrow» checker")
    assert lines[-1].endswith(" «reads» every function")


def test_no_results_and_usage_errors(capsys: pytest.CaptureFixture[str], lib: str) -> None:
    code, out, _ = run(capsys, "--library", lib, "search", "zeppelin")
    assert (code, out) == (0, "No results for zeppelin\n")
    code, out, err = run(capsys, "--library", lib, "search", 'rust "borrow')
    assert code == 2 and out == ""
    assert "never closed" in err
    lines = err.splitlines()
    assert lines[1] == '  rust "borrow' and lines[2] == "       ^"
    code, _, err = run(capsys, "--library", lib, "search", "rust", "--limit", "0")
    assert code == 2 and "--limit" in err


def test_saved_search_commands(capsys: pytest.CaptureFixture[str], lib: str) -> None:
    code, out, _ = run(capsys, "--library", lib, "save-search", "Rusty", "rust -tomatoes")
    assert code == 0 and "Saved search 1: Rusty (rust -tomatoes)" in out
    code, out, _ = run(capsys, "--library", lib, "searches", "--json")
    assert json_lines(out) == [{"id": 1, "name": "Rusty", "query": "rust -tomatoes", "unread": 1}]
    code, out, _ = run(capsys, "--library", lib, "searches")
    assert "1 unread  Rusty: rust -tomatoes" in out
    code, _, err = run(capsys, "--library", lib, "save-search", "rusty", "python")
    assert code == 1 and "already a saved search" in err
    code, _, err = run(capsys, "--library", lib, "save-search", "Bad", "is:maybe")
    assert code == 2 and "'is:' takes" in err
    code, out, _ = run(capsys, "--library", lib, "delete-search", "RUSTY")
    assert code == 0 and "Deleted saved search 1: Rusty" in out
    code, _, err = run(capsys, "--library", lib, "delete-search", "Rusty")
    assert code == 1 and "no saved search" in err
    code, out, _ = run(capsys, "--library", lib, "searches")
    assert out.startswith("No saved searches")


def test_check_reports_and_rebuilds_the_index(lib: str) -> None:
    result = gloss("--library", lib, "check")
    assert result.returncode == 0, result.stderr
    assert "search index: ok" in result.stdout
    result = gloss("--library", lib, "check", "--reindex")
    assert result.returncode == 0, result.stderr
    assert "Search index rebuilt: 2 articles." in result.stdout
    result = gloss("--library", lib, "search", "--json", "tomatoes")
    assert result.returncode == 0 and len(json_lines(result.stdout)) == 2


def test_an_exclusion_may_be_a_word_of_its_own(
    capsys: pytest.CaptureFixture[str], lib: str
) -> None:
    """``gloss search rust -borrow``: ``-borrow`` is the query's, not an unknown option."""
    code, quoted, err = run(capsys, "--library", lib, "search", "rust -borrow", "--json")
    assert code == 0, err
    assert {r["title"] for r in json_lines(quoted)} == {"Garden diary"}
    for argv in (["rust", "-borrow", "--json"], ["-borrow", "--json", "rust"]):
        code, out, err = run(capsys, "--library", lib, "search", *argv)
        assert (code, out) == (0, quoted), err  # the same search, options anywhere
    code, out, _ = run(capsys, "--library", lib, "search", "rust", "--limit", "1", "-borrow")
    assert code == 0 and "Garden diary" in out and "Rust ownership" not in out
    code, out, _ = run(
        capsys, "--library", lib, "save-search", "Rust, no borrow", "rust", "-borrow"
    )
    assert code == 0 and "(rust -borrow)" in out
    # an option it does not have is still a usage error
    assert "--jsn" in rejected(capsys, "--library", lib, "search", "rust", "--jsn")
    with pytest.raises(SystemExit) as caught:
        run(capsys, "--library", lib, "search", "rust", "-h")
    assert caught.value.code == 0 and "QUERY" in capsys.readouterr().out
