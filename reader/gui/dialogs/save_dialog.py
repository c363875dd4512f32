"""Save Page and Save Text: the two dialogs that keep something under Saved.

Both only collect what to save and show how it went; fetching, extracting and storing are the
main window's work (through the task manager), so the dialogs never freeze. A failure keeps the
dialog open with what the user typed, so a mistyped address can be corrected and saved again; a
page or text already in the library is offered with an "Open it" button instead of a copy.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import GlossError

if TYPE_CHECKING:  # the cleaner (and Markdown) load when a text is first previewed, not at start
    from reader.core.textcapture import CleanCapture

PREVIEW_DELAY_MS = 300  # typing pauses this long before the preview is computed again
LIVE_PREVIEW_CHARS = 20_000  # longer texts are cleaned off the GUI thread
FILE_FILTER = "Pages and texts (*.html *.htm *.txt *.md *.markdown);;All files (*)"

# Runs ``work`` somewhere else and hands its result (or error) back on the GUI thread.
RunElsewhere = Callable[
    [Callable[[], Any], Callable[[Any], None], Callable[[BaseException], None]], None
]


class _Outcome(QWidget):
    """The dialog's message line, with "Open it" when the item is already in the library."""

    open_requested = Signal(int)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.label = QLabel("", self)
        self.label.setObjectName("saveMessage")
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.open_button = QPushButton("&Open it", self)
        self.open_button.hide()
        self.open_button.clicked.connect(self._open)
        self._article_id: int | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.open_button)

    def say(self, text: str, *, error: bool = False) -> None:
        self._article_id = None
        self.open_button.hide()
        self.label.setProperty("error", error)
        # bright-text is the theme's error colour (light or dark)
        self.label.setStyleSheet(f"color: palette({'bright-text' if error else 'link'});")
        self.label.setText(text)

    def offer(self, article_id: int, title: str) -> None:
        self.say(f"Already in your library: “{title}”." if title else "Already in your library.")
        self._article_id = article_id
        self.open_button.show()
        self.open_button.setFocus()

    def _open(self) -> None:
        if self._article_id is not None:
            self.open_requested.emit(self._article_id)


