"""Web page → the article in it: clean, sanitized reading HTML plus its metadata.

Runs inside a ``ParsePool`` worker (``extraction_job``), so a hostile page costs one failed page.
trafilatura does the finding; this module decides what it is given and what is kept:

- It gets a decoded ``str``, never bytes or a URL: trafilatura would otherwise guess the charset
  on its own, and given a URL it would download. Gloss fetches (with its own limits) and decodes.
- Its HTML output keeps headings, lists, quotes, code, tables, images and links; everything then
  goes through ``content.sanitize_html`` like every feed entry, so the reading view sees only one
  kind of markup whichever path an article came by.
- Metadata comes from trafilatura, then from the page's own ``og:``/``article:`` tags and JSON-LD
  when it missed (it keeps only the day of a date; a reader sorting by time wants the hour).
"""

from __future__ import annotations

import codecs
import datetime as dt
import html as html_lib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import trafilatura
from lxml.etree import LxmlError, tostring  # type: ignore[import-untyped]
from trafilatura.htmlprocessing import convert_to_html
from trafilatura.settings import Document
from trafilatura.utils import load_html

from reader.core.content import canonical_text, plain_text, safe_url, sanitize_html
from reader.core.errors import ExtractionError, ParseError
from reader.core.extractor_version import extractor_version

EXTRACTOR: Final = "trafilatura"
EXTRACTOR_VERSION: Final = extractor_version()
"""Bump the ``gloss`` suffix whenever the configuration below changes what is extracted, so texts
stored by an older configuration can be found and re-extracted."""

MAX_DECODED_CHARS: Final = 5_000_000
"""Pages longer than this are cut before extraction. Such pages are big because of inline data
(scripts, state blobs, base64 images), which are dropped first; the article itself sits well
inside the first 5 MB of any real page, so cutting keeps it where refusing would lose it."""

MIN_ARTICLE_WORDS: Final = 25
"""Below this the "article" is a login prompt, an error notice or an empty shell, not a text."""

NO_ARTICLE_MESSAGE: Final = "Gloss could not find the article text in this page."


@dataclass(frozen=True, slots=True)
class ExtractedPage:
    url: str  # the page URL given, or its canonical URL when that is http(s) and on the same site
    title: str  # plain text; "" when the page has none
    author: str | None
    published: dt.datetime | None  # timezone-aware UTC
    site_name: str | None
    lead_image: str | None  # absolute http(s) URL
    html: str  # sanitized (content.sanitize_html)
    text: str  # content.canonical_text(html)
    extractor: str
    extractor_version: str


def extraction_job(body: bytes, url: str, content_type: str | None) -> ExtractedPage:
    """``ParsePool`` job: the pool carries ``ParseError`` messages back, so convert to it."""
    try:
        return extract_page(body, url or None, content_type)
    except ExtractionError as e:
        raise ParseError(str(e)) from e


def extract_page(body: bytes, url: str | None, content_type: str | None = None) -> ExtractedPage:
    """The article of an HTML page, or ``ExtractionError`` saying why there is none."""
    _refuse_non_html(body, content_type)
    document = _bounded(decode_html(body, content_type))
    if not document.strip():
        raise ExtractionError("The page is empty.")
    base = safe_url(url) if url else None
    try:
        result = _run_trafilatura(document, base)
    except (ValueError, TypeError, LxmlError) as e:  # lxml giving up on a hostile page
        raise ExtractionError(NO_ARTICLE_MESSAGE) from e
    if result is None or result.body is None:
        raise ExtractionError(_no_article_message(document))
    meta = _page_metadata(document)
    page_url = _page_url(base, getattr(result, "url", None), meta.get("canonical"))
    title = plain_text(result.title or meta.get("title") or "", max_chars=2_000)
    _drop_leading_title(result.body, title)
    body_html = _body_html(result.body)
    lead_image = safe_url(result.image or meta.get("image"), page_url)
    if lead_image and not _mentions_image(body_html, lead_image):
        body_html = f'<figure><img src="{html_lib.escape(lead_image)}" alt=""></figure>{body_html}'
    clean = sanitize_html(body_html, page_url)
    text = canonical_text(clean)
    if len(text.split()) < MIN_ARTICLE_WORDS:
        raise ExtractionError(_no_article_message(document))
    return ExtractedPage(
        url=page_url or "",
        title=title,
        author=_author(result.author or meta.get("author")),
        published=_published(meta.get("published"), result.date),
        site_name=plain_text(result.sitename or meta.get("site_name") or "", max_chars=300) or None,
        lead_image=lead_image,
        html=clean,
        text=text,
        extractor=EXTRACTOR,
        extractor_version=EXTRACTOR_VERSION,
    )


