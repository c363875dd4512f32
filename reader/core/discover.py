"""Finding the feed behind an address a user typed (``gloss add URL``).

People paste whatever is in their address bar: the feed itself, the blog's home page, or a page
that only links to the feed. We fetch once, and only if that page neither is a feed nor names one
in ``<link rel="alternate">`` do we knock on the handful of places where blog engines put feeds.
Everything here is a cheap sniff, never a full parse: the chosen feed is parsed properly by
``parse.py`` when it is refreshed.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from html import escape as escape_html
from html import unescape as unescape_html
from html.parser import HTMLParser
from typing import Protocol
from urllib.parse import urljoin, urlsplit

from reader.core.errors import FetchError, InvalidURLError, ParseError, RetryLaterError
from reader.core.fetch import check_url

MAX_EXAMINED_BYTES = 512 * 1024
"""Pages are cut here before sniffing or HTML parsing: feed links live in the ``<head>``."""

SNIFF_WINDOW = 2 * 1024
"""A feed's root element comes right after its prologue; a web page's never does."""

HINTED_SNIFF_WINDOW = 64 * 1024
"""When the server says "feed" we look further, past long licence comments and stylesheets."""

COMMON_FEED_PATHS: tuple[str, ...] = (
    "/feed",
    "/rss",
    "/feed.xml",
    "/rss.xml",
    "/atom.xml",
    "/index.xml",
    "/feed.json",
    "/feeds/posts/default",
    "/?feed=rss2",
)

MAX_GUESSED_HITS = 2
"""Two guesses that answer are plenty to choose from; more would only slow ``gloss add``."""

FEED_CONTENT_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/feed+json",
        "application/rdf+xml",
        "text/xml",
        "application/xml",
        "application/json",
        "application/x-rss+xml",
        "application/x-atom+xml",
    }
)

_LINK_TYPE_KINDS = {
    "application/rss+xml": "rss",
    "application/rdf+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
}


@dataclass(frozen=True, slots=True)
class FeedCandidate:
    url: str
    title: str | None
    kind: str  # "rss", "atom", "json", "unknown"


class FetchResultLike(Protocol):
    """The part of ``reader.core.fetch``'s result that discovery reads."""

    @property
    def final_url(self) -> str: ...

    @property
    def status(self) -> int: ...

    @property
    def body(self) -> bytes | None: ...

    @property
    def content_type(self) -> str | None: ...


Fetch = Callable[[str], FetchResultLike]


# --- URLs -----------------------------------------------------------------------------------


def normalize_feed_url(raw: str) -> str | None:
    """Return ``raw`` as the http(s) URL Gloss stores, or None when it is not one we may fetch.

    Line breaks and tabs that exports wrap into attributes are dropped first; the rest (the
    ``feed:`` pseudo-schemes, case, default ports, refusing ``file:`` and ``javascript:``) is
    ``fetch.check_url``, so that a URL found here compares equal to the same feed added by hand.
    """
    try:
        return check_url(re.sub(r"[\t\r\n]", "", raw))
    except InvalidURLError:
        return None


def _with_default_scheme(url: str) -> str:
    """``example.com/blog`` → ``https://example.com/blog``: people rarely type the scheme."""
    stripped = url.strip()
    if re.match(r"[\w.-]+:\d+(?:/|$)", stripped):
        # host:port is nearly always a server on the local network, and those speak plain http.
        return "http://" + stripped
    if "://" in stripped or ":" in stripped.split("/", 1)[0]:
        return stripped
    host = stripped.split("/", 1)[0]
    if "." in host and " " not in host and not stripped.startswith(("/", "\\", ".")):
        return "https://" + stripped
    return stripped


# --- sniffing -------------------------------------------------------------------------------

