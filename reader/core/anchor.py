"""Finding a stored highlight again in an article's canonical text (reliability.md §5.3).

The quote is the truth and positions are only hints: an article's text changes between fetches
and re-extractions, and a highlight must follow its words rather than its offsets. The search is
deliberately strict (at most ``len(quote) // 4`` edits, quote similarity ≥ 0.75): a highlight
that cannot be found becomes an orphan the user can see and re-attach, while a false match would
silently pin someone's note to the wrong sentence.

Everything here is a pure function of its arguments and works in code points of the text
produced by ``content.canonical_text``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

ANCHOR_CONTEXT = 64
"""Code points of prefix and suffix kept with a quote (trimmed to 48–64 at word boundaries).

More than Hypothesis's fixed 32: the context is what tells duplicate passages and one-word quotes
apart, and what keeps a fuzzy match honest."""

_MIN_CONTEXT = 48
AMBIGUITY_MARGIN = 0.02
"""Exact candidates whose scores differ by less than this cannot be told apart with confidence."""

MIN_QUOTE_SIMILARITY = 0.75
MIN_FUZZY_SCORE = 0.70
MAX_FUZZY_EDITS = 256
_MAX_FUZZY_REGIONS = 8

_QUOTE_WEIGHT = 50.0
_CONTEXT_WEIGHT = 20.0
_POSITION_WEIGHT = 2.0
_TOTAL_WEIGHT = _QUOTE_WEIGHT + 2 * _CONTEXT_WEIGHT + _POSITION_WEIGHT


@dataclass(frozen=True, slots=True)
class Selector:
    """What a highlight stores: a W3C TextQuoteSelector plus a TextPositionSelector."""

    quote: str
    prefix: str
    suffix: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a selector landed; ``start``/``end`` are ``None`` only for an orphan."""

    status: str  # "exact" | "relocated" | "fuzzy" | "ambiguous" | "orphan"
    start: int | None
    end: int | None
    score: float
    alternatives: tuple[tuple[int, int], ...] = ()


ORPHAN = Anchor("orphan", None, None, 0.0)


