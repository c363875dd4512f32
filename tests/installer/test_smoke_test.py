"""``gloss --smoke-test`` from source: what the frozen bundle must also do (test_bundle.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import build_installer as bi

pytestmark = pytest.mark.timeout(300)


def _gloss() -> list[str]:
    script = Path(sys.executable).parent / ("gloss.exe" if sys.platform == "win32" else "gloss")
    return [str(script)] if script.exists() else [sys.executable, "-m", "reader"]


def _run(args: list[str], home: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    (home / "runtime").mkdir(parents=True, exist_ok=True)
    (home / "runtime").chmod(0o700)
    env = {**bi.clean_environment(home), **extra}
    return subprocess.run(
        [*_gloss(), *args], env=env, capture_output=True, text=True, timeout=240, check=False
    )


def test_smoke_test_passes_from_source(tmp_path: Path) -> None:
    done = _run(["--smoke-test"], tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    assert bi.unexpected_stderr(done.stderr) == [], done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1].startswith("smoke: passed in ")
    assert any("through the parse workers" in line for line in lines)


def test_smoke_test_uses_the_library_it_is_given(tmp_path: Path) -> None:
    library = tmp_path / "mine" / "library.gloss"
    library.parent.mkdir()
    done = _run(["--library", str(library), "--smoke-test"], tmp_path / "home")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"smoke: library {library}" in done.stdout
    assert library.stat().st_size > 0


def test_smoke_test_fails_clearly_when_the_demo_library_is_missing(tmp_path: Path) -> None:
    empty = tmp_path / "no-resources"
    empty.mkdir()
    done = _run(["--smoke-test"], tmp_path / "home", GLOSS_RESOURCES=str(empty))
    assert done.returncode == 1
    assert "gloss --smoke-test: FAILED: " in done.stderr
    assert "demo library" in done.stderr
