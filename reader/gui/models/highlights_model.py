"""Every highlight and article note in the library, newest first, a page at a time.

Highlights and notes live in two tables, each paged by key (``created_at``, ``id``; DESIGN rule
6). The model merges the two streams: a row is shown only once it is known to be newer than
everything not yet read from the other stream, so paging never shows rows out of order and never
reads either table whole.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt

from reader.core.library import Library
from reader.core.types import (
    AnchorStatus,
    HighlightEntry,
    HighlightFilter,
    HighlightId,
    NoteEntry,
    NoteId,
)
from reader.gui.models import FLAT_ROW_FLAGS
from reader.gui.models.annotations_model import colour_hex, default_labels
from reader.gui.models.articles_model import format_date

Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200

KIND_ROLE = Qt.ItemDataRole.UserRole + 1  # "highlight" or "note"
ENTRY_ROLE = Qt.ItemDataRole.UserRole + 2  # the HighlightEntry or NoteEntry
ARTICLE_ID_ROLE = Qt.ItemDataRole.UserRole + 3
HIGHLIGHT_ID_ROLE = Qt.ItemDataRole.UserRole + 4  # None for a note
COLOUR_ROLE = Qt.ItemDataRole.UserRole + 5
NOTE_ROLE = Qt.ItemDataRole.UserRole + 6  # a highlight's note
META_ROLE = Qt.ItemDataRole.UserRole + 7  # "Article title · Feed · date"
ANCHOR_ROLE = Qt.ItemDataRole.UserRole + 8
TAGS_ROLE = Qt.ItemDataRole.UserRole + 9

T = TypeVar("T")
Key = tuple[dt.datetime, int]


class _Stream(Generic[T]):
    """One table read newest first by key; ``head`` is the next row not yet shown."""

    def __init__(self, fetch: Callable[[Key | None, int], list[T]], key: Callable[[T], Key]):
        self._fetch = fetch
        self._key = key
        self._buffer: collections.deque[T] = collections.deque()
        self._cursor: Key | None = None
        self.exhausted = False

    def head(self, page: int) -> T | None:
        if not self._buffer and not self.exhausted:
            rows = self._fetch(self._cursor, page)
            self._buffer.extend(rows)
            if rows:
                self._cursor = self._key(rows[-1])
            if len(rows) < page:
                self.exhausted = True
        return self._buffer[0] if self._buffer else None

    def pop(self) -> T:
        return self._buffer.popleft()

    def has_more(self) -> bool:
        return bool(self._buffer) or not self.exhausted


@dataclass(frozen=True, slots=True)
class HighlightQuery:
    """What the global view shows. Notes have no colour and are never orphans: any colour or
    "could not place" filter leaves them out."""

    colors: tuple[str, ...] | None = None
    tag: str | None = None
    feed_id: int | None = None
    orphans_only: bool = False

    @property
    def includes_notes(self) -> bool:
        return self.colors is None and not self.orphans_only

    @property
    def is_filtered(self) -> bool:
        return self != HighlightQuery()


def _highlight_key(entry: HighlightEntry) -> Key:
    return entry.highlight.created_at, int(entry.highlight.id)


def _note_key(entry: NoteEntry) -> Key:
    return entry.note.created_at, int(entry.note.id)


class HighlightsModel(QAbstractListModel):
    def __init__(self, parent: Any = None, *, page_size: int = PAGE_SIZE) -> None:
        super().__init__(parent)
        self.page_size = page_size
        self._reader: Library | None = None
        self._query = HighlightQuery()
        self._rows: list[HighlightEntry | NoteEntry] = []
        self._highlights: _Stream[HighlightEntry] | None = None
        self._notes: _Stream[NoteEntry] | None = None
        self._labels = default_labels()

    # ---- loading --------------------------------------------------------------------------

    def load(self, reader: Library, query: HighlightQuery | None = None) -> None:
        """Start over from the newest row: first page now, more as the view scrolls."""
        self._reader = reader
        if query is not None:
            self._query = query
        self._labels = {**default_labels(), **reader.color_labels()}
        self._restart(self.page_size)

    def set_query(self, query: HighlightQuery) -> None:
        self._query = query
        if self._reader is not None:
            self._restart(self.page_size)

    def query(self) -> HighlightQuery:
        return self._query

    def reload(self) -> None:
        """Read again after a change, keeping as many rows as were shown (scroll position)."""
        if self._reader is not None:
            self._labels = {**default_labels(), **self._reader.color_labels()}
            self._restart(max(self.page_size, len(self._rows)))

    def _restart(self, wanted: int) -> None:
        reader, q = self._reader, self._query
        assert reader is not None
        feed_ids = (q.feed_id,) if q.feed_id is not None else None
        base = HighlightFilter(
            colors=q.colors,
            tag=q.tag,
            feed_ids=feed_ids,  # type: ignore[arg-type]
            orphans_only=q.orphans_only,
        )

        def highlights(before: Key | None, limit: int) -> list[HighlightEntry]:
            cursor = (before[0], HighlightId(before[1])) if before else None
            return reader.list_highlight_entries(replace(base, limit=limit, before=cursor))

        def notes(before: Key | None, limit: int) -> list[NoteEntry]:
            cursor = (before[0], NoteId(before[1])) if before else None
            return reader.list_note_entries(feed_ids, q.tag, limit, cursor)  # type: ignore[arg-type]

        self.beginResetModel()
        self._rows = []
        self._highlights = _Stream(highlights, _highlight_key)
        self._notes = _Stream(notes, _note_key) if q.includes_notes else None
        self._rows = self._take(wanted)
        self.endResetModel()

    def _take(self, count: int) -> list[HighlightEntry | NoteEntry]:
        taken: list[HighlightEntry | NoteEntry] = []
        page = self.page_size
        while len(taken) < count:
            h = self._highlights.head(page) if self._highlights else None
            n = self._notes.head(page) if self._notes else None
            if h is None and n is None:
                break
            if n is None or (h is not None and _highlight_key(h) >= _note_key(n)):
                assert self._highlights is not None
                taken.append(self._highlights.pop())
            else:
                assert self._notes is not None
                taken.append(self._notes.pop())
        return taken

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        if parent.isValid():
            return False
        return any(s is not None and s.has_more() for s in (self._highlights, self._notes))

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = self._take(self.page_size)
        if not more:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def loaded_count(self) -> int:
        return len(self._rows)

    def entry(self, row: int) -> HighlightEntry | NoteEntry | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def color_labels(self) -> dict[str, str]:
        return dict(self._labels)

    # ---- Qt -------------------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        entry = self._rows[index.row()]
        if role == ENTRY_ROLE:
            return entry
        if isinstance(entry, HighlightEntry):
            return self._highlight_data(entry, role)
        return self._note_data(entry, role)

    def _meta(self, title: str, feed: str | None, when: dt.datetime) -> str:
        parts = [title or "(untitled)"]
        if feed:
            parts.append(feed)
        parts.append(format_date(when))
        return "  ·  ".join(parts)

    def _highlight_data(self, entry: HighlightEntry, role: int) -> Any:
        h = entry.highlight
        if role == Qt.ItemDataRole.DisplayRole:
            return h.quote
        if role == KIND_ROLE:
            return "highlight"
        if role == ARTICLE_ID_ROLE:
            return int(h.article_id)
        if role == HIGHLIGHT_ID_ROLE:
            return int(h.id)
        if role == COLOUR_ROLE:
            return colour_hex(h.color)
        if role == NOTE_ROLE:
            return h.note
        if role == META_ROLE:
            return self._meta(entry.article_title, entry.feed_title, h.created_at)
        if role == ANCHOR_ROLE:
            return h.anchor
        if role == TAGS_ROLE:
            return h.tags
        if role == Qt.ItemDataRole.ToolTipRole:
            label = self._labels.get(h.color, h.color.title())
            tip = f"{label} · highlighted {h.created_at.astimezone():%Y-%m-%d %H:%M}"
            if h.anchor == AnchorStatus.ORPHAN.value:
                tip += "\nCould not be placed in the article's current text."
            return tip + "\nEnter or double-click opens the article."
        if role == Qt.ItemDataRole.AccessibleTextRole:
            label = self._labels.get(h.color, h.color)
            return f"Highlight, {label}: {h.quote}. From {entry.article_title}"
        return None

    def _note_data(self, entry: NoteEntry, role: int) -> Any:
        n = entry.note
        if role == Qt.ItemDataRole.DisplayRole:
            return n.body
        if role == KIND_ROLE:
            return "note"
        if role == ARTICLE_ID_ROLE:
            return int(n.article_id)
        if role == HIGHLIGHT_ID_ROLE:
            return None
        if role == META_ROLE:
            return self._meta(entry.article_title, entry.feed_title, n.created_at)
        if role == TAGS_ROLE:
            return ()
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                f"Note written {n.created_at.astimezone():%Y-%m-%d %H:%M}\n"
                "Enter or double-click opens the article."
            )
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"Note: {n.body}. On {entry.article_title}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return FLAT_ROW_FLAGS
