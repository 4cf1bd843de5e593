"""A channel's pace (gateway/channels/pace.py): never more than the ceiling in any
one-second window, wherever the window falls; and never slower than it needs to be."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.channels.pace import MARGIN, Pace


@given(
    per_second=st.integers(min_value=1, max_value=50),
    steps=st.lists(st.floats(min_value=0.0, max_value=0.2), min_size=1, max_size=300),
)
def test_no_one_second_window_holds_more_than_the_ceiling(
    per_second: int, steps: list[float]
) -> None:
    pace, now, starts = Pace(per_second), 0.0, []
    for step in steps:
        now += step
        if pace.wait(now) == 0:
            pace.started(now)
            starts.append(now)
    for i, first in enumerate(starts):  # the window opening at each start is the fullest
        assert sum(1 for t in starts[i:] if t - first < 1.0) <= per_second


def test_a_channel_that_asks_whenever_it_may_reaches_its_ceiling() -> None:
    pace, now, count = Pace(10), 0.0, 0
    while now < 60.0:
        wait = pace.wait(now)
        if wait == 0:
            pace.started(now)
            count += 1
        now += max(wait, 0.001)
    assert 10 * 60 / (1 + MARGIN) - 10 <= count <= 10 * 60 + 10


def test_below_one_a_second_the_requests_are_spaced() -> None:
    pace = Pace(0.5)
    assert pace.wait(0.0) == 0
    pace.started(0.0)
    assert 2.0 < pace.wait(0.0) <= 2.0 * (1 + MARGIN)
    assert Pace(0).wait(0.0) == 0  # no ceiling
