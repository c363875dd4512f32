"""Feed documents → parsed dataclasses. With fastparse.py, the one module importing feedparser.

Interface contract (used by refresh.py; keep it):

- ``parse_feed(body, *, url, content_type) -> ParsedFeed``: pure, in-process. ``url`` is the final
  fetch URL (the only base for relative URLs); feedparser gets bytes, never a URL or a path.
  Raises ``ParseError`` with a human-readable reason when the document is not a usable feed.
- ``ParsePool``: runs ``parse_feed`` in worker processes with a wall-clock limit and a memory
  limit per job, so a hostile feed costs one failed feed, not a hung or crashed refresh.

How feedparser is used, and why (reliability.md §0 items 1–2, §1.1):

- It gets a byte *stream*. Given ``bytes`` it tries ``open(body)`` first, so a body that happens to
  be a local path would be read from disk; given a ``str`` it may fetch it as a URL.
- ``sanitize_html`` and ``resolve_relative_uris`` are off: its sanitizer is bypassable and its URL
  resolver lets ``javascript:`` through, so ``content.sanitize_html`` (nh3) does both, once.
  With both off feedparser itself runs 2.7× faster (0.57 s instead of 1.53 s on a 2.9 MB,
  2,000-entry feed).
- No ``Content-Location`` header is passed: feedparser would resolve RSS guids against it, so an
  entry's guid (its identity) would change whenever the feed's URL does. Links are resolved here
  against ``url`` instead, and against an ``xml:base`` only when that is itself http(s).
- Its author e-mail regex is quadratic (feedparser #562); author strings too long to be real skip
  it (``_bound_author_regex``). The worker pool's time limit is the net for anything else.
- JSON Feed is not feedparser's job; the stdlib ``json`` reads it.
- Well-formed RSS/RDF/Atom first goes to ``fastparse``, which reproduces feedparser's result (the
  keys read here) about four times faster, and returns None — sending the document to feedparser —
  whenever it could differ. Everything after that point is shared, so both paths store the same.
"""

from __future__ import annotations

import calendar
import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import io
import json
import logging
import multiprocessing
import multiprocessing.connection
import os
import re
import sys
import threading
import time
import traceback
import xml.sax
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from multiprocessing.connection import Connection
from types import TracebackType
from typing import Any, Final, Generic, TypeVar, overload

import feedparser
import feedparser.api
import feedparser.datetimes
import feedparser.mixin

from reader.core import fastparse
from reader.core.content import (
    canonical_text,
    html_from_text,
    plain_text,
    safe_url,
    sanitize_html,
    strip_control_chars,
    text_sha256,
)
from reader.core.errors import ParseError

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ParsedEntry:
    key: str  # stable per feed (reliability.md F15): guid, guid|link for repeats, link, hash
    guid: str | None
    link: str | None  # http(s) only, absolute; None otherwise
    title: str  # plain text, control characters stripped, never None
    author: str | None
    published: dt.datetime | None  # UTC
    updated: dt.datetime | None  # UTC
    html: str  # sanitized with nh3 (content.sanitize_html); "" when the entry has no body
    text: str  # content.canonical_text(html)
    text_sha256: str  # sha256 of text
    entry_sha256: str  # sha256 over title, link, author, dates and html: "did the entry change"
    summary_only: bool  # the body came from a summary/description, not full content


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    site_url: str | None  # http(s) only
    ttl_minutes: int | None  # RSS <ttl>, for scheduling
    entries: tuple[ParsedEntry, ...]
    warning: str | None  # survivable problem: malformed XML with usable items, charset override


MAX_ENTRIES: Final = 5_000
"""Entries beyond this in one document are ignored (and the feed gets a warning)."""

MAX_TITLE_CHARS: Final = 2_000
MAX_AUTHOR_CHARS: Final = 500
MAX_KEY_CHARS: Final = 1_000
"""Longer guids or links are still used as keys, but through their hash."""

_AUTHOR_REGEX_LIMIT: Final = 256
_MIN_YEAR, _MAX_YEAR = 1900, 2200  # dates outside are garbage, not history or the far future
_MAX_TTL_MINUTES: Final = 60 * 24 * 365
_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


# ---- feedparser hardening -----------------------------------------------------------------------


