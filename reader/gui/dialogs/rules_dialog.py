"""Rules on arrival: the list of rules and the editor with a live preview.

The dialogs never write: saving, enabling and deleting go through the ``TaskManager`` like every
other write, and the list re-reads itself when ``Changes.rules`` comes back. The preview asks the
library which recent articles a rule would catch; it runs on the writer thread after the user
stops typing for a moment, and a result that arrives after a newer edit is dropped, so typing
never waits for the library.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from PySide6.QtCore import QStringListModel, Qt, QTimer
from PySide6.QtGui import QBrush, QKeySequence, QPalette, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import (
    Article,
    Changes,
    Feed,
    FeedId,
    Rule,
    RuleAction,
    RuleField,
    RuleKind,
    RuleSpec,
)
from reader.gui import resources
from reader.gui.models.articles_model import format_date
from reader.gui.tasks import TaskManager

PREVIEW_DELAY_MS = 250
PREVIEW_LIMIT = 50
ERROR_STYLE = "color: palette(bright-text);"  # the theme's error colour, light or dark
ROOMY_ROWS = "QTreeView::item { padding: 3px 2px; }"

FIELD_CHOICES = (
    (RuleField.TITLE, "the title"),
    (RuleField.CONTENT, "the text"),
    (RuleField.AUTHOR, "the author"),
    (RuleField.LINK, "the link"),
    (RuleField.ANY, "any of these"),
)
KIND_CHOICES = (
    (RuleKind.WORDS, "contains the words"),
    (RuleKind.REGEX, "matches the regular expression"),
)
ACTION_CHOICES = (
    (RuleAction.READ, "mark it read"),
    (RuleAction.STAR, "star it"),
    (RuleAction.TAG, "tag it"),
    (RuleAction.SKIP, "skip it (never store it)"),
)
FIELD_NAMES = {
    RuleField.ANY: "the title, text, author or link",
    RuleField.TITLE: "the title",
    RuleField.CONTENT: "the text",
    RuleField.AUTHOR: "the author",
    RuleField.LINK: "the link",
}


def describe_rule(spec: RuleSpec, feed_title: str | None = None) -> str:
    """A rule as a sentence: When the title contains “sponsored” → mark read (every feed)."""
    if spec.kind is RuleKind.REGEX:
        condition = f"matches /{spec.pattern}/"
    else:
        condition = f"contains “{spec.pattern}”"
    action = {
        RuleAction.READ: "mark read",
        RuleAction.STAR: "star",
        RuleAction.TAG: f"tag #{spec.tag or '?'}",
        RuleAction.SKIP: "skip (never store)",
    }[spec.action]
    if spec.feed_id is None:
        scope = "every feed"
    else:
        scope = f"only “{feed_title}”" if feed_title else f"feed {spec.feed_id}"
    return f"When {FIELD_NAMES[spec.field]} {condition} → {action} ({scope})"


def _select_data(box: QComboBox, value: object) -> None:
    index = box.findData(value)
    if index >= 0:
        box.setCurrentIndex(index)


class RuleEditor(QDialog):
    """Add or edit one rule. ``saved`` holds the written ``Changes`` once it is accepted."""

    def __init__(
        self,
        tasks: TaskManager,
        feeds: Sequence[Feed],
        tags: Sequence[str],
        *,
        rule: Rule | None = None,
        feed_id: FeedId | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Edit Rule" if rule is not None else "New Rule")
        self.setMinimumSize(640, 520)
        self._tasks = tasks
        self._rule = rule
        self._generation = 0  # bumped on every edit: older preview results are dropped
        self._error: str | None = None  # the library's verdict on the current spec
        self._checking = False
        self._saving = False
        self._feed_titles = {f.id: f.title for f in feeds}

        self.field_box = QComboBox(self)
        self.field_box.setObjectName("ruleField")
        for value, label in FIELD_CHOICES:
            self.field_box.addItem(label, value)
        self.kind_box = QComboBox(self)
        self.kind_box.setObjectName("ruleKind")
        for value, label in KIND_CHOICES:
            self.kind_box.addItem(label, value)
        self.pattern_edit = QLineEdit(self)
        self.pattern_edit.setObjectName("rulePattern")
        self.pattern_edit.setAccessibleName("Words or regular expression")
        self.pattern_edit.setClearButtonEnabled(True)
        self.error_label = QLabel("", self)
        self.error_label.setObjectName("ruleError")
        self.error_label.setWordWrap(True)
        self.error_label.setTextFormat(Qt.TextFormat.PlainText)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.hide()
        self.action_box = QComboBox(self)
        self.action_box.setObjectName("ruleAction")
        for value, label in ACTION_CHOICES:
            self.action_box.addItem(label, value)
        self.tag_edit = QLineEdit(self)
        self.tag_edit.setObjectName("ruleTag")
        self.tag_edit.setPlaceholderText("tag name")
        self.tag_edit.setAccessibleName("Tag")
        completer = QCompleter(QStringListModel(sorted(tags, key=str.casefold), self), self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.tag_edit.setCompleter(completer)
        self.scope_box = QComboBox(self)
        self.scope_box.setObjectName("ruleScope")
        self.scope_box.addItem("Every feed", None)
        for feed in sorted(feeds, key=lambda f: f.title.casefold()):
            self.scope_box.addItem(feed.title, feed.id)

        when_row = QHBoxLayout()
        when_row.addWidget(self.field_box)
        when_row.addWidget(self.kind_box)
        when_row.addStretch(1)
        then_row = QHBoxLayout()
        then_row.addWidget(self.action_box)
        then_row.addWidget(self.tag_edit, 1)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        when_label = QLabel("&When", self)
        when_label.setBuddy(self.field_box)
        form.addRow(when_label, when_row)
        pattern_label = QLabel("&Pattern", self)
        pattern_label.setBuddy(self.pattern_edit)
        form.addRow(pattern_label, self.pattern_edit)
        form.addRow("", self.error_label)
        then_label = QLabel("&Then", self)
        then_label.setBuddy(self.action_box)
        form.addRow(then_label, then_row)
        scope_label = QLabel("&In", self)
        scope_label.setBuddy(self.scope_box)
        form.addRow(scope_label, self.scope_box)

        self.sentence = QLabel("", self)
        self.sentence.setObjectName("ruleSentence")
        self.sentence.setWordWrap(True)
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)
        font = self.sentence.font()
        font.setBold(True)
        self.sentence.setFont(font)
        self.preview_status = QLabel("", self)
        self.preview_status.setObjectName("previewStatus")
        self.preview_status.setWordWrap(True)
        self.preview = QTreeWidget(self)
        self.preview.setObjectName("rulePreview")
        self.preview.setHeaderLabels(["Recent articles it would catch", "Feed", "Date"])
        self.preview.setRootIsDecorated(False)
        self.preview.setUniformRowHeights(True)
        self.preview.setAlternatingRowColors(True)
        self.preview.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.preview.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.preview.setStyleSheet(ROOMY_ROWS)
        header = self.preview.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.resizeSection(1, 150)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addSpacing(6)
        layout.addWidget(self.sentence)
        layout.addWidget(self.preview_status)
        layout.addWidget(self.preview, 1)
        layout.addWidget(self.buttons)

        if rule is not None:
            spec = rule.spec
            _select_data(self.field_box, spec.field)
            _select_data(self.kind_box, spec.kind)
            self.pattern_edit.setText(spec.pattern)
            _select_data(self.action_box, spec.action)
            self.tag_edit.setText(spec.tag or "")
            if spec.feed_id is not None and self.scope_box.findData(spec.feed_id) < 0:
                self.scope_box.addItem(rule.feed_title or f"Feed {spec.feed_id}", spec.feed_id)
            _select_data(self.scope_box, spec.feed_id)
        elif feed_id is not None:
            _select_data(self.scope_box, feed_id)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(PREVIEW_DELAY_MS)
        self._timer.timeout.connect(self._run_preview)
        for box in (self.field_box, self.kind_box, self.action_box, self.scope_box):
            box.currentIndexChanged.connect(self._edited)
        self.pattern_edit.textChanged.connect(self._edited)
        self.tag_edit.textChanged.connect(self._edited)
        self._edited()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.pattern_edit.setFocus()  # typing starts with the words to look for

    # ---- what the user typed --------------------------------------------------------------

    def spec(self) -> RuleSpec:
        action = RuleAction(self.action_box.currentData())
        tag = self.tag_edit.text().strip().lstrip("#").strip() or None
        return RuleSpec(
            field=RuleField(self.field_box.currentData()),
            kind=RuleKind(self.kind_box.currentData()),
            pattern=self.pattern_edit.text(),
            action=action,
            tag=tag if action is RuleAction.TAG else None,
            feed_id=self.scope_box.currentData(),
        )

    def _missing(self, spec: RuleSpec) -> str | None:
        """What must still be filled in (shown as a hint, not as an error)."""
        if not spec.pattern.strip():
            return "Type the words or the regular expression to look for."
        if spec.action is RuleAction.TAG and not spec.tag:
            return "Type the tag to give matching articles."
        return None

    def _edited(self, *_args: object) -> None:
        self._generation += 1
        self._error = None
        spec = self.spec()
        self.tag_edit.setEnabled(spec.action is RuleAction.TAG)
        self.sentence.setText(
            describe_rule(spec, self._feed_titles.get(spec.feed_id) if spec.feed_id else None)
        )
        self._show_error(None)
        if not spec.pattern.strip():
            self._timer.stop()
            self.preview.clear()
            self.preview_status.setText(self._missing(spec) or "")
            self._checking = False
        else:
            self.preview_status.setText("Looking for matching articles…")
            self._checking = True
            self._timer.start()
        self._update_save()

    def _update_save(self) -> None:
        spec = self.spec()
        valid = self._missing(spec) is None and self._error is None
        self.save_button.setEnabled(valid and not self._saving)
        self.save_button.setToolTip("" if valid else (self._error or self._missing(spec) or ""))

    def _show_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))

    # ---- preview --------------------------------------------------------------------------

    def _run_preview(self) -> None:
        spec = self.spec()
        generation = self._generation

        def run(lib: Library) -> list[Article]:
            return lib.preview_rule(replace(spec, tag=spec.tag or "preview"), limit=PREVIEW_LIMIT)

        self._tasks.run_db(
            run,
            lambda articles: self._preview_done(generation, articles),
            lambda error: self._preview_failed(generation, error),
        )

    def _preview_done(self, generation: int, articles: list[Article]) -> None:
        if generation != self._generation:
            return
        self._checking = False
        self.preview.clear()
        items = []
        for article in articles:
            item = QTreeWidgetItem(
                [
                    article.title or "(untitled)",
                    article.feed_title or "",
                    format_date(article.sort_at),
                ]
            )
            item.setToolTip(0, article.title)
            items.append(item)
        self.preview.addTopLevelItems(items)
        if not articles:
            self.preview_status.setText("No recent article matches this rule.")
        elif len(articles) >= PREVIEW_LIMIT:
            self.preview_status.setText(f"At least {len(articles)} recent articles match:")
        else:
            plural = "s" if len(articles) != 1 else ""
            self.preview_status.setText(f"{len(articles)} recent article{plural} match:")
        self._update_save()

    def _preview_failed(self, generation: int, error: BaseException) -> None:
        if not isinstance(error, GlossError):
            raise error
        if generation != self._generation:
            return
        self._checking = False
        self._error = str(error)
        self.preview.clear()
        self.preview_status.setText("")
        self._show_error(self._error)
        self._update_save()

    # ---- saving ---------------------------------------------------------------------------

    def save(self) -> None:
        spec = self.spec()
        if self._missing(spec) is not None or self._error is not None or self._saving:
            return
        self._saving = True
        self._update_save()
        rule = self._rule

        def run(lib: Library) -> Changes:
            if rule is None:
                return lib.add_rule(spec)[1]
            return lib.update_rule(rule.id, spec)

        self._tasks.mutate(run, initiator=self, on_done=self._saved, on_error=self._save_failed)

    def _saved(self, _changes: Changes) -> None:
        self._saving = False
        self.accept()

    def _save_failed(self, error: BaseException) -> None:
        if not isinstance(error, GlossError):
            raise error
        self._saving = False
        self._error = str(error)
        self._show_error(self._error)
        self._update_save()

    def done(self, result: int) -> None:
        self._timer.stop()
        self._generation += 1  # a preview still running finds nobody to show it to
        super().done(result)


class RulesDialog(QDialog):
    """Every rule, with its sentence, how many articles it caught and its last problem."""

    def __init__(
        self,
        tasks: TaskManager,
        reader: Library,
        *,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Rules")
        self.setMinimumSize(760, 380)
        self.resize(900, 440)  # room for a rule's whole sentence with a feed's name
        self._tasks = tasks
        self._reader = reader
        self._rules: list[Rule] = []
        self.editor: RuleEditor | None = None

        intro = QLabel(
            "Rules act on new articles as they arrive: mark them read, star or tag them, or "
            "skip them so they are never stored. They run from the top of the list down. "
            "Articles you already have are not changed.",
            self,
        )
        intro.setWordWrap(True)
        self.list = QTreeWidget(self)
        self.list.setObjectName("rulesList")
        self.list.setHeaderLabels(["Rule", "Matched"])
        self.list.setRootIsDecorated(False)
        self.list.setUniformRowHeights(True)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setStyleSheet(ROOMY_ROWS)
        header = self.list.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.list.itemChanged.connect(self._item_changed)
        self.list.itemActivated.connect(lambda _item, _col: self.edit_rule())
        self.list.currentItemChanged.connect(lambda *_a: self._update_buttons())
        self.empty_label = QLabel("No rules yet. Add one to sort new articles as they arrive.")
        self.empty_label.setObjectName("rulesEmpty")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.problem = QLabel("", self)
        self.problem.setObjectName("ruleProblem")
        self.problem.setWordWrap(True)
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.hide()

        self.add_button = QPushButton("&Add…", self)
        self.add_button.clicked.connect(lambda: self.add_rule())
        self.edit_button = QPushButton("&Edit…", self)
        self.edit_button.clicked.connect(self.edit_rule)
        self.delete_button = QPushButton("&Delete", self)
        self.delete_button.clicked.connect(self.delete_rule)
        self.up_button = QPushButton("Move &Up", self)
        self.up_button.setToolTip("Run this rule earlier (Ctrl+Up)")
        self.up_button.clicked.connect(lambda: self.move_rule(-1))
        self.down_button = QPushButton("Move Dow&n", self)
        self.down_button.setToolTip("Run this rule later (Ctrl+Down)")
        self.down_button.clicked.connect(lambda: self.move_rule(+1))
        side = QVBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            button.setAutoDefault(False)
            side.addWidget(button)
        side.addSpacing(12)
        for button in (self.up_button, self.down_button):
            button.setAutoDefault(False)
            side.addWidget(button)
        side.addStretch(1)
        QShortcut(QKeySequence(QKeySequence.StandardKey.Delete), self.list, self.delete_rule)
        QShortcut(QKeySequence(QKeySequence.StandardKey.New), self, lambda: self.add_rule())
        QShortcut(QKeySequence("Ctrl+Up"), self.list, lambda: self.move_rule(-1))
        QShortcut(QKeySequence("Ctrl+Down"), self.list, lambda: self.move_rule(+1))

        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)

        middle = QHBoxLayout()
        column = QVBoxLayout()
        column.addWidget(self.list, 1)
        column.addWidget(self.empty_label)
        column.addWidget(self.problem)
        middle.addLayout(column, 1)
        middle.addLayout(side)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(middle, 1)
        layout.addWidget(close)

        tasks.changes_applied.connect(self._on_changes)
        self.finished.connect(self._disconnect)
        self.reload()

    # ---- the list -------------------------------------------------------------------------

    def reload(self) -> None:
        current = self.selected_rule()
        try:
            self._rules = self._reader.list_rules()
        except GlossError as e:
            self._rules = []
            self.problem.setText(str(e))
            self.problem.show()
        self.list.blockSignals(True)
        self.list.clear()
        for rule in self._rules:
            sentence = describe_rule(rule.spec, rule.feed_title)
            item = QTreeWidgetItem([sentence, f"{rule.matched:,}"])
            item.setData(0, Qt.ItemDataRole.UserRole, int(rule.id))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(
                0, Qt.CheckState.Checked if rule.enabled else Qt.CheckState.Unchecked
            )
            item.setTextAlignment(1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            tip = sentence + ("" if rule.enabled else "\n(disabled: it does nothing)")
            if not rule.enabled:  # switched off: muted, as it does nothing
                muted = QBrush(self.palette().color(QPalette.ColorRole.PlaceholderText))
                item.setForeground(0, muted)
                item.setForeground(1, muted)
            if rule.last_error:
                error = self.palette().color(QPalette.ColorRole.BrightText)
                item.setForeground(0, QBrush(error))
                item.setIcon(0, resources.icon("alert", error.name()))
                tip += f"\nLast problem: {rule.last_error}"
            item.setToolTip(0, tip)
            self.list.addTopLevelItem(item)
        self.list.blockSignals(False)
        empty = not self._rules
        self.list.setVisible(not empty)
        self.empty_label.setVisible(empty)
        if current is not None:
            self.select_rule(int(current.id))
        elif self._rules:
            self.list.setCurrentItem(self.list.topLevelItem(0))
        self._update_buttons()

    def rule_texts(self) -> list[str]:
        """What the list shows, row by row (tests read it)."""
        return [self.list.topLevelItem(i).text(0) for i in range(self.list.topLevelItemCount())]

    def selected_rule(self) -> Rule | None:
        item = self.list.currentItem()
        if item is None:
            return None
        rule_id = item.data(0, Qt.ItemDataRole.UserRole)
        return next((r for r in self._rules if int(r.id) == rule_id), None)

    def select_rule(self, rule_id: int) -> None:
        for i in range(self.list.topLevelItemCount()):
            item = self.list.topLevelItem(i)
            if item.data(0, Qt.ItemDataRole.UserRole) == rule_id:
                self.list.setCurrentItem(item)
                return

    def _update_buttons(self) -> None:
        rule = self.selected_rule()
        self.edit_button.setEnabled(rule is not None)
        self.delete_button.setEnabled(rule is not None)
        row = self._rules.index(rule) if rule is not None else -1
        self.up_button.setEnabled(row > 0)
        self.down_button.setEnabled(0 <= row < len(self._rules) - 1)
        if rule is not None and rule.last_error:
            self.problem.setText(f"Last problem with this rule: {rule.last_error}")
            self.problem.show()
        else:
            self.problem.hide()

    def _on_changes(self, changes: Changes, _initiator: object) -> None:
        if changes.rules or changes.feeds:
            self.reload()

    def _disconnect(self) -> None:
        self._tasks.changes_applied.disconnect(self._on_changes)

    # ---- commands -------------------------------------------------------------------------

    def _open_editor(self, rule: Rule | None, feed_id: FeedId | None = None) -> RuleEditor:
        self.editor = make_rule_editor(
            self._tasks, self._reader, rule=rule, feed_id=feed_id, parent=self
        )
        self.editor.open()
        return self.editor

    def add_rule(self, feed_id: FeedId | None = None) -> RuleEditor:
        return self._open_editor(None, feed_id)

    def edit_rule(self) -> RuleEditor | None:
        rule = self.selected_rule()
        return self._open_editor(rule) if rule is not None else None

    def delete_rule(self, *, confirm: bool = True) -> None:
        rule = self.selected_rule()
        if rule is None:
            return
        if confirm:
            answer = QMessageBox.question(
                self,
                "Delete Rule",
                f"Delete this rule?\n\n{describe_rule(rule.spec, rule.feed_title)}\n\n"
                "Articles it already marked, starred or tagged stay as they are.",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return
        rule_id = rule.id
        self._tasks.mutate(lambda lib: lib.delete_rule(rule_id), initiator=self)

    def move_rule(self, step: int) -> None:
        """Run the selected rule one place earlier (-1) or later (+1); it stays selected."""
        rule = self.selected_rule()
        if rule is None:
            return
        row = self._rules.index(rule)
        if not 0 <= row + step < len(self._rules):
            return
        rule_id = rule.id
        self._tasks.mutate(lambda lib: lib.move_rule(rule_id, step), initiator=self)

    def _item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column != 0:
            return
        rule_id = item.data(0, Qt.ItemDataRole.UserRole)
        rule = next((r for r in self._rules if int(r.id) == rule_id), None)
        enabled = item.checkState(0) == Qt.CheckState.Checked
        if rule is None or rule.enabled == enabled:
            return
        rid = rule.id
        self._tasks.mutate(lambda lib: lib.set_rule_enabled(rid, enabled), initiator=self)


def make_rule_editor(
    tasks: TaskManager,
    reader: Library,
    *,
    rule: Rule | None = None,
    feed_id: FeedId | None = None,
    parent: QWidget | None = None,
) -> RuleEditor:
    """An editor filled with the library's feeds and tags (small reads on the GUI thread)."""
    feeds = reader.list_feeds()
    tags = [t.name for t in reader.list_tags()]
    return RuleEditor(tasks, feeds, tags, rule=rule, feed_id=feed_id, parent=parent)
