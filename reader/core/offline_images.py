"""Article images for offline reading: find them, fetch the ones worth keeping, point at the cache.

The reading view never touches the network (DESIGN.md "Offline"), so an image is only seen if it
was downloaded beforehand into the content-addressed cache (image_cache.py) and the stored HTML
says ``cache:<name>`` instead of its web address. Three steps, each kept apart so the caller
(offline.py) decides when to fetch and when to write:

- ``image_refs`` lists the web images of stored HTML (html_images.py, re-exported here);
- ``download_image`` fetches one through the shared ``Fetcher`` (no cookies, no Referer, the same
  deadlines, redirect rules and per-host limits as feeds) and stores it, or says why not;
- ``rewrite_image_sources`` (html_images.py) swaps ``src`` values and touches nothing else.
  Highlights are anchored in the text of the stored HTML (content.canonical_text), so a rewrite
  that moved a single character of text would orphan the reader's notes.

Per-image problems never raise: an article with one broken image still gets the others, and the
outcome says whether asking again later makes sense (``error``) or not (``skipped``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from reader.core.errors import (
    FetchError,
    GlossError,
    InvalidURLError,
    ResponseTooLargeError,
    RetryLaterError,
)
from reader.core.fetch import Fetcher
from reader.core.html_images import ImageRef, image_refs, rewrite_image_sources
from reader.core.image_cache import (
    MAX_IMAGE_BYTES,
    ImageRejectedError,
    cache_url,
    resolve_cache_url,
    sniff_image,
    store_image,
)
from reader.core.storage.offline import CACHE_FULL
from reader.core.trackers import tracker_reason

IMAGE_ACCEPT = "image/webp,image/png,image/jpeg,image/gif;q=0.9,*/*;q=0.1"


@dataclass(frozen=True, slots=True)
class ImageOutcome:
    url: str
    cache_url: str | None  # "cache:<sha>.<ext>" when stored
    size: int  # bytes of the image (0 if not stored)
    skipped: str | None  # why it was not fetched or kept; asking again would not help
    error: str | None  # a fetch failure worth retrying later


# ---- downloading --------------------------------------------------------------------------------


def make_image_fetcher(
    *, max_image_bytes: int, make_fetcher: Callable[..., Fetcher] | None = None
) -> Fetcher:
    """A ``Fetcher`` for images: the feed fetcher's limits, with an image ``Accept`` and size cap.

    The cap never exceeds what the cache would store, so nothing is downloaded only to be
    refused. ``make_fetcher`` lets tests add options (``allow_private_redirects`` …).
    """
    factory = make_fetcher or Fetcher
    return factory(accept=IMAGE_ACCEPT, max_bytes=max(1, min(max_image_bytes, MAX_IMAGE_BYTES)))


async def download_image(
    fetcher: Fetcher, ref: ImageRef, library_path: Path, *, room_left: int | None
) -> ImageOutcome:
    """Fetch ``ref`` and keep it in the image cache, or say why not. Never raises for one image.

    ``room_left`` is what the total cache cap still allows, in bytes (``None``: no cap). An
    image that is already cached costs no room: the same bytes are the same file.
    """
    url = ref.url

    def skipped(reason: str) -> ImageOutcome:
        return ImageOutcome(url, None, 0, reason, None)

    def failed(message: str) -> ImageOutcome:
        return ImageOutcome(url, None, 0, None, message)

    reason = tracker_reason(url, ref.width, ref.height)
    if reason is not None:
        return skipped(reason)
    try:
        result = await fetcher.fetch(url)
    except InvalidURLError as e:
        return skipped(f"not an address Gloss fetches ({e})")
    except RetryLaterError as e:
        return failed(_not_downloaded(url, str(e)))
    except FetchError as e:
        return _fetch_failure(url, e)
    body = result.body
    if not body:
        return failed(_not_downloaded(url, "the server sent nothing"))
    info = sniff_image(body)
    if info is None:
        return skipped(_not_an_image(result.content_type, body))
    if info.width is not None and info.height is not None and info.width <= 1 and info.height <= 1:
        return skipped(f"a {info.width}×{info.height} tracking pixel")
    name = f"{hashlib.sha256(body).hexdigest()}.{info.ext}"
    already_cached = resolve_cache_url(library_path, cache_url(name)) is not None
    if room_left is not None and not already_cached and len(body) > room_left:
        return skipped(CACHE_FULL)
    try:
        stored = store_image(library_path, body, content_type_or_ext=result.content_type or "")
    except ImageRejectedError as e:
        return skipped(_sentence_to_phrase(str(e)))
    except GlossError as e:  # the disk, not the image: worth trying again
        return failed(f"Image not saved: {e}")
    return ImageOutcome(url, stored, len(body), None, None)


def _fetch_failure(url: str, error: FetchError) -> ImageOutcome:
    """Sort a failed fetch into "retry later" or "not worth asking again"."""
    message = str(error)
    if isinstance(error, ResponseTooLargeError):
        return ImageOutcome(url, None, 0, f"too large (over {error.limit})", None)
    if error.status == 410:  # fetch.py words this for feeds; an image is simply gone
        return ImageOutcome(url, None, 0, "gone from its server (HTTP 410)", None)
    return ImageOutcome(url, None, 0, None, _not_downloaded(url, message))


def _not_downloaded(url: str, message: str) -> str:
    where = "" if url in message else f" ({url})"
    return f"Image not downloaded{where}: {message}"


def _not_an_image(content_type: str | None, body: bytes) -> str:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "image/svg+xml" or _looks_like_svg(body):
        return "an SVG image (Gloss keeps PNG, JPEG, GIF and WebP only)"
    if media_type.startswith("image/"):
        return f"an image format Gloss does not keep ({media_type})"
    if media_type:
        return f"not an image (the server sent {media_type})"
    return "not an image"


def _looks_like_svg(body: bytes) -> bool:
    head = body[:1024].lstrip().lower()
    return head.startswith((b"<svg", b"<?xml")) and b"<svg" in head


def _sentence_to_phrase(message: str) -> str:
    """store_image speaks in sentences; outcomes are phrases shown after "skipped:"."""
    phrase = message.rstrip(".")
    if phrase[1:2].isupper():  # an acronym ("SVG …") keeps its capitals
        return phrase
    return phrase[:1].lower() + phrase[1:]


__all__ = [
    "CACHE_FULL",
    "IMAGE_ACCEPT",
    "ImageOutcome",
    "ImageRef",
    "download_image",
    "image_refs",
    "make_image_fetcher",
    "rewrite_image_sources",
]
