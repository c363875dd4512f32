"""The window's side of "one window per library" (reader/core/desktop.py has the protocol).

The server answers on its own threads; each request crosses to the GUI thread by a queued signal
and is handled there by the window (``MainWindow.handle_instance_request``), which calls
``reply`` once it knows the answer: at once for "raise", after the subscription for "add".
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal, Slot

from reader.core.desktop import InstanceServer, Transport

log = logging.getLogger("gloss.gui")

Reply = Callable[[dict[str, Any]], None]
Handler = Callable[[dict[str, Any], Reply], None]


class WindowInstance(QObject):
    _request = Signal(object, object)  # (message, reply), emitted on a server thread

    def __init__(
        self,
        library: Path,
        handler: Handler | None = None,
        parent: QObject | None = None,
        *,
        transport: Transport | None = None,
    ) -> None:
        super().__init__(parent)
        self._handler = handler
        self._request.connect(self._deliver)
        self.server = InstanceServer(library, self._request.emit, transport=transport)

    def set_handler(self, handler: Handler) -> None:
        self._handler = handler

    def start(self) -> bool:
        """Listen; ``False`` when another window already serves this library."""
        try:
            return self.server.start()
        except OSError as e:  # no socket here: the window still works, alone
            log.warning("single instance is off: %s", e)
            return True

    def close(self) -> None:
        self.server.close()

    @Slot(object, object)
    def _deliver(self, message: dict[str, Any], reply: Reply) -> None:
        if self._handler is None:
            reply({"ok": False, "error": "the window is still starting"})
            return
        try:
            self._handler(message, reply)
        except Exception as e:
            reply({"ok": False, "error": f"the window failed: {e}"})
            raise
