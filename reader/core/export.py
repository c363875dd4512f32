"""Markdown export: one file per article, safe to export again into a folder the user works in.

A file looks like this::

    ---
    title: "…"            front matter: every string double-quoted (X8), keys in this order,
    author: "…"           then any keys the user added (kept on re-export)
    feed: "…"
    url: "https://…"
    published: "2024-03-05T08:00:00Z"
    exported: "2024-04-01T12:00:00Z"
    tags:
    - "…"
    gloss_id: 42
    content_hash: "sha256:…"
    ---

    # Title               the generated part: heading, source, highlights in article order
    …                     (orphans last, marked), article notes
    <!-- gloss: everything below this line is yours; Gloss never changes it -->
    ## My notes           the user's region: kept byte for byte
    …

Exporting again finds the article's file by ``gloss_id`` among the ``.md`` files of the folder
itself (not its subfolders; only front matters are read), renames it if the title, and so the
name, changed, keeps the user's region, and replaces the generated part, unless
the user edited that part: then the file is left alone and the new export goes beside it as
``<name>.gloss-new.md`` (X13, the Omnivore → Obsidian complaint in features.md §1.5).

``content_hash`` is what tells an edited file from an untouched one. It covers the generated
part as written (the front matter values except ``exported`` and ``content_hash`` themselves,
plus the body up to and including the marker line), so:

- ``exported`` changes on every run but is outside the hash: an export with nothing new leaves
  the file untouched (same bytes, same mtime), and ``exported`` keeps saying when its content was
  last written;
- the front matter is compared as parsed values, the body with line ends folded to ``\\n`` and
  trailing spaces dropped: an editor that re-quotes YAML, saves CRLF or trims trailing spaces has
  not "edited" the file; anything else in the generated part has;
- keys the user adds to the front matter are not ours: they are outside the hash and carried over;
- a file whose stored hash equals the new export's hash has nothing to receive, edited or not:
  a conflict copy appears only when Gloss has something new for a file the user changed.

User text (titles, quotes, notes, tags, labels) is escaped so that CommonMark and Python-Markdown
show it verbatim, and Obsidian's own syntax (``#tag``, ``[[link]]``, ``==mark==``,
``%%comment%%``, ``$math$``, ``^block``) never appears bare in the file: no HTML, headings,
lists, links, tags, highlights or comments come out of it (X9, X10). Notes are Markdown the user
typed, but the export promises the user's own words, so they are escaped too; their line breaks
are kept as hard breaks and blank lines as paragraphs. Links are written only for http and https
URLs (X11).

Writes are atomic (X12): a temp file named ``.gloss-tmp-…`` in the same folder, fsync, replace;
``remove_stale_temp_files`` removes what a crash left, and only those.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import secrets
import stat
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml

from reader.core.atomic import TEMP_PREFIX
from reader.core.errors import GlossError
from reader.core.filenames import article_file_name, path_inside
from reader.core.timeutil import iso_z
from reader.core.types import ExportArticle, ExportReport, Highlight, Note

try:  # libyaml: about ten times faster for the thousands of front matters a re-export reads
    from yaml import CSafeDumper as _BaseDumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

__all__ = [
    "CONFLICT_SUFFIX",
    "MARKER",
    "ExportError",
    "article_file_name",
    "blockquote",
    "escape_block",
    "escape_inline",
    "export_articles",
    "markdown_for_clipboard",
    "remove_stale_temp_files",
    "render_article",
    "web_url",
]

MARKER = "<!-- gloss: everything below this line is yours; Gloss never changes it -->"
NEW_USER_REGION = "## My notes\n\n"
CONFLICT_SUFFIX = ".gloss-new"
ORPHAN_MARK = "passage no longer in the article"

_OUR_KEYS = (
    "title",
    "author",
    "feed",
    "url",
    "published",
    "exported",
    "tags",
    "gloss_id",
    "content_hash",
)
_UNHASHED_KEYS = frozenset({"exported", "content_hash"})
_HASHED_KEYS = tuple(k for k in _OUR_KEYS if k not in _UNHASHED_KEYS)


class ExportError(GlossError):
    """The export folder cannot be created, read or written."""


# ---------------------------------------------------------------- escaping (X9–X11)

# Characters a backslash neutralizes in CommonMark and in Python-Markdown alike.
_BACKSLASHED = {c: "\\" + c for c in "\\`*_[]#"}
# Characters Python-Markdown cannot backslash-escape: a numeric entity works in every renderer
# and is never structure (CommonMark spec: entities do not start blocks or delimiters).
_ENTITIES = {
    "<": "&lt;",
    "&": "&amp;",
    "|": "&#124;",  # tables (GFM, Obsidian)
    "^": "&#94;",  # Obsidian block ids, footnotes
    "=": "&#61;",  # ==highlight== (Obsidian), setext underline
    "%": "&#37;",  # %%comment%% (Obsidian)
    "~": "&#126;",  # ~~strike~~, ~~~ fences
    "$": "&#36;",  # $math$ (Obsidian)
}
_INLINE_SPECIALS = r"[\\`*_\[\]#<|^]|&(?=#?[A-Za-z0-9]+;)|([=%~])(?=\1)"
_INLINE_RE = re.compile(_INLINE_SPECIALS)
_INLINE_WITH_DOLLARS_RE = re.compile(_INLINE_SPECIALS + r"|\$")
_ORDERED_ITEM_RE = re.compile(r"(\d+)([.)])")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _replace_special(match: re.Match[str]) -> str:
    char = match.group(0)
    return _BACKSLASHED.get(char) or _ENTITIES[char]


def _clean(text: str) -> str:
    """Line ends folded to ``\\n``; other control characters (which no renderer shows) dropped."""
    return _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _escape_line(line: str, *, dollars: bool) -> str:
    """One line of user text as Markdown that renders as exactly that text.

    Leading and trailing blanks (any Unicode space) are dropped: HTML shows none of them, in
    Markdown they would make code blocks and hard breaks, and renderers disagree about the
    exotic ones (no-break space, U+2028) at the edge of a line.
    """
    body = line.strip()
    start = ""
    ordered = _ORDERED_ITEM_RE.match(body)
    if ordered:  # "1. " and "1) " start lists
        start = ordered.group(1) + "\\" + ordered.group(2)
        body = body[ordered.end() :]
    elif body[:1] in {">", "-", "+"}:  # quotes, bullets, rules and setext underlines
        start = "\\" + body[0]
        body = body[1:]
    elif body[:1] == "=":  # a setext underline, even a single "="
        start = "&#61;"
        body = body[1:]
    pattern = _INLINE_WITH_DOLLARS_RE if dollars else _INLINE_RE
    return start + pattern.sub(_replace_special, body)


def _has_math_pairs(text: str) -> bool:
    # A lone "$" cannot open math; leaving it bare keeps "$5" readable in the file.
    return text.count("$") >= 2


def escape_inline(text: str) -> str:
    """User text on one line (a heading, a label, link text): line breaks become spaces."""
    flat = " ".join(_clean(text).split("\n"))
    return _escape_line(flat, dollars=_has_math_pairs(flat))


def _paragraphs(text: str) -> list[list[str]]:
    """Escaped lines grouped into paragraphs (blank lines separate them)."""
    clean = _clean(text)
    dollars = _has_math_pairs(clean)
    paragraphs: list[list[str]] = []
    current: list[str] = []
    for line in clean.split("\n"):
        if line.strip():
            current.append(_escape_line(line, dollars=dollars))
        elif current:
            paragraphs.append(current)
            current = []
    if current:
        paragraphs.append(current)
    return paragraphs


_HARD_BREAK = "  \n"


def escape_block(text: str) -> str:
    """User text as Markdown paragraphs: its line breaks kept (hard breaks), blank lines too."""
    return "\n\n".join(_HARD_BREAK.join(lines) for lines in _paragraphs(text))


def blockquote(text: str) -> str:
    """User text as a blockquote: every line prefixed, blank lines as a bare ``>``."""
    paragraphs = _paragraphs(text)
    if not paragraphs:
        return ">"
    return "\n>\n".join(
        "\n".join(
            "> " + line + ("  " if i < len(lines) - 1 else "") for i, line in enumerate(lines)
        )
        for lines in paragraphs
    )


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http(s) URL with a host and no blanks or controls, else None (X11)."""
    if not url:
        return None
    if " " in url or not url.isprintable():  # isprintable: no other space, control or format
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return url


