"""Subscribers in and out of spreadsheets: CSV with the header
`phone,name,lists,email,channel,location` (the last three optional on import: a file
without them imports as before).

An import is checked whole before anything is written; every bad row is reported with its
line, and one bad row changes nothing unless the caller asks to skip bad rows. The write is
one transaction of bulk statements: a force's list is tens of thousands of people, and a
transaction per person would take minutes on an SD card.

An import never overrides an opt-out: a global STOP stays, and a list someone left stays
left (the membership is not re-activated; the officer re-joins them deliberately). A
stopped person's new memberships are recorded but send nothing unless they text START.
Export leaves out stopped people and people on no list, so importing an export anywhere
never re-subscribes anyone; for the same reason a person who left the emails is written
without their address (and left out if email was all they had).

An address in the file fills an empty one, as a name does, and so does a location: what a
person gave in the console or kept from before is not overwritten. A channel is set.

Cells a spreadsheet would run as a formula (starting `=`, `+`, `-`, `@`, tab, CR ...) are
written behind an apostrophe (OWASP's advice). That includes every phone number:
`'+447700900123` shows as text, where a bare `+447700900123` may be evaluated and become the
number 447700900123. Import removes the apostrophe again, so export output imports as is.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import re
import secrets
import tempfile
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import groupby
from pathlib import Path
from typing import IO, NamedTuple, cast

from sqlalchemy import Engine, bindparam, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from gateway.core import audit, geo
from gateway.core.db import utcnow
from gateway.core.errors import GatewayError
from gateway.core.models import AuditEntry, Consent, Membership, Subscriber
from gateway.subscribers.csv_rows import (
    HEADER,
    BadRow,
    CsvError,
    ListIndex,
    Person,
    Source,
    clean_name,
    escape_cell,
    parse,
    read_text,
    unescape_cell,
)
from gateway.subscribers.service import Subscribers
from gateway.subscribers.whereabouts import fill_locations

__all__ = [
    "BadRow",
    "CsvError",
    "ImportConflict",
    "ImportReport",
    "escape_cell",
    "export_csv",
    "import_csv",
    "read_text",
    "row_texts",
    "unescape_cell",
]

log = logging.getLogger(__name__)


class ImportConflict(GatewayError, RuntimeError):
    """The database changed under the import (the same number or membership was added at
    the same moment); nothing was imported, so running it again is safe."""


@dataclass(frozen=True)
class ImportReport:
    """`imported` counts people: rows with the same number are one person, and each row
    folded into an earlier one counts in `merged`. `memberships` counts new memberships
    (each with its consent record); `stopped` the imported people who keep an earlier
    global STOP; `kept_left` the memberships left inactive because the person had left
    that list; `rows` the data rows read. Nothing is written when `bad` is not empty,
    unless the import was asked to skip bad rows."""

    imported: int
    merged: int
    bad: list[BadRow]
    new_subscribers: int
    memberships: int
    stopped: int = 0
    kept_left: int = 0
    rows: int = 0


# -- import ----------------------------------------------------------------------------
def import_csv(
    engine: Engine,
    path_or_stream: Source,
    *,
    country: str = "GB",
    skip_bad: bool = False,
    by: str = "cli",
    gazetteer: tuple[str, ...] = (),
) -> ImportReport:
    """Check every row, then write the good ones in one transaction: all of them, or with
    bad rows none unless `skip_bad`. `gazetteer`: config `rota.gazetteer`, the places a
    location may name beside the built-ins. Raises CsvError or ImportConflict."""
    text = read_text(path_or_stream)
    places = geo.gazetteer_places(gazetteer) if gazetteer else None
    parsed = parse(text, ListIndex(Subscribers(engine, country).lists()), country, places)
    if not parsed.people or (parsed.bad and not skip_bad):
        return ImportReport(0, 0, parsed.bad, 0, 0, rows=parsed.rows)
    people = list(parsed.people.values())
    detail = f"{len(people)} people from {parsed.rows} rows{_named(path_or_stream)}"
    if parsed.bad:
        detail += f", {len(parsed.bad)} bad rows skipped"
    try:
        with engine.begin() as conn:
            written = _write(conn, people, by[:64], detail)
    except IntegrityError as exc:
        raise ImportConflict(
            "the database changed during the import (the same number or membership was "
            "added at the same moment); nothing was imported: run it again"
        ) from exc
    log.info("import by %s: %s", by, detail)
    return replace(written, merged=parsed.merged, bad=parsed.bad, rows=parsed.rows)


def row_texts(text: str, lines: Collection[int]) -> dict[int, str]:
    """The raw text of the rows starting on these physical lines (a quoted cell may take
    more than one), so a report can show the officer the very row to fix."""
    physical = re.split(r"\r\n|\r|\n", text)  # where csv, reading with newline="", ends lines
    reader = csv.reader(io.StringIO(text, newline=""))
    found: dict[int, str] = {}
    start = 1
    with contextlib.suppress(csv.Error):  # import_csv reported the file as unreadable
        for _ in reader:
            if start in lines:
                found[start] = "\n".join(physical[start - 1 : reader.line_num])
            start = reader.line_num + 1
    return found


def _named(source: Source) -> str:
    return f" of {Path(source).name}" if isinstance(source, str | os.PathLike) else ""


def _write(conn: Connection, people: list[Person], by: str, detail: str) -> ImportReport:
    now = utcnow()
    # The audit row goes first: on SQLite that write takes the database's write lock, so
    # nobody changes what the reads below find before this transaction commits.
    conn.execute(
        insert(AuditEntry).values(at=now, actor=by, action="subscribers-imported", detail=detail)
    )
    query = select(
        Subscriber.id, Subscriber.phone, Subscriber.name, Subscriber.stopped, Subscriber.email
    )
    known = {
        str(r.phone): _Stored(r.id, r.name, r.stopped, r.email)
        for r in conn.execute(query.where(Subscriber.phone.is_not(None)))
    }
    fresh = [p for p in people if p.phone not in known]
    if fresh:
        conn.execute(
            insert(Subscriber),
            [
                {
                    "phone": p.phone,
                    "name": p.name,
                    "stopped": False,
                    "created_at": now,
                    "email": p.email,
                    "email_token": secrets.token_urlsafe(16) if p.email else None,
                    "channel": p.channel or "sms",
                    "location": p.location[0] if p.location else None,
                    "lat": p.location[1].lat if p.location else None,
                    "lon": p.location[1].lon if p.location else None,
                }
                for p in fresh
            ],
        )
    placed = [(known[p.phone].id, *p.location) for p in people if p.phone in known and p.location]
    fill_locations(conn, placed)
    _fill_names(conn, people, known)
    _fill_emails(conn, people, known)
    joins, kept_left = _new_memberships(conn, people)
    _join(conn, joins, by, now)
    stopped = sum(1 for p in people if p.phone in known and known[p.phone].stopped)
    return ImportReport(len(people), 0, [], len(fresh), len(joins), stopped, kept_left)


class _Stored(NamedTuple):
    id: int
    name: str
    stopped: bool
    email: str | None


def _fill_names(conn: Connection, people: list[Person], known: dict[str, _Stored]) -> None:
    """An existing name is kept; an empty one takes the file's."""
    named = [
        {"b_id": known[p.phone].id, "b_name": p.name}
        for p in people
        if p.phone in known and p.name and not known[p.phone].name
    ]
    if named:
        conn.execute(
            update(Subscriber)
            .where(Subscriber.id == bindparam("b_id"), Subscriber.name == "")
            .values(name=bindparam("b_name")),
            named,
        )


