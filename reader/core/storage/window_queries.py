"""Reads the window needs beyond the CLI's: rows by id, the starred count, other sort orders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from reader.core.storage.articles import _ARTICLE_COLUMNS, _filter_sql, _to_article
from reader.core.storage.sql import chunks, fetch_all, placeholders, scalar
from reader.core.types import Article, ArticleFilter, ArticleId

# Sort keys the article list offers besides date; each maps to an SQL expression whose value,
# with the id, makes the keyset cursor.
SORT_EXPRESSIONS = {
    "title": "a.title COLLATE NOCASE",
    "feed": "coalesce(f.user_title, f.title, a.source_title, '') COLLATE NOCASE",
}


@dataclass(frozen=True, slots=True)
class SortedCursor:
    """Keyset position for a title or feed ordering: the last row's sort value and id."""

    value: str
    id: ArticleId


def articles_by_id(db: Database, ids: Sequence[ArticleId]) -> list[Article]:
    """The articles that still exist among ``ids``, in no particular order."""
    found: list[Article] = []
    for part in chunks(list(ids)):
        found.extend(
            _to_article(row)
            for row in fetch_all(
                db,
                f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id "
                f"WHERE a.id IN ({placeholders(len(part))})",
                list(part),
            )
        )
    return found


def starred_count(db: Database) -> int:
    return int(scalar(db, "SELECT count(*) FROM articles WHERE starred = 1") or 0)


def saved_unread_count(db: Database) -> int:
    """Saved articles have no feed, so the per-feed counts leave them out."""
    return int(scalar(db, "SELECT count(*) FROM articles WHERE saved = 1 AND read = 0") or 0)


def list_articles_sorted(
    db: Database,
    flt: ArticleFilter,
    sort: str,
    descending: bool,
    after: SortedCursor | None,
    limit: int,
) -> tuple[list[Article], SortedCursor | None]:
    """One page ordered by title or feed name (then id), continuing after ``after``."""
    expression = SORT_EXPRESSIONS[sort]
    where, params = _filter_sql(flt)
    direction = "DESC" if descending else "ASC"
    if after is not None:
        op = "<" if descending else ">"
        where.append(f"({expression} {op} ? OR ({expression} = ? AND a.id {op} ?))")
        params.extend([after.value, after.value, after.id])
    sql = (
        f"SELECT {_ARTICLE_COLUMNS}, {expression} AS sort_value FROM articles a "
        "LEFT JOIN feeds f ON f.id = a.feed_id "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + f"ORDER BY {expression} {direction}, a.id {direction} LIMIT ?"
    )
    params.append(limit + 1)
    rows = fetch_all(db, sql, params)
    articles = [_to_article(r) for r in rows[:limit]]
    cursor = None
    if len(rows) > limit and articles:
        cursor = SortedCursor(str(rows[limit - 1]["sort_value"]), articles[-1].id)
    return articles, cursor
