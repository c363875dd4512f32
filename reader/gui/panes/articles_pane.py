"""The article list pane: the all / unread / starred switch, a quick filter, and the table."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QItemSelection, QModelIndex, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.types import Article, ArticleFilter, ArticleId
from reader.gui.models.articles_model import DATE, FEED, STAR, TITLE, ArticlesModel

SHOW_ALL, SHOW_UNREAD, SHOW_STARRED = "all", "unread", "starred"
QUICK_FILTER_DELAY_MS = 150
MAX_PAGES_FOR_NEXT_UNREAD = 20


class ArticlesPane(QWidget):
    article_selected = Signal(object)  # Article or None
    star_clicked = Signal(object)  # Article

    def __init__(self, model: ArticlesModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self._base = ArticleFilter()
        self._show = SHOW_ALL

        bar = QWidget(self)
        bar.setObjectName("filterBar")
        bar_layout = QHBoxLayout(bar)
        bar_layout.setContentsMargins(8, 6, 8, 6)
        bar_layout.setSpacing(4)
        self.show_buttons: dict[str, QToolButton] = {}
        group = QButtonGroup(self)
        group.setExclusive(True)
        for key, label in ((SHOW_ALL, "All"), (SHOW_UNREAD, "Unread"), (SHOW_STARRED, "Starred")):
            button = QToolButton(bar)
            button.setObjectName("filterButton")
            button.setText(label)
            button.setCheckable(True)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            button.setChecked(key == SHOW_ALL)
            button.clicked.connect(lambda _c=False, k=key: self.set_show(k))
            group.addButton(button)
            bar_layout.addWidget(button)
            self.show_buttons[key] = button
        bar_layout.addStretch(1)
        self.filter_edit = QLineEdit(bar)
        self.filter_edit.setPlaceholderText("Filter titles  /")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.setMaximumWidth(260)
        self.filter_edit.setMinimumWidth(140)
        bar_layout.addWidget(self.filter_edit)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(QUICK_FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self._reload)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_edit.returnPressed.connect(self._filter_done)

        self.table = QTableView(self)
        self.table.setObjectName("articleTable")
        self.table.setModel(model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Shift/Ctrl-click selects several (to export them); the reading view shows the current.
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setShowGrid(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(False)
        self.table.setFrameShape(QTableView.Shape.NoFrame)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(30)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(STAR, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(FEED, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(DATE, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(STAR, 30)
        header.resizeSection(FEED, 170)
        header.resizeSection(DATE, 96)
        header.setSortIndicator(DATE, Qt.SortOrder.DescendingOrder)
        header.setSortIndicatorShown(True)
        header.sortIndicatorChanged.connect(self._on_sort_indicator)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        self.table.clicked.connect(self._on_clicked)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.table)

    # ---- what the list shows --------------------------------------------------------------

    def set_base_filter(self, flt: ArticleFilter) -> None:
        """The feeds pane chose a feed, folder or smart view."""
        self._base = flt
        self._reload()

    def set_show(self, key: str) -> None:
        self._show = key
        self.show_buttons[key].setChecked(True)
        self._reload()

    @property
    def show_mode(self) -> str:
        return self._show

    def effective_filter(self) -> ArticleFilter:
        text = self.filter_edit.text().strip() or None
        return replace(
            self._base,
            unread_only=self._base.unread_only or self._show == SHOW_UNREAD,
            starred_only=self._base.starred_only or self._show == SHOW_STARRED,
            text=text,
        )

    def _reload(self) -> None:
        self._filter_timer.stop()
        self.model.show(self.effective_filter())
        self.table.scrollToTop()
        self.article_selected.emit(None)

    def _filter_done(self) -> None:
        self._reload()
        self.table.setFocus()
        if self.model.rowCount() and self.current_row() is None:
            self.select_row(0)

    def _on_sort_indicator(self, column: int, order: Qt.SortOrder) -> None:
        if column == STAR:
            header = self.table.horizontalHeader()
            header.blockSignals(True)
            key_column = {"date": DATE, "title": TITLE, "feed": FEED}[self.model.order.key]
            current = (
                Qt.SortOrder.DescendingOrder
                if self.model.order.descending
                else Qt.SortOrder.AscendingOrder
            )
            header.setSortIndicator(key_column, current)
            header.blockSignals(False)
            return
        self.model.sort(column, order)
        self.article_selected.emit(None)

    # ---- selection and navigation ---------------------------------------------------------

    def current_article(self) -> Article | None:
        row = self.current_row()
        return self.model.article(row) if row is not None else None

    def current_row(self) -> int | None:
        selection = self.table.selectionModel()
        current = self.table.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row()):
            return current.row()
        rows = selection.selectedRows()
        return rows[0].row() if rows else None

    def selected_articles(self) -> list[Article]:
        rows = sorted(i.row() for i in self.table.selectionModel().selectedRows())
        return [a for a in (self.model.article(r) for r in rows) if a is not None]

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.model.rowCount():
            return False
        index = self.model.index(row, TITLE)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def select_article(self, article_id: ArticleId) -> bool:
        row = self.model.row_of(article_id)
        return row is not None and self.select_row(row)

    def step(self, step: int) -> bool:
        """j/k: the next or previous row, loading the next page at the end of the list."""
        row = self.current_row()
        target = 0 if row is None else row + step
        if target >= self.model.rowCount() and self.model.canFetchMore():
            self.model.fetchMore()
        return self.select_row(target)

    def move_to_unread(self, step: int) -> bool:
        """n/p: the next (or previous) unread article, loading pages as needed going down."""
        row = self.current_row()
        target = (0 if step > 0 else -1) if row is None else row + step
        pages = 0
        while True:
            while 0 <= target < self.model.rowCount():
                article = self.model.article(target)
                if article is not None and not article.read:
                    return self.select_row(target)
                target += step
            if step < 0 or not self.model.canFetchMore() or pages >= MAX_PAGES_FOR_NEXT_UNREAD:
                return False
            self.model.fetchMore()
            pages += 1

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        self.article_selected.emit(self.current_article())

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.column() == STAR:
            article = self.model.article(index.row())
            if article is not None:
                self.star_clicked.emit(article)
