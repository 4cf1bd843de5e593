"""A patrol point's QR code: scanning it opens the SMS app addressed to the gateway with
`PATROL <CODE> ` typed in, so the officer only adds what they saw (the join badge's SMSTO
form, for the same reasons: gateway/subscribers/badge.py)."""

from __future__ import annotations

from pathlib import Path

import segno

from gateway.rota.patrols import PatrolError, clean_code
from gateway.subscribers.badge import ERROR_LEVEL, PNG_SCALE, QUIET_ZONE, BadgeError, sms_uri


def check_in_text(code: str) -> str:
    """What the QR code types: the keyword, the code and a space for the notes."""
    return f"PATROL {clean_code(code)} "


def patrol_qr(number: str, code: str, *, region: str = "GB") -> segno.QRCode:
    try:
        payload = sms_uri(number, check_in_text(code), region=region)
    except BadgeError as exc:
        raise PatrolError(str(exc), "bad_number") from None
    return segno.make(payload, error=ERROR_LEVEL, micro=False)


def qr_path(qr: segno.QRCode, x: float, y: float, size: float) -> str:
    """The code as one SVG path of dark-module runs, `size` units square at (x, y)."""
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=QUIET_ZONE)]
    runs: list[str] = []
    for r, row in enumerate(rows):
        c = 0
        while c < len(row):
            if not row[c]:
                c += 1
                continue
            start = c
            while c < len(row) and row[c]:
                c += 1
            runs.append(f"M{start} {r}h{c - start}v1h-{c - start}z")
    return (
        f'<g transform="translate({x:g} {y:g}) scale({size / len(rows):.6g})">'
        f'<rect width="{len(rows)}" height="{len(rows)}" fill="#fff"/>'
        f'<path d="{"".join(runs)}" fill="#000" shape-rendering="crispEdges"/></g>'
    )


def write_patrol_qr(number: str, code: str, out: str | Path, *, region: str = "GB") -> Path:
    """The point's QR code alone, as .svg or .png, with its quiet zone."""
    path = Path(out)
    kind = path.suffix.lower()
    if kind not in (".svg", ".png"):
        raise PatrolError(f"a QR code is written as .svg or .png, not {path.name!r}", "bad_file")
    qr = patrol_qr(number, code, region=region)
    try:
        qr.save(str(path), kind=kind[1:], scale=PNG_SCALE, border=QUIET_ZONE)
    except OSError as exc:
        raise PatrolError(f"cannot write {path}: {exc.strerror or exc}", "bad_file") from None
    return path
