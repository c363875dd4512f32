"""The ``gloss`` command: an argparse front end over ``Library``. No arguments opens the window.

The command line is a contract (DESIGN.md): names, options and JSON keys are relied on by
scripts. Errors go to stderr with exit status 1; usage errors exit with 2 (argparse's own).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import textwrap
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reader import cli_annotations, cli_offline, cli_rules, cli_search
from reader.build_info import version_text
from reader.cli_common import EXIT_ERROR, EXIT_OK, EXIT_USAGE, CommandParser
from reader.cli_desktop import add_in_window, feed_link_argument, hand_to_window
from reader.core.desktop import is_feed_link, normalise_feed_link
from reader.core.errors import AmbiguousFeedError, GlossError, NotBuiltError
from reader.core.paths import resolve_library_path
from reader.core.timeutil import iso_z
from reader.core.types import (
    Article,
    ArticleFilter,
    ArticleId,
    Feed,
    FeedId,
    RefreshOutcome,
    RefreshResult,
)

# Commands of later parts of Gloss: they exist so that scripts get a plain answer, not a
# usage error, and they say which part will bring them.
NOT_BUILT_YET: dict[str, str] = {}


def _local(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def feed_json(feed: Feed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "title": feed.title,
        "url": feed.url,
        "site_url": feed.site_url,
        "folder": feed.folder,
        "unread": feed.unread,
        "status": feed.status.value,
        "error": feed.error,
        "last_fetched": iso_z(feed.last_fetched_at),
        "notify": feed.notify,
    }


def article_json(article: Article) -> dict[str, Any]:
    return {
        "id": article.id,
        "feed_id": article.feed_id,
        "feed": article.feed_title,
        "title": article.title,
        "link": article.link,
        "author": article.author,
        "published": iso_z(article.published),
        "updated": iso_z(article.updated),
        "read": article.read,
        "starred": article.starred,
    }


def refresh_json(result: RefreshResult) -> dict[str, Any]:
    return {
        "feed_id": result.feed_id,
        "url": result.url,
        "result": result.outcome.value,
        "new_articles": result.new_articles,
        "updated_articles": result.updated_articles,
        "error": result.error,
        "warning": result.warning,
        "moved_from": result.url_changed_from,
    }


# ---- the parser -------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="gloss",
        description="Gloss: an offline news reader with highlights, notes and Markdown export. "
        "With no command, opens the window.",
        epilog="The library file is --library, else $GLOSS_LIBRARY, else the platform data "
        "folder. While a window is open on that library, `gloss` brings it forward and `gloss "
        "add URL` subscribes in it. `gloss feed://HOST/PATH` (also feed:https://…, feeds://…: "
        "the desktop's handler for feed: links) opens the window's Add Feed dialog for it.",
    )
    parser.add_argument("--version", action="version", version=version_text())
    parser.add_argument(
        "--library",
        metavar="PATH",
        help="the library file to use (default: $GLOSS_LIBRARY, else the per-user data folder)",
    )
    parser.add_argument(
        "--startup-report",
        action="store_true",
        help="open the window, print one JSON line (interactive_ms, rss_mb) and quit",
    )
    parser.add_argument(
        "--smoke-test",
        action="store_true",
        help="open the window offscreen on a temporary library, use it once (demo, highlight, "
        "export, refresh in worker processes) and quit: status 0 when all of it worked",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)

    def command(name: str, help: str, *, query: bool = False) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.words_are_query = query
        return p

    def json_flag(p: argparse.ArgumentParser) -> None:
        p.add_argument("--json", action="store_true", help="print JSON Lines, one object per line")

    p = command("feeds", "list subscriptions with unread counts and status")
    json_flag(p)

    p = command(
        "add",
        "subscribe to a feed, or to a feed linked from a web page (in the open window, if one "
        "runs on this library)",
    )
    p.add_argument("url", metavar="URL", help="a feed, a web page, or a feed:/feeds: link")
    p.add_argument("--folder", metavar="F", help='folder to put it in ("Tech/Python" nests)')
    p.add_argument("--pick", type=int, metavar="N", help="which of the page's feeds (1, 2, …)")

    p = command("remove", "unsubscribe from a feed (starred and annotated articles are kept)")
    p.add_argument("feed", type=int, metavar="FEED")

    p = command(
        "refresh",
        "fetch new articles now (every feed, or the ones named), then their full texts and images",
    )
    p.add_argument("feeds", type=int, nargs="*", metavar="FEED")
    p.add_argument(
        "--no-offline",
        action="store_true",
        help="store the feeds' entries only; fetch full texts and images later",
    )
    json_flag(p)

    p = command("articles", "list articles, newest first")
    p.add_argument("--feed", type=int, metavar="ID", help="only this feed")
    p.add_argument("--unread", action="store_true", help="only unread articles")
    p.add_argument("--starred", action="store_true", help="only starred articles")
    p.add_argument("--limit", type=int, default=50, metavar="N", help="at most N (default 50)")
    json_flag(p)

    p = command("show", "print one article")
    p.add_argument("article", type=int, metavar="ARTICLE")
    json_flag(p)

    for name, help_text in (
        ("read", "mark articles read"),
        ("unread", "mark articles unread"),
        ("star", "star articles"),
        ("unstar", "remove the star from articles"),
    ):
        p = command(name, help_text)
        p.add_argument("articles", type=int, nargs="+", metavar="ARTICLE")

    p = command("import-opml", "subscribe to every feed in an OPML file (folders kept)")
    p.add_argument("file", metavar="FILE")
    p = command("export-opml", "write all subscriptions to an OPML file")
    p.add_argument("file", metavar="FILE")

    p = command("backup", "write a consistent copy of the library into the backups folder")
    p.add_argument("--keep", type=int, default=10, metavar="N", help="keep the newest N (10)")
    p = command(
        "check",
        "check the library file and its search index for damage; report its size, backups and "
        "image cache",
    )
    p.add_argument(
        "--prune-images",
        action="store_true",
        help="delete cached images that no article or feed refers to any more",
    )
    p.add_argument("--reindex", action="store_true", help="rebuild the search index")

    cli_annotations.add_parsers(command, json_flag)
    cli_offline.add_parsers(command, json_flag)
    cli_search.add_parsers(command, json_flag)
    cli_rules.add_parsers(command, json_flag)

    for name, what in NOT_BUILT_YET.items():
        p = command(name, f"{what} (not built yet)")
        p.add_argument("args", nargs=argparse.REMAINDER)
    return parser


# ---- commands ---------------------------------------------------------------------------


class Cli(
    cli_annotations.AnnotationCommands,
    cli_offline.OfflineCommands,
    cli_search.SearchCommands,
    cli_rules.RulesCommands,
):
    def run(self) -> int:
        handler: Callable[[], int] = getattr(self, "cmd_" + self.args.command.replace("-", "_"))
        return handler()

    def cmd_feeds(self) -> int:
        with self.open() as library:
            feeds: list[Feed] = library.list_feeds()
        if self.listed(feeds, feed_json, "No subscriptions yet. Add one with: gloss add URL"):
            return EXIT_OK
        width = max(len(str(f.id)) for f in feeds)
        for feed in feeds:
            folder = f"[{feed.folder}] " if feed.folder else ""
            status = "" if feed.status.value in ("ok", "new") else f"  ({feed.status.value})"
            self.out.write(
                f"{feed.id:>{width}}  {feed.unread:>5} unread  {folder}{feed.title}{status}\n"
            )
            if feed.error:
                mark = "·" if feed.muted else "!"  # a reason to know, not always a failure
                self.out.write(f"{'':>{width}}  {'':>12}  {mark} {feed.error}\n")
        return EXIT_OK

    def cmd_add(self) -> int:
        url = self.args.url
        if is_feed_link(url):
            url = normalise_feed_link(url)
        handed = add_in_window(
            self.library_path, url, self.args.folder, self.args.pick, self.out, self.err
        )
        if handed is not None:
            return handed
        with self.open() as library:
            try:
                result = library.add_feed(url, folder=self.args.folder, pick=self.args.pick)
            except AmbiguousFeedError as e:
                self.err.write(f"gloss: {e}\n")
                for i, (url, title) in enumerate(e.candidates, 1):
                    self.err.write(f"  {i}. {title or '(untitled)'}  {url}\n")
                self.err.write("Run again with --pick N to choose.\n")
                return EXIT_ERROR
        feed = result.feed
        self.out.write(f"Added feed {feed.id}: {feed.title}  <{feed.url}>\n")
        first = result.first_refresh
        if first is not None and first.outcome is RefreshOutcome.ERROR:
            self.out.write(f"The first refresh failed: {first.error}\n")
        elif first is not None:
            self.out.write(f"{first.new_articles} articles stored.\n")
        return EXIT_OK

    def cmd_remove(self) -> int:
        with self.open() as library:
            feed = library.get_feed(FeedId(self.args.feed))
            kept, _ = library.remove_feed(feed.id)
        self.out.write(f"Removed feed {feed.id}: {feed.title}\n")
        if kept:
            self.out.write(f"Kept {kept} starred or annotated article(s) from it.\n")
        return EXIT_OK

    def cmd_refresh(self) -> int:
        ids = [FeedId(i) for i in self.args.feeds] or None
        with self.open() as library:
            plan = library.plan_refresh(ids)
            results = library.refresh(plan=plan)
            tally = _Tally()
            progress = None
            if not self.args.json and self.err.isatty() and plan.feed_ids:
                from tqdm import tqdm

                progress = tqdm(total=len(plan.feed_ids), unit="feed", file=self.err, leave=False)
            noted: list[RefreshResult] = []  # failures and warnings, printed after the bar
            touched: list[ArticleId] = []
            for result in results:
                tally.add(result)
                touched.extend(result.articles)
                if self.args.json:
                    self.write_json(refresh_json(result))
                    self.out.flush()
                elif result.outcome is RefreshOutcome.ERROR or result.warning:
                    noted.append(result)
                if progress is not None:
                    progress.update(1)
            if progress is not None:
                progress.close()
            if not self.args.json:
                titles = {f.id: f.title for f in library.list_feeds()} if noted else {}
                for result in noted:
                    name = titles.get(result.feed_id, result.url)
                    if result.outcome is RefreshOutcome.ERROR:
                        self.out.write(f"failed: {result.feed_id} {name}: {result.error}\n")
                    else:
                        self.out.write(f"warning: {result.feed_id} {name}: {result.warning}\n")
                self.out.write(tally.summary(skipped=len(plan.skipped)) + "\n")
            if not self.args.no_offline:
                # A full refresh also retries earlier failures that are due; a refresh of named
                # feeds only finishes what it brought.
                steps = library.process_offline(None if ids is None else touched)
                report = self.run_offline(steps, quiet=self.args.json)
                if not self.args.json:
                    self.out.write(self.offline_summary(report) + "\n")
        return EXIT_OK

    def cmd_articles(self) -> int:
        if self.args.limit < 1:
            return self.usage_error("--limit must be at least 1")
        with self.open() as library:
            flt = ArticleFilter(
                feed_ids=self.feed_scope(library),
                unread_only=self.args.unread,
                starred_only=self.args.starred,
            )
            page = library.list_articles(flt, limit=self.args.limit)
        if self.listed(page.articles, article_json, "No articles."):
            return EXIT_OK
        for article in page.articles:
            marks = ("*" if article.starred else " ") + (" " if article.read else "•")
            date = _local(article.sort_at)
            self.out.write(
                f"{article.id:>7} {marks} {date}  {article.title}  — {article.feed_title or ''}\n"
            )
        return EXIT_OK

    def cmd_show(self) -> int:
        with self.open() as library:
            detail = library.get_article(ArticleId(self.args.article))
        article, text = detail.article, detail.text
        if self.args.json:
            obj = article_json(article)
            obj["text"] = text.text if text else ""
            obj["html"] = text.html if text else ""
            obj["text_source"] = text.source.value if text else None
            self.write_json(obj)
            return EXIT_OK
        self.out.write(article.title + "\n")
        meta = [m for m in (article.feed_title, article.author, _local(article.published)) if m]
        if meta:
            self.out.write(" · ".join(meta) + "\n")
        if article.link:
            self.out.write(article.link + "\n")
        self.out.write("\n")
        body = text.text if text else ""
        for paragraph in body.split("\n\n"):
            lines = paragraph.split("\n")
            for line in lines:
                self.out.write(textwrap.fill(line, width=78) + "\n" if line else "\n")
            self.out.write("\n")
        return EXIT_OK

    def _flag(self, setter: str, value: bool, verb: str) -> int:
        ids = [ArticleId(i) for i in self.args.articles]
        with self.open() as library:
            getattr(library, setter)(ids, value)
        self.out.write(f"{verb} {len(ids)} article(s).\n")
        return EXIT_OK

    def cmd_read(self) -> int:
        return self._flag("set_read", True, "Marked read:")

    def cmd_unread(self) -> int:
        return self._flag("set_read", False, "Marked unread:")

    def cmd_star(self) -> int:
        return self._flag("set_starred", True, "Starred")

    def cmd_unstar(self) -> int:
        return self._flag("set_starred", False, "Unstarred")

    def cmd_import_opml(self) -> int:
        path = Path(self.args.file)
        try:
            data = path.read_bytes()
        except OSError as e:
            raise GlossError(f"Cannot read {path}: {e.strerror or e}") from e
        with self.open() as library:
            result = library.import_opml(data)
        self.out.write(
            f"Imported {result.added} feed(s) into {result.folders_created} new folder(s); "
            f"{result.skipped} skipped (already subscribed or not a web feed).\n"
        )
        return EXIT_OK

    def cmd_export_opml(self) -> int:
        from reader.core.atomic import write_atomic

        with self.open() as library:
            data = library.export_opml()
            count = len(library.list_feeds())
        write_atomic(Path(self.args.file), data)
        self.out.write(f"Wrote {count} feed(s) to {self.args.file}\n")
        return EXIT_OK

    def cmd_backup(self) -> int:
        if self.args.keep < 1:
            return self.usage_error("--keep must be at least 1")
        with self.open() as library:
            info = library.backup(keep=self.args.keep)
        self.out.write(f"Backup written: {info.path} ({info.size_bytes / 1e6:.1f} MB)\n")
        return EXIT_OK

    def cmd_check(self) -> int:
        with self.open() as library:
            pruned = library.prune_image_cache() if self.args.prune_images else None
            if self.args.reindex:
                self.out.write(f"Search index rebuilt: {library.reindex_search()} articles.\n")
            report = library.check()
        for message in report.messages:
            self.out.write(message + "\n")
        self.out.write(
            f"Library: {report.library_path} ({report.size_bytes / 1e6:.1f} MB, "
            f"{report.feeds} feeds, {report.articles} articles)\n"
        )
        if report.backups:
            self.out.write(f"Backups: {len(report.backups)}, newest {report.backups[0]}\n")
        else:
            self.out.write("Backups: none yet (make one with: gloss backup)\n")
        if pruned is not None:
            self.out.write(f"Removed {pruned[0]} unused image(s), {pruned[1] / 1e6:.1f} MB.\n")
        self.out.write(
            f"Image cache: {report.image_files} file(s), {report.image_cache_bytes / 1e6:.1f} MB"
        )
        if report.orphan_images:
            self.out.write(
                f"; {report.orphan_images} unused ({report.orphan_bytes / 1e6:.1f} MB; "
                "remove with: gloss check --prune-images)"
            )
        self.out.write("\n")
        return EXIT_OK if report.ok else EXIT_ERROR

    def _not_built(self) -> int:
        what = NOT_BUILT_YET[self.args.command]
        raise NotBuiltError(f"'gloss {self.args.command}' ({what}) is not built yet.")

    def __getattr__(self, name: str) -> Any:
        if name.startswith("cmd_") and name[4:].replace("_", "-") in NOT_BUILT_YET:
            return self._not_built
        raise AttributeError(name)


class _Tally:
    def __init__(self) -> None:
        self.counts = {outcome: 0 for outcome in RefreshOutcome}
        self.new = 0

    def add(self, result: RefreshResult) -> None:
        self.counts[result.outcome] += 1
        self.new += result.new_articles

    def summary(self, *, skipped: int) -> str:
        total = sum(self.counts.values())
        text = (
            f"{total} feed(s): {self.counts[RefreshOutcome.OK]} ok, "
            f"{self.counts[RefreshOutcome.NOT_MODIFIED]} not modified, "
            f"{self.counts[RefreshOutcome.ERROR]} failed; {self.new} new article(s)"
        )
        if skipped:
            text += f"; {skipped} skipped (muted or asked to wait)"
        return text + "."


def _open_window(
    library_arg: str | None,
    *,
    startup_report: bool,
    smoke_test: bool = False,
    feed_url: str | None = None,
) -> int:
    if not (startup_report or smoke_test):
        # A window already open on this library is brought forward instead (no Qt needed).
        handed = hand_to_window(resolve_library_path(library_arg), feed_url)
        if handed is not None:
            return handed
    try:
        from reader.gui.app import run_app
    except ImportError as e:
        sys.stderr.write(f"gloss: the window cannot start: {e}\n")
        return EXIT_ERROR
    return run_app(
        library_arg, startup_report=startup_report, smoke_test=smoke_test, feed_url=feed_url
    )


def _open_feed_link(parser: argparse.ArgumentParser, argv: list[str], index: int) -> int:
    """``gloss [--library PATH] feed://…``: the window's Add Feed dialog for that feed."""
    link = argv[index]
    args = parser.parse_args(argv[:index] + argv[index + 1 :])
    if args.command is not None or args.startup_report or args.smoke_test:
        parser.error("a feed: link is opened on its own: gloss [--library PATH] feed:URL")
    try:
        url = normalise_feed_link(link)
    except GlossError as e:
        sys.stderr.write(f"gloss: {e}\n")
        return EXIT_USAGE
    return _open_window(args.library, startup_report=False, feed_url=url)


def main(argv: Sequence[str] | None = None) -> int:
    import multiprocessing

    multiprocessing.freeze_support()  # parse workers re-enter here in a frozen bundle
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    link = feed_link_argument(arguments)
    if link is not None:
        return _open_feed_link(parser, arguments, link)
    args = parser.parse_args(arguments)
    if args.command is None:
        return _open_window(
            args.library, startup_report=args.startup_report, smoke_test=args.smoke_test
        )
    cli = Cli(args, sys.stdout, sys.stderr)
    try:
        return cli.run()
    except GlossError as e:
        sys.stderr.write(f"gloss: {e}\n")
        return EXIT_ERROR
    except KeyboardInterrupt:
        sys.stderr.write("gloss: interrupted; everything stored so far is kept.\n")
        return 130
    except BrokenPipeError:
        # `gloss articles | head`: the reader went away; that is not our error.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
