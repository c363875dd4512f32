"""The optional tray icon: the app icon with the unread count painted on it, and a small menu.

Off by default (Preferences → General). Where the desktop shows no tray icons (GNOME without the
AppIndicator extension, the offscreen platform of the tests) ``system_tray_available()`` is false
and the preference is disabled with a sentence saying why. ``TrayIconClass`` is what gets built:
tests put a class there that records what a real tray would show.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QRectF, Qt
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter
from PySide6.QtWidgets import QMenu, QSystemTrayIcon, QWidget

from reader.gui import resources

TrayIconClass: type[QSystemTrayIcon] = QSystemTrayIcon
BADGE_COLOUR = "#c92a2a"  # a red that reads on light and dark panels alike


def system_tray_available() -> bool:
    return QSystemTrayIcon.isSystemTrayAvailable()


def badge_text(unread: int) -> str:
    return "" if unread <= 0 else (f"{unread}" if unread < 100 else "99+")


def badge_icon(unread: int) -> QIcon:
    """The app icon, with the unread count in a red disc at its top right (none at zero)."""
    icon = QIcon()
    text = badge_text(unread)
    for size in (16, 22, 24, 32, 48, 64):
        pixmap = resources.app_pixmap(size)
        if text:
            painter = QPainter(pixmap)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            height = size * 0.58
            width = max(height, height * (0.55 + 0.3 * len(text)))
            disc = QRectF(size - width, 0, width, height)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(BADGE_COLOUR))
            painter.drawRoundedRect(disc, height / 2, height / 2)
            font = QFont()
            font.setBold(True)
            font.setPixelSize(max(6, round(height * (0.78 if len(text) < 3 else 0.62))))
            painter.setFont(font)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(disc, Qt.AlignmentFlag.AlignCenter, text)
            painter.end()
        icon.addPixmap(pixmap)
    return icon


class TrayIcon(QObject):
    """The icon, its tooltip and menu; what the menu does is the window's (callbacks)."""

    def __init__(
        self,
        parent: QWidget,
        *,
        toggle_window: Callable[[], None],
        refresh: Callable[[], None],
        quit_app: Callable[[], None],
    ) -> None:
        super().__init__(parent)
        self.icon = TrayIconClass(parent)
        self.icon.setObjectName("trayIcon")
        self.menu = QMenu(parent)
        self.menu.setObjectName("trayMenu")
        self.toggle_action = QAction("&Show Gloss", self.menu)
        self.toggle_action.setObjectName("tray_toggle")
        self.toggle_action.triggered.connect(lambda _c=False: toggle_window())
        self.refresh_action = QAction("&Refresh Now", self.menu)
        self.refresh_action.setObjectName("tray_refresh")
        self.refresh_action.triggered.connect(lambda _c=False: refresh())
        self.quit_action = QAction("&Quit Gloss", self.menu)
        self.quit_action.setObjectName("tray_quit")
        self.quit_action.triggered.connect(lambda _c=False: quit_app())
        self.menu.addAction(self.toggle_action)
        self.menu.addAction(self.refresh_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(
            lambda reason: (
                toggle_window() if reason == QSystemTrayIcon.ActivationReason.Trigger else None
            )
        )
        self.unread = -1
        self.set_unread(0)

    def set_unread(self, unread: int) -> None:
        if unread == self.unread:
            return
        self.unread = unread
        self.icon.setIcon(badge_icon(unread))
        self.icon.setToolTip(f"Gloss — {unread:,} unread" if unread else "Gloss — nothing unread")

    def set_window_shown(self, shown: bool) -> None:
        self.toggle_action.setText("&Hide Gloss" if shown else "&Show Gloss")

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def is_shown(self) -> bool:
        return self.icon.isVisible()

    def notify(self, title: str, message: str) -> None:
        self.icon.showMessage(title, message, resources.app_icon(), 10_000)

    def dispose(self) -> None:
        self.icon.hide()
        self.icon.setContextMenu(None)  # type: ignore[arg-type]
        self.menu.deleteLater()
        self.icon.deleteLater()
        self.deleteLater()
