"""Small, readable feed documents built in tests, so each test shows the entries it relies on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email.utils import format_datetime
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Item:
    guid: str
    title: str
    body: str = "<p>Body text.</p>"
    link: str | None = None
    published: dt.datetime = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def rss(title: str, items: list[Item], *, site: str = "https://example.org/") -> bytes:
    parts = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">',
        f"<channel><title>{escape(title)}</title><link>{escape(site)}</link>",
        "<description>test feed</description>",
    ]
    for item in items:
        link = item.link or f"https://example.org/{item.guid}"
        parts.append(
            "<item>"
            f"<title>{escape(item.title)}</title>"
            f"<link>{escape(link)}</link>"
            f'<guid isPermaLink="false">{escape(item.guid)}</guid>'
            f"<pubDate>{format_datetime(item.published)}</pubDate>"
            f"<content:encoded><![CDATA[{item.body}]]></content:encoded>"
            "</item>"
        )
    parts.append("</channel></rss>")
    return "\n".join(parts).encode("utf-8")


RSS_HEADERS = {"Content-Type": "application/rss+xml; charset=utf-8"}
HTML_HEADERS = {"Content-Type": "text/html; charset=utf-8"}
