"""Article HTML and text: the one place that decides what markup is kept and what text is anchored.

Everything here is a pure function of its arguments. ``parse.py`` runs it on every entry at refresh
time (in a worker process), and the reading view and highlights later rely on the same functions,
so the stored HTML and the canonical text never depend on which code path produced them.

Why each step exists (reliability.md §1.1, §2.2, §5.2, table F):

- feedparser keeps NUL and control characters and lets ``javascript:``/``data:`` URLs through, and
  its own sanitizer can be bypassed; so every field is stripped of controls here and all HTML is
  re-sanitized with nh3 (html5ever parses like a browser, so there is no parser differential).
- nh3 is quadratic in nesting depth (100k nested ``<div>`` ≈ 12 s), so a linear pre-scan flattens
  deep or huge fragments to escaped paragraphs before nh3 ever sees them.
- Relative URLs are resolved against the document's own http(s) URL only: a feed's
  ``xml:base="file:///etc/"`` must never turn ``passwd`` into a local file link.
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import unicodedata
from collections.abc import Callable
from html.parser import HTMLParser
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

import nh3

CANON_VERSION = 1
"""Version of ``canonical_text``. Bump it whenever its output can change for some input: stored
highlights record the version of the text they were made on and are re-anchored on a mismatch."""

MAX_HTML_CHARS = 2_000_000
"""Above this an entry's HTML is flattened to text before sanitizing: one entry, bounded cost."""

MAX_NESTING_DEPTH = 512
"""Deeper than this, nh3's cost grows quadratically; real articles stay far below (≈ 30)."""

MAX_URL_CHARS = 16_384

# ---- control and invisible characters -----------------------------------------------------------

# C0 except \t \n \r, DEL, C1, lone surrogates, and the two non-characters XML forbids.
_CONTROL_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")

# Characters a reader cannot see and that publishers insert or drop between revisions; keeping
# them would make a highlight's quote stop matching text that looks identical (reliability §5.2).
_INVISIBLE_RE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u061c\ufeff]")
_WHITESPACE_RE = re.compile(r"\s+")


def remove_invisible(s: str) -> str:
    """Drop soft hyphens, zero-width and bidi controls: canonical text never holds them."""
    return _INVISIBLE_RE.sub("", s)


def strip_control_chars(s: str) -> str:
    """Remove characters that are invalid in XML or break storage and display (F8).

    Tab, newline and carriage return are kept; they are ordinary whitespace.
    """
    if _CONTROL_RE.search(s) is None:
        return s
    return _CONTROL_RE.sub("", s)


def _fold_whitespace(s: str) -> str:
    return _WHITESPACE_RE.sub(" ", s).strip()


# ---- URLs ---------------------------------------------------------------------------------------

_WEB_SCHEMES = frozenset({"http", "https"})


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in _WEB_SCHEMES and bool(parts.hostname)


def openable_link(link: str | None) -> str | None:
    """Only http(s) links may be opened (reliability.md F10); others stay stored, not offered."""
    if link and link.lower().startswith(("http://", "https://")):
        return link
    return None


