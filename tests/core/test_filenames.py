"""File names for exported articles (reliability.md X1–X7): hostile titles never hurt the disk."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.filenames import (
    MAX_SLUG_CHARS,
    article_file_name,
    check_component,
    is_windows_reserved,
    path_inside,
    slugify,
)
from reader.core.types import Article, ArticleId, ExportArticle, FeedId

ADDED = dt.datetime(2024, 3, 9, 10, 0, tzinfo=dt.UTC)
NAME_RE = re.compile(r"\d{4}-\d{2}-\d{2}-[^/\\]+-\d+\.md")


def article(title: str, *, article_id: int = 17, published: dt.datetime | None = None) -> Article:
    return Article(
        id=ArticleId(article_id),
        feed_id=FeedId(1),
        feed_title="Example feed",
        title=title,
        link="https://example.com/post",
        author=None,
        published=published,
        updated=None,
        added=ADDED,
        read=False,
        starred=False,
        sort_at=published or ADDED,
    )


@pytest.mark.parametrize(
    "title", ["../../etc/passwd", "..", ".", "/etc/passwd", "..\\..\\boot.ini"]
)
def test_traversal_titles_stay_inside_the_export_folder(tmp_path: Path, title: str) -> None:
    name = article_file_name(article(title))
    assert "/" not in name and "\\" not in name
    path = path_inside(tmp_path, name)
    assert path.parent == tmp_path.resolve()
    assert path.resolve().is_relative_to(tmp_path.resolve())


def test_dot_titles_become_untitled() -> None:
    assert article_file_name(article("..")) == "2024-03-09-untitled-17.md"
    assert article_file_name(article(".")) == "2024-03-09-untitled-17.md"


@pytest.mark.parametrize("title", ["CON", "nul.txt", "COM1", "CONIN$", "AUX .md", "lpt9", "CLOCK$"])
def test_windows_device_names_never_come_out(title: str) -> None:
    assert is_windows_reserved(title)  # the check itself recognises them...
    name = article_file_name(article(title))
    assert not is_windows_reserved(name)  # ...and the date prefix keeps names clear of them
    assert name.startswith("2024-03-09-")


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ('What? "Why": <a|b> *now* \\ end. ', "2024-03-09-what-why-a-b-now-end-17.md"),
        ("tabs\tand\nnewlines\r\nhere", "2024-03-09-tabs-and-newlines-here-17.md"),
        ("Trailing dots...", "2024-03-09-trailing-dots-17.md"),
        ("What's new in Python 3.13", "2024-03-09-whats-new-in-python-3-13-17.md"),
        ("   ", "2024-03-09-untitled-17.md"),
        ("", "2024-03-09-untitled-17.md"),
        ("!!!", "2024-03-09-untitled-17.md"),
    ],
)
def test_reserved_characters_are_replaced(title: str, expected: str) -> None:
    assert article_file_name(article(title)) == expected


def test_bidi_and_zero_width_characters_are_removed() -> None:
    name = article_file_name(article("invoice\u202egnp.exe zero\u200bwidth\ufeff"))
    assert name == "2024-03-09-invoicegnp-exe-zerowidth-17.md"
    assert not any(unicodedata.category(c) in {"Cc", "Cf"} for c in name)


def test_long_and_multibyte_titles_fit_windows_paths() -> None:
    for title in ["a" * 300, "word " * 100, "日本語のタイトル" * 40, "🙂" * 300, "é" * 300]:
        name = article_file_name(article(title, article_id=9_999_999_999))
        assert len(name.encode("utf-8")) <= 255
        assert len(slugify(title)) <= MAX_SLUG_CHARS
        # A 130-character export folder still leaves the full path under 260 (UTF-16 units).
        folder = "C:\\Users\\someone\\Documents\\" + "v" * 100
        assert len(folder) + 1 + len(name.encode("utf-16-le")) // 2 <= 260


def test_long_titles_are_cut_at_a_word_boundary() -> None:
    title = "The quick brown fox jumps over the lazy dog " * 5
    slug = slugify(title)
    assert slug.endswith(("fox", "brown", "quick", "the", "jumps", "over", "lazy", "dog"))
    assert not slug.endswith("-")


def test_names_are_nfc_and_lower_case() -> None:
    composed = article_file_name(article("Café Ünïcode"))
    decomposed = article_file_name(article(unicodedata.normalize("NFD", "Café Ünïcode")))
    assert composed == decomposed == "2024-03-09-café-ünïcode-17.md"
    assert article_file_name(article("CAFÉ ÜNÏCODE")) == composed


def test_the_id_tells_apart_titles_that_differ_only_in_case() -> None:
    a = article_file_name(article("Breaking News", article_id=1))
    b = article_file_name(article("breaking news", article_id=2))
    assert a.casefold() != b.casefold()


def test_date_is_published_else_added_in_utc() -> None:
    late_evening_new_york = dt.datetime(
        2024, 1, 31, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-5))
    )
    assert article_file_name(article("x", published=late_evening_new_york)).startswith(
        "2024-02-01-"
    )
    assert article_file_name(article("x")).startswith("2024-03-09-")


def test_export_article_and_article_give_the_same_name() -> None:
    a = article("Same")
    item = ExportArticle(article=a, highlights=(), notes=(), tags=())
    assert article_file_name(item) == article_file_name(a)


@pytest.mark.parametrize(
    "bad",
    ["", ".", "..", "a/b.md", "a\\b.md", "con.md", "x.md.", "x ", "a:b.md", "a\x00.md", "é" * 200],
)
def test_check_component_refuses_unsafe_names(bad: str) -> None:
    with pytest.raises(ValueError):
        check_component(bad)


def test_unsafe_suffix_is_refused() -> None:
    with pytest.raises(ValueError):
        article_file_name(article("x"), extra="/../x")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_any_title_gives_one_safe_component(title: str) -> None:
    name = article_file_name(article(title, article_id=123))
    check_component(name)
    assert NAME_RE.fullmatch(name)
    assert name.endswith("-123.md")
    assert not any(unicodedata.category(c)[0] in {"C", "Z"} for c in name)
