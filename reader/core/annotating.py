"""The Library's highlight, note, tag and colour-label methods (mixed into ``Library``).

Kept apart from ``library.py`` because they are one capability with one set of rules: every
write is one transaction returning ``Changes``; nothing a user wrote is ever deleted (deleting is
a tombstone that undo reverses); a highlight is made on and anchored in the article's current
canonical text.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.errors import NotFoundError
from reader.core.storage import annotations as store
from reader.core.storage import articles as article_store
from reader.core.storage import tags as tag_store
from reader.core.storage.sql import execute, fetch_all
from reader.core.timeutil import utcnow
from reader.core.types import (
    DEFAULT_HIGHLIGHT_COLOR,
    HIGHLIGHT_COLORS,
    ArticleId,
    Changes,
    FeedId,
    Highlight,
    HighlightEntry,
    HighlightFilter,
    HighlightId,
    Note,
    NoteEntry,
    NoteId,
    ReanchorReport,
    TagCount,
    TextSource,
)

_LABEL_KEY = "color_label."
MAX_LABEL_CHARS = 40


def default_label(color: str) -> str:
    return color.capitalize()


def store_color_label(db: Database, color: str, label: str) -> None:
    """Write a colour's name inside the caller's transaction (blank: back to the default)."""
    label = " ".join(label.split())[:MAX_LABEL_CHARS]
    execute(
        db,
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        [_LABEL_KEY + color, label or None],
    )


class AnnotationMethods:
    """Highlights, notes, tags and colour labels. Needs ``_db`` and ``_transaction``."""

    _db: Database

    if TYPE_CHECKING:

        def _transaction(self) -> contextlib.AbstractContextManager[Database]: ...

    # ---- highlights -----------------------------------------------------------------------

    def add_highlight(
        self,
        article_id: ArticleId,
        start: int,
        end: int,
        *,
        color: str = DEFAULT_HIGHLIGHT_COLOR,
        note: str | None = None,
    ) -> tuple[Highlight, Changes]:
        """Highlight ``[start, end)`` of the article's current canonical text.

        Surrounding whitespace is trimmed from the span; an empty span is refused.
        """
        with self._transaction():
            highlight_id = store.insert_highlight(
                self._db, article_id, start, end, color=color, note=note, now=utcnow()
            )
        return self.get_highlight(highlight_id), self._highlight_changes(
            highlight_id, article_id, tags=bool(note)
        )

    def add_highlight_by_quote(
        self,
        article_id: ArticleId,
        quote: str,
        *,
        occurrence: int = 1,
        color: str = DEFAULT_HIGHLIGHT_COLOR,
        note: str | None = None,
    ) -> tuple[Highlight, Changes]:
        """Highlight the ``occurrence``-th appearance of ``quote`` (spaces and line breaks in
        the quote match any whitespace, so a quote copied across paragraphs still matches)."""
        _text_id, text, _sha = store.current_text(self._db, article_id)
        start, end = store.find_quote(text, quote, occurrence)
        return self.add_highlight(article_id, start, end, color=color, note=note)

    def get_highlight(self, highlight_id: HighlightId) -> Highlight:
        return store.get_highlight(self._db, highlight_id)

    def set_highlight_color(self, highlight_id: HighlightId, color: str) -> Changes:
        with self._transaction():
            article_id = store.update_highlight(self._db, highlight_id, utcnow(), color=color)
        return self._highlight_changes(highlight_id, article_id)

    def set_highlight_note(self, highlight_id: HighlightId, note: str | None) -> Changes:
        """Set (or clear, with ``None`` or blank text) a highlight's note; ``#tags`` in it
        become the highlight's tags."""
        with self._transaction():
            article_id = store.update_highlight(self._db, highlight_id, utcnow(), note=note)
        return self._highlight_changes(highlight_id, article_id, tags=True)

    def set_highlight_tags(self, highlight_id: HighlightId, tags: Iterable[str]) -> Changes:
        names = tag_store.normalize_tags(tags)
        with self._transaction():
            article_id = store.update_highlight(self._db, highlight_id, utcnow())
            tag_store.set_highlight_tags(self._db, highlight_id, names)
        return self._highlight_changes(highlight_id, article_id, tags=True)

    def highlight_field_tags(self, highlight_id: HighlightId) -> tuple[str, ...]:
        """The tags typed in the highlight's tag field (its note's ``#tags`` excluded)."""
        return tag_store.highlight_field_tags(self._db, highlight_id)

    def delete_highlight(self, highlight_id: HighlightId) -> Changes:
        """A tombstone: the highlight disappears from views and exports; undo brings it back."""
        with self._transaction():
            article_id = store.set_deleted(self._db, "highlights", highlight_id, True, utcnow())
        return self._highlight_changes(highlight_id, article_id, tags=True)

    def restore_highlight(self, highlight_id: HighlightId) -> Changes:
        with self._transaction():
            article_id = store.set_deleted(self._db, "highlights", highlight_id, False, utcnow())
            store.reanchor_article(self._db, article_id)
        return self._highlight_changes(highlight_id, article_id, tags=True)

    def reattach_highlight(self, highlight_id: HighlightId, start: int, end: int) -> Changes:
        with self._transaction():
            article_id = store.reattach_highlight(self._db, highlight_id, start, end, utcnow())
        return self._highlight_changes(highlight_id, article_id)

    def highlight_alternatives(self, highlight_id: HighlightId) -> list[tuple[int, int]]:
        return store.alternatives(self._db, highlight_id)

    def list_highlight_entries(self, flt: HighlightFilter) -> list[HighlightEntry]:
        return store.list_highlight_entries(self._db, flt)

    def reanchor_article(self, article_id: ArticleId, *, force: bool = False) -> ReanchorReport:
        with self._transaction():
            return store.reanchor_article(self._db, article_id, force=force)

    def reanchor_all(self) -> ReanchorReport:
        """Anchor every highlight again in its article's current text (after a change of the
        canonical form, T18) and report how each fared. One transaction: all or nothing."""
        report = ReanchorReport()
        with self._transaction():
            for article_id in store.articles_with_highlights(self._db):
                report = report + store.reanchor_article(self._db, article_id, force=True)
        return report

    def set_article_text(
        self,
        article_id: ArticleId,
        html: str,
        *,
        base_url: str | None = None,
        source: TextSource = TextSource.FULLTEXT,
        extractor: str | None = None,
        extractor_version: str | None = None,
    ) -> tuple[ReanchorReport, Changes]:
        """Show a new text of the article (full text, a re-extraction) and move its highlights
        onto it; the report says how each fared (T19). Older versions are kept."""
        from reader.core.content import canonical_text, sanitize_html

        clean = sanitize_html(html, base_url)
        text = canonical_text(clean)
        with self._transaction():
            article_store.add_text_version(
                self._db,
                article_id,
                clean,
                text,
                source,
                utcnow(),
                extractor=extractor,
                extractor_version=extractor_version,
            )
            report = store.reanchor_article(self._db, article_id)
        return report, Changes(articles=frozenset({article_id}))

    @staticmethod
    def _highlight_changes(
        highlight_id: HighlightId, article_id: ArticleId, *, tags: bool = False
    ) -> Changes:
        return Changes(
            highlights=frozenset({highlight_id}), articles=frozenset({article_id}), tags=tags
        )

    # ---- notes ----------------------------------------------------------------------------

    def add_note(self, article_id: ArticleId, body: str) -> tuple[Note, Changes]:
        with self._transaction():
            note_id = store.insert_note(self._db, article_id, body, utcnow())
        return store.get_note(self._db, note_id), self._note_changes(note_id, article_id)

    def update_note(self, note_id: NoteId, body: str) -> Changes:
        """Save a note's new body (the editor calls this as the user types; an unchanged body
        writes nothing)."""
        with self._transaction():
            article_id = store.update_note(self._db, note_id, body, utcnow())
        return self._note_changes(note_id, article_id)

    def delete_note(self, note_id: NoteId) -> Changes:
        with self._transaction():
            article_id = store.set_deleted(self._db, "notes", note_id, True, utcnow())
            tag_store.set_article_note_tags(self._db, article_id)
        return self._note_changes(note_id, article_id)

    def restore_note(self, note_id: NoteId) -> Changes:
        with self._transaction():
            article_id = store.set_deleted(self._db, "notes", note_id, False, utcnow())
            tag_store.set_article_note_tags(self._db, article_id)
        return self._note_changes(note_id, article_id)

    def get_note(self, note_id: NoteId) -> Note:
        return store.get_note(self._db, note_id)

    def list_note_entries(
        self,
        feed_ids: Sequence[FeedId] | None = None,
        tag: str | None = None,
        limit: int | None = None,
        before: tuple[dt.datetime, NoteId] | None = None,
    ) -> list[NoteEntry]:
        return store.list_note_entries(self._db, feed_ids, tag, limit, before)

    @staticmethod
    def _note_changes(note_id: NoteId, article_id: ArticleId) -> Changes:
        return Changes(notes=frozenset({note_id}), articles=frozenset({article_id}), tags=True)

    # ---- tags -----------------------------------------------------------------------------

    def set_article_tags(self, article_id: ArticleId, tags: Iterable[str]) -> Changes:
        names = tag_store.normalize_tags(tags)
        with self._transaction():
            if not fetch_all(self._db, "SELECT 1 FROM articles WHERE id = ?", [article_id]):
                raise store.AnnotationError(f"There is no article {article_id}.")
            tag_store.set_article_tags(self._db, article_id, names)
        return Changes(articles=frozenset({article_id}), tags=True)

    def add_article_tags(self, article_ids: Iterable[ArticleId], tags: Iterable[str]) -> Changes:
        """Add field tags to many articles in one transaction (tagging a selection); each
        article keeps the tags it has. ``NotFoundError`` (and nothing written) for an id that
        is not in the library."""
        names = tag_store.normalize_tags(tags)
        ids = list(dict.fromkeys(article_ids))
        with self._transaction():
            found = article_store.existing_article_ids(self._db, ids)
            missing = [article_id for article_id in ids if article_id not in found]
            if missing:
                raise NotFoundError(f"There is no article {missing[0]}.")
            tag_store.add_article_tags(self._db, ids, names)
        return Changes(articles=frozenset(ids), tags=bool(names and ids))

    def article_tags(self, article_id: ArticleId) -> tuple[str, ...]:
        """All the article's tags: typed ones and those from its notes' ``#tags``."""
        return tag_store.article_tags(self._db, article_id)

    def article_field_tags(self, article_id: ArticleId) -> tuple[str, ...]:
        return tag_store.article_field_tags(self._db, article_id)

    def list_tags(self) -> list[TagCount]:
        return tag_store.list_tags(self._db)

    # ---- colour labels --------------------------------------------------------------------

    def color_labels(self) -> dict[str, str]:
        rows = fetch_all(
            self._db,
            "SELECT key, value FROM meta WHERE key LIKE ?",
            [_LABEL_KEY + "%"],
        )
        stored = {r["key"][len(_LABEL_KEY) :]: r["value"] for r in rows}
        return {c: stored.get(c) or default_label(c) for c in HIGHLIGHT_COLORS}

    def set_color_label(self, color: str, label: str) -> Changes:
        """Name a colour ("important", "question"); a blank label restores the default."""
        store.check_color(color)
        if len(" ".join(label.split())) > MAX_LABEL_CHARS:
            raise store.AnnotationError(
                f"A colour label can be at most {MAX_LABEL_CHARS} characters long."
            )
        with self._transaction():
            store_color_label(self._db, color, label)
        return Changes(labels=True)