def _link(text: str, url: str) -> str:
    """A Markdown link to a checked http(s) URL; ``text`` is escaped Markdown already.

    Characters that end or confuse a link destination (parentheses, angle brackets, quotes,
    backslashes, brackets) are percent-encoded, which browsers treat as the same address.
    """
    destination = quote(url, safe="!#$%&'*+,/:;=?@~-._")
    return f"[{text}]({destination})"


# ---------------------------------------------------------------- rendering


@dataclass(frozen=True, slots=True)
class _Rendered:
    values: dict[str, object]  # front matter values inside the hash, in file order
    body: str  # from after the front matter to the end of the marker line
    content_hash: str

    def file_text(self, exported: str, extra: Mapping[str, object], user_region: str) -> str:
        front: dict[str, object] = {}
        for key in _OUR_KEYS:
            if key == "exported":
                front[key] = exported
            elif key == "content_hash":
                front[key] = self.content_hash
            else:
                front[key] = self.values[key]
        for key, value in extra.items():
            front.setdefault(key, value)
        return _front_matter(front) + self.body + user_region


class _Quoted(str):
    """A string the front matter writes double-quoted, whatever it looks like (X8)."""


class _FrontMatterDumper(_BaseDumper):
    pass


def _represent_quoted(dumper: _FrontMatterDumper, value: _Quoted) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(value), style='"')


