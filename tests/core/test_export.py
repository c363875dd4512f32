"""Markdown export (reliability.md X8–X13): files a vault can trust, and re-exports that never
clobber what the user wrote."""

from __future__ import annotations

import datetime as dt
import os
import pickle
import random
import re
import signal
import stat
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import markdown
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from reader.core.atomic import TEMP_PREFIX
from reader.core.export import (
    MARKER,
    ORPHAN_MARK,
    ExportError,
    blockquote,
    escape_block,
    escape_inline,
    export_articles,
    markdown_for_clipboard,
    remove_stale_temp_files,
    render_article,
)
from reader.core.filenames import article_file_name
from reader.core.types import (
    Article,
    ArticleId,
    ExportArticle,
    FeedId,
    Highlight,
    HighlightId,
    Note,
    NoteId,
)

UTC = dt.UTC
NOW = dt.datetime(2024, 4, 1, 12, 0, tzinfo=UTC)
LATER = dt.datetime(2024, 4, 2, 9, 30, tzinfo=UTC)
LABELS = {
    "yellow": "Important",
    "green": "Green",
    "blue": "Blue",
    "pink": "Question",
    "purple": "Purple",
}
REPO_ROOT = Path(__file__).resolve().parents[2]

QUOTES = [
    "In WAL mode, readers do not block writers and a writer does not block readers: the two "
    "can proceed concurrently.",
    "A checkpoint copies pages from the write-ahead log back into the database file.\n\n"
    "If a reader still holds an old snapshot, the checkpoint cannot run to completion.",
    "The default page size has been 4096 bytes since version 3.12.0.",
]


def when(day: int, hour: int = 8) -> dt.datetime:
    return dt.datetime(2024, 3, day, hour, 0, tzinfo=UTC)


