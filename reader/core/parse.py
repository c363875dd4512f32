"""Feed documents → parsed dataclasses. The only module that imports feedparser.

Interface contract (used by refresh.py; keep it):

- ``parse_feed(body, *, url, content_type) -> ParsedFeed``: pure, in-process. ``url`` is the final
  fetch URL (the only base for relative URLs); feedparser gets bytes, never a URL or a path.
  Raises ``ParseError`` with a human-readable reason when the document is not a usable feed.
- ``ParsePool``: runs ``parse_feed`` in worker processes with a wall-clock limit and a memory
  limit per job, so a hostile feed costs one failed feed, not a hung or crashed refresh.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


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