_FrontMatterDumper.add_representer(_Quoted, _represent_quoted)


def _quote_strings(value: object) -> object:
    """Every string value becomes ``_Quoted``: safe_dump alone leaves ``1e3`` and ``no`` bare."""
    if isinstance(value, str):
        return _Quoted(value)
    if isinstance(value, list | tuple):
        return [_quote_strings(v) for v in value]
    if isinstance(value, dict):
        return {k: _quote_strings(v) for k, v in value.items()}
    return value


def _front_matter(values: Mapping[str, object]) -> str:
    dumped = yaml.dump(
        _quote_strings(dict(values)),
        Dumper=_FrontMatterDumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=1_000_000,  # never fold a long title over several lines
    )
    return f"---\n{dumped}---\n"


def _normalized_body(body: str) -> str:
    return "\n".join(line.rstrip() for line in body.replace("\r\n", "\n").split("\n"))


def _content_hash(values: Mapping[str, object], body: str) -> str:
    canonical = json.dumps(
        {key: values.get(key) for key in _HASHED_KEYS},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,  # a date the user's editor left unquoted: compared as text
    )
    data = f"{canonical}\n{_normalized_body(body)}".encode("utf-8", "surrogatepass")
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _day(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).date().isoformat()


def _label(color: str, labels: Mapping[str, str]) -> str:
    label = (labels.get(color) or "").strip() or color.title()
    text = f"**{escape_inline(label)}**"
    if label.casefold() != color.casefold():
        text += f" ({escape_inline(color)})"
    return text


def _source_lines(item: ExportArticle) -> list[str]:
    article = item.article
    lines = []
    link = web_url(article.link)
    if link:
        host = urlsplit(link).hostname or link
        lines.append(f"**Source:** {_link(escape_inline(host), link)}")
    elif article.link:
        lines.append(f"**Source:** {escape_inline(article.link)}")
    if article.feed_title and article.feed_title.strip():
        feed = escape_inline(article.feed_title)
        site = web_url(item.site_url)
        lines.append(f"**Feed:** {_link(feed, site) if site else feed}")
    if article.author and article.author.strip():
        lines.append(f"**Author:** {escape_inline(article.author)}")
    if article.published:
        lines.append(f"**Published:** {_day(article.published)}")
    return lines


def _highlight_blocks(highlight: Highlight, labels: Mapping[str, str]) -> list[str]:
    meta = [_label(highlight.color, labels)]
    if highlight.tags:
        meta.append("Tags: " + ", ".join(escape_inline(t) for t in highlight.tags))
    if highlight.anchor == "orphan":
        meta.append(f"*{ORPHAN_MARK}*")
    blocks = [blockquote(highlight.quote), " · ".join(meta)]
    if highlight.note and highlight.note.strip():
        blocks.append(escape_block(highlight.note))
    return blocks


def _note_blocks(note: Note) -> list[str]:
    return [f"*{_day(note.created_at)}*", escape_block(note.body) or "*(empty note)*"]


