"""The search field above the article list, its Save button, and the line under it.

``SearchField`` is a line edit that keeps Enter, Down and Esc for itself (the window's Enter
shortcut would otherwise open the article in the browser) and can underline the part of the query
that does not parse, in the field itself. ``SearchMessage`` is the line under the field: the
number of results, or the syntax error with the query quoted and the bad part marked.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QCoreApplication, QEvent, Qt, Signal
from PySide6.QtGui import QColor, QInputMethodEvent, QKeyEvent, QTextCharFormat
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QToolButton, QWidget

from reader.gui import resources
from reader.gui.resources import Theme

OWN_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape, Qt.Key.Key_Down)


class SearchField(QLineEdit):
    enter_pressed = Signal()  # Enter or Down: move into the results
    escape_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchField")
        self.setPlaceholderText("Search everything  /")
        self.setClearButtonEnabled(True)
        self.setToolTip(
            "Search articles, highlights and notes in the whole library (/ or Ctrl+F).\n"
            'Words, "exact phrases", -excluded, OR, (groups); feed:, folder:, tag:, author:,\n'
            "is:unread|read|starred|saved, has:highlights|notes, color:, after:, before:,\n"
            "in:articles|highlights|notes, sort:date. Enter: results; Esc: back to the list."
        )
        self._search_icon = self.addAction(
            resources.icon("search", resources.LIGHT.muted),
            QLineEdit.ActionPosition.LeadingPosition,
        )
        self._marked: tuple[int, int] | None = None
        self._error_colour = QColor(resources.LIGHT.error)

    def set_theme(self, theme: Theme) -> None:
        self._search_icon.setIcon(resources.icon("search", theme.muted))
        self._error_colour = QColor(theme.error)
        if self._marked is not None:
            self.mark_error(*self._marked)

    def event(self, event: QEvent) -> bool:
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and event.key() in OWN_KEYS
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self.enter_pressed.emit()
            event.accept()
            return
        if key == Qt.Key.Key_Escape:
            self.escape_pressed.emit()
            event.accept()
            return
        super().keyPressEvent(event)

    # ---- marking the bad part -------------------------------------------------------------

    def mark_error(self, position: int, length: int) -> None:
        """Underline ``length`` characters from ``position`` (at least one: the end of the
        query is marked by its last character) with a red wave."""
        text_length = len(self.text())
        if text_length == 0:
            self.clear_mark()
            return
        start = max(0, min(position, text_length - 1))
        length = max(1, min(length, text_length - start))
        self._marked = (position, length)
        self._set_error_look(True)
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(self._error_colour)
        fmt.setForeground(self._error_colour)
        self._set_formats([(start, length, fmt)])

    def clear_mark(self) -> None:
        if self._marked is None:
            return
        self._marked = None
        self._set_error_look(False)
        self._set_formats([])

    def _set_error_look(self, error: bool) -> None:
        if bool(self.property("error")) != error:
            self.setProperty("error", error)
            self.style().unpolish(self)
            self.style().polish(self)

    def error_marked(self) -> tuple[int, int] | None:
        return self._marked

    def _set_formats(self, spans: list[tuple[int, int, QTextCharFormat]]) -> None:
        # QLineEdit draws input-method formats over its text; positions are cursor-relative.
        cursor = self.cursorPosition()
        attributes = [
            QInputMethodEvent.Attribute(
                QInputMethodEvent.AttributeType.TextFormat, start - cursor, length, fmt
            )
            for start, length, fmt in spans
        ]
        QCoreApplication.sendEvent(self, QInputMethodEvent("", attributes))


class SearchBox(QWidget):
    """The field and its Save Search button, for the article list's filter bar."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.field = SearchField(self)
        self.field.setMinimumWidth(180)
        self.save_button = QToolButton(self)
        self.save_button.setObjectName("filterButton")
        self.save_button.setText("Save Search…")
        self.save_button.setToolTip("Keep this search as a smart folder in the feeds pane")
        self.save_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.save_button.hide()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.field, 1)
        layout.addWidget(self.save_button)

    def set_theme(self, theme: Theme) -> None:
        self.field.set_theme(theme)


class SearchMessage(QLabel):
    """One line under the filter bar: the result count, or what is wrong with the query."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("searchMessage")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self._error_colour = resources.LIGHT.error
        self._mark_colour = "rgba(201, 42, 42, 0.16)"
        self.hide()

    def set_theme(self, theme: Theme) -> None:
        self._error_colour = theme.error
        colour = QColor(theme.error)
        self._mark_colour = f"rgba({colour.red()}, {colour.green()}, {colour.blue()}, 0.2)"

    def show_info(self, text: str) -> None:
        self.setProperty("error", False)
        self._repolish()
        self.setText(html.escape(text))
        self.setToolTip("")
        self.show()

    def show_error(self, message: str, query: str, position: int, length: int) -> None:
        """``message``, then the query with the offending part marked (a caret at the end)."""
        self.setProperty("error", True)
        self._repolish()
        start = max(0, min(position, len(query)))
        end = max(start, min(len(query), start + length))
        bad = query[start:end] or "\u2002"  # the end of the query: a marked space
        marked = (
            f"{html.escape(query[:start])}"
            f"<span style='background:{self._mark_colour}; color:{self._error_colour};"
            f" text-decoration: underline; font-weight:600'>{html.escape(bad)}</span>"
            f"{html.escape(query[end:])}"
        )
        self.setText(
            f"<span style='color:{self._error_colour}'>{html.escape(message)}</span>"
            f"&nbsp;&nbsp;<code>{marked}</code>"
        )
        self.setToolTip(message)
        self.show()

    def is_error(self) -> bool:
        return bool(self.property("error"))

    def _repolish(self) -> None:
        self.style().unpolish(self)
        self.style().polish(self)
