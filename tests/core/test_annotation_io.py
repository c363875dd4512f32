"""Annotations moving between two real libraries through the W3C JSON file (A6, T22).

Two computers hold the same article; the user deletes on one and edits on the other. Whichever
change is newer wins when the file is imported, a deletion is never undone by an older file, and
importing the same file twice changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.demo import load_demo
from reader.core.library import Library
from reader.core.types import ArticleId


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[Library, Library, ArticleId]]:
    a = Library.open(tmp_path / "a.gloss")
    b = Library.open(tmp_path / "b.gloss")
    load_demo(a)
    load_demo(b)
    article = a.list_articles().articles[0].id
    yield a, b, article
    a.close()
    b.close()


def quote_of(library: Library, article: ArticleId) -> str:
    detail = library.get_article(article)
    assert detail.text is not None
    return " ".join(detail.text.text.split()[12:20])


def tick() -> None:
    time.sleep(1.05)  # stored times have one-second resolution


def test_t22_deletion_then_later_edit_elsewhere_brings_it_back(
    two: tuple[Library, Library, ArticleId],
) -> None:
    a, b, article = two
    h, _ = a.add_highlight_by_quote(article, quote_of(a, article), note="v1")
    b.import_annotations(a.export_annotations_json())
    [copy] = b.list_highlights(article)
    assert copy.uuid == h.uuid and copy.note == "v1"
    a.delete_highlight(h.id)
    tick()
    b.set_highlight_note(copy.id, "v2 written later on B")
    report, changes = b.import_annotations(a.export_annotations_json())
    assert report.unchanged >= 1 and not changes.highlights
    assert b.list_highlights(article)[0].note == "v2 written later on B"
    report, _ = a.import_annotations(b.export_annotations_json())
    assert report.updated == 1
    assert a.list_highlights(article)[0].note == "v2 written later on B"


def test_t22_a6_newer_deletion_wins_and_is_not_resurrected_by_an_older_file(
    two: tuple[Library, Library, ArticleId],
) -> None:
    a, b, article = two
    a.add_highlight_by_quote(article, quote_of(a, article), note="v1")
    old_file = a.export_annotations_json()
    b.import_annotations(old_file)
    tick()
    [copy] = b.list_highlights(article)
    b.delete_highlight(copy.id)
    a.import_annotations(b.export_annotations_json())
    assert a.list_highlights(article) == []
    report, _ = a.import_annotations(old_file)
    assert a.list_highlights(article) == [] and report.updated == 0


def test_import_reanchors_in_the_importing_librarys_text_and_counts_orphans(
    two: tuple[Library, Library, ArticleId],
) -> None:
    a, b, article = two
    quote = quote_of(a, article)
    a.add_highlight_by_quote(article, quote, color="purple")
    gone, _ = a.add_highlight_by_quote(article, "Gloss")
    # On B the article was re-extracted: one passage is gone, the rest moved down.
    detail = b.get_article(article)
    assert detail.text is not None
    b.set_article_text(
        article, "<p>A new introduction.</p>" + detail.text.html.replace("Gloss", "it")
    )
    report, changes = b.import_annotations(a.export_annotations_json())
    assert (report.added, report.orphans) == (2, 1)
    kept = [h for h in b.list_highlights(article) if h.anchor != "orphan"]
    assert [(h.quote, h.color, h.anchor) for h in kept] == [(quote, "purple", "relocated")]
    assert any(h.anchor == "orphan" and h.uuid == gone.uuid for h in b.list_highlights(article))
    assert changes.articles == {article}


def test_colour_labels_travel_unless_named_here_already(
    two: tuple[Library, Library, ArticleId],
) -> None:
    a, b, article = two
    a.add_highlight_by_quote(article, quote_of(a, article))
    a.set_color_label("pink", "question")
    a.set_color_label("green", "idea")
    b.set_color_label("green", "agree")
    b.import_annotations(a.export_annotations_json())
    labels = b.color_labels()
    assert labels["pink"] == "question" and labels["green"] == "agree"
