"""The article list pane: the all / unread / starred switch, the search field, and the table.

While a search is typed, the search results take the table's place (``SearchResultsView``); Esc
or choosing a feed brings the list back. The window runs the searches (search_actions.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QStackedWidget,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.types import Article, ArticleFilter, ArticleId
from reader.gui.models import step_target
from reader.gui.models.articles_model import DATE, FEED, STAR, TITLE, ArticlesModel
from reader.gui.panes.search_results import SearchResultsView
from reader.gui.widgets.search_field import SearchBox, SearchMessage

SHOW_ALL, SHOW_UNREAD, SHOW_STARRED = "all", "unread", "starred"
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
        self.search_box = SearchBox(bar)
        self.search_field = self.search_box.field
        self.search_box.setMaximumWidth(420)
        bar_layout.addWidget(self.search_box, 1)
        self.search_message = SearchMessage(self)
        self.results = SearchResultsView(self)

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
        self._context_actions: Sequence[QAction | None] = ()
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.search_message)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.table)
        self.stack.addWidget(self.results)
        layout.addWidget(self.stack)

    # ---- what the list shows --------------------------------------------------------------

    def set_base_filter(self, flt: ArticleFilter) -> None:
        """The feeds pane chose a feed, folder or smart view (a search gives way to it)."""
        self._base = flt
        self.leave_search()
        self._reload()

    @property
    def searching(self) -> bool:
        """Search results are shown in place of the list."""
        return self.stack.currentWidget() is self.results

    def show_search(self, shown: bool) -> None:
        """Show the results (the all / unread / starred switch does not apply to them)."""
        self.stack.setCurrentWidget(self.results if shown else self.table)
        self.search_box.save_button.setVisible(shown)
        for button in self.show_buttons.values():
            button.setVisible(not shown)
        if not shown:
            self.search_message.hide()

    def leave_search(self) -> None:
        """Empty the field and bring the list back, without searching."""
        field = self.search_field
        if field.text():
            field.blockSignals(True)
            field.clear()
            field.blockSignals(False)
        field.clear_mark()
        self.show_search(False)

    def set_show(self, key: str) -> None:
        self._show = key
        self.show_buttons[key].setChecked(True)
        self._reload()

    @property
    def show_mode(self) -> str:
        return self._show

    def effective_filter(self) -> ArticleFilter:
        return replace(
            self._base,
            unread_only=self._base.unread_only or self._show == SHOW_UNREAD,
            starred_only=self._base.starred_only or self._show == SHOW_STARRED,
        )

    def _reload(self) -> None:
        self.model.show(self.effective_filter())
        self.table.scrollToTop()
        self.article_selected.emit(None)

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
        if self.searching:
            return self.results.current_article()
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
        if self.searching:
            current = self.results.current_article()
            return [current] if current is not None else []
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
        if self.searching:
            return self.results.step(step)
        return self.select_row(step_target(self.model, self.current_row(), step))

    def move_to_unread(self, step: int) -> bool:
        """n/p: the next (or previous) unread article, loading pages as needed going down."""
        if self.searching:
            return self.results.move_to_unread(step)
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

    # ---- context menu ---------------------------------------------------------------------

    def set_context_actions(self, actions: Sequence[QAction | None]) -> None:
        self._context_actions = actions

    def context_menu(self) -> QMenu:
        """The menu a right-click on a row shows (built, not shown: tests read it)."""
        menu = QMenu(self)
        for action in self._context_actions:
            if action is None:
                menu.addSeparator()
            else:
                menu.addAction(action)
        return menu

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        if not self.table.selectionModel().isRowSelected(index.row()):
            self.table.setCurrentIndex(index)  # a right-click outside the selection picks the row
        menu = self.context_menu()
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.table.viewport().mapToGlobal(pos))
