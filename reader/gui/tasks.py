"""Background work for the window: one DB writer thread, a small network pool.

Everything that writes to the library runs on one thread, which owns the writer ``Library``
(sqlite-utils binds a connection to its thread; DESIGN rule 3). Long jobs such as a refresh are
generators: the worker runs one step, posts its result to the GUI, and puts the job back at the
end of its queue, so a "mark as read" clicked during a 1,000-feed refresh waits for one feed, not
for the whole refresh. Results come back to the GUI thread through a queued signal; callbacks
run there and are the only code that may touch widgets (Anki's ``taskman.py`` pattern).
"""

from __future__ import annotations

import collections
import logging
import threading
import traceback
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal, Slot

from reader.core.errors import GlossError
from reader.core.library import Library
from reader.core.types import Changes

log = logging.getLogger("gloss.gui.tasks")

T = TypeVar("T")
OnError = Callable[[BaseException], None]


@dataclass
class _Job:
    run: Callable[[Library], Any]
    on_done: Callable[[Any], None] | None
    on_error: OnError | None
    on_step: Callable[[Any], None] | None = None
    steps: Iterator[Any] | None = None  # set once a stepping job has started
    durable: bool = False  # a user's words: still written if the window closes first


class _DbWorker(threading.Thread):
    """The writer thread: opens the library, then runs jobs in order (steps interleaved)."""

    def __init__(
        self, open_library: Callable[[], Library], post: Callable[[Callable[[], None]], None]
    ):
        super().__init__(name="gloss-db", daemon=True)
        self._open_library = open_library
        self._post = post
        self._jobs: collections.deque[_Job] = collections.deque()
        self._wake = threading.Condition()
        self._stopping = False
        self.library: Library | None = None
        self.open_error: BaseException | None = None
        self.opened = threading.Event()
        self.busy = 0  # jobs queued or running; read on the GUI thread for "idle" checks

    def submit(self, job: _Job) -> None:
        with self._wake:
            self._jobs.append(job)
            self.busy += 1
            self._wake.notify()

    def stop(self) -> None:
        with self._wake:
            self._stopping = True
            self._wake.notify()

    def run(self) -> None:
        try:
            self.library = self._open_library()
        except BaseException as e:  # reported to the GUI, which explains it to the user
            self.open_error = e
        finally:
            self.opened.set()
        durable: list[_Job] = []
        try:
            while True:
                with self._wake:
                    while not self._jobs and not self._stopping:
                        self._wake.wait()
                    if self._stopping:
                        durable = [j for j in self._jobs if j.durable and j.on_step is None]
                        self._jobs.clear()
                        break
                    job = self._jobs.popleft()
                if self._run_one(job):
                    with self._wake:
                        self._jobs.append(job)  # a stepping job goes to the back of the queue
                else:
                    with self._wake:
                        self.busy -= 1
            # Closing drops queued work (a refresh can wait for next time) but never a note
            # the user typed just before closing.
            for job in durable:
                self._run_one(job)
            with self._wake:
                self.busy = 0  # nothing is queued or running any more
        finally:
            if self.library is not None:
                self.library.close()

    def _run_one(self, job: _Job) -> bool:
        """Run a job (or one step of it); True when a stepping job has more steps."""
        try:
            if self.library is None:
                raise self.open_error or GlossError("The library is not open.")
            if job.on_step is not None:
                if job.steps is None:
                    job.steps = iter(job.run(self.library))
                try:
                    value = next(job.steps)
                except StopIteration as stop:
                    self._deliver(job.on_done, stop.value)
                    return False
                self._deliver(job.on_step, value)
                return True
            self._deliver(job.on_done, job.run(self.library))
        except BaseException as e:
            self._fail(job, e)
        return False

    def _deliver(self, callback: Callable[[Any], None] | None, value: Any) -> None:
        if callback is not None:
            self._post(lambda: callback(value))

    def _fail(self, job: _Job, error: BaseException) -> None:
        if not isinstance(error, GlossError):
            log.error("background job failed:\n%s", "".join(traceback.format_exception(error)))
        handler = job.on_error
        self._post(lambda: _report(error, handler))


def _report(error: BaseException, handler: OnError | None) -> None:
    if handler is not None:
        handler(error)
    else:
        raise error  # reaches sys.excepthook: the crash dialog (or a test failure)


