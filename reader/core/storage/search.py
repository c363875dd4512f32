"""Search: a parsed `Query` compiled to SQL over the FTS5 index, and saved searches.

SQL only; the language itself lives in ``reader.core.query``. Three kinds of hits come from three
FTS5 tables: articles (title, author, feed name, current text), live highlights (quote, note) and
live notes (body). Each kind is ranked and limited in SQLite (``ORDER BY rank LIMIT n+1``), so a
word found in every article costs one ranking pass and no Python work per match; only the hits
shown get snippets, in a second statement.

**What filters mean.** Filters describe the article a hit belongs to, with two exceptions for
highlight and note hits, which describe the annotation itself:

- ``after:``/``before:`` compare the article's date (``sort_at``) for article hits, and the date a
  highlight or note was written for highlight and note hits;
- ``color:`` is "the article has a live highlight of that colour" for article and note hits, and
  the highlight's own colour for highlight hits;
- ``tag:`` is "the article or one of its live highlights carries the tag" for article and note
  hits; for a highlight hit, the highlight's own tags or its article's.

Names compare case-insensitively (ASCII letters; SQLite's ``LIKE``): ``feed:NAME`` matches a feed
whose shown name (the user's title, else the feed's) starts with NAME or has a word starting with
it (``feed:news`` finds "Hacker News"); a removed feed's kept articles match by the name they were
stored under. ``folder:NAME`` is the folder of that exact name and its subfolders. ``author:NAME``
is a substring of the author. ``has:notes`` counts article notes and highlight notes.

**Without words** (only filters), a search lists articles, newest first, as a smart folder does;
``in:highlights`` or ``in:notes`` lists those instead (``color:yellow in:highlights``).

**Ranking.** bm25 with the title weighted (`ARTICLE_WEIGHTS`); hits of the three kinds are merged
by their bm25 score. ``sort:date``, and any query without words, is newest first. A word held by
tens of thousands of articles is ranked among its newest `RANK_WINDOW` matches (filters applied)
and up to `RANK_TITLES` older articles with it in the title, so an old article titled with the
words still comes first; an old article with them only in its text is then not ranked — see
`_rank` for the trade-off and how a filter or ``sort:date`` reaches every match.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from reader.core.query import (
    SCOPES,
    And,
    Filter,
    Node,
    Not,
    Or,
    Query,
    Term,
    fts_match,
    is_pure_text,
    split_root,
)
from reader.core.storage.sql import Row, fetch_all, fetch_one, placeholders, scalar
from reader.core.timeutil import from_db_required
from reader.core.types import (
    ArticleId,
    HitKind,
    SavedSearch,
    SavedSearchId,
    SearchHit,
    SearchResults,
    Snippet,
)

# bm25 weights of search_articles' columns: title, author, feed, text.
ARTICLE_WEIGHTS = (10.0, 2.0, 2.0, 1.0)
SNIPPET_TOKENS = 30  # FTS5 caps a snippet at 64 tokens
ELLIPSIS = "…"
BLOCK_BREAK = " · "  # between two paragraphs in a one-line snippet
RANK_WINDOW = 2000  # rank the newest this many matches of each kind…
RANK_TITLES = 1000  # …and up to this many older articles with the words in the title
# Noncharacters (never in interchange text) bracket matches in FTS5's snippet() and highlight().
MARK_OPEN = "\ufdd0"
MARK_CLOSE = "\ufdd1"
FTS_TABLES = ("search_articles", "search_highlights", "search_notes")

_WHITESPACE_RUN = re.compile(r"(\s+)")


@dataclass(frozen=True, slots=True)
class _Kind:
    hit: HitKind
    scope: str  # the name in query.scope
    table: str  # the FTS5 table
    id_column: str  # the row the FTS table indexes, under its alias
    date_column: str  # what after:/before: and sort:date compare


_ARTICLES = _Kind(HitKind.ARTICLE, "articles", "search_articles", "a.id", "a.sort_at")
_HIGHLIGHTS = _Kind(HitKind.HIGHLIGHT, "highlights", "search_highlights", "h.id", "h.created_at")
_NOTES = _Kind(HitKind.NOTE, "notes", "search_notes", "n.id", "n.created_at")
_KINDS = (_ARTICLES, _HIGHLIGHTS, _NOTES)

SQL = tuple[str, list[object]]


# ---- compiling conditions -------------------------------------------------------------------


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_starts(expression: str, value: str) -> SQL:
    """``expression`` starts with ``value`` or has a word that does (case-insensitive)."""
    escaped = _like_escape(value)
    return (
        f"({expression} LIKE ? ESCAPE '\\' OR {expression} LIKE ? ESCAPE '\\')",
        [f"{escaped}%", f"% {escaped}%"],
    )


def _day_start(value: str) -> str:
    return f"{value}T00:00:00Z"  # query.py normalises dates to YYYY-MM-DD


# Article-level filters are sets of article ids, computed once per statement (not correlated
# subqueries run per candidate row): a common word has tens of thousands of candidates. The "+"
# keeps SQLite from driving the query from a set that can hold every annotated article.
_LIVE_HIGHLIGHTS = "SELECT hx.article_id FROM highlights hx WHERE hx.deleted_at IS NULL"
_TAGGED = (
    "SELECT atx.article_id FROM article_tags atx JOIN tags tx ON tx.id = atx.tag_id "
    "WHERE tx.name = ? UNION ALL SELECT hx.article_id FROM highlights hx "
    "JOIN highlight_tags htx ON htx.highlight_id = hx.id JOIN tags tx ON tx.id = htx.tag_id "
    "WHERE hx.deleted_at IS NULL AND tx.name = ?"
)


def _article_set(node: Filter) -> SQL | None:
    """The ids of the articles a set filter (feed, folder, tag, has:, color:) keeps, as a
    SELECT; None for a filter on the article's own columns."""
    key, value = node.key, node.value
    if key == "feed":
        shown, shown_params = _name_starts("coalesce(fx.user_title, fx.title, '')", value)
        kept, kept_params = _name_starts("coalesce(ax.source_title, '')", value)
        return (
            "SELECT ax.id FROM articles ax WHERE ax.feed_id IN "
            f"(SELECT fx.id FROM feeds fx WHERE {shown}) UNION ALL SELECT ax.id FROM articles ax "
            f"WHERE ax.feed_id IS NULL AND {kept}",
            [*shown_params, *kept_params],
        )
    if key == "folder":
        return (
            "SELECT ax.id FROM articles ax WHERE ax.feed_id IN (SELECT fx.id FROM feeds "
            "fx WHERE fx.folder_id IN (WITH RECURSIVE sub(id) AS (SELECT id FROM folders "
            "WHERE name = ? COLLATE NOCASE UNION SELECT folders.id FROM folders "
            "JOIN sub ON folders.parent_id = sub.id) SELECT id FROM sub))",
            [value],
        )
    if key == "tag":
        return _TAGGED, [value, value]
    if key == "has" and value == "highlights":
        return _LIVE_HIGHLIGHTS, []
    if key == "has":
        return (
            "SELECT nx.article_id FROM notes nx WHERE nx.deleted_at IS NULL "
            f"UNION ALL {_LIVE_HIGHLIGHTS} AND length(trim(coalesce(hx.note, ''))) > 0",
            [],
        )
    if key == "color":
        return f"{_LIVE_HIGHLIGHTS} AND hx.color = ?", [value]
    return None


