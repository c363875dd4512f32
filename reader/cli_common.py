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
from collections.abc import Callable
from typing import Any, Protocol, TextIO

from reader.core.paths import resolve_library_path

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2


class AddCommand(Protocol):
    """``command(name, help)``: a new subcommand's parser, its help also its description."""

    def __call__(self, name: str, help: str) -> argparse.ArgumentParser: ...


JsonFlag = Callable[[argparse.ArgumentParser], None]


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
