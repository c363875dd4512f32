"""OPML subscription lists in and out: the way people move between feed readers.

Parsing is deliberately forgiving about what real exports get wrong (attribute case, entities
from HTML, ``feed://`` addresses, odd encodings) and deliberately strict about what could hurt:
entity declarations are refused before anything expands, nothing is ever fetched, and only http
and https feeds come out. Outlines we cannot import are reported, not fatal, so a single bad line
never costs someone their whole subscription list.

No dependency does this: ``defusedxml`` would add a package for one check that expat gives us,
and the OPML libraries on PyPI parse with unprotected ElementTree or lxml.
"""

from __future__ import annotations

import codecs
import datetime as dt
import html
import html.entities
import re
import xml.etree.ElementTree as ET
import xml.parsers.expat as expat
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import format_datetime

from reader.core.discover import normalize_feed_url
from reader.core.errors import ParseError

MAX_OPML_BYTES = 20 * 1024 * 1024
"""Ten thousand subscriptions take about 2 MB; anything past this is not a subscription list."""


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str  # http(s) only; validated
    title: str | None
    site_url: str | None
    folder_path: tuple[str, ...]  # nested folders, outermost first; () for top level


@dataclass(frozen=True, slots=True)
class OpmlDocument:
    title: str | None
    feeds: tuple[OpmlFeed, ...]
    skipped: tuple[str, ...]  # why each outline that is not in ``feeds`` was left out


# --- reading --------------------------------------------------------------------------------


def _invalid(reason: str) -> ParseError:
    return ParseError(f"Not a valid OPML file: {reason}")


_XML_DECLARED_ENCODING = re.compile(
    rb"""\A\s*<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']"""
)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16: its BOM starts the same way
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def _decode(data: bytes) -> str:
    """Bytes → text by BOM, then the XML declaration, then UTF-8.

    We decode ourselves rather than let expat do it because expat refuses multi-byte encodings
    (Shift_JIS, GB18030, Big5) that Japanese and Chinese readers still export in. A file whose
    bytes do not match its declared encoding keeps its readable parts: a wrong accent in one
    title is better than refusing a whole subscription list.
    """
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            break
    else:
        if data.startswith(b"<\x00"):
            encoding = "utf-16-le"
        elif data.startswith(b"\x00<"):
            encoding = "utf-16-be"
        else:
            declared = _XML_DECLARED_ENCODING.match(data[:1024])
            if declared:
                name = declared.group(1).decode("ascii")
                try:
                    codec = codecs.lookup(name).name
                except LookupError:
                    raise _invalid(
                        f"it declares the character encoding {name!r}, which Gloss does not know."
                    ) from None
                # The bytes in front of us are ASCII-compatible, whatever the header claims.
                encoding = "utf-8" if codec.startswith(("utf-16", "utf-32")) else codec
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode(encoding, errors="replace")
    return text.lstrip("\ufeff")


