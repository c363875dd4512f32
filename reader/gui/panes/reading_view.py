"""The reading view: an article's header and sanitized HTML, offline and with nowhere to leak.

``QTextBrowser`` has no JavaScript and no network of its own, but it would read local files
(``file:`` URLs, absolute paths) and follow links inside itself (reliability.md §2.1, R1–R5).
So: links never navigate here; only http, https and mailto go to the system browser;
``loadResource`` serves images from the library's own cache (``cache:`` URLs) and nothing else.
An image that is not in the cache (not downloaded yet, images off, a tracker skipped) is drawn
as its alt text instead, still one image in the document, still without a request.

The view's own controls (switch text source, fetch again, open a related article) are links in
the document with the internal ``gloss-action:`` scheme, answered before the scheme allowlist and
never handed to the system. The source bar sits between the header and the body; the related
list follows the body, so the highlight map is built from the document text before it.

QTextDocument has no ``max-width``; the view keeps lines readable by giving the document's root
frame side margins that grow with the window.

Highlights are painted with extra selections, so the document is never modified, over a
``TextMap`` from canonical-text offsets to cursor positions (reliability.md §5.2, §7.2). The view
only asks for changes (signals with canonical offsets); the window writes them through the
Library and hands the new list back with ``set_highlights``.
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QPoint, QPointF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QHelpEvent,
    QImage,
    QKeyEvent,
    QMouseEvent,
    QResizeEvent,
    QTextBlock,
    QTextBlockFormat,
    QTextCharFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextImageFormat,
)
from PySide6.QtWidgets import QApplication, QMenu, QTextBrowser, QTextEdit, QToolTip, QWidget

from reader.core.image_cache import resolve_cache_url
from reader.core.types import (
    DEFAULT_HIGHLIGHT_COLOR,
    HIGHLIGHT_COLORS,
    AnchorStatus,
    ArticleDetail,
    ArticleId,
    Highlight,
    OfflineStatus,
    TextSource,
    WorkState,
)
from reader.gui.resources import Theme, article_stylesheet
from reader.gui.text_map import TextMap
from reader.gui.widgets.highlight_menu import (
    add_color_actions,
    highlight_menu,
    highlight_palette,
    swatch_icon,
)
from reader.gui.widgets.highlight_toolbar import HighlightToolbar
from reader.gui.widgets.placeholder_image import alt_placeholder

OPENABLE_SCHEMES = frozenset({"http", "https", "mailto"})
ACTION_SCHEME = "gloss-action"
RELATED_ANCHOR = "gloss-related"
CHARS_PER_LINE = 36  # em units; about 70 characters of body text


def open_in_system_browser(url: QUrl) -> None:
    QDesktopServices.openUrl(url)


def _blank_image() -> QImage:
    image = QImage(1, 1, QImage.Format.Format_ARGB32)
    image.fill(0)
    return image


_BLANK = _blank_image()

HIGHLIGHT_ID_PROPERTY = QTextFormat.Property.UserProperty.value + 1
"""Set on each highlight's extra-selection format: which highlight it paints."""
FLASH_MS = 1400
REVIEW_STATES = frozenset({AnchorStatus.FUZZY.value, AnchorStatus.AMBIGUOUS.value})
_REVIEW_TIP = "The article changed since this was highlighted: check it still fits."


@dataclass(frozen=True, slots=True)
class PaintedHighlight:
    highlight: Highlight
    start: int  # cursor positions in the document
    end: int


