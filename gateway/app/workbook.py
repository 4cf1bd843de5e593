"""One spreadsheet workbook of a period: sightings, alerts and patrol visits, for the
problem-solvers who look for patterns in a spreadsheet rather than in the console.

Cells are typed (times as date cells in the gateway's local time, counts and positions as
numbers) so that a spreadsheet sorts and filters them; text a spreadsheet would run as a
formula is quoted the way the CSV exports quote it (subscribers.csv_rows.escape_cell).
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import Engine, select

from gateway.alerts.service import info_of, phase
from gateway.app.reports import Period, alerts_in
from gateway.core import clock, geo
from gateway.core.models import (
    PatrolPoint,
    PatrolVisit,
    Sighting,
)
from gateway.core.privacy import mask
from gateway.subscribers.csv_rows import escape_cell

DATE_FORMAT = "yyyy-mm-dd hh:mm"
SIGHTING_HEADER = (
    "ref", "received", "from", "name", "text", "registrations", "place", "lat", "lon",
    "grid ref", "status",
)  # fmt: skip
ALERT_HEADER = ("ref", "created", "by", "lists", "text", "recipients", "status", "near")
PATROL_HEADER = ("code", "point name", "officer", "at", "notes", "registrations")
WIDTHS = {"text": 60, "notes": 60, "received": 17, "created": 17, "at": 17}

Cell = str | int | float | datetime | None


def export(engine: Engine, period: Period, *, show_numbers: bool) -> bytes:
    """The workbook as .xlsx bytes. Numbers of people are masked unless `show_numbers`."""
    book = Workbook()
    first = book.active
    assert first is not None  # a new workbook always has one sheet
    book.remove(first)
    zone = period.zone
    _sheet(book, "Sightings", SIGHTING_HEADER, _sightings(engine, period, zone, show_numbers))
    _sheet(book, "Alerts", ALERT_HEADER, _alerts(engine, period, zone))
    _sheet(book, "Patrols", PATROL_HEADER, _visits(engine, period, zone))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet(
    book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Cell]]
) -> Worksheet:
    sheet = book.create_sheet(title)
    sheet.append(list(header))
    for row in rows:
        sheet.append([None] * len(header))
        for column, value in enumerate(row, start=1):
            _put(sheet, sheet.max_row, column, value)
    sheet.freeze_panes = "A2"
    for column, name in enumerate(header, start=1):
        letter = sheet.cell(1, column).column_letter
        sheet.column_dimensions[letter].width = WIDTHS.get(name, 14)
    return sheet


def _put(sheet: Worksheet, row: int, column: int, value: Cell) -> None:
    """Typed cell; text is always a string cell, never a formula."""
    cell = sheet.cell(row, column)
    if isinstance(value, str):
        cell.value = escape_cell(value)
        cell.data_type = "s"
        return
    cell.value = value
    if isinstance(value, datetime):
        cell.number_format = DATE_FORMAT


def _local(when: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Spreadsheets have no time zones: a naive local time reads as the control room's clock.
    return None if when is None else clock.to_local(when, zone).replace(tzinfo=None)


def _sightings(
    engine: Engine, period: Period, zone: ZoneInfo, show_numbers: bool
) -> list[list[Cell]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(Sighting)
            .where(Sighting.created_at >= period.start, Sighting.created_at < period.end)
            .order_by(Sighting.created_at, Sighting.id)
        ).all()
    rows: list[list[Cell]] = []
    for s in found:
        placed = s.lat is not None and s.lon is not None
        grid = geo.to_grid(geo.Point(s.lat, s.lon)) if placed else ""
        rows.append(
            [
                s.ref,
                _local(s.created_at, zone),
                s.sender if show_numbers else mask(s.sender),
                s.sender_name,
                s.text,
                s.registrations.replace(";", "; "),
                s.place,
                s.lat,
                s.lon,
                grid,
                s.status,
            ]
        )
    return rows


def _alerts(engine: Engine, period: Period, zone: ZoneInfo) -> list[list[Cell]]:
    found = alerts_in(engine, period)
    states = found.states
    return [
        [
            a.ref,
            _local(a.created_at, zone),
            a.created_by,
            found.lists(a),
            a.text,
            a.recipients,
            phase(info_of(a), states.get(a.id, {})),
            a.near_text,
        ]
        for a in found.alerts
    ]


def _visits(engine: Engine, period: Period, zone: ZoneInfo) -> list[list[Cell]]:
    with engine.connect() as conn:
        found = conn.execute(
            select(
                PatrolPoint.code,
                PatrolPoint.name,
                PatrolVisit.officer,
                PatrolVisit.at,
                PatrolVisit.notes,
                PatrolVisit.registrations,
            )
            .join(PatrolPoint, PatrolPoint.id == PatrolVisit.point_id)
            .where(PatrolVisit.at >= period.start, PatrolVisit.at < period.end)
            .order_by(PatrolVisit.at, PatrolVisit.id)
        ).all()
    return [
        [
            v.code,
            v.name,
            v.officer,
            _local(v.at, zone),
            v.notes,
            v.registrations.replace(",", ", "),
        ]
        for v in found
    ]
