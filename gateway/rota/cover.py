"""Duty-rota coverage as pure functions: who is on duty now, and where nobody will be.

Every instant is a naive UTC datetime; only `week_grid` speaks local time, because the
console shows wall-clock hours. Intervals are half-open, [start, end): a shift ending at
08:00 and one starting at 08:00 leave no gap, and at 08:00 only the second is on duty.
A zero-length or inverted shift is refused when it is built (CoverageError), so every
function below can trust `start < end` instead of quietly dropping rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Literal

from gateway.core import clock
from gateway.core.errors import GatewayError

Role = Literal["primary", "backup"]
Span = tuple[datetime, datetime]
ROLES: tuple[Role, ...] = ("primary", "backup")


class CoverageError(GatewayError, ValueError):
    """Rota input nothing sensible can be said about: the message names the value."""


def _naive(moment: datetime, what: str) -> None:
    if moment.tzinfo is not None:
        raise CoverageError(f"{what} must be a naive UTC datetime, not {moment.isoformat()}")


def _window(start: datetime, end: datetime) -> None:
    _naive(start, "the window's start")
    _naive(end, "the window's end")
    if end < start:
        raise CoverageError(f"the window ends ({end}) before it starts ({start})")


@dataclass(frozen=True)
class Shift:
    id: int
    operator_id: int
    start: datetime
    end: datetime
    role: Role = "primary"

    def __post_init__(self) -> None:
        _naive(self.start, f"shift {self.id}'s start")
        _naive(self.end, f"shift {self.id}'s end")
        if self.end <= self.start:
            raise CoverageError(f"shift {self.id} must end after it starts ({self.start})")
        if self.role not in ROLES:
            raise CoverageError(f"shift {self.id}'s role is primary or backup, not {self.role!r}")

    def covers(self, at: datetime) -> bool:
        return self.start <= at < self.end


@dataclass(frozen=True)
class OnDuty:
    primary: Shift | None
    backup: Shift | None


@dataclass(frozen=True)
class Gap:
    start: datetime
    end: datetime

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / 3600


@dataclass(frozen=True)
class GridCell:
    """One wall-clock slot of the week grid.

    `spans` is the real (UTC) time behind the label: empty when the clocks skip the slot
    (spring), two hours or two spans when they go back (autumn), one slot long otherwise.
    `primary`/`backup` are operator ids on duty as the slot begins; `gap` is true when
    nobody is on duty at any moment of it, so a half-covered hour still shows red.
    """

    local: datetime
    spans: tuple[Span, ...]
    primary: int | None
    backup: int | None
    gap: bool

    @property
    def minutes(self) -> float:
        return sum((b - a).total_seconds() for a, b in self.spans) / 60


def _latest(shifts: Iterable[Shift]) -> Shift | None:
    """A handover overlap goes to whoever came on last; equal starts to the lowest id."""
    return max(shifts, key=lambda s: (s.start, -s.id), default=None)


def on_duty(shifts: Sequence[Shift], at: datetime) -> OnDuty:
    """Who answers at `at`; a lone backup is promoted, since someone is there after all."""
    _naive(at, "at")
    here = [s for s in shifts if s.covers(at)]
    primary = _latest(s for s in here if s.role == "primary")
    backup = _latest(s for s in here if s.role == "backup")
    return OnDuty(backup, None) if primary is None else OnDuty(primary, backup)


def _covered(shifts: Sequence[Shift], start: datetime, end: datetime) -> list[Span]:
    return sorted(
        (max(s.start, start), min(s.end, end)) for s in shifts if s.end > start and s.start < end
    )


def gaps(
    shifts: Sequence[Shift], start: datetime, end: datetime, *, min_minutes: float = 0
) -> list[Gap]:
    """Maximal stretches of [start, end) with nobody on duty, in order, none shorter than
    `min_minutes` (a gap exactly that long is kept)."""
    _window(start, end)
    if min_minutes < 0:
        raise CoverageError(f"min_minutes cannot be negative ({min_minutes})")
    found: list[Gap] = []
    cursor = start
    for a, b in _covered(shifts, start, end):
        if a > cursor:
            found.append(Gap(cursor, a))
        cursor = max(cursor, b)
    if cursor < end:
        found.append(Gap(cursor, end))
    shortest = timedelta(minutes=min_minutes)
    return [g for g in found if g.end - g.start >= shortest]


def next_change(shifts: Sequence[Shift], after: datetime) -> datetime | None:
    """The next shift start or end strictly after `after`: when to look at the rota again."""
    _naive(after, "after")
    return min((t for s in shifts for t in (s.start, s.end) if t > after), default=None)


def upcoming_gaps_to_warn(
    shifts: Sequence[Shift],
    now: datetime,
    *,
    warn_before: timedelta,
    horizon: timedelta = timedelta(days=7),
    min_minutes: float = 0,
) -> list[Gap]:
    """Gaps starting in (now, now + warn_before]: the ones the rota admin is texted about.

    A gap already open at `now` is not upcoming (that is an alarm, not a warning). Gap
    ends are clipped at now + horizon, which must reach past the warning window (plus
    `min_minutes`) so a gap opening at its very edge is seen and measured.
    """
    _naive(now, "now")
    reach = warn_before + timedelta(minutes=min_minutes)
    if warn_before <= timedelta(0) or horizon <= reach:
        raise CoverageError(
            f"need 0 < warn_before and warn_before + min_minutes < horizon "
            f"(warn_before={warn_before}, min_minutes={min_minutes}, horizon={horizon})"
        )
    window = gaps(shifts, now, now + horizon, min_minutes=min_minutes)
    return [g for g in window if now < g.start <= now + warn_before]


def shifts_starting(shifts: Sequence[Shift], start: datetime, end: datetime) -> list[Shift]:
    """Shifts beginning in [start, end), earliest first: reminders and handover digests."""
    _window(start, end)
    return sorted((s for s in shifts if start <= s.start < end), key=lambda s: (s.start, s.id))


def _offset(moment: datetime, tz: tzinfo) -> timedelta:
    return clock.to_local(moment, tz).utcoffset() or timedelta(0)


def _pieces(day_start: datetime, day_end: datetime, tz: tzinfo) -> list[tuple[Span, timedelta]]:
    """Split one local day into stretches of constant UTC offset (one clock change a day
    at most). zoneinfo hides its transitions, so the change is found by bisection."""
    last_second = int((day_end - day_start).total_seconds()) - 1
    first, last = _offset(day_start, tz), _offset(day_start + timedelta(seconds=last_second), tz)
    if first == last:
        return [((day_start, day_end), first)]
    lo, hi = 0, last_second  # invariant: offset(lo) == first, offset(hi) != first
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _offset(day_start + timedelta(seconds=mid), tz) == first:
            lo = mid
        else:
            hi = mid
    cut = day_start + timedelta(seconds=hi)
    return [((day_start, cut), first), ((cut, day_end), last)]


def _slot_spans(
    wall: datetime, slot: timedelta, pieces: list[tuple[Span, timedelta]]
) -> tuple[Span, ...]:
    """The real time whose wall clock reads [wall, wall + slot): one span per offset in use."""
    spans: list[Span] = []
    for (piece_start, piece_end), offset in pieces:
        a, b = max(wall - offset, piece_start), min(wall + slot - offset, piece_end)
        if a >= b:
            continue
        if spans and spans[-1][1] == a:
            spans[-1] = (spans[-1][0], b)
        else:
            spans.append((a, b))
    return tuple(spans)


def _cell(
    shifts: Sequence[Shift], holes: list[Gap], wall: datetime, spans: tuple[Span, ...]
) -> GridCell:
    if not spans:
        return GridCell(wall, spans, None, None, gap=False)
    duty = on_duty(shifts, spans[0][0])
    gap = any(g.start < b and a < g.end for a, b in spans for g in holes)
    return GridCell(
        wall,
        spans,
        duty.primary.operator_id if duty.primary else None,
        duty.backup.operator_id if duty.backup else None,
        gap,
    )


def week_grid(
    shifts: Sequence[Shift], week_start: date, tz: tzinfo, *, slot_minutes: int = 60
) -> list[list[GridCell]]:
    """Seven local days, each 24h/slot wall-clock cells, so every row of the grid is the
    same time of day. `week_start` is the first local date (a naive local midnight also
    does). A 23- or 25-hour day keeps its row count; its cells' `spans` tell the truth."""
    if isinstance(week_start, datetime):
        if week_start.tzinfo is not None or week_start.time() != time(0):
            raise CoverageError(f"week_start is a local date, not {week_start.isoformat()}")
        week_start = week_start.date()
    if slot_minutes <= 0 or (24 * 60) % slot_minutes:
        raise CoverageError(f"slot_minutes must divide a day evenly, not {slot_minutes}")
    slot = timedelta(minutes=slot_minutes)
    days = [datetime.combine(week_start + timedelta(days=i), time(0)) for i in range(8)]
    midnights = [clock.to_utc(day, tz) for day in days]
    holes = gaps(shifts, midnights[0], midnights[7])
    grid: list[list[GridCell]] = []
    for i in range(7):
        pieces = _pieces(midnights[i], midnights[i + 1], tz)
        walls = [days[i] + k * slot for k in range(24 * 60 // slot_minutes)]
        grid.append([_cell(shifts, holes, w, _slot_spans(w, slot, pieces)) for w in walls])
    return grid
