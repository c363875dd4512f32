"""The annotation interchange file: W3C Web Annotations out, every highlight and note back in."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core import web_annotation as wa
from reader.core.errors import GlossError
from reader.core.types import DEFAULT_HIGHLIGHT_COLOR, HIGHLIGHT_COLORS, AnchorStatus
from reader.core.web_annotation import (
    FORMAT_VERSION,
    W3C_CONTEXT,
    AnnotationFormatError,
    AnnotationRecord,
    ArticleRef,
    ParsedCollection,
    dumps,
    merge_decision,
    parse_collection,
    to_collection,
)

UTC = dt.UTC
T0 = dt.datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
LABELS = {color: color.title() for color in HIGHLIGHT_COLORS}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z$")

ARTICLE = ArticleRef(
    url="https://example.org/posts/memory",
    title="How memory works",
    feed_url="https://example.org/feed.xml",
    key="g:tag:example.org,2024:42",
    published=T0,
)


def highlight(**changes: Any) -> AnnotationRecord:
    fields: dict[str, Any] = {
        "uuid": "6f1d2c9a-3b4e-4f5a-8c7d-1e2f3a4b5c6d",
        "kind": "highlight",
        "article": ARTICLE,
        "quote": "spacing improves recall",
        "prefix": "Studies show that ",
        "suffix": ", even for adults.",
        "start": 118,
        "end": 141,
        "color": "green",
        "body": "Try this with **flashcards**.",
        "tags": ("learning", "memory"),
        "created": T0,
        "modified": T0 + dt.timedelta(hours=2),
        "deleted": None,
        "anchor": "exact",
    }
    fields.update(changes)
    return AnnotationRecord(**fields)


def note(**changes: Any) -> AnnotationRecord:
    fields: dict[str, Any] = {
        "uuid": "0b5e7c1d-2a3f-4e6b-9c8d-7f6e5d4c3b2a",
        "kind": "note",
        "article": ARTICLE,
        "quote": None,
        "prefix": None,
        "suffix": None,
        "start": None,
        "end": None,
        "color": None,
        "body": "The whole article in one line: space it out.",
        "tags": ("reading",),
        "created": T0,
        "modified": T0,
        "deleted": None,
        "anchor": None,
    }
    fields.update(changes)
    return AnnotationRecord(**fields)


def export(*records: AnnotationRecord, labels: dict[str, str] | None = None) -> bytes:
    collection = to_collection(
        records, labels=LABELS if labels is None else labels, generator_version="0.4", now=NOW
    )
    return dumps(collection)


def parse_json(value: object) -> ParsedCollection:
    return parse_collection(json.dumps(value).encode("utf-8"), now=NOW)


def refused(data: bytes) -> str:
    with pytest.raises(AnnotationFormatError) as caught:
        parse_collection(data, now=NOW)
    assert isinstance(caught.value, GlossError)
    return str(caught.value)


def items_of(data: bytes) -> list[dict[str, Any]]:
    document = json.loads(data)
    items: list[dict[str, Any]] = document["first"]["items"]
    return items


def quoted(exact: str, source: str = "https://example.org/a", **item: Any) -> dict[str, Any]:
    """An annotation as other tools write it: a quote selector and nothing Gloss-specific."""
    return {
        "type": "Annotation",
        "target": {"source": source, "selector": {"type": "TextQuoteSelector", "exact": exact}},
        **item,
    }


# --- round trip -------------------------------------------------------------------------------


def test_a_highlight_and_a_note_come_back_exactly() -> None:
    records = (note(), highlight())  # exported in creation order, then by id
    parsed = parse_collection(export(highlight(), note(), labels={"green": "Important"}))
    assert parsed.records == records
    assert parsed.labels == {"green": "Important"}
    assert parsed.skipped == ()


def test_astral_characters_and_newlines_survive_with_their_offsets() -> None:
    text = "Emoji 😀 and 𝔉𝔯𝔞𝔨𝔱𝔲𝔯\nsecond line"
    record = highlight(quote=text, prefix="🙂\n", suffix="", start=3, end=3 + len(text), body="")
    (back,) = parse_collection(export(record)).records
    assert back == record
    assert back.end - back.start == len(text)  # type: ignore[operator]


def test_the_file_is_readable_utf8_not_escaped_and_ends_with_a_newline() -> None:
    data = export(highlight(quote="déjà vu — 你好"))
    assert "déjà vu — 你好".encode() in data
    assert b"\\u" not in data
    assert data.endswith(b"\n")
    assert data.count(b"\n") > 40  # one key per line: exports diff line by line


def test_same_annotations_give_the_same_bytes_whatever_order_they_come_in() -> None:
    a = highlight()
    b = highlight(uuid="11111111-2222-4333-8444-555555555555", created=T0 - dt.timedelta(days=1))
    c = note(deleted=T0 + dt.timedelta(days=1))
    assert export(a, b, c) == export(c, a, b)
    # and the order the dict was built in does not matter to ``dumps``
    collection = to_collection([a, b, c], labels=LABELS, generator_version="0.4", now=NOW)
    reversed_collection = dict(reversed(list(collection.items())))
    assert dumps(reversed_collection) == dumps(collection)


_NO_CONTROLS = st.characters(exclude_categories=("Cc", "Cs"))
TEXT = st.text(
    alphabet=st.one_of(_NO_CONTROLS, st.sampled_from("\n\t😀𝔉")),
    max_size=30,
)
LINE = st.text(alphabet=_NO_CONTROLS, max_size=20)
STRIPPED = LINE.filter(lambda s: s == s.strip() and s != "")
TIMES = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, dt.timezone(dt.timedelta(hours=5, minutes=30))]),
)
URLS = st.builds(
    lambda path: f"https://example.org/{path}",
    st.text(alphabet="abcé/-_?=&#%0123456789", max_size=20),
)


@st.composite
def articles(draw: st.DrawFn) -> ArticleRef:
    ref = ArticleRef(
        url=draw(st.none() | URLS),
        title=draw(LINE),
        feed_url=draw(st.none() | LINE),
        key=draw(st.none() | LINE),
        published=draw(st.none() | TIMES),
    )
    if not (ref.url or ref.feed_url or ref.key or ref.title):
        ref = ArticleRef(ref.url, "Untitled", ref.feed_url, ref.key, ref.published)
    return ref


@st.composite
def records(draw: st.DrawFn) -> AnnotationRecord:
    common: dict[str, Any] = {
        "uuid": str(draw(st.uuids())),
        "article": draw(articles()),
        "tags": tuple(draw(st.lists(STRIPPED, max_size=3, unique=True))),
        "created": draw(TIMES),
        "modified": draw(TIMES),
        "deleted": draw(st.none() | TIMES),
    }
    if draw(st.booleans()):
        start = draw(st.none() | st.integers(0, 10**6))
        quote = draw(TEXT.filter(bool))
        return AnnotationRecord(
            kind="highlight",
            quote=quote,
            prefix=draw(st.none() | TEXT),
            suffix=draw(st.none() | TEXT),
            start=start,
            end=None if start is None else start + len(quote),
            color=draw(st.sampled_from(HIGHLIGHT_COLORS)),
            body=draw(st.none() | TEXT),
            anchor=draw(st.none() | st.sampled_from([s.value for s in AnchorStatus])),
            **common,
        )
    return AnnotationRecord(
        kind="note",
        quote=None,
        prefix=None,
        suffix=None,
        start=None,
        end=None,
        color=None,
        body=draw(TEXT),
        anchor=None,
        **common,
    )


@settings(max_examples=150, deadline=None)
@given(
    st.lists(records(), max_size=5, unique_by=lambda r: r.uuid),
    st.dictionaries(st.sampled_from(HIGHLIGHT_COLORS), STRIPPED),
)
def test_any_annotation_set_round_trips(
    annotations: list[AnnotationRecord], labels: dict[str, str]
) -> None:
    parsed = parse_collection(export(*annotations, labels=labels))
    assert sorted(parsed.records, key=lambda r: r.uuid) == sorted(annotations, key=lambda r: r.uuid)
    assert parsed.labels == labels
    assert parsed.skipped == ()


# --- the W3C shape ----------------------------------------------------------------------------

W3C_KEYS = {
    "@context",
    "id",
    "type",
    "label",
    "generator",
    "generated",
    "name",
    "total",
    "first",
    "startIndex",
    "items",
    "motivation",
    "created",
    "modified",
    "body",
    "target",
    "purpose",
    "format",
    "value",
    "source",
    "selector",
    "exact",
    "prefix",
    "suffix",
    "start",
    "end",
}


def _keys(value: object, inside_extension: bool = False) -> set[str]:
    """Every key outside a ``gloss:`` extension, wherever it sits."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, child in value.items():
            if key.startswith("gloss:"):
                continue
            if key == "@context":
                found.add(key)
                continue
            found.add(key)
            found |= _keys(child)
    elif isinstance(value, list):
        for child in value:
            found |= _keys(child)
    return found


