"""Preferences: one page per ``PAGES`` entry, every row built from reader/gui/preferences_schema.py.

Nothing here names a particular preference: a number becomes a spin box, a yes/no a check box, a
list a drop-down, a folder a path with Choose…, and the shortcuts entry the table of every action.
A change takes effect at once (the host persists and applies it), so the dialog has Close and
Restore Defaults, no OK/Cancel.

The shortcuts table flags keys used by two actions (or a key that starts another's sequence,
``G`` against ``G, A``). A new key that clashes is not taken until the user says which action
keeps it (Reassign), so two actions never share a key silently.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QKeySequenceEdit,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reader.gui import resources
from reader.gui.actions import ACTIONS, MENUS, SPECS, plain_text
from reader.gui.preferences_schema import PAGES, SCHEMA, Kind, Setting, Store

PORTABLE = QKeySequence.SequenceFormat.PortableText
NATIVE = QKeySequence.SequenceFormat.NativeText
NAME_ROLE = Qt.ItemDataRole.UserRole


class PreferencesHost(Protocol):
    """What the dialog needs from the window: values, applying them, and the shortcuts."""

    def preference(self, key: str) -> Any: ...

    def apply_preference(self, key: str, value: Any) -> None: ...

    def tray_available(self) -> bool: ...

    def shortcut_bindings(self) -> dict[str, tuple[str, ...]]: ...

    def shortcuts_overridden(self) -> set[str]: ...

    def set_shortcuts(self, name: str, sequences: tuple[str, ...] | None) -> None: ...

    def library_location(self) -> Path: ...


@dataclass
class Field:
    """One setting's editor: its widget (named ``pref_<key>``), and how to read and fill it."""

    setting: Setting
    widget: QWidget
    get: Callable[[], Any]
    put: Callable[[Any], None]


