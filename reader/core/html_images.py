"""The images of stored article HTML: list them, and point their ``src`` at the local cache.

Pure functions with no network stack behind them, so the reading view can find an image's alt
text without loading httpx (offline_images.py, which downloads, builds on these). A linear tag
scanner rather than html.parser: the stdlib parser is quadratic on some broken markup (92 s on a
32,000-piece input), and article HTML comes from strangers.
"""

from __future__ import annotations

import html as html_lib
import re
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass

_WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True, slots=True)
class ImageRef:
    url: str  # absolute http(s) URL as in the stored HTML's img src (entities decoded)
    width: int | None  # from the width/height attributes, if any
    height: int | None
    alt: str


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


def alt_texts(html: str) -> dict[str, str]:
    """``src`` -> alt text of every image with one, cached ones included: a cache file removed
    by hand (or never stored) is then still shown as its description."""
    return {tag.src: tag.alt for tag in _scan(html) if tag.src and tag.alt}


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