def test_every_key_is_w3c_vocabulary_or_a_declared_gloss_extension() -> None:
    data = export(highlight(), note(), highlight(uuid="11111111-2222-4333-8444-555555555555"))
    document = json.loads(data)
    assert document["@context"] == [W3C_CONTEXT, {"gloss": "https://gloss.invalid/ns#"}]
    assert _keys(document) <= W3C_KEYS


def test_collection_holds_one_page_whose_items_match_its_total() -> None:
    document = json.loads(export(highlight(), note()))
    assert document["type"] == "AnnotationCollection"
    assert document["gloss:formatVersion"] == FORMAT_VERSION
    assert document["generated"] == "2024-06-01T12:00:00Z"
    assert document["generator"] == {"type": "Software", "name": "Gloss 0.4"}
    page = document["first"]
    assert page["type"] == "AnnotationPage"
    assert page["startIndex"] == 0
    assert document["total"] == len(page["items"]) == 2
    assert document["id"].startswith("urn:uuid:")


def test_a_highlight_is_a_highlighting_annotation_with_quote_and_position() -> None:
    (item,) = items_of(export(highlight()))
    assert item["type"] == "Annotation"
    assert item["id"] == "urn:uuid:6f1d2c9a-3b4e-4f5a-8c7d-1e2f3a4b5c6d"
    assert item["motivation"] == "highlighting"
    assert item["created"] == "2024-05-01T09:30:00Z"
    assert item["modified"] == "2024-05-01T11:30:00Z"
    assert item["target"] == {
        "source": "https://example.org/posts/memory",
        "selector": [
            {
                "type": "TextQuoteSelector",
                "exact": "spacing improves recall",
                "prefix": "Studies show that ",
                "suffix": ", even for adults.",
            },
            {"type": "TextPositionSelector", "start": 118, "end": 141},
        ],
    }
    assert item["body"] == [
        {
            "type": "TextualBody",
            "purpose": "commenting",
            "format": "text/markdown",
            "value": "Try this with **flashcards**.",
        },
        {"type": "TextualBody", "purpose": "tagging", "value": "learning"},
        {"type": "TextualBody", "purpose": "tagging", "value": "memory"},
        {"type": "TextualBody", "purpose": "classifying", "value": "green"},
    ]
    assert item["gloss:articleTitle"] == "How memory works"
    assert item["gloss:feedUrl"] == "https://example.org/feed.xml"
    assert item["gloss:entryKey"] == "g:tag:example.org,2024:42"
    assert item["gloss:anchor"] == "exact"
    assert "gloss:deleted" not in item


