"""The search query language: text the user types in, a small frozen tree out.

Pure (no SQL, no I/O) so the window can check a query on every keystroke and the storage layer can
compile the same tree. The language follows Gmail and Omnivore, which users already know:

- words, ``"exact phrases"``, ``-excluded`` (a word, a phrase, a filter or a parenthesised group),
  ``OR`` (upper case only; ``or`` is a word), ``AND`` (optional, upper case), parentheses;
- filters ``feed:`` ``folder:`` ``tag:`` ``author:`` (a name, quoted when it has spaces),
  ``is:unread|read|starred|saved``, ``has:highlights|notes``, ``color:`` (a highlight colour),
  ``after:`` / ``before:`` (``YYYY-MM-DD``, ``YYYY-MM`` or ``YYYY``);
- directives that shape the whole search rather than match items: ``in:articles|highlights|notes``
  (comma-separated to name several) and ``sort:relevance|date``.

**Precedence.** ``OR`` binds tighter than the implicit AND, as in Gmail: ``a b OR c`` means
``a AND (b OR c)``. ``rust python OR go`` is "rust, with python or go"; FTS5's own
precedence (AND before OR) would read it the other way, which is why `fts_match` parenthesises
everything it writes.

**Dates.** ``after:2025`` and ``before:2025`` both name the start of the period in UTC
(2025-01-01T00:00Z). ``after:`` keeps items at or after that instant, ``before:`` items strictly
before it; so ``after:2025-03 before:2025-04`` is exactly March.

**Words without letters or digits** (``-``, ``&``, ``"..."``) are dropped: FTS5's tokenizer finds
no token in them, and an empty phrase joined with AND matches nothing, so ``Tom & Jerry`` would
otherwise find nothing at all.

**For the SQL layer.** `split_root` divides the root into one MATCH expression (rank with it) and
the conjuncts it does not cover, which the caller compiles recursively: `Filter` to SQL, `Not` to
``NOT``, `And`/`Or` to ``AND``/``OR``, and any subtree for which `is_pure_text` holds (every `Term`
does) to ``rowid IN (SELECT rowid FROM index WHERE index MATCH :fts_match)``. A query whose root
is ``None`` (only ``in:``/``sort:``) lists everything in scope. A query can never be only
exclusions; that is refused here with a message.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import unicodedata
from dataclasses import dataclass, field

from reader.core.errors import QuerySyntaxError
from reader.core.types import HIGHLIGHT_COLORS

MAX_QUERY_LENGTH = 1000
MAX_TERMS = 64  # words, phrases and filters together
MAX_NESTING = 32  # parentheses deep; keeps the recursive parser far from Python's stack limit

SCOPES: frozenset[str] = frozenset({"articles", "highlights", "notes"})
SORTS: tuple[str, ...] = ("relevance", "date")

_IS_VALUES = ("unread", "read", "starred", "saved")
_HAS_VALUES = {
    "highlights": "highlights",
    "highlight": "highlights",
    "notes": "notes",
    "note": "notes",
}
_IN_VALUES = {
    "articles": "articles",
    "article": "articles",
    "highlights": "highlights",
    "highlight": "highlights",
    "notes": "notes",
    "note": "notes",
}
_NAME_KEYS = {  # what the name is called, and an example
    "feed": ("feed name", "Ars Technica"),
    "folder": ("folder name", "Tech"),
    "tag": ("tag", "to read"),
    "author": ("name", "Jane Doe"),
}
_DATE_KEYS = ("after", "before")
_FILTER_KEYS = (
    "feed",
    "folder",
    "tag",
    "is",
    "has",
    "color",
    "author",
    "after",
    "before",
    "in",
    "sort",
)
_KEY_ALIASES = {"colour": "color"}
_SCOPE_ORDER = ("articles", "highlights", "notes")

_KEY_RE = re.compile(r"([A-Za-z]+):")
_DATE_RE = re.compile(r"([0-9]{4})(?:-([0-9]{1,2})(?:-([0-9]{1,2}))?)?")


# --- the tree -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Term:
    """A word or a phrase to find in the text (NFC, as typed, without quotes)."""

    text: str
    phrase: bool = False
    prefix: bool = False  # only the final bare word of a query parsed with typing=True


@dataclass(frozen=True, slots=True)
class Filter:
    """A condition on metadata, answered by SQL rather than by the full-text index.

    ``value`` is normalised: lower case for is/has/color, ``YYYY-MM-DD`` for after/before, and as
    typed (NFC) for names, which the caller compares case-insensitively.
    """

    key: str
    value: str


@dataclass(frozen=True, slots=True)
class Not:
    item: Node


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Node, ...]


Node = Term | Filter | Not | And | Or


@dataclass(frozen=True, slots=True)
class Query:
    root: Node | None  # None when the query has only in:/sort: directives
    scope: frozenset[str] = field(default=SCOPES)
    sort: str = "relevance"

    def terms(self) -> tuple[Term, ...]:
        """Every term not under an exclusion, in query order: what snippets should mark."""
        found: list[Term] = []
        _collect_positive_terms(self.root, found)
        return tuple(found)


def _collect_positive_terms(node: Node | None, found: list[Term]) -> None:
    if isinstance(node, Term):
        found.append(node)
    elif isinstance(node, And | Or):
        for item in node.items:
            _collect_positive_terms(item, found)


# --- lexing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # word, phrase, filter, lparen, rparen, or, and, minus
    start: int
    end: int
    text: str = ""  # word/phrase text; filter value
    key: str = ""  # filter key, canonical
    prefix: bool = False


def _is_separator(ch: str) -> bool:
    # Control characters separate words: FTS5 reads a NUL as the end of the expression.
    return ch.isspace() or unicodedata.category(ch) == "Cc"


def _clean(text: str) -> str:
    """NFC, with control characters (possible only inside quotes) turned into spaces."""
    text = unicodedata.normalize("NFC", text)
    return "".join(" " if unicodedata.category(ch) == "Cc" else ch for ch in text)


def _bare_end(text: str, i: int) -> int:
    while i < len(text) and not _is_separator(text[i]) and text[i] not in "()":
        i += 1
    return i


def _closing_quote(text: str, opener: int) -> int:
    close = text.find('"', opener + 1)
    if close < 0:
        raise QuerySyntaxError(
            'This quote is never closed: add a " after the phrase', position=opener, length=1
        )
    return close


def _unknown_filter(raw_key: str, position: int) -> QuerySyntaxError:
    shown = f"'{raw_key}:'"
    close = difflib.get_close_matches(raw_key.lower(), (*_FILTER_KEYS, *_KEY_ALIASES), n=1)
    if raw_key.lower() in _IS_VALUES:  # "unread:" for "is:unread"
        message = f"Unknown filter {shown} — did you mean 'is:{raw_key.lower()}'?"
    elif close:
        suggestion = _KEY_ALIASES.get(close[0], close[0])
        message = f"Unknown filter {shown} — did you mean '{suggestion}:'?"
    else:
        keys = ", ".join(f"{key}:" for key in _FILTER_KEYS)
        message = (
            f"Unknown filter {shown} — filters are {keys}; "
            f'to search for the text, put it in quotes ("{raw_key}:…")'
        )
    return QuerySyntaxError(message, position=position, length=len(raw_key) + 1)


def _lex(text: str, *, typing: bool) -> list[_Token]:
    tokens: list[_Token] = []
    i = 0
    after_minus = False  # the atom right after "-" never reads as an operator or another "-"
    while i < len(text):
        ch = text[i]
        if _is_separator(ch):
            i += 1
            continue
        if ch in "()":
            tokens.append(_Token("lparen" if ch == "(" else "rparen", i, i + 1))
            i += 1
            after_minus = False
            continue
        if ch == '"':
            close = _closing_quote(text, i)
            tokens.append(_Token("phrase", i, close + 1, text[i + 1 : close]))
            i = close + 1
            after_minus = False
            continue
        if (
            ch == "-"
            and not after_minus
            and i + 1 < len(text)
            and not _is_separator(text[i + 1])
            and text[i + 1] != ")"
        ):
            tokens.append(_Token("minus", i, i + 1))
            i += 1
            after_minus = True
            continue
        key_match = _KEY_RE.match(text, i)
        if key_match is not None:
            raw_key = key_match.group(1)
            key = _KEY_ALIASES.get(raw_key.lower(), raw_key.lower())
            value_start = key_match.end()
            if key in _FILTER_KEYS:
                if value_start < len(text) and text[value_start] == '"':
                    close = _closing_quote(text, value_start)
                    value, end = text[value_start + 1 : close], close + 1
                else:
                    end = _bare_end(text, value_start)
                    value = text[value_start:end]
                tokens.append(_Token("filter", i, end, value, key))
                i = end
                after_minus = False
                continue
            if not text.startswith("//", value_start):  # a URL is a word, not a filter
                raise _unknown_filter(raw_key, i)
        end = _bare_end(text, i)
        word = text[i:end]
        if word in ("OR", "AND") and not after_minus:
            tokens.append(_Token(word.lower(), i, end))
        else:
            is_last = typing and end == len(text) and not after_minus
            tokens.append(_Token("word", i, end, word, prefix=is_last))
        i = end
        after_minus = False
    return tokens


# --- values -------------------------------------------------------------------------------------


def _english_list(words: tuple[str, ...] | list[str], conjunction: str = "or") -> str:
    if len(words) == 1:
        return words[0]
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def _normalise_date(value: str) -> str | None:
    match = _DATE_RE.fullmatch(value)
    if match is None:
        return None
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _filter_value(token: _Token, query_text: str) -> str:
    """The normalised value of a metadata filter, or a QuerySyntaxError saying what fits."""
    key, raw = token.key, _clean(token.text)
    lowered = raw.strip().lower()
    span = {"position": token.start, "length": token.end - token.start}
    if key in _NAME_KEYS:
        if not raw.strip():
            what, example = _NAME_KEYS[key]
            raise QuerySyntaxError(
                f"'{key}:' needs a {what} after the colon, like {key}:\"{example}\"", **span
            )
        return raw.strip()
    if key == "is":
        if lowered not in _IS_VALUES:
            raise QuerySyntaxError(f"'is:' takes {_english_list(_IS_VALUES)}", **span)
        return lowered
    if key == "has":
        if lowered not in _HAS_VALUES:
            raise QuerySyntaxError("'has:' takes highlights or notes", **span)
        return _HAS_VALUES[lowered]
    if key == "color":
        if lowered not in HIGHLIGHT_COLORS:
            raise QuerySyntaxError(f"'color:' takes {_english_list(HIGHLIGHT_COLORS)}", **span)
        return lowered
    # after / before
    date = _normalise_date(raw.strip())
    if date is None:
        shown = query_text[token.start : token.end]
        raise QuerySyntaxError(f"'{shown}' is not a date; use YYYY-MM-DD", **span)
    return date


# --- parsing ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Directive:
    key: str  # "in" or "sort"
    scope: frozenset[str]
    sort: str


@dataclass(frozen=True, slots=True)
class _Part:
    """A parsed piece with its span, kept so that errors can point at it."""

    node: Node | None  # None: nothing searchable (a word of punctuation only)
    start: int
    end: int
    directive: _Directive | None = None


def _has_token_chars(text: str) -> bool:
    # FTS5's unicode61 tokenizer keeps letters, numbers and private-use characters.
    return any(
        unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co" for ch in text
    )


def _positive(node: Node) -> bool:
    """Whether the node asks for something, rather than only ruling things out."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(_positive(item) for item in node.items)
    if isinstance(node, Or):
        return all(_positive(item) for item in node.items)
    return True


