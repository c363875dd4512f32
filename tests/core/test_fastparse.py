"""fastparse: the fast XML path stores exactly what the feedparser path stores, or steps aside.

The issue allows a second parser only as a fast path proven to give the same stored result as
feedparser, with feedparser as the fallback. So every test here compares the two paths of
``parse_feed`` on the same bytes: on every fixture, on a generated corpus like the benchmark's
(where the fast path must also be *taken*), and on random small RSS, RDF and Atom documents built
from the field combinations feedparser treats specially.
"""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import feedparser
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core import fastparse
from reader.core.errors import ParseError
from reader.core.parse import ParsedFeed, parse_feed
from tests.benchmarks import feedgen

FEEDS = Path(__file__).parent.parent / "data" / "feeds"
Outcome = ParsedFeed | tuple[str, str]


def both_paths(body: bytes, url: str, content_type: str | None) -> tuple[Outcome, Outcome]:
    def run(fast_path: bool) -> Outcome:
        try:
            return parse_feed(body, url=url, content_type=content_type, fast_path=fast_path)
        except ParseError as e:
            return ("ParseError", str(e))

    return run(True), run(False)


def _detail(value: object) -> object:
    if not isinstance(value, dict):
        return value
    return {k: value.get(k) for k in ("type", "base", "value", "name", "email")}


_ENTRY_KEYS = (
    "link", "id", "title", "title_detail", "author", "author_detail", "summary",
    "summary_detail", "published_parsed", "created_parsed", "updated_parsed",
)  # fmt: skip
_FEED_KEYS = ("title", "title_detail", "link", "ttl", "author", "author_detail")


def projection(parsed: Any) -> dict[str, Any]:
    """What parse.py reads from a feedparser-shaped result, without FeedParserDict's aliases."""

    def pick(mapping: Any, keys: tuple[str, ...]) -> dict[str, Any]:
        return {k: _detail(dict.get(mapping, k)) for k in keys}

    problem = parsed.get("bozo_exception") if parsed.get("bozo") else None
    return {
        "version": parsed.get("version"),
        "encoding": parsed.get("encoding"),
        "problem": (type(problem).__name__, str(problem)) if problem else None,
        "feed": pick(parsed.get("feed"), _FEED_KEYS),
        "entries": [
            {
                **pick(entry, _ENTRY_KEYS),
                "content": [_detail(c) for c in dict.get(entry, "content") or []],
            }
            for entry in parsed.get("entries")
        ],
    }


def feedparser_result(body: bytes, content_type: str | None) -> Any:
    headers = {"content-type": content_type} if content_type else {}
    return feedparser.parse(
        io.BytesIO(body), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
    )


def assert_same(body: bytes, url: str, content_type: str | None) -> bool:
    """Both paths agree; returns whether the fast path took the document."""
    fast, slow = both_paths(body, url, content_type)
    assert fast == slow
    raw = fastparse.read_feed(body, content_type)
    if raw is not None:
        assert projection(raw) == projection(feedparser_result(body, content_type))
    return raw is not None


# ---- every fixture ------------------------------------------------------------------------------

_CONTENT_TYPES = [
    "application/xml",
    "application/rss+xml; charset=utf-8",
    "text/xml",
    "text/html",
    "application/atom+xml; charset=iso-8859-1",
    None,
]


@pytest.mark.parametrize("name", sorted(p.name for p in FEEDS.iterdir()))
@pytest.mark.parametrize("content_type", _CONTENT_TYPES)
def test_every_fixture_reads_the_same_on_both_paths(name: str, content_type: str | None) -> None:
    assert_same((FEEDS / name).read_bytes(), f"https://example.org/feeds/{name}", content_type)


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("billion_laughs.xml", "a DOCTYPE"),
        ("rss091.xml", "a DOCTYPE"),
        ("hostile_base.xml", "xml:base"),
        ("atom10_xhtml_base.xml", "XHTML content and xml:base"),
        ("malformed_usable.xml", "malformed XML, which feedparser reads loosely"),
        ("podcast.xml", "iTunes elements"),
        ("not_a_feed.xml", "not a feed"),
    ],
)
def test_documents_it_cannot_vouch_for_go_to_feedparser(name: str, reason: str) -> None:
    assert fastparse.read_feed((FEEDS / name).read_bytes(), "application/xml") is None, reason


