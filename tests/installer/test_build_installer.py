"""build_installer.py's pieces, one at a time, without PyInstaller: names, the clean-tree check,
the stamp, what the bundle leaves out, the desktop files, the icon containers, the commands and
scripts of the platforms this machine cannot build for, and the smoke-test judge."""

from __future__ import annotations

import ast
import configparser
import datetime as dt
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path

import pytest

import build_installer as bi
import reader
from reader import build_info

ROOT = Path(__file__).resolve().parents[2]
posix_only = pytest.mark.skipif(os.name != "posix", reason="shell scripts and process groups")

# ---- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("system", "machine", "tag"),
    [
        ("linux", "x86_64", "linux-x86_64"),
        ("linux", "aarch64", "linux-aarch64"),
        ("win32", "AMD64", "windows-x86_64"),
        ("win32", "ARM64", "windows-arm64"),
        ("darwin", "arm64", "macos-arm64"),
        ("darwin", "x86_64", "macos-x86_64"),
    ],
)
def test_platform_tags(system: str, machine: str, tag: str) -> None:
    assert bi.platform_tag(system, machine) == tag


def test_an_unknown_platform_is_refused() -> None:
    with pytest.raises(bi.BuildError, match="no installer"):
        bi.platform_tag("sunos5", "sparc")


@pytest.mark.parametrize(
    ("tag", "kind", "name"),
    [
        ("linux-x86_64", "tar.gz", "Gloss-1.2.3-linux-x86_64.tar.gz"),
        ("linux-x86_64", "AppImage", "Gloss-1.2.3-linux-x86_64.AppImage"),
        ("windows-x86_64", "setup.exe", "Gloss-1.2.3-windows-x86_64-setup.exe"),
        ("windows-x86_64", "zip", "Gloss-1.2.3-windows-x86_64.zip"),
        ("macos-arm64", "dmg", "Gloss-1.2.3-macos-arm64.dmg"),
    ],
)
def test_artifact_names(tag: str, kind: str, name: str) -> None:
    assert bi.artifact_name("1.2.3", tag, kind) == name


def test_where_the_frozen_program_is(tmp_path: Path) -> None:
    assert bi.frozen_executable(tmp_path, "linux-x86_64") == tmp_path / "Gloss" / "gloss"
    assert bi.frozen_executable(tmp_path, "windows-x86_64") == tmp_path / "Gloss" / "gloss.exe"
    assert (
        bi.frozen_executable(tmp_path, "macos-arm64")
        == tmp_path / "Gloss.app" / "Contents" / "MacOS" / "gloss"
    )


def test_the_version_is_read_without_importing_the_package() -> None:
    assert bi.read_version() == reader.__version__


# ---- a clean tree, and the stamp ------------------------------------------------------------


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "test@example.invalid")
    _git(repo, "config", "user.name", "Test")
    (repo / "file.txt").write_text("one\n")
    _git(repo, "add", "file.txt")
    _git(repo, "commit", "-q", "-m", "first")
    return repo


def test_a_clean_tree_builds(repo: Path) -> None:
    assert bi.uncommitted_changes(repo) == []
    assert bi.check_clean_tree(repo, allow_dirty=False) is False


@pytest.mark.parametrize("change", ["modified", "untracked", "staged", "deleted"])
def test_a_dirty_tree_is_refused_with_the_changes_listed(repo: Path, change: str) -> None:
    if change == "modified":
        (repo / "file.txt").write_text("two\n")
    elif change == "untracked":
        (repo / "new.txt").write_text("new\n")
    elif change == "staged":
        (repo / "new.txt").write_text("new\n")
        _git(repo, "add", "new.txt")
    else:
        (repo / "file.txt").unlink()
    with pytest.raises(bi.BuildError) as refused:
        bi.check_clean_tree(repo, allow_dirty=False)
    message = str(refused.value)
    assert "uncommitted changes" in message
    assert "--allow-dirty" in message
    assert ("new.txt" if change in ("untracked", "staged") else "file.txt") in message


def test_allow_dirty_builds_and_says_the_tree_was_dirty(repo: Path) -> None:
    (repo / "file.txt").write_text("two\n")
    assert bi.check_clean_tree(repo, allow_dirty=True) is True


