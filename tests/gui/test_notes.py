"""The highlights & notes pane and its note editor, over a real library file and writer thread.

The pane never writes: it emits ``NoteSave`` requests and other signals. ``wire`` connects them
the way the main window does (``tasks.mutate`` on the one writer thread, answers back to the
pane), so these tests go from keystrokes to rows in the SQLite file.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import ArticleId, Changes, HighlightId, NoteId
from reader.gui import resources
from reader.gui.models.annotations_model import (
    ANCHOR_ROLE,
    ID_ROLE,
    SECTION_ROLE,
    AnnotationsModel,
)
from reader.gui.panes.annotations_pane import AnnotationsPane, NoteSave, parse_tags
from reader.gui.tasks import TaskManager
from reader.gui.widgets.markdown_preview import MarkdownPreview, render_markdown
from tests.gui.conftest import WindowFactory, wait_idle
from tests.support.feeds import Item, rss

PARAGRAPHS = [
    "Offline reading is not nostalgia. A train tunnel, a flight, a cabin with one bar of "
    "signal: the article you saved should open there exactly as it opened at your desk.",
    "The best readers store everything an article needs at refresh time, so reading never "
    "waits on the network. Images are fetched once, kept in a cache, and served from disk.",
    "Highlights are the other half. A passage you marked should survive the publisher fixing "
    "a typo, and a note you wrote should leave the app as plain Markdown.",
    "Most tools treat annotations as an afterthought, stored beside the text rather than "
    "anchored in it. When the text changes, the marks drift or vanish.",
    "Anchoring by quote and context, the way annotation tools on the web do, keeps a "
    "highlight attached to its words rather than to a position.",
]
REVISED = [
    PARAGRAPHS[0],
    PARAGRAPHS[1],
    "Highlights are the other half. A passage you marked should survive a publisher fixing "
    "one typo, and a note you wrote should leave the app as plain Markdown.",
    PARAGRAPHS[4],
]
FIRST_NOTE = (
    "Worth **re-reading** before the design review.\n\n- offline first\n- anchors by quote\n\n"
    "#reading"
)
SECOND_NOTE = "Compare with [the W3C annotation model](https://www.w3.org/TR/annotation-model/)."


@dataclass(frozen=True)
class Annotated:
    path: Path
    article: ArticleId  # the annotated article
    other: ArticleId  # an article without annotations
    exact: HighlightId
    fuzzy: HighlightId
    orphan: HighlightId
    notes: tuple[NoteId, ...]


def _html(paragraphs: list[str]) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def build_annotated_library(path: Path) -> Annotated:
    """An article with placed, fuzzy and orphaned highlights, notes and tags; a second feed with
    a few highlighted articles (for the global view)."""
    published = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    with Library.open(path) as lib:
        lib.add_feed_document(
            "https://example.org/longread.xml",
            rss(
                "The Long Read",
                [
                    Item("why", "Why offline reading still matters", _html(PARAGRAPHS), None,
                         published),
                    Item("other", "A quiet article", "<p>Nothing marked here.</p>", None,
                         published - dt.timedelta(days=1)),
                ],
            ),
        )  # fmt: skip
        lib.add_feed_document(
            "https://example.org/notebook.xml",
            rss(
                "Field Notes",
                [
                    Item(
                        f"n{i}",
                        f"Field note {i}",
                        f"<p>Field note {i} talks about gardens and rivers. "
                        "The river was high this week.</p>",
                        None,
                        published - dt.timedelta(days=2 + i),
                    )
                    for i in range(3)
                ],
            ),
            folder="Reading",
        )
        articles = {a.title: a.id for a in lib.list_articles(limit=20).articles}
        article = articles["Why offline reading still matters"]
        exact, _ = lib.add_highlight_by_quote(
            article,
            "the article you saved should open there exactly as it opened at your desk",
            note="This is the whole pitch. #offline",
        )
        lib.add_highlight_by_quote(
            article, "Images are fetched once, kept in a cache, and served from disk.",
            color="green",
        )  # fmt: skip
        fuzzy, _ = lib.add_highlight_by_quote(
            article,
            "A passage you marked should survive the publisher fixing a typo",
            color="blue",
            note="Compare with how Hypothesis anchors.",
        )
        orphan, _ = lib.add_highlight_by_quote(
            article,
            "When the text changes, the marks drift or vanish.",
            color="pink",
            note="Omnivore lost highlights like this on refresh.",
        )
        last, _ = lib.add_highlight_by_quote(
            article,
            "keeps a highlight attached to its words rather than to a position",
            color="purple",
        )
        lib.set_highlight_tags(last.id, ["anchoring", "design"])
        first_note, _ = lib.add_note(article, FIRST_NOTE)
        second_note, _ = lib.add_note(article, SECOND_NOTE)
        lib.set_article_tags(article, ["longread", "design"])
        lib.set_article_text(article, _html(REVISED))
        for i in range(3):
            field = articles[f"Field note {i}"]
            lib.add_highlight_by_quote(
                field, "The river was high this week.", color=("green", "blue", "yellow")[i]
            )
        lib.set_color_label("blue", "Question")
        return Annotated(
            path,
            article,
            articles["A quiet article"],
            exact.id,
            fuzzy.id,
            orphan.id,
            (first_note.id, second_note.id),
        )


@pytest.fixture
def annotated(tmp_path: Path) -> Annotated:
    return build_annotated_library(tmp_path / "library.gloss")


# ---- the pane, wired like the window wires it -------------------------------------------------


@dataclass
class Rig:
    pane: AnnotationsPane
    tasks: TaskManager
    reader: Library
    path: Path
    emitted: dict[str, list[tuple[object, ...]]]

    def idle(self, qtbot: QtBot) -> None:
        qtbot.waitUntil(self.tasks.is_idle, timeout=10_000)


def stored_note_bodies(path: Path) -> list[str]:
    """What a second program would read from the library file right now."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        rows = conn.execute("SELECT body FROM notes WHERE deleted_at IS NULL ORDER BY id")
        return [r[0] for r in rows]
    finally:
        conn.close()