@pytest.mark.parametrize(
    "name", ["rss092.xml", "rss10_rdf.xml", "rss20_content_encoded.xml", "duplicate_guids.xml"]
)
def test_plain_fixtures_take_the_fast_path(name: str) -> None:
    assert fastparse.read_feed((FEEDS / name).read_bytes(), "application/xml") is not None


def test_a_failing_fast_path_costs_speed_not_the_feed(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(body: bytes, content_type: str | None) -> None:
        raise KeyError("bug")

    monkeypatch.setattr(fastparse, "read_feed", broken)
    body = (FEEDS / "rss20_content_encoded.xml").read_bytes()
    url = "https://fieldnotes.example.com/feed.xml"
    feed = parse_feed(body, url=url, content_type="application/xml")
    assert feed == parse_feed(body, url=url, content_type="application/xml", fast_path=False)
    assert feed.title == "Field Notes"


# ---- a corpus like the benchmark's --------------------------------------------------------------


def test_generated_corpus_takes_the_fast_path_and_reads_the_same(tmp_path: Path) -> None:
    spec = feedgen.CorpusSpec(
        n=60, seed=11, entries_min=3, entries_max=8, body_kb_min=0.5, body_kb_max=8
    )
    infos = feedgen.generate(spec, tmp_path)
    xml_feeds = [info for info in infos if info.format != "json"]
    assert {info.format for info in xml_feeds} == {"rss", "atom", "rdf"}
    for info in xml_feeds:
        body = (tmp_path / info.path.lstrip("/")).read_bytes()
        taken = assert_same(body, info.url, info.content_type)
        assert taken, f"{info.path} ({info.format}) fell back to feedparser"
        feed = parse_feed(body, url=info.url, content_type=info.content_type)
        assert len(feed.entries) == info.entries


# ---- random documents ---------------------------------------------------------------------------

TEXTS = [
    "",
    "   ",
    "Plain words",
    "Fish & Chips",
    "<b>bold</b> move",
    "Why <div> matters",
    "a &amp; b",
    "&copy; 2024 &nbsp;x&bogus;",
    "caf\u00e9 \u00fcber",
    "\u00c3\u00a9t\u00c3\u00a9",  # UTF-8 read as Latin-1
    "\u0096dash\u0097 \u0080",  # C1 controls feedparser maps through cp1252
    "\u201cquoted\u201d",
    "<p>one</p><p>two</p>",
    "line one\nline two\r\n\r\nline three",
    "  padded  ",
    "<script>alert(1)</script><img src=x onerror=alert(2)>",
    "\u65e5\u672c\u8a9e \U0001f600",
    "\u200bzero\u00adwidth",
    "<a href='/rel'>relative</a> <a href=\"http://e.org/?a=1&b=2\">q</a>",
    "Q&amp;A: <em>why</em>?",
    "x" * 300,
    "bell\x07",  # not XML at all: both paths must agree on the failure too
]
URLS = [
    "https://example.org/post/1",
    "/relative/path",
    "http://example.org/?a=1&b=2",
    "http://example.org/?a=1&amp;b=2",
    "http:///triple/slash",
    "javascript:alert(1)",
    "",
    "  https://example.org/spaced  ",
    "tag:example.org,2024:entry-1",
    "urn:uuid:1234",
    "https://\u4f8b\u3048.jp/\u30d1\u30b9",
    "https://example.org/post/1",
]
DATES = [
    "Mon, 06 May 2024 05:15:00 GMT",
    "Mon, 06 May 2024 05:15:00 +0200",
    "Wed, 02 Oct 2002 08:00:00 EST",
    "2024-03-05T09:30:00+01:00",
    "2024-03-05T09:30:00Z",
    "2024-03-05",
    "2024-06-01 12:00:00",
    "20240102T030405Z",
    "Tue, 31 Feb 2024 10:00:00 GMT",
    "2024-13-01T00:00:00Z",
    "Sun, 01 Jan 0001 00:00:00 GMT",
    "yesterday",
    "",
]
AUTHORS = [
    "Ana Ribeiro",
    "ana@example.org (Ana Ribeiro)",
    "Ana Ribeiro <ana@example.org>",
    "ana@example.org",
    "",
    "Name with <b>tags</b>",
    "a" * 300 + "@example.org",
]
CONTENT_TYPES = [
    "application/rss+xml; charset=utf-8",
    "application/atom+xml",
    "application/xml",
    "text/xml",
    "text/xml; charset=utf-8",
    "text/html",
    "application/xml; charset=iso-8859-1",
    None,
]

xml_chars = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
    include_characters="\t\n\r\x85\x96",
    exclude_characters="\ufffe\uffff",
)
texts = st.one_of(st.sampled_from(TEXTS), st.text(xml_chars, max_size=40))
urls = st.one_of(st.sampled_from(URLS), st.text(xml_chars, max_size=20))
dates = st.one_of(st.sampled_from(DATES), st.text(xml_chars, max_size=20))


