"""The ``gloss`` command line as a script would use it: exit codes, stderr, JSON Lines keys."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from reader import __version__
from reader.cli import main
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]


def gloss(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reader", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env=env,
    )


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def rejected(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """Run a command line argparse rejects: it exits with status 2; what it said on stderr."""
    with pytest.raises(SystemExit) as caught:
        main(list(args))
    assert caught.value.code == 2
    return capsys.readouterr().err


def json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


@pytest.fixture
def served_feed(http_server: ScriptedServer) -> str:
    items = [Item("a", "Alpha", "<p>Alpha body.</p>"), Item("b", "Beta", "<p>Beta body.</p>")]
    http_server.routes["/feed.xml"] = Route(body=rss("Served", items), headers=RSS_HEADERS)
    return http_server.url("/feed.xml")


def test_version_and_usage_errors() -> None:
    result = gloss("--version")
    assert result.returncode == 0 and result.stdout.strip() == f"Gloss {__version__}"
    result = gloss("no-such-command")
    assert result.returncode == 2 and "invalid choice" in result.stderr
    result = gloss("articles", "--limit", "many")
    assert result.returncode == 2


def test_errors_go_to_stderr_with_status_1(library_path: Path) -> None:
    result = gloss("--library", str(library_path), "show", "12345")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "no article with id 12345" in result.stderr


def test_gloss_library_environment_variable(tmp_path: Path, served_feed: str) -> None:
    import os

    env = {**os.environ, "GLOSS_LIBRARY": str(tmp_path / "env.gloss")}
    result = gloss("add", served_feed, env=env)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.gloss").exists()


def test_add_refresh_list_show_and_flags(
    capsys: pytest.CaptureFixture[str], library_path: Path, served_feed: str
) -> None:
    lib = str(library_path)
    code, out, _ = run(capsys, "--library", lib, "add", served_feed, "--folder", "News")
    assert code == 0 and "Added feed 1: Served" in out and "2 articles stored" in out

    code, out, _ = run(capsys, "--library", lib, "feeds", "--json")
    [feed] = json_lines(out)
    assert set(feed) >= {"id", "title", "url", "site_url", "folder", "unread", "status", "error"}
    assert feed["folder"] == "News" and feed["unread"] == 2 and feed["status"] == "ok"

    code, out, _ = run(capsys, "--library", lib, "refresh", "--json")
    [result] = json_lines(out)
    assert set(result) >= {"feed_id", "url", "result", "new_articles", "error"}
    assert result["result"] == "not_modified" and result["new_articles"] == 0

    code, out, _ = run(capsys, "--library", lib, "articles", "--json")
    articles = json_lines(out)
    assert [a["title"] for a in articles] == ["Alpha", "Beta"] or len(articles) == 2
    keys = {"id", "feed_id", "title", "link", "author", "published", "updated", "read", "starred"}
    assert all(set(a) >= keys for a in articles)
    assert all(str(a["published"]).endswith("Z") for a in articles)
    alpha = next(a for a in articles if a["title"] == "Alpha")

    code, out, _ = run(capsys, "--library", lib, "show", str(alpha["id"]), "--json")
    [shown] = json_lines(out)
    assert shown["text"] == "Alpha body." and shown["text_source"] == "feed"
    assert "<p>Alpha body.</p>" in str(shown["html"])

    assert run(capsys, "--library", lib, "read", str(alpha["id"]))[0] == 0
    assert run(capsys, "--library", lib, "star", str(alpha["id"]))[0] == 0
    code, out, _ = run(capsys, "--library", lib, "articles", "--unread", "--json")
    assert [a["title"] for a in json_lines(out)] == ["Beta"]
    code, out, _ = run(capsys, "--library", lib, "articles", "--starred", "--json")
    assert [a["title"] for a in json_lines(out)] == ["Alpha"]
    assert run(capsys, "--library", lib, "unstar", str(alpha["id"]))[0] == 0
    assert run(capsys, "--library", lib, "unread", str(alpha["id"]))[0] == 0
    code, out, _ = run(capsys, "--library", lib, "articles", "--unread", "--json")
    assert len(json_lines(out)) == 2

    code, out, err = run(capsys, "--library", lib, "add", served_feed)
    assert code == 1 and "Already subscribed" in err


def test_refresh_summary_line_names_failures(
    capsys: pytest.CaptureFixture[str], library_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/ok.xml"] = Route(body=rss("Fine", [Item("x", "X")]), headers=RSS_HEADERS)
    http_server.routes["/dead.xml"] = Route(404, b"missing")
    lib = str(library_path)
    from reader.core.library import Library

    with Library.open(library_path) as library:
        library.subscribe(http_server.url("/ok.xml"))
        library.subscribe(http_server.url("/dead.xml"))
    code, out, _ = run(capsys, "--library", lib, "refresh", "--no-offline")
    assert code == 0
    lines = out.strip().splitlines()
    assert lines[-1] == "2 feed(s): 1 ok, 0 not modified, 1 failed; 1 new article(s)."
    assert any("404" in line and "failed" in line for line in lines[:-1])
    code, out, _ = run(capsys, "--library", lib, "feeds")
    assert "404" in out


def test_opml_round_trip_through_the_cli(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Mine</title></head><body>'
        '<outline text="Tech"><outline text="Python">'
        '<outline type="rss" text="Py Blog" xmlUrl="https://py.example/feed" htmlUrl="https://py.example/"/>'
        "</outline></outline>"
        '<outline type="rss" text="Top" xmlUrl="https://top.example/rss"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    lib = str(tmp_path / "a.gloss")
    code, out, _ = run(capsys, "--library", lib, "import-opml", str(opml))
    assert code == 0 and "Imported 2 feed(s)" in out
    exported = tmp_path / "out.opml"
    assert run(capsys, "--library", lib, "export-opml", str(exported))[0] == 0
    lib2 = str(tmp_path / "b.gloss")
    assert run(capsys, "--library", lib2, "import-opml", str(exported))[0] == 0
    code, out, _ = run(capsys, "--library", lib2, "feeds", "--json")
    feeds = {(f["url"], f["title"], f["folder"], f["site_url"]) for f in json_lines(out)}
    assert feeds == {
        ("https://py.example/feed", "Py Blog", "Tech / Python", "https://py.example/"),
        ("https://top.example/rss", "Top", None, None),
    }


def test_malformed_opml_imports_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.opml"
    bad.write_text('<opml><body><outline xmlUrl="https://a.example/feed"></body>', encoding="utf-8")
    lib = str(tmp_path / "a.gloss")
    code, _, err = run(capsys, "--library", lib, "import-opml", str(bad))
    assert code == 1 and "OPML" in err
    code, out, _ = run(capsys, "--library", lib, "feeds", "--json")
    assert out == ""


def test_later_commands_say_they_are_not_built_yet(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    from reader.cli import NOT_BUILT_YET

    for command in NOT_BUILT_YET:  # none left since search was built (issue 6)
        code, out, err = run(capsys, "--library", str(library_path), command, "x")
        assert code == 1 and "not built yet" in err and out == ""
    code, _, err = run(capsys, "--library", str(library_path), "search", "x")
    assert code == 0 and "not built yet" not in err


def test_backup_and_check(capsys: pytest.CaptureFixture[str], library_path: Path) -> None:
    lib = str(library_path)
    code, out, _ = run(capsys, "--library", lib, "backup")
    assert code == 0 and "Backup written" in out
    code, out, _ = run(capsys, "--library", lib, "check")
    assert code == 0 and "ok" in out and "Backups: 1" in out


def test_newer_library_is_refused_untouched(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    import sqlite3

    from reader.core.library import Library

    Library.open(library_path).close()
    conn = sqlite3.connect(library_path)
    conn.execute("PRAGMA user_version = 999")
    conn.commit()
    conn.close()
    before = library_path.read_bytes()
    code, _out, err = run(capsys, "--library", str(library_path), "feeds")
    assert code == 1 and "newer version of Gloss" in err
    assert library_path.read_bytes() == before
