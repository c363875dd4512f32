"""The library facade: every user intent is one method. The GUI and the CLI call nothing else.

A ``Library`` owns one SQLite connection and so belongs to the thread that opened it (rule 3).
Mutations return ``Changes`` (rule 2). Network work (discovery, refresh) happens inside the
methods that need it; the GUI calls them from its DB worker thread, never the GUI thread.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.annotating import AnnotationMethods
from reader.core.annotation_io import AnnotationIOMethods
from reader.core.errors import (
    AlreadySubscribedError,
    AmbiguousFeedError,
    FetchError,
    GlossError,
    NotFoundError,
    RetryLaterError,
    StorageError,
)
from reader.core.offline_methods import OfflineMethods
from reader.core.rules_methods import RulesMethods
from reader.core.saving import SavingMethods
from reader.core.search_methods import SearchMethods
from reader.core.storage import annotations as annotation_store
from reader.core.storage import articles as article_store
from reader.core.storage import feeds as feed_store
from reader.core.storage import maintenance, window_queries
from reader.core.storage import offline as offline_store
from reader.core.storage.db import (
    has_pending_migrations,
    open_database,
    sqlite_error_message,
    write_transaction,
)
from reader.core.storage.sql import chunks, execute, placeholders, scalar
from reader.core.timeutil import from_db, to_db, utcnow
from reader.core.types import (
    AddFeedResult,
    Article,
    ArticleCursor,
    ArticleDetail,
    ArticleFilter,
    ArticleId,
    ArticlePage,
    Changes,
    CheckReport,
    Feed,
    FeedId,
    Folder,
    FolderId,
    Highlight,
    Note,
    OfflineSettings,
    OpmlImportResult,
    RefreshOutcome,
    RefreshPlan,
    RefreshResult,
)

if TYPE_CHECKING:
    # The network and parsing modules (httpx, feedparser) load on first use, not at import:
    # the window starts without them and most CLI commands never need them.
    from reader.core.discover import FeedCandidate
    from reader.core.extract import ExtractedPage
    from reader.core.fetch import Fetcher
    from reader.core.parse import ParsedEntry, ParsedFeed, ParsePool
    from reader.core.refresh import FeedOutcome

log = logging.getLogger("gloss.library")

DEFAULT_REFRESH_INTERVAL = dt.timedelta(minutes=60)
MIN_REFRESH_INTERVAL = dt.timedelta(minutes=15)
MAX_BACKOFF = dt.timedelta(hours=24)
DEFAULT_BACKUPS_KEPT = 10
STATE_BATCH = 100  # fetch-state-only updates (304s, failures) per commit during a refresh
EXTRACT_WORKERS = 2
# A refresh indexes new articles for search once this many are waiting (and at its end), not at
# each feed's commit: indexing every feed apart made a 1,000-feed refresh 1.5x as long. Searches
# during a refresh miss at most this many of its newest articles.
INDEX_BATCH = 3000
EXTRACT_TIMEOUT = 30.0  # seconds one page may take to extract (trafilatura's own download limit)


def _checked_url(url: str) -> str:
    from reader.core.fetch import check_url

    return check_url(url)


def rewrite_entry_html(entry: ParsedEntry, rewrite: Callable[[str], str]) -> ParsedEntry:
    """Apply an HTML post-processing step and keep the entry's text and hashes consistent."""
    html = rewrite(entry.html)
    if html == entry.html:
        return entry
    return dataclasses.replace(entry, html=html)


def _backoff(error_count: int) -> dt.timedelta:
    """H8: 15 min, 30 min, 1 h … capped at a day, so a dead feed costs its host little."""
    step: dt.timedelta = MIN_REFRESH_INTERVAL * (2 ** max(0, min(error_count - 1, 10)))
    return min(step, MAX_BACKOFF)


