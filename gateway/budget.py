"""A modem's sending budget: per day, and distinct recipients in any 24 hours.

UK networks bar a SIM that texts more than about 300 distinct numbers in 24 hours,
until someone rings the service desk. The budget is kept in memory, rolled over a
24-hour window, and seeded from the database at start so a restart does not forget.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass

DAY = 24 * 3600.0


@dataclass(frozen=True)
class Remaining:
    messages: int | None  # None = no daily limit
    recipients: int | None


class Budget:
    def __init__(
        self, per_day: int, recipients_per_day: int, clock: Callable[[], float] = time.time
    ) -> None:
        self.per_day = per_day
        self.recipients_per_day = recipients_per_day
        self.clock = clock
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

    def allows(self) -> tuple[bool, frozenset[str] | None]:
        """May this modem send now, and if only to numbers it has texted today, which.

        (False, None) when the daily allowance is spent; (True, None) for anyone;
        (True, numbers) when new recipients would break the distinct-number limit.
        """
        left = self.remaining()
        if left.messages == 0:
            return False, None
        if left.recipients == 0:
            return (True, frozenset(self._numbers)) if self._numbers else (False, None)
        return True, None