rare = st.integers(0, 30).map(lambda n: n == 0)
"""True once in a while: for constructs the fast path declines, so fallbacks are exercised too."""


@st.composite
def encoded(draw: st.DrawFn, value: str) -> str:
    """A text node as a publisher might write it: escaped, CDATA, or character references."""
    style = draw(st.sampled_from(["escape", "escape", "cdata", "refs", "double"]))
    if style == "cdata" and "]]>" not in value:
        return f"<![CDATA[{value}]]>"
    if style == "refs":
        return "".join(c if c.isascii() and c not in "<&>" else f"&#{ord(c)};" for c in value)
    if style == "double":
        return escape(html.escape(value, quote=False))
    return escape(value)


@st.composite
def element(draw: st.DrawFn, name: str, values: st.SearchStrategy[str], attrs: str = "") -> str:
    return f"<{name}{attrs}>{draw(encoded(draw(values)))}</{name}>"


def attr(value: str) -> str:
    return quoteattr(value)


@st.composite
def rss_item_field(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            [
                "title", "title", "dc:title", "link", "link", "atom:link", "guid", "guid",
                "description", "description", "content", "content", "dc:creator", "author",
                "pubDate", "dc:date", "dcterms:modified", "category", "comments", "enclosure",
                "unknown", "slash", "atom:id", "atom:title", "dc:description", "dcterms:issued",
                "dcterms:created", "managingEditor", "Title", "PubDate",
            ]
        )
    )  # fmt: skip
    if draw(rare):
        kind = draw(st.sampled_from(["media", "source", "foreign"]))
    if kind == "title":
        type_attr = draw(st.sampled_from(["", "", "", ' type="html"', ' type="text"']))
        return draw(element("title", texts, type_attr))
    if kind in ("atom:id", "atom:title", "dc:description", "Title"):
        return draw(element(kind, texts if kind != "atom:id" else urls))
    if kind in ("dc:title", "description", "content:encoded", "dc:creator", "author"):
        return draw(element(kind, texts if kind != "author" else st.sampled_from(AUTHORS)))
    if kind == "content":
        return draw(element("content:encoded", texts))
    if kind == "link":
        return draw(element("link", urls))
    if kind == "atom:link":
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"']))
        kind_attr = draw(st.sampled_from(["", ' type="text/html"', ' type="application/pdf"']))
        return f"<atom:link{rel}{kind_attr} href={attr(draw(urls))}/>"
    if kind == "guid":
        perma = draw(
            st.sampled_from(
                ["", ' isPermaLink="true"', ' isPermaLink="false"', ' isPermaLink="True"']
            )
        )
        return draw(element("guid", urls, perma))
    if kind == "managingEditor":
        return draw(element(kind, st.sampled_from(AUTHORS)))
    if kind in ("pubDate", "dc:date", "dcterms:modified", "dcterms:issued", "dcterms:created"):
        return draw(element(kind, dates))
    if kind == "dc:creator":
        return draw(element(kind, st.sampled_from(AUTHORS)))
    if kind == "category":
        return draw(element("category", texts, draw(st.sampled_from(["", ' domain="x"']))))
    if kind == "comments":
        return draw(element("comments", urls))
    if kind == "enclosure":
        return f'<enclosure url={attr(draw(urls))} length="12" type="audio/mpeg"/>'
    if kind == "unknown":
        return draw(element("wibble", texts))
    if kind == "slash":
        return "<slash:comments>4</slash:comments>"
    if kind == "media":
        return '<media:thumbnail url="https://example.org/t.png"/>'
    if kind == "source":
        return '<source url="https://other.example/feed">Other</source>'
    return '<x:thing xmlns:x="https://unknown.example/ns">value</x:thing>'


