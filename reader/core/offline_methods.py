"""The Library's offline-reading methods (mixed into ``Library``): full texts, images, settings.

Everything a user must be able to read on a plane is fetched here, after a refresh stored the
feed entries: the linked page of a summary (extracted into a new text version) and every image the
stored texts show. The methods that do network work are generators yielding one
``OfflineProgress`` per article once it is written, so the window's writer thread interleaves a
user's clicks between articles and the CLI can draw a progress bar.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.content import openable_link
from reader.core.errors import GlossError, NotFoundError
from reader.core.storage import annotations as annotation_store
from reader.core.storage import articles as article_store
from reader.core.storage import offline as offline_store
from reader.core.storage.sql import execute, scalar
from reader.core.timeutil import to_db, utcnow
from reader.core.types import (
    ArticleId,
    Changes,
    FeedId,
    FolderId,
    FullTextPolicy,
    OfflineProgress,
    OfflineSettings,
    ReanchorReport,
    TextSource,
)

if TYPE_CHECKING:
    from reader.core.extract import ExtractedPage
    from reader.core.offline import ArticleWork
    from reader.core.parse import ParsePool

FULLTEXT_NOT_LONGER = "The page had no more text than the feed; the feed's text is shown."
MAX_CACHE_MB = 1_000_000
MAX_IMAGE_MB = 200
REEXTRACT_PER_RUN = 25  # full texts from an older extractor, re-extracted per offline run


class OfflineMethods:
    """Needs ``path``, ``_db``, ``_transaction`` and ``_extract_pool`` from ``Library``."""

    path: Path
    _db: Database

    if TYPE_CHECKING:

        def _transaction(self) -> contextlib.AbstractContextManager[Database]: ...

        def _extract_pool(self) -> ParsePool[ExtractedPage]: ...

        def _require_folder(self, folder_id: FolderId) -> FolderId | None: ...

    # ---- settings -------------------------------------------------------------------------

    def offline_settings(self) -> OfflineSettings:
        return offline_store.get_settings(self._db)

    def set_offline_settings(
        self,
        *,
        images: bool | None = None,
        image_cache_mb: int | None = None,
        max_image_mb: int | None = None,
        full_text_default: FullTextPolicy | None = None,
    ) -> OfflineSettings:
        """Change the library-wide settings; returns them as now stored. ``full_text_default``
        is the full-text policy a feed subscribed from now on starts with."""
        current = offline_store.get_settings(self._db)
        if image_cache_mb is not None and not 1 <= image_cache_mb <= MAX_CACHE_MB:
            raise GlossError(
                f"The image cache limit must be between 1 and {MAX_CACHE_MB:,} MB "
                f"(not {image_cache_mb})."
            )
        if max_image_mb is not None and not 1 <= max_image_mb <= MAX_IMAGE_MB:
            raise GlossError(
                f"The largest image kept must be between 1 and {MAX_IMAGE_MB} MB "
                f"(not {max_image_mb})."
            )
        updated = dataclasses.replace(
            current,
            images=current.images if images is None else images,
            image_cache_mb=current.image_cache_mb if image_cache_mb is None else image_cache_mb,
            max_image_mb=current.max_image_mb if max_image_mb is None else max_image_mb,
            full_text_default=current.full_text_default
            if full_text_default is None
            else full_text_default,
        )
        with self._transaction():
            offline_store.put_settings(self._db, updated)
        return updated

    def set_feed_offline(
        self,
        feed_id: FeedId,
        *,
        full_text: FullTextPolicy | None = None,
        images: bool | None = None,
    ) -> Changes:
        """A feed's full-text policy (auto / always / never) and whether its images are kept."""
        with self._transaction():
            if scalar(self._db, "SELECT 1 FROM feeds WHERE id = ?", [feed_id]) is None:
                raise NotFoundError(f"There is no feed with id {feed_id}.")
            offline_store.set_feed_options(self._db, feed_id, full_text=full_text, images=images)
        return Changes(feeds=frozenset({feed_id}))

    # ---- running offline work -------------------------------------------------------------

    def queue_offline(self, article_ids: Sequence[ArticleId]) -> int:
        """Note what these (new or changed) articles need; refresh calls it for what it stored."""
        with self._transaction():
            return offline_store.queue_articles(
                self._db, article_ids, utcnow(), settings=offline_store.get_settings(self._db)
            )

    def offline_pending(self) -> int:
        return offline_store.pending_count(self._db)

    def make_available_offline(
        self,
        feed_ids: Sequence[FeedId] | None = None,
        *,
        folder_id: FolderId | None = None,
    ) -> Iterator[OfflineProgress]:
        """Fetch now everything these feeds' articles need to be read offline (all feeds when
        neither is given): full texts per each feed's policy, and images, retrying failures."""
        ids = list(feed_ids) if feed_ids is not None else None
        if folder_id is not None:
            self._require_folder(folder_id)
            ids = [
                FeedId(r[0])
                for r in self._db.conn.execute(
                    "WITH RECURSIVE sub(id) AS (SELECT ? UNION SELECT folders.id FROM folders "
                    "JOIN sub ON folders.parent_id = sub.id) "
                    "SELECT id FROM feeds WHERE folder_id IN (SELECT id FROM sub)",
                    [folder_id],
                )
            ]
        if ids is not None:
            for feed_id in ids:
                if scalar(self._db, "SELECT 1 FROM feeds WHERE id = ?", [feed_id]) is None:
                    raise NotFoundError(f"There is no feed with id {feed_id}.")
        with self._transaction():
            articles = offline_store.queue_feeds(
                self._db, ids, utcnow(), settings=offline_store.get_settings(self._db)
            )
        return self.process_offline(articles)

    def refetch_full_text(self, article_id: ArticleId) -> Iterator[OfflineProgress]:
        """Fetch and extract the article's page again (a re-extraction): a new text version is
        added and highlights re-anchor onto it; versions a highlight needs are kept."""
        row = self._db.conn.execute(
            "SELECT link FROM articles WHERE id = ?", [article_id]
        ).fetchone()
        if row is None:
            raise NotFoundError(f"There is no article with id {article_id}.")
        if openable_link(row[0]) is None:
            raise GlossError("This article has no web page to fetch its full text from.")
        with self._transaction():
            offline_store.queue_fulltext(self._db, article_id, utcnow())
            if offline_store.get_settings(self._db).images:
                offline_store.queue_images(self._db, article_id, utcnow())
        return self.process_offline([article_id], refetch=True)

    def process_offline(
        self, article_ids: Sequence[ArticleId] | None = None, *, refetch: bool = False
    ) -> Iterator[OfflineProgress]:
        """Do the offline work that is due (for these articles, or all), newest first.

        Yields one ``OfflineProgress`` per article after its results are committed. Stopping
        early (closing the generator) keeps everything already written; the rest stays queued.
        """
        from reader.core.extractor_version import extractor_version
        from reader.core.offline import OfflineRun

        if article_ids is None:
            with self._transaction():
                offline_store.queue_stale_extractions(
                    self._db, extractor_version(), utcnow(), limit=REEXTRACT_PER_RUN
                )
        items = offline_store.due_work(self._db, utcnow(), article_ids=article_ids)
        if not items:
            return
        settings = offline_store.get_settings(self._db)
        from reader.core.image_cache import cache_size

        room = settings.image_cache_mb * 1024 * 1024 - cache_size(self.path)
        run = OfflineRun(
            items,
            library_path=self.path,
            extract_pool=self._extract_pool(),
            max_image_bytes=settings.max_image_mb * 1024 * 1024,
            room_left=max(0, room),
        )
        total = len(items)
        for done, work in enumerate(run, 1):
            yield self._store_offline(work, done, total, refetch=refetch)

    def _store_offline(
        self, work: ArticleWork, done: int, total: int, *, refetch: bool
    ) -> OfflineProgress:
        from reader.core.html_images import rewrite_image_sources

        item = work.item
        article_id = item.article_id
        now = utcnow()
        stored_full = False
        stored_images = [o for o in work.images if o.cache_url is not None]
        mapping = {url: f"cache:{name}" for url, name in item.stored_images}
        mapping.update({o.url: o.cache_url for o in stored_images if o.cache_url})
        errors = [work.fulltext_error] if work.fulltext_error else []
        errors += [o.error for o in work.images if o.error]
        feed_id = None
        with self._transaction():
            row = self._db.conn.execute(
                "SELECT feed_id FROM articles WHERE id = ?", [article_id]
            ).fetchone()
            if row is None:  # removed while its page was fetched: nothing to keep
                return OfflineProgress(
                    done, total, article_id, item.title, False, 0, 0, None, Changes()
                )
            feed_id = row[0]
            page = work.page
            if page is not None and self._same_full_text(article_id, page):
                # Re-extracted (an extractor upgrade) to the same words: relabel, no new version.
                offline_store.record_fulltext(self._db, article_id, now, error=None)
            elif page is not None:
                if len(page.text) > item.feed_text_chars or refetch:
                    html = rewrite_image_sources(page.html, mapping) if mapping else page.html
                    article_store.add_text_version(
                        self._db,
                        article_id,
                        html,
                        page.text,
                        TextSource.FULLTEXT,
                        now,
                        extractor=page.extractor,
                        extractor_version=page.extractor_version,
                    )
                    annotation_store.reanchor_article(self._db, article_id)
                    article_store.drop_older_versions(self._db, article_id, TextSource.FULLTEXT)
                    self._fill_metadata(article_id, page.author, page.published)
                    stored_full = True
                    offline_store.record_fulltext(self._db, article_id, now, error=None)
                else:
                    offline_store.record_fulltext(self._db, article_id, now, error=None)
                    execute(
                        self._db,
                        "UPDATE offline_work SET fulltext_error = ? WHERE article_id = ?",
                        [FULLTEXT_NOT_LONGER, article_id],
                    )
            elif item.fulltext:
                offline_store.record_fulltext(
                    self._db, article_id, now, error=work.fulltext_error or "No page text found."
                )
            if mapping:
                for text_id, html in self._db.conn.execute(
                    "SELECT id, html FROM article_texts WHERE article_id = ?", [article_id]
                ).fetchall():
                    rewritten = rewrite_image_sources(html, mapping)
                    if rewritten != html:
                        offline_store.replace_text_html(self._db, text_id, rewritten)
            if item.images:
                offline_store.record_images(
                    self._db,
                    article_id,
                    now,
                    [
                        (
                            o.url,
                            o.cache_url.partition(":")[2] if o.cache_url else None,
                            o.size,
                            o.skipped,
                            o.error,
                        )
                        for o in work.images
                    ],
                )
        changes = Changes(
            articles=frozenset({article_id}),
            feeds=frozenset({FeedId(feed_id)}) if feed_id is not None else frozenset(),
        )
        return OfflineProgress(
            done=done,
            total=total,
            article_id=article_id,
            title=item.title,
            full_text=stored_full,
            images_stored=len(stored_images),
            bytes_stored=sum(o.size for o in stored_images),
            error="; ".join(errors) if errors else None,
            changes=changes if (stored_full or stored_images) else Changes(),
        )

    def _same_full_text(self, article_id: ArticleId, page: ExtractedPage) -> bool:
        from reader.core.content import text_sha256

        row = self._db.conn.execute(
            "SELECT t.id, t.source, t.text_sha256 FROM articles a "
            "JOIN article_texts t ON t.id = a.current_text_id WHERE a.id = ?",
            [article_id],
        ).fetchone()
        if row is None or row[1] != TextSource.FULLTEXT.value or row[2] != text_sha256(page.text):
            return False
        execute(
            self._db,
            "UPDATE article_texts SET extractor = ?, extractor_version = ? WHERE id = ?",
            [page.extractor, page.extractor_version, row[0]],
        )
        return True

    def _fill_metadata(self, article_id: ArticleId, author: str | None, published: object) -> None:
        """The page may name what the feed did not: an author, a date. Never overwrites."""
        if author:
            execute(
                self._db,
                "UPDATE articles SET author = ? WHERE id = ? AND (author IS NULL OR author = '')",
                [author, article_id],
            )
        if published is not None:
            execute(
                self._db,
                "UPDATE articles SET published_at = ? WHERE id = ? AND published_at IS NULL",
                [to_db(published), article_id],  # type: ignore[arg-type]
            )

    # ---- which text is shown --------------------------------------------------------------

    def use_text_source(
        self, article_id: ArticleId, source: TextSource
    ) -> tuple[ReanchorReport, Changes]:
        """Show the article's newest text of this kind (the feed's, or the full text).

        Highlights re-anchor onto it; one that cannot be placed in a shorter text waits in
        "Could not place" and comes back when the reader switches back (rule 7).
        """
        with self._transaction():
            text_id = scalar(
                self._db,
                "SELECT max(id) FROM article_texts WHERE article_id = ? AND source = ?",
                [article_id, source.value],
            )
            if text_id is None:
                if scalar(self._db, "SELECT 1 FROM articles WHERE id = ?", [article_id]) is None:
                    raise NotFoundError(f"There is no article with id {article_id}.")
                raise GlossError(f"This article has no {_source_name(source)} stored.")
            execute(
                self._db,
                "UPDATE articles SET current_text_id = ? WHERE id = ?",
                [text_id, article_id],
            )
            report = annotation_store.reanchor_article(self._db, article_id)
        return report, Changes(articles=frozenset({article_id}))

    # ---- the image cache ------------------------------------------------------------------

    def prune_image_cache(self) -> tuple[int, int]:
        """Remove cache files nothing refers to; returns (files, bytes) removed."""
        from reader.core.image_cache import cache_inventory, remove_cached

        inventory = cache_inventory(self.path)
        used = offline_store.referenced_cache_names(self._db)
        orphans = [name for name in inventory if name not in used]
        return len(orphans), remove_cached(self.path, orphans)


def _source_name(source: TextSource) -> str:
    return {
        TextSource.FEED: "feed text",
        TextSource.FULLTEXT: "full text",
        TextSource.SAVED: "saved text",
    }[source]
