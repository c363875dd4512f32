"""The window on the desktop: About, the title's unread count, the tray icon, notifications of
new articles in feeds marked Notify, and feed: links opening the Add Feed dialog."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication, QLabel, QPushButton, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from reader import __version__
from reader.core.library import Library
from reader.core.types import FeedId, FullTextPolicy
from reader.gui import tray as tray_module
from reader.gui.desktop_actions import summarise_new
from reader.gui.dialogs import about as about_module
from reader.gui.main_window import MainWindow
from tests.gui.conftest import WindowFactory, wait_idle
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

# ---- About ---------------------------------------------------------------------------------


def test_about_shows_version_paths_and_licences(
    qtbot: QtBot, window: MainWindow, sample_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown: list[Path] = []
    monkeypatch.setattr(about_module, "open_folder", shown.append)
    window.named_actions["about"].trigger()
    dialog = window.about_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    assert dialog.windowTitle() == "About Gloss"
    assert dialog.version.text() == f"Gloss {__version__}"
    icon = dialog.findChild(QLabel, "aboutIcon")
    assert icon is not None and not icon.pixmap().isNull()
    assert dialog.paths["library"].text() == str(sample_library)
    assert dialog.paths["log"].text().endswith("gloss.log")
    assert dialog.paths["settings"].text() == str(window.settings.path)
    rows = {name: (version, licence) for name, version, licence in dialog.licence_rows()}
    assert rows["Qt"][1] == "LGPL-3.0-only"
    assert rows["Python"][1] == "PSF-2.0"
    assert "LGPL-3.0-only" in rows["PySide6_Essentials"][1]
    expected = {
        "sqlite-utils": "Apache-2.0",
        "feedparser": "BSD-2-Clause",
        "Markdown": "BSD-3-Clause",
        "httpx": "BSD-3-Clause",
        "nh3": "MIT",
        "trafilatura": "Apache-2.0",
        "PyYAML": "MIT",
        "RapidFuzz": "MIT",
        "platformdirs": "MIT",
        "lxml": "BSD-3-Clause",
    }
    for name, licence in expected.items():
        assert rows[name][1] == licence, name
    assert rows["regex"][1].startswith("Apache-2.0")
    assert "pip" not in {name.lower() for name in rows}
    # the list scrolls rather than growing the dialog
    assert dialog.licences.verticalScrollBar().maximum() > 0
    # Show opens the library's folder; Copy puts the path on the clipboard
    show = dialog.findChild(QPushButton, "show_library")
    copy = dialog.findChild(QPushButton, "copy_library")
    assert show is not None and copy is not None
    show.click()
    assert shown == [sample_library]
    copy.click()
    assert QGuiApplication.clipboard().text() == str(sample_library)
    dialog.reject()


def test_about_reads_licences_from_metadata_with_a_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from email.message import Message

    from reader import build_info

    meta = Message()
    meta["License"] = "The BSD 2-Clause License"
    assert build_info.licence_from_metadata(meta) == "BSD-2-Clause"
    meta = Message()
    meta["Classifier"] = "License :: OSI Approved :: MIT License"
    assert build_info.licence_from_metadata(meta) == "MIT"
    meta = Message()
    meta["License-Expression"] = "Apache-2.0"
    meta["License"] = "x" * 500  # a whole licence text: ignored
    assert build_info.licence_from_metadata(meta) == "Apache-2.0"
    # every distribution the app ships has a fallback entry (a frozen bundle has no metadata)
    components = build_info.bundled_components()
    for component in components[2:]:
        key = build_info.normalise_name(component.name)
        assert build_info.FALLBACK_LICENCES.get(key) == component.licence, component
    # and without metadata the fallback table is what is listed
    from importlib import metadata

    def missing(name: str) -> Any:
        raise metadata.PackageNotFoundError(name)

    monkeypatch.setattr(metadata, "distribution", missing)
    frozen = {c.name: c.licence for c in build_info.bundled_components()}
    assert frozen["trafilatura"] == "Apache-2.0" and frozen["Python"] == "PSF-2.0"


# ---- the title ------------------------------------------------------------------------------


def test_title_keeps_the_unread_count_live(qtbot: QtBot, window: MainWindow) -> None:
    assert window.windowTitle() == "Gloss (90 unread)"
    ids = [window.articles_model.article(r).id for r in range(5)]  # type: ignore[union-attr]
    window.tasks.mutate(lambda lib: lib.set_read(ids, True), initiator=None)
    qtbot.waitUntil(lambda: window.windowTitle() == "Gloss (85 unread)")
    window.mark_all_read()
    qtbot.waitUntil(lambda: window.windowTitle() == "Gloss")


# ---- the tray icon --------------------------------------------------------------------------


class RecordingTray(QSystemTrayIcon):
    """Stands in for a desktop's tray: remembers what a real one would show."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.visible = False
        self.messages: list[tuple[str, str]] = []

    def show(self) -> None:
        self.visible = True

    def hide(self) -> None:
        self.visible = False

    def isVisible(self) -> bool:
        return self.visible

    def showMessage(self, title: str, text: str, *_args: Any) -> None:  # type: ignore[override]
        self.messages.append((title, text))


