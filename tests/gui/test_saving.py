"""Saving from the window: Save Page (a web address), paste, drop, and the Saved source.

A real library and a real server on 127.0.0.1 serve the pages and images; the window runs
offscreen with its real task manager, so fetching happens on its network pool as it would for a
user.
"""

from __future__ import annotations

import os
from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QAbstractScrollArea, QApplication
from pytestqt.qtbot import QtBot

from reader.core.types import ArticleFilter, TextSource
from reader.gui.dialogs.save_dialog import LIVE_PREVIEW_CHARS, SavePageDialog, SaveTextDialog
from reader.gui.main_window import MainWindow
from reader.gui.models.feeds_model import UNREAD_ROLE
from tests.gui.conftest import WindowFactory, wait_idle
from tests.support.feeds import HTML_HEADERS
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png
from tests.support.pages import CAPTURE, article_page

SHOTS = Path(os.environ.get("GLOSS_SHOTS", "/tmp"))


def serve_story(server: ScriptedServer, path: str = "/story", title: str = "Night train") -> str:
    server.routes[path] = Route(200, article_page(title, f"{path}.png"), HTML_HEADERS)
    server.routes[f"{path}.png"] = Route(200, png(64, 36), {"Content-Type": "image/png"})
    return server.url(path)


def latest_dialog(window: MainWindow, kind: type) -> object:
    dialogs = [d for d in window._save_dialogs if isinstance(d, kind)]
    assert dialogs, f"no {kind.__name__} is open"
    return dialogs[-1]


def saved_count(window: MainWindow) -> int:
    return int(window.feeds_model.index_for_key("smart:saved").data(UNREAD_ROLE))