def _body_blocks(item: ExportArticle, labels: Mapping[str, str]) -> list[str]:
    title = escape_inline(item.article.title) or "Untitled"
    blocks = [f"# {title}"]
    source = _source_lines(item)
    if source:
        blocks.append(_HARD_BREAK.join(source))
    if item.highlights:
        blocks.append("## Highlights")
        for highlight in item.highlights:
            blocks.extend(_highlight_blocks(highlight, labels))
    if item.notes:
        blocks.append("## Article notes")
        for note in item.notes:
            blocks.extend(_note_blocks(note))
    return blocks


def _front_values(item: ExportArticle) -> dict[str, object]:
    article = item.article
    return {
        "title": article.title,
        "author": article.author,
        "feed": article.feed_title,
        "url": web_url(article.link),
        "published": iso_z(article.published),
        "tags": list(item.tags),
        "gloss_id": int(article.id),
    }


def _render(item: ExportArticle, labels: Mapping[str, str]) -> _Rendered:
    body = "\n" + "\n\n".join(_body_blocks(item, labels)) + f"\n\n{MARKER}\n"
    values = _front_values(item)
    return _Rendered(values, body, _content_hash(values, body))


def _exported_stamp(now: dt.datetime) -> str:
    if now.tzinfo is None:
        raise ValueError("export time must be timezone-aware UTC")
    stamp = iso_z(now)
    assert stamp is not None
    return stamp


def render_article(item: ExportArticle, labels: Mapping[str, str], now: dt.datetime) -> str:
    """The whole file as a first export writes it: front matter, generated part, empty region."""
    return _render(item, labels).file_text(_exported_stamp(now), {}, NEW_USER_REGION)


def markdown_for_clipboard(item: ExportArticle, labels: Mapping[str, str]) -> str:
    """ "Copy as Markdown": heading, source, highlights with notes, article notes; nothing else."""
    return "\n\n".join(_body_blocks(item, labels)) + "\n"


# ---------------------------------------------------------------- reading existing files

_FRONT_MATTER_RE = re.compile(
    r"\A\ufeff?---[ \t]*\r?\n(.*?)^(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S | re.M
)
_MARKER_RE = re.compile(r"^<!--[ \t]*gloss:[^\r\n]*-->[ \t]*(?:\r?\n|\Z)", re.M)
_GLOSS_ID_LINE_RE = re.compile(rb"gloss_id:[ \t]*(?:\"(\d+)\"|'(\d+)'|(\d+))[ \t]*")
_CONFLICT_NAME_RE = re.compile(re.escape(CONFLICT_SUFFIX) + r"(?:-\d+)?\.md\Z")
_MAX_FRONT_MATTER_LINES = 500


@dataclass(frozen=True, slots=True)
class _Existing:
    """A file on disk that carries a gloss_id, as far as it could be read."""

    name: str
    front: dict[str, object] | None  # None: no front matter, or YAML that does not parse
    body: str | None  # None: the marker line is gone
    user_region: str | None

    @property
    def gloss_id(self) -> object:
        return None if self.front is None else self.front.get("gloss_id")

    @property
    def stored_hash(self) -> str | None:
        value = None if self.front is None else self.front.get("content_hash")
        return value if isinstance(value, str) else None

    @property
    def unedited(self) -> bool:
        """True when the generated part is exactly what Gloss wrote (see the module docstring)."""
        if self.front is None or self.body is None or self.stored_hash is None:
            return False
        return _content_hash(self.front, self.body) == self.stored_hash

    @property
    def extra_front(self) -> dict[str, object]:
        if self.front is None:
            return {}
        return {k: v for k, v in self.front.items() if k not in _OUR_KEYS}


def _read_existing(path: Path) -> _Existing:
    try:
        raw = path.read_bytes()
    except OSError:
        return _Existing(path.name, None, None, None)
    # surrogateescape: bytes that are not UTF-8 in the user's region go back out unchanged.
    text = raw.decode("utf-8", "surrogateescape")
    match = _FRONT_MATTER_RE.match(text)
    if match is None:
        return _Existing(path.name, None, None, None)
    try:
        front = yaml.load(match.group(1), Loader=_Loader)
    except yaml.YAMLError:
        front = None
    rest = text[match.end() :]
    marker = _MARKER_RE.search(rest)
    body = rest[: marker.end()] if marker else None
    region = rest[marker.end() :] if marker else None
    return _Existing(path.name, front if isinstance(front, dict) else None, body, region)