def make_article(article_id: int = 4217, **changes: object) -> Article:
    base = Article(
        id=ArticleId(article_id),
        feed_id=FeedId(3),
        feed_title="LWN.net",
        title="Why SQLite's WAL mode lets readers and writers get along",
        link="https://lwn.net/Articles/901234/",
        author="Jonathan Corbet",
        published=when(5),
        updated=None,
        added=when(5, 9),
        read=True,
        starred=False,
        sort_at=when(5),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def make_highlight(
    n: int,
    quote: str,
    *,
    article_id: int = 4217,
    color: str = "yellow",
    note: str | None = None,
    tags: tuple[str, ...] = (),
    anchor: str = "exact",
) -> Highlight:
    return Highlight(
        id=HighlightId(n),
        article_id=ArticleId(article_id),
        quote=quote,
        prefix="",
        suffix="",
        start=n * 100,
        end=n * 100 + len(quote),
        color=color,
        note=note,
        tags=tags,
        anchor=anchor,
        created_at=when(6),
        updated_at=when(6),
    )


def make_note(n: int, body: str, *, article_id: int = 4217) -> Note:
    return Note(
        id=NoteId(n),
        article_id=ArticleId(article_id),
        body=body,
        created_at=when(7),
        updated_at=when(7),
    )


def make_item(
    article_id: int = 4217,
    *,
    highlights: tuple[Highlight, ...] | None = None,
    notes: tuple[Note, ...] | None = None,
    tags: tuple[str, ...] = ("databases", "sqlite"),
    **article_changes: object,
) -> ExportArticle:
    if highlights is None:
        highlights = (
            make_highlight(1, QUOTES[0], article_id=article_id),
            make_highlight(
                2,
                QUOTES[1],
                article_id=article_id,
                color="blue",
                note="Check how our backup job interacts with this.\nAsk ops on Monday.",
                tags=("ops",),
            ),
        )
    if notes is None:
        notes = (
            make_note(1, "A clear overview; compare with Postgres MVCC.", article_id=article_id),
        )
    return ExportArticle(
        article=make_article(article_id, **article_changes),
        highlights=highlights,
        notes=notes,
        tags=tags,
        site_url="https://lwn.net/",
    )


# ---------------------------------------------------------------- rendering helpers


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(v or "" for k, v in attrs if k == "href")
        self.hrefs.extend("src:" + (v or "") for k, v in attrs if k == "src")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def handle_comment(self, data: str) -> None:
        self.tags.append("!--")


def commonmark(source: str) -> str:
    rendered: str = MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(source)
    return rendered


def python_markdown(source: str) -> str:
    return markdown.markdown(source)


RENDERERS: dict[str, Callable[[str], str]] = {
    "commonmark": commonmark,
    "python-markdown": python_markdown,
}


def parse_html(rendered: str) -> _HtmlText:
    parser = _HtmlText()
    parser.feed(rendered)
    parser.close()
    return parser


def squash(text: str) -> str:
    """Whitespace as a browser shows it; control characters the export drops, dropped."""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", text)
    return re.sub(r"\s+", " ", text).strip()  # Unicode spaces too: renderers trim them apart


def front_matter(text: str) -> dict[str, object]:
    assert text.startswith("---\n")
    end = text.index("\n---\n", 4)
    loaded = yaml.safe_load(text[4:end])
    assert isinstance(loaded, dict)
    return loaded


def after_front_matter(text: str) -> str:
    return text[text.index("\n---\n", 4) + 5 :]


NASTY = [
    "<script>alert(1)</script>",
    "# Not a heading",
    "## also not",
    "---",
    "***",
    "___",
    "1. not a list",
    "1) not a list either",
    "2024. A year to remember",
    "> not a quote",
    "- not a bullet",
    "+ nor this",
    "* nor this",
    "![](https://tracker.example/p.gif)",
    "[click](javascript:alert(1))",
    "[ref]: https://example.com/",
    "<https://example.com/autolink>",
    "<me@example.com>",
    "line one\n\nline three after a blank line",
    "#tag and [[Wiki Link]] and ==marked== and %%hidden comment%%",
    "*emphasis* _under_ **strong** `code` ``double``",
    "a | b\n--- | ---\n1 | 2",
    "~~strike~~ and ~~~ fence",
    "```python\nprint('fenced')\n```",
    "AT&T &amp; &copy; &#65; &#x41; & alone",
    "back\\slash at the end \\",
    "\\*not emphasis\\*",
    "    four spaces make code",
    "\tA tab start",
    "Setext heading\n===",
    "Setext heading\n=",
    "Setext heading\n-",
    "It costs $5, or $10 with $x^2$ math",
    "x^2 and a block id ^abc123",
    "Obsidian callout\n> [!note] hi",
    "<!-- a comment -->",
    "<div>\nblock html\n</div>",
    "&#x3C;script&#x3E;",
    "trailing spaces make breaks  \nnext",
    "Ünïcödé — “quotes” ‘single’ 日本語 🙂",
    "{: .class} {#id}",
    ":smile: :+1:",
    "| pipe at start",
    "\u202ereversed\u200b zero width",
    "=equals start",
    "%% two percent",
    "a\r\nwindows\rline ends",
]


# ---------------------------------------------------------------- front matter (X8)

YAML_TRAPS = [
    "Breaking: x",
    "no",
    "null",
    "yes",
    "on",
    "~",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "1e3",
    "0x1F",
    "0o17",
    ".inf",
    "#x",
    "- x",
    "*a",
    "&anchor",
    "!!python/object/apply:os.system ['echo hi']",
    "a newline\nin the middle",
    "  leading and trailing  ",
    "'single' and \"double\" quotes",
    "{a: 1}",
    "[1, 2]",
    "| literal",
    "> folded",
    "%YAML 1.1",
    "@at",
    "`tick",
    "tab\there",
    "",
    "ünï ☃ 日本語 \u2028 line separator \u0085 \ufeff bom",
    "x" * 500,
]


@pytest.mark.parametrize("value", YAML_TRAPS)
def test_front_matter_round_trips_every_string(value: str) -> None:
    item = make_item(title=value, author=value, feed_title=value, tags=(value, "plain"))
    text = render_article(item, LABELS, NOW)
    data = front_matter(text)
    assert data["title"] == value
    assert data["author"] == value
    assert data["feed"] == value
    assert data["tags"] == [value, "plain"]
    assert all(isinstance(v, str) for v in (data["title"], data["author"], data["feed"]))
    assert data["gloss_id"] == 4217
    assert data["url"] == "https://lwn.net/Articles/901234/"
    assert data["published"] == "2024-03-05T08:00:00Z"
    assert data["exported"] == "2024-04-01T12:00:00Z"


def test_every_front_matter_string_is_double_quoted() -> None:
    """A YAML 1.2 reader (Obsidian's) takes a bare 1e3 for a number: nothing is left bare."""
    text = render_article(make_item(title="1e3", author="no", tags=("0x1F",)), LABELS, NOW)
    lines = text[4 : text.index("\n---\n", 4)].split("\n")
    for line in lines:
        if line.startswith("gloss_id:"):
            assert line == "gloss_id: 4217"
        elif line == "tags:":
            continue
        else:
            value = line.split(": ", 1)[1] if not line.startswith("- ") else line[2:]
            assert value.startswith('"') and value.endswith('"'), line


def test_missing_values_are_null_and_keys_keep_their_order() -> None:
    item = make_item(author=None, feed_title=None, link=None, published=None, tags=())
    data = front_matter(render_article(item, LABELS, NOW))
    assert list(data) == [
        "title",
        "author",
        "feed",
        "url",
        "published",
        "exported",
        "tags",
        "gloss_id",
        "content_hash",
    ]
    assert data["author"] is None and data["url"] is None and data["tags"] == []


def test_non_web_link_never_reaches_the_front_matter_url() -> None:
    data = front_matter(render_article(make_item(link="javascript:alert(1)"), LABELS, NOW))
    assert data["url"] is None


def test_export_time_is_outside_the_content_hash() -> None:
    first = front_matter(render_article(make_item(), LABELS, NOW))
    second = front_matter(render_article(make_item(), LABELS, LATER))
    assert first["exported"] != second["exported"]
    assert first["content_hash"] == second["content_hash"]
    changed = front_matter(render_article(make_item(title="Another title"), LABELS, NOW))
    assert changed["content_hash"] != first["content_hash"]


def test_naive_export_time_is_refused() -> None:
    with pytest.raises(ValueError):
        render_article(make_item(), LABELS, dt.datetime(2024, 1, 1))


# ---------------------------------------------------------------- escaping (X9–X11)


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("text", NASTY)
def test_quotes_render_verbatim(renderer: str, text: str) -> None:
    parsed = parse_html(RENDERERS[renderer](blockquote(text)))
    assert squash("".join(parsed.text)) == squash(text)
    assert parsed.tags.count("blockquote") == 1
    assert set(parsed.tags) <= {"blockquote", "p", "br"}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("text", NASTY)
def test_notes_render_verbatim(renderer: str, text: str) -> None:
    parsed = parse_html(RENDERERS[renderer](escape_block(text)))
    assert squash("".join(parsed.text)) == squash(text)
    assert set(parsed.tags) <= {"p", "br"}


@pytest.mark.parametrize("renderer", RENDERERS)
@pytest.mark.parametrize("text", NASTY)
def test_titles_render_verbatim_in_one_heading(renderer: str, text: str) -> None:
    parsed = parse_html(RENDERERS[renderer]("# " + escape_inline(text)))
    assert squash("".join(parsed.text)) == squash(text)
    assert parsed.tags == ["h1"]


@pytest.mark.parametrize("renderer", RENDERERS)
def test_line_breaks_and_blank_lines_in_notes_survive(renderer: str) -> None:
    note = "First line\nsecond line\n\nA new paragraph"
    rendered = RENDERERS[renderer](escape_block(note))
    parsed = parse_html(rendered)
    assert parsed.tags.count("p") == 2
    assert parsed.tags.count("br") == 1
    quoted = parse_html(RENDERERS[renderer](blockquote(note)))
    assert quoted.tags.count("p") == 2 and quoted.tags.count("br") == 1


@pytest.mark.parametrize(
    ("text", "forbidden"),
    [
        ("#tag", r"(?<!\\)#"),
        ("[[Wiki Link]]", r"(?<!\\)\["),
        ("==marked==", r"=="),
        ("%%hidden%%", r"%%"),
        ("~~gone~~", r"~~"),
        ("$x^2$ and $y$", r"\$|\^"),
        ("a | b", r"\|"),
        ("end ^block-id", r"\^"),
    ],
)
def test_obsidian_syntax_is_neutralised_in_the_file(text: str, forbidden: str) -> None:
    """Obsidian reads these from the raw text; the file must not contain them bare (X10)."""
    for escaped in (blockquote(text), escape_block(text), escape_inline(text)):
        assert not re.search(forbidden, escaped.removeprefix("> ")), escaped


def test_a_single_dollar_stays_readable() -> None:
    assert escape_inline("It costs $5") == "It costs $5"


_PRINTABLE = st.characters(
    codec="utf-8",
    exclude_categories=("Cs", "Cc"),
) | st.sampled_from(list("\n\t \\`*_{}[]()#+-.!<>&|^=%~$:;'\"/?@0123456789"))


@settings(max_examples=400, deadline=None)
@given(st.text(_PRINTABLE, max_size=60))
def test_any_text_renders_verbatim_everywhere(text: str) -> None:
    for render in RENDERERS.values():
        for markup, context in (
            (blockquote(text), "quote"),
            (escape_block(text), "note"),
            ("# " + escape_inline(text), "title"),
        ):
            parsed = parse_html(render(markup))
            assert squash("".join(parsed.text)) == squash(text), (context, markup)
            assert set(parsed.tags) <= {"blockquote", "p", "br", "h1"}, (context, markup)


def document_html(text: str, renderer: str) -> _HtmlText:
    return parse_html(RENDERERS[renderer](after_front_matter(text)))


@pytest.mark.parametrize("renderer", RENDERERS)
def test_whole_file_shows_hostile_text_verbatim_and_nothing_else(renderer: str) -> None:
    hostile = NASTY[::3]
    highlights = tuple(
        make_highlight(i, text, note=text, tags=(text,), color="pink")
        for i, text in enumerate(hostile)
    )
    notes = tuple(make_note(i, text) for i, text in enumerate(hostile))
    item = make_item(
        title="<b>Bold</b> # title [[x]]",
        author="*Anon* <a href=x>",
        feed_title="Feed ==1== %%2%%",
        highlights=highlights,
        notes=notes,
    )
    labels = {**LABELS, "pink": "<i>Why?</i> #q"}
    text = render_article(item, labels, NOW)
    parsed = document_html(text, renderer)
    shown = squash("".join(parsed.text))
    for value in [*hostile, "<b>Bold</b> # title [[x]]", "*Anon* <a href=x>", "<i>Why?</i> #q"]:
        assert squash(value) in shown
    assert parsed.tags.count("h1") == 1
    assert parsed.tags.count("blockquote") == len(hostile)
    assert parsed.tags.count("h2") == 3  # Highlights, Article notes, My notes
    assert set(parsed.tags) <= {"h1", "h2", "p", "br", "blockquote", "strong", "em", "a", "!--"}
    assert not any(t in parsed.tags for t in ("script", "img", "b", "i", "hr", "ol", "ul", "code"))
    assert all(h.startswith("https://") for h in parsed.hrefs)


@pytest.mark.parametrize("renderer", RENDERERS)
def test_non_web_links_are_text_not_links(renderer: str) -> None:
    item = replace(
        make_item(link="javascript:alert(document.cookie)"),
        site_url="data:text/html,<script>alert(1)</script>",
    )
    parsed = document_html(render_article(item, LABELS, NOW), renderer)
    assert parsed.hrefs == []
    shown = squash("".join(parsed.text))
    assert "javascript:alert(document.cookie)" in shown
    assert "LWN.net" in shown


@pytest.mark.parametrize("renderer", RENDERERS)
def test_web_links_survive_awkward_characters(renderer: str) -> None:
    url = "https://en.wikipedia.org/wiki/Fork_(software_development)?a=1&b=<2>#top"
    item = replace(make_item(link=url), site_url="https://en.wikipedia.org/")
    parsed = document_html(render_article(item, LABELS, NOW), renderer)
    assert [unquote(h) for h in parsed.hrefs] == [url, "https://en.wikipedia.org/"]


# ---------------------------------------------------------------- content and layout


def test_file_reads_like_a_note() -> None:
    orphan = make_highlight(3, QUOTES[2], color="pink", anchor="orphan", note="Still true?")
    item = make_item(highlights=(*make_item().highlights, orphan))
    text = render_article(item, LABELS, NOW)
    body = after_front_matter(text)
    assert body.startswith("\n# Why SQLite's WAL mode lets readers and writers get along\n")
    positions = [body.index(q.split("\n")[0]) for q in QUOTES]
    assert positions == sorted(positions)  # article order, orphan last as given
    assert "**Important** (yellow)" in body
    assert "**Blue** · Tags: ops" in body  # a label equal to the colour is not repeated
    assert f"**Question** (pink) · *{ORPHAN_MARK}*" in body
    assert "Check how our backup job interacts with this.  \nAsk ops on Monday." in body
    assert body.index("## Article notes") > body.index(QUOTES[2])
    assert "A clear overview; compare with Postgres MVCC." in body
    assert body.endswith(f"\n{MARKER}\n## My notes\n\n")
    assert "**Source:** [lwn.net](https://lwn.net/Articles/901234/)" in body
    assert "**Feed:** [LWN.net](https://lwn.net/)" in body
    assert "**Author:** Jonathan Corbet" in body
    assert "**Published:** 2024-03-05" in body


def test_article_without_highlights_or_notes_has_no_empty_sections() -> None:
    body = after_front_matter(render_article(make_item(highlights=(), notes=()), LABELS, NOW))
    assert "## Highlights" not in body and "## Article notes" not in body


def test_empty_title_gets_a_heading_anyway() -> None:
    body = after_front_matter(render_article(make_item(title="  "), LABELS, NOW))
    assert "\n# Untitled\n" in body


def test_unknown_label_falls_back_to_the_colour_name() -> None:
    body = after_front_matter(render_article(make_item(), {}, NOW))
    assert "**Yellow**" in body and "**Blue**" in body


def test_copy_as_markdown_has_no_front_matter_and_no_marker() -> None:
    clip = markdown_for_clipboard(make_item(), LABELS)
    assert clip.startswith("# Why SQLite")
    assert "gloss_id" not in clip and MARKER not in clip and "My notes" not in clip
    assert QUOTES[0] in clip and "## Article notes" in clip
    parsed = parse_html(commonmark(clip))
    assert parsed.tags.count("blockquote") == 2


# ---------------------------------------------------------------- export to a folder


def md_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".md"))


