"""Add Feed: a feed URL or any web page; discovery runs in the background and lists candidates.

The dialog only chooses (URL, title, folder). Subscribing and the first fetch are the main
window's job, through the task manager, like every other write.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import GlossError
from reader.gui.tasks import TaskManager

NO_FOLDER = "(no folder)"


@dataclass(frozen=True, slots=True)
class FeedChoice:
    url: str
    title: str | None
    folder: str | None


class AddFeedDialog(QDialog):
    def __init__(
        self,
        tasks: TaskManager,
        find_feeds: Callable[[str], list[Any]],
        folders: Sequence[str],
        *,
        initial_folder: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add Feed")
        self.setMinimumWidth(520)
        self._tasks = tasks
        self._find_feeds = find_feeds
        self._searching = False
        self.choice: FeedChoice | None = None

        intro = QLabel("Paste the address of a feed, or of a web site that has one.", self)
        intro.setWordWrap(True)
        self.url_edit = QLineEdit(self)
        self.url_edit.setPlaceholderText("https://example.com/")
        self.find_button = QPushButton("Find Feeds", self)
        self.find_button.clicked.connect(self.find_feeds)
        self.url_edit.returnPressed.connect(self.find_feeds)
        url_row = QHBoxLayout()
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.find_button)

        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        self.candidates = QListWidget(self)
        self.candidates.setMinimumHeight(120)
        self.candidates.setSpacing(3)
        self.candidates.itemDoubleClicked.connect(lambda _item: self.accept())
        self.candidates.currentItemChanged.connect(lambda *_a: self._update_buttons())

        self.folder_box = QComboBox(self)
        self.folder_box.setEditable(True)
        self.folder_box.addItem(NO_FOLDER)
        self.folder_box.addItems(sorted(folders, key=str.casefold))
        if initial_folder:
            self.folder_box.setCurrentText(initial_folder)
        form = QFormLayout()
        form.addRow("Folder:", self.folder_box)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.subscribe_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.subscribe_button.setText("Subscribe")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(intro)
        layout.addLayout(url_row)
        layout.addWidget(self.status)
        layout.addWidget(self.candidates)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self._update_buttons()

    def find_feeds(self) -> None:
        url = self.url_edit.text().strip()
        if not url or self._searching:
            return
        if "://" not in url:
            url = "https://" + url
            self.url_edit.setText(url)
        self._searching = True
        self.candidates.clear()
        self.status.setText(f"Looking for feeds at {url}…")
        self._update_buttons()
        # discovery makes HTTP requests only; it runs on a network thread
        find = self._find_feeds
        self._tasks.run_network(lambda: find(url), self._on_found, self._on_failed)

    def _on_found(self, candidates: list[Any]) -> None:
        self._searching = False
        for candidate in candidates:
            label = candidate.title or candidate.url
            item = QListWidgetItem(f"{label}\n{candidate.url}" if candidate.title else label)
            item.setData(Qt.ItemDataRole.UserRole, (candidate.url, candidate.title))
            self.candidates.addItem(item)
        if candidates:
            self.candidates.setCurrentRow(0)
            many = len(candidates) > 1
            self.status.setText(
                f"Found {len(candidates)} feeds; choose one." if many else "Found a feed."
            )
        else:
            self.status.setText("No feed found at that address.")
        self._update_buttons()

    def _on_failed(self, error: BaseException) -> None:
        self._searching = False
        if not isinstance(error, GlossError):
            raise error
        self.status.setText(str(error))
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.find_button.setEnabled(not self._searching)
        self.subscribe_button.setEnabled(self.candidates.currentItem() is not None)
        self.subscribe_button.setDefault(self.candidates.currentItem() is not None)

    def accept(self) -> None:
        item = self.candidates.currentItem()
        if item is None:
            return
        url, title = item.data(Qt.ItemDataRole.UserRole)
        folder = self.folder_box.currentText().strip()
        self.choice = FeedChoice(url, title, None if folder in ("", NO_FOLDER) else folder)
        super().accept()
