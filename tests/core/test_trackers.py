"""Which images are never worth a request: declared pixels and known tracker addresses."""

from __future__ import annotations

import pytest

from reader.core.trackers import tracker_reason


@pytest.mark.parametrize(
    "url",
    [
        "https://feeds.feedburner.com/~r/example/~4/abc",
        "https://feeds.feedburner.com/~ff/example?d=yIl2AUoC8zA",
        "http://FEEDS.FeedBurner.com/~r/Example/~4/ABC",  # case does not matter
        "https://pixel.wp.com/g.gif?blog=1&post=2",
        "https://stats.wordpress.com/b.gif?v=noscript",
        "https://www.google-analytics.com/collect?v=1&t=pageview",
        "https://ad.doubleclick.net/ddm/ad/N1234.5678/B;sz=1x1",
        "https://stats.g.doubleclick.net/r/collect",
        "https://pixel.quantserve.com/pixel/p-abc.gif",
        "https://sb.scorecardresearch.com/p?c1=2&c2=123",
        "https://feeds.feedblitz.com/~/i/123456/0/example",
        "http://rss.feedsportal.com/c/123/f/456/s/789/mf.gif",
        "https://example.org/mf.gif",
        "https://analytics.example.org/piwik.php?idsite=3&rec=1",
        "https://example.org/matomo.php?idsite=1",
        "https://medium.com/_/stat?event=post.clientViewed",
        "https://www.facebook.com/tr?id=123&ev=PageView&noscript=1",
        "https://blogger.googleusercontent.com/tracker/123-456?l=example.blogspot.com",
        "https://www.googletagmanager.com/ns.html?id=GTM-1",
        "https://api.flattr.com/button/flattr-badge-large.png",
        "https://twitter.com/intent/tweet?text=x",
        "https://trc.taboola.com/example/log/3/available",
    ],
)
def test_known_trackers_are_recognised_with_their_host(url: str) -> None:
    reason = tracker_reason(url)

    assert reason is not None and reason.startswith("a known tracker (")


@pytest.mark.parametrize(
    "url",
    [
        "https://example.org/images/photo.jpg",
        "https://i0.wp.com/example.org/wp-content/uploads/2024/05/cat.jpg",  # Jetpack's image CDN
        "https://miro.medium.com/v2/resize:fit:1400/1*abc.png",
        "https://medium.com/media/diagram.png",
        "https://blogger.googleusercontent.com/img/b/R29vZ2xl/photo.jpg",
        "https://example.org/statistics/chart.png",
        "https://notdoubleclick.net/image.png",  # a suffix match needs a dot before it
        "https://cdn.example.org/x.com/share.png",  # x.com in the path is not the host
        "https://example.org/blog/matomo-release-notes.png",
        "not a url at all",
        "",
    ],
)
def test_ordinary_images_are_not_trackers(url: str) -> None:
    assert tracker_reason(url) is None


@pytest.mark.parametrize(
    ("width", "height", "reason"),
    [
        (1, 1, "a 1×1 tracking pixel"),
        (0, 0, "a 0×0 tracking pixel"),
        (1, 0, "a 1×0 tracking pixel"),
    ],
)
def test_an_image_declared_one_pixel_is_a_tracker_wherever_it_lives(
    width: int, height: int, reason: str
) -> None:
    assert tracker_reason("https://example.org/spacer.gif", width, height) == reason


@pytest.mark.parametrize(("width", "height"), [(1, None), (None, 1), (1, 40), (2, 2), (None, None)])
def test_small_or_half_declared_images_are_kept(width: int | None, height: int | None) -> None:
    """A 1-pixel-wide rule or an image with one known side is layout, not a beacon."""
    assert tracker_reason("https://example.org/rule.png", width, height) is None
