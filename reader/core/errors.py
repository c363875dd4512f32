"""The errors the core raises.

Every failure a user can cause or meet (a bad URL, a dead server, a newer library file) is a
``GlossError`` with a message written for that user; the CLI prints it as is and the window shows
it in a dialog. Anything else escaping the core is a bug.
"""

from __future__ import annotations


class GlossError(Exception):
    """Base of every error the core raises on purpose. ``str(err)`` is the user-facing message."""


class FetchError(GlossError):
    """A network fetch failed: connection refused, timeout, bad status, too large, bad redirect."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ResponseTooLargeError(FetchError):
    """The body passed the size cap; asking again gets the same answer, so it is no retry case."""

    def __init__(self, message: str, *, limit: str) -> None:
        super().__init__(message)
        self.limit = limit  # the cap as shown to users, e.g. "15 MiB"


class ParseError(GlossError):
    """A fetched document could not be read as a feed (or OPML file)."""


class InvalidURLError(GlossError):
    """A URL the user gave or a feed holds is not an http(s) URL we are willing to fetch."""


class StorageError(GlossError):
    """The library file could not be opened, read or written."""


class NotALibraryError(StorageError):
    """The file exists but is some other SQLite database (or not SQLite at all)."""


class SchemaTooNewError(StorageError):
    """The library was written by a newer Gloss; we refuse to touch it."""


class CorruptLibraryError(StorageError):
    """``quick_check`` failed; the file has been moved aside (see ``moved_to``)."""

    def __init__(self, message: str, *, moved_to: str | None = None) -> None:
        super().__init__(message)
        self.moved_to = moved_to


class NotFoundError(GlossError):
    """A feed, article, folder, highlight or note id that does not exist."""


class AlreadySubscribedError(GlossError):
    """The feed URL is already in the library."""

    def __init__(self, message: str, *, feed_id: int) -> None:
        super().__init__(message)
        self.feed_id = feed_id


class AmbiguousFeedError(GlossError):
    """A web page links to several feeds and the caller did not pick one."""

    def __init__(self, message: str, *, candidates: list[tuple[str, str]]) -> None:
        super().__init__(message)
        self.candidates = candidates  # (url, title) pairs, in page order


class NotBuiltError(GlossError):
    """A command that belongs to a later part of Gloss and is not built yet."""


class RetryLaterError(FetchError):
    """The server said 429/503 (or the host is paused): no request before ``retry_at`` (UTC)."""

    def __init__(self, message: str, *, status: int | None, retry_at: object) -> None:
        super().__init__(message, status=status)
        self.retry_at = retry_at  # datetime.datetime, typed loosely to keep errors.py import-free


class ExtractionError(GlossError):
    """A page was fetched (or read) but no article text could be found in it."""


class QuerySyntaxError(GlossError):
    """A search query the user typed cannot be read; the window underlines the span named here."""

    def __init__(self, message: str, *, position: int, length: int) -> None:
        super().__init__(message)
        self.position = position  # 0-based offset of the offending text in the query as typed
        self.length = length  # how many characters to underline (0 at the very end of the query)


class RuleError(GlossError):
    """An arrival rule cannot be used as written: an empty pattern, a regular expression that
    does not compile (the message names the position), a tag rule without a tag."""

    def __init__(self, message: str, *, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position  # 0-based offset in the pattern as typed, for a bad expression


class RuleTimeoutError(RuleError):
    """A rule's regular expression ran past its time limit; it counts as no match."""