def _read_gloss_id(path: Path) -> int | None:
    """The ``gloss_id`` in a file's front matter, reading no further than the front matter."""
    try:
        with path.open("rb") as f:
            first = f.readline(4096).removeprefix(b"\xef\xbb\xbf")
            if first.rstrip() != b"---":
                return None
            for _ in range(_MAX_FRONT_MATTER_LINES):
                line = f.readline(65536)
                stripped = line.rstrip()
                if not line or stripped in {b"---", b"..."}:
                    return None
                match = _GLOSS_ID_LINE_RE.fullmatch(stripped)
                if match:
                    return int(next(g for g in match.groups() if g is not None))
    except OSError:
        return None
    return None


def _index(root: Path) -> dict[int, list[str]]:
    """gloss_id → names of the files that carry it (conflict copies and temp files left out)."""
    found: dict[int, list[str]] = {}
    for entry in _scan(root):
        name = entry.name
        if (
            not name.lower().endswith(".md")
            or name.startswith(TEMP_PREFIX)
            or _CONFLICT_NAME_RE.search(name)
        ):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
        except OSError:
            continue
        gloss_id = _read_gloss_id(Path(entry.path))
        if gloss_id is not None:
            found.setdefault(gloss_id, []).append(name)
    for names in found.values():
        names.sort()
    return found


def _scan(root: Path) -> Iterator[os.DirEntry[str]]:
    try:
        with os.scandir(root) as entries:
            yield from entries
    except OSError as e:
        raise ExportError(f"Cannot read the export folder {root}: {e.strerror or e}") from e


# ---------------------------------------------------------------- writing


def _prepare_directory(directory: Path) -> Path:
    path = Path(directory).expanduser()
    if path.exists() and not path.is_dir():
        raise ExportError(f"Cannot export to {path}: it is a file, not a folder.")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ExportError(f"Cannot create the export folder {path}: {e.strerror or e}") from e
    return path.resolve()


