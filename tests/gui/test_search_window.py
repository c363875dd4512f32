"""Searching from the window: type in the field, read the snippets, open a hit at its match."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QTextCursor
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import ArticleId, HitKind, SearchHit
from reader.gui.main_window import MainWindow
from reader.gui.panes.search_results import _snippet_text
from tests.gui.conftest import BASE_TIME, WindowFactory, make_library, wait_idle
from tests.support.feeds import Item, rss

FILLER = "".join(
    f"<p>Filler paragraph {i} about nothing in particular, long enough to need scrolling "
    "when the whole article is shown in the reading view.</p>"
    for i in range(60)
)


def search_library(path: Path) -> Path:
    """The conftest library (alpha, beta, gamma: 90 articles) plus an "Airships" feed whose
    words are rare: a match deep in a long article, a highlight with a note, an article note."""
    make_library(path)
    items = [
        Item(
            guid="zeppelin-history",
            title="A history of airships",
            body=FILLER + "<p>The Zeppelin crossed the Atlantic in four days.</p>" + FILLER,
            published=BASE_TIME + dt.timedelta(hours=1),
        ),
        Item(
            guid="zeppelin-today",
            title="Zeppelins today",
            body="<p>A modern zeppelin carries tourists over Lake Constance.</p>",
            published=BASE_TIME + dt.timedelta(hours=2),
        ),
        Item(
            guid="lighthouse",
            title="Lighthouse keepers",
            body=FILLER + "<p>The keeper polished the Fresnel lens every night.</p>",
            published=BASE_TIME + dt.timedelta(hours=3),
        ),
    ]
    with Library.open(path) as library:
        library.add_feed_document("https://example.org/airships.xml", rss("Airships", items))
        lighthouse = next(
            a for a in library.list_articles().articles if a.title == "Lighthouse keepers"
        )
        library.add_highlight_by_quote(
            lighthouse.id, "polished the Fresnel lens", color="green", note="ask about optics"
        )
        library.add_note(lighthouse.id, "Remember the quokka photo from the trip.")
    return path


@pytest.fixture
def window(make_window: WindowFactory, tmp_path: Path) -> MainWindow:
    return make_window(search_library(tmp_path / "library.gloss"))


def type_search(qtbot: QtBot, window: MainWindow, text: str) -> None:
    """Press / and type, as a user does; wait for the debounced search to show."""
    window.articles_pane.table.setFocus()
    qtbot.keyClick(window.articles_pane.table, Qt.Key.Key_Slash)
    field = window.articles_pane.search_field
    assert field.hasFocus()
    qtbot.keyClicks(field, text)
    qtbot.waitUntil(window.search_settled)
    assert window.articles_pane.search_message.isVisible()


def hits(window: MainWindow) -> list[SearchHit]:
    return list(window.articles_pane.results.model.hits())


def marked_words(hit: SearchHit) -> list[str]:
    text, marks, _prefix = _snippet_text(hit)
    return [text[a:b] for a, b in marks]


def visible_in_reading_view(window: MainWindow, position: int) -> bool:
    view = window.reading_view
    cursor = QTextCursor(view.document())
    cursor.setPosition(position)
    return view.viewport().rect().contains(view.cursorRect(cursor).center())


def test_typing_searches_the_whole_library_with_marked_snippets(
    qtbot: QtBot, window: MainWindow
) -> None:
    # start in one feed: the search still covers the whole library
    alpha = next(f for f in window.reader.list_feeds() if f.title == "Alpha Feed")
    window.feeds_pane.select_key(f"feed:{alpha.id}")
    assert window.articles_model.rowCount() == 30
    type_search(qtbot, window, "zeppel")  # the last word is a prefix while typing
    pane = window.articles_pane
    assert pane.searching and pane.stack.currentWidget() is pane.results
    titles = {h.title for h in hits(window)}
    assert titles == {"A history of airships", "Zeppelins today"}
    assert all(h.kind is HitKind.ARTICLE for h in hits(window))
    for hit in hits(window):
        assert [w.lower().rstrip("s") for w in marked_words(hit)] == ["zeppelin"]
    message = pane.search_message.text()
    assert "2 results" in message and "whole library" in message
    assert pane.search_box.save_button.isVisible()
    # the marks are painted: the accent tint behind the matched words is on screen
    results = pane.results
    results.list.resize(results.list.width(), 400)
    image = results.list.viewport().grab().toImage()
    tint = results.delegate.mark_colour()
    base = QColor(window.theme.base)
    alpha_f = tint.alphaF()
    expected = QColor(
        round(tint.red() * alpha_f + base.red() * (1 - alpha_f)),
        round(tint.green() * alpha_f + base.green() * (1 - alpha_f)),
        round(tint.blue() * alpha_f + base.blue() * (1 - alpha_f)),
    )
    tinted = 0
    for y in range(0, image.height(), 2):
        for x in range(0, image.width(), 2):
            c = image.pixelColor(x, y)
            if (
                abs(c.red() - expected.red()) <= 3
                and abs(c.green() - expected.green()) <= 3
                and abs(c.blue() - expected.blue()) <= 3
            ):
                tinted += 1
    assert tinted > 20, "no marked words painted"


def test_enter_opens_the_first_hit_scrolled_to_the_match_and_esc_goes_back(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane = window.articles_pane
    assert window.articles_model.rowCount() == 93
    type_search(qtbot, window, "atlantic")
    assert [h.title for h in hits(window)] == ["A history of airships"]
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    assert pane.results.list.hasFocus()
    assert pane.results.current_row() == 0
    assert pane.results.list.selectionModel().isRowSelected(0)
    view = window.reading_view
    assert view.detail is not None and view.detail.article.title == "A history of airships"
    # the match is far down the article: the view scrolled, and its words are on screen
    assert view.verticalScrollBar().value() > 0
    hit = hits(window)[0]
    assert hit.offset is not None
    span = view.text_map().to_document(hit.offset, hit.offset + len("Atlantic"))  # type: ignore[union-attr]
    assert span is not None
    assert view.document().toRawText()[span[0] : span[1]] == "Atlantic"
    assert visible_in_reading_view(window, span[0])
    # opened from the results, it is marked read like an article chosen in the list
    qtbot.waitUntil(lambda: hits(window)[0].read)
    # Esc: the search is gone and the list is back as it was
    qtbot.keyClick(pane.results.list, Qt.Key.Key_Escape)
    assert not pane.searching
    assert pane.search_field.text() == ""
    assert not pane.search_message.isVisible()
    assert pane.table.hasFocus()
    assert window.articles_model.rowCount() == 93
    assert all(b.isVisible() for b in pane.show_buttons.values())


def test_a_match_near_the_start_leaves_the_article_at_its_top(
    qtbot: QtBot, window: MainWindow
) -> None:
    type_search(qtbot, window, "paragraph 0")
    row = next(i for i, h in enumerate(hits(window)) if h.title == "A history of airships")
    window.articles_pane.results.select_row(row)
    view = window.reading_view
    assert view.detail is not None and view.detail.article.title == "A history of airships"
    assert view.verticalScrollBar().maximum() > 0  # a long article, which could scroll
    assert view.verticalScrollBar().value() == 0  # the title is not cut in half
    hit = hits(window)[row]
    assert hit.offset is not None
    span = view.text_map().to_document(hit.offset, hit.offset + 1)  # type: ignore[union-attr]
    assert span is not None and visible_in_reading_view(window, span[0])


def test_esc_in_the_field_clears_the_search(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.articles_pane
    type_search(qtbot, window, "lighthouse")
    assert pane.searching
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Escape)
    assert not pane.searching and pane.search_field.text() == ""
    assert pane.stack.currentWidget() is pane.table


def test_ctrl_f_focuses_the_search_field_from_the_reading_view(
    qtbot: QtBot, window: MainWindow
) -> None:
    window.reading_view.setFocus()
    qtbot.keyClick(window.reading_view, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.articles_pane.search_field.hasFocus()


def test_bad_syntax_shows_the_message_and_marks_the_bad_part(
    qtbot: QtBot, window: MainWindow
) -> None:
    pane = window.articles_pane
    type_search(qtbot, window, "zeppelin OR")
    message = pane.search_message
    assert message.isVisible() and message.is_error()
    assert "OR needs a search term on both sides" in message.text()
    assert pane.search_field.error_marked() == (9, 2)
    assert not pane.search_box.save_button.isEnabled()
    # Enter does not leave the field while the query cannot be read
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    assert pane.search_field.hasFocus()
    # finishing the query fixes it: results, no error, no mark
    qtbot.keyClicks(pane.search_field, " lighthouse")
    qtbot.waitUntil(lambda: not message.is_error())
    assert pane.search_field.error_marked() is None
    assert {h.title for h in hits(window)} >= {"Lighthouse keepers", "A history of airships"}
    # an unknown filter names itself
    pane.search_field.setText("colour:teal")
    qtbot.waitUntil(lambda: message.is_error())
    assert "teal" in message.text() or "colou" in message.text()


def test_nothing_found_says_so(qtbot: QtBot, window: MainWindow) -> None:
    type_search(qtbot, window, "xylophones ")
    pane = window.articles_pane
    assert pane.results.model.rowCount() == 0
    assert "Nothing found" in pane.results.empty.text()
    assert "No results" in pane.search_message.text()


def test_a_highlight_hit_jumps_to_the_highlight(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.articles_pane
    type_search(qtbot, window, "fresnel ")
    kinds = {h.kind: h for h in hits(window)}
    assert set(kinds) == {HitKind.ARTICLE, HitKind.HIGHLIGHT}
    highlight = kinds[HitKind.HIGHLIGHT]
    assert highlight.color == "green"
    assert marked_words(highlight) == ["Fresnel"]
    assert _snippet_text(highlight)[0].startswith("Highlight · ")
    row = hits(window).index(highlight)
    rect = pane.results.list.visualRect(pane.results.model.index(row, 0))
    qtbot.mouseClick(pane.results.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    view = window.reading_view
    assert view.detail is not None and view.detail.article.title == "Lighthouse keepers"
    painted = next(p for p in view.painted if p.highlight.id == highlight.id)
    assert view.verticalScrollBar().value() > 0
    assert visible_in_reading_view(window, painted.start)
    assert window.annotations_pane._selected_key() == ("highlight", highlight.id)


def test_a_note_hit_shows_the_note_in_the_notes_pane(qtbot: QtBot, window: MainWindow) -> None:
    window.named_actions["toggle_annotations"].setChecked(False)
    type_search(qtbot, window, "quokka")
    [note] = hits(window)
    assert note.kind is HitKind.NOTE and note.title == "Lighthouse keepers"
    assert marked_words(note) == ["quokka"]
    qtbot.keyClick(window.articles_pane.search_field, Qt.Key.Key_Down)
    assert window.annotations_pane.isVisible()
    assert window.annotations_pane._selected_key() == ("note", note.id)


def test_j_k_move_through_results_and_m_toggles_read(qtbot: QtBot, window: MainWindow) -> None:
    window.settings.set("mark_read_delay_ms", -1)
    pane = window.articles_pane
    type_search(qtbot, window, "zeppelin")
    qtbot.keyClick(pane.search_field, Qt.Key.Key_Return)
    first = hits(window)[0]
    assert window.reading_view.detail.article.id == first.article_id  # type: ignore[union-attr]
    qtbot.keyClick(pane.results.list, Qt.Key.Key_J)
    assert pane.results.current_row() == 1
    second = hits(window)[1]
    assert window.reading_view.detail.article.id == second.article_id  # type: ignore[union-attr]
    assert not second.read
    qtbot.keyClick(pane.results.list, Qt.Key.Key_M)
    qtbot.waitUntil(lambda: hits(window)[1].read)
    assert window.reader.get_articles([ArticleId(second.article_id)])[0].read
    qtbot.keyClick(pane.results.list, Qt.Key.Key_K)
    assert pane.results.current_row() == 0


def test_choosing_a_feed_leaves_the_search(qtbot: QtBot, window: MainWindow) -> None:
    pane = window.articles_pane
    type_search(qtbot, window, "zeppelin")
    beta = next(f for f in window.reader.list_feeds() if f.title == "Beta Feed")
    tree = window.feeds_pane.tree
    index = window.feeds_model.index_for_key(f"feed:{beta.id}")
    tree.scrollTo(index)
    qtbot.mouseClick(
        tree.viewport(), Qt.MouseButton.LeftButton, pos=tree.visualRect(index).center()
    )
    assert not pane.searching and pane.search_field.text() == ""
    assert window.articles_model.rowCount() == 30
    wait_idle(qtbot, window)


def test_scrolling_to_the_end_of_the_results_loads_more(qtbot: QtBot, window: MainWindow) -> None:
    type_search(qtbot, window, "story")
    assert window.last_search_ms is not None and window.last_search_ms < 250
    assert window.articles_pane.results.model.rowCount() == 50
    assert window.articles_pane.results.model.has_more()
    # scrolling to the end asks the library for more
    results = window.articles_pane.results
    results.list.scrollToBottom()
    qtbot.waitUntil(lambda: results.model.rowCount() > 50)
    assert results.model.rowCount() == 90  # every story; the airships never say it


def test_searches_run_off_the_gui_thread_and_late_answers_are_dropped(
    qtbot: QtBot, window: MainWindow, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    original = Library.search

    def slow_search(self: Library, text: str, **kwargs: object) -> object:
        threads.append(threading.current_thread().name)
        if text.startswith("atlantic"):
            time.sleep(0.4)  # a common word on a big library
        return original(self, text, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Library, "search", slow_search)
    pane = window.articles_pane
    type_search(qtbot, window, "lighthouse")
    assert [h.title for h in hits(window) if h.kind is HitKind.ARTICLE] == ["Lighthouse keepers"]
    pane.search_field.setText("atlantic")
    window.run_search()  # the slow one starts ...
    qtbot.waitUntil(lambda: "Searching…" in pane.search_message.text(), timeout=2000)
    pane.search_field.setText("quokka")  # ... and is typed over before it answers
    qtbot.waitUntil(window.search_settled, timeout=5000)
    qtbot.wait(500)  # the atlantic answer has come back by now, and must not show
    assert [h.kind for h in hits(window)] == [HitKind.NOTE]
    assert "1 result for quokka" in pane.search_message.text()
    assert threads and set(threads) == {"gloss-search"}
