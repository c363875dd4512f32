"""Highlight and export budgets of issue 4, measured by hand (CI never runs this folder).

    .venv/bin/python tests/benchmarks/bench_annotations.py [--repeats 5] [--work-dir DIR]

1. Re-anchor: one article of about 500 KB of prose with 200 highlights; the publisher inserts a
   paragraph at the top and edits a word in the middle; the time is that of
   ``Library.set_article_text`` (store the new version and re-anchor all 200), budget 1 s.
2. Export: 2,000 articles with 5 highlights each (10,000), notes on every tenth; the time of
   ``Library.export_markdown`` into an empty folder, then again into the same folder (the
   re-export scan: every file compared, none rewritten), budget 5 s each.

Data is generated from a fixed seed; prints medians and every run as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from reader.core.library import Library  # noqa: E402
from reader.core.types import HIGHLIGHT_COLORS, ArticleId  # noqa: E402

_PROSE = (
    "reading notes gather in the margin and highlights mark what mattered most in a long essay "
    "about memory sleep harbours markets tomatoes maps and the patience of small towns where "
    "the ferry runs twice a day and nobody minds the weather very much at all"
)
WORDS = _PROSE.split()


def paragraph(rng: random.Random, index: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(60, 120))]
    return f"Paragraph {index}: " + " ".join(words) + "."


def build_long_article(library: Library, rng: random.Random) -> tuple[ArticleId, list[str]]:
    paragraphs: list[str] = []
    size = 0
    while size < 500_000:
        paragraphs.append(paragraph(rng, len(paragraphs)))
        size += len(paragraphs[-1]) + 7
    html = "".join(f"<p>{p}</p>" for p in paragraphs)
    feed_id, _ = library.subscribe("https://bench.invalid/long.xml")
    article_id = _insert_article(library, int(feed_id), "long", "A very long essay", html)
    step = len(paragraphs) // 200
    for i in range(200):
        library.add_highlight_by_quote(article_id, f"Paragraph {i * step}: ")
    return article_id, paragraphs


def _insert_article(library: Library, feed_id: int, key: str, title: str, html: str) -> ArticleId:
    from reader.core.content import canonical_text, text_sha256
    from reader.core.storage.sql import execute

    text = canonical_text(html)
    with library._transaction() as db:
        article_id = execute(
            db,
            "INSERT INTO articles (feed_id, source_title, key, title, link, added_at, sort_at) "
            "VALUES (?, 'Bench', ?, ?, ?, '2026-11-01T12:00:00Z', '2026-11-01T12:00:00Z')",
            [feed_id, key, title, f"https://bench.invalid/{key}"],
        )
        text_id = execute(
            db,
            "INSERT INTO article_texts (article_id, source, canon_version, html, text, "
            "text_sha256, created_at) VALUES (?, 'feed', 1, ?, ?, ?, '2026-11-01T12:00:00Z')",
            [article_id, html, text, text_sha256(text)],
        )
        execute(db, "UPDATE articles SET current_text_id = ? WHERE id = ?", [text_id, article_id])
    return ArticleId(article_id)


def bench_reanchor(work: Path, repeats: int) -> list[float]:
    times: list[float] = []
    for run in range(repeats):
        rng = random.Random(42)
        path = work / f"reanchor-{run}.gloss"
        with Library.open(path, check=False) as library:
            article_id, paragraphs = build_long_article(library, rng)
            edited = ["An editor's note was added at the top.", *paragraphs]
            edited[len(edited) // 2] = edited[len(edited) // 2].replace("memory", "recall", 1)
            html = "".join(f"<p>{p}</p>" for p in edited)
            started = time.perf_counter()
            report, _ = library.set_article_text(article_id, html)
            times.append(time.perf_counter() - started)
            assert report.total == 200 and report.orphan == 0, report
    return times


def build_export_library(path: Path) -> Library:
    rng = random.Random(7)
    library = Library.open(path, check=False)
    feed_ids = [library.subscribe(f"https://bench.invalid/feed{i}.xml")[0] for i in range(20)]
    for n in range(2000):
        paragraphs = [paragraph(rng, i) for i in range(8)]
        html = "".join(f"<p>{p}</p>" for p in paragraphs)
        article_id = _insert_article(
            library, int(feed_ids[n % 20]), f"a{n}", f"Article {n}: {rng.choice(WORDS)}", html
        )
        for i in range(5):
            library.add_highlight_by_quote(
                article_id,
                f"Paragraph {i}: ",
                color=HIGHLIGHT_COLORS[i],
                note=f"Note {i} on {n} #bench" if i % 2 else None,
            )
        if n % 10 == 0:
            library.add_note(article_id, f"Thoughts on article {n}: *worth* a second read.")
    return library


def bench_export(work: Path, repeats: int) -> tuple[list[float], list[float]]:
    first: list[float] = []
    again: list[float] = []
    library = build_export_library(work / "export.gloss")
    try:
        for run in range(repeats):
            target = work / f"vault-{run}"
            shutil.rmtree(target, ignore_errors=True)
            started = time.perf_counter()
            report = library.export_markdown(target)
            first.append(time.perf_counter() - started)
            assert len(report.written) == 2000, report
            started = time.perf_counter()
            report = library.export_markdown(target)
            again.append(time.perf_counter() - started)
            assert len(report.unchanged) == 2000, (len(report.written), len(report.unchanged))
    finally:
        library.close()
    return first, again


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--work-dir", type=Path)
    args = parser.parse_args()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="gloss-bench-annotations-"))
    work.mkdir(parents=True, exist_ok=True)
    reanchor = bench_reanchor(work, args.repeats)
    export_first, export_again = bench_export(work, args.repeats)
    result = {
        "reanchor_200_on_500kb_s": reanchor,
        "export_10000_highlights_s": export_first,
        "reexport_unchanged_s": export_again,
    }
    print(json.dumps(result))
    print("| case | median | budget |")
    print("|---|---|---|")
    print(
        f"| re-anchor 200 highlights, 500 KB article | {statistics.median(reanchor):.3f} s | 1 s |"
    )
    print(
        f"| export 10,000 highlights / 2,000 articles | {statistics.median(export_first):.2f} s "
        "| 5 s |"
    )
    print(f"| re-export, nothing changed | {statistics.median(export_again):.2f} s | 5 s |")


if __name__ == "__main__":
    main()