def make_selector(text: str, start: int, end: int) -> Selector:
    """The selector for ``text[start:end]``; raises ``ValueError`` for an empty or invalid span."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"span {start}:{end} is empty or outside a text of {len(text)} chars")
    prefix = text[max(0, start - ANCHOR_CONTEXT) : start]
    if start > ANCHOR_CONTEXT:
        prefix = _trim_prefix(prefix)
    suffix = text[end : end + ANCHOR_CONTEXT]
    if end + ANCHOR_CONTEXT < len(text):
        suffix = _trim_suffix(suffix)
    return Selector(text[start:end], prefix, suffix, start, end)


def _trim_prefix(prefix: str) -> str:
    """Drop the partial word a fixed-width cut leaves at the far end, keeping ≥ 48 chars."""
    for i in range(len(prefix) - _MIN_CONTEXT):
        if prefix[i].isspace():
            return prefix[i + 1 :]
    return prefix


def _trim_suffix(suffix: str) -> str:
    for i in range(len(suffix) - 1, _MIN_CONTEXT - 1, -1):
        if suffix[i].isspace():
            return suffix[:i]
    return suffix


def anchor(selector: Selector, text: str, *, same_version: bool = False) -> Anchor:
    """Locate ``selector`` in ``text``; never returns a span unless it passes the thresholds.

    ``same_version`` says that ``text`` is the very text the selector was made on, so its
    offsets can be trusted as they are when they still hold the quote.
    """
    quote = selector.quote
    if not quote:
        return ORPHAN
    if same_version and text[selector.start : selector.end] == quote:
        return Anchor("exact", selector.start, selector.end, 1.0)
    occurrences = _occurrences(quote, text) or _occurrences_any_spacing(quote, text)
    if occurrences:
        return _best_exact(selector, text, occurrences)
    return _fuzzy(selector, text)


def _occurrences(quote: str, text: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    i = text.find(quote)
    while i != -1:
        found.append((i, i + len(quote)))
        i = text.find(quote, i + 1)
    return found


def _occurrences_any_spacing(quote: str, text: str) -> list[tuple[int, int]]:
    """The quote's words with any whitespace between them (T13).

    A quote that spans a paragraph break holds "\n\n"; when the publisher turns the paragraphs
    into lines (or back), the words are all still there in order, and that is the same passage,
    not an edit for the fuzzy search to score.
    """
    words = quote.split()
    if len(words) < 2:
        return []
    pattern = re.compile(r"\s+".join(re.escape(w) for w in words))
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def _best_exact(selector: Selector, text: str, occurrences: list[tuple[int, int]]) -> Anchor:
    scored = sorted(
        ((_score(selector, text, s, e, 1.0), s, e) for s, e in occurrences),
        key=lambda item: (-item[0], abs(item[1] - selector.start)),
    )
    best_score, best, best_end = scored[0]
    rivals = tuple((s, e) for score, s, e in scored[1:] if best_score - score < AMBIGUITY_MARGIN)
    if rivals:
        return Anchor("ambiguous", best, best_end, best_score, rivals)
    if best == selector.start and best_end == selector.end:
        return Anchor("exact", best, best_end, 1.0)
    return Anchor("relocated", best, best_end, best_score)


def _score(selector: Selector, text: str, start: int, end: int, quote_sim: float) -> float:
    prefix_sim = _similarity(selector.prefix, text[max(0, start - len(selector.prefix)) : start])
    suffix_sim = _similarity(selector.suffix, text[end : end + len(selector.suffix)])
    size = max(1, len(text))
    hint = min(1.0, max(0.0, selector.start / size))
    closeness = 1.0 - abs(start / size - hint)
    return (
        _QUOTE_WEIGHT * quote_sim
        + _CONTEXT_WEIGHT * prefix_sim
        + _CONTEXT_WEIGHT * suffix_sim
        + _POSITION_WEIGHT * closeness
    ) / _TOTAL_WEIGHT


def _similarity(a: str, b: str) -> float:
    return float(Levenshtein.normalized_similarity(a, b))


def _fuzzy(selector: Selector, text: str) -> Anchor:
    """Approximate search: coarse windows on a stride, then refine each end and snap to words.

    A window at stride ``s`` from a match of ``k`` edits is within ``2·k + s`` edits of the quote,
    so the coarse pass keeps it unless dozens of closer windows crowd it out (the old offsets are
    always tried as well); the refinement then moves each end on its own,
    which is cheap (each step is one bit-parallel Levenshtein call) and keeps the whole search
    well under a second for a 200-char quote in 500 KB of text.
    """
    quote = selector.quote
    length = len(quote)
    max_edits = min(MAX_FUZZY_EDITS, length // 4)
    if max_edits == 0 or len(text) < length - max_edits:
        return ORPHAN
    stride = max(1, max_edits // 2)
    last = max(0, len(text) - length)
    starts = list(range(0, last + 1, stride))
    if starts[-1] != last:
        starts.append(last)
    windows = [text[s : s + length] for s in starts]
    coarse = extract(
        quote,
        windows,
        scorer=Levenshtein.distance,
        score_cutoff=2 * max_edits + stride,
        limit=_MAX_FUZZY_REGIONS * 8,
    )
    # The old offsets are always worth a look: near-duplicates elsewhere can crowd them out.
    regions: list[int] = [min(max(0, selector.start), last)]
    for _window, _distance, index in coarse:
        start = starts[index]
        if all(abs(start - other) > length // 2 for other in regions):
            regions.append(start)
            if len(regions) == _MAX_FUZZY_REGIONS:
                break
    best = ORPHAN
    for region in regions:
        found = _refine(selector, text, region, stride + max_edits, max_edits)
        if found is None:
            continue
        start, end = _snap(text, *found)
        if start >= end:
            continue
        distance = Levenshtein.distance(quote, text[start:end])
        quote_sim = _similarity(quote, text[start:end])
        if distance > max_edits or quote_sim < MIN_QUOTE_SIMILARITY:
            continue
        score = _score(selector, text, start, end, quote_sim)
        if score >= MIN_FUZZY_SCORE and score > best.score:
            best = Anchor("fuzzy", start, end, score)
    return best


def _refine(
    selector: Selector, text: str, seed: int, slack: int, max_edits: int
) -> tuple[int, int] | None:
    """Best span near ``seed``: move the start, then the end, then the start again.

    Each end is judged by the quote and by the stored context on its side: when the quote's
    last word was replaced, dropping that word costs about as many edits as keeping the new
    one, and only the suffix says where the passage really ends.
    """
    quote, prefix, suffix = selector.quote, selector.prefix, selector.suffix
    length = len(quote)

    def start_cost(s: int, e: int) -> tuple[int, int]:
        before = text[max(0, s - len(prefix)) : s]
        return Levenshtein.distance(quote, text[s:e]) + Levenshtein.distance(prefix, before), abs(
            s - seed
        )

    def end_cost(s: int, e: int) -> tuple[int, int]:
        after = text[e : e + len(suffix)]
        return Levenshtein.distance(quote, text[s:e]) + Levenshtein.distance(suffix, after), abs(
            e - s - length
        )

    starts = range(max(0, seed - slack), min(len(text), seed + slack) + 1)
    start = min(starts, key=lambda s: start_cost(s, s + length))
    ends = range(start + max(1, length - max_edits), min(len(text), start + length + max_edits) + 1)
    if not ends:
        return None
    end = min(ends, key=lambda e: end_cost(start, e))
    starts = range(max(0, end - length - max_edits), end - max(1, length - max_edits) + 1)
    start = min(starts, key=lambda s: start_cost(s, end))
    if Levenshtein.distance(quote, text[start:end]) > max_edits:
        return None
    return start, end


def _is_word_char(ch: str) -> bool:
    return ch.isalnum()


def _snap(text: str, start: int, end: int) -> tuple[int, int]:
    """Move a fuzzy span's ends to the nearer word boundary, so it never shows half a word."""
    start = _nearest_boundary(text, start)
    end = _nearest_boundary(text, end)
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _nearest_boundary(text: str, pos: int) -> int:
    if pos <= 0 or pos >= len(text):
        return max(0, min(pos, len(text)))
    if not (_is_word_char(text[pos - 1]) and _is_word_char(text[pos])):
        return pos
    left = pos
    while left > 0 and _is_word_char(text[left - 1]):
        left -= 1
    right = pos
    while right < len(text) and _is_word_char(text[right]):
        right += 1
    return left if pos - left <= right - pos else right