class TaskManager(QObject):
    """The window's only way to touch the writer library or the network."""

    _posted = Signal()
    # (changes, initiator): every pane listens and refreshes only what concerns it (rule 2)
    changes_applied = Signal(object, object)
    # a GlossError from a mutation nobody handled: shown in the status bar / a dialog
    error_reported = Signal(str)

    def __init__(self, open_library: Callable[[], Library], parent: QObject | None = None):
        super().__init__(parent)
        self._pending: collections.deque[Callable[[], None]] = collections.deque()
        self._lock = threading.Lock()
        self._posted.connect(self._run_posted)
        self._net = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gloss-net")
        self._net_busy = 0
        self._worker = _DbWorker(open_library, self._post)
        self._worker.start()

    # ---- life cycle -----------------------------------------------------------------------

    def wait_until_open(self, timeout: float | None = None) -> BaseException | None:
        """Block until the writer library is open; returns the error that stopped it, if any."""
        self._worker.opened.wait(timeout)
        return self._worker.open_error

    def is_idle(self) -> bool:
        with self._lock:
            pending = bool(self._pending)
        return self._worker.busy == 0 and self._net_busy == 0 and not pending

    def shutdown(self) -> None:
        """Finish the running job, drop queued ones, close the library (its thread does it)."""
        self._worker.stop()
        self._worker.join(timeout=30)
        self._net.shutdown(wait=False, cancel_futures=True)

    # ---- submitting -----------------------------------------------------------------------

    def run_db(
        self,
        run: Callable[[Library], T],
        on_done: Callable[[T], None] | None = None,
        on_error: OnError | None = None,
        *,
        durable: bool = False,
    ) -> None:
        """Run ``run(library)`` on the writer thread; ``durable`` jobs are written even when
        the window closes while they wait in the queue."""
        self._worker.submit(_Job(run, on_done, on_error, durable=durable))

    def run_db_steps(
        self,
        run: Callable[[Library], Iterator[T]],
        on_step: Callable[[T], None],
        on_done: Callable[[Any], None] | None = None,
        on_error: OnError | None = None,
    ) -> None:
        self._worker.submit(_Job(run, on_done, on_error, on_step=on_step))

    def mutate(
        self,
        run: Callable[[Library], Changes],
        initiator: object = None,
        on_done: Callable[[Changes], None] | None = None,
        on_error: OnError | None = None,
        *,
        durable: bool = False,
    ) -> None:
        """A write whose ``Changes`` are broadcast once, before ``on_done`` runs."""

        def done(changes: Changes) -> None:
            self.broadcast(changes, initiator)
            if on_done is not None:
                on_done(changes)

        self.run_db(run, done, on_error or self._report_error, durable=durable)

    def run_network(
        self,
        run: Callable[[], T],
        on_done: Callable[[T], None] | None = None,
        on_error: OnError | None = None,
    ) -> None:
        """Network-only work (feed discovery): never touches the library's connection."""
        self._net_busy += 1

        def work() -> None:
            try:
                value = run()
            except BaseException as e:
                error = e
                self._post(lambda: self._net_finished(lambda: _report(error, on_error)))
            else:
                self._post(lambda: self._net_finished(lambda: on_done and on_done(value)))

        self._net.submit(work)

    def broadcast(self, changes: Changes, initiator: object = None) -> None:
        if changes:
            self.changes_applied.emit(changes, initiator)

    # ---- internals ------------------------------------------------------------------------

    def _net_finished(self, then: Callable[[], object]) -> None:
        self._net_busy -= 1
        then()

    def _report_error(self, error: BaseException) -> None:
        if isinstance(error, GlossError):
            self.error_reported.emit(str(error))
        else:
            raise error

    def _post(self, callback: Callable[[], None]) -> None:
        """Called from any thread: queue ``callback`` for the GUI thread."""
        with self._lock:
            self._pending.append(callback)
        self._posted.emit()

    @Slot()
    def _run_posted(self) -> None:
        while True:
            with self._lock:
                if not self._pending:
                    return
                callback = self._pending.popleft()
            try:
                callback()
            except BaseException:
                with self._lock:
                    more = bool(self._pending)
                if more:
                    self._posted.emit()  # the rest still run, after the error is reported
                raise
