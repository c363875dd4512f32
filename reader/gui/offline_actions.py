"""The window's offline and saving commands (mixed into ``MainWindow``).

Offline work (full texts and images) runs as stepped jobs on the writer thread, one article per
step, so a click during a long download waits for one article at most; their progress has its
own bar in the status bar, apart from the refresh's, with a Stop button (and Esc). Saving splits
in two: fetching and extracting a page runs on the network pool, storing it is one short write,
so the window never waits for a slow server.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDropEvent,
    QGuiApplication,
    QKeyEvent,
)
from PySide6.QtWidgets import QLabel, QMenu, QProgressBar, QToolButton

from reader.core.errors import GlossError
from reader.core.types import (
    ArticleId,
    Changes,
    FeedId,
    FullTextPolicy,
    OfflineProgress,
    OfflineReport,
    SaveResult,
    TextSource,
)
from reader.gui.actions import add_choices
from reader.gui.dialogs.offline_settings import OfflineSettingsDialog, human_bytes
from reader.gui.dialogs.save_dialog import SavePageDialog, SaveTextDialog
from reader.gui.models.feeds_model import Node, NodeKind, SmartView

if TYPE_CHECKING:
    from reader.core.extract import ExtractedPage
    from reader.core.library import Library
    from reader.core.parse import ParsePool
    from reader.gui.main_window import MainWindow

SAVED_KEY = f"smart:{SmartView.SAVED.key}"
POLICY_LABELS = (
    (FullTextPolicy.AUTO, "&Automatic (when the feed sends summaries)"),
    (FullTextPolicy.ALWAYS, "A&lways"),
    (FullTextPolicy.NEVER, "&Never"),
)


@dataclass
class OfflineJob:
    """One run of offline work and what it stored so far (for the status bar and summary)."""

    make: Callable[[Library], Iterator[OfflineProgress]]
    doing: str  # "Making {n} articles available offline": {n} is the total once known
    quiet: bool = False  # background work after a refresh: a summary only if something happened
    cancelled: bool = False
    done: int = 0
    total: int = 0
    report: OfflineReport = field(default_factory=OfflineReport)

    def label(self) -> str:
        doing = self.doing.format(n=f"{self.total:,}" if self.total else "the")
        if self.cancelled:
            return "Stopping…"
        return f"{doing}… {self.done:,}/{self.total:,}" if self.total else f"{doing}…"

    def summary(self) -> str:
        report = self.report
        stored = []
        if report.full_texts:
            stored.append(f"{report.full_texts:,} full text{'s' * (report.full_texts != 1)}")
        if report.images:
            plural = "s" * (report.images != 1)
            stored.append(f"{report.images:,} image{plural} ({human_bytes(report.bytes)})")
        text = (", ".join(stored) + " stored") if stored else "Nothing new stored"
        if report.failed:
            text += f"; {report.failed:,} failed — will retry"
        if self.cancelled:
            return f"Stopped after {self.done:,} of {self.total:,} articles: {text}."
        if not self.total and not self.quiet:
            return "Everything here is already available offline."
        return text + "."


MAX_DROPPED = 10


def single_web_address(text: str) -> str | None:
    """``text`` if it is one http(s) address and nothing else."""
    stripped = text.strip()
    if not stripped or any(c.isspace() for c in stripped):
        return None
    return stripped if stripped.lower().startswith(("http://", "https://")) else None


class OfflineActions:
    """Handlers for the saving and offline actions; ``self`` is the MainWindow."""

    def _win(self) -> MainWindow:
        return self  # type: ignore[return-value]

    # ---- wiring ---------------------------------------------------------------------------

    def connect_offline(self) -> None:
        window = self._win()
        self._offline_job: OfflineJob | None = None
        self._offline_queue: list[OfflineJob] = []
        self._page_pool: ParsePool | None = None
        self._save_dialogs: list[Any] = []  # open dialogs (kept alive while they work)
        self._last_offline_summary = ""

        status = window.statusBar()
        self.offline_label = QLabel("", window)
        self.offline_label.setObjectName("offlineProgressLabel")
        self.offline_bar = QProgressBar(window)
        self.offline_bar.setObjectName("offlineProgress")
        self.offline_bar.setTextVisible(False)
        self.offline_bar.setFixedWidth(110)
        self.offline_stop = QToolButton(window)
        self.offline_stop.setText("Stop")
        self.offline_stop.setToolTip("Stop downloading for offline reading (Esc)")
        self.offline_stop.setAutoRaise(True)
        self.offline_stop.clicked.connect(self.stop_offline_work)
        status.insertPermanentWidget(0, self.offline_stop)
        status.insertPermanentWidget(0, self.offline_bar)
        status.insertPermanentWidget(0, self.offline_label)
        self._show_offline_progress(False)
        window.named_actions["stop_offline_work"].setEnabled(False)

        view = window.reading_view
        view.text_source_requested.connect(self._use_text_source)
        view.refetch_requested.connect(self.refetch_full_text)
        view.related_article_requested.connect(
            lambda article_id: self._open_article(ArticleId(article_id))
        )

        # The feed's offline options: one set of actions for the Feed menu and the context menu.
        self.full_text_menu = QMenu("&Full Text", window)
        _group, self.full_text_actions = add_choices(
            self.full_text_menu,
            POLICY_LABELS,
            self._set_full_text,
            name=lambda policy: f"full_text_{policy.value}",
        )
        self.download_images_action = QAction("Download &Images", window)
        self.download_images_action.setObjectName("download_images")
        self.download_images_action.setCheckable(True)
        self.download_images_action.triggered.connect(self._set_feed_images)
        feed_menu = window.menus["Feed"]
        feed_menu.addSeparator()
        feed_menu.addMenu(self.full_text_menu)
        feed_menu.addAction(self.download_images_action)
        feed_menu.aboutToShow.connect(lambda: self._reflect_feed_options(self._selected_node()))
        window.menus["Article"].aboutToShow.connect(self._reflect_article_options)
        window.feeds_pane.set_menu_extender(self._extend_feed_menu)

        window.setAcceptDrops(True)
        self.update_saved_count()

    def apply_offline_changes(self, changes: Changes) -> None:
        """After any write: the Saved count, and the Saved list when something was saved."""
        window = self._win()
        if changes.saved or (changes.counts and window.refreshing is None):
            self.update_saved_count()
        if changes.saved and window.feeds_pane.selected_key() == SAVED_KEY:
            keep = window.articles_pane.current_article()
            window.articles_model.reload()
            if keep is not None:
                window.articles_pane.select_article(keep.id)

    def update_saved_count(self) -> None:
        window = self._win()
        try:
            window.feeds_model.set_saved(window.reader.saved_unread_count())
        except GlossError:
            return  # a count is not worth an error dialog; the next change tries again
        window._update_title()

    def _selected_node(self) -> Node | None:
        return self._win().feeds_pane.selected_node()

    # ---- feed options ---------------------------------------------------------------------

    def _reflect_feed_options(self, node: Node | None) -> None:
        feed = node.feed if node is not None else None
        self.full_text_menu.setEnabled(feed is not None)
        self.download_images_action.setEnabled(feed is not None)
        if feed is not None:
            self.full_text_actions[feed.full_text].setChecked(True)
            self.download_images_action.setChecked(feed.images)
        else:
            self.download_images_action.setChecked(False)
        make = self._win().named_actions["make_available_offline"]
        if node is not None and node.kind is NodeKind.SMART:
            make.setText("Make All Articles Available &Offline")
        else:
            make.setText("Make Available &Offline")

    def _extend_feed_menu(self, menu: QMenu, node: Node | None) -> None:
        """The context menu of a feed, a folder or a smart view: offline options and actions."""
        self._reflect_feed_options(node)
        if node is None or node.kind in (NodeKind.TAGS, NodeKind.TAG):
            return
        if node.kind is NodeKind.SMART and node.smart is not SmartView.ALL:
            return
        menu.addSeparator()
        if node.feed is not None:
            menu.addMenu(self.full_text_menu)
            menu.addAction(self.download_images_action)
        menu.addAction(self._win().named_actions["make_available_offline"])

    def _set_full_text(self, policy: FullTextPolicy) -> None:
        self._set_feed_offline(full_text=policy)

    def _set_feed_images(self, checked: bool) -> None:
        self._set_feed_offline(images=checked)

    def _set_feed_offline(
        self, *, full_text: FullTextPolicy | None = None, images: bool | None = None
    ) -> None:
        """The selected feed's full-text policy or image downloading, from its menu."""
        node = self._selected_node()
        if node is None or node.feed is None:
            return
        feed_id = node.feed.id
        self._win().tasks.mutate(
            lambda lib: lib.set_feed_offline(feed_id, full_text=full_text, images=images),
            initiator=self,
        )

    def make_available_offline(self) -> None:
        node = self._selected_node()
        feed_ids: list[FeedId] | None = None
        folder_id = None
        if node is not None and node.feed is not None:
            feed_ids = [node.feed.id]
        elif node is not None and node.folder is not None:
            folder_id = node.folder.id
        elif node is not None and node.kind is not NodeKind.SMART:
            return
        self.run_offline_job(
            OfflineJob(
                lambda lib: lib.make_available_offline(feed_ids, folder_id=folder_id),
                "Making {n} articles available offline",
            )
        )

    # ---- the offline job runner -----------------------------------------------------------

    def continue_offline(self, article_ids: Sequence[ArticleId]) -> None:
        """After a refresh: fetch the full texts and images of what it brought, in the back."""
        if not article_ids:
            return
        ids = list(article_ids)
        self.run_offline_job(
            OfflineJob(
                lambda lib: lib.process_offline(ids),
                "Fetching full texts and images of {n} articles",
                quiet=True,
            )
        )

    def run_offline_job(self, job: OfflineJob) -> None:
        """Start ``job``, or queue it behind the one running (one progress bar at a time)."""
        if self._offline_job is not None:
            self._offline_queue.append(job)
            return
        self._offline_job = job
        window = self._win()

        def run(lib: Library) -> Iterator[OfflineProgress]:
            if job.cancelled:
                return
            steps = job.make(lib)
            try:
                for step in steps:
                    yield step
                    if job.cancelled:
                        return  # what is stored stays; the rest stays queued in the library
            finally:
                close = getattr(steps, "close", None)
                if close is not None:
                    close()

        self.offline_bar.setRange(0, 0)
        self.offline_label.setText(job.label())
        self._show_offline_progress(True)
        window.named_actions["stop_offline_work"].setEnabled(True)
        window.tasks.run_db_steps(
            run,
            lambda step: self._offline_step(job, step),
            lambda _v: self._offline_done(job),
            lambda error: self._offline_failed(job, error),
        )

    def _offline_step(self, job: OfflineJob, step: OfflineProgress) -> None:
        job.done, job.total = step.done, step.total
        job.report = job.report.add(step)
        self.offline_label.setText(job.label())
        self.offline_bar.setRange(0, max(1, job.total))
        self.offline_bar.setValue(job.done)
        window = self._win()
        detail = window.reading_view.detail
        if detail is not None and detail.article.id in step.changes.articles:
            self._reshow_open_article(detail.article.id)
        window.tasks.broadcast(step.changes, self)

    def _reshow_open_article(self, article_id: ArticleId) -> None:
        """The open article got its full text or images: show them where the reader is."""
        window = self._win()
        try:
            fresh = window.reader.get_article(article_id)
        except GlossError:
            return
        window.reading_view.show_article(fresh, keep_scroll=True)
        window.reading_view.set_highlights(window.reader.list_highlights(article_id))

    def _offline_done(self, job: OfflineJob) -> None:
        self._finish_offline(job)
        summary = job.summary()
        self._last_offline_summary = summary
        # Background work speaks only when it stored something: its failures are retried by
        # themselves, and the refresh's own message ("3 failed") must not be covered by them.
        if not job.quiet or job.cancelled or job.report.full_texts or job.report.images:
            self._win().statusBar().showMessage(summary, 10_000)

    def _offline_failed(self, job: OfflineJob, error: BaseException) -> None:
        self._finish_offline(job)
        if not isinstance(error, GlossError):
            raise error
        self._last_offline_summary = str(error)
        self._win().statusBar().showMessage(str(error), 10_000)

    def _finish_offline(self, job: OfflineJob) -> None:
        self._offline_job = None
        self._show_offline_progress(False)
        self._win().named_actions["stop_offline_work"].setEnabled(False)
        if self._offline_queue:
            self.run_offline_job(self._offline_queue.pop(0))

    def _show_offline_progress(self, shown: bool) -> None:
        for widget in (self.offline_label, self.offline_bar, self.offline_stop):
            widget.setVisible(shown)
        if not shown:
            self.offline_label.setText("")

    def stop_offline_work(self) -> None:
        """Stop after the article being fetched; queued jobs are dropped too."""
        job = self._offline_job
        if job is None:
            return
        for queued in self._offline_queue:
            queued.cancelled = True
        job.cancelled = True
        self.offline_label.setText(job.label())
        self.offline_stop.setEnabled(True)

    def offline_running(self) -> bool:
        return self._offline_job is not None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Esc that no pane used (a re-attach, a note) stops the offline download."""
        if event.key() == Qt.Key.Key_Escape and self._offline_job is not None:
            self.stop_offline_work()
            event.accept()
            return
        super().keyPressEvent(event)  # type: ignore[misc]

    # ---- the open article's text ----------------------------------------------------------

    def _reflect_article_options(self) -> None:
        window = self._win()
        detail = window.reading_view.detail
        toggle = window.named_actions["toggle_text_source"]
        shows_full = (
            detail is not None
            and detail.text is not None
            and (detail.text.source is TextSource.FULLTEXT)
        )
        toggle.setText("Show &Feed Text" if shows_full else "Show &Full Text")

    def toggle_text_source(self) -> None:
        window = self._win()
        detail = window.reading_view.detail
        if detail is None or detail.text is None:
            window.statusBar().showMessage("Open an article to switch its text.", 4000)
            return
        current = detail.text.source
        wanted = TextSource.FEED if current is TextSource.FULLTEXT else TextSource.FULLTEXT
        if wanted not in detail.sources:
            window.statusBar().showMessage(
                "This article has no full text yet: use Article → Fetch Full Text Again."
                if wanted is TextSource.FULLTEXT
                else "This article has no feed text to switch to.",
                5000,
            )
            return
        self._use_text_source(wanted.value)

    def _use_text_source(self, source: str) -> None:
        window = self._win()
        detail = window.reading_view.detail
        if detail is None:
            return
        article_id = detail.article.id
        try:
            wanted = TextSource(source)
        except ValueError:
            return

        def done(_changes: Changes) -> None:
            shown = window.reading_view.detail
            if shown is None or shown.article.id != article_id:
                return
            if shown.text is None or shown.text.source is not wanted:
                window.show_article_by_id(article_id)

        window.tasks.mutate(
            lambda lib: lib.use_text_source(article_id, wanted)[1], initiator=self, on_done=done
        )

    def refetch_full_text(self) -> None:
        window = self._win()
        detail = window.reading_view.detail
        if detail is None:
            window.statusBar().showMessage("Open an article to fetch its page again.", 4000)
            return
        article_id = detail.article.id
        self.run_offline_job(
            OfflineJob(lambda lib: lib.refetch_full_text(article_id), "Fetching the full text")
        )

    def _open_article(self, article_id: ArticleId) -> None:
        """Select the article in the list when it is there, else just show it."""
        window = self._win()
        window.show_highlights_page(False)
        if not window.articles_pane.select_article(article_id):
            window.show_article_by_id(article_id)

    # ---- saving ---------------------------------------------------------------------------

    def go_saved(self) -> None:
        self._win().feeds_pane.select_key(SAVED_KEY)

    def save_page(self, initial: str = "", *, start: bool = False) -> SavePageDialog:
        dialog = SavePageDialog(initial, self._win())
        self._keep_dialog(dialog)
        dialog.save_requested.connect(lambda text: self._save_location(dialog, text))
        dialog.open_requested.connect(lambda article_id: self._open_from(dialog, article_id))
        dialog.open()
        if start and initial:
            self._save_location(dialog, initial)
        return dialog

    def save_clipboard(self) -> None:
        clipboard = QGuiApplication.clipboard()
        mime = clipboard.mimeData()
        if mime is not None and self.save_mime(mime):
            return
        self._win().statusBar().showMessage(
            "The clipboard holds no web address, file or text to save.", 5000
        )

    def save_mime(self, mime: QMimeData) -> bool:
        """Save what was pasted or dropped: a web address, a file, or a text."""
        urls = [u for u in mime.urls() if u.isValid()] if mime.hasUrls() else []
        wanted = [u for u in urls if u.isLocalFile() or u.scheme().lower() in ("http", "https")]
        # Several dropped files or links are each saved (each in its own dialog), up to a
        # number one can still follow on screen.
        for url in wanted[:MAX_DROPPED]:
            if url.isLocalFile():
                self.save_path(Path(url.toLocalFile()))
            else:
                self.save_page(url.toString(), start=True)
        if len(wanted) > MAX_DROPPED:
            self._win().statusBar().showMessage(
                f"Saving the first {MAX_DROPPED} of {len(wanted)} dropped items; "
                "drop the rest again afterwards.",
                8000,
            )
        if wanted:
            return True
        text = mime.text() if mime.hasText() else ""
        if not text.strip():
            return False
        address = single_web_address(text)
        if address is not None:
            self.save_page(address, start=True)
        else:
            self.save_text_dialog(text)
        return True

    def save_text_dialog(self, text: str, fallback_title: str | None = None) -> SaveTextDialog:
        window = self._win()
        dialog = SaveTextDialog(
            text,
            captured_at=dt.datetime.now(dt.UTC),
            run_elsewhere=window.tasks.run_network,
            fallback_title=fallback_title,
            parent=window,
        )
        self._keep_dialog(dialog)
        dialog.save_requested.connect(lambda t: self._save_text(dialog, t))
        dialog.open_requested.connect(lambda article_id: self._open_from(dialog, article_id))
        dialog.open()
        return dialog

    def save_path(self, path: Path) -> None:
        """A dropped or chosen file: HTML is extracted like a page, text goes to Save Text."""
        from reader.core.saving import is_html_file

        if is_html_file(path):
            self.save_page(str(path), start=True)
            return
        self._read_text_file(path, None)

    def _keep_dialog(self, dialog: Any) -> None:
        self._save_dialogs.append(dialog)
        dialog.finished.connect(lambda _r: self._drop_dialog(dialog))

    def _drop_dialog(self, dialog: Any) -> None:
        if dialog in self._save_dialogs:
            self._save_dialogs.remove(dialog)
        dialog.deleteLater()

    def _open_from(self, dialog: Any, article_id: int) -> None:
        dialog.accept()
        self.open_saved(ArticleId(article_id), select_saved=False)

    def _save_location(self, dialog: SavePageDialog, text: str) -> None:
        address = single_web_address(text)
        path = Path(text).expanduser()
        if address is None and not text.lower().startswith(("http:", "https:")):
            if path.is_file():
                from reader.core.saving import is_html_file

                if is_html_file(path):
                    self._save_html_file(dialog, path)
                else:
                    self._read_text_file(path, dialog)
                return
            if "." in text and " " not in text and "/" not in text.split(".", 1)[0]:
                address = f"https://{text}"  # a bare "example.org/page"
        if address is None:
            dialog.show_error(
                "Type a web address starting with http:// or https://, or choose a file."
                if not path.exists()
                else f"{path} is not a file."
            )
            return
        self._save_url(dialog, address)

    def _with_pool(self, then: Callable[[ParsePool], None], failed: Callable[[Any], None]) -> None:
        """The library's page extractors, asked for once on the writer thread."""
        if self._page_pool is not None:
            then(self._page_pool)
            return

        def got(pool: ParsePool) -> None:
            self._page_pool = pool
            then(pool)

        self._win().tasks.run_db(lambda lib: lib.page_extractor(), got, failed)

    def _save_url(self, dialog: SavePageDialog, url: str) -> None:
        window = self._win()
        dialog.set_busy("Looking in your library…")
        failed = self._save_failed(dialog)

        def found(article_id: ArticleId | None) -> None:
            if dialog.cancelled:
                return
            if article_id is not None:
                dialog.show_duplicate(int(article_id), self._title_of(article_id))
                return
            dialog.set_busy("Fetching the page…")
            self._with_pool(fetch, failed)

        def fetch(pool: ParsePool) -> None:
            from reader.core.saving import fetch_page

            window.tasks.run_network(lambda: fetch_page(url, pool), store, failed)

        def store(page: ExtractedPage) -> None:
            if dialog.cancelled:
                window.statusBar().showMessage("Not saved: the dialog was closed.", 4000)
                return
            dialog.set_busy("Saving…")
            window.tasks.run_db(
                lambda lib: lib.save_extracted(page, source_url=url),
                lambda result: self._saved(dialog, result),
                failed,
            )

        window.tasks.run_db(lambda lib: lib.find_saved(url=url), found, failed)

    def _save_html_file(self, dialog: SavePageDialog, path: Path) -> None:
        window = self._win()
        dialog.set_busy("Reading the file…")
        failed = self._save_failed(dialog)

        def read(pool: ParsePool) -> None:
            from reader.core.saving import read_html_file

            window.tasks.run_network(lambda: read_html_file(path, pool), store, failed)

        def store(page: ExtractedPage) -> None:
            if dialog.cancelled:
                return
            window.tasks.run_db(
                lambda lib: lib.save_extracted(page, source_url=None, fallback_title=path.stem),
                lambda result: self._saved(dialog, result),
                failed,
            )

        self._with_pool(read, failed)

    def _read_text_file(self, path: Path, dialog: SavePageDialog | None) -> None:
        """A text or Markdown file is read off the GUI thread, then shown in Save Text."""
        window = self._win()
        if dialog is not None:
            dialog.set_busy("Reading the file…")

        def got(text: str) -> None:
            if dialog is not None:
                if dialog.cancelled:
                    return
                dialog.accept()
            self.save_text_dialog(text, fallback_title=path.stem)

        def failed(error: BaseException) -> None:
            if not isinstance(error, GlossError):
                raise error
            if dialog is not None:
                dialog.show_error(str(error))
            else:
                window.show_error(str(error))

        from reader.core.saving import read_text_file

        window.tasks.run_network(lambda: read_text_file(path), got, failed)

    def _save_text(self, dialog: SaveTextDialog, text: str) -> None:
        dialog.set_busy("Saving…")
        captured_at, fallback = dialog.captured_at, dialog.fallback_title
        self._win().tasks.run_db(
            lambda lib: lib.save_text(text, captured_at=captured_at, fallback_title=fallback),
            lambda result: self._saved(dialog, result),
            self._save_failed(dialog),
        )

    def _save_failed(self, dialog: Any) -> Callable[[BaseException], None]:
        def failed(error: BaseException) -> None:
            if not isinstance(error, GlossError):
                raise error
            dialog.show_error(str(error))

        return failed

    def _saved(self, dialog: Any, result: SaveResult) -> None:
        window = self._win()
        window.tasks.broadcast(result.changes, self)
        if result.duplicate:
            dialog.show_duplicate(int(result.article_id), result.title)
            return
        dialog.accept()
        related = f" and {len(result.related)} related article(s)" if result.related else ""
        window.statusBar().showMessage(f"Saved “{result.title}”{related}.", 6000)
        self.open_saved(result.article_id)
        ids = [result.article_id, *result.related]
        self.run_offline_job(
            OfflineJob(lambda lib: lib.process_offline(ids), "Fetching images", quiet=True)
        )

    def open_saved(self, article_id: ArticleId, *, select_saved: bool = True) -> None:
        """Show a saved article in the Saved list (it is the newest there)."""
        window = self._win()
        window.show_highlights_page(False)
        if select_saved and window.feeds_pane.selected_key() != SAVED_KEY:
            window.feeds_pane.select_key(SAVED_KEY)
        elif select_saved:
            window.articles_model.reload()
        self._open_article(article_id)

    def _title_of(self, article_id: ArticleId) -> str:
        found = self._win().reader.get_articles([article_id])
        return found[0].title if found else ""

    # ---- drag and drop --------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        mime = event.mimeData()
        if mime.hasUrls() or mime.hasText():
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        if self.save_mime(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    # ---- settings -------------------------------------------------------------------------

    def offline_settings(self) -> None:
        window = self._win()

        def read(lib: Library) -> Any:
            return lib.offline_settings(), lib.check()

        window.tasks.run_db(
            read, lambda values: self._open_offline_settings(*values), self._settings_failed
        )

    def _open_offline_settings(self, settings: Any, report: Any) -> None:
        window = self._win()
        dialog = OfflineSettingsDialog(settings, report, window)
        self._keep_dialog(dialog)

        def prune() -> None:
            def run(lib: Library) -> Any:
                removed = lib.prune_image_cache()
                return removed, lib.check()

            window.tasks.run_db(
                run, lambda r: dialog.set_report(r[1], removed=r[0]), self._settings_failed
            )

        def accepted() -> None:
            values = dialog.values()
            if values == settings:
                return
            window.tasks.run_db(
                lambda lib: lib.set_offline_settings(
                    images=values.images,
                    image_cache_mb=values.image_cache_mb,
                    max_image_mb=values.max_image_mb,
                ),
                lambda _s: window.statusBar().showMessage("Offline settings saved.", 4000),
                self._settings_failed,
            )

        dialog.prune_requested.connect(prune)
        dialog.accepted.connect(accepted)
        dialog.open()
        self.offline_settings_dialog = dialog

    def _settings_failed(self, error: BaseException) -> None:
        if not isinstance(error, GlossError):
            raise error
        self._win().show_error(str(error))
