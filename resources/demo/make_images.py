"""Draw the illustrations of the bundled demo library (resources/demo/images/).

Run it once after changing a drawing and commit the images it writes:

    QT_QPA_PLATFORM=offscreen .venv/bin/python resources/demo/make_images.py [NAME.png ...]

(PySide6 6.12.0 on Python 3.11 aborts here with "deallocating None": its void methods drop a
reference to None, and this script calls thousands of them. The images were made with 6.11.3.)

Every picture is drawn here, with Qt's painter, so the demo carries no third-party artwork. The
drawings use a fixed random seed and so come out the same on every run (with the same fonts).
Images are drawn at twice their display size and the articles give the display size in
``width``/``height``, so they stay sharp on high-density screens.
"""

from __future__ import annotations

import array
import collections
import math
import os
import random
import sys
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QImage,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QRadialGradient,
)

OUT = Path(__file__).resolve().parent / "images"
SCALE = 2

PAPER = QColor("#fbf8f1")
INK = QColor("#2e2a26")
MUTED = QColor("#8a837a")
RULE = QColor("#d8d1c4")
TEAL = QColor("#2f7f7a")
OCHRE = QColor("#d9a441")
BRICK = QColor("#b5523b")
SAGE = QColor("#8da47e")
HIGHLIGHT = QColor("#f3dc6b")
SKY = QColor("#4a78a8")

SANS = "DejaVu Sans"
SERIF = "DejaVu Serif"
MONO = "DejaVu Sans Mono"

Drawing = Callable[[QPainter, float, float], None]
DRAWINGS: dict[str, tuple[int, int, Drawing]] = {}


def drawing(name: str, width: int, height: int) -> Callable[[Drawing], Drawing]:
    def register(draw: Drawing) -> Drawing:
        DRAWINGS[name] = (width, height, draw)
        return draw

    return register


def font(family: str, size: float, *, bold: bool = False, italic: bool = False) -> QFont:
    f = QFont(family)
    f.setPixelSize(max(1, round(size)))
    f.setBold(bold)
    f.setItalic(italic)
    return f


def text(
    p: QPainter,
    x: float,
    y: float,
    s: str,
    *,
    size: float = 11,
    color: QColor = INK,
    family: str = SANS,
    bold: bool = False,
    italic: bool = False,
    align: str = "left",
) -> None:
    """Draw ``s`` with its baseline at ``y``; ``align`` is left, center or right of ``x``."""
    f = font(family, size, bold=bold, italic=italic)
    p.setFont(f)
    p.setPen(color)
    w = QFontMetricsF(f).horizontalAdvance(s)
    if align == "center":
        x -= w / 2
    elif align == "right":
        x -= w
    p.drawText(QPointF(x, y), s)


def no_pen(p: QPainter) -> None:
    p.setPen(Qt.PenStyle.NoPen)


def pen(p: QPainter, color: QColor, width: float = 1.0, *, dash: bool = False) -> None:
    q = QPen(color, width)
    q.setCapStyle(Qt.PenCapStyle.RoundCap)
    q.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    if dash:
        q.setStyle(Qt.PenStyle.DashLine)
    p.setPen(q)


def bar(p: QPainter, x: float, y: float, w: float, h: float, color: QColor) -> None:
    """A rounded bar: stands for a line of text in the diagrams."""
    no_pen(p)
    p.setBrush(color)
    p.drawRoundedRect(QRectF(x, y, w, h), h / 2, h / 2)


def arrow(p: QPainter, a: QPointF, b: QPointF, color: QColor, width: float = 1.4) -> None:
    pen(p, color, width)
    p.drawLine(a, b)
    angle = math.atan2(b.y() - a.y(), b.x() - a.x())
    head = 7.0
    for side in (-0.45, 0.45):
        tip = QPointF(b.x() - head * math.cos(angle + side), b.y() - head * math.sin(angle + side))
        p.drawLine(b, tip)


# ---- Welcome to Gloss --------------------------------------------------------------------------


