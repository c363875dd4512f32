"""Site icons for the feeds pane: find each feed's favicon on the web and keep it in the cache.

Where an icon lives is a convention, not a standard: most sites answer ``/favicon.ico``, the
rest name theirs in a ``<link rel="icon">`` on the home page. Both are tried, in that order,
because the first costs one small request and the second a whole page. Icons are untrusted bytes
like any image: ``image_cache.store_image`` decides whether they are one (SVG never is).

Pure of the database: the caller picks the feeds and records what came back. A site that could
not be asked (no connection, a timeout, a busy or failing server) is left out of the answer, so
the caller can tell "looked and found nothing" (``None``) from "try again another day" (absent).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from collections.abc import Callable, Mapping
from html.parser import HTMLParser
from pathlib import Path

from reader.core.errors import FetchError, GlossError, ResponseTooLargeError, RetryLaterError
from reader.core.fetch import Fetcher, FetchResult
from reader.core.image_cache import ImageRejectedError, store_image
from reader.core.types import FeedId

MAX_ICON_BYTES = 256 * 1024
"""An icon is a few kilobytes; anything past this is not worth a row in the feeds pane."""

MAX_PAGE_BYTES = 1024 * 1024
"""The home page is read only for its ``<head>``; a bigger page is not worth the bandwidth."""

MAX_LINKED_ICONS = 3
"""How many ``<link rel=icon>`` candidates to try before giving up on a site."""

ICON_ACCEPT = "image/avif,image/webp,image/png,image/x-icon,image/*;q=0.8,*/*;q=0.5"
PAGE_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5"

# rel tokens, best first: a page's own icon, then the larger touch icon Apple devices use.
_REL_RANK = {"icon": 0, "apple-touch-icon": 1, "apple-touch-icon-precomposed": 2}


class _SiteUnreachableError(Exception):
    """The site could not be asked at all: keep no verdict, so that another day tries again."""


def icon_fetcher() -> Fetcher:
    """One connection per host: icons are a background nicety and must never crowd a server."""
    return Fetcher(max_bytes=MAX_ICON_BYTES, accept=ICON_ACCEPT, per_host=1, total_timeout=15.0)


def page_fetcher() -> Fetcher:
    return Fetcher(max_bytes=MAX_PAGE_BYTES, accept=PAGE_ACCEPT, per_host=1, total_timeout=15.0)


def site_root(url: str) -> str:
    """The home page to search when a feed names no site: its host's root."""
    pages = site_pages(url)
    return url if pages is None else pages[0]


def site_pages(url: str) -> tuple[str, str] | None:
    """The site's root (where ``/favicon.ico`` lives) and home page for a site or feed URL."""
    try:
        parts = urllib.parse.urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
    return root, urllib.parse.urlunsplit((parts.scheme, parts.netloc, parts.path or "/", "", ""))


def fetch_favicons(
    library_path: Path,
    sites: Mapping[FeedId, str],
    *,
    make_icon_fetcher: Callable[[], Fetcher] = icon_fetcher,
    make_page_fetcher: Callable[[], Fetcher] = page_fetcher,
) -> dict[FeedId, str | None]:
    """Synchronous wrapper for ``find_favicons``; not for use inside a running event loop."""
    return asyncio.run(
        find_favicons(
            library_path,
            sites,
            make_icon_fetcher=make_icon_fetcher,
            make_page_fetcher=make_page_fetcher,
        )
    )


async def find_favicons(
    library_path: Path,
    sites: Mapping[FeedId, str],
    *,
    make_icon_fetcher: Callable[[], Fetcher] = icon_fetcher,
    make_page_fetcher: Callable[[], Fetcher] = page_fetcher,
) -> dict[FeedId, str | None]:
    """``{feed_id: cache URL or None}`` for each feed's site URL (its home page).

    Feeds on one site share one lookup. A feed whose site could not be reached is absent.
    """
    by_site: dict[tuple[str, str], list[FeedId]] = {}
    found: dict[FeedId, str | None] = {}
    for feed_id, url in sites.items():
        pages = site_pages(url)
        if pages is None:
            found[feed_id] = None  # nothing on the web to ask
        else:
            by_site.setdefault(pages, []).append(feed_id)
    if not by_site:
        return found
    async with make_icon_fetcher() as icons, make_page_fetcher() as pages_fetcher:
        lookups = [
            _site_icon(library_path, root, home, icons, pages_fetcher) for root, home in by_site
        ]
        verdicts = await asyncio.gather(*lookups, return_exceptions=True)
    for feed_ids, verdict in zip(by_site.values(), verdicts, strict=True):
        if isinstance(verdict, _SiteUnreachableError):
            continue
        if isinstance(verdict, BaseException):
            raise verdict
        for feed_id in feed_ids:
            found[feed_id] = verdict
    return found