class _SaveDialog(QDialog):
    """What both save dialogs share: a Save button that waits while the window works, and the
    line that reports an error or offers the article already in the library."""

    save_requested = Signal(str)
    open_requested = Signal(int)  # the article already in the library

    def __init__(self, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.cancelled = False
        self.busy = False
        self.outcome = _Outcome(self)
        self.outcome.open_requested.connect(self.open_requested)
        self.buttons = QDialogButtonBox(self)
        self.save_button = self.buttons.addButton("&Save", QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)

    def _payload(self) -> str:
        """What Save sends; empty means there is nothing to save yet."""
        raise NotImplementedError

    def _update_buttons(self) -> None:
        self.save_button.setEnabled(bool(self._payload().strip()) and not self.busy)

    def _save(self) -> None:
        payload = self._payload()
        if payload.strip() and not self.busy:
            self.save_requested.emit(payload)

    # ---- told by the window ---------------------------------------------------------------

    def set_busy(self, message: str) -> None:
        self.busy = True
        self.outcome.say(message)
        self._update_buttons()

    def show_error(self, message: str) -> None:
        """The save failed: say why and leave the input there to be corrected."""
        self.busy = False
        self.outcome.say(message, error=True)
        self._update_buttons()

    def show_duplicate(self, article_id: int, title: str) -> None:
        self.busy = False
        self.outcome.offer(article_id, title)
        self._update_buttons()

    def message(self) -> str:
        return self.outcome.label.text()

    def reject(self) -> None:
        self.cancelled = True
        super().reject()


class SavePageDialog(_SaveDialog):
    """A web address or a file to keep under Saved; sends it stripped."""

    def __init__(self, initial: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save Page")
        self.setMinimumWidth(540)

        intro = QLabel("The address of a web page, or an HTML, text or Markdown file:", self)
        self.location = QLineEdit(initial, self)
        self.location.setObjectName("saveLocation")
        self.location.setPlaceholderText("https://… or a file")
        self.location.textChanged.connect(self._update_buttons)
        browse = QPushButton("&Browse…", self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.location, 1)
        row.addWidget(browse)

        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(row)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)
        self._update_buttons()

    def _browse(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Save a File", "", FILE_FILTER)
        if path:
            self.location.setText(path)

    def _payload(self) -> str:
        return self.location.text().strip()

    def show_error(self, message: str) -> None:
        super().show_error(message)
        self.location.setFocus()


class SaveTextDialog(_SaveDialog):
    """A pasted or dropped text on the left; on the right, what will be stored from it."""

    def __init__(
        self,
        text: str,
        *,
        captured_at: dt.datetime,
        run_elsewhere: RunElsewhere | None = None,
        fallback_title: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Save Text")
        self.resize(980, 620)
        self.captured_at = captured_at
        self.fallback_title = fallback_title
        self.capture: CleanCapture | None = None  # the last preview shown (tests read it)
        self._run_elsewhere = run_elsewhere
        self._generation = 0  # a preview computed for older text is dropped

        self.editor = QPlainTextEdit(self)
        self.editor.setObjectName("saveTextEditor")
        self.editor.setPlainText(text)
        self.editor.textChanged.connect(self._schedule_preview)
        self.preview = QTextBrowser(self)
        self.preview.setObjectName("savePreview")
        self.preview.setOpenLinks(False)
        self.preview.setOpenExternalLinks(False)
        self.preview.document().setDocumentMargin(10)
        left = _titled(self, "Text as copied (edit it here)", self.editor)
        right = _titled(self, "What will be saved", self.preview)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([480, 500])
        splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.outcome)
        layout.addWidget(self.buttons)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self.update_preview)
        self.update_preview()
        self.editor.setFocus()

    def text(self) -> str:
        return self.editor.toPlainText()

    def _schedule_preview(self) -> None:
        self._generation += 1
        self._timer.start()

    def update_preview(self) -> None:
        """Clean the text as saving will, here for short texts, elsewhere for long ones."""
        self._timer.stop()
        self._generation += 1
        generation = self._generation
        text = self.text()
        if not text.strip():
            self._show_capture(None, generation)
            return
        captured_at = self.captured_at

        def clean() -> CleanCapture:
            from reader.core.textcapture import clean_capture

            return clean_capture(text, captured_at=captured_at)

        if len(text) > LIVE_PREVIEW_CHARS and self._run_elsewhere is not None:
            self.preview.setHtml("<p><i>Preparing the preview…</i></p>")
            self._run_elsewhere(
                clean,
                lambda capture: self._show_capture(capture, generation),
                lambda error: self._preview_failed(error, generation),
            )
            return
        try:
            capture = clean()
        except GlossError as e:
            self._preview_failed(e, generation)
            return
        self._show_capture(capture, generation)

    def _show_capture(self, capture: CleanCapture | None, generation: int) -> None:
        if generation != self._generation:
            return
        self.capture = capture
        if capture is None:
            self.preview.setHtml("<p><i>Nothing to save yet.</i></p>")
        else:
            self.preview.setHtml(capture_preview_html(capture, self.fallback_title))
        self._update_buttons()

    def _preview_failed(self, error: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        if not isinstance(error, GlossError):
            raise error
        self.capture = None
        self.preview.setHtml(f"<p><i>No preview: {html.escape(str(error))}</i></p>")
        self._update_buttons()

    def preview_text(self) -> str:
        return self.preview.toPlainText()

    def _payload(self) -> str:
        return self.text()


def _titled(parent: QWidget, title: str, body: QWidget) -> QWidget:
    box = QWidget(parent)
    label = QLabel(title, box)
    label.setObjectName("paneTitle")
    label.setBuddy(body)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(label)
    layout.addWidget(body, 1)
    return box


def capture_preview_html(capture: CleanCapture, fallback_title: str | None = None) -> str:
    """The cleaned capture as the reader will see it: title, source line, paragraphs, and the
    related articles that are stored as articles of their own."""
    esc = html.escape
    title = capture.title or fallback_title or "(untitled: the first words)"
    parts = [f"<h2>{esc(title)}</h2>"]
    meta = [esc(capture.source)] if capture.source else []
    if capture.author:
        meta.append("by " + esc(capture.author))
    if capture.published is not None:
        meta.append(esc(f"{capture.published.astimezone():%Y-%m-%d %H:%M}"))
    if capture.link:
        meta.append(esc(capture.link))
    if meta:
        parts.append(f"<p style='color:gray'>{' · '.join(meta)}</p>")
    if capture.paragraphs:
        parts.extend(f"<p>{esc(p)}</p>" for p in capture.paragraphs)
    else:
        parts.append("<p><i>No text is left once the page furniture is removed.</i></p>")
    if capture.related:
        parts.append("<p><b>Related articles, saved separately:</b></p><ul>")
        for teaser in capture.related:
            line = esc(teaser.title or "(untitled)")
            if teaser.source:
                line += f" <span style='color:gray'>— {esc(teaser.source)}</span>"
            parts.append(f"<li>{line}</li>")
        parts.append("</ul>")
    removed = [r.strip() for r in capture.removed if r.strip()]
    if removed:
        shown = [r if len(r) <= 40 else r[:39].rstrip() + "…" for r in removed[:4]]
        examples = ", ".join(f"“{esc(r)}”" for r in shown) + (", …" if len(removed) > 4 else "")
        noun = "line" if len(removed) == 1 else "lines"
        parts.append(
            f"<p style='color:gray'><small>Left out {len(removed)} {noun}: {examples}</small></p>"
        )
    return "".join(parts)