# An absolute http(s) URL in the form urljoin leaves as it is: lower-case scheme, a plain host,
# and no empty "?" or "#" (urlunsplit would drop them). Dot segments are excluded by the caller.
_URL_CHARS = r"[A-Za-z0-9\-._~%!$&'()*+,;=:@/]"
_PLAIN_ABSOLUTE_URL_RE = re.compile(
    r"https?://[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    rf"(?::[0-9]{{1,5}})?(?:/{_URL_CHARS}*)?(?:\?(?:{_URL_CHARS}|\?)+)?(?:#(?:{_URL_CHARS}|\?)+)?"
)


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """The absolute http(s) form of ``url``, or ``None`` if it has no such form (F10, F11).

    ``base`` is used only when it is itself an absolute http(s) URL, so a hostile base
    (``file:``, ``javascript:``) can never lend its scheme to a relative link.
    """
    if not url:
        return None
    url = strip_control_chars(url).strip()
    if not url or len(url) > MAX_URL_CHARS:
        return None
    if _is_plain_absolute_url(url):
        return url  # what _joined_web_url returns unchanged; an article has hundreds of these
    return _joined_web_url(url, base)


def _is_plain_absolute_url(url: str) -> bool:
    return _PLAIN_ABSOLUTE_URL_RE.fullmatch(url) is not None and "/." not in url


def _joined_web_url(url: str, base: str | None) -> str | None:
    if base is not None:
        base = strip_control_chars(base).strip()
        if _is_web_url(base):
            try:
                url = urljoin(base, url)
            except ValueError:
                return None
    return url if _is_web_url(url) else None


def _safe_href(url: str, base: str | None) -> str | None:
    """Link targets may also be ``mailto:``; everything else must become http(s)."""
    stripped = strip_control_chars(url).strip()
    if stripped[:7].lower() == "mailto:" and len(stripped) <= MAX_URL_CHARS:
        return stripped
    return safe_url(stripped, base)


# ---- sanitizing ---------------------------------------------------------------------------------

_ALLOWED_TAGS = frozenset(
    {
        "p", "br", "a", "em", "strong", "b", "i", "u", "s", "blockquote", "q", "cite", "code",
        "pre", "kbd", "samp", "var", "sub", "sup", "ul", "ol", "li", "dl", "dt", "dd",
        "h1", "h2", "h3", "h4", "h5", "h6", "hr", "img", "figure", "figcaption",
        "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "abbr", "del", "ins",
        "mark", "small", "span", "div", "section", "article", "header", "footer", "aside",
        "details", "summary", "time", "picture", "wbr",
    }
)  # fmt: skip
# <source> is left out: its srcset/type candidates would need their own URL handling, and the
# <img> inside <picture> already carries the fallback image the reading view can show.

# Removed together with their content: markup whose text is not article text (scripts, styles,
# fallback text of embeds, form controls) or that nh3 would otherwise show as escaped markup
# (<noscript> is parsed as raw text).
_CLEAN_CONTENT_TAGS = frozenset(
    {
        "script", "style", "template", "noscript", "iframe", "object", "embed", "applet",
        "svg", "math", "title", "textarea", "select", "button", "frameset", "noembed", "xmp",
    }
)  # fmt: skip

_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"dir", "lang"},
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "abbr": {"title"},
    "ol": {"start"},
    "time": {"datetime"},
}

# Bounds for numeric attributes: a table cell spanning a billion rows makes Qt allocate for it.
_NUMERIC_LIMITS = {"width": 10_000, "height": 10_000, "colspan": 1_000, "rowspan": 1_000}


def _attribute_filter(base_url: str | None) -> Callable[[str, str, str], str | None]:
    """nh3 runs its scheme check before this filter, so the filter re-checks what it returns."""

    def keep(tag: str, attribute: str, value: str) -> str | None:
        if attribute == "href":
            return _safe_href(value, base_url)
        if attribute == "src":
            return safe_url(value, base_url)
        if attribute in _NUMERIC_LIMITS:
            value = value.strip()
            if not value.isascii() or not value.isdigit():
                return None
            return value if int(value) <= _NUMERIC_LIMITS[attribute] else None
        if attribute == "start":
            value = value.strip()
            return value if value.isascii() and value.lstrip("-").isdigit() else None
        return strip_control_chars(value)

    return keep


_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9:-]*)[^<>]*?(/?)>")
_ANY_TAG_RE = re.compile(r"<[^<>]*>")

# Tags that never hold children, and tags the HTML parser closes implicitly when a sibling opens:
# neither makes the parser's stack of open elements deeper.
_NON_NESTING_TAGS = frozenset(
    {
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody",
        "tfoot", "option", "optgroup", "rb", "rt", "rp", "colgroup",
    }
)  # fmt: skip


_FOREIGN_ROOTS = frozenset({"svg", "math"})


def _nesting_depth_exceeds(html: str, limit: int) -> bool:
    """A linear, forgiving estimate of the parser's stack depth; only needs to catch the absurd.

    ``<div/>`` opens a div in HTML (the slash is ignored), so a self-closing slash counts only
    inside ``<svg>`` and ``<math>``, where it really closes the element.
    """
    if html.count("<") <= limit:
        return False  # fewer tags than the limit cannot nest deeper than it (the common case)
    depth = 0
    foreign = 0
    for match in _TAG_RE.finditer(html):
        closing, name, self_closing = match.groups()
        name = name.lower()
        if name in _NON_NESTING_TAGS or (self_closing and foreign):
            continue
        if closing:
            depth = max(depth - 1, 0)
            if name in _FOREIGN_ROOTS:
                foreign = max(foreign - 1, 0)
        elif not (self_closing and name in _FOREIGN_ROOTS):
            depth += 1
            foreign += name in _FOREIGN_ROOTS
            if depth > limit:
                return True
    return False


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "caption", "dd", "details", "div", "dl",
        "dt", "figcaption", "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody",
        "td", "tfoot", "th", "thead", "tr", "ul",
    }
)  # fmt: skip


def _strip_tags(html: str) -> str:
    """Tags out, text kept, block boundaries as blank lines: linear in the input whatever it is."""

    def replace(match: re.Match[str]) -> str:
        tag = _TAG_RE.fullmatch(match.group(0))
        name = tag.group(2).lower() if tag is not None else ""
        if name in _BLOCK_TAGS:
            return "\n\n"
        return "\n" if name == "br" else ""

    return html_lib.unescape(_ANY_TAG_RE.sub(replace, html))


