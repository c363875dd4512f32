"""Shared fixtures. Qt runs offscreen; servers bind 127.0.0.1 and stop with their test."""

from __future__ import annotations

import ipaddress
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http_server import ScriptedServer

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# The single-instance sockets of windows the tests open (and the ones the CLI tests look for)
# live in a folder of their own, never beside the user's own running Gloss.
os.environ.setdefault("GLOSS_INSTANCE_DIR", tempfile.mkdtemp(prefix="gloss-tests-"))


def _refuse_the_network(event: str, args: tuple[object, ...]) -> None:
    """Tests talk to 127.0.0.1 only: any lookup or connection elsewhere fails loudly here,
    instead of quietly reaching the internet on a machine that has it."""
    if event == "socket.getaddrinfo":
        host = args[0]
        if isinstance(host, bytes):
            host = host.decode("ascii", "replace")
        if host is None or _is_local(str(host)):
            return
        raise OSError(f"tests must not reach the network (lookup of {host!r})")
    if event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not _is_local(str(address[0])):
            raise OSError(f"tests must not reach the network (connect to {address!r})")


def _is_local(host: str) -> bool:
    if host in ("localhost", "", "0.0.0.0"):
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


sys.addaudithook(_refuse_the_network)


@pytest.fixture
def http_server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as server:
        yield server


@pytest.fixture
def library_path(tmp_path: Path) -> Path:
    return tmp_path / "library.gloss"
