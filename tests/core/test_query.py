"""The search query language: what users type, what they get back, and what FTS5 is given.

FTS5 expressions are checked against a real in-memory SQLite FTS5 table, both for being accepted
at all (Hypothesis feeds hostile text) and for finding the rows the query means.
"""

from __future__ import annotations

import functools
import random
import re
import sqlite3

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.core.errors import GlossError, QuerySyntaxError
from reader.core.query import (
    SCOPES,
    And,
    Filter,
    Node,
    Not,
    Or,
    Query,
    Term,
    describe,
    format_query,
    fts_match,
    is_pure_text,
    parse_query,
    split_root,
)


def word(text: str, *, prefix: bool = False) -> Term:
    return Term(text, phrase=False, prefix=prefix)


def phrase(text: str) -> Term:
    return Term(text, phrase=True, prefix=False)


def root(text: str, *, typing: bool = False) -> Node | None:
    return parse_query(text, typing=typing).root


def error(text: str, *, typing: bool = False) -> QuerySyntaxError:
    with pytest.raises(QuerySyntaxError) as caught:
        parse_query(text, typing=typing)
    return caught.value


def underlined(text: str) -> str:
    """The part of the query the window would underline."""
    err = error(text)
    return text[err.position : err.position + err.length]


# --- words, phrases, exclusions, OR, parentheses -----------------------------------------------


def test_words_are_joined_by_and_in_the_order_typed() -> None:
    assert root("rust borrow checker") == And((word("rust"), word("borrow"), word("checker")))


def test_a_single_word_is_the_root_itself() -> None:
    assert parse_query("rust") == Query(word("rust"), SCOPES, "relevance")


def test_a_quoted_phrase_keeps_its_spaces_and_loses_its_quotes() -> None:
    assert root('"borrow checker" rust') == And((phrase("borrow checker"), word("rust")))


def test_text_is_nfc_so_decomposed_accents_find_composed_ones() -> None:
    assert root("cafe\u0301") == word("café")
    assert root('"cafe\u0301 au lait"') == phrase("café au lait")


def test_minus_excludes_a_word_a_phrase_a_filter_or_a_group() -> None:
    assert root('rust -java -"garbage collector" -is:read -(go OR zig)') == And(
        (
            word("rust"),
            Not(word("java")),
            Not(phrase("garbage collector")),
            Not(Filter("is", "read")),
            Not(Or((word("go"), word("zig")))),
        )
    )


def test_a_hyphen_inside_a_word_or_standing_alone_is_not_an_exclusion() -> None:
    assert root("e-mail") == word("e-mail")
    assert root("Rust - the book") == And((word("Rust"), word("the"), word("book")))


def test_a_double_exclusion_cancels_out() -> None:
    assert root("a -(-b)") == And((word("a"), word("b")))


def test_words_without_letters_or_digits_are_dropped() -> None:
    # FTS5 finds no token in them, and an empty phrase ANDed in would match nothing.
    assert root("Tom & Jerry") == And((word("Tom"), word("Jerry")))
    assert root('rust "..." -—') == word("rust")


def test_upper_case_or_joins_alternatives_and_lower_case_or_is_a_word() -> None:
    assert root("python OR go") == Or((word("python"), word("go")))
    assert root("this or that") == And((word("this"), word("or"), word("that")))
    assert root("a OR b OR c") == Or((word("a"), word("b"), word("c")))


def test_or_binds_tighter_than_the_implicit_and_as_in_gmail() -> None:
    assert root("rust python OR go") == And((word("rust"), Or((word("python"), word("go")))))
    assert root("a OR b c") == And((Or((word("a"), word("b"))), word("c")))


def test_parentheses_group_against_that_precedence() -> None:
    assert root("(rust python) OR go") == Or((And((word("rust"), word("python"))), word("go")))


def test_redundant_parentheses_flatten_away() -> None:
    assert root("((a)) (b c)") == And((word("a"), word("b"), word("c")))
    assert root("a OR (b OR c)") == Or((word("a"), word("b"), word("c")))


def test_upper_case_and_is_an_explicit_and() -> None:
    assert root("rust AND go") == root("rust go")


