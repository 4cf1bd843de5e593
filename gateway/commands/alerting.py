"""alert: broadcast to lists, now or at a time."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from gateway.alerts import AlertError, Alerts
from gateway.commands.common import fail, load_config, open_db
from gateway.db import utcnow
from gateway.outbox import Outbox
from gateway.subscribers import SubscriberError, Subscribers


def parse_when(text: str, timezone: str) -> datetime:
    """An ISO time; without a zone it is read in the gateway's time zone. Returns naive UTC."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise AlertError(f"--at {text!r} is not an ISO time such as 2026-11-23T06:30") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(timezone))
    return when.astimezone(UTC).replace(tzinfo=None)


def alert(args: argparse.Namespace) -> int:
    config = load_config(args)
    engine = open_db(config)
    subs = Subscribers(engine, config.gateway.country)
    alerts = Alerts(engine, Outbox(engine, config.outbox, config.node), subs)
    try:
        send_at = parse_when(args.at, config.gateway.timezone) if args.at else None
        if send_at is not None and send_at <= utcnow():
            return fail(f"--at {args.at} is in the past", 2)
        made = alerts.create(args.text, args.list, by="cli", send_at=send_at)
    except (AlertError, SubscriberError) as exc:
        return fail(str(exc), 2)
    print(made.ref)
    return 0
