"""``gloss --smoke-test``: start the real window offscreen, use it once end to end, and quit.

Used by ``build_installer.py`` on the frozen bundle (and by the tests, from source and frozen), so
a bundle that lacks a Qt plugin, a data file, a font, or working worker processes fails at build
time instead of on a user's machine. In order:

1. a library in a temporary folder (or the ``--library`` given; never the default library),
   filled with the bundled demo library by the same code as a first start;
2. the main window, shown offscreen; a demo article opened from the article list and rendered in
   the reading view (its viewport is grabbed and must not be blank);
3. a passage selected in the reading view and highlighted through the view's own
   ``highlight_selection`` (so ``Library.add_highlight`` on the writer thread, as with ``h``);
   the highlight must come back painted;
4. the window's Markdown export into a temporary folder; the file must hold the quote;
5. a feed served on 127.0.0.1 by this process, refreshed with the window's Refresh All: feeds are
   parsed in ``ParsePool`` worker processes, so a frozen build whose multiprocessing is broken
   fails here;
6. an HTML file saved as an article: page extraction (trafilatura and its data files) runs in a
   worker process of its own.

Everything prints a line to stdout. Any failure, an uncaught exception, an error dialog the window
tries to show, or a warning logged by Gloss or Qt (those go to stderr here, which the installer
treats as a failure) ends the run with status 1 and a one-line reason on stderr.
"""

from __future__ import annotations

import contextlib
import http.server
import logging
import os
import re
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

# The offscreen platform's note that it cannot resize to size hints says nothing about Gloss (the
# window tests ignore it too: tests/gui/conftest.py).
OFFSCREEN_NOISE = ("This plugin does not support propagateSizeHints",)
STEP_TIMEOUT = 90.0  # seconds; a worker process that never starts fails after its own 60 s

_FEED_ITEMS = 2
_PARAGRAPH = (
    "Smoke tests are short runs of the whole program that prove it starts and does its main "
    "work. This paragraph is long enough that Gloss treats the entry as a full article and does "
    "not go looking for the linked page. "
)


class SmokeFailure(Exception):
    """A step did not do what it should; the message says which and why."""


def _say(message: str) -> None:
    sys.stdout.write(f"smoke: {message}\n")
    sys.stdout.flush()


# ---- a feed on 127.0.0.1 --------------------------------------------------------------------


def _feed_document(base: str) -> bytes:
    items = "".join(
        f"<item><title>Smoke item {n}</title><link>{base}/article/{n}</link>"
        f"<guid isPermaLink='false'>smoke-{n}</guid>"
        f"<pubDate>Mon, 0{n} Jun 2026 10:00:00 GMT</pubDate>"
        f"<description><![CDATA[<p>{_PARAGRAPH * 4}</p>]]></description></item>"
        for n in range(1, _FEED_ITEMS + 1)
    )
    return (
        "<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>"
        f"<title>Smoke test feed</title><link>{base}/</link>"
        f"<description>Served by gloss --smoke-test</description>{items}</channel></rss>"
    ).encode()


def _page(title: str) -> bytes:
    paragraphs = "".join(f"<p>{_PARAGRAPH} Paragraph {n}.</p>" for n in range(1, 7))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"</head><body><header><nav><a href='/'>Home</a></nav></header><main><article>"
        f"<h1>{title}</h1>{paragraphs}</article></main><footer>Footer</footer></body></html>"
    ).encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        base = f"http://{self.headers.get('Host', '127.0.0.1')}"
        if self.path == "/feed.xml":
            body, kind = _feed_document(base), "application/rss+xml"
        elif self.path.startswith("/article/"):
            body, kind = _page(f"Smoke page {self.path.rsplit('/', 1)[-1]}"), "text/html"
        elif self.path == "/":
            body, kind = _page("Smoke test site"), "text/html"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # requests are not news; stderr must stay clean


@contextlib.contextmanager
def _feed_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="smoke-http", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


# ---- errors and warnings become failures ----------------------------------------------------


class _Problems:
    """What went wrong outside the steps' own checks: exceptions in slots, error dialogs."""

    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, text: str) -> None:
        self.items.append(text)
        sys.stderr.write(f"gloss --smoke-test: {text}\n")
        sys.stderr.flush()

    def check(self) -> None:
        if self.items:
            raise SmokeFailure(self.items[0].splitlines()[0])


def _install_traps(problems: _Problems) -> None:
    """Uncaught exceptions and error dialogs are recorded instead of shown (a modal dialog would
    wait forever offscreen); Gloss's and Qt's warnings go to stderr."""
    from PySide6.QtWidgets import QMessageBox

    from reader.gui.app import route_qt_messages_to_log

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        problems.add("uncaught exception:\n" + "".join(traceback.format_exception(kind, error, tb)))

    sys.excepthook = hook

    def dialog(kind: str) -> Callable[..., Any]:
        def show(_parent: object, title: str, text: str, *args: object, **kw: object) -> Any:
            problems.add(f"the window showed a {kind} dialog: {title}: {text}")
            return QMessageBox.StandardButton.Ok

        return show

    for kind in ("critical", "warning", "information", "question"):
        setattr(QMessageBox, kind, staticmethod(dialog(kind)))

    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("gloss")
    root.setLevel(logging.INFO)
    root.addHandler(handler)
    route_qt_messages_to_log(ignore=OFFSCREEN_NOISE)


