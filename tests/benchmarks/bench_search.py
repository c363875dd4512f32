"""Search latency and index size on a 100,000-article library with 10,000 highlights and notes.

    .venv/bin/python -m tests.benchmarks.bench_search [--library PATH] [--articles 100000]
        [--repeats 25] [--keep]

Checks DESIGN.md's budget (median under 50 ms) and issue 6's (the index adds under 60 % to the
library). The library comes from ``make_big_library`` (1,000 feeds in 20 folders, a third read,
one in fifty starred) with one change: its text is drawn from a Zipf-distributed vocabulary of
30,000 made-up words instead of 40 English ones, so that words are common, middling or rare as
in real prose (with 40 words every query would match every article). On top it adds 10,000
highlights (a third with notes), 10,000 article notes and tags on 2 % of articles, through plain
SQL with the search triggers live. The file is cached at ``--library`` (default
``/tmp/gloss-bench/search-100000.gloss``) and reused, unless it was built with another list of
schema migrations than this Gloss has (then it is built again).

Each query runs ``--repeats`` times through ``Library.search`` (limit 50, snippets included)
after one warm-up; the table shows the median and p95, and how many hits exist (``more`` says
whether there were over 50). The index size is measured twice: the FTS5 shadow tables' pages
from ``dbstat``, and the file size of a ``VACUUM INTO`` copy with and without the index tables.
"""

from __future__ import annotations

import argparse
import bisect
import itertools
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks import make_big_library

VOCABULARY = 30_000
ZIPF_S = 1.07
_SYLLABLES = [
    "ka",
    "ro",
    "mi",
    "ne",
    "ta",
    "lu",
    "so",
    "ve",
    "pa",
    "di",
    "ga",
    "ri",
    "mo",
    "ze",
    "ba",
    "tu",
    "fe",
    "li",
    "no",
    "sa",
    "ku",
    "de",
    "ma",
    "pi",
    "vo",
    "ra",
    "te",
    "gu",
    "si",
    "lo",
    "na",
    "bi",
    "ke",
    "du",
    "jo",
    "le",
    "ha",
    "mu",
    "wi",
    "ce",
]


def _make_vocabulary(rng: random.Random) -> list[str]:
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def zipf_paragraph_factory(seed: int = 11) -> tuple[Callable[[random.Random, int], str], list[str]]:
    rng = random.Random(seed)
    words = _make_vocabulary(rng)
    weights = [1.0 / (rank + 1) ** ZIPF_S for rank in range(len(words))]
    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]

    def paragraph(rng: random.Random, count: int) -> str:
        chosen = [words[bisect.bisect(cumulative, rng.random() * total)] for _ in range(count)]
        return " ".join(chosen).capitalize() + "."

    return paragraph, words


