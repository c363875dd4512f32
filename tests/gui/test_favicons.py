"""Site icons in the feeds pane: a feed with a cached favicon shows it, not the generic icon."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from reader.core.image_cache import store_image
from reader.core.library import Library
from reader.gui.models.feeds_model import FeedsModel
from tests.gui.conftest import WindowFactory, wait_idle
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer
from tests.support.icons import ico

RED = (200, 60, 30)


def decoration_colour(icon: object) -> tuple[int, int, int] | None:
    assert isinstance(icon, QIcon)
    if icon.isNull():
        return None
    colour = icon.pixmap(16, 16).toImage().pixelColor(8, 8)
    return colour.red(), colour.green(), colour.blue()


def test_a_feed_with_a_cached_favicon_shows_it(
    qtbot: QtBot, qtmodeltester: ModelTester, sample_library: Path
) -> None:
    url = store_image(sample_library, ico(rgb=RED), content_type_or_ext="image/x-icon")
    with Library.open(sample_library) as library:
        feeds = library.list_feeds()
        library._db.conn.execute("UPDATE feeds SET favicon = ? WHERE id = ?", [url, feeds[0].id])
        library._db.conn.commit()
        model = FeedsModel(lambda _name: QIcon(), QIcon, library.path)
        model.load(library.list_folders(), library.list_feeds(), library.starred_count())
    qtmodeltester.check(model)
    with_icon = model.index_for_key(f"feed:{feeds[0].id}")
    without = model.index_for_key(f"feed:{feeds[1].id}")
    assert decoration_colour(with_icon.data(Qt.ItemDataRole.DecorationRole)) == RED
    assert decoration_colour(without.data(Qt.ItemDataRole.DecorationRole)) is None  # generic


def test_a_refresh_brings_the_sites_icon_into_the_feeds_pane(
    qtbot: QtBot, make_window: WindowFactory, tmp_path: Path, http_server: ScriptedServer
) -> None:
    http_server.routes["/feed.xml"] = Route(
        body=rss("Served Feed", [Item("s1", "One")], site=http_server.url("/")),
        headers=RSS_HEADERS,
    )
    http_server.routes["/favicon.ico"] = Route(
        body=ico(rgb=RED), headers={"Content-Type": "image/x-icon"}
    )
    path = tmp_path / "library.gloss"
    with Library.open(path) as library:
        feed_id, _ = library.subscribe(http_server.url("/feed.xml"))
    window = make_window(path)
    window.refresh_all()
    qtbot.waitUntil(lambda: window.refreshing is None, timeout=15_000)
    wait_idle(qtbot, window)
    assert http_server.hits("/favicon.ico") == 1
    index = window.feeds_model.index_for_key(f"feed:{feed_id}")
    assert decoration_colour(index.data(Qt.ItemDataRole.DecorationRole)) == RED