def test_build_refuses_a_dirty_tree_before_doing_anything(
    repo: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "file.txt").write_text("two\n")
    monkeypatch.setattr(bi, "ROOT", repo)
    monkeypatch.setattr(bi, "read_version", lambda root=repo: "9.9.9")
    status = bi.main(["--out", str(tmp_path / "out"), "--work", str(tmp_path / "work")])
    assert status == 1
    assert "uncommitted changes" in capsys.readouterr().err
    assert not (tmp_path / "work").exists()


def test_git_identity_describes_tags_and_commits(repo: Path) -> None:
    describe, commit = bi.git_identity(repo)
    assert commit == _git(repo, "rev-parse", "HEAD") and len(commit) == 40
    assert describe == commit[:10]
    _git(repo, "tag", "v0.1.0")
    assert bi.git_identity(repo)[0] == "v0.1.0"


def test_the_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    built = dt.datetime(2026, 12, 7, 10, 30, tzinfo=dt.UTC)
    stamp = bi.build_stamp(
        "1.2.3", "v1.2.3-4-gabc", "a" * 40, dirty=True, tag="linux-x86_64", built=built
    )
    assert stamp["version"] == "1.2.3"
    assert stamp["describe"] == "v1.2.3-4-gabc-dirty"
    assert stamp["commit"] == "a" * 40
    assert stamp["built"] == "2026-12-07T10:30:00Z"
    clean = bi.build_stamp("1.2.3", "abc", "a" * 40, dirty=False, tag="t", built=built)
    assert clean["describe"] == "abc" and clean["dirty"] is False
    assert bi.STAMP_NAME == build_info.STAMP_NAME


def test_gloss_version_reads_the_stamp_in_a_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build_info.build_stamp.cache_clear()
    assert build_info.version_text() == f"Gloss {reader.__version__}"  # from source
    stamp = bi.build_stamp(
        "1.2.3",
        "abc1234567",
        "b" * 40,
        dirty=False,
        tag="linux-x86_64",
        built=dt.datetime(2026, 12, 7, tzinfo=dt.UTC),
    )
    (tmp_path / build_info.STAMP_NAME).write_text(json.dumps(stamp))
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    build_info.build_stamp.cache_clear()
    try:
        assert (
            build_info.version_text() == "Gloss 1.2.3 (build abc1234567, 2026-12-07, linux-x86_64)"
        )
    finally:
        build_info.build_stamp.cache_clear()


def test_a_bundle_without_a_readable_stamp_says_its_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / build_info.STAMP_NAME).write_text("{not json")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    build_info.build_stamp.cache_clear()
    try:
        assert build_info.version_text() == f"Gloss {reader.__version__}"
    finally:
        build_info.build_stamp.cache_clear()


# ---- what the bundle holds ----------------------------------------------------------------


def _pyside6_imports() -> set[str]:
    found = set()
    for path in (ROOT / "reader").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
                if node.module == "PySide6":
                    names = [f"PySide6.{alias.name}" for alias in node.names]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found |= {n.split(".")[1] for n in names if n.startswith("PySide6.")}
    return found


def test_every_qt_module_gloss_imports_is_kept() -> None:
    imported = _pyside6_imports()
    assert imported, "the scan found no PySide6 import at all"
    assert imported <= set(bi.QT_MODULES_USED), imported - set(bi.QT_MODULES_USED)
    assert not set(bi.QT_MODULES_USED) & set(bi.QT_MODULES_UNUSED)
    excluded = set(bi.EXCLUDED_MODULES)
    assert not {f"PySide6.{name}" for name in imported} & excluded