def test_an_excluded_or_is_a_word_not_an_operator() -> None:
    assert root("cats -OR") == And((word("cats"), Not(word("OR"))))


def test_a_url_is_a_word_not_a_filter() -> None:
    assert root("https://lwn.net/Articles") == word("https://lwn.net/Articles")


def test_a_quote_inside_a_word_is_part_of_it() -> None:
    assert root('27" monitor') == And((word('27"'), word("monitor")))


def test_control_characters_separate_words() -> None:
    assert root("rust\x00go") == And((word("rust"), word("go")))
    assert root('"rust\x00go"') == phrase("rust go")


# --- typing: the last word is a prefix -----------------------------------------------------------


def test_while_typing_the_final_bare_word_is_a_prefix() -> None:
    assert root("borrow chec", typing=True) == And((word("borrow"), word("chec", prefix=True)))


def test_without_typing_no_word_is_a_prefix() -> None:
    assert root("borrow chec") == And((word("borrow"), word("chec")))


def test_a_trailing_space_means_the_word_is_finished() -> None:
    assert root("chec ", typing=True) == word("chec")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('rust "borrow chec"', And((word("rust"), phrase("borrow chec")))),
        ("rust -jav", And((word("rust"), Not(word("jav"))))),
        ("rust feed:lw", And((word("rust"), Filter("feed", "lw")))),
        ("(rust go)", And((word("rust"), word("go")))),
    ],
)
def test_only_a_bare_final_word_becomes_a_prefix(text: str, expected: Node) -> None:
    assert root(text, typing=True) == expected


def test_the_last_side_of_an_or_is_a_prefix_while_typing() -> None:
    assert root("rust OR pyth", typing=True) == Or((word("rust"), word("pyth", prefix=True)))


# --- filters -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("feed:lwn", Filter("feed", "lwn")),
        ('feed:"Ars Technica"', Filter("feed", "Ars Technica")),
        ('folder:"Tech news"', Filter("folder", "Tech news")),
        ("tag:toread", Filter("tag", "toread")),
        ('author:"Jane Doe"', Filter("author", "Jane Doe")),
        ("is:unread", Filter("is", "unread")),
        ("is:read", Filter("is", "read")),
        ("is:starred", Filter("is", "starred")),
        ("is:saved", Filter("is", "saved")),
        ("has:highlights", Filter("has", "highlights")),
        ("has:notes", Filter("has", "notes")),
        ("has:note", Filter("has", "notes")),
        ("color:yellow", Filter("color", "yellow")),
        ("color:purple", Filter("color", "purple")),
        ("colour:green", Filter("color", "green")),
        ("after:2025-01-01", Filter("after", "2025-01-01")),
        ("before:2024-02-29", Filter("before", "2024-02-29")),
        ("after:2025-3", Filter("after", "2025-03-01")),
        ("before:2025-03-7", Filter("before", "2025-03-07")),
        ("after:2025", Filter("after", "2025-01-01")),
    ],
)
def test_each_filter_reads_to_its_normalised_value(text: str, expected: Filter) -> None:
    assert root(text) == expected


def test_filter_keys_ignore_case_and_names_keep_theirs() -> None:
    assert root("FEED:LWN Is:Unread COLOR:Blue") == And(
        (Filter("feed", "LWN"), Filter("is", "unread"), Filter("color", "blue"))
    )


def test_a_month_or_a_year_means_its_first_day() -> None:
    """after:2025-03 before:2025-04 is March: both name the start of their period (UTC)."""
    assert root("after:2025-03 before:2025-04") == And(
        (Filter("after", "2025-03-01"), Filter("before", "2025-04-01"))
    )


def test_a_filter_closes_at_a_parenthesis() -> None:
    assert root("(feed:lwn OR feed:ars) rust") == And(
        (Or((Filter("feed", "lwn"), Filter("feed", "ars"))), word("rust"))
    )


def test_filters_mix_with_or_and_exclusions() -> None:
    assert root("rust OR tag:rust -is:read") == And(
        (Or((word("rust"), Filter("tag", "rust"))), Not(Filter("is", "read")))
    )


# --- directives: in: and sort: -------------------------------------------------------------------


