"""SIGKILL a writer and check what survives (reliability.md §8.1, D1, D11 kill point 2).

The writer is a separate process running the production connection code
(``tests/core/durability_writer.py``). A line it prints is an acknowledgement: it comes after
the commit returned, so whatever it names must be on disk after the kill.
"""

from __future__ import annotations

import hashlib
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from reader.core.paths import backup_dir
from reader.core.storage import maintenance
from reader.core.storage.db import open_database
from tests.core import durability_writer

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL and RLIMIT are POSIX"),
]

K = 20  # articles per refresh batch
TRIALS = 25


def kill(proc: subprocess.Popen[str]) -> str:
    """SIGKILL, then everything the process had acknowledged before it died."""
    proc.kill()
    proc.wait(timeout=10)
    assert proc.stdout is not None and proc.stderr is not None
    out = proc.stdout.read()
    proc.stdout.close()
    proc.stderr.close()
    return out


def first_line(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None and proc.stderr is not None
    line = proc.stdout.readline()
    if not line:
        raise AssertionError(f"the writer died: {proc.stderr.read()}")
    return line.strip()


def committed_state(library_path: Path) -> tuple[dict[int, int], str | None]:
    """Reopen as the app would; return {batch: articles} and the feed's etag."""
    db = open_database(library_path)
    try:
        assert maintenance.integrity_check(db) == []
        counts = dict(
            db.execute(
                "SELECT CAST(substr(key, 1, instr(key, '-') - 1) AS INTEGER), count(*) "
                "FROM articles GROUP BY 1"
            ).fetchall()
        )
        textless = db.execute(
            "SELECT count(*) FROM articles a WHERE current_text_id IS NULL "
            "OR (SELECT count(*) FROM article_texts t WHERE t.article_id = a.id) != 1"
        ).fetchone()[0]
        assert textless == 0, "an article was stored without its text"
        row = db.execute(
            "SELECT etag FROM feeds WHERE url = ?", [durability_writer.FEED_URL]
        ).fetchone()
        return counts, row[0] if row else None
    finally:
        db.close()


def test_killed_refresh_writer_keeps_every_acknowledged_batch_whole(library_path: Path) -> None:
    highest_acked = 0
    for trial in range(TRIALS):
        delay = random.Random(trial).uniform(0.05, 0.4)
        proc = durability_writer.spawn("refresh", library_path, K)
        assert first_line(proc) == "ready"
        time.sleep(delay)
        acked = [int(n) for n in kill(proc).split()]
        counts, etag = committed_state(library_path)
        newest = max(counts, default=0)
        if acked:
            highest_acked = max(acked)
        assert set(acked) <= set(counts), f"trial {trial}: acknowledged batches lost"
        assert set(counts) == set(range(1, newest + 1)), f"trial {trial}: a batch is missing"
        partial = {batch: n for batch, n in counts.items() if n != K}
        assert partial == {}, f"trial {trial}: batches stored in part"
        # At most one batch committed whose acknowledgement the kill cut off.
        assert highest_acked <= newest <= highest_acked + 1, f"trial {trial}"
        assert etag == (f"batch-{newest}" if newest else None), f"trial {trial}: feed row"
        highest_acked = newest  # the next writer continues from what is on disk
    assert highest_acked > TRIALS  # the writers did get work done between the kills


@pytest.fixture(scope="module")
def big_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A library of about 30 MB, so that a backup of it takes long enough to be interrupted."""
    path = tmp_path_factory.mktemp("big") / "library.gloss"
    db = open_database(path)
    with db.atomic():
        db.execute("INSERT INTO feeds (url, added_at) VALUES ('https://big.example/', 'now')")
        for i in range(3000):
            body = f"Article {i}. " + "".join(random.Random(i).choices("abcdefgh ", k=8000))
            db.execute(
                "INSERT INTO articles (id, feed_id, key, title, sort_at, added_at) "
                "VALUES (?, 1, ?, 't', 'now', 'now')",
                [i + 1, f"k{i}"],
            )
            db.execute(
                "INSERT INTO article_texts (article_id, source, canon_version, html, text, "
                "text_sha256, created_at) VALUES (?, 'feed', 1, ?, ?, '', 'now')",
                [i + 1, body, body],
            )
    db.close()
    assert path.stat().st_size > 25_000_000
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("trial", range(3))
def test_killed_backup_leaves_the_previous_backup_intact(
    big_library: Path, tmp_path: Path, trial: int
) -> None:
    library_path = tmp_path / "library.gloss"
    shutil.copyfile(big_library, library_path)
    folder = backup_dir(library_path)
    # Kill once the half-made copy reaches this share of the library's size (or is complete,
    # and being checked).
    share = (0.05, 0.5, 0.9)[trial]
    proc = durability_writer.spawn("backup", library_path)
    assert first_line(proc) == "ready"
    done, first_path = first_line(proc).split(" ", 1)
    assert done == "backup-done"
    first = Path(first_path)
    first_digest = sha256(first)
    assert first_line(proc) == "backing-up"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        copies = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
        if copies and copies[0].stat().st_size >= share * library_path.stat().st_size:
            break
        time.sleep(0.001)
    rest = kill(proc)
    assert "backup-done" not in rest, "the kill came after the second backup finished"

    assert [b.path for b in maintenance.list_backups(library_path)] == [first]
    assert sha256(first) == first_digest
    copy = open_database(first, readonly=True)
    assert maintenance.quick_check(copy) == []
    assert copy.execute("SELECT count(*) FROM articles").fetchone() == (3000,)
    copy.close()

    leftovers = [p.name for p in folder.iterdir() if ".tmp" in p.name]
    assert leftovers, "no half-made copy: the kill missed the backup"
    assert maintenance.clean_stale_temp_files(library_path) == len(leftovers)
    assert sorted(p.name for p in folder.iterdir()) == [first.name]
    db = maintenance.open_checked(library_path)  # and the library itself is fine
    assert maintenance.integrity_check(db) == []
    db.close()
