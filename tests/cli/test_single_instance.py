"""The command line's side of one window per library, without Qt: feed: links on the command
line, handing ``gloss`` and ``gloss add`` to a window that answers on the library's socket (here
a plain server standing in for the window), and carrying on alone when none does."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.cli_desktop import feed_link_argument
from reader.core.desktop import InstanceServer, endpoint_for
from reader.core.library import Library
from tests.cli.test_cli import rejected, run
from tests.support.http_server import ScriptedServer

Replier = Callable[[dict[str, Any]], None]


@pytest.fixture
def instance_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="gi-"))
    monkeypatch.setenv("GLOSS_INSTANCE_DIR", str(folder))
    return folder


@pytest.fixture
def fake_window(
    instance_dir: Path, library_path: Path
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    """A server on the library's socket answering as a window would; (requests, replies)."""
    requests: list[dict[str, Any]] = []
    replies: list[dict[str, Any]] = [{"ok": True}]

    def handle(message: dict[str, Any], reply: Replier) -> None:
        requests.append(message)
        reply(replies[0])

    server = InstanceServer(library_path, handle)
    assert server.start()
    yield requests, replies
    server.close()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Stands in for the window: what ``gloss`` would have opened it with."""
    calls: list[dict[str, Any]] = []

    def run_app(library: str | None, **kwargs: Any) -> int:
        calls.append({"library": library, **kwargs})
        return 0

    import reader.gui.app

    monkeypatch.setattr(reader.gui.app, "run_app", run_app)
    return calls


def test_a_feed_link_is_recognised_only_in_place_of_a_command() -> None:
    assert feed_link_argument(["feed://example.org/rss"]) == 0
    assert feed_link_argument(["--library", "x.gloss", "feeds://example.org/rss"]) == 2
    assert feed_link_argument(["--library", "feed:lib", "feeds"]) is None
    assert feed_link_argument(["add", "feed://example.org/rss"]) is None
    assert feed_link_argument(["feeds", "--json"]) is None
    assert feed_link_argument([]) is None


def test_gloss_feed_link_opens_the_window_with_the_web_address(
    capsys: pytest.CaptureFixture[str],
    library_path: Path,
    opened: list[dict[str, Any]],
    instance_dir: Path,
) -> None:
    code, _out, _err = run(capsys, "--library", str(library_path), "feed://example.org/rss")
    assert code == 0
    assert opened == [
        {
            "library": str(library_path),
            "startup_report": False,
            "smoke_test": False,
            "feed_url": "http://example.org/rss",
        }
    ]
    run(capsys, "--library", str(library_path), "feed:https://example.org/atom")
    assert opened[-1]["feed_url"] == "https://example.org/atom"


def test_a_bad_feed_link_is_a_usage_error_with_a_sentence(
    capsys: pytest.CaptureFixture[str], library_path: Path, opened: list[dict[str, Any]]
) -> None:
    code, _out, err = run(capsys, "--library", str(library_path), "feed:ftp://example.org/x")
    assert code == 2
    assert "is not an http or https address" in err
    err = rejected(capsys, "feed://example.org/rss", "feeds")
    assert "a feed: link is opened on its own" in err
    assert opened == []


def test_gloss_hands_over_to_a_running_window(
    capsys: pytest.CaptureFixture[str],
    library_path: Path,
    fake_window: tuple[list[dict[str, Any]], list[dict[str, Any]]],
    opened: list[dict[str, Any]],
) -> None:
    requests, _replies = fake_window
    code, out, _err = run(capsys, "--library", str(library_path))
    assert code == 0 and "its window was brought forward" in out
    code, out, _err = run(capsys, "--library", str(library_path), "feeds://example.org/rss")
    assert code == 0 and "Add Feed dialog shows https://example.org/rss" in out
    assert [r["command"] for r in requests] == ["raise", "subscribe"]
    assert requests[1]["url"] == "https://example.org/rss"
    assert opened == []  # no second window


def test_gloss_add_goes_to_the_window_and_reports_its_answer(
    capsys: pytest.CaptureFixture[str],
    library_path: Path,
    fake_window: tuple[list[dict[str, Any]], list[dict[str, Any]]],
) -> None:
    requests, replies = fake_window
    replies[0] = {"ok": True, "feed_id": 7, "title": "Evening Post", "url": "https://e.example/f"}
    code, out, _err = run(
        capsys, "--library", str(library_path), "add", "feed://e.example/f", "--folder", "News"
    )
    assert code == 0
    assert out == (
        "Added feed 7: Evening Post  <https://e.example/f>\n"
        "The open Gloss window is fetching its articles.\n"
    )
    assert requests == [
        {
            "gloss": 1,
            "command": "add",
            "url": "http://e.example/f",
            "folder": "News",
            "pick": None,
        }
    ]
    replies[0] = {
        "ok": False,
        "error": "https://e.example/ links to 2 feeds; choose one with --pick N.",
        "candidates": [["https://e.example/a", "A"], ["https://e.example/b", ""]],
    }
    code, _out, err = run(capsys, "--library", str(library_path), "add", "https://e.example/")
    assert code == 1
    assert err.splitlines() == [
        "gloss: https://e.example/ links to 2 feeds; choose one with --pick N.",
        "  1. A  https://e.example/a",
        "  2. (untitled)  https://e.example/b",
        "Run again with --pick N to choose.",
    ]
    assert not library_path.exists()  # the command line never opened the library itself


def test_with_no_window_or_a_stale_socket_gloss_add_adds_directly(
    capsys: pytest.CaptureFixture[str],
    library_path: Path,
    instance_dir: Path,
    http_server: ScriptedServer,
) -> None:
    import socket

    from tests.support.feeds import RSS_HEADERS, Item, rss
    from tests.support.http_server import Route

    http_server.routes["/f.xml"] = Route(
        body=rss("Direct", [Item("1", "One")]), headers=RSS_HEADERS
    )
    endpoint = endpoint_for(library_path)
    assert endpoint is not None
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(endpoint.path))  # what a killed window leaves
    stale.close()
    code, out, err = run(capsys, "--library", str(library_path), "add", http_server.url("/f.xml"))
    assert code == 0, err
    assert out.startswith("Added feed 1: Direct") and "1 articles stored." in out
    with Library.open(library_path, readonly=True) as library:
        assert [f.title for f in library.list_feeds()] == ["Direct"]


def test_a_window_that_takes_the_request_but_never_answers_is_an_error(
    capsys: pytest.CaptureFixture[str],
    library_path: Path,
    instance_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = InstanceServer(library_path, lambda _m, _r: None)  # never replies
    assert server.start()
    try:
        monkeypatch.setattr("reader.cli_desktop.RAISE_TIMEOUT", 0.5)
        code, _out, err = run(capsys, "--library", str(library_path))
        assert code == 1 and "did not answer" in err
    finally:
        server.close()