def test_by_default_everything_is_searched_and_ranked() -> None:
    query = parse_query("rust")
    assert query.scope == frozenset({"articles", "highlights", "notes"})
    assert query.sort == "relevance"


def test_in_narrows_the_scope_and_leaves_the_tree() -> None:
    assert parse_query("rust in:highlights") == Query(word("rust"), frozenset({"highlights"}))
    assert parse_query("in:Notes rust").scope == frozenset({"notes"})
    assert parse_query("rust in:articles").scope == frozenset({"articles"})


def test_in_takes_several_scopes_with_commas() -> None:
    assert parse_query("rust in:highlights,notes").scope == frozenset({"highlights", "notes"})


def test_sort_date_lists_newest_first_instead_of_ranked() -> None:
    assert parse_query("rust sort:date").sort == "date"
    assert parse_query("rust sort:relevance").sort == "relevance"


def test_a_query_of_only_directives_has_no_root() -> None:
    assert parse_query("in:highlights sort:date") == Query(None, frozenset({"highlights"}), "date")


def test_repeating_a_directive_the_same_way_is_fine() -> None:
    assert parse_query("sort:date rust sort:DATE").sort == "date"


# --- errors: a precise message and the span to underline ------------------------------------


@pytest.mark.parametrize(
    ("text", "message", "span"),
    [
        ("rust colr:yellow", "Unknown filter 'colr:' — did you mean 'color:'?", "colr:"),
        ("fed:lwn", "Unknown filter 'fed:' — did you mean 'feed:'?", "fed:"),
        ("zzz:1", "Unknown filter 'zzz:'", "zzz:"),
        ("rust Unread:yes", "Unknown filter 'Unread:' — did you mean 'is:unread'?", "Unread:"),
        ("rust is:unred", "'is:' takes unread, read, starred or saved", "is:unred"),
        ("is:", "'is:' takes unread, read, starred or saved", "is:"),
        ("has:tags", "'has:' takes highlights or notes", "has:tags"),
        ("color:red", "'color:' takes yellow, green, blue, pink or purple", "color:red"),
        ("in:feeds", "'in:' takes articles, highlights or notes", "in:feeds"),
        ("sort:title", "'sort:' takes relevance or date", "sort:title"),
        ("feed:", "'feed:' needs a feed name after the colon", "feed:"),
        ('tag:"  "', "'tag:' needs a tag after the colon", 'tag:"  "'),
        (
            "after:2025-13-01",
            "'after:2025-13-01' is not a date; use YYYY-MM-DD",
            "after:2025-13-01",
        ),
        (
            "before:2025-02-30",
            "'before:2025-02-30' is not a date; use YYYY-MM-DD",
            "before:2025-02-30",
        ),
        ("after:yesterday", "'after:yesterday' is not a date; use YYYY-MM-DD", "after:yesterday"),
        ("after:0000", "'after:0000' is not a date", "after:0000"),
        ('rust "borrow checker', "This quote is never closed", '"'),
        ('feed:"Ars', "This quote is never closed", '"'),
        ("rust (go OR zig", "This parenthesis is never closed", "("),
        ("rust go)", "This ')' has no '(' to close", ")"),
        ("rust ()", "Empty parentheses", "()"),
        ("rust ( )", "Empty parentheses", "( )"),
        ('rust ""', "Put some words between these quotes", '""'),
        ("rust OR", "OR needs a search term on both sides", "OR"),
        ("OR rust", "OR needs a search term on both sides", "OR"),
        ("rust OR OR go", "OR needs a search term on both sides", "OR"),
        ("(rust OR) go", "OR needs a search term on both sides", "OR"),
        ("rust AND", "AND needs a search term on both sides", "AND"),
        ("AND rust", "AND needs a search term on both sides", "AND"),
        ("rust OR -go", "Each side of OR needs a word or filter", "-go"),
        (
            "sort:date sort:relevance",
            "'sort:relevance' conflicts with 'sort:date'",
            "sort:relevance",
        ),
        (
            "in:notes rust in:highlights",
            "'in:highlights' conflicts with 'in:notes'",
            "in:highlights",
        ),
        ("rust (sort:date)", "'sort:date' applies to the whole search", "sort:date"),
        ("rust OR in:notes", "'in:notes' applies to the whole search", "in:notes"),
        ("rust -in:notes", "'in:notes' cannot be excluded", "-in:notes"),
    ],
)
def test_bad_syntax_says_what_is_wrong_and_where(text: str, message: str, span: str) -> None:
    err = error(text)
    assert str(err).startswith(message)
    assert text[err.position : err.position + err.length] == span


