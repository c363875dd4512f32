"""Highlights follow their words through edits, and become orphans rather than land on wrong text.

The cases are those of reliability.md §5.4 (T1–T23) on five paragraphs of ordinary prose, with the
highlight in the second paragraph, as the reading view would have it in canonical text.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reader.core.anchor import ANCHOR_CONTEXT, Anchor, Selector, anchor, make_selector

P1 = (
    "The harbour town wakes slowly in winter. Fishing boats sit low in the water, their nets "
    "folded under blue tarpaulins, and the gulls stand on the sea wall as if waiting for "
    "instructions. By eight o'clock the bakery has opened its shutters, and a short queue forms "
    "outside, mostly retired men in thick coats who talk about the weather and the price of "
    "diesel. The ferry to the island runs twice a day at this time of year, and on rough "
    "mornings it does not run at all. Nobody seems to mind very much. There is a patience here "
    "that visitors notice within a day or two, and that some of them come back for, year after "
    "year, long after the summer crowds have gone home."
)
P2 = (
    "Researchers have known for decades that sleep plays a part in learning, but the details "
    "are still being worked out. In one study, students who slept after practising a list of "
    "word pairs remembered more of them the next morning than students who stayed awake. A "
    "good night of sleep improves memory for facts learned the day before, and the effect is "
    "strongest for material that was only half learned. Some scientists think the brain "
    "replays the day's experiences during deep sleep, strengthening the connections that "
    "matter and letting the rest fade. Others point out that simply avoiding new information "
    "for a few hours may explain part of the benefit, since fresh memories are easily "
    "disturbed by whatever comes next."
)
P3 = (
    "The city council voted on Tuesday to close the old market hall for repairs. The building, "
    "which dates from the late nineteenth century, has a leaking roof and wiring that no "
    "longer meets safety standards. Traders will move to a temporary site in the car park "
    "behind the station while the work is done, which the council expects to take about "
    "eighteen months. Several stallholders said they were worried about losing customers who "
    "do not know about the move. A spokesperson for the council said that signs would be put "
    "up around the town centre and that the temporary site would have better lighting and "
    "more space than the hall itself. The first traders are expected to move in the spring."
)
P4 = (
    "Growing tomatoes on a balcony is easier than most people think. The plants need a large "
    "pot, plenty of sun and regular watering, especially in hot weather when the soil dries "
    "out quickly. Choose a compact variety that does not need much support, or tie the stems "
    "loosely to a cane as they grow. Feed the plants once a week with a liquid fertiliser once "
    "the first flowers appear. Pinch out the side shoots that grow between the main stem and "
    "the leaves, so that the plant puts its energy into fruit rather than foliage. With a "
    "little care, a single plant can produce several kilos of tomatoes over the summer, and "
    "they taste far better than anything from the shop."
)
P5 = (
    "The museum's new exhibition brings together maps from five centuries. Some were drawn by "
    "hand for sailors and merchants, others printed in large numbers for schools and "
    "travellers. What is striking is how much the maps reveal about the people who made them: "
    "which places they thought important, which they left blank, and which they simply "
    "invented. One early chart shows an island off the coast of Ireland that never existed, "
    "yet it was copied from map to map for more than two hundred years. The curators have "
    "arranged the rooms by theme rather than by date, so that visitors can compare how "
    "different ages pictured the same coastline. The exhibition runs until the end of March."
)
PARAGRAPHS = [P1, P2, P3, P4, P5]
QUOTE = "A good night of sleep improves memory for facts learned the day before"


def join(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs)


BASE = join(PARAGRAPHS)


def highlight(text: str = BASE, quote: str = QUOTE, occurrence: int = 0) -> Selector:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(quote, start + 1)
    return make_selector(text, start, start + len(quote))


def anchored_text(result: Anchor, text: str) -> str:
    assert result.start is not None and result.end is not None
    return text[result.start : result.end]


# ---- selectors ----------------------------------------------------------------------------------


def test_selector_keeps_quote_offsets_and_word_trimmed_context() -> None:
    selector = highlight()
    assert selector.quote == QUOTE
    assert BASE[selector.start : selector.end] == QUOTE
    assert _MIN <= len(selector.prefix) <= ANCHOR_CONTEXT
    assert _MIN <= len(selector.suffix) <= ANCHOR_CONTEXT
    assert BASE[: selector.start].endswith(selector.prefix)
    assert BASE[selector.end :].startswith(selector.suffix)
    # Trimmed at word boundaries: no half word at the far ends of the context.
    assert BASE[selector.start - len(selector.prefix) - 1].isspace()
    assert BASE[selector.end + len(selector.suffix)].isspace()


_MIN = 48


def test_selector_at_the_edges_of_the_text_has_short_context() -> None:
    selector = make_selector(BASE, 0, 3)
    assert (selector.quote, selector.prefix) == ("The", "")
    end = make_selector(BASE, len(BASE) - 6, len(BASE))
    assert (end.quote, end.suffix) == ("March.", "")


@pytest.mark.parametrize("span", [(5, 5), (-1, 4), (10, 4), (0, len(BASE) + 1)])
def test_selector_rejects_empty_or_out_of_range_spans(span: tuple[int, int]) -> None:
    with pytest.raises(ValueError):
        make_selector(BASE, *span)


# ---- the mutation suite -------------------------------------------------------------------------


def test_t1_unchanged_text_is_exact_at_the_same_offsets() -> None:
    selector = highlight()
    for same_version in (True, False):
        result = anchor(selector, BASE, same_version=same_version)
        assert result == Anchor("exact", selector.start, selector.end, 1.0)


def test_t2_paragraph_inserted_before_relocates_the_same_quote() -> None:
    selector = highlight()
    note = "Editor's note: this article was updated on Monday to correct the name of the study."
    text = join([P1, note, P2, P3, P4, P5])
    result = anchor(selector, text)
    assert result.status == "relocated"
    assert anchored_text(result, text) == QUOTE
    assert result.start == text.index(QUOTE)


def test_t5_word_inserted_inside_the_quote_is_fuzzy_over_the_new_wording() -> None:
    selector = highlight()
    text = BASE.replace("improves memory", "improves the memory")
    result = anchor(selector, text)
    assert result.status == "fuzzy"
    assert anchored_text(result, text) == QUOTE.replace("improves memory", "improves the memory")
    assert result.score >= 0.9


def test_t6_edit_only_in_the_context_relocates() -> None:
    selector = highlight()
    text = BASE.replace("than students who stayed awake", "than those who stayed up all night")
    text = text.replace("strongest for material", "clearest for material")
    result = anchor(selector, text)
    assert result.status == "relocated"
    assert anchored_text(result, text) == QUOTE


def test_t7_deleted_paragraph_orphans_the_highlight() -> None:
    assert anchor(highlight(), join([P1, P3, P4, P5])) == Anchor("orphan", None, None, 0.0)


def test_t8_rewritten_paragraph_orphans_rather_than_attaching_elsewhere() -> None:
    rewritten = (
        "Scientists have long suspected that rest helps us learn, though the mechanism is "
        "unclear. After a full night in bed, people recall yesterday's lessons better, "
        "particularly the ones they had barely grasped. One theory holds that deep rest lets "
        "the mind rehearse recent events; another says that shutting out new input protects "
        "fragile recollections."
    )
    text = join([P1, rewritten, P3, P4, P5])
    assert anchor(highlight(), text).status == "orphan"


def test_t9_reordered_paragraphs_relocate() -> None:
    selector = highlight()
    text = join([P5, P3, P1, P4, P2])
    result = anchor(selector, text)
    assert result.status == "relocated"
    assert result.start == text.index(QUOTE)


def test_t10_duplicated_passage_keeps_the_highlight_on_the_second_copy() -> None:
    # A pull quote repeats the sentence; only what follows it differs from the body copy.
    repeated = P2[: P2.index(", and the effect")] + "."
    original = join([P1, repeated, P3, P2, P4, P5])
    selector = highlight(original, occurrence=1)
    assert selector.start > original.index(P3)
    # The page is re-extracted with new material in front; only the context tells the copies apart.
    text = join([P1, P1, repeated, P3, P2, P4, P5])
    result = anchor(selector, text)
    assert result.status == "relocated"
    assert result.start == text.index(QUOTE, text.index(P3))


def test_t11_identical_duplicates_with_identical_context_are_ambiguous() -> None:
    text = join([P1, P2, P2, P3, P4, P5])
    first = text.index(QUOTE)
    second = text.index(QUOTE, first + 1)
    selector = highlight(text, occurrence=1)
    result = anchor(selector, text)
    assert result.status == "ambiguous"
    assert (result.start, result.end) == (second, second + len(QUOTE))
    assert result.alternatives == ((first, first + len(QUOTE)),)


def test_t12_one_word_quote_attaches_to_the_right_occurrence_via_context() -> None:
    paragraph = P2
    third = -1
    for _ in range(3):
        third = paragraph.index("the", third + 1)
    text_before = join([P1, paragraph])
    start = len(text_before) - len(paragraph) + third
    selector = make_selector(join([P1, P2, P3]), start, start + 3)
    assert selector.quote == "the"
    # Same version: exact. After an edit far away (a paragraph above): the same "the" again.
    assert anchor(selector, join([P1, P2, P3])).status == "exact"
    note = "A correction was added to this story."
    text = join([note, P1, P2, P3])
    result = anchor(selector, text)
    assert result.status == "relocated"
    assert result.start == start + len(note) + 2


def test_t14_boilerplate_added_top_and_bottom_relocates() -> None:
    selector = highlight()
    header = "Home | News | Science | Subscribe to our newsletter for the latest stories."
    footer = "Share this article. Comments are closed. Copyright 2026 The Harbour Gazette."
    text = join([header, *PARAGRAPHS, footer])
    result = anchor(selector, text)
    assert result.status == "relocated"
    assert anchored_text(result, text) == QUOTE


def test_t15_changed_last_word_is_fuzzy_and_snapped_to_a_word_boundary() -> None:
    selector = highlight()
    text = BASE.replace("learned the day before", "learned the day prior")
    result = anchor(selector, text)
    assert result.status == "fuzzy"
    assert (
        anchored_text(result, text)
        == "A good night of sleep improves memory for facts learned the day prior"
    )


def test_fuzzy_match_is_found_in_a_long_text() -> None:
    quote = P2[P2.index("In one study") : P2.index(" Some scientists")]
    assert 150 <= len(quote) <= 350
    others = [P1, P3, P4, P5]
    filler = [others[i % 4].replace("the", f"the{i}") for i in range(800)]
    original = join([*filler, P2, *filler])
    assert len(original) > 500_000
    start = original.index(quote)
    selector = make_selector(original, start, start + len(quote))
    text = original.replace("word pairs", "paired words")
    result = anchor(selector, text)
    assert result.status == "fuzzy"
    assert anchored_text(result, text) == quote.replace("word pairs", "paired words")


# ---- properties (T23) ---------------------------------------------------------------------------

_INSERTABLE = st.text(alphabet="abcdefghij klmnop,.\n", min_size=1, max_size=40)


@st.composite
def edits_outside(draw: st.DrawFn) -> tuple[Selector, str]:
    """A selector on BASE, and BASE edited only away from the quote and its stored context."""
    selector = highlight()
    protected_lo = selector.start - len(selector.prefix)
    protected_hi = selector.end + len(selector.suffix)
    text = BASE
    for _ in range(draw(st.integers(1, 6))):
        before = draw(st.booleans())
        lo, hi = (0, protected_lo) if before else (protected_hi, len(text))
        at = draw(st.integers(lo, hi))
        kind = draw(st.sampled_from(["insert", "delete", "replace"]))
        size = draw(st.integers(0, min(40, (protected_lo - at) if before else (len(text) - at))))
        new = draw(_INSERTABLE) if kind != "delete" else ""
        cut = 0 if kind == "insert" else size
        text = text[:at] + new + text[at + cut :]
        shift = len(new) - cut
        if before:
            protected_lo += shift
            protected_hi += shift
    return selector, text


@settings(max_examples=60, deadline=None)
@given(edits_outside())
def test_t23_edits_outside_the_quote_and_context_never_move_it(case: tuple[Selector, str]) -> None:
    selector, text = case
    result = anchor(selector, text)
    assert result.status in ("exact", "relocated")
    assert anchored_text(result, text) == QUOTE


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_t23_replacing_most_of_the_quote_orphans_it(data: st.DataObject) -> None:
    selector = highlight()
    positions = data.draw(
        st.sets(st.integers(0, len(QUOTE) - 1), min_size=len(QUOTE) // 2 + 1, max_size=len(QUOTE))
    )
    # Characters prose never contains, so no alignment can reuse a replaced character.
    replacement = data.draw(
        st.lists(st.sampled_from("0123456789#@%&*"), min_size=len(QUOTE), max_size=len(QUOTE))
    )
    garbled = "".join(replacement[i] if i in positions else ch for i, ch in enumerate(QUOTE))
    text = BASE.replace(QUOTE, garbled)
    assert anchor(selector, text).status == "orphan"
