"""The highlights & notes pane: what the user marked and wrote on the article being read.

Cards in three sections (highlights in reading order, "Could not place", notes), the article's
tag field, an "Add Note" button and a note editor that saves by itself. The pane never writes:
every change leaves as a signal, and the window performs it on the writer thread. Note text is
the one thing that must not be lost between the keyboard and the library, so saves go out as
``NoteSave`` requests that the window runs in order and answers (``note_save_done`` /
``note_save_failed``); a failed save keeps its text on screen with a Retry.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPen,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QStyle,
    QStyleOptionViewItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import (
    HIGHLIGHT_COLORS,
    AnchorStatus,
    ArticleId,
    Changes,
    Highlight,
    HighlightId,
    Note,
    NoteId,
)
from reader.gui import resources
from reader.gui.models.annotations_model import (
    ANCHOR_ROLE,
    COLOUR_ROLE,
    ID_ROLE,
    ITEM_ROLE,
    KIND_ROLE,
    NOTE_ROLE,
    ORPHANS,
    REVIEW_ANCHORS,
    SECTION_ROLE,
    SECTION_START_ROLE,
    SECTION_TITLES,
    TAGS_ROLE,
    AnnotationsModel,
    colour_hex,
)
from reader.gui.resources import Theme
from reader.gui.widgets.highlight_menu import swatch_icon
from reader.gui.widgets.note_editor import NoteEditor
from reader.gui.widgets.themed_delegate import ThemedDelegate

log = logging.getLogger("gloss.gui.annotations")

Index = QModelIndex | QPersistentModelIndex
PAD = 10
UNDO_BAR_MS = 8000
MAX_QUOTE_LINES = 8
MAX_NOTE_LINES = 6
MAX_BODY_LINES = 10


def parse_tags(text: str) -> list[str]:
    """What the user typed in a tag field: comma or space separated, ``#`` optional."""
    seen: dict[str, str] = {}
    for part in re.split(r"[,\s]+", text):
        tag = part.strip().lstrip("#").strip()
        if tag:
            seen.setdefault(tag.casefold(), tag)
    return list(seen.values())


# ---- saving notes ---------------------------------------------------------------------------


@dataclass(eq=False)
class SaveTarget:
    """What the editor is writing: a highlight's note, or an article note (``item_id`` is
    ``None`` until a new note's first save has created it).

    One object per editing session, shared by all its saves. ``NoteSave.apply`` runs on the
    writer thread, in order, so the first save of a new note sets ``item_id`` before the next
    one reads it: typing on while the note is being created never creates it twice.
    """

    kind: str  # "highlight" or "note"
    article_id: ArticleId
    item_id: int | None = None


@dataclass(frozen=True, eq=False)
class NoteSave:
    """One save of the editor's text, emitted by ``AnnotationsPane.note_save_requested``.

    The window runs ``apply`` on the writer thread (``tasks.mutate(save.apply, ...)``) and
    answers with ``pane.note_save_done(save, changes)`` or ``pane.note_save_failed(save, e)``.
    """

    target: SaveTarget
    body: str

    def apply(self, library: Library) -> Changes:
        target = self.target
        if target.kind == "highlight":
            assert target.item_id is not None
            note = self.body if self.body.strip() else None
            return library.set_highlight_note(HighlightId(target.item_id), note)
        if target.item_id is None:
            note_row, changes = library.add_note(target.article_id, self.body)
            target.item_id = int(note_row.id)
            return changes
        return library.update_note(NoteId(target.item_id), self.body)


# ---- drawing cards --------------------------------------------------------------------------


@dataclass
class _Text:
    lines: list[str]
    font: QFont
    top: int
    line_height: int

    @property
    def height(self) -> int:
        return len(self.lines) * self.line_height


@dataclass
class _Card:
    """Where everything of one card goes, computed once for measuring, painting and clicks."""

    height: int
    card: QRect
    header: QRect | None = None
    header_hint: QRect | None = None
    texts: list[tuple[_Text, str]] = field(default_factory=list)  # (text, "main"|"muted")
    chips: list[tuple[QRect, str]] = field(default_factory=list)
    review: QRect | None = None
    reattach: QRect | None = None


def small_font(font: QFont) -> QFont:
    """The cards' secondary text (notes, sources, chips): a little smaller than the quote."""
    small = QFont(font)
    small.setPointSizeF(max(7.0, font.pointSizeF() * 0.88))
    return small


def wrap_text(text: str, font: QFont, width: int, max_lines: int) -> list[str]:
    """Word-wrapped lines (long words broken anywhere), at most ``max_lines``, the last elided."""
    text = text.replace("\r\n", "\n").replace("\n", "\u2028")
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    starts: list[tuple[int, int]] = []
    layout.beginLayout()
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(max(10, width))
        starts.append((line.textStart(), line.textLength()))
    layout.endLayout()
    lines = [text[s : s + n].replace("\u2028", "").rstrip() for s, n in starts]
    if len(lines) > max_lines:
        rest = text[starts[max_lines - 1][0] :].replace("\u2028", " ")
        metrics = QFontMetrics(font)
        last = metrics.elidedText(rest + " …", Qt.TextElideMode.ElideRight, width)
        lines = [*lines[: max_lines - 1], last]
    return lines or [""]