def test_an_unknown_filter_with_no_near_miss_explains_how_to_search_for_the_text() -> None:
    message = str(error("zzz:1"))
    assert "feed:" in message and "sort:" in message and "quotes" in message


@pytest.mark.parametrize("text", ["-rust", "-rust -java", '-"a b" -feed:lwn', "-(a b) in:notes"])
def test_a_search_of_only_exclusions_is_refused(text: str) -> None:
    err = error(text)
    assert str(err) == (
        "Add at least one word or filter to search for; a search cannot be only exclusions"
    )
    assert (err.position, err.length) == (0, len(text))


@pytest.mark.parametrize("text", ["", "   ", "& -", '"..."'])
def test_a_search_with_nothing_to_look_for_is_refused(text: str) -> None:
    assert str(error(text)) == "Type a word, a phrase or a filter to search for"


def test_a_query_over_a_thousand_characters_is_refused_at_the_excess() -> None:
    text = "a " * 500 + "bc"
    err = error(text)
    assert "at most 1,000 characters" in str(err)
    assert (err.position, err.length) == (1000, 2)


def test_a_thousand_characters_exactly_is_allowed() -> None:
    text = ("x" * 9 + " ") * 63 + "y" * 370
    assert len(text) == 1000
    assert parse_query(text).root is not None


def test_more_than_sixty_four_words_and_filters_is_refused_from_the_first_extra() -> None:
    parse_query(" ".join(["w"] * 63 + ["is:unread"]))
    text = " ".join(["w"] * 64) + " extra words"
    err = error(text)
    assert "at most 64" in str(err)
    assert text[err.position :] == "extra words"


def test_deep_nesting_is_refused_not_a_crash() -> None:
    text = "(" * 500 + "a" + ")" * 499
    assert "nested parentheses" in str(error(text))


def test_a_lone_surrogate_is_refused_with_its_position() -> None:
    err = error("rust \udc80")
    assert err.position == 5


def test_query_errors_are_gloss_errors() -> None:
    assert isinstance(error("("), GlossError)


# --- terms for snippets, the text written back, and the tooltip ---------------------------------


def test_terms_are_the_wanted_words_and_phrases_not_the_excluded_ones() -> None:
    query = parse_query('rust "borrow checker" -java (go OR zig) -(c d) feed:lwn pyt', typing=True)
    assert query.terms() == (
        word("rust"),
        phrase("borrow checker"),
        word("go"),
        word("zig"),
        word("pyt", prefix=True),
    )


def test_a_query_without_text_has_no_terms() -> None:
    assert parse_query("in:notes").terms() == ()
    assert parse_query("is:unread -rust").terms() == ()


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("rust  python", "rust python"),
        ("rust AND python", "rust python"),
        ('"borrow checker" -java', '"borrow checker" -java'),
        ("rust python OR go", "rust python OR go"),
        ("(rust python) OR go", "(rust python) OR go"),
        ("((a OR b)) c", "a OR b c"),
        ("-(a OR b) c", "-(a OR b) c"),
        ('FEED:"LWN" Is:Unread colour:Blue', "feed:LWN is:unread color:blue"),
        ('feed:"Ars Technica" after:2025-3', 'feed:"Ars Technica" after:2025-03-01'),
        ('feed:a"b', 'feed:a"b'),
        ('tag:"(draft)"', 'tag:"(draft)"'),
        ("sort:date rust in:notes,highlights", "rust in:highlights,notes sort:date"),
        ("in:articles", "in:articles"),
        ('27" -OR', '27" -OR'),
    ],
)
def test_a_query_writes_back_in_canonical_form_that_reads_the_same(
    text: str, canonical: str
) -> None:
    query = parse_query(text)
    assert format_query(query) == canonical
    assert parse_query(canonical) == query


