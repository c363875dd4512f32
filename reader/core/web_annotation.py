"""Highlights and notes in and out as W3C Web Annotations (https://www.w3.org/TR/annotation-model/).

This is what keeps a user's annotations from being locked into one library file: the export is
a standard ``AnnotationCollection`` that any Web Annotation consumer understands, and importing
it into another Gloss library that holds the same articles (a new computer, a fresh
subscription) brings back every highlight, colour, tag and note. Everything here is pure: the
library matches articles and writes rows; this module only turns records into JSON and back.

Shape of an export (one embedded page, as the model allows):

- the collection carries ``gloss:formatVersion`` so an older Gloss refuses a file it would
  misread, ``gloss:labels`` (the user's names for the colours), and ``gloss:tombstones``;
- each highlight is an ``Annotation`` with motivation ``highlighting``; its target is the
  article's link with a ``TextQuoteSelector`` (the truth) and a ``TextPositionSelector`` (a hint,
  in code points of Gloss's canonical text); its bodies are the note (``commenting``,
  ``text/markdown``), one ``tagging`` body per tag, and the colour as a ``classifying`` body;
- an article note has motivation ``commenting`` and targets the article alone;
- facts only Gloss uses live under the ``gloss:`` prefix (declared in the JSON-LD context, an
  identifier that is never fetched): article title, feed URL, entry key, publication date,
  deletion time and last anchor status. A generic consumer ignores them and still reads the
  core.

Choices worth knowing:

- Deleted annotations (tombstones, reliability.md A6) travel in ``gloss:tombstones`` rather
  than in the page's ``items``: another Gloss must learn of the deletion so that a merge does not
  bring the highlight back, but a generic consumer must not show it as live.
- An article without a link is targeted as ``urn:gloss:article:<feed URL>:<entry key>`` (both
  percent-encoded): the pair Gloss already uses to recognise an entry across fetches.
- Annotations from other tools are accepted when they quote their passage; without a Gloss
  identifier they get a UUID derived from their own id (or content), so importing the same file
  twice updates instead of duplicating.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import functools
import json
import re
import reprlib
import uuid as uuidlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from reader.core.errors import GlossError
from reader.core.types import DEFAULT_HIGHLIGHT_COLOR, HIGHLIGHT_COLORS, AnchorStatus

FORMAT_VERSION = 1
"""Bump when a change would make an older Gloss misread a file; older versions then refuse it."""

W3C_CONTEXT = "http://www.w3.org/ns/anno.jsonld"
GLOSS_NAMESPACE = "https://gloss.invalid/ns#"
ARTICLE_URN_PREFIX = "urn:gloss:article:"

MAX_BYTES = 256 * 1024 * 1024
"""About 150,000 highlights with notes (measured: 100,000 take 176 MB); reading that many takes
about 2 GB of memory, and a file larger than this is not a personal annotation set."""

MAX_ITEMS = 1_000_000

MAX_POSITION = 1_000_000_000
"""No article's text is a billion code points; larger positions would overflow SQLite's integers."""

KIND_HIGHLIGHT = "highlight"
KIND_NOTE = "note"

_ANNOTATION_TYPES = frozenset({"Annotation", "oa:Annotation"})
_ANCHOR_VALUES = frozenset(status.value for status in AnchorStatus)
_GLOSS_UUID_NAMESPACE = uuidlib.UUID("8f0c5b8e-4c1f-5a57-9d1e-6a6c6f737331")


class AnnotationFormatError(GlossError):
    """An annotation file that cannot be imported at all; nothing from it was imported."""


@dataclass(frozen=True, slots=True)
class ArticleRef:
    """How another library finds the same article: by link first, else feed and entry key."""

    url: str | None  # the article's link (http/https): the W3C target source
    title: str
    feed_url: str | None
    key: str | None  # Gloss's stable entry key within its feed
    published: dt.datetime | None


@dataclass(frozen=True, slots=True)
class AnnotationRecord:
    uuid: str
    kind: str  # KIND_HIGHLIGHT | KIND_NOTE (an article note)
    article: ArticleRef
    quote: str | None  # highlight only
    prefix: str | None
    suffix: str | None
    start: int | None  # code points in Gloss canonical text (TextPositionSelector)
    end: int | None
    color: str | None  # one of HIGHLIGHT_COLORS for a highlight; None for a note
    body: str | None  # the note, Markdown
    tags: tuple[str, ...]
    created: dt.datetime
    modified: dt.datetime
    deleted: dt.datetime | None  # tombstone (A6)
    anchor: str | None  # last known AnchorStatus value, informative


@dataclass(frozen=True)
class ParsedCollection:
    records: tuple[AnnotationRecord, ...]
    labels: dict[str, str]  # colour → the user's name for it
    skipped: tuple[str, ...]  # why each annotation that is not in ``records`` was left out


# --- text hygiene -------------------------------------------------------------------------------

_LINE_BREAKS = re.compile(r"\r\n?")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATES = re.compile("[\ud800-\udfff]")


def clean_text(value: str) -> str:
    """Text that may span lines (quotes, notes): control characters go, line breaks become ``\\n``.

    Lone surrogates (which JSON's ``\\ud800`` escapes can produce) become U+FFFD: SQLite and every
    UTF-8 writer would otherwise fail on them later, far from here.
    """
    value = _SURROGATES.sub("\ufffd", value)
    value = _LINE_BREAKS.sub("\n", value)
    return _CONTROLS.sub("", value)


def clean_line(value: str) -> str:
    """One-line text (titles, keys, tags): ``clean_text`` with tabs and line breaks as spaces."""
    return clean_text(value).replace("\n", " ").replace("\t", " ")


def _clean_tags(tags: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for tag in tags:
        cleaned = clean_line(tag).strip()
        if cleaned:
            seen.setdefault(cleaned, None)
    return tuple(seen)


def _is_web_url(value: str) -> bool:
    return value[:8].lower().startswith(("http://", "https://"))


# --- writing ------------------------------------------------------------------------------------


def _iso(value: dt.datetime) -> str:
    """``YYYY-MM-DDTHH:MM:SS[.ffffff]Z``: the model wants UTC with a Z; sub-seconds survive."""
    if value.tzinfo is None:
        raise ValueError("naive datetime in an annotation; every time in Gloss is UTC-aware")
    utc = value.astimezone(dt.UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def article_iri(article: ArticleRef) -> str:
    """The target source: the article's link, else a Gloss URN from its feed and entry key."""
    if article.url and _is_web_url(article.url):
        return clean_line(article.url)
    feed = quote(clean_line(article.feed_url or ""), safe="")
    key = quote(clean_line(article.key or ""), safe="")
    return f"{ARTICLE_URN_PREFIX}{feed}:{key}"


def _annotation(record: AnnotationRecord) -> dict[str, Any]:
    if record.kind not in (KIND_HIGHLIGHT, KIND_NOTE):
        raise ValueError(f"unknown annotation kind {record.kind!r}")
    bodies: list[dict[str, Any]] = []
    if record.body is not None:
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "commenting",
                "format": "text/markdown",
                "value": clean_text(record.body),
            }
        )
    bodies.extend(
        {"type": "TextualBody", "purpose": "tagging", "value": tag}
        for tag in _clean_tags(record.tags)
    )
    if record.kind == KIND_NOTE and record.body is None:
        raise ValueError(f"article note {record.uuid} has no body")
    target: dict[str, Any] = {"source": article_iri(record.article)}
    if record.kind == KIND_HIGHLIGHT:
        if record.quote is None:
            raise ValueError(f"highlight {record.uuid} has no quote")
        quote_selector: dict[str, Any] = {
            "type": "TextQuoteSelector",
            "exact": clean_text(record.quote),
        }
        if record.prefix is not None:
            quote_selector["prefix"] = clean_text(record.prefix)
        if record.suffix is not None:
            quote_selector["suffix"] = clean_text(record.suffix)
        selectors = [quote_selector]
        if record.start is not None and record.end is not None:
            selectors.append(
                {"type": "TextPositionSelector", "start": record.start, "end": record.end}
            )
        target["selector"] = selectors
        bodies.append(
            {
                "type": "TextualBody",
                "purpose": "classifying",
                "value": record.color or DEFAULT_HIGHLIGHT_COLOR,
            }
        )
    item: dict[str, Any] = {
        "id": f"urn:uuid:{uuidlib.UUID(record.uuid)}",
        "type": "Annotation",
        "motivation": "highlighting" if record.kind == KIND_HIGHLIGHT else "commenting",
        "created": _iso(record.created),
        "modified": _iso(record.modified),
        "body": bodies,
        "target": target,
        "gloss:articleTitle": clean_line(record.article.title),
    }
    if record.article.feed_url is not None:
        item["gloss:feedUrl"] = clean_line(record.article.feed_url)
    if record.article.key is not None:
        item["gloss:entryKey"] = clean_line(record.article.key)
    if record.article.published is not None:
        item["gloss:published"] = _iso(record.article.published)
    if record.deleted is not None:
        item["gloss:deleted"] = _iso(record.deleted)
    if record.anchor is not None:
        item["gloss:anchor"] = record.anchor
    return item


