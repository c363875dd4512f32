"""Arrival rules: when a new article's title, content, author or link matches, act on it.

Pure functions and small classes, no SQL (``storage/rules.py`` stores rules; ``store_entries``
asks an ``ArrivalRules`` about each new entry). Two kinds of pattern:

- ``words``: every word must appear in the field as a whole word, ignoring case and accents
  ("cafe" matches "Café"). ``"quoted words"`` must appear together, in that order.
- ``regex``: a regular expression (the ``regex`` module's syntax), case-insensitive unless it says
  ``(?-i)``, searched with a time limit per field. A search that runs out of time counts as no
  match; the rule is then left out for the rest of that refresh and its ``last_error`` says why,
  so a catastrophic pattern costs one time limit per refresh, never a stuck refresh.

When several rules match one entry, each acts, in order (read, star and tags add up); a matching
``skip`` rule ends it: the entry is not stored, and rules after it are not tried.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol

import regex

from reader.core.errors import RuleError, RuleTimeoutError
from reader.core.storage.tags import TagError, normalize_tag
from reader.core.types import FeedId, RuleAction, RuleField, RuleId, RuleKind, RuleSpec

REGEX_TIMEOUT = 0.05  # seconds one regular expression may take on one field of one article
MAX_PATTERN_CHARS = 2_000
_SNIPPET_CHARS = 40
_NO_ID = RuleId(0)  # a rule being previewed, not stored yet

_WORD_RE = re.compile(r'"([^"]*)"|(\S+)')
# Combining marks (accents) left after NFD: removed so "cafe" finds "café".
_MARKS_RE = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def fold(text: str) -> str:
    """Case- and accent-insensitive form of ``text`` (words are matched on this)."""
    if text.isascii():
        return text.lower()
    return _MARKS_RE.sub("", unicodedata.normalize("NFD", text.casefold()))


# ---- what a rule looks at -----------------------------------------------------------------------


class EntryLike(Protocol):
    """A parsed feed entry (``parse.ParsedEntry``) as far as rules look at it."""

    @property
    def title(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def author(self) -> str | None: ...
    @property
    def link(self) -> str | None: ...


_FIELDS = (RuleField.TITLE, RuleField.CONTENT, RuleField.AUTHOR, RuleField.LINK)


class Subject:
    """One article's fields, with their folded forms computed once and shared by every rule."""

    __slots__ = ("_folded", "_values")

    def __init__(self, title: str, content: str, author: str | None, link: str | None) -> None:
        self._values = {
            RuleField.TITLE: title or "",
            RuleField.CONTENT: content or "",
            RuleField.AUTHOR: author or "",
            RuleField.LINK: link or "",
        }
        self._folded: dict[RuleField, str] = {}

    @classmethod
    def of_entry(cls, entry: EntryLike) -> Subject:
        return cls(entry.title, entry.text, entry.author, entry.link)

    def value(self, field: RuleField) -> str:
        if field is RuleField.ANY:
            return "\n".join(self._values[f] for f in _FIELDS)
        return self._values[field]

    def folded(self, field: RuleField) -> str:
        found = self._folded.get(field)
        if found is None:
            if field is RuleField.ANY:
                found = "\n".join(self.folded(f) for f in _FIELDS)
            else:
                found = fold(self._values[field])
            self._folded[field] = found
        return found


# ---- validating and compiling -------------------------------------------------------------------


def _words(pattern: str) -> list[str]:
    """The words (and quoted phrases) of a ``words`` pattern, folded."""
    found = []
    for phrase, word in _WORD_RE.findall(pattern):
        item = " ".join(fold(phrase or word).split())
        if item:
            found.append(item)
    return found


def validate(spec: RuleSpec) -> RuleSpec:
    """The rule as it will be stored, or ``RuleError`` saying what to fix.

    Coerces the enums (so strings from a form work), trims the pattern and normalises the tag
    (``#Rust `` → ``Rust``); a tag on a rule that does not tag is dropped.
    """
    try:
        field, kind, action = RuleField(spec.field), RuleKind(spec.kind), RuleAction(spec.action)
    except ValueError as e:
        raise RuleError(f"Not a rule setting: {e}.") from e
    pattern = spec.pattern.strip()
    if not pattern:
        raise RuleError("A rule needs something to match: type a word or a pattern.")
    if len(pattern) > MAX_PATTERN_CHARS:
        raise RuleError(f"A pattern can be at most {MAX_PATTERN_CHARS:,} characters long.")
    if kind is RuleKind.WORDS and not _words(pattern):
        raise RuleError("A rule needs something to match: type a word or a pattern.")
    if kind is RuleKind.REGEX:
        _compile_regex(pattern, len(spec.pattern) - len(spec.pattern.lstrip()))
    tag = None
    if action is RuleAction.TAG:
        try:
            tag = normalize_tag(spec.tag or "")
        except TagError as e:
            raise RuleError(str(e)) from e
        if tag is None:
            raise RuleError("A rule that tags articles needs a tag.")
    return RuleSpec(field, kind, pattern, action, tag, spec.feed_id)


def _compile_regex(pattern: str, lead: int = 0) -> regex.Pattern[str]:
    """``lead``: blanks trimmed from the front of the pattern as typed (for the position)."""
    try:
        return regex.compile(pattern, regex.IGNORECASE)
    except regex.error as e:
        message = str(getattr(e, "msg", None) or e)
        pos = getattr(e, "pos", None)
        if isinstance(pos, int):
            raise RuleError(
                f"The regular expression is not valid: {message} at character {pos + 1}.",
                position=pos + lead,
            ) from e
        raise RuleError(f"The regular expression is not valid: {message}.") from e
    except (OverflowError, RecursionError, MemoryError) as e:
        raise RuleError("The regular expression is too large.") from e