def test_save_page_stores_the_article_under_saved_and_offers_it_again(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    with ScriptedServer() as server:
        url = serve_story(server)
        window = make_window(sample_library)
        window.settings.set("mark_read_delay_ms", -1)
        assert saved_count(window) == 0
        window.named_actions["save_page"].trigger()
        dialog = latest_dialog(window, SavePageDialog)
        assert isinstance(dialog, SavePageDialog)
        qtbot.keyClicks(dialog.location, url)
        qtbot.keyClick(dialog.location, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: dialog not in window._save_dialogs, timeout=15_000)
        # The Saved source is chosen and the new article is open, with the page's text.
        assert window.feeds_pane.selected_key() == "smart:saved"
        detail = window.reading_view.detail
        assert detail is not None and detail.article.saved
        assert detail.article.title == "Night train"
        assert "no signal at all in the carriages" in window.reading_view.toPlainText()
        assert window.articles_model.rowCount() == 1
        assert saved_count(window) == 1
        # Its image is fetched in the background; the open article re-shows with it.
        wait_idle(qtbot, window, 15_000)
        qtbot.waitUntil(
            lambda: (
                window.reading_view.detail is not None
                and window.reading_view.detail.text is not None
                and "cache:" in window.reading_view.detail.text.html
            ),
            timeout=10_000,
        )
        window.grab().save(str(SHOTS / "gloss-saved-source.png"))

        # Saving the same address again offers the article already there, with no new request.
        window.go_all()
        again = window.save_page(url, start=True)
        qtbot.waitUntil(lambda: "Already in your library" in again.message(), timeout=10_000)
        assert again.isVisible() and again.outcome.open_button.isVisible()
        assert server.hits("/story") == 1
        qtbot.mouseClick(again.outcome.open_button, Qt.MouseButton.LeftButton)
        assert not again.isVisible()
        assert window.reading_view.detail is not None
        assert window.reading_view.detail.article.id == detail.article.id
    assert len(window.reader.list_articles(ArticleFilter(saved_only=True)).articles) == 1


def test_a_page_that_cannot_be_saved_says_why_and_keeps_the_address(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    with ScriptedServer() as server:
        server.routes["/gone"] = Route(404, b"not here", HTML_HEADERS)
        server.routes["/photo"] = Route(200, png(20, 20), {"Content-Type": "image/png"})
        window = make_window(sample_library)
        for path in ("/gone", "/photo"):
            dialog = window.save_page(server.url(path), start=True)
            qtbot.waitUntil(lambda d=dialog: not d.busy, timeout=15_000)
            assert dialog.isVisible()
            assert dialog.outcome.label.property("error") is True
            assert dialog.message()  # a sentence, not an empty line
            assert dialog.location.text() == server.url(path)  # kept, to be corrected
            assert dialog.save_button.isEnabled()
            dialog.reject()
        # nonsense typed in: told what to type, nothing fetched
        dialog = window.save_page("not an address", start=True)
        assert "http://" in dialog.message()
        dialog.reject()
    wait_idle(qtbot, window)
    assert window.reader.list_articles(ArticleFilter(saved_only=True)).articles == ()


def test_pasted_text_is_previewed_cleaned_and_saved_with_its_related_articles(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    window = make_window(sample_library)
    window.settings.set("mark_read_delay_ms", -1)
    QGuiApplication.clipboard().setText(CAPTURE)
    window.activateWindow()
    qtbot.keyClick(
        window.articles_pane.table,
        Qt.Key.Key_V,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = latest_dialog(window, SaveTextDialog)
    assert isinstance(dialog, SaveTextDialog)
    assert dialog.text() == CAPTURE
    preview = dialog.preview_text()
    assert "Harbour cranes return to the old port" in preview
    assert "Coastal Courier" in preview
    assert "Residents who campaigned" in preview
    # The page's furniture is gone from what will be saved; the teasers are listed apart.
    body = preview.split("Related articles, saved separately")[0]
    assert "Copy link" not in body and "Be the first to comment" not in body
    assert "Related articles, saved separately" in preview
    assert "Ferry timetable changes for winter" in preview.split("saved separately")[1]
    dialog.resize(1000, 620)
    dialog.grab().save(str(SHOTS / "gloss-save-text-dialog.png"))

    # Editing the text updates the preview once typing pauses.
    cursor = dialog.editor.textCursor()
    cursor.setPosition(0)
    dialog.editor.setTextCursor(cursor)
    dialog.editor.insertPlainText("Two ")
    qtbot.waitUntil(lambda: "Two Harbour cranes" in dialog.preview_text())
    dialog.editor.setPlainText(CAPTURE)
    qtbot.waitUntil(lambda: "Two Harbour" not in dialog.preview_text())

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog not in window._save_dialogs, timeout=10_000)
    assert window.feeds_pane.selected_key() == "smart:saved"
    assert window.articles_model.rowCount() == 3  # the article and its two related ones
    detail = window.reading_view.detail
    assert detail is not None and detail.article.title == "Harbour cranes return to the old port"
    assert detail.text is not None and detail.text.source is TextSource.SAVED
    titles = {r.title: r.id for r in detail.related}
    assert "Ferry timetable changes for winter" in titles
    # The related list in the reading view opens the teaser.
    window.reading_view.related_article_requested.emit(
        int(titles["Ferry timetable changes for winter"])
    )
    assert window.reading_view.detail is not None
    assert window.reading_view.detail.article.title == "Ferry timetable changes for winter"

    # The same capture again is recognised.
    wait_idle(qtbot, window)
    again = window.save_text_dialog(CAPTURE)
    qtbot.mouseClick(again.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Already in your library" in again.message(), timeout=10_000)
    assert again.isVisible()
    again.reject()
    assert len(window.reader.list_articles(ArticleFilter(saved_only=True)).articles) == 3


def test_a_copied_address_is_saved_as_a_page(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    with ScriptedServer() as server:
        url = serve_story(server, "/copied", "Copied story")
        window = make_window(sample_library)
        QGuiApplication.clipboard().setText(f"  {url}\n")
        window.named_actions["save_clipboard"].trigger()
        dialog = latest_dialog(window, SavePageDialog)
        assert isinstance(dialog, SavePageDialog)
        qtbot.waitUntil(
            lambda: (
                window.reading_view.detail is not None
                and window.reading_view.detail.article.title == "Copied story"
            ),
            timeout=15_000,
        )
        assert window.feeds_pane.selected_key() == "smart:saved"
        assert dialog not in window._save_dialogs  # closed once saved
        wait_idle(qtbot, window, 15_000)


def drop(window: MainWindow, mime: QMimeData, onto: QAbstractScrollArea | None = None) -> None:
    """Drag onto a pane, then drop, as Qt routes them: a pane that does not take the drag
    passes it up to the window (a drop only goes where a drag was accepted)."""
    target = (onto or window.reading_view).viewport()
    where = target.rect().center()
    enter = QDragEnterEvent(
        where, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )  # fmt: skip
    QApplication.sendEvent(target, enter)
    assert enter.isAccepted()
    event = QDropEvent(
        QPointF(where),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(target, event)


def test_dropped_files_and_text_are_saved(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path, tmp_path: Path
) -> None:
    window = make_window(sample_library)
    assert window.acceptDrops()
    page = tmp_path / "kept-page.html"
    page.write_bytes(article_page("A page kept on disk"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(page))])
    drop(window, mime)
    qtbot.waitUntil(
        lambda: (
            window.reading_view.detail is not None
            and window.reading_view.detail.article.title == "A page kept on disk"
        ),
        timeout=15_000,
    )
    assert "no signal at all" in window.reading_view.toPlainText()

    # Several files at once: each is saved.
    second, third = tmp_path / "second.html", tmp_path / "third.html"
    # (Different words: a file with the same text as one already saved is that article.)
    second.write_bytes(article_page("The second kept page", extra="<p>Second words.</p>"))
    third.write_bytes(article_page("The third kept page", extra="<p>Third words.</p>"))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(second)), QUrl.fromLocalFile(str(third))])
    drop(window, mime)

    def saved_titles() -> set[str]:
        page = window.reader.list_articles(ArticleFilter(saved_only=True))
        return {a.title for a in page.articles}

    qtbot.waitUntil(
        lambda: {"The second kept page", "The third kept page"} <= saved_titles(), timeout=20_000
    )

    notes = tmp_path / "field-notes.md"
    notes.write_text("# Field notes\n\nThe tide came in early on the second day.\n")
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(notes))])
    drop(window, mime, onto=window.articles_pane.table)
    qtbot.waitUntil(lambda: any(isinstance(d, SaveTextDialog) for d in window._save_dialogs))
    dialog = latest_dialog(window, SaveTextDialog)
    assert isinstance(dialog, SaveTextDialog)
    assert "The tide came in early" in dialog.text()
    assert "The tide came in early" in dialog.preview_text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog not in window._save_dialogs, timeout=10_000)
    detail = window.reading_view.detail
    assert detail is not None and detail.article.title == "Field notes"

    mime = QMimeData()
    mime.setText("A dropped paragraph about the harbour wall and its new lights.")
    drop(window, mime, onto=window.feeds_pane.tree)
    text_dialog = latest_dialog(window, SaveTextDialog)
    assert isinstance(text_dialog, SaveTextDialog)
    assert text_dialog is not dialog and "harbour wall" in text_dialog.text()
    text_dialog.reject()
    wait_idle(qtbot, window)
    saved = window.reader.list_articles(ArticleFilter(saved_only=True)).articles
    assert {a.title for a in saved} == {
        "A page kept on disk",
        "The second kept page",
        "The third kept page",
        "Field notes",
    }


def test_a_long_capture_is_previewed_without_freezing_the_window(
    qtbot: QtBot, make_window: WindowFactory, sample_library: Path
) -> None:
    window = make_window(sample_library)
    paragraph = "A long paragraph about the harbour and its cranes, written out in full. " * 6
    text = "The long harbour report\n\n" + "\n\n".join([paragraph] * 80)
    assert len(text) > LIVE_PREVIEW_CHARS
    dialog = window.save_text_dialog(text)
    assert "Preparing the preview" in dialog.preview_text()  # cleaned on the network pool
    qtbot.waitUntil(lambda: "The long harbour report" in dialog.preview_text(), timeout=10_000)
    assert dialog.capture is not None and len(dialog.capture.paragraphs) >= 80
    dialog.reject()
