"""The reading view offline: missing images shown as their alt text (never fetched), the text
source bar with its actions and offline status, related articles, and highlights that still
land on the right words with all of that around the body.

Real ReadingView widgets offscreen; image URLs point at a real server on 127.0.0.1 that would
answer with a real PNG, so a request would be seen.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt, QUrl
from PySide6.QtGui import QColor, QImage, QTextCursor, QTextDocument
from PySide6.QtWidgets import QTextBrowser
from pytestqt.qtbot import QtBot

from reader.core.content import sanitize_html
from reader.core.image_cache import store_image
from reader.core.types import (
    ArticleDetail,
    ArticleId,
    OfflineStatus,
    RelatedArticle,
    TextSource,
    WorkState,
)
from reader.gui.panes.reading_view import ReadingView
from reader.gui.resources import DARK, LIGHT
from tests.gui.conftest import OpenedUrls
from tests.gui.test_highlighting import ARTICLE, detail_for, make_highlight, painted_text, select
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png

IMAGE = QTextDocument.ResourceType.ImageResource.value
NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
ALT = "Diagram of the refresh pipeline"
DIAGRAM = "/pipeline%7Ediagram.png?v=1&amp;w=2"  # Qt spells it /pipeline~diagram.png?v=1&w=2
LONG_ALT = (
    "Bar chart: median fetch time per host, with the three slowest hosts marked in red and a "
    "dashed line at the two-second timeout"
)


@pytest.fixture
def opened() -> OpenedUrls:
    return OpenedUrls()


@pytest.fixture
def view(qtbot: QtBot, tmp_path: Path, opened: OpenedUrls) -> Iterator[ReadingView]:
    widget = ReadingView(tmp_path / "library.gloss", LIGHT, 16, open_url=opened)
    qtbot.addWidget(widget)
    widget.resize(860, 700)
    widget.show()
    qtbot.waitExposed(widget)
    yield widget


def with_images(server: ScriptedServer, cached: str = "") -> str:
    """An article whose images are not downloaded: one described, one not, one in the cache.

    ``cached`` is put in after sanitizing, as the offline run rewrites a stored version."""
    for name in ("diagram.png", "chart.png", "pixel.png"):
        server.routes[f"/{name}"] = Route(200, png(64, 48), {"Content-Type": "image/png"})
    body = sanitize_html(
        "<p>The refresh pipeline runs in three stages.</p>"
        f"<p><img src='{server.url(DIAGRAM)}' alt='{ALT}' width='640' height='400'></p>"
        "<p>Feeds that only carry a summary get their page fetched.</p>"
        f"<p><img src='{server.url('/chart.png')}' alt='{LONG_ALT}' width='900'></p>"
        f"<p><img src='{server.url('/pixel.png')}' width='1' height='1'>"
        "<img src='https://example.org/CACHED'></p>"
        "<p>Images are downloaded too, and the stored HTML points at the cache.</p>",
        "https://example.org/",
    )
    return body.replace("https://example.org/CACHED", cached)


def image_formats(view: ReadingView) -> dict[str, tuple[int, float]]:
    """Image name -> (cursor position, laid-out height) for every image in the document."""
    found: dict[str, tuple[int, float]] = {}
    layout = view.document().documentLayout()
    block = view.document().begin()
    while block.isValid():
        iterator = block.begin()
        while not iterator.atEnd():
            fragment = iterator.fragment()
            if fragment.charFormat().isImageFormat():
                name = QUrl(fragment.charFormat().toImageFormat().name()).toString()
                found[name] = (fragment.position(), layout.blockBoundingRect(block).height())
            iterator += 1
        block = block.next()
    return found


def logical_width(image: QImage) -> float:
    return image.width() / image.devicePixelRatio()


def has_colour(image: QImage, colour: str, tolerance: int = 12) -> bool:
    want = QColor(colour)
    for y in range(image.height()):
        for x in range(image.width()):
            got = image.pixelColor(x, y)
            if (
                abs(got.red() - want.red()) <= tolerance
                and abs(got.green() - want.green()) <= tolerance
                and abs(got.blue() - want.blue()) <= tolerance
            ):
                return True
    return False


# ---- missing images ---------------------------------------------------------------------------


def test_missing_images_show_their_alt_text_and_are_never_requested(
    qtbot: QtBot, view: ReadingView, http_server: ScriptedServer
) -> None:
    cached = store_image(view._library_path, png(3000, 60), content_type_or_ext="image/png")
    view.show_article(detail_for(with_images(http_server, cached)))
    view.grab()
    qtbot.wait(200)
    assert http_server.requests == []

    diagram = http_server.url("/pipeline~diagram.png?v=1&w=2")
    chart = http_server.url("/chart.png")
    assert view.placeholder_urls == {diagram, chart}  # no alt: nothing to show, no placeholder
    small, large = view.loadResource(IMAGE, QUrl(diagram)), view.loadResource(IMAGE, QUrl(chart))
    assert isinstance(small, QImage) and isinstance(large, QImage)
    text_width = view.fontMetrics().horizontalAdvance(ALT) * 0.8  # drawn at the small size
    assert text_width < logical_width(small) < view.content_width()  # as wide as its text
    assert logical_width(large) <= view.content_width() and large.height() > small.height()
    assert has_colour(small, LIGHT.muted, tolerance=40) and has_colour(small, LIGHT.border)
    blank = view.loadResource(IMAGE, QUrl(http_server.url("/pixel.png")))
    assert isinstance(blank, QImage) and blank.width() == 1

    # the missing image's width/height attributes do not stretch the label into a 640×400 hole
    images = image_formats(view)
    assert images[diagram][1] < 80
    # a cached image still loads, scaled down to the column
    shown = view.loadResource(IMAGE, QUrl(cached))
    assert isinstance(shown, QImage) and 0 < shown.width() <= view.content_width()
    # every image is still one object character: the text reads the same as without them
    assert view.toPlainText().count("\ufffc") == 4


def test_a_cached_image_whose_file_is_gone_shows_its_alt_text(view: ReadingView) -> None:
    lost = "cache:" + "c" * 64 + ".png"  # stored once, then the file was deleted by hand
    body = f"<p>Before.</p><p><img src='https://example.org/LOST' alt='{ALT}'></p><p>After.</p>"
    detail = detail_for(body)  # sanitized as stored, then pointed at the cache (offline run)
    assert detail.text is not None
    text = dataclasses.replace(
        detail.text, html=detail.text.html.replace("https://example.org/LOST", lost)
    )
    view.show_article(dataclasses.replace(detail, text=text))
    view.grab()
    assert view.placeholder_urls == {lost}
    image = view.loadResource(IMAGE, QUrl(lost))
    assert isinstance(image, QImage) and image.width() > 1


def test_placeholders_are_redrawn_in_the_new_theme_and_narrower_column(
    qtbot: QtBot, view: ReadingView, http_server: ScriptedServer
) -> None:
    view.show_article(detail_for(with_images(http_server)))
    diagram = QUrl(http_server.url("/pipeline~diagram.png?v=1&w=2"))
    light = view.loadResource(IMAGE, diagram)
    assert isinstance(light, QImage) and has_colour(light, LIGHT.alt_base, tolerance=2)
    view.set_theme(DARK)
    dark = view.loadResource(IMAGE, diagram)
    assert isinstance(dark, QImage) and has_colour(dark, DARK.alt_base, tolerance=2)
    assert not has_colour(dark, LIGHT.alt_base, tolerance=2)

    chart = http_server.url("/chart.png")
    view.resize(420, 700)
    view.grab()
    narrow = view.document().resource(IMAGE, QUrl(chart))
    assert isinstance(narrow, QImage) and logical_width(narrow) <= view.content_width()
    assert http_server.requests == []


def test_highlights_after_missing_images_paint_their_own_words(
    view: ReadingView, http_server: ScriptedServer
) -> None:
    view.show_article(detail_for(with_images(http_server)))
    quotes = {1: "three stages", 2: "only carry a summary", 3: "points at the cache"}
    view.set_highlights([make_highlight(view, hid, quote) for hid, quote in quotes.items()])
    assert painted_text(view) == quotes


# ---- the text source bar ----------------------------------------------------------------------


def bar_detail(**changes: object) -> ArticleDetail:
    detail = detail_for(ARTICLE)
    return dataclasses.replace(detail, **changes)  # type: ignore[arg-type]


def fulltext(detail: ArticleDetail) -> ArticleDetail:
    assert detail.text is not None
    text = dataclasses.replace(detail.text, source=TextSource.FULLTEXT)
    return dataclasses.replace(detail, text=text, sources=(TextSource.FULLTEXT, TextSource.FEED))


def words(view: ReadingView) -> str:
    """The document's text as read, spacing folded (the bar separates with no-break spaces)."""
    return " ".join(view.toPlainText().split())