class ReadingView(QTextBrowser):
    link_refused = Signal(str)  # a link we would not open (javascript:, file:, …)
    link_opened = Signal(str)
    # Requests with canonical offsets (code points of detail.text.text); the window acts on them.
    highlight_requested = Signal(int, int, str)  # start, end, colour
    highlight_with_note_requested = Signal(int, int, str)
    reattach_requested = Signal(int, int, int)  # highlight id, start, end
    reattach_cancelled = Signal(int)  # highlight id
    color_change_requested = Signal(int, str)  # highlight id, colour
    note_edit_requested = Signal(int)
    delete_requested = Signal(int)
    status_message = Signal(str)
    # The view's own links (gloss-action:); the window runs them through the Library.
    text_source_requested = Signal(str)  # a TextSource value: "feed", "fulltext" or "saved"
    refetch_requested = Signal()  # fetch the article's page and extract it again
    related_article_requested = Signal(int)  # an article id

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
        self._alts: dict[str, str] = {}  # image URL -> alt text, for images not in the cache
        self._placeholders: set[str] = set()  # URLs drawn as their alt text
        self._body_end: int | None = None  # cursor position where the related list begins
        self._highlights: list[Highlight] = []
        self._fill_override: dict[str, QColor] = {}
        self._labels: dict[str, str] = {}
        self._painted: list[PaintedHighlight] = []
        self._map: TextMap | None = None
        self._map_stale = True
        self._last_color = DEFAULT_HIGHLIGHT_COLOR
        self._reattach: tuple[int, ArticleId | None] | None = None
        self._menu: QMenu | None = None
        self._press: QPoint | None = None
        self._flash: tuple[int, int] | None = None
        self._flash_timer = QTimer(self)
        self._flash_timer.setSingleShot(True)
        self._flash_timer.setInterval(FLASH_MS)
        self._flash_timer.timeout.connect(self._end_flash)
        self.toolbar = HighlightToolbar(theme, self.viewport())
        self.toolbar.color_chosen.connect(self.highlight_selection)
        self.toolbar.note_chosen.connect(lambda: self.highlight_selection(with_note=True))
        self.toolbar.attach_chosen.connect(self.highlight_selection)
        self.toolbar.cancel_chosen.connect(self.cancel_reattach)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)
        self.anchorClicked.connect(self._on_anchor_clicked)
        self.highlighted.connect(self._show_link_target)
        self.selectionChanged.connect(self._on_selection_changed)
        self.verticalScrollBar().valueChanged.connect(self._hide_toolbar)
        self.horizontalScrollBar().valueChanged.connect(self._hide_toolbar)
        self._apply_style()
        self.show_placeholder("Select an article to read it.")

    # ---- showing --------------------------------------------------------------------------

    @property
    def detail(self) -> ArticleDetail | None:
        return self._detail

    def show_article(self, detail: ArticleDetail, keep_scroll: bool = False) -> None:
        """Show ``detail``; with ``keep_scroll`` (the open article's text or images changed in
        the background) the reader stays where they were, only the selection is dropped."""
        same = self._detail is not None and self._detail.article.id == detail.article.id
        if self._reattach is not None and self._reattach[1] != detail.article.id:
            self.cancel_reattach()
        scroll = self.verticalScrollBar().value() if keep_scroll and same else 0
        self._detail = detail
        self._images.clear()
        self._alts = _alt_texts(detail)
        self._set_document(detail)
        self.verticalScrollBar().setValue(scroll)
        self._paint()

    def _set_document(self, detail: ArticleDetail) -> None:
        self._before_new_text()
        for url in self._placeholders:  # drawn in the old theme and font size
            self._images.pop(url, None)
        self._placeholders.clear()
        self.setHtml(_article_html(detail))
        self._body_end = self._anchor_position(RELATED_ANCHOR) if detail.related else None
        self._apply_margins()

    def show_placeholder(self, message: str) -> None:
        if self._reattach is not None:
            self.cancel_reattach()
        self._detail = None
        self._alts = {}
        self._body_end = None
        self._before_new_text()
        self.setHtml(f"<p class='gloss-empty'>{html.escape(message)}</p>")
        self._apply_margins()
        self._paint()

    def _before_new_text(self) -> None:
        self._map, self._map_stale = None, True
        self._flash = None
        self._hide_toolbar()
        self._close_menu()

    def set_theme(self, theme: Theme) -> None:
        self._theme = theme
        self.toolbar.set_theme(theme)
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
            self._set_document(self._detail)
            self.verticalScrollBar().setValue(scroll)
            self._paint()

    def _anchor_position(self, name: str) -> int | None:
        """Cursor position of the last text carrying anchor ``name`` (searched from the end:
        the view's own sections come after the article's body)."""
        block = self.document().lastBlock()
        while block.isValid():
            found = None
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                if name in fragment.charFormat().anchorNames():
                    found = fragment.position()
                iterator += 1
            if found is not None:
                return found
            block = block.previous()
        return None

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
        """Shrink images whose ``width`` attribute is wider than the text column; alt-text
        placeholders keep their own size (the attributes are the missing image's) and are
        redrawn narrower when the column shrinks. A paragraph holding only images gets single
        line height: 160% of a tall image is a gap, not breathing room."""
        limit = max(64, self.content_width())
        block = self.document().begin()
        while block.isValid():
            has_image = False
            iterator = block.begin()
            while not iterator.atEnd():
                fragment = iterator.fragment()
                fmt = fragment.charFormat()
                if fmt.isImageFormat():
                    has_image = True
                    self._fit_image(
                        fragment.position(), fragment.length(), fmt.toImageFormat(), limit
                    )
                iterator += 1
            if has_image and not block.text().replace("\ufffc", "").strip():
                self._single_line_height(block)
            block = block.next()

    def _fit_image(self, position: int, length: int, image: QTextImageFormat, limit: int) -> None:
        url = QUrl(image.name())
        key = url.toString()
        if self._is_placeholder(url):
            drawn = self._images[key]
            if drawn.width() / drawn.devicePixelRatio() > limit:
                self._images[key] = self._draw_placeholder(self._alts[key])
                self.document().addResource(
                    QTextDocument.ResourceType.ImageResource.value, url, self._images[key]
                )
            sized = image.hasProperty(QTextFormat.Property.ImageWidth) or image.hasProperty(
                QTextFormat.Property.ImageHeight
            )
            if sized:
                image.clearProperty(QTextFormat.Property.ImageWidth)
                image.clearProperty(QTextFormat.Property.ImageHeight)
                self._set_fragment_format(position, length, image)
        elif image.width() > limit:
            ratio = limit / image.width()
            if image.height() > 0:
                image.setHeight(image.height() * ratio)
            image.setWidth(limit)
            self._set_fragment_format(position, length, image)

    def _single_line_height(self, block: QTextBlock) -> None:
        fmt = block.blockFormat()
        single = QTextBlockFormat.LineHeightTypes.SingleHeight.value
        if fmt.lineHeightType() != single:
            fmt.setLineHeight(100, single)
            cursor = QTextCursor(block)
            cursor.setBlockFormat(fmt)

    def _set_fragment_format(self, position: int, length: int, fmt: QTextCharFormat) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        cursor.setPosition(position + length, QTextCursor.MoveMode.KeepAnchor)
        cursor.setCharFormat(fmt)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._hide_toolbar()
        self._apply_margins()

    # ---- highlights: painting ---------------------------------------------------------------

    def set_highlights(
        self, highlights: Sequence[Highlight], colors: Mapping[str, QColor] | None = None
    ) -> None:
        """Paint the live, placed highlights of the displayed text (others are ignored).

        ``colors`` overrides the theme's translucent fills per colour name.
        """
        self._highlights = list(highlights)
        self._fill_override = dict(colors or {})
        self._paint()

    def set_color_labels(self, labels: Mapping[str, str]) -> None:
        self._labels = dict(labels)
        self.toolbar.set_labels(self._labels, self._last_color)

    @property
    def painted(self) -> tuple[PaintedHighlight, ...]:
        """The highlights on screen now, in document order."""
        return tuple(self._painted)

    def text_map(self) -> TextMap | None:
        """The map for the displayed text, built on first use after each ``setHtml``."""
        if self._map_stale:
            text = self._detail.text if self._detail is not None else None
            if text is None:
                self._map = None
            elif self._body_end is None:
                self._map = TextMap.from_document(self.document(), text.text)
            else:  # the body must be the tail of what is mapped: leave the related list out
                self._map = TextMap(self.document().toRawText()[: self._body_end], text.text)
            self._map_stale = False
        return self._map

    def _paint(self) -> None:
        painted: list[PaintedHighlight] = []
        text = self._detail.text if self._detail is not None else None
        live = [
            h
            for h in self._highlights
            if text is not None
            and h.text_id == text.id
            and h.deleted_at is None
            and h.anchor != AnchorStatus.ORPHAN.value
        ]
        text_map = self.text_map() if live else None
        if text_map is not None:
            for highlight in live:
                span = text_map.to_document(highlight.start, highlight.end)
                if span is not None:
                    painted.append(PaintedHighlight(highlight, *span))
        painted.sort(key=lambda p: (p.start, -p.end))
        self._painted = painted
        palette = highlight_palette(self._theme)
        selections = []
        for item in painted:
            ink = palette.get(item.highlight.color) or palette[DEFAULT_HIGHLIGHT_COLOR]
            fmt = QTextCharFormat()
            fmt.setBackground(self._fill_override.get(item.highlight.color, ink.fill))
            if item.highlight.anchor in REVIEW_STATES:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DashUnderline)
                fmt.setUnderlineColor(ink.line)
            elif item.highlight.note:
                fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.DotLine)
                fmt.setUnderlineColor(ink.line)
            fmt.setProperty(HIGHLIGHT_ID_PROPERTY, int(item.highlight.id))
            selections.append(self._extra_selection(item.start, item.end, fmt))
        if self._flash is not None:
            fmt = QTextCharFormat()
            flash = QColor(self._theme.accent)
            flash.setAlpha(90)
            fmt.setBackground(flash)
            selections.append(self._extra_selection(*self._flash, fmt))
        self.setExtraSelections(selections)

    def _extra_selection(self, start: int, end: int, fmt: QTextCharFormat) -> Any:
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        selection = QTextEdit.ExtraSelection()
        selection.cursor = cursor
        selection.format = fmt
        return selection

    def highlight_at(self, position: int | None) -> Highlight | None:
        """The painted highlight over the character at cursor ``position`` (the shortest one
        where highlights overlap)."""
        if position is None:
            return None
        found = [p for p in self._painted if p.start <= position < p.end]
        if not found:
            return None
        return min(found, key=lambda p: p.end - p.start).highlight

    def scroll_to_highlight(self, highlight_id: int) -> bool:
        """Bring a painted highlight to the upper third of the view and flash it briefly."""
        item = next((p for p in self._painted if p.highlight.id == highlight_id), None)
        if item is None:
            return False
        self._scroll_and_flash(item.start, item.end)
        return True

    def scroll_to_text(self, start: int, end: int) -> bool:
        """Bring canonical ``start:end`` of the shown text (a search match) to the upper third
        of the view (near the start, the view stays at the top) and flash it; False when it
        cannot be placed in the document."""
        text_map = self.text_map()
        span = text_map.to_document(start, end) if text_map is not None else None
        if span is None:
            return False
        self._scroll_and_flash(*span)
        return True

    def _scroll_and_flash(self, start: int, end: int) -> None:
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        top = self.cursorRect(cursor).top() + self.verticalScrollBar().value()
        height = self.viewport().height()
        # already well within the first screen: stay at the top, the title not cut in half
        self.verticalScrollBar().setValue(0 if top < height * 2 // 3 else top - height // 3)
        self._flash = (start, end)
        self._flash_timer.start()
        self._paint()

    def _end_flash(self) -> None:
        self._flash = None
        self._paint()

    # ---- highlights: creating ---------------------------------------------------------------

    def selection_span(self) -> tuple[int, int] | None:
        """Canonical offsets of the selected article text (header and blanks trimmed away)."""
        cursor = self.textCursor()
        if not cursor.hasSelection():
            return None
        text_map = self.text_map()
        if text_map is None:
            return None
        return text_map.to_canonical(cursor.anchor(), cursor.position())

    def highlight_selection(self, color: str | None = None, *, with_note: bool = False) -> bool:
        """Ask for a highlight of the selection (``h``, the toolbar, the context menu).

        Without ``color`` the colour last chosen is used. In re-attach mode the selection
        becomes the highlight's new place instead.
        """
        span = self.selection_span()
        if span is None:
            if self.textCursor().hasSelection():
                self.status_message.emit("Only the article's text can be highlighted.")
            else:
                self.status_message.emit("Select some text in the article to highlight it.")
            return False
        if self._reattach is not None:
            highlight_id = self._reattach[0]
            self._end_reattach()
            self.reattach_requested.emit(highlight_id, *span)
        else:
            if color in HIGHLIGHT_COLORS:
                self._last_color = color
                self.toolbar.set_labels(self._labels, color)
            signal = self.highlight_with_note_requested if with_note else self.highlight_requested
            signal.emit(span[0], span[1], self._last_color)
        self._clear_selection()
        return True

    def begin_reattach(self, highlight_id: int) -> None:
        """The next selection becomes this highlight's place ("Attach Here"; Esc cancels)."""
        owner = next((h.article_id for h in self._highlights if h.id == highlight_id), None)
        if owner is None and self._detail is not None:
            owner = self._detail.article.id
        self._reattach = (highlight_id, owner)
        self.toolbar.set_attaching(True)
        self.status_message.emit(
            "Select the text this highlight belongs to, then choose Attach Here (Esc cancels)."
        )
        if self.selection_span() is not None:
            self._show_toolbar(None)

    def cancel_reattach(self) -> None:
        if self._reattach is None:
            return
        highlight_id = self._reattach[0]
        self._end_reattach()
        self.status_message.emit("Highlight left where it was.")
        self.reattach_cancelled.emit(highlight_id)

    @property
    def reattaching(self) -> int | None:
        """The highlight waiting for a new place, if any."""
        return self._reattach[0] if self._reattach is not None else None

    def _end_reattach(self) -> None:
        self._reattach = None
        self.toolbar.set_attaching(False)
        self._hide_toolbar()

    def _clear_selection(self) -> None:
        cursor = self.textCursor()
        cursor.clearSelection()
        self.setTextCursor(cursor)
        self._hide_toolbar()

    def _show_toolbar(self, pointer: QPoint | None) -> None:
        cursor = self.textCursor()
        first = QTextCursor(self.document())
        first.setPosition(cursor.selectionStart())
        last = QTextCursor(self.document())
        last.setPosition(cursor.selectionEnd())
        top, bottom = self.cursorRect(first), self.cursorRect(last)
        if top.top() == bottom.top():
            center = (top.left() + bottom.left()) // 2
        else:
            center = pointer.x() if pointer is not None else top.left()
        self.toolbar.show_near(top, bottom, center, self.viewport().rect())

    def _hide_toolbar(self) -> None:
        self.toolbar.hide()

    def _on_selection_changed(self) -> None:
        if not self.textCursor().hasSelection():
            self._hide_toolbar()

    # ---- highlights: menus and input --------------------------------------------------------

    @property
    def open_menu(self) -> QMenu | None:
        """The highlight or context menu on screen, if any."""
        return self._menu if self._menu is not None and self._menu.isVisible() else None

    def _close_menu(self) -> None:
        if self._menu is not None:
            self._menu.close()
            self._menu = None

    def _popup(self, menu: QMenu, where: QPoint) -> None:
        self._close_menu()
        self._menu = menu
        menu.aboutToHide.connect(lambda: self._forget_menu(menu))
        menu.popup(where)

    def _forget_menu(self, menu: QMenu) -> None:
        if self._menu is menu:
            self._menu = None

    def open_highlight_menu(self, highlight: Highlight, where: QPoint) -> QMenu:
        """The menu of one highlight at global position ``where``."""
        hid = int(highlight.id)
        menu = highlight_menu(
            highlight,
            self._labels,
            self,
            on_color=lambda c: self._change_color(highlight, c),
            on_note=lambda: self.note_edit_requested.emit(hid),
            on_copy=lambda: QGuiApplication.clipboard().setText(highlight.quote),
            on_delete=lambda: self.delete_requested.emit(hid),
            on_reattach=(
                (lambda: self.begin_reattach(hid)) if highlight.anchor in REVIEW_STATES else None
            ),
        )
        self._popup(menu, where)
        return menu

    def _change_color(self, highlight: Highlight, color: str) -> None:
        if color != highlight.color:
            self.color_change_requested.emit(int(highlight.id), color)

    def _char_at(self, point: QPoint) -> int | None:
        """The character under a viewport point (None over margins and blank space)."""
        content = QPointF(point) + QPointF(
            self.horizontalScrollBar().value(), self.verticalScrollBar().value()
        )
        layout = self.document().documentLayout()
        position = layout.hitTest(content, Qt.HitTestAccuracy.ExactHit)
        if position < 0:
            return None
        cursor = QTextCursor(self.document())
        cursor.setPosition(position)
        if position > 0 and point.x() < self.cursorRect(cursor).left():
            return position - 1  # hitTest rounds to the nearer edge; the click was left of it
        return position

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self._hide_toolbar()
        keyboard = event.reason() == QContextMenuEvent.Reason.Keyboard
        cursor = self.textCursor()
        if not cursor.hasSelection():
            position = cursor.position() if keyboard else self._char_at(event.pos())
            highlight = self.highlight_at(position)
            if highlight is not None:
                where = event.globalPos()
                if keyboard:
                    where = self.viewport().mapToGlobal(self.cursorRect(cursor).bottomLeft())
                self.open_highlight_menu(highlight, where)
                return
        offset = QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())
        menu = self.createStandardContextMenu(event.pos() + offset)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if self.selection_span() is not None:
            self._add_selection_actions(menu)
        self._popup(menu, event.globalPos())

    def _add_selection_actions(self, menu: QMenu) -> None:
        first = menu.actions()[0] if menu.actions() else menu.addSeparator()
        if self._reattach is not None:
            attach = QAction("Attach Highlight Here", menu)
            attach.setObjectName("attach_here")
            attach.triggered.connect(lambda: self.highlight_selection())
            menu.insertAction(first, attach)
            menu.insertSeparator(first)
            return
        highlight = menu.addAction(swatch_icon(self._last_color), "Highlight")
        highlight.setObjectName("highlight_selection")
        highlight.setShortcut("H")
        highlight.triggered.connect(lambda: self.highlight_selection())
        colors = QMenu("Highlight As", menu)
        colors.setObjectName("highlight_colors")
        add_color_actions(colors, self._labels, lambda c: self.highlight_selection(c))
        note = menu.addAction("Highlight with Note…")
        note.setObjectName("highlight_with_note")
        note.triggered.connect(lambda: self.highlight_selection(with_note=True))
        menu.insertAction(first, highlight)
        menu.insertMenu(first, colors)
        menu.insertAction(first, note)
        menu.insertSeparator(first)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self._press = event.position().toPoint()
        self._hide_toolbar()
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        if event.button() != Qt.MouseButton.LeftButton:
            return
        event.accept()  # read-only QTextBrowser ignores it; nothing above the view wants it
        point = event.position().toPoint()
        press, self._press = self._press, None
        if self.textCursor().hasSelection():
            if self.selection_span() is not None:
                self._show_toolbar(point)
            return
        moved = press is not None and (
            (point - press).manhattanLength() >= QApplication.startDragDistance()
        )
        if moved or self.anchorAt(point):
            return  # a drag that selected nothing, or a link (it opens as before)
        highlight = self.highlight_at(self._char_at(point))
        if highlight is not None:
            self.open_highlight_menu(highlight, self.viewport().mapToGlobal(point))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        plain = event.modifiers() in (
            Qt.KeyboardModifier.NoModifier,
            Qt.KeyboardModifier.KeypadModifier,
        )
        if event.key() == Qt.Key.Key_H and plain:
            self.highlight_selection()
            event.accept()
            return
        if event.key() == Qt.Key.Key_Escape and (
            self.toolbar.isVisible() or self._reattach is not None
        ):
            self.cancel_reattach()
            self._clear_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        """Hovering a highlight shows its note, or why it is marked for review."""
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            point = event.pos()
            highlight = None if self.anchorAt(point) else self.highlight_at(self._char_at(point))
            if highlight is not None and (highlight.note or highlight.anchor in REVIEW_STATES):
                parts = []
                if highlight.anchor in REVIEW_STATES:
                    parts.append(_REVIEW_TIP)
                if highlight.note:
                    note = highlight.note.strip()
                    parts.append(note if len(note) <= 400 else note[:399] + "…")
                QToolTip.showText(event.globalPos(), "\n\n".join(parts), self.viewport())
                return True
        return super().viewportEvent(event)

    # ---- safety ---------------------------------------------------------------------------

    def loadResource(self, kind: int, url: QUrl | str) -> Any:
        """Images from the local cache only; any other URL (http, file, data, qrc) gets nothing,
        drawn as the image's alt text when it has one."""
        if kind != QTextDocument.ResourceType.ImageResource.value:
            return None
        text = url.toString() if isinstance(url, QUrl) else str(url)
        cached = self._images.get(text)
        if cached is not None:
            return cached
        path = resolve_cache_url(self._library_path, text)
        image = QImage(str(path)) if path is not None else QImage()
        if image.isNull():
            alt = self._alts.get(text, "").strip()
            if not alt:
                return _BLANK  # not cached (or not an image): no broken-image icon, no request
            placeholder = self._draw_placeholder(alt)
            self._images[text] = placeholder
            self._placeholders.add(text)
            return placeholder
        limit = max(64, self.content_width())
        if image.width() > limit:
            image = image.scaledToWidth(limit, mode=Qt.TransformationMode.SmoothTransformation)
        self._images[text] = image
        return image

    def _is_placeholder(self, url: QUrl) -> bool:
        key = url.toString()
        if key not in self._images:
            self.loadResource(QTextDocument.ResourceType.ImageResource.value, url)
        return key in self._placeholders

    def _draw_placeholder(self, alt: str) -> QImage:
        font = QFont(self.document().defaultFont())
        font.setPixelSize(max(10, round(self._font_size * 0.8)))
        limit = max(64, self.content_width())
        return alt_placeholder(alt, self._theme, font, limit, self.devicePixelRatioF())

    @property
    def placeholder_urls(self) -> frozenset[str]:
        """Images of the displayed article drawn as their alt text (not in the cache)."""
        return frozenset(self._placeholders)

    def setSource(self, url: QUrl | str, type: Any = None) -> None:
        """Never navigate inside the view (``file:`` links would show local files)."""
        return None

    def _on_anchor_clicked(self, url: QUrl) -> None:
        if url.scheme().lower() == ACTION_SCHEME:
            self._run_action(url.path())
        elif url.scheme().lower() in OPENABLE_SCHEMES and url.isValid():
            self._open_url(url)
            self.link_opened.emit(url.toString())
        else:
            self.link_refused.emit(url.toString())

    def _run_action(self, action: str) -> None:
        """A ``gloss-action:`` link of the view's own (never one from an article: the sanitizer
        drops unknown schemes, and an action only asks the window, which checks it)."""
        kind, _, value = action.partition("/")
        if kind == "source" and value in {s.value for s in TextSource}:
            self.text_source_requested.emit(value)
        elif kind == "refetch":
            self.refetch_requested.emit()
        elif kind == "related" and value.isdigit():
            self.related_article_requested.emit(int(value))

    def _show_link_target(self, url: QUrl) -> None:
        internal = url.scheme().lower() == ACTION_SCHEME
        shown = url.isValid() and not url.isEmpty() and not internal
        self.setToolTip(url.toString() if shown else "")


