"""Between canonical-text offsets (where highlights live) and QTextDocument cursor positions.

Highlights are stored as code-point offsets into the article's canonical text
(``content.canonical_text``), but a QTextDocument counts UTF-16 units, gives every image, block
break and table-cell boundary a position of its own, keeps soft hyphens and shows the article's
header before its body. Rather than re-derive Qt's layout rules, both texts are reduced to the
characters a reader sees — whitespace, separators, object and frame markers and invisible
characters removed, the set ``canonical_text`` drops — and those two sequences are aligned. The
canonical one is normally exactly the tail of the document's, and then the map is two counts and
an offset (reliability.md §5.2, T16, T17).

When they differ (Qt keeps text decomposed where the canonical text is NFC, or renders something
its own way), a slower alignment normalizes the document word by word and resynchronizes around
differences. A span it cannot place character for character is reported as unplaceable, never
approximated: a highlight must not be painted over the wrong words.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from itertools import islice
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PySide6.QtGui import QTextDocument

_CHUNK = 1024
"""Characters per step of the running counts: one query scans at most one chunk."""

# Invisible characters and controls that canonical_text removes, Qt's object replacement
# character (an image) and frame markers (table cells), minus whitespace: str.split handles that.
_DROPPED_RANGES = (
    (0x00, 0x08), (0x0E, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x61C, 0x61C), (0x200B, 0x200F),
    (0x202A, 0x202E), (0x2060, 0x2060), (0x2066, 0x2069), (0xD800, 0xDFFF), (0xFDD0, 0xFDD1),
    (0xFEFF, 0xFEFF), (0xFFFC, 0xFFFC), (0xFFFE, 0xFFFF),
)  # fmt: skip


def _char_class(ranges: tuple[tuple[int, int], ...]) -> str:
    parts = []
    for low, high in ranges:
        for code in range(low, high + 1):
            if not chr(code).isspace() and not 0xD800 <= code <= 0xDFFF:
                parts.append(f"\\U{code:08x}")
    return "".join(parts) + "\\ud800-\\udfff"


_OTHER = _char_class(_DROPPED_RANGES)
_OTHER_RE = re.compile(f"[{_OTHER}]")
_KEPT_RE = re.compile(f"[^\\s{_OTHER}]")
# A run of the document between whitespace, block and cell breaks; images and invisible
# characters do not end it (canonical_text drops them without leaving a space).
_WORD_RE = re.compile(r"[^\s\ufdd0\ufdd1]+")
_ASTRAL_RE = re.compile("[\U00010000-\U0010ffff]")


def visible(text: str) -> str:
    """``text`` without what the alignment ignores (the same on both sides)."""
    kept = "".join(text.split())
    return _OTHER_RE.sub("", kept) if _OTHER_RE.search(kept) else kept


class _Ordinals:
    """Index ↔ ordinal of the visible characters of a text, via running counts per chunk."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._others = [m.start() for m in _OTHER_RE.finditer(text)]
        counts = [0]
        for start in range(0, len(text), _CHUNK):
            counts.append(counts[-1] + self._count(start, min(len(text), start + _CHUNK)))
        self._counts = counts
        self.total = counts[-1]

    def _count(self, start: int, end: int) -> int:
        kept = len("".join(self._text[start:end].split()))
        if self._others:
            kept -= bisect_left(self._others, end) - bisect_left(self._others, start)
        return kept

    def ordinal(self, index: int) -> int:
        """How many visible characters come before ``index``."""
        index = max(0, min(index, len(self._text)))
        chunk = index // _CHUNK
        return self._counts[chunk] + self._count(chunk * _CHUNK, index)

    def index(self, ordinal: int) -> int:
        """Where visible character number ``ordinal`` (0-based, < ``total``) is."""
        chunk = bisect_right(self._counts, ordinal) - 1
        found = _KEPT_RE.finditer(self._text, chunk * _CHUNK)
        match = next(islice(found, ordinal - self._counts[chunk], None))
        return match.start()


class _Utf16:
    """Code-point index ↔ UTF-16 position; the identity unless the text has astral characters."""

    def __init__(self, text: str) -> None:
        astral = [m.start() for m in _ASTRAL_RE.finditer(text)]
        self._astral = astral
        self._positions = [index + n for n, index in enumerate(astral)]

    def position(self, index: int) -> int:
        return index + bisect_left(self._astral, index)

    def index(self, position: int, *, round_up: bool) -> int:
        """A position inside a surrogate pair rounds to either side of its character."""
        before = bisect_right(self._positions, position - 2)
        inside = before < len(self._positions) and self._positions[before] == position - 1
        return position - before - (1 if inside and not round_up else 0)