@drawing("panes.png", 640, 360)
def draw_panes(p: QPainter, w: float, h: float) -> None:
    frame = QRectF(24, 20, w - 48, h - 64)
    no_pen(p)
    p.setBrush(QColor(0, 0, 0, 18))
    p.drawRoundedRect(frame.translated(0, 3), 10, 10)
    p.setBrush(QColor("#ffffff"))
    pen(p, RULE, 1)
    p.drawRoundedRect(frame, 10, 10)
    # title bar
    no_pen(p)
    for i, c in enumerate((BRICK, OCHRE, SAGE)):
        p.setBrush(c)
        p.drawEllipse(QPointF(frame.left() + 16 + i * 14, frame.top() + 14), 4, 4)
    text(p, frame.center().x(), frame.top() + 18, "Gloss", size=10, color=MUTED, align="center")
    pen(p, RULE, 1)
    top = frame.top() + 28
    p.drawLine(QPointF(frame.left(), top), QPointF(frame.right(), top))
    left_w, mid_w = 150.0, 190.0
    x1 = frame.left() + left_w
    x2 = x1 + mid_w
    p.drawLine(QPointF(x1, top), QPointF(x1, frame.bottom()))
    p.drawLine(QPointF(x2, top), QPointF(x2, frame.bottom()))

    # feeds pane
    y = top + 22
    text(p, frame.left() + 12, y, "▾ Gloss demo", size=10, bold=True)
    feeds = [("Welcome to Gloss", 6), ("Field Notes", 5), ("The Slow Kitchen", 5), ("Margins", 5)]
    for i, (name, count) in enumerate(feeds):
        y += 20
        if i == 0:
            no_pen(p)
            p.setBrush(QColor(TEAL.red(), TEAL.green(), TEAL.blue(), 34))
            p.drawRect(QRectF(frame.left() + 1, y - 14, left_w - 1, 20))
        text(p, frame.left() + 24, y, name, size=9.5)
        text(p, x1 - 10, y, str(count), size=9, color=MUTED, align="right")

    # articles pane
    y = top + 10
    for i in range(6):
        if i == 0:
            no_pen(p)
            p.setBrush(QColor(TEAL.red(), TEAL.green(), TEAL.blue(), 34))
            p.drawRect(QRectF(x1 + 1, y - 4, mid_w - 1, 38))
        no_pen(p)
        p.setBrush(TEAL)
        p.drawEllipse(QPointF(x1 + 11, y + 8), 3, 3)
        bar(p, x1 + 20, y + 4, mid_w - 40 - (i * 13) % 40, 7, INK if i == 0 else QColor("#5b544c"))
        bar(p, x1 + 20, y + 18, 60, 5, RULE)
        y += 38

    # reading pane
    rx = x2 + 18
    rw = frame.right() - rx - 18
    text(p, rx, top + 30, "Welcome to Gloss", size=14, family=SERIF, bold=True)
    bar(p, rx, top + 40, 90, 5, RULE)
    y = top + 60
    widths = [1.0, 0.96, 0.98, 0.7, 0, 1.0, 0.94, 0.97, 0.99, 0.55, 0, 1.0, 0.92, 0.8]
    for i, fraction in enumerate(widths):
        if fraction:
            if i in (6, 7):
                no_pen(p)
                p.setBrush(HIGHLIGHT)
                start = rx + (rw * 0.3 if i == 6 else 0)
                end = rx + rw * (fraction if i == 6 else 0.62)
                p.drawRect(QRectF(start - 2, y - 3, end - start + 4, 12))
            bar(p, rx, y, rw * fraction, 6, QColor("#6d665d"))
        y += 12 if fraction else 8

    for x, label in (
        (frame.left() + left_w / 2, "Feeds"),
        (x1 + mid_w / 2, "Articles"),
        ((x2 + frame.right()) / 2, "Reading"),
    ):
        text(p, x, h - 16, label, size=12, color=MUTED, align="center", italic=True)


@drawing("keys.png", 640, 220)
def draw_keys(p: QPainter, w: float, h: float) -> None:
    rows = [
        [("j", "next"), ("k", "previous"), ("n", "next unread"), ("p", "prev. unread")],
        [("space", "page down"), ("m", "read / unread"), ("s", "star"), ("v", "original")],
        [("r", "refresh"), ("/", "search"), ("?", "every key")],
    ]
    cap_h = 40.0
    column = 154.0
    y = 18.0
    for row in rows:
        x = 22.0
        for key, caption in row:
            kw = 66.0 if key == "space" else 40.0
            rect = QRectF(x, y, kw, cap_h)
            no_pen(p)
            p.setBrush(QColor("#cfc6b6"))
            p.drawRoundedRect(rect.translated(0, 3), 7, 7)
            p.setBrush(QColor("#ffffff"))
            pen(p, QColor("#bdb3a2"), 1)
            p.drawRoundedRect(rect, 7, 7)
            text(
                p,
                rect.center().x(),
                rect.top() + (25 if key == "space" else 27),
                key,
                size=12 if key == "space" else 18,
                family=MONO,
                align="center",
            )
            text(p, rect.right() + 9, rect.top() + 25, caption, size=11.5, color=MUTED)
            x += column
        y += cap_h + 28


