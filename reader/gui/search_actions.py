"""The window's search (mixed into ``MainWindow``): search as you type, results in place of the
article list, opening a hit at its match, and saved searches as smart folders.

The query is checked on the GUI thread by the pure parser (instant, so a typo shows its message
under the field, never an exception); the search itself runs on ``SearchWorker``'s reader thread,
debounced while the user types, because a common word on a 100,000-article library can take
hundreds of milliseconds (each search's time is logged at debug level). Saved searches are written
through the ``TaskManager`` like every other change; their ``Changes`` (``searches``) rebuild the
"Searches" group, and any change to counts recounts their unread numbers on the reader thread,
coalesced so that a refresh of 1,000 feeds does not recount them a thousand times.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QInputDialog, QMenu, QMessageBox

from reader.core.errors import GlossError, QuerySyntaxError
from reader.core.library import Library
from reader.core.query import describe, parse_query
from reader.core.types import (
    Changes,
    HitKind,
    SavedSearch,
    SavedSearchId,
    SearchHit,
    SearchResults,
)
from reader.gui.dialogs.saved_search import SavedSearchDialog
from reader.gui.models.feeds_model import Node, NodeKind
from reader.gui.models.search_model import FIRST_PAGE, MAX_RESULTS
from reader.gui.search_worker import SearchWorker

if TYPE_CHECKING:
    from reader.gui.main_window import MainWindow
    from reader.gui.resources import Theme

log = logging.getLogger("gloss.gui.search")

SEARCH_DELAY_MS = 150  # typing pauses this long before the library is searched
COUNTS_DELAY_MS = 300  # saved-search counts are recounted at most this often
MORE_STEP = 100
SEARCHING_NOTICE_MS = 250  # a search still running after this says "Searching…"


def match_end(text: str, start: int) -> int:
    """The end of the word a match starts at (a prefix match marks the whole word)."""
    end = start
    while end < len(text) and (text[end].isalnum() or text[end] in "_'’"):
        end += 1
    return max(end, min(start + 1, len(text)))


class SearchActions:
    """Handlers for search and smart folders; ``self`` is the MainWindow."""

    def _searcher(self) -> MainWindow:
        return self  # type: ignore[return-value]

    # ---- wiring ---------------------------------------------------------------------------

    def connect_search(self) -> None:
        window = self._searcher()
        pane = window.articles_pane
        self.search_dialog: SavedSearchDialog | None = None
        self.last_search_ms: float | None = None
        path = window.reader.path
        self.search_worker = SearchWorker(lambda: Library.open(path, readonly=True), window)
        self.search_worker.finished.connect(self._worker_finished)
        self._awaited: dict[int, tuple[str, str]] = {}  # token -> (purpose, query text)
        self._enter_when_answered = False
        self._latest: dict[str, int] = {}  # purpose -> newest token
        self._searching_notice = QTimer(window)
        self._searching_notice.setSingleShot(True)
        self._searching_notice.setInterval(SEARCHING_NOTICE_MS)
        self._searching_notice.timeout.connect(self._show_searching)
        self._search_timer = QTimer(window)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.run_search)
        self._search_counts_timer = QTimer(window)
        self._search_counts_timer.setSingleShot(True)
        self._search_counts_timer.setInterval(COUNTS_DELAY_MS)
        self._search_counts_timer.timeout.connect(self.refresh_search_counts)
        field = pane.search_field
        field.textChanged.connect(self._search_text_changed)
        field.enter_pressed.connect(self._enter_results)
        field.escape_pressed.connect(self.clear_search)
        pane.results.escape_pressed.connect(self.clear_search)
        pane.results.hit_selected.connect(self._open_hit)
        pane.results.hit_clicked.connect(self._jump_to_hit)
        pane.results.model.more_wanted.connect(self._search_more)
        pane.search_box.save_button.clicked.connect(self.save_search)
        window.feeds_pane.set_kind_menu(NodeKind.SEARCH, self._smart_folder_menu)
        window.feeds_pane.set_kind_menu(NodeKind.SEARCHES, self._searches_group_menu)

    def stop_search_timers(self) -> None:
        """The window closes: no more searches, and the reader thread ends."""
        self._search_timer.stop()
        self._search_counts_timer.stop()
        self._searching_notice.stop()
        self._awaited.clear()
        self.search_worker.close()

    def search_settled(self) -> bool:
        """Nothing typed waits to be searched and no answer is outstanding (tests wait on it)."""
        return not self._search_timer.isActive() and not self._awaited

    def _submit(self, purpose: str, text: str, run: object) -> None:
        token = self.search_worker.submit(purpose, run)  # type: ignore[arg-type]
        previous = self._latest.get(purpose)
        if previous is not None:
            self._awaited.pop(previous, None)  # replaced before it started, or to be ignored
        self._latest[purpose] = token
        self._awaited[token] = (purpose, text)

    def _worker_finished(self, token: int, value: object, error: object, ms: float) -> None:
        awaited = self._awaited.pop(token, None)
        if awaited is None:
            return  # a newer request replaced it
        purpose, text = awaited
        if purpose == "counts":
            if isinstance(value, list):
                self._searcher().feeds_model.set_searches(value)
            elif isinstance(error, BaseException):
                log.warning("Could not count the saved searches: %s", error)
            return
        if purpose in ("search", "more"):
            self._searching_notice.stop()
            self._search_answered(purpose, text, value, error, ms)

    def apply_search_theme(self, theme: Theme) -> None:
        pane = self._searcher().articles_pane
        pane.search_box.set_theme(theme)
        pane.search_message.set_theme(theme)
        pane.results.set_theme(theme)

    def saved_searches(self) -> list[SavedSearch]:
        """The saved searches for a rebuild of the feeds tree: read at start (the tree must hold
        them before the chosen key is restored); later the ones shown, recounted in the
        background, since the feed list is read again after every refresh."""
        if getattr(self, "search_worker", None) is None:
            return self._read_saved_searches()
        if self._searcher().feeds_model.searches() and not self._search_counts_timer.isActive():
            self._search_counts_timer.start()
        return list(self._searcher().feeds_model.searches())

    def _read_saved_searches(self) -> list[SavedSearch]:
        """The saved searches with their unread counts, read now on the GUI thread's reader."""
        try:
            return self._searcher().reader.list_saved_searches()
        except GlossError as e:
            log.warning("Could not read the saved searches: %s", e)
            return []

    # ---- searching ------------------------------------------------------------------------

    def focus_search(self) -> None:
        window = self._searcher()
        if window.middle.currentWidget() is not window.center:
            window.show_highlights_page(False)
        field = window.articles_pane.search_field
        field.setFocus()
        field.selectAll()

    def _search_text_changed(self, text: str) -> None:
        pane = self._searcher().articles_pane
        pane.search_field.clear_mark()  # the old underline would sit on the wrong letters
        self._enter_when_answered = False
        if not text.strip():
            self._search_timer.stop()
            if pane.searching:
                self._leave_search()
            return
        self._search_timer.start()

    def run_search(self) -> None:
        """Search for the field's text now (the debounce timer calls this)."""
        self._search_timer.stop()
        window = self._searcher()
        pane = window.articles_pane
        text = pane.search_field.text()
        if not text.strip():
            return
        try:
            parse_query(text, typing=True)
        except QuerySyntaxError as e:
            self._awaited.pop(self._latest.get("search", -1), None)  # an older answer is moot
            self._searching_notice.stop()
            pane.show_search(True)
            pane.search_box.save_button.setEnabled(False)
            pane.search_message.show_error(str(e), text, e.position, e.length)
            pane.search_field.mark_error(e.position, e.length)
            pane.results.show_unreadable()
            return

        def run(lib: Library) -> SearchResults:
            return lib.search(text, limit=FIRST_PAGE, typing=True)

        self._submit("search", text, run)
        if not self._searching_notice.isActive():
            self._searching_notice.start()

    def _show_searching(self) -> None:
        pane = self._searcher().articles_pane
        if self._latest.get("search") in self._awaited and pane.search_field.text().strip():
            pane.show_search(True)
            pane.search_message.show_info("Searching…")

    def _search_answered(
        self, purpose: str, text: str, value: object, error: object, ms: float
    ) -> None:
        window = self._searcher()
        pane = window.articles_pane
        if text != pane.search_field.text():
            return  # typed over (or cleared) since
        if isinstance(error, BaseException):
            if not isinstance(error, GlossError):
                raise error
            pane.show_search(True)
            position = getattr(error, "position", len(text))
            length = getattr(error, "length", 0)
            pane.search_message.show_error(str(error), text, position, length)
            return
        assert isinstance(value, SearchResults)
        if purpose == "more":
            pane.results.extend_hits(value.hits, value.more)
            return
        self.last_search_ms = ms
        log.debug("search %r: %d hits in %.1f ms", text, len(value.hits), ms)
        pane.show_search(True)
        pane.search_box.save_button.setEnabled(True)
        pane.results.show_hits(text, value.hits, value.more)
        if self._enter_when_answered:
            self._enter_when_answered = False
            pane.results.enter()
        count = len(value.hits)
        if count == 0:
            summary = "No results"
        elif value.more:
            summary = f"The best {count:,} results (scroll for more)"
        else:
            summary = f"{count:,} result{'s' * (count != 1)}"
        try:  # described as finished, without the prefix mark typing adds ("water…")
            described = describe(parse_query(text))
        except QuerySyntaxError:
            described = describe(parse_query(text, typing=True))
        pane.search_message.show_info(f"{summary} for {described} · whole library")

    def _search_more(self) -> None:
        pane = self._searcher().articles_pane
        model = pane.results.model
        text = pane.search_field.text()
        if text != model.query:
            return
        limit = min(MAX_RESULTS, model.rowCount() + MORE_STEP)

        def run(lib: Library) -> SearchResults:
            return lib.search(text, limit=limit, typing=True)

        self._submit("more", text, run)

    def _enter_results(self) -> None:
        pane = self._searcher().articles_pane
        if self._search_timer.isActive():
            self.run_search()
        if not pane.search_field.text().strip():
            pane.table.setFocus()
            return
        if self._latest.get("search") in self._awaited:
            self._enter_when_answered = True  # the results come in a moment: go there then
            return
        if pane.searching and not pane.search_message.is_error():
            pane.results.enter()

    def clear_search(self) -> None:
        """Esc: empty the field and go back to the list that was shown before."""
        self._search_timer.stop()
        self._searching_notice.stop()
        pane = self._searcher().articles_pane
        if not pane.searching and not pane.search_field.text():
            pane.table.setFocus()
            return
        self._leave_search()
        pane.table.setFocus()

    def _leave_search(self) -> None:
        pane = self._searcher().articles_pane
        pane.leave_search()
        pane.results.show_hits("", (), False)
        pane.article_selected.emit(pane.current_article())  # the list's article comes back

    # ---- opening a hit --------------------------------------------------------------------

    def _open_hit(self, hit: SearchHit) -> None:
        window = self._searcher()
        pane = window.articles_pane
        found = window.reader.get_articles([hit.article_id])
        article = found[0] if found else None
        pane.results.set_current_article(article)
        if article is None:
            window.reading_view.show_placeholder("This article is no longer in the library.")
            return
        pane.article_selected.emit(article)  # shown, and marked read, as from the list
        self._jump_to_hit(hit)

    def _jump_to_hit(self, hit: SearchHit) -> None:
        window = self._searcher()
        view = window.reading_view
        detail = view.detail
        if detail is None or detail.article.id != hit.article_id:
            return
        if hit.kind is HitKind.HIGHLIGHT:
            if not view.scroll_to_highlight(hit.id):
                window.statusBar().showMessage(
                    "This highlight's words are no longer in the article: it is listed under "
                    "“Could not place”.",
                    5000,
                )
            self._show_in_notes_pane("highlight", hit.id)
        elif hit.kind is HitKind.NOTE:
            self._show_in_notes_pane("note", hit.id)
        elif hit.offset is not None and detail.text is not None:
            text = detail.text.text
            if 0 <= hit.offset < len(text):
                view.scroll_to_text(hit.offset, match_end(text, hit.offset))

    def _show_in_notes_pane(self, kind: str, item_id: int) -> None:
        window = self._searcher()
        if kind == "note" and not window.annotations_pane.isVisibleTo(window):
            window.named_actions["toggle_annotations"].setChecked(True)
        window.annotations_pane.select_item(kind, item_id)

    # ---- changes --------------------------------------------------------------------------

    def apply_search_changes(self, changes: Changes) -> None:
        window = self._searcher()
        if changes.searches:
            self._search_counts_timer.stop()
            window.feeds_model.set_searches(self._read_saved_searches())
        elif self._counts_may_change(changes) and not self._search_counts_timer.isActive():
            self._search_counts_timer.start()
        pane = window.articles_pane
        shown = pane.results.model.article_ids()
        touched = shown & set(changes.articles) if changes.articles else set()
        if changes.counts and not changes.articles:
            touched = shown  # a mark-all-read: every shown hit may have changed
        if touched:
            fresh = window.reader.get_articles(sorted(touched))
            pane.results.model.update_articles(fresh)
            current = pane.results.current_article()
            if current is not None:
                pane.results.set_current_article(
                    next((a for a in fresh if a.id == current.id), current)
                )

    def _counts_may_change(self, changes: Changes) -> bool:
        relevant = (
            changes.counts
            or changes.articles
            or changes.feeds
            or changes.highlights
            or changes.notes
            or changes.tags
            or changes.saved
        )
        return bool(relevant) and bool(self._searcher().feeds_model.searches())

    def refresh_search_counts(self) -> None:
        """Recount the smart folders' unread articles on the reader thread."""
        if self._searcher().feeds_model.searches():
            self._submit("counts", "", lambda lib: lib.list_saved_searches())

    # ---- smart folders --------------------------------------------------------------------

    def save_search(self) -> None:
        """Keep the search in the field (or a new one) as a smart folder."""
        window = self._searcher()
        text = window.articles_pane.search_field.text().strip()
        name = ""
        if text:
            try:
                name = describe(parse_query(text))
            except QuerySyntaxError:
                name = ""
        taken = [s.name for s in window.feeds_model.searches()]
        dialog = SavedSearchDialog("Save Search", name, text, taken=taken, parent=window)
        if not text:
            dialog.query_edit.setFocus()
        self._open_search_dialog(dialog, self._create_saved_search)

    def new_smart_folder(self) -> None:
        window = self._searcher()
        taken = [s.name for s in window.feeds_model.searches()]
        dialog = SavedSearchDialog("New Smart Folder", "", "", taken=taken, parent=window)
        dialog.query_edit.setFocus()
        self._open_search_dialog(dialog, self._create_saved_search)

    def _open_search_dialog(self, dialog: SavedSearchDialog, then: object) -> None:
        self.search_dialog = dialog

        def finished(result: int) -> None:
            self.search_dialog = None
            if result == SavedSearchDialog.DialogCode.Accepted and callable(then):
                then(dialog.name, dialog.query)
            dialog.deleteLater()

        dialog.finished.connect(finished)
        dialog.open()

    def _create_saved_search(self, name: str, query: str) -> None:
        window = self._searcher()
        created: list[SavedSearch] = []

        def run(lib: Library) -> Changes:
            saved, changes = lib.create_saved_search(name, query)
            created.append(saved)
            return changes

        def done(_changes: Changes) -> None:
            if created:
                key = f"search:{created[0].id}"
                index = window.feeds_model.index_for_key(key)
                if index.isValid():
                    window.feeds_pane.tree.expand(index.parent())
                    window.feeds_pane.tree.scrollTo(index)
                window.statusBar().showMessage(
                    f"Saved “{created[0].name}” under Searches in the feeds pane.", 5000
                )

        window.tasks.mutate(run, initiator=window, on_done=done)

    def _selected_search(self) -> SavedSearch | None:
        node = self._searcher().feeds_pane.selected_node()
        return node.search if node is not None and node.kind is NodeKind.SEARCH else None

    def rename_search(self, saved: SavedSearch | None = None) -> None:
        window = self._searcher()
        saved = saved or self._selected_search()
        if saved is None:
            return
        name, ok = QInputDialog.getText(
            window, "Rename Smart Folder", "Smart folder name:", text=saved.name
        )
        if not ok or not name.strip() or name.strip() == saved.name:
            return
        search_id = saved.id
        window.tasks.mutate(lambda lib: lib.rename_saved_search(search_id, name), initiator=window)

    def edit_search(self, saved: SavedSearch | None = None) -> None:
        window = self._searcher()
        saved = saved or self._selected_search()
        if saved is None:
            return
        taken = [s.name for s in window.feeds_model.searches() if s.id != saved.id]
        dialog = SavedSearchDialog(
            "Edit Smart Folder", saved.name, saved.query, taken=taken, parent=window
        )
        dialog.query_edit.setFocus()
        search_id, old_name, old_query = saved.id, saved.name, saved.query

        def save(name: str, query: str) -> None:
            def run(lib: Library) -> Changes:
                changes = Changes()
                if name != old_name:
                    changes = changes | lib.rename_saved_search(search_id, name)
                if query != old_query:
                    changes = changes | lib.update_saved_search(search_id, query)
                return changes

            def done(_changes: Changes) -> None:
                if window.feeds_pane.selected_key() == f"search:{search_id}":
                    window.articles_pane.set_base_filter(window.feeds_pane.current_filter())

            window.tasks.mutate(run, initiator=window, on_done=done)

        self._open_search_dialog(dialog, save)

    def delete_search(self, saved: SavedSearch | None = None) -> None:
        window = self._searcher()
        saved = saved or self._selected_search()
        if saved is None:
            return
        answer = QMessageBox.question(
            window,
            "Delete Smart Folder",
            f"Delete the smart folder “{saved.name}”?\n\nOnly the saved search goes; no "
            "article, highlight or note is touched.",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        search_id = SavedSearchId(saved.id)
        window.tasks.mutate(lambda lib: lib.delete_saved_search(search_id), initiator=window)

    def _smart_folder_menu(self, menu: QMenu, node: Node) -> None:
        window = self._searcher()
        saved = node.search
        if saved is None:
            return
        menu.addAction(window.named_actions["mark_all_read"])
        menu.addSeparator()

        def add(text: str, handler: object) -> QAction:
            action = QAction(text, menu)
            action.triggered.connect(lambda _c=False: handler(saved))  # type: ignore[operator]
            menu.addAction(action)
            return action

        add("Re&name…", self.rename_search).setObjectName("rename_search")
        add("&Edit Search…", self.edit_search).setObjectName("edit_search")
        menu.addSeparator()
        add("&Delete Smart Folder…", self.delete_search).setObjectName("delete_search")

    def _searches_group_menu(self, menu: QMenu, _node: Node) -> None:
        action = QAction("&New Smart Folder…", menu)
        action.setObjectName("new_smart_folder")
        action.triggered.connect(lambda _c=False: self.new_smart_folder())
        menu.addAction(action)
