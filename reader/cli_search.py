"""The command line's search commands (mixed into ``reader.cli.Cli``).

``gloss search QUERY`` follows the contract in DESIGN.md: with ``--json`` one object per hit with
``kind``, ``article_id``, ``id``, ``title`` and ``snippet`` (plain text), plus ``marks`` (the
matched spans of the snippet, ``[[start, end], …]`` in characters), ``feed``, ``date`` (ISO UTC
with a Z), ``color`` (highlights) and ``offset`` (where the match or highlight starts in the
article's text). A query that cannot be read is a usage error (exit 2) with a caret under the
place; a search that finds nothing prints "No results for …" and exits 0.
"""

from __future__ import annotations

import textwrap
import unicodedata
from typing import Any

from reader.cli_common import EXIT_OK, AddCommand, Commands, JsonFlag
from reader.core.errors import NotFoundError, QuerySyntaxError
from reader.core.timeutil import iso_z
from reader.core.types import SavedSearch, SavedSearchId, SearchHit, Snippet

BOLD, RESET = "\x1b[1m", "\x1b[0m"
PLAIN_MARKS = ("«", "»")
WRAP = 78  # as `gloss show` wraps
_HELD = ("\ue000", "\ue001")  # marks held while wrapping: one column, never a break


def add_parsers(command: AddCommand, json_flag: JsonFlag) -> None:
    p = command(
        "search",
        'search articles, highlights and notes: words, "phrases", -word, OR, (groups), '
        "feed: folder: tag: author: is: has: color: after: before: in: sort:",
        query=True,
    )
    p.add_argument(
        "query",
        nargs="+",
        metavar="QUERY",
        help="words and filters, in one argument or several: gloss search rust -java is:unread; "
        """a phrase keeps its quotes inside the shell's: gloss search '"borrow checker"'""",
    )
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    json_flag(p)

    p = command("searches", "list saved searches (smart folders) with their unread counts")
    json_flag(p)

    p = command("save-search", "save a search as a smart folder", query=True)
    p.add_argument("name", metavar="NAME")
    p.add_argument("query", nargs="+", metavar="QUERY", help="the search, as gloss search takes it")

    p = command("delete-search", "delete a saved search (its articles are not touched)")
    p.add_argument("search", metavar="NAME|ID")


def hit_json(hit: SearchHit) -> dict[str, Any]:
    return {
        "kind": hit.kind.value,
        "article_id": hit.article_id,
        "id": hit.id,
        "title": hit.title,
        "snippet": hit.snippet.text,
        "marks": [list(span) for span in hit.snippet.marks],
        "feed": hit.feed_title,
        "date": iso_z(hit.date),
        "read": hit.read,
        "starred": hit.starred,
        "color": hit.color,
        "offset": hit.offset,
    }


def saved_search_json(saved: SavedSearch) -> dict[str, Any]:
    return {"id": saved.id, "name": saved.name, "query": saved.query, "unread": saved.unread}


def marked(snippet: Snippet, opener: str, closer: str) -> str:
    """The snippet's text with each match between ``opener`` and ``closer``."""
    parts: list[str] = []
    at = 0
    for start, end in snippet.marks:
        parts.append(snippet.text[at:start])
        parts.append(opener + snippet.text[start:end] + closer)
        at = end
    parts.append(snippet.text[at:])
    return "".join(parts)


def snippet_lines(snippet: Snippet, *, bold: bool, indent: int) -> list[str]:
    """The snippet wrapped to ``WRAP`` columns below ``indent`` spaces, its matches shown bold on
    a terminal and «in guillemets» elsewhere."""
    opener, closer = (BOLD, RESET) if bold else PLAIN_MARKS
    lines = textwrap.wrap(
        marked(snippet, *_HELD),
        width=max(WRAP, indent + 40),
        initial_indent=" " * indent,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )
    return [line.replace(_HELD[0], opener).replace(_HELD[1], closer) for line in lines]


def caret_line(query: str, position: int, length: int) -> str:
    """Spaces up to ``position`` (wide characters count twice) and carets under the span."""

    def width(text: str) -> int:
        return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)

    under = query[position : position + max(length, 1)]
    return " " * width(query[:position]) + "^" * max(1, width(under))


class SearchCommands(Commands):
    def _syntax_error(self, query: str, error: QuerySyntaxError) -> int:
        caret = caret_line(query, error.position, error.length)
        return self.usage_error(f"{error}\n  {query}\n  {caret}")

    def cmd_search(self) -> int:
        query = " ".join(self.args.query)
        if self.args.limit < 1:
            return self.usage_error("--limit must be at least 1")
        if not query.strip():
            return self.usage_error("type a word, a phrase or a filter to search for")
        with self.open() as library:
            try:
                results = library.search(query, limit=self.args.limit)
            except QuerySyntaxError as e:
                return self._syntax_error(query, e)
        if self.listed(results.hits, hit_json, f"No results for {query}"):
            return EXIT_OK
        bold = self.out.isatty()
        kinds = [hit.kind.value + (f" ({hit.color})" if hit.color else "") for hit in results.hits]
        kind_width = max(len(kind) for kind in kinds)
        id_width = max(len(str(hit.article_id)) for hit in results.hits)
        for kind, hit in zip(kinds, results.hits, strict=True):
            feed = f"  — {hit.feed_title}" if hit.feed_title else ""
            self.out.write(
                f"{kind:<{kind_width}}  {hit.article_id:>{id_width}}  {hit.title}{feed}\n"
            )
            for line in snippet_lines(hit.snippet, bold=bold, indent=kind_width + id_width + 4):
                self.out.write(line + "\n")
        if results.more:
            self.out.write(
                f"… more than {self.args.limit} results; narrow the search or use --limit\n"
            )
        return EXIT_OK

    def cmd_searches(self) -> int:
        with self.open() as library:
            found: list[SavedSearch] = library.list_saved_searches()
        empty = "No saved searches. Save one with: gloss save-search NAME QUERY"
        if self.listed(found, saved_search_json, empty):
            return EXIT_OK
        width = max(len(str(s.id)) for s in found)
        for saved in found:
            self.out.write(f"{saved.id:>{width}}  {saved.unread:>5} unread  {saved.name}: ")
            self.out.write(f"{saved.query}\n")
        return EXIT_OK

    def cmd_save_search(self) -> int:
        query = " ".join(self.args.query)
        with self.open() as library:
            try:
                saved, _changes = library.create_saved_search(self.args.name, query)
            except QuerySyntaxError as e:
                return self._syntax_error(query, e)
        self.out.write(f"Saved search {saved.id}: {saved.name} ({saved.query})\n")
        return EXIT_OK

    def cmd_delete_search(self) -> int:
        with self.open() as library:
            saved = library.find_saved_search(self.args.search)
            if saved is None and self.args.search.isdigit():
                saved = library.get_saved_search(SavedSearchId(int(self.args.search)))
            if saved is None:
                raise NotFoundError(f"There is no saved search named “{self.args.search}”.")
            library.delete_saved_search(saved.id)
        self.out.write(f"Deleted saved search {saved.id}: {saved.name}\n")
        return EXIT_OK
