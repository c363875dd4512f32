"""The small bar that floats over a fresh selection: five colours and "Note", or "Attach Here".

It is a child of the reading view's viewport, never a window, and none of its buttons take
focus: j/k, Space and the other window shortcuts keep working while it is shown, and the
selection under it survives a click on it.
"""

from __future__ import annotations

from collections.abc import Mapping

from PySide6.QtCore import QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsDropShadowEffect,
    QHBoxLayout,
    QToolButton,
    QWidget,
)

from reader.core.types import DEFAULT_HIGHLIGHT_COLOR, HIGHLIGHT_COLORS
from reader.gui import resources
from reader.gui.resources import Theme
from reader.gui.widgets.highlight_menu import color_label, swatch_icon

GAP = 8  # pixels between the selection and the bar


class HighlightToolbar(QFrame):
    color_chosen = Signal(str)
    note_chosen = Signal()
    attach_chosen = Signal()
    cancel_chosen = Signal()

    def __init__(self, theme: Theme, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("highlightToolbar")
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setCursor(Qt.CursorShape.ArrowCursor)
        self.setAutoFillBackground(False)
        self._attaching = False
        self._default_color = DEFAULT_HIGHLIGHT_COLOR
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.setSpacing(2)

        self.color_buttons: dict[str, QToolButton] = {}
        for color in HIGHLIGHT_COLORS:
            button = self._button(f"swatch_{color}")
            button.setIcon(swatch_icon(color, size=18))
            button.setIconSize(QSize(18, 18))
            button.clicked.connect(lambda _checked=False, c=color: self.color_chosen.emit(c))
            layout.addWidget(button)
            self.color_buttons[color] = button
        self._divider = QFrame(self)
        self._divider.setObjectName("highlightToolbarDivider")
        self._divider.setFixedSize(1, 18)
        layout.addSpacing(3)
        layout.addWidget(self._divider)
        layout.addSpacing(3)
        self.note_button = self._button("noteButton", "Note")
        self.note_button.setToolTip("Highlight and write a note")
        self.note_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.note_button.clicked.connect(self.note_chosen)
        layout.addWidget(self.note_button)

        self.attach_button = self._button("attachHere", "Attach Here")
        self.attach_button.setToolTip("Attach the highlight to the selected text")
        self.attach_button.clicked.connect(self.attach_chosen)
        layout.addWidget(self.attach_button)
        self.cancel_button = self._button("cancelAttach", "Cancel")
        self.cancel_button.setToolTip("Keep the highlight where it was (Esc)")
        self.cancel_button.clicked.connect(self.cancel_chosen)
        layout.addWidget(self.cancel_button)

        shadow = QGraphicsDropShadowEffect(self)
        shadow.setBlurRadius(18)
        shadow.setOffset(0, 3)
        self._shadow = shadow
        self.setGraphicsEffect(shadow)
        self.set_theme(theme)
        self.set_labels({})
        self.set_attaching(False)
        self.hide()

    def _button(self, name: str, text: str = "") -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setAutoRaise(True)
        return button

    @property
    def attaching(self) -> bool:
        return self._attaching

    def set_attaching(self, attaching: bool) -> None:
        """Re-attach mode shows only "Attach Here" and "Cancel"."""
        self._attaching = attaching
        for button in self.color_buttons.values():
            button.setVisible(not attaching)
        self._divider.setVisible(not attaching)
        self.note_button.setVisible(not attaching)
        self.attach_button.setVisible(attaching)
        self.cancel_button.setVisible(attaching)
        self.adjustSize()

    def set_labels(self, labels: Mapping[str, str], default_color: str | None = None) -> None:
        if default_color is not None:
            self._default_color = default_color
        for color, button in self.color_buttons.items():
            tip = color_label(color, labels)
            if color == self._default_color:
                tip += "  (H)"
            button.setToolTip(tip)

    def set_theme(self, theme: Theme) -> None:
        surface = theme.hover if theme.is_dark else theme.base
        self.setStyleSheet(
            f"""
            QFrame#highlightToolbar {{
                background: {surface}; border: 1px solid {theme.border}; border-radius: 10px;
            }}
            QFrame#highlightToolbarDivider {{ background: {theme.border}; border: none; }}
            QToolButton {{
                border: none; border-radius: 6px; padding: 3px; color: {theme.text};
                background: transparent;
            }}
            QToolButton:hover {{ background: {theme.badge if theme.is_dark else theme.hover}; }}
            QToolButton#noteButton, QToolButton#cancelAttach {{ padding: 3px 8px; }}
            QToolButton#attachHere {{
                background: {theme.accent}; color: {theme.accent_text}; font-weight: 600;
                padding: 3px 10px;
            }}
            """
        )
        self.note_button.setIcon(resources.icon("note", theme.muted))
        self._shadow.setColor(QColor(0, 0, 0, 110 if theme.is_dark else 45))
        self.adjustSize()

    def show_near(self, top: QRect, bottom: QRect, center_x: int, bounds: QRect) -> None:
        """Above the selection's first line, centred on ``center_x``; below its last line when
        there is no room above. All rectangles are in the parent's coordinates."""
        self.adjustSize()
        size = self.sizeHint()
        x = center_x - size.width() // 2
        x = max(bounds.left() + 4, min(x, bounds.right() - size.width() - 4))
        y = top.top() - size.height() - GAP
        if y < bounds.top() + 2:
            y = min(bottom.bottom() + GAP, bounds.bottom() - size.height() - 2)
        self.move(QPoint(x, y))
        self.resize(size)
        self.show()
        self.raise_()
