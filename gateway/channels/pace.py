"""How fast a channel may ask: at most `per_second` requests in any one-second window, as
services count them (FastSMS and Twilio answer 429 past their ceiling, and a refusal costs
a second's pause). Requests are counted when they start, with a little room for the
network's jitter, so a service never sees one too many; a channel that fell behind catches
up at once rather than losing its slots."""

from __future__ import annotations

from collections import deque

MARGIN = 0.02  # of the window: what jitter between us and the service may eat


class Pace:
    def __init__(self, per_second: float) -> None:
        self.per_second = per_second
        window = max(1.0, 1.0 / per_second) if per_second > 0 else 0.0
        self.window = window * (1 + MARGIN)
        self.burst = max(1, int(per_second * window + 1e-9)) if per_second > 0 else 0
        self._starts: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until the next request may start (0: now)."""
        if self.per_second <= 0:
            return 0.0
        while self._starts and now - self._starts[0] >= self.window:
            self._starts.popleft()
        if len(self._starts) < self.burst:
            return 0.0
        return self._starts[0] + self.window - now

    def started(self, now: float) -> None:
        if self.per_second > 0:
            self._starts.append(now)
