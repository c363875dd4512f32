"""Highlighting, annotating, finding and exporting from the window, end to end.

Real window, real library file, real writer thread: the user selects words and presses H, the
highlight is stored and painted; deleting and Ctrl+Z bring it back; the Highlights view jumps to
it; export writes a vault; the Tags group lists tags.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QTextCursor
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import ArticleId
from reader.gui.main_window import MainWindow
from tests.gui.conftest import WindowFactory, wait_idle


def open_first(window: MainWindow) -> ArticleId:
    window.articles_pane.select_row(0)
    detail = window.reading_view.detail
    assert detail is not None
    return detail.article.id


def select_words(window: MainWindow, words: str) -> None:
    view = window.reading_view
    found = view.document().find(words)
    assert not found.isNull(), words
    view.setTextCursor(found)


def test_select_and_press_h_stores_and_paints_a_highlight(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    article = open_first(window)
    select_words(window, "Words to read. Words to read.")
    window.reading_view.setFocus()
    qtbot.keyClick(window.reading_view, Qt.Key.Key_H)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.reader.list_highlights(article)) == 1)
    [h] = window.reader.list_highlights(article)
    assert h.quote == "Words to read. Words to read." and h.color == "yellow"
    qtbot.waitUntil(lambda: len(window.reading_view.extraSelections()) >= 1)
    selections = window.reading_view.extraSelections()
    cursor = selections[0].cursor
    assert cursor.selectedText() == h.quote
    assert window.annotations_pane.model.highlight_count() == 1


def test_delete_then_ctrl_z_brings_the_highlight_back(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    article = open_first(window)
    with Library.open(sample_library) as lib:
        h, _ = lib.add_highlight_by_quote(article, "Words to read.", note="keep me")
    window.articles_pane.select_row(1)
    window.articles_pane.select_row(0)
    qtbot.waitUntil(lambda: window.annotations_pane.model.highlight_count() == 1)
    window.reading_view.delete_requested.emit(int(h.id))
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: window.reader.list_highlights(article) == [])
    qtbot.waitUntil(lambda: window.reading_view.extraSelections() == [])
    window.named_actions["undo"].trigger()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: len(window.reader.list_highlights(article)) == 1)
    assert window.reader.list_highlights(article)[0].note == "keep me"


def test_highlights_view_jumps_to_the_article_and_passage(
    qtbot: QtBot, window: MainWindow, sample_library: Path
) -> None:
    with Library.open(sample_library) as lib:
        last = lib.list_articles().articles[-1]
        h, _ = lib.add_highlight_by_quote(last.id, "Words to read.", color="blue")
    window.named_actions["show_highlights_view"].trigger()
    assert window.middle.currentWidget() is window.highlights_view
    window.highlights_view.open_requested.emit(int(last.id), int(h.id))
    assert window.middle.currentWidget() is window.center
    detail = window.reading_view.detail
    assert detail is not None and detail.article.id == last.id
    qtbot.waitUntil(lambda: len(window.reading_view.extraSelections()) >= 1)


def test_export_copy_and_tags_from_the_window(
    qtbot: QtBot, window: MainWindow, sample_library: Path, tmp_path: Path
) -> None:
    article = open_first(window)
    with Library.open(sample_library) as lib:
        lib.add_highlight_by_quote(article, "Words to read.", note="Tagged #reading")
    window.articles_pane.select_row(1)
    window.articles_pane.select_row(0)
    window.named_actions["copy_as_markdown"].trigger()
    copied = QGuiApplication.clipboard().text()
    assert "> Words to read." in copied and "Tagged \\#reading" in copied

    reports: list[object] = []
    window.export_markdown_to(tmp_path / "vault", on_done=reports.append)
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: bool(reports))
    [file] = list((tmp_path / "vault").glob("*.md"))
    assert "> Words to read." in file.read_text(encoding="utf-8")
    assert window.settings.state("last_export_dir") == str(tmp_path / "vault")

    window.reload_feeds()
    tag = window.feeds_model.index_for_key("tag:reading")
    assert tag.isValid() and tag.data() == "#reading"
    window.feeds_pane.select_key("tag:reading")
    qtbot.waitUntil(lambda: window.articles_model.rowCount() == 1)


def test_a_note_typed_just_before_closing_is_saved(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    window = make_window(sample_library)
    article = open_first(window)
    window.add_article_note()
    editor = window.annotations_pane.editor.edit
    qtbot.waitUntil(editor.isVisible)
    editor.setFocus()
    cursor = editor.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.End)
    editor.setTextCursor(cursor)
    qtbot.keyClicks(editor, "Typed and closed at once")
    window.close()
    window.tasks.shutdown()
    with Library.open(sample_library) as lib:
        assert [n.body for n in lib.list_notes(article)][-1] == "Typed and closed at once"
