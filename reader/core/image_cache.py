"""The local image cache: article images as files named by their content, beside the library.

The reading view never touches the network (DESIGN.md "Offline"): article HTML points at
``cache:<sha256>.<ext>`` URLs, and ``QTextBrowser.loadResource`` asks ``resolve_cache_url`` for
the file. That function is the gate between untrusted HTML and the local disk (reliability.md
R3), so it accepts exactly one shape of name and nothing that could be read as a path.

Why content addressing: the same image shared by a hundred articles is stored once, a write can
never clobber a different image, and a name can be checked without trusting anything around it.

Why only PNG, JPEG, GIF, WebP and ICO: they are the raster formats Qt decodes with the plugins we
ship and that feeds and sites actually use (ICO for the favicons in the feeds pane). SVG is
refused: it is a scriptable XML document with external references, and the sanitizer drops inline
``<svg>`` for the same reason. The bytes decide the type, not the server's label (servers
mislabel images all the time); a label that names something other than an image is still refused,
because then the bytes are not what the publisher meant.
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from reader.core.atomic import write_atomic
from reader.core.errors import GlossError
from reader.core.paths import cache_dir

CACHE_SCHEME = "cache"

MAX_IMAGE_BYTES = 20 * 1024 * 1024
"""Larger than any article image worth keeping; a bigger one is refused rather than stored."""

MAX_IMAGE_PIXELS = 50_000_000
"""Decoding needs about 4 bytes per pixel; Qt's own backstop is 256 MB (reliability.md R4)."""

_NAME_RE = re.compile(r"[0-9a-f]{64}\.(?:png|jpg|gif|webp|ico)")

_MIME_BY_EXT = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
    "ico": "image/x-icon",
}

# Labels a caller may pass that mean "this is one of our image types" (the bytes still decide
# which one), and labels that mean "nobody said": both are accepted.
_EXT_ALIASES = {
    "png": "png",
    "apng": "png",
    "jpg": "jpg",
    "jpeg": "jpg",
    "jpe": "jpg",
    "jfif": "jpg",
    "pjpeg": "jpg",
    "gif": "gif",
    "webp": "webp",
    "ico": "ico",
}
_UNLABELLED = frozenset({"", "application/octet-stream", "binary/octet-stream", "image/*"})


class ImageRejectedError(GlossError):
    """Bytes that the cache will not store: not an image it can show, too large, or empty."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What the first bytes of an image say. Sizes are ``None`` when the header is cut short."""

    ext: str  # png, jpg, gif, webp or ico
    mime: str
    width: int | None
    height: int | None


# ---- recognising images --------------------------------------------------------------------------


def sniff_image(data: bytes) -> ImageInfo | None:
    """The image type and pixel size from the header, or ``None`` if the bytes are no image we keep.

    Pure and cheap: the downloader uses the size to skip 1×1 tracking pixels and oversized
    images before anything is decoded.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        size = _png_size(data)
        ext = "png"
    elif data.startswith(b"\xff\xd8\xff"):
        size = _jpeg_size(data)
        ext = "jpg"
    elif data.startswith((b"GIF87a", b"GIF89a")):
        size = struct.unpack("<HH", data[6:10]) if len(data) >= 10 else None
        ext = "gif"
    elif data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        size = _webp_size(data)
        ext = "webp"
    elif data[:4] == _ICO_MAGIC and _looks_like_ico(data):
        size = _ico_size(data)
        ext = "ico"
    else:
        return None
    width, height = size if size is not None else (None, None)
    return ImageInfo(ext, _MIME_BY_EXT[ext], width, height)


def _png_size(data: bytes) -> tuple[int, int] | None:
    if len(data) < 24 or data[12:16] != b"IHDR":
        return None
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# JPEG start-of-frame markers carry the size; C4 (Huffman tables), C8 and CC are not frames.
_JPEG_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_JPEG_STANDALONE = frozenset({0x01, *range(0xD0, 0xD9)})


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """Walk the marker segments to the first frame header; stops at the data's end."""
    i = 2
    end = len(data)
    while i + 4 <= end:
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte before a marker
            i += 1
            continue
        if marker in _JPEG_STANDALONE:
            i += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or entropy-coded data before any frame
            return None
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        if length < 2:
            return None
        if marker in _JPEG_SOF:
            if i + 9 > end:
                return None
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return width, height
        i += 2 + length
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


_ICO_MAGIC = b"\x00\x00\x01\x00"
_ICO_ENTRY = 16  # width, height, colours, reserved, planes, bits, size, offset
_ICO_MAX_IMAGES = 64


def _looks_like_ico(data: bytes) -> bool:
    """Four bytes of magic, three of them zero, match too much: the directory must agree too."""
    if len(data) < 6:
        return False
    (count,) = struct.unpack("<H", data[4:6])
    if not 1 <= count <= _ICO_MAX_IMAGES:
        return False
    first = data[6 : 6 + _ICO_ENTRY]
    return len(first) < 4 or first[3] == 0  # the reserved byte, when we have it


