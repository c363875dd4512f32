#!/usr/bin/env python3
"""Build Gloss's installer for the platform this runs on, then prove the result starts.

    python build_installer.py [--allow-dirty] [--out DIR] [--work DIR] [--skip-smoke-test]

Run it with the project's virtual environment (``.venv/bin/python``; ``pip install -e ".[build]"``
brings PyInstaller). PyInstaller does not cross-compile: each platform builds its own.

=========  ============================================================================
Linux      ``Gloss-<version>-linux-x86_64.tar.gz``: the one-folder bundle ``Gloss/`` with
           ``gloss.desktop``, hicolor icons under ``share/``, ``install-desktop-entry.sh`` and a
           README; plus ``Gloss-<version>-linux-x86_64.AppImage`` when ``appimagetool`` is on PATH.
Windows    the one-folder bundle as ``Gloss-<version>-windows-x86_64-setup.exe`` made with Inno
           Setup (``iscc``) or NSIS (``makensis``) when one is on PATH, else a ``.zip``.
macOS      ``Gloss.app`` in ``Gloss-<version>-macos-<arch>.dmg`` (``hdiutil``).
=========  ============================================================================

The steps, after qutebrowser's ``scripts/dev/build_release.py`` (checks, build, smoke test,
package, artifacts) and Anki's ``qt/tools/build_installer.py`` (small pure functions, tested):

1. **Clean tree.** ``git status --porcelain`` must print nothing, else the build stops (a bundle
   must be reproducible from its commit); ``--allow-dirty`` builds anyway and says so in the stamp.
2. **Stamp.** ``gloss-build.json`` (version, ``git describe``, commit, dirty, build time,
   platform) goes into the bundle, where ``reader/build_info.py`` reads it for ``gloss --version``.
   No tracked file is touched.
3. **Icons.** ``resources/icons/app.svg`` is the only source. Qt renders it at build time to PNGs
   (16 … 512, and 1024 for macOS), which this script packs into ``.ico`` and ``.icns`` itself
   (both formats are containers of PNGs). Generated, not committed: one source of truth, no
   binaries to keep in step, and Qt is already here to render them.
4. **PyInstaller**, one folder, from a spec generated into the work folder. ``resources/`` (icons,
   styles, demo library) goes in as data; Qt modules Gloss does not import (``EXCLUDED_MODULES``)
   and Qt plugins and translations it does not load (``DROPPED_PATHS``) are left out. On Linux
   ICU's 32 MB data library is swapped for one built here with only the data Qt reads (4.7 MB;
   see "ICU's data" below).
5. **Smoke test.** The frozen ``gloss --smoke-test`` (reader/gui/smoke.py: demo library, reading
   view, a highlight, a Markdown export, a refresh from 127.0.0.1 parsed in worker processes, a
   page extracted in a worker) runs with ``QT_QPA_PLATFORM=offscreen``, a temporary library,
   ``HOME`` and XDG folders, and no ``PYTHONPATH``/venv. It fails on a non-zero status, a
   timeout, no "passed" line, or **any line on stderr** not matched by ``SMOKE_STDERR_ALLOWED``
   (empty: nothing is known to be harmless). Python tracebacks and warnings, Gloss's own
   warnings and errors, and Qt's warnings (Gloss routes Qt's messages to its log, which the smoke
   test prints to stderr from level WARNING) all count. ``gloss --version`` must then name the
   version and the commit.
6. **Package** and report the artifacts, the bundle's size (target: ``SIZE_TARGET_MB`` unpacked
   on Linux) and the time each step took; ``build-report.json`` in the work folder holds the same.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import datetime as dt
import fnmatch
import json
import os
import platform
import re
import shutil
import signal
import struct
import subprocess
import sys
import tarfile
import tempfile
import textwrap
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path, PureWindowsPath

ROOT = Path(__file__).resolve().parent
APP_NAME = "Gloss"
EXE_NAME = "gloss"
BUNDLE_ID = "org.gloss-reader.Gloss"
STAMP_NAME = "gloss-build.json"  # reader/build_info.py reads this name
SIZE_TARGET_MB = 120
"""Issue 7's budget for the unpacked Linux bundle: the build warns above it and tests/installer
fails, so an unused Qt module or a heavy new dependency is noticed (114 MB in December 2026)."""
SMOKE_TIMEOUT = 240.0
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)

# Lines of the frozen smoke test's stderr that are not failures. Empty on purpose: the smoke test
# itself drops the offscreen platform's size-hint note (reader/gui/smoke.py), and anything else
# on stderr is worth a look before a release. Add a regular expression here only with a reason.
SMOKE_STDERR_ALLOWED: tuple[str, ...] = ()

# ---- what goes into the bundle -----------------------------------------------------------------

QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets", "QtSvg")
"""What reader/gui imports (tests/installer checks this against the source)."""

QT_MODULES_UNUSED = (
    "Qt3DAnimation", "Qt3DCore", "Qt3DExtras", "Qt3DInput", "Qt3DLogic", "Qt3DRender",
    "QtAxContainer", "QtBluetooth", "QtCanvasPainter", "QtCharts", "QtConcurrent", "QtDBus",
    "QtDataVisualization", "QtDesigner", "QtGraphs", "QtGraphsWidgets", "QtHelp",
    "QtHttpServer", "QtLocation", "QtMultimedia", "QtMultimediaWidgets", "QtNetwork",
    "QtNetworkAuth", "QtNfc", "QtOpenGL", "QtOpenGLWidgets", "QtPdf", "QtPdfWidgets",
    "QtPositioning", "QtPrintSupport", "QtQml", "QtQuick", "QtQuick3D", "QtQuickControls2",
    "QtQuickTest", "QtQuickWidgets", "QtRemoteObjects", "QtScxml", "QtSensors", "QtSerialBus",
    "QtSerialPort", "QtSpatialAudio", "QtSql", "QtStateMachine", "QtSvgWidgets", "QtTest",
    "QtTextToSpeech", "QtUiTools", "QtWebChannel", "QtWebEngineCore", "QtWebEngineQuick",
    "QtWebEngineWidgets", "QtWebSockets", "QtWebView", "QtXml",
)  # fmt: skip

EXCLUDED_MODULES = (
    *(f"PySide6.{name}" for name in QT_MODULES_UNUSED),
    # Qt bindings Gloss never uses: a stray optional import must not drag in a second Qt.
    "PyQt5", "PyQt6", "PySide2", "shiboken2",
    # Development and GUI toolkits that only optional imports in dependencies mention.
    "tkinter", "_tkinter", "idlelib", "lib2to3", "pydoc_data", "ensurepip", "venv",
    "setuptools", "pip", "pytest", "_pytest", "pytestqt", "hypothesis", "mypy", "ruff",
    "IPython", "matplotlib", "numpy", "pandas",
    # Optional parts of packages Gloss uses: lxml's hook takes every submodule; no code of
    # Gloss or its libraries imports these. readline is for interactive prompts.
    "lxml.objectify", "lxml.html.diff", "lxml.html._difflib", "lxml.isoschematron",
    "lxml.html.soupparser", "lxml.html.html5parser", "readline",
    # Pygments (1.8 MB): Markdown's codehilite extension imports it when it is installed (the
    # test extras bring it, for pytest); Gloss renders Markdown with "extra" and "sane_lists"
    # only, and a build from ".[build]" has no Pygments at all.
    "pygments",
    # Debugging and test tools of the standard library: only pytz's _test() and
    # lxml.doctestcompare import doctest, which brings pdb, pydoc and unittest.
    "doctest", "pdb", "pydoc", "unittest",
)  # fmt: skip

DROPPED_PATHS = (
    # Qt's translations: Gloss is in English and loads no QTranslator.
    "PySide6/Qt/translations/*",
    # QML, its tooling and the designer: no Qt Quick in Gloss.
    "PySide6/Qt/qml/*",
    "PySide6/Qt/plugins/qmltooling/*",
    "PySide6/Qt/plugins/qmllint/*",
    "PySide6/Qt/plugins/designer/*",
    # Plugins of modules that are excluded above.
    "PySide6/Qt/plugins/sqldrivers/*",
    "PySide6/Qt/plugins/printsupport/*",
    "PySide6/Qt/plugins/tls/*",
    "PySide6/Qt/plugins/networkinformation/*",
    # Platforms for embedded displays and remote frame buffers; desktops use xcb or Wayland
    # (and the smoke test "offscreen").
    "PySide6/Qt/plugins/platforms/libqeglfs*",
    "PySide6/Qt/plugins/platforms/libqlinuxfb*",
    "PySide6/Qt/plugins/platforms/libqvnc*",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay*",
    "PySide6/Qt/plugins/platforms/libqminimal*",
    # The GTK theme plugin: it would bring cairo, pango, gdk-pixbuf, atk and a dozen more
    # libraries, and load the system's GTK against them. Gloss draws with Fusion; without the
    # plugin, Qt's own GNOME theme and file dialog (or the desktop portal's) are used.
    "PySide6/Qt/plugins/platformthemes/libqgtk3*",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/generic/*",  # evdev/tslib input for embedded devices
    "PySide6/Qt/lib/libQt6EglFSDeviceIntegration*",
    "PySide6/Qt/lib/libQt6EglFsKmsSupport*",
    "PySide6/Qt/lib/libQt6EglFsKmsGbmSupport*",
    # Image formats no feed or page sends (kept: png, jpeg, gif, webp, svg, ico, bmp).
    "PySide6/Qt/plugins/imageformats/libqtga*",
    "PySide6/Qt/plugins/imageformats/libqtiff*",
    "PySide6/Qt/plugins/imageformats/libqwbmp*",
    "PySide6/Qt/plugins/imageformats/libqicns*",
    "PySide6/Qt/plugins/imageformats/libqpdf*",
    "PySide6/Qt/lib/libQt6Pdf*",
    # RapidFuzz's AVX2 builds (5.3 MB) beside its generic ones: without them rapidfuzz imports
    # the generic build, as it does on a CPU without AVX2. Re-anchoring 200 highlights in a
    # 500 KB article takes 0.08–0.09 s either way (budget 1 s; tests/benchmarks).
    "rapidfuzz/*_avx2.*",
    # Type stubs and build metadata: nothing reads them at run time.
    "PySide6/*.pyi",
    "PySide6/Qt/metatypes/*",
    "PySide6/typesystems/*",
    "PySide6/include/*",
    "PySide6/glue/*",
    # Babel's locale data (35 MB): courlan imports babel for a language filter that only runs
    # when a target language is given, which Gloss never does. English is kept (KEPT_PATHS).
    "babel/locale-data/*",
    # Libraries that must be the running system's own, as AppImage's exclude list has it: the
    # X11 client libraries talk to the display server, fontconfig and FreeType read the system's
    # font configuration, libdbus talks to its message bus (and brings libsystemd, libgcrypt,
    # libgpg-error, liblz4 and libcap with it). Every desktop has them; a fresh server gets them
    # with the README's apt-get line.
    "libX11.so*",
    "libX11-xcb.so*",
    "libXau.so*",
    "libXdmcp.so*",
    "libfontconfig.so*",
    "libfreetype.so*",
    "libdbus-1.so*",
    "libsystemd.so*",
    "libgcrypt.so*",
    "libgpg-error.so*",
    "liblz4.so*",
    "libcap.so*",
)

KEPT_PATHS = ("babel/locale-data/root.dat", "babel/locale-data/en.dat")
"""Exceptions to ``DROPPED_PATHS``."""

RESOURCE_FOLDERS = ("icons", "styles", "demo")
"""resources/ subfolders the app reads at run time; screenshots are for the README only."""

RESOURCE_SKIPPED = ("*.py", "*.pyc", "__pycache__")
DATA_PACKAGES = ("trafilatura", "justext")
"""Packages that read data files beside their code and have no PyInstaller hook: trafilatura's
settings.cfg, jusText's stop lists (the smoke test's page extraction fails without them)."""

METADATA_PACKAGES = ("trafilatura",)
"""Distributions whose metadata the app reads (reader/core/extractor_version.py)."""


def keep_in_bundle(dest: str) -> bool:
    """Whether a file PyInstaller collected, named by its path inside the bundle, is kept."""
    name = dest.replace("\\", "/")
    if any(fnmatch.fnmatchcase(name, pattern) for pattern in KEPT_PATHS):
        return True
    return not any(fnmatch.fnmatchcase(name, pattern) for pattern in DROPPED_PATHS)


def filter_toc(toc: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """PyInstaller's (dest, source, type) entries without those ``keep_in_bundle`` refuses."""
    return [entry for entry in toc if keep_in_bundle(entry[0])]