def _bound_author_regex() -> None:
    """Keep absurdly long author strings away from feedparser's quadratic e-mail regex (F7).

    feedparser runs the regex inside the parse, before we see the value, so the only place to
    bound it is its own method. Long strings keep their text; only the e-mail split is skipped.
    """
    mixin = getattr(feedparser.mixin, "_FeedParserMixin", None)
    original = getattr(mixin, "_sync_author_detail", None)
    if mixin is None or original is None or getattr(original, "_gloss_bounded", False):
        return

    def bounded(self: Any, key: str = "author") -> None:
        value = self._get_context().get(key)
        if isinstance(value, str) and len(value) > _AUTHOR_REGEX_LIMIT:
            return
        original(self, key)

    bounded._gloss_bounded = True  # type: ignore[attr-defined]
    mixin._sync_author_detail = bounded


_bound_author_regex()
# feedparser prefers libxml2's SAX driver when its bindings happen to be installed; entity handling
# then depends on the machine. Expat's behaviour is the one verified (F1, F2), so always use it.
feedparser.api.PREFERRED_XML_PARSERS = []


# ---- parse_feed ---------------------------------------------------------------------------------

_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")
_JSON_TYPES = ("application/feed+json", "application/json")


def _document_start(body: bytes) -> bytes:
    head = body[:4096]
    for bom in _BOMS:
        if head.startswith(bom):
            head = head[len(bom) :]
            break
    return head.lstrip()


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_feed(
    body: bytes, *, url: str, content_type: str | None, fast_path: bool = True
) -> ParsedFeed:
    """Read an RSS 0.9x/1.0/2.0, Atom 0.3/1.0 or JSON Feed 1.0/1.1 document.

    Raises ``ParseError`` when the document is not a feed (an HTML page, JSON that is not a JSON
    Feed, broken XML with no readable item) — never for oddities a reader can live with, which go
    to ``ParsedFeed.warning``. ``fast_path=False`` reads XML with feedparser only; the result is
    the same either way (``fastparse`` gives way to feedparser whenever it could differ).
    """
    start = _document_start(body)
    if not start:
        raise ParseError("This is not a feed: the document is empty.")
    media_type = _media_type(content_type)
    if start.startswith(b"{") or (media_type in _JSON_TYPES and not start.startswith(b"<")):
        return _parse_json_feed(body, url)
    return _parse_xml_feed(body, start, url, content_type, fast_path=fast_path)


@dataclass(slots=True)
class _Draft:
    """An entry before its key is known: keys depend on the other entries of the document."""

    guid: str | None
    link: str | None
    raw_link: str | None
    title: str
    author: str | None
    published: dt.datetime | None
    updated: dt.datetime | None
    html: str
    summary_only: bool


# astuple() deep-copies every field; the fields are immutable, so a plain tuple will do.
_DRAFT_FIELDS = tuple(f.name for f in fields(_Draft))


def _clean_id(value: object) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    value = strip_control_chars(value).strip()
    return value or None


def _utc(value: dt.datetime) -> dt.datetime | None:
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    try:
        value = value.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None
    return value if _MIN_YEAR <= value.year <= _MAX_YEAR else None