def to_collection(
    records: Iterable[AnnotationRecord],
    *,
    labels: Mapping[str, str],
    generator_version: str,
    now: dt.datetime,
) -> dict[str, Any]:
    """The whole annotation set as one ``AnnotationCollection``, live items in creation order.

    Raises ``ValueError`` for records no library could have produced (naive times, an unknown
    kind, a highlight without a quote): those are bugs upstream, not user data to paper over.
    """
    ordered = sorted(records, key=lambda r: (r.created, r.uuid))
    live = [_annotation(r) for r in ordered if r.deleted is None]
    tombstones = [_annotation(r) for r in ordered if r.deleted is not None]
    generated = _iso(now)
    collection_uuid = uuidlib.uuid5(_GLOSS_UUID_NAMESPACE, f"collection {generated}")
    collection: dict[str, Any] = {
        "@context": [W3C_CONTEXT, {"gloss": GLOSS_NAMESPACE}],
        "id": f"urn:uuid:{collection_uuid}",
        "type": "AnnotationCollection",
        "label": "Gloss highlights and notes",
        "generator": {"type": "Software", "name": f"Gloss {generator_version}"},
        "generated": generated,
        "total": len(live),
        "gloss:formatVersion": FORMAT_VERSION,
        "gloss:labels": {
            color: clean_line(label).strip()
            for color, label in labels.items()
            if clean_line(label).strip()
        },
        "gloss:tombstones": tombstones,
    }
    if live:  # the model: a page has one or more items, so an empty collection has none
        collection["first"] = {
            "id": f"urn:uuid:{uuidlib.uuid5(collection_uuid, 'page 1')}",
            "type": "AnnotationPage",
            "startIndex": 0,
            "items": live,
        }
    return collection