@pytest.mark.parametrize(
    ("text", "summary"),
    [
        ("rust -java", "rust, not java"),
        ('"borrow checker" OR go', "“borrow checker” or go"),
        ("rust python OR go", "rust, (python or go)"),
        (
            'feed:"Ars Technica" is:unread has:highlights color:pink',
            "feed “Ars Technica”, unread, with highlights, pink highlights",
        ),
        (
            'tag:later author:"Jane Doe" after:2025 before:2025-06',
            "tagged “later”, by Jane Doe, from 2025-01-01, before 2025-06-01",
        ),
        ("rust in:highlights,notes sort:date", "rust · only highlights and notes · newest first"),
        ("in:notes", "everything · only notes"),
        ("-(a b) c", "not (a and b), c"),
    ],
)
def test_describe_gives_a_short_readable_summary(text: str, summary: str) -> None:
    assert describe(parse_query(text)) == summary


def test_describe_stays_short_for_a_long_query() -> None:
    summary = describe(parse_query(" ".join(f"word{i}" for i in range(60))))
    assert len(summary) <= 200
    assert summary.endswith("…")


# --- FTS5 expressions ----------------------------------------------------------------------------


@functools.cache
def _fts() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE docs USING fts5("
        "title, body, tokenize='unicode61 remove_diacritics 2')"
    )
    rows = [
        (1, "Rust borrow checker", "the borrow checker explained"),
        (2, "Python packaging", "pip and uv, with a note on rust extensions"),
        (3, "Go generics", "go 1.18 brought generics"),
        (4, "Java garbage collector", "the garbage collector in depth"),
        (5, "Café culture", 'a 27" monitor and "quotes" inside'),
        (6, "Rust and Go", "comparing rust with go"),
        (7, "Title: colons", "NEAR AND OR NOT are just words here * ^ +"),
    ]
    connection.executemany("INSERT INTO docs(rowid, title, body) VALUES (?, ?, ?)", rows)
    return connection


def _matching(expression: str) -> set[int]:
    found = _fts().execute("SELECT rowid FROM docs WHERE docs MATCH ?", (expression,))
    return {row[0] for row in found}


def search(text: str, *, typing: bool = False) -> set[int]:
    node = root(text, typing=typing)
    assert node is not None and is_pure_text(node)
    expression = fts_match(node)
    assert expression is not None
    return _matching(expression)


def test_every_term_is_quoted_with_inner_quotes_doubled() -> None:
    assert fts_match(word('27"')) == '"27"""'
    assert fts_match(word("NEAR")) == '"NEAR"'
    assert fts_match(word("chec", prefix=True)) == '"chec"*'


def test_exclusions_use_fts5_binary_not() -> None:
    assert fts_match(And((word("a"), Not(word("b"))))) == '("a" NOT "b")'
    assert fts_match(And((word("a"), word("c"), Not(word("b")), Not(phrase("d e"))))) == (
        '(("a" AND "c") NOT ("b" OR "d e"))'
    )


def test_or_and_precedence_is_spelled_out_with_parentheses() -> None:
    node = parse_query("rust python OR go").root
    assert node is not None
    assert fts_match(node) == '("rust" AND ("python" OR "go"))'


def test_words_find_documents_with_all_of_them() -> None:
    assert search("rust") == {1, 2, 6}
    assert search("rust go") == {6}
    assert search("RUST checker") == {1}


def test_a_phrase_needs_its_words_together() -> None:
    assert search('"borrow checker"') == {1}
    assert search('"checker borrow"') == set()


def test_an_excluded_word_removes_documents() -> None:
    assert search("rust -go") == {1, 2}
    assert search('garbage -"garbage collector"') == set()


def test_or_binds_tighter_in_what_is_found() -> None:
    assert search("rust checker OR generics") == {1}
    assert search("(rust checker) OR generics") == {1, 3}


def test_the_prefix_finds_words_being_typed() -> None:
    assert search("borrow chec", typing=True) == {1}
    assert search("borrow chec") == set()


def test_accents_and_quotes_typed_by_the_user_are_just_text() -> None:
    assert search("cafe") == {5}
    assert search('27"') == {5}
    assert search('"quotes"') == {5}


