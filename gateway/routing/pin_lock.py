"""Three wrong PINs in an hour from an officer's number lock its PIN commands (RELAY,
CLOSE) for an hour, even with the right PIN: a 4-digit PIN falls to a few thousand
guesses, and caller ID can be spoofed.

Counted from the audit log, which records every wrong PIN anyway: no table of its own,
and every gateway on one database sees the same count. Attempts made while locked are
audited under their own action, so they neither count towards the next lock nor
stretch this one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Engine

from gateway.core import audit
from gateway.core.db import utcnow
from gateway.core.privacy import mask
from gateway.rota.service import OperatorInfo

LOCK_AFTER = 3  # wrong PINs within WINDOW
WINDOW = timedelta(hours=1)  # where wrong PINs are counted, and how long a lock lasts
WRONG_ACTIONS = ("relay-refused", "close-refused")
LOCKED = "pin-locked"
REFUSED_WHILE_LOCKED = "pin-lock-refused"


def _prefix(operator: OperatorInfo) -> str:
    """Each entry's detail starts with this: the operator's id, not a masked number,
    because two masked numbers can look alike."""
    return f"operator {operator.id}:"


def locked_until(
    engine: Engine, operator: OperatorInfo, now: datetime | None = None
) -> datetime | None:
    """When this operator's PIN commands unlock, or None when they are not locked."""
    now = now or utcnow()
    locks = audit.since(engine, now - WINDOW, actions=(LOCKED,), detail_prefix=_prefix(operator))
    return locks[0].at + WINDOW if locks else None


def refuse_locked(engine: Engine, operator: OperatorInfo, verb: str, ref: str) -> None:
    audit.record(
        engine,
        operator.name,
        REFUSED_WHILE_LOCKED,
        f"{_prefix(operator)} {verb} {ref} from {mask(operator.phone)} while locked",
    )


def wrong_pin(
    engine: Engine, operator: OperatorInfo, verb: str, ref: str, now: datetime | None = None
) -> datetime | None:
    """Record a wrong PIN; when it is the LOCK_AFTER-th within WINDOW, lock and return
    when the lock ends (else None)."""
    now = now or utcnow()
    prefix = _prefix(operator)
    audit.record(
        engine,
        operator.name,
        f"{verb.lower()}-refused",
        f"{prefix} {verb} {ref}: wrong PIN from {mask(operator.phone)}",
    )
    wrong = audit.since(engine, now - WINDOW, actions=WRONG_ACTIONS, detail_prefix=prefix)
    if len(wrong) < LOCK_AFTER:
        return None
    audit.record(
        engine,
        operator.name,
        LOCKED,
        f"{prefix} {len(wrong)} wrong PINs within an hour from {mask(operator.phone)}",
    )
    return now + WINDOW