_HEAD_KEYS = (
    "@context",
    "id",
    "type",
    "label",
    "motivation",
    "purpose",
    "format",
    "value",
    "created",
    "modified",
    "generator",
    "generated",
    "name",
    "total",
    "startIndex",
    "exact",
    "prefix",
    "suffix",
    "start",
    "end",
    "source",
)
_TAIL_KEYS = ("selector", "body", "target", "first", "items", "gloss:tombstones")


@functools.lru_cache(maxsize=512)
def _key_rank(key: str) -> tuple[int, int, str]:
    """Identity first, then plain facts, then Gloss's, then the long nested parts."""
    if key in _HEAD_KEYS:
        return 0, _HEAD_KEYS.index(key), key
    if key in _TAIL_KEYS:
        return 3, _TAIL_KEYS.index(key), key
    return (2 if key.startswith("gloss:") else 1), 0, key


def _ordered(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _ordered(value[k]) for k in sorted(value, key=lambda k: _key_rank(str(k)))}
    if isinstance(value, list):
        return [_ordered(v) for v in value]
    return value


def dumps(collection: dict[str, Any]) -> bytes:
    """UTF-8 JSON with a fixed key order and one key per line, so two exports diff cleanly."""
    text = json.dumps(_ordered(collection), ensure_ascii=False, indent=2, allow_nan=False)
    return (text + "\n").encode("utf-8")


# --- reading ------------------------------------------------------------------------------------


class _Skip(Exception):
    """One annotation cannot be imported; the message says why, in the user's terms."""


