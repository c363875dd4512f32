"""Which extraction produced a stored full text, known without importing the extractor.

Stored full texts record this string. When it changes (trafilatura upgraded, or Gloss's
configuration of it: bump ``GLOSS_CONFIG``), process_offline re-extracts the affected articles a
few at a time (issue 5: "a re-extraction ... after an extractor upgrade adds a version"). Reading
the version from package metadata keeps trafilatura and lxml out of the window's process.
"""

from __future__ import annotations

from functools import cache
from importlib import metadata

GLOSS_CONFIG = 1
"""Bump whenever extract.py's configuration or cleaning changes what it returns."""


@cache
def extractor_version() -> str:
    try:
        upstream = metadata.version("trafilatura")
    except metadata.PackageNotFoundError:  # a frozen bundle without dist-info
        upstream = "unknown"
    return f"{upstream}+gloss{GLOSS_CONFIG}"
