"""The library schema, as append-only migrations.

Rules: a step, once released, is never edited; new needs get a new step at the end. Each step
runs in one transaction together with its record (sqlite-utils ``Migrations``) and sets
``user_version`` to its ordinal, so an older Gloss can tell a newer file apart by number alone.

There is deliberately no ``ON DELETE CASCADE`` from articles to highlights or notes (rule 7,
reliability.md §5.1): deleting an annotated article fails loudly instead of losing words.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from sqlite_utils import Database, Migrations

APPLICATION_ID = 0x476C6F73  # "Glos"
MIGRATION_SET = "gloss"

migrations = Migrations(MIGRATION_SET)
_STEP_NAMES: list[str] = []


def _step(name: str) -> Callable[[Callable[[Database], None]], Callable[[Database], None]]:
    """Register a migration step; it also stamps ``user_version`` with its ordinal."""
    ordinal = len(_STEP_NAMES) + 1
    _STEP_NAMES.append(name)

    def register(fn: Callable[[Database], None]) -> Callable[[Database], None]:
        def run(db: Database) -> None:
            fn(db)
            db.execute(f"PRAGMA user_version = {ordinal}")

        run.__name__ = name
        migrations(name=name)(run)
        return fn

    return register


_INITIAL_SCHEMA = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(trim(name)) > 0),
    parent_id INTEGER REFERENCES folders(id) ON DELETE CASCADE,
    position INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX folders_name_in_parent ON folders (ifnull(parent_id, 0), name COLLATE NOCASE);

CREATE TABLE feeds (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL UNIQUE,
    title TEXT,                 -- from the feed
    user_title TEXT,            -- set by the user; wins over title
    site_url TEXT,
    folder_id INTEGER REFERENCES folders(id) ON DELETE SET NULL,
    position INTEGER NOT NULL DEFAULT 0,
    added_at TEXT NOT NULL,
    -- fetch state
    etag TEXT,                  -- sent back verbatim
    last_modified TEXT,         -- sent back verbatim
    body_sha256 TEXT,           -- unchanged body: skip the parse
    last_fetched_at TEXT,
    last_success_at TEXT,
    last_status INTEGER,        -- HTTP status of the last attempt
    last_result TEXT,           -- ok | not_modified | error
    error TEXT,                 -- human-readable reason of the last failure
    warning TEXT,               -- survivable oddity of the last parse (malformed, charset)
    error_count INTEGER NOT NULL DEFAULT 0,
    next_fetch_at TEXT,         -- scheduled refreshes wait (interval, ttl, cache, back-off)
    retry_at TEXT,              -- server asked us to wait (429/503 Retry-After)
    ttl_minutes INTEGER,
    muted INTEGER NOT NULL DEFAULT 0,
    muted_reason TEXT,
    full_text_policy TEXT NOT NULL DEFAULT 'auto'
        CHECK (full_text_policy IN ('auto', 'always', 'never')),
    images INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX feeds_folder ON feeds (folder_id);

CREATE TABLE feed_url_history (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    old_url TEXT NOT NULL,
    new_url TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    reason TEXT NOT NULL
);

CREATE TABLE articles (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER REFERENCES feeds(id) ON DELETE SET NULL,
    source_title TEXT,          -- feed title when the article was stored; kept if the feed goes
    key TEXT NOT NULL,          -- stable per feed: guid, guid|link, link, or a content hash
    guid TEXT,
    link TEXT,                  -- as given (may be non-http, then never opened)
    title TEXT NOT NULL DEFAULT '',
    author TEXT,
    published_at TEXT,
    updated_at TEXT,
    added_at TEXT NOT NULL,
    sort_at TEXT NOT NULL,      -- published, else updated, else added
    entry_sha256 TEXT,          -- hash of the entry as parsed: unchanged entries are skipped
    current_text_id INTEGER REFERENCES article_texts(id),
    read INTEGER NOT NULL DEFAULT 0,
    read_at TEXT,
    starred INTEGER NOT NULL DEFAULT 0,
    starred_at TEXT,
    saved INTEGER NOT NULL DEFAULT 0,
    UNIQUE (feed_id, key)
);
CREATE INDEX articles_sort ON articles (sort_at DESC, id DESC);
CREATE INDEX articles_feed_sort ON articles (feed_id, sort_at DESC, id DESC);
CREATE INDEX articles_unread ON articles (feed_id) WHERE read = 0;
CREATE INDEX articles_starred ON articles (sort_at DESC, id DESC) WHERE starred = 1;

-- Append-only text versions (reliability.md §5.1). A version that carries highlights is never
-- updated or deleted.
CREATE TABLE article_texts (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    source TEXT NOT NULL CHECK (source IN ('feed', 'fulltext', 'saved')),
    extractor TEXT,
    extractor_version TEXT,
    canon_version INTEGER NOT NULL,
    html TEXT NOT NULL,
    text TEXT NOT NULL,
    text_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX article_texts_article ON article_texts (article_id);

CREATE TABLE highlights (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE RESTRICT,
    created_on_text_id INTEGER REFERENCES article_texts(id) ON DELETE RESTRICT,
    quote TEXT NOT NULL,
    prefix TEXT NOT NULL DEFAULT '',
    suffix TEXT NOT NULL DEFAULT '',
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    block_ordinal INTEGER,
    color TEXT NOT NULL DEFAULT 'yellow',
    note TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT,
    anchor_status TEXT NOT NULL DEFAULT 'exact',
    anchored_text_id INTEGER REFERENCES article_texts(id) ON DELETE RESTRICT,
    anchor_start INTEGER,
    anchor_end INTEGER,
    anchor_score REAL
);
CREATE INDEX highlights_article ON highlights (article_id);

CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL UNIQUE,
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE RESTRICT,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX notes_article ON notes (article_id);

CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE article_tags (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE RESTRICT,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, tag_id)
) WITHOUT ROWID;
CREATE TABLE highlight_tags (
    highlight_id INTEGER NOT NULL REFERENCES highlights(id) ON DELETE CASCADE,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    PRIMARY KEY (highlight_id, tag_id)
) WITHOUT ROWID;

-- Small key/value store for library-wide facts (created_by version, last refresh time).
CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT
);
"""