_PROLOGUE = re.compile(
    r"""\A(?:
        \s+
      | <\?.*?\?>              # XML declaration, xml-stylesheet and other processing instructions
      | <!--.*?-->             # comments
      | <!DOCTYPE[^>\[]*(?:\[.*?\])?\s*>   # RSS 0.91's DOCTYPE, with or without a subset
    )*""",
    re.DOTALL | re.VERBOSE | re.IGNORECASE,
)
_XML_ROOT = re.compile(r"<(?:[A-Za-z_][\w.-]*:)?(rss|feed|RDF)[\s>/]")
_JSON_FEED_VERSION = re.compile(r'"version"\s*:\s*"https?://jsonfeed\.org/version/')


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _decode_window(body: bytes, size: int) -> str:
    """Decode the start of a document well enough to read its first tags or keys."""
    head = body[:size]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    if head.startswith(b"<\x00"):
        return head.decode("utf-16-le", errors="replace")
    if head.startswith(b"\x00<"):
        return head.decode("utf-16-be", errors="replace")
    # Every encoding a feed may declare besides UTF-16 is ASCII-compatible for markup.
    return head.decode("utf-8", errors="replace").lstrip("\ufeff")


def feed_kind(body: bytes, content_type: str | None) -> str | None:
    """``"rss"``, ``"atom"`` or ``"json"`` when ``body`` starts like a feed, else None.

    The Content-Type is only a hint (servers label feeds ``text/html`` and pages
    ``text/xml``): it widens how far we look, never decides on its own.
    """
    hinted = _media_type(content_type) in FEED_CONTENT_TYPES
    text = _decode_window(body, HINTED_SNIFF_WINDOW if hinted else SNIFF_WINDOW)
    stripped = text.lstrip()
    if stripped.startswith("{"):
        return "json" if _JSON_FEED_VERSION.search(stripped) else None
    prologue = _PROLOGUE.match(text)
    rest = text[prologue.end() if prologue else 0 :]
    root = _XML_ROOT.match(rest)
    if root is None:
        return None
    return "atom" if root.group(1) == "feed" else "rss"


def looks_like_feed(body: bytes, content_type: str | None) -> bool:
    """Cheap test that ``body`` is an RSS, RDF, Atom or JSON feed (see ``feed_kind``)."""
    return feed_kind(body, content_type) is not None


_XML_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.DOTALL | re.IGNORECASE)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_TAG = re.compile(r"<[^>]*>")


def _clean_title(raw: str | None) -> str | None:
    if raw is None:
        return None
    title = " ".join(raw.split())
    return title or None


