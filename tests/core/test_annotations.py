"""Highlights, notes and tags through the Library, against real library files and real refreshes.

These are reliability.md's T and A cases as a user meets them: a highlight made on an article
follows its words when the publisher edits the article, becomes a visible orphan when the words
are gone, and is never deleted by the program (rule 7).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.storage.sql import fetch_all, scalar
from reader.core.types import ArticleFilter, ArticleId, HighlightFilter, TextSource
from tests.core.test_anchor import P1, P2, P3, P4, P5
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

QUOTE = "A good night of sleep improves memory for facts learned the day before"


def html(*paragraphs: str) -> str:
    return "".join(f"<p>{p}</p>" for p in paragraphs)


BASE = html(P1, P2, P3, P4, P5)


@pytest.fixture
def library(library_path: Path) -> Iterator[Library]:
    lib = Library.open(library_path)
    yield lib
    lib.close()


class Publisher:
    """A feed on 127.0.0.1 whose one article the test rewrites between refreshes."""

    def __init__(self, library: Library, server: ScriptedServer) -> None:
        self.library = library
        self.server = server
        self.guid = "essay-1"
        self.publish(BASE)
        self.feed_id, _ = library.subscribe(server.url("/feed"))
        list(library.refresh())
        [article] = library.list_articles().articles
        self.article_id = article.id

    def publish(self, body: str, *, guid: str | None = None) -> None:
        self.guid = guid or self.guid
        item = Item(self.guid, "On sleep", body=body, link="https://example.org/essay")
        self.server.routes["/feed"] = Route(body=rss("Essays", [item]), headers=RSS_HEADERS)

    def republish(self, body: str, *, guid: str | None = None) -> None:
        self.publish(body, guid=guid)
        [result] = list(self.library.refresh())
        assert result.error is None, result.error

    def text(self) -> str:
        detail = self.library.get_article(self.article_id)
        assert detail.text is not None
        return detail.text.text


@pytest.fixture
def publisher(library: Library, http_server: ScriptedServer) -> Publisher:
    return Publisher(library, http_server)


def shown(publisher: Publisher, highlight_id: int) -> str:
    h = publisher.library.get_highlight(highlight_id)  # type: ignore[arg-type]
    return publisher.text()[h.start : h.end]


# ---- making highlights ----------------------------------------------------------------------


def test_t1_highlight_by_quote_is_exact_and_survives_an_unchanged_refresh(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, changes = lib.add_highlight_by_quote(publisher.article_id, QUOTE, note="Sleep on it.")
    assert h.anchor == "exact" and h.quote == QUOTE and h.note == "Sleep on it."
    assert publisher.text()[h.start : h.end] == QUOTE
    assert changes.highlights == {h.id} and changes.articles == {publisher.article_id}
    publisher.republish(BASE)
    again = lib.get_highlight(h.id)
    assert (again.anchor, again.start, again.end) == ("exact", h.start, h.end)


def test_quote_spacing_and_line_breaks_match_any_whitespace(publisher: Publisher) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(
        publisher.article_id, "and the effect is\n  strongest for material"
    )
    assert h.quote == "and the effect is strongest for material"


def test_occurrence_picks_the_nth_appearance_and_errors_are_plain(publisher: Publisher) -> None:
    lib, aid = publisher.library, publisher.article_id
    text = publisher.text()
    third = lib.add_highlight_by_quote(aid, "the", occurrence=3)[0]
    firsts = [i for i in range(len(text)) if text.startswith("the", i)]
    assert third.start == firsts[2]
    with pytest.raises(GlossError, match="does not contain"):
        lib.add_highlight_by_quote(aid, "words that are nowhere")
    with pytest.raises(GlossError, match="occurs 1 time"):
        lib.add_highlight_by_quote(aid, "Growing tomatoes", occurrence=2)
    with pytest.raises(GlossError, match="colour"):
        lib.add_highlight_by_quote(aid, "Growing tomatoes", color="beige")
    with pytest.raises(GlossError, match="only spaces"):
        space = text.index(" ")
        lib.add_highlight(aid, space, space + 1)
    with pytest.raises(GlossError, match="no article"):
        lib.add_highlight_by_quote(ArticleId(999), "x")


def test_selection_with_surrounding_spaces_is_trimmed(publisher: Publisher) -> None:
    text = publisher.text()
    start = text.index(QUOTE)
    h, _ = publisher.library.add_highlight(publisher.article_id, start - 1, start + len(QUOTE))
    assert h.quote == QUOTE


# ---- the article changes underneath (A1, A2, A3, T2–T8, T13) ---------------------------------


def test_t2_a1_paragraph_inserted_before_relocates(publisher: Publisher) -> None:
    h, _ = publisher.library.add_highlight_by_quote(publisher.article_id, QUOTE)
    publisher.republish(
        html("Editor's note: this essay was updated on Friday.", P1, P2, P3, P4, P5)
    )
    moved = publisher.library.get_highlight(h.id)
    assert moved.anchor == "relocated" and moved.start > h.start
    assert shown(publisher, h.id) == QUOTE


def test_t3_whitespace_and_nbsp_changes_keep_it_exact_without_a_new_version(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    versions = scalar(lib._db, "SELECT count(*) FROM article_texts")
    spaced = P2.replace("good night", "good  night").replace("improves memory", "improves\nmemory")
    spaced = spaced.replace("facts learned", "facts&nbsp;learned")
    publisher.republish(html(P1, spaced, P3, P4, P5))
    assert lib.get_highlight(h.id).anchor == "exact"
    assert scalar(lib._db, "SELECT count(*) FROM article_texts") == versions


def test_t4_soft_hyphen_and_zero_width_space_inside_a_word_keep_it_exact(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    p2 = P2.replace("memory", "mem&shy;ory").replace("learned the", "lear\u200bned the")
    publisher.republish(html(P1, p2, P3, P4, P5))
    assert lib.get_highlight(h.id).anchor == "exact"
    assert shown(publisher, h.id) == QUOTE


def test_t5_a1_typo_fix_inside_the_quote_is_fuzzy_over_the_new_words(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    publisher.republish(html(P1, P2.replace("improves memory", "improves the memory"), P3, P4, P5))
    fuzzy = lib.get_highlight(h.id)
    assert fuzzy.anchor == "fuzzy" and (fuzzy.score or 0) >= 0.9
    assert shown(publisher, h.id) == QUOTE.replace("improves memory", "improves the memory")


def test_t7_a2_deleted_passage_orphans_but_keeps_quote_note_and_tags(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE, note="Check this #sleep")
    publisher.republish(html(P1, P3, P4, P5))
    orphan = lib.get_highlight(h.id)
    assert orphan.anchor == "orphan"
    assert (orphan.quote, orphan.note, orphan.tags) == (QUOTE, "Check this #sleep", ("sleep",))
    assert [x.id for x in lib.list_highlights(publisher.article_id)] == [h.id]
    assert [
        e.highlight.id for e in lib.list_highlight_entries(HighlightFilter(orphans_only=True))
    ] == [h.id]


def test_t8_rewritten_paragraph_orphans_instead_of_attaching_elsewhere(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    rewritten = (
        "Scientists agree that resting well helps people retain what they studied, although "
        "nobody is sure how. Half-learned material seems to gain the most."
    )
    publisher.republish(html(P1, rewritten, P3, P4, P5))
    assert lib.get_highlight(h.id).anchor == "orphan"


def test_t13_quote_across_a_paragraph_break_survives_the_break_becoming_a_line(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    text = publisher.text()
    start = text.index("disturbed by whatever comes next.")
    end = text.index("The city council voted") + len("The city council voted")
    h, _ = lib.add_highlight(publisher.article_id, start, end)
    assert "\n\n" in h.quote
    publisher.republish(f"<p>{P1}</p><p>{P2}<br>{P3}</p><p>{P4}</p><p>{P5}</p>")
    moved = lib.get_highlight(h.id)
    assert moved.anchor in ("exact", "relocated")
    assert " ".join(shown(publisher, h.id).split()) == " ".join(h.quote.split())


def test_a3_text_versions_carrying_highlights_are_kept(publisher: Publisher) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    made_on = scalar(lib._db, "SELECT created_on_text_id FROM highlights WHERE id = ?", [h.id])
    publisher.republish(html("New intro.", P1, P2, P3, P4, P5))
    publisher.republish(html("Newer intro.", P1, P2, P3, P4, P5))
    versions = fetch_all(
        lib._db, "SELECT id FROM article_texts WHERE article_id = ?", [publisher.article_id]
    )
    ids = [v["id"] for v in versions]
    # The version it was made on stays; the unpinned middle version was dropped; the newest shows.
    assert made_on in ids and len(ids) == 2
    assert lib.get_highlight(h.id).text_id == lib.get_article(publisher.article_id).text.id  # type: ignore[union-attr]


# ---- versions, dedupe and deletion (T18–T21, A4–A6) -----------------------------------------


def test_t18_reanchor_all_after_a_normalizer_change_reports_and_loses_nothing(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    kept, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE, note="one")
    lost, _ = lib.add_highlight_by_quote(publisher.article_id, "Growing tomatoes on a balcony")
    # What a changed canonical form would do to the stored text of this version.
    with lib._transaction():
        lib._db.conn.execute(
            "UPDATE article_texts SET text = replace(replace(text, 'Growing tomatoes on a "
            "balcony', 'Balcony gardening'), char(10) || char(10), char(10)), canon_version = 2"
        )
    report = lib.reanchor_all()
    assert report.total == 2 and report.orphan == 1 and report.relocated == 1
    assert lib.get_highlight(lost.id).anchor == "orphan"
    assert lib.get_highlight(kept.id).note == "one"


def test_t19_new_text_version_keeps_the_old_one_and_reports(publisher: Publisher) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    gone, _ = lib.add_highlight_by_quote(publisher.article_id, "Growing tomatoes on a balcony")
    before = lib.get_article(publisher.article_id).text
    full = (
        "<nav>Home · News · Science</nav><article>"
        + html(P1, P2, P3, P5)
        + "</article><footer>Subscribe to our newsletter</footer>"
    )
    report, changes = lib.set_article_text(
        publisher.article_id, full, extractor="trafilatura", extractor_version="2.3.1"
    )
    assert (report.relocated, report.orphan) == (1, 1)
    assert changes.articles == {publisher.article_id}
    after = lib.get_article(publisher.article_id).text
    assert after is not None and before is not None
    assert after.source is TextSource.FULLTEXT and after.id != before.id
    rows = fetch_all(lib._db, "SELECT id FROM article_texts WHERE id = ?", [before.id])
    assert rows, "the feed's version is kept"
    assert shown(publisher, h.id) == QUOTE
    assert lib.get_highlight(gone.id).anchor == "orphan"


def test_t20_a4_guid_change_keeps_highlights_on_the_same_article(publisher: Publisher) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE, note="kept")
    publisher.republish(BASE, guid="https://example.org/essay?utm=1")
    [article] = lib.list_articles().articles
    assert article.id == publisher.article_id
    assert [x.id for x in lib.list_highlights(article.id)] == [h.id]


def test_t21_a5_removing_the_feed_keeps_annotated_articles_and_no_cascade(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE)
    lib.add_note(publisher.article_id, "my note")
    lib.remove_feed(publisher.feed_id)
    assert lib.get_highlight(h.id).quote == QUOTE
    assert lib.get_article(publisher.article_id).text is not None
    with pytest.raises(Exception, match="FOREIGN KEY"), lib._transaction():
        lib._db.conn.execute("DELETE FROM articles WHERE id = ?", [publisher.article_id])
    assert lib.list_notes(publisher.article_id)[0].body == "my note"


def test_a6_delete_is_a_tombstone_undo_restores_and_refresh_does_not_resurrect(
    publisher: Publisher,
) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE, note="n")
    changes = lib.delete_highlight(h.id)
    assert changes.highlights == {h.id}
    assert lib.list_highlights(publisher.article_id) == []
    tomb = lib.get_highlight(h.id)
    assert tomb.deleted_at is not None and tomb.quote == QUOTE and tomb.note == "n"
    publisher.republish(html("Intro.", P1, P2, P3, P4, P5))
    assert lib.list_highlights(publisher.article_id) == []
    lib.restore_highlight(h.id)
    [back] = lib.list_highlights(publisher.article_id)
    assert back.anchor == "relocated" and back.note == "n"
    lib.delete_highlight(h.id)
    with pytest.raises(GlossError, match="deleted"):
        lib.set_highlight_color(h.id, "blue")


def test_reattach_moves_an_orphan_to_the_chosen_words(publisher: Publisher) -> None:
    lib = publisher.library
    h, _ = lib.add_highlight_by_quote(publisher.article_id, QUOTE, note="keep me", color="pink")
    publisher.republish(html(P1, P3, P4, P5))
    text = publisher.text()
    start = text.index("The city council")
    lib.reattach_highlight(h.id, start, start + len("The city council"))
    moved = lib.get_highlight(h.id)
    assert (moved.anchor, moved.quote, moved.note, moved.color) == (
        "exact",
        "The city council",
        "keep me",
        "pink",
    )


# ---- notes, tags, labels --------------------------------------------------------------------


def test_notes_are_saved_edited_tombstoned_and_restored(publisher: Publisher) -> None:
    lib, aid = publisher.library, publisher.article_id
    note, changes = lib.add_note(aid, "First thoughts about **sleep** #research")
    assert changes.notes == {note.id} and changes.tags
    assert lib.article_tags(aid) == ("research",)
    lib.update_note(note.id, "Second thoughts #later")
    assert lib.list_notes(aid)[0].body == "Second thoughts #later"
    assert lib.article_tags(aid) == ("later",)
    lib.delete_note(note.id)
    assert lib.list_notes(aid) == [] and lib.article_tags(aid) == ()
    lib.restore_note(note.id)
    assert [n.body for n in lib.list_notes(aid)] == ["Second thoughts #later"]
    with pytest.raises(GlossError, match="needs some text"):
        lib.add_note(aid, "   ")


def test_field_tags_survive_note_edits_and_tags_filter_articles(publisher: Publisher) -> None:
    lib, aid = publisher.library, publisher.article_id
    h, _ = lib.add_highlight_by_quote(aid, QUOTE, note="#memory and issue #42")
    assert lib.get_highlight(h.id).tags == ("memory",)  # "#42" is not a tag
    lib.set_highlight_tags(h.id, ["#Sleep, to read"])
    assert lib.get_highlight(h.id).tags == ("memory", "read", "Sleep", "to")
    lib.set_highlight_note(h.id, "no tags now")
    assert lib.get_highlight(h.id).tags == ("read", "Sleep", "to")
    lib.set_article_tags(aid, ["essays"])
    names = {t.name: (t.articles, t.highlights) for t in lib.list_tags()}
    assert names == {"essays": (1, 0), "read": (0, 1), "Sleep": (0, 1), "to": (0, 1)}
    assert [a.id for a in lib.list_articles(ArticleFilter(tag="Sleep")).articles] == [aid]
    assert [a.id for a in lib.list_articles(ArticleFilter(tag="essays")).articles] == [aid]
    assert lib.list_articles(ArticleFilter(tag="nothing")).articles == ()


def test_colour_labels_default_rename_and_reset(library: Library) -> None:
    assert library.color_labels() == {
        "yellow": "Yellow",
        "green": "Green",
        "blue": "Blue",
        "pink": "Pink",
        "purple": "Purple",
    }
    assert library.set_color_label("pink", "  question ").labels
    assert library.color_labels()["pink"] == "question"
    library.set_color_label("pink", "")
    assert library.color_labels()["pink"] == "Pink"
    with pytest.raises(GlossError, match="colour"):
        library.set_color_label("teal", "x")


def test_global_list_is_newest_first_filtered_and_paged(publisher: Publisher) -> None:
    lib, aid = publisher.library, publisher.article_id
    made = [
        lib.add_highlight_by_quote(aid, q, color=c)[0]
        for q, c in (("harbour town", "yellow"), ("market hall", "blue"), ("tomatoes", "blue"))
    ]
    lib.set_highlight_tags(made[0].id, ["places"])
    everything = lib.list_highlight_entries(HighlightFilter())
    assert [e.highlight.id for e in everything] == [h.id for h in reversed(made)]
    assert everything[0].article_title == "On sleep" and everything[0].feed_title == "Essays"
    blue = lib.list_highlight_entries(HighlightFilter(colors=("blue",)))
    assert {e.highlight.id for e in blue} == {made[1].id, made[2].id}
    assert [e.highlight.id for e in lib.list_highlight_entries(HighlightFilter(tag="places"))] == [
        made[0].id
    ]
    assert lib.list_highlight_entries(HighlightFilter(feed_ids=())) == []
    first = lib.list_highlight_entries(HighlightFilter(limit=2))
    last = first[-1].highlight
    rest = lib.list_highlight_entries(HighlightFilter(before=(last.created_at, last.id)))
    assert [e.highlight.id for e in first + rest] == [h.id for h in reversed(made)]


def test_t24_two_hundred_highlights_on_a_long_article_all_follow_an_edit(
    library: Library, http_server: ScriptedServer
) -> None:
    paragraphs = [f"Paragraph {i}. " + (P1, P2, P3, P4, P5)[i % 5] for i in range(600)]
    publisher = Publisher.__new__(Publisher)
    publisher.library, publisher.server, publisher.guid = library, http_server, "long"
    publisher.publish(html(*paragraphs))
    publisher.feed_id, _ = library.subscribe(http_server.url("/feed"))
    list(library.refresh())
    publisher.article_id = library.list_articles().articles[0].id
    assert len(publisher.text()) > 400_000
    made = [
        library.add_highlight_by_quote(publisher.article_id, f"Paragraph {i}. ")[0]
        for i in range(0, 600, 3)
    ]
    edited = list(paragraphs)
    edited.insert(0, "A correction was added at the top of this very long article.")
    edited[300] = edited[300].replace("harbour", "harbor")
    publisher.republish(html(*edited))
    for h in made:
        assert shown(publisher, h.id) == h.quote
        assert library.get_highlight(h.id).anchor == "relocated"


# ---- durability ------------------------------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from reader.core.library import Library
    lib = Library.open(Path(sys.argv[1]))
    note_id = int(sys.argv[2])
    for i in range(1, 10_000):
        lib.update_note(note_id, f"draft {i}")
        print(i, flush=True)
        time.sleep(0.005)
    """
)


