"""How long making a summary-only refresh available offline takes (issue 5), run by hand.

    .venv/bin/python tests/benchmarks/bench_offline.py [--feeds 10] [--per-feed 20]
                                                       [--latency-ms 50] [--repeats 3]

Loopback servers (one site per feed, on 127.0.0.2, 127.0.0.3, …: Linux answers on all of
127.0.0.0/8) serve ``feeds`` RSS feeds whose entries are one-line teasers ending in "Read more";
each linked page is a realistic article page with navigation, byline, figure and footer, and two
PNG images (one shared by every page of the site, as a logo would be). Every response waits
``latency-ms`` first; Gloss opens at most two connections per site, as with feeds.

Each repeat uses a fresh library and measures:

- the refresh that stores the entries (``Library.refresh``), with the offline work queued;
- the offline run (``Library.process_offline``): every page fetched and extracted, every image
  downloaded into the cache and the stored HTML pointed at it;
- then, with the server stopped, that every article opens with its full text and images.

Prints medians (and each repeat) as a Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reader.core.image_cache import cache_inventory  # noqa: E402
from reader.core.library import Library  # noqa: E402
from reader.core.types import TextSource  # noqa: E402
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss  # noqa: E402
from tests.support.http_server import Route, ScriptedServer  # noqa: E402
from tests.support.icons import png  # noqa: E402
from tests.support.pages import article_page  # noqa: E402


def serve(servers: list[ScriptedServer], per_feed: int, latency: float) -> list[str]:
    """Feed ``f`` and its pages and images live on their own site, ``servers[f]``."""
    urls = []
    for f, server in enumerate(servers):
        logo = png(120, 40, (20, f, 20))
        server.routes["/logo.png"] = Route(200, logo, {"Content-Type": "image/png"}, delay=latency)
        items = []
        for n in range(per_feed):
            path = f"/f{f}/a{n}"
            extra = f'<p><img src="/logo.png" alt="Site logo"> Filed under feed {f}, item {n}.</p>'
            server.routes[path] = Route(
                200, article_page(f"Story {f}-{n}", f"{path}.png", extra=extra), HTML_HEADERS,
                delay=latency,
            )  # fmt: skip
            server.routes[f"{path}.png"] = Route(
                200, png(320 + n, 180, (n * 7 % 255, f * 20 % 255, 90)),
                {"Content-Type": "image/png"}, delay=latency,
            )  # fmt: skip
            items.append(
                Item(
                    f"{f}-{n}",
                    f"Story {f}-{n}",
                    f"<p>A teaser for story {n} of feed {f}. Read more</p>",
                    link=server.url(path),
                    published=dt.datetime(2026, 11, 1, tzinfo=dt.UTC) + dt.timedelta(hours=n),
                )
            )
        server.routes[f"/feed{f}"] = Route(
            200, rss(f"Feed {f}", items, site=server.url("/")), RSS_HEADERS, delay=latency
        )
        urls.append(server.url(f"/feed{f}"))
    return urls


def one_run(feeds: int, per_feed: int, latency: float) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.gloss"
        servers = [ScriptedServer(host=f"127.0.0.{2 + f}").start() for f in range(feeds)]
        try:
            urls = serve(servers, per_feed, latency)
            with Library.open(path) as library:
                for url in urls:
                    library.subscribe(url)
                started = time.perf_counter()
                stored = sum(r.new_articles for r in library.refresh())
                refresh_s = time.perf_counter() - started
                started = time.perf_counter()
                steps = list(library.process_offline())
                offline_s = time.perf_counter() - started
        finally:
            for server in servers:
                server.stop()
        failures = [s for s in steps if s.error]
        with Library.open(path) as library:  # the server is gone
            full = 0
            for article in library.list_articles(limit=feeds * per_feed).articles:
                detail = library.get_article(article.id)
                text = detail.text
                ok = (
                    text is not None
                    and text.source is TextSource.FULLTEXT
                    and 'src="http' not in text.html
                )
                full += ok
        cache = cache_inventory(path)
        return {
            "articles": stored,
            "refresh_s": refresh_s,
            "offline_s": offline_s,
            "failed": len(failures),
            "complete_offline": full,
            "images": sum(s.images_stored for s in steps),
            "cache_files": len(cache),
            "cache_mb": sum(cache.values()) / 1e6,
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--per-feed", type=int, default=20)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    runs = [one_run(args.feeds, args.per_feed, args.latency_ms / 1000) for _ in range(args.repeats)]
    for i, run in enumerate(runs, 1):
        print(f"run {i}: " + ", ".join(f"{k}={v:.2f}" for k, v in run.items()))
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    n = median["articles"]
    print()
    print(f"{args.feeds} feeds × {args.per_feed} summary entries, {args.latency_ms:g} ms latency, "
          f"median of {args.repeats}")  # fmt: skip
    print()
    print("| measure | result |")
    print("|---|---:|")
    print(f"| refresh: store {n:.0f} summary entries and queue their offline work | "
          f"{median['refresh_s']:.2f} s |")  # fmt: skip
    print(f"| offline: fetch and extract {n:.0f} pages, download their images | "
          f"{median['offline_s']:.2f} s ({n / median['offline_s']:.0f} articles/s) |")  # fmt: skip
    print(f"| images stored (content-addressed files) | {median['images']:.0f} "
          f"({median['cache_files']:.0f} files, {median['cache_mb']:.1f} MB) |")  # fmt: skip
    complete, failed = median["complete_offline"], median["failed"]
    print(f"| articles complete offline after the server stopped | "
          f"{complete:.0f} of {n:.0f} ({failed:.0f} failed) |")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