@_step("0001_initial")
def _initial(db: Database) -> None:
    for statement in _INITIAL_SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")


def known_migration_names() -> list[str]:
    return list(_STEP_NAMES)


def schema_version() -> int:
    """The ``user_version`` this Gloss writes: the number of migrations it knows."""
    return len(known_migration_names())


@_step("0002_feed_icons_and_text_index")
def _feed_icons_and_text_index(db: Database) -> None:
    # The site's icon for the feeds pane (a cache: URL) and when Gloss last looked for it.
    # (Tolerant of development libraries that had these before the step existed.)
    columns = {row[1] for row in db.execute("PRAGMA table_info(feeds)").fetchall()}
    for column in ("favicon", "favicon_checked_at"):
        if column not in columns:
            db.execute(f"ALTER TABLE feeds ADD COLUMN {column} TEXT")
    # Deleting an unpinned old text version checks articles.current_text_id; without an
    # index that check scans every article.
    db.execute("CREATE INDEX IF NOT EXISTS articles_current_text ON articles (current_text_id)")


@_step("0003_annotation_tags_and_lists")
def _annotation_tags_and_lists(db: Database) -> None:
    # A tag comes from the tag field or from a "#tag" in a note. Only the note-derived ones are
    # replaced when the note is edited, so a tag typed in the field survives a note edit.
    for table in ("highlight_tags", "article_tags"):
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()}
        if "from_note" not in columns:
            db.execute(f"ALTER TABLE {table} ADD COLUMN from_note INTEGER NOT NULL DEFAULT 0")
    # The global Highlights view lists newest first across the library, and filters by tag.
    db.execute("CREATE INDEX IF NOT EXISTS highlights_created ON highlights (created_at, id)")
    db.execute("CREATE INDEX IF NOT EXISTS notes_created ON notes (created_at, id)")
    db.execute("CREATE INDEX IF NOT EXISTS highlight_tags_tag ON highlight_tags (tag_id)")
    db.execute("CREATE INDEX IF NOT EXISTS article_tags_tag ON article_tags (tag_id)")
    # Text versions a highlight was made on or is anchored in are looked up on every text change.
    db.execute(
        "CREATE INDEX IF NOT EXISTS highlights_created_on ON highlights (created_on_text_id)"
    )
    db.execute("CREATE INDEX IF NOT EXISTS highlights_anchored ON highlights (anchored_text_id)")


