"""Backups, checks and damaged libraries (reliability.md D4, D5, D10, D11), on real files."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlite_utils import Database

from reader.core.errors import (
    CorruptLibraryError,
    NotALibraryError,
    SchemaTooNewError,
    StorageError,
)
from reader.core.paths import backup_dir
from reader.core.storage import maintenance
from reader.core.storage.db import library_file_set, open_database
from reader.core.storage.maintenance import CheckState, full_check_due
from reader.core.storage.migrations import APPLICATION_ID, schema_version
from tests.core import durability_writer

NOW = "2026-01-01T00:00:00Z"


def fill(db: Database, *, articles: int, text_size: int = 200, seed: int = 0) -> None:
    """Feeds, articles with texts, a highlight and a note: the kinds of rows a library holds."""
    rnd = random.Random(seed)
    with db.atomic():
        db.execute(
            "INSERT INTO feeds (url, title, added_at) VALUES (?, 'Feed', ?)",
            [f"https://e.example/{seed}", NOW],
        )
        feed_id = db.execute("SELECT max(id) FROM feeds").fetchone()[0]
        for i in range(articles):
            article_id = db.execute(
                "INSERT INTO articles (feed_id, key, title, sort_at, added_at) "
                "VALUES (?, ?, ?, ?, ?)",
                [feed_id, f"{seed}-{i}", f"Article {i}", NOW, NOW],
            ).lastrowid
            text = " ".join("".join(rnd.choices("abcdefghij", k=7)) for _ in range(text_size // 8))
            db.execute(
                "INSERT INTO article_texts (article_id, source, canon_version, html, text, "
                "text_sha256, created_at) VALUES (?, 'feed', 1, ?, ?, ?, ?)",
                [
                    article_id,
                    f"<p>{text}</p>",
                    text,
                    hashlib.sha256(text.encode()).hexdigest(),
                    NOW,
                ],
            )
        first = db.execute("SELECT min(id) FROM articles WHERE feed_id = ?", [feed_id]).fetchone()
        db.execute(
            'INSERT INTO highlights (uuid, article_id, quote, start, "end", created_at, '
            "updated_at) VALUES (?, ?, 'a quote', 0, 7, ?, ?)",
            [f"h-{seed}", first[0], NOW, NOW],
        )
        db.execute(
            "INSERT INTO notes (uuid, article_id, body, created_at, updated_at) "
            "VALUES (?, ?, 'my note', ?, ?)",
            [f"n-{seed}", first[0], NOW, NOW],
        )


def contents(db: Database) -> dict[str, list[tuple[object, ...]]]:
    return {
        table: db.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
        for table in ("feeds", "articles", "article_texts", "highlights", "notes")
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def temp_files(library_path: Path) -> list[str]:
    folder = backup_dir(library_path)
    return sorted(p.name for p in folder.iterdir() if ".tmp" in p.name) if folder.exists() else []


@pytest.fixture
def db(library_path: Path) -> Database:
    database = open_database(library_path)
    fill(database, articles=30)
    return database


# ---- backups ------------------------------------------------------------------------------


def test_backup_is_a_library_with_the_same_rows(db: Database, library_path: Path) -> None:
    # Rows committed a moment ago sit in the -wal, not yet in the main file: they count too.
    fill(db, articles=3, seed=1)
    assert Path(str(library_path) + "-wal").stat().st_size > 0
    info = maintenance.backup(db, library_path)
    assert info.path.parent == backup_dir(library_path)
    assert info.path.name.startswith("library-") and info.path.name.endswith("-manual.gloss")
    assert info.size_bytes == info.path.stat().st_size > 0
    assert info.created_at.tzinfo is not None
    assert abs(dt.datetime.now(dt.UTC) - info.created_at) < dt.timedelta(minutes=1)
    copy = open_database(info.path, readonly=True)
    assert copy.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert copy.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert contents(copy) == contents(db)
    copy.close()
    assert maintenance.list_backups(library_path) == [info]
    assert temp_files(library_path) == []


def test_rotation_keeps_the_newest_and_leaves_other_libraries_alone(
    db: Database, library_path: Path
) -> None:
    other_path = library_path.with_name("other.gloss")
    other = open_database(other_path)
    other_backup = maintenance.backup(other, other_path)
    made = [maintenance.backup(db, library_path, keep=3) for _ in range(5)]
    kept = maintenance.list_backups(library_path)
    assert [b.path for b in kept] == [b.path for b in reversed(made[-3:])]
    assert all(not b.path.exists() for b in made[:2])
    assert maintenance.list_backups(other_path) == [other_backup]
    assert other_backup.path.exists()
    other.close()


def test_two_backups_in_one_second_are_both_kept(db: Database, library_path: Path) -> None:
    made: list[maintenance.BackupInfo] = []
    for _ in range(50):  # a backup takes milliseconds: two land in one second almost at once
        made.append(maintenance.backup(db, library_path, keep=100, reason="manual"))
        if len(made) >= 2 and made[-1].created_at == made[-2].created_at:
            break
    first, second = made[-2], made[-1]
    assert first.created_at == second.created_at
    assert first.path != second.path
    assert first.path.exists() and second.path.exists()
    listed = maintenance.list_backups(library_path)
    assert listed[0].path == second.path and listed[1].path == first.path


def test_backup_failing_mid_write_keeps_old_backups_and_leaves_no_temp_file(
    library_path: Path,
) -> None:
    """A real write failure halfway through VACUUM INTO (RLIMIT_FSIZE in a subprocess).

    A full disk itself needs a small mounted file system (root); the kernel's file-size limit
    makes write(2) fail the same way partway through the copy.
    """
    db = open_database(library_path)
    fill(db, articles=400, text_size=3000)
    old = maintenance.backup(db, library_path)
    old_digest = sha256(old.path)
    db.close()
    proc = durability_writer.spawn("backup-limited", library_path, 200_000)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert out.startswith("failed: Backup failed:"), out
    assert "previous backups are untouched" in out
    assert maintenance.list_backups(library_path) == [old]
    assert sha256(old.path) == old_digest
    assert temp_files(library_path) == []


class DiskFillsDuringVacuum(Database):
    """Writes part of the copy, then fails as SQLite does when the disk fills up (a fake)."""

    def execute(self, sql: str, parameters: object = None) -> sqlite3.Cursor:  # type: ignore[override]
        if sql.startswith("VACUUM INTO"):
            super().execute(sql, parameters)  # type: ignore[arg-type]
            raise sqlite3.OperationalError("database or disk is full")
        return super().execute(sql, parameters)  # type: ignore[arg-type]


def test_disk_full_during_backup_is_reported_and_rotates_nothing(
    db: Database, library_path: Path
) -> None:
    """Fake: a Database whose VACUUM INTO raises SQLite's disk-full error after writing."""
    old = [maintenance.backup(db, library_path, keep=2) for _ in range(2)]
    full = DiskFillsDuringVacuum(db.conn)
    with pytest.raises(StorageError, match="disk is full") as caught:
        maintenance.backup(full, library_path, keep=2)
    assert "Backup failed" in str(caught.value)
    assert [b.path for b in maintenance.list_backups(library_path)] == [
        b.path for b in reversed(old)
    ]
    assert temp_files(library_path) == []