class _Alignment(Protocol):
    def document_span(self, first: int, last: int) -> tuple[int, int] | None:
        """Document code-point span covering canonical visible chars ``first..last``."""

    def canonical_ordinals(self, start: int, end: int) -> tuple[int, int] | None:
        """First and last canonical visible char inside document code points ``start:end``."""

    def body_start(self) -> int | None:
        """Document code-point index where the canonical text begins, if it is placed."""


class _TailAlignment:
    """The canonical visible text is the tail of the document's: ordinal + offset."""

    def __init__(self, document: _Ordinals, offset: int, count: int) -> None:
        self._document = document
        self._offset = offset
        self._count = count

    def document_span(self, first: int, last: int) -> tuple[int, int] | None:
        start = self._document.index(first + self._offset)
        return start, self._document.index(last + self._offset) + 1

    def canonical_ordinals(self, start: int, end: int) -> tuple[int, int] | None:
        first = max(self._document.ordinal(start), self._offset)
        last = self._document.ordinal(end) - 1
        if first > last:
            return None
        return first - self._offset, last - self._offset

    def body_start(self) -> int | None:
        return self._document.index(self._offset) if self._count else None


_PROBE = 12  # visible characters that must agree to resynchronize after a difference
_MIN_PROBE = 3
_WINDOW = 1024  # how far either side may skip to find agreement again
_MAX_RESYNCS = 64
_BLOCK = 256


class _WordAlignment:
    """Document normalized to NFC word by word, aligned from the end with resynchronization.

    ``units`` are the characters of the normalized document; each covers a code-point range of
    the document (a composed character covers its base and marks).
    """

    def __init__(self, document_text: str, canonical_visible: str) -> None:
        units, firsts, ends = _normalized_units(document_text)
        self._firsts = firsts
        self._ends = ends
        self._to_unit = _align(canonical_visible, units)
        to_canonical = [-1] * len(units)
        for ordinal, unit in enumerate(self._to_unit):
            if unit >= 0:
                to_canonical[unit] = ordinal
        self._to_canonical = to_canonical

    def document_span(self, first: int, last: int) -> tuple[int, int] | None:
        units = self._to_unit[first : last + 1]
        if -1 in units or units[-1] - units[0] != last - first:
            return None  # some character in between is not where the canonical text says
        return self._firsts[units[0]], self._ends[units[-1]]

    def canonical_ordinals(self, start: int, end: int) -> tuple[int, int] | None:
        low = bisect_left(self._firsts, start)
        high = bisect_left(self._firsts, end) - 1
        while low <= high and self._to_canonical[low] < 0:
            low += 1
        while high >= low and self._to_canonical[high] < 0:
            high -= 1
        if low > high:
            return None
        return self._to_canonical[low], self._to_canonical[high]

    def body_start(self) -> int | None:
        if not self._to_unit or self._to_unit[0] < 0:
            return None
        return self._firsts[self._to_unit[0]]


def _normalized_units(text: str) -> tuple[str, list[int], list[int]]:
    chars: list[str] = []
    firsts: list[int] = []
    ends: list[int] = []
    for match in _WORD_RE.finditer(text):
        word, base = match.group(), match.start()
        indices: Sequence[int]
        if _OTHER_RE.search(word) is None:
            kept, indices = word, range(base, base + len(word))
        else:
            indices = [base + i for i, ch in enumerate(word) if _KEPT_RE.match(ch)]
            kept = "".join(text[i] for i in indices)
        if unicodedata.is_normalized("NFC", kept):
            chars.append(kept)
            firsts.extend(indices)
            ends.extend([i + 1 for i in indices])
            continue
        normalized, unit_first, unit_last = _composed(kept)
        chars.append(normalized)
        firsts.extend([indices[i] for i in unit_first])
        ends.extend([indices[i] + 1 for i in unit_last])
    return "".join(chars), firsts, ends


