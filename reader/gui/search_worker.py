"""Searches off the GUI thread: one reader thread with its own read-only ``Library``.

A search for a common word on a 100,000-article library can take half a second, which the GUI
thread must not spend while the user types. The writer thread is no place for it either: a search
would wait behind a refresh. So this thread opens its own read-only connection (WAL: it never
waits for the writer; sqlite-utils binds a connection to its thread, so it is opened there) and
runs only the newest request: a search typed over by a newer one is dropped unstarted, and a
result that arrives for an old request is ignored by its token. Results come back through a
queued signal and are handled on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from reader.core.library import Library

log = logging.getLogger("gloss.gui.search")
PRIORITY = {"search": 0, "more": 1, "counts": 2}


@dataclass(frozen=True)
class SearchRequest:
    token: int
    run: Callable[[Library], Any]


class SearchWorker(QObject):
    # token, value (or None), error (or None), milliseconds spent
    finished = Signal(int, object, object, float)

    def __init__(self, open_library: Callable[[], Library], parent: QObject | None = None):
        super().__init__(parent)
        self._open_library = open_library
        self._wake = threading.Condition()
        self._pending: dict[str, SearchRequest] = {}  # per purpose: only the newest waits
        self._stopping = False
        self._busy = 0
        self._token = 0
        self._thread = threading.Thread(target=self._loop, name="gloss-search", daemon=True)
        self._thread.start()

    def submit(self, purpose: str, run: Callable[[Library], Any]) -> int:
        """Queue ``run(library)``, replacing a request of the same ``purpose`` not yet started;
        returns the token its ``finished`` signal will carry."""
        with self._wake:
            self._token += 1
            if purpose not in self._pending:
                self._busy += 1
            self._pending[purpose] = SearchRequest(self._token, run)
            self._wake.notify()
            return self._token

    def is_idle(self) -> bool:
        with self._wake:
            return self._busy == 0

    def close(self) -> None:
        with self._wake:
            self._stopping = True
            self._pending.clear()
            self._wake.notify()
        self._thread.join(timeout=10)

    def _loop(self) -> None:
        library: Library | None = None
        try:
            while True:
                with self._wake:
                    while not self._pending and not self._stopping:
                        self._wake.wait()
                    if self._stopping:
                        return
                    # what the user waits for first; counts can wait a moment
                    purpose = min(self._pending, key=lambda p: PRIORITY.get(p, len(PRIORITY)))
                    request = self._pending.pop(purpose)
                value: Any = None
                error: BaseException | None = None
                started = time.perf_counter()
                try:
                    if library is None:
                        library = self._open_library()
                    value = request.run(library)
                except Exception as e:  # reported with the token; the GUI decides
                    error = e
                elapsed = (time.perf_counter() - started) * 1000
                with self._wake:
                    self._busy -= 1
                    if self._stopping:
                        return
                self.finished.emit(request.token, value, error, elapsed)
        finally:
            if library is not None:
                library.close()
