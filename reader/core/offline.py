"""Make articles readable offline: fetch linked pages, extract them, download their images.

Shaped like refresh.py: an asyncio loop in a helper thread does the network work, extraction runs
in worker processes with a time limit (reliability.md R8), and finished articles land in a queue
that the caller's thread drains and writes (rule 3: one writer). Nothing here touches the
database, so closing the iterator early loses only work that was never stored.

Pages are fetched with the same ``Fetcher`` limits as feeds (timeouts, the 15 MiB cap, five
redirects by hand, two connections per host, no cookies, no Referer); images with their own cap.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from reader.core.background import BackgroundRun
from reader.core.errors import GlossError
from reader.core.fetch import Fetcher
from reader.core.offline_images import (
    ImageOutcome,
    ImageRef,
    download_image,
    image_refs,
    make_image_fetcher,
)
from reader.core.storage.offline import WorkItem

if TYPE_CHECKING:
    from reader.core.extract import ExtractedPage
    from reader.core.parse import ParsePool

PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.3"
ARTICLES_AT_ONCE = 8  # articles in flight; each host still gets at most two connections
IMAGES_PER_ARTICLE = 4

_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "")


@dataclass(frozen=True, slots=True)
class ArticleWork:
    """One article's results, before anything is written."""

    item: WorkItem
    page: ExtractedPage | None  # the extracted full text, when one was wanted and found
    fulltext_error: str | None
    images: tuple[ImageOutcome, ...]


def make_page_fetcher() -> Fetcher:
    return Fetcher(accept=PAGE_ACCEPT)


async def fetch_and_extract(
    fetcher: Fetcher, pool: ParsePool[ExtractedPage], url: str
) -> ExtractedPage:
    """The article of the page at ``url`` (its ``url`` is where it was found), or GlossError."""
    result = await fetcher.fetch(url)
    if result.body is None:
        raise GlossError(f"The server sent no page for {url}.")
    media_type = (result.content_type or "").split(";", 1)[0].strip().lower()
    if media_type not in _HTML_TYPES:
        raise GlossError(f"{result.final_url} is not a web page (it is {media_type}).")
    future = pool.submit(result.body, result.final_url, result.content_type)
    page: ExtractedPage = await asyncio.wrap_future(future)
    return page


class OfflineRun(BackgroundRun[ArticleWork]):
    """Iterate to receive one ``ArticleWork`` per item, in completion order."""

    def __init__(
        self,
        items: Sequence[WorkItem],
        *,
        library_path: Path,
        extract_pool: ParsePool[ExtractedPage],
        max_image_bytes: int,
        room_left: int | None,
        make_fetcher: Callable[[], Fetcher] | None = None,
        make_image_fetcher_: Callable[[int], Fetcher] | None = None,
    ) -> None:
        super().__init__(name="gloss-offline", empty=not items)
        self._items = list(items)
        self._downloads: dict[str, asyncio.Future[ImageOutcome]] = {}
        self._library_path = library_path
        self._pool = extract_pool
        self._max_image_bytes = max_image_bytes
        self._room_left = room_left
        # Looked up when the run starts, so a test can give pages a shorter deadline.
        self._make_fetcher = make_fetcher or (lambda: make_page_fetcher())
        self._make_image_fetcher = make_image_fetcher_ or (
            lambda cap: make_image_fetcher(max_image_bytes=cap)
        )

    def __len__(self) -> int:
        return len(self._items)

    async def _work(self) -> None:
        slots = asyncio.Semaphore(ARTICLES_AT_ONCE)
        async with (
            self._make_fetcher() as pages,
            self._make_image_fetcher(self._max_image_bytes) as images,
        ):
            await asyncio.gather(*(self._one(pages, images, slots, i) for i in self._items))

    async def _one(
        self, pages: Fetcher, images: Fetcher, slots: asyncio.Semaphore, item: WorkItem
    ) -> None:
        async with slots:
            try:
                work = await self._article(pages, images, item)
            except Exception as e:  # a bug costs one article, not the run
                work = ArticleWork(
                    item, None, f"Offline work failed ({type(e).__name__}: {e}).", ()
                )
            self._put(work)

    async def _article(self, pages: Fetcher, images: Fetcher, item: WorkItem) -> ArticleWork:
        page: ExtractedPage | None = None
        error: str | None = None
        if item.fulltext and item.link:
            try:
                page = await fetch_and_extract(pages, self._pool, item.link)
            except GlossError as e:
                error = str(e)
        outcomes: tuple[ImageOutcome, ...] = ()
        if item.images:
            htmls = [t.html for t in item.texts] + ([page.html] if page is not None else [])
            outcomes = await self._images(images, item, htmls)
        return ArticleWork(item, page, error, outcomes)

    async def _images(
        self, fetcher: Fetcher, item: WorkItem, htmls: Sequence[str]
    ) -> tuple[ImageOutcome, ...]:
        known = {url for url, _ in item.stored_images} | item.skipped_images
        refs: dict[str, ImageRef] = {}
        for html in htmls:
            for ref in image_refs(html):
                if ref.url not in known:
                    refs.setdefault(ref.url, ref)
        if not refs:
            return ()
        limit = asyncio.Semaphore(IMAGES_PER_ARTICLE)

        async def download(ref: ImageRef) -> ImageOutcome:
            async with limit:
                outcome = await download_image(
                    fetcher, ref, self._library_path, room_left=self._room_left
                )
            if self._room_left is not None and outcome.cache_url is not None:
                self._room_left = max(0, self._room_left - outcome.size)
            return outcome

        def shared(ref: ImageRef) -> asyncio.Future[ImageOutcome]:
            # A site's logo or byline photo appears in every article: one request per run.
            task = self._downloads.get(ref.url)
            if task is None:
                task = self._downloads[ref.url] = asyncio.ensure_future(download(ref))
            return task

        return tuple(await asyncio.gather(*(shared(r) for r in refs.values())))