_OFFLINE_SCHEMA = """
-- What is left to do for an article to read offline: its full text and its images. A row exists
-- only while there is (or was) work; failures carry the reason and when to try again.
CREATE TABLE offline_work (
    article_id INTEGER PRIMARY KEY REFERENCES articles(id) ON DELETE CASCADE,
    fulltext TEXT NOT NULL DEFAULT 'none'
        CHECK (fulltext IN ('none', 'pending', 'done', 'failed')),
    fulltext_attempts INTEGER NOT NULL DEFAULT 0,
    fulltext_error TEXT,
    images TEXT NOT NULL DEFAULT 'none' CHECK (images IN ('none', 'pending', 'done', 'failed')),
    images_attempts INTEGER NOT NULL DEFAULT 0,
    images_error TEXT,
    retry_at TEXT,              -- failed work is due again from here; NULL: given up (or none)
    queued_at TEXT NOT NULL
);
CREATE INDEX offline_work_todo ON offline_work (article_id)
    WHERE fulltext IN ('pending', 'failed') OR images IN ('pending', 'failed');

-- Every image an article's stored HTML refers to, and what became of it. The cache is shared and
-- content-addressed, so this table is how a cache file is known to be in use (or an orphan).
CREATE TABLE article_images (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    url TEXT NOT NULL,          -- as in the HTML before rewriting (or the cache: URL itself)
    cache_name TEXT,            -- <sha256>.<ext> once stored
    size INTEGER NOT NULL DEFAULT 0,
    skipped TEXT,               -- why it is not kept (tracker, too large, not an image)
    error TEXT,                 -- why the last download failed (tried again later)
    PRIMARY KEY (article_id, url)
) WITHOUT ROWID;
CREATE INDEX article_images_name ON article_images (cache_name) WHERE cache_name IS NOT NULL;

-- Teasers saved from a text capture point at the article they were found with.
CREATE TABLE article_links (
    article_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    related_id INTEGER NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    PRIMARY KEY (article_id, related_id)
) WITHOUT ROWID;
CREATE INDEX article_links_related ON article_links (related_id);

-- Saved pages, files and texts: found again by URL or content when saved twice.
CREATE INDEX articles_saved ON articles (key) WHERE saved = 1
"""


@_step("0004_offline_reading")
def _offline_reading(db: Database) -> None:
    for statement in _OFFLINE_SCHEMA.split(";\n"):
        if statement.strip():
            db.execute(statement)
    # The Saved source lists newest first, like any feed.
    db.execute(
        "CREATE INDEX IF NOT EXISTS articles_saved_sort ON articles (sort_at DESC, id DESC) "
        "WHERE saved = 1"
    )


