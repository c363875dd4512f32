"""Offline Settings: whether images are kept, how big their cache may grow, and its clean-up.

The dialog edits values and asks for a clean-up; reading and writing them is the window's job on
the writer thread, so a large cache being measured never freezes the window.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from reader.core.offline_methods import MAX_CACHE_MB, MAX_IMAGE_MB
from reader.core.types import CheckReport, OfflineSettings


def human_bytes(size: int) -> str:
    if size < 1024:
        return f"{size}\u00a0bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f}\u00a0KB"
    if size < 1024**3:
        return f"{size / 1024 / 1024:.1f}\u00a0MB"
    return f"{size / 1024**3:.2f}\u00a0GB"


class OfflineSettingsDialog(QDialog):
    prune_requested = Signal()

    def __init__(
        self, settings: OfflineSettings, report: CheckReport, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Offline Settings")
        self.setMinimumWidth(460)
        self.images = QCheckBox("&Download images so articles read offline show them", self)
        self.images.setChecked(settings.images)
        self.cache_mb = QSpinBox(self)
        self.cache_mb.setRange(1, MAX_CACHE_MB)
        self.cache_mb.setSuffix(" MB")
        self.cache_mb.setValue(settings.image_cache_mb)
        self.cache_mb.setToolTip("No more images are stored once the cache is this large.")
        self.max_image_mb = QSpinBox(self)
        self.max_image_mb.setRange(1, MAX_IMAGE_MB)
        self.max_image_mb.setSuffix(" MB")
        self.max_image_mb.setValue(settings.max_image_mb)
        self.max_image_mb.setToolTip("A larger image is left out and shown as its description.")
        self.images.toggled.connect(self.cache_mb.setEnabled)
        self.images.toggled.connect(self.max_image_mb.setEnabled)
        self.cache_mb.setEnabled(settings.images)
        self.max_image_mb.setEnabled(settings.images)

        form = QFormLayout()
        form.addRow(self.images)
        form.addRow("Image cache &limit:", self.cache_mb)
        form.addRow("&Largest image kept:", self.max_image_mb)

        self.usage = QLabel("", self)
        self.usage.setObjectName("cacheUsage")
        self.usage.setWordWrap(True)
        self.prune_button = QPushButton("&Remove unused images", self)
        self.prune_button.clicked.connect(self._prune)
        usage_row = QHBoxLayout()
        usage_row.addWidget(self.usage, 1)
        usage_row.addWidget(self.prune_button)

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(8)
        layout.addLayout(usage_row)
        layout.addWidget(buttons)
        self.set_report(report)

    def values(self) -> OfflineSettings:
        return OfflineSettings(
            images=self.images.isChecked(),
            image_cache_mb=self.cache_mb.value(),
            max_image_mb=self.max_image_mb.value(),
        )

    def set_report(self, report: CheckReport, removed: tuple[int, int] | None = None) -> None:
        """Show the cache as measured; ``removed`` (files, bytes) after a clean-up."""
        text = (
            f"The image cache holds {report.image_files:,} file(s), "
            f"{human_bytes(report.image_cache_bytes)}."
        )
        if report.orphan_images:
            text += (
                f" {report.orphan_images:,} of them ({human_bytes(report.orphan_bytes)}) "
                "are no longer used by any article."
            )
        else:
            text += " Every file is in use."
        if removed is not None:
            text = f"Removed {removed[0]:,} unused file(s), {human_bytes(removed[1])}. " + text
        self.usage.setText(text)
        self.prune_button.setEnabled(report.orphan_images > 0)

    def _prune(self) -> None:
        self.prune_button.setEnabled(False)
        self.usage.setText("Removing unused images…")
        self.prune_requested.emit()
