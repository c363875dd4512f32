"""The command line's offline-reading and saving commands (mixed into ``reader.cli.Cli``).

``save`` follows the contract in DESIGN.md: with ``--json`` it prints one object with ``id``,
``title`` and ``related`` (plus ``duplicate``). ``refresh`` calls ``run_offline`` after storing the
feeds' entries, so it returns once the full texts and images of that refresh are stored or failed.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from reader.cli_common import EXIT_OK, AddCommand, Commands, JsonFlag, short
from reader.core.errors import GlossError
from reader.core.types import (
    ArticleId,
    FeedId,
    FullTextPolicy,
    OfflineProgress,
    OfflineReport,
    SaveResult,
    TextSource,
)

ON_OFF = ("on", "off")
SWITCHABLE = (TextSource.FEED.value, TextSource.FULLTEXT.value)


def add_parsers(command: AddCommand, json_flag: JsonFlag) -> None:
    p = command("save", "save a web page, an HTML or text file, or text from stdin ('-')")
    p.add_argument("source", metavar="URL|FILE|-")
    p.add_argument(
        "--no-offline", action="store_true", help="do not download the saved page's images now"
    )
    json_flag(p)

    p = command(
        "offline", "make feeds available offline now: full texts and images (all, or the named)"
    )
    p.add_argument("feeds", type=int, nargs="*", metavar="FEED")
    json_flag(p)

    p = command("refetch", "fetch an article's page again and extract its full text anew")
    p.add_argument("article", type=int, metavar="ARTICLE")

    p = command("use-text", "show an article's feed text or its full text from now on")
    p.add_argument("article", type=int, metavar="ARTICLE")
    p.add_argument("source", choices=SWITCHABLE, metavar="feed|fulltext")

    p = command(
        "feed-options",
        "show or set a feed's full-text policy, its images, how long read articles are kept "
        "and whether the window notifies of its new articles",
    )
    p.add_argument("feed", type=int, metavar="FEED")
    p.add_argument(
        "--full-text",
        choices=[p.value for p in FullTextPolicy],
        help="auto: fetch the page when the feed sends a summary (default); always; never",
    )
    p.add_argument("--images", choices=ON_OFF, help="download this feed's images (on/off)")
    p.add_argument(
        "--keep-read-days",
        type=_keep_days,
        metavar="N|forever",
        help="remove read articles after N days (starred, saved, tagged and annotated stay)",
    )
    p.add_argument(
        "--notify",
        choices=ON_OFF,
        help="a desktop notification when a refresh in the window brings new articles (on/off)",
    )

    p = command(
        "offline-settings",
        "show or set the library's image settings and the full-text policy of new feeds",
    )
    p.add_argument("--images", choices=ON_OFF, help="download images at all (on/off)")
    p.add_argument("--image-cache-mb", type=int, metavar="N", help="total size of the image cache")
    p.add_argument("--max-image-mb", type=int, metavar="N", help="largest single image kept")
    p.add_argument(
        "--full-text-default",
        choices=[p.value for p in FullTextPolicy],
        help="the full-text policy a newly added feed starts with (auto unless set)",
    )


def save_json(result: SaveResult) -> dict[str, Any]:
    return {
        "id": result.article_id,
        "title": result.title,
        "related": list(result.related),
        "duplicate": result.duplicate,
    }


class OfflineCommands(Commands):
    # ---- shared with refresh ----------------------------------------------------------------

    def run_offline(
        self, steps: Iterator[OfflineProgress], *, quiet: bool = False
    ) -> OfflineReport:
        """Drain an offline run, with a progress bar on a terminal; failures are listed after."""
        progress = None
        failures: list[OfflineProgress] = []
        report = OfflineReport()
        for step in steps:
            if progress is None and not quiet and self.err.isatty():
                from tqdm import tqdm

                progress = tqdm(
                    total=step.total, unit="article", desc="offline", file=self.err, leave=False
                )
            if progress is not None:
                progress.update(1)
            report = report.add(step)
            if step.error is not None:
                failures.append(step)
        if progress is not None:
            progress.close()
        if not quiet:
            for step in failures[:20]:
                self.out.write(
                    f"offline: {step.article_id} {short(step.title, 60)}: {step.error}\n"
                )
            if len(failures) > 20:
                self.out.write(f"offline: … and {len(failures) - 20} more (tried again later)\n")
        return report

    @staticmethod
    def offline_summary(report: OfflineReport) -> str:
        if not report.articles:
            return "Offline: nothing to fetch."
        text = (
            f"Offline: {report.articles} article(s); {report.full_texts} full text(s), "
            f"{report.images} image(s) ({report.bytes / 1e6:.1f} MB) stored"
        )
        if report.failed:
            text += f"; {report.failed} with failures (tried again later)"
        return text + "."

    # ---- commands -------------------------------------------------------------------------

    def cmd_save(self) -> int:
        source: str = self.args.source
        with self.open() as library:
            if source == "-":
                result = library.save_text(sys.stdin.read())
            elif source.lower().startswith(("http://", "https://", "feed:")):
                result = library.save_url(source)
            else:
                path = Path(source).expanduser()
                if not path.exists() and "." in source and "/" not in source.split(".", 1)[0]:
                    raise GlossError(
                        f"There is no file {source}; to save a web page, give its full address "
                        f"(https://{source})."
                    )
                result = library.save_file(path)
            report = OfflineReport()
            if not result.duplicate and not self.args.no_offline:
                ids = [result.article_id, *result.related]
                report = self.run_offline(library.process_offline(ids), quiet=self.args.json)
        if self.args.json:
            self.write_json(save_json(result))
            return EXIT_OK
        if result.duplicate:
            self.out.write(
                f"Already in your library: article {result.article_id}, {result.title}\n"
            )
            return EXIT_OK
        self.out.write(f"Saved article {result.article_id}: {result.title}\n")
        if result.related:
            related = ", ".join(str(i) for i in result.related)
            self.out.write(f"Related articles saved separately: {related}\n")
        if report.images:
            self.out.write(f"{report.images} image(s) stored for reading offline.\n")
        return EXIT_OK

    def cmd_offline(self) -> int:
        feeds: Sequence[FeedId] | None = [FeedId(f) for f in self.args.feeds] or None
        with self.open() as library:
            steps = library.make_available_offline(feeds)
            if self.args.json:
                report = OfflineReport()
                for step in steps:
                    self.write_json(_progress_json(step))
                    self.out.flush()
                return EXIT_OK
            report = self.run_offline(steps)
        self.out.write(self.offline_summary(report) + "\n")
        return EXIT_OK

    def cmd_refetch(self) -> int:
        with self.open() as library:
            steps = list(library.refetch_full_text(ArticleId(self.args.article)))
        step = steps[-1] if steps else None
        if step is not None and not step.full_text and step.error is None:
            self.out.write(
                f"The page of article {step.article_id} has the same text as before; "
                "nothing new was stored.\n"
            )
            return EXIT_OK
        if step is None or not step.full_text:
            reason = step.error if step is not None and step.error else "no text was found"
            raise GlossError(f"The full text could not be fetched: {reason}")
        self.out.write(f"Stored a new full text for article {step.article_id}: {step.title}\n")
        return EXIT_OK

    def cmd_use_text(self) -> int:
        source = TextSource(self.args.source)
        with self.open() as library:
            report, _ = library.use_text_source(ArticleId(self.args.article), source)
        what = "the feed's text" if source is TextSource.FEED else "the full text"
        self.out.write(f"Article {self.args.article} now shows {what}.\n")
        if report.orphan:
            self.out.write(
                f"{report.orphan} highlight(s) are not in this text; they are kept and come "
                "back when you switch again.\n"
            )
        return EXIT_OK

    def cmd_feed_options(self) -> int:
        feed_id = FeedId(self.args.feed)
        with self.open() as library:
            if self.args.full_text is not None or self.args.images is not None:
                library.set_feed_offline(
                    feed_id,
                    full_text=FullTextPolicy(self.args.full_text) if self.args.full_text else None,
                    images=None if self.args.images is None else self.args.images == "on",
                )
            if self.args.keep_read_days is not None:
                days = self.args.keep_read_days
                library.set_feed_retention(feed_id, None if days == "forever" else days)
            if self.args.notify is not None:
                library.set_feed_notify(feed_id, self.args.notify == "on")
            feed = library.get_feed(feed_id)
        keep = "forever" if feed.keep_read_days is None else f"{feed.keep_read_days} days"
        self.out.write(
            f"Feed {feed.id}: {feed.title}\n  full text: {feed.full_text.value}\n"
            f"  images: {'on' if feed.images else 'off'}\n  keep read articles: {keep}\n"
            f"  notify of new articles: {'on' if feed.notify else 'off'}\n"
        )
        return EXIT_OK

    def cmd_offline_settings(self) -> int:
        with self.open() as library:
            if any(
                v is not None
                for v in (
                    self.args.images,
                    self.args.image_cache_mb,
                    self.args.max_image_mb,
                    self.args.full_text_default,
                )
            ):
                default = self.args.full_text_default
                settings = library.set_offline_settings(
                    images=None if self.args.images is None else self.args.images == "on",
                    image_cache_mb=self.args.image_cache_mb,
                    max_image_mb=self.args.max_image_mb,
                    full_text_default=FullTextPolicy(default) if default else None,
                )
            else:
                settings = library.offline_settings()
        self.out.write(
            f"images: {'on' if settings.images else 'off'}\n"
            f"image cache limit: {settings.image_cache_mb:,} MB\n"
            f"largest image kept: {settings.max_image_mb} MB\n"
            f"full text of new feeds: {settings.full_text_default.value}\n"
        )
        return EXIT_OK


def _progress_json(step: OfflineProgress) -> dict[str, Any]:
    return {
        "article_id": step.article_id,
        "title": step.title,
        "full_text": step.full_text,
        "images": step.images_stored,
        "bytes": step.bytes_stored,
        "error": step.error,
        "done": step.done,
        "total": step.total,
    }


def _keep_days(value: str) -> int | str:
    if value.strip().lower() == "forever":
        return "forever"
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number of days or 'forever': {value!r}"
        ) from None
    if days < 1:
        raise argparse.ArgumentTypeError("keep read articles at least 1 day (or 'forever')")
    return days
