"""A sighting's whole story in time order: filed, thanked, each forward and escalation
with whom it went to and how that message fares, acknowledged, relayed, closed.

Nothing new is recorded for it. The messages carry the keys they were queued under
(`forward:<sighting id>:<level>`, `flood:<sighting id>`, `thanks:<text id>`) and the
officers' and operators' actions are in the audit log; this reads both. Phone numbers
come out whole: the console masks them for viewers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, select

from gateway.core.models import Message, Operator, Sighting
from gateway.sightings.forwards import LEVELS
from gateway.sightings.info import SightingInfo
from gateway.sightings.queries import history

RELAYED = re.compile(r"\S+ as (?P<alert>A\d+) to (?P<lists>.+)")
AUDITED = {
    "sighting-acknowledged": "acknowledged",
    "sighting-relayed": "relayed",
    "sighting-closed": "closed",
}


@dataclass(frozen=True)
class Step:
    """One thing that happened to a sighting."""

    at: datetime  # naive UTC
    # filed, thanked, forwarded, escalated, flood-notice, acknowledged, relayed, closed
    kind: str
    actor: str = ""  # who acknowledged, relayed or closed it (officer or console user)
    number: str = ""  # E.164: the reporter's when filed, else where the message went
    name: str = ""  # the reporter's name, or the operator's with that number
    level: str = ""  # for a forward: primary, backup or fallback (the desk)
    state: str = ""  # the message's state now: queued, sending, sent, delivered, failed
    error: str = ""  # why a message failed
    alert: str = ""  # relayed as this alert
    lists: str = ""  # to these lists


def timeline(engine: Engine, info: SightingInfo) -> list[Step]:
    """Every step, oldest first; steps at the same moment keep the order they were made."""
    with engine.connect() as conn:
        inbound = conn.scalar(select(Sighting.inbound_id).where(Sighting.id == info.id))
        keys = {f"forward:{info.id}:{n}": n for n in range(len(LEVELS))}
        keys[f"flood:{info.id}"] = -1
        if inbound is not None:
            keys[f"thanks:{inbound}"] = -2
        messages = conn.execute(
            select(Message).where(Message.dedupe_key.in_(list(keys))).order_by(Message.id)
        ).all()
        phones = {m.to for m in messages}
        names: dict[str, str] = {
            phone: name
            for phone, name in conn.execute(
                select(Operator.phone, Operator.name).where(Operator.phone.in_(phones))
            )
        }
    steps = [Step(info.created_at, "filed", number=info.sender, name=info.sender_name)]
    forwarded = False
    for m in messages:
        n = keys[str(m.dedupe_key)]
        if n >= 0:
            kind = "escalated" if forwarded else "forwarded"
            forwarded = True
        else:
            kind = "thanked" if n == -2 else "flood-notice"
        steps.append(
            Step(
                m.created_at,
                kind,
                number=m.to,
                name=names.get(m.to, ""),
                level=LEVELS[n] if n >= 0 else "",
                state=m.status,
                error=(m.last_error or "") if m.status == "failed" else "",
            )
        )
    for entry in history(engine, info.ref, info.created_at):
        relayed = RELAYED.fullmatch(entry.detail) if entry.action == "sighting-relayed" else None
        steps.append(
            Step(
                entry.at,
                AUDITED.get(entry.action, entry.action),
                actor=entry.actor,
                alert=relayed["alert"] if relayed else "",
                lists=relayed["lists"] if relayed else "",
            )
        )
    return sorted(steps, key=lambda s: s.at)  # stable: a tie keeps the order above
