"""The current article's highlights and notes, as the library holds them.

Rows come in three sections: highlights placed in the text, in reading order; highlights that
could not be placed (orphans, rule 7: kept and listed, never dropped); then the article's notes,
oldest first. Section headings are drawn by the pane's delegate above a section's first row, so
every row is one highlight or one note and ``rowCount`` counts annotations.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from reader.core.annotating import default_label
from reader.core.types import HIGHLIGHT_COLORS, AnchorStatus, Highlight, Note
from reader.gui.models import FLAT_ROW_FLAGS
from reader.gui.widgets.highlight_menu import swatch_hex

Index = QModelIndex | QPersistentModelIndex
KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "highlight" or "note"
COLOUR_ROLE = Qt.ItemDataRole.UserRole + 2  # "#rrggbb" of a highlight
NOTE_ROLE = Qt.ItemDataRole.UserRole + 3
ITEM_ROLE = Qt.ItemDataRole.UserRole + 4  # the Highlight or Note itself
ANCHOR_ROLE = Qt.ItemDataRole.UserRole + 5
TAGS_ROLE = Qt.ItemDataRole.UserRole + 6  # tuple[str, ...]
SECTION_ROLE = Qt.ItemDataRole.UserRole + 7  # one of SECTIONS
SECTION_START_ROLE = Qt.ItemDataRole.UserRole + 8  # True on the first row of a section
ID_ROLE = Qt.ItemDataRole.UserRole + 9
COLOUR_LABEL_ROLE = Qt.ItemDataRole.UserRole + 10  # the user's name for the colour

PLACED, ORPHANS, NOTES = "highlights", "orphans", "notes"
SECTION_TITLES = {PLACED: "Highlights", ORPHANS: "Could not place", NOTES: "Notes"}

HIGHLIGHT_COLOURS = {
    # the same inks the reading view paints with, so a card's bar matches its marker
    **{color: swatch_hex(color) for color in HIGHLIGHT_COLORS},
    # colours of older libraries and imports, still shown faithfully
    "orange": "#f2994a",
    "red": "#eb5757",
}
REVIEW_ANCHORS = frozenset({AnchorStatus.FUZZY.value, AnchorStatus.AMBIGUOUS.value})


def colour_hex(color: str) -> str:
    """The swatch for a stored colour name; an unknown name falls back to yellow."""
    if color.startswith("#") and len(color) in (4, 7):
        return color
    return HIGHLIGHT_COLOURS.get(color, HIGHLIGHT_COLOURS["yellow"])


def default_labels() -> dict[str, str]:
    return {c: default_label(c) for c in HIGHLIGHT_COLORS}


class AnnotationsModel(QAbstractListModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[tuple[str, Highlight | Note]] = []
        self._labels = default_labels()

    # ---- content --------------------------------------------------------------------------

    def set_items(self, highlights: list[Highlight], notes: list[Note]) -> None:
        placed = [h for h in highlights if h.anchor != AnchorStatus.ORPHAN.value]
        orphans = [h for h in highlights if h.anchor == AnchorStatus.ORPHAN.value]
        self.beginResetModel()
        rows: list[tuple[str, Highlight | Note]] = []
        rows += [(PLACED, h) for h in sorted(placed, key=lambda h: (h.start, h.id))]
        rows += [(ORPHANS, h) for h in sorted(orphans, key=lambda h: (h.start, h.id))]
        rows += [(NOTES, n) for n in sorted(notes, key=lambda n: (n.created_at, n.id))]
        self._rows = rows
        self.endResetModel()

    def clear(self) -> None:
        self.set_items([], [])

    def set_color_labels(self, labels: Mapping[str, str]) -> None:
        self._labels = {**default_labels(), **labels}
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1))

    def color_labels(self) -> dict[str, str]:
        return dict(self._labels)

    def highlight_count(self) -> int:
        return sum(section != NOTES for section, _ in self._rows)

    def orphan_count(self) -> int:
        return sum(section == ORPHANS for section, _ in self._rows)

    def note_count(self) -> int:
        return sum(section == NOTES for section, _ in self._rows)

    def section_count(self, section: str) -> int:
        return sum(s == section for s, _ in self._rows)

    def item(self, row: int) -> Highlight | Note | None:
        return self._rows[row][1] if 0 <= row < len(self._rows) else None

    def row_of(self, kind: str, item_id: int) -> int | None:
        """Where a highlight or note is now (after a reload rows may have moved)."""
        wanted = Highlight if kind == "highlight" else Note
        for row, (_, item) in enumerate(self._rows):
            if isinstance(item, wanted) and item.id == item_id:
                return row
        return None

    # ---- Qt -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        section, item = self._rows[index.row()]
        if role == ITEM_ROLE:
            return item
        if role == ID_ROLE:
            return int(item.id)
        if role == SECTION_ROLE:
            return section
        if role == SECTION_START_ROLE:
            return index.row() == 0 or self._rows[index.row() - 1][0] != section
        if isinstance(item, Highlight):
            return self._highlight_data(item, role)
        return self._note_data(item, role)

    def _highlight_data(self, h: Highlight, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return h.quote
        if role == KIND_ROLE:
            return "highlight"
        if role == COLOUR_ROLE:
            return colour_hex(h.color)
        if role == COLOUR_LABEL_ROLE:
            return self._labels.get(h.color, h.color.title())
        if role == NOTE_ROLE:
            return h.note
        if role == ANCHOR_ROLE:
            return h.anchor
        if role == TAGS_ROLE:
            return h.tags
        if role == Qt.ItemDataRole.ToolTipRole:
            when = f"Highlighted {h.created_at.astimezone():%Y-%m-%d %H:%M}"
            label = self._labels.get(h.color, h.color.title())
            if h.anchor == AnchorStatus.ORPHAN.value:
                return (
                    f"{when} · {label}. The passage is no longer in the article; the quote, "
                    "note and tags are kept. Re-attach it to a passage of the current text."
                )
            if h.anchor in REVIEW_ANCHORS:
                return (
                    f"{when} · {label}. The article changed: this highlight was placed on the "
                    "closest match. Check it, and re-attach it if it is wrong."
                )
            return f"{when} · {label}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            parts = [f"Highlight, {self._labels.get(h.color, h.color)}: {h.quote}"]
            if h.note:
                parts.append(f"Note: {h.note}")
            if h.anchor == AnchorStatus.ORPHAN.value:
                parts.append("Could not be placed in the current text")
            return ". ".join(parts)
        return None

    def _note_data(self, n: Note, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return n.body
        if role == KIND_ROLE:
            return "note"
        if role == TAGS_ROLE:
            return ()
        if role == Qt.ItemDataRole.ToolTipRole:
            edited = ""
            if n.updated_at > n.created_at:
                edited = f", edited {n.updated_at.astimezone():%Y-%m-%d %H:%M}"
            return f"Note written {n.created_at.astimezone():%Y-%m-%d %H:%M}{edited}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Note: {n.body}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return FLAT_ROW_FLAGS
