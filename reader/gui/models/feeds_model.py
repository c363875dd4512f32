"""The feeds tree: smart views on top, then folders and feeds with unread counts, then tags.

The model holds plain nodes rebuilt from ``Library.list_folders``/``list_feeds``. When the tree's
shape is unchanged (the usual case after a refresh or a mark-read), only the changed rows emit
``dataChanged``, so selection and expansion survive. Drag and drop only *asks* for a move
(``move_requested``); the tree changes when the library's ``Changes`` come back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QFont, QIcon, QPixmap

from reader.core.demo import is_demo_url
from reader.core.errors import QuerySyntaxError
from reader.core.image_cache import resolve_cache_url
from reader.core.query import describe, parse_query
from reader.core.types import (
    ArticleFilter,
    Feed,
    FeedId,
    FeedStatus,
    Folder,
    FolderId,
    SavedSearch,
    TagCount,
)

Index = QModelIndex | QPersistentModelIndex
FEED_MIME = "application/x-gloss-feed-id"


class NodeKind(Enum):
    SMART = "smart"
    FOLDER = "folder"
    FEED = "feed"
    TAGS = "tags"  # the "Tags" group under the feeds
    TAG = "tag"
    SEARCHES = "searches"  # the "Searches" group under the smart views: saved searches
    SEARCH = "search"  # a smart folder: a saved search


class SmartView(Enum):
    ALL = ("all", "All Articles", "inbox")
    UNREAD = ("unread", "Unread", "unread")
    STARRED = ("starred", "Starred", "star")
    TODAY = ("today", "Today", "today")
    HIGHLIGHTED = ("highlighted", "Highlighted", "highlight")
    SAVED = ("saved", "Saved", "note")  # pages, files and texts the user saved

    @property
    def key(self) -> str:
        return self.value[0]

    @property
    def label(self) -> str:
        return self.value[1]

    @property
    def icon_name(self) -> str:
        return self.value[2]


UNREAD_ROLE = Qt.ItemDataRole.UserRole + 1
KEY_ROLE = (
    Qt.ItemDataRole.UserRole + 2
)  # "smart:all", "folder:3", "feed:12": stable across rebuilds
ERROR_ROLE = Qt.ItemDataRole.UserRole + 3
KIND_ROLE = Qt.ItemDataRole.UserRole + 4


@dataclass(eq=False)
class Node:
    kind: NodeKind
    key: str
    title: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    unread: int = 0
    smart: SmartView | None = None
    feed: Feed | None = None
    folder: Folder | None = None
    tag: TagCount | None = None
    search: SavedSearch | None = None

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0

    def shape(self) -> tuple[object, ...]:
        return (self.key, tuple(c.shape() for c in self.children))


def local_midnight_utc(now: dt.datetime | None = None) -> dt.datetime:
    """Start of today on the user's clock, in UTC (rule 5: local only on screen)."""
    local = (now or dt.datetime.now(dt.UTC)).astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(dt.UTC)


