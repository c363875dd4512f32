"""The reading view: an article's header and sanitized HTML, offline and with nowhere to leak.

``QTextBrowser`` has no JavaScript and no network of its own, but it would read local files
(``file:`` URLs, absolute paths) and follow links inside itself (reliability.md §2.1, R1–R5).
So: links never navigate here; only http, https and mailto go to the system browser;
``loadResource`` serves images from the library's own cache (``cache:`` URLs) and nothing else.

QTextDocument has no ``max-width``; the view keeps lines readable by giving the document's root
frame side margins that grow with the window.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QImage, QResizeEvent, QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextBrowser, QWidget

from reader.core.image_cache import resolve_cache_url
from reader.core.types import ArticleDetail
from reader.gui.models.articles_model import format_date
from reader.gui.resources import Theme, article_stylesheet

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
CHARS_PER_LINE = 36  # em units; about 70 characters of body text


def open_in_system_browser(url: QUrl) -> None:
    QDesktopServices.openUrl(url)


def _blank_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image


_BLANK = _blank_image()


class ReadingView(QTextBrowser):
    link_refused = Signal(str)  # a link we would not open (javascript:, file:, …)
    link_opened = Signal(str)

    def __init__(
        self,
        library_path: Path,
        theme: Theme,
        font_size: int,
        *,
        open_url: Callable[[QUrl], None] = open_in_system_browser,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("readingView")
        self._library_path = library_path
        self._theme = theme
        self._font_size = font_size
        self._open_url = open_url
        self._detail: ArticleDetail | None = None
        self._images: dict[str, QImage] = {}
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor_clicked)
        self.highlighted.connect(self._show_link_target)
        self._apply_style()
        self.show_placeholder("Select an article to read it.")

    # ---- showing --------------------------------------------------------------------------

    @property
    def detail(self) -> ArticleDetail | None:
        return self._detail

    def show_article(self, detail: ArticleDetail) -> None:
        self._detail = detail
        self._images.clear()
        self.setHtml(_article_html(detail))
        self._apply_margins()
        self.verticalScrollBar().setValue(0)

    def show_placeholder(self, message: str) -> None:
        self._detail = None
        self.setHtml(f"<p class='gloss-empty'>{html.escape(message)}</p>")
        self._apply_margins()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self._rerender()

    def set_font_size(self, size: int) -> None:
        self._font_size = size
        self._rerender()

    def page_down(self) -> bool:
        """Scroll one screen; False when already at the bottom (Space then moves on)."""
        bar = self.verticalScrollBar()
        if bar.value() >= bar.maximum():
            return False
        bar.setValue(bar.value() + bar.pageStep() - self.fontMetrics().height() * 2)
        return True

    def page_up(self) -> None:
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() - bar.pageStep() + self.fontMetrics().height() * 2)

    def _rerender(self) -> None:
        self._apply_style()
        scroll = self.verticalScrollBar().value()
        if self._detail is not None:
            self.setHtml(_article_html(self._detail))
            self._apply_margins()
            self.verticalScrollBar().setValue(scroll)

    def _apply_style(self) -> None:
        document = self.document()
        document.setDefaultStyleSheet(article_stylesheet(self._theme, self._font_size))
        font = document.defaultFont()
        font.setPixelSize(self._font_size)
        document.setDefaultFont(font)
        self.setStyleSheet(f"QTextBrowser#readingView {{ background: {self._theme.base}; }}")

    # ---- line width -----------------------------------------------------------------------

    def content_width(self) -> int:
        return min(self.viewport().width() - 48, self._font_size * CHARS_PER_LINE)

    def _apply_margins(self) -> None:
        width = self.viewport().width()
        side = max(24, (width - self._font_size * CHARS_PER_LINE) // 2)
        root = self.document().rootFrame()
        fmt = root.frameFormat()
        if fmt.leftMargin() != side or fmt.rightMargin() != side:
            fmt.setLeftMargin(side)
            fmt.setRightMargin(side)
            fmt.setTopMargin(28)
            fmt.setBottomMargin(48)
            root.setFrameFormat(fmt)
        self._fit_images()

    def _fit_images(self) -> None:
        """Shrink images whose ``width`` attribute is wider than the text column."""
        limit = max(64, self.content_width())
        block = self.document().begin()
        while block.isValid():
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                fmt = fragment.charFormat()
                if fmt.isImageFormat():
                    image = fmt.toImageFormat()
                    if image.width() > limit:
                        ratio = limit / image.width()
                        if image.height() > 0:
                            image.setHeight(image.height() * ratio)
                        image.setWidth(limit)
                        cursor = QTextCursor(self.document())
                        cursor.setPosition(fragment.position())
                        cursor.setPosition(
                            fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                        )
                        cursor.setCharFormat(image)
                iterator += 1
            block = block.next()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._apply_margins()

    # ---- safety ---------------------------------------------------------------------------

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        """Images from the local cache only; any other URL (http, file, data, qrc) gets nothing."""
        if kind != QTextDocument.ResourceType.ImageResource.value:
            return None
        text = url.toString() if isinstance(url, QUrl) else str(url)
        cached = self._images.get(text)
        if cached is not None:
            return cached
        path = resolve_cache_url(self._library_path, text)
        image = QImage(str(path)) if path is not None else QImage()
        if image.isNull():
            return _BLANK  # not cached (or not an image): no broken-image icon, no request
        limit = max(64, self.content_width())
        if image.width() > limit:
            image = image.scaledToWidth(limit, mode=Qt.TransformationMode.SmoothTransformation)
        self._images[text] = image
        return image

    def setSource(self, url: QUrl | str, type: Any = None) -> None:
        """Never navigate inside the view (``file:`` links would show local files)."""
        return None

    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme().lower() in OPENABLE_SCHEMES and url.isValid():
            self._open_url(url)
            self.link_opened.emit(url.toString())
        else:
            self.link_refused.emit(url.toString())

    def _show_link_target(self, url: QUrl) -> None:
        self.setToolTip(url.toString() if url.isValid() and not url.isEmpty() else "")


def _article_html(detail: ArticleDetail) -> str:
    """The header (feed, title, byline, date, link) followed by the stored sanitized body."""
    article = detail.article
    esc = html.escape
    meta: list[str] = []
    if article.author:
        meta.append(esc(article.author))
    meta.append(esc(format_date(article.sort_at)) + f" · {article.sort_at.astimezone():%H:%M}")
    if article.link:
        host = QUrl(article.link).host() or article.link
        meta.append(f"<a href='{esc(article.link, quote=True)}'>{esc(host)} ↗</a>")
    title = esc(article.title or "(untitled)")
    feed = (
        f"<p class='gloss-feed'>{esc(article.feed_title or '')}</p>" if article.feed_title else ""
    )
    body = (
        detail.text.html
        if detail.text is not None and detail.text.html.strip()
        else "<p class='gloss-empty'>This article has no text; open it in the browser.</p>"
    )
    return (
        f"<html><body>{feed}<h1>{title}</h1>"
        f"<p class='gloss-meta'>{' &nbsp;·&nbsp; '.join(meta)}</p>"
        f"{body}</body></html>"
    )