def test_an_article_note_is_a_commenting_annotation_on_the_article_alone() -> None:
    (item,) = items_of(export(note()))
    assert item["motivation"] == "commenting"
    assert item["target"] == {"source": "https://example.org/posts/memory"}
    assert [b["purpose"] for b in item["body"]] == ["commenting", "tagging"]


def test_a_highlight_without_a_note_or_position_has_only_the_quote_and_its_colour() -> None:
    (item,) = items_of(export(highlight(body=None, tags=(), start=None, end=None)))
    assert [s["type"] for s in item["target"]["selector"]] == ["TextQuoteSelector"]
    assert item["body"] == [{"type": "TextualBody", "purpose": "classifying", "value": "green"}]


def test_times_are_utc_with_z_even_when_given_in_another_zone() -> None:
    paris = dt.timezone(dt.timedelta(hours=2))
    (item,) = items_of(export(highlight(created=dt.datetime(2024, 5, 1, 11, 30, tzinfo=paris))))
    assert item["created"] == "2024-05-01T09:30:00Z"
    assert all(ISO_Z.match(item[k]) for k in ("created", "modified", "gloss:published"))


def test_deleted_annotations_stay_out_of_what_generic_readers_see() -> None:
    gone = highlight(uuid="11111111-2222-4333-8444-555555555555", deleted=T0)
    document = json.loads(export(highlight(), gone))
    assert document["total"] == 1
    assert [i["id"] for i in document["first"]["items"]] == [
        "urn:uuid:6f1d2c9a-3b4e-4f5a-8c7d-1e2f3a4b5c6d"
    ]
    (tombstone,) = document["gloss:tombstones"]
    assert tombstone["gloss:deleted"] == "2024-05-01T09:30:00Z"
    # ... but another Gloss learns of the deletion, so a merge cannot bring it back (A6)
    back = {r.uuid: r for r in parse_collection(dumps(document)).records}
    assert back[gone.uuid].deleted == T0