# ---- the run ----------------------------------------------------------------------------------


def run_smoke_test(library: str | None = None) -> int:
    """Returns 0 when every step passed, else 1 (the reason is on stderr)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    started = time.monotonic()
    problems = _Problems()
    try:
        with tempfile.TemporaryDirectory(prefix="gloss-smoke-") as tmp:
            _run(Path(tmp), Path(library).expanduser() if library else None, problems)
        problems.check()
    except SmokeFailure as e:
        sys.stderr.write(f"gloss --smoke-test: FAILED: {e}\n")
        return 1
    except Exception:
        sys.stderr.write("gloss --smoke-test: FAILED with an unexpected error:\n")
        sys.stderr.write(traceback.format_exc())
        return 1
    _say(f"passed in {time.monotonic() - started:.1f} s")
    return 0


def _run(tmp: Path, library: Path | None, problems: _Problems) -> None:
    from PySide6.QtWidgets import QApplication

    from reader.core.library import Library
    from reader.core.paths import APP_NAME
    from reader.gui import resources
    from reader.gui.app import open_writer
    from reader.gui.main_window import MainWindow
    from reader.gui.settings_store import SettingsStore
    from reader.gui.tasks import TaskManager

    path = library or tmp / "library.gloss"
    _say(f"library {path}")
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "gloss"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setStyle("Fusion")
    _install_traps(problems)
    app.setWindowIcon(resources.app_icon())

    tasks = TaskManager(lambda: open_writer(path, first_start=True))
    reader: Library | None = None
    window: MainWindow | None = None
    try:
        error = tasks.wait_until_open(STEP_TIMEOUT)
        if error is not None:
            raise SmokeFailure(f"the library did not open: {error}")
        reader = Library.open(path, readonly=True)
        _check_demo(reader)

        settings = SettingsStore(tmp / "window.ini")
        settings.set("refresh_interval_min", 0)
        settings.set("mark_read_delay_ms", -1)
        settings.set("theme", "light")
        window = MainWindow(tasks, reader, settings)
        window.restore_state()
        window.resize(1200, 800)
        window.show()
        _settle(app, tasks, "the window to open")
        _say(f"window open: {window.windowTitle()!r}")
        problems.check()

        article_id = _open_article(app, window)
        problems.check()
        quote = _highlight(app, window, article_id)
        problems.check()
        _export(app, window, article_id, quote, tmp / "export")
        problems.check()
        with _feed_server() as base:
            _refresh(app, window, tasks, base)
            problems.check()
        _save_page(app, tasks, tmp / "saved-page.html")
        problems.check()
    finally:
        if window is not None:
            window.close()
        tasks.shutdown()
        if reader is not None:
            reader.close()
        app.processEvents()


def _wait(app: Any, done: Callable[[], bool], what: str, timeout: float = STEP_TIMEOUT) -> None:
    from PySide6.QtCore import QEventLoop

    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise SmokeFailure(f"timed out after {timeout:g} s waiting for {what}")
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.005)


def _settle(app: Any, tasks: Any, what: str) -> None:
    """Until the writer, the network pool and the posted callbacks are all idle."""
    quiet = [0]

    def idle() -> bool:
        quiet[0] = quiet[0] + 1 if tasks.is_idle() else 0
        return quiet[0] >= 5

    _wait(app, idle, what)


def _on_db(app: Any, tasks: Any, run: Callable[[Any], Any], what: str) -> Any:
    """Run ``run(library)`` on the writer thread and wait for its answer."""
    outcome: list[tuple[bool, Any]] = []
    tasks.run_db(
        run, lambda value: outcome.append((True, value)), lambda e: outcome.append((False, e))
    )
    _wait(app, lambda: bool(outcome), what)
    ok, value = outcome[0]
    if not ok:
        raise SmokeFailure(f"{what} failed: {value!r}")
    return value


def _check_demo(reader: Any) -> None:
    from reader.core.demo import is_demo_url

    feeds = [f for f in reader.list_feeds() if is_demo_url(f.url)]
    articles = sum(f.unread for f in feeds)
    if not feeds or not articles:
        raise SmokeFailure("the demo library did not load (no demo feeds or no articles)")
    _say(f"demo library loaded: {len(feeds)} feeds, {articles} articles")


_PLAIN_PASSAGE = re.compile(r"[A-Za-z][A-Za-z ,’']{38,150}[a-z]")


def _passage(text: str) -> tuple[int, int] | None:
    """Canonical offsets of a run of plain words (no Markdown to escape), inside one line."""
    for match in _PLAIN_PASSAGE.finditer(text):
        start, end = match.span()
        # Whole words: start after a space or a line start, end before one.
        while start < end and start > 0 and text[start - 1] not in " \n":
            start += 1
        while end > start and end < len(text) and text[end] not in " \n.,;:":
            end -= 1
        span = text[start:end].strip()
        if len(span) >= 30 and "  " not in span:
            offset = text.index(span, start)
            return offset, offset + len(span)
    return None


def _open_article(app: Any, window: Any) -> int:
    """Pick a demo article with text from the article list, as a click would, and check the
    reading view renders it (text in the document, pixels in the viewport)."""
    window.feeds_pane.select_key("smart:all")
    model = window.articles_model
    _wait(app, lambda: model.rowCount() > 0, "the article list")
    row = None
    for candidate in range(model.rowCount()):
        article = model.article(candidate)
        detail = window.reader.get_article(article.id) if article is not None else None
        if detail is not None and detail.text is not None and _passage(detail.text.text):
            row = candidate
            break
    if row is None:
        raise SmokeFailure("no demo article has text to highlight")
    window.articles_pane.select_row(row)
    view = window.reading_view
    target = model.article(row)
    _wait(
        app,
        lambda: view.detail is not None and view.detail.article.id == target.id,
        "the reading view to show the article",
    )
    shown = view.document().toPlainText()
    if target.title not in shown:
        raise SmokeFailure(f"the reading view does not show the title {target.title!r}")
    image = view.viewport().grab().toImage()
    colours = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 300, 5)}
    if len(colours) < 3:
        raise SmokeFailure("the reading view painted nothing (a blank viewport)")
    _say(f"article rendered: {target.title!r} ({len(shown)} characters, {len(colours)} colours)")
    return int(target.id)


def _highlight(app: Any, window: Any, article_id: int) -> str:
    from PySide6.QtGui import QTextCursor

    view = window.reading_view
    text = view.detail.text.text
    span = _passage(text)
    assert span is not None
    quote = text[span[0] : span[1]]
    text_map = view.text_map()
    where = text_map.to_document(*span) if text_map is not None else None
    if where is None:
        raise SmokeFailure("the passage could not be placed in the reading view")
    cursor = QTextCursor(view.document())
    cursor.setPosition(where[0])
    cursor.setPosition(where[1], QTextCursor.MoveMode.KeepAnchor)
    view.setTextCursor(cursor)
    if not view.highlight_selection("yellow"):
        raise SmokeFailure("the reading view refused to highlight the selection")

    def painted() -> bool:
        return any(p.highlight.quote == quote for p in view.painted)

    _wait(app, painted, "the new highlight to be painted")
    stored = [h for h in window.reader.list_highlights(article_id) if h.quote == quote]
    if not stored:
        raise SmokeFailure("the highlight was painted but is not in the library")
    _say(f"highlighted {quote!r} ({stored[0].anchor})")
    return quote


def _export(app: Any, window: Any, article_id: int, quote: str, folder: Path) -> None:
    folder.mkdir()
    reports: list[Any] = []
    window.export_markdown_to(folder, article_ids=[article_id], on_done=reports.append)
    _wait(app, lambda: bool(reports), "the Markdown export")
    files = sorted(folder.glob("*.md"))
    if not files:
        raise SmokeFailure(f"the export wrote no Markdown file into {folder}")
    content = files[0].read_text(encoding="utf-8")
    if f"> {quote}" not in content:
        raise SmokeFailure(f"{files[0].name} does not quote the highlight {quote!r}")
    _say(f"exported {files[0].name} ({len(content)} characters, quote found)")


def _refresh(app: Any, window: Any, tasks: Any, base: str) -> None:
    from reader.core.types import FeedStatus

    url = f"{base}/feed.xml"
    feed_id, changes = _on_db(
        app, tasks, lambda lib: lib.subscribe(url, folder="Smoke test"), "subscribing"
    )
    tasks.broadcast(changes)
    window.refresh_all()  # the demo feeds are muted: only this one is fetched
    _wait(app, lambda: window.refreshing is None, "the refresh (parsed in a worker process)")
    _settle(app, tasks, "the work that follows a refresh")
    feed = window.reader.get_feed(feed_id)
    if feed.status is not FeedStatus.OK or feed.unread != _FEED_ITEMS:
        raise SmokeFailure(
            f"the refresh of {url} gave status {feed.status.value}, {feed.unread} unread "
            f"(expected ok, {_FEED_ITEMS}): {feed.error or 'no error recorded'}"
        )
    _say(f"refreshed a feed from 127.0.0.1 through the parse workers: {feed.unread} articles")


def _save_page(app: Any, tasks: Any, path: Path) -> None:
    path.write_bytes(_page("A page saved by the smoke test"))
    result = _on_db(app, tasks, lambda lib: lib.save_file(path), "saving an HTML file")
    detail = _on_db(
        app, tasks, lambda lib: lib.get_article(result.article_id), "reading the saved page"
    )
    text = detail.text.text if detail.text is not None else ""
    if "Paragraph 6" not in text:
        raise SmokeFailure(f"the saved page's text was not extracted: {text[:200]!r}")
    _say(f"saved a page through the extraction worker: {detail.article.title!r}")
