"""Generate a large library for the window benchmarks: 1,000 feeds, 100,000 articles.

    python -m tests.benchmarks.make_big_library OUT.gloss [--feeds 1000] [--articles 100000]

The schema comes from the real migrations (``open_database``); rows go in with plain
``executemany`` in one transaction, which takes seconds rather than the minutes a refresh would.
Articles have a few paragraphs of text, a third are read, one in fifty starred; 20 folders; the
newest article carries 50 highlights and a note (the "open an annotated article" case).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import random
import sys
import time
import uuid
from pathlib import Path

from reader.core.content import CANON_VERSION
from reader.core.storage.db import open_database

_PROSE = (
    "the reader keeps every article offline so the morning train is no obstacle while "
    "notes gather in the margin and highlights mark what mattered most in a long essay "
    "about cities rivers software gardens history weather music and the slow craft of "
    "careful writing"
)
WORDS = tuple(_PROSE.split())


def paragraph(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def generate(path: Path, feeds: int, articles: int, seed: int = 7) -> None:
    if path.exists():
        raise SystemExit(f"{path} exists; choose a new file.")
    rng = random.Random(seed)
    db = open_database(path)
    conn = db.conn
    conn.execute("PRAGMA cache_size = -400000")  # 400 MB: keeps one big transaction off the WAL
    conn.execute("PRAGMA synchronous = OFF")  # a generated file; a crash means generate again
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    with db.atomic():
        conn.executemany(
            "INSERT INTO folders (id, name) VALUES (?, ?)",
            [(i + 1, f"Folder {i + 1:02d}") for i in range(20)],
        )
        conn.executemany(
            "INSERT INTO feeds (id, url, title, site_url, folder_id, added_at, last_result, "
            "last_fetched_at, last_success_at) VALUES (?, ?, ?, ?, ?, ?, 'ok', ?, ?)",
            [
                (
                    i + 1,
                    f"http://127.0.0.1:9/feeds/{i + 1}.xml",
                    f"Feed {i + 1:04d} — {rng.choice(WORDS).title()} {rng.choice(WORDS).title()}",
                    f"http://127.0.0.1:9/sites/{i + 1}/",
                    (i % 20) + 1 if i % 10 else None,
                    stamp(now),
                    stamp(now),
                    stamp(now),
                )
                for i in range(feeds)
            ],
        )
        batch_articles: list[tuple[object, ...]] = []
        batch_texts: list[tuple[object, ...]] = []
        for n in range(articles):
            article_id = n + 1
            feed_id = (n % feeds) + 1
            when = now - dt.timedelta(minutes=7 * n + rng.randint(0, 6))
            paragraphs = [paragraph(rng, rng.randint(30, 70)) for _ in range(rng.randint(3, 6))]
            html = "".join(f"<p>{p}</p>" for p in paragraphs)
            text = "\n\n".join(paragraphs)
            batch_articles.append(
                (
                    article_id,
                    feed_id,
                    f"key-{article_id}",
                    f"http://127.0.0.1:9/sites/{feed_id}/{article_id}",
                    f"{paragraph(rng, rng.randint(4, 10))[:-1]} #{article_id}",
                    "A. Writer",
                    stamp(when),
                    stamp(when),
                    stamp(when),
                    int(n % 3 == 0 and n > 200),
                    int(n % 50 == 7),
                )
            )
            batch_texts.append(
                (
                    article_id,
                    article_id,
                    CANON_VERSION,
                    html,
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    stamp(when),
                )
            )
            if len(batch_articles) >= 5000:
                _flush(conn, batch_articles, batch_texts)
        _flush(conn, batch_articles, batch_texts)
        # Texts point at articles and articles at their current text: link them last, since
        # deferring the foreign keys instead makes SQLite scan articles for every text row.
        conn.execute("UPDATE articles SET current_text_id = id")
        text = conn.execute("SELECT text FROM article_texts WHERE article_id = 1").fetchone()[0]
        for h in range(50):
            start = (h * 37) % max(1, len(text) - 30)
            quote = text[start : start + 20]
            conn.execute(
                "INSERT INTO highlights (uuid, article_id, created_on_text_id, quote, prefix, "
                'suffix, start, "end", color, note, created_at, updated_at, anchored_text_id, '
                "anchor_start, anchor_end) VALUES (?, 1, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                [
                    str(uuid.uuid4()),
                    quote,
                    text[max(0, start - 48) : start],
                    text[start + 20 : start + 68],
                    start,
                    start + 20,
                    ("yellow", "green", "blue", "pink", "purple")[h % 5],
                    f"note {h}" if h % 5 == 0 else None,
                    stamp(now),
                    stamp(now),
                    start,
                    start + 20,
                ],
            )
        conn.execute(
            "INSERT INTO notes (uuid, article_id, body, created_at, updated_at) "
            "VALUES (?, 1, ?, ?, ?)",
            [str(uuid.uuid4()), "A note on the newest article.", stamp(now), stamp(now)],
        )
    conn.execute("ANALYZE")
    db.close()


def _flush(
    conn: object, articles: list[tuple[object, ...]], texts: list[tuple[object, ...]]
) -> None:
    execute_many = conn.executemany  # type: ignore[attr-defined]
    execute_many(
        "INSERT INTO articles (id, feed_id, key, link, title, author, published_at, added_at, "
        "sort_at, read, starred) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        articles,
    )
    execute_many(
        "INSERT INTO article_texts (id, article_id, source, canon_version, html, text, "
        "text_sha256, created_at) VALUES (?, ?, 'feed', ?, ?, ?, ?, ?)",
        texts,
    )
    articles.clear()
    texts.clear()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--articles", type=int, default=100_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    generate(args.out, args.feeds, args.articles)
    size = args.out.stat().st_size / 1e6
    print(
        f"{args.out}: {args.feeds} feeds, {args.articles} articles, {size:.0f} MB "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
