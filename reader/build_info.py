"""Which Gloss this is: the version, and for an installed bundle the commit it was built from.

``build_installer.py`` writes ``gloss-build.json`` into the frozen bundle (beside the bundled
``resources/``); nothing tracked is changed for it. A source checkout has no stamp and says only
its version. Qt-free and cheap: ``gloss --version`` and the About dialog read it.
"""

from __future__ import annotations

import functools
import json
import sys
from pathlib import Path
from typing import Any

from reader import __version__

STAMP_NAME = "gloss-build.json"


def stamp_path() -> Path | None:
    """Where a frozen bundle keeps its stamp; ``None`` when running from source."""
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) / STAMP_NAME if isinstance(frozen, str) and frozen else None


@functools.cache
def build_stamp() -> dict[str, Any] | None:
    """The stamp's fields (``version``, ``describe``, ``commit``, ``built``, ``platform``…), or
    ``None`` from source or when the file is missing or unreadable."""
    path = stamp_path()
    if path is None:
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def version_text() -> str:
    """``Gloss 0.1.0`` from source; ``Gloss 0.1.0 (build 8d4fae8, 2026-11-20, linux-x86_64)``
    from a bundle."""
    stamp = build_stamp()
    if stamp is None:
        return f"Gloss {__version__}"
    details = [
        f"build {stamp.get('describe') or stamp.get('commit', '?')[:12]}",
        str(stamp.get("built", ""))[:10],
        str(stamp.get("platform", "")),
    ]
    return f"Gloss {stamp.get('version', __version__)} ({', '.join(d for d in details if d)})"