def test_only_deletions_make_a_collection_without_a_page() -> None:
    document = json.loads(export(note(deleted=T0)))
    assert document["total"] == 0
    assert "first" not in document  # the model: a page holds at least one item
    assert parse_collection(export(note(deleted=T0))).records == (note(deleted=T0),)


def test_an_article_without_a_link_is_targeted_by_feed_and_entry_key() -> None:
    ref = ArticleRef(None, "Local only", "https://ex.org/feed?a=1#x", "g:42:b", None)
    (item,) = items_of(export(note(article=ref)))
    assert item["target"]["source"] == (
        "urn:gloss:article:https%3A%2F%2Fex.org%2Ffeed%3Fa%3D1%23x:g%3A42%3Ab"
    )
    # a tool that dropped the extension keys still leaves enough to match the article
    bare = {k: v for k, v in item.items() if k not in ("gloss:feedUrl", "gloss:entryKey")}
    (back,) = parse_json([bare]).records
    assert (back.article.url, back.article.feed_url, back.article.key) == (
        None,
        "https://ex.org/feed?a=1#x",
        "g:42:b",
    )


def test_an_empty_note_is_not_the_same_as_no_note() -> None:
    with_empty = highlight(body="")
    without = highlight(body=None)
    assert parse_collection(export(with_empty)).records == (with_empty,)
    assert parse_collection(export(without)).records == (without,)


def test_records_no_library_could_hold_are_refused_on_export() -> None:
    with pytest.raises(ValueError, match="naive"):
        export(highlight(created=dt.datetime(2024, 1, 1)))
    with pytest.raises(ValueError, match="quote"):
        export(highlight(quote=None))
    with pytest.raises(ValueError, match="kind"):
        export(highlight(kind="bookmark"))


# --- other tools' files -----------------------------------------------------------------------

HYPOTHESIS_STYLE = [
    {
        "@context": "http://www.w3.org/ns/anno.jsonld",
        "type": "Annotation",
        "id": "https://hypothes.is/a/Xy9_abcDEF",
        "created": "2024-03-02T10:00:00.123456+00:00",
        "modified": "2024-03-02T12:00:00+01:00",
        "creator": "acct:someone@hypothes.is",
        "body": [
            {"type": "TextualBody", "value": "Worth rereading.", "format": "text/markdown"},
            {"type": "TextualBody", "purpose": "tagging", "value": "memory"},
        ],
        "target": [
            {
                "source": "https://example.org/posts/memory",
                "selector": [
                    {
                        "type": "RangeSelector",
                        "startSelector": {"type": "XPathSelector", "value": "/p[2]"},
                        "endSelector": {"type": "XPathSelector", "value": "/p[2]"},
                    },
                    {"type": "TextPositionSelector", "start": 10, "end": 33},
                    {
                        "type": "TextQuoteSelector",
                        "exact": "spacing improves recall",
                        "prefix": "that ",
                        "suffix": ", even",
                    },
                ],
            }
        ],
    }
]