def test_every_saved_note_edit_survives_kill_9(library_path: Path) -> None:
    with Library.open(library_path) as lib:
        from reader.core.demo import load_demo

        load_demo(lib)
        aid = lib.list_articles().articles[0].id
        note, _ = lib.add_note(aid, "draft 0")
    for _trial in range(3):
        process = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(library_path), str(note.id)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        )
        assert process.stdout is not None
        acknowledged = 0
        for line in process.stdout:
            acknowledged = int(line)
            if acknowledged >= 15:
                break
        process.send_signal(signal.SIGKILL)
        process.wait()
        with Library.open(library_path) as lib:
            body = lib.get_note(note.id).body
        assert int(body.split()[1]) >= acknowledged


def test_add_article_tags_tags_a_selection_in_one_go_keeping_existing_tags(
    library: Library,
) -> None:
    from reader.core.demo import load_demo
    from reader.core.errors import NotFoundError

    load_demo(library)
    first, second, third = (a.id for a in library.list_articles().articles[:3])
    library.set_article_tags(first, ["old"])
    library.add_note(second, "see #from-note")

    changes = library.add_article_tags([first, second, first], ["#New, from-note"])

    assert changes.articles == frozenset({first, second}) and changes.tags
    assert library.article_tags(first) == ("from-note", "New", "old")
    assert library.article_field_tags(first) == ("from-note", "New", "old")
    # The note's tag is now also a field tag: it outlives the note.
    assert library.article_field_tags(second) == ("from-note", "New")
    assert library.article_tags(third) == ()
    assert len(library.list_articles(ArticleFilter(tag="New")).articles) == 2

    # One transaction: a missing id writes nothing at all.
    with pytest.raises(NotFoundError, match="no article 999999"):
        library.add_article_tags([third, ArticleId(999999)], ["never"])
    assert library.article_tags(third) == ()
    assert "never" not in {t.name for t in library.list_tags()}