def wire(pane: AnnotationsPane, tasks: TaskManager, reader: Library) -> None:
    """What the main window does with the pane's signals (see the report for the lead)."""

    def save(request: NoteSave) -> None:
        tasks.mutate(
            request.apply,
            initiator=pane,
            on_done=lambda changes: pane.note_save_done(request, changes),
            on_error=lambda error: pane.note_save_failed(request, error),
        )

    def write(run: Callable[[Library], Changes]) -> None:
        tasks.mutate(run, initiator=pane)

    pane.note_save_requested.connect(save)
    pane.highlight_color_changed.connect(
        lambda h, c: write(lambda lib: lib.set_highlight_color(HighlightId(h), c))
    )
    pane.highlight_tags_changed.connect(
        lambda h, tags: write(lambda lib: lib.set_highlight_tags(HighlightId(h), tags))
    )
    pane.highlight_delete_requested.connect(
        lambda h: write(lambda lib: lib.delete_highlight(HighlightId(h)))
    )
    pane.highlight_restore_requested.connect(
        lambda h: write(lambda lib: lib.restore_highlight(HighlightId(h)))
    )
    pane.note_delete_requested.connect(lambda n: write(lambda lib: lib.delete_note(NoteId(n))))
    pane.note_restore_requested.connect(lambda n: write(lambda lib: lib.restore_note(NoteId(n))))
    pane.article_tags_changed.connect(
        lambda a, tags: write(lambda lib: lib.set_article_tags(ArticleId(a), tags))
    )
    tasks.changes_applied.connect(lambda changes, _who: pane.apply_changes(changes))