def _sniff_feed_title(body: bytes, kind: str) -> str | None:
    """The feed's own title, for listing candidates; None when it is not easy to find."""
    if kind == "json":
        try:
            data = json.loads(body[:MAX_EXAMINED_BYTES].decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            return None
        title = data.get("title") if isinstance(data, dict) else None
        return _clean_title(title) if isinstance(title, str) else None
    match = _XML_TITLE.search(_decode_window(body, HINTED_SNIFF_WINDOW))
    if match is None:
        return None
    raw = _CDATA.sub(lambda m: escape_html(m.group(1), quote=False), match.group(1))
    return _clean_title(unescape_html(_TAG.sub("", unescape_html(raw))))


# --- HTML -----------------------------------------------------------------------------------

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""", re.I)


def _decode_html(page: bytes | str) -> str:
    if isinstance(page, str):
        return page[:MAX_EXAMINED_BYTES]
    head = page[:MAX_EXAMINED_BYTES]
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", errors="replace")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return head.decode("utf-16", errors="replace")
    declared = _META_CHARSET.search(head[:4096])
    encoding = declared.group(1).decode("ascii") if declared else "utf-8"
    try:
        return head.decode(encoding, errors="replace")
    except LookupError:
        return head.decode("utf-8", errors="replace")


class _FeedLinkCollector(HTMLParser):
    """Collects ``<base href>`` and feed ``<link>`` tags; ignores everything else on the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.links: list[tuple[str, str | None, str]] = []  # (href, title, kind)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ("link", "base"):
            return
        values: dict[str, str] = {}
        for name, value in attrs:
            values.setdefault(name, value or "")
        href = values.get("href", "").strip()
        if not href:
            return
        if tag == "base":
            # Only the first <base href> counts, wherever it is (as in browsers).
            if self.base_href is None:
                self.base_href = href
            return
        rels = values.get("rel", "").lower().split()
        kind = _LINK_TYPE_KINDS.get(_media_type(values.get("type")))
        if "alternate" in rels and kind is not None:
            self.links.append((href, values.get("title"), kind))

    handle_startendtag = handle_starttag


def _is_wordpress_api_link(url: str) -> bool:
    """WordPress links every page's REST resource as ``alternate application/json``.

    It is not a feed, and it is on millions of sites, so it would bury the real ones.
    """
    return "/wp-json/" in urlsplit(url).path


def find_feed_links(html: bytes | str, base_url: str) -> list[FeedCandidate]:
    """Feeds a page announces with ``<link rel="alternate">``, in page order, http(s) only.

    Relative addresses are resolved against the page's ``<base href>`` when that is an http(s)
    URL, else against ``base_url`` (the address the page was finally served from).
    """
    collector = _FeedLinkCollector()
    try:
        collector.feed(_decode_html(html))
        collector.close()
    except AssertionError:  # html.parser gives up on some broken declarations; keep what it saw
        pass
    base = base_url
    if collector.base_href is not None:
        document_base = normalize_feed_url(urljoin(base_url, collector.base_href))
        if document_base is not None:
            base = document_base
    candidates: list[FeedCandidate] = []
    seen: set[str] = set()
    for href, title, kind in collector.links:
        url = normalize_feed_url(urljoin(base, href))
        if url is None or url in seen or _is_wordpress_api_link(url):
            continue
        seen.add(url)
        candidates.append(FeedCandidate(url=url, title=_clean_title(title), kind=kind))
    return candidates


# --- discovery ------------------------------------------------------------------------------


def _usable_body(result: FetchResultLike) -> bytes | None:
    if not 200 <= result.status < 300 or result.body is None:
        return None
    return result.body[:MAX_EXAMINED_BYTES]


def _as_candidate(result: FetchResultLike) -> FeedCandidate | None:
    body = _usable_body(result)
    if body is None:
        return None
    kind = feed_kind(body, result.content_type)
    if kind is None:
        return None
    return FeedCandidate(url=result.final_url, title=_sniff_feed_title(body, kind), kind=kind)


def discover(url: str, *, fetch: Fetch) -> list[FeedCandidate]:
    """The feeds behind ``url``, best first; never empty.

    Raises ``InvalidURLError`` for an address that is not http(s), lets the ``FetchError`` of
    the first fetch through (the user's address is unreachable), and raises ``ParseError`` when
    no feed is found. Failures while guessing the usual feed paths are expected and ignored,
    except "retry later" (429/503), which ends the guessing.
    """
    start = check_url(_with_default_scheme(url))
    page = fetch(start)
    body = _usable_body(page)
    if body is None:
        raise FetchError(f"{start} answered with status {page.status}.", status=page.status)
    direct = _as_candidate(page)
    if direct is not None:
        return [direct]

    linked = find_feed_links(body, page.final_url)
    if linked:
        return linked

    root = urlsplit(page.final_url)
    site = f"{root.scheme}://{root.netloc}"
    found: list[FeedCandidate] = []
    for path in COMMON_FEED_PATHS:
        try:
            guess = _as_candidate(fetch(site + path))
        except RetryLaterError as busy:
            # The site asked us to slow down: stop guessing rather than keep knocking.
            if found:
                break
            raise busy
        except FetchError:
            continue
        if guess is not None and all(guess.url != c.url for c in found):
            found.append(guess)
            if len(found) == MAX_GUESSED_HITS:
                break
    if found:
        return found
    raise ParseError(
        f"No feed found at {start}: the page links to no feed, "
        "and none of the usual places (/feed, /rss, …) has one."
    )