def _fill_emails(conn: Connection, people: list[Person], known: dict[str, _Stored]) -> None:
    """An existing address is kept; an empty one takes the file's (with a leave token).
    A channel in the file is set; "email" or "both" came with an address in its row."""
    filled = [
        {"b_id": known[p.phone].id, "b_email": p.email, "b_token": secrets.token_urlsafe(16)}
        for p in people
        if p.phone in known and p.email and not known[p.phone].email
    ]
    if filled:
        conn.execute(
            update(Subscriber)
            .where(Subscriber.id == bindparam("b_id"), Subscriber.email.is_(None))
            .values(email=bindparam("b_email"), email_token=bindparam("b_token")),
            filled,
        )
    chosen = [
        {"b_id": known[p.phone].id, "b_channel": p.channel}
        for p in people
        if p.phone in known and p.channel
    ]
    if chosen:
        conn.execute(
            update(Subscriber)
            .where(Subscriber.id == bindparam("b_id"))
            .values(channel=bindparam("b_channel")),
            chosen,
        )


def _new_memberships(conn: Connection, people: list[Person]) -> tuple[list[tuple[int, int]], int]:
    """The (subscriber, list) pairs to add, and how many inactive ones stay inactive."""
    query = select(Subscriber.phone, Subscriber.id).where(Subscriber.phone.is_not(None))
    ids = {str(r.phone): int(r.id) for r in conn.execute(query)}
    list_ids = {list_id for p in people for list_id in p.list_ids}
    have = {
        (r.subscriber_id, r.list_id): bool(r.active)
        for r in conn.execute(
            select(Membership.subscriber_id, Membership.list_id, Membership.active).where(
                Membership.list_id.in_(list_ids)
            )
        )
    }
    joins: list[tuple[int, int]] = []
    kept_left = 0
    for p in people:
        for list_id in p.list_ids:
            active = have.get((ids[p.phone], list_id))
            if active is None:
                joins.append((ids[p.phone], list_id))
            elif not active:
                kept_left += 1
    return joins, kept_left


