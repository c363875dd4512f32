"""Opening the library file: guards first, then pragmas, then migrations.

Order matters. A file we must refuse (not SQLite, another app's database, a newer Gloss's
library) is inspected read-only and never written, not even by ``journal_mode=WAL``, which
rewrites the header. Only a file that passes gets the pragmas and the migrations, after a backup
when there are migrations to run.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from reader.core.errors import NotALibraryError, SchemaTooNewError, StorageError
from reader.core.storage.migrations import (
    APPLICATION_ID,
    MIGRATION_SET,
    known_migration_names,
    migrations,
    schema_version,
)

log = logging.getLogger("gloss.storage")

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 5000
CACHE_KIB = 16 * 1024


def _connect(path: Path, *, readonly: bool) -> sqlite3.Connection:
    if readonly:
        uri = path.resolve().as_uri() + "?mode=ro"
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    return conn


def _connect_untouched(path: Path) -> sqlite3.Connection:
    """Read a file we may have to refuse without creating its ``-wal`` or ``-shm``.

    A read-only connection to a WAL-mode file still creates both companions. When neither
    exists no one has the file open (SQLite removes them on the last close), so the main file
    is the whole truth and ``immutable=1`` reads it without them.
    """
    companions_exist = any(p.exists() for p in library_file_set(path)[1:])
    query = "?mode=ro" if companions_exist else "?mode=ro&immutable=1"
    return sqlite3.connect(
        path.resolve().as_uri() + query, uri=True, timeout=BUSY_TIMEOUT_MS / 1000
    )


def _apply_pragmas(db: Database, *, readonly: bool) -> None:
    db.execute("PRAGMA foreign_keys = ON")
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    # FULL: a note saved is a note kept, even through power loss (reliability.md §3.1).
    # Refresh batches one transaction per feed, so the extra fsyncs stay few.
    db.execute("PRAGMA synchronous = FULL")
    # 16 MiB of page cache per connection instead of SQLite's 2 MiB: a search over a large
    # library reads the same index pages for its ranking, title and snippet steps. Three
    # connections in the window stay far inside the memory budget.
    db.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    if readonly:
        db.execute("PRAGMA query_only = ON")


def inspect_existing(path: Path) -> None:
    """Refuse, without writing a byte, anything that is not a library this Gloss may open."""
    try:
        with path.open("rb") as f:
            header = f.read(len(SQLITE_HEADER))
    except OSError as e:
        raise StorageError(f"Cannot read the library {path}: {e.strerror or e}") from e
    if header == b"":
        return  # an empty file is a new library
    if header != SQLITE_HEADER:
        raise NotALibraryError(f"{path} is not a Gloss library (it is not an SQLite database).")
    conn = _connect_untouched(path)
    try:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        applied: list[str] = []
        if "_sqlite_migrations" in tables:
            applied = [
                r[0]
                for r in conn.execute(
                    "SELECT name FROM _sqlite_migrations WHERE migration_set = ?",
                    [MIGRATION_SET],
                )
            ]
    except sqlite3.DatabaseError as e:
        raise NotALibraryError(f"{path} is not a readable Gloss library: {e}") from e
    finally:
        conn.close()
    being_created = tables <= {"_sqlite_migrations"}  # by another Gloss, this very moment
    if app_id != APPLICATION_ID and (app_id != 0 or not being_created):
        raise NotALibraryError(
            f"{path} is an SQLite database, but not a Gloss library. Choose another file "
            "with --library (or GLOSS_LIBRARY)."
        )
    unknown = [name for name in applied if name not in known_migration_names()]
    if user_version > schema_version() or unknown:
        raise SchemaTooNewError(
            f"{path} was written by a newer version of Gloss (library schema {user_version}, "
            f"this Gloss knows up to {schema_version()}). It has not been changed. "
            "Please update Gloss to open it."
        )


def has_pending_migrations(path: Path) -> bool:
    conn = _connect_untouched(path)
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0]) < schema_version()
    finally:
        conn.close()


def open_database(path: Path, *, readonly: bool = False, migrate: bool = True) -> Database:
    """Open (creating if needed) the library at ``path`` for this thread.

    sqlite-utils binds a connection to the thread that made it (rule 3): every thread that
    reads calls this for its own connection; only the writer thread opens one for writing.
    """
    exists = path.exists() and path.stat().st_size > 0
    if exists:
        inspect_existing(path)
    elif readonly:
        raise StorageError(f"There is no library at {path}.")
    else:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise StorageError(f"Cannot create the folder for the library {path}: {e}") from e
    try:
        conn = _connect(path, readonly=readonly)
    except sqlite3.DatabaseError as e:
        raise StorageError(f"Cannot open the library {path}: {e}") from e
    try:
        db = Database(conn, execute_plugins=False)
        _apply_pragmas(db, readonly=readonly)
        if not readonly and not exists:
            # Stamped first, before any table: another Gloss opening the file meanwhile must
            # recognise it as a library being made, not as some other application's database.
            db.conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        if not readonly:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                with db.ensure_autocommit_on():
                    db.execute("PRAGMA journal_mode = WAL")
            if migrate:
                apply_migrations(db)
    except BaseException as e:
        conn.close()  # a file left open cannot be moved aside on Windows
        if isinstance(e, sqlite3.DatabaseError):
            raise StorageError(f"Cannot open the library {path}: {e}") from e
        raise
    return db


@contextlib.contextmanager
def write_transaction(db: Database, *, index: bool = True) -> Iterator[Database]:
    """A write transaction that waits its turn behind other writers.

    sqlite-utils' ``atomic()`` starts with a plain ``BEGIN``: the transaction reads first and
    asks for the write lock later, and if another process (the window, a ``gloss refresh`` from
    cron) committed in between, SQLite answers "database is locked" at once, without waiting for
    the busy timeout. ``BEGIN IMMEDIATE`` takes the write lock up front, so the busy timeout
    applies (reliability.md D3). Nested inside an open transaction it is a savepoint.

    Articles it stored or changed are indexed for search before the commit, unless ``index`` is
    False: a refresh indexes its feeds in batches (``index_queued_articles``).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
        if index:
            index_queued_articles(db)
    except BaseException:
        db.rollback()
        raise
    try:
        db.conn.execute("COMMIT")
    except BaseException:
        db.rollback()
        raise


