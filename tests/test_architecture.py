"""The wall between the core and the window (DESIGN.md rule 1), checked two ways.

Statically: no module under reader/core, nor reader/cli*.py, imports PySide6 (or any Qt).
Dynamically: a real core operation run in a fresh interpreter leaves PySide6 out of
``sys.modules``; a lazy import somewhere deep would slip past the static scan but not this.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "shiboken6")


def _imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def _qt_free_files() -> list[Path]:
    """The core, and the command line's modules: ``gloss add`` pays for no Qt import, even when
    it hands the feed to an open window (reader/cli_desktop.py)."""
    return [
        *sorted((ROOT / "reader" / "core").rglob("*.py")),
        *sorted((ROOT / "reader").glob("cli*.py")),
        ROOT / "reader" / "build_info.py",
    ]


@pytest.mark.parametrize("path", _qt_free_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_core_and_cli_never_import_qt(path: Path) -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for line, name in _imports(path)
        if name.split(".")[0] in QT_MODULES
    ]
    assert not offenders, offenders


def test_gui_is_the_only_package_that_imports_qt() -> None:
    offenders = []
    for path in sorted((ROOT / "reader").rglob("*.py")):
        if (ROOT / "reader" / "gui") in path.parents:
            continue
        offenders += [
            f"{path.relative_to(ROOT)}:{line}"
            for line, name in _imports(path)
            if name.split(".")[0] in QT_MODULES
        ]
    assert not offenders, offenders


def test_gui_runs_no_sql_and_parses_no_feeds() -> None:
    """Rule 1, the other direction: the window is a thin client of Library."""
    forbidden = ("sqlite3", "sqlite_utils", "feedparser")
    offenders = []
    for path in sorted((ROOT / "reader" / "gui").rglob("*.py")):
        offenders += [
            f"{path.relative_to(ROOT)}:{line} imports {name}"
            for line, name in _imports(path)
            if name.split(".")[0] in forbidden
        ]
    assert not offenders, offenders


def test_a_core_operation_leaves_pyside6_unloaded(tmp_path: Path) -> None:
    script = f"""
import json, sys
from pathlib import Path
from reader.core.library import Library
from reader.cli import main
library_path = Path({str(tmp_path / "lib.gloss")!r})
with Library.open(library_path) as library:
    library.create_folder("Tech/Python")
    library.list_feeds()
    library.list_articles()
main(["--library", str(library_path), "feeds", "--json"])
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {QT_MODULES!r})))
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert result.returncode == 0, result.stderr
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert loaded == []