class AnnotationDelegate(ThemedDelegate):
    """A card per item: colour bar, quote, note, tag chips, and the Review / Re-attach cues."""

    reattach_clicked = Signal(int)
    review_clicked = Signal(int)

    # fonts

    @staticmethod
    def _heading(font: QFont) -> QFont:
        heading = QFont(font)
        heading.setPointSizeF(max(7.0, font.pointSizeF() * 0.8))
        heading.setWeight(QFont.Weight.DemiBold)
        heading.setCapitalization(QFont.Capitalization.AllUppercase)
        heading.setLetterSpacing(QFont.SpacingType.PercentageSpacing, 106)
        return heading

    # layout

    def _layout(self, rect: QRect, index: Index, font: QFont) -> _Card:
        width = rect.width() or self._view.viewport().width()
        top = rect.top()
        header = header_hint = None
        if index.data(SECTION_START_ROLE):
            heading = QFontMetrics(self._heading(font))
            top += 6 if index.row() == 0 else 12
            header = QRect(rect.left() + PAD + 4, top, width - 2 * PAD, heading.height() + 4)
            top = header.bottom() + 1
            if index.data(SECTION_ROLE) == ORPHANS:
                small = QFontMetrics(small_font(font))
                header_hint = QRect(header.left(), top, header.width() - 4, small.height())
                top = header_hint.bottom() + 3
            top += 2
        card_left, card_width = rect.left() + PAD, width - 2 * PAD
        inner_left = card_left + 16
        inner_width = max(40, card_width - 16 - 12)
        y = top + 10
        card = _Card(0, QRect(), header, header_hint)
        kind = index.data(KIND_ROLE)
        main = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if kind == "highlight":
            quote = _Text(
                wrap_text(f"“{main}”", font, inner_width, MAX_QUOTE_LINES),
                font,
                y,
                QFontMetrics(font).lineSpacing(),
            )
            card.texts.append((quote, "main"))
            y += quote.height
            note = index.data(NOTE_ROLE)
            if note:
                note_font = small_font(font)
                y += 6
                text = _Text(
                    wrap_text(note, note_font, inner_width, MAX_NOTE_LINES),
                    note_font,
                    y,
                    QFontMetrics(note_font).lineSpacing(),
                )
                card.texts.append((text, "muted"))
                y += text.height
        else:
            body = _Text(
                wrap_text(main or "(empty note)", font, inner_width, MAX_BODY_LINES),
                font,
                y,
                QFontMetrics(font).lineSpacing(),
            )
            card.texts.append((body, "main"))
            y += body.height
        tags = index.data(TAGS_ROLE) or ()
        if tags:
            y += 8
            y = self._layout_chips(card, tags, small_font(font), inner_left, inner_width, y)
        anchor = index.data(ANCHOR_ROLE)
        orphan = anchor == AnchorStatus.ORPHAN.value
        if kind == "highlight" and (orphan or anchor in REVIEW_ANCHORS):
            small = QFontMetrics(small_font(font))
            y += 8
            height = small.height() + 8
            if orphan:
                card.reattach = QRect(
                    inner_left, y, small.horizontalAdvance("Re-attach…") + 22, height
                )
            else:
                card.review = QRect(inner_left, y, small.horizontalAdvance("Review") + 34, height)
            y += height
        y += 10
        card.card = QRect(card_left, top, card_width, y - top)
        card.height = y + 4 - rect.top()
        return card

    def _layout_chips(
        self, card: _Card, tags: Sequence[str], font: QFont, left: int, width: int, y: int
    ) -> int:
        metrics = QFontMetrics(font)
        height = metrics.height() + 4
        x = left
        for tag in tags:
            label = metrics.elidedText(f"#{tag}", Qt.TextElideMode.ElideRight, width - 12)
            chip_width = metrics.horizontalAdvance(label) + 14
            if x > left and x + chip_width > left + width:
                x, y = left, y + height + 4
            card.chips.append((QRect(x, y, chip_width, height), label))
            x += chip_width + 4
        return y + height

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        width = self._view.viewport().width()
        card = self._layout(QRect(0, 0, width, 0), index, option.font)
        return QSize(width, card.height)

    # painting

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        t = self.theme
        rect = QRect(option.rect.left(), option.rect.top(), self._view.viewport().width(), 0)
        card = self._layout(rect, index, option.font)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if card.header is not None:
            self._paint_header(painter, card, index, option.font)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        focused = selected and self._view.hasFocus()
        border = QColor(t.accent if focused else (t.muted if hovered else t.border))
        painter.setPen(QPen(border, 1.2 if focused else 1.0))
        painter.setBrush(QColor(t.selection if selected else t.base))
        painter.drawRoundedRect(card.card.adjusted(0, 0, -1, -1), 7, 7)
        if index.data(KIND_ROLE) == "highlight":
            colour = QColor(index.data(COLOUR_ROLE) or colour_hex("yellow"))
            if index.data(ANCHOR_ROLE) == AnchorStatus.ORPHAN.value:
                colour.setAlphaF(0.45)
        else:
            colour = QColor(t.muted)  # a note: the same bar, in the quiet colour
            colour.setAlphaF(0.55)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        bar = QRect(card.card.left() + 6, card.card.top() + 9, 4, card.card.height() - 18)
        painter.drawRoundedRect(bar, 2, 2)
        text_colour = QColor(t.selection_text if selected else t.text)
        for text, style in card.texts:
            painter.setFont(text.font)
            painter.setPen(text_colour if style == "main" else QColor(t.muted))
            metrics = QFontMetrics(text.font)
            for n, line in enumerate(text.lines):
                baseline = text.top + n * text.line_height + metrics.ascent()
                painter.drawText(card.card.left() + 16, baseline, line)
        if card.chips:
            self._paint_chips(painter, card, option.font)
        if card.review is not None:
            self._paint_pill(painter, card.review, "Review", option.font, cue=True)
        if card.reattach is not None:
            self._paint_pill(painter, card.reattach, "Re-attach…", option.font, cue=False)
        painter.restore()

    def _paint_header(self, painter: QPainter, card: _Card, index: Index, font: QFont) -> None:
        assert card.header is not None
        section = index.data(SECTION_ROLE)
        model = index.model()
        count = model.section_count(section) if isinstance(model, AnnotationsModel) else 0
        painter.setFont(self._heading(font))
        painter.setPen(QColor(self.theme.error if section == ORPHANS else self.theme.muted))
        painter.drawText(
            card.header,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            f"{SECTION_TITLES.get(section, section)}  ·  {count}",
        )
        if card.header_hint is not None:
            painter.setFont(small_font(font))
            painter.setPen(QColor(self.theme.muted))
            metrics = QFontMetrics(small_font(font))
            painter.drawText(
                card.header_hint,
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                metrics.elidedText(
                    "Their passages are gone from the article's text.",
                    Qt.TextElideMode.ElideRight,
                    card.header_hint.width(),
                ),
            )

    def _paint_chips(self, painter: QPainter, card: _Card, font: QFont) -> None:
        small = small_font(font)
        painter.setFont(small)
        for rect, label in card.chips:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(self.theme.badge))
            painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
            painter.setPen(QColor(self.theme.badge_text))
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    def _paint_pill(
        self, painter: QPainter, rect: QRect, label: str, font: QFont, *, cue: bool
    ) -> None:
        small = small_font(font)
        if cue:
            small.setWeight(QFont.Weight.DemiBold)
        painter.setFont(small)
        radius = rect.height() / 2
        if cue:
            colour = QColor(self.theme.star)
            fill = QColor(colour)
            fill.setAlphaF(0.16)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(fill)
            painter.drawRoundedRect(rect, radius, radius)
            painter.setBrush(colour)
            dot = QRect(rect.left() + 9, rect.center().y() - 3, 6, 6)
            painter.drawEllipse(dot)
            painter.setPen(QColor(self.theme.text))
            painter.drawText(rect.adjusted(20, 0, -8, 0), Qt.AlignmentFlag.AlignVCenter, label)
            return
        painter.setPen(QPen(QColor(self.theme.border), 1))
        painter.setBrush(QColor(self.theme.window))
        painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 5, 5)
        painter.setPen(QColor(self.theme.text))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, label)

    # clicks on the painted buttons

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: Index,
    ) -> bool:
        if (
            event.type() == QEvent.Type.MouseButtonRelease
            and isinstance(event, QMouseEvent)
            and event.button() == Qt.MouseButton.LeftButton
        ):
            rect = QRect(option.rect.left(), option.rect.top(), option.rect.width(), 0)
            card = self._layout(rect, index, option.font)
            pos = event.position().toPoint()
            if card.reattach is not None and card.reattach.contains(pos):
                self.reattach_clicked.emit(int(index.data(ID_ROLE)))
                return True
            if card.review is not None and card.review.contains(pos):
                self.review_clicked.emit(int(index.data(ID_ROLE)))
                return True
        return super().editorEvent(event, model, option, index)


