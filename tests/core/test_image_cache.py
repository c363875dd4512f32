"""The image cache: what it stores, what it refuses, and which URLs reach the disk."""

from __future__ import annotations

import hashlib
import os
import struct
from pathlib import Path

import pytest

from reader.core.errors import GlossError
from reader.core.image_cache import (
    MAX_IMAGE_BYTES,
    ImageRejectedError,
    cache_inventory,
    cache_size,
    images_dir,
    remove_cached,
    resolve_cache_url,
    sniff_image,
    store_image,
)
from tests.support.icons import ico, png

DEMO_IMAGES = Path(__file__).resolve().parents[2] / "resources" / "demo" / "images"

# A 1×1 GIF, and WebP files written by Qt (5×3 lossless and lossy).
GIF_1X1 = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
WEBP_LOSSLESS_5X3 = bytes.fromhex(
    "524946461e000000574542505650384c110000002f048000000750b3ce34b3ff8188e87f0000"
)
WEBP_LOSSY_5X3 = bytes.fromhex(
    "524946463800000057454250565038202c000000f001009d012a0500030001402625a00274ba01f800044c"
    "0000feefbd57fe376e30df82eff7de80de06000000"
)


def png_header_claiming(width: int, height: int) -> bytes:
    """Only a PNG header: what a decompression bomb looks like before anything is decoded."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + b"\x00\x00\x00\x00"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return tmp_path / "library.gloss"


# ---- storing ------------------------------------------------------------------------------------


def test_stored_image_comes_back_through_its_cache_url(library: Path) -> None:
    data = png(4, 3)
    url = store_image(library, data, content_type_or_ext="image/png")

    assert url == f"cache:{hashlib.sha256(data).hexdigest()}.png"
    path = resolve_cache_url(library, url)
    assert path is not None
    assert path.read_bytes() == data
    assert path.parent == library.parent / "cache" / "images"


def test_same_bytes_give_the_same_url_and_one_file(library: Path) -> None:
    data = png(2, 2)
    urls = {
        store_image(library, data, content_type_or_ext=label)
        for label in ("image/png", "png", ".PNG", "", "application/octet-stream")
    }

    assert len(urls) == 1
    assert len(list(images_dir(library).iterdir())) == 1


def test_different_images_get_different_urls(library: Path) -> None:
    first = store_image(library, png(2, 2, (1, 2, 3)), content_type_or_ext="png")
    second = store_image(library, png(2, 2, (3, 2, 1)), content_type_or_ext="png")

    assert first != second
    assert resolve_cache_url(library, first) != resolve_cache_url(library, second)


@pytest.mark.parametrize(
    ("data", "label", "ext"),
    [
        (GIF_1X1, "image/gif", "gif"),
        (WEBP_LOSSLESS_5X3, "image/webp", "webp"),
        (WEBP_LOSSY_5X3, "webp", "webp"),
        ((DEMO_IMAGES / "sunset.jpg").read_bytes(), "image/jpeg", "jpg"),
        (png(1, 1), "image/jpeg", "png"),  # mislabelled by the server: the bytes decide
    ],
)
def test_the_bytes_decide_the_extension(library: Path, data: bytes, label: str, ext: str) -> None:
    url = store_image(library, data, content_type_or_ext=label)

    assert url.endswith(f".{ext}")
    assert resolve_cache_url(library, url) is not None


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (b"<!DOCTYPE html><html><body>Not found</body></html>", "image/png"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "svg"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"/>', "image/svg+xml"),
        (b"", "image/png"),
        (b"\x89PN", "image/png"),  # cut off before the signature ends
        (b"BM\x00\x00", "image/bmp"),  # a real image type, but not one we keep
        (png(2, 2), "text/html"),  # the publisher says this is a page, not an image
        (png(2, 2), "image/svg+xml"),
    ],
)
def test_non_images_are_refused(library: Path, data: bytes, label: str) -> None:
    with pytest.raises(ImageRejectedError):
        store_image(library, data, content_type_or_ext=label)
    assert cache_size(library) == 0


def test_refusal_is_a_gloss_error_with_a_message(library: Path) -> None:
    with pytest.raises(GlossError, match="not a PNG, JPEG, GIF or WebP"):
        store_image(library, b"hello", content_type_or_ext="")


def test_a_header_claiming_billions_of_pixels_is_refused(library: Path) -> None:
    with pytest.raises(ImageRejectedError, match="100000×100000"):
        store_image(library, png_header_claiming(100_000, 100_000), content_type_or_ext="png")


def test_oversized_data_is_refused(library: Path) -> None:
    data = png(1, 1) + b"\x00" * MAX_IMAGE_BYTES
    with pytest.raises(ImageRejectedError, match="too large"):
        store_image(library, data, content_type_or_ext="png")


def test_no_temporary_file_is_left_behind(library: Path) -> None:
    for i in range(5):
        store_image(library, png(1, 1, (i, i, i)), content_type_or_ext="png")

    names = [p.name for p in images_dir(library).iterdir()]
    assert len(names) == 5
    assert all(resolve_cache_url(library, f"cache:{name}") is not None for name in names)


def test_a_truncated_cached_file_is_written_again(library: Path) -> None:
    data = png(3, 3)
    url = store_image(library, data, content_type_or_ext="png")
    path = resolve_cache_url(library, url)
    assert path is not None
    path.write_bytes(data[:10])  # damaged on disk by something outside Gloss

    assert store_image(library, data, content_type_or_ext="png") == url
    assert path.read_bytes() == data


def test_an_unwritable_cache_is_a_gloss_error(library: Path) -> None:
    cache = library.parent / "cache"
    cache.write_bytes(b"a file where the folder should be")

    with pytest.raises(GlossError, match="Cannot create the image cache folder"):
        store_image(library, png(1, 1), content_type_or_ext="png")


# ---- resolving ----------------------------------------------------------------------------------


@pytest.fixture
def stored(library: Path) -> str:
    return store_image(library, png(2, 1), content_type_or_ext="png")


def test_only_exact_cache_urls_resolve(library: Path, stored: str) -> None:
    name = stored.removeprefix("cache:")
    digest = name.removesuffix(".png")
    target = images_dir(library) / name
    refused = [
        f"file://{target}",
        str(target),
        f"https://example.com/{name}",
        f"http://127.0.0.1/{name}",
        f"qrc:/{name}",
        f"data:image/png;base64,{name}",
        f"cache:/{name}",
        f"cache://{name}",
        f"cache:./{name}",
        f"cache:../images/{name}",
        f"cache:{name}?x=1",
        f"cache:{name}#top",
        f"cache:{name} ",
        f"cache:{digest.upper()}.png",
        f"cache:{digest}.PNG",
        f"cache:{digest}.svg",
        f"cache:{digest}",
        f"cache:{digest[:-1]}.png",
        f"cache:{digest}.png/",
        "cache:",
        "cache",
        "",
    ]

    assert resolve_cache_url(library, stored) == target
    assert resolve_cache_url(library, "CACHE:" + name) == target  # schemes are case-insensitive
    for url in refused:
        assert resolve_cache_url(library, url) is None, url


def test_traversal_never_reaches_files_outside_the_cache(library: Path, stored: str) -> None:
    secret = library.parent / "cache" / ("a" * 64 + ".png")
    secret.write_bytes(png(1, 1))  # a valid name, but one folder up from the image cache
    assert (images_dir(library) / ".." / secret.name).is_file()

    for url in (
        "cache:../" + secret.name,
        "cache:..%2F" + secret.name,
        "cache:%2e%2e/" + secret.name,
        "cache:..\\" + secret.name,
    ):
        assert resolve_cache_url(library, url) is None, url


def test_a_well_formed_name_that_is_not_cached_resolves_to_nothing(library: Path) -> None:
    assert resolve_cache_url(library, "cache:" + "0" * 64 + ".png") is None


@pytest.mark.skipif(os.name != "posix", reason="symlinks need privileges on Windows")
def test_a_symlink_planted_in_the_cache_is_not_followed(library: Path, tmp_path: Path) -> None:
    outside = tmp_path / "private.png"
    outside.write_bytes(png(1, 1))
    folder = images_dir(library)
    folder.mkdir(parents=True)
    link = folder / ("b" * 64 + ".png")
    link.symlink_to(outside)

    assert resolve_cache_url(library, f"cache:{link.name}") is None


# ---- size and sniffing --------------------------------------------------------------------------


def test_cache_size_counts_the_stored_bytes(library: Path) -> None:
    assert cache_size(library) == 0
    first, second = png(8, 8), png(16, 16)
    store_image(library, first, content_type_or_ext="png")
    store_image(library, second, content_type_or_ext="png")
    store_image(library, second, content_type_or_ext="png")

    assert cache_size(library) == len(first) + len(second)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (png(7, 5), ("png", 7, 5)),
        (GIF_1X1, ("gif", 1, 1)),
        (WEBP_LOSSLESS_5X3, ("webp", 5, 3)),
        (WEBP_LOSSY_5X3, ("webp", 5, 3)),
        ((DEMO_IMAGES / "sunset.jpg").read_bytes(), ("jpg", 1280, 680)),
        ((DEMO_IMAGES / "panes.png").read_bytes(), ("png", 1280, 720)),
    ],
)
def test_sniff_reads_type_and_size(data: bytes, expected: tuple[str, int, int]) -> None:
    info = sniff_image(data)
    assert info is not None
    assert (info.ext, info.width, info.height) == expected


def test_sniff_knows_a_tracking_pixel_without_decoding_it() -> None:
    info = sniff_image(GIF_1X1)
    assert info is not None and (info.width, info.height) == (1, 1)


def test_sniff_of_a_cut_off_header_gives_the_type_without_a_size() -> None:
    jpeg = (DEMO_IMAGES / "sunset.jpg").read_bytes()
    info = sniff_image(jpeg[:20])
    assert info is not None
    assert (info.ext, info.width, info.height) == ("jpg", None, None)
    assert sniff_image(b"GIF89a") is not None
    assert sniff_image(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None


# ---- icons (favicons) ----------------------------------------------------------------------------


def test_an_ico_is_recognised_with_its_largest_size() -> None:
    info = sniff_image(ico(32))
    assert info is not None
    assert (info.ext, info.mime, info.width, info.height) == ("ico", "image/x-icon", 32, 32)


def test_an_ico_is_stored_and_its_cache_url_resolves(library: Path) -> None:
    data = ico()
    url = store_image(library, data, content_type_or_ext="image/vnd.microsoft.icon")
    assert url.endswith(".ico")
    path = resolve_cache_url(library, url)
    assert path is not None and path.read_bytes() == data
    assert store_image(library, data, content_type_or_ext="ico") == url


def test_four_bytes_of_ico_magic_without_a_directory_are_refused(library: Path) -> None:
    assert sniff_image(b"\x00\x00\x01\x00\x00\x00") is None  # zero images
    assert sniff_image(b"\x00\x00\x01\x00") is None
    with pytest.raises(ImageRejectedError):
        store_image(library, b"\x00\x00\x01\x00\x00\x00" + bytes(40), content_type_or_ext="ico")


# ---- inventory and removal ----------------------------------------------------------------------


def test_inventory_lists_cache_files_with_their_sizes_and_nothing_else(library: Path) -> None:
    first = store_image(library, png(4, 3), content_type_or_ext="image/png")
    second = store_image(library, GIF_1X1, content_type_or_ext="image/gif")
    folder = images_dir(library)
    (folder / "notes.txt").write_text("a file someone put here")
    (folder / ("a" * 64 + ".png.tmp")).write_bytes(b"half written")
    (folder / ("b" * 64 + ".png")).mkdir()  # a directory with a cache-like name

    inventory = cache_inventory(library)

    assert inventory == {
        first.removeprefix("cache:"): len(png(4, 3)),
        second.removeprefix("cache:"): len(GIF_1X1),
    }


def test_inventory_of_a_library_without_a_cache_is_empty(library: Path) -> None:
    assert cache_inventory(library) == {}


def test_removal_frees_the_files_it_names_and_reports_their_bytes(library: Path) -> None:
    kept = store_image(library, png(4, 3), content_type_or_ext="image/png")
    gone = store_image(library, png(8, 8), content_type_or_ext="image/png")
    gone_name = gone.removeprefix("cache:")

    freed = remove_cached(library, [gone_name, gone_name])  # named twice, freed once

    assert freed == len(png(8, 8))
    assert resolve_cache_url(library, gone) is None
    assert resolve_cache_url(library, kept) is not None
    assert remove_cached(library, [gone_name]) == 0  # already gone: nothing to free, no error


def test_removal_never_touches_anything_but_cache_names(library: Path, tmp_path: Path) -> None:
    store_image(library, png(4, 3), content_type_or_ext="image/png")
    folder = images_dir(library)
    outside = tmp_path / "precious.png"
    outside.write_bytes(b"not the cache's")
    stray = folder / "notes.txt"
    stray.write_text("keep me")
    names = [
        "../../precious.png",
        str(outside),
        "notes.txt",
        "../" + "c" * 64 + ".png",
        "C" * 64 + ".png",  # upper-case hex is not a name the cache writes
        "d" * 64 + ".svg",
        "",
    ]

    assert remove_cached(library, names) == 0
    assert outside.read_bytes() == b"not the cache's"
    assert stray.read_text() == "keep me"
    assert len(cache_inventory(library)) == 1
