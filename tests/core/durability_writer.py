"""A process for the crash tests to kill (reliability.md §8.1): it writes through the real code.

    python durability_writer.py refresh LIBRARY K   refresh-sized batches forever; prints n
                                                    after each commit (the acknowledgement)
    python durability_writer.py backup LIBRARY      one backup, then a second one to be killed
    python durability_writer.py migrate LIBRARY MODE
        opens the library with one extra migration step registered; MODE is
        "complete", "raise" (the step fails halfway) or "hang" (the step stops halfway
        and waits to be killed), or "open-checked" (complete, through open_checked)

Every line is flushed as soon as it is printed: the parent treats a line it has read as a
promise about what is on disk.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlite_utils import Database

from reader.core.errors import StorageError
from reader.core.storage import maintenance
from reader.core.storage import migrations as schema
from reader.core.storage.db import open_database

REPO_ROOT = Path(__file__).resolve().parents[2]
FEED_URL = "https://durability.example/feed.xml"
EXTRA_STEP = "9000_durability_extra"


def say(*parts: object) -> None:
    print(*parts, flush=True)


def now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def refresh_forever(library: Path, k: int) -> None:
    db = open_database(library)
    with db.atomic():
        db.execute(
            "INSERT OR IGNORE INTO feeds (url, title, added_at) VALUES (?, 'Durability', ?)",
            [FEED_URL, now()],
        )
    feed_id, etag = db.execute("SELECT id, etag FROM feeds WHERE url = ?", [FEED_URL]).fetchone()
    n = int(etag.removeprefix("batch-")) if etag else 0
    say("ready")
    while True:
        n += 1
        stamp = now()
        with db.atomic():
            db.execute(
                "UPDATE feeds SET etag = ?, last_fetched_at = ?, last_result = 'ok' WHERE id = ?",
                [f"batch-{n}", stamp, feed_id],
            )
            for i in range(k):
                article_id = db.execute(
                    "INSERT INTO articles (feed_id, key, title, sort_at, added_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    [feed_id, f"{n}-{i}", f"Batch {n}, article {i}", stamp, stamp],
                ).lastrowid
                body = f"Batch {n} article {i}. " + "All work and no play. " * 90
                text_id = db.execute(
                    "INSERT INTO article_texts (article_id, source, canon_version, html, text, "
                    "text_sha256, created_at) VALUES (?, 'feed', 1, ?, ?, ?, ?)",
                    [article_id, f"<p>{body}</p>", body, "0" * 64, stamp],
                ).lastrowid
                db.execute(
                    "UPDATE articles SET current_text_id = ? WHERE id = ?", [text_id, article_id]
                )
        say(n)


def backup_twice(library: Path) -> None:
    db = open_database(library)
    say("ready")
    first = maintenance.backup(db, library, reason="first")
    say("backup-done", first.path)
    say("backing-up")
    second = maintenance.backup(db, library, reason="second")
    say("backup-done", second.path)


def backup_with_file_size_limit(library: Path, limit: int) -> None:
    """A backup whose writes the kernel refuses past ``limit`` bytes, as a full disk would.

    RLIMIT_FSIZE makes write(2) fail (EFBIG) once the copy reaches the limit: a real failure
    in the middle of VACUUM INTO, without the root access a small file system would need.
    """
    import resource  # POSIX only, like this test
    import signal

    db = open_database(library)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    try:
        maintenance.backup(db, library, reason="limited")
    except StorageError as e:
        say("failed:", e)
    else:
        say("succeeded")


def register_extra_step(mode: str) -> None:
    """A second schema step, registered only in this process: the test's own stays at one."""

    def extra(db: Database) -> None:
        db.execute("CREATE TABLE extra_things (id INTEGER PRIMARY KEY, article_id INTEGER)")
        db.execute("ALTER TABLE articles ADD COLUMN extra TEXT")
        db.execute("INSERT INTO extra_things (article_id) SELECT id FROM articles")
        db.execute("UPDATE articles SET extra = 'migrated'")
        if mode == "raise":
            raise RuntimeError("the extra step fails halfway, as a bug would")
        if mode == "hang":
            say("in-migration")
            while True:
                db.execute("INSERT INTO extra_things (article_id) VALUES (NULL)")
                time.sleep(0.001)

    schema._step(EXTRA_STEP)(extra)


def migrate(library: Path, mode: str) -> None:
    register_extra_step(mode)
    if mode == "open-checked":
        db = maintenance.open_checked(library)
        say(json.dumps({"backups": [str(b.path) for b in maintenance.list_backups(library)]}))
    else:
        db = open_database(library)
    say("user_version", db.execute("PRAGMA user_version").fetchone()[0])
    db.close()


def spawn(*args: str | Path) -> subprocess.Popen[str]:
    """Start this script with the test's Python (the venv's), reading its lines as text."""
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def main(argv: list[str]) -> None:
    command, library = argv[0], Path(argv[1])
    if command == "refresh":
        refresh_forever(library, int(argv[2]))
    elif command == "backup":
        backup_twice(library)
    elif command == "backup-limited":
        backup_with_file_size_limit(library, int(argv[2]))
    elif command == "migrate":
        migrate(library, argv[2])
    else:
        raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