@drawing("highlight-note.png", 640, 240)
def draw_highlight(p: QPainter, w: float, h: float) -> None:
    lines = [
        "Nothing is lost by reading a page twice.",
        "The second reading finds what the first",
        "passed over, and a mark in the margin",
        "is how one reader talks to the next.",
    ]
    f = font(SERIF, 16)
    fm = QFontMetricsF(f)
    x0, y0, lead = 30.0, 56.0, 32.0
    # highlight spans: line 1 from "finds" to the end, line 2 whole line up to "how"
    spans = [
        (1, "The second reading ", "finds what the first"),
        (2, "", "passed over"),
    ]
    no_pen(p)
    p.setBrush(HIGHLIGHT)
    for line_no, before, marked in spans:
        x = x0 + fm.horizontalAdvance(before)
        y = y0 + line_no * lead
        p.drawRoundedRect(
            QRectF(
                x - 3,
                y - fm.ascent() + 1,
                fm.horizontalAdvance(marked) + 6,
                fm.ascent() + fm.descent(),
            ),
            3,
            3,
        )
    for i, line in enumerate(lines):
        text(p, x0, y0 + i * lead, line, size=16, family=SERIF)
    # note card
    card = QRectF(w - 178, 36, 156, 112)
    no_pen(p)
    p.setBrush(QColor(0, 0, 0, 20))
    p.drawRoundedRect(card.translated(0, 3), 8, 8)
    p.setBrush(QColor("#fff9dc"))
    pen(p, QColor("#e4d48c"), 1)
    p.drawRoundedRect(card, 8, 8)
    text(p, card.left() + 14, card.top() + 24, "Note", size=11, bold=True, color=QColor("#7a6415"))
    for i, s in enumerate(
        ["Rereading as a", "conversation with", "yourself: use for", "the essay intro."]
    ):
        text(p, card.left() + 14, card.top() + 46 + i * 16, s, size=11.5, color=INK)
    y_hl = y0 + lead - fm.ascent() / 2
    pen(p, QColor("#c9b453"), 1.3, dash=True)
    p.drawLine(QPointF(x0 + fm.horizontalAdvance(lines[1]) + 8, y_hl), QPointF(card.left(), y_hl))
    text(
        p,
        x0,
        h - 22,
        "Select a passage, highlight it, and attach a note.",
        size=11.5,
        color=MUTED,
        italic=True,
    )


# ---- Field Notes -------------------------------------------------------------------------------


@drawing("sunset.jpg", 640, 340)
def draw_sunset(p: QPainter, w: float, h: float) -> None:
    sky = QLinearGradient(0, 0, 0, h * 0.78)
    sky.setColorAt(0.0, QColor("#1d2f5c"))
    sky.setColorAt(0.35, QColor("#4f5f99"))
    sky.setColorAt(0.62, QColor("#b7718a"))
    sky.setColorAt(0.82, QColor("#ef9a5a"))
    sky.setColorAt(1.0, QColor("#f8cf7e"))
    p.fillRect(QRectF(0, 0, w, h), QBrush(sky))
    sun = QPointF(w * 0.62, h * 0.7)
    glow = QRadialGradient(sun, 150)
    glow.setColorAt(0.0, QColor(255, 236, 180, 230))
    glow.setColorAt(0.15, QColor(255, 210, 140, 160))
    glow.setColorAt(1.0, QColor(255, 180, 120, 0))
    p.fillRect(QRectF(0, 0, w, h), QBrush(glow))
    no_pen(p)
    p.setBrush(QColor("#fff1c9"))
    p.drawEllipse(sun, 20, 20)
    rng = random.Random(7)
    ridges = [
        (0.70, QColor("#7b5a78"), 14),
        (0.78, QColor("#533f5e"), 20),
        (0.88, QColor("#2c2338"), 26),
    ]
    for base, color, amp in ridges:
        path = QPainterPath(QPointF(0, h))
        phase = rng.uniform(0, 6)
        x = 0.0
        while x <= w:
            y = h * base - amp * (
                math.sin(x / 70 + phase) * 0.6 + math.sin(x / 23 + phase * 2) * 0.25
            )
            path.lineTo(QPointF(x, y))
            x += 4
        path.lineTo(QPointF(w, h))
        path.closeSubpath()
        p.setBrush(color)
        p.drawPath(path)