def _snippet(text: str) -> str:
    text = " ".join(text[: _SNIPPET_CHARS * 4].split())
    return text if len(text) <= _SNIPPET_CHARS else text[: _SNIPPET_CHARS - 1] + "…"


class CompiledRule:
    """A validated rule ready to test subjects; ``matches`` may raise ``RuleTimeoutError``."""

    __slots__ = ("_test", "id", "spec")

    def __init__(self, spec: RuleSpec, rule_id: RuleId = _NO_ID) -> None:
        self.spec = validate(spec)
        self.id = rule_id
        self._test = (
            self._words_test(self.spec) if self.spec.kind is RuleKind.WORDS else self._regex_test()
        )

    def matches(self, subject: Subject) -> bool:
        return self._test(subject)

    @staticmethod
    def _words_test(spec: RuleSpec) -> Callable[[Subject], bool]:
        field = spec.field
        checks = [
            (word, re.compile(r"(?<!\w)" + r"\s+".join(map(re.escape, word.split())) + r"(?!\w)"))
            for word in _words(spec.pattern)
        ]

        def test(subject: Subject) -> bool:
            text = subject.folded(field)
            for word, pattern in checks:
                # The substring scan rules most articles out before any regular expression runs.
                if word.split(" ", 1)[0] not in text or pattern.search(text) is None:
                    return False
            return True

        return test

    def _regex_test(self) -> Callable[[Subject], bool]:
        compiled = _compile_regex(self.spec.pattern)
        fields = _FIELDS if self.spec.field is RuleField.ANY else (self.spec.field,)

        def test(subject: Subject) -> bool:
            for field in fields:
                text = subject.value(field)
                try:
                    if compiled.search(text, timeout=REGEX_TIMEOUT) is not None:
                        return True
                except TimeoutError:
                    raise RuleTimeoutError(
                        f"The pattern took too long on “{_snippet(text)}” ({field.value}) "
                        "and was skipped."
                    ) from None
            return False

        return test


# ---- rules on arrival ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules decided for one new entry."""

    skip: bool = False
    read: bool = False
    star: bool = False
    tags: tuple[str, ...] = ()
    rules: tuple[RuleId, ...] = ()  # the rules that acted on it


class ArrivalRules:
    """The enabled rules of a library, read once per refresh, with what they did meanwhile.

    ``for_feed`` gives the rules that apply to one feed (every-feed rules and its own, in
    order). Matches and errors gather here until ``take_stats`` hands them to the writer.
    """

    def __init__(self, rules: Iterable[tuple[RuleId, RuleSpec]]) -> None:
        self._rules: list[CompiledRule] = []
        self.matched: Counter[RuleId] = Counter()
        self.errors: dict[RuleId, str] = {}
        self._suspended: set[RuleId] = set()
        self._per_feed: dict[FeedId, FeedRules | None] = {}
        for rule_id, spec in rules:
            try:
                self._rules.append(CompiledRule(spec, rule_id))
            except RuleError as e:  # stored before a library change made it invalid: say so
                self.errors[rule_id] = str(e)

    def __bool__(self) -> bool:
        return bool(self._rules)

    def for_feed(self, feed_id: FeedId) -> FeedRules | None:
        if not self._rules:
            return None
        if feed_id not in self._per_feed:
            mine = [r for r in self._rules if r.spec.feed_id in (None, feed_id)]
            self._per_feed[feed_id] = FeedRules(self, mine) if mine else None
        return self._per_feed[feed_id]

    def take_stats(self) -> tuple[dict[RuleId, int], dict[RuleId, str]]:
        """Matches and errors since the last call (and forget them)."""
        matched, errors = dict(self.matched), dict(self.errors)
        self.matched.clear()
        self.errors.clear()
        return matched, errors

    def judge(self, rules: list[CompiledRule], subject: Subject) -> Verdict | None:
        read = star = False
        tags: list[str] = []
        acted: list[RuleId] = []
        for rule in rules:
            if rule.id in self._suspended:
                continue
            try:
                if not rule.matches(subject):
                    continue
            except RuleTimeoutError as e:
                self._suspended.add(rule.id)
                self.errors[rule.id] = str(e)
                continue
            action = rule.spec.action
            if action is RuleAction.SKIP:
                self.matched[rule.id] += 1
                return Verdict(skip=True, rules=(rule.id,))
            acted.append(rule.id)
            if action is RuleAction.READ:
                read = True
            elif action is RuleAction.STAR:
                star = True
            elif rule.spec.tag is not None and rule.spec.tag not in tags:
                tags.append(rule.spec.tag)
        if not acted:
            return None
        self.matched.update(acted)
        return Verdict(read=read, star=star, tags=tuple(tags), rules=tuple(acted))


class FeedRules:
    """The rules that apply to one feed's new entries."""

    __slots__ = ("_owner", "_rules")

    def __init__(self, owner: ArrivalRules, rules: list[CompiledRule]) -> None:
        self._owner = owner
        self._rules = rules

    def judge(self, entry: EntryLike) -> Verdict | None:
        """``None`` when no rule matched (the common case)."""
        return self._owner.judge(self._rules, Subject.of_entry(entry))

    @property
    def owner(self) -> ArrivalRules:
        return self._owner