@pytest.fixture
def rig(qtbot: QtBot, annotated: Annotated) -> Iterator[Rig]:
    tasks = TaskManager(lambda: Library.open(annotated.path))
    assert tasks.wait_until_open(10) is None
    reader = Library.open(annotated.path, readonly=True)
    pane = AnnotationsPane(AnnotationsModel())  # not qtbot.addWidget: closed below, in order
    pane.set_theme(resources.LIGHT)
    wire(pane, tasks, reader)
    emitted: dict[str, list[tuple[object, ...]]] = {}
    for name in (
        "highlight_activated",
        "reattach_requested",
        "highlight_color_changed",
        "highlight_delete_requested",
        "highlight_restore_requested",
        "note_delete_requested",
        "note_restore_requested",
        "article_tags_changed",
        "highlight_tags_changed",
    ):
        getattr(pane, name).connect(lambda *args, n=name: emitted.setdefault(n, []).append(args))
    pane.resize(340, 760)
    pane.show()
    qtbot.waitExposed(pane)
    pane.show_article(reader, annotated.article)
    yield Rig(pane, tasks, reader, annotated.path, emitted)
    pane.close()  # saves what is typed, as the window's close does
    qtbot.waitUntil(tasks.is_idle, timeout=10_000)
    tasks.changes_applied.disconnect()
    tasks.shutdown()
    reader.close()
    pane.deleteLater()


def row_of(pane: AnnotationsPane, kind: str, item_id: int) -> int:
    row = pane.model.row_of(kind, item_id)
    assert row is not None
    return row


def type_text(qtbot: QtBot, pane: AnnotationsPane, text: str) -> None:
    """Real key presses into the editor (QTest has no key for "\n": Return is pressed)."""
    pane.editor.edit.setFocus()
    for n, line in enumerate(text.split("\n")):
        if n:
            qtbot.keyClick(pane.editor.edit, Qt.Key.Key_Return)
        if line:
            qtbot.keyClicks(pane.editor.edit, line)


# ---- what the pane shows ----------------------------------------------------------------------


