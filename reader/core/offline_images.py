"""Article images for offline reading: find them, fetch the ones worth keeping, point at the cache.

The reading view never touches the network (DESIGN.md "Offline"), so an image is only seen if it
was downloaded beforehand into the content-addressed cache (image_cache.py) and the stored HTML
says ``cache:<name>`` instead of its web address. Three steps, each kept apart so the caller
(offline.py) decides when to fetch and when to write:

- ``image_refs`` lists the web images of stored HTML;
- ``download_image`` fetches one through the shared ``Fetcher`` (no cookies, no Referer, the same
  deadlines, redirect rules and per-host limits as feeds) and stores it, or says why not;
- ``rewrite_image_sources`` swaps ``src`` values and touches nothing else. Highlights are anchored
  in the text of the stored HTML (content.canonical_text), so a rewrite that moved a single
  character of text would orphan the reader's notes; only attribute values change here.

Per-image problems never raise: an article with one broken image still gets the others, and the
outcome says whether asking again later makes sense (``error``) or not (``skipped``).
"""

from __future__ import annotations

import hashlib
import html as html_lib
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reader.core.errors import FetchError, GlossError, InvalidURLError, RetryLaterError
from reader.core.fetch import Fetcher
from reader.core.image_cache import (
    MAX_IMAGE_BYTES,
    ImageRejectedError,
    cache_url,
    resolve_cache_url,
    sniff_image,
    store_image,
)
from reader.core.storage.offline import CACHE_FULL
from reader.core.trackers import tracker_reason

IMAGE_ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"


_WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class ImageRef:
    url: str  # absolute http(s) URL as in the stored HTML's img src (entities decoded)
    width: int | None  # from the width/height attributes, if any
    height: int | None
    alt: str


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    url: str
    cache_url: str | None  # "cache:<sha>.<ext>" when stored
    size: int  # bytes of the image (0 if not stored)
    skipped: str | None  # why it was not fetched or kept; asking again would not help
    error: str | None  # a fetch failure worth retrying later


# ---- finding images -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _ImgTag:
    src: str | None  # the first src attribute's value, decoded and trimmed
    value_span: tuple[int, int] | None  # where that value's text sits in the document
    quoted: bool
    width: int | None
    height: int | None
    alt: str


# A small tokenizer for the HTML syntax's tag level, after the WHATWG rules that matter here:
# what is a tag, where its attributes and their values start and end (a quoted value may hold
# ">"), comments, and elements whose content is text (a "<img" inside <script> is no image).
# Every pattern moves forward without nested repetition, and each scan for a closing quote,
# "-->" or "</script" ends where the next one starts, so the whole pass is linear in the input:
# Python's html.parser is not (an unclosed "<img " repeated n times costs it n² steps).
_WS = "\t\n\f\r "
_MARKUP_RE = re.compile(r"<(?:(!--)|[!?]|/(?![A-Za-z])|(/?)([A-Za-z]))")
_COMMENT_END_RE = re.compile(r"--!?>")
_TAG_NAME_RE = re.compile(rf"[^{_WS}/>]*")
_SEPARATOR_RE = re.compile(rf"[{_WS}/]*")
_ATTRIBUTE_RE = re.compile(
    rf"([^{_WS}/>][^{_WS}/>=]*)"
    rf"(?:[{_WS}]*=[{_WS}]*(?:\"([^\"]*)\"|'([^']*)'|([^{_WS}>]*)))?"
)
# Elements whose content the tokenizer reads as text up to their own end tag.
_TEXT_ELEMENTS = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes"}
)
_TEXT_ELEMENT_END_RE = {
    name: re.compile(rf"</{name}(?=[{_WS}/>])", re.IGNORECASE) for name in _TEXT_ELEMENTS
}


