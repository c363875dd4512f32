"""The base of the delegates that paint whole rows themselves (search hits, annotation cards,
the Highlights view's cards): bound to one list view, whose viewport width lays the rows out, and
painting in the window's theme, which the pane passes on when it changes."""

from __future__ import annotations

from PySide6.QtWidgets import QListView, QStyledItemDelegate

from reader.gui import resources
from reader.gui.resources import Theme


class ThemedDelegate(QStyledItemDelegate):
    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view
        self.theme = resources.LIGHT

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