def backdate(path: Path) -> int:
    """Set an old mtime, so that any rewrite shows whatever the clock resolution."""
    os.utime(path, (1_000_000_000, 1_000_000_000))
    return path.stat().st_mtime_ns


def test_first_export_writes_one_file_per_article(tmp_path: Path) -> None:
    folder = tmp_path / "vault" / "Gloss"
    items = [make_item(1, title="First post"), make_item(2, title="Second post")]
    report = export_articles(folder, items, LABELS, NOW)
    assert md_files(folder) == ["2024-03-05-first-post-1.md", "2024-03-05-second-post-2.md"]
    assert report.written == ("2024-03-05-first-post-1.md", "2024-03-05-second-post-2.md")
    assert report.directory == str(folder.resolve())
    assert (folder / report.written[0]).read_text("utf-8") == render_article(items[0], LABELS, NOW)


def test_titles_differing_only_in_case_give_two_files(tmp_path: Path) -> None:
    items = [make_item(1, title="Breaking News"), make_item(2, title="BREAKING NEWS")]
    report = export_articles(tmp_path, items, LABELS, NOW)
    assert len(set(report.written)) == 2
    assert len(md_files(tmp_path)) == 2


@pytest.mark.parametrize(
    "title", ["../../etc/passwd", "..", ".", "CON", "AUX .md", "a\u202egnp.exe"]
)
def test_hostile_titles_land_inside_the_folder(tmp_path: Path, title: str) -> None:
    folder = tmp_path / "out"
    report = export_articles(folder, [make_item(title=title)], LABELS, NOW)
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    assert md_files(folder) == list(report.written)
    assert front_matter((folder / report.written[0]).read_text("utf-8"))["title"] == title


