"""Offline work bookkeeping: which articles still need a full text or images, and what happened.

The network side (offline.py) never writes; it receives ``WorkItem`` values read here and hands
back outcomes that the single writer records here (rule 3). Failures stay as values with a reason
and a retry time, so a dead page costs one row, never the refresh that found it (rule 4).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from reader.core.content import openable_link
from reader.core.storage.sql import chunks, execute, fetch_all, placeholders, scalar
from reader.core.summaries import looks_like_summary, typical_length
from reader.core.timeutil import from_db, to_db
from reader.core.types import (
    ArticleId,
    FeedId,
    FullTextPolicy,
    OfflineSettings,
    OfflineStatus,
    TextId,
    TextSource,
    WorkState,
)

CACHE_FULL = "the image cache is full"
"""Why an image was not stored; defined here, not in offline_images, because "cache full" is the
one skip that is retried (due_work), and this module must not pull in the network stack."""

MAX_ATTEMPTS = 5
"""After this many failures Gloss stops retrying on its own (a manual "make offline" resets it)."""

_RETRY_STEPS = (
    dt.timedelta(minutes=30),
    dt.timedelta(hours=2),
    dt.timedelta(hours=8),
    dt.timedelta(hours=24),
)
_TYPICAL_SAMPLE = 50  # recent feed texts looked at for a feed's usual entry length

_SETTING_KEYS = {
    "images": "offline.images",
    "image_cache_mb": "offline.image_cache_mb",
    "max_image_mb": "offline.max_image_mb",
    "full_text_default": "offline.full_text_default",
}


def retry_delay(attempts: int) -> dt.timedelta:
    return _RETRY_STEPS[min(max(attempts, 1), len(_RETRY_STEPS)) - 1]


# ---- settings ------------------------------------------------------------------------------------


def get_settings(db: Database) -> OfflineSettings:
    values = dict(
        db.conn.execute(
            f"SELECT key, value FROM meta WHERE key IN ({placeholders(len(_SETTING_KEYS))})",
            list(_SETTING_KEYS.values()),
        ).fetchall()
    )
    default = OfflineSettings()

    def number(name: str, fallback: int) -> int:
        raw = values.get(_SETTING_KEYS[name])
        try:
            return int(raw) if raw is not None else fallback
        except ValueError:
            return fallback

    images_raw = values.get(_SETTING_KEYS["images"])
    return OfflineSettings(
        images=default.images if images_raw is None else images_raw == "1",
        image_cache_mb=number("image_cache_mb", default.image_cache_mb),
        max_image_mb=number("max_image_mb", default.max_image_mb),
        full_text_default=_policy_or(
            values.get(_SETTING_KEYS["full_text_default"]), default.full_text_default
        ),
    )


def _policy_or(raw: object, fallback: FullTextPolicy) -> FullTextPolicy:
    try:
        return FullTextPolicy(str(raw)) if raw is not None else fallback
    except ValueError:
        return fallback


def put_settings(db: Database, settings: OfflineSettings) -> None:
    values = {
        "images": "1" if settings.images else "0",
        "image_cache_mb": str(settings.image_cache_mb),
        "max_image_mb": str(settings.max_image_mb),
        "full_text_default": settings.full_text_default.value,
    }
    for name, value in values.items():
        execute(
            db,
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            [_SETTING_KEYS[name], value],
        )


def set_feed_options(
    db: Database, feed_id: FeedId, *, full_text: FullTextPolicy | None, images: bool | None
) -> None:
    if full_text is not None:
        execute(
            db, "UPDATE feeds SET full_text_policy = ? WHERE id = ?", [full_text.value, feed_id]
        )
    if images is not None:
        execute(db, "UPDATE feeds SET images = ? WHERE id = ?", [int(images), feed_id])
    # Work already queued for the feed follows the new choice: "never" means no request.
    of_feed = "article_id IN (SELECT id FROM articles WHERE feed_id = ?)"
    if full_text is FullTextPolicy.NEVER:
        execute(
            db,
            "UPDATE offline_work SET fulltext = 'none' "
            f"WHERE fulltext IN ('pending', 'failed') AND {of_feed}",
            [feed_id],
        )
    if images is False:
        execute(
            db,
            f"UPDATE offline_work SET images = 'none' WHERE images IN ('pending', 'failed') "
            f"AND {of_feed}",
            [feed_id],
        )


# ---- deciding what an article needs ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    article_id: ArticleId
    feed_id: FeedId | None
    link: str | None
    saved: bool
    policy: FullTextPolicy
    feed_images: bool
    feed_text: str | None  # the newest feed-source text, if any
    has_fulltext: bool
    has_images: bool  # some stored text has an <img> that is not yet a cache: image


def _candidates(db: Database, article_ids: Sequence[ArticleId]) -> list[_Candidate]:
    found: list[_Candidate] = []
    for part in chunks(list(article_ids)):
        rows = fetch_all(
            db,
            "SELECT a.id, a.feed_id, a.link, a.saved, "
            "coalesce(f.full_text_policy, 'never') AS policy, coalesce(f.images, 1) AS images, "
            "(SELECT t.text FROM article_texts t WHERE t.article_id = a.id AND t.source = 'feed' "
            " ORDER BY t.id DESC LIMIT 1) AS feed_text, "
            "EXISTS (SELECT 1 FROM article_texts t WHERE t.article_id = a.id "
            " AND t.source = 'fulltext') AS has_fulltext, "
            "EXISTS (SELECT 1 FROM article_texts t WHERE t.article_id = a.id "
            " AND t.html LIKE '%<img%src=\"http%') AS has_images "
            "FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id "
            f"WHERE a.id IN ({placeholders(len(part))})",
            list(part),
        )
        for row in rows:
            try:
                policy = FullTextPolicy(row["policy"])
            except ValueError:
                policy = FullTextPolicy.AUTO
            found.append(
                _Candidate(
                    article_id=ArticleId(row["id"]),
                    feed_id=FeedId(row["feed_id"]) if row["feed_id"] is not None else None,
                    link=row["link"],
                    saved=bool(row["saved"]),
                    policy=policy,
                    feed_images=bool(row["images"]),
                    feed_text=row["feed_text"],
                    has_fulltext=bool(row["has_fulltext"]),
                    has_images=bool(row["has_images"]),
                )
            )
    return found


def _typical_lengths(db: Database, feed_ids: Iterable[FeedId]) -> dict[FeedId, int | None]:
    typical: dict[FeedId, int | None] = {}
    for feed_id in set(feed_ids):
        lengths = [
            int(r[0])
            for r in db.conn.execute(
                "SELECT length(t.text) FROM articles a JOIN article_texts t "
                "ON t.article_id = a.id AND t.source = 'feed' "
                "WHERE a.feed_id = ? ORDER BY a.id DESC LIMIT ?",
                [feed_id, _TYPICAL_SAMPLE],
            )
        ]
        typical[feed_id] = typical_length(lengths)
    return typical


def _policy_wants_fulltext(policy: FullTextPolicy, link: str | None, summary: bool) -> bool:
    """The feed's policy applied to one entry; ``summary`` is looks_like_summary's answer."""
    if openable_link(link) is None or policy is FullTextPolicy.NEVER:
        return False
    return policy is FullTextPolicy.ALWAYS or summary


def _wants_fulltext(candidate: _Candidate, typical: int | None) -> bool:
    if candidate.saved or candidate.has_fulltext:
        return False
    summary = candidate.policy is FullTextPolicy.AUTO and looks_like_summary(
        candidate.feed_text or "", typical
    )
    return _policy_wants_fulltext(candidate.policy, candidate.link, summary)


def _next_state(old: str, wanted: bool, *, force: bool) -> str:
    """Pending when wanted, unless it failed before (then it waits for its retry time, or a
    forced run) or is done already; what is not wanted keeps its outcome for the status line."""
    if not wanted:
        return old if old in ("done", "failed") else "none"
    if old == "failed" and not force:
        return "failed"
    if old == "done" and not force:
        return "done"
    return "pending"


def queue_articles(
    db: Database,
    article_ids: Sequence[ArticleId],
    now: dt.datetime,
    *,
    settings: OfflineSettings,
    force: bool = False,
) -> int:
    """Record what each article needs for offline reading; returns how many have work.

    ``force`` (a user's "make available offline"): failures given up on are tried again, and
    nothing waits for its retry time. A full text already stored is never fetched again here;
    re-extraction is its own intent.
    """
    if not article_ids:
        return 0
    candidates = _candidates(db, article_ids)
    typical = _typical_lengths(
        db,
        (
            c.feed_id
            for c in candidates
            if c.feed_id is not None and c.policy is FullTextPolicy.AUTO
        ),
    )
    now_db = to_db(now)
    queued = 0
    for c in candidates:
        fulltext = _wants_fulltext(c, typical.get(c.feed_id) if c.feed_id is not None else None)
        images = settings.images and c.feed_images and (c.has_images or fulltext)
        if not (fulltext or images):
            continue
        queued += 1
        row = db.conn.execute(
            "SELECT fulltext, images FROM offline_work WHERE article_id = ?", [c.article_id]
        ).fetchone()
        old_fulltext, old_images = row if row is not None else ("none", "none")
        new_fulltext = _next_state(old_fulltext, fulltext, force=force)
        # New or changed HTML may bring new images: "done" is never final for images (the
        # network side skips the ones already stored or skipped, so this costs no requests).
        new_images = _next_state(
            "none" if old_images == "done" else old_images, images, force=force
        )
        execute(
            db,
            "INSERT INTO offline_work (article_id, fulltext, images, queued_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE SET "
            "fulltext = excluded.fulltext, images = excluded.images, "
            "fulltext_attempts = CASE WHEN ? THEN 0 ELSE fulltext_attempts END, "
            "images_attempts = CASE WHEN ? THEN 0 ELSE images_attempts END, "
            "retry_at = CASE WHEN ? THEN NULL ELSE retry_at END, queued_at = excluded.queued_at",
            [c.article_id, new_fulltext, new_images, now_db, int(force), int(force), int(force)],
        )
    return queued


@dataclass(frozen=True, slots=True)
class FreshEntry:
    """An entry a refresh just stored, as the refresh already holds it in memory."""

    article_id: ArticleId
    link: str | None
    summary: bool  # summaries.looks_like_summary of its text, against the document's entries
    has_images: bool
    changed: bool = False  # an entry stored before whose content changed: its page may have too


def queue_fresh(
    db: Database,
    feed_id: FeedId,
    entries: Sequence[FreshEntry],
    now: dt.datetime,
    *,
    settings: OfflineSettings,
) -> int:
    """``queue_articles`` for a refresh: decided from the parsed entries, without reading the
    stored texts back (a first refresh stores tens of thousands of them)."""
    row = db.conn.execute(
        "SELECT full_text_policy, images FROM feeds WHERE id = ?", [feed_id]
    ).fetchone()
    if row is None or not entries:
        return 0
    try:
        policy = FullTextPolicy(row[0])
    except ValueError:
        policy = FullTextPolicy.AUTO
    images_on = settings.images and bool(row[1])
    now_db = to_db(now)
    queued = 0
    for entry in entries:
        fulltext = _policy_wants_fulltext(policy, entry.link, entry.summary)
        images = images_on and (entry.has_images or fulltext)
        if not (fulltext or images):
            continue
        queued += 1
        execute(
            db,
            "INSERT INTO offline_work (article_id, fulltext, images, queued_at) "
            "VALUES (?, ?, ?, ?) ON CONFLICT (article_id) DO UPDATE SET "
            "fulltext = CASE WHEN excluded.fulltext = 'pending' AND (fulltext = 'none' "
            "OR (? AND fulltext = 'done')) THEN 'pending' ELSE fulltext END, "
            "images = CASE WHEN excluded.images = 'pending' AND images != 'failed' "
            "THEN 'pending' ELSE images END",
            [entry.article_id, "pending" if fulltext else "none",
             "pending" if images else "none", now_db, int(entry.changed)],
        )  # fmt: skip
    return queued


def queue_feeds(
    db: Database,
    feed_ids: Sequence[FeedId] | None,
    now: dt.datetime,
    *,
    settings: OfflineSettings,
) -> list[ArticleId]:
    """Queue every article of these feeds (``None``: all) for "make available offline"."""
    if feed_ids is None:
        ids = [ArticleId(r[0]) for r in db.conn.execute("SELECT id FROM articles ORDER BY id")]
    else:
        ids = []
        for part in chunks(list(feed_ids)):
            ids += [
                ArticleId(r[0])
                for r in db.conn.execute(
                    f"SELECT id FROM articles WHERE feed_id IN ({placeholders(len(part))}) "
                    "ORDER BY id",
                    list(part),
                )
            ]
    queue_articles(db, ids, now, settings=settings, force=True)
    return ids


def queue_stale_extractions(db: Database, version: str, now: dt.datetime, *, limit: int) -> int:
    """Queue the newest articles showing a full text made by another extractor version.

    A few per run: a re-extraction fetches the page again, and an upgrade must not turn the next
    refresh into a crawl of the whole library.
    """
    ids = [
        ArticleId(r[0])
        for r in db.conn.execute(
            "SELECT a.id FROM articles a JOIN article_texts t ON t.id = a.current_text_id "
            "LEFT JOIN offline_work w ON w.article_id = a.id "
            "WHERE t.source = 'fulltext' AND coalesce(t.extractor_version, '') != ? "
            "AND coalesce(w.fulltext, 'none') NOT IN ('pending', 'failed') "
            "ORDER BY a.sort_at DESC, a.id DESC LIMIT ?",
            [version, limit],
        )
    ]
    for article_id in ids:
        queue_fulltext(db, article_id, now)
    return len(ids)


def queue_fulltext(db: Database, article_id: ArticleId, now: dt.datetime) -> None:
    """A user asked for the full text of this article (again): fetch and extract it now."""
    execute(
        db,
        "INSERT INTO offline_work (article_id, fulltext, queued_at) VALUES (?, 'pending', ?) "
        "ON CONFLICT (article_id) DO UPDATE SET fulltext = 'pending', fulltext_attempts = 0, "
        "fulltext_error = NULL, retry_at = NULL",
        [article_id, to_db(now)],
    )


def queue_images(db: Database, article_id: ArticleId, now: dt.datetime) -> None:
    """A text with images was just stored for this article: fetch its images."""
    execute(
        db,
        "INSERT INTO offline_work (article_id, images, queued_at) VALUES (?, 'pending', ?) "
        "ON CONFLICT (article_id) DO UPDATE SET images = 'pending', images_attempts = 0",
        [article_id, to_db(now)],
    )


# ---- handing work to the network side -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredText:
    id: TextId
    source: TextSource
    html: str


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One article's offline work, with everything the network side needs (it never reads)."""

    article_id: ArticleId
    title: str
    link: str | None
    fulltext: bool
    images: bool
    feed_text_chars: int  # a full text shorter than the feed's own text is not worth showing
    texts: tuple[StoredText, ...]  # every stored version: images of each are made offline
    stored_images: tuple[tuple[str, str], ...] = ()  # (url, cache name) already in the cache
    skipped_images: frozenset[str] = frozenset()  # urls not worth asking for again


def due_work(
    db: Database,
    now: dt.datetime,
    *,
    article_ids: Sequence[ArticleId] | None = None,
    limit: int | None = None,
) -> list[WorkItem]:
    """Work that is pending, or failed and due again; newest articles first."""
    now_db = to_db(now)
    where = (
        "(w.fulltext = 'pending' OR w.images = 'pending' OR "
        "((w.fulltext = 'failed' OR w.images = 'failed') AND w.retry_at IS NOT NULL "
        "AND w.retry_at <= ?))"
    )
    params: list[object] = [now_db]
    rows = []
    if article_ids is None:
        sql = (
            "SELECT w.*, a.title, a.link FROM offline_work w "
            "JOIN articles a ON a.id = w.article_id "
            f"WHERE {where} ORDER BY a.sort_at DESC, a.id DESC"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        rows = fetch_all(db, sql, params)
    else:
        for part in chunks(list(article_ids)):
            rows += fetch_all(
                db,
                "SELECT w.*, a.title, a.link FROM offline_work w "
                "JOIN articles a ON a.id = w.article_id "
                f"WHERE {where} AND w.article_id IN ({placeholders(len(part))})",
                [*params, *part],
            )
    items: list[WorkItem] = []
    for row in rows:
        fulltext = row["fulltext"] in ("pending", "failed") and (
            row["fulltext"] == "pending" or (row["retry_at"] or "") <= (now_db or "")
        )
        images = row["images"] in ("pending", "failed")
        texts = tuple(
            StoredText(TextId(t["id"]), TextSource(t["source"]), t["html"])
            for t in fetch_all(
                db,
                "SELECT id, source, html FROM article_texts WHERE article_id = ? ORDER BY id",
                [row["article_id"]],
            )
        )
        feed_chars = scalar(
            db,
            "SELECT length(text) FROM article_texts WHERE article_id = ? AND source != 'fulltext' "
            "ORDER BY id DESC LIMIT 1",
            [row["article_id"]],
        )
        known = db.conn.execute(
            "SELECT url, cache_name, skipped FROM article_images WHERE article_id = ?",
            [row["article_id"]],
        ).fetchall()
        items.append(
            WorkItem(
                stored_images=tuple((url, name) for url, name, _ in known if name),
                # "Cache full" is not the image's fault: it is asked for again once there is room.
                skipped_images=frozenset(
                    url for url, name, skip in known if skip and not name and skip != CACHE_FULL
                ),
                article_id=ArticleId(row["article_id"]),
                title=row["title"] or "",
                link=row["link"],
                fulltext=fulltext,
                images=images,
                feed_text_chars=int(feed_chars or 0),
                texts=texts,
            )
        )
    return items


# ---- recording outcomes -----------------------------------------------------------------------


def record_fulltext(
    db: Database, article_id: ArticleId, now: dt.datetime, *, error: str | None
) -> None:
    """The full text was stored (``error`` None) or could not be had this time."""
    if error is None:
        execute(
            db,
            "UPDATE offline_work SET fulltext = 'done', fulltext_error = NULL WHERE article_id = ?",
            [article_id],
        )
        return
    _record_failure(db, article_id, "fulltext", error, now)


def record_images(
    db: Database,
    article_id: ArticleId,
    now: dt.datetime,
    outcomes: Sequence[tuple[str, str | None, int, str | None, str | None]],
) -> None:
    """Each image's outcome: (url, cache name, size, skipped reason, error)."""
    for url, name, size, skipped, error in outcomes:
        execute(
            db,
            "INSERT INTO article_images (article_id, url, cache_name, size, skipped, error) "
            "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (article_id, url) DO UPDATE SET "
            "cache_name = coalesce(excluded.cache_name, cache_name), "
            "size = CASE WHEN excluded.cache_name IS NULL THEN size ELSE excluded.size END, "
            "skipped = excluded.skipped, error = excluded.error",
            [article_id, url, name, size, skipped, error],
        )
    errors = [e for *_, e in outcomes if e]
    if not errors:
        execute(
            db,
            "UPDATE offline_work SET images = 'done', images_error = NULL WHERE article_id = ?",
            [article_id],
        )
        return
    message = errors[0] if len(errors) == 1 else f"{len(errors)} images failed: {errors[0]}"
    _record_failure(db, article_id, "images", message, now)


def _record_failure(
    db: Database, article_id: ArticleId, kind: str, error: str, now: dt.datetime
) -> None:
    """One more failed attempt at ``kind`` (fulltext or images): due again after the back-off,
    the earlier of the two retry times when both failed; after MAX_ATTEMPTS, no more."""
    assert kind in ("fulltext", "images")
    attempts = int(
        scalar(db, f"SELECT {kind}_attempts FROM offline_work WHERE article_id = ?", [article_id])
        or 0
    )
    attempts += 1
    retry = to_db(now + retry_delay(attempts)) if attempts < MAX_ATTEMPTS else None
    execute(
        db,
        f"UPDATE offline_work SET {kind} = 'failed', {kind}_attempts = ?, {kind}_error = ?, "
        "retry_at = CASE WHEN ? IS NULL THEN retry_at ELSE min(coalesce(retry_at, ?), ?) END "
        "WHERE article_id = ?",
        [attempts, error, retry, retry, retry, article_id],
    )
    if retry is None:
        _drop_retry_if_nothing_left(db, article_id)


def _drop_retry_if_nothing_left(db: Database, article_id: ArticleId) -> None:
    execute(
        db,
        "UPDATE offline_work SET retry_at = NULL WHERE article_id = ? "
        "AND fulltext_attempts >= ? AND images_attempts >= ?",
        [article_id, MAX_ATTEMPTS, MAX_ATTEMPTS],
    )


def register_cached_images(
    db: Database, article_id: ArticleId, names: Iterable[tuple[str, str, int]]
) -> None:
    """Images already in the cache when the article was stored (demo library, saved files)."""
    for url, name, size in names:
        execute(
            db,
            "INSERT INTO article_images (article_id, url, cache_name, size) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (article_id, url) DO UPDATE SET cache_name = excluded.cache_name, "
            "size = excluded.size",
            [article_id, url, name, size],
        )


def replace_text_html(db: Database, text_id: TextId, html: str) -> None:
    """Point a stored version's images at the cache.

    Text versions are append-only for their *words*; only ``img src`` changes here, and the
    canonical text (what highlights anchor in) is the same before and after, which
    offline_images.rewrite_image_sources guarantees and its tests prove.
    """
    execute(db, "UPDATE article_texts SET html = ? WHERE id = ?", [html, text_id])


# ---- reading ------------------------------------------------------------------------------------


def status(db: Database, article_id: ArticleId) -> OfflineStatus | None:
    row = db.conn.execute(
        "SELECT fulltext, fulltext_error, images, images_error, retry_at "
        "FROM offline_work WHERE article_id = ?",
        [article_id],
    ).fetchone()
    counts = db.conn.execute(
        "SELECT count(cache_name), sum(cache_name IS NULL AND skipped IS NULL) "
        "FROM article_images WHERE article_id = ?",
        [article_id],
    ).fetchone()
    stored, missing = int(counts[0] or 0), int(counts[1] or 0)
    if row is None:
        if not stored and not missing:
            return None
        return OfflineStatus(WorkState.NONE, None, None, WorkState.DONE, None, stored, missing)
    fulltext, fulltext_error, images, images_error, retry_at = row
    return OfflineStatus(
        fulltext=WorkState(fulltext),
        fulltext_error=fulltext_error,
        fulltext_retry_at=from_db(retry_at),
        images=WorkState(images),
        images_error=images_error,
        images_stored=stored,
        images_missing=missing,
    )


def pending_count(db: Database) -> int:
    return int(
        scalar(
            db,
            "SELECT count(*) FROM offline_work WHERE fulltext = 'pending' OR images = 'pending'",
        )
        or 0
    )


def referenced_cache_names(db: Database) -> set[str]:
    """Cache files in use: article images and feed icons. Everything else is an orphan."""
    names = {
        str(r[0])
        for r in db.conn.execute(
            "SELECT DISTINCT cache_name FROM article_images WHERE cache_name IS NOT NULL"
        )
    }
    for (icon,) in db.conn.execute("SELECT favicon FROM feeds WHERE favicon IS NOT NULL"):
        if isinstance(icon, str) and icon.startswith("cache:"):
            names.add(icon[len("cache:") :])
    return names


def cache_names_of(db: Database, article_ids: Sequence[ArticleId]) -> set[str]:
    """Cache files these articles' texts show."""
    names: set[str] = set()
    for part in chunks(list(article_ids)):
        names.update(
            str(r[0])
            for r in db.conn.execute(
                "SELECT DISTINCT cache_name FROM article_images WHERE cache_name IS NOT NULL "
                f"AND article_id IN ({placeholders(len(part))})",
                list(part),
            )
        )
    return names


def unreferenced(db: Database, names: Iterable[str]) -> set[str]:
    """Those of ``names`` that no article and no feed icon refers to any more."""
    candidates = set(names)
    if not candidates:
        return set()
    return candidates - referenced_cache_names(db)


_CACHE_SRC_RE = re.compile(r'<img\b[^>]*?\ssrc="cache:([0-9a-f]{64}\.[a-z]{3,4})"')


def register_html_images(db: Database, article_ids: Sequence[ArticleId]) -> None:
    """Record the cache images that texts were stored with (the demo library's), so the cache
    knows them as in use."""
    for part in chunks(list(article_ids)):
        rows = db.conn.execute(
            f"SELECT article_id, html FROM article_texts WHERE article_id IN "
            f"({placeholders(len(part))}) AND html LIKE '%src=\"cache:%'",
            list(part),
        ).fetchall()
        for article_id, html in rows:
            register_cached_images(
                db,
                ArticleId(article_id),
                ((f"cache:{name}", name, 0) for name in _CACHE_SRC_RE.findall(html)),
            )