def _negate(node: Node) -> Node:
    return node.item if isinstance(node, Not) else Not(node)


def _combine(kind: type[And] | type[Or], nodes: list[Node]) -> Node | None:
    flat: list[Node] = []
    for node in nodes:
        flat.extend(node.items if isinstance(node, kind) else (node,))
    if not flat:
        return None
    if len(flat) == 1:
        return flat[0]
    return kind(tuple(flat))


class _Parser:
    def __init__(self, text: str, tokens: list[_Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.index = 0
        self.leaves = 0
        self.scope: frozenset[str] | None = None
        self.scope_shown = ""
        self.sort: str | None = None
        self.sort_shown = ""

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def shown(self, part: _Part | _Token) -> str:
        return self.text[part.start : part.end]

    def parse(self) -> Query:
        whole = self.parse_and(depth=0, opener=None)
        root = whole.node
        if root is None and self.scope is None and self.sort is None:
            raise QuerySyntaxError(
                "Type a word, a phrase or a filter to search for",
                position=0,
                length=len(self.text),
            )
        if root is not None and not _positive(root):
            raise QuerySyntaxError(
                "Add at least one word or filter to search for; a search cannot be only exclusions",
                position=0,
                length=len(self.text),
            )
        return Query(root, self.scope or SCOPES, self.sort or "relevance")

    def parse_and(self, *, depth: int, opener: _Token | None) -> _Part:
        parts: list[_Part] = []
        start = opener.start if opener else 0
        end = len(self.text)
        seen_item = False
        while True:
            token = self.peek()
            if token is None:
                if opener is not None:
                    raise QuerySyntaxError(
                        "This parenthesis is never closed: add a ')'",
                        position=opener.start,
                        length=1,
                    )
                break
            if token.kind == "rparen":
                if opener is None:
                    raise QuerySyntaxError(
                        "This ')' has no '(' to close", position=token.start, length=1
                    )
                end = self.advance().end
                break
            if token.kind == "or":
                raise self.dangling(token)
            if token.kind == "and":
                self.advance()
                following = self.peek()
                if not seen_item or following is None or following.kind in ("rparen", "or", "and"):
                    raise self.dangling(token)
                continue
            part = self.parse_or(depth)
            seen_item = True
            if part.directive is not None:
                if depth > 0:
                    raise QuerySyntaxError(
                        f"'{self.shown(part)}' applies to the whole search; "
                        "put it outside the parentheses",
                        position=part.start,
                        length=part.end - part.start,
                    )
                self.apply(part)
                continue
            parts.append(part)
        nodes = [part.node for part in parts if part.node is not None]
        return _Part(_combine(And, nodes), start, end)

    def dangling(self, token: _Token) -> QuerySyntaxError:
        word = token.kind.upper()
        return QuerySyntaxError(
            f"{word} needs a search term on both sides",
            position=token.start,
            length=token.end - token.start,
        )

    def parse_or(self, depth: int) -> _Part:
        sides = [self.parse_unary(depth)]
        while (token := self.peek()) is not None and token.kind == "or":
            self.advance()
            following = self.peek()
            if following is None or following.kind in ("rparen", "or", "and"):
                raise self.dangling(token)
            sides.append(self.parse_unary(depth))
        if len(sides) == 1:
            return sides[0]
        for side in sides:
            span = {"position": side.start, "length": side.end - side.start}
            if side.directive is not None:
                raise QuerySyntaxError(
                    f"'{self.shown(side)}' applies to the whole search; it cannot be a side of OR",
                    **span,
                )
            if side.node is not None and not _positive(side.node):
                raise QuerySyntaxError(
                    f"Each side of OR needs a word or filter to search for; "
                    f"'{self.shown(side)}' only excludes",
                    **span,
                )
        nodes = [side.node for side in sides if side.node is not None]
        return _Part(_combine(Or, nodes), sides[0].start, sides[-1].end)

    def parse_unary(self, depth: int) -> _Part:
        token = self.peek()
        if token is None or token.kind != "minus":
            return self.parse_atom(depth)
        self.advance()
        inner = self.parse_atom(depth)
        if inner.directive is not None:
            raise QuerySyntaxError(
                f"'{self.shown(inner)}' cannot be excluded; name what to search instead",
                position=token.start,
                length=inner.end - token.start,
            )
        node = None if inner.node is None else _negate(inner.node)
        return _Part(node, token.start, inner.end)

    def parse_atom(self, depth: int) -> _Part:
        token = self.peek()
        if token is None or token.kind not in ("word", "phrase", "filter", "lparen"):
            # The lexer and the callers make this unreachable; say something useful regardless.
            position = token.start if token else len(self.text)
            raise QuerySyntaxError("Expected a word here", position=position, length=1)
        self.advance()
        if token.kind == "lparen":
            return self.parse_group(token, depth)
        if token.kind == "filter" and token.key in ("in", "sort"):
            return _Part(None, token.start, token.end, self.directive(token))
        self.leaves += 1
        if self.leaves > MAX_TERMS:
            raise QuerySyntaxError(
                f"Too many words and filters: a search can have at most {MAX_TERMS}",
                position=token.start,
                length=len(self.text) - token.start,
            )
        if token.kind == "filter":
            return _Part(Filter(token.key, _filter_value(token, self.text)), token.start, token.end)
        text = _clean(token.text)
        if token.kind == "phrase" and not text.strip():
            raise QuerySyntaxError(
                "Put some words between these quotes",
                position=token.start,
                length=token.end - token.start,
            )
        node = Term(text, token.kind == "phrase", token.prefix) if _has_token_chars(text) else None
        return _Part(node, token.start, token.end)

    def parse_group(self, opener: _Token, depth: int) -> _Part:
        if depth + 1 > MAX_NESTING:
            raise QuerySyntaxError(
                f"Too many nested parentheses (at most {MAX_NESTING})",
                position=opener.start,
                length=1,
            )
        following = self.peek()
        if following is not None and following.kind == "rparen":
            raise QuerySyntaxError(
                "Empty parentheses: put words or filters inside them",
                position=opener.start,
                length=following.end - opener.start,
            )
        return self.parse_and(depth=depth + 1, opener=opener)

    def directive(self, token: _Token) -> _Directive:
        raw = _clean(token.text).strip().lower()
        span = {"position": token.start, "length": token.end - token.start}
        if token.key == "sort":
            if raw not in SORTS:
                raise QuerySyntaxError("'sort:' takes relevance or date", **span)
            return _Directive("sort", SCOPES, raw)
        names = [name.strip() for name in raw.split(",")]
        if not all(name in _IN_VALUES for name in names):
            raise QuerySyntaxError(
                "'in:' takes articles, highlights or notes (several with commas: "
                "in:highlights,notes)",
                **span,
            )
        return _Directive("in", frozenset(_IN_VALUES[name] for name in names), "relevance")

    def apply(self, part: _Part) -> None:
        directive = part.directive
        assert directive is not None
        shown = self.shown(part)
        span = {"position": part.start, "length": part.end - part.start}
        if directive.key == "sort":
            if self.sort is not None and self.sort != directive.sort:
                raise QuerySyntaxError(
                    f"'{shown}' conflicts with '{self.sort_shown}' earlier in the search; keep one",
                    **span,
                )
            self.sort, self.sort_shown = directive.sort, shown
        else:
            if self.scope is not None and self.scope != directive.scope:
                raise QuerySyntaxError(
                    f"'{shown}' conflicts with '{self.scope_shown}' earlier in the search; "
                    "name everything in one in:, like in:highlights,notes",
                    **span,
                )
            self.scope, self.scope_shown = directive.scope, shown


def parse_query(text: str, *, typing: bool = False) -> Query:
    """Read a search as typed. ``typing=True`` makes the final bare word a prefix.

    A word counts as final only when nothing, not even a space, follows it: a trailing space means
    the user finished the word. Every failure is a `QuerySyntaxError` pointing into ``text``.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QuerySyntaxError(
            f"This search is too long: at most {MAX_QUERY_LENGTH:,} characters "
            f"(it has {len(text):,})",
            position=MAX_QUERY_LENGTH,
            length=len(text) - MAX_QUERY_LENGTH,
        )
    for position, ch in enumerate(text):
        if unicodedata.category(ch) == "Cs":
            raise QuerySyntaxError(
                "This character is not valid text; delete it and type it again",
                position=position,
                length=1,
            )
    return _Parser(text, _lex(text, typing=typing)).parse()


# --- FTS5 -------------------------------------------------------------------------------------


def _quote(term: Term) -> str:
    # Inside double quotes FTS5 reads nothing as syntax; a quote is written twice.
    quoted = '"' + term.text.replace('"', '""') + '"'
    return quoted + "*" if term.prefix else quoted


def _match(node: Node) -> tuple[str | None, bool]:
    """(expression, exact): the MATCH every result satisfies, and whether it says no more."""
    if isinstance(node, Term):
        return _quote(node), True
    if isinstance(node, Filter):
        return None, False
    if isinstance(node, Not):
        return None, False  # FTS5's NOT is binary: it needs a positive side from the parent
    if isinstance(node, Or):
        sides = [_match(item) for item in node.items]
        if any(expression is None for expression, _ in sides):
            return None, False
        joined = " OR ".join(expression for expression, _ in sides if expression is not None)
        return f"({joined})", all(exact for _, exact in sides)
    positives: list[str] = []
    negatives: list[str] = []
    exact = True
    for item in node.items:
        if isinstance(item, Not):
            inner, inner_exact = _match(item.item)
            if inner is not None and inner_exact:
                negatives.append(inner)
            else:
                exact = False  # dropping a condition leaves a wider, still correct, MATCH
            continue
        expression, item_exact = _match(item)
        exact = exact and item_exact
        if expression is not None:
            positives.append(expression)
    if not positives:
        return None, False
    matched = positives[0] if len(positives) == 1 else f"({' AND '.join(positives)})"
    if negatives:
        excluded = negatives[0] if len(negatives) == 1 else f"({' OR '.join(negatives)})"
        matched = f"({matched} NOT {excluded})"
    return matched, exact


def fts_match(node: Node) -> str | None:
    """The FTS5 MATCH expression for the text of ``node``; None when it names no wanted text.

    Every term is double-quoted with quotes doubled, so nothing a user types is FTS5 syntax;
    prefix terms become ``"word"*``; ``a -b`` becomes ``("a" NOT "b")``. Filters read as "any
    row", so for a node with filters (or an And whose items are all exclusions) the result is a
    wider condition every real result still meets; it is exactly ``node`` when `is_pure_text`
    holds. None means the text puts no positive condition (a bare filter, a lone exclusion).
    """
    return _match(node)[0]


def is_pure_text(node: Node) -> bool:
    """Whether `fts_match` expresses ``node`` exactly (no filters, nothing dropped)."""
    expression, exact = _match(node)
    return expression is not None and exact


def split_root(root: Node | None) -> tuple[str | None, tuple[Node, ...]]:
    """Divide the root into one MATCH and the conjuncts still to check: root = MATCH ∧ rest.

    The MATCH (None when there is none) covers the top-level words, phrases, OR-groups of them and
    their exclusions; rank with it. Each node in the rest is a filter, an exclusion with no wanted
    text beside it, or a mix of the two; compile those as the module docstring says.
    """
    if root is None:
        return None, ()
    conjuncts = root.items if isinstance(root, And) else (root,)
    wanted = [item for item in conjuncts if not isinstance(item, Not) and is_pure_text(item)]
    if not wanted:
        return None, conjuncts
    unwanted = [item for item in conjuncts if isinstance(item, Not) and is_pure_text(item.item)]
    covered = [*wanted, *unwanted]
    match = fts_match(And(tuple(covered)) if len(covered) > 1 else covered[0])
    covered_ids = {id(item) for item in covered}
    return match, tuple(item for item in conjuncts if id(item) not in covered_ids)


# --- writing back ---------------------------------------------------------------------------


def _format_value(value: str) -> str:
    # A bare value may hold a quote (not first), a quoted one spaces and parentheses; never both.
    plain = value[:1] != '"' and not any(_is_separator(ch) or ch in "()" for ch in value)
    return value if plain else f'"{value}"'


def _format_node(node: Node, *, inside: type[And] | type[Or] | None = None) -> str:
    if isinstance(node, Term):
        return f'"{node.text}"' if node.phrase else node.text
    if isinstance(node, Filter):
        return f"{node.key}:{_format_value(node.value)}"
    if isinstance(node, Not):
        inner = node.item
        if isinstance(inner, And | Or):
            return f"-({_format_node(inner)})"
        return "-" + _format_node(inner)
    if isinstance(node, Or):
        text = " OR ".join(_format_node(item, inside=Or) for item in node.items)
        return f"({text})" if inside is Or else text
    text = " ".join(_format_node(item, inside=And) for item in node.items)
    return f"({text})" if inside is not None else text


def format_query(query: Query) -> str:
    """The query written back in canonical form; parsing it gives the same `Query`.

    Saved searches store this, so that two spellings of one search compare equal.
    """
    parts = [] if query.root is None else [_format_node(query.root)]
    if query.scope != SCOPES:
        parts.append("in:" + ",".join(s for s in _SCOPE_ORDER if s in query.scope))
    if query.sort != "relevance":
        parts.append(f"sort:{query.sort}")
    return " ".join(parts)


_DESCRIBED_FILTERS = {
    ("is", "unread"): "unread",
    ("is", "read"): "read",
    ("is", "starred"): "starred",
    ("is", "saved"): "saved",
    ("has", "highlights"): "with highlights",
    ("has", "notes"): "with notes",
}
_DESCRIBED_KEYS = {
    "feed": "feed “{}”",
    "folder": "folder “{}”",
    "tag": "tagged “{}”",
    "author": "by {}",
    "color": "{} highlights",
    "after": "from {}",
    "before": "before {}",
}
_DESCRIPTION_LIMIT = 200


def _describe_node(node: Node, *, nested: bool) -> str:
    if isinstance(node, Term):
        text = f"“{node.text}”" if node.phrase else node.text
        return text + "…" if node.prefix else text
    if isinstance(node, Filter):
        fixed = _DESCRIBED_FILTERS.get((node.key, node.value))
        return fixed or _DESCRIBED_KEYS[node.key].format(node.value)
    if isinstance(node, Not):
        return "not " + _describe_node(node.item, nested=True)
    if isinstance(node, Or):
        text = " or ".join(_describe_node(item, nested=True) for item in node.items)
    else:
        separator = " and " if nested else ", "
        text = separator.join(_describe_node(item, nested=True) for item in node.items)
    return f"({text})" if nested else text


def describe(query: Query) -> str:
    """A short summary for a smart folder's tooltip, e.g. ``rust, not java · only notes``."""
    parts = ["everything" if query.root is None else _describe_node(query.root, nested=False)]
    if query.scope != SCOPES:
        scopes = [s for s in _SCOPE_ORDER if s in query.scope]
        parts.append("only " + _english_list(scopes, "and"))
    if query.sort == "date":
        parts.append("newest first")
    text = " · ".join(parts)
    if len(text) > _DESCRIPTION_LIMIT:
        text = text[: _DESCRIPTION_LIMIT - 1].rstrip() + "…"
    return text
