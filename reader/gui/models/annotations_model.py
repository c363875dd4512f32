"""The current article's highlights and notes, as the library holds them.

Highlights come first in reading order (by start offset), then notes by creation time. Orphaned
highlights (their passage no longer found) stay listed and say so (rule 7).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from reader.core.types import Highlight, Note
from reader.gui.models import FLAT_ROW_FLAGS

Index = QModelIndex | QPersistentModelIndex
KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "highlight" or "note"
COLOUR_ROLE = Qt.ItemDataRole.UserRole + 2
NOTE_ROLE = Qt.ItemDataRole.UserRole + 3
ITEM_ROLE = Qt.ItemDataRole.UserRole + 4
ANCHOR_ROLE = Qt.ItemDataRole.UserRole + 5

HIGHLIGHT_COLOURS = {
    "yellow": "#f2c94c",
    "green": "#6fcf97",
    "blue": "#56a0f0",
    "pink": "#f07aa8",
    "purple": "#b48cf0",
    "orange": "#f2994a",
    "red": "#eb5757",
}


@dataclass(frozen=True, slots=True)
class _Row:
    item: Highlight | Note


class AnnotationsModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[_Row] = []

    def set_items(self, highlights: list[Highlight], notes: list[Note]) -> None:
        self.beginResetModel()
        self._rows = [_Row(h) for h in sorted(highlights, key=lambda h: (h.start, h.id))]
        self._rows += [_Row(n) for n in sorted(notes, key=lambda n: (n.created_at, n.id))]
        self.endResetModel()

    def clear(self) -> None:
        self.set_items([], [])

    def highlight_count(self) -> int:
        return sum(isinstance(r.item, Highlight) for r in self._rows)

    def note_count(self) -> int:
        return sum(isinstance(r.item, Note) for r in self._rows)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        item = self._rows[index.row()].item
        if role == ITEM_ROLE:
            return item
        if isinstance(item, Highlight):
            return self._highlight_data(item, role)
        return self._note_data(item, role)

    def _highlight_data(self, h: Highlight, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return h.quote
        if role == KIND_ROLE:
            return "highlight"
        if role == COLOUR_ROLE:
            return HIGHLIGHT_COLOURS.get(h.color, h.color if h.color.startswith("#") else "#f2c94c")
        if role == NOTE_ROLE:
            return h.note
        if role == ANCHOR_ROLE:
            return h.anchor
        if role == Qt.ItemDataRole.ToolTipRole:
            when = f"Highlighted {h.created_at.astimezone():%Y-%m-%d %H:%M}"
            if h.anchor == "orphan":
                return when + ". The passage is no longer in the article; the quote is kept."
            return when
        return None

    def _note_data(self, n: Note, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return n.body
        if role == KIND_ROLE:
            return "note"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"Note written {n.created_at.astimezone():%Y-%m-%d %H:%M}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return FLAT_ROW_FLAGS