def _alt_texts(detail: ArticleDetail) -> dict[str, str]:
    """Image URL -> alt text of the shown text's images, for drawing the ones not cached."""
    if detail.text is None or "<img" not in detail.text.html.lower():
        return {}
    from reader.core.html_images import alt_texts

    # keyed as loadResource sees them: QUrl's spelling, which may differ from the attribute's
    return {QUrl(src).toString(): alt for src, alt in alt_texts(detail.text.html).items()}


def _action(path: str, label: str) -> str:
    return f"<a href='{ACTION_SCHEME}:{path}'>{html.escape(label)}</a>"


_SOURCE_NAMES = {
    TextSource.FEED: "the feed's text",
    TextSource.FULLTEXT: "the full text",
    TextSource.SAVED: "the saved text",
}


def _source_bar_html(detail: ArticleDetail) -> str:
    """The line between header and body: which text this is, the others to switch to, and what
    offline work is missing. Empty when there is nothing to say."""
    article, text = detail.article, detail.text
    esc = html.escape
    lines: list[str] = []
    refetch_shown = False
    kinds = list(dict.fromkeys(detail.sources))
    if text is not None and len(kinds) > 1:
        current = text.source
        if current == TextSource.FULLTEXT:
            host = QUrl(article.link).host() if article.link else ""
            host = host.removeprefix("www.")
            label = f"Full text from {esc(host)}" if host else "Full text"
        elif current == TextSource.SAVED:
            label = "Saved text"
        else:
            label = "Feed text"
        parts = [label]
        for other in kinds:
            if other != current:
                parts.append(_action(f"source/{other.value}", f"Show {_SOURCE_NAMES[other]}"))
        if article.link and TextSource.FULLTEXT in kinds:
            parts.append(_action("refetch", "Fetch the full text again"))
            refetch_shown = True
        lines.append(" &nbsp;·&nbsp; ".join(parts))
    has_full_text = TextSource.FULLTEXT in kinds
    status = _offline_lines(detail.offline, has_full_text=has_full_text)
    failed = detail.offline is not None and detail.offline.fulltext == WorkState.FAILED
    if failed and article.link and not refetch_shown:
        status[0] += " &nbsp;·&nbsp; " + _action("refetch", "Try again now")
    lines.extend(status)
    if not lines:
        return ""
    return (
        "<table class='gloss-bar' width='100%' cellspacing='0'><tr><td>"
        + "".join(f"<p>{line}</p>" for line in lines)
        + "</td></tr></table>"
    )


