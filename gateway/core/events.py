"""Events for the configured webhooks, written into the caller's transaction.

`emit_in(conn, type, data)` adds one `webhook_events` row per webhook that wants `type`,
so an event is queued exactly when what it reports is committed, and never otherwise. The
webhooks are a module-level registry set once at startup (`configure`), so the low layers
that emit (the outbox, the inbox, the modems) need no config object.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select

from gateway.core.clock import utcnow
from gateway.core.hook_models import WebhookEvent
from gateway.core.hooks_config import EVENTS, WebhookConfig

_lock = threading.Lock()
_hooks: tuple[tuple[str, frozenset[str]], ...] = ()


def configure(webhooks: Sequence[WebhookConfig]) -> None:
    """Which URL wants which events, from the config; called by `Services`."""
    global _hooks
    with _lock:
        _hooks = tuple((w.url, frozenset(w.events)) for w in webhooks)


def wanted(type_: str) -> bool:
    """Whether any webhook takes `type_`: callers skip reading an event's data otherwise."""
    return any(type_ in events for _, events in _hooks)


def emit_in(conn: Any, type_: str, data: Mapping[str, object]) -> str | None:
    """Queue `type_` for every webhook that takes it, in `conn`'s transaction (a
    Connection or a Session); returns the event id, or None when nobody takes it."""
    if type_ not in EVENTS:
        raise ValueError(f"unknown webhook event {type_!r}")
    urls = [url for url, events in _hooks if type_ in events]
    if not urls:
        return None
    event_id = str(uuid.uuid4())
    now = utcnow()
    body = json.dumps(dict(data), default=str, ensure_ascii=False)
    rows = [
        {
            "id": event_id,
            "url": url,
            "type": type_,
            "at": now,
            "data": body,
            "attempts": 0,
            "next_attempt_at": now,
        }
        for url in urls
    ]
    conn.execute(insert(WebhookEvent), rows)
    return event_id


def backlog(engine: Engine) -> dict[str, Any]:
    """What waits to be delivered, for `smsgw status` and doctor: how many rows, since
    when, and the oldest undelivered row that has failed at least once (None if none)."""
    waiting = (WebhookEvent.delivered_at.is_(None),)
    with engine.connect() as conn:
        count, since = conn.execute(
            select(func.count(), func.min(WebhookEvent.at)).where(*waiting)
        ).one()
        failed = conn.execute(
            select(WebhookEvent)
            .where(*waiting, WebhookEvent.attempts > 0)
            .order_by(WebhookEvent.at)
            .limit(1)
        ).first()
    oldest = None
    if failed is not None:
        row = failed
        oldest = {
            "id": row.id,
            "type": row.type,
            "url": row.url,
            "at": row.at.isoformat() + "Z",
            "attempts": row.attempts,
            "error": row.last_error or "",
            "next_attempt_at": _iso(row.next_attempt_at),
        }
    return {"waiting": int(count or 0), "since": _iso(since), "oldest_failure": oldest}


def _iso(when: datetime | None) -> str | None:
    return when.isoformat() + "Z" if when else None
