"""About Gloss: the icon, which build this is, where the library, settings and log live, and the
licences of everything the app is built from (read from the installed packages' metadata, see
reader/build_info.py, so the list cannot go stale)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reader.build_info import GLOSS_LICENCE, Component, bundled_components, version_text
from reader.gui import resources

TAGLINE = "An offline news reader for people who highlight passages and keep notes as Markdown."


def open_folder(path: Path) -> None:
    """The folder holding ``path`` in the desktop's file manager."""
    folder = path if path.is_dir() else path.parent
    QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))


def components() -> list[Component]:
    """What the About dialog lists: Qt itself, then Python, SQLite and every package."""
    return [Component("Qt", qVersion(), "LGPL-3.0-only"), *bundled_components()]


class AboutDialog(QDialog):
    def __init__(
        self,
        library: Path,
        log_file: Path,
        settings_file: Path,
        *,
        show_folder: Callable[[Path], None] = open_folder,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Gloss")
        self.setObjectName("aboutDialog")
        self.resize(620, 600)
        self._show_folder = show_folder

        icon = QLabel(self)
        icon.setObjectName("aboutIcon")
        icon.setPixmap(resources.app_pixmap(72, self.devicePixelRatioF()))
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        title = QLabel("Gloss", self)
        title_font = QFont(title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.9)
        title_font.setBold(True)
        title.setFont(title_font)
        self.version = QLabel(version_text(), self)
        self.version.setObjectName("aboutVersion")
        self.version.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        tagline = QLabel(TAGLINE, self)
        tagline.setWordWrap(True)
        tagline.setProperty("role", "help")
        heading = QVBoxLayout()
        heading.setSpacing(2)
        heading.addWidget(title)
        heading.addWidget(self.version)
        heading.addSpacing(4)
        heading.addWidget(tagline)
        top = QHBoxLayout()
        top.setSpacing(16)
        top.addWidget(icon)
        top.addLayout(heading, 1)

        places = QGridLayout()
        places.setHorizontalSpacing(10)
        places.setVerticalSpacing(6)
        places.setColumnStretch(1, 1)
        self.paths: dict[str, QLabel] = {}
        for row, (key, label, path, copy) in enumerate(
            (
                ("library", "Library", library, True),
                ("settings", "Settings", settings_file, False),
                ("log", "Log file", log_file, False),
            )
        ):
            name = QLabel(label + ":", self)
            name.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            value = QLabel(str(path), self)
            value.setObjectName(f"{key}Path")
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)
            value.setToolTip(str(path))
            self.paths[key] = value
            places.addWidget(name, row, 0)
            places.addWidget(value, row, 1)
            show = QPushButton("Show", self)
            show.setObjectName(f"show_{key}")
            show.setToolTip("Open the folder in the file manager")
            show.setAutoDefault(False)
            show.clicked.connect(lambda _c=False, p=path: self._show_folder(p))
            places.addWidget(show, row, 2)
            if copy:
                copy_button = QPushButton("Copy", self)
                copy_button.setObjectName(f"copy_{key}")
                copy_button.setToolTip("Copy the path")
                copy_button.setAutoDefault(False)
                copy_button.clicked.connect(lambda _c=False, p=path: self._copy(p))
                places.addWidget(copy_button, row, 3)

        built = QLabel("Built with", self)
        built_font = QFont(built.font())
        built_font.setBold(True)
        built.setFont(built_font)
        self.licences = QTableWidget(self)
        self.licences.setObjectName("licenceTable")
        self.licences.setColumnCount(3)
        self.licences.setHorizontalHeaderLabels(["Component", "Version", "Licence"])
        self.licences.verticalHeader().setVisible(False)
        self.licences.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.licences.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.licences.setShowGrid(False)
        self.licences.setWordWrap(False)
        header = self.licences.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        rows = components()
        self.licences.setRowCount(len(rows))
        for row, component in enumerate(rows):
            for column, text in enumerate((component.name, component.version, component.licence)):
                item = QTableWidgetItem(text or "—")
                item.setToolTip(text)
                self.licences.setItem(row, column, item)
        self.licences.resizeRowsToContents()

        notice = QLabel(
            f"Gloss is free software under the {GLOSS_LICENCE} licence. Qt is used under the "
            "LGPL-3.0: its libraries are separate files in the bundle that you may replace.",
            self,
        )
        notice.setWordWrap(True)
        notice.setProperty("role", "help")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 14)
        layout.setSpacing(10)
        layout.addLayout(top)
        layout.addSpacing(6)
        layout.addLayout(places)
        layout.addSpacing(6)
        layout.addWidget(built)
        layout.addWidget(self.licences, 1)
        layout.addWidget(notice)
        layout.addWidget(buttons)

    def licence_rows(self) -> list[tuple[str, str, str]]:
        return [
            tuple(self.licences.item(r, c).text() for c in range(3))  # type: ignore[misc]
            for r in range(self.licences.rowCount())
        ]

    def _copy(self, path: Path) -> None:
        QGuiApplication.clipboard().setText(str(path))
