"""Delivery status asked of a hosted service, a few messages at a time: works behind NAT,
where the service's callbacks cannot reach the console. Each message is asked about at
most once a minute, the least recently asked first, until its report window closes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import Engine, or_, select, update

from gateway.channels.base import Provider, ProviderError
from gateway.channels.reports import apply_status
from gateway.core.db import utcnow
from gateway.core.models import Message

log = logging.getLogger(__name__)

BATCH = 50  # messages asked about per round
AGAIN_AFTER = 60.0  # seconds before the same message is asked about again


def poll(
    engine: Engine,
    provider: Provider,
    window: float,
    may_ask: Callable[[], bool] = lambda: True,
) -> tuple[int, int]:
    """One round, while `may_ask` allows another request (the service's pace); returns
    how many messages it asked about, and how many it settled (delivered or failed)."""
    now = utcnow()
    with engine.connect() as conn:
        rows = conn.execute(
            select(Message.id, Message.refs)
            .where(
                Message.modem == provider.name,
                Message.status == "sent",
                Message.refs.is_not(None),
                Message.sent_at >= now - timedelta(seconds=window),
                or_(
                    Message.checked_at.is_(None),
                    Message.checked_at < now - timedelta(seconds=AGAIN_AFTER),
                ),
            )
            .order_by(Message.checked_at.is_not(None), Message.checked_at, Message.id)
            .limit(BATCH)
        ).all()
    settled = asked = 0
    for row in rows:
        if not may_ask():
            break
        asked += 1
        try:
            status = provider.status(str(row.refs))
        except ProviderError as exc:
            log.info("%s: status of message %d not available now: %s", provider.name, row.id, exc)
            with engine.begin() as conn:  # asked: do not ask again at once
                conn.execute(update(Message).where(Message.id == row.id).values(checked_at=now))
            if exc.service:
                break
            continue
        if apply_status(engine, provider.name, status) is not None:
            settled += 1
    return asked, settled
