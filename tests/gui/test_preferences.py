"""The Preferences dialog, generated from reader/gui/preferences_schema.py: every entry has its
editor, changes apply at once and persist, shortcuts are edited with conflicts flagged, and
Restore Defaults puts everything back. The window's settings file takes its defaults from the
same schema, and the keys of earlier versions keep working."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import FullTextPolicy
from reader.gui import resources
from reader.gui.actions import ACTIONS, SPECS
from reader.gui.dialogs.preferences import NumberBox, PreferencesDialog, find_conflicts
from reader.gui.main_window import MainWindow
from reader.gui.preferences_schema import PAGES, SCHEMA, SETTINGS, WINDOW_SETTINGS, Kind, Store
from reader.gui.settings_store import SettingsStore
from tests.gui.conftest import WindowFactory, wait_idle

EDITOR_TYPES = {Kind.INT: QSpinBox, Kind.BOOL: QCheckBox, Kind.CHOICE: QComboBox}


def open_preferences(qtbot: QtBot, window: MainWindow) -> PreferencesDialog:
    window.named_actions["preferences"].trigger()
    dialog = window.preferences_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def close(qtbot: QtBot, dialog: PreferencesDialog) -> None:
    dialog.accept()
    qtbot.waitUntil(lambda: not dialog.isVisible())


def test_preferences_is_in_the_edit_menu_with_ctrl_comma(window: MainWindow) -> None:
    action = window.named_actions["preferences"]
    assert action in window.menus["Edit"].actions()
    assert action.shortcut().toString() == "Ctrl+,"
    assert action.text().replace("&", "") == "Preferences…"


def test_every_schema_entry_has_an_editor_on_its_page(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_preferences(qtbot, window)
    pages = [dialog.tabs.tabText(i) for i in range(dialog.tabs.count())]
    assert pages == [p for p in PAGES if any(s.page == p for s in SCHEMA)]
    for setting in SCHEMA:
        widget = dialog.widget_for(setting.key)
        page = dialog.tabs.widget(pages.index(setting.page))
        assert page.isAncestorOf(widget), setting.key
        if setting.kind in EDITOR_TYPES:
            assert isinstance(widget, EDITOR_TYPES[setting.kind]), setting.key
            assert widget.objectName() == f"pref_{setting.key}"
        elif setting.kind is Kind.FOLDER:
            assert isinstance(widget, QLineEdit)
            assert dialog.findChild(QWidget, f"choose_{setting.key}") is not None
        if setting.kind is not Kind.SHORTCUTS:
            help_label = dialog.findChild(QLabel, f"help_{setting.key}")
            assert help_label is not None and setting.help in help_label.text()
    # a number's range, step and suffix come from the schema too
    delay = dialog.widget_for("mark_read_delay_ms")
    assert isinstance(delay, QSpinBox)
    spec = SETTINGS["mark_read_delay_ms"]
    assert (delay.minimum(), delay.maximum(), delay.suffix()) == (
        spec.minimum,
        spec.maximum,
        spec.suffix,
    )
    assert delay.specialValueText() == "Never"
    # the shortcuts table lists every action of the window
    assert dialog.shortcuts is not None
    assert set(dialog.shortcuts.items) == {spec.name for spec in ACTIONS}
    close(qtbot, dialog)


def test_the_settings_file_takes_its_defaults_from_the_schema(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "fresh.ini")
    for key, setting in WINDOW_SETTINGS.items():
        assert store.get(key) == setting.default
    assert set(WINDOW_SETTINGS) == {s.key for s in SCHEMA if s.store is Store.WINDOW}


def test_keys_written_by_earlier_versions_keep_working(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path, tmp_path: Path
) -> None:
    ini = tmp_path / "old.ini"
    ini.write_text(
        "[preferences]\nfont_size=20\nmark_read_delay_ms=-1\nrefresh_interval_min=0\n"
        "theme=dark\nmark_read_on_scroll=true\n\n[shortcuts]\nnext_article=Down\n"
        'go_all=G, A\nfocus_search="/; Ctrl+F"\n',  # QSettings quotes what has a ;
        encoding="utf-8",
    )
    store = SettingsStore(ini)
    assert store.get("font_size") == 20
    assert store.get("mark_read_delay_ms") == -1
    assert store.get("mark_read_on_scroll") is True
    assert store.shortcut_overrides() == {
        "next_article": "Down",
        "go_all": "G, A",
        "focus_search": "/; Ctrl+F",
    }
    window = make_window(sample_library, store)
    assert window.theme.name == "dark"
    assert [s.toString() for s in window.named_actions["next_article"].shortcuts()] == ["Down"]
    assert window.named_actions["mark_read_on_scroll"].isChecked()
    dialog = open_preferences(qtbot, window)
    assert dialog.widget_for("font_size").value() == 20  # type: ignore[attr-defined]
    assert dialog.widget_for("mark_read_delay_ms").text() == "Never"  # type: ignore[attr-defined]
    assert dialog.widget_for("theme").currentData() == "dark"  # type: ignore[attr-defined]
    close(qtbot, dialog)
    # values out of range or of the wrong type read as the default
    ini.write_text("[preferences]\nfont_size=huge\nrefresh_interval_min=99999\n", "utf-8")
    again = SettingsStore(ini)
    assert again.get("font_size") == 16
    assert again.get("refresh_interval_min") == 60


def test_font_size_theme_and_refresh_interval_apply_at_once_and_persist(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path, settings: SettingsStore
) -> None:
    window = make_window(sample_library)
    dialog = open_preferences(qtbot, window)
    font = dialog.widget_for("font_size")
    assert isinstance(font, QSpinBox)
    font.setValue(22)
    assert window.settings.get("font_size") == 22
    assert "font-size: 22px" in window.reading_view.document().defaultStyleSheet()

    theme = dialog.widget_for("theme")
    assert isinstance(theme, QComboBox)
    theme.setCurrentIndex(theme.findData("dark"))
    assert window.theme is resources.DARK
    assert window.named_actions["theme_dark"].isChecked()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    assert app.palette().color(app.palette().ColorRole.Window).name() == resources.DARK.window

    interval = dialog.widget_for("refresh_interval_min")
    assert isinstance(interval, QSpinBox)
    assert interval.text() == "Off"  # the tests' settings: 0
    interval.stepUp()  # Off → the first step, 15 minutes
    assert interval.value() == 15
    assert window._auto_refresh.isActive() and window._auto_refresh.interval() == 15 * 60_000
    interval.setValue(45)
    assert window._auto_refresh.interval() == 45 * 60_000
    close(qtbot, dialog)

    reopened = SettingsStore(settings.path)
    assert (reopened.get("font_size"), reopened.get("theme")) == (22, "dark")
    assert reopened.get("refresh_interval_min") == 45
    dialog = open_preferences(qtbot, window)
    assert dialog.widget_for("font_size").value() == 22  # type: ignore[attr-defined]
    assert dialog.widget_for("theme").currentData() == "dark"  # type: ignore[attr-defined]
    assert dialog.widget_for("refresh_interval_min").value() == 45  # type: ignore[attr-defined]
    close(qtbot, dialog)


def test_never_steps_up_to_zero_not_to_ninety_nine(qtbot: QtBot) -> None:
    box = NumberBox()
    qtbot.addWidget(box)
    box.setRange(-1, 10_000)
    box.setSingleStep(100)
    box.setSpecialValueText("Never")
    box.setValue(-1)
    box.stepUp()
    assert box.value() == 0
    box.stepUp()
    assert box.value() == 100
    box.setValue(0)
    box.stepDown()
    assert box.text() == "Never"


def test_mark_read_settings_apply_at_once(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_preferences(qtbot, window)
    on_scroll = dialog.widget_for("mark_read_on_scroll")
    assert isinstance(on_scroll, QCheckBox)
    on_scroll.setChecked(True)
    assert window.named_actions["mark_read_on_scroll"].isChecked()
    assert window.settings.get("mark_read_on_scroll") is True
    delay = dialog.widget_for("mark_read_delay_ms")
    assert isinstance(delay, QSpinBox)
    delay.setValue(-1)
    close(qtbot, dialog)
    window.articles_pane.select_row(0)
    qtbot.wait(50)
    wait_idle(qtbot, window)
    assert not window.articles_pane.current_article().read  # type: ignore[union-attr]


def test_library_settings_are_kept_in_the_library(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    dialog = open_preferences(qtbot, window)
    images = dialog.widget_for("images")
    policy = dialog.widget_for("full_text_default")
    cache = dialog.widget_for("image_cache_mb")
    assert isinstance(images, QCheckBox) and isinstance(policy, QComboBox)
    assert isinstance(cache, QSpinBox)
    assert images.isChecked() and policy.currentData() == "auto" and cache.value() == 2048
    note = dialog.findChild(QLabel, "libraryNote")
    assert note is not None and str(sample_library) in note.text()
    images.setChecked(False)
    policy.setCurrentIndex(policy.findData("never"))
    cache.setValue(512)
    wait_idle(qtbot, window)
    with Library.open(sample_library, readonly=True) as library:
        stored = library.offline_settings()
    assert stored.images is False
    assert stored.full_text_default is FullTextPolicy.NEVER
    assert stored.image_cache_mb == 512
    close(qtbot, dialog)
    dialog = open_preferences(qtbot, window)
    assert not dialog.widget_for("images").isChecked()  # type: ignore[attr-defined]
    close(qtbot, dialog)


def test_export_folder_is_offered_first_by_export(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    dialog = open_preferences(qtbot, window)
    folder = dialog.widget_for("export_folder")
    assert isinstance(folder, QLineEdit)
    assert folder.placeholderText() == "The folder used last time"
    folder.setText(str(vault))
    folder.editingFinished.emit()
    assert window.settings.get("export_folder") == str(vault)
    close(qtbot, dialog)
    offered: list[str] = []

    def fake_dialog(_parent: object, _title: str, start: str) -> str:
        offered.append(start)
        return ""

    monkeypatch.setattr(
        "reader.gui.annotation_actions.QFileDialog.getExistingDirectory", fake_dialog
    )
    window.choose_export_directory("Export")
    assert offered == [str(vault)]


def test_default_shortcuts_have_no_conflicts() -> None:
    bindings = {
        spec.name: tuple(QKeySequence(s).toString() for s in spec.shortcuts) for spec in ACTIONS
    }
    assert find_conflicts(bindings) == {}
    assert find_conflicts({"a": ("G, A",), "b": ("G",), "c": ("Ctrl+J",)}) == {
        "a": {"b"},
        "b": {"a"},
    }


def test_a_shortcut_edited_there_works_and_persists(
    qtbot: QtBot, window: MainWindow, settings: SettingsStore
) -> None:
    dialog = open_preferences(qtbot, window)
    editor = dialog.shortcuts
    assert editor is not None
    dialog.tabs.setCurrentIndex(dialog.tabs.count() - 1)
    editor.select("toggle_star")
    assert editor.keys.isEnabled()
    assert editor.keys.keySequence().toString() == "S"
    # press the keys in the recorder, as a user does; it finishes after a pause
    editor.keys.setFocus()
    qtbot.keyClick(editor.keys, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: (
            [s.toString() for s in window.named_actions["toggle_star"].shortcuts()] == ["Ctrl+J"]
        ),
        timeout=5000,
    )
    assert editor.items["toggle_star"].text(1) == QKeySequence("Ctrl+J").toString(
        QKeySequence.SequenceFormat.NativeText
    )
    assert SettingsStore(settings.path).shortcut_overrides()["toggle_star"] == "Ctrl+J"
    close(qtbot, dialog)
    window.articles_pane.select_row(0)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    qtbot.keyClick(window.articles_pane.table, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.articles_pane.current_article().starred)  # type: ignore[union-attr]
    assert "Ctrl+J" in window.named_actions["toggle_star"].toolTip()


def test_a_conflicting_shortcut_is_flagged_and_taken_only_when_reassigned(
    qtbot: QtBot, window: MainWindow, settings: SettingsStore
) -> None:
    dialog = open_preferences(qtbot, window)
    editor = dialog.shortcuts
    assert editor is not None
    editor.select("toggle_star")
    editor.record(QKeySequence("J"))  # next article's key
    assert editor.pending == ("toggle_star", "J", ["next_article"])
    assert "“Next Article”" in editor.conflict_label.text()
    assert editor.conflict_label.property("error") is True
    assert editor.reassign_button.isVisibleTo(editor)
    assert not editor.items["toggle_star"].icon(1).isNull()  # flagged
    # nothing changed yet
    assert [s.toString() for s in window.named_actions["toggle_star"].shortcuts()] == ["S"]
    assert [s.toString() for s in window.named_actions["next_article"].shortcuts()] == ["J"]
    editor.reassign()
    assert [s.toString() for s in window.named_actions["toggle_star"].shortcuts()] == ["J"]
    assert window.named_actions["next_article"].shortcuts() == []
    overrides = SettingsStore(settings.path).shortcut_overrides()
    assert overrides == {"toggle_star": "J", "next_article": ""}
    assert editor.pending is None and not editor.reassign_button.isVisibleTo(editor)
    # a sequence that starts another's is a conflict too: G against G, A
    editor.select("toggle_read")
    editor.record(QKeySequence("G"))
    assert editor.pending is not None and "go_all" in editor.pending[2]
    # Default brings next_article's J back only through the same question
    editor.select("next_article")
    editor.reset_current()
    assert editor.pending == ("next_article", "J", ["toggle_star"])
    close(qtbot, dialog)


def test_conflicts_already_in_the_settings_file_are_flagged(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path, tmp_path: Path
) -> None:
    store = SettingsStore(tmp_path / "clash.ini")
    store.set("mark_read_delay_ms", 0)
    store.set_shortcut_override("toggle_star", "M")  # toggle read's key
    window = make_window(sample_library, store)
    dialog = open_preferences(qtbot, window)
    editor = dialog.shortcuts
    assert editor is not None
    # the window gives M to one action only; the table flags the one that lost its default
    assert window.named_actions["toggle_read"].shortcuts() == []
    assert editor.conflicts == {"toggle_read": {"toggle_star"}, "toggle_star": {"toggle_read"}}
    assert not editor.items["toggle_read"].icon(1).isNull()
    assert "Toggle Star" in editor.items["toggle_read"].toolTip(1)
    assert "2 actions share keys" in editor.conflict_label.text()
    close(qtbot, dialog)


def test_restore_defaults_puts_everything_back(
    qtbot: QtBot, window: MainWindow, settings: SettingsStore, sample_library: Path
) -> None:
    dialog = open_preferences(qtbot, window)
    dialog.widget_for("font_size").setValue(24)  # type: ignore[attr-defined]
    dialog.widget_for("mark_read_on_scroll").setChecked(True)  # type: ignore[attr-defined]
    dialog.widget_for("images").setChecked(False)  # type: ignore[attr-defined]
    editor = dialog.shortcuts
    assert editor is not None
    editor.select("toggle_star")
    editor.record(QKeySequence("Ctrl+K"))
    wait_idle(qtbot, window)
    dialog.restore_defaults()
    wait_idle(qtbot, window)
    for setting in SCHEMA:
        if setting.kind is not Kind.SHORTCUTS:
            assert window.preference(setting.key) == setting.default, setting.key
    assert dialog.widget_for("font_size").value() == 16  # type: ignore[attr-defined]
    assert window.reading_view.document().defaultStyleSheet().count("font-size: 16px") >= 1
    assert SettingsStore(settings.path).shortcut_overrides() == {}
    assert [s.toString() for s in window.named_actions["toggle_star"].shortcuts()] == ["S"]
    with Library.open(sample_library, readonly=True) as library:
        assert library.offline_settings().images is True
    close(qtbot, dialog)


def test_the_tray_preference_is_disabled_with_a_reason_where_there_is_no_tray(
    qtbot: QtBot, window: MainWindow
) -> None:
    assert not window.tray_available()  # the offscreen platform has no tray
    dialog = open_preferences(qtbot, window)
    tray = dialog.widget_for("tray_icon")
    assert isinstance(tray, QCheckBox)
    assert not tray.isEnabled() and not tray.isChecked()
    help_label = dialog.findChild(QLabel, "help_tray_icon")
    assert help_label is not None and help_label.text().startswith("Not available")
    close(qtbot, dialog)


def test_the_shortcut_table_filters_by_action_or_key(qtbot: QtBot, window: MainWindow) -> None:
    dialog = open_preferences(qtbot, window)
    editor = dialog.shortcuts
    assert editor is not None
    editor.filter.setText("star")
    shown = {name for name, item in editor.items.items() if not item.isHidden()}
    assert "toggle_star" in shown and "go_starred" in shown and "next_article" not in shown
    editor.filter.setText("Ctrl+,")
    shown = {name for name, item in editor.items.items() if not item.isHidden()}
    assert shown == {"preferences"}
    assert SPECS["preferences"].menu == "Edit"
    close(qtbot, dialog)