def _from_struct_time(value: object) -> dt.datetime | None:
    """feedparser's ``*_parsed`` values are UTC ``struct_time``s."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return _utc(_EPOCH + dt.timedelta(seconds=calendar.timegm(value)))
    except (OverflowError, ValueError, TypeError):
        return None


def _from_text_date(value: object) -> dt.datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()[:100]
    try:
        return _utc(dt.datetime.fromisoformat(text))
    except ValueError:
        pass
    parse_date: Callable[[str], object] | None = getattr(feedparser.datetimes, "_parse_date", None)
    return _from_struct_time(parse_date(text)) if parse_date is not None else None


def _entry_sha256(draft: _Draft) -> str:
    """A digest of every stored field; each is length-prefixed, so no two entries share one."""
    digest = hashlib.sha256()
    for field in (
        draft.title,
        draft.link,
        draft.author,
        draft.published.isoformat() if draft.published else None,
        draft.updated.isoformat() if draft.updated else None,
        draft.html,
    ):
        data = b"\xff" if field is None else field.encode("utf-8", "surrogatepass")
        digest.update(len(data).to_bytes(8, "big") + data)
    return digest.hexdigest()


def _bounded_key(kind: str, value: str) -> str:
    if len(value) > MAX_KEY_CHARS:
        return f"{kind}#:" + hashlib.sha256(value.encode()).hexdigest()
    return f"{kind}:{value}"


def _content_hash(draft: _Draft) -> str:
    return hashlib.sha256(f"{draft.title}\x00{draft.html}".encode()).hexdigest()


def _finish_entries(drafts: list[_Draft]) -> tuple[ParsedEntry, ...]:
    """Give each entry a key that is stable from one fetch to the next (F15).

    Kinds are prefixed so that a guid can never collide with a link or a hash: ``g:`` a guid unique
    in this document, ``gl:`` guid and link for a guid the publisher reused, ``l:`` a link when
    there is no guid, ``h:`` a hash of title and content when neither identifies the entry.
    An entry repeated verbatim is kept once, so its copies do not turn each other into hashes.
    """
    unique: dict[tuple[object, ...], _Draft] = {}
    for draft in drafts:
        unique.setdefault(tuple(getattr(draft, name) for name in _DRAFT_FIELDS), draft)
    drafts = list(unique.values())
    guids = Counter(d.guid for d in drafts if d.guid)
    link_ids = [d.link or d.raw_link for d in drafts]
    links = Counter(link for link in link_ids if link)
    entries: list[ParsedEntry] = []
    seen: set[str] = set()
    for draft, link_id in zip(drafts, link_ids, strict=True):
        if draft.guid and guids[draft.guid] == 1:
            key = _bounded_key("g", draft.guid)
        elif draft.guid and link_id:
            key = _bounded_key("gl", f"{draft.guid}|{link_id}")
        elif not draft.guid and link_id and links[link_id] == 1:
            key = _bounded_key("l", link_id)
        else:
            key = "h:" + _content_hash(draft)
        if key in seen:
            key = "h:" + _content_hash(draft)
            if key in seen:
                continue
        seen.add(key)
        text = canonical_text(draft.html)
        entries.append(
            ParsedEntry(
                key=key,
                guid=draft.guid,
                link=draft.link,
                title=draft.title,
                author=draft.author,
                published=draft.published,
                updated=draft.updated,
                html=draft.html,
                text=text,
                text_sha256=text_sha256(text),
                entry_sha256=_entry_sha256(draft),
                summary_only=draft.summary_only,
            )
        )
    return tuple(entries)


def _too_many_entries(total: int) -> str:
    return f"The feed has {total:,} items; only the first {MAX_ENTRIES:,} were read."


def _join_warnings(warnings: Iterable[str]) -> str | None:
    return " ".join(warnings) or None


# ---- XML feeds (feedparser) ---------------------------------------------------------------------


def _get(mapping: object, key: str) -> Any:
    """A feedparser value without key aliases (``updated_parsed`` → ``published_parsed``)."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else None


def _is_html_type(content_type: object) -> bool:
    return isinstance(content_type, str) and content_type.lower() in {
        "text/html",
        "html",
        "application/xhtml+xml",
        "xhtml",
    }


def _is_text_type(content_type: object) -> bool:
    if not isinstance(content_type, str):
        return False
    lowered = content_type.lower()
    return lowered in {"text", "text/plain"} or (
        lowered.startswith("text/") and not _is_html_type(lowered)
    )


def _base_for(detail: object, url: str) -> str:
    """An http(s) ``xml:base`` in effect for this element, else the document's own URL (F11)."""
    base = _get(detail, "base")
    if isinstance(base, str) and base:
        resolved = safe_url(base, url)
        if resolved is not None:
            return resolved
    return url


def _body_of(entry: object, url: str) -> tuple[str, bool]:
    """Sanitized HTML of the fullest body, and whether the entry had no full content.

    The longest body wins. The summary competes too: feedparser files a
    second summary-like element (``itunes:summary`` after ``description``) under ``content``,
    and a podcast's real show notes would otherwise lose to that one-line blurb.
    """
    candidates: list[dict[str, Any]] = [
        c for c in (_get(entry, "content") or []) if isinstance(c, dict) and _readable(c)
    ]
    had_content = bool(candidates)
    detail = _get(entry, "summary_detail")
    summary = _get(entry, "summary")
    if isinstance(summary, str):
        summary_detail = dict(detail) if isinstance(detail, dict) else {}
        summary_detail["value"] = summary
        if _readable(summary_detail):
            candidates.append(summary_detail)
    if not candidates:
        return "", True
    best = max(candidates, key=lambda c: (len(c["value"]), _is_html_type(_get(c, "type"))))
    if _is_html_type(_get(best, "type")):
        return sanitize_html(best["value"], _base_for(best, url)), not had_content
    return html_from_text(best["value"]), not had_content


def _readable(detail: dict[str, Any]) -> bool:
    """A body with text in a type we can show (out-of-line or binary Atom content is not)."""
    value, content_type = _get(detail, "value"), _get(detail, "type")
    if not isinstance(value, str) or not value.strip():
        return False
    return content_type is None or _is_html_type(content_type) or _is_text_type(content_type)