def test_keep_below_one_is_refused(db: Database, library_path: Path) -> None:
    with pytest.raises(ValueError):
        maintenance.backup(db, library_path, keep=0)


def test_stale_temp_files_of_dead_processes_are_removed(library_path: Path) -> None:
    folder = backup_dir(library_path)
    folder.mkdir(parents=True)
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead_pid = int(dead.stdout)
    stale = folder / f".library-backup-{dead_pid}-abc123.tmp"
    stale.write_bytes(b"half a backup")
    ours = folder / f".library-backup-{os.getpid()}-def456.tmp"  # a backup running right now
    ours.write_bytes(b"in progress")
    keep = [
        folder / "library-20260101-000000-manual.gloss",
        folder / "notes.tmp",
        folder / f".other-backup-{dead_pid}-x.tmp",
    ]
    for path in keep:
        path.write_bytes(b"keep me")
    assert maintenance.clean_stale_temp_files(library_path) == 1
    assert not stale.exists()
    assert ours.exists()
    assert all(path.exists() for path in keep)
    assert maintenance.clean_stale_temp_files(library_path.with_name("nothing-here.gloss")) == 0


# ---- checks -------------------------------------------------------------------------------


def damage_pages(path: Path, *, at: float, count: int, seed: int = 7) -> None:
    """Overwrite whole pages with noise, as a failing disk or a bad copy would."""
    page_size = 4096
    pages = path.stat().st_size // page_size
    start = int(pages * at)
    rnd = random.Random(seed)
    with path.open("r+b") as f:
        for page in range(start, start + count):
            f.seek(page * page_size)
            f.write(rnd.randbytes(page_size))


