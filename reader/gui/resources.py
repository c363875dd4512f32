"""Finding and loading the files under ``resources/``: icons, stylesheets, themes.

``resources/`` sits beside the ``reader`` package in a checkout and inside the bundle of a frozen
build; one function finds it in both. Icons are single-colour SVGs drawn with ``currentColor``;
they are tinted with the theme's text colour when loaded, so one file serves light and dark.
"""

from __future__ import annotations

import functools
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QByteArray, QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer


def resources_dir() -> Path:
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


@dataclass(frozen=True, slots=True)
class Theme:
    """The colours of one theme; QSS and the article stylesheet are filled from these."""

    name: str  # "light" or "dark"
    window: str  # sidebars, toolbar
    base: str  # lists and the reading page
    alt_base: str
    text: str
    muted: str  # secondary text: feed names, dates, counts
    border: str
    accent: str
    accent_text: str
    selection: str  # selected row background (unfocused lists use it too)
    selection_text: str
    hover: str
    badge: str  # unread count pill
    badge_text: str
    error: str
    link: str
    quote_bar: str
    code_bg: str
    star: str

    @property
    def is_dark(self) -> bool:
        return self.name == "dark"


LIGHT = Theme(
    name="light",
    window="#f3f2ef",
    base="#ffffff",
    alt_base="#faf9f7",
    text="#1d1f23",
    muted="#6b6f76",
    border="#e1dfda",
    accent="#d9530f",
    accent_text="#ffffff",
    selection="#fde6d6",
    selection_text="#1d1f23",
    hover="#ebe9e4",
    badge="#e4e1db",
    badge_text="#4a4d52",
    error="#c92a2a",
    link="#b8460c",
    quote_bar="#e8a87c",
    code_bg="#f4f2ee",
    star="#e8a400",
)

DARK = Theme(
    name="dark",
    window="#1b1c1f",
    base="#222327",
    alt_base="#26272b",
    text="#e4e4e2",
    muted="#9a9ca1",
    border="#34353a",
    accent="#f08c4a",
    accent_text="#1b1c1f",
    selection="#4a3426",
    selection_text="#f4f4f2",
    hover="#2d2e33",
    badge="#37383e",
    badge_text="#c8c9cc",
    error="#ff8787",
    link="#f4a36e",
    quote_bar="#8a5a3b",
    code_bg="#2b2c31",
    star="#f5c542",
)


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    scheme = getattr(hints, "colorScheme", None)
    return scheme is not None and scheme() == Qt.ColorScheme.Dark


def pick_theme(choice: str) -> Theme:
    """``choice`` is "light", "dark" or "system" (follow the desktop)."""
    if choice == "dark":
        return DARK
    if choice == "light":
        return LIGHT
    return DARK if system_prefers_dark() else LIGHT


def palette_for(theme: Theme) -> QPalette:
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: theme.window,
        QPalette.ColorRole.WindowText: theme.text,
        QPalette.ColorRole.Base: theme.base,
        QPalette.ColorRole.AlternateBase: theme.alt_base,
        QPalette.ColorRole.Text: theme.text,
        QPalette.ColorRole.Button: theme.window,
        QPalette.ColorRole.ButtonText: theme.text,
        QPalette.ColorRole.Highlight: theme.selection,
        QPalette.ColorRole.HighlightedText: theme.selection_text,
        QPalette.ColorRole.ToolTipBase: theme.base,
        QPalette.ColorRole.ToolTipText: theme.text,
        QPalette.ColorRole.PlaceholderText: theme.muted,
        QPalette.ColorRole.Link: theme.link,
        QPalette.ColorRole.Mid: theme.border,
        QPalette.ColorRole.Midlight: theme.hover,
        QPalette.ColorRole.Light: theme.base,
        QPalette.ColorRole.Dark: theme.border,
        QPalette.ColorRole.BrightText: theme.error,
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor(theme.muted))
    return palette


def _fill(template_name: str, theme: Theme, **extra: object) -> str:
    text = (resources_dir() / "styles" / template_name).read_text(encoding="utf-8")
    values = {field: getattr(theme, field) for field in Theme.__dataclass_fields__}
    values.update({k: str(v) for k, v in extra.items()})
    return string.Template(text).safe_substitute(values)


def window_stylesheet(theme: Theme) -> str:
    check = (resources_dir() / "icons" / "check.svg").as_posix()
    return _fill("window.qss", theme, check_icon=check)


def article_stylesheet(theme: Theme, font_size: int) -> str:
    return _fill(
        "article.css",
        theme,
        font_size=font_size,
        h1_size=round(font_size * 1.4),
        h2_size=round(font_size * 1.22),
        h3_size=round(font_size * 1.08),
        small_size=max(10, round(font_size * 0.8)),
        code_size=max(10, round(font_size * 0.88)),
    )


@functools.cache
def _svg_source(name: str) -> str:
    return (resources_dir() / "icons" / f"{name}.svg").read_text(encoding="utf-8")


@functools.cache
def icon(name: str, colour: str) -> QIcon:
    """A tinted icon; cached per colour so theme switches reuse work."""
    svg = _svg_source(name).replace("currentColor", colour)
    renderer = QSvgRenderer(QByteArray(svg.encode("utf-8")))
    result = QIcon()
    for size in (16, 20, 24, 32, 48):
        result.addPixmap(_render_square(renderer, size))
    return result


def _render_square(renderer: QSvgRenderer, pixels: int) -> QPixmap:
    """An SVG drawn antialiased on a transparent ``pixels``-square pixmap."""
    pixmap = QPixmap(pixels, pixels)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, pixels, pixels))
    painter.end()
    return pixmap


def app_icon() -> QIcon:
    return icon("app", "#000000")


def app_pixmap(size: int, ratio: float = 1.0) -> QPixmap:
    """The app icon drawn from its SVG at ``size`` logical pixels (sharp on HiDPI screens)."""
    renderer = QSvgRenderer(QByteArray(_svg_source("app").encode("utf-8")))
    pixmap = _render_square(renderer, round(size * ratio))
    pixmap.setDevicePixelRatio(ratio)
    return pixmap