def _offline_lines(offline: OfflineStatus | None, *, has_full_text: bool = False) -> list[str]:
    if offline is None:
        return []
    lines: list[str] = []
    again = " — Gloss will try again" if offline.fulltext_retry_at is not None else ""
    if offline.fulltext == WorkState.FAILED:
        reason = f": {_sentence(offline.fulltext_error)}" if offline.fulltext_error else ""
        # Reading the page again (the story changed, a newer extractor) failed: the full text
        # stored earlier is still here, and the line must not suggest otherwise.
        what = (
            "The page could not be read again"
            if has_full_text
            else "Full text could not be fetched"
        )
        lines.append(f"{what}{reason}{again}")
    elif offline.fulltext == WorkState.PENDING:
        lines.append("The full text is not fetched yet")
    missing = offline.images_missing
    if missing:
        images = "1 image is" if missing == 1 else f"{missing} images are"
        if offline.images == WorkState.FAILED:
            reason = f": {_sentence(offline.images_error)}" if offline.images_error else ""
            lines.append(f"{images} not downloaded{reason}{again}")
        elif offline.images == WorkState.PENDING:
            lines.append(f"{images} not downloaded yet")
        elif offline.images == WorkState.NONE:
            lines.append(f"{images} not downloaded (image downloads are off)")
        else:
            lines.append(f"{images} could not be downloaded")
    return lines