def raw_quick_check(path: Path) -> list[tuple[object, ...]] | str:
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        return conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as e:
        return str(e)
    finally:
        conn.close()


def test_checks_pass_on_a_sound_library(db: Database) -> None:
    assert maintenance.quick_check(db) == []
    assert maintenance.integrity_check(db) == []
    assert maintenance.user_tables_check(db) == []


def test_integrity_check_reports_a_broken_foreign_key(db: Database) -> None:
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute(
        "INSERT INTO notes (uuid, article_id, body, created_at, updated_at) "
        "VALUES ('lost', 99999, 'orphan', ?, ?)",
        [NOW, NOW],
    )
    db.conn.commit()
    problems = maintenance.integrity_check(db)
    assert len(problems) == 1 and "notes" in problems[0] and "articles" in problems[0]


@pytest.fixture
def damaged_library(library_path: Path) -> tuple[Path, maintenance.BackupInfo, dict[str, list]]:
    """A library of several MB with a backup, then pages in its middle overwritten."""
    database = open_database(library_path)
    fill(database, articles=1500, text_size=3000)
    before = contents(database)
    info = maintenance.backup(database, library_path)
    database.close()
    assert not Path(str(library_path) + "-wal").exists()
    assert library_path.stat().st_size > 5_000_000
    damage_pages(library_path, at=0.5, count=6)
    assert raw_quick_check(library_path) != [("ok",)]  # really damaged, as SQLite sees it
    return library_path, info, before


def test_open_checked_moves_a_damaged_library_aside_and_names_the_backup(
    damaged_library: tuple[Path, maintenance.BackupInfo, dict[str, list]],
) -> None:
    library_path, info, before = damaged_library
    damaged_digest = sha256(library_path)
    with pytest.raises(CorruptLibraryError) as caught:
        maintenance.open_checked(library_path)
    moved = Path(caught.value.moved_to or "")
    assert moved.name.startswith("library.gloss.corrupt-")
    assert sha256(moved) == damaged_digest  # moved, not changed
    assert not any(p.exists() for p in library_file_set(library_path))
    message = str(caught.value)
    assert str(moved) in message
    assert f'cp "{info.path}" "{library_path}"' in message
    # Following the instructions gives the library back as it was at the backup.
    shutil.copyfile(info.path, library_path)
    restored = maintenance.open_checked(library_path)
    assert contents(restored) == before
    restored.close()


def test_a_library_whose_first_page_is_damaged_is_moved_aside(library_path: Path) -> None:
    database = open_database(library_path)
    fill(database, articles=50)
    database.close()
    with library_path.open("r+b") as f:  # keep the 100-byte header, wreck the schema page
        f.seek(100)
        f.write(b"\xff" * 3000)
    with pytest.raises(CorruptLibraryError, match="There is no backup") as caught:
        maintenance.open_checked(library_path)
    assert Path(caught.value.moved_to or "").exists()
    assert not library_path.exists()
    # The next start begins a new, empty library rather than failing for ever.
    fresh = maintenance.open_checked(library_path)
    assert fresh.execute("SELECT count(*) FROM articles").fetchone() == (0,)
    fresh.close()


def test_damaged_notes_are_caught_even_when_the_full_check_is_skipped(
    library_path: Path,
) -> None:
    database = open_database(library_path)
    fill(database, articles=200, text_size=2000)
    root = database.execute("SELECT rootpage FROM sqlite_master WHERE name = 'notes'").fetchone()
    database.close()
    with library_path.open("r+b") as f:
        f.seek((root[0] - 1) * 4096)
        f.write(b"\x0d\x00\x00\x00\x09" + b"\xee" * 4091)
    with pytest.raises(CorruptLibraryError):
        maintenance.open_checked(library_path, full_check=False)


@pytest.mark.parametrize("kind", ["other app", "newer gloss"])
def test_files_we_must_not_open_are_refused_not_moved(library_path: Path, kind: str) -> None:
    if kind == "other app":
        conn = sqlite3.connect(library_path)
        conn.execute("CREATE TABLE contacts (name)")
    else:
        open_database(library_path).close()
        conn = sqlite3.connect(library_path)
        conn.execute("PRAGMA user_version = 42")
    conn.commit()
    conn.close()
    digest = sha256(library_path)
    with pytest.raises(NotALibraryError if kind == "other app" else SchemaTooNewError):
        maintenance.open_checked(library_path)
    assert sha256(library_path) == digest
    assert list(library_path.parent.glob("*.corrupt-*")) == []
    assert not backup_dir(library_path).exists()