NAMESPACES = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:atom="http://www.w3.org/2005/Atom" xmlns:slash="http://purl.org/rss/1.0/modules/slash/" '
    'xmlns:media="http://search.yahoo.com/mrss/" '
    'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"'
)


@st.composite
def rss_channel_fields(draw: st.DrawFn) -> list[str]:
    fields = [
        draw(element("title", texts)),
        draw(element("link", urls)),
        draw(element("description", texts)),
        draw(element("ttl", st.sampled_from(["60", " 90 ", "abc", "-5", "0", "99999999"]))),
        draw(element("lastBuildDate", dates)),
        draw(element("pubDate", dates)),
        draw(element("guid", urls)),
        "<sy:updatePeriod>hourly</sy:updatePeriod><skipHours><hour>1</hour></skipHours>",
        draw(element("managingEditor", st.sampled_from(AUTHORS))),
        f'<atom:link rel="self" type="application/rss+xml" href={attr(draw(urls))}/>',
        "<image>"
        + draw(element("title", texts))
        + draw(element("url", urls))
        + draw(element("link", urls))
        + "<width>88</width></image>",
        "<language>en</language><generator>gen</generator><docs>https://e.org/docs</docs>",
    ]
    return draw(st.lists(st.sampled_from(fields), max_size=6))


def document(prolog: str, root: str, encoding: str) -> bytes:
    if encoding == "utf-8-bom":
        return b"\xef\xbb\xbf" + (prolog + root).encode()
    if encoding == "latin-1":
        return (prolog.replace("utf-8", "iso-8859-1") + root).encode("latin-1", "xmlcharrefreplace")
    return (prolog + root).encode()


prologs = st.sampled_from(['<?xml version="1.0" encoding="utf-8"?>\n', "", "\n "])
encodings = st.sampled_from(["utf-8", "utf-8", "utf-8-bom", "latin-1"])


@st.composite
def rss_documents(draw: st.DrawFn) -> bytes:
    version = draw(st.sampled_from(['version="2.0"', 'version="0.91"', 'version="0.92"', ""]))
    items = []
    for _ in range(draw(st.integers(0, 4))):
        fields = draw(st.lists(rss_item_field(), max_size=8))
        items.append("<item>" + "\n".join(fields) + "</item>")
    channel = draw(rss_channel_fields())
    tail = draw(st.lists(st.sampled_from(channel or [""]), max_size=1))
    body = "".join(channel) + "".join(items) + "".join(tail)
    root = f"<rss {version} {NAMESPACES}><channel>{body}</channel></rss>"
    return document(draw(prologs), root, draw(encodings))