class FeedsModel(QAbstractItemModel):
    move_requested = Signal(int, object)  # feed id, folder id or None (top level)

    def __init__(
        self,
        icon: Callable[[str], QIcon],
        error_icon: Callable[[], QIcon],
        library_path: Path | None = None,
    ) -> None:
        super().__init__()
        self._icon = icon
        self._error_icon = error_icon
        self._library_path = library_path
        # Decoded once per cache URL: the same bytes always have the same URL, and many feeds
        # of one site share one icon. None remembers a URL whose file is missing or unreadable.
        self._favicons: dict[str, QIcon | None] = {}
        self._root = Node(NodeKind.FOLDER, "root", "")
        self._starred = 0
        self._saved = 0  # unread saved articles
        self._tags: tuple[TagCount, ...] = ()
        self._searches: tuple[SavedSearch, ...] = ()
        self._shown: tuple[tuple[Folder, ...], tuple[Feed, ...]] = ((), ())

    # ---- loading --------------------------------------------------------------------------

    def load(
        self,
        folders: Sequence[Folder],
        feeds: Sequence[Feed],
        starred: int = 0,
        tags: Sequence[TagCount] | None = None,
    ) -> None:
        if tags is not None:
            self._tags = tuple(tags)
        self._shown = (tuple(folders), tuple(feeds))
        root = self._build(folders, feeds)
        self._starred = starred
        if root.shape() == self._root.shape():
            self._copy_data(self._root, root)
            return
        self.beginResetModel()
        self._root = root
        self.endResetModel()

    def set_counts(self, counts: dict[FeedId, int], starred: int | None = None) -> None:
        """New unread counts without touching the tree's shape."""
        if starred is not None:
            self._starred = starred
        self._update_counts(self._root, counts)
        self._notify_smart()

    def set_starred(self, starred: int) -> None:
        if starred != self._starred:
            self._starred = starred
            self._notify_smart()

    def set_saved(self, unread: int) -> None:
        """The Saved source's unread count (saved articles belong to no feed)."""
        if unread != self._saved:
            self._saved = unread
            self._notify_smart()

    def set_searches(self, searches: Sequence[SavedSearch], *, notify: bool = True) -> None:
        """The saved searches (smart folders) with their unread counts. Counts and names change
        in place; a search added or removed rebuilds the tree (selection and expansion are
        kept by the feeds pane). ``notify=False``: only remember them for the next ``load``."""
        self._searches = tuple(searches)
        if not notify or not self._root.children:
            return
        group = next((c for c in self._root.children if c.kind is NodeKind.SEARCHES), None)
        shown = [c.key for c in group.children] if group is not None else []
        if group is not None and shown == [f"search:{s.id}" for s in self._searches]:
            for node, saved in zip(group.children, self._searches, strict=True):
                if node.search != saved:
                    node.search, node.title, node.unread = saved, saved.name, saved.unread
                    index = self.createIndex(node.row(), 0, node)
                    self.dataChanged.emit(index, index)
            return
        self._rebuild_keeping_counts()  # a search came or went

    def set_tags(self, tags: Sequence[TagCount]) -> None:
        """The Tags group (a tag given, dropped or counted again). The feeds keep the unread
        counts they show now, not those of the feed list last loaded."""
        self._tags = tuple(tags)
        if self._root.children:
            self._rebuild_keeping_counts()

    def _rebuild_keeping_counts(self) -> None:
        """Rebuild from the folders and feeds last loaded, with the feeds' counts as they are
        now (``set_counts`` may have changed them since); an unchanged shape only updates."""
        counts: dict[FeedId, int] = {}
        self._collect_counts(self._root, counts)
        folders, feeds = self._shown
        feeds = tuple(replace(f, unread=counts.get(f.id, f.unread)) for f in feeds)
        self.load(folders, feeds, self._starred)

    def _collect_counts(self, node: Node, counts: dict[FeedId, int]) -> None:
        if node.feed is not None:
            counts[node.feed.id] = node.unread
        for child in node.children:
            self._collect_counts(child, counts)

    def searches(self) -> tuple[SavedSearch, ...]:
        return self._searches

    def _build(self, folders: Sequence[Folder], feeds: Sequence[Feed]) -> Node:
        root = Node(NodeKind.FOLDER, "root", "")
        for view in SmartView:
            root.children.append(
                Node(NodeKind.SMART, f"smart:{view.key}", view.label, parent=root, smart=view)
            )
        if self._searches:
            searches = Node(NodeKind.SEARCHES, "searches", "Searches", parent=root)
            root.children.append(searches)
            for saved in self._searches:
                searches.children.append(
                    Node(
                        NodeKind.SEARCH,
                        f"search:{saved.id}",
                        saved.name,
                        parent=searches,
                        unread=saved.unread,
                        search=saved,
                    )
                )
        folder_nodes: dict[FolderId, Node] = {
            f.id: Node(NodeKind.FOLDER, f"folder:{f.id}", f.name, folder=f) for f in folders
        }
        for f in folders:
            node = folder_nodes[f.id]
            parent = folder_nodes.get(f.parent_id) if f.parent_id is not None else None
            node.parent = parent or root
        # attach folders in a stable order: by name, case-insensitively
        for f in sorted(folders, key=lambda f: f.name.casefold()):
            node = folder_nodes[f.id]
            assert node.parent is not None
            node.parent.children.append(node)
        for feed in sorted(feeds, key=lambda f: f.title.casefold()):
            parent = folder_nodes.get(feed.folder_id) if feed.folder_id is not None else None
            owner = parent or root
            owner.children.append(
                Node(
                    NodeKind.FEED,
                    f"feed:{feed.id}",
                    feed.title,
                    parent=owner,
                    unread=feed.unread,
                    feed=feed,
                )
            )
        self._sum_folders(root)
        if self._tags:
            group = Node(NodeKind.TAGS, "tags", "Tags", parent=root)
            root.children.append(group)
            for tag in self._tags:
                group.children.append(
                    Node(NodeKind.TAG, f"tag:{tag.name}", f"#{tag.name}", parent=group, tag=tag)
                )
        return root

    def _sum_folders(self, node: Node) -> int:
        if node.kind is NodeKind.FEED:
            return node.unread
        total = sum(
            self._sum_folders(c)
            for c in node.children
            if c.kind in (NodeKind.FOLDER, NodeKind.FEED)
        )
        node.unread = total
        return total

    def _copy_data(self, old: Node, new: Node) -> None:
        changed = (
            old.title != new.title
            or old.unread != new.unread
            or old.feed != new.feed
            or old.folder != new.folder
            or old.tag != new.tag
            or old.search != new.search
        )
        old.title, old.unread, old.feed, old.folder = new.title, new.unread, new.feed, new.folder
        old.tag, old.search = new.tag, new.search
        if changed and old is not self._root:
            index = self.createIndex(old.row(), 0, old)
            self.dataChanged.emit(index, index)
        for a, b in zip(old.children, new.children, strict=True):
            self._copy_data(a, b)
        if old is self._root:
            self._notify_smart()

    def _update_counts(self, node: Node, counts: dict[FeedId, int]) -> int:
        if node.kind in (
            NodeKind.SMART,
            NodeKind.TAGS,
            NodeKind.TAG,
            NodeKind.SEARCHES,
            NodeKind.SEARCH,
        ):
            return 0
        if node.kind is NodeKind.FEED:
            assert node.feed is not None
            value = counts.get(node.feed.id, 0)
        else:
            value = sum(self._update_counts(c, counts) for c in node.children)
        if value != node.unread:
            node.unread = value
            if node is not self._root:
                index = self.createIndex(node.row(), 0, node)
                self.dataChanged.emit(index, index, [UNREAD_ROLE, Qt.ItemDataRole.DisplayRole])
        return value

    def _notify_smart(self) -> None:
        if not self._root.children:
            return  # nothing loaded yet
        count = len(SmartView)
        self.dataChanged.emit(self.index(0, 0), self.index(count - 1, 0))

    # ---- lookups --------------------------------------------------------------------------

    def index_for_key(self, key: str) -> QModelIndex:
        def walk(node: Node) -> Node | None:
            for child in node.children:
                if child.key == key:
                    return child
                found = walk(child)
                if found is not None:
                    return found
            return None

        node = walk(self._root)
        return QModelIndex() if node is None else self.createIndex(node.row(), 0, node)

    def node(self, index: Index) -> Node | None:
        if not index.isValid():
            return None
        node = index.internalPointer()
        return node if isinstance(node, Node) else None

    def feeds(self) -> tuple[Feed, ...]:
        """The feeds as last loaded, with their options (notify, full text…)."""
        return self._shown[1]

    def total_unread(self) -> int:
        return self._root.unread + self._saved

    def filter_for(self, index: Index) -> ArticleFilter:
        """The article list a click on this row shows."""
        node = self.node(index)
        if node is None or (node.kind is NodeKind.SMART and node.smart is SmartView.ALL):
            return ArticleFilter()
        if node.kind is NodeKind.FEED:
            assert node.feed is not None
            return ArticleFilter(feed_ids=(node.feed.id,))
        if node.kind is NodeKind.FOLDER:
            assert node.folder is not None
            return ArticleFilter(folder_id=node.folder.id)
        if node.kind is NodeKind.TAG:
            assert node.tag is not None
            return ArticleFilter(tag=node.tag.name)
        if node.kind is NodeKind.TAGS:
            return ArticleFilter(tag="\x00")  # the group itself lists nothing
        if node.kind is NodeKind.SEARCH:
            assert node.search is not None
            return ArticleFilter(query=node.search.query)
        if node.kind is NodeKind.SEARCHES:
            return ArticleFilter(tag="\x00")  # the group itself lists nothing
        return {
            SmartView.UNREAD: ArticleFilter(unread_only=True),
            SmartView.STARRED: ArticleFilter(starred_only=True),
            SmartView.TODAY: ArticleFilter(since=local_midnight_utc()),
            SmartView.HIGHLIGHTED: ArticleFilter(has_annotations=True),
            SmartView.SAVED: ArticleFilter(saved_only=True),
        }.get(node.smart, ArticleFilter())  # type: ignore[arg-type]

    # ---- QAbstractItemModel ---------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column != 0 or row < 0:
            return QModelIndex()
        owner = self.node(parent) if parent.isValid() else self._root
        if owner is None or row >= len(owner.children):
            return QModelIndex()
        return self.createIndex(row, 0, owner.children[row])

    def parent(self, index: Index = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        node = self.node(index)
        if node is None or node.parent is None or node.parent is self._root:
            return QModelIndex()
        return self.createIndex(node.parent.row(), 0, node.parent)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.column() > 0:
            return 0
        owner = self.node(parent) if parent.isValid() else self._root
        return len(owner.children) if owner is not None else 0

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index)
        if node is None:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return node.title
        if role == UNREAD_ROLE:
            return self._count(node)
        if role == KEY_ROLE:
            return node.key
        if role == KIND_ROLE:
            return node.kind.value
        if role == ERROR_ROLE:
            return self._error(node)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._decoration(node)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.ItemDataRole.FontRole and node.kind in (
            NodeKind.FOLDER,
            NodeKind.TAGS,
            NodeKind.SEARCHES,
        ):
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        return None

    def _count(self, node: Node) -> int:
        if node.kind is NodeKind.SMART:
            if node.smart is SmartView.UNREAD:
                return self.total_unread()
            if node.smart is SmartView.STARRED:
                return self._starred
            if node.smart is SmartView.SAVED:
                return self._saved
            return 0
        if node.kind is NodeKind.TAG:
            return 0  # tags have no unread count; the tooltip says how many carry them
        if node.kind is NodeKind.SEARCHES:
            return 0
        return node.unread

    def _error(self, node: Node) -> str | None:
        if node.feed is not None and node.feed.status is FeedStatus.ERROR:
            return node.feed.error or "The last refresh failed."
        return None

    def _decoration(self, node: Node) -> QIcon:
        if node.kind is NodeKind.SMART:
            assert node.smart is not None
            return self._icon(node.smart.icon_name)
        if node.kind is NodeKind.FOLDER:
            return self._icon("folder")
        if node.kind in (NodeKind.TAGS, NodeKind.TAG):
            return self._icon("tag")
        if node.kind in (NodeKind.SEARCHES, NodeKind.SEARCH):
            return self._icon("search")
        if self._error(node):
            return self._error_icon()
        if node.feed is not None and node.feed.muted and not is_demo_url(node.feed.url):
            return self._icon("muted")
        favicon = self._favicon(node.feed)
        return favicon if favicon is not None else self._icon("feed")

    def _favicon(self, feed: Feed | None) -> QIcon | None:
        """The site's cached icon; only ever read from the local cache, never the network."""
        if feed is None or feed.favicon is None or self._library_path is None:
            return None
        if feed.favicon not in self._favicons:
            path = resolve_cache_url(self._library_path, feed.favicon)
            pixmap = QPixmap(str(path)) if path is not None else QPixmap()
            self._favicons[feed.favicon] = None if pixmap.isNull() else QIcon(pixmap)
        return self._favicons[feed.favicon]

    def _tooltip(self, node: Node) -> str | None:
        if node.search is not None:
            return _search_tooltip(node.search)
        if node.tag is not None:
            parts = []
            if node.tag.articles:
                parts.append(f"{node.tag.articles} article{'s' * (node.tag.articles != 1)}")
            if node.tag.highlights:
                parts.append(f"{node.tag.highlights} highlight{'s' * (node.tag.highlights != 1)}")
            return f"#{node.tag.name}: " + ", ".join(parts)
        feed = node.feed
        if feed is None:
            return None
        lines = [feed.title, feed.url]
        if feed.status is FeedStatus.ERROR:
            lines.append(f"Last refresh failed: {feed.error or 'unknown reason'}")
        elif feed.muted:
            lines.append(feed.error or "Muted: not refreshed.")
        if feed.last_fetched_at is not None:
            lines.append(f"Last fetched {feed.last_fetched_at.astimezone():%Y-%m-%d %H:%M}")
        return "\n".join(lines)

    def flags(self, index: Index) -> Qt.ItemFlag:
        node = self.node(index)
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if node is None:
            return Qt.ItemFlag.ItemIsDropEnabled
        if node.kind is NodeKind.FEED:
            return base | Qt.ItemFlag.ItemIsDragEnabled | Qt.ItemFlag.ItemNeverHasChildren
        if node.kind is NodeKind.FOLDER:
            return base | Qt.ItemFlag.ItemIsDropEnabled
        if node.kind in (NodeKind.TAGS, NodeKind.SEARCHES):
            return base
        return base | Qt.ItemFlag.ItemNeverHasChildren

    # ---- drag and drop --------------------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:
        return [FEED_MIME]

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:
        ids = [
            str(node.feed.id)
            for node in (self.node(i) for i in indexes)
            if node is not None and node.feed is not None
        ]
        data = QMimeData()
        data.setData(FEED_MIME, QByteArray(",".join(ids).encode()))
        return data

    def canDropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not data.hasFormat(FEED_MIME):
            return False
        node = self.node(parent)
        return node is None or node.kind is NodeKind.FOLDER

    def dropMimeData(
        self, data: QMimeData, action: Qt.DropAction, row: int, column: int, parent: Index
    ) -> bool:
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        node = self.node(parent)
        folder_id = node.folder.id if node is not None and node.folder is not None else None
        raw = bytes(data.data(FEED_MIME).data()).decode()
        for part in raw.split(","):
            if part.strip().isdigit():
                self.move_requested.emit(int(part), folder_id)
        return False  # the library moves it; the model follows its Changes


def _search_tooltip(search: SavedSearch) -> str:
    try:
        summary = describe(parse_query(search.query))
    except QuerySyntaxError as e:
        summary = f"This search no longer reads: {e}"
    unread = f"{search.unread:,} unread" if search.unread else "nothing unread"
    return f"{search.name}: {summary}\n{search.query}\n{unread}"
