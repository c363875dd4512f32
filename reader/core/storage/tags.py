"""Tags on articles and highlights: typed in a tag field, or written as ``#tag`` in a note.

Both sources land in the same link tables with a ``from_note`` flag, so editing a note replaces
only the tags that note produced, and a tag the user typed in the field survives any note edit.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlite_utils import Database

from reader.core.errors import GlossError
from reader.core.storage.sql import execute, fetch_all, scalar
from reader.core.types import ArticleId, HighlightId, TagCount

MAX_TAG_CHARS = 64

# "#tag" as Obsidian and Logseq read it: after a start or a space, letters/digits/_-/ but not
# only digits (so "#1" and "issue #42" are not tags), and never a Markdown heading ("# Title").
_NOTE_TAG_RE = re.compile(r"(?:(?<=\s)|^)#([\w/-]*[^\W\d_][\w/-]*)", re.UNICODE)
_INVALID_TAG_RE = re.compile(r"[\s,#]+")


class TagError(GlossError):
    pass


def normalize_tag(raw: str) -> str | None:
    """The stored form of a tag, or ``None`` for nothing at all (an empty field entry).

    A leading ``#`` is optional; inner spaces and commas become ``-`` so a tag is one token in
    every tool the export lands in.
    """
    tag = unicodedata.normalize("NFC", raw).strip().lstrip("#").strip()
    tag = _INVALID_TAG_RE.sub("-", tag).strip("-")
    if not tag:
        return None
    if len(tag) > MAX_TAG_CHARS:
        raise TagError(f"A tag can be at most {MAX_TAG_CHARS} characters long: {tag[:20]}…")
    return tag


def normalize_tags(raw: Iterable[str]) -> list[str]:
    seen: dict[str, str] = {}
    for item in raw:
        for part in re.split(r"[,\s]+", item):
            tag = normalize_tag(part)
            if tag is not None:
                seen.setdefault(tag.casefold(), tag)
    return list(seen.values())


def tags_in_note(body: str | None) -> list[str]:
    """``#tags`` written in a note (code spans and fenced code are not looked at)."""
    if not body:
        return []
    text = re.sub(r"```.*?```|`[^`\n]*`", " ", body, flags=re.DOTALL)
    return normalize_tags(_NOTE_TAG_RE.findall(text))


def _tag_id(db: Database, name: str) -> int:
    found = scalar(db, "SELECT id FROM tags WHERE name = ?", [name])
    if found is not None:
        return int(found)
    return execute(db, "INSERT INTO tags (name) VALUES (?)", [name])


_TABLES = {
    "highlight": ("highlight_tags", "highlight_id"),
    "article": ("article_tags", "article_id"),
}


def _set(db: Database, kind: str, owner: int, tags: Iterable[str], from_note: bool) -> None:
    table, column = _TABLES[kind]
    flag = int(from_note)
    execute(db, f"DELETE FROM {table} WHERE {column} = ? AND from_note = ?", [owner, flag])
    for name in tags:
        tag_id = _tag_id(db, name)
        if from_note:
            # A tag also typed in the field stays a field tag (it must outlive the note).
            execute(
                db,
                f"INSERT OR IGNORE INTO {table} ({column}, tag_id, from_note) VALUES (?, ?, 1)",
                [owner, tag_id],
            )
        else:
            execute(
                db,
                f"INSERT OR REPLACE INTO {table} ({column}, tag_id, from_note) VALUES (?, ?, 0)",
                [owner, tag_id],
            )
    _drop_unused(db)


def set_highlight_tags(db: Database, highlight_id: HighlightId, tags: Iterable[str]) -> None:
    _set(db, "highlight", highlight_id, tags, from_note=False)


def set_highlight_note_tags(db: Database, highlight_id: HighlightId, note: str | None) -> None:
    _set(db, "highlight", highlight_id, tags_in_note(note), from_note=True)


def set_article_tags(db: Database, article_id: ArticleId, tags: Iterable[str]) -> None:
    _set(db, "article", article_id, tags, from_note=False)


def add_article_tags(db: Database, article_ids: Iterable[ArticleId], tags: Iterable[str]) -> None:
    """Add field tags to each article, keeping the tags it has (inside the caller's
    transaction). A tag the article already has from a note becomes a field tag too, as
    ``set_article_tags`` does, so it outlives the note."""
    names = list(tags)
    if not names:
        return
    tag_ids = [_tag_id(db, name) for name in names]
    db.conn.executemany(
        "INSERT OR REPLACE INTO article_tags (article_id, tag_id, from_note) VALUES (?, ?, 0)",
        [(article_id, tag_id) for article_id in article_ids for tag_id in tag_ids],
    )


def set_article_note_tags(db: Database, article_id: ArticleId) -> None:
    """Re-derive an article's note tags from all its live notes."""
    bodies = fetch_all(
        db, "SELECT body FROM notes WHERE article_id = ? AND deleted_at IS NULL", [article_id]
    )
    found: list[str] = []
    for row in bodies:
        found.extend(tags_in_note(row["body"]))
    _set(db, "article", article_id, normalize_tags(found), from_note=True)


def _drop_unused(db: Database) -> None:
    execute(
        db,
        "DELETE FROM tags WHERE id NOT IN (SELECT tag_id FROM article_tags) "
        "AND id NOT IN (SELECT tag_id FROM highlight_tags)",
    )


def article_tags(db: Database, article_id: ArticleId) -> tuple[str, ...]:
    rows = fetch_all(
        db,
        "SELECT t.name FROM article_tags a JOIN tags t ON t.id = a.tag_id "
        "WHERE a.article_id = ? ORDER BY t.name COLLATE NOCASE",
        [article_id],
    )
    return tuple(r["name"] for r in rows)


def article_field_tags(db: Database, article_id: ArticleId) -> tuple[str, ...]:
    """Only the tags typed in the field (what the tag field shows for editing)."""
    rows = fetch_all(
        db,
        "SELECT t.name FROM article_tags a JOIN tags t ON t.id = a.tag_id "
        "WHERE a.article_id = ? AND a.from_note = 0 ORDER BY t.name COLLATE NOCASE",
        [article_id],
    )
    return tuple(r["name"] for r in rows)


def highlight_field_tags(db: Database, highlight_id: HighlightId) -> tuple[str, ...]:
    rows = fetch_all(
        db,
        "SELECT t.name FROM highlight_tags h JOIN tags t ON t.id = h.tag_id "
        "WHERE h.highlight_id = ? AND h.from_note = 0 ORDER BY t.name COLLATE NOCASE",
        [highlight_id],
    )
    return tuple(r["name"] for r in rows)


def list_tags(db: Database) -> list[TagCount]:
    """Tags with how many live articles and highlights carry them (the feeds pane's list)."""
    rows = fetch_all(
        db,
        "SELECT t.name, "
        "(SELECT count(*) FROM article_tags a WHERE a.tag_id = t.id) AS articles, "
        "(SELECT count(*) FROM highlight_tags ht JOIN highlights h ON h.id = ht.highlight_id "
        " WHERE ht.tag_id = t.id AND h.deleted_at IS NULL) AS highlights "
        "FROM tags t ORDER BY t.name COLLATE NOCASE",
    )
    return [
        TagCount(r["name"], r["articles"], r["highlights"])
        for r in rows
        if r["articles"] or r["highlights"]
    ]
