"""Which channel each of an alert's recipients goes by.

SIMs first: they cost nothing and replies come back to them. A SIM reaches about 300 new
numbers a day, so with a hosted service set to `use = "overflow"` (or "always"), the part
of an alert the SIMs' budgets cannot cover today goes by the service at once instead of
waiting for tomorrow. People who chose email get it by email as well or instead
(gateway/subscribers/). The fan-out and the preview ask the same `Reach`, so the preview's
split is the one the fan-out makes.

The SIMs' room is an estimate: what each modem reported left of its day and of its new
numbers (a modem of this gateway that has not reported yet: its configured limits less
what it sent in the last 24 hours), less the duty reserve, less the SIM broadcasts
already queued. A recipient a SIM texted today costs no new number, which the estimate
does not count: it errs towards the hosted service.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, func, or_, select

from gateway.core.config import Config, ModemConfig
from gateway.core.db import utcnow
from gateway.core.models import Message
from gateway.modems import status as modem_status
from gateway.modems.status import ModemView
from gateway.outbox.budget import DUTY_RESERVE

SIM = "sim"
EMAIL = "email"
OVERFLOW_USES = ("overflow", "always")
ALIVE = ("ready", "resting", "starting")


@dataclass(frozen=True)
class Share:
    channel: str  # "sim" or a hosted service's name
    count: int


class Reach:
    def __init__(self, engine: Engine, config: Config) -> None:
        self.engine = engine
        self.config = config
        interval = max(config.gateway.health_interval, 10.0)
        self.heard_within = timedelta(seconds=3 * interval)

    @property
    def email_on(self) -> bool:
        return bool(self.config.email.host)

    def split(self, count: int) -> list[Share]:
        """`count` SMS recipients, in sending order, as consecutive shares: the SIMs' room
        first, then each overflow service's room in config order; what none has room for
        today waits for the SIMs."""
        overflow = [p for p in self.config.providers if p.use in OVERFLOW_USES]
        if not overflow or count == 0:
            return [Share(SIM, count)] if count else []
        room = self.sim_room()
        sims = count if room is None else min(count, room)
        shares = [Share(SIM, sims)] if sims else []
        left = count - sims
        for p in overflow:
            if left == 0:
                break
            free = self.service_room(p.name, p.max_per_day)
            take = left if free is None else min(left, free)
            if take:
                shares.append(Share(p.name, take))
                left -= take
        if left:
            shares.append(Share(SIM, left))
        return shares

    def sim_room(self) -> int | None:
        """Messages to new numbers the SIMs can still send today; None: no limit."""
        fresh = utcnow() - self.heard_within
        views = {v.name: v for v in modem_status.all_modems(self.engine) if v.channel == SIM}
        settings = {m.name: m for m in self.config.modems}
        total = 0
        for name in sorted(set(settings) | {n for n, v in views.items() if v.updated_at >= fresh}):
            view = views.get(name)
            mine = settings.get(name)
            if view is not None and view.updated_at >= fresh and not _unreported(view, mine):
                left = self._reported(view)
            elif mine is not None:
                left = self._configured(mine)
            else:
                continue  # another gateway's modem that has not said how it is: no room
            if left is None:
                return None
            total += max(0, left - DUTY_RESERVE)
        return max(0, total - self._queued(SIM))

    def service_room(self, name: str, per_day: int) -> int | None:
        """What a hosted service's daily cap still allows; None: no cap."""
        if not per_day:
            return None
        since = utcnow() - timedelta(days=1)
        with self.engine.connect() as conn:
            sent = conn.scalar(
                select(func.count()).where(Message.modem == name, Message.sent_at >= since)
            )
        return max(0, per_day - int(sent or 0) - self._queued(name))

    def _reported(self, view: ModemView) -> int | None:
        if view.state not in ALIVE:
            return 0
        known = [x for x in (view.day_left, view.recipients_left) if x is not None]
        return min(known) if known else None

    def _configured(self, settings: ModemConfig) -> int | None:
        sends = modem_status.recent_sends(self.engine, settings.name)
        known = [
            limit - used
            for limit, used in (
                (settings.max_per_day, len(sends)),
                (settings.max_recipients_per_day, len({to for _, to in sends})),
            )
            if limit
        ]
        return min(known) if known else None

    def _queued(self, channel: str) -> int:
        with self.engine.connect() as conn:
            n = conn.scalar(
                select(func.count()).where(
                    Message.status.in_(("queued", "sending")),
                    Message.channel == channel,
                    or_(Message.kind == "broadcast", Message.channel != SIM),
                )
            )
        return int(n or 0)


def _unreported(view: ModemView, settings: ModemConfig | None) -> bool:
    """A modem of ours with limits whose row does not show them yet (it has just started):
    in a row, "no figure" means "no limit" only when the config says so."""
    if settings is None:
        return False
    return (settings.max_per_day > 0 and view.day_left is None) or (
        settings.max_recipients_per_day > 0 and view.recipients_left is None
    )