# htmldate's "extensive search" guesses dates from any number in the text or links ("2023" in an
# archive link becomes 1 January 2023); a missing date is better than a wrong one. A fixed upper
# bound instead of "today" keeps the result independent of the clock.
_DATE_PARAMS: Final = {"original_date": True, "extensive_search": False, "max_date": "2200-12-31"}


def _run_trafilatura(document: str, base: str | None) -> Document | None:
    tree = load_html(document)
    if tree is None:
        return None
    _remove_furniture(tree)
    if base:
        # trafilatura resolves links against the site root, not the page ("../a" from /x/y/z
        # becomes /a); resolved here first, it leaves them alone.
        tree.make_links_absolute(base, resolve_base_href=True, handle_failures="discard")
    result = trafilatura.bare_extraction(
        tree,
        url=base,
        output_format="python",
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=True,
        include_links=True,
        include_formatting=True,
        deduplicate=False,
        fast=False,
        date_extraction_params=_DATE_PARAMS,
    )
    return result if isinstance(result, Document) else None


# ---- what is not a web page ---------------------------------------------------------------------

_MAGIC: Final = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b", "a compressed (gzip) file"),
    (b"ID3", "an audio file"),
    (b"OggS", "an audio or video file"),
    (b"\x00\x00\x00", "a video file"),
)
_MEDIA_NAMES: Final = {
    "application/pdf": "a PDF document",
    "application/zip": "a ZIP archive",
    "application/json": "JSON data",
    "application/octet-stream": "a binary file",
}
_FEED_START_RE: Final = re.compile(
    rb"^(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:rss|feed|rdf:RDF)\b", re.S
)


def _refuse_non_html(body: bytes, content_type: str | None) -> None:
    head = body[:1024]
    for magic, name in _MAGIC:
        if head.startswith(magic):
            raise ExtractionError(f"This is not a web page: it is {name}.")
    if head[4:8] == b"ftyp" or (head.startswith(b"RIFF") and head[8:12] in (b"WEBP", b"AVI ")):
        raise ExtractionError("This is not a web page: it is an image or a video file.")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    for prefix, name in (
        ("image/", "an image"),
        ("video/", "a video"),
        ("audio/", "an audio file"),
    ):
        if media.startswith(prefix):
            raise ExtractionError(f"This is not a web page: it is {name} ({media}).")
    if media in _MEDIA_NAMES:
        raise ExtractionError(f"This is not a web page: it is {_MEDIA_NAMES[media]}.")
    if _FEED_START_RE.match(head.lstrip(b"\xef\xbb\xbf \t\r\n")):
        raise ExtractionError("This is a feed, not a web page: subscribe to it instead.")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ExtractionError("This is not a web page: it is a binary file.")


# ---- decoding -----------------------------------------------------------------------------------

_CHARSET_PARAM_RE: Final = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_META_CHARSET_RE: Final = re.compile(
    rb"<meta\s[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I
)
_BOMS: Final = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# WHATWG: these labels mean windows-1252 in every browser, and pages rely on it (curly quotes).
_WINDOWS_1252_ALIASES: Final = frozenset(
    {"iso-8859-1", "iso8859-1", "latin1", "latin-1", "ascii", "us-ascii", "l1"}
)


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _WINDOWS_1252_ALIASES:
        return "cp1252"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A page cannot really be UTF-16 once it has been read as ASCII-compatible bytes (WHATWG).
    return "utf-8" if name.startswith("utf-16") or name == "utf-7" else name


