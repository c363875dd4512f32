"""The reading view shows articles offline and cannot be made to fetch, read files or navigate."""

from __future__ import annotations

import datetime as dt
import struct
import zlib
from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from pytestqt.qtbot import QtBot

from reader.core.content import sanitize_html
from reader.core.image_cache import store_image
from reader.core.library import Library
from reader.core.types import (
    Article,
    ArticleDetail,
    ArticleId,
    ArticleText,
    FeedId,
    TextId,
    TextSource,
)
from reader.gui.main_window import MainWindow
from reader.gui.panes.reading_view import ReadingView
from reader.gui.resources import LIGHT
from tests.gui.conftest import OpenedUrls, WindowFactory, wait_idle
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

NOW = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)
IMAGE = QTextDocument.ResourceType.ImageResource.value


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def detail_with(html: str, link: str | None = "https://example.org/a") -> ArticleDetail:
    article = Article(
        id=ArticleId(1),
        feed_id=FeedId(1),
        feed_title="Feed",
        title="Title <b>not bold</b>",
        link=link,
        author="Ann",
        published=NOW,
        updated=None,
        added=NOW,
        read=False,
        starred=False,
        sort_at=NOW,
    )
    text = ArticleText(
        id=TextId(1),
        article_id=ArticleId(1),
        source=TextSource.FEED,
        html=html,
        text="",
        text_sha256="",
        canon_version=1,
        extractor=None,
        extractor_version=None,
        created_at=NOW,
    )
    return ArticleDetail(article, text)


def hostile_html(server: ScriptedServer) -> str:
    """Every way an article could make QTextBrowser reach out (reliability.md R2)."""
    u = server.url
    return (
        f"<link rel='stylesheet' href='{u('/style.css')}'>"
        f"<style>p {{ background-image: url({u('/bg.png')}) }}</style>"
        f"<p style=\"background-image: url('{u('/inline.png')}')\">text</p>"
        f"<img src='{u('/pixel.gif')}' width='1' height='1'>"
        f"<table background='{u('/table.png')}'><tr><td>cell</td></tr></table>"
        f"<img src='//127.0.0.1:{server.port}/relative.png'>"
        f"<p><a href='{u('/link')}'>a link</a></p>"
    )


def test_view_makes_no_request_even_for_unsanitized_html(
    qtbot: QtBot, tmp_path: Path, http_server: ScriptedServer
) -> None:
    view = ReadingView(tmp_path / "library.gloss", LIGHT, 16)
    qtbot.addWidget(view)
    view.resize(800, 600)
    view.show()
    view.show_article(detail_with(hostile_html(http_server)))
    view.grab()  # paint: layouts and images are resolved now
    qtbot.wait(200)
    assert http_server.requests == []
    assert "Title <b>not bold</b>" in view.toPlainText()  # header fields are escaped


def test_opening_a_stored_article_makes_zero_requests(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed.xml"] = Route(
        body=rss("Tracking Feed", [Item("t1", "Tracked", body=hostile_html(http_server))]),
        headers=RSS_HEADERS,
    )
    path = tmp_path / "library.gloss"
    with Library.open(path) as library:
        library.subscribe(http_server.url("/feed.xml"))
    window = make_window(path)
    window.refresh_all()
    qtbot.waitUntil(lambda: window.refreshing is None, timeout=15_000)
    # the offline run after the refresh downloads images into the cache: that is allowed
    qtbot.waitUntil(lambda: not window.offline_running(), timeout=15_000)
    wait_idle(qtbot, window)
    before = len(http_server.requests)
    assert any(r.path == "/feed.xml" for r in http_server.requests)
    window.articles_pane.select_row(0)
    detail = window.reading_view.detail
    assert detail is not None and detail.text is not None
    # the stored (sanitized) article still points at the server: the view must not follow it
    assert http_server.url("/pixel.gif") in detail.text.html
    window.reading_view.grab()
    qtbot.wait(200)
    assert len(http_server.requests) == before


def test_load_resource_serves_cached_images_only(qtbot: QtBot, tmp_path: Path) -> None:
    library = tmp_path / "library.gloss"
    small = store_image(library, png(40, 30), content_type_or_ext="image/png")
    large = store_image(library, png(3000, 20), content_type_or_ext="image/png")
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(10, 10))
    view = ReadingView(library, LIGHT, 16)
    qtbot.addWidget(view)
    view.resize(900, 600)
    image = view.loadResource(IMAGE, QUrl(small))
    assert isinstance(image, QImage) and image.width() == 40
    scaled = view.loadResource(IMAGE, QUrl(large))
    assert isinstance(scaled, QImage) and scaled.width() <= view.content_width() < 3000
    for refused in (secret.as_uri(), str(secret), "cache:../secret.png", "qrc:/x.png"):
        result = view.loadResource(IMAGE, QUrl(refused))
        assert not isinstance(result, QImage) or result.width() <= 1, refused


def test_only_web_and_mail_links_leave_the_view(qtbot: QtBot, tmp_path: Path) -> None:
    opened = OpenedUrls()
    view = ReadingView(tmp_path / "library.gloss", LIGHT, 16, open_url=opened)
    qtbot.addWidget(view)
    refused: list[str] = []
    view.link_refused.connect(refused.append)
    for url in (
        "https://example.org/",
        "http://example.org/",
        "mailto:a@example.org",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "smb://host/share",
        "data:text/html,hi",
    ):
        view.anchorClicked.emit(QUrl(url))
    assert opened == ["https://example.org/", "http://example.org/", "mailto:a@example.org"]
    assert len(refused) == 4
    view.setSource(QUrl("file:///etc/passwd"))
    assert "root:" not in view.toPlainText()


def test_font_size_and_theme_change_keep_the_article(qtbot: QtBot, window: MainWindow) -> None:
    window.articles_pane.select_row(0)
    before = window.reading_view.toPlainText()
    window.font_bigger()
    assert window.settings.get("font_size") == 17
    window.theme_dark(True)
    assert window.theme.is_dark and window.settings.get("theme") == "dark"
    assert window.reading_view.toPlainText() == before
    assert window.reading_view.content_width() <= 17 * 36


def test_view_actions_stay_inside_the_app_and_articles_cannot_make_them(
    qtbot: QtBot, tmp_path: Path
) -> None:
    opened = OpenedUrls()
    view = ReadingView(tmp_path / "library.gloss", LIGHT, 16, open_url=opened)
    qtbot.addWidget(view)
    refused: list[str] = []
    related: list[int] = []
    sources: list[str] = []
    view.link_refused.connect(refused.append)
    view.related_article_requested.connect(related.append)
    view.text_source_requested.connect(sources.append)
    for url in (
        "gloss-action:related/5",
        "gloss-action:source/fulltext",
        "gloss-action:related/../../etc",
        "gloss-action:source/javascript",
        "GLOSS-ACTION:related/6",
    ):
        view.anchorClicked.emit(QUrl(url))
    assert related == [5, 6] and sources == ["fulltext"]
    assert opened == [] and refused == []

    # an article's own gloss-action: link is dropped when it is stored, so it is plain text
    body = sanitize_html("<p><a href='gloss-action:related/7'>tempting</a></p>", "https://a.org/")
    view.show_article(detail_with(body))
    cursor = view.document().find("tempting")
    assert not cursor.isNull() and cursor.charFormat().anchorHref() == ""
