"""Save a search as a smart folder, or edit one: a name and a query, checked as you type.

The query is read by the same pure parser the search field uses; OK stays disabled while the
query does not parse or the name is empty or taken, and the line under the fields says why.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import QuerySyntaxError
from reader.core.query import describe, parse_query


class SavedSearchDialog(QDialog):
    def __init__(
        self,
        title: str,
        name: str,
        query: str,
        *,
        taken: Iterable[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self._taken = {n.casefold() for n in taken}
        self.name_edit = QLineEdit(name, self)
        self.name_edit.setObjectName("savedSearchName")
        self.query_edit = QLineEdit(query, self)
        self.query_edit.setObjectName("savedSearchQuery")
        self.query_edit.setPlaceholderText('rust -java, "exact phrase", feed:Name, is:unread…')
        self.summary = QLabel("", self)
        self.summary.setObjectName("savedSearchSummary")
        self.summary.setWordWrap(True)
        form = QFormLayout()
        form.addRow("&Name:", self.name_edit)
        form.addRow("&Search:", self.query_edit)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.summary)
        layout.addWidget(self.buttons)
        self.name_edit.textChanged.connect(self._check)
        self.query_edit.textChanged.connect(self._check)
        self._check()
        self.name_edit.selectAll()

    @property
    def name(self) -> str:
        return " ".join(self.name_edit.text().split())

    @property
    def query(self) -> str:
        return self.query_edit.text().strip()

    def problem(self) -> str | None:
        """Why OK is disabled, or None."""
        if not self.query:
            return "Type what the smart folder should find."
        try:
            parse_query(self.query)
        except QuerySyntaxError as e:
            return str(e)
        if not self.name:
            return "Give the smart folder a name."
        if self.name.casefold() in self._taken:
            return f"There is already a smart folder named “{self.name}”."
        return None

    def _check(self) -> None:
        problem = self.problem()
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setEnabled(problem is None)
        if problem is None:
            self.summary.setProperty("error", False)
            self.summary.setText(f"Finds: {describe(parse_query(self.query))}")
        else:
            self.summary.setProperty("error", True)
            self.summary.setText(problem)
        self.summary.style().unpolish(self.summary)
        self.summary.style().polish(self.summary)

    def accept(self) -> None:
        if self.problem() is None:
            super().accept()
