"""Arrival rules as stored, and what a rule does to a new article (read, star, tag)."""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.errors import NotFoundError
from reader.core.storage import tags as tag_store
from reader.core.storage.sql import Row, execute, fetch_all, fetch_one, scalar
from reader.core.types import (
    ArticleId,
    FeedId,
    Rule,
    RuleAction,
    RuleField,
    RuleId,
    RuleKind,
    RuleSpec,
)

if TYPE_CHECKING:  # rules.py loads the regex module; only a refresh with rules needs it
    from reader.core.rules import Verdict

_RULE_COLUMNS = """
    r.id, r.feed_id, r.field, r.kind, r.pattern, r.action, r.tag, r.enabled, r.matched,
    r.last_error, coalesce(f.user_title, f.title, f.url) AS feed_title
"""


def _spec(row: Row) -> RuleSpec:
    return RuleSpec(
        field=RuleField(row["field"]),
        kind=RuleKind(row["kind"]),
        pattern=row["pattern"],
        action=RuleAction(row["action"]),
        tag=row["tag"],
        feed_id=FeedId(row["feed_id"]) if row["feed_id"] is not None else None,
    )


def _spec_values(spec: RuleSpec) -> list[object]:
    """The stored columns feed_id, field, kind, pattern, action, tag (the reverse of `_spec`)."""
    return [
        spec.feed_id,
        spec.field.value,
        spec.kind.value,
        spec.pattern,
        spec.action.value,
        spec.tag,
    ]


def _to_rule(row: Row) -> Rule:
    return Rule(
        id=RuleId(row["id"]),
        spec=_spec(row),
        enabled=bool(row["enabled"]),
        matched=int(row["matched"]),
        last_error=row["last_error"],
        feed_title=row["feed_title"] if row["feed_id"] is not None else None,
    )


def list_rules(db: Database) -> list[Rule]:
    rows = fetch_all(
        db,
        f"SELECT {_RULE_COLUMNS} FROM rules r LEFT JOIN feeds f ON f.id = r.feed_id "
        "ORDER BY r.position, r.id",
    )
    return [_to_rule(r) for r in rows]


def get_rule(db: Database, rule_id: RuleId) -> Rule:
    row = fetch_one(
        db,
        f"SELECT {_RULE_COLUMNS} FROM rules r LEFT JOIN feeds f ON f.id = r.feed_id WHERE r.id = ?",
        [rule_id],
    )
    if row is None:
        raise NotFoundError(f"There is no rule with id {rule_id}.")
    return _to_rule(row)


def enabled_rules(db: Database) -> list[tuple[RuleId, RuleSpec]]:
    """What a refresh runs, in order. One small query per refresh."""
    rows = fetch_all(
        db,
        "SELECT id, feed_id, field, kind, pattern, action, tag FROM rules WHERE enabled = 1 "
        "ORDER BY position, id",
    )
    return [(RuleId(r["id"]), _spec(r)) for r in rows]


def insert_rule(db: Database, spec: RuleSpec, now: str) -> RuleId:
    position = int(scalar(db, "SELECT coalesce(max(position), 0) + 1 FROM rules") or 1)
    return RuleId(
        execute(
            db,
            "INSERT INTO rules (feed_id, field, kind, pattern, action, tag, enabled, position, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
            [*_spec_values(spec), position, now],
        )
    )


def update_rule(db: Database, rule_id: RuleId, spec: RuleSpec) -> None:
    """A changed rule starts counting again, and forgets the old pattern's error."""
    execute(
        db,
        "UPDATE rules SET feed_id = ?, field = ?, kind = ?, pattern = ?, action = ?, tag = ?, "
        "matched = 0, last_error = NULL WHERE id = ?",
        [*_spec_values(spec), rule_id],
    )


def set_enabled(db: Database, rule_id: RuleId, enabled: bool) -> None:
    if enabled:  # switching a rule back on gives its pattern a fresh start
        execute(db, "UPDATE rules SET enabled = 1, last_error = NULL WHERE id = ?", [rule_id])
    else:
        execute(db, "UPDATE rules SET enabled = 0 WHERE id = ?", [rule_id])


def move_rule(db: Database, rule_id: RuleId, step: int) -> None:
    """Move a rule ``step`` places later (negative: earlier) in running order, stopping at the
    ends, and number every rule's position densely from 1."""
    ids = [RuleId(r[0]) for r in db.conn.execute("SELECT id FROM rules ORDER BY position, id")]
    index = ids.index(rule_id)
    ids.insert(max(0, min(len(ids) - 1, index + step)), ids.pop(index))
    db.conn.executemany(
        "UPDATE rules SET position = ? WHERE id = ? AND position IS NOT ?",
        [(position, rid, position) for position, rid in enumerate(ids, start=1)],
    )


def delete_rule(db: Database, rule_id: RuleId) -> None:
    execute(db, "DELETE FROM rules WHERE id = ?", [rule_id])


def record_stats(db: Database, matched: Mapping[RuleId, int], errors: Mapping[RuleId, str]) -> None:
    """Add a refresh's matches to the rules' counts and note their errors."""
    if matched:
        db.conn.executemany(
            "UPDATE rules SET matched = matched + ? WHERE id = ?",
            [(count, rule_id) for rule_id, count in matched.items()],
        )
    if errors:
        db.conn.executemany(
            "UPDATE rules SET last_error = ? WHERE id = ?",
            [(message, rule_id) for rule_id, message in errors.items()],
        )


def apply_verdict(db: Database, article_id: int, verdict: Verdict, now: str) -> None:
    """Mark a just-stored article read or starred and tag it, as its rules said.

    A rule's tag is a field tag (``from_note = 0``): it stays until the user removes it.
    """
    if verdict.read or verdict.star:
        execute(
            db,
            "UPDATE articles SET read = max(read, ?), read_at = CASE WHEN ? THEN ? ELSE read_at "
            "END, starred = max(starred, ?), starred_at = CASE WHEN ? THEN ? ELSE starred_at END "
            "WHERE id = ?",
            [
                int(verdict.read),
                int(verdict.read),
                now,
                int(verdict.star),
                int(verdict.star),
                now,
                article_id,
            ],
        )
    tag_store.add_article_tags(db, [ArticleId(article_id)], verdict.tags)


def preview_candidates(
    db: Database, feed_id: FeedId | None, scan: int, *, with_text: bool
) -> Generator[tuple[ArticleId, str, str, str | None, str | None]]:
    """The newest ``scan`` feed articles (of one feed, or of all): id, title, text, author, link.

    Rows are read as they are consumed, so a preview that has enough matches stops reading.
    Without ``with_text`` the text is not read at all (rules on titles, authors and links).
    """
    text = "t.text" if with_text else "''"
    join = "LEFT JOIN article_texts t ON t.id = a.current_text_id " if with_text else ""
    where, params = (
        ("a.feed_id = ?", [feed_id]) if feed_id is not None else ("a.feed_id IS NOT NULL", [])
    )
    cursor = db.conn.execute(
        f"SELECT a.id, a.title, {text}, a.author, a.link FROM articles a {join}"
        f"WHERE {where} ORDER BY a.sort_at DESC, a.id DESC LIMIT ?",
        [*params, scan],
    )
    try:
        for article_id, title, body, author, link in cursor:
            yield ArticleId(article_id), title or "", body or "", author, link
    finally:
        cursor.close()
