"""Folders and feeds, and each feed's fetch state."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database

from reader.core.errors import NotFoundError
from reader.core.storage.sql import Row, execute, fetch_all, fetch_one, scalar
from reader.core.timeutil import from_db, to_db
from reader.core.types import Feed, FeedId, FeedStatus, Folder, FolderId, FullTextPolicy

FOLDER_SEPARATOR = " / "


# ---- folders -------------------------------------------------------------------------------


def list_folders(db: Database) -> list[Folder]:
    return [
        Folder(FolderId(r["id"]), r["name"], r["parent_id"] and FolderId(r["parent_id"]))
        for r in fetch_all(db, "SELECT id, name, parent_id FROM folders ORDER BY position, name")
    ]


def folder_paths(db: Database) -> dict[FolderId, tuple[str, ...]]:
    """Every folder's path from the top, for display, OPML and ``folder`` in JSON."""
    folders = {f.id: f for f in list_folders(db)}
    paths: dict[FolderId, tuple[str, ...]] = {}

    def path_of(folder_id: FolderId, seen: frozenset[FolderId] = frozenset()) -> tuple[str, ...]:
        if folder_id in paths:
            return paths[folder_id]
        folder = folders[folder_id]
        if folder.parent_id is None or folder.parent_id in seen or folder.parent_id not in folders:
            result: tuple[str, ...] = (folder.name,)
        else:
            result = (*path_of(folder.parent_id, seen | {folder_id}), folder.name)
        paths[folder_id] = result
        return result

    for folder_id in folders:
        path_of(folder_id)
    return paths


def find_folder(db: Database, name: str, parent_id: FolderId | None) -> FolderId | None:
    value = scalar(
        db,
        "SELECT id FROM folders WHERE ifnull(parent_id, 0) = ? AND name = ? COLLATE NOCASE",
        [parent_id or 0, name],
    )
    return None if value is None else FolderId(value)


def ensure_folder_path(db: Database, path: tuple[str, ...]) -> tuple[FolderId | None, int]:
    """Find or create nested folders; returns the innermost id and how many were created."""
    parent: FolderId | None = None
    created = 0
    for raw_name in path:
        name = " ".join(raw_name.split())
        if not name:
            continue
        existing = find_folder(db, name, parent)
        if existing is None:
            existing = FolderId(
                execute(db, "INSERT INTO folders (name, parent_id) VALUES (?, ?)", [name, parent])
            )
            created += 1
        parent = existing
    return parent, created


def parse_folder_path(text: str) -> tuple[str, ...]:
    """``--folder "Tech/Python"`` or ``"Tech / Python"`` names nested folders."""
    return tuple(
        part.strip() for part in text.replace(FOLDER_SEPARATOR, "/").split("/") if part.strip()
    )


# ---- feeds ---------------------------------------------------------------------------------

_FEED_COLUMNS = """
    f.id, f.url, f.title, f.user_title, f.site_url, f.folder_id, f.last_fetched_at,
    f.last_result, f.error, f.next_fetch_at, f.muted, f.muted_reason, f.favicon,
    f.full_text_policy, f.images, f.keep_read_days, f.notify
"""


def _status(row: Row) -> FeedStatus:
    if row["muted"]:
        return FeedStatus.MUTED
    if row["last_result"] is None:
        return FeedStatus.NEW
    if row["last_result"] == "error":
        return FeedStatus.ERROR
    return FeedStatus.OK


def _to_feed(row: Row, paths: dict[FolderId, tuple[str, ...]], unread: int) -> Feed:
    folder_id = FolderId(row["folder_id"]) if row["folder_id"] is not None else None
    error = row["error"]
    if row["muted"] and row["muted_reason"]:
        error = row["muted_reason"]
    return Feed(
        id=FeedId(row["id"]),
        url=row["url"],
        title=row["user_title"] or row["title"] or row["url"],
        site_url=row["site_url"],
        folder_id=folder_id,
        folder=FOLDER_SEPARATOR.join(paths[folder_id]) if folder_id in paths else None,
        status=_status(row),
        error=error if row["last_result"] == "error" or row["muted"] else None,
        unread=unread,
        last_fetched_at=from_db(row["last_fetched_at"]),
        next_fetch_at=from_db(row["next_fetch_at"]),
        muted=bool(row["muted"]),
        favicon=row["favicon"],
        full_text=_policy(row["full_text_policy"]),
        images=bool(row["images"]),
        keep_read_days=row["keep_read_days"],
        notify=bool(row["notify"]),
    )


