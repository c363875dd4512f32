"""Render the main window on the demo library, light and dark, at 1280×800.

    python -m reader.gui.screenshots OUTDIR

Works offscreen (``QT_QPA_PLATFORM=offscreen`` is set when no display is named). Writes
``gloss-light.png`` and ``gloss-dark.png``, then ``search.png`` and ``search-dark.png`` (a search
with snippets: articles, a highlight and a note, beside two smart folders); the README shows the
copies in resources/screenshots.

    python -m reader.gui.screenshots --dialogs OUTDIR

writes the About and Preferences dialogs instead (``about.png``, ``preferences.png``,
``preferences-shortcuts.png``, each also ``-dark``).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

SIZE = (1280, 800)


def render(out_dir: Path) -> list[Path]:
    app = _application()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for theme, window in _demo_windows(restore_state=True):
        _choose_article(window)
        if theme == "light":
            _annotate(window, app)
        for _ in range(5):
            app.processEvents()
        written.append(_grab(window, out_dir / f"gloss-{theme}.png"))
        _search(window, app, annotate=theme == "light")
        name = "search.png" if theme == "light" else f"search-{theme}.png"
        written.append(_grab(window, out_dir / name))
    return written


def _application() -> Any:
    """The QApplication (offscreen unless a display is named), in the Fusion style."""
    if "QT_QPA_PLATFORM" not in os.environ and not os.environ.get("DISPLAY"):
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    return app


def _demo_windows(*, restore_state: bool = False) -> Iterator[tuple[str, Any]]:
    """A main window over a fresh demo library, light then dark, shown at `SIZE`; each is closed
    (writer stopped, reader closed) when the caller asks for the next."""
    from reader.core.library import Library
    from reader.gui.app import open_writer
    from reader.gui.main_window import MainWindow
    from reader.gui.settings_store import SettingsStore
    from reader.gui.tasks import TaskManager

    app = _application()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.gloss"
        for theme in ("light", "dark"):
            settings = SettingsStore(Path(tmp) / f"{theme}.ini")
            settings.set("theme", theme)
            settings.set("mark_read_delay_ms", -1)
            settings.set("refresh_interval_min", 0)
            tasks = TaskManager(partial(open_writer, path, first_start=not path.exists()))
            error = tasks.wait_until_open()
            if error is not None:
                raise error
            reader = Library.open(path, readonly=True)
            window = MainWindow(tasks, reader, settings)
            if restore_state:
                window.restore_state()
            window.resize(*SIZE)
            window.show()
            app.processEvents()
            try:
                yield theme, window
            finally:
                window.close()
                tasks.shutdown()
                reader.close()


def wait_until(app: Any, ready: Callable[[], bool], seconds: float = 10) -> None:
    """Let the window work (queued results, painting) until ``ready()`` or time runs out."""
    deadline = time.monotonic() + seconds
    while not ready() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


def write_and_wait(window: Any, app: Any, run: Callable[[Any], Any]) -> None:
    """Write as the window does: ``run(library)`` on the writer thread, its ``Changes`` handed
    to the panes; then wait until that is done."""
    done: list[bool] = []
    window.tasks.mutate(run, on_done=lambda _c: done.append(True))
    wait_until(app, lambda: bool(done))


def _choose_article(window: object) -> None:
    """Show an article with an image in it, in a list with read and unread rows."""
    from reader.gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.feeds_pane.tree.expandAll()
    window.feeds_pane.select_key("smart:all")
    model = window.articles_model
    chosen, earliest = 0, None
    for row in range(model.rowCount()):
        article = model.article(row)
        if article is None:
            continue
        detail = window.reader.get_article(article.id)
        at = detail.text.html.find('src="cache:') if detail.text is not None else -1
        if at >= 0 and (earliest is None or at < earliest):
            chosen, earliest = row, at
    window.articles_pane.select_row(max(0, chosen))


def _annotate(window: object, app: object) -> None:
    """Highlights in three colours (one with a note) and an article note, as readers leave them."""
    from reader.core.library import Library
    from reader.core.types import Changes
    from reader.gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    detail = window.reading_view.detail
    if detail is None or detail.text is None:
        return
    article_id = detail.article.id
    sentences = [s.strip() for s in detail.text.text.replace("\n", " ").split(". ") if s.strip()]
    picks = [s for s in sentences if 40 <= len(s) <= 160][:6]

    def run(lib: Library) -> Changes:
        colours = ("yellow", "green", "pink")
        notes = (
            "Worth remembering: the app never needs the network to show this. #offline",
            None,
            None,
        )
        changes = Changes()
        for quote, colour, note in zip(picks[1::2], colours, notes, strict=False):
            changes |= lib.add_highlight_by_quote(article_id, quote, color=colour, note=note)[1]
        changes |= lib.set_color_label("pink", "question")
        note = "Try exporting this article to Markdown: **File → Export**."
        return changes | lib.add_note(article_id, note)[1]

    write_and_wait(window, app, run)
    window.show_article_by_id(article_id)
    window.apply_color_labels()
    window.reload_feeds()  # the Tags group
    window.feeds_pane.tree.expandAll()


SEARCH_QUERY = "water flour"
SMART_FOLDERS = (
    ("Fermenting", "ferment OR starter OR yeast"),
    ("Kitchen, unread", 'feed:"The Slow Kitchen" is:unread'),
)


def _search(window: object, app: object, *, annotate: bool) -> None:
    """Search the demo for a word found in articles, in a highlight and in a note; open the
    first hit at its match."""
    from reader.core.library import Library
    from reader.core.types import Changes
    from reader.gui.main_window import MainWindow

    assert isinstance(window, MainWindow)

    def run(lib: Library) -> Changes:
        changes = Changes()
        articles = {a.title: a for a in lib.list_articles(limit=200).articles}
        starter = next((a for t, a in articles.items() if t.startswith("A starter")), None)
        salt = next((a for t, a in articles.items() if t.startswith("Salt, water")), None)
        if starter is not None:
            text = lib.get_article(starter.id).text
            sentences = [] if text is None else text.text.replace("\n", " ").split(". ")
            quote = next((s for s in sentences if "water" in s and 30 < len(s) < 140), None)
            if quote:
                note = "Filtered water if the starter sulks."
                changes |= lib.add_highlight_by_quote(starter.id, quote, color="blue", note=note)[1]
        if salt is not None:
            note = "Weigh the water as well as the flour: grams, not cups."
            changes |= lib.add_note(salt.id, note)[1]
        for name, query in SMART_FOLDERS:
            changes |= lib.create_saved_search(name, query)[1]
        return changes

    if annotate:
        write_and_wait(window, app, run)
        window.feeds_pane.tree.expandAll()
        wait_until(app, lambda: not window._search_counts_timer.isActive())
    window.center.setSizes([310, 490])  # the four hits, then the article
    window.focus_search()
    window.articles_pane.search_field.setText(SEARCH_QUERY)
    window.run_search()
    wait_until(app, window.search_settled)
    window.articles_pane.results.enter()
    for _ in range(5):
        app.processEvents()  # type: ignore[attr-defined]


def render_dialogs(out_dir: Path) -> list[Path]:
    """About and Preferences over the demo library, light and dark: ``about.png``,
    ``preferences.png`` (its Reading page), ``preferences-shortcuts.png`` and the ``-dark``
    versions."""
    app = _application()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for theme, window in _demo_windows():
        suffix = "" if theme == "light" else "-dark"
        about = window.about()
        about.licences.scrollToTop()
        wait_until(app, lambda d=about: d.isVisible(), 2)  # type: ignore[misc]
        for _ in range(5):
            app.processEvents()
        written.append(_grab(about, out_dir / f"about{suffix}.png"))
        about.reject()
        preferences = window.preferences()
        preferences.resize(640, 560)
        pages = [preferences.tabs.tabText(i) for i in range(preferences.tabs.count())]
        preferences.tabs.setCurrentIndex(pages.index("Reading"))
        for _ in range(5):
            app.processEvents()
        written.append(_grab(preferences, out_dir / f"preferences{suffix}.png"))
        preferences.tabs.setCurrentIndex(preferences.tabs.count() - 1)
        if preferences.shortcuts is not None:
            preferences.shortcuts.select("toggle_star")
        for _ in range(5):
            app.processEvents()
        written.append(_grab(preferences, out_dir / f"preferences-shortcuts{suffix}.png"))
        preferences.accept()
    return written


def _grab(widget: Any, target: Path) -> Path:
    widget.grab().save(str(target))
    return target


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    dialogs = "--dialogs" in args
    args = [a for a in args if a != "--dialogs"]
    if len(args) != 1:
        sys.stderr.write("usage: python -m reader.gui.screenshots [--dialogs] OUTDIR\n")
        return 2
    for path in (render_dialogs if dialogs else render)(Path(args[0])):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
