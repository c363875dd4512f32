"""Refresh orchestration: fetch concurrently, parse in worker processes, hand results to one writer.

The shape follows DESIGN.md's data flow. An asyncio loop in a helper thread runs the fetches
(httpx, per-host limits in ``Fetcher``); bodies that changed go to the ``ParsePool``; finished
outcomes land in a queue that the *caller's* thread drains. The caller is the single writer
(rule 3): the CLI's main thread, or the GUI's DB worker. Nothing here touches the database.

Memory stays bounded because a feed that will likely bring a body holds a slot from before its
fetch until its parse is done: about ``slots`` bodies and parse results exist at once, whatever
the number of feeds. Feeds that will likely answer 304 only take a request slot, so an
unchanged refresh runs as many requests at once as the hosts allow.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from reader.core.background import BackgroundRun
from reader.core.errors import GlossError, ParseError
from reader.core.fetch import Fetcher, FetchResult
from reader.core.parse import ParsedFeed, ParsePool
from reader.core.storage.feeds import FetchState

DEFAULT_SLOTS = 16  # feeds holding a body or a parse result at once: bounds memory
DEFAULT_REQUESTS = 128  # requests in flight at once (the Fetcher also caps each host at 2)


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


class RefreshRun(BackgroundRun[FeedOutcome]):
    """Iterate to receive one ``FeedOutcome`` per feed, in completion order.

    Closing the iterator early (or calling ``cancel``) stops outstanding fetches; outcomes
    already produced are simply dropped, and since nothing was written for them, nothing is lost.
    """

    def __init__(
        self,
        states: Sequence[FetchState],
        *,
        parse_pool: ParsePool[ParsedFeed],
        make_fetcher: Callable[[], Fetcher] = Fetcher,
        slots: int = DEFAULT_SLOTS,
        requests: int = DEFAULT_REQUESTS,
    ) -> None:
        super().__init__(name="gloss-fetch", empty=not states)
        self._states = list(states)
        self._pool = parse_pool
        self._make_fetcher = make_fetcher
        self._slots = slots
        self._requests = requests

    def __len__(self) -> int:
        return len(self._states)

    async def _work(self) -> None:
        requests = asyncio.Semaphore(self._requests)
        bodies = asyncio.Semaphore(self._slots)
        async with self._make_fetcher() as fetcher:
            await asyncio.gather(*(self._one(fetcher, requests, bodies, s) for s in self._states))

    async def _one(
        self,
        fetcher: Fetcher,
        requests: asyncio.Semaphore,
        bodies: asyncio.Semaphore,
        state: FetchState,
    ) -> None:
        """Fetch, then parse if changed. A feed that sent validators last time will most
        likely answer 304, so it only takes a request slot; a feed that will most likely send
        a body takes a body slot first, which is what bounds memory."""
        likely_unchanged = bool(state.etag or state.last_modified or state.body_sha256)
        if likely_unchanged:
            async with requests:
                result = await self._fetch(fetcher, state)
            if result is None or _unchanged(state, result) or result.body is None:
                return self._report_unchanged(state, result)
            async with bodies:
                await self._parse(state, result)
            return
        async with bodies:
            async with requests:
                result = await self._fetch(fetcher, state)
            if result is None or _unchanged(state, result) or result.body is None:
                return self._report_unchanged(state, result)
            await self._parse(state, result)

    async def _fetch(self, fetcher: Fetcher, state: FetchState) -> FetchResult | None:
        try:
            return await fetcher.fetch(
                state.url, etag=state.etag, last_modified=state.last_modified
            )
        except GlossError as e:
            self._put(FeedOutcome(state, None, None, e))
            return None

    def _report_unchanged(self, state: FetchState, result: FetchResult | None) -> None:
        if result is not None:  # None: the failure was reported by _fetch
            self._put(FeedOutcome(state, result, None, None))

    async def _parse(self, state: FetchState, result: FetchResult) -> None:
        assert result.body is not None
        try:
            future = self._pool.submit(result.body, result.final_url, result.content_type)
            parsed = await asyncio.wrap_future(future)
        except GlossError as e:
            self._put(FeedOutcome(state, result, None, e))
            return
        except Exception as e:  # a worker bug must cost one feed, not the refresh
            error = ParseError(f"The feed could not be parsed ({type(e).__name__}: {e}).")
            self._put(FeedOutcome(state, result, None, error))
            return
        self._put(FeedOutcome(state, result, parsed, None))