def test_pane_shows_highlights_in_reading_order_then_orphans_then_notes(
    rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    sections = [pane.model.index(r).data(SECTION_ROLE) for r in range(pane.model.rowCount())]
    assert sections == ["highlights"] * 4 + ["orphans"] + ["notes"] * 2
    orphan_row = row_of(pane, "highlight", annotated.orphan)
    assert pane.model.index(orphan_row).data(ANCHOR_ROLE) == "orphan"
    assert pane.model.index(row_of(pane, "highlight", annotated.fuzzy)).data(ANCHOR_ROLE) in (
        "fuzzy",
        "ambiguous",
    )
    assert pane.title.text() == "Highlights & Notes — 5 highlights, 2 notes"
    assert pane.tags_edit.text() == "design, longread"  # the typed ones: editable
    assert pane.note_tags.text() == "From notes: #reading"  # from a note's #tag: not editable here


def test_reattach_button_on_an_orphan_card_emits_its_id(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    index = pane.model.index(row_of(pane, "highlight", annotated.orphan))
    pane.list.scrollTo(index)
    rect = pane.list.visualRect(index)
    card = pane.delegate._layout(rect.adjusted(0, 0, 0, -rect.height()), index, pane.list.font())
    assert card.reattach is not None and card.review is None
    qtbot.mouseClick(pane.list.viewport(), Qt.MouseButton.LeftButton, pos=card.reattach.center())
    assert rig.emitted["reattach_requested"] == [(annotated.orphan,)]
    # the fuzzy one offers a review instead, which scrolls the reading view to it
    fuzzy = pane.model.index(row_of(pane, "highlight", annotated.fuzzy))
    rect = pane.list.visualRect(fuzzy)
    card = pane.delegate._layout(rect.adjusted(0, 0, 0, -rect.height()), fuzzy, pane.list.font())
    assert card.review is not None and card.reattach is None


def test_selecting_a_card_activates_its_highlight_and_the_keyboard_works(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    pane.list.setFocus()  # as Tab does: the first card becomes current
    qtbot.keyClick(pane.list, Qt.Key.Key_Down)
    ids = [pane.model.index(r).data(ID_ROLE) for r in range(2)]
    assert rig.emitted["highlight_activated"] == [(ids[0],), (ids[1],)]
    first = ids[1]
    # a reload after a write (here: colour) keeps the selection and does not re-activate
    menu = pane.build_context_menu(pane.list.currentIndex())
    colours = menu.actions()[0].menu()
    assert [a.text() for a in colours.actions()] == [
        "Yellow",
        "Green",
        "Question",
        "Pink",
        "Purple",
    ]
    colours.actions()[3].trigger()
    rig.idle(qtbot)
    assert rig.emitted["highlight_color_changed"] == [(first, "pink")]
    qtbot.waitUntil(lambda: rig.reader.get_highlight(HighlightId(first)).color == "pink")
    assert pane.list.currentIndex().data(ID_ROLE) == first
    assert len(rig.emitted["highlight_activated"]) == 2
    # Delete deletes; Ctrl+Z in the list brings it back
    qtbot.keyClick(pane.list, Qt.Key.Key_Delete)
    assert rig.emitted["highlight_delete_requested"] == [(first,)]
    rig.idle(qtbot)
    qtbot.waitUntil(lambda: pane.model.highlight_count() == 4)
    assert pane.banner.isVisible() and "deleted" in pane.banner_label.text()
    pane.list.setFocus()
    qtbot.keyClick(pane.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert rig.emitted["highlight_restore_requested"] == [(first,)]
    rig.idle(qtbot)
    qtbot.waitUntil(lambda: pane.model.highlight_count() == 5)


def test_article_tag_field_takes_commas_spaces_and_hashes(qtbot: QtBot, rig: Rig) -> None:
    assert parse_tags("#one, two  three,,#Two") == ["one", "two", "three"]
    pane = rig.pane
    pane.tags_edit.setFocus()
    pane.tags_edit.selectAll()
    qtbot.keyClicks(pane.tags_edit, "longread #design, to-cite")
    qtbot.keyClick(pane.tags_edit, Qt.Key.Key_Return)
    article = pane.current_article_id()
    assert rig.emitted["article_tags_changed"] == [(article, ["longread", "design", "to-cite"])]
    rig.idle(qtbot)
    assert article is not None
    assert "to-cite" in rig.reader.article_field_tags(article)


# ---- the note editor ---------------------------------------------------------------------------


def test_a_new_note_saves_itself_after_typing_stops(qtbot: QtBot, rig: Rig) -> None:
    pane = rig.pane
    pane.add_note_button.click()
    assert pane.editor.isVisible() and pane.editor.edit.hasFocus()
    type_text(qtbot, pane, "Remember the cabin")
    qtbot.waitUntil(lambda: "Remember the cabin" in stored_note_bodies(rig.path), timeout=5000)
    qtbot.waitUntil(lambda: pane.editor.status.text() == "Saved")
    # typing on updates the same note: it is not created twice
    type_text(qtbot, pane, " with one bar of signal.")
    wanted = "Remember the cabin with one bar of signal."
    qtbot.waitUntil(lambda: wanted in stored_note_bodies(rig.path), timeout=5000)
    assert "Remember the cabin" not in stored_note_bodies(rig.path)
    assert pane.model.note_count() == 3


def test_typing_while_the_first_save_creates_the_note_never_duplicates_it(
    qtbot: QtBot, rig: Rig
) -> None:
    pane = rig.pane
    pane.add_note()
    type_text(qtbot, pane, "one")
    pane.flush()  # a save is on its way; more typing, another save before the first answer
    type_text(qtbot, pane, " two")
    pane.flush()
    rig.idle(qtbot)
    bodies = stored_note_bodies(rig.path)
    assert "one two" in bodies and "one" not in bodies


def test_an_empty_new_note_writes_nothing(qtbot: QtBot, rig: Rig) -> None:
    before = stored_note_bodies(rig.path)
    rig.pane.add_note()
    type_text(qtbot, rig.pane, "   ")
    rig.pane.close_editor()
    rig.idle(qtbot)
    assert stored_note_bodies(rig.path) == before
    assert not rig.pane.editor.isVisible()


def test_switching_note_or_article_saves_at_once(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    pane.editor.set_save_delay(60_000)  # so only the switch can have saved it
    pane.edit_note(annotated.notes[1])
    type_text(qtbot, pane, " Also Zotero.")
    pane.edit_note(annotated.notes[0])  # switch to the other note
    rig.idle(qtbot)
    assert SECOND_NOTE + " Also Zotero." in stored_note_bodies(rig.path)
    assert pane.editing() is not None and pane.editor.text() == FIRST_NOTE
    type_text(qtbot, pane, "\nLast line.")
    pane.show_article(rig.reader, annotated.other)  # switch article
    rig.idle(qtbot)
    assert FIRST_NOTE + "\nLast line." in stored_note_bodies(rig.path)
    assert not pane.editor.isVisible() and pane.editing() is None


def test_closing_the_pane_keeps_every_keystroke_in_the_library_file(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    pane.editor.set_save_delay(60_000)
    pane.list.setFocus()
    pane.list.setCurrentIndex(pane.model.index(row_of(pane, "highlight", annotated.exact)))
    qtbot.keyClick(pane.list, Qt.Key.Key_Return)  # Enter opens the highlight's note
    assert pane.editor.isVisible() and pane.editor.text() == "This is the whole pitch. #offline"
    type_text(qtbot, pane, " And the last words typed.")
    pane.close()
    rig.idle(qtbot)
    conn = sqlite3.connect(f"file:{rig.path}?mode=ro", uri=True)
    try:
        (note,) = conn.execute(
            "SELECT note FROM highlights WHERE id = ?", [annotated.exact]
        ).fetchone()
    finally:
        conn.close()
    assert note == "This is the whole pitch. #offline And the last words typed."


def test_a_failed_save_keeps_the_text_says_why_and_retries(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    """The failing writer is a stand-in (the pane only emits signals): it answers every save
    with the GlossError a full disk would give. Retry then goes to the real writer."""
    pane = rig.pane
    pane.note_save_requested.disconnect()
    failing = True

    def save(request: NoteSave) -> None:
        if failing:
            pane.note_save_failed(request, GlossError("The disk is full."))
        else:
            rig.tasks.mutate(
                request.apply,
                on_done=lambda c: pane.note_save_done(request, c),
                on_error=lambda e: pane.note_save_failed(request, e),
            )

    pane.note_save_requested.connect(save)
    pane.edit_note(annotated.notes[0])
    type_text(qtbot, pane, " Unsaved words.")
    pane.flush()
    assert pane.editor.status.text() == "Could not save: The disk is full."
    assert pane.editor.retry_button.isVisible()
    assert pane.editor.text() == FIRST_NOTE + " Unsaved words."
    # closing the editor does not lose it either: the pane says so and can retry
    pane.close_editor()
    assert pane.banner.isVisible() and "could not be saved" in pane.banner_label.text()
    assert [s.body for s in pane.failed_saves()] == [FIRST_NOTE + " Unsaved words."]
    # opening the note again shows the unsaved text, not the stored one
    pane.edit_note(annotated.notes[0])
    assert pane.editor.text() == FIRST_NOTE + " Unsaved words."
    failing = False
    pane.editor.retry_button.click()
    rig.idle(qtbot)
    qtbot.waitUntil(lambda: FIRST_NOTE + " Unsaved words." in stored_note_bodies(rig.path))
    qtbot.waitUntil(lambda: pane.editor.status.text() == "Saved")
    assert not pane.editor.retry_button.isVisible() and not pane.banner.isVisible()


def test_undo_and_redo_work_in_the_editor(qtbot: QtBot, rig: Rig) -> None:
    pane = rig.pane
    pane.add_note()
    type_text(qtbot, pane, "draft")
    qtbot.keyClick(pane.editor.edit, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert pane.editor.text() == ""
    qtbot.keyClick(
        pane.editor.edit,
        Qt.Key.Key_Z,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert pane.editor.text() == "draft"


def test_deleting_an_emptied_note_is_undoable(qtbot: QtBot, rig: Rig, annotated: Annotated) -> None:
    pane = rig.pane
    pane.edit_note(annotated.notes[1])
    pane.editor.edit.selectAll()
    qtbot.keyClick(pane.editor.edit, Qt.Key.Key_Delete)
    pane.close_editor()
    assert rig.emitted["note_delete_requested"] == [(annotated.notes[1],)]
    rig.idle(qtbot)
    assert SECOND_NOTE not in stored_note_bodies(rig.path)
    pane.undo_delete()
    rig.idle(qtbot)
    assert SECOND_NOTE in stored_note_bodies(rig.path)


def test_preview_renders_markdown_without_scripts_or_javascript_links(qtbot: QtBot) -> None:
    source = (
        "# Title\n\nSome **bold** text and a [safe link](https://example.org/a).\n\n"
        "<script>alert('x')</script>\n\n[bad](javascript:alert(1)) "
        '<a href="javascript:alert(2)" onclick="evil()">raw</a> <img src="https://t.example/p.gif">'
    )
    html = render_markdown(source)
    assert "<strong>bold</strong>" in html and 'href="https://example.org/a"' in html
    lowered = html.lower()
    assert "<script" not in lowered and "alert('x')" not in lowered
    assert "javascript:" not in lowered and "onclick" not in lowered
    preview = MarkdownPreview()
    qtbot.addWidget(preview)
    clicked: list[str] = []
    preview.link_clicked.connect(lambda url: clicked.append(url.toString()))
    preview.set_markdown(source)
    assert "Title" in preview.toPlainText() and "alert" not in preview.toPlainText()
    assert preview.loadResource(2, "https://t.example/p.gif") is None
    preview.anchorClicked.emit(QUrl("file:///etc/passwd"))
    assert clicked == []


def test_editor_preview_follows_the_text(qtbot: QtBot, rig: Rig) -> None:
    pane = rig.pane
    pane.add_note()
    pane.editor.set_preview_visible(True)
    type_text(qtbot, pane, "Some *emphasis* here")
    qtbot.waitUntil(lambda: "emphasis" in pane.editor.preview.toPlainText())
    assert "*" not in pane.editor.preview.toPlainText()


def test_window_shortcut_keys_type_into_the_editor(qtbot: QtBot, rig: Rig) -> None:
    """J, Space and Enter are window shortcuts; in the editor they are just text."""
    pane = rig.pane
    pane.add_note()
    type_text(qtbot, pane, "j k")
    qtbot.keyClick(pane.editor.edit, Qt.Key.Key_Return)
    assert pane.editor.text() == "j k\n"
    assert QApplication.focusWidget() is pane.editor.edit
    pane.editor.edit.setFocus()
    qtbot.keyClick(pane.editor.edit, Qt.Key.Key_Escape)  # Escape closes (after saving)
    assert not pane.editor.isVisible()
    rig.idle(qtbot)
    assert "j k\n" in stored_note_bodies(rig.path)


# ---- in the main window ------------------------------------------------------------------------


def test_in_the_window_delete_in_the_pane_deletes_the_highlight_not_the_feed(
    qtbot: QtBot,
    make_window: WindowFactory,
    annotated: Annotated,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Delete is the window's "Unsubscribe…" key; in the cards it deletes the card (undoable)."""
    prompts: list[object] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *args, **_kw: prompts.append(args) or QMessageBox.StandardButton.No,
    )
    window = make_window(annotated.path)
    assert window.articles_pane.select_article(annotated.article)
    pane = window.annotations_pane
    assert pane.model.highlight_count() == 5
    pane.list.setFocus()
    pane.list.setCurrentIndex(pane.model.index(1))  # untagged (see the xfail below for why)
    qtbot.keyClick(pane.list, Qt.Key.Key_Delete)
    wait_idle(qtbot, window)
    assert prompts == [] and pane.model.highlight_count() == 4
    qtbot.keyClick(pane.list, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    wait_idle(qtbot, window)
    assert pane.model.highlight_count() == 5


def test_in_the_window_a_note_typed_just_before_closing_reaches_the_file(
    qtbot: QtBot, make_window: WindowFactory, annotated: Annotated
) -> None:
    window = make_window(annotated.path)
    assert window.articles_pane.select_article(annotated.article)
    pane = window.annotations_pane
    pane.add_note()
    pane.editor.set_save_delay(60_000)  # only the close can save it
    type_text(qtbot, pane, "j k and Space are letters here")
    assert window.articles_pane.current_article().id == annotated.article  # type: ignore[union-attr]
    window.close()
    wait_idle(qtbot, window)
    assert "j k and Space are letters here" in stored_note_bodies(annotated.path)


def test_in_the_window_the_editor_stays_open_while_autosaves_happen(
    qtbot: QtBot, make_window: WindowFactory, annotated: Annotated
) -> None:
    window = make_window(annotated.path)
    assert window.articles_pane.select_article(annotated.article)
    pane = window.annotations_pane
    pane.add_note()
    type_text(qtbot, pane, "first words")
    qtbot.waitUntil(lambda: "first words" in stored_note_bodies(annotated.path), timeout=5000)
    wait_idle(qtbot, window)
    assert pane.editor.isVisible() and pane.current_article_id() == annotated.article
    type_text(qtbot, pane, ", then a new tag #fresh")  # the Tags group of the feeds pane changes
    qtbot.waitUntil(
        lambda: "first words, then a new tag #fresh" in stored_note_bodies(annotated.path)
    )
    wait_idle(qtbot, window)
    assert pane.editor.isVisible() and pane.current_article_id() == annotated.article
    type_text(qtbot, pane, " and on")
    assert pane.editor.text() == "first words, then a new tag #fresh and on"


def test_escape_returns_to_the_card_but_switching_article_leaves_focus_alone(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    pane.list.setFocus()
    pane.list.setCurrentIndex(pane.model.index(row_of(pane, "note", annotated.notes[1])))
    qtbot.keyClick(pane.list, Qt.Key.Key_Return)
    assert pane.editor.edit.hasFocus()
    qtbot.keyClick(pane.editor.edit, Qt.Key.Key_Escape)
    assert pane.list.hasFocus() and pane.list.currentIndex().data(ID_ROLE) == annotated.notes[1]
    pane.edit_note(annotated.notes[0])
    pane.tags_edit.setFocus()  # stands for the article list, where the user clicked
    pane.show_article(rig.reader, annotated.other)
    assert pane.tags_edit.hasFocus() and not pane.editor.isVisible()


def test_tags_being_typed_go_to_their_own_article_when_the_article_changes(
    qtbot: QtBot, rig: Rig, annotated: Annotated
) -> None:
    pane = rig.pane
    pane.tags_edit.setFocus()
    pane.tags_edit.end(False)
    qtbot.keyClicks(pane.tags_edit, ", later")
    pane.show_article(rig.reader, annotated.other)  # e.g. opened from the Highlights view
    assert rig.emitted["article_tags_changed"] == [
        (annotated.article, ["design", "longread", "later"])
    ]
    assert pane.tags_edit.text() == ""  # the other article has no tags
    pane.tags_edit.clearFocus()
    assert len(rig.emitted["article_tags_changed"]) == 1  # nothing sent to the other article
    rig.idle(qtbot)
    assert "later" in rig.reader.article_field_tags(annotated.article)
    assert rig.reader.article_field_tags(annotated.other) == ()
