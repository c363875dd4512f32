"""One window per library: a second start raises the first, ``gloss add`` adds the feed in the
open window, a feed: link opens its Add Feed dialog. In-process (the window's server and a
client thread) and with real ``gloss`` processes against a window's server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from reader.core.desktop import ask_running_window, endpoint_for
from reader.core.library import Library
from reader.core.types import FullTextPolicy
from reader.gui.instance import WindowInstance
from reader.gui.main_window import MainWindow
from tests.gui.conftest import WindowFactory, wait_idle
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def instance_dir(monkeypatch: pytest.MonkeyPatch) -> Path:
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="gi-"))  # short: a socket path has ~100 bytes
    monkeypatch.setenv("GLOSS_INSTANCE_DIR", str(folder))
    return folder


@pytest.fixture
def served(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, instance_dir: Path
) -> Iterator[tuple[MainWindow, Path]]:
    path = tmp_path / "library.gloss"
    with Library.open(path) as library:
        library.set_offline_settings(full_text_default=FullTextPolicy.NEVER, images=False)
    window = make_window(path)
    instance = WindowInstance(path, window.handle_instance_request)
    assert instance.start()
    yield window, path
    instance.close()


def ask_in_thread(qtbot: QtBot, path: Path, message: dict[str, Any]) -> dict[str, Any] | None:
    """What a second start does, from another thread while this one runs the window."""
    box: list[dict[str, Any] | None] = []
    thread = threading.Thread(
        target=lambda: box.append(ask_running_window(path, message, timeout=30))
    )
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=30_000)
    return box[0]


def test_a_second_start_raises_the_first(qtbot: QtBot, served: tuple[MainWindow, Path]) -> None:
    window, path = served
    window.hide()
    assert ask_in_thread(qtbot, path, {"command": "raise"}) == {"ok": True}
    assert window.isVisible()
    second = WindowInstance(path)
    assert second.start() is False  # a second window hands over instead of serving
    second.close()


def test_a_feed_link_opens_add_feed_in_the_running_window(
    qtbot: QtBot, served: tuple[MainWindow, Path], http_server: ScriptedServer
) -> None:
    window, path = served
    http_server.routes["/rss"] = Route(body=rss("Linked", [Item("1", "One")]), headers=RSS_HEADERS)
    url = http_server.url("/rss")
    assert ask_in_thread(qtbot, path, {"command": "subscribe", "url": url}) == {"ok": True}
    dialog = window._add_dialog
    assert dialog.isVisible() and dialog.url_edit.text() == url
    qtbot.waitUntil(lambda: dialog.candidates.count() == 1, timeout=10_000)
    dialog.reject()
    refused = ask_in_thread(qtbot, path, {"command": "subscribe", "url": "javascript:x"})
    assert refused is not None and refused["ok"] is False


def test_add_in_the_window_subscribes_and_refreshes_there(
    qtbot: QtBot, served: tuple[MainWindow, Path], http_server: ScriptedServer
) -> None:
    window, path = served
    http_server.routes["/feed.xml"] = Route(
        body=rss("Evening Post", [Item("1", "One"), Item("2", "Two")]), headers=RSS_HEADERS
    )
    reply = ask_in_thread(
        qtbot,
        path,
        {"command": "add", "url": http_server.url("/feed.xml"), "folder": "News", "pick": None},
    )
    assert reply is not None and reply["ok"], reply
    assert reply["title"] == "Evening Post" and reply["url"] == http_server.url("/feed.xml")
    qtbot.waitUntil(lambda: window.refreshing is None and window.tasks.is_idle(), timeout=15_000)
    wait_idle(qtbot, window)
    feeds = window.reader.list_feeds()
    assert [(f.id, f.title, f.folder, f.unread) for f in feeds] == [
        (reply["feed_id"], "Evening Post", "News", 2)
    ]
    assert window.feeds_model.index_for_key(f"feed:{reply['feed_id']}").isValid()
    again = ask_in_thread(
        qtbot, path, {"command": "add", "url": http_server.url("/feed.xml"), "pick": None}
    )
    assert again is not None and not again["ok"] and "Already subscribed" in again["error"]


def test_add_of_a_page_with_several_feeds_asks_for_pick(
    qtbot: QtBot, served: tuple[MainWindow, Path], http_server: ScriptedServer
) -> None:
    window, path = served
    http_server.routes["/"] = Route(
        body=b'<html><head><link rel="alternate" type="application/rss+xml" title="Posts" '
        b'href="/posts.xml"><link rel="alternate" type="application/rss+xml" title="Comments" '
        b'href="/comments.xml"></head></html>',
        headers=HTML_HEADERS,
    )
    for name in ("posts", "comments"):
        http_server.routes[f"/{name}.xml"] = Route(
            body=rss(name.title(), [Item("1", "One")]), headers=RSS_HEADERS
        )
    reply = ask_in_thread(qtbot, path, {"command": "add", "url": http_server.url("/")})
    assert reply is not None and not reply["ok"]
    assert "choose one with --pick N" in reply["error"]
    assert [title for _url, title in reply["candidates"]] == ["Posts", "Comments"]
    reply = ask_in_thread(qtbot, path, {"command": "add", "url": http_server.url("/"), "pick": 2})
    assert reply is not None and reply["ok"] and reply["title"] == "Comments"
    qtbot.waitUntil(lambda: window.refreshing is None and window.tasks.is_idle(), timeout=15_000)


CLI_SCRIPT = """
import json, sys
from reader.cli import main
code = main(sys.argv[1:])
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6"))
sys.stderr.write("QT-MODULES " + json.dumps(loaded) + "\\n")
sys.exit(code)
"""


def run_gloss(qtbot: QtBot, args: list[str], instance_dir: Path) -> tuple[int, str, str]:
    """``gloss ARGS`` in a process of its own, while this process serves the window."""
    env = {**os.environ, "GLOSS_INSTANCE_DIR": str(instance_dir)}
    process = subprocess.Popen(
        [sys.executable, "-c", CLI_SCRIPT, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    qtbot.waitUntil(lambda: process.poll() is not None, timeout=60_000)
    out, err = process.communicate()
    return process.returncode, out, err


def qt_modules(stderr: str) -> list[str]:
    line = next(x for x in stderr.splitlines() if x.startswith("QT-MODULES "))
    return list(json.loads(line.removeprefix("QT-MODULES ")))


def test_gloss_add_in_another_process_adds_the_feed_in_the_window(
    qtbot: QtBot,
    served: tuple[MainWindow, Path],
    http_server: ScriptedServer,
    instance_dir: Path,
) -> None:
    window, path = served
    http_server.routes["/feed.xml"] = Route(
        body=rss("Evening Post", [Item("1", "One")]), headers=RSS_HEADERS
    )
    code, out, err = run_gloss(
        qtbot, ["--library", str(path), "add", http_server.url("/feed.xml")], instance_dir
    )
    assert code == 0, err
    assert out.startswith("Added feed 1: Evening Post  <")
    assert "The open Gloss window is fetching its articles." in out
    assert qt_modules(err) == []  # the command line asked over a socket, without Qt
    qtbot.waitUntil(lambda: window.refreshing is None and window.tasks.is_idle(), timeout=15_000)
    qtbot.waitUntil(lambda: window.windowTitle() == "Gloss (1 unread)", timeout=10_000)
    # a feed: link given to `gloss add` works the same way, and an error comes back as one
    code, out, err = run_gloss(
        qtbot,
        ["--library", str(path), "add", "feed:" + http_server.url("/feed.xml")],
        instance_dir,
    )
    assert code == 1 and "Already subscribed" in err


def test_gloss_again_raises_the_window_and_a_feed_link_opens_add_feed(
    qtbot: QtBot,
    served: tuple[MainWindow, Path],
    http_server: ScriptedServer,
    instance_dir: Path,
) -> None:
    window, path = served
    window.hide()
    code, out, err = run_gloss(qtbot, ["--library", str(path)], instance_dir)
    assert code == 0, err
    assert "its window was brought forward" in out
    assert qt_modules(err) == []
    assert window.isVisible()
    http_server.routes["/rss"] = Route(body=rss("Linked", [Item("1", "One")]), headers=RSS_HEADERS)
    link = "feed://" + http_server.url("/rss").removeprefix("http://")
    code, out, err = run_gloss(qtbot, ["--library", str(path), link], instance_dir)
    assert code == 0, err
    assert window._add_dialog.url_edit.text() == http_server.url("/rss")
    window._add_dialog.reject()


def test_the_real_app_serves_its_library_and_a_second_start_exits(
    tmp_path: Path, instance_dir: Path
) -> None:
    """Two real ``gloss`` processes: the second hands over to the first and exits at once; a
    killed window's socket is replaced by the next window."""
    path = tmp_path / "library.gloss"
    with Library.open(path):
        pass
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GLOSS_INSTANCE_DIR": str(instance_dir),
        "GLOSS_WINDOW_SETTINGS": str(tmp_path / "window.ini"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_CACHE_HOME": str(tmp_path / "cache"),
    }
    command = [sys.executable, "-m", "reader", "--library", str(path)]
    endpoint = endpoint_for(path)
    assert endpoint is not None

    def start_window() -> subprocess.Popen[str]:
        process = subprocess.Popen(command, cwd=ROOT, env=env, text=True)
        deadline = time.monotonic() + 60
        while ask_running_window(path, {"command": "ping"}) is None:
            assert process.poll() is None, "the window exited"
            assert time.monotonic() < deadline, "the window never listened"
            time.sleep(0.1)
        return process

    first = start_window()
    try:
        started = time.monotonic()
        second = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert second.returncode == 0, second.stderr
        assert "brought forward" in second.stdout
        assert time.monotonic() - started < 10
        assert first.poll() is None
    finally:
        first.kill()  # no clean exit: its socket stays behind, stale
        first.wait(timeout=30)
    assert endpoint.path.exists()
    assert ask_running_window(path, {"command": "raise"}) is None  # nobody answers there
    third = start_window()  # the stale socket is replaced
    try:
        assert ask_running_window(path, {"command": "raise"}) == {"ok": True}
    finally:
        third.terminate()
        third.wait(timeout=30)