def _filter_sql(node: Filter, kind: _Kind, aid: str = "a.id") -> SQL:
    """``aid`` is the article's id as the statement has it: ``a.id``, or, when ranking, the
    match's rowid (or its highlight's or note's article_id), so that a set filter is tested on
    each match before its article row is read (a common word has tens of thousands of matches
    and a tag a hundred articles: reading every match's row was most of the time)."""
    key, value = node.key, node.value
    if kind is _HIGHLIGHTS and key == "tag":
        return (
            "(a.id IN (SELECT atx.article_id FROM article_tags atx JOIN tags tx "
            "ON tx.id = atx.tag_id WHERE tx.name = ?) OR h.id IN (SELECT htx.highlight_id "
            "FROM highlight_tags htx JOIN tags tx ON tx.id = htx.tag_id WHERE tx.name = ?))",
            [value, value],
        )
    if kind is _HIGHLIGHTS and key == "color":
        return "h.color = ?", [value]
    found = _article_set(node)
    if found is not None:
        # A feed or folder may drive a smart folder's list (by its index); the other sets can
        # hold every annotated article, so "+" keeps SQLite from driving the query from them.
        subject = aid if key in ("feed", "folder") else "+" + aid.lstrip("+")
        return f"{subject} IN ({found[0]})", found[1]
    if key == "author":
        return "coalesce(a.author, '') LIKE ? ESCAPE '\\'", [f"%{_like_escape(value)}%"]
    if key == "is":
        column = {"unread": "a.read = 0", "read": "a.read = 1"}.get(value)
        return column or {"starred": "a.starred = 1", "saved": "a.saved = 1"}[value], []
    if key == "after":
        return f"{kind.date_column} >= ?", [_day_start(value)]
    if key == "before":
        return f"{kind.date_column} < ?", [_day_start(value)]
    raise ValueError(f"unknown filter {key!r}")  # query.py lets no other key through


def _text_sql(node: Node, kind: _Kind, aid: str = "a.id") -> SQL:
    match = fts_match(node)
    assert match is not None
    row = aid if kind is _ARTICLES else kind.id_column
    return f"{row} IN (SELECT rowid FROM {kind.table} WHERE {kind.table} MATCH ?)", [match]


