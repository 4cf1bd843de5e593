"""The texts the rota sends by itself: a warning before a gap in cover, a reminder before
a shift, and a handover digest of open sightings when a shift starts.

Each notice has a key ("gap:<start>", "reminder:<shift>", "handover:<shift>") that is
written in the same transaction as its message, under a unique constraint: a notice is
queued exactly once however often the job runs, after a restart, or on two gateways.
Missed while the daemon was down, a reminder or warning still goes if its moment has not
passed; a handover digest still goes within HANDOVER_LATE of the shift's start.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError

from gateway.core import clock
from gateway.core.config import Config
from gateway.core.db import utcnow
from gateway.core.models import RotaNotice, Sighting
from gateway.outbox.queue import Outbox
from gateway.rota import cover as coverage
from gateway.rota.service import Rota

log = logging.getLogger(__name__)

HANDOVER_LATE = timedelta(minutes=30)  # a digest later than this is no longer a handover
DIGEST_LIMIT = 300  # characters: two SMS parts at most
DIGEST_ITEMS = 8


class RotaNotices:
    def __init__(self, engine: Engine, config: Config, outbox: Outbox, rota: Rota) -> None:
        self.engine = engine
        self.config = config
        self.outbox = outbox
        self.rota = rota
        self.zone = ZoneInfo(config.gateway.timezone)

    def run(self, now: datetime | None = None) -> list[str]:
        """Queue every notice that is due and not yet sent; returns their keys."""
        now = now or utcnow()
        rota = self.config.rota
        warn = timedelta(seconds=rota.gap_warning)
        remind = timedelta(seconds=rota.reminder_before)
        reach = max(warn, remind) + timedelta(days=1)
        shifts = self.rota.shifts(now - HANDOVER_LATE, now + reach + timedelta(days=7))
        sent: list[str] = []
        if rota.admin_number and warn > timedelta(0):
            for gap in coverage.upcoming_gaps_to_warn(
                shifts, now, warn_before=warn, horizon=reach + timedelta(days=7)
            ):
                if self._once(
                    f"gap:{gap.start.isoformat()}", "gap", rota.admin_number, self._gap_text(gap)
                ):
                    sent.append(f"gap:{gap.start.isoformat()}")
        if remind > timedelta(0):
            tick = timedelta(seconds=1)  # (now, now + remind]: a shift starting now gets a digest
            for shift in coverage.shifts_starting(shifts, now + tick, now + remind + tick):
                if self._to_operator(shift, "reminder", self._reminder_text(shift)):
                    sent.append(f"reminder:{shift.id}")
        starting = coverage.shifts_starting(shifts, now - HANDOVER_LATE, now + timedelta(seconds=1))
        if starting:
            digest = self._open_sightings()
            for shift in starting:
                if self._to_operator(shift, "handover", self._handover_text(shift, digest)):
                    sent.append(f"handover:{shift.id}")
        return sent

    def _to_operator(self, shift: coverage.Shift, kind: str, text: str) -> bool:
        operator = self.rota.operator(shift.operator_id)
        if operator is None:
            return False
        return self._once(f"{kind}:{shift.id}", kind, operator.phone, text)

    def _once(self, key: str, kind: str, number: str, text: str) -> bool:
        try:
            with self.engine.begin() as conn:
                msg_id = self.outbox.enqueue_in(conn, number, text, "duty", kind=f"rota-{kind}")
                conn.execute(
                    insert(RotaNotice),
                    {"key": key, "kind": kind, "message_id": msg_id, "created_at": utcnow()},
                )
        except IntegrityError:
            return False  # sent before: by an earlier run, or by another gateway
        self.outbox.wake()
        log.info("rota notice %s queued as message %d", key, msg_id)
        return True

    def _local(self, moment: datetime) -> datetime:
        return clock.to_local(moment, self.zone)

    def _when(self, moment: datetime) -> str:
        return self._local(moment).strftime("%a %d %b %H:%M")

    def _gap_text(self, gap: coverage.Gap) -> str:
        end = self._local(gap.end)
        until = (
            end.strftime("%H:%M")
            if end.date() == self._local(gap.start).date()
            else (self._when(gap.end))
        )
        return (
            f"Rota gap: nobody on duty {self._when(gap.start)} to {until} "
            f"({gap.hours:.1f} h). Sightings then go to the desk. Please arrange cover."
        )

    def _reminder_text(self, shift: coverage.Shift) -> str:
        return (
            f"Reminder: you are on duty ({shift.role}) from {self._when(shift.start)} "
            f"to {self._when(shift.end)}. Sightings will be texted to this phone."
        )

    def _handover_text(self, shift: coverage.Shift, digest: list[str]) -> str:
        head = f"On duty now until {self._when(shift.end)}."
        if not digest:
            return f"{head} No open sightings."
        text = f"{head} Open sightings ({len(digest)}): "
        shown = 0
        for item in digest[:DIGEST_ITEMS]:
            if len(text) + len(item) + 40 > DIGEST_LIMIT:
                break
            text += item + "; "
            shown += 1
        if shown < len(digest):
            text += f"+{len(digest) - shown} more; "
        return text + "ACK <ref> to take one."

    def _open_sightings(self) -> list[str]:
        """Newest first: ref, first registration, place and local time."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Sighting.ref, Sighting.registrations, Sighting.place, Sighting.created_at)
                .where(Sighting.status == "open")
                .order_by(Sighting.created_at.desc())
                .limit(50)
            ).all()
        out = []
        for ref, regs, place, created in rows:
            bits = [
                ref,
                regs.split(";")[0] if regs else "",
                place,
                self._local(created).strftime("%H:%M"),
            ]
            out.append(" ".join(b for b in bits if b))
        return out
