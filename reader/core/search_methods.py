"""The Library's methods for one capability (mixed into ``Library``): Search (ranked hits with
snippets), saved searches (smart folders) and the search index.

The query language is ``reader.core.query``; the SQL is ``reader.core.storage.search``. A saved
search stores its query in canonical form (``format_query``) and lists as an ordinary article
list through ``ArticleFilter(query=...)``, so keyset paging, the unread filter and mark-all-read
work on it as on a feed.
"""

from __future__ import annotations

import contextlib
import unicodedata
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.errors import GlossError, NotFoundError, QuerySyntaxError
from reader.core.query import format_query, parse_query
from reader.core.storage import search as store
from reader.core.timeutil import to_db, utcnow
from reader.core.types import Changes, SavedSearch, SavedSearchId, SearchResults

MAX_LIMIT = 1000
MAX_NAME_CHARS = 100


class SavedSearchError(GlossError):
    """A saved search's name is empty, too long or already taken."""


class SearchMethods:
    """Needs ``_db`` and ``_transaction`` from ``Library``."""

    _db: Database

    if TYPE_CHECKING:

        def _transaction(self) -> contextlib.AbstractContextManager[Database]: ...

    # ---- searching ----------------------------------------------------------------------------

    def search(self, text: str, *, limit: int = 50, typing: bool = False) -> SearchResults:
        """The best ``limit`` hits for ``text`` (query.py's language), articles, highlights and
        notes together: by relevance (bm25, title weighted), or newest first with ``sort:date``
        or when the query has no words (then only articles are listed, unless ``in:`` names
        highlights or notes). ``typing=True`` reads the last word as a prefix (search
        as you type). Blank text finds nothing; anything else the parser refuses raises
        `QuerySyntaxError` with the position to underline."""
        if not text.strip():
            return SearchResults((), more=False)
        query = parse_query(text, typing=typing)
        return store.search(self._db, query, max(1, min(limit, MAX_LIMIT)))

    # ---- saved searches (smart folders) ---------------------------------------------------------

    def list_saved_searches(self) -> list[SavedSearch]:
        """Every saved search in the feeds pane's order, each with its live unread count."""
        found: list[SavedSearch] = []
        for saved in store.list_saved(self._db):
            found.append(_with_unread(self._db, saved))
        return found

    def get_saved_search(self, search_id: SavedSearchId) -> SavedSearch:
        saved = store.get_saved(self._db, search_id)
        if saved is None:
            raise NotFoundError(f"There is no saved search with id {search_id}.")
        return _with_unread(self._db, saved)

    def find_saved_search(self, name: str) -> SavedSearch | None:
        """The saved search of that name (case-insensitive), if any."""
        saved = store.find_saved_by_name(self._db, _clean_name(name))
        return None if saved is None else _with_unread(self._db, saved)

    def create_saved_search(self, name: str, query: str) -> tuple[SavedSearch, Changes]:
        """Save ``query`` under ``name``. The query is checked (QuerySyntaxError) and stored in
        canonical form; a name already used (in any case) is refused with a SavedSearchError."""
        name = _clean_name(name)
        canonical = _canonical(query)
        with self._transaction():
            _refuse_taken(self._db, name, None)
            search_id = store.insert_saved(self._db, name, canonical, to_db(utcnow()) or "")
        return self.get_saved_search(search_id), Changes(searches=True)

    def rename_saved_search(self, search_id: SavedSearchId, name: str) -> Changes:
        name = _clean_name(name)
        with self._transaction():
            _refuse_taken(self._db, name, search_id)
            if not store.update_saved(self._db, search_id, name=name):
                raise NotFoundError(f"There is no saved search with id {search_id}.")
        return Changes(searches=True)

    def update_saved_search(self, search_id: SavedSearchId, query: str) -> Changes:
        """Give a saved search a new query (checked, stored in canonical form)."""
        canonical = _canonical(query)
        with self._transaction():
            if not store.update_saved(self._db, search_id, query_text=canonical):
                raise NotFoundError(f"There is no saved search with id {search_id}.")
        return Changes(searches=True, counts=True)

    def delete_saved_search(self, search_id: SavedSearchId) -> Changes:
        with self._transaction():
            if not store.delete_saved(self._db, search_id):
                raise NotFoundError(f"There is no saved search with id {search_id}.")
        return Changes(searches=True)

    # ---- the index ------------------------------------------------------------------------------

    def reindex_search(self) -> int:
        """Rebuild the search index from the library (``gloss check --reindex``); returns how
        many articles it holds. One transaction: a failure leaves the old index."""
        with self._transaction():
            return store.rebuild_index(self._db)

    def search_index_problems(self) -> list[str]:
        """FTS5's integrity-check of the three index tables; [] when the index is sound."""
        with self._transaction():
            return store.index_problems(self._db)


def _with_unread(db: Database, saved: SavedSearch) -> SavedSearch:
    try:
        query = parse_query(saved.query)
    except QuerySyntaxError:
        return saved  # written by another version of the language: shown, counted as 0
    return SavedSearch(saved.id, saved.name, saved.query, store.unread_count(db, query))


def _clean_name(name: str) -> str:
    cleaned = " ".join(unicodedata.normalize("NFC", name).split())
    if not cleaned:
        raise SavedSearchError("A saved search needs a name.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise SavedSearchError(
            f"A saved search's name can be at most {MAX_NAME_CHARS} characters long."
        )
    return cleaned


def _canonical(query: str) -> str:
    return format_query(parse_query(query))


def _refuse_taken(db: Database, name: str, keep: SavedSearchId | None) -> None:
    taken = store.find_saved_by_name(db, name)
    if taken is not None and taken.id != keep:
        raise SavedSearchError(f"There is already a saved search named “{taken.name}”.")