def _node_sql(node: Node, kind: _Kind, aid: str = "a.id") -> SQL:
    """A condition on the row of ``kind`` (and its article ``a``, whose id is ``aid``) that
    holds where ``node`` does."""
    if isinstance(node, Term) or (not isinstance(node, Filter) and is_pure_text(node)):
        return _text_sql(node, kind, aid)
    if isinstance(node, Filter):
        return _filter_sql(node, kind, aid)
    if isinstance(node, Not):
        inner, inner_params = _node_sql(node.item, kind, aid)
        # NULL (an article without a feed, say) reads as "does not match", so NOT reads as "does".
        return f"NOT ifnull(({inner}), 0)", inner_params
    joiner = " AND " if isinstance(node, And) else " OR "
    parts: list[str] = []
    params: list[object] = []
    for item in node.items:
        sql, item_params = _node_sql(item, kind, aid)
        parts.append(f"({sql})")
        params.extend(item_params)
    return "(" + joiner.join(parts) + ")", params


def _conditions(rest: Sequence[Node], kind: _Kind, aid: str = "a.id") -> SQL:
    parts: list[str] = []
    params: list[object] = []
    for node in rest:
        sql, node_params = _node_sql(node, kind, aid)
        parts.append(f"({sql})")
        params.extend(node_params)
    return " AND ".join(parts), params


def _has_text(node: Node | None) -> bool:
    if isinstance(node, Term):
        return True
    if isinstance(node, Not):
        return _has_text(node.item)
    if isinstance(node, And | Or):
        return any(_has_text(item) for item in node.items)
    return False


def effective_scope(query: Query) -> frozenset[str]:
    """The kinds a query looks at: without words and without ``in:``, only articles (filters
    alone describe articles, as a smart folder lists them); otherwise its ``in:`` scope."""
    if query.scope == SCOPES and not _has_text(query.root):
        return frozenset({"articles"})
    return query.scope


def article_condition(query: Query) -> SQL:
    """SQL on articles ``a`` for "the article has a hit": itself, a live highlight or a live
    note, as the query's scope allows. Smart folders list articles with it (ArticleFilter.query)."""
    match, rest = split_root(query.root)
    scope = effective_scope(query)
    parts: list[str] = []
    params: list[object] = []
    for kind in _KINDS:
        if kind.scope not in scope:
            continue
        where: list[str] = []
        kind_params: list[object] = []
        if match is not None:
            sql, text_params = _text_sql_from_match(match, kind)
            where.append(sql)
            kind_params.extend(text_params)
        rest_sql, rest_params = _conditions(rest, kind)
        if rest_sql:
            where.append(rest_sql)
            kind_params.extend(rest_params)
        if kind is _ARTICLES:
            parts.append("(" + (" AND ".join(where) or "1") + ")")
        else:
            # Its own articles ``a`` inside: the set is computed once, not per outer row.
            where = [*_LIVE[kind.hit], *where]
            row = "h" if kind is _HIGHLIGHTS else "n"
            parts.append(
                f"a.id IN (SELECT {row}.article_id FROM {_SOURCES[kind.hit]} "
                f"WHERE {' AND '.join(where)})"
            )
        params.extend(kind_params)
    if not parts:
        return "0", []
    return "(" + " OR ".join(parts) + ")", params


def _text_sql_from_match(match: str, kind: _Kind) -> SQL:
    return (
        f"{kind.id_column} IN (SELECT rowid FROM {kind.table} WHERE {kind.table} MATCH ?)",
        [match],
    )


# ---- snippets ----------------------------------------------------------------------------


_MARK_SPLIT = re.compile(f"([{MARK_OPEN}{MARK_CLOSE}])")


def snippet_from_marked(marked: str | None) -> Snippet:
    """FTS5 output with `MARK_OPEN`/`MARK_CLOSE` around matches → one line with mark spans.

    Runs of whitespace become one space, and a run that crosses a line (a paragraph or a heading
    ending) becomes `BLOCK_BREAK`, so a heading does not run into its first sentence; none at the
    ends, none inside a mark's edges; a mark around nothing is dropped. Works a piece between
    marks at a time (50 snippets a search)."""
    text: list[str] = []
    marks: list[tuple[int, int]] = []
    length = 0
    start: int | None = None
    gap = ""  # the separator owed before the next words: "", " " or BLOCK_BREAK

    def owe(whitespace: str) -> None:
        nonlocal gap
        if "\n" in whitespace:
            gap = BLOCK_BREAK
        elif whitespace and not gap:
            gap = " "

    def settle() -> None:
        nonlocal gap, length
        if gap and length:
            text.append(gap)
            length += len(gap)
        gap = ""

    for piece in _MARK_SPLIT.split(marked or ""):
        if piece == MARK_OPEN:
            settle()
            start = length
        elif piece == MARK_CLOSE:
            if start is not None and length > start:
                marks.append((start, length))
            start = None
        elif piece:
            for run in _WHITESPACE_RUN.split(piece):
                if not run:
                    continue
                if run[0].isspace():
                    owe(run)
                else:
                    settle()
                    text.append(run)
                    length += len(run)
    return Snippet("".join(text), tuple(marks))