def test_a_hypothesis_style_list_becomes_a_highlight_with_default_colour() -> None:
    (record,) = parse_json(HYPOTHESIS_STYLE).records
    assert record.kind == "highlight"
    assert record.article.url == "https://example.org/posts/memory"
    assert (record.quote, record.prefix, record.suffix) == (
        "spacing improves recall",
        "that ",
        ", even",
    )
    assert (record.start, record.end) == (10, 33)
    assert record.color == DEFAULT_HIGHLIGHT_COLOR
    assert record.body == "Worth rereading."
    assert record.tags == ("memory",)
    assert record.created == dt.datetime(2024, 3, 2, 10, 0, 0, 123456, tzinfo=UTC)
    assert record.modified == dt.datetime(2024, 3, 2, 11, 0, tzinfo=UTC)
    assert record.deleted is None


def test_importing_another_tools_file_twice_gives_the_same_ids() -> None:
    first = parse_json(HYPOTHESIS_STYLE).records[0].uuid
    assert parse_json(HYPOTHESIS_STYLE).records[0].uuid == first
    other = [{**HYPOTHESIS_STYLE[0], "id": "https://hypothes.is/a/other"}]
    assert parse_json(other).records[0].uuid != first
    no_id = [quoted("one passage")]
    assert parse_json(no_id).records[0].uuid == parse_json(no_id).records[0].uuid
    assert parse_json(no_id).records[0].uuid != parse_json([quoted("another")]).records[0].uuid


def test_a_bare_page_and_a_bare_annotation_are_accepted() -> None:
    page = {"type": "AnnotationPage", "items": [quoted("first"), quoted("second")]}
    assert [r.quote for r in parse_json(page).records] == ["first", "second"]
    (single,) = parse_json({"@context": W3C_CONTEXT, **quoted("alone")}).records
    assert single.quote == "alone"


def test_embedded_pages_are_followed_and_a_linked_page_refuses_the_file() -> None:
    second = {"type": "AnnotationPage", "items": [quoted("two")]}
    collection = {
        "type": ["AnnotationCollection"],
        "total": 2,
        "first": {"type": "AnnotationPage", "items": [quoted("one")], "next": second},
    }
    assert [r.quote for r in parse_json(collection).records] == ["one", "two"]
    collection["first"]["next"] = "https://example.org/annotations?page=2"  # type: ignore[index]
    assert "page=2" in refused(json.dumps(collection).encode())


def test_a_quote_without_position_or_dates_takes_the_files_time() -> None:
    page = {"type": "AnnotationPage", "generated": "2023-01-02T03:04:05Z", "items": [quoted("x")]}
    (record,) = parse_json(page).records
    assert (record.start, record.end) == (None, None)
    assert record.created == record.modified == dt.datetime(2023, 1, 2, 3, 4, 5, tzinfo=UTC)
    (undated,) = parse_json([quoted("x")]).records
    assert undated.created == NOW


def test_a_page_note_from_another_tool_becomes_an_article_note() -> None:
    page_note = {
        "type": "Annotation",
        "motivation": "commenting",
        "bodyValue": "Good overview.",
        "target": "https://example.org/posts/memory",
        "created": "2024-01-01T00:00:00Z",
    }
    (record,) = parse_json([page_note]).records
    assert (record.kind, record.body, record.color) == ("note", "Good overview.", None)
    assert record.article.url == "https://example.org/posts/memory"


def test_another_tools_classification_is_kept_as_a_tag_and_colour_names_are_colours() -> None:
    item = quoted(
        "x",
        body=[
            {"type": "TextualBody", "purpose": "classifying", "value": "Important"},
            {"type": "TextualBody", "purpose": "classifying", "value": "Blue"},
        ],
    )
    (record,) = parse_json([item]).records
    assert (record.color, record.tags) == ("blue", ("Important",))


def test_bodies_that_are_only_links_are_ignored_not_fatal() -> None:
    (record,) = parse_json([quoted("x", body="https://example.org/elsewhere")]).records
    assert (record.body, record.tags) == (None, ())


