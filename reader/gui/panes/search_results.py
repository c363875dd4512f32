"""Search results in place of the article list: a row per hit with its snippet, matches marked.

Each row shows the article's title (bold while unread), its feed and date on the right, and the
snippet below it: the matched words in bold on a tinted background. A highlight hit has a bar in
the highlight's colour and says "Highlight"; a note hit a quiet bar and "Note". The view never
searches: the window fills ``model`` and reacts to ``hit_selected``.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPointF, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QPainter,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLabel,
    QListView,
    QStackedLayout,
    QStyle,
    QStyleOptionViewItem,
    QWidget,
)

from reader.core.types import Article, HitKind, SearchHit
from reader.gui.models import step_target
from reader.gui.models.search_model import HIT_ROLE, KIND_LABELS, SearchResultsModel
from reader.gui.resources import Theme
from reader.gui.widgets.highlight_menu import highlight_palette
from reader.gui.widgets.themed_delegate import ThemedDelegate

Index = QModelIndex | QPersistentModelIndex
PAD_X = 12
GUTTER = 14  # the unread dot, the highlight's colour bar
TOP, GAP, BOTTOM = 7, 3, 8
SNIPPET_LINES = 2


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _snippet_text(hit: SearchHit) -> tuple[str, list[tuple[int, int]], int]:
    """The snippet on one line (whitespace folded), its marks moved to match, and the length of
    the kind prefix ("Highlight · ") put before it."""
    prefix = "" if hit.kind is HitKind.ARTICLE else f"{KIND_LABELS[hit.kind]} · "
    raw = hit.snippet.text
    # fold whitespace while keeping every mark on the same characters
    out: list[str] = []
    position: list[int] = []  # new index of each raw character (or of the space it became)
    previous_space = True
    for ch in raw:
        if ch.isspace():
            if not previous_space:
                out.append(" ")
            position.append(len(out) - 1 if out else 0)
            previous_space = True
        else:
            position.append(len(out))
            out.append(ch)
            previous_space = False
    position.append(len(out))
    text = "".join(out).rstrip()
    marks = []
    for start, end in hit.snippet.marks:
        if 0 <= start < end <= len(raw):
            a, b = position[start], min(position[end - 1] + 1, len(text))
            if a < b:
                marks.append((len(prefix) + a, len(prefix) + b))
    return prefix + text, marks, len(prefix)


def snippet_layout(
    text: str,
    formats: list[QTextLayout.FormatRange],
    font: QFont,
    width: int,
    max_lines: int,
) -> QTextLayout:
    """``text`` laid out in at most ``max_lines`` lines of ``width``; cut with "…" if longer."""

    def build(content: str) -> tuple[QTextLayout, int]:
        layout = QTextLayout(content, font)
        option = QTextOption()
        option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
        layout.setTextOption(option)
        layout.setFormats([f for f in formats if f.start < len(content)])
        layout.beginLayout()
        lines = 0
        y = 0.0
        while True:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(max(10, width))
            line.setPosition(QPointF(0, y))
            y += line.height()
            lines += 1
        layout.endLayout()
        return layout, lines

    layout, lines = build(text)
    if lines <= max_lines:
        return layout
    low, high = 0, len(text)  # the longest cut that still fits, by bisection
    best = build("…")[0]
    while low < high:
        middle = (low + high + 1) // 2
        candidate, count = build(text[:middle].rstrip() + " …")
        if count <= max_lines:
            low, best = middle, candidate
        else:
            high = middle - 1
    return best


class SearchHitDelegate(ThemedDelegate):
    @staticmethod
    def _meta_font(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        return small

    def row_height(self, font: QFont) -> int:
        title = QFontMetrics(font).lineSpacing()
        return TOP + title + GAP + SNIPPET_LINES * QFontMetrics(font).lineSpacing() + BOTTOM

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(self._view.viewport().width(), self.row_height(option.font))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit = index.data(HIT_ROLE)
        if not isinstance(hit, SearchHit):
            return
        t = self.theme
        rect = option.rect
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        background = t.selection if selected else (t.hover if hovered else t.base)
        painter.fillRect(rect, QColor(background))
        painter.setPen(QColor(t.border))
        painter.drawLine(rect.left(), rect.bottom(), rect.right(), rect.bottom())
        if selected and self._view.hasFocus():
            painter.fillRect(QRect(rect.left(), rect.top(), 3, rect.height()), QColor(t.accent))

        font = QFont(option.font)
        metrics = QFontMetrics(font)
        left = rect.left() + PAD_X + GUTTER
        right = rect.right() - PAD_X
        text_colour = QColor(t.selection_text if selected else t.text)
        muted = QColor(t.muted)

        # line 1: title on the left, feed · date on the right
        meta_font = self._meta_font(font)
        meta_metrics = QFontMetrics(meta_font)
        model = index.model()
        date = model.date_text(hit) if isinstance(model, SearchResultsModel) else ""
        # the date whole; the feed's name shortened to what is left of half the row
        budget = max(80, (right - left) // 2)
        feed_budget = budget - meta_metrics.horizontalAdvance(f"{date} · ")
        feed = _one_line(hit.feed_title or "")
        if feed and feed_budget > 30:
            feed = meta_metrics.elidedText(feed, Qt.TextElideMode.ElideRight, feed_budget)
            meta = f"{feed} · {date}"
        else:
            meta = date
        meta_width = meta_metrics.horizontalAdvance(meta) + 2
        title_top = rect.top() + TOP
        line_height = metrics.lineSpacing()
        title_font = QFont(font)
        if not hit.read:
            title_font.setWeight(QFont.Weight.DemiBold)
        title_metrics = QFontMetrics(title_font)
        star = "★ " if hit.starred else ""
        star_width = title_metrics.horizontalAdvance(star) if star else 0
        title_width = max(20, right - left - meta_width - 16 - star_width)
        title = title_metrics.elidedText(
            _one_line(hit.title) or "(untitled)", Qt.TextElideMode.ElideRight, title_width
        )
        baseline = title_top + metrics.ascent()
        if star:
            painter.setFont(title_font)
            painter.setPen(QColor(t.star))
            painter.drawText(left, baseline, star)
        title_marks = model.title_marks(title) if isinstance(model, SearchResultsModel) else []
        title_format = QTextCharFormat()
        title_format.setBackground(self.mark_colour())
        title_layout = snippet_layout(
            title,
            [_range(a, b - a, title_format) for a, b in title_marks],
            title_font,
            title_width + 8,
            1,
        )
        painter.setFont(title_font)
        painter.setPen(text_colour if not hit.read or selected else muted)
        title_layout.draw(painter, QPointF(left + star_width, title_top))
        painter.setFont(meta_font)
        painter.setPen(muted)
        painter.drawText(
            QRect(right - meta_width, title_top, meta_width, line_height),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
            meta,
        )
        if not hit.read:  # the unread dot, as in the article list
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(t.accent))
            radius = 3.5
            centre = QPointF(rect.left() + PAD_X + GUTTER / 2 - 2, title_top + line_height / 2)
            painter.drawEllipse(centre, radius, radius)

        # lines 2-3: the snippet, matches marked
        snippet_top = title_top + line_height + GAP
        snippet_height = SNIPPET_LINES * line_height
        if hit.kind is not HitKind.ARTICLE:
            if hit.kind is HitKind.HIGHLIGHT:
                ink = (
                    highlight_palette(t).get(hit.color or "yellow")
                    or highlight_palette(t)["yellow"]
                )
                bar = QColor(ink.swatch)
            else:
                bar = QColor(t.muted)
                bar.setAlphaF(0.6)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(bar)
            x = rect.left() + PAD_X + GUTTER / 2 - 3
            painter.drawRoundedRect(QRect(int(x), snippet_top + 2, 4, snippet_height - 4), 2, 2)
        text, marks, prefix = _snippet_text(hit)
        formats = []
        if prefix:
            kind = QTextCharFormat()
            kind.setForeground(muted)
            kind.setFontWeight(QFont.Weight.DemiBold)
            formats.append(_range(0, prefix, kind))
        mark_format = QTextCharFormat()
        mark_format.setFontWeight(QFont.Weight.Bold)
        mark_format.setForeground(text_colour)
        mark_format.setBackground(self.mark_colour())
        for start, end in marks:
            formats.append(_range(start, end - start, mark_format))
        layout = snippet_layout(text, formats, font, right - left, SNIPPET_LINES)
        painter.setPen(text_colour if selected else QColor(t.text))
        painter.setFont(font)
        painter.setClipRect(QRect(left, snippet_top, right - left + 2, snippet_height + 2))
        layout.draw(painter, QPointF(left, snippet_top))
        painter.restore()

    def mark_colour(self) -> QColor:
        """The tint behind matched words: the accent, light enough to read through."""
        colour = QColor(self.theme.accent)
        colour.setAlphaF(0.38 if self.theme.is_dark else 0.22)
        return colour


def _range(start: int, length: int, fmt: QTextCharFormat) -> QTextLayout.FormatRange:
    r = QTextLayout.FormatRange()
    r.start, r.length, r.format = start, length, fmt
    return r


class _ResultsList(QListView):
    escape_pressed = Signal()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)


class SearchResultsView(QWidget):
    hit_selected = Signal(object)  # SearchHit: the current row changed
    hit_clicked = Signal(object)  # SearchHit: clicked (again): jump to the match again
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = SearchResultsModel(self)
        self.list = _ResultsList(self)
        self.list.setObjectName("searchResults")
        self.list.setModel(self.model)
        self.delegate = SearchHitDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.setUniformItemSizes(True)
        self.list.setMouseTracking(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        self.list.selectionModel().currentRowChanged.connect(self._current_changed)
        self.list.clicked.connect(self._clicked)
        self.list.escape_pressed.connect(self.escape_pressed)
        self.empty = QLabel("", self)
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self._stack = QStackedLayout(self)
        self._stack.addWidget(self.list)
        self._stack.addWidget(self.empty)
        self._current: Article | None = None

    def set_theme(self, theme: Theme) -> None:
        self.delegate.set_theme(theme)
        self.list.viewport().update()

    def show_hits(self, query: str, hits: tuple[SearchHit, ...], more: bool) -> None:
        self._current = None
        self.model.show(query, hits, more)
        if hits:
            self._stack.setCurrentWidget(self.list)
            self.list.scrollToTop()
        else:
            self.empty.setText(f"Nothing found for “{query.strip()}”.")
            self._stack.setCurrentWidget(self.empty)

    def show_unreadable(self) -> None:
        """The query does not parse: earlier results stay; with none, say what to do."""
        if self.model.rowCount() == 0:
            self.empty.setText("Finish or correct the search above to see results.")
            self._stack.setCurrentWidget(self.empty)

    def extend_hits(self, hits: tuple[SearchHit, ...], more: bool) -> None:
        self.model.extend(hits, more)

    # ---- selection ------------------------------------------------------------------------

    def current_hit(self) -> SearchHit | None:
        index = self.list.currentIndex()
        return self.model.hit(index.row()) if index.isValid() else None

    def current_row(self) -> int | None:
        index = self.list.currentIndex()
        return index.row() if index.isValid() else None

    def current_article(self) -> Article | None:
        """The article of the current hit, once the window has read it."""
        return self._current

    def set_current_article(self, article: Article | None) -> None:
        self._current = article

    def select_row(self, row: int) -> bool:
        if not 0 <= row < self.model.rowCount():
            return False
        index = self.model.index(row, 0)
        self.list.setCurrentIndex(index)
        self.list.scrollTo(index, QAbstractItemView.ScrollHint.EnsureVisible)
        return True

    def step(self, step: int) -> bool:
        return self.select_row(step_target(self.model, self.current_row(), step))

    def move_to_unread(self, step: int) -> bool:
        row = self.current_row()
        target = (0 if step > 0 else self.model.rowCount() - 1) if row is None else row + step
        while 0 <= target < self.model.rowCount():
            hit = self.model.hit(target)
            if hit is not None and not hit.read:
                return self.select_row(target)
            target += step
        return False

    def enter(self) -> bool:
        """Move the keyboard into the results, on the first row if none is chosen."""
        if self.model.rowCount() == 0:
            return False
        if self.current_row() is None:
            self.select_row(0)
        self.list.setFocus()
        return True

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        hit = self.model.hit(current.row()) if current.isValid() else None
        if hit is None:
            return
        selection = self.list.selectionModel()
        if not selection.isSelected(current):  # focus moved in: the current row is chosen
            selection.select(current, selection.SelectionFlag.ClearAndSelect)
        self.hit_selected.emit(hit)

    def _clicked(self, index: QModelIndex) -> None:
        hit = self.model.hit(index.row())
        if hit is not None:
            self.hit_clicked.emit(hit)
