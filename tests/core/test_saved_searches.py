"""Saved searches (smart folders) on real library files: canonical queries, names, live counts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.errors import GlossError, NotFoundError, QuerySyntaxError
from reader.core.library import Library
from reader.core.types import ArticleFilter, ArticleId, SavedSearchId
from tests.support.feeds import Item, rss

ITEMS = [
    Item("1", "Rust ownership", "<p>The borrow checker.</p>"),
    Item("2", "Rust async", "<p>Futures and executors.</p>"),
    Item("3", "Python typing", "<p>Protocols and generics.</p>"),
]


@pytest.fixture
def library(library_path: Path) -> Iterator[Library]:
    lib = Library.open(library_path)
    lib.add_feed_document("https://blog.example/feed", rss("Blog", ITEMS))
    yield lib
    lib.close()


def ids_by_title(library: Library) -> dict[str, ArticleId]:
    return {a.title: a.id for a in library.list_articles().articles}


def test_create_stores_the_canonical_query_and_counts_unread(library: Library) -> None:
    saved, changes = library.create_saved_search("  Rust   reading ", "rust   -async  ")
    assert changes.searches
    assert (saved.name, saved.query, saved.unread) == ("Rust reading", "rust -async", 1)
    assert library.list_saved_searches() == [saved]
    assert library.get_saved_search(saved.id) == saved


def test_unread_counts_are_live(library: Library) -> None:
    saved, _ = library.create_saved_search("Rust", "rust")
    assert library.get_saved_search(saved.id).unread == 2
    library.set_read([ids_by_title(library)["Rust async"]])
    assert library.get_saved_search(saved.id).unread == 1
    note, _ = library.add_note(ids_by_title(library)["Python typing"], "compare with rust traits")
    assert library.list_saved_searches()[0].unread == 2
    library.delete_note(note.id)
    assert library.list_saved_searches()[0].unread == 1


def test_the_smart_folder_lists_like_a_feed(library: Library) -> None:
    saved, _ = library.create_saved_search("Rust", "rust")
    page = library.list_articles(ArticleFilter(query=saved.query))
    assert [a.title for a in page.articles] == ["Rust async", "Rust ownership"]  # same date: by id
    count, _ = library.mark_all_read(ArticleFilter(query=saved.query))
    assert count == 2
    assert library.get_saved_search(saved.id).unread == 0
    assert not library.get_article(ids_by_title(library)["Python typing"]).article.read


def test_names_are_unique_whatever_their_case(library: Library) -> None:
    library.create_saved_search("Rust", "rust")
    with pytest.raises(GlossError, match="already a saved search named “Rust”"):
        library.create_saved_search("RUST", "python")
    other, _ = library.create_saved_search("Python", "python")
    with pytest.raises(GlossError, match="already"):
        library.rename_saved_search(other.id, "rust")
    library.rename_saved_search(other.id, "PYTHON")  # its own name, another case: fine
    assert [s.name for s in library.list_saved_searches()] == ["Rust", "PYTHON"]
    with pytest.raises(GlossError, match="needs a name"):
        library.create_saved_search("   ", "rust")


def test_bad_queries_are_refused_before_anything_is_stored(library: Library) -> None:
    with pytest.raises(QuerySyntaxError):
        library.create_saved_search("Broken", 'rust "never closed')
    saved, _ = library.create_saved_search("Rust", "rust")
    with pytest.raises(QuerySyntaxError):
        library.update_saved_search(saved.id, "is:maybe")
    assert library.list_saved_searches()[0].query == "rust"


def test_update_rename_delete(library: Library) -> None:
    saved, _ = library.create_saved_search("Rust", "rust")
    assert library.update_saved_search(saved.id, "python OR  async").searches
    assert library.get_saved_search(saved.id).query == "python OR async"
    assert library.get_saved_search(saved.id).unread == 2
    assert library.rename_saved_search(saved.id, "Mixed").searches
    assert library.get_saved_search(saved.id).name == "Mixed"
    assert library.delete_saved_search(saved.id).searches
    assert library.list_saved_searches() == []
    with pytest.raises(NotFoundError):
        library.get_saved_search(saved.id)
    with pytest.raises(NotFoundError):
        library.delete_saved_search(SavedSearchId(999))
    with pytest.raises(NotFoundError):
        library.rename_saved_search(SavedSearchId(999), "x")
    # deleting a smart folder never touches its articles
    assert len(library.list_articles().articles) == 3


def test_saved_searches_survive_restart(library_path: Path) -> None:
    with Library.open(library_path) as lib:
        lib.add_feed_document("https://blog.example/feed", rss("Blog", ITEMS))
        lib.create_saved_search("Rust", "rust sort:date")
        lib.create_saved_search("Typing", "in:articles typing")
    with Library.open(library_path) as lib:
        found = lib.list_saved_searches()
        assert [(s.name, s.query, s.unread) for s in found] == [
            ("Rust", "rust sort:date", 2),
            ("Typing", "typing in:articles", 1),
        ]
        assert lib.find_saved_search("rust") == found[0]
        assert lib.find_saved_search("nothing") is None
