"""The Library's export and import of annotations (mixed into ``Library``).

Markdown goes out through ``export.py`` (one file per annotated article, never clobbering what
the user wrote). The whole annotation set goes out and comes back through ``web_annotation.py``
(W3C Web Annotation JSON): importing into another library finds each article by its link (else
by feed and entry key), re-anchors each highlight in that library's own text, and merges by
uuid with the newest change winning, so importing twice changes nothing and a deletion made
here is not undone by an older file (A6, T22).
"""

from __future__ import annotations

import contextlib
import uuid as uuidlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core import anchor as anchoring
from reader.core.annotating import default_label, store_color_label
from reader.core.storage import annotations as store
from reader.core.storage import tags as tag_store
from reader.core.storage import window_queries
from reader.core.storage.sql import Row, execute, fetch_all, fetch_one, placeholders
from reader.core.timeutil import from_db, from_db_required, to_db, utcnow
from reader.core.types import (
    DEFAULT_HIGHLIGHT_COLOR,
    HIGHLIGHT_COLORS,
    ArticleId,
    Changes,
    ExportArticle,
    ExportReport,
    FeedId,
    FolderId,
    HighlightId,
    ImportReport,
    NoteId,
)
from reader.core.web_annotation import (
    KIND_HIGHLIGHT,
    KIND_NOTE,
    AnnotationRecord,
    ArticleRef,
    merge_decision,
    parse_collection,
    to_collection,
)
from reader.core.web_annotation import dumps as dump_collection


class AnnotationIOMethods:
    """Export and import. Needs ``_db``, ``_transaction`` and ``color_labels``."""

    _db: Database

    if TYPE_CHECKING:

        def _transaction(self) -> contextlib.AbstractContextManager[Database]: ...

        def color_labels(self) -> dict[str, str]: ...

    # ---- Markdown -------------------------------------------------------------------------

    def export_items(self, article_ids: Sequence[ArticleId]) -> list[ExportArticle]:
        """What the Markdown export writes about each of these articles (read in batches)."""
        articles = {a.id: a for a in window_queries.articles_by_id(self._db, article_ids)}
        highlights = store.highlights_for_articles(self._db, article_ids)
        notes = store.notes_for_articles(self._db, article_ids)
        tags = _tags_by_article(self._db, article_ids)
        sites = _site_urls(self._db, article_ids)
        return [
            ExportArticle(
                article=articles[aid],
                highlights=tuple(highlights.get(aid, ())),
                notes=tuple(notes.get(aid, ())),
                tags=tuple(sorted(tags.get(aid, set()), key=str.casefold)),
                site_url=sites.get(aid),
            )
            for aid in article_ids
            if aid in articles
        ]

    def export_markdown(
        self,
        directory: Path,
        *,
        article_ids: Iterable[ArticleId] | None = None,
        feed_ids: Iterable[FeedId] | None = None,
        folder_id: FolderId | None = None,
    ) -> ExportReport:
        """Write one Markdown file per annotated article (all, or those asked for) into
        ``directory``; files the user edited are kept and reported, never overwritten."""
        from reader.core import export

        ids = store.annotated_article_ids(
            self._db,
            article_ids=list(article_ids) if article_ids is not None else None,
            feed_ids=list(feed_ids) if feed_ids is not None else None,
            folder_id=folder_id,
        )
        labels = self.color_labels()
        items: list[ExportArticle] = []
        for start in range(0, len(ids), 500):
            items.extend(self.export_items(ids[start : start + 500]))
        return export.export_articles(Path(directory), items, labels, utcnow())

    def markdown_for_article(self, article_id: ArticleId) -> str:
        """One article's highlights and notes as Markdown, for the clipboard."""
        from reader.core import export

        items = self.export_items([article_id])
        if not items:
            raise store.AnnotationError(f"There is no article {article_id}.")
        return export.markdown_for_clipboard(items[0], self.color_labels())

    # ---- W3C Web Annotation JSON ----------------------------------------------------------

    def export_annotations_json(self) -> bytes:
        """Every highlight and note, deleted ones as tombstones, as W3C Web Annotation JSON."""
        from reader import __version__

        records = _highlight_records(self._db) + _note_records(self._db)
        collection = to_collection(
            records, labels=self.color_labels(), generator_version=__version__, now=utcnow()
        )
        return dump_collection(collection)

    def import_annotations(self, data: bytes) -> tuple[ImportReport, Changes]:
        """Merge an annotations file into this library, all in one transaction."""
        parsed = parse_collection(data)
        importer = _Importer(self._db)
        with self._transaction():
            for record in parsed.records:
                importer.merge(record)
            # A colour named in the file takes its name here unless the user named it already.
            unnamed = {c for c, lbl in self.color_labels().items() if lbl == default_label(c)}
            for color, label in parsed.labels.items():
                if color in unnamed and label.strip():
                    store_color_label(self._db, color, label)
        report = ImportReport(
            added=importer.added,
            updated=importer.updated,
            unchanged=importer.unchanged,
            orphans=importer.orphans,
            unmatched=tuple(sorted(importer.unmatched)),
            skipped=parsed.skipped,
        )
        changes = Changes(
            highlights=frozenset(importer.highlights),
            notes=frozenset(importer.notes),
            articles=frozenset(importer.articles),
            tags=bool(importer.highlights or importer.notes),
            labels=bool(parsed.labels),
        )
        return report, changes