# ---- the list -------------------------------------------------------------------------------


class AnnotationList(QListView):
    """The cards; Enter edits, Delete deletes, Ctrl+Z undoes a delete (not the window's keys)."""

    edit_requested = Signal(QModelIndex)
    delete_requested = Signal(QModelIndex)
    undo_requested = Signal()
    menu_requested = Signal(QModelIndex, QPoint)  # the card, where to open (global)

    _OWN_KEYS = frozenset(
        {Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Delete, Qt.Key.Key_Backspace}
    )

    def event(self, e: QEvent) -> bool:
        if e.type() == QEvent.Type.ShortcutOverride and isinstance(e, QKeyEvent):
            plain = not (e.modifiers() & ~Qt.KeyboardModifier.KeypadModifier)
            if (plain and e.key() in self._OWN_KEYS) or e.matches(QKeySequence.StandardKey.Undo):
                e.accept()
                return True
        return super().event(e)

    def keyPressEvent(self, e: QKeyEvent) -> None:
        index = self.currentIndex()
        if e.matches(QKeySequence.StandardKey.Undo):
            self.undo_requested.emit()
            return
        if e.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and index.isValid():
            self.edit_requested.emit(index)
            return
        if e.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and index.isValid():
            self.delete_requested.emit(index)
            return
        super().keyPressEvent(e)

    def contextMenuEvent(self, e: QContextMenuEvent) -> None:
        if e.reason() == QContextMenuEvent.Reason.Keyboard:
            index = self.currentIndex()
            rect = self.visualRect(index)
            pos = self.viewport().mapToGlobal(QPoint(rect.left() + 24, rect.top() + 24))
        else:
            pos = e.globalPos()
            index = self.indexAt(self.viewport().mapFromGlobal(pos))
        if index.isValid():
            self.setCurrentIndex(index)
            self.menu_requested.emit(index, pos)

    def resizeEvent(self, e: object) -> None:
        super().resizeEvent(e)  # type: ignore[arg-type]
        self.scheduleDelayedItemsLayout()  # card heights depend on the width


