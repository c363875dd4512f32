"""The Library's methods for arrival rules, retention and marking older articles read (mixed
into ``Library``).

Rules act on new entries as a refresh stores them (``store_entries`` asks the ``ArrivalRules``
read once at the start of the refresh). Retention runs at the end of every refresh and on its own
(``apply_retention``); see ``storage/retention.py`` for what it keeps.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import time
from typing import TYPE_CHECKING

from sqlite_utils import Database

from reader.core.errors import GlossError, RuleTimeoutError
from reader.core.storage import feeds as feed_store
from reader.core.storage import offline as offline_store
from reader.core.storage import retention as retention_store
from reader.core.storage import rules as rules_store
from reader.core.storage import window_queries
from reader.core.storage.articles import get_article
from reader.core.timeutil import to_db, utcnow
from reader.core.types import (
    Article,
    ArticleCursor,
    ArticleFilter,
    ArticleId,
    Changes,
    FeedId,
    Rule,
    RuleField,
    RuleId,
    RuleSpec,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from reader.core.rules import ArrivalRules, FeedRules

PREVIEW_BUDGET = 0.4  # seconds a preview may spend matching before it shows what it found


class RulesMethods:
    """Needs ``_db``, ``_transaction``, ``_remove_cached_images`` and ``mark_all_read`` from
    ``Library``."""

    _db: Database
    _arrival_rules: ArrivalRules | None = None  # read at the start of each refresh

    if TYPE_CHECKING:

        def _transaction(self) -> contextlib.AbstractContextManager[Database]: ...

        def _remove_cached_images(self, names: Iterable[str]) -> None: ...

        def mark_all_read(self, flt: ArticleFilter | None = None) -> tuple[int, Changes]: ...

    # ---- rules ----------------------------------------------------------------------------

    def list_rules(self) -> list[Rule]:
        """Every rule, in the order they run (position, then id), with its feed's title."""
        return rules_store.list_rules(self._db)

    def add_rule(self, spec: RuleSpec) -> tuple[Rule, Changes]:
        """Validate and store a rule (enabled, last in order). Raises ``RuleError``."""
        from reader.core.rules import validate

        spec = validate(spec)
        with self._transaction():
            self._require_rule_feed(spec.feed_id)
            rule_id = rules_store.insert_rule(self._db, spec, to_db(utcnow()) or "")
            rule = rules_store.get_rule(self._db, rule_id)
        return rule, Changes(rules=True)

    def update_rule(self, rule_id: RuleId, spec: RuleSpec) -> Changes:
        """Replace what a rule says; its match count and error start afresh."""
        from reader.core.rules import validate

        spec = validate(spec)
        with self._transaction():
            rules_store.get_rule(self._db, rule_id)
            self._require_rule_feed(spec.feed_id)
            rules_store.update_rule(self._db, rule_id, spec)
        return Changes(rules=True)

    def set_rule_enabled(self, rule_id: RuleId, enabled: bool) -> Changes:
        with self._transaction():
            rules_store.get_rule(self._db, rule_id)
            rules_store.set_enabled(self._db, rule_id, enabled)
        return Changes(rules=True)

    def move_rule(self, rule_id: RuleId, step: int) -> Changes:
        """Move a rule up (``step`` -1) or down (+1) in running order; at either end it stays
        where it is. Positions are renumbered 1, 2, 3… ``NotFoundError`` for an unknown id."""
        with self._transaction():
            rules_store.get_rule(self._db, rule_id)
            rules_store.move_rule(self._db, rule_id, step)
        return Changes(rules=True)

    def delete_rule(self, rule_id: RuleId) -> Changes:
        """Delete a rule. What it did to articles (read, stars, tags) stays."""
        with self._transaction():
            rules_store.get_rule(self._db, rule_id)
            rules_store.delete_rule(self._db, rule_id)
        return Changes(rules=True)

    def preview_rule(self, spec: RuleSpec, *, limit: int = 50, scan: int = 2000) -> list[Article]:
        """The articles among the ``scan`` newest in the rule's scope that it would match,
        newest first, at most ``limit`` — for a live preview while the rule is typed.

        Bounded: at most ``scan`` rows are read (texts only for content rules), matching stops
        after ``PREVIEW_BUDGET`` seconds, and a regular expression that runs out of time raises
        ``RuleTimeoutError`` (a ``RuleError``) naming the article it choked on.
        """
        from reader.core.rules import CompiledRule, Subject

        rule = CompiledRule(spec)  # RuleError: show it instead of a preview
        if rule.spec.feed_id is not None:
            feed_store.get_feed(self._db, rule.spec.feed_id)
        with_text = rule.spec.field in (RuleField.CONTENT, RuleField.ANY)
        deadline = time.monotonic() + PREVIEW_BUDGET
        found: list[ArticleId] = []
        candidates = rules_store.preview_candidates(
            self._db, rule.spec.feed_id, max(0, scan), with_text=with_text
        )
        try:
            for article_id, title, text, author, link in candidates:
                try:
                    matched = rule.matches(Subject(title, text, author, link))
                except RuleTimeoutError as e:
                    message = str(e).replace("and was skipped", "; make it simpler")
                    raise RuleTimeoutError(message) from None
                if matched:
                    found.append(article_id)
                if len(found) >= limit or time.monotonic() > deadline:
                    break
        finally:
            candidates.close()
        order = {article_id: i for i, article_id in enumerate(found)}
        articles = window_queries.articles_by_id(self._db, found)
        return sorted(articles, key=lambda a: order[a.id])

    def _require_rule_feed(self, feed_id: FeedId | None) -> None:
        if feed_id is not None:
            feed_store.get_feed(self._db, feed_id)  # NotFoundError

    def _load_arrival_rules(self) -> ArrivalRules:
        """The enabled rules, compiled: read once per refresh."""
        from reader.core.rules import ArrivalRules

        return ArrivalRules(rules_store.enabled_rules(self._db))

    def _feed_rules(self, feed_id: FeedId) -> FeedRules | None:
        """The rules for one feed's new entries (``None``: none apply, nothing to do)."""
        if self._arrival_rules is None:
            self._arrival_rules = self._load_arrival_rules()
        return self._arrival_rules.for_feed(feed_id)

    # ---- retention ------------------------------------------------------------------------

    def set_feed_retention(self, feed_id: FeedId, days: int | None) -> Changes:
        """Keep this feed's read articles ``days`` days (``None``: forever, the default)."""
        if days is not None and not 1 <= days <= retention_store.MAX_KEEP_READ_DAYS:
            raise GlossError(
                f"Read articles can be kept from 1 to {retention_store.MAX_KEEP_READ_DAYS:,} "
                "days, or forever."
            )
        with self._transaction():
            feed_store.get_feed(self._db, feed_id)
            retention_store.set_keep_read_days(self._db, feed_id, days)
        return Changes(feeds=frozenset({feed_id}))

    def apply_retention(self, now: dt.datetime | None = None) -> tuple[int, Changes]:
        """Remove read articles past their feed's ``keep_read_days``; returns how many.

        Starred, saved, tagged, highlighted and noted articles always stay (rule 7). Cached
        images only they showed are deleted after the commit. Cheap when nothing is due: one
        indexed query per feed that has a setting.
        """
        settings = retention_store.feeds_with_retention(self._db)
        if not settings:
            return 0, Changes()
        now = now or utcnow()
        removed: list[ArticleId] = []
        feeds: set[FeedId] = set()
        with self._transaction():
            shown: set[str] = set()
            for feed_id, days in settings:
                rows = retention_store.expired(self._db, feed_id, now - dt.timedelta(days=days))
                if not rows:
                    continue
                ids = [article_id for article_id, _ in rows]
                shown |= offline_store.cache_names_of(self._db, ids)
                retention_store.retire(self._db, feed_id, rows, now)
                removed.extend(ids)
                feeds.add(feed_id)
            unused = offline_store.unreferenced(self._db, shown)
        # The files go only after the commit: a failed removal keeps every image it needs.
        self._remove_cached_images(unused)
        if not removed:
            return 0, Changes()
        return len(removed), Changes(feeds=frozenset(feeds), articles=frozenset(removed))

    def _retention_after_refresh(self) -> None:
        """The end of a refresh: retention must never turn a good refresh into a failure."""
        try:
            self.apply_retention()
        except GlossError as e:
            import logging

            logging.getLogger("gloss.library").warning("retention failed: %s", e)

    # ---- mark older as read ---------------------------------------------------------------

    def mark_older_read(
        self, article_id: ArticleId, flt: ArticleFilter | None = None
    ) -> tuple[int, Changes]:
        """Mark read every article of the list ``flt`` shows that is older than this one
        (below it in the newest-first list; the article itself is left as it is)."""
        article = get_article(self._db, article_id)  # NotFoundError
        base = flt or ArticleFilter()
        cursor = ArticleCursor(article.sort_at, article.id)
        return self.mark_all_read(dataclasses.replace(base, older_than=cursor))