@drawing("scattering.png", 640, 330)
def draw_scattering(p: QPainter, w: float, h: float) -> None:
    centre = QPointF(w / 2, h + 820)
    earth_r = 880.0
    air_r = earth_r + 120
    no_pen(p)
    air = QRadialGradient(centre, air_r)
    air.setColorAt(earth_r / air_r, QColor("#a9c6e6"))
    air.setColorAt(1.0, QColor(169, 198, 230, 25))
    p.setBrush(QBrush(air))
    p.drawEllipse(centre, air_r, air_r)
    p.setBrush(QColor("#9fb58a"))
    p.drawEllipse(centre, earth_r, earth_r)
    observer = QPointF(w / 2, h + 820 - earth_r)
    p.setBrush(INK)
    p.drawEllipse(observer, 4, 4)
    text(p, observer.x(), observer.y() + 20, "you", size=11, color=INK, align="center")

    def sun(at: QPointF) -> None:
        no_pen(p)
        p.setBrush(QColor(OCHRE.red(), OCHRE.green(), OCHRE.blue(), 70))
        p.drawEllipse(at, 20, 20)
        p.setBrush(OCHRE)
        p.drawEllipse(at, 13, 13)

    noon = QPointF(w / 2, 34)
    sun(noon)
    arrow(
        p,
        QPointF(noon.x(), noon.y() + 22),
        QPointF(observer.x(), observer.y() - 8),
        QColor("#e9c46a"),
        3,
    )
    text(p, noon.x() + 26, noon.y() + 5, "noon: a short path through the air", size=11.5, color=INK)
    text(
        p,
        noon.x() + 26,
        noon.y() + 22,
        "blue light scattered toward you fills the sky",
        size=10.5,
        color=MUTED,
    )

    dusk = QPointF(34, observer.y() - 44)
    sun(dusk)
    end = QPointF(observer.x() - 10, observer.y() - 3)
    arrow(p, QPointF(dusk.x() + 22, dusk.y() + 2), end, BRICK, 3)
    text(p, dusk.x() - 8, dusk.y() - 62, "sunset: a long, low path", size=11.5, color=INK)
    text(
        p,
        dusk.x() - 8,
        dusk.y() - 46,
        "most blue is scattered away before it reaches you",
        size=10.5,
        color=MUTED,
    )
    # scattered blue wiggles along the low path
    for t in (0.2, 0.38, 0.56, 0.74):
        a = QPointF(
            dusk.x() + 22 + (end.x() - dusk.x() - 22) * t,
            dusk.y() + 2 + (end.y() - dusk.y() - 2) * t,
        )
        for angle in (-70, -110, -150):
            rad = math.radians(angle)
            path = QPainterPath(a)
            for k in range(1, 13):
                d = k * 2.4
                wob = math.sin(k * 1.6) * 2.2
                path.lineTo(
                    QPointF(
                        a.x() + d * math.cos(rad) - wob * math.sin(rad),
                        a.y() + d * math.sin(rad) + wob * math.cos(rad),
                    )
                )
            pen(p, SKY, 1.3)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawPath(path)


@drawing("tree-rings.png", 640, 360)
def draw_tree_rings(p: QPainter, w: float, h: float) -> None:
    rng = random.Random(11)
    centre = QPointF(w * 0.4, h / 2 + 4)
    widths = [rng.uniform(5.0, 8.0) for _ in range(19)]
    narrow = 12
    widths[narrow] = 1.5
    phases = [rng.uniform(0, math.tau) for _ in range(3)]

    def ring_path(radius: float) -> QPainterPath:
        path = QPainterPath()
        steps = 180
        for i in range(steps + 1):
            a = i / steps * math.tau
            wobble = 1 + 0.025 * math.sin(3 * a + phases[0]) + 0.012 * math.sin(5 * a + phases[1])
            stretch = 1 + 0.08 * math.cos(a + phases[2])  # a tree leans; rings are wider downhill
            r = radius * wobble * stretch
            pt = QPointF(centre.x() + r * math.cos(a), centre.y() + r * math.sin(a))
            if i == 0:
                path.moveTo(pt)
            else:
                path.lineTo(pt)
        return path

    radii = []
    r = 6.0
    for width in widths:
        r += width
        radii.append(r)
    no_pen(p)
    p.setBrush(QColor("#6b4f3a"))
    p.drawPath(ring_path(radii[-1] + 12))
    for i in range(len(radii) - 1, -1, -1):
        p.setBrush(QColor("#e8cfa4") if i % 2 else QColor("#dcbb88"))
        if i == narrow:
            p.setBrush(BRICK)
        p.drawPath(ring_path(radii[i]))
        pen(p, QColor("#a47b52"), 1.1)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(ring_path(radii[i]))
        no_pen(p)
    p.setBrush(QColor("#a47b52"))
    p.drawEllipse(centre, 3, 3)
    # the narrow ring, called out
    tip = QPointF(centre.x() + radii[narrow] * 1.1, centre.y() - radii[narrow] * 0.35)
    arrow(p, QPointF(w - 200, 66), tip, BRICK, 1.5)
    text(p, w - 190, 56, "a thin ring:", size=12, bold=True, color=BRICK)
    text(p, w - 190, 74, "a dry year, shared", size=11.5, color=INK)
    text(p, w - 190, 90, "by every tree nearby", size=11.5, color=INK)
    arrow(
        p,
        QPointF(w - 190, h - 80),
        QPointF(centre.x() + radii[-1] * 0.98, centre.y() + radii[-1] * 0.4),
        MUTED,
        1.2,
    )
    text(p, w - 182, h - 76, "bark: this year", size=11.5, color=MUTED)
    text(p, w - 182, h - 60, "centre: the first year", size=11.5, color=MUTED)