def test_reexport_with_nothing_new_touches_nothing(tmp_path: Path) -> None:
    item = make_item()
    first = export_articles(tmp_path, [item], LABELS, NOW)
    path = tmp_path / first.written[0]
    before = path.read_bytes()
    mtime = backdate(path)
    again = export_articles(tmp_path, [item], LABELS, LATER)
    assert again.unchanged == first.written and again.written == ()
    assert path.read_bytes() == before  # "exported" still says when the content was written
    assert path.stat().st_mtime_ns == mtime


USER_REGION = (
    "## My notes\r\n\r\nMy own thoughts, with a [[Link]] and #tag.\r\n"
    "<!-- gloss: a marker-looking line the user pasted -->\n"
    "Bytes that are not UTF-8: \xff\xfe end\n"
)


def add_user_notes(path: Path) -> bytes:
    """Replace the empty user region with the user's own writing (CRLF, odd bytes and all)."""
    data = path.read_bytes()
    head = data[: data.index(MARKER.encode()) + len(MARKER) + 1]
    region = USER_REGION.encode("latin-1")
    path.write_bytes(head + region)
    return region


def test_reexport_replaces_the_generated_part_and_keeps_the_users_region(tmp_path: Path) -> None:
    item = make_item()
    name = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    path = tmp_path / name
    region = add_user_notes(path)
    new_highlight = make_highlight(9, QUOTES[2], color="green", note="New note")
    updated = replace(item, highlights=(*item.highlights, new_highlight))
    report = export_articles(tmp_path, [updated], LABELS, LATER)
    assert report.written == (name,)
    data = path.read_bytes()
    assert data.endswith(MARKER.encode() + b"\n" + region)
    text = data.decode("utf-8", "surrogateescape")
    assert QUOTES[2] in text and "New note" in text
    assert front_matter(text)["exported"] == "2024-04-02T09:30:00Z"
    # And a third export with nothing new leaves it all alone.
    again = export_articles(tmp_path, [updated], LABELS, LATER + dt.timedelta(days=1))
    assert again.unchanged == (name,)
    assert path.read_bytes() == data


