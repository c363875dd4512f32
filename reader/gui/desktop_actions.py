"""The window as a citizen of the desktop (mixed into ``MainWindow``): About, Preferences, the
tray icon, notifications of new articles, and requests from other starts of Gloss (raise, add a
feed, open a ``feed:`` link).

Preferences are applied here, one key at a time (``apply_preference``), whether they come from
the Preferences dialog, the View menu or Restore Defaults, so each takes effect the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QApplication, QMenu, QWidget

from reader.core.errors import GlossError
from reader.core.types import Changes, FeedId
from reader.gui import tray as tray_module
from reader.gui.actions import SPECS, set_action_shortcuts
from reader.gui.dialogs import about as about_module
from reader.gui.dialogs.about import AboutDialog
from reader.gui.dialogs.preferences import PreferencesDialog
from reader.gui.models.feeds_model import Node
from reader.gui.preferences_schema import (
    LIBRARY_SETTINGS,
    SETTINGS,
    library_arguments,
    library_values,
)

if TYPE_CHECKING:
    from reader.core.library import Library
    from reader.gui.main_window import MainWindow

log = logging.getLogger("gloss.gui")

PORTABLE = QKeySequence.SequenceFormat.PortableText
TRAY_HINT_STATE = "tray_hint_shown"
NOTICE_MS = 15_000
Reply = Callable[[dict[str, Any]], None]


def bring_forward(widget: QWidget) -> None:
    """Show ``widget`` above the other windows and give it the keyboard (the offscreen platform
    of tests and the smoke test has no stacking order to change)."""
    if widget.isMinimized():
        widget.showNormal()
    widget.show()
    if QGuiApplication.platformName() != "offscreen":
        widget.raise_()
    widget.activateWindow()


def summarise_new(counts: Mapping[str, int], limit: int = 3) -> str:
    """``3 new in Field Notes, 1 in Margins``: the feeds with most first, the rest counted."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0].casefold()))
    parts = [
        f"{count:,} new in {title}" if i == 0 else f"{count:,} in {title}"
        for i, (title, count) in enumerate(ordered[:limit])
    ]
    rest = ordered[limit:]
    if rest:
        feeds = f"{len(rest)} more feed{'s' * (len(rest) != 1)}"
        parts.append(f"{sum(count for _t, count in rest):,} in {feeds}")
    return ", ".join(parts)