class Library(
    AnnotationMethods,
    AnnotationIOMethods,
    OfflineMethods,
    SavingMethods,
    SearchMethods,
    RulesMethods,
):
    """One open library file. Use ``Library.open(path)``; close it (or use ``with``)."""

    def __init__(
        self,
        path: Path,
        db: Database,
        *,
        make_fetcher: Callable[[], Fetcher] | None = None,
        refresh_interval: dt.timedelta = DEFAULT_REFRESH_INTERVAL,
        readonly: bool = False,
    ) -> None:
        self.path = path
        self._db = db
        self._make_fetcher = make_fetcher
        self.refresh_interval = max(refresh_interval, MIN_REFRESH_INTERVAL)
        self._pool: ParsePool[ParsedFeed] | None = None
        self._page_pool: ParsePool[ExtractedPage] | None = None
        self._offline_settings: OfflineSettings | None = None  # read once per refresh
        self._readonly = readonly

    # ---- lifecycle ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False, check: bool = True) -> Library:
        """Open for writing after the start-up checks, or read-only (a GUI reader connection)."""
        if readonly:
            return cls(path, open_database(path, readonly=True), readonly=True)
        db = maintenance.open_checked(path) if check else open_database(path)
        return cls(path, db)

    def close(self) -> None:
        for pool in (self._pool, self._page_pool):
            if pool is not None:
                pool.close(cancel_pending=True)
        self._pool = self._page_pool = None
        if not self._readonly:
            with contextlib.suppress(sqlite3.Error):
                maintenance.mark_clean_close(self._db)
        self._db.close()

    def __enter__(self) -> Library:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _parse_pool(self) -> ParsePool[ParsedFeed]:
        if self._pool is None:
            from reader.core.parse import ParsePool

            self._pool = ParsePool()
        return self._pool

    def page_extractor(self) -> ParsePool[ExtractedPage]:
        """The page-extraction workers, for ``saving.fetch_page``/``read_html_file`` run on
        another thread (the window's network pool): the pool itself is thread-safe."""
        return self._extract_pool()

    def _extract_pool(self) -> ParsePool[ExtractedPage]:
        """Pages are extracted in their own workers: trafilatura and lxml stay out of the
        feed parsers, and a hostile page is killed at its time limit (reliability.md R8)."""
        if self._page_pool is None:
            from reader.core.extract import extraction_job
            from reader.core.parse import ParsePool

            self._page_pool = ParsePool(
                workers=EXTRACT_WORKERS, timeout=EXTRACT_TIMEOUT, job=extraction_job, noun="page"
            )
        return self._page_pool

    # ---- folders --------------------------------------------------------------------------

    def list_folders(self) -> list[Folder]:
        return feed_store.list_folders(self._db)

    def create_folder(
        self, name: str, parent_id: FolderId | None = None
    ) -> tuple[FolderId, Changes]:
        path = feed_store.parse_folder_path(name)
        if not path:
            raise GlossError("A folder needs a name.")
        with self._transaction():
            parent = parent_id
            for part in path:
                existing = feed_store.find_folder(self._db, part, parent)
                parent = existing or FolderId(
                    execute(
                        self._db,
                        "INSERT INTO folders (name, parent_id) VALUES (?, ?)",
                        [part, parent],
                    )
                )
        assert parent is not None
        return parent, Changes(folders=True)

    def rename_folder(self, folder_id: FolderId, name: str) -> Changes:
        name = " ".join(name.split())
        if not name:
            raise GlossError("A folder needs a name.")
        with self._transaction():
            self._require_folder(folder_id)
            execute(self._db, "UPDATE folders SET name = ? WHERE id = ?", [name, folder_id])
        return Changes(folders=True)

    def delete_folder(self, folder_id: FolderId) -> Changes:
        """Delete a folder; its feeds and sub-folders move up to its parent. Nothing is lost."""
        with self._transaction():
            parent = self._require_folder(folder_id)
            execute(
                self._db, "UPDATE feeds SET folder_id = ? WHERE folder_id = ?", [parent, folder_id]
            )
            execute(
                self._db,
                "UPDATE folders SET parent_id = ? WHERE parent_id = ?",
                [parent, folder_id],
            )
            execute(self._db, "DELETE FROM folders WHERE id = ?", [folder_id])
        return Changes(folders=True, counts=True)

    def _require_folder(self, folder_id: FolderId) -> FolderId | None:
        row = self._db.conn.execute(
            "SELECT parent_id FROM folders WHERE id = ?", [folder_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"There is no folder with id {folder_id}.")
        return None if row[0] is None else FolderId(row[0])

    # ---- feeds ----------------------------------------------------------------------------

    def list_feeds(self) -> list[Feed]:
        return feed_store.list_feeds(self._db)

    def get_feed(self, feed_id: FeedId) -> Feed:
        return feed_store.get_feed(self._db, feed_id)

    def unread_counts(self) -> dict[FeedId, int]:
        return feed_store.unread_counts(self._db)

    def find_feeds(self, url: str) -> list[FeedCandidate]:
        """Network only: the feeds at ``url`` (a feed itself, or a page linking to feeds)."""
        from reader.core.discover import discover
        from reader.core.fetch import check_url, fetch_one

        return discover(check_url(url), fetch=fetch_one)

    def subscribe(
        self, url: str, *, folder: str | None = None, title: str | None = None
    ) -> tuple[FeedId, Changes]:
        """Store a subscription (no network). Adding a feed twice is refused, not duplicated."""
        url = _checked_url(url)
        with self._transaction():
            existing = feed_store.find_feed_by_url(self._db, url)
            if existing is not None:
                name = feed_store.get_feed(self._db, existing).title
                raise AlreadySubscribedError(
                    f"Already subscribed to {url} (feed {existing}, “{name}”).", feed_id=existing
                )
            folder_id, _ = feed_store.ensure_folder_path(
                self._db, feed_store.parse_folder_path(folder or "")
            )
            feed_id = feed_store.insert_feed(
                self._db,
                url=url,
                title=title,
                site_url=None,
                folder_id=folder_id,
                now=utcnow(),
                full_text=offline_store.get_settings(self._db).full_text_default,
            )
        return feed_id, Changes(feeds=frozenset({feed_id}), folders=True, counts=True)

    def add_feed(
        self, url: str, *, folder: str | None = None, pick: int | None = None
    ) -> AddFeedResult:
        """``gloss add``: discover, subscribe, then fetch the feed once so it has articles.

        ``pick`` is 1-based, in the order the page lists its feeds.
        """
        url = _checked_url(url)
        already = feed_store.find_feed_by_url(self._db, url)
        if already is not None:
            raise AlreadySubscribedError(
                f"Already subscribed to {url} (feed {already}).", feed_id=already
            )
        candidates = self.find_feeds(url)
        if pick is not None:
            if not 1 <= pick <= len(candidates):
                raise GlossError(
                    f"--pick {pick} is out of range: the page lists {len(candidates)} feed(s)."
                )
            chosen = candidates[pick - 1]
        elif len(candidates) == 1:
            chosen = candidates[0]
        else:
            raise AmbiguousFeedError(
                f"{url} links to {len(candidates)} feeds; choose one with --pick N.",
                candidates=[(c.url, c.title or "") for c in candidates],
            )
        feed_id, changes = self.subscribe(chosen.url, folder=folder, title=None)
        results = list(self.refresh([feed_id]))
        return AddFeedResult(
            feed=self.get_feed(feed_id),
            changes=changes | Changes(articles=frozenset(), counts=True),
            first_refresh=results[0] if results else None,
        )

    def add_feed_document(
        self,
        url: str,
        body: bytes,
        *,
        content_type: str | None = None,
        folder: str | None = None,
        muted_reason: str | None = None,
        rewrite_html: Callable[[str], str] | None = None,
    ) -> tuple[FeedId, int, Changes]:
        """Subscribe to ``url`` and store its entries from ``body`` without any network.

        For feeds that arrive as files (the bundled demo library, tests). ``muted_reason``
        mutes the feed so refreshes leave it alone; ``rewrite_html`` post-processes each entry's
        sanitized HTML (the demo uses it to point images at the local cache).
        Returns the feed id and how many articles were stored.
        """
        from reader.core.parse import parse_feed

        parsed = parse_feed(body, url=url, content_type=content_type)
        if rewrite_html is not None:
            parsed = dataclasses.replace(
                parsed,
                entries=tuple(rewrite_entry_html(e, rewrite_html) for e in parsed.entries),
            )
        feed_id, changes = self.subscribe(url, folder=folder)
        now = utcnow()
        with self._transaction():
            stored = article_store.store_entries(
                self._db,
                feed_id,
                parsed.title,
                parsed.entries,
                now,
                rules=self._load_arrival_rules().for_feed(feed_id),
            )
            offline_store.register_html_images(self._db, stored.new)
            feed_store.update_fetch_state(
                self._db,
                feed_id,
                title=parsed.title,
                site_url=parsed.site_url,
                last_fetched_at=now,
                last_success_at=now,
                last_result=RefreshOutcome.OK.value,
                muted=1 if muted_reason else 0,
                muted_reason=muted_reason,
            )
        return feed_id, len(stored.new), changes | Changes(articles=frozenset(stored.new))

    def rename_feed(self, feed_id: FeedId, title: str | None) -> Changes:
        """Set the user's title; ``None`` or blank goes back to the feed's own title."""
        title = " ".join((title or "").split()) or None
        with self._transaction():
            feed_store.get_feed(self._db, feed_id)
            execute(self._db, "UPDATE feeds SET user_title = ? WHERE id = ?", [title, feed_id])
        return Changes(feeds=frozenset({feed_id}))

    def move_feed(self, feed_id: FeedId, folder_id: FolderId | None) -> Changes:
        with self._transaction():
            feed_store.get_feed(self._db, feed_id)
            if folder_id is not None:
                self._require_folder(folder_id)
            execute(self._db, "UPDATE feeds SET folder_id = ? WHERE id = ?", [folder_id, feed_id])
        return Changes(feeds=frozenset({feed_id}), folders=True, counts=True)

    def set_feed_muted(self, feed_id: FeedId, muted: bool) -> Changes:
        """Mute or unmute; unmuting also forgets back-off so the next refresh fetches it."""
        with self._transaction():
            feed_store.get_feed(self._db, feed_id)
            if muted:
                feed_store.update_fetch_state(
                    self._db, feed_id, muted=1, muted_reason="Muted by you; not refreshed."
                )
            else:
                feed_store.update_fetch_state(
                    self._db, feed_id, muted=0, muted_reason=None, next_fetch_at=None, error_count=0
                )
        return Changes(feeds=frozenset({feed_id}))

    def set_feed_notify(self, feed_id: FeedId, on: bool) -> Changes:
        """Whether a refresh that brings this feed new articles says so on the desktop."""
        with self._transaction():
            feed_store.get_feed(self._db, feed_id)
            execute(self._db, "UPDATE feeds SET notify = ? WHERE id = ?", [int(on), feed_id])
        return Changes(feeds=frozenset({feed_id}))

    def remove_feed(self, feed_id: FeedId) -> tuple[int, Changes]:
        """Unsubscribe. Articles the user starred or annotated stay (rule 7); returns how many."""
        with self._transaction():
            feed = feed_store.get_feed(self._db, feed_id)
            execute(
                self._db,
                "UPDATE articles SET source_title = ? WHERE feed_id = ?",
                [feed.title, feed_id],
            )
            ids = [
                ArticleId(r[0])
                for r in self._db.conn.execute(
                    "SELECT id FROM articles WHERE feed_id = ?", [feed_id]
                )
            ]
            shown = offline_store.cache_names_of(self._db, ids)
            kept = article_store.delete_feed_articles(self._db, feed_id)
            execute(self._db, "DELETE FROM feeds WHERE id = ?", [feed_id])
            unused = offline_store.unreferenced(self._db, shown)
        # The files go only after the commit: a failed removal keeps every image it needs.
        self._remove_cached_images(unused)
        return kept, Changes(feeds=frozenset({feed_id}), folders=True, counts=True)

    # ---- refresh --------------------------------------------------------------------------

    def plan_refresh(
        self, feed_ids: Sequence[FeedId] | None = None, *, scheduled: bool = False
    ) -> RefreshPlan:
        """Which feeds to fetch now.

        An explicit refresh fetches every feed (or the named ones) except muted feeds and those
        whose server asked us to wait; naming a muted feed retries it (H7: manual retry). A
        scheduled refresh also waits for each feed's next due time (interval, ttl, cache headers,
        back-off).
        """
        if feed_ids is not None:
            missing = [f for f in feed_ids if not feed_store.feed_exists(self._db, f)]
            if missing:
                raise NotFoundError(f"There is no feed with id {missing[0]}.")
        now = utcnow()
        states = feed_store.fetch_states(self._db, list(feed_ids) if feed_ids is not None else None)
        chosen: list[FeedId] = []
        skipped: list[tuple[FeedId, str]] = []
        for state in states:
            if state.muted and (feed_ids is None or scheduled):
                skipped.append((state.feed_id, "muted"))
            elif state.retry_at is not None and state.retry_at > now:
                skipped.append(
                    (state.feed_id, f"the server asked to wait until {to_db(state.retry_at)}")
                )
            elif scheduled and state.next_fetch_at is not None and state.next_fetch_at > now:
                skipped.append((state.feed_id, "not due"))
            else:
                chosen.append(state.feed_id)
        return RefreshPlan(tuple(chosen), tuple(skipped))

    def refresh(
        self,
        feed_ids: Sequence[FeedId] | None = None,
        *,
        scheduled: bool = False,
        plan: RefreshPlan | None = None,
    ) -> Iterator[RefreshResult]:
        """Fetch and store; yields one result per fetched feed as each is stored (rule 4).

        Each feed's result is written in its own transaction by the calling thread. A failed
        fetch or parse records the reason and never touches the feed's articles.
        """
        if plan is None:
            plan = self.plan_refresh(feed_ids, scheduled=scheduled)
        if not plan.feed_ids:
            return
        states = feed_store.fetch_states(self._db, list(plan.feed_ids))
        from reader.core.fetch import Fetcher
        from reader.core.refresh import RefreshRun

        run = RefreshRun(
            states, parse_pool=self._parse_pool(), make_fetcher=self._make_fetcher or Fetcher
        )
        self._offline_settings = offline_store.get_settings(self._db)
        self._arrival_rules = self._load_arrival_rules()
        # Feeds that brought no entries (not modified, failed) only update their fetch state:
        # those small writes are grouped, up to STATE_BATCH a commit, each feed in its own
        # savepoint, so a refresh where everything answers 304 does not pay an fsync per feed.
        # A result is yielded only once its commit has returned.
        batch: list[RefreshResult] = []
        unindexed = 0
        try:
            for outcome in run:
                if outcome.parsed is not None:
                    yield from self._commit_batch(batch)
                    result = self._store_outcome(outcome)
                    unindexed += result.new_articles + result.updated_articles
                    if unindexed >= INDEX_BATCH:
                        self._index_for_search()
                        unindexed = 0
                    yield result
                    continue
                if not batch:
                    self._db.conn.execute("BEGIN IMMEDIATE")  # see write_transaction
                batch.append(self._store_outcome(outcome))
                if len(batch) >= STATE_BATCH or run.idle():
                    yield from self._commit_batch(batch)
            yield from self._commit_batch(batch)
        finally:
            # Also when the refresh is stopped half-way: nothing stored stays unsearchable.
            if not self._db.conn.in_transaction:
                self._index_for_search()
        self._retention_after_refresh()
        with self._transaction():
            execute(
                self._db,
                "INSERT INTO meta (key, value) VALUES ('last_refresh_at', ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [to_db(utcnow())],
            )

    def _index_for_search(self) -> None:
        with self._transaction():
            pass  # the commit indexes what the refresh queued (write_transaction)

    def _commit_batch(self, batch: list[RefreshResult]) -> Iterator[RefreshResult]:
        if not batch:
            return
        try:
            self._db.commit()
        except sqlite3.Error as e:
            self._db.rollback()
            error = f"Could not save: {sqlite_error_message(e)}"
            results = [
                RefreshResult(r.feed_id, r.url, RefreshOutcome.ERROR, error=error) for r in batch
            ]
        else:
            results = list(batch)
        batch.clear()
        yield from results

    def last_refresh_at(self) -> dt.datetime | None:
        return from_db(scalar(self._db, "SELECT value FROM meta WHERE key = 'last_refresh_at'"))

    def _store_outcome(self, outcome: FeedOutcome) -> RefreshResult:
        state = outcome.state
        now = utcnow()
        try:
            with write_transaction(self._db, index=False):  # refresh() indexes in batches
                if not feed_store.feed_exists(self._db, state.feed_id):
                    return RefreshResult(
                        state.feed_id,
                        state.url,
                        RefreshOutcome.ERROR,
                        error="The feed was removed during the refresh.",
                    )
                if outcome.error is not None:
                    return self._store_failure(outcome, outcome.error, now)
                if outcome.parsed is None:
                    return self._store_not_modified(outcome, now)
                return self._store_parsed(outcome, now)
        except sqlite3.Error as e:
            return RefreshResult(
                state.feed_id,
                state.url,
                RefreshOutcome.ERROR,
                error=f"Could not save: {sqlite_error_message(e)}",
            )

    def _queue_offline(
        self,
        feed_id: FeedId,
        parsed: ParsedFeed,
        touched: Sequence[ArticleId],
        now: dt.datetime,
        *,
        changed: set[ArticleId],
    ) -> None:
        """Write down what the stored entries need offline, judged from the parsed document
        (its own entries say what is typical for the feed). A summary the publisher changed
        means the story changed: its page is extracted again (the same words only relabel)."""
        from reader.core.summaries import looks_like_summary, typical_length

        if not touched:
            return
        by_key = {e.key: e for e in parsed.entries}
        typical = typical_length(len(e.text) for e in parsed.entries)
        fresh = []
        for part in chunks(list(touched)):
            for article_id, key in self._db.conn.execute(
                f"SELECT id, key FROM articles WHERE id IN ({placeholders(len(part))})", part
            ):
                entry = by_key.get(key)
                if entry is not None:
                    fresh.append(
                        offline_store.FreshEntry(
                            ArticleId(article_id),
                            entry.link,
                            looks_like_summary(entry.text, typical),
                            "<img" in entry.html,
                            changed=ArticleId(article_id) in changed,
                        )
                    )
        settings = self._offline_settings or offline_store.get_settings(self._db)
        offline_store.queue_fresh(self._db, feed_id, fresh, now, settings=settings)

    def _next_due(self, outcome: FeedOutcome, now: dt.datetime) -> dt.datetime:
        due = now + self.refresh_interval
        fetch = outcome.fetch
        if fetch is not None and fetch.not_before is not None:
            due = max(due, fetch.not_before)
        ttl = outcome.parsed.ttl_minutes if outcome.parsed else outcome.state.ttl_minutes
        if ttl:
            due = max(due, now + dt.timedelta(minutes=min(ttl, 24 * 60)))
        return due

    def _store_failure(
        self, outcome: FeedOutcome, error: GlossError, now: dt.datetime
    ) -> RefreshResult:
        state = outcome.state
        count = state.error_count + 1
        status = error.status if isinstance(error, FetchError) else None
        if status is None and outcome.fetch is not None:
            status = outcome.fetch.status
        columns: dict[str, object] = {
            "last_fetched_at": now,
            "last_status": status,
            "last_result": RefreshOutcome.ERROR.value,
            "error": str(error),
            "error_count": count,
            "next_fetch_at": now + _backoff(count),
        }
        if isinstance(error, RetryLaterError) and isinstance(error.retry_at, dt.datetime):
            columns["retry_at"] = error.retry_at
        if status == 410:
            columns["muted"] = 1
            columns["muted_reason"] = (
                f"{error} Gloss stopped refreshing it; refresh it by name to try again."
            )
        feed_store.update_fetch_state(self._db, state.feed_id, **columns)
        return RefreshResult(state.feed_id, state.url, RefreshOutcome.ERROR, error=str(error))

    def _store_not_modified(self, outcome: FeedOutcome, now: dt.datetime) -> RefreshResult:
        state, fetch = outcome.state, outcome.fetch
        assert fetch is not None
        columns: dict[str, object] = {
            "last_fetched_at": now,
            "last_success_at": now,
            "last_status": fetch.status,
            "last_result": RefreshOutcome.NOT_MODIFIED.value,
            "error": None,
            "error_count": 0,
            "retry_at": None,
            "next_fetch_at": self._next_due(outcome, now),
        }
        # RFC 9111: a 304 may carry fresher validators; keep them (verbatim).
        if fetch.etag:
            columns["etag"] = fetch.etag
        if fetch.last_modified:
            columns["last_modified"] = fetch.last_modified
        feed_store.update_fetch_state(self._db, state.feed_id, **columns)
        return RefreshResult(state.feed_id, state.url, RefreshOutcome.NOT_MODIFIED)

    def _store_parsed(self, outcome: FeedOutcome, now: dt.datetime) -> RefreshResult:
        state, fetch, parsed = outcome.state, outcome.fetch, outcome.parsed
        assert fetch is not None and parsed is not None
        title = parsed.title or state.title
        stored = article_store.store_entries(
            self._db,
            state.feed_id,
            title,
            parsed.entries,
            now,
            rules=self._feed_rules(state.feed_id),
        )
        # A changed entry got a new current text: its highlights follow their words onto it,
        # and only then may the versions they were anchored in go.
        for article_id in annotation_store.articles_with_highlights(self._db, stored.updated):
            annotation_store.reanchor_article(self._db, article_id)
        article_store.drop_replaced_texts(self._db, stored.replaced_texts)
        # Full texts and images are fetched after the refresh (process_offline); here the
        # work is only written down, in the same transaction as the entries it is for.
        touched = (*stored.new, *stored.updated)
        self._queue_offline(state.feed_id, parsed, touched, now, changed=set(stored.updated))
        columns: dict[str, object] = {
            "title": title,
            "site_url": parsed.site_url,
            "etag": fetch.etag,
            "last_modified": fetch.last_modified,
            "body_sha256": fetch.body_sha256,
            "last_fetched_at": now,
            "last_success_at": now,
            "last_status": fetch.status,
            "last_result": RefreshOutcome.OK.value,
            "error": None,
            "warning": parsed.warning,
            "error_count": 0,
            "retry_at": None,
            "ttl_minutes": parsed.ttl_minutes,
            "next_fetch_at": self._next_due(outcome, now),
        }
        moved_from = None
        new_url = fetch.permanent_redirect_to
        # H1/H2: follow a permanent move only when every hop was permanent AND it parsed.
        if (
            new_url
            and new_url != state.url
            and feed_store.find_feed_by_url(self._db, new_url) is None
        ):
            columns["url"] = new_url
            execute(
                self._db,
                "INSERT INTO feed_url_history (feed_id, old_url, new_url, changed_at, reason) "
                "VALUES (?, ?, ?, ?, ?)",
                [state.feed_id, state.url, new_url, to_db(now), "permanent redirect"],
            )
            moved_from = state.url
        feed_store.update_fetch_state(self._db, state.feed_id, **columns)
        warning = parsed.warning
        if stored.rekeyed:
            note = (
                f"{len(stored.rekeyed)} article(s) came back under new ids from the publisher; "
                "Gloss kept them as the same articles (read state, stars and notes kept)."
            )
            warning = f"{warning} {note}" if warning else note
        return RefreshResult(
            state.feed_id,
            columns.get("url", state.url),  # type: ignore[arg-type]
            RefreshOutcome.OK,
            new_articles=len(stored.new),
            updated_articles=len(stored.updated),
            warning=warning,
            url_changed_from=moved_from,
            articles=touched,
        )

    # ---- articles -------------------------------------------------------------------------

    def list_articles(
        self,
        flt: ArticleFilter | None = None,
        *,
        after: ArticleCursor | None = None,
        limit: int = 100,
    ) -> ArticlePage:
        return article_store.list_articles(self._db, flt or ArticleFilter(), after, limit)

    def get_article(self, article_id: ArticleId) -> ArticleDetail:
        return article_store.get_article_detail(self._db, article_id)

    def set_read(self, article_ids: Iterable[ArticleId], read: bool = True) -> Changes:
        return self._set_flag(list(article_ids), "read", read)

    def set_starred(self, article_ids: Iterable[ArticleId], starred: bool = True) -> Changes:
        return self._set_flag(list(article_ids), "starred", starred)

    def _set_flag(self, ids: list[ArticleId], column: str, value: bool) -> Changes:
        with self._transaction():
            missing = set(ids) - article_store.existing_article_ids(self._db, ids)
            if missing:
                raise NotFoundError(f"There is no article with id {min(missing)}.")
            feeds = article_store.set_flag(self._db, ids, column, value, utcnow())
        return Changes(feeds=frozenset(feeds), articles=frozenset(ids), counts=column == "read")

    def mark_all_read(self, flt: ArticleFilter | None = None) -> tuple[int, Changes]:
        with self._transaction():
            count, feeds = article_store.mark_read_where(self._db, flt or ArticleFilter(), utcnow())
        return count, Changes(feeds=frozenset(feeds), counts=True)

    def list_highlights(self, article_id: ArticleId | None = None) -> list[Highlight]:
        """Live highlights: one article's in reading order (orphans last), or all, newest first."""
        return annotation_store.list_highlights(self._db, article_id)

    def list_notes(self, article_id: ArticleId) -> list[Note]:
        return annotation_store.list_notes(self._db, article_id)

    # ---- OPML -----------------------------------------------------------------------------

    def import_opml(self, data: bytes) -> OpmlImportResult:
        """All or nothing: the file is parsed completely before one transaction stores it."""
        from reader.core import opml

        document = opml.parse_opml(data)
        added = skipped = folders_created = 0
        now = utcnow()
        feed_ids: set[FeedId] = set()
        with self._transaction():
            policy = offline_store.get_settings(self._db).full_text_default
            for item in document.feeds:
                if feed_store.find_feed_by_url(self._db, item.url) is not None:
                    skipped += 1
                    continue
                folder_id, created = feed_store.ensure_folder_path(self._db, item.folder_path)
                folders_created += created
                feed_id = feed_store.insert_feed(
                    self._db,
                    url=item.url,
                    title=item.title,
                    site_url=item.site_url,
                    folder_id=folder_id,
                    now=now,
                    full_text=policy,
                )
                feed_ids.add(feed_id)
                added += 1
        return OpmlImportResult(
            added=added,
            skipped=skipped + len(document.skipped),
            folders_created=folders_created,
            changes=Changes(feeds=frozenset(feed_ids), folders=True, counts=True),
        )

    def export_opml(self) -> bytes:
        from reader.core import opml

        paths = feed_store.folder_paths(self._db)
        items = [
            opml.OpmlFeed(
                url=feed.url,
                title=feed.title,
                site_url=feed.site_url,
                folder_path=paths.get(feed.folder_id, ()) if feed.folder_id is not None else (),
            )
            for feed in self.list_feeds()
        ]
        return opml.write_opml(items)

    # ---- maintenance ----------------------------------------------------------------------

    def backup(self, *, keep: int = DEFAULT_BACKUPS_KEPT) -> maintenance.BackupInfo:
        return maintenance.backup(self._db, self.path, keep=keep)

    def _remove_cached_images(self, names: Iterable[str]) -> None:
        from reader.core.image_cache import remove_cached

        try:
            remove_cached(self.path, names)
        except OSError as e:  # an undeletable file is an orphan for `gloss check`, not an error
            log.warning("could not remove cached images: %s", e)

    def check(self) -> CheckReport:
        from reader.core.image_cache import cache_inventory

        problems = maintenance.quick_check(self._db)
        inventory = cache_inventory(self.path)
        used = offline_store.referenced_cache_names(self._db)
        orphans = {name: size for name, size in inventory.items() if name not in used}
        feeds = int(scalar(self._db, "SELECT count(*) FROM feeds"))
        count = int(scalar(self._db, "SELECT count(*) FROM articles"))
        size = sum(p.stat().st_size for p in (self.path,) if p.exists())
        messages = list(problems) if problems else ["quick_check: ok"]
        index_problems = [] if problems else self.search_index_problems()
        messages += index_problems or ([] if problems else ["search index: ok"])
        return CheckReport(
            ok=not problems and not index_problems,
            messages=tuple(messages),
            library_path=str(self.path),
            size_bytes=size,
            feeds=feeds,
            articles=count,
            backups=tuple(str(b.path) for b in maintenance.list_backups(self.path)),
            image_cache_bytes=sum(inventory.values()),
            image_files=len(inventory),
            orphan_images=len(orphans),
            orphan_bytes=sum(orphans.values()),
        )

    # ---- internals ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[Database]:
        """``write_transaction``, with SQLite failures as a StorageError a user can act on."""
        try:
            with write_transaction(self._db):
                yield self._db
        except sqlite3.Error as e:
            raise StorageError(sqlite_error_message(e)) from e

    # ---- added for the window ----

    def get_articles(self, article_ids: Iterable[ArticleId]) -> list[Article]:
        """The listed articles that still exist (the window re-reads rows a change touched)."""
        return window_queries.articles_by_id(self._db, list(article_ids))

    def starred_count(self) -> int:
        return window_queries.starred_count(self._db)

    def saved_unread_count(self) -> int:
        return window_queries.saved_unread_count(self._db)

    def list_articles_sorted(
        self,
        flt: ArticleFilter | None,
        *,
        sort: str,
        descending: bool = False,
        after: window_queries.SortedCursor | None = None,
        limit: int = 100,
    ) -> tuple[list[Article], window_queries.SortedCursor | None]:
        """A page ordered by ``sort`` ("title" or "feed"), keyset-paged like ``list_articles``."""
        if sort not in window_queries.SORT_EXPRESSIONS:
            raise GlossError(f"Articles cannot be sorted by {sort!r}.")
        return window_queries.list_articles_sorted(
            self._db, flt or ArticleFilter(), sort, descending, after, limit
        )

    @staticmethod
    def readable_now(path: Path) -> bool:
        """Whether a read-only connection may open before the writer's start-up checks finish.

        True for an existing library at this Gloss's schema version; the window then reads while
        the checks run, and closes if they fail. False means: wait for the writer.
        """
        try:
            return path.stat().st_size > 0 and not has_pending_migrations(path)
        except (OSError, sqlite3.Error):
            return False

    # ---- favicons -------------------------------------------------------------------------

    def fetch_favicons(
        self,
        feed_ids: Sequence[FeedId] | None = None,
        *,
        max_age: dt.timedelta = dt.timedelta(days=30),
    ) -> Changes:
        """Look up the site icons the feeds pane shows, for feeds that have none yet.

        A site is asked again only ``max_age`` after its last answer, found or not, so a site
        without an icon costs two requests a month. Muted and demo feeds are never asked: muting
        means Gloss leaves that server alone. A site that could not be reached keeps no verdict
        and is tried the next time. Network first, then one short write transaction.
        """
        from reader.core import favicons
        from reader.core.demo import is_demo_url

        cutoff = to_db(utcnow() - max_age)
        rows = self._db.conn.execute(
            "SELECT id, url, site_url FROM feeds WHERE favicon IS NULL AND muted = 0 "
            "AND (favicon_checked_at IS NULL OR favicon_checked_at <= ?)",
            [cutoff],
        ).fetchall()
        wanted = None if feed_ids is None else set(feed_ids)
        sites = {
            FeedId(feed_id): site_url or favicons.site_root(url)
            for feed_id, url, site_url in rows
            if (wanted is None or feed_id in wanted) and not is_demo_url(url)
        }
        if not sites:
            return Changes()
        found = favicons.fetch_favicons(self.path, sites)
        if not found:
            return Changes()
        checked_at = to_db(utcnow())
        with self._transaction():
            self._db.conn.executemany(
                "UPDATE feeds SET favicon = ?, favicon_checked_at = ? WHERE id = ?",
                [(icon, checked_at, feed_id) for feed_id, icon in found.items()],
            )
        return Changes(feeds=frozenset(i for i, icon in found.items() if icon is not None))