def resource_datas(root: Path = ROOT) -> list[tuple[str, str]]:
    """(source file, folder inside the bundle) pairs for resources/, as PyInstaller's datas."""
    datas = []
    for folder in RESOURCE_FOLDERS:
        base = root / "resources" / folder
        for path in sorted(base.rglob("*")):
            rel = path.relative_to(root)
            skipped = any(fnmatch.fnmatch(part, p) for p in RESOURCE_SKIPPED for part in rel.parts)
            if path.is_dir() or skipped:
                continue
            datas.append((str(path), rel.parent.as_posix()))
    return datas


# ---- platforms and names ----------------------------------------------------------------------


class BuildError(Exception):
    """A build that cannot go on; the message says why and what to do."""


def platform_tag(system: str | None = None, machine: str | None = None) -> str:
    """``linux-x86_64``, ``windows-x86_64``, ``macos-arm64``…: the artifact names' suffix."""
    system = sys.platform if system is None else system
    machine = (platform.machine() if machine is None else machine).lower()
    if system.startswith("linux"):
        os_name = "linux"
    elif system in ("win32", "cygwin"):
        os_name = "windows"
    elif system == "darwin":
        os_name = "macos"
    else:
        raise BuildError(f"Gloss has no installer for {system!r}.")
    arch = {"amd64": "x86_64", "x64": "x86_64", "i386": "x86", "i686": "x86"}.get(machine, machine)
    if arch in ("aarch64", "arm64"):
        arch = "aarch64" if os_name == "linux" else "arm64"
    return f"{os_name}-{arch}"


def artifact_name(version: str, tag: str, kind: str) -> str:
    """The file name of one artifact: ``kind`` is tar.gz, AppImage, setup.exe, zip or dmg."""
    if kind == "setup.exe":
        return f"{APP_NAME}-{version}-{tag}-setup.exe"
    return f"{APP_NAME}-{version}-{tag}.{kind}"


def frozen_executable(dist: Path, tag: str) -> Path:
    """Where PyInstaller puts the program inside ``dist``."""
    if tag.startswith("macos"):
        return dist / f"{APP_NAME}.app" / "Contents" / "MacOS" / EXE_NAME
    suffix = ".exe" if tag.startswith("windows") else ""
    return dist / APP_NAME / f"{EXE_NAME}{suffix}"