def test_quarantine_never_overwrites(library_path: Path) -> None:
    database = open_database(library_path)
    fill(database, articles=5)
    database.close()
    library_path.with_name("library.gloss-wal").write_bytes(b"committed frames")
    library_path.with_name("library.gloss-shm").write_bytes(b"index")
    library_digest = sha256(library_path)
    now = dt.datetime.now(dt.UTC)
    squatters = []
    for offset in (0, 1, 2):  # the names quarantine would pick in this second and the next
        stamp = (now + dt.timedelta(seconds=offset)).strftime("%Y%m%d-%H%M%S")
        squatter = library_path.with_name(f"library.gloss.corrupt-{stamp}")
        squatter.write_bytes(b"an earlier damaged library")
        squatters.append(squatter)
    moved = maintenance.quarantine(library_path)
    assert moved not in squatters
    assert all(s.read_bytes() == b"an earlier damaged library" for s in squatters)
    assert sha256(moved) == library_digest
    assert Path(str(moved) + "-wal").read_bytes() == b"committed frames"
    assert Path(str(moved) + "-shm").read_bytes() == b"index"
    assert not any(p.exists() for p in library_file_set(library_path))


def test_restore_instructions_without_a_backup(library_path: Path) -> None:
    library_path.write_bytes(b"x")
    moved = maintenance.quarantine(library_path)
    text = maintenance.restore_instructions(library_path)
    assert str(moved) in text
    assert "no backup" in text


def test_restore_backup_refuses_to_replace_a_library(db: Database, library_path: Path) -> None:
    info = maintenance.backup(db, library_path)
    before = contents(db)
    with pytest.raises(StorageError, match="never overwrites"):
        maintenance.restore_backup(info.path, library_path)
    db.close()
    maintenance.quarantine(library_path)
    maintenance.restore_backup(info.path, library_path)
    restored = maintenance.open_checked(library_path)
    assert contents(restored) == before
    restored.close()


# ---- start-up policy ----------------------------------------------------------------------

BIG = maintenance.ALWAYS_FULL_CHECK_BELOW_BYTES * 10
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.mark.parametrize(
    ("state", "size", "due"),
    [
        (CheckState(None, None, None), 1_000_000, True),  # small: always, it is cheap
        (CheckState(T0, T0 + HOUR, T0), 1_000_000, True),
        (CheckState(None, None, None), BIG, True),  # never checked
        (CheckState(T0, T0 + HOUR, T0), BIG, False),  # checked, closed cleanly
        (CheckState(T0 - 200 * HOUR, T0 + HOUR, T0 - 200 * HOUR), BIG, True),  # a week ago
        (CheckState(T0, None, T0 - HOUR), BIG, True),  # crashed, never closed
        (CheckState(T0, T0 - HOUR, T0 - HOUR), BIG, True),  # crashed after a clean session
        (CheckState(T0, None, T0 + HOUR), BIG, False),  # crashed, but checked since
    ],
)
def test_full_check_policy(state: CheckState, size: int, due: bool) -> None:
    assert full_check_due(state, file_size=size, now=T0 + 2 * HOUR) is due


def test_sessions_are_recorded_for_the_policy(library_path: Path) -> None:
    database = maintenance.open_checked(library_path)
    state = maintenance.read_check_state(database)
    assert state.session_started_at is not None and state.last_full_check_at is not None
    assert state.clean_close_at is None
    maintenance.mark_clean_close(database)
    database.close()
    database = maintenance.open_checked(library_path)
    after = maintenance.read_check_state(database)
    assert after.clean_close_at is not None and after.session_started_at is not None
    assert after.session_started_at > after.clean_close_at > state.session_started_at
    database.close()


def test_pending_migration_is_preceded_by_a_backup(library_path: Path) -> None:
    database = open_database(library_path)
    fill(database, articles=10)
    before = contents(database)
    database.close()
    proc = durability_writer.spawn("migrate", library_path, "open-checked")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    backups = json.loads(out.splitlines()[0])["backups"]
    assert f"user_version {schema_version() + 1}" in out
    assert len(backups) == 1 and backups[0].endswith("-pre-migration.gloss")
    copy = open_database(Path(backups[0]), readonly=True)
    assert copy.execute("PRAGMA user_version").fetchone() == (schema_version(),)
    assert contents(copy) == before
    copy.close()
