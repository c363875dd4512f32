"""The command line and the window already open on the same library (reader/core/desktop.py).

- ``gloss`` again raises that window instead of opening a second one;
- ``gloss feed://…`` (the desktop's handler for ``feed:`` links) opens its Add Feed dialog;
- ``gloss add URL`` subscribes there, so the window shows the feed and refreshes it at once.

When no window runs, each falls back to doing the work itself. None of this imports Qt: asking
is a few bytes over a local socket, and a plain ``gloss add`` with no window pays nothing more
than one failed connect.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from reader.cli_common import EXIT_ERROR, EXIT_OK
from reader.core.desktop import ask_running_window, is_feed_link
from reader.core.errors import GlossError

ADD_TIMEOUT = 120.0  # discovery may fetch a page and a feed, each up to 30 s
RAISE_TIMEOUT = 10.0


def feed_link_argument(argv: Sequence[str]) -> int | None:
    """The position of a ``feed:`` link given instead of a command (``gloss feed://…``)."""
    skip = False
    for index, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == "--library":
            skip = True
            continue
        if arg.startswith("-"):
            continue
        return index if is_feed_link(arg) else None
    return None


def hand_to_window(library: Path, feed_url: str | None) -> int | None:
    """``gloss`` (or ``gloss feed:…``) while a window is open on ``library``: that window comes
    forward (with its Add Feed dialog for ``feed_url``). The exit status, or ``None`` when no
    window runs and this process should open one."""
    message = {"command": "subscribe", "url": feed_url} if feed_url else {"command": "raise"}
    try:
        reply = ask_running_window(library, message, timeout=RAISE_TIMEOUT)
    except GlossError as e:
        sys.stderr.write(f"gloss: {e}\n")
        return EXIT_ERROR
    if reply is None:
        return None
    if not reply.get("ok"):
        sys.stderr.write(f"gloss: the open window refused: {reply.get('error')}\n")
        return EXIT_ERROR
    out = sys.stdout
    if feed_url:
        out.write(f"Gloss is already open on {library}: its Add Feed dialog shows {feed_url}\n")
    else:
        out.write(f"Gloss is already open on {library}: its window was brought forward.\n")
    return EXIT_OK


def add_in_window(
    library: Path, url: str, folder: str | None, pick: int | None, out: TextIO, err: TextIO
) -> int | None:
    """``gloss add`` while a window is open on ``library``: the window subscribes. The exit
    status, or ``None`` when no window runs (the command then adds the feed itself)."""
    reply = ask_running_window(
        library,
        {"command": "add", "url": url, "folder": folder, "pick": pick},
        timeout=ADD_TIMEOUT,
    )
    if reply is None:
        return None
    if not reply.get("ok"):
        err.write(f"gloss: {reply.get('error')}\n")
        candidates = reply.get("candidates") or []
        for i, (candidate_url, title) in enumerate(candidates, 1):
            err.write(f"  {i}. {title or '(untitled)'}  {candidate_url}\n")
        if candidates:
            err.write("Run again with --pick N to choose.\n")
        return EXIT_ERROR
    out.write(
        f"Added feed {reply.get('feed_id')}: {reply.get('title')}  <{reply.get('url')}>\n"
        "The open Gloss window is fetching its articles.\n"
    )
    return EXIT_OK