_HTML_START = re.compile(
    r"\A(?:\s|<!--.*?-->|<\?.*?\?>)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
_XML_PREDEFINED = frozenset({"amp", "lt", "gt", "quot", "apos"})
_NAMED_ENTITY = re.compile(r"&([A-Za-z][A-Za-z0-9]{1,31});")


def _refuse_obvious_non_opml(text: str) -> None:
    """Name the usual wrong files plainly, before expat reports "syntax error at line 1"."""
    start = text.lstrip()
    if not start:
        raise _invalid("the file is empty.")
    if start.startswith(("{", "[")):
        raise _invalid("it is JSON, not OPML (which is XML).")
    if _HTML_START.match(text):
        raise _invalid(
            "it is a web page (HTML). Export your subscriptions from your old reader as OPML "
            "and import that file."
        )
    if not start.startswith("<"):
        raise _invalid(f"it is not XML (it starts with {start[:20]!r}).")


def _html_entities_as_references(text: str) -> str:
    """``&eacute;`` → ``&#233;``: HTML entities that hand-edited and PHP-made exports contain.

    XML knows only five named entities; without this, one ``&nbsp;`` in a title would reject
    the whole file. Unknown names are left alone, for expat to report.
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_PREDEFINED:
            return match.group(0)
        codepoint = html.entities.name2codepoint.get(name)
        return match.group(0) if codepoint is None else f"&#{codepoint};"

    return _NAMED_ENTITY.sub(replace, text)


@dataclass(slots=True)
class _Element:
    name: str  # lower-case, namespace prefix removed
    attrs: dict[str, str]  # lower-case keys; the first of two spellings wins
    line: int
    children: list[_Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _EntityDeclared(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _local_name(name: str) -> str:
    return name.rsplit(":", 1)[-1].lower()


def _parse_xml(text: str) -> _Element:
    """A small tree from expat, with every entity mechanism switched off.

    Entity declarations (billion laughs, XXE with ``SYSTEM``) stop the parse at the declaration,
    before any expansion; external DTDs and parameter entities are never read.
    """
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    stack: list[_Element] = []
    roots: list[_Element] = []

    def start(name: str, attrs: dict[str, str]) -> None:
        lowered: dict[str, str] = {}
        for key, value in attrs.items():
            lowered.setdefault(_local_name(key), value)
        element = _Element(_local_name(name), lowered, parser.CurrentLineNumber)
        (stack[-1].children if stack else roots).append(element)
        stack.append(element)

    def end(name: str) -> None:
        stack.pop()

    def characters(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    def entity_declared(*args: object) -> None:
        raise _EntityDeclared(parser.CurrentLineNumber)

    def external_entity(*args: object) -> int:
        raise _EntityDeclared(parser.CurrentLineNumber)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.EntityDeclHandler = entity_declared
    parser.ExternalEntityRefHandler = external_entity
    try:
        parser.Parse(text, True)
    except _EntityDeclared as refused:
        raise _invalid(
            f"it declares XML entities (line {refused.line}). Gloss never expands them, because "
            "they can exhaust memory or read files on this computer."
        ) from None
    except expat.ExpatError as error:
        raise _invalid(
            f"the XML is malformed at line {error.lineno}, column {error.offset + 1} "
            f"({expat.ErrorString(error.code)})."
        ) from None
    return roots[0]


_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _clean_text(raw: str | None) -> str | None:
    """Display text from an attribute: entities undone (even double-escaped ones), one line."""
    if raw is None:
        return None
    text = raw
    for _ in range(4):  # "&amp;amp;" exists in the wild; stop at a fixed point
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = " ".join(_CONTROL_CHARACTERS.sub("", text).split())
    return text or None


def _shorten(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _Collector:
    def __init__(self) -> None:
        self.feeds: list[OpmlFeed] = []
        self.skipped: list[str] = []
        self.first_seen: dict[str, int] = {}

    def outline(self, element: _Element, folder_path: tuple[str, ...]) -> None:
        attrs = element.attrs
        label = _clean_text(attrs.get("text")) or _clean_text(attrs.get("title"))
        kind = attrs.get("type", "").strip().lower()
        raw_url = attrs.get("xmlurl", "").strip()
        if not raw_url and kind in ("rss", "atom"):
            raw_url = attrs.get("url", "").strip()  # some old outliners put feeds in url=
        nested = [child for child in element.children if child.name == "outline"]
        where = f"line {element.line}"

        if raw_url:
            self._feed(element, raw_url, folder_path)
            # Children of a feed are odd but not ours to drop: they stay in the feed's folder.
            for child in nested:
                self.outline(child, folder_path)
        elif nested:
            inner = (*folder_path, label) if label else folder_path
            for child in nested:
                self.outline(child, inner)
        elif kind == "link":
            self.skipped.append(f"“{_shorten(label or '?')}” ({where}) is a link, not a feed.")
        elif label:
            self.skipped.append(f"“{_shorten(label)}” ({where}) has no feed address (xmlUrl).")
        else:
            self.skipped.append(f"An outline on {where} has no feed address (xmlUrl).")

    def _feed(self, element: _Element, raw_url: str, folder_path: tuple[str, ...]) -> None:
        attrs = element.attrs
        url = normalize_feed_url(raw_url)
        titles = (_clean_text(attrs.get("text")), _clean_text(attrs.get("title")))
        title = next((t for t in titles if t and t not in (raw_url, url)), None)
        where = f"“{_shorten(title)}” (line {element.line})" if title else f"Line {element.line}"
        if url is None:
            self.skipped.append(
                f"{where}: {_shorten(raw_url, 60)!r} is not an http or https address."
            )
            return
        if url in self.first_seen:
            self.skipped.append(
                f"{where}: {url} is listed twice; the first one, on line "
                f"{self.first_seen[url]}, was kept."
            )
            return
        self.first_seen[url] = element.line
        site_url = normalize_feed_url(attrs.get("htmlurl", ""))
        self.feeds.append(OpmlFeed(url, title, site_url, folder_path))


def _root_complaint(name: str) -> str:
    if name in ("rss", "rdf", "feed"):
        return (
            "it is a feed, not a list of subscriptions. Subscribe to the feed's address "
            "instead of importing it."
        )
    if name == "html":
        return "it is a web page (XHTML), not a list of subscriptions."
    return f"its top element is <{name}>, where an OPML file has <opml>."


def parse_opml(data: bytes) -> OpmlDocument:
    """Read an OPML subscription list. Raises ``ParseError`` when it is not one.

    Feeds come out in document order with their folder path; each outline that is left out
    (not http(s), no feed address, a repeat) is explained in ``skipped``.
    """
    if len(data) > MAX_OPML_BYTES:
        raise _invalid(f"it is {len(data) // (1024 * 1024)} MB, too large for a subscription list.")
    text = _decode(data)
    _refuse_obvious_non_opml(text)
    root = _parse_xml(_html_entities_as_references(text))
    if root.name != "opml":
        raise _invalid(_root_complaint(root.name))

    head = next((child for child in root.children if child.name == "head"), None)
    title_element = None
    if head is not None:
        title_element = next((child for child in head.children if child.name == "title"), None)
    title = _clean_text("".join(title_element.text)) if title_element is not None else None

    body = next((child for child in root.children if child.name == "body"), None)
    if body is None:
        raise _invalid("it has no <body>, where the subscriptions are listed.")
    collector = _Collector()
    for child in body.children:
        if child.name == "outline":
            collector.outline(child, ())
    return OpmlDocument(title, tuple(collector.feeds), tuple(collector.skipped))


# --- writing --------------------------------------------------------------------------------

_NOT_XML_CHARACTERS = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_safe(text: str) -> str:
    """ElementTree escapes markup but writes control characters as they are: invalid XML."""
    return _NOT_XML_CHARACTERS.sub("", text)


def write_opml(
    feeds: Iterable[OpmlFeed],
    *,
    title: str = "Gloss subscriptions",
    created_at: dt.datetime | None = None,
) -> bytes:
    """An OPML 2.0 file (UTF-8, indented) that other readers import, folders nested.

    Folders and feeds keep the order in which they first appear in ``feeds``.
    """
    created = (created_at or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = _xml_safe(title)
    ET.SubElement(head, "dateCreated").text = format_datetime(created, usegmt=True)
    body = ET.SubElement(root, "body")

    folders: dict[tuple[str, ...], ET.Element] = {(): body}

    def folder(path: tuple[str, ...]) -> ET.Element:
        existing = folders.get(path)
        if existing is not None:
            return existing
        name = _xml_safe(path[-1])
        created_folder = ET.SubElement(folder(path[:-1]), "outline", text=name, title=name)
        folders[path] = created_folder
        return created_folder

    for feed in feeds:
        attrs = {"type": "rss", "text": _xml_safe(feed.title or feed.url)}
        if feed.title:
            attrs["title"] = _xml_safe(feed.title)
        attrs["xmlUrl"] = _xml_safe(feed.url)
        if feed.site_url:
            attrs["htmlUrl"] = _xml_safe(feed.site_url)
        ET.SubElement(folder(feed.folder_path), "outline", attrs)

    ET.indent(root, space="  ")
    document = ET.tostring(root, encoding="unicode")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + document + "\n").encode("utf-8")
