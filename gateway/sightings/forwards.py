"""A report on its way to whoever is on duty: the forward's one-part text, the choice of
the primary, the backup or the control room desk, and the climb from one to the next
while nobody acknowledges it.

Every forward and its next escalation time are written in one transaction, keyed
`forward:<sighting id>:<level>`, so each step is queued once however often it is tried
(and a bare ACK reads those keys to find what was forwarded to its officer).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, select, update

from gateway.core.config import Config
from gateway.core.db import utcnow
from gateway.core.models import Sighting
from gateway.outbox.queue import Outbox
from gateway.rota.service import Rota
from gateway.sightings import hooks
from gateway.sightings.info import SightingInfo, found, info_of

log = logging.getLogger(__name__)

FORWARD_LIMIT = 160  # one GSM part: an officer's phone should buzz once per report
LEVELS = ("primary", "backup", "fallback")


def short_form(info: SightingInfo) -> str:
    """One SMS part: what was read from the report (plates, grid reference, postcode,
    what3words, place) and a number to call back come first, and the free text is
    cut to fit; it repeats what came first, so nothing is lost that was found."""
    where = [
        *found(info, "grid_refs"),
        *found(info, "postcodes"),
        *(f"///{w}" for w in found(info, "what3words")),
    ]
    head = " ".join(
        x
        for x in (
            info.ref,
            "HOT" if info.hot else "",
            ", ".join(info.registrations),
            *where,
            info.place,
        )
        if x
    )
    text = f"{head} from {_who(info)}: {info.text}"
    return text if len(text) <= FORWARD_LIMIT else text[: FORWARD_LIMIT - 3] + "..."


def _who(info: SightingInfo) -> str:
    return " ".join(x for x in (info.sender_name, info.sender) if x)


class Forwards:
    def __init__(self, engine: Engine, config: Config, outbox: Outbox, rota: Rota) -> None:
        self.engine = engine
        self.config = config
        self.outbox = outbox
        self.rota = rota

    def duty_number(self, level: int) -> tuple[int, str]:
        """Who gets a report at `level` (0 primary, 1 backup, 2 desk): the level that is
        manned at or above it, and its number ("" when nobody is on duty and no
        rota.fallback_number is set). During a gap in the rota, straight to the desk."""
        primary, backup = self.rota.on_duty()
        if level == 0 and primary is not None:
            return 0, primary.phone
        if level <= 1 and backup is not None:
            return 1, backup.phone
        return 2, self.config.rota.fallback_number

    def forward_in(self, conn: Connection, info: SightingInfo, level: int, now: datetime) -> str:
        """The forward and the next escalation time, in the caller's transaction: both are
        written or neither. Duty priority: it overtakes any broadcast in the queue."""
        level, number = self.duty_number(level)
        after = self.config.rota.escalate_after
        conn.execute(
            update(Sighting)
            .where(Sighting.id == info.id)
            .values(
                escalation=level,
                escalate_at=now + timedelta(seconds=after) if level < 2 else None,
            )
        )
        if not number:
            log.error("sighting %s: nobody on duty and no rota.fallback_number", info.ref)
            return ""
        self.outbox.enqueue_in(
            conn,
            number,
            short_form(info),
            "duty",
            kind="direct",
            key=f"forward:{info.id}:{level}",  # each step once, and what a bare ACK reads
        )
        log.info("sighting %s forwarded to the %s", info.ref, LEVELS[level])
        return LEVELS[level]

    def flood_notice_in(self, conn: Connection, info: SightingInfo, count: int) -> None:
        """Tell whoever would have had the forward that this sender's reports stop coming."""
        _, number = self.duty_number(0)
        if not number:
            return
        minutes = round(self.config.inbound.flood_window / 60)
        text = (
            f"{info.ref}: {_who(info)} sent {count} texts in {minutes} min. This one and the "
            "next are filed but not forwarded (flood): see the console."
        )
        key = f"flood:{info.id}"
        self.outbox.enqueue_in(conn, number, text[:FORWARD_LIMIT], "duty", kind="direct", key=key)

    def escalate_due(self, now: datetime | None = None) -> list[str]:
        """Move every unacknowledged sighting whose wait is over one step up; claimed with
        a conditional update in the transaction of its forward, so two gateways never
        escalate one twice and a crash never loses a step."""
        now = now or utcnow()
        with self.engine.connect() as conn:
            due = conn.execute(
                select(Sighting.id, Sighting.escalation).where(
                    Sighting.status == "open", Sighting.escalate_at <= now
                )
            ).all()
        moved = []
        for sid, level in due:
            with self.engine.begin() as conn:
                won = conn.execute(
                    update(Sighting)
                    .where(
                        Sighting.id == sid,
                        Sighting.status == "open",
                        Sighting.escalation == level,
                        Sighting.escalate_at <= now,
                    )
                    .values(escalate_at=None)
                ).rowcount
                if won:
                    row = conn.execute(select(Sighting).where(Sighting.id == sid)).one()
                    info = info_of(row)  # type: ignore[arg-type]
                    moved.append(f"{info.ref}:{self.forward_in(conn, info, level + 1, now)}")
                    hooks.emit_in(conn, "sighting.escalated", sid)
        if moved:
            self.outbox.wake()
        return moved