def test_renamed_article_moves_its_file(tmp_path: Path) -> None:
    item = make_item(title="Draft title")
    old = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    region = add_user_notes(tmp_path / old)
    renamed = replace(item, article=replace(item.article, title="Final title"))
    report = export_articles(tmp_path, [renamed], LABELS, LATER)
    assert report.written == ("2024-03-05-final-title-4217.md",)
    assert md_files(tmp_path) == ["2024-03-05-final-title-4217.md"]
    data = (tmp_path / report.written[0]).read_bytes()
    assert data.endswith(region)
    assert b'title: "Final title"' in data


def test_user_edit_of_the_generated_part_is_never_overwritten(tmp_path: Path) -> None:
    item = make_item()
    name = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    path = tmp_path / name
    region = add_user_notes(path)
    edited = path.read_bytes().replace(b"Ask ops on Monday.", b"Asked ops: they said Tuesday.")
    path.write_bytes(edited)

    # Nothing new from Gloss: the edited file is simply kept, no copy appears.
    quiet = export_articles(tmp_path, [item], LABELS, LATER)
    assert quiet.unchanged == (name,) and quiet.conflict_copies == ()
    assert md_files(tmp_path) == [name]

    updated = replace(item, highlights=(*item.highlights, make_highlight(9, QUOTES[2])))
    report = export_articles(tmp_path, [updated], LABELS, LATER)
    copy = name.removesuffix(".md") + ".gloss-new.md"
    assert report.kept_user_edits == (name,)
    assert report.conflict_copies == (copy,)
    assert report.written == () and report.unchanged == ()
    assert path.read_bytes() == edited
    copy_bytes = (tmp_path / copy).read_bytes()
    assert QUOTES[2].encode() in copy_bytes
    assert copy_bytes.endswith(region)  # the copy can replace the original without losing notes
    assert front_matter(copy_bytes.decode("utf-8", "surrogateescape"))["gloss_id"] == 4217

    # Still in conflict next time: the copy is reused, not multiplied, and not rewritten.
    mtime = backdate(tmp_path / copy)
    later = export_articles(tmp_path, [updated], LABELS, LATER + dt.timedelta(days=1))
    assert later.kept_user_edits == (name,) and later.conflict_copies == (copy,)
    assert (tmp_path / copy).stat().st_mtime_ns == mtime
    assert md_files(tmp_path) == sorted([name, copy])

    # The user edits the copy too: it is theirs now, the next copy goes beside it.
    (tmp_path / copy).write_bytes(copy_bytes.replace(b"# Why", b"# My take on why"))
    newer = replace(updated, notes=(*updated.notes, make_note(2, "Second thoughts")))
    third = export_articles(tmp_path, [newer], LABELS, LATER + dt.timedelta(days=2))
    assert third.conflict_copies == (name.removesuffix(".md") + ".gloss-new-2.md",)
    assert b"# My take on why" in (tmp_path / copy).read_bytes()