def test_every_installed_qt_module_is_either_used_or_excluded() -> None:
    """A PySide6 upgrade that adds a module makes this fail until the module is sorted."""
    pyside6 = pytest.importorskip("PySide6")
    folder = Path(pyside6.__file__).parent
    installed = {p.name.split(".")[0] for p in folder.iterdir() if p.name.startswith("Qt")}
    installed = {name for name in installed if name != "Qt"}  # the Qt/ folder of libraries
    unsorted = installed - set(bi.QT_MODULES_USED) - set(bi.QT_MODULES_UNUSED)
    assert not unsorted


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/translations/qtbase_de.qm",
        "PySide6/Qt/qml/QtQuick/libqtquick2plugin.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so",
        "PySide6/Qt/plugins/platforms/libqvnc.so",
        "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
        "PySide6/Qt/plugins/sqldrivers/libqsqlite.so",
        "PySide6/Qt/plugins/imageformats/libqtiff.so",
        "PySide6/Qt/lib/libQt6Pdf.so.6",
        "PySide6/QtCore.pyi",
        "babel/locale-data/de.dat",
        "libfontconfig.so.1",
        "libX11.so.6",
        "libdbus-1.so.3",
        "libsystemd.so.0",
        "rapidfuzz/fuzz_cpp_avx2.cpython-311-x86_64-linux-gnu.so",
        "rapidfuzz/distance/metrics_cpp_avx2.cpython-311-x86_64-linux-gnu.so",
        "rapidfuzz/fuzz_cpp_avx2.cp311-win_amd64.pyd",
    ],
)
def test_dropped_from_the_bundle(dest: str) -> None:
    assert not bi.keep_in_bundle(dest)
    assert not bi.keep_in_bundle(dest.replace("/", "\\"))  # Windows separators


@pytest.mark.parametrize(
    "dest",
    [
        "PySide6/Qt/lib/libQt6Core.so.6",
        "PySide6/Qt/lib/libQt6Svg.so.6",
        "PySide6/Qt/lib/libicudata.so.73",
        "PySide6/QtWidgets.abi3.so",
        "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqwayland.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/imageformats/libqgif.so",
        "PySide6/Qt/plugins/imageformats/libqwebp.so",
        "PySide6/Qt/plugins/imageformats/libqsvg.so",
        "PySide6/Qt/plugins/iconengines/libqsvgicon.so",
        "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        "babel/locale-data/en.dat",
        "babel/locale-data/root.dat",
        "babel/global.dat",
        "trafilatura/settings.cfg",
        "justext/stoplists/English.txt",
        "libpython3.11.so.1.0",
        "libxcb-cursor.so.0",
        "resources/demo/manifest.json",
        "rapidfuzz/fuzz_cpp.cpython-311-x86_64-linux-gnu.so",
        "rapidfuzz/distance/metrics_cpp.cpython-311-x86_64-linux-gnu.so",
        "rapidfuzz/_feature_detector_cpp.cpython-311-x86_64-linux-gnu.so",
    ],
)
def test_kept_in_the_bundle(dest: str) -> None:
    assert bi.keep_in_bundle(dest)


