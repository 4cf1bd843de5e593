"""When a modem that keeps failing stops sending, for how long, and who is told.

After `rest_after_failures` failed sends in a row a modem rests `rest_seconds` while the
other modems carry on. The last modem that can send only pauses (README "Modems in the
field"): a rest would silence the gateway, and the admin's notice with it. While a
modem rests long it looks now and then whether the others still can send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine

from gateway.core.config import Config, ModemConfig
from gateway.core.db import utcnow
from gateway.modems import status as modem_status
from gateway.outbox.queue import Outbox

log = logging.getLogger(__name__)

# The last modem that can send never rests longer than this: it pauses for the outbox's
# retry wait, doubling with each rest in a row, up to this.
LAST_MODEM_REST = 60.0
OTHERS_RECHECK = 5.0  # seconds between looks, while resting long, at the other modems


class Resting:
    def __init__(
        self,
        settings: ModemConfig,
        config: Config,
        engine: Engine,
        outbox: Outbox,
        record: modem_status.Recorder,
        clock: Callable[[], float],
        *,
        heard_within: float,
    ) -> None:
        self.name = settings.name
        self.settings = settings
        self.config = config
        self.engine = engine
        self.outbox = outbox
        self.record = record
        self.clock = clock
        self.heard_within = heard_within  # seconds: another modem's row newer than this counts
        self.until = 0.0  # the clock's time the rest ends; 0: not resting
        self.failures = 0  # failed sends in a row
        self._rests = 0  # rests since the last good send
        self._next_check = 0.0
        self._admin_told = ""  # "", or "short"/"long": the rest the admin was last told of

    def active(self, now: float) -> bool:
        return bool(self.until) and now < self.until

    def holds(self, now: float) -> bool:
        """Whether the rest still holds at `now` (a long one is cut short once no other
        modem can send); once it is over it is forgotten, and this says False."""
        if now < self.until:
            self._cut_if_alone(now)
            return True
        self.until = 0.0
        return False

    def failed(self) -> bool:
        """One more failed send in a row; True when it is time to rest."""
        self.failures += 1
        limit = self.settings.rest_after_failures
        return bool(limit) and self.failures >= limit

    def succeeded(self) -> None:
        """A good send ends the bout: the next failures count afresh, and are told afresh."""
        self.failures = self._rests = 0
        self._admin_told = ""

    def begin(self, reason: str) -> None:
        """Rest for `rest_seconds`, or briefly when no other modem can send."""
        alone = not self._others_can_send()
        seconds = self._short_rest() if alone else self.settings.rest_seconds
        self._rests += 1
        self.until = self.clock() + seconds
        self._next_check = self.clock() + OTHERS_RECHECK
        self.failures = 0
        until = utcnow() + timedelta(seconds=seconds)
        self.record(state="resting", detail=reason, resting_until=until, last_error=reason)
        log.warning("modem %s resting for %.1f s: %s", self.name, seconds, reason)
        self._tell_admin(seconds, reason, alone)

    def _short_rest(self) -> float:
        """The outbox's retry wait, doubling with each rest since the last good send, at
        most LAST_MODEM_REST (and never more than the configured rest)."""
        wait = self.config.outbox.retry_base * 2.0 ** min(self._rests, 30)
        return min(wait, LAST_MODEM_REST, self.settings.rest_seconds)

    def _others_can_send(self) -> bool:
        try:
            return modem_status.others_can_send(
                self.engine, self.name, heard_within=self.heard_within
            )
        except Exception:  # the database is in trouble: do not silence the gateway as well
            log.exception("modem %s: could not tell whether other modems can send", self.name)
            return False

    def _cut_if_alone(self, now: float) -> None:
        """While resting long, look now and then whether the others still can send; when
        none can, this modem is the last one and its rest is cut to a short pause."""
        if now < self._next_check or self.until - now <= LAST_MODEM_REST:
            return
        self._next_check = now + OTHERS_RECHECK
        if self._others_can_send():
            return
        seconds = self._short_rest()
        self.until = now + seconds
        self.record(resting_until=utcnow() + timedelta(seconds=seconds))
        log.warning("modem %s: no other modem can send; back in %.1f s", self.name, seconds)

    def _tell_admin(self, seconds: float, reason: str, alone: bool) -> None:
        """One notice a bout of failures (again if a short pause became a long rest),
        queued as duty for whichever modem can send first: never pinned to this one."""
        told = "short" if alone else "long"
        if not self.config.gateway.admin_number or self._admin_told in (told, "long"):
            return
        self._admin_told = told
        how = (
            f"failing, and no other modem can send: it tries again within {LAST_MODEM_REST:.0f} s"
            if alone
            else f"rested for {seconds / 60:.0f} min"
        )
        self.outbox.enqueue(
            self.config.gateway.admin_number,
            f"smsgw: modem {self.name} {how}: {reason}"[:300],
            "duty",
        )
