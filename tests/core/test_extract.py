"""Page extraction: the article a reader gets from a web page, its metadata, and what never gets in.

The corpus in tests/data/extraction holds hand-written pages in real sites' shapes with their
hand-checked main text; tests/benchmarks/bench_extract.py reports the same scores in detail.
"""

from __future__ import annotations

import datetime as dt
import re
import socket
import statistics
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from reader.core.errors import ExtractionError, ParseError
from reader.core.extract import (
    EXTRACTOR,
    EXTRACTOR_VERSION,
    ExtractedPage,
    extract_page,
    extraction_job,
)
from reader.core.parse import ParsePool

CORPUS = Path(__file__).resolve().parents[1] / "data" / "extraction"
CORPUS_PAGES = sorted(p.stem for p in CORPUS.glob("*.html"))
_WORD_RE = re.compile(r"\w+")


def token_f1(got: str, expected: str) -> float:
    got_bag = Counter(_WORD_RE.findall(got.lower()))
    expected_bag = Counter(_WORD_RE.findall(expected.lower()))
    common = sum((got_bag & expected_bag).values())
    if not common:
        return 0.0
    precision = common / sum(got_bag.values())
    recall = common / sum(expected_bag.values())
    return 2 * precision * recall / (precision + recall)


def corpus_page(name: str, url: str | None = None) -> ExtractedPage:
    body = (CORPUS / f"{name}.html").read_bytes()
    return extract_page(body, url or f"https://corpus.example/{name}", "text/html")


def article(body_html: str, *, head: str = "", title: str = "A page") -> bytes:
    """A small but realistic page: enough prose that it is clearly an article."""
    opening = (
        "The harbour master has announced that the spring ferry timetable will start a week early "
        "this year, after a mild winter left the channel clear of ice by the end of February. "
        "Fishermen welcomed the news, although some worried about the cost of extra crossings."
    )
    closing = (
        "Residents can read the new timetable at the ferry office or in the library, and the "
        "council will hold an open meeting about the changes on the first Tuesday of April, "
        "where the operator has promised to answer questions about fares and winter services."
    )
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{title}</title>{head}</head>"
        f"<body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>{title}</h1>"
        f"<p>{opening}</p>{body_html}<p>{closing}</p></article><footer>Footer text</footer>"
        "</body></html>"
    ).encode()


# ---- the corpus ---------------------------------------------------------------------------------


def test_the_corpus_is_big_enough_and_every_page_has_its_text() -> None:
    assert len(CORPUS_PAGES) >= 30
    for name in CORPUS_PAGES:
        assert (CORPUS / f"{name}.txt").read_text(encoding="utf-8").strip(), name


@pytest.mark.parametrize("name", CORPUS_PAGES)
def test_every_corpus_page_gives_most_of_its_article(name: str) -> None:
    page = corpus_page(name)
    expected = (CORPUS / f"{name}.txt").read_text(encoding="utf-8")
    assert token_f1(page.text, expected) >= 0.5


def test_the_corpus_mean_score_does_not_regress() -> None:
    scores = [
        token_f1(corpus_page(name).text, (CORPUS / f"{name}.txt").read_text(encoding="utf-8"))
        for name in CORPUS_PAGES
    ]
    assert statistics.fmean(scores) >= 0.90


def test_comments_related_stories_and_navigation_stay_out() -> None:
    page = corpus_page("news_courier_heatwave_comments")
    assert "Hosepipe" not in page.text.split("\n\n")[0]  # the title is not repeated
    assert "Brackenmoor reservoir" in page.text
    for furniture in ("Summer of 76", "Most read", "Accept all", "Share on Facebook", "Obituaries"):
        assert furniture not in page.text


# ---- metadata -----------------------------------------------------------------------------------


def test_metadata_of_a_news_page() -> None:
    page = corpus_page("news_courier_ferry_timetable", "https://www.harbourcourier.example/x")
    assert page.title == "Island ferry to lose two daily sailings this winter"
    assert page.author == "Priya Castell"
    assert page.published == dt.datetime(2024, 1, 16, 7, 45, tzinfo=dt.UTC)
    assert page.site_name == "The Harbour Courier"
    assert page.lead_image == (
        "https://www.harbourcourier.example/img/ferry-timetable-cut-winter-lead.jpg"
    )
    # the canonical URL of the same site replaces the one the page was fetched at
    assert page.url == "https://www.harbourcourier.example/news/ferry-timetable-cut-winter"
    assert page.extractor == EXTRACTOR == "trafilatura"
    assert page.extractor_version == EXTRACTOR_VERSION
    assert EXTRACTOR_VERSION.endswith("+gloss1")


def test_metadata_from_json_ld_is_converted_to_utc() -> None:
    page = corpus_page("news_meridian_transit_fares")
    assert page.author == "Jonah Albright"
    assert page.site_name == "Meridian Daily"
    assert page.published == dt.datetime(2024, 3, 1, 23, 5, tzinfo=dt.UTC)  # 18:05 at -05:00
    assert page.published.tzinfo is dt.UTC


