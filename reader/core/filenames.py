"""File names for exported articles, built so that no title can hurt the disk it lands on.

A name is ``YYYY-MM-DD-<slug>-<id>.md``: the article's date (published, else added; UTC), a slug
of its title, and its id. The title only ever contributes letters, digits and combining marks
joined by hyphens, so separators, ``..``, ``:*?"<>|``, control and bidi characters (U+202E
turning ``gnp.exe`` into something else) cannot reach the file system (reliability.md X1–X7).

The date prefix means a name never starts like a Windows device (``CON``, ``CONIN$``,
``AUX .md``): ``is_windows_reserved`` still checks, so a change to the layout that broke this
would fail loudly rather than produce a file Windows cannot open. The id suffix makes names of
different articles different even where the file system folds case or Unicode normalization
(X6), and keeps a renamed article recognisable. Slugs are lower case and NFC, so a title that
changes only in case keeps its file name.

Lengths: the slug stops at ``MAX_SLUG_CHARS`` characters and ``MAX_SLUG_BYTES`` UTF-8 bytes, so
a whole name (with a conflict suffix such as ``.gloss-new-9``) stays near 120 characters and
well under the 255-byte limit of a path component; with the 260-character Windows path limit
that leaves about 130 characters for the export folder.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from pathlib import Path

from reader.core.types import Article, ExportArticle

MAX_SLUG_CHARS = 80
MAX_SLUG_BYTES = 160
MAX_COMPONENT_BYTES = 255
UNTITLED = "untitled"

_WINDOWS_DEVICES = frozenset(
    {"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"}
    | {f"{base}{n}" for base in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]}
)

# Apostrophes vanish ("what's" → "whats") instead of splitting a word in two.
_APOSTROPHES = frozenset("'’ʼ`´")


def slugify(title: str) -> str:
    """Lower-case words of ``title`` joined by hyphens; ``"untitled"`` when nothing is left."""
    text = unicodedata.normalize("NFC", title).lower()
    pieces: list[str] = []
    pending_hyphen = False
    for char in text:
        if char in _APOSTROPHES:
            continue
        category = unicodedata.category(char)
        if category[0] in "LNM":
            if category[0] == "M" and not pieces:
                continue  # a combining mark with nothing to combine with
            if pending_hyphen and pieces:
                pieces.append("-")
            pending_hyphen = False
            pieces.append(char)
        elif category[0] != "C" or char.isspace():  # tabs and line breaks separate words
            pending_hyphen = True
        # other Cc, Cf (U+202E, zero-width), Cs, Co, Cn: dropped without a trace
    slug = _truncate("".join(pieces))
    return slug or UNTITLED


def _truncate(slug: str) -> str:
    """Cut at a word boundary when one is near enough, else mid-word; never past the limits."""
    if len(slug) <= MAX_SLUG_CHARS and len(slug.encode("utf-8")) <= MAX_SLUG_BYTES:
        return slug
    cut = slug[:MAX_SLUG_CHARS]
    while len(cut.encode("utf-8")) > MAX_SLUG_BYTES:
        cut = cut[:-1]
    boundary = cut.rfind("-")
    if boundary >= len(cut) // 2:
        cut = cut[:boundary]
    # A cut may strand a combining mark's base, or a mark without its base: renormalize.
    return unicodedata.normalize("NFC", cut).strip("-")


def article_date(article: Article) -> dt.date:
    """The date in a file name: published, else added, as a UTC calendar date."""
    moment = article.published or article.added
    return moment.astimezone(dt.UTC).date()


def article_file_name(item: Article | ExportArticle, *, extra: str = "") -> str:
    """``YYYY-MM-DD-<slug>-<id>[extra].md`` for ``item``; ``extra`` is a conflict suffix.

    ``extra`` may hold only ASCII letters, digits, dots and hyphens (``.gloss-new-2``).
    """
    article = item.article if isinstance(item, ExportArticle) else item
    if not re.fullmatch(r"[A-Za-z0-9.-]*", extra):
        raise ValueError(f"unsafe file name suffix {extra!r}")
    day = article_date(article)
    stem = f"{day.year:04d}-{day.month:02d}-{day.day:02d}-{slugify(article.title)}-{article.id}"
    name = f"{stem}{extra}.md"
    check_component(name)
    return name


def is_windows_reserved(name: str) -> bool:
    """True when Windows would take ``name`` for a device (``nul.txt``, ``AUX .md``, ``CONIN$``).

    Windows ignores everything from the first dot and trailing spaces when it matches devices.
    """
    base = name.split(".", 1)[0].rstrip(" ")
    return base.upper() in _WINDOWS_DEVICES


def check_component(name: str) -> None:
    """Refuse a name that is not one safe path component on every desktop system.

    Names are built here, so a failure is a bug in Gloss, never the user's doing: ``ValueError``.
    """
    problems = []
    if name in {"", ".", ".."}:
        problems.append("empty or a dot name")
    if any(c in name for c in '/\\:*?"<>|') or any(unicodedata.category(c)[0] == "C" for c in name):
        problems.append("a separator, reserved or control character")
    if name != name.rstrip(" ."):
        problems.append("a trailing dot or space")
    if is_windows_reserved(name):
        problems.append("a Windows device name")
    if len(name.encode("utf-8")) > MAX_COMPONENT_BYTES:
        problems.append(f"more than {MAX_COMPONENT_BYTES} bytes")
    if unicodedata.normalize("NFC", name) != name:
        problems.append("not NFC")
    if problems:
        raise ValueError(f"unsafe file name {name!r}: {', '.join(problems)}")


def path_inside(directory: Path, name: str) -> Path:
    """``directory / name``, proven to resolve inside ``directory`` (X1); ``ValueError`` if not."""
    check_component(name)
    root = directory.resolve()
    # Not resolve() on the file itself: a symlink by that name is replaced, never followed.
    path = Path(os.path.normpath(root / name))
    if path.parent != root or not path.is_relative_to(root):
        raise ValueError(f"{name!r} would leave the export folder {root}")
    return root / name