# ---- reading for export --------------------------------------------------------------------


def _tags_by_article(db: Database, article_ids: Sequence[ArticleId]) -> dict[ArticleId, set[str]]:
    """Each article's tags and its live highlights' tags: what the front matter lists."""
    found: dict[ArticleId, set[str]] = {}
    marks = placeholders(len(article_ids))
    rows = fetch_all(
        db,
        "SELECT at.article_id AS aid, t.name FROM article_tags at JOIN tags t ON t.id = at.tag_id "
        f"WHERE at.article_id IN ({marks}) UNION "
        "SELECT h.article_id AS aid, t.name FROM highlights h "
        "JOIN highlight_tags ht ON ht.highlight_id = h.id JOIN tags t ON t.id = ht.tag_id "
        f"WHERE h.deleted_at IS NULL AND h.article_id IN ({marks})",
        [*article_ids, *article_ids],
    )
    for row in rows:
        found.setdefault(ArticleId(row["aid"]), set()).add(row["name"])
    return found


def _site_urls(db: Database, article_ids: Sequence[ArticleId]) -> dict[ArticleId, str]:
    marks = placeholders(len(article_ids))
    rows = fetch_all(
        db,
        "SELECT a.id, f.site_url FROM articles a JOIN feeds f ON f.id = a.feed_id "
        f"WHERE a.id IN ({marks}) AND f.site_url IS NOT NULL",
        list(article_ids),
    )
    return {ArticleId(r["id"]): r["site_url"] for r in rows}


_REF_COLUMNS = (
    "a.link AS a_link, coalesce(nullif(a.title, ''), '(untitled)') AS a_title, "
    "f.url AS a_feed_url, a.key AS a_key, a.published_at AS a_published"
)


def _ref(row: Row) -> ArticleRef:
    return ArticleRef(
        url=row["a_link"],
        title=row["a_title"],
        feed_url=row["a_feed_url"],
        key=row["a_key"],
        published=from_db(row["a_published"]),
    )


def _highlight_records(db: Database) -> list[AnnotationRecord]:
    rows = fetch_all(
        db,
        f"SELECT h.*, {_REF_COLUMNS}, (SELECT group_concat(t.name, char(31)) FROM highlight_tags "
        "ht JOIN tags t ON t.id = ht.tag_id WHERE ht.highlight_id = h.id) AS tag_names "
        "FROM highlights h JOIN articles a ON a.id = h.article_id "
        "LEFT JOIN feeds f ON f.id = a.feed_id ORDER BY h.id",
    )
    return [
        AnnotationRecord(
            uuid=r["uuid"],
            kind=KIND_HIGHLIGHT,
            article=_ref(r),
            quote=r["quote"],
            prefix=r["prefix"],
            suffix=r["suffix"],
            start=r["start"],
            end=r["end"],
            color=r["color"],
            body=r["note"],
            tags=tuple(r["tag_names"].split("\x1f")) if r["tag_names"] else (),
            created=from_db_required(r["created_at"]),
            modified=from_db_required(r["updated_at"]),
            deleted=from_db(r["deleted_at"]),
            anchor=r["anchor_status"],
        )
        for r in rows
    ]


def _note_records(db: Database) -> list[AnnotationRecord]:
    rows = fetch_all(
        db,
        f"SELECT n.*, {_REF_COLUMNS} FROM notes n JOIN articles a ON a.id = n.article_id "
        "LEFT JOIN feeds f ON f.id = a.feed_id ORDER BY n.id",
    )
    return [
        AnnotationRecord(
            uuid=r["uuid"],
            kind=KIND_NOTE,
            article=_ref(r),
            quote=None,
            prefix=None,
            suffix=None,
            start=None,
            end=None,
            color=None,
            body=r["body"],
            tags=(),
            created=from_db_required(r["created_at"]),
            modified=from_db_required(r["updated_at"]),
            deleted=from_db(r["deleted_at"]),
            anchor=None,
        )
        for r in rows
    ]


# ---- importing -----------------------------------------------------------------------------


