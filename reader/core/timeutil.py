"""UTC in storage, always (rule 5): one format so that text order is time order."""

from __future__ import annotations

import datetime as dt

_DB_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def to_db(value: dt.datetime | None) -> str | None:
    """Store as ``YYYY-MM-DDTHH:MM:SSZ``; naive datetimes are a bug, so they are refused."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise ValueError("naive datetime reached storage; every time in Gloss is UTC-aware")
    return value.astimezone(dt.UTC).strftime(_DB_FORMAT)


def from_db(value: str | None) -> dt.datetime | None:
    if value is None:
        return None
    return dt.datetime.strptime(value, _DB_FORMAT).replace(tzinfo=dt.UTC)


def from_db_required(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, _DB_FORMAT).replace(tzinfo=dt.UTC)


def iso_z(value: dt.datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``, as the command line's JSON promises."""
    return to_db(value)
