"""The sample library a new user sees on the window's first start.

A reader that opens empty teaches nothing; one that fetches sample feeds at start-up fails
offline and leaks that the user just installed it. So the samples ship inside Gloss
(``resources/demo/``): a few feeds of articles written for it, with images, loaded through the
same parser, sanitizer and storage as any fetched feed, and so shown exactly as real ones are.

What keeps the demo honest:

- Feed URLs live under ``demo.gloss.invalid``. The ``.invalid`` top-level domain is reserved
  (RFC 2606), so nothing can ever be fetched from them, even by accident.
- The feeds are muted with a reason that says what they are, so refreshes pass them by, and
  they sit in their own folder that the user can delete like any other.
- Images in the feed HTML are relative (``images/NAME``). The parser resolves them against the
  feed URL; the sanitized HTML then has its demo image URLs replaced with ``cache:`` URLs of the
  same images, stored in the library's image cache. Nothing in the demo refers to the network.

Only the window calls ``load_demo``, and only on the first start of a new library; the command
line never does (a script that creates a library expects it empty).
"""

from __future__ import annotations

import html as html_lib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from reader.core.errors import AlreadySubscribedError, GlossError
from reader.core.image_cache import ImageRejectedError, store_image
from reader.core.library import Library
from reader.core.types import Changes, FeedId, FullTextPolicy

log = logging.getLogger("gloss.demo")

DEMO_FOLDER = "Gloss demo"
DEMO_HOST = "demo.gloss.invalid"
DEMO_BASE_URL = f"https://{DEMO_HOST}/"
DEMO_MUTED_REASON = (
    "Sample feed bundled with Gloss; it is not fetched. Remove it whenever you like."
)
RESOURCES_ENV = "GLOSS_RESOURCES"
"""Points at a ``resources`` folder (the one holding ``demo/``), for tests and unusual installs."""

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1

_FILE_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_IMAGE_PATH_RE = re.compile(r"images/([a-z0-9][a-z0-9._-]*\.(?:png|jpg|gif|webp))")

# Sanitized HTML (nh3's serializer) always double-quotes attribute values and escapes '"' inside
# them, so an <img> tag and its src can be matched exactly; a '>' inside alt text is allowed for.
_IMG_TAG_RE = re.compile(r"<img\b(?:\s+[^\s\"'>/=]+(?:\s*=\s*\"[^\"]*\")?)*\s*/?>", re.IGNORECASE)
_SRC_ATTR_RE = re.compile(r"(\ssrc=\")([^\"]*)(\")", re.IGNORECASE)


class DemoUnavailableError(GlossError):
    """The sample library is missing or damaged in this installation."""


@dataclass(frozen=True, slots=True)
class DemoFeed:
    file: str  # name of the feed document inside the demo folder
    url: str  # the feed's (never fetched) address under DEMO_BASE_URL
    content_type: str


def demo_dir() -> Path:
    """Where the demo files are: ``$GLOSS_RESOURCES/demo``, a frozen build's bundle, or the
    ``resources/demo`` folder of a source checkout (beside the ``reader`` package)."""
    override = os.environ.get(RESOURCES_ENV)
    if override:
        return Path(override).expanduser() / "demo"
    frozen = getattr(sys, "_MEIPASS", None)
    if isinstance(frozen, str) and frozen:
        return Path(frozen) / "resources" / "demo"
    return Path(__file__).resolve().parents[2] / "resources" / "demo"


def is_demo_url(url: str) -> bool:
    """Whether a feed or image URL belongs to the bundled demo (and so is never fetched)."""
    try:
        return (urlsplit(url).hostname or "") == DEMO_HOST
    except ValueError:
        return False


def read_manifest(folder: Path | None = None) -> list[DemoFeed]:
    """The feeds listed in ``manifest.json``, checked so that a damaged bundle fails clearly."""
    folder = folder or demo_dir()
    path = folder / MANIFEST_NAME
    try:
        document: Any = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoUnavailableError(
            f"The sample library is not included in this installation ({path} is missing)."
        ) from None
    except (OSError, ValueError) as e:
        raise DemoUnavailableError(f"The sample library's list of feeds cannot be read: {e}") from e
    if not isinstance(document, dict) or document.get("version") != MANIFEST_VERSION:
        raise DemoUnavailableError(f"{path} is not a version {MANIFEST_VERSION} demo manifest.")
    feeds = document.get("feeds")
    if not isinstance(feeds, list) or not feeds:
        raise DemoUnavailableError(f"{path} lists no feeds.")
    result = []
    for entry in feeds:
        file = entry.get("file") if isinstance(entry, dict) else None
        url = entry.get("url") if isinstance(entry, dict) else None
        content_type = entry.get("content_type") if isinstance(entry, dict) else None
        if not (
            isinstance(file, str)
            and _FILE_NAME_RE.fullmatch(file)
            and isinstance(url, str)
            and url.startswith(DEMO_BASE_URL)
            and isinstance(content_type, str)
        ):
            raise DemoUnavailableError(f"{path} has a malformed feed entry: {entry!r}")
        result.append(DemoFeed(file, url, content_type))
    return result


