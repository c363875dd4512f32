"""A plain-text Markdown editor that saves by itself, with a live preview.

There is no Save button because a note that needs one gets lost: the editor asks for a save
~400 ms after typing stops, and at once when it loses focus, is hidden, or is switched to
another note (``open_text`` and ``flush``). It never writes itself: it emits
``save_requested(body)`` and its owner, who knows what the text belongs to, performs the write
and reports back with ``save_succeeded`` or ``save_failed``. A failed save leaves the text in the
editor, says why, and offers to retry; nothing the user typed is thrown away.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reader.gui.resources import Theme
from reader.gui.widgets.markdown_preview import MarkdownPreview

SAVE_DELAY_MS = 400
PREVIEW_DELAY_MS = 150
SIDE_BY_SIDE_MIN_WIDTH = 560  # narrower than this, the preview goes below the text

# Keys that mean editing here, never the window's single-key shortcuts (J, Space, Delete, Enter).
_EDITING_KEYS = frozenset(
    {
        Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Delete, Qt.Key.Key_Backspace,
        Qt.Key.Key_Space, Qt.Key.Key_Tab, Qt.Key.Key_Home, Qt.Key.Key_End,
        Qt.Key.Key_Left, Qt.Key.Key_Right, Qt.Key.Key_Up, Qt.Key.Key_Down,
        Qt.Key.Key_PageUp, Qt.Key.Key_PageDown,
    }
)  # fmt: skip


class NoteTextEdit(QPlainTextEdit):
    """The text field: keeps its keys from the window's shortcuts and reports leaving."""

    focus_lost = Signal()
    finish_requested = Signal()  # Escape or Ctrl+Return

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and isinstance(e, QKeyEvent):
            mods = e.modifiers() & ~Qt.KeyboardModifier.ShiftModifier
            plain = mods in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.KeypadModifier)
            if plain and (e.key() in _EDITING_KEYS or (e.text().isprintable() and e.text())):
                e.accept()
                return True
            if e.matches(QKeySequence.StandardKey.Undo) or e.matches(QKeySequence.StandardKey.Redo):
                e.accept()
                return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        ctrl_return = e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and bool(
            e.modifiers() & Qt.KeyboardModifier.ControlModifier
        )
        if e.key() == Qt.Key.Key_Escape or ctrl_return:
            self.finish_requested.emit()
            return
        super().keyPressEvent(e)

    def focusOutEvent(self, e: object) -> None:
        super().focusOutEvent(e)  # type: ignore[arg-type]
        self.focus_lost.emit()


