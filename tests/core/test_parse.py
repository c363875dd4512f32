"""parse.py: real feed documents in, what the reader stores out; a hostile feed costs one feed."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import json
import os
import pickle
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from reader.core.errors import ParseError
from reader.core.parse import (
    MAX_AUTHOR_CHARS,
    MAX_ENTRIES,
    ParsedEntry,
    ParsedFeed,
    ParsePool,
    parse_feed,
)
from tests.core.test_content import assert_safe_html

FEEDS = Path(__file__).parent.parent / "data" / "feeds"
UTC = dt.UTC


def load(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


def parse(name: str, url: str | None = None, content_type: str | None = None) -> ParsedFeed:
    if content_type is None:
        content_type = "application/feed+json" if name.endswith(".json") else "application/xml"
    return parse_feed(
        load(name), url=url or f"https://example.org/feeds/{name}", content_type=content_type
    )


def by_title(feed: ParsedFeed) -> dict[str, ParsedEntry]:
    return {e.title: e for e in feed.entries}


def rss(items: str, *, channel: str = "<title>Generated</title>") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/"><channel>'
        f"{channel}{items}</channel></rss>"
    ).encode()


# ---- audit hook: what the parse touches outside the process (F2) --------------------------------

_AUDIT_EVENTS = {
    "open",
    "socket.connect",
    "socket.getaddrinfo",
    "urllib.Request",
    "subprocess.Popen",
}
_audit_log: list[tuple[str, tuple[Any, ...]]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _audit_log is not None and event in _AUDIT_EVENTS:
        _audit_log.append((event, args))


_hook_installed = False


@contextmanager
def recorded_side_effects() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    """Audit hooks cannot be removed, so one hook is installed per session and toggled here."""
    global _audit_log, _hook_installed
    if not _hook_installed:
        sys.addaudithook(_audit)
        _hook_installed = True
    events: list[tuple[str, tuple[Any, ...]]] = []
    _audit_log = events
    try:
        yield events
    finally:
        _audit_log = None


# ---- the shapes of real feeds -------------------------------------------------------------------


def test_rss_091_with_netscape_dtd_reference() -> None:
    feed = parse("rss091.xml")
    assert feed.title == "Scripting News"
    assert feed.site_url == "http://www.scripting.com/"
    assert feed.warning is None
    first, second = feed.entries
    assert first.title == "stuff.userland.com"
    assert first.link == "http://stuff.userland.com/"
    assert first.key == "l:http://stuff.userland.com/"
    assert first.html == "Our new <b>server</b> for UserLand content &amp; scripts."
    assert first.text == "Our new server for UserLand content & scripts."
    assert first.summary_only
    assert second.title == "Giving the world a pluggable Gnutella"


def test_rss_092_items_without_titles_keep_their_description_links() -> None:
    feed = parse("rss092.xml")
    assert len(feed.entries) == 2
    entry = feed.entries[0]
    assert entry.title == ""
    assert (
        '<a href="http://www.scripting.com/mp3s/weatherReportSuite.mp3" '
        'rel="noopener noreferrer">Weather Report Suite</a>'
    ) in entry.html
    assert entry.key.startswith("h:")
    assert len({e.key for e in feed.entries}) == 2


def test_rss_10_rdf_with_dublin_core_dates_and_content_encoded() -> None:
    feed = parse("rss10_rdf.xml")
    assert feed.title == "The Example Journal"
    kerning, ligatures = feed.entries
    assert kerning.author == "Mireille Fontaine"
    assert kerning.updated == dt.datetime(2024, 3, 5, 8, 30, tzinfo=UTC)
    assert (
        kerning.text
        == "Kerning adjusts the space between pairs of letters.\n\nGood kerning is invisible."
    )
    assert not kerning.summary_only
    assert ligatures.summary_only
    assert ligatures.text == "fi, fl and friends."
    assert kerning.key == "g:https://journal.example.net/2024/kerning"


def test_rss_20_prefers_content_encoded_over_description() -> None:
    feed = parse("rss20_content_encoded.xml", url="https://fieldnotes.example.com/feed.xml")
    assert feed.title == "Field Notes"
    assert feed.site_url == "https://fieldnotes.example.com/"
    assert feed.ttl_minutes == 90
    entries = by_title(feed)
    full = entries["The starling murmuration"]
    assert full.guid == "fieldnotes-1187"
    assert full.key == "g:fieldnotes-1187"
    assert full.author == "Ana Ribeiro"
    assert full.published == dt.datetime(2024, 5, 6, 5, 15, tzinfo=UTC)
    assert full.published is not None and full.published.tzinfo is UTC
    assert not full.summary_only
    assert "turn as one" in full.text
    assert "short summary" not in full.text
    assert 'src="https://fieldnotes.example.com/images/murmuration.jpg"' in full.html
    assert 'href="https://fieldnotes.example.com/2024/04/roosts/"' in full.html
    teaser = entries["Summary only"]
    assert teaser.summary_only
    assert teaser.html == "Just a <em>teaser</em>; the rest is on the site."


def test_atom_03() -> None:
    feed = parse("atom03.xml")
    assert feed.title == "dive into mark"
    (entry,) = feed.entries
    assert entry.key == "g:tag:diveintomark.org,2003:3.2397"
    assert entry.link == "http://diveintomark.org/2003/12/13/atom03"
    assert entry.author == "Mark Pilgrim"  # inherited from the feed
    assert entry.published == dt.datetime(2003, 12, 13, 12, 29, 29, tzinfo=UTC)
    assert entry.updated == dt.datetime(2003, 12, 13, 18, 30, 2, tzinfo=UTC)
    assert entry.html == "<p>This is <i>escaped</i> HTML content.</p>"


def test_atom_10_xhtml_content_resolves_against_its_web_xml_base() -> None:
    feed = parse("atom10_xhtml_base.xml", url="https://atom.example.org/blog/atom.xml")
    assert feed.title == "Tinkering <> Notes"
    assert feed.site_url == "https://atom.example.org/"
    tee = feed.entries[0]
    assert tee.title == "The tee command"
    assert tee.link == "https://atom.example.org/blog/2024/tee.html"
    assert tee.author == "Jo Park"
    assert tee.published == dt.datetime(2024, 1, 30, 13, 0, tzinfo=UTC)
    assert tee.updated == dt.datetime(2024, 2, 1, 12, 0, tzinfo=UTC)
    assert 'href="https://atom.example.org/blog/2024/pipes.html"' in tee.html
    assert 'src="https://atom.example.org/blog/2024/img/tee.png"' in tee.html
    assert tee.text == "Use tee to split a pipe."
    assert feed.entries[1].author == "Guest Writer"


def test_json_feed_10() -> None:
    feed = parse("jsonfeed10.json", url="https://micro.example.com/feed.json")
    assert feed.title == "Micro Notes"
    assert feed.site_url == "https://micro.example.com/"
    second, first = feed.entries
    assert second.key == "g:2"
    assert second.title == "Second post"
    assert second.author == "Sam Lee"
    assert second.published == dt.datetime(2024, 4, 2, 17, 0, tzinfo=UTC)
    assert second.updated == dt.datetime(2024, 4, 3, 10, 0, tzinfo=UTC)
    # content_html wins over content_text, and is sanitized and resolved like any HTML.
    assert (
        second.html
        == '<p>Hello <a href="https://micro.example.com/1" rel="noopener noreferrer">again</a> </p>'
    )
    assert first.guid == "1"  # a numeric id is still an id
    assert first.title == ""
    assert first.author == "Guest"
    assert first.text == "A post without a title.\n\nTwo paragraphs, <b>not</b> markup."
    assert not first.summary_only


def test_json_feed_11() -> None:
    feed = parse("jsonfeed11.json")
    release, review = feed.entries
    assert release.author == "Ada, Grace"
    assert release.text == "Changes\n\nFaster\n\nSmaller"
    assert not release.summary_only
    assert review.author == "The Release Team"
    assert review.link == "https://elsewhere.example.net/review-1.9"
    assert review.summary_only
    assert review.published is None  # "not a date"


def test_json_feed_detected_by_its_first_byte_whatever_the_content_type() -> None:
    body = b"\xef\xbb\xbf \n" + load("jsonfeed11.json")
    feed = parse_feed(body, url="https://example.org/f", content_type="text/plain")
    assert feed.title == "Release Notes"


def test_podcast_show_notes_beat_the_itunes_summary() -> None:
    feed = parse("podcast.xml")
    (episode,) = feed.entries
    assert episode.title == "Episode 12: Rivers"
    assert episode.author == "Priya Natarajan"
    assert episode.text == "We follow a river from source to sea.\n\nGuest: Tom"
    assert episode.key == "g:slowhour-ep-12"
    assert episode.link is None  # a non-permalink guid is not a link


def test_relative_links_resolve_against_the_fetch_url() -> None:
    feed = parse("relative_links.xml", url="https://static.example.com/blog/feed.xml")
    assert feed.site_url == "https://static.example.com/"
    (entry,) = feed.entries
    assert entry.link == "https://static.example.com/posts/relative/"
    assert 'href="https://static.example.com/about/"' in entry.html
    assert 'href="https://static.example.com/blog/feed.xml#notes"' in entry.html
    assert 'href="https://cdn.example.net/x"' in entry.html
    assert 'href="mailto:editor@example.net"' in entry.html
    assert 'src="https://static.example.com/blog/pics/a.png"' in entry.html


def test_a_relative_guid_is_kept_as_written() -> None:
    body = rss("<item><title>t</title><guid>post-17</guid></item>")
    one = parse_feed(body, url="https://a.example/feed", content_type=None)
    other = parse_feed(body, url="https://b.example/moved/feed", content_type=None)
    assert one.entries[0].guid == other.entries[0].guid == "post-17"
    assert one.entries[0].key == other.entries[0].key == "g:post-17"


def test_dates_are_utc_and_absurd_years_are_dropped() -> None:
    body = rss(
        "<item><title>tz</title><pubDate>Mon, 06 May 2024 23:30:00 -0500</pubDate></item>"
        "<item><title>far</title><pubDate>Mon, 06 May 9999 23:30:00 GMT</pubDate></item>"
        "<item><title>old</title><pubDate>Sat, 01 Jan 1000 00:00:00 GMT</pubDate></item>"
        "<item><title>junk</title><pubDate>yesterday-ish</pubDate></item>"
    )
    entries = by_title(parse_feed(body, url="https://e.example/f", content_type=None))
    assert entries["tz"].published == dt.datetime(2024, 5, 7, 4, 30, tzinfo=UTC)
    assert entries["far"].published is None
    assert entries["old"].published is None
    assert entries["junk"].published is None


def test_text_plain_content_is_escaped_f14() -> None:
    feed = parse("atom10_xhtml_base.xml")
    text_entry = feed.entries[1]
    assert "<script" not in text_entry.html
    assert "&lt;script&gt;" in text_entry.html
    assert text_entry.text == 'First line <script>alert("x")</script>\n\nSecond paragraph.'


def test_hashes_follow_the_content() -> None:
    base = "<item><title>T</title><guid>g</guid><description>{}</description></item>"
    one = parse_feed(rss(base.format("same")), url="https://e.example/f", content_type=None)
    again = parse_feed(rss(base.format("same")), url="https://e.example/f", content_type=None)
    changed = parse_feed(rss(base.format("changed")), url="https://e.example/f", content_type=None)
    assert one.entries[0].entry_sha256 == again.entries[0].entry_sha256
    assert one.entries[0].text_sha256 == again.entries[0].text_sha256
    assert one.entries[0].entry_sha256 != changed.entries[0].entry_sha256
    assert one.entries[0].text_sha256 != changed.entries[0].text_sha256
    assert one.entries[0].key == changed.entries[0].key
    import hashlib

    assert one.entries[0].text_sha256 == hashlib.sha256(b"same").hexdigest()


def test_an_empty_feed_is_a_feed() -> None:
    feed = parse_feed(rss(""), url="https://e.example/f", content_type="application/rss+xml")
    assert feed.title == "Generated"
    assert feed.entries == ()
    assert feed.warning is None


def test_results_survive_pickling() -> None:
    feed = parse("rss20_content_encoded.xml")
    assert pickle.loads(pickle.dumps(feed)) == feed


def test_entries_beyond_the_cap_are_ignored_with_a_warning() -> None:
    items = "".join(
        f"<item><title>n{i}</title><guid>{i}</guid></item>" for i in range(MAX_ENTRIES + 3)
    )
    feed = parse_feed(rss(items), url="https://e.example/f", content_type=None)
    assert len(feed.entries) == MAX_ENTRIES
    assert feed.entries[-1].title == f"n{MAX_ENTRIES - 1}"
    assert (
        feed.warning
        == f"The feed has {MAX_ENTRIES + 3:,} items; only the first {MAX_ENTRIES:,} were read."
    )


# ---- not a feed ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", None, "This is not a feed: the document is empty."),
        (b" \n\t ", "application/rss+xml", "This is not a feed: the document is empty."),
        (
            load("captive_portal.html"),
            "text/html",
            "This is not a feed: it looks like an HTML page.",
        ),
        (load("captive_portal.html"), None, "This is not a feed: it looks like an HTML page."),
        (
            b"<html><body>Sign in</body></html>",
            "application/rss+xml",
            "This is not a feed: it looks like an HTML page.",
        ),
        (
            b"\x89PNG\r\n\x1a\n\x00\x00garbage",
            None,
            "This is not a feed: it is neither XML nor JSON.",
        ),
        (
            load("not_a_feed.xml"),
            "application/xml",
            "This is not a feed: it is an XML document of another kind (<urlset>).",
        ),
        (
            b'{"title": "x", "items": []}',
            None,
            "This is not a feed: it is JSON, but not a JSON Feed.",
        ),
        (b"[1, 2, 3]", "application/json", "This is not a feed: it is JSON, but not a JSON Feed."),
    ],
)
def test_documents_that_are_not_feeds_say_why(
    body: bytes, content_type: str | None, message: str
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_feed(body, url="https://e.example/f", content_type=content_type)
    assert str(caught.value) == message


def test_broken_json_says_it_could_not_be_read() -> None:
    with pytest.raises(ParseError, match=r"^This is not a feed: the JSON could not be read \("):
        parse_feed(
            b'{"version": "https://jsonfeed.org/version/1", ',
            url="https://e.example/f",
            content_type=None,
        )


def test_absurdly_nested_json_is_an_error_not_a_crash() -> None:
    with pytest.raises(ParseError, match="nested too deeply"):
        parse_feed(b'{"a": ' * 100_000, url="https://e.example/f", content_type=None)


def test_broken_xml_with_no_items_is_an_error() -> None:
    with pytest.raises(ParseError, match="not well-formed XML and no item could be read"):
        parse_feed(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>x</ti',
            url="https://e.example/f",
            content_type=None,
        )


def test_a_body_that_is_a_local_path_is_never_opened(tmp_path: Path) -> None:
    # feedparser.parse(bytes) tries open(bytes) first: a body naming a file would be read from disk.
    local_feed = tmp_path / "local.xml"
    local_feed.write_bytes(load("rss20_content_encoded.xml"))
    body = str(local_feed).encode()
    parse("rss091.xml")  # warm up lazy imports so the audit log shows only the parse itself
    with recorded_side_effects() as events, pytest.raises(ParseError, match="neither XML nor JSON"):
        parse_feed(body, url="https://e.example/f", content_type="application/rss+xml")
    assert [e for e in events if e[0] == "open"] == []


# ---- the hostile-input catalogue (reliability.md §6 F) ------------------------------------------


@pytest.mark.timeout(10)
def test_f1_billion_laughs_is_not_expanded() -> None:
    feed = parse("billion_laughs.xml")
    assert feed.title is not None and len(feed.title) < 100
    (entry,) = feed.entries
    assert entry.title == "Item &lol9;"
    assert "lollol" not in entry.text
    assert feed.warning == "The feed is not well-formed XML; 1 item was read anyway."


def test_f2_external_entities_and_dtds_are_never_fetched_or_read() -> None:
    body = load("xxe.xml")
    body_091 = load("rss091.xml")  # its DOCTYPE names a DTD on the web
    for warm_up in (body, body_091):  # lazy imports (codecs, feedparser parts) open files once
        parse_feed(warm_up, url="https://xxe.example.com/feed", content_type="application/xml")
    with recorded_side_effects() as events:
        feed = parse_feed(body, url="https://xxe.example.com/feed", content_type="application/xml")
        parse_feed(body_091, url="https://e.example/f", content_type="application/xml")
    assert events == []
    everything = json.dumps([feed.title, [(e.title, e.html, e.text) for e in feed.entries]])
    assert "root:" not in everything
    assert feed.entries[0].title == "Leak &xxe;"


def test_f4_a_large_valid_feed_parses_completely() -> None:
    paragraph = "<p>" + "Words of a long article, repeated to make it heavy. " * 40 + "</p>"
    items = "".join(
        f"<item><title>Post {i}</title><link>https://big.example/{i}</link><guid>{i}</guid>"
        f"<content:encoded><![CDATA[{paragraph}]]></content:encoded></item>"
        for i in range(2_000)
    )
    body = rss(items)
    assert len(body) > 4_000_000
    feed = parse_feed(body, url="https://big.example/feed", content_type="application/rss+xml")
    assert len(feed.entries) == 2_000
    assert feed.warning is None
    assert len({e.key for e in feed.entries}) == 2_000


@pytest.mark.timeout(60)
def test_f6_nested_divs_in_a_description_cost_one_bounded_parse() -> None:
    html = "<div>" * 100_000 + "deep" + "</div>" * 100_000
    body = rss(
        f"<item><title>deep</title><guid>d</guid><description><![CDATA[{html}]]></description></item>"
    )
    feed = parse_feed(body, url="https://e.example/f", content_type=None)
    assert feed.entries[0].html == "<p>deep</p>"


def _redos_feed(author_chars: int) -> bytes:
    author = "a@a." + "a." * (author_chars // 2) + "!"
    return rss(
        f"<item><title>slow author</title><guid>r</guid><author>{author}</author>"
        "<description>x</description></item>"
    )


@pytest.mark.timeout(20)
def test_f7_a_redos_author_is_bounded_before_feedparser_regex() -> None:
    # Unbounded, feedparser's e-mail regex takes minutes on this (quadratic; 32 KB ≈ 2.4 s).
    feed = parse_feed(_redos_feed(200_000), url="https://e.example/f", content_type=None)
    author = feed.entries[0].author
    assert author is not None and len(author) == MAX_AUTHOR_CHARS
    assert author.startswith("a@a.a.a.")


def test_f7_redos_feed_in_the_pool_does_not_hold_up_other_feeds() -> None:
    with ParsePool(workers=2, timeout=15) as pool:
        slow = pool.submit(_redos_feed(200_000), "https://e.example/slow", None)
        fine = pool.submit(load("rss091.xml"), "https://e.example/fine", "application/xml")
        assert fine.result(timeout=60).title == "Scripting News"
        author = slow.result(timeout=60).entries[0].author
        assert author is not None and len(author) <= MAX_AUTHOR_CHARS


def test_f8_control_characters_are_stripped_everywhere() -> None:
    feed = parse("control_chars.xml")
    assert feed.title == "Control chars"
    (entry,) = feed.entries
    assert entry.title == "Null in title"
    assert entry.guid == "ctrl-1"
    assert entry.link == "https://ctrl.example.com/1"
    assert entry.author is not None and entry.author.startswith("Editor")
    control = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
    for value in (feed.title, entry.title, entry.author, entry.html, entry.text, entry.key):
        assert control.search(value) is None, value
    assert entry.text.startswith("Body text with")
    assert "invalid byte" in entry.text
    entry.text.encode("utf-8")  # valid UTF-8, no lone surrogates


def test_f9_wrong_declared_charset_is_read_anyway_with_a_warning() -> None:
    feed = parse("windows1252_wrong_charset.xml", content_type="application/rss+xml")
    assert feed.title == "“Café” Notes"
    (entry,) = feed.entries
    assert entry.title == "Prices in € – a “quick” note"
    assert entry.text == "Café crème costs 3 €."
    assert (
        feed.warning
        == "The feed's declared character encoding is wrong; it was read as windows-1252."
    )


def test_f9_text_xml_without_charset_is_not_a_warning() -> None:
    # RFC 3023 makes that "us-ascii"; feedparser reports an override on every such UTF-8 feed.
    body = rss("<item><title>Café</title><guid>c</guid></item>")
    feed = parse_feed(body, url="https://e.example/f", content_type="text/xml")
    assert feed.entries[0].title == "Café"
    assert feed.warning is None


def test_f9_a_feed_served_as_html_is_read_with_a_warning() -> None:
    feed = parse("rss091.xml", content_type="text/html")
    assert feed.title == "Scripting News"
    assert feed.warning == "The server labels the feed as text/html, not XML."


def test_f10_non_web_entry_links_are_not_openable() -> None:
    feed = parse("bad_links.xml")
    assert feed.site_url is None
    entries = by_title(feed)
    for title in ("js", "data", "file", "guid is js"):
        assert entries[title].link is None
    assert entries["guid is js"].guid == "javascript:alert(2)"  # an identifier, never a link
    assert entries["fine"].link == "https://links.example.com/fine"
    assert len({e.key for e in feed.entries}) == len(feed.entries)


def test_f11_non_web_xml_base_is_ignored() -> None:
    feed = parse("hostile_base.xml", url="https://safe.example.com/feeds/atom.xml")
    entries = by_title(feed)
    file_base = entries["File base"]
    assert 'href="https://safe.example.com/feeds/passwd"' in file_base.html
    assert 'src="https://safe.example.com/feeds/shadow.png"' in file_base.html
    assert file_base.link is None  # feedparser already joined it to file:///etc/passwd
    script_base = entries["Script base"]
    assert 'href="https://safe.example.com/feeds/y"' in script_base.html
    assert script_base.link is None
    web_base = entries["Web base"]
    assert 'href="https://mirror.example.net/base/z"' in web_base.html
    assert web_base.link == "https://mirror.example.net/base/z"
    for entry in feed.entries:
        assert "file:" not in entry.html
        assert_safe_html(entry.html)


def test_f12_f13_r1_r6_hostile_html_is_neutralized() -> None:
    feed = parse("xss.xml", url="https://xss.example.com/feed")
    assert feed.site_url is None  # javascript: channel link
    images, active = feed.entries
    for entry in feed.entries:
        assert_safe_html(entry.html)
    assert '<img src="https://xss.example.com/ok.png" alt="ok">' in images.html
    assert "a link" in active.text
    assert "The end." in active.text
    assert (
        '<a href="https://xss.example.com/ok" rel="noopener noreferrer">a link</a>' in active.html
    )
    for word in ("alert", "display:none", "Log in", "password"):
        assert word not in active.text


def test_f15_keys_are_stable_and_distinct_with_reused_guids() -> None:
    feed = parse("duplicate_guids.xml")
    keys = {e.title: e.key for e in feed.entries}
    assert keys["One"] == "gl:https://dupes.example.com/|https://dupes.example.com/one"
    assert keys["Two"] == "gl:https://dupes.example.com/|https://dupes.example.com/two"
    assert keys["Three"] == "g:https://dupes.example.com/three-guid"
    assert keys["Four"].startswith("h:")  # same guid and link as Two: only its content differs
    assert len(set(keys.values())) == 4
    assert [e.key for e in parse("duplicate_guids.xml").entries] == [e.key for e in feed.entries]


def test_f15_keys_without_guids() -> None:
    feed = parse("no_guids.xml")
    keys = {e.title: e.key for e in feed.entries}
    assert keys["Linked A"] == "l:https://noguid.example.com/a"
    assert keys["Linked B"] == "l:https://noguid.example.com/b"
    for title in ("Unlinked", "Shares a link", "Also shares it"):
        assert re.fullmatch(r"h:[0-9a-f]{64}", keys[title])
    assert len(set(keys.values())) == 5


def test_f15_key_kinds_never_collide() -> None:
    items = (
        "<item><title>a</title><guid isPermaLink='false'>https://k.example/x</guid></item>"
        "<item><title>b</title><link>https://k.example/x</link></item>"
    )
    feed = parse_feed(rss(items), url="https://k.example/f", content_type=None)
    assert [e.key for e in feed.entries] == ["g:https://k.example/x", "l:https://k.example/x"]


def test_f15_identical_repeated_entries_are_kept_once() -> None:
    item = "<item><title>same</title><guid>g</guid><link>https://k.example/s</link></item>"
    feed = parse_feed(rss(item * 3), url="https://k.example/f", content_type=None)
    assert len(feed.entries) == 1


def test_f15_very_long_guids_are_keyed_by_their_hash() -> None:
    guid = "g" * 5_000
    feed = parse_feed(
        rss(f"<item><title>t</title><guid>{guid}</guid></item>"),
        url="https://k.example/f",
        content_type=None,
    )
    assert re.fullmatch(r"g#:[0-9a-f]{64}", feed.entries[0].key)
    assert feed.entries[0].guid == guid


def test_f17_malformed_xml_with_usable_items_is_read_with_a_warning() -> None:
    feed = parse("malformed_usable.xml")
    assert feed.title == "Tom & Jerry's Blog"
    assert [e.title for e in feed.entries] == ["Cats & mice", "Second"]
    assert feed.entries[1].text == "Still readable"
    assert feed.warning == "The feed is not well-formed XML; 2 items were read anyway."


@pytest.mark.parametrize(
    "name", sorted(p.name for p in FEEDS.iterdir() if p.suffix in (".xml", ".json"))
)
def test_every_fixture_stores_only_safe_html(name: str) -> None:
    try:
        feed = parse(name)
    except ParseError:
        return
    for entry in feed.entries:
        assert_safe_html(entry.html)
        assert entry.link is None or entry.link.startswith(("http://", "https://"))
        assert entry.published is None or entry.published.tzinfo is UTC
        assert entry.updated is None or entry.updated.tzinfo is UTC
    assert feed.site_url is None or feed.site_url.startswith(("http://", "https://"))


# ---- ParsePool ----------------------------------------------------------------------------------
# Jobs for the pool must be importable by name in a fresh (spawned) interpreter: module level.


def sleep_forever_job(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    if body == b"sleep":
        time.sleep(3_600)
    return parse_feed(body, url=url, content_type=content_type)


def allocate_too_much_job(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    if body == b"allocate":
        hoard = bytearray(4 * 1024**3)
        del hoard
    return parse_feed(body, url=url, content_type=content_type)


def crash_job(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    if body == b"crash":
        os._exit(9)
    return parse_feed(body, url=url, content_type=content_type)


def pid_job(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    return ParsedFeed(
        title=str(os.getpid()), site_url=None, ttl_minutes=None, entries=(), warning=None
    )


def bug_job(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    raise ValueError("a bug in the worker")


def test_pool_results_equal_in_process_results() -> None:
    names = [
        "rss091.xml",
        "rss10_rdf.xml",
        "atom10_xhtml_base.xml",
        "jsonfeed11.json",
        "podcast.xml",
    ]
    with ParsePool(workers=2) as pool:
        futures = {
            name: pool.submit(load(name), f"https://example.org/feeds/{name}", "application/xml")
            for name in names
        }
        for name, future in futures.items():
            expected = parse_feed(
                load(name), url=f"https://example.org/feeds/{name}", content_type="application/xml"
            )
            assert future.result(timeout=60) == expected


def test_pool_parse_errors_reach_the_caller() -> None:
    with ParsePool(workers=1) as pool:
        future = pool.submit(load("captive_portal.html"), "https://e.example/f", "text/html")
        with pytest.raises(ParseError, match="it looks like an HTML page"):
            future.result(timeout=60)


def test_pool_runs_many_jobs_in_parallel_on_every_worker() -> None:
    with ParsePool(workers=2) as pool:
        futures = [
            pool.submit(load("rss20_content_encoded.xml"), "https://e.example/f", None)
            for _ in range(40)
        ]
        results = [f.result(timeout=120) for f in futures]
        assert all(len(r.entries) == 2 for r in results)
        assert len(pool.worker_pids) == 2


def test_pool_starts_no_process_before_the_first_job() -> None:
    with ParsePool(workers=2) as pool:
        assert pool.worker_pids == ()
        pool.submit(load("rss091.xml"), "https://e.example/f", None).result(timeout=60)
        assert 1 <= len(pool.worker_pids) <= 2


def test_pool_kills_a_job_past_its_deadline_and_replaces_the_worker() -> None:
    with ParsePool(workers=1, timeout=1.0, job=sleep_forever_job) as pool:
        first = pool.submit(load("rss091.xml"), "https://e.example/f", None)
        assert first.result(timeout=60).title == "Scripting News"
        (old_pid,) = pool.worker_pids
        stuck = pool.submit(b"sleep", "https://e.example/stuck", None)
        after = pool.submit(load("rss091.xml"), "https://e.example/f", None)
        with pytest.raises(ParseError) as caught:
            stuck.result(timeout=60)
        assert str(caught.value) == "Reading the feed took longer than 1 s; the feed was skipped."
        assert after.result(timeout=60).title == "Scripting News"
        (new_pid,) = pool.worker_pids
        assert new_pid != old_pid
        with pytest.raises(ProcessLookupError):
            os.kill(old_pid, 0)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS is enforced on Linux")
def test_pool_memory_limit_fails_only_the_greedy_job() -> None:
    with ParsePool(workers=2, memory_limit_mb=512, job=allocate_too_much_job) as pool:
        greedy = pool.submit(b"allocate", "https://e.example/greedy", None)
        others = [pool.submit(load("rss091.xml"), "https://e.example/f", None) for _ in range(4)]
        with pytest.raises(ParseError) as caught:
            greedy.result(timeout=60)
        assert str(caught.value).startswith("The feed needed more than 512 MB to parse")
        assert all(f.result(timeout=60).title == "Scripting News" for f in others)
        assert (
            pool.submit(load("rss091.xml"), "https://e.example/f", None).result(timeout=60).entries
        )


def test_pool_worker_crash_fails_only_its_job() -> None:
    with ParsePool(workers=1, job=crash_job) as pool:
        crashed = pool.submit(b"crash", "https://e.example/crash", None)
        after = pool.submit(load("rss091.xml"), "https://e.example/f", None)
        with pytest.raises(ParseError, match="crashed the parser"):
            crashed.result(timeout=60)
        assert after.result(timeout=60).title == "Scripting News"


def test_pool_reports_a_bug_in_a_job_as_a_parse_error() -> None:
    with (
        ParsePool(workers=1, job=bug_job) as pool,
        pytest.raises(ParseError, match=r"ValueError: a bug in the worker"),
    ):
        pool.submit(b"x", "https://e.example/f", None).result(timeout=60)


def test_pool_reuses_its_workers() -> None:
    with ParsePool(workers=1, job=pid_job) as pool:
        pids = {
            pool.submit(b"x", "https://e.example/f", None).result(timeout=60).title
            for _ in range(5)
        }
    assert len(pids) == 1


def test_pool_close_cancels_queued_jobs_when_asked() -> None:
    pool = ParsePool(workers=1, timeout=2, job=sleep_forever_job)
    running = pool.submit(b"sleep", "https://e.example/stuck", None)
    queued = [pool.submit(load("rss091.xml"), "https://e.example/f", None) for _ in range(3)]
    deadline = time.monotonic() + 60
    while not running.running() and time.monotonic() < deadline:
        time.sleep(0.05)
    closer = concurrent.futures.ThreadPoolExecutor(1).submit(pool.close, cancel_pending=True)
    assert all(f.cancelled() for f in concurrent.futures.wait(queued, timeout=60).done)
    assert all(f.cancelled() for f in queued)
    closer.result(timeout=90)
    with pytest.raises(ParseError, match="longer than 2 s"):
        running.result(timeout=0)
    with pytest.raises(RuntimeError):
        pool.submit(b"", "https://e.example/f", None)


def test_pool_close_without_jobs_is_instant_and_idempotent() -> None:
    pool = ParsePool()
    pool.close()
    pool.close()


def test_parse_pool_never_loses_a_wake_up_when_a_submit_races_its_drain() -> None:
    """A refresh once stopped for good: jobs queued, workers idle, the manager asleep. The cause
    was a submit landing while the manager drained its wake pipe; this test makes that
    interleaving happen every time (white-box: it steps into the pool's wake pipe)."""
    pool = ParsePool(workers=1)
    try:
        pool._wake()  # an earlier submit: a byte in the pipe, the flag set
        reader = pool._wake_reader
        real_poll = reader.poll
        raced = False

        def poll(*args: object) -> bool:
            nonlocal raced
            if not raced:
                raced = True
                pool._wake()  # a submit arrives in the middle of the drain
            return real_poll(*args)  # type: ignore[arg-type]

        reader.poll = poll  # type: ignore[method-assign]
        pool._drain_wake()
        reader.poll = real_poll  # type: ignore[method-assign]
        # Either the next wake will write a byte, or a byte is still waiting.
        assert not pool._wake_sent or reader.poll()
    finally:
        pool.close()
