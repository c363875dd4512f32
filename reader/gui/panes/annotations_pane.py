"""The highlights & notes pane: what the library holds for the article being read.

Editing arrives with the highlights work; this pane already shows every highlight (with its
colour, note and anchoring state) and every note, and says plainly when there are none.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QTextOption
from PySide6.QtWidgets import (
    QLabel,
    QListView,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from reader.gui.models.annotations_model import (
    ANCHOR_ROLE,
    COLOUR_ROLE,
    KIND_ROLE,
    NOTE_ROLE,
    AnnotationsModel,
)
from reader.gui.resources import Theme

Index = QModelIndex | QPersistentModelIndex
PAD = 10


class AnnotationDelegate(QStyledItemDelegate):
    """A card per item: a colour bar, the quote (or note), and the highlight's note below."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.muted = QColor("#6b6f76")
        self.card = QColor("#ffffff")
        self.border = QColor("#e1dfda")

    def set_theme(self, theme: Theme) -> None:
        self.muted, self.card, self.border = (
            QColor(theme.muted),
            QColor(theme.base),
            QColor(theme.border),
        )

    def _texts(self, index: Index) -> tuple[str, str | None]:
        main = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        if index.data(KIND_ROLE) == "highlight":
            main = f"“{main}”"
            note = index.data(NOTE_ROLE)
            if index.data(ANCHOR_ROLE) == "orphan":
                note = (note + "\n" if note else "") + "Passage no longer found in the article."
            return main, note
        return main, None

    def _height(self, font: QFont, text: str, width: int) -> int:
        metrics = QFontMetrics(font)
        rect = metrics.boundingRect(QRect(0, 0, width, 100_000), Qt.TextFlag.TextWordWrap, text)
        return rect.height()

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        width = max(120, option.rect.width() or 260) - 2 * PAD - 14
        main, note = self._texts(index)
        height = self._height(option.font, main, width) + 2 * PAD + 8
        if note:
            height += self._height(self._small(option.font), note, width) + 6
        return QSize(width, height)

    @staticmethod
    def _small(font: QFont) -> QFont:
        small = QFont(font)
        small.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        return small

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        card = option.rect.adjusted(PAD, 4, -PAD, -4)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        painter.setPen(self.border)
        painter.setBrush(option.palette.highlight() if selected else self.card)
        painter.drawRoundedRect(card, 6, 6)
        colour = index.data(COLOUR_ROLE)
        if colour:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(colour))
            painter.drawRoundedRect(
                QRect(card.left() + 6, card.top() + 8, 4, card.height() - 16), 2, 2
            )
        main, note = self._texts(index)
        text_rect = card.adjusted(18, 8, -10, -8)
        wrap = QTextOption()
        wrap.setWrapMode(QTextOption.WrapMode.WordWrap)
        painter.setPen(option.palette.text().color())
        painter.setFont(option.font)
        main_height = self._height(option.font, main, text_rect.width())
        painter.drawText(
            QRect(text_rect.topLeft(), QSize(text_rect.width(), main_height)), main, wrap
        )
        if note:
            small = self._small(option.font)
            painter.setFont(small)
            painter.setPen(self.muted)
            top = text_rect.top() + main_height + 6
            painter.drawText(
                QRect(text_rect.left(), top, text_rect.width(), text_rect.bottom() - top),
                note,
                wrap,
            )
        painter.restore()


class AnnotationsPane(QWidget):
    def __init__(self, model: AnnotationsModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("annotationsPane")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.model = model
        self.title = QLabel("Highlights & Notes", self)
        self.title.setObjectName("paneTitle")
        self.list = QListView(self)
        self.list.setObjectName("annotationList")
        self.list.setModel(model)
        self.list.setWordWrap(True)
        self.list.setUniformItemSizes(False)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        self.list.setFrameShape(QListView.Shape.NoFrame)
        self.delegate = AnnotationDelegate(self.list)
        self.list.setItemDelegate(self.delegate)
        self.hint = QLabel(self)
        self.hint.setObjectName("emptyHint")
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.hint)
        self.stack.addWidget(self.list)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.title)
        layout.addWidget(self.stack)
        model.modelReset.connect(self._update_state)
        self._has_article = False
        self._update_state()

    def set_theme(self, theme: Theme) -> None:
        self.delegate.set_theme(theme)
        self.list.viewport().update()

    def set_article_shown(self, shown: bool) -> None:
        self._has_article = shown
        self._update_state()

    def _update_state(self) -> None:
        count = self.model.rowCount()
        if count:
            h, n = self.model.highlight_count(), self.model.note_count()
            parts = [f"{h} highlight{'s' * (h != 1)}"] if h else []
            parts += [f"{n} note{'s' * (n != 1)}"] if n else []
            self.title.setText("Highlights & Notes — " + ", ".join(parts))
            self.stack.setCurrentWidget(self.list)
            return
        self.title.setText("Highlights & Notes")
        self.hint.setText(
            "No highlights or notes on this article yet."
            if self._has_article
            else "Highlights and notes of the article you read appear here."
        )
        self.stack.setCurrentWidget(self.hint)
