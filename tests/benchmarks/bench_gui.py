"""Window benchmarks on a large library (not run by CI).

    python -m tests.benchmarks.bench_gui LIBRARY.gloss [--runs 5] [--refresh-feeds 1000]

LIBRARY comes from ``make_big_library`` (100,000 articles in 1,000 feeds). Measured:
- start-up: ``gloss --library LIBRARY --startup-report`` in a fresh process, median of ``--runs``
  (process start to the first article-list page painted, event loop idle; resident memory);
- first rows of All articles: ``ArticlesModel.show`` plus the table's repaint;
- j/k: selecting the next article and painting the reading view, median over 100 steps;
- opening the article with 50 highlights;
- the longest GUI-thread stall while refreshing ``--refresh-feeds`` feeds served on 127.0.0.1
  with 50 ms latency (a 2 ms timer records the largest gap between its ticks).
The refresh step works on a copy of LIBRARY with extra feeds, so the original stays unchanged.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def startup(library: Path, runs: int) -> dict[str, float]:
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        env["GLOSS_WINDOW_SETTINGS"] = str(Path(tmp) / "window.ini")
        for _ in range(runs):
            done = subprocess.run(
                [sys.executable, "-m", "reader", "--library", str(library), "--startup-report"],
                capture_output=True,
                text=True,
                env=env,
                cwd=ROOT,
                timeout=120,
                check=True,
            )
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return {
        "startup_interactive_ms_median": statistics.median(r["interactive_ms"] for r in results),
        "startup_interactive_ms_all": [r["interactive_ms"] for r in results],  # type: ignore[dict-item]
        "rss_mb_median": statistics.median(r["rss_mb"] for r in results),
    }


def in_process(library: Path, refresh_feeds: int) -> dict[str, float]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from reader.core.library import Library
    from reader.core.types import ArticleFilter
    from reader.gui.main_window import MainWindow
    from reader.gui.settings_store import SettingsStore
    from reader.gui.tasks import TaskManager

    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setStyle("Fusion")
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "library.gloss"
        shutil.copy(library, work)
        settings = SettingsStore(Path(tmp) / "window.ini")
        settings.set("mark_read_delay_ms", -1)
        settings.set("refresh_interval_min", 0)
        tasks = TaskManager(lambda: Library.open(work))
        assert tasks.wait_until_open() is None
        reader = Library.open(work, readonly=True)
        window = MainWindow(tasks, reader, settings)
        window.restore_state()
        window.resize(1280, 800)
        window.show()
        app.processEvents()

        table = window.articles_pane.table
        samples = []
        for _ in range(7):
            started = time.perf_counter()
            window.articles_model.show(ArticleFilter())
            table.viewport().repaint()
            samples.append((time.perf_counter() - started) * 1000)
        out["first_rows_ms_median"] = statistics.median(samples)

        window.articles_pane.select_row(0)
        app.processEvents()
        steps = []
        for i in range(100):
            started = time.perf_counter()
            if i % 10 == 9:
                window.previous_article()
            else:
                window.next_article()
            window.reading_view.viewport().repaint()
            table.viewport().repaint()
            steps.append((time.perf_counter() - started) * 1000)
        out["jk_ms_median"] = statistics.median(steps)
        out["jk_ms_max"] = max(steps)

        opens = []
        for _ in range(7):
            window.articles_pane.select_row(5)
            started = time.perf_counter()
            window.articles_pane.select_row(0)  # the newest article: 50 highlights and a note
            window.reading_view.viewport().repaint()
            window.annotations_pane.list.viewport().repaint()
            opens.append((time.perf_counter() - started) * 1000)
        out["open_annotated_ms_median"] = statistics.median(opens)
        out["annotations_listed"] = window.annotations_model.rowCount()

        if refresh_feeds:
            out.update(_refresh_stall(app, window, tasks, refresh_feeds, QTimer))
        window.close()
        tasks.shutdown()
        reader.close()
    return out


def _refresh_stall(app, window, tasks, feeds: int, QTimer) -> dict[str, float]:  # type: ignore[no-untyped-def]
    from reader.core.library import Library
    from tests.support.feeds import RSS_HEADERS, Item, rss
    from tests.support.http_server import Route, ScriptedServer

    with ScriptedServer() as server:
        body = rss("Served", [Item(f"e{i}", f"Entry {i}") for i in range(20)])
        for n in range(feeds):
            server.routes[f"/bench/{n}.xml"] = Route(body=body, headers=RSS_HEADERS, delay=0.05)
        urls = [server.url(f"/bench/{n}.xml") for n in range(feeds)]

        def subscribe_all(lib: Library) -> list[int]:
            ids = []
            for url in urls:
                feed_id, _ = lib.subscribe(url)
                ids.append(feed_id)
            return ids

        ids: list[int] = []
        tasks.run_db(subscribe_all, ids.extend)
        while not ids:
            app.processEvents()
            time.sleep(0.01)
        # as the Add Feed flow does: the new feeds reach the tree before the refresh starts
        window.reload_feeds()
        app.processEvents()
        gaps: list[float] = []
        at: list[float] = []
        last = [time.perf_counter()]

        def tick() -> None:
            now = time.perf_counter()
            gaps.append((now - last[0]) * 1000)
            at.append(now)
            last[0] = now

        timer = QTimer()
        timer.setInterval(2)
        timer.timeout.connect(tick)
        timer.start()
        started = time.perf_counter()
        window._start_refresh(ids)
        shown = time.perf_counter()
        while window.refreshing is not None:
            app.processEvents()
            time.sleep(0.001)
            if time.perf_counter() - shown > 5:
                shown = time.perf_counter()
                progress = window.refreshing
                done = progress.done if progress else "-"
                print(f"  refresh: {done} / {feeds} after {shown - started:.0f} s", file=sys.stderr)
        elapsed = time.perf_counter() - started
        timer.stop()
    return {
        "refresh_feeds": feeds,
        "refresh_seconds": elapsed,
        "refresh_gui_stall_ms_max": max(gaps) if gaps else 0.0,
        "refresh_gui_stall_max_at_s": at[gaps.index(max(gaps))] - started if gaps else 0.0,
        "refresh_gui_stall_ms_p99": sorted(gaps)[int(len(gaps) * 0.99)] if gaps else 0.0,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("library", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--refresh-feeds", type=int, default=1000)
    args = parser.parse_args(argv)
    report: dict[str, object] = {
        "machine": f"{platform.machine()} {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}",
    }
    report.update(startup(args.library, args.runs))
    report.update(in_process(args.library, args.refresh_feeds))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