def test_a_canonical_url_on_another_site_is_not_taken() -> None:
    page = extract_page(
        article("", head="<link rel='canonical' href='https://elsewhere.example/story'>"),
        "https://mirror.example/copy",
    )
    assert page.url == "https://mirror.example/copy"


def test_a_saved_file_without_url_gets_its_canonical_url_as_base() -> None:
    page = extract_page(
        article(
            "<p><a href='/next'>The next part</a> continues the story.</p>",
            head="<link rel='canonical' href='https://news.example/2024/story'>",
        ),
        None,
    )
    assert page.url == "https://news.example/2024/story"
    assert 'href="https://news.example/next"' in page.html


def test_the_title_heading_is_not_repeated_in_the_body() -> None:
    page = corpus_page("blog_wp_sourdough_notes")
    assert page.title == "What I got wrong about sourdough starters"
    assert "What I got wrong" not in page.text
    assert page.text.startswith("I have kept a sourdough starter alive")


def test_the_lead_image_is_shown_once_at_the_top() -> None:
    page = corpus_page("news_courier_library_reopens", "https://www.harbourcourier.example/x")
    lead = "https://www.harbourcourier.example/img/central-library-reopens-lead.jpg"
    assert page.html.startswith(f'<figure><img src="{lead}" alt="">')
    assert page.html.count(lead) == 1


def test_no_metadata_means_none_not_guesses() -> None:
    page = extract_page(article("<p>Nothing else.</p>", title=""), "https://plain.example/a")
    assert page.author is None
    assert page.published is None
    assert page.lead_image is None


# ---- structure and safety -----------------------------------------------------------------------


def test_structure_is_kept() -> None:
    page = corpus_page("docs_sphinx_config_reference")
    html = page.html
    assert "<h2>Worker settings</h2>" in html
    assert "<table>" in html and "<td>max_tasks_per_worker</td>" in html
    assert "<pre>[pool]\nworkers = 8" in html
    assert "<li>Built-in defaults.</li>" in html
    # inline code stays inside its sentence
    assert "<p>Tidepool reads its settings from a <code>tidepool.toml</code> file" in html
    assert "¶" not in page.text  # heading permalinks are furniture


def test_quotes_and_captions_are_kept() -> None:
    page = corpus_page("news_courier_library_reopens")
    assert "<blockquote>" in page.html
    assert "The first-floor reading room looks out over the harbour." in page.text


def test_output_is_sanitized() -> None:
    hostile = article(
        "<p>The operator's statement is online: click <a href='javascript:alert(1)'>here</a> for "
        "the summary or <a href='/safe' onclick='x()'>there</a> for the full timetable, which "
        "lists every sailing until the end of October.</p><script>alert('x')</script>"
        "<img src='/a.png' onerror='alert(2)' alt='pic'>"
        "<iframe src='https://evil.example/frame'></iframe>"
        "<p style='color:red' onmouseover='steal()'>Styled text stays as text.</p>"
        "<img src='data:image/png;base64,iVBORw0KGgo=' alt='inline'>"
    )
    page = extract_page(hostile, "https://news.example/a")
    lowered = page.html.lower()
    for forbidden in ("<script", "javascript:", "onerror", "onclick", "onmouseover", "<iframe",
                      "style=", "data:image", "alert("):  # fmt: skip
        assert forbidden not in lowered
    assert "Styled text stays as text." in page.text
    assert 'href="https://news.example/safe"' in page.html


def test_relative_links_and_images_become_absolute() -> None:
    page = extract_page(
        article(
            "<p>Last year's timetables, fares and the minutes of every meeting about the ferry are "
            "kept in <a href='../archive/2023.html'>the archive</a>, which the council updates "
            "every month with new documents from the operator.</p>"
            "<figure><img src='img/chart.png' alt='A chart'></figure>"
        ),
        "https://site.example/news/today/story.html",
    )
    assert 'href="https://site.example/news/archive/2023.html"' in page.html
    assert 'src="https://site.example/news/today/img/chart.png"' in page.html
    assert 'alt="A chart"' in page.html
    assert page.published is None  # "2023" in a link is not a publication date


def test_lazy_images_keep_their_real_source() -> None:
    page = corpus_page("news_meridian_battery_recycling")
    real = "https://cdn.meridiandaily.example/images/battery-recycling-plant/black-mass.jpg"
    assert f'src="{real}"' in page.html
    assert "data:image" not in page.html


# ---- decoding -----------------------------------------------------------------------------------


def test_a_windows_1252_page_declared_in_a_meta_tag() -> None:
    body = (CORPUS / "old_table_layout_radio.html").read_bytes()
    assert b"\xa318" in body  # "£18" in windows-1252
    page = extract_page(body, "https://workshop.example/radio2.htm", "text/html")
    assert "about £18 in parts, and two evenings’ work" in page.text
    assert "0.01µF" in page.text


