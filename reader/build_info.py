"""Which Gloss this is: the version, and for an installed bundle the commit it was built from.

``build_installer.py`` writes ``gloss-build.json`` into the frozen bundle (beside the bundled
``resources/``); nothing tracked is changed for it. A source checkout has no stamp and says only
its version. Qt-free and cheap: ``gloss --version`` and the About dialog read it.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
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


# ---- what Gloss is built from, and under which licences -------------------------------------

GLOSS_LICENCE = "GPL-3.0-or-later"
NOT_BUNDLED = frozenset({"pip", "setuptools", "wheel"})  # required by a dependency, left out

# For a build whose packages carry no metadata (a PyInstaller bundle keeps little of it): the
# licence of each distribution Gloss ships, as its metadata says (tests compare the two).
FALLBACK_LICENCES: dict[str, str] = {
    "pyside6-essentials": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
    "shiboken6": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
    "sqlite-utils": "Apache-2.0",
    "sqlite-fts4": "Apache-2.0",
    "click": "BSD-3-Clause",
    "click-default-group": "Public Domain",
    "pluggy": "MIT",
    "python-dateutil": "BSD-3-Clause",
    "six": "MIT",
    "tabulate": "MIT",
    "tzdata": "Apache-2.0",
    "feedparser": "BSD-2-Clause",
    "sgmllib3k": "BSD-2-Clause",
    "feedparser-sgmllib": "PSF-2.0",
    "markdown": "BSD-3-Clause",
    "httpx": "BSD-3-Clause",
    "httpcore": "BSD-3-Clause",
    "h11": "MIT",
    "anyio": "MIT",
    "sniffio": "MIT OR Apache-2.0",
    "idna": "BSD-3-Clause",
    "certifi": "MPL-2.0",
    "typing-extensions": "PSF-2.0",
    "nh3": "MIT",
    "trafilatura": "Apache-2.0",
    "courlan": "Apache-2.0",
    "htmldate": "Apache-2.0",
    "justext": "BSD-2-Clause",
    "lxml": "BSD-3-Clause",
    "lxml-html-clean": "BSD-3-Clause",
    "charset-normalizer": "MIT",
    "urllib3": "MIT",
    "dateparser": "BSD-3-Clause",
    "babel": "BSD-3-Clause",
    "pytz": "MIT",
    "tzlocal": "MIT",
    "tld": "MPL-1.1 OR GPL-2.0-only OR LGPL-2.1-or-later",
    "pyyaml": "MIT",
    "rapidfuzz": "MIT",
    "platformdirs": "MIT",
    "tqdm": "MPL-2.0 AND MIT",
    "regex": "Apache-2.0 AND CNRI-Python",
}

_CLASSIFIER_NAMES = {
    "MIT License": "MIT",
    "BSD License": "BSD",
    "Apache Software License": "Apache-2.0",
    "Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0",
    "ISC License (ISCL)": "ISC",
}

_LICENCE_NAMES = {  # wordy License fields, as SPDX names
    "The BSD 2-Clause License": "BSD-2-Clause",
    "Apache License, Version 2.0": "Apache-2.0",
    "Apache License 2.0": "Apache-2.0",
}


@dataclasses.dataclass(frozen=True, slots=True)
class Component:
    name: str
    version: str
    licence: str


def normalise_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def licence_from_metadata(metadata: Any) -> str | None:
    """A short licence name from a distribution's metadata: ``License-Expression`` (PEP 639),
    else a one-line ``License`` field, else the licence classifiers."""
    expression = (metadata.get("License-Expression") or "").strip()
    if expression:
        return str(expression)
    field = (metadata.get("License") or "").strip()
    if field and "\n" not in field and len(field) <= 80 and field.upper() != "UNKNOWN":
        return _LICENCE_NAMES.get(field, str(field))
    names = []
    for classifier in metadata.get_all("Classifier") or []:
        if classifier.startswith("License ::"):
            last = classifier.split("::")[-1].strip()
            names.append(_CLASSIFIER_NAMES.get(last, last))
    return " OR ".join(dict.fromkeys(names)) or None


def bundled_components() -> list[Component]:
    """Python, SQLite and every distribution Gloss depends on (walked from its own metadata),
    each with its licence. Without metadata (a frozen bundle), the fallback table's list."""
    import platform
    import sqlite3
    from importlib import metadata

    found: dict[str, Component] = {}

    def walk(requirement: str) -> None:
        name = re.match(r"[A-Za-z0-9._-]+", requirement)
        if name is None or normalise_name(name.group(0)) in found:
            return
        key = normalise_name(name.group(0))
        if key in NOT_BUNDLED:
            return
        try:
            dist = metadata.distribution(name.group(0))
        except metadata.PackageNotFoundError:
            return  # a requirement for another platform or Python (colorama, exceptiongroup)
        licence = licence_from_metadata(dist.metadata) or FALLBACK_LICENCES.get(key, "unknown")
        found[key] = Component(dist.metadata["Name"] or name.group(0), dist.version, licence)
        for sub in dist.requires or []:
            if "extra ==" not in sub:
                walk(sub)

    try:
        gloss = metadata.distribution("gloss-reader")
    except metadata.PackageNotFoundError:
        gloss = None
    if gloss is not None:
        for requirement in gloss.requires or []:
            if "extra ==" not in requirement:
                walk(requirement)
    else:
        for key, licence in FALLBACK_LICENCES.items():
            module = sys.modules.get(key.replace("-", "_"))
            # only a plain attribute: some packages compute it from the (missing) metadata
            version = str(vars(module).get("__version__", "")) if module is not None else ""
            found[key] = Component(key, version, licence)
    base = [
        Component("Python", platform.python_version(), "PSF-2.0"),
        Component("SQLite", sqlite3.sqlite_version, "Public Domain"),
    ]
    return base + sorted(found.values(), key=lambda c: c.name.casefold())
