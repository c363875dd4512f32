"""A fast path for well-formed RSS 0.9x/1.0/2.0 and Atom feeds: feedparser's answer, sooner.

feedparser spends most of a refresh's parse time in per-event Python: a SAX callback for every
run of text between two entity references, a ``FeedParserDict`` lookup in each, a deep copy of the
content parameters per element. This module reads the *same bytes* with the *same XML parser*
(expat, with feedparser's own encoding conversion in front) and reproduces, for the keys
``parse.py`` reads, exactly what feedparser's handlers would have stored, quirks included: the
first non-empty title wins, a permalink guid stands in for a missing link, a second description
becomes content, text that looks like UTF-8 read as Latin-1 is repaired, author details are
synced by feedparser's own code. Dates go through feedparser's own date parser.

Exactness comes before coverage. ``read_feed`` returns ``None`` — and ``parse.py`` asks feedparser
— whenever the document has anything this module does not reproduce exactly: malformed XML (which
feedparser reads with its loose parser), a DOCTYPE or entity declarations, ``xml:base``, elements
or attributes in namespaces feedparser does not know, extension elements with handlers of their
own (iTunes, Media RSS, ``<source>``, ``<textinput>``…), child elements inside a text element,
XHTML, base64 or out-of-line content. ``tests/core/test_fastparse.py`` holds the two paths equal on
every fixture, on a generated corpus and on random documents.

The result is a plain-dict subset of feedparser's result: ``version``, ``encoding``, ``bozo``,
``bozo_exception``, ``feed`` and ``entries``, each entry and the feed holding only the keys that
matter to ``parse.py`` (title, title_detail, link, id, author, author_detail, content, summary,
summary_detail, the ``*_parsed`` dates, ttl).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from typing import Any, Final
from xml.parsers import expat

import feedparser.api
import feedparser.datetimes
import feedparser.encodings
import feedparser.html
import feedparser.mixin
import feedparser.sanitizer
import feedparser.urls
import feedparser.util

_Mixin: Any = feedparser.mixin._FeedParserMixin
_parse_date: Callable[[str | None], Any] = feedparser.datetimes._parse_date
_looks_like_html: Callable[[str], bool] = _Mixin.looks_like_html
_urljoin: Callable[[str, str], str] = feedparser.urls._urljoin
_CP1252: Final[dict[int, str]] = feedparser.html._cp1252

# Namespace URI (lowercased) → feedparser's prefix for it ("" for the feed formats themselves).
_NAMESPACES: Final[dict[str, str]] = {
    uri.lower(): prefix for uri, prefix in _Mixin.namespaces.items()
}
_RSS090_NS: Final = "http://my.netscape.com/rdf/simple/0.9/"
_RSS10_NS: Final = "http://purl.org/rss/1.0/"
_ATOM10_NS: Final = "http://www.w3.org/2005/atom"
_USERLAND: Final = "backend.userland.com/rss"

# Element keys (feedparser's "prefix_name") that have a handler of their own in feedparser: any of
# them not emulated below makes the document unsupported.
_HANDLED: Final = frozenset(
    name.split("_", 2)[2]
    for name in dir(feedparser.api.StrictFeedParser)
    if name.startswith(("_start_", "_end_"))
)
# Unprefixed elements that leave feedparser's "inside <image>" flag alone.
_KEEPS_IMAGE: Final = frozenset({"title", "link", "description", "url", "href", "width", "height"})
# feedparser resolves these against the (here always empty) base URI, which only fixes "http:///".
_RELATIVE: Final = frozenset(_Mixin.can_be_relative_uri)
_HTML_TYPES: Final = frozenset(_Mixin.html_types)
_TEXT_TYPES: Final = frozenset({"text/plain", "text/html"})
_COPIED_TO_SUMMARY: Final = frozenset({"text/plain"}) | _HTML_TYPES
# Keys an unknown element must not be stored under: parse.py reads them, or feedparser relies on
# their type (links, tags, authors…), directly or through FeedParserDict's key aliases.
_RESERVED_KEYS: Final = frozenset(
    {
        "link", "links", "id", "guid", "title", "author", "authors", "contributors",
        "content", "summary", "description", "tags", "image", "textinput", "source",
        "publisher", "publishers",
    }
)  # fmt: skip
_QUERY_ENTITY_RE: Final = re.compile("&([A-Za-z0-9_]+);")
_C1_RE: Final = re.compile("[\x80-\x9f]")


class _Unsupported(Exception):
    """The document uses something whose feedparser result this module does not reproduce."""


def read_feed(body: bytes, content_type: str | None) -> dict[str, Any] | None:
    """feedparser's result for ``body`` (the keys parse.py reads), or None to ask feedparser.

    ``content_type`` is the HTTP header, given to feedparser's encoding detection exactly as
    ``parse.py`` gives it to ``feedparser.parse``.
    """
    headers = {"content-type": content_type} if content_type else {}
    result: dict[str, Any] = {"bozo": False}
    data = feedparser.encodings.convert_to_utf8(headers, body, result)
    if not result.get("encoding"):
        return None  # feedparser would use its loose parser
    doctype_version, data, _entities = feedparser.sanitizer.replace_doctype(data)
    if doctype_version:
        return None
    reader = _Reader()
    try:
        reader.parse(data)
    except (_Unsupported, expat.ExpatError):
        return None
    return {
        "bozo": result.get("bozo", False),
        "bozo_exception": result.get("bozo_exception"),
        "encoding": result["encoding"],
        "version": reader.version,
        "feed": reader.feed,
        "entries": reader.entries,
    }


# ---- the emulation ------------------------------------------------------------------------------

_ROOT, _CHANNEL, _ITEM, _IMAGE, _AUTHOR, _CONTRIBUTOR, _TEXT, _GENERIC = range(8)


class _Frame:
    """One open element. ``parts`` collects its text when feedparser would keep that text."""

    __slots__ = ("end", "expecting", "key", "kind", "name", "params", "parts")

    def __init__(
        self,
        kind: int,
        key: str,
        end: Callable[[_Frame], None] | None = None,
        *,
        name: str = "",
        expecting: bool = True,
        params: dict[str, Any] | None = None,
        collect: bool = False,
    ) -> None:
        self.kind = kind
        self.key = key
        self.end = end
        self.name = name  # the name feedparser pushes on its element stack
        self.expecting = expecting
        self.params = params  # feedparser's contentparams, for elements pushed as content
        self.parts: list[str] | None = [] if collect else None


def _text_type(attrs: dict[str, str], default: str) -> str:
    if "mode" in attrs:
        raise _Unsupported("content mode (base64 or escaped)")
    content_type = _Mixin.map_content_type(attrs.get("type", default))
    if content_type not in _TEXT_TYPES:
        raise _Unsupported(f"content type {content_type}")
    return str(content_type)


def _repair(text: str) -> str:
    """feedparser's last steps on every text value: undo UTF-8-read-as-Latin-1, map C1 to cp1252."""
    if text.isascii():
        return text
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        text = text.encode("iso-8859-1").decode("utf-8")
    if _C1_RE.search(text):
        text = text.translate(_CP1252)
    return text