# The search index (issue 6). Three FTS5 tables over content that is stored once, in the tables
# the rest of Gloss reads: FTS5 keeps only its inverted index, so the library grows by that index
# and not by a second copy of every article (the budget is +60% of the file).
#
# Articles are indexed through a view (title, author, feed name, current text). External-content
# FTS5 removes a row by being told its old values, so each trigger hands over exactly what was
# indexed: everything comes from the article row and its current text version, and a text
# version's words never change once written (only its HTML does, when images are cached). The
# feed name is the article's ``source_title``, which the feeds trigger keeps equal to the feed's
# shown name, so renaming a feed re-indexes its articles through the articles trigger.
#
# Writing the index costs one flush per SQL statement that writes to it: FTS5 writes its pending
# terms out whenever a statement savepoint opens, and every statement that fires a trigger opens
# one. Triggers that indexed each new article as it was stored made a segment per article (a
# 1,000-feed refresh twice as slow, and merges without end). So the triggers only queue articles
# (search_pending) and take old entries out; storage/db.py's write_transaction indexes the queue
# in one statement just before the commit, so the index is never behind a committed transaction.
# The view leaves queued articles out, so the index and its content always agree (FTS5's
# integrity-check holds at any moment). An article is indexed once it has a current text.
_SEARCH_SCHEMA = """
CREATE TABLE search_pending (
    article_id INTEGER PRIMARY KEY  -- stored or changed in this transaction, not yet indexed
);

CREATE VIEW search_article_docs AS
    SELECT a.id AS id, a.title AS title, a.author AS author, a.source_title AS feed,
           t.text AS text
    FROM articles a JOIN article_texts t ON t.id = a.current_text_id
    WHERE a.id NOT IN (SELECT article_id FROM search_pending);

CREATE VIRTUAL TABLE search_articles USING fts5(
    title, author, feed, text,
    content='search_article_docs', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_highlights USING fts5(
    quote, note,
    content='highlights', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE search_notes USING fts5(
    body,
    content='notes', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_articles_insert AFTER INSERT ON articles
WHEN new.current_text_id IS NOT NULL BEGIN
    INSERT OR IGNORE INTO search_pending (article_id) VALUES (new.id);
END;
CREATE TRIGGER search_articles_update
AFTER UPDATE OF title, author, source_title, current_text_id ON articles
WHEN old.title IS NOT new.title OR old.author IS NOT new.author
    OR old.source_title IS NOT new.source_title OR old.current_text_id IS NOT new.current_text_id
BEGIN
    -- Out with the words it was indexed under (none when it has no text or is still queued)…
    INSERT INTO search_articles (search_articles, rowid, title, author, feed, text)
    SELECT 'delete', old.id, old.title, old.author, old.source_title, t.text
    FROM article_texts t
    WHERE t.id = old.current_text_id
        AND old.id NOT IN (SELECT article_id FROM search_pending);
    -- …and queued to be indexed under the new ones at the commit.
    INSERT OR IGNORE INTO search_pending (article_id)
    SELECT new.id WHERE new.current_text_id IS NOT NULL;
    DELETE FROM search_pending WHERE article_id = new.id AND new.current_text_id IS NULL;
END;
-- BEFORE: the article's text versions go with it (ON DELETE CASCADE), and the old words are
-- needed to take it out of the index.
CREATE TRIGGER search_articles_delete BEFORE DELETE ON articles BEGIN
    INSERT INTO search_articles (search_articles, rowid, title, author, feed, text)
    SELECT 'delete', old.id, old.title, old.author, old.source_title, t.text
    FROM article_texts t
    WHERE t.id = old.current_text_id
        AND old.id NOT IN (SELECT article_id FROM search_pending);
    DELETE FROM search_pending WHERE article_id = old.id;
END;
CREATE TRIGGER search_feed_renamed AFTER UPDATE OF title, user_title ON feeds
WHEN coalesce(new.user_title, new.title) IS NOT NULL BEGIN
    UPDATE articles SET source_title = coalesce(new.user_title, new.title)
    WHERE feed_id = new.id AND source_title IS NOT coalesce(new.user_title, new.title);
END;

CREATE TRIGGER search_highlights_insert AFTER INSERT ON highlights BEGIN
    INSERT INTO search_highlights (rowid, quote, note) VALUES (new.id, new.quote, new.note);
END;
CREATE TRIGGER search_highlights_update AFTER UPDATE OF quote, note ON highlights
WHEN old.quote IS NOT new.quote OR old.note IS NOT new.note BEGIN
    INSERT INTO search_highlights (search_highlights, rowid, quote, note)
    VALUES ('delete', old.id, old.quote, old.note);
    INSERT INTO search_highlights (rowid, quote, note) VALUES (new.id, new.quote, new.note);
END;
CREATE TRIGGER search_highlights_delete AFTER DELETE ON highlights BEGIN
    INSERT INTO search_highlights (search_highlights, rowid, quote, note)
    VALUES ('delete', old.id, old.quote, old.note);
END;

CREATE TRIGGER search_notes_insert AFTER INSERT ON notes BEGIN
    INSERT INTO search_notes (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER search_notes_update AFTER UPDATE OF body ON notes
WHEN old.body IS NOT new.body BEGIN
    INSERT INTO search_notes (search_notes, rowid, body) VALUES ('delete', old.id, old.body);
    INSERT INTO search_notes (rowid, body) VALUES (new.id, new.body);
END;
CREATE TRIGGER search_notes_delete AFTER DELETE ON notes BEGIN
    INSERT INTO search_notes (search_notes, rowid, body) VALUES ('delete', old.id, old.body);
END;

-- Saved searches: smart folders in the feeds pane. The query is stored in canonical form
-- (query.format_query), so two spellings of one search are one folder.
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(trim(name)) > 0),
    query TEXT NOT NULL,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);

-- Rules run on every new article as it arrives, before it is stored. feed_id NULL: every feed.
CREATE TABLE rules (
    id INTEGER PRIMARY KEY,
    feed_id INTEGER REFERENCES feeds(id) ON DELETE CASCADE,
    field TEXT NOT NULL CHECK (field IN ('any', 'title', 'content', 'author', 'link')),
    kind TEXT NOT NULL CHECK (kind IN ('words', 'regex')),
    pattern TEXT NOT NULL CHECK (length(pattern) > 0),
    action TEXT NOT NULL CHECK (action IN ('read', 'star', 'tag', 'skip')),
    tag TEXT,                   -- the tag to add, for action 'tag'
    enabled INTEGER NOT NULL DEFAULT 1,
    position INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    matched INTEGER NOT NULL DEFAULT 0,   -- articles it acted on, for the rules dialog
    last_error TEXT,                      -- e.g. a regular expression that ran out of time
    CHECK (action != 'tag' OR length(trim(tag)) > 0)
);
CREATE INDEX rules_feed ON rules (feed_id);

-- Retention deletes old read articles; the feed may still list them. Their keys are kept here so
-- the next refresh does not store them again as new and unread. A key goes once the feed's
-- document has stopped listing it (storage/retention.py).
CREATE TABLE retired_keys (
    feed_id INTEGER NOT NULL REFERENCES feeds(id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    retired_at TEXT NOT NULL,
    PRIMARY KEY (feed_id, key)
) WITHOUT ROWID;
"""