def snippet_offset(marked_snippet: str | None, marked_text: str | None) -> int | None:
    """Where the snippet's first match is in the text: the offset the window scrolls to.

    ``marked_text`` is FTS5's highlight() of the whole column and ``marked_snippet`` its
    snippet(), which copies a stretch of the same marked text between ellipses; finding that
    stretch puts the reader on the match the snippet shows, not on an earlier, lesser one. Falls
    back to the first match in the text.
    """
    if not marked_text or MARK_OPEN not in marked_text:
        return None
    first = marked_text.index(MARK_OPEN)
    stretch = (marked_snippet or "").removeprefix(ELLIPSIS).removesuffix(ELLIPSIS)
    if MARK_OPEN in stretch:
        found = marked_text.find(stretch)
        if found >= 0:
            first = marked_text.index(MARK_OPEN, found)
    head = marked_text[:first]
    return first - head.count(MARK_OPEN) - head.count(MARK_CLOSE)


def plain_snippet(text: str | None, words: int = SNIPPET_TOKENS) -> Snippet:
    """The first ``words`` words of ``text`` on one line (paragraphs kept apart as in
    `snippet_from_marked`), with an ellipsis where it was cut."""
    head = (text or "")[: words * 24]
    parts = _WHITESPACE_RUN.split(head.strip())  # word, whitespace, word, …
    kept = parts[: 2 * words - 1]
    cut = len(kept) < len(parts) or len(head) < len(text or "")
    shown = snippet_from_marked("".join(kept)).text
    return Snippet(shown + ELLIPSIS if cut and shown else shown)


def _join_snippets(first: Snippet, second: Snippet, separator: str = " — ") -> Snippet:
    if not first.text:
        return second
    shift = len(first.text) + len(separator)
    return Snippet(
        first.text + separator + second.text,
        first.marks + tuple((s + shift, e + shift) for s, e in second.marks),
    )


# ---- running a search --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Ranked:
    kind: _Kind
    id: int
    rank: float
    date: str | None  # known when sorting by date; else read with the details


def _fts_join(kind: _Kind, *, article: bool = True) -> str:
    """The FTS table driving, each match joined to its row (and, with ``article``, to the
    article ``a``) by rowid."""
    if kind is _ARTICLES:
        return "search_articles CROSS JOIN articles a ON a.id = search_articles.rowid"
    if kind is _HIGHLIGHTS:
        source = "search_highlights CROSS JOIN highlights h ON h.id = search_highlights.rowid"
        return source + (" CROSS JOIN articles a ON a.id = h.article_id" if article else "")
    source = "search_notes CROSS JOIN notes n ON n.id = search_notes.rowid"
    return source + (" CROSS JOIN articles a ON a.id = n.article_id" if article else "")


# How a ranking statement names the article of a match: set filters then need no article row.
_RANK_ARTICLE_ID = {
    HitKind.ARTICLE: "+search_articles.rowid",
    HitKind.HIGHLIGHT: "h.article_id",
    HitKind.NOTE: "n.article_id",
}


_SOURCES = {
    HitKind.ARTICLE: "articles a",
    HitKind.HIGHLIGHT: "highlights h CROSS JOIN articles a ON a.id = h.article_id",
    HitKind.NOTE: "notes n CROSS JOIN articles a ON a.id = n.article_id",
}
_LIVE = {
    HitKind.ARTICLE: [],
    HitKind.HIGHLIGHT: ["h.deleted_at IS NULL"],
    HitKind.NOTE: ["n.deleted_at IS NULL"],
}


