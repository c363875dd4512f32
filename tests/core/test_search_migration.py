"""Schema step 0005 on a library written by the previous Gloss: what was there is searchable.

The step builds the index from existing rows (FTS5 'rebuild' through the view of current texts)
and makes each article's indexed feed name the feed's shown name, so a library upgraded in
place finds the same things as one filled after the upgrade.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from reader.core.library import Library
from reader.core.storage import db as db_module
from reader.core.storage.migrations import APPLICATION_ID, migrations
from reader.core.types import ArticleId, HitKind

STAMP = "2026-11-20T08:00:00Z"


def _version_4_library(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.commit()
    conn.close()
    old = db_module.Database(sqlite3.connect(path), execute_plugins=False)
    migrations.apply(old, stop_before="0005_search_rules_retention")
    assert old.execute("PRAGMA user_version").fetchone()[0] == 4
    sql = old.conn.execute
    sql(
        "INSERT INTO feeds (id, url, title, user_title, added_at) "
        "VALUES (1, 'https://e.example/f', 'Publisher Title', 'Kitchen Diary', ?)",
        [STAMP],
    )
    sql(
        "INSERT INTO articles (id, feed_id, source_title, key, title, author, added_at, sort_at) "
        "VALUES (1, 1, 'Publisher Title', 'k1', 'Sourdough starter basics', 'Tomás Reyes', ?, ?)",
        [STAMP, STAMP],
    )
    text = "Every loaf starts with a starter. Feed it flour and filtered water daily."
    sql(
        "INSERT INTO article_texts (id, article_id, source, canon_version, html, text, "
        "text_sha256, created_at) VALUES (1, 1, 'feed', 1, '<p>x</p>', ?, 'sha', ?)",
        [text, STAMP],
    )
    sql("UPDATE articles SET current_text_id = 1 WHERE id = 1")
    start = text.index("filtered water")
    sql(
        'INSERT INTO highlights (uuid, article_id, created_on_text_id, quote, start, "end", '
        "note, created_at, updated_at, anchored_text_id, anchor_start, anchor_end) "
        "VALUES ('u1', 1, 1, 'filtered water', ?, ?, 'chlorine slows the yeast', ?, ?, 1, ?, ?)",
        [start, start + 14, STAMP, STAMP, start, start + 14],
    )
    sql(
        "INSERT INTO notes (uuid, article_id, body, created_at, updated_at) "
        "VALUES ('n1', 1, 'Try rye flour next winter', ?, ?)",
        [STAMP, STAMP],
    )
    old.conn.commit()
    old.close()


def test_upgrading_indexes_existing_articles_highlights_and_notes(library_path: Path) -> None:
    _version_4_library(library_path)
    with Library.open(library_path) as library:
        by_body = library.search("daily")
        assert [(h.kind, h.article_id) for h in by_body.hits] == [(HitKind.ARTICLE, 1)]
        assert by_body.hits[0].title == "Sourdough starter basics"
        # The feed is found by the name the user gave it, not the publisher's old title.
        assert [h.article_id for h in library.search("kitchen diary").hits] == [ArticleId(1)]
        assert library.search("publisher").hits == ()
        assert [h.kind for h in library.search("chlorine").hits] == [HitKind.HIGHLIGHT]
        assert [h.kind for h in library.search("rye").hits] == [HitKind.NOTE]
        assert [h.article_id for h in library.search("reyes").hits] == [ArticleId(1)]
        assert library.search_index_problems() == []
        # And the index follows edits made after the upgrade.
        library.rename_feed(library.list_feeds()[0].id, "Bread Notes")
        assert [h.article_id for h in library.search("bread notes").hits] == [ArticleId(1)]
        assert library.search("kitchen diary").hits == ()
        assert library.search_index_problems() == []