def load_demo(library: Library) -> Changes:
    """Add the demo feeds, with their articles unread and their images cached, to ``library``.

    Makes no network request. Feeds already in the library are skipped, so loading twice adds
    nothing. Raises ``DemoUnavailableError`` (a ``GlossError``) if the bundle is missing or
    damaged; the window logs that and starts with an empty library.
    """
    folder = demo_dir()
    feeds = read_manifest(folder)
    images = _DemoImages(library.path, folder / "images")
    subscribed = {feed.url for feed in library.list_feeds()}
    changes = Changes()
    for feed in feeds:
        if feed.url in subscribed:
            continue
        try:
            body = (folder / feed.file).read_bytes()
        except OSError as e:
            raise DemoUnavailableError(f"The sample feed {feed.file} cannot be read: {e}") from e
        try:
            feed_id, _, added = library.add_feed_document(
                feed.url,
                body,
                content_type=feed.content_type,
                folder=DEMO_FOLDER,
                muted_reason=DEMO_MUTED_REASON,
                rewrite_html=images.rewrite,
            )
        except AlreadySubscribedError:
            continue
        # Its links lead nowhere (demo.gloss.invalid) and its images are already cached: a
        # "make available offline" must not go looking for them.
        library.set_feed_offline(feed_id, full_text=FullTextPolicy.NEVER, images=False)
        changes |= added
    return changes


def demo_feed_ids(library: Library) -> list[FeedId]:
    return [feed.id for feed in library.list_feeds() if is_demo_url(feed.url)]


def remove_demo(library: Library) -> Changes:
    """Unsubscribe from every demo feed and drop the demo folder if nothing else is in it.

    Articles the user starred or annotated stay in the library, as with any removed feed.
    """
    changes = Changes()
    for feed_id in demo_feed_ids(library):
        _, removed = library.remove_feed(feed_id)
        changes |= removed
    folders = library.list_folders()
    in_use = {feed.folder_id for feed in library.list_feeds()}
    in_use |= {f.parent_id for f in folders}
    for folder in folders:
        # Only the top-level demo folder, and only once nothing of the user's is left in it.
        if folder.name == DEMO_FOLDER and folder.parent_id is None and folder.id not in in_use:
            changes |= library.delete_folder(folder.id)
    return changes


class _DemoImages:
    """Maps the demo's resolved image URLs to ``cache:`` URLs, storing each image once."""

    def __init__(self, library_path: Path, images_folder: Path) -> None:
        self._library_path = library_path
        self._folder = images_folder
        self._cache_urls: dict[str, str] = {}

    def rewrite(self, html: str) -> str:
        """Point every demo ``<img src>`` in sanitized HTML at the cached copy of the image."""
        if DEMO_HOST not in html:
            return html
        return _IMG_TAG_RE.sub(self._rewrite_tag, html)

    def _rewrite_tag(self, tag: re.Match[str]) -> str:
        def replace(src: re.Match[str]) -> str:
            cache_url = self.cache_url_for(html_lib.unescape(src.group(2)))
            return src.group(1) + cache_url + src.group(3) if cache_url else src.group(0)

        return _SRC_ATTR_RE.sub(replace, tag.group(0), count=1)

    def cache_url_for(self, url: str) -> str | None:
        """The ``cache:`` URL for a demo image URL; ``None`` for any other URL."""
        name = _demo_image_name(url)
        if name is None:
            return None
        cached = self._cache_urls.get(name)
        if cached is not None:
            return cached
        try:
            data = (self._folder / name).read_bytes()
            cached = store_image(self._library_path, data, content_type_or_ext=name.rsplit(".")[-1])
        except (OSError, ImageRejectedError) as e:
            # A bundle defect, caught by the tests; the article still loads without the picture.
            log.warning("demo image %s not stored: %s", name, e)
            return None
        self._cache_urls[name] = cached
        return cached


def _demo_image_name(url: str) -> str | None:
    """``NAME`` for ``https://demo.gloss.invalid/images/NAME``; ``None`` for anything else."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme != "https" or parts.hostname != DEMO_HOST or parts.query or parts.fragment:
        return None
    match = _IMAGE_PATH_RE.fullmatch(unquote(parts.path).lstrip("/"))
    return match.group(1) if match else None