def _rank(
    db: Database, kind: _Kind, match: str, rest: Sequence[Node], n: int, words: Sequence[str] = ()
) -> list[_Ranked]:
    """The ``n`` best rows of ``kind`` by bm25, filters applied; the MATCH drives.

    **Which matches are ranked.** Ranking every article that holds a very common word (50,000
    of 100,000) takes 50 ms. When there are at most `RANK_WINDOW` matches (filters applied)
    every one is ranked, exactly. Beyond that, the newest `RANK_WINDOW` matches are ranked, and
    for articles also up to `RANK_TITLES` older ones with the words in the title (filters
    applied), however old: a title match is what bm25 (title weighted ×10) puts first, and it
    must not be lost for being old. The trade-off: an old article with the words only in its
    text is not ranked while over `RANK_WINDOW` newer articles hold them too. The words are
    then so common that bm25 weighs them lightly and newer is the better guess; a filter that
    leaves fewer matches (a tag, a feed, ``after:``) ranks every one again, and ``sort:date``
    lists every match.

    **How.** Highlights and notes: one statement ranks the newest `RANK_WINDOW` matches.
    Articles: when a set filter (a tag, a feed, starred…) keeps fewer than `RANK_WINDOW`
    articles (`_candidate_bound`, a capped count), one statement ranks every match. Otherwise
    the window's edge is read first (the rowid of the `RANK_WINDOW`-th newest match: rowids
    only, FTS5 hands them newest first and stops there), then the older title matches (rowids
    only), then one statement ranks the matches at or after the edge and those. One ranking
    statement, because each one makes FTS5 compute bm25's document frequencies by reading every
    match: for a phrase of common words, 10 ms — as much as the ranking itself. Set filters
    (tag, feed, folder, has:, color:) are tested on the FTS rowid, before an article row is
    read; the article is joined only when a condition reads it (``is:``, ``after:``, author).
    """
    rest_sql, rest_params = _conditions(rest, kind, _RANK_ARTICLE_ID[kind.hit])
    where = [f"{kind.table} MATCH ?", *_LIVE[kind.hit]]
    params: list[object] = [match]
    if rest_sql:
        where.append(rest_sql)
        params.extend(rest_params)
    article = _READS_ARTICLE.search(rest_sql) is not None
    source = kind.table if kind is _ARTICLES and not article else _fts_join(kind, article=article)
    row_id = f"{kind.table}.rowid"
    condition = " AND ".join(where)
    if kind is _ARTICLES:
        score = f"bm25(search_articles, {', '.join(map(str, ARTICLE_WEIGHTS))})"
    else:
        score = f"bm25({kind.table})"
    if kind is not _ARTICLES:
        # One pass: the newest matches, ranked.
        sql = (
            f"SELECT id, score FROM (SELECT {row_id} AS id, {score} AS score FROM {source} "
            f"WHERE {condition} ORDER BY {row_id} DESC LIMIT ?) ORDER BY score, id DESC LIMIT ?"
        )
        rows = db.conn.execute(sql, [*params, RANK_WINDOW, n])
        return [_Ranked(kind, row[0], row[1], None) for row in rows]
    edge = None
    if _candidate_bound(db, rest, RANK_WINDOW) >= RANK_WINDOW:
        edge = scalar(
            db,
            f"SELECT {row_id} FROM {source} WHERE {condition} "
            f"ORDER BY {row_id} DESC LIMIT 1 OFFSET ?",
            [*params, RANK_WINDOW - 1],
        )
    sql = f"SELECT {row_id}, {score} AS score FROM {source} WHERE {condition}"
    if edge is not None:
        older_titles = _older_title_matches(
            db,
            match,
            words,
            rest_sql if not article else "",
            rest_params if not article else [],
            edge,
        )
        # A rowid range FTS5 reads by itself: only the window, or back to the oldest title match.
        sql += f" AND {row_id} >= ?"
        params.append(min([edge, *older_titles]))
        if older_titles:
            # "+": SQLite must not hand the list to FTS5, which would run the MATCH (and bm25's
            # document frequencies) again for each id.
            sql += f" AND ({row_id} >= ? OR +{row_id} IN (SELECT value FROM json_each(?)))"
            params += [edge, json.dumps(older_titles)]
    sql += f" ORDER BY score, {row_id} DESC LIMIT ?"
    params.append(n)
    return [_Ranked(kind, row[0], row[1], None) for row in db.conn.execute(sql, params)]


def _older_title_matches(
    db: Database,
    match: str,
    words: Sequence[str],
    rest_sql: str,
    rest_params: list[object],
    edge: int,
) -> list[int]:
    """Up to `RANK_TITLES` of the newest articles older than the window (rowid ``edge``) with
    the words in the title; filtered by ``rest_sql`` when it needs no article row (else the
    ranking statement filters them).

    With several required ``words`` the rarest one is looked for first: the articles older than
    the window with *it* in the title, when there are under `RANK_TITLES` of them, hold every
    title match (a few more articles to rank, never fewer) and are found far faster than the
    whole match in titles — for a phrase of common words FTS5 checks word positions in every
    article holding both words. Otherwise the match itself is looked for in titles.
    """

    def older(title_match: str) -> list[int]:
        rows = db.conn.execute(
            "SELECT rowid FROM search_articles WHERE search_articles MATCH ? AND rowid < ? "
            + (f"AND {rest_sql} " if rest_sql else "")
            + "ORDER BY rowid DESC LIMIT ?",
            [title_match, edge, *rest_params, RANK_TITLES],
        )
        return [row[0] for row in rows]

    best: list[int] | None = None
    if len(words) > 1:
        for word in sorted(words, key=len, reverse=True):  # a long word is likelier rare
            found = older(f"{{title}} : {word}")
            if len(found) < RANK_TITLES and (best is None or len(found) < len(best)):
                best = found
            if best is not None and len(best) < RANK_TITLES // 10:
                break
    return best if best is not None else older(f"{{title}} : ({match})")


