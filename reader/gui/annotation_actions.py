"""The window's highlight, note and export commands (mixed into ``MainWindow``).

Each method is the handler of the action of the same name in ``actions.ACTIONS``. Writes go
through the TaskManager's writer thread and come back as ``Changes``; long exports run there too,
so the window never freezes, and their outcome is told in plain sentences.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox

from reader.core.errors import GlossError
from reader.core.types import (
    HIGHLIGHT_COLORS,
    ArticleId,
    Changes,
    ExportReport,
    FeedId,
    FolderId,
    HighlightId,
    ImportReport,
    NoteId,
)

if TYPE_CHECKING:
    from reader.core.library import Library
    from reader.gui.main_window import MainWindow
    from reader.gui.panes.annotations_pane import NoteSave

LAST_EXPORT_DIR = "last_export_dir"


def describe_export(report: ExportReport) -> str:
    """What an export did, in sentences a user reads once and understands."""
    total = len(report.written) + len(report.unchanged) + len(report.kept_user_edits)
    if total == 0:
        return "Nothing to export: none of these articles has highlights or notes yet."
    parts = [f"Exported {total} article{'s' * (total != 1)} to {report.directory}."]
    if report.written:
        parts.append(f"{len(report.written)} file{'s' * (len(report.written) != 1)} written.")
    if report.unchanged:
        parts.append(f"{len(report.unchanged)} already up to date.")
    for kept, copy in zip(report.kept_user_edits, report.conflict_copies, strict=False):
        parts.append(
            f"“{kept}” was edited outside Gloss, so it was left as it is; the new export is "
            f"in “{copy}”."
        )
    return " ".join(parts)


def describe_import(report: ImportReport) -> str:
    parts = [f"{report.added} added, {report.updated} updated, {report.unchanged} already here."]
    if report.orphans:
        parts.append(
            f"{report.orphans} highlight{'s' * (report.orphans != 1)} could not be placed in "
            "this library's text; they are kept and listed under “Could not place”."
        )
    if report.unmatched:
        parts.append(
            f"{len(report.unmatched)} article{'s' * (len(report.unmatched) != 1)} are not in "
            "this library (subscribe to their feeds, then import again)."
        )
    if report.skipped:
        parts.append(f"{len(report.skipped)} annotation(s) in the file could not be used.")
    return " ".join(parts)


class AnnotationActions:
    """Handlers for the annotation actions; ``self`` is the MainWindow."""

    def _window(self) -> MainWindow:
        return self  # type: ignore[return-value]

    # ---- wiring ---------------------------------------------------------------------------

    def connect_annotations(self) -> None:
        """Connect the reading view, the pane and the Highlights view to the library."""
        window = self._window()
        view, pane, tasks = window.reading_view, window.annotations_pane, window.tasks

        def current_article() -> ArticleId | None:
            detail = view.detail
            return detail.article.id if detail is not None else None

        def create(start: int, end: int, color: str, with_note: bool = False) -> None:
            article_id = current_article()
            if article_id is None:
                return

            def run(lib: Library) -> Changes:
                _highlight, changes = lib.add_highlight(article_id, start, end, color=color)
                return changes

            def done(changes: Changes) -> None:
                if with_note and changes.highlights:
                    pane.open_highlight_note(int(next(iter(changes.highlights))))

            tasks.mutate(run, on_done=done)

        view.highlight_requested.connect(create)
        view.highlight_with_note_requested.connect(lambda s, e, c: create(s, e, c, with_note=True))
        view.reattach_requested.connect(
            lambda hid, s, e: tasks.mutate(
                lambda lib: lib.reattach_highlight(HighlightId(hid), s, e)
            )
        )
        view.color_change_requested.connect(
            lambda hid, c: tasks.mutate(lambda lib: lib.set_highlight_color(HighlightId(hid), c))
        )
        view.note_edit_requested.connect(self._edit_highlight_note)
        view.delete_requested.connect(pane.delete_highlight)
        view.status_message.connect(lambda text: window.statusBar().showMessage(text, 5000))

        pane.highlight_activated.connect(view.scroll_to_highlight)
        pane.reattach_requested.connect(view.begin_reattach)
        pane.highlight_color_changed.connect(
            lambda hid, c: tasks.mutate(lambda lib: lib.set_highlight_color(HighlightId(hid), c))
        )
        pane.highlight_tags_changed.connect(
            lambda hid, tags: tasks.mutate(
                lambda lib: lib.set_highlight_tags(HighlightId(hid), tags)
            )
        )
        pane.highlight_delete_requested.connect(
            lambda hid: tasks.mutate(lambda lib: lib.delete_highlight(HighlightId(hid)))
        )
        pane.highlight_restore_requested.connect(
            lambda hid: tasks.mutate(lambda lib: lib.restore_highlight(HighlightId(hid)))
        )
        pane.note_delete_requested.connect(
            lambda nid: tasks.mutate(lambda lib: lib.delete_note(NoteId(nid)))
        )
        pane.note_restore_requested.connect(
            lambda nid: tasks.mutate(lambda lib: lib.restore_note(NoteId(nid)))
        )
        pane.article_tags_changed.connect(
            lambda aid, tags: tasks.mutate(lambda lib: lib.set_article_tags(ArticleId(aid), tags))
        )
        pane.note_save_requested.connect(self._save_note)
        pane.link_clicked.connect(window.open_link)
        window.highlights_view.open_requested.connect(self.open_annotation)
        self.apply_color_labels()
        self._clean_last_export()

    def _clean_last_export(self) -> None:
        """X12: an export killed halfway leaves ``.gloss-tmp-*`` files; remove them at start."""
        from reader.core.export import remove_stale_temp_files

        last = self._window().settings.state(LAST_EXPORT_DIR)
        if isinstance(last, str) and last and Path(last).is_dir():
            with contextlib.suppress(OSError, GlossError):
                remove_stale_temp_files(Path(last))

    def _edit_highlight_note(self, highlight_id: int) -> None:
        window = self._window()
        if not window.named_actions["toggle_annotations"].isChecked():
            window.named_actions["toggle_annotations"].setChecked(True)
        window.annotations_pane.open_highlight_note(highlight_id)

    def _save_note(self, save: NoteSave) -> None:
        pane = self._window().annotations_pane
        self._window().tasks.mutate(
            save.apply,
            on_done=lambda changes: pane.note_save_done(save, changes),
            on_error=lambda error: pane.note_save_failed(save, error),
            durable=True,
        )

    def apply_annotation_changes(self, changes: Changes) -> None:
        """After any write: repaint the article's highlights, refresh the pane and the view."""
        window = self._window()
        if changes.labels:
            self.apply_color_labels()
        detail = window.reading_view.detail
        if detail is not None and (changes.highlights or detail.article.id in changes.articles):
            fresh = window.reader.get_article(detail.article.id)
            if (fresh.text and fresh.text.id) != (detail.text and detail.text.id):
                window.reading_view.show_article(fresh)  # a refresh brought a new text version
            window.reading_view.set_highlights(window.reader.list_highlights(detail.article.id))
        window.annotations_pane.apply_changes(changes)
        if window.middle.currentWidget() is window.highlights_view:
            window.highlights_view.apply_changes(changes)

    # ---- highlighting ---------------------------------------------------------------------

    def highlight_selection(self) -> None:
        view = self._window().reading_view
        if not view.highlight_selection():
            self._window().statusBar().showMessage(
                "Select some words in the article first, then press H.", 4000
            )

    def add_article_note(self) -> None:
        window = self._window()
        if window.reading_view.detail is None:
            window.statusBar().showMessage("Open an article to write a note on it.", 4000)
            return
        if not window.named_actions["toggle_annotations"].isChecked():
            window.named_actions["toggle_annotations"].setChecked(True)
        window.annotations_pane.add_note()

    def undo(self) -> None:
        self._window().annotations_pane.undo_delete()

    def name_colors(self) -> None:
        window = self._window()
        labels = window.reader.color_labels()
        items = [
            f"{labels[c]} ({c})" if labels[c] != c.capitalize() else labels[c]
            for c in HIGHLIGHT_COLORS
        ]
        choice, ok = QInputDialog.getItem(
            window, "Name Highlight Colours", "Colour to name:", items, 0, False
        )
        if not ok:
            return
        color = HIGHLIGHT_COLORS[items.index(choice)]
        label, ok = QInputDialog.getText(
            window,
            "Name Highlight Colours",
            f"What does {color} mean to you? (e.g. “important”, “question”; empty restores "
            f"“{color.capitalize()}”)",
            text=labels[color] if labels[color] != color.capitalize() else "",
        )
        if ok:
            window.tasks.mutate(lambda lib: lib.set_color_label(color, label))

    def apply_color_labels(self) -> None:
        window = self._window()
        labels = window.reader.color_labels()
        window.reading_view.set_color_labels(labels)
        window.annotations_pane.set_color_labels(labels)
        if window.highlights_view is not None:
            window.highlights_view.set_color_labels(labels)

    # ---- copying and exporting ------------------------------------------------------------

    def copy_as_markdown(self) -> None:
        window = self._window()
        detail = window.reading_view.detail
        if detail is None:
            window.statusBar().showMessage("Open an article to copy its highlights.", 4000)
            return
        try:
            text = window.reader.markdown_for_article(detail.article.id)
        except GlossError as e:
            window.show_error(str(e))
            return
        QGuiApplication.clipboard().setText(text)
        window.statusBar().showMessage("Highlights and notes copied as Markdown.", 4000)

    def export_markdown_all(self) -> None:
        self._export_markdown("Export All Highlights & Notes")

    def export_markdown_selected(self) -> None:
        window = self._window()
        ids = [a.id for a in window.articles_pane.selected_articles()]
        if not ids:
            window.statusBar().showMessage("Select one or more articles to export.", 4000)
            return
        self._export_markdown("Export Selected Articles", article_ids=ids)

    def export_markdown_feed(self) -> None:
        window = self._window()
        node = window.feeds_pane.selected_node()
        if node is None or (node.feed is None and node.folder is None):
            self.export_markdown_all()
            return
        if node.feed is not None:
            self._export_markdown(f"Export “{node.feed.title}”", feed_ids=[node.feed.id])
        elif node.folder is not None:
            self._export_markdown(f"Export “{node.folder.name}”", folder_id=node.folder.id)

    def _export_markdown(
        self,
        title: str,
        *,
        article_ids: list[ArticleId] | None = None,
        feed_ids: list[FeedId] | None = None,
        folder_id: FolderId | None = None,
    ) -> None:
        directory = self.choose_export_directory(title)
        if directory is None:
            return
        self.export_markdown_to(
            directory, article_ids=article_ids, feed_ids=feed_ids, folder_id=folder_id
        )

    def choose_export_directory(self, title: str) -> Path | None:
        window = self._window()
        # Preferences → Export's folder first, else the folder used last time, else home.
        start = (
            window.settings.get("export_folder")
            or window.settings.state(LAST_EXPORT_DIR)
            or str(Path.home())
        )
        chosen = QFileDialog.getExistingDirectory(window, title + " — choose a folder", str(start))
        return Path(chosen) if chosen else None

    def export_markdown_to(
        self,
        directory: Path,
        *,
        article_ids: list[ArticleId] | None = None,
        feed_ids: list[FeedId] | None = None,
        folder_id: FolderId | None = None,
        on_done: Callable[[ExportReport], None] | None = None,
    ) -> None:
        window = self._window()
        window.settings.set_state(LAST_EXPORT_DIR, str(directory))
        window.statusBar().showMessage(f"Exporting to {directory}…")

        def run(lib: Library) -> ExportReport:
            return lib.export_markdown(
                directory, article_ids=article_ids, feed_ids=feed_ids, folder_id=folder_id
            )

        def done(report: ExportReport) -> None:
            message = describe_export(report)
            window.statusBar().showMessage(message.split(". ")[0] + ".", 8000)
            if report.kept_user_edits:
                QMessageBox.information(window, "Export", message)
            if on_done is not None:
                on_done(report)

        window.tasks.run_db(run, done, lambda e: window.show_error(f"Export failed: {e}"))

    def export_annotations_json(self) -> None:
        window = self._window()
        start = Path(window.settings.state(LAST_EXPORT_DIR) or Path.home())
        path, _ = QFileDialog.getSaveFileName(
            window,
            "Export Annotations",
            str(start / "gloss-annotations.json"),
            "W3C Web Annotations (*.json)",
        )
        if path:
            self.export_annotations_json_to(Path(path))

    def export_annotations_json_to(
        self, path: Path, on_done: Callable[[Path], None] | None = None
    ) -> None:
        window = self._window()

        def run(lib: Library) -> Path:
            from reader.core.atomic import write_atomic

            data = lib.export_annotations_json()
            try:
                write_atomic(path, data)
            except OSError as e:
                raise GlossError(f"Cannot write {path}: {e.strerror or e}") from e
            return path

        def done(written: Path) -> None:
            window.statusBar().showMessage(f"Annotations written to {written}.", 6000)
            if on_done is not None:
                on_done(written)

        window.tasks.run_db(run, done, lambda e: window.show_error(str(e)))

    def import_annotations(self) -> None:
        window = self._window()
        path, _ = QFileDialog.getOpenFileName(
            window, "Import Annotations", "", "W3C Web Annotations (*.json);;All files (*)"
        )
        if path:
            self.import_annotations_from(Path(path))

    def import_annotations_from(
        self, path: Path, on_done: Callable[[ImportReport], None] | None = None
    ) -> None:
        window = self._window()
        try:
            data = path.read_bytes()
        except OSError as e:
            window.show_error(f"Cannot read {path}: {e.strerror or e}")
            return

        def run(lib: Library) -> tuple[ImportReport, Changes]:
            return lib.import_annotations(data)

        def done(result: tuple[ImportReport, Changes]) -> None:
            report, changes = result
            window.tasks.broadcast(changes)
            QMessageBox.information(window, "Import Annotations", describe_import(report))
            if on_done is not None:
                on_done(report)

        window.tasks.run_db(run, done, lambda e: window.show_error(str(e)))

    # ---- the global Highlights view -------------------------------------------------------

    def show_highlights_view(self) -> None:
        window = self._window()
        window.show_highlights_page(True)

    def open_annotation(self, article_id: int, highlight_id: int | None) -> None:
        """From the Highlights view: show the article and scroll to the highlight."""
        window = self._window()
        window.show_highlights_page(False)
        if not window.articles_pane.select_article(ArticleId(article_id)):
            window.show_article_by_id(ArticleId(article_id))
        if highlight_id is not None:
            window.reading_view.scroll_to_highlight(HighlightId(highlight_id))
