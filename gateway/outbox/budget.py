"""A modem's sending budget: per day, and distinct recipients in any 24 hours.

UK networks bar a SIM that texts more than about 300 distinct numbers in 24 hours,
until someone rings the service desk. The budget is kept in memory, rolled over a
24-hour window, and seeded from the database at start so a restart does not forget.
A small reserve of both limits is kept for duty traffic (a sighting's forward to the
officer on duty): a broadcast that spends a SIM's day must not silence the officers.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DAY = 24 * 3600.0
DUTY_RESERVE = 10  # messages and new numbers a day only duty traffic may use


@dataclass(frozen=True)
class Remaining:
    messages: int | None  # None = no daily limit
    recipients: int | None


class Budget:
    def __init__(
        self,
        per_day: int,
        recipients_per_day: int,
        clock: Callable[[], float] = time.time,
        *,
        reserve: int = 0,
    ) -> None:
        self.per_day = per_day
        self.recipients_per_day = recipients_per_day
        self.clock = clock
        self.reserve = reserve
        self._sent: deque[tuple[float, str]] = deque()
        self._numbers: Counter[str] = Counter()

    def seed(self, history: Iterable[tuple[float, str]]) -> None:
        """Sends of the last 24 hours, as (epoch seconds, number), oldest first."""
        for when, to in sorted(history):
            self.record(to, when)

    def record(self, to: str, when: float | None = None) -> None:
        self._sent.append((self.clock() if when is None else when, to))
        self._numbers[to] += 1

    def _roll(self) -> None:
        cutoff = self.clock() - DAY
        while self._sent and self._sent[0][0] < cutoff:
            _, to = self._sent.popleft()
            self._numbers[to] -= 1
            if self._numbers[to] <= 0:
                del self._numbers[to]

    def remaining(self) -> Remaining:
        self._roll()
        messages = max(0, self.per_day - len(self._sent)) if self.per_day else None
        recipients = (
            max(0, self.recipients_per_day - len(self._numbers))
            if self.recipients_per_day
            else None
        )
        return Remaining(messages, recipients)

    def allows(
        self, duty: bool = False, *, also: str | None = None
    ) -> tuple[bool, frozenset[str] | None]:
        """May this modem send now, and if only to numbers it has texted today, which.

        (False, None) when the daily allowance is spent; (True, None) for anyone;
        (True, numbers) when new recipients would break the distinct-number limit. Without
        `duty`, the reserve (at most a quarter of each limit) counts as spent. With `also`,
        as if a message to that number had gone too (the one in flight while the next is
        claimed).
        """
        left = self.remaining()
        messages, recipients = left.messages, left.recipients
        if also is not None:
            messages = None if messages is None else messages - 1
            if recipients is not None and also not in self._numbers:
                recipients -= 1
        if messages is not None and messages <= self._held(self.per_day, duty):
            return False, None
        if recipients is not None and recipients <= self._held(self.recipients_per_day, duty):
            numbers = frozenset(self._numbers) | ({also} if also is not None else set())
            return (True, numbers) if numbers else (False, None)
        return True, None

    def _held(self, limit: int, duty: bool) -> int:
        return 0 if duty else min(self.reserve, limit // 4)
