"""The dialog an unexpected error shows: what happened, where the log is, that data is safe."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)


class CrashDialog(QDialog):
    def __init__(self, details: str, log_path: Path | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Gloss hit an unexpected error")
        self.resize(620, 420)
        where = f" The details are also in the log: {log_path}" if log_path else ""
        intro = QLabel(
            "Something went wrong inside Gloss. Your library is safe: every change that was "
            "saved stays saved, and Gloss keeps running." + where,
            self,
        )
        intro.setWordWrap(True)
        text = QPlainTextEdit(details, self)
        text.setReadOnly(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(text)
        layout.addWidget(buttons)
