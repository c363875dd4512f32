"""``gloss highlight``, ``note``, ``highlights``, ``export`` and ``import-annotations`` as a script
would use them: real library files, a real feed on 127.0.0.1, files written to a real folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from reader.core.library import Library
from tests.cli.test_cli import json_lines, rejected, run
from tests.core.test_anchor import P1, P2, P3
from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

QUOTE = "A good night of sleep improves memory"


def subscribe_and_refresh(capsys: pytest.CaptureFixture[str], lib: str, url: str) -> int:
    assert run(capsys, "--library", lib, "add", url)[0] == 0
    assert run(capsys, "--library", lib, "refresh")[0] == 0
    _code, out, _ = run(capsys, "--library", lib, "articles", "--json")
    [article] = json_lines(out)
    return int(article["id"])  # type: ignore[call-overload]


@pytest.fixture
def feed_url(http_server: ScriptedServer) -> str:
    body = "".join(f"<p>{p}</p>" for p in (P1, P2, P3))
    item = Item("essay", "On sleep: a note", body=body, link="https://example.org/essay")
    http_server.routes["/feed"] = Route(body=rss("Essays", [item]), headers=RSS_HEADERS)
    return http_server.url("/feed")


def test_highlight_note_and_list_as_json(
    capsys: pytest.CaptureFixture[str], library_path: Path, feed_url: str
) -> None:
    lib = str(library_path)
    article = subscribe_and_refresh(capsys, lib, feed_url)
    code, out, err = run(
        capsys,
        "--library", lib, "highlight", str(article), QUOTE,
        "--note", "Remember #sleep", "--color", "green",
    )  # fmt: skip
    assert code == 0 and "Highlighted “A good night of sleep improves memory”" in out, err
    code, out, _ = run(
        capsys, "--library", lib, "highlight", str(article), "the", "--occurrence", "2"
    )
    assert code == 0
    code, out, _ = run(capsys, "--library", lib, "note", str(article), "Worth re-reading.")
    assert code == 0 and f"added to article {article}" in out
    code, out, _ = run(capsys, "--library", lib, "highlights", "--json")
    rows = json_lines(out)
    assert {tuple(sorted(r)) for r in rows} >= {
        tuple(sorted(["id", "article_id", "quote", "note", "color", "tags", "anchor", "start",
                      "end", "uuid", "created", "updated"]))
    }  # fmt: skip
    first = next(r for r in rows if r["quote"] == QUOTE)
    assert (first["color"], first["note"], first["tags"], first["anchor"]) == (
        "green",
        "Remember #sleep",
        ["sleep"],
        "exact",
    )
    code, out, _ = run(capsys, "--library", lib, "highlights")
    assert code == 0 and "“A good night of sleep improves memory”" in out and "#sleep" in out


def test_highlight_errors_are_plain(
    capsys: pytest.CaptureFixture[str], library_path: Path, feed_url: str
) -> None:
    lib = str(library_path)
    article = subscribe_and_refresh(capsys, lib, feed_url)
    code, out, err = run(capsys, "--library", lib, "highlight", str(article), "not in the text")
    assert code == 1 and out == "" and "does not contain" in err
    code, _, err = run(capsys, "--library", lib, "highlight", "999", "x")
    assert code == 1 and "no article 999" in err
    args = ("--library", lib, "highlight", str(article), QUOTE, "--color", "red")
    assert "invalid choice" in rejected(capsys, *args)
    code, _, err = run(capsys, "--library", lib, "note", str(article), "  ")
    assert code == 1 and "needs some text" in err


def test_export_markdown_then_reexport_keeps_user_notes_and_edits(
    capsys: pytest.CaptureFixture[str], library_path: Path, feed_url: str, tmp_path: Path
) -> None:
    lib = str(library_path)
    article = subscribe_and_refresh(capsys, lib, feed_url)
    run(capsys, "--library", lib, "highlight", str(article), QUOTE, "--note", "first")
    vault = tmp_path / "vault"
    code, out, err = run(capsys, "--library", lib, "export", str(vault))
    assert code == 0 and "1 written" in out, err
    [file] = list(vault.glob("*.md"))
    assert file.name.endswith(f"-{article}.md") and file.name.startswith("2026-11-01-on-sleep")
    text = file.read_text(encoding="utf-8")
    front = yaml.safe_load(text.split("---\n")[1])
    assert front["title"] == "On sleep: a note" and front["gloss_id"] == article
    assert f"> {QUOTE}" in text and "first" in text

    with file.open("a", encoding="utf-8") as f:
        f.write("My own thoughts, which Gloss must keep.\n")
    run(capsys, "--library", lib, "highlight", str(article), "market hall", "--note", "second")
    code, out, _ = run(capsys, "--library", lib, "export", str(vault))
    updated = file.read_text(encoding="utf-8")
    assert code == 0 and "second" in updated
    assert updated.endswith("My own thoughts, which Gloss must keep.\n")

    # X13: the user edits the generated part; the next export does not overwrite it.
    edited = updated.replace("first", "first (my correction)")
    file.write_text(edited, encoding="utf-8")
    run(capsys, "--library", lib, "highlight", str(article), "city council")
    code, out, err = run(capsys, "--library", lib, "export", str(vault))
    assert code == 0 and "edited outside Gloss" in err
    assert file.read_text(encoding="utf-8") == edited
    assert len(list(vault.glob("*.md"))) == 2


def test_annotations_json_round_trip_into_a_fresh_library(
    capsys: pytest.CaptureFixture[str], library_path: Path, feed_url: str, tmp_path: Path
) -> None:
    lib = str(library_path)
    article = subscribe_and_refresh(capsys, lib, feed_url)
    run(
        capsys,
        "--library",
        lib,
        "highlight",
        str(article),
        QUOTE,
        "--note",
        "n #t",
        "--color",
        "pink",
    )
    run(capsys, "--library", lib, "note", str(article), "An article note")
    target = tmp_path / "out"
    code, out, _ = run(
        capsys, "--library", lib, "export", str(target), "--format", "annotations-json"
    )
    assert code == 0
    document = json.loads((target / "annotations.json").read_text(encoding="utf-8"))
    [item] = [i for i in document["first"]["items"] if i["motivation"] == "highlighting"]
    assert item["type"] == "Annotation" and item["target"]["source"] == "https://example.org/essay"
    kinds = {s["type"] for s in item["target"]["selector"]}
    assert kinds == {"TextQuoteSelector", "TextPositionSelector"}

    other = str(tmp_path / "new-computer.gloss")
    subscribe_and_refresh(capsys, other, feed_url)
    code, out, err = run(
        capsys, "--library", other, "import-annotations", str(target / "annotations.json")
    )
    assert code == 0 and "2 added" in out, err
    code, out, _ = run(
        capsys, "--library", other, "import-annotations", str(target / "annotations.json")
    )
    assert "0 added" in out and "2 already here" in out
    [h] = json_lines(run(capsys, "--library", other, "highlights", "--json")[1])
    assert (h["quote"], h["note"], h["color"], h["tags"], h["anchor"]) == (
        QUOTE,
        "n #t",
        "pink",
        ["t"],
        "exact",
    )
    with Library.open(Path(other)) as library:
        [note] = library.list_notes(library.list_articles().articles[0].id)
        assert note.body == "An article note"


def test_import_reports_articles_this_library_lacks_and_refuses_garbage(
    capsys: pytest.CaptureFixture[str], library_path: Path, feed_url: str, tmp_path: Path
) -> None:
    lib = str(library_path)
    article = subscribe_and_refresh(capsys, lib, feed_url)
    run(capsys, "--library", lib, "highlight", str(article), QUOTE)
    out_file = tmp_path / "a.json"
    run(capsys, "--library", lib, "export", str(out_file), "--format", "annotations-json")
    empty = str(tmp_path / "empty.gloss")
    code, out, err = run(capsys, "--library", empty, "import-annotations", str(out_file))
    assert code == 0 and "0 added" in out and "https://example.org/essay" in err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json", encoding="utf-8")
    code, out, err = run(capsys, "--library", lib, "import-annotations", str(garbage))
    assert code == 1 and out == "" and "gloss:" in err