# --- what cannot be imported, and why ---------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"hello", "not JSON"),
        (b'{"type": "AnnotationCollection", "first": {', "not JSON"),
        (b'"just a string"', "JSON string"),
        (b"42", "JSON number"),
        (b"null", "JSON null"),
        (b'{"type": "Person", "name": "x"}', "Person"),
        (b'{"name": "x"}', "without a type"),
        (b'[{"type": "Annotation", "created": NaN}]', "NaN"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"total": ' + b"9" * 5000 + b"}", "cannot read"),
        (b'["caf\xe9"]', "not UTF-8"),
        (b'{"type": "AnnotationPage", "items": {}}', "no list of items"),
        (b'{"type": "AnnotationCollection", "total": 3, "first": "https://x.org/p1"}', "linked"),
        (
            b'{"type": "AnnotationCollection", "total": 5, "first": '
            b'{"type": "AnnotationPage", "items": []}}',
            "cut short",
        ),
        (
            b'{"type": "AnnotationPage", "items": [], "gloss:tombstones": {}}',
            "deleted annotations",
        ),
        (b'{"type": "AnnotationPage", "items": [], "gloss:formatVersion": "2"}', "version"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole_with_a_reason(
    data: bytes, expected: str
) -> None:
    message = refused(data)
    assert expected in message
    assert "Nothing was imported" in message


def test_a_file_from_a_newer_gloss_is_refused_with_advice() -> None:
    document = json.loads(export(highlight()))
    document["gloss:formatVersion"] = FORMAT_VERSION + 1
    message = refused(dumps(document))
    assert "newer Gloss" in message
    assert "Update Gloss" in message


def test_files_over_the_size_cap_are_refused_before_parsing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = export(highlight())
    monkeypatch.setattr(wa, "MAX_BYTES", len(data) - 1)
    assert "MB" in refused(data)
    monkeypatch.setattr(wa, "MAX_BYTES", len(data))
    assert len(parse_collection(data).records) == 1


def test_files_with_too_many_annotations_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wa, "MAX_ITEMS", 2)
    assert "more than 2" in refused(json.dumps([quoted("a"), quoted("b"), quoted("c")]).encode())
    assert len(parse_json([quoted("a"), quoted("b")]).records) == 2


def test_a_byte_order_mark_or_utf16_file_is_still_read() -> None:
    text = json.dumps([quoted("naïve")], ensure_ascii=False)
    assert parse_collection(b"\xef\xbb\xbf" + text.encode("utf-8")).records[0].quote == "naïve"
    assert parse_collection(text.encode("utf-16")).records[0].quote == "naïve"


def _only_skip(item: object) -> str:
    parsed = parse_json([quoted("fine"), item])
    assert [r.quote for r in parsed.records] == ["fine"]  # the good one is still imported
    (reason,) = parsed.skipped
    assert reason.startswith("Annotation 2")
    return reason


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        ("a string", "not an annotation object"),
        ({"type": "Person", "target": "https://x.org"}, "not an Annotation"),
        ({"type": "Annotation"}, "no target"),
        ({"type": "Annotation", "target": 5}, "neither an address nor an object"),
        ({"type": "Annotation", "target": {"selector": []}}, "no source address"),
        (
            {"type": "Annotation", "target": ["https://a.org", "https://b.org"], "bodyValue": "x"},
            "2 targets",
        ),
        (
            {
                "type": "Annotation",
                "target": {
                    "source": "https://x.org",
                    "selector": {"type": "TextPositionSelector", "start": 1, "end": 4},
                },
            },
            "without quoting it (only TextPositionSelector)",
        ),
        (
            {
                "type": "Annotation",
                "target": {"source": "https://x.org", "selector": {"type": "TextQuoteSelector"}},
            },
            "quotes no text",
        ),
        (quoted("\x00\x01\x1b"), "quotes no text"),
        ({"type": "Annotation", "target": "https://x.org"}, "neither a quoted passage nor a note"),
        (quoted("x", source="urn:x-pdf:1234"), "not a web address"),
        (quoted("x", created="yesterday"), "creation date 'yesterday' is not a date"),
        (quoted("x", modified=20240101), "modification date 20240101 is not a date"),
        (quoted("x", created="0001-01-01T00:00:00+01:00"), "not a date"),
        (quoted("x", **{"gloss:deleted": "soon"}), "deletion date"),
        (
            {"type": "Annotation", "target": "urn:gloss:article::", "bodyValue": "x"},
            "which article",
        ),
    ],
)
def test_an_annotation_gloss_cannot_use_is_skipped_with_a_reason(
    item: object, expected: str
) -> None:
    assert expected in _only_skip(item)


def test_skip_reasons_name_the_annotation_by_its_id() -> None:
    reason = _only_skip({"type": "Annotation", "id": "https://hypothes.is/a/Q1"})
    assert "'https://hypothes.is/a/Q1'" in reason


