"""What the command line's command groups share: ``reader.cli.Cli`` mixes them all together.

Each group (``cli_annotations``, ``cli_offline``, ``cli_search``, ``cli_rules``) declares its
commands with ``add_parsers(command, json_flag)`` and implements them as ``cmd_*`` methods of a
subclass of ``Commands``, which holds the parsed arguments, the output streams and the ways the
contract in DESIGN.md asks every command to print: JSON Lines with ``--json``, usage errors on
stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any, Protocol, TextIO, TypeVar

from reader.core.paths import resolve_library_path
from reader.core.types import FeedId

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2

T = TypeVar("T")


class AddCommand(Protocol):
    """``command(name, help)``: a new subcommand's parser, its help also its description;
    ``query=True`` for a command whose words are a search query (see ``CommandParser``)."""

    def __call__(self, name: str, help: str, *, query: bool = False) -> argparse.ArgumentParser: ...


JsonFlag = Callable[[argparse.ArgumentParser], None]


class CommandParser(argparse.ArgumentParser):
    """A command's parser. One whose words are a search query reads ``-word`` as the query's
    exclusion instead of an unknown option (``gloss search rust -java``), and takes its options
    anywhere among the words (``gloss search rust --json -java``)."""

    words_are_query = False
    _intermixed = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if not self.words_are_query or self._intermixed:
            return super().parse_known_args(args, namespace)
        self._intermixed = True  # parse_known_intermixed_args comes back here for each pass
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixed = False

    def _parse_optional(self, arg_string: str) -> Any:
        if (
            self.words_are_query
            and arg_string.startswith("-")
            and not arg_string.startswith("--")
            and arg_string not in self._option_string_actions  # -h is still help
        ):
            return None  # a word, not an option
        return super()._parse_optional(arg_string)


def short(text: str, limit: int) -> str:
    """``text`` on one line, cut to ``limit`` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Commands:
    def __init__(self, args: argparse.Namespace, out: TextIO, err: TextIO) -> None:
        self.args = args
        self.out = out
        self.err = err
        self.library_path = resolve_library_path(args.library)

    def open(self) -> Any:
        from reader.core.library import Library

        return Library.open(self.library_path)

    def write_json(self, obj: dict[str, Any]) -> None:
        """One line of JSON Lines."""
        self.out.write(json.dumps(obj, ensure_ascii=False) + "\n")

    def listed(self, rows: Sequence[T], to_json: Callable[[T], dict[str, Any]], empty: str) -> bool:
        """What every listing command prints the same way: with ``--json``, each row as a JSON
        line; else, when there are no rows, the ``empty`` message. True when that was all."""
        if self.args.json:
            for row in rows:
                self.write_json(to_json(row))
            return True
        if not rows:
            self.out.write(empty + "\n")
            return True
        return False

    def usage_error(self, message: str) -> int:
        """A usage error found after parsing (``gloss articles: --limit must be …``): exit 2."""
        self.err.write(f"gloss {self.args.command}: {message}\n")
        return EXIT_USAGE

    def feed_scope(self, library: Any) -> tuple[FeedId, ...] | None:
        """``--feed ID`` as a filter's ``feed_ids``, once the feed is known to exist: a clear
        "no such feed" instead of an empty answer."""
        if self.args.feed is None:
            return None
        feed_id = FeedId(self.args.feed)
        library.get_feed(feed_id)
        return (feed_id,)
