"""Starting the window: QApplication, logging, the crash dialog, the library, the main window.

Order matters for the start-up budget. The writer library opens on the DB thread (start-up
checks included) while Qt builds its application and theme; the GUI thread then opens its own
read-only connection and builds the window. A first start (no library file yet) also loads the
bundled demo library, on the writer thread, before the window reads anything.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time
import traceback
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QTimer, QtMsgType, qInstallMessageHandler
from PySide6.QtWidgets import QApplication, QMessageBox

from reader.core.errors import CorruptLibraryError, GlossError, SchemaTooNewError
from reader.core.library import Library
from reader.core.paths import APP_NAME, log_dir, resolve_library_path
from reader.gui import resources
from reader.gui.instance import WindowInstance
from reader.gui.settings_store import SettingsStore, default_settings_path
from reader.gui.tasks import TaskManager

log = logging.getLogger("gloss.gui")
SETTINGS_ENV = "GLOSS_WINDOW_SETTINGS"  # tests and the benchmark point the window's INI elsewhere
_IMPORTED_AT = time.perf_counter()


def process_age_ms() -> float:
    """Milliseconds since this process started (Linux: from /proc; elsewhere: since import)."""
    try:
        with open("/proc/self/stat", encoding="ascii") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        start_ticks = int(fields[19])
        with open("/proc/uptime", encoding="ascii") as f:
            uptime = float(f.read().split()[0])
        return (uptime - start_ticks / os.sysconf("SC_CLK_TCK")) * 1000
    except (OSError, ValueError, IndexError):
        return (time.perf_counter() - _IMPORTED_AT) * 1000


def resident_mb() -> float:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    scale = 1 if sys.platform == "darwin" else 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024 / 1024


# ---- logging and crashes -------------------------------------------------------------------


def log_file() -> Path:
    return log_dir() / "gloss.log"


def setup_logging() -> None:
    root = logging.getLogger("gloss")
    root.setLevel(logging.INFO)
    try:
        log_file().parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file(), maxBytes=1_000_000, backupCount=3, encoding="utf-8"
        )
    except OSError:
        handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    route_qt_messages_to_log()


_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


def route_qt_messages_to_log(ignore: tuple[str, ...] = ()) -> None:
    """Qt's own warnings go to the ``gloss.qt`` logger (and so wherever Gloss logs), except
    messages starting with one of ``ignore``."""
    qt_log = logging.getLogger("gloss.qt")

    def on_qt_message(kind: QtMsgType, _context: object, message: str) -> None:
        if not (ignore and message.startswith(ignore)):
            qt_log.log(_QT_LEVELS.get(kind, logging.WARNING), message)

    qInstallMessageHandler(on_qt_message)


def install_crash_handler() -> None:
    """Unexpected exceptions: logged, then shown in a dialog; the window keeps running."""

    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        details = "".join(traceback.format_exception(kind, error, tb))
        log.error("unexpected error:\n%s", details)
        if isinstance(error, GlossError):
            QMessageBox.warning(None, APP_NAME, str(error))
            return
        from reader.gui.dialogs.crash import CrashDialog

        CrashDialog(details, log_file()).exec()

    sys.excepthook = hook


# ---- opening the library -------------------------------------------------------------------


def open_writer(path: Path, *, first_start: bool) -> Library:
    """Runs on the DB thread: start-up checks, then the demo library on a first start."""
    library = Library.open(path)
    if first_start:
        try:
            from reader.core.demo import load_demo
        except ImportError:
            log.warning("the demo library is not available in this build")
        else:
            try:
                load_demo(library)
            except GlossError as e:
                log.warning("could not load the demo library: %s", e)
    return library


def explain_open_error(error: BaseException) -> str:
    if isinstance(error, SchemaTooNewError):
        return str(error)
    if isinstance(error, CorruptLibraryError):
        moved = f"\n\nThe damaged file was moved to:\n{error.moved_to}" if error.moved_to else ""
        return f"{error}{moved}\n\nYour backups are in the “backups” folder beside the library."
    if isinstance(error, GlossError):
        return str(error)
    return f"The library could not be opened: {error!r}"


def settings_path() -> Path:
    override = os.environ.get(SETTINGS_ENV)
    return Path(override) if override else default_settings_path()


# ---- the entry point -----------------------------------------------------------------------


def run_app(
    library: str | None,
    *,
    startup_report: bool = False,
    smoke_test: bool = False,
    feed_url: str | None = None,
) -> int:
    """``gloss`` with no command. Returns the process exit status.

    ``smoke_test`` (``gloss --smoke-test``) runs reader/gui/smoke.py instead: offscreen, in a
    temporary library unless ``library`` names one (never the default library). ``feed_url``
    (``gloss feed://…``) opens the Add Feed dialog on it once the window shows.

    The window serves the single-instance socket of its library (reader/gui/instance.py); when
    another window took it first (two starts at once), this one hands over and exits.
    """
    if smoke_test:
        from reader.gui.smoke import run_smoke_test

        return run_smoke_test(library)
    path = resolve_library_path(library)
    first_start = not path.exists() or path.stat().st_size == 0
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "gloss"])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setStyle("Fusion")
    if not startup_report:
        setup_logging()
        install_crash_handler()
    instance: WindowInstance | None = None
    if not startup_report:
        instance = WindowInstance(path)
        if not instance.start():
            return _hand_over(path, feed_url)
    tasks = TaskManager(lambda: open_writer(path, first_start=first_start))
    app.setWindowIcon(resources.app_icon())
    # An existing, current library is read while the writer's start-up checks run.
    reader = _open_reader_early(path) if not first_start else None
    if reader is None:
        error = tasks.wait_until_open()
        if error is not None:
            _close(instance)
            return _refuse(tasks, error, startup_report)
        try:
            reader = Library.open(path, readonly=True)
        except GlossError as e:
            _close(instance)
            return _refuse(tasks, e, startup_report)

    from reader.gui.main_window import MainWindow

    window = MainWindow(tasks, reader, SettingsStore(settings_path()))
    window.exit_app_when_closed = True
    window.restore_state()
    window.show()
    if instance is not None:
        instance.set_handler(window.handle_instance_request)
    if feed_url:
        QTimer.singleShot(0, lambda: window.add_feed(feed_url))

    def writer_failed(error: BaseException) -> None:
        """The checks found a problem after the window opened: explain it, then close."""
        window.hide()
        _refuse(tasks, error, startup_report, shutdown=False)
        app.exit(1)

    tasks.run_db(lambda _lib: None, on_error=writer_failed)
    if startup_report:
        QTimer.singleShot(0, lambda: _report_when_idle(window, app, tasks))
    try:
        return app.exec()
    finally:
        _close(instance)
        tasks.shutdown()
        reader.close()


def _close(instance: WindowInstance | None) -> None:
    if instance is not None:
        instance.close()


def _hand_over(path: Path, feed_url: str | None) -> int:
    """Another window serves this library: bring it forward (with the feed link) instead."""
    from reader.core.desktop import ask_running_window

    message = {"command": "subscribe", "url": feed_url} if feed_url else {"command": "raise"}
    try:
        ask_running_window(path, message)
    except GlossError as e:
        log.warning("the window already open did not answer: %s", e)
        return 1
    log.info("a window is already open on %s; it was brought forward", path)
    return 0


def _open_reader_early(path: Path) -> Library | None:
    if not Library.readable_now(path):
        return None
    try:
        return Library.open(path, readonly=True)
    except GlossError:
        return None  # the writer's checks will say what is wrong


def _refuse(
    tasks: TaskManager, error: BaseException, startup_report: bool, *, shutdown: bool = True
) -> int:
    if shutdown:
        tasks.shutdown()
    message = explain_open_error(error)
    if startup_report:
        sys.stderr.write(f"gloss: {message}\n")
    else:
        QMessageBox.critical(None, APP_NAME, message)
    return 1


def _report_when_idle(window: object, app: QApplication, tasks: TaskManager) -> None:
    """Paint the article list now, let pending events run, then print the numbers and quit."""
    from reader.gui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    window.articles_pane.table.viewport().repaint()
    app.processEvents()
    interactive = process_age_ms()
    if tasks.wait_until_open() is not None:
        return  # writer_failed reports it and exits
    report = {
        "interactive_ms": round(interactive, 1),
        "writer_ready_ms": round(process_age_ms(), 1),
        "rss_mb": round(resident_mb(), 1),
        "articles_loaded": window.articles_model.loaded_count(),
        "feeds": len(window.reader.list_feeds()),
    }
    sys.stdout.write(json.dumps(report) + "\n")
    sys.stdout.flush()
    window.close()
    app.quit()