def sunflower(p: QPainter, centre: QPointF, angle_deg: float, seeds: int, spread: float) -> None:
    golden = math.radians(angle_deg)
    for n in range(seeds, 0, -1):
        r = spread * math.sqrt(n)
        a = n * golden
        pt = QPointF(centre.x() + r * math.cos(a), centre.y() + r * math.sin(a))
        size = 1.3 + 1.5 * math.sqrt(n / seeds)
        if n % 21 == 0:
            color = TEAL
        elif n % 34 == 0:
            color = BRICK
        else:
            shade = 0.35 + 0.5 * (n / seeds)
            color = QColor.fromRgbF(0.42 * shade + 0.3, 0.28 * shade + 0.2, 0.12, 1.0)
        no_pen(p)
        p.setBrush(color)
        p.drawEllipse(pt, size, size)


@drawing("sunflower.png", 640, 340)
def draw_sunflower(p: QPainter, w: float, h: float) -> None:
    sunflower(p, QPointF(w * 0.27, h * 0.46), 137.508, 600, 5.6)
    sunflower(p, QPointF(w * 0.73, h * 0.46), 140.0, 600, 5.6)
    text(p, w * 0.27, h - 22, "137.5°: the golden angle", size=12.5, align="center")
    text(p, w * 0.73, h - 22, "140°: gaps open as spokes", size=12.5, align="center")


@drawing("murmuration.png", 640, 320)
def draw_murmuration(p: QPainter, w: float, h: float) -> None:
    sky = QLinearGradient(0, 0, 0, h)
    sky.setColorAt(0.0, QColor("#c9d6e3"))
    sky.setColorAt(1.0, QColor("#f1dcc4"))
    p.fillRect(QRectF(0, 0, w, h), QBrush(sky))
    rng = random.Random(5)
    no_pen(p)
    p.setBrush(QColor("#2b2a33"))
    for _ in range(2600):
        t = rng.random()
        # a twisted ribbon: the centre line bends, the width breathes, the density thins at the ends
        cx = 70 + t * (w - 140)
        cy = h * 0.52 + 70 * math.sin(t * 5.2 + 0.6) * math.sin(t * 2.1 + 0.3)
        half = 16 + 46 * abs(math.sin(t * 4.3 + 1.0)) * math.sin(math.pi * t)
        if rng.random() > math.sin(math.pi * t) ** 0.6:
            continue
        offset = rng.gauss(0, half / 2)
        x = cx + rng.gauss(0, 6)
        y = cy + offset
        p.save()
        p.translate(x, y)
        p.rotate(rng.uniform(-30, 30))
        p.drawEllipse(QPointF(0, 0), 1.5, 0.8)
        p.restore()
    text(
        p,
        w - 20,
        h - 16,
        "each bird watches about seven neighbours",
        size=11.5,
        color=QColor("#4b4652"),
        italic=True,
        align="right",
    )


# ---- The Slow Kitchen --------------------------------------------------------------------------


def chart_frame(p: QPainter, area: QRectF, xlabels: list[str], ylabel: str) -> None:
    pen(p, RULE, 1)
    for i in range(5):
        y = area.bottom() - i * area.height() / 4
        p.drawLine(QPointF(area.left(), y), QPointF(area.right(), y))
    pen(p, MUTED, 1.2)
    p.drawLine(area.bottomLeft(), area.bottomRight())
    for i, label in enumerate(xlabels):
        x = area.left() + (i + 0.5) * area.width() / len(xlabels)
        text(p, x, area.bottom() + 18, label, size=10.5, color=MUTED, align="center")
    p.save()
    p.translate(area.left() - 14, area.center().y())
    p.rotate(-90)
    text(p, 0, 0, ylabel, size=10.5, color=MUTED, align="center")
    p.restore()


@drawing("starter-rise.png", 640, 300)
def draw_starter(p: QPainter, w: float, h: float) -> None:
    area = QRectF(52, 24, w - 80, h - 74)
    days = [f"day {i}" for i in range(1, 9)]
    chart_frame(p, area, days, "rise after feeding")
    # peak rise each day, as a fraction of the jar's 'doubled' mark (1.0)
    peaks = [0.05, 0.85, 0.12, 0.1, 0.32, 0.6, 0.92, 1.05]
    step = area.width() / len(peaks)
    path = QPainterPath(QPointF(area.left(), area.bottom()))
    for i, peak in enumerate(peaks):
        x0 = area.left() + i * step
        top = area.bottom() - peak * area.height() * 0.85
        path.cubicTo(
            QPointF(x0 + step * 0.3, area.bottom()),
            QPointF(x0 + step * 0.35, top),
            QPointF(x0 + step * 0.55, top),
        )
        path.cubicTo(
            QPointF(x0 + step * 0.75, top),
            QPointF(x0 + step * 0.85, area.bottom()),
            QPointF(x0 + step, area.bottom()),
        )
    fill = QPainterPath(path)
    fill.lineTo(area.bottomLeft())
    no_pen(p)
    p.setBrush(QColor(OCHRE.red(), OCHRE.green(), OCHRE.blue(), 60))
    p.drawPath(fill)
    pen(p, OCHRE.darker(125), 2.2)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawPath(path)
    doubled = area.bottom() - area.height() * 0.85
    pen(p, TEAL, 1.2, dash=True)
    p.drawLine(QPointF(area.left(), doubled), QPointF(area.right(), doubled))
    text(p, area.right() - 4, doubled - 6, "doubled", size=10.5, color=TEAL, align="right")
    text(
        p,
        area.left() + step * 1.55,
        area.top() + 52,
        "the false start",
        size=11,
        color=BRICK,
        align="center",
        bold=True,
    )
    text(
        p,
        area.left() + step * 1.55,
        area.top() + 66,
        "(bacteria, not yeast)",
        size=10,
        color=BRICK,
        align="center",
    )
    text(
        p,
        area.left() + step * 3.5,
        area.bottom() - 40,
        "quiet days: keep feeding",
        size=10.5,
        color=MUTED,
        align="center",
        italic=True,
    )


