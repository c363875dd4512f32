"""OPML import and export: real readers' exports in, files other readers accept out."""

from __future__ import annotations

import datetime as dt
import re
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.errors import ParseError
from reader.core.opml import OpmlDocument, OpmlFeed, parse_opml, write_opml
from tests.support.http_server import Route, ScriptedServer

DATA = Path(__file__).parent.parent / "data" / "opml"
GOOD_EXPORTS = sorted(p.name for p in DATA.glob("*.*"))


def parse_file(name: str) -> OpmlDocument:
    return parse_opml((DATA / name).read_bytes())


def by_url(document: OpmlDocument) -> dict[str, OpmlFeed]:
    return {feed.url: feed for feed in document.feeds}


def as_set(feeds: tuple[OpmlFeed, ...]) -> set[tuple[str, str | None, str | None, tuple[str, ...]]]:
    return {(f.url, f.title, f.site_url, f.folder_path) for f in feeds}


# --- real readers' exports --------------------------------------------------------------------


def test_netnewswire_export_keeps_its_one_level_of_folders() -> None:
    document = parse_file("netnewswire.opml")

    assert document.title == "Subscriptions-OnMyMac.opml"
    assert [(f.title, f.folder_path) for f in document.feeds] == [
        ("Daring Fireball", ()),
        ("inessential", ()),
        ("Six Colors", ("Apple",)),
        ("Michael Tsai", ("Apple",)),
        ("Craig Mod — Roden", ("Writing",)),
        ("Kottke.org", ("Writing",)),
    ]
    six_colors = by_url(document)["https://feedpress.me/sixcolors"]
    assert six_colors.site_url == "https://sixcolors.com/"
    assert document.skipped == ("“Empty folder” (line 18) has no feed address (xmlUrl).",)


def test_feedly_export_undoes_double_escaped_entities_and_keeps_unicode() -> None:
    feeds = by_url(parse_file("feedly.opml"))

    assert feeds["https://feeds.arstechnica.com/arstechnica/features"].title == (
        "Ars Technica » Features"
    )
    assert feeds["https://cnz.to/feed/"].title == "Chocolate & Zucchini"
    assert feeds["https://cnz.to/feed/"].folder_path == ("Cuisine",)
    hatena = feeds["https://b.hatena.ne.jp/hotentry.rss"]
    assert hatena.title == "はてなブックマーク - 人気エントリー"
    assert hatena.folder_path == ("Japan",)
    assert feeds["http://feeds.feedburner.com/smittenkitchen"].site_url == (
        "https://smittenkitchen.com/"
    )


def test_inoreader_export_nests_folders_and_ignores_vendor_attributes() -> None:
    document = parse_file("inoreader.xml")
    feeds = by_url(document)

    assert len(document.feeds) == 6
    assert feeds["https://www.tagesschau.de/xml/rss2/"].folder_path == ("News", "Deutsch")
    assert feeds["https://www.tagesschau.de/xml/rss2/"].title == (
        "tagesschau.de – Die Nachrichten der ARD"
    )
    assert feeds["https://feeds.bbci.co.uk/news/rss.xml"].folder_path == ("News",)
    assert feeds["https://news.ycombinator.com/rss"].folder_path == ()
    assert document.skipped == ()


def test_newsboat_export_skips_exec_and_query_feeds_with_reasons() -> None:
    document = parse_file("newsboat.opml")

    assert [f.title for f in document.feeds] == ["LWN.net", "Phoronix", "Rust Blog"]
    assert document.feeds[0].site_url == "https://lwn.net/"
    assert document.skipped == (
        "Line 9: 'exec:~/bin/hn-top-as-rss' is not an http or https address.",
        "Line 10: 'query:Unread Articles:unread = \"yes\"' is not an http or https address.",
    )


def test_rss_guard_export_keeps_three_levels_of_folders() -> None:
    feeds = by_url(parse_file("rssguard.opml"))

    assert feeds["https://simonwillison.net/atom/everything/"].folder_path == (
        "Programming",
        "Python",
        "Libraries",
    )
    assert feeds["https://planetpython.org/rss20.xml"].folder_path == ("Programming", "Python")
    assert feeds["https://jvns.ca/atom.xml"].folder_path == ("Programming",)
    assert feeds["https://www.jsonfeed.org/feed.json"].folder_path == ()
    # A non-ASCII path is stored the way it will be requested.
    music = feeds["https://example.ru/%D0%BC%D1%83%D0%B7%D1%8B%D0%BA%D0%B0/rss"]
    assert music.title == "Пластинки недели"
    assert music.folder_path == ("Музыка",)