def _title_of(mapping: object) -> str:
    title = _get(mapping, "title")
    if not isinstance(title, str):
        return ""
    is_html = _is_html_type(_get(_get(mapping, "title_detail"), "type"))
    return plain_text(title, html=is_html, max_chars=MAX_TITLE_CHARS)


def _author_of(mapping: object) -> str | None:
    detail = _get(mapping, "author_detail")
    for value in (_get(detail, "name"), _get(mapping, "author"), _get(detail, "email")):
        if isinstance(value, str):
            author = plain_text(value, html=False, max_chars=MAX_AUTHOR_CHARS)
            if author:
                return author
    return None


def _draft_from_feedparser(entry: object, url: str, feed_author: str | None) -> _Draft:
    raw_link = _get(entry, "link")
    raw_link = _clean_id(raw_link)
    html, summary_only = _body_of(entry, url)
    published = _from_struct_time(_get(entry, "published_parsed")) or _from_struct_time(
        _get(entry, "created_parsed")
    )
    return _Draft(
        guid=_clean_id(_get(entry, "id")),
        link=safe_url(raw_link, url),
        raw_link=raw_link,
        title=_title_of(entry),
        author=_author_of(entry) or feed_author,
        published=published,
        updated=_from_struct_time(_get(entry, "updated_parsed")),
        html=html,
        summary_only=summary_only,
    )


def _ttl_minutes(value: object) -> int | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not value.isascii() or not value.isdigit():
        return None
    minutes = int(value)
    return minutes if 0 < minutes <= _MAX_TTL_MINUTES else None


_ROOT_ELEMENT_RE = re.compile(rb"<([A-Za-z_][\w.:-]{0,100})")
_HTML_MARKERS = (b"<!doctype html", b"<html", b"<head", b"<body")


def _not_a_feed(start: bytes, media_type: str, parsed: Mapping[str, Any]) -> ParseError:
    """The most precise reason a person can act on ("the server sent its login page")."""
    head = start[:2048].lower()
    if any(marker in head for marker in _HTML_MARKERS) or (
        media_type in ("text/html", "application/xhtml+xml") and b"<rss" not in head
    ):
        return ParseError("This is not a feed: it looks like an HTML page.")
    if not start.startswith(b"<"):
        return ParseError("This is not a feed: it is neither XML nor JSON.")
    problem = parsed.get("bozo_exception")
    if parsed.get("bozo") and isinstance(problem, xml.sax.SAXException):
        return ParseError(f"This is not a feed: the XML could not be read ({problem}).")
    without_prolog = re.sub(rb"<\?.*?\?>|<!--.*?-->|<![^>]*>", b"", start, flags=re.DOTALL)
    root = _ROOT_ELEMENT_RE.search(without_prolog)
    if root is not None:
        name = root.group(1).decode("ascii", "replace")
        return ParseError(f"This is not a feed: it is an XML document of another kind (<{name}>).")
    return ParseError("This is not a feed: the XML document has no RSS channel or Atom feed.")


def _encoding_warning(problem: object, content_type: str | None, encoding: object) -> str | None:
    if isinstance(problem, feedparser.CharacterEncodingOverride):
        # RFC 3023 makes text/* without a charset mean us-ascii; feedparser then reports an
        # "override" on every UTF-8 feed served as text/xml. That is not the publisher's mistake.
        media_type = _media_type(content_type)
        if media_type.startswith("text/") and "charset" not in (content_type or "").lower():
            return None
        return f"The feed's declared character encoding is wrong; it was read as {encoding}."
    if isinstance(problem, feedparser.CharacterEncodingUnknown):
        return f"The feed's character encoding is unknown; it was read as {encoding}."
    if isinstance(problem, feedparser.NonXMLContentType):
        return f"The server labels the feed as {_media_type(content_type) or 'no type'}, not XML."
    return None


def _items_read(count: int) -> str:
    return "1 item was" if count == 1 else f"{count:,} items were"


def _read_fast(body: bytes, content_type: str | None) -> Mapping[str, Any] | None:
    """feedparser's result from ``fastparse``, or None when only feedparser can tell."""
    try:
        return fastparse.read_feed(body, content_type)
    except MemoryError:
        raise
    except Exception:  # a bug in the fast path must cost speed, never the feed
        log.exception("fast feed parser failed; using feedparser")
        return None