def sanitize_html(html: str, base_url: str | None) -> str:
    """Safe, self-contained reading HTML: an allowlist of tags and attributes, http(s) images,
    http(s)/mailto links resolved against ``base_url``, no comments, ``rel="noopener noreferrer"``.

    ``base_url`` is ignored unless it is an absolute http(s) URL (F11). Fragments too large or too
    deeply nested for nh3 to handle in bounded time are flattened to escaped paragraphs of their
    text (F6): the words survive, the markup does not.
    """
    html = strip_control_chars(html)
    if not html.strip():
        return ""
    if len(html) > MAX_HTML_CHARS or _nesting_depth_exceeds(html, MAX_NESTING_DEPTH):
        return html_from_text(_strip_tags(html))
    cleaned = nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_CLEAN_CONTENT_TAGS),
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_attribute_filter(base_url),
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes={"http", "https", "mailto"},
    )
    return cleaned.strip()


_PARAGRAPH_BREAK_RE = re.compile(r"\n[ \t\r\f\v]*\n\s*")


def html_from_text(text: str) -> str:
    """Plain text as HTML paragraphs: markup in it is shown, never interpreted (F14).

    Blank lines separate paragraphs; single newlines become ``<br>``.
    """
    text = strip_control_chars(text).replace("\r\n", "\n").replace("\r", "\n")
    paragraphs = []
    for chunk in _PARAGRAPH_BREAK_RE.split(text):
        lines = [line.strip() for line in chunk.split("\n")]
        lines = [html_lib.escape(line, quote=False) for line in lines if line]
        if lines:
            paragraphs.append("<p>" + "<br>".join(lines) + "</p>")
    return "".join(paragraphs)


def plain_text(html_or_text: str, *, html: bool = True, max_chars: int | None = None) -> str:
    """One line of text for titles and author names.

    With ``html=True`` tags are removed and entities decoded; with ``html=False`` the value is
    taken literally (a title "Why <div> matters" keeps its ``<div>``). ``max_chars`` truncates the
    input before any work on it and the result after, so a hostile 1 MB author costs nothing.
    """
    s = html_or_text
    if max_chars is not None:
        s = s[: max_chars * 4]
    s = strip_control_chars(s)
    if html and ("<" in s or "&" in s):
        s = strip_control_chars(_strip_tags(s))  # &#0; and friends decode to controls
    s = _INVISIBLE_RE.sub("", s)
    s = _fold_whitespace(s)
    if max_chars is not None and len(s) > max_chars:
        s = s[: max_chars - 1].rstrip() + "…"
    return s


# ---- canonical text -----------------------------------------------------------------------------

# Tags whose text is never article text. Sanitized HTML has none of them; kept for safety.
_SKIPPED_CONTENT_TAGS = frozenset({"script", "style", "template", "noscript", "title"})


class _CanonicalBuilder:
    """Turns a stream of text runs and breaks into canonical text.

    Breaks are held back until the next visible character, so leading and trailing breaks vanish,
    a block break absorbs line breaks and spaces around it, and runs of whitespace across element
    boundaries fold to one space. Each piece of output is appended in one place (``_emit``), which
    is where a later offset map (canonical position → source position) will record its entries.
    """

    _NONE, _SPACE, _LINE, _BLOCK = 0, 1, 2, 3
    _SEPARATORS: ClassVar[dict[int, str]] = {_SPACE: " ", _LINE: "\n", _BLOCK: "\n\n"}

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._pending = self._NONE
        self._started = False

    def text(self, run: str) -> None:
        run = _INVISIBLE_RE.sub("", strip_control_chars(run))
        for index, word in enumerate(_WHITESPACE_RE.split(run)):
            if index > 0:
                self._pending = max(self._pending, self._SPACE)
            if word:
                self._emit(word)

    def line_break(self) -> None:
        self._pending = max(self._pending, self._LINE)

    def block_break(self) -> None:
        self._pending = self._BLOCK

    def _emit(self, word: str) -> None:
        if self._started and self._pending != self._NONE:
            self._parts.append(self._SEPARATORS[self._pending])
        self._parts.append(word)
        self._pending = self._NONE
        self._started = True

    def result(self) -> str:
        return unicodedata.normalize("NFC", "".join(self._parts))


