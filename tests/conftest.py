"""Shared fixtures. Qt runs offscreen; servers bind 127.0.0.1 and stop with their test."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from tests.support.http_server import ScriptedServer


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    return tmp_path / "library.gloss"
