"""textcapture.py: pasted captures of article pages become a clean article (issue 5).

The fixtures in tests/data/captures are original texts in the shapes aggregator apps, browsers and
read-later tools produce; each NAME.expected.json holds what a reader should get, compared exactly.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core.content import canonical_text
from reader.core.textcapture import (
    CleanCapture,
    clean_capture,
    looks_like_markdown,
    resolve_relative_time,
)

CAPTURES = Path(__file__).resolve().parents[1] / "data" / "captures"
FIXTURES = sorted(CAPTURES.glob("*.txt"))
NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _iso(value: dt.datetime | None) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value is not None else None


def _as_expected(capture: CleanCapture, captured_at: str) -> dict[str, Any]:
    return {
        "captured_at": captured_at,
        "title": capture.title,
        "author": capture.author,
        "source": capture.source,
        "published": _iso(capture.published),
        "link": capture.link,
        "is_markdown": capture.is_markdown,
        "paragraphs": list(capture.paragraphs),
        "removed": list(capture.removed),
        "related": [
            {"title": t.title, "source": t.source, "published": _iso(t.published), "text": t.text}
            for t in capture.related
        ],
    }


def test_there_are_enough_fixtures() -> None:
    assert len(FIXTURES) >= 10
    assert all(p.with_name(p.stem + ".expected.json").exists() for p in FIXTURES)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_capture_fixture_gives_the_expected_article(path: Path) -> None:
    expected = json.loads(path.with_name(path.stem + ".expected.json").read_text("utf-8"))
    captured_at = dt.datetime.fromisoformat(expected["captured_at"])
    # Bytes, so Windows line endings reach the cleaner as they were pasted.
    capture = clean_capture(path.read_bytes().decode("utf-8"), captured_at=captured_at)
    assert _as_expected(capture, expected["captured_at"]) == expected


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_html_shows_exactly_the_paragraphs(path: Path) -> None:
    capture = clean_capture(path.read_text("utf-8"), captured_at=NOW)
    assert canonical_text(capture.html) == "\n\n".join(capture.paragraphs)
    assert capture.title not in capture.paragraphs


def test_teasers_are_not_mixed_into_the_body() -> None:
    capture = clean_capture((CAPTURES / "news_aggregator_app.txt").read_text(), captured_at=NOW)
    body = "\n".join(capture.paragraphs)
    for teaser in capture.related:
        assert teaser.title not in body and teaser.text not in body
    assert "Related Articles" in capture.removed


def test_markup_in_plain_text_is_shown_not_interpreted() -> None:
    text = "A title\n\nUse <script>alert(1)</script> & <b>bold</b> in a sentence, they said."
    capture = clean_capture(text, captured_at=NOW)
    assert "<script>" not in capture.html and "&lt;script&gt;" in capture.html
    assert capture.paragraphs == (
        "Use <script>alert(1)</script> & <b>bold</b> in a sentence, they said.",
    )


def test_markdown_is_rendered_and_sanitized() -> None:
    text = (
        "# Reading list\n\nSome **bold** words and a [link](https://example.org/).\n\n"
        "[bad](javascript:alert(1)) <script>x()</script>\n\n#tag at the start\n"
    )
    capture = clean_capture(text, captured_at=NOW)
    assert capture.is_markdown and capture.title == "Reading list"
    assert "<strong>bold</strong>" in capture.html
    assert 'href="https://example.org/"' in capture.html
    assert "javascript:" not in capture.html and "<script" not in capture.html
    assert "<h1" not in capture.html  # the title is a field, and "#tag" is not a heading
    assert capture.paragraphs[-1] == "#tag at the start"


def test_a_title_only_related_entry_is_not_a_teaser() -> None:
    text = (
        "Main headline here\n\nThe article itself has one paragraph of text.\n\n"
        "You may also like\nA headline with nothing under it\n"
    )
    capture = clean_capture(text, captured_at=NOW)
    assert capture.related == ()
    assert "A headline with nothing under it" in capture.removed


def test_a_link_line_names_the_article() -> None:
    text = "Bridge reopens\nhttps://news.example.org/bridge-reopens\n\nThe bridge reopened today."
    capture = clean_capture(text, captured_at=NOW)
    assert capture.link == "https://news.example.org/bridge-reopens"
    assert capture.paragraphs == ("The bridge reopened today.",)


def test_captured_at_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        clean_capture("text", captured_at=dt.datetime(2026, 1, 1))


def test_empty_and_furniture_only_texts_leave_nothing() -> None:
    assert clean_capture("", captured_at=NOW).paragraphs == ()
    only = clean_capture("Share\nTweet\nAdvertisement\n", captured_at=NOW)
    assert only.paragraphs == () and only.title == ""
    assert only.removed == ("Share", "Tweet", "Advertisement")


# ---- lost paragraph breaks -----------------------------------------------------------------


def _body(text: str) -> tuple[str, ...]:
    return clean_capture(f"Title line\n\n{text}", captured_at=NOW).paragraphs


@pytest.mark.parametrize(
    ("glued", "paragraphs"),
    [
        ("It rained.Then it stopped.", ("It rained.", "Then it stopped.")),
        ("Is it late?Nobody knows.", ("Is it late?", "Nobody knows.")),
        ("Stop!Now go.", ("Stop!", "Now go.")),
        ('She said "go."Then she left.', ('She said "go."', "Then she left.")),
        ("She said “go.”Then she left.", ("She said “go.”", "Then she left.")),
        ("It ended.“Next one,” he said.", ("It ended.", "“Next one,” he said.")),
        ('It ended."Next one," he said.', ("It ended.", '"Next one," he said.')),
        (
            "Sales rose in 2024.The year before they fell.",
            ("Sales rose in 2024.", "The year before they fell."),
        ),
        ("It was cold.A storm came.", ("It was cold.", "A storm came.")),
        ("Il pleuvait.Ensuite le soleil.", ("Il pleuvait.", "Ensuite le soleil.")),
        ("Шёл дождь.Потом всё стихло.", ("Шёл дождь.", "Потом всё стихло.")),
        (
            "It was late.J.R.R. Tolkien fans waited.",
            ("It was late.", "J.R.R. Tolkien fans waited."),
        ),
    ],
)
def test_glued_sentences_get_their_paragraph_breaks_back(
    glued: str, paragraphs: tuple[str, ...]
) -> None:
    assert _body(glued) == paragraphs


@pytest.mark.parametrize(
    "text",
    [
        "Tools, e.g. hammers and saws, were sold.",
        "The U.S. team won; the U.S.Army band played.",
        "Version 3.5 is out, and 10.2.1 follows.",
        "Built with Node.js and served from example.com today.",
        "Mr.Smith and Dr.Jones met at St.Mary's.",
        "Pi is about 3.14159, not 3.2.",
        "See https://example.org/Page.Html?Ref=One.Two for more.",
        "Write to Jane.Doe@example.org.Or call.",
        "J.R.R. Tolkien wrote it. Wait... Then what?",
        "Wait...Then it happened.",
        "It was the Ph.D.Student's turn, said the Vue.JS fan.",
        "The ASP.NET site and the iPhone.",
        "Es kostet 3,5 Euro.",
        "中文句子。第二句。",
    ],
)
def test_false_positives_are_not_split(text: str) -> None:
    assert _body(text) == (text,)


# ---- relative times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("4 hours ago", NOW - dt.timedelta(hours=4)),
        ("1 hr ago", NOW - dt.timedelta(hours=1)),
        ("an hour ago", NOW - dt.timedelta(hours=1)),
        ("Updated 5 min ago", NOW - dt.timedelta(minutes=5)),
        ("3 days ago", NOW - dt.timedelta(days=3)),
        ("2d", NOW - dt.timedelta(days=2)),
        ("45m", NOW - dt.timedelta(minutes=45)),
        ("1w", NOW - dt.timedelta(weeks=1)),
        ("just now", NOW),
        ("yesterday", NOW - dt.timedelta(days=1)),
        ("Yesterday at 3:15 PM", dt.datetime(2026, 11, 24, 15, 15, tzinfo=dt.UTC)),
        ("2 months ago", dt.datetime(2026, 9, 25, 12, 0, tzinfo=dt.UTC)),
        ("vor 3 Stunden", NOW - dt.timedelta(hours=3)),
        ("il y a 2 jours", NOW - dt.timedelta(days=2)),
        ("hace 10 minutos", NOW - dt.timedelta(minutes=10)),
    ],
)
def test_relative_times_resolve_against_the_capture_time(
    phrase: str, expected: dt.datetime
) -> None:
    assert resolve_relative_time(phrase, NOW) == expected


def test_month_arithmetic_clamps_to_the_last_day() -> None:
    captured = dt.datetime(2026, 3, 31, 9, 0, tzinfo=dt.UTC)
    assert resolve_relative_time("1 month ago", captured) == dt.datetime(
        2026, 2, 28, 9, 0, tzinfo=dt.UTC
    )


def test_clock_times_are_read_in_the_capture_zone_and_returned_in_utc() -> None:
    berlin = dt.timezone(dt.timedelta(hours=1))
    captured = dt.datetime(2026, 11, 25, 13, 0, tzinfo=berlin)
    result = resolve_relative_time("today at 9:30", captured)
    assert result == dt.datetime(2026, 11, 25, 8, 30, tzinfo=dt.UTC)
    assert result is not None and result.utcoffset() == dt.timedelta(0)


@pytest.mark.parametrize(
    "phrase", ["", "4 bananas ago", "in 3 hours", "hours ago", "the 2d plan", "99999999 days ago"]
)
def test_phrases_that_are_not_relative_times(phrase: str) -> None:
    assert resolve_relative_time(phrase, NOW) is None


def test_bylines_with_absolute_dates() -> None:
    text = "Council meets\nBy Jane Doe · Nov 24, 2026, 10:30 AM UTC\n\nThe council met."
    capture = clean_capture(text, captured_at=NOW)
    assert capture.author == "Jane Doe"
    assert capture.published == dt.datetime(2026, 11, 24, 10, 30, tzinfo=dt.UTC)


# ---- Markdown detection -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "# Heading\n\nText.",
        "Some text with a [link](https://example.org/).",
        "```\ncode\n```",
        "---\ntitle: x\n---\nbody",
        "Intro\n\n- one\n- two\n\nWith **bold** words.",
        "![a picture](https://example.org/a.png)",
    ],
)
def test_markdown_is_recognised(text: str) -> None:
    assert looks_like_markdown(text)


@pytest.mark.parametrize(
    "text",
    [
        "A plain title\n\nA plain paragraph.",
        "Harbour news\n#harbour #cityhistory\nShare",
        "Prices rose 3.5% * 2 [see table] (roughly).",
        "Shopping:\n- milk\n- eggs",
        "He said it was **really** big.",
    ],
)
def test_plain_text_is_not_taken_for_markdown(text: str) -> None:
    assert not looks_like_markdown(text)


# ---- properties ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=400))
def test_clean_capture_never_crashes(text: str) -> None:
    capture = clean_capture(text, captured_at=NOW)
    assert canonical_text(capture.html).strip() != "" or capture.paragraphs == ()
    for paragraph in capture.paragraphs:
        assert (paragraph == paragraph.strip() and "\n" not in paragraph) or capture.is_markdown


_WORDS = (
    "river", "garden", "winter", "morning", "old", "quiet", "bridge", "market", "bread", "the",
    "lamp", "window", "children", "stone", "summer", "walks", "under", "slowly", "green", "boat",
)  # fmt: skip
_sentence = st.lists(st.sampled_from(_WORDS), min_size=3, max_size=12).map(
    lambda words: " ".join(words).capitalize() + "."
)
_paragraph = st.lists(_sentence, min_size=1, max_size=4).map(" ".join)
_title = st.lists(st.sampled_from(_WORDS), min_size=2, max_size=8).map(
    lambda words: " ".join(words).capitalize()
)


@settings(max_examples=150, deadline=None)
@given(_title, st.lists(_paragraph, min_size=1, max_size=6))
def test_clean_plain_text_passes_through(title: str, paragraphs: list[str]) -> None:
    text = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
    capture = clean_capture(text, captured_at=NOW)
    assert capture.title == title
    assert capture.paragraphs == tuple(paragraphs)
    assert capture.removed == () and capture.related == ()


def test_a_megabyte_paste_is_handled() -> None:
    """Linear work: a 1 MB capture, glued sentences and all, is cleaned (pytest-timeout guards)."""
    paragraph = "The harbour was quiet.The boats stayed in. " * 20
    text = "A long capture\n\n" + "\n\n".join([paragraph] * 1200)
    assert len(text) > 1_000_000
    capture = clean_capture(text, captured_at=NOW)
    # Each paragraph: the first sentence, 19 "in. The … quiet." pairs, the last sentence.
    assert len(capture.paragraphs) == 1200 * 21