async def _site_icon(
    library_path: Path, root: str, home: str, icons: Fetcher, pages: Fetcher
) -> str | None:
    stored = await _fetch_icon(library_path, urllib.parse.urljoin(root, "/favicon.ico"), icons)
    if stored is not None:
        return stored
    page = await _fetch(pages, home)
    if page is None or page.body is None or not _looks_like_html(page):
        return None
    for href in find_icon_links(page.body.decode("utf-8", "replace"), page.final_url):
        stored = await _fetch_icon(library_path, href, icons)
        if stored is not None:
            return stored
    return None


async def _fetch_icon(library_path: Path, url: str, icons: Fetcher) -> str | None:
    result = await _fetch(icons, url)
    if result is None or not result.body:
        return None
    try:
        return store_image(library_path, result.body, content_type_or_ext=result.content_type or "")
    except ImageRejectedError:
        return None  # an HTML "not found" page with a 200, an SVG, a huge image


async def _fetch(fetcher: Fetcher, url: str) -> FetchResult | None:
    """The response, ``None`` when the server answered without one, or raise when unreachable."""
    try:
        return await fetcher.fetch(url)
    except RetryLaterError as e:
        raise _SiteUnreachableError(str(e)) from None
    except FetchError as e:
        if _answered(e):
            return None  # 404, 403, 410, a redirect loop, an oversized icon: the site said "no"
        raise _SiteUnreachableError(str(e)) from None
    except GlossError:
        return None  # a URL we will not fetch (a link to file:, a bad address)


def _answered(error: FetchError) -> bool:
    """Whether the server gave a verdict, as opposed to a connection that failed or a 5xx.

    An oversized body has no status but is a verdict too.
    """
    if error.status is None:
        return isinstance(error, ResponseTooLargeError)
    return error.status < 500


def _looks_like_html(result: FetchResult) -> bool:
    kind = (result.content_type or "").split(";", 1)[0].strip().lower()
    return kind in ("", "text/html", "application/xhtml+xml")


def find_icon_links(html: str, base_url: str) -> list[str]:
    """Absolute http(s) URLs of the page's icon links, best first, SVG left out."""
    finder = _IconLinkFinder()
    try:
        finder.feed(html)
        finder.close()
    except _HeadDone:
        pass
    base = urllib.parse.urljoin(base_url, finder.base) if finder.base else base_url
    ranked: list[tuple[int, int, str]] = []
    for position, (rank, href, kind) in enumerate(finder.links):
        url = urllib.parse.urljoin(base, href.strip())
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            continue
        path = urllib.parse.urlsplit(url).path.lower()
        if kind == "image/svg+xml" or path.endswith((".svg", ".svgz")):
            continue
        ranked.append((rank, position, url))
    seen: set[str] = set()
    urls: list[str] = []
    for _, _, url in sorted(ranked):
        if url not in seen:
            seen.add(url)
            urls.append(url)
    return urls[:MAX_LINKED_ICONS]


class _HeadDone(Exception):
    """Raised by the parser at ``<body>``: icon links live in the head."""


class _IconLinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links: list[tuple[int, str, str]] = []  # (rank, href, type)
        self.base: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            raise _HeadDone
        values = {name: value or "" for name, value in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"].strip()
        if tag != "link" or not values.get("href"):
            return
        ranks = [_REL_RANK[t] for t in values.get("rel", "").lower().split() if t in _REL_RANK]
        if ranks:
            kind = values.get("type", "").strip().lower()
            self.links.append((min(ranks), values["href"], kind))

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            raise _HeadDone