def _join(conn: Connection, joins: list[tuple[int, int]], by: str, now: datetime) -> None:
    if not joins:
        return
    conn.execute(
        insert(Membership),
        [
            {
                "subscriber_id": s,
                "list_id": n,
                "active": True,
                "key_contact": False,
                "joined_at": now,
            }
            for s, n in joins
        ],
    )
    conn.execute(
        insert(Consent),
        [
            {
                "subscriber_id": s,
                "list_id": n,
                "action": "join",
                "method": "import",
                "by": by,
                "at": now,
            }
            for s, n in joins
        ],
    )


# -- export ----------------------------------------------------------------------------
def export_csv(
    engine: Engine, path_or_stream: Source, *, by: str = "cli", list_id: int | None = None
) -> int:
    """Write everyone who gets alerts, with their lists, sorted by number; return how many.
    With `list_id`, only that list's members, with that list alone in their `lists` cell.

    A file is replaced atomically and readable by its owner only: it holds personal data."""
    index = ListIndex(Subscribers(engine).lists())
    query = (
        select(
            Subscriber.phone,
            Subscriber.name,
            Subscriber.email,
            Subscriber.channel,
            Subscriber.email_stopped,
            Subscriber.location,
            Membership.list_id,
        )
        .join(Membership, Membership.subscriber_id == Subscriber.id)
        .where(Subscriber.phone.is_not(None), Subscriber.stopped.is_(False), Membership.active)
        .order_by(Subscriber.phone)
    )
    if list_id is not None:
        query = query.where(Membership.list_id == list_id)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    count = 0
    for phone, group in groupby(rows, key=lambda r: str(r.phone)):
        members = list(group)
        labels = {index.label(r.list_id) for r in members} - {None}
        first = members[0]
        choice = _exported_choice(first.email, first.channel, first.email_stopped)
        if labels and choice is not None:
            lists = ";".join(sorted(cast(set[str], labels), key=str.casefold))
            row = (phone, clean_name(first.name), lists, *choice, first.location or "")
            writer.writerow([escape_cell(c) for c in row])
            count += 1
    _write_out(path_or_stream, out.getvalue())
    scope = f" of list {index.label(list_id)}" if list_id is not None else ""
    detail = f"{count} people{scope}{_named(path_or_stream)}"
    audit.record(engine, by[:64], "subscribers-exported", detail)
    return count


def _exported_choice(email: str | None, channel: str, stopped: bool) -> tuple[str, str] | None:
    """The email and channel cells: no address for someone who left the emails (so no
    import can start them again), and nobody at all if email was all they had."""
    if email and not stopped:
        return email, channel
    return None if channel == "email" else ("", "sms")


def _write_out(target: Source, text: str) -> None:
    if not isinstance(target, str | os.PathLike):
        if isinstance(target, io.TextIOBase):
            target.write(text)
        else:
            cast(IO[bytes], target).write(text.encode("utf-8-sig"))
        return
    path = Path(target)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise CsvError(f"cannot write {path}: {exc.strerror}") from None
    try:
        # The BOM makes Excel read UTF-8 (names like Siân) instead of the Windows code page.
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise CsvError(f"cannot write {path}: {exc.strerror}") from None
