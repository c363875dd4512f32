"""Fixtures for window tests: a real library file with a few feeds, a window over it.

Every test here is marked ``gui`` and fails on any Qt warning (``qt_log_level_fail``), except the
offscreen platform's note about size hints, which says nothing about our code.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from reader.core.library import Library
from reader.core.types import ArticleId
from reader.gui.main_window import MainWindow
from reader.gui.settings_store import SettingsStore
from reader.gui.tasks import TaskManager
from tests.support.feeds import Item, rss

QT_NOISE = ("This plugin does not support propagateSizeHints",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.gui)
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_NOISE))


BASE_TIME = dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)


def feed_items(prefix: str, count: int) -> list[Item]:
    return [
        Item(
            guid=f"{prefix}-{i}",
            title=f"{prefix.title()} story {i}",
            body=f"<p>Body of {prefix} story {i}. " + "Words to read. " * 40 + "</p>",
            link=f"https://example.org/{prefix}/{i}",
            published=BASE_TIME - dt.timedelta(hours=i),
        )
        for i in range(count)
    ]


def make_library(path: Path, feeds: int = 3, per_feed: int = 30) -> Path:
    """Feeds stored from documents (no network): ``alpha`` at top level, others in "Tech"."""
    names = ["alpha", "beta", "gamma", "delta"][:feeds]
    with Library.open(path) as library:
        for n, name in enumerate(names):
            library.add_feed_document(
                f"https://example.org/{name}.xml",
                rss(f"{name.title()} Feed", feed_items(name, per_feed)),
                folder=None if n == 0 else "Tech",
            )
    return path


def add_highlight(path: Path, article_id: ArticleId, quote: str, note: str | None = None) -> None:
    """Set-up through a second writer (as the CLI would be): a green highlight and a note."""
    with Library.open(path) as library:
        library.add_highlight_by_quote(article_id, quote, color="green", note=note)
        library.add_note(article_id, "A note on the whole article.")


@pytest.fixture
def sample_library(tmp_path: Path) -> Path:
    return make_library(tmp_path / "library.gloss")


@pytest.fixture
def settings(tmp_path: Path) -> SettingsStore:
    store = SettingsStore(tmp_path / "window.ini")
    store.set("mark_read_delay_ms", 0)
    store.set("refresh_interval_min", 0)
    store.set("theme", "light")
    return store


class OpenedUrls(list[str]):
    def __call__(self, url: QUrl) -> None:
        self.append(url.toString())


@pytest.fixture
def opened_urls() -> OpenedUrls:
    return OpenedUrls()


WindowFactory = Callable[..., MainWindow]


@pytest.fixture
def make_window(
    qtbot: QtBot, settings: SettingsStore, opened_urls: OpenedUrls
) -> Iterator[WindowFactory]:
    made: list[tuple[MainWindow, TaskManager, Library]] = []

    def make(path: Path, store: SettingsStore | None = None) -> MainWindow:
        tasks = TaskManager(lambda: Library.open(path))
        assert tasks.wait_until_open(10) is None
        reader = Library.open(path, readonly=True)
        window = MainWindow(tasks, reader, store or settings, open_url=opened_urls)
        made.append((window, tasks, reader))
        window.restore_state()
        window.resize(1200, 760)
        window.show()
        qtbot.waitExposed(window)
        window.activateWindow()
        qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
        return window

    yield make
    for window, tasks, reader in made:
        qtbot.waitUntil(tasks.is_idle, timeout=10_000)
        if window.isVisible():
            window.close()
        tasks.shutdown()
        reader.close()
        window.deleteLater()


@pytest.fixture
def window(make_window: WindowFactory, sample_library: Path) -> MainWindow:
    return make_window(sample_library)


def wait_idle(qtbot: QtBot, window: MainWindow, timeout: int = 10_000) -> None:
    qtbot.waitUntil(window.tasks.is_idle, timeout=timeout)
