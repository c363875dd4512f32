"""One real build per test session, shared by the slow tests that use it.

``python build_installer.py --allow-dirty`` (a developer's tree is rarely clean; CI's clone is)
into a temporary folder, with its own smoke test; the tests then read ``build-report.json`` and
run what it built.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT = 1200  # seconds; about one minute here, more on a cold PyInstaller cache


@dataclass(frozen=True)
class Build:
    out: Path
    work: Path
    report: dict[str, Any]
    output: str

    @property
    def tarball(self) -> Path:
        (artifact,) = [a for a in self.report["artifacts"] if a["path"].endswith(".tar.gz")]
        return Path(artifact["path"])

    @property
    def executable(self) -> Path:
        return Path(self.report["executable"])


@pytest.fixture(scope="session")
def linux_build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    if not sys.platform.startswith("linux"):
        pytest.skip("the bundle built here is the Linux one")
    base = tmp_path_factory.mktemp("installer")
    out, work = base / "out", base / "work"
    command = [
        sys.executable,
        str(ROOT / "build_installer.py"),
        "--allow-dirty",
        "--out",
        str(out),
        "--work",
        str(work),
    ]
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    output = done.stdout + done.stderr
    if done.returncode != 0:
        pytest.fail(f"build_installer.py failed (status {done.returncode}):\n{output}")
    report = json.loads((work / "build-report.json").read_text(encoding="utf-8"))
    return Build(out, work, report, output)
