"""Highlight colours on screen, their swatches, and the menus that create and edit highlights.

Marker colours are translucent so the page shows through and text keeps its own colour (links
stay link-coloured); each theme has its own strength, because the same ink that reads well on
white turns muddy over a dark page. Swatches use the opaque ink, recognisable in both themes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QAction, QActionGroup, QColor, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QWidget

from reader.core.annotating import default_label
from reader.core.types import HIGHLIGHT_COLORS, Highlight
from reader.gui.resources import Theme

_INKS: dict[str, tuple[int, int, int]] = {
    "yellow": (250, 204, 21),
    "green": (64, 192, 87),
    "blue": (51, 154, 240),
    "pink": (240, 101, 149),
    "purple": (132, 94, 247),
}
# Opacity of the marker over the page: yellow is light, so it needs more to be seen on white.
_LIGHT_ALPHA = {"yellow": 0.48, "green": 0.32, "blue": 0.30, "pink": 0.30, "purple": 0.28}
_DARK_ALPHA = {"yellow": 0.34, "green": 0.34, "blue": 0.38, "pink": 0.36, "purple": 0.42}


@dataclass(frozen=True, slots=True)
class HighlightInk:
    fill: QColor  # translucent marker painted behind the text
    swatch: QColor  # opaque: menus, toolbar, the Highlights pane
    line: QColor  # underlines (notes, "check this highlight")


def swatch_hex(color: str) -> str:
    """The opaque ink of a colour as ``#rrggbb`` (cards, filter buttons); unknown → yellow."""
    red, green, blue = _INKS.get(color, _INKS["yellow"])
    return f"#{red:02x}{green:02x}{blue:02x}"


def highlight_palette(theme: Theme) -> dict[str, HighlightInk]:
    """Every colour of ``HIGHLIGHT_COLORS`` for ``theme``; unknown colours fall back to yellow."""
    return dict(_palette(theme.is_dark))


@functools.cache
def _palette(dark: bool) -> tuple[tuple[str, HighlightInk], ...]:
    alphas = _DARK_ALPHA if dark else _LIGHT_ALPHA
    entries = []
    for name in HIGHLIGHT_COLORS:
        red, green, blue = _INKS.get(name, _INKS["yellow"])
        swatch = QColor(red, green, blue)
        line = swatch.lighter(115) if dark else swatch.darker(135)
        fill = QColor(red, green, blue, round(255 * alphas.get(name, 0.35)))
        entries.append((name, HighlightInk(fill, swatch, line)))
    return tuple(entries)


def fill_colors(theme: Theme) -> dict[str, QColor]:
    """The translucent fills, the form ``ReadingView.set_highlights`` accepts as ``colors``."""
    return {name: ink.fill for name, ink in highlight_palette(theme).items()}


@functools.cache
def swatch_icon(color: str, ring: str = "#00000030", size: int = 16) -> QIcon:
    """A round swatch; ``ring`` keeps pale inks visible on pale menus."""
    ink = dict(_palette(False)).get(color) or dict(_palette(False))["yellow"]
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(ring), 1))
        painter.setBrush(ink.swatch)
        painter.drawEllipse(QRectF(1.5, 1.5, size - 3, size - 3))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


def color_label(color: str, labels: Mapping[str, str]) -> str:
    return labels.get(color) or default_label(color)


def add_color_actions(
    menu: QMenu,
    labels: Mapping[str, str],
    on_choose: Callable[[str], object],
    *,
    checked: str | None = None,
) -> list[QAction]:
    """One action per colour (swatch and label); with ``checked``, they are exclusive radios."""
    group = QActionGroup(menu) if checked is not None else None
    actions = []
    for color in HIGHLIGHT_COLORS:
        action = menu.addAction(swatch_icon(color), color_label(color, labels))
        action.setObjectName(f"highlight_color_{color}")
        if group is not None:
            action.setCheckable(True)
            action.setChecked(color == checked)
            group.addAction(action)
        action.triggered.connect(lambda _checked=False, c=color: on_choose(c))
        actions.append(action)
    return actions


def highlight_menu(
    highlight: Highlight,
    labels: Mapping[str, str],
    parent: QWidget,
    *,
    on_color: Callable[[str], object],
    on_note: Callable[[], object],
    on_copy: Callable[[], object],
    on_delete: Callable[[], object],
    on_reattach: Callable[[], object] | None = None,
) -> QMenu:
    """The menu of one painted highlight: colour, note, copy, re-attach (when it moved), delete."""
    menu = QMenu(parent)
    menu.setObjectName("highlightMenu")
    menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    add_color_actions(menu, labels, on_color, checked=highlight.color)
    menu.addSeparator()
    note = menu.addAction("Edit Note…" if highlight.note else "Add Note…")
    note.setObjectName("highlight_note")
    note.triggered.connect(lambda: on_note())
    copy = menu.addAction("Copy Highlighted Text")
    copy.setObjectName("highlight_copy")
    copy.triggered.connect(lambda: on_copy())
    if on_reattach is not None:
        reattach = menu.addAction("Attach to Other Text…")
        reattach.setObjectName("highlight_reattach")
        reattach.setToolTip("The article changed; select the passage this highlight belongs to")
        reattach.triggered.connect(on_reattach)
    menu.addSeparator()
    delete = menu.addAction("Delete Highlight")
    delete.setObjectName("highlight_delete")
    delete.triggered.connect(lambda: on_delete())
    return menu