def _scan(html: str) -> list[_ImgTag]:
    tags: list[_ImgTag] = []
    at = 0
    end = len(html)
    while (markup := _MARKUP_RE.search(html, at)) is not None:
        comment, slash, letter = markup.groups()
        if comment:
            rest = markup.end()
            if html.startswith((">", "->"), rest):  # "<!-->" and "<!--->" end at once
                at = html.index(">", rest) + 1
                continue
            closing = _COMMENT_END_RE.search(html, rest)
            if closing is None:
                break
            at = closing.end()
            continue
        if letter is None:  # <!doctype>, <?…>, </3…>, <![CDATA[…]>: text up to the next ">"
            close = html.find(">", markup.end())
            if close < 0:
                break
            at = close + 1
            continue
        name_end = _TAG_NAME_RE.match(html, markup.end() - 1).end()  # type: ignore[union-attr]
        name = html[markup.end() - 1 : name_end].lower()
        attributes: list[re.Match[str]] = []
        at = name_end
        while True:
            at = _SEPARATOR_RE.match(html, at).end()  # type: ignore[union-attr]  # may be empty
            if at >= end:
                return tags  # a tag cut off by the end of the text is no tag
            if html[at] == ">":
                at += 1
                break
            attribute = _ATTRIBUTE_RE.match(html, at)
            assert attribute is not None  # html[at] is none of whitespace, "/" or ">"
            attributes.append(attribute)
            at = attribute.end()
        if slash:
            continue
        if name == "img":
            tags.append(_img_tag(attributes))
        elif name in _TEXT_ELEMENTS:
            text_end = _TEXT_ELEMENT_END_RE[name].search(html, at)
            if text_end is None:
                break
            at = text_end.start()
        elif name == "plaintext":
            break
    return tags


def _img_tag(attributes: list[re.Match[str]]) -> _ImgTag:
    values: dict[str, str] = {}
    src_span: tuple[int, int] | None = None
    quoted = False
    for attribute in attributes:
        name = attribute.group(1).lower()
        if name in values:
            continue  # the first of repeated attributes counts, as in browsers
        group = next((g for g in (2, 3, 4) if attribute.group(g) is not None), None)
        values[name] = html_lib.unescape(attribute.group(group)) if group else ""
        if name == "src" and group is not None:
            src_span = attribute.span(group)
            quoted = group != 4
    src = values.get("src")
    return _ImgTag(
        src=src.strip() if src is not None else None,
        value_span=src_span,
        quoted=quoted,
        width=_dimension(values.get("width")),
        height=_dimension(values.get("height")),
        alt=values.get("alt", "").strip(),
    )


_LEADING_DIGITS_RE = re.compile(r"[\t\n\f\r ]*([0-9]{1,6})")


def _dimension(value: str | None) -> int | None:
    """An HTML width or height: its leading digits ("100px" is 100, as browsers read it)."""
    if value is None:
        return None
    match = _LEADING_DIGITS_RE.match(value)
    return int(match.group(1)) if match else None


def _is_web_url(url: str) -> bool:
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in _WEB_SCHEMES and bool(parts.hostname)


def image_refs(html: str) -> list[ImageRef]:
    """The web images of stored article HTML, in document order, each URL once.

    Images already pointing at the cache, ``data:`` images and ``<img>`` without a usable
    ``src`` are left out: there is nothing to download for them.
    """
    refs: list[ImageRef] = []
    seen: set[str] = set()
    for tag in _scan(html):
        if not tag.src or tag.src in seen or not _is_web_url(tag.src):
            continue
        seen.add(tag.src)
        refs.append(ImageRef(tag.src, tag.width, tag.height, tag.alt))
    return refs


def rewrite_image_sources(html: str, mapping: Mapping[str, str]) -> str:
    """``html`` with each ``<img src>`` found in ``mapping`` replaced by its value.

    Only the characters of those attribute values change; every other byte, and so the text
    highlights are anchored in, stays as it was. A tag whose ``src`` cannot be located exactly
    is left unchanged rather than guessed at.
    """
    if not mapping:
        return html
    edits = [
        (tag.value_span, _attribute_text(mapping[tag.src], quoted=tag.quoted))
        for tag in _scan(html)
        if tag.src is not None and tag.src in mapping and tag.value_span is not None
    ]
    if not edits:
        return html
    pieces: list[str] = []
    at = 0
    for (start, end), text in edits:
        pieces.append(html[at:start])
        pieces.append(text)
        at = end
    pieces.append(html[at:])
    return "".join(pieces)


_UNQUOTED_SAFE_RE = re.compile(r"[^\s\"'=<>`&]+")


def _attribute_text(value: str, *, quoted: bool) -> str:
    """``value`` written as the attribute's text: escaped inside quotes, quoted if it must be."""
    if not quoted and _UNQUOTED_SAFE_RE.fullmatch(value):
        return value
    escaped = html_lib.escape(value, quote=True)
    return escaped if quoted else f'"{escaped}"'