class _CanonicalWalker(HTMLParser):
    def __init__(self, builder: _CanonicalBuilder) -> None:
        super().__init__(convert_charrefs=True)
        self._builder = builder
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_CONTENT_TAGS:
            self._skipping += 1
        elif tag == "br":
            self._builder.line_break()
        elif tag in _BLOCK_TAGS:
            self._builder.block_break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._builder.line_break()
        elif tag in _BLOCK_TAGS:
            self._builder.block_break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_CONTENT_TAGS:
            self._skipping = max(self._skipping - 1, 0)
        elif tag in _BLOCK_TAGS:
            self._builder.block_break()

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._builder.text(data)


def canonical_text(html: str) -> str:
    """The text highlights are anchored in (reliability.md §5.2, version ``CANON_VERSION``).

    Block elements are separated by a blank line ("\\n\\n"), ``<br>`` is "\\n", images are nothing;
    soft hyphens, zero-width and bidi control characters are removed; every other whitespace run
    becomes one space; the result is NFC and trimmed. Input is sanitized HTML (``sanitize_html``).

    Sanitized HTML takes a fast path (a tokenizing regex, work per block rather than per word:
    about ten times the speed, and it runs for every entry of every refresh); anything it cannot
    read with certainty goes through the reference walker. Tests hold the two paths equal.
    """
    fast = _fast_canonical_text(html)
    if fast is not None:
        return fast
    return reference_canonical_text(html)


def reference_canonical_text(html: str) -> str:
    """``canonical_text`` by a full HTML tokenizer: the definition the fast path must match."""
    builder = _CanonicalBuilder()
    walker = _CanonicalWalker(builder)
    walker.feed(html)
    walker.close()
    return builder.result()


# A tag as sanitize_html (html5ever's serializer) writes it: a name, attributes with
# double-quoted values (which may contain ">"), an optional "/". Text never holds a raw "<".
_ATTRIBUTES = r'(?:\s+[^\s"\'>/=]+(?:="[^"]*")?)*\s*/?>'
_SERIALIZED_TAG_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)" + _ATTRIBUTES)
# Three passes without a Python callback per tag: breaks, blocks, then every other tag.
_BR_OPEN_RE = re.compile(r"<br" + _ATTRIBUTES, re.IGNORECASE)
_BLOCK_TAG_RE = re.compile(
    r"</?(?:"
    + "|".join(sorted(_BLOCK_TAGS, key=len, reverse=True))
    + r")(?![A-Za-z0-9])"
    + _ATTRIBUTES,
    re.IGNORECASE,
)
_OTHER_TAG_RE = re.compile(r"</?[A-Za-z][A-Za-z0-9]*" + _ATTRIBUTES)
_SKIPPED_TAG_RE = re.compile(
    r"</?(?:" + "|".join(_SKIPPED_CONTENT_TAGS) + r")(?![A-Za-z0-9])", re.IGNORECASE
)
# Marks for block breaks, line breaks and other tags. They are control characters that
# html.unescape can never produce (it maps &#1; … to ""), so marks and text cannot be confused;
# inline tags leave a mark too, so "&amp<b>;" does not join into one entity.
_BLOCK_MARK, _LINE_MARK, _TAG_MARK = "\x01", "\x02", "\x03"
_MARKS = _BLOCK_MARK + _LINE_MARK + _TAG_MARK
# What strip_control_chars and _INVISIBLE_RE remove, plus the inline-tag mark, in one pass.
_DROPPED_RE = re.compile(
    "[\x00\x03-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff"
    "\u00ad\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u061c\ufeff]"
)
_BREAK_RUN_RE = re.compile("[\x01\x02]+")


def _break_for(match: re.Match[str]) -> str:
    return "\n\n" if _BLOCK_MARK in match.group(0) else "\n"


def _fast_canonical_text(html: str) -> str | None:
    if "<!" in html or "<?" in html or any(mark in html for mark in _MARKS):
        return None
    if _SKIPPED_TAG_RE.search(html):
        return None
    marked = _BR_OPEN_RE.sub(_LINE_MARK, html)
    marked = _BLOCK_TAG_RE.sub(_BLOCK_MARK, marked)
    marked = _OTHER_TAG_RE.sub(_TAG_MARK, marked)
    if "<" in marked:
        return None
    if "&" in marked:
        marked = html_lib.unescape(marked)
    marked = _DROPPED_RE.sub("", marked)
    # Whitespace runs become one space (str.split: the same Unicode whitespace as \s, in C);
    # then a space touching a break joins it, and each run of breaks is its strongest one.
    marked = " ".join(marked.split())
    for mark in (_BLOCK_MARK, _LINE_MARK):
        marked = marked.replace(" " + mark, mark).replace(mark + " ", mark)
    marked = _BREAK_RUN_RE.sub(_break_for, marked).strip("\n")
    return unicodedata.normalize("NFC", marked)


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
