"""The window's own settings: UI state (geometry, splitters, selection), preferences, shortcuts.

Kept in an INI file through ``QSettings``, apart from the library: losing it loses only where the
window was, never anything the user wrote. Which preferences exist, their types, ranges and
defaults come from reader/gui/preferences_schema.py (the Preferences dialog is built from the same
table), so reading, writing, the dialog and the defaults cannot drift apart.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import platformdirs
from PySide6.QtCore import QByteArray, QRect, QSettings
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from reader.core.paths import APP_NAME
from reader.gui.preferences_schema import FONT_SIZES, WINDOW_SETTINGS, Setting

__all__ = ["FONT_SIZES", "PREFERENCES", "SettingsStore", "default_settings_path"]

# The preferences kept in this file ([preferences] section), by key.
PREFERENCES: dict[str, Setting] = WINDOW_SETTINGS


def default_settings_path() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "window.ini"


class SettingsStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._qs = QSettings(str(path), QSettings.Format.IniFormat)

    # ---- preferences ----------------------------------------------------------------------

    def get(self, key: str) -> Any:
        setting = PREFERENCES[key]
        if not self._qs.contains(f"preferences/{key}"):
            return setting.default
        return setting.coerce(self._qs.value(f"preferences/{key}"))

    def set(self, key: str, value: Any) -> None:
        setting = PREFERENCES[key]
        self._qs.setValue(f"preferences/{key}", setting.python_type(value))

    def reset(self, key: str) -> None:
        """Back to the schema's default (the key leaves the file)."""
        if key not in PREFERENCES:
            raise KeyError(key)
        self._qs.remove(f"preferences/{key}")

    def shortcut_overrides(self) -> dict[str, str]:
        """``[shortcuts] action_name=Ctrl+J`` lines in the INI file; empty string unbinds,
        ``;`` separates several sequences (``focus_search=/; Ctrl+F``)."""
        self._qs.beginGroup("shortcuts")
        try:
            overrides = {}
            for key in self._qs.childKeys():
                value = self._qs.value(key, "")
                if isinstance(value, list):  # an unquoted "G, A" reads as a list in INI files
                    value = ", ".join(str(part).strip() for part in value)
                overrides[key] = str(value)
            return overrides
        finally:
            self._qs.endGroup()

    def set_shortcut_override(self, name: str, sequences: str | None) -> None:
        """Keep ``sequences`` (``;``-separated; empty unbinds) for action ``name``; ``None``
        goes back to the action's default keys."""
        if sequences is None:
            self._qs.remove(f"shortcuts/{name}")
        else:
            self._qs.setValue(f"shortcuts/{name}", sequences)

    def clear_shortcut_overrides(self) -> None:
        self._qs.remove("shortcuts")

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
