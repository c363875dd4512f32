"""Qt models over what ``Library`` returns; no SQL, no network."""

from PySide6.QtCore import Qt

# Rows a user selects but never edits or expands: the article list and the annotations list.
FLAT_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)
