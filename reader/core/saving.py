"""Saving what did not come from a feed: a web page, an HTML file, a pasted or piped text.

Saved items are ordinary articles (read state, highlights, notes, export all work) with no feed,
``saved = 1`` and a text version of source ``saved``; the feeds pane lists them under "Saved".
Each has a key ("url:…" or "text:<sha256>") so that saving the same page or the same text twice
is recognised and offered as "already in your library" instead of stored again.

The network and extraction half (``fetch_page``, ``read_html_file``) takes no library, so the
window can run it on its network pool while the writer thread stays free; ``save_extracted`` and
``save_text`` then store in one short transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.content import canonical_text, openable_link, plain_text, strip_control_chars
from reader.core.errors import GlossError
from reader.core.storage import articles as article_store
from reader.core.storage import offline as offline_store
from reader.core.storage.sql import execute, scalar
from reader.core.timeutil import to_db, utcnow
from reader.core.types import ArticleId, Changes, SaveResult, TextSource

if TYPE_CHECKING:
    from reader.core.extract import ExtractedPage
    from reader.core.parse import ParsePool

SAVED_SOURCE = "Saved"
MAX_FILE_BYTES = 15 * 1024 * 1024
MAX_TEXT_CHARS = 5_000_000
HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml", ".shtml", ".mhtml"})
TEXT_SUFFIXES = frozenset({".txt", ".text", ".md", ".markdown", ".mdown", ".mkd", ""})
_TITLE_CHARS = 300


def url_key(url: str) -> str:
    return f"url:{url}"


def text_key(text: str) -> str:
    """Same words, same key: whitespace and line endings do not make a capture new."""
    folded = " ".join(strip_control_chars(text).split())
    return "text:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()


# ---- the network half (no library) ---------------------------------------------------------


def fetch_page(url: str, pool: ParsePool[ExtractedPage]) -> ExtractedPage:
    """Fetch ``url`` (feed limits) and extract its article in a worker; ``GlossError`` if not."""
    from reader.core.fetch import check_url
    from reader.core.offline import fetch_and_extract, make_page_fetcher

    checked = check_url(url)

    async def run() -> ExtractedPage:
        async with make_page_fetcher() as fetcher:
            return await fetch_and_extract(fetcher, pool, checked)

    return asyncio.run(run())


def read_html_file(path: Path, pool: ParsePool[ExtractedPage]) -> ExtractedPage:
    """Extract the article of a saved HTML file, in a worker with the same limits as pages."""
    data = _read_file(path)
    future = pool.submit(data, "", "text/html")
    page: ExtractedPage = future.result()
    return page


def _read_file(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise GlossError(
                f"{path} is too large to save ({size / 1e6:.1f} MB; the limit is "
                f"{MAX_FILE_BYTES / 1e6:.0f} MB)."
            )
        return path.read_bytes()
    except IsADirectoryError:
        raise GlossError(f"{path} is a folder, not a file.") from None
    except FileNotFoundError:
        raise GlossError(f"There is no file {path}.") from None
    except OSError as e:
        raise GlossError(f"Cannot read {path}: {e.strerror or e}") from None


def read_text_file(path: Path) -> str:
    data = _read_file(path)
    if b"\x00" in data[:8192]:
        raise GlossError(f"{path} is not a text or HTML file.")
    for encoding in (
        ("utf-8-sig", "utf-16") if data[:2] in (b"\xff\xfe", b"\xfe\xff") else ("utf-8-sig",)
    ):
        with contextlib.suppress(UnicodeDecodeError):
            return data.decode(encoding)
    return data.decode("cp1252", errors="replace")


def is_html_file(path: Path, head: bytes | None = None) -> bool:
    if path.suffix.lower() in HTML_SUFFIXES:
        return True
    if path.suffix.lower() in TEXT_SUFFIXES - {""}:
        return False
    if head is None:
        with contextlib.suppress(OSError), path.open("rb") as f:
            head = f.read(512)
    start = (head or b"").lstrip().lower()
    return start.startswith((b"<!doctype html", b"<html"))


# ---- the library half -------------------------------------------------------------------------


class SavingMethods:
    """Needs ``_db``, ``_transaction`` and ``_extract_pool`` from ``Library``."""

    _db: Database

    if TYPE_CHECKING:

        def _transaction(self) -> contextlib.AbstractContextManager[Database]: ...

        def _extract_pool(self) -> ParsePool[ExtractedPage]: ...

    def find_saved(self, *, url: str | None = None, text: str | None = None) -> ArticleId | None:
        """The article already holding this page (saved, or from a feed) or this text."""
        if url is not None:
            from reader.core.fetch import check_url

            with contextlib.suppress(GlossError):
                url = check_url(url)
            found = scalar(
                self._db,
                "SELECT id FROM articles WHERE saved = 1 AND key = ? ORDER BY id LIMIT 1",
                [url_key(url)],
            ) or scalar(
                self._db, "SELECT id FROM articles WHERE link = ? ORDER BY id LIMIT 1", [url]
            )
            return ArticleId(int(found)) if found is not None else None
        if text is not None:
            found = scalar(
                self._db,
                "SELECT id FROM articles WHERE saved = 1 AND key = ? ORDER BY id LIMIT 1",
                [text_key(text)],
            )
            return ArticleId(int(found)) if found is not None else None
        return None

    def save_url(self, url: str) -> SaveResult:
        """Fetch the page, extract its article and keep it under Saved (or say it is there)."""
        existing = self._duplicate(url=url)
        if existing is not None:
            return existing
        page = fetch_page(url, self._extract_pool())
        return self.save_extracted(page, source_url=url)

    def save_file(self, path: Path) -> SaveResult:
        """An HTML file is extracted like a page; a text or Markdown file is taken as a text."""
        if is_html_file(path):
            page = read_html_file(path, self._extract_pool())
            return self.save_extracted(page, source_url=None, fallback_title=path.stem)
        return self.save_text(read_text_file(path), fallback_title=path.stem)

    def save_extracted(
        self,
        page: ExtractedPage,
        *,
        source_url: str | None,
        fallback_title: str | None = None,
    ) -> SaveResult:
        from reader.core.fetch import check_url

        link: str | None = None
        for candidate in (source_url, page.url):
            if candidate:
                with contextlib.suppress(GlossError):
                    link = check_url(candidate)
                    break
        key = url_key(link) if link else text_key(page.text)
        existing = self._duplicate(url=link) if link else self._duplicate(text=page.text)
        if existing is not None:
            return existing
        title = page.title or fallback_title or _first_words(page.text) or "(untitled)"
        with self._transaction():
            article_id = self._insert_saved(
                key=key,
                link=link,
                title=title,
                author=page.author,
                published=page.published,
                source_title=page.site_name or _host(link) or SAVED_SOURCE,
                html=page.html,
                text=page.text,
                extractor=page.extractor,
                extractor_version=page.extractor_version,
                now=utcnow(),
            )
        return SaveResult(article_id, title, False, (), _saved_changes([article_id]))

    def save_text(
        self,
        text: str,
        *,
        captured_at: dt.datetime | None = None,
        fallback_title: str | None = None,
    ) -> SaveResult:
        """A pasted, piped or file text (plain or Markdown), cleaned of aggregator furniture.

        Related-article teasers found in it are saved as their own articles, linked from it.
        """
        from reader.core.textcapture import clean_capture

        if len(text) > MAX_TEXT_CHARS:
            raise GlossError(
                f"The text is too long to save ({len(text):,} characters; the limit is "
                f"{MAX_TEXT_CHARS:,})."
            )
        if not text.strip():
            raise GlossError("There is no text to save.")
        existing = self._duplicate(text=text)
        if existing is not None:
            return existing
        now = captured_at or utcnow()
        capture = clean_capture(text, captured_at=now)
        body_text = canonical_text(capture.html)
        if not body_text.strip():
            raise GlossError("The text has nothing left to save once its page furniture is gone.")
        title = capture.title or fallback_title or _first_words(body_text) or "(untitled)"
        source = capture.source or SAVED_SOURCE
        saved_at = utcnow()
        with self._transaction():
            main = self._insert_saved(
                key=text_key(text),
                link=openable_link(capture.link),
                title=title,
                author=capture.author,
                published=capture.published,
                source_title=source,
                html=capture.html,
                text=body_text,
                extractor="gloss-textcapture",
                extractor_version=None,
                now=saved_at,
            )
            related: list[ArticleId] = []
            for n, teaser in enumerate(capture.related, 1):
                from reader.core.content import html_from_text

                html = html_from_text(teaser.text)
                teaser_id = self._insert_saved(
                    key=text_key(f"{teaser.title}\n{teaser.text}"),
                    link=None,
                    title=teaser.title,
                    author=None,
                    published=teaser.published,
                    source_title=teaser.source or source,
                    html=html,
                    text=canonical_text(html),
                    extractor="gloss-textcapture",
                    extractor_version=None,
                    now=saved_at - dt.timedelta(seconds=n),
                )
                execute(
                    self._db,
                    "INSERT OR IGNORE INTO article_links (article_id, related_id) VALUES (?, ?)",
                    [main, teaser_id],
                )
                related.append(teaser_id)
        return SaveResult(main, title, False, tuple(related), _saved_changes([main, *related]))

    # ---- internals ------------------------------------------------------------------------

    def _duplicate(self, *, url: str | None = None, text: str | None = None) -> SaveResult | None:
        found = self.find_saved(url=url, text=text)
        if found is None:
            return None
        title = scalar(self._db, "SELECT title FROM articles WHERE id = ?", [found]) or ""
        return SaveResult(found, str(title), True)

    def _insert_saved(
        self,
        *,
        key: str,
        link: str | None,
        title: str,
        author: str | None,
        published: dt.datetime | None,
        source_title: str,
        html: str,
        text: str,
        extractor: str | None,
        extractor_version: str | None,
        now: dt.datetime,
    ) -> ArticleId:
        # A teaser saved twice (same key) is the same article: link to it, do not store again.
        existing = scalar(
            self._db, "SELECT id FROM articles WHERE saved = 1 AND key = ? LIMIT 1", [key]
        )
        if existing is not None:
            return ArticleId(int(existing))
        now_db = to_db(now)
        article_id = ArticleId(
            execute(
                self._db,
                "INSERT INTO articles (feed_id, source_title, key, link, title, author, "
                "published_at, added_at, sort_at, saved) VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                [
                    plain_text(source_title, html=False, max_chars=_TITLE_CHARS),
                    key,
                    link,
                    plain_text(title, html=False, max_chars=_TITLE_CHARS),
                    plain_text(author, html=False, max_chars=_TITLE_CHARS) if author else None,
                    to_db(published),
                    now_db,
                    now_db,
                ],
            )
        )
        article_store.add_text_version(
            self._db,
            article_id,
            html,
            text,
            TextSource.SAVED,
            now,
            extractor=extractor,
            extractor_version=extractor_version,
        )
        if "<img" in html and offline_store.get_settings(self._db).images:
            offline_store.queue_images(self._db, article_id, now)
        return article_id


def _saved_changes(ids: Sequence[ArticleId]) -> Changes:
    return Changes(articles=frozenset(ids), counts=True, saved=True)


def _first_words(text: str, words: int = 10) -> str:
    first = text.strip().split("\n", 1)[0].split()
    return " ".join(first[:words]) + ("…" if len(first) > words else "")


def _host(url: str | None) -> str | None:
    if not url:
        return None
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.") or None
