"""Keeping the library file healthy: backups, checks, and what to do with a damaged file.

The rules come from reliability.md §3 and table D: a backup is a single consistent file made by
``VACUUM INTO`` a temporary name, verified, and only then renamed and allowed to push out old
copies (D4, D11); a library that fails its check at start-up is moved aside, never overwritten,
and the user is told which backup to restore (D5).

A full ``PRAGMA quick_check`` reads every page. On a 1.26 GB library it took 0.6 s with the file
in the page cache and 23 s from a cold disk on the development VM, far over the 1 s start-up
budget, so start-up runs it only when it is cheap or there is a reason to (``full_check_due``);
every start still checks the small tables holding what users wrote (highlights, notes, tags,
feeds), which costs milliseconds. ``gloss check`` always runs the full ``integrity_check``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import re
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from reader.core.errors import CorruptLibraryError, NotALibraryError, StorageError
from reader.core.paths import backup_dir
from reader.core.storage.db import (
    SQLITE_HEADER,
    apply_migrations,
    fsync_dir,
    has_pending_migrations,
    inspect_existing,
    library_file_set,
    open_database,
    sqlite_error_message,
    write_transaction,
)
from reader.core.storage.migrations import APPLICATION_ID

log = logging.getLogger("gloss.storage")

BACKUP_SUFFIX = ".gloss"
TEMP_SUFFIX = ".tmp"

# Below this size a full quick_check costs well under a second even from a cold disk.
ALWAYS_FULL_CHECK_BELOW_BYTES = 32 * 1024 * 1024
FULL_CHECK_INTERVAL = dt.timedelta(days=7)

# The tables holding what a user wrote or chose: small, irreplaceable, checked at every start.
USER_TABLES = (
    "meta",
    "_sqlite_migrations",
    "folders",
    "feeds",
    "feed_url_history",
    "highlights",
    "notes",
    "tags",
    "article_tags",
    "highlight_tags",
)

# meta keys this module owns.
META_SESSION_STARTED = "session_started_at"
META_CLEAN_CLOSE = "clean_close_at"
META_LAST_FULL_CHECK = "last_full_check_at"

_STAMP_FORMAT = "%Y%m%d-%H%M%S"


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    created_at: dt.datetime  # UTC, to the second (from the file name)
    size_bytes: int


# ---- backups ------------------------------------------------------------------------------


def backup(
    db: Database, library_path: Path, *, keep: int = 10, reason: str = "manual"
) -> BackupInfo:
    """Write a verified single-file copy of the library, then drop the oldest beyond ``keep``.

    Old backups are deleted only after the new one is on disk, checked and renamed into place,
    so a failure at any step (a full disk included) leaves every previous backup as it was.
    """
    if keep < 1:
        raise ValueError("keep must be at least 1: rotation never deletes the newest backup")
    folder = backup_dir(library_path)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, temp_name = tempfile.mkstemp(
            dir=folder, prefix=_temp_prefix(library_path, os.getpid()), suffix=TEMP_SUFFIX
        )
        os.close(fd)
    except OSError as e:
        raise StorageError(f"Backup failed: cannot write in {folder}: {_os_reason(e)}") from e
    temp = Path(temp_name)
    try:
        # VACUUM INTO refuses a non-empty target, and mkstemp made an empty one under a name
        # nobody else will pick.
        db.execute("VACUUM INTO ?", [str(temp)])
        _fsync_file(temp)
        problems = _verify_copy(temp, expected_user_version=_user_version(db))
        if problems:
            raise StorageError(
                "Backup failed: the copy did not pass its check ("
                + "; ".join(problems[:3])
                + "). The previous backups are untouched."
            )
        created = dt.datetime.now(dt.UTC).replace(microsecond=0)
        final = _free_backup_name(folder, library_path, created, _reason_slug(reason))
        os.replace(temp, final)
        fsync_dir(folder)
    except sqlite3.Error as e:
        _remove_quietly(temp)
        reason_text = sqlite_error_message(e).rstrip(".")
        raise StorageError(
            f"Backup failed: {reason_text}. The previous backups are untouched."
        ) from e
    except OSError as e:
        _remove_quietly(temp)
        raise StorageError(
            f"Backup failed: {_os_reason(e)}. The previous backups are untouched."
        ) from e
    except BaseException:
        _remove_quietly(temp)
        raise
    info = BackupInfo(path=final, created_at=created, size_bytes=final.stat().st_size)
    _rotate(library_path, keep=keep, written=final)
    return info


def list_backups(library_path: Path) -> list[BackupInfo]:
    """This library's backups, newest first (by the time in their names, not by mtime)."""
    return [info for _, _, info in _scan_backups(library_path)]


