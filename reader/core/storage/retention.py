"""Retention: a feed's read articles go after N days, unless a user put anything on them.

An article goes when it is read, its date (``sort_at``) is more than N days old, and it was read
more than N days ago too (so an old article just read stays N more days: nothing disappears
while it is being read). It is never removed while starred, saved, tagged, highlighted (even a
deleted highlight) or noted (rule 7).

A removed article's key is remembered in ``retired_keys`` so that the feed, which may still list
it, does not bring it back as new and unread on the next refresh. A key is forgotten once the
feed's document has stopped listing it for ``RETIRED_GRACE`` (a document that briefly drops an
entry and lists it again does not resurrect it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlite_utils import Database

from reader.core.storage.sql import chunks, execute, placeholders
from reader.core.timeutil import to_db
from reader.core.types import ArticleId, FeedId

MAX_KEEP_READ_DAYS = 36_500
RETIRED_GRACE = dt.timedelta(days=30)

# Anything a user put on an article keeps it (the same list as removing a feed).
_USER_STATE = (
    "a.starred = 1 OR a.saved = 1 "
    "OR EXISTS (SELECT 1 FROM highlights h WHERE h.article_id = a.id) "
    "OR EXISTS (SELECT 1 FROM notes n WHERE n.article_id = a.id) "
    "OR EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id)"
)


def feeds_with_retention(db: Database) -> list[tuple[FeedId, int]]:
    return [
        (FeedId(r[0]), int(r[1]))
        for r in db.conn.execute(
            "SELECT id, keep_read_days FROM feeds WHERE keep_read_days IS NOT NULL ORDER BY id"
        )
    ]


def set_keep_read_days(db: Database, feed_id: FeedId, days: int | None) -> None:
    execute(db, "UPDATE feeds SET keep_read_days = ? WHERE id = ?", [days, feed_id])


def expired(db: Database, feed_id: FeedId, cutoff: dt.datetime) -> list[tuple[ArticleId, str]]:
    """The feed's articles retention removes now: (id, key). Walks the feed's date index."""
    stamp = to_db(cutoff)
    return [
        (ArticleId(r[0]), str(r[1]))
        for r in db.conn.execute(
            "SELECT a.id, a.key FROM articles a WHERE a.feed_id = ? AND a.sort_at < ? "
            "AND a.read = 1 AND coalesce(a.read_at, a.sort_at) < ? "
            f"AND NOT ({_USER_STATE})",
            [feed_id, stamp, stamp],
        )
    ]


def retire(
    db: Database, feed_id: FeedId, rows: Sequence[tuple[ArticleId, str]], now: dt.datetime
) -> None:
    """Delete these articles (texts, images rows and offline work go with them) and remember
    their keys. Runs inside the caller's transaction."""
    stamp = to_db(now)
    db.conn.executemany(
        "INSERT OR REPLACE INTO retired_keys (feed_id, key, retired_at) VALUES (?, ?, ?)",
        [(feed_id, key, stamp) for _, key in rows],
    )
    for part in chunks([article_id for article_id, _ in rows]):
        marks = placeholders(len(part))
        # The user-state test again: a highlight added since ``expired`` keeps its article.
        db.conn.execute(
            f"DELETE FROM articles WHERE id IN ({marks}) AND id NOT IN (SELECT a.id FROM "
            f"articles a WHERE a.id IN ({marks}) AND ({_USER_STATE}))",
            [*part, *part],
        )


def screen_retired(
    db: Database, feed_id: FeedId, document_keys: Sequence[str], now: dt.datetime
) -> set[str]:
    """Of a parsed document's keys, those retention removed: they are not stored again.

    Keys the document no longer lists are forgotten after ``RETIRED_GRACE``. One indexed query
    per parsed feed; feeds that never had retention find nothing.
    """
    rows = db.conn.execute(
        "SELECT key, retired_at FROM retired_keys WHERE feed_id = ?", [feed_id]
    ).fetchall()
    if not rows or not document_keys:  # an empty document says nothing about what is listed
        return set()
    listed = set(document_keys)
    cutoff = to_db(now - RETIRED_GRACE)
    assert cutoff is not None
    gone = [(feed_id, key) for key, retired_at in rows if key not in listed and retired_at < cutoff]
    if gone:
        db.conn.executemany("DELETE FROM retired_keys WHERE feed_id = ? AND key = ?", gone)
    return {key for key, _ in rows if key in listed}
