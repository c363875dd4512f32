"""Tiny real image files for tests: a one-colour PNG, and a classic BMP-in-ICO that Qt's ico
plugin decodes."""

from __future__ import annotations

import struct
import zlib


def ico(size: int = 16, rgb: tuple[int, int, int] = (200, 60, 30)) -> bytes:
    """One ``size``×``size`` 32-bit image, the layout browsers have read since Windows 3."""
    r, g, b = rgb
    pixels = bytes([b, g, r, 255]) * (size * size)  # bottom-up BGRA rows
    mask_row = ((size + 31) // 32) * 4
    mask = bytes(mask_row * size)  # all opaque
    header = struct.pack("<IiiHHIIiiII", 40, size, size * 2, 1, 32, 0, 0, 0, 0, 0, 0)
    image = header + pixels + mask
    entry = struct.pack("<BBBBHHII", size % 256, size % 256, 0, 0, 1, 32, len(image), 6 + 16)
    return struct.pack("<HHH", 0, 1, 1) + entry + image


def png(width: int = 16, height: int = 16, rgb: tuple[int, int, int] = (30, 120, 200)) -> bytes:
    """A real, decodable PNG of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )
