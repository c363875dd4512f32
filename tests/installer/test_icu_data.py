"""The smaller ICU data library the Linux bundle gets (build_installer.py, "ICU's data"): the
package format read and written back byte for byte, what is kept, the functions Qt calls, and
what Qt does with the library built here compared with PySide6's own (icu_probe.py)."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import build_installer as bi

HERE = Path(__file__).resolve().parent
ICU = bi.pyside6_icu_libraries()
ICU_DATA = next((path for name, path in ICU.items() if name.startswith("libicudata.")), None)
needs_icu = pytest.mark.skipif(ICU_DATA is None, reason="this PySide6 has no ICU of its own")
needs_binutils = pytest.mark.skipif(
    not (shutil.which("as") and shutil.which("ld")), reason="as and ld (binutils) are needed"
)


def _package(items: list[tuple[str, bytes]]) -> bytes:
    header = struct.pack("<H2s", 32, b"\xda\x27") + b"\x14\0\0\0\0\x02\0\0CmnD\x01\0\0\0"
    header += b"\0" * (32 - len(header))
    return bi.icu_package(header, items)


def test_a_package_is_written_as_icu_reads_it() -> None:
    items = [("icudt73l/a.res", b"A" * 5), ("icudt73l/coll/b.res", b"B" * 16), ("icudt73l/c", b"")]
    package = _package(items)
    header, parsed = bi.icu_package_items(package)
    assert header == package[:32]
    assert [name for name, _ in parsed] == [name for name, _ in items]
    for (_, written), (_, data) in zip(parsed, items, strict=True):
        assert written[: len(data)] == data and len(written) % 16 == 0
    (count,) = struct.unpack_from("<I", package, 32)
    offsets = [struct.unpack_from("<II", package, 36 + 8 * i)[1] for i in range(count)]
    assert all(offset % 16 == 0 for offset in offsets)  # items on 16-byte boundaries


def test_what_is_not_a_package_or_a_data_library_is_refused() -> None:
    with pytest.raises(ValueError, match="ICU common data"):
        bi.icu_package_items(b"\x90\0\xda\x27" + b"\0" * 8 + b"ResB" + b"\0" * 200)
    with pytest.raises(ValueError, match="ELF"):
        bi.elf_symbols(b"MZ" + b"\0" * 100)


@pytest.mark.parametrize(
    "name",
    [
        "coll/root.res",
        "coll/ucadata.icu",
        "coll/res_index.res",
        "coll/sv.res",
        "coll/zh.res",
        "cnvalias.icu",
        "ibm-5348_P100-1997.cnv",  # windows-1252
        "ibm-943_P15A-2003.cnv",  # Shift_JIS
        "windows-936-2000.cnv",  # GBK
        "ibm-1386_P100-2001.cnv",  # … and its base table
    ],
)
def test_kept_icu_data(name: str) -> None:
    assert bi.keep_icu_item(name)


@pytest.mark.parametrize(
    "name",
    [
        "zone/de.res",
        "zoneinfo64.res",
        "metaZones.res",
        "brkitr/word.brk",
        "de.res",
        "root.res",
        "curr/en.res",
        "unit/fr.res",
        "lang/ja.res",
        "translit/root.res",
        "unames.icu",
        "uts46.nrm",
        "ibm-37_P100-1995.cnv",  # EBCDIC
        "ibm-437_P100-1995.cnv",  # the IBM PC's code page (not a web encoding)
    ],
)
def test_dropped_icu_data(name: str) -> None:
    assert not bi.keep_icu_item(name)


def test_an_item_the_keep_list_names_and_the_package_lacks_is_reported() -> None:
    everything = ["coll/root.res", "cnvalias.icu", *(f"{n}.cnv" for n in bi.ICU_CONVERTERS)]
    assert bi.missing_icu_items(everything) == []
    assert bi.missing_icu_items(everything[1:]) == ["coll/*"]
    assert bi.missing_icu_items(n for n in everything if n != "gb18030.cnv") == ["gb18030.cnv"]


@needs_icu
def test_pyside6s_data_package_reads_and_writes_back_byte_for_byte() -> None:
    assert ICU_DATA is not None
    symbol, package = bi.icu_common_data(ICU_DATA.read_bytes())
    assert symbol == f"icudt{ICU_DATA.name.rsplit('.', 1)[1]}_dat"
    header, items = bi.icu_package_items(package)
    assert len(items) > 1000
    assert [name for name, _ in items] == sorted(name for name, _ in items)
    assert bi.icu_package(header, items) == package
    names = {name.partition("/")[2] for name, _ in items}
    assert {f"{name}.cnv" for name in bi.ICU_CONVERTERS} <= names, "a converter is misspelt"
    assert {"coll/root.res", "coll/ucadata.icu", "cnvalias.icu"} <= names


@needs_icu
def test_qt_calls_no_icu_function_the_kept_data_was_not_chosen_for() -> None:
    assert ICU_DATA is not None
    called = bi.icu_functions_called(ICU_DATA.parents[2], ICU.values())
    assert {"ucol_open", "ucnv_open", "ucal_open"} <= called  # the scan finds Qt's calls
    assert called <= set(bi.ICU_FUNCTIONS_REVIEWED), called - set(bi.ICU_FUNCTIONS_REVIEWED)


def test_a_qt_calling_an_unreviewed_icu_function_stops_the_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bi, "pyside6_icu_libraries", lambda: {"libicudata.so.99": tmp_path / "x"})
    monkeypatch.setattr(bi, "icu_functions_called", lambda *_: {"ucol_open", "ubrk_open"})
    with pytest.raises(bi.BuildError, match="ubrk_open") as stopped:
        bi.shrink_icu_data(tmp_path)
    assert "ucol_open" not in str(stopped.value)
    assert "--full-icu-data" in str(stopped.value)


def test_no_icu_of_its_own_means_nothing_to_shrink(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bi, "pyside6_icu_libraries", dict)
    assert bi.shrink_icu_data(tmp_path) is None


def test_without_binutils_the_build_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(bi.shutil, "which", lambda tool: None if tool == "ld" else "/usr/bin/as")
    with pytest.raises(bi.BuildError, match="ld not found: install binutils"):
        bi.make_icu_data(tmp_path / "libicudata.so.73", tmp_path)


def test_replace_binaries_swaps_the_library_and_keeps_its_links() -> None:
    toc = [
        ("PySide6/Qt/lib/libicudata.so.73", "/wheel/libicudata.so.73", "BINARY"),
        ("libicudata.so.73", "PySide6/Qt/lib/libicudata.so.73", "SYMLINK"),
        ("PySide6/Qt/lib/libicuuc.so.73", "/wheel/libicuuc.so.73", "BINARY"),
    ]
    replaced = bi.replace_binaries(toc, {"PySide6/Qt/lib/libicudata.so.73": "/work/small.so"})
    assert replaced == [("PySide6/Qt/lib/libicudata.so.73", "/work/small.so", "BINARY"), *toc[1:]]
    assert bi.replace_binaries(toc, {}) == toc
    with pytest.raises(bi.BuildError, match=r"no PySide6/Qt/lib/libicudata\.so\.74"):
        bi.replace_binaries(toc, {"PySide6/Qt/lib/libicudata.so.74": "/work/small.so"})


def test_the_spec_replaces_what_it_is_told_to(tmp_path: Path) -> None:
    icons = bi.Icons({16: tmp_path / "16.png"}, tmp_path / "g.ico", tmp_path / "g.icns", Path())
    text = bi.spec_text(
        entry=tmp_path / "gloss.py",
        stamp=tmp_path / "stamp.json",
        icons=icons,
        tag="linux-x86_64",
        version="1",
        replace={"PySide6/Qt/lib/libicudata.so.73": "/work/icu/libicudata.so.73"},
    )
    compile(text, "gloss.spec", "exec")
    assert (
        "bi.replace_binaries(bi.filter_toc(a.binaries), "
        "{'PySide6/Qt/lib/libicudata.so.73': '/work/icu/libicudata.so.73'})"
    ) in text


def _probe(preload: Path | None = None) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    if preload is not None:
        # A preloaded library with the SONAME libicudata.so.73 is the one ICU links to.
        env["LD_PRELOAD"] = str(preload)
    done = subprocess.run(
        [sys.executable, str(HERE / "icu_probe.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@pytest.fixture(scope="module")
def small_icu_data(tmp_path_factory: pytest.TempPathFactory) -> bi.IcuData:
    assert ICU_DATA is not None
    return bi.make_icu_data(ICU_DATA, tmp_path_factory.mktemp("icu"))


@needs_icu
@needs_binutils
def test_the_small_library_is_a_drop_in_for_the_original(small_icu_data: bi.IcuData) -> None:
    original = bi.elf_symbols(small_icu_data.original.read_bytes())
    small = bi.elf_symbols(small_icu_data.library.read_bytes())
    assert set(small.defined) == set(original.defined)  # icudt73_dat, nothing else
    assert small.undefined <= {""}  # a data library needs nothing
    objdump = subprocess.run(
        ["objdump", "-p", str(small_icu_data.library)], capture_output=True, text=True, check=True
    ).stdout
    assert f"SONAME               {small_icu_data.original.name}" in objdump
    assert small_icu_data.library.stat().st_size < 6_000_000
    assert small_icu_data.original.stat().st_size > 25_000_000
    assert small_icu_data.items_kept < small_icu_data.items / 10


@needs_icu
@needs_binutils
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="LD_PRELOAD")
def test_qt_does_with_the_small_library_what_it_does_with_the_original(
    small_icu_data: bi.IcuData,
) -> None:
    full, small = _probe(), _probe(small_icu_data.library)
    # It is the small one that is loaded: fewer converters are available.
    assert small["codecs"] < full["codecs"]
    # Collation in 60 locales, every WHATWG encoding label, locale case mapping: the same.
    assert small["collation"] == full["collation"]
    assert small["decoding"] == full["decoding"]
    assert small["case"] == full["case"]
    assert small["messages"] == full["messages"] == []
    # Time zones still work; only their long names are gone, for the IANA id or nothing.
    for zone, found in small["zones"].items():
        expected = full["zones"][zone]
        assert {**found, "long name": None} == {**expected, "long name": None}
        assert found["long name"] in ("", zone, "UTC")
    assert full["long date"].endswith("Central European Standard Time")
    assert small["long date"] == full["long date"].replace(
        "Central European Standard Time", "Europe/Berlin"
    )