def test_fts5_operators_typed_by_the_user_are_searched_as_words() -> None:
    assert search("NEAR -OR") == set()
    assert search('near "AND"') == {7}
    assert search("rust*") == {1, 2, 6}  # the star is punctuation, not a prefix
    assert search("title colons") == {7}  # "title:" reads as a filter key only when known


def test_a_text_node_with_filters_is_not_pure_and_its_match_is_wider() -> None:
    node = parse_query("rust OR feed:lwn").root
    assert node is not None
    assert not is_pure_text(node)
    assert fts_match(node) is None  # any row may be in feed lwn: no text condition
    node = parse_query("rust feed:lwn -go").root
    assert node is not None
    assert fts_match(node) == '("rust" NOT "go")'


def test_split_root_puts_text_in_one_match_and_leaves_filters() -> None:
    node = parse_query("rust -go is:unread -feed:lwn (zig OR tag:x)").root
    match, rest = split_root(node)
    assert match == '("rust" NOT "go")'
    assert rest == (
        Filter("is", "unread"),
        Not(Filter("feed", "lwn")),
        Or((word("zig"), Filter("tag", "x"))),
    )


def test_split_root_leaves_a_lone_exclusion_to_the_caller() -> None:
    match, rest = split_root(parse_query("is:unread -go").root)
    assert match is None
    assert rest == (Filter("is", "unread"), Not(word("go")))
    assert split_root(None) == (None, ())
    assert split_root(word("go")) == ('"go"', ())


# --- Hypothesis: never a crash, always a valid MATCH, the meaning FTS5 finds ---------------------

_WILD_WORD = st.lists(
    st.sampled_from(
        [
            *"abcXYZ019_'-.,&*^+:@#/\\\"()é\u0301\u00a0\x00—ß日本",
            *("NEAR", "NOT", "OR", "AND", "or", "title", "is", "feed", "colr", "in", "sort"),
        ]
    ),
    min_size=1,
    max_size=6,
).map("".join)
_PIECES = st.one_of(
    _WILD_WORD,
    st.sampled_from(
        [
            "OR",
            "AND",
            "-",
            "(",
            ")",
            '"',
            '""',
            "is:unread",
            "is:bogus",
            "has:notes",
            "color:pink",
            "feed:",
            'feed:"Ars Technica"',
            "after:2025-02",
            "before:2025-02-30",
            "in:notes",
            "sort:date",
            "http://x.y",
            "NEAR(a b)",
            "a*",
            "^b",
        ]
    ),
    _WILD_WORD.map(lambda text: f'"{text}"'),
    _WILD_WORD.map(lambda text: f"-{text}"),
)
_WILD_QUERIES = st.lists(
    st.tuples(_PIECES, st.sampled_from([" ", "", "  ", "\t"])), min_size=1, max_size=12
).map(lambda parts: "".join(piece + space for piece, space in parts))


def _subtrees(node: Node) -> list[Node]:
    found = [node]
    if isinstance(node, Not):
        found += _subtrees(node.item)
    elif isinstance(node, And | Or):
        for item in node.items:
            found += _subtrees(item)
    return found


def _parse_or_error(text: str, typing: bool) -> Query | None:
    try:
        return parse_query(text, typing=typing)
    except QuerySyntaxError as err:
        assert 0 <= err.position <= len(text)
        assert err.length >= 0 and err.position + err.length <= len(text)
        assert str(err)
        return None


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.booleans())
def test_any_text_either_parses_or_gives_a_query_syntax_error(text: str, typing: bool) -> None:
    _parse_or_error(text, typing)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_WILD_QUERIES, st.booleans())
def test_every_fts_expression_from_a_hostile_query_is_accepted_by_fts5(
    text: str, typing: bool
) -> None:
    query = _parse_or_error(text, typing)
    if query is None or query.root is None:
        return
    for node in _subtrees(query.root):
        expression = fts_match(node)
        if expression is not None:
            _matching(expression)  # raises sqlite3.OperationalError on bad syntax
    match, _ = split_root(query.root)
    if match is not None:
        _matching(match)


