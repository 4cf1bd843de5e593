"""Relative validity period, TP-VP (TS 23.040 9.2.3.12.1): one octet, four scales."""

from __future__ import annotations

import math
from datetime import timedelta

from .model import PduError

MAX_RELATIVE = 255  # 63 weeks


def encode(period: timedelta) -> int:
    """The smallest TP-VP that lasts at least `period` (the network never gives up sooner
    than asked); longer than 63 weeks is held to 63 weeks."""
    if period <= timedelta(0):
        raise PduError(f"validity period {period} is not positive")
    minutes = -(-math.ceil(period.total_seconds()) // 60)
    if minutes <= 12 * 60:
        return max(0, -(-minutes // 5) - 1)
    if minutes <= 24 * 60:
        return 143 + -(-(minutes - 12 * 60) // 30)
    days = -(-minutes // (24 * 60))
    if days <= 30:
        return 166 + days
    return min(MAX_RELATIVE, 192 + -(-days // 7))


def decode(value: int) -> timedelta:
    if value <= 143:
        return timedelta(minutes=5 * (value + 1))
    if value <= 167:
        return timedelta(hours=12, minutes=30 * (value - 143))
    if value <= 196:
        return timedelta(days=value - 166)
    return timedelta(weeks=value - 192)
