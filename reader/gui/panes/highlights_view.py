"""The global Highlights & Notes view: everything the user marked and wrote, newest first.

A self-contained widget: it fits in the central area (in place of the article list and the
reading view) or in a tab of its own. It reads through the read-only ``Library`` it is given,
pages as the list scrolls, and never writes; opening a row is a signal the window acts on.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.library import Library
from reader.core.types import HIGHLIGHT_COLORS, AnchorStatus, Changes
from reader.gui.models.annotations_model import colour_hex
from reader.gui.models.highlights_model import (
    ANCHOR_ROLE,
    ARTICLE_ID_ROLE,
    COLOUR_ROLE,
    HIGHLIGHT_ID_ROLE,
    KIND_ROLE,
    META_ROLE,
    NOTE_ROLE,
    TAGS_ROLE,
    HighlightQuery,
    HighlightsModel,
)
from reader.gui.panes.annotations_pane import small_font, wrap_text
from reader.gui.resources import Theme
from reader.gui.widgets.highlight_menu import swatch_icon
from reader.gui.widgets.themed_delegate import ThemedDelegate

Index = QModelIndex | QPersistentModelIndex
MAX_CARD_WIDTH = 820
MAX_QUOTE_LINES = 5
MAX_NOTE_LINES = 3
EMPTY_TEXT = "No highlights yet — select text in an article and press H."
NO_MATCH_TEXT = "Nothing matches these filters."


class EntryDelegate(ThemedDelegate):
    """A card per row: colour bar, quote (or note), the highlight's note, then where it is from."""

    def _card_rect(self, rect: QRect) -> QRect:
        width = min(MAX_CARD_WIDTH, self._view.viewport().width() - 32)
        left = rect.left() + max(16, (self._view.viewport().width() - width) // 2)
        return QRect(left, rect.top() + 8, width, 0)

    def _lines(self, index: Index, font: QFont, width: int) -> tuple[list[str], list[str], str]:
        main = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if index.data(KIND_ROLE) == "highlight":
            quote = wrap_text(f"“{main}”", font, width, MAX_QUOTE_LINES)
            note = index.data(NOTE_ROLE)
            notes = wrap_text(note, small_font(font), width, MAX_NOTE_LINES) if note else []
        else:
            quote = wrap_text(main or "(empty note)", font, width, MAX_QUOTE_LINES)
            notes = []
        meta = str(index.data(META_ROLE) or "")
        tags = index.data(TAGS_ROLE) or ()
        if tags:
            meta += "  ·  " + " ".join(f"#{t}" for t in tags)
        return quote, notes, meta

    def _height(self, index: Index, font: QFont, width: int) -> int:
        quote, notes, _ = self._lines(index, font, width)
        small = QFontMetrics(small_font(font))
        height = 12 + len(quote) * QFontMetrics(font).lineSpacing()
        if notes:
            height += 4 + len(notes) * small.lineSpacing()
        return height + 6 + small.height() + 12

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        card = self._card_rect(QRect(0, 0, 0, 0))
        return QSize(
            self._view.viewport().width(), self._height(index, option.font, card.width() - 34) + 12
        )

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        t = self.theme
        card = self._card_rect(option.rect)
        inner = card.width() - 34
        card.setHeight(self._height(index, option.font, inner))
        quote, notes, meta = self._lines(index, option.font, inner)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        focused = selected and self._view.hasFocus()
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        border = QColor(t.accent if focused else (t.muted if hovered else t.border))
        painter.setPen(QPen(border, 1.2 if focused else 1.0))
        painter.setBrush(QColor(t.selection if selected else t.base))
        painter.drawRoundedRect(card.adjusted(0, 0, -1, -1), 7, 7)
        left = card.left() + 20
        if index.data(KIND_ROLE) == "highlight":
            colour = QColor(index.data(COLOUR_ROLE) or colour_hex("yellow"))
            orphan = index.data(ANCHOR_ROLE) == AnchorStatus.ORPHAN.value
            if orphan:
                colour.setAlphaF(0.45)
        else:
            orphan = False
            colour = QColor(t.muted)
            colour.setAlphaF(0.55)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(
            QRect(card.left() + 8, card.top() + 10, 4, card.height() - 20), 2, 2
        )
        y = card.top() + 12
        metrics = QFontMetrics(option.font)
        painter.setFont(option.font)
        painter.setPen(QColor(t.selection_text if selected else t.text))
        for line in quote:
            painter.drawText(left, y + metrics.ascent(), line)
            y += metrics.lineSpacing()
        small = small_font(option.font)
        small_metrics = QFontMetrics(small)
        painter.setFont(small)
        painter.setPen(QColor(t.muted))
        if notes:
            y += 4
            for line in notes:
                painter.drawText(left, y + small_metrics.ascent(), line)
                y += small_metrics.lineSpacing()
        y += 6
        prefix, prefix_colour = "", QColor(t.muted)
        if orphan:
            prefix, prefix_colour = "Could not place", QColor(t.error)
        elif index.data(KIND_ROLE) == "note":
            prefix, prefix_colour = "Note", QColor(t.accent)
        x = left
        baseline = y + small_metrics.ascent()
        if prefix:
            bold = QFont(small)
            bold.setWeight(QFont.Weight.DemiBold)
            painter.setFont(bold)
            painter.setPen(prefix_colour)
            painter.drawText(x, baseline, prefix)
            x += QFontMetrics(bold).horizontalAdvance(prefix)
            painter.setFont(small)
            painter.setPen(QColor(t.muted))
            painter.drawText(x, baseline, "  ·  ")
            x += small_metrics.horizontalAdvance("  ·  ")
        painter.drawText(
            x,
            baseline,
            small_metrics.elidedText(meta, Qt.TextElideMode.ElideRight, inner - (x - left)),
        )
        painter.restore()


class EntryList(QListView):
    """Enter opens the row here (the window's Enter would open the article in the browser)."""

    open_requested = Signal(QModelIndex)

    def event(self, e: QEvent) -> bool:
        if (
            e.type() == QEvent.Type.ShortcutOverride
            and isinstance(e, QKeyEvent)
            and e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            e.accept()
            return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.open_requested.emit(self.currentIndex())
            return
        super().keyPressEvent(e)

    def resizeEvent(self, e: object) -> None:
        super().resizeEvent(e)  # type: ignore[arg-type]
        self.scheduleDelayedItemsLayout()


class HighlightsView(QWidget):
    """All highlights and notes, filterable by colour, tag, feed and "could not place"."""

    open_requested = Signal(int, object)  # (article id, highlight id or None for a note)

    def __init__(self, parent: QWidget | None = None, *, page_size: int | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("highlightsView")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self._reader: Library | None = None
        self._stale = False
        self.model = (
            HighlightsModel(self)
            if page_size is None
            else HighlightsModel(self, page_size=page_size)
        )

        bar = QWidget(self)
        bar.setObjectName("filterBar")  # one band: title and filters, like the article list's
        self.title = QLabel("Highlights & Notes", bar)
        self.title.setObjectName("viewTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.3)
        title_font.setWeight(QFont.Weight.DemiBold)
        self.title.setFont(title_font)
        self.subtitle = QLabel("", bar)
        self.subtitle.setObjectName("viewSubtitle")
        heading = QHBoxLayout()
        heading.setContentsMargins(4, 0, 0, 2)
        heading.setSpacing(8)
        heading.addWidget(self.title)
        heading.addWidget(self.subtitle, 0, Qt.AlignmentFlag.AlignBaseline)
        heading.addStretch(1)
        filters = QHBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.setSpacing(4)
        bar_layout = QVBoxLayout(bar)
        bar_layout.setContentsMargins(16, 12, 16, 8)
        bar_layout.setSpacing(6)
        bar_layout.addLayout(heading)
        bar_layout.addLayout(filters)
        self.colour_buttons: dict[str, QToolButton] = {}
        for colour in HIGHLIGHT_COLORS:
            button = QToolButton(bar)
            button.setObjectName("filterButton")
            button.setCheckable(True)
            button.setIcon(swatch_icon(colour))
            button.setText(colour.title())
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            button.setToolTip(f"Show only {colour} highlights (several may be chosen)")
            button.toggled.connect(self._filters_changed)
            filters.addWidget(button)
            self.colour_buttons[colour] = button
        filters.addSpacing(10)
        self.tag_combo = QComboBox(bar)
        self.tag_combo.setObjectName("tagFilter")
        self.tag_combo.setAccessibleName("Tag")
        self.tag_combo.setMinimumContentsLength(12)
        self.tag_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.tag_combo.currentIndexChanged.connect(self._filters_changed)
        self.feed_combo = QComboBox(bar)
        self.feed_combo.setObjectName("feedFilter")
        self.feed_combo.setAccessibleName("Feed")
        self.feed_combo.setMinimumContentsLength(16)
        self.feed_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.feed_combo.currentIndexChanged.connect(self._filters_changed)
        heading.addWidget(self.tag_combo)
        heading.addWidget(self.feed_combo)
        self.orphans_button = QToolButton(bar)
        self.orphans_button.setObjectName("filterButton")
        self.orphans_button.setCheckable(True)
        self.orphans_button.setText("Could not place only")
        self.orphans_button.setToolTip(
            "Highlights whose passage is no longer in the article's text"
        )
        self.orphans_button.toggled.connect(self._filters_changed)
        filters.addWidget(self.orphans_button)
        filters.addStretch(1)

        self.list = EntryList(self)
        self.list.setObjectName("highlightsList")
        self.list.setModel(self.model)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMouseTracking(True)
        self.list.setAccessibleName("All highlights and notes")
        self.delegate = EntryDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.list.open_requested.connect(self._open)
        self.list.doubleClicked.connect(self._open)

        self.empty = QWidget(self)
        self.empty_label = QLabel(EMPTY_TEXT, self.empty)
        self.empty_label.setObjectName("emptyHint")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.clear_button = QPushButton("Clear Filters", self.empty)
        self.clear_button.clicked.connect(self.clear_filters)
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(self.empty_label)
        empty_layout.addWidget(self.clear_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.list)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(bar)
        layout.addWidget(self.stack, 1)
        self.model.modelReset.connect(self._update_state)
        self.model.rowsInserted.connect(self._update_state)
        self._filling = False
        self._update_state()

    # ---- loading --------------------------------------------------------------------------

    def load(self, reader: Library) -> None:
        """Fill the filter choices and the first page (call again to start over)."""
        self._reader = reader
        self._fill_choices()
        self.model.load(reader, self.query())
        self._stale = False

    def reload(self) -> None:
        if self._reader is None:
            return
        self._fill_choices()
        self.model.reload()
        self._stale = False

    def apply_changes(self, changes: Changes) -> None:
        """After a write: re-read if it touched highlights, notes, tags, labels or the feed list.
        While hidden, only remember to (a refresh's many writes cost nothing here)."""
        if not (
            changes.highlights or changes.notes or changes.tags or changes.labels or changes.folders
        ):
            return
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def showEvent(self, e: object) -> None:
        super().showEvent(e)  # type: ignore[arg-type]
        if self._stale:
            self.reload()

    def set_theme(self, theme: Theme) -> None:
        self.delegate.set_theme(theme)
        self.subtitle.setStyleSheet(f"color: {theme.muted};")
        # cards sit on the window colour, as in the side pane (window.qss has no rule for this
        # list yet; the lead may move this line there)
        self.list.setStyleSheet(f"QListView#highlightsList {{ background: {theme.window}; }}")
        self.list.viewport().update()

    def set_color_labels(self, labels: dict[str, str]) -> None:
        for colour, button in self.colour_buttons.items():
            label = labels.get(colour) or colour.title()
            button.setText(label)
            button.setToolTip(f"Show only “{label}” highlights (several may be chosen)")

    def _fill_choices(self) -> None:
        reader = self._reader
        assert reader is not None
        self.set_color_labels(reader.color_labels())
        self._filling = True
        try:
            tag = self.tag_combo.currentData()
            self.tag_combo.clear()
            self.tag_combo.addItem("All tags", None)
            for t in reader.list_tags():
                self.tag_combo.addItem(f"#{t.name}", t.name)
            self.tag_combo.setCurrentIndex(max(0, self.tag_combo.findData(tag)))
            feed = self.feed_combo.currentData()
            self.feed_combo.clear()
            self.feed_combo.addItem("All feeds", None)
            for f in sorted(reader.list_feeds(), key=lambda f: f.title.casefold()):
                self.feed_combo.addItem(f.title, int(f.id))
            self.feed_combo.setCurrentIndex(max(0, self.feed_combo.findData(feed)))
        finally:
            self._filling = False

    # ---- filters --------------------------------------------------------------------------

    def query(self) -> HighlightQuery:
        colours = tuple(c for c, b in self.colour_buttons.items() if b.isChecked())
        return HighlightQuery(
            colors=colours or None,
            tag=self.tag_combo.currentData(),
            feed_id=self.feed_combo.currentData(),
            orphans_only=self.orphans_button.isChecked(),
        )

    def set_filters(
        self,
        *,
        colors: Sequence[str] = (),
        tag: str | None = None,
        feed_id: int | None = None,
        orphans_only: bool = False,
    ) -> None:
        """Choose filters in code (the window's "show highlights tagged …")."""
        self._filling = True
        try:
            for colour, button in self.colour_buttons.items():
                button.setChecked(colour in colors)
            self.tag_combo.setCurrentIndex(max(0, self.tag_combo.findData(tag)))
            self.feed_combo.setCurrentIndex(max(0, self.feed_combo.findData(feed_id)))
            self.orphans_button.setChecked(orphans_only)
        finally:
            self._filling = False
        self._filters_changed()

    def clear_filters(self) -> None:
        self.set_filters()

    def _filters_changed(self, *_args: object) -> None:
        if self._filling or self._reader is None:
            return
        self.model.set_query(self.query())

    # ---- rows -----------------------------------------------------------------------------

    def _open(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        highlight = index.data(HIGHLIGHT_ID_ROLE)
        self.open_requested.emit(
            int(index.data(ARTICLE_ID_ROLE)), int(highlight) if highlight is not None else None
        )

    def _update_state(self, *_args: object) -> None:
        rows = self.model.rowCount()
        filtered = self.model.query().is_filtered
        if rows:
            more = "+" if self.model.canFetchMore() else ""
            what = "items" if self.model.query().includes_notes else "highlights"
            self.subtitle.setText(f"{rows:,}{more} {what}, newest first")
            self.stack.setCurrentWidget(self.list)
            return
        self.subtitle.setText("")
        self.empty_label.setText(NO_MATCH_TEXT if filtered else EMPTY_TEXT)
        self.clear_button.setVisible(filtered)
        self.stack.setCurrentWidget(self.empty)
