"""The global Highlights view over a real library of 500 highlights and 30 notes."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import ArticleId, FeedId, HighlightEntry, NoteEntry
from reader.gui import resources
from reader.gui.models.highlights_model import ENTRY_ROLE, HighlightQuery
from reader.gui.panes.highlights_view import EMPTY_TEXT, NO_MATCH_TEXT, HighlightsView
from tests.support.feeds import Item, rss

HIGHLIGHTS, NOTES, EVERY_NTH_TAGGED = 500, 30, 50
WORDS = " ".join(f"word{j}" for j in range(260))


@dataclass(frozen=True)
class Big:
    path: Path
    alpha: FeedId
    beta: FeedId
    changed: ArticleId  # a Beta article whose text changed: its highlights are orphans


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Big:
    path = tmp_path_factory.mktemp("big") / "library.gloss"
    when = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    with Library.open(path) as lib:
        for name, count in (("Alpha", 10), ("Beta", 5)):
            items = [
                Item(f"{name}-{i}", f"{name} {i}", f"<p>{WORDS}</p>", None, when)
                for i in range(count)
            ]
            lib.add_feed_document(f"https://example.org/{name}.xml", rss(name, items))
        feeds = {f.title: f.id for f in lib.list_feeds()}
        articles = lib.list_articles(limit=100).articles
        stamps: list[tuple[str, int, dt.datetime]] = []  # (table, id, created_at)
        for i in range(HIGHLIGHTS):
            article = articles[i % len(articles)]
            start = (i // len(articles)) * 10
            colour = ("yellow", "green", "blue", "pink", "purple")[i % 5]
            highlight, _ = lib.add_highlight(article.id, start, start + 6, color=colour)
            if i % EVERY_NTH_TAGGED == 0:
                lib.set_highlight_tags(highlight.id, ["keep"])
            # three at a time share a timestamp: paging by (time, id) must split ties cleanly
            stamps.append(("highlights", highlight.id, when + dt.timedelta(minutes=i // 3)))
            if i % 17 == 0:  # 30 notes, between the highlights in time
                note, _ = lib.add_note(article.id, f"Note on {article.title}")
                stamps.append(("notes", note.id, when + dt.timedelta(minutes=i // 3, seconds=30)))
        changed = next(a for a in articles if a.title == "Beta 0")
        lib.set_article_text(changed.id, "<p>An entirely different text now.</p>")
    # Test set-up only: the library stamps rows with the clock; spread them over hours
    with sqlite3.connect(path) as conn:
        for table, row_id, at in stamps:
            conn.execute(
                f"UPDATE {table} SET created_at = ? WHERE id = ?",
                [at.strftime("%Y-%m-%dT%H:%M:%SZ"), row_id],
            )
    conn.close()
    assert sum(table == "notes" for table, _, _ in stamps) == NOTES
    return Big(path, feeds["Alpha"], feeds["Beta"], changed.id)


@pytest.fixture
def reader(big: Big) -> Iterator[Library]:
    with Library.open(big.path, readonly=True) as library:
        yield library


@pytest.fixture
def view(qtbot: QtBot, reader: Library) -> HighlightsView:
    view = HighlightsView()
    qtbot.addWidget(view)
    view.set_theme(resources.LIGHT)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    view.load(reader)
    return view


def entries(view: HighlightsView) -> list[HighlightEntry | NoteEntry]:
    return [view.model.index(r).data(ENTRY_ROLE) for r in range(view.model.rowCount())]


def created(entry: HighlightEntry | NoteEntry) -> dt.datetime:
    return (
        entry.highlight.created_at if isinstance(entry, HighlightEntry) else entry.note.created_at
    )


def test_pages_of_200_newest_first_until_everything_is_listed(
    qtbot: QtBot, view: HighlightsView
) -> None:
    model = view.model
    assert model.rowCount() == 200 and model.canFetchMore()
    assert view.subtitle.text() == "200+ items, newest first"
    model.fetchMore()
    assert model.rowCount() == 400
    view.list.scrollToBottom()  # the list asks for the rest itself as the user scrolls
    qtbot.waitUntil(lambda: model.rowCount() == HIGHLIGHTS + NOTES)
    assert not model.canFetchMore()
    rows = entries(view)
    times = [created(e) for e in rows]
    assert times == sorted(times, reverse=True)
    keys = {
        (
            type(e).__name__,
            created(e),
            e.highlight.id if isinstance(e, HighlightEntry) else e.note.id,
        )
        for e in rows
    }
    assert len(keys) == HIGHLIGHTS + NOTES  # no row twice across page boundaries
    notes = [e for e in rows if isinstance(e, NoteEntry)]
    assert len(notes) == NOTES
    # notes are interleaved with highlights by time, not appended after them
    first_note = next(r for r, e in enumerate(rows) if isinstance(e, NoteEntry))
    assert first_note < HIGHLIGHTS


def test_colour_tag_feed_and_orphan_filters_narrow_the_rows(
    qtbot: QtBot, view: HighlightsView, big: Big
) -> None:
    view.colour_buttons["green"].click()
    highlights = [e for e in entries(view) if isinstance(e, HighlightEntry)]
    assert len(highlights) == view.model.rowCount() == 100  # notes have no colour: left out
    assert {e.highlight.color for e in highlights} == {"green"}
    view.colour_buttons["blue"].click()
    view.model.fetchMore()
    assert view.model.rowCount() == 200
    assert {e.highlight.color for e in entries(view)} == {"green", "blue"}  # type: ignore[union-attr]
    view.clear_filters()
    assert view.model.rowCount() == 200 and view.model.canFetchMore()

    view.tag_combo.setCurrentIndex(view.tag_combo.findData("keep"))
    assert view.model.rowCount() == HIGHLIGHTS // EVERY_NTH_TAGGED
    assert all("keep" in e.highlight.tags for e in entries(view))  # type: ignore[union-attr]
    view.clear_filters()

    view.feed_combo.setCurrentIndex(view.feed_combo.findData(int(big.beta)))
    while view.model.canFetchMore():
        view.model.fetchMore()
    rows = entries(view)
    assert rows and {e.feed_id for e in rows} == {big.beta}
    assert view.model.rowCount() < HIGHLIGHTS + NOTES

    view.orphans_button.click()  # and still Beta only
    orphans = entries(view)
    assert orphans and all(
        isinstance(e, HighlightEntry) and e.highlight.anchor == "orphan" and e.feed_id == big.beta
        for e in orphans
    )
    assert {e.highlight.article_id for e in orphans} == {big.changed}  # type: ignore[union-attr]


def test_activating_a_row_asks_to_open_the_article_at_the_highlight(
    qtbot: QtBot, view: HighlightsView
) -> None:
    """Enter is also the window's "open in browser" key: in this list it opens the row."""
    host = QMainWindow()
    qtbot.addWidget(host)
    browser = QAction("Open in Browser", host)
    browser.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
    opened_in_browser: list[bool] = []
    browser.triggered.connect(lambda: opened_in_browser.append(True))
    host.addAction(browser)
    host.setCentralWidget(view)
    host.show()
    qtbot.waitExposed(host)
    asked: list[tuple[int, object]] = []
    view.open_requested.connect(lambda article, highlight: asked.append((article, highlight)))
    first = entries(view)[0]
    view.list.setFocus()
    view.list.setCurrentIndex(view.model.index(0))
    qtbot.keyClick(view.list, Qt.Key.Key_Return)
    assert isinstance(first, HighlightEntry)
    assert asked == [(first.highlight.article_id, first.highlight.id)]
    assert opened_in_browser == []
    row = next(r for r, e in enumerate(entries(view)) if isinstance(e, NoteEntry))
    note = entries(view)[row]
    assert isinstance(note, NoteEntry)
    index = view.model.index(row)
    view.list.scrollTo(index)
    qtbot.waitUntil(lambda: view.list.viewport().rect().contains(view.list.visualRect(index)))
    rect = view.list.visualRect(index)
    assert view.list.indexAt(rect.center()) == index
    qtbot.mouseClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(view.list.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert asked[-1] == (note.note.article_id, None)
    view.setParent(None)  # the view fixture closes it


def test_empty_library_and_empty_filter_say_what_to_do(
    qtbot: QtBot, tmp_path: Path, view: HighlightsView
) -> None:
    view.set_filters(colors=("pink",), tag="keep", feed_id=None, orphans_only=True)
    assert view.model.rowCount() == 0
    assert view.stack.currentWidget() is view.empty
    assert view.empty_label.text() == NO_MATCH_TEXT and view.clear_button.isVisible()
    view.clear_button.click()
    assert view.model.rowCount() == 200 and view.query() == HighlightQuery()
    Library.open(tmp_path / "empty.gloss").close()
    with Library.open(tmp_path / "empty.gloss", readonly=True) as empty:
        other = HighlightsView()
        qtbot.addWidget(other)
        other.show()
        other.load(empty)
        assert other.empty_label.text() == EMPTY_TEXT and not other.clear_button.isVisible()
        assert other.stack.currentWidget() is other.empty