def restore_backup(backup_path: Path, library_path: Path) -> None:
    """Put a backup in place of a library that was moved aside; refuses to replace anything.

    The copy goes to a temporary name first and is renamed only once complete, so a crash
    halfway leaves no half-written library behind.
    """
    for existing in library_file_set(library_path):
        if existing.exists():
            raise StorageError(
                f"{existing} exists; move it away first (Gloss never overwrites a library)."
            )
    try:
        fd, temp_name = tempfile.mkstemp(
            dir=library_path.parent, prefix=f".{library_path.name}-restore-", suffix=TEMP_SUFFIX
        )
        os.close(fd)
    except OSError as e:
        raise StorageError(f"Cannot restore into {library_path.parent}: {_os_reason(e)}") from e
    temp = Path(temp_name)
    try:
        shutil.copyfile(backup_path, temp)
        _fsync_file(temp)
        problems = _verify_copy(temp, expected_user_version=None)
        if problems:
            raise StorageError(f"The backup {backup_path} is damaged too: {'; '.join(problems)}")
        if library_path.exists():
            raise StorageError(f"{library_path} appeared during the restore; not replacing it.")
        os.replace(temp, library_path)
        fsync_dir(library_path.parent)
    except OSError as e:
        _remove_quietly(temp)
        raise StorageError(f"Cannot restore {backup_path}: {_os_reason(e)}") from e
    except BaseException:
        _remove_quietly(temp)
        raise


def clean_stale_temp_files(library_path: Path) -> int:
    """Remove half-written backups left by a process that died mid-backup (§8.1 kill point 2).

    A temporary file names the process writing it; one whose process still runs (another Gloss
    backing up right now) is left alone.
    """
    folder = backup_dir(library_path)
    prefix = f".{library_path.stem}-backup-"
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(prefix) and TEMP_SUFFIX in entry.name):
            continue
        pid_text = entry.name[len(prefix) :].split("-", 1)[0]
        if pid_text.isdigit() and _process_alive(int(pid_text)):
            continue
        try:
            os.unlink(entry.path)
        except OSError as e:  # on Windows a file still being written cannot be deleted
            log.warning("could not remove stale backup file %s: %s", entry.path, e)
            continue
        removed += 1
    return removed


# ---- checks -------------------------------------------------------------------------------


def quick_check(db: Database) -> list[str]:
    """Every page's structure (not index contents); [] when sound."""
    return _pragma_check(db, "PRAGMA quick_check")


def integrity_check(db: Database) -> list[str]:
    """``quick_check`` plus index contents and foreign keys: what ``gloss check`` reports."""
    problems = _pragma_check(db, "PRAGMA integrity_check")
    try:
        for table, rowid, parent, _ in db.execute("PRAGMA foreign_key_check").fetchall():
            problems.append(f"row {rowid} of {table} refers to a missing row of {parent}")
    except sqlite3.DatabaseError as e:
        problems.append(str(e))
    return problems


def user_tables_check(db: Database) -> list[str]:
    """``quick_check`` limited to the small tables of user-written data: milliseconds."""
    existing = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    problems: list[str] = []
    for table in USER_TABLES:
        if table in existing:
            problems += _pragma_check(db, f"PRAGMA quick_check({table})")
    return problems


@dataclass(frozen=True, slots=True)
class CheckState:
    """What the library remembers about its sessions and checks (``meta`` rows)."""

    session_started_at: dt.datetime | None
    clean_close_at: dt.datetime | None
    last_full_check_at: dt.datetime | None