class NumberBox(QSpinBox):
    """A spin box whose minimum may mean something else ("Off", "Never"): stepping up from it
    goes to the first round value (Never → 0 ms, Off → 15 min), not to minimum + step."""

    def stepBy(self, steps: int) -> None:
        step = self.singleStep()
        if self.specialValueText() and self.value() == self.minimum() and steps > 0 and step > 1:
            first = (self.minimum() // step + 1) * step
            self.setValue(first + (steps - 1) * step)
            return
        super().stepBy(steps)


class PreferencesDialog(QDialog):
    def __init__(self, host: PreferencesHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.setObjectName("preferencesDialog")
        self.resize(640, 560)
        self._host = host
        self._loading = False
        self.fields: dict[str, Field] = {}
        self.shortcuts: ShortcutsEditor | None = None

        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        for page in PAGES:
            settings = [s for s in SCHEMA if s.page == page]
            if settings:
                self.tabs.addTab(self._page(page, settings), page)

        self.restore_button = QPushButton("&Restore Defaults", self)
        self.restore_button.setObjectName("restoreDefaults")
        self.restore_button.setToolTip("Every preference and shortcut back to how Gloss comes")
        self.restore_button.clicked.connect(self._ask_restore_defaults)
        close = QPushButton("Close", self)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.restore_button)
        buttons.addStretch(1)
        buttons.addWidget(close)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self.reload()

    # ---- building from the schema ---------------------------------------------------------

    def _page(self, page: str, settings: list[Setting]) -> QWidget:
        widget = QWidget(self)
        widget.setObjectName(f"page_{page.lower()}")
        if any(s.kind is Kind.SHORTCUTS for s in settings):
            self.shortcuts = ShortcutsEditor(self._host, widget)
            layout = QVBoxLayout(widget)
            layout.setContentsMargins(12, 12, 12, 12)
            for setting in settings:
                layout.addWidget(self._help_label(setting.help, widget))
            layout.addWidget(self.shortcuts, 1)
            return widget
        form = QFormLayout(widget)
        form.setContentsMargins(16, 16, 16, 16)
        form.setVerticalSpacing(4)
        form.setHorizontalSpacing(14)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        if any(s.store is Store.LIBRARY for s in settings):
            note = self._help_label(
                "Kept in the library, for every window and the command line that use it:\n"
                f"{self._host.library_location()}",
                widget,
            )
            note.setObjectName("libraryNote")
            note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(note)
            form.addRow(_spacer(widget, 6))
        for index, setting in enumerate(settings):
            field = self._field(setting, widget)
            self.fields[setting.key] = field
            help_label = self._help_label(setting.help, widget)
            help_label.setObjectName(f"help_{setting.key}")
            # the editor and its help in one cell, so the help's wrapped height is exact
            cell = QWidget(widget)
            column = QVBoxLayout(cell)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(3)
            row = _row(field.widget, setting, cell, self)
            column.addWidget(row)
            column.addWidget(help_label)
            if setting.kind is Kind.BOOL:
                form.addRow("", cell)
            else:
                label = QLabel(setting.label + ":", widget)
                label.setBuddy(field.widget)
                label.setFixedHeight(row.sizeHint().height())  # centred on the editor
                label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                form.addRow(label, cell)
            if setting.key == "tray_icon" and not self._host.tray_available():
                field.widget.setEnabled(False)
                help_label.setText(
                    "Not available: this desktop shows no system tray icons (on GNOME, the "
                    "AppIndicator extension adds them). " + setting.help
                )
            if index < len(settings) - 1:
                form.addRow(_spacer(widget, 12))
        return widget

    def _help_label(self, text: str, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setWordWrap(True)
        label.setProperty("role", "help")
        # as wide as the page allows, not as narrow as QLabel's first guess at wrapping
        label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        font = label.font()
        font.setPointSizeF(max(7.0, font.pointSizeF() * 0.9))
        label.setFont(font)
        return label

    def _field(self, setting: Setting, parent: QWidget) -> Field:
        key = setting.key
        if setting.kind is Kind.INT:
            box = NumberBox(parent)
            box.setRange(setting.minimum, setting.maximum)
            box.setSingleStep(setting.step)
            box.setSuffix(setting.suffix)
            box.setSpecialValueText(setting.special)
            box.setKeyboardTracking(False)  # typing 1500 applies 1500, not 1, 15, 150 first
            box.setMinimumWidth(120)
            box.valueChanged.connect(lambda _v, k=key: self._changed(k))
            field = Field(setting, box, box.value, lambda v, b=box: b.setValue(int(v)))
        elif setting.kind is Kind.BOOL:
            check = QCheckBox(setting.label, parent)
            check.toggled.connect(lambda _v, k=key: self._changed(k))
            field = Field(setting, check, check.isChecked, lambda v, c=check: c.setChecked(bool(v)))
        elif setting.kind is Kind.CHOICE:
            combo = QComboBox(parent)
            for value, label in setting.choices:
                combo.addItem(label, value)
            combo.currentIndexChanged.connect(lambda _i, k=key: self._changed(k))
            field = Field(
                setting,
                combo,
                combo.currentData,
                lambda v, c=combo: c.setCurrentIndex(max(0, c.findData(v))),
            )
        elif setting.kind is Kind.FOLDER:
            edit = QLineEdit(parent)
            edit.setPlaceholderText("The folder used last time")
            edit.setClearButtonEnabled(True)
            edit.editingFinished.connect(lambda k=key: self._changed(k))
            edit.textChanged.connect(lambda text, k=key: text or self._changed(k))  # cleared
            field = Field(setting, edit, lambda e=edit: e.text().strip(), edit.setText)
        else:
            raise ValueError(f"no editor for {setting.kind}")
        field.widget.setObjectName(f"pref_{key}")
        field.widget.setToolTip(setting.help)
        return field

    # ---- values ---------------------------------------------------------------------------

    def reload(self) -> None:
        """Fill every editor with the value in effect now."""
        self._loading = True
        try:
            for key, field in self.fields.items():
                field.put(self._host.preference(key))
            if self.shortcuts is not None:
                self.shortcuts.reload()
        finally:
            self._loading = False

    def widget_for(self, key: str) -> QWidget:
        if key == "shortcuts":
            assert self.shortcuts is not None
            return self.shortcuts
        return self.fields[key].widget

    def _changed(self, key: str) -> None:
        if self._loading:
            return
        field = self.fields[key]
        value = field.get()
        if value != self._host.preference(key):
            self._host.apply_preference(key, value)

    def choose_folder(self, key: str) -> None:
        field = self.fields[key]
        start = field.get() or str(Path.home())
        chosen = QFileDialog.getExistingDirectory(self, field.setting.label, start)
        if chosen:
            field.put(chosen)
            self._changed(key)

    def _ask_restore_defaults(self) -> None:
        answer = QMessageBox.question(
            self,
            "Restore Defaults",
            "Put every preference and keyboard shortcut back to how Gloss comes?",
        )
        if answer == QMessageBox.StandardButton.Yes:
            self.restore_defaults()

    def restore_defaults(self) -> None:
        for setting in SCHEMA:
            if setting.kind is Kind.SHORTCUTS:
                for spec in ACTIONS:
                    self._host.set_shortcuts(spec.name, None)
            elif self._host.preference(setting.key) != setting.default:
                self._host.apply_preference(setting.key, setting.default)
        self.reload()


def _row(widget: QWidget, setting: Setting, parent: QWidget, dialog: PreferencesDialog) -> QWidget:
    """The editor, left-aligned at its natural width; a folder gets its Choose… button."""
    row = QWidget(parent)
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(widget, 1 if setting.kind is Kind.FOLDER else 0)
    if setting.kind is Kind.FOLDER:
        choose = QPushButton("Choose…", row)
        choose.setObjectName(f"choose_{setting.key}")
        choose.setAutoDefault(False)
        choose.clicked.connect(lambda: dialog.choose_folder(setting.key))
        layout.addWidget(choose)
    else:
        layout.addStretch(1)
    return row


def _spacer(parent: QWidget, height: int) -> QWidget:
    spacer = QWidget(parent)
    spacer.setFixedHeight(height)
    return spacer


# ---- shortcuts ---------------------------------------------------------------------------------


def clash(a: QKeySequence, b: QKeySequence) -> bool:
    """The same keys, or one the start of the other (``G`` and ``G, A``): Qt could not tell
    which action is meant."""
    return (
        a.matches(b) is not QKeySequence.SequenceMatch.NoMatch
        or b.matches(a) is not QKeySequence.SequenceMatch.NoMatch
    )


def find_conflicts(bindings: Mapping[str, tuple[str, ...]]) -> dict[str, set[str]]:
    """For each action whose keys clash with another's, the names of the others."""
    flat = [
        (name, QKeySequence(text))
        for name, sequences in bindings.items()
        for text in sequences
        if not QKeySequence(text).isEmpty()
    ]
    found: dict[str, set[str]] = {}
    for i, (name, sequence) in enumerate(flat):
        for other, other_sequence in flat[i + 1 :]:
            if other != name and clash(sequence, other_sequence):
                found.setdefault(name, set()).add(other)
                found.setdefault(other, set()).add(name)
    return found


def native(sequences: tuple[str, ...]) -> str:
    return " or ".join(QKeySequence(s).toString(NATIVE) for s in sequences)


class ShortcutsEditor(QWidget):
    """Every action of the window, by menu, with its keys; select one and press new keys."""

    def __init__(self, host: PreferencesHost, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._host = host
        self.bindings: dict[str, tuple[str, ...]] = {}
        self.conflicts: dict[str, set[str]] = {}
        self.pending: tuple[str, str, list[str]] | None = None  # (action, keys, taken from)

        self.filter = QLineEdit(self)
        self.filter.setObjectName("shortcutFilter")
        self.filter.setPlaceholderText("Filter by action or key")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._apply_filter)

        self.table = QTreeWidget(self)
        self.table.setObjectName("shortcutTable")
        self.table.setColumnCount(2)
        self.table.setHeaderLabels(["Action", "Shortcut"])
        self.table.setRootIsDecorated(False)
        self.table.setUniformRowHeights(True)
        self.table.setAlternatingRowColors(False)
        header = self.table.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.items: dict[str, QTreeWidgetItem] = {}
        bold = QFont(self.font())
        bold.setBold(True)
        for menu in MENUS:
            group = QTreeWidgetItem(self.table, [menu, ""])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            group.setFont(0, bold)
            group.setFirstColumnSpanned(True)
            for spec in ACTIONS:
                if spec.menu == menu:
                    item = QTreeWidgetItem(group, [plain_text(spec), ""])
                    item.setData(0, NAME_ROLE, spec.name)
                    self.items[spec.name] = item
        self.table.expandAll()
        self.table.currentItemChanged.connect(lambda *_a: self._selected())

        self.keys = QKeySequenceEdit(self)
        self.keys.setObjectName("shortcutEdit")
        self.keys.setEnabled(False)
        self.keys.editingFinished.connect(lambda: self.record(self.keys.keySequence()))
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("No keys for this action")
        self.clear_button.clicked.connect(self.clear_current)
        self.default_button = QPushButton("Default", self)
        self.default_button.setToolTip("The keys Gloss comes with")
        self.default_button.clicked.connect(self.reset_current)
        edit_row = QHBoxLayout()
        keys_label = QLabel("&Keys:", self)
        keys_label.setBuddy(self.keys)
        edit_row.addWidget(keys_label)
        edit_row.addWidget(self.keys, 1)
        edit_row.addWidget(self.clear_button)
        edit_row.addWidget(self.default_button)

        self.conflict_label = QLabel("", self)
        self.conflict_label.setObjectName("shortcutConflict")
        self.conflict_label.setWordWrap(True)
        self.reassign_button = QPushButton("Reassign", self)
        self.reassign_button.setObjectName("shortcutReassign")
        self.reassign_button.clicked.connect(self.reassign)
        conflict_row = QHBoxLayout()
        conflict_row.addWidget(self.conflict_label, 1)
        conflict_row.addWidget(self.reassign_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.filter)
        layout.addWidget(self.table, 1)
        layout.addLayout(edit_row)
        layout.addLayout(conflict_row)
        self._set_buttons()
        self._show_conflict_message()

    # ---- state ----------------------------------------------------------------------------

    def reload(self) -> None:
        self.bindings = self._host.shortcut_bindings()
        self.conflicts = find_conflicts(self.bindings)
        # An action left with its defaults that lost one of them to another (two lines of the
        # settings file asking for the same key): flagged as well.
        overridden = self._host.shortcuts_overridden()
        for name in self.items:
            if name in overridden:
                continue
            for default in _defaults(name):
                if default in self.bindings.get(name, ()):
                    continue
                for other, sequences in self.bindings.items():
                    if other != name and any(
                        clash(QKeySequence(default), QKeySequence(s)) for s in sequences
                    ):
                        self.conflicts.setdefault(name, set()).add(other)
                        self.conflicts.setdefault(other, set()).add(name)
        for name, item in self.items.items():
            sequences = self.bindings.get(name, ())
            item.setText(1, native(sequences))
            others = self.conflicts.get(name)
            item.setIcon(1, self._warning() if others else QIcon())
            names = ", ".join(plain_text(SPECS[o]) for o in sorted(others or ()))
            item.setToolTip(1, f"Also the keys of: {names}" if others else "")
            default = native(SPECS[name].shortcuts)
            item.setToolTip(0, f"Default: {default}" if default else "No keys by default")
        self._selected()

    def _warning(self) -> QIcon:
        return resources.icon("alert", self.palette().color(QPalette.ColorRole.BrightText).name())

    def current_name(self) -> str | None:
        item = self.table.currentItem()
        value = item.data(0, NAME_ROLE) if item is not None else None
        return str(value) if value else None

    def select(self, name: str) -> None:
        self.table.setCurrentItem(self.items[name])

    def _selected(self) -> None:
        name = self.current_name()
        self.keys.setEnabled(name is not None)
        self.keys.blockSignals(True)
        sequences = self.bindings.get(name, ()) if name else ()
        self.keys.setKeySequence(QKeySequence(sequences[0]) if sequences else QKeySequence())
        self.keys.blockSignals(False)
        if self.pending is not None and self.pending[0] != name:
            self.pending = None
        self._set_buttons()
        self._show_conflict_message()

    def _set_buttons(self) -> None:
        name = self.current_name()
        self.clear_button.setEnabled(bool(name and self.bindings.get(name)))
        self.default_button.setEnabled(
            bool(name) and self.bindings.get(name or "") != _defaults(name or "")
        )

    # ---- editing --------------------------------------------------------------------------

    def record(self, sequence: QKeySequence) -> None:
        """New keys for the selected action: taken when free; a clash waits for Reassign."""
        name = self.current_name()
        if name is None or sequence.isEmpty():
            return
        text = sequence.toString(PORTABLE)
        if self.bindings.get(name) == (text,):
            self.pending = None
            self._show_conflict_message()
            return
        taken = sorted(
            other
            for other, sequences in self.bindings.items()
            if other != name and any(clash(sequence, QKeySequence(s)) for s in sequences)
        )
        if taken:
            self.pending = (name, text, taken)
            self._show_conflict_message()
            self.items[name].setIcon(1, self._warning())
            return
        self.pending = None
        self._host.set_shortcuts(name, (text,))
        self.reload()

    def reassign(self) -> None:
        """Give the pending keys to the selected action; the others lose them."""
        if self.pending is None:
            return
        name, text, taken = self.pending
        sequence = QKeySequence(text)
        for other in taken:
            kept = tuple(s for s in self.bindings[other] if not clash(sequence, QKeySequence(s)))
            self._host.set_shortcuts(other, kept)
        self._host.set_shortcuts(name, (text,))
        self.pending = None
        self.reload()

    def clear_current(self) -> None:
        name = self.current_name()
        if name is not None:
            self.pending = None
            self._host.set_shortcuts(name, ())
            self.reload()

    def reset_current(self) -> None:
        name = self.current_name()
        if name is None:
            return
        self.pending = None
        defaults = _defaults(name)
        taken = [
            other
            for other, sequences in self.bindings.items()
            if other != name
            and any(clash(QKeySequence(d), QKeySequence(s)) for d in defaults for s in sequences)
        ]
        if taken:  # the default keys went to another action meanwhile: ask as for new keys
            self.pending = (name, defaults[0], taken)
            self._show_conflict_message()
            return
        self._host.set_shortcuts(name, None)
        self.reload()

    # ---- messages -------------------------------------------------------------------------

    def _show_conflict_message(self) -> None:
        if self.pending is not None:
            name, text, taken = self.pending
            keys = QKeySequence(text).toString(NATIVE)
            others = " and ".join(f"“{plain_text(SPECS[o])}”" for o in taken)
            self.conflict_label.setText(
                f"{keys} is already used by {others}. Reassign it to "
                f"“{plain_text(SPECS[name])}”, or press other keys."
            )
            self.conflict_label.setProperty("error", True)
            self.reassign_button.setVisible(True)
        elif self.conflicts:
            count = len(self.conflicts)
            self.conflict_label.setText(
                f"{count} actions share keys (marked ⚠): only one of each pair can run."
            )
            self.conflict_label.setProperty("error", True)
            self.reassign_button.setVisible(False)
        else:
            self.conflict_label.setText("")
            self.conflict_label.setProperty("error", False)
            self.reassign_button.setVisible(False)
        self.conflict_label.style().unpolish(self.conflict_label)
        self.conflict_label.style().polish(self.conflict_label)

    def _apply_filter(self, text: str) -> None:
        needle = text.strip().casefold()
        for index in range(self.table.topLevelItemCount()):
            group = self.table.topLevelItem(index)
            visible = 0
            for row in range(group.childCount()):
                item = group.child(row)
                hit = not needle or needle in item.text(0).casefold()
                hit = hit or needle in item.text(1).casefold()
                item.setHidden(not hit)
                visible += hit
            group.setHidden(visible == 0)


def _defaults(name: str) -> tuple[str, ...]:
    return tuple(QKeySequence(s).toString(PORTABLE) for s in SPECS[name].shortcuts)
