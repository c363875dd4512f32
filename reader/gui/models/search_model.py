"""Search results as a list model: one row per `SearchHit` (an article, a highlight or a note).

The hits come from ``Library.search``, ranked; the model only holds them. ``more`` says the
library has further hits: scrolling to the end asks for a longer list (``fetchMore`` emits
``more_wanted``; the window searches again with a higher limit, up to ``MAX_RESULTS``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from reader.core.errors import QuerySyntaxError
from reader.core.query import parse_query
from reader.core.types import Article, ArticleId, HitKind, SearchHit
from reader.gui.models import FLAT_ROW_FLAGS
from reader.gui.models.articles_model import format_date

Index = QModelIndex | QPersistentModelIndex
HIT_ROLE = Qt.ItemDataRole.UserRole + 1
KIND_LABELS = {HitKind.ARTICLE: "Article", HitKind.HIGHLIGHT: "Highlight", HitKind.NOTE: "Note"}
FIRST_PAGE = 50
MAX_RESULTS = 1000


class SearchResultsModel(QAbstractListModel):
    more_wanted = Signal()

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._hits: list[SearchHit] = []
        self._more = False
        self._asked = False  # a longer list was asked for and has not arrived yet
        self._now = dt.datetime.now(dt.UTC)
        self.query = ""
        self._words: re.Pattern[str] | None = None

    def show(self, query: str, hits: Sequence[SearchHit], more: bool) -> None:
        self.beginResetModel()
        self.query = query
        self._words = words_pattern(query)
        self._hits = list(hits)
        self._more = more and len(hits) < MAX_RESULTS
        self._asked = False
        self._now = dt.datetime.now(dt.UTC)
        self.endResetModel()

    def extend(self, hits: Sequence[SearchHit], more: bool) -> None:
        """A longer list for the same query: rows already shown stay put, new ones are added."""
        seen = {(h.kind, h.id) for h in self._hits}
        fresh = [h for h in hits if (h.kind, h.id) not in seen]
        self._asked = False
        self._more = more and len(self._hits) + len(fresh) < MAX_RESULTS and bool(fresh)
        if not fresh:
            return
        first = len(self._hits)
        self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
        self._hits.extend(fresh)
        self.endInsertRows()

    def clear(self) -> None:
        self.show("", (), False)

    def hit(self, row: int) -> SearchHit | None:
        return self._hits[row] if 0 <= row < len(self._hits) else None

    def hits(self) -> tuple[SearchHit, ...]:
        return tuple(self._hits)

    def has_more(self) -> bool:
        return self._more

    def article_ids(self) -> set[ArticleId]:
        return {h.article_id for h in self._hits}

    def update_articles(self, articles: Iterable[Article]) -> None:
        """Read and starred flags changed (marked read, starred): the rows follow."""
        by_id = {a.id: a for a in articles}
        for row, hit in enumerate(self._hits):
            article = by_id.get(hit.article_id)
            if article is None:
                continue
            if (hit.read, hit.starred, hit.title) != (article.read, article.starred, article.title):
                self._hits[row] = dataclasses.replace(
                    hit, read=article.read, starred=article.starred, title=article.title
                )
                index = self.index(row, 0)
                self.dataChanged.emit(index, index)

    # ---- QAbstractListModel ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._hits)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._asked

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if self.canFetchMore(parent):
            self._asked = True
            self.more_wanted.emit()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        hit = self.hit(index.row()) if index.isValid() else None
        if hit is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.title or "(untitled)"
        if role == HIT_ROLE:
            return hit
        if role == Qt.ItemDataRole.AccessibleTextRole:
            parts = [KIND_LABELS[hit.kind], hit.title or "(untitled)"]
            if hit.feed_title:
                parts.append(hit.feed_title)
            parts.append(format_date(hit.date, self._now))
            parts.append(hit.snippet.text)
            return ", ".join(parts)
        if role == Qt.ItemDataRole.ToolTipRole:
            when = f"{hit.date.astimezone():%A %d %B %Y, %H:%M}"
            source = f" — {hit.feed_title}" if hit.feed_title else ""
            return f"{hit.title or '(untitled)'}{source}\n{KIND_LABELS[hit.kind]}, {when}"
        return None

    def title_marks(self, title: str) -> list[tuple[int, int]]:
        """Where the searched words appear in ``title`` (the library marks only snippets)."""
        if self._words is None:
            return []
        return [m.span() for m in self._words.finditer(title) if m.end() > m.start()]

    def date_text(self, hit: SearchHit) -> str:
        return format_date(hit.date, self._now)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return FLAT_ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags


def words_pattern(query: str) -> re.Pattern[str] | None:
    """A case-insensitive pattern for the words and phrases a query looks for (not excluded),
    to mark them in titles as the library marks them in snippets."""
    try:
        terms = parse_query(query, typing=True).terms()
    except QuerySyntaxError:
        return None
    parts = []
    for term in terms:
        words = [re.escape(w) for w in term.text.split() if w]
        if not words:
            continue
        body = r"\W+".join(words)
        parts.append(rf"\b{body}" + ("" if term.prefix else r"\b"))
    if not parts:
        return None
    return re.compile("|".join(sorted(parts, key=len, reverse=True)), re.IGNORECASE)
