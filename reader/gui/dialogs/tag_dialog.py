"""Tag articles from the list (``t``): a small popup with a tags field that completes each tag.

The dialog only collects the tags; adding them to each article is the window's job on the
writer thread. Tags are parsed exactly as the notes pane's tag field parses them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QStringListModel, Qt
from PySide6.QtWidgets import (
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from reader.gui.panes.annotations_pane import parse_tags

Index = QModelIndex | QPersistentModelIndex
_LAST_TAG = re.compile(r"[^,\s]*$")


class LastTagCompleter(QCompleter):
    """Completes the tag being typed after the last comma or space, keeping the ones before."""

    def __init__(self, tags: Sequence[str], edit: QLineEdit) -> None:
        super().__init__(QStringListModel(list(tags), edit), edit)
        self._head = ""
        self.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)

    def splitPath(self, path: str) -> list[str]:
        typed = _LAST_TAG.search(path).group()  # type: ignore[union-attr]
        self._head = path[: len(path) - len(typed)]  # the tags before it, kept as typed
        typed = typed.lstrip("#")
        return [typed or "\0"]  # after a comma, nothing is offered until a letter is typed

    def pathFromIndex(self, index: Index) -> str:
        return f"{self._head}{index.data()}, "


class TagArticlesDialog(QDialog):
    """Ask for tags to add to ``count`` articles; ``tags()`` is what was typed, parsed."""

    def __init__(
        self,
        count: int,
        known_tags: Sequence[str],
        *,
        title: str | None = None,
        current: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Tag Articles" if count != 1 else "Tag Article")
        self.setMinimumWidth(420)
        if count == 1 and title:
            shown = title if len(title) <= 70 else title[:69] + "…"
            what = f"Add tags to “{shown}”:"
        else:
            what = f"Add tags to {count:,} selected articles:"
        label = QLabel(what, self)
        label.setWordWrap(True)
        label.setTextFormat(Qt.TextFormat.PlainText)
        self.edit = QLineEdit(self)
        self.edit.setObjectName("tagArticlesEdit")
        self.edit.setAccessibleName("Tags")
        self.edit.setPlaceholderText("comma or space separated, e.g. python, to-read")
        self.edit.setClearButtonEnabled(True)
        label.setBuddy(self.edit)
        self.completer = LastTagCompleter(sorted(known_tags, key=str.casefold), self.edit)
        self.edit.setCompleter(self.completer)
        self.current_label = QLabel("", self)
        self.current_label.setObjectName("currentTags")
        self.current_label.setWordWrap(True)
        self.current_label.setTextFormat(Qt.TextFormat.PlainText)
        self.current_label.setEnabled(False)  # drawn in the muted colour
        if current:
            self.current_label.setText("Already tagged: " + ", ".join(f"#{t}" for t in current))
        else:
            self.current_label.hide()

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText("&Tag")
        self.buttons.accepted.connect(self._accept_if_tags)
        self.buttons.rejected.connect(self.reject)
        self.edit.textChanged.connect(self._update)

        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.edit)
        layout.addWidget(self.current_label)
        layout.addWidget(self.buttons)
        self._update()
        self.edit.setFocus()

    def tags(self) -> list[str]:
        return parse_tags(self.edit.text())

    def _update(self) -> None:
        self.ok_button.setEnabled(bool(self.tags()))

    def _accept_if_tags(self) -> None:
        if self.tags():
            self.accept()