def decode_html(body: bytes, content_type: str | None) -> str:
    """Bytes → text the way a browser would, and never an exception.

    A byte-order mark wins (as in browsers), then the HTTP charset, then ``<meta charset>``, then
    UTF-8. A declared single-byte charset loses to UTF-8 when the bytes are valid, non-ASCII UTF-8:
    servers mislabel pages all the time, and such bytes are almost never meant as Latin text.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")
    header = _codec(_match(_CHARSET_PARAM_RE, content_type or ""))
    meta_match = _META_CHARSET_RE.search(body[:4096])
    meta = _codec(meta_match.group(1).decode("ascii", "replace")) if meta_match else None
    declared = [c for c in (header, meta) if c]
    if not declared or declared[0] == "utf-8" or not body.isascii():
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    for name in declared:
        if name != "utf-8":
            return body.decode(name, errors="replace")
    return body.decode("utf-8", errors="replace")


def _match(pattern: re.Pattern[str], s: str) -> str | None:
    found = pattern.search(s)
    return found.group(1) if found else None


_BULKY_RE: Final = re.compile(
    r"<(script|style|svg)\b(?![^>]*application/ld\+json)[^>]*>.*?</\1\s*>|<!--.*?-->", re.I | re.S
)


def _bounded(document: str) -> str:
    if len(document) <= MAX_DECODED_CHARS:
        return document
    document = _BULKY_RE.sub("", document)
    return document[:MAX_DECODED_CHARS]


# ---- trafilatura configuration ------------------------------------------------------------------

_PERMALINK_MARKS: Final = ("¶", "#", "§", "🔗", "link", "permalink")
# What trafilatura gets wrong on real pages, found with the corpus of tests/data/extraction:
_FURNITURE_XPATH: Final = " | ".join(
    (
        # Icons: an <svg> left inside a link makes trafilatura wrap the following text in it.
        "//*[local-name()='svg']",
        # Heading permalinks (Sphinx, MkDocs, Hugo): "¶" and "#" would end every heading.
        "//a["
        + " or ".join(f"normalize-space(.)='{mark}'" for mark in _PERMALINK_MARKS)
        + "][not(.//img)]",
    )
)
_EMPTY_LINKS_XPATH: Final = "//a[not(.//img) and not(normalize-space(.))]"


def _remove_furniture(tree: Any) -> None:
    """Remove elements but keep their tail text (the words after them belong to the parent)."""
    for xpath in (_FURNITURE_XPATH, _EMPTY_LINKS_XPATH):  # links are empty once icons are gone
        for element in tree.xpath(xpath):
            parent = element.getparent()
            if parent is None:
                continue
            tail = element.tail
            if tail:
                previous = element.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            parent.remove(element)
    # trafilatura drops <figcaption>; a caption is text a reader sees, so keep it as a paragraph.
    for caption in tree.iter("figcaption"):
        caption.tag = "p"


def _no_article_message(document: str) -> str:
    if re.search(r"<input\b[^>]*type\s*=\s*[\"']?password", document, re.I):
        return "This page asks you to sign in: Gloss could not find the article text in it."
    return NO_ARTICLE_MESSAGE


# ---- body ---------------------------------------------------------------------------------------


def _normalized(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).casefold()
    return re.sub(r"[\W_]+", " ", s).strip()


def _drop_leading_title(body: Any, title: str) -> None:
    """The reading view shows the title above the text; the page's own heading would repeat it."""
    if not title:
        return
    wanted = _normalized(title)
    for element in list(body)[:3]:
        text = _normalized("".join(element.itertext()))
        if not text:
            continue
        if text == wanted and element.tag in ("head", "p"):
            tail = element.tail
            parent = element.getparent()
            if tail and tail.strip():
                previous = element.getprevious()
                if previous is not None:
                    previous.tail = (previous.tail or "") + tail
                else:
                    parent.text = (parent.text or "") + tail
            parent.remove(element)
        return


_INLINE_CODE_PARENTS: Final = frozenset(
    {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "a", "b", "i", "em", "strong",
     "u", "sub", "sup", "span", "pre", "code", "dt", "dd", "figcaption"}
)  # fmt: skip


def _body_html(body: Any) -> str:
    root = convert_to_html(body)
    # trafilatura turns every <code> into <pre>; inside a line of text (or another <pre>) it is
    # inline code, and a <pre> there would split the paragraph in two.
    for element in root.iter("pre"):
        parent = element.getparent()
        if parent is not None and parent.tag in _INLINE_CODE_PARENTS:
            element.tag = "code"
    inner = root[0]
    return "".join(tostring(child, encoding="unicode") for child in inner) if len(inner) else ""


def _mentions_image(html: str, src: str) -> bool:
    path = urlsplit(src).path
    return bool(path) and path in html


# ---- metadata -----------------------------------------------------------------------------------

