"""A missing image drawn as its alt text, so an article read offline still says what was there.

The reading view returns this from ``loadResource`` in place of an image that is not in the cache.
It stays one image in the document (one object character), so cursor positions and the highlight
text map are the same whether the real image is there or not.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen

from reader.gui.resources import Theme

MAX_ALT_CHARS = 280  # longer alt texts are descriptions; the first part says enough here
MAX_LINES = 3
PADDING_X = 10
PADDING_Y = 7
GAP = 8


def alt_placeholder(
    alt: str, theme: Theme, font: QFont, max_width: int, device_pixel_ratio: float = 1.0
) -> QImage:
    """A framed, muted label "[picture] alt text", as wide as the text needs and at most
    ``max_width`` (logical pixels); long texts wrap to three lines and end in an ellipsis."""
    metrics = QFontMetrics(font)
    icon = metrics.height()
    text = " ".join(alt.split())
    if len(text) > MAX_ALT_CHARS:
        text = text[: MAX_ALT_CHARS - 1].rstrip() + "…"
    room = max(icon * 2, max_width - 2 * PADDING_X - icon - GAP)
    text, bounds = _fit_lines(text, metrics, room)
    width = min(max_width, bounds.width() + 2 * PADDING_X + icon + GAP)
    height = max(icon, bounds.height()) + 2 * PADDING_Y
    ratio = max(1.0, device_pixel_ratio)
    image = QImage(round(width * ratio), round(height * ratio), QImage.Format.Format_ARGB32)
    image.setDevicePixelRatio(ratio)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    frame = QRectF(0.5, 0.5, width - 1, height - 1)
    painter.setPen(QPen(QColor(theme.border), 1))
    painter.setBrush(QColor(theme.alt_base))
    painter.drawRoundedRect(frame, 5, 5)
    muted = QColor(theme.muted)
    _draw_picture_icon(painter, QRectF(PADDING_X, (height - icon) / 2, icon, icon), muted)
    painter.setPen(muted)
    painter.setFont(font)
    text_rect = QRect(PADDING_X + icon + GAP, PADDING_Y, width - 2 * PADDING_X - icon - GAP, 0)
    text_rect.setHeight(height - 2 * PADDING_Y)
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.TextFlag.TextWordWrap, text)
    painter.end()
    return image


def _fit_lines(text: str, metrics: QFontMetrics, room: int) -> tuple[str, QRect]:
    """``text`` shortened (with …) until it wraps into at most ``MAX_LINES`` lines of ``room``."""
    flags = int(Qt.TextFlag.TextWordWrap)
    limit = metrics.lineSpacing() * MAX_LINES
    bounds = metrics.boundingRect(QRect(0, 0, room, 100_000), flags, text)
    while bounds.height() > limit and len(text) > 1:
        text = text[: max(1, int(len(text) * 0.85))].rstrip() + "…"
        bounds = metrics.boundingRect(QRect(0, 0, room, 100_000), flags, text)
    return text, bounds


def _draw_picture_icon(painter: QPainter, box: QRectF, colour: QColor) -> None:
    """A small framed landscape (hills and a sun): "an image was here", in any font."""
    inset = box.adjusted(box.width() * 0.08, box.height() * 0.16, -box.width() * 0.08, 0)
    inset.setHeight(box.height() * 0.7)
    painter.save()
    pen = QPen(colour, max(1.0, box.height() / 14))
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(inset, 2, 2)
    hills = QPainterPath()
    left, bottom = inset.left(), inset.bottom()
    w, h = inset.width(), inset.height()
    hills.moveTo(left, bottom - h * 0.2)
    hills.lineTo(left + w * 0.35, bottom - h * 0.6)
    hills.lineTo(left + w * 0.6, bottom - h * 0.3)
    hills.lineTo(left + w * 0.75, bottom - h * 0.45)
    hills.lineTo(left + w, bottom - h * 0.15)
    painter.drawPath(hills)
    painter.setBrush(colour)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QPointF(left + w * 0.72, inset.top() + h * 0.3), h * 0.1, h * 0.1)
    painter.restore()