@st.composite
def rdf_documents(draw: st.DrawFn) -> bytes:
    items = []
    for _ in range(draw(st.integers(0, 3))):
        fields = [
            draw(element("title", texts)),
            draw(element("link", urls)),
            draw(element("description", texts)),
            draw(element("dc:creator", st.sampled_from(AUTHORS))),
            draw(element("dc:date", dates)),
            draw(element("content:encoded", texts)),
            draw(element("dc:subject", texts)),
        ]
        chosen = draw(st.lists(st.sampled_from(fields), max_size=7))
        about = draw(st.sampled_from(["", f" rdf:about={attr(draw(urls))}"]))
        items.append(f"<item{about}>{''.join(chosen)}</item>")
    channel = (
        '<channel rdf:about="https://example.org/rss">'
        + "".join(draw(st.lists(st.sampled_from(draw(rss_channel_fields()) or [""]), max_size=3)))
        + draw(element("title", texts))
        + '<items><rdf:Seq><rdf:li rdf:resource="https://example.org/1"/></rdf:Seq></items>'
        + "</channel>"
    )
    image = "<image>" + draw(element("title", texts)) + "<url>https://e.org/i.png</url></image>"
    parts = [channel, *items]
    if draw(st.booleans()):
        parts.insert(draw(st.integers(0, len(parts))), image)
    default_ns = draw(
        st.sampled_from(
            [
                'xmlns="http://purl.org/rss/1.0/" xmlns:atom="http://www.w3.org/2005/Atom"',
                'xmlns="http://my.netscape.com/rdf/simple/0.9/" '
                'xmlns:atom="http://www.w3.org/2005/Atom"',
                'xmlns:atom="http://www.w3.org/2005/Atom" xmlns="http://purl.org/rss/1.0/"',
            ]
        )
    )
    root = (
        f'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" {default_ns} '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:sy="http://purl.org/rss/1.0/modules/syndication/" '
        f'xmlns:content="http://purl.org/rss/1.0/modules/content/">{"".join(parts)}</rdf:RDF>'
    )
    return document(draw(prologs), root, draw(encodings))


@st.composite
def atom_text(draw: st.DrawFn, name: str) -> str:
    kind = draw(st.sampled_from(["", "", ' type="text"', ' type="html"', ' type="TEXT/HTML"']))
    if draw(rare):
        return f'<{name} type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></{name}>'
    return draw(element(name, texts, kind))


@st.composite
def atom_person(draw: st.DrawFn, name: str) -> str:
    parts = draw(
        st.lists(
            st.sampled_from(
                [
                    draw(element("name", st.sampled_from(AUTHORS))),
                    draw(element("email", st.sampled_from(["a@example.org", "", "bad"]))),
                    draw(element("uri", urls)),
                ]
            ),
            max_size=3,
        )
    )
    return f"<{name}>{''.join(parts)}</{name}>"


@st.composite
def atom_link(draw: st.DrawFn) -> str:
    rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="related"']))
    kind = draw(
        st.sampled_from(
            ["", ' type="text/html"', ' type="application/xhtml+xml"', ' type="image/png"']
        )
    )
    return f"<link{rel}{kind} href={attr(draw(urls))}/>"


@st.composite
def atom_entry_field(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(
            [
                "title", "title", "link", "link", "id", "id", "published", "updated", "author",
                "contributor", "summary", "content", "content", "category", "rights", "issued",
                "modified", "created",
            ]
        )
    )  # fmt: skip
    if draw(rare):
        kind = "source"
    if kind in ("title", "summary", "content", "rights"):
        if kind == "content" and draw(rare):
            return '<content src="https://example.org/x" type="text/html"/>'
        return draw(atom_text(kind))
    if kind == "link":
        return draw(atom_link())
    if kind == "id":
        return draw(element("id", urls))
    if kind in ("published", "updated", "issued", "modified", "created"):
        return draw(element(kind, dates))
    if kind in ("author", "contributor"):
        return draw(atom_person(kind))
    if kind == "category":
        return '<category term="t" label="T"/>'
    return "<source><title>elsewhere</title></source>"