def _parse_xml_feed(
    body: bytes, start: bytes, url: str, content_type: str | None, *, fast_path: bool
) -> ParsedFeed:
    parsed = _read_fast(body, content_type) if fast_path else None
    if parsed is None:
        parsed = _read_with_feedparser(body, content_type)

    raw_entries = [e for e in (parsed.get("entries") or []) if isinstance(e, dict)]
    version = parsed.get("version") or ""
    if not version and not raw_entries:
        raise _not_a_feed(start, _media_type(content_type), parsed)

    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    encoding_warning = _encoding_warning(problem, content_type, parsed.get("encoding"))
    malformed = problem is not None and not isinstance(
        problem,
        feedparser.CharacterEncodingOverride
        | feedparser.CharacterEncodingUnknown
        | feedparser.NonXMLContentType,
    )
    if malformed and not raw_entries:
        raise ParseError(
            f"The feed is not well-formed XML and no item could be read from it ({problem})."
        )

    feed = parsed.get("feed") or {}
    # Atom entries inherit the feed's author (RFC 4287 §4.2.1); an RSS channel's managingEditor
    # is not the author of its items.
    feed_author = _author_of(feed) if version.startswith("atom") else None
    drafts = [_draft_from_feedparser(e, url, feed_author) for e in raw_entries[:MAX_ENTRIES]]
    entries = _finish_entries(drafts)

    warnings: list[str] = []
    if malformed:
        warnings.append(f"The feed is not well-formed XML; {_items_read(len(drafts))} read anyway.")
    if encoding_warning:
        warnings.append(encoding_warning)
    if len(raw_entries) > MAX_ENTRIES:
        warnings.append(_too_many_entries(len(raw_entries)))
    return ParsedFeed(
        title=_title_of(feed) or None,
        site_url=safe_url(_clean_id(_get(feed, "link")), url),
        ttl_minutes=_ttl_minutes(_get(feed, "ttl")),
        entries=entries,
        warning=_join_warnings(warnings),
    )


