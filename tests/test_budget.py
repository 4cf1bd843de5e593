from __future__ import annotations

from gateway.outbox.budget import DAY, Budget


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_unlimited_budget_allows_anyone() -> None:
    budget = Budget(0, 0)
    for n in range(1000):
        budget.record(f"+447700900{n % 1000:03d}")
    assert budget.allows() == (True, None)
    assert budget.remaining().messages is None and budget.remaining().recipients is None


def test_the_daily_limit_stops_sending() -> None:
    clock = Clock()
    budget = Budget(3, 0, clock)
    for _ in range(3):
        assert budget.allows() == (True, None)
        budget.record("+447700900001")
    assert budget.allows() == (False, None)
    assert budget.remaining().messages == 0
    clock.now += DAY + 1  # a rolling window: a day later the allowance is back
    assert budget.allows() == (True, None)


def test_at_the_recipient_limit_only_known_numbers_may_be_texted() -> None:
    budget = Budget(0, 2, Clock())
    budget.record("+447700900001")
    assert budget.remaining().recipients == 1
    budget.record("+447700900002")
    budget.record("+447700900002")
    assert budget.allows() == (True, frozenset({"+447700900001", "+447700900002"}))
    assert budget.remaining().recipients == 0


def test_numbers_leave_the_window_after_24_hours() -> None:
    clock = Clock()
    budget = Budget(0, 1, clock)
    budget.record("+447700900001")
    assert budget.allows()[1] == frozenset({"+447700900001"})
    clock.now += DAY + 1
    assert budget.allows() == (True, None)


def test_seeding_from_history_counts_only_the_last_day() -> None:
    clock = Clock()
    budget = Budget(10, 300, clock)
    budget.seed([(clock.now - 60, "+447700900001"), (clock.now - DAY - 60, "+447700900002")])
    assert budget.remaining().messages == 9 and budget.remaining().recipients == 299
