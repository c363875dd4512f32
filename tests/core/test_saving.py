"""Saving pages, HTML files and texts into the library (issue 5 "Saving pages and text")."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import ArticleFilter, TextSource
from tests.core.test_offline import subscribe
from tests.support.feeds import HTML_HEADERS
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png
from tests.support.pages import CAPTURE, article_page, serve_site


def test_save_url_stores_a_readable_saved_article(library_path: Path) -> None:
    with ScriptedServer() as server:
        server.routes["/story"] = Route(200, article_page("Night train", "/i.png"), HTML_HEADERS)
        server.routes["/i.png"] = Route(200, png(50, 40), {"Content-Type": "image/png"})
        with Library.open(library_path) as library:
            result = library.save_url(server.url("/story"))
            assert not result.duplicate and result.title == "Night train"
            assert result.changes.saved
            steps = list(library.process_offline([result.article_id]))
            assert [s.images_stored for s in steps] == [1]
    with Library.open(library_path) as library:
        detail = library.get_article(result.article_id)
        assert detail.article.saved and detail.article.feed_id is None
        assert detail.article.link == server.url("/story")
        assert detail.text is not None and detail.text.source is TextSource.SAVED
        assert "no signal at all in the carriages" in detail.text.text
        assert 'src="cache:' in detail.text.html
        saved = library.list_articles(ArticleFilter(saved_only=True)).articles
        assert [a.id for a in saved] == [result.article_id]
        assert saved[0].feed_title == "Rail Diary"  # the site's name stands in for a feed


def test_saving_the_same_url_twice_is_offered_as_already_there(library_path: Path) -> None:
    with ScriptedServer() as server:
        server.routes["/story"] = Route(200, article_page("Night train"), HTML_HEADERS)
        with Library.open(library_path) as library:
            first = library.save_url(server.url("/story"))
            again = library.save_url(server.url("/story"))
            assert again.duplicate and again.article_id == first.article_id
            assert server.hits("/story") == 1  # recognised before any request
            assert len(library.list_articles(ArticleFilter(saved_only=True)).articles) == 1


def test_saving_a_page_that_came_from_a_feed_finds_that_article(library_path: Path) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        with Library.open(library_path) as library:
            subscribe(library, server)
            result = library.save_url(server.url("/trips/1"))
            assert result.duplicate and result.title == "Trip 1"


def test_save_html_file_is_extracted_like_a_page(library_path: Path, tmp_path: Path) -> None:
    page = tmp_path / "night-train.html"
    page.write_bytes(article_page("Night train"))
    with Library.open(library_path) as library:
        result = library.save_file(page)
        detail = library.get_article(result.article_id)
        assert detail.article.title == "Night train"
        assert detail.text is not None and "paper timetable" in detail.text.text
        assert "Privacy" not in detail.text.text
        assert library.save_file(page).duplicate


def test_save_text_file_and_markdown_file(library_path: Path, tmp_path: Path) -> None:
    md = tmp_path / "notes.md"
    md.write_text("# Reading list\n\nSome **bold** words and a [link](https://example.org/).\n")
    txt = tmp_path / "clip.txt"
    txt.write_text("A plain clipping\n\nIt has two paragraphs, and that is all.\n")
    with Library.open(library_path) as library:
        md_detail = library.get_article(library.save_file(md).article_id)
        assert md_detail.article.title == "Reading list"
        assert md_detail.text is not None and "<strong>bold</strong>" in md_detail.text.html
        txt_detail = library.get_article(library.save_file(txt).article_id)
        assert txt_detail.article.title == "A plain clipping"
        assert txt_detail.text is not None
        assert txt_detail.text.text == "It has two paragraphs, and that is all."


def test_save_text_capture_is_cleaned_and_teasers_saved_separately(library_path: Path) -> None:
    captured = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
    with Library.open(library_path) as library:
        result = library.save_text(CAPTURE, captured_at=captured)
        detail = library.get_article(result.article_id)
        assert detail.article.title == "Harbour cranes return to the old port"
        assert detail.article.feed_title == "Coastal Courier"
        assert detail.article.published == dt.datetime(2026, 11, 25, 8, 0, tzinfo=dt.UTC)
        text = detail.text.text if detail.text else ""
        assert "sixty years are coming back.\n\nThe city bought them" in text
        for furniture in ("#harbour", "Copy link", "No comments yet", "Related Articles"):
            assert furniture not in text
        assert "Ferry timetable" not in text
        assert len(result.related) == 2
        titles = {r.title for r in detail.related}
        assert titles == {
            "Ferry timetable changes for winter",
            "Lighthouse keeper's cottage opens to visitors",
        }
        teaser = library.get_article(result.related[0])
        assert teaser.article.saved
        assert [r.id for r in teaser.related] == [result.article_id]  # linked back
        # Pasting the same capture again, with other line endings, is recognised.
        again = library.save_text(CAPTURE.replace("\n", "\r\n"), captured_at=captured)
        assert again.duplicate and again.article_id == result.article_id


def test_saved_articles_take_highlights_notes_and_export(
    library_path: Path, tmp_path: Path
) -> None:
    with Library.open(library_path) as library:
        result = library.save_text(CAPTURE)
        library.add_highlight_by_quote(result.article_id, "restored them over the summer")
        library.add_note(result.article_id, "Go to the festival.")
        library.set_read([result.article_id])
        report = library.export_markdown(tmp_path / "vault")
        files = list((tmp_path / "vault").glob("*.md"))
        assert len(files) == 1, report
        exported = files[0].read_text()
        assert "restored them over the summer" in exported
        assert "Go to the festival." in exported


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "no text"), ("   \n\t ", "no text")],
)
def test_empty_text_is_refused(library_path: Path, text: str, message: str) -> None:
    with Library.open(library_path) as library, pytest.raises(GlossError, match=message):
        library.save_text(text)


def test_missing_file_and_folder_are_clear_errors(library_path: Path, tmp_path: Path) -> None:
    with Library.open(library_path) as library:
        with pytest.raises(GlossError, match="no file"):
            library.save_file(tmp_path / "nope.html")
        with pytest.raises(GlossError, match="folder"):
            library.save_file(tmp_path)


def test_dead_server_is_a_clear_error_and_stores_nothing(library_path: Path) -> None:
    with ScriptedServer() as server:
        url = server.url("/gone")
    with Library.open(library_path) as library:
        with pytest.raises(GlossError, match="connect"):
            library.save_url(url)
        assert library.list_articles(ArticleFilter(saved_only=True)).articles == ()
