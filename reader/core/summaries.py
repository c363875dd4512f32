"""Does a feed entry carry the whole article, or only a summary that points at it?

The "auto" full-text policy fetches the linked page only for summaries: fetching every page of a
feed that already sends whole articles costs the publisher and the user bandwidth for nothing,
and an extractor can only lose words that the feed gave us. Publishers signal a summary in three
ways, and we read all three (issue 5): the text is short; it ends in a truncation mark or a
"Read more"-style link; or it is much shorter than the feed's other entries usually are.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable

SHORT_CHARS = 700
"""Below this an entry is a teaser: about 110 words, two short paragraphs."""

MUCH_SHORTER = 0.35
"""An entry under this share of the feed's typical length is a summary of a longer piece."""

TYPICAL_MIN_CHARS = 2_000
"""Only a feed whose entries are usually long says anything by being longer than this one."""

_TAIL_CHARS = 160

# What publishers put at the end of a cut text, matched against the last words only, case-folded,
# after closing punctuation and brackets are stripped. (WordPress's "The post X appeared first on
# Y" is not one: SEO plugins append it to whole articles too.)
_TRUNCATION_RE = re.compile(
    r"""(?:
        (?:\.\.\.|…)\s*$                                  # an ellipsis
      | \[\s*(?:\.\.\.|…)\s*\]\s*$                        # [...] / […] (WordPress excerpts)
      | \(\s*more\s*(?:\.\.\.|…)?\s*\)\s*$                # (more…)
      | (?:read|continue|keep)\s+reading\b[^.!?]{0,60}$   # Continue reading "X"
      | read\s+(?:the\s+)?(?:more|rest|full(?:\s+(?:article|story|post))?)\b[^.!?]{0,60}$
      | (?:view|see)\s+(?:the\s+)?(?:full|entire|complete)\s+(?:article|story|post)\b.{0,40}$
      | »\s*$ | →\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)


# Every pattern above contains one of these; a tail without any cannot match.
_TAIL_HINTS = ("...", "…", "more", "read", "full", "entire", "complete", "»", "→")


def ends_truncated(text: str) -> bool:
    """The text's last words say "there is more elsewhere"."""
    # Only the tail is looked at (and copied): refresh asks this of every new entry.
    tail = text[-_TAIL_CHARS * 2 :].rstrip()[-_TAIL_CHARS:].rstrip(" \t\n\"'”’)")
    lowered = tail.lower()
    if not any(hint in lowered for hint in _TAIL_HINTS):
        return False  # most texts: no word of any pattern, no regex run
    return bool(_TRUNCATION_RE.search(tail))


def typical_length(lengths: Iterable[int]) -> int | None:
    """The feed's usual entry length (median), or ``None`` with too few entries to say."""
    values = [n for n in lengths if n > 0]
    if len(values) < 3:
        return None
    return int(statistics.median(values))


def looks_like_summary(text: str, typical_chars: int | None = None) -> bool:
    """True when the feed text is most likely a summary of a longer article.

    ``text`` is the canonical text of the entry; ``typical_chars`` the feed's median length
    (``typical_length``), when known.
    """
    length = len(text)  # canonical text has no surrounding whitespace
    if length < SHORT_CHARS and len(text.strip()) < SHORT_CHARS:
        return True
    if ends_truncated(text):
        return True
    return (
        typical_chars is not None
        and typical_chars >= TYPICAL_MIN_CHARS
        and length < typical_chars * MUCH_SHORTER
    )