def _invalid(reason: str) -> AnnotationFormatError:
    return AnnotationFormatError(f"Not a usable annotation file: {reason}. Nothing was imported.")


def _as_list(value: object) -> list[object]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _types(node: Mapping[str, object]) -> set[str]:
    raw = node.get("type", node.get("@type"))
    return {t for t in _as_list(raw) if isinstance(t, str)}


def _node_id(node: Mapping[str, object]) -> str | None:
    raw = node.get("id", node.get("@id"))
    return raw if isinstance(raw, str) and raw else None


def _parse_time(value: object) -> dt.datetime:
    """An ISO 8601 time as UTC; one without an offset is taken as UTC, as the model requires."""
    if not isinstance(value, str):
        raise ValueError(value)
    parsed = dt.datetime.fromisoformat(value.strip())
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _time_field(node: Mapping[str, object], key: str, what: str) -> dt.datetime | None:
    if key not in node or node[key] is None:
        return None
    try:
        return _parse_time(node[key])
    except (ValueError, OverflowError):
        raise _Skip(f"its {what} {_show(node[key])} is not a date") from None


_SHORT = reprlib.Repr()
_SHORT.maxstring = 60
_SHORT.maxother = 60
_SHORT.maxlevel = 2  # a deeply nested value must not cost a recursion error in a message


def _show(value: object) -> str:
    return _SHORT.repr(value)


def _record_uuid(node: Mapping[str, object], fingerprint: str) -> str:
    """Our own ``urn:uuid:`` ids come back as is; anything else maps to a stable UUID."""
    ident = _node_id(node)
    if ident is not None and ident.lower().startswith("urn:uuid:"):
        try:
            return str(uuidlib.UUID(ident[9:]))
        except ValueError:
            pass
    return str(uuidlib.uuid5(_GLOSS_UUID_NAMESPACE, ident or fingerprint))


def _optional_line(node: Mapping[str, object], key: str) -> str | None:
    value = node.get(key)
    return clean_line(value) if isinstance(value, str) else None


def _article(item: Mapping[str, object], source: str) -> ArticleRef:
    url: str | None = None
    feed_url = _optional_line(item, "gloss:feedUrl")
    key = _optional_line(item, "gloss:entryKey")
    if _is_web_url(source):
        url = clean_line(source.strip())
    elif source.startswith(ARTICLE_URN_PREFIX):
        urn_feed, _, urn_key = source[len(ARTICLE_URN_PREFIX) :].partition(":")
        feed_url = feed_url if feed_url is not None else clean_line(unquote(urn_feed)) or None
        key = key if key is not None else clean_line(unquote(urn_key)) or None
    elif feed_url is None or key is None:
        raise _Skip(
            f"it annotates {_show(source)}, which is not a web address; Gloss finds articles by "
            "their link"
        )
    title = _optional_line(item, "gloss:articleTitle") or ""
    if url is None and feed_url is None and key is None and not title:
        raise _Skip("nothing in it says which article it belongs to")
    try:
        published = _time_field(item, "gloss:published", "publication date")
    except _Skip:
        published = None  # only a matching hint: a bad one must not cost the highlight
    return ArticleRef(url=url, title=title, feed_url=feed_url, key=key, published=published)


def _target(item: Mapping[str, object]) -> tuple[str, list[Mapping[str, object]]]:
    targets = _as_list(item.get("target"))
    if not targets:
        raise _Skip("it has no target, so there is no article to attach it to")
    if len(targets) > 1:
        raise _Skip(
            f"it points at {len(targets)} targets; a Gloss annotation belongs to one article"
        )
    target = targets[0]
    source: object
    selectors: list[Mapping[str, object]] = []
    if isinstance(target, str):
        source = target
    elif isinstance(target, dict):
        source = target.get("source")
        if isinstance(source, dict):
            source = _node_id(source)
        elif source is None:
            source = _node_id(target)
        selectors = [s for s in _as_list(target.get("selector")) if isinstance(s, dict)]
    else:
        raise _Skip("its target is neither an address nor an object")
    if not isinstance(source, str) or not source.strip():
        raise _Skip("its target has no source address")
    return source.strip(), selectors


