"""The window's own settings: UI state (geometry, splitters, selection) and a few preferences.

Kept in an INI file through ``QSettings``, apart from the library: losing it loses only where the
window was, never anything the user wrote. Preferences are declared once as data (name, type,
default) so reading, writing and defaults cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from reader.core.paths import APP_NAME


@dataclass(frozen=True, slots=True)
class Preference:
    key: str
    kind: type
    default: Any
    description: str


PREFERENCES: dict[str, Preference] = {
    p.key: p
    for p in (
        Preference("theme", str, "system", "light, dark, or system (follow the desktop)"),
        Preference("font_size", int, 16, "article text size in pixels"),
        Preference(
            "mark_read_delay_ms", int, 600, "mark the selected article read after this; -1: never"
        ),
        Preference("refresh_interval_min", int, 60, "automatic refresh every N minutes; 0: off"),
        Preference(
            "mark_read_on_scroll", bool, False, "articles scrolled past in the list become read"
        ),
    )
}

FONT_SIZES = (12, 13, 14, 15, 16, 17, 18, 20, 22, 24, 28)


def default_settings_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "window.ini"


class SettingsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    # ---- preferences ----------------------------------------------------------------------

    def get(self, key: str) -> Any:
        pref = PREFERENCES[key]
        raw = self._qs.value(f"preferences/{key}", pref.default)
        if pref.kind is bool and isinstance(raw, str):  # an INI file stores "true" / "false"
            return raw.strip().lower() in ("true", "1", "yes", "on")
        try:
            return pref.kind(raw)
        except (TypeError, ValueError):
            return pref.default

    def set(self, key: str, value: Any) -> None:
        pref = PREFERENCES[key]
        self._qs.setValue(f"preferences/{key}", pref.kind(value))

    def shortcut_overrides(self) -> dict[str, str]:
        """``[shortcuts] action_name=Ctrl+J`` lines in the INI file; empty string unbinds."""
        self._qs.beginGroup("shortcuts")
        try:
            return {key: str(self._qs.value(key, "")) for key in self._qs.childKeys()}
        finally:
            self._qs.endGroup()

    # ---- UI state -------------------------------------------------------------------------

    def state(self, key: str) -> Any:
        return self._qs.value(f"state/{key}")

    def set_state(self, key: str, value: Any) -> None:
        self._qs.setValue(f"state/{key}", value)

    def save_geometry(self, widget: QWidget) -> None:
        self.set_state("geometry", widget.saveGeometry())

    def restore_geometry(self, widget: QWidget) -> bool:
        """Restore the window where it was, unless that place is no longer on any screen."""
        data = self.state("geometry")
        if not isinstance(data, QByteArray) or data.isEmpty():
            return False
        if not widget.restoreGeometry(data):
            return False
        if not _on_some_screen(widget.frameGeometry()):
            screen = QGuiApplication.primaryScreen()
            if screen is not None:
                available = screen.availableGeometry()
                size = widget.size().boundedTo(available.size())
                widget.resize(size)
                widget.move(available.center() - widget.rect().center())
        return True

    def sync(self) -> None:
        self._qs.sync()


def _on_some_screen(rect: QRect) -> bool:
    """At least a usable corner of the title bar must be visible somewhere."""
    grip = QRect(rect.topLeft(), rect.topLeft()).adjusted(0, 0, 120, 40)
    return any(s.availableGeometry().intersects(grip) for s in QGuiApplication.screens())
