"""The auto full-text policy's question: is this feed text a summary of a longer article?"""

from __future__ import annotations

import pytest

from reader.core.summaries import ends_truncated, looks_like_summary, typical_length

WHOLE = ("The river was low that autumn, and the ferry ran on a shortened timetable. " * 14).strip()


@pytest.mark.parametrize(
    "tail",
    [
        "Read more",
        "Read more »",
        "[…]",
        "[...]",
        "(more…)",
        "Continue reading “Low water”",
        "Continue reading →",
        "Read the full story",
        "Read the rest of this entry »",
        "and then the ferry…",
        "and then the ferry...",
        "View the full article on the site",
        "See the entire story",
        "See the complete post →",
    ],
)
def test_truncation_marks_make_a_summary(tail: str) -> None:
    text = f"{WHOLE} {tail}"
    assert ends_truncated(text)
    assert looks_like_summary(text)


@pytest.mark.parametrize(
    "ending",
    [
        "The ferry ran again in March.",
        "The post Low water appeared first on River Notes.",  # added to whole articles too
        "What would you have done?",
        "She read more than anyone else on board.",
    ],
)
def test_whole_articles_are_not_summaries(ending: str) -> None:
    text = f"{WHOLE} {ending}"
    assert not ends_truncated(text)
    assert not looks_like_summary(text, typical_chars=len(text))


def test_short_texts_are_summaries() -> None:
    assert looks_like_summary("One sentence about the ferry, with a link.")
    assert looks_like_summary("")


def test_much_shorter_than_the_feed_usually_is() -> None:
    medium = WHOLE[:900]
    assert not looks_like_summary(medium)  # nothing known about the feed: long enough
    assert looks_like_summary(medium, typical_chars=6_000)
    assert not looks_like_summary(medium, typical_chars=1_200)  # a feed of short posts


def test_typical_length_needs_a_few_entries() -> None:
    assert typical_length([5000, 6000]) is None
    assert typical_length([5000, 6000, 100, 0]) == 5000
    assert typical_length([100, 200, 300, 400]) == 250