def full_check_due(state: CheckState, *, file_size: int, now: dt.datetime) -> bool:
    """Whether start-up should read the whole file, given the cost measured in the module doc.

    Yes when it is cheap (a small file), when no full check passed in the last week, or when
    the previous session did not close cleanly and no full check has passed since it began.
    """
    if file_size < ALWAYS_FULL_CHECK_BELOW_BYTES:
        return True
    last = state.last_full_check_at
    if last is None or now - last > FULL_CHECK_INTERVAL:
        return True
    started = state.session_started_at
    if started is None:
        return False
    closed_cleanly = state.clean_close_at is not None and state.clean_close_at >= started
    return not closed_cleanly and last < started


def read_check_state(db: Database) -> CheckState:
    values: dict[str, str] = {}
    if db["meta"].exists():
        keys = [META_SESSION_STARTED, META_CLEAN_CLOSE, META_LAST_FULL_CHECK]
        rows = db.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", keys).fetchall()
        values = {str(k): str(v) for k, v in rows if v is not None}
    return CheckState(
        session_started_at=_parse_time(values.get(META_SESSION_STARTED)),
        clean_close_at=_parse_time(values.get(META_CLEAN_CLOSE)),
        last_full_check_at=_parse_time(values.get(META_LAST_FULL_CHECK)),
    )


def mark_clean_close(db: Database) -> None:
    """Record a tidy shutdown, so the next start can skip the full check. Call before close."""
    _set_meta(db, {META_CLEAN_CLOSE: _format_time(_now())})


# ---- damaged libraries --------------------------------------------------------------------


def quarantine(library_path: Path) -> Path:
    """Move the library and its WAL files aside under a new name; return the main file's.

    The ``-wal`` may hold committed data, so it moves with the file (and keeps the matching
    name, so the set still opens together). Companions move first: a new library must never
    start next to an old ``-wal``. No existing file is ever replaced.
    """
    stamp = _now().strftime(_STAMP_FORMAT)
    base = f"{library_path.name}.corrupt-{stamp}"
    target = library_path.with_name(base)
    counter = 1
    while any(p.exists() for p in library_file_set(target)):
        counter += 1
        target = library_path.with_name(f"{base}-{counter}")
    sources = library_file_set(library_path)
    destinations = library_file_set(target)
    try:
        for source, destination in reversed(list(zip(sources, destinations, strict=True))):
            if source.exists():
                os.rename(source, destination)
        fsync_dir(library_path.parent)
    except OSError as e:
        raise StorageError(
            f"The library {library_path} is damaged, and moving it aside failed: "
            f"{_os_reason(e)}. Nothing was deleted."
        ) from e
    return target


def restore_instructions(library_path: Path) -> str:
    """What happened and how to get the data back, in words and one command to copy."""
    lines: list[str] = []
    moved = _latest_quarantined(library_path)
    if moved is not None:
        lines.append(
            f"The library {library_path} is damaged. It was moved aside, unchanged, to {moved}."
        )
    else:
        lines.append(f"The library {library_path} is damaged.")
    backups = list_backups(library_path)
    if backups:
        newest = backups[0]
        when = newest.created_at.strftime("%Y-%m-%d %H:%M UTC")
        copy = "copy" if os.name == "nt" else "cp"
        lines += [
            f"The newest backup is {newest.path} (made {when}).",
            "To restore it, quit Gloss and run:",
            f'    {copy} "{newest.path}" "{library_path}"',
            "Changes made after that backup are only in the damaged file.",
        ]
    else:
        lines += [
            "There is no backup of it. Starting Gloss again creates a new, empty library;",
            "the damaged file stays where it was moved, for recovery tools such as",
            f'    sqlite3 "{moved or library_path}" ".recover"',
        ]
    return "\n".join(lines)


def open_checked(library_path: Path, *, full_check: bool | None = None) -> Database:
    """The start-up path of the CLI and the GUI: check, then open for writing, then migrate.

    ``full_check`` None follows ``full_check_due``; True or False forces it either way. A
    damaged library is quarantined and ``CorruptLibraryError`` raised; a library with pending
    migrations is backed up first (reason ``pre-migration``).
    """
    clean_stale_temp_files(library_path)
    if not (library_path.exists() and library_path.stat().st_size > 0):
        db = open_database(library_path)
        _start_session(db, checked=True)
        return db
    try:
        inspect_existing(library_path)
    except NotALibraryError as e:
        if _is_corruption(e.__cause__) and _has_gloss_header(library_path):
            problems = _confirm_damage(library_path)
            if problems:
                _quarantine_and_raise(library_path, problems)
        raise
    checked = _check_read_only(library_path, full_check)
    pending = has_pending_migrations(library_path)
    db = open_database(library_path, migrate=False)
    try:
        if pending:
            if _user_version(db) > 0:
                backup(db, library_path, reason="pre-migration")
            try:
                apply_migrations(db)
            except sqlite3.Error as e:
                raise StorageError(
                    f"Upgrading the library {library_path} failed and was rolled back: "
                    f"{sqlite_error_message(e)}"
                ) from e
        _start_session(db, checked=checked)
    except BaseException:
        db.close()
        raise
    return db