def read_version(root: Path = ROOT) -> str:
    """``reader.__version__``, read without importing the package."""
    tree = ast.parse((root / "reader" / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__version__" for t in node.targets
        ):
            value = ast.literal_eval(node.value)
            if isinstance(value, str):
                return value
    raise BuildError("reader/__init__.py has no __version__ string.")


# ---- git ----------------------------------------------------------------------------------------


def _git(root: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=60
        )
    except FileNotFoundError:
        raise BuildError("git is not installed; it is needed to stamp the build.") from None
    except subprocess.CalledProcessError as e:
        raise BuildError(f"git {' '.join(args)} failed: {e.stderr.strip()}") from None
    return done.stdout


def uncommitted_changes(root: Path) -> list[str]:
    """``git status --porcelain`` lines: modified, staged, deleted and untracked files."""
    return [line for line in _git(root, "status", "--porcelain").splitlines() if line.strip()]


def check_clean_tree(root: Path, *, allow_dirty: bool) -> bool:
    """Raise ``BuildError`` listing the changes when the tree is dirty (unless allowed);
    return whether it is dirty."""
    changes = uncommitted_changes(root)
    if changes and not allow_dirty:
        shown = "\n".join(f"  {line}" for line in changes[:20])
        more = f"\n  … and {len(changes) - 20} more" if len(changes) > 20 else ""
        raise BuildError(
            "The work tree has uncommitted changes, so the bundle would not match any commit:\n"
            f"{shown}{more}\n"
            "Commit or stash them, or build anyway with --allow-dirty (the version then says "
            "'dirty')."
        )
    return bool(changes)


def git_identity(root: Path) -> tuple[str, str]:
    """(``git describe --tags --always``, full commit hash)."""
    describe = _git(root, "describe", "--tags", "--always", "--abbrev=10").strip()
    commit = _git(root, "rev-parse", "HEAD").strip()
    return describe, commit


def build_stamp(
    version: str, describe: str, commit: str, *, dirty: bool, tag: str, built: dt.datetime
) -> dict[str, object]:
    """The contents of ``gloss-build.json``."""
    return {
        "version": version,
        "describe": describe + ("-dirty" if dirty else ""),
        "commit": commit,
        "dirty": dirty,
        "built": built.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "platform": tag,
        "python": platform.python_version(),
    }


# ---- the Linux desktop files --------------------------------------------------------------------


def desktop_entry() -> str:
    """``gloss.desktop``. ``Exec`` takes a URL (``%u``) so that ``feed:``/``feeds:`` links can
    be handed to Gloss; install-desktop-entry.sh puts the bundle's absolute path in ``Exec``."""
    return textwrap.dedent(
        """\
        [Desktop Entry]
        Type=Application
        Name=Gloss
        GenericName=News Reader
        Comment=Read feeds offline, highlight passages and keep your notes as Markdown
        Exec=gloss %u
        Icon=gloss
        Terminal=false
        Categories=Network;News;Feed;
        Keywords=RSS;Atom;feed;news;reader;highlight;notes;Markdown;
        MimeType=x-scheme-handler/feed;x-scheme-handler/feeds;
        StartupNotify=true
        StartupWMClass=gloss
        """
    )


INSTALL_SCRIPT = textwrap.dedent(
    """\
    #!/bin/sh
    # Adds Gloss to this user's applications menu (and offers it for feed: links), pointing at
    # this folder: run it again after moving the folder. --uninstall takes the entry away.
    # Only the menu entry and the icons are copied; your library is never touched.
    set -eu
    here=$(cd "$(dirname "$0")" && pwd)
    data=${XDG_DATA_HOME:-$HOME/.local/share}
    if [ "${1:-}" = "--uninstall" ]; then
        rm -f "$data/applications/gloss.desktop"
        find "$data/icons/hicolor" -path '*/apps/gloss.*' -type f -exec rm -f {} + \\
            2>/dev/null || true
        echo "Gloss was removed from the applications menu."
        exit 0
    fi
    mkdir -p "$data/applications" "$data/icons"
    cp -R "$here/share/icons/hicolor" "$data/icons/"
    GLOSS_EXEC="\\"$here/gloss\\"" awk '
        /^Exec=gloss( |$)/ { sub(/^Exec=gloss/, ""); print "Exec=" ENVIRON["GLOSS_EXEC"] $0; next }
        { print }' "$here/gloss.desktop" > "$data/applications/gloss.desktop"
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$data/applications" || true
    fi
    if command -v gtk-update-icon-cache >/dev/null 2>&1; then
        gtk-update-icon-cache -q -t "$data/icons/hicolor" 2>/dev/null || true
    fi
    echo "Gloss is in the applications menu: $data/applications/gloss.desktop"
    """
)


def linux_readme(version: str, glibc: str | None) -> str:
    title = f"Gloss {version} for Linux"
    needs = f"glibc {glibc} or newer, " if glibc else ""
    return textwrap.dedent(
        f"""\
        {title}
        {"=" * len(title)}

        An offline news reader: highlights, notes, Markdown export. No installation is needed.

          ./gloss                      opens the window (a demo library on the first start)
          ./gloss --help               the command line: add, refresh, export, search …
          ./install-desktop-entry.sh   adds Gloss to your applications menu; run it again after
                                       moving this folder; --uninstall removes the entry

        Your library lives in ~/.local/share/Gloss/ (the window's settings in ~/.config/Gloss/);
        deleting this folder leaves them alone.

        Needs {needs}a desktop with X11 or Wayland, and the libraries
        every desktop has. On a bare Debian or Ubuntu:
          sudo apt-get install libegl1 libgl1 libfontconfig1 libdbus-1-3 libxkbcommon-x11-0 \\
              libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1
        """
    )


def glibc_version() -> str | None:
    name, version = platform.libc_ver()
    return version if name == "glibc" and version else None


# ---- icons ----------------------------------------------------------------------------------


def render_icons(svg: Path, sizes: Sequence[int]) -> dict[int, bytes]:
    """PNG bytes of ``svg`` at each size, rendered with Qt (offscreen when no display)."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise BuildError(f"{svg} is not an SVG that Qt can draw.")
    result = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        result[size] = bytes(data.data())
    return result


def ico_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """A Windows ``.ico`` holding PNG images (supported since Windows Vista)."""
    sizes = [size for size in ICO_SIZES if size in pngs]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size == 256 else size  # 0 means 256
        entries += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


ICNS_TYPES = {
    b"icp4": 16, b"icp5": 32, b"icp6": 64, b"ic07": 128, b"ic08": 256, b"ic09": 512,
    b"ic10": 1024, b"ic11": 32, b"ic12": 64, b"ic13": 256, b"ic14": 512,
}  # fmt: skip
"""macOS icon types that hold PNG data, by pixel size (ic10–ic14 are the @2x variants)."""


def icns_bytes(pngs: Mapping[int, bytes]) -> bytes:
    """A macOS ``.icns`` of PNG images; types whose size was not rendered are left out."""
    body = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
        for kind, size in ICNS_TYPES.items()
        if size in pngs
    )
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


@dataclasses.dataclass(frozen=True)
class Icons:
    pngs: dict[int, Path]
    ico: Path
    icns: Path
    svg: Path


def make_icons(out: Path, svg: Path | None = None) -> Icons:
    svg = svg or ROOT / "resources" / "icons" / "app.svg"
    out.mkdir(parents=True, exist_ok=True)
    rendered = render_icons(svg, (*ICON_SIZES, 1024))
    pngs = {}
    for size in ICON_SIZES:
        pngs[size] = out / f"gloss-{size}.png"
        pngs[size].write_bytes(rendered[size])
    ico = out / "gloss.ico"
    ico.write_bytes(ico_bytes(rendered))
    icns = out / "gloss.icns"
    icns.write_bytes(icns_bytes(rendered))
    return Icons(pngs, ico, icns, svg)


# ---- ICU's data (Linux) -------------------------------------------------------------------------
#
# PySide6's Linux wheels bring ICU, and ICU's data library (libicudata.so.73) is 32 MB: the
# calendars, currencies, units, language and time zone names, break rules and transliterators of
# every locale. Qt calls few ICU functions (ICU_FUNCTIONS_REVIEWED), so the bundle gets a
# libicudata built here that holds the data those read and nothing else (ICU_DATA_KEPT): the
# same package format, the same symbol and SONAME, 4.7 MB. tests/installer compares what Qt does
# with it and with the original, and the build stops when a new PySide6 calls an ICU function
# nobody has looked at. --full-icu-data bundles the original instead.

ICU_FUNCTIONS_REVIEWED = (
    # QCollator (Qt's own file dialog sorts names with it, QString::localeAwareCompare): the
    # collation data, all of it, is kept.
    "ucol_close", "ucol_getSortKey", "ucol_open", "ucol_setAttribute", "ucol_strcoll",
    # QStringConverter, for encodings Qt does not implement itself (it does UTF-8/16/32 and
    # Latin-1): an SVG image or other XML declaring encoding="windows-1252". Kept: the alias
    # table and the converters of the WHATWG Encoding Standard's labels (ICU_CONVERTERS).
    "ucnv_cbFromUWriteUChars", "ucnv_cbToUWriteUChars", "ucnv_close", "ucnv_countAvailable",
    "ucnv_fromUCountPending", "ucnv_fromUnicode", "ucnv_getAvailableName",
    "ucnv_getFromUCallBack", "ucnv_getMaxCharSize", "ucnv_getName", "ucnv_getStandardName",
    "ucnv_getToUCallBack", "ucnv_open", "ucnv_reset", "ucnv_setFromUCallBack",
    "ucnv_setToUCallBack", "ucnv_toUCountPending", "ucnv_toUnicode",
    "UCNV_FROM_U_CALLBACK_SUBSTITUTE", "UCNV_TO_U_CALLBACK_SUBSTITUTE",
    # QTimeZone::displayName, and dates formatted with QLocale's long formats: the long names of
    # time zones ("Central European Standard Time"). Left out (3.5 MB with the calendar data they
    # need): Gloss formats no date with Qt. Without them Qt gives the IANA id ("Europe/Berlin")
    # or its abbreviation, and says nothing.
    "ucal_close", "ucal_getCanonicalTimeZoneID", "ucal_getTimeZoneDisplayName", "ucal_open",
    # QLocale::toUpper/toLower: the case mappings are compiled into libicuuc (no data read).
    "u_strToLower", "u_strToUpper",
)  # fmt: skip
"""The ICU functions Qt's libraries call (without ICU's version suffix) that ICU_DATA_KEPT was
chosen for."""

ICU_CONVERTERS = (
    # Single-byte: IBM866, ISO-8859-2 … -15 and -11, KOI8-R, KOI8-U, Mac Roman and Cyrillic,
    # windows-874 and windows-1250 … 1258.
    "ibm-866_P100-1995", "ibm-912_P100-1995", "ibm-913_P100-2000", "ibm-914_P100-1995",
    "ibm-915_P100-1995", "ibm-1089_P100-1995", "ibm-9005_X110-2007", "ibm-5012_P100-1999",
    "ibm-920_P100-1995", "iso-8859_10-1998", "iso-8859_11-2001", "ibm-921_P100-1995",
    "iso-8859_14-1998", "ibm-923_P100-1998", "ibm-878_P100-1996", "ibm-1168_P100-2002",
    "macos-0_2-10.2", "macos-7_3-10.2", "windows-874-2000", "ibm-5346_P100-1998",
    "ibm-5347_P100-1998", "ibm-5348_P100-1997", "ibm-5349_P100-1998", "ibm-5350_P100-1998",
    "ibm-9447_P100-2002", "ibm-9448_X100-2005", "ibm-9449_P100-2002", "ibm-5354_P100-1998",
    # Chinese: GB2312, GBK (on its base table ibm-1386), GB18030, Big5 (on ibm-1373), Big5-HKSCS.
    "ibm-5478_P100-1995", "ibm-1383_P110-1999", "windows-936-2000", "ibm-1386_P100-2001",
    "gb18030", "windows-950-2000", "ibm-1373_P100-2002", "ibm-1375_P100-2008",
    # Japanese: EUC-JP, Shift_JIS (also what ICU's ISO-2022-JP converts JIS X 0208 with).
    "euc-jp-2007", "ibm-943_P15A-2003",
    # Korean: EUC-KR, windows-949 (on ibm-1363).
    "ibm-970_P110_P110-2006_U2", "windows-949-2000", "ibm-1363_P11B-1998",
)  # fmt: skip
"""The converter tables (``<name>.cnv``) that the WHATWG Encoding Standard's labels open in ICU
73, with the base tables of those that only extend another; ASCII, Latin-1, the UTFs and
ISO-2022 are in ICU's code."""

