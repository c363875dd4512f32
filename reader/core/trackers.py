"""Images not worth a request: tracking pixels, analytics beacons and ad servers.

Downloading an article's images for offline reading would otherwise report every read to the
ad and analytics networks the publisher embedded (reliability.md R7). The rules below are facts
gathered from Miniflux (``blockedResourceURLSubstrings`` and ``isPixelTracker``, which treats an
image declared 1×1 as a tracker) and NetNewsWire (``ContentRules.json``), plus the well-known
pixel endpoints of feed services and self-hosted analytics. They are deliberately narrow: a
rule that matched a real illustration would cost the reader a picture, while a tracker that
slips through costs one small request and is caught again by the pixel check after download.

Matching is on the host (the host itself or any subdomain of a listed name) and, for hosts that
also serve real content, on a path prefix; a few pixel paths are recognised on any host.
Everything is compared case-insensitively.
"""

from __future__ import annotations

import urllib.parse

# Hosts whose every image is an ad, a beacon or a share button.
_TRACKER_HOSTS = frozenset(
    {
        # feed services: ~ff flare buttons, ~r and ~4 read pixels, feedsportal and feedblitz beacons
        "feeds.feedburner.com", "feedproxy.google.com", "feedsportal.com", "feedblitz.com",
        # WordPress.com / Jetpack statistics
        "stats.wordpress.com", "pixel.wp.com", "stats.wp.com",
        # analytics
        "google-analytics.com", "googletagmanager.com", "ssl.google-analytics.com",
        "scorecardresearch.com", "quantserve.com", "chartbeat.com", "chartbeat.net",
        "imrworldwide.com", "omtrdc.net", "demdex.net", "go-mpulse.net", "statcounter.com",
        "mc.yandex.ru", "analytics.twitter.com", "bat.bing.com", "ingest.sentry.io",
        "nr-data.net", "pixel.parsely.com",
        # advertising
        "doubleclick.net", "googlesyndication.com", "googleadservices.com",
        "amazon-adsystem.com", "taboola.com", "outbrain.com", "moatads.com", "pubmatic.com",
        "criteo.com", "criteo.net", "serving-sys.com", "adform.net", "adnxs.com",
        "360yield.com", "yieldmo.com", "amx1.net", "r2b2.io", "3lift.com", "lijit.com",
        "a-mo.net", "sharethrough.com", "4dex.io", "onetag-sys.com", "creativecdn.com",
        "smartadserver.com", "openx.net", "a-mx.com", "adsrvr.org", "rlcdn.com",
        "liadm.com", "rezync.com", "facebook.net", "track.us.org", "rubiconproject.com",
        "casalemedia.com", "bidswitch.net", "advertising.com", "zemanta.com",
        # share and donation buttons (images of a button, never of the article)
        "api.flattr.com",
    }
)  # fmt: skip

# Hosts that also serve real content: only these paths are trackers. (host suffix, path prefix)
_TRACKER_PATHS = (
    ("medium.com", "/_/stat"),
    ("facebook.com", "/tr"),
    ("facebook.com", "/sharer.php"),
    ("linkedin.com", "/shareArticle"),
    ("pinterest.com", "/pin/create/button"),
    ("twitter.com", "/intent/tweet"),
    ("twitter.com", "/share"),
    ("x.com", "/intent/tweet"),
    ("x.com", "/share"),
    ("blogger.googleusercontent.com", "/tracker/"),  # Blogger's per-post read counter
)

# Pixel endpoints that self-hosted analytics put on the publisher's own host.
_TRACKER_PATH_PARTS = (
    "/piwik.php",
    "/matomo.php",
    "/__utm.gif",
    "/mf.gif",
    "/wp-content/plugins/wp-statistics/",
    "/wp-content/plugins/jetpack/modules/stats",
)


def tracker_reason(url: str, width: int | None = None, height: int | None = None) -> str | None:
    """Why the image at ``url`` is not worth fetching, as a phrase for the user, or ``None``.

    ``width`` and ``height`` are what the article's ``<img>`` declares; an image declared at
    most one pixel each way is a beacon whatever its host (Miniflux's rule).
    """
    if width is not None and height is not None and width <= 1 and height <= 1:
        return f"a {width}×{height} tracking pixel"
    try:
        parts = urllib.parse.urlsplit(url.strip())
        host = (parts.hostname or "").rstrip(".")
    except ValueError:
        return None
    path = parts.path.lower()
    if not host:
        return None
    for name in _suffixes(host):
        if name in _TRACKER_HOSTS:
            return f"a known tracker ({host})"
    for suffix, prefix in _TRACKER_PATHS:
        if _on_host(host, suffix) and path.startswith(prefix.lower()):
            return f"a known tracker ({host}{prefix})"
    for part in _TRACKER_PATH_PARTS:
        if part in path:
            return f"a known tracker ({part.strip('/')})"
    return None


def _suffixes(host: str) -> list[str]:
    """``a.b.example.com`` → itself, ``b.example.com``, ``example.com``, ``com``."""
    labels = host.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


def _on_host(host: str, suffix: str) -> bool:
    return host == suffix or host.endswith("." + suffix)
