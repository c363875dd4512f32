"""Desktop integration that needs no Qt: ``feed:`` links, and talking to the window already open.

**feed: links.** Browsers hand "subscribe" links to the program registered for the ``feed:`` and
``feeds:`` schemes (``gloss.desktop`` has ``Exec=gloss %u``). Two spellings are in use:
``feed://example.org/rss`` (the web address with its scheme replaced: ``http``, or ``https`` for
``feeds://``) and ``feed:https://example.org/rss`` (the web address wrapped). Only http and https
addresses come out of :func:`normalise_feed_link`; anything else is refused with a sentence.

**One window per library.** A running window serves a local socket named after its library file
and the user; a second ``gloss`` raises that window, ``gloss add URL`` subscribes there and a feed
link opens its Add Feed dialog, instead of a second window or a second writer. The protocol is one
JSON object per line, each way: ``{"gloss": 1, "command": ..., ...}`` then the reply
``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.

Both ends use the standard library's sockets. The command line must not pay for importing Qt (and
``reader/core`` never imports it); the window runs :class:`InstanceServer` on a thread and hands
each request to its GUI thread (reader/gui/instance.py), so QtNetwork, which the bundle leaves
out, is not needed either. Where the platform has Unix sockets the socket lives in a folder only
the user can enter (``$XDG_RUNTIME_DIR/gloss``, else ``<tmp>/gloss-<uid>`` made private);
elsewhere (Windows) the window listens on 127.0.0.1 and writes its port and a random token into a
file in the user's own folder, and a request without that token is refused.

A window that crashed leaves its socket (or port file) behind: nothing answers there, so the
command line carries on alone and the next window removes it before listening.
"""

from __future__ import annotations

import contextlib
import errno
import getpass
import hashlib
import json
import logging
import os
import secrets
import socket
import stat
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from reader.core.errors import GlossError

log = logging.getLogger("gloss.instance")

PROTOCOL = 1
MAX_MESSAGE = 64 * 1024  # bytes in one request or reply line
INSTANCE_DIR_ENV = "GLOSS_INSTANCE_DIR"  # tests point the sockets at a folder of their own
READ_TIMEOUT = 5.0  # seconds a connected client has to send its request
REPLY_TIMEOUT = 300.0  # seconds the server waits for the window to answer one request
MAX_UNIX_PATH = 100  # sun_path holds 104 (macOS) or 108 (Linux) bytes

Transport = Literal["unix", "tcp"]
Reply = dict[str, Any]
Handler = Callable[[dict[str, Any], Callable[[Reply], None]], None]


# ---- feed: links ---------------------------------------------------------------------------

FEED_SCHEMES = ("feed", "feeds")


def is_feed_link(text: str) -> bool:
    """Whether ``text`` is written as a ``feed:`` or ``feeds:`` link (valid or not)."""
    scheme, colon, _rest = text.strip().partition(":")
    return bool(colon) and scheme.lower() in FEED_SCHEMES


def normalise_feed_link(link: str) -> str:
    """The http(s) address a ``feed:``/``feeds:`` link stands for.

    ``feed://host/path`` → ``http://host/path``; ``feeds://host/path`` → ``https://host/path``;
    ``feed:https://host/path`` → ``https://host/path``. Raises ``GlossError`` with a sentence
    for any other scheme, inside or outside, and for an address without a host.
    """
    text = link.strip()
    scheme, colon, rest = text.partition(":")
    if not colon or scheme.lower() not in FEED_SCHEMES:
        raise GlossError(
            f"“{_short(text)}” is not a feed link: they start with feed: or feeds: "
            "(feed://example.org/rss or feed:https://example.org/rss)."
        )
    if rest.startswith("//"):
        url = ("https:" if scheme.lower() == "feeds" else "http:") + rest
    else:
        inner, inner_colon, _ = rest.partition(":")
        if not inner_colon or "/" in inner:
            raise GlossError(
                f"“{_short(text)}” does not name a web address: a feed link is "
                "feed://host/path or feed:https://host/path."
            )
        if inner.lower() not in ("http", "https"):
            raise GlossError(
                f"“{_short(text)}” is not an http or https address: Gloss subscribes only to "
                "web feeds."
            )
        url = inner.lower() + ":" + rest[len(inner) + 1 :]
    parts = urlsplit(url)
    if not parts.hostname or not parts.netloc or any(c.isspace() for c in url):
        raise GlossError(f"“{_short(text)}” has no host name to fetch a feed from.")
    return url


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# ---- where a window listens ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where the window of one library listens: a Unix socket, or a file naming a TCP port."""

    transport: Transport
    path: Path  # the socket (unix), or the JSON file holding port and token (tcp)

    @property
    def lock_path(self) -> Path:
        return self.path.with_suffix(".lock")