def _first_selector(
    selectors: list[Mapping[str, object]], kind: str
) -> Mapping[str, object] | None:
    return next((s for s in selectors if kind in _types(s)), None)


def _position(selector: Mapping[str, object] | None) -> tuple[int | None, int | None]:
    """Positions are hints: an unusable pair is dropped and the quote alone places the highlight."""
    if selector is None:
        return None, None
    start, end = selector.get("start"), selector.get("end")
    if (
        isinstance(start, int)
        and isinstance(end, int)
        and not isinstance(start, bool)
        and not isinstance(end, bool)
        and 0 <= start <= end <= MAX_POSITION
    ):
        return start, end
    return None, None


@dataclass(slots=True)
class _Bodies:
    notes: list[str]
    tags: list[str]
    color: str | None


def _bodies(item: Mapping[str, object]) -> _Bodies:
    found = _Bodies(notes=[], tags=[], color=None)
    body_value = item.get("bodyValue")
    if isinstance(body_value, str):
        found.notes.append(clean_text(body_value))
    for body in _as_list(item.get("body")):
        if not isinstance(body, dict):
            continue  # a body that is only an IRI: an external resource, nothing to carry over
        value = body.get("value")
        if not isinstance(value, str):
            continue
        purposes = {p for p in _as_list(body.get("purpose")) if isinstance(p, str)}
        if "tagging" in purposes:
            found.tags.append(value)
        elif "classifying" in purposes:
            color = value.strip().lower()
            if color in HIGHLIGHT_COLORS and found.color is None:
                found.color = color
            elif color not in HIGHLIGHT_COLORS:
                found.tags.append(value)  # another tool's classification: kept, as a tag
        else:
            found.notes.append(clean_text(value))
    return found


def _read_item(raw: object, *, fallback_time: dt.datetime, tombstone: bool) -> AnnotationRecord:
    if not isinstance(raw, dict):
        raise _Skip("it is not an annotation object")
    types = _types(raw)
    if types and not types & _ANNOTATION_TYPES:
        raise _Skip(f"it is a {', '.join(sorted(types))}, not an Annotation")
    source, selectors = _target(raw)
    article = _article(raw, source)
    bodies = _bodies(raw)
    note = "\n\n".join(bodies.notes) if bodies.notes else None

    quote_selector = _first_selector(selectors, "TextQuoteSelector")
    quote = prefix = suffix = None
    start = end = None
    if quote_selector is not None:
        exact = quote_selector.get("exact")
        if not isinstance(exact, str) or not clean_text(exact):
            raise _Skip("its TextQuoteSelector quotes no text")
        quote = clean_text(exact)
        raw_prefix, raw_suffix = quote_selector.get("prefix"), quote_selector.get("suffix")
        prefix = clean_text(raw_prefix) if isinstance(raw_prefix, str) else None
        suffix = clean_text(raw_suffix) if isinstance(raw_suffix, str) else None
        start, end = _position(_first_selector(selectors, "TextPositionSelector"))
        kind = KIND_HIGHLIGHT
    elif selectors:
        kinds = sorted({t for s in selectors for t in _types(s)}) or ["an untyped selector"]
        raise _Skip(
            f"it marks a passage without quoting it (only {', '.join(kinds)}); Gloss places "
            "highlights by their words"
        )
    elif note is not None:
        kind = KIND_NOTE
    else:
        raise _Skip("it has neither a quoted passage nor a note")

    created = _time_field(raw, "created", "creation date")
    modified = _time_field(raw, "modified", "modification date")
    created = created or modified or fallback_time
    modified = modified or created
    deleted = _time_field(raw, "gloss:deleted", "deletion date")
    if tombstone and deleted is None:
        raise _Skip("it is listed as deleted but has no deletion date")
    anchor = raw.get("gloss:anchor")
    fingerprint = "\x1f".join(
        [source, kind, quote or "", prefix or "", str(start), _iso(created), note or ""]
    )
    return AnnotationRecord(
        uuid=_record_uuid(raw, fingerprint),
        kind=kind,
        article=article,
        quote=quote,
        prefix=prefix,
        suffix=suffix,
        start=start,
        end=end,
        color=(bodies.color or DEFAULT_HIGHLIGHT_COLOR) if kind == KIND_HIGHLIGHT else None,
        body=note,
        tags=_clean_tags(bodies.tags),
        created=created,
        modified=modified,
        deleted=deleted,
        anchor=anchor if isinstance(anchor, str) and anchor in _ANCHOR_VALUES else None,
    )