def test_deleting_the_marker_counts_as_an_edit(tmp_path: Path) -> None:
    item = make_item()
    name = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    path = tmp_path / name
    path.write_bytes(path.read_bytes().replace(MARKER.encode(), b""))
    report = export_articles(tmp_path, [make_item(title="New title")], LABELS, LATER)
    assert report.kept_user_edits == (name,)
    assert md_files(tmp_path) == sorted([name, report.conflict_copies[0]])


def test_cosmetic_rewrites_by_editors_are_not_edits(tmp_path: Path) -> None:
    """CRLF, trimmed trailing spaces and re-styled YAML (with an added property) are no conflict."""
    item = make_item()
    name = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    path = tmp_path / name
    text = path.read_text("utf-8")
    data = front_matter(text)
    data["aliases"] = ["WAL article"]
    data["rating"] = 5
    restyled = "---\n" + yaml.safe_dump(data, sort_keys=False) + "---\n" + after_front_matter(text)
    restyled = "\n".join(line.rstrip() for line in restyled.split("\n")).replace("\n", "\r\n")
    path.write_bytes(restyled.encode())

    updated = replace(item, notes=(*item.notes, make_note(2, "Second thoughts")))
    report = export_articles(tmp_path, [updated], LABELS, LATER)
    assert report.written == (name,) and report.kept_user_edits == ()
    new = front_matter(path.read_text("utf-8"))
    assert new["aliases"] == ["WAL article"] and new["rating"] == 5  # the user's keys stay
    assert "Second thoughts" in path.read_text("utf-8")


