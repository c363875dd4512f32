"""Atomic file writes: temp file in the same folder, fsync, replace, fsync the folder.

A crash leaves the old file or the new one, never a torn one (reliability.md X12).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from reader.core.errors import GlossError

TEMP_PREFIX = ".gloss-tmp-"


def write_atomic(path: Path, data: bytes) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)
    except OSError as e:
        raise GlossError(f"Cannot write {path}: {e.strerror or e}") from e
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp_name, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise GlossError(f"Cannot write {path}: {e.strerror or e}") from e
    if os.name == "posix":
        dir_fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
