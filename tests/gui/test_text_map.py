"""Canonical offsets ↔ QTextDocument cursor positions (reliability.md §5.2, T16, T17).

Documents are real QTextDocuments filled with the same HTML the reading view shows (a header,
then the sanitized body), so every Qt rule about positions — UTF-16 units, U+FFFC for images,
block separators, table-cell frame markers — is exercised as it is on screen.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QTextCursor, QTextDocument

from reader.core.content import canonical_text, sanitize_html
from reader.gui.resources import LIGHT, article_stylesheet
from reader.gui.text_map import TextMap, visible

pytestmark = pytest.mark.usefixtures("qapp")  # fonts and layout need a QGuiApplication

HEADER = "<p class='gloss-feed'>Feed</p><h1>A title</h1><p class='gloss-meta'>Ann · Nov 1</p>"


def document_for(body: str) -> QTextDocument:
    """Styled as the reading view styles it (Qt warns about fonts on an unstyled document)."""
    document = QTextDocument()
    document.setDefaultStyleSheet(article_stylesheet(LIGHT, 16))
    font = document.defaultFont()
    font.setPixelSize(16)
    document.setDefaultFont(font)
    document.setHtml(f"<html><body>{HEADER}{body}</body></html>")
    return document


def selected(document: QTextDocument, span: tuple[int, int]) -> str:
    cursor = QTextCursor(document)
    cursor.setPosition(span[0])
    cursor.setPosition(span[1], QTextCursor.MoveMode.KeepAnchor)
    return cursor.selectedText()


def raw_slice(document: QTextDocument, span: tuple[int, int]) -> str:
    """The document's text between two cursor positions (UTF-16 units, like the positions).

    Unlike a cursor's selection, this does not grow to whole cells when it crosses a table cell.
    """
    units = document.toRawText().encode("utf-16-le", "surrogatepass")
    return units[2 * span[0] : 2 * span[1]].decode("utf-16-le", "surrogatepass")


def shown_as_canonical(text: str) -> str:
    """What a cursor selection reads as, in canonical form: breaks and images as spacing."""
    text = text.replace("\u2029", "\n\n").replace("\u2028", "\n").replace("\ufffc", "")
    return unicodedata.normalize("NFC", text.replace("\u00ad", ""))


def span_of(canonical: str, quote: str, occurrence: int = 1) -> tuple[int, int]:
    start = -1
    for _ in range(occurrence):
        start = canonical.index(quote, start + 1)
    return start, start + len(quote)


def placed(body: str, quote: str, occurrence: int = 1) -> tuple[QTextDocument, TextMap, str]:
    html = sanitize_html(body, "https://example.org/")
    canonical = canonical_text(html)
    document = document_for(html)
    text_map = TextMap.from_document(document, canonical)
    start, end = span_of(canonical, quote, occurrence)
    span = text_map.to_document(start, end)
    assert span is not None
    return document, text_map, selected(document, span)


def test_astral_characters_before_and_inside_the_quote_t16() -> None:
    body = (
        "<p>Party 🎉🎉 time 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 and 👩‍👩‍👧 more</p>"
        "<p>Then: with 𝔘𝔫𝔦 and 🎉 inside it, the end</p>"
    )
    _, text_map, text = placed(body, "with 𝔘𝔫𝔦 and 🎉 inside")
    assert text == "with 𝔘𝔫𝔦 and 🎉 inside"
    assert text_map.exact


def test_images_tables_and_lists_before_the_quote_t17() -> None:
    body = (
        "<p>Intro <img src='https://example.org/a.png'> text</p>"
        "<figure><img src='https://example.org/b.png'><figcaption>Caption</figcaption></figure>"
        "<table><tr><th>h</th><td>cell one</td></tr><tr><td></td><td>"
        "<table><tr><td>nested</td></tr></table></td></tr></table>"
        "<ul><li>one</li><li>two<ol><li>inner</li></ol></li></ul>"
        "<p>line<br>break</p><hr><pre>  code   block\n  here</pre>"
        "<p>The quote is <b>here</b> now</p>"
    )
    _, _, text = placed(body, "quote is here")
    assert text == "quote is here"


def test_a_span_across_paragraphs_and_an_image() -> None:
    body = "<p>First para ends here.</p><p>Second <img src='https://example.org/c.png'> starts</p>"
    _, _, text = placed(body, "ends here.\n\nSecond starts")
    assert text == "ends here.\u2029Second \ufffc starts"


def test_the_body_is_found_even_when_it_repeats_the_title() -> None:
    body = "<p>A title</p><p>Ann · Nov 1 said A title twice.</p>"
    html = sanitize_html(body, None)
    canonical = canonical_text(html)
    document = document_for(html)
    text_map = TextMap.from_document(document, canonical)
    span = text_map.to_document(0, len("A title"))
    assert span is not None
    body_start = text_map.body_start()
    assert body_start is not None and span[0] == body_start
    assert document.toRawText()[: span[0]].count("A title") == 1  # the header's is before it


def test_soft_hyphens_and_invisible_characters_are_skipped() -> None:
    body = (
        "<p>in\u00adcom\u00adpre\u00adhen\u00adsi\u00adble zero\u200bwidth \u202ertl\u202c end</p>"
    )
    _, _, text = placed(body, "incomprehensible zerowidth rtl")
    assert re.sub("[\u00ad\u200b\u202e]", "", text) == "incomprehensible zerowidth rtl"


def test_a_selection_maps_back_trimmed_and_clamped_to_the_body() -> None:
    html = "<p>Alpha beta gamma.</p><p>Delta.</p>"
    canonical = canonical_text(html)
    document = document_for(html)
    text_map = TextMap.from_document(document, canonical)
    raw = document.toRawText()
    beta = raw.index("beta")
    assert text_map.to_canonical(beta - 1, beta + 5) == span_of(canonical, "beta")
    assert text_map.to_canonical(beta + 4, beta - 1) == span_of(canonical, "beta")  # reversed
    title = raw.index("A title")
    assert text_map.to_canonical(title, title + 7) is None  # header only
    assert text_map.to_canonical(title, beta + 4) == (0, span_of(canonical, "beta")[1])
    assert text_map.to_canonical(beta + 4, beta + 5) is None  # a single space
    delta_end = raw.index("Delta.") + 6
    assert text_map.to_canonical(raw.index("gamma"), delta_end) == (
        canonical.index("gamma"),
        len(canonical),
    )


def test_blank_and_out_of_range_spans_are_not_placed() -> None:
    canonical = "one two"
    text_map = TextMap("Header\u2029one two", canonical)
    assert text_map.to_document(3, 4) is None  # just the space
    assert text_map.to_document(5, 5) is None
    assert text_map.to_document(4, 99) == (11, 14)
    assert TextMap("Header only", "").to_canonical(0, 6) is None


def test_text_qt_keeps_decomposed_is_mapped_through_nfc() -> None:
    body = (
        "<p>cafe\u0301 na\u0308ive \u1100\u1161\u11a8 and "
        "e<img src='https://x.org/i.png'>\u0301 q\u0307</p>"
    )
    html = sanitize_html(body, None)
    canonical = canonical_text(html)
    document = document_for(html)
    text_map = TextMap.from_document(document, canonical)
    assert not text_map.exact  # Qt shows the source's decomposed characters
    for quote in ("café", "näive 각", "각 and é", "q\u0307"):
        start, end = span_of(canonical, quote)
        span = text_map.to_document(start, end)
        assert span is not None, quote
        assert shown_as_canonical(selected(document, span)) == quote
        assert text_map.to_canonical(*span) == (start, end)


def test_a_difference_the_map_cannot_explain_is_never_painted_over() -> None:
    canonical = "The quick brown fox jumps over the CAT lazy dog and runs far away from here"
    shown = (
        "Title\u2029The quick brown fox jumps over\u2029the lazy dog and runs far away from here"
    )
    text_map = TextMap(shown, canonical)
    assert not text_map.exact
    assert text_map.to_document(*span_of(canonical, "CAT")) is None
    assert text_map.to_document(*span_of(canonical, "over the CAT lazy")) is None
    for quote in ("quick brown", "lazy dog", "The"):
        span = text_map.to_document(*span_of(canonical, quote))
        assert span is not None and shown[span[0] : span[1]] == quote
    assert text_map.to_canonical(0, 5) is None  # the title


# ---- property: any span of any text round-trips ------------------------------------------

ASTRAL = "🎉👍🏽𝔘𝔫𝔦𝕏𠜎🀄"
COMBINING = ["q\u0307", "e\u0301", "a\u0308", "\u1100\u1161", "n\u0303", "x\u0323\u0302"]
LETTERS = "abcdefghijklmnopqrstuvwxyzÀéøßĳΩжשمअ中文한"


@st.composite
def words(draw: st.DrawFn) -> str:
    parts = draw(
        st.lists(
            st.one_of(
                st.sampled_from(list(LETTERS)),
                st.sampled_from(list(ASTRAL)),
                st.sampled_from(COMBINING),
                st.just("&amp;"),
                st.just("&shy;"),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return "".join(parts)


@st.composite
def article_bodies(draw: st.DrawFn) -> str:
    paragraphs = []
    for _ in range(draw(st.integers(1, 4))):
        items = []
        for word in draw(st.lists(words(), min_size=1, max_size=10)):
            wrap = draw(st.sampled_from(["", "b", "a", "img", "br", "code"]))
            if wrap == "img":
                items.append(f"{word}<img src='https://example.org/i.png'>")
            elif wrap == "br":
                items.append(f"{word}<br>")
            elif wrap == "a":
                items.append(f"<a href='https://example.org/'>{word}</a>")
            elif wrap:
                items.append(f"<{wrap}>{word}</{wrap}>")
            else:
                items.append(word)
        tag = draw(st.sampled_from(["p", "li", "td", "blockquote"]))
        paragraph = f"<{tag}>{' '.join(items)}</{tag}>"
        if tag == "li":
            paragraph = f"<ul>{paragraph}</ul>"
        elif tag == "td":
            paragraph = f"<table><tr>{paragraph}<td>x</td></tr></table>"
        paragraphs.append(paragraph)
    return "".join(paragraphs)


def trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and not visible(text[start]):
        start += 1
    while end > start and not visible(text[end - 1]):
        end -= 1
    return (start, end) if start < end else None


def check_round_trip(body: str, data: st.DataObject, *, nfc: bool) -> None:
    html = sanitize_html(body, None)
    if nfc:
        html = unicodedata.normalize("NFC", html)
    canonical = canonical_text(html)
    assume(canonical)
    document = document_for(html)
    text_map = TextMap.from_document(document, canonical)
    if nfc:
        assert text_map.exact
    for _ in range(4):
        start = data.draw(st.integers(0, len(canonical) - 1))
        end = data.draw(st.integers(start + 1, len(canonical)))
        expected = trimmed(canonical, start, end)
        span = text_map.to_document(start, end)
        if expected is None:
            assert span is None
            continue
        assert span is not None
        shown = raw_slice(document, span)
        if "\ufdd0" not in shown and "\ufdd1" not in shown:
            assert selected(document, span) == shown
        shown = shown_as_canonical(shown)
        assert visible(shown) == visible(canonical[expected[0] : expected[1]])
        assert text_map.to_canonical(*span) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=article_bodies(), data=st.data())
def test_any_span_round_trips(body: str, data: st.DataObject) -> None:
    check_round_trip(body, data, nfc=True)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=article_bodies(), data=st.data())
def test_any_span_round_trips_when_qt_keeps_decomposed_text(body: str, data: st.DataObject) -> None:
    check_round_trip(unicodedata.normalize("NFD", body), data, nfc=False)


@pytest.mark.parametrize("size", [0, 1])
def test_an_empty_body_maps_nothing(size: int) -> None:
    document = document_for("<p>x</p>" if size else "")
    text_map = TextMap.from_document(document, "x" if size else "")
    assert text_map.to_canonical(0, 1) is None
    assert (text_map.to_document(0, 1) is not None) == bool(size)