def test_files_gloss_did_not_write_are_left_alone(tmp_path: Path) -> None:
    item = make_item()
    desired = article_file_name(item)
    squatter = tmp_path / desired
    squatter.write_text("# My own file that happens to have this name\n")
    others = {
        "notes.md": "# Plain note\n",
        "other.md": "---\ntitle: mine\ngloss_id_like: 4217\n---\nhello\n",
        "gloss-tmp-looking.md": "---\ngloss_id: 99\n---\n",
    }
    for other, content in others.items():
        (tmp_path / other).write_text(content)
    report = export_articles(tmp_path, [item], LABELS, NOW)
    assert report.written == (desired.removesuffix(".md") + ".2.md",)
    assert squatter.read_text() == "# My own file that happens to have this name\n"
    for other, content in others.items():
        assert (tmp_path / other).read_text() == content
    # The next export finds its file again by gloss_id, not by name.
    again = export_articles(tmp_path, [item], LABELS, LATER)
    assert again.unchanged == report.written


def test_a_duplicated_file_leaves_the_copy_alone(tmp_path: Path) -> None:
    item = make_item()
    name = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    duplicate = tmp_path / "Copy of my article.md"
    duplicate.write_bytes((tmp_path / name).read_bytes())
    updated = replace(item, notes=(make_note(5, "Changed my mind"),))
    report = export_articles(tmp_path, [updated], LABELS, LATER)
    assert report.written == (name,)
    assert b"Changed my mind" not in duplicate.read_bytes()