class _Reader:
    """feedparser's strict-parser state machine, for the elements it is sure about."""

    def __init__(self) -> None:
        self.version = ""
        self.feed: dict[str, Any] = {}
        self.entries: list[dict[str, Any]] = []
        self.namespacemap: dict[str | None, str] = {}
        self.frames: list[_Frame] = []
        self.depth = 0
        self.title_depth = -1
        self.infeed = False
        self.inentry = False
        self.inimage = False
        self.inauthor = False
        self.incontributor = False
        self.has_content = False
        self.summary_key: str | None = None
        self.guidislink = False
        self.starts: dict[str, Callable[[str, dict[str, str], int], None]] = {
            "rss": self._start_rss,
            "feed": self._start_feed,
            "channel": self._start_channel,
            "item": self._start_item,
            "entry": self._start_item,
            "image": self._start_image,
            "title": self._start_title,
            "dc_title": self._start_title,
            "link": self._start_link,
            "guid": self._start_guid,
            "id": self._start_guid,
            "description": self._start_description,
            "dc_description": self._start_description,
            "summary": self._start_summary,
            "content": self._start_content,
            "content_encoded": self._start_content_encoded,
            "author": self._start_author,
            "managingeditor": self._start_author,
            "dc_author": self._start_author,
            "dc_creator": self._start_author,
            "contributor": self._start_contributor,
            "name": self._start_author_part,
            "email": self._start_author_part,
            "uri": self._start_url,
            "url": self._start_url,
            "homepage": self._start_url,
            "width": self._start_image_size,
            "height": self._start_image_size,
            "cloud": self._start_inert,
            "enclosure": self._start_inert,
        }
        for key in ("pubdate", "published", "issued", "dcterms_issued"):
            self.starts[key] = self._date_start("published_parsed")
        for key in ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"):
            self.starts[key] = self._date_start("updated_parsed")
        for key in ("created", "dcterms_created"):
            self.starts[key] = self._date_start("created_parsed")
        for key in (
            "category", "dc_subject", "keywords", "language", "dc_language", "webmaster",
            "dc_publisher", "generator", "rights", "copyright", "dc_rights", "subtitle", "tagline",
        ):  # fmt: skip
            self.starts[key] = self._start_ignored_text

    # -- feedparser's own helpers call these two --

    def _get_context(self) -> dict[str, Any]:
        if self.inimage and "image" in self.feed:
            image: dict[str, Any] = self.feed["image"]
            return image
        if self.inentry:
            return self.entries[-1]
        return self.feed

    def _sync_author_detail(self, key: str = "author") -> None:
        _Mixin._sync_author_detail(self, key)

    # -- expat callbacks --

    def parse(self, data: bytes) -> None:
        parser = expat.ParserCreate(None, " ")
        parser.namespace_prefixes = True
        parser.buffer_text = True
        parser.buffer_size = 1 << 20
        parser.StartElementHandler = self._start
        parser.EndElementHandler = self._end
        parser.CharacterDataHandler = self._characters
        parser.StartNamespaceDeclHandler = self._start_namespace
        parser.StartDoctypeDeclHandler = self._doctype
        parser.EntityDeclHandler = self._doctype
        parser.Parse(data, True)
        if not self.version:
            raise _Unsupported("no feed version")

    def _doctype(self, *args: object) -> None:
        raise _Unsupported("DOCTYPE")

    def _start_namespace(self, prefix: str | None, uri: str | None) -> None:
        if not uri:
            return
        lower = uri.lower()
        if not self.version:
            if prefix is None and lower == _RSS090_NS:
                self.version = "rss090"
            elif lower == _RSS10_NS:
                self.version = "rss10"
            elif lower == _ATOM10_NS:
                self.version = "atom10"
        if _USERLAND in lower:
            lower = "http://backend.userland.com/rss"
        if lower in _NAMESPACES:
            self.namespacemap[prefix] = _NAMESPACES[lower]

    def _characters(self, data: str) -> None:
        if self.frames:
            parts = self.frames[-1].parts
            if parts is not None:
                parts.append(data)

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        self.depth += 1
        parent = self.frames[-1].kind if self.frames else -1
        if parent == _TEXT:
            raise _Unsupported("markup inside a text element")
        pieces = name.split()
        if len(pieces) == 1:
            namespace, local = "", pieces[0]
        elif len(pieces) in (2, 3):
            namespace, local = pieces[0], pieces[1]
        else:
            raise _Unsupported("namespace URI with spaces")
        lower_ns = namespace.lower()
        if _USERLAND in lower_ns:
            lower_ns = "http://backend.userland.com/rss"
        standard = _NAMESPACES.get(lower_ns)
        if standard is None:
            raise _Unsupported(f"element in namespace {namespace}")
        local = local.lower()
        if local in ("svg", "math"):
            raise _Unsupported("inline SVG or MathML")
        if standard:
            tag = standard.lower() + ":" + local
            prefix = self.namespacemap.get(standard.lower(), standard.lower())
        else:
            tag, prefix = local, ""
        key = f"{prefix}_{local}" if prefix else local
        attrs = self._attributes(attributes)
        if not prefix and tag not in _KEEPS_IMAGE:
            self.inimage = False
        start = self.starts.get(key)
        if start is None:
            if key in _HANDLED:
                raise _Unsupported(f"<{key}> has its own feedparser handler")
            start = self._start_generic
        start(key, attrs, parent)

    def _end(self, name: str) -> None:
        frame = self.frames.pop()
        if frame.end is not None:
            frame.end(frame)
        self.depth -= 1

    def _attributes(self, attributes: dict[str, str]) -> dict[str, str]:
        """Attributes as feedparser's strict parser keys them: lowercased, known prefixes."""
        attrs: dict[str, str] = {}
        qualified: list[tuple[str, str]] = []
        for raw_name, value in attributes.items():
            pieces = raw_name.split()
            if len(pieces) == 1:
                attrs[raw_name.lower()] = value
                continue
            if len(pieces) != 3:
                raise _Unsupported("attribute in a default namespace")
            standard = _NAMESPACES.get(pieces[0].lower())
            if standard not in ("xml", "rdf"):
                raise _Unsupported(f"attribute in namespace {pieces[0]}")
            attrs[f"{standard}:{pieces[1]}".lower()] = value
            qualified.append((f"{pieces[2]}:{pieces[1]}".lower(), value))
        for qname, value in qualified:
            attrs[qname] = value
        if "base" in attrs or "xml:base" in attrs:
            raise _Unsupported("xml:base")
        for normalized in ("rel", "type"):
            if normalized in attrs:
                attrs[normalized] = attrs[normalized].lower()
        return attrs

    # -- feedparser's pop(): the value of a text element, and where it is stored --

    def _pop(self, frame: _Frame) -> str:
        element = frame.name
        output = "".join(frame.parts or ()).strip()
        if not frame.expecting:
            return output
        if element in _RELATIVE and output and (element != "id" or self.guidislink):
            output = _urljoin("", output)
        params = frame.params
        if (
            params is not None
            and not self.version.startswith("atom")
            and params["type"] == "text/plain"
            and _looks_like_html(output)
        ):
            params["type"] = "text/html"
        output = _repair(output)
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry:
            entry = self.entries[-1]
            if element == "content":
                assert params is not None
                entry.setdefault("content", []).append({**params, "value": output})
            elif element == "link":
                if not self.inimage:
                    output = _QUERY_ENTITY_RE.sub(r"&\g<1>", output.replace("&amp;", "&"))
                    entry["link"] = output
            else:
                if element == "description":
                    element = "summary"
                entry[element] = output
                if params is not None:
                    entry[element + "_detail"] = {**params, "value": output}
        elif self.infeed:
            context = self._get_context()
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                output = _QUERY_ENTITY_RE.sub(r"&\g<1>", output)
                context["link"] = output
            elif params is not None:
                context[element + "_detail"] = {**params, "value": output}
        return output

    def _push(self, frame: _Frame) -> None:
        self.frames.append(frame)

    def _expecting(self) -> bool:
        return self.infeed or self.inentry

    def _require(self, parent: int, *allowed: int) -> None:
        if parent not in allowed:
            raise _Unsupported("element in an unexpected place")

    def _field(self, parent: int) -> None:
        self._require(parent, _CHANNEL, _ITEM, _ROOT)
        if parent == _ROOT and self.frames[-1].key != "feed":
            raise _Unsupported("field outside the channel")

    def _content_params(self, attrs: dict[str, str], default: str) -> dict[str, Any]:
        return {"type": _text_type(attrs, default), "base": ""}

    # -- containers --

    def _start_rss(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, -1)
        if not self.version.startswith("rss"):
            declared = attrs.get("version", "")
            versions = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
            if declared in versions:
                self.version = versions[declared]
            elif declared.startswith("2."):
                self.version = "rss20"
            else:
                self.version = "rss"
        self._push(_Frame(_ROOT, key))

    def _start_feed(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, -1)
        self.infeed = True
        if not self.version:
            versions = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}
            self.version = versions.get(attrs.get("version", ""), "atom")
        self._push(_Frame(_ROOT, key, self._end_container))

    def _end_container(self, frame: _Frame) -> None:
        self.infeed = False

    def _start_channel(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _ROOT)
        if self.frames[-1].key == "feed" or "lastmod" in attrs or "href" in attrs:
            raise _Unsupported("channel in an unexpected place or with CDF attributes")
        self.infeed = True
        self._push(_Frame(_CHANNEL, key, self._end_container))

    def _start_item(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _CHANNEL, _ROOT)
        if self.frames[-1].key == "rss" or "lastmod" in attrs or "href" in attrs:
            raise _Unsupported("item in an unexpected place or with CDF attributes")
        entry: dict[str, Any] = {}
        self.entries.append(entry)
        self.inentry = True
        self.guidislink = False
        self.title_depth = -1
        prefix = self.namespacemap.get("rdf", "rdf")
        about = attrs.get(f"{prefix}:about")
        if about:
            entry["id"] = about
        self._push(_Frame(_ITEM, key, self._end_item))

    def _end_item(self, frame: _Frame) -> None:
        self.inentry = False
        self.has_content = False

    def _start_image(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _CHANNEL, _ROOT)
        if self.frames[-1].key != "rdf_rdf" and parent == _ROOT:
            raise _Unsupported("image outside the channel")
        self._get_context().setdefault("image", {})
        self.inimage = True
        self.title_depth = -1
        self._push(_Frame(_IMAGE, key, self._end_image))

    def _end_image(self, frame: _Frame) -> None:
        self.inimage = False

    def _start_generic(self, key: str, attrs: dict[str, str], parent: int) -> None:
        """An element feedparser has no handler for: stored under its own name, never read."""
        if parent == -1:
            if key != "rdf_rdf":
                raise _Unsupported(f"root element <{key}>")
            self._push(_Frame(_ROOT, key))
            return
        if key in _RESERVED_KEYS or key.endswith(("_detail", "_parsed")):
            raise _Unsupported(f"unknown element <{key}> under a reserved key")
        if key == "ttl":
            self._require(parent, _CHANNEL, _ITEM, _ROOT, _IMAGE)
            if attrs:  # feedparser files an element with attributes under its name, as a dict
                self._get_context()["ttl"] = dict(attrs)
                self._push(_Frame(_GENERIC, key))
            else:
                self._push(_Frame(_TEXT, key, self._end_pop, name=key, collect=True))
            return
        self._require(parent, _CHANNEL, _ITEM, _ROOT, _IMAGE, _GENERIC)
        self._push(_Frame(_GENERIC, key))

    def _end_pop(self, frame: _Frame) -> None:
        """Elements whose end does nothing but feedparser's pop()."""
        self._pop(frame)

    def _start_inert(self, key: str, attrs: dict[str, str], parent: int) -> None:
        """Elements feedparser files away without pushing them (enclosures, clouds)."""
        self._field(parent)
        self._push(_Frame(_TEXT, key))

    def _start_ignored_text(self, key: str, attrs: dict[str, str], parent: int) -> None:
        """Text elements whose values land only under keys parse.py never reads."""
        self._field(parent)
        self._push(_Frame(_TEXT, key))

    # -- text elements --

    def _start_title(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _CHANNEL, _ITEM, _ROOT, _IMAGE)
        if parent == _ROOT and self.frames[-1].key != "feed":
            raise _Unsupported("title outside the channel")
        params = self._content_params(attrs, "text/plain")
        frame = _Frame(
            _TEXT,
            key,
            self._end_title,
            name="title",
            expecting=self._expecting(),
            params=params,
            collect=True,
        )
        self._push(frame)

    def _end_title(self, frame: _Frame) -> None:
        if self._pop(frame):
            self.title_depth = self.depth

    def _start_link(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _CHANNEL, _ITEM, _ROOT, _IMAGE)
        if parent == _ROOT and self.frames[-1].key != "feed":
            raise _Unsupported("link outside the channel")
        attrs = dict(attrs)
        attrs.setdefault("rel", "alternate")
        attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
        href = attrs.get("url", attrs.get("uri", attrs.get("href")))
        if href:
            attrs.pop("url", None)
            attrs.pop("uri", None)
            attrs["href"] = href
        if "href" in attrs:
            href = _urljoin("", attrs["href"])
            is_html = _Mixin.map_content_type(attrs["type"]) in _HTML_TYPES
            if attrs["rel"] == "alternate" and is_html:
                self._get_context()["link"] = href
            self._push(_Frame(_TEXT, key))
        else:
            frame = _Frame(
                _TEXT, key, self._end_pop, name="link", expecting=self._expecting(), collect=True
            )
            self._push(frame)

    def _start_guid(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._field(parent)
        self.guidislink = attrs.get("ispermalink", "true") == "true"
        self._push(_Frame(_TEXT, key, self._end_guid, name="id", collect=True))

    def _end_guid(self, frame: _Frame) -> None:
        value = self._pop(frame)
        if self.guidislink:
            self._get_context().setdefault("link", value)

    def _start_description(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _CHANNEL, _ITEM, _ROOT, _IMAGE)
        if parent == _ROOT and self.frames[-1].key != "feed":
            raise _Unsupported("description outside the channel")
        if not self.inentry:
            self._push(_Frame(_TEXT, key))  # the feed's subtitle: never read
            return
        if "summary" in self._get_context() and not self.has_content:
            self.summary_key = "content"
            self._push_content(key, attrs, "text/plain", self._end_description)
        else:
            params = self._content_params(attrs, "text/html")
            frame = _Frame(
                _TEXT,
                key,
                self._end_description,
                name="description",
                expecting=self._expecting(),
                params=params,
                collect=True,
            )
            self._push(frame)

    def _end_description(self, frame: _Frame) -> None:
        if self.summary_key == "content":
            self._end_content(frame)
        else:
            self._pop(frame)
        self.summary_key = None

    def _start_summary(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _ITEM)
        if "summary" in self._get_context() and not self.has_content:
            self.summary_key = "content"
            self._push_content(key, attrs, "text/plain", self._end_summary)
        else:
            self.summary_key = "summary"
            params = self._content_params(attrs, "text/plain")
            frame = _Frame(
                _TEXT, key, self._end_summary, name="summary", params=params, collect=True
            )
            self._push(frame)

    def _end_summary(self, frame: _Frame) -> None:
        if self.summary_key == "content":
            self._end_content(frame)
        else:
            frame.name = self.summary_key or "summary"
            self._pop(frame)
        self.summary_key = None

    def _start_content(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _ITEM)
        self._push_content(key, attrs, "text/plain", self._end_content)

    def _start_content_encoded(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _ITEM)
        self.has_content = True
        params = self._content_params(attrs, "text/html")
        self._push(
            _Frame(_TEXT, key, self._end_content, name="content", params=params, collect=True)
        )

    def _push_content(
        self, key: str, attrs: dict[str, str], default: str, end: Callable[[_Frame], None]
    ) -> None:
        """feedparser's _start_content (Atom content, or a description that came second)."""
        if attrs.get("src"):
            raise _Unsupported("out-of-line content")
        self.has_content = True
        params = self._content_params(attrs, default)
        self._push(_Frame(_TEXT, key, end, name="content", params=params, collect=True))

    def _end_content(self, frame: _Frame) -> None:
        assert frame.params is not None
        copy_to_summary = frame.params["type"] in _COPIED_TO_SUMMARY
        frame.name = "content"
        value = self._pop(frame)
        if copy_to_summary:
            self._get_context().setdefault("summary", value)

    def _date_start(self, target: str) -> Callable[[str, dict[str, str], int], None]:
        def start(key: str, attrs: dict[str, str], parent: int) -> None:
            self._field(parent)

            def end(frame: _Frame) -> None:
                self._get_context()[target] = _parse_date(self._pop(frame))

            self._push(_Frame(_TEXT, key, end, name=target.split("_")[0], collect=True))

        return start

    # -- authors: feedparser's own helpers do the syncing --

    def _start_author(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._field(parent)
        self.inauthor = True
        self._get_context().setdefault("authors", []).append(feedparser.util.FeedParserDict())
        self._push(_Frame(_AUTHOR, key, self._end_author, name="author", collect=True))

    def _end_author(self, frame: _Frame) -> None:
        self._pop(frame)
        self.inauthor = False
        self._sync_author_detail()

    def _start_contributor(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._field(parent)
        self.incontributor = True
        self._push(_Frame(_CONTRIBUTOR, key, self._end_contributor))

    def _end_contributor(self, frame: _Frame) -> None:
        self.incontributor = False

    def _start_author_part(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _AUTHOR, _CONTRIBUTOR)
        frame = _Frame(_TEXT, key, self._end_author_part, name=key, expecting=False, collect=True)
        self._push(frame)

    def _end_author_part(self, frame: _Frame) -> None:
        value = self._pop(frame)
        if self.inauthor:
            _Mixin._save_author(self, frame.name, value)

    def _start_url(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _AUTHOR, _CONTRIBUTOR, _IMAGE)
        self._push(_Frame(_TEXT, key, self._end_url, name="href", collect=True))

    def _end_url(self, frame: _Frame) -> None:
        value = self._pop_href(frame)
        if self.inauthor:
            _Mixin._save_author(self, "href", value)

    def _pop_href(self, frame: _Frame) -> str:
        """pop('href'): processed like any text, then stored under a key nobody reads."""
        output = "".join(frame.parts or ()).strip()
        if output:
            output = _urljoin("", output)
        return _repair(output)

    def _start_image_size(self, key: str, attrs: dict[str, str], parent: int) -> None:
        self._require(parent, _IMAGE)
        self._push(_Frame(_TEXT, key))
