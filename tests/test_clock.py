"""The one clock module: local wall time in, naive UTC out, and back; the two clock
changes in Europe/London, where a wall time is missing (spring) or happens twice (autumn)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from gateway.core import clock
from gateway.core.errors import GatewayError

LONDON = ZoneInfo("Europe/London")


def test_a_local_time_is_read_on_the_gateways_clock_and_stored_as_naive_utc() -> None:
    assert clock.parse_local("2026-07-01T06:30", "Europe/London") == datetime(2026, 7, 1, 5, 30)
    assert clock.parse_local("2026-12-01T06:30", LONDON) == datetime(2026, 12, 1, 6, 30)


def test_a_time_with_its_own_offset_keeps_it() -> None:
    assert clock.parse_local("2026-07-01T06:30Z", LONDON) == datetime(2026, 7, 1, 6, 30)
    assert clock.parse_local("2026-07-01T06:30+02:00", LONDON) == datetime(2026, 7, 1, 4, 30)


@pytest.mark.parametrize("text", ["tomorrow", "", "2026-13-01T06:30", "0001-01-01T00:00"])
def test_a_time_that_cannot_be_read_is_a_gateway_error_naming_it(text: str) -> None:
    with pytest.raises(clock.BadTime, match="is not an ISO time") as caught:
        clock.parse_local(text, "Asia/Tokyo")  # year 1 in Tokyo is before UTC's calendar
    assert isinstance(caught.value, GatewayError) and isinstance(caught.value, ValueError)


def test_the_hour_the_spring_change_skips_lands_an_hour_later_on_the_new_clock() -> None:
    # 29 March 2026: at 01:00 GMT the clocks go to 02:00 BST; 01:30 never shows.
    stored = clock.parse_local("2026-03-29T01:30", LONDON)
    assert stored == datetime(2026, 3, 29, 1, 30)  # read at GMT, the offset before the change
    shown = clock.to_local(stored, LONDON)
    assert (shown.hour, shown.minute, shown.tzname()) == (2, 30, "BST")
    before, after = (clock.parse_local(f"2026-03-29T0{h}:59", LONDON) for h in (0, 2))
    assert (before, after) == (datetime(2026, 3, 29, 0, 59), datetime(2026, 3, 29, 1, 59))


def test_the_hour_the_autumn_change_repeats_is_read_as_the_first_of_the_two() -> None:
    # 25 October 2026: at 02:00 BST the clocks go back to 01:00 GMT; 01:30 shows twice.
    stored = clock.parse_local("2026-10-25T01:30", LONDON)
    assert stored == datetime(2026, 10, 25, 0, 30)  # the first 01:30, on BST
    first, second = (clock.to_local(datetime(2026, 10, 25, h, 30), LONDON) for h in (0, 1))
    assert (first.hour, first.minute, first.tzname()) == (1, 30, "BST")
    assert (second.hour, second.minute, second.tzname()) == (1, 30, "GMT")
    assert clock.naive_utc(second) == datetime(2026, 10, 25, 1, 30)
    later = second.replace(tzinfo=None, fold=1)  # PEP 495: fold=1 asks for the second one
    assert clock.to_utc(later, LONDON) == datetime(2026, 10, 25, 1, 30)


def test_local_and_utc_round_trip_across_both_changes() -> None:
    for hour in range(0, 48):
        for day in (datetime(2026, 3, 28), datetime(2026, 10, 24)):
            moment = day.replace(hour=hour % 24, day=day.day + hour // 24)
            assert clock.naive_utc(clock.to_local(moment, LONDON)) == moment


def test_naive_utc_leaves_a_naive_time_alone_and_converts_an_aware_one() -> None:
    naive = datetime(2026, 7, 1, 5, 30)
    assert clock.naive_utc(naive) is naive
    assert clock.naive_utc(datetime(2026, 7, 1, 6, 30, tzinfo=LONDON)) == naive
    assert clock.naive_utc(datetime(2026, 7, 1, 5, 30, tzinfo=UTC)) == naive
    assert clock.to_local(datetime(2026, 7, 1, 5, 30, tzinfo=UTC), "Europe/London").hour == 6
