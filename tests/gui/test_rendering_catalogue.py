"""reliability.md's rendering catalogue, R1–R8, end to end: a hostile feed served on 127.0.0.1 is
refreshed into a real library, its offline work done, and the article opened in the reading view.

Each test is one row of the catalogue; the row's expected behaviour is its assertion.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import ArticleDetail, ArticleFilter
from reader.gui.panes.reading_view import ReadingView
from reader.gui.resources import LIGHT
from tests.gui.conftest import OpenedUrls
from tests.support.feeds import HTML_HEADERS, RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import png

IMAGE = QTextDocument.ResourceType.ImageResource.value
LONG = " ".join(["Plenty of words so that this entry is a whole article, not a teaser."] * 15)


def stored_article(
    library_path: Path, server: ScriptedServer, body: str, *, offline: bool = True
) -> ArticleDetail:
    server.routes["/feed"] = Route(
        200,
        rss("Hostile", [Item("h1", "Hostile", f"{body}<p>{LONG}</p>", link=server.url("/page"))]),
        RSS_HEADERS,
    )
    with Library.open(library_path) as library:
        feed_id = library.add_feed(server.url("/feed")).feed.id
        if offline:
            list(library.process_offline())
        [article] = library.list_articles(ArticleFilter(feed_ids=(feed_id,))).articles
        return library.get_article(article.id)


def open_in_view(qtbot: QtBot, library_path: Path, detail: ArticleDetail) -> ReadingView:
    view = ReadingView(library_path, LIGHT, 16, open_url=OpenedUrls())
    qtbot.addWidget(view)
    view.resize(900, 700)
    view.show()
    view.show_article(detail)
    view.grab()  # layout and images are resolved now
    return view


def test_r1_active_content_is_removed_and_never_run(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer
) -> None:
    u = http_server.url
    body = (
        "<script>document.title='pwned'</script>"
        f"<iframe src='{u('/frame')}'></iframe><object data='{u('/obj')}'>fallback</object>"
        f"<embed src='{u('/embed')}'><meta http-equiv='refresh' content='0;url={u('/go')}'>"
        f"<base href='{u('/base/')}'><p>Safe words.</p>"
    )
    detail = stored_article(library_path, http_server, body)
    html = detail.text.html if detail.text else ""
    for tag in ("<script", "<iframe", "<object", "<embed", "<meta", "<base"):
        assert tag not in html.lower()
    view = open_in_view(qtbot, library_path, detail)
    assert "pwned" not in view.toPlainText() and "Safe words." in view.toPlainText()
    qtbot.wait(100)
    assert {r.path for r in http_server.requests} == {"/feed"}


def test_r2_remote_images_and_styles_cause_no_request_when_opened(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer
) -> None:
    u = http_server.url
    body = (
        f"<link rel='stylesheet' href='{u('/style.css')}'>"
        f"<p style=\"background:url('{u('/bg.png')}')\">styled</p>"
        f"<img src='{u('/photo.png')}' alt='A photo of the harbour'>"
    )
    with Library.open(library_path) as library:
        library.set_offline_settings(images=False)  # text only: nothing is downloaded
    detail = stored_article(library_path, http_server, body)
    before = len(http_server.requests)
    view = open_in_view(qtbot, library_path, detail)
    qtbot.wait(200)
    assert len(http_server.requests) == before  # 0 hits when opening the article
    assert http_server.hits("/photo.png") == 0
    assert view.toPlainText().count("\ufffc") == 1  # the image is one placeholder object


def test_r3_local_files_are_never_loaded(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(png(20, 20))
    body = f"<img src='{secret.as_uri()}' alt='x'><img src='{secret}' alt='y'>"
    detail = stored_article(library_path, http_server, body)
    html = detail.text.html if detail.text else ""
    # file: is dropped; a bare path is resolved against the feed's own http URL, never the disk
    assert "file:" not in html
    assert all(src.startswith(("http://", "cache:")) for src in re.findall(r'src="([^"]*)"', html))
    view = open_in_view(qtbot, library_path, detail)
    for url in (secret.as_uri(), str(secret), "cache:../secret.png"):
        result = view.loadResource(IMAGE, QUrl(url))
        assert not isinstance(result, QImage) or result.width() <= 1


def test_r4_huge_data_and_decompression_bombs_are_not_kept(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer
) -> None:
    # Large, but under the size at which an entry is flattened to text (so the img survives
    # to be judged by the sanitizer).
    data_url = "data:image/png;base64," + "A" * 1_000_000
    # A PNG header claiming 60,000 × 60,000 pixels: 14 GB decoded.
    bomb = png(1, 1).replace(b"\x00\x00\x00\x01\x00\x00\x00\x01", b"\x00\x00\xea\x60" * 2, 1)
    http_server.routes["/bomb.png"] = Route(200, bomb, {"Content-Type": "image/png"})
    body = f"<img src='{data_url}' alt='data'><img src='{http_server.url('/bomb.png')}' alt='bomb'>"
    detail = stored_article(library_path, http_server, body)
    html = detail.text.html if detail.text else ""
    assert "data:" not in html
    assert "cache:" not in html  # the bomb was fetched, recognised by its header, not stored
    assert http_server.hits("/bomb.png") == 1
    open_in_view(qtbot, library_path, detail)


def test_r5_only_web_and_mail_links_reach_the_os(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer
) -> None:
    body = (
        "<p><a href='javascript:alert(1)'>js</a> <a href='file:///etc/passwd'>file</a> "
        "<a href='smb://evil/share'>smb</a> <a href='https://example.org/ok'>ok</a></p>"
    )
    detail = stored_article(library_path, http_server, body)
    html = detail.text.html if detail.text else ""
    assert "javascript:" not in html and "file:" not in html and "smb:" not in html
    opened = OpenedUrls()
    view = ReadingView(library_path, LIGHT, 16, open_url=opened)
    qtbot.addWidget(view)
    view.show_article(detail)
    for url in ("javascript:alert(1)", "file:///etc/passwd", "smb://evil/share"):
        view.anchorClicked.emit(QUrl(url))
    view.anchorClicked.emit(QUrl("https://example.org/ok"))
    assert opened == ["https://example.org/ok"]


def test_r6_forms_pings_and_overlays_are_stripped(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer
) -> None:
    body = (
        f"<form action='{http_server.url('/steal')}'><input type='password' name='p'></form>"
        f"<a href='https://example.org/x' ping='{http_server.url('/ping')}'>link</a>"
        "<div style='position:fixed;top:0;left:0;width:100%'>overlay</div>"
    )
    detail = stored_article(library_path, http_server, body)
    html = detail.text.html if detail.text else ""
    assert "<form" not in html and "<input" not in html and "ping=" not in html
    assert "style=" not in html
    assert re.search(r'<a [^>]*rel="noopener noreferrer"', html)


def test_r7_trackers_are_skipped_and_images_fetched_without_referer_or_cookies(
    qtbot: QtBot, library_path: Path, http_server: ScriptedServer
) -> None:
    u = http_server.url
    http_server.routes["/photo.png"] = Route(
        200, png(64, 48), {"Content-Type": "image/png", "Set-Cookie": "t=1; Path=/"}
    )
    http_server.routes["/second.png"] = Route(200, png(32, 24), {"Content-Type": "image/png"})
    http_server.routes["/pixel.gif"] = Route(
        200,
        b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
        b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
        {"Content-Type": "image/gif"},
    )
    body = (
        f"<img src='{u('/photo.png')}' alt='photo'><img src='{u('/second.png')}' alt='second'>"
        f"<img src='{u('/pixel.gif')}' width='1' height='1'>"
        f"<img src='{u('/unmarked-pixel.gif')}'>"
        "<img src='https://feeds.feedburner.com/~r/example/~4/abc' alt=''>"
        "<img src='https://pixel.wp.com/g.gif?blog=1' alt=''>"
    )
    http_server.routes["/unmarked-pixel.gif"] = http_server.routes["/pixel.gif"]
    detail = stored_article(library_path, http_server, body)
    html = detail.text.html if detail.text else ""
    assert html.count('src="cache:') == 2  # the two real images, nothing else
    assert http_server.hits("/pixel.gif") == 0  # declared 1×1: never requested
    assert http_server.hits("/unmarked-pixel.gif") == 1  # found to be 1×1 after download
    for request in http_server.requests_for("/photo.png") + http_server.requests_for("/second.png"):
        assert request.header("referer") is None and request.header("cookie") is None
    view = open_in_view(qtbot, library_path, detail)
    before = len(http_server.requests)
    qtbot.wait(100)
    assert len(http_server.requests) == before
    assert view.toPlainText().count("\ufffc") >= 2


@pytest.mark.parametrize("case", ["huge", "slow", "redirects", "extract-time"])
def test_r8_full_text_pages_obey_the_feed_limits(
    library_path: Path,
    http_server: ScriptedServer,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    import reader.core.library as library_module
    import reader.core.offline as offline_module
    from reader.core.fetch import Fetcher

    teaser = "<p>Only a teaser. Read more</p>"
    page = b"<html><body><article>" + b"<p>Words of the page. </p>" * 400 + b"</article></html>"
    if case == "huge":
        http_server.routes["/page"] = Route(200, b"<p>" + b"x" * (16 << 20), HTML_HEADERS)
        expected = "too large"
    elif case == "slow":
        monkeypatch.setattr(
            offline_module,
            "make_page_fetcher",
            lambda: Fetcher(accept=offline_module.PAGE_ACCEPT, total_timeout=1.0),
        )
        http_server.routes["/page"] = Route(200, page, HTML_HEADERS, delay=3.0)
        expected = "timed out"
    elif case == "redirects":
        for hop in range(7):
            http_server.routes[f"/r{hop}"] = Route(302, b"", {"Location": f"/r{hop + 1}"})
        http_server.routes["/page"] = Route(302, b"", {"Location": "/r0"})
        expected = "too many redirects"
    else:
        monkeypatch.setattr(library_module, "EXTRACT_TIMEOUT", 0.001)
        http_server.routes["/page"] = Route(200, page, HTML_HEADERS)
        expected = "took longer than"
    server = http_server
    server.routes["/feed"] = Route(
        200, rss("Summaries", [Item("s1", "S1", teaser, link=server.url("/page"))]), RSS_HEADERS
    )
    with Library.open(library_path) as library:
        library.add_feed(server.url("/feed"))
        [step] = list(library.process_offline())
        assert step.error is not None and expected in step.error.lower(), step.error
        assert not step.full_text
        detail = library.get_article(step.article_id)
        assert detail.text is not None and "Only a teaser." in detail.text.text
        assert detail.offline is not None and detail.offline.fulltext_retry_at is not None