def link_point(view: QTextBrowser, label: str) -> QPoint:
    """The middle of the link whose text is ``label``, in viewport coordinates."""
    cursor = view.document().find(label)
    assert not cursor.isNull(), label
    start = QTextCursor(view.document())
    start.setPosition(cursor.selectionStart() + 2)
    rect = view.cursorRect(start)
    assert view.anchorAt(rect.center()), label
    return rect.center()


def click_link(qtbot: QtBot, view: ReadingView, label: str) -> None:
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=link_point(view, label))


def test_full_text_bar_switches_source_and_fetches_again(
    qtbot: QtBot, view: ReadingView, opened: OpenedUrls
) -> None:
    view.show_article(fulltext(bar_detail()))
    text = view.toPlainText()
    assert "Full text from example.org · Show the feed's text · Fetch the full text again" in (
        words(view)
    )
    assert text.index("Full text from") < text.index("Ocean currents are driven")
    refused: list[str] = []
    view.link_refused.connect(refused.append)
    with qtbot.waitSignal(view.text_source_requested) as source:
        click_link(qtbot, view, "Show the feed's text")
    assert source.args == ["feed"]
    with qtbot.waitSignal(view.refetch_requested):
        click_link(qtbot, view, "Fetch the full text again")
    assert opened == [] and refused == []  # internal links never reach the system


