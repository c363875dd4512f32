"""Refresh orchestration: fetch concurrently, parse in worker processes, hand results to one writer.

The shape follows DESIGN.md's data flow. An asyncio loop in a helper thread runs the fetches
(httpx, per-host limits in ``Fetcher``); bodies that changed go to the ``ParsePool``; finished
outcomes land in a queue that the *caller's* thread drains. The caller is the single writer
(rule 3): the CLI's main thread, or the GUI's DB worker. Nothing here touches the database.

Memory stays bounded because a feed holds a slot from before its fetch until its parse is done:
at most ``slots`` bodies and parse results exist at once, whatever the number of feeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from reader.core.errors import GlossError, ParseError
from reader.core.fetch import Fetcher, FetchResult
from reader.core.parse import ParsedFeed, ParsePool
from reader.core.storage.feeds import FetchState

DEFAULT_SLOTS = 48


@dataclass(frozen=True, slots=True)
class FeedOutcome:
    """What happened to one feed, before anything was written."""

    state: FetchState
    fetch: FetchResult | None  # None when the fetch failed
    parsed: ParsedFeed | None  # None when not modified or failed
    error: GlossError | None

    @property
    def not_modified(self) -> bool:
        return self.error is None and self.parsed is None


def _unchanged(state: FetchState, result: FetchResult) -> bool:
    if result.status == 304:
        return True
    return bool(state.body_sha256) and result.body_sha256 == state.body_sha256


class RefreshRun:
    """Iterate to receive one ``FeedOutcome`` per feed, in completion order.

    Closing the iterator early (or calling ``cancel``) stops outstanding fetches; outcomes
    already produced are simply dropped, and since nothing was written for them, nothing is lost.
    """

    def __init__(
        self,
        states: Sequence[FetchState],
        *,
        parse_pool: ParsePool,
        make_fetcher: Callable[[], Fetcher] = Fetcher,
        slots: int = DEFAULT_SLOTS,
    ) -> None:
        self._states = list(states)
        self._pool = parse_pool
        self._make_fetcher = make_fetcher
        self._slots = slots
        self._queue: queue.Queue[FeedOutcome | BaseException | None] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run_loop, name="gloss-fetch", daemon=True)
        self._started = False

    def __len__(self) -> int:
        return len(self._states)

    def __iter__(self) -> Iterator[FeedOutcome]:
        if not self._states:
            return
        self._started = True
        self._thread.start()
        try:
            while (item := self._queue.get()) is not None:  # None: the loop has finished
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            self.cancel()
            self._thread.join(timeout=10)

    def cancel(self) -> None:
        loop, stop = self._loop, self._stop
        if loop is not None and stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop finished meanwhile
                loop.call_soon_threadsafe(stop.set)

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
        slots = asyncio.Semaphore(self._slots)
        async with self._make_fetcher() as fetcher:
            tasks = [asyncio.create_task(self._one(fetcher, slots, s)) for s in self._states]
            stopper = asyncio.create_task(self._stop.wait())
            pending = set(tasks)
            while pending:
                done, _ = await asyncio.wait(
                    pending | {stopper}, return_when=asyncio.FIRST_COMPLETED
                )
                pending -= done
                if stopper in done:
                    for task in pending:
                        task.cancel()
                    await asyncio.gather(*pending, return_exceptions=True)
                    break
            stopper.cancel()

    async def _one(self, fetcher: Fetcher, slots: asyncio.Semaphore, state: FetchState) -> None:
        async with slots:
            try:
                result = await fetcher.fetch(
                    state.url, etag=state.etag, last_modified=state.last_modified
                )
            except GlossError as e:
                self._queue.put(FeedOutcome(state, None, None, e))
                return
            if _unchanged(state, result) or result.body is None:
                self._queue.put(FeedOutcome(state, result, None, None))
                return
            try:
                future = self._pool.submit(result.body, result.final_url, result.content_type)
                parsed = await asyncio.wrap_future(future)
            except GlossError as e:
                self._queue.put(FeedOutcome(state, result, None, e))
                return
            except Exception as e:  # a worker bug must cost one feed, not the refresh
                error = ParseError(f"The feed could not be parsed ({type(e).__name__}: {e}).")
                self._queue.put(FeedOutcome(state, result, None, error))
                return
            self._queue.put(FeedOutcome(state, result, parsed, None))