def _policy(value: object) -> FullTextPolicy:
    try:
        return FullTextPolicy(str(value))
    except ValueError:
        return FullTextPolicy.AUTO


def unread_counts(db: Database) -> dict[FeedId, int]:
    return {
        FeedId(r[0]): int(r[1])
        for r in db.conn.execute(
            "SELECT feed_id, count(*) FROM articles WHERE read = 0 AND feed_id IS NOT NULL "
            "GROUP BY feed_id"
        )
    }


def list_feeds(db: Database) -> list[Feed]:
    paths = folder_paths(db)
    counts = unread_counts(db)
    rows = fetch_all(
        db,
        f"SELECT {_FEED_COLUMNS} FROM feeds f "
        "ORDER BY f.position, lower(coalesce(f.user_title, f.title, f.url)), f.id",
    )
    return [_to_feed(r, paths, counts.get(FeedId(r["id"]), 0)) for r in rows]


def get_feed(db: Database, feed_id: FeedId) -> Feed:
    row = fetch_one(db, f"SELECT {_FEED_COLUMNS} FROM feeds f WHERE f.id = ?", [feed_id])
    if row is None:
        raise NotFoundError(f"There is no feed with id {feed_id}.")
    unread = scalar(db, "SELECT count(*) FROM articles WHERE feed_id = ? AND read = 0", [feed_id])
    return _to_feed(row, folder_paths(db), int(unread))


def find_feed_by_url(db: Database, url: str) -> FeedId | None:
    value = scalar(db, "SELECT id FROM feeds WHERE url = ?", [url])
    return None if value is None else FeedId(value)


def insert_feed(
    db: Database,
    *,
    url: str,
    title: str | None,
    site_url: str | None,
    folder_id: FolderId | None,
    now: dt.datetime,
    full_text: FullTextPolicy = FullTextPolicy.AUTO,
) -> FeedId:
    """A new subscription; ``full_text`` is the library's default policy for new feeds."""
    return FeedId(
        execute(
            db,
            "INSERT INTO feeds (url, title, site_url, folder_id, added_at, full_text_policy) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [url, title, site_url, folder_id, to_db(now), full_text.value],
        )
    )


@dataclass(frozen=True, slots=True)
class FetchState:
    """What the refresh needs to know about a feed before fetching it."""

    feed_id: FeedId
    url: str
    title: str | None
    etag: str | None
    last_modified: str | None
    body_sha256: str | None
    next_fetch_at: dt.datetime | None
    retry_at: dt.datetime | None
    ttl_minutes: int | None
    muted: bool
    error_count: int


def fetch_states(db: Database, feed_ids: list[FeedId] | None) -> list[FetchState]:
    sql = (
        "SELECT id, url, title, etag, last_modified, body_sha256, next_fetch_at, retry_at, "
        "ttl_minutes, muted, error_count FROM feeds"
    )
    rows = fetch_all(db, sql + " ORDER BY id")
    wanted = None if feed_ids is None else set(feed_ids)
    return [
        FetchState(
            feed_id=FeedId(r["id"]),
            url=r["url"],
            title=r["title"],
            etag=r["etag"],
            last_modified=r["last_modified"],
            body_sha256=r["body_sha256"],
            next_fetch_at=from_db(r["next_fetch_at"]),
            retry_at=from_db(r["retry_at"]),
            ttl_minutes=r["ttl_minutes"],
            muted=bool(r["muted"]),
            error_count=int(r["error_count"]),
        )
        for r in rows
        if wanted is None or r["id"] in wanted
    ]


def feed_exists(db: Database, feed_id: FeedId) -> bool:
    return scalar(db, "SELECT 1 FROM feeds WHERE id = ?", [feed_id]) is not None


def update_fetch_state(db: Database, feed_id: FeedId, **columns: object) -> None:
    """Set fetch-state columns by name; names come from our code, never from input."""
    allowed = {
        "title",
        "site_url",
        "etag",
        "last_modified",
        "body_sha256",
        "last_fetched_at",
        "last_success_at",
        "last_status",
        "last_result",
        "error",
        "warning",
        "error_count",
        "next_fetch_at",
        "retry_at",
        "ttl_minutes",
        "muted",
        "muted_reason",
        "url",
    }
    unknown = set(columns) - allowed
    assert not unknown, f"unknown feed columns {unknown}"
    values = [to_db(v) if isinstance(v, dt.datetime) else v for v in columns.values()]
    assignments = ", ".join(f"{name} = ?" for name in columns)
    execute(db, f"UPDATE feeds SET {assignments} WHERE id = ?", [*values, feed_id])
