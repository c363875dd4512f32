"""content.py: what a reader sees (sanitized HTML), what highlights anchor in (canonical text)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core import content
from reader.core.content import (
    CANON_VERSION,
    canonical_text,
    html_from_text,
    plain_text,
    safe_url,
    sanitize_html,
    strip_control_chars,
    text_sha256,
)

BASE = "https://news.example.org/feeds/main.xml"

_ALLOWED_ATTRIBUTES = {"href", "src", "alt", "title", "width", "height", "colspan", "rowspan"}
_ALLOWED_ATTRIBUTES |= {"rel", "dir", "lang", "start", "datetime"}


class _TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def assert_safe_html(html: str) -> None:
    """What the reading view may receive: no active content, only http(s)/mailto URLs."""
    lowered = html.lower()
    for needle in ("<script", "javascript:", "data:", "vbscript:", "file:", "<iframe", "<!--"):
        assert needle not in lowered, (needle, html)
    assert re.search(r"<[^>]*\son\w+\s*=", lowered) is None, html
    collector = _TagCollector()
    collector.feed(html)
    collector.close()
    assert collector.comments == []
    for tag, attrs in collector.tags:
        assert tag in content._ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert name in _ALLOWED_ATTRIBUTES, (tag, name)
            if name == "href":
                assert value is not None
                assert value.startswith(("http://", "https://", "mailto:")), value
            if name == "src":
                assert value is not None
                assert value.startswith(("http://", "https://")), value
        if tag == "a" and "href" in attrs:
            assert attrs.get("rel") == "noopener noreferrer"


# ---- strip_control_chars (F8) -------------------------------------------------------------------


def test_control_characters_are_removed_but_ordinary_whitespace_stays() -> None:
    raw = "a\x00b\x01c\x08d\x0be\x0cf\x1fg\x7fh\x85i\x9fj\tk\nl\rm"
    assert strip_control_chars(raw) == "abcdefghij\tk\nl\rm"


def test_lone_surrogates_and_xml_noncharacters_are_removed() -> None:
    assert strip_control_chars("a\ud800b\udfffc\ufffed\uffffe") == "abcde"


def test_text_without_controls_is_returned_unchanged() -> None:
    text = "Plain – text with “quotes”, emoji 😀 and tabs\t."
    assert strip_control_chars(text) is text


# ---- safe_url (F10, F11) ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("https://example.com/a", None, "https://example.com/a"),
        ("http://example.com/a?b=c#d", None, "http://example.com/a?b=c#d"),
        ("  https://example.com/padded  ", None, "https://example.com/padded"),
        ("/posts/1", BASE, "https://news.example.org/posts/1"),
        ("posts/1", BASE, "https://news.example.org/feeds/posts/1"),
        ("//cdn.example.net/x.png", BASE, "https://cdn.example.net/x.png"),
        ("#top", BASE, "https://news.example.org/feeds/main.xml#top"),
        ("/posts/1", None, None),
        ("passwd", "file:///etc/", None),
        ("passwd", "javascript:alert(1)//", None),
        ("javascript:alert(1)", None, None),
        ("javascript:alert(1)", BASE, None),
        ("JavaScript:alert(1)", BASE, None),
        ("java\tscript:alert(1)", BASE, None),
        ("\x00javascript:alert(1)", BASE, None),
        ("data:text/html,<script>alert(1)</script>", BASE, None),
        ("file:///etc/passwd", BASE, None),
        ("ftp://example.com/file", BASE, None),
        ("mailto:someone@example.com", BASE, None),
        ("https://", None, None),
        ("https:///path-without-host", None, None),
        ("http://[::1", None, None),
        ("", BASE, None),
        (None, BASE, None),
    ],
)
def test_safe_url_returns_only_absolute_web_urls(
    url: str | None, base: str | None, expected: str | None
) -> None:
    assert safe_url(url, base) == expected


def test_safe_url_strips_control_characters_inside_the_url() -> None:
    assert safe_url("https://example.com/a\x00b") == "https://example.com/ab"


def test_safe_url_rejects_absurdly_long_urls() -> None:
    assert safe_url("https://example.com/" + "a" * 20_000) is None


# ---- sanitize_html (F6, F12, F13, R1–R6) --------------------------------------------------------


def test_reading_markup_is_kept() -> None:
    html = (
        "<h2>Title</h2><p>Some <em>em</em>, <strong>strong</strong>, <code>code</code>.</p>"
        "<blockquote><p>Quoted</p></blockquote><ul><li>one</li></ul>"
        '<table><tr><th colspan="2">h</th></tr><tr><td rowspan="3">c</td></tr></table>'
        '<figure><img src="https://example.com/i.png" alt="An image" width="640" height="480">'
        "<figcaption>Caption</figcaption></figure><pre>pre  formatted</pre>"
    )
    out = sanitize_html(html, BASE)
    for fragment in (
        "<h2>Title</h2>",
        "<em>em</em>",
        "<strong>strong</strong>",
        "<code>code</code>",
        "<blockquote><p>Quoted</p></blockquote>",
        "<li>one</li>",
        '<th colspan="2">h</th>',
        '<td rowspan="3">c</td>',
        '<img src="https://example.com/i.png" alt="An image" width="640" height="480">',
        "<figcaption>Caption</figcaption>",
        "<pre>pre  formatted</pre>",
    ):
        assert fragment in out
    assert_safe_html(out)


def test_links_get_noopener_noreferrer_and_relative_urls_resolve_against_the_base() -> None:
    out = sanitize_html('<a href="../about">About</a> <img src="pic.png" alt="p">', BASE)
    assert '<a href="https://news.example.org/about" rel="noopener noreferrer">About</a>' in out
    assert '<img src="https://news.example.org/feeds/pic.png" alt="p">' in out


def test_mailto_links_are_kept() -> None:
    out = sanitize_html('<a href="mailto:ed@example.com">mail</a>', BASE)
    assert 'href="mailto:ed@example.com"' in out


def test_relative_urls_are_dropped_without_a_web_base() -> None:
    for base in (None, "file:///etc/", "javascript:alert(1)//"):
        out = sanitize_html('<a href="passwd">p</a><img src="shadow.png">', base)
        assert "href" not in out
        assert "src" not in out
        assert ">p</a>" in out


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        '<img src="javascript:alert(1)">',
        '<img src="data:image/png;base64,iVBORw0KGgo=">',
        '<img src="file:///home/user/.ssh/id_rsa">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href="JAVASCRIPT:alert(1)">x</a>',
        '<a href="java&#x09;script:alert(1)">x</a>',
        '<a href="&#106;avascript:alert(1)">x</a>',
        '<a href="data:text/html,&lt;script&gt;">x</a>',
        '<a href="vbscript:msgbox(1)">x</a>',
        '<iframe src="https://evil.example/"></iframe>',
        '<object data="https://evil.example/x"></object>',
        '<embed src="https://evil.example/x">',
        '<meta http-equiv="refresh" content="0;url=https://evil.example/">',
        '<base href="https://evil.example/">',
        "<style>body{display:none}</style>",
        '<p style="background:url(javascript:alert(1))">x</p>',
        '<form action="https://evil.example/"><input type="password"></form>',
        '<a href="https://ok.example/" ping="https://tracker.example/">x</a>',
        '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "a<!--> <img src=x onerror=alert(1)> -->b",
        "c<!---> <script>alert(1)</script> -->d",
        "e<!-- x --!> <img src=y onerror=alert(1)> -->f",
        '<div><noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript></div>',
        '<body onload="alert(1)">x</body>',
        '<details open ontoggle="alert(1)">x</details>',
        '<a href="https://ok.example/" target="_blank" onclick="alert(1)">x</a>',
    ],
)
def test_active_content_never_survives(hostile: str) -> None:
    assert_safe_html(sanitize_html(hostile, BASE))


def test_comments_are_stripped_f13() -> None:
    out = sanitize_html("<p>a<!-- secret comment -->b</p>", BASE)
    assert out == "<p>ab</p>"


def test_content_of_scripts_and_embeds_is_dropped_not_shown() -> None:
    out = sanitize_html(
        "<p>before</p><script>alert('x')</script><noscript><img src=a></noscript>"
        "<iframe>fallback</iframe><style>p{}</style><p>after</p>",
        BASE,
    )
    assert out == "<p>before</p><p>after</p>"


def test_numeric_attributes_out_of_range_are_dropped() -> None:
    out = sanitize_html(
        '<img src="https://e.example/i.png" width="99999999" height="abc">'
        '<table><tr><td colspan="1000000000" rowspan="2">x</td></tr></table>',
        BASE,
    )
    assert "width" not in out
    assert "height" not in out
    assert "colspan" not in out
    assert 'rowspan="2"' in out


def test_class_id_and_style_attributes_are_dropped() -> None:
    out = sanitize_html('<p class="x" id="y" style="color:red" dir="rtl">t</p>', BASE)
    assert out == '<p dir="rtl">t</p>'


def test_empty_and_whitespace_html_gives_empty_string() -> None:
    assert sanitize_html("", BASE) == ""
    assert sanitize_html("  \n\t ", BASE) == ""


def test_control_characters_in_html_are_removed() -> None:
    assert sanitize_html("<p>a\x00b\x1bc</p>", BASE) == "<p>abc</p>"


@pytest.mark.timeout(30)
def test_100k_nested_divs_are_flattened_to_their_text_f6() -> None:
    # nh3 alone needs ~20 s for this (quadratic); the pre-check makes it linear.
    html = "<div>" * 100_000 + "deep <b>text</b>" + "</div>" * 100_000
    out = sanitize_html(html, BASE)
    assert out == "<p>deep text</p>"


@pytest.mark.timeout(30)
def test_deep_stack_with_many_blocks_is_flattened_f6() -> None:
    # A deep stack of inline elements followed by many block starts is the other quadratic shape.
    html = "<span>" * 40_000 + "<p>x</p>" * 40_000
    out = sanitize_html(html, BASE)
    assert "<span>" not in out
    assert out.count("x") == 40_000
    assert_safe_html(out)


@pytest.mark.timeout(30)
def test_self_closing_divs_count_as_nesting_f6() -> None:
    # HTML ignores the slash: 30k "<div/>" are 30k nested divs (quadratic in nh3).
    out = sanitize_html("<div/>" * 30_000 + "x", BASE)
    assert out == "<p>x</p>"


def test_self_closing_svg_elements_do_not_count_as_nesting() -> None:
    chart = "<svg>" + '<circle r="1"/>' * 2_000 + "</svg>"
    assert sanitize_html(f"<p><b>before</b></p>{chart}<p>after</p>", BASE) == (
        "<p><b>before</b></p><p>after</p>"
    )


def test_moderate_nesting_keeps_its_markup() -> None:
    html = "<blockquote>" * 100 + "<em>quoted</em>" + "</blockquote>" * 100
    out = sanitize_html(html, BASE)
    assert out.count("<blockquote>") == 100
    assert "<em>quoted</em>" in out


def test_nesting_over_the_limit_is_flattened_with_paragraphs_kept() -> None:
    depth = content.MAX_NESTING_DEPTH + 1
    html = "<div>" * depth + "<p>one</p><p>two &amp; three</p>" + "</div>" * depth
    assert sanitize_html(html, BASE) == "<p>one</p><p>two &amp; three</p>"


def test_unclosed_paragraphs_do_not_count_as_nesting() -> None:
    html = "<p>para" * 2_000
    out = sanitize_html(html, BASE)
    assert out.count("<p>") == 2_000


def test_huge_fragment_is_flattened_to_text() -> None:
    html = "<p><b>word</b> " + "x" * (content.MAX_HTML_CHARS + 10) + "</p>"
    out = sanitize_html(html, BASE)
    assert out.startswith("<p>word xxx")
    assert "<b>" not in out


# ---- html_from_text (F14) -----------------------------------------------------------------------


def test_text_with_markup_is_escaped_not_interpreted() -> None:
    out = html_from_text('Look: <script>alert("x")</script> & <b>bold</b>')
    assert (
        out == '<p>Look: &lt;script&gt;alert("x")&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;</p>'
    )
    assert canonical_text(out) == 'Look: <script>alert("x")</script> & <b>bold</b>'


def test_blank_lines_make_paragraphs_and_single_newlines_make_line_breaks() -> None:
    out = html_from_text("First para\nsame para\r\n\r\n  \n\nSecond para\n")
    assert out == "<p>First para<br>same para</p><p>Second para</p>"
    assert canonical_text(out) == "First para\nsame para\n\nSecond para"


def test_empty_text_gives_empty_html() -> None:
    assert html_from_text("") == ""
    assert html_from_text("\n \n") == ""


# ---- canonical_text (reliability.md §5.2) -------------------------------------------------------


def test_canon_version_is_one() -> None:
    assert CANON_VERSION == 1


def test_blocks_are_separated_by_a_blank_line_and_br_by_a_newline() -> None:
    html = "<h1>Title</h1><p>First<br>line two</p><ul><li>a</li><li>b</li></ul><p>End</p>"
    assert canonical_text(html) == "Title\n\nFirst\nline two\n\na\n\nb\n\nEnd"


def test_nested_blocks_give_one_separator_and_no_leading_or_trailing_breaks() -> None:
    html = "<div><div><p>  One </p></div></div><blockquote><p>Two</p></blockquote><br><br>"
    assert canonical_text(html) == "One\n\nTwo"


def test_inline_elements_join_without_spaces() -> None:
    assert canonical_text("<p>wor<b>ds</b> <i>and</i>more</p>") == "words andmore"


def test_images_become_nothing() -> None:
    assert canonical_text('<p>a<img src="https://e.example/x.png" alt="ALT">b</p>') == "ab"


def test_whitespace_runs_fold_to_one_space() -> None:
    html = "<p>a \t\n  b\u00a0\u00a0c\u3000d</p><pre>x\n\n   y</pre>"
    assert canonical_text(html) == "a b c d\n\nx y"


def test_invisible_characters_are_removed() -> None:
    invisible = "\u00ad\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    invisible += "\u2066\u2067\u2068\u2069\u061c"
    assert canonical_text(f"<p>in{invisible}visible</p>") == "invisible"


def test_text_is_nfc_normalized_even_across_elements() -> None:
    decomposed = "Cafe\u0301 <b>e</b>\u0301"
    out = canonical_text(f"<p>{decomposed}</p>")
    assert out == "Café é"
    assert unicodedata.is_normalized("NFC", out)


def test_entities_are_decoded() -> None:
    assert canonical_text("<p>a &amp; b &lt;c&gt; &eacute; &#8212;</p>") == "a & b <c> é —"


def test_table_cells_are_blocks() -> None:
    html = "<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>"
    assert canonical_text(html) == "a\n\nb\n\nc"


def test_break_next_to_block_is_absorbed_by_the_block() -> None:
    assert canonical_text("<p>a<br></p><p><br>b</p>") == "a\n\nb"


def test_empty_html_gives_empty_text() -> None:
    assert canonical_text("") == ""
    assert canonical_text("<p> </p><div><img src='x'></div>") == ""


html_fragments = st.lists(
    st.one_of(
        st.sampled_from(
            [
                "<p>",
                "</p>",
                "<br>",
                "<b>",
                "</b>",
                "<li>",
                "<div>",
                "</div>",
                "<img src=x>",
                "<pre>",
            ]
        ),
        st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
        st.sampled_from(
            [" ", "\n", "\t", "\u00a0", "\u200b", "\u00ad", "e\u0301", "&amp;", "&nbsp;", "\x00"]
        ),
    ),
    max_size=30,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(html_fragments)
def test_canonical_text_invariants(html: str) -> None:
    text = canonical_text(sanitize_html(html, BASE))
    assert text == text.strip()
    assert "\n\n\n" not in text
    assert "  " not in text
    assert not re.search(r" \n|\n ", text)
    assert content._CONTROL_RE.search(text) is None
    assert content._INVISIBLE_RE.search(text) is None
    assert unicodedata.is_normalized("NFC", text)
    assert "\t" not in text and "\u00a0" not in text


@settings(max_examples=300, deadline=None)
@given(html_fragments)
def test_sanitized_html_is_always_safe_and_stable(html: str) -> None:
    once = sanitize_html(html, BASE)
    assert_safe_html(once)
    assert canonical_text(sanitize_html(once, BASE)) == canonical_text(once)


# ---- text_sha256, plain_text --------------------------------------------------------------------


def test_text_sha256_is_the_hex_sha256_of_utf8() -> None:
    assert text_sha256("é") == hashlib.sha256("é".encode()).hexdigest()


def test_plain_text_strips_tags_decodes_entities_and_folds_whitespace() -> None:
    assert plain_text("  The <code>tee</code>\n command &amp; friends\x00 ") == (
        "The tee command & friends"
    )


def test_plain_text_joins_inline_markup_and_separates_blocks() -> None:
    assert plain_text("wor<b>ds</b> and<br>lines<p>blocks</p>") == "words and lines blocks"


def test_plain_text_takes_literal_text_literally() -> None:
    assert plain_text("Why <div> & &amp; matter", html=False) == "Why <div> & &amp; matter"


def test_plain_text_removes_controls_hidden_in_entities() -> None:
    assert plain_text("a&#0;b&#x1b;c") == "a\ufffdbc"


def test_plain_text_bounds_its_input_and_output() -> None:
    out = plain_text("a@a." + "a." * 100_000 + "!", html=False, max_chars=500)
    assert len(out) == 500
    assert out.endswith("…")


# ---- the fast canonical-text path must equal the reference walker -----------------------------

_FRAGMENT_PIECES = st.sampled_from(
    [
        "<p>", "</p>", "<br>", "<br/>", "</br>", "<b>", "</b>", "<li>", "<ul>", "</ul>", "<div>",
        "</div>", "<pre>", "</pre>", "<h2>", "</h2>", "<td>", "<table>", "<img src='x.png'>",
        "<a href='/x?a=1&b=2' title='a>b'>", "</a>", " ", "  ", "\n", "\t", "\u00a0", "&nbsp;",
        "&amp;", "&lt;tag&gt;", "&#1;", "&#x200b;", "\u00ad", "\u200b", "\u202e", "e\u0301",
        "word", "Wörter", "😀", "a.b", "&", "<", ">", "<!-- c -->", "<script>x</script>",
    ]
)  # fmt: skip


@given(st.lists(st.one_of(_FRAGMENT_PIECES, st.text(max_size=8)), max_size=40))
def test_fast_canonical_text_equals_the_reference_on_sanitized_html(pieces: list[str]) -> None:
    sanitized = content.sanitize_html("".join(pieces), "https://example.org/a/")
    assert content.canonical_text(sanitized) == content.reference_canonical_text(sanitized)


@given(st.lists(st.one_of(_FRAGMENT_PIECES, st.text(max_size=8)), max_size=40))
def test_fast_canonical_text_never_disagrees_even_on_raw_html(pieces: list[str]) -> None:
    """Unsanitized input may fall back to the walker, but a fast answer is always the same."""
    raw = "".join(pieces)
    fast = content._fast_canonical_text(raw)
    assert fast is None or fast == content.reference_canonical_text(raw)


def test_fast_canonical_text_takes_the_fast_path_on_fixture_feeds() -> None:
    from pathlib import Path

    from reader.core.parse import parse_feed

    feeds = Path(__file__).resolve().parents[1] / "data" / "feeds"
    checked = 0
    for path in sorted(feeds.iterdir()):
        try:
            parsed = parse_feed(
                path.read_bytes(), url="https://example.org/feed", content_type=None
            )
        except Exception:
            continue
        for entry in parsed.entries:
            assert content.reference_canonical_text(entry.html) == entry.text
            assert content._fast_canonical_text(entry.html) is not None
            checked += 1
    assert checked >= 30


_URL_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "example.org", "a-b.c", ":8080", "/", "/a", "/./", "/../",
     "?", "?q=1", "#", "#frag", "&", "%20", " ", "..", "@", "x"]
)  # fmt: skip


@given(
    st.lists(_URL_PIECES, max_size=8).map("".join),
    st.sampled_from([None, "https://base.example/dir/page", "http://b.example", "file:///etc/"]),
)
def test_plain_absolute_url_shortcut_matches_urljoin(url: str, base: str | None) -> None:
    if content._is_plain_absolute_url(url):
        assert content._joined_web_url(url, base) == url