@functools.lru_cache(maxsize=4096)
def _composed(word: str) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """NFC of ``word``, and for each of its characters the first and last source character it
    comes from. Words repeat, so this is cached."""
    normalized = unicodedata.normalize("NFC", word)
    first = [-1] * len(normalized)
    last = [0] * len(normalized)
    for n in range(len(word)):
        unit = max(0, len(unicodedata.normalize("NFC", word[: n + 1])) - 1)
        if first[unit] < 0:
            first[unit] = n
        last[unit] = n
    for unit in range(len(normalized)):
        if first[unit] < 0:  # a reordered mark: borrow its neighbour's place
            first[unit] = first[unit - 1] if unit else 0
            last[unit] = max(last[unit], first[unit])
    return normalized, tuple(first), tuple(last)


def _align(canonical: str, document: str) -> list[int]:
    """For each canonical char, the document char it is (-1: none), matching from the end."""
    to_document = [-1] * len(canonical)
    i, j = len(canonical), len(document)
    resyncs = 0
    while i > 0 and j > 0:
        step = min(_BLOCK, i, j)
        if canonical[i - step : i] == document[j - step : j]:
            to_document[i - step : i] = range(j - step, j)
            i, j = i - step, j - step
        elif canonical[i - 1] == document[j - 1]:
            to_document[i - 1] = j - 1
            i, j = i - 1, j - 1
        else:
            found = _resync(canonical, i, document, j) if resyncs < _MAX_RESYNCS else None
            if found is None:
                break
            i, j = found
            resyncs += 1
    return to_document


def _resync(canonical: str, i: int, document: str, j: int) -> tuple[int, int] | None:
    """The nearest pair of ends before ``i`` and ``j`` where ``_PROBE`` characters agree again."""
    best: tuple[int, int] | None = None
    best_cost = 2 * _WINDOW
    for skipped in range(min(_WINDOW, i)):
        if skipped >= best_cost:
            break
        end = i - skipped
        length = min(_PROBE, end)
        if length < _MIN_PROBE:
            break
        probe = canonical[end - length : end]
        found = document.rfind(probe, max(0, j - _WINDOW - length), j)
        if found < 0:
            continue
        cost = skipped + j - (found + length)
        if cost < best_cost:
            best, best_cost = (end, found + length), cost
    return best


class TextMap:
    """One displayed article: canonical offsets ↔ cursor positions of its QTextDocument.

    Build it again whenever the document's text changes (``setHtml``); layout changes (margins,
    image sizes, fonts) do not move positions.
    """

    def __init__(self, document_text: str, canonical: str) -> None:
        self._canonical = canonical
        self._canonical_ordinals = _Ordinals(canonical)
        self._utf16 = _Utf16(document_text)
        canonical_visible = visible(canonical)
        document_visible = visible(document_text)
        self.exact = document_visible.endswith(canonical_visible)
        """True when the document shows the canonical text character for character."""
        self._alignment: _Alignment
        if self.exact:
            offset = len(document_visible) - len(canonical_visible)
            self._alignment = _TailAlignment(
                _Ordinals(document_text), offset, len(canonical_visible)
            )
        else:
            self._alignment = _WordAlignment(document_text, canonical_visible)

    @classmethod
    def from_document(cls, document: QTextDocument, canonical: str) -> TextMap:
        # toRawText keeps U+2029, U+FFFC and the frame markers: one code unit per position.
        return cls(document.toRawText(), canonical)

    def to_document(self, start: int, end: int) -> tuple[int, int] | None:
        """Cursor positions of canonical ``start:end`` without its outer whitespace, or ``None``
        when the span is empty, blank or cannot be placed exactly."""
        start, end = max(0, start), min(end, len(self._canonical))
        if start >= end:
            return None
        first = self._canonical_ordinals.ordinal(start)
        last = self._canonical_ordinals.ordinal(end) - 1
        if first > last:
            return None
        span = self._alignment.document_span(first, last)
        if span is None:
            return None
        return self._utf16.position(span[0]), self._utf16.position(span[1])

    def to_canonical(self, anchor: int, position: int) -> tuple[int, int] | None:
        """The canonical span a selection covers: trimmed to visible characters, clamped to the
        article's text; ``None`` if it holds none (only header, whitespace or images)."""
        low, high = sorted((anchor, position))
        start = self._utf16.index(low, round_up=False)
        end = self._utf16.index(high, round_up=True)
        ordinals = self._alignment.canonical_ordinals(start, end)
        if ordinals is None:
            return None
        first, last = ordinals
        index = self._canonical_ordinals.index
        return index(first), index(last) + 1

    def body_start(self) -> int | None:
        """Cursor position where the article's text begins (after the header)."""
        start = self._alignment.body_start()
        return None if start is None else self._utf16.position(start)