# ---- downloading --------------------------------------------------------------------------------


def make_image_fetcher(
    *, max_image_bytes: int, make_fetcher: Callable[..., Fetcher] | None = None
) -> Fetcher:
    """A ``Fetcher`` for images: the feed fetcher's limits, with an image ``Accept`` and size cap.

    The cap never exceeds what the cache would store, so nothing is downloaded only to be
    refused. ``make_fetcher`` lets tests add options (``allow_private_redirects`` …).
    """
    factory = make_fetcher or Fetcher
    return factory(accept=IMAGE_ACCEPT, max_bytes=max(1, min(max_image_bytes, MAX_IMAGE_BYTES)))


async def download_image(
    fetcher: Fetcher, ref: ImageRef, library_path: Path, *, room_left: int | None
) -> ImageOutcome:
    """Fetch ``ref`` and keep it in the image cache, or say why not. Never raises for one image.

    ``room_left`` is what the total cache cap still allows, in bytes (``None``: no cap). An
    image that is already cached costs no room: the same bytes are the same file.
    """
    url = ref.url

    def skipped(reason: str) -> ImageOutcome:
        return ImageOutcome(url, None, 0, reason, None)

    def failed(message: str) -> ImageOutcome:
        return ImageOutcome(url, None, 0, None, message)

    reason = tracker_reason(url, ref.width, ref.height)
    if reason is not None:
        return skipped(reason)
    try:
        result = await fetcher.fetch(url)
    except InvalidURLError as e:
        return skipped(f"not an address Gloss fetches ({e})")
    except RetryLaterError as e:
        return failed(_not_downloaded(url, str(e)))
    except FetchError as e:
        return _fetch_failure(url, e)
    body = result.body
    if not body:
        return failed(_not_downloaded(url, "the server sent nothing"))
    info = sniff_image(body)
    if info is None:
        return skipped(_not_an_image(result.content_type, body))
    if info.width is not None and info.height is not None and info.width <= 1 and info.height <= 1:
        return skipped(f"a {info.width}×{info.height} tracking pixel")
    name = f"{hashlib.sha256(body).hexdigest()}.{info.ext}"
    already_cached = resolve_cache_url(library_path, cache_url(name)) is not None
    if room_left is not None and not already_cached and len(body) > room_left:
        return skipped(CACHE_FULL)
    try:
        stored = store_image(library_path, body, content_type_or_ext=result.content_type or "")
    except ImageRejectedError as e:
        return skipped(_sentence_to_phrase(str(e)))
    except GlossError as e:  # the disk, not the image: worth trying again
        return failed(f"Image not saved: {e}")
    return ImageOutcome(url, stored, len(body), None, None)


_TOO_LARGE_RE = re.compile(r"too large \(over ([^)]*)\)", re.IGNORECASE)


def _fetch_failure(url: str, error: FetchError) -> ImageOutcome:
    """Sort a failed fetch into "retry later" or "not worth asking again"."""
    message = str(error)
    too_large = _TOO_LARGE_RE.search(message)
    if too_large is not None and error.status is None:
        return ImageOutcome(url, None, 0, f"too large (over {too_large.group(1)})", None)
    if error.status == 410:  # fetch.py words this for feeds; an image is simply gone
        return ImageOutcome(url, None, 0, "gone from its server (HTTP 410)", None)
    return ImageOutcome(url, None, 0, None, _not_downloaded(url, message))


def _not_downloaded(url: str, message: str) -> str:
    where = "" if url in message else f" ({url})"
    return f"Image not downloaded{where}: {message}"


def _not_an_image(content_type: str | None, body: bytes) -> str:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "image/svg+xml" or _looks_like_svg(body):
        return "an SVG image (Gloss keeps PNG, JPEG, GIF and WebP only)"
    if media_type.startswith("image/"):
        return f"an image format Gloss does not keep ({media_type})"
    if media_type:
        return f"not an image (the server sent {media_type})"
    return "not an image"


def _looks_like_svg(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<svg", b"<?xml")) and b"<svg" in head


def _sentence_to_phrase(message: str) -> str:
    """store_image speaks in sentences; outcomes are phrases shown after "skipped:"."""
    phrase = message.rstrip(".")
    if phrase[1:2].isupper():  # an acronym ("SVG …") keeps its capitals
        return phrase
    return phrase[:1].lower() + phrase[1:]