def test_rapidfuzz_falls_back_to_its_generic_build_without_the_avx2_one() -> None:
    """What the bundle relies on when it leaves the AVX2 modules out: rapidfuzz imports them
    only if they import, as on a CPU without AVX2."""
    code = textwrap.dedent(
        """\
        import importlib.abc, sys

        class NoAvx2(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path, target=None):
                if name.endswith("_avx2"):
                    raise ImportError(name)

        sys.meta_path.insert(0, NoAvx2())
        from rapidfuzz import fuzz
        from rapidfuzz.distance import Levenshtein
        assert Levenshtein.distance("gloss", "glass") == 1
        assert fuzz.token_set_ratio("a b c", "c b a") == 100
        print(Levenshtein.distance.__module__, fuzz.token_set_ratio.__module__)
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["rapidfuzz.distance.metrics_cpp", "rapidfuzz.fuzz_cpp"]


def test_the_modules_left_out_are_not_imported_by_gloss() -> None:
    """Excluded modules must not be imported by Gloss itself (a dependency's optional import
    is what they are excluded for)."""
    source = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "reader").rglob("*.py"))
    for module in ("pygments", "doctest", "pdb", "pydoc", "unittest", "tkinter"):
        assert module in bi.EXCLUDED_MODULES
        assert not re.search(rf"^\s*(import|from) {module}\b", source, re.MULTILINE), module


def test_filter_toc_keeps_pyinstaller_entries_whole() -> None:
    toc = [
        ("PySide6/Qt/lib/libQt6Core.so.6", "/src/libQt6Core.so.6", "BINARY"),
        ("PySide6/Qt/translations/qt_fr.qm", "/src/qt_fr.qm", "DATA"),
    ]
    assert bi.filter_toc(toc) == toc[:1]


def test_the_resources_the_app_reads_are_bundled_and_nothing_else() -> None:
    datas = bi.resource_datas()
    files = {Path(source).relative_to(ROOT).as_posix(): folder for source, folder in datas}
    assert files["resources/icons/app.svg"] == "resources/icons"
    assert files["resources/styles/window.qss"] == "resources/styles"
    assert files["resources/styles/article.css"] == "resources/styles"
    assert files["resources/demo/manifest.json"] == "resources/demo"
    assert any(name.startswith("resources/demo/images/") for name in files)
    assert not any(name.startswith("resources/screenshots/") for name in files)
    assert not any(name.endswith(".py") for name in files)  # demo/make_images.py


def test_the_entry_point_calls_freeze_support_before_importing_gloss() -> None:
    tree = ast.parse(bi.ENTRY_SCRIPT)
    main_block = next(node for node in tree.body if isinstance(node, ast.If))
    first = main_block.body[0]
    assert isinstance(first, ast.Expr) and "freeze_support" in ast.unparse(first)
    imports = [n for n in main_block.body if isinstance(n, ast.ImportFrom)]
    assert imports and imports[0].module == "reader.cli"
    assert all(
        not (isinstance(n, ast.ImportFrom | ast.Import) and "reader" in ast.unparse(n))
        for n in tree.body
    )


@pytest.mark.parametrize("tag", ["linux-x86_64", "windows-x86_64", "macos-arm64"])
def test_the_generated_spec_is_python_and_fits_its_platform(tmp_path: Path, tag: str) -> None:
    icons = bi.Icons({16: tmp_path / "16.png"}, tmp_path / "g.ico", tmp_path / "g.icns", Path())
    text = bi.spec_text(
        entry=tmp_path / "gloss.py",
        stamp=tmp_path / "stamp.json",
        icons=icons,
        tag=tag,
        version="1",
    )
    compile(text, "gloss.spec", "exec")
    assert f"hide_console={'hide-early' if tag.startswith('windows') else None!r}" in text
    assert f"strip={tag.startswith('linux')!r}" in text
    assert f"if {tag.startswith('macos')!r}:" in text
    windows_icon = f"icon={str(tmp_path / 'g.ico')!r}"
    assert (windows_icon if tag.startswith("windows") else "icon=None,") in text
    assert "bi.filter_toc(a.binaries)" in text and "bi.EXCLUDED_MODULES" in text


def test_the_pyinstaller_command(tmp_path: Path) -> None:
    command = bi.pyinstaller_command(tmp_path / "g.spec", tmp_path / "dist", tmp_path / "work")
    assert command[:3] == [sys.executable, "-m", "PyInstaller"]
    assert "--noconfirm" in command
    assert command[command.index("--distpath") + 1] == str(tmp_path / "dist")
    assert command[command.index("--workpath") + 1] == str(tmp_path / "work")
    assert command[-1] == str(tmp_path / "g.spec")


# ---- Linux desktop files ----------------------------------------------------------------------


def test_the_desktop_entry() -> None:
    parser = configparser.ConfigParser(interpolation=None, delimiters=("=",))
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(bi.desktop_entry())
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "Gloss"
    assert entry["Exec"] == "gloss %u"
    assert entry["Icon"] == "gloss"
    assert entry["Terminal"] == "false"
    assert entry["MimeType"] == "x-scheme-handler/feed;x-scheme-handler/feeds;"
    assert entry["Categories"].endswith(";") and "Network" in entry["Categories"].split(";")
    assert entry["StartupWMClass"] == "gloss"


def _fake_bundle(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "gloss").write_text("#!/bin/sh\n")
    (folder / "gloss.desktop").write_text(bi.desktop_entry())
    for size in (16, 256):
        icon = folder / bi.hicolor_path(size)
        icon.parent.mkdir(parents=True)
        icon.write_bytes(b"png")
    script = folder / "install-desktop-entry.sh"
    script.write_text(bi.INSTALL_SCRIPT)
    script.chmod(0o755)
    return folder


@posix_only
def test_install_desktop_entry_points_the_menu_at_the_bundle(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "my apps" / "Gloss")  # a space, quoted in Exec
    data = tmp_path / "data"
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "XDG_DATA_HOME": str(data)}
    done = subprocess.run(
        [str(bundle / "install-desktop-entry.sh")], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    installed = (data / "applications" / "gloss.desktop").read_text()
    assert f'Exec="{bundle}/gloss" %u\n' in installed
    assert "MimeType=x-scheme-handler/feed;x-scheme-handler/feeds;" in installed
    assert (data / "icons" / bi.hicolor_path(256).removeprefix("share/icons/")).is_file()

    done = subprocess.run(
        [str(bundle / "install-desktop-entry.sh"), "--uninstall"], env=env, capture_output=True
    )
    assert done.returncode == 0
    assert not (data / "applications" / "gloss.desktop").exists()
    assert not list((data / "icons").rglob("gloss.png"))


def test_the_readme_says_how_to_start_and_what_is_needed() -> None:
    text = bi.linux_readme("1.2.3", "2.36")
    assert text.startswith("Gloss 1.2.3 for Linux\n=====================\n")
    assert "./gloss" in text and "install-desktop-entry.sh" in text
    assert "glibc 2.36" in text and "libxcb-cursor0" in text
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "glibc" not in bi.linux_readme("1.2.3", None)


@posix_only
def test_the_tarball_holds_one_folder_with_modes_kept_and_no_owner(tmp_path: Path) -> None:
    bundle = _fake_bundle(tmp_path / "Gloss")
    (bundle / "gloss").chmod(0o755)
    (bundle / "_internal").mkdir()
    (bundle / "_internal" / "libx.so.1").write_bytes(b"x")
    (bundle / "libx.so.1").symlink_to("_internal/libx.so.1")
    target = bi.make_tarball(bundle, tmp_path / "g.tar.gz")
    with tarfile.open(target) as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert {name.split("/")[0] for name in members} == {"Gloss"}
    assert members["Gloss/gloss"].mode & 0o111
    assert members["Gloss/libx.so.1"].issym()
    assert all(m.uid == 0 and m.uname == "" for m in members.values())


def test_tree_size_counts_files_once(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x" * 1000)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b").write_bytes(b"y" * 500)
    if os.name == "posix":
        (tmp_path / "link").symlink_to("a")
    size, files = bi.tree_size(tmp_path)
    assert files == 2
    assert 1500 <= size <= 1510


# ---- icons ------------------------------------------------------------------------------------


def _png(size: int) -> bytes:
    return b"\x89PNG\r\n\x1a\n" + size.to_bytes(4, "big")


def test_ico_holds_each_size_as_png_with_256_written_as_zero() -> None:
    pngs = {size: _png(size) for size in (*bi.ICON_SIZES, 1024)}
    data = bi.ico_bytes(pngs)
    reserved, kind, count = struct.unpack_from("<HHH", data)
    assert (reserved, kind, count) == (0, 1, len(bi.ICO_SIZES))
    for index, size in enumerate(bi.ICO_SIZES):
        width, height, _c, _r, planes, bpp, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        assert width == height == (0 if size == 256 else size)
        assert (planes, bpp) == (1, 32)
        assert data[offset : offset + length] == pngs[size]


def test_icns_holds_the_png_types_of_the_sizes_rendered() -> None:
    pngs = {size: _png(size) for size in (16, 32, 64, 128, 256, 512, 1024)}
    data = bi.icns_bytes(pngs)
    assert data[:4] == b"icns"
    assert struct.unpack_from(">I", data, 4)[0] == len(data)
    found = {}
    offset = 8
    while offset < len(data):
        kind, length = data[offset : offset + 4], struct.unpack_from(">I", data, offset + 4)[0]
        found[kind] = data[offset + 8 : offset + length]
        offset += length
    assert found[b"ic10"] == pngs[1024]
    assert found[b"ic07"] == pngs[128]
    assert found[b"icp4"] == pngs[16]
    assert set(found) == set(bi.ICNS_TYPES)
    assert b"ic10" not in bi.icns_bytes({16: _png(16)})


def test_the_app_icon_is_rendered_from_its_svg_at_every_size(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    icons = bi.make_icons(tmp_path)
    assert sorted(icons.pngs) == sorted(bi.ICON_SIZES)
    for size, path in icons.pngs.items():
        image = QImage(str(path))
        assert (image.width(), image.height()) == (size, size)
        assert image.pixelColor(size // 2, size // 2).alpha() > 0  # drawn, not blank
    assert icons.ico.read_bytes()[:4] == b"\0\0\1\0"
    assert icons.icns.read_bytes()[:4] == b"icns"


# ---- Windows and macOS: what can be checked here ------------------------------------------------


@pytest.mark.parametrize(
    ("tool", "flag"),
    [
        ("iscc", "/Q"),
        (r"C:\Program Files (x86)\Inno Setup 6\ISCC.exe", "/Q"),
        ("makensis", "/V2"),
        (r"C:\Program Files (x86)\NSIS\makensis.exe", "/V2"),
    ],
)
def test_windows_installer_commands(tmp_path: Path, tool: str, flag: str) -> None:
    assert bi.windows_installer_command(tool, tmp_path / "s") == [tool, flag, str(tmp_path / "s")]


def test_the_inno_setup_script() -> None:
    text = bi.inno_setup_script(
        "1.2.3", Path("C:/b/Gloss"), Path("C:/w/gloss.ico"), Path("C:/out"), "Gloss-1.2.3-setup"
    )
    assert "AppVersion=1.2.3" in text
    assert "OutputBaseFilename=Gloss-1.2.3-setup" in text
    assert "OutputDir=C:" in text and "SetupIconFile=C:" in text
    assert 'Source: "C:' in text and "recursesubdirs" in text
    assert '{app}\\gloss.exe"' in text


def test_the_nsis_script() -> None:
    text = bi.nsis_script(
        "1.2.3", Path("C:/b/Gloss"), Path("C:/w/gloss.ico"), Path("C:/out/Gloss-setup.exe")
    )
    assert 'Name "Gloss 1.2.3"' in text
    assert 'OutFile "C:' in text and "Gloss-setup.exe" in text
    assert 'File /r "C:' in text
    assert 'RMDir /r "$INSTDIR"' not in text  # never wipe a folder the user picked
    assert "WriteRegStr HKLM" in text and '"DisplayVersion" "1.2.3"' in text


def test_the_dmg_command(tmp_path: Path) -> None:
    command = bi.hdiutil_command(tmp_path / "Gloss.app", tmp_path / "G.dmg", "1.2.3")
    assert command[:2] == ["hdiutil", "create"]
    assert command[command.index("-volname") + 1] == "Gloss 1.2.3"
    assert command[command.index("-srcfolder") + 1] == str(tmp_path / "Gloss.app")
    assert command[command.index("-format") + 1] == "UDZO"
    assert command[-1] == str(tmp_path / "G.dmg")


def test_the_appimage_command_and_launcher(tmp_path: Path) -> None:
    command = bi.appimage_command("appimagetool", tmp_path / "AppDir", tmp_path / "G.AppImage")
    assert command == [
        "appimagetool",
        "--no-appstream",
        str(tmp_path / "AppDir"),
        str(tmp_path / "G.AppImage"),
    ]
    assert 'exec "$here/usr/lib/gloss/gloss" "$@"' in bi.APPRUN


# ---- judging a smoke test -----------------------------------------------------------------------


def test_any_stderr_line_fails_a_smoke_test_unless_allowed() -> None:
    stderr = textwrap.dedent(
        """\
        Traceback (most recent call last):
          File "x.py", line 1
        WARNING gloss.qt: QFont::setPointSize: Point size <= 0 (0), must be greater than 0

        """
    )
    assert len(bi.unexpected_stderr(stderr)) == 3
    assert bi.unexpected_stderr("\n  \n") == []
    assert bi.unexpected_stderr(stderr, allowed=[r"^WARNING gloss\.qt: QFont", r"^ "]) == [
        "Traceback (most recent call last):"
    ]
    assert bi.SMOKE_STDERR_ALLOWED == ()


def test_the_smoke_environment_is_clean(tmp_path: Path) -> None:
    venv_bin = str(Path(sys.prefix) / "bin")
    base = {
        "PATH": os.pathsep.join([venv_bin, "/usr/bin", "/bin"]),
        "PYTHONPATH": "/somewhere",
        "PYTHONHOME": "/elsewhere",
        "VIRTUAL_ENV": sys.prefix,
        "GLOSS_LIBRARY": "/my/real/library.gloss",
        "GLOSS_RESOURCES": "/work/resources",
        "XDG_DATA_HOME": "/home/me/.local/share",
        "QT_PLUGIN_PATH": "/opt/qt/plugins",
        "LD_LIBRARY_PATH": "/opt/lib",
        "LANG": "C.UTF-8",
        "HOME": "/home/me",
    }
    env = bi.clean_environment(tmp_path, base)
    for gone in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "GLOSS_LIBRARY", "GLOSS_RESOURCES"):
        assert gone not in env
    assert "QT_PLUGIN_PATH" not in env and "LD_LIBRARY_PATH" not in env
    if sys.prefix != sys.base_prefix:
        assert venv_bin not in env["PATH"].split(os.pathsep)
    assert "/usr/bin" in env["PATH"].split(os.pathsep)
    assert env["HOME"] == str(tmp_path)
    assert env["XDG_DATA_HOME"] == str(tmp_path / ".local/share")
    assert env["QT_QPA_PLATFORM"] == "offscreen"
    assert env["LANG"] == "C.UTF-8"


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ({}, {"LANG": "C.UTF-8", "LC_CTYPE": "C.UTF-8"}),
        ({"LANG": "C"}, {"LANG": "C.UTF-8", "LC_CTYPE": "C.UTF-8"}),
        ({"LC_ALL": "POSIX", "LANG": "de_DE.UTF-8"}, {"LANG": "C.UTF-8", "LC_CTYPE": "C.UTF-8"}),
        ({"LANG": "de_DE.UTF-8"}, {"LANG": "de_DE.UTF-8"}),
        ({"LC_ALL": "en_GB.utf8"}, {"LC_ALL": "en_GB.utf8"}),
    ],
)
def test_the_smoke_environment_has_a_utf8_locale(
    tmp_path: Path, locale: dict[str, str], expected: dict[str, str]
) -> None:
    """Without one, Qt writes a note about it to stderr, which would fail the smoke test."""
    env = bi.clean_environment(tmp_path, {"PATH": "/usr/bin", **locale})
    assert {k: env[k] for k in ("LC_ALL", "LC_CTYPE", "LANG") if k in env} == expected


def _fake_gloss(tmp_path: Path, body: str) -> Path:
    script = tmp_path / "gloss"
    script.write_text(f"#!{sys.executable}\nimport sys, time\n{textwrap.dedent(body)}")
    script.chmod(0o755)
    return script


@posix_only
def test_smoke_test_passes_a_quiet_successful_program(tmp_path: Path) -> None:
    fake = _fake_gloss(tmp_path, 'assert "--smoke-test" in sys.argv\nprint("smoke: passed")')
    result = bi.smoke_test(fake, timeout=30)
    assert result.ok, result.problems
    assert result.status == 0


@posix_only
@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ('print("smoke: passed")\nsys.exit(3)', "exit status 3"),
        ('print("smoke: passed")\nprint("WARNING gloss: odd", file=sys.stderr)', "stderr: WARNING"),
        ('print("all good")', "without saying it passed"),
    ],
)
def test_smoke_test_failures(tmp_path: Path, body: str, problem: str) -> None:
    result = bi.smoke_test(_fake_gloss(tmp_path, body), timeout=30)
    assert not result.ok
    assert any(problem in p for p in result.problems), result.problems


@posix_only
def test_a_hanging_smoke_test_is_killed_with_its_children(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    fake = _fake_gloss(
        tmp_path,
        f"""
        import subprocess
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        open({str(marker)!r}, "w").write(str(child.pid))
        time.sleep(60)
        """,
    )
    result = bi.smoke_test(fake, timeout=2)
    assert result.status is None
    assert "no answer in 2 s" in result.problems[0]
    child = int(marker.read_text())
    deadline = time.monotonic() + 5
    while _alive(child):
        if time.monotonic() > deadline:
            pytest.fail("the smoke test's grandchild survived the kill")
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    """Running, and not a zombie waiting for a parent (PID 1 in a container may never reap)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return state != "Z"
