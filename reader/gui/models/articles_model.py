"""The article list: keyset pages loaded as the user scrolls (rule 6), never the whole table.

Rows are ``Article`` values read through the GUI thread's read-only ``Library``. A change from
the writer re-reads only the rows it names; read and starred flags flip in place, and a row that
stops matching the filter (read in "Unread") stays until the list is reloaded, so the article
under the reader's eyes never jumps away.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QIcon

from reader.core.library import Library
from reader.core.storage.window_queries import SortedCursor
from reader.core.types import Article, ArticleCursor, ArticleFilter, ArticleId, Changes
from reader.gui.models import FLAT_ROW_FLAGS

Index = QModelIndex | QPersistentModelIndex
PAGE_SIZE = 200
ARTICLE_ROLE = Qt.ItemDataRole.UserRole + 1

STAR, TITLE, FEED, DATE = range(4)
HEADERS = ("", "Title", "Feed", "Date")
SORT_KEYS = {TITLE: "title", FEED: "feed", DATE: "date"}


@dataclass(frozen=True, slots=True)
class ListOrder:
    key: str = "date"  # date, title, feed
    descending: bool = True


def format_date(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """Local time, short: today shows the time, this year the day, older the year."""
    local = when.astimezone()
    today = (now or dt.datetime.now(dt.UTC)).astimezone()
    if local.date() == today.date():
        return local.strftime("%H:%M")
    if local.year == today.year:
        return f"{local:%b} {local.day}"
    return f"{local:%b} {local.day}, {local.year}"


class ArticlesModel(QAbstractTableModel):
    def __init__(
        self,
        library: Library,
        star_icon: QIcon,
        unread_icon: QIcon | None = None,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._library = library
        self._star_icon = star_icon
        self._unread_icon = unread_icon or QIcon()
        self._rows: list[Article] = []
        self._row_of: dict[ArticleId, int] = {}
        self._filter = ArticleFilter()
        self._order = ListOrder()
        self._cursor: ArticleCursor | SortedCursor | None = None
        self._more = False
        self._fetching = False
        self._now = dt.datetime.now(dt.UTC)
        self._bold = QFont()
        self._bold.setWeight(QFont.Weight.DemiBold)
        self._muted: QBrush | None = None

    # ---- what to show ---------------------------------------------------------------------

    @property
    def article_filter(self) -> ArticleFilter:
        return self._filter

    @property
    def order(self) -> ListOrder:
        return self._order

    def set_muted_colour(self, colour: str) -> None:
        self._muted = QBrush(QColor(colour))

    def set_icons(self, star: QIcon, unread: QIcon) -> None:
        self._star_icon, self._unread_icon = star, unread

    def show(self, flt: ArticleFilter, order: ListOrder | None = None) -> None:
        """Replace the list with the first page of ``flt``."""
        self.beginResetModel()
        self._filter = flt
        if order is not None:
            self._order = order
        self._rows, self._row_of = [], {}
        self._cursor, self._more = None, True
        self._now = dt.datetime.now(dt.UTC)
        self._load_page(PAGE_SIZE, notify=False)
        self.endResetModel()

    def reload(self) -> None:
        """Re-read the list, as many rows as were loaded (new articles after a refresh)."""
        wanted = max(PAGE_SIZE, len(self._rows))
        self.beginResetModel()
        self._rows, self._row_of = [], {}
        self._cursor, self._more = None, True
        self._load_page(wanted, notify=False)
        self.endResetModel()

    def _load_page(self, limit: int, *, notify: bool) -> None:
        flt = replace(self._filter, newest_first=self._order.descending)
        if self._order.key == "date":
            after = self._cursor if isinstance(self._cursor, ArticleCursor) else None
            page = self._library.list_articles(flt, after=after, limit=limit)
            new_rows: list[Article] = list(page.articles)
            self._cursor = page.next_cursor
        else:
            sorted_after = self._cursor if isinstance(self._cursor, SortedCursor) else None
            new_rows, self._cursor = self._library.list_articles_sorted(
                flt,
                sort=self._order.key,
                descending=self._order.descending,
                after=sorted_after,
                limit=limit,
            )
        self._more = self._cursor is not None
        new_rows = [a for a in new_rows if a.id not in self._row_of]
        if not new_rows:
            return
        first = len(self._rows)
        if notify:
            self.beginInsertRows(QModelIndex(), first, first + len(new_rows) - 1)
        for offset, article in enumerate(new_rows):
            self._row_of[article.id] = first + offset
        self._rows.extend(new_rows)
        if notify:
            self.endInsertRows()

    # ---- lookups --------------------------------------------------------------------------

    def article(self, row: int) -> Article | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, article_id: ArticleId) -> int | None:
        return self._row_of.get(article_id)

    def loaded_count(self) -> int:
        return len(self._rows)

    def has_more(self) -> bool:
        return self._more

    # ---- changes from the writer ----------------------------------------------------------

    def apply_changes(self, changes: Changes) -> None:
        """Refresh the rows a change touched; a count change re-reads every loaded row's flags."""
        if changes.articles:
            ids = [i for i in changes.articles if i in self._row_of]
        elif changes.counts and changes.feeds:
            ids = [a.id for a in self._rows if a.feed_id in changes.feeds]
        elif changes.counts:
            ids = [a.id for a in self._rows]
        else:
            ids = []
        if changes.feeds and not changes.articles:
            # a renamed feed changes the Feed column
            ids = list({*ids, *(a.id for a in self._rows if a.feed_id in changes.feeds)})
        if not ids:
            return
        fresh = {a.id: a for a in self._library.get_articles(ids)}
        for article_id in ids:
            row = self._row_of[article_id]
            article = fresh.get(article_id)
            if article is not None and article != self._rows[row]:
                self._rows[row] = article
                self.dataChanged.emit(self.index(row, 0), self.index(row, len(HEADERS) - 1))

    # ---- QAbstractTableModel --------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and self._more and not self._fetching

    def fetchMore(self, parent: Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid() or not self._more or self._fetching:
            return
        self._fetching = True
        try:
            self._load_page(PAGE_SIZE, notify=True)
        finally:
            self._fetching = False

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == STAR:
            return "Starred"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        article = self._rows[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == TITLE:
                return article.title or "(untitled)"
            if column == FEED:
                return article.feed_title or ""
            if column == DATE:
                return format_date(article.sort_at, self._now)
            return None
        if role == ARTICLE_ROLE:
            return article
        if role == Qt.ItemDataRole.FontRole and not article.read and column == TITLE:
            return self._bold
        if role == Qt.ItemDataRole.ForegroundRole and column in (FEED, DATE) and self._muted:
            return self._muted
        if (
            role == Qt.ItemDataRole.ForegroundRole
            and column == TITLE
            and article.read
            and self._muted
        ):
            return self._muted
        if role == Qt.ItemDataRole.DecorationRole and column == STAR:
            if article.starred:
                return self._star_icon
            return None if article.read else self._unread_icon
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == DATE:
                return f"{article.sort_at.astimezone():%A %d %B %Y, %H:%M}"
            if column == STAR:
                return "Starred" if article.starred else None
            return article.title or None
        if role == Qt.ItemDataRole.AccessibleTextRole and column == STAR:
            return "starred" if article.starred else "not starred"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == DATE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return FLAT_ROW_FLAGS

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS.get(column)
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if ListOrder(key, descending) != self._order:
            self.show(self._filter, ListOrder(key, descending))