@drawing("bakers-percentages.png", 640, 250)
def draw_bakers(p: QPainter, w: float, h: float) -> None:
    rows = [
        ("flour", 100, 1000, OCHRE),
        ("water", 72, 720, SKY),
        ("starter", 20, 200, SAGE),
        ("salt", 2, 20, BRICK),
    ]
    left = 96.0
    full = w - left - 130
    y = 30.0
    for name, pct, grams, color in rows:
        text(p, left - 14, y + 19, name, size=13, align="right")
        no_pen(p)
        p.setBrush(QColor("#efe8da"))
        p.drawRoundedRect(QRectF(left, y, full, 28), 5, 5)
        p.setBrush(color)
        p.drawRoundedRect(QRectF(left, y, max(6.0, full * pct / 100), 28), 5, 5)
        text(p, left + full + 12, y + 19, f"{pct}%", size=13, bold=True)
        text(p, left + full + 62, y + 19, f"{grams:,} g", size=12, color=MUTED)
        y += 44
    text(
        p,
        left,
        h - 20,
        "Every ingredient as a share of the flour: 1 kg of flour, a loaf-and-a-half.",
        size=11,
        color=MUTED,
        italic=True,
    )


@drawing("knife-angle.png", 640, 280)
def draw_knife(p: QPainter, w: float, h: float) -> None:
    stone = QRectF(40, h - 92, w - 80, 40)
    no_pen(p)
    p.setBrush(QColor("#9c8f7d"))
    p.drawRoundedRect(stone.translated(0, 6), 6, 6)
    p.setBrush(QColor("#c7b79e"))
    p.drawRoundedRect(stone, 6, 6)
    text(
        p,
        stone.center().x(),
        stone.bottom() + 28,
        "whetstone",
        size=11,
        color=MUTED,
        align="center",
    )
    edge = QPointF(110, stone.top())
    length, thickness = 290.0, 14.0
    for angle, color, solid in ((20, BRICK, False), (15, TEAL, True)):
        p.save()
        p.translate(edge)
        p.rotate(-angle)
        blade = QRectF(0, -thickness, length, thickness)
        if solid:
            no_pen(p)
            p.setBrush(QColor(color.red(), color.green(), color.blue(), 70))
            p.drawRect(blade)
            pen(p, color, 1.6)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(blade)
        else:
            pen(p, color, 1.4, dash=True)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRect(blade)
        p.restore()
        radius = 150.0 if angle == 15 else 205.0
        pen(p, color, 1.3)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(
            QRectF(edge.x() - radius, edge.y() - radius, 2 * radius, 2 * radius), 0, int(angle * 16)
        )
        mid = math.radians(angle / 2)
        text(
            p,
            edge.x() + (radius + 8) * math.cos(mid),
            edge.y() - (radius + 8) * math.sin(mid) + 5,
            f"{angle}°",
            size=12,
            bold=True,
            color=color,
        )
    text(p, w - 40, 128, "15°: thin and keen, for slicing", size=12, color=TEAL, align="right")
    text(
        p,
        w - 40,
        148,
        "20°: sturdier, for a knife that works hard",
        size=12,
        color=BRICK,
        align="right",
    )
    text(p, 40, 44, "Hold the angle,", size=14, family=SERIF, italic=True)
    text(p, 40, 64, "not the pressure.", size=14, family=SERIF, italic=True)


# ---- Margins -----------------------------------------------------------------------------------


