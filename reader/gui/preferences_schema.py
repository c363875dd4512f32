"""Every preference of Gloss, declared once: the Preferences dialog, the window's settings file
and the window's defaults are all read from ``SCHEMA``.

A setting says what it is (key, label, kind, default, help), how it is edited (range and suffix of
a number, the choices of a list) and where it is kept:

- ``Store.WINDOW``: this computer's window settings (``window.ini``, section ``[preferences]``),
  through reader/gui/settings_store.py, which takes its defaults from here;
- ``Store.LIBRARY``: the library file, so every window and the command line on that library
  agree (``Library.offline_settings`` / ``set_offline_settings``);
- ``Store.SHORTCUTS``: the ``[shortcuts]`` section of ``window.ini``, edited as one table of every
  action in reader/gui/actions.py.

Adding a preference is adding an entry here, plus the line in ``MainWindow.apply_preference``
that makes it take effect at once. Nothing here imports Qt.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from reader.core.offline_methods import MAX_CACHE_MB
from reader.core.types import FullTextPolicy, OfflineSettings


class Kind(Enum):
    INT = "int"  # a spin box: minimum, maximum, step, suffix; ``special`` names the minimum
    BOOL = "bool"  # a check box
    CHOICE = "choice"  # a drop-down list of ``choices`` (value, label)
    FOLDER = "folder"  # a folder path with a Choose… button; empty: no default folder
    SHORTCUTS = "shortcuts"  # the table of every action's keys


class Store(Enum):
    WINDOW = "window.ini [preferences]"
    LIBRARY = "the library"
    SHORTCUTS = "window.ini [shortcuts]"


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    label: str
    kind: Kind
    default: Any
    help: str
    page: str
    store: Store = Store.WINDOW
    minimum: int = 0
    maximum: int = 0
    step: int = 1
    suffix: str = ""
    special: str = ""  # shown instead of the minimum of a number ("Off", "Never")
    choices: tuple[tuple[Any, str], ...] = ()

    @property
    def python_type(self) -> type:
        return {Kind.INT: int, Kind.BOOL: bool}.get(self.kind, str)

    def coerce(self, raw: Any) -> Any:
        """``raw`` as this setting's type and within its range; the default when it is not
        (a hand-edited INI file with ``font_size=huge`` opens with the default size)."""
        try:
            if self.kind is Kind.BOOL:
                if isinstance(raw, str):  # an INI file stores "true" / "false"
                    return raw.strip().lower() in ("true", "1", "yes", "on")
                return bool(raw)
            if self.kind is Kind.INT:
                value = int(raw)
                if self.minimum <= value <= self.maximum:
                    return value
                return self.default
            if self.kind is Kind.CHOICE:
                value = str(raw)
                return value if value in {str(v) for v, _ in self.choices} else self.default
            return "" if raw is None else str(raw)
        except (TypeError, ValueError):
            return self.default


PAGES = ("General", "Reading", "Offline", "Export", "Shortcuts")
FONT_SIZES = (12, 13, 14, 15, 16, 17, 18, 20, 22, 24, 28)  # View → Larger / Smaller Text steps
THEMES = (("system", "Follow the system"), ("light", "Light"), ("dark", "Dark"))
FULL_TEXT_CHOICES = (
    (FullTextPolicy.AUTO.value, "Automatic (when the feed sends summaries)"),
    (FullTextPolicy.ALWAYS.value, "Always"),
    (FullTextPolicy.NEVER.value, "Never"),
)
_LIBRARY_DEFAULTS = OfflineSettings()

SCHEMA: tuple[Setting, ...] = (
    # General
    Setting(
        "refresh_interval_min",
        "Refresh automatically every",
        Kind.INT,
        60,
        "While the window is open, feeds are fetched this often (each feed still waits as long "
        "as its server asks). Off: only when you refresh.",
        "General",
        minimum=0,
        maximum=10_080,
        step=15,
        suffix=" min",
        special="Off",
    ),
    Setting(
        "tray_icon",
        "Show Gloss in the system tray",
        Kind.BOOL,
        False,
        "An icon with the unread count and a menu (Show, Refresh Now, Quit). Closing the window "
        "then keeps Gloss running in the tray, refreshing and notifying.",
        "General",
    ),
    # Reading
    Setting(
        "theme",
        "Theme",
        Kind.CHOICE,
        "system",
        "Light, dark, or whichever the desktop uses.",
        "Reading",
        choices=THEMES,
    ),
    Setting(
        "font_size",
        "Article text size",
        Kind.INT,
        16,
        "The size of the reading view's text (also View → Larger / Smaller Text).",
        "Reading",
        minimum=10,
        maximum=32,
        suffix=" px",
    ),
    Setting(
        "mark_read_delay_ms",
        "Mark the article read after",
        Kind.INT,
        600,
        "How long an article must stay selected before it counts as read. Never: only when you "
        "mark it (m).",
        "Reading",
        minimum=-1,
        maximum=10_000,
        step=100,
        suffix=" ms",
        special="Never",
    ),
    Setting(
        "mark_read_on_scroll",
        "Mark articles read as they scroll past",
        Kind.BOOL,
        False,
        "Articles that leave the top of the list while you scroll down become read.",
        "Reading",
    ),
    # Offline (kept in the library: the command line and every window share them)
    Setting(
        "images",
        "Download images for offline reading",
        Kind.BOOL,
        _LIBRARY_DEFAULTS.images,
        "Images of stored articles are kept beside the library, without cookies or Referer. "
        "A feed can turn its own images off in its menu.",
        "Offline",
        store=Store.LIBRARY,
    ),
    Setting(
        "image_cache_mb",
        "Image cache limit",
        Kind.INT,
        _LIBRARY_DEFAULTS.image_cache_mb,
        "No more images are stored once the cache is this large.",
        "Offline",
        store=Store.LIBRARY,
        minimum=1,
        maximum=MAX_CACHE_MB,
        step=256,
        suffix=" MB",
    ),
    Setting(
        "full_text_default",
        "Full text of new feeds",
        Kind.CHOICE,
        _LIBRARY_DEFAULTS.full_text_default.value,
        "Whether a feed you add fetches each article's page for its full text. Each feed can be "
        "changed later in its menu (Full Text).",
        "Offline",
        store=Store.LIBRARY,
        choices=FULL_TEXT_CHOICES,
    ),
    # Export
    Setting(
        "export_folder",
        "Export to Markdown into",
        Kind.FOLDER,
        "",
        "The folder Export Highlights & Notes to Markdown offers first (an Obsidian or Logseq "
        "vault). Empty: the folder used last time.",
        "Export",
    ),
    # Shortcuts
    Setting(
        "shortcuts",
        "Keyboard shortcuts",
        Kind.SHORTCUTS,
        None,
        "Select an action and press the keys for it. A key already used elsewhere is flagged.",
        "Shortcuts",
        store=Store.SHORTCUTS,
    ),
)

SETTINGS: dict[str, Setting] = {s.key: s for s in SCHEMA}
WINDOW_SETTINGS: dict[str, Setting] = {k: s for k, s in SETTINGS.items() if s.store is Store.WINDOW}
LIBRARY_SETTINGS: dict[str, Setting] = {
    k: s for k, s in SETTINGS.items() if s.store is Store.LIBRARY
}


def library_values(settings: OfflineSettings) -> dict[str, Any]:
    """The library-wide settings as the schema's values."""
    return {
        "images": settings.images,
        "image_cache_mb": settings.image_cache_mb,
        "full_text_default": settings.full_text_default.value,
    }


def library_arguments(key: str, value: Any) -> dict[str, Any]:
    """``Library.set_offline_settings`` keywords for one library-wide setting."""
    if key == "full_text_default":
        return {"full_text_default": FullTextPolicy(value)}
    return {key: value}