_META_TAG_RE: Final = re.compile(r"<meta\b[^>]*>", re.I)
_ATTR_RE: Final = re.compile(r"""([a-zA-Z:_-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_LINK_CANONICAL_RE: Final = re.compile(r"<link\b[^>]*\brel\s*=\s*[\"']?canonical[^>]*>", re.I)
_JSON_LD_RE: Final = re.compile(
    r"<script\b[^>]*application/ld\+json[^>]*>(.*?)</script\s*>", re.I | re.S
)
_HEAD_LIMIT: Final = 300_000

_META_KEYS: Final = {
    "og:title": "title",
    "twitter:title": "title",
    "og:site_name": "site_name",
    "application-name": "site_name",
    "og:image": "image",
    "og:image:url": "image",
    "og:image:secure_url": "image",
    "twitter:image": "image",
    "twitter:image:src": "image",
    "author": "author",
    "article:author": "author",
    "dc.creator": "author",
    "sailthru.author": "author",
    "article:published_time": "published",
    "og:article:published_time": "published",
    "datepublished": "published",
    "dc.date": "published",
    "dc.date.issued": "published",
    "date": "published",
    "pubdate": "published",
    "publish-date": "published",
    "sailthru.date": "published",
    "og:url": "canonical",
}


def _attributes(tag: str) -> dict[str, str]:
    return {
        m.group(1).lower(): html_lib.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR_RE.finditer(tag)
    }


def _page_metadata(document: str) -> dict[str, str]:
    """What the page says about itself in ``<meta>``, ``<link rel=canonical>`` and JSON-LD.

    Read with regular expressions from the head end of the page: a fallback for what trafilatura
    missed, and the only source of a publication *time*.
    """
    head = document[:_HEAD_LIMIT]
    found: dict[str, str] = {}
    for tag in _META_TAG_RE.findall(head):
        attrs = _attributes(tag)
        key = (attrs.get("property") or attrs.get("name") or attrs.get("itemprop") or "").lower()
        value = attrs.get("content", "").strip()
        if key in _META_KEYS and value:
            found.setdefault(_META_KEYS[key], value)
    for tag in _LINK_CANONICAL_RE.findall(head):
        href = _attributes(tag).get("href", "").strip()
        if href:
            found["canonical"] = href
            break
    for blob in _JSON_LD_RE.findall(document[:MAX_DECODED_CHARS]):
        for item in _json_ld_items(blob):
            _merge_json_ld(found, item)
    return found


def _json_ld_items(blob: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(blob.strip())
    except (ValueError, RecursionError):
        return []
    stack = [data]
    items: list[dict[str, Any]] = []
    while stack and len(items) < 100:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(reversed(node))
        elif isinstance(node, dict):
            items.append(node)
            graph = node.get("@graph")
            if isinstance(graph, list):
                stack.extend(reversed(graph))
    return items


_ARTICLE_TYPES: Final = ("article", "posting", "blogposting", "report", "webpage")


def _merge_json_ld(found: dict[str, str], item: dict[str, Any]) -> None:
    kind = item.get("@type")
    kinds = [k.lower() for k in (kind if isinstance(kind, list) else [kind]) if isinstance(k, str)]
    if not any(k.endswith(_ARTICLE_TYPES) for k in kinds):
        return
    if isinstance(item.get("datePublished"), str):
        found.setdefault("published", item["datePublished"])
    if isinstance(item.get("headline"), str):
        found.setdefault("title", item["headline"])
    author = item.get("author")
    names = []
    for person in author if isinstance(author, list) else [author]:
        if isinstance(person, dict) and isinstance(person.get("name"), str):
            names.append(person["name"])
        elif isinstance(person, str):
            names.append(person)
    if names:
        found.setdefault("author", ", ".join(names))
    publisher = item.get("publisher")
    if isinstance(publisher, dict) and isinstance(publisher.get("name"), str):
        found.setdefault("site_name", publisher["name"])
    image = item.get("image")
    if isinstance(image, list) and image:
        image = image[0]
    if isinstance(image, dict):
        image = image.get("url")
    if isinstance(image, str):
        found.setdefault("image", image)


def _page_url(given: str | None, extracted: str | None, canonical: str | None) -> str | None:
    """The canonical URL replaces the given one only on the same site: a page claiming to be
    somewhere else (a mirror, a spoof) must not borrow that site's identity."""
    candidate = safe_url(canonical, given) or safe_url(extracted, given)
    if given is None:
        return candidate
    if candidate and _site(candidate) == _site(given):
        return candidate
    return given


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _author(value: str | None) -> str | None:
    if not value:
        return None
    author = plain_text(value, max_chars=500)
    author = re.sub(r"^(?:by|von|par|por)\s+", "", author, flags=re.I).strip()
    return author or None


def _published(precise: str | None, day: str | None) -> dt.datetime | None:
    """The page's own timestamp when it states one (to the second, in UTC), else the day."""
    for value in (precise, day):
        parsed = _parse_datetime(value)
        if parsed is not None:
            return parsed
    return None


def _parse_datetime(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    value = value.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    if not 1990 <= parsed.year <= 2200:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)