def _read_with_feedparser(body: bytes, content_type: str | None) -> Mapping[str, Any]:
    headers = {"content-type": content_type} if content_type else {}
    try:
        parsed: Mapping[str, Any] = feedparser.parse(
            io.BytesIO(body),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except RecursionError:
        raise ParseError("This feed is nested too deeply to be read.") from None
    except Exception as e:  # feedparser's loose parser has its own bugs; one feed, one error
        raise ParseError(f"The feed could not be read ({type(e).__name__}: {e}).") from None
    return parsed


# ---- JSON Feed ----------------------------------------------------------------------------------

_JSON_FEED_VERSION_RE = re.compile(r"^https?://jsonfeed\.org/version/\d")


def _json_text(value: object, *, max_chars: int) -> str:
    return plain_text(value, html=False, max_chars=max_chars) if isinstance(value, str) else ""


def _json_author(obj: Mapping[str, Any]) -> str | None:
    """JSON Feed 1.1 ``authors`` (a list), else 1.0 ``author`` (one object)."""
    authors = obj.get("authors")
    candidates = authors if isinstance(authors, list) else [obj.get("author")]
    names = [
        _json_text(a.get("name"), max_chars=MAX_AUTHOR_CHARS)
        for a in candidates[:20]
        if isinstance(a, dict)
    ]
    joined = ", ".join(name for name in names if name)
    return plain_text(joined, html=False, max_chars=MAX_AUTHOR_CHARS) or None


def _draft_from_json(item: Mapping[str, Any], url: str, feed_author: str | None) -> _Draft:
    content_html = item.get("content_html")
    content_text = item.get("content_text")
    summary = item.get("summary")
    if isinstance(content_html, str) and content_html.strip():
        html, summary_only = sanitize_html(content_html, url), False
    elif isinstance(content_text, str) and content_text.strip():
        html, summary_only = html_from_text(content_text), False
    elif isinstance(summary, str) and summary.strip():
        html, summary_only = html_from_text(summary), True
    else:
        html, summary_only = "", True
    raw_link = _clean_id(item.get("url")) or _clean_id(item.get("external_url"))
    return _Draft(
        guid=_clean_id(item.get("id")),
        link=safe_url(raw_link, url),
        raw_link=raw_link,
        title=_json_text(item.get("title"), max_chars=MAX_TITLE_CHARS),
        author=_json_author(item) or feed_author,
        published=_from_text_date(item.get("date_published")),
        updated=_from_text_date(item.get("date_modified")),
        html=html,
        summary_only=summary_only,
    )


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        document = json.loads(body.decode("utf-8-sig", errors="replace"))
    except RecursionError:
        raise ParseError("This is not a feed: the JSON is nested too deeply.") from None
    except ValueError as e:
        raise ParseError(f"This is not a feed: the JSON could not be read ({e}).") from None
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not _JSON_FEED_VERSION_RE.match(version):
        raise ParseError("This is not a feed: it is JSON, but not a JSON Feed.")
    items = document.get("items")
    items = [i for i in items if isinstance(i, dict)] if isinstance(items, list) else []
    feed_author = _json_author(document)
    drafts = [_draft_from_json(item, url, feed_author) for item in items[:MAX_ENTRIES]]
    warnings = [_too_many_entries(len(items))] if len(items) > MAX_ENTRIES else []
    title = _json_text(document.get("title"), max_chars=MAX_TITLE_CHARS)
    return ParsedFeed(
        title=title or None,
        site_url=safe_url(_clean_id(document.get("home_page_url")), url),
        ttl_minutes=None,
        entries=_finish_entries(drafts),
        warning=_join_warnings(warnings),
    )


# ---- ParsePool ----------------------------------------------------------------------------------

R = TypeVar("R")

ParseJob = Callable[[bytes, str, str | None], Any]
"""A module-level function with ``parse_feed``'s arguments, picklable by reference."""


def _parse_job(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    return parse_feed(body, url=url, content_type=content_type)


def _memory_message(limit_mb: int, noun: str = "feed") -> str:
    return f"The {noun} needed more than {limit_mb} MB to parse; the {noun} was skipped."


def _died_message(limit_mb: int, noun: str = "feed") -> str:
    """A worker that vanished mid-job: over its address-space limit (native code aborts), or a
    crash in a C extension. We cannot tell which, so say both."""
    return (
        f"The {noun} needed more than {limit_mb} MB to parse, or crashed the parser; "
        f"the {noun} was skipped."
    )


def _limit_memory(limit_mb: int) -> None:
    """Cap the worker's address space, where the OS lets us (Linux; elsewhere the time limit)."""
    if not sys.platform.startswith("linux"):
        return
    import resource

    limit = limit_mb * 1024 * 1024
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _worker_main(conn: Connection, job: ParseJob, memory_limit_mb: int, noun: str = "feed") -> None:
    """One worker: parse jobs one at a time until told to stop or the parent goes away.

    Replies are ``(kind, payload, retire)``: ``("ok", ParsedFeed)``, ``("error", message)`` for a
    ``ParseError``, ``("bug", traceback)`` for anything else. After a ``MemoryError`` the worker
    retires: its heap may be in any state.
    """
    import signal

    with contextlib.suppress(ValueError, OSError, AttributeError):
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    _limit_memory(memory_limit_mb)
    conn.send(("ready", os.getpid(), False))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        body, url, content_type = request
        try:
            reply: tuple[str, object, bool] = ("ok", job(body, url, content_type), False)
        except ParseError as e:
            reply = ("error", str(e), False)
        except MemoryError:
            reply = ("error", _memory_message(memory_limit_mb, noun), True)
        except Exception:
            reply = ("bug", traceback.format_exc(limit=20), False)
        del request, body
        try:
            conn.send(reply)
        except MemoryError:
            with contextlib.suppress(Exception):
                conn.send(("error", _memory_message(memory_limit_mb, noun), True))
            return
        except (EOFError, OSError):
            return
        if reply[2]:
            return


@dataclass(slots=True)
class _Job:
    body: bytes
    url: str
    content_type: str | None
    future: concurrent.futures.Future[Any]


class _Worker:
    def __init__(self, process: Any, conn: Connection) -> None:
        self.process = process
        self.conn = conn
        self.ready = False
        self.started_at = time.monotonic()
        self.job: _Job | None = None
        self.deadline = 0.0
        self.retiring = False

    def kill(self) -> None:
        with contextlib.suppress(Exception):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.join(timeout=5)
        with contextlib.suppress(Exception):
            self.conn.close()
        with contextlib.suppress(Exception):
            self.process.close()


_START_TIMEOUT: Final = 60.0
_MAX_START_FAILURES: Final = 3


class ParsePool(Generic[R]):
    """Parse feeds in worker processes: a hostile feed costs one failed feed, never the refresh.

    Each worker handles one job at a time. A job still running after ``timeout`` seconds has its
    worker killed (SIGKILL) and replaced, and its future fails with ``ParseError``; a worker that
    dies (address space over ``memory_limit_mb`` on Linux, a crash in a C extension) fails only
    its own job. Workers start lazily on the first ``submit`` and are reused; they are started
    with "spawn" (never "fork": the caller has threads), so a frozen app must call
    ``multiprocessing.freeze_support()`` at the top of its entry point.

    ``job`` is the function workers run, ``parse_feed`` by default; it must be importable by name.
    The pool is typed by what its job returns (``ParsePool[ParsedFeed]``, page extraction's
    ``ParsePool[ExtractedPage]``).
    """

    @overload
    def __init__(
        self: ParsePool[ParsedFeed],
        workers: int | None = None,
        timeout: float = 20.0,
        memory_limit_mb: int = 1024,
        *,
        noun: str = "feed",
    ) -> None: ...

    @overload
    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 20.0,
        memory_limit_mb: int = 1024,
        *,
        job: Callable[[bytes, str, str | None], R],
        noun: str = "feed",
    ) -> None: ...

    def __init__(
        self,
        workers: int | None = None,
        timeout: float = 20.0,
        memory_limit_mb: int = 1024,
        *,
        job: ParseJob = _parse_job,
        noun: str = "feed",
    ) -> None:
        self.max_workers = max(1, workers if workers is not None else (os.cpu_count() or 1))
        self.timeout = timeout
        self.memory_limit_mb = memory_limit_mb
        self._job_function = job
        self.noun = noun  # what a job reads, for messages: "feed", "page"
        self._context = multiprocessing.get_context("spawn")
        self._lock = threading.Lock()
        self._pending: deque[_Job] = deque()
        self._workers: list[_Worker] = []
        self._closing = False
        self._start_failures = 0
        self._wake_reader, self._wake_writer = self._context.Pipe(duplex=False)
        self._wake_sent = False
        self._thread: threading.Thread | None = None

    # -- public API --

    def submit(
        self, body: bytes, url: str, content_type: str | None
    ) -> concurrent.futures.Future[R]:
        """Queue one document; the future resolves to the job's result or raises ``ParseError``."""
        future: concurrent.futures.Future[R] = concurrent.futures.Future()
        with self._lock:
            if self._closing:
                raise RuntimeError("ParsePool.submit() after close()")
            self._pending.append(_Job(body, url, content_type, future))
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="gloss-parse-pool", daemon=True
                )
                self._thread.start()
        self._wake()
        return future

    def close(self, *, cancel_pending: bool = False) -> None:
        """Finish (or with ``cancel_pending``, cancel) queued jobs, then stop the workers.

        Jobs already running always finish or hit their time limit.
        """
        with self._lock:
            self._closing = True
            if cancel_pending:
                while self._pending:
                    future = self._pending.popleft().future
                    future.cancel()
                    future.set_running_or_notify_cancel()  # wakes wait() and as_completed()
            thread = self._thread
        if thread is not None:
            self._wake()
            thread.join()
        for conn in (self._wake_reader, self._wake_writer):
            with contextlib.suppress(OSError):
                conn.close()

    def __enter__(self) -> ParsePool[R]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(cancel_pending=exc_type is not None)

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """Process ids of the live workers (for diagnostics and tests)."""
        with self._lock:
            return tuple(w.process.pid for w in self._workers if w.process.pid is not None)

    # -- manager thread --

    def _wake(self) -> None:
        with self._lock:
            if self._wake_sent:
                return
            self._wake_sent = True
        with contextlib.suppress(OSError):
            self._wake_writer.send_bytes(b"!")

    def _drain_wake(self) -> None:
        """Empty the wake pipe, *then* allow the next wake.

        The other order loses a wake-up: a submit between clearing the flag and reading the
        pipe writes a byte that the read swallows, leaving the flag set with an empty pipe, and
        the manager then sleeps with jobs queued (seen as a refresh that stopped for good).
        Here, a submit that finds the flag still set has queued its job before the manager's
        next dispatch, which follows this call.
        """
        with contextlib.suppress(OSError, EOFError):
            while self._wake_reader.poll():
                self._wake_reader.recv_bytes()
        with self._lock:
            self._wake_sent = False

    def _start_worker(self) -> None:
        parent_conn, child_conn = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_worker_main,
            args=(child_conn, self._job_function, self.memory_limit_mb, self.noun),
            name="gloss-parse-worker",
            daemon=True,
        )
        process.start()
        child_conn.close()
        self._workers.append(_Worker(process, parent_conn))

    def _run(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # never leave futures hanging
            log.exception("parse pool manager failed")
            self._fail_everything(ParseError(f"The parser pool stopped ({type(e).__name__})."))
        finally:
            self._stop_workers()

    def _fail_everything(self, error: ParseError) -> None:
        with self._lock:
            jobs = list(self._pending)
            self._pending.clear()
        jobs += [w.job for w in self._workers if w.job is not None]
        for job in jobs:
            if not job.future.done():
                job.future.set_exception(error)

    def _loop(self) -> None:
        while True:
            self._dispatch()
            with self._lock:
                idle = not self._pending and all(w.job is None for w in self._workers)
                if self._closing and idle:
                    return
            now = time.monotonic()
            deadlines = [w.deadline for w in self._workers if w.job is not None]
            deadlines += [w.started_at + _START_TIMEOUT for w in self._workers if not w.ready]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            waitables: list[Any] = [self._wake_reader]
            for worker in self._workers:
                waitables += [worker.conn, worker.process.sentinel]
            ready = multiprocessing.connection.wait(waitables, timeout)
            if self._wake_reader in ready:
                self._drain_wake()
            for worker in list(self._workers):
                if worker.conn in ready or worker.process.sentinel in ready:
                    self._service(worker)
            self._enforce_deadlines()

    def _dispatch(self) -> None:
        """Hand queued jobs to idle workers, starting workers up to the limit as needed."""
        while True:
            with self._lock:
                if not self._pending:
                    return
                idle = next((w for w in self._workers if w.ready and w.job is None), None)
                if idle is None:
                    starting = sum(1 for w in self._workers if not w.ready)
                    wanted = len(self._pending) > starting
                    if wanted and len(self._workers) < self.max_workers:
                        self._start_worker()
                        continue
                    return
                job = self._pending.popleft()
            if not job.future.set_running_or_notify_cancel():
                continue
            try:
                idle.conn.send((job.body, job.url, job.content_type))
            except (OSError, ValueError) as e:
                self._retire(idle)
                job.future.set_exception(ParseError(f"The parser process failed ({e})."))
                continue
            idle.job = job
            idle.deadline = time.monotonic() + self.timeout

    def _service(self, worker: _Worker) -> None:
        try:
            while worker.conn.poll():
                kind, payload, retire = worker.conn.recv()
                self._handle_reply(worker, kind, payload)
                worker.retiring = worker.retiring or retire
        except (EOFError, OSError):
            worker.retiring = True
        except MemoryError:  # a result too large for this process; the job fails, not the pool
            self._finish(worker, ParseError(_memory_message(self.memory_limit_mb, self.noun)))
            worker.retiring = True
        if worker.retiring or not worker.process.is_alive():
            was_ready = worker.ready
            self._finish(worker, ParseError(_died_message(self.memory_limit_mb, self.noun)))
            self._retire(worker)
            if not was_ready:
                self._worker_failed_to_start()

    def _handle_reply(self, worker: _Worker, kind: str, payload: object) -> None:
        if kind == "ready":
            worker.ready = True
            self._start_failures = 0
        elif kind == "ok":
            self._finish(worker, payload)
        elif kind == "error":
            self._finish(worker, ParseError(str(payload)))
        else:
            log.error("parse worker raised:\n%s", payload)
            last_line = str(payload).strip().splitlines()[-1:] or ["unknown error"]
            self._finish(worker, ParseError(f"The {self.noun} could not be read ({last_line[0]})."))

    def _finish(self, worker: _Worker, outcome: object) -> None:
        job, worker.job = worker.job, None
        if job is None or job.future.done():
            return
        if isinstance(outcome, BaseException):
            job.future.set_exception(outcome)
        else:
            job.future.set_result(outcome)

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            if worker in self._workers:
                self._workers.remove(worker)

    def _worker_failed_to_start(self) -> None:
        """Workers that die before they are ready would restart forever: give up after a few."""
        self._start_failures += 1
        if self._start_failures >= _MAX_START_FAILURES:
            self._start_failures = 0
            with self._lock:
                jobs = list(self._pending)
                self._pending.clear()
            for job in jobs:
                if job.future.set_running_or_notify_cancel():
                    job.future.set_exception(
                        ParseError(f"The {self.noun} reader process could not be started.")
                    )

    def _enforce_deadlines(self) -> None:
        now = time.monotonic()
        for worker in list(self._workers):
            if worker.job is not None and now >= worker.deadline:
                self._finish(
                    worker,
                    ParseError(
                        f"Reading the {self.noun} took longer than {self.timeout:g} s; "
                        f"the {self.noun} was skipped."
                    ),
                )
                self._retire(worker)
            elif not worker.ready and now >= worker.started_at + _START_TIMEOUT:
                self._retire(worker)
                self._worker_failed_to_start()

    def _stop_workers(self) -> None:
        with self._lock:
            workers = list(self._workers)
            self._workers.clear()
        for worker in workers:
            with contextlib.suppress(OSError, ValueError):
                worker.conn.send(None)
        for worker in workers:
            with contextlib.suppress(Exception):
                worker.process.join(timeout=2)
            worker.kill()