@st.composite
def atom_documents(draw: st.DrawFn) -> bytes:
    feed_fields = [
        draw(atom_text("title")),
        draw(atom_text("subtitle")),
        draw(atom_link()),
        draw(element("id", urls)),
        draw(element("updated", dates)),
        draw(atom_person("author")),
        "<generator>gen</generator><icon>/i.png</icon>",
    ]
    head = draw(st.lists(st.sampled_from(feed_fields), max_size=7))
    entries = [
        "<entry>" + "".join(draw(st.lists(atom_entry_field(), max_size=9))) + "</entry>"
        for _ in range(draw(st.integers(0, 3)))
    ]
    opening = draw(
        st.sampled_from(
            [
                '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">',
                '<feed version="0.3" xmlns="http://purl.org/atom/ns#">',
                '<feed xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns="http://www.w3.org/2005/Atom">',
            ]
        )
    )
    root = opening + "".join(head) + "".join(entries) + "</feed>"
    return document(draw(prologs), root, draw(encodings))


_SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(body=rss_documents(), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_rss_reads_the_same_on_both_paths(body: bytes, content_type: str | None) -> None:
    assert_same(body, "https://example.org/feed.xml", content_type)


@_SETTINGS
@given(body=rdf_documents(), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_rdf_reads_the_same_on_both_paths(body: bytes, content_type: str | None) -> None:
    assert_same(body, "https://example.org/feed.rdf", content_type)


@_SETTINGS
@given(body=atom_documents(), content_type=st.sampled_from(CONTENT_TYPES))
def test_random_atom_reads_the_same_on_both_paths(body: bytes, content_type: str | None) -> None:
    assert_same(body, "https://example.org/atom.xml", content_type)


# ---- quirks worth pinning, because a reimplementation would naturally get them "right" ----------


def rss(items: str, channel: str = "<title>T</title>") -> bytes:
    root = f'<rss version="2.0" {NAMESPACES}><channel>{channel}{items}</channel></rss>'
    return ('<?xml version="1.0" encoding="utf-8"?>' + root).encode()


@pytest.mark.parametrize(
    "body",
    [
        # A permalink guid stands in for a missing link, but not for one that comes later.
        rss("<item><guid>https://e.org/a</guid><title>t</title></item>"),
        rss("<item><guid>https://e.org/a</guid><link>https://e.org/b</link></item>"),
        # A second description becomes content; the first stays the summary.
        rss("<item><description>short</description><description>much longer</description></item>"),
        # An empty title does not stop a later one; the first non-empty one wins.
        rss("<item><title></title><title>second</title><title>third</title></item>"),
        # A title after an image replaces the channel's title.
        rss("", "<title>first</title><image><title>logo</title></image><title>second</title>"),
        # UTF-8 that was read as Latin-1 is repaired; C1 controls become cp1252 characters.
        rss("<item><title>caf\u00c3\u00a9 \u0096</title></item>"),
        # Two authors: the text is the last one's, the detail the first one's.
        rss("<item><dc:creator>One</dc:creator><dc:creator>two@e.org (Two)</dc:creator></item>"),
        # A date that does not parse replaces one that did.
        rss("<item><pubDate>Mon, 06 May 2024 05:15:00 GMT</pubDate><pubDate>soon</pubDate></item>"),
    ],
)
def test_feedparser_quirks_are_kept(body: bytes) -> None:
    assert assert_same(body, "https://example.org/feed.xml", "application/rss+xml")


def test_dates_are_feedparsers() -> None:
    body = rss("<item><title>t</title><pubDate>Wed, 02 Oct 2002 08:00:00 EST</pubDate></item>")
    feed = parse_feed(body, url="https://example.org/f", content_type="application/xml")
    assert feed.entries[0].published == dt.datetime(2002, 10, 2, 13, 0, tzinfo=dt.UTC)
    assert assert_same(body, "https://example.org/f", "application/xml")


def test_projection_sees_what_parse_reads() -> None:
    """The dict-level comparison above is only as strong as this projection; keep it honest."""
    body = (FEEDS / "rss20_content_encoded.xml").read_bytes()
    shown = projection(feedparser_result(body, "application/xml"))
    assert shown["feed"]["title"] == "Field Notes"
    assert shown["entries"][0]["content"][0]["type"] == "text/html"
    assert json.dumps(shown, default=str)