def test_a_deleted_annotation_without_a_deletion_date_is_skipped_not_resurrected() -> None:
    document = json.loads(export(highlight(), note(deleted=T0)))
    del document["gloss:tombstones"][0]["gloss:deleted"]
    parsed = parse_collection(dumps(document))
    assert [r.kind for r in parsed.records] == ["highlight"]
    assert parsed.skipped == (
        "Deleted annotation 1 ('urn:uuid:0b5e7c1d-2a3f-4e6b-9c8d-7f6e5d4c3b2a'): it is listed "
        "as deleted but has no deletion date.",
    )


def test_control_characters_are_stripped_and_line_breaks_normalised() -> None:
    item = quoted(
        "a\x00b\x1bc\r\nd\x85e",
        bodyValue="line\rbreak\x07",
        **{"gloss:articleTitle": "Tab\there\nand\x00there"},
    )
    (record,) = parse_json([item]).records
    assert record.quote == "abc\nde"
    assert record.body == "line\nbreak"
    assert record.article.title == "Tab here andthere"


def test_lone_surrogates_become_replacement_characters_that_utf8_can_store() -> None:
    (record,) = parse_collection(
        b'[{"type": "Annotation", "target": {"source": '
        b'"https://x.org", "selector": {"type": "TextQuoteSelector", '
        b'"exact": "a\\ud800b"}}}]'
    ).records
    assert record.quote == "a\ufffdb"
    record.quote.encode("utf-8")


@pytest.mark.parametrize(
    "position",
    [
        {"start": -1, "end": 3},
        {"start": 5, "end": 3},
        {"start": True, "end": 3},
        {"start": "1", "end": 3},
        {"start": 1},
        {"start": 0, "end": 10**30},
    ],
)
def test_a_bad_position_is_dropped_and_the_quote_still_places_the_highlight(
    position: dict[str, object],
) -> None:
    item = quoted("x")
    item["target"]["selector"] = [
        {"type": "TextQuoteSelector", "exact": "x"},
        {"type": "TextPositionSelector", **position},
    ]
    (record,) = parse_json([item]).records
    assert (record.quote, record.start, record.end) == ("x", None, None)


def test_an_unknown_anchor_status_or_publication_date_is_dropped_not_fatal() -> None:
    item = quoted("x", **{"gloss:anchor": "teleported", "gloss:published": "last week"})
    (record,) = parse_json([item]).records
    assert (record.anchor, record.article.published) == (None, None)


def test_labels_for_unknown_colours_are_ignored_and_unreadable_ones_reported() -> None:
    page: dict[str, Any] = {"type": "AnnotationPage", "items": [quoted("x")]}
    page["gloss:labels"] = {"green": " Important ", "orange": "Later", "blue": 3, "pink": "  "}
    assert parse_json(page).labels == {"green": "Important"}
    page["gloss:labels"] = ["green"]
    parsed = parse_json(page)
    assert parsed.labels == {}
    assert parsed.skipped == (
        "The colour names in the file are unreadable; yours were left as they are.",
    )


def test_the_same_id_twice_keeps_the_newer_change() -> None:
    old = highlight(body="old", modified=T0)
    new = highlight(body="new", modified=T0 + dt.timedelta(days=1))
    for first, second in ((old, new), (new, old)):
        document = json.loads(export(first))
        document["first"]["items"] += json.loads(export(second))["first"]["items"]
        document["total"] = 2
        parsed = parse_collection(dumps(document))
        assert [r.body for r in parsed.records] == ["new"]
        assert len(parsed.skipped) == 1
        assert "same id" in parsed.skipped[0]


# --- nothing crashes, nothing vanishes --------------------------------------------------------

