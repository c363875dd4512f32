"""Desktop integration without Qt: feed: links, the per-feed notify flag, the default full-text
policy of new feeds, and the single-instance socket (both transports, stale sockets)."""

from __future__ import annotations

import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.core.desktop import (
    InstanceServer,
    Transport,
    ask_running_window,
    endpoint_for,
    instance_key,
    is_feed_link,
    normalise_feed_link,
)
from reader.core.errors import GlossError, NotFoundError
from reader.core.library import Library
from reader.core.types import FeedId, FullTextPolicy
from tests.support.feeds import Item, rss

# ---- feed: links ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("link", "url"),
    [
        ("feed://example.org/rss", "http://example.org/rss"),
        ("feeds://example.org/rss", "https://example.org/rss"),
        ("feed:https://example.org/rss", "https://example.org/rss"),
        ("feed:http://example.org/rss", "http://example.org/rss"),
        ("FEED://Example.org/a/b.xml?x=1&y=2", "http://Example.org/a/b.xml?x=1&y=2"),
        ("feed:HTTPS://example.org:8443/atom", "https://example.org:8443/atom"),
        ("  feed://example.org/rss\n", "http://example.org/rss"),
        ("feeds:https://example.org/rss", "https://example.org/rss"),
    ],
)
def test_feed_links_become_web_addresses(link: str, url: str) -> None:
    assert is_feed_link(link)
    assert normalise_feed_link(link) == url


@pytest.mark.parametrize(
    ("link", "says"),
    [
        ("feed:ftp://example.org/rss", "only to web feeds"),
        ("feed:javascript:alert(1)", "only to web feeds"),
        ("feed:file:///etc/passwd", "only to web feeds"),
        ("feed:example.org/rss", "does not name a web address"),
        ("feed://", "no host name"),
        ("feed:https://", "no host name"),
        ("https://example.org/rss", "is not a feed link"),
        ("mailto:someone@example.org", "is not a feed link"),
    ],
)
def test_other_links_are_refused_with_a_sentence(link: str, says: str) -> None:
    with pytest.raises(GlossError, match=says):
        normalise_feed_link(link)


def test_only_feed_schemes_count_as_feed_links() -> None:
    assert not is_feed_link("https://example.org/feed")
    assert not is_feed_link("feeds")
    assert not is_feed_link("add")


# ---- the notify flag and the default full-text policy ----------------------------------------


def _feed(library: Library, name: str = "alpha") -> FeedId:
    feed_id, _n, _c = library.add_feed_document(
        f"https://example.org/{name}.xml", rss(name.title(), [Item(guid="1", title="One")])
    )
    return feed_id


def test_notify_is_off_by_default_and_persists(library_path: Path) -> None:
    with Library.open(library_path) as library:
        feed_id = _feed(library)
        assert library.get_feed(feed_id).notify is False
        changes = library.set_feed_notify(feed_id, True)
        assert changes.feeds == {feed_id}
    with Library.open(library_path, readonly=True) as library:
        assert library.get_feed(feed_id).notify is True
        assert [f.notify for f in library.list_feeds()] == [True]
    with Library.open(library_path) as library:
        library.set_feed_notify(feed_id, False)
        assert library.get_feed(feed_id).notify is False
        with pytest.raises(NotFoundError):
            library.set_feed_notify(FeedId(999), True)


def test_notify_column_is_added_by_step_0005(library_path: Path) -> None:
    Library.open(library_path).close()
    conn = sqlite3.connect(library_path)
    columns = {row[1]: row for row in conn.execute("PRAGMA table_info(feeds)")}
    conn.close()
    assert columns["notify"][2] == "INTEGER"
    assert columns["notify"][3] == 1  # NOT NULL
    assert columns["notify"][4] == "0"


def test_new_feeds_start_with_the_default_full_text_policy(library_path: Path) -> None:
    with Library.open(library_path) as library:
        first = _feed(library, "alpha")
        assert library.offline_settings().full_text_default is FullTextPolicy.AUTO
        settings = library.set_offline_settings(full_text_default=FullTextPolicy.NEVER)
        assert settings.full_text_default is FullTextPolicy.NEVER
        second, _changes = library.subscribe("https://example.org/beta.xml")
        opml = (
            b'<?xml version="1.0"?><opml version="2.0"><body>'
            b'<outline type="rss" text="Gamma" xmlUrl="https://example.org/gamma.xml"/>'
            b"</body></opml>"
        )
        library.import_opml(opml)
        by_url = {f.url: f for f in library.list_feeds()}
        assert library.get_feed(first).full_text is FullTextPolicy.AUTO  # existing: unchanged
        assert library.get_feed(second).full_text is FullTextPolicy.NEVER
        assert by_url["https://example.org/gamma.xml"].full_text is FullTextPolicy.NEVER
        # the other offline settings are untouched by it
        assert library.offline_settings().images is True


# ---- the single-instance socket --------------------------------------------------------------


@pytest.fixture
def instance_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    # a short folder: a Unix socket's path has room for about 100 bytes
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="gi-"))
    monkeypatch.setenv("GLOSS_INSTANCE_DIR", str(folder))
    return folder


Replier = Callable[[dict[str, Any]], None]


@pytest.fixture
def serve(instance_dir: Path) -> Iterator[Callable[..., InstanceServer]]:
    servers: list[InstanceServer] = []

    def start(library: Path, transport: Transport, handler: Any = None) -> InstanceServer:
        def echo(message: dict[str, Any], reply: Replier) -> None:
            reply({"ok": True, "command": message.get("command"), "url": message.get("url")})

        server = InstanceServer(library, handler or echo, transport=transport)
        assert server.start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