@pytest.fixture
def desktop_tray(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tray_module, "system_tray_available", lambda: True)
    monkeypatch.setattr(tray_module, "TrayIconClass", RecordingTray)


def the_tray(window: MainWindow) -> RecordingTray:
    assert window.tray is not None
    icon = window.tray.icon
    assert isinstance(icon, RecordingTray)
    return icon


def test_tray_is_off_by_default(window: MainWindow) -> None:
    assert window.settings.get("tray_icon") is False
    assert window.tray is None
    app = QApplication.instance()
    assert isinstance(app, QApplication) and app.quitOnLastWindowClosed()


def test_tray_icon_shows_the_unread_count_and_its_menu_works(
    qtbot: QtBot, window: MainWindow, desktop_tray: None
) -> None:
    window.apply_preference("tray_icon", True)
    icon = the_tray(window)
    assert icon.visible
    assert icon.toolTip() == "Gloss — 90 unread"
    assert not icon.icon().isNull()
    app = QApplication.instance()
    assert isinstance(app, QApplication) and not app.quitOnLastWindowClosed()
    window.articles_pane.select_row(0)  # read after 0 ms in the tests' settings
    qtbot.waitUntil(lambda: icon.toolTip() == "Gloss — 89 unread")
    tray = window.tray
    assert tray is not None
    names = [a.objectName() for a in tray.menu.actions() if a.objectName()]
    assert names == ["tray_toggle", "tray_refresh", "tray_quit"]
    assert tray.toggle_action.text() == "&Hide Gloss"

    refreshed: list[bool] = []
    window.refresh_all = lambda **_k: refreshed.append(True)  # type: ignore[method-assign]
    tray.refresh_action.trigger()
    assert refreshed == [True]

    tray.toggle_action.trigger()  # hide to the tray, saying so once
    assert not window.isVisible()
    assert tray.toggle_action.text() == "&Show Gloss"
    assert icon.messages == [
        (
            "Gloss is still running",
            "It keeps refreshing in the tray. Click the icon to open it; Quit Gloss in its "
            "menu ends it.",
        )
    ]
    tray.toggle_action.trigger()
    qtbot.waitExposed(window)
    assert window.isVisible()
    # closing the window hides it too; the hint is not repeated
    window.close()
    assert not window.isVisible() and window.tray is not None
    assert len(icon.messages) == 1
    icon.activated.emit(QSystemTrayIcon.ActivationReason.Trigger)  # a click on the icon
    qtbot.waitExposed(window)
    # Quit really closes: the tray goes and the app may quit with its last window again
    tray.quit_action.trigger()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert window.tray is None and window.quitting
    assert app.quitOnLastWindowClosed()


def test_turning_the_tray_off_brings_a_hidden_window_back(
    qtbot: QtBot, window: MainWindow, desktop_tray: None
) -> None:
    window.apply_preference("tray_icon", True)
    window.close()
    assert not window.isVisible()
    window.apply_preference("tray_icon", False)
    assert window.tray is None and window.isVisible()


def test_badge_is_painted_with_the_count() -> None:
    assert tray_module.badge_text(0) == ""
    assert tray_module.badge_text(7) == "7"
    assert tray_module.badge_text(150) == "99+"
    plain = tray_module.badge_icon(0).pixmap(32, 32).toImage()
    badged = tray_module.badge_icon(12).pixmap(32, 32).toImage()
    corner = QPoint(29, 4)  # top right: the badge's red disc
    assert plain.pixelColor(corner) != badged.pixelColor(corner)
    assert badged.pixelColor(corner).red() > 150 and badged.pixelColor(corner).blue() < 100
    assert isinstance(tray_module.badge_icon(3), QIcon)


# ---- notifications --------------------------------------------------------------------------


def test_summary_names_the_feeds_with_most_first() -> None:
    assert summarise_new({"Margins": 1, "Field Notes": 3}) == "3 new in Field Notes, 1 in Margins"
    assert summarise_new({"A": 1}) == "1 new in A"
    many = {"A": 5, "B": 4, "C": 3, "D": 2, "E": 1}
    assert summarise_new(many) == "5 new in A, 4 in B, 3 in C, 3 in 2 more feeds"


def serve_feed(server: ScriptedServer, path: str, title: str, count: int, start: int = 0) -> None:
    items = [
        Item(f"{path}-{i}", f"{title} {i}", link=server.url(f"{path}/{i}"))
        for i in range(start, start + count)
    ]
    server.routes[path] = Route(body=rss(title, items), headers=RSS_HEADERS)