def _title_words(query: Query) -> tuple[str, ...]:
    """The words every hit must hold, each as an FTS5 phrase: the words of the query's top-level
    words and phrases (the last word of one typed as a prefix is left out)."""
    if query.root is None:
        return ()
    conjuncts = query.root.items if isinstance(query.root, And) else (query.root,)
    words: dict[str, None] = {}
    for node in conjuncts:
        if isinstance(node, Term):
            parts = node.text.split()
            for part in parts[:-1] if node.prefix else parts:
                if _has_token_chars(part):  # "—" alone is an empty phrase: it matches nothing
                    words['"' + part.replace('"', '""') + '"'] = None
    return tuple(words)


def _has_token_chars(text: str) -> bool:
    # FTS5's unicode61 tokenizer keeps letters, numbers and private-use characters.
    return any(
        unicodedata.category(ch)[0] in "LN" or unicodedata.category(ch) == "Co" for ch in text
    )


def _newest_articles(db: Database, match: str, rest: Sequence[Node], n: int) -> list[_Ranked]:
    """``sort:date``: the newest ``n`` articles that match, filters applied.

    Few matches (under `RANK_WINDOW`, filters applied): read each one's date and keep the
    newest. Many: walk the articles newest first (the ``sort_at`` index) and keep those in the
    set of matches, which stops after about ``n × articles / matches`` rows — reading and
    sorting the dates of 50,000 matches of a common word took 30 ms.
    """
    rest_sql, rest_params = _conditions(rest, _ARTICLES, _RANK_ARTICLE_ID[HitKind.ARTICLE])
    where = "search_articles MATCH ?" + (f" AND {rest_sql}" if rest_sql else "")
    source = _fts_join(_ARTICLES) if _READS_ARTICLE.search(rest_sql) else "search_articles"
    many = (
        _candidate_bound(db, rest, RANK_WINDOW) >= RANK_WINDOW
        and int(
            scalar(
                db,
                f"SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} LIMIT ?)",
                [match, *rest_params, RANK_WINDOW],
            )
            or 0
        )
        >= RANK_WINDOW
    )
    if many:
        walk_sql, walk_params = _conditions(rest, _ARTICLES)
        sql = (
            "SELECT a.id, a.sort_at FROM articles a WHERE +a.id IN (SELECT rowid FROM "
            "search_articles WHERE search_articles MATCH ?)"
            + (f" AND {walk_sql}" if walk_sql else "")
            + " ORDER BY a.sort_at DESC, a.id DESC LIMIT ?"
        )
        params: list[object] = [match, *walk_params, n]
    else:
        sql = (
            f"SELECT a.id, a.sort_at FROM {_fts_join(_ARTICLES)} WHERE {where} "
            "ORDER BY a.sort_at DESC, a.id DESC LIMIT ?"
        )
        params = [match, *rest_params, n]
    return [_Ranked(_ARTICLES, row[0], 0.0, row[1]) for row in db.conn.execute(sql, params)]


def _candidate_bound(db: Database, rest: Sequence[Node], cap: int) -> int:
    """At most how many articles the filters ``rest`` keep, counted up to ``cap`` on the
    smallest of their sets (a tag, a feed, starred articles); ``cap`` when none is smaller.

    Cheap (each count stops at ``cap``), and it spares a search with a selective filter a
    pass over every match just to learn that fewer than ``cap`` pass the filter."""
    bound = cap
    for node in rest:
        if not isinstance(node, Filter):
            continue
        found = _article_set(node) or _FLAG_SETS.get((node.key, node.value))
        if found is not None:
            sql, params = found
            count = scalar(db, f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, bound])
            bound = min(bound, int(count or 0))
    return bound


# is:starred and is:saved as sets (each has a partial index), for `_candidate_bound`.
_FLAG_SETS: dict[tuple[str, str], SQL] = {
    ("is", "starred"): ("SELECT ax.id FROM articles ax WHERE ax.starred = 1", []),
    ("is", "saved"): ("SELECT ax.id FROM articles ax WHERE ax.saved = 1", []),
}


# A condition that reads the article row ("a.read", "a.sort_at"), not only the FTS rowid.
_READS_ARTICLE = re.compile(r"(?<![\w.])a\.")


