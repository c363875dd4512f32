"""Several Gloss processes writing one library at once (reliability.md D3): the window and a
``gloss refresh`` from cron, or a script adding feeds in parallel. None may fail with
"database is locked", and a library being created must not look like someone else's file."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.feeds import RSS_HEADERS, Item, rss
from tests.support.http_server import Route, ScriptedServer

ROOT = Path(__file__).resolve().parents[2]


def test_parallel_adds_to_a_new_library_all_succeed(
    tmp_path: Path, http_server: ScriptedServer
) -> None:
    library = tmp_path / "library.gloss"
    for i in range(8):
        items = [Item(f"{i}-{n}", f"Post {n} of feed {i}") for n in range(20)]
        http_server.routes[f"/feed{i}.xml"] = Route(
            body=rss(f"Feed {i}", items), headers=RSS_HEADERS
        )
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "reader",
                "--library",
                str(library),
                "add",
                http_server.url(f"/feed{i}.xml"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(8)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read() if p.stderr else "") for p in processes]
    assert [code for code, _ in outcomes] == [0] * 8, outcomes
    listed = subprocess.run(
        [sys.executable, "-m", "reader", "--library", str(library), "feeds", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    feeds = [json.loads(line) for line in listed.stdout.splitlines()]
    assert sorted(f["title"] for f in feeds) == [f"Feed {i}" for i in range(8)]
    assert all(f["unread"] == 20 for f in feeds)
