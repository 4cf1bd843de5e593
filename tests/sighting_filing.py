"""Sightings filed the way the daemon files them, for the console's tests: the real
Sightings service, a real Received, the same database as the `console` fixture."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine

from gateway.core import config as config_mod
from gateway.core.config import InboundConfig
from gateway.core.db import utcnow
from gateway.inbox.store import Inbox, IncomingPart, Received
from gateway.outbox.queue import Outbox
from gateway.rota.service import OperatorInfo, Rota
from gateway.sightings.desk import SightingInfo, Sightings
from gateway.sightings.parser import DEFAULT_GAZETTEER

KEEPER = "+447700900501"
STRANGER = "+447700900502"
OFFICER = "+447700900601"
DESK = "+447700900699"
HOSTILE_PLACE = "<script>alert(1)</script> Farm"  # a gazetteer is configuration, not code


def make_desk(engine: Engine, db_url: str) -> Sightings:
    cfg = config_mod.from_dict(
        {
            "database": {"url": db_url},
            "rota": {
                "fallback_number": DESK,
                "escalate_after": 60,
                "gazetteer": [*DEFAULT_GAZETTEER, HOSTILE_PLACE],
            },
        }
    )
    return Sightings(engine, cfg, Outbox(engine, cfg.outbox, cfg.node), Rota(engine))


def received(engine: Engine, sender: str, text: str) -> Received:
    """A text stored as the modem's worker stores it: each is its own inbound message,
    as a sighting is filed once per inbound message."""
    [msg] = Inbox(engine, InboundConfig()).store("e1", IncomingPart(sender, utcnow(), text))
    return msg


def file(desk: Sightings, sender: str, text: str) -> SightingInfo:
    return desk.file(received(desk.engine, sender, text))


def on_shift(desk: Sightings, phone: str, name: str, hours: float = 8) -> OperatorInfo:
    """An operator on duty from an hour ago for `hours`: a gap follows."""
    officer = desk.rota.add_operator(name, phone, pin="4821")
    now = utcnow()
    desk.rota.add_shift(officer.id, now - timedelta(hours=1), now + timedelta(hours=hours))
    return officer
