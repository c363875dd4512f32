"""The window's organising commands (mixed into ``MainWindow``): rules, tags from the list,
retention per feed, mark-as-read on scroll past, and "mark older as read".

Every write goes through the ``TaskManager``; the dialogs only collect what the user wants.
Scrolling past articles marks them read in batches: rows above the top of the list as the user
scrolls down are collected and written together a moment later, never the rows merely loaded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu

from reader.core.errors import GlossError
from reader.core.types import Article, ArticleCursor, ArticleId, Changes, Feed, FeedId
from reader.gui.actions import add_choices
from reader.gui.dialogs.rules_dialog import RuleEditor, RulesDialog, make_rule_editor
from reader.gui.dialogs.tag_dialog import TagArticlesDialog
from reader.gui.models.feeds_model import Node

if TYPE_CHECKING:
    from reader.gui.main_window import MainWindow

SCROLL_READ_FLUSH_MS = 400
RETENTION_CHOICES: tuple[tuple[int | None, str], ...] = (
    (None, "&Forever"),
    (7, "1 &Week"),
    (30, "1 &Month"),
    (90, "&3 Months"),
    (365, "1 &Year"),
)
MAX_RETENTION_DAYS = 36_500


def describe_retention(days: int | None) -> str:
    if days is None:
        return "forever"
    for value, label in RETENTION_CHOICES:
        if value == days:
            return label.replace("&", "").lower()
    return f"{days:,} day{'s' * (days != 1)}"


class OrganiseActions:
    """Handlers for the organising actions; ``self`` is the MainWindow."""

    def _organiser(self) -> MainWindow:
        return self  # type: ignore[return-value]

    # ---- wiring ---------------------------------------------------------------------------

    def connect_organising(self) -> None:
        window = self._organiser()
        self.rules_dialog: RulesDialog | None = None
        self.rule_editor: RuleEditor | None = None
        self.tag_dialog: TagArticlesDialog | None = None
        self.retention_dialog: QInputDialog | None = None

        # Keep Read Articles: one submenu for the Feed menu and the feed's context menu.
        self.retention_menu = QMenu("&Keep Read Articles", window)
        self.retention_menu.setObjectName("retentionMenu")
        self.retention_menu.setToolTip(
            "Remove read articles of this feed after a while; starred, saved, tagged, "
            "highlighted and noted articles are always kept"
        )
        group, self.retention_actions = add_choices(
            self.retention_menu,
            RETENTION_CHOICES,
            self.set_selected_retention,
            name=lambda days: f"keep_read_{days or 'forever'}",
        )
        self.retention_menu.addSeparator()
        self.retention_custom = QAction("&Custom…", self.retention_menu)
        self.retention_custom.setObjectName("keep_read_custom")
        self.retention_custom.setCheckable(True)
        self.retention_custom.triggered.connect(self.ask_custom_retention)
        group.addAction(self.retention_custom)
        self.retention_menu.addAction(self.retention_custom)
        feed_menu = window.menus["Feed"]
        feed_menu.addMenu(self.retention_menu)
        feed_menu.aboutToShow.connect(lambda: self._reflect_organising(self._feed_node()))
        window.feeds_pane.add_menu_extender(self._extend_feed_menu_organising)

        # The article list's context menu.
        names = window.named_actions
        window.articles_pane.set_context_actions(
            [
                names["toggle_read"],
                names["toggle_star"],
                names["tag_articles"],
                None,
                names["mark_older_read"],
                names["mark_all_read"],
                None,
                names["open_original"],
                names["export_markdown_selected"],
            ]
        )

        # Mark as read on scroll past.
        self._scroll_top = 0
        self._scrolled_past: set[ArticleId] = set()
        self._scroll_timer = QTimer(window)
        self._scroll_timer.setSingleShot(True)
        self._scroll_timer.setInterval(SCROLL_READ_FLUSH_MS)
        self._scroll_timer.timeout.connect(self.flush_scrolled_past)
        table = window.articles_pane.table
        table.verticalScrollBar().valueChanged.connect(self._list_scrolled)
        window.articles_model.modelReset.connect(
            lambda: QTimer.singleShot(0, self._reset_scroll_baseline)
        )
        names["mark_read_on_scroll"].setChecked(bool(window.settings.get("mark_read_on_scroll")))

    def _feed_node(self) -> Node | None:
        return self._organiser().feeds_pane.selected_node()

    def _reflect_organising(self, node: Node | None) -> None:
        feed = node.feed if node is not None else None
        self.retention_menu.setEnabled(feed is not None)
        self._organiser().named_actions["new_rule_for_feed"].setEnabled(feed is not None)
        days = feed.keep_read_days if feed is not None else None
        preset = self.retention_actions.get(days)
        if feed is not None and preset is not None:
            preset.setChecked(True)
            self.retention_custom.setText("&Custom…")
        elif feed is not None:
            self.retention_custom.setChecked(True)
            self.retention_custom.setText(f"&Custom ({describe_retention(days)})…")
        else:
            self.retention_actions[None].setChecked(True)
            self.retention_custom.setText("&Custom…")

    def _extend_feed_menu_organising(self, menu: QMenu, node: Node | None) -> None:
        self._reflect_organising(node)
        if node is None or node.feed is None:
            return
        menu.addSeparator()
        menu.addAction(self._organiser().named_actions["new_rule_for_feed"])
        menu.addMenu(self.retention_menu)

    # ---- rules ----------------------------------------------------------------------------

    def edit_rules(self) -> RulesDialog:
        window = self._organiser()
        dialog = self.rules_dialog
        if dialog is not None and dialog.isVisible():
            dialog.raise_()
            dialog.activateWindow()
            return dialog
        dialog = RulesDialog(window.tasks, window.reader, parent=window)
        dialog.finished.connect(dialog.deleteLater)
        self.rules_dialog = dialog
        dialog.open()
        return dialog

    def new_rule_for_feed(self) -> RuleEditor:
        window = self._organiser()
        node = self._feed_node()
        feed = node.feed if node is not None else None
        editor = make_rule_editor(
            window.tasks, window.reader, feed_id=feed.id if feed else None, parent=window
        )
        where = f"“{feed.title}”" if feed is not None else "every feed"
        editor.accepted.connect(
            lambda: window.statusBar().showMessage(
                f"Rule saved: it acts on new articles of {where} (Feed → Rules… lists it).", 6000
            )
        )
        editor.finished.connect(editor.deleteLater)
        self.rule_editor = editor
        editor.open()
        return editor

    # ---- tags -----------------------------------------------------------------------------

    def _articles_to_act_on(self) -> list[Article]:
        pane = self._organiser().articles_pane
        chosen = pane.selected_articles()
        current = pane.current_article()
        if not chosen and current is not None:
            chosen = [current]
        return chosen

    def tag_articles(self) -> TagArticlesDialog | None:
        window = self._organiser()
        articles = self._articles_to_act_on()
        if not articles:
            window.statusBar().showMessage("Select the articles to tag first.", 4000)
            return None
        known = [t.name for t in window.reader.list_tags()]
        current: Sequence[str] = ()
        if len(articles) == 1:
            current = window.reader.article_field_tags(articles[0].id)
        dialog = TagArticlesDialog(
            len(articles), known, title=articles[0].title, current=current, parent=window
        )
        ids = [a.id for a in articles]
        dialog.accepted.connect(lambda: self.add_tags(ids, dialog.tags()))
        dialog.finished.connect(dialog.deleteLater)
        self.tag_dialog = dialog
        dialog.open()
        return dialog

    def add_tags(self, article_ids: Sequence[ArticleId], tags: Sequence[str]) -> None:
        """Add ``tags`` to each article's typed tags (those it has are kept), in one write."""
        window = self._organiser()
        ids, wanted = list(article_ids), list(tags)
        if not ids or not wanted:
            return

        shown = ", ".join(f"#{t}" for t in wanted)
        plural = "s" * (len(ids) != 1)
        window.tasks.mutate(
            lambda lib: lib.add_article_tags(ids, wanted),  # one write for the whole selection
            initiator=self,
            on_done=lambda _c: window.statusBar().showMessage(
                f"Tagged {len(ids):,} article{plural} with {shown}.", 5000
            ),
        )

    # ---- retention ------------------------------------------------------------------------

    def _selected_feed(self) -> Feed | None:
        node = self._feed_node()
        return node.feed if node is not None else None

    def set_selected_retention(self, days: int | None) -> None:
        feed = self._selected_feed()
        if feed is not None:
            self.set_retention(feed.id, days)

    def set_retention(self, feed_id: FeedId, days: int | None) -> None:
        window = self._organiser()

        def done(_changes: Changes) -> None:
            node = window.feeds_model.node(window.feeds_model.index_for_key(f"feed:{feed_id}"))
            if node is not None and node.feed is not None and node.feed.keep_read_days != days:
                window.reload_feeds()  # the menu's checkmark reads the feed shown in the tree
            window.statusBar().showMessage(
                f"Read articles of this feed are kept {describe_retention(days)}"
                + ("." if days is None else "; starred and annotated ones always."),
                5000,
            )

        window.tasks.mutate(
            lambda lib: lib.set_feed_retention(feed_id, days), initiator=self, on_done=done
        )

    def ask_custom_retention(self) -> QInputDialog | None:
        window = self._organiser()
        feed = self._selected_feed()
        if feed is None:
            return None
        self._reflect_organising(self._feed_node())  # the checkmark stays until a choice
        dialog = QInputDialog(window)
        dialog.setWindowTitle("Keep Read Articles")
        dialog.setLabelText(f"Keep read articles of “{feed.title}” for how many days?")
        dialog.setInputMode(QInputDialog.InputMode.IntInput)
        dialog.setIntRange(1, MAX_RETENTION_DAYS)
        dialog.setIntValue(feed.keep_read_days or 14)
        feed_id = feed.id
        dialog.intValueSelected.connect(lambda days: self.set_retention(feed_id, int(days)))
        dialog.finished.connect(dialog.deleteLater)
        self.retention_dialog = dialog
        dialog.open()
        return dialog

    # ---- mark as read ---------------------------------------------------------------------

    def mark_read_on_scroll(self, checked: bool) -> None:
        window = self._organiser()
        window.settings.set("mark_read_on_scroll", checked)
        self._reset_scroll_baseline()
        if not checked:
            self._scroll_timer.stop()
            self._scrolled_past.clear()

    def _top_row(self) -> int:
        row = self._organiser().articles_pane.table.rowAt(0)
        return max(row, 0)

    def _reset_scroll_baseline(self) -> None:
        self._scroll_top = self._top_row()

    def _list_scrolled(self, _value: int) -> None:
        window = self._organiser()
        top = self._top_row()
        previous, self._scroll_top = self._scroll_top, top
        if top <= previous or not window.named_actions["mark_read_on_scroll"].isChecked():
            return
        model = window.articles_model
        for row in range(previous, top):
            article = model.article(row)
            if (
                article is not None
                and not article.read
                and article.id not in window._explicitly_toggled
            ):
                self._scrolled_past.add(article.id)
        if self._scrolled_past:
            self._scroll_timer.start()

    def flush_scrolled_past(self) -> None:
        """Write the articles scrolled past as read, in one batch. The window calls it as it
        closes too; the write is durable, so a batch still waiting then is not lost."""
        self._scroll_timer.stop()
        if not self._scrolled_past:
            return
        ids = sorted(self._scrolled_past)
        self._scrolled_past.clear()
        self._organiser().tasks.mutate(
            lambda lib: lib.set_read(ids, True), initiator=self, durable=True
        )

    def mark_older_read(self) -> None:
        window = self._organiser()
        article = window.articles_pane.current_article()
        if article is None:
            window.statusBar().showMessage("Select an article first.", 4000)
            return
        flt = replace(
            window.articles_pane.effective_filter(),
            older_than=ArticleCursor(article.sort_at, article.id),
        )

        def done(result: tuple[int, Changes]) -> None:
            count, changes = result
            window.tasks.broadcast(changes, self)
            window.statusBar().showMessage(
                f"Marked {count:,} older article{'s' * (count != 1)} as read.", 5000
            )

        def failed(error: BaseException) -> None:
            if not isinstance(error, GlossError):
                raise error
            window.show_error(str(error))

        window.tasks.run_db(lambda lib: lib.mark_all_read(flt), done, failed)
