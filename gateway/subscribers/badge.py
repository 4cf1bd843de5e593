"""The printable "scan to join" badge an officer wears: a QR code that opens the phone's
SMS app with the gateway's number and `JOIN <keyword>` filled in, and the same as a line
of text for people who cannot scan.

The QR payload is `SMSTO:<number>:<body>`, not the RFC 5724 `sms:<number>?body=<body>` URI.
SMSTO is the de-facto QR convention: Android's scanners (ZXing's SMSTO/MMSTO parser, Google
Lens, the camera apps) and the iOS Camera all open the compose screen with the body filled
in. With `sms:` the body separator splits the platforms: iOS has wanted `&body=` and Android
`?body=`, and iOS has ignored the body outright; QR libraries (QRCoder, for one) found no
`sms:` form that fills the body on both, and SMSTO did. SMSTO also needs no percent-encoding,
so `SMSTO:+447700900000:JOIN DOCKING` stays in QR's compact alphanumeric mode (version 3).

The SVG is the printable badge (A6 portrait). The PNG is the QR code alone with its quiet
zone: composing text into a PNG needs a font rasteriser (Pillow), which smsgw does not carry.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape

import phonenumbers

from gateway.core.errors import GatewayError
from gateway.core.phone import InvalidNumber, normalise
from gateway.subscribers.service import SubscriberError, clean_keyword

if TYPE_CHECKING:
    import segno

HEADING = "Rural Crime Alerts"
# Q restores about 25% of damaged codewords, enough for a scuffed or bent badge; segno
# raises it to H when that fits in the same symbol size, which costs nothing.
ERROR_LEVEL = "q"
PNG_SCALE = 10  # pixels per module: about 370 px square for a version-3 code
QUIET_ZONE = 4  # modules of light border the QR standard asks for

# A6 portrait, in millimetres (the viewBox unit).
PAGE_W, PAGE_H = 105.0, 148.0
MARGIN = 6.0
QR_TOP, QR_SIZE = 41.0, 76.0
# Average advance of a sans-serif glyph (regular, bold) as a fraction of the font size:
# used to shrink a long line to fit the badge, since an SVG writer cannot measure text.
GLYPH_WIDTH, BOLD_GLYPH_WIDTH = 0.6, 0.66

# Characters XML 1.0 forbids even when escaped (C0 controls but tab, LF, CR; surrogates; FFFE/F).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


class BadgeError(GatewayError, ValueError):
    """A badge that cannot be made: bad number, keyword, list name or output file."""


def sms_uri(number: str, body: str, *, region: str = "GB") -> str:
    """The QR payload that opens the SMS app addressed to `number` with `body` typed in.

    The number goes in E.164 so the code works on a phone roaming or registered abroad.
    """
    return f"SMSTO:{_e164(number, region)}:{body}"


def make_badge(
    number: str, keyword: str, list_name: str, out: str | Path, *, region: str = "GB"
) -> Path:
    """Write the badge for joining `list_name` by texting `JOIN <keyword>` to `number`.

    `out` ending in .svg gets the printable badge; .png gets the QR code alone.
    """
    path = Path(out)
    kind = path.suffix.lower()
    if kind not in (".svg", ".png"):
        raise BadgeError(f"a badge is written as .svg or .png, not {path.name!r}")
    try:
        word = clean_keyword(keyword)
    except SubscriberError as exc:
        raise BadgeError(str(exc)) from None
    name = _clean_text(list_name)
    if not name:
        raise BadgeError("a badge needs the list's name")
    body = f"JOIN {word}"
    import segno  # only to draw a badge: the console and daemon start without it

    qr = segno.make(sms_uri(number, body, region=region), error=ERROR_LEVEL, micro=False)
    try:
        if kind == ".png":
            qr.save(str(path), kind="png", scale=PNG_SCALE, border=QUIET_ZONE)
        else:
            line = f"Text {body} to {display_number(number, region)}"
            path.write_text(_badge_svg(qr, name, line), encoding="utf-8")
    except OSError as exc:
        raise BadgeError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def display_number(number: str, region: str = "GB") -> str:
    """The number as people in `region` dial it (`07700 900000`); international otherwise."""
    parsed = phonenumbers.parse(_e164(number, region))
    home = parsed.country_code == phonenumbers.country_code_for_region(region.upper())
    fmt = phonenumbers.PhoneNumberFormat
    return phonenumbers.format_number(parsed, fmt.NATIONAL if home else fmt.INTERNATIONAL)


def _e164(number: str, region: str) -> str:
    try:
        return normalise(number, region)
    except InvalidNumber as exc:
        raise BadgeError(f"the gateway's number: {exc}") from None


def _clean_text(text: str) -> str:
    """One printable line: characters XML cannot hold dropped, runs of whitespace made one."""
    return " ".join(_NOT_XML.sub("", text).split())


def _badge_svg(qr: segno.QRCode, list_name: str, join_line: str) -> str:
    width = PAGE_W - 2 * MARGIN
    lines = [
        _text(HEADING, 20.0, 8.0, width, bold=True),
        _text(list_name, 31.0, 6.0, width),
        _text("Scan with your phone camera to join", 40.0, 3.4, width),
        _qr_group(qr),
        _text(join_line, 128.0, 5.0, width, bold=True),
        _text("Reply STOP to leave", 137.0, 4.0, width),
    ]
    title = escape(f"{HEADING}: {list_name}")
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{PAGE_W:g}mm" height="{PAGE_H:g}mm"'
            f' viewBox="0 0 {PAGE_W:g} {PAGE_H:g}">',
            f"<title>{title}</title>",
            f"<desc>{escape(join_line)}. Reply STOP to leave.</desc>",
            f'<rect width="{PAGE_W:g}" height="{PAGE_H:g}" fill="#fff"/>',
            f'<rect x="2" y="2" width="{PAGE_W - 4:g}" height="{PAGE_H - 4:g}" rx="5"'
            ' fill="none" stroke="#000" stroke-width="0.6"/>',
            *lines,
            "</svg>",
            "",
        ]
    )


def _text(content: str, y: float, size: float, width: float, *, bold: bool = False) -> str:
    """A centred line, shrunk to fit `width`; squeezed as a last resort for long names."""
    glyph = BOLD_GLYPH_WIDTH if bold else GLYPH_WIDTH
    size = max(3.0, min(size, width / (glyph * max(len(content), 1))))
    squeeze = ""
    if glyph * size * len(content) > width:
        squeeze = f' textLength="{width:g}" lengthAdjust="spacingAndGlyphs"'
    weight = ' font-weight="bold"' if bold else ""
    return (
        f'<text x="{PAGE_W / 2:g}" y="{y:g}" font-family="DejaVu Sans, Arial, sans-serif"'
        f' font-size="{size:.2f}"{weight} text-anchor="middle"{squeeze}>'
        f"{escape(content)}</text>"
    )


def _qr_group(qr: segno.QRCode) -> str:
    """The code as one path of dark-module runs, in module units, scaled onto the badge."""
    rows = [list(row) for row in qr.matrix_iter(scale=1, border=QUIET_ZONE)]
    scale = QR_SIZE / len(rows)
    runs: list[str] = []
    for y, row in enumerate(rows):
        x = 0
        while x < len(row):
            if not row[x]:
                x += 1
                continue
            start = x
            while x < len(row) and row[x]:
                x += 1
            runs.append(f"M{start} {y}h{x - start}v1h-{x - start}z")
    left = (PAGE_W - QR_SIZE) / 2
    return (
        f'<g transform="translate({left:g} {QR_TOP:g}) scale({scale:.6g})">'
        f'<rect width="{len(rows)}" height="{len(rows)}" fill="#fff"/>'
        f'<path d="{"".join(runs)}" fill="#000" shape-rendering="crispEdges"/></g>'
    )


__all__ = ["BadgeError", "display_number", "make_badge", "sms_uri"]
