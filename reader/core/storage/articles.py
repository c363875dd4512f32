"""Articles and their append-only text versions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.content import CANON_VERSION, openable_link, text_sha256
from reader.core.errors import NotFoundError
from reader.core.storage import offline as offline_store
from reader.core.storage import retention as retention_store
from reader.core.storage import rules as rules_store
from reader.core.storage.sql import (
    Row,
    chunks,
    execute,
    fetch_all,
    fetch_one,
    placeholders,
    scalar,
)
from reader.core.timeutil import from_db, from_db_required, to_db
from reader.core.types import (
    Article,
    ArticleCursor,
    ArticleDetail,
    ArticleFilter,
    ArticleId,
    ArticlePage,
    ArticleText,
    FeedId,
    RelatedArticle,
    TextId,
    TextSource,
)

if TYPE_CHECKING:  # parse pulls in feedparser; the window should not pay for it at start
    from reader.core.parse import ParsedEntry
    from reader.core.rules import FeedRules

_ARTICLE_COLUMNS = """
    a.id, a.feed_id, coalesce(f.user_title, f.title, a.source_title) AS feed_title, a.title,
    a.link, a.author, a.published_at, a.updated_at, a.added_at, a.read, a.starred, a.sort_at,
    a.saved
"""


def _to_article(row: Row) -> Article:
    return Article(
        id=ArticleId(row["id"]),
        feed_id=FeedId(row["feed_id"]) if row["feed_id"] is not None else None,
        feed_title=row["feed_title"],
        title=row["title"],
        link=openable_link(row["link"]),
        author=row["author"],
        published=from_db(row["published_at"]),
        updated=from_db(row["updated_at"]),
        added=from_db_required(row["added_at"]),
        read=bool(row["read"]),
        starred=bool(row["starred"]),
        sort_at=from_db_required(row["sort_at"]),
        saved=bool(row["saved"]),
    )


# ---- writing entries from a refresh ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredEntries:
    new: tuple[ArticleId, ...]
    updated: tuple[ArticleId, ...]
    rekeyed: tuple[ArticleId, ...] = ()  # same article, new id from the publisher (F16)
    replaced_texts: tuple[TextId, ...] = ()  # former current versions: drop once re-anchored


# F16: a publisher that changes every guid (a URL-scheme migration) must not turn a reader's
# library into duplicates with the notes on the old copies. An unknown entry that matches an
# article of the same feed which has left the document — same link or title, and the same words —
# *is* that article: it takes the new key and keeps its id, read state, star and annotations.
DEDUPE_MIN_WORDS = 48
DEDUPE_MIN_SIMILARITY = 90.0  # rapidfuzz token_set_ratio, 0–100
DEDUPE_CANDIDATES = 500  # the feed's newest articles that can be matched


def _same_content(old_text: str, new_text: str) -> bool:
    from rapidfuzz import fuzz

    old_words, new_words = old_text.split(), new_text.split()
    if min(len(old_words), len(new_words)) < DEDUPE_MIN_WORDS:
        return False
    ratio = fuzz.token_set_ratio(" ".join(old_words[:2000]), " ".join(new_words[:2000]))
    return bool(ratio >= DEDUPE_MIN_SIMILARITY)


def _find_renamed(
    db: Database, feed_id: FeedId, unknown: list[ParsedEntry], document_keys: set[str]
) -> dict[str, int]:
    """Map the keys of unknown entries to the id of the article they continue, if any."""
    links = {e.link for e in unknown if e.link}
    titles = {e.title for e in unknown if e.title}
    if not links and not titles:
        return {}
    rows = db.conn.execute(
        "SELECT a.id, a.key, a.link, a.title, t.text FROM articles a "
        "LEFT JOIN article_texts t ON t.id = a.current_text_id "
        "WHERE a.feed_id = ? ORDER BY a.sort_at DESC, a.id DESC LIMIT ?",
        [feed_id, DEDUPE_CANDIDATES],
    ).fetchall()
    candidates = [
        r for r in rows if r[1] not in document_keys and (r[2] in links or r[3] in titles)
    ]
    matches: dict[str, int] = {}
    taken: set[int] = set()
    for entry in unknown:
        for article_id, _key, link, title, text in candidates:
            if article_id in taken:
                continue
            same_place = (entry.link is not None and link == entry.link) or (
                bool(entry.title) and title == entry.title
            )
            if same_place and _same_content(text or "", entry.text):
                matches[entry.key] = article_id
                taken.add(article_id)
                break
    return matches


# The article's newest feed-source text: what a feed update is compared with (the text shown may
# be a full text fetched from the page).
_FEED_TEXT_ID = (
    "(SELECT max(ft.id) FROM article_texts ft WHERE ft.article_id = a.id AND ft.source = 'feed')"
)


def _insert_text(
    db: Database, article_id: int, entry: ParsedEntry, source: TextSource, now: str
) -> int:
    return execute(
        db,
        "INSERT INTO article_texts (article_id, source, canon_version, html, text, text_sha256, "
        "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [article_id, source.value, CANON_VERSION, entry.html, entry.text, entry.text_sha256, now],
    )


def _text_is_pinned(db: Database, text_id: int) -> bool:
    """A text version that a highlight was made on or anchored to is never removed."""
    row = db.conn.execute(
        "SELECT 1 FROM highlights WHERE created_on_text_id = ? OR anchored_text_id = ? LIMIT 1",
        [text_id, text_id],
    ).fetchone()
    return row is not None


def store_entries(
    db: Database,
    feed_id: FeedId,
    feed_title: str | None,
    entries: Sequence[ParsedEntry],
    now: dt.datetime,
    *,
    rules: FeedRules | None = None,
) -> StoredEntries:
    """Insert new entries and update changed ones. Runs inside the caller's transaction.

    ``rules`` (arrival rules) judge new entries only: a skipped one is not stored, the others
    may be stored read, starred or tagged. Entries that retention removed are not stored again.

    A changed entry keeps its article id (and so its read state, star and annotations); its new
    content becomes a new current text version. The previous versions are listed in the result
    for ``drop_replaced_texts``, which the caller runs once highlights have been re-anchored.
    """
    now_db = to_db(now)
    assert now_db is not None
    existing: dict[str, tuple[int, str | None, int | None, str | None]] = {}
    keys = [e.key for e in entries]
    for part in chunks(keys):
        cursor = db.conn.execute(
            f"SELECT a.key, a.id, a.entry_sha256, {_FEED_TEXT_ID}, t.text_sha256 FROM articles a "
            f"LEFT JOIN article_texts t ON t.id = {_FEED_TEXT_ID} "
            f"WHERE a.feed_id = ? AND a.key IN ({placeholders(len(part))})",
            [feed_id, *part],
        )
        for key, article_id, entry_sha, text_id, text_sha in cursor:
            existing[key] = (article_id, entry_sha, text_id, text_sha)

    rekeyed: list[ArticleId] = []
    retired = retention_store.screen_retired(db, feed_id, keys, now)
    unknown = [e for e in entries if e.key not in existing and e.key not in retired]
    if unknown:
        for key, article_id in _find_renamed(db, feed_id, unknown, set(keys)).items():
            entry = next(e for e in unknown if e.key == key)
            execute(
                db,
                "UPDATE articles SET key = ?, guid = ? WHERE id = ?",
                [key, entry.guid, article_id],
            )
            row = db.conn.execute(
                f"SELECT a.entry_sha256, {_FEED_TEXT_ID}, t.text_sha256 FROM articles a "
                f"LEFT JOIN article_texts t ON t.id = {_FEED_TEXT_ID} WHERE a.id = ?",
                [article_id],
            ).fetchone()
            existing[key] = (article_id, row[0], row[1], row[2])
            rekeyed.append(ArticleId(article_id))

    new: list[ArticleId] = []
    updated: list[ArticleId] = []
    replaced: list[TextId] = []
    seen: set[str] = set()
    for entry in entries:
        if entry.key in seen:
            continue  # parse.py makes keys unique; this guards the UNIQUE constraint anyway
        seen.add(entry.key)
        published = to_db(entry.published)
        updated_at = to_db(entry.updated)
        sort_at = published or updated_at or now_db
        found = existing.get(entry.key)
        if found is None:
            if entry.key in retired:
                continue
            verdict = rules.judge(entry) if rules is not None else None
            if verdict is not None and verdict.skip:
                continue
            article_id = execute(
                db,
                "INSERT INTO articles (feed_id, source_title, key, guid, link, title, author, "
                "published_at, updated_at, added_at, sort_at, entry_sha256) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    feed_id,
                    feed_title,
                    entry.key,
                    entry.guid,
                    entry.link,
                    entry.title,
                    entry.author,
                    published,
                    updated_at,
                    now_db,
                    sort_at,
                    entry.entry_sha256,
                ],
            )
            text_id = _insert_text(db, article_id, entry, TextSource.FEED, now_db)
            execute(
                db, "UPDATE articles SET current_text_id = ? WHERE id = ?", [text_id, article_id]
            )
            if verdict is not None:
                rules_store.apply_verdict(db, article_id, verdict, now_db)
            new.append(ArticleId(article_id))
            continue
        article_id, entry_sha, feed_text_id, feed_text_sha = found
        if entry_sha == entry.entry_sha256:
            continue
        execute(
            db,
            "UPDATE articles SET guid = ?, link = ?, title = ?, author = ?, published_at = ?, "
            "updated_at = ?, sort_at = coalesce(?, ?, sort_at), entry_sha256 = ?, "
            "source_title = ? WHERE id = ?",
            [
                entry.guid,
                entry.link,
                entry.title,
                entry.author,
                published,
                updated_at,
                published,
                updated_at,
                entry.entry_sha256,
                feed_title,
                article_id,
            ],
        )
        if feed_text_sha != entry.text_sha256:
            text_id = _insert_text(db, article_id, entry, TextSource.FEED, now_db)
            # The new feed text is shown unless the reader is on a full text (or a saved
            # text), which stays: the feed's version is one switch away.
            execute(
                db,
                "UPDATE articles SET current_text_id = ? WHERE id = ? AND (current_text_id IS "
                "NULL OR current_text_id = ? OR (SELECT source FROM article_texts WHERE id = "
                "articles.current_text_id) = 'feed')",
                [text_id, article_id, feed_text_id],
            )
            if feed_text_id is not None:
                replaced.append(TextId(feed_text_id))
        updated.append(ArticleId(article_id))
    if rules is not None:
        rules_store.record_stats(db, *rules.owner.take_stats())
    return StoredEntries(tuple(new), tuple(updated), tuple(rekeyed), tuple(replaced))


def drop_replaced_texts(db: Database, text_ids: Sequence[TextId]) -> None:
    """Delete former feed versions nothing needs any more.

    Called after the articles' highlights have moved onto the new versions: a version is kept
    while it is shown, while a highlight was made on it, or while one is anchored in it (rule 7;
    reliability.md §5.1).
    """
    for text_id in text_ids:
        if not _text_is_pinned(db, text_id):
            execute(
                db,
                "DELETE FROM article_texts WHERE id = ? AND source = 'feed' AND id NOT IN "
                "(SELECT current_text_id FROM articles WHERE current_text_id = ?)",
                [text_id, text_id],
            )


def drop_older_versions(db: Database, article_id: ArticleId, source: TextSource) -> int:
    """After a new full text: earlier versions of that kind go, unless shown or pinned by a
    highlight (rule 7). The newest version of each kind stays for switching back."""
    cursor = db.conn.execute(
        "DELETE FROM article_texts WHERE article_id = ? AND source = ? "
        "AND id != (SELECT max(id) FROM article_texts WHERE article_id = ? AND source = ?) "
        "AND id NOT IN (SELECT current_text_id FROM articles WHERE id = ?) "
        "AND NOT EXISTS (SELECT 1 FROM highlights h WHERE h.created_on_text_id = article_texts.id "
        "OR h.anchored_text_id = article_texts.id)",
        [article_id, source.value, article_id, source.value, article_id],
    )
    return cursor.rowcount


# ---- reading -------------------------------------------------------------------------------


def _filter_sql(flt: ArticleFilter) -> tuple[list[str], list[object]]:
    where: list[str] = []
    params: list[object] = []
    if flt.feed_ids is not None:
        if not flt.feed_ids:
            where.append("0")
        else:
            where.append(f"a.feed_id IN ({placeholders(len(flt.feed_ids))})")
            params.extend(flt.feed_ids)
    if flt.folder_id is not None:
        where.append(
            "a.feed_id IN (SELECT id FROM feeds WHERE folder_id IN ("
            "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT folders.id FROM folders "
            "JOIN sub ON folders.parent_id = sub.id) SELECT id FROM sub))"
        )
        params.append(flt.folder_id)
    if flt.unread_only:
        where.append("a.read = 0")
    if flt.starred_only:
        where.append("a.starred = 1")
    if flt.saved_only:
        where.append("a.saved = 1")
    if flt.since is not None:
        where.append("a.sort_at >= ?")
        params.append(to_db(flt.since))
    if flt.has_annotations:
        where.append(
            "(EXISTS (SELECT 1 FROM highlights h WHERE h.article_id = a.id "
            "AND h.deleted_at IS NULL) OR EXISTS (SELECT 1 FROM notes n "
            "WHERE n.article_id = a.id AND n.deleted_at IS NULL))"
        )
    if flt.tag is not None:
        where.append(
            "(EXISTS (SELECT 1 FROM article_tags at JOIN tags t ON t.id = at.tag_id "
            "WHERE at.article_id = a.id AND t.name = ?) OR EXISTS (SELECT 1 FROM highlights h "
            "JOIN highlight_tags ht ON ht.highlight_id = h.id JOIN tags t ON t.id = ht.tag_id "
            "WHERE h.article_id = a.id AND h.deleted_at IS NULL AND t.name = ?))"
        )
        params.extend([flt.tag, flt.tag])
    if flt.older_than is not None:
        # "Mark older as read": every row after this one in the newest-first list.
        where.append("(a.sort_at, a.id) < (?, ?)")
        params.extend([to_db(flt.older_than.sort_at), flt.older_than.id])
    if flt.query is not None:
        # A smart folder: articles with a search hit (a bad query raises QuerySyntaxError).
        from reader.core.query import parse_query
        from reader.core.storage.search import article_condition

        condition, condition_params = article_condition(parse_query(flt.query))
        where.append(condition)
        params.extend(condition_params)
    if flt.text:
        where.append("a.title LIKE ? ESCAPE '\\'")
        escaped = flt.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        params.append(f"%{escaped}%")
    return where, params


def list_articles(
    db: Database, flt: ArticleFilter, after: ArticleCursor | None, limit: int
) -> ArticlePage:
    """One page in date order, continuing after ``after`` (keyset paging, rule 6)."""
    where, params = _filter_sql(flt)
    direction = "DESC" if flt.newest_first else "ASC"
    if after is not None:
        where.append(
            "(a.sort_at, a.id) < (?, ?)" if flt.newest_first else "(a.sort_at, a.id) > (?, ?)"
        )
        params.extend([to_db(after.sort_at), after.id])
    sql = (
        f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id "
        + (f"WHERE {' AND '.join(where)} " if where else "")
        + f"ORDER BY a.sort_at {direction}, a.id {direction} LIMIT ?"
    )
    params.append(limit + 1)
    rows = fetch_all(db, sql, params)
    articles = tuple(_to_article(r) for r in rows[:limit])
    next_cursor = None
    if len(rows) > limit and articles:
        last = articles[-1]
        next_cursor = ArticleCursor(last.sort_at, last.id)
    return ArticlePage(articles, next_cursor)


def get_article(db: Database, article_id: ArticleId) -> Article:
    row = fetch_one(
        db,
        f"SELECT {_ARTICLE_COLUMNS} FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id "
        "WHERE a.id = ?",
        [article_id],
    )
    if row is None:
        raise NotFoundError(f"There is no article with id {article_id}.")
    return _to_article(row)


def get_article_detail(db: Database, article_id: ArticleId) -> ArticleDetail:
    article = get_article(db, article_id)
    row = fetch_one(
        db,
        "SELECT t.* FROM articles a JOIN article_texts t ON t.id = a.current_text_id "
        "WHERE a.id = ?",
        [article_id],
    )
    text = None
    if row is not None:
        text = ArticleText(
            id=TextId(row["id"]),
            article_id=ArticleId(row["article_id"]),
            source=TextSource(row["source"]),
            html=row["html"],
            text=row["text"],
            text_sha256=row["text_sha256"],
            canon_version=row["canon_version"],
            extractor=row["extractor"],
            extractor_version=row["extractor_version"],
            created_at=from_db_required(row["created_at"]),
        )
    sources = [
        TextSource(r[0])
        for r in db.conn.execute(
            "SELECT source FROM article_texts WHERE article_id = ? GROUP BY source "
            "ORDER BY max(id) DESC",
            [article_id],
        )
    ]
    if text is not None and text.source in sources:
        sources.remove(text.source)
        sources.insert(0, text.source)
    related = tuple(
        RelatedArticle(ArticleId(r[0]), r[1] or "")
        for r in db.conn.execute(
            "SELECT a.id, a.title FROM article_links l JOIN articles a ON a.id = l.related_id "
            "WHERE l.article_id = ? UNION SELECT a.id, a.title FROM article_links l "
            "JOIN articles a ON a.id = l.article_id WHERE l.related_id = ? ORDER BY 1",
            [article_id, article_id],
        )
    )
    return ArticleDetail(
        article, text, tuple(sources), related, offline_store.status(db, article_id)
    )


def existing_article_ids(db: Database, ids: Sequence[ArticleId]) -> set[ArticleId]:
    found: set[ArticleId] = set()
    for part in chunks(list(ids)):
        found.update(
            ArticleId(r[0])
            for r in db.conn.execute(
                f"SELECT id FROM articles WHERE id IN ({placeholders(len(part))})", list(part)
            )
        )
    return found


def set_flag(
    db: Database, ids: Sequence[ArticleId], column: str, value: bool, now: dt.datetime
) -> list[FeedId]:
    """Set read or starred; returns the feeds whose counts may have changed."""
    assert column in ("read", "starred")
    feeds: set[FeedId] = set()
    stamp = to_db(now) if value else None
    for part in chunks(list(ids)):
        marks = placeholders(len(part))
        feeds.update(
            FeedId(r[0])
            for r in db.conn.execute(
                f"SELECT DISTINCT feed_id FROM articles WHERE id IN ({marks}) "
                "AND feed_id IS NOT NULL",
                list(part),
            )
        )
        execute(
            db,
            f"UPDATE articles SET {column} = ?, {column}_at = ? WHERE id IN ({marks}) "
            f"AND {column} != ?",
            [int(value), stamp, *part, int(value)],
        )
    return sorted(feeds)


def mark_read_where(db: Database, flt: ArticleFilter, now: dt.datetime) -> tuple[int, list[FeedId]]:
    where, params = _filter_sql(flt)
    where.append("a.read = 0")
    condition = " AND ".join(where)
    feeds = [
        FeedId(r[0])
        for r in db.conn.execute(
            f"SELECT DISTINCT a.feed_id FROM articles a WHERE {condition} "
            "AND a.feed_id IS NOT NULL",
            params,
        )
    ]
    cursor = db.conn.execute(
        f"UPDATE articles SET read = 1, read_at = ? WHERE id IN (SELECT a.id FROM articles a "
        f"WHERE {condition})",
        [to_db(now), *params],
    )
    return cursor.rowcount, feeds


def delete_feed_articles(db: Database, feed_id: FeedId) -> int:
    """Delete a removed feed's articles, except those a user wrote on or starred (rule 7).

    Kept articles lose their feed (``ON DELETE SET NULL``) but keep ``source_title``.
    """
    user_state = (
        "a.starred = 1 OR a.saved = 1 "
        "OR EXISTS (SELECT 1 FROM highlights h WHERE h.article_id = a.id) "
        "OR EXISTS (SELECT 1 FROM notes n WHERE n.article_id = a.id) "
        "OR EXISTS (SELECT 1 FROM article_tags t WHERE t.article_id = a.id)"
    )
    execute(
        db,
        "UPDATE articles SET current_text_id = NULL WHERE feed_id = ? AND id NOT IN "
        f"(SELECT a.id FROM articles a WHERE a.feed_id = ? AND ({user_state}))",
        [feed_id, feed_id],
    )
    db.conn.execute(
        "DELETE FROM articles WHERE feed_id = ? AND id NOT IN "
        f"(SELECT a.id FROM articles a WHERE a.feed_id = ? AND ({user_state}))",
        [feed_id, feed_id],
    )
    kept = db.conn.execute("SELECT count(*) FROM articles WHERE feed_id = ?", [feed_id]).fetchone()
    return int(kept[0])


def add_text_version(
    db: Database,
    article_id: ArticleId,
    html: str,
    text: str,
    source: TextSource,
    now: dt.datetime,
    *,
    extractor: str | None = None,
    extractor_version: str | None = None,
) -> TextId:
    """Store a new text version (full text, re-extraction) and make it the one shown.

    Earlier versions stay: the feed's own text is what the reader can switch back to, and a
    version a highlight was made on is never removed (reliability.md §5.1, A3).
    """
    if scalar(db, "SELECT 1 FROM articles WHERE id = ?", [article_id]) is None:
        raise NotFoundError(f"There is no article with id {article_id}.")
    text_id = execute(
        db,
        "INSERT INTO article_texts (article_id, source, extractor, extractor_version, "
        "canon_version, html, text, text_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            article_id,
            source.value,
            extractor,
            extractor_version,
            CANON_VERSION,
            html,
            text,
            text_sha256(text),
            to_db(now),
        ],
    )
    execute(db, "UPDATE articles SET current_text_id = ? WHERE id = ?", [text_id, article_id])
    return TextId(text_id)
