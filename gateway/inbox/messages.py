"""A received text as the inbox hands it on: one part as read off a SIM, and a message
its parts made, stored."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from gateway.core.models import InboundMessage

SINGLE = -1  # concat_ref of a one-part message


@dataclass(frozen=True)
class IncomingPart:
    sender: str
    sc_timestamp: datetime
    text: str
    concat_ref: int = SINGLE
    part: int = 1
    parts: int = 1


@dataclass(frozen=True)
class Received:
    id: int
    sender: str
    text: str
    sc_timestamp: datetime
    received_at: datetime
    complete: bool
    parts: int
    routed: bool = True  # False until routing finished (or while it keeps failing)
    route_error: str = ""  # why routing last failed
    note: str = ""  # what was replaced to store the text
    # The PIN taken out of an officer's command: in memory only, for the routing that
    # follows the store; a text routed again from the database has none.
    pin: str = field(default="", repr=False, compare=False)


MessageHandler = Callable[[Received], None]


def received(m: InboundMessage) -> Received:
    """A stored message as routing and the console read it (never with a PIN)."""
    return Received(
        m.id,
        m.sender,
        m.text,
        m.sc_timestamp,
        m.received_at,
        m.complete,
        m.parts,
        m.routed_at is not None,
        m.route_error,
        m.note,
    )
