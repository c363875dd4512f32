"""The command line's highlight, note and export commands (mixed into ``reader.cli.Cli``).

Output follows the contract in DESIGN.md: ``highlights --json`` prints one JSON object per line
with ``id``, ``article_id``, ``quote``, ``note``, ``color``, ``tags`` and ``anchor``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from reader.cli_common import EXIT_OK, AddCommand, Commands, JsonFlag, short
from reader.core.errors import GlossError
from reader.core.timeutil import iso_z
from reader.core.types import HIGHLIGHT_COLORS, ArticleId, Highlight

EXPORT_FORMATS = ("markdown", "annotations-json")


def add_parsers(command: AddCommand, json_flag: JsonFlag) -> None:
    p = command("highlights", "list highlights (every article's, or one article's)")
    p.add_argument("--article", type=int, metavar="ID", help="only this article")
    json_flag(p)

    p = command("highlight", "highlight a passage of an article, found by its words")
    p.add_argument("article", type=int, metavar="ARTICLE")
    p.add_argument("quote", metavar="QUOTE", help="the words to highlight, as they appear")
    p.add_argument("--note", metavar="TEXT", help="a note for the highlight (Markdown)")
    p.add_argument(
        "--color",
        default=HIGHLIGHT_COLORS[0],
        choices=HIGHLIGHT_COLORS,
        metavar="C",
        help=f"one of {', '.join(HIGHLIGHT_COLORS)} (default {HIGHLIGHT_COLORS[0]})",
    )
    p.add_argument(
        "--occurrence",
        type=int,
        default=1,
        metavar="N",
        help="highlight the N-th time the words appear (default: the first)",
    )
    json_flag(p)

    p = command("note", "add a note to an article (Markdown; '-' reads it from stdin)")
    p.add_argument("article", type=int, metavar="ARTICLE")
    p.add_argument("text", metavar="TEXT")

    p = command("export", "export highlights and notes to a folder of Markdown files, or JSON")
    p.add_argument("directory", metavar="DIR")
    p.add_argument("--article", type=int, action="append", metavar="ID", help="only this article")
    p.add_argument("--feed", type=int, action="append", metavar="ID", help="only this feed")
    p.add_argument(
        "--format",
        choices=EXPORT_FORMATS,
        default="markdown",
        help="markdown: one file per article (default); annotations-json: one W3C Web "
        "Annotation file (annotations.json) that import-annotations reads back",
    )

    p = command(
        "import-annotations",
        "re-attach highlights and notes from an annotations-json export to this library",
    )
    p.add_argument("file", metavar="FILE")


def highlight_json(h: Highlight) -> dict[str, Any]:
    return {
        "id": h.id,
        "article_id": h.article_id,
        "quote": h.quote,
        "note": h.note,
        "color": h.color,
        "tags": list(h.tags),
        "anchor": h.anchor,
        "start": h.start,
        "end": h.end,
        "uuid": h.uuid,
        "created": iso_z(h.created_at),
        "updated": iso_z(h.updated_at),
    }


class AnnotationCommands(Commands):
    def cmd_highlights(self) -> int:
        with self.open() as library:
            article = ArticleId(self.args.article) if self.args.article is not None else None
            if article is not None:
                library.get_article(article)  # a clear "no such article" instead of nothing
            highlights: list[Highlight] = library.list_highlights(article)
            labels: dict[str, str] = library.color_labels()
        if self.listed(highlights, highlight_json, "No highlights yet."):
            return EXIT_OK
        for h in highlights:
            state = "" if h.anchor in ("exact", "relocated") else f"  [{h.anchor}]"
            self.out.write(
                f"{h.id:>6}  article {h.article_id:<6} {labels[h.color]:<10} "
                f"“{short(h.quote, 70)}”{state}\n"
            )
            if h.note:
                self.out.write(f"{'':8}note: {short(h.note, 70)}\n")
            if h.tags:
                self.out.write(f"{'':8}tags: {', '.join('#' + t for t in h.tags)}\n")
        return EXIT_OK

    def cmd_highlight(self) -> int:
        with self.open() as library:
            highlight, _changes = library.add_highlight_by_quote(
                ArticleId(self.args.article),
                self.args.quote,
                occurrence=self.args.occurrence,
                color=self.args.color,
                note=self.args.note,
            )
        if self.args.json:
            self.write_json(highlight_json(highlight))
        else:
            self.out.write(
                f"Highlighted “{short(highlight.quote, 70)}” in article {highlight.article_id} "
                f"(highlight {highlight.id}, {highlight.color}).\n"
            )
        return EXIT_OK

    def cmd_note(self) -> int:
        text = sys.stdin.read() if self.args.text == "-" else self.args.text
        with self.open() as library:
            note, _changes = library.add_note(ArticleId(self.args.article), text)
        self.out.write(f"Note {note.id} added to article {note.article_id}.\n")
        return EXIT_OK

    def cmd_export(self) -> int:
        directory = Path(self.args.directory).expanduser()
        with self.open() as library:
            if self.args.format == "annotations-json":
                data: bytes = library.export_annotations_json()
                target = (
                    directory if directory.suffix == ".json" else directory / "annotations.json"
                )
                from reader.core.atomic import write_atomic

                try:
                    target.parent.mkdir(parents=True, exist_ok=True)
                    write_atomic(target, data)
                except OSError as e:
                    raise GlossError(f"Cannot write {target}: {e.strerror or e}") from e
                self.out.write(f"Annotations written to {target}.\n")
                return EXIT_OK
            report = library.export_markdown(
                directory,
                article_ids=self.args.article,
                feed_ids=self.args.feed,
            )
        for name in report.kept_user_edits:
            self.err.write(
                f"gloss export: {name} was edited outside Gloss; it was left as it is.\n"
            )
        for name in report.conflict_copies:
            self.err.write(f"gloss export: the new export of it is in {name}.\n")
        total = len(report.written) + len(report.unchanged) + len(report.kept_user_edits)
        if total == 0:
            self.out.write("Nothing to export: no article has highlights or notes.\n")
            return EXIT_OK
        self.out.write(
            f"Exported {total} article(s) to {report.directory}: {len(report.written)} written, "
            f"{len(report.unchanged)} unchanged"
            + (
                f", {len(report.kept_user_edits)} kept as you edited them"
                if report.kept_user_edits
                else ""
            )
            + ".\n"
        )
        return EXIT_OK

    def cmd_import_annotations(self) -> int:
        path = Path(self.args.file).expanduser()
        try:
            data = sys.stdin.buffer.read() if self.args.file == "-" else path.read_bytes()
        except OSError as e:
            raise GlossError(f"Cannot read {path}: {e.strerror or e}") from e
        with self.open() as library:
            report, _changes = library.import_annotations(data)
        self.out.write(
            f"Imported annotations: {report.added} added, {report.updated} updated, "
            f"{report.unchanged} already here"
            + (
                f", {report.orphans} could not be placed (kept, listed in the article)"
                if report.orphans
                else ""
            )
            + ".\n"
        )
        for reason in report.skipped[:20]:
            self.err.write(f"gloss import-annotations: skipped {reason}\n")
        if report.unmatched:
            self.err.write(
                f"gloss import-annotations: {len(report.unmatched)} article(s) are not in this "
                "library; subscribe to their feeds (or save them) and import again:\n"
            )
            for url in report.unmatched[:20]:
                self.err.write(f"  {url}\n")
            if len(report.unmatched) > 20:
                self.err.write(f"  … and {len(report.unmatched) - 20} more\n")
        return EXIT_OK