@drawing("letter-anatomy.png", 640, 300)
def draw_anatomy(p: QPainter, w: float, h: float) -> None:
    f = font(SERIF, 150)
    fm = QFontMetricsF(f)
    word = "Hxgfy"
    baseline = 200.0
    x0 = (w - fm.horizontalAdvance(word)) / 2 + 40
    levels = [
        ("ascender", baseline + fm.tightBoundingRect("f").top(), "right"),
        ("cap height", baseline + fm.tightBoundingRect("H").top(), "left"),
        ("x-height", baseline + fm.tightBoundingRect("x").top(), "left"),
        ("baseline", baseline, "left"),
        ("descender", baseline + fm.tightBoundingRect("g").bottom(), "left"),
    ]
    for name, y, side in levels:
        strong = name in ("baseline", "x-height")
        pen(p, TEAL if strong else QColor("#9fb8b4"), 1.3 if strong else 1, dash=not strong)
        p.drawLine(QPointF(24, y), QPointF(w - 24, y))
        label_x = 28.0 if side == "left" else w - 28
        text(p, label_x, y - 5, name, size=11, color=TEAL if strong else MUTED, align=side)
    p.setFont(f)
    p.setPen(INK)
    p.drawText(QPointF(x0, baseline), word)
    text(
        p,
        w - 28,
        h - 14,
        "DejaVu Serif, drawn at 150 px",
        size=10,
        color=MUTED,
        align="right",
        italic=True,
    )


@drawing("type-sort.png", 640, 300)
def draw_sort(p: QPainter, w: float, h: float) -> None:
    # an oblique view of one piece of type: a tall body with the letter raised, reversed, on top
    body_front = QRectF(250, 90, 92, 180)
    depth = QPointF(64, -44)
    no_pen(p)
    top = QPainterPath(body_front.topLeft())
    top.lineTo(body_front.topLeft() + depth)
    top.lineTo(body_front.topRight() + depth)
    top.lineTo(body_front.topRight())
    top.closeSubpath()
    side = QPainterPath(body_front.topRight())
    side.lineTo(body_front.topRight() + depth)
    side.lineTo(body_front.bottomRight() + depth)
    side.lineTo(body_front.bottomRight())
    side.closeSubpath()
    p.setBrush(QColor("#b9b4aa"))
    p.drawPath(side)
    p.setBrush(QColor("#d9d5cc"))
    p.drawRect(body_front)
    p.setBrush(QColor("#ece9e2"))
    p.drawPath(top)
    # the nick: a groove across the front, so the compositor can feel which way is up
    p.setBrush(QColor("#a8a299"))
    p.drawRect(QRectF(body_front.left(), body_front.bottom() - 48, body_front.width(), 8))
    # the face: a mirrored letter on the top surface
    face = body_front.topLeft() + QPointF(body_front.width() / 2, 0) + depth * 0.5
    p.save()
    p.translate(face)
    p.scale(-1, 0.5)
    text(p, 0, 22, "R", size=56, family=SERIF, bold=True, color=INK, align="center")
    p.restore()
    arrow(p, QPointF(470, 40), face + QPointF(22, -4), MUTED, 1.1)
    text(p, 478, 36, "face: the letter,", size=11.5)
    text(p, 478, 52, "raised and reversed", size=11.5)
    arrow(p, QPointF(150, 160), body_front.center() + QPointF(-20, -10), MUTED, 1.1)
    text(p, 144, 156, "body", size=11.5, align="right")
    arrow(
        p, QPointF(150, 236), QPointF(body_front.left() + 18, body_front.bottom() - 44), MUTED, 1.1
    )
    text(p, 144, 232, "nick", size=11.5, align="right")
    # height to paper: a dimension line beside the body
    x = body_front.right() + depth.x() + 40
    top_y, bottom_y = body_front.top() + depth.y(), body_front.bottom() + depth.y()
    pen(p, MUTED, 1.1)
    p.drawLine(QPointF(x, top_y), QPointF(x, bottom_y))
    for y in (top_y, bottom_y):
        p.drawLine(QPointF(x - 6, y), QPointF(x + 6, y))
    text(p, x + 12, (top_y + bottom_y) / 2, "height to paper:", size=11.5)
    text(
        p, x + 12, (top_y + bottom_y) / 2 + 16, "the same for every letter", size=11.5, color=MUTED
    )