def _sentence(error: str) -> str:
    """An error message inside a line that goes on ("…: <error> — Gloss will try again")."""
    return html.escape(error.strip().rstrip("."))


def _related_html(detail: ArticleDetail) -> str:
    """After the body: articles saved from the same capture, each opening in the view."""
    if not detail.related:
        return ""
    items = "".join(
        f"<li>{_action(f'related/{int(r.id)}', r.title.strip() or '(untitled)')}</li>"
        for r in detail.related
    )
    return (
        f"<hr><p class='gloss-related-title'><a name='{RELATED_ANCHOR}'>Related, "
        f"saved separately</a></p><ul class='gloss-related'>{items}</ul>"
    )


def _long_date(when: dt.datetime) -> str:
    """The reading view has room for the whole date and time, in local time."""
    local = when.astimezone()
    return f"{local.day} {local:%b %Y} · {local:%H:%M}"


def _article_html(detail: ArticleDetail) -> str:
    """The header (feed, title, byline, date, link) followed by the stored sanitized body."""
    article = detail.article
    esc = html.escape
    meta: list[str] = []
    if article.author:
        meta.append(esc(article.author))
    when = article.published or article.sort_at
    meta.append(esc(_long_date(when)))
    if article.saved:
        meta.append(esc(f"saved {_long_date(article.added)}"))
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
        f"{_source_bar_html(detail)}{body}{_related_html(detail)}</body></html>"
    )