def test_thunderbird_export_with_namespaced_attributes() -> None:
    document = parse_file("thunderbird.opml")
    feeds = by_url(document)

    assert document.title == "Thunderbird OPML Export - Blogs & News Feeds"
    assert feeds["https://planet.mozilla.org/rss20.xml"].folder_path == (
        "Blogs & News Feeds",
        "Open source",
    )
    assert feeds["https://cafe-creme.example.fr/feed/"].title == "Café & Crème"
    assert feeds["https://cafe-creme.example.fr/feed/"].folder_path == ("Blogs & News Feeds",)


def test_quirks_found_in_hand_edited_files() -> None:
    document = parse_file("quirks.opml")
    feeds = by_url(document)

    assert document.title == "Odds & ends"
    assert feeds["https://lower.example.com/feed"].title == "lower-case attribute"
    assert feeds["https://upper.example.com/feed"].site_url == "https://upper.example.com/"
    assert feeds["https://title-only.example.com/rss"].title == "only a title, no text"
    assert feeds["https://text.example.com/rss"].title == "text wins over title"
    # A "title" that is only the URL again says nothing: the feed's own title will be used.
    assert feeds["https://untitled.example.com/atom.xml"].title is None
    assert "http://feedscheme.example.com/rss" in feeds
    assert "https://feedhttps.example.com/atom" in feeds
    assert "https://spaces.example.com/feed.xml" in feeds
    assert "https://upper-scheme.example.com/Feed" in feeds
    assert feeds["https://entities.example.com/rss"].title == "café au lait & croissants"
    inside = feeds["https://inside.example.com/feed"]
    assert inside.folder_path == ("Folder with a duplicate",)
    assert inside.site_url is None  # javascript: site links are dropped, the feed is kept
    assert feeds["https://nameless.example.com/feed"].folder_path == ()
    assert len(document.feeds) == 12

    assert document.skipped == (
        "“a local file” (line 17): 'file:///home/jane/feed.xml' is not an http or https address.",
        "“a script” (line 18): 'javascript:alert(document.cookie)' is not an http or https "
        "address.",
        "“a bare path” (line 19): '/home/jane/feed.xml' is not an http or https address.",
        "“a bookmark” (line 20) is a link, not a feed.",
        "“lower-case attribute, again” (line 22): https://lower.example.com/feed is listed "
        "twice; the first one, on line 6, was kept.",
        "“an outline with nothing” (line 28) has no feed address (xmlUrl).",
    )


def test_duplicates_differing_only_in_spelling_are_one_feed() -> None:
    data = b"""<opml version="2.0"><body>
      <outline text="first" xmlUrl="https://Example.com:443"/>
      <outline text="second" xmlUrl="feed:https://example.com/"/>
      <outline text="third" xmlUrl="https://EXAMPLE.com/#top"/>
      <outline text="plain http is another address" xmlUrl="http://example.com/"/>
    </body></opml>"""

    document = parse_opml(data)

    assert [(f.url, f.title) for f in document.feeds] == [
        ("https://example.com/", "first"),
        ("http://example.com/", "plain http is another address"),
    ]
    assert [reason.split(")")[0] for reason in document.skipped] == [
        "“second” (line 3",
        "“third” (line 4",
    ]


# --- encodings ----------------------------------------------------------------------------------

TEMPLATE = (
    '<?xml version="1.0" encoding="{encoding}"?>\n'
    '<opml version="1.0"><head><title>{title}</title></head><body>\n'
    '<outline text="{title}" type="rss" xmlUrl="https://example.com/feed"/>\n'
    "</body></opml>\n"
)


