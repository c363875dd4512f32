"""``gloss save``, ``gloss refresh`` with offline work, and the offline settings commands."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from reader.core.library import Library
from reader.core.types import TextSource
from tests.cli.test_cli import json_lines, run
from tests.support.feeds import HTML_HEADERS
from tests.support.http_server import Route, ScriptedServer
from tests.support.pages import CAPTURE, article_page, serve_site


def test_refresh_returns_once_full_texts_and_images_are_stored(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    lib = str(library_path)
    with ScriptedServer() as server:
        serve_site(server, count=2)
        with Library.open(library_path) as library:
            library.subscribe(server.url("/feed"))
        code, out, _ = run(capsys, "--library", lib, "refresh")
        assert code == 0
        assert out.strip().splitlines()[-1] == (
            "Offline: 2 article(s); 2 full text(s), 2 image(s) (0.0 MB) stored."
        )
    # The server is gone: `show` prints the full text.
    code, out, _ = run(capsys, "--library", lib, "articles", "--json")
    ids = [row["id"] for row in json_lines(out)]
    code, out, _ = run(capsys, "--library", lib, "show", str(ids[0]), "--json")
    shown = json.loads(out)
    assert shown["text_source"] == "fulltext"
    assert "paper timetable" in shown["text"]
    assert 'src="cache:' in shown["html"]


def test_refresh_no_offline_skips_pages_and_images(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    with ScriptedServer() as server:
        serve_site(server, count=1)
        with Library.open(library_path) as library:
            library.subscribe(server.url("/feed"))
        code, out, _ = run(capsys, "--library", str(library_path), "refresh", "--no-offline")
        assert code == 0 and "Offline" not in out
        assert server.hits("/trips/1") == 0 and server.hits("/img/1.png") == 0
        code, out, _ = run(capsys, "--library", str(library_path), "offline", "--json")
        [row] = json_lines(out)
        assert row["full_text"] is True and row["images"] == 1 and row["error"] is None


def test_save_url_prints_id_title_related_as_json(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    with ScriptedServer() as server:
        server.routes["/story"] = Route(200, article_page("Night train"), HTML_HEADERS)
        code, out, err = run(
            capsys, "--library", str(library_path), "save", server.url("/story"), "--json"
        )
        assert code == 0, err
        [row] = json_lines(out)
        assert row["title"] == "Night train" and row["related"] == [] and not row["duplicate"]
        code, out, _ = run(capsys, "--library", str(library_path), "save", server.url("/story"))
        assert out == f"Already in your library: article {row['id']}, Night train\n"


def test_save_from_stdin_saves_related_separately(
    capsys: pytest.CaptureFixture[str], library_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(CAPTURE))
    code, out, err = run(capsys, "--library", str(library_path), "save", "-")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].endswith(": Harbour cranes return to the old port")
    assert lines[1].startswith("Related articles saved separately: ")


def test_save_file_and_friendly_errors(
    capsys: pytest.CaptureFixture[str], library_path: Path, tmp_path: Path
) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(article_page("Kept page"))
    code, out, _ = run(capsys, "--library", str(library_path), "save", str(page))
    assert code == 0 and out.startswith("Saved article ") and out.rstrip().endswith("Kept page")
    code, out, err = run(capsys, "--library", str(library_path), "save", "example.com/story")
    assert code == 1
    assert err == (
        "gloss: There is no file example.com/story; to save a web page, give its full address "
        "(https://example.com/story).\n"
    )


def test_feed_options_settings_and_use_text(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    lib = str(library_path)
    with ScriptedServer() as server:
        serve_site(server, count=1)
        with Library.open(library_path) as library:
            feed_id = library.subscribe(server.url("/feed"))[0]
        run(capsys, "--library", lib, "refresh")
    code, out, _ = run(
        capsys, "--library", lib, "feed-options", str(feed_id), "--full-text", "never",
        "--images", "off",
    )  # fmt: skip
    assert code == 0 and "full text: never" in out and "images: off" in out
    code, out, _ = run(capsys, "--library", lib, "offline-settings", "--image-cache-mb", "500")
    assert "image cache limit: 500 MB" in out
    code, _, err = run(capsys, "--library", lib, "offline-settings", "--max-image-mb", "0")
    assert code == 1 and "between 1 and" in err
    code, out, _ = run(
        capsys, "--library", lib, "offline-settings", "--full-text-default", "always"
    )
    assert code == 0 and "full text of new feeds: always" in out
    code, out, _ = run(capsys, "--library", lib, "feed-options", str(feed_id), "--notify", "on")
    assert code == 0 and "notify of new articles: on" in out
    code, out, _ = run(capsys, "--library", lib, "feeds", "--json")
    assert json_lines(out)[0]["notify"] is True
    with Library.open(library_path) as library:
        assert library.subscribe("https://example.org/new.xml")[0]
        new = next(f for f in library.list_feeds() if f.url.endswith("/new.xml"))
        assert new.full_text.value == "always" and not new.notify
    with Library.open(library_path) as library:
        article_id = library.list_articles().articles[0].id
    code, out, _ = run(capsys, "--library", lib, "use-text", str(article_id), "feed")
    assert out == f"Article {article_id} now shows the feed's text.\n"
    with Library.open(library_path) as library:
        detail = library.get_article(article_id)
        assert detail.text is not None and detail.text.source is TextSource.FEED


def test_check_reports_the_image_cache(
    capsys: pytest.CaptureFixture[str], library_path: Path
) -> None:
    from reader.core.image_cache import images_dir

    with Library.open(library_path):
        pass
    folder = images_dir(library_path)
    folder.mkdir(parents=True)
    (folder / ("b" * 64 + ".png")).write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    code, out, _ = run(capsys, "--library", str(library_path), "check")
    assert "Image cache: 1 file(s), 0.0 MB; 1 unused (0.0 MB; remove with: gloss check " in out
    code, out, _ = run(capsys, "--library", str(library_path), "check", "--prune-images")
    assert code == 0
    assert "Removed 1 unused image(s)" in out and "Image cache: 0 file(s)" in out