def index_queued_articles(db: Database) -> None:
    """Index the articles this transaction stored or changed, in one statement (one FTS5 flush).

    The triggers of schema step 0005 queue them in ``search_pending``: FTS5 writes its pending
    terms out at every statement that fires a trigger, so indexing there cost a segment per
    article. Runs before each commit; a library older than step 0005 has no queue.
    """
    try:
        queued = db.conn.execute("SELECT EXISTS (SELECT 1 FROM search_pending)").fetchone()[0]
    except sqlite3.OperationalError:  # no such table: the library is being migrated
        return
    if not queued:
        return
    db.conn.execute(
        "INSERT INTO search_articles (rowid, title, author, feed, text) "
        "SELECT a.id, a.title, a.author, a.source_title, t.text FROM search_pending p "
        "JOIN articles a ON a.id = p.article_id JOIN article_texts t ON t.id = a.current_text_id "
        "ORDER BY a.id"
    )
    db.conn.execute("DELETE FROM search_pending")


def apply_migrations(db: Database) -> None:
    """All pending steps under one write lock: two processes opening a new library at once
    neither both migrate nor see each other's half-made schema."""
    with write_transaction(db):
        migrations.apply(db)


def sqlite_error_message(e: BaseException) -> str:
    """Turn SQLite's terse errors into a sentence a user can act on."""
    text = str(e)
    if "disk is full" in text or "SQLITE_FULL" in text:
        return "The disk is full; nothing was changed. Free some space and try again."
    if "readonly" in text:
        return "The library file is read-only; nothing was changed."
    if "locked" in text:
        return "The library is busy (another Gloss is writing to it); try again in a moment."
    return text


def library_file_set(path: Path) -> list[Path]:
    """The library file and its WAL companions: they move together or not at all."""
    return [path, Path(str(path) + "-wal"), Path(str(path) + "-shm")]


def fsync_dir(path: Path) -> None:
    if os.name != "posix":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