def _ico_size(data: bytes) -> tuple[int, int] | None:
    """The largest image in the directory (a 0 byte means 256); ``None`` if the list is cut."""
    (count,) = struct.unpack("<H", data[4:6])
    if len(data) < 6 + count * _ICO_ENTRY:
        return None
    sizes = [
        (data[at] or 256, data[at + 1] or 256)
        for at in range(6, 6 + count * _ICO_ENTRY, _ICO_ENTRY)
    ]
    return max(sizes, key=lambda wh: wh[0] * wh[1])


def _label_is_acceptable(content_type_or_ext: str) -> bool:
    label = content_type_or_ext.split(";", 1)[0].strip().lower()
    if label in _UNLABELLED:
        return True
    if label.startswith("image/"):
        return label != "image/svg+xml"
    return label.lstrip(".") in _EXT_ALIASES


# ---- the cache folder ----------------------------------------------------------------------------


def images_dir(library_path: Path) -> Path:
    return cache_dir(library_path) / "images"


def cache_url(name: str) -> str:
    return f"{CACHE_SCHEME}:{name}"


def store_image(library_path: Path, data: bytes, *, content_type_or_ext: str) -> str:
    """Keep ``data`` in the cache and return its ``cache:`` URL; the same bytes give the same URL.

    ``content_type_or_ext`` is what the source called it (``image/png``, ``jpg``, or ``""`` when
    nobody said). Raises ``ImageRejectedError`` for anything that is not a PNG, JPEG, GIF, WebP or
    ICO image within the size limits, and ``GlossError`` if the file cannot be written.
    """
    if not data:
        raise ImageRejectedError("The image is empty.")
    if len(data) > MAX_IMAGE_BYTES:
        raise ImageRejectedError(
            f"The image is too large to keep ({len(data):,} bytes; the limit is "
            f"{MAX_IMAGE_BYTES:,})."
        )
    if not _label_is_acceptable(content_type_or_ext):
        raise ImageRejectedError(
            f"Not an image type Gloss keeps: {content_type_or_ext[:80]!r} "
            "(PNG, JPEG, GIF, WebP and ICO are)."
        )
    info = sniff_image(data)
    if info is None:
        raise ImageRejectedError(
            "The data is not a PNG, JPEG, GIF or WebP image, nor an ICO icon "
            "(its first bytes say otherwise)."
        )
    pixels = (info.width or 0) * (info.height or 0)
    if pixels > MAX_IMAGE_PIXELS:
        raise ImageRejectedError(
            f"The image is too large to show ({info.width}×{info.height} pixels)."
        )
    name = f"{hashlib.sha256(data).hexdigest()}.{info.ext}"
    folder = images_dir(library_path)
    target = folder / name
    if _is_regular_file(target) and target.stat().st_size == len(data):
        return cache_url(name)  # already there: content addressing means it is the same image
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise GlossError(f"Cannot create the image cache folder {folder}: {e.strerror or e}") from e
    write_atomic(target, data)
    return cache_url(name)


def resolve_cache_url(library_path: Path, url: str) -> Path | None:
    """The file behind a ``cache:`` URL, or ``None`` for anything else.

    Only ``cache:<64 hex>.<png|jpg|gif|webp|ico>`` naming an existing regular file qualifies: no
    other scheme, no slashes, no ``..``, no query, no symlinks. This is the only way article HTML
    can reach the disk.
    """
    scheme, sep, name = url.partition(":")
    if not sep or scheme.lower() != CACHE_SCHEME or _NAME_RE.fullmatch(name) is None:
        return None
    path = images_dir(library_path) / name
    return path if _is_regular_file(path) else None


def cache_size(library_path: Path) -> int:
    """Bytes the image cache takes on disk (everything in its folder, leftovers included)."""
    folder = images_dir(library_path)
    total = 0
    try:
        entries = list(folder.iterdir())
    except OSError:
        return 0
    for entry in entries:
        try:
            if _is_regular_file(entry):
                total += entry.stat().st_size
        except OSError:
            continue  # removed while we counted
    return total


def cache_inventory(library_path: Path) -> dict[str, int]:
    """Every cache file by name, with its size: what retention and ``gloss check`` compare with
    the names the library still refers to. Only well-formed cache names count, so a stray file
    (a leftover temporary, something a user put there) is never mistaken for an orphan image."""
    try:
        entries = list(images_dir(library_path).iterdir())
    except OSError:
        return {}
    inventory: dict[str, int] = {}
    for entry in entries:
        if _NAME_RE.fullmatch(entry.name) is None or not _is_regular_file(entry):
            continue
        try:
            inventory[entry.name] = entry.stat().st_size
        except OSError:
            continue  # removed while we looked
    return inventory


def remove_cached(library_path: Path, names: Iterable[str]) -> int:
    """Delete these cache files and return the bytes freed.

    Names come from the database, which is data like any other: only exact cache names are
    acted on, so a name can never reach a file outside the cache folder. A file already gone is
    not an error (two cleanups may race); one that cannot be deleted is left for the next one.
    """
    folder = images_dir(library_path)
    freed = 0
    for name in set(names):
        if _NAME_RE.fullmatch(name) is None:
            continue
        path = folder / name
        if not _is_regular_file(path):
            continue
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError:
            continue
        freed += size
    return freed


def _is_regular_file(path: Path) -> bool:
    try:
        return path.is_file() and not path.is_symlink()
    except OSError:
        return False