def test_permissions_follow_the_umask_and_survive_rewrites(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX permissions")
    item = make_item()
    old_umask = os.umask(0o022)
    try:
        name = export_articles(tmp_path, [item], LABELS, NOW).written[0]
    finally:
        os.umask(old_umask)
    path = tmp_path / name
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    path.chmod(0o600)
    export_articles(tmp_path, [make_item(title="Changed")], LABELS, LATER)
    renamed = tmp_path / "2024-03-05-changed-4217.md"
    assert stat.S_IMODE(renamed.stat().st_mode) == 0o600


def test_a_file_where_the_folder_should_be_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "export"
    target.write_text("not a folder")
    with pytest.raises(ExportError, match="not a folder"):
        export_articles(target, [make_item()], LABELS, NOW)
    with pytest.raises(ExportError, match="Cannot create the export folder"):
        export_articles(target / "inside", [make_item()], LABELS, NOW)
    assert target.read_text() == "not a folder"


def test_a_read_only_folder_is_a_clear_error(tmp_path: Path) -> None:
    target = tmp_path / "read-only"
    target.mkdir()
    target.chmod(0o555)
    if os.access(target, os.W_OK):  # root writes through mode bits; /sys refuses even root
        target = Path("/sys")
        if not target.is_dir():
            pytest.skip("no folder this user cannot write to")
    with pytest.raises(ExportError, match="Cannot write to the export folder"):
        export_articles(target, [make_item()], LABELS, NOW)


# ---------------------------------------------------------------- crashes and temp files (X12)


def test_only_gloss_temp_files_are_removed(tmp_path: Path) -> None:
    (tmp_path / f"{TEMP_PREFIX}abc123").write_text("torn")
    (tmp_path / f"{TEMP_PREFIX}def456").write_text("torn")
    (tmp_path / f"{TEMP_PREFIX}folder").mkdir()
    (tmp_path / "gloss-tmp-mine.md").write_text("user")
    (tmp_path / ".tmp-other").write_text("user")
    (tmp_path / "notes.md").write_text("user")
    report = export_articles(tmp_path, [make_item()], LABELS, NOW)
    assert report.removed_temp_files == 2
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(
        [f"{TEMP_PREFIX}folder", "gloss-tmp-mine.md", ".tmp-other", "notes.md", *report.written]
    )
    assert remove_stale_temp_files(tmp_path / "missing") == 0


WRITER = textwrap.dedent(
    """
    import pickle, sys
    from pathlib import Path
    from reader.core.export import export_articles
    folder, data = Path(sys.argv[1]), Path(sys.argv[2])
    versions, labels, now = pickle.loads(data.read_bytes())
    print("ready", flush=True)
    n = 0
    while True:
        export_articles(folder, [versions[n % 2]], labels, now)
        n += 1
    """
)


def big_item(version: str) -> ExportArticle:
    """An article big enough (about 400 kB) that a kill lands mid-write now and then."""
    highlights = tuple(
        make_highlight(i, f"{version} {i}: " + QUOTES[i % 3] * 4, note=f"Note {version}{i}")
        for i in range(300)
    )
    return make_item(title=f"Version {version}", highlights=highlights)


def generated_part(text: str) -> str:
    return text.split(MARKER)[0].split("exported:", 1)[0] + MARKER


def test_killed_export_leaves_the_old_or_the_new_file(tmp_path: Path) -> None:
    """Each trial kills a process that rewrites one article back and forth between two versions
    (renamed each time, as the title differs) at a random moment."""
    rng = random.Random(20240401)
    versions = [big_item("A"), big_item("B")]
    expected = {generated_part(render_article(v, LABELS, NOW)) for v in versions}
    data = tmp_path / "versions.pickle"
    data.write_bytes(pickle.dumps((versions, LABELS, NOW)))
    folder = tmp_path / "export"
    for _ in range(20):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(folder), str(data)],
            stdout=subprocess.PIPE,
            cwd=REPO_ROOT,
        )
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.0, 0.15))
        child.send_signal(signal.SIGKILL)
        child.wait()
        child.stdout.close()
        files = md_files(folder) if folder.exists() else []
        assert len(files) <= 1
        for name in files:
            text = (folder / name).read_text("utf-8")
            assert generated_part(text) in expected, f"torn file {name}"
    # Whatever temp files the kills left are cleared by the next export.
    export_articles(folder, [versions[0]], LABELS, NOW)
    assert not [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)]
