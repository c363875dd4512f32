"""Tree rows with a right-aligned count pill (unread counts in the feeds pane).

The style draws the row's background, selection and icon; this delegate draws the elided text
and the pill itself, so a long feed title never runs under its count.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem

Index = QModelIndex | QPersistentModelIndex


class CountDelegate(QStyledItemDelegate):
    def __init__(self, count_role: int, error_role: int, parent: object = None) -> None:
        super().__init__(parent)  # type: ignore[arg-type]
        self._count_role = count_role
        self._error_role = error_role
        self.pill = QColor("#e4e1db")
        self.pill_text = QColor("#4a4d52")
        self.error = QColor("#c92a2a")
        self.row_height = 30

    def set_colours(self, pill: str, pill_text: str, error: str) -> None:
        self.pill, self.pill_text, self.error = QColor(pill), QColor(pill_text), QColor(error)

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width() + 40, max(size.height(), self.row_height))

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)

        text_rect = style.subElementRect(QStyle.SubElement.SE_ItemViewItemText, opt, widget)
        count = index.data(self._count_role) or 0
        painter.save()
        pill_font = QFont(opt.font)
        pill_font.setPointSizeF(max(7.0, opt.font.pointSizeF() * 0.85))
        pill_font.setWeight(QFont.Weight.DemiBold)
        right = text_rect.right() - 6
        if count:
            label = f"{count:,}" if count < 100_000 else "99k+"
            metrics = QFontMetrics(pill_font)
            width = metrics.horizontalAdvance(label) + 14
            height = metrics.height() + 2
            pill = QRect(right - width + 1, text_rect.center().y() - height // 2 + 1, width, height)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(self.pill)
            painter.drawRoundedRect(pill, height / 2, height / 2)
            painter.setFont(pill_font)
            painter.setPen(self.pill_text)
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, label)
            right = pill.left() - 6
        text_rect.setRight(right)
        painter.setFont(opt.font)
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        colour = opt.palette.highlightedText() if selected else opt.palette.text()
        if index.data(self._error_role):
            painter.setPen(self.error)
        else:
            painter.setPen(colour.color())
        elided = QFontMetrics(opt.font).elidedText(
            text, Qt.TextElideMode.ElideRight, text_rect.width()
        )
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, elided
        )
        painter.restore()
