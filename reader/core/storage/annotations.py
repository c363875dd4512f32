"""Highlights and notes as stored. Writing them (and re-anchoring) arrives with highlighting;
reading is here now so the window's highlights & notes pane shows what the library holds."""

from __future__ import annotations

from sqlite_utils import Database

from reader.core.storage.sql import fetch_all
from reader.core.timeutil import from_db_required
from reader.core.types import ArticleId, Highlight, HighlightId, Note, NoteId


def list_highlights(db: Database, article_id: ArticleId | None) -> list[Highlight]:
    """Live highlights (tombstones excluded) in article order; newest first across articles."""
    where = "h.deleted_at IS NULL"
    params: list[object] = []
    order = "h.created_at DESC, h.id DESC"
    if article_id is not None:
        where += " AND h.article_id = ?"
        params.append(article_id)
        order = "coalesce(h.anchor_start, h.start), h.id"
    rows = fetch_all(
        db,
        "SELECT h.*, (SELECT group_concat(t.name, char(31)) FROM highlight_tags ht "
        "JOIN tags t ON t.id = ht.tag_id WHERE ht.highlight_id = h.id) AS tag_names "
        f"FROM highlights h WHERE {where} ORDER BY {order}",
        params,
    )
    return [
        Highlight(
            id=HighlightId(r["id"]),
            article_id=ArticleId(r["article_id"]),
            quote=r["quote"],
            prefix=r["prefix"],
            suffix=r["suffix"],
            start=r["anchor_start"] if r["anchor_start"] is not None else r["start"],
            end=r["anchor_end"] if r["anchor_end"] is not None else r["end"],
            color=r["color"],
            note=r["note"],
            tags=tuple(sorted(r["tag_names"].split("\x1f"))) if r["tag_names"] else (),
            anchor=r["anchor_status"],
            created_at=from_db_required(r["created_at"]),
            updated_at=from_db_required(r["updated_at"]),
        )
        for r in rows
    ]


def list_notes(db: Database, article_id: ArticleId) -> list[Note]:
    rows = fetch_all(
        db,
        "SELECT id, article_id, body, created_at, updated_at FROM notes "
        "WHERE article_id = ? AND deleted_at IS NULL ORDER BY created_at, id",
        [article_id],
    )
    return [
        Note(
            id=NoteId(r["id"]),
            article_id=ArticleId(r["article_id"]),
            body=r["body"],
            created_at=from_db_required(r["created_at"]),
            updated_at=from_db_required(r["updated_at"]),
        )
        for r in rows
    ]
