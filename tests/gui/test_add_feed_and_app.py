"""Subscribing from a web page, OPML through the File menu, and starting the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from reader.core.errors import CorruptLibraryError, SchemaTooNewError
from reader.core.library import Library
from reader.gui.app import explain_open_error
from reader.gui.models.feeds_model import UNREAD_ROLE
from tests.gui.conftest import WindowFactory, make_library, wait_idle
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]


def test_subscribe_from_a_page_url_with_discovery(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/"] = Route(
        body=b"<html><head><title>Blog</title>"
        b'<link rel="alternate" type="application/rss+xml" title="Blog posts" href="/posts.xml">'
        b'<link rel="alternate" type="application/atom+xml" title="Comments" href="/comments.xml">'
        b"</head><body>hi</body></html>",
        headers=HTML_HEADERS,
    )
    http_server.routes["/posts.xml"] = Route(
        body=rss("Blog posts", [Item("p1", "First post"), Item("p2", "Second post")]),
        headers=RSS_HEADERS,
    )
    path = tmp_path / "library.gloss"
    Library.open(path).close()
    window = make_window(path)
    window.add_feed()
    dialog = window._add_dialog
    dialog.url_edit.setText(http_server.url("/"))
    qtbot.mouseClick(dialog.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.candidates.count() == 2, timeout=10_000)
    assert "Found 2 feeds" in dialog.status.text()
    assert "Blog posts" in dialog.candidates.item(0).text()
    dialog.candidates.setCurrentRow(0)
    dialog.folder_box.setCurrentText("Blogs")
    dialog.accept()
    qtbot.waitUntil(lambda: window.refreshing is None and window.tasks.is_idle(), timeout=15_000)
    feeds = window.reader.list_feeds()
    assert [(f.title, f.folder) for f in feeds] == [("Blog posts", "Blogs")]
    index = window.feeds_model.index_for_key(f"feed:{feeds[0].id}")
    assert index.data(UNREAD_ROLE) == 2
    assert window.feeds_pane.selected_key() == f"feed:{feeds[0].id}"
    titles = {window.articles_model.article(r).title for r in range(2)}  # type: ignore[union-attr]
    assert titles == {"First post", "Second post"}


def test_discovery_failure_is_shown_in_the_dialog(
    qtbot: QtBot, window, http_server: ScriptedServer
) -> None:
    http_server.routes["/"] = Route(
        body=b"<html><body>no feeds</body></html>", headers=HTML_HEADERS
    )
    window.add_feed()
    dialog = window._add_dialog
    dialog.url_edit.setText(http_server.url("/"))
    dialog.find_feeds()
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=15_000)
    assert dialog.candidates.count() == 0
    assert dialog.status.text() and not dialog.subscribe_button.isEnabled()
    dialog.reject()


def test_opml_export_then_import_refreshes_the_new_feeds(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/a.xml"] = Route(
        body=rss("Feed A", [Item("a1", "A one")]), headers=RSS_HEADERS
    )
    http_server.routes["/b.xml"] = Route(
        body=rss("Feed B", [Item("b1", "B one")]), headers=RSS_HEADERS
    )
    source = tmp_path / "library.gloss"
    with Library.open(source) as library:
        library.subscribe(http_server.url("/a.xml"), folder="Tech", title="Feed A")
        library.subscribe(http_server.url("/b.xml"), title="Feed B")
    window = make_window(source)
    target = tmp_path / "subs.opml"
    window.export_opml_file(target)
    qtbot.waitUntil(target.exists, timeout=5000)
    assert b"Feed A" in target.read_bytes()
    empty = tmp_path / "other" / "library.gloss"
    empty.parent.mkdir()
    Library.open(empty).close()
    other = make_window(empty)
    other.import_opml_file(target)
    qtbot.waitUntil(lambda: len(other.reader.list_feeds()) == 2, timeout=5000)
    qtbot.waitUntil(lambda: other.refreshing is None, timeout=15_000)
    wait_idle(qtbot, other)
    assert other.feeds_model.index_for_key("folder:1").data() == "Tech"
    assert other.feeds_model.total_unread() == 2


def test_open_errors_read_as_sentences() -> None:
    too_new = SchemaTooNewError("x.gloss was written by a newer version of Gloss.")
    assert explain_open_error(too_new) == str(too_new)
    corrupt = CorruptLibraryError("The library is damaged.", moved_to="/tmp/x.corrupt")
    text = explain_open_error(corrupt)
    assert "/tmp/x.corrupt" in text and "backups" in text


def test_startup_report_prints_one_json_line(tmp_path: Path) -> None:
    path = make_library(tmp_path / "library.gloss", feeds=2, per_feed=10)
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GLOSS_WINDOW_SETTINGS": str(tmp_path / "window.ini"),
    }
    done = subprocess.run(
        [sys.executable, "-m", "reader", "--library", str(path), "--startup-report"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["interactive_ms"] > 0 and report["rss_mb"] > 0
    assert report["articles_loaded"] == 20


def test_startup_report_on_a_refused_library_exits_1(tmp_path: Path) -> None:
    bogus = tmp_path / "library.gloss"
    bogus.write_bytes(b"not a database at all, just text" * 10)
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run(
        [sys.executable, "-m", "reader", "--library", str(bogus), "--startup-report"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 1
    assert "not a Gloss library" in done.stderr
    assert bogus.read_bytes().startswith(b"not a database")  # untouched


def test_first_start_shows_the_demo_library(tmp_path: Path) -> None:
    path = tmp_path / "new" / "library.gloss"
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "GLOSS_WINDOW_SETTINGS": str(tmp_path / "window.ini"),
    }
    command = [sys.executable, "-m", "reader", "--library", str(path), "--startup-report"]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["feeds"] >= 3 and report["articles_loaded"] >= 10
    with Library.open(path, readonly=True) as library:
        assert all(f.muted and f.folder == "Gloss demo" for f in library.list_feeds())
    # the second start is not a first start: removing the demo sticks
    with Library.open(path) as library:
        from reader.core.demo import remove_demo

        remove_demo(library)
    again = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert json.loads(again.stdout.strip().splitlines()[-1])["feeds"] == 0