# ---- internals ----------------------------------------------------------------------------


def _check_read_only(library_path: Path, full_check: bool | None) -> bool:
    """Check on a read-only connection, so a damaged file is never written; True if full."""
    try:
        db = open_database(library_path, readonly=True)
    except StorageError as e:
        if _is_corruption(e.__cause__):
            _quarantine_and_raise(library_path, [str(e.__cause__)])
        raise
    try:
        state = read_check_state(db)
        if full_check is None:
            size = library_path.stat().st_size
            full = full_check_due(state, file_size=size, now=_now())
        else:
            full = full_check
        problems = user_tables_check(db)
        if full and not problems:
            problems = quick_check(db)
    except sqlite3.DatabaseError as e:
        if not _is_corruption(e):
            raise StorageError(f"Cannot read the library {library_path}: {e}") from e
        problems, full = [str(e)], True
    finally:
        db.close()
    if problems:
        _quarantine_and_raise(library_path, problems)
    return full


def _confirm_damage(library_path: Path) -> list[str]:
    """A second look, through SQLite's locks and the WAL, before moving a file aside."""
    try:
        conn = sqlite3.connect(library_path.resolve().as_uri() + "?mode=ro", uri=True)
    except sqlite3.Error as e:
        return [str(e)] if _is_corruption(e) else []
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.Error as e:
        return [str(e)] if _is_corruption(e) else []
    finally:
        conn.close()
    return [] if rows == [("ok",)] else [str(row[0]) for row in rows]


def _quarantine_and_raise(library_path: Path, problems: list[str]) -> None:
    log.error("library %s failed its check: %s", library_path, "; ".join(problems[:5]))
    moved = quarantine(library_path)
    raise CorruptLibraryError(
        restore_instructions(library_path) + f"\n(SQLite reported: {'; '.join(problems[:3])})",
        moved_to=str(moved),
    )


def _start_session(db: Database, *, checked: bool) -> None:
    now = _format_time(_now())
    values = {META_SESSION_STARTED: now}
    if checked:
        values[META_LAST_FULL_CHECK] = now
    _set_meta(db, values)


def _set_meta(db: Database, values: dict[str, str]) -> None:
    try:
        with write_transaction(db):
            for key, value in values.items():
                db.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    [key, value],
                )
    except sqlite3.Error as e:
        raise StorageError(sqlite_error_message(e)) from e


def _pragma_check(db: Database, sql: str) -> list[str]:
    try:
        rows = db.execute(sql).fetchall()
    except sqlite3.DatabaseError as e:
        return [str(e)]
    messages = [str(row[0]) for row in rows]
    return [] if messages == ["ok"] else messages


def _verify_copy(path: Path, *, expected_user_version: int | None) -> list[str]:
    """Open a finished copy on its own and check it is a whole Gloss library."""
    conn = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = conn.execute("PRAGMA quick_check").fetchall()
        problems = [] if rows == [("ok",)] else [str(r[0]) for r in rows]
        if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
            problems.append("it is not a Gloss library")
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if expected_user_version is not None and version != expected_user_version:
            problems.append(f"schema {version}, expected {expected_user_version}")
    except sqlite3.DatabaseError as e:
        problems = [str(e)]
    finally:
        conn.close()
    return problems


def _user_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def _is_corruption(error: BaseException | None) -> bool:
    if not isinstance(error, sqlite3.DatabaseError):
        return False
    if getattr(error, "sqlite_errorname", "") in {"SQLITE_CORRUPT", "SQLITE_NOTADB"}:
        return True
    text = str(error)
    return "malformed" in text or "not a database" in text