class DesktopActions:
    """Handlers for the desktop-facing actions; ``self`` is the MainWindow."""

    tray: tray_module.TrayIcon | None = None  # before connect_desktop: the title asks already
    quitting = False
    exit_app_when_closed = False  # run_app: closing the window for good ends the app

    def _desk(self) -> MainWindow:
        return self  # type: ignore[return-value]

    # ---- wiring ---------------------------------------------------------------------------

    def connect_desktop(self) -> None:
        window = self._desk()
        self.notifications: list[tuple[str, str, str]] = []  # (title, text, "tray"|"window")
        self.preferences_dialog: PreferencesDialog | None = None
        self.about_dialog: AboutDialog | None = None

        self.notify_action = QAction("&Notify of New Articles", window)
        self.notify_action.setObjectName("notify_feed")
        self.notify_action.setCheckable(True)
        self.notify_action.setToolTip(
            "A desktop notification when a refresh brings this feed new articles"
        )
        self.notify_action.triggered.connect(self._set_selected_notify)
        feed_menu = window.menus["Feed"]
        feed_menu.addAction(self.notify_action)
        pane = window.feeds_pane
        feed_menu.aboutToShow.connect(lambda: self._reflect_notify(pane.selected_node()))
        window.feeds_pane.add_menu_extender(self._extend_feed_menu_desktop)
        self.apply_tray_preference()

    # ---- About and Preferences ------------------------------------------------------------

    def about(self) -> AboutDialog:
        window = self._desk()
        from reader.gui.app import log_file

        if self.about_dialog is not None and self.about_dialog.isVisible():
            bring_forward(self.about_dialog)
            return self.about_dialog
        dialog = AboutDialog(
            window.reader.path,
            log_file(),
            window.settings.path,
            show_folder=lambda path: about_module.open_folder(path),  # late: tests replace it
            parent=window,
        )
        dialog.finished.connect(dialog.deleteLater)
        dialog.destroyed.connect(lambda: setattr(self, "about_dialog", None))
        self.about_dialog = dialog
        dialog.open()
        return dialog

    def preferences(self) -> PreferencesDialog:
        window = self._desk()
        dialog = self.preferences_dialog
        if dialog is not None and dialog.isVisible():
            bring_forward(dialog)
            return dialog
        dialog = PreferencesDialog(window, parent=window)
        dialog.finished.connect(dialog.deleteLater)
        dialog.destroyed.connect(lambda: setattr(self, "preferences_dialog", None))
        self.preferences_dialog = dialog
        dialog.open()
        return dialog

    # PreferencesHost: what the dialog reads and changes.

    def preference(self, key: str) -> Any:
        window = self._desk()
        if key in LIBRARY_SETTINGS:
            try:
                return library_values(window.reader.offline_settings())[key]
            except GlossError:
                return LIBRARY_SETTINGS[key].default
        return window.settings.get(key)

    def apply_preference(self, key: str, value: Any) -> None:
        """Keep ``value`` for ``key`` and make it take effect now."""
        window = self._desk()
        setting = SETTINGS[key]
        if key in LIBRARY_SETTINGS:
            arguments = library_arguments(key, value)
            window.tasks.run_db(
                lambda lib: lib.set_offline_settings(**arguments),
                lambda _s: self._library_preference_saved(key),
                lambda e: self._preference_failed(e),
            )
            return
        value = setting.coerce(value)
        window.settings.set(key, value)
        if key == "refresh_interval_min":
            window._apply_refresh_interval()
        elif key == "font_size":
            window.reading_view.set_font_size(value)
        elif key == "theme":
            window.named_actions[
                f"theme_{value}" if value in ("light", "dark") else "theme_system"
            ].setChecked(True)  # its handler applies the theme
            window._set_theme(value)
        elif key == "mark_read_on_scroll":
            window.named_actions["mark_read_on_scroll"].setChecked(bool(value))
        elif key == "tray_icon":
            self.apply_tray_preference()
        window.settings.sync()

    def _library_preference_saved(self, key: str) -> None:
        dialog = self.preferences_dialog
        if dialog is not None and key in dialog.fields:
            dialog.reload()

    def _preference_failed(self, error: BaseException) -> None:
        if not isinstance(error, GlossError):
            raise error
        self._desk().show_error(str(error))
        if self.preferences_dialog is not None:
            self.preferences_dialog.reload()

    def tray_available(self) -> bool:
        return tray_module.system_tray_available()

    def library_location(self) -> Path:
        return self._desk().reader.path

    def shortcut_bindings(self) -> dict[str, tuple[str, ...]]:
        return {
            name: tuple(s.toString(PORTABLE) for s in action.shortcuts())
            for name, action in self._desk().named_actions.items()
        }

    def shortcuts_overridden(self) -> set[str]:
        return set(self._desk().settings.shortcut_overrides())

    def set_shortcuts(self, name: str, sequences: tuple[str, ...] | None) -> None:
        """New keys for action ``name`` (``None``: its defaults), kept in ``[shortcuts]``."""
        window = self._desk()
        spec = SPECS[name]
        defaults = tuple(QKeySequence(s).toString(PORTABLE) for s in spec.shortcuts)
        if sequences is None or tuple(sequences) == defaults:
            window.settings.set_shortcut_override(name, None)
            sequences = defaults
        else:
            window.settings.set_shortcut_override(name, "; ".join(sequences))
        set_action_shortcuts(window.named_actions[name], spec, sequences)
        window.settings.sync()

    # ---- the tray icon --------------------------------------------------------------------

    def apply_tray_preference(self) -> None:
        window = self._desk()
        wanted = bool(window.settings.get("tray_icon")) and self.tray_available()
        app = QApplication.instance()
        if wanted and self.tray is None:
            self.tray = tray_module.TrayIcon(
                window,
                toggle_window=self.toggle_window,
                refresh=lambda: window.refresh_all(),
                quit_app=window.quit,
            )
            self.tray.set_unread(window.feeds_model.total_unread())
            self.tray.set_window_shown(window.isVisible())
            self.tray.show()
        elif not wanted and self.tray is not None:
            self.tray.dispose()
            self.tray = None
            if not window.isVisible() and not self.quitting:
                window.show()  # never leave a hidden window with no icon to bring it back
        if isinstance(app, QApplication):
            # With the tray on, closing the window hides it; Quit ends the app.
            app.setQuitOnLastWindowClosed(self.tray is None)

    def update_tray(self, unread: int) -> None:
        if self.tray is not None:
            self.tray.set_unread(unread)

    def toggle_window(self) -> None:
        window = self._desk()
        if window.isVisible() and not window.isMinimized() and window.isActiveWindow():
            self.hide_to_tray()
        else:
            self.raise_window()

    def raise_window(self) -> None:
        window = self._desk()
        bring_forward(window)
        QApplication.alert(window)
        if self.tray is not None:
            self.tray.set_window_shown(True)

    def hide_to_tray(self) -> None:
        window = self._desk()
        window.annotations_pane.flush()
        window.flush_scrolled_past()
        window.save_state()
        window.hide()
        if self.tray is not None:
            self.tray.set_window_shown(False)
            if not window.settings.state(TRAY_HINT_STATE):
                window.settings.set_state(TRAY_HINT_STATE, True)
                self.tray.notify(
                    "Gloss is still running",
                    "It keeps refreshing in the tray. Click the icon to open it; "
                    "Quit Gloss in its menu ends it.",
                )

    def close_to_tray(self, event: QCloseEvent) -> bool:
        """Closing the window while the tray icon is on hides it instead; ``True`` if so."""
        if self.tray is None or self.quitting:
            return False
        event.ignore()
        self.hide_to_tray()
        return True

    def closing_for_good(self) -> None:
        """The window is really closing: the tray goes, and so does the app."""
        had_tray = self.tray is not None
        if self.tray is not None:
            self.tray.dispose()
            self.tray = None
        app = QApplication.instance()
        if had_tray and isinstance(app, QApplication):
            app.setQuitOnLastWindowClosed(True)
            if self.exit_app_when_closed:
                # a window closed while hidden in the tray is not a "last window closed"
                QTimer.singleShot(0, app.quit)

    # ---- notifications --------------------------------------------------------------------

    def _reflect_notify(self, node: Node | None) -> None:
        feed = node.feed if node is not None else None
        self.notify_action.setEnabled(feed is not None)
        self.notify_action.setChecked(feed is not None and feed.notify)

    def _extend_feed_menu_desktop(self, menu: QMenu, node: Node | None) -> None:
        self._reflect_notify(node)
        if node is not None and node.feed is not None:
            menu.addAction(self.notify_action)

    def _set_selected_notify(self, checked: bool) -> None:
        node = self._desk().feeds_pane.selected_node()
        if node is None or node.feed is None:
            return
        self.set_feed_notify(node.feed.id, checked)

    def set_feed_notify(self, feed_id: FeedId, on: bool) -> None:
        self._desk().tasks.mutate(lambda lib: lib.set_feed_notify(feed_id, on), initiator=self)

    def notify_new_articles(self, new_by_feed: Mapping[FeedId, int]) -> None:
        """After a refresh: one summarised notification for the feeds marked Notify."""
        window = self._desk()
        marked = {f.id: f.title for f in window.feeds_model.feeds() if f.notify}
        counts: dict[str, int] = {}
        for feed_id, count in new_by_feed.items():
            if count > 0 and feed_id in marked:
                title = marked[feed_id]
                counts[title] = counts.get(title, 0) + count
        if not counts:
            return
        total = sum(counts.values())
        title = f"{total:,} new article{'s' * (total != 1)}"
        self.show_notification(title, summarise_new(counts))

    def show_notification(self, title: str, text: str) -> None:
        """In the tray's bubble when there is a tray icon, else in the window's status bar
        (and the taskbar entry asks for attention): never a dialog that blocks."""
        window = self._desk()
        if self.tray is not None and self.tray.is_shown():
            self.tray.notify(title, text)
            self.notifications.append((title, text, "tray"))
            return
        window.statusBar().showMessage(f"{title}: {text}", NOTICE_MS)
        QApplication.alert(window)
        self.notifications.append((title, text, "window"))

    # ---- other starts of Gloss ------------------------------------------------------------

    def handle_instance_request(self, message: dict[str, Any], reply: Reply) -> None:
        """A request from ``gloss`` started again on this library (reader/core/desktop.py)."""
        command = message.get("command")
        if command == "raise":
            self.raise_window()
            reply({"ok": True})
        elif command == "subscribe":
            url = str(message.get("url") or "")
            if not url.lower().startswith(("http://", "https://")):
                reply({"ok": False, "error": f"not a web address: {url!r}"})
                return
            self.raise_window()
            self._desk().add_feed(url)
            reply({"ok": True})
        elif command == "add":
            self.add_feed_for_request(
                str(message.get("url") or ""),
                folder=message.get("folder") or None,
                pick=message.get("pick"),
                reply=reply,
            )
        else:
            reply({"ok": False, "error": f"unknown request {command!r}"})

    def add_feed_for_request(
        self, url: str, *, folder: str | None, pick: Any, reply: Reply
    ) -> None:
        """``gloss add URL`` while this window runs: discover, subscribe here, refresh here."""
        window = self._desk()

        def failed(error: BaseException) -> None:
            reply({"ok": False, "error": str(error)})
            if not isinstance(error, GlossError):
                raise error

        def found(candidates: list[Any]) -> None:
            if pick is not None:
                if not isinstance(pick, int) or not 1 <= pick <= len(candidates):
                    reply(
                        {
                            "ok": False,
                            "error": f"--pick {pick} is out of range: the page lists "
                            f"{len(candidates)} feed(s).",
                        }
                    )
                    return
                chosen = candidates[pick - 1]
            elif len(candidates) == 1:
                chosen = candidates[0]
            else:
                reply(
                    {
                        "ok": False,
                        "error": f"{url} links to {len(candidates)} feeds; choose one with "
                        "--pick N.",
                        "candidates": [[c.url, c.title or ""] for c in candidates],
                    }
                )
                return

            def subscribed(changes: Changes) -> None:
                feed_id = min(changes.feeds)
                reply(
                    {
                        "ok": True,
                        "feed_id": int(feed_id),
                        "title": chosen.title or chosen.url,
                        "url": chosen.url,
                    }
                )
                window.statusBar().showMessage(
                    f"Subscribed to {chosen.title or chosen.url} (from the command line).", 8000
                )
                window._start_refresh([feed_id])

            def subscribe(lib: Library) -> Changes:
                return lib.subscribe(chosen.url, folder=folder, title=None)[1]

            window.tasks.mutate(subscribe, initiator=self, on_done=subscribed, on_error=failed)

        find = window.reader.find_feeds
        window.tasks.run_network(lambda: find(url), found, failed)