def test_feed_text_bar_offers_the_full_text(qtbot: QtBot, view: ReadingView) -> None:
    view.show_article(bar_detail(sources=(TextSource.FEED, TextSource.FULLTEXT)))
    assert "Feed text · Show the full text · Fetch the full text again" in words(view)
    with qtbot.waitSignal(view.text_source_requested) as source:
        click_link(qtbot, view, "Show the full text")
    assert source.args == ["fulltext"]


def test_no_bar_when_there_is_one_text_and_nothing_missing(view: ReadingView) -> None:
    view.show_article(bar_detail(sources=(TextSource.FEED,)))
    text = view.toPlainText()
    assert "Feed text" not in text and "Fetch" not in text and "not downloaded" not in text


def test_bar_says_what_offline_work_is_missing(qtbot: QtBot, view: ReadingView) -> None:
    offline = OfflineStatus(
        fulltext=WorkState.FAILED,
        fulltext_error="The server answered 503 Service Unavailable.",
        fulltext_retry_at=NOW,
        images=WorkState.PENDING,
        images_error=None,
        images_stored=1,
        images_missing=3,
    )
    view.show_article(bar_detail(sources=(TextSource.FEED,), offline=offline))
    text = view.toPlainText()
    assert (
        "Full text could not be fetched: The server answered 503 Service Unavailable — "
        "Gloss will try again" in text
    )
    assert "3 images are not downloaded yet" in text
    with qtbot.waitSignal(view.refetch_requested):
        click_link(qtbot, view, "Try again now")

    one = dataclasses.replace(offline, fulltext=WorkState.DONE, images_missing=1)
    view.show_article(bar_detail(sources=(TextSource.FEED,), offline=one))
    assert "1 image is not downloaded yet" in view.toPlainText()
    assert "Full text could not" not in view.toPlainText()

    # Reading the page again failed, but the full text stored before is what is shown.
    view.show_article(fulltext(bar_detail(offline=offline)))
    text = view.toPlainText()
    assert "The page could not be read again: The server answered 503" in text
    assert "Full text could not be fetched" not in text


