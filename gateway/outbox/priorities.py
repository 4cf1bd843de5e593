"""How pressing a message is, as the number the claim orders by (lower goes first).

`duty` is what officers depend on (a sighting's forward, its escalation, the answer to an
officer's ACK, CLOSE or RELAY, rota and admin notices) and overtakes everything,
broadcasts included; `urgent` is an alert's fan-out; `normal` (replies to the public) and
`bulk` wait behind them.
"""

from __future__ import annotations

from gateway.core.errors import GatewayError

PRIORITIES = {"duty": -1, "urgent": 0, "normal": 1, "bulk": 2}
DUTY = PRIORITIES["duty"]
PRIORITY_NAMES = {v: k for k, v in PRIORITIES.items()}


class UnknownPriority(GatewayError, ValueError):
    pass


def priority_value(name: str) -> int:
    try:
        return PRIORITIES[name]
    except KeyError:
        raise UnknownPriority(
            f"priority must be one of {', '.join(PRIORITIES)}, not {name!r}"
        ) from None