def refresh_and_wait(qtbot: QtBot, window: MainWindow) -> None:
    window.refresh_all()
    qtbot.waitUntil(lambda: window.refreshing is None, timeout=15_000)
    wait_idle(qtbot, window, 15_000)


def test_notify_flag_is_set_from_the_feed_menu_and_persists(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    feed = window.reader.list_feeds()[0]
    assert window.feeds_pane.select_key(f"feed:{feed.id}")
    menu = window.feeds_pane.context_menu_for(window.feeds_model.index_for_key(f"feed:{feed.id}"))
    action = next(a for a in menu.actions() if a.objectName() == "notify_feed")
    assert action.isCheckable() and not action.isChecked()
    assert action.text().replace("&", "") == "Notify of New Articles"
    action.trigger()
    wait_idle(qtbot, window)
    with Library.open(sample_library, readonly=True) as library:
        assert library.get_feed(feed.id).notify
    menu = window.feeds_pane.context_menu_for(window.feeds_model.index_for_key(f"feed:{feed.id}"))
    assert next(a for a in menu.actions() if a.objectName() == "notify_feed").isChecked()
    # folders and smart views have no such item
    menu = window.feeds_pane.context_menu_for(window.feeds_model.index_for_key("smart:all"))
    assert "notify_feed" not in [a.objectName() for a in menu.actions()]


def test_a_refresh_into_notify_feeds_gives_one_summarised_notification(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    path = tmp_path / "library.gloss"
    serve_feed(http_server, "/notes.xml", "Field Notes", 3)
    serve_feed(http_server, "/margins.xml", "Margins", 1)
    serve_feed(http_server, "/quiet.xml", "Quiet", 2)
    with Library.open(path) as library:
        library.set_offline_settings(full_text_default=FullTextPolicy.NEVER, images=False)
        ids = {
            name: library.subscribe(http_server.url(f"/{name}.xml"))[0]
            for name in ("notes", "margins", "quiet")
        }
        library.set_feed_notify(ids["notes"], True)
        library.set_feed_notify(ids["margins"], True)
    window = make_window(path)
    refresh_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: len(window.notifications) == 1)
    assert window.notifications == [
        ("4 new articles", "3 new in Field Notes, 1 in Margins", "window")
    ]
    assert window.statusBar().currentMessage() == (
        "4 new articles: 3 new in Field Notes, 1 in Margins"
    )
    # nothing new in a notify feed: no notification; one more in Margins: one more
    serve_feed(http_server, "/quiet.xml", "Quiet", 3)
    refresh_and_wait(qtbot, window)
    qtbot.wait(100)
    assert len(window.notifications) == 1
    serve_feed(http_server, "/margins.xml", "Margins", 2)
    refresh_and_wait(qtbot, window)
    qtbot.waitUntil(lambda: len(window.notifications) == 2)
    assert window.notifications[-1] == ("1 new article", "1 new in Margins", "window")


def test_with_a_tray_the_notification_goes_to_the_tray(
    qtbot: QtBot,
    make_window: WindowFactory,
    tmp_path: Path,
    http_server: ScriptedServer,
    desktop_tray: None,
) -> None:
    path = tmp_path / "library.gloss"
    serve_feed(http_server, "/notes.xml", "Field Notes", 2)
    with Library.open(path) as library:
        library.set_offline_settings(full_text_default=FullTextPolicy.NEVER, images=False)
        feed_id = library.subscribe(http_server.url("/notes.xml"))[0]
        library.set_feed_notify(feed_id, True)
    window = make_window(path)
    window.apply_preference("tray_icon", True)
    refresh_and_wait(qtbot, window)
    icon = the_tray(window)
    qtbot.waitUntil(lambda: icon.messages == [("2 new articles", "2 new in Field Notes")])
    assert window.notifications[-1][2] == "tray"
    assert icon.toolTip() == "Gloss — 2 unread"
    window.quit()


# ---- feed: links ----------------------------------------------------------------------------


def test_a_feed_link_opens_add_feed_filled_in_and_looking(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    serve_feed(http_server, "/rss", "Linked", 1)
    path = tmp_path / "library.gloss"
    Library.open(path).close()
    window = make_window(path)
    url = http_server.url("/rss")
    window.add_feed(url)
    dialog = window._add_dialog
    qtbot.waitExposed(dialog)
    assert dialog.url_edit.text() == url
    qtbot.waitUntil(lambda: dialog.candidates.count() == 1, timeout=10_000)
    assert "Linked" in dialog.candidates.item(0).text()
    # a second link while it is open reuses the dialog
    window.add_feed(url + "?again")
    assert window._add_dialog is dialog and dialog.url_edit.text() == url + "?again"
    qtbot.waitUntil(lambda: dialog.find_button.isEnabled(), timeout=10_000)
    dialog.reject()


def test_feed_ids_are_typed(window: MainWindow) -> None:
    window.notify_new_articles({FeedId(999): 3})  # an unknown feed: nothing to say
    assert window.notifications == []