def _write_file(path: Path, text: str) -> None:
    """Atomic replace (X12). New files get the usual permissions; replaced ones keep theirs."""
    data = text.encode("utf-8", "surrogateescape")
    try:
        mode: int | None = stat.S_IMODE(os.lstat(path).st_mode)
    except OSError:
        mode = None
    temp = path.parent / f"{TEMP_PREFIX}{secrets.token_hex(8)}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temp, flags, 0o666)  # the umask applies, as for any file the user saves
    except OSError as e:
        raise ExportError(
            f"Cannot write to the export folder {path.parent}: {e.strerror or e}"
        ) from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        os.replace(temp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise ExportError(f"Cannot write {path}: {e.strerror or e}") from e


def _fsync_directory(root: Path) -> None:
    """Once per export, not per file: the renames reach the disk together."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(root, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def remove_stale_temp_files(directory: Path) -> int:
    """Delete the temp files an interrupted export left in ``directory``; return how many.

    Only regular files named ``.gloss-tmp-…`` (the prefix every Gloss atomic write uses) are
    touched; the user's files, folders and links never are. A missing folder has none. A temp
    file of an export still running would go too: Gloss runs one export at a time, and calls this
    at the start of one and at start-up.
    """
    removed = 0
    try:
        with os.scandir(directory) as scan:
            entries = list(scan)
    except OSError:
        return 0
    for entry in entries:
        if not entry.name.startswith(TEMP_PREFIX):
            continue
        with contextlib.suppress(OSError):
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
    return removed


def _same_name(a: str, b: str) -> bool:
    # macOS hands back decomposed (NFD) names for what was written composed.
    return unicodedata.normalize("NFC", a) == unicodedata.normalize("NFC", b)


def _occupied(root: Path, name: str) -> bool:
    return os.path.lexists(root / name)


def _free_name(root: Path, item: ExportArticle, desired: str) -> str:
    """``desired``, or ``<stem>.2.md``, ``.3``… when a file Gloss did not write holds it."""
    name = desired
    n = 1
    while _occupied(root, name):
        n += 1
        name = article_file_name(item, extra=f".{n}")
    return name


class _Exporter:
    def __init__(self, root: Path, labels: Mapping[str, str], exported: str) -> None:
        self.root = root
        self.labels = labels
        self.exported = exported
        self.index = _index(root)
        self.written: list[str] = []
        self.unchanged: list[str] = []
        self.kept: list[str] = []
        self.copies: list[str] = []
        self.touched_directory = False

    def path(self, name: str) -> Path:
        return path_inside(self.root, name)

    def write(self, name: str, text: str) -> None:
        _write_file(self.path(name), text)
        self.touched_directory = True

    def rename(self, old: str, new: str) -> None:
        """Rename first, then rewrite in place: a crash between leaves a consistent file."""
        try:
            os.rename(self.path(old), self.path(new))
        except OSError as e:
            raise ExportError(f"Cannot rename {old} to {new}: {e.strerror or e}") from e
        self.touched_directory = True

    def export(self, item: ExportArticle) -> None:
        article_id = int(item.article.id)
        rendered = _render(item, self.labels)
        desired = article_file_name(item)
        names = self.index.get(article_id, [])
        current = next((n for n in names if _same_name(n, desired)), names[0] if names else None)

        if current is None:
            name = _free_name(self.root, item, desired)
            self.write(name, rendered.file_text(self.exported, {}, NEW_USER_REGION))
            self.index[article_id] = [name]
            self.written.append(name)
            return

        existing = _read_existing(self.path(current))
        if existing.stored_hash == rendered.content_hash and not existing.unedited:
            self.unchanged.append(current)  # edited, but Gloss has nothing new for it
            return
        if not existing.unedited:
            self.kept.append(current)
            self.copies.append(self.write_conflict_copy(item, rendered, existing))
            return

        target = current
        if not _same_name(current, desired) and not _occupied(self.root, desired):
            self.rename(current, desired)
            target = desired
            self.index[article_id] = [desired]
        if existing.stored_hash == rendered.content_hash:
            (self.written if target != current else self.unchanged).append(target)
            return
        region = existing.user_region if existing.user_region is not None else NEW_USER_REGION
        self.write(target, rendered.file_text(self.exported, existing.extra_front, region))
        self.written.append(target)

    def write_conflict_copy(
        self, item: ExportArticle, rendered: _Rendered, existing: _Existing
    ) -> str:
        """The new export beside the user's edited file, carrying that file's own region.

        With the user's region in it, the copy can simply replace the edited file once the user
        has taken what they want from it. A copy already there is reused only if it is one of
        ours for this article and untouched; otherwise the next free ``-N`` name is taken.
        """
        region = existing.user_region if existing.user_region is not None else NEW_USER_REGION
        n = 1
        while True:
            extra = CONFLICT_SUFFIX if n == 1 else f"{CONFLICT_SUFFIX}-{n}"
            name = article_file_name(item, extra=extra)
            if not _occupied(self.root, name):
                break
            copy = _read_existing(self.path(name))
            if copy.gloss_id == int(item.article.id) and copy.unedited:
                if copy.stored_hash == rendered.content_hash:
                    return name
                break
            n += 1
        self.write(name, rendered.file_text(self.exported, existing.extra_front, region))
        return name


def export_articles(
    directory: Path,
    items: Iterable[ExportArticle],
    labels: Mapping[str, str],
    now: dt.datetime,
) -> ExportReport:
    """Write or update one Markdown file per article in ``directory`` (created if missing).

    Each article lands in exactly one of ``written``, ``unchanged`` or ``kept_user_edits``;
    ``conflict_copies[i]`` is where the new export for ``kept_user_edits[i]`` went. Files of
    articles not in ``items``, and every file Gloss did not write, are left alone.
    """
    exported = _exported_stamp(now)
    root = _prepare_directory(directory)
    removed = remove_stale_temp_files(root)
    exporter = _Exporter(root, labels, exported)
    try:
        for item in items:
            exporter.export(item)
    finally:
        if exporter.touched_directory:
            _fsync_directory(root)
    return ExportReport(
        directory=str(root),
        written=tuple(exporter.written),
        unchanged=tuple(exporter.unchanged),
        kept_user_edits=tuple(exporter.kept),
        conflict_copies=tuple(exporter.copies),
        removed_temp_files=removed,
    )