@drawing("type-case.png", 640, 330)
def draw_case(p: QPainter, w: float, h: float) -> None:
    def tray(rect: QRectF, title: str) -> None:
        no_pen(p)
        p.setBrush(QColor("#8b6a4a"))
        p.drawRoundedRect(rect.adjusted(-8, -8, 8, 8), 5, 5)
        p.setBrush(QColor("#e9dcc5"))
        p.drawRect(rect)
        text(
            p,
            rect.left() - 14,
            rect.center().y() + 5,
            title,
            size=12.5,
            italic=True,
            align="right",
            family=SERIF,
        )

    upper = QRectF(150, 40, 440, 84)
    tray(upper, "upper case")
    capitals = "ABCDEFGHIJKLMNOPQRSTUVWXYZ&ÆŒ$"
    cols, rows = 15, 2
    cw, ch = upper.width() / cols, upper.height() / rows
    pen(p, QColor("#a4876a"), 1)
    for r in range(rows):
        for c in range(cols):
            cell = QRectF(upper.left() + c * cw, upper.top() + r * ch, cw, ch)
            p.setBrush(Qt.BrushStyle.NoBrush)
            pen(p, QColor("#a4876a"), 1)
            p.drawRect(cell)
            i = r * cols + c
            if i < len(capitals):
                text(
                    p,
                    cell.center().x(),
                    cell.center().y() + 5,
                    capitals[i],
                    size=12,
                    family=SERIF,
                    color=QColor("#5b4632"),
                    align="center",
                )

    lower = QRectF(150, 170, 440, 130)
    tray(lower, "lower case")
    # compartments sized by how often a letter is used: e gets the largest, q and z small ones
    layout = [
        [("b", 1), ("c", 1), ("d", 1), ("e", 2), ("i", 1), ("s", 1), ("f", 1), ("g", 1)],
        [("l", 1), ("m", 1), ("n", 1), ("h", 1), ("o", 1), ("y", 1), ("p", 1), ("w", 1)],
        [
            ("z", 0.5),
            ("x", 0.5),
            ("v", 1),
            ("u", 1),
            ("t", 1),
            ("a", 2),
            ("r", 1),
            ("k", 0.5),
            ("q", 0.5),
        ],
    ]
    rh = lower.height() / len(layout)
    for r, row in enumerate(layout):
        total = sum(units for _, units in row)
        x = lower.left()
        for letter, units in row:
            cell = QRectF(x, lower.top() + r * rh, lower.width() * units / total, rh)
            if letter in "ea":
                no_pen(p)
                p.setBrush(QColor("#f3e6bd"))
                p.drawRect(cell)
            p.setBrush(Qt.BrushStyle.NoBrush)
            pen(p, QColor("#a4876a"), 1)
            p.drawRect(cell)
            text(
                p,
                cell.center().x(),
                cell.center().y() + 6,
                letter,
                size=15,
                family=SERIF,
                color=QColor("#5b4632"),
                align="center",
            )
            x += cell.width()


@drawing("measure.png", 640, 260)
def draw_measure(p: QPainter, w: float, h: float) -> None:
    rng = random.Random(3)

    def block(x: float, width: float, lines: int) -> None:
        y = 50.0
        for i in range(lines):
            last = i == lines - 1
            lw = width * (rng.uniform(0.45, 0.7) if last else rng.uniform(0.9, 1.0))
            bar(p, x, y, lw, 6, QColor("#7a736a"))
            y += 15

    block(24, 360, 10)
    block(424, 192, 10)
    text(p, 24, 30, "about 110 characters a line", size=12, bold=True, color=BRICK)
    text(p, 424, 30, "about 60 a line", size=12, bold=True, color=TEAL)
    pen(p, BRICK, 1.3, dash=True)
    p.setBrush(Qt.BrushStyle.NoBrush)
    start, end = QPointF(24 + 360, 56), QPointF(24, 68)
    path = QPainterPath(start)
    path.cubicTo(QPointF(300, 62), QPointF(120, 58), end)
    p.drawPath(path)
    text(p, 24, h - 40, "The eye's long trip back to the left", size=11, color=MUTED, italic=True)
    text(p, 24, h - 24, "is where a reader loses the line.", size=11, color=MUTED, italic=True)
    text(p, 424, h - 40, "Short returns; the next line", size=11, color=MUTED, italic=True)
    text(p, 424, h - 24, "is always where you expect it.", size=11, color=MUTED, italic=True)


# ---- output ------------------------------------------------------------------------------------


def render(name: str, width: int, height: int, draw: Drawing) -> QImage:
    image = QImage(width * SCALE, height * SCALE, QImage.Format.Format_RGB32)
    image.fill(PAPER)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    p.scale(SCALE, SCALE)
    draw(p, float(width), float(height))
    p.end()
    return image


def palette_image(image: QImage) -> QImage:
    """The image in its own 256 most frequent colours: a third of the size, no visible change.

    The drawings are flat colour plus antialiased edges, so the most frequent colours cover
    nearly every pixel and the rest map to a close neighbour. Qt's own palette would not do:
    it is a fixed colour cube.
    """
    rgb = image.convertToFormat(QImage.Format.Format_RGB32)
    pixels = array.array("I", bytes(rgb.constBits()))
    table = [colour | 0xFF000000 for colour, _ in collections.Counter(pixels).most_common(256)]
    flags = Qt.ImageConversionFlag.ThresholdDither | Qt.ImageConversionFlag.AvoidDither
    return rgb.convertToFormat(QImage.Format.Format_Indexed8, table, flags)


def main(names: list[str]) -> int:
    QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    OUT.mkdir(exist_ok=True)
    for name, (width, height, draw) in DRAWINGS.items():
        if names and name not in names:
            continue
        image = render(name, width, height, draw)
        target = OUT / name
        if name.endswith(".jpg"):
            ok = image.save(str(target), "JPEG", 78)
        else:
            ok = palette_image(image).save(str(target), "PNG", 9)
        if not ok:
            print(f"could not write {target}", file=sys.stderr)
            return 1
        print(
            f"{target.name}: {width}×{height} (drawn at {SCALE}×), {target.stat().st_size:,} bytes"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