def _ranked_rows(
    db: Database,
    kind: _Kind,
    match: str | None,
    rest: Sequence[Node],
    *,
    by_date: bool,
    n: int,
    words: Sequence[str] = (),
) -> list[_Ranked]:
    """The best ``n`` ids of one kind: by bm25 (or newest first), filters applied in SQL."""
    if match is not None and not by_date:
        return _rank(db, kind, match, rest, n, words)
    if match is not None and kind is _ARTICLES:
        return _newest_articles(db, match, rest, n)
    rest_sql, rest_params = _conditions(rest, kind)
    where: list[str] = list(_LIVE[kind.hit])
    params: list[object] = []
    if match is not None:
        text_sql, text_params = _text_sql_from_match(match, kind)
        where.append(text_sql)
        params.extend(text_params)
    if rest_sql:
        where.append(rest_sql)
        params.extend(rest_params)
    sql = (
        f"SELECT {kind.id_column}, {kind.date_column} FROM {_SOURCES[kind.hit]}"
        + (f" WHERE {' AND '.join(where)}" if where else "")
        + f" ORDER BY {kind.date_column} DESC, {kind.id_column} DESC LIMIT ?"
    )
    params.append(n)
    return [_Ranked(kind, row[0], 0.0, row[1]) for row in db.conn.execute(sql, params)]


_MARKS = f"'{MARK_OPEN}', '{MARK_CLOSE}'"
_FEED_TITLE = (
    "(SELECT coalesce(f.user_title, f.title, a.source_title) FROM feeds f WHERE f.id = a.feed_id)"
)
_COMMON = f"a.id AS article_id, a.title, coalesce({_FEED_TITLE}, a.source_title) AS feed_title, "
_COMMON += "a.read, a.starred"


def _details(db: Database, kind: _Kind, ids: list[int], match: str | None) -> dict[int, Row]:
    """Titles, snippets and offsets for the hits shown (a handful: the limit)."""
    if not ids:
        return {}
    marks = f"'{ELLIPSIS}', {SNIPPET_TOKENS}"
    if kind is _ARTICLES:
        if match is not None:
            columns = (
                f"a.id AS id, {_COMMON}, "
                f"snippet(search_articles, 3, {_MARKS}, {marks}) AS marked, "
                f"highlight(search_articles, 3, {_MARKS}) AS marked_text"
            )
        else:
            columns = (
                f"a.id AS id, {_COMMON}, NULL AS marked, NULL AS offset, "
                "(SELECT substr(t.text, 1, 800) FROM article_texts t "
                "WHERE t.id = a.current_text_id) AS plain"
            )
    elif kind is _HIGHLIGHTS:
        columns = (
            f"h.id AS id, {_COMMON}, h.color, coalesce(h.anchor_start, h.start) AS offset, "
            "substr(h.quote, 1, 800) AS plain, substr(h.note, 1, 800) AS plain_note"
        )
        if match is not None:
            columns += (
                f", snippet(search_highlights, 0, {_MARKS}, {marks}) AS marked, "
                f"snippet(search_highlights, 1, {_MARKS}, {marks}) AS marked_note"
            )
    else:
        columns = f"n.id AS id, {_COMMON}, NULL AS offset, substr(n.body, 1, 800) AS plain"
        if match is not None:
            columns += f", snippet(search_notes, 0, {_MARKS}, {marks}) AS marked"
    columns += f", {kind.date_column} AS date"
    id_list = placeholders(len(ids))
    if match is not None:
        sql = (
            f"SELECT {columns} FROM {_fts_join(kind)} WHERE {kind.table} MATCH ? "
            f"AND {kind.table}.rowid IN ({id_list})"
        )
        params: list[object] = [match, *ids]
    else:
        sql = f"SELECT {columns} FROM {_SOURCES[kind.hit]} WHERE {kind.id_column} IN ({id_list})"
        params = list(ids)
    return {row["id"]: row for row in fetch_all(db, sql, params)}


def _snippet(kind: _Kind, row: Row) -> Snippet:
    marked = row.get("marked")
    if kind is _HIGHLIGHTS:
        quote = snippet_from_marked(marked) if marked is not None else plain_snippet(row["plain"])
        note_marked = row.get("marked_note")
        if note_marked:
            note = snippet_from_marked(note_marked)
            if note.marks and not quote.marks:
                return _join_snippets(quote, note)
        return quote
    if marked is not None:
        return snippet_from_marked(marked)
    return plain_snippet(row.get("plain"))


def _hit(kind: _Kind, ranked: _Ranked, row: Row) -> SearchHit:
    offset = row.get("offset")
    if "marked_text" in row:
        offset = snippet_offset(row.get("marked"), row["marked_text"])
    return SearchHit(
        kind=kind.hit,
        id=ranked.id,
        article_id=ArticleId(row["article_id"]),
        title=row["title"] or "",
        feed_title=row["feed_title"],
        snippet=_snippet(kind, row),
        date=from_db_required(ranked.date or row["date"]),
        read=bool(row["read"]),
        starred=bool(row["starred"]),
        color=row.get("color"),
        offset=offset if isinstance(offset, int) and offset >= 0 else None,
        rank=ranked.rank,
    )