def _statements(script: str) -> list[str]:
    """Split a script into statements; triggers hold semicolons of their own.

    ``executescript`` would do it, but it commits first, and a step must be one transaction.
    """
    statements: list[str] = []
    pending = ""
    for line in script.splitlines(keepends=True):
        pending += line
        if sqlite3.complete_statement(pending):
            statements.append(pending.strip())
            pending = ""
    leftover = [
        line for line in pending.splitlines() if line.strip() and not line.lstrip().startswith("--")
    ]
    if leftover:
        raise ValueError(f"Unterminated SQL statement in a migration: {leftover[0]!r}")
    return statements


@_step("0005_search_rules_retention")
def _search_rules_retention(db: Database) -> None:
    columns = {row[1] for row in db.execute("PRAGMA table_info(feeds)").fetchall()}
    # Retention: keep read articles this many days (NULL: forever).
    if "keep_read_days" not in columns:
        db.execute("ALTER TABLE feeds ADD COLUMN keep_read_days INTEGER CHECK (keep_read_days > 0)")
    # Desktop notifications: the user asked to be told of this feed's new articles.
    if "notify" not in columns:
        db.execute("ALTER TABLE feeds ADD COLUMN notify INTEGER NOT NULL DEFAULT 0")
    # The indexed feed name is the article's source_title; make it the feed's shown name now.
    db.execute(
        "UPDATE articles SET source_title = (SELECT coalesce(f.user_title, f.title) FROM feeds f "
        "WHERE f.id = articles.feed_id) WHERE feed_id IS NOT NULL AND (SELECT coalesce("
        "f.user_title, f.title) FROM feeds f WHERE f.id = articles.feed_id) IS NOT NULL"
    )
    for statement in _statements(_SEARCH_SCHEMA):
        db.execute(statement)
    for table in ("search_articles", "search_highlights", "search_notes"):
        db.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    # Merge segments 8 at a time rather than 4 (FTS5's default): a 1,000-feed refresh with the
    # index took 1.13x the time of one without it at 4, 0.98x at 8 (1.0x at 16, but a phrase of
    # common words then reads 22 segments instead of 15 and takes 49 ms instead of 34 on one).
    db.execute("INSERT INTO search_articles (search_articles, rank) VALUES ('automerge', 8)")
    db.execute("INSERT INTO search_articles (search_articles, rank) VALUES ('crisismerge', 32)")