def generate(path: Path, articles: int) -> list[str]:
    paragraph, words = zipf_paragraph_factory()
    make_big_library.paragraph = paragraph  # the generator's prose, Zipf instead of 40 words
    started = time.perf_counter()
    make_big_library.generate(path, feeds=1000, articles=articles)
    print(f"articles generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    rng = random.Random(5)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO tags (id, name) VALUES (?, ?)", [(i, f"topic{i}") for i in range(1, 21)]
    )
    conn.executemany(
        "INSERT OR IGNORE INTO article_tags (article_id, tag_id) VALUES (?, ?)",
        [(rng.randint(1, articles), rng.randint(1, 20)) for _ in range(articles // 50)],
    )
    now = "2026-01-01T00:00:00Z"
    highlights = []
    for n in range(10_000):
        article_id = rng.randint(1, articles)
        text = conn.execute("SELECT text FROM article_texts WHERE id = ?", [article_id]).fetchone()[
            0
        ]
        start = rng.randint(0, max(0, len(text) - 120))
        quote = text[start : start + rng.randint(40, 120)]
        created = f"2025-{(n % 12) + 1:02d}-{(n % 28) + 1:02d}T12:00:00Z"
        note = paragraph(rng, rng.randint(5, 25)) if n % 3 == 0 else None
        highlights.append(
            (
                str(uuid.uuid4()),
                article_id,
                article_id,
                quote,
                start,
                start + len(quote),
                ("yellow", "green", "blue", "pink", "purple")[n % 5],
                note,
                created,
                created,
                article_id,
                start,
                start + len(quote),
            )
        )
    conn.executemany(
        'INSERT INTO highlights (uuid, article_id, created_on_text_id, quote, start, "end", '
        "color, note, created_at, updated_at, anchored_text_id, anchor_start, anchor_end) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        highlights,
    )
    conn.executemany(
        "INSERT INTO notes (uuid, article_id, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        [
            (
                str(uuid.uuid4()),
                rng.randint(1, articles),
                paragraph(rng, rng.randint(10, 80)),
                now,
                now,
            )
            for _ in range(10_000)
        ],
    )
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    print(f"library ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return words


def doc_frequency(conn: sqlite3.Connection, word: str) -> int:
    row = conn.execute(
        "SELECT count(*) FROM search_articles WHERE search_articles MATCH ?", [f'"{word}"']
    ).fetchone()
    return int(row[0])


def pick_queries(path: Path) -> list[tuple[str, str, bool]]:
    """(label, query, typing) with words chosen by how many articles hold them."""
    _paragraph, words = zipf_paragraph_factory()
    conn = sqlite3.connect(path)
    common, middling, rare = words[30], words[400], words[12_000]
    text = conn.execute("SELECT text FROM article_texts WHERE id = 500").fetchone()[0]
    phrase_words = text.split()[10:12]
    phrase = " ".join(w.strip(".").lower() for w in phrase_words)
    quote = conn.execute("SELECT quote FROM highlights WHERE id = 200").fetchone()[0].split()
    phrase3 = " ".join(w.strip(".").lower() for w in quote[2:5])
    feed = conn.execute("SELECT title FROM feeds WHERE id = 42").fetchone()[0]
    feed_word = feed.split(" — ")[0]  # "Feed 0042"
    highlight_word = (
        conn.execute("SELECT quote FROM highlights WHERE id = 77")
        .fetchone()[0]
        .split()[1]
        .strip(".")
        .lower()
    )
    for label, word in (("common", common), ("middling", middling), ("rare", rare)):
        print(f"{label} word {word!r}: {doc_frequency(conn, word):,} articles", file=sys.stderr)
    conn.close()
    return [
        (f"word, common ({common})", common, False),
        (f"word, middling ({middling})", middling, False),
        (f"word, rare ({rare})", rare, False),
        (f"two words ({common} {middling})", f"{common} {middling}", False),
        (f'phrase, common words ("{phrase}")', f'"{phrase}"', False),
        (f'phrase, three words ("{phrase3}")', f'"{phrase3}"', False),
        (f"prefix while typing ({middling[:4]}…)", middling[:4], True),
        ("word OR word, -word", f"({middling} OR {rare}) -{common}", False),
        ("feed: + word", f'feed:"{feed_word}" {middling}', False),
        ("folder: + word", f'folder:"Folder 03" {middling}', False),
        ("is:unread + word", f"is:unread {middling}", False),
        ("tag: + word", f"tag:topic3 {common}", False),
        ("after: + word", f"after:2026-01-01 {middling}", False),
        ("sort:date + common word", f"{common} sort:date", False),
        ("in:highlights + word", f"in:highlights {highlight_word}", False),
        ("filters only: feed:", f'feed:"{feed_word}"', False),
        ("filters only: is:starred has:highlights", "is:starred has:highlights", False),
    ]


def time_query(
    library: object, query: str, typing: bool, repeats: int
) -> tuple[list[float], int, bool]:
    search = library.search  # type: ignore[attr-defined]
    result = search(query, limit=50, typing=typing)
    samples: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = search(query, limit=50, typing=typing)
        samples.append((time.perf_counter() - started) * 1000)
    return samples, len(result.hits), result.more


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def index_sizes(path: Path) -> tuple[int, int, int, int]:
    """(fts pages bytes, whole file bytes from dbstat, vacuumed with index, vacuumed without)."""
    conn = sqlite3.connect(path)
    rows = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name").fetchall()
    total = sum(size for _name, size in rows)
    fts = sum(size for name, size in rows if name.startswith("search_"))
    conn.close()
    with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
        with_index = Path(tmp) / "with.gloss"
        without = Path(tmp) / "without.gloss"
        conn = sqlite3.connect(path)
        conn.execute("VACUUM INTO ?", [str(with_index)])
        conn.close()
        shutil.copy(with_index, without)
        conn = sqlite3.connect(without, isolation_level=None)
        for table in ("search_articles", "search_highlights", "search_notes"):
            conn.execute(f"DROP TABLE {table}")
        conn.execute("VACUUM")
        conn.close()
        return fts, total, with_index.stat().st_size, without.stat().st_size


def _current_schema(path: Path) -> bool:
    """Whether the cached library was built with this Gloss's schema (a cache from a development
    version with another migration list cannot be opened, or would measure another index)."""
    from reader.core.storage.migrations import known_migration_names

    conn = sqlite3.connect(path)
    try:
        steps = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
    return steps == known_migration_names()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path)
    parser.add_argument("--articles", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=25)
    args = parser.parse_args(argv)
    path = args.library or Path(f"/tmp/gloss-bench/search-{args.articles}.gloss")
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists() and not _current_schema(path):
        print(f"{path} has another schema than this Gloss: building it again", file=sys.stderr)
        path.unlink()
    if not path.exists():
        generate(path, args.articles)
    queries = pick_queries(path)

    from reader.core.library import Library
    from reader.core.types import ArticleFilter

    rows: list[tuple[str, float, float, str]] = []
    with Library.open(path, check=False) as library:
        for label, query, typing in queries:
            samples, hits, more = time_query(library, query, typing, args.repeats)
            shown = f"{hits}{'+' if more else ''}"
            rows.append((label, statistics.median(samples), p95(samples), shown))
            print(f"{label}: {statistics.median(samples):.1f} ms", file=sys.stderr)
        # A smart folder: its first page as an article list, and its unread count.
        middling = queries[1][1]
        samples = []
        for _ in range(args.repeats):
            started = time.perf_counter()
            library.list_articles(ArticleFilter(query=middling), limit=100)
            samples.append((time.perf_counter() - started) * 1000)
        rows.append(
            (
                f"smart folder: first 100 rows ({middling})",
                statistics.median(samples),
                p95(samples),
                "",
            )
        )
        saved, _ = library.create_saved_search(f"bench {uuid.uuid4().hex[:6]}", middling)
        samples = []
        for _ in range(max(5, args.repeats // 5)):
            started = time.perf_counter()
            library.get_saved_search(saved.id)
            samples.append((time.perf_counter() - started) * 1000)
        rows.append(
            (
                f"smart folder: unread count ({saved.unread:,})",
                statistics.median(samples),
                p95(samples),
                "",
            )
        )
        library.delete_saved_search(saved.id)

    fts, total, with_index, without = index_sizes(path)
    print()
    print(
        f"Search on {args.articles:,} articles, 10,000 highlights, 10,000 notes "
        f"({args.repeats} runs each, limit 50, snippets included)"
    )
    print()
    print("| query | median ms | p95 ms | hits |")
    print("|---|---:|---:|---:|")
    for label, median, high, shown in rows:
        print(f"| {label} | {median:.1f} | {high:.1f} | {shown} |")
    print()
    print(
        f"Index: FTS5 tables {fts / 1e6:.0f} MB of {total / 1e6:.0f} MB in use "
        f"({fts / (total - fts):.0%} over the rest, dbstat); vacuumed file "
        f"{with_index / 1e6:.0f} MB with the index, {without / 1e6:.0f} MB without "
        f"(+{with_index / without - 1:.0%})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
