"""Highlighting in the reading view: painting, creating, editing, re-attaching, jumping.

Real ReadingView widgets offscreen; articles are built from HTML with the canonical text the
library would store, and highlights with the offsets the library would give them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import (
    QContextMenuEvent,
    QGuiApplication,
    QMouseEvent,
    QTextCharFormat,
    QTextCursor,
)
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from reader.core.content import canonical_text, sanitize_html
from reader.core.types import (
    Article,
    ArticleDetail,
    ArticleId,
    ArticleText,
    FeedId,
    Highlight,
    HighlightId,
    TextId,
    TextSource,
)
from reader.gui.panes.reading_view import HIGHLIGHT_ID_PROPERTY, ReadingView
from reader.gui.resources import DARK, LIGHT
from reader.gui.widgets.highlight_menu import highlight_palette
from tests.gui.conftest import QT_NOISE, OpenedUrls

# Menus pop up as real windows; the offscreen platform says it cannot raise or grab for them.
# (A test's own mark wins over the module's, hence one mark used on each menu test.)
menus_pop_up = pytest.mark.qt_log_ignore(
    *QT_NOISE, "This plugin does not support raise", "This plugin does not support grabbing"
)

NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
TEXT_ID = TextId(7)

ARTICLE = (
    "<p>Ocean currents are driven by wind, by differences in water density, and by the "
    "rotation of the Earth.</p>"
    "<p>The Gulf Stream carries more water than all the world's rivers combined, about "
    "thirty million cubic metres per second.</p>"
    "<p>When the currents slow, <a href='https://example.org/amoc'>regional climates</a> can "
    "change within decades.</p>"
)


def detail_for(html: str, *, article_id: int = 1, text_id: TextId = TEXT_ID) -> ArticleDetail:
    html = sanitize_html(html, "https://example.org/")
    article = Article(
        id=ArticleId(article_id),
        feed_id=FeedId(1),
        feed_title="Science Feed",
        title="Ocean currents",
        link="https://example.org/a",
        author="Ann",
        published=NOW,
        updated=None,
        added=NOW,
        read=False,
        starred=False,
        sort_at=NOW,
    )
    text = ArticleText(
        id=text_id,
        article_id=ArticleId(article_id),
        source=TextSource.FEED,
        html=html,
        text=canonical_text(html),
        text_sha256="",
        canon_version=1,
        extractor=None,
        extractor_version=None,
        created_at=NOW,
    )
    return ArticleDetail(article, text)


def canonical(view: ReadingView) -> str:
    assert view.detail is not None and view.detail.text is not None
    return view.detail.text.text


def make_highlight(
    view: ReadingView,
    hid: int,
    quote: str,
    *,
    color: str = "yellow",
    anchor: str = "exact",
    note: str | None = None,
    text_id: TextId = TEXT_ID,
    deleted: bool = False,
) -> Highlight:
    text = canonical(view)
    start = text.index(quote)
    return Highlight(
        id=HighlightId(hid),
        article_id=ArticleId(1),
        quote=quote,
        prefix=text[max(0, start - 64) : start],
        suffix=text[start + len(quote) : start + len(quote) + 64],
        start=start,
        end=start + len(quote),
        color=color,
        note=note,
        tags=(),
        anchor=anchor,
        created_at=NOW,
        updated_at=NOW,
        text_id=text_id,
        deleted_at=NOW if deleted else None,
    )


@pytest.fixture
def opened() -> OpenedUrls:
    return OpenedUrls()


@pytest.fixture
def view(qtbot: QtBot, tmp_path: Path, opened: OpenedUrls) -> Iterator[ReadingView]:
    widget = ReadingView(tmp_path / "library.gloss", LIGHT, 16, open_url=opened)
    qtbot.addWidget(widget)
    widget.resize(820, 620)
    widget.show()
    qtbot.waitExposed(widget)
    widget.show_article(detail_for(ARTICLE))
    yield widget


def painted_text(view: ReadingView) -> dict[int, str]:
    """Highlight id → the text its extra selection covers, as Qt reports it."""
    result = {}
    for selection in view.extraSelections():
        hid = selection.format.property(HIGHLIGHT_ID_PROPERTY)
        if hid is not None:
            result[int(hid)] = selection.cursor.selectedText()
    return result


def formats(view: ReadingView) -> dict[int, QTextCharFormat]:
    return {
        int(s.format.property(HIGHLIGHT_ID_PROPERTY)): QTextCharFormat(s.format)
        for s in view.extraSelections()
        if s.format.property(HIGHLIGHT_ID_PROPERTY) is not None
    }


def select(view: ReadingView, words: str, occurrence: int = 1) -> None:
    """Select text as a user would see it, by its position in the document."""
    document = view.document()
    cursor = QTextCursor(document)
    for _ in range(occurrence):
        cursor = document.find(words, cursor)
    assert not cursor.isNull(), words
    view.setTextCursor(cursor)


def point_at(view: ReadingView, position: int) -> QPoint:
    """The middle of the character at ``position``, in viewport coordinates."""
    before, after = QTextCursor(view.document()), QTextCursor(view.document())
    before.setPosition(position)
    after.setPosition(position + 1)
    left, right = view.cursorRect(before), view.cursorRect(after)
    return QPoint((left.left() + right.left()) // 2, left.center().y())


def double_click(qtbot: QtBot, view: ReadingView, position: int) -> None:
    """The events a real double click sends: press, release, double click, release."""
    where, left = point_at(view, position), Qt.MouseButton.LeftButton
    qtbot.mousePress(view.viewport(), left, pos=where)
    qtbot.mouseRelease(view.viewport(), left, pos=where)
    qtbot.mouseDClick(view.viewport(), left, pos=where)
    qtbot.mouseRelease(view.viewport(), left, pos=where)


def caret_point(view: ReadingView, position: int) -> QPoint:
    cursor = QTextCursor(view.document())
    cursor.setPosition(position)
    return view.cursorRect(cursor).center()


def drag(qtbot: QtBot, view: ReadingView, start: int, end: int) -> None:
    """Press at one cursor position, move with the button held, release at another."""
    a, b, left = caret_point(view, start), caret_point(view, end), Qt.MouseButton.LeftButton
    qtbot.mousePress(view.viewport(), left, pos=a)
    move = QMouseEvent(
        QEvent.Type.MouseMove,
        QPointF(b),
        QPointF(view.viewport().mapToGlobal(b)),
        Qt.MouseButton.NoButton,
        left,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(view.viewport(), move)
    qtbot.mouseRelease(view.viewport(), left, pos=b)


def position_of(view: ReadingView, words: str) -> int:
    cursor = view.document().find(words)
    assert not cursor.isNull()
    return cursor.selectionStart()


# ---- painting ---------------------------------------------------------------------------


def test_astral_characters_before_and_inside_a_highlight_t16(view: ReadingView) -> None:
    view.show_article(
        detail_for(
            "<p>Party 🎉🎉 and 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 👩‍👩‍👧 first.</p>"
            "<p>Then a quote with 𝔘𝔫𝔦 and 🎉 inside it.</p>"
        )
    )
    view.set_highlights([make_highlight(view, 1, "quote with 𝔘𝔫𝔦 and 🎉 inside")])
    assert painted_text(view) == {1: "quote with 𝔘𝔫𝔦 and 🎉 inside"}


def test_images_tables_and_lists_before_a_highlight_t17(view: ReadingView) -> None:
    view.show_article(
        detail_for(
            "<p>Intro <img src='https://example.org/a.png' width='40' height='20'> text</p>"
            "<table><tr><th>Year</th><td>Flow</td></tr><tr><td>2020</td><td>31 Sv</td></tr>"
            "</table><ul><li>one</li><li>two<ol><li>nested</li></ol></li></ul>"
            "<p>After all that, the quoted words.</p>"
        )
    )
    view.set_highlights([make_highlight(view, 1, "the quoted words")])
    assert painted_text(view) == {1: "the quoted words"}


def test_a_highlight_across_paragraphs_and_an_image(view: ReadingView) -> None:
    view.show_article(
        detail_for(
            "<p>First ends here.</p><p>Second <img src='https://example.org/b.png'> goes</p>"
        )
    )
    view.set_highlights([make_highlight(view, 1, "ends here.\n\nSecond goes")])
    shown = painted_text(view)[1]
    assert shown == "ends here.\u2029Second \ufffc goes"
    assert shown.replace("\u2029", "\n\n").replace(" \ufffc", "") == "ends here.\n\nSecond goes"


def test_only_live_placed_highlights_of_this_text_are_painted(view: ReadingView) -> None:
    view.set_highlights(
        [
            make_highlight(view, 1, "driven by wind"),
            make_highlight(view, 2, "Gulf Stream", anchor="orphan"),
            make_highlight(view, 3, "thirty million", text_id=TextId(99)),
            make_highlight(view, 4, "rotation of the Earth", deleted=True),
        ]
    )
    assert painted_text(view) == {1: "driven by wind"}
    assert [p.highlight.id for p in view.painted] == [1]


def test_colours_follow_the_theme_and_survive_rerendering(view: ReadingView) -> None:
    view.set_highlights(
        [make_highlight(view, 1, "driven by wind", color="green"), make_highlight(view, 2, "Gulf")]
    )
    light = formats(view)[1].background().color()
    assert light == highlight_palette(LIGHT)["green"].fill
    view.set_theme(DARK)
    assert painted_text(view) == {1: "driven by wind", 2: "Gulf"}
    dark = formats(view)[1].background().color()
    assert dark == highlight_palette(DARK)["green"].fill and dark != light
    view.set_font_size(20)
    assert painted_text(view) == {1: "driven by wind", 2: "Gulf"}


def test_highlights_that_need_review_are_marked(view: ReadingView) -> None:
    view.set_highlights(
        [
            make_highlight(view, 1, "driven by wind", anchor="fuzzy"),
            make_highlight(view, 2, "Gulf Stream", anchor="ambiguous"),
            make_highlight(view, 3, "thirty million", anchor="relocated"),
        ]
    )
    styles = {hid: fmt.underlineStyle() for hid, fmt in formats(view).items()}
    dashed = QTextCharFormat.UnderlineStyle.DashUnderline
    assert styles[1] == dashed and styles[2] == dashed
    assert styles[3] == QTextCharFormat.UnderlineStyle.NoUnderline


def test_showing_another_article_paints_only_its_own_highlights(view: ReadingView) -> None:
    view.set_highlights([make_highlight(view, 1, "driven by wind")])
    view.show_article(detail_for("<p>Something else entirely.</p>", text_id=TextId(8)))
    assert painted_text(view) == {}
    view.show_placeholder("Nothing selected")
    assert view.extraSelections() == [] and view.selection_span() is None


# ---- creating ---------------------------------------------------------------------------


def test_a_selection_maps_to_canonical_offsets(view: ReadingView) -> None:
    select(view, "by differences in water density")
    span = view.selection_span()
    assert span is not None
    assert canonical(view)[span[0] : span[1]] == "by differences in water density"


def test_h_asks_for_a_highlight_of_the_selection(view: ReadingView, qtbot: QtBot) -> None:
    select(view, "more water than all the world's rivers")
    with qtbot.waitSignal(view.highlight_requested) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_H)
    start, end, color = blocker.args
    assert canonical(view)[start:end] == "more water than all the world's rivers"
    assert color == "yellow"
    assert not view.textCursor().hasSelection()


def test_selecting_the_header_or_blank_space_highlights_nothing(
    view: ReadingView, qtbot: QtBot
) -> None:
    requested: list[tuple[int, int, str]] = []
    view.highlight_requested.connect(lambda *args: requested.append(args))
    select(view, "Ocean currents")  # the title (the body's first words come later)
    assert view.selection_span() is None
    with qtbot.waitSignal(view.status_message) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_H)
    assert "article's text" in blocker.args[0]
    cursor = view.textCursor()
    cursor.clearSelection()
    view.setTextCursor(cursor)
    with qtbot.waitSignal(view.status_message):
        qtbot.keyClick(view, Qt.Key.Key_H)
    assert requested == []


def test_a_selection_starting_in_the_title_is_clamped_to_the_body(view: ReadingView) -> None:
    cursor = QTextCursor(view.document())
    cursor.setPosition(position_of(view, "Ocean currents"))  # the title
    cursor.setPosition(position_of(view, " are driven"), QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    assert view.selection_span() == (0, len("Ocean currents"))


def test_releasing_a_selection_shows_the_toolbar_and_a_swatch_highlights(
    view: ReadingView, qtbot: QtBot
) -> None:
    start = position_of(view, "Gulf Stream")
    drag(qtbot, view, start, start + len("Gulf Stream"))
    assert view.textCursor().selectedText() == "Gulf Stream"
    assert view.toolbar.isVisible()
    assert view.toolbar.geometry().bottom() < view.cursorRect().top()  # above the words
    with qtbot.waitSignal(view.highlight_requested) as blocker:
        qtbot.mouseClick(view.toolbar.color_buttons["green"], Qt.MouseButton.LeftButton)
    first, last, color = blocker.args
    assert canonical(view)[first:last] == "Gulf Stream" and color == "green"
    assert not view.toolbar.isVisible()
    assert not isinstance(QApplication.focusWidget(), type(view.toolbar.note_button))
    # the colour chosen last is what h uses next
    select(view, "thirty million")
    with qtbot.waitSignal(view.highlight_requested) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_H)
    assert blocker.args[2] == "green"


def test_the_toolbar_note_button_asks_for_a_note(view: ReadingView, qtbot: QtBot) -> None:
    double_click(qtbot, view, position_of(view, "rivers") + 1)
    assert view.toolbar.isVisible()
    with qtbot.waitSignal(view.highlight_with_note_requested) as blocker:
        qtbot.mouseClick(view.toolbar.note_button, Qt.MouseButton.LeftButton)
    assert canonical(view)[blocker.args[0] : blocker.args[1]] == "rivers"


def test_escape_and_scrolling_hide_the_toolbar(view: ReadingView, qtbot: QtBot) -> None:
    where = position_of(view, "density") + 1
    double_click(qtbot, view, where)
    assert view.toolbar.isVisible()
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert not view.toolbar.isVisible() and not view.textCursor().hasSelection()
    double_click(qtbot, view, where)
    assert view.toolbar.isVisible()
    view.resize(820, 200)
    view.verticalScrollBar().setValue(40)
    assert not view.toolbar.isVisible()


@menus_pop_up
def test_the_context_menu_offers_highlight_colours_with_labels(
    view: ReadingView, qtbot: QtBot
) -> None:
    view.set_color_labels({"yellow": "Important", "blue": "Question"})
    select(view, "thirty million cubic metres")
    where = point_at(view, position_of(view, "million"))
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, where, view.viewport().mapToGlobal(where)
    )
    QApplication.sendEvent(view.viewport(), event)
    menu = view.open_menu
    assert menu is not None
    texts = [a.text() for a in menu.actions()]
    assert texts[0] == "Highlight" and "Highlight with Note…" in texts
    submenu = menu.findChild(QMenu, "highlight_colors")
    assert submenu is not None
    assert [a.text() for a in submenu.actions()] == [
        "Important",
        "Green",
        "Question",
        "Pink",
        "Purple",
    ]
    with qtbot.waitSignal(view.highlight_requested) as blocker:
        submenu.actions()[2].trigger()
    first, last, color = blocker.args
    assert canonical(view)[first:last] == "thirty million cubic metres" and color == "blue"
    menu.close()


# ---- a painted highlight's menu ---------------------------------------------------------


def click_highlight(view: ReadingView, qtbot: QtBot, words: str) -> QMenu:
    qtbot.mouseClick(
        view.viewport(), Qt.MouseButton.LeftButton, pos=point_at(view, position_of(view, words))
    )
    menu = view.open_menu
    assert menu is not None
    return menu


def action(menu: QMenu, name: str) -> object:
    found = next((a for a in menu.actions() if a.objectName() == name), None)
    assert found is not None, name
    return found


@menus_pop_up
def test_clicking_a_highlight_opens_its_menu(view: ReadingView, qtbot: QtBot) -> None:
    view.set_color_labels({"pink": "Disagree"})
    view.set_highlights([make_highlight(view, 5, "Gulf Stream carries", color="green")])
    menu = click_highlight(view, qtbot, "Stream")
    colours = [a for a in menu.actions() if a.objectName().startswith("highlight_color_")]
    assert [a.text() for a in colours][3] == "Disagree"
    assert [a.isChecked() for a in colours] == [False, True, False, False, False]
    assert action(menu, "highlight_note").text() == "Add Note…"  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.color_change_requested) as blocker:
        colours[3].trigger()
    assert blocker.args == [5, "pink"]
    menu.close()


@menus_pop_up
def test_the_highlight_menu_edits_copies_and_deletes(view: ReadingView, qtbot: QtBot) -> None:
    view.set_highlights([make_highlight(view, 6, "rotation of the Earth", note="Coriolis")])
    menu = click_highlight(view, qtbot, "Earth")
    note = action(menu, "highlight_note")
    assert note.text() == "Edit Note…"  # type: ignore[attr-defined]
    with qtbot.waitSignal(view.note_edit_requested) as blocker:
        note.trigger()  # type: ignore[attr-defined]
    assert blocker.args == [6]
    menu = click_highlight(view, qtbot, "rotation")
    action(menu, "highlight_copy").trigger()  # type: ignore[attr-defined]
    assert QGuiApplication.clipboard().text() == "rotation of the Earth"
    menu = click_highlight(view, qtbot, "rotation")
    with qtbot.waitSignal(view.delete_requested) as blocker:
        action(menu, "highlight_delete").trigger()  # type: ignore[attr-defined]
    assert blocker.args == [6]


@menus_pop_up
def test_clicking_plain_text_opens_no_menu(view: ReadingView, qtbot: QtBot) -> None:
    view.set_highlights([make_highlight(view, 1, "Gulf Stream")])
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=point_at(view, position_of(view, "carries more")),
    )
    assert view.open_menu is None


@menus_pop_up
def test_a_link_inside_a_highlight_still_opens(
    view: ReadingView, qtbot: QtBot, opened: OpenedUrls
) -> None:
    view.set_highlights([make_highlight(view, 1, "slow, regional climates can")])
    qtbot.mouseClick(
        view.viewport(),
        Qt.MouseButton.LeftButton,
        pos=point_at(view, position_of(view, "climates")),
    )
    assert opened == ["https://example.org/amoc"]
    assert view.open_menu is None


# ---- re-attaching and jumping -------------------------------------------------------------


def test_reattach_mode_turns_the_next_selection_into_the_new_place(
    view: ReadingView, qtbot: QtBot
) -> None:
    view.set_highlights([make_highlight(view, 9, "Gulf Stream", anchor="fuzzy")])
    view.begin_reattach(9)
    assert view.reattaching == 9
    double_click(qtbot, view, position_of(view, "wind") + 1)
    assert view.toolbar.attach_button.isVisible()
    assert not view.toolbar.color_buttons["yellow"].isVisible()
    with qtbot.waitSignal(view.reattach_requested) as blocker:
        qtbot.mouseClick(view.toolbar.attach_button, Qt.MouseButton.LeftButton)
    hid, first, last = blocker.args
    assert hid == 9 and canonical(view)[first:last] == "wind"
    assert view.reattaching is None


def test_escape_cancels_reattaching(view: ReadingView, qtbot: QtBot) -> None:
    view.begin_reattach(9)
    select(view, "density")
    view._show_toolbar(None)
    with qtbot.waitSignal(view.reattach_cancelled) as blocker:
        qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert blocker.args == [9] and view.reattaching is None
    select(view, "density")
    with qtbot.waitSignal(view.highlight_requested):
        view.highlight_selection()


@menus_pop_up
def test_the_menu_of_a_moved_highlight_offers_to_reattach_it(
    view: ReadingView, qtbot: QtBot
) -> None:
    view.set_highlights([make_highlight(view, 4, "Gulf Stream", anchor="ambiguous")])
    menu = click_highlight(view, qtbot, "Gulf")
    action(menu, "highlight_reattach").trigger()  # type: ignore[attr-defined]
    assert view.reattaching == 4


def test_scroll_to_highlight_brings_it_into_view_and_flashes_it(
    view: ReadingView, qtbot: QtBot
) -> None:
    filler = "".join(f"<p>Paragraph {i} of filler text to scroll past.</p>" for i in range(80))
    view.show_article(detail_for(filler + "<p>The passage far below.</p>" + filler))
    view.set_highlights([make_highlight(view, 3, "passage far below")])
    assert view.verticalScrollBar().value() == 0
    assert view.scroll_to_highlight(3)
    cursor = QTextCursor(view.document())
    cursor.setPosition(view.painted[0].start)
    top = view.cursorRect(cursor).top()
    assert 0 < top < view.viewport().height() // 2
    assert len(view.extraSelections()) == 2  # the highlight and its flash
    qtbot.waitUntil(lambda: len(view.extraSelections()) == 1, timeout=5000)
    assert not view.scroll_to_highlight(99)