class ElidedLabel(QLabel):
    """One line that ends in "…" when the pane is too narrow for it (the tooltip has it all)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self._full = text
        self.setToolTip(text)
        self._elide()

    def full_text(self) -> str:
        return self._full

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        self._elide()

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        self.setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight, self.width()))


class NoteEditor(QWidget):
    """Edit one text at a time; the owner decides what it is the text of.

    Status is quiet: nothing while a fresh note is empty, "Saving…" while a save is on its way,
    "Saved" when the library has the text, "Could not save: …" (with Retry) when it failed.
    """

    save_requested = Signal(str)
    done = Signal()  # the user finished (Done, Escape, Ctrl+Return); the text was flushed first
    link_clicked = Signal(QUrl)  # an http(s)/mailto link clicked in the preview
    preview_toggled = Signal(bool)

    def __init__(self, parent: QWidget | None = None, *, save_delay_ms: int = SAVE_DELAY_MS):
        super().__init__(parent)
        self.setObjectName("noteEditor")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._saved = ""  # the text the library is known to hold
        self._requested: str | None = None  # the text of the latest save on its way
        self._error: str | None = None
        self._allow_empty = True
        self._saved_here = False  # a save succeeded since this text was opened
        self._loading = False

        self.title = ElidedLabel(self)
        self.title.setObjectName("noteEditorTitle")
        self.preview_button = QToolButton(self)
        self.preview_button.setObjectName("filterButton")  # the window's segmented-toggle look
        self.preview_button.setText("Preview")
        self.preview_button.setCheckable(True)
        self.preview_button.setToolTip("Show the note formatted (Ctrl+Shift+P)")
        self.preview_button.setShortcut(QKeySequence("Ctrl+Shift+P"))
        self.preview_button.toggled.connect(self.set_preview_visible)
        self.done_button = QToolButton(self)
        self.done_button.setObjectName("filterButton")
        self.done_button.setText("Done")
        self.done_button.setToolTip("Close the editor; the note is already saved (Esc)")
        self.done_button.clicked.connect(self.finish)
        header = QHBoxLayout()
        header.setContentsMargins(12, 6, 8, 4)
        header.setSpacing(4)
        header.addWidget(self.title, 1)
        header.addWidget(self.preview_button)
        header.addWidget(self.done_button)

        self.edit = NoteTextEdit(self)
        self.edit.setObjectName("noteText")
        self.edit.setTabChangesFocus(True)
        self.edit.setFrameShape(QPlainTextEdit.Shape.NoFrame)
        self.edit.document().setDocumentMargin(10)
        self.edit.setPlaceholderText("Write a note. Markdown works; #tags become tags.")
        self.edit.textChanged.connect(self._on_text_changed)
        self.edit.focus_lost.connect(self.flush)
        self.edit.finish_requested.connect(self.finish)
        self.preview = MarkdownPreview(self)
        self.preview.link_clicked.connect(self.link_clicked)
        self.preview.hide()
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("noteEditorSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.edit)
        self.splitter.addWidget(self.preview)

        self.status = QLabel(self)
        self.status.setObjectName("noteStatus")
        self.status.setAccessibleName("Save status")
        self.retry_button = QPushButton("Retry", self)
        self.retry_button.setObjectName("retryButton")
        self.retry_button.setToolTip("Try saving the note again")
        self.retry_button.clicked.connect(self.retry)
        self.retry_button.hide()
        self.hint = QLabel("Markdown", self)
        self.hint.setObjectName("noteHint")
        footer = QHBoxLayout()
        footer.setContentsMargins(12, 2, 8, 6)
        footer.setSpacing(6)
        footer.addWidget(self.status, 1)
        footer.addWidget(self.retry_button)
        footer.addWidget(self.hint)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(header)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(footer)

        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(save_delay_ms)
        self._save_timer.timeout.connect(self.flush)
        self._preview_timer = QTimer(self)
        self._preview_timer.setSingleShot(True)
        self._preview_timer.setInterval(PREVIEW_DELAY_MS)
        self._preview_timer.timeout.connect(self._update_preview)
        self._error_colour = "#c92a2a"
        self._muted_colour = "#6b6f76"
        self._show_status()

    def set_save_delay(self, ms: int) -> None:
        """How long after the last keystroke a save is asked for."""
        self._save_timer.setInterval(ms)

    # ---- what is being edited -------------------------------------------------------------

    def open_text(self, text: str, *, title: str = "", allow_empty: bool = True) -> None:
        """Start editing ``text`` (the stored body). Call ``flush`` first if another text was
        open: the owner routes that save to the old target before switching.

        ``allow_empty=False`` for a note that must not be saved empty (a new note: nothing is
        written until there is something to write)."""
        self._save_timer.stop()
        self._saved = text
        self._requested = None
        self._error = None
        self._saved_here = False
        self._allow_empty = allow_empty
        self._loading = True
        try:
            self.edit.setPlainText(text)  # also clears the undo history
        finally:
            self._loading = False
        self.title.set_full_text(title)
        self._update_preview()
        self._show_status()

    def text(self) -> str:
        return self.edit.toPlainText()

    def is_dirty(self) -> bool:
        """Text the library does not have yet (typed, or a save that failed)."""
        return self.text() != self._saved

    def is_saving(self) -> bool:
        return self._requested is not None

    def error(self) -> str | None:
        return self._error

    def focus_text(self) -> None:
        self.edit.setFocus(Qt.FocusReason.OtherFocusReason)
        cursor = self.edit.textCursor()
        cursor.movePosition(cursor.MoveOperation.End)
        self.edit.setTextCursor(cursor)

    # ---- saving ---------------------------------------------------------------------------

    def flush(self) -> None:
        """Ask for a save now if the text changed since the last one (no-op otherwise)."""
        self._save_timer.stop()
        text = self.text()
        if text == self._saved or text == self._requested:
            return
        if not self._allow_empty and not text.strip():
            return
        self._requested = text
        self._error = None
        self._show_status()
        self.save_requested.emit(text)

    def retry(self) -> None:
        self._requested = None
        self.flush()

    def save_succeeded(self, text: str) -> None:
        """The owner stored ``text``."""
        self._saved = text
        self._saved_here = True
        if self._requested == text:
            self._requested = None
        self._error = None
        self._show_status()

    def save_failed(self, text: str, message: str) -> None:
        """The owner could not store ``text``; it stays here, and the user is told."""
        if self._requested == text:
            self._requested = None
        self._error = message or "unknown error"
        self._show_status()

    def finish(self) -> None:
        self.flush()
        self.done.emit()

    def _on_text_changed(self) -> None:
        if self._loading:
            return
        self._save_timer.start()
        if self.preview.isVisible():
            self._preview_timer.start()
        if self._error is None and self._requested is None:
            self._show_status()

    # ---- preview --------------------------------------------------------------------------

    def set_preview_visible(self, visible: bool) -> None:
        if self.preview_button.isChecked() != visible:
            self.preview_button.setChecked(visible)  # comes back here through toggled
            return
        self.preview.setVisible(visible)
        if visible:
            self._update_preview()
        self.preview_toggled.emit(visible)

    def preview_visible(self) -> bool:
        return self.preview_button.isChecked()

    def _update_preview(self) -> None:
        if self.preview_button.isChecked():
            self.preview.set_markdown(self.text())

    def resizeEvent(self, e: QResizeEvent) -> None:
        super().resizeEvent(e)
        wide = e.size().width() >= SIDE_BY_SIDE_MIN_WIDTH
        wanted = Qt.Orientation.Horizontal if wide else Qt.Orientation.Vertical
        if self.splitter.orientation() != wanted:
            self.splitter.setOrientation(wanted)

    # ---- look -----------------------------------------------------------------------------

    def set_theme(self, theme: Theme) -> None:
        self._error_colour, self._muted_colour = theme.error, theme.muted
        self.hint.setStyleSheet(f"color: {theme.muted};")
        self.title.setStyleSheet(f"color: {theme.muted}; font-weight: 600;")
        self.preview.set_theme(theme)
        self._show_status()

    def _show_status(self) -> None:
        error = self._error is not None
        if error:
            text = f"Could not save: {self._error}"
        elif self._requested is not None:
            text = "Saving…"
        elif self._saved_here and not self.is_dirty():
            text = "Saved"
        else:
            text = ""  # quiet while typing and before anything was saved
        self.status.setText(text)
        self.status.setToolTip(text if error else "")
        colour = self._error_colour if error else self._muted_colour
        self.status.setStyleSheet(f"color: {colour};")
        self.retry_button.setVisible(error)

    def hideEvent(self, e: object) -> None:
        self.flush()  # a hidden editor's text must not wait for a timer that may never fire
        super().hideEvent(e)  # type: ignore[arg-type]