class _Importer:
    """Merges records one by one inside the caller's transaction, counting what happened."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.added = self.updated = self.unchanged = self.orphans = 0
        self.unmatched: set[str] = set()
        self.highlights: set[HighlightId] = set()
        self.notes: set[NoteId] = set()
        self.articles: set[ArticleId] = set()
        self._articles: dict[tuple[str | None, str | None, str | None], ArticleId | None] = {}

    def article_for(self, ref: ArticleRef) -> ArticleId | None:
        cache_key = (ref.url, ref.feed_url, ref.key)
        if cache_key in self._articles:
            return self._articles[cache_key]
        found: Row | None = None
        if ref.url:
            found = fetch_one(
                self.db, "SELECT id FROM articles WHERE link = ? ORDER BY id LIMIT 1", [ref.url]
            )
        if found is None and ref.feed_url and ref.key:
            found = fetch_one(
                self.db,
                "SELECT a.id FROM articles a JOIN feeds f ON f.id = a.feed_id "
                "WHERE f.url = ? AND a.key = ?",
                [ref.feed_url, ref.key],
            )
        article_id = ArticleId(found["id"]) if found is not None else None
        self._articles[cache_key] = article_id
        return article_id

    def merge(self, record: AnnotationRecord) -> None:
        article_id = self.article_for(record.article)
        if article_id is None:
            self.unmatched.add(record.article.url or record.article.title)
            return
        table = "highlights" if record.kind == KIND_HIGHLIGHT else "notes"
        existing = fetch_one(
            self.db,
            f"SELECT id, article_id, updated_at, deleted_at FROM {table} WHERE uuid = ?",
            [record.uuid],
        )
        if existing is None:
            if record.kind == KIND_HIGHLIGHT:
                self._add_highlight(article_id, record)
            else:
                self._add_note(article_id, record)
            self.added += 1
            return
        decision = merge_decision(
            from_db_required(existing["updated_at"]), from_db(existing["deleted_at"]), record
        )
        if decision != "take":
            self.unchanged += 1
            return
        self.updated += 1
        self.articles.add(ArticleId(existing["article_id"]))
        if record.kind == KIND_HIGHLIGHT:
            highlight_id = HighlightId(existing["id"])
            execute(
                self.db,
                "UPDATE highlights SET color = ?, note = ?, updated_at = ?, deleted_at = ? "
                "WHERE id = ?",
                [
                    _color(record.color),
                    record.body,
                    to_db(record.modified),
                    to_db(record.deleted),
                    highlight_id,
                ],
            )
            self._set_highlight_tags(highlight_id, record)
            self.highlights.add(highlight_id)
        else:
            note_id = NoteId(existing["id"])
            execute(
                self.db,
                "UPDATE notes SET body = ?, updated_at = ?, deleted_at = ? WHERE id = ?",
                [record.body or "", to_db(record.modified), to_db(record.deleted), note_id],
            )
            tag_store.set_article_note_tags(self.db, ArticleId(existing["article_id"]))
            self.notes.add(note_id)

    def _add_highlight(self, article_id: ArticleId, record: AnnotationRecord) -> None:
        quote = record.quote or ""
        try:
            text_id, text, _sha = store.current_text(self.db, article_id)
        except store.AnnotationError:
            text_id, text = None, ""
        start = record.start if record.start is not None else 0
        end = record.end if record.end is not None else start + len(quote)
        selector = anchoring.Selector(quote, record.prefix or "", record.suffix or "", start, end)
        found = anchoring.anchor(selector, text) if text else anchoring.ORPHAN
        if found.status == "orphan":
            self.orphans += 1
        highlight_id = HighlightId(
            execute(
                self.db,
                "INSERT INTO highlights (uuid, article_id, created_on_text_id, quote, prefix, "
                'suffix, start, "end", color, note, created_at, updated_at, deleted_at, '
                "anchor_status, anchored_text_id, anchor_start, anchor_end, anchor_score) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    _uuid(record.uuid),
                    article_id,
                    text_id,
                    quote,
                    selector.prefix,
                    selector.suffix,
                    start,
                    end,
                    _color(record.color),
                    record.body,
                    to_db(record.created),
                    to_db(record.modified),
                    to_db(record.deleted),
                    found.status,
                    text_id,
                    found.start,
                    found.end,
                    found.score,
                ],
            )
        )
        self._set_highlight_tags(highlight_id, record)
        self.highlights.add(highlight_id)
        self.articles.add(article_id)

    def _set_highlight_tags(self, highlight_id: HighlightId, record: AnnotationRecord) -> None:
        from_note = set(tag_store.tags_in_note(record.body))
        typed = [t for t in tag_store.normalize_tags(record.tags) if t not in from_note]
        tag_store.set_highlight_tags(self.db, highlight_id, typed)
        tag_store.set_highlight_note_tags(self.db, highlight_id, record.body)

    def _add_note(self, article_id: ArticleId, record: AnnotationRecord) -> None:
        note_id = NoteId(
            execute(
                self.db,
                "INSERT INTO notes (uuid, article_id, body, created_at, updated_at, deleted_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    _uuid(record.uuid),
                    article_id,
                    record.body or "",
                    to_db(record.created),
                    to_db(record.modified),
                    to_db(record.deleted),
                ],
            )
        )
        tag_store.set_article_note_tags(self.db, article_id)
        self.notes.add(note_id)
        self.articles.add(article_id)


def _color(color: str | None) -> str:
    return color if color in HIGHLIGHT_COLORS else DEFAULT_HIGHLIGHT_COLOR


def _uuid(value: str) -> str:
    """Keep the file's id (that is what makes a second import a no-op)."""
    return value or str(uuidlib.uuid4())