@pytest.mark.parametrize(
    ("encoding", "title"),
    [
        ("ISO-8859-1", "Café crème"),
        ("windows-1252", "“Quotes” – and € signs"),
        ("Shift_JIS", "日本語のブログ"),
        ("GB18030", "中文博客"),
        ("KOI8-R", "Новости"),
    ],
)
def test_declared_encodings_are_honoured(encoding: str, title: str) -> None:
    data = TEMPLATE.format(encoding=encoding, title=title).encode(encoding)

    document = parse_opml(data)

    assert document.title == title
    assert document.feeds[0].title == title


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_byte_order_marks_and_utf16(codec: str) -> None:
    text = TEMPLATE.format(encoding="UTF-16" if "16" in codec else "UTF-8", title="Ünïcödé")
    data = text.encode(codec)  # utf-16-be has no BOM: it is known by the zero bytes around "<"

    assert parse_opml(data).feeds[0].title == "Ünïcödé"


def test_a_utf16_declaration_on_ascii_bytes_is_a_mislabel_not_a_failure() -> None:
    data = TEMPLATE.format(encoding="UTF-16", title="Plain").encode("utf-8")

    assert parse_opml(data).feeds[0].title == "Plain"


def test_bytes_that_do_not_match_the_declared_encoding_keep_the_feeds() -> None:
    data = TEMPLATE.format(encoding="UTF-8", title="Café").encode("latin-1")

    document = parse_opml(data)

    assert document.feeds[0].url == "https://example.com/feed"
    assert document.feeds[0].title == "Caf\ufffd"


def test_an_unknown_declared_encoding_is_a_clear_error() -> None:
    data = TEMPLATE.format(encoding="x-klingon", title="Qapla").encode("ascii")

    with pytest.raises(ParseError, match="character encoding 'x-klingon'"):
        parse_opml(data)


# --- files that are not usable OPML -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("empty.opml", "Not a valid OPML file: the file is empty."),
        (
            "unclosed.opml",
            "Not a valid OPML file: the XML is malformed at line 7, column 5 (mismatched tag).",
        ),
        (
            "no_body.opml",
            "Not a valid OPML file: it has no <body>, where the subscriptions are listed.",
        ),
        ("rss_not_opml.xml", "Not a valid OPML file: it is a feed, not a list of subscriptions."),
        ("page.html", "Not a valid OPML file: it is a web page (HTML)."),
        ("subscriptions.json", "Not a valid OPML file: it is JSON, not OPML (which is XML)."),
        ("billion_laughs.opml", "Not a valid OPML file: it declares XML entities (line 3)."),
        ("xxe.opml", "Not a valid OPML file: it declares XML entities (line 3)."),
    ],
)
def test_bad_files_are_refused_with_a_precise_reason(name: str, message: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse_opml((DATA / "bad" / name).read_bytes())

    assert str(raised.value).startswith(message)


def test_billion_laughs_is_refused_before_any_expansion() -> None:
    data = (DATA / "bad" / "billion_laughs.opml").read_bytes()
    started = time.process_time()

    with pytest.raises(ParseError):
        parse_opml(data)

    # Expanding would build 10^9 "lol"s; refusing is instant. Generous bound, not a benchmark.
    assert time.process_time() - started < 5


def test_external_dtd_and_parameter_entities_are_never_fetched(
    http_server: ScriptedServer,
) -> None:
    http_server.routes["/evil.dtd"] = Route(200, b'<!ENTITY leak "leaked">')
    dtd = http_server.url("/evil.dtd")
    external_subset = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml SYSTEM "{dtd}">\n'
        '<opml version="1.0"><body><outline text="&leak;" xmlUrl="https://example.com/f"/>'
        "</body></opml>"
    ).encode()
    parameter_entity = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY % remote SYSTEM "{dtd}"> %remote;]>\n'
        '<opml version="1.0"><body/></opml>'
    ).encode()

    document = parse_opml(external_subset)
    with pytest.raises(ParseError, match="declares XML entities"):
        parse_opml(parameter_entity)

    assert http_server.hits("/evil.dtd") == 0
    assert document.feeds[0].title is None  # the undefined entity stayed empty, not "leaked"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "it is not XML"),
        (b"   \n\t  ", "the file is empty"),
        (b"<html><body>hi</body></html>", "it is a web page"),
        (b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"/>', "it is a feed"),
        (b"<outline text='x' xmlUrl='https://a.example/'/>", "top element is <outline>"),
        (
            b"<opml><head><title>T &bogus; </title></head><body/></opml>",
            "malformed at line 1, column 22 (undefined entity)",
        ),
        (b"<opml><body><outline></body></opml>", "malformed at line 1, column 24 (mismatched tag)"),
    ],
)
def test_other_non_opml_inputs(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=re.escape(message)):
        parse_opml(data)


