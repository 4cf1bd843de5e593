"""The printable A4 briefing sheet: the suggested patrols, then each point with its QR
code (scan to check in by SMS) and the recent sightings near it. One page: the points
most in need of a patrol come first, and those that do not fit are named at the foot."""

from __future__ import annotations

from datetime import datetime
from xml.sax.saxutils import escape

from gateway.core import clock
from gateway.rota.patrol_qr import check_in_text, patrol_qr, qr_path
from gateway.rota.patrol_suggest import NearSighting, Ranked, Suggestion
from gateway.subscribers.badge import display_number

PAGE_W, PAGE_H = 210.0, 297.0  # A4 portrait, millimetres
MARGIN = 12.0
BLOCK_H, QR_SIZE = 44.0, 38.0
FIRST_BLOCK = 62.0
SIGHTINGS_SHOWN = 4
FONT = "DejaVu Sans, Arial, sans-serif"


def _text(x: float, y: float, content: str, size: float, *, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    clipped = content if len(content) <= 90 else content[:89] + "…"
    return (
        f'<text x="{x:g}" y="{y:g}" font-family="{FONT}" font-size="{size:g}"{weight}>'
        f"{escape(clipped)}</text>"
    )


def _hours(h: float | None) -> str:
    if h is None:
        return "never visited"
    return f"visited {h:.0f} h ago" if h < 48 else f"visited {h / 24:.0f} days ago"


def _first(r: Ranked) -> str:
    return f"{r.point.code} {r.point.name} ({r.reports} reports, {_hours(r.hours_since_visit)})"


def _sighting_line(s: NearSighting, zone: clock.Zone) -> str:
    when = clock.to_local(s.at, zone).strftime("%d %b %H:%M")
    text = " ".join(s.text.split())
    return f"{s.ref} {when} ({s.km:.1f} km) {s.place + ': ' if s.place else ''}{text}"


def briefing_svg(
    suggestion: Suggestion,
    nearby: dict[str, list[NearSighting]],
    *,
    number: str,
    region: str = "GB",
    zone: clock.Zone = "Europe/London",
    now: datetime | None = None,
) -> str:
    """The sheet as SVG text (A4, millimetre units)."""
    today = clock.to_local(now or clock.utcnow(), zone).strftime("%A %d %B %Y")
    dial = display_number(number, region)
    hours = ", ".join(
        f"{h:02d}:00-{(h + 1) % 24:02d}:00 ({n})" for h, n in suggestion.busiest_hours
    )
    top = [r for r in suggestion.points if r.reports or r.hours_since_visit is None][:3]
    parts = [
        _text(MARGIN, 20, "Patrol briefing", 9, bold=True),
        _text(MARGIN, 28, today, 4.5),
        _text(
            MARGIN,
            36,
            f"Suggested patrols (last {suggestion.days:g} days of sightings)",
            4.5,
            bold=True,
        ),
        _text(
            MARGIN,
            43,
            "First: " + (", ".join(_first(r) for r in top) or "no reports near any point"),
            3.4,
        ),
        _text(MARGIN, 50, "Busiest hours: " + (hours or "no reports"), 3.4),
        _text(
            MARGIN, 57, f"Scan a point's code, or text PATROL CODE and what you saw to {dial}", 3.4
        ),
    ]
    fits = int((PAGE_H - FIRST_BLOCK - 14) // BLOCK_H)
    for i, r in enumerate(suggestion.points[:fits]):
        y = FIRST_BLOCK + i * BLOCK_H
        p = r.point
        x = MARGIN + QR_SIZE + 4
        parts.append(
            f'<rect x="{MARGIN:g}" y="{y:g}" width="{PAGE_W - 2 * MARGIN:g}" '
            f'height="{BLOCK_H - 3:g}" fill="none" stroke="#000" stroke-width="0.3"/>'
        )
        parts.append(qr_path(patrol_qr(number, p.code, region=region), MARGIN + 1, y + 1, QR_SIZE))
        parts.append(_text(x, y + 7, f"{p.code}  {p.name}", 5, bold=True))
        where = f"{p.location}  " if p.location else ""
        parts.append(
            _text(x, y + 13, f"{where}{r.reports} reports near; {_hours(r.hours_since_visit)}", 3.4)
        )
        parts.append(_text(x, y + 18, f"Text: {check_in_text(p.code)}<what you saw>", 3.4))
        seen = nearby.get(p.code, [])
        for j, s in enumerate(seen[:SIGHTINGS_SHOWN]):
            parts.append(_text(x, y + 24 + j * 4.5, _sighting_line(s, zone), 3))
        if not seen:
            parts.append(_text(x, y + 24, "No sightings within 2 km recently.", 3))
    rest = suggestion.points[fits:]
    if rest:
        names = ", ".join(r.point.code for r in rest)
        parts.append(_text(MARGIN, PAGE_H - 8, f"Also: {names} (on the console)", 3.4))
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W:g}mm" height="{PAGE_H:g}mm"'
            f' viewBox="0 0 {PAGE_W:g} {PAGE_H:g}">',
            f"<title>Patrol briefing {escape(today)}</title>",
            f'<rect width="{PAGE_W:g}" height="{PAGE_H:g}" fill="#fff"/>',
            *parts,
            "</svg>",
            "",
        ]
    )
