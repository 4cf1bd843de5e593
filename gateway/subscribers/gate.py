"""The last look before a broadcast goes: is the person still subscribed, and awake?

Recipients are chosen without the opted-out, but a STOP can arrive while a long alert
is still queued; and a subscriber's quiet hours hold back anything less than urgent.
Direct messages (replies, forwards to officers) pass untouched. An email is held only by
the email channel's own STOP.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from gateway.core import clock
from gateway.outbox.queue import PRIORITIES, Claimed
from gateway.subscribers.service import Subscribers


@dataclass(frozen=True)
class Verdict:
    action: str  # "send", "drop" (opted out: never sent, never resent) or "defer"
    reason: str = ""
    until: datetime | None = None  # naive UTC, for "defer"


SEND = Verdict("send")


def in_quiet(hour: int, start: int, end: int) -> bool:
    """Whether `hour` falls in [start, end), the window possibly running past midnight."""
    return start <= hour < end if start < end else hour >= start or hour < end


def quiet_end(now_local: datetime, end: int) -> datetime:
    until = now_local.replace(hour=end, minute=0, second=0, microsecond=0)
    return until if until > now_local else until + timedelta(days=1)


class SendGate:
    def __init__(self, subscribers: Subscribers, timezone: str = "Europe/London") -> None:
        self.subscribers = subscribers
        self.zone = ZoneInfo(timezone)

    def __call__(self, msg: Claimed, now: datetime | None = None) -> Verdict:
        if msg.kind != "broadcast":
            return SEND
        if msg.channel == "email":  # its own STOP; no phone buzzes at night
            if not self.subscribers.may_receive_email(msg.to, msg.list_id):
                return Verdict("drop", "left the emails before sending")
            return SEND
        if not self.subscribers.may_receive(msg.to, msg.list_id):
            return Verdict("drop", "opted out before sending")
        if msg.priority <= PRIORITIES["urgent"]:
            return SEND
        quiet = self.subscribers.quiet_hours(msg.to)
        if quiet is None:
            return SEND
        local = clock.to_local(now or datetime.now(UTC), self.zone)
        if not in_quiet(local.hour, *quiet):
            return SEND
        until = clock.naive_utc(quiet_end(local, quiet[1]))
        return Verdict("defer", f"quiet hours {quiet[0]:02d}-{quiet[1]:02d}", until)