def search(db: Database, query: Query, limit: int) -> SearchResults:
    """The best ``limit`` hits of ``query``, articles, highlights and notes merged."""
    match, rest = split_root(query.root)
    by_date = match is None or query.sort == "date"
    ranked: list[_Ranked] = []
    scope = effective_scope(query)
    for kind in _KINDS:
        if kind.scope in scope:
            ranked.extend(
                _ranked_rows(
                    db, kind, match, rest, by_date=by_date, n=limit + 1, words=_title_words(query)
                )
            )
    if by_date:
        ranked.sort(key=lambda r: (r.date, r.kind.hit != HitKind.ARTICLE, r.id), reverse=True)
    else:
        ranked.sort(key=lambda r: r.rank)
    shown = ranked[:limit]
    hits: list[SearchHit] = []
    for kind in _KINDS:
        ids = [r.id for r in shown if r.kind is kind]
        rows = _details(db, kind, ids, match)
        for r in shown:
            if r.kind is kind and r.id in rows:
                hits.append(_hit(kind, r, rows[r.id]))
    order = {(r.kind.hit, r.id): i for i, r in enumerate(shown)}
    hits.sort(key=lambda h: order[(h.kind, h.id)])
    return SearchResults(tuple(hits), more=len(ranked) > limit)


# ---- the index -------------------------------------------------------------------------------


def rebuild_index(db: Database) -> int:
    """Rebuild the three FTS5 tables from their content (inside the caller's transaction)."""
    db.conn.execute("DELETE FROM search_pending")  # the view now shows them: rebuilt with the rest
    for table in FTS_TABLES:
        db.conn.execute(f"INSERT INTO {table} ({table}) VALUES ('rebuild')")
    return int(scalar(db, "SELECT count(*) FROM articles"))


def index_problems(db: Database) -> list[str]:
    """FTS5's integrity-check of each table against its content; [] when all agree.

    Runs an INSERT (FTS5's command syntax), so the caller holds a write transaction.
    """
    import sqlite3

    problems: list[str] = []
    for table in FTS_TABLES:
        try:
            db.conn.execute(f"INSERT INTO {table} ({table}, rank) VALUES ('integrity-check', 1)")
        except sqlite3.DatabaseError as e:
            problems.append(f"search index {table}: {e} (rebuild it with: gloss check --reindex)")
    return problems


# ---- saved searches --------------------------------------------------------------------------


def _saved(row: Row, unread: int = 0) -> SavedSearch:
    return SavedSearch(
        id=SavedSearchId(row["id"]), name=row["name"], query=row["query"], unread=unread
    )


def list_saved(db: Database) -> list[SavedSearch]:
    rows = fetch_all(
        db, "SELECT id, name, query FROM saved_searches ORDER BY position, name COLLATE NOCASE, id"
    )
    return [_saved(row) for row in rows]


def get_saved(db: Database, search_id: int) -> SavedSearch | None:
    row = fetch_one(db, "SELECT id, name, query FROM saved_searches WHERE id = ?", [search_id])
    return None if row is None else _saved(row)


def find_saved_by_name(db: Database, name: str) -> SavedSearch | None:
    row = fetch_one(
        db, "SELECT id, name, query FROM saved_searches WHERE name = ? COLLATE NOCASE", [name]
    )
    return None if row is None else _saved(row)


def unread_count(db: Database, query: Query) -> int:
    condition, params = article_condition(query)
    return int(
        scalar(db, f"SELECT count(*) FROM articles a WHERE a.read = 0 AND {condition}", params)
    )


def insert_saved(db: Database, name: str, query_text: str, now: str) -> SavedSearchId:
    position = int(scalar(db, "SELECT coalesce(max(position), 0) + 1 FROM saved_searches"))
    cursor = db.conn.execute(
        "INSERT INTO saved_searches (name, query, position, created_at) VALUES (?, ?, ?, ?)",
        [name, query_text, position, now],
    )
    return SavedSearchId(int(cursor.lastrowid or 0))


def update_saved(
    db: Database, search_id: int, *, name: str | None = None, query_text: str | None = None
) -> bool:
    sets: list[str] = []
    params: list[object] = []
    if name is not None:
        sets.append("name = ?")
        params.append(name)
    if query_text is not None:
        sets.append("query = ?")
        params.append(query_text)
    cursor = db.conn.execute(
        f"UPDATE saved_searches SET {', '.join(sets)} WHERE id = ?", [*params, search_id]
    )
    return cursor.rowcount > 0


def delete_saved(db: Database, search_id: int) -> bool:
    cursor = db.conn.execute("DELETE FROM saved_searches WHERE id = ?", [search_id])
    return cursor.rowcount > 0