def test_a_utf8_page_with_a_wrong_charset_header() -> None:
    body = article("<p>Le café de la gare sert un gâteau aux noix très apprécié.</p>")
    page = extract_page(body, "https://fr.example/a", "text/html; charset=iso-8859-1")
    assert "Le café de la gare sert un gâteau aux noix très apprécié." in page.text


def test_undecodable_bytes_do_not_crash() -> None:
    body = article("<p>Broken \xff\xfe bytes here.</p>".replace("\xff\xfe", "@@"))
    body = body.replace(b"@@", b"\xff\xfe\xc3")
    page = extract_page(body, "https://x.example/a", "text/html; charset=utf-8")
    assert "Broken" in page.text and "bytes here." in page.text


def test_a_byte_order_mark_wins() -> None:
    body = b"\xef\xbb\xbf" + article("<p>Über die Brücke.</p>")
    page = extract_page(body, "https://de.example/a", "text/html; charset=windows-1252")
    assert "Über die Brücke." in page.text


# ---- pages without an article -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", "text/html", "The page is empty."),
        (b"  \n ", "text/html", "The page is empty."),
        (
            b"<html><head><title>Nothing</title></head><body><nav><a href='/'>Home</a></nav>"
            b"</body></html>",
            "text/html",
            "Gloss could not find the article text in this page.",
        ),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "application/pdf", "it is a PDF document"),
        (b"%PDF-1.4\n", "text/html", "it is a PDF document"),  # mislabelled by the server
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "it is a PNG image"),
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", "image/jpeg", "it is a JPEG image"),
        (b"GIF89a\x01\x00", "text/html", "it is a GIF image"),
        (b"<?xml version='1.0'?><rss version='2.0'><channel/></rss>", None, "is a feed"),
    ],
)
def test_no_article_gives_a_clear_message(
    body: bytes, content_type: str | None, message: str
) -> None:
    with pytest.raises(ExtractionError, match=re.escape(message)):
        extract_page(body, "https://x.example/a", content_type)


def test_a_login_wall_says_so() -> None:
    body = (
        b"<html><head><title>Sign in - Daily Planet</title></head><body><nav><a href='/'>Home</a>"
        b"</nav><main><h1>Sign in to keep reading</h1><p>This article is for subscribers.</p>"
        b"<form><label>Email</label><input type='email' name='e'><label>Password</label>"
        b"<input type='password' name='p'><button>Sign in</button></form>"
        b"<p><a href='/forgot'>Forgot your password?</a></p></main></body></html>"
    )
    with pytest.raises(ExtractionError, match="asks you to sign in"):
        extract_page(body, "https://planet.example/story", "text/html")


def test_a_huge_page_is_cut_not_refused() -> None:
    filler = "<script>" + "var x = 1;" * 700_000 + "</script>"  # 7 MB of inline script
    body = article(filler + "<p>The last paragraph is still found after the bulk.</p>")
    page = extract_page(body, "https://big.example/a", "text/html")
    assert "The last paragraph is still found after the bulk." in page.text


# ---- the worker pool job ------------------------------------------------------------------------


def test_extraction_job_runs_in_a_real_parse_pool() -> None:
    body = (CORPUS / "blog_wp_sourdough_notes.html").read_bytes()
    with ParsePool(workers=1, timeout=60, job=extraction_job, noun="page") as pool:
        page: Any = pool.submit(body, "https://slowafternoons.example/x", "text/html").result(60)
        failed = pool.submit(b"%PDF-1.5", "https://x.example/a.pdf", "application/pdf")
        with pytest.raises(ParseError, match="it is a PDF document"):
            failed.result(60)
    assert isinstance(page, ExtractedPage)
    assert page.title == "What I got wrong about sourdough starters"
    assert "A little rye goes a long way" in page.text


def test_extraction_job_reports_errors_as_parse_errors() -> None:
    with pytest.raises(ParseError, match=re.escape("The page is empty.")):
        extraction_job(b"", "https://x.example/", "text/html")


# ---- no network ---------------------------------------------------------------------------------

_NETWORK_EVENTS = ("socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "urllib.Request")
_watch: dict[str, list[str]] = {}


def _network_audit(event: str, args: tuple[object, ...]) -> None:
    if "events" in _watch and event in _NETWORK_EVENTS:
        _watch["events"].append(event)


sys.addaudithook(_network_audit)  # audit hooks cannot be removed: it records only while watched


def test_extraction_opens_no_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("extraction tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    _watch["events"] = []
    try:
        for name in CORPUS_PAGES[:8]:
            corpus_page(name)
        page = extract_page(
            article("<p><img src='https://tracker.example/pixel.gif' alt=''></p>"),
            "https://news.example/a",
        )
    finally:
        events = _watch.pop("events")
    assert events == []
    assert page.text
