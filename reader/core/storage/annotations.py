"""Highlights and notes as stored: creating, editing, tombstoning and re-anchoring them.

Nothing here deletes a user's words (rule 7). Deleting sets ``deleted_at`` (a tombstone, so
undo, merges and imports never resurrect or lose an edit); a highlight whose passage is gone
becomes an ``orphan`` and keeps its quote, note and tags. Every write runs inside the caller's
transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid as uuidlib
from collections.abc import Sequence

from sqlite_utils import Database

from reader.core import anchor as anchoring
from reader.core.content import remove_invisible, strip_control_chars
from reader.core.errors import GlossError
from reader.core.storage import tags as tag_store
from reader.core.storage.sql import Row, chunks, execute, fetch_all, fetch_one, placeholders
from reader.core.timeutil import from_db, from_db_required, to_db
from reader.core.types import (
    HIGHLIGHT_COLORS,
    AnchorStatus,
    ArticleId,
    FeedId,
    Highlight,
    HighlightEntry,
    HighlightFilter,
    HighlightId,
    Note,
    NoteEntry,
    NoteId,
    ReanchorReport,
    TextId,
)


class AnnotationError(GlossError):
    pass


class QuoteNotFoundError(AnnotationError):
    pass


MAX_NOTE_CHARS = 1_000_000

_HIGHLIGHT_COLUMNS = (
    "h.*, (SELECT group_concat(t.name, char(31)) FROM highlight_tags ht "
    "JOIN tags t ON t.id = ht.tag_id WHERE ht.highlight_id = h.id) AS tag_names"
)


def check_color(color: str) -> str:
    if color not in HIGHLIGHT_COLORS:
        raise AnnotationError(
            f"Unknown highlight colour {color!r}; use one of: {', '.join(HIGHLIGHT_COLORS)}."
        )
    return color


def _clean_note(note: str | None) -> str | None:
    if note is None:
        return None
    if len(note) > MAX_NOTE_CHARS:
        raise AnnotationError("That note is too long (over a million characters).")
    return note if note.strip() else None


def _highlight(row: Row) -> Highlight:
    anchored = row["anchor_start"] is not None
    return Highlight(
        id=HighlightId(row["id"]),
        article_id=ArticleId(row["article_id"]),
        quote=row["quote"],
        prefix=row["prefix"],
        suffix=row["suffix"],
        start=row["anchor_start"] if anchored else row["start"],
        end=row["anchor_end"] if anchored else row["end"],
        color=row["color"],
        note=row["note"],
        tags=tuple(sorted(row["tag_names"].split("\x1f"), key=str.casefold))
        if row["tag_names"]
        else (),
        anchor=row["anchor_status"],
        created_at=from_db_required(row["created_at"]),
        updated_at=from_db_required(row["updated_at"]),
        uuid=row["uuid"],
        text_id=TextId(row["anchored_text_id"]) if row["anchored_text_id"] is not None else None,
        score=row["anchor_score"],
        deleted_at=from_db(row["deleted_at"]),
    )


def _note(row: Row) -> Note:
    return Note(
        id=NoteId(row["id"]),
        article_id=ArticleId(row["article_id"]),
        body=row["body"],
        created_at=from_db_required(row["created_at"]),
        updated_at=from_db_required(row["updated_at"]),
    )


# ---- reading -------------------------------------------------------------------------------


def list_highlights(db: Database, article_id: ArticleId | None) -> list[Highlight]:
    """Live highlights (tombstones excluded): one article's in reading order, orphans last;
    across the library newest first."""
    where = "h.deleted_at IS NULL"
    params: list[object] = []
    order = "h.created_at DESC, h.id DESC"
    if article_id is not None:
        where += " AND h.article_id = ?"
        params.append(article_id)
        order = "h.anchor_start IS NULL, coalesce(h.anchor_start, h.start), h.id"
    rows = fetch_all(
        db, f"SELECT {_HIGHLIGHT_COLUMNS} FROM highlights h WHERE {where} ORDER BY {order}", params
    )
    return [_highlight(r) for r in rows]


def highlights_for_articles(
    db: Database, article_ids: Sequence[ArticleId]
) -> dict[ArticleId, list[Highlight]]:
    """Live highlights of many articles at once (export), each list in reading order."""
    found: dict[ArticleId, list[Highlight]] = {}
    for part in chunks(list(article_ids)):
        rows = fetch_all(
            db,
            f"SELECT {_HIGHLIGHT_COLUMNS} FROM highlights h WHERE h.deleted_at IS NULL "
            f"AND h.article_id IN ({placeholders(len(part))}) "
            "ORDER BY h.article_id, h.anchor_start IS NULL, coalesce(h.anchor_start, h.start), "
            "h.id",
            part,
        )
        for row in rows:
            found.setdefault(ArticleId(row["article_id"]), []).append(_highlight(row))
    return found


def notes_for_articles(
    db: Database, article_ids: Sequence[ArticleId]
) -> dict[ArticleId, list[Note]]:
    found: dict[ArticleId, list[Note]] = {}
    for part in chunks(list(article_ids)):
        rows = fetch_all(
            db,
            "SELECT * FROM notes WHERE deleted_at IS NULL "
            f"AND article_id IN ({placeholders(len(part))}) ORDER BY article_id, created_at, id",
            part,
        )
        for row in rows:
            found.setdefault(ArticleId(row["article_id"]), []).append(_note(row))
    return found


def get_highlight(db: Database, highlight_id: HighlightId) -> Highlight:
    row = fetch_one(
        db, f"SELECT {_HIGHLIGHT_COLUMNS} FROM highlights h WHERE h.id = ?", [highlight_id]
    )
    if row is None:
        raise AnnotationError(f"There is no highlight {highlight_id}.")
    return _highlight(row)


def list_notes(db: Database, article_id: ArticleId) -> list[Note]:
    rows = fetch_all(
        db,
        "SELECT * FROM notes WHERE article_id = ? AND deleted_at IS NULL ORDER BY created_at, id",
        [article_id],
    )
    return [_note(r) for r in rows]


def get_note(db: Database, note_id: NoteId) -> Note:
    row = fetch_one(db, "SELECT * FROM notes WHERE id = ?", [note_id])
    if row is None:
        raise AnnotationError(f"There is no note {note_id}.")
    return _note(row)


def _article_and_feed_columns() -> str:
    return (
        "coalesce(nullif(a.title, ''), '(untitled)') AS article_title, "
        "coalesce(f.user_title, f.title, a.source_title) AS feed_title, a.feed_id AS feed_id"
    )


def list_highlight_entries(db: Database, flt: HighlightFilter) -> list[HighlightEntry]:
    where = ["h.deleted_at IS NULL"]
    params: list[object] = []
    if flt.colors is not None:
        where.append(f"h.color IN ({placeholders(len(flt.colors))})" if flt.colors else "0")
        params.extend(flt.colors)
    if flt.tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM highlight_tags ht JOIN tags t ON t.id = ht.tag_id "
            "WHERE ht.highlight_id = h.id AND t.name = ?)"
        )
        params.append(flt.tag)
    if flt.feed_ids is not None:
        where.append(f"a.feed_id IN ({placeholders(len(flt.feed_ids))})" if flt.feed_ids else "0")
        params.extend(flt.feed_ids)
    if flt.article_id is not None:
        where.append("h.article_id = ?")
        params.append(flt.article_id)
    if flt.orphans_only:
        where.append("h.anchor_status = 'orphan'")
    if flt.before is not None:
        where.append("(h.created_at < ? OR (h.created_at = ? AND h.id < ?))")
        created = to_db(flt.before[0])
        params.extend([created, created, flt.before[1]])
    limit = f" LIMIT {int(flt.limit)}" if flt.limit is not None else ""
    rows = fetch_all(
        db,
        f"SELECT {_HIGHLIGHT_COLUMNS}, {_article_and_feed_columns()} FROM highlights h "
        "JOIN articles a ON a.id = h.article_id LEFT JOIN feeds f ON f.id = a.feed_id "
        f"WHERE {' AND '.join(where)} ORDER BY h.created_at DESC, h.id DESC{limit}",
        params,
    )
    return [
        HighlightEntry(
            _highlight(r),
            r["article_title"],
            r["feed_title"],
            FeedId(r["feed_id"]) if r["feed_id"] is not None else None,
        )
        for r in rows
    ]


def list_note_entries(
    db: Database,
    feed_ids: Sequence[FeedId] | None = None,
    tag: str | None = None,
    limit: int | None = None,
    before: tuple[dt.datetime, NoteId] | None = None,
) -> list[NoteEntry]:
    where = ["n.deleted_at IS NULL"]
    params: list[object] = []
    if feed_ids is not None:
        where.append(f"a.feed_id IN ({placeholders(len(feed_ids))})" if feed_ids else "0")
        params.extend(feed_ids)
    if tag is not None:
        where.append(
            "EXISTS (SELECT 1 FROM article_tags at JOIN tags t ON t.id = at.tag_id "
            "WHERE at.article_id = n.article_id AND t.name = ?)"
        )
        params.append(tag)
    if before is not None:
        where.append("(n.created_at < ? OR (n.created_at = ? AND n.id < ?))")
        created = to_db(before[0])
        params.extend([created, created, before[1]])
    limit_sql = f" LIMIT {int(limit)}" if limit is not None else ""
    rows = fetch_all(
        db,
        f"SELECT n.*, {_article_and_feed_columns()} FROM notes n "
        "JOIN articles a ON a.id = n.article_id LEFT JOIN feeds f ON f.id = a.feed_id "
        f"WHERE {' AND '.join(where)} ORDER BY n.created_at DESC, n.id DESC{limit_sql}",
        params,
    )
    return [
        NoteEntry(
            _note(r),
            r["article_title"],
            r["feed_title"],
            FeedId(r["feed_id"]) if r["feed_id"] is not None else None,
        )
        for r in rows
    ]


# ---- the article's current text ------------------------------------------------------------


def current_text(db: Database, article_id: ArticleId) -> tuple[TextId, str, str]:
    """(id, canonical text, sha256) of what the reading view shows for the article."""
    row = fetch_one(
        db,
        "SELECT a.id AS article, t.id, t.text, t.text_sha256 FROM articles a "
        "LEFT JOIN article_texts t ON t.id = a.current_text_id WHERE a.id = ?",
        [article_id],
    )
    if row is None:
        raise AnnotationError(f"There is no article {article_id}.")
    if row["id"] is None or not row["text"]:
        raise AnnotationError("This article has no text to highlight.")
    return TextId(row["id"]), row["text"], row["text_sha256"]


def _trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    if not 0 <= start < end <= len(text):
        raise AnnotationError(
            f"The span {start}–{end} is outside the article's text ({len(text)} characters)."
        )
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if start == end:
        raise AnnotationError("Select some words to highlight (the selection is only spaces).")
    return start, end


def find_quote(text: str, quote: str, occurrence: int = 1) -> tuple[int, int]:
    """The span of the ``occurrence``-th appearance of ``quote`` in canonical ``text``.

    The quote is compared the way the canonical text is built: NFC, invisible characters gone,
    any run of whitespace (including a paragraph break) matching any other.
    """
    if occurrence < 1:
        raise AnnotationError("--occurrence counts from 1.")
    cleaned = unicodedata.normalize("NFC", remove_invisible(strip_control_chars(quote)))
    words = cleaned.split()
    if not words:
        raise AnnotationError("The quote is empty.")
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    matches = list(pattern.finditer(text))
    if not matches:
        raise QuoteNotFoundError(f"The article does not contain “{_short(quote)}”.")
    if occurrence > len(matches):
        raise QuoteNotFoundError(
            f"“{_short(quote)}” occurs {len(matches)} time(s) in the article, not {occurrence}."
        )
    match = matches[occurrence - 1]
    return match.start(), match.end()


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- writing highlights --------------------------------------------------------------------


def insert_highlight(
    db: Database,
    article_id: ArticleId,
    start: int,
    end: int,
    *,
    color: str,
    note: str | None,
    now: dt.datetime,
) -> HighlightId:
    text_id, text, _sha = current_text(db, article_id)
    start, end = _trim_span(text, start, end)
    selector = anchoring.make_selector(text, start, end)
    note = _clean_note(note)
    now_db = to_db(now)
    highlight_id = execute(
        db,
        "INSERT INTO highlights (uuid, article_id, created_on_text_id, quote, prefix, suffix, "
        'start, "end", block_ordinal, color, note, created_at, updated_at, anchor_status, '
        "anchored_text_id, anchor_start, anchor_end, anchor_score) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'exact', ?, ?, ?, 1.0)",
        [
            str(uuidlib.uuid4()),
            article_id,
            text_id,
            selector.quote,
            selector.prefix,
            selector.suffix,
            start,
            end,
            text.count("\n\n", 0, start),
            check_color(color),
            note,
            now_db,
            now_db,
            text_id,
            start,
            end,
        ],
    )
    tag_store.set_highlight_note_tags(db, HighlightId(highlight_id), note)
    return HighlightId(highlight_id)


def _live_highlight_row(db: Database, highlight_id: HighlightId) -> Row:
    row = fetch_one(db, "SELECT * FROM highlights WHERE id = ?", [highlight_id])
    if row is None:
        raise AnnotationError(f"There is no highlight {highlight_id}.")
    if row["deleted_at"] is not None:
        raise AnnotationError("That highlight was deleted.")
    return row


def update_highlight(
    db: Database, highlight_id: HighlightId, now: dt.datetime, **columns: object
) -> ArticleId:
    row = _live_highlight_row(db, highlight_id)
    if "color" in columns:
        check_color(str(columns["color"]))
    if "note" in columns:
        columns["note"] = _clean_note(columns["note"])  # type: ignore[arg-type]
    assignments = "".join(f"{name} = ?, " for name in columns)
    execute(
        db,
        f"UPDATE highlights SET {assignments}updated_at = ? WHERE id = ?",
        [*columns.values(), to_db(now), highlight_id],
    )
    if "note" in columns:
        tag_store.set_highlight_note_tags(db, highlight_id, columns["note"])  # type: ignore[arg-type]
    return ArticleId(row["article_id"])


def set_deleted(
    db: Database, table: str, item_id: int, deleted: bool, now: dt.datetime
) -> ArticleId:
    """Tombstone (or bring back) a highlight or note; the row and its words stay."""
    row = fetch_one(db, f"SELECT article_id, deleted_at FROM {table} WHERE id = ?", [item_id])
    if row is None:
        kind = "highlight" if table == "highlights" else "note"
        raise AnnotationError(f"There is no {kind} {item_id}.")
    now_db = to_db(now)
    execute(
        db,
        f"UPDATE {table} SET deleted_at = ?, updated_at = ? WHERE id = ?",
        [now_db if deleted else None, now_db, item_id],
    )
    return ArticleId(row["article_id"])


def reattach_highlight(
    db: Database, highlight_id: HighlightId, start: int, end: int, now: dt.datetime
) -> ArticleId:
    """Pin a highlight to a span the user chose in the current text (orphan, fuzzy, ambiguous).

    The quote and context become those of the new span: the user has said where it belongs,
    and future re-anchoring must follow that, not the lost wording.
    """
    row = _live_highlight_row(db, highlight_id)
    article_id = ArticleId(row["article_id"])
    text_id, text, _sha = current_text(db, article_id)
    start, end = _trim_span(text, start, end)
    selector = anchoring.make_selector(text, start, end)
    execute(
        db,
        "UPDATE highlights SET created_on_text_id = ?, quote = ?, prefix = ?, suffix = ?, "
        "start = ?, \"end\" = ?, block_ordinal = ?, anchor_status = 'exact', "
        "anchored_text_id = ?, anchor_start = ?, anchor_end = ?, anchor_score = 1.0, "
        "updated_at = ? WHERE id = ?",
        [
            text_id,
            selector.quote,
            selector.prefix,
            selector.suffix,
            start,
            end,
            text.count("\n\n", 0, start),
            text_id,
            start,
            end,
            to_db(now),
            highlight_id,
        ],
    )
    return article_id


def alternatives(db: Database, highlight_id: HighlightId) -> list[tuple[int, int]]:
    """Other equally good places of an ambiguous highlight (T11: the UI offers them)."""
    row = _live_highlight_row(db, highlight_id)
    if row["anchor_status"] != AnchorStatus.AMBIGUOUS:
        return []
    _text_id, text, _sha = current_text(db, ArticleId(row["article_id"]))
    found = anchoring.anchor(_selector(row), text)
    return list(found.alternatives)


# ---- writing notes -------------------------------------------------------------------------


def insert_note(db: Database, article_id: ArticleId, body: str, now: dt.datetime) -> NoteId:
    if fetch_one(db, "SELECT 1 FROM articles WHERE id = ?", [article_id]) is None:
        raise AnnotationError(f"There is no article {article_id}.")
    cleaned = _clean_note(body)
    if cleaned is None:
        raise AnnotationError("A note needs some text.")
    now_db = to_db(now)
    note_id = execute(
        db,
        "INSERT INTO notes (uuid, article_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        [str(uuidlib.uuid4()), article_id, body, now_db, now_db],
    )
    tag_store.set_article_note_tags(db, article_id)
    return NoteId(note_id)


def update_note(db: Database, note_id: NoteId, body: str, now: dt.datetime) -> ArticleId:
    row = fetch_one(db, "SELECT article_id, deleted_at, body FROM notes WHERE id = ?", [note_id])
    if row is None:
        raise AnnotationError(f"There is no note {note_id}.")
    if row["deleted_at"] is not None:
        raise AnnotationError("That note was deleted.")
    if len(body) > MAX_NOTE_CHARS:
        raise AnnotationError("That note is too long (over a million characters).")
    article_id = ArticleId(row["article_id"])
    if row["body"] != body:
        execute(
            db,
            "UPDATE notes SET body = ?, updated_at = ? WHERE id = ?",
            [body, to_db(now), note_id],
        )
        tag_store.set_article_note_tags(db, article_id)
    return article_id


# ---- re-anchoring --------------------------------------------------------------------------


def _selector(row: Row) -> anchoring.Selector:
    """The stored selector, with the latest known position as the hint."""
    start = row["anchor_start"] if row["anchor_start"] is not None else row["start"]
    end = row["anchor_end"] if row["anchor_end"] is not None else row["end"]
    return anchoring.Selector(row["quote"], row["prefix"], row["suffix"], start, end)


def reanchor_article(db: Database, article_id: ArticleId, *, force: bool = False) -> ReanchorReport:
    """Anchor every highlight of the article (tombstones too) in its current text.

    Runs when the current text version changes (refresh, re-extraction) and when the canonical
    form changes (``force``). Highlights already anchored in the current version are left as
    they are unless forced. Orphans keep their quote, note and original offsets.
    """
    try:
        text_id, text, _sha = current_text(db, article_id)
    except AnnotationError:
        return ReanchorReport()
    rows = fetch_all(
        db,
        "SELECT * FROM highlights WHERE article_id = ? "
        + ("" if force else "AND (anchored_text_id IS NOT ? OR anchored_text_id IS NULL)"),
        [article_id] if force else [article_id, text_id],
    )
    counts = dict.fromkeys(AnchorStatus, 0)
    for row in rows:
        same_version = row["anchored_text_id"] == text_id or (
            row["anchor_start"] is None and row["created_on_text_id"] == text_id
        )
        found = anchoring.anchor(_selector(row), text, same_version=same_version)
        status = AnchorStatus(found.status)
        counts[status] += 1
        execute(
            db,
            "UPDATE highlights SET anchor_status = ?, anchored_text_id = ?, anchor_start = ?, "
            "anchor_end = ?, anchor_score = ? WHERE id = ?",
            [status.value, text_id, found.start, found.end, found.score, row["id"]],
        )
    return ReanchorReport(
        exact=counts[AnchorStatus.EXACT],
        relocated=counts[AnchorStatus.RELOCATED],
        fuzzy=counts[AnchorStatus.FUZZY],
        ambiguous=counts[AnchorStatus.AMBIGUOUS],
        orphan=counts[AnchorStatus.ORPHAN],
    )


def articles_with_highlights(
    db: Database, article_ids: Sequence[ArticleId] | None = None
) -> list[ArticleId]:
    if article_ids is None:
        rows = fetch_all(db, "SELECT DISTINCT article_id FROM highlights ORDER BY article_id")
        return [ArticleId(r["article_id"]) for r in rows]
    found: list[ArticleId] = []
    for part in chunks(list(article_ids)):
        rows = fetch_all(
            db,
            "SELECT DISTINCT article_id FROM highlights "
            f"WHERE article_id IN ({placeholders(len(part))})",
            part,
        )
        found.extend(ArticleId(r["article_id"]) for r in rows)
    return found


def annotated_article_ids(
    db: Database,
    *,
    article_ids: Sequence[ArticleId] | None = None,
    feed_ids: Sequence[FeedId] | None = None,
    folder_id: int | None = None,
) -> list[ArticleId]:
    """Articles with a live highlight or note, narrowed as asked (what an export covers)."""
    where = [
        "(EXISTS (SELECT 1 FROM highlights h WHERE h.article_id = a.id AND h.deleted_at IS NULL) "
        "OR EXISTS (SELECT 1 FROM notes n WHERE n.article_id = a.id AND n.deleted_at IS NULL))"
    ]
    params: list[object] = []
    if article_ids is not None:
        where.append(f"a.id IN ({placeholders(len(article_ids))})" if article_ids else "0")
        params.extend(article_ids)
    if feed_ids is not None:
        where.append(f"a.feed_id IN ({placeholders(len(feed_ids))})" if feed_ids else "0")
        params.extend(feed_ids)
    if folder_id is not None:
        where.append(
            "a.feed_id IN (SELECT id FROM feeds WHERE folder_id IN ("
            "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT folders.id FROM folders "
            "JOIN sub ON folders.parent_id = sub.id) SELECT id FROM sub))"
        )
        params.append(folder_id)
    rows = fetch_all(
        db, f"SELECT a.id FROM articles a WHERE {' AND '.join(where)} ORDER BY a.id", params
    )
    return [ArticleId(r["id"]) for r in rows]