@settings(max_examples=300, deadline=None)
@given(_WILD_QUERIES)
def test_a_parsed_query_reads_back_the_same_from_its_canonical_form(text: str) -> None:
    query = _parse_or_error(text, False)
    if query is None:
        return
    assert parse_query(format_query(query)) == query


# A small world where the meaning of a query is easy to compute by hand: documents made of a few
# words, each in one of two feeds.
_VOCABULARY = ("alpha", "beta", "gamma", "delta", "alphabet")
_rng = random.Random(6)
_WORLD = {
    rowid: (
        [_rng.choice(_VOCABULARY) for _ in range(_rng.randint(1, 5))],
        _rng.choice(("x", "y")),
    )
    for rowid in range(1, 41)
}


@functools.cache
def _world() -> sqlite3.Connection:
    connection = sqlite3.connect(":memory:")
    connection.execute("CREATE VIRTUAL TABLE w USING fts5(body)")
    connection.executemany(
        "INSERT INTO w(rowid, body) VALUES (?, ?)",
        [(rowid, " ".join(words)) for rowid, (words, _) in _WORLD.items()],
    )
    return connection


def _world_matching(expression: str) -> set[int]:
    found = _world().execute("SELECT rowid FROM w WHERE w MATCH ?", (expression,))
    return {row[0] for row in found}


def _holds(node: Node, rowid: int) -> bool:
    words, feed = _WORLD[rowid]
    if isinstance(node, Term):
        wanted = re.findall(r"\w+", node.text.lower())
        for start in range(len(words) - len(wanted) + 1):
            window = words[start : start + len(wanted)]
            if window[:-1] == wanted[:-1] and (
                window[-1].startswith(wanted[-1]) if node.prefix else window[-1] == wanted[-1]
            ):
                return True
        return False
    if isinstance(node, Filter):
        return feed == node.value.lower()
    if isinstance(node, Not):
        return not _holds(node.item, rowid)
    if isinstance(node, And):
        return all(_holds(item, rowid) for item in node.items)
    return any(_holds(item, rowid) for item in node.items)


def _rows(node: Node) -> set[int]:
    """What the SQL layer computes: pure-text subtrees by MATCH, the rest by set algebra."""
    everything = set(_WORLD)
    if is_pure_text(node):
        expression = fts_match(node)
        assert expression is not None
        return _world_matching(expression)
    if isinstance(node, Filter):
        return {rowid for rowid in everything if _holds(node, rowid)}
    if isinstance(node, Not):
        return everything - _rows(node.item)
    if isinstance(node, And):
        return set.intersection(*(_rows(item) for item in node.items))
    assert isinstance(node, Or)
    return set.union(*(_rows(item) for item in node.items))


_WORLD_ATOMS = st.one_of(
    st.sampled_from([*_VOCABULARY, "Alpha", "BETA", "al", "gam"]),
    st.sampled_from(['"alpha beta"', '"beta gamma"', '"gamma alpha"', '"delta"']),
    st.sampled_from(["feed:x", "feed:Y"]),
)
_WORLD_EXPRESSIONS = st.recursive(
    _WORLD_ATOMS,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda items: "(" + " ".join(items) + ")"),
        st.lists(inner.filter(lambda item: item[0] != "-"), min_size=2, max_size=3).map(
            " OR ".join
        ),
        inner.map(lambda item: "-" + item),
    ),
    max_leaves=8,
)
_WORLD_QUERIES = st.lists(_WORLD_EXPRESSIONS, min_size=1, max_size=4).map(" ".join)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_WORLD_QUERIES, st.booleans())
def test_fts5_finds_exactly_what_the_query_means(text: str, typing: bool) -> None:
    query = _parse_or_error(text, typing)
    if query is None or query.root is None:
        return
    node = query.root
    meant = {rowid for rowid in _WORLD if _holds(node, rowid)}
    expression = fts_match(node)
    if is_pure_text(node):
        assert expression is not None
        assert _world_matching(expression) == meant
    elif expression is not None:
        assert meant <= _world_matching(expression)  # wider, never narrower
    match, rest = split_root(node)
    found = _world_matching(match) if match is not None else set(_WORLD)
    for conjunct in rest:
        found &= _rows(conjunct)
    assert found == meant
