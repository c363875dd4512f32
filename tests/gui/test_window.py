"""The main window as a reader uses it: read, navigate by keyboard, star, restore, refresh."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import FeedId
from reader.gui.actions import ACTIONS
from reader.gui.main_window import MainWindow
from reader.gui.models.articles_model import TITLE
from reader.gui.models.feeds_model import ERROR_ROLE, UNREAD_ROLE
from reader.gui.settings_store import SettingsStore
from tests.gui.conftest import OpenedUrls, WindowFactory, add_highlight, wait_idle
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer


def press(
    qtbot: QtBot,
    window: MainWindow,
    key: Qt.Key,
    text: str = "",
    mods=Qt.KeyboardModifier.NoModifier,
) -> None:
    window.activateWindow()
    target = QApplication.focusWidget() or window.articles_pane.table
    qtbot.keyClick(target, key, mods)


def current_title(window: MainWindow) -> str | None:
    article = window.articles_pane.current_article()
    return article.title if article else None


def test_window_opens_on_all_articles_and_reads_the_selected_one(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert window.feeds_pane.selected_key() == "smart:all"
    assert window.articles_model.rowCount() == 90
    assert window.windowTitle() == "Gloss (90 unread)"
    first = window.articles_model.article(0)
    assert first is not None and first.title.endswith("story 0")  # newest first
    window.articles_pane.select_row(0)
    detail = window.reading_view.detail
    assert detail is not None and detail.article.id == first.id
    assert f"Body of {first.title.split()[0].lower()} story 0." in window.reading_view.toPlainText()
    # marked read (delay 0 in the test settings) and the counts follow
    qtbot.waitUntil(lambda: window.feeds_model.total_unread() == 89)
    assert window.articles_model.article(0).read  # type: ignore[union-attr]
    assert window.windowTitle() == "Gloss (89 unread)"


def test_keyboard_navigation_and_article_commands(
    qtbot: QtBot, window: MainWindow, opened_urls: OpenedUrls
) -> None:
    window.articles_pane.table.setFocus()
    press(qtbot, window, Qt.Key.Key_J)
    assert window.articles_pane.current_row() == 0
    press(qtbot, window, Qt.Key.Key_J)
    press(qtbot, window, Qt.Key.Key_J)
    assert window.articles_pane.current_row() == 2
    press(qtbot, window, Qt.Key.Key_K)
    assert window.articles_pane.current_row() == 1
    wait_idle(qtbot, window)
    # m toggles read; s stars; v opens the original in the browser
    press(qtbot, window, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: not window.articles_pane.current_article().read)  # type: ignore[union-attr]
    press(qtbot, window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.articles_pane.current_article().starred)  # type: ignore[union-attr]
    press(qtbot, window, Qt.Key.Key_V)
    assert opened_urls == [window.articles_pane.current_article().link]  # type: ignore[union-attr]
    # n skips read articles: row 2 is read, so from row 1 it goes to row 3
    row_two = window.articles_model.article(2).id  # type: ignore[union-attr]
    window.tasks.mutate(lambda lib: lib.set_read([row_two]))
    wait_idle(qtbot, window)
    press(qtbot, window, Qt.Key.Key_N)
    assert window.articles_pane.current_row() == 3
    # g s: the starred view lists the one starred article
    press(qtbot, window, Qt.Key.Key_G)
    press(qtbot, window, Qt.Key.Key_S)
    assert window.feeds_pane.selected_key() == "smart:starred"
    assert window.articles_model.rowCount() == 1
    # / focuses the search; typing searches (the last word is a prefix while typing)
    press(qtbot, window, Qt.Key.Key_G)
    press(qtbot, window, Qt.Key.Key_A)
    assert window.articles_model.rowCount() == 90
    press(qtbot, window, Qt.Key.Key_Slash)
    assert window.articles_pane.search_field.hasFocus()
    qtbot.keyClicks(window.articles_pane.search_field, "gamma story 1")
    results = window.articles_pane.results.model
    qtbot.waitUntil(lambda: results.rowCount() == 11)  # 1, 10..19


def test_space_pages_down_then_moves_to_next_unread(qtbot: QtBot, window: MainWindow) -> None:
    window.settings.set("mark_read_delay_ms", -1)
    window.articles_pane.select_row(0)
    window.reading_view.resize(400, 200)
    window.articles_pane.table.setFocus()
    bar = window.reading_view.verticalScrollBar()
    assert bar.maximum() > 0
    press(qtbot, window, Qt.Key.Key_Space)
    assert bar.value() > 0 and window.articles_pane.current_row() == 0
    for _ in range(30):
        if window.articles_pane.current_row() != 0:
            break
        press(qtbot, window, Qt.Key.Key_Space)
    assert window.articles_pane.current_row() == 1


def test_mark_all_read_in_a_feed(qtbot: QtBot, window: MainWindow) -> None:
    feed = next(n for n in window.reader.list_feeds() if n.title == "Beta Feed")
    assert window.feeds_pane.select_key(f"feed:{feed.id}")
    assert window.articles_model.rowCount() == 30
    press(qtbot, window, Qt.Key.Key_A, mods=Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    index = window.feeds_model.index_for_key(f"feed:{feed.id}")
    assert index.data(UNREAD_ROLE) == 0
    assert window.feeds_model.total_unread() == 60
    assert not window.articles_model.index(0, TITLE).data(Qt.ItemDataRole.FontRole)


def test_star_column_click_and_unread_filter(qtbot: QtBot, window: MainWindow) -> None:
    table = window.articles_pane.table
    rect = table.visualRect(window.articles_model.index(2, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.waitUntil(lambda: window.articles_model.article(2).starred)  # type: ignore[union-attr]
    wait_idle(qtbot, window)
    assert window.feeds_model.index(2, 0).data(UNREAD_ROLE) == 1  # Starred count
    window.articles_pane.set_show("unread")
    assert window.articles_model.rowCount() == 89  # row 2 was read when the click selected it


def test_state_is_restored_on_the_next_start(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path, settings: SettingsStore
) -> None:
    first = make_window(sample_library)
    feed = next(f for f in first.reader.list_feeds() if f.title == "Gamma Feed")
    first.feeds_pane.select_key(f"feed:{feed.id}")
    first.articles_pane.set_show("unread")
    first.outer.setSizes([300, 700, 200])
    first.named_actions["toggle_annotations"].setChecked(False)
    first.articles_pane.table.horizontalHeader().resizeSection(2, 222)
    first.close()
    second = make_window(sample_library)
    assert second.feeds_pane.selected_key() == f"feed:{feed.id}"
    assert second.articles_pane.show_mode == "unread"
    assert second.articles_model.rowCount() == 30
    assert not second.annotations_pane.isVisible()
    assert second.outer.sizes()[0] == 300
    assert second.articles_pane.table.horizontalHeader().sectionSize(2) == 222


def test_refresh_fetches_from_a_local_server_and_shows_errors(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/ok.xml"] = Route(
        body=rss("Served Feed", [Item("s1", "Served one"), Item("s2", "Served two")]),
        headers=RSS_HEADERS,
    )
    http_server.routes["/gone.xml"] = Route(404, b"no such feed")
    path = tmp_path / "library.gloss"
    with Library.open(path) as library:
        ok_id, _ = library.subscribe(http_server.url("/ok.xml"))
        bad_id, _ = library.subscribe(http_server.url("/gone.xml"))
    window = make_window(path)
    assert window.articles_model.rowCount() == 0
    assert window.last_refresh_label.text() == "Never refreshed"
    window.refresh_all()
    qtbot.waitUntil(lambda: window.refreshing is None, timeout=15_000)
    wait_idle(qtbot, window)  # the feed list is re-read on the writer thread
    assert window.articles_model.rowCount() == 2
    assert window.feeds_model.index_for_key(f"feed:{ok_id}").data(UNREAD_ROLE) == 2
    error = window.feeds_model.index_for_key(f"feed:{bad_id}").data(ERROR_ROLE)
    assert error and "404" in error
    assert window.last_refresh_label.text().startswith("Updated ")
    assert "1 failed" in window.statusBar().currentMessage()
    assert FeedId(ok_id) == ok_id


def test_highlights_pane_shows_the_current_articles_annotations(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    with Library.open(sample_library, readonly=True) as library:
        first = library.list_articles(limit=1).articles[0]
    add_highlight(sample_library, first.id, "Words to read.", note="Keep this")
    window = make_window(sample_library)
    window.articles_pane.select_row(0)
    assert window.annotations_model.rowCount() == 2
    assert "1 highlight, 1 note" in window.annotations_pane.title.text()
    window.articles_pane.select_row(1)
    assert window.annotations_model.rowCount() == 0
    assert "No highlights" in window.annotations_pane.hint.text()
    window.feeds_pane.select_key("smart:highlighted")
    assert window.articles_model.rowCount() == 1


def test_shortcuts_sheet_lists_every_bound_action(window: MainWindow) -> None:
    from reader.gui.actions import plain_text, shortcuts_sheet_html

    sheet = shortcuts_sheet_html(window.named_actions).replace("&amp;", "&")
    for spec in ACTIONS:
        if spec.shortcuts:
            assert plain_text(spec) in sheet
    assert "<b>J</b>" in sheet and "<b>Shift+A</b>" in sheet


def test_user_shortcut_override_replaces_the_default(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path, tmp_path: Path
) -> None:
    ini = tmp_path / "custom.ini"
    ini.write_text("[shortcuts]\nnext_article=Ctrl+J\n", encoding="utf-8")
    store = SettingsStore(ini)
    store.set("mark_read_delay_ms", -1)
    window = make_window(sample_library, store)
    shortcuts = [s.toString() for s in window.named_actions["next_article"].shortcuts()]
    assert shortcuts == ["Ctrl+J"]
    window.articles_pane.table.setFocus()
    press(qtbot, window, Qt.Key.Key_J, mods=Qt.KeyboardModifier.ControlModifier)
    assert window.articles_pane.current_row() == 0
