"""Network work on an asyncio loop in a helper thread, results handed to the caller's thread.

Refresh and offline work share this shape (DESIGN.md rule 3): the loop fetches and parses, and
only the thread that iterates the run writes. Closing the iterator early (or ``cancel``) stops
outstanding work; results not yet taken were never written, so nothing is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Awaitable, Iterator
from typing import Any, Generic, TypeVar

T = TypeVar("T")


class BackgroundRun(Generic[T]):
    """Subclasses implement ``_work()``, a coroutine that calls ``_put`` once per result."""

    def __init__(self, *, name: str, empty: bool) -> None:
        self._empty = empty
        self._queue: queue.Queue[T | BaseException | None] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run_loop, name=name, daemon=True)

    def __iter__(self) -> Iterator[T]:
        if self._empty:
            return
        self._thread.start()
        try:
            while (item := self._queue.get()) is not None:  # None: the loop has finished
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.cancel()
            self._thread.join(timeout=10)

    def idle(self) -> bool:
        """No finished result is waiting: a good moment for the writer to commit."""
        return self._queue.empty()

    def cancel(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop finished meanwhile
                loop.call_soon_threadsafe(stop.set)

    def _work(self) -> Awaitable[Any]:
        raise NotImplementedError

    def _put(self, result: T) -> None:
        """Called on the loop's thread: hand one result to the iterating (writer) thread."""
        self._queue.put(result)

    def _run_loop(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # surfaced to the writer thread, never swallowed
            self._queue.put(e)
        finally:
            self._queue.put(None)

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        everything = asyncio.ensure_future(self._work())
        stopper = asyncio.ensure_future(self._stop.wait())
        waited: list[asyncio.Future[Any]] = [everything, stopper]
        await asyncio.wait(waited, return_when=asyncio.FIRST_COMPLETED)
        if not everything.done():
            everything.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await everything
        stopper.cancel()
        if not everything.cancelled():
            everything.result()  # a failure of the work itself reaches the writer