class _RefusedConstant(ValueError):
    pass


def _refuse_constant(name: str) -> object:
    raise _RefusedConstant(name)


def _decode(data: bytes) -> str:
    """UTF-8 as JSON requires, tolerating a BOM and the UTF-16/32 that some Windows tools write."""
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    encoding = json.detect_encoding(data)
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as err:
        raise _invalid(
            f"it is not UTF-8 text (unreadable bytes at position {err.start:,})"
        ) from None


def _load(data: bytes) -> object:
    if len(data) > MAX_BYTES:
        raise _invalid(
            f"it is {len(data) / 1024 / 1024:,.0f} MB; Gloss reads annotation files of up to "
            f"{MAX_BYTES // 1024 // 1024} MB"
        )
    text = _decode(data)
    if not text.strip():
        raise _invalid("the file is empty")
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as err:
        raise _invalid(
            f"it is not JSON ({err.msg} at line {err.lineno}, column {err.colno})"
        ) from None
    except _RefusedConstant as err:
        raise _invalid(f"it holds {err}, which is not a JSON number") from None
    except RecursionError:
        raise _invalid("it is nested too deeply to be an annotation file") from None
    except ValueError as err:  # e.g. an integer with more digits than Python will convert
        raise _invalid(f"it holds a value Gloss cannot read ({err})") from None


def _check_version(document: Mapping[str, object]) -> None:
    version = document.get("gloss:formatVersion")
    if version is None:
        return
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _invalid(f"its Gloss format version {_show(version)} is not a version number")
    if version > FORMAT_VERSION:
        raise AnnotationFormatError(
            f"This annotation file was written by a newer Gloss (format {version}); this Gloss "
            f"reads format {FORMAT_VERSION}. Update Gloss to import it. Nothing was imported."
        )


def _page_items(page: Mapping[str, object]) -> list[object]:
    items = page.get("items")
    if not isinstance(items, list):
        raise _invalid("its annotation page has no list of items")
    return items


def _collection_items(collection: Mapping[str, object]) -> list[object]:
    page: object = collection.get("first")
    items: list[object] = []
    while page is not None:
        if isinstance(page, str):
            raise _invalid(
                f"only part of the collection is in this file; the page at {_show(page)} is "
                "linked, not included"
            )
        if not isinstance(page, dict):
            raise _invalid("one of its annotation pages is not an object")
        items.extend(_page_items(page))
        if len(items) > MAX_ITEMS:
            return items  # the caller refuses it; a "cut short" message would mislead
        page = page.get("next")
    total = collection.get("total")
    if isinstance(total, int) and not isinstance(total, bool) and total != len(items):
        raise _invalid(
            f"it says it holds {total:,} annotations but {len(items):,} are in it; "
            "it may have been cut short"
        )
    return items


def _top_level(document: object) -> tuple[list[object], Mapping[str, object]]:
    """The annotations of any shape other tools write: collection, page, list or one annotation."""
    if isinstance(document, list):
        return document, {}
    if not isinstance(document, dict):
        kind = {str: "string", int: "number", float: "number", bool: "boolean"}.get(
            type(document), "null"
        )
        raise _invalid(
            f"its top level is a JSON {kind}; expected an AnnotationCollection, an "
            "AnnotationPage or a list of annotations"
        )
    _check_version(document)
    types = _types(document)
    if "AnnotationCollection" in types or (not types and "first" in document):
        return _collection_items(document), document
    if "AnnotationPage" in types or (not types and "items" in document):
        return _page_items(document), document
    if types & _ANNOTATION_TYPES or (not types and "target" in document):
        return [document], document
    described = f"a {', '.join(sorted(types))}" if types else "an object without a type"
    raise _invalid(
        f"its top level is {described}; expected an AnnotationCollection, an AnnotationPage "
        "or a list of annotations"
    )


