"""send, status, inbox: the commands an operator or a script uses day to day."""

from __future__ import annotations

import argparse

from gateway.cli.common import fail, load_config, open_services, print_json
from gateway.core.phone import InvalidNumber, normalise
from gateway.outbox import lite


def send(args: argparse.Namespace) -> int:
    config = load_config(args)
    try:
        to = normalise(args.to, config.gateway.country)
    except InvalidNumber as exc:
        return fail(str(exc), 2)
    if not args.text.strip():
        return fail("--text is empty", 2)
    msg_id = lite.enqueue(config.database.url, to, args.text, args.priority)
    if msg_id is None:  # PostgreSQL, or a database to create or upgrade first
        msg_id = open_services(config).outbox.enqueue(to, args.text, args.priority)
    print(msg_id)
    return 0


def status(args: argparse.Namespace) -> int:
    # Here, not at the top: `smsgw send` shares this module and needs none of it.
    from gateway.app.status import RECENT_ALERTS, on_duty, status_report, webhook_line
    from gateway.core import events
    from gateway.modems import status as modem_status

    services = open_services(load_config(args))
    if args.json:
        print_json(status_report(services))
        return 0
    counts = services.outbox.counts()
    modems = modem_status.all_modems(services.engine)
    alerts = services.alerts
    recent = [(a, alerts.progress(a.ref)) for a in alerts.recent(RECENT_ALERTS)]
    print("messages: " + ", ".join(f"{state} {n}" for state, n in counts.items()))
    duty = on_duty(services)
    people = [f"{p['name']} ({role})" for role in ("primary", "backup") if (p := duty[role])]
    desk = duty["fallback"] or "nobody: set rota.fallback_number"
    print(
        "on duty: " + (", ".join(people) or f"nobody (a gap in the rota); sightings go to {desk}")
    )
    if not modems:
        print("modems: none has reported yet (is the daemon running?)")
    backlog = events.backlog(services.engine)
    if services.config.webhooks or backlog["waiting"]:
        print(webhook_line(backlog))
    channels = alerts.by_channel([a.id for a, _ in recent])
    for a, progress in recent:
        shown = ", ".join(f"{state} {n}" for state, n in progress.items() if n)
        print(f"alert {a.ref} ({a.status}, {a.recipients} recipients): {shown or 'nothing queued'}")
        if set(channels[a.id]) - {"sim"}:
            for channel, states in sorted(channels[a.id].items()):
                each = ", ".join(f"{state} {n}" for state, n in states.items())
                print(f"  by {channel}: {each}")
    for m in modems:
        if m.channel != "sim":
            left = f"; {m.day_left} left today" if m.day_left is not None else ""
            extra = f" ({m.detail})" if m.detail else ""
            kind = "hosted SMS" if m.channel == "provider" else m.channel
            print(
                f"{kind} {m.name}: {m.state}{extra}; sent today {m.sent_today}{left}; "
                f"as of {m.updated_at:%Y-%m-%d %H:%M:%S} UTC"
            )
            continue
        extra = f" ({m.detail})" if m.detail else ""
        signal = f"{m.dbm} dBm, {m.bars}/5 bars" if m.dbm is not None else "signal unknown"
        budget = ", ".join(
            f"{n} {what} left today"
            for n, what in ((m.day_left, "messages"), (m.recipients_left, "new numbers"))
            if n is not None
        )
        print(
            f"modem {m.name}: {m.state}{extra}; {m.operator or 'no operator'}, {signal}; "
            f"sent today {m.sent_today}{'; ' + budget if budget else ''}; "
            f"as of {m.updated_at:%Y-%m-%d %H:%M:%S} UTC"
        )
    return 0


def inbox(args: argparse.Namespace) -> int:
    rows = open_services(load_config(args)).inbox.recent(max(1, args.limit))
    if args.json:
        print_json(
            [
                {
                    "id": r.id,
                    "from": r.sender,
                    "text": r.text,
                    "received_at": r.received_at.isoformat() + "Z",
                    "sent_at": r.sc_timestamp.isoformat() + "Z",
                    "complete": r.complete,
                    "parts": r.parts,
                }
                for r in rows
            ]
        )
        return 0
    for r in rows:
        flag = "" if r.complete else " [incomplete]"
        print(f"{r.received_at:%Y-%m-%d %H:%M:%S}  {r.sender:<16} {r.text}{flag}")
    return 0