ICU_DATA_KEPT = ("coll/*", "cnvalias.icu", *(f"{name}.cnv" for name in ICU_CONVERTERS))
"""Items of ICU's data package kept in the bundle (names without the ``icudt73l/`` prefix)."""


def keep_icu_item(name: str) -> bool:
    """Whether an item of ICU's data package, named without its package prefix, is kept."""
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in ICU_DATA_KEPT)


def missing_icu_items(kept: Iterable[str]) -> list[str]:
    """The items ``ICU_DATA_KEPT`` names that ``kept`` lacks (a pattern: no item matches)."""
    kept = list(kept)
    return [
        pattern
        for pattern in ICU_DATA_KEPT
        if not any(fnmatch.fnmatchcase(name, pattern) for name in kept)
    ]


@dataclasses.dataclass(frozen=True)
class ElfSymbols:
    defined: dict[str, tuple[int, int]]  # name: (file offset, size)
    undefined: set[str]


def elf_symbols(data: bytes) -> ElfSymbols:
    """The dynamic symbols of a 64-bit little-endian ELF file (a Linux shared library)."""
    if data[:4] != b"\x7fELF" or data[4:6] != b"\x02\x01":
        raise ValueError("not a 64-bit little-endian ELF file")
    (section_table,) = struct.unpack_from("<Q", data, 0x28)
    entry_size, count = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, section_table + i * entry_size)
        for i in range(count)
    ]
    symbols = ElfSymbols({}, set())
    for _name, kind, _flags, _addr, offset, size, link, _info, _align, symbol_size in sections:
        if kind != 11:  # SHT_DYNSYM
            continue
        strings = sections[link][4]
        for at in range(offset + symbol_size, offset + size, symbol_size):  # 0 is the null one
            name_at, _sym_info, _other, section, value, length = struct.unpack_from(
                "<IBBHQQ", data, at
            )
            name = data[strings + name_at : data.index(b"\0", strings + name_at)].decode()
            if section == 0:
                symbols.undefined.add(name)
            elif section < 0xFF00:
                address, file_offset = sections[section][3], sections[section][4]
                symbols.defined[name] = (value - address + file_offset, length)
    return symbols


def icu_common_data(library: bytes) -> tuple[str, bytes]:
    """(symbol, bytes) of the data package a libicudata exports (``icudt73_dat``)."""
    for name, (offset, size) in elf_symbols(library).defined.items():
        if re.fullmatch(r"icudt\d+_dat", name):
            return name, library[offset : offset + size]
    raise ValueError("no icudt*_dat symbol: not ICU's data library")


