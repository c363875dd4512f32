"""Organising from the window: tagging articles from the list, keeping read articles per feed,
marking read on scroll past, and marking older articles read."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import ArticleFilter, FeedId
from reader.gui.dialogs.tag_dialog import TagArticlesDialog
from reader.gui.main_window import MainWindow
from reader.gui.models.articles_model import TITLE
from reader.gui.models.feeds_model import UNREAD_ROLE
from reader.gui.settings_store import SettingsStore
from tests.gui.conftest import QT_NOISE, WindowFactory, wait_idle

# The completion list pops up as a real window; the offscreen platform cannot raise or grab it.
popup_shows = pytest.mark.qt_log_ignore(
    *QT_NOISE, "This plugin does not support raise", "This plugin does not support grabbing"
)


@pytest.fixture
def quiet_settings(settings: SettingsStore) -> SettingsStore:
    settings.set("mark_read_delay_ms", -1)  # selecting an article does not read it here
    return settings


@pytest.fixture
def window(make_window: WindowFactory, sample_library: Path, quiet_settings: SettingsStore):  # type: ignore[no-untyped-def]
    return make_window(sample_library, quiet_settings)


def feed_id(window: MainWindow, title: str) -> FeedId:
    return next(f.id for f in window.reader.list_feeds() if f.title == title)


def select_rows(window: MainWindow, rows: list[int]) -> None:
    table = window.articles_pane.table
    window.articles_pane.select_row(rows[0])
    selection = table.selectionModel()
    for row in rows[1:]:
        selection.select(
            window.articles_model.index(row, TITLE),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


def tag_names(window: MainWindow) -> list[str]:
    group = window.feeds_model.index_for_key("tags")
    if not group.isValid():
        return []
    return [
        str(window.feeds_model.index(r, 0, group).data())
        for r in range(window.feeds_model.rowCount(group))
    ]


def unread_in(window: MainWindow, feed: FeedId) -> int:
    return int(window.feeds_model.index_for_key(f"feed:{feed}").data(UNREAD_ROLE) or 0)


# ---- tags ----------------------------------------------------------------------------------


def test_t_tags_the_selected_articles_and_the_tags_group_shows_them(
    qtbot: QtBot, window: MainWindow
) -> None:
    first = window.articles_model.article(0)
    assert first is not None
    window.tasks.mutate(lambda lib: lib.set_article_tags(first.id, ["Keep"]))
    wait_idle(qtbot, window)
    assert tag_names(window) == ["#Keep"]
    select_rows(window, [0, 1, 2])
    window.articles_pane.table.setFocus()
    qtbot.keyClick(window.articles_pane.table, Qt.Key.Key_T)
    dialog = window.tag_dialog
    assert isinstance(dialog, TagArticlesDialog)
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Tag Articles"
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.edit, "python, #to-read")
    assert dialog.tags() == ["python", "to-read"]
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "#python" in tag_names(window))
    assert sorted(tag_names(window)) == ["#Keep", "#python", "#to-read"]
    ids = [a.id for a in window.articles_pane.selected_articles()]
    assert len(ids) == 3
    assert window.reader.article_field_tags(first.id) == ("Keep", "python", "to-read")
    for article_id in ids[1:]:
        assert window.reader.article_field_tags(article_id) == ("python", "to-read")
    assert "Tagged 3 articles with #python, #to-read." in window.statusBar().currentMessage()
    # the tag's list shows exactly those articles
    window.feeds_pane.select_key("tag:python")
    assert window.articles_model.rowCount() == 3


def test_t_tags_fifty_selected_articles_in_one_write(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    writes: list[int] = []
    one_by_one: list[object] = []
    add_many = Library.add_article_tags

    def counted(lib: Library, ids, tags):  # type: ignore[no-untyped-def]
        writes.append(len(ids))
        return add_many(lib, ids, tags)

    monkeypatch.setattr(Library, "add_article_tags", counted)
    monkeypatch.setattr(Library, "set_article_tags", lambda *a: one_by_one.append(a))
    first = window.articles_model.article(0)
    assert first is not None
    select_rows(window, list(range(50)))
    window.articles_pane.table.setFocus()
    qtbot.keyClick(window.articles_pane.table, Qt.Key.Key_T)
    dialog = window.tag_dialog
    assert isinstance(dialog, TagArticlesDialog)
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.edit, "batch")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert writes == [50] and one_by_one == []  # the whole selection in one write
    ids = [a.id for a in window.articles_pane.selected_articles()]
    assert len(ids) == 50
    for article_id in ids:
        assert window.reader.article_field_tags(article_id) == ("batch",)
    assert "Tagged 50 articles with #batch." in window.statusBar().currentMessage()
    qtbot.waitUntil(lambda: "#batch" in tag_names(window))
    window.feeds_pane.select_key("tag:batch")
    assert window.articles_model.rowCount() == 50


def test_a_new_tag_leaves_the_feed_counts_as_they_are_now(qtbot: QtBot, window: MainWindow) -> None:
    alpha = feed_id(window, "Alpha Feed")
    window.feeds_pane.select_key(f"feed:{alpha}")
    article = window.articles_model.article(0)
    assert article is not None and unread_in(window, alpha) == 30
    window.articles_pane.select_row(0)
    window.toggle_read()  # m: read
    wait_idle(qtbot, window)
    assert unread_in(window, alpha) == 29
    window.add_tags([article.id], ["later"])  # a tag the Tags group does not have yet
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "#later" in tag_names(window))
    assert unread_in(window, alpha) == 29
    assert window.feeds_model.total_unread() == 89
    assert window.windowTitle() == "Gloss (89 unread)"
    # and a tag given again (the group's shape unchanged) keeps them too
    window.add_tags([article.id], ["later", "again"])
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: "#again" in tag_names(window))
    assert unread_in(window, alpha) == 29


@popup_shows
def test_tag_field_completes_the_tag_being_typed(qtbot: QtBot, window: MainWindow) -> None:
    first = window.articles_model.article(4)
    assert first is not None
    window.tasks.mutate(lambda lib: lib.set_article_tags(first.id, ["python", "politics"]))
    wait_idle(qtbot, window)
    window.articles_pane.select_row(4)
    dialog = window.tag_articles()
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "Tag Article"
    assert dialog.current_label.text() == "Already tagged: #politics, #python"
    qtbot.keyClicks(dialog.edit, "news, pyt")
    popup = dialog.completer.popup()
    qtbot.waitUntil(popup.isVisible)
    shown = dialog.completer.completionModel()
    assert [shown.index(r, 0).data() for r in range(shown.rowCount())] == ["python"]
    qtbot.keyClick(popup, Qt.Key.Key_Down)
    qtbot.keyClick(popup, Qt.Key.Key_Return)
    assert dialog.edit.text() == "news, python, "
    dialog.reject()


def test_article_list_context_menu_offers_tag_and_mark_older(window: MainWindow) -> None:
    texts = [a.text() for a in window.articles_pane.context_menu().actions() if a.text()]
    assert "&Tag…" in texts and "Mark Ol&der as Read" in texts
    assert [s.toString() for s in window.named_actions["tag_articles"].shortcuts()] == ["T"]


# ---- retention -----------------------------------------------------------------------------


def retention_menu(window: MainWindow, feed: FeedId) -> QMenu:
    assert window.feeds_pane.select_key(f"feed:{feed}")
    menu = window.feeds_pane.context_menu_for(window.feeds_model.index_for_key(f"feed:{feed}"))
    action = next(a for a in menu.actions() if a.menu() is not None and "Keep" in a.text())
    sub = action.menu()
    assert isinstance(sub, QMenu)
    return sub


def checked(menu: QMenu) -> list[str]:
    return [a.text() for a in menu.actions() if a.isChecked()]


def test_keep_read_articles_choice_is_shown_checked_after_reopening(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    alpha = feed_id(window, "Alpha Feed")
    menu = retention_menu(window, alpha)
    assert checked(menu) == ["&Forever"]
    assert [a.text() for a in menu.actions() if a.text()] == [
        "&Forever", "1 &Week", "1 &Month", "&3 Months", "1 &Year", "&Custom…",
    ]  # fmt: skip
    next(a for a in menu.actions() if a.text() == "1 &Month").trigger()
    wait_idle(qtbot, window)
    assert window.reader.get_feed(alpha).keep_read_days == 30
    assert checked(retention_menu(window, alpha)) == ["1 &Month"]
    # another feed keeps its own choice
    assert checked(retention_menu(window, feed_id(window, "Beta Feed"))) == ["&Forever"]

    menu = retention_menu(window, alpha)
    custom = next(a for a in menu.actions() if a.objectName() == "keep_read_custom")
    custom.trigger()
    dialog = window.retention_dialog
    assert dialog is not None
    assert checked(menu) == ["1 &Month"]  # asking does not move the checkmark
    dialog.setIntValue(45)
    dialog.accept()
    wait_idle(qtbot, window)
    assert window.reader.get_feed(alpha).keep_read_days == 45
    assert checked(retention_menu(window, alpha)) == ["&Custom (45 days)…"]
    # the Feed menu shows the same
    feed_menu = window.menus["Feed"]
    feed_menu.aboutToShow.emit()
    assert window.retention_menu.isEnabled()
    assert checked(window.retention_menu) == ["&Custom (45 days)…"]
    with Library.open(sample_library) as other:
        assert other.get_feed(alpha).keep_read_days == 45
    # a folder has no retention of its own
    window.feeds_pane.select_key("smart:all")
    feed_menu.aboutToShow.emit()
    assert not window.retention_menu.isEnabled()


# ---- mark as read while scrolling ----------------------------------------------------------


def scroll_to_row(qtbot: QtBot, window: MainWindow, row: int) -> None:
    table = window.articles_pane.table
    table.scrollTo(window.articles_model.index(row, TITLE), table.ScrollHint.PositionAtTop)
    qtbot.waitUntil(lambda: table.rowAt(0) == row)


def read_rows(window: MainWindow) -> list[int]:
    ids = [window.articles_model.article(r).id for r in range(window.articles_model.rowCount())]  # type: ignore[union-attr]
    fresh = {a.id: a.read for a in window.reader.get_articles(ids)}
    return [r for r, i in enumerate(ids) if fresh[i]]


def test_scrolling_past_marks_read_only_when_the_preference_is_on(
    qtbot: QtBot,
    window: MainWindow,
    make_window: WindowFactory,
    sample_library: Path,
    quiet_settings: SettingsStore,
) -> None:
    action = window.named_actions["mark_read_on_scroll"]
    assert not action.isChecked() and action.isCheckable()
    assert quiet_settings.get("mark_read_on_scroll") is False
    table = window.articles_pane.table
    table.setFocus()
    scroll_to_row(qtbot, window, 10)
    qtbot.wait(600)
    wait_idle(qtbot, window)
    assert read_rows(window) == []  # off by default

    action.trigger()  # View → Mark Read on Scroll Past
    assert action.isChecked()
    assert quiet_settings.get("mark_read_on_scroll") is True
    # rows already above when it was turned on stay unread; rows scrolled past now are read
    scroll_to_row(qtbot, window, 25)
    qtbot.waitUntil(lambda: read_rows(window) == list(range(10, 25)), timeout=5000)
    wait_idle(qtbot, window)  # stored; now its Changes reach the panes
    # in one batch: the list and the counts follow
    assert window.feeds_model.total_unread() == 90 - 15
    assert window.articles_model.article(24).read  # type: ignore[union-attr]
    assert not window.articles_model.article(25).read  # type: ignore[union-attr]
    # scrolling back up marks nothing; down again past read rows writes nothing new
    scroll_to_row(qtbot, window, 0)
    scroll_to_row(qtbot, window, 12)
    qtbot.wait(600)
    wait_idle(qtbot, window)
    assert read_rows(window) == list(range(0, 25))

    # the choice is kept for next time
    quiet_settings.sync()
    again = SettingsStore(quiet_settings.path)
    assert again.get("mark_read_on_scroll") is True
    assert "mark_read_on_scroll=true" in quiet_settings.path.read_text(encoding="utf-8")
    action.trigger()
    assert quiet_settings.get("mark_read_on_scroll") is False
    scroll_to_row(qtbot, window, 40)
    qtbot.wait(600)
    wait_idle(qtbot, window)
    assert read_rows(window) == list(range(0, 25))


def test_rows_scrolled_past_just_before_closing_are_still_marked_read(
    qtbot: QtBot,
    make_window: WindowFactory,
    sample_library: Path,
    quiet_settings: SettingsStore,
) -> None:
    quiet_settings.set("mark_read_on_scroll", True)
    window = make_window(sample_library, quiet_settings)
    # the writer is busy when the window closes: what waits in its queue then is dropped,
    # unless it must be kept (a note typed, rows read)
    gate = threading.Event()
    window.tasks.run_db(lambda _lib: gate.wait(10))
    window.articles_pane.table.setFocus()
    scroll_to_row(qtbot, window, 20)
    assert window._scroll_timer.isActive()  # the batch waits for the scrolling to stop
    window.close()
    threading.Timer(0.2, gate.set).start()
    window.tasks.shutdown()
    with Library.open(sample_library) as lib:
        listed = lib.list_articles(ArticleFilter(), limit=200).articles
        assert [r for r, a in enumerate(listed) if a.read] == list(range(20))


def test_preference_on_at_start_checks_the_menu(
    make_window: WindowFactory, sample_library: Path, quiet_settings: SettingsStore
) -> None:
    quiet_settings.set("mark_read_on_scroll", True)
    window = make_window(sample_library, quiet_settings)
    assert window.named_actions["mark_read_on_scroll"].isChecked()


# ---- mark older as read --------------------------------------------------------------------


def test_mark_older_as_read_marks_only_older_articles_in_this_list(
    qtbot: QtBot, window: MainWindow
) -> None:
    alpha = feed_id(window, "Alpha Feed")
    window.feeds_pane.select_key(f"feed:{alpha}")
    assert window.articles_model.rowCount() == 30
    window.articles_pane.select_row(5)  # Alpha story 5: stories 6..29 are older
    article_menu = window.menus["Article"]
    action = next(a for a in article_menu.actions() if a.objectName() == "mark_older_read")
    assert isinstance(action, QAction)
    action.trigger()
    wait_idle(qtbot, window)
    assert window.statusBar().currentMessage() == "Marked 24 older articles as read."
    qtbot.waitUntil(lambda: unread_in(window, alpha) == 6)
    assert read_rows(window) == list(range(6, 30))
    assert window.feeds_model.total_unread() == 90 - 24
    # other feeds are untouched
    beta = feed_id(window, "Beta Feed")
    assert unread_in(window, beta) == 30


def test_mark_older_as_read_follows_the_list_shown(qtbot: QtBot, window: MainWindow) -> None:
    tech = next(f for f in window.reader.list_folders() if f.name == "Tech")
    assert window.feeds_pane.select_key(f"folder:{tech.id}")
    # Beta and Gamma, newest first: both "story 0" come first, then both "story 1"...
    assert window.articles_model.rowCount() == 60
    window.articles_pane.select_row(3)  # the second "story 1": 56 older rows follow
    window.mark_older_read()
    wait_idle(qtbot, window)
    assert window.statusBar().currentMessage() == "Marked 56 older articles as read."
    assert read_rows(window) == list(range(4, 60))
    alpha = feed_id(window, "Alpha Feed")
    assert unread_in(window, alpha) == 30  # not in this list: untouched
    every = window.reader.list_articles(ArticleFilter(), limit=200).articles
    assert sum(a.read for a in every) == 56
    # nothing selected: nothing happens, and the user is told
    window.articles_pane.table.clearSelection()
    window.mark_older_read()
    assert window.statusBar().currentMessage() == "Select an article first."
