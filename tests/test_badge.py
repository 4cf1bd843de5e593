"""The "scan to join" badge: its payload, its SVG as XML, and its QR code read back by a real
decoder (zxing-cpp) from the PNG file and from the SVG as Chromium draws it."""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path

import pytest
import segno
import zxingcpp

from gateway.subscribers.badge import BadgeError, make_badge, sms_uri

SVG = "{http://www.w3.org/2000/svg}"
GATEWAY = "+447700900000"
PAYLOAD = "SMSTO:+447700900000:JOIN DOCKING"


# -- a small PNG reader, so the decoder sees the very bytes a person would print ---------------
def read_png_grey(path: Path) -> tuple[int, int, bytes]:
    """Width, height and one 0-255 grey byte per pixel, for the PNGs segno and Chromium write."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, palette = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
        elif kind == b"PLTE":
            palette = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    assert interlace == 0 and depth in (1, 2, 4, 8)
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    raw = zlib.decompress(idat)
    stride = (width * channels * depth + 7) // 8
    step = max(1, channels * depth // 8)
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1 : start + 1 + stride]), prev, step)
        rows.append(row)
        prev = row
    grey = bytearray()
    for row in rows:
        samples = _samples(row, width * channels, depth)
        for x in range(width):
            px = samples[x * channels : (x + 1) * channels]
            if colour == 3:
                px = list(palette[px[0] * 3 : px[0] * 3 + 3])
            elif colour == 0 and depth < 8:
                px = [px[0] * 255 // ((1 << depth) - 1)]
            grey.append(sum(px[:3]) // len(px[:3]) if len(px) >= 3 else px[0])
    return width, height, bytes(grey)


def _unfilter(kind: int, row: bytearray, prev: bytearray, step: int) -> bytearray:
    for i in range(len(row)):
        left = row[i - step] if i >= step else 0
        up, corner = prev[i], prev[i - step] if i >= step else 0
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 2:
            row[i] = (row[i] + up) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            p = left + up - corner
            pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
            guess = left if pa <= pb and pa <= pc else up if pb <= pc else corner
            row[i] = (row[i] + guess) & 0xFF
    return row


def _samples(row: bytearray, count: int, depth: int) -> list[int]:
    if depth == 8:
        return list(row[:count])
    per_byte, mask = 8 // depth, (1 << depth) - 1
    return [(row[i // per_byte] >> (8 - depth * (i % per_byte + 1))) & mask for i in range(count)]


def decode(path: Path) -> zxingcpp.Barcode:
    width, height, grey = read_png_grey(path)
    found = zxingcpp.read_barcode(memoryview(grey).cast("B", (height, width)))
    assert found is not None, f"no QR code found in {path}"
    assert found.format == zxingcpp.BarcodeFormat.QRCode
    return found


def texts(svg: Path) -> list[str]:
    root = ET.parse(svg).getroot()
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


# -- the payload ---------------------------------------------------------------------------------
def test_the_payload_is_smsto_with_the_number_in_e164() -> None:
    assert sms_uri(GATEWAY, "JOIN DOCKING") == PAYLOAD
    assert sms_uri("07700 900000", "JOIN DOCKING") == PAYLOAD


def test_a_payload_body_keeps_its_colons_and_spaces_verbatim() -> None:
    # Readers split SMSTO on the first two colons only, so the body needs no escaping.
    assert sms_uri(GATEWAY, "JOIN A: B") == "SMSTO:+447700900000:JOIN A: B"


@pytest.mark.parametrize("number", ["", "not a number", "+44 12"])
def test_a_bad_gateway_number_is_a_badge_error(number: str, tmp_path: Path) -> None:
    with pytest.raises(BadgeError, match="number"):
        sms_uri(number, "JOIN DOCKING")
    with pytest.raises(BadgeError, match="number"):
        make_badge(number, "DOCKING", "Docking farms", tmp_path / "b.svg")
    assert not (tmp_path / "b.svg").exists()


# -- the SVG badge -------------------------------------------------------------------------------
def test_the_svg_badge_is_an_a6_page_with_the_join_line(tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "docking", "Docking farms", tmp_path / "badge.svg")
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("105mm", "148mm")
    lines = texts(out)
    assert "Rural Crime Alerts" in lines
    assert "Docking farms" in lines
    assert "Text JOIN DOCKING to 07700 900000" in lines
    assert "Reply STOP to leave" in lines


@pytest.mark.parametrize(
    "name", ["Tom & Jerry", "<script>alert(1)</script>", "Quote \" and ' and ]]>"]
)
def test_markup_in_a_list_name_is_shown_as_characters(name: str, tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "DOCKING", name, tmp_path / "b.svg")
    root = ET.parse(out).getroot()  # raises on malformed XML
    assert name in texts(out)
    title = root.find(f"{SVG}title")
    assert title is not None and name in "".join(title.itertext())
    allowed = {f"{SVG}{tag}" for tag in ("svg", "title", "desc", "rect", "text", "g", "path")}
    assert {el.tag for el in root.iter()} <= allowed  # no <script> element smuggled in


def test_control_characters_in_a_list_name_are_dropped(tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "DOCKING", "Docking\x00\x1b\n  farms", tmp_path / "b.svg")
    assert "Docking farms" in texts(out)


def test_a_number_from_another_country_is_shown_in_international_form(tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "DOCKING", "Docking", tmp_path / "b.svg", region="IE")
    assert "Text JOIN DOCKING to +44 7700 900000" in texts(out)


def test_the_svg_path_draws_the_same_modules_as_the_payloads_code(tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "DOCKING", "Docking farms", tmp_path / "b.svg")
    path = ET.parse(out).getroot().find(f"{SVG}g/{SVG}path")
    assert path is not None
    expected = segno.make(PAYLOAD, error="q", micro=False)
    size = len(expected.matrix) + 8
    drawn = [[0] * size for _ in range(size)]
    for x, y, run in re.findall(r"M(\d+) (\d+)h(\d+)", path.get("d", "")):
        for i in range(int(run)):
            drawn[int(y)][int(x) + i] = 1
    assert drawn == [list(row) for row in expected.matrix_iter(scale=1, border=4)]


def test_the_svg_badge_scans_as_chromium_draws_it(tmp_path: Path) -> None:
    chromium = shutil.which("chromium")
    assert chromium, "chromium is installed by `make install` (Debian package chromium)"
    svg = make_badge(GATEWAY, "DOCKING", "Docking farms", tmp_path / "b.svg")
    shot = tmp_path / "shot.png"
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={tmp_path / 'profile'}", "--window-size=397,560",
         f"--screenshot={shot}", svg.as_uri()],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    assert decode(shot).text == PAYLOAD


# -- the PNG -------------------------------------------------------------------------------------
def test_the_png_is_the_qr_code_that_decodes_to_the_payload(tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "docking", "Docking farms", tmp_path / "badge.png")
    width, height, _ = read_png_grey(out)
    assert width == height == (29 + 2 * 4) * 10  # version 3, 4-module quiet zone, scale 10
    found = decode(out)
    assert found.text == PAYLOAD
    assert found.ec_level in ("Q", "H")  # survives a scuffed badge


def test_the_suffix_is_read_without_regard_to_case(tmp_path: Path) -> None:
    out = make_badge(GATEWAY, "DOCKING", "Docking", tmp_path / "BADGE.PNG")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- refusals ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["badge.jpg", "badge", "badge.svg.txt"])
def test_an_unknown_suffix_is_a_badge_error(name: str, tmp_path: Path) -> None:
    with pytest.raises(BadgeError, match=r"\.svg or \.png"):
        make_badge(GATEWAY, "DOCKING", "Docking", tmp_path / name)
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("keyword", ["", "   ", "TWO WORDS", "X"])
def test_a_missing_or_malformed_keyword_is_a_badge_error(keyword: str, tmp_path: Path) -> None:
    with pytest.raises(BadgeError, match="keyword"):
        make_badge(GATEWAY, keyword, "Docking", tmp_path / "b.svg")


def test_an_empty_list_name_is_a_badge_error(tmp_path: Path) -> None:
    with pytest.raises(BadgeError, match="name"):
        make_badge(GATEWAY, "DOCKING", " \x00 ", tmp_path / "b.svg")


def test_an_unwritable_destination_is_a_badge_error(tmp_path: Path) -> None:
    with pytest.raises(BadgeError, match="cannot write"):
        make_badge(GATEWAY, "DOCKING", "Docking", tmp_path / "no-such-dir" / "b.png")