def test_bar_links_work_from_the_keyboard(qtbot: QtBot, view: ReadingView) -> None:
    view.show_article(fulltext(bar_detail()))
    view.setFocus()
    # the header's web link comes first, then the bar's actions
    for _ in range(2):
        qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert view.textCursor().selectedText() == "Show the feed's text"
    with qtbot.waitSignal(view.text_source_requested) as source:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert source.args == ["feed"]


def test_internal_links_show_no_address_on_hover(view: ReadingView) -> None:
    view.show_article(fulltext(bar_detail()))
    view.highlighted.emit(QUrl("gloss-action:refetch"))
    assert view.toolTip() == ""
    view.highlighted.emit(QUrl("https://example.org/a"))
    assert view.toolTip() == "https://example.org/a"


# ---- related articles -------------------------------------------------------------------------

RELATED = (
    RelatedArticle(ArticleId(5), "Why trains still have no Wi-Fi"),
    RelatedArticle(ArticleId(6), "can change within decades"),  # the body's last words again
)


def test_related_articles_follow_the_body_and_open_by_id(
    qtbot: QtBot, view: ReadingView, opened: OpenedUrls
) -> None:
    view.show_article(bar_detail(related=RELATED))
    text = view.toPlainText()
    assert text.index("climates can change within decades.") < text.index(
        "Related, saved separately"
    )
    assert text.index("Related, saved separately") < text.index("Why trains still have no Wi-Fi")
    with qtbot.waitSignal(view.related_article_requested) as related:
        click_link(qtbot, view, "Why trains still have no Wi-Fi")
    assert related.args == [5] and opened == []


def test_highlights_land_on_their_words_with_bar_and_related_list(view: ReadingView) -> None:
    offline = OfflineStatus(WorkState.DONE, None, None, WorkState.PENDING, None, 0, 2)
    detail = fulltext(bar_detail(related=RELATED, offline=offline))
    view.show_article(detail)
    quotes = {
        1: "Ocean currents",  # the first words of the body, right after the bar
        2: "Gulf Stream",
        3: "can change within decades",  # also a related title: must paint in the body
    }
    view.set_highlights([make_highlight(view, hid, quote) for hid, quote in quotes.items()])
    assert painted_text(view) == quotes
    body_end = view.toPlainText().index("Related, saved separately")
    assert all(item.end <= body_end for item in view.painted)

    select(view, "Gulf Stream carries")
    span = view.selection_span()
    assert span is not None and view.detail is not None and view.detail.text is not None
    assert view.detail.text.text[span[0] : span[1]] == "Gulf Stream carries"
    for outside in ("Show the feed's text", "2 images are not downloaded", "Why trains still"):
        select(view, outside)
        assert view.selection_span() is None, outside


# ---- updates in the background ----------------------------------------------------------------


def long_detail(paragraphs: int, *, article_id: int = 1, extra: str = "") -> ArticleDetail:
    body = "".join(
        f"<p>Paragraph {n} of a long article about ocean currents and climate.</p>"
        for n in range(paragraphs)
    )
    return detail_for(body + extra, article_id=article_id)


def test_an_update_of_the_open_article_keeps_the_reading_position(
    qtbot: QtBot, view: ReadingView, http_server: ScriptedServer
) -> None:
    view.show_article(long_detail(120))
    bar = view.verticalScrollBar()
    select(view, "Paragraph 40 of")  # scrolls there
    position = bar.value()
    assert 0 < position < bar.maximum() and view.textCursor().hasSelection()

    updated = long_detail(120, extra=f"<p><img src='{http_server.url('/x.png')}' alt='A map'></p>")
    view.show_article(updated, keep_scroll=True)
    assert bar.value() == position
    assert not view.textCursor().hasSelection()
    view.set_highlights([make_highlight(view, 1, "Paragraph 41 of")])
    assert painted_text(view) == {1: "Paragraph 41 of"}
    assert view.placeholder_urls == {http_server.url("/x.png")}

    view.show_article(updated)  # opened again: from the top
    assert bar.value() == 0
    bar.setValue(position)
    view.show_article(long_detail(120, article_id=2), keep_scroll=True)  # another article
    assert bar.value() == 0
