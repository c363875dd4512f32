"""The real thing: the Linux bundle built by build_installer.py (once per session, see
conftest.py) starts, works and stays small; unpacked elsewhere from its tarball, with nothing of
this checkout or its Python around, it still does."""

from __future__ import annotations

import configparser
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

import build_installer as bi
import reader
from tests.installer.conftest import Build

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1500)]


def test_the_build_smoke_tests_its_bundle_and_reports_it(linux_build: Build) -> None:
    report = linux_build.report
    assert report["version"] == reader.__version__
    assert report["platform"].startswith("linux-")
    smoke = report["smoke_test"]
    assert smoke is not None and "smoke: passed" in smoke["stdout"]
    assert smoke["stderr"] == ""
    assert report["version_output"].startswith(f"Gloss {reader.__version__} (build ")
    assert f"bundle     {report['bundle_bytes'] / 1e6:.1f} MB unpacked" in linux_build.output
    (tarball,) = [a for a in report["artifacts"] if a["path"].endswith(".tar.gz")]
    assert Path(tarball["path"]).name == f"Gloss-{reader.__version__}-{report['platform']}.tar.gz"


def test_the_built_bundle_passes_the_smoke_test(linux_build: Build) -> None:
    """Run again here, so a failure shows the frozen app's own words."""
    result = bi.smoke_test(linux_build.executable)
    assert result.ok, "\n".join([*result.problems, result.stdout, result.stderr])
    for step in ("demo library loaded", "article rendered", "highlighted", "exported"):
        assert step in result.stdout
    assert "refreshed a feed from 127.0.0.1 through the parse workers" in result.stdout
    assert "saved a page through the extraction worker" in result.stdout


def test_the_bundle_leaves_out_what_gloss_does_not_use(linux_build: Build) -> None:
    internal = linux_build.executable.parent / "_internal"
    names = {p.relative_to(internal).as_posix() for p in internal.rglob("*")}
    assert "PySide6/Qt/lib/libQt6Core.so.6" in names
    assert "PySide6/QtSvg.abi3.so" in names
    assert "PySide6/Qt/plugins/platforms/libqxcb.so" in names
    assert "resources/demo/manifest.json" in names
    assert "gloss-build.json" in names
    assert not [n for n in names if n.startswith(("PySide6/Qt/translations/", "PySide6/Qt/qml/"))]
    for module in ("QtNetwork", "QtQml", "QtQuick", "QtPdf", "QtWebEngineCore", "QtMultimedia"):
        assert not [n for n in names if module in n], module
    assert not [n for n in names if n.startswith("resources/screenshots")]
    assert not [n for n in names if n.startswith("rapidfuzz/") and "_avx2" in n]
    assert not [n for n in names if n.startswith(("pygments/", "unittest/"))]
    assert linux_build.report["bundle_bytes"] < bi.SIZE_TARGET_MB * 1_000_000


def test_the_bundle_has_the_small_icu_data(linux_build: Build) -> None:
    """The library built from ICU_DATA_KEPT, not the wheel's, and the smoke test passed on it."""
    icu = linux_build.report["icu_data"]
    assert icu is not None and icu["items_kept"] < icu["items"]
    lib = linux_build.executable.parent / "_internal" / "PySide6" / "Qt" / "lib"
    (bundled,) = lib.glob("libicudata.so.*")
    assert bundled.stat().st_size < 6_000_000 < 25_000_000 < icu["original_bytes"]
    symbol, package = bi.icu_common_data(bundled.read_bytes())
    _header, items = bi.icu_package_items(package)
    assert len(items) == icu["items_kept"]
    assert all(bi.keep_icu_item(name.partition("/")[2]) for name, _ in items)
    assert symbol == f"icudt{bundled.name.rsplit('.', 1)[1]}_dat"
    assert "ICU data: " in linux_build.output


def _unpack(tarball: Path, into: Path) -> Path:
    into.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(into, filter="tar")
    return into / "Gloss"


def _run(command: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_the_unpacked_tarball_runs_anywhere(linux_build: Build, tmp_path: Path) -> None:
    """A fresh folder, HOME and XDG folders of its own, no PYTHONPATH, no venv on PATH and no
    way back to this checkout (GLOSS_RESOURCES unset): the bundle has to carry everything."""
    bundle = _unpack(linux_build.tarball, tmp_path / "fresh place")
    home = tmp_path / "home"
    (home / "runtime").mkdir(parents=True)
    (home / "runtime").chmod(0o700)
    env = bi.clean_environment(home)
    assert not any(key.startswith(("PYTHON", "GLOSS_")) for key in env)
    assert "VIRTUAL_ENV" not in env

    done = _run(["Gloss/gloss", "--smoke-test"], cwd=bundle.parent, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert bi.unexpected_stderr(done.stderr) == []
    assert "smoke: passed" in done.stdout

    done = _run(["Gloss/gloss", "--version"], cwd=bundle.parent, env=env)
    assert done.returncode == 0 and done.stderr == ""
    assert done.stdout.startswith(f"Gloss {reader.__version__} (build ")
    assert linux_build.report["stamp"]["describe"] in done.stdout

    done = _run(["Gloss/gloss", "--help"], cwd=bundle.parent, env=env)
    assert done.returncode == 0 and "--smoke-test" in done.stdout

    # The smoke test's library lives in a temporary folder, never inside the bundle.
    assert not list(bundle.rglob("*.gloss"))


def test_the_tarball_carries_desktop_integration(linux_build: Build, tmp_path: Path) -> None:
    bundle = _unpack(linux_build.tarball, tmp_path / "unpacked")
    assert os.access(bundle / "gloss", os.X_OK)
    assert os.access(bundle / "install-desktop-entry.sh", os.X_OK)
    assert (bundle / "README.txt").read_text().startswith(f"Gloss {reader.__version__} for Linux")
    entry = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read_string((bundle / "gloss.desktop").read_text())
    assert entry["Desktop Entry"]["Exec"] == "gloss %u"
    for size in bi.ICON_SIZES:
        assert (bundle / bi.hicolor_path(size)).stat().st_size > 0
    assert (bundle / "share/icons/hicolor/scalable/apps/gloss.svg").is_file()

    data = tmp_path / "data"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    done = _run([str(bundle / "install-desktop-entry.sh")], cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    installed = (data / "applications" / "gloss.desktop").read_text()
    assert f'Exec="{bundle}/gloss" %u' in installed