def _has_gloss_header(path: Path) -> bool:
    """The SQLite magic and our application_id (header offset 68): ours, though unreadable."""
    try:
        with path.open("rb") as f:
            header = f.read(72)
    except OSError:
        return False
    return header.startswith(SQLITE_HEADER) and header[68:72] == APPLICATION_ID.to_bytes(4, "big")


def _latest_quarantined(library_path: Path) -> Path | None:
    prefix = f"{library_path.name}.corrupt-"
    try:
        names = [
            name
            for name in os.listdir(library_path.parent)
            if name.startswith(prefix) and not name.endswith(("-wal", "-shm"))
        ]
    except OSError:
        return None
    if not names:
        return None
    newest = max(names, key=lambda name: (name[len(prefix) :][:15], len(name), name))
    return library_path.with_name(newest)


def _temp_prefix(library_path: Path, pid: int) -> str:
    return f".{library_path.stem}-backup-{pid}-"


def _backup_name_pattern(library_path: Path) -> re.Pattern[str]:
    return re.compile(
        re.escape(library_path.stem)
        + r"-(?P<stamp>\d{8}-\d{6})(?:-(?P<seq>\d+))?(?:-(?P<reason>[a-z][a-z0-9-]*))?"
        + re.escape(BACKUP_SUFFIX)
    )


def _scan_backups(library_path: Path) -> list[tuple[dt.datetime, int, BackupInfo]]:
    """(time, sequence within that second, info) per backup, newest first."""
    found: list[tuple[dt.datetime, int, BackupInfo]] = []
    pattern = _backup_name_pattern(library_path)
    try:
        entries = list(os.scandir(backup_dir(library_path)))
    except FileNotFoundError:
        return []
    except OSError as e:
        raise StorageError(f"Cannot list the backups: {_os_reason(e)}") from e
    for entry in entries:
        match = pattern.fullmatch(entry.name)
        if match is None:
            continue
        try:
            created = dt.datetime.strptime(match["stamp"], _STAMP_FORMAT).replace(tzinfo=dt.UTC)
            size = entry.stat().st_size
        except (ValueError, OSError):
            continue
        sequence = int(match["seq"] or 1)
        found.append((created, sequence, BackupInfo(Path(entry.path), created, size)))
    found.sort(key=lambda item: (item[0], item[1]), reverse=True)
    return found


def _free_backup_name(folder: Path, library_path: Path, created: dt.datetime, reason: str) -> Path:
    """``<stem>-YYYYmmdd-HHMMSS[-N][-reason].gloss``: N orders backups made in the same second."""
    stamp = created.strftime(_STAMP_FORMAT)
    tail = f"-{reason}{BACKUP_SUFFIX}" if reason else BACKUP_SUFFIX
    same_second = [seq for when, seq, _ in _scan_backups(library_path) if when == created]
    sequence = max(same_second, default=0) + 1
    while True:
        middle = stamp if sequence == 1 else f"{stamp}-{sequence}"
        candidate = folder / f"{library_path.stem}-{middle}{tail}"
        if not candidate.exists():
            return candidate
        sequence += 1


def _rotate(library_path: Path, *, keep: int, written: Path) -> None:
    for old in list_backups(library_path)[keep:]:
        if old.path == written:
            continue
        try:
            old.path.unlink()
        except OSError as e:  # the new backup is safe; an old one lingering is no failure
            log.warning("could not remove old backup %s: %s", old.path, e)


def _reason_slug(reason: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", reason.lower()).strip("-")
    slug = slug.lstrip("0123456789-")
    return slug[:40].rstrip("-")


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_quietly(path: Path) -> None:
    """Remove a half-made copy and the journal SQLite may have left beside it."""
    for leftover in (path, *(Path(f"{path}{tail}") for tail in ("-journal", "-wal", "-shm"))):
        with contextlib.suppress(OSError):
            leftover.unlink(missing_ok=True)


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False  # Windows refuses to delete a file that is still open, which suffices
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _os_reason(error: OSError) -> str:
    if error.errno is not None and error.errno == 28:  # ENOSPC
        return "the disk is full"
    return error.strerror or str(error)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _format_time(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat(timespec="microseconds")


def _parse_time(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
