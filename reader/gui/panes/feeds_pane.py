"""The feeds pane: smart views, folders and feeds; a click chooses what the article list shows."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QItemSelection, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QMenu, QTreeView, QVBoxLayout, QWidget

from reader.core.types import ArticleFilter
from reader.gui.models.feeds_model import ERROR_ROLE, UNREAD_ROLE, FeedsModel, Node, NodeKind
from reader.gui.resources import Theme
from reader.gui.widgets.count_delegate import CountDelegate


class FeedsPane(QWidget):
    # (filter, key of the chosen row): the article list shows this filter
    selection_changed = Signal(object, str)

    def __init__(self, model: FeedsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.tree = QTreeView(self)
        self.tree.setObjectName("feedTree")
        self.tree.setModel(model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setIndentation(14)
        self.tree.setRootIsDecorated(True)
        self.tree.setAnimated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.tree.setDragEnabled(True)
        self.tree.setAcceptDrops(True)
        self.tree.setDropIndicatorShown(True)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.setFrameShape(QTreeView.Shape.NoFrame)
        self.delegate = CountDelegate(UNREAD_ROLE, ERROR_ROLE, self.tree)
        self.tree.setItemDelegate(self.delegate)
        self.tree.selectionModel().selectionChanged.connect(self._on_selection)
        model.modelAboutToBeReset.connect(self._remember_selection)
        model.modelReset.connect(self._restore_selection)
        self._context_actions: Sequence[QAction | None] = ()
        self._menu_extender: Callable[[QMenu, Node | None], None] | None = None
        self._more_extenders: list[Callable[[QMenu, Node | None], None]] = []
        self._kind_menus: dict[NodeKind, Callable[[QMenu, Node], None]] = {}
        self._pending_key: str | None = None
        self._expanded: set[str] = set()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)

    def set_theme(self, theme: Theme) -> None:
        self.delegate.set_colours(theme.badge, theme.badge_text, theme.error)
        self.tree.viewport().update()

    def set_context_actions(self, actions: Sequence[QAction | None]) -> None:
        self._context_actions = actions

    def set_menu_extender(self, extend: Callable[[QMenu, Node | None], None]) -> None:
        """Items that depend on the row (a feed's offline options) are added by ``extend``."""
        self._menu_extender = extend

    def set_kind_menu(self, kind: NodeKind, build: Callable[[QMenu, Node], None]) -> None:
        """Rows of ``kind`` get only the items ``build`` adds (saved searches)."""
        self._kind_menus[kind] = build

    def add_menu_extender(self, extend: Callable[[QMenu, Node | None], None]) -> None:
        """Another set of row-dependent items (rules, retention), added after the first."""
        self._more_extenders.append(extend)

    def context_menu_for(self, index: QModelIndex) -> QMenu:
        """The menu a right-click on ``index`` shows (built, not shown: tests read it)."""
        menu = QMenu(self)
        node = self.model.node(index)
        own = self._kind_menus.get(node.kind) if node is not None else None
        if own is not None and node is not None:  # a smart folder has a menu of its own
            own(menu, node)
            return menu
        for action in self._context_actions:
            if action is None:
                menu.addSeparator()
                continue
            feed_only = action.objectName() in ("move_selected", "feed_properties")
            if feed_only and (node is None or node.feed is None):
                continue
            menu.addAction(action)
        if self._menu_extender is not None:
            self._menu_extender(menu, node)
        for extend in self._more_extenders:
            extend(menu, node)
        return menu

    # ---- selection ------------------------------------------------------------------------

    def selected_node(self) -> Node | None:
        indexes = self.tree.selectionModel().selectedIndexes()
        return self.model.node(indexes[0]) if indexes else None

    def selected_key(self) -> str | None:
        node = self.selected_node()
        return node.key if node is not None else None

    def current_filter(self) -> ArticleFilter:
        indexes = self.tree.selectionModel().selectedIndexes()
        return self.model.filter_for(indexes[0]) if indexes else ArticleFilter()

    def select_key(self, key: str) -> bool:
        index = self.model.index_for_key(key)
        if not index.isValid():
            return False
        parent = index.parent()
        while parent.isValid():
            self.tree.expand(parent)
            parent = parent.parent()
        self.tree.setCurrentIndex(index)
        self.tree.scrollTo(index)
        return True

    def expanded_keys(self) -> list[str]:
        keys: list[str] = []

        def walk(parent: QModelIndex) -> None:
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                if self.tree.isExpanded(index):
                    keys.append(str(index.data(Qt.ItemDataRole.UserRole + 2)))
                walk(index)

        walk(QModelIndex())
        return keys

    def expand_keys(self, keys: Sequence[str]) -> None:
        for key in keys:
            index = self.model.index_for_key(key)
            if index.isValid():
                self.tree.expand(index)

    def _on_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        if self._pending_key is not None:
            return  # a model reset is in progress; the restore emits once
        indexes = selected.indexes()
        if indexes:
            node = self.model.node(indexes[0])
            self.selection_changed.emit(self.model.filter_for(indexes[0]), node.key if node else "")

    def _remember_selection(self) -> None:
        self._pending_key = self.selected_key() or ""
        self._expanded = set(self.expanded_keys())

    def _restore_selection(self) -> None:
        """Select again what was selected before the tree was rebuilt.

        The same row coming back is not a new choice: the article list keeps its rows and the
        article being read (a note that adds a #tag rebuilds the tree while the user types).
        """
        key = self._pending_key
        self.expand_keys(sorted(self._expanded))
        if key:
            index = self.model.index_for_key(key)
            if index.isValid():
                self.tree.setCurrentIndex(index)  # _pending_key still set: no emission
                self._pending_key = None
                return
        self._pending_key = None
        if not (key and self.select_key(key)):
            self.select_key("smart:all")

    # ---- context menu ---------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        index = self.tree.indexAt(pos)
        if not index.isValid():
            return
        self.tree.setCurrentIndex(index)
        menu = self.context_menu_for(index)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(self.tree.viewport().mapToGlobal(pos))
