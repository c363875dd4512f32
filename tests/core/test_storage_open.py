"""Opening the library file: what is refused is never written (reliability.md D6–D9)."""

from __future__ import annotations

import hashlib
import random
import sqlite3
import time
from pathlib import Path

import pytest

from reader.core.errors import NotALibraryError, SchemaTooNewError
from reader.core.storage.db import library_file_set, open_database
from reader.core.storage.migrations import (
    APPLICATION_ID,
    known_migration_names,
    schema_version,
)
from tests.core import durability_writer


def fingerprint(path: Path) -> tuple[str, int, list[str]]:
    """Bytes, mtime and the companion files present: everything a write could change."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    companions = sorted(
        p.name for p in path.parent.iterdir() if p.name.startswith(path.name) and p != path
    )
    return digest, path.stat().st_mtime_ns, companions


def raw(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


def make_library(path: Path) -> None:
    db = open_database(path)
    db.execute("INSERT INTO meta (key, value) VALUES ('made_by', 'test')")
    db.conn.commit()
    db.close()


def test_new_library_is_stamped_and_set_up(library_path: Path) -> None:
    db = open_database(library_path)
    assert db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    db.close()
    db = open_database(library_path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema_version()
    assert db["feeds"].exists()
    db.close()


def test_text_file_is_refused_untouched(library_path: Path) -> None:
    library_path.write_text("my shopping list\neggs\n")
    before = fingerprint(library_path)
    time.sleep(0.01)
    with pytest.raises(NotALibraryError, match="not an SQLite database"):
        open_database(library_path)
    assert fingerprint(library_path) == before


def test_other_apps_database_is_refused_untouched(library_path: Path) -> None:
    conn = sqlite3.connect(library_path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ada', '555')")
    conn.commit()
    conn.close()
    before = fingerprint(library_path)
    time.sleep(0.01)
    with pytest.raises(NotALibraryError, match="not a Gloss library"):
        open_database(library_path)
    assert fingerprint(library_path) == before


def test_foreign_application_id_is_refused_even_when_empty(library_path: Path) -> None:
    conn = sqlite3.connect(library_path)
    conn.execute("PRAGMA application_id = 1234")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("DROP TABLE t")
    conn.commit()
    conn.close()
    assert raw(library_path).execute("PRAGMA application_id").fetchone()[0] == 1234
    before = fingerprint(library_path)
    with pytest.raises(NotALibraryError):
        open_database(library_path)
    assert fingerprint(library_path) == before


def make_newer_library(path: Path, newer: str) -> None:
    make_library(path)
    conn = sqlite3.connect(path)
    if newer == "user_version":
        conn.execute("PRAGMA user_version = 99")
    else:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) "
            "VALUES ('gloss', '0999_from_the_future', '2030-01-01')"
        )
    conn.commit()
    conn.close()
    assert not Path(str(path) + "-wal").exists()


@pytest.mark.parametrize("newer", ["user_version", "unknown_migration"])
def test_library_from_a_newer_gloss_is_refused_byte_for_byte(
    library_path: Path, newer: str
) -> None:
    make_newer_library(library_path, newer)
    digest, mtime, _ = fingerprint(library_path)
    time.sleep(0.01)
    with pytest.raises(SchemaTooNewError, match="newer version of Gloss"):
        open_database(library_path)
    assert fingerprint(library_path)[:2] == (digest, mtime)


@pytest.mark.parametrize("newer", ["user_version", "unknown_migration"])
def test_refusing_a_newer_library_creates_no_wal_files(library_path: Path, newer: str) -> None:
    make_newer_library(library_path, newer)
    with pytest.raises(SchemaTooNewError):
        open_database(library_path)
    assert fingerprint(library_path)[2] == []


def test_write_close_reopen_keeps_the_row(library_path: Path) -> None:
    """D9: a sqlite-utils write must not linger in an open transaction that close drops."""
    db = open_database(library_path)
    db["feeds"].insert({"url": "https://example.com/feed", "added_at": "2026-01-01T00:00:00Z"})
    db.execute("UPDATE feeds SET title = 'Kept' WHERE url = 'https://example.com/feed'")
    db.close()
    db = open_database(library_path)
    assert db.execute("SELECT title FROM feeds").fetchall() == [("Kept",)]
    db.close()


def schema_snapshot(path: Path) -> tuple[int, list[tuple[str, str]], list[str], list[str]]:
    conn = raw(path)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        objects = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name"
        ).fetchall()
        applied = [r[0] for r in conn.execute("SELECT name FROM _sqlite_migrations ORDER BY id")]
        columns = [r[1] for r in conn.execute("PRAGMA table_info(articles)")]
        return version, objects, applied, columns
    finally:
        conn.close()


def library_with_articles(path: Path) -> None:
    db = open_database(path)
    with db.atomic():
        db.execute("INSERT INTO feeds (url, added_at) VALUES ('https://e.example/f', 'now')")
        for i in range(50):
            db.execute(
                "INSERT INTO articles (feed_id, key, title, sort_at, added_at) "
                "VALUES (1, ?, 't', 'now', 'now')",
                [f"k{i}"],
            )
    db.close()


def assert_new_schema(path: Path) -> None:
    version, objects, applied, columns = schema_snapshot(path)
    assert version == schema_version() + 1
    assert applied == [*known_migration_names(), durability_writer.EXTRA_STEP]
    assert "extra_things" in {name for name, _ in objects}
    assert "extra" in columns
    conn = raw(path)
    assert conn.execute("SELECT count(*) FROM articles WHERE extra = 'migrated'").fetchone() == (
        50,
    )
    conn.close()


def test_failing_migration_leaves_the_old_schema_entirely(library_path: Path) -> None:
    """D6: a step that raises halfway (after DDL and data changes) rolls back with its record."""
    library_with_articles(library_path)
    old = schema_snapshot(library_path)
    proc = durability_writer.spawn("migrate", library_path, "raise")
    _, err = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "fails halfway" in err
    assert schema_snapshot(library_path) == old
    proc = durability_writer.spawn("migrate", library_path, "complete")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"user_version {schema_version() + 1}" in out
    assert_new_schema(library_path)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_killed_migration_leaves_the_old_schema_and_reruns(library_path: Path, seed: int) -> None:
    """D6 with SIGKILL in the middle of the step (its DDL done, rows being written)."""
    library_with_articles(library_path)
    old = schema_snapshot(library_path)
    proc = durability_writer.spawn("migrate", library_path, "hang")
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == "in-migration", proc.stderr.read() if proc.stderr else ""
    time.sleep(random.Random(seed).uniform(0.0, 0.2))
    proc.kill()
    proc.wait(timeout=10)
    proc.stdout.close()
    assert proc.stderr is not None
    proc.stderr.close()
    assert any(p.exists() for p in library_file_set(library_path)[1:])  # it did crash mid-way
    assert schema_snapshot(library_path) == old
    db = open_database(library_path)  # this Gloss (one step) still opens it
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 50
    db.close()
    proc = durability_writer.spawn("migrate", library_path, "complete")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert f"user_version {schema_version() + 1}" in out
    assert_new_schema(library_path)


def test_a_version_1_library_is_upgraded_with_a_backup_first(library_path: Path) -> None:
    """The real second step on a library made by the first: columns added, data kept."""
    from reader.core.library import Library
    from reader.core.storage import db as db_module
    from reader.core.storage.migrations import migrations

    conn = sqlite3.connect(library_path)
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.commit()
    conn.close()
    old = db_module.Database(sqlite3.connect(library_path), execute_plugins=False)
    migrations.apply(old, stop_before="0002_feed_icons_and_text_index")
    old.execute("INSERT INTO feeds (url, added_at) VALUES ('https://e.example/f', 'now')")
    old.conn.commit()
    assert old.execute("PRAGMA user_version").fetchone()[0] == 1
    old.close()

    with Library.open(library_path) as library:
        [feed] = library.list_feeds()
        assert feed.url == "https://e.example/f" and feed.favicon is None
    db = open_database(library_path, readonly=True)
    assert db.execute("PRAGMA user_version").fetchone()[0] == schema_version() >= 2
    db.close()
    backups = list((library_path.parent / "backups").glob("*-pre-migration.gloss"))
    assert len(backups) == 1
