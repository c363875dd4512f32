"""Qt models over what ``Library`` returns; no SQL, no network."""

from PySide6.QtCore import QAbstractItemModel, Qt

# Rows a user selects but never edits or expands: the article list and the annotations list.
FLAT_ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)


def step_target(model: QAbstractItemModel, row: int | None, step: int) -> int:
    """The row j/k moves to from ``row`` (None: nothing chosen yet, the first row); stepping
    past the last row loads the model's next page first."""
    target = 0 if row is None else row + step
    if target >= model.rowCount() and model.canFetchMore():
        model.fetchMore()
    return target
