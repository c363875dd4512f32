"""Offline reading from the window: a feed's offline options, Make Available Offline with its
progress and Stop, the work that follows a refresh, text source switching, Offline Settings.

The feed sends summaries; its pages and images come from a real server on 127.0.0.1, which is
stopped before articles are opened again, as on a train.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu
from pytestqt.qtbot import QtBot

from reader.core.image_cache import store_image
from reader.core.library import Library
from reader.core.types import ArticleFilter, FeedId, FullTextPolicy, TextSource
from reader.gui.dialogs.offline_settings import OfflineSettingsDialog
from reader.gui.main_window import MainWindow
from tests.gui.conftest import WindowFactory, wait_idle
from tests.gui.test_saving import SHOTS
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png
from tests.support.pages import PARAGRAPHS, article_page


def summary_feed(server: ScriptedServer, count: int = 3, *, changed: int | None = None) -> bytes:
    items = [
        Item(
            guid=f"trip-{n}",
            title=f"Trip {n}",
            body=f"<p>A short teaser about trip {n}{', now updated' if n == changed else ''}. "
            "Read more</p>",
            link=server.url(f"/trips/{n}"),
            published=dt.datetime(2026, 11, 20 + n, 8, 0, tzinfo=dt.UTC),
        )
        for n in range(1, count + 1)
    ]
    return rss("Rail Diary", items, site=server.url("/"))


def serve_site(server: ScriptedServer, count: int = 3, page_delay: float = 0.0) -> None:
    server.routes["/feed"] = Route(200, summary_feed(server, count), RSS_HEADERS)
    for n in range(1, count + 1):
        server.routes[f"/trips/{n}"] = Route(
            200, article_page(f"Trip {n}", f"/img/{n}.png"), HTML_HEADERS, delay=page_delay
        )
        server.routes[f"/img/{n}.png"] = Route(
            200, png(40 + n, 30, (10 * n, 90, 160)), {"Content-Type": "image/png"}
        )


def subscribe(path: Path, server: ScriptedServer) -> FeedId:
    """Subscribed outside the window (as the CLI would): the summaries are stored, nothing
    else is fetched yet."""
    with Library.open(path) as library:
        return library.add_feed(server.url("/feed")).feed.id


def feed_menu(window: MainWindow, feed_id: FeedId) -> QMenu:
    assert window.feeds_pane.select_key(f"feed:{feed_id}")
    return window.feeds_pane.context_menu_for(window.feeds_model.index_for_key(f"feed:{feed_id}"))


def entry(menu: QMenu, text: str) -> QAction:
    for action in menu.actions():
        if action.text().replace("&", "").startswith(text):
            return action
    raise AssertionError(f"no “{text}” in {[a.text() for a in menu.actions()]}")


def test_feed_menu_reflects_and_changes_the_feed_offline_options(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    path = tmp_path / "library.gloss"
    with ScriptedServer() as server:
        serve_site(server)
        feed_id = subscribe(path, server)
    window = make_window(path)
    menu = feed_menu(window, feed_id)
    full_text = entry(menu, "Full Text").menu()
    assert isinstance(full_text, QMenu)
    assert entry(full_text, "Automatic").isChecked()
    images = entry(menu, "Download Images")
    assert images.isCheckable() and images.isChecked()
    assert entry(menu, "Make Available Offline").isEnabled()

    entry(full_text, "Always").trigger()
    wait_idle(qtbot, window)
    assert window.reader.get_feed(feed_id).full_text is FullTextPolicy.ALWAYS
    images.trigger()  # unchecks it
    wait_idle(qtbot, window)
    assert not window.reader.get_feed(feed_id).images

    menu = feed_menu(window, feed_id)
    full_text = entry(menu, "Full Text").menu()
    assert isinstance(full_text, QMenu)
    assert entry(full_text, "Always").isChecked()
    assert not entry(full_text, "Automatic").isChecked()
    assert not entry(menu, "Download Images").isChecked()
    # a folder offers only Make Available Offline; the All Articles view says it is for all
    smart = window.feeds_pane.context_menu_for(window.feeds_model.index_for_key("smart:all"))
    assert entry(smart, "Make All Articles Available Offline")
    assert not any(a.text().replace("&", "") == "Full Text" for a in smart.actions())


def test_make_available_offline_stores_full_texts_and_images_read_later_without_network(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    path = tmp_path / "library.gloss"
    with ScriptedServer() as server:
        serve_site(server)
        feed_id = subscribe(path, server)
        window = make_window(path)
        window.settings.set("mark_read_delay_ms", -1)
        labels: list[str] = []
        window.offline_bar.valueChanged.connect(
            lambda _v: labels.append(window.offline_label.text())
        )
        menu = feed_menu(window, feed_id)
        entry(menu, "Make Available Offline").trigger()
        assert window.offline_bar.isVisibleTo(window)
        wait_idle(qtbot, window, 30_000)
        assert "Making 3 articles available offline… 3/3" in labels
        assert not window.offline_bar.isVisibleTo(window)
        summary = window.statusBar().currentMessage()
        assert summary.startswith("3 full texts, 3 images (") and summary.endswith("stored.")
    # The server is gone: the article opens with its full text and its image from the cache.
    window.articles_pane.select_row(0)
    detail = window.reading_view.detail
    assert detail is not None and detail.text is not None
    assert detail.text.source is TextSource.FULLTEXT
    assert PARAGRAPHS[2][:60] in window.reading_view.toPlainText()
    assert "cache:" in detail.text.html
    assert detail.offline is not None and detail.offline.images_missing == 0

    # The Article menu switches to the feed's text and back, highlights and all.
    window.named_actions["toggle_text_source"].trigger()
    qtbot.waitUntil(
        lambda: (
            window.reading_view.detail is not None
            and window.reading_view.detail.text is not None
            and window.reading_view.detail.text.source is TextSource.FEED
        )
    )
    assert "A short teaser about trip 3" in window.reading_view.toPlainText()
    window.menus["Article"].aboutToShow.emit()
    assert window.named_actions["toggle_text_source"].text().replace("&", "") == "Show Full Text"
    window.reading_view.text_source_requested.emit("fulltext")
    qtbot.waitUntil(
        lambda: (
            window.reading_view.detail is not None
            and window.reading_view.detail.text is not None
            and window.reading_view.detail.text.source is TextSource.FULLTEXT
        )
    )
    window.menus["Article"].aboutToShow.emit()
    assert window.named_actions["toggle_text_source"].text().replace("&", "") == "Show Feed Text"
    # Everything is there: asking again fetches nothing and says so.
    window.make_available_offline()
    wait_idle(qtbot, window)
    assert window.statusBar().currentMessage() == "Everything here is already available offline."


def test_stopping_keeps_what_was_stored_and_leaves_the_rest_for_later(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    path = tmp_path / "library.gloss"
    with ScriptedServer() as server:
        serve_site(server, count=4, page_delay=0.2)
        subscribe(path, server)
        window = make_window(path)
        window.go_all()
        window.feeds_pane.tree.setFocus()

        seen: list[str] = []

        def stop_after_first(value: int) -> None:
            if value == 1:
                seen.append(window.offline_label.text())
                QApplication.processEvents()  # the status bar lays out the longer label
                window.statusBar().grab().save(str(SHOTS / "gloss-offline-progress.png"))
                qtbot.keyClick(window.feeds_pane.tree, Qt.Key.Key_Escape)

        window.offline_bar.valueChanged.connect(stop_after_first)
        window.make_available_offline()
        wait_idle(qtbot, window, 30_000)
        assert seen == ["Making 4 articles available offline… 1/4"]
        message = window.statusBar().currentMessage()
        assert message.startswith("Stopped after ") and "of 4 articles" in message
        assert not window.offline_bar.isVisibleTo(window)
        with Library.open(path) as library:
            stored = [
                library.get_article(a.id).text
                for a in library.list_articles(ArticleFilter()).articles
            ]
            full = [t for t in stored if t is not None and t.source is TextSource.FULLTEXT]
            assert 1 <= len(full) < 4  # kept what was done, the rest waits
            assert library.offline_pending() > 0


def test_a_refresh_continues_with_offline_work_and_the_open_article_reshows(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    path = tmp_path / "library.gloss"
    with ScriptedServer() as server:
        serve_site(server)
        feed_id = subscribe(path, server)
        window = make_window(path)
        window.settings.set("mark_read_delay_ms", -1)
        assert window.feeds_pane.select_key(f"feed:{feed_id}")
        trip_two = next(
            a for a in window.reader.list_articles(ArticleFilter()).articles if a.title == "Trip 2"
        )
        assert window.articles_pane.select_article(trip_two.id)
        assert "A short teaser about trip 2" in window.reading_view.toPlainText()
        shown: list[bool] = []
        original = window.reading_view.show_article

        def spy(detail: object, keep_scroll: bool = False) -> None:
            shown.append(keep_scroll)
            original(detail, keep_scroll=keep_scroll)  # type: ignore[arg-type]

        window.reading_view.show_article = spy  # type: ignore[method-assign]
        # The feed changes trip 2's summary: the refresh touches it, its page follows.
        server.routes["/feed"] = Route(200, summary_feed(server, changed=2), RSS_HEADERS)
        window.named_actions["refresh_all"].trigger()
        qtbot.waitUntil(
            lambda: (
                window.reading_view.detail is not None
                and window.reading_view.detail.text is not None
                and window.reading_view.detail.text.source is TextSource.FULLTEXT
            ),
            timeout=30_000,
        )
        assert True in shown  # re-shown where the reader was
        assert PARAGRAPHS[1][:50] in window.reading_view.toPlainText()
        assert window.articles_pane.current_article() is not None
        assert window.articles_pane.current_article().id == trip_two.id  # type: ignore[union-attr]
        wait_idle(qtbot, window, 30_000)
        assert "full text" in window.statusBar().currentMessage()


def test_offline_settings_dialog_shows_the_cache_and_saves_choices(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path
) -> None:
    path = tmp_path / "library.gloss"
    with ScriptedServer() as server:
        serve_site(server, count=1)
        subscribe(path, server)
        with Library.open(path) as library:
            list(library.process_offline())
    window = make_window(path)
    window.named_actions["offline_settings"].trigger()
    qtbot.waitUntil(
        lambda: isinstance(getattr(window, "offline_settings_dialog", None), OfflineSettingsDialog)
    )
    dialog = window.offline_settings_dialog
    assert "1 file(s)" in dialog.usage.text() and "Every file is in use" in dialog.usage.text()
    assert not dialog.prune_button.isEnabled()
    # an unused file in the cache is offered for removal
    store_image(path, png(9, 9, (200, 10, 10)), content_type_or_ext="image/png")
    dialog.reject()
    window.offline_settings()
    qtbot.waitUntil(lambda: window.offline_settings_dialog is not dialog)
    dialog = window.offline_settings_dialog
    qtbot.waitUntil(lambda: dialog.prune_button.isEnabled())
    qtbot.mouseClick(dialog.prune_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.usage.text().startswith("Removed 1 unused file(s)"))
    dialog.images.setChecked(False)
    dialog.max_image_mb.setValue(3)
    dialog.accept()
    wait_idle(qtbot, window)
    settings = window.reader.offline_settings()
    assert not settings.images and settings.max_image_mb == 3
    assert QApplication.activeModalWidget() is None
