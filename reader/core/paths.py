"""Where Gloss keeps its files: one place, so tests and the smoke test can point it elsewhere."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "Gloss"
LIBRARY_FILENAME = "library.gloss"
LIBRARY_ENV = "GLOSS_LIBRARY"


def default_library_path() -> Path:
    """The library file: ``--library`` beats ``GLOSS_LIBRARY`` beats the platform data dir."""
    from_env = os.environ.get(LIBRARY_ENV)
    if from_env:
        return Path(from_env).expanduser()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)) / LIBRARY_FILENAME


def resolve_library_path(explicit: str | os.PathLike[str] | None) -> Path:
    if explicit is not None:
        return Path(explicit).expanduser()
    return default_library_path()


def backup_dir(library: Path) -> Path:
    """Backups live beside the library so that moving the folder moves them too."""
    return library.parent / "backups"


def cache_dir(library: Path) -> Path:
    """Downloaded images and other re-fetchable data, beside the library it belongs to."""
    return library.parent / "cache"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