def _labels(document: Mapping[str, object]) -> tuple[dict[str, str], list[str]]:
    raw = document.get("gloss:labels")
    if raw is None:
        return {}, []
    if not isinstance(raw, dict):
        return {}, ["The colour names in the file are unreadable; yours were left as they are."]
    labels: dict[str, str] = {}
    for color, label in raw.items():
        if color in HIGHLIGHT_COLORS and isinstance(label, str) and clean_line(label).strip():
            labels[color] = clean_line(label).strip()
    return labels, []


def _describe(number: int, raw: object, tombstone: bool) -> str:
    what = "Deleted annotation" if tombstone else "Annotation"
    ident = _node_id(raw) if isinstance(raw, dict) else None
    return f"{what} {number:,}" + (f" ({_show(ident)})" if ident else "")


def parse_collection(data: bytes, *, now: dt.datetime | None = None) -> ParsedCollection:
    """Read an export (ours or another tool's) into records, all or nothing at the file level.

    A file that is not an annotation file, is too large, was cut short or comes from a newer
    Gloss raises ``AnnotationFormatError`` and yields nothing. Single annotations Gloss cannot use
    (no quote, no article address, unreadable dates) are left out with a reason in ``skipped``.
    Annotations without dates take the file's ``generated`` time, else ``now`` (default: the
    current time). If one id appears twice, the newer change wins, as in ``merge_decision``.
    """
    document = _load(data)
    items, top = _top_level(document)
    raw_tombstones = top.get("gloss:tombstones", [])
    if not isinstance(raw_tombstones, list):
        raise _invalid("its list of deleted annotations is not a list")
    if len(items) + len(raw_tombstones) > MAX_ITEMS:
        raise _invalid(
            f"it holds more than {MAX_ITEMS:,} annotations, more than Gloss imports at once"
        )
    fallback_time = now or dt.datetime.now(dt.UTC).replace(microsecond=0)
    generated = top.get("generated")
    if generated is not None:
        with contextlib.suppress(ValueError, OverflowError):
            fallback_time = _parse_time(generated)
    labels, skipped = _labels(top)
    by_uuid: dict[str, AnnotationRecord] = {}
    for tombstone, raws in ((False, items), (True, raw_tombstones)):
        for number, raw in enumerate(raws, 1):
            where = _describe(number, raw, tombstone)
            try:
                record = _read_item(raw, fallback_time=fallback_time, tombstone=tombstone)
            except _Skip as reason:
                skipped.append(f"{where}: {reason}.")
                continue
            earlier = by_uuid.get(record.uuid)
            if earlier is None:
                by_uuid[record.uuid] = record
                continue
            if merge_decision(earlier.modified, earlier.deleted, record) == "take":
                by_uuid[record.uuid] = record
            skipped.append(
                f"{where}: an earlier annotation in the file has the same id; only the more "
                "recently changed of the two was kept."
            )
    return ParsedCollection(records=tuple(by_uuid.values()), labels=labels, skipped=tuple(skipped))


# --- merging ------------------------------------------------------------------------------------


def _to_second(value: dt.datetime) -> dt.datetime:
    return value.replace(microsecond=0)


def merge_decision(
    existing_modified: dt.datetime,
    existing_deleted: dt.datetime | None,
    incoming: AnnotationRecord,
) -> str:
    """``"take"`` the incoming annotation or ``"keep"`` ours: the newest change wins (T22).

    A deletion is a change at its own time, so an edit made elsewhere after a deletion brings
    the annotation back, and an edit made before it does not. On a tie the deletion wins: it is
    the safer reading of "both happened at once" than resurrecting what someone removed. Equal
    and identical states give ``"keep"``, so a re-import changes nothing.

    Times are compared to the second, the precision a library stores: another tool's
    ``12:00:00.5`` is kept as ``12:00:00``, and must not look newer on every re-import.
    """
    ours = _to_second(max(existing_modified, existing_deleted or existing_modified))
    theirs = _to_second(max(incoming.modified, incoming.deleted or incoming.modified))
    if theirs != ours:
        return "take" if theirs > ours else "keep"
    if incoming.deleted is not None and existing_deleted is None:
        return "take"
    return "keep"