TRANSPORTS: list[Transport] = ["unix", "tcp"]


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_request_reaches_the_window_of_the_same_library_only(
    serve: Callable[..., InstanceServer], tmp_path: Path, transport: Transport
) -> None:
    library = tmp_path / "library.gloss"
    assert ask_running_window(library, {"command": "raise"}, transport=transport) is None
    serve(library, transport)
    reply = ask_running_window(
        library, {"command": "add", "url": "https://e.example/"}, transport=transport
    )
    assert reply == {"ok": True, "command": "add", "url": "https://e.example/"}
    other = tmp_path / "other.gloss"
    assert ask_running_window(other, {"command": "raise"}, transport=transport) is None


@pytest.mark.parametrize("transport", TRANSPORTS)
def test_a_second_server_for_the_same_library_does_not_start(
    serve: Callable[..., InstanceServer], tmp_path: Path, transport: Transport
) -> None:
    library = tmp_path / "library.gloss"
    first = serve(library, transport)
    second = InstanceServer(library, lambda m, r: r({"ok": True}), transport=transport)
    assert second.start() is False
    assert not second.listening
    second.close()
    assert ask_running_window(library, {"command": "raise"}, transport=transport) is not None
    first.close()
    assert ask_running_window(library, {"command": "raise"}, transport=transport) is None
    assert endpoint_for(library, transport=transport) is not None
    path = endpoint_for(library, transport=transport)
    assert path is not None and not path.path.exists()  # closing removes it


def test_a_stale_socket_is_ignored_by_clients_and_replaced_by_the_next_window(
    serve: Callable[..., InstanceServer], tmp_path: Path
) -> None:
    library = tmp_path / "library.gloss"
    endpoint = endpoint_for(library, transport="unix")
    assert endpoint is not None
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(str(endpoint.path))  # bound, never listening: what a killed window leaves
    crashed.close()
    assert endpoint.path.exists()
    assert ask_running_window(library, {"command": "raise"}, transport="unix") is None
    serve(library, "unix")
    assert ask_running_window(library, {"command": "raise"}, transport="unix") is not None


def test_a_stale_port_file_is_ignored_and_replaced(
    serve: Callable[..., InstanceServer], tmp_path: Path
) -> None:
    library = tmp_path / "library.gloss"
    endpoint = endpoint_for(library, transport="tcp")
    assert endpoint is not None
    unused = socket.socket()
    unused.bind(("127.0.0.1", 0))
    port = unused.getsockname()[1]
    unused.close()
    endpoint.path.write_text(f'{{"port": {port}, "token": "old"}}', encoding="utf-8")
    assert ask_running_window(library, {"command": "raise"}, transport="tcp") is None
    serve(library, "tcp")
    assert ask_running_window(library, {"command": "raise"}, transport="tcp") is not None


def test_a_tcp_request_without_the_token_is_refused(
    serve: Callable[..., InstanceServer], tmp_path: Path
) -> None:
    library = tmp_path / "library.gloss"
    seen: list[dict[str, Any]] = []
    serve(library, "tcp", lambda m, r: (seen.append(m), r({"ok": True})))
    endpoint = endpoint_for(library, transport="tcp")
    assert endpoint is not None
    import json

    port = json.loads(endpoint.path.read_text(encoding="utf-8"))["port"]
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(b'{"gloss": 1, "command": "add", "url": "https://evil.example/"}\n')
        answer = sock.recv(4096)
    assert json.loads(answer) == {"ok": False, "error": "wrong token"}
    assert seen == []


def test_the_socket_folder_and_socket_are_private(
    serve: Callable[..., InstanceServer], tmp_path: Path, instance_dir: Path
) -> None:
    library = tmp_path / "library.gloss"
    serve(library, "unix")
    endpoint = endpoint_for(library, transport="unix")
    assert endpoint is not None
    assert instance_dir.stat().st_mode & 0o077 == 0
    assert endpoint.path.stat().st_mode & 0o077 == 0


def test_the_reply_can_come_later_from_another_thread(
    serve: Callable[..., InstanceServer], tmp_path: Path
) -> None:
    library = tmp_path / "library.gloss"

    def later(message: dict[str, Any], reply: Replier) -> None:
        threading.Timer(0.3, lambda: reply({"ok": True, "late": True})).start()

    serve(library, "unix", later)
    assert ask_running_window(library, {"command": "add"}, transport="unix") == {
        "ok": True,
        "late": True,
    }


def test_a_handler_that_fails_still_answers(
    serve: Callable[..., InstanceServer], tmp_path: Path
) -> None:
    library = tmp_path / "library.gloss"

    def broken(message: dict[str, Any], reply: Replier) -> None:
        raise RuntimeError("boom")

    serve(library, "unix", broken)
    reply = ask_running_window(library, {"command": "raise"}, transport="unix")
    assert reply is not None and reply["ok"] is False and "boom" in reply["error"]


def test_the_key_names_user_and_library_not_the_spelling_of_its_path(tmp_path: Path) -> None:
    library = tmp_path / "library.gloss"
    assert instance_key(library) == instance_key(tmp_path / "." / "library.gloss")
    assert instance_key(library) != instance_key(tmp_path / "other.gloss")
