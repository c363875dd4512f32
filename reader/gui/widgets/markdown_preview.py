"""A note's Markdown shown as formatted text, with nothing in it able to reach out.

Notes are the user's own text, but they are often pasted from the web, and Markdown passes raw
HTML through. So the rendered HTML goes through the same sanitizer as feed content
(``content.sanitize_html``: no scripts, no ``javascript:`` links, no event attributes), and the
browser that shows it never loads a resource (no remote images, no ``file:`` reads) and never
navigates: a click on a link is only reported, for the owner to open in the system browser.
"""

from __future__ import annotations

import html as html_lib
import re
from typing import Any

import markdown
from PySide6.QtCore import QUrl, Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from reader.core.content import sanitize_html
from reader.gui.resources import Theme, article_stylesheet

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
PREVIEW_FONT_SIZE = 13
_EXTENSIONS = ("extra", "sane_lists")


_FENCE_RE = re.compile(r"^\s*(```|~~~)")
_TAG_LINE_RE = re.compile(r"^(\s{0,3})#(?=[^\s#])")


def _tags_are_not_headings(text: str) -> str:
    """``#tag`` at the start of a line is a tag (as in Obsidian and our tag rules), never a
    heading; Python-Markdown would make it one, so its ``#`` is escaped outside code fences."""
    lines, fenced = [], False
    for line in text.split("\n"):
        if _FENCE_RE.match(line):
            fenced = not fenced
        elif not fenced:
            line = _TAG_LINE_RE.sub(r"\1\\#", line)
        lines.append(line)
    return "\n".join(lines)


def render_markdown(text: str) -> str:
    """Markdown → sanitized HTML, safe to hand to any rich-text widget."""
    if not text.strip():
        return ""
    source = _tags_are_not_headings(text)
    html = markdown.markdown(source, extensions=list(_EXTENSIONS), output_format="html")
    return sanitize_html(html, None)


class MarkdownPreview(QTextBrowser):
    """Read-only rendering of a note; emits ``link_clicked`` for http, https and mailto only."""

    link_clicked = Signal(QUrl)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("markdownPreview")
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.setReadOnly(True)
        self.setFrameShape(QTextBrowser.Shape.NoFrame)
        self.document().setDocumentMargin(12)
        self.anchorClicked.connect(self._on_anchor_clicked)
        self._markdown = ""
        self._placeholder = "Nothing to preview yet."

    def set_theme(self, theme: Theme) -> None:
        self.document().setDefaultStyleSheet(article_stylesheet(theme, PREVIEW_FONT_SIZE))
        self._render()

    def set_markdown(self, text: str) -> None:
        if text != self._markdown:
            self._markdown = text
            self._render()

    def set_placeholder(self, text: str) -> None:
        self._placeholder = text
        self._render()

    def _render(self) -> None:
        html = render_markdown(self._markdown)
        if not html:
            html = f"<p class='gloss-empty'>{html_lib.escape(self._placeholder)}</p>"
        bar = self.verticalScrollBar()
        keep = bar.value()
        self.setHtml(f"<html><body>{html}</body></html>")
        bar.setValue(min(keep, bar.maximum()))

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        """Nothing is ever loaded: an image in a note shows as its alt text."""
        return None

    def setSource(self, url: QUrl | str, type: Any = None) -> None:
        return None  # never navigate inside the preview

    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.isValid() and url.scheme().lower() in OPENABLE_SCHEMES:
            self.link_clicked.emit(url)
