"""Duty-rota coverage: tables for the named edge cases, hypothesis for the invariants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.rota.cover import (
    CoverageError,
    Gap,
    GridCell,
    OnDuty,
    Shift,
    gaps,
    next_change,
    on_duty,
    shifts_starting,
    upcoming_gaps_to_warn,
    week_grid,
)

LONDON = ZoneInfo("Europe/London")
T0 = datetime(2024, 5, 6)  # a Monday, 00:00 UTC


def h(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def sh(sid: int, start: float, end: float, role: str = "primary", op: int = 0) -> Shift:
    return Shift(sid, op or 100 + sid, h(start), h(end), role)  # type: ignore[arg-type]


# --- construction ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "role"),
    [
        (h(8), h(8), "primary"),  # zero length
        (h(9), h(8), "primary"),  # inverted
        (h(8).replace(tzinfo=UTC), h(9).replace(tzinfo=UTC), "primary"),  # aware
        (h(8), h(9), "reserve"),
    ],
)
def test_a_shift_that_cannot_be_on_duty_is_refused_when_built(
    start: datetime, end: datetime, role: str
) -> None:
    with pytest.raises(CoverageError, match="shift 7"):
        Shift(7, 1, start, end, role)  # type: ignore[arg-type]


def test_coverage_errors_are_value_errors_for_callers_that_catch_broadly() -> None:
    assert issubclass(CoverageError, ValueError)


# --- on_duty ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rota", "at", "primary", "backup"),
    [
        ([], 10, None, None),
        ([sh(1, 8, 16)], 10, 1, None),
        ([sh(1, 8, 16)], 8, 1, None),  # the start instant is on duty
        ([sh(1, 8, 16)], 16, None, None),  # the end instant is not
        ([sh(1, 8, 16), sh(2, 8, 16, "backup")], 12, 1, 2),
        ([sh(1, 8, 16), sh(2, 15, 23)], 15.5, 2, None),  # handover overlap: latest start
        ([sh(3, 8, 16), sh(2, 8, 12)], 10, 2, None),  # same start: lowest id
        ([sh(1, 8, 12), sh(2, 8, 16, "backup")], 13, 2, None),  # lone backup promoted
        ([sh(1, 8, 16, "backup"), sh(2, 9, 16, "backup")], 10, 2, None),
        ([sh(1, 0, 24), sh(2, 1, 5, "backup"), sh(3, 2, 6, "backup")], 3, 1, 3),
    ],
)
def test_on_duty_picks_primary_and_backup(
    rota: list[Shift], at: float, primary: int | None, backup: int | None
) -> None:
    duty = on_duty(rota, h(at))
    assert (duty.primary.id if duty.primary else None) == primary
    assert (duty.backup.id if duty.backup else None) == backup


def test_on_duty_refuses_an_aware_moment() -> None:
    with pytest.raises(CoverageError, match="naive UTC"):
        on_duty([sh(1, 0, 24)], h(3).replace(tzinfo=UTC))


# --- gaps -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rota", "expected"),
    [
        ([], [(0, 24)]),  # empty rota: one gap over the whole window
        ([sh(1, -6, 30)], []),  # started before and ends after the window
        ([sh(1, -6, 6)], [(6, 24)]),  # started before the window
        ([sh(1, 18, 30)], [(0, 18)]),  # ends after the window
        ([sh(1, 0, 8), sh(2, 8, 16), sh(3, 16, 24)], []),  # touching end-to-start
        ([sh(1, 0, 10), sh(2, 6, 14, "backup"), sh(3, 12, 24)], []),  # overlapping
        ([sh(1, 2, 6), sh(2, 10, 12)], [(0, 2), (6, 10), (12, 24)]),
        ([sh(1, 0, 6), sh(2, 0, 6, "backup"), sh(3, 8, 24), sh(4, 7.5, 9)], [(6, 7.5)]),
        ([sh(1, 30, 40), sh(2, -10, -1)], [(0, 24)]),  # shifts wholly outside
        ([sh(1, 4, 5, "backup")], [(0, 4), (5, 24)]),  # a backup is somebody
    ],
)
def test_gaps_are_the_uncovered_stretches_of_the_window(
    rota: list[Shift], expected: list[tuple[float, float]]
) -> None:
    assert gaps(rota, h(0), h(24)) == [Gap(h(a), h(b)) for a, b in expected]


@pytest.mark.parametrize(
    ("min_minutes", "kept_minutes"), [(0, [5, 30, 120]), (30, [30, 120]), (120, [120]), (121, [])]
)
def test_gaps_shorter_than_min_minutes_are_dropped(
    min_minutes: float, kept_minutes: list[int]
) -> None:
    # holes of 5 minutes, exactly 30 minutes and 2 hours
    rota = [sh(1, 0, 1), sh(2, 1 + 5 / 60, 2), sh(3, 2.5, 4), sh(4, 6, 24)]
    found = gaps(rota, h(0), h(24), min_minutes=min_minutes)
    assert [round(g.hours * 60) for g in found] == kept_minutes


def test_a_gap_knows_its_length_in_hours() -> None:
    assert Gap(h(6), h(7.5)).hours == 1.5


def test_an_empty_window_has_no_gaps_and_an_inverted_one_is_refused() -> None:
    assert gaps([], h(3), h(3)) == []
    with pytest.raises(CoverageError, match="ends"):
        gaps([], h(3), h(2))
    with pytest.raises(CoverageError, match="min_minutes"):
        gaps([], h(0), h(1), min_minutes=-1)


# --- next_change, shifts_starting ---------------------------------------------------------


@pytest.mark.parametrize(
    ("after", "expected"),
    [(-1, 0), (0, 6), (5, 6), (6, 8), (8, 20), (19.9, 20), (20, None), (99, None)],
)
def test_next_change_is_the_next_start_or_end_strictly_after(
    after: float, expected: float | None
) -> None:
    rota = [sh(1, 0, 8), sh(2, 6, 20, "backup")]
    assert next_change(rota, h(after)) == (None if expected is None else h(expected))


def test_shifts_starting_is_half_open_and_ordered() -> None:
    rota = [sh(4, 12, 14), sh(1, 8, 9), sh(3, 10, 11), sh(2, 10, 12), sh(5, 7, 9)]
    assert [s.id for s in shifts_starting(rota, h(8), h(12))] == [1, 2, 3]


# --- upcoming_gaps_to_warn ----------------------------------------------------------------

# Covered [0, 10), gaps at [10, 11) and [12, 24) of the 24-hour rota below.
WARN_ROTA = [sh(1, 0, 10), sh(2, 11, 12)]


@pytest.mark.parametrize(
    ("now", "warn_hours", "starts"),
    [
        (8, 2, [10]),  # a gap exactly warn_before away is warned about
        (8, 1.99, []),  # a moment short of it is not
        (9.5, 3, [10, 12]),
        (10, 3, [12]),  # the gap opening right now has started: not a warning
        (10.5, 1, []),  # in a gap; the next one opens 1.5 h away
        (10.5, 1.5, [12]),
    ],
)
def test_upcoming_gaps_to_warn_respects_the_window_boundaries(
    now: float, warn_hours: float, starts: list[float]
) -> None:
    found = upcoming_gaps_to_warn(WARN_ROTA, h(now), warn_before=timedelta(hours=warn_hours))
    assert [g.start for g in found] == [h(s) for s in starts]


def test_upcoming_gaps_can_ignore_handover_slop() -> None:
    rota = [sh(1, 0, 10), sh(2, 10 + 2 / 60, 20)]
    assert upcoming_gaps_to_warn(rota, h(9), warn_before=timedelta(hours=2)) != []
    assert upcoming_gaps_to_warn(rota, h(9), warn_before=timedelta(hours=2), min_minutes=5) == []


@pytest.mark.parametrize(
    ("warn", "horizon"),
    [(timedelta(0), timedelta(days=7)), (timedelta(days=7), timedelta(days=7))],
)
def test_a_warning_window_beyond_the_horizon_is_refused(
    warn: timedelta, horizon: timedelta
) -> None:
    with pytest.raises(CoverageError, match="warn_before"):
        upcoming_gaps_to_warn([], h(0), warn_before=warn, horizon=horizon)


# --- week_grid --------------------------------------------------------------------------


def day_minutes(day: list[GridCell]) -> float:
    return sum(cell.minutes for cell in day)


def test_a_summer_week_grid_is_local_time_with_gaps_marked() -> None:
    # 09:00-17:00 BST on the Monday is 08:00-16:00 UTC; a backup from 12:00 BST.
    rota = [sh(1, 8, 16, op=41), sh(2, 11, 14, "backup", op=42)]
    grid = week_grid(rota, date(2024, 5, 6), LONDON)
    assert [len(day) for day in grid] == [24] * 7
    monday = grid[0]
    assert monday[0].local == datetime(2024, 5, 6, 0, 0)
    assert monday[0].spans == ((datetime(2024, 5, 5, 23, 0), T0),)
    assert [(c.primary, c.backup, c.gap) for c in monday[8:18]] == [
        (None, None, True),
        *[(41, None, False)] * 3,
        *[(41, 42, False)] * 3,
        *[(41, None, False)] * 2,
        (None, None, True),
    ]
    assert all(c.gap for day in grid[1:] for c in day)


def test_a_partly_covered_slot_is_a_gap_and_shows_who_is_on_at_its_start() -> None:
    rota = [Shift(1, 7, datetime(2024, 1, 8, 9), datetime(2024, 1, 8, 9, 30))]
    grid = week_grid(rota, date(2024, 1, 8), LONDON)  # GMT: UTC == local
    assert (grid[0][9].primary, grid[0][9].gap) == (7, True)


def test_the_spring_forward_day_keeps_its_rows_with_the_lost_hour_empty() -> None:
    # 31 March 2024: 01:00 GMT becomes 02:00 BST.
    rota = [Shift(1, 5, datetime(2024, 3, 30, 22), datetime(2024, 4, 1, 6))]
    sunday = week_grid(rota, date(2024, 3, 25), LONDON)[6]
    assert len(sunday) == 24
    assert day_minutes(sunday) == 23 * 60
    lost = sunday[1]
    assert (lost.local, lost.spans, lost.primary, lost.gap) == (
        datetime(2024, 3, 31, 1),
        (),
        None,
        False,
    )
    assert sunday[2].spans == ((datetime(2024, 3, 31, 1), datetime(2024, 3, 31, 2)),)
    assert not any(c.gap for c in sunday)


def test_the_fall_back_day_gives_the_repeated_hour_two_hours_of_real_time() -> None:
    # 27 October 2024: 02:00 BST becomes 01:00 GMT, so 01:00-02:00 happens twice.
    # Cover ends at the first 01:00 (00:00 UTC) and resumes at 02:00 GMT (02:00 UTC).
    rota = [
        Shift(1, 5, datetime(2024, 10, 26, 12), datetime(2024, 10, 27, 0)),
        Shift(2, 6, datetime(2024, 10, 27, 2), datetime(2024, 10, 27, 12)),
    ]
    sunday = week_grid(rota, date(2024, 10, 21), LONDON)[6]
    assert len(sunday) == 24
    assert day_minutes(sunday) == 25 * 60
    repeated = sunday[1]
    assert repeated.spans == ((datetime(2024, 10, 27, 0), datetime(2024, 10, 27, 2)),)
    assert (repeated.minutes, repeated.gap) == (120, True)
    assert [(c.primary, c.gap) for c in sunday[:3]] == [(5, False), (None, True), (6, False)]


def test_a_gap_only_in_the_second_repeated_hour_still_shows_red() -> None:
    rota = [
        Shift(1, 5, datetime(2024, 10, 26, 12), datetime(2024, 10, 27, 1)),  # to 01:00 GMT
        Shift(2, 6, datetime(2024, 10, 27, 2), datetime(2024, 10, 27, 12)),
    ]
    repeated = week_grid(rota, date(2024, 10, 21), LONDON)[6][1]
    assert (repeated.primary, repeated.gap) == (5, True)


def test_half_hour_slots_on_the_fall_back_night_have_two_separate_spans() -> None:
    sunday = week_grid([], date(2024, 10, 21), LONDON, slot_minutes=30)[6]
    assert len(sunday) == 48
    at_0130 = sunday[3]
    assert at_0130.local == datetime(2024, 10, 27, 1, 30)
    assert at_0130.spans == (
        (datetime(2024, 10, 27, 0, 30), datetime(2024, 10, 27, 1)),
        (datetime(2024, 10, 27, 1, 30), datetime(2024, 10, 27, 2)),
    )


@pytest.mark.parametrize("week_start", [datetime(2024, 5, 6, 9), datetime(2024, 5, 6, tzinfo=UTC)])
def test_week_start_must_be_a_local_date(week_start: datetime) -> None:
    with pytest.raises(CoverageError, match="local date"):
        week_grid([], week_start, LONDON)


def test_a_naive_local_midnight_is_accepted_as_the_week_start() -> None:
    assert week_grid([], datetime(2024, 5, 6), LONDON) == week_grid([], date(2024, 5, 6), LONDON)


@pytest.mark.parametrize("slot", [0, -60, 7, 1441])
def test_a_slot_that_does_not_divide_the_day_is_refused(slot: int) -> None:
    with pytest.raises(CoverageError, match="slot_minutes"):
        week_grid([], date(2024, 5, 6), LONDON, slot_minutes=slot)


# --- properties ---------------------------------------------------------------------------

WINDOW_START, WINDOW_END = h(0), h(72)


@st.composite
def rotas(draw: st.DrawFn, span_hours: int = 96, max_size: int = 8) -> list[Shift]:
    """Shifts on a 15-minute lattice around the window, so starts, ends and ties collide."""
    count = draw(st.integers(0, max_size))
    rota = []
    for sid in range(1, count + 1):
        start = draw(st.integers(-48, span_hours * 4))
        length = draw(st.integers(1, 48))
        role = draw(st.sampled_from(["primary", "backup"]))
        op = draw(st.integers(1, 4))
        rota.append(sh(sid, start / 4, (start + length) / 4, role, op))
    return rota


def probes(rota: list[Shift], found: list[Gap], start: datetime, end: datetime) -> list[datetime]:
    """Every boundary plus the midpoint between neighbours. Coverage and gap membership only
    change at boundaries, so checking these checks every instant of the window."""
    points = {start, end}
    points |= {t for s in rota for t in (s.start, s.end)} | {
        t for g in found for t in (g.start, g.end)
    }
    inside = sorted(t for t in points if start <= t <= end)
    mids = [a + (b - a) / 2 for a, b in pairwise(inside)]
    return [t for t in inside + mids if start <= t < end]


@given(rotas(), st.sampled_from([0, 0, 10, 30, 90]))
def test_every_instant_is_either_in_a_gap_or_covered_never_both(
    rota: list[Shift], min_minutes: int
) -> None:
    found = gaps(rota, WINDOW_START, WINDOW_END, min_minutes=min_minutes)
    everything = gaps(rota, WINDOW_START, WINDOW_END)
    for t in probes(rota, everything, WINDOW_START, WINDOW_END):
        covered = on_duty(rota, t).primary is not None
        in_gap = any(g.start <= t < g.end for g in everything)
        assert covered != in_gap, t
        assert not (covered and any(g.start <= t < g.end for g in found))
    assert set(found) <= set(everything)
    assert all(g.end - g.start >= timedelta(minutes=min_minutes) for g in found)


@given(rotas())
def test_gaps_are_ordered_inside_the_window_and_never_touch(rota: list[Shift]) -> None:
    found = gaps(rota, WINDOW_START, WINDOW_END)
    assert all(WINDOW_START <= g.start < g.end <= WINDOW_END for g in found)
    assert all(a.end < b.start for a, b in pairwise(found))


@given(rotas(), st.integers(-8, 300))
def test_on_duty_follows_the_rules(rota: list[Shift], quarter: int) -> None:
    at = h(quarter / 4)
    duty = on_duty(rota, at)

    def latest(role: str) -> Shift | None:
        here = [s for s in rota if s.covers(at) and s.role == role]
        return max(here, key=lambda s: (s.start, -s.id), default=None)

    primary, backup = latest("primary"), latest("backup")
    assert duty == (OnDuty(primary, backup) if primary else OnDuty(backup, None))


@given(rotas(), st.integers(-60, 400))
def test_next_change_skips_no_boundary(rota: list[Shift], quarter: int) -> None:
    after = h(quarter / 4)
    boundaries = {t for s in rota for t in (s.start, s.end)}
    later = [t for t in boundaries if t > after]
    assert next_change(rota, after) == (min(later) if later else None)


@given(rotas(), st.integers(0, 200), st.integers(1, 48))
def test_warnings_are_the_gaps_opening_within_the_window(
    rota: list[Shift], quarter: int, warn_quarters: int
) -> None:
    now, warn = h(quarter / 4), timedelta(hours=warn_quarters / 4)
    warned = upcoming_gaps_to_warn(rota, now, warn_before=warn)
    assert set(warned) <= set(gaps(rota, now, now + timedelta(days=7)))
    assert all(now < g.start <= now + warn for g in warned)
    assert all(on_duty(rota, g.start - timedelta(seconds=1)).primary for g in warned)


ZONES = [LONDON, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe")]
# Days on which one of ZONES changes its clocks (Lord Howe by half an hour), so the
# property meets them often instead of once in fifty weeks.
CLOCK_CHANGES = [
    date(2024, 3, 31),
    date(2024, 10, 27),
    date(2024, 3, 10),
    date(2024, 11, 3),
    date(2024, 4, 7),
    date(2024, 10, 6),
]


@settings(max_examples=60)
@given(
    rotas(span_hours=24 * 8, max_size=10),
    st.one_of(st.dates(date(2023, 1, 1), date(2025, 12, 31)), st.sampled_from(CLOCK_CHANGES)),
    st.sampled_from(ZONES),
    st.sampled_from([15, 30, 60, 120, 180, 360, 1440]),
)
def test_the_week_grid_tiles_the_week_and_marks_exactly_the_gaps(
    rota: list[Shift], first_day: date, tz: ZoneInfo, slot: int
) -> None:
    moved = datetime.combine(first_day, time(0)) - T0  # the lattice starts on the first day
    rota = [Shift(s.id, s.operator_id, s.start + moved, s.end + moved, s.role) for s in rota]
    grid = week_grid(rota, first_day, tz, slot_minutes=slot)
    assert [len(day) for day in grid] == [24 * 60 // slot] * 7
    spans = sorted(span for day in grid for cell in day for span in cell.spans)
    week_start = datetime.combine(first_day, time(0), tz).astimezone(UTC)
    week_end = datetime.combine(first_day + timedelta(days=7), time(0), tz).astimezone(UTC)
    assert spans[0][0] == week_start.replace(tzinfo=None)
    assert spans[-1][1] == week_end.replace(tzinfo=None)
    assert all(a[1] == b[0] for a, b in pairwise(spans))
    holes = gaps(rota, spans[0][0], spans[-1][1])
    for day in grid:
        for cell in day:
            overlaps = any(g.start < b and a < g.end for a, b in cell.spans for g in holes)
            assert cell.gap == overlaps
            if cell.spans:
                duty = on_duty(rota, cell.spans[0][0])
                assert cell.primary == (duty.primary.operator_id if duty.primary else None)
