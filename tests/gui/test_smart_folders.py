"""Saved searches as smart folders: save from the field, live counts, rename, edit, delete,
and the chosen folder coming back after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QInputDialog, QMessageBox
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.gui.main_window import MainWindow
from reader.gui.models.feeds_model import KEY_ROLE, UNREAD_ROLE
from reader.gui.settings_store import SettingsStore
from tests.gui.conftest import WindowFactory, wait_idle
from tests.gui.test_search_window import search_library, type_search


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return search_library(tmp_path / "library.gloss")


@pytest.fixture
def window(make_window: WindowFactory, library: Path) -> MainWindow:
    return make_window(library)


def folder_rows(window: MainWindow) -> list[tuple[str, int]]:
    """What the feeds pane shows under "Searches": (name, unread count)."""
    group = window.feeds_model.index_for_key("searches")
    if not group.isValid():
        return []
    model = window.feeds_model
    return [
        (str(model.index(r, 0, group).data()), int(model.index(r, 0, group).data(UNREAD_ROLE)))
        for r in range(model.rowCount(group))
    ]


def key_of(window: MainWindow, name: str) -> str:
    group = window.feeds_model.index_for_key("searches")
    model = window.feeds_model
    for r in range(model.rowCount(group)):
        index = model.index(r, 0, group)
        if index.data() == name:
            return str(index.data(KEY_ROLE))
    raise AssertionError(f"no smart folder {name!r}")


def save_current_search(qtbot: QtBot, window: MainWindow, name: str | None = None) -> None:
    """Click Save Search… and OK the dialog (after typing a name, when given)."""
    qtbot.mouseClick(window.articles_pane.search_box.save_button, Qt.MouseButton.LeftButton)
    dialog = window.search_dialog
    assert dialog is not None and dialog.isVisible()
    if name is not None:
        dialog.name_edit.clear()
        qtbot.keyClicks(dialog.name_edit, name)
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton
    )
    wait_idle(qtbot, window)


def menu_action(window: MainWindow, key: str, name: str):  # type: ignore[no-untyped-def]
    index = window.feeds_model.index_for_key(key)
    window.feeds_pane.tree.setCurrentIndex(index)
    menu = window.feeds_pane.context_menu_for(index)
    return next(a for a in menu.actions() if a.objectName() == name)


def test_save_a_search_and_its_unread_count_follows_reading(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_search(qtbot, window, "zeppelin")
    qtbot.mouseClick(window.articles_pane.search_box.save_button, Qt.MouseButton.LeftButton)
    dialog = window.search_dialog
    assert dialog is not None
    assert dialog.name_edit.text() == "zeppelin"  # the query's description
    assert dialog.query_edit.text() == "zeppelin"
    save_current_search(qtbot, window, "Airships")
    assert folder_rows(window) == [("Airships", 2)]
    assert "Saved “Airships”" in window.statusBar().currentMessage()
    # choosing the folder lists its articles in the ordinary list
    key = key_of(window, "Airships")
    assert window.feeds_pane.select_key(key)
    assert not window.articles_pane.searching
    titles = {window.articles_model.article(r).title for r in range(2)}  # type: ignore[union-attr]
    assert window.articles_model.rowCount() == 2
    assert titles == {"A history of airships", "Zeppelins today"}
    # reading one (marked read after the delay, 0 here) lowers the count
    window.articles_pane.select_row(0)
    qtbot.waitUntil(lambda: folder_rows(window) == [("Airships", 1)], timeout=5000)
    # mark all read works on the folder
    window.articles_pane.table.setFocus()
    qtbot.keyClick(window.articles_pane.table, Qt.Key.Key_A, Qt.KeyboardModifier.ShiftModifier)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: folder_rows(window) == [("Airships", 0)], timeout=5000)
    assert window.feeds_model.total_unread() == 91  # the other feeds' counts are intact


def test_rename_edit_and_delete_from_the_context_menu(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    type_search(qtbot, window, "zeppelin")
    save_current_search(qtbot, window, "Airships")
    key = key_of(window, "Airships")
    index = window.feeds_model.index_for_key(key)
    menu = window.feeds_pane.context_menu_for(index)
    names = [a.objectName() for a in menu.actions() if not a.isSeparator()]
    assert names == ["mark_all_read", "rename_search", "edit_search", "delete_search"]
    # Rename…
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("Dirigibles", True))
    menu_action(window, key, "rename_search").trigger()
    wait_idle(qtbot, window)
    assert folder_rows(window) == [("Dirigibles", 2)]
    assert window.feeds_pane.selected_key() == key  # still chosen after the rebuild
    # Edit Search…: a bad query keeps OK disabled and says why; a good one is saved
    menu_action(window, key, "edit_search").trigger()
    dialog = window.search_dialog
    assert dialog is not None
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.query_edit.setText("zeppelin OR")
    assert not ok.isEnabled() and "OR needs" in dialog.summary.text()
    dialog.query_edit.setText("lighthouse OR zeppelin")
    assert ok.isEnabled() and dialog.summary.text().startswith("Finds:")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert folder_rows(window) == [("Dirigibles", 3)]
    assert window.articles_model.rowCount() == 3  # the open folder shows its new articles
    saved = window.reader.list_saved_searches()
    assert [s.query for s in saved] == ["lighthouse OR zeppelin"]
    # Delete…, asked first: No keeps it, Yes deletes it
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.No)
    menu_action(window, key, "delete_search").trigger()
    wait_idle(qtbot, window)
    assert folder_rows(window) == [("Dirigibles", 3)]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.feeds_pane.tree.setFocus()
    qtbot.keyClick(window.feeds_pane.tree, Qt.Key.Key_Delete)  # the Delete key does the same
    wait_idle(qtbot, window)
    assert folder_rows(window) == []
    assert not window.feeds_model.index_for_key("searches").isValid()
    assert window.feeds_pane.selected_key() == "smart:all"
    assert window.reader.list_saved_searches() == []


def test_the_dialog_refuses_a_taken_name(qtbot: QtBot, window: MainWindow) -> None:
    type_search(qtbot, window, "zeppelin")
    save_current_search(qtbot, window, "Airships")
    window.articles_pane.search_field.setText("lighthouse")
    window.run_search()
    window.save_search()
    dialog = window.search_dialog
    assert dialog is not None
    dialog.name_edit.setText("airships")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled() and "already" in dialog.summary.text()
    dialog.reject()


def test_new_smart_folder_from_the_group_menu(qtbot: QtBot, window: MainWindow) -> None:
    type_search(qtbot, window, "zeppelin")
    save_current_search(qtbot, window)
    menu_action(window, "searches", "new_smart_folder").trigger()
    dialog = window.search_dialog
    assert dialog is not None and dialog.query_edit.text() == ""
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert not ok.isEnabled()
    qtbot.keyClicks(dialog.query_edit, "has:notes")
    qtbot.keyClicks(dialog.name_edit, "Noted")
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    wait_idle(qtbot, window)
    assert sorted(folder_rows(window)) == [("Noted", 1), ("zeppelin", 2)]


def test_counts_follow_a_star(qtbot: QtBot, window: MainWindow, library: Path) -> None:
    type_search(qtbot, window, "is:starred")
    save_current_search(qtbot, window, "Stars")
    assert folder_rows(window) == [("Stars", 0)]
    window.settings.set("mark_read_delay_ms", -1)  # stays unread: the folder counts unread
    window.articles_pane.leave_search()
    window.articles_pane.select_row(3)
    window.toggle_star()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: folder_rows(window) == [("Stars", 1)], timeout=5000)


def test_the_chosen_smart_folder_and_the_group_survive_a_restart(
    qtbot: QtBot,
    make_window: WindowFactory,
    library: Path,
    settings: SettingsStore,
) -> None:
    with Library.open(library) as lib:
        lib.create_saved_search("Airships", "zeppelin")
        lib.create_saved_search("Lights", "lighthouse")
    first = make_window(library)
    assert [name for name, _ in folder_rows(first)] == ["Airships", "Lights"]
    key = key_of(first, "Lights")
    assert first.feeds_pane.select_key(key)
    assert first.articles_model.rowCount() == 1
    first.close()
    second = make_window(library, settings)
    assert second.feeds_pane.selected_key() == key
    assert second.feeds_pane.tree.isExpanded(second.feeds_model.index_for_key("searches"))
    assert second.articles_model.rowCount() == 1
    assert second.articles_model.article(0).title == "Lighthouse keepers"  # type: ignore[union-attr]
    # a collapsed group stays collapsed
    second.feeds_pane.tree.collapse(second.feeds_model.index_for_key("searches"))
    second.feeds_pane.select_key("smart:all")
    second.close()
    third = make_window(library, settings)
    assert not third.feeds_pane.tree.isExpanded(third.feeds_model.index_for_key("searches"))