def test_an_empty_body_is_an_empty_list_not_an_error() -> None:
    document = parse_opml(b'<opml version="2.0"><head/><body/></opml>')

    assert document == OpmlDocument(title=None, feeds=(), skipped=())


# --- writing ------------------------------------------------------------------------------------


def test_written_file_is_opml_other_readers_accept() -> None:
    feeds = [
        OpmlFeed("https://a.example/feed", "A & B <news>", "https://a.example/", ()),
        OpmlFeed("https://b.example/rss", None, None, ("Tech", "Python")),
        OpmlFeed("https://c.example/rss", "C", None, ("Tech",)),
        OpmlFeed("https://d.example/rss", "D", None, ("Tech", "Python")),
    ]
    created = dt.datetime(2024, 3, 5, 8, 12, 44, tzinfo=dt.UTC)

    data = write_opml(feeds, title="Mine", created_at=created)

    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">\n')
    root = ET.fromstring(data)
    assert root.findtext("head/title") == "Mine"
    assert root.findtext("head/dateCreated") == "Tue, 05 Mar 2024 08:12:44 GMT"
    top = root.findall("body/outline")
    assert top[0].attrib == {
        "type": "rss",
        "text": "A & B <news>",
        "title": "A & B <news>",
        "xmlUrl": "https://a.example/feed",
        "htmlUrl": "https://a.example/",
    }
    tech = top[1]
    assert tech.get("text") == "Tech"
    assert tech.get("xmlUrl") is None
    python = tech.find("outline[@text='Python']")
    assert python is not None
    # Feeds keep their order, and a folder is written once where it first appears.
    assert [o.get("xmlUrl") for o in python] == ["https://b.example/rss", "https://d.example/rss"]
    assert python[0].get("text") == "https://b.example/rss"  # text is required; no title
    assert python[0].get("title") is None
    assert [o.get("xmlUrl") or o.get("text") for o in tech] == ["Python", "https://c.example/rss"]
    assert b"\n    <outline" in data  # indented for people who open it in an editor


def test_characters_xml_cannot_hold_are_dropped_not_written() -> None:
    data = write_opml([OpmlFeed("https://a.example/", "bell\x07 and nul\x00", None, ("f\x1b",))])

    assert parse_opml(data).feeds == (OpmlFeed("https://a.example/", "bell and nul", None, ("f",)),)


@pytest.mark.parametrize("name", GOOD_EXPORTS)
def test_round_trip_keeps_every_feed_title_site_and_folder(name: str) -> None:
    original = parse_file(name)

    again = parse_opml(write_opml(original.feeds))

    assert as_set(again.feeds) == as_set(original.feeds)
    assert again.skipped == ()


folder_names = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cs", "Cc", "Zs", "Zl", "Zp"),
        exclude_characters="&\ufffe\uffff",
    ),
    min_size=1,
    max_size=12,
)
titles = st.one_of(
    st.none(),
    st.text(
        st.characters(
            codec="utf-8", exclude_categories=("Cs", "Cc"), exclude_characters="\ufffe\uffff"
        ),
        min_size=0,
        max_size=30,
    ),
)
feeds_strategy = st.lists(
    st.builds(
        OpmlFeed,
        url=st.integers(0, 10_000).map(lambda n: f"https://feeds.example/{n}"),
        title=titles,
        site_url=st.one_of(st.none(), st.just("https://site.example/")),
        folder_path=st.lists(folder_names, max_size=3).map(tuple),
    ),
    max_size=8,
    unique_by=lambda f: f.url,
)


@settings(max_examples=150, deadline=None)
@given(feeds_strategy)
def test_any_feed_list_survives_export_then_import(feeds: list[OpmlFeed]) -> None:
    once = parse_opml(write_opml(feeds))
    twice = parse_opml(write_opml(once.feeds))

    assert [f.url for f in once.feeds] == [f.url for f in feeds]
    assert [f.folder_path for f in once.feeds] == [f.folder_path for f in feeds]
    assert [f.site_url for f in once.feeds] == [f.site_url for f in feeds]
    assert as_set(twice.feeds) == as_set(once.feeds)
    for written, read in zip(feeds, once.feeds, strict=True):
        title = written.title
        if title and "&" not in title and title == " ".join(title.split()):
            assert read.title == title