# ---- the pane -------------------------------------------------------------------------------


class AnnotationsPane(QWidget):
    """Highlights, orphans, notes and tags of the article being read.

    Load it with ``show_article(reader, article_id)`` and, after a write, ``apply_changes``.
    """

    highlight_activated = Signal(int)  # a card was selected: scroll the reading view to it
    reattach_requested = Signal(int)  # put the reading view into "attach to selection" mode
    highlight_color_changed = Signal(int, str)
    highlight_tags_changed = Signal(int, list)
    highlight_delete_requested = Signal(int)
    highlight_restore_requested = Signal(int)  # undo of a delete
    note_delete_requested = Signal(int)
    note_restore_requested = Signal(int)
    article_tags_changed = Signal(int, list)  # (article id, tags typed in the field)
    note_save_requested = Signal(object)  # NoteSave
    link_clicked = Signal(QUrl)  # a link in a note's preview: open it in the browser

    def __init__(self, model: AnnotationsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("annotationsPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = model
        self.theme = resources.LIGHT
        self._reader: Library | None = None
        self._article_id: ArticleId | None = None
        self._has_article = False
        self._field_tags: list[str] = []
        self._tags_shown_for: ArticleId | None = None
        self._target: SaveTarget | None = None
        self._failed: dict[int, NoteSave] = {}  # id(target) → the last failed save of it
        self._failed_message = ""
        self._undo: list[tuple[str, int]] = []  # ("highlight" | "note", id) most recent last
        self._restoring = False
        self._pressed_current: QModelIndex | None = None

        self.title = QLabel("Highlights & Notes", self)
        self.title.setObjectName("paneTitle")
        self.tags_row = QWidget(self)
        self.tags_row.setObjectName("tagsRow")
        self.tags_edit = QLineEdit(self.tags_row)
        self.tags_edit.setObjectName("articleTags")
        self.tags_edit.setPlaceholderText("Add tags: comma or space separated")
        self.tags_edit.setAccessibleName("Article tags")
        self.tags_edit.editingFinished.connect(self._tags_edited)
        self.note_tags = QLabel(self.tags_row)
        self.note_tags.setObjectName("noteTags")
        self.note_tags.setWordWrap(True)
        self.note_tags.hide()
        tags_label = QLabel("Tags", self.tags_row)
        tags_label.setObjectName("fieldLabel")
        tags_label.setBuddy(self.tags_edit)
        tags_layout = QGridLayout(self.tags_row)
        tags_layout.setContentsMargins(12, 2, 10, 6)
        tags_layout.setHorizontalSpacing(8)
        tags_layout.setVerticalSpacing(3)
        tags_layout.addWidget(tags_label, 0, 0)
        tags_layout.addWidget(self.tags_edit, 0, 1)
        tags_layout.addWidget(self.note_tags, 1, 1)
        tags_layout.setColumnStretch(1, 1)
        self.tags_label = tags_label

        self.banner = QFrame(self)
        self.banner.setObjectName("paneBanner")
        self.banner_label = QLabel(self.banner)
        self.banner_label.setWordWrap(True)
        self.banner_button = QToolButton(self.banner)
        self.banner_button.setObjectName("bannerButton")
        self.banner_button.clicked.connect(self._banner_clicked)
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(12, 6, 8, 6)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.banner_button)
        self.banner.hide()
        self._banner_action = ""
        self._banner_timer = QTimer(self)
        self._banner_timer.setSingleShot(True)
        self._banner_timer.setInterval(UNDO_BAR_MS)
        self._banner_timer.timeout.connect(self._banner_expired)

        self.list = AnnotationList(self)
        self.list.setObjectName("annotationList")
        self.list.setModel(model)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setMouseTracking(True)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.DefaultContextMenu)
        self.list.setAccessibleName("Highlights and notes")
        self.delegate = AnnotationDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.delegate.reattach_clicked.connect(self.reattach_requested)
        self.delegate.review_clicked.connect(self._review)
        self.list.edit_requested.connect(self._edit_index)
        self.list.delete_requested.connect(self._delete_index)
        self.list.undo_requested.connect(self.undo_delete)
        self.list.doubleClicked.connect(self._edit_index)
        self.list.clicked.connect(self._clicked)
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.list.menu_requested.connect(self._context_menu)
        self.list.viewport().installEventFilter(self)

        self.hint = QLabel(self)
        self.hint.setObjectName("emptyHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.list)

        self.add_note_button = QPushButton("Add Note", self)
        self.add_note_button.setObjectName("addNoteButton")
        self.add_note_button.setToolTip("Write a note on the whole article")
        self.add_note_button.clicked.connect(self.add_note)
        footer = QHBoxLayout()
        footer.setContentsMargins(10, 6, 10, 8)
        footer.addWidget(self.add_note_button)
        footer.addStretch(1)

        top = QWidget(self)
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.setSpacing(0)
        top_layout.addWidget(self.tags_row)
        top_layout.addWidget(self.banner)
        top_layout.addWidget(self.stack, 1)
        top_layout.addLayout(footer)

        self.editor = NoteEditor(self)
        self.editor.save_requested.connect(self._editor_save)
        self.editor.done.connect(lambda: self.close_editor(focus_card=True))
        self.editor.link_clicked.connect(self.link_clicked)
        self.editor.hide()

        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("annotationsSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(0, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.splitter, 1)
        QWidget.setTabOrder(self.tags_edit, self.list)
        QWidget.setTabOrder(self.list, self.add_note_button)
        QWidget.setTabOrder(self.add_note_button, self.editor.edit)

        model.modelReset.connect(self._update_state)
        self._update_state()

    # ---- loading --------------------------------------------------------------------------

    def show_article(self, reader: Library, article_id: ArticleId | None) -> None:
        """Show an article's annotations (``None``: no article). Switching article saves and
        closes the editor first."""
        switching = article_id != self._article_id
        if switching:
            self.close_editor()
            self._tags_edited()  # tags typed but not yet confirmed belong to the old article
            self._undo.clear()
            if self._banner_action == "undo":
                self._hide_banner()
        self._reader = reader
        self._article_id = article_id
        self._has_article = article_id is not None
        self._tags_shown_for = None if switching else self._tags_shown_for
        self.reload()

    def reload(self) -> None:
        """Read the current article's annotations again, keeping the selected card."""
        reader, article_id = self._reader, self._article_id
        if reader is None or article_id is None:
            self._field_tags = []
            self._restoring = True
            try:
                self.model.clear()
            finally:
                self._restoring = False
            self._show_tags((), ())
            return
        kept = self._selected_key()
        self.model.set_color_labels(reader.color_labels())
        self._restoring = True
        try:
            self.model.set_items(reader.list_highlights(article_id), reader.list_notes(article_id))
            if kept is not None:
                self.select_item(*kept)
        finally:
            self._restoring = False
        self._show_tags(reader.article_field_tags(article_id), reader.article_tags(article_id))

    def apply_changes(self, changes: Changes) -> None:
        """Re-read when a write touched this article's annotations, tags or colour labels."""
        if self._article_id is None:
            return
        if (
            changes.highlights
            or changes.notes
            or changes.tags
            or changes.labels
            or self._article_id in changes.articles
        ):
            self.reload()

    def set_article_shown(self, shown: bool) -> None:
        """For owners that fill the model themselves (``model.set_items``)."""
        self._has_article = shown
        if not shown:
            self.close_editor()
            self._article_id = None
            self._show_tags((), ())
        self._update_state()

    def set_color_labels(self, labels: dict[str, str]) -> None:
        self.model.set_color_labels(labels)

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        self.delegate.set_theme(theme)
        self.editor.set_theme(theme)
        self.note_tags.setStyleSheet(f"color: {theme.muted}; padding-left: 2px;")
        self.banner.setStyleSheet(
            f"QFrame#paneBanner {{ background: {theme.badge}; border: none; }}"
        )
        self.tags_label.setStyleSheet(f"color: {theme.muted};")
        self.add_note_button.setIcon(resources.icon("note", theme.text))
        self.list.viewport().update()

    def current_article_id(self) -> ArticleId | None:
        return self._article_id

    # ---- selection ------------------------------------------------------------------------

    def select_item(self, kind: str, item_id: int) -> bool:
        """Select a card without emitting ``highlight_activated`` (the reading view asked)."""
        row = self.model.row_of(kind, item_id)
        if row is None:
            return False
        restoring, self._restoring = self._restoring, True
        try:
            index = self.model.index(row, 0)
            self.list.setCurrentIndex(index)
            self.list.scrollTo(index)
        finally:
            self._restoring = restoring
        return True

    def select_highlight(self, highlight_id: int) -> bool:
        return self.select_item("highlight", highlight_id)

    def _selected_key(self) -> tuple[str, int] | None:
        index = self.list.currentIndex()
        if not index.isValid():
            return None
        return str(index.data(KIND_ROLE)), int(index.data(ID_ROLE))

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._restoring or not current.isValid():
            return
        if current.data(KIND_ROLE) == "highlight":
            self.highlight_activated.emit(int(current.data(ID_ROLE)))

    def _clicked(self, index: QModelIndex) -> None:
        """A click on the card that was already selected scrolls to it again."""
        if (
            self._pressed_current is not None
            and index == self._pressed_current
            and index.data(KIND_ROLE) == "highlight"
        ):
            self.highlight_activated.emit(int(index.data(ID_ROLE)))

    def _review(self, highlight_id: int) -> None:
        self.select_highlight(highlight_id)
        self.highlight_activated.emit(highlight_id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.list.viewport() and event.type() == QEvent.Type.MouseButtonPress:
            self._pressed_current = QModelIndex(self.list.currentIndex())
        return super().eventFilter(watched, event)

    # ---- context menu ---------------------------------------------------------------------

    def _context_menu(self, index: QModelIndex, pos: QPoint) -> None:
        menu = self.build_context_menu(index)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        menu.popup(pos)

    def build_context_menu(self, index: QModelIndex) -> QMenu:
        """The card's actions (also what a test or the keyboard's menu key gets)."""
        menu = QMenu(self)
        menu.setObjectName("annotationMenu")
        item = index.data(ITEM_ROLE)
        if isinstance(item, Highlight):
            hid = int(item.id)
            colours = menu.addMenu("Colour")
            labels = self.model.color_labels()
            for colour in HIGHLIGHT_COLORS:
                action = colours.addAction(swatch_icon(colour), labels[colour])
                action.setCheckable(True)
                action.setChecked(colour == item.color)
                action.triggered.connect(
                    lambda _c=False, c=colour: self.highlight_color_changed.emit(hid, c)
                )
            edit = menu.addAction("Edit Note…")
            edit.setShortcut(QKeySequence(Qt.Key.Key_Return))
            edit.triggered.connect(lambda: self.open_highlight_note(hid))
            menu.addAction("Edit Tags…").triggered.connect(lambda: self.edit_highlight_tags(hid))
            menu.addAction("Copy Quote").triggered.connect(lambda: self._copy(item.quote))
            if item.anchor == AnchorStatus.ORPHAN.value or item.anchor in REVIEW_ANCHORS:
                menu.addSeparator()
                menu.addAction("Re-attach to Selection…").triggered.connect(
                    lambda: self.reattach_requested.emit(hid)
                )
            menu.addSeparator()
            delete = menu.addAction("Delete Highlight")
            delete.setShortcut(QKeySequence(Qt.Key.Key_Delete))
            delete.triggered.connect(lambda: self.delete_highlight(hid))
        elif isinstance(item, Note):
            nid = int(item.id)
            edit = menu.addAction("Edit Note…")
            edit.setShortcut(QKeySequence(Qt.Key.Key_Return))
            edit.triggered.connect(lambda: self.edit_note(nid))
            menu.addAction("Copy Text").triggered.connect(lambda: self._copy(item.body))
            menu.addSeparator()
            delete = menu.addAction("Delete Note")
            delete.setShortcut(QKeySequence(Qt.Key.Key_Delete))
            delete.triggered.connect(lambda: self.delete_note(nid))
        return menu

    @staticmethod
    def _copy(text: str) -> None:
        QGuiApplication.clipboard().setText(text)

    def edit_highlight_tags(self, highlight_id: int) -> QInputDialog:
        """Ask for the highlight's typed tags (its note's #tags stay the note's business)."""
        current: Sequence[str] = ()
        if self._reader is not None:
            current = self._reader.highlight_field_tags(HighlightId(highlight_id))
        dialog = QInputDialog(self)
        dialog.setWindowTitle("Highlight Tags")
        dialog.setLabelText("Tags, separated by commas or spaces:")
        dialog.setTextValue(", ".join(current))
        dialog.textValueSelected.connect(
            lambda text: self._highlight_tags_entered(highlight_id, list(current), text)
        )
        dialog.finished.connect(dialog.deleteLater)
        self.tags_dialog = dialog
        dialog.open()
        return dialog

    def _highlight_tags_entered(self, highlight_id: int, before: list[str], text: str) -> None:
        tags = parse_tags(text)
        if [t.casefold() for t in tags] != [t.casefold() for t in before]:
            self.highlight_tags_changed.emit(highlight_id, tags)

    # ---- deleting, with undo --------------------------------------------------------------

    def _delete_index(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if isinstance(item, Highlight):
            self.delete_highlight(int(item.id))
        elif isinstance(item, Note):
            self.delete_note(int(item.id))

    def delete_highlight(self, highlight_id: int) -> None:
        if self._is_editing("highlight", highlight_id):
            self.close_editor()
        self._undo.append(("highlight", highlight_id))
        self.highlight_delete_requested.emit(highlight_id)
        self._show_banner("Highlight deleted.", "Undo", "undo")

    def delete_note(self, note_id: int) -> None:
        if self._is_editing("note", note_id):
            self._close_editor_without_cleanup()
        self._undo.append(("note", note_id))
        self.note_delete_requested.emit(note_id)
        self._show_banner("Note deleted.", "Undo", "undo")

    def _is_editing(self, kind: str, item_id: int) -> bool:
        target = self._target
        return target is not None and target.kind == kind and target.item_id == item_id

    def undo_delete(self) -> None:
        """Bring back the most recent deleted highlight or note (Ctrl+Z in the list)."""
        if not self._undo:
            return
        kind, item_id = self._undo.pop()
        if kind == "highlight":
            self.highlight_restore_requested.emit(item_id)
        else:
            self.note_restore_requested.emit(item_id)
        if self._banner_action == "undo" and not self._undo:
            self._hide_banner()

    # ---- tags -----------------------------------------------------------------------------

    def _show_tags(self, field_tags: Sequence[str], all_tags: Sequence[str]) -> None:
        self._field_tags = list(field_tags)
        # a reload must not overwrite what the user is typing, but another article's tags must
        if not self.tags_edit.hasFocus() or self._tags_shown_for != self._article_id:
            self.tags_edit.setText(", ".join(field_tags))
        self._tags_shown_for = self._article_id
        typed = {t.casefold() for t in field_tags}
        from_notes = [t for t in all_tags if t.casefold() not in typed]
        self.note_tags.setText("From notes: " + " ".join(f"#{t}" for t in from_notes))
        self.note_tags.setVisible(bool(from_notes))
        self.tags_row.setVisible(self._has_article and self._article_id is not None)

    def _tags_edited(self) -> None:
        if self._article_id is None:
            return
        tags = parse_tags(self.tags_edit.text())
        if [t.casefold() for t in tags] == [t.casefold() for t in self._field_tags]:
            return
        self._field_tags = tags
        self.article_tags_changed.emit(int(self._article_id), tags)

    # ---- editing notes --------------------------------------------------------------------

    def _edit_index(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if isinstance(item, Highlight):
            self.open_highlight_note(int(item.id))
        elif isinstance(item, Note):
            self.edit_note(int(item.id))

    def open_highlight_note(self, highlight_id: int) -> None:
        row = self.model.row_of("highlight", highlight_id)
        item = self.model.item(row) if row is not None else None
        if not isinstance(item, Highlight) or self._article_id is None:
            return
        quote = " ".join(item.quote.split())
        short = quote if len(quote) <= 48 else quote[:47].rstrip() + "…"
        self._open_editor(
            SaveTarget("highlight", self._article_id, highlight_id),
            item.note or "",
            f"Note on “{short}”",
            allow_empty=True,
        )

    def edit_note(self, note_id: int) -> None:
        row = self.model.row_of("note", note_id)
        item = self.model.item(row) if row is not None else None
        if not isinstance(item, Note) or self._article_id is None:
            return
        when = item.created_at.astimezone()
        self._open_editor(
            SaveTarget("note", self._article_id, note_id),
            item.body,
            f"Note · {when:%d %b %Y, %H:%M}",
            allow_empty=False,
        )

    def add_note(self) -> None:
        """A new, empty note: nothing is written until the user has typed something."""
        if self._article_id is None:
            return
        self._open_editor(SaveTarget("note", self._article_id), "", "New note", allow_empty=False)

    def _open_editor(self, target: SaveTarget, text: str, title: str, *, allow_empty: bool) -> None:
        current = self._target
        if (
            current is not None
            and current.kind == target.kind
            and current.item_id is not None
            and current.item_id == target.item_id
        ):
            self.editor.focus_text()
            return
        self.close_editor()
        unsaved = self._take_failed(target)
        if unsaved is not None:
            target = unsaved.target  # same object: a new note keeps the id it may have got
        self._target = target
        self.editor.open_text(text, title=title, allow_empty=allow_empty)
        if unsaved is not None:  # the text that could not be saved, not the stored one
            self.editor.edit.setPlainText(unsaved.body)
            self.editor.save_failed(unsaved.body, self._failed_message)
        if not self.editor.isVisible():
            self.editor.show()
            total = max(self.splitter.height(), 300)
            self.splitter.setSizes([total - total * 45 // 100, total * 45 // 100])
        self.editor.focus_text()

    def _take_failed(self, target: SaveTarget) -> NoteSave | None:
        for key, save in list(self._failed.items()):
            other = save.target
            if (other.kind, other.item_id) == (target.kind, target.item_id) and other.item_id:
                del self._failed[key]
                self._update_failed_banner()
                return save
        return None

    def editing(self) -> SaveTarget | None:
        """What the editor is writing now, if it is open."""
        return self._target

    def flush(self) -> None:
        """Ask for a save of any typed text now: before the window closes or the app quits."""
        self.editor.flush()

    def close_editor(self, *, focus_card: bool = False) -> None:
        """Save what was typed and close the editor. An article note emptied by the user is
        deleted (undoable); one whose save failed stays listed in the pane's banner.

        ``focus_card``: the user closed it (Done, Escape), so the keyboard goes back to the
        card; when the window closes it (another article), focus stays where the user put it."""
        target = self._target
        if target is None:
            return
        self.editor.flush()
        text = self.editor.text()
        if self.editor.error() is not None and self.editor.is_dirty():
            self._remember_failed(NoteSave(target, text), self.editor.error() or "")
        self._close_editor_without_cleanup()
        if target.kind == "note" and target.item_id is not None and not text.strip():
            self.delete_note(target.item_id)
        row = self.model.row_of(target.kind, target.item_id) if target.item_id else None
        if focus_card and row is not None:
            self.select_item(target.kind, target.item_id or 0)
            self.list.setFocus(Qt.FocusReason.OtherFocusReason)

    def _close_editor_without_cleanup(self) -> None:
        self.editor.flush()
        self.editor.hide()
        self._target = None

    def _editor_save(self, body: str) -> None:
        target = self._target
        if target is None:
            log.warning("note editor asked to save with nothing open")
            return
        self.note_save_requested.emit(NoteSave(target, body))

    def note_save_done(self, save: NoteSave, _changes: Changes | None = None) -> None:
        """The window stored ``save`` (call from the write's ``on_done``)."""
        failed = self._failed.get(id(save.target))
        if failed is not None and failed.body == save.body:
            del self._failed[id(save.target)]
            self._update_failed_banner()
        if save.target is self._target:
            self.editor.save_succeeded(save.body)

    def note_save_failed(self, save: NoteSave, error: BaseException | str) -> None:
        """The write failed (call from the write's ``on_error``): the text is kept."""
        if isinstance(error, BaseException) and not isinstance(error, GlossError):
            log.error("saving a note failed", exc_info=error)
        message = str(error) or type(error).__name__
        if save.target is self._target:
            self.editor.save_failed(save.body, message)
        else:
            self._remember_failed(save, message)

    def retry_failed_saves(self) -> None:
        for save in list(self._failed.values()):
            self.note_save_requested.emit(save)

    def failed_saves(self) -> list[NoteSave]:
        return list(self._failed.values())

    def _remember_failed(self, save: NoteSave, message: str) -> None:
        self._failed[id(save.target)] = save
        self._failed_message = message
        self._update_failed_banner()

    def _update_failed_banner(self) -> None:
        if self._failed:
            count = len(self._failed)
            what = "A note" if count == 1 else f"{count} notes"
            self._show_banner(
                f"{what} could not be saved: {self._failed_message}. The text is kept.",
                "Retry",
                "retry",
                error=True,
            )
        elif self._banner_action == "retry":
            self._hide_banner()

    # ---- the banner -----------------------------------------------------------------------

    def _show_banner(self, text: str, button: str, action: str, *, error: bool = False) -> None:
        if self._banner_action == "retry" and action != "retry" and self._failed:
            return  # an unsaved note matters more than an undo offer
        self._banner_action = action
        self.banner_label.setText(text)
        self.banner_button.setText(button)
        colour = self.theme.error if error else self.theme.text
        self.banner_label.setStyleSheet(f"color: {colour};")
        self.banner.show()
        if action == "undo":
            self._banner_timer.start()
        else:
            self._banner_timer.stop()

    def _hide_banner(self) -> None:
        self._banner_action = ""
        self._banner_timer.stop()
        self.banner.hide()

    def _banner_expired(self) -> None:
        if self._banner_action == "undo":
            self._hide_banner()

    def _banner_clicked(self) -> None:
        if self._banner_action == "undo":
            self.undo_delete()
        elif self._banner_action == "retry":
            self.retry_failed_saves()

    # ---- state ----------------------------------------------------------------------------

    def _update_state(self) -> None:
        count = self.model.rowCount()
        self.add_note_button.setVisible(self._has_article)
        self.tags_row.setVisible(self._has_article and self._article_id is not None)
        if count:
            h, n = self.model.highlight_count(), self.model.note_count()
            parts = [f"{h} highlight{'s' * (h != 1)}"] if h else []
            parts += [f"{n} note{'s' * (n != 1)}"] if n else []
            self.title.setText("Highlights & Notes — " + ", ".join(parts))
            self.stack.setCurrentWidget(self.list)
            return
        self.title.setText("Highlights & Notes")
        self.hint.setText(
            "No highlights or notes on this article yet.\n\nSelect a passage and press H to "
            "highlight it, or add a note on the whole article below."
            if self._has_article
            else "Highlights and notes of the article you read appear here."
        )
        self.stack.setCurrentWidget(self.hint)

    def hideEvent(self, e: object) -> None:
        self.editor.flush()
        super().hideEvent(e)  # type: ignore[arg-type]

    def closeEvent(self, e: object) -> None:
        self.editor.flush()
        super().closeEvent(e)  # type: ignore[arg-type]