def icu_package_items(package: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The header and the (name, bytes) items of an ICU common data package (``.dat``), in
    order; each item's bytes run to the next item (ICU pads them to 16 bytes)."""
    header_size, magic = struct.unpack_from("<H2s", package, 0)
    if magic != b"\xda\x27" or package[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    toc = package[header_size:]  # offsets below count from here
    (count,) = struct.unpack_from("<I", toc, 0)
    entries = [struct.unpack_from("<II", toc, 4 + 8 * i) for i in range(count)]
    ends = [data_at for _name_at, data_at in entries[1:]] + [len(toc)]
    items = []
    for (name_at, data_at), end in zip(entries, ends, strict=True):
        name = toc[name_at : toc.index(b"\0", name_at)].decode("ascii")
        items.append((name, toc[data_at:end]))
    return package[:header_size], items


def icu_package(header: bytes, items: Sequence[tuple[str, bytes]]) -> bytes:
    """An ICU common data package laid out as icupkg writes it: the header, the count, (name,
    data) offsets, the names, then the items on 16-byte boundaries. ICU looks names up by
    binary search, so ``items`` must be sorted as in the package they came from."""
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    table_size = 4 + 8 * len(items)
    names_end = table_size + len(names)
    data_at = names_end + -names_end % 16
    table = [struct.pack("<I", len(items))]
    body = []
    name_at = table_size
    for name, data in items:
        table.append(struct.pack("<II", name_at, data_at))
        name_at += len(name) + 1
        padded = data + b"\xaa" * (-len(data) % 16)
        body.append(padded)
        data_at += len(padded)
    pad = b"\xaa" * (-names_end % 16)
    return b"".join([header, *table, names, pad, *body])


def icu_data_assembly(symbol: str, blob: Path) -> str:
    """GNU assembler source of a data-only library exporting ``blob`` as ``symbol``, aligned as
    ICU's own genccode does."""
    return textwrap.dedent(
        f"""\
        .section .note.GNU-stack,"",@progbits
        .section .rodata
        .globl {symbol}
        .type {symbol}, @object
        .balign 16
        {symbol}:
        .incbin "{blob}"
        .size {symbol}, . - {symbol}
        """
    )


def pyside6_icu_libraries() -> dict[str, Path]:
    """PySide6's ICU libraries by name (``libicudata.so.73``…): empty where the wheel has none
    (Windows and macOS Qt use the system's ICU, or none)."""
    import importlib.util

    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return {}
    lib = Path(next(iter(spec.submodule_search_locations))) / "Qt" / "lib"
    return {path.name: path for path in sorted(lib.glob("libicu*.so.*"))}


def icu_functions_called(folder: Path, icu: Iterable[Path]) -> set[str]:
    """The ICU functions (version suffix dropped) that the libraries, plugins and extension
    modules under ``folder``, ICU's own excepted, import from the ``icu`` libraries."""
    exported: set[str] = set()
    for path in icu:
        exported |= set(elf_symbols(path.read_bytes()).defined)
    called = set()
    for path in folder.rglob("*.so*"):
        if path.name.startswith("libicu") or path.is_symlink() or not path.is_file():
            continue
        data = path.read_bytes()
        if data[:4] == b"\x7fELF":
            called |= elf_symbols(data).undefined & exported
    return {re.sub(r"_\d+$", "", name) for name in called}


@dataclasses.dataclass(frozen=True)
class IcuData:
    """A smaller ICU data library made for the bundle."""

    original: Path
    library: Path
    items: int
    items_kept: int

    @property
    def dest(self) -> str:
        """Its path inside the bundle."""
        return f"PySide6/Qt/lib/{self.original.name}"


def make_icu_data(original: Path, work: Path) -> IcuData:
    """Build ``work/<original's name>``: the same symbol and SONAME, holding only the items
    ``keep_icu_item`` keeps. Needs ``as`` and ``ld`` (binutils, which PyInstaller needs too)."""
    tools = {tool: shutil.which(tool) for tool in ("as", "ld")}
    missing = [tool for tool, path in tools.items() if path is None]
    if missing:
        raise BuildError(
            f"{' and '.join(missing)} not found: install binutils (PyInstaller needs it too), "
            "or build with --full-icu-data."
        )
    symbol, package = icu_common_data(original.read_bytes())
    header, items = icu_package_items(package)
    kept = [(name, data) for name, data in items if keep_icu_item(name.partition("/")[2])]
    missing = missing_icu_items([name.partition("/")[2] for name, _ in kept])
    if missing:
        raise BuildError(
            f"{original} has no {', '.join(missing)}: a new ICU renamed or dropped them. "
            "Update ICU_DATA_KEPT (tests/installer/test_icu_data.py shows what changes), or "
            "build with --full-icu-data."
        )
    work.mkdir(parents=True, exist_ok=True)
    blob = work / "icudata.dat"
    blob.write_bytes(icu_package(header, kept))
    source = work / "icudata.s"
    source.write_text(icu_data_assembly(symbol, blob), encoding="utf-8")
    library = work / original.name
    commands = [
        [str(tools["as"]), "-o", str(work / "icudata.o"), str(source)],
        [
            str(tools["ld"]), "-shared", "-soname", original.name, "--hash-style=both",
            "--build-id", "-z", "noexecstack", "-o", str(library), str(work / "icudata.o"),
        ],
    ]  # fmt: skip
    for command in commands:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise BuildError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")
    return IcuData(original, library, len(items), len(kept))


def shrink_icu_data(work: Path) -> IcuData | None:
    """The smaller ICU data library for this PySide6, or None when it has no ICU of its own.
    Stops the build when Qt calls an ICU function ``ICU_FUNCTIONS_REVIEWED`` does not list."""
    icu = pyside6_icu_libraries()
    data = next((path for name, path in icu.items() if name.startswith("libicudata.")), None)
    if data is None:
        return None
    pyside6 = data.parents[2]
    unreviewed = icu_functions_called(pyside6, icu.values()) - set(ICU_FUNCTIONS_REVIEWED)
    if unreviewed:
        raise BuildError(
            "Qt calls ICU functions that ICU_DATA_KEPT was not chosen for: "
            f"{', '.join(sorted(unreviewed))}. See which data they read, keep it in "
            "ICU_DATA_KEPT, add them to ICU_FUNCTIONS_REVIEWED and to tests/installer's ICU "
            "probe; or build with --full-icu-data."
        )
    return make_icu_data(data, work)


def replace_binaries(
    toc: Iterable[tuple[str, str, str]], replacements: Mapping[str, str]
) -> list[tuple[str, str, str]]:
    """PyInstaller's binaries with the source of each ``replacements`` destination swapped;
    a destination that is not there is an error (the bundle would silently keep the original)."""
    result = []
    found = set()
    for dest, source, kind in toc:
        if kind == "BINARY" and dest.replace("\\", "/") in replacements:
            found.add(dest.replace("\\", "/"))
            source = replacements[dest.replace("\\", "/")]
        result.append((dest, source, kind))
    missing = set(replacements) - found
    if missing:
        raise BuildError(f"PyInstaller collected no {', '.join(sorted(missing))} to replace.")
    return result


# ---- PyInstaller ------------------------------------------------------------------------------

ENTRY_SCRIPT = '''\
"""The frozen Gloss's entry point (generated by build_installer.py)."""

import multiprocessing
import sys

if __name__ == "__main__":
    # Before anything heavy is imported: parse workers are started with "spawn", which runs
    # this program again; freeze_support() turns such a process into the worker it should be.
    multiprocessing.freeze_support()
    from reader.cli import main

    sys.exit(main())
'''

SPEC_TEMPLATE = """\
# Generated by build_installer.py for one build: change build_installer.py, not this file.
import sys

sys.path.insert(0, {root!r})
import os

import build_installer as bi
from PyInstaller.utils.hooks import collect_data_files, copy_metadata
from PyInstaller.utils.hooks import qt as pyi_qt

# Qt plugins Gloss does not load are left out *before* PyInstaller follows their libraries (the
# GTK theme alone brings a dozen); filtering Analysis's result afterwards would keep those.
_collect_plugins = pyi_qt.QtLibraryInfo.collect_plugins


def _collect_kept_plugins(self, plugin_type):
    return [
        (src, dst)
        for src, dst in _collect_plugins(self, plugin_type)
        if bi.keep_in_bundle(os.path.join(dst, os.path.basename(src)))
    ]


pyi_qt.QtLibraryInfo.collect_plugins = _collect_kept_plugins

datas = [*bi.resource_datas(), ({stamp!r}, ".")]
datas += [m for package in bi.METADATA_PACKAGES for m in copy_metadata(package)]
datas += [d for package in bi.DATA_PACKAGES for d in collect_data_files(package)]
a = Analysis(
    [{entry!r}],
    pathex=[{root!r}],
    datas=datas,
    excludes=list(bi.EXCLUDED_MODULES),
    noarchive=False,
)
a.binaries = bi.replace_binaries(bi.filter_toc(a.binaries), {replace!r})
a.datas = bi.filter_toc(a.datas)
pyz = PYZ(a.pure)
exe = EXE(
    pyz,
    a.scripts,
    [],
    exclude_binaries=True,
    name={exe_name!r},
    console=True,
    hide_console={hide_console!r},
    icon={icon!r},
    upx=False,
    strip={strip!r},
    debug=False,
)
coll = COLLECT(exe, a.binaries, a.datas, name={app_name!r}, upx=False, strip={strip!r})
if {macos!r}:
    app = BUNDLE(
        coll,
        name={app_name!r} + ".app",
        icon={icns!r},
        bundle_identifier={bundle_id!r},
        version={version!r},
        info_plist={{
            "CFBundleShortVersionString": {version!r},
            "NSHighResolutionCapable": True,
            "LSMinimumSystemVersion": "11.0",
        }},
    )
"""


def spec_text(
    *,
    entry: Path,
    stamp: Path,
    icons: Icons,
    tag: str,
    version: str,
    replace: Mapping[str, str] | None = None,
) -> str:
    """The spec PyInstaller runs. On Windows the console is hidden when Gloss is started from
    the Start menu, but stays when it is run from a terminal (``gloss --version`` prints).
    Binaries are stripped on Linux only (a Python built with debug info carries megabytes of
    it); on macOS stripping would break signatures, and Windows has no ``strip``. ``replace``
    maps paths inside the bundle to the files that go there instead of PyInstaller's (the
    smaller ICU data library)."""
    windows = tag.startswith("windows")
    macos = tag.startswith("macos")
    return SPEC_TEMPLATE.format(
        root=str(ROOT),
        entry=str(entry),
        stamp=str(stamp),
        exe_name=EXE_NAME,
        app_name=APP_NAME,
        hide_console="hide-early" if windows else None,
        strip=not windows and not macos,
        icon=str(icons.ico) if windows else None,
        icns=str(icons.icns),
        macos=macos,
        bundle_id=BUNDLE_ID,
        version=version,
        replace=dict(replace or {}),
    )


def pyinstaller_command(spec: Path, dist: Path, work: Path) -> list[str]:
    return [
        sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
        "--distpath", str(dist), "--workpath", str(work), str(spec),
    ]  # fmt: skip


def run_pyinstaller(spec: Path, dist: Path, work: Path, log: Path) -> list[str]:
    """Run PyInstaller; its output goes to ``log``. Returns its WARNING/ERROR lines."""
    try:
        import PyInstaller  # noqa: F401
    except ImportError:
        raise BuildError(
            "PyInstaller is not installed here: pip install -e '.[build]' (or '.[test]')."
        ) from None
    with log.open("w", encoding="utf-8") as out:
        status = subprocess.call(
            pyinstaller_command(spec, dist, work), cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
        )
    text = log.read_text(encoding="utf-8", errors="replace")
    if status != 0:
        tail = "\n".join(text.splitlines()[-30:])
        raise BuildError(f"PyInstaller failed (status {status}); the end of {log}:\n{tail}")
    return [line for line in text.splitlines() if re.search(r"\b(WARNING|ERROR):", line)]


# ---- the smoke test ---------------------------------------------------------------------------


@dataclasses.dataclass
class SmokeResult:
    status: int | None  # None: killed at the timeout
    stdout: str
    stderr: str
    seconds: float
    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems


def unexpected_stderr(stderr: str, allowed: Sequence[str] = SMOKE_STDERR_ALLOWED) -> list[str]:
    """The stderr lines that fail a smoke test: every non-blank line no ``allowed`` regular
    expression matches. A traceback, a warning or an error message is never on stderr for
    nothing, so nothing is let through by default."""
    patterns = [re.compile(p) for p in allowed]
    return [
        line
        for line in stderr.splitlines()
        if line.strip() and not any(p.search(line) for p in patterns)
    ]


def clean_environment(home: Path, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment a frozen Gloss gets in a smoke test: offscreen Qt, ``HOME`` and XDG
    folders inside ``home``, a UTF-8 locale, and nothing of this Python (``PYTHON*``, a venv on
    ``PATH``, ``GLOSS_*`` overrides), so the bundle must find everything in itself."""
    env = {
        key: value
        for key, value in (os.environ if base is None else base).items()
        if not key.startswith(("PYTHON", "GLOSS_", "XDG_", "QT_", "LD_"))
        and key not in ("VIRTUAL_ENV", "CONDA_PREFIX", "PYINSTALLER_CONFIG_DIR")
    }
    venvs = {os.environ.get("VIRTUAL_ENV", ""), sys.prefix if sys.prefix != sys.base_prefix else ""}
    venv_bins = {str(Path(v) / ("Scripts" if os.name == "nt" else "bin")) for v in venvs if v}
    path = [p for p in env.get("PATH", os.defpath).split(os.pathsep) if p and p not in venv_bins]
    env["PATH"] = os.pathsep.join(path)
    env["HOME"] = str(home)
    env["USERPROFILE"] = str(home)  # Windows
    for key, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_RUNTIME_DIR", "runtime"),
    ):
        env[key] = str(home / sub)
    env["QT_QPA_PLATFORM"] = "offscreen"
    if not _utf8_locale(env):
        # Desktop sessions have a UTF-8 locale; without one Qt says so on stderr (CI may have none)
        env.pop("LC_ALL", None)
        env["LC_CTYPE"] = env["LANG"] = "C.UTF-8"
    return env


def _utf8_locale(env: Mapping[str, str]) -> bool:
    """Whether the character encoding the C library would pick from ``env`` is UTF-8."""
    value = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    return value.lower().replace("-", "").endswith("utf8")


def run_frozen(
    command: Sequence[str], env: Mapping[str, str], timeout: float
) -> tuple[int | None, str, str, float]:
    """Run ``command``; at the timeout, kill it and every process it started."""
    started = time.monotonic()
    process = subprocess.Popen(
        list(command),
        env=dict(env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="replace",
        start_new_session=os.name == "posix",
    )
    try:
        out, err = process.communicate(timeout=timeout)
        status: int | None = process.returncode
    except subprocess.TimeoutExpired:
        if os.name == "posix":
            os.killpg(process.pid, signal.SIGKILL)
        else:
            process.kill()
        out, err = process.communicate()
        status = None
    return status, out, err, time.monotonic() - started


def smoke_test(executable: Path, timeout: float = SMOKE_TIMEOUT) -> SmokeResult:
    """``gloss --smoke-test`` in a fresh temporary home; see the module's docstring."""
    with tempfile.TemporaryDirectory(prefix="gloss-smoke-") as tmp:
        home = Path(tmp) / "home"
        runtime = home / "runtime"
        runtime.mkdir(parents=True)
        runtime.chmod(0o700)
        command = [str(executable), "--library", str(Path(tmp) / "library.gloss"), "--smoke-test"]
        status, out, err, seconds = run_frozen(command, clean_environment(home), timeout)
    problems = [f"stderr: {line}" for line in unexpected_stderr(err)]
    if status is None:
        problems.insert(0, f"no answer in {timeout:g} s (killed)")
    elif status != 0:
        problems.insert(0, f"exit status {status}")
    if status == 0 and "smoke: passed" not in out:
        problems.append("it exited 0 without saying it passed")
    return SmokeResult(status, out, err, seconds, problems)


def check_version_output(executable: Path, version: str, describe: str) -> str:
    with tempfile.TemporaryDirectory(prefix="gloss-version-") as tmp:
        status, out, err, _ = run_frozen(
            [str(executable), "--version"], clean_environment(Path(tmp)), 60
        )
    line = out.strip()
    if status != 0 or err.strip() or not line.startswith(f"Gloss {version} (build {describe}"):
        raise BuildError(
            f"'gloss --version' printed {line!r} (stderr {err.strip()!r}, status {status}); "
            f"expected 'Gloss {version} (build {describe}, …)'."
        )
    return line


# ---- packaging --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Artifact:
    path: Path
    description: str


def tree_size(path: Path) -> tuple[int, int]:
    """(bytes, files) under ``path``; symbolic links count as links, not as their targets."""
    total = files = 0
    for item in path.rglob("*"):
        if item.is_symlink():
            total += len(os.readlink(item))
        elif item.is_file():
            total += item.stat().st_size
            files += 1
    return total, files


def hicolor_path(size: int) -> str:
    return f"share/icons/hicolor/{size}x{size}/apps/gloss.png"


def add_linux_files(bundle: Path, icons: Icons, version: str) -> None:
    """Put the desktop entry, icons, installer script and README beside the program."""
    (bundle / "gloss.desktop").write_text(desktop_entry(), encoding="utf-8")
    for size, png in icons.pngs.items():
        target = bundle / hicolor_path(size)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target)
    scalable = bundle / "share/icons/hicolor/scalable/apps/gloss.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(icons.svg, scalable)
    script = bundle / "install-desktop-entry.sh"
    script.write_text(INSTALL_SCRIPT, encoding="utf-8")
    script.chmod(0o755)
    (bundle / "README.txt").write_text(linux_readme(version, glibc_version()), encoding="utf-8")


def _tar_filter(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def make_tarball(bundle: Path, target: Path) -> Path:
    """``target`` (.tar.gz) holding ``bundle`` as its one top folder."""
    with tarfile.open(target, "w:gz", compresslevel=6) as tar:
        tar.add(bundle, arcname=bundle.name, filter=_tar_filter)
    return target


APPRUN = textwrap.dedent(
    """\
    #!/bin/sh
    here=$(dirname "$(readlink -f "$0")")
    exec "$here/usr/lib/gloss/gloss" "$@"
    """
)


def appimage_command(tool: str, appdir: Path, target: Path) -> list[str]:
    return [tool, "--no-appstream", str(appdir), str(target)]


def make_appimage(tool: str, bundle: Path, icons: Icons, work: Path, target: Path) -> Path:
    appdir = work / "Gloss.AppDir"
    shutil.rmtree(appdir, ignore_errors=True)
    shutil.copytree(bundle, appdir / "usr" / "lib" / "gloss", symlinks=True)
    (appdir / "AppRun").write_text(APPRUN, encoding="utf-8")
    (appdir / "AppRun").chmod(0o755)
    (appdir / "gloss.desktop").write_text(desktop_entry(), encoding="utf-8")
    shutil.copyfile(icons.pngs[256], appdir / "gloss.png")
    (appdir / ".DirIcon").symlink_to("gloss.png")
    for size, png in icons.pngs.items():
        target_icon = appdir / "usr" / hicolor_path(size)
        target_icon.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, target_icon)
    arch = platform.machine() or "x86_64"
    env = {**os.environ, "ARCH": arch}
    subprocess.run(appimage_command(tool, appdir, target), check=True, env=env)
    return target


def inno_setup_script(version: str, bundle: Path, icon: Path, out: Path, base_name: str) -> str:
    files = "; ".join(
        (
            f'Source: "{bundle}\\*"',
            'DestDir: "{app}"',
            "Flags: ignoreversion recursesubdirs createallsubdirs",
        )
    )
    run = "; ".join(
        (
            f'Filename: "{{app}}\\{EXE_NAME}.exe"',
            f'Description: "{{cm:LaunchProgram,{APP_NAME}}}"',
            "Flags: nowait postinstall skipifsilent",
        )
    )
    return textwrap.dedent(
        f"""\
        ; Generated by build_installer.py
        [Setup]
        AppId=Gloss-Reader
        AppName={APP_NAME}
        AppVersion={version}
        AppPublisher={APP_NAME}
        DefaultDirName={{autopf}}\\{APP_NAME}
        DisableProgramGroupPage=yes
        PrivilegesRequiredOverridesAllowed=dialog
        ArchitecturesAllowed=x64compatible
        ArchitecturesInstallIn64BitMode=x64compatible
        OutputDir={out}
        OutputBaseFilename={base_name}
        SetupIconFile={icon}
        UninstallDisplayIcon={{app}}\\{EXE_NAME}.exe
        Compression=lzma2
        SolidCompression=yes
        WizardStyle=modern

        [Tasks]
        Name: "desktopicon"; Description: "{{cm:CreateDesktopIcon}}"; Flags: unchecked

        [Files]
        {files}

        [Icons]
        Name: "{{autoprograms}}\\{APP_NAME}"; Filename: "{{app}}\\{EXE_NAME}.exe"
        Name: "{{autodesktop}}\\{APP_NAME}"; Filename: "{{app}}\\{EXE_NAME}.exe"; Tasks: desktopicon

        [Run]
        {run}
        """
    )


def nsis_script(version: str, bundle: Path, icon: Path, target: Path) -> str:
    key = f"Software\\Microsoft\\Windows\\CurrentVersion\\Uninstall\\{APP_NAME}"
    return textwrap.dedent(
        f"""\
        ; Generated by build_installer.py
        Unicode true
        Name "{APP_NAME} {version}"
        OutFile "{target}"
        InstallDir "$PROGRAMFILES64\\{APP_NAME}"
        RequestExecutionLevel admin
        SetCompressor /SOLID lzma
        Icon "{icon}"
        Page directory
        Page instfiles
        UninstPage uninstConfirm
        UninstPage instfiles

        Section
          SetOutPath "$INSTDIR"
          File /r "{bundle}\\*"
          WriteUninstaller "$INSTDIR\\uninstall.exe"
          CreateShortcut "$SMPROGRAMS\\{APP_NAME}.lnk" "$INSTDIR\\{EXE_NAME}.exe"
          WriteRegStr HKLM "{key}" "DisplayName" "{APP_NAME}"
          WriteRegStr HKLM "{key}" "DisplayVersion" "{version}"
          WriteRegStr HKLM "{key}" "DisplayIcon" "$INSTDIR\\{EXE_NAME}.exe"
          WriteRegStr HKLM "{key}" "UninstallString" '"$INSTDIR\\uninstall.exe"'
        SectionEnd

        Section "Uninstall"
          Delete "$SMPROGRAMS\\{APP_NAME}.lnk"
          RMDir /r "$INSTDIR\\_internal"
          Delete "$INSTDIR\\{EXE_NAME}.exe"
          Delete "$INSTDIR\\uninstall.exe"
          RMDir "$INSTDIR"
          DeleteRegKey HKLM "{key}"
        SectionEnd
        """
    )


def _is_inno_setup(tool: str) -> bool:
    """``iscc``, ``ISCC.exe`` or a full path to it (either kind of slash)."""
    return PureWindowsPath(tool).stem.lower() == "iscc"


def windows_installer_command(tool: str, script: Path) -> list[str]:
    """``iscc`` or ``makensis`` on its script."""
    if _is_inno_setup(tool):
        return [tool, "/Q", str(script)]
    return [tool, "/V2", str(script)]


def hdiutil_command(app: Path, target: Path, version: str) -> list[str]:
    return [
        "hdiutil", "create", "-volname", f"{APP_NAME} {version}", "-srcfolder", str(app),
        "-ov", "-format", "UDZO", str(target),
    ]  # fmt: skip


def package(
    tag: str, dist: Path, out: Path, work: Path, icons: Icons, version: str
) -> list[Artifact]:
    out.mkdir(parents=True, exist_ok=True)
    artifacts = []
    if tag.startswith("linux"):
        bundle = dist / APP_NAME
        add_linux_files(bundle, icons, version)
        tarball = make_tarball(bundle, out / artifact_name(version, tag, "tar.gz"))
        artifacts.append(Artifact(tarball, "one-folder bundle with desktop entry and icons"))
        tool = shutil.which("appimagetool")
        if tool:
            image = out / artifact_name(version, tag, "AppImage")
            artifacts.append(Artifact(make_appimage(tool, bundle, icons, work, image), "AppImage"))
        else:
            print("  (no appimagetool on PATH: no AppImage)")
    elif tag.startswith("windows"):
        bundle = dist / APP_NAME
        tool = shutil.which("iscc") or shutil.which("makensis")
        if tool:
            target = out / artifact_name(version, tag, "setup.exe")
            if _is_inno_setup(tool):
                script = work / "gloss.iss"
                text = inno_setup_script(version, bundle, icons.ico, out, target.stem)
            else:
                script = work / "gloss.nsi"
                text = nsis_script(version, bundle, icons.ico, target)
            script.write_text(text, encoding="utf-8")
            subprocess.run(windows_installer_command(tool, script), check=True)
            artifacts.append(Artifact(target, f"installer ({PureWindowsPath(tool).stem})"))
        else:
            print("  (neither iscc nor makensis on PATH: a zip instead of an installer)")
            target = out / artifact_name(version, tag, "zip")
            shutil.make_archive(str(target.with_suffix("")), "zip", dist, APP_NAME)
            artifacts.append(Artifact(target, "one-folder bundle, zipped"))
    else:
        target = out / artifact_name(version, tag, "dmg")
        subprocess.run(hdiutil_command(dist / f"{APP_NAME}.app", target, version), check=True)
        artifacts.append(Artifact(target, "disk image with Gloss.app"))
    return artifacts


# ---- the build ----------------------------------------------------------------------------


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def build(args: argparse.Namespace) -> dict[str, object]:
    started = time.monotonic()
    times: dict[str, float] = {}
    tag = platform_tag()
    version = read_version()
    dirty = check_clean_tree(ROOT, allow_dirty=args.allow_dirty)
    describe, commit = git_identity(ROOT)
    out, work = Path(args.out).resolve(), Path(args.work).resolve()
    dist = work / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    print(f"Building {APP_NAME} {version} ({describe}{', dirty' if dirty else ''}) for {tag}")

    stamp = build_stamp(
        version, describe, commit, dirty=dirty, tag=tag, built=dt.datetime.now(dt.UTC)
    )
    stamp_file = work / STAMP_NAME
    stamp_file.write_text(json.dumps(stamp, indent=2) + "\n", encoding="utf-8")
    icons = make_icons(work / "icons")
    entry = work / "gloss.py"
    entry.write_text(ENTRY_SCRIPT, encoding="utf-8")
    icu: IcuData | None = None
    if tag.startswith("linux") and not args.full_icu_data:
        t = time.monotonic()
        icu = shrink_icu_data(work / "icu")
        times["icu_data"] = time.monotonic() - t
        if icu is not None:
            print(
                f"ICU data: {icu.items_kept} of {icu.items} items kept, "
                f"{_mb(icu.original.stat().st_size)} → {_mb(icu.library.stat().st_size)}"
            )
    spec = work / "gloss.spec"
    spec.write_text(
        spec_text(
            entry=entry,
            stamp=stamp_file,
            icons=icons,
            tag=tag,
            version=version,
            replace={icu.dest: str(icu.library)} if icu else None,
        ),
        encoding="utf-8",
    )

    print("PyInstaller …", flush=True)
    t = time.monotonic()
    warnings = run_pyinstaller(spec, dist, work / "pyinstaller", work / "pyinstaller.log")
    times["pyinstaller"] = time.monotonic() - t
    for line in warnings:
        print(f"  {line}")
    bundle_root = dist / (f"{APP_NAME}.app" if tag.startswith("macos") else APP_NAME)
    size, files = tree_size(bundle_root)
    print(f"  {bundle_root}: {_mb(size)} in {files:,} files ({times['pyinstaller']:.0f} s)")

    executable = frozen_executable(dist, tag)
    smoke: SmokeResult | None = None
    version_line = None
    if not args.skip_smoke_test:
        print("Smoke test …", flush=True)
        smoke = smoke_test(executable)
        times["smoke_test"] = smoke.seconds
        for line in smoke.stdout.splitlines():
            print(f"  {line}")
        if not smoke.ok:
            details = "\n".join(f"  {p}" for p in smoke.problems)
            raise BuildError(f"The smoke test of {executable} failed:\n{details}")
        version_line = check_version_output(executable, version, str(stamp["describe"]))
        print(f"  {version_line}")

    print("Packaging …", flush=True)
    t = time.monotonic()
    artifacts = package(tag, dist, out, work, icons, version)
    times["packaging"] = time.monotonic() - t
    times["total"] = time.monotonic() - started

    report: dict[str, object] = {
        "version": version,
        "stamp": stamp,
        "platform": tag,
        "bundle": str(bundle_root),
        "executable": str(executable),
        "bundle_bytes": size,
        "bundle_files": files,
        "artifacts": [
            {"path": str(a.path), "bytes": a.path.stat().st_size, "description": a.description}
            for a in artifacts
        ],
        "icu_data": None
        if icu is None
        else {
            "original": str(icu.original),
            "original_bytes": icu.original.stat().st_size,
            "bytes": icu.library.stat().st_size,
            "items": icu.items,
            "items_kept": icu.items_kept,
        },
        "seconds": {k: round(v, 1) for k, v in times.items()},
        "pyinstaller_warnings": warnings,
        "smoke_test": None
        if smoke is None
        else {"seconds": round(smoke.seconds, 1), "stdout": smoke.stdout, "stderr": smoke.stderr},
        "version_output": version_line,
    }
    (work / "build-report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")

    print()
    print(f"{APP_NAME} {version} ({stamp['describe']}) for {tag}")
    budget = f" (target {SIZE_TARGET_MB} MB)" if tag.startswith("linux") else ""
    print(f"  bundle     {_mb(size)} unpacked, {files:,} files{budget}")
    for artifact in artifacts:
        size_text = _mb(artifact.path.stat().st_size)
        print(f"  artifact   {artifact.path} ({size_text}): {artifact.description}")
    print(
        "  time       "
        + ", ".join(f"{name.replace('_', ' ')} {seconds:.0f} s" for name, seconds in times.items())
    )
    print(f"  report     {work / 'build-report.json'}")
    if smoke is None:
        print("  smoke test SKIPPED (--skip-smoke-test)")
    if tag.startswith("linux") and size > SIZE_TARGET_MB * 1_000_000:
        print(f"  WARNING: the bundle is over the {SIZE_TARGET_MB} MB target")
    return report


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="build_installer.py",
        description="Build Gloss's installer for this platform with PyInstaller and smoke-test it.",
    )
    parser.add_argument(
        "--allow-dirty",
        action="store_true",
        help="build even with uncommitted changes (the version then says 'dirty')",
    )
    parser.add_argument(
        "--out", default=str(ROOT / "dist"), metavar="DIR", help="where artifacts go (dist/)"
    )
    parser.add_argument(
        "--work",
        default=str(ROOT / "build" / "installer"),
        metavar="DIR",
        help="PyInstaller's work folder and the unpacked bundle (build/installer/)",
    )
    parser.add_argument(
        "--skip-smoke-test", action="store_true", help="do not run the frozen app before packaging"
    )
    parser.add_argument(
        "--full-icu-data",
        action="store_true",
        help="Linux: bundle ICU's data library as PySide6 has it (27 MB more) instead of one "
        "with only the data Qt reads",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        build(args)
    except BuildError as e:
        print(f"build_installer.py: {e}", file=sys.stderr)
        return 1
    except subprocess.CalledProcessError as e:
        print(f"build_installer.py: {' '.join(map(str, e.cmd))} failed ({e})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