_KEYS = st.sampled_from(
    [
        "type",
        "id",
        "target",
        "source",
        "selector",
        "exact",
        "prefix",
        "suffix",
        "start",
        "end",
        "body",
        "bodyValue",
        "value",
        "purpose",
        "created",
        "modified",
        "gloss:deleted",
        "gloss:published",
        "gloss:feedUrl",
        "gloss:entryKey",
        "gloss:articleTitle",
        "gloss:anchor",
    ]
)
_ATOMS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10)
    | st.sampled_from(
        [
            "Annotation",
            "TextQuoteSelector",
            "TextPositionSelector",
            "tagging",
            "classifying",
            "https://x.org/a",
            "urn:gloss:article:a:b",
            "urn:uuid:6f1d2c9a-3b4e-4f5a-8c7d-1e2f3a4b5c6d",
            "2024-01-01T00:00:00Z",
            "9999-12-31T23:59:59-05:00",
        ]
    )
)
_JSON = st.recursive(
    _ATOMS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_JSON, max_size=6))
def test_arbitrary_annotations_are_each_imported_or_explained_never_a_crash(
    items: list[object],
) -> None:
    parsed = parse_json(items)
    assert len(parsed.records) + len(parsed.skipped) == len(items)
    for record in parsed.records:
        assert record.created.tzinfo is not None and record.modified.tzinfo is not None
        assert record.kind in ("highlight", "note")
        assert (record.quote is not None) == (record.kind == "highlight")
        assert record.color in ((*HIGHLIGHT_COLORS,) if record.kind == "highlight" else (None,))


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_any_json_document_is_read_or_refused_with_a_gloss_error(document: object) -> None:
    for shape in (
        document,
        {"type": "AnnotationCollection", "first": document},
        {"type": "AnnotationPage", "items": [document], "gloss:tombstones": [document]},
    ):
        with contextlib.suppress(AnnotationFormatError):
            parse_json(shape)


# --- merging (T22: tombstones merge by timestamp, as in Calibre) ------------------------------

T1 = T0 + dt.timedelta(hours=1)
T2 = T0 + dt.timedelta(hours=2)


@pytest.mark.parametrize(
    ("existing_modified", "existing_deleted", "incoming", "expected"),
    [
        # deleted here at t1, edited elsewhere later: the edit wins
        (T0, T1, highlight(modified=T2), "take"),
        # deleted here at t1, edited elsewhere earlier: the deletion stands
        (T0, T1, highlight(modified=T0), "keep"),
        # deleted here and edited elsewhere at the same moment: deletion wins
        (T0, T1, highlight(modified=T1), "keep"),
        # edited here, deleted elsewhere at the same moment: deletion wins
        (T1, None, highlight(modified=T0, deleted=T1), "take"),
        # edited here after the deletion elsewhere: our edit stands
        (T2, None, highlight(modified=T0, deleted=T1), "keep"),
        # deleted elsewhere after our edit: the tombstone comes over
        (T1, None, highlight(modified=T0, deleted=T2), "take"),
        # plain edits: newest wins, identical times change nothing
        (T1, None, highlight(modified=T2), "take"),
        (T2, None, highlight(modified=T1), "keep"),
        (T1, None, highlight(modified=T1), "keep"),
        # both deleted: the later tombstone is taken, the same one is left alone
        (T0, T1, highlight(modified=T0, deleted=T2), "take"),
        (T0, T1, highlight(modified=T0, deleted=T1), "keep"),
    ],
)
def test_newest_change_wins_and_a_deletion_counts_as_a_change(
    existing_modified: dt.datetime,
    existing_deleted: dt.datetime | None,
    incoming: AnnotationRecord,
    expected: str,
) -> None:
    assert merge_decision(existing_modified, existing_deleted, incoming) == expected


def test_a_sub_second_difference_is_a_tie_because_libraries_store_whole_seconds() -> None:
    """Another tool's 12:00:00.5 is stored as 12:00:00; re-importing it must change nothing."""
    incoming = highlight(modified=T1 + dt.timedelta(microseconds=500_000))
    assert merge_decision(T1, None, incoming) == "keep"
    assert merge_decision(T1 - dt.timedelta(seconds=1), None, incoming) == "take"
    # a deletion within the same second still wins the tie
    assert merge_decision(T1, T1, incoming) == "keep"


def test_a_tombstone_exported_from_one_library_beats_an_older_edit_in_another() -> None:
    """A6 end to end: delete on A, export, import on B where the highlight was edited earlier."""
    on_b = highlight(modified=T1)
    (incoming,) = parse_collection(export(highlight(modified=T0, deleted=T2))).records
    assert merge_decision(on_b.modified, on_b.deleted, incoming) == "take"
    assert incoming.deleted == T2