def default_transport() -> Transport:
    return "unix" if hasattr(socket, "AF_UNIX") else "tcp"


def instance_key(library: Path) -> str:
    """A name for (user, library file): the same library reached by two paths is one key."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        user = str(os.getuid()) if hasattr(os, "getuid") else "user"
    resolved = os.path.realpath(os.path.abspath(os.fspath(library)))
    return hashlib.sha256(f"{user}\0{resolved}".encode()).hexdigest()[:20]


def private_dir() -> Path | None:
    """A folder only this user can enter, for the sockets; ``None`` when none can be had (the
    window then runs without the single-instance service, and says so in its log)."""
    override = os.environ.get(INSTANCE_DIR_ENV)
    if override:
        base = Path(override)
    elif hasattr(os, "getuid"):
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime and Path(runtime).is_dir():
            base = Path(runtime) / "gloss"
        else:
            base = Path(tempfile.gettempdir()) / f"gloss-{os.getuid()}"
    else:
        import platformdirs

        base = Path(platformdirs.user_runtime_dir("Gloss", appauthor=False))
    try:
        base.mkdir(mode=0o700, parents=True, exist_ok=True)
        if hasattr(os, "getuid"):
            info = base.lstat()
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                log.warning("%s is not a folder of this user; single instance is off", base)
                return None
            if info.st_mode & 0o077:
                base.chmod(0o700)
    except OSError as e:
        log.warning("no private folder for the window's socket (%s); single instance is off", e)
        return None
    return base


def endpoint_for(library: Path, *, transport: Transport | None = None) -> Endpoint | None:
    transport = transport or default_transport()
    base = private_dir()
    if base is None:
        return None
    key = instance_key(library)
    if transport == "tcp":
        return Endpoint("tcp", base / f"{key}.port")
    path = base / f"{key}.sock"
    if len(os.fsencode(path)) > MAX_UNIX_PATH:
        log.warning("socket path too long (%s); single instance is off", path)
        return None
    return Endpoint("unix", path)


# ---- the client (the command line, a second start) -----------------------------------------


class NoWindow(Exception):
    """Nothing listens for this library (no socket, or a stale one)."""


def ask_running_window(
    library: Path,
    message: dict[str, Any],
    *,
    timeout: float = 10.0,
    transport: Transport | None = None,
) -> Reply | None:
    """Send ``message`` to the window open on ``library``; its reply, or ``None`` when no window
    runs there. A window that takes the request but does not answer raises ``GlossError``."""
    endpoint = endpoint_for(library, transport=transport)
    if endpoint is None:
        return None
    try:
        return _exchange(endpoint, message, timeout=timeout)
    except NoWindow:
        return None


def _exchange(endpoint: Endpoint, message: dict[str, Any], *, timeout: float) -> Reply:
    request = {"gloss": PROTOCOL, **message}
    try:
        sock, token = _connect(endpoint)
    except OSError as e:
        raise NoWindow(str(e)) from e
    with sock:
        if token is not None:
            request["token"] = token
        try:
            sock.settimeout(timeout)
            sock.sendall(json.dumps(request).encode("utf-8") + b"\n")
            line = _read_line(sock)
        except TimeoutError as e:
            raise GlossError(
                f"The open Gloss window did not answer within {timeout:.0f} seconds."
            ) from e
        except OSError as e:
            raise GlossError(f"The open Gloss window hung up: {e.strerror or e}.") from e
    if not line:
        raise GlossError("The open Gloss window closed the connection without an answer.")
    try:
        reply = json.loads(line)
    except ValueError as e:
        raise GlossError("The open Gloss window answered something that is not JSON.") from e
    if not isinstance(reply, dict):
        raise GlossError("The open Gloss window answered something unexpected.")
    return reply


def _connect(endpoint: Endpoint) -> tuple[socket.socket, str | None]:
    """A connected socket (and the token a TCP window wants); ``OSError`` when nobody listens."""
    if endpoint.transport == "unix":
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(2.0)
        try:
            sock.connect(os.fspath(endpoint.path))
        except OSError:
            sock.close()
            raise
        return sock, None
    try:
        info = json.loads(endpoint.path.read_text(encoding="utf-8"))
        port, token = int(info["port"]), str(info["token"])
    except (ValueError, KeyError, TypeError) as e:
        raise OSError(errno.ENOENT, f"unreadable {endpoint.path.name}") from e
    sock = socket.create_connection(("127.0.0.1", port), timeout=2.0)
    return sock, token


def _read_line(sock: socket.socket) -> bytes:
    data = b""
    while b"\n" not in data:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
        if len(data) > MAX_MESSAGE:
            raise GlossError("A message on the window's socket was too long.")
    return data.split(b"\n", 1)[0]


# ---- the server (the window) ---------------------------------------------------------------


class InstanceServer:
    """Listens for one library's window; each request goes to ``handler(message, reply)``.

    ``handler`` runs on a connection's thread and must call ``reply`` exactly once, from any
    thread, when the answer is known (the window does its work on its GUI thread first). ``ping``
    is answered here, without the handler: it is how a starting window learns that another one
    already serves the library.
    """

    def __init__(
        self, library: Path, handler: Handler, *, transport: Transport | None = None
    ) -> None:
        self.library = library
        self.endpoint = endpoint_for(library, transport=transport)
        self._handler = handler
        self._sock: socket.socket | None = None
        self._token = secrets.token_hex(16)
        self._inode: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def listening(self) -> bool:
        return self._sock is not None

    def start(self) -> bool:
        """Listen. ``False`` when another window already answers for this library; ``True``
        when this one now does (or when no private folder exists: then nobody can ask)."""
        endpoint = self.endpoint
        if endpoint is None:
            return True
        with _file_lock(endpoint.lock_path):
            if _answers(endpoint):
                return False
            self._sock = self._listen(endpoint)
        self._thread = threading.Thread(target=self._serve, name="gloss-instance", daemon=True)
        self._thread.start()
        log.info("listening for other starts at %s", endpoint.path)
        return True

    def _listen(self, endpoint: Endpoint) -> socket.socket:
        if endpoint.transport == "unix":
            if endpoint.path.exists() or endpoint.path.is_symlink():
                log.info("removing the stale socket %s", endpoint.path)
                endpoint.path.unlink()  # a crashed window's: nobody answered on it
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.bind(os.fspath(endpoint.path))
            os.chmod(endpoint.path, 0o600)
            self._inode = endpoint.path.stat().st_ino
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            info = {"port": sock.getsockname()[1], "token": self._token, "pid": os.getpid()}
            temporary = endpoint.path.with_suffix(".tmp")
            temporary.write_text(json.dumps(info), encoding="utf-8")
            os.replace(temporary, endpoint.path)
        sock.listen(8)
        sock.settimeout(0.2)  # the accept loop looks at the stop flag this often
        return sock

    def close(self) -> None:
        """Stop listening and remove the socket (or port file), if it is still this window's."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._remove_endpoint()

    def _remove_endpoint(self) -> None:
        endpoint = self.endpoint
        if endpoint is None:
            return
        try:
            if endpoint.transport == "unix":
                if endpoint.path.stat().st_ino == self._inode:
                    endpoint.path.unlink()
            else:
                info = json.loads(endpoint.path.read_text(encoding="utf-8"))
                if info.get("token") == self._token:
                    endpoint.path.unlink()
        except (OSError, ValueError):
            pass

    def _serve(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            try:
                connection, _address = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            threading.Thread(
                target=self._answer, args=(connection,), name="gloss-instance-client", daemon=True
            ).start()

    def _answer(self, connection: socket.socket) -> None:
        with connection:
            try:
                connection.settimeout(READ_TIMEOUT)
                reply = self._handle(_read_line(connection))
                connection.settimeout(READ_TIMEOUT)
                connection.sendall(json.dumps(reply).encode("utf-8") + b"\n")
            except (OSError, GlossError) as e:
                log.info("a request on the window's socket failed: %s", e)

    def _handle(self, line: bytes) -> Reply:
        try:
            message = json.loads(line)
        except ValueError:
            return {"ok": False, "error": "not a JSON request"}
        if not isinstance(message, dict) or message.get("gloss") != PROTOCOL:
            return {"ok": False, "error": f"not a Gloss request (protocol {PROTOCOL})"}
        tcp = self.endpoint is not None and self.endpoint.transport == "tcp"
        if tcp and not secrets.compare_digest(str(message.get("token", "")), self._token):
            return {"ok": False, "error": "wrong token"}
        if message.get("command") == "ping":
            return {"ok": True, "pid": os.getpid()}
        answered = threading.Event()
        box: list[Reply] = []

        def reply(value: Reply) -> None:
            if not answered.is_set():
                box.append(value)
                answered.set()

        try:
            self._handler(message, reply)
        except Exception as e:  # the window's bug must not leave the client hanging
            log.exception("the window could not take a request")
            reply({"ok": False, "error": f"the window failed: {e}"})
        if not answered.wait(REPLY_TIMEOUT):
            return {"ok": False, "error": "the window did not finish in time"}
        return box[0]


def _answers(endpoint: Endpoint) -> bool:
    """Whether a live window listens at ``endpoint`` (it answers a ping)."""
    try:
        reply = _exchange(endpoint, {"command": "ping"}, timeout=3.0)
    except (NoWindow, GlossError):
        return False
    return bool(reply.get("ok"))


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """Two windows starting at once: one checks and listens, then the other (which then finds
    the first one answering)."""
    with open(path, "a+b") as handle:
        if sys.platform == "win32":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
