"""The main window: panes in splitters, menus and toolbar from the actions table, and the
handlers those actions call.

Reads (pages of articles, one article, counts) go through the GUI thread's read-only
``Library``; every write goes through the ``TaskManager`` and comes back as ``Changes``, which
``_on_changes`` hands to each pane. Widgets are never touched from another thread.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QProgressBar,
    QSplitter,
    QStackedWidget,
    QToolBar,
)

from reader.core.atomic import write_atomic
from reader.core.demo import DEMO_FOLDER, is_demo_url, remove_demo
from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import (
    Article,
    ArticleId,
    Changes,
    Feed,
    FeedId,
    Folder,
    RefreshOutcome,
    RefreshResult,
    TagCount,
)
from reader.gui import resources
from reader.gui.actions import MENUS, SPECS, TOOLBAR, add_choices, build_actions
from reader.gui.annotation_actions import AnnotationActions
from reader.gui.desktop_actions import DesktopActions, bring_forward
from reader.gui.dialogs.add_feed import AddFeedDialog
from reader.gui.dialogs.shortcuts import ShortcutsDialog
from reader.gui.models.annotations_model import AnnotationsModel
from reader.gui.models.articles_model import ArticlesModel
from reader.gui.models.feeds_model import FeedsModel, NodeKind
from reader.gui.offline_actions import OfflineActions
from reader.gui.organise_actions import OrganiseActions
from reader.gui.panes.annotations_pane import AnnotationsPane
from reader.gui.panes.articles_pane import SHOW_ALL, ArticlesPane
from reader.gui.panes.feeds_pane import FeedsPane
from reader.gui.panes.highlights_view import HighlightsView
from reader.gui.panes.reading_view import ReadingView, open_in_system_browser
from reader.gui.search_actions import SearchActions
from reader.gui.settings_store import FONT_SIZES, PREFERENCES, SettingsStore
from reader.gui.tasks import TaskManager

log = logging.getLogger("gloss.gui")

COUNTS_FLUSH_MS = 400  # during a refresh, counts repaint at most this often
MARK_READ_CHOICES = (
    (0, "Immediately"),
    (600, "After a moment"),
    (2000, "After 2 seconds"),
    (-1, "Never"),
)
REFRESH_CHOICES = ((15, "Every 15 minutes"), (30, "Every 30 minutes"), (60, "Every hour"),
                   (180, "Every 3 hours"), (0, "Never"))  # fmt: skip


@dataclass
class RefreshProgress:
    total: int = 0
    done: int = 0
    failed: int = 0
    new_articles: int = 0
    feeds: set[FeedId] = field(default_factory=set)
    reached: set[FeedId] = field(default_factory=set)  # fetched without error: sites that answer
    articles: set[ArticleId] = field(default_factory=set)  # new or changed: offline work follows
    new_by_feed: dict[FeedId, int] = field(default_factory=dict)  # for notifications


class MainWindow(
    DesktopActions, SearchActions, OrganiseActions, OfflineActions, AnnotationActions, QMainWindow
):
    def __init__(
        self,
        tasks: TaskManager,
        reader: Library,
        settings: SettingsStore,
        *,
        open_url: Callable[[QUrl], None] = open_in_system_browser,
    ) -> None:
        super().__init__()
        self.setWindowTitle("Gloss")
        self.setWindowIcon(resources.app_icon())
        self.tasks = tasks
        self.reader = reader
        self.settings = settings
        self._open_url = open_url
        self.theme = resources.pick_theme(settings.get("theme"))
        self.refreshing: RefreshProgress | None = None
        self._queued_refresh: set[FeedId] = set()  # feeds added while a refresh ran
        self._pending_counts = False
        self._explicitly_toggled: set[ArticleId] = set()

        self.feeds_model = FeedsModel(
            self._icon, lambda: resources.icon("alert", self.theme.error), reader.path
        )
        self.feeds_model.move_requested.connect(self._move_feed)
        self.articles_model = ArticlesModel(reader, resources.icon("star-filled", self.theme.star))
        self.annotations_model = AnnotationsModel(self)

        self.feeds_pane = FeedsPane(self.feeds_model, self)
        self.articles_pane = ArticlesPane(self.articles_model, self)
        self.reading_view = ReadingView(
            reader.path, self.theme, settings.get("font_size"), open_url=open_url, parent=self
        )
        self.annotations_pane = AnnotationsPane(self.annotations_model, self)
        self.highlights_view = HighlightsView(self)

        self.center = QSplitter(Qt.Orientation.Vertical, self)
        self.center.setObjectName("centerSplitter")
        self.center.addWidget(self.articles_pane)
        self.center.addWidget(self.reading_view)
        self.center.setStretchFactor(1, 1)
        self.center.setSizes([260, 540])
        self.center.setChildrenCollapsible(False)
        self.outer = QSplitter(Qt.Orientation.Horizontal, self)
        self.outer.setObjectName("outerSplitter")
        # The middle shows either the list and the article, or every highlight and note.
        self.middle = QStackedWidget(self)
        self.middle.setObjectName("middle")
        self.middle.addWidget(self.center)
        self.middle.addWidget(self.highlights_view)
        # Its filter bar is wide; it must not widen the middle while the article list shows.
        self.highlights_view.setMinimumWidth(240)
        self.outer.addWidget(self.feeds_pane)
        self.outer.addWidget(self.middle)
        self.outer.addWidget(self.annotations_pane)
        self.outer.setStretchFactor(1, 1)
        self.outer.setCollapsible(1, False)
        self.outer.setSizes([240, 780, 260])
        self.setCentralWidget(self.outer)

        self.named_actions = build_actions(self, settings.shortcut_overrides())
        for name, role in (
            ("preferences", QAction.MenuRole.PreferencesRole),
            ("about", QAction.MenuRole.AboutRole),
            ("quit", QAction.MenuRole.QuitRole),
        ):
            self.named_actions[name].setMenuRole(role)
        self._build_menus()
        self._build_toolbar()
        self._build_status_bar()
        self.feeds_pane.set_context_actions(
            [
                self.named_actions["refresh_selected"],
                self.named_actions["mark_all_read"],
                None,
                self.named_actions["rename_selected"],
                self.named_actions["move_selected"],
                self.named_actions["feed_properties"],
                self.named_actions["export_markdown_feed"],
                None,
                self.named_actions["remove_selected"],
            ]
        )

        self._mark_read_timer = QTimer(self)
        self._mark_read_timer.setSingleShot(True)
        self._mark_read_timer.timeout.connect(self._mark_current_read)
        self._counts_timer = QTimer(self)
        self._counts_timer.setSingleShot(True)
        self._counts_timer.setInterval(COUNTS_FLUSH_MS)
        self._counts_timer.timeout.connect(self._flush_counts)
        self._auto_refresh = QTimer(self)
        self._auto_refresh.timeout.connect(lambda: self.refresh_all(scheduled=True))
        self._apply_refresh_interval()

        self.feeds_pane.selection_changed.connect(self._on_feed_selected)
        self.articles_pane.article_selected.connect(self._on_article_selected)
        self.articles_pane.star_clicked.connect(lambda a: self._set_starred(a, not a.starred))
        self.reading_view.link_refused.connect(
            lambda url: self.statusBar().showMessage(f"Not opened: {url[:120]}", 5000)
        )
        tasks.changes_applied.connect(self._on_changes)
        tasks.error_reported.connect(self.show_error)
        self.connect_annotations()
        hints = QGuiApplication.styleHints()
        if hasattr(hints, "colorSchemeChanged"):
            hints.colorSchemeChanged.connect(self._system_scheme_changed)

        self.apply_theme(self.theme)
        self.reload_feeds()
        self._update_last_refresh()
        self.connect_offline()
        self.connect_organising()
        self.connect_search()
        self.connect_desktop()

    # ---- building -------------------------------------------------------------------------

    def _icon(self, name: str) -> QIcon:
        return resources.icon(name, self.theme.muted)

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.menus: dict[str, QMenu] = {}
        for title in MENUS:
            menu = bar.addMenu(f"&{title}")
            self.menus[title] = menu
            for spec in SPECS.values():
                if spec.menu == title:
                    menu.addAction(self.named_actions[spec.name])
                    if spec.name in (
                        "undo",
                        "save_search",
                        "export_opml",
                        "import_annotations",
                        "remove_demo",
                        "save_clipboard",
                        "go_highlighted",
                        "open_original",
                        "font_reset",
                    ):
                        menu.addSeparator()
        theme_group = QActionGroup(self)
        for name in ("theme_system", "theme_light", "theme_dark"):
            theme_group.addAction(self.named_actions[name])
        choice = self.settings.get("theme")
        self.named_actions[
            f"theme_{choice}" if choice in ("light", "dark") else "theme_system"
        ].setChecked(True)
        view = self.menus["View"]
        view.addSeparator()
        self._choice_menu(view, "Mark Articles Read", "mark_read_delay_ms", MARK_READ_CHOICES)
        self._choice_menu(view, "Refresh Automatically", "refresh_interval_min", REFRESH_CHOICES)
        self.named_actions["toggle_annotations"].setChecked(True)

    def _choice_menu(
        self, parent: QMenu, title: str, key: str, choices: tuple[tuple[int, str], ...]
    ) -> None:
        """A View submenu of values for one preference; it shows the value in effect, which
        the Preferences dialog may have set to one that is not in the list."""
        menu = parent.addMenu(title)
        group, actions = add_choices(menu, choices, lambda v: self.apply_preference(key, v))

        def reflect() -> None:
            current = actions.get(self.settings.get(key))
            group.setExclusive(current is not None)
            for action in actions.values():
                action.setChecked(action is current)
            group.setExclusive(True)

        reflect()
        menu.aboutToShow.connect(reflect)
        menu.setToolTip(PREFERENCES[key].help)

    def _build_toolbar(self) -> None:
        self.toolbar = QToolBar("Main", self)
        self.toolbar.setObjectName("mainToolbar")
        self.toolbar.setMovable(False)
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        self.toolbar.setIconSize(
            self.toolbar.iconSize().scaled(20, 20, Qt.AspectRatioMode.KeepAspectRatio)
        )
        for name in TOOLBAR:
            if name is None:
                self.toolbar.addSeparator()
            else:
                self.toolbar.addAction(self.named_actions[name])
        self.addToolBar(self.toolbar)

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(False)
        self.progress_label = QLabel("", self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setTextVisible(False)
        self.progress_bar.setFixedWidth(140)
        self.progress_bar.hide()
        self.last_refresh_label = QLabel("", self)
        status.addPermanentWidget(self.progress_label)
        status.addPermanentWidget(self.progress_bar)
        status.addPermanentWidget(self.last_refresh_label)

    def apply_theme(self, theme: resources.Theme) -> None:
        self.theme = theme
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.setPalette(resources.palette_for(theme))
            app.setStyleSheet(resources.window_stylesheet(theme))
        for spec in SPECS.values():
            if spec.icon:
                self.named_actions[spec.name].setIcon(resources.icon(spec.icon, theme.text))
        self.articles_model.set_icons(
            resources.icon("star-filled", theme.star), resources.icon("dot", theme.accent)
        )
        self.articles_model.set_muted_colour(theme.muted)
        self.feeds_pane.set_theme(theme)
        self.annotations_pane.set_theme(theme)
        self.highlights_view.set_theme(theme)
        self.reading_view.set_theme(theme)
        self.apply_search_theme(theme)
        self.feeds_model.layoutChanged.emit()
        self.articles_model.layoutChanged.emit()

    # ---- loading and changes --------------------------------------------------------------

    def reload_feeds(self) -> None:
        folders, feeds = self.reader.list_folders(), self.reader.list_feeds()
        self.feeds_model.set_searches(self.saved_searches(), notify=False)
        self._show_feeds(folders, feeds, self.reader.starred_count(), self.reader.list_tags())

    def reload_feeds_in_background(self, then: Callable[[], None] | None = None) -> None:
        """Read the feed list on the writer thread: after a big refresh, 1,000 feeds with their
        counts and statuses take tens of milliseconds that the GUI thread should not spend.
        ``then`` runs once the tree shows them."""

        def read(lib: Library) -> tuple[list[Folder], list[Feed], int, list[TagCount]]:
            return lib.list_folders(), lib.list_feeds(), lib.starred_count(), lib.list_tags()

        def show(result: tuple[list[Folder], list[Feed], int, list[TagCount]]) -> None:
            self._show_feeds(*result)
            if then is not None:
                then()

        self.tasks.run_db(read, show, lambda e: self.show_error(str(e)))

    def _show_feeds(
        self, folders: list[Folder], feeds: list[Feed], starred: int, tags: list[TagCount]
    ) -> None:
        self.feeds_model.load(folders, feeds, starred, tags)
        self.named_actions["remove_demo"].setEnabled(
            any(f.folder == DEMO_FOLDER and is_demo_url(f.url) for f in feeds)
        )
        self._update_title()

    def _update_title(self) -> None:
        unread = self.feeds_model.total_unread()
        self.setWindowTitle(f"Gloss ({unread:,} unread)" if unread else "Gloss")
        self.update_tray(unread)

    def _on_changes(self, changes: Changes, _initiator: object) -> None:
        known = {n for n in changes.feeds if self.feeds_model.index_for_key(f"feed:{n}").isValid()}
        renamed = changes.feeds and not changes.counts and not changes.articles
        if changes.folders or known != set(changes.feeds) or renamed:
            self.reload_feeds()
        else:
            if changes.tags:
                # A tag given, or a note's #tag: only the Tags group is read again; the feeds
                # keep the counts the tree shows now.
                self.feeds_model.set_tags(self.reader.list_tags())
            if changes.counts:
                if self.refreshing is not None:
                    self._pending_counts = True
                    if not self._counts_timer.isActive():
                        self._counts_timer.start()
                else:
                    self._flush_counts()
            elif changes.articles:
                self.feeds_model.set_starred(self.reader.starred_count())  # a star, not a read
        self.articles_model.apply_changes(changes)
        self.apply_annotation_changes(changes)
        self.apply_offline_changes(changes)
        self.apply_search_changes(changes)
        self._update_title()

    def _flush_counts(self) -> None:
        self._pending_counts = False
        self.feeds_model.set_counts(self.reader.unread_counts(), self.reader.starred_count())
        self._update_title()

    def _on_feed_selected(self, flt: Any, _key: str) -> None:
        self.show_highlights_page(False)
        self.articles_pane.set_base_filter(flt)

    def _on_article_selected(self, article: Article | None) -> None:
        self._mark_read_timer.stop()
        if article is None:
            self.reading_view.show_placeholder(self._placeholder_text())
            self.annotations_pane.show_article(self.reader, None)
            return
        if not self.show_article_by_id(article.id):
            return
        delay = self.settings.get("mark_read_delay_ms")
        if not article.read and delay >= 0 and article.id not in self._explicitly_toggled:
            self._mark_read_timer.setProperty("article_id", int(article.id))
            self._mark_read_timer.start(delay)

    def _placeholder_text(self) -> str:
        if self.articles_model.rowCount() == 0:
            return "No articles here."
        return "Select an article to read it."

    def show_article_by_id(self, article_id: ArticleId) -> bool:
        """Show an article with its highlights painted and its annotations in the pane."""
        try:
            detail = self.reader.get_article(article_id)
        except GlossError as e:
            self.reading_view.show_placeholder(str(e))
            self.annotations_pane.show_article(self.reader, None)
            return False
        self.reading_view.show_article(detail)
        self.reading_view.set_highlights(self.reader.list_highlights(article_id))
        self.annotations_pane.show_article(self.reader, article_id)
        return True

    def open_link(self, url: QUrl) -> None:
        """A link clicked in a note: only web and mail links leave the app."""
        if url.isValid() and url.scheme().lower() in ("http", "https", "mailto"):
            self._open_url(url)
        else:
            self.statusBar().showMessage(f"Not opened: {url.toString()[:120]}", 5000)

    def show_highlights_page(self, shown: bool) -> None:
        """Switch the middle between the article list + reading view and the Highlights view."""
        if shown:
            self.highlights_view.load(self.reader)
            self.middle.setCurrentWidget(self.highlights_view)
            self.highlights_view.setFocus()
        else:
            self.middle.setCurrentWidget(self.center)

    def _mark_current_read(self) -> None:
        article = self.articles_pane.current_article()
        wanted = self._mark_read_timer.property("article_id")
        if article is None or int(article.id) != wanted or article.read:
            return
        ids = [article.id]
        self.tasks.mutate(lambda lib: lib.set_read(ids, True), initiator=self)

    # ---- navigation (Go menu) -------------------------------------------------------------

    def next_article(self) -> None:
        self.articles_pane.step(+1)

    def previous_article(self) -> None:
        self.articles_pane.step(-1)

    def next_unread(self) -> None:
        if not self.articles_pane.move_to_unread(+1):
            self.statusBar().showMessage("No more unread articles in this list.", 3000)

    def previous_unread(self) -> None:
        self.articles_pane.move_to_unread(-1)

    def page_down_or_next_unread(self) -> None:
        if self.reading_view.detail is None or not self.reading_view.page_down():
            self.next_unread()

    def page_up(self) -> None:
        self.reading_view.page_up()

    def go_all(self) -> None:
        self.feeds_pane.select_key("smart:all")

    def go_unread(self) -> None:
        self.feeds_pane.select_key("smart:unread")

    def go_starred(self) -> None:
        self.feeds_pane.select_key("smart:starred")

    def go_today(self) -> None:
        self.feeds_pane.select_key("smart:today")

    def go_highlighted(self) -> None:
        self.feeds_pane.select_key("smart:highlighted")

    def focus_feeds(self) -> None:
        self.feeds_pane.tree.setFocus()

    # ---- article commands -----------------------------------------------------------------

    def toggle_read(self) -> None:
        article = self.articles_pane.current_article()
        if article is None:
            return
        self._mark_read_timer.stop()
        self._explicitly_toggled.add(article.id)
        ids = [article.id]
        self.tasks.mutate(lambda lib: lib.set_read(ids, not article.read), initiator=self)

    def toggle_star(self) -> None:
        article = self.articles_pane.current_article()
        if article is not None:
            self._set_starred(article, not article.starred)

    def _set_starred(self, article: Article, starred: bool) -> None:
        ids = [article.id]
        self.tasks.mutate(lambda lib: lib.set_starred(ids, starred), initiator=self)

    def open_original(self) -> None:
        article = self.articles_pane.current_article()
        if article is None:
            return
        if article.link is None:
            self.statusBar().showMessage("This article has no web address to open.", 4000)
            return
        self._open_url(QUrl(article.link))

    def mark_all_read(self) -> None:
        flt = self.articles_pane.effective_filter()

        def run(lib: Library) -> Changes:
            count, changes = lib.mark_all_read(flt)
            self._last_marked = count
            return changes

        self.tasks.mutate(
            run,
            initiator=self,
            on_done=lambda _c: self.statusBar().showMessage(
                f"Marked {self._last_marked:,} article(s) as read.", 4000
            ),
        )

    # ---- feeds ----------------------------------------------------------------------------

    def refresh_all(self, *, scheduled: bool = False) -> None:
        self._start_refresh(None, scheduled=scheduled)

    def refresh_selected(self) -> None:
        node = self.feeds_pane.selected_node()
        if node is None or node.kind is NodeKind.SMART:
            self._start_refresh(None)
            return
        ids: list[FeedId] = []

        def collect(n: Any) -> None:
            if n.feed is not None:
                ids.append(n.feed.id)
            for child in n.children:
                collect(child)

        collect(node)
        if ids:
            self._start_refresh(ids)

    def _start_refresh(self, feed_ids: list[FeedId] | None, *, scheduled: bool = False) -> None:
        if self.refreshing is not None:
            if feed_ids is not None and not scheduled:
                self._queued_refresh.update(feed_ids)  # a feed just added: fetched right after
                return
            self.statusBar().showMessage("A refresh is already running.", 3000)
            return
        progress = self.refreshing = RefreshProgress()
        self.progress_bar.setRange(0, 0)
        self.progress_bar.show()
        self.progress_label.setText("Refreshing…")
        self.named_actions["refresh_all"].setEnabled(False)

        def run(lib: Library) -> Iterator[Any]:
            plan = lib.plan_refresh(feed_ids, scheduled=scheduled)
            yield len(plan.feed_ids)
            yield from lib.refresh(plan=plan)

        def step(value: Any) -> None:
            if isinstance(value, int):
                progress.total = value
                self.progress_bar.setRange(0, max(1, value))
            else:
                self._refresh_step(progress, value)

        self.tasks.run_db_steps(run, step, lambda _v: self._refresh_done(), self._refresh_failed)

    def _refresh_step(self, progress: RefreshProgress, result: RefreshResult) -> None:
        progress.done += 1
        progress.new_articles += result.new_articles
        if result.new_articles:
            progress.new_by_feed[result.feed_id] = (
                progress.new_by_feed.get(result.feed_id, 0) + result.new_articles
            )
        if result.outcome is RefreshOutcome.ERROR:
            progress.failed += 1
        else:
            progress.reached.add(result.feed_id)
        progress.feeds.add(result.feed_id)
        progress.articles.update(result.articles)
        self.progress_bar.setValue(progress.done)
        self.progress_label.setText(f"Refreshing {progress.done:,} / {progress.total:,}")
        changed = (
            result.outcome is RefreshOutcome.ERROR or result.new_articles or result.updated_articles
        )
        if changed:
            self.tasks.broadcast(Changes(feeds=frozenset({result.feed_id}), counts=True), self)

    def _refresh_done(self) -> None:
        progress = self.refreshing
        self.refreshing = None
        self._counts_timer.stop()
        self.progress_bar.hide()
        self.progress_label.setText("")
        self.named_actions["refresh_all"].setEnabled(True)
        if progress is None:
            return
        # Notified once the tree has the feeds' titles (a new feed's comes with its first fetch).
        self.reload_feeds_in_background(lambda: self.notify_new_articles(progress.new_by_feed))
        if progress.new_articles:
            keep = self.articles_pane.current_article()
            self.articles_model.reload()
            if keep is not None:
                self.articles_pane.select_article(keep.id)
        message = f"Refreshed {progress.done:,} feed(s): {progress.new_articles:,} new article(s)"
        if progress.failed:
            message += f", {progress.failed:,} failed (see the red feeds)"
        self.statusBar().showMessage(message + ".", 8000)
        self._update_last_refresh()
        if progress.reached:
            self._fetch_favicons(sorted(progress.reached))
        self.continue_offline(sorted(progress.articles))
        if self._queued_refresh:
            queued, self._queued_refresh = sorted(self._queued_refresh), set()
            self._start_refresh(queued)

    def _fetch_favicons(self, feed_ids: list[FeedId]) -> None:
        """After a refresh, look up missing site icons for the feeds that answered.

        A separate write op, queued behind the refresh, so the refresh never waits for icons;
        icons are a nicety, so a failure is logged rather than shown.
        """
        self.tasks.mutate(
            lambda lib: lib.fetch_favicons(feed_ids),
            initiator=self,
            on_error=self._favicons_failed,
        )

    def _favicons_failed(self, error: BaseException) -> None:
        if not isinstance(error, GlossError):
            raise error
        log.warning("Could not fetch site icons: %s", error)

    def _refresh_failed(self, error: BaseException) -> None:
        self.refreshing = None
        self.progress_bar.hide()
        self.progress_label.setText("")
        self.named_actions["refresh_all"].setEnabled(True)
        if not isinstance(error, GlossError):
            raise error
        self.show_error(str(error))

    def _update_last_refresh(self) -> None:
        when = self.reader.last_refresh_at()
        if when is None:
            self.last_refresh_label.setText("Never refreshed")
            return
        local = when.astimezone()
        today = dt.datetime.now().astimezone().date()
        stamp = f"{local:%H:%M}" if local.date() == today else f"{local:%Y-%m-%d %H:%M}"
        self.last_refresh_label.setText(f"Updated {stamp}")

    def add_feed(self, url: str | None = None) -> None:
        """The Add Feed dialog; with ``url`` (a feed: link, another start of Gloss) it opens
        filled in and already looking for the feed there."""
        open_dialog = getattr(self, "_add_dialog", None)
        if url and open_dialog is not None and open_dialog.isVisible():
            open_dialog.url_edit.setText(url)
            open_dialog.find_feeds()
            bring_forward(open_dialog)
            return
        node = self.feeds_pane.selected_node()
        folder = node.folder.name if node is not None and node.folder is not None else None
        dialog = AddFeedDialog(
            self.tasks,
            self.reader.find_feeds,
            [f.name for f in self.reader.list_folders()],
            initial_folder=folder,
            parent=self,
        )
        self._add_dialog = dialog
        dialog.finished.connect(lambda _r: self._subscribe(dialog))
        dialog.open()
        if url:
            dialog.url_edit.setText(url)
            dialog.find_feeds()

    def _subscribe(self, dialog: AddFeedDialog) -> None:
        choice = dialog.choice
        if choice is None:
            return

        def done(changes: Changes) -> None:
            new_ids = list(changes.feeds)
            if new_ids:
                self.feeds_pane.select_key(f"feed:{new_ids[0]}")
                self._start_refresh(new_ids)

        self.tasks.mutate(
            lambda lib: lib.subscribe(choice.url, folder=choice.folder, title=None)[1],
            initiator=self,
            on_done=done,
        )

    def remove_demo(self) -> None:
        answer = QMessageBox.question(
            self,
            "Remove the Demo Feeds",
            "Unsubscribe from the sample feeds in the “Gloss demo” folder?\n\nArticles you "
            "starred or annotated there are kept.",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.tasks.mutate(remove_demo, initiator=self)

    def new_folder(self) -> None:
        name, ok = QInputDialog.getText(self, "New Folder", "Folder name:")
        if ok and name.strip():
            self.tasks.mutate(lambda lib: lib.create_folder(name)[1], initiator=self)

    def rename_selected(self) -> None:
        node = self.feeds_pane.selected_node()
        if node is None or node.kind is NodeKind.SMART:
            return
        if node.kind is NodeKind.SEARCH:
            self.rename_search(node.search)
            return
        label = "Feed name (empty: the feed's own):" if node.feed else "Folder name:"
        name, ok = QInputDialog.getText(self, "Rename", label, text=node.title)
        if not ok:
            return
        if node.feed is not None:
            feed_id = node.feed.id
            self.tasks.mutate(lambda lib: lib.rename_feed(feed_id, name or None), initiator=self)
        elif node.folder is not None and name.strip():
            folder_id = node.folder.id
            self.tasks.mutate(lambda lib: lib.rename_folder(folder_id, name), initiator=self)

    def move_selected(self) -> None:
        node = self.feeds_pane.selected_node()
        if node is None or node.feed is None:
            return
        folders = self.reader.list_folders()
        names = ["(no folder)", *[f.name for f in folders]]
        current = names.index(node.feed.folder) if node.feed.folder in names else 0
        choice, ok = QInputDialog.getItem(self, "Move to Folder", "Folder:", names, current, False)
        if ok:
            target = next((f.id for f in folders if f.name == choice), None)
            self._move_feed(int(node.feed.id), target)

    def _move_feed(self, feed_id: int, folder_id: Any) -> None:
        fid = FeedId(feed_id)
        self.tasks.mutate(lambda lib: lib.move_feed(fid, folder_id), initiator=self)

    def feed_properties(self) -> None:
        node = self.feeds_pane.selected_node()
        if node is None or node.feed is None:
            return
        feed = node.feed
        lines = [
            f"<b>{feed.title}</b>",
            f"Feed: {feed.url}",
            f"Site: {feed.site_url or '—'}",
            f"Folder: {feed.folder or '—'}",
            f"Status: {feed.status.value}" + (f" — {feed.error}" if feed.error else ""),
            f"Unread: {feed.unread:,}",
        ]
        if feed.last_fetched_at:
            lines.append(f"Last fetched: {feed.last_fetched_at.astimezone():%Y-%m-%d %H:%M}")
        box = QMessageBox(self)
        box.setWindowTitle("Feed Properties")
        box.setTextFormat(Qt.TextFormat.PlainText)
        box.setText("\n".join(line.replace("<b>", "").replace("</b>", "") for line in lines))
        mute = box.addButton(
            "Resume Refreshing" if feed.muted else "Stop Refreshing",
            QMessageBox.ButtonRole.ActionRole,
        )
        box.addButton(QMessageBox.StandardButton.Close)
        box.exec()
        if box.clickedButton() is mute:
            fid, muted = feed.id, not feed.muted
            self.tasks.mutate(lambda lib: lib.set_feed_muted(fid, muted), initiator=self)

    def remove_selected(self) -> None:
        node = self.feeds_pane.selected_node()
        if node is None or node.kind is NodeKind.SMART:
            return
        if node.kind is NodeKind.SEARCH:
            self.delete_search(node.search)
            return
        if node.feed is not None:
            feed_id = node.feed.id
            answer = QMessageBox.question(
                self,
                "Unsubscribe",
                f"Unsubscribe from “{node.title}”?\n\nStarred articles and articles with "
                "highlights or notes are kept.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.tasks.mutate(lambda lib: lib.remove_feed(feed_id)[1], initiator=self)
        elif node.folder is not None:
            folder_id = node.folder.id
            answer = QMessageBox.question(
                self,
                "Delete Folder",
                f"Delete the folder “{node.title}”? Its feeds move up a level; "
                "nothing else changes.",
            )
            if answer == QMessageBox.StandardButton.Yes:
                self.tasks.mutate(lambda lib: lib.delete_folder(folder_id), initiator=self)

    def import_opml(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import Subscriptions", "", "OPML files (*.opml *.xml);;All files (*)"
        )
        if path:
            self.import_opml_file(Path(path))

    def import_opml_file(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as e:
            self.show_error(f"Cannot read {path}: {e.strerror or e}")
            return

        def run(lib: Library) -> Changes:
            result = lib.import_opml(data)
            self._last_import = result
            return result.changes

        def done(changes: Changes) -> None:
            result = self._last_import
            self.statusBar().showMessage(
                f"Imported {result.added:,} feed(s); {result.skipped:,} skipped.", 8000
            )
            if changes.feeds:
                self._start_refresh(sorted(changes.feeds))

        self.tasks.mutate(run, initiator=self, on_done=done)

    def export_opml(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "Export Subscriptions", "gloss-subscriptions.opml", "OPML files (*.opml)"
        )
        if path:
            self.export_opml_file(Path(path))

    def export_opml_file(self, path: Path) -> None:
        def written(data: bytes) -> None:
            try:
                write_atomic(path, data)
            except GlossError as e:
                self.show_error(str(e))
                return
            self.statusBar().showMessage(f"Exported subscriptions to {path}.", 6000)

        self.tasks.run_db(lambda lib: lib.export_opml(), written, lambda e: self.show_error(str(e)))

    # ---- view -----------------------------------------------------------------------------

    def toggle_annotations(self, checked: bool) -> None:
        self.annotations_pane.setVisible(checked)

    def font_bigger(self) -> None:
        self._step_font(+1)

    def font_smaller(self) -> None:
        self._step_font(-1)

    def font_reset(self) -> None:
        self._set_font(PREFERENCES["font_size"].default)

    def _step_font(self, step: int) -> None:
        size = self.settings.get("font_size")
        sizes = list(FONT_SIZES)
        position = min(range(len(sizes)), key=lambda i: abs(sizes[i] - size))
        self._set_font(sizes[max(0, min(len(sizes) - 1, position + step))])

    def _set_font(self, size: int) -> None:
        self.settings.set("font_size", size)
        self.reading_view.set_font_size(size)

    def theme_system(self, checked: bool) -> None:
        if checked:
            self._set_theme("system")

    def theme_light(self, checked: bool) -> None:
        if checked:
            self._set_theme("light")

    def theme_dark(self, checked: bool) -> None:
        if checked:
            self._set_theme("dark")

    def _set_theme(self, choice: str) -> None:
        self.settings.set("theme", choice)
        theme = resources.pick_theme(choice)
        if theme != self.theme:
            self.apply_theme(theme)

    def _system_scheme_changed(self, *_args: object) -> None:
        if self.settings.get("theme") == "system":
            theme = resources.pick_theme("system")
            if theme != self.theme:
                self.apply_theme(theme)

    def _apply_refresh_interval(self) -> None:
        minutes = self.settings.get("refresh_interval_min")
        if minutes > 0:
            self._auto_refresh.start(minutes * 60_000)
        else:
            self._auto_refresh.stop()

    # ---- help -----------------------------------------------------------------------------

    def show_shortcuts(self) -> None:
        ShortcutsDialog(self.named_actions, self).open()

    def quit(self) -> None:
        self.quitting = True
        self.close()

    def show_error(self, message: str) -> None:
        QMessageBox.warning(self, "Gloss", message)

    # ---- state ----------------------------------------------------------------------------

    def restore_state(self) -> None:
        """Put the window back as it was: geometry, splitters, columns, the chosen list."""
        s = self.settings
        if not s.restore_geometry(self):
            self.resize(1280, 800)
        for key, splitter in (("outer", self.outer), ("center", self.center)):
            data = s.state(f"splitter_{key}")
            if isinstance(data, QByteArray):
                splitter.restoreState(data)
        header = s.state("article_header")
        if isinstance(header, QByteArray):
            self.articles_pane.table.horizontalHeader().restoreState(header)
        expanded = s.state("expanded")
        if isinstance(expanded, str) and expanded:
            self.feeds_pane.expand_keys(expanded.split("|"))
        elif isinstance(expanded, list):
            self.feeds_pane.expand_keys([str(k) for k in expanded])
        else:
            self.feeds_pane.tree.expandAll()
        show = s.state("show")
        if isinstance(show, str) and show in self.articles_pane.show_buttons and show != SHOW_ALL:
            self.articles_pane.show_buttons[show].setChecked(True)
            self.articles_pane._show = show
        annotations = s.state("annotations_visible")
        visible = annotations not in ("false", False)
        self.named_actions["toggle_annotations"].setChecked(visible)
        self.annotations_pane.setVisible(visible)
        key = s.state("selected")
        if not (isinstance(key, str) and self.feeds_pane.select_key(key)):
            self.feeds_pane.select_key("smart:all")

    def save_state(self) -> None:
        s = self.settings
        s.save_geometry(self)
        s.set_state("splitter_outer", self.outer.saveState())
        s.set_state("splitter_center", self.center.saveState())
        s.set_state("article_header", self.articles_pane.table.horizontalHeader().saveState())
        s.set_state("expanded", "|".join(self.feeds_pane.expanded_keys()))
        s.set_state("selected", self.feeds_pane.selected_key() or "smart:all")
        s.set_state("show", self.articles_pane.show_mode)
        s.set_state("annotations_visible", self.annotations_pane.isVisibleTo(self))
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_to_tray(event):
            return
        self.annotations_pane.flush()  # a note being typed is queued (durably) before closing
        self.flush_scrolled_past()  # so are the rows just scrolled past (mark read on scroll)
        self.save_state()
        for timer in (self._mark_read_timer, self._auto_refresh, self._counts_timer):
            timer.stop()
        self.stop_search_timers()
        # late results from the writer thread must not reach panes that are going away
        self.tasks.changes_applied.disconnect(self._on_changes)
        self.tasks.error_reported.disconnect(self.show_error)
        self.closing_for_good()
        super().closeEvent(event)
