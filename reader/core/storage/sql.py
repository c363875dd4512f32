"""Tiny helpers over the raw connection for the hot paths.

``Database.query`` wraps every statement in a savepoint; the article list and the refresh writer
run thousands of statements, so they use the connection directly. Writes through these helpers
must happen inside ``db.atomic()``: outside it the stdlib driver would open an implicit
transaction that nobody commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

Row = dict[str, Any]


def fetch_all(db: Database, sql: str, params: Sequence[Any] = ()) -> list[Row]:
    cursor = db.conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor]


def fetch_one(db: Database, sql: str, params: Sequence[Any] = ()) -> Row | None:
    cursor = db.conn.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def scalar(db: Database, sql: str, params: Sequence[Any] = ()) -> Any:
    row = db.conn.execute(sql, params).fetchone()
    return None if row is None else row[0]


def execute(db: Database, sql: str, params: Sequence[Any] = ()) -> int:
    """Run one write; returns lastrowid. Callers hold ``db.atomic()``."""
    assert db.conn.in_transaction, "writes go inside db.atomic()"
    cursor = db.conn.execute(sql, params)
    return int(cursor.lastrowid or 0)


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    """SQLite caps bound parameters; IN lists go in slices."""
    for i in range(0, len(values), size):
        yield values[i : i + size]


def placeholders(n: int) -> str:
    return ",".join("?" * n)
