"""The rules dialog as a user drives it: a live preview while typing, inline regex errors,
saving, enabling and deleting rules, and a rule made from a feed's context menu."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import FeedId, RuleAction, RuleField, RuleKind, RuleSpec
from reader.gui.dialogs.rules_dialog import RuleEditor, RulesDialog, describe_rule
from reader.gui.main_window import MainWindow
from tests.gui.conftest import wait_idle


def preview_titles(editor: RuleEditor) -> list[str]:
    return [
        editor.preview.topLevelItem(i).text(0) for i in range(editor.preview.topLevelItemCount())
    ]


def open_editor(qtbot: QtBot, window: MainWindow) -> tuple[RulesDialog, RuleEditor]:
    dialog = window.edit_rules()
    qtbot.waitExposed(dialog)
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    editor = dialog.editor
    assert editor is not None
    qtbot.waitExposed(editor)
    return dialog, editor


def choose(box, value) -> None:  # type: ignore[no-untyped-def]
    box.setCurrentIndex(box.findData(value))


def feed_id(window: MainWindow, title: str) -> FeedId:
    return next(f.id for f in window.reader.list_feeds() if f.title == title)


def test_sentence_describes_a_rule() -> None:
    spec = RuleSpec(RuleField.TITLE, RuleKind.WORDS, "sponsored", RuleAction.READ)
    assert describe_rule(spec) == "When the title contains “sponsored” → mark read (every feed)"
    tag = RuleSpec(RuleField.ANY, RuleKind.REGEX, r"^ad\b", RuleAction.TAG, "ads", FeedId(3))
    assert describe_rule(tag, "Beta Feed") == (
        "When the title, text, author or link matches /^ad\\b/ → tag #ads (only “Beta Feed”)"
    )


def test_preview_lists_matching_articles_as_the_user_types(
    qtbot: QtBot, window: MainWindow
) -> None:
    _dialog, editor = open_editor(qtbot, window)
    qtbot.waitUntil(editor.pattern_edit.hasFocus)
    assert not editor.save_button.isEnabled()  # nothing typed yet
    qtbot.keyClicks(editor.pattern_edit, "gamma")
    qtbot.waitUntil(lambda: editor.preview.topLevelItemCount() == 30, timeout=5000)
    assert all(t.startswith("Gamma story") for t in preview_titles(editor))
    assert editor.preview_status.text() == "30 recent articles match:"
    assert editor.save_button.isEnabled()
    # typing more narrows the list: whole words, so "7" is story 7 and not 17 or 27
    qtbot.keyClicks(editor.pattern_edit, " 7")
    qtbot.waitUntil(lambda: preview_titles(editor) == ["Gamma story 7"], timeout=5000)
    assert editor.preview_status.text() == "1 recent article match:"
    assert editor.sentence.text() == "When the title contains “gamma 7” → mark read (every feed)"
    qtbot.keyClicks(editor.pattern_edit, "x")
    qtbot.waitUntil(lambda: editor.preview.topLevelItemCount() == 0, timeout=5000)
    qtbot.waitUntil(lambda: "No recent article" in editor.preview_status.text(), timeout=5000)


def test_a_bad_regular_expression_is_explained_and_cannot_be_saved(
    qtbot: QtBot, window: MainWindow
) -> None:
    _dialog, editor = open_editor(qtbot, window)
    choose(editor.kind_box, RuleKind.REGEX)
    qtbot.keyClicks(editor.pattern_edit, "story (")
    qtbot.waitUntil(lambda: editor.error_label.isVisible(), timeout=5000)
    assert editor.error_label.text()  # the library's message, e.g. "missing ), unterminated…"
    assert not editor.save_button.isEnabled()
    assert editor.preview.topLevelItemCount() == 0
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert editor.isVisible()
    # fixed: the error goes, Save comes back and the preview shows what it catches
    editor.pattern_edit.setText(r"^Alpha story 2\d$")
    qtbot.waitUntil(lambda: len(preview_titles(editor)) == 10, timeout=5000)
    assert not editor.error_label.isVisible()
    assert editor.save_button.isEnabled()
    assert set(preview_titles(editor)) == {f"Alpha story {i}" for i in range(20, 30)}


def test_a_saved_rule_is_listed_and_can_be_disabled_and_deleted(
    qtbot: QtBot, window: MainWindow
) -> None:
    dialog, editor = open_editor(qtbot, window)
    qtbot.keyClicks(editor.pattern_edit, "sponsored")
    choose(editor.action_box, RuleAction.TAG)
    assert editor.tag_edit.isEnabled()
    qtbot.waitUntil(lambda: "No recent article" in editor.preview_status.text(), timeout=5000)
    assert not editor.save_button.isEnabled()  # a tag rule needs its tag
    qtbot.keyClicks(editor.tag_edit, "#ads")
    qtbot.waitUntil(editor.save_button.isEnabled, timeout=5000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.isVisible(), timeout=5000)
    wanted = "When the title contains “sponsored” → tag #ads (every feed)"
    qtbot.waitUntil(lambda: dialog.rule_texts() == [wanted], timeout=5000)
    assert not dialog.empty_label.isVisible()
    rules = window.reader.list_rules()
    assert [(r.spec.pattern, r.spec.tag, r.enabled) for r in rules] == [("sponsored", "ads", True)]

    item = dialog.list.topLevelItem(0)
    item.setCheckState(0, Qt.CheckState.Unchecked)
    qtbot.waitUntil(lambda: not window.reader.list_rules()[0].enabled, timeout=5000)

    # edit: the editor comes back filled in; a change replaces the rule
    edit = dialog.edit_rule()
    assert edit is not None
    assert edit.pattern_edit.text() == "sponsored" and edit.tag_edit.text() == "ads"
    edit.pattern_edit.setText("promoted")
    qtbot.waitUntil(edit.save_button.isEnabled, timeout=5000)
    edit.save()
    qtbot.waitUntil(lambda: "promoted" in dialog.rule_texts()[0], timeout=5000)
    assert len(window.reader.list_rules()) == 1

    dialog.delete_rule(confirm=False)
    qtbot.waitUntil(lambda: dialog.rule_texts() == [], timeout=5000)
    assert dialog.empty_label.isVisible()
    assert window.reader.list_rules() == []


def test_rules_survive_a_restart_and_a_feed_rule_is_preselected(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    beta = feed_id(window, "Beta Feed")
    assert window.feeds_pane.select_key(f"feed:{beta}")
    menu = window.feeds_pane.context_menu_for(window.feeds_model.index_for_key(f"feed:{beta}"))
    texts = [a.text() for a in menu.actions()]
    assert "Ne&w Rule for This Feed…" in texts
    next(a for a in menu.actions() if a.objectName() == "new_rule_for_feed").trigger()
    editor = window.rule_editor
    assert editor is not None
    qtbot.waitExposed(editor)
    assert editor.scope_box.currentText() == "Beta Feed"
    qtbot.keyClicks(editor.pattern_edit, "story 1")
    # only Beta's articles: story 1 and 10..19 (a word "1" is whole)
    qtbot.waitUntil(lambda: len(preview_titles(editor)) == 1, timeout=5000)
    assert preview_titles(editor) == ["Beta story 1"]
    choose(editor.action_box, RuleAction.STAR)
    qtbot.waitUntil(editor.save_button.isEnabled, timeout=5000)
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Rule saved" in window.statusBar().currentMessage(), timeout=5000)
    wait_idle(qtbot, window)
    with Library.open(sample_library) as other:  # another connection: it is really stored
        [rule] = other.list_rules()
    assert rule.spec.feed_id == beta and rule.spec.action is RuleAction.STAR
    dialog = window.edit_rules()
    assert dialog.rule_texts() == ["When the title contains “story 1” → star (only “Beta Feed”)"]
    dialog.reject()
    QApplication.processEvents()


def test_rules_move_up_and_down_with_the_buttons_and_ctrl_arrows(
    qtbot: QtBot, window: MainWindow
) -> None:
    def add(pattern: str) -> None:
        spec = RuleSpec(RuleField.TITLE, RuleKind.WORDS, pattern, RuleAction.READ)
        window.tasks.mutate(lambda lib: lib.add_rule(spec)[1])

    for pattern in ("one", "two", "three"):
        add(pattern)
    wait_idle(qtbot, window)
    dialog = window.edit_rules()
    qtbot.waitExposed(dialog)

    def order() -> list[str]:
        return [t.split("“")[1].split("”")[0] for t in dialog.rule_texts()]

    def stored() -> list[str]:
        return [r.spec.pattern for r in window.reader.list_rules()]

    assert order() == stored() == ["one", "two", "three"]
    assert dialog.selected_rule().spec.pattern == "one"  # type: ignore[union-attr]
    assert not dialog.up_button.isEnabled() and dialog.down_button.isEnabled()

    dialog.select_rule(int(window.reader.list_rules()[2].id))
    assert dialog.up_button.isEnabled() and not dialog.down_button.isEnabled()
    qtbot.mouseClick(dialog.up_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: order() == ["one", "three", "two"], timeout=5000)
    assert stored() == ["one", "three", "two"]
    assert dialog.selected_rule().spec.pattern == "three"  # type: ignore[union-attr]

    dialog.list.setFocus()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: order() == ["three", "one", "two"], timeout=5000)
    assert dialog.selected_rule().spec.pattern == "three"  # type: ignore[union-attr]
    assert not dialog.up_button.isEnabled()
    qtbot.keyClick(dialog.list, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert stored() == ["three", "one", "two"]  # the top one stays on top

    qtbot.keyClick(dialog.list, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: order() == ["one", "three", "two"], timeout=5000)
    qtbot.mouseClick(dialog.down_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: order() == ["one", "two", "three"], timeout=5000)
    assert stored() == ["one", "two", "three"]
    assert not dialog.down_button.isEnabled()
    dialog.reject()
